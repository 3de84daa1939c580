//! Message analysis: sentiment and intent (pure functions over text). Filled in next.
