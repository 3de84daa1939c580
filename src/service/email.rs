//! E-mail to customers, wired: the follow-up a waiting customer leaves when nobody is online, the
//! transcript they ask for at the end, the signed link that brings them back, and the task that
//! delivers the outbox.
//!
//! Contract:
//! - A request commits an event (`followup_requested`, `transcript_email_requested`); the e-mail it
//!   owes is written by the store in that same transaction (`domain::followup`), so an
//!   acknowledged request, or an agent reply to a follow-up, is never lost, even if the gateway
//!   stops before sending.
//! - The delivery task looks at the outbox every second; `email::plan` decides what is due, what
//!   the customer already received on the page (not mailed) and when a failure is retried. Each
//!   attempt is claimed first (a row a reply just joined is looked at again), carries a tracing
//!   span with the conversation id, and is counted in `/metrics` (`warmline_emails`).
//! - A resume link gives a fresh customer token for its conversation only, until it expires.

use super::gateway::Gateway;
use crate::chat::Hub;
use crate::domain::followup::{valid_email, InvalidEmail, OutboxKind};
use crate::domain::{
    Channel, Conversation, ConversationEvent, ConversationId, ConversationStatus, EventBody,
    ParticipantKind, Principal, Speaker, Timestamp,
};
use crate::email::compose::{self, Line, Reply, ResumeLink};
use crate::email::link::{LinkError, LinkKey, KEY_BYTES};
use crate::email::plan::{self, AfterFailure, Decision, PendingMail};
use crate::email::{EmailConfig, EmailError, Letter, Mailer};
use crate::metrics::{EmailLabel, Metrics, ReasonLabel};
use crate::service::port::LinkSession;
use crate::service::ServiceError;
use crate::storage::{EmailOutcome, NewToken, QueuedEmail, StorageError, Store, TokenKind};
use crate::storage::{WriteOp, WriteOutcome};
use chrono::{TimeDelta, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tracing::Instrument;

/// How often the outbox is looked at.
const POLL: Duration = Duration::from_secs(1);
/// Rows read per look.
const BATCH: u32 = 64;
/// The outbox gauge is refreshed every this many looks.
const COUNT_EVERY: u64 = 10;
/// The link key, below `data_dir`.
pub const LINK_KEY_FILE: &str = "email-link.key";
/// Longest message left with a follow-up, in bytes (the chat's own limit applies too).
const MAX_FOLLOWUP_MESSAGE: usize = 4000;

#[derive(Debug, thiserror::Error)]
pub enum EmailServiceError {
    #[error("e-mail is not available here")]
    Disabled,
    #[error("{0}")]
    InvalidEmail(#[from] InvalidEmail),
    #[error("only the conversation's customer can ask for this")]
    NotTheCustomer,
    #[error("you can leave your e-mail address while you wait for a person")]
    NotWaiting,
    #[error("the message is over {MAX_FOLLOWUP_MESSAGE} bytes")]
    MessageTooLong,
    #[error("{0}")]
    Link(#[from] LinkError),
    #[error("this conversation asked for its transcript too often; try again later")]
    TooManyTranscripts,
    #[error("the link key {path}: {source}")]
    Key {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Mail(#[from] EmailError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<EmailServiceError> for ServiceError {
    fn from(e: EmailServiceError) -> Self {
        use EmailServiceError as E;
        match e {
            E::Disabled => ServiceError::NotFound(e.to_string()),
            E::InvalidEmail(_) | E::MessageTooLong => ServiceError::Invalid(e.to_string()),
            E::NotTheCustomer => ServiceError::Forbidden(e.to_string()),
            E::NotWaiting => ServiceError::Conflict(e.to_string()),
            E::Link(_) => ServiceError::Unauthenticated(e.to_string()),
            E::TooManyTranscripts => ServiceError::RateLimited(e.to_string()),
            E::Storage(s) => s.into(),
            E::Key { .. } | E::Mail(_) => ServiceError::internal("e-mail", e),
        }
    }
}

/// The e-mail side of the gateway, present when `[email]` is configured.
pub struct EmailService {
    config: EmailConfig,
    key: LinkKey,
    /// Where links point: `[email] public_url`, the gateway's `public_url`, or (set once the
    /// listener is bound) its address.
    base_url: OnceLock<String>,
    transcripts: DefaultKeyedRateLimiter<ConversationId>,
    customer_token_ttl: TimeDelta,
}

impl EmailService {
    /// Loads (or creates) the link key under `data_dir`.
    pub fn new(config: &crate::config::Config) -> Result<Option<Arc<Self>>, EmailServiceError> {
        let cfg = &config.email;
        if !cfg.enabled() {
            return Ok(None);
        }
        let key = load_or_create_key(&config.data_dir.join(LINK_KEY_FILE))?;
        let base_url = OnceLock::new();
        if let Some(url) = cfg.public_url.as_ref().or(config.public_url.as_ref()) {
            let _ = base_url.set(url.trim_end_matches('/').to_owned());
        }
        let per_hour =
            NonZeroU32::new(cfg.transcripts_per_conversation_per_hour).unwrap_or(NonZeroU32::MIN);
        Ok(Some(Arc::new(Self {
            config: cfg.clone(),
            key,
            base_url,
            transcripts: RateLimiter::keyed(Quota::per_hour(per_hour).allow_burst(per_hour)),
            customer_token_ttl: TimeDelta::hours(i64::from(config.auth.customer_token_ttl_hours)),
        })))
    }

    /// The address the gateway listens on, for links when no public URL is configured.
    pub fn listening_on(&self, base: String) {
        let _ = self.base_url.set(base);
    }

    fn link(&self, id: &ConversationId, now: Timestamp) -> ResumeLink {
        let expires_at = now + TimeDelta::hours(i64::from(self.config.link_ttl_hours));
        let token = self.key.sign(id, expires_at);
        let base = self
            .base_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1:8080");
        ResumeLink {
            url: format!("{base}/chat?resume={token}"),
            expires_at,
        }
    }

    pub fn config(&self) -> &EmailConfig {
        &self.config
    }
}

fn load_or_create_key(path: &Path) -> Result<LinkKey, EmailServiceError> {
    let err = |source| EmailServiceError::Key {
        path: path.display().to_string(),
        source,
    };
    if let Ok(text) = std::fs::read_to_string(path) {
        let bytes = hex::decode(text.trim())
            .map_err(|e| err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| {
            err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not a 32-byte hex key",
            ))
        })?;
        return Ok(LinkKey::new(key));
    }
    let mut key = [0u8; KEY_BYTES];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut key);
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(err)?;
        f.write_all(hex::encode(key).as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(LinkKey::new(key))
}

// ---- requests (the `Backend` methods) ----------------------------------------------------------

impl Gateway {
    fn email_service(&self) -> Result<&Arc<EmailService>, EmailServiceError> {
        self.email.as_ref().ok_or(EmailServiceError::Disabled)
    }

    fn count_request(&self, reason: &'static str) {
        self.metrics
            .email_requests
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    async fn commit_request(
        &self,
        id: &ConversationId,
        body: EventBody,
    ) -> Result<ConversationEvent, ServiceError> {
        let op = WriteOp::Append {
            conversation_id: id.clone(),
            body,
            client_id: None,
            at: Utc::now(),
        };
        match self.journal.write(op).await.map_err(ServiceError::from)? {
            WriteOutcome::Committed { event, .. } | WriteOutcome::Duplicate { event } => {
                Ok(event.for_customer().into_owned())
            }
            WriteOutcome::UnknownConversation => Err(ServiceError::conversation_not_found()),
        }
    }

    /// See `Backend::request_followup`.
    pub(crate) async fn followup(
        &self,
        who: &Principal,
        id: &ConversationId,
        email: &str,
        message: Option<String>,
    ) -> Result<ConversationEvent, ServiceError> {
        self.email_service()?;
        let email = valid_email(email).map_err(EmailServiceError::from)?;
        let message = message
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        if message
            .as_ref()
            .is_some_and(|m| m.len() > MAX_FOLLOWUP_MESSAGE)
        {
            return Err(EmailServiceError::MessageTooLong.into());
        }
        let (header, _) = crate::service::port::Backend::authorize(self, who, id).await?;
        if !matches!(who, Principal::Customer { .. }) {
            return Err(EmailServiceError::NotTheCustomer.into());
        }
        if header.status != ConversationStatus::Queued {
            return Err(EmailServiceError::NotWaiting.into());
        }
        let event = self
            .commit_request(id, EventBody::FollowupRequested { email })
            .await?;
        self.count_request("followup");
        tracing::info!(conversation_id = %id, "customer left an e-mail address for a follow-up");
        if let Some(text) = message {
            crate::service::port::Backend::post_message(self, who, id, text, None).await?;
        }
        Ok(event)
    }

    /// See `Backend::request_transcript`.
    pub(crate) async fn transcript_by_email(
        &self,
        who: &Principal,
        id: &ConversationId,
        email: &str,
    ) -> Result<ConversationEvent, ServiceError> {
        let service = self.email_service()?.clone();
        let email = valid_email(email).map_err(EmailServiceError::from)?;
        crate::service::port::Backend::authorize(self, who, id).await?;
        if !matches!(who, Principal::Customer { .. }) {
            return Err(EmailServiceError::NotTheCustomer.into());
        }
        if service.transcripts.check_key(id).is_err() {
            self.count_request("transcript_refused");
            return Err(EmailServiceError::TooManyTranscripts.into());
        }
        let event = self
            .commit_request(id, EventBody::TranscriptEmailRequested { email })
            .await?;
        self.count_request("transcript");
        tracing::info!(conversation_id = %id, "customer asked for the transcript by e-mail");
        Ok(event)
    }

    /// See `Backend::resume_link`.
    pub(crate) async fn resume_from_email_link(
        &self,
        link: &str,
    ) -> Result<LinkSession, ServiceError> {
        let service = self.email_service()?;
        let now = Utc::now();
        let id = match service.key.verify(link, now) {
            Ok(id) => id,
            Err(e) => {
                self.count_request("link_refused");
                return Err(EmailServiceError::from(e).into());
            }
        };
        if self
            .store
            .header(&id)
            .await
            .map_err(ServiceError::from)?
            .is_none()
        {
            self.count_request("link_refused");
            return Err(ServiceError::conversation_not_found());
        }
        let (token, hash) = super::credentials::new_token("wl_c");
        self.store
            .insert_token(NewToken {
                hash,
                id: super::credentials::public_id("tok"),
                kind: TokenKind::Customer,
                user_id: None,
                conversation_id: Some(id.clone()),
                name: "e-mail link".into(),
                created_at: now,
                expires_at: Some(now + service.customer_token_ttl),
            })
            .await
            .map_err(ServiceError::from)?;
        self.count_request("link_opened");
        tracing::info!(conversation_id = %id, "customer came back through an e-mail link");
        Ok(LinkSession {
            conversation_id: id,
            customer_token: token,
        })
    }
}

// ---- delivery ---------------------------------------------------------------------------------

/// What the delivery task needs.
pub struct Delivery {
    pub service: Arc<EmailService>,
    pub mailer: Arc<dyn Mailer>,
    pub store: Arc<dyn Store>,
    pub hub: Arc<Hub>,
    pub metrics: Arc<Metrics>,
    pub assistant_name: String,
}

impl Delivery {
    /// Delivers the outbox on `tasks` until `stop` turns true (a round under way is finished).
    pub fn spawn(self, mut stop: tokio::sync::watch::Receiver<bool>, tasks: &super::tasks::Tasks) {
        tasks.spawn(
            "e-mail delivery",
            async move {
                let mut tick = tokio::time::interval(POLL);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut rounds: u64 = 0;
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = stop.wait_for(|s| *s) => break,
                    }
                    if rounds.is_multiple_of(COUNT_EVERY) {
                        self.count_pending().await;
                    }
                    rounds += 1;
                    self.round().await;
                }
            }
            .instrument(tracing::info_span!("email_outbox")),
        )
    }

    /// Sets the gauge of e-mails still owed (batching, due, or waiting for a retry).
    async fn count_pending(&self) {
        match self.store.email_counts().await {
            Ok(counts) => {
                let pending = counts
                    .iter()
                    .find(|(state, _)| state == "pending")
                    .map_or(0, |(_, n)| *n);
                self.metrics.email_outbox_pending.set(pending as i64);
            }
            Err(e) => tracing::warn!(error = %e, "cannot count the e-mail outbox"),
        }
    }

    async fn round(&self) {
        let pending = match self.store.pending_emails(Utc::now(), BATCH).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the e-mail outbox");
                return;
            }
        };
        let cfg = self.service.config();
        for mail in pending {
            let now = Utc::now();
            let plan = PendingMail {
                kind: mail.kind,
                attempts: mail.attempts,
                first_at: mail.first_at,
                last_at: mail.last_at,
                last_seq: mail.last_seq,
                next_attempt_at: mail.next_attempt_at,
            };
            let received = self.hub.customer_received(&mail.conversation_id);
            let decision = plan::decide(&plan, received, now, cfg);
            if matches!(decision, Decision::Wait { .. }) {
                continue;
            }
            // Held for the attempt; a gateway that stops mid-way tries again after the lease.
            let lease = now + TimeDelta::seconds(cfg.timeout_secs as i64 * 2 + 60);
            match self.store.claim_email(&mail, lease).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim an e-mail");
                    continue;
                }
            }
            let span = tracing::info_span!(
                "email",
                conversation_id = %mail.conversation_id,
                outbox_id = mail.id,
                kind = mail.kind.as_str(),
                attempt = mail.attempts + 1,
            );
            let outcome = match decision {
                Decision::Skip => {
                    span.in_scope(|| {
                        tracing::info!(
                            "not e-mailed: the customer received the replies on the page"
                        )
                    });
                    EmailOutcome::Skipped
                }
                _ => self.attempt(&mail).instrument(span.clone()).await,
            };
            let label = match &outcome {
                EmailOutcome::Sent => "sent",
                EmailOutcome::Skipped => "skipped",
                EmailOutcome::Retry { .. } => "retry",
                EmailOutcome::Failed { .. } => "failed",
            };
            self.metrics
                .emails
                .get_or_create(&EmailLabel {
                    kind: mail.kind.as_str(),
                    outcome: label,
                })
                .inc();
            if let Err(e) = self
                .store
                .email_attempted(mail.id, &outcome, Utc::now())
                .await
            {
                span.in_scope(|| tracing::error!(error = %e, "e-mail outcome not stored"));
            }
        }
    }

    async fn attempt(&self, mail: &QueuedEmail) -> EmailOutcome {
        let started = std::time::Instant::now();
        let result = match self.letter(mail).await {
            Ok(letter) => self.mailer.send(&mail.recipient, &letter).await,
            Err(e) => Err(e),
        };
        self.metrics
            .email_send_seconds
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(()) => {
                tracing::info!("e-mail sent");
                EmailOutcome::Sent
            }
            Err(e) => {
                let attempts = mail.attempts + 1;
                let error = e.to_string();
                match plan::after_failure(
                    attempts,
                    e.is_permanent(),
                    Utc::now(),
                    self.service.config(),
                ) {
                    AfterFailure::Retry { at } => {
                        tracing::warn!(error = %error, retry_at = %at, "e-mail not sent; will retry");
                        EmailOutcome::Retry { at, error }
                    }
                    AfterFailure::GiveUp => {
                        tracing::error!(error = %error, attempts, "e-mail failed; giving up");
                        EmailOutcome::Failed { error }
                    }
                }
            }
        }
    }

    async fn letter(&self, mail: &QueuedEmail) -> Result<Letter, EmailError> {
        let conversation = match self.store.conversation(&mail.conversation_id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Err(EmailError::Config(format!(
                    "conversation {} is gone",
                    mail.conversation_id
                )))
            }
            Err(e) => return Err(EmailError::Config(format!("reading the conversation: {e}"))),
        };
        let service = &self.service;
        let signature = service.config().signature();
        let link = service.link(&mail.conversation_id, Utc::now());
        Ok(match mail.kind {
            OutboxKind::Reply => {
                let replies = replies(&conversation, mail.first_seq, mail.last_seq);
                compose::reply_letter(
                    &signature,
                    conversation.header.customer.name.as_deref(),
                    &replies,
                    &link,
                )
            }
            OutboxKind::Transcript => compose::transcript_letter(
                &signature,
                conversation.header.created_at,
                &transcript(conversation, mail.last_seq, &self.assistant_name),
                Some(&link),
            ),
        })
    }
}

