//! How staff lists and searches of conversations are asked for: the search terms built from what
//! a person typed (bound values only, never SQL text) and the opaque cursor that continues a page.

/// What a staff search looks for: words in messages (a full-text query: every word, each as a
/// prefix), the same text inside the customer's name or e-mail, and a tag. Built from what a
/// person typed; nothing of it reaches SQL but as bound values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchTerms {
    /// The full-text query, e.g. `"refund"* "inv"*`.
    pub words: Option<String>,
    /// A `LIKE` pattern (`%`, `_` and `\` escaped with `\`) for the customer's name and e-mail.
    pub contains: Option<String>,
    pub tag: Option<String>,
}

impl SearchTerms {
    /// Words searched at most.
    pub const MAX_WORDS: usize = 8;

    /// `None` when there is nothing to search for.
    pub fn new(text: Option<&str>, tag: Option<&str>) -> Option<Self> {
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        let tag = tag
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty());
        if text.is_none() && tag.is_none() {
            return None;
        }
        let words = text.and_then(|t| {
            let words: Vec<String> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .take(Self::MAX_WORDS)
                .map(|w| format!("\"{}\"*", w.to_lowercase()))
                .collect();
            (!words.is_empty()).then(|| words.join(" "))
        });
        let contains = text.map(|t| {
            let escaped: String = t
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            format!("%{escaped}%")
        });
        Some(Self {
            words,
            contains,
            tag,
        })
    }
}

/// Where a conversation list continues: the last row's update time and id (the list's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub updated_at_ms: i64,
    pub id: String,
}

impl ListCursor {
    /// `<milliseconds>.<id>`, opaque to clients.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.updated_at_ms, self.id)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (ms, id) = s.split_once('.')?;
        let updated_at_ms = ms.parse().ok()?;
        crate::domain::ids::is_plausible_id(id).then(|| Self {
            updated_at_ms,
            id: id.to_owned(),
        })
    }
}
