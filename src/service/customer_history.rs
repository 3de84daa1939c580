//! Returning customers: a verified customer who opens the widget on another tab or device
//! continues their open conversation instead of starting a second one; they and the agents
//! serving them read their earlier conversations; a new conversation carries the counts of the
//! earlier ones for the briefing (`domain::history` decides all of it; this is the IO).
//!
//! Contract: only verified customers (a site's signed identity token) are linked, by the id the
//! site vouched for. Earlier conversations are read-only here: they are read through the
//! conversation the caller may already open, never through a token of their own. A customer
//! reads theirs redacted as on their own page; staff read what they would read in the console.

use super::gateway::Gateway;
use crate::domain::history::{self, ContactHistory, PastConversation, StoredContact};
use crate::domain::{Conversation, ConversationId, Customer, Principal, Timestamp};
use crate::service::port::{Backend, CreatedConversation, CustomerHistory};
use crate::service::ServiceError;
use crate::storage::{NewToken, TokenKind};
use std::hash::BuildHasher;

/// Striped locks so one verified customer's concurrent opens (two tabs loading at once) resolve
/// to one conversation, while different customers never wait on each other.
pub(crate) struct ReturningLocks {
    stripes: Vec<tokio::sync::Mutex<()>>,
    hasher: std::collections::hash_map::RandomState,
}

const STRIPES: usize = 64;

impl Default for ReturningLocks {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            hasher: Default::default(),
        }
    }
}

impl ReturningLocks {
    fn stripe(&self, customer: &str) -> &tokio::sync::Mutex<()> {
        let h = self.hasher.hash_one(customer);
        &self.stripes[(h as usize) % self.stripes.len()]
    }
}

impl Gateway {
    /// Opens a conversation for `customer`: a verified customer's recent open one is continued
    /// (a fresh token for it), else a new one is created carrying their history's counts.
    pub(crate) async fn open_conversation(
        &self,
        mut customer: Customer,
    ) -> Result<CreatedConversation, ServiceError> {
        if !customer.verified || customer.id.is_empty() {
            customer.history = None;
            return self.create_new_conversation(customer).await;
        }
        let _one_at_a_time = self.returning.stripe(&customer.id).lock().await;
        let now = chrono::Utc::now();
        let contacts = self
            .store
            .customer_conversations(&customer.id, history::MAX_LISTED)
            .await?;
        let window = chrono::Duration::hours(i64::from(self.auth.customer_token_ttl_hours));
        if let Some(open) = history::resumable(&contacts, now, window) {
            let id = open.conversation_id.clone();
            return self.resume(id, now).await;
        }
        customer.history = Some(ContactHistory::of(&contacts));
        self.create_new_conversation(customer).await
    }

    /// A new customer token for an existing conversation: the same customer on another device.
    async fn resume(
        &self,
        id: ConversationId,
        now: Timestamp,
    ) -> Result<CreatedConversation, ServiceError> {
        let (token, hash) = super::credentials::new_token("wl_c");
        self.store
            .insert_token(NewToken {
                hash,
                id: super::credentials::public_id("tok"),
                kind: TokenKind::Customer,
                user_id: None,
                conversation_id: Some(id.clone()),
                name: String::new(),
                created_at: now,
                expires_at: Some(
                    now + chrono::Duration::hours(i64::from(self.auth.customer_token_ttl_hours)),
                ),
            })
            .await?;
        tracing::info!(conversation_id = %id, "returning customer continues their conversation");
        Ok(CreatedConversation {
            conversation_id: id,
            customer_token: token,
            resumed: true,
        })
    }

    /// The earlier conversations of the customer of `id`, newest first, as `who` may read them.
    pub(crate) async fn customer_history_impl(
        &self,
        who: &Principal,
        id: &ConversationId,
    ) -> Result<CustomerHistory, ServiceError> {
        let (header, _) = self.authorize(who, id).await?;
        let customer = &header.customer;
        if !customer.verified {
            return Ok(CustomerHistory {
                verified: false,
                conversations: Vec::new(),
            });
        }
        let for_staff = !matches!(who, Principal::Customer { .. });
        let contacts = self.others_of(&customer.id, id).await?;
        Ok(CustomerHistory {
            verified: true,
            conversations: contacts
                .iter()
                .map(|c| PastConversation::from_stored(c, for_staff))
                .collect(),
        })
    }

    /// One earlier conversation of the customer of `id`, read-only, redacted for `who`.
    pub(crate) async fn past_conversation_impl(
        &self,
        who: &Principal,
        id: &ConversationId,
        past: &ConversationId,
    ) -> Result<Conversation, ServiceError> {
        let (header, _) = self.authorize(who, id).await?;
        let not_theirs =
            || ServiceError::NotFound("no such conversation in this customer's history".into());
        if !header.customer.verified || past == id {
            return Err(not_theirs());
        }
        let past_header = self.store.header(past).await?.ok_or_else(not_theirs)?;
        let same = past_header.customer.verified && past_header.customer.id == header.customer.id;
        if !same {
            // The same answer as a conversation that does not exist: nothing to probe.
            return Err(not_theirs());
        }
        let conversation = self
            .store
            .conversation(past)
            .await?
            .ok_or_else(not_theirs)?;
        Ok(match who {
            Principal::Customer { .. } => conversation.for_customer(),
            _ => conversation,
        })
    }

    async fn others_of(
        &self,
        customer: &str,
        except: &ConversationId,
    ) -> Result<Vec<StoredContact>, ServiceError> {
        let mut contacts = self
            .store
            .customer_conversations(customer, history::MAX_LISTED + 1)
            .await?;
        contacts.retain(|c| &c.header.conversation_id != except);
        contacts.truncate(history::MAX_LISTED as usize);
        Ok(contacts)
    }
}
