//! A small builder for conversation event logs: every event gets the next `seq`; times are seconds
//! after a fixed start.

use crate::domain::{
    Briefing, BriefingDetail, Channel, Completeness, ConversationEvent, Customer, EmotionalState,
    Escalation, EventBody, KnownFact, Message, MessageId, Participant, ParticipantKind,
    SentimentLabel, Speaker, TechnicalDetail, Timestamp, Urgency, UserId,
};
use chrono::{TimeDelta, TimeZone, Utc};

pub fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()
}

pub fn at(secs: i64) -> Timestamp {
    t0() + TimeDelta::seconds(secs)
}

pub fn fact(kind: &str, value: &str, message: Option<&MessageId>) -> KnownFact {
    KnownFact {
        kind: kind.into(),
        value: value.into(),
        message_id: message.cloned(),
    }
}

pub fn escalation(trigger: &str) -> Escalation {
    Escalation {
        trigger: trigger.into(),
        ai_assessment: "The assistant could not fix the double charge.".into(),
        recommended_agent: "billing".into(),
        urgency: Urgency::High,
        customer_expectation: "refund".into(),
    }
}

pub fn briefing(facts: Vec<KnownFact>, completeness: f64) -> Briefing {
    Briefing {
        escalation: escalation("frustration"),
        summary: "Priya was charged twice for the Pro plan.".into(),
        detail: BriefingDetail::default(),
        technical: TechnicalDetail::default(),
        known_facts: facts,
        next_actions: vec!["Check the duplicate charge".into()],
        warm_introduction: "Hi Priya, I'm Sam from billing.".into(),
        completeness: Completeness {
            score: completeness,
            missing: vec!["no account id".into()],
        },
        emotional_state: EmotionalState {
            label: SentimentLabel::Frustrated,
            trend: "worsening".into(),
            note: "Upset about paying twice.".into(),
            peak: Some(SentimentLabel::Frustrated),
        },
        time_pressure: Vec::new(),
        time_spent: None,
        generated_at: t0(),
        source_seq: 0,
        written_by: None,
        transfer: None,
    }
}

pub fn uid(s: &str) -> UserId {
    s.into()
}

/// An event log under construction.
pub struct Log {
    pub events: Vec<ConversationEvent>,
}

impl Log {
    /// A log that starts with the conversation created at second 0.
    pub fn new() -> Self {
        let mut log = Self { events: Vec::new() };
        let customer = Customer {
            id: "cust-1".into(),
            name: Some("Priya Raman".into()),
            email: Some("priya@acme.io".into()),
            ..Customer::default()
        };
        log.push(0, EventBody::ConversationCreated { customer });
        log
    }

    pub fn push(&mut self, secs: i64, body: EventBody) -> u64 {
        let seq = self.events.len() as u64 + 1;
        self.events.push(ConversationEvent {
            conversation_id: "conv-1".into(),
            seq,
            timestamp: at(secs),
            body,
        });
        seq
    }

    fn message(&mut self, secs: i64, mut m: Message) -> MessageId {
        let seq = self.events.len() as u64 + 1;
        m.id = format!("m{seq}").as_str().into();
        m.seq = seq;
        let id = m.id.clone();
        self.push(
            secs,
            EventBody::Message {
                message: m,
                routing_skill: None,
            },
        );
        id
    }

    pub fn customer(&mut self, secs: i64, text: &str) -> MessageId {
        self.message(secs, Message::new(Speaker::Customer, text, at(secs)))
    }

    pub fn customer_routed(&mut self, secs: i64, text: &str, skill: &str) -> MessageId {
        let seq = self.events.len() as u64 + 1;
        let mut m = Message::new(Speaker::Customer, text, at(secs));
        m.id = format!("m{seq}").as_str().into();
        let id = m.id.clone();
        self.push(
            secs,
            EventBody::Message {
                message: m,
                routing_skill: Some(skill.into()),
            },
        );
        id
    }

    pub fn ai(&mut self, secs: i64, text: &str) -> MessageId {
        self.message(secs, Message::new(Speaker::Ai, text, at(secs)))
    }

    pub fn system(&mut self, secs: i64, text: &str) -> MessageId {
        self.message(secs, Message::new(Speaker::System, text, at(secs)))
    }

    pub fn agent(&mut self, secs: i64, agent: &str, text: &str, channel: Channel) -> MessageId {
        let mut m = Message::new(Speaker::Agent, text, at(secs));
        m.agent_id = Some(uid(agent));
        m.channel = channel;
        self.message(secs, m)
    }

    pub fn escalate(&mut self, secs: i64, trigger: &str, evidence: Vec<MessageId>) -> u64 {
        self.push(
            secs,
            EventBody::EscalationTriggered {
                escalation: escalation(trigger),
                evidence,
                likelihood: Some(0.9),
            },
        )
    }

    pub fn briefing_ready(&mut self, secs: i64, b: Briefing) -> u64 {
        self.push(
            secs,
            EventBody::AgentBriefingReady {
                briefing: Box::new(b),
            },
        )
    }

    pub fn offer(&mut self, secs: i64, agent: &str, b: Briefing) -> u64 {
        self.push(
            secs,
            EventBody::HandoffOffered {
                agent_id: uid(agent),
                agent_name: agent.to_uppercase(),
                expires_at: at(secs + 30),
                specialist: false,
                briefing: Box::new(b),
            },
        )
    }

    pub fn join(&mut self, secs: i64, agent: &str, specialist: bool) -> u64 {
        let participant = Participant {
            id: format!("par-{agent}").as_str().into(),
            kind: ParticipantKind::Agent,
            user_id: Some(uid(agent)),
            name: format!("Agent {agent}"),
            joined_at: at(secs),
            left_at: None,
        };
        self.push(
            secs,
            EventBody::AgentJoined {
                participant,
                specialist,
            },
        )
    }

    pub fn resolve(&mut self, secs: i64, by: &str) -> u64 {
        self.push(
            secs,
            EventBody::ConversationResolved {
                by: Some(uid(by)),
                note: None,
            },
        )
    }
}
