//! The gateway's request-facing core: it authenticates, applies the access rules, analyses customer
//! messages, commits through the journal and hands customer messages to the assistant worker. It is
//! what the HTTP layer's `Backend` trait is implemented by.

use super::credentials;
use super::handoff::{Handoff, HandoffError};
use super::preparation::Preparation;
use super::turns::TurnJob;
use crate::analysis::intent::FALLBACK_SKILL;
use crate::chat::{ClientFrame, ServerFrame};
use crate::config::{AuthConfig, LimitsConfig};
use crate::domain::ids::{is_plausible_id, MAX_ID_LEN};
use crate::domain::{
    Access, AuditEntry, Conversation, ConversationEvent, ConversationHeader, ConversationId,
    ConversationStatus, ConversationSummary, Customer, EventBody, GroupBy, HandoffAggregate,
    HandoffFilter, HandoffMetrics, Message, Participant, ParticipantId, ParticipantKind, Principal,
    QueueView, Role, Speaker, User,
};
use crate::metrics::Metrics;
use crate::service::port::{
    Asker, Backend, ConversationPage, ConversationSearch, CreatedConversation, CustomerHistory,
    Download, HandoffAction, LoginResult, Posted,
};
use crate::service::ServiceError;
use crate::storage::{
    journal::Journal, ListCursor, NewToken, Store, TokenKind, WriteOp, WriteOutcome,
};
use async_trait::async_trait;
use chrono::Utc;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Most conversations returned by one listing.
const LIST_LIMIT: u32 = 500;
/// Longest search text accepted, in bytes.
const MAX_SEARCH_BYTES: usize = 200;
/// Longest customer name, e-mail or id accepted, in bytes.
const MAX_CUSTOMER_FIELD: usize = 256;
/// Largest serialised `customer.context` accepted, in bytes.
const MAX_CUSTOMER_CONTEXT: usize = 8 * 1024;

pub struct Gateway {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) headers: Arc<super::headers::HeaderCache>,
    pub(crate) shutdown: tokio::sync::watch::Sender<bool>,
    pub(crate) journal: Journal,
    /// Delivery to the sockets (today the in-process hub; a bus between nodes fits here).
    pub(crate) fanout: Arc<dyn crate::chat::Fanout>,
    pub(crate) analysis: super::analysis_gate::AnalysisGate,
    pub(crate) turn_jobs: Option<mpsc::Sender<TurnJob>>,
    pub(crate) assistant_name: Option<String>,
    /// The handoff coordinator; `None` when `[handoff] enabled = false`.
    pub(crate) handoff: Option<Handoff>,
    pub(crate) preparation: Arc<Preparation>,
    pub(crate) calls: Arc<super::calls::Calls>,
    pub(crate) review: Arc<super::review::Review>,
    /// The escalation policy (a call started with only the assistant escalates).
    pub(crate) policy: Arc<crate::handoff::policy::EscalationPolicy>,
    /// Sessions with open sockets, closed when their token ends.
    pub(crate) sessions: Arc<super::sessions::Sessions>,
    /// Login password checks: bounded in number and memory.
    pub(crate) verifier: super::credentials::BoundedVerifier,
    pub(crate) login_throttle: std::sync::Mutex<super::login_throttle::LoginThrottle>,
    /// A real hash of a random password, verified against when the username is unknown.
    pub(crate) decoy_hash: String,
    pub(crate) limits: LimitsConfig,
    pub(crate) auth: AuthConfig,
    pub(crate) metrics: Arc<Metrics>,
    /// Where call recordings are (`<data_dir>/recordings`).
    pub(crate) recordings: std::path::PathBuf,
    /// The websites that embed the widget.
    pub(crate) sites: Arc<super::sites::SiteDirectory>,
    /// E-mail follow-ups and transcripts; `None` while `[email]` is not configured.
    pub(crate) email: Option<Arc<super::email::EmailService>>,
    /// Files attached to messages, on disk under `<data_dir>/attachments`.
    pub(crate) attachments: Arc<super::attachments::Attachments>,
    /// One open at a time per verified customer (`customer_history`).
    pub(crate) returning: super::customer_history::ReturningLocks,
}

fn hours(h: u32) -> chrono::Duration {
    chrono::Duration::hours(i64::from(h))
}

