//! How a stored row becomes a domain value, the same for every store: the columns each store
//! selects, in order, and their decoding. A value out of range or unreadable is
//! `StorageError::Corrupt`, never clamped or defaulted.

use super::codec::{from_ms, json};
use super::{Result, StorageError};
use crate::domain::attachment::{AttachmentKind, StoredAttachment};
use crate::domain::canned::CannedResponse;
use crate::domain::history::StoredContact;
use crate::domain::review::HandoffMetrics;
use crate::domain::site::Site;
use crate::domain::{ConversationId, MessageId, UserId};

pub type AttachmentRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
);

pub const ATTACHMENT_COLUMNS: &str =
    "a.id, a.conversation_id, a.message_id, a.uploaded_by, a.name, \
    a.content_type, a.kind, a.size, a.sha256, a.width, a.height, a.thumbnail_type, a.created_at, \
    a.deleted_at, a.deleted_reason";

pub fn attachment(row: AttachmentRow) -> Result<StoredAttachment> {
    let (id, conv, msg, by, name, ct, kind, size, sha, w, h, thumb, created, deleted, reason) = row;
    let kind = AttachmentKind::parse(&kind)
        .ok_or_else(|| StorageError::Corrupt(format!("attachment {id}: kind {kind:?}")))?;
    let bad = |what: &str, v: i64| StorageError::Corrupt(format!("attachment {id}: {what} {v}"));
    let dim = |what: &str, v: Option<i64>| {
        v.map(|v| u32::try_from(v).map_err(|_| bad(what, v)))
            .transpose()
    };
    Ok(StoredAttachment {
        conversation_id: ConversationId(conv),
        message_id: MessageId(msg),
        uploaded_by: by,
        name,
        content_type: ct,
        kind,
        size: u64::try_from(size).map_err(|_| bad("size", size))?,
        sha256: sha,
        width: dim("width", w)?,
        height: dim("height", h)?,
        thumbnail_type: thumb,
        created_at: from_ms(created)?,
        deleted_at: deleted.map(from_ms).transpose()?,
        deleted_reason: reason,
        id,
    })
}

pub type CannedRow = (String, String, String, String, String, String, i64, i64);

pub const CANNED_COLUMNS: &str =
    "id, shortcut, title, body, created_by, updated_by, created_at, updated_at";

pub fn canned(row: CannedRow) -> Result<CannedResponse> {
    let (id, shortcut, title, body, created_by, updated_by, created_at, updated_at) = row;
    Ok(CannedResponse {
        id,
        shortcut,
        title,
        body,
        created_by: UserId(created_by),
        updated_by: UserId(updated_by),
        created_at: from_ms(created_at)?,
        updated_at: from_ms(updated_at)?,
    })
}

pub type SiteRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

pub const SITE_COLUMNS: &str =
    "id, name, origins, secret, color, greeting, conversations_per_minute, created_at";

pub fn site(row: SiteRow) -> Result<Site> {
    let (id, name, origins, secret, color, greeting, per_minute, created_at) = row;
    let origins: Vec<String> = json(&origins, &format!("site {id} origins"))?;
    let conversations_per_minute = u32::try_from(per_minute).map_err(|_| {
        StorageError::Corrupt(format!("site {id}: conversations_per_minute {per_minute}"))
    })?;
    Ok(Site {
        id,
        name,
        origins,
        secret,
        color,
        greeting,
        conversations_per_minute,
        created_at: from_ms(created_at)?,
    })
}

/// A returning customer's earlier conversation: its header, summary, stored handoff figures (for
/// the rating) and the first thing the customer wrote.
pub type ContactRow = (String, String, Option<String>, Option<String>);

pub fn contact(row: ContactRow) -> Result<StoredContact> {
    let (header, summary, metrics, first_message) = row;
    let rating = match metrics {
        Some(m) => json::<HandoffMetrics>(&m, "handoff metrics")?.customer_rating,
        None => None,
    };
    Ok(StoredContact {
        header: json(&header, "conversation header")?,
        summary: json(&summary, "conversation summary")?,
        rating,
        first_message,
    })
}
