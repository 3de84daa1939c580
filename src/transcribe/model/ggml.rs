//! Writer of whisper.cpp's model file (the legacy "ggml" format its loader reads), in the order
//! the loader expects, all integers and floats little-endian:
//! 1. the magic `0x67676d6c` ("ggml") as a u32;
//! 2. eleven i32 hyper-parameters (`Hparams`, then the file type);
//! 3. the mel filters: i32 band count, i32 bin count, then the f32 weights row by row;
//! 4. the vocabulary: i32 token count, then per token an i32 length and its bytes;
//! 5. the tensors until the end of the file, each an i32 rank, i32 name length, i32 ggml type,
//!    the dimensions innermost first (ggml's `ne`, the reverse of PyTorch's shape), the name and
//!    the data.
//!
//! The loader trusts each tensor's bytes to be in the type it chose for that tensor, whatever the
//! header says, so the writer checks the byte count against the declared type and shape.

use super::ModelError;
use std::io::Write;

pub const MAGIC: u32 = 0x6767_6d6c;

/// ggml's tensor types that a Whisper file uses, with ggml's numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
}

impl GgmlType {
    /// Bytes for a tensor of `shape` (row-major); `None` unless each row fills whole blocks.
    pub fn bytes_for(self, shape: &[usize]) -> Option<usize> {
        let elements = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
        match self {
            GgmlType::F32 => elements.checked_mul(4),
            GgmlType::F16 => elements.checked_mul(2),
            // Blocks of 32 int8 values and one f16 scale, never straddling two rows.
            GgmlType::Q8_0 => {
                let row = *shape.last()?;
                row.is_multiple_of(32).then_some(elements / 32 * 34)
            }
        }
    }
}

/// The hyper-parameters whisper.cpp reads after the magic, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
}

pub struct GgmlWriter<W: Write> {
    out: W,
}

