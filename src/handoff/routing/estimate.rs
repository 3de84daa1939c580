//! Wait estimates: queue position times the mean handle time of the skill, shared among the
//! agents serving it.

use std::collections::{BTreeMap, VecDeque};

/// Recent handle times per skill, a sliding window of `capacity` samples.
#[derive(Debug, Clone)]
pub(crate) struct HandleTimes {
    capacity: usize,
    default_secs: u64,
    samples: BTreeMap<String, VecDeque<u64>>,
}

impl HandleTimes {
    pub fn new(capacity: usize, default_secs: u64) -> Self {
        Self {
            capacity,
            default_secs,
            samples: BTreeMap::new(),
        }
    }

    pub fn record(&mut self, skill: &str, secs: u64) {
        if self.capacity == 0 {
            return;
        }
        let window = self.samples.entry(skill.to_owned()).or_default();
        while window.len() >= self.capacity {
            window.pop_front();
        }
        window.push_back(secs);
    }

    /// Total and count of the samples, or the configured default as one sample. Kept as a
    /// fraction so the estimate rounds once, at the end.
    fn mean_parts(&self, skill: &str) -> (u128, u128) {
        match self.samples.get(skill) {
            Some(w) if !w.is_empty() => (w.iter().map(|&s| u128::from(s)).sum(), w.len() as u128),
            _ => (u128::from(self.default_secs), 1),
        }
    }

    /// Mean handle time of the skill in whole seconds (rounded to nearest), for display.
    pub fn mean_secs(&self, skill: &str) -> u64 {
        let (sum, count) = self.mean_parts(skill);
        saturate((sum + count / 2) / count)
    }

    /// Seconds until a conversation at 1-based `position` is likely to be taken:
    /// `position × mean ÷ agents`, rounded up, with `agents` at least 1.
    pub fn estimate_secs(&self, skill: &str, position: usize, agents: usize) -> u64 {
        let (sum, count) = self.mean_parts(skill);
        let agents = agents.max(1) as u128;
        let numerator = (position as u128).saturating_mul(sum);
        saturate(numerator.div_ceil(count.saturating_mul(agents)))
    }
}

fn saturate(v: u128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_until_samples_then_mean_over_window() {
        let mut h = HandleTimes::new(2, 480);
        assert_eq!(h.estimate_secs("billing", 1, 1), 480);
        h.record("billing", 100);
        h.record("billing", 200);
        h.record("billing", 400); // pushes 100 out of the window of 2
        assert_eq!(h.mean_secs("billing"), 300);
        assert_eq!(h.estimate_secs("billing", 1, 1), 300);
        assert_eq!(
            h.estimate_secs("tech", 1, 1),
            480,
            "other skills keep the default"
        );
    }

    #[test]
    fn position_three_six_minutes_two_agents_is_nine_minutes() {
        let h = HandleTimes::new(50, 360);
        assert_eq!(h.estimate_secs("billing", 3, 2), 540);
        assert_eq!(
            h.estimate_secs("billing", 3, 0),
            1080,
            "zero agents counts as one"
        );
        assert_eq!(h.estimate_secs("billing", 1, 3), 120);
    }

    #[test]
    fn rounds_up_and_never_overflows() {
        let mut h = HandleTimes::new(3, 480);
        h.record("s", 10);
        h.record("s", 10);
        h.record("s", 11); // mean 31/3
        assert_eq!(h.estimate_secs("s", 1, 1), 11);
        h.record("s", u64::MAX);
        assert_eq!(h.estimate_secs("s", usize::MAX, 1), u64::MAX);
    }
}
