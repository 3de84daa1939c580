//! CSV exports of handoffs and aggregates, as RFC 4180 says: a header row, CRLF line ends, fields
//! quoted when they hold a comma, quote or line break, quotes doubled. Durations are seconds with
//! one decimal, timestamps ISO 8601 in UTC, absent values empty.
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return)
//! as a formula, and customer names and comments are customer-controlled: such a field gets a
//! leading `'` so it is shown as text (OWASP's advice against CSV injection).

use super::text::urgency;
use crate::domain::{HandoffAggregate, HandoffMetrics, Timestamp};
use chrono::SecondsFormat;

const HANDOFF_COLUMNS: &[&str] = &[
    "conversation_id",
    "customer_name",
    "escalated_at",
    "resolved_at",
    "trigger",
    "skill",
    "urgency",
    "agent_id",
    "agent_name",
    "agents_involved",
    "ai_phase_s",
    "time_to_escalate_s",
    "queue_wait_s",
    "offer_read_s",
    "briefing_read_s",
    "first_response_s",
    "resolution_s",
    "repeat_asks",
    "context_score",
    "briefing_completeness",
    "customer_score",
    "customer_repeated",
    "customer_comment",
    "briefing_score",
    "necessary",
    "necessity_detail",
    "had_call",
    "computed_at",
];

const AGGREGATE_COLUMNS: &[&str] = &[
    "key",
    "label",
    "handoffs",
    "resolved",
    "median_queue_wait_s",
    "p90_queue_wait_s",
    "median_offer_read_s",
    "median_briefing_read_s",
    "median_first_response_s",
    "median_resolution_s",
    "mean_context_score",
    "repeat_asks",
    "handoffs_with_repeat_asks",
    "customer_ratings",
    "mean_customer_score",
    "repeated_share",
    "briefing_ratings",
    "mean_briefing_score",
    "unnecessary",
    "mean_agents_involved",
];

/// One field, neutralised against formulas and quoted when needed.
fn field(s: &str) -> String {
    let guarded;
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{s}");
        guarded.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn row(out: &mut String, cells: &[String]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field(c));
    }
    out.push_str("\r\n");
}

fn header(out: &mut String, columns: &[&str]) {
    let cells: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    row(out, &cells);
}

/// Milliseconds as seconds with one decimal, rounded half up (61250 -> `61.3`); integer maths,
/// so no binary-float surprises.
fn secs(ms: Option<u64>) -> String {
    ms.map(|ms| {
        let tenths = ms.saturating_add(50) / 100;
        format!("{}.{}", tenths / 10, tenths % 10)
    })
    .unwrap_or_default()
}

fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn num(x: Option<f64>, decimals: usize) -> String {
    x.filter(|x| x.is_finite())
        .map(|x| format!("{x:.decimals$}"))
        .unwrap_or_default()
}

fn opt<T: ToString>(x: Option<T>) -> String {
    x.map(|x| x.to_string()).unwrap_or_default()
}

/// The handoffs, one line each.
pub fn handoffs_csv(items: &[HandoffMetrics]) -> String {
    let mut out = String::with_capacity(256 * (items.len() + 1));
    header(&mut out, HANDOFF_COLUMNS);
    for m in items {
        let d = &m.durations;
        let briefing_score = (!m.briefing_ratings.is_empty()).then(|| {
            m.briefing_ratings
                .iter()
                .map(|r| f64::from(r.score))
                .sum::<f64>()
                / m.briefing_ratings.len() as f64
        });
        row(
            &mut out,
            &[
                m.conversation_id.0.clone(),
                m.customer_name.clone().unwrap_or_default(),
                time(Some(m.escalated_at)),
                time(m.resolved_at),
                m.trigger.clone(),
                m.skill.clone(),
                urgency(m.urgency).to_owned(),
                opt(m.agent_id.as_ref()),
                m.agent_name.clone().unwrap_or_default(),
                m.agents_involved.to_string(),
                secs(d.ai_phase_ms),
                secs(d.time_to_escalate_ms),
                secs(d.queue_wait_ms),
                secs(d.offer_read_ms),
                secs(d.briefing_read_ms),
                secs(d.first_response_ms),
                secs(d.resolution_ms),
                m.repeat_asks.len().to_string(),
                num(Some(m.context_score), 1),
                num(m.briefing_completeness, 2),
                opt(m.customer_rating.as_ref().map(|r| r.score)),
                opt(m.customer_rating.as_ref().map(|r| r.repeated)),
                m.customer_rating
                    .as_ref()
                    .and_then(|r| r.comment.clone())
                    .unwrap_or_default(),
                num(briefing_score, 1),
                opt(m.necessity.as_ref().map(|n| n.necessary)),
                m.necessity
                    .as_ref()
                    .map(|n| n.detail.clone())
                    .unwrap_or_default(),
                m.had_call.to_string(),
                time(Some(m.computed_at)),
            ],
        );
    }
    out
}

/// The aggregates, one line per group (put the overall one first if it should be exported).
pub fn aggregates_csv(groups: &[HandoffAggregate]) -> String {
    let mut out = String::with_capacity(160 * (groups.len() + 1));
    header(&mut out, AGGREGATE_COLUMNS);
    for g in groups {
        row(
            &mut out,
            &[
                g.key.clone(),
                g.label.clone(),
                g.handoffs.to_string(),
                g.resolved.to_string(),
                secs(g.median_queue_wait_ms),
                secs(g.p90_queue_wait_ms),
                secs(g.median_offer_read_ms),
                secs(g.median_briefing_read_ms),
                secs(g.median_first_response_ms),
                secs(g.median_resolution_ms),
                num(g.mean_context_score, 1),
                g.repeat_asks.to_string(),
                g.handoffs_with_repeat_asks.to_string(),
                g.customer_ratings.to_string(),
                num(g.mean_customer_score, 2),
                num(g.repeated_share, 3),
                g.briefing_ratings.to_string(),
                num(g.mean_briefing_score, 2),
                g.unnecessary.to_string(),
                num(g.mean_agents_involved, 2),
            ],
        );
    }
    out
}