impl From<HandoffError> for ServiceError {
    fn from(e: HandoffError) -> Self {
        use HandoffError as H;
        let msg = e.to_string();
        match e {
            H::NotOffered => ServiceError::OutOfOrder("not_offered", msg),
            H::OfferExpired => ServiceError::OutOfOrder("offer_expired", msg),
            H::NotAccepted => ServiceError::OutOfOrder("not_accepted", msg),
            H::BriefingNotOpened => ServiceError::OutOfOrder("briefing_not_opened", msg),
            H::AlreadyJoined => ServiceError::OutOfOrder("already_joined", msg),
            H::NotInConversation => ServiceError::OutOfOrder("not_in_conversation", msg),
            H::NotEscalated | H::Resolved => ServiceError::OutOfOrder("not_escalated", msg),
            H::InvitePending => ServiceError::OutOfOrder("invite_pending", msg),
            H::NoSpecialist(_) => ServiceError::OutOfOrder("no_specialist", msg),
            H::TransferTargetUnavailable(..) => {
                ServiceError::OutOfOrder("transfer_target_unavailable", msg)
            }
            H::NobodyToTransferTo(_) => ServiceError::OutOfOrder("no_agent_available", msg),
            H::NoTransfer => ServiceError::OutOfOrder("no_transfer", msg),
            H::BadTransfer(_) => ServiceError::Invalid(msg),
            H::BadSkill | H::BadStatus(_) => ServiceError::Invalid(msg),
            H::BadIntroduction(_) => ServiceError::TooLarge(msg),
            H::Storage(_) => ServiceError::internal("handoff", e),
            H::Unavailable => ServiceError::unavailable("handoff", e),
        }
    }
}

/// The agent behind `who`, or 403.
fn agent_of(who: &Principal) -> Result<&User, ServiceError> {
    match who {
        Principal::Staff(u) if u.role == Role::Agent && !u.disabled => Ok(u),
        _ => Err(ServiceError::Forbidden(
            "only agents take part in handoffs".into(),
        )),
    }
}

fn is_staff(who: &Principal) -> Result<(), ServiceError> {
    match who {
        Principal::Staff(u) if !u.disabled => Ok(()),
        _ => Err(ServiceError::Forbidden("this is for staff".into())),
    }
}

/// Rows read per page while filtering a list by access.
const LIST_PAGE: u32 = 500;
/// Pages read for one list answer: a caller who may read little among very many stops here and
/// continues with the cursor.
const LIST_MAX_PAGES: usize = 20;

impl Gateway {
    /// A customer started a call while the assistant had the conversation: they want a person,
    /// so it escalates now (trigger `call_request`) instead of leaving them waiting in the call.
    async fn escalate_for_call(&self, header: &ConversationHeader) {
        let Some(handoff) = &self.handoff else {
            return;
        };
        let id = &header.conversation_id;
        let conversation = match self
            .store
            .conversation_window(id, crate::storage::MessageWindow::TURN)
            .await
        {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(e) => return tracing::warn!(error = %e, "call escalation: conversation not read"),
        };
        let decision = self.policy.call_started(&conversation, Utc::now());
        let likelihood = self
            .preparation
            .get(id)
            .map_or(1.0, |d| d.likelihood.max(0.5));
        if let Err(e) = handoff
            .escalate(conversation, decision, likelihood, Default::default())
            .await
        {
            tracing::warn!(error = %e, "call escalation not handed to the coordinator");
        }
    }

    /// Up to `limit` conversations `who` may read, after `before`; the cursor continues after the
    /// last row examined (`None` when the list is exhausted).
    async fn readable(
        &self,
        who: &Principal,
        status: Option<ConversationStatus>,
        search: Option<&crate::storage::SearchTerms>,
        mut before: Option<ListCursor>,
        limit: u32,
    ) -> Result<(Vec<ConversationSummary>, Option<ListCursor>), ServiceError> {
        let mut out = Vec::new();
        for _ in 0..LIST_MAX_PAGES {
            let rows = match search {
                Some(q) => {
                    self.store
                        .search_conversations_page(q, before.as_ref(), LIST_PAGE)
                        .await?
                }
                None => {
                    self.store
                        .list_conversations_page(status, before.as_ref(), LIST_PAGE)
                        .await?
                }
            };
            let exhausted = rows.len() < LIST_PAGE as usize;
            for (header, summary, cursor) in rows {
                before = Some(cursor);
                let wanted = search.is_none() || status.is_none_or(|s| header.status == s);
                if wanted && who.access(&header).can_read() {
                    out.push(summary);
                    if out.len() as u32 >= limit {
                        return Ok((out, before));
                    }
                }
            }
            if exhausted {
                return Ok((out, None));
            }
        }
        Ok((out, before))
    }

    fn handoff_service(&self) -> Result<&Handoff, ServiceError> {
        self.handoff.as_ref().ok_or_else(|| {
            ServiceError::Forbidden(
                "handoffs are turned off on this gateway ([handoff] enabled)".into(),
            )
        })
    }

