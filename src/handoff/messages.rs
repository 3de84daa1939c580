//! What the customer reads during a handoff (the article's patterns): the transparent escalation
//! (why a person is needed, who is coming and their speciality), expectation setting (the wait
//! estimate and what the agent can do), the context-preservation announcement, the agent picking
//! the conversation up, a specialist joining, the hand-back when nobody came, and the resolution.
//!
//! Contract: pure rendering. Templates come from `[handoff.messages]` with `{placeholder}` fields;
//! unknown placeholders are left as written, so a typo shows up in review instead of vanishing.
//! Every template has a default written for customers, so an empty section is valid.

use super::policy::Trigger;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a skill is described to customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillProfile {
    /// One person with the skill: "billing specialist".
    pub label: String,
    /// The group: "billing team".
    pub team: String,
    /// What they can do that the assistant cannot, after "who can": "look into charges, refunds
    /// and invoices on your account".
    pub can: String,
}

fn profile(label: &str, team: &str, can: &str) -> SkillProfile {
    SkillProfile {
        label: label.into(),
        team: team.into(),
        can: can.into(),
    }
}

/// The `[handoff.messages]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MessagesConfig {
    /// Sent when the conversation is escalated. Placeholders: `{reason}`, `{who}`, `{can}`,
    /// `{wait}`, `{customer}`.
    pub escalation: String,
    /// The `{wait}` sentence when an agent is being asked right now. Placeholder: `{estimate}`.
    pub wait_now: String,
    /// The `{wait}` sentence otherwise. Placeholders: `{position}`, `{estimate}`.
    pub wait_queued: String,
    /// The `{wait}` sentence when nobody who could take it is signed in. Placeholders:
    /// `{position}`, `{team}`.
    pub wait_nobody: String,
    /// When an agent accepts. Placeholders: `{agent}`, `{label}`.
    pub accepted: String,
    /// When an invited specialist joins. Placeholders: `{agent}`, `{label}`.
    pub specialist_joined: String,
    /// When a colleague accepts a transfer. Placeholders: `{from}`, `{agent}`, `{label}`.
    pub transfer_accepted: String,
    /// When nobody accepted in time. Placeholders: `{team}`.
    pub handed_back: String,
    /// When the agent resolves the conversation. Placeholders: `{agent}`.
    pub resolved: String,
    /// The assistant's answer to "is anyone coming?" while queued. Placeholders: `{position}`,
    /// `{estimate}`, `{team}`.
    pub still_waiting: String,
    /// The same when an agent has the conversation open right now. Placeholders: `{agent}`.
    pub agent_reading: String,
    /// The same when nobody who could take it is signed in (offers to continue by e-mail).
    /// Placeholders: `{position}`, `{team}`.
    pub nobody_online: String,
    /// After the customer leaves an e-mail address while nobody is online. Placeholders:
    /// `{email}`, `{team}`.
    pub email_noted: String,
    /// Anything else the customer writes while waiting. Placeholders: `{who}`.
    pub noted_for_agent: String,
    /// The same while nobody who could take it is signed in (repeats the e-mail offer).
    /// Placeholders: `{team}`.
    pub noted_nobody_online: String,
    /// The `{reason}` sentence per trigger (`explicit_request`, `frustration`, ...).
    pub reasons: BTreeMap<String, String>,
    /// How each skill is described; unknown skills read as "support specialist".
    pub skills: BTreeMap<String, SkillProfile>,
}

