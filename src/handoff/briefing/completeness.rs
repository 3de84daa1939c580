//! Completeness: how much of what an agent needs for this kind of issue is already known. Every
//! briefing needs the customer's name and email and an escalation reason; the main topic adds its own
//! needs (an account id, an error message, the browser, …), and a conversation with no recognised
//! topic needs an account id. The score is the known share; `missing` names each gap in words.

use super::topic::Need;
use super::Ctx;
use crate::domain::Completeness;

const BASE: &[Need] = &[Need::Name, Need::Email];

/// Missing reason text for an escalation without a trigger.
pub const NO_REASON: &str = "no escalation reason";

/// The needs for this conversation, without repeats, in order.
fn needs(ctx: &Ctx<'_>) -> Vec<Need> {
    let topic_needs = ctx.main_topic().map_or(&[Need::AccountId][..], |t| t.needs);
    let mut out = BASE.to_vec();
    for n in topic_needs {
        if !out.contains(n) {
            out.push(*n);
        }
    }
    out
}

fn is_known(ctx: &Ctx<'_>, need: Need) -> bool {
    let t = &ctx.technical;
    match need {
        Need::Name => ctx.has_fact("name"),
        Need::Email => ctx.has_fact("email"),
        Need::AccountId => ctx.has_fact("account_id"),
        Need::ErrorMessage => !t.error_messages.is_empty() || !t.codes.is_empty(),
        Need::Browser => t.browser.is_some(),
        Need::Device => t.device.is_some(),
        Need::Url => !t.urls.is_empty(),
        Need::InvoiceOrOrder => ["invoice_id", "order_id", "payment_id"]
            .iter()
            .any(|k| ctx.has_fact(k)),
        Need::Attempts => !ctx.attempts.is_empty(),
    }
}

/// The needs that are not known, in order.
pub fn missing_needs(ctx: &Ctx<'_>) -> Vec<Need> {
    needs(ctx)
        .into_iter()
        .filter(|n| !is_known(ctx, *n))
        .collect()
}

pub fn assess(ctx: &Ctx<'_>) -> Completeness {
    let total = needs(ctx).len() + 1;
    let mut missing: Vec<String> = missing_needs(ctx)
        .into_iter()
        .map(|n| n.missing().to_owned())
        .collect();
    if ctx.input.escalation.trigger.trim().is_empty() {
        missing.push(NO_REASON.to_owned());
    }
    let known = total.saturating_sub(missing.len());
    Completeness {
        score: known as f64 / total as f64,
        missing,
    }
}
