//! The manager's Markdown view of a briefing.

use super::fixtures::{briefing, fact};
use crate::domain::{Attempt, AttemptOutcome};
use crate::review::briefing_markdown;

#[test]
fn renders_every_section_with_customer_text_escaped() {
    let mut b = briefing(
        vec![
            fact("email", "priya@acme.io", None),
            fact("order_id", "ORD-4821", None),
        ],
        0.8,
    );
    b.summary =
        "Priya was charged twice for *Pro*; see [this](http://evil.example) <script>".into();
    b.detail.course = vec!["Asked about a double charge.".into(), "Got angry.".into()];
    b.detail.attempts = vec![Attempt {
        action: "cache_clear".into(),
        outcome: AttemptOutcome::Failed,
        message_id: "m3".into(),
        source: Default::default(),
        description: String::new(),
        result: String::new(),
    }];
    b.detail.background = vec!["Pro subscriber since 2024".into()];
    b.technical.error_messages = vec!["Payment `declined`".into()];
    b.technical.urls = vec!["https://app.acme.io/billing".into()];
    b.technical.browser = Some("Chrome 120".into());
    let md = briefing_markdown(&b, Some("Priya_Raman"));
    let expected = "# Briefing: Priya\\_Raman

_Generated 2026-11-27T09:00:00Z, from the conversation up to event 0._

Priya was charged twice for \\*Pro\\*; see \\[this\\]\\(http://evil\\.example\\) \\<script\\>

## Emotional state

**frustrated**, worsening. Upset about paying twice\\.

## Escalation

- Trigger: `frustration`
- Urgency: **high**
- Customer expects: refund
- Assessment: The assistant could not fix the double charge\\.
- Routed to: billing

## Course of the conversation

- Asked about a double charge\\.
- Got angry\\.

## What was tried

- Cache clear: **failed**

## Background

- Pro subscriber since 2024

## Technical detail

- Error messages: `` Payment `declined` ``
- URLs: `https://app.acme.io/billing`
- Browser: Chrome 120

## Already known (do not ask again)

- Email: `priya@acme.io`
- Order id: `ORD-4821`

## Next actions

1. Check the duplicate charge

## Warm introduction

> Hi Priya, I'm Sam from billing\\.

## Completeness

80%; missing: no account id.
";
    assert_eq!(md, expected);
}

#[test]
fn without_a_name_or_optional_parts() {
    let mut b = briefing(vec![], 1.0);
    b.completeness.missing.clear();
    b.next_actions.clear();
    b.warm_introduction.clear();
    let md = briefing_markdown(&b, None);
    assert!(md.starts_with("# Briefing: customer\n"));
    assert!(!md.contains("## Next actions"));
    assert!(!md.contains("## Already known"));
    assert!(!md.contains("## Warm introduction"));
    assert!(md.ends_with("## Completeness\n\n100%.\n"));
}
