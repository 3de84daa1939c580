//! The SQLite store: one writer connection (WAL, `synchronous=FULL`) fed by the journal, and a pool
//! of read-only connections for queries.
//!
//! Layout, chosen by measurement (BENCHMARKS.md):
//! - the event log is append-ordered (rowid) with a small `(conversation_key, seq)` index, so a
//!   commit of many conversations writes its rows sequentially;
//! - each conversation row holds a JSON snapshot of the header, rewritten when the header changes and
//!   otherwise at most once a second; readers replay the events after the snapshot (`load_state`);
//! - the writer caches the state of conversations it touched, including their recent idempotency
//!   keys, so a plain message costs one row insert plus its index entry.
//!
//! One gateway process owns the database file: the header cache assumes no other writer.

use super::sqlite_email as email;
use super::sqlite_review as review;
use super::{
    ApiKeyInfo, ListCursor, MessageWindow, NewToken, NewUser, NewWebhook, QueuedWebhook, Result,
    SearchTerms, StorageError, Store, TokenKind, WebhookOutcome, WriteOp, WriteOutcome,
};
use crate::domain::{
    AuditEntry, Conversation, ConversationEvent, ConversationHeader, ConversationId,
    ConversationStatus, ConversationSummary, EventBody, HandoffFilter, HandoffMetrics, Message,
    Principal, Role, Timestamp, User, UserId,
};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, SqlitePool};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// WAL pages after which a commit also checkpoints (SQLite's default is 1000).
const AUTOCHECKPOINT_PAGES: &str = "1000";

/// Headers cached by the writer before the cache is dropped and rebuilt on demand.
const CACHE_LIMIT: usize = 50_000;

#[derive(Clone)]
struct Cached {
    /// The conversation's integer key: what the event log is indexed by (a 36-character id would
    /// make that index four times larger).
    key: i64,
    header: ConversationHeader,
    summary: ConversationSummary,
    /// The conversation's row lags this state (plain messages since it was last written); the
    /// journal's periodic `flush` writes it.
    row_stale: bool,
    /// Idempotency keys of the latest events, for deduplicating resends.
    recent: RecentKeys,
}

/// Idempotency keys (`clientMsgId`) remembered per conversation. Clients resend only messages that
/// were not acknowledged, which are always among the latest, so a bounded window deduplicates
/// every real resend without an index over the whole log (that index cost a quarter of the
/// writer's throughput: each message dirtied another scattered B-tree page).
#[derive(Clone, Default)]
struct RecentKeys {
    order: std::collections::VecDeque<String>,
    seqs: HashMap<String, u64>,
}

impl RecentKeys {
    /// Keys remembered per conversation.
    const WINDOW: usize = 256;

    fn get(&self, key: &str) -> Option<u64> {
        self.seqs.get(key).copied()
    }

    fn insert(&mut self, key: String, seq: u64) {
        if self.seqs.insert(key.clone(), seq).is_none() {
            self.order.push_back(key);
            if self.order.len() > Self::WINDOW {
                if let Some(old) = self.order.pop_front() {
                    self.seqs.remove(&old);
                }
            }
        }
    }
}

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    cache: Mutex<HashMap<ConversationId, Cached>>,
}

