//! Message analysis: sentiment (with a `Frustrated` label), intent and the frustration trend.
//!
//! Contract:
//! - Pure functions over text. No IO, no clocks, no global mutable state; imports only
//!   `crate::domain`. Analysing text never fails and never panics, whatever the input.
//! - Built once, shared by reference: `Analyzer::new` validates the `[analysis]` configuration and
//!   builds the lookup tables; `Analyzer::analyze(&self, ..)` runs on every message on the hot
//!   path, tokenising the text once (no regex, a handful of small allocations, a few microseconds
//!   for a typical message).
//! - Sentiment (`sentiment`): VADER-style lexicon scoring; `Sentiment::score` is the compound valence
//!   in [-1, 1]; the label is `Frustrated` when a negative message also carries cues aimed at the
//!   situation (repetition, waiting, exasperation, demands, shouting).
//! - Intent (`intent`): the best-matching intent of a configurable set, or `general_question`;
//!   `always_human` is carried through for the escalation policy.
//! - Trend (`trend`): slope of a customer's recent compound scores; `falling` feeds escalation.
//! - Time pressure (`pressure`): deadlines, stakes, recurrence and elapsed time in the customer's
//!   words.
//! - Meaning (`semantic`): the `Embedder` trait and vector search the other engines use; the
//!   model itself lives in `crate::embed`.
//!
//! English only: other languages get neutral sentiment and usually `general_question`.

pub mod attempts;
mod cues;
mod error;
mod frustration;
pub mod intent;
mod intent_defaults;
mod intent_examples;
mod intent_semantic;
mod lexicon;
pub mod logs;
mod mood_examples;
pub mod pressure;
pub mod requests;
pub mod semantic;
pub mod sentiment;
mod stem;
mod table;
mod tokens;
pub mod trend;
pub mod waiting;

pub use error::AnalysisError;
pub use intent::{default_intents, IntentClassifier, IntentDef, IntentMatch};
pub use sentiment::{analyze_sentiment, SentimentAnalyzer};
pub use trend::{frustration_trend, Trend};

use crate::domain::{Sentiment, SentimentLabel};

/// A mood example at least this close, and this far ahead of the other moods, reads the message.
const MOOD_COSINE: f32 = 0.6;
const MOOD_MARGIN: f32 = 0.04;
use serde::{Deserialize, Serialize};
use tokens::Tokens;

/// The `[analysis]` section of the gateway configuration.
///
/// ```toml
/// [[analysis.intents]]
/// name = "billing"
/// skill = "billing"
/// keywords = ["invoice", "refund", "charged twice"]
/// ```
///
/// Setting `intents` replaces the default set entirely.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisConfig {
    pub intents: Vec<IntentDef>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            intents: default_intents(),
        }
    }
}

/// Everything the analysis says about one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub sentiment: Sentiment,
    pub intent: IntentMatch,
}

/// The embedder and the mood examples' (label, vector) pairs.
type MoodExamples = (
    std::sync::Arc<dyn semantic::Embedder>,
    Vec<(SentimentLabel, semantic::Embedding)>,
);

/// Sentiment analyser and intent classifier, built once from the configuration.
pub struct Analyzer {
    sentiment: SentimentAnalyzer,
    intents: IntentClassifier,
    /// Intent by the nearest labelled examples, when the embedding model is there.
    examples: Option<intent_semantic::ExampleIntents>,
    /// Mood examples (label, vector), when the embedding model is there.
    moods: Option<MoodExamples>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("intents", &self.intents.intents().len())
            .field("semantic", &self.examples.is_some())
            .finish()
    }
}

impl Analyzer {
    pub fn new(cfg: &AnalysisConfig) -> Result<Self, AnalysisError> {
        Ok(Self {
            sentiment: SentimentAnalyzer::new(),
            intents: IntentClassifier::new(cfg.intents.clone())?,
            examples: None,
            moods: None,
        })
    }

