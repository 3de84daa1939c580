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
mod sqlite_attachments;
mod sqlite_canned;
mod sqlite_customers;
mod sqlite_email;
mod sqlite_review;
mod sqlite_sites;

use crate::domain::{
    AuditEntry, Conversation, ConversationEvent, ConversationHeader, ConversationId,
    ConversationStatus, ConversationSummary, EventBody, HandoffFilter, HandoffMetrics, Message,
    Principal, Role, Timestamp, User, UserId,
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
    /// The disk under the database is full (or failing writes): nothing of the write was kept.
    #[error("the database's disk is full or failing: {0}")]
    Full(String),
    #[error("the writer has stopped")]
    WriterGone,
}

impl StorageError {
    /// True for SQLite's "disk full" and I/O failures (`SQLITE_FULL`, `SQLITE_IOERR_*`): the
    /// write was refused by the disk, not by a bug, and can succeed once there is room.
    pub fn is_disk_trouble(&self) -> bool {
        match self {
            StorageError::Full(_) => true,
            StorageError::Database(sqlx::Error::Database(db)) => db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| matches!(c & 0xff, 10 | 13)),
            StorageError::Database(sqlx::Error::Io(_)) => true,
            _ => false,
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// What a staff search looks for: words in messages (a full-text query: every word, each as a
/// prefix), the same text inside the customer's name or e-mail, and a tag. Built from what a
/// person typed; nothing of it reaches SQL but as bound values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchTerms {
    /// The full-text query, e.g. `"refund"* "inv"*`.
    pub words: Option<String>,
    /// A `LIKE` pattern (`%`, `_` and `\` escaped with `\`) for the customer's name and e-mail.
    pub contains: Option<String>,
    pub tag: Option<String>,
}

impl SearchTerms {
    /// Words searched at most.
    pub const MAX_WORDS: usize = 8;

    /// `None` when there is nothing to search for.
    pub fn new(text: Option<&str>, tag: Option<&str>) -> Option<Self> {
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        let tag = tag
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty());
        if text.is_none() && tag.is_none() {
            return None;
        }
        let words = text.and_then(|t| {
            let words: Vec<String> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .take(Self::MAX_WORDS)
                .map(|w| format!("\"{}\"*", w.to_lowercase()))
                .collect();
            (!words.is_empty()).then(|| words.join(" "))
        });
        let contains = text.map(|t| {
            let escaped: String = t
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            format!("%{escaped}%")
        });
        Some(Self {
            words,
            contains,
            tag,
        })
    }
}

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

/// Which messages of a long conversation a turn reads: the first `head` (how it began: the
/// problem, who the customer is) and the newest ones back to `tail_bytes` of text (at least the
/// newest, at most `tail_max`), in order, each once; every message but the newest cut
/// to `older_bytes` of content (what a customer writes at length is in its first paragraphs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageWindow {
    pub head: usize,
    pub tail_max: usize,
    pub tail_bytes: usize,
    pub older_bytes: usize,
}

impl MessageWindow {
    /// A turn's window: every message of any ordinary conversation (a hundred and fifty chat
    /// messages are about 15 KB of text), the opening and the last 32 KB of a long one.
    pub const TURN: Self = Self {
        head: 2,
        tail_max: 200,
        tail_bytes: 32 * 1024,
        older_bytes: 4 * 1024,
    };

    /// The window of `messages` (in order), measuring each by its content's length.
    pub fn select(self, mut messages: Vec<Message>) -> Vec<Message> {
        let mut bytes = 0usize;
        let mut tail_from = messages.len();
        while tail_from > 0 && messages.len() - tail_from < self.tail_max {
            let size = messages[tail_from - 1].content.len();
            if bytes + size > self.tail_bytes && tail_from < messages.len() {
                break;
            }
            bytes += size;
            tail_from -= 1;
        }
        if tail_from > self.head {
            let tail = messages.split_off(tail_from);
            messages.truncate(self.head);
            messages.extend(tail);
        }
        self.cut_older(&mut messages);
        messages
    }

