//! When an e-mail goes out, whether it still should, and what a failure means: plain functions of
//! the outbox row, what the customer has seen and the time, unit-tested without IO.

use super::config::EmailConfig;
use crate::domain::followup::OutboxKind;
use crate::domain::Timestamp;
use chrono::TimeDelta;

/// What the delivery task knows of one pending outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingMail {
    pub kind: OutboxKind,
    /// Attempts made so far.
    pub attempts: u32,
    /// The first and latest reply of a batch (a transcript: when it was asked for, twice).
    pub first_at: Timestamp,
    pub last_at: Timestamp,
    /// The last event the e-mail carries.
    pub last_seq: u64,
    /// When a failed attempt may be retried.
    pub next_attempt_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Not yet: look again at `until`.
    Wait {
        until: Timestamp,
    },
    /// The customer already received every reply in it on the page: no e-mail.
    Skip,
    Send,
}

/// When a batch of replies is due: `batch_window_secs` after its latest reply, but no later than
/// `batch_max_wait_secs` after its first.
pub fn batch_due(first_at: Timestamp, last_at: Timestamp, cfg: &EmailConfig) -> Timestamp {
    let quiet = last_at + secs(cfg.batch_window_secs);
    let cap = first_at + secs(cfg.batch_max_wait_secs);
    quiet.min(cap)
}

/// What to do with `mail` at `now`, given how far the customer's page has received the
/// conversation (`customer_received`: the `seq` of their latest delivery receipt, 0 when they
/// have no page open and none is known).
pub fn decide(
    mail: &PendingMail,
    customer_received: u64,
    now: Timestamp,
    cfg: &EmailConfig,
) -> Decision {
    if mail.kind == OutboxKind::Reply && customer_received >= mail.last_seq {
        return Decision::Skip;
    }
    if mail.kind == OutboxKind::Reply && mail.attempts == 0 {
        let due = batch_due(mail.first_at, mail.last_at, cfg);
        if now < due {
            return Decision::Wait { until: due };
        }
    }
    match mail.next_attempt_at {
        Some(at) if now < at => Decision::Wait { until: at },
        _ => Decision::Send,
    }
}

/// After a failed attempt (the `attempts`-th).
#[derive(Debug, Clone, PartialEq)]
pub enum AfterFailure {
    Retry { at: Timestamp },
    GiveUp,
}

/// Exponential backoff from `retry_base_secs`, capped at `retry_max_secs`; a permanent refusal or
/// the last allowed attempt gives up.
pub fn after_failure(
    attempts: u32,
    permanent: bool,
    now: Timestamp,
    cfg: &EmailConfig,
) -> AfterFailure {
    if permanent || attempts >= cfg.max_attempts {
        return AfterFailure::GiveUp;
    }
    let doublings = attempts.saturating_sub(1).min(30);
    let wait = cfg
        .retry_base_secs
        .saturating_mul(1u64 << doublings)
        .min(cfg.retry_max_secs);
    AfterFailure::Retry {
        at: now + secs(wait),
    }
}

fn secs(s: u64) -> TimeDelta {
    TimeDelta::seconds(
        i64::try_from(s)
            .unwrap_or(i64::MAX / 1000)
            .min(i64::MAX / 1000),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> EmailConfig {
        EmailConfig {
            batch_window_secs: 60,
            batch_max_wait_secs: 300,
            max_attempts: 4,
            retry_base_secs: 30,
            retry_max_secs: 100,
            ..EmailConfig::default()
        }
    }

    fn reply(first: Timestamp, last: Timestamp) -> PendingMail {
        PendingMail {
            kind: OutboxKind::Reply,
            attempts: 0,
            first_at: first,
            last_at: last,
            last_seq: 10,
            next_attempt_at: None,
        }
    }

    #[test]
    fn a_batch_waits_for_quiet_but_never_past_the_cap() {
        let t0 = chrono::Utc::now();
        let s = TimeDelta::seconds;
        assert_eq!(batch_due(t0, t0, &cfg()), t0 + s(60));
        assert_eq!(batch_due(t0, t0 + s(100), &cfg()), t0 + s(160));
        assert_eq!(batch_due(t0, t0 + s(290), &cfg()), t0 + s(300), "capped");
        let mail = reply(t0, t0 + s(30));
        assert_eq!(
            decide(&mail, 0, t0 + s(60), &cfg()),
            Decision::Wait { until: t0 + s(90) }
        );
        assert_eq!(decide(&mail, 0, t0 + s(90), &cfg()), Decision::Send);
    }

    #[test]
    fn replies_the_customer_received_on_the_page_are_not_mailed() {
        let t0 = chrono::Utc::now();
        let mail = reply(t0, t0);
        assert_eq!(decide(&mail, 10, t0, &cfg()), Decision::Skip);
        assert_eq!(
            decide(&mail, 9, t0 + TimeDelta::seconds(61), &cfg()),
            Decision::Send,
            "the last reply was not received"
        );
        let transcript = PendingMail {
            kind: OutboxKind::Transcript,
            ..mail
        };
        assert_eq!(
            decide(&transcript, 99, t0, &cfg()),
            Decision::Send,
            "a transcript was asked for: always sent, at once"
        );
    }

    #[test]
    fn a_failed_attempt_waits_for_its_retry_time() {
        let t0 = chrono::Utc::now();
        let mail = PendingMail {
            attempts: 1,
            next_attempt_at: Some(t0 + TimeDelta::seconds(30)),
            ..reply(t0, t0)
        };
        assert_eq!(
            decide(&mail, 0, t0 + TimeDelta::seconds(29), &cfg()),
            Decision::Wait {
                until: t0 + TimeDelta::seconds(30)
            }
        );
        assert_eq!(
            decide(&mail, 0, t0 + TimeDelta::seconds(30), &cfg()),
            Decision::Send
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap_then_give_up() {
        let now = chrono::Utc::now();
        let at = |n| match after_failure(n, false, now, &cfg()) {
            AfterFailure::Retry { at } => Some((at - now).num_seconds()),
            AfterFailure::GiveUp => None,
        };
        assert_eq!(
            [at(1), at(2), at(3), at(4)],
            [Some(30), Some(60), Some(100), None]
        );
        assert_eq!(after_failure(1, true, now, &cfg()), AfterFailure::GiveUp);
    }
}
