//! Conversation tags: the rule for what a tag is. Staff set a conversation's whole tag list at
//! once; each tag is trimmed and lowercased, inner spaces become `-`, and what is left must be
//! 1 to 32 letters, digits, `-` or `_`. At most `MAX_TAGS`; repeats are dropped, order kept.

/// Most tags on one conversation.
pub const MAX_TAGS: usize = 12;
const MAX_TAG_CHARS: usize = 32;

/// Why a tag list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("at most {MAX_TAGS} tags")]
    TooMany,
    #[error("tag {0:?} must be 1-32 letters, digits, '-' or '_'")]
    Invalid(String),
}

/// The tag list as stored, or why not.
pub fn normalize_tags<S: AsRef<str>>(tags: &[S]) -> Result<Vec<String>, TagError> {
    let mut out: Vec<String> = Vec::new();
    for raw in tags {
        let tag = raw
            .as_ref()
            .trim()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-");
        let chars = tag.chars().count();
        let valid = (1..=MAX_TAG_CHARS).contains(&chars)
            && tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(TagError::Invalid(raw.as_ref().chars().take(40).collect()));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(TagError::TooMany);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_lowercased_dashed_and_deduplicated_in_order() {
        assert_eq!(
            normalize_tags(&[" Refund ", "VIP customer", "refund", "billing_2026"]).unwrap(),
            vec!["refund", "vip-customer", "billing_2026"]
        );
        assert_eq!(normalize_tags::<&str>(&[]).unwrap(), Vec::<String>::new());
        assert_eq!(
            normalize_tags(&["Überweisung"]).unwrap(),
            vec!["überweisung"]
        );
    }

    #[test]
    fn bad_tags_and_too_many_are_refused() {
        assert!(matches!(normalize_tags(&[""]), Err(TagError::Invalid(_))));
        assert!(matches!(
            normalize_tags(&["   "]),
            Err(TagError::Invalid(_))
        ));
        assert!(matches!(
            normalize_tags(&["<script>"]),
            Err(TagError::Invalid(_))
        ));
        assert!(matches!(
            normalize_tags(&["a".repeat(33)]),
            Err(TagError::Invalid(_))
        ));
        let many: Vec<String> = (0..13).map(|i| format!("t{i}")).collect();
        assert_eq!(normalize_tags(&many), Err(TagError::TooMany));
        let twelve: Vec<String> = (0..12).map(|i| format!("t{i}")).collect();
        assert_eq!(normalize_tags(&twelve).unwrap().len(), 12);
    }
}
