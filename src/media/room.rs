//! Who forwards what to whom in one call: the SFU's routing table, as a sans-IO state machine.
//! Every member has one connection to the gateway; each track a member publishes is forwarded to
//! every other member on a local track of their connection, with an SSRC chosen here so it is
//! unique on that connection. Inputs are joins, leaves, published and unpublished tracks and
//! keyframe requests; outputs are the actions the media task carries out, in order.

use crate::domain::{MediaSource, ParticipantId};
use std::collections::{BTreeMap, BTreeSet};

/// One published track: a member's microphone, camera or screen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackKey {
    pub publisher: ParticipantId,
    pub source: MediaSource,
}

impl TrackKey {
    /// The stream id a subscriber sees: one stream per publisher, so their camera and
    /// microphone play in sync.
    pub fn stream_id(&self) -> String {
        format!("wl-{}", self.publisher)
    }

    /// The track id a subscriber sees; the page labels a track by its source (`...-screen`).
    pub fn track_id(&self) -> String {
        format!("wl-{}-{}", self.publisher, self.source.as_str())
    }
}

/// What the media task must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomAction {
    /// Add a local track to `subscriber`'s connection that forwards `key` with `ssrc`.
    AddForward {
        subscriber: ParticipantId,
        key: TrackKey,
        ssrc: u32,
    },
    /// Remove that local track again.
    RemoveForward {
        subscriber: ParticipantId,
        key: TrackKey,
        ssrc: u32,
    },
    /// `member`'s connection changed: the gateway must send a new offer (when it may).
    Renegotiate { member: ParticipantId },
    /// Ask the publisher for a keyframe (a new viewer, or a viewer lost the picture).
    RequestKeyframe { key: TrackKey },
    /// Nobody is left: close the call.
    End,
}

#[derive(Debug, Clone, Default)]
struct Member {
    published: BTreeSet<MediaSource>,
}

/// The routing table of one call.
#[derive(Debug, Clone)]
pub struct Room {
    members: BTreeMap<ParticipantId, Member>,
    /// (subscriber, key) -> ssrc on the subscriber's connection.
    forwards: BTreeMap<(ParticipantId, TrackKey), u32>,
    next_ssrc: u32,
}

impl Room {
    /// `ssrc_seed` is where SSRC allocation starts (random in production, fixed in tests).
    pub fn new(ssrc_seed: u32) -> Self {
        Self {
            members: BTreeMap::new(),
            forwards: BTreeMap::new(),
            next_ssrc: ssrc_seed.max(1),
        }
    }

    pub fn is_member(&self, who: &ParticipantId) -> bool {
        self.members.contains_key(who)
    }

