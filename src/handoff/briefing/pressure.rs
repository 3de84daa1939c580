//! Time pressure and time spent, from the customer's words (`analysis::pressure`) and the
//! conversation's clock: every deadline, stake and recurrence they mentioned, each with its
//! sentence, and how long they have been at it (what they said, else how long this conversation
//! has run).

use super::Said;
use crate::analysis::pressure::{elapsed, sentence_around, time_pressure};
use crate::domain::{PressureFact, PressureKind, TimeSpent};

/// Most facts kept: the briefing is read in seconds.
const MAX_FACTS: usize = 6;

pub fn facts(said: &[Said<'_>]) -> Vec<PressureFact> {
    let mut out: Vec<PressureFact> = Vec::new();
    for s in said {
        let text = &s.msg.content;
        for cue in time_pressure(text) {
            let dup = out
                .iter()
                .any(|f| f.kind == cue.kind && f.text.eq_ignore_ascii_case(&cue.text));
            if dup {
                continue;
            }
            let end = cue.start + cue.text.len();
            let quote = if end <= text.len() {
                sentence_around(text, cue.start, end).to_owned()
            } else {
                String::new()
            };
            out.push(PressureFact {
                kind: cue.kind,
                text: cue.text,
                quote,
                message_id: Some(s.msg.id.clone()),
            });
        }
    }
    // Deadlines first (they say "by when"), then stakes, then recurrence; order of mention within.
    out.sort_by_key(|f| match f.kind {
        PressureKind::Deadline => 0,
        PressureKind::Stakes => 1,
        PressureKind::Recurrence => 2,
    });
    out.truncate(MAX_FACTS);
    out
}

/// What the customer said about how long, latest first; else the conversation's own length when
/// it is a minute or more.
pub fn time_spent(
    said: &[Said<'_>],
    last_at: Option<crate::domain::Timestamp>,
) -> Option<TimeSpent> {
    if let Some(e) = said.iter().rev().find_map(|s| elapsed(&s.msg.content)) {
        return Some(TimeSpent {
            text: e.text,
            minutes: e.minutes,
            stated: true,
        });
    }
    let start = said.first()?.msg.timestamp;
    let minutes = (last_at? - start).num_minutes();
    if minutes < 1 {
        return None;
    }
    let text = if minutes < 90 {
        format!("{minutes} min")
    } else {
        format!("{} h", (minutes + 30) / 60)
    };
    Some(TimeSpent {
        text,
        minutes: u32::try_from(minutes).ok(),
        stated: false,
    })
}
