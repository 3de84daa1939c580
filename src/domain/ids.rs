//! Identifier newtypes. Ids are opaque strings on the wire (the article's example uses ids such as
//! `uuid-12345`), generated here as UUIDv7 so they sort by creation time.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(format!(concat!($prefix, "{}"), uuid::Uuid::now_v7()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

string_id!(
    /// A conversation.
    ConversationId, ""
);
string_id!(
    /// One message inside a conversation.
    MessageId, "msg-"
);
string_id!(
    /// An agent, manager or bot account.
    UserId, "usr-"
);
string_id!(
    /// A participant of a conversation (customer, assistant, agent).
    ParticipantId, "par-"
);

impl UserId {
    /// How this staff member appears to the customer of `conversation`: the same alias in every
    /// event and frame of that conversation (so the page can put a name to each message), but not
    /// the account id, and different in every conversation.
    pub fn alias_in(&self, conversation: &ConversationId) -> UserId {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new()
            .chain_update(conversation.0.as_bytes())
            .chain_update([0u8])
            .chain_update(self.0.as_bytes())
            .finalize();
        UserId(format!("agent-{}", hex::encode(&digest[..8])))
    }
}

/// Longest id accepted from a client; longer ones are rejected before any lookup.
pub const MAX_ID_LEN: usize = 128;

/// True when `s` could be an id we issued or accept: non-empty, short, no control characters.
pub fn is_plausible_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
