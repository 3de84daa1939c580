//! The SQLite store: one writer connection (WAL, `synchronous=FULL`) fed by the journal, and a pool
//! of read-only connections for queries. Conversation headers are kept as JSON snapshots next to
//! the event log, and the writer caches the headers it has touched so an append costs one insert plus
//! one update per conversation per batch.
//!
//! One gateway process owns the database file: the header cache assumes no other writer.

use super::{
    ApiKeyInfo, NewToken, NewUser, Result, StorageError, Store, TokenKind, WriteOp, WriteOutcome,
};
use crate::domain::{
    Conversation, ConversationEvent, ConversationHeader, ConversationId, ConversationStatus,
    ConversationSummary, EventBody, Message, Principal, Role, Timestamp, User, UserId,
};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Headers cached by the writer before the cache is dropped and rebuilt on demand.
const CACHE_LIMIT: usize = 50_000;

#[derive(Clone)]
struct Cached {
    header: ConversationHeader,
    summary: ConversationSummary,
}

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    cache: Mutex<HashMap<ConversationId, Cached>>,
}

impl SqliteStore {
    pub async fn open(url: &str, read_connections: u32) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(read_connections)
            .connect_with(opts.read_only(true))
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

fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> Result<Timestamp> {
    chrono::DateTime::from_timestamp_millis(v)
        .ok_or_else(|| StorageError::Corrupt(format!("timestamp {v}")))
}

fn json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
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

#[async_trait]
impl Store for SqliteStore {
    async fn apply_batch(&self, ops: Vec<WriteOp>) -> Result<Vec<WriteOutcome>> {
        let mut tx = self.writer.begin().await?;
        // Conversations touched by this batch, as they will be after it commits.
        let mut staged: HashMap<ConversationId, Cached> = HashMap::new();
        // Idempotency keys appended within this batch (not yet visible to SELECT).
        let mut batch_keys: HashMap<(ConversationId, String), Arc<ConversationEvent>> =
            HashMap::new();
        let mut outcomes = Vec::with_capacity(ops.len());

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
                    let summary = ConversationSummary::from_header(&header, None);
                    sqlx::query(
                        "INSERT INTO conversations (id, status, skill, header, summary, last_seq, created_at, updated_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(header.conversation_id.as_str())
                    .bind(header.status.as_str())
                    .bind(&header.skill)
                    .bind(to_json(&header)?)
                    .bind(to_json(&summary)?)
                    .bind(1_i64)
                    .bind(ms(at))
                    .bind(ms(at))
                    .execute(&mut *tx)
                    .await?;
                    let json = insert_event(&mut tx, &event, None).await?;
                    insert_token(&mut *tx, &customer_token).await?;
                    let event = Arc::new(event);
                    outcomes.push(WriteOutcome::Committed {
                        event,
                        json,
                        header: Arc::new(header.clone()),
                        summary: Arc::new(summary.clone()),
                    });
                    staged.insert(header.conversation_id.clone(), Cached { header, summary });
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
                            None => load_cached(&mut tx, &conversation_id).await?,
                        };
                        match loaded {
                            Some(c) => {
                                staged.insert(conversation_id.clone(), c);
                            }
                            None => {
                                outcomes.push(WriteOutcome::UnknownConversation);
                                continue;
                            }
                        }
                    }
                    if let Some(key) = &client_id {
                        if let Some(ev) = batch_keys.get(&(conversation_id.clone(), key.clone())) {
                            outcomes.push(WriteOutcome::Duplicate { event: ev.clone() });
                            continue;
                        }
                        let prior: Option<String> = sqlx::query_scalar(
                            "SELECT body FROM events WHERE conversation_id = ? AND client_id = ?",
                        )
                        .bind(conversation_id.as_str())
                        .bind(key)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if let Some(prior) = prior {
                            outcomes.push(WriteOutcome::Duplicate {
                                event: Arc::new(json(&prior, "event")?),
                            });
                            continue;
                        }
                    }
                    let Some(state) = staged.get_mut(&conversation_id) else {
                        outcomes.push(WriteOutcome::UnknownConversation);
                        continue;
                    };
                    let seq = state.header.last_seq + 1;
                    if let EventBody::Message { message, .. } = &mut body {
                        message.seq = seq;
                    }
                    let event = ConversationEvent {
                        conversation_id: conversation_id.clone(),
                        seq,
                        timestamp: at,
                        body,
                    };
                    let json = insert_event(&mut tx, &event, client_id.as_deref()).await?;
                    state.header.apply(&event);
                    let last = event.body.message();
                    let prior_preview = (
                        state.summary.last_message.clone(),
                        state.summary.last_sentiment,
                    );
                    state.summary = ConversationSummary::from_header(&state.header, last);
                    if last.is_none() {
                        (state.summary.last_message, state.summary.last_sentiment) = prior_preview;
                    }
                    let event = Arc::new(event);
                    if let Some(key) = client_id {
                        batch_keys.insert((conversation_id, key), event.clone());
                    }
                    outcomes.push(WriteOutcome::Committed {
                        event,
                        json,
                        header: Arc::new(state.header.clone()),
                        summary: Arc::new(state.summary.clone()),
                    });
                }
            }
        }

        for c in staged.values() {
            let h = &c.header;
            sqlx::query(
                "UPDATE conversations SET status = ?, skill = ?, header = ?, summary = ?, last_seq = ?, updated_at = ?
                 WHERE id = ?",
            )
            .bind(h.status.as_str())
            .bind(&h.skill)
            .bind(to_json(h)?)
            .bind(to_json(&c.summary)?)
            .bind(h.last_seq as i64)
            .bind(h.updated_at.map(ms).unwrap_or(0))
            .bind(h.conversation_id.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;

        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() + staged.len() > CACHE_LIMIT {
                cache.clear();
            }
            cache.extend(staged);
        }
        Ok(outcomes)
    }

    async fn header(&self, id: &ConversationId) -> Result<Option<ConversationHeader>> {
        let row: Option<String> =
            sqlx::query_scalar("SELECT header FROM conversations WHERE id = ?")
                .bind(id.as_str())
                .fetch_optional(&self.reader)
                .await?;
        row.map(|h| json(&h, "header")).transpose()
    }

    async fn conversation(&self, id: &ConversationId) -> Result<Option<Conversation>> {
        let Some(header) = self.header(id).await? else {
            return Ok(None);
        };
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM events WHERE conversation_id = ? AND type = 'message' ORDER BY seq",
        )
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await?;
        let mut messages: Vec<Message> = Vec::with_capacity(bodies.len());
        for b in bodies {
            let ev: ConversationEvent = json(&b, "event")?;
            if let EventBody::Message { message, .. } = ev.body {
                messages.push(message);
            }
        }
        Ok(Some(Conversation { header, messages }))
    }

    async fn events_after(
        &self,
        id: &ConversationId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ConversationEvent>> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(id.as_str())
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(limit as i64)
        .fetch_all(&self.reader)
        .await?;
        bodies.iter().map(|b| json(b, "event")).collect()
    }

    async fn list_conversations(
        &self,
        status: Option<ConversationStatus>,
        limit: u32,
    ) -> Result<Vec<(ConversationHeader, ConversationSummary)>> {
        let rows: Vec<(String, String)> = match status {
            Some(s) => sqlx::query_as(
                "SELECT header, summary FROM conversations WHERE status = ? ORDER BY updated_at DESC LIMIT ?",
            )
            .bind(s.as_str())
            .bind(limit as i64)
            .fetch_all(&self.reader)
            .await?,
            None => sqlx::query_as("SELECT header, summary FROM conversations ORDER BY updated_at DESC LIMIT ?")
                .bind(limit as i64)
                .fetch_all(&self.reader)
                .await?,
        };
        rows.iter()
            .map(|(h, s)| Ok((json(h, "header")?, json(s, "summary")?)))
            .collect()
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
        let mut tx = self.writer.begin().await?;
        let res = sqlx::query("UPDATE users SET disabled = ? WHERE username = ?")
            .bind(disabled as i64)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query(
                "UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL
                 AND user_id = (SELECT id FROM users WHERE username = ?)",
            )
            .bind(ms(now))
            .bind(username)
            .execute(&mut *tx)
            .await?;
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
        let mut tx = self.writer.begin().await?;
        let res = sqlx::query("UPDATE users SET password_hash = ? WHERE username = ?")
            .bind(password_hash)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        // A new password ends every session opened with the old one.
        sqlx::query(
            "UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL
             AND user_id = (SELECT id FROM users WHERE username = ?)",
        )
        .bind(ms(now))
        .bind(username)
        .execute(&mut *tx)
        .await?;
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

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}

async fn load_cached(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: &ConversationId,
) -> Result<Option<Cached>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT header, summary FROM conversations WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    row.map(|(h, s)| {
        Ok(Cached {
            header: json(&h, "header")?,
            summary: json(&s, "summary")?,
        })
    })
    .transpose()
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    event: &ConversationEvent,
    client_id: Option<&str>,
) -> Result<Arc<str>> {
    let body = to_json(event)?;
    sqlx::query("INSERT INTO events (conversation_id, seq, type, ts, client_id, body) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(event.conversation_id.as_str())
        .bind(event.seq as i64)
        .bind(event.body.kind())
        .bind(ms(event.timestamp))
        .bind(client_id)
        .bind(&body)
        .execute(&mut **tx)
        .await?;
    Ok(Arc::from(body))
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
