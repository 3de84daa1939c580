//! A track's RTP timestamps placed on the call's clock (sans-IO).
//!
//! The sender's timestamps give the spacing of packets; the arrival time of the first packet
//! anchors them to the call. When the two disagree by more than `MAX_DRIFT_MS` (a sender that
//! jumps its timestamps, a clock that drifts over hours) the track is re-anchored on arrival, so
//! a position never runs far from when its packet actually arrived. Packets that are not newer
//! than the last one (reordered, duplicated, retransmitted) get no position.

/// How far the sender's clock may run from the arrival clock before the track is re-anchored.
pub const MAX_DRIFT_MS: u64 = 2_000;

#[derive(Debug, Clone)]
pub struct TrackClock {
    rate: u64,
    last: Option<(u32, u64)>,
}

impl TrackClock {
    /// A clock for a codec with `rate` ticks per second (48 000 for Opus, 90 000 for video).
    pub fn new(rate: u32) -> Self {
        Self {
            rate: u64::from(rate.max(1)),
            last: None,
        }
    }

    /// Ticks per second.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// Converts ticks of this clock to milliseconds.
    pub fn to_ms(&self, ticks: u64) -> u64 {
        ticks.saturating_mul(1000) / self.rate
    }

    /// The position of a packet with RTP timestamp `ts` that arrived `arrival_ms` after the call
    /// started, in ticks since the call started; `None` when it is not newer than the last one.
    pub fn place(&mut self, ts: u32, arrival_ms: u64) -> Option<u64> {
        let expected = arrival_ms.saturating_mul(self.rate) / 1000;
        let pos = match self.last {
            None => expected,
            Some((last_ts, last_pos)) => {
                let diff = ts.wrapping_sub(last_ts) as i32;
                if diff <= 0 {
                    return None;
                }
                let pos = last_pos + diff as u64;
                if pos.abs_diff(expected) > MAX_DRIFT_MS * self.rate / 1000 {
                    expected.max(last_pos + 1)
                } else {
                    pos
                }
            }
        };
        self.last = Some((ts, pos));
        Some(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_packet_anchors_on_arrival_and_the_rest_follow_the_senders_clock() {
        let mut c = TrackClock::new(48_000);
        assert_eq!(c.place(1_000_000, 250), Some(12_000));
        // Jitter in arrival does not move positions: 20 ms of samples is 960 ticks.
        assert_eq!(c.place(1_000_960, 300), Some(12_960));
        assert_eq!(c.place(1_001_920, 271), Some(13_920));
        assert_eq!(c.to_ms(13_920), 290);
    }

    #[test]
    fn reordered_and_duplicate_packets_get_no_position() {
        let mut c = TrackClock::new(48_000);
        c.place(5_000, 0);
        assert_eq!(c.place(5_960, 20), Some(960));
        assert_eq!(c.place(5_960, 21), None);
        assert_eq!(c.place(5_000, 22), None);
        assert_eq!(c.place(6_920, 40), Some(1_920));
    }

    #[test]
    fn timestamps_wrap_around() {
        let mut c = TrackClock::new(90_000);
        c.place(u32::MAX - 1_499, 1_000);
        assert_eq!(c.place(1_500, 1_033), Some(90_000 + 3_000));
    }

    #[test]
    fn a_jump_in_the_senders_clock_is_re_anchored_on_arrival() {
        let mut c = TrackClock::new(48_000);
        c.place(0, 0);
        // Ten minutes ahead on the sender's clock, 20 ms later on ours.
        assert_eq!(c.place(48_000 * 600, 20), Some(960));
        assert_eq!(c.place(48_000 * 600 + 960, 40), Some(1_920));
        // A long silence (no packets) keeps the sender's spacing.
        assert_eq!(c.place(48_000 * 605, 5_020), Some(1_920 + 48_000 * 5 - 960));
    }
}
