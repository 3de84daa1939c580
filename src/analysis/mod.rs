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
//!
//! English only: other languages get neutral sentiment and usually `general_question`.

mod cues;
mod error;
mod frustration;
pub mod intent;
mod intent_defaults;
mod lexicon;
pub mod sentiment;
mod stem;
mod table;
mod tokens;
pub mod trend;

pub use error::AnalysisError;
pub use intent::{default_intents, IntentClassifier, IntentDef, IntentMatch};
pub use sentiment::{analyze_sentiment, SentimentAnalyzer};
pub use trend::{frustration_trend, Trend};

use crate::domain::Sentiment;
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

/// Sentiment analyser and intent classifier, built once from the configuration.
#[derive(Debug)]
pub struct Analyzer {
    sentiment: SentimentAnalyzer,
    intents: IntentClassifier,
}

impl Analyzer {
    pub fn new(cfg: &AnalysisConfig) -> Result<Self, AnalysisError> {
        Ok(Self {
            sentiment: SentimentAnalyzer::new(),
            intents: IntentClassifier::new(cfg.intents.clone())?,
        })
    }

    pub fn analyze(&self, text: &str) -> Analysis {
        // One tokenisation serves both scorers.
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
                always_human: false,
            }],
        };
        let err = Analyzer::new(&cfg).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(err, Err("intent `shipping` has an empty skill".to_owned()));
    }
}
