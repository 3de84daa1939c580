//! Masking cards, e-mail addresses and phone numbers, and leaving everything else alone.

use crate::domain::{Message, Speaker, TranscriptSegment};
use crate::review::Redactor;
use std::borrow::Cow;

use super::fixtures::at;

const MASKED: &[(&str, &str)] = &[
    (
        "my card is 4111 1111 1111 1111 exp 12/27",
        "my card is [card •••• 1111] exp 12/27",
    ),
    ("card: 4111-1111-1111-1111.", "card: [card •••• 1111]."),
    (
        "amex 3782 822463 10005 please",
        "amex [card •••• 0005] please",
    ),
    ("number 4012888888881881", "number [card •••• 1881]"),
    (
        "mail me at priya.raman+billing@acme.co.uk!",
        "mail me at [email]!",
    ),
    (
        "call +1 415 555 0134 or (415) 555-0134",
        "call [phone] or [phone]",
    ),
    ("my mobile is 07700 900123", "my mobile is [phone]"),
    ("reach me on +44 20 7946 0958.", "reach me on [phone]."),
    ("it's 415.555.0134", "it's [phone]"),
    (
        "I'm priya@acme.io, +49 30 1234567, card 5555 5555 5555 4444",
        "I'm [email], [phone], card [card •••• 4444]",
    ),
];

const UNTOUCHED: &[&str] = &[
    "order ORD-12345 and ORD-123-4567",
    "charged twice on 2026-11-27 at 10:30, and again 27/11/2026",
    "I paid $1,234.56 and then €49.00",
    "the card 4111 1111 1111 1112 fails Luhn",
    "request req_8HqK2 for acct_9f2k, invoice INV-2041",
    "server 10.0.0.12 running version 1.24.3",
    "order #48213 and ticket #7781",
    "a long id 12345678901234567890123",
    "nothing personal here",
];

#[test]
fn masks_cards_emails_and_phones() {
    let r = Redactor::default();
    for (text, want) in MASKED {
        assert_eq!(r.redact(text), *want, "{text:?}");
    }
}

#[test]
fn leaves_ids_dates_times_amounts_and_non_cards_alone() {
    let r = Redactor::default();
    for text in UNTOUCHED {
        assert!(
            matches!(r.redact(text), Cow::Borrowed(_)),
            "{text:?} -> {}",
            r.redact(text)
        );
    }
}

#[test]
fn each_kind_can_be_switched_off() {
    let text = "priya@acme.io, +1 415 555 0134, 4111 1111 1111 1111";
    let only = |card, email, phone| Redactor { card, email, phone }.redact(text).into_owned();
    assert_eq!(
        only(false, true, false),
        "[email], +1 415 555 0134, 4111 1111 1111 1111"
    );
    // A card number is never taken for a phone number, even with card masking off.
    assert_eq!(
        only(false, false, true),
        "priya@acme.io, [phone], 4111 1111 1111 1111"
    );
    assert_eq!(
        only(true, false, false),
        "priya@acme.io, +1 415 555 0134, [card •••• 1111]"
    );
    assert_eq!(Redactor::none().redact(text), text);
}

#[test]
fn redacts_messages_and_transcript_lines_in_place() {
    let r = Redactor::default();
    let mut m = Message::new(Speaker::Customer, "email me: priya@acme.io", at(0));
    r.redact_message(&mut m);
    assert_eq!(m.content, "email me: [email]");
    let mut s = TranscriptSegment {
        participant_id: "par-1".into(),
        speaker: Speaker::Customer,
        name: "Priya".into(),
        start_ms: 0,
        end_ms: 900,
        text: "my number is 415 555 0134".into(),
        confidence: 0.9,
    };
    r.redact_segment(&mut s);
    assert_eq!(s.text, "my number is [phone]");
}

#[test]
fn redacts_the_text_events_carry() {
    use crate::domain::{ConversationEvent, EventBody};
    let r = Redactor::default();
    let mut event = ConversationEvent {
        conversation_id: "conv-1".into(),
        seq: 3,
        timestamp: at(0),
        body: EventBody::Message {
            message: Message::new(Speaker::Customer, "card 4111111111111111", at(0)),
            routing_skill: None,
        },
    };
    r.redact_event(&mut event);
    assert_eq!(
        event.body.message().map(|m| m.content.as_str()),
        Some("card [card •••• 1111]")
    );
    let mut other = ConversationEvent {
        body: EventBody::HandedBack {
            reason: "call me on 415 555 0134".into(),
        },
        ..event
    };
    let before = other.clone();
    r.redact_event(&mut other);
    assert_eq!(
        other, before,
        "only message and transcript text is redacted"
    );
}
