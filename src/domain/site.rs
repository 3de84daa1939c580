//! Sites: the websites that embed the chat widget. Each has an id (public, in the snippet), the
//! origins allowed to embed and call it, a signing secret for the host's identity tokens, its
//! look (colour, greeting) and its own limit on new conversations.
//!
//! Contract: plain data and pure checks, no IO. An origin is `scheme://host[:port]` in lower case
//! with no path, as browsers send it in `Origin`; [`normalize_origin`] is the one place that
//! decides what is accepted. The standalone `/chat` page is the default site and is not stored.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// The site the gateway's own `/chat` page belongs to.
pub const DEFAULT_SITE: &str = "default";
/// Most origins one site may list.
pub const MAX_ORIGINS: usize = 32;

/// A website that embeds the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    pub id: String,
    pub name: String,
    /// Normalised origins (`https://app.example.com`).
    pub origins: Vec<String>,
    /// HS256 key of the host's identity tokens. Never serialised to clients.
    #[serde(skip_serializing, default)]
    pub secret: String,
    /// The launcher's and the header's colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// The first line the widget shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    /// New anonymous conversations a minute from this site; 0 means only the gateway-wide limits.
    #[serde(default)]
    pub conversations_per_minute: u32,
    pub created_at: Timestamp,
}

impl Site {
    /// Whether a request or a frame's parent from `origin` may use this site.
    pub fn allows(&self, origin: &str) -> bool {
        normalize_origin(origin).is_ok_and(|o| self.origins.iter().any(|a| a == &o))
    }

    /// What the widget on the host page may know: no origins, no secret.
    pub fn public(&self) -> PublicSite {
        PublicSite {
            id: self.id.clone(),
            name: self.name.clone(),
            color: self.color.clone(),
            greeting: self.greeting.clone(),
        }
    }

    /// The `frame-ancestors` source list of the widget frame for this site.
    pub fn frame_ancestors(&self) -> String {
        if self.origins.is_empty() {
            "'none'".into()
        } else {
            self.origins.join(" ")
        }
    }
}

/// A site as the widget sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicSite {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
}

/// What is wrong with a site's settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    #[error("origin {0:?} must be scheme://host[:port] with http or https and no path")]
    BadOrigin(String),
    #[error("a site needs 1 to {MAX_ORIGINS} origins")]
    OriginCount,
    #[error("the site name must be 1-80 characters")]
    BadName,
    #[error("the colour must be #rrggbb")]
    BadColor,
    #[error("the greeting must be at most 280 characters")]
    BadGreeting,
    #[error("the site id must be 1-64 letters, digits, '-' or '_'")]
    BadId,
    #[error("the site secret must be at least {MIN_SECRET_BYTES} characters (e.g. `openssl rand -hex 32`)")]
    WeakSecret,
}

/// Shortest signing secret accepted for a site declared in the configuration file: HS256 keys
/// shorter than the hash are guessable offline from one token.
pub const MIN_SECRET_BYTES: usize = 32;

/// A site declared in the configuration file (`[[sites]]`): the same settings as
/// `warmline sites add`, plus the id and secret, which the operator chooses so that the snippet
/// and the host's signing code keep working across reinstalls. Applied at every start.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub id: String,
    pub name: String,
    pub origins: Vec<String>,
    pub secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    #[serde(default)]
    pub conversations_per_minute: u32,
}

impl SiteConfig {
    /// The site it declares, checked; `now` is its creation time if it is new.
    pub fn to_site(&self, now: Timestamp) -> Result<Site, SiteError> {
        let id = self.id.trim();
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && id != DEFAULT_SITE;
        if !id_ok {
            return Err(SiteError::BadId);
        }
        if self.secret.len() < MIN_SECRET_BYTES {
            return Err(SiteError::WeakSecret);
        }
        let (name, origins) = validate(
            &self.name,
            &self.origins,
            self.color.as_deref(),
            self.greeting.as_deref(),
        )?;
        Ok(Site {
            id: id.to_owned(),
            name,
            origins,
            secret: self.secret.clone(),
            color: self.color.as_ref().map(|c| c.to_ascii_lowercase()),
            greeting: self
                .greeting
                .as_ref()
                .map(|g| g.trim().to_owned())
                .filter(|g| !g.is_empty()),
            conversations_per_minute: self.conversations_per_minute,
            created_at: now,
        })
    }
}