    /// Asks every WebSocket session to close.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// The latest committed header, from the cache or else the database.
    async fn header(
        &self,
        id: &ConversationId,
    ) -> Result<Option<Arc<ConversationHeader>>, ServiceError> {
        if let Some(h) = self.headers.get(id) {
            return Ok(Some(h));
        }
        let Some(h) = self.store.header(id).await? else {
            return Ok(None);
        };
        let h = Arc::new(h);
        self.headers.offer(h.clone());
        Ok(Some(h))
    }

    fn check_customer(c: &Customer) -> Result<(), ServiceError> {
        let fields = [Some(&c.id), c.name.as_ref(), c.email.as_ref()];
        if fields
            .iter()
            .flatten()
            .any(|f| f.len() > MAX_CUSTOMER_FIELD)
        {
            return Err(ServiceError::Invalid(format!(
                "customer id, name and email must be at most {MAX_CUSTOMER_FIELD} bytes"
            )));
        }
        let context_size = serde_json::to_string(&c.context)
            .map(|s| s.len())
            .unwrap_or(usize::MAX);
        if context_size > MAX_CUSTOMER_CONTEXT {
            return Err(ServiceError::TooLarge(format!(
                "customer.context must be at most {MAX_CUSTOMER_CONTEXT} bytes"
            )));
        }
        Ok(())
    }

    pub(super) async fn write(&self, op: WriteOp) -> Result<WriteOutcome, ServiceError> {
        Ok(self.journal.write(op).await?)
    }

    pub(super) fn speaker_for(who: &Principal, access: Access) -> Result<Speaker, ServiceError> {
        if !access.can_write() {
            return Err(ServiceError::Forbidden(
                "you may read this conversation but not write to it".into(),
            ));
        }
        Ok(match who {
            Principal::Customer { .. } => Speaker::Customer,
            Principal::Staff(u) if u.role == Role::Agent => Speaker::Agent,
            Principal::Staff(_) => {
                return Err(ServiceError::Forbidden(
                    "managers review conversations read-only".into(),
                ))
            }
            Principal::Bot { .. } => Speaker::Ai,
        })
    }

    /// A customer writing into a resolved conversation reopens it with the assistant. The system
    /// notice also starts a new evidence window for the escalation policy.
    pub(super) async fn reopen(
        &self,
        id: &ConversationId,
    ) -> Result<Arc<ConversationHeader>, ServiceError> {
        let now = Utc::now();
        let notice = Message::new(
            Speaker::System,
            "Conversation reopened. Our assistant is here again, and you can ask for a person at any time.",
            now,
        );
        for body in [
            EventBody::StatusChanged {
                status: ConversationStatus::Ai,
                reason: Some("reopened_by_customer".into()),
            },
            EventBody::Message {
                message: notice,
                routing_skill: None,
            },
        ] {
            let op = WriteOp::Append {
                conversation_id: id.clone(),
                body,
                client_id: None,
                at: now,
            };
            if let WriteOutcome::UnknownConversation = self.write(op).await? {
                return Err(ServiceError::conversation_not_found());
            }
        }
        self.header(id)
            .await?
            .ok_or_else(ServiceError::conversation_not_found)
    }

    /// An agent who writes into a conversation they are not in joins it first.
    pub(super) async fn join_if_needed(
        &self,
        header: &ConversationHeader,
        user: &User,
    ) -> Result<(), ServiceError> {
        if header.has_active_agent(&user.id) {
            return Ok(());
        }
        if let Some(handoff) = &self.handoff {
            let draft = self
                .preparation
                .get(&header.conversation_id)
                .map(|d| d.briefing);
            return Ok(handoff.take_over(header, user.clone(), draft).await?);
        }
        let now = Utc::now();
        let participant = Participant {
            id: ParticipantId::generate(),
            kind: ParticipantKind::Agent,
            user_id: Some(user.id.clone()),
            name: user.name.clone(),
            joined_at: now,
            left_at: None,
        };
        let op = WriteOp::Append {
            conversation_id: header.conversation_id.clone(),
            body: EventBody::AgentJoined {
                participant,
                specialist: false,
            },
            client_id: None,
            at: now,
        };
        match self.write(op).await? {
            WriteOutcome::Committed { .. } | WriteOutcome::Duplicate { .. } => Ok(()),
            WriteOutcome::UnknownConversation => Err(ServiceError::conversation_not_found()),
        }
    }
}

