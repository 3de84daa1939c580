//! A returning customer's earlier conversations: the list they and the agent see, and the counts
//! the briefing's background reads ("returning customer, 3 earlier conversations here").
//!
//! Contract: pure, no IO, time passed in. Only a *verified* customer (a site vouched for them
//! with a signed identity token) has a history: an anonymous visitor can claim any id, so their
//! conversations are never linked. Storage finds the conversations by the verified id; this
//! module decides what each one reads as, and which of them the customer may continue.

use super::conversation::{ConversationHeader, ConversationStatus, ConversationSummary};
use super::ids::ConversationId;
use super::review::CustomerRating;
use super::Timestamp;
use serde::{Deserialize, Serialize};

/// Most earlier conversations listed.
pub const MAX_LISTED: u32 = 50;
/// Longest preview of a conversation's last message, in characters.
const PREVIEW_CHARS: usize = 140;

/// How an earlier conversation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// Not closed yet.
    Open,
    /// The assistant answered it; nobody escalated.
    ResolvedByAssistant,
    /// A person took it and closed it.
    ResolvedByAgent,
    /// Escalated, then closed before any agent joined (the customer left, or staff closed it).
    ClosedBeforeAgent,
}

impl ContactOutcome {
    pub fn of(h: &ConversationHeader) -> Self {
        let agent_joined = h
            .participants
            .iter()
            .any(|p| p.kind == super::ParticipantKind::Agent);
        match (h.status, agent_joined, h.escalation.is_some()) {
            (ConversationStatus::Resolved, true, _) => Self::ResolvedByAgent,
            (ConversationStatus::Resolved, false, true) => Self::ClosedBeforeAgent,
            (ConversationStatus::Resolved, false, false) => Self::ResolvedByAssistant,
            _ => Self::Open,
        }
    }

    /// As a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "still open",
            Self::ResolvedByAssistant => "answered by the assistant",
            Self::ResolvedByAgent => "resolved by an agent",
            Self::ClosedBeforeAgent => "closed before an agent joined",
        }
    }
}

/// One earlier conversation as a list row. The customer's copy leaves out what is staff-only
/// (the skill it was routed under, the escalation trigger, the agents' internal summary, tags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PastConversation {
    pub conversation_id: ConversationId,
    pub started_at: Option<Timestamp>,
    pub last_activity_at: Option<Timestamp>,
    pub status: ConversationStatus,
    pub outcome: ContactOutcome,
    /// The customer's first message, shortened: what it was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_message: Option<String>,
    /// The last message, shortened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<String>,
    /// Names of the agents who took part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<String>,
    /// Whether a call was held.
    #[serde(default)]
    pub had_call: bool,
    /// The customer's own survey answer, if they gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// Staff only: the skill it was routed under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill: Option<String>,
    /// Staff only: why it was escalated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_trigger: Option<String>,
    /// Staff only: the briefing's one-paragraph summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Staff only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// What storage returns for one of a customer's conversations.
#[derive(Debug, Clone)]
pub struct StoredContact {
    pub header: ConversationHeader,
    pub summary: ConversationSummary,
    pub rating: Option<CustomerRating>,
    /// The customer's first message: what the conversation was about.
    pub first_message: Option<String>,
}

impl PastConversation {
    pub fn from_stored(c: &StoredContact, for_staff: bool) -> Self {
        let h = &c.header;
        let agents = {
            let mut names: Vec<String> = Vec::new();
            for p in &h.participants {
                if p.kind == super::ParticipantKind::Agent && !names.contains(&p.name) {
                    names.push(p.name.clone());
                }
            }
            names
        };
        Self {
            conversation_id: h.conversation_id.clone(),
            started_at: h.created_at,
            last_activity_at: h.updated_at,
            status: h.status,
            outcome: ContactOutcome::of(h),
            first_message: c.first_message.as_deref().map(preview),
            last_message: c.summary.last_message.as_deref().map(preview),
            agents,
            had_call: !h.calls.is_empty(),
            rating: c.rating.as_ref().map(|r| r.score),
            skill: for_staff.then(|| h.skill.clone()),
            escalation_trigger: h
                .escalation
                .as_ref()
                .filter(|_| for_staff)
                .map(|e| e.trigger.clone()),
            summary: h
                .briefing
                .as_ref()
                .filter(|_| for_staff)
                .map(|b| b.summary.clone()),
            tags: if for_staff {
                h.tags.clone()
            } else {
                Vec::new()
            },
        }
    }
}

