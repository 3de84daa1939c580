//! Hybrid retrieval: the knowledge base's passages ranked by BM25 (the customer's words) and by
//! sentence embeddings (their meaning), fused by reciprocal rank, with a confidence calibrated on
//! held-apart questions.
//!
//! Why both: BM25 is sharp on error codes, product terms and rare words ("429", "Zapier") and blind
//! to paraphrase ("the app is just white" never says "blank"); embeddings are the reverse. Reciprocal
//! rank fusion needs no score normalisation between the two and rewards a passage both rank high.
//!
//! The confidence of the chosen passage is a logistic function of how the two rankers see it (its
//! cosine, its lead over the best passage of another article, its BM25 strength, whether both put
//! it first); the weights are fitted (`calibrate`) on the tuning questions of the evaluation set
//! (`warmline bench quality --calibrate`) so that 0.5 means "right about half the time".

use super::bm25::Hit;
use super::kb::KnowledgeBase;
use crate::analysis::semantic::{Embedder, Embedding, MessageVectors};
use std::sync::Arc;

/// Reciprocal-rank constant. With ~30 passages a small constant keeps the top ranks decisive.
pub const RRF_K: f64 = 8.0;
/// How much an article's other well-ranked passages lift each of its passages: a message whose
/// words and meaning keep landing in one article is about that article, even when a single
/// section of another article matches one of its words best ("401" in "webhook deliveries fail
/// with 401").
pub const ARTICLE_WEIGHT: f64 = 0.5;
/// The article's passages counted for its lift.
const ARTICLE_DEPTH: usize = 3;

/// The knowledge base in embedding space, computed once (and cached on disk by `app`).
pub struct SemanticKb {
    pub embedder: Arc<dyn Embedder>,
    /// Per passage, the vectors of its views (`KnowledgeBase::passage_views`).
    pub views: Vec<Vec<Embedding>>,
    /// Per passage, the vectors of its answer units (`units::split` of the section's text).
    pub units: Vec<Vec<Embedding>>,
}

