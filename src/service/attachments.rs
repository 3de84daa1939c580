//! Attachments, the IO side: an upload streamed to disk, checked, stored with its conversation and
//! committed as a message; downloads for the conversation's participants and managers.
//!
//! Contract:
//! - An upload is written to a temporary file in the conversation's own directory
//!   (`<data_dir>/attachments/<conversationId>/.upload-…`), hashed as it arrives and cut off at
//!   `[attachments] max_bytes`. Only when the size, the type sniffed from the bytes (see
//!   `crate::attachments`) and, for images, the decode all pass is it synced and renamed to its
//!   final name (`<attachmentId>`, the thumbnail `<attachmentId>.thumb`). A refused, oversized or
//!   aborted upload leaves nothing behind: every early return removes the temporary files.
//! - The attachment's row is stored, then the message carrying it is committed through the
//!   journal; the caller is answered only after that commit. If the commit fails (or was a resend
//!   of a `clientMsgId` already stored) the files and the row are removed again. A gateway that
//!   stops between the row and the commit leaves a row whose message is not in the log: the
//!   retention pass deletes such files after an hour.
//! - Downloads: the customer of the conversation, agents who take or took part in it (or were
//!   offered it), integrations, and managers (audited). Anyone who cannot see the conversation gets
//!   404; an agent who can see it but is not part of it gets 403.

use super::gateway::Gateway;
use crate::attachments::{AttachmentError, AttachmentsConfig};
use crate::domain::attachment::{Attachment, AttachmentKind, LogFindings, StoredAttachment};
use crate::domain::{ConversationId, ConversationStatus, EventBody, Message, Principal, Speaker};
use crate::service::port::{Asker, AttachmentFile, Posted, Upload};
use crate::service::{ErrorKind, ServiceError};
use crate::storage::{WriteOp, WriteOutcome};
use chrono::Utc;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Attachments live in this directory below `data_dir`, one directory per conversation.
pub const ATTACHMENTS_DIR: &str = "attachments";
/// Checks (reading the file back, decoding an image) run at most this many at once: they are
/// CPU and memory, and the upload itself already waited on the network.
const CHECKS_AT_ONCE: usize = 2;
/// What is read and thrown away of an over-limit body before answering 413, so the client reads
/// the answer instead of a reset connection; beyond it the connection is simply closed.
const DRAIN_MAX: u64 = 32 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(10);
/// Longest file name accepted from the client, in bytes (the stored one is cut to 120 chars).
const MAX_NAME_BYTES: usize = 1024;

/// The attachment store: where files go and the limits they are held to.
pub struct Attachments {
    pub(crate) config: AttachmentsConfig,
    /// `<data_dir>/attachments`.
    pub(crate) dir: PathBuf,
    checks: tokio::sync::Semaphore,
}

impl Attachments {
    pub fn new(config: AttachmentsConfig, data_dir: &Path) -> Arc<Self> {
        Arc::new(Self {
            config,
            dir: data_dir.join(ATTACHMENTS_DIR),
            checks: tokio::sync::Semaphore::new(CHECKS_AT_ONCE),
        })
    }

    /// The directory of `conversation`'s files. Conversation ids are checked plausible (letters,
    /// digits, `-`, `_`) before they get here, so the id cannot climb out of `dir`.
    pub fn conversation_dir(&self, conversation: &ConversationId) -> PathBuf {
        self.dir.join(conversation.as_str())
    }

    pub fn file_path(&self, conversation: &ConversationId, id: &str) -> PathBuf {
        self.conversation_dir(conversation).join(id)
    }

    pub fn thumbnail_path(&self, conversation: &ConversationId, id: &str) -> PathBuf {
        self.conversation_dir(conversation)
            .join(format!("{id}.thumb"))
    }

