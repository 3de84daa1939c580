//! The knowledge base: Markdown articles from a folder or the embedded demo set, split into
//! passages (one per `##` section) and indexed once with BM25.
//!
//! A passage is indexed as its section text plus, weighted up, its heading and its article's title
//! (and the hidden `Keywords:` lines), because a customer's words usually name the *problem* (the
//! title) and only sometimes the fix (the section).

use super::article::{self, Article, Section};
use super::bm25::{Bm25, Hit};
use super::error::AssistantError;
use super::text;
use rust_embed::RustEmbed;
use std::path::Path;

/// Title and section-heading words count this many times a body word.
const TITLE_WEIGHT: f64 = 2.0;
const HEADING_WEIGHT: f64 = 2.0;
/// Score discount per section position within an article (capped), so that among passages the
/// customer's words do not separate, the one the author put first is offered first. Authors order
/// sections from the most to the least likely fix (see kb/README.md).
const POSITION_DISCOUNT: f64 = 0.06;
const MAX_POSITION_DISCOUNT: f64 = 0.3;
/// A KB file larger than this is almost certainly not an article (or a mistake).
const MAX_ARTICLE_BYTES: u64 = 1 << 20;

#[derive(RustEmbed)]
#[folder = "kb/demo/"]
struct DemoKb;

/// Where a passage sits: `(article, section)` indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PassageRef {
    article: usize,
    section: usize,
}

/// One answerable passage, borrowed from the knowledge base.
#[derive(Debug, Clone, Copy)]
pub struct Passage<'a> {
    pub index: usize,
    pub article: &'a Article,
    pub section: &'a Section,
}

impl Passage<'_> {
    /// `article-id#section-slug`: what a reply lists in `sources`.
    pub fn source(&self) -> String {
        format!("{}#{}", self.article.id, self.section.slug)
    }
}

/// Weighted search terms. A word given twice keeps its larger weight.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    terms: Vec<(String, f64)>,
}

