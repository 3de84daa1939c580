//! The SQLite side of returning customers (`domain::history`): a verified customer's
//! conversations, newest first, by the `verified_customer` key migration 0010 keeps.

use crate::domain::history::StoredContact;
use crate::storage::rows::{contact, ContactRow};
use crate::storage::Result;
use sqlx::SqlitePool;

pub(super) async fn conversations_of(
    reader: &SqlitePool,
    verified_customer: &str,
    limit: u32,
) -> Result<Vec<StoredContact>> {
    let rows: Vec<ContactRow> = sqlx::query_as(
        // The first thing the customer wrote says what the conversation was about; the events
        // index is in seq order, so the subquery stops at the first customer message.
        "SELECT c.header, c.summary, h.metrics,
                (SELECT json_extract(e.body, '$.message.content') FROM events e
                  WHERE e.conversation_key = c.key AND e.type = 'message'
                    AND json_extract(e.body, '$.message.speaker') = 'customer'
                    AND json_extract(e.body, '$.message.content') <> ''
                  ORDER BY e.seq LIMIT 1)
           FROM conversations c LEFT JOIN handoffs h ON h.conversation_id = c.id
          WHERE c.verified_customer = ?
          ORDER BY c.created_at DESC, c.key DESC
          LIMIT ?",
    )
    .bind(verified_customer)
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await?;
    rows.into_iter().map(contact).collect()
}
