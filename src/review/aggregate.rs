//! Handoff figures by group (day, agent, skill or trigger) and overall.
//!
//! One pass files every handoff under its group (a hash map lookup), collecting the durations
//! that are present; each figure is then one sort per group, so 10,000 handoffs aggregate in a
//! few milliseconds. Medians and the 90th percentile use the nearest-rank method over the values
//! present (a handoff whose step did not happen is not a zero). Means of ratings are over the
//! rated handoffs; `mean_agents_involved` over handoffs an agent joined.

use crate::domain::{GroupBy, HandoffAggregate, HandoffMetrics, UserId};
use std::collections::HashMap;

/// Key of the handoffs no agent joined, when grouping by agent.
pub const UNASSIGNED: &str = "unassigned";
/// Key of the overall figures.
pub const ALL: &str = "all";

/// What one group collects before the figures are computed.
#[derive(Default)]
struct Acc {
    handoffs: u64,
    resolved: u64,
    queue_wait: Vec<u64>,
    offer_read: Vec<u64>,
    briefing_read: Vec<u64>,
    first_response: Vec<u64>,
    resolution: Vec<u64>,
    context_sum: f64,
    repeat_asks: u64,
    with_repeat_asks: u64,
    customer_ratings: u64,
    customer_score_sum: u64,
    repeated: u64,
    briefing_ratings: u64,
    briefing_score_sum: u64,
    unnecessary: u64,
    with_agents: u64,
    agents_sum: u64,
    /// The first agent name seen, for the label when the caller knows none.
    agent_name: Option<String>,
}

impl Acc {
    fn add(&mut self, m: &HandoffMetrics) {
        self.handoffs += 1;
        self.resolved += u64::from(m.resolved_at.is_some());
        let d = &m.durations;
        self.queue_wait.extend(d.queue_wait_ms);
        self.offer_read.extend(d.offer_read_ms);
        self.briefing_read.extend(d.briefing_read_ms);
        self.first_response.extend(d.first_response_ms);
        self.resolution.extend(d.resolution_ms);
        if m.context_score.is_finite() {
            self.context_sum += m.context_score;
        }
        self.repeat_asks += m.repeat_asks.len() as u64;
        self.with_repeat_asks += u64::from(!m.repeat_asks.is_empty());
        if let Some(r) = &m.customer_rating {
            self.customer_ratings += 1;
            self.customer_score_sum += u64::from(r.score);
            self.repeated += u64::from(r.repeated);
        }
        for r in &m.briefing_ratings {
            self.briefing_ratings += 1;
            self.briefing_score_sum += u64::from(r.score);
        }
        self.unnecessary += u64::from(m.necessity.as_ref().is_some_and(|n| !n.necessary));
        if m.agents_involved > 0 {
            self.with_agents += 1;
            self.agents_sum += u64::from(m.agents_involved);
        }
        if self.agent_name.is_none() {
            self.agent_name.clone_from(&m.agent_name);
        }
    }

    fn finish(mut self, key: String, label: String) -> HandoffAggregate {
        let mean = |sum: f64, n: u64| (n > 0).then(|| sum / n as f64);
        HandoffAggregate {
            key,
            label,
            handoffs: self.handoffs,
            resolved: self.resolved,
            median_queue_wait_ms: percentile(&mut self.queue_wait, 50),
            p90_queue_wait_ms: percentile(&mut self.queue_wait, 90),
            median_offer_read_ms: percentile(&mut self.offer_read, 50),
            median_briefing_read_ms: percentile(&mut self.briefing_read, 50),
            median_first_response_ms: percentile(&mut self.first_response, 50),
            median_resolution_ms: percentile(&mut self.resolution, 50),
            mean_context_score: mean(self.context_sum, self.handoffs),
            repeat_asks: self.repeat_asks,
            handoffs_with_repeat_asks: self.with_repeat_asks,
            customer_ratings: self.customer_ratings,
            mean_customer_score: mean(self.customer_score_sum as f64, self.customer_ratings),
            repeated_share: mean(self.repeated as f64, self.customer_ratings),
            briefing_ratings: self.briefing_ratings,
            mean_briefing_score: mean(self.briefing_score_sum as f64, self.briefing_ratings),
            unnecessary: self.unnecessary,
            mean_agents_involved: mean(self.agents_sum as f64, self.with_agents),
        }
    }
}

/// The nearest-rank `p`th percentile of `values` (sorted in place), `None` when empty.
fn percentile(values: &mut [u64], p: usize) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    if !values.is_sorted() {
        values.sort_unstable();
    }
    let rank = (p * values.len()).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

/// The group key of a handoff.
fn key_of(m: &HandoffMetrics, by: GroupBy) -> String {
    match by {
        GroupBy::Day => m.escalated_at.format("%Y-%m-%d").to_string(),
        GroupBy::Agent => m
            .agent_id
            .as_ref()
            .map_or_else(|| UNASSIGNED.to_owned(), |a| a.0.clone()),
        GroupBy::Skill => m.skill.clone(),
        GroupBy::Trigger => m.trigger.clone(),
    }
}

/// The overall figures (key `all`) and one set per group. Groups by day are in date order; other
/// groups by number of handoffs, most first, then by key. `agent_names` labels agent groups; when
/// it knows nobody, the name the metrics carry (else the id) is used.
pub fn aggregate<'a>(
    items: impl IntoIterator<Item = &'a HandoffMetrics>,
    by: GroupBy,
    agent_names: &dyn Fn(&UserId) -> Option<String>,
) -> (HandoffAggregate, Vec<HandoffAggregate>) {
    let mut all = Acc::default();
    let mut groups: HashMap<String, Acc> = HashMap::new();
    for m in items {
        all.add(m);
        groups.entry(key_of(m, by)).or_default().add(m);
    }
    let mut out: Vec<HandoffAggregate> = groups
        .into_iter()
        .map(|(key, acc)| {
            let label = match by {
                GroupBy::Agent if key == UNASSIGNED => "Unassigned".to_owned(),
                GroupBy::Agent => agent_names(&UserId(key.clone()))
                    .or_else(|| acc.agent_name.clone())
                    .unwrap_or_else(|| key.clone()),
                GroupBy::Day | GroupBy::Skill | GroupBy::Trigger => key.clone(),
            };
            acc.finish(key, label)
        })
        .collect();
    match by {
        GroupBy::Day => out.sort_by(|a, b| a.key.cmp(&b.key)),
        GroupBy::Agent | GroupBy::Skill | GroupBy::Trigger => {
            out.sort_by(|a, b| b.handoffs.cmp(&a.handoffs).then_with(|| a.key.cmp(&b.key)))
        }
    }
    (all.finish(ALL.to_owned(), "All handoffs".to_owned()), out)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&mut [], 50), None);
        assert_eq!(percentile(&mut [7], 90), Some(7));
        assert_eq!(percentile(&mut [4, 1, 3, 2], 50), Some(2));
        assert_eq!(percentile(&mut [5, 1, 4, 2, 3], 50), Some(3));
        let mut v: Vec<u64> = (1..=20).rev().collect();
        assert_eq!(percentile(&mut v, 90), Some(18));
        assert_eq!(percentile(&mut v, 100), Some(20));
    }
}
