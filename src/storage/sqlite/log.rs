//! The SQLite side of the conversation log. Layout, chosen by measurement (BENCHMARKS.md):
//! - the event log is append-ordered (rowid) with a small `(conversation_key, seq)` index, so a
//!   commit of many conversations writes its rows sequentially;
//! - each conversation row holds a JSON snapshot of the header, rewritten when the header changes and
//!   otherwise at most once a second (`flush`); readers replay the events after the snapshot
//!   (`load_state`);
//! - the writer caches the state of conversations it touched, including their recent idempotency
//!   keys, so a plain message costs one row insert plus its index entry.
//!
//! What a batch writes is decided by `storage::batch`; this file only reads and writes rows.

use super::{accounts, customers, email, SqliteStore};
use crate::domain::{
    Conversation, ConversationEvent, ConversationHeader, ConversationId, ConversationStatus,
    ConversationSummary, EventBody, Message,
};
use crate::storage::batch::{self, BatchTx, EventRow};
use crate::storage::codec::{json, ms, to_json};
use crate::storage::state::{read_header, ConversationState, RowWrite, StoredRow};
use crate::storage::{
    EventLog, ListCursor, MessageWindow, Result, SearchTerms, WriteOp, WriteOutcome,
};
use async_trait::async_trait;
use sqlx::QueryBuilder;

/// Rows per multi-row statement: well under SQLite's 32766 bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

impl SqliteStore {
    /// A conversation's state as of its log, for `storage::copy`.
    pub(in crate::storage) async fn current_state(
        &self,
        id: &ConversationId,
    ) -> Result<Option<ConversationState>> {
        let mut conn = self.reader.acquire().await?;
        load_state(&mut conn, id).await
    }

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
        let fts5 = search.and_then(SearchTerms::fts5_query);
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
            if let Some(words) = &fts5 {
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

    async fn apply_batch_on(
        &self,
        conn: &mut sqlx::SqliteConnection,
        ops: Vec<WriteOp>,
    ) -> Result<Vec<WriteOutcome>> {
        use sqlx::Connection;
        // IMMEDIATE: take the write lock up front. A deferred transaction that reads first and writes
        // later cannot wait for the lock when it upgrades; it fails with SQLITE_BUSY at once.
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let mut plan = {
            let mut planner = WriterTx(&mut tx);
            batch::plan(&mut planner, &|id| self.cache.get(id), ops).await?
        };
        write_rows(&mut tx, &plan.changed_rows()?).await?;
        for t in &plan.tokens {
            accounts::insert_token(&mut *tx, t).await?;
        }
        insert_events(&mut tx, &plan.events).await?;
        email::write_outbox(&mut tx, &plan.outbox).await?;
        tx.commit().await?;

        let (states, outcomes) = plan.into_states();
        self.cache.extend(states);
        Ok(outcomes)
    }
}

/// The writer's open transaction, as the batch planner sees it.
struct WriterTx<'a, 'c>(&'a mut sqlx::Transaction<'c, sqlx::Sqlite>);

#[async_trait]
impl BatchTx for WriterTx<'_, '_> {
    async fn load(&mut self, id: &ConversationId) -> Result<Option<ConversationState>> {
        load_state(self.0, id).await
    }

    async fn event_at(&mut self, key: i64, seq: u64) -> Result<ConversationEvent> {
        let body: String =
            sqlx::query_scalar("SELECT body FROM events WHERE conversation_key = ? AND seq = ?")
                .bind(key)
                .bind(seq as i64)
                .fetch_one(&mut **self.0)
                .await?;
        json(&body, "event")
    }

    async fn insert_conversation(
        &mut self,
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
        .fetch_one(&mut **self.0)
        .await?;
        Ok(key)
    }
}

#[async_trait]
impl EventLog for SqliteStore {
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
        let rows = self.cache.stale_rows()?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        write_rows(&mut tx, &rows).await?;
        tx.commit().await?;
        // The journal calls flush between batches, so nothing was appended since the rows were
        // taken; the cache still checks, a newer state is never marked written.
        self.cache.written(&rows);
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

    async fn customer_conversations(
        &self,
        verified_customer: &str,
        limit: u32,
    ) -> Result<Vec<crate::domain::history::StoredContact>> {
        customers::conversations_of(&self.reader, verified_customer, limit).await
    }
}

/// A conversation's state: its row's snapshot, then every event committed after the snapshot was
/// written (the row is refreshed lazily, see `storage::batch`). The log is the truth; the row is a
/// cache.
async fn load_state(
    conn: &mut sqlx::SqliteConnection,
    id: &ConversationId,
) -> Result<Option<ConversationState>> {
    let row: Option<(i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT key, header, summary, last_seq, updated_at FROM conversations WHERE id = ?",
    )
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((key, header, summary, last_seq, updated_at)) = row else {
        return Ok(None);
    };
    let newer: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM events WHERE conversation_key = ? AND seq > ? ORDER BY seq",
    )
    .bind(key)
    .bind(last_seq)
    .fetch_all(&mut *conn)
    .await?;
    let newer = newer
        .iter()
        .map(|body| json::<ConversationEvent>(body, "event"))
        .collect::<Result<Vec<_>>>()?;
    let mut keys: Vec<(String, i64)> = sqlx::query_as(
        "SELECT client_id, seq FROM events WHERE conversation_key = ? AND client_id IS NOT NULL ORDER BY seq DESC LIMIT ?",
    )
    .bind(key)
    .bind(crate::storage::state::RecentKeys::WINDOW as i64)
    .fetch_all(&mut *conn)
    .await?;
    keys.reverse();
    let row = StoredRow {
        key,
        header,
        summary,
        last_seq,
        updated_at,
    };
    ConversationState::replay(
        row,
        newer,
        keys.into_iter().map(|(k, seq)| (k, seq.max(0) as u64)),
    )
    .map(Some)
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

async fn write_rows(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, rows: &[RowWrite]) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut qb: QueryBuilder<sqlx::Sqlite> = QueryBuilder::new(
            "INSERT INTO conversations (id, status, skill, header, summary, last_seq, created_at, updated_at) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.id.as_str())
                .push_bind(r.status)
                .push_bind(r.skill.as_str())
                .push_bind(r.header.as_deref().unwrap_or(""))
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
