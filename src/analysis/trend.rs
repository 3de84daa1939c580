//! Is the customer getting more upset? A least-squares line through their recent compound scores.
//!
//! Only the last `WINDOW` scores count: what matters to escalation is the direction of the last few
//! messages, not how the conversation started. `falling` needs both a clearly downward slope and
//! a negative latest message, so a calm customer drifting from "great" to "ok" is not flagged.

use serde::Serialize;

/// Number of most recent scores the slope is fitted to.
pub const WINDOW: usize = 5;
/// Slope (compound points per message) at or below which the trend counts as falling.
pub const FALLING_SLOPE: f64 = -0.15;

/// Direction of a customer's sentiment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trend {
    /// Change in compound score per message over the window; 0 with fewer than two scores.
    pub slope: f64,
    /// `slope <= -0.15` and `latest < 0`.
    pub falling: bool,
    /// The most recent score; 0 when there is none.
    pub latest: f64,
}

/// Trend of `scores`, the compound sentiment scores of one customer's messages in order.
/// Non-finite scores are treated as 0 (neutral) rather than poisoning the fit.
pub fn frustration_trend(scores: &[f64]) -> Trend {
    let recent = &scores[scores.len().saturating_sub(WINDOW)..];
    let y = |v: f64| if v.is_finite() { v } else { 0.0 };
    let latest = recent.last().map_or(0.0, |&v| y(v));
    let n = recent.len() as f64;
    let slope = if recent.len() < 2 {
        0.0
    } else {
        // x is the position 0..n; x̄ = (n-1)/2.
        let mean_x = (n - 1.0) / 2.0;
        let mean_y = recent.iter().map(|&v| y(v)).sum::<f64>() / n;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (i, &v) in recent.iter().enumerate() {
            let dx = i as f64 - mean_x;
            sxy += dx * (y(v) - mean_y);
            sxx += dx * dx;
        }
        sxy / sxx
    };
    Trend {
        slope,
        falling: slope <= FALLING_SLOPE && latest < 0.0,
        latest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn empty_and_single_scores_are_flat() {
        assert_eq!(
            frustration_trend(&[]),
            Trend {
                slope: 0.0,
                falling: false,
                latest: 0.0
            }
        );
        assert_eq!(
            frustration_trend(&[-0.9]),
            Trend {
                slope: 0.0,
                falling: false,
                latest: -0.9
            }
        );
    }

    #[test]
    fn steady_decline_into_negative_is_falling() {
        let t = frustration_trend(&[0.4, 0.1, -0.2, -0.5, -0.8]);
        assert!(close(t.slope, -0.3), "slope {}", t.slope);
        assert!(t.falling);
        assert!(close(t.latest, -0.8));
    }

    #[test]
    fn only_the_last_five_scores_count() {
        // An early spike would flatten the fit if it were included.
        let t = frustration_trend(&[-1.0, -1.0, 0.4, 0.1, -0.2, -0.5, -0.8]);
        assert!(close(t.slope, -0.3));
        assert!(t.falling);
    }

    #[test]
    fn decline_that_stays_positive_is_not_falling() {
        let t = frustration_trend(&[0.9, 0.7, 0.5, 0.3, 0.1]);
        assert!(close(t.slope, -0.2));
        assert!(!t.falling);
    }

    #[test]
    fn gentle_decline_is_not_falling() {
        let t = frustration_trend(&[-0.1, -0.2, -0.3]);
        assert!(close(t.slope, -0.1));
        assert!(!t.falling);
    }

    #[test]
    fn two_messages_can_fall_and_recovery_is_not_falling() {
        assert!(frustration_trend(&[0.2, -0.4]).falling);
        let up = frustration_trend(&[-0.8, -0.5, -0.1]);
        assert!(up.slope > 0.0);
        assert!(!up.falling);
    }

    #[test]
    fn exact_threshold_counts_and_non_finite_is_neutral() {
        assert!(frustration_trend(&[0.0, -0.15]).falling);
        let t = frustration_trend(&[0.5, f64::NAN, -0.5]);
        assert!(t.slope.is_finite());
        assert!(close(t.slope, -0.5));
        assert!(t.falling);
    }
}