    /// Removes an attachment's files (missing ones are fine: deleting twice is deleting once).
    pub async fn remove_files(
        &self,
        conversation: &ConversationId,
        id: &str,
    ) -> std::io::Result<()> {
        for path in [
            self.file_path(conversation, id),
            self.thumbnail_path(conversation, id),
        ] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl From<AttachmentError> for ServiceError {
    fn from(e: AttachmentError) -> Self {
        use AttachmentError as A;
        let msg = e.to_string();
        match e {
            A::TooLarge { .. } | A::ImageTooLarge { .. } => ServiceError::TooLarge(msg),
            A::Unsupported { .. } | A::BadImage(_) => ServiceError::UnsupportedType(msg),
            A::Empty => ServiceError::Invalid(msg),
            A::Encode(cause) => ServiceError::internal("making the thumbnail", cause),
        }
    }
}

/// A temporary upload file that removes itself unless it was kept.
struct TempFile {
    path: PathBuf,
    kept: bool,
}

impl TempFile {
    fn keep(mut self) -> PathBuf {
        self.kept = true;
        std::mem::take(&mut self.path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // Synchronous on purpose: it must happen on every path out, panics and cancellations
        // (a client hanging up drops the handler's future) included; it is one unlink.
        if !self.kept && !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn disk_error(what: &str, e: std::io::Error) -> ServiceError {
    // ENOSPC / EDQUOT: the disk said no, not a bug; nothing was kept.
    if matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT)) {
        ServiceError::DiskFull {
            context: what.to_owned(),
            source: e.into(),
        }
    } else {
        ServiceError::internal(what, e)
    }
}

/// Reads and throws away up to [`DRAIN_MAX`] more of `body` (for at most [`DRAIN_TIME`]).
async fn drain(body: &mut crate::service::port::UploadBody) {
    let mut seen = 0u64;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = body.next().await {
            seen += chunk.len() as u64;
            if seen > DRAIN_MAX {
                break;
            }
        }
    })
    .await;
}

/// What the checks made of a stored upload.
struct Checked {
    sniffed: crate::attachments::Sniffed,
    thumbnail: Option<crate::attachments::Thumbnail>,
    findings: Option<LogFindings>,
}

/// Reads the finished upload back and decides what it is (blocking: run on the blocking pool).
fn check_file(path: &Path, config: &AttachmentsConfig) -> Result<Checked, ServiceError> {
    let bytes = std::fs::read(path).map_err(|e| disk_error("reading an upload back", e))?;
    let sniffed = crate::attachments::classify(&bytes)?;
    let mut checked = Checked {
        sniffed,
        thumbnail: None,
        findings: None,
    };
    match (sniffed.kind, sniffed.image) {
        (AttachmentKind::Image, Some(format)) => {
            checked.thumbnail = Some(crate::attachments::thumbnail(&bytes, format, config)?);
        }
        (AttachmentKind::Text, _) => {
            // `classify` accepted it as UTF-8; a lossy read costs nothing more and cannot fail.
            let findings = crate::analysis::logs::scan(&String::from_utf8_lossy(&bytes));
            checked.findings = (!findings.is_empty()).then_some(findings);
        }
        _ => {}
    }
    Ok(checked)
}

async fn sync_dir(dir: &Path) {
    // Makes the renames durable; a failure here only weakens durability across a power cut.
    if let Ok(d) = tokio::fs::File::open(dir).await {
        let _ = d.sync_all().await;
    }
}

impl Gateway {
    pub(crate) async fn upload_attachment_impl(
        &self,
        who: &Principal,
        id: &ConversationId,
        upload: Upload,
    ) -> Result<Posted, ServiceError> {
        let result = self.upload_attachment_counted(who, id, upload).await;
        let outcome = match &result {
            Ok(posted) if posted.duplicate => "duplicate",
            Ok(_) => "stored",
            Err(e) => match e.kind() {
                ErrorKind::TooLarge => "too_large",
                ErrorKind::UnsupportedType => "unsupported",
                ErrorKind::Invalid => "bad_request",
                ErrorKind::Unauthenticated
                | ErrorKind::Forbidden
                | ErrorKind::NotFound
                | ErrorKind::Conflict => "refused",
                ErrorKind::StorageFull => "disk_full",
                _ => "failed",
            },
        };
        self.metrics
            .attachments
            .get_or_create(&crate::metrics::OutcomeLabel { outcome })
            .inc();
        if let Ok(Posted {
            message,
            duplicate: false,
        }) = &result
        {
            if let Some(a) = &message.attachment {
                self.metrics.attachment_bytes.inc_by(a.size);
            }
        }
        result
    }

