//! The `[handoff.routing]` configuration section.

use super::error::RoutingError;
use crate::domain::{Customer, Urgency};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Plan-based priority: an account status word (`enterprise` matches "enterprise_vip",
    /// "Enterprise plan") and the least urgency its escalations get. Only context the site
    /// vouched for (or an integration sent) counts; an anonymous browser's claims never do.
    pub account_priority: BTreeMap<String, Urgency>,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            offer_timeout_secs: 30,
            default_handle_secs: 480,
            handle_time_samples: 50,
            account_priority: BTreeMap::from([("enterprise".to_owned(), Urgency::High)]),
        }
    }
}

impl RoutingConfig {
    /// The least urgency the customer's account status earns, if any. The status is split into
    /// words (lower case); the most urgent matching entry wins.
    pub fn account_priority(&self, customer: &Customer) -> Option<Urgency> {
        let status = customer.context.account_status.as_deref()?.to_lowercase();
        let words: Vec<&str> = status
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        self.account_priority
            .iter()
            .filter(|(word, _)| words.contains(&word.to_lowercase().as_str()))
            .map(|(_, u)| *u)
            .max()
    }

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
        if self.account_priority.keys().any(|k| k.trim().is_empty()) {
            return Err(RoutingError::InvalidConfig {
                field: "account_priority",
                problem: "has an empty account status",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerContext;

    fn with_status(s: &str) -> Customer {
        Customer {
            context: CustomerContext {
                account_status: Some(s.into()),
                ..CustomerContext::default()
            },
            ..Customer::default()
        }
    }

    #[test]
    fn an_account_status_word_sets_the_least_urgency() {
        let cfg = RoutingConfig::default();
        assert_eq!(
            cfg.account_priority(&with_status("enterprise_vip")),
            Some(Urgency::High)
        );
        assert_eq!(
            cfg.account_priority(&with_status("Enterprise plan")),
            Some(Urgency::High)
        );
        assert_eq!(cfg.account_priority(&with_status("pro-subscriber")), None);
        assert_eq!(cfg.account_priority(&with_status("notenterprise")), None);
        // An anonymous claim is kept apart (unverified_context) and never reaches this.
        let anonymous = Customer {
            unverified_context: Some(with_status("enterprise_vip").context),
            ..Customer::default()
        };
        assert_eq!(cfg.account_priority(&anonymous), None);
    }
}