impl SqliteStore {
    /// Conversation rows, newest first: of one status, matching a search, after a cursor. Status
    /// and ordering come from the rows (status changes are written at once); each row is checked
    /// against the log's last seq and rebuilt from the log when it lags. A search reads tags
    /// from the log's latest `tags_changed`, so it never lags either.
    async fn conversation_rows(
        &self,
        status: Option<ConversationStatus>,
        search: Option<&SearchTerms>,
        before: Option<&ListCursor>,
        limit: u32,
    ) -> Result<Vec<(ConversationHeader, ConversationSummary, ListCursor)>> {
        let mut conn = self.reader.acquire().await?;
        let mut conditions = Vec::new();
        if status.is_some() {
            conditions.push("c.status = ?".to_owned());
        }
        if before.is_some() {
            conditions.push("(c.updated_at, c.id) < (?, ?)".to_owned());
        }
        let mut text_binds: Vec<&str> = Vec::new();
        let mut tag_bind = None;
        if let Some(q) = search {
            let mut either = Vec::new();
            if let Some(pattern) = &q.contains {
                either.push(
                    "json_extract(c.header, '$.customer.name') LIKE ? ESCAPE '\\'
                     OR json_extract(c.header, '$.customer.email') LIKE ? ESCAPE '\\'",
                );
                text_binds.push(pattern);
                text_binds.push(pattern);
            }
            if let Some(words) = &q.words {
                either.push(
                    "c.key IN (SELECT e.conversation_key FROM message_text m
                               JOIN events e ON e.pos = m.rowid WHERE message_text MATCH ?)",
                );
                text_binds.push(words);
            }
            if !either.is_empty() {
                conditions.push(format!("({})", either.join(" OR ")));
            }
            if let Some(tag) = &q.tag {
                conditions.push(
                    "c.key IN (SELECT t.conversation_key FROM events t
                               WHERE t.type = 'tags_changed'
                                 AND t.seq = (SELECT MAX(t2.seq) FROM events t2
                                              WHERE t2.type = 'tags_changed'
                                                AND t2.conversation_key = t.conversation_key)
                                 AND EXISTS (SELECT 1 FROM json_each(t.body, '$.tags')
                                             WHERE value = ?))"
                        .to_owned(),
                );
                tag_bind = Some(tag.as_str());
            }
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT c.id, c.header, c.summary, c.last_seq, c.updated_at,
                    (SELECT MAX(seq) FROM events e WHERE e.conversation_key = c.key)
             FROM conversations c {filter} ORDER BY c.updated_at DESC, c.id DESC LIMIT ?"
        );
        let mut query = sqlx::query_as::<_, (String, String, String, i64, i64, Option<i64>)>(&sql);
        if let Some(s) = status {
            query = query.bind(s.as_str());
        }
        if let Some(c) = before {
            query = query.bind(c.updated_at_ms).bind(c.id.clone());
        }
        for value in text_binds {
            query = query.bind(value);
        }
        if let Some(tag) = tag_bind {
            query = query.bind(tag);
        }
        let rows = query.bind(limit as i64).fetch_all(&mut *conn).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, h, s, last_seq, updated_at, log_seq) in rows {
            let cursor = ListCursor {
                updated_at_ms: updated_at,
                id: id.clone(),
            };
            if log_seq.unwrap_or(0) > last_seq {
                if let Some(c) = load_state(&mut conn, &ConversationId(id)).await? {
                    out.push((c.header, c.summary, cursor));
                }
            } else {
                let header = read_header(&h, last_seq, updated_at)?;
                out.push((header, json(&s, "summary")?, cursor));
            }
        }
        Ok(out)
    }

    pub async fn open(url: &str, read_connections: u32) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory");
        // The writer keeps a large page cache (the hot index pages of the log) and checkpoints the
        // WAL itself, inside a commit, once it exceeds `AUTOCHECKPOINT_PAGES`. Checkpointing from a
        // second connection was tried: the writer then meets the checkpointer's WAL locks, gets
        // SQLITE_BUSY and sleeps in SQLite's busy handler for ~200 ms at a time.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(
                opts.clone()
                    .pragma("cache_size", "-65536")
                    .pragma("wal_autocheckpoint", AUTOCHECKPOINT_PAGES),
            )
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(read_connections)
            .connect_with(opts.clone().read_only(true))
            .await?;
        Ok(Self {
            writer,
            reader,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn cached(&self, id: &ConversationId) -> Option<Cached> {
        self.cache.lock().ok().and_then(|c| c.get(id).cloned())
    }
}

pub(super) fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(super) fn from_ms(v: i64) -> Result<Timestamp> {
    chrono::DateTime::from_timestamp_millis(v)
        .ok_or_else(|| StorageError::Corrupt(format!("timestamp {v}")))
}

pub(super) fn json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StorageError::Corrupt(format!("encoding: {e}")))
}

fn user_from_row(r: &SqliteRow, offset: usize) -> Result<User> {
    let role: String = r.try_get(offset + 3)?;
    Ok(User {
        id: UserId(r.try_get(offset)?),
        username: r.try_get(offset + 1)?,
        name: r.try_get(offset + 2)?,
        role: Role::parse(&role).ok_or_else(|| StorageError::Corrupt(format!("role {role}")))?,
        skills: json(&r.try_get::<String, _>(offset + 4)?, "skills")?,
        languages: json(&r.try_get::<String, _>(offset + 5)?, "languages")?,
        max_concurrent: r.try_get::<i64, _>(offset + 6)?.try_into().unwrap_or(0),
        disabled: r.try_get::<i64, _>(offset + 7)? != 0,
        created_at: from_ms(r.try_get(offset + 8)?)?,
    })
}

const USER_COLUMNS: &str = "u.id, u.username, u.name, u.role, u.skills, u.languages, u.max_concurrent, u.disabled, u.created_at";

