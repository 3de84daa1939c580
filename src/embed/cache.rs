//! Not computing the same vector twice: `VectorCache` keeps the vectors of a fixed set of texts
//! (the knowledge base's passages, the intent examples) on disk under a key made of the model id
//! and every text, so a restart with unchanged content reads them instead of embedding again, and
//! a changed article is embedded anew. `Memo` keeps recent single texts in memory, so the message
//! the analysis just embedded is not embedded again by the assistant in the same turn.

use super::EmbedError;
use crate::analysis::semantic::{EmbedFailure, Embedder, Embedding};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const MAGIC: &[u8; 8] = b"WLVEC01\n";

/// A folder of vector files, one per set of texts.
#[derive(Debug, Clone)]
pub struct VectorCache {
    dir: PathBuf,
}

impl VectorCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The vectors of `texts` by `model`, from the cache when the same model embedded exactly
    /// these texts before; otherwise embedded now and stored. `label` names the file for people.
    pub fn vectors(
        &self,
        label: &str,
        texts: &[&str],
        model: &dyn Embedder,
    ) -> Result<Vec<Embedding>, EmbedError> {
        let mut h = Sha256::new();
        h.update(model.id().as_bytes());
        for t in texts {
            h.update([0u8]);
            h.update(t.as_bytes());
        }
        let key = hex::encode(h.finalize());
        let path = self.dir.join(format!("{label}-{}.vec", &key[..24]));
        if let Some(v) = read(&path, texts.len()) {
            return Ok(v);
        }
        let vectors = model.embed_all(texts).map_err(EmbedError::Embedding)?;
        write(&self.dir, &path, &vectors)?;
        Ok(vectors)
    }
}

/// The stored vectors, or `None` when the file is missing, damaged or of another shape (then it
/// is simply computed again).
fn read(path: &Path, count: usize) -> Option<Vec<Embedding>> {
    let bytes = std::fs::read(path).ok()?;
    let body = bytes.strip_prefix(MAGIC.as_slice())?;
    let (head, data) = body.split_at_checked(8)?;
    let n = u32::from_le_bytes(head[..4].try_into().ok()?) as usize;
    let dims = u32::from_le_bytes(head[4..8].try_into().ok()?) as usize;
    if n != count || data.len() != n.checked_mul(dims)?.checked_mul(4)? {
        return None;
    }
    let floats: Vec<f32> = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some(
        floats
            .chunks(dims.max(1))
            .take(n)
            .map(|row| Embedding::from_unit(row.to_vec()))
            .collect(),
    )
}

