//! Aggregates by day, agent, skill and trigger, and the CSV exports.

use super::fixtures::at;
use crate::domain::{
    BriefingRating, CustomerRating, EscalationNecessity, GroupBy, HandoffDurations, HandoffMetrics,
    NecessityReason, Urgency, UserId,
};
use crate::review::{aggregate, aggregates_csv, handoffs_csv};
use std::time::Instant;

/// A handoff escalated `day` days after the fixture start, handled by `agent`.
fn handoff(day: i64, agent: Option<&str>, queue_s: Option<u64>) -> HandoffMetrics {
    HandoffMetrics {
        conversation_id: format!("conv-{day}-{}", agent.unwrap_or("none"))
            .as_str()
            .into(),
        customer_name: Some("Priya Raman".into()),
        escalated_at: at(day * 86_400),
        resolved_at: agent.map(|_| at(day * 86_400 + 600)),
        trigger: "frustration".into(),
        skill: "billing".into(),
        urgency: Urgency::High,
        agent_id: agent.map(UserId::from),
        agent_name: agent.map(|a| format!("Agent {a}")),
        agents_involved: u32::from(agent.is_some()),
        durations: HandoffDurations {
            queue_wait_ms: queue_s.map(|s| s * 1000),
            ..HandoffDurations::default()
        },
        repeat_asks: Vec::new(),
        context_score: 100.0,
        briefing_completeness: Some(0.8),
        customer_rating: None,
        briefing_ratings: Vec::new(),
        necessity: None,
        had_call: false,
        computed_at: at(0),
    }
}

fn no_names(_: &UserId) -> Option<String> {
    None
}

#[test]
fn groups_by_day_in_date_order_with_medians_over_present_values() {
    let items = vec![
        handoff(1, Some("sam"), Some(30)),
        handoff(0, Some("sam"), Some(10)),
        handoff(0, Some("bea"), Some(20)),
        handoff(0, None, None),
        handoff(0, Some("bea"), Some(40)),
    ];
    let (all, days) = aggregate(&items, GroupBy::Day, &no_names);
    assert_eq!(all.key, "all");
    assert_eq!(all.handoffs, 5);
    assert_eq!(all.resolved, 4);
    assert_eq!(all.median_queue_wait_ms, Some(20_000)); // of 10, 20, 30, 40: nearest rank 2
    assert_eq!(all.p90_queue_wait_ms, Some(40_000));
    assert_eq!(all.mean_agents_involved, Some(1.0));
    let keys: Vec<&str> = days.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["2026-11-27", "2026-11-28"]);
    assert_eq!(days[0].handoffs, 4);
    assert_eq!(days[0].median_queue_wait_ms, Some(20_000));
    assert_eq!(days[1].median_queue_wait_ms, Some(30_000));
    assert_eq!(days[0].label, "2026-11-27");
}

#[test]
fn groups_by_agent_most_handoffs_first_with_names_and_unassigned() {
    let items = vec![
        handoff(0, Some("sam"), Some(10)),
        handoff(1, Some("bea"), Some(20)),
        handoff(2, None, None),
        handoff(3, Some("bea"), Some(40)),
        handoff(4, Some("al"), Some(5)),
    ];
    let names = |u: &UserId| (u.as_str() == "bea").then(|| "Beatrice Okafor".to_owned());
    let (_, agents) = aggregate(&items, GroupBy::Agent, &names);
    let got: Vec<(&str, &str, u64)> = agents
        .iter()
        .map(|a| (a.key.as_str(), a.label.as_str(), a.handoffs))
        .collect();
    assert_eq!(
        got,
        [
            ("bea", "Beatrice Okafor", 2),
            ("al", "Agent al", 1),
            ("sam", "Agent sam", 1),
            ("unassigned", "Unassigned", 1),
        ]
    );
    assert_eq!(agents[3].median_queue_wait_ms, None);
    assert_eq!(agents[3].mean_agents_involved, None);
}

