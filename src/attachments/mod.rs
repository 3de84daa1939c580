//! Attachments, the deciding part: which uploaded bytes are allowed and what they are (`sniff`),
//! and the thumbnail of an image (`thumbnail`). No IO: the service streams the upload to disk,
//! then hands the bytes here.
//!
//! Contract:
//! - The type is decided by the bytes, never by the name or the client's `Content-Type`. Allowed:
//!   PNG, JPEG, GIF, WebP, PDF, and plain text (valid UTF-8 without NUL or other binary control
//!   bytes that does not start like HTML, SVG or XML, which a browser could be talked into
//!   running). Everything else is
//!   refused with [`AttachmentError::Unsupported`].
//! - An image is decoded within limits (its pixel count is checked from its header before any
//!   pixel is decoded), so a small file that claims a huge picture is refused, not allocated.
//! - Nothing here panics on any input.

pub mod config;
pub mod sniff;
pub mod thumbnail;

pub use config::AttachmentsConfig;
pub use sniff::{classify, display_name, Sniffed};
pub use thumbnail::{thumbnail, Thumbnail};

#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("the file is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("the file is empty")]
    Empty,
    /// `what` says what the bytes looked like ("HTML", "binary data").
    #[error("files of this type cannot be attached ({what}); allowed: PNG, JPEG, GIF, WebP, PDF and plain text")]
    Unsupported { what: &'static str },
    #[error("the image cannot be read: {0}")]
    BadImage(#[source] image::ImageError),
    #[error("the image is {width}x{height} pixels; the limit is {limit} pixels")]
    ImageTooLarge { width: u32, height: u32, limit: u64 },
    #[error("the thumbnail could not be written: {0}")]
    Encode(#[source] image::ImageError),
}