impl Gateway {
    /// Creates a new conversation for `customer` (see `open_conversation` for returning ones).
    pub(crate) async fn create_new_conversation(
        &self,
        mut customer: Customer,
    ) -> Result<CreatedConversation, ServiceError> {
        Self::check_customer(&customer)?;
        if customer.id.is_empty() {
            customer.id = format!("cust-{}", uuid::Uuid::now_v7());
        }
        let now = Utc::now();
        let id = ConversationId::generate();
        let mut header = ConversationHeader::new(id.clone(), customer.clone(), now);
        header.participants.push(Participant {
            id: ParticipantId::generate(),
            kind: ParticipantKind::Customer,
            user_id: None,
            name: customer.name.clone().unwrap_or_else(|| "Customer".into()),
            joined_at: now,
            left_at: None,
        });
        if let Some(name) = &self.assistant_name {
            header.participants.push(Participant {
                id: ParticipantId::generate(),
                kind: ParticipantKind::Ai,
                user_id: None,
                name: name.clone(),
                joined_at: now,
                left_at: None,
            });
        }
        let (token, hash) = credentials::new_token("wl_c");
        let customer_token = NewToken {
            hash,
            id: credentials::public_id("tok"),
            kind: TokenKind::Customer,
            user_id: None,
            conversation_id: Some(id.clone()),
            name: String::new(),
            created_at: now,
            expires_at: Some(now + hours(self.auth.customer_token_ttl_hours)),
        };
        self.write(WriteOp::Create {
            header,
            customer_token,
        })
        .await?;
        tracing::info!(conversation_id = %id, "conversation created");
        Ok(CreatedConversation {
            conversation_id: id,
            customer_token: token,
            resumed: false,
        })
    }
}

#[async_trait]
impl Backend for Gateway {
    async fn site(&self, id: &str) -> Option<Arc<crate::domain::site::Site>> {
        self.sites.get(id).await
    }

    fn any_site_allows(&self, origin: &str) -> bool {
        self.sites.any_allows(origin)
    }

    fn admit_site_conversation(&self, site: &crate::domain::site::Site) -> bool {
        self.sites.admit_conversation(site)
    }

    async fn authenticate(&self, token: &str) -> Result<Principal, ServiceError> {
        if token.is_empty() || token.len() > 256 {
            return Err(ServiceError::Unauthenticated("invalid token".into()));
        }
        let digest = credentials::token_digest(token);
        self.store
            .resolve_token(&digest, Utc::now())
            .await?
            .ok_or_else(|| {
                ServiceError::Unauthenticated("invalid, expired or revoked token".into())
            })
    }

    async fn login(
        &self,
        username: &str,
        password: &str,
        ip: std::net::IpAddr,
    ) -> Result<LoginResult, ServiceError> {
        use super::login_throttle::{Admission, Failure};
        if username.len() > MAX_CUSTOMER_FIELD || password.len() > 1024 {
            return Err(ServiceError::Unauthenticated(
                "wrong username or password".into(),
            ));
        }
        let admission = self
            .login_throttle
            .lock()
            .map(|t| t.admit(username, std::time::Instant::now()))
            .unwrap_or(Admission::Allowed);
        if let Admission::Locked { retry_after } = admission {
            self.metrics
                .rate_limited
                .get_or_create(&crate::metrics::ReasonLabel {
                    reason: "login_account",
                })
                .inc();
            return Err(ServiceError::RateLimited(format!(
                "too many failed logins for this account; try again in {} s",
                retry_after.as_secs().max(1)
            )));
        }
        let found = self.store.credentials(username).await?;
        // Unknown users cost a hash too, so timing does not reveal which usernames exist.
        let (user, phc) = match found {
            Some((u, h)) => (Some(u), h),
            None => (None, self.decoy_hash.clone()),
        };
        let ok = match self.verifier.verify(password.to_owned(), phc).await {
            Ok(ok) => ok,
            Err(super::credentials::CredentialError::Busy) => {
                return Err(ServiceError::RateLimited(
                    "too many logins are being checked; try again in a few seconds".into(),
                ))
            }
            Err(e) => return Err(ServiceError::internal("checking the password", e)),
        };
        let user = match user {
            Some(u) if ok && !u.disabled => u,
            user => {
                let failure = self
                    .login_throttle
                    .lock()
                    .map(|mut t| t.failed(username, std::time::Instant::now()))
                    .ok();
                if let Some(Failure::Locked { failures, lock }) = failure {
                    tracing::warn!(
                        username,
                        failures,
                        lock_secs = lock.as_secs(),
                        "login locked after repeated failures"
                    );
                    if let Some(u) = user {
                        let entry = AuditEntry {
                            at: Utc::now(),
                            user_id: u.id.clone(),
                            username: u.username.clone(),
                            action: "login.locked".into(),
                            conversation_id: None,
                            detail: format!(
                                "{failures} failed logins in a row; locked for {} s",
                                lock.as_secs()
                            ),
                            ip: ip.to_string(),
                        };
                        if let Err(e) = self.store.append_audit(&entry).await {
                            tracing::warn!(error = %e, "audit entry for a locked login not written");
                        }
                    }
                }
                return Err(ServiceError::Unauthenticated(
                    "wrong username or password".into(),
                ));
            }
        };
        if let Ok(mut t) = self.login_throttle.lock() {
            t.succeeded(username);
        }
        let now = Utc::now();
        let expires_at = now + hours(self.auth.staff_token_ttl_hours);
        let (token, hash) = credentials::new_token("wl_s");
        self.store
            .insert_token(NewToken {
                hash,
                id: credentials::public_id("tok"),
                kind: TokenKind::Staff,
                user_id: Some(user.id.clone()),
                conversation_id: None,
                name: String::new(),
                created_at: now,
                expires_at: Some(expires_at),
            })
            .await?;
        tracing::info!(user = %user.username, "login");
        Ok(LoginResult {
            token,
            expires_at,
            user,
        })
    }