    /// Every intent's example messages, then the mood examples, in order: embed them (in this
    /// order) for `with_semantic`.
    pub fn example_texts(&self) -> Vec<&str> {
        self.intents
            .intents()
            .iter()
            .flat_map(|i| i.examples.iter().map(String::as_str))
            .chain(mood_examples::EXAMPLES.iter().map(|(_, t)| *t))
            .collect()
    }

    /// Classifies intent and mood by meaning too: `vectors` are the embeddings of
    /// `example_texts()`. Mismatched vectors leave the keyword classifier and the lexicon alone in
    /// charge.
    pub fn with_semantic(
        mut self,
        embedder: std::sync::Arc<dyn semantic::Embedder>,
        mut vectors: Vec<semantic::Embedding>,
    ) -> Self {
        let moods = mood_examples::EXAMPLES.len();
        if vectors.len() < moods {
            return self;
        }
        let mood_vectors = vectors.split_off(vectors.len() - moods);
        self.moods = Some((
            embedder.clone(),
            mood_examples::EXAMPLES
                .iter()
                .map(|(l, _)| *l)
                .zip(mood_vectors)
                .collect(),
        ));
        self.examples =
            intent_semantic::ExampleIntents::new(embedder, self.intents.intents(), vectors);
        self
    }

    /// The lexicon's reading, made sadder when the message means what a frustrated or unhappy
    /// customer says and the lexicon had no word for it. Never made happier.
    fn mood_by_meaning(&self, text: &str, lexical: Sentiment) -> Sentiment {
        let Some((model, examples)) = &self.moods else {
            return lexical;
        };
        let Ok(q) = model.embed(text) else {
            return lexical;
        };
        let mut best: Vec<(SentimentLabel, f32)> = Vec::new();
        for (label, e) in examples {
            let cos = q.cosine(e);
            match best.iter_mut().find(|(l, _)| l == label) {
                Some((_, c)) => *c = c.max(cos),
                None => best.push((*label, cos)),
            }
        }
        best.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (Some(&(label, cos)), second) = (best.first(), best.get(1).map_or(0.0, |b| b.1)) else {
            return lexical;
        };
        let sadder = |l: SentimentLabel| match l {
            SentimentLabel::Frustrated => 3,
            SentimentLabel::Negative => 2,
            SentimentLabel::Neutral => 1,
            SentimentLabel::Positive => 0,
        };
        if cos < MOOD_COSINE || cos - second < MOOD_MARGIN || sadder(label) <= sadder(lexical.label)
        {
            return lexical;
        }
        let floor = if label == SentimentLabel::Frustrated {
            -0.5
        } else {
            -0.3
        };
        Sentiment {
            label,
            score: lexical.score.min(floor),
        }
    }

    pub fn is_semantic(&self) -> bool {
        self.examples.is_some()
    }

    pub fn analyze(&self, text: &str) -> Analysis {
        // One tokenisation serves both scorers.
        let tokens = Tokens::new(text);
        if let Some((model, _)) = &self.moods {
            // The message and its sentences in one model pass: intent and mood read the whole
            // text, the assistant its sentences, all from the embedder's memo afterwards. A
            // failure here only means each reader tries (and falls back) on its own.
            let _ = semantic::embed_message(&**model, text);
        }
        let lexical = self.intents.classify_tokens(&tokens);
        let intent = match &self.examples {
            Some(e) => e.classify(text, lexical, self.intents.intents()),
            None => lexical,
        };
        let sentiment = self.mood_by_meaning(text, self.sentiment.analyze_tokens(&tokens));
        Analysis { sentiment, intent }
    }

    /// The words-only reading (keyword intent, lexicon mood): microseconds, no model. What
    /// `analyze` gives without the semantic layer, and the fallback when the model is busy.
    pub fn analyze_lexical(&self, text: &str) -> Analysis {
        let tokens = Tokens::new(text);
        Analysis {
            sentiment: self.sentiment.analyze_tokens(&tokens),
            intent: self.intents.classify_tokens(&tokens),
        }
    }