/// `https://App.Example.com:443/` → `https://app.example.com`. Refuses paths, queries, user info,
/// wildcards and schemes other than http and https.
pub fn normalize_origin(raw: &str) -> Result<String, SiteError> {
    let bad = || SiteError::BadOrigin(raw.chars().take(200).collect());
    let s = raw.trim().trim_end_matches('/');
    let (scheme, rest) = s.split_once("://").ok_or_else(bad)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad());
    }
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', '*', ' ']) {
        return Err(bad());
    }
    let rest = rest.to_ascii_lowercase();
    let (host, port) = match rest.rsplit_once(':') {
        // IPv6 literals keep their colons inside brackets.
        Some((h, p)) if !p.contains(']') => (h.to_owned(), Some(p.to_owned())),
        _ => (rest.clone(), None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    if !host_ok {
        return Err(bad());
    }
    let port = match port {
        None => None,
        Some(p) => {
            let n: u16 = p.parse().map_err(|_| bad())?;
            let default = (scheme == "http" && n == 80) || (scheme == "https" && n == 443);
            (!default).then_some(n)
        }
    };
    Ok(match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Checks and normalises a site's settings.
pub fn validate(
    name: &str,
    origins: &[String],
    color: Option<&str>,
    greeting: Option<&str>,
) -> Result<(String, Vec<String>), SiteError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(SiteError::BadName);
    }
    if origins.is_empty() || origins.len() > MAX_ORIGINS {
        return Err(SiteError::OriginCount);
    }
    let mut out: Vec<String> = Vec::new();
    for o in origins {
        let o = normalize_origin(o)?;
        if !out.contains(&o) {
            out.push(o);
        }
    }
    if let Some(c) = color {
        let hex = c.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(SiteError::BadColor);
        }
    }
    if greeting.is_some_and(|g| g.chars().count() > 280) {
        return Err(SiteError::BadGreeting);
    }
    Ok((name.to_owned(), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_as_browsers_send_them() {
        let ok = |s: &str| normalize_origin(s).unwrap();
        assert_eq!(ok("https://App.Example.com/"), "https://app.example.com");
        assert_eq!(ok("https://app.example.com:443"), "https://app.example.com");
        assert_eq!(ok("http://localhost:8080"), "http://localhost:8080");
        assert_eq!(ok("http://[::1]:3000"), "http://[::1]:3000");
        for bad in [
            "app.example.com",
            "ftp://app.example.com",
            "https://app.example.com/path",
            "https://*.example.com",
            "https://user@app.example.com",
            "https://app.example.com:99999",
            "https://",
            "null",
            "javascript://x",
        ] {
            assert!(normalize_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_site_allows_only_its_origins() {
        let (_, origins) = validate(
            "Acme",
            &["https://app.acme.io".into(), "https://APP.acme.io/".into()],
            Some("#0f6f67"),
            None,
        )
        .unwrap();
        assert_eq!(origins, ["https://app.acme.io"]);
        let site = Site {
            id: "site_1".into(),
            name: "Acme".into(),
            origins,
            secret: "s".into(),
            color: None,
            greeting: None,
            conversations_per_minute: 0,
            created_at: chrono::Utc::now(),
        };
        assert!(site.allows("https://app.acme.io"));
        assert!(!site.allows("https://app.acme.io.evil.com"));
        assert!(!site.allows("http://app.acme.io"));
        assert_eq!(site.frame_ancestors(), "https://app.acme.io");
        assert!(!serde_json::to_string(&site).unwrap().contains("\"secret\""));
        assert_eq!(validate("", &[], None, None), Err(SiteError::BadName));
        assert_eq!(validate("x", &[], None, None), Err(SiteError::OriginCount));
        assert_eq!(
            validate("x", &["https://a.io".into()], Some("red"), None),
            Err(SiteError::BadColor)
        );
    }
}
