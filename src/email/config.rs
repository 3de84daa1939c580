//! The `[email]` configuration section. E-mail is off until `smtp_host` and `from` are set; then
//! the customer page offers the follow-up and transcript forms.

use serde::{Deserialize, Serialize};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP (a relay on the same host or network, a test sink).
    #[serde(rename = "none")]
    Plain,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte ("SMTPS", port 465).
    Tls,
}

impl TlsMode {
    pub fn default_port(self) -> u16 {
        match self {
            Self::Plain => 25,
            Self::Starttls => 587,
            Self::Tls => 465,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// The SMTP server. Unset: e-mail is off.
    pub smtp_host: Option<String>,
    /// Its port; by default 25, 587 or 465 for `tls` = none, starttls or tls.
    pub smtp_port: Option<u16>,
    /// `none`, `starttls` (default) or `tls`.
    pub tls: TlsMode,
    /// SMTP login, when the server wants one (both or neither).
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `Brightboard Support <support@example.com>`; its name is the signature.
    pub from: Option<String>,
    /// The base URL of links in e-mails (the customer page is `<public_url>/chat`); the gateway's
    /// `public_url` when unset, else the address it listens on.
    pub public_url: Option<String>,
    /// Agents' replies within this many seconds of each other go out as one e-mail...
    pub batch_window_secs: u64,
    /// ...but none waits longer than this after the first reply of the batch.
    pub batch_max_wait_secs: u64,
    /// How long the link in an e-mail resumes the conversation.
    pub link_ttl_hours: u32,
    /// Attempts per e-mail before it is recorded as failed.
    pub max_attempts: u32,
    /// The first retry waits this long; each next one twice as long, up to `retry_max_secs`.
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    /// Longest an SMTP exchange may take.
    pub timeout_secs: u64,
    /// Transcripts one conversation may ask for per hour.
    pub transcripts_per_conversation_per_hour: u32,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp_host: None,
            smtp_port: None,
            tls: TlsMode::default(),
            username: None,
            password: None,
            from: None,
            public_url: None,
            batch_window_secs: 60,
            batch_max_wait_secs: 300,
            link_ttl_hours: 24 * 7,
            max_attempts: 8,
            retry_base_secs: 30,
            retry_max_secs: 3600,
            timeout_secs: 30,
            transcripts_per_conversation_per_hour: 3,
        }
    }
}

impl EmailConfig {
    /// True when an SMTP server and a sender are configured.
    pub fn enabled(&self) -> bool {
        self.smtp_host
            .as_deref()
            .is_some_and(|h| !h.trim().is_empty())
            && self.from.is_some()
    }

    pub fn port(&self) -> u16 {
        self.smtp_port.unwrap_or(self.tls.default_port())
    }

    /// The name letters are signed with: the sender's display name, else "Support".
    pub fn signature(&self) -> String {
        self.from
            .as_deref()
            .and_then(|f| f.split_once('<'))
            .map(|(name, _)| name.trim().trim_matches('"').trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Support".to_owned())
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.smtp_host.is_some() && self.from.is_none() {
            return Err("`from` is required with `smtp_host`".into());
        }
        if let Some(from) = &self.from {
            from.parse::<lettre::message::Mailbox>()
                .map_err(|e| format!("`from` {from:?} is not an address: {e}"))?;
        }
        if self.username.is_some() != self.password.is_some() {
            return Err("`username` and `password` go together".into());
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err("`public_url` must start with http:// or https://".into());
            }
        }
        if self.batch_max_wait_secs < self.batch_window_secs {
            return Err("`batch_max_wait_secs` must be at least `batch_window_secs`".into());
        }
        if self.link_ttl_hours == 0 || self.max_attempts == 0 || self.timeout_secs == 0 {
            return Err(
                "`link_ttl_hours`, `max_attempts` and `timeout_secs` must be positive".into(),
            );
        }
        if self.retry_base_secs == 0 || self.retry_max_secs < self.retry_base_secs {
            return Err("retries need 0 < `retry_base_secs` <= `retry_max_secs`".into());
        }
        if self.transcripts_per_conversation_per_hour == 0 {
            return Err("`transcripts_per_conversation_per_hour` must be positive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_until_a_server_and_a_sender_are_set() {
        let mut c = EmailConfig::default();
        assert!(!c.enabled());
        c.validate().unwrap();
        c.smtp_host = Some("smtp.example.com".into());
        assert!(c.validate().is_err(), "a server without a sender");
        c.from = Some("Brightboard Support <support@example.com>".into());
        c.validate().unwrap();
        assert!(c.enabled());
        assert_eq!(c.port(), 587);
        c.tls = TlsMode::Tls;
        assert_eq!(c.port(), 465);
        assert_eq!(c.signature(), "Brightboard Support");
        c.from = Some("support@example.com".into());
        assert_eq!(c.signature(), "Support");
        c.from = Some("not an address".into());
        assert!(c.validate().is_err());
    }

    #[test]
    fn the_tls_mode_is_spelled_as_documented() {
        for (word, mode) in [
            ("none", TlsMode::Plain),
            ("starttls", TlsMode::Starttls),
            ("tls", TlsMode::Tls),
        ] {
            let c: EmailConfig = toml::from_str(&format!("tls = \"{word}\"")).unwrap();
            assert_eq!(c.tls, mode);
        }
    }
}
