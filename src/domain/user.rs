//! Staff accounts: agents who take conversations and managers who review them.

use super::ids::UserId;
use super::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Manager => "manager",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(Self::Agent),
            "manager" => Some(Self::Manager),
            _ => None,
        }
    }
}

/// A staff account as the rest of the system sees it (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub max_concurrent: u32,
    pub disabled: bool,
    pub created_at: Timestamp,
}

impl User {
    pub fn has_skill(&self, skill: &str) -> bool {
        self.skills.iter().any(|s| s == skill)
    }

    /// An enabled account with `id` as its id, username and name, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests(id: &str, role: Role, skills: &[&str]) -> Self {
        Self {
            id: UserId::from(id),
            username: id.into(),
            name: id.into(),
            role,
            skills: skills.iter().map(|s| s.to_string()).collect(),
            languages: vec!["en".into()],
            max_concurrent: 3,
            disabled: false,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }
}
