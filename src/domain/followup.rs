//! E-mail follow-ups: when nobody is online, a waiting customer leaves an e-mail address and the
//! conversation stays in the queue as an e-mail follow-up; agents' replies reach the customer by
//! e-mail while they are away. The customer can also ask for the transcript by e-mail.
//!
//! Contract (pure, time passed in through the events):
//! - [`valid_email`] is the one check of an address a customer typed: trimmed, at most 254
//!   bytes, one `@`, a dot-atom local part, a domain of letters, digits and hyphens with a dot
//!   and an alphabetic top-level label. Anything else is refused with the reason.
//! - [`outbox_entry`] decides, for each committed event, whether it owes an e-mail: an agent's
//!   chat message in a conversation that has a follow-up address (a reply), or a
//!   `transcript_email_requested` event (a transcript). The store writes the entry in the same
//!   transaction as the event, so the e-mail is as durable as the event that caused it. Whether a
//!   reply is really sent (the customer may have read it live) is decided when it is due.

use super::conversation::ConversationHeader;
use super::events::{ConversationEvent, EventBody};
use super::ids::ConversationId;
use super::message::{Channel, Speaker};
use super::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest address accepted (RFC 5321's path limit less the brackets).
pub const MAX_EMAIL_BYTES: usize = 254;

/// The address a waiting customer left, on the conversation's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    pub email: String,
    pub requested_at: Timestamp,
}

/// Why an address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    #[error("the e-mail address is empty")]
    Empty,
    #[error("the e-mail address is longer than 254 characters")]
    TooLong,
    #[error("the e-mail address needs exactly one @, with a name before it and a domain after it")]
    Shape,
    #[error("the part before the @ has characters an e-mail address cannot have")]
    LocalPart,
    #[error("the domain after the @ is not a valid domain name (like example.com)")]
    Domain,
}

/// The address as it will be used (trimmed), or why it is not one.
pub fn valid_email(raw: &str) -> Result<String, InvalidEmail> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(InvalidEmail::Empty);
    }
    if s.len() > MAX_EMAIL_BYTES {
        return Err(InvalidEmail::TooLong);
    }
    let mut parts = s.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(InvalidEmail::Shape);
    };
    if local.is_empty() || domain.is_empty() {
        return Err(InvalidEmail::Shape);
    }
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || !local.chars().all(|c| c == '.' || atom_char(c))
    {
        return Err(InvalidEmail::LocalPart);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
    if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
        return Err(InvalidEmail::Domain);
    }
    Ok(s.to_owned())
}

/// What an outbox row is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    /// Agents' replies to a customer who left an e-mail address (batched).
    Reply,
    /// The conversation's transcript, asked for by the customer.
    Transcript,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Transcript => "transcript",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reply" => Some(Self::Reply),
            "transcript" => Some(Self::Transcript),
            _ => None,
        }
    }
}

/// An e-mail a committed event owes, to be written with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub conversation_id: ConversationId,
    pub kind: OutboxKind,
    pub recipient: String,
    /// The event's `seq`: the reply's message, or how far the transcript reaches.
    pub seq: u64,
    pub at: Timestamp,
}

/// The e-mail `event` owes, given the conversation's header after it (see the module docs).
pub fn outbox_entry(header: &ConversationHeader, event: &ConversationEvent) -> Option<OutboxEntry> {
    let entry = |kind, recipient: &str| OutboxEntry {
        conversation_id: event.conversation_id.clone(),
        kind,
        recipient: recipient.to_owned(),
        seq: event.seq,
        at: event.timestamp,
    };
    match &event.body {
        EventBody::Message { message, .. }
            if message.speaker == Speaker::Agent && message.channel == Channel::Chat =>
        {
            header
                .followup
                .as_ref()
                .map(|f| entry(OutboxKind::Reply, &f.email))
        }
        EventBody::TranscriptEmailRequested { email } => Some(entry(OutboxKind::Transcript, email)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Customer, Message};

    #[test]
    fn addresses_people_type_are_accepted_and_trimmed() {
        for ok in [
            "dana@example.com",
            " Dana.Whitfield+support@mail.example.co.uk ",
            "o'neil@example.ie",
            "x@a-b.io",
        ] {
            assert_eq!(valid_email(ok), Ok(ok.trim().to_owned()), "{ok}");
        }
    }

    #[test]
    fn everything_else_is_refused_with_its_reason() {
        use InvalidEmail::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("dana", Shape),
            ("dana@", Shape),
            ("@example.com", Shape),
            ("a@b@example.com", Shape),
            ("da na@example.com", LocalPart),
            (".dana@example.com", LocalPart),
            ("da..na@example.com", LocalPart),
            ("dana@localhost", Domain),
            ("dana@example", Domain),
            ("dana@example.c", Domain),
            ("dana@exa_mple.com", Domain),
            ("dana@-example.com", Domain),
            ("dana@example..com", Domain),
            ("dana@example.com\r\nBcc: x@y.com", Shape),
            ("dana@example.com\r\nSubject: hi", Domain),
            ("dana@example.123", Domain),
        ];
        for (raw, why) in cases {
            assert_eq!(valid_email(raw), Err(why), "{raw:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(valid_email(&long), Err(TooLong));
    }

    fn event(seq: u64, body: EventBody) -> ConversationEvent {
        ConversationEvent {
            conversation_id: ConversationId::from("c-1"),
            seq,
            timestamp: chrono::Utc::now(),
            body,
        }
    }

    fn said(speaker: Speaker, channel: Channel) -> EventBody {
        let mut message = Message::new(speaker, String::from("hello"), chrono::Utc::now());
        message.channel = channel;
        EventBody::Message {
            message,
            routing_skill: None,
        }
    }

    #[test]
    fn only_agent_chat_replies_of_a_follow_up_and_transcript_requests_owe_mail() {
        let now = chrono::Utc::now();
        let mut h = ConversationHeader::new(ConversationId::from("c-1"), Customer::default(), now);
        assert_eq!(
            outbox_entry(&h, &event(5, said(Speaker::Agent, Channel::Chat))),
            None,
            "no address left: nothing to send"
        );
        h.apply(&event(
            6,
            EventBody::FollowupRequested {
                email: "dana@example.com".into(),
            },
        ));
        assert_eq!(h.followup.as_ref().unwrap().email, "dana@example.com");
        let reply = outbox_entry(&h, &event(7, said(Speaker::Agent, Channel::Chat))).unwrap();
        assert_eq!(
            (reply.kind, reply.recipient.as_str(), reply.seq),
            (OutboxKind::Reply, "dana@example.com", 7)
        );
        for speaker in [Speaker::Customer, Speaker::Ai, Speaker::System] {
            assert_eq!(
                outbox_entry(&h, &event(8, said(speaker, Channel::Chat))),
                None
            );
        }
        assert_eq!(
            outbox_entry(&h, &event(9, said(Speaker::Agent, Channel::Voice))),
            None,
            "words said on a call are not replies to mail"
        );
        let note = EventBody::NoteAdded {
            agent_id: crate::domain::UserId::from("u-1"),
            agent_name: "Sam".into(),
            text: "internal".into(),
        };
        assert_eq!(outbox_entry(&h, &event(10, note)), None);
        let transcript = EventBody::TranscriptEmailRequested {
            email: "other@example.org".into(),
        };
        let t = outbox_entry(&h, &event(11, transcript)).unwrap();
        assert_eq!(
            (t.kind, t.recipient.as_str(), t.seq),
            (OutboxKind::Transcript, "other@example.org", 11)
        );
    }
}
