//! Per-account login throttling, on top of the per-address limits: an attacker with many addresses
//! still gets only a few guesses per account. Pure, with time passed in.
//!
//! The contract:
//! - an account (the typed username, case-folded) may fail [`FREE_FAILURES`] times; each failure
//!   after that locks it for twice as long as the last, from [`FIRST_LOCK`] up to [`MAX_LOCK`];
//! - while locked, every attempt is refused without checking the password (a right password
//!   too, or the lock would only slow guessing down);
//! - a success, or [`FORGET_AFTER`] without a failure, clears the record;
//! - unknown usernames are throttled the same way, so the answers do not reveal which exist;
//! - at most `capacity` accounts are tracked; when full, records that no longer lock are dropped
//!   first, and a new account beyond that is not tracked (the per-address limits still hold).

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const FREE_FAILURES: u32 = 5;
pub const FIRST_LOCK: Duration = Duration::from_secs(1);
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Allowed,
    Locked { retry_after: Duration },
}

/// What a failure did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Still within the free failures.
    Counted { failures: u32 },
    /// The account is now locked for `lock`; worth an audit entry.
    Locked { failures: u32, lock: Duration },
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

pub struct LoginThrottle {
    accounts: HashMap<String, Record>,
    capacity: usize,
}

impl LoginThrottle {
    pub fn new(capacity: usize) -> Self {
        Self {
            accounts: HashMap::new(),
            capacity,
        }
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    pub fn admit(&self, username: &str, now: Instant) -> Admission {
        match self.accounts.get(&Self::key(username)) {
            Some(Record {
                locked_until: Some(until),
                ..
            }) if *until > now => Admission::Locked {
                retry_after: *until - now,
            },
            _ => Admission::Allowed,
        }
    }

    pub fn failed(&mut self, username: &str, now: Instant) -> Failure {
        let key = Self::key(username);
        if !self.accounts.contains_key(&key) && self.accounts.len() >= self.capacity {
            self.forget_idle(now);
            if self.accounts.len() >= self.capacity {
                return Failure::Counted { failures: 1 };
            }
        }
        let record = self.accounts.entry(key).or_insert(Record {
            failures: 0,
            last_failure: now,
            locked_until: None,
        });
        if now.saturating_duration_since(record.last_failure) >= FORGET_AFTER {
            record.failures = 0;
        }
        record.failures = record.failures.saturating_add(1);
        record.last_failure = now;
        if record.failures <= FREE_FAILURES {
            return Failure::Counted {
                failures: record.failures,
            };
        }
        let doublings = (record.failures - FREE_FAILURES - 1).min(20);
        let lock = FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK);
        record.locked_until = Some(now + lock);
        Failure::Locked {
            failures: record.failures,
            lock,
        }
    }

    pub fn succeeded(&mut self, username: &str) {
        self.accounts.remove(&Self::key(username));
    }

    /// Drops records that neither lock nor count any more.
    pub fn forget_idle(&mut self, now: Instant) {
        self.accounts.retain(|_, r| {
            r.locked_until.is_some_and(|u| u > now)
                || now.saturating_duration_since(r.last_failure) < FORGET_AFTER
        });
        if self.accounts.len() >= self.capacity {
            // Still full of recent failures: keep the ones that lock.
            self.accounts
                .retain(|_, r| r.locked_until.is_some_and(|u| u > now));
        }
    }

    pub fn tracked(&self) -> usize {
        self.accounts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn free_failures_then_locks_that_double() {
        let mut t = LoginThrottle::new(100);
        let t0 = Instant::now();
        for i in 1..=FREE_FAILURES {
            assert_eq!(t.admit("maria", t0), Admission::Allowed);
            assert_eq!(t.failed("maria", t0), Failure::Counted { failures: i });
        }
        assert_eq!(
            t.failed("Maria ", t0),
            Failure::Locked {
                failures: 6,
                lock: secs(1)
            }
        );
        assert_eq!(
            t.admit("MARIA", t0),
            Admission::Locked {
                retry_after: secs(1)
            }
        );
        assert_eq!(t.admit("maria", t0 + secs(1)), Admission::Allowed);
        assert!(matches!(
            t.failed("maria", t0 + secs(1)),
            Failure::Locked { lock, .. } if lock == secs(2)
        ));
        assert!(matches!(
            t.failed("maria", t0 + secs(3)),
            Failure::Locked { lock, .. } if lock == secs(4)
        ));
        assert_eq!(t.admit("someone-else", t0 + secs(3)), Admission::Allowed);
    }

    #[test]
    fn locks_stop_at_the_maximum_and_a_success_clears() {
        let mut t = LoginThrottle::new(100);
        let t0 = Instant::now();
        let mut last = Failure::Counted { failures: 0 };
        for i in 0..60 {
            last = t.failed("x", t0 + secs(i));
        }
        assert!(matches!(last, Failure::Locked { lock, .. } if lock == MAX_LOCK));
        t.succeeded("x");
        assert_eq!(t.admit("x", t0 + secs(61)), Admission::Allowed);
        assert_eq!(t.tracked(), 0);
    }

    #[test]
    fn an_hour_without_failures_starts_over() {
        let mut t = LoginThrottle::new(100);
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            t.failed("x", t0);
        }
        let later = t0 + FORGET_AFTER;
        assert_eq!(t.failed("x", later), Failure::Counted { failures: 1 });
    }

    #[test]
    fn a_full_table_keeps_the_locked_accounts() {
        let mut t = LoginThrottle::new(3);
        let t0 = Instant::now();
        for _ in 0..=FREE_FAILURES {
            t.failed("victim", t0);
        }
        t.failed("a", t0);
        t.failed("b", t0);
        // Full: "c" makes room by dropping the unlocked records, never the locked one.
        t.failed("c", t0);
        assert!(matches!(t.admit("victim", t0), Admission::Locked { .. }));
        assert!(t.tracked() <= 3);
    }
}