    pub fn sentiment(&self) -> &SentimentAnalyzer {
        &self.sentiment
    }

    pub fn intents(&self) -> &IntentClassifier {
        &self.intents
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SentimentLabel;
    use figment::providers::{Format, Toml};
    use figment::Figment;

    fn from_toml(toml: &str) -> Result<AnalysisConfig, String> {
        Figment::from(Toml::string(toml))
            .extract_inner("analysis")
            .map_err(|e| e.to_string())
    }

    #[test]
    fn analyses_sentiment_and_intent_together() {
        let a = Analyzer::new(&AnalysisConfig::default());
        let r = a.map(|a| {
            a.analyze("I've been charged twice AGAIN, this is ridiculous. Cancel my account!")
        });
        let r = r.map(|r| (r.sentiment.label, r.intent.name, r.intent.always_human));
        assert_eq!(
            r,
            Ok((SentimentLabel::Frustrated, "cancellation".to_owned(), true))
        );

        let a = Analyzer::new(&AnalysisConfig::default());
        let r = a.map(|a| a.analyze("thanks, that fixed it!"));
        let r = r.map(|r| (r.sentiment.label, r.intent.name));
        assert_eq!(r, Ok((SentimentLabel::Positive, "thanks".to_owned())));
    }

    #[test]
    fn analyze_agrees_with_the_parts() {
        let Ok(a) = Analyzer::new(&AnalysisConfig::default()) else {
            panic!("default config must be valid")
        };
        let text = "My dashboard is STILL a blank page, what the hell";
        let r = a.analyze(text);
        assert_eq!(r.sentiment, a.sentiment().analyze(text));
        assert_eq!(r.intent, a.intents().classify(text));
        assert_eq!(r.intent.name, "technical_support");
        assert_eq!(r.sentiment.label, SentimentLabel::Frustrated);
    }

    #[test]
    fn default_config_is_the_default_intent_set() {
        assert_eq!(AnalysisConfig::default().intents, default_intents());
        assert_eq!(from_toml("[analysis]\n"), Ok(AnalysisConfig::default()));
    }

    #[test]
    fn intents_deserialize_from_toml() {
        let cfg = from_toml(
            r#"
            [[analysis.intents]]
            name = "shipping"
            skill = "logistics"
            keywords = ["tracking number", "parcel", "delivery"]

            [[analysis.intents]]
            name = "legal"
            skill = "legal"
            keywords = ["lawyer"]
            always_human = true
            "#,
        );
        let Ok(cfg) = cfg else { panic!("{cfg:?}") };
        assert_eq!(cfg.intents.len(), 2);
        assert!(!cfg.intents[0].always_human);
        assert!(cfg.intents[1].always_human);
        let a = Analyzer::new(&cfg).map(|a| a.analyze("where is my parcel?").intent.skill);
        assert_eq!(a, Ok("logistics".to_owned()));
        // Replacing the set drops the defaults.
        let a = Analyzer::new(&cfg).map(|a| a.analyze("refund please").intent.name);
        assert_eq!(a, Ok("general_question".to_owned()));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let typo = "[[analysis.intents]]\nname = \"x\"\nskill = \"y\"\nkeyword = [\"z\"]\n";
        assert!(from_toml(typo).is_err_and(|e| e.contains("keyword")));
        assert!(from_toml("[analysis]\nintent = []\n").is_err());
    }

    #[test]
    fn invalid_config_is_an_error_naming_the_intent() {
        let cfg = AnalysisConfig {
            intents: vec![IntentDef {
                name: "shipping".into(),
                skill: " ".into(),
                keywords: vec!["parcel".into()],
                examples: Vec::new(),
                always_human: false,
            }],
        };
        let err = Analyzer::new(&cfg).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(err, Err("intent `shipping` has an empty skill".to_owned()));
    }
}