impl Default for MessagesConfig {
    fn default() -> Self {
        let reasons = [
            ("explicit_request", "Of course, I'll get a person for you."),
            (
                "call_request",
                "Sure, a person will take this from here, and you can talk to them on a call.",
            ),
            (
                "frustration",
                "I'm sorry this has been so frustrating, and I don't want to keep you going in circles.",
            ),
            (
                "repeated_failure",
                "The steps I suggested haven't fixed this, so it needs a closer look from a person.",
            ),
            (
                "always_human_intent",
                "This is something a person on our team should handle directly.",
            ),
            (
                "out_of_scope",
                "This is outside what I can answer reliably, so I'm handing it to a person.",
            ),
            (
                "low_confidence",
                "I'm not confident I can solve this for you, so I'm handing it to a person.",
            ),
            ("bot_request", "This needs a person on our team."),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let skills = [
            (
                "billing",
                profile(
                    "billing specialist",
                    "billing team",
                    "look into charges, refunds and invoices on your account",
                ),
            ),
            (
                "technical",
                profile(
                    "technical support engineer",
                    "technical support team",
                    "look at your setup and our logs directly",
                ),
            ),
            (
                "integrations",
                profile(
                    "integration specialist",
                    "integrations team",
                    "check deliveries, API keys and logs on our side",
                ),
            ),
            (
                "account",
                profile(
                    "account specialist",
                    "accounts team",
                    "verify your identity and unlock or change your account",
                ),
            ),
            (
                "security",
                profile(
                    "security specialist",
                    "security team",
                    "secure your account and investigate what happened",
                ),
            ),
            (
                "legal",
                profile(
                    "legal and compliance specialist",
                    "legal and compliance team",
                    "answer contract, privacy and compliance questions",
                ),
            ),
            (
                "general",
                profile(
                    "support specialist",
                    "support team",
                    "look into your account and take action on it",
                ),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Self {
            escalation: "{reason} I'm bringing in {who}, who can {can}. {wait} They'll see \
                         everything we've talked about, so you won't need to repeat yourself."
                .into(),
            wait_now: "I'm asking them right now, so the wait should be about {estimate}.".into(),
            wait_queued: "You're number {position} in line; the estimated wait is about \
                          {estimate}."
                .into(),
            wait_nobody: "Nobody from our {team} is online right now, so I can't promise a \
                          time; you're number {position} in line. If you'd rather not wait \
                          here, leave your e-mail address and they'll continue by e-mail."
                .into(),
            accepted: "{agent}, {label}, has picked up your conversation and is reading \
                       through it now."
                .into(),
            specialist_joined: "{agent}, {label}, has joined to help.".into(),
            transfer_accepted: "{from} is handing your conversation to {agent}, {label}, who is \
                                reading through it now, so you won't need to repeat anything."
                .into(),
            handed_back: "I'm sorry, nobody from our {team} could pick this up in time. I'm \
                          back with you in the meantime: keep asking me, or ask for a person \
                          again whenever you like and I'll try again."
                .into(),
            resolved: "{agent} marked this conversation as resolved. If anything else comes up, \
                       just write here."
                .into(),
            still_waiting: "Yes, someone from our {team} is coming. You're number {position} \
                            in line, and the wait should be about {estimate} now. They'll see \
                            everything you've written, including anything you add while you \
                            wait."
                .into(),
            agent_reading: "Yes: {agent} has your conversation open right now and is reading \
                            through it, so they'll be with you in a moment."
                .into(),
            nobody_online: "I'm sorry for the wait. Nobody from our {team} is online right \
                            now, so I can't promise a time; you're number {position} in line. \
                            If you'd rather not wait here, leave your e-mail address and \
                            they'll continue by e-mail; you won't need to repeat anything."
                .into(),
            email_noted: "Thanks, I've noted {email}. If you have to go, our {team} will \
                          continue by e-mail there; if you stay, you'll see them join here."
                .into(),
            noted_for_agent: "Thanks, I've added that to what {who} will see, so you won't \
                              need to say it again."
                .into(),
            noted_nobody_online: "Thanks, I've added that for our {team}. Nobody from the team \
                                  is online right now; if you'd rather not wait, leave your \
                                  e-mail address and they'll continue by e-mail."
                .into(),
            reasons,
            skills,
        }
    }
}

/// Where a queued customer stands, for the assistant's answers while they wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingState {
    /// 1-based place in the queue.
    pub position: usize,
    pub estimate_secs: u64,
    /// Nobody who serves the skill is signed in.
    pub nobody_online: bool,
    pub skill: String,
    /// The first name of an agent who holds the offer or has accepted it.
    pub agent: Option<String>,
}

/// Where the customer stands when the escalation message is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// An agent has the offer right now; they have `estimate_secs` to answer it.
    Offered { estimate_secs: u64 },
    /// Queued at `position` (1-based) with about `estimate_secs` to wait.
    Queued { position: usize, estimate_secs: u64 },
    /// Queued at `position`, and nobody who serves the skill is signed in.
    NobodyOnline { position: usize },
}

impl MessagesConfig {
    /// The profile of `skill`, or the general one.
    pub fn skill(&self, skill: &str) -> SkillProfile {
        self.skills
            .get(skill)
            .or_else(|| self.skills.get("general"))
            .cloned()
            .unwrap_or_else(|| {
                profile(
                    "support specialist",
                    "support team",
                    "look into your account and take action on it",
                )
            })
    }