    async fn upload_attachment_counted(
        &self,
        who: &Principal,
        id: &ConversationId,
        mut upload: Upload,
    ) -> Result<Posted, ServiceError> {
        let store = self.attachments.clone();
        let config = &store.config;
        if !config.enabled {
            return Err(ServiceError::Forbidden(
                "attachments are turned off on this gateway ([attachments] enabled)".into(),
            ));
        }
        if upload.name.len() > MAX_NAME_BYTES {
            return Err(ServiceError::Invalid(format!(
                "the file name is over {MAX_NAME_BYTES} bytes"
            )));
        }
        if let Some(key) = &upload.client_msg_id {
            if !crate::domain::ids::is_plausible_id(key) {
                return Err(ServiceError::Invalid(format!(
                    "clientMsgId must be 1-{} characters of letters, digits, '-' or '_'",
                    crate::domain::ids::MAX_ID_LEN
                )));
            }
        }
        let (header, access) = crate::service::port::Backend::authorize(self, who, id).await?;
        let speaker = Self::speaker_for(who, access)?;
        let on_disk = self.store.attachments_on_disk(id).await?;
        if on_disk >= u64::from(config.max_per_conversation) {
            return Err(ServiceError::Conflict(format!(
                "this conversation has {on_disk} files, the most it may hold; \
                 the limit is {}",
                config.max_per_conversation
            )));
        }
        if let Some(declared) = upload.declared_len {
            if declared > config.max_bytes {
                // A client waiting for "100 Continue" never sends the body once refused.
                if !upload.expects_continue {
                    drain(&mut upload.body).await;
                }
                return Err(AttachmentError::TooLarge {
                    size: declared,
                    limit: config.max_bytes,
                }
                .into());
            }
        }

        // 1. Stream to a temporary file beside where it will live.
        let dir = store.conversation_dir(id);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| disk_error("creating the attachment directory", e))?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let temp = TempFile {
            path: dir.join(format!(".upload-{token}")),
            kept: false,
        };
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp.path)
            .await
            .map_err(|e| disk_error("creating an upload file", e))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = upload.body.next().await {
            let chunk = chunk
                .map_err(|e| ServiceError::Invalid(format!("the upload was interrupted: {e}")))?;
            size += chunk.len() as u64;
            if size > config.max_bytes {
                drop(file);
                drop(temp);
                drain(&mut upload.body).await;
                return Err(AttachmentError::TooLarge {
                    size,
                    limit: config.max_bytes,
                }
                .into());
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| disk_error("writing an upload", e))?;
        }
        file.sync_all()
            .await
            .map_err(|e| disk_error("syncing an upload", e))?;
        drop(file);
        let sha256 = hex::encode(hasher.finalize());

        // 2. Decide what it is (and make the thumbnail) from the bytes.
        let checked = {
            let _permit = store
                .checks
                .acquire()
                .await
                .map_err(|e| ServiceError::unavailable("attachment checks stopped", e))?;
            let (path, cfg) = (temp.path.clone(), config.clone());
            tokio::task::spawn_blocking(move || check_file(&path, &cfg))
                .await
                .map_err(|e| ServiceError::internal("checking the attachment", e))??
        };
        let name = crate::attachments::display_name(&upload.name, &checked.sniffed);

        // 3. Keep it: the thumbnail first, then the file, each synced before its rename.
        let attachment_id = format!("att_{}", uuid::Uuid::new_v4().simple());
        let thumb_temp = match &checked.thumbnail {
            Some(t) => {
                let t_temp = TempFile {
                    path: dir.join(format!(".upload-{token}.thumb")),
                    kept: false,
                };
                let mut f = tokio::fs::File::create(&t_temp.path)
                    .await
                    .map_err(|e| disk_error("creating a thumbnail", e))?;
                f.write_all(&t.bytes)
                    .await
                    .map_err(|e| disk_error("writing a thumbnail", e))?;
                f.sync_all()
                    .await
                    .map_err(|e| disk_error("syncing a thumbnail", e))?;
                Some(t_temp)
            }
            None => None,
        };
        let file_path = store.file_path(id, &attachment_id);
        let thumb_path = store.thumbnail_path(id, &attachment_id);
        if let Some(t) = thumb_temp {
            let from = t.keep();
            if let Err(e) = tokio::fs::rename(&from, &thumb_path).await {
                let _ = tokio::fs::remove_file(&from).await;
                return Err(disk_error("keeping a thumbnail", e));
            }
        }
        let from = temp.keep();
        if let Err(e) = tokio::fs::rename(&from, &file_path).await {
            let _ = tokio::fs::remove_file(&from).await;
            let _ = tokio::fs::remove_file(&thumb_path).await;
            return Err(disk_error("keeping an upload", e));
        }
        sync_dir(&dir).await;

