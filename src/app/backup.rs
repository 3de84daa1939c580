//! Backups that restore. `warmline backup DEST` takes a consistent copy of the database while the
//! gateway keeps serving (SQLite's `VACUUM INTO` reads one snapshot: everything committed before
//! it began, nothing half-written), optionally with the call recordings, and writes a manifest
//! with every file's SHA-256. `warmline restore SRC` checks the manifest and copies the backup
//! into a data folder that has no database yet; the gateway then opens it as usual (migrations
//! run, the log is checked).
//!
//! Recordings are copied after the database: a recording the copy names is there (finished files
//! never change); a call that was still being recorded may leave a partial file, which the
//! restored database does not name. Attachments are always copied, after the database too: the
//! messages that name them are the conversation's, and a file is only ever renamed into place
//! complete (uploads still streaming are skipped).

use crate::config::Config;
use crate::storage::Store;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "MANIFEST.json";
pub const DATABASE: &str = "warmline.db";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups cover the embedded SQLite store; for {0} use the database's own tools")]
    NotSqlite(String),
    #[error("{0} exists and is not empty: back up into a new folder")]
    DestinationNotEmpty(PathBuf),
    #[error("{0} already has a database: restore into an empty data folder")]
    DataDirNotEmpty(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not a Warmline backup (no readable {MANIFEST})")]
    NoManifest(PathBuf),
    #[error("{0} does not match its checksum in the manifest: the backup is damaged")]
    Damaged(PathBuf),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestFile {
    /// Relative to the backup folder.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u32,
    pub created_at: crate::domain::Timestamp,
    pub gateway_version: String,
    pub database: ManifestFile,
    #[serde(default)]
    pub recordings: Vec<ManifestFile>,
    /// Files sent in conversations (`<data_dir>/attachments`).
    #[serde(default)]
    pub attachments: Vec<ManifestFile>,
}

fn sha256_file(path: &Path) -> Result<(u64, String), BackupError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}

/// The SQLite database file the configuration names.
fn sqlite_file(config: &Config) -> Result<PathBuf, BackupError> {
    let url = config.database_url();
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|p| !p.is_empty() && *p != ":memory:")
        .ok_or_else(|| BackupError::NotSqlite(url.clone()))?;
    Ok(PathBuf::from(path))
}

/// Every file below `root`, as paths relative to it, sorted.
fn files_below(root: &Path) -> Result<Vec<PathBuf>, BackupError> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            let kind = entry.file_type().map_err(io(&entry.path()))?;
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                if let Ok(rel) = entry.path().strip_prefix(root) {
                    out.push(rel.to_owned());
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

fn copy_verified(from: &Path, to: &Path) -> Result<ManifestFile, BackupError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::copy(from, to).map_err(io(from))?;
    let (bytes, sha256) = sha256_file(to)?;
    Ok(ManifestFile {
        path: String::new(),
        bytes,
        sha256,
    })
}

/// Backs up the store of `config` (and its recordings) into the new folder `dest`.
pub async fn backup(
    config: &Config,
    store: &dyn Store,
    dest: &Path,
    with_recordings: bool,
) -> Result<Manifest, BackupError> {
    sqlite_file(config)?;
    if dest.exists() && std::fs::read_dir(dest).map_err(io(dest))?.next().is_some() {
        return Err(BackupError::DestinationNotEmpty(dest.to_owned()));
    }
    std::fs::create_dir_all(dest).map_err(io(dest))?;
    let db = dest.join(DATABASE);
    store.backup_into(&db).await?;
    let (bytes, sha256) = sha256_file(&db)?;
    let mut recordings = Vec::new();
    if with_recordings {
        let root = config.data_dir.join(super::RECORDINGS_DIR);
        for rel in files_below(&root)? {
            let target = dest.join(super::RECORDINGS_DIR).join(&rel);
            let mut file = copy_verified(&root.join(&rel), &target)?;
            file.path = Path::new(super::RECORDINGS_DIR)
                .join(&rel)
                .to_string_lossy()
                .into_owned();
            recordings.push(file);
        }
    }
    let mut attachments = Vec::new();
    let root = config.data_dir.join(super::attachments::ATTACHMENTS_DIR);
    for rel in files_below(&root)? {
        // An upload still streaming (or one a crash cut short) is not an attachment yet.
        let temporary = rel
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".upload-"));
        if temporary {
            continue;
        }
        let target = dest.join(super::attachments::ATTACHMENTS_DIR).join(&rel);
        let mut file = copy_verified(&root.join(&rel), &target)?;
        file.path = Path::new(super::attachments::ATTACHMENTS_DIR)
            .join(&rel)
            .to_string_lossy()
            .into_owned();
        attachments.push(file);
    }
    let manifest = Manifest {
        format: 1,
        created_at: chrono::Utc::now(),
        gateway_version: env!("CARGO_PKG_VERSION").to_owned(),
        database: ManifestFile {
            path: DATABASE.into(),
            bytes,
            sha256,
        },
        recordings,
        attachments,
    };
    let path = dest.join(MANIFEST);
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| io(&path)(e.into()))?;
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(manifest)
}

/// Restores the backup in `src` into `config`'s data folder, which must have no database.
pub fn restore(config: &Config, src: &Path) -> Result<Manifest, BackupError> {
    let target_db = sqlite_file(config)?;
    let manifest_path = src.join(MANIFEST);
    let manifest: Manifest = std::fs::read(&manifest_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| BackupError::NoManifest(src.to_owned()))?;
    let data = &config.data_dir;
    if target_db.exists() {
        return Err(BackupError::DataDirNotEmpty(data.to_owned()));
    }
    // Everything is checked before anything is copied.
    let files = std::iter::once(&manifest.database)
        .chain(&manifest.recordings)
        .chain(&manifest.attachments);
    for file in files {
        let path = src.join(&file.path);
        if Path::new(&file.path).components().any(|c| {
            matches!(
                c,
                std::path::Component::ParentDir | std::path::Component::RootDir
            )
        }) {
            return Err(BackupError::Damaged(path));
        }
        let (bytes, sha256) = sha256_file(&path)?;
        if bytes != file.bytes || sha256 != file.sha256 {
            return Err(BackupError::Damaged(path));
        }
    }
    std::fs::create_dir_all(data).map_err(io(data))?;
    if let Some(dir) = target_db.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    for file in manifest.recordings.iter().chain(&manifest.attachments) {
        copy_verified(&src.join(&file.path), &data.join(&file.path))?;
    }
    // The database last, under a temporary name: a restore cut short leaves no database behind.
    let partial = target_db.with_extension("restoring");
    copy_verified(&src.join(&manifest.database.path), &partial)?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(io(&partial))?;
    std::fs::rename(&partial, &target_db).map_err(io(&target_db))?;
    Ok(manifest)
}
