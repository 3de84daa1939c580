//! The `[media]` configuration: where the media server binds, which UDP ports it may use, what
//! address browsers should reach it at, and the ICE servers browsers are given.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A `[media]` value that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MediaConfigError {
    #[error("media.udp_port_min ({0}) must be at most media.udp_port_max ({1}) and not 0")]
    PortRange(u16, u16),
    #[error("media.max_call_members must be between 2 and 16")]
    Members,
    #[error("media.turn needs at least one url and a secret")]
    Turn,
    #[error("media.turn.ttl_secs must be between 60 and 86400")]
    TurnTtl,
}

/// STUN or TURN servers for browsers, as in `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IceServerConfig {
    pub urls: Vec<String>,
}

/// A TURN server using coturn's shared-secret REST scheme (`use-auth-secret`,
/// `static-auth-secret`): browsers get short-lived credentials derived from the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnConfig {
    pub urls: Vec<String>,
    pub secret: String,
    #[serde(default = "default_turn_ttl")]
    pub ttl_secs: u64,
}

fn default_turn_ttl() -> u64 {
    3600
}

/// The `[media]` section.
///
/// ```toml
/// [media]
/// bind_address = "10.0.0.5"      # the interface browsers' packets arrive on
/// public_ip = "203.0.113.7"      # behind 1:1 NAT: the address to announce
/// udp_port_min = 40000
/// udp_port_max = 40999
/// recording = true             # per-member Ogg/WebM files and a mixed Ogg per call
/// [[media.ice_servers]]
/// urls = ["stun:stun.example.com:3478"]
/// [media.turn]
/// urls = ["turn:turn.example.com:3478?transport=udp"]
/// secret = "same as coturn's static-auth-secret"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Calls on or off.
    pub enabled: bool,
    /// The address the media sockets bind. A specific address: `0.0.0.0` would hide the
    /// loopback candidates local browsers need.
    pub bind_address: IpAddr,
    /// Announced instead of `bind_address` when the server sits behind a 1:1 NAT.
    pub public_ip: Option<IpAddr>,
    /// Every connection binds its own UDP socket in this range.
    pub udp_port_min: u16,
    pub udp_port_max: u16,
    pub ice_servers: Vec<IceServerConfig>,
    pub turn: Option<TurnConfig>,
    /// Most people in one call.
    pub max_call_members: usize,
    /// A started call nobody joins within this many seconds is ended (`nobody_joined`), so a
    /// cancelled start does not leave a live call behind.
    pub unjoined_call_secs: u64,
    /// Record calls (per member and track, plus the mixed audio) under
    /// `<data_dir>/recordings/`. Members are told whether a call is recorded.
    pub recording: bool,
    /// Calls customers may hold at once while no agent is in their conversation (each holds a
    /// media port): beyond it a customer is asked to keep chatting, so anonymous callers cannot
    /// fill the port range. Calls with an agent never count. 0 refuses them.
    pub max_calls_without_agent: usize,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            bind_address: IpAddr::from([127, 0, 0, 1]),
            public_ip: None,
            udp_port_min: 40000,
            udp_port_max: 40999,
            ice_servers: Vec::new(),
            turn: None,
            max_call_members: 6,
            unjoined_call_secs: 120,
            recording: true,
            max_calls_without_agent: 50,
        }
    }
}

impl MediaConfig {
    pub fn validate(&self) -> Result<(), MediaConfigError> {
        if self.udp_port_min == 0 || self.udp_port_min > self.udp_port_max {
            return Err(MediaConfigError::PortRange(
                self.udp_port_min,
                self.udp_port_max,
            ));
        }
        if !(2..=16).contains(&self.max_call_members) {
            return Err(MediaConfigError::Members);
        }
        if let Some(t) = &self.turn {
            if t.urls.is_empty() || t.secret.is_empty() {
                return Err(MediaConfigError::Turn);
            }
            if !(60..=86_400).contains(&t.ttl_secs) {
                return Err(MediaConfigError::TurnTtl);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert_eq!(MediaConfig::default().validate(), Ok(()));
        let bad = MediaConfig {
            udp_port_min: 5000,
            udp_port_max: 4000,
            ..MediaConfig::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("udp_port_min"));
        let turn = MediaConfig {
            turn: Some(TurnConfig {
                urls: vec![],
                secret: "s".into(),
                ttl_secs: 600,
            }),
            ..MediaConfig::default()
        };
        assert_eq!(turn.validate(), Err(MediaConfigError::Turn));
    }
}
