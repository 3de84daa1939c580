//! The conversation log's side of the store: what is written (one [`WriteOp`] per event, grouped
//! into batches by the journal), what each write became, and how the log is read.

use super::{ListCursor, MessageWindow, NewToken, Result, SearchTerms};
use crate::domain::{
    Conversation, ConversationEvent, ConversationHeader, ConversationId, ConversationStatus,
    ConversationSummary, EventBody, Timestamp,
};
use async_trait::async_trait;
use std::sync::Arc;

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

/// The conversation log: every event of every conversation, in `seq` order, and the
/// conversations projected from it.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Commits all `ops` in one durable transaction. Only the journal calls this.
    async fn apply_batch(&self, ops: Vec<WriteOp>) -> Result<Vec<WriteOutcome>>;

    /// Brings derived data (conversation rows used by listings) up to date with the log. The
    /// journal calls it between batches about once a second; returns how many rows it wrote.
    async fn flush(&self) -> Result<usize> {
        Ok(0)
    }

    async fn header(&self, id: &ConversationId) -> Result<Option<ConversationHeader>>;
    async fn conversation(&self, id: &ConversationId) -> Result<Option<Conversation>>;
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
    /// The last committed `seq` of each of `ids` that exists: what a node's periodic position
    /// check compares with what its subscribers were sent (cluster mode).
    async fn last_seqs(&self, ids: &[ConversationId]) -> Result<Vec<(ConversationId, u64)>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(h) = self.header(id).await? {
                out.push((id.clone(), h.last_seq));
            }
        }
        Ok(out)
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
    /// One page of [`EventLog::list_conversations`]: rows after `before` (exclusive), each with
    /// the cursor that continues after it.
    async fn list_conversations_page(
        &self,
        status: Option<ConversationStatus>,
        before: Option<&ListCursor>,
        limit: u32,
    ) -> Result<Vec<(ConversationHeader, ConversationSummary, ListCursor)>>;

    /// Conversations matching `search` (customer name or e-mail, message text, tag), most
    /// recently updated first, paged like [`EventLog::list_conversations_page`]. Access is the
    /// caller's to check.
    async fn search_conversations_page(
        &self,
        search: &SearchTerms,
        before: Option<&ListCursor>,
        limit: u32,
    ) -> Result<Vec<(ConversationHeader, ConversationSummary, ListCursor)>>;

    /// A verified customer's conversations (by the id their site vouched for), newest first
    /// (`domain::history`).
    async fn customer_conversations(
        &self,
        verified_customer: &str,
        limit: u32,
    ) -> Result<Vec<crate::domain::history::StoredContact>>;
}