#[test]
fn ratings_repeat_asks_and_necessity_are_summed_and_averaged() {
    let mut a = handoff(0, Some("sam"), Some(10));
    a.customer_rating = Some(CustomerRating {
        score: 5,
        repeated: false,
        comment: None,
        at: at(0),
    });
    a.briefing_ratings = vec![BriefingRating {
        agent_id: "sam".into(),
        score: 4,
        comment: None,
        at: at(0),
    }];
    a.context_score = 50.0;
    let mut b = handoff(0, Some("sam"), Some(10));
    b.customer_rating = Some(CustomerRating {
        score: 2,
        repeated: true,
        comment: None,
        at: at(0),
    });
    b.necessity = Some(EscalationNecessity {
        necessary: false,
        reason: NecessityReason::KnowledgeBaseAnswer,
        detail: "Answered from the KB".into(),
        message_id: None,
    });
    b.trigger = "low_confidence".into();
    let (all, triggers) = aggregate([&a, &b], GroupBy::Trigger, &no_names);
    assert_eq!(all.customer_ratings, 2);
    assert_eq!(all.mean_customer_score, Some(3.5));
    assert_eq!(all.repeated_share, Some(0.5));
    assert_eq!(all.briefing_ratings, 1);
    assert_eq!(all.mean_briefing_score, Some(4.0));
    assert_eq!(all.unnecessary, 1);
    assert_eq!(all.mean_context_score, Some(75.0));
    // Equal counts: by key.
    let keys: Vec<&str> = triggers.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["frustration", "low_confidence"]);
    let (none, groups) = aggregate([], GroupBy::Skill, &no_names);
    assert_eq!(
        (none.handoffs, none.mean_context_score, groups.len()),
        (0, None, 0)
    );
}

#[test]
fn ten_thousand_handoffs_aggregate_quickly() {
    let agents = ["a1", "a2", "a3", "a4", "a5", "a6", "a7"];
    let items: Vec<HandoffMetrics> = (0..10_000u64)
        .map(|i| {
            let agent = (i % 11 != 0).then(|| agents[(i % 7) as usize]);
            let mut m = handoff((i % 90) as i64, agent, Some(i % 600));
            m.durations.first_response_ms = Some(i * 7 % 5000);
            m
        })
        .collect();
    for by in [
        GroupBy::Day,
        GroupBy::Agent,
        GroupBy::Skill,
        GroupBy::Trigger,
    ] {
        let started = Instant::now();
        let (all, groups) = aggregate(&items, by, &no_names);
        let took = started.elapsed();
        assert_eq!(all.handoffs, 10_000);
        assert_eq!(groups.iter().map(|g| g.handoffs).sum::<u64>(), 10_000);
        // Release builds take a few milliseconds; this bound holds even unoptimised.
        assert!(took.as_millis() < 250, "{by:?} took {took:?}");
    }
}

#[test]
fn handoffs_csv_is_rfc_4180_and_formula_safe() {
    let mut m = handoff(0, Some("sam"), Some(12));
    m.customer_name = Some("=HYPERLINK(\"http://evil\",\"x\")".into());
    m.durations.resolution_ms = Some(61_250);
    m.customer_rating = Some(CustomerRating {
        score: 4,
        repeated: true,
        comment: Some("fine, but\nslow".into()),
        at: at(0),
    });
    let csv = handoffs_csv(&[m]);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(lines[0].starts_with("conversation_id,customer_name,escalated_at,resolved_at,"));
    assert_eq!(lines[0].split(',').count(), 28);
    assert!(lines[1].starts_with(
        "conv-0-sam,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",2026-11-27T09:00:00Z,\
         2026-11-27T09:10:00Z,frustration,billing,high,sam,Agent sam,1,,,12.0,,,,61.3,0,100.0,0.80,4,true,\"fine, but\nslow\","
    ), "{}", lines[1]);
    assert!(csv.ends_with(",false,2026-11-27T09:00:00Z\r\n"));
    assert!(!csv.replace("\r\n", "").contains('\r'));
}

#[test]
fn aggregates_csv_has_a_header_and_a_line_per_group() {
    let items = [handoff(0, Some("sam"), Some(10)), handoff(0, None, None)];
    let (mut all, groups) = aggregate(&items, GroupBy::Agent, &no_names);
    all.label = "+all, \"really\"".into();
    let mut rows = vec![all];
    rows.extend(groups);
    let csv = aggregates_csv(&rows);
    assert_eq!(
        csv,
        "key,label,handoffs,resolved,median_queue_wait_s,p90_queue_wait_s,median_offer_read_s,median_briefing_read_s,\
         median_first_response_s,median_resolution_s,mean_context_score,repeat_asks,\
         handoffs_with_repeat_asks,customer_ratings,mean_customer_score,repeated_share,\
         briefing_ratings,mean_briefing_score,unnecessary,mean_agents_involved\r\n\
         all,\"'+all, \"\"really\"\"\",2,1,10.0,10.0,,,,,100.0,0,0,0,,,0,,0,1.00\r\n\
         sam,Agent sam,1,1,10.0,10.0,,,,,100.0,0,0,0,,,0,,0,1.00\r\n\
         unassigned,Unassigned,1,0,,,,,,,100.0,0,0,0,,,0,,0,\r\n"
    );
}
