//! Canned responses: replies an agent inserts by typing their shortcut (`/refund`) in the composer,
//! with fields such as `{customer}` filled in for the conversation at hand. Managers keep them.
//!
//! Everything here is plain code without IO: validating what a manager typed ([`CannedDraft::new`]),
//! searching ([`search`]) and filling the fields ([`fill`]). The agent console fills the same
//! fields in the same way (`web/agent-canned.js`).

use super::ids::UserId;
use super::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest shortcut, in characters (all ASCII).
pub const MAX_SHORTCUT: usize = 32;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// Largest body, in bytes (UTF-8).
pub const MAX_BODY_BYTES: usize = 4096;

/// A stored canned response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CannedResponse {
    pub id: String,
    /// Without the slash: `refund` is typed as `/refund`.
    pub shortcut: String,
    pub title: String,
    /// The text, with `{fields}` left unfilled.
    pub body: String,
    pub created_by: UserId,
    pub updated_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl CannedResponse {
    /// A new response from a checked draft, written by `by` at `now`.
    pub fn create(id: String, draft: CannedDraft, by: UserId, now: Timestamp) -> Self {
        Self {
            id,
            shortcut: draft.shortcut,
            title: draft.title,
            body: draft.body,
            created_by: by.clone(),
            updated_by: by,
            created_at: now,
            updated_at: now,
        }
    }

    /// This response changed to `draft` by `by` at `now`; who created it and when stay.
    pub fn edited(&self, draft: CannedDraft, by: UserId, now: Timestamp) -> Self {
        Self {
            id: self.id.clone(),
            shortcut: draft.shortcut,
            title: draft.title,
            body: draft.body,
            created_by: self.created_by.clone(),
            updated_by: by,
            created_at: self.created_at,
            updated_at: now,
        }
    }
}

/// Why a draft was refused. Each names the field it is about ([`CannedError::field`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CannedError {
    #[error("shortcut must be 1 to {MAX_SHORTCUT} characters: lowercase letters, digits and '-'")]
    BadShortcut,
    #[error("title must not be empty")]
    EmptyTitle,
    #[error("title must be at most {MAX_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error("body must not be empty")]
    EmptyBody,
    #[error("body must be at most {MAX_BODY_BYTES} bytes")]
    BodyTooLarge,
}

impl CannedError {
    /// The field the error is about: `shortcut`, `title` or `body`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::BadShortcut => "shortcut",
            Self::EmptyTitle | Self::TitleTooLong => "title",
            Self::EmptyBody | Self::BodyTooLarge => "body",
        }
    }
}

/// What a manager typed, checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedDraft {
    pub shortcut: String,
    pub title: String,
    pub body: String,
}

impl CannedDraft {
    /// Checks a draft. The shortcut is trimmed, loses a leading `/` and is lowercased (`/Refund`
    /// is `refund`); the title is trimmed; the body keeps its inner layout but loses surrounding
    /// blank space.
    pub fn new(shortcut: &str, title: &str, body: &str) -> Result<Self, CannedError> {
        let shortcut = normalize_shortcut(shortcut);
        if !is_valid_shortcut(&shortcut) {
            return Err(CannedError::BadShortcut);
        }
        let title = title.trim();
        if title.is_empty() {
            return Err(CannedError::EmptyTitle);
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(CannedError::TitleTooLong);
        }
        let body = body.trim();
        if body.is_empty() {
            return Err(CannedError::EmptyBody);
        }
        if body.len() > MAX_BODY_BYTES {
            return Err(CannedError::BodyTooLarge);
        }
        Ok(Self {
            shortcut,
            title: title.to_owned(),
            body: body.to_owned(),
        })
    }
}

/// `  /Refund ` → `refund`.
pub fn normalize_shortcut(raw: &str) -> String {
    let s = raw.trim();
    s.strip_prefix('/').unwrap_or(s).to_lowercase()
}