impl SqliteStore {
    async fn apply_batch_on(
        &self,
        conn: &mut sqlx::SqliteConnection,
        ops: Vec<WriteOp>,
    ) -> Result<Vec<WriteOutcome>> {
        use sqlx::Connection;
        // IMMEDIATE: take the write lock up front. A deferred transaction that reads first and writes
        // later cannot wait for the lock when it upgrades; it fails with SQLITE_BUSY at once.
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;

        // Conversations touched by this batch, as they will be after it commits.
        let mut staged: HashMap<ConversationId, Staged> = HashMap::new();
        // Idempotency keys appended within this batch (not yet visible to SELECT).
        let mut batch_keys: HashMap<(ConversationId, String), Arc<ConversationEvent>> =
            HashMap::new();
        let mut rows: Vec<EventRow> = Vec::with_capacity(ops.len());
        let mut tokens = Vec::new();
        let mut outcomes = Vec::with_capacity(ops.len());
        // E-mails the batch's events owe, written in the same transaction.
        let mut outbox = Vec::new();

        for op in ops {
            match op {
                WriteOp::Create {
                    mut header,
                    customer_token,
                } => {
                    let at = header.created_at.unwrap_or_else(chrono::Utc::now);
                    let event = ConversationEvent {
                        conversation_id: header.conversation_id.clone(),
                        seq: 1,
                        timestamp: at,
                        body: EventBody::ConversationCreated {
                            customer: header.customer.clone(),
                        },
                    };
                    header.apply(&event);
                    let summary = ConversationSummary::from_header(&header);
                    let json: Arc<str> = Arc::from(to_json(&event)?);
                    let key = insert_conversation(&mut tx, &header, &summary).await?;
                    rows.push(EventRow::new(key, &event, None, json.clone()));
                    tokens.push(customer_token);
                    outcomes.push(WriteOutcome::Committed {
                        event: Arc::new(event),
                        json,
                        header: Arc::new(header.clone()),
                        summary: Arc::new(summary.clone()),
                    });
                    let id = header.conversation_id.clone();
                    let state = Cached {
                        key,
                        header,
                        summary,
                        row_stale: false,
                        recent: RecentKeys::default(),
                    };
                    staged.insert(
                        id,
                        Staged {
                            state,
                            header_changed: false,
                        },
                    );
                }
                WriteOp::Append {
                    conversation_id,
                    mut body,
                    client_id,
                    at,
                } => {
                    if !staged.contains_key(&conversation_id) {
                        let loaded = match self.cached(&conversation_id) {
                            Some(c) => Some(c),
                            None => load_state(&mut tx, &conversation_id).await?,
                        };
                        let Some(state) = loaded else {
                            outcomes.push(WriteOutcome::UnknownConversation);
                            continue;
                        };
                        staged.insert(
                            conversation_id.clone(),
                            Staged {
                                state,
                                header_changed: false,
                            },
                        );
                    }
                    let Some(st) = staged.get_mut(&conversation_id) else {
                        outcomes.push(WriteOutcome::UnknownConversation);
                        continue;
                    };
                    if let Some(key) = &client_id {
                        let k = (conversation_id.clone(), key.clone());
                        if let Some(ev) = batch_keys.get(&k) {
                            outcomes.push(WriteOutcome::Duplicate { event: ev.clone() });
                            continue;
                        }
                        if let Some(seq) = st.state.recent.get(key) {
                            let event = event_at(&mut tx, st.state.key, seq).await?;
                            outcomes.push(WriteOutcome::Duplicate {
                                event: Arc::new(event),
                            });
                            continue;
                        }
                    }
                    let seq = st.state.header.last_seq + 1;
                    if let EventBody::Message { message, .. } = &mut body {
                        message.seq = seq;
                    }
                    let event = ConversationEvent {
                        conversation_id: conversation_id.clone(),
                        seq,
                        timestamp: at,
                        body,
                    };
                    let json: Arc<str> = Arc::from(to_json(&event)?);
                    rows.push(EventRow::new(
                        st.state.key,
                        &event,
                        client_id.clone(),
                        json.clone(),
                    ));
                    // A chat message moves only last_seq/updated_at, unless it re-routes the conversation.
                    let plain_message = match &event.body {
                        EventBody::Message { routing_skill, .. } => routing_skill
                            .as_ref()
                            .is_none_or(|s| *s == st.state.header.skill),
                        _ => false,
                    };
                    st.state.header.apply(&event);
                    outbox.extend(crate::domain::followup::outbox_entry(
                        &st.state.header,
                        &event,
                    ));
                    st.header_changed |= !plain_message;
                    st.state.row_stale = true;
                    st.state.summary.apply(&st.state.header, &event);
                    let event = Arc::new(event);
                    if let Some(key) = client_id {
                        st.state.recent.insert(key.clone(), seq);
                        batch_keys.insert((conversation_id, key), event.clone());
                    }
                    outcomes.push(WriteOutcome::Committed {
                        event,
                        json,
                        header: Arc::new(st.state.header.clone()),
                        summary: Arc::new(st.state.summary.clone()),
                    });
                }
            }
        }

        upsert_conversations(&mut tx, &mut staged).await?;
        for t in &tokens {
            insert_token(&mut *tx, t).await?;
        }
        insert_events(&mut tx, &rows).await?;
        email::write_outbox(&mut tx, &outbox).await?;
        tx.commit().await?;

        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() + staged.len() > CACHE_LIMIT {
                cache.clear();
            }
            cache.extend(staged.into_iter().map(|(k, v)| (k, v.state)));
        }
        Ok(outcomes)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn apply_batch(&self, ops: Vec<WriteOp>) -> Result<Vec<WriteOutcome>> {
        let mut conn = self.writer.acquire().await?;
        let result = self.apply_batch_on(&mut conn, ops).await;
        if result.is_err() {
            // A failed write may have been rolled back by SQLite itself (a full disk does), and
            // the driver's record of the open transaction then disagrees: every later batch would
            // fail with "non-zero transaction depth". This connection goes; the pool opens a
            // fresh one for the next batch.
            conn.close_on_drop();
        }
        result
    }