    async fn logout(&self, token: &str) -> Result<(), ServiceError> {
        let digest = credentials::token_digest(token);
        self.store.revoke_token(&digest, Utc::now()).await?;
        self.sessions.end([digest.as_str()]);
        Ok(())
    }

    fn session_end(&self, token: &str) -> crate::service::port::SessionEnd {
        self.sessions.watch(credentials::token_digest(token))
    }

    async fn create_conversation(
        &self,
        customer: Customer,
    ) -> Result<CreatedConversation, ServiceError> {
        self.open_conversation(customer).await
    }

    async fn customer_history(
        &self,
        who: &Principal,
        id: &ConversationId,
    ) -> Result<CustomerHistory, ServiceError> {
        self.customer_history_impl(who, id).await
    }

    async fn past_conversation(
        &self,
        who: &Principal,
        id: &ConversationId,
        past: &ConversationId,
    ) -> Result<Conversation, ServiceError> {
        self.past_conversation_impl(who, id, past).await
    }

    async fn authorize(
        &self,
        who: &Principal,
        id: &ConversationId,
    ) -> Result<(Arc<ConversationHeader>, Access), ServiceError> {
        let header = self
            .header(id)
            .await?
            .ok_or_else(ServiceError::conversation_not_found)?;
        let access = who.access(&header);
        if !access.can_read() {
            // Same answer as a missing conversation: a stranger learns nothing.
            return Err(ServiceError::conversation_not_found());
        }
        Ok((header, access))
    }

    async fn conversation(
        &self,
        who: &Principal,
        id: &ConversationId,
    ) -> Result<Conversation, ServiceError> {
        self.authorize(who, id).await?;
        let conversation = self
            .store
            .conversation(id)
            .await?
            .ok_or_else(ServiceError::conversation_not_found)?;
        Ok(match who {
            Principal::Customer { .. } => conversation.for_customer(),
            _ => conversation,
        })
    }

