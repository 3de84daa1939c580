//! `[attachments]`: size and count limits and the thumbnail size.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    /// Whether customers and agents may attach files at all.
    pub enabled: bool,
    /// Largest file accepted, in bytes (default 10 MiB).
    pub max_bytes: u64,
    /// Files one conversation may hold (its participants together).
    pub max_per_conversation: u32,
    /// Longest side of an image's thumbnail, in pixels.
    pub thumbnail_px: u32,
    /// Largest image accepted, in pixels (width x height), checked before decoding.
    pub max_image_pixels: u64,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_bytes: 10 * 1024 * 1024,
            max_per_conversation: 100,
            thumbnail_px: 320,
            max_image_pixels: 50_000_000,
        }
    }
}

impl AttachmentsConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1024..=512 * 1024 * 1024).contains(&self.max_bytes) {
            return Err("max_bytes must be 1 KiB..=512 MiB".into());
        }
        if self.max_per_conversation == 0 {
            return Err("max_per_conversation must be positive".into());
        }
        if !(32..=1024).contains(&self.thumbnail_px) {
            return Err("thumbnail_px must be 32..=1024".into());
        }
        if !(1_000_000..=500_000_000).contains(&self.max_image_pixels) {
            return Err("max_image_pixels must be 1e6..=5e8".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own large error type
    fn defaults_then_file_then_environment() {
        assert_eq!(Config::default().attachments.max_bytes, 10 * 1024 * 1024);
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "w.toml",
                "[attachments]\nmax_bytes = 2097152\nthumbnail_px = 200\n",
            )?;
            jail.set_env("WARMLINE_ATTACHMENTS__MAX_BYTES", "4194304");
            let cfg =
                Config::load(Some(std::path::Path::new("w.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(
                cfg.attachments.max_bytes,
                4 * 1024 * 1024,
                "the environment wins"
            );
            assert_eq!(cfg.attachments.thumbnail_px, 200, "the file's value stays");
            jail.set_env("WARMLINE_ATTACHMENTS__MAX_BYTES", "10");
            let err = Config::load(Some(std::path::Path::new("w.toml")))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("attachments"), "{err}");
            Ok(())
        });
    }
}
