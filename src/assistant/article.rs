//! One knowledge-base article parsed from Markdown.
//!
//! Format (see `kb/README.md`):
//!
//! ```text
//! # Title                        first non-blank line, required
//! Skill: technical               optional header lines, before any prose
//! Topic: dashboards that won't load   short label for "I can help with ..." (default: title)
//! Keywords: blank page, spinner  extra search words for the whole article (never shown)
//!
//! Optional intro prose, for people reading the file (used only when there is no section).
//!
//! ## Section heading             each section is one passage the assistant can answer with
//! Text and steps...
//! Actions: cache_clear, browser_check   troubleshooting step ids (never shown)
//! Keywords: white screen                extra search words for this section (never shown)
//! ```
//!
//! Header lines are `Key: value` with a one-word key; unknown keys are ignored so files can carry
//! their own metadata. Lines inside ``` fences are always text.

use super::error::AssistantError;
use super::plain::to_plain;

#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Stable id: the file name without `.md`.
    pub id: String,
    pub title: String,
    /// The skill a human agent needs for this topic (routes handoffs).
    pub skill: Option<String>,
    /// Short label used when listing what the assistant can help with.
    pub topic: Option<String>,
    pub keywords: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    /// Heading as a URL-ish slug, unique within the article: the `#part` of a source id.
    pub slug: String,
    /// The section's Markdown without its `Actions:`/`Keywords:` lines.
    pub body: String,
    /// `body` as chat text, rendered once at load.
    pub plain: String,
    pub actions: Vec<String>,
    pub keywords: String,
}

/// Longest action id accepted; ids are machine keys, not prose.
const MAX_ACTION_LEN: usize = 64;

pub fn parse(id: &str, markdown: &str) -> Result<Article, AssistantError> {
    let err = |msg: String| AssistantError::Kb(format!("article {id}: {msg}"));
    let mut lines = markdown.lines().skip_while(|l| l.trim().is_empty());
    let title = match lines.next().map(str::trim) {
        Some(l) if l.starts_with("# ") && l.len() > 2 => l[2..].trim().to_owned(),
        _ => return Err(err("the first line must be a '# Title'".into())),
    };

    let mut article = Article {
        id: id.to_owned(),
        title,
        skill: None,
        topic: None,
        keywords: String::new(),
        sections: Vec::new(),
    };
    let mut intro = String::new();
    let mut current: Option<SectionBuilder> = None;
    let mut in_fence = false;

    for line in lines {
        let trimmed = line.trim();
        if !in_fence {
            if let Some(heading) = trimmed.strip_prefix("## ") {
                if let Some(done) = current.take() {
                    article
                        .sections
                        .push(done.finish(&article.sections).map_err(err)?);
                }
                current = Some(SectionBuilder::new(heading.trim()));
                continue;
            }
        }
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
        }
        let meta = if in_fence { None } else { meta_line(trimmed) };
        match (&mut current, meta) {
            (None, Some((key, value))) if intro.trim().is_empty() => match key.as_str() {
                "skill" => article.skill = Some(value.to_owned()).filter(|s| !s.is_empty()),
                "topic" => article.topic = Some(value.to_owned()).filter(|s| !s.is_empty()),
                "keywords" => article.keywords = value.to_owned(),
                _ => {}
            },
            (None, _) => {
                intro.push_str(line);
                intro.push('\n');
            }
            (Some(section), Some((key, value))) if key == "actions" => {
                for action in value.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                    if !is_action_id(action) {
                        return Err(err(format!(
                            "section '{}': action id '{action}' must be lowercase letters, digits and '_'",
                            section.heading
                        )));
                    }
                    section.actions.push(action.to_owned());
                }
            }
            (Some(section), Some((key, value))) if key == "keywords" => {
                section.keywords.push_str(value);
                section.keywords.push(' ');
            }
            (Some(section), _) => {
                section.body.push_str(line);
                section.body.push('\n');
            }
        }
    }
    if let Some(done) = current.take() {
        article
            .sections
            .push(done.finish(&article.sections).map_err(err)?);
    }
    // An article without sections answers with its intro as one passage.
    if article.sections.is_empty() && !intro.trim().is_empty() {
        let mut only = SectionBuilder::new(&article.title);
        only.body = intro;
        article.sections.push(only.finish(&[]).map_err(err)?);
    }
    if article.sections.is_empty() {
        return Err(err("has no text to answer with".into()));
    }
    Ok(article)
}