    /// Cuts every message but the newest to `older_bytes`, at a character boundary.
    pub fn cut_older(self, messages: &mut [Message]) {
        let Some((_, older)) = messages.split_last_mut() else {
            return;
        };
        for m in older {
            if m.content.len() > self.older_bytes {
                let mut end = self.older_bytes;
                while !m.content.is_char_boundary(end) {
                    end -= 1;
                }
                m.content.truncate(end);
            }
        }
    }
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

/// An e-mail waiting in the outbox (rows written with the events that owe them; see
/// `domain::followup`).
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedEmail {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub kind: crate::domain::followup::OutboxKind,
    pub recipient: String,
    /// The events it carries: a reply batch's agent messages in `first_seq..=last_seq`, a
    /// transcript's conversation up to `last_seq`.
    pub first_seq: u64,
    pub last_seq: u64,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
}

/// How an e-mail's attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum EmailOutcome {
    Sent,
    /// Not sent: the customer had already received it on the page.
    Skipped,
    /// Try again at `at`.
    Retry {
        at: Timestamp,
        error: String,
    },
    /// No more attempts.
    Failed {
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
    /// Writes a consistent copy of the whole store to the new file `path` while writes go on:
    /// everything committed before the copy began, nothing after.
    async fn backup_into(&self, path: &std::path::Path) -> Result<()>;
    /// The conversation with a bounded window of its messages (see [`MessageWindow`]): what a
    /// turn reads, so its cost does not grow with the conversation.
    async fn conversation_window(
        &self,
        id: &ConversationId,
        window: MessageWindow,
    ) -> Result<Option<Conversation>> {
        Ok(self.conversation(id).await?.map(|mut c| {
            c.messages = window.select(std::mem::take(&mut c.messages));
            c
        }))
    }
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

    /// Conversations matching `search` (customer name or e-mail, message text, tag), most
    /// recently updated first, paged like [`Store::list_conversations_page`]. Access is the
    /// caller's to check.
    async fn search_conversations_page(
        &self,
        search: &SearchTerms,
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

    // ---- canned responses (`domain::canned`) ----
    /// Every canned response, by shortcut.
    async fn canned_responses(&self) -> Result<Vec<crate::domain::canned::CannedResponse>>;
    async fn canned_response(
        &self,
        id: &str,
    ) -> Result<Option<crate::domain::canned::CannedResponse>>;
    /// Stores a new response with its audit entry, in one transaction; `Conflict` when its
    /// shortcut is taken.
    async fn create_canned_response(
        &self,
        response: &crate::domain::canned::CannedResponse,
        audit: Option<&AuditEntry>,
    ) -> Result<()>;
    /// Replaces the response with `response.id` and writes the audit entry, in one transaction;
    /// false when there is no such response, `Conflict` when the new shortcut is taken.
    async fn update_canned_response(
        &self,
        response: &crate::domain::canned::CannedResponse,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// Deletes a response and writes the audit entry, in one transaction; false when there was
    /// none.
    async fn delete_canned_response(&self, id: &str, audit: &AuditEntry) -> Result<bool>;

    // ---- sites (`domain::site`) ----
    /// Every site, by name.
    async fn sites(&self) -> Result<Vec<crate::domain::site::Site>>;
    async fn create_site(&self, site: &crate::domain::site::Site) -> Result<()>;
    /// Creates the site or updates the one with its id (creation time kept).
    async fn upsert_site(&self, site: &crate::domain::site::Site) -> Result<()>;
    /// False when there was no such site.
    async fn delete_site(&self, id: &str) -> Result<bool>;
    /// False when there was no such site.
    async fn set_site_secret(&self, id: &str, secret: &str) -> Result<bool>;

    // ---- returning customers (`domain::history`) ----
    /// A verified customer's conversations (by the id their site vouched for), newest first.
    async fn customer_conversations(
        &self,
        verified_customer: &str,
        limit: u32,
    ) -> Result<Vec<crate::domain::history::StoredContact>>;

    // ---- attachments (`domain::attachment`) ----
    /// Records an attachment whose files were just stored (its message commits after).
    async fn insert_attachment(
        &self,
        attachment: &crate::domain::attachment::StoredAttachment,
    ) -> Result<()>;
    /// The attachment `id` of `conversation`, its files deleted or not.
    async fn attachment(
        &self,
        conversation: &ConversationId,
        id: &str,
    ) -> Result<Option<crate::domain::attachment::StoredAttachment>>;
    /// Every attachment of `conversation`, oldest first.
    async fn attachments_of(
        &self,
        conversation: &ConversationId,
    ) -> Result<Vec<crate::domain::attachment::StoredAttachment>>;
    /// How many attachments of `conversation` still have their files.
    async fn attachments_on_disk(&self, conversation: &ConversationId) -> Result<u64>;
    /// Attachments with files on disk created before `before`, oldest first, at most `limit`.
    async fn attachments_older_than(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<crate::domain::attachment::StoredAttachment>>;
    /// Attachments with files on disk created before `before` whose message is not in the log
    /// (stored, then the commit failed or the gateway stopped in between).
    async fn unsent_attachments(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<crate::domain::attachment::StoredAttachment>>;
    /// Marks attachments' files deleted (`reason`: `retention`, `unsent`).
    async fn mark_attachments_deleted(
        &self,
        ids: &[String],
        at: Timestamp,
        reason: &str,
    ) -> Result<()>;
    /// Forgets an attachment whose message was refused or was a resend of one already stored.
    async fn remove_attachment(&self, id: &str) -> Result<()>;

    // ---- e-mail outbox (`domain::followup`) ----
    /// Pending e-mails that may be due at `now` (not waiting for a retry or held by an attempt),
    /// oldest first.
    async fn pending_emails(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedEmail>>;
    /// Takes `mail` for an attempt: counts the attempt and holds the row until `lease_until` (a
    /// gateway that stops mid-attempt retries it then). False when the row changed since it was
    /// read (a reply joined the batch, or someone else took it).
    async fn claim_email(&self, mail: &QueuedEmail, lease_until: Timestamp) -> Result<bool>;
    /// Records how a claimed e-mail's attempt ended.
    async fn email_attempted(&self, id: i64, outcome: &EmailOutcome, now: Timestamp) -> Result<()>;
    /// Outbox rows by state (`pending`, `sent`, `failed`, `skipped`).
    async fn email_counts(&self) -> Result<Vec<(String, u64)>>;

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

#[cfg(test)]
mod window_tests {
    use super::*;
    use crate::domain::Speaker;

    fn messages(n: usize, bytes: usize) -> Vec<Message> {
        (0..n)
            .map(|i| {
                let mut m = Message::new(Speaker::Customer, "x".repeat(bytes), chrono::Utc::now());
                m.seq = i as u64 + 2;
                m
            })
            .collect()
    }

    #[test]
    fn short_conversations_are_read_whole() {
        let all = messages(150, 100);
        assert_eq!(MessageWindow::TURN.select(all.clone()), all);
    }

    #[test]
    fn long_ones_keep_the_opening_and_the_newest_within_the_budget() {
        let w = MessageWindow::TURN.select(messages(1000, 16_000));
        let seqs: Vec<u64> = w.iter().map(|m| m.seq).collect();
        assert_eq!(&seqs[..2], &[2, 3]);
        assert_eq!(*seqs.last().unwrap(), 1001);
        assert!(w.len() <= 2 + 2, "{seqs:?}");
        assert!(seqs.windows(2).all(|p| p[0] < p[1]), "in order, once");
        assert!(w[..w.len() - 1].iter().all(|m| m.content.len() <= 4096));
        // A single message over the budget is still read, whole.
        let one = MessageWindow::TURN.select(messages(10, 100_000));
        assert_eq!(one.last().unwrap().seq, 11);
        assert_eq!(one.last().unwrap().content.len(), 100_000);
    }
}