    async fn events_after(
        &self,
        who: &Principal,
        id: &ConversationId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ConversationEvent>, ServiceError> {
        self.authorize(who, id).await?;
        let events = self.store.events_after(id, after, limit).await?;
        Ok(match who {
            Principal::Customer { .. } => events
                .iter()
                .map(|e| e.for_customer().into_owned())
                .collect(),
            _ => events,
        })
    }

    async fn list_conversations(
        &self,
        who: &Principal,
        status: Option<ConversationStatus>,
        search: ConversationSearch<'_>,
        before: Option<&str>,
        limit: u32,
    ) -> Result<ConversationPage, ServiceError> {
        if matches!(who, Principal::Customer { .. }) {
            return Err(ServiceError::Forbidden(
                "customers can only open their own conversation".into(),
            ));
        }
        if search.text.is_some_and(|t| t.len() > MAX_SEARCH_BYTES) {
            return Err(ServiceError::Invalid(format!(
                "the search is over {MAX_SEARCH_BYTES} bytes"
            )));
        }
        let search = crate::storage::SearchTerms::new(search.text, search.tag);
        let search = search.as_ref();
        let before = match before {
            None => None,
            Some(c) => Some(
                ListCursor::decode(c)
                    .ok_or_else(|| ServiceError::Invalid("invalid `before` cursor".into()))?,
            ),
        };
        let (conversations, next) = self
            .readable(who, status, search, before, limit.clamp(1, LIST_LIMIT))
            .await?;
        Ok(ConversationPage {
            conversations,
            next_cursor: next.map(|c| c.encode()),
        })
    }

    async fn inbox(
        &self,
        who: &Principal,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, ServiceError> {
        if !matches!(who, Principal::Staff(_)) {
            return Err(ServiceError::Forbidden("the inbox is for staff".into()));
        }
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for status in [
            Some(ConversationStatus::Queued),
            Some(ConversationStatus::WithAgent),
            None,
        ] {
            let room = limit.saturating_sub(out.len() as u32);
            if room == 0 {
                break;
            }
            let (rows, _) = self.readable(who, status, None, None, room).await?;
            for s in rows {
                if seen.insert(s.conversation_id.clone()) {
                    out.push(s);
                }
            }
        }
        Ok(out)
    }

    async fn add_note(
        &self,
        who: &Principal,
        id: &ConversationId,
        text: String,
    ) -> Result<ConversationEvent, ServiceError> {
        self.add_note_impl(who, id, text).await
    }

    async fn set_tags(
        &self,
        who: &Principal,
        id: &ConversationId,
        tags: Vec<String>,
    ) -> Result<ConversationEvent, ServiceError> {
        self.set_tags_impl(who, id, tags).await
    }

    async fn post_message(
        &self,
        who: &Principal,
        id: &ConversationId,
        content: String,
        client_msg_id: Option<String>,
    ) -> Result<Posted, ServiceError> {
        let content = content.trim().to_owned();
        if content.is_empty() {
            return Err(ServiceError::Invalid("message content is empty".into()));
        }
        if content.len() > self.limits.max_message_bytes {
            return Err(ServiceError::TooLarge(format!(
                "message is {} bytes; the limit is {}",
                content.len(),
                self.limits.max_message_bytes
            )));
        }
        if let Some(key) = &client_msg_id {
            if !is_plausible_id(key) {
                return Err(ServiceError::Invalid(format!(
                    "clientMsgId must be 1-{MAX_ID_LEN} characters of letters, digits, '-' or '_'"
                )));
            }
        }
        let (mut header, access) = self.authorize(who, id).await?;
        let speaker = Self::speaker_for(who, access)?;
        if speaker == Speaker::Customer && header.status == ConversationStatus::Resolved {
            header = self.reopen(id).await?;
        }
        let now = Utc::now();
        let mut message = Message::new(speaker, content, now);
        message.client_msg_id = client_msg_id.clone();
        let mut routing_skill = None;
        match who {
            Principal::Customer { .. } => {
                let analysis = self.analysis.analyze(&message.content).await;
                message.set_sentiment(analysis.sentiment);
                message.intent = Some(analysis.intent.name.clone());
                // Route by topic only while nobody owns the conversation and the message names one:
                // "a person please" (general) must not erase the billing problem before it.
                if header.status == ConversationStatus::Ai && analysis.intent.score > 0.0 {
                    let topic = match analysis.intent.topic_skill {
                        Some(t) => Some(t),
                        None if analysis.intent.skill != FALLBACK_SKILL => {
                            Some(analysis.intent.skill)
                        }
                        None if header.skill == FALLBACK_SKILL => Some(FALLBACK_SKILL.to_owned()),
                        None => None,
                    };
                    routing_skill = topic;
                }
            }
            Principal::Staff(user) => {
                message.agent_id = Some(user.id.clone());
                self.join_if_needed(&header, user).await?;
            }
            Principal::Bot { .. } => {}
        }
        let op = WriteOp::Append {
            conversation_id: id.clone(),
            body: EventBody::Message {
                message,
                routing_skill,
            },
            client_id: client_msg_id,
            at: now,
        };
        let (event, duplicate) = match self.write(op).await? {
            WriteOutcome::Committed { event, .. } => (event, false),
            WriteOutcome::Duplicate { event } => (event, true),
            WriteOutcome::UnknownConversation => return Err(ServiceError::conversation_not_found()),
        };
        let Some(stored) = event.body.message().cloned() else {
            return Err(ServiceError::Conflict(
                "clientMsgId was already used for something else".into(),
            ));
        };
        let turn = matches!(
            header.status,
            ConversationStatus::Ai | ConversationStatus::Queued
        );
        if !duplicate && speaker == Speaker::Customer && turn {
            if let Some(jobs) = &self.turn_jobs {
                let job = TurnJob {
                    conversation_id: id.clone(),
                    message: stored.clone(),
                };
                match jobs.try_send(job) {
                    Ok(()) => {}
                    // The customer's message is safe; only the reply and the policy look are skipped.
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        self.metrics.turns_skipped.inc();
                        tracing::warn!(conversation_id = %id, "turn queue full; turn skipped");
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        tracing::info!(conversation_id = %id, "gateway stopping; turn skipped");
                    }
                }
            }
        }
        Ok(Posted {
            message: stored,
            duplicate,
        })
    }

    async fn handoff_action(
        &self,
        who: &Principal,
        id: &ConversationId,
        action: HandoffAction,
    ) -> Result<(), ServiceError> {
        let agent = agent_of(who)?;
        let handoff = self.handoff_service()?;
        // Offers, accepted and joined conversations are all readable to the agent; anything else
        // looks like a missing conversation.
        self.authorize(who, id).await?;
        // A transfer's briefing is written from the conversation as it is now, agent's part
        // included; the coordinator holds only what it saw at escalation.
        let fresh = match action {
            HandoffAction::Transfer { .. } => self.store.conversation(id).await?,
            _ => None,
        };
        Ok(handoff
            .act_with(id.clone(), agent.clone(), action, fresh)
            .await?)
    }

    async fn set_agent_status(&self, who: &Principal, status: &str) -> Result<(), ServiceError> {
        let agent = agent_of(who)?;
        Ok(self
            .handoff_service()?
            .set_status(agent.id.clone(), status)
            .await?)
    }

    async fn briefing(
        &self,
        who: &Principal,
        id: &ConversationId,
    ) -> Result<crate::service::port::BriefingView, ServiceError> {
        use crate::service::port::BriefingView;
        is_staff(who)?;
        let (header, _) = self.authorize(who, id).await?;
        if let Some(b) = &header.briefing {
            return Ok(BriefingView {
                draft: false,
                likelihood: header.handoff_likelihood,
                briefing: Arc::new((**b).clone()),
            });
        }
        match self.preparation.get(id) {
            Some(d) => Ok(BriefingView {
                draft: true,
                likelihood: Some(d.likelihood),
                briefing: d.briefing,
            }),
            None => Err(ServiceError::NotFound(
                "no briefing yet: it is prepared after the assistant's first turn".into(),
            )),
        }
    }

    async fn queue(&self, who: &Principal) -> Result<QueueView, ServiceError> {
        is_staff(who)?;
        let snapshot = self.handoff_service()?.snapshot().await?;
        Ok(super::handoff::queue_view::for_viewer(who, &snapshot))
    }

    fn queue_view(&self, who: &Principal, queue: &QueueView) -> QueueView {
        super::handoff::queue_view::for_viewer(who, queue)
    }

    async fn review_handoffs(
        &self,
        asker: Asker<'_>,
        filter: HandoffFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<HandoffMetrics>), ServiceError> {
        self.review_handoffs_impl(asker, filter, limit, offset)
            .await
    }

    async fn review_aggregates(
        &self,
        asker: Asker<'_>,
        filter: HandoffFilter,
        by: GroupBy,
    ) -> Result<(HandoffAggregate, Vec<HandoffAggregate>), ServiceError> {
        self.review_aggregates_impl(asker, filter, by).await
    }

    async fn review_handoff(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
    ) -> Result<crate::service::port::HandoffView, ServiceError> {
        self.review_handoff_impl(asker, id).await
    }

    async fn review_filters(
        &self,
        who: &Principal,
    ) -> Result<crate::service::port::ReviewFacets, ServiceError> {
        self.review_filters_impl(who).await
    }

    async fn review_audit(
        &self,
        asker: Asker<'_>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        self.review_audit_impl(asker, limit).await
    }

    async fn export(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
        name: &str,
        call: Option<&str>,
    ) -> Result<Download, ServiceError> {
        self.export_impl(asker, id, name, call).await
    }

    async fn rate_handoff(
        &self,
        who: &Principal,
        id: &ConversationId,
        score: u8,
        repeated: bool,
        comment: Option<String>,
    ) -> Result<ConversationEvent, ServiceError> {
        self.rate_handoff_impl(who, id, score, repeated, comment)
            .await
    }

    async fn rate_briefing(
        &self,
        who: &Principal,
        id: &ConversationId,
        score: u8,
        comment: Option<String>,
    ) -> Result<ConversationEvent, ServiceError> {
        self.rate_briefing_impl(who, id, score, comment).await
    }

    async fn recording(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
        call_id: &str,
        name: &str,
    ) -> Result<crate::service::port::RecordingOnDisk, ServiceError> {
        let who = asker.who;
        super::review_api::manager_of(who)
            .map_err(|_| ServiceError::Forbidden("recordings are for managers".into()))?;
        let (header, _) = self.authorize(who, id).await?;
        // Only files the header lists are served: the path is ours, never the caller's.
        let file = header
            .calls
            .iter()
            .filter(|c| c.call_id == call_id)
            .flat_map(|c| c.recordings.iter())
            .find(|f| f.name() == name)
            .ok_or_else(|| ServiceError::NotFound("no such recording".into()))?;
        let path = file
            .under(&self.recordings)
            .ok_or_else(|| ServiceError::NotFound("no such recording".into()))?;
        self.audit(
            asker,
            "recording.read",
            Some(id),
            format!("{call_id}/{name}"),
        )
        .await?;
        Ok(crate::service::port::RecordingOnDisk {
            path,
            mime: file.mime.clone(),
        })
    }

    fn socket_opened(&self, who: &Principal) {
        if let (Ok(agent), Some(h)) = (agent_of(who), &self.handoff) {
            h.connected(agent.clone());
        }
    }

    async fn socket_closed(&self, who: &Principal, conn: u64) {
        if let (Ok(agent), Some(h)) = (agent_of(who), &self.handoff) {
            h.disconnected(agent.id.clone());
        }
        self.calls.socket_closed(conn).await;
    }

    async fn call_frame(
        &self,
        who: &Principal,
        conn: u64,
        frame: ClientFrame,
        out: mpsc::Sender<ServerFrame>,
    ) -> Result<Option<ServerFrame>, ServiceError> {
        if let ClientFrame::CallStart { conversation_id } = &frame {
            let (header, _) = self.authorize(who, conversation_id).await?;
            let escalate = matches!(who, Principal::Customer { .. })
                && header.status == ConversationStatus::Ai
                && self.handoff.is_some();
            let ready = self.calls.start(who, &header, escalate).await?;
            if escalate {
                self.escalate_for_call(&header).await;
            }
            return Ok(Some(ready));
        }
        let call_id = match &frame {
            ClientFrame::CallOffer { call_id, .. }
            | ClientFrame::CallAnswer { call_id, .. }
            | ClientFrame::CallIce { call_id, .. }
            | ClientFrame::CallMedia { call_id, .. }
            | ClientFrame::CallHangup { call_id } => call_id.clone(),
            _ => return Err(ServiceError::Invalid("not a call frame".into())),
        };
        let conversation = self
            .calls
            .conversation_of(&call_id)
            .ok_or_else(|| ServiceError::NotFound("no such live call".into()))?;
        let (header, _) = self.authorize(who, &conversation).await?;
        self.calls.signal(who, conn, &header, frame, out).await?;
        Ok(None)
    }

    async fn canned_responses(
        &self,
        who: &Principal,
        query: &str,
        conversation: Option<&ConversationId>,
    ) -> Result<Vec<crate::service::port::CannedView>, ServiceError> {
        self.canned_responses_impl(who, query, conversation).await
    }

    async fn create_canned_response(
        &self,
        asker: Asker<'_>,
        input: crate::service::port::CannedInput,
    ) -> Result<crate::service::port::CannedView, ServiceError> {
        self.create_canned_response_impl(asker, input).await
    }

    async fn update_canned_response(
        &self,
        asker: Asker<'_>,
        id: &str,
        input: crate::service::port::CannedInput,
    ) -> Result<crate::service::port::CannedView, ServiceError> {
        self.update_canned_response_impl(asker, id, input).await
    }

    async fn delete_canned_response(&self, asker: Asker<'_>, id: &str) -> Result<(), ServiceError> {
        self.delete_canned_response_impl(asker, id).await
    }

    async fn upload_attachment(
        &self,
        who: &Principal,
        id: &ConversationId,
        upload: crate::service::port::Upload,
    ) -> Result<Posted, ServiceError> {
        self.upload_attachment_impl(who, id, upload).await
    }

    async fn attachment_file(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
        attachment: &str,
        thumbnail: bool,
    ) -> Result<crate::service::port::AttachmentFile, ServiceError> {
        self.attachment_file_impl(asker, id, attachment, thumbnail)
            .await
    }

    fn email_enabled(&self) -> bool {
        self.email.is_some()
    }

    async fn request_followup(
        &self,
        who: &Principal,
        id: &ConversationId,
        email: &str,
        message: Option<String>,
    ) -> Result<ConversationEvent, ServiceError> {
        self.followup(who, id, email, message).await
    }

    async fn request_transcript(
        &self,
        who: &Principal,
        id: &ConversationId,
        email: &str,
    ) -> Result<ConversationEvent, ServiceError> {
        self.transcript_by_email(who, id, email).await
    }

    async fn resume_link(
        &self,
        link: &str,
    ) -> Result<crate::service::port::LinkSession, ServiceError> {
        self.resume_from_email_link(link).await
    }

    fn fanout(&self) -> &dyn crate::chat::Fanout {
        &*self.fanout
    }

    fn limits(&self) -> &LimitsConfig {
        &self.limits
    }

    async fn ready(&self) -> Result<(), ServiceError> {
        self.store
            .ping()
            .await
            .map_err(|e| ServiceError::unavailable("storage does not answer", e))
    }

    fn degraded(&self) -> Option<&'static str> {
        self.fanout.degraded()
    }

    fn metrics_text(&self) -> String {
        self.metrics.render()
    }

    fn counters(&self) -> &dyn crate::service::port::EdgeCounters {
        &*self.metrics
    }

    fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}
