//! Users and sessions: staff accounts, and the bearer credentials of staff, customers and bots.
//! Secrets never reach the store in clear: it sees argon2 hashes and SHA-256 digests.

use super::Result;
use crate::domain::{ConversationId, Principal, Role, Timestamp, User, UserId};
use async_trait::async_trait;

/// A bearer credential to store. `hash` is the SHA-256 hex of the secret.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub hash: String,
    pub id: String,
    pub kind: TokenKind,
    pub user_id: Option<UserId>,
    pub conversation_id: Option<ConversationId>,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Staff,
    Customer,
    Bot,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Customer => "customer",
            Self::Bot => "bot",
        }
    }
}

/// A listed API key (never the secret).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A staff account to create; `password_hash` is an argon2 PHC string.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub max_concurrent: u32,
}

/// Staff accounts and every bearer credential (staff sessions, customer tokens, bot keys).
#[async_trait]
pub trait Accounts: Send + Sync {
    async fn create_user(&self, user: NewUser, now: Timestamp) -> Result<User>;
    async fn list_users(&self) -> Result<Vec<User>>;
    async fn count_users(&self) -> Result<u64>;
    /// Returns false when no such user exists. Disabling also revokes the user's tokens.
    async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        now: Timestamp,
    ) -> Result<bool>;
    async fn set_user_password(
        &self,
        username: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<bool>;
    /// The user and their password hash, for login.
    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>>;

    async fn insert_token(&self, token: NewToken) -> Result<()>;
    /// The principal behind a token digest, if the token exists, is unexpired and unrevoked.
    async fn resolve_token(&self, hash: &str, now: Timestamp) -> Result<Option<Principal>>;
    async fn revoke_token(&self, hash: &str, now: Timestamp) -> Result<()>;
    /// Digests of tokens revoked at or after `from`, or expiring in `from..=to`: the sessions
    /// whose open sockets must close.
    async fn tokens_ended_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<String>>;
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>>;
    /// Revokes a bot key by its public id; false when there is none.
    async fn revoke_api_key(&self, id: &str, now: Timestamp) -> Result<bool>;
}
