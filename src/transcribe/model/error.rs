//! The one error type of the model module. Every malformed input (a truncated `model.bin`, a token
//! that is not byte-level BPE, a tensor of the wrong shape) ends up here with enough context to
//! name the file or tensor at fault; nothing in the module panics on file contents.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a readable zip archive: {source}", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("{}: no {file} in it (expected a CTranslate2 Whisper model: a directory or a wheel holding model.bin, vocabulary.txt or vocabulary.json, config.json)", source_path.display())]
    MissingFile {
        source_path: PathBuf,
        file: &'static str,
    },
    #[error("{}: {file} appears more than once; cannot tell which model to use", source_path.display())]
    AmbiguousFile {
        source_path: PathBuf,
        file: &'static str,
    },

    #[error("model.bin ends early at byte {offset}: {what} needs {needed} more bytes")]
    Truncated {
        offset: usize,
        what: String,
        needed: usize,
    },
    #[error("model.bin has binary version {0}; this reader knows versions 2 to 6")]
    UnsupportedVersion(u32),
    #[error("model.bin: string at byte {offset} is not a NUL-terminated UTF-8 string")]
    BadString { offset: usize },
    #[error("model.bin: variable `{name}` has unknown data type id {id}")]
    UnknownDtype { name: String, id: u8 },
    #[error("model.bin: variable `{name}` has shape {shape:?} but {bytes} bytes of data")]
    PayloadSize {
        name: String,
        shape: Vec<usize>,
        bytes: usize,
    },
    #[error("model.bin: variable `{0}` is defined twice")]
    DuplicateVariable(String),
    #[error("model.bin: alias `{alias}` names `{target}`, which does not exist")]
    DanglingAlias { alias: String, target: String },
    #[error("model.bin: {0} bytes after the last alias")]
    TrailingBytes(usize),

    #[error("config.json: {0}")]
    Config(#[source] serde_json::Error),
    #[error("vocabulary.json: {0}")]
    VocabularyJson(#[source] serde_json::Error),
    #[error("{file} is not UTF-8")]
    NotUtf8 { file: &'static str },
    #[error("vocabulary token {index} ({token:?}) has character {ch:?}, which is not in GPT-2's byte-level alphabet")]
    NotByteLevel {
        index: usize,
        token: String,
        ch: char,
    },
    #[error("the vocabulary has no <|endoftext|> token, so it is not a Whisper vocabulary")]
    NoEndOfText,
    #[error("config.json lists language token id {id}, but the vocabulary has {what}")]
    LanguageToken { id: u32, what: String },

    #[error("not a CTranslate2 Whisper model: spec is `{0}` (expected WhisperSpec)")]
    NotWhisper(String),
    #[error("the model has no variable `{0}`")]
    MissingVariable(String),
    #[error("variable `{name}` has shape {got:?}, expected {expected}")]
    BadShape {
        name: String,
        got: Vec<usize>,
        expected: String,
    },
    #[error("variable `{name}` is stored as {dtype}; only float16, bfloat16 and float32 weights can be converted (re-export the model without int8/int16 quantization)")]
    UnsupportedDtype { name: String, dtype: &'static str },
    #[error("variable `{name}` would be dropped by the conversion; this converter does not know that Whisper variant")]
    UnusedVariable { name: String },
    #[error("decoder/projection/weight is not the token embedding; whisper.cpp ties the output projection to it")]
    UntiedProjection,
    #[error("the vocabulary has {vocabulary} tokens but the token embedding has {embedding} rows")]
    VocabularySize { vocabulary: usize, embedding: usize },

    #[error(
        "tensor `{name}`: rows of {n_per_row} values cannot be quantized in blocks of {block}"
    )]
    RowNotBlockAligned {
        name: String,
        n_per_row: usize,
        block: usize,
    },
    #[error("tensor `{name}`: {reason}")]
    BadTensor { name: String, reason: String },

    #[error("writing the model file: {0}")]
    Write(#[source] std::io::Error),
    #[error("{} already exists (use --force to replace it)", .0.display())]
    OutputExists(PathBuf),
    #[error("fetching the model's wheel: {0}")]
    Wheel(#[from] crate::pypi::WheelError),
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}
