//! The Postgres side of the conversation log. A batch: lock the rows of the conversations it
//! appends to (in id order), read their states and the stored keys of its resends under the lock,
//! plan with `storage::batch`, write the events and every touched row, commit. No state survives
//! the batch: another node may append next.

use super::{email, PgStore};
use crate::domain::history::StoredContact;
use crate::domain::{
    Conversation, ConversationEvent, ConversationHeader, ConversationId, ConversationStatus,
    ConversationSummary, EventBody, Message,
};
use crate::storage::batch::{self, BatchTx, EventRow};
use crate::storage::codec::{json, ms, to_json};
use crate::storage::rows::{contact, ContactRow};
use crate::storage::state::{read_header, ConversationState, RowWrite, StoredRow};
use crate::storage::{
    EventLog, ListCursor, MessageWindow, Result, SearchTerms, WriteOp, WriteOutcome,
};
use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder, Transaction};
use std::collections::HashMap;

type Tx<'c> = Transaction<'c, Postgres>;

/// `key, id, header, summary, last_seq, updated_at` of a conversation row.
type StateRow = (i64, String, String, String, i64, i64);

const STATE_COLUMNS: &str = "key, id, header, summary, last_seq, updated_at";

fn stored(row: StateRow) -> (String, StoredRow) {
    let (key, id, header, summary, last_seq, updated_at) = row;
    (
        id,
        StoredRow {
            key,
            header,
            summary,
            last_seq,
            updated_at,
        },
    )
}

/// The batch's open transaction, as the planner sees it.
struct WriterTx<'a, 'c>(&'a mut Tx<'c>);

#[async_trait]
impl BatchTx for WriterTx<'_, '_> {
    async fn load(&mut self, id: &ConversationId) -> Result<Option<ConversationState>> {
        // Reached only for a conversation the batch did not lock up front (one that did not exist
        // then); lock it now all the same.
        let row: Option<StateRow> = sqlx::query_as(&format!(
            "SELECT {STATE_COLUMNS} FROM conversations WHERE id = $1 FOR UPDATE"
        ))
        .bind(id.as_str())
        .fetch_optional(&mut **self.0)
        .await?;
        row.map(|r| ConversationState::replay(stored(r).1, [], []))
            .transpose()
    }

    async fn event_at(&mut self, key: i64, seq: u64) -> Result<ConversationEvent> {
        let body: String =
            sqlx::query_scalar("SELECT body FROM events WHERE conversation_key = $1 AND seq = $2")
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
        let verified = h.customer.verified.then_some(h.customer.id.as_str());
        let key: i64 = sqlx::query_scalar(
            "INSERT INTO conversations
               (id, status, skill, header, summary, last_seq, created_at, updated_at, verified_customer)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING key",
        )
        .bind(h.conversation_id.as_str())
        .bind(h.status.as_str())
        .bind(&h.skill)
        .bind(to_json(h)?)
        .bind(to_json(summary)?)
        .bind(h.last_seq as i64)
        .bind(h.created_at.map(ms).unwrap_or(at))
        .bind(at)
        .bind(verified)
        .fetch_one(&mut **self.0)
        .await?;
        Ok(key)
    }
}

