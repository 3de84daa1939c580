//! Thumbnails of images: decoded within limits, shrunk to fit a square, written as JPEG (or PNG
//! when the image has transparency, so a screenshot's transparent parts do not turn black).

use super::{AttachmentError, AttachmentsConfig};
use std::io::Cursor;

/// An image's size and its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub mime: &'static str,
}

/// Most memory one decode may take, whatever the image claims.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
/// JPEG quality of thumbnails: small files, no visible blocks at 320 px.
const JPEG_QUALITY: u8 = 82;

fn limits(max_side: u32) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(max_side);
    l.max_image_height = Some(max_side);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

/// The thumbnail of `bytes`, an image in `format` (as sniffed). Refuses images over
/// `config.max_image_pixels` before decoding them, and images that do not decode.
pub fn thumbnail(
    bytes: &[u8],
    format: image::ImageFormat,
    config: &AttachmentsConfig,
) -> Result<Thumbnail, AttachmentError> {
    // No side may be longer than the whole pixel budget (a 1 x 50-million strip is still refused
    // by the product check below).
    let side = u32::try_from(config.max_image_pixels).unwrap_or(u32::MAX);
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits(side));
    let (width, height) = reader
        .into_dimensions()
        .map_err(AttachmentError::BadImage)?;
    if u64::from(width) * u64::from(height) > config.max_image_pixels {
        return Err(AttachmentError::ImageTooLarge {
            width,
            height,
            limit: config.max_image_pixels,
        });
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits(side));
    let img = reader.decode().map_err(AttachmentError::BadImage)?;
    let px = config.thumbnail_px;
    let small = if img.width() > px || img.height() > px {
        img.thumbnail(px, px)
    } else {
        img
    };
    let mut out = Vec::new();
    let mime = if small.color().has_alpha() {
        small
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .map_err(AttachmentError::Encode)?;
        "image/png"
    } else {
        let rgb = image::DynamicImage::ImageRgb8(small.to_rgb8());
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out,
            JPEG_QUALITY,
        ))
        .map_err(AttachmentError::Encode)?;
        "image/jpeg"
    };
    Ok(Thumbnail {
        width,
        height,
        bytes: out,
        mime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, alpha: bool) -> Vec<u8> {
        let img = if alpha {
            image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
                w,
                h,
                image::Rgba([10, 20, 30, 128]),
            ))
        } else {
            image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
                w,
                h,
                image::Rgb([200, 40, 40]),
            ))
        };
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn shrinks_to_fit_and_keeps_transparency() {
        let cfg = AttachmentsConfig::default();
        let t = thumbnail(&png(1280, 640, false), image::ImageFormat::Png, &cfg).unwrap();
        assert_eq!((t.width, t.height, t.mime), (1280, 640, "image/jpeg"));
        let back = image::load_from_memory(&t.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (320, 160));
        let t = thumbnail(&png(50, 40, true), image::ImageFormat::Png, &cfg).unwrap();
        assert_eq!(t.mime, "image/png");
        let back = image::load_from_memory(&t.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (50, 40), "never enlarged");
    }

    #[test]
    fn refuses_bombs_and_garbage_without_panicking() {
        let cfg = AttachmentsConfig {
            max_image_pixels: 1_000_000,
            ..AttachmentsConfig::default()
        };
        let big = png(1200, 1000, false);
        assert!(matches!(
            thumbnail(&big, image::ImageFormat::Png, &cfg),
            Err(AttachmentError::ImageTooLarge { .. })
        ));
        let mut truncated = png(100, 100, false);
        truncated.truncate(60);
        assert!(thumbnail(&truncated, image::ImageFormat::Png, &cfg).is_err());
        assert!(thumbnail(
            b"\x89PNG\r\n\x1a\nnot really",
            image::ImageFormat::Png,
            &cfg
        )
        .is_err());
        assert!(thumbnail(&[0xff, 0xd8, 0xff, 0], image::ImageFormat::Jpeg, &cfg).is_err());
    }
}
