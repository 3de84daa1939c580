//! Who may do what with a conversation. Pure rules over the principal and the conversation header,
//! so every endpoint asks the same question and the answer is unit-tested.
//!
//! - Customer: only their own conversation; may read and post.
//! - Agent: conversations they currently take part in, that are offered to them, that they accepted
//!   or were invited to as a specialist, or that no agent owns yet and that are routed under one of
//!   their skills; may read and post (posting into an unowned conversation takes it over). One they
//!   took part in and left (handed to a colleague) they may still read, not post to. A
//!   *resolved* conversation belongs to the agents who took part in it or were part of its handoff:
//!   only they may read it or reopen it by posting; a colleague with the skill who was never
//!   involved may not (a manager can read it in the review).
//! - Manager: every conversation, read-only.
//! - Bot (integration API key): every conversation; may read and post as the assistant.

use super::conversation::ConversationHeader;
use super::ids::ConversationId;
use super::user::{Role, User};

/// The authenticated caller of a request or socket.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    Customer { conversation_id: ConversationId },
    Staff(User),
    Bot { key_id: String, name: String },
}

/// What the caller may do with one conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    None,
    Read,
    ReadWrite,
}

impl Access {
    pub fn can_read(self) -> bool {
        self != Access::None
    }
    pub fn can_write(self) -> bool {
        self == Access::ReadWrite
    }
}

impl Principal {
    pub fn access(&self, conv: &ConversationHeader) -> Access {
        match self {
            Principal::Customer { conversation_id } if *conversation_id == conv.conversation_id => {
                Access::ReadWrite
            }
            Principal::Customer { .. } => Access::None,
            Principal::Staff(user) if user.disabled => Access::None,
            Principal::Staff(user) => match user.role {
                Role::Manager => Access::Read,
                Role::Agent => {
                    let involved = conv.handoff.as_ref().is_some_and(|h| h.involves(&user.id));
                    if conv.status == super::conversation::ConversationStatus::Resolved {
                        let took_part = conv
                            .participants
                            .iter()
                            .any(|p| p.user_id.as_ref() == Some(&user.id));
                        return if took_part || involved {
                            Access::ReadWrite
                        } else {
                            Access::None
                        };
                    }
                    let owns = conv.has_active_agent(&user.id);
                    let may_take =
                        conv.active_agents().next().is_none() && user.has_skill(&conv.skill);
                    // Offered, accepted or invited as a specialist: they must read it to decide.
                    if owns || may_take || involved {
                        return Access::ReadWrite;
                    }
                    // Handed it to a colleague (or left): may follow it, not write into it.
                    let took_part = conv
                        .participants
                        .iter()
                        .any(|p| p.user_id.as_ref() == Some(&user.id));
                    if took_part {
                        Access::Read
                    } else {
                        Access::None
                    }
                }
            },
            Principal::Bot { .. } => Access::ReadWrite,
        }
    }

    /// May this caller take part in the conversation's call? The customer of the conversation and
    /// the agents in it; managers review recordings afterwards, bots have no media.
    pub fn may_join_call(&self, conv: &ConversationHeader) -> bool {
        match self {
            Principal::Customer { conversation_id } => *conversation_id == conv.conversation_id,
            Principal::Staff(user) => {
                !user.disabled && user.role == Role::Agent && conv.has_active_agent(&user.id)
            }
            Principal::Bot { .. } => false,
        }
    }

    /// May this caller download the conversation's attachments? Its participants: the customer,
    /// agents who take or took part in it or were offered or invited to it, the assistant's
    /// integrations; and managers. An agent who may merely pick it up (unowned, their skill) is
    /// not a participant yet: the files are the customer's, shared with those helping them.
    pub fn may_download_attachments(&self, conv: &ConversationHeader) -> bool {
        match self {
            Principal::Staff(user) if user.disabled => false,
            Principal::Staff(user) => match user.role {
                Role::Manager => true,
                Role::Agent => {
                    conv.handoff.as_ref().is_some_and(|h| h.involves(&user.id))
                        || conv
                            .participants
                            .iter()
                            .any(|p| p.user_id.as_ref() == Some(&user.id))
                }
            },
            _ => self.access(conv).can_read(),
        }
    }

    pub fn is_staff_role(&self, role: Role) -> bool {
        matches!(self, Principal::Staff(u) if u.role == role && !u.disabled)
    }

