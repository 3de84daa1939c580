//! From a BM25 ranking to a confidence in [0, 1].
//!
//! Two signals, both needed:
//! - strength: the top score over the query's ceiling (`KnowledgeBase::ceiling`, the score of a
//!   passage holding every query term once). Words the knowledge base has never seen raise the
//!   ceiling but not the score, so a question that is mostly about something else stays weak.
//! - margin: how far the top passage is ahead of the best passage from a *different* article.
//!   Sections of one article are successive steps for one problem, so a close second from the same
//!   article is not doubt about what the customer means; a close second from another topic is.
//!
//! `confidence = strength * (0.6 + 0.4 * margin)`: a perfect but ambiguous match lands at 0.6, a
//! clear strong one near 1, one stray shared word among unknown ones below 0.2, and nothing matched
//! is exactly 0.

/// Scores of the chosen passage and of its best competitor from another article.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranking {
    pub top: f64,
    pub competitor: Option<f64>,
    pub ceiling: f64,
}

/// A ceiling scale: a passage matching every term at average length reaches strength 1 only at
/// `SATURATION` times the ceiling, because title and heading weights push real matches above it.
const SATURATION: f64 = 1.3;

/// How strong a match is on its own, in [0, 1]: `top` over the query's ceiling.
pub fn strength(top: f64, ceiling: f64) -> f64 {
    if !(top > 0.0 && ceiling > 0.0) {
        return 0.0;
    }
    (top / (ceiling * SATURATION)).clamp(0.0, 1.0)
}

pub fn confidence(r: Ranking) -> f64 {
    // NaN fails both comparisons, so it also lands here.
    let usable = r.top > 0.0 && r.ceiling > 0.0;
    if !usable {
        return 0.0;
    }
    let strength = (r.top / (r.ceiling * SATURATION)).clamp(0.0, 1.0);
    let margin = match r.competitor {
        Some(c) if c > 0.0 => ((r.top - c) / r.top).clamp(0.0, 1.0),
        _ => 1.0,
    };
    (strength * (0.6 + 0.4 * margin)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(top: f64, competitor: Option<f64>, ceiling: f64) -> f64 {
        confidence(Ranking {
            top,
            competitor,
            ceiling,
        })
    }

    #[test]
    fn nothing_matched_is_zero() {
        assert_eq!(c(0.0, None, 5.0), 0.0);
        assert_eq!(c(3.0, None, 0.0), 0.0);
        assert_eq!(c(f64::NAN, None, 1.0), 0.0);
    }

    #[test]
    fn stronger_and_clearer_matches_score_higher() {
        let strong_clear = c(8.0, Some(1.0), 5.0);
        let strong_tied = c(8.0, Some(8.0), 5.0);
        let weak_clear = c(1.0, None, 5.0);
        assert!(strong_clear > 0.9, "{strong_clear}");
        assert!((strong_tied - 0.6).abs() < 1e-9, "{strong_tied}");
        assert!(weak_clear < 0.4, "{weak_clear}");
        assert!(strong_clear > strong_tied && strong_tied > weak_clear);
        for v in [
            strong_clear,
            strong_tied,
            weak_clear,
            c(100.0, Some(1.0), 0.1),
        ] {
            assert!((0.0..=1.0).contains(&v));
        }
    }
}