fn write(dir: &Path, path: &Path, vectors: &[Embedding]) -> Result<(), EmbedError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| EmbedError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let dims = vectors.first().map_or(0, Embedding::dims);
    let mut bytes = Vec::with_capacity(16 + vectors.len() * dims * 4);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(vectors.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&(dims as u32).to_le_bytes());
    for v in vectors {
        for x in v.as_slice() {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, &bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Entries kept before the memo starts over.
const MEMO_LIMIT: usize = 4096;

/// An embedder that remembers its latest results by text.
pub struct Memo {
    inner: Arc<dyn Embedder>,
    seen: Mutex<HashMap<String, Embedding>>,
    /// `embed_parts` results by text and parts. Apart from `seen`: a part read in its text's
    /// context is not the same vector as that part embedded alone.
    parts: Mutex<HashMap<PartsKey, (Embedding, Vec<Embedding>)>>,
}

/// A text and where it was split.
type PartsKey = (String, Vec<(usize, usize)>);

impl Memo {
    pub fn new(inner: Arc<dyn Embedder>) -> Self {
        Self {
            inner,
            seen: Mutex::new(HashMap::new()),
            parts: Mutex::new(HashMap::new()),
        }
    }
}

impl Embedder for Memo {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn embed(&self, text: &str) -> Result<Embedding, EmbedFailure> {
        if let Some(e) = self.seen.lock().ok().and_then(|m| m.get(text).cloned()) {
            return Ok(e);
        }
        let e = self.inner.embed(text)?;
        if let Ok(mut m) = self.seen.lock() {
            if m.len() >= MEMO_LIMIT {
                m.clear();
            }
            m.insert(text.to_owned(), e.clone());
        }
        Ok(e)
    }

    /// Remembered when the same text was split the same way; the whole text's vector is also
    /// remembered as that text's (what `embed` gives, for a message within the 128 word pieces
    /// a message is read to).
    fn embed_parts(
        &self,
        text: &str,
        parts: &[std::ops::Range<usize>],
    ) -> Result<(Embedding, Vec<Embedding>), EmbedFailure> {
        let key = (
            text.to_owned(),
            parts.iter().map(|r| (r.start, r.end)).collect::<Vec<_>>(),
        );
        if let Some(hit) = self.parts.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(hit);
        }
        let got = self.inner.embed_parts(text, parts)?;
        if let Ok(mut m) = self.parts.lock() {
            if m.len() >= MEMO_LIMIT {
                m.clear();
            }
            m.insert(key, got.clone());
        }
        if let Ok(mut m) = self.seen.lock() {
            if m.len() >= MEMO_LIMIT {
                m.clear();
            }
            m.insert(text.to_owned(), got.0.clone());
        }
        Ok(got)
    }

    /// Remembered texts come from memory; the others are embedded together in one batch.
    fn embed_all(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedFailure> {
        let known: Vec<Option<Embedding>> = match self.seen.lock() {
            Ok(m) => texts.iter().map(|t| m.get(*t).cloned()).collect(),
            Err(_) => vec![None; texts.len()],
        };
        let missing: Vec<&str> = texts
            .iter()
            .zip(&known)
            .filter(|(_, k)| k.is_none())
            .map(|(t, _)| *t)
            .collect();
        let mut fresh = if missing.is_empty() {
            Vec::new()
        } else {
            self.inner.embed_all(&missing)?
        }
        .into_iter();
        if let Ok(mut m) = self.seen.lock() {
            if m.len() + missing.len() >= MEMO_LIMIT {
                m.clear();
            }
        }
        let mut out = Vec::with_capacity(texts.len());
        for (text, k) in texts.iter().zip(known) {
            match k {
                Some(e) => out.push(e),
                None => {
                    let e = fresh
                        .next()
                        .ok_or_else(|| EmbedFailure::new(super::EmbedError::Empty))?;
                    if let Ok(mut m) = self.seen.lock() {
                        m.insert((*text).to_owned(), e.clone());
                    }
                    out.push(e);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::semantic::stand_in::BagOfWords;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl Embedder for Counting {
        fn id(&self) -> &str {
            "test:counting"
        }
        fn embed(&self, text: &str) -> Result<Embedding, EmbedFailure> {
            self.0.fetch_add(1, Ordering::SeqCst);
            BagOfWords.embed(text)
        }
    }

    #[test]
    fn vectors_are_read_back_until_the_texts_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = VectorCache::new(dir.path());
        let model = Counting(AtomicUsize::new(0));
        let first = cache
            .vectors("kb", &["refund policy", "webhook retries"], &model)
            .expect("vectors");
        assert_eq!(model.0.load(Ordering::SeqCst), 2);
        let again = cache
            .vectors("kb", &["refund policy", "webhook retries"], &model)
            .expect("vectors");
        assert_eq!(model.0.load(Ordering::SeqCst), 2, "read from disk");
        assert_eq!(first, again);
        cache
            .vectors("kb", &["refund policy", "webhook retries changed"], &model)
            .expect("vectors");
        assert_eq!(model.0.load(Ordering::SeqCst), 4, "changed text, new key");
        // A damaged file is recomputed, not trusted.
        for entry in std::fs::read_dir(dir.path()).expect("dir") {
            let path = entry.expect("entry").path();
            std::fs::write(&path, b"WLVEC01\nxx").expect("write");
        }
        cache
            .vectors("kb", &["refund policy", "webhook retries"], &model)
            .expect("vectors");
        assert_eq!(model.0.load(Ordering::SeqCst), 6);
    }

    #[test]
    fn memo_batches_only_what_it_has_not_seen() {
        let model = Arc::new(Counting(AtomicUsize::new(0)));
        let memo = Memo::new(model.clone());
        let one = memo.embed("charged twice").expect("embed");
        let all = memo
            .embed_all(&["refund", "charged twice", "refund"])
            .expect("embed_all");
        assert_eq!(all[1], one);
        assert_eq!(all[0], all[2]);
        // "charged twice" came from memory; the two "refund"s were embedded in one batch.
        assert_eq!(model.0.load(Ordering::SeqCst), 3);
        memo.embed("refund").expect("embed");
        assert_eq!(model.0.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn memo_reads_a_message_once_for_its_parts_and_its_whole() {
        let model = Arc::new(Counting(AtomicUsize::new(0)));
        let memo = Memo::new(model.clone());
        let text = "Webhooks fail with 401. I rotated the secret already.";
        let parts = [0..23, 24..text.len()];
        let (whole, sentences) = memo.embed_parts(text, &parts).expect("parts");
        assert_eq!(sentences.len(), 2);
        assert_eq!(
            model.0.load(Ordering::SeqCst),
            3,
            "the text and its two parts"
        );
        assert_eq!(memo.embed_parts(text, &parts).expect("again").0, whole);
        assert_eq!(memo.embed(text).expect("embed"), whole);
        assert_eq!(model.0.load(Ordering::SeqCst), 3, "both from memory");
    }

    #[test]
    fn memo_embeds_a_text_once() {
        let model = Arc::new(Counting(AtomicUsize::new(0)));
        let memo = Memo::new(model.clone());
        let a = memo.embed("charged twice").expect("embed");
        let b = memo.embed("charged twice").expect("embed");
        assert_eq!(a, b);
        assert_eq!(model.0.load(Ordering::SeqCst), 1);
    }
}