fn preview(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= PREVIEW_CHARS {
        return text;
    }
    let cut: String = text.chars().take(PREVIEW_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The counts the briefing reads: the customer's conversations *before* this one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactHistory {
    /// Earlier conversations with this support team (this gateway).
    pub conversations: u32,
    /// Of those, how many a person took.
    pub with_agent: u32,
    /// Of those, how many were escalated and closed before anyone joined.
    pub closed_before_agent: u32,
    /// The most recent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<LastContact>,
    /// Survey answers the customer gave, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<u8>,
}

/// The most recent earlier conversation, for one line of the briefing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastContact {
    pub conversation_id: ConversationId,
    pub at: Option<Timestamp>,
    pub outcome: ContactOutcome,
    pub skill: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<String>,
}

impl ContactHistory {
    /// Counts `earlier` (any order) as of a conversation being opened now.
    pub fn of(earlier: &[StoredContact]) -> Self {
        let mut sorted: Vec<&StoredContact> = earlier.iter().collect();
        sorted.sort_by_key(|c| c.header.created_at);
        let mut history = Self {
            conversations: u32::try_from(sorted.len()).unwrap_or(u32::MAX),
            ..Self::default()
        };
        for c in &sorted {
            match ContactOutcome::of(&c.header) {
                ContactOutcome::ResolvedByAgent => history.with_agent += 1,
                ContactOutcome::ClosedBeforeAgent => history.closed_before_agent += 1,
                ContactOutcome::Open
                    if c.header
                        .participants
                        .iter()
                        .any(|p| p.kind == super::ParticipantKind::Agent) =>
                {
                    history.with_agent += 1
                }
                _ => {}
            }
            if let Some(r) = &c.rating {
                history.ratings.push(r.score);
            }
        }
        history.last = sorted.last().map(|c| {
            let row = PastConversation::from_stored(c, true);
            LastContact {
                conversation_id: row.conversation_id,
                at: row.started_at,
                outcome: row.outcome,
                skill: c.header.skill.clone(),
                agents: row.agents,
            }
        });
        history
    }
}

