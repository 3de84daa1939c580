//! Signed, expiring links that resume a customer's conversation from an e-mail.
//!
//! A link token is `<conversation id>.<expiry, unix seconds>.<signature>`, the signature being
//! HMAC-SHA256 (base64url) over `resume:<conversation id>:<expiry>` under the gateway's link key.
//! It carries no secret of the customer's: opening it gives a fresh customer token for that one
//! conversation, until it expires. Verification is constant-time and time is passed in.

use crate::domain::ids::is_plausible_id;
use crate::domain::{ConversationId, Timestamp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of a link key.
pub const KEY_BYTES: usize = 32;

/// Why a link does not resume anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not a conversation link")]
    Malformed,
    #[error("this link was not issued by us or was changed")]
    BadSignature,
    #[error("this link has expired")]
    Expired,
}

/// The key links are signed with.
#[derive(Clone)]
pub struct LinkKey([u8; KEY_BYTES]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

impl LinkKey {
    pub fn new(bytes: [u8; KEY_BYTES]) -> Self {
        Self(bytes)
    }

    fn mac(&self, id: &str, expires: i64) -> HmacSha256 {
        // Any key length is accepted by HMAC; this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable_key(),
        };
        mac.update(format!("resume:{id}:{expires}").as_bytes());
        mac
    }

    /// The token for `conversation`, valid until `expires_at`.
    pub fn sign(&self, conversation: &ConversationId, expires_at: Timestamp) -> String {
        let expires = expires_at.timestamp();
        let sig = self.mac(&conversation.0, expires).finalize().into_bytes();
        format!(
            "{}.{expires}.{}",
            conversation.0,
            URL_SAFE_NO_PAD.encode(sig)
        )
    }

    /// The conversation a token resumes at `now`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<ConversationId, LinkError> {
        let mut parts = token.trim().split('.');
        let (Some(id), Some(expires), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Malformed);
        };
        let expires: i64 = expires.parse().map_err(|_| LinkError::Malformed)?;
        if !is_plausible_id(id) {
            return Err(LinkError::Malformed);
        }
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| LinkError::Malformed)?;
        self.mac(id, expires)
            .verify_slice(&sig)
            .map_err(|_| LinkError::BadSignature)?;
        if now.timestamp() >= expires {
            return Err(LinkError::Expired);
        }
        Ok(ConversationId::from(id))
    }
}

#[cold]
fn unreachable_key() -> ! {
    // `Hmac::new_from_slice` only fails for fixed-size-key MACs; HMAC takes any length.
    panic!("HMAC rejected a key")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_link_resumes_its_conversation_until_it_expires() {
        let key = LinkKey::new([7; KEY_BYTES]);
        let now = chrono::Utc::now();
        let id = ConversationId::from("c-123");
        let token = key.sign(&id, now + TimeDelta::hours(1));
        assert_eq!(key.verify(&token, now), Ok(id.clone()));
        assert_eq!(
            key.verify(&token, now + TimeDelta::hours(1)),
            Err(LinkError::Expired)
        );
        let other = LinkKey::new([8; KEY_BYTES]);
        assert_eq!(other.verify(&token, now), Err(LinkError::BadSignature));
    }

    #[test]
    fn changed_or_garbled_links_are_refused() {
        let key = LinkKey::new([7; KEY_BYTES]);
        let now = chrono::Utc::now();
        let token = key.sign(&ConversationId::from("c-123"), now + TimeDelta::hours(1));
        let (id, rest) = token.split_once('.').unwrap();
        let (exp, sig) = rest.split_once('.').unwrap();
        let later: i64 = exp.parse::<i64>().unwrap() + 3600;
        assert_eq!(
            key.verify(&format!("c-124.{rest}"), now),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            key.verify(&format!("{id}.{later}.{sig}"), now),
            Err(LinkError::BadSignature),
            "a longer life cannot be granted by editing the link"
        );
        for bad in [
            "",
            "x",
            "a.b",
            "c-1.notanumber.sig",
            "c 1.1.x",
            "c-1.1.%%%",
            "a.1.b.c",
        ] {
            assert_eq!(key.verify(bad, now), Err(LinkError::Malformed), "{bad:?}");
        }
    }
}
