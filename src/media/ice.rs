//! The ICE servers a browser is given for a call, with short-lived TURN credentials in coturn's
//! shared-secret REST scheme: `username = "<expiry unix time>:<user>"`,
//! `credential = base64(HMAC-SHA1(secret, username))`. coturn checks the signature with the same
//! secret and refuses the username once the time has passed.

use super::config::MediaConfig;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// One `RTCIceServer` for the browser (a domain type: the `call_ready` frame carries it).
pub use crate::domain::IceServer;

/// The TURN credential for `user`, valid until `expires_unix`.
pub fn turn_credential(secret: &str, user: &str, expires_unix: i64) -> (String, String) {
    let username = format!("{expires_unix}:{user}");
    // HMAC accepts keys of any length; the error case cannot happen.
    let credential = match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(username.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    (username, credential)
}

/// The ICE servers for `user` at `now_unix`: the configured STUN/TURN servers, TURN with fresh
/// credentials.
pub fn ice_servers(cfg: &MediaConfig, user: &str, now_unix: i64) -> Vec<IceServer> {
    let mut out: Vec<IceServer> = cfg
        .ice_servers
        .iter()
        .map(|s| IceServer {
            urls: s.urls.clone(),
            username: None,
            credential: None,
        })
        .collect();
    if let Some(t) = &cfg.turn {
        let expires = now_unix.saturating_add(i64::try_from(t.ttl_secs).unwrap_or(i64::MAX));
        let (username, credential) = turn_credential(&t.secret, user, expires);
        out.push(IceServer {
            urls: t.urls.clone(),
            username: Some(username),
            credential: Some(credential),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::config::TurnConfig;

    #[test]
    fn turn_credentials_follow_the_coturn_rest_scheme() {
        // Worked out with: printf '1700000000:alice' | openssl dgst -sha1 -hmac 'north' -binary | base64
        let (user, pass) = turn_credential("north", "alice", 1_700_000_000);
        assert_eq!(user, "1700000000:alice");
        assert_eq!(pass, "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
    }

    #[test]
    fn browsers_get_stun_as_configured_and_turn_with_an_expiry() {
        let cfg = MediaConfig {
            ice_servers: vec![crate::media::config::IceServerConfig {
                urls: vec!["stun:stun.example.com:3478".into()],
            }],
            turn: Some(TurnConfig {
                urls: vec!["turn:turn.example.com:3478".into()],
                secret: "s3cret".into(),
                ttl_secs: 600,
            }),
            ..MediaConfig::default()
        };
        let servers = ice_servers(&cfg, "conv-1", 1_000);
        assert_eq!(servers.len(), 2);
        assert!(servers[0].username.is_none());
        assert_eq!(servers[1].username.as_deref(), Some("1600:conv-1"));
        assert!(servers[1]
            .credential
            .as_ref()
            .is_some_and(|c| !c.is_empty()));
    }
}
