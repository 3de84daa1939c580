//! How often one kind of warning may be logged. A peer that misbehaves in a loop (a bad DTLS
//! record, an unknown SSRC, an ICE check failing) makes the same line many times a second; past
//! a budget per window, further copies are counted instead of written, and the count is reported
//! once the window ends. Kinds are where a line comes from (target, file, line), not its field
//! values, so a thousand peers with the same fault share one budget.
//!
//! Pure: time comes in as milliseconds.

use std::collections::HashMap;

/// Distinct kinds remembered; a flood of new kinds resets the table rather than grow it.
const MAX_KINDS: usize = 4_096;

struct Kind {
    window_start: u64,
    shown: u32,
    suppressed: u64,
    label: String,
}

pub struct RepeatLimit {
    per_window: u32,
    window_ms: u64,
    kinds: HashMap<u64, Kind>,
}

impl RepeatLimit {
    pub fn new(per_window: u32, window_ms: u64) -> Self {
        Self {
            per_window,
            window_ms,
            kinds: HashMap::new(),
        }
    }

    /// Whether a line of kind `key` at `now` is written; `label` names the kind in reports and
    /// is called once per kind.
    pub fn admit(&mut self, key: u64, label: impl FnOnce() -> String, now: u64) -> bool {
        if !self.kinds.contains_key(&key) && self.kinds.len() >= MAX_KINDS {
            self.kinds.retain(|_, k| k.suppressed > 0);
        }
        let window_ms = self.window_ms;
        let kind = self.kinds.entry(key).or_insert_with(|| Kind {
            window_start: now,
            shown: 0,
            suppressed: 0,
            label: label(),
        });
        if now >= kind.window_start + window_ms && kind.suppressed == 0 {
            kind.window_start = now;
            kind.shown = 0;
        }
        if kind.shown < self.per_window {
            kind.shown += 1;
            true
        } else {
            kind.suppressed += 1;
            false
        }
    }

    /// Kinds whose window ended with copies suppressed: (label, copies). Their budget starts
    /// over; kinds quiet for a whole window are forgotten.
    pub fn take_suppressed(&mut self, now: u64) -> Vec<(String, u64)> {
        let window_ms = self.window_ms;
        let mut out = Vec::new();
        self.kinds.retain(|_, k| {
            if now < k.window_start + window_ms {
                return true;
            }
            if k.suppressed == 0 {
                return false;
            }
            out.push((k.label.clone(), k.suppressed));
            k.suppressed = 0;
            k.shown = 0;
            k.window_start = now;
            true
        });
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_budget_copies_are_counted_and_reported_when_the_window_ends() {
        let mut l = RepeatLimit::new(3, 10_000);
        let shown = (0..100)
            .filter(|i| l.admit(1, || "peer warning".into(), *i))
            .count();
        assert_eq!(shown, 3);
        assert!(
            l.admit(2, || "another kind".into(), 100),
            "kinds are separate"
        );
        assert!(
            l.take_suppressed(9_999).is_empty(),
            "the window is not over"
        );
        assert_eq!(l.take_suppressed(10_000), vec![("peer warning".into(), 97)]);
        // A new budget, and nothing left to report.
        assert!(l.admit(1, || unreachable!(), 10_001));
        assert!(l.take_suppressed(20_001).is_empty());
    }

    #[test]
    fn a_quiet_kind_starts_a_fresh_window_and_is_forgotten() {
        let mut l = RepeatLimit::new(1, 1_000);
        assert!(l.admit(7, || "x".into(), 0));
        assert!(!l.admit(7, || "x".into(), 10));
        assert_eq!(l.take_suppressed(1_000).len(), 1);
        assert!(l.admit(7, || "x".into(), 1_500));
        assert!(l.take_suppressed(5_000).is_empty());
        assert!(l.kinds.is_empty(), "forgotten after a quiet window");
        assert!(l.admit(7, || "x".into(), 5_001));
    }

    #[test]
    fn a_flood_of_kinds_does_not_grow_the_table() {
        let mut l = RepeatLimit::new(1, 1_000);
        for k in 0..(3 * MAX_KINDS as u64) {
            l.admit(k, String::new, 0);
        }
        assert!(l.kinds.len() <= MAX_KINDS);
    }
}