impl Query {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the terms of `text` with `weight` (1.0 for the customer's own words).
    pub fn with(mut self, text: &str, weight: f64) -> Self {
        for term in text::terms(text) {
            match self.terms.iter_mut().find(|(t, _)| *t == term) {
                Some((_, w)) => *w = w.max(weight),
                None => self.terms.push((term, weight)),
            }
        }
        self
    }

    pub fn terms(&self) -> &[(String, f64)] {
        &self.terms
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    articles: Vec<Article>,
    passages: Vec<PassageRef>,
    index: Bm25,
}

impl KnowledgeBase {
    /// Indexes `articles`; fails when there is nothing to answer with.
    pub fn from_articles(mut articles: Vec<Article>) -> Result<Self, AssistantError> {
        articles.sort_by(|a, b| a.id.cmp(&b.id));
        let mut passages = Vec::new();
        let mut docs = Vec::new();
        for (ai, a) in articles.iter().enumerate() {
            for (si, s) in a.sections.iter().enumerate() {
                passages.push(PassageRef {
                    article: ai,
                    section: si,
                });
                let mut doc: Vec<(String, f64)> = Vec::new();
                let mut add = |text: &str, weight: f64| {
                    doc.extend(text::terms(text).into_iter().map(|t| (t, weight)))
                };
                add(&a.title, TITLE_WEIGHT);
                add(&a.keywords, 1.0);
                add(&s.heading, HEADING_WEIGHT);
                add(&s.keywords, 1.0);
                add(&s.body, 1.0);
                docs.push(doc);
            }
        }
        if passages.is_empty() {
            return Err(AssistantError::Kb(
                "no articles: add at least one *.md file".into(),
            ));
        }
        Ok(Self {
            index: Bm25::new(docs),
            articles,
            passages,
        })
    }

    /// Every `*.md` file directly inside `dir`, ordered by file name.
    pub fn load_dir(dir: &Path) -> Result<Self, AssistantError> {
        let io = |source| AssistantError::KbIo {
            path: dir.to_owned(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let is_md = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("md"));
            if is_md && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        let mut articles = Vec::new();
        for path in files {
            let file_io = |source| AssistantError::KbIo {
                path: path.clone(),
                source,
            };
            let size = std::fs::metadata(&path).map_err(file_io)?.len();
            if size > MAX_ARTICLE_BYTES {
                return Err(AssistantError::Kb(format!(
                    "{} is larger than 1 MiB",
                    path.display()
                )));
            }
            let markdown = std::fs::read_to_string(&path).map_err(file_io)?;
            articles.push(article::parse(
                &article_id(&path.to_string_lossy()),
                &markdown,
            )?);
        }
        if articles.is_empty() {
            return Err(AssistantError::Kb(format!(
                "{} contains no *.md articles",
                dir.display()
            )));
        }
        Self::from_articles(articles)
    }

    /// The demo knowledge base compiled into the binary (`kb/demo/`).
    pub fn demo() -> Result<Self, AssistantError> {
        let mut articles = Vec::new();
        for name in DemoKb::iter().filter(|n| n.ends_with(".md")) {
            let Some(file) = DemoKb::get(&name) else {
                continue;
            };
            let markdown = std::str::from_utf8(&file.data)
                .map_err(|e| AssistantError::Kb(format!("embedded {name} is not UTF-8: {e}")))?;
            articles.push(article::parse(&article_id(&name), markdown)?);
        }
        Self::from_articles(articles)
    }

    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    pub fn len(&self) -> usize {
        self.passages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.passages.is_empty()
    }

    /// The article index of every passage, in passage order.
    pub fn article_indices(&self) -> Vec<usize> {
        self.passages.iter().map(|p| p.article).collect()
    }

    pub fn passage(&self, index: usize) -> Option<Passage<'_>> {
        let r = self.passages.get(index)?;
        let article = self.articles.get(r.article)?;
        Some(Passage {
            index,
            article,
            section: article.sections.get(r.section)?,
        })
    }

    /// Passages matching `query`, best first (only those sharing at least one term). Scores are
    /// BM25 with the section-position discount applied.
    pub fn search(&self, query: &Query) -> Vec<Hit> {
        let mut hits = self.index.rank(query.terms());
        for hit in &mut hits {
            let position = self.passages.get(hit.doc).map_or(0, |p| p.section) as f64;
            hit.score *= 1.0 - (POSITION_DISCOUNT * position).min(MAX_POSITION_DISCOUNT);
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits
    }

    /// The score a passage would get for containing each query term once at average length; the
    /// yardstick for how strong a match is (see `confidence`).
    pub fn ceiling(&self, query: &Query) -> f64 {
        self.index.max_idf(query.terms())
    }

    /// A term's inverse document frequency over the passages (largest for unknown terms).
    pub fn idf(&self, term: &str) -> f64 {
        self.index.idf(term)
    }

    /// Whether any passage contains `term`.
    pub fn knows(&self, term: &str) -> bool {
        self.index.contains(term)
    }

    /// How many of the query's terms occur anywhere in the knowledge base.
    pub fn known_terms(&self, query: &Query) -> usize {
        query
            .terms()
            .iter()
            .filter(|(t, _)| self.index.contains(t))
            .count()
    }
}

/// File name without directories or the `.md` extension.
fn article_id(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.strip_suffix(".md")
        .or_else(|| name.strip_suffix(".MD"))
        .unwrap_or(name)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_kb_loads_with_skills_and_actions() {
        let kb = KnowledgeBase::demo().unwrap();
        assert!(kb.articles().len() >= 6, "{}", kb.articles().len());
        for a in kb.articles() {
            assert!(a.skill.is_some(), "{} has no Skill", a.id);
            assert!(
                a.sections.len() >= 3,
                "{} has {} sections",
                a.id,
                a.sections.len()
            );
        }
        // Step ids are stable keys across the whole KB: one id, one step.
        let mut ids: Vec<&String> = kb
            .articles()
            .iter()
            .flat_map(|a| &a.sections)
            .flat_map(|s| &s.actions)
            .collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "an action id is declared twice");
        assert!(n >= 20);
    }

    #[test]
    fn load_dir_reads_md_files_only_and_reports_problems() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("b.md"),
            "# Beta\n## Reset\nReset the widget.\nActions: widget_reset",
        )
        .unwrap();
        std::fs::write(dir.path().join("a.MD"), "# Alpha\n## Intro\nAlpha text.").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "# Not an article").unwrap();
        let kb = KnowledgeBase::load_dir(dir.path()).unwrap();
        assert_eq!(
            kb.articles()
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        let hits = kb.search(&Query::new().with("how do I reset the widget", 1.0));
        let top = kb.passage(hits[0].doc).unwrap();
        assert_eq!(top.source(), "b#reset");

        std::fs::write(dir.path().join("c.md"), "no title").unwrap();
        let e = KnowledgeBase::load_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("article c"), "{e}");

        let empty = tempfile::tempdir().unwrap();
        assert!(KnowledgeBase::load_dir(empty.path()).is_err());
        let e = KnowledgeBase::load_dir(&empty.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing"), "{e}");
    }

    #[test]
    fn query_keeps_the_larger_weight() {
        let q = Query::new()
            .with("refund refund", 0.5)
            .with("refund invoices", 1.0);
        assert_eq!(
            q.terms(),
            [("refund".to_owned(), 1.0), ("invoic".to_owned(), 1.0)]
        );
    }
}