impl<W: Write> GgmlWriter<W> {
    pub fn new(out: W) -> Self {
        GgmlWriter { out }
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    /// The magic, the hyper-parameters and `ftype` (whisper.cpp's `ggml_ftype`, plus 1000 times the
    /// quantization version for quantized files, as its quantizer writes it).
    pub fn header(&mut self, h: &Hparams, ftype: i32) -> Result<(), ModelError> {
        self.out
            .write_all(&MAGIC.to_le_bytes())
            .map_err(ModelError::Write)?;
        for v in [
            h.n_vocab,
            h.n_audio_ctx,
            h.n_audio_state,
            h.n_audio_head,
            h.n_audio_layer,
            h.n_text_ctx,
            h.n_text_state,
            h.n_text_head,
            h.n_text_layer,
            h.n_mels,
            ftype,
        ] {
            self.i32(v).map_err(ModelError::Write)?;
        }
        Ok(())
    }

    pub fn mel_filters(
        &mut self,
        n_mels: usize,
        n_bins: usize,
        weights: &[f32],
    ) -> Result<(), ModelError> {
        if n_mels.checked_mul(n_bins) != Some(weights.len()) {
            return Err(bad(
                "mel filters",
                format!("{} weights for {n_mels} x {n_bins}", weights.len()),
            ));
        }
        self.i32(to_i32("mel filters", n_mels)?)
            .map_err(ModelError::Write)?;
        self.i32(to_i32("mel filters", n_bins)?)
            .map_err(ModelError::Write)?;
        let bytes: Vec<u8> = weights.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.out.write_all(&bytes).map_err(ModelError::Write)
    }

    pub fn vocabulary(&mut self, tokens: &[Vec<u8>]) -> Result<(), ModelError> {
        self.i32(to_i32("vocabulary", tokens.len())?)
            .map_err(ModelError::Write)?;
        for t in tokens {
            self.i32(to_i32("vocabulary", t.len())?)
                .map_err(ModelError::Write)?;
            self.out.write_all(t).map_err(ModelError::Write)?;
        }
        Ok(())
    }

    /// One tensor; `shape` is row-major, outermost first (as PyTorch and CTranslate2 give it).
    pub fn tensor(
        &mut self,
        name: &str,
        shape: &[usize],
        ttype: GgmlType,
        data: &[u8],
    ) -> Result<(), ModelError> {
        if shape.is_empty() || shape.len() > 4 {
            return Err(bad(
                name,
                format!("rank {} (whisper.cpp takes 1 to 4)", shape.len()),
            ));
        }
        let expected = ttype.bytes_for(shape);
        if expected != Some(data.len()) {
            return Err(bad(
                name,
                format!("{} bytes for shape {shape:?} as {ttype:?}", data.len()),
            ));
        }
        self.i32(shape.len() as i32).map_err(ModelError::Write)?;
        self.i32(to_i32(name, name.len())?)
            .map_err(ModelError::Write)?;
        self.i32(ttype as i32).map_err(ModelError::Write)?;
        for &d in shape.iter().rev() {
            self.i32(to_i32(name, d)?).map_err(ModelError::Write)?;
        }
        self.out
            .write_all(name.as_bytes())
            .map_err(ModelError::Write)?;
        self.out.write_all(data).map_err(ModelError::Write)
    }

    fn i32(&mut self, v: i32) -> std::io::Result<()> {
        self.out.write_all(&v.to_le_bytes())
    }
}

fn bad(name: &str, reason: String) -> ModelError {
    ModelError::BadTensor {
        name: name.to_owned(),
        reason,
    }
}

fn to_i32(name: &str, v: usize) -> Result<i32, ModelError> {
    i32::try_from(v).map_err(|_| bad(name, format!("{v} does not fit the file's 32-bit fields")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(b: &[u8]) -> Vec<i32> {
        b.chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn layout_matches_the_loader() {
        let mut w = GgmlWriter::new(Vec::new());
        let h = Hparams {
            n_vocab: 1,
            n_audio_ctx: 2,
            n_audio_state: 3,
            n_audio_head: 4,
            n_audio_layer: 5,
            n_text_ctx: 6,
            n_text_state: 7,
            n_text_head: 8,
            n_text_layer: 9,
            n_mels: 10,
        };
        w.header(&h, 11).expect("header");
        w.mel_filters(1, 2, &[0.5, 1.0]).expect("mel");
        w.vocabulary(&[b"ab".to_vec()]).expect("vocab");
        // A 2 x 3 f16 matrix: ggml's ne is [3, 2].
        w.tensor("m", &[2, 3], GgmlType::F16, &[0; 12])
            .expect("tensor");
        let b = w.into_inner();

        assert_eq!(&b[..4], b"lmgg");
        assert_eq!(words(&b[4..48]), (1..=11).collect::<Vec<_>>());
        assert_eq!(words(&b[48..56]), vec![1, 2]);
        assert_eq!(
            &b[56..64],
            &[0.5f32.to_le_bytes(), 1.0f32.to_le_bytes()].concat()[..]
        );
        assert_eq!(words(&b[64..72]), vec![1, 2]);
        assert_eq!(&b[72..74], b"ab");
        assert_eq!(words(&b[74..94]), vec![2, 1, 1, 3, 2]);
        assert_eq!(&b[94..95], b"m");
        assert_eq!(b.len(), 95 + 12);
    }

    #[test]
    fn data_must_fit_type_and_shape() {
        let mut w = GgmlWriter::new(Vec::new());
        assert!(w.tensor("x", &[4], GgmlType::F32, &[0; 12]).is_err());
        assert!(w.tensor("x", &[], GgmlType::F32, &[]).is_err());
        assert!(w.tensor("x", &[2, 16], GgmlType::Q8_0, &[0; 34]).is_err());
        assert!(w.tensor("x", &[2, 32], GgmlType::Q8_0, &[0; 68]).is_ok());
    }
}