impl SemanticKb {
    /// The vectors of every passage's views and answer units, from `setup` (cached by `app`);
    /// `None` when they cannot be had.
    pub fn build(kb: &KnowledgeBase, setup: &super::SemanticSetup<'_>) -> Option<Self> {
        let passages: Vec<super::kb::Passage<'_>> =
            (0..kb.len()).filter_map(|i| kb.passage(i)).collect();
        let views: Vec<Vec<String>> = passages.iter().map(passage_views).collect();
        let units: Vec<Vec<String>> = passages
            .iter()
            .map(|p| {
                super::units::split(&p.section.plain)
                    .into_iter()
                    .map(|u| u.text)
                    .collect()
            })
            .collect();
        let flat = |groups: &[Vec<String>]| -> Vec<String> { groups.concat() };
        let (flat_views, flat_units) = (flat(&views), flat(&units));
        let view_vectors = (setup.vectors)("kb-views", &as_str(&flat_views))?;
        let unit_vectors = (setup.vectors)("kb-units", &as_str(&flat_units))?;
        if view_vectors.len() != flat_views.len() || unit_vectors.len() != flat_units.len() {
            return None;
        }
        let regroup = |groups: &[Vec<String>], mut vectors: std::vec::IntoIter<Embedding>| {
            groups
                .iter()
                .map(|g| vectors.by_ref().take(g.len()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        Some(Self {
            embedder: setup.embedder.clone(),
            views: regroup(&views, view_vectors.into_iter()),
            units: regroup(&units, unit_vectors.into_iter()),
        })
    }

    /// Sets each candidate's `unit`: its best cosine with `query` over the passage's answer units.
    pub fn unit_cosines(&self, query: &MessageVectors, candidates: &mut [Candidate]) {
        for c in candidates {
            c.unit = self.units.get(c.doc).map_or(0.0, |us| {
                us.iter().map(|u| query.best_cosine(u)).fold(0.0, f32::max)
            });
        }
    }

    /// Per passage, its best cosine with `query` over its views.
    pub fn similarities(&self, query: &MessageVectors) -> Vec<f32> {
        self.views
            .iter()
            .map(|views| {
                views
                    .iter()
                    .map(|v| query.best_cosine(v))
                    .fold(-1.0f32, f32::max)
            })
            .collect()
    }
}

fn as_str(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// How a passage is embedded: its title line (what it is about, in the words people search
/// with) and its text (what it says).
fn passage_views(p: &super::kb::Passage<'_>) -> Vec<String> {
    let mut title = format!("{}. {}", p.section.heading, p.article.title);
    if !p.section.keywords.is_empty() {
        title.push_str(&format!(". {}", p.section.keywords));
    }
    vec![title, format!("{}: {}", p.section.heading, p.section.plain)]
}

/// One passage as both rankers see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub doc: usize,
    pub fused: f64,
    /// Rank (0-based) and score in the BM25 ranking, when it matched any word.
    pub bm25: Option<(usize, f64)>,
    /// Rank (0-based) and cosine in the embedding ranking.
    pub dense: Option<(usize, f32)>,
    /// The share of all fused evidence that falls on this passage's article, in [0, 1].
    pub article_share: f64,
    /// The best cosine between the question and one answer unit (step, bullet, paragraph) of the
    /// passage; 0 without the model (`SemanticKb::unit_cosines` fills it in).
    pub unit: f32,
}

/// Passages in fused order. `dense` holds one cosine per passage (or is empty without a model);
/// `articles` the article index of each passage.
pub fn fuse(hits: &[Hit], dense: &[f32], articles: &[usize]) -> Vec<Candidate> {
    let passages = articles.len();
    let mut out: Vec<Candidate> = (0..passages)
        .map(|doc| Candidate {
            doc,
            fused: 0.0,
            bm25: None,
            dense: None,
            article_share: 0.0,
            unit: 0.0,
        })
        .collect();
    for (rank, h) in hits.iter().enumerate() {
        if let Some(c) = out.get_mut(h.doc) {
            c.bm25 = Some((rank, h.score));
            c.fused += 1.0 / (RRF_K + rank as f64 + 1.0);
        }
    }
    let mut order: Vec<usize> = (0..dense.len().min(passages)).collect();
    order.sort_by(|&a, &b| dense[b].total_cmp(&dense[a]).then(a.cmp(&b)));
    for (rank, doc) in order.into_iter().enumerate() {
        if let Some(c) = out.get_mut(doc) {
            c.dense = Some((rank, dense[doc]));
            c.fused += 1.0 / (RRF_K + rank as f64 + 1.0);
        }
    }
    // Each article's evidence: its best few passages' fused scores.
    let article_count = articles.iter().copied().max().map_or(0, |m| m + 1);
    let mut per_article: Vec<Vec<f64>> = vec![Vec::new(); article_count];
    for c in &out {
        if let Some(a) = articles.get(c.doc).and_then(|a| per_article.get_mut(*a)) {
            a.push(c.fused);
        }
    }
    let evidence: Vec<f64> = per_article
        .iter_mut()
        .map(|scores| {
            scores.sort_by(|a, b| b.total_cmp(a));
            scores.iter().take(ARTICLE_DEPTH).sum()
        })
        .collect();
    let total: f64 = evidence.iter().sum();
    for c in &mut out {
        let own = articles
            .get(c.doc)
            .and_then(|a| evidence.get(*a))
            .copied()
            .unwrap_or(0.0);
        c.article_share = if total > 0.0 { own / total } else { 0.0 };
        c.fused += ARTICLE_WEIGHT * own;
    }
    out.retain(|c| c.fused > 0.0);
    out.sort_by(|a, b| b.fused.total_cmp(&a.fused).then(a.doc.cmp(&b.doc)));
    out
}

/// Cosines between which the rankers' agreement goes from no evidence to full evidence.
const AGREE_FROM: f64 = 0.2;
const AGREE_FULL: f64 = 0.4;

/// What the confidence of offering one candidate rests on.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Features {
    /// Its cosine with the question.
    pub cosine: f64,
    /// Its cosine minus the best cosine of a passage from another article.
    pub lead: f64,
    /// BM25 strength: its score over the query's ceiling (`confidence::strength`), 0 if unmatched.
    pub lexical: f64,
    /// Both rankers put it first: 1 when it is also close in meaning, fading to 0 as its cosine
    /// falls from `AGREE_FULL` to `AGREE_FROM`. Two rankers agreeing on a passage far from the
    /// question ("bar colours in a chart" -> "try a private window") is agreement on the least
    /// bad candidate, not evidence that it answers.
    pub agree: f64,
    /// The share of the fused evidence that falls on its article.
    pub article: f64,
    /// Its best answer unit's cosine with the question: a passage can be near a question as a
    /// whole ("webhooks", "plans") while none of its steps says anything about what was asked
    /// ("which IP addresses do webhooks come from", "what does Enterprise cost per seat").
    pub unit: f64,
}

impl Features {
    pub fn of(kb: &KnowledgeBase, chosen: &Candidate, all: &[Candidate], ceiling: f64) -> Self {
        let article = |doc: usize| kb.passage(doc).map(|p| p.article.id.clone());
        let own = article(chosen.doc);
        let cosine = chosen.dense.map_or(0.0, |(_, c)| f64::from(c));
        let rival = all
            .iter()
            .filter(|c| c.doc != chosen.doc && article(c.doc) != own)
            .filter_map(|c| c.dense.map(|(_, s)| f64::from(s)))
            .fold(f64::MIN, f64::max);
        let lead = if rival == f64::MIN {
            cosine
        } else {
            cosine - rival
        };
        let lexical = chosen
            .bm25
            .map_or(0.0, |(_, s)| super::confidence::strength(s, ceiling));
        let agree = matches!((chosen.bm25, chosen.dense), (Some((0, _)), Some((0, _))));
        let near = ((cosine - AGREE_FROM) / (AGREE_FULL - AGREE_FROM)).clamp(0.0, 1.0);
        Self {
            cosine,
            lead,
            lexical,
            agree: if agree { near } else { 0.0 },
            article: chosen.article_share,
            unit: f64::from(chosen.unit),
        }
    }

    fn vector(&self) -> [f64; FEATURES] {
        [
            self.cosine,
            self.lead,
            self.lexical,
            self.agree,
            self.article,
            self.unit,
        ]
    }
}

/// Number of features in `Features::vector`.
pub const FEATURES: usize = 6;

/// Logistic weights: bias, then one per feature in `Features::vector` order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub bias: f64,
    pub weights: [f64; FEATURES],
}

/// The probability that the top passage is a right answer. Fitted with `warmline bench quality
/// --calibrate` on the tuning questions (see BENCHMARKS.md). It also orders the candidates; the
/// answer units' cosine is left out of it (weight 0): refitted with it, the tuning questions lost
/// four right answers to other sections of the same article, and the unit cosine earns its keep in
/// `SCOPE` instead.
pub const CALIBRATION: Calibration = Calibration {
    bias: -2.811,
    weights: [3.184, 1.340, 2.344, 2.333, -0.730, 0.0],
};

/// The probability that the knowledge base covers the message at all (a right answer, or a
/// covered question whose top passage is the wrong section), fitted on the same samples with
/// "not a question the knowledge base leaves out" as the label. Low scope is an honest "I'm not
/// sure", never a tentative answer or a clarifying question about unrelated topics.
pub const SCOPE: Calibration = Calibration {
    bias: -4.244,
    weights: [4.393, 2.875, 2.099, 1.281, 1.389, 3.368],
};

impl Calibration {
    pub fn confidence(&self, f: &Features) -> f64 {
        let z = self.bias
            + self
                .weights
                .iter()
                .zip(f.vector())
                .map(|(w, x)| w * x)
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// Logistic regression by gradient descent with a little L2, on `(features, label)`, starting
/// from `start`. Deterministic: same samples, same weights.
pub fn calibrate_from(start: Calibration, samples: &[(Features, bool)]) -> Calibration {
    let mut c = start;
    if samples.is_empty() {
        return c;
    }
    const STEPS: usize = 20_000;
    const RATE: f64 = 0.5;
    const L2: f64 = 0.001;
    let n = samples.len() as f64;
    for _ in 0..STEPS {
        let mut g_bias = 0.0;
        let mut g = [0.0f64; FEATURES];
        for (f, right) in samples {
            let err = c.confidence(f) - if *right { 1.0 } else { 0.0 };
            g_bias += err;
            for (gi, xi) in g.iter_mut().zip(f.vector()) {
                *gi += err * xi;
            }
        }
        c.bias -= RATE * g_bias / n;
        for (w, gi) in c.weights.iter_mut().zip(g) {
            *w -= RATE * (gi / n + L2 * *w);
        }
    }
    c
}

/// `calibrate_from` the calibration in the code.
pub fn calibrate(samples: &[(Features, bool)]) -> Calibration {
    calibrate_from(CALIBRATION, samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement() {
        let hits = [Hit { doc: 2, score: 5.0 }, Hit { doc: 0, score: 4.0 }];
        let dense = [0.2, 0.1, 0.6, 0.5];
        let fused = fuse(&hits, &dense, &[0, 1, 2, 3]);
        assert_eq!(fused[0].doc, 2);
        assert_eq!(fused[0].bm25, Some((0, 5.0)));
        assert_eq!(fused[0].dense, Some((0, 0.6)));
        // Without embeddings the order is BM25's.
        let fused = fuse(&hits, &[], &[0, 1, 2, 3]);
        assert_eq!(fused.iter().map(|c| c.doc).collect::<Vec<_>>(), [2, 0]);
    }

    #[test]
    fn calibration_separates_right_from_wrong() {
        let right = Features {
            cosine: 0.7,
            lead: 0.2,
            lexical: 0.6,
            agree: 1.0,
            article: 0.6,
            unit: 0.7,
        };
        let wrong = Features {
            cosine: 0.25,
            lead: 0.0,
            lexical: 0.1,
            agree: 0.0,
            article: 0.2,
            unit: 0.3,
        };
        let samples: Vec<(Features, bool)> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    (right, true)
                } else {
                    (wrong, false)
                }
            })
            .collect();
        let c = calibrate(&samples);
        assert!(c.confidence(&right) > 0.9, "{}", c.confidence(&right));
        assert!(c.confidence(&wrong) < 0.1, "{}", c.confidence(&wrong));
        assert_eq!(c, calibrate(&samples), "deterministic");
    }
}
