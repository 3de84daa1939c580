//! What uploaded bytes are, from the bytes: magic numbers for the binary types, and for text a
//! check of the whole file (valid UTF-8 without NUL or the other bytes the WHATWG MIME sniffing
//! standard calls binary; tabs, line breaks, form feeds and the escapes of coloured logs are
//! text) plus a refusal of anything that starts like markup a browser would render (that
//! standard's HTML signatures, XML and SVG).

use super::AttachmentError;
use crate::domain::attachment::AttachmentKind;

/// The allowed type the bytes turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: AttachmentKind,
    /// The media type served with the file.
    pub mime: &'static str,
    /// The usual file name extensions, the first one added to a name that has none of them.
    pub extensions: &'static [&'static str],
    /// The image decoder to use, for images.
    pub image: Option<image::ImageFormat>,
}

const PNG: Sniffed = Sniffed {
    kind: AttachmentKind::Image,
    mime: "image/png",
    extensions: &["png"],
    image: Some(image::ImageFormat::Png),
};
const JPEG: Sniffed = Sniffed {
    kind: AttachmentKind::Image,
    mime: "image/jpeg",
    extensions: &["jpg", "jpeg", "jfif"],
    image: Some(image::ImageFormat::Jpeg),
};
const GIF: Sniffed = Sniffed {
    kind: AttachmentKind::Image,
    mime: "image/gif",
    extensions: &["gif"],
    image: Some(image::ImageFormat::Gif),
};
const WEBP: Sniffed = Sniffed {
    kind: AttachmentKind::Image,
    mime: "image/webp",
    extensions: &["webp"],
    image: Some(image::ImageFormat::WebP),
};
const PDF: Sniffed = Sniffed {
    kind: AttachmentKind::Pdf,
    mime: "application/pdf",
    extensions: &["pdf"],
    image: None,
};
const TEXT: Sniffed = Sniffed {
    kind: AttachmentKind::Text,
    mime: "text/plain; charset=utf-8",
    extensions: &[
        "txt", "log", "csv", "json", "yaml", "yml", "toml", "ini", "conf", "cfg", "md", "har",
        "out", "err", "trace",
    ],
    image: None,
};

/// Markup a browser renders, by how it starts (case-insensitive, after whitespace): each must be
/// followed by a space or `>` except comments and processing instructions.
const MARKUP: &[&str] = &[
    "<!doctype html",
    "<html",
    "<head",
    "<script",
    "<iframe",
    "<h1",
    "<div",
    "<font",
    "<table",
    "<a",
    "<style",
    "<title",
    "<b",
    "<body",
    "<br",
    "<p",
    "<svg",
    "<img",
    "<object",
    "<embed",
    "<meta",
    "<link",
    "<form",
];

fn looks_like_markup(text: &str) -> bool {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    let head: String = start.chars().take(32).collect::<String>().to_lowercase();
    if head.starts_with("<!--") || head.starts_with("<?xml") {
        return true;
    }
    MARKUP.iter().any(|tag| {
        head.strip_prefix(tag).is_some_and(|rest| {
            rest.starts_with(|c: char| c == '>' || c == '/' || c.is_ascii_whitespace())
        })
    })
}

/// The type of the whole file `bytes`, or why it is refused.
pub fn classify(bytes: &[u8]) -> Result<Sniffed, AttachmentError> {
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(PNG);
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok(JPEG);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok(GIF);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(WEBP);
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(PDF);
    }
    // WHATWG's "binary data bytes": NUL and the control bytes text never holds.
    let binary = |b: &u8| matches!(b, 0x00..=0x08 | 0x0b | 0x0e..=0x1a | 0x1c..=0x1f);
    if bytes.iter().any(binary) {
        return Err(AttachmentError::Unsupported {
            what: "binary data",
        });
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(AttachmentError::Unsupported {
            what: "not UTF-8 text",
        });
    };
    if looks_like_markup(text) {
        return Err(AttachmentError::Unsupported {
            what: "HTML, SVG or XML",
        });
    }
    Ok(TEXT)
}

/// The name to show and download the file under: the client's name cut to its last path
/// component, with control and quoting characters removed, at most 120 characters, and with the
/// sniffed type's extension added when the name does not already end in one of them.
pub fn display_name(given: &str, sniffed: &Sniffed) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/' | ';' | '<' | '>'))
        .collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    let mut name: String = clean.chars().take(120).collect();
    if name.is_empty() {
        name = match sniffed.kind {
            AttachmentKind::Image => "image".into(),
            AttachmentKind::Pdf => "document".into(),
            AttachmentKind::Text => "file".into(),
        };
    }
    let lower = name.to_lowercase();
    let has_ext = sniffed
        .extensions
        .iter()
        .any(|e| lower.ends_with(&format!(".{e}")));
    if !has_ext {
        name.push('.');
        name.push_str(sniffed.extensions[0]);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_decide() {
        assert_eq!(
            classify(b"\x89PNG\r\n\x1a\n....").unwrap().mime,
            "image/png"
        );
        assert_eq!(
            classify(&[0xff, 0xd8, 0xff, 0xe0]).unwrap().mime,
            "image/jpeg"
        );
        assert_eq!(classify(b"GIF89a...").unwrap().mime, "image/gif");
        assert_eq!(
            classify(b"RIFF\0\0\0\0WEBPVP8 ").unwrap().mime,
            "image/webp"
        );
        assert_eq!(classify(b"%PDF-1.7\n").unwrap().kind, AttachmentKind::Pdf);
        assert_eq!(
            classify("2026 ERROR boom\n".as_bytes()).unwrap().kind,
            AttachmentKind::Text
        );
        // Tabs, CRLF and a coloured log's escapes are text.
        assert!(classify(b"\x1b[31mERROR\x1b[0m\tfailed\r\n\x0c").is_ok());
    }

    #[test]
    fn binaries_markup_and_bad_text_are_refused() {
        for bad in [
            &b"MZ\x90\0\x03\0\0\0"[..],
            b"\x7fELF\x02\x01\x01\0",
            b"PK\x03\x04zip",
            b"<!DOCTYPE html><html><script>alert(1)</script>",
            b"  <html>",
            b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg'/>",
            b"<?xml version='1.0'?>",
            b"<!-- hidden -->",
            b"<script>alert(1)</script>",
            b"\xff\xfe\xfd not utf8",
            b"",
        ] {
            assert!(classify(bad).is_err(), "{bad:?}");
        }
        // Text that merely mentions a tag further in, or starts with `<` otherwise, is text.
        assert!(classify(b"request failed: <html> in body").is_ok());
        assert!(classify(b"<2026-01-01> ERROR x").is_ok());
    }

    #[test]
    fn names_are_cleaned_and_get_the_real_extension() {
        assert_eq!(display_name("shot.png", &PNG), "shot.png");
        assert_eq!(display_name("C:\\Users\\me\\shot.PNG", &PNG), "shot.PNG");
        assert_eq!(display_name("log.txt", &PNG), "log.txt.png");
        assert_eq!(display_name("../../etc/passwd", &TEXT), "passwd.txt");
        assert_eq!(display_name("a\"b;\r\n.pdf", &PDF), "ab.pdf");
        assert_eq!(display_name("", &JPEG), "image.jpg");
        assert_eq!(display_name("...", &TEXT), "file.txt");
        assert_eq!(display_name(&"x".repeat(500), &TEXT).len(), 124);
    }
}
