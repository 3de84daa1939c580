//! The messages nodes exchange over NATS: subjects and payloads. Payloads are JSON; an event
//! travels as stored, with the conversation's header after it (receivers re-check access with
//! it, as local subscribers do).

use crate::domain::{
    ConversationEvent, ConversationHeader, ConversationId, ConversationSummary, UserId,
};
use serde::{Deserialize, Serialize};

/// Subjects carry ids; anything but letters, digits, `-` and `_` (NATS's separators and
/// wildcards) keeps an id off the bus (its subscribers are then served by the position check).
fn subject_safe(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn conversation_subject(id: &ConversationId) -> Option<String> {
    subject_safe(id.as_str()).then(|| format!("wl.conv.{}", id.as_str()))
}

pub fn user_subject(user: &UserId) -> Option<String> {
    subject_safe(user.as_str()).then(|| format!("wl.user.{}", user.as_str()))
}

/// Every user's subject, for one subscription per node.
pub const ALL_USERS: &str = "wl.user.*";
pub const INBOX: &str = "wl.inbox";

/// A committed event, from `node`.
#[derive(Debug, Deserialize)]
pub struct EventMessage {
    pub node: String,
    pub event: ConversationEvent,
    pub header: ConversationHeader,
}

/// An [`EventMessage`] from the stored event JSON and the header, without re-encoding the event.
pub fn event_message(node: &str, event_json: &str, header: &ConversationHeader) -> Option<String> {
    let node = serde_json::to_string(node).ok()?;
    let header = serde_json::to_string(header).ok()?;
    Some(format!(
        r#"{{"node":{node},"event":{event_json},"header":{header}}}"#
    ))
}

/// A frame for one staff member's sockets, from `node`.
#[derive(Debug, Serialize, Deserialize)]
pub struct UserMessage {
    pub node: String,
    pub user: UserId,
    pub frame: String,
}

/// A conversation's inbox row, from `node`.
#[derive(Debug, Serialize, Deserialize)]
pub struct InboxMessage {
    pub node: String,
    pub header: ConversationHeader,
    pub summary: ConversationSummary,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Customer, EventBody, Message, Speaker};

    #[test]
    fn an_event_travels_as_stored_with_its_header() {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let id = ConversationId("c-1".into());
        let header = ConversationHeader::new(id.clone(), Customer::default(), at);
        let event = ConversationEvent {
            conversation_id: id.clone(),
            seq: 4,
            timestamp: at,
            body: EventBody::Message {
                message: Message::new(Speaker::Customer, "hi \"there\"", at),
                routing_skill: None,
            },
        };
        let json = serde_json::to_string(&event).expect("json");
        let text = event_message("node-1", &json, &header).expect("message");
        let back: EventMessage = serde_json::from_str(&text).expect("decodes");
        assert_eq!(back.node, "node-1");
        assert_eq!(back.event.seq, 4);
        assert_eq!(back.header, header);
    }

    #[test]
    fn ids_that_are_not_subject_safe_stay_off_the_bus() {
        assert_eq!(
            conversation_subject(&ConversationId("0190-ab_c".into())).as_deref(),
            Some("wl.conv.0190-ab_c")
        );
        for bad in ["", "a.b", "a*", "a>", "a b"] {
            assert!(
                conversation_subject(&ConversationId(bad.into())).is_none(),
                "{bad:?}"
            );
        }
    }
}
