//! The one error type of the analysis module: configuration problems found when building it.
//! Analysing text never fails.

/// A bad `[analysis]` configuration, naming the intent at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    #[error("analysis.intents[{index}] has an empty name")]
    EmptyIntentName { index: usize },
    #[error("intent `{name}` is defined more than once in analysis.intents")]
    DuplicateIntent { name: String },
    #[error("intent `{intent}` has an empty skill")]
    EmptySkill { intent: String },
    #[error("intent `{intent}` has no keywords")]
    NoKeywords { intent: String },
    #[error("intent `{intent}` has keyword {keyword:?}, which contains no letters or digits")]
    BlankKeyword { intent: String, keyword: String },
}
