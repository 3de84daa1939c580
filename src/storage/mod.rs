//! Durable storage behind the `Store` trait. SQLite is the embedded default; a Postgres
//! implementation can sit beside it (chosen by the URL's scheme in `open`) without touching callers.
//!
//! Contract:
//! - `apply_batch` commits every write of the batch in one transaction, durably (the SQLite
//!   implementation runs WAL with `synchronous=FULL`), and is called by one writer only: the
//!   `journal`, which groups concurrent writes into batches. Nothing is reported committed before the
//!   commit returns.
//! - Events of one conversation get `seq` 1, 2, 3… with no gaps, in commit order.
//! - Secrets (passwords, tokens) never reach the store in clear: it sees argon2 hashes and SHA-256
//!   digests.

pub mod journal;
pub mod sqlite;
mod sqlite_review;

use crate::domain::{
    AuditEntry, Conversation, ConversationEvent, ConversationHeader, ConversationId,
    ConversationStatus, ConversationSummary, EventBody, HandoffFilter, HandoffMetrics, Principal,
    Role, Timestamp, User, UserId,
};
use async_trait::async_trait;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?} (supported: sqlite://PATH)")]
    UnsupportedUrl(String),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("commit failed: {0}")]
    CommitFailed(String),
    #[error("the writer has stopped")]
    WriterGone,
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// One durable write, grouped with others by the journal.
// A `Create` is much larger than an `Append`, but each write is moved once into the journal's
// channel and consumed; boxing would only add an allocation to every conversation start.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// A new conversation with its `conversation_created` event (seq 1) and the customer's token.
    Create {
        header: ConversationHeader,
        customer_token: NewToken,
    },
    /// An event appended to an existing conversation. `client_id` makes the append idempotent.
    Append {
        conversation_id: ConversationId,
        body: EventBody,
        client_id: Option<String>,
        at: Timestamp,
    },
}

/// What became of one write.
#[derive(Debug, Clone)]
pub enum WriteOutcome {
    /// Committed; `json` is the event as stored and served, `header` the conversation after it.
    Committed {
        event: Arc<ConversationEvent>,
        json: Arc<str>,
        header: Arc<ConversationHeader>,
        summary: Arc<ConversationSummary>,
    },
    /// An append whose `client_id` was already stored; nothing new was written.
    Duplicate { event: Arc<ConversationEvent> },
    /// The conversation does not exist.
    UnknownConversation,
}

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

/// Where a conversation list continues: the last row's update time and id (the list's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub updated_at_ms: i64,
    pub id: String,
}

impl ListCursor {
    /// `<milliseconds>.<id>`, opaque to clients.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.updated_at_ms, self.id)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (ms, id) = s.split_once('.')?;
        let updated_at_ms = ms.parse().ok()?;
        crate::domain::ids::is_plausible_id(id).then(|| Self {
            updated_at_ms,
            id: id.to_owned(),
        })
    }
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

/// A webhook to deliver: `body` is sent as is and signed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWebhook {
    pub url: String,
    pub event_type: String,
    pub body: String,
}

/// A webhook delivery waiting for its next attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedWebhook {
    pub id: i64,
    pub url: String,
    pub event_type: String,
    pub body: String,
    pub attempts: u32,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookOutcome {
    Delivered,
    /// Try again at `at`.
    Retry {
        at: Timestamp,
        error: String,
    },
    /// No more attempts.
    GaveUp {
        error: String,
    },
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Commits all `ops` in one durable transaction. Only the journal calls this.
    async fn apply_batch(&self, ops: Vec<WriteOp>) -> Result<Vec<WriteOutcome>>;

    /// Brings derived data (conversation rows used by listings) up to date with the log. The
    /// journal calls it between batches about once a second; returns how many rows it wrote.
    async fn flush(&self) -> Result<usize> {
        Ok(0)
    }

    async fn header(&self, id: &ConversationId) -> Result<Option<ConversationHeader>>;
    async fn conversation(&self, id: &ConversationId) -> Result<Option<Conversation>>;
    /// Events with `seq > after`, ascending, at most `limit`.
    async fn events_after(
        &self,
        id: &ConversationId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ConversationEvent>>;
    /// Most recently updated conversations first, optionally of one status.
    async fn list_conversations(
        &self,
        status: Option<ConversationStatus>,
        limit: u32,
    ) -> Result<Vec<(ConversationHeader, ConversationSummary)>> {
        Ok(self
            .list_conversations_page(status, None, limit)
            .await?
            .into_iter()
            .map(|(h, s, _)| (h, s))
            .collect())
    }
    /// One page of [`Store::list_conversations`]: rows after `before` (exclusive), each with the
    /// cursor that continues after it.
    async fn list_conversations_page(
        &self,
        status: Option<ConversationStatus>,
        before: Option<&ListCursor>,
        limit: u32,
    ) -> Result<Vec<(ConversationHeader, ConversationSummary, ListCursor)>>;

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

    /// Calls whose recording is ready but which have no after-call transcript yet, as
    /// (conversation, call id), oldest first.
    async fn calls_awaiting_transcript(&self) -> Result<Vec<(ConversationId, String)>>;

    /// Stores the latest figures of conversations' handoffs, replacing earlier ones, in one
    /// transaction.
    async fn put_handoffs(&self, metrics: &[HandoffMetrics]) -> Result<()>;
    async fn handoff(&self, id: &ConversationId) -> Result<Option<HandoffMetrics>>;
    /// Handoffs matching `filter`, newest escalation first: how many match, and one page.
    async fn list_handoffs(
        &self,
        filter: &HandoffFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<HandoffMetrics>)>;
    /// Every handoff matching `filter` (for aggregates), newest first.
    async fn handoffs_matching(&self, filter: &HandoffFilter) -> Result<Vec<HandoffMetrics>>;
    /// The distinct skills and triggers handoffs have, for filter choices.
    async fn handoff_facets(&self) -> Result<(Vec<String>, Vec<String>)>;
    /// Resolved conversations that were escalated but have no stored figures (a restart resumes
    /// computing them).
    async fn handoffs_missing(&self) -> Result<Vec<ConversationId>>;

    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    /// The most recent audit entries first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>>;

    /// Calls whose recording became ready before `before` and whose files are not deleted yet,
    /// as (conversation, call id), oldest first.
    async fn recordings_older_than(
        &self,
        before: Timestamp,
    ) -> Result<Vec<(ConversationId, String)>>;

    /// Queues a webhook delivery; it is attempted from `now`.
    async fn enqueue_webhook(&self, delivery: &NewWebhook, now: Timestamp) -> Result<()>;
    /// Deliveries due at `now`, oldest first.
    async fn due_webhooks(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedWebhook>>;
    /// Records an attempt's outcome.
    async fn webhook_attempted(
        &self,
        id: i64,
        outcome: &WebhookOutcome,
        now: Timestamp,
    ) -> Result<()>;

    /// Cheap liveness probe of the database.
    async fn ping(&self) -> Result<()>;
}

/// Opens the store named by `url`, creating and migrating it as needed.
pub async fn open(url: &str, read_connections: u32) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            sqlite::SqliteStore::open(url, read_connections).await?,
        ))
    } else {
        Err(StorageError::UnsupportedUrl(url.to_owned()))
    }
}