    /// The transparent escalation: why, who, what they can do, the wait, context preserved.
    pub fn escalation(
        &self,
        trigger: Trigger,
        skill: &str,
        waiting: Waiting,
        customer: Option<&str>,
    ) -> String {
        let p = self.skill(skill);
        let reason = self
            .reasons
            .get(trigger.as_str())
            .cloned()
            .unwrap_or_else(|| "This needs a person on our team.".into());
        let wait = match waiting {
            Waiting::NobodyOnline { position } => fill(
                &self.wait_nobody,
                &[("position", &position.to_string()), ("team", &p.team)],
            ),
            Waiting::Offered { estimate_secs } => fill(
                &self.wait_now,
                &[("estimate", &duration_words(estimate_secs))],
            ),
            Waiting::Queued {
                position,
                estimate_secs,
            } => fill(
                &self.wait_queued,
                &[
                    ("position", &position.to_string()),
                    ("estimate", &duration_words(estimate_secs)),
                ],
            ),
        };
        let who = format!("{} from our {}", with_article(&p.label), p.team);
        tidy(&fill(
            &self.escalation,
            &[
                ("reason", &reason),
                ("who", &who),
                ("can", &p.can),
                ("wait", &wait),
                ("customer", customer.unwrap_or("")),
            ],
        ))
    }

    pub fn accepted(&self, agent: &str, skill: &str) -> String {
        let label = with_article(&self.skill(skill).label);
        tidy(&fill(
            &self.accepted,
            &[("agent", agent), ("label", &label)],
        ))
    }

    pub fn specialist_joined(&self, agent: &str, skill: &str) -> String {
        let label = with_article(&self.skill(skill).label);
        tidy(&fill(
            &self.specialist_joined,
            &[("agent", agent), ("label", &label)],
        ))
    }

    pub fn transfer_accepted(&self, from: &str, agent: &str, skill: &str) -> String {
        let label = with_article(&self.skill(skill).label);
        tidy(&fill(
            &self.transfer_accepted,
            &[("from", from), ("agent", agent), ("label", &label)],
        ))
    }

    pub fn handed_back(&self, skill: &str) -> String {
        tidy(&fill(
            &self.handed_back,
            &[("team", &self.skill(skill).team)],
        ))
    }

    pub fn resolved(&self, agent: &str) -> String {
        tidy(&fill(&self.resolved, &[("agent", agent)]))
    }

    /// The assistant's answer to a question about the wait.
    pub fn waiting_answer(&self, w: &WaitingState) -> String {
        let team = self.skill(&w.skill).team;
        if let Some(agent) = &w.agent {
            return tidy(&fill(&self.agent_reading, &[("agent", agent)]));
        }
        let position = w.position.to_string();
        if w.nobody_online {
            return tidy(&fill(
                &self.nobody_online,
                &[("position", &position), ("team", &team)],
            ));
        }
        tidy(&fill(
            &self.still_waiting,
            &[
                ("position", &position),
                ("estimate", &duration_words(w.estimate_secs)),
                ("team", &team),
            ],
        ))
    }