struct SectionBuilder {
    heading: String,
    body: String,
    actions: Vec<String>,
    keywords: String,
}

impl SectionBuilder {
    fn new(heading: &str) -> Self {
        Self {
            heading: heading.to_owned(),
            body: String::new(),
            actions: Vec::new(),
            keywords: String::new(),
        }
    }

    fn finish(self, earlier: &[Section]) -> Result<Section, String> {
        let body = self.body.trim().to_owned();
        if body.is_empty() {
            return Err(format!("section '{}' has no text", self.heading));
        }
        let base = slug(&self.heading);
        let mut slug = base.clone();
        let mut n = 2;
        while earlier.iter().any(|s| s.slug == slug) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        Ok(Section {
            plain: to_plain(&body),
            heading: self.heading,
            slug,
            body,
            actions: self.actions,
            keywords: self.keywords.trim().to_owned(),
        })
    }
}

/// `Key: value` with a single-word key, lowercased. Prose such as "Note: ..." in a section would
/// also match, which is why only the keys the caller knows are ever treated as metadata.
fn meta_line(line: &str) -> Option<(String, &str)> {
    let (key, value) = line.split_once(':')?;
    let key = key.trim();
    if key.is_empty() || key.len() > 20 || !key.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
    {
        return None;
    }
    Some((key.to_ascii_lowercase(), value.trim()))
}

fn is_action_id(s: &str) -> bool {
    s.len() <= MAX_ACTION_LEN
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn slug(heading: &str) -> String {
    let mut out = String::new();
    for ch in heading.chars() {
        if ch.is_alphanumeric() {
            out.extend(ch.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "section".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\n# Dashboard not loading\nSkill: technical\nTopic: dashboards\nKeywords: blank page\n\nWhen the dashboard won't load.\n\n## Clear your cache\nA stale copy is the usual cause.\n\n1. Reload.\nActions: cache_clear, hard_reload\nKeywords: white screen\n\n## Clear your cache\nNote: second one.\n```\nActions: not_an_action\n```\n";

    #[test]
    fn parses_title_header_sections_and_actions() {
        let a = parse("dash", SAMPLE).unwrap();
        assert_eq!(a.title, "Dashboard not loading");
        assert_eq!(a.skill.as_deref(), Some("technical"));
        assert_eq!(a.topic.as_deref(), Some("dashboards"));
        assert_eq!(a.keywords, "blank page");
        assert_eq!(a.sections.len(), 2);
        let s = &a.sections[0];
        assert_eq!(s.slug, "clear-your-cache");
        assert_eq!(s.actions, ["cache_clear", "hard_reload"]);
        assert_eq!(s.keywords, "white screen");
        assert_eq!(s.body, "A stale copy is the usual cause.\n\n1. Reload.");
        // Duplicate headings get distinct slugs; an "Actions:" line inside a fence is text, and
        // "Note:" in a section is prose.
        let s = &a.sections[1];
        assert_eq!(s.slug, "clear-your-cache-2");
        assert!(s.actions.is_empty());
        assert!(s.body.contains("Note: second one.") && s.body.contains("Actions: not_an_action"));
    }

    #[test]
    fn rejects_bad_articles() {
        assert!(parse("x", "no title here\n## A\ntext").is_err());
        assert!(parse("x", "# Title only\n").is_err());
        assert!(parse("x", "# T\n## Empty\n\n## Full\ntext").is_err());
        let e = parse("x", "# T\n## A\ntext\nActions: Cache Clear")
            .unwrap_err()
            .to_string();
        assert!(e.contains("article x") && e.contains("Cache Clear"), "{e}");
    }

    #[test]
    fn intro_only_article_is_one_passage() {
        let a = parse("faq", "# Opening hours\nWe answer chats 24/7.").unwrap();
        assert_eq!(a.sections.len(), 1);
        assert_eq!(a.sections[0].plain, "We answer chats 24/7.");
        assert_eq!(a.sections[0].slug, "opening-hours");
    }
}
