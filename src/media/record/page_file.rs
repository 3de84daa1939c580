//! A recording file that is always a playable prefix. The page writer (`OpusOgg`) writes into a
//! memory buffer; `commit` moves whole pages to the file, about once a second. When the disk
//! refuses a commit (full, failing), the file is cut back to the end of the last whole commit
//! and closed; later pages are dropped. What was recorded before the disk filled stays valid
//! Ogg, and the call goes on.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

struct Inner {
    file: Option<File>,
    pending: Vec<u8>,
    /// Bytes of the file that are whole pages.
    durable: u64,
    failed: bool,
}

/// The writer half, handed to the page writer.
#[derive(Clone)]
pub struct PageSink(Arc<Mutex<Inner>>);

impl Write for PageSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !inner.failed {
            inner.pending.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The committing half.
pub struct PageFile {
    inner: Arc<Mutex<Inner>>,
    path: PathBuf,
}

impl PageFile {
    /// Creates `dir/name` (and `dir`).
    pub fn create(dir: &Path, name: &str) -> std::io::Result<(Self, PageSink)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(name);
        let file = File::create(&path)?;
        let inner = Arc::new(Mutex::new(Inner {
            file: Some(file),
            pending: Vec::with_capacity(16 * 1024),
            durable: 0,
            failed: false,
        }));
        Ok((
            Self {
                inner: inner.clone(),
                path,
            },
            PageSink(inner),
        ))
    }

    /// Bytes written but not yet committed.
    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }

    /// Writes the pending pages. On the first failure the file is cut back to its last whole
    /// commit and closed, and the error returned; after that, commits do nothing.
    pub fn commit(&self) -> std::io::Result<()> {
        let mut inner = self.lock();
        let Inner {
            file,
            pending,
            durable,
            failed,
        } = &mut *inner;
        let Some(f) = file.as_mut() else {
            return Ok(());
        };
        if pending.is_empty() {
            return Ok(());
        }
        match f.write_all(pending) {
            Ok(()) => {
                *durable += pending.len() as u64;
                pending.clear();
                Ok(())
            }
            Err(e) => {
                // Shrinking needs no space, so this works on a full disk.
                let _ = f.set_len(*durable);
                *file = None;
                *failed = true;
                pending.clear();
                pending.shrink_to_fit();
                Err(e)
            }
        }
    }

    /// Whether a commit failed (the file ends at the last whole commit).
    pub fn failed(&self) -> bool {
        self.lock().failed
    }

    /// Bytes of whole pages in the file.
    #[cfg(test)]
    pub fn durable(&self) -> u64 {
        self.lock().durable
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_commit_cuts_the_file_back_to_its_last_whole_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (file, mut sink) = PageFile::create(dir.path(), "a.ogg").unwrap();
        sink.write_all(b"page one|").unwrap();
        file.commit().unwrap();
        sink.write_all(b"page two|").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read(file.path()).unwrap(), b"page one|page two|");
        assert_eq!(file.durable(), 18);
        assert!(!file.failed());
    }

    #[test]
    fn on_a_full_disk_the_file_keeps_what_was_committed() {
        // /dev/full refuses every write with ENOSPC.
        let full = Path::new("/dev/full");
        if !full.exists() {
            return;
        }
        let (file, mut sink) = PageFile::create(Path::new("/dev"), "full").unwrap();
        sink.write_all(b"a page").unwrap();
        let e = file.commit().unwrap_err();
        assert_eq!(e.raw_os_error(), Some(28), "ENOSPC: {e}");
        assert!(file.failed());
        assert_eq!(file.durable(), 0);
        sink.write_all(b"later pages are dropped").unwrap();
        assert_eq!(file.pending(), 0);
        file.commit().unwrap();
    }
}