/// Lowercase `[a-z0-9-]{1,32}`.
pub fn is_valid_shortcut(s: &str) -> bool {
    (1..=MAX_SHORTCUT).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The canned responses matching `query` (case-insensitive, in shortcut, title or body), best
/// first: shortcuts that start with it, then shortcuts or titles that contain it, then bodies;
/// by shortcut within each. A blank query keeps them all, by shortcut.
pub fn search(items: Vec<CannedResponse>, query: &str) -> Vec<CannedResponse> {
    let q = query.trim();
    let q = q.strip_prefix('/').unwrap_or(q).to_lowercase();
    let mut ranked: Vec<(u8, CannedResponse)> = items
        .into_iter()
        .filter_map(|r| rank(&r, &q).map(|k| (k, r)))
        .collect();
    ranked.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.shortcut.cmp(&y.shortcut)));
    ranked.into_iter().map(|(_, r)| r).collect()
}

fn rank(r: &CannedResponse, q: &str) -> Option<u8> {
    if q.is_empty() || r.shortcut.starts_with(q) {
        Some(0)
    } else if r.shortcut.contains(q) || r.title.to_lowercase().contains(q) {
        Some(1)
    } else if r.body.to_lowercase().contains(q) {
        Some(2)
    } else {
        None
    }
}

/// What the fields of a body are filled with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fields<'a> {
    /// The customer's name as given, if any.
    pub customer_name: Option<&'a str>,
    /// The replying agent's display name.
    pub agent_name: Option<&'a str>,
    /// The conversation's routing skill (`billing`, `technical`, …).
    pub skill: Option<&'a str>,
}

/// The fields a body may use, for help texts.
pub const FIELDS: [&str; 4] = ["customer", "customer_full", "agent", "skill"];