    pub fn members(&self) -> impl Iterator<Item = &ParticipantId> {
        self.members.keys()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// What `who` publishes now.
    pub fn published(&self, who: &ParticipantId) -> Vec<MediaSource> {
        self.members
            .get(who)
            .map(|m| m.published.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The track a subscriber's SSRC forwards (for keyframe requests and statistics).
    pub fn forwarded(&self, subscriber: &ParticipantId, ssrc: u32) -> Option<&TrackKey> {
        self.forwards
            .iter()
            .find(|((s, _), v)| s == subscriber && **v == ssrc)
            .map(|((_, k), _)| k)
    }

    /// Subscribers of `key` with the SSRC each receives it under.
    pub fn subscribers(&self, key: &TrackKey) -> Vec<(ParticipantId, u32)> {
        self.forwards
            .iter()
            .filter(|((_, k), _)| k == key)
            .map(|((s, _), ssrc)| (s.clone(), *ssrc))
            .collect()
    }

    /// A member joins: everything already published is forwarded to them, and the publishers
    /// of video are asked for a keyframe so the newcomer sees a picture at once.
    pub fn join(&mut self, who: ParticipantId) -> Vec<RoomAction> {
        if self.members.contains_key(&who) {
            return Vec::new();
        }
        let existing: Vec<TrackKey> = self
            .members
            .iter()
            .flat_map(|(p, m)| {
                m.published.iter().map(move |s| TrackKey {
                    publisher: p.clone(),
                    source: *s,
                })
            })
            .collect();
        self.members.insert(who.clone(), Member::default());
        let mut out = Vec::new();
        for key in existing {
            let ssrc = self.allocate();
            self.forwards.insert((who.clone(), key.clone()), ssrc);
            out.push(RoomAction::AddForward {
                subscriber: who.clone(),
                key: key.clone(),
                ssrc,
            });
            if key.source.is_video() {
                out.push(RoomAction::RequestKeyframe { key });
            }
        }
        if out
            .iter()
            .any(|a| matches!(a, RoomAction::AddForward { .. }))
        {
            out.push(RoomAction::Renegotiate { member: who });
        }
        out
    }

    /// A member's track arrived: forward it to everyone else. Publishing the same source twice
    /// (a new camera) is a no-op for routing.
    pub fn publish(&mut self, who: &ParticipantId, source: MediaSource) -> Vec<RoomAction> {
        let Some(m) = self.members.get_mut(who) else {
            return Vec::new();
        };
        if !m.published.insert(source) {
            return Vec::new();
        }
        let key = TrackKey {
            publisher: who.clone(),
            source,
        };
        let others: Vec<ParticipantId> =
            self.members.keys().filter(|p| *p != who).cloned().collect();
        let mut out = Vec::new();
        for other in &others {
            let ssrc = self.allocate();
            self.forwards.insert((other.clone(), key.clone()), ssrc);
            out.push(RoomAction::AddForward {
                subscriber: other.clone(),
                key: key.clone(),
                ssrc,
            });
        }
        for other in others {
            out.push(RoomAction::Renegotiate { member: other });
        }
        if source.is_video()
            && out
                .iter()
                .any(|a| matches!(a, RoomAction::AddForward { .. }))
        {
            out.push(RoomAction::RequestKeyframe { key });
        }
        out
    }

    /// A member stopped a track (a screen share ended).
    pub fn unpublish(&mut self, who: &ParticipantId, source: MediaSource) -> Vec<RoomAction> {
        let Some(m) = self.members.get_mut(who) else {
            return Vec::new();
        };
        if !m.published.remove(&source) {
            return Vec::new();
        }
        let key = TrackKey {
            publisher: who.clone(),
            source,
        };
        self.drop_forwards_of(&key)
    }

    /// A member left or dropped: their tracks stop reaching the others, and what was forwarded to
    /// them goes with their connection. The last one out ends the call.
    pub fn leave(&mut self, who: &ParticipantId) -> Vec<RoomAction> {
        let Some(m) = self.members.remove(who) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for source in m.published {
            out.extend(self.drop_forwards_of(&TrackKey {
                publisher: who.clone(),
                source,
            }));
        }
        self.forwards.retain(|(s, _), _| s != who);
        if self.members.is_empty() {
            out.push(RoomAction::End);
        }
        out
    }

    /// A subscriber asked (PLI/FIR) for a keyframe on the track it receives as `ssrc`.
    pub fn keyframe_wanted(&self, subscriber: &ParticipantId, ssrc: u32) -> Option<RoomAction> {
        self.forwarded(subscriber, ssrc)
            .filter(|k| k.source.is_video())
            .map(|k| RoomAction::RequestKeyframe { key: k.clone() })
    }

    fn drop_forwards_of(&mut self, key: &TrackKey) -> Vec<RoomAction> {
        let gone: Vec<(ParticipantId, u32)> = self.subscribers(key);
        let mut out = Vec::new();
        for (subscriber, ssrc) in &gone {
            self.forwards.remove(&(subscriber.clone(), key.clone()));
            out.push(RoomAction::RemoveForward {
                subscriber: subscriber.clone(),
                key: key.clone(),
                ssrc: *ssrc,
            });
        }
        for (subscriber, _) in gone {
            out.push(RoomAction::Renegotiate { member: subscriber });
        }
        out
    }

    /// The next SSRC not in use on any connection of this call (unique per call is stricter
    /// than needed and keeps statistics unambiguous).
    fn allocate(&mut self) -> u32 {
        loop {
            let ssrc = self.next_ssrc;
            self.next_ssrc = self.next_ssrc.wrapping_add(1).max(1);
            if !self.forwards.values().any(|v| *v == ssrc) {
                return ssrc;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ParticipantId {
        ParticipantId::from(s)
    }

    fn key(p_: &str, s: MediaSource) -> TrackKey {
        TrackKey {
            publisher: p(p_),
            source: s,
        }
    }

    #[test]
    fn a_published_track_reaches_every_other_member_with_its_own_ssrc() {
        let mut r = Room::new(1000);
        assert!(r.join(p("cust")).is_empty(), "nothing to receive yet");
        assert!(r.join(p("agent")).is_empty());
        let out = r.publish(&p("cust"), MediaSource::Camera);
        assert_eq!(
            out,
            vec![
                RoomAction::AddForward {
                    subscriber: p("agent"),
                    key: key("cust", MediaSource::Camera),
                    ssrc: 1000
                },
                RoomAction::Renegotiate { member: p("agent") },
                RoomAction::RequestKeyframe {
                    key: key("cust", MediaSource::Camera)
                },
            ]
        );
        assert!(
            r.publish(&p("cust"), MediaSource::Camera).is_empty(),
            "idempotent"
        );
        let audio = r.publish(&p("agent"), MediaSource::Microphone);
        assert!(
            !audio
                .iter()
                .any(|a| matches!(a, RoomAction::RequestKeyframe { .. })),
            "no keyframes for audio"
        );
    }

    #[test]
    fn a_late_joiner_gets_everything_and_a_keyframe_for_each_video() {
        let mut r = Room::new(1);
        r.join(p("cust"));
        r.join(p("agent"));
        r.publish(&p("cust"), MediaSource::Camera);
        r.publish(&p("cust"), MediaSource::Microphone);
        r.publish(&p("agent"), MediaSource::Screen);
        let out = r.join(p("specialist"));
        let adds = out
            .iter()
            .filter(|a| matches!(a, RoomAction::AddForward { .. }))
            .count();
        let keyframes = out
            .iter()
            .filter(|a| matches!(a, RoomAction::RequestKeyframe { .. }))
            .count();
        assert_eq!((adds, keyframes), (3, 2));
        assert_eq!(
            out.last(),
            Some(&RoomAction::Renegotiate {
                member: p("specialist")
            })
        );
    }

    #[test]
    fn keyframe_requests_go_to_the_publisher_of_the_subscribers_ssrc() {
        let mut r = Room::new(7);
        r.join(p("a"));
        r.join(p("b"));
        r.publish(&p("a"), MediaSource::Camera);
        r.publish(&p("a"), MediaSource::Microphone);
        let (_, cam_ssrc) = r.subscribers(&key("a", MediaSource::Camera))[0].clone();
        let (_, mic_ssrc) = r.subscribers(&key("a", MediaSource::Microphone))[0].clone();
        assert_ne!(cam_ssrc, mic_ssrc);
        assert_eq!(
            r.keyframe_wanted(&p("b"), cam_ssrc),
            Some(RoomAction::RequestKeyframe {
                key: key("a", MediaSource::Camera)
            })
        );
        assert_eq!(
            r.keyframe_wanted(&p("b"), mic_ssrc),
            None,
            "audio has no keyframes"
        );
        assert_eq!(
            r.keyframe_wanted(&p("a"), cam_ssrc),
            None,
            "not a's own track"
        );
    }

    #[test]
    fn stopping_a_screen_share_removes_it_everywhere() {
        let mut r = Room::new(1);
        for m in ["a", "b", "c"] {
            r.join(p(m));
        }
        r.publish(&p("a"), MediaSource::Screen);
        let out = r.unpublish(&p("a"), MediaSource::Screen);
        let removed: Vec<_> = out
            .iter()
            .filter_map(|a| match a {
                RoomAction::RemoveForward { subscriber, .. } => Some(subscriber.0.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(removed, ["b", "c"]);
        assert!(r.subscribers(&key("a", MediaSource::Screen)).is_empty());
        assert!(r.unpublish(&p("a"), MediaSource::Screen).is_empty());
    }

    #[test]
    fn leaving_cleans_up_both_directions_and_the_last_one_ends_the_call() {
        let mut r = Room::new(1);
        r.join(p("a"));
        r.join(p("b"));
        r.publish(&p("a"), MediaSource::Camera);
        r.publish(&p("b"), MediaSource::Camera);
        let out = r.leave(&p("a"));
        assert!(out.contains(&RoomAction::RemoveForward {
            subscriber: p("b"),
            key: key("a", MediaSource::Camera),
            ssrc: 1
        }));
        assert!(
            r.subscribers(&key("b", MediaSource::Camera)).is_empty(),
            "a no longer receives b"
        );
        assert!(!out.contains(&RoomAction::End));
        assert_eq!(r.leave(&p("b")), vec![RoomAction::End]);
        assert!(r.leave(&p("b")).is_empty(), "leaving twice is harmless");
    }

    #[test]
    fn ssrcs_are_never_zero_and_never_reused_while_in_use() {
        let mut r = Room::new(u32::MAX);
        r.join(p("a"));
        r.join(p("b"));
        r.join(p("c"));
        r.publish(&p("a"), MediaSource::Camera);
        r.publish(&p("a"), MediaSource::Microphone);
        let mut ssrcs: Vec<u32> = r.forwards.values().copied().collect();
        assert!(!ssrcs.contains(&0));
        ssrcs.sort_unstable();
        ssrcs.dedup();
        assert_eq!(ssrcs.len(), 4);
    }
}
