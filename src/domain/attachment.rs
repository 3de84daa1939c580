//! A file attached to a message: a screenshot, a log or a PDF a customer or an agent sent.
//!
//! Contract: the type is what the bytes are (`contentType`, sniffed on upload), never what the
//! name says; `name` is for people (it is what the download is called, with the sniffed type's
//! extension added when the given one did not match). The file itself lives on the gateway's disk
//! under the conversation; only its description travels in the conversation's log. `findings` are
//! error lines and codes read from a text attachment (a log) for the briefing: staff-only, like
//! the other assessments on a message.

use serde::{Deserialize, Serialize};

/// What kind of file it is, from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// PNG, JPEG, GIF or WebP: shown as a thumbnail.
    Image,
    Pdf,
    /// Plain UTF-8 text without NUL or other binary control bytes: logs, traces, configuration
    /// excerpts.
    Text,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Pdf => "pdf",
            Self::Text => "text",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "image" => Some(Self::Image),
            "pdf" => Some(Self::Pdf),
            "text" => Some(Self::Text),
            _ => None,
        }
    }
}

/// One line of a text attachment that reads as an error (an `ERROR` line, an exception, a stack
/// trace's head, an HTTP error status), as the file has it, cut to a readable length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    /// 1-based line number in the file.
    pub line: u32,
    pub text: String,
}

/// What a text attachment says went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogFindings {
    /// The first distinct error lines, in file order.
    #[serde(default)]
    pub lines: Vec<LogLine>,
    /// Error and HTTP status codes found in them (`E1234`, `ERR_CONNECTION_RESET`, `502`), in
    /// order of first appearance, each once.
    #[serde(default)]
    pub codes: Vec<String>,
    /// Error lines in the whole file (more than `lines` when some were repeats or over the cap).
    #[serde(default)]
    pub total: u32,
}

impl LogFindings {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.codes.is_empty()
    }
}

/// The attachment as the message carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// `att_…`, unique across the gateway.
    pub id: String,
    /// The file name shown and downloaded.
    pub name: String,
    /// The sniffed media type (`image/png`, `application/pdf`, `text/plain; charset=utf-8`).
    pub content_type: String,
    pub kind: AttachmentKind,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Where participants download it (with their bearer token).
    pub url: String,
    /// A small preview of an image (at most 320 px on its longer side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// Staff-only: error lines and codes of a text attachment, for the briefing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<LogFindings>,
}

impl Attachment {
    /// The download path of attachment `id` of `conversation`.
    pub fn url_for(conversation: &str, id: &str) -> String {
        format!("/api/conversations/{conversation}/attachments/{id}")
    }

    /// The thumbnail path of attachment `id` of `conversation`.
    pub fn thumbnail_url_for(conversation: &str, id: &str) -> String {
        format!("/api/conversations/{conversation}/attachments/{id}/thumbnail")
    }

    /// Whether `id` has the shape of an attachment id (`att_` and 32 hex digits), so a path
    /// segment that is not one is refused before anything is looked up.
    pub fn is_plausible_id(id: &str) -> bool {
        id.len() == 36 && id.starts_with("att_") && id[4..].bytes().all(|b| b.is_ascii_hexdigit())
    }
}

/// What the gateway keeps about an attachment besides the message: whose it is and whether its
/// files are still on disk. Listed in exports; paths are the gateway's business and not in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAttachment {
    pub id: String,
    pub conversation_id: super::ids::ConversationId,
    pub message_id: super::ids::MessageId,
    /// The uploader as logs name them (`customer:<conversation>`, `agent:<username>`).
    pub uploaded_by: String,
    pub name: String,
    pub content_type: String,
    pub kind: AttachmentKind,
    pub size: u64,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// The thumbnail's media type, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_type: Option<String>,
    pub created_at: super::Timestamp,
    /// When retention (`deletedReason`) removed the files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<super::Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_one_shape() {
        assert!(Attachment::is_plausible_id(
            "att_0123456789abcdef0123456789abcdef"
        ));
        assert!(!Attachment::is_plausible_id("att_../../etc/passwd"));
        assert!(!Attachment::is_plausible_id(
            "att_0123456789abcdef0123456789abcdeg"
        ));
    }

    #[test]
    fn findings_stay_off_the_wire_when_absent() {
        let a = Attachment {
            id: "att_0123456789abcdef0123456789abcdef".into(),
            name: "shot.png".into(),
            content_type: "image/png".into(),
            kind: AttachmentKind::Image,
            size: 10,
            sha256: "00".into(),
            width: Some(2),
            height: Some(1),
            url: Attachment::url_for("c1", "att_x"),
            thumbnail_url: None,
            findings: None,
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["contentType"], "image/png");
        assert_eq!(json["kind"], "image");
        assert!(json.get("findings").is_none());
        let back: Attachment = serde_json::from_value(json).unwrap();
        assert_eq!(back, a);
    }
}