    pub fn email_noted(&self, w: &WaitingState, email: &str) -> String {
        let team = self.skill(&w.skill).team;
        tidy(&fill(
            &self.email_noted,
            &[("email", email), ("team", &team)],
        ))
    }

    /// Anything else said while waiting is passed on, and the customer is told so.
    pub fn noted_for_agent(&self, w: &WaitingState) -> String {
        if w.nobody_online && w.agent.is_none() {
            let team = self.skill(&w.skill).team;
            return tidy(&fill(&self.noted_nobody_online, &[("team", &team)]));
        }
        let who = match &w.agent {
            Some(agent) => agent.clone(),
            None => format!("our {}", self.skill(&w.skill).team),
        };
        tidy(&fill(&self.noted_for_agent, &[("who", &who)]))
    }
}

/// Replaces each `{name}` by its value; other braces stay as written.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Collapses the double spaces an empty placeholder leaves behind.
fn tidy(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn with_article(label: &str) -> String {
    let vowel = label
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {label}", if vowel { "an" } else { "a" })
}

/// "under a minute", "1 minute", "9 minutes", "about 2 hours".
pub fn duration_words(secs: u64) -> String {
    let minutes = secs.div_ceil(60);
    match minutes {
        0 => "under a minute".into(),
        1 => "1 minute".into(),
        2..=90 => format!("{minutes} minutes"),
        _ => {
            let hours = (minutes + 30) / 60;
            if hours == 1 {
                "1 hour".into()
            } else {
                format!("{hours} hours")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_says_why_who_what_wait_and_that_context_is_kept() {
        let m = MessagesConfig::default();
        let text = m.escalation(
            Trigger::Frustration,
            "billing",
            Waiting::Queued {
                position: 3,
                estimate_secs: 540,
            },
            Some("Dana"),
        );
        assert_eq!(
            text,
            "I'm sorry this has been so frustrating, and I don't want to keep you going in \
             circles. I'm bringing in a billing specialist from our billing team, who can look \
             into charges, refunds and invoices on your account. You're number 3 in line; the \
             estimated wait is about 9 minutes. They'll see everything we've talked about, so \
             you won't need to repeat yourself."
        );
        let now = m.escalation(
            Trigger::ExplicitRequest,
            "integrations",
            Waiting::Offered { estimate_secs: 30 },
            None,
        );
        assert!(
            now.contains("an integration specialist from our integrations team"),
            "{now}"
        );
        assert!(now.contains("the wait should be about 1 minute"), "{now}");
    }

    #[test]
    fn nobody_online_is_said_honestly() {
        let m = MessagesConfig::default();
        let text = m.escalation(
            Trigger::ExplicitRequest,
            "security",
            Waiting::NobodyOnline { position: 1 },
            None,
        );
        assert!(
            text.contains("Nobody from our security team is online right now"),
            "{text}"
        );
        assert!(!text.contains("minutes"), "no made-up estimate: {text}");
    }

    #[test]
    fn unknown_skills_read_as_general_support() {
        let m = MessagesConfig::default();
        assert!(m
            .escalation(
                Trigger::LowConfidence,
                "quantum",
                Waiting::Offered { estimate_secs: 30 },
                None
            )
            .contains("a support specialist from our support team"));
        assert_eq!(
            m.accepted("Sam Carter", "billing"),
            "Sam Carter, a billing specialist, has picked up your conversation and is reading through it now."
        );
    }

    #[test]
    fn custom_templates_fill_known_placeholders_and_keep_unknown_ones() {
        let m = MessagesConfig {
            resolved: "{agent} closed this. {oops}".into(),
            ..MessagesConfig::default()
        };
        assert_eq!(m.resolved("Maria"), "Maria closed this. {oops}");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_words(0), "under a minute");
        assert_eq!(duration_words(45), "1 minute");
        assert_eq!(duration_words(540), "9 minutes");
        assert_eq!(duration_words(3 * 3600), "3 hours");
    }
}
