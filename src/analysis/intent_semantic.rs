//! Intent by meaning: a message takes the intent of the labelled examples it is closest to
//! (`IntentDef::examples`, embedded once), when one is close enough and clearly ahead of the other
//! intents; otherwise the keyword classifier's answer stands. Intents that always go to a person
//! (security, legal, cancellation) need a closer match, because a false one escalates, and a
//! keyword request for a person or a call is never overruled by a weak example.

use super::intent::{IntentDef, IntentMatch, FALLBACK_SKILL};
use super::semantic::{Embedder, Embedding, VectorIndex};
use std::sync::Arc;

/// Cosine from which the nearest examples decide.
const MIN_COSINE: f32 = 0.5;
/// Extra closeness an always-human intent needs.
const ALWAYS_HUMAN_EXTRA: f32 = 0.08;
/// How far the best intent must be ahead of the next one (unless the keywords agree with it).
const MARGIN: f32 = 0.03;
/// A keyword request for a person or a call stands unless an example is at least this close.
const OVERRULE_REQUEST: f32 = 0.6;
/// A keyword match of an intent that always goes to a person (a cancellation, a legal threat)
/// stands unless another intent's example is at least this close and clearly ahead.
const OVERRULE_ALWAYS_HUMAN: f32 = 0.62;

pub struct ExampleIntents {
    embedder: Arc<dyn Embedder>,
    /// Labelled with the intent's index in the definitions.
    examples: VectorIndex<usize>,
}

impl ExampleIntents {
    /// `None` when `vectors` do not match the examples one to one.
    pub fn new(
        embedder: Arc<dyn Embedder>,
        defs: &[IntentDef],
        vectors: Vec<Embedding>,
    ) -> Option<Self> {
        let labels: Vec<usize> = defs
            .iter()
            .enumerate()
            .flat_map(|(i, d)| std::iter::repeat_n(i, d.examples.len()))
            .collect();
        if labels.len() != vectors.len() || labels.is_empty() {
            return None;
        }
        Some(Self {
            embedder,
            examples: VectorIndex::new(labels.into_iter().zip(vectors).collect()),
        })
    }

    pub fn classify(&self, text: &str, lexical: IntentMatch, defs: &[IntentDef]) -> IntentMatch {
        let Ok(q) = self.embedder.embed(text) else {
            return lexical;
        };
        // Best cosine per intent.
        let mut best: Vec<(usize, f32)> = Vec::new();
        for (intent, cos) in self.examples.ranked(&q) {
            if !best.iter().any(|(i, _)| i == intent) {
                best.push((*intent, cos));
            }
        }
        let Some(&(top, cos)) = best.first() else {
            return lexical;
        };
        let Some(def) = defs.get(top) else {
            return lexical;
        };
        let second = best.get(1).map_or(0.0, |b| b.1);
        let agrees = def.name == lexical.name;
        let needed = MIN_COSINE
            + if def.always_human {
                ALWAYS_HUMAN_EXTRA
            } else {
                0.0
            };
        let request = matches!(lexical.name.as_str(), "human_request" | "call_request");
        let decisive = cos >= needed
            && (agrees || cos - second >= MARGIN)
            && (!request || agrees || cos >= OVERRULE_REQUEST)
            && (!lexical.always_human || agrees || cos >= OVERRULE_ALWAYS_HUMAN);
        if !decisive {
            return lexical;
        }
        let topic_skill = if def.skill == FALLBACK_SKILL {
            lexical
                .topic_skill
                .clone()
                .or_else(|| (lexical.skill != FALLBACK_SKILL).then(|| lexical.skill.clone()))
        } else {
            None
        };
        IntentMatch {
            name: def.name.clone(),
            skill: def.skill.clone(),
            score: f64::from(cos.clamp(0.0, 1.0)),
            always_human: def.always_human,
            topic_skill,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::semantic::stand_in::BagOfWords;
    use crate::analysis::{default_intents, IntentClassifier};

    fn classifier() -> (ExampleIntents, Vec<IntentDef>) {
        let defs = default_intents();
        let texts: Vec<&str> = defs
            .iter()
            .flat_map(|d| d.examples.iter().map(String::as_str))
            .collect();
        let model = BagOfWords;
        let vectors = model.embed_all(&texts).expect("vectors");
        let e = ExampleIntents::new(Arc::new(BagOfWords), &defs, vectors).expect("built");
        (e, defs)
    }

    #[test]
    fn nearest_examples_decide_when_close_and_keywords_otherwise() {
        let (e, defs) = classifier();
        let keywords = IntentClassifier::new(defs.clone()).expect("valid");
        let text = "How can I get a copy of all my personal data?";
        let got = e.classify(text, keywords.classify(text), &defs);
        assert_eq!(got.name, "data_export");
        // Nothing close: the keyword answer stands.
        let text = "zzz qqq";
        let lexical = keywords.classify(text);
        assert_eq!(e.classify(text, lexical.clone(), &defs), lexical);
    }

    #[test]
    fn mismatched_vectors_are_refused() {
        let defs = default_intents();
        assert!(ExampleIntents::new(Arc::new(BagOfWords), &defs, Vec::new()).is_none());
    }
}