        // 4. Record it, then commit the message that carries it.
        let now = Utc::now();
        let conversation = id.as_str();
        let attachment = Attachment {
            url: Attachment::url_for(conversation, &attachment_id),
            thumbnail_url: checked
                .thumbnail
                .as_ref()
                .map(|_| Attachment::thumbnail_url_for(conversation, &attachment_id)),
            id: attachment_id.clone(),
            name,
            content_type: checked.sniffed.mime.to_owned(),
            kind: checked.sniffed.kind,
            size,
            sha256,
            width: checked.thumbnail.as_ref().map(|t| t.width),
            height: checked.thumbnail.as_ref().map(|t| t.height),
            findings: checked.findings,
        };
        let mut message = Message::new(speaker, String::new(), now);
        message.client_msg_id = upload.client_msg_id.clone();
        message.attachment = Some(attachment.clone());
        let record = StoredAttachment {
            id: attachment_id.clone(),
            conversation_id: id.clone(),
            message_id: message.id.clone(),
            uploaded_by: who.label(),
            name: attachment.name.clone(),
            content_type: attachment.content_type.clone(),
            kind: attachment.kind,
            size,
            sha256: attachment.sha256.clone(),
            width: attachment.width,
            height: attachment.height,
            thumbnail_type: checked.thumbnail.as_ref().map(|t| t.mime.to_owned()),
            created_at: now,
            deleted_at: None,
            deleted_reason: None,
        };
        let committed = self
            .commit_attachment_message(who, id, header.status, message, &record)
            .await;
        // The sender's copy: a customer's carries no assessment (what was read from their log).
        let committed = committed.map(|mut posted| {
            if matches!(who, Principal::Customer { .. }) {
                posted.message = posted.message.for_customer(id);
            }
            posted
        });
        match committed {
            Ok(posted) if !posted.duplicate => {
                tracing::info!(
                    attachment_id,
                    kind = record.kind.as_str(),
                    size,
                    "attachment stored"
                );
                if speaker == Speaker::Customer && header.status == ConversationStatus::Queued {
                    self.refresh_briefing(id).await;
                }
                Ok(posted)
            }
            other => {
                // Refused, failed, or a resend of a message already stored: this copy goes.
                if let Err(e) = self.store.remove_attachment(&attachment_id).await {
                    tracing::warn!(error = %e, attachment_id, "attachment row not removed");
                }
                if let Err(e) = store.remove_files(id, &attachment_id).await {
                    tracing::warn!(error = %e, attachment_id, "attachment files not removed");
                }
                other
            }
        }
    }

    /// A file sent while the customer waits for a person goes into the briefing the agent is
    /// about to read (a log's error lines), as a message would; no assistant turn is taken for a
    /// file alone.
    async fn refresh_briefing(&self, id: &ConversationId) {
        let Some(handoff) = &self.handoff else {
            return;
        };
        match self
            .store
            .conversation_window(id, crate::storage::MessageWindow::TURN)
            .await
        {
            Ok(Some(conversation)) => handoff.refresh(conversation, Default::default()).await,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "briefing not refreshed after an attachment"),
        }
    }

    async fn commit_attachment_message(
        &self,
        who: &Principal,
        id: &ConversationId,
        status: ConversationStatus,
        message: Message,
        record: &StoredAttachment,
    ) -> Result<Posted, ServiceError> {
        self.store.insert_attachment(record).await?;
        if message.speaker == Speaker::Customer && status == ConversationStatus::Resolved {
            self.reopen(id).await?;
        }
        if let Principal::Staff(user) = who {
            let (header, _) = crate::service::port::Backend::authorize(self, who, id).await?;
            self.join_if_needed(&header, user).await?;
        }
        let mut message = message;
        if let Principal::Staff(user) = who {
            message.agent_id = Some(user.id.clone());
        }
        let client_id = message.client_msg_id.clone();
        let op = WriteOp::Append {
            conversation_id: id.clone(),
            body: EventBody::Message {
                message,
                routing_skill: None,
            },
            client_id,
            at: Utc::now(),
        };
        let (event, duplicate) = match self.write(op).await? {
            WriteOutcome::Committed { event, .. } => (event, false),
            WriteOutcome::Duplicate { event } => (event, true),
            WriteOutcome::UnknownConversation => return Err(ServiceError::conversation_not_found()),
        };
        let stored = event.body.message().cloned().ok_or_else(|| {
            ServiceError::Conflict("clientMsgId was already used for something else".into())
        })?;
        Ok(Posted {
            message: stored,
            duplicate,
        })
    }

    pub(crate) async fn attachment_file_impl(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
        attachment_id: &str,
        thumbnail: bool,
    ) -> Result<AttachmentFile, ServiceError> {
        let who = asker.who;
        let (header, _) = crate::service::port::Backend::authorize(self, who, id).await?;
        if !who.may_download_attachments(&header) {
            return Err(ServiceError::Forbidden(
                "attachments are for the conversation's participants and managers".into(),
            ));
        }
        let missing = || ServiceError::NotFound("no such attachment".into());
        if !Attachment::is_plausible_id(attachment_id) {
            return Err(missing());
        }
        let found = self
            .store
            .attachment(id, attachment_id)
            .await?
            .ok_or_else(missing)?;
        if found.deleted_at.is_some() {
            return Err(ServiceError::NotFound(format!(
                "the file was deleted ({})",
                found.deleted_reason.as_deref().unwrap_or("removed")
            )));
        }
        let (path, mime) = if thumbnail {
            let mime = found.thumbnail_type.clone().ok_or_else(missing)?;
            (self.attachments.thumbnail_path(id, attachment_id), mime)
        } else {
            (
                self.attachments.file_path(id, attachment_id),
                found.content_type.clone(),
            )
        };
        if who.is_staff_role(crate::domain::Role::Manager) {
            self.audit(
                asker,
                "attachment.read",
                Some(id),
                format!("{attachment_id} {}", found.name),
            )
            .await?;
        }
        Ok(AttachmentFile {
            path,
            mime,
            file_name: found.name,
            thumbnail,
        })
    }
}