impl PgStore {
    /// The states of the conversations `ops` append to, their rows locked until the commit, with
    /// the stored events of the batch's idempotency keys.
    async fn lock_states(
        tx: &mut Tx<'_>,
        ops: &[WriteOp],
    ) -> Result<HashMap<ConversationId, ConversationState>> {
        let ids: Vec<String> = batch::appended_conversations(ops)
            .into_iter()
            .map(|c| c.0)
            .collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<StateRow> = sqlx::query_as(&format!(
            "SELECT {STATE_COLUMNS} FROM conversations WHERE id = ANY($1) ORDER BY id FOR UPDATE"
        ))
        .bind(&ids)
        .fetch_all(&mut **tx)
        .await?;
        let client_ids: Vec<&str> = ops
            .iter()
            .filter_map(|op| match op {
                WriteOp::Append { client_id, .. } => client_id.as_deref(),
                WriteOp::Create { .. } => None,
            })
            .collect();
        let mut keys: HashMap<i64, Vec<(String, u64)>> = HashMap::new();
        if !client_ids.is_empty() {
            let conversation_keys: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let stored: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT conversation_key, client_id, seq FROM events
                 WHERE conversation_key = ANY($1) AND client_id = ANY($2) ORDER BY seq",
            )
            .bind(&conversation_keys)
            .bind(&client_ids)
            .fetch_all(&mut **tx)
            .await?;
            for (key, client_id, seq) in stored {
                keys.entry(key)
                    .or_default()
                    .push((client_id, seq.max(0) as u64));
            }
        }
        let mut states = HashMap::with_capacity(rows.len());
        for row in rows {
            let (id, row) = stored(row);
            let recent = keys.remove(&row.key).unwrap_or_default();
            states.insert(
                ConversationId(id),
                ConversationState::replay(row, [], recent)?,
            );
        }
        Ok(states)
    }

    /// Conversation rows, newest first: of one status, matching a search, after a cursor. Rows
    /// are written with their events, so they are current.
    async fn conversation_rows(
        &self,
        status: Option<ConversationStatus>,
        search: Option<&SearchTerms>,
        before: Option<&ListCursor>,
        limit: u32,
    ) -> Result<Vec<(ConversationHeader, ConversationSummary, ListCursor)>> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "SELECT c.id, c.header, c.summary, c.last_seq, c.updated_at FROM conversations c WHERE TRUE",
        );
        if let Some(s) = status {
            qb.push(" AND c.status = ").push_bind(s.as_str());
        }
        if let Some(c) = before {
            // Ids compare byte-wise ("C"), as in SQLite, whatever the database's locale.
            qb.push(" AND (c.updated_at, c.id COLLATE \"C\") < (")
                .push_bind(c.updated_at_ms)
                .push(", ")
                .push_bind(c.id.clone())
                .push(")");
        }
        if let Some(q) = search {
            let mut either = false;
            if let Some(pattern) = &q.contains {
                qb.push(" AND ((c.header::jsonb -> 'customer' ->> 'name') ILIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR (c.header::jsonb -> 'customer' ->> 'email') ILIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\'");
                either = true;
            }
            if let Some(words) = q.tsquery() {
                qb.push(if either { " OR " } else { " AND (" })
                    .push(
                        "c.key IN (SELECT e.conversation_key FROM events e
                                   WHERE e.type = 'message' AND e.words @@ to_tsquery('simple', ",
                    )
                    .push_bind(words)
                    .push("))");
                either = true;
            }
            if either {
                qb.push(")");
            }
            if let Some(tag) = &q.tag {
                qb.push(
                    " AND c.key IN (SELECT t.conversation_key FROM events t
                       WHERE t.type = 'tags_changed'
                         AND t.seq = (SELECT MAX(t2.seq) FROM events t2
                                      WHERE t2.type = 'tags_changed'
                                        AND t2.conversation_key = t.conversation_key)
                         AND (t.body::jsonb -> 'tags') ? ",
                )
                .push_bind(tag.clone())
                .push(")");
            }
        }
        qb.push(" ORDER BY c.updated_at DESC, c.id COLLATE \"C\" DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows: Vec<(String, String, String, i64, i64)> =
            qb.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(id, h, s, last_seq, updated_at)| {
                let header = read_header(&h, last_seq, updated_at)?;
                Ok((
                    header,
                    json(&s, "summary")?,
                    ListCursor {
                        updated_at_ms: updated_at,
                        id,
                    },
                ))
            })
            .collect()
    }

    async fn key_of(&self, id: &ConversationId) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT key FROM conversations WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

async fn insert_events(tx: &mut Tx<'_>, rows: &[EventRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    // One statement for the whole batch, whatever its size: arrays, not a bind per value.
    let keys: Vec<i64> = rows.iter().map(|r| r.conversation_key).collect();
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind).collect();
    let ts: Vec<i64> = rows.iter().map(|r| r.ts).collect();
    let client_ids: Vec<Option<&str>> = rows.iter().map(|r| r.client_id.as_deref()).collect();
    let bodies: Vec<&str> = rows.iter().map(|r| &*r.body).collect();
    sqlx::query(
        "INSERT INTO events (conversation_key, seq, type, ts, client_id, body)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[], $6::TEXT[])",
    )
    .bind(&keys)
    .bind(&seqs)
    .bind(&kinds)
    .bind(&ts)
    .bind(&client_ids)
    .bind(&bodies)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn write_rows(tx: &mut Tx<'_>, rows: &[RowWrite]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let statuses: Vec<&str> = rows.iter().map(|r| r.status).collect();
    let skills: Vec<&str> = rows.iter().map(|r| r.skill.as_str()).collect();
    let headers: Vec<Option<&str>> = rows.iter().map(|r| r.header.as_deref()).collect();
    let summaries: Vec<&str> = rows.iter().map(|r| r.summary.as_str()).collect();
    let last_seqs: Vec<i64> = rows.iter().map(|r| r.last_seq).collect();
    let updated: Vec<i64> = rows.iter().map(|r| r.updated_at).collect();
    sqlx::query(
        "UPDATE conversations c
            SET status = u.status, skill = u.skill, header = COALESCE(u.header, c.header),
                summary = u.summary, last_seq = u.last_seq, updated_at = u.updated_at
           FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], $7::BIGINT[])
             AS u (id, status, skill, header, summary, last_seq, updated_at)
          WHERE c.id = u.id",
    )
    .bind(&ids)
    .bind(&statuses)
    .bind(&skills)
    .bind(&headers)
    .bind(&summaries)
    .bind(&last_seqs)
    .bind(&updated)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn messages_and_notes(
    bodies: &[String],
) -> Result<(Vec<Message>, Vec<crate::domain::InternalNote>)> {
    let mut messages = Vec::with_capacity(bodies.len());
    let mut notes = Vec::new();
    for b in bodies {
        let ev: ConversationEvent = json(b, "event")?;
        if let Some(note) = crate::domain::InternalNote::from_event(&ev) {
            notes.push(note);
        } else if let EventBody::Message { message, .. } = ev.body {
            messages.push(message);
        }
    }
    Ok((messages, notes))
}

