//! E-mail to customers: follow-ups when nobody was online (agents' replies, batched, with a signed
//! link back to the conversation) and transcripts on request. An engine: it imports `domain` and
//! its own `[email]` section only.
//!
//! Contract:
//! - Decisions are plain functions with time passed in ([`plan`]): when a batch of replies is
//!   due, whether it is still worth sending (the customer may have read the replies live), when a
//!   failed attempt is retried and when it is given up.
//! - Letters are composed without IO ([`compose`]): plain text and simple HTML, every piece of
//!   conversation text escaped; transcripts carry what the customer may see, never staff notes.
//! - Links that resume the customer's session are signed and expire ([`link`]): HMAC-SHA256 over
//!   the conversation id and the expiry, under a key the gateway keeps in its data directory.
//! - SMTP is at the edge ([`smtp`]), behind the [`Mailer`] trait so delivery can be tested
//!   without a server; its errors say whether retrying can help.

pub mod compose;
pub mod config;
pub mod error;
pub mod link;
pub mod plan;
pub mod smtp;

pub use compose::Letter;
pub use config::{EmailConfig, TlsMode};
pub use error::EmailError;

/// Sends one letter to one address.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, to: &str, letter: &Letter) -> Result<(), EmailError>;
}