/// Fills the fields of `body`:
/// - `{customer}`: the customer's first name, or "there" when unknown ("Hi {customer}" → "Hi there");
/// - `{customer_full}`: the customer's full name, or "there" when unknown;
/// - `{agent}`: the agent's first name (empty when unknown);
/// - `{skill}`: the conversation's skill in words (`account_access` → "account access").
///
/// Anything else in braces, known or not, is left exactly as typed.
pub fn fill(body: &str, fields: Fields<'_>) -> String {
    let mut out = String::with_capacity(body.len() + 32);
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after
            .find('}')
            .and_then(|close| value_of(&after[..close], fields).map(|v| (close, v)));
        match value {
            Some((close, v)) => {
                out.push_str(&v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn value_of(name: &str, f: Fields<'_>) -> Option<String> {
    let known = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Some(match name {
        "customer" => known(f.customer_name)
            .map(|n| first_name(&n))
            .unwrap_or_else(|| "there".into()),
        "customer_full" => known(f.customer_name)
            .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "there".into()),
        "agent" => known(f.agent_name)
            .map(|n| first_name(&n))
            .unwrap_or_default(),
        "skill" => known(f.skill)
            .map(|s| s.replace(['_', '-'], " "))
            .unwrap_or_else(|| "general".into()),
        _ => return None,
    })
}

fn first_name(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(shortcut: &str, title: &str, body: &str) -> CannedResponse {
        let draft = CannedDraft::new(shortcut, title, body).unwrap();
        CannedResponse::create(
            format!("id-{shortcut}"),
            draft,
            UserId::from("usr-m"),
            chrono::DateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn shortcuts_are_normalised_and_checked() {
        let d =
            CannedDraft::new("  /Refund-2 ", " Refund ", "\n Hi {customer}\n\nThanks ").unwrap();
        assert_eq!(d.shortcut, "refund-2");
        assert_eq!(d.title, "Refund");
        assert_eq!(d.body, "Hi {customer}\n\nThanks");
        for bad in ["", "/", "re fund", "refund!", "ré", "a_b", &"x".repeat(33)] {
            assert_eq!(
                CannedDraft::new(bad, "t", "b"),
                Err(CannedError::BadShortcut),
                "{bad:?}"
            );
        }
        assert!(CannedDraft::new(&"x".repeat(32), "t", "b").is_ok());
        assert!(is_valid_shortcut("a-1"));
        assert!(!is_valid_shortcut("A"));
    }

    #[test]
    fn title_and_body_are_required_and_bounded() {
        assert_eq!(
            CannedDraft::new("a", "  ", "b"),
            Err(CannedError::EmptyTitle)
        );
        assert_eq!(
            CannedDraft::new("a", &"t".repeat(101), "b"),
            Err(CannedError::TitleTooLong)
        );
        assert!(CannedDraft::new("a", &"é".repeat(100), "b").is_ok());
        assert_eq!(
            CannedDraft::new("a", "t", " \n"),
            Err(CannedError::EmptyBody)
        );
        assert!(CannedDraft::new("a", "t", &"b".repeat(4096)).is_ok());
        let err = CannedDraft::new("a", "t", &"é".repeat(2049)).unwrap_err();
        assert_eq!(err, CannedError::BodyTooLarge);
        assert_eq!(err.field(), "body");
        assert_eq!(CannedError::BadShortcut.field(), "shortcut");
    }

    #[test]
    fn fields_are_filled() {
        let f = Fields {
            customer_name: Some("  Dana   Whitfield "),
            agent_name: Some("Sam Carter"),
            skill: Some("account_access"),
        };
        assert_eq!(
            fill(
                "Hi {customer} ({customer_full}), {agent} from {skill} here.",
                f
            ),
            "Hi Dana (Dana Whitfield), Sam from account access here."
        );
        assert_eq!(fill("{customer}{customer}", f), "DanaDana");
    }

    #[test]
    fn unknown_customers_are_there() {
        let f = Fields {
            customer_name: Some("  "),
            ..Fields::default()
        };
        assert_eq!(fill("Hi {customer}!", f), "Hi there!");
        assert_eq!(fill("Hi {customer_full}!", Fields::default()), "Hi there!");
        assert_eq!(fill("{agent}|{skill}", Fields::default()), "|general");
    }

    #[test]
    fn other_braces_are_left_as_typed() {
        let f = Fields {
            customer_name: Some("Dana"),
            ..Fields::default()
        };
        for (body, want) in [
            ("{order_id} for {customer}", "{order_id} for Dana"),
            ("{Customer}", "{Customer}"),
            ("{ customer }", "{ customer }"),
            ("{{customer}}", "{Dana}"),
            ("open { brace {customer", "open { brace {customer"),
            ("}{customer}{", "}Dana{"),
            ("{}", "{}"),
            ("naïve {customer} ✓", "naïve Dana ✓"),
        ] {
            assert_eq!(fill(body, f), want, "{body:?}");
        }
    }

    #[test]
    fn search_ranks_shortcut_then_title_then_body() {
        let items = vec![
            response("thanks", "Thank you", "Glad the refund arrived."),
            response("refund", "Refund issued", "Your refund is on its way."),
            response("billing-refund", "Billing", "We looked at it."),
            response("hello", "Greeting", "Hi {customer}"),
        ];
        let shortcuts = |q: &str| -> Vec<String> {
            search(items.clone(), q)
                .into_iter()
                .map(|r| r.shortcut)
                .collect()
        };
        assert_eq!(shortcuts("REF"), ["refund", "billing-refund", "thanks"]);
        assert_eq!(shortcuts("/ref"), ["refund", "billing-refund", "thanks"]);
        assert_eq!(shortcuts("greet"), ["hello"]);
        assert_eq!(
            shortcuts(""),
            ["billing-refund", "hello", "refund", "thanks"]
        );
        assert!(shortcuts("nothing like it").is_empty());
    }

    #[test]
    fn editing_keeps_the_creator() {
        let r = response("a", "A", "a");
        let later = chrono::DateTime::UNIX_EPOCH + chrono::Duration::seconds(5);
        let e = r.edited(
            CannedDraft::new("b", "B", "b").unwrap(),
            UserId::from("usr-n"),
            later,
        );
        assert_eq!(
            (e.id.as_str(), e.shortcut.as_str(), e.created_by.as_str()),
            ("id-a", "b", "usr-m")
        );
        assert_eq!((e.updated_by.as_str(), e.updated_at), ("usr-n", later));
        assert_eq!(e.created_at, r.created_at);
    }
}