    /// A short label for logs (never a secret).
    pub fn label(&self) -> String {
        match self {
            Principal::Customer { conversation_id } => format!("customer:{conversation_id}"),
            Principal::Staff(u) => format!("{}:{}", u.role.as_str(), u.username),
            Principal::Bot { name, .. } => format!("bot:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::{Customer, Participant, ParticipantKind};
    use crate::domain::ids::{ParticipantId, UserId};
    use chrono::TimeZone;

    fn now() -> crate::domain::Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 3, 12, 14, 30, 0)
            .unwrap()
    }

    fn user(id: &str, role: Role, skills: &[&str]) -> User {
        User::for_tests(id, role, skills)
    }

    /// Agent "a" in the conversation, still there or gone since `left_at`.
    fn agent_a(left_at: Option<crate::domain::Timestamp>) -> Participant {
        Participant {
            id: ParticipantId::from("p"),
            kind: ParticipantKind::Agent,
            user_id: Some(UserId::from("a")),
            name: "A".into(),
            joined_at: now(),
            left_at,
        }
    }

    fn conv(skill: &str) -> ConversationHeader {
        let mut h = ConversationHeader::new(ConversationId::from("c1"), Customer::default(), now());
        h.skill = skill.into();
        h
    }

    #[test]
    fn customer_sees_only_their_own() {
        let c = conv("billing");
        let own = Principal::Customer {
            conversation_id: ConversationId::from("c1"),
        };
        let other = Principal::Customer {
            conversation_id: ConversationId::from("c2"),
        };
        assert_eq!(own.access(&c), Access::ReadWrite);
        assert_eq!(other.access(&c), Access::None);
    }

    #[test]
    fn agent_sees_unowned_conversations_of_their_skill_only() {
        let c = conv("billing");
        assert_eq!(
            Principal::Staff(user("a", Role::Agent, &["billing"])).access(&c),
            Access::ReadWrite
        );
        assert_eq!(
            Principal::Staff(user("b", Role::Agent, &["technical"])).access(&c),
            Access::None
        );
    }

    #[test]
    fn once_owned_only_the_owner_agent_sees_it() {
        let mut c = conv("billing");
        c.participants.push(agent_a(None));
        assert_eq!(
            Principal::Staff(user("a", Role::Agent, &[])).access(&c),
            Access::ReadWrite
        );
        assert_eq!(
            Principal::Staff(user("b", Role::Agent, &["billing"])).access(&c),
            Access::None
        );
    }

    #[test]
    fn a_resolved_conversation_belongs_to_those_who_took_part() {
        let mut c = conv("billing");
        c.participants.push(agent_a(Some(now())));
        c.status = crate::domain::ConversationStatus::Resolved;
        let took_part = Principal::Staff(user("a", Role::Agent, &[]));
        let colleague = Principal::Staff(user("b", Role::Agent, &["billing"]));
        assert_eq!(
            took_part.access(&c),
            Access::ReadWrite,
            "may read and reopen"
        );
        assert_eq!(
            colleague.access(&c),
            Access::None,
            "the skill alone is not enough"
        );
        assert_eq!(
            Principal::Staff(user("m", Role::Manager, &[])).access(&c),
            Access::Read
        );
        // Before resolution the same colleague could have taken it.
        c.status = crate::domain::ConversationStatus::Queued;
        assert_eq!(colleague.access(&c), Access::ReadWrite);
    }

    #[test]
    fn manager_reads_everything_but_never_writes() {
        let c = conv("anything");
        assert_eq!(
            Principal::Staff(user("m", Role::Manager, &[])).access(&c),
            Access::Read
        );
    }

    #[test]
    fn calls_are_for_the_customer_and_the_agents_in_the_conversation() {
        let mut c = conv("billing");
        let maria = user("a", Role::Agent, &["billing"]);
        let customer = Principal::Customer {
            conversation_id: ConversationId::from("c1"),
        };
        assert!(customer.may_join_call(&c));
        assert!(
            !Principal::Staff(maria.clone()).may_join_call(&c),
            "seeing a conversation is not being in it"
        );
        c.participants.push(agent_a(None));
        assert!(Principal::Staff(maria).may_join_call(&c));
        assert!(!Principal::Staff(user("m", Role::Manager, &[])).may_join_call(&c));
        let other = Principal::Customer {
            conversation_id: ConversationId::from("c2"),
        };
        assert!(!other.may_join_call(&c));
    }

    #[test]
    fn attachments_are_for_participants_and_managers() {
        let mut c = conv("billing");
        let skilled = Principal::Staff(user("b", Role::Agent, &["billing"]));
        assert!(skilled.access(&c).can_read(), "may pick it up");
        assert!(!skilled.may_download_attachments(&c), "but is not in it");
        c.participants.push(agent_a(None));
        assert!(Principal::Staff(user("a", Role::Agent, &[])).may_download_attachments(&c));
        assert!(Principal::Staff(user("m", Role::Manager, &[])).may_download_attachments(&c));
        let own = Principal::Customer {
            conversation_id: ConversationId::from("c1"),
        };
        let other = Principal::Customer {
            conversation_id: ConversationId::from("c2"),
        };
        assert!(own.may_download_attachments(&c));
        assert!(!other.may_download_attachments(&c));
        // One who handed it on still took part.
        if let Some(p) = c.participants.last_mut() {
            p.left_at = Some(now());
        }
        assert!(Principal::Staff(user("a", Role::Agent, &[])).may_download_attachments(&c));
    }

    #[test]
    fn disabled_staff_see_nothing() {
        let mut u = user("m", Role::Manager, &[]);
        u.disabled = true;
        assert_eq!(Principal::Staff(u).access(&conv("x")), Access::None);
    }
}
