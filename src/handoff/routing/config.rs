//! The `[handoff.routing]` configuration section.

use super::error::RoutingError;
use serde::{Deserialize, Serialize};

/// Longest offer timeout accepted: an offer nobody answers for a day is a bug, not a policy.
const MAX_OFFER_TIMEOUT_SECS: u64 = 86_400;

/// Tunables of the router. Every field has a default, so an empty section is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// How long an agent has to accept an offer before it moves on to the next agent.
    pub offer_timeout_secs: u64,
    /// Handle time assumed for a skill until real samples exist (wait estimates).
    pub default_handle_secs: u64,
    /// How many recent handle times per skill the mean is taken over.
    pub handle_time_samples: usize,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            offer_timeout_secs: 30,
            default_handle_secs: 480,
            handle_time_samples: 50,
        }
    }
}

impl RoutingConfig {
    /// Checks the values at start-up. `Router::new` never fails, so values that make no sense
    /// (a zero timeout expires every offer on the next tick) are caught here instead.
    pub fn validate(&self) -> Result<(), RoutingError> {
        if self.offer_timeout_secs == 0 || self.offer_timeout_secs > MAX_OFFER_TIMEOUT_SECS {
            return Err(RoutingError::InvalidConfig {
                field: "offer_timeout_secs",
                problem: "must be between 1 and 86400",
            });
        }
        if self.default_handle_secs == 0 {
            return Err(RoutingError::InvalidConfig {
                field: "default_handle_secs",
                problem: "must be at least 1",
            });
        }
        if self.handle_time_samples == 0 {
            return Err(RoutingError::InvalidConfig {
                field: "handle_time_samples",
                problem: "must be at least 1",
            });
        }
        Ok(())
    }
}
