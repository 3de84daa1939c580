//! The `[review]` configuration: what is redacted from stored transcripts and exports, how long
//! recordings are kept, and where `handoff_completed` webhooks go.

use serde::{Deserialize, Serialize};

/// A `[review]` value that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReviewConfigError {
    #[error("review.webhook_urls: {0:?} is not an http:// or https:// URL")]
    WebhookUrl(String),
    #[error("review.webhook_secret must be set (at least 16 characters) when webhook_urls are")]
    WebhookSecret,
    #[error("review.webhook_max_attempts must be between 1 and 50")]
    Attempts,
    #[error("review.webhook_timeout_ms must be between 100 and 60000")]
    Timeout,
    #[error("review.retention_days must be 0 (keep forever) or a positive number of days")]
    RetentionDays,
    #[error("review.retention_check_secs must be between 1 and 86400")]
    RetentionCheck,
}

/// Which kinds of personal data are replaced in stored transcripts and in exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactConfig {
    /// Card numbers (Luhn-valid, 13-19 digits) become `[card •••• 1234]`.
    pub cards: bool,
    /// E-mail addresses become `[email]`.
    pub emails: bool,
    /// Phone numbers become `[phone]`.
    pub phones: bool,
}

impl Default for RedactConfig {
    fn default() -> Self {
        Self {
            cards: true,
            emails: true,
            phones: true,
        }
    }
}

/// The `[review]` section.
///
/// ```toml
/// [review]
/// retention_days = 90          # recordings older than this are deleted; 0 keeps them
/// webhook_urls = ["https://helpdesk.example.com/hooks/warmline"]
/// webhook_secret = "a long random string"   # signs X-Warmline-Signature
///
/// [review.redact]
/// cards = true
/// emails = true
/// phones = true
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewConfig {
    pub redact: RedactConfig,
    /// Days a call's recording files are kept after the call (fractions allowed); 0 keeps them
    /// forever. The transcript and the handoff metrics are kept either way.
    pub retention_days: f64,
    /// How often the retention job looks for expired recordings, in seconds.
    pub retention_check_secs: u64,
    /// Where `handoff_completed` is POSTed (JSON, signed with HMAC-SHA256).
    pub webhook_urls: Vec<String>,
    /// The HMAC key for `X-Warmline-Signature: sha256=<hex>` over the raw body.
    pub webhook_secret: Option<String>,
    pub webhook_timeout_ms: u64,
    /// Attempts per delivery (exponential back-off from 5 s) before giving up.
    pub webhook_max_attempts: u32,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        Self {
            redact: RedactConfig::default(),
            retention_days: 90.0,
            retention_check_secs: 3600,
            webhook_urls: Vec::new(),
            webhook_secret: None,
            webhook_timeout_ms: 5000,
            webhook_max_attempts: 8,
        }
    }
}

// Written by hand so that logging the config never prints the webhook secret.
impl std::fmt::Debug for ReviewConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewConfig")
            .field("redact", &self.redact)
            .field("retention_days", &self.retention_days)
            .field("retention_check_secs", &self.retention_check_secs)
            .field("webhook_urls", &self.webhook_urls)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("webhook_timeout_ms", &self.webhook_timeout_ms)
            .field("webhook_max_attempts", &self.webhook_max_attempts)
            .finish()
    }
}

impl super::Redactor {
    /// The redactor `[review.redact]` asks for.
    pub fn from_config(c: &RedactConfig) -> Self {
        Self {
            card: c.cards,
            email: c.emails,
            phone: c.phones,
        }
    }
}

impl ReviewConfig {
    pub fn validate(&self) -> Result<(), ReviewConfigError> {
        for url in &self.webhook_urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ReviewConfigError::WebhookUrl(url.clone()));
            }
        }
        let secret_ok = self.webhook_secret.as_ref().is_some_and(|s| s.len() >= 16);
        if !self.webhook_urls.is_empty() && !secret_ok {
            return Err(ReviewConfigError::WebhookSecret);
        }
        if !(1..=50).contains(&self.webhook_max_attempts) {
            return Err(ReviewConfigError::Attempts);
        }
        if !(100..=60_000).contains(&self.webhook_timeout_ms) {
            return Err(ReviewConfigError::Timeout);
        }
        if !(self.retention_days.is_finite() && self.retention_days >= 0.0) {
            return Err(ReviewConfigError::RetentionDays);
        }
        if !(1..=86_400).contains(&self.retention_check_secs) {
            return Err(ReviewConfigError::RetentionCheck);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_webhooks_need_a_secret() {
        assert_eq!(ReviewConfig::default().validate(), Ok(()));
        let mut c = ReviewConfig {
            webhook_urls: vec!["https://example.com/hook".into()],
            ..ReviewConfig::default()
        };
        assert_eq!(c.validate(), Err(ReviewConfigError::WebhookSecret));
        c.webhook_secret = Some("0123456789abcdef".into());
        assert_eq!(c.validate(), Ok(()));
        c.webhook_urls.push("ftp://x".into());
        assert!(matches!(
            c.validate(),
            Err(ReviewConfigError::WebhookUrl(_))
        ));
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }
}