#[async_trait]
impl EventLog for PgStore {
    async fn apply_batch(&self, ops: Vec<WriteOp>) -> Result<Vec<WriteOutcome>> {
        let mut tx = self.pool.begin().await?;
        let locked = Self::lock_states(&mut tx, &ops).await?;
        let mut plan = {
            let mut planner = WriterTx(&mut tx);
            batch::plan(&mut planner, &|id| locked.get(id).cloned(), ops).await?
        };
        for t in &plan.tokens {
            super::accounts::insert_token(&mut *tx, t).await?;
        }
        insert_events(&mut tx, &plan.events).await?;
        write_rows(&mut tx, &plan.all_rows()?).await?;
        email::write_outbox(&mut tx, &plan.outbox).await?;
        tx.commit().await?;
        Ok(plan.into_states().1)
    }

    async fn header(&self, id: &ConversationId) -> Result<Option<ConversationHeader>> {
        let row: Option<(String, i64, i64)> =
            sqlx::query_as("SELECT header, last_seq, updated_at FROM conversations WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(h, last_seq, updated_at)| read_header(&h, last_seq, updated_at))
            .transpose()
    }

    async fn conversation(&self, id: &ConversationId) -> Result<Option<Conversation>> {
        let Some(header) = self.header(id).await? else {
            return Ok(None);
        };
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM events WHERE conversation_key = (SELECT key FROM conversations WHERE id = $1)
             AND type IN ('message', 'note_added') AND seq <= $2 ORDER BY seq",
        )
        .bind(id.as_str())
        .bind(header.last_seq as i64)
        .fetch_all(&self.pool)
        .await?;
        let (messages, notes) = messages_and_notes(&bodies)?;
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
        let Some(key) = self.key_of(id).await? else {
            return Ok(None);
        };
        let last_seq = header.last_seq as i64;
        // Newest first, stopping at the budget: the rows before it are never read.
        let mut tail: Vec<(i64, Message)> = Vec::new();
        {
            let mut bytes = 0usize;
            let mut rows = sqlx::query_as::<_, (i64, String)>(
                "SELECT seq, body FROM events WHERE conversation_key = $1 AND type = 'message'
                 AND seq <= $2 ORDER BY seq DESC",
            )
            .bind(key)
            .bind(last_seq)
            .fetch(&self.pool);
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
            "SELECT body FROM events WHERE conversation_key = $1 AND type = 'message' AND seq < $2
             ORDER BY seq LIMIT $3",
        )
        .bind(key)
        .bind(before)
        .bind(window.head as i64)
        .fetch_all(&self.pool)
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

    async fn last_seqs(&self, ids: &[ConversationId]) -> Result<Vec<(ConversationId, u64)>> {
        let ids: Vec<&str> = ids.iter().map(|c| c.as_str()).collect();
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT id, last_seq FROM conversations WHERE id = ANY($1)")
                .bind(&ids)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, seq)| (ConversationId(id), seq.max(0) as u64))
            .collect())
    }

    async fn events_after(
        &self,
        id: &ConversationId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ConversationEvent>> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM events WHERE conversation_key = (SELECT key FROM conversations WHERE id = $1)
             AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(id.as_str())
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
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
    ) -> Result<Vec<StoredContact>> {
        let rows: Vec<ContactRow> = sqlx::query_as(
            // The first thing the customer wrote says what the conversation was about.
            "SELECT c.header, c.summary, h.metrics,
                    (SELECT e.body::jsonb -> 'message' ->> 'content' FROM events e
                      WHERE e.conversation_key = c.key AND e.type = 'message'
                        AND e.body::jsonb -> 'message' ->> 'speaker' = 'customer'
                        AND e.body::jsonb -> 'message' ->> 'content' <> ''
                      ORDER BY e.seq LIMIT 1)
               FROM conversations c LEFT JOIN handoffs h ON h.conversation_id = c.id
              WHERE c.verified_customer = $1
              ORDER BY c.created_at DESC, c.key DESC
              LIMIT $2",
        )
        .bind(verified_customer)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(contact).collect()
    }
}