    async fn flush(&self) -> Result<usize> {
        let rows: Vec<RowUpdate> = {
            let Ok(cache) = self.cache.lock() else {
                return Ok(0);
            };
            cache
                .values()
                .filter(|c| c.row_stale)
                .map(|c| RowUpdate::of(c, false))
                .collect::<Result<_>>()?
        };
        if rows.is_empty() {
            return Ok(0);
        }
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        write_rows(&mut tx, &rows).await?;
        tx.commit().await?;
        if let Ok(mut cache) = self.cache.lock() {
            for r in &rows {
                // Only if nothing was appended since: the journal calls flush between batches, so
                // this holds, but a newer state must never be marked written by an older row.
                if let Some(c) = cache.get_mut(&ConversationId(r.id.clone())) {
                    if c.header.last_seq as i64 == r.last_seq {
                        c.row_stale = false;
                    }
                }
            }
        }
        Ok(rows.len())
    }

    async fn header(&self, id: &ConversationId) -> Result<Option<ConversationHeader>> {
        let mut conn = self.reader.acquire().await?;
        Ok(load_state(&mut conn, id).await?.map(|c| c.header))
    }

    async fn conversation(&self, id: &ConversationId) -> Result<Option<Conversation>> {
        let Some(header) = self.header(id).await? else {
            return Ok(None);
        };
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM events WHERE conversation_key = (SELECT key FROM conversations WHERE id = ?)
             AND type IN ('message', 'note_added') ORDER BY seq",
        )
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await?;
        let mut messages: Vec<Message> = Vec::with_capacity(bodies.len());
        let mut notes = Vec::new();
        for b in bodies {
            let ev: ConversationEvent = json(&b, "event")?;
            if let Some(note) = crate::domain::InternalNote::from_event(&ev) {
                notes.push(note);
            } else if let EventBody::Message { message, .. } = ev.body {
                messages.push(message);
            }
        }
        Ok(Some(Conversation {
            header,
            messages,
            notes,
        }))
    }

    async fn backup_into(&self, path: &std::path::Path) -> Result<()> {
        // One read transaction: the copy is the snapshot at its start; the writer goes on.
        let target = path.to_string_lossy().into_owned();
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&self.reader)
            .await?;
        Ok(())
    }

    async fn conversation_window(
        &self,
        id: &ConversationId,
        window: MessageWindow,
    ) -> Result<Option<Conversation>> {
        use futures_util::TryStreamExt;
        let Some(header) = self.header(id).await? else {
            return Ok(None);
        };
        let mut conn = self.reader.acquire().await?;
        let Some(key) = sqlx::query_scalar::<_, i64>("SELECT key FROM conversations WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        // Newest first, stopping at the budget: the rows before it are never read.
        let mut tail: Vec<(i64, Message)> = Vec::new();
        {
            let mut bytes = 0usize;
            let mut rows = sqlx::query_as::<_, (i64, String)>(
                "SELECT seq, body FROM events WHERE conversation_key = ? AND type = 'message'
                 ORDER BY seq DESC",
            )
            .bind(key)
            .fetch(&mut *conn);
            while let Some((seq, body)) = rows.try_next().await? {
                if tail.len() >= window.tail_max {
                    break;
                }
                let ev: ConversationEvent = json(&body, "event")?;
                let EventBody::Message { message, .. } = ev.body else {
                    continue;
                };
                let size = message.content.len();
                if !tail.is_empty() && bytes + size > window.tail_bytes {
                    break;
                }
                bytes += size;
                tail.push((seq, message));
            }
        }
        let before = tail.last().map_or(i64::MAX, |(seq, _)| *seq);
        let head: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM events WHERE conversation_key = ? AND type = 'message' AND seq < ?
             ORDER BY seq LIMIT ?",
        )
        .bind(key)
        .bind(before)
        .bind(window.head as i64)
        .fetch_all(&mut *conn)
        .await?;
        let mut messages = Vec::with_capacity(head.len() + tail.len());
        for body in &head {
            let ev: ConversationEvent = json(body, "event")?;
            if let EventBody::Message { message, .. } = ev.body {
                messages.push(message);
            }
        }
        messages.extend(tail.into_iter().rev().map(|(_, m)| m));
        window.cut_older(&mut messages);
        Ok(Some(Conversation {
            header,
            messages,
            notes: Vec::new(),
        }))
    }

    async fn events_after(
        &self,
        id: &ConversationId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ConversationEvent>> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM events WHERE conversation_key = (SELECT key FROM conversations WHERE id = ?)
             AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(id.as_str())
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(limit as i64)
        .fetch_all(&self.reader)
        .await?;
        bodies.iter().map(|b| json(b, "event")).collect()
    }

    async fn list_conversations_page(
        &self,
        status: Option<ConversationStatus>,
        before: Option<&ListCursor>,
        limit: u32,
    ) -> Result<Vec<(ConversationHeader, ConversationSummary, ListCursor)>> {
        self.conversation_rows(status, None, before, limit).await
    }

    async fn search_conversations_page(
        &self,
        search: &SearchTerms,
        before: Option<&ListCursor>,
        limit: u32,
    ) -> Result<Vec<(ConversationHeader, ConversationSummary, ListCursor)>> {
        self.conversation_rows(None, Some(search), before, limit)
            .await
    }

    async fn create_user(&self, user: NewUser, now: Timestamp) -> Result<User> {
        let id = UserId::generate();
        let res = sqlx::query(
            "INSERT INTO users (id, username, name, role, password_hash, skills, languages, max_concurrent, disabled, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        )
        .bind(id.as_str())
        .bind(&user.username)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(to_json(&user.skills)?)
        .bind(to_json(&user.languages)?)
        .bind(user.max_concurrent as i64)
        .bind(ms(now))
        .execute(&self.writer)
        .await;
        match res {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StorageError::Conflict(format!("user {:?}", user.username)))
            }
            Err(e) => Err(e.into()),
            Ok(_) => Ok(User {
                id,
                username: user.username,
                name: user.name,
                role: user.role,
                skills: user.skills,
                languages: user.languages,
                max_concurrent: user.max_concurrent,
                disabled: false,
                created_at: now,
            }),
        }
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| user_from_row(r, 0)).collect()
    }

    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.reader)
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        now: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let res = sqlx::query("UPDATE users SET disabled = ? WHERE username = ?")
            .bind(disabled as i64)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        if disabled {
            revoke_sessions(&mut tx, username, now).await?;
        }
        tx.commit().await?;
        Ok(res.rows_affected() > 0)
    }

    async fn set_user_password(
        &self,
        username: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let res = sqlx::query("UPDATE users SET password_hash = ? WHERE username = ?")
            .bind(password_hash)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        // A new password ends every session opened with the old one.
        revoke_sessions(&mut tx, username, now).await?;
        tx.commit().await?;
        Ok(res.rows_affected() > 0)
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.reader)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((user_from_row(&r, 0)?, r.try_get(9)?))),
        }
    }

    async fn insert_token(&self, token: NewToken) -> Result<()> {
        insert_token(&self.writer, &token).await
    }

    async fn resolve_token(&self, hash: &str, now: Timestamp) -> Result<Option<Principal>> {
        let row = sqlx::query(&format!(
            "SELECT t.kind, t.id, t.conversation_id, t.name, t.expires_at, t.revoked_at, {USER_COLUMNS}
             FROM tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.hash = ?"
        ))
        .bind(hash)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let expires: Option<i64> = r.try_get(4)?;
        let revoked: Option<i64> = r.try_get(5)?;
        if revoked.is_some() || expires.is_some_and(|e| e <= ms(now)) {
            return Ok(None);
        }
        let kind: String = r.try_get(0)?;
        Ok(match kind.as_str() {
            "customer" => {
                let conv: Option<String> = r.try_get(2)?;
                conv.map(|c| Principal::Customer {
                    conversation_id: ConversationId(c),
                })
            }
            "staff" => {
                let user = user_from_row(&r, 6)?;
                (!user.disabled).then_some(Principal::Staff(user))
            }
            "bot" => Some(Principal::Bot {
                key_id: r.try_get(1)?,
                name: r.try_get(3)?,
            }),
            other => return Err(StorageError::Corrupt(format!("token kind {other}"))),
        })
    }

    async fn tokens_ended_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<String>> {
        let rows = sqlx::query_scalar::<_, String>(
            "SELECT hash FROM tokens WHERE revoked_at >= ?1
             UNION SELECT hash FROM tokens WHERE expires_at >= ?1 AND expires_at <= ?2",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows)
    }

    async fn revoke_token(&self, hash: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, created_at, revoked_at FROM tokens WHERE kind = 'bot' ORDER BY created_at",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(id, name, c, r)| {
                Ok(ApiKeyInfo {
                    id,
                    name,
                    created_at: from_ms(c)?,
                    revoked_at: r.map(from_ms).transpose()?,
                })
            })
            .collect()
    }

    async fn revoke_api_key(&self, id: &str, now: Timestamp) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE tokens SET revoked_at = ? WHERE id = ? AND kind = 'bot' AND revoked_at IS NULL",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(res.rows_affected() > 0)
    }

    async fn calls_awaiting_transcript(&self) -> Result<Vec<(ConversationId, String)>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.id, json_extract(r.body, '$.callId') FROM events r \
             JOIN conversations c ON c.key = r.conversation_key \
             WHERE r.type = 'recording_ready' AND json_extract(r.body, '$.callId') IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM events t WHERE t.type = 'transcript_ready' \
               AND t.conversation_key = r.conversation_key \
               AND json_extract(t.body, '$.callId') = json_extract(r.body, '$.callId')) \
             ORDER BY r.pos",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(c, call)| (ConversationId(c), call))
            .collect())
    }

    async fn put_handoffs(&self, metrics: &[HandoffMetrics]) -> Result<()> {
        review::put_handoffs(&self.writer, metrics).await
    }

    async fn handoff(&self, id: &ConversationId) -> Result<Option<HandoffMetrics>> {
        review::handoff(&self.reader, id).await
    }

    async fn list_handoffs(
        &self,
        filter: &HandoffFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<HandoffMetrics>)> {
        review::list_handoffs(&self.reader, filter, limit, offset).await
    }

    async fn handoffs_matching(&self, filter: &HandoffFilter) -> Result<Vec<HandoffMetrics>> {
        review::handoffs_matching(&self.reader, filter).await
    }

    async fn handoff_facets(&self) -> Result<(Vec<String>, Vec<String>)> {
        review::handoff_facets(&self.reader).await
    }

    async fn handoffs_missing(&self) -> Result<Vec<ConversationId>> {
        // The conversation rows are refreshed lazily; bring them up to date first.
        self.flush().await?;
        review::handoffs_missing(&self.reader).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        review::append_audit(&self.writer, entry).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        review::audit_log(&self.reader, limit).await
    }

    async fn recordings_older_than(
        &self,
        before: Timestamp,
    ) -> Result<Vec<(ConversationId, String)>> {
        review::recordings_older_than(&self.reader, before).await
    }

    async fn enqueue_webhook(&self, delivery: &NewWebhook, now: Timestamp) -> Result<()> {
        review::enqueue_webhook(&self.writer, delivery, now).await
    }

    async fn due_webhooks(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedWebhook>> {
        review::due_webhooks(&self.reader, now, limit).await
    }

    async fn webhook_attempted(
        &self,
        id: i64,
        outcome: &WebhookOutcome,
        now: Timestamp,
    ) -> Result<()> {
        review::webhook_attempted(&self.writer, id, outcome, now).await
    }

    async fn canned_responses(&self) -> Result<Vec<crate::domain::canned::CannedResponse>> {
        super::sqlite_canned::list(&self.reader).await
    }

    async fn canned_response(
        &self,
        id: &str,
    ) -> Result<Option<crate::domain::canned::CannedResponse>> {
        super::sqlite_canned::get(&self.reader, id).await
    }

    async fn create_canned_response(
        &self,
        response: &crate::domain::canned::CannedResponse,
        audit: Option<&AuditEntry>,
    ) -> Result<()> {
        super::sqlite_canned::create(&self.writer, response, audit).await
    }

    async fn update_canned_response(
        &self,
        response: &crate::domain::canned::CannedResponse,
        audit: &AuditEntry,
    ) -> Result<bool> {
        super::sqlite_canned::update(&self.writer, response, audit).await
    }

    async fn delete_canned_response(&self, id: &str, audit: &AuditEntry) -> Result<bool> {
        super::sqlite_canned::delete(&self.writer, id, audit).await
    }

    async fn customer_conversations(
        &self,
        verified_customer: &str,
        limit: u32,
    ) -> Result<Vec<crate::domain::history::StoredContact>> {
        super::sqlite_customers::conversations_of(&self.reader, verified_customer, limit).await
    }

    async fn sites(&self) -> Result<Vec<crate::domain::site::Site>> {
        super::sqlite_sites::list(&self.reader).await
    }

    async fn create_site(&self, site: &crate::domain::site::Site) -> Result<()> {
        super::sqlite_sites::create(&self.writer, site).await
    }

    async fn upsert_site(&self, site: &crate::domain::site::Site) -> Result<()> {
        super::sqlite_sites::upsert(&self.writer, site).await
    }

    async fn delete_site(&self, id: &str) -> Result<bool> {
        super::sqlite_sites::delete(&self.writer, id).await
    }

    async fn set_site_secret(&self, id: &str, secret: &str) -> Result<bool> {
        super::sqlite_sites::set_secret(&self.writer, id, secret).await
    }

    async fn insert_attachment(
        &self,
        attachment: &crate::domain::attachment::StoredAttachment,
    ) -> Result<()> {
        super::sqlite_attachments::insert(&self.writer, attachment).await
    }

    async fn attachment(
        &self,
        conversation: &ConversationId,
        id: &str,
    ) -> Result<Option<crate::domain::attachment::StoredAttachment>> {
        super::sqlite_attachments::get(&self.reader, conversation, id).await
    }

    async fn attachments_of(
        &self,
        conversation: &ConversationId,
    ) -> Result<Vec<crate::domain::attachment::StoredAttachment>> {
        super::sqlite_attachments::of_conversation(&self.reader, conversation).await
    }

    async fn attachments_on_disk(&self, conversation: &ConversationId) -> Result<u64> {
        super::sqlite_attachments::count_on_disk(&self.reader, conversation).await
    }

    async fn attachments_older_than(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<crate::domain::attachment::StoredAttachment>> {
        super::sqlite_attachments::older_than(&self.reader, before, limit).await
    }

    async fn unsent_attachments(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<crate::domain::attachment::StoredAttachment>> {
        super::sqlite_attachments::unsent(&self.reader, before, limit).await
    }

    async fn mark_attachments_deleted(
        &self,
        ids: &[String],
        at: Timestamp,
        reason: &str,
    ) -> Result<()> {
        super::sqlite_attachments::mark_deleted(&self.writer, ids, at, reason).await
    }

    async fn remove_attachment(&self, id: &str) -> Result<()> {
        super::sqlite_attachments::remove(&self.writer, id).await
    }

    async fn pending_emails(&self, now: Timestamp, limit: u32) -> Result<Vec<super::QueuedEmail>> {
        email::pending_emails(&self.reader, now, limit).await
    }

    async fn claim_email(&self, mail: &super::QueuedEmail, lease_until: Timestamp) -> Result<bool> {
        email::claim_email(&self.writer, mail, lease_until).await
    }

    async fn email_attempted(
        &self,
        id: i64,
        outcome: &super::EmailOutcome,
        now: Timestamp,
    ) -> Result<()> {
        email::email_attempted(&self.writer, id, outcome, now).await
    }

    async fn email_counts(&self) -> Result<Vec<(String, u64)>> {
        email::email_counts(&self.reader).await
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}

/// A conversation's state: its row's snapshot, then every event committed after the snapshot was
/// written (the row is refreshed lazily, see `Staged`). The log is the truth; the row is a cache.
async fn load_state(
    conn: &mut sqlx::SqliteConnection,
    id: &ConversationId,
) -> Result<Option<Cached>> {
    let row: Option<(i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT key, header, summary, last_seq, updated_at FROM conversations WHERE id = ?",
    )
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((key, h, s, last_seq, updated_at)) = row else {
        return Ok(None);
    };
    let mut header: ConversationHeader = json(&h, "header")?;
    let mut summary: ConversationSummary = json(&s, "summary")?;
    header.last_seq = last_seq.max(0) as u64;
    header.updated_at = Some(from_ms(updated_at)?);
    let newer: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM events WHERE conversation_key = ? AND seq > ? ORDER BY seq",
    )
    .bind(key)
    .bind(last_seq)
    .fetch_all(&mut *conn)
    .await?;
    for body in newer {
        let event: ConversationEvent = json(&body, "event")?;
        header.apply(&event);
        summary.apply(&header, &event);
    }
    let mut keys: Vec<(String, i64)> = sqlx::query_as(
        "SELECT client_id, seq FROM events WHERE conversation_key = ? AND client_id IS NOT NULL ORDER BY seq DESC LIMIT ?",
    )
    .bind(key)
    .bind(RecentKeys::WINDOW as i64)
    .fetch_all(&mut *conn)
    .await?;
    keys.reverse();
    let mut recent = RecentKeys::default();
    for (key, seq) in keys {
        recent.insert(key, seq.max(0) as u64);
    }
    Ok(Some(Cached {
        key,
        header,
        summary,
        row_stale: false,
        recent,
    }))
}

/// Rows per multi-row statement: well under SQLite's 32766 bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

/// An event ready to insert.
struct EventRow {
    conversation_key: i64,
    seq: i64,
    kind: &'static str,
    ts: i64,
    client_id: Option<String>,
    body: Arc<str>,
}

impl EventRow {
    fn new(
        conversation_key: i64,
        e: &ConversationEvent,
        client_id: Option<String>,
        body: Arc<str>,
    ) -> Self {
        Self {
            conversation_key,
            seq: e.seq as i64,
            kind: e.body.kind(),
            ts: ms(e.timestamp),
            client_id,
            body,
        }
    }
}

/// A conversation touched by the batch. Its row (header snapshot, summary, `last_seq`) is written
/// in the same commit when the header changed (status, participants, routing...), and otherwise by
/// the journal's next `flush` (about a second later): a plain chat message costs one event row, not
/// a rewrite of its conversation. Readers rebuild the newest state by replaying the events after the
/// row's `last_seq` (`load_state`), and listings check each row against the log, so a lagging row
/// (even one left by a crash) is never served.
struct Staged {
    state: Cached,
    header_changed: bool,
}

/// The header from its snapshot and the columns kept current on every append.
fn read_header(snapshot: &str, last_seq: i64, updated_at: i64) -> Result<ConversationHeader> {
    let mut h: ConversationHeader = json(snapshot, "header")?;
    h.last_seq = last_seq.max(0) as u64;
    h.updated_at = Some(from_ms(updated_at)?);
    Ok(h)
}

/// Revokes every live token of a staff user.
async fn revoke_sessions(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    username: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL
         AND user_id = (SELECT id FROM users WHERE username = ?)",
    )
    .bind(ms(now))
    .bind(username)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts a new conversation's row and returns its integer key.
async fn insert_conversation(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    h: &ConversationHeader,
    summary: &ConversationSummary,
) -> Result<i64> {
    let at = h.updated_at.map(ms).unwrap_or(0);
    let key: i64 = sqlx::query_scalar(
        "INSERT INTO conversations (id, status, skill, header, summary, last_seq, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING key",
    )
    .bind(h.conversation_id.as_str())
    .bind(h.status.as_str())
    .bind(&h.skill)
    .bind(to_json(h)?)
    .bind(to_json(summary)?)
    .bind(h.last_seq as i64)
    .bind(h.created_at.map(ms).unwrap_or(at))
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(key)
}

/// One stored event, by its key.
async fn event_at(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    key: i64,
    seq: u64,
) -> Result<ConversationEvent> {
    let body: String =
        sqlx::query_scalar("SELECT body FROM events WHERE conversation_key = ? AND seq = ?")
            .bind(key)
            .bind(seq as i64)
            .fetch_one(&mut **tx)
            .await?;
    json(&body, "event")
}

async fn insert_events(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    rows: &[EventRow],
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut qb: QueryBuilder<sqlx::Sqlite> = QueryBuilder::new(
            "INSERT INTO events (conversation_key, seq, type, ts, client_id, body) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.conversation_key)
                .push_bind(r.seq)
                .push_bind(r.kind)
                .push_bind(r.ts)
                .push_bind(r.client_id.as_deref())
                .push_bind(&*r.body);
        });
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Inserts new conversations and updates touched ones in one statement per chunk. An empty header
/// means "unchanged": the stored snapshot is kept.
async fn upsert_conversations(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    staged: &mut HashMap<ConversationId, Staged>,
) -> Result<()> {
    let mut rows = Vec::new();
    for st in staged.values_mut().filter(|st| st.header_changed) {
        rows.push(RowUpdate::of(&st.state, true)?);
        st.state.row_stale = false;
    }
    write_rows(tx, &rows).await
}

/// A conversation row to write. An empty `header` keeps the stored snapshot (only plain messages
/// happened since it was written, and those do not change it).
struct RowUpdate {
    id: String,
    status: &'static str,
    skill: String,
    header: String,
    summary: String,
    last_seq: i64,
    created_at: i64,
    updated_at: i64,
}

impl RowUpdate {
    fn of(c: &Cached, with_header: bool) -> Result<Self> {
        let h = &c.header;
        let updated_at = h.updated_at.map(ms).unwrap_or(0);
        Ok(Self {
            id: h.conversation_id.0.clone(),
            status: h.status.as_str(),
            skill: h.skill.clone(),
            header: if with_header {
                to_json(h)?
            } else {
                String::new()
            },
            summary: to_json(&c.summary)?,
            last_seq: h.last_seq as i64,
            created_at: h.created_at.map(ms).unwrap_or(updated_at),
            updated_at,
        })
    }
}

async fn write_rows(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    rows: &[RowUpdate],
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut qb: QueryBuilder<sqlx::Sqlite> = QueryBuilder::new(
            "INSERT INTO conversations (id, status, skill, header, summary, last_seq, created_at, updated_at) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.id.as_str())
                .push_bind(r.status)
                .push_bind(r.skill.as_str())
                .push_bind(r.header.as_str())
                .push_bind(r.summary.as_str())
                .push_bind(r.last_seq)
                .push_bind(r.created_at)
                .push_bind(r.updated_at);
        });
        qb.push(
            " ON CONFLICT (id) DO UPDATE SET status = excluded.status, skill = excluded.skill,
              header = CASE WHEN excluded.header = '' THEN conversations.header ELSE excluded.header END,
              summary = excluded.summary, last_seq = excluded.last_seq, updated_at = excluded.updated_at",
        );
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_token<'e, E>(exec: E, t: &NewToken) -> Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    debug_assert!(matches!(
        t.kind,
        TokenKind::Staff | TokenKind::Customer | TokenKind::Bot
    ));
    sqlx::query(
        "INSERT INTO tokens (hash, kind, id, user_id, conversation_id, name, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&t.hash)
    .bind(t.kind.as_str())
    .bind(&t.id)
    .bind(t.user_id.as_ref().map(|u| u.as_str()))
    .bind(t.conversation_id.as_ref().map(|c| c.as_str()))
    .bind(&t.name)
    .bind(ms(t.created_at))
    .bind(t.expires_at.map(ms))
    .execute(exec)
    .await?;
    Ok(())
}