/// The open conversation a returning customer continues instead of starting another: the newest
/// one not resolved whose last activity is within `window` of `now` (an older one has gone cold;
/// they start afresh and it shows in their history).
pub fn resumable(
    contacts: &[StoredContact],
    now: Timestamp,
    window: chrono::Duration,
) -> Option<&ConversationHeader> {
    contacts
        .iter()
        .map(|c| &c.header)
        .filter(|h| h.status != ConversationStatus::Resolved)
        .filter(|h| {
            h.updated_at
                .or(h.created_at)
                .is_some_and(|t| now - t <= window)
        })
        .max_by_key(|h| h.created_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::{
        Customer, Escalation, Participant, ParticipantKind, Urgency,
    };
    use crate::domain::ids::ParticipantId;
    use chrono::{Duration, TimeZone, Utc};

    fn at(day: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 12, day, 9, 0, 0)
            .single()
            .expect("valid date")
    }

    fn contact(
        day: u32,
        status: ConversationStatus,
        agent: Option<&str>,
        escalated: bool,
    ) -> StoredContact {
        let mut h =
            ConversationHeader::new(ConversationId::generate(), Customer::default(), at(day));
        h.status = status;
        h.skill = "billing".into();
        if escalated {
            h.escalation = Some(Escalation {
                trigger: "explicit_request".into(),
                ai_assessment: String::new(),
                recommended_agent: "billing".into(),
                urgency: Urgency::Medium,
                customer_expectation: String::new(),
            });
        }
        if let Some(name) = agent {
            h.participants.push(Participant {
                id: ParticipantId::generate(),
                kind: ParticipantKind::Agent,
                user_id: None,
                name: name.into(),
                joined_at: at(day),
                left_at: None,
            });
        }
        let summary = ConversationSummary::from_header(&h);
        StoredContact {
            header: h,
            summary,
            rating: None,
            first_message: None,
        }
    }

    #[test]
    fn outcomes_read_from_the_header() {
        use ConversationStatus::*;
        assert_eq!(
            ContactOutcome::of(&contact(1, Resolved, None, false).header),
            ContactOutcome::ResolvedByAssistant
        );
        assert_eq!(
            ContactOutcome::of(&contact(1, Resolved, Some("Sam"), true).header),
            ContactOutcome::ResolvedByAgent
        );
        assert_eq!(
            ContactOutcome::of(&contact(1, Resolved, None, true).header),
            ContactOutcome::ClosedBeforeAgent
        );
        assert_eq!(
            ContactOutcome::of(&contact(1, Queued, None, true).header),
            ContactOutcome::Open
        );
    }

    #[test]
    fn history_counts_and_names_the_latest() {
        use ConversationStatus::*;
        let mut rated = contact(3, Resolved, Some("Sam Rivera"), true);
        rated.rating = Some(CustomerRating {
            score: 4,
            repeated: false,
            comment: None,
            at: at(3),
        });
        let earlier = vec![
            rated,
            contact(1, Resolved, None, false),
            contact(2, Resolved, None, true),
        ];
        let h = ContactHistory::of(&earlier);
        assert_eq!(h.conversations, 3);
        assert_eq!(h.with_agent, 1);
        assert_eq!(h.closed_before_agent, 1);
        assert_eq!(h.ratings, vec![4]);
        let last = h.last.expect("a latest contact");
        assert_eq!(last.at, Some(at(3)));
        assert_eq!(last.agents, vec!["Sam Rivera".to_owned()]);
        assert_eq!(ContactHistory::of(&[]), ContactHistory::default());
    }

    #[test]
    fn only_a_recent_open_conversation_is_resumed() {
        use ConversationStatus::*;
        let contacts = vec![
            contact(1, Ai, None, false),
            contact(5, WithAgent, Some("Sam"), true),
            contact(6, Resolved, None, false),
        ];
        let now = at(6);
        let resumed =
            resumable(&contacts, now, Duration::days(2)).expect("the open one of the 5th");
        assert_eq!(resumed.created_at, Some(at(5)));
        assert!(
            resumable(&contacts, at(20), Duration::days(2)).is_none(),
            "gone cold"
        );
        assert!(
            resumable(&contacts[2..], now, Duration::days(2)).is_none(),
            "resolved is not resumed"
        );
    }

    #[test]
    fn the_customer_copy_leaves_out_staff_fields() {
        let mut c = contact(2, ConversationStatus::Resolved, Some("Sam"), true);
        c.header.tags = vec!["refund".into()];
        let staff = PastConversation::from_stored(&c, true);
        let customer = PastConversation::from_stored(&c, false);
        assert_eq!(
            staff.escalation_trigger.as_deref(),
            Some("explicit_request")
        );
        assert_eq!(staff.tags, vec!["refund".to_owned()]);
        assert!(
            customer.escalation_trigger.is_none()
                && customer.skill.is_none()
                && customer.tags.is_empty()
        );
        assert_eq!(customer.agents, vec!["Sam".to_owned()]);
    }

    #[test]
    fn previews_are_short_and_on_one_line() {
        assert_eq!(preview("a\n  b"), "a b");
        let long = "word ".repeat(100);
        let p = preview(&long);
        assert!(p.chars().count() <= PREVIEW_CHARS && p.ends_with('…'));
    }
}