/// The name the customer knows an agent's message by.
fn author(conversation: &Conversation, agent: Option<&crate::domain::UserId>) -> String {
    agent
        .and_then(|a| {
            conversation
                .header
                .participants
                .iter()
                .find(|p| p.user_id.as_ref() == Some(a))
        })
        .map(|p| p.name.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Support".to_owned())
}

/// The agents' chat replies of a batch.
pub fn replies(conversation: &Conversation, first_seq: u64, last_seq: u64) -> Vec<Reply> {
    conversation
        .messages
        .iter()
        .filter(|m| (first_seq..=last_seq).contains(&m.seq))
        .filter(|m| m.speaker == Speaker::Agent && m.channel == Channel::Chat)
        .map(|m| Reply {
            author: author(conversation, m.agent_id.as_ref()),
            text: text_of(m),
            at: m.timestamp,
        })
        .collect()
}

/// A message's words, or for a file sent without words, what it was: the file itself stays on
/// the gateway, for the conversation's participants (the link back opens it).
fn text_of(m: &crate::domain::Message) -> String {
    match &m.attachment {
        Some(a) if m.content.trim().is_empty() => {
            format!("[File: {} — open the conversation to download it]", a.name)
        }
        _ => m.content.clone(),
    }
}

/// The transcript as the customer may see it (no staff notes, no assessments), up to `last_seq`:
/// chat messages and what was said on calls.
pub fn transcript(conversation: Conversation, last_seq: u64, assistant: &str) -> Vec<Line> {
    let customer_view = conversation.for_customer();
    customer_view
        .messages
        .iter()
        .filter(|m| m.seq <= last_seq && (!m.content.trim().is_empty() || m.attachment.is_some()))
        .map(|m| Line {
            who: match m.speaker {
                Speaker::Customer => "You".to_owned(),
                Speaker::Ai => assistant.to_owned(),
                Speaker::System => "Support".to_owned(),
                Speaker::Agent => {
                    let alias_or_id = m.agent_id.as_ref();
                    customer_view
                        .header
                        .participants
                        .iter()
                        .find(|p| {
                            p.kind == ParticipantKind::Agent && p.user_id.as_ref() == alias_or_id
                        })
                        .map(|p| p.name.clone())
                        .unwrap_or_else(|| "Support".to_owned())
                }
            },
            text: text_of(m),
            at: m.timestamp,
            voice: m.channel == Channel::Voice,
        })
        .collect()
}

#[cfg(test)]
mod attachment_tests {
    use super::*;
    use crate::domain::attachment::{Attachment, AttachmentKind};
    use crate::domain::{ConversationHeader, ConversationId, Customer, Message};

    #[test]
    fn a_file_sent_without_words_is_named_in_the_email_and_the_transcript() {
        let now = chrono::Utc::now();
        let mut m = Message::new(Speaker::Agent, "", now);
        m.seq = 3;
        m.attachment = Some(Attachment {
            id: "att_0123456789abcdef0123456789abcdef".into(),
            name: "setup.pdf".into(),
            content_type: "application/pdf".into(),
            kind: AttachmentKind::Pdf,
            size: 10,
            sha256: "00".into(),
            width: None,
            height: None,
            url: String::new(),
            thumbnail_url: None,
            findings: None,
        });
        let conversation = Conversation {
            header: ConversationHeader::new(ConversationId::from("c1"), Customer::default(), now),
            messages: vec![m],
            notes: Vec::new(),
        };
        let sent = replies(&conversation, 1, 5);
        assert_eq!(sent.len(), 1);
        assert!(sent[0].text.contains("setup.pdf"), "{}", sent[0].text);
        let lines = transcript(conversation, 5, "Assistant");
        assert_eq!(lines.len(), 1);
        assert!(lines[0].text.contains("setup.pdf"));
    }
}
