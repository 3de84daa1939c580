//! Evaluation of the built-in assistant on the embedded demo knowledge base: realistic customer
//! questions must land on the right section with a usable confidence, and off-topic ones must not.
//! Run with `--nocapture` to see the table of scores when tuning the KB or the ranking.

use super::builtin::{BuiltinAssistant, Tuning};
use super::kb::KnowledgeBase;
use super::testutil::Chat;
use super::AssistantReply;

/// Lowest confidence an in-scope demo question may get.
const MIN_IN_SCOPE: f64 = 0.45;

fn assistant() -> BuiltinAssistant {
    BuiltinAssistant::new(KnowledgeBase::demo().expect("demo KB"), Tuning::default())
}

fn ask(a: &BuiltinAssistant, question: &str) -> AssistantReply {
    let (conv, msg) = Chat::new().customer(question).turn();
    a.answer(&conv, &msg)
}

const QUESTIONS: &[(&str, &str)] = &[
    (
        "my dashboard is just a blank white page",
        "dashboard-not-loading#clear-your-browser-cache-and-check-your-browser",
    ),
    (
        "The dashboard keeps spinning and never loads",
        "dashboard-not-loading#clear-your-browser-cache-and-check-your-browser",
    ),
    (
        "Dashboard works for my colleague but some charts are missing for me, I use an ad blocker",
        "dashboard-not-loading#try-a-private-window-and-turn-off-extensions",
    ),
    (
        "Is Brightboard down? Nobody on my team can load anything",
        "dashboard-not-loading#check-the-brightboard-status-page",
    ),
    (
        "every chart says failed to fetch data when I'm on the office VPN",
        "dashboard-not-loading#check-your-network-vpn-or-firewall",
    ),
    (
        "I forgot my password",
        "signing-in-and-2fa#reset-your-password",
    ),
    (
        "my 2FA codes keep getting rejected as invalid",
        "signing-in-and-2fa#two-factor-codes-are-not-accepted",
    ),
    (
        "I got a new phone and lost my authenticator app, how do I log in?",
        "signing-in-and-2fa#use-a-backup-code",
    ),
    (
        "how do I sign in with Okta SSO",
        "signing-in-and-2fa#sign-in-with-single-sign-on-sso",
    ),
    (
        "I was charged twice this month",
        "billing-and-refunds#charged-twice",
    ),
    (
        "Can I get a refund for my annual plan?",
        "billing-and-refunds#refund-policy",
    ),
    (
        "where do I download my invoices? I need our VAT number on them",
        "billing-and-refunds#download-invoices-and-receipts",
    ),
    (
        "my credit card expired, how do I update it",
        "billing-and-refunds#update-your-payment-card",
    ),
    (
        "How do I cancel my subscription?",
        "billing-and-refunds#change-or-cancel-your-plan",
    ),
    (
        "how do I verify the webhook signature",
        "webhooks-and-integrations#verify-webhook-signatures",
    ),
    (
        "our webhook endpoint keeps timing out and we get the same event twice",
        "webhooks-and-integrations#webhook-requests-time-out",
    ),
    (
        "Slack notifications stopped arriving in our channel",
        "webhooks-and-integrations#slack-notifications-stopped",
    ),
    (
        "my Zapier zap is not triggering",
        "webhooks-and-integrations#zapier-zaps-not-triggering",
    ),
    (
        "the API returns 401 unauthorized",
        "api-keys#401-unauthorized-errors",
    ),
    (
        "I'm getting 429 too many requests from the API",
        "api-keys#rate-limits-and-429-errors",
    ),
    (
        "how do I rotate an API key that leaked?",
        "api-keys#rotate-or-revoke-a-key",
    ),
    (
        "how can I export a dashboard to CSV",
        "data-export#export-a-dashboard-or-widget-to-csv",
    ),
    (
        "my export of a few million rows never finishes",
        "data-export#large-exports",
    ),
    (
        "accents look garbled when I open the CSV in Excel",
        "data-export#special-characters-look-wrong-in-excel",
    ),
    (
        "I want a copy of all the personal data you hold about me under GDPR",
        "data-export#get-a-copy-of-your-personal-data-gdpr",
    ),
];

const OFF_TOPIC: &[&str] = &[
    "what's the weather in Paris",
    "can you recommend a good pizza place nearby?",
    "who won the football match yesterday",
    "tell me a joke",
    "what is the capital of Australia",
];

#[test]
fn realistic_questions_find_their_section() {
    let a = assistant();
    let mut failures = Vec::new();
    for (question, expected) in QUESTIONS {
        let r = ask(&a, question);
        let got = r.sources.first().map(String::as_str).unwrap_or("-");
        println!("{:.2}  {got:<70}  {question}", r.confidence);
        if got != *expected || r.confidence < MIN_IN_SCOPE || r.out_of_scope {
            failures.push(format!(
                "{question:?}: got {got} at {:.2}, expected {expected}",
                r.confidence
            ));
        }
        // What the customer sees is prose, never the file's markup.
        assert!(
            !r.content.contains("Actions:") && !r.content.contains("Keywords:"),
            "{}",
            r.content
        );
        assert!(
            !r.content.lines().any(|l| l.starts_with('#')),
            "{}",
            r.content
        );
        assert!(!r.actions_attempted.is_empty(), "{question}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} wrong:\n{}",
        failures.len(),
        QUESTIONS.len(),
        failures.join("\n")
    );
}

#[test]
fn off_topic_questions_are_out_of_scope() {
    let a = assistant();
    for question in OFF_TOPIC {
        let r = ask(&a, question);
        println!("{:.2}  {:?}  {question}", r.confidence, r.sources);
        assert!(r.out_of_scope && r.confidence < 0.2, "{question}: {r:?}");
        assert!(
            r.content.contains("dashboards that won't load"),
            "{}",
            r.content
        );
    }
}

/// The article's example: a frustrated customer whose dashboard won't load, walked through the
/// dashboard article one section at a time, never twice, and handed over at the end.
#[test]
fn dashboard_walkthrough_moves_on_and_ends_in_a_handoff() {
    let a = assistant();
    let mut chat = Chat::new().customer("My dashboard won't load, it's just a blank page");
    let mut seen = Vec::new();
    let mut last_confidence = f64::INFINITY;
    for turn in 0..8 {
        let (conv, msg) = chat.turn();
        let r = a.answer(&conv, &msg);
        println!(
            "{:.2} {:?} {:?}",
            r.confidence, r.actions_attempted, r.handoff
        );
        if turn == 0 {
            assert_eq!(r.actions_attempted, ["cache_clear", "browser_check"]);
        }
        if let Some(h) = &r.handoff {
            assert_eq!(h.reason, super::REASON_KB_EXHAUSTED);
            assert_eq!(h.skill.as_deref(), Some("technical"));
            assert!(seen.len() >= 4, "gave up after {seen:?}");
            return;
        }
        assert!(!seen.contains(&r.sources), "repeated {:?}", r.sources);
        assert!(
            r.confidence < last_confidence,
            "confidence should fall: {} then {}",
            last_confidence,
            r.confidence
        );
        last_confidence = r.confidence;
        seen.push(r.sources.clone());
        let followup = [
            "still not working",
            "that didn't help either",
            "ugh, nope. same thing",
        ][turn % 3];
        chat = chat.ai(&r).customer(followup);
    }
    panic!("no handoff after 8 turns: {seen:?}");
}
