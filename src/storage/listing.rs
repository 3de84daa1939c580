//! How staff lists and searches of conversations are asked for: the search terms built from what
//! a person typed (bound values only, never SQL text) and the opaque cursor that continues a page.

/// What a staff search looks for: words in messages (every word, each as a prefix), the same
/// text inside the customer's name or e-mail, and a tag. Built from what a person typed; nothing
/// of it reaches SQL but as bound values, and each store phrases the words in its own full-text
/// syntax ([`SearchTerms::fts5_query`], [`SearchTerms::tsquery`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchTerms {
    /// Lowercased words (letters and digits only), at most [`SearchTerms::MAX_WORDS`].
    pub words: Vec<String>,
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
        let words = text
            .map(|t| {
                t.split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .take(Self::MAX_WORDS)
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
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

    /// The words as an SQLite FTS5 query: `"refund"* "inv"*` (every word, each as a prefix).
    pub fn fts5_query(&self) -> Option<String> {
        (!self.words.is_empty()).then(|| {
            self.words
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    /// The words as a Postgres `tsquery`: `'refund':* & 'inv':*`. Words hold only letters and
    /// digits, so nothing in them is `tsquery` syntax.
    pub fn tsquery(&self) -> Option<String> {
        (!self.words.is_empty()).then(|| {
            self.words
                .iter()
                .map(|w| format!("'{w}':*"))
                .collect::<Vec<_>>()
                .join(" & ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_prefix_queries_in_each_syntax() {
        let t = SearchTerms::new(Some("Refund, INV-42 \"x' OR 1"), None).unwrap();
        assert_eq!(t.words, ["refund", "inv", "42", "x", "or", "1"]);
        assert_eq!(
            t.fts5_query().as_deref(),
            Some(r#""refund"* "inv"* "42"* "x"* "or"* "1"*"#)
        );
        assert_eq!(
            t.tsquery().as_deref(),
            Some("'refund':* & 'inv':* & '42':* & 'x':* & 'or':* & '1':*")
        );
        assert_eq!(t.contains.as_deref(), Some("%Refund, INV-42 \"x' OR 1%"));
        let tag_only = SearchTerms::new(None, Some(" Billing ")).unwrap();
        assert!(tag_only.words.is_empty() && tag_only.fts5_query().is_none());
        assert_eq!(tag_only.tag.as_deref(), Some("billing"));
        assert!(SearchTerms::new(Some("  "), None).is_none());
    }
}
