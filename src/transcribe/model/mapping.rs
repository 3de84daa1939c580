//! From CTranslate2's Whisper variables to whisper.cpp's tensors: names, shapes, the splitting of
//! fused projections, the hyper-parameters, and how whisper.cpp stores each tensor. Pure: no data
//! is copied, each tensor borrows its bytes from the CTranslate2 model.
//!
//! What CTranslate2 changed from OpenAI's layout, undone here:
//! - Self-attention Q, K and V are one matrix (`self_attention/linear_0`, 3·n_state rows, in that
//!   order) and the cross-attention K and V another (`attention/linear_1`); they are split by rows.
//!   whisper.cpp's key projections have no bias, and CTranslate2 stores one for the fused matrix
//!   (zeros, for a Hugging Face export); it is dropped, which is exact whatever its value: q·(k+b)
//!   shifts every score of a query by the same amount, and softmax ignores a common shift.
//! - Layer norms are `gamma`/`beta`, not `weight`/`bias`; the positional embeddings are
//!   `position_encodings/encodings`.
//! - The output projection is an alias of the token embedding; whisper.cpp always ties them.
//!
//! whisper.cpp decides each tensor's type when it loads, and reads the bytes as that type: the 2-D
//! weight matrices (and the token embedding) in the file's weight type, the convolution kernels in
//! f16 (unless the whole file is f32), everything else — biases, norms, positional embeddings —
//! in f32. `Storage` records which, and the conv biases are reshaped to `[n_state, 1]` as its
//! loader declares them.

use super::ct2::{Ct2Model, Dtype, Variable};
use super::ggml::Hparams;
use super::ModelError;
use std::collections::BTreeSet;

/// Whisper's attention heads are 64 wide in every size; used when the export has no head count.
const HEAD_WIDTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Always f32.
    F32,
    /// f16 (the convolution kernels).
    Conv,
    /// The file's weight type: f16, or quantized.
    Weight,
}

#[derive(Debug)]
pub struct Tensor<'a> {
    /// whisper.cpp's name, e.g. `encoder.blocks.0.attn.query.weight`.
    pub name: String,
    /// Row-major, outermost first, as written to the file (reversed there).
    pub shape: Vec<usize>,
    pub storage: Storage,
    /// The source values: `shape`'s product of elements of `dtype`.
    pub dtype: Dtype,
    pub data: &'a [u8],
}

impl Tensor<'_> {
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }
}

#[derive(Debug)]
pub struct Conversion<'a> {
    pub hparams: Hparams,
    pub tensors: Vec<Tensor<'a>>,
}

/// Maps `model` (a CTranslate2 `WhisperSpec`) to whisper.cpp's tensors. `vocabulary_len` is the
/// number of tokens in its vocabulary file, which must match the embedding.
pub fn whisper_cpp_tensors(
    model: &Ct2Model,
    vocabulary_len: usize,
) -> Result<Conversion<'_>, ModelError> {
    if model.spec != "WhisperSpec" {
        return Err(ModelError::NotWhisper(model.spec.clone()));
    }
    let dims = Dims::read(model, vocabulary_len)?;
    let mut m = Mapper {
        model,
        used: BTreeSet::new(),
        tensors: Vec::new(),
    };
    m.encoder(&dims)?;
    m.decoder(&dims)?;
    m.check_all_used()?;
    Ok(Conversion {
        hparams: dims.hparams()?,
        tensors: m.tensors,
    })
}

struct Dims {
    n_vocab: usize,
    n_state: usize,
    n_mels: usize,
    n_audio_ctx: usize,
    n_text_ctx: usize,
    n_audio_layer: usize,
    n_text_layer: usize,
    n_audio_head: usize,
    n_text_head: usize,
}

impl Dims {
    fn read(model: &Ct2Model, vocabulary_len: usize) -> Result<Self, ModelError> {
        let shape2 = |name: &str| -> Result<(usize, usize), ModelError> {
            match get(model, name)?.shape.as_slice() {
                &[a, b] => Ok((a, b)),
                other => Err(shape_error(name, other, "2 dimensions")),
            }
        };
        let (n_vocab, n_text_state) = shape2("decoder/embeddings/weight")?;
        let (n_audio_ctx, n_audio_state) = shape2("encoder/position_encodings/encodings")?;
        let (n_text_ctx, _) = shape2("decoder/position_encodings/encodings")?;
        if n_audio_state != n_text_state {
            // whisper.cpp asserts this when loading.
            return Err(shape_error(
                "decoder/embeddings/weight",
                &[n_vocab, n_text_state],
                &format!("[n_vocab, {n_audio_state}] (the encoder's width)"),
            ));
        }
        if n_vocab != vocabulary_len {
            return Err(ModelError::VocabularySize {
                vocabulary: vocabulary_len,
                embedding: n_vocab,
            });
        }
        let conv1 = "encoder/conv1/weight";
        let n_mels = match get(model, conv1)?.shape.as_slice() {
            &[s, mels, 3] if s == n_audio_state => mels,
            other => {
                return Err(shape_error(
                    conv1,
                    other,
                    &format!("[{n_audio_state}, n_mels, 3]"),
                ))
            }
        };
        let layers = |side: &str| {
            (0..)
                .take_while(|i| {
                    model
                        .get(&format!("{side}/layer_{i}/ffn/linear_0/weight"))
                        .is_some()
                })
                .count()
        };
        let heads = |side: &str| -> Result<usize, ModelError> {
            let name = format!("{side}/num_heads");
            let n = match model.get(&name) {
                Some(v) => v
                    .scalar_int()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| shape_error(&name, &v.shape, "an integer scalar"))?,
                None => n_audio_state / HEAD_WIDTH,
            };
            if n == 0 || !n_audio_state.is_multiple_of(n) {
                return Err(ModelError::BadTensor {
                    name,
                    reason: format!("{n} heads do not divide the width {n_audio_state}"),
                });
            }
            Ok(n)
        };
        Ok(Dims {
            n_vocab,
            n_state: n_audio_state,
            n_mels,
            n_audio_ctx,
            n_text_ctx,
            n_audio_layer: layers("encoder"),
            n_text_layer: layers("decoder"),
            n_audio_head: heads("encoder")?,
            n_text_head: heads("decoder")?,
        })
    }

    fn hparams(&self) -> Result<Hparams, ModelError> {
        let i = |name: &str, v: usize| {
            i32::try_from(v).map_err(|_| ModelError::BadTensor {
                name: name.to_owned(),
                reason: format!("{v} does not fit in 32 bits"),
            })
        };
        Ok(Hparams {
            n_vocab: i("n_vocab", self.n_vocab)?,
            n_audio_ctx: i("n_audio_ctx", self.n_audio_ctx)?,
            n_audio_state: i("n_audio_state", self.n_state)?,
            n_audio_head: i("n_audio_head", self.n_audio_head)?,
            n_audio_layer: i("n_audio_layer", self.n_audio_layer)?,
            n_text_ctx: i("n_text_ctx", self.n_text_ctx)?,
            n_text_state: i("n_text_state", self.n_state)?,
            n_text_head: i("n_text_head", self.n_text_head)?,
            n_text_layer: i("n_text_layer", self.n_text_layer)?,
            n_mels: i("n_mels", self.n_mels)?,
        })
    }
}

struct Mapper<'a> {
    model: &'a Ct2Model,
    /// Stored names consumed so far; anything left over would be silently lost.
    used: BTreeSet<&'a str>,
    tensors: Vec<Tensor<'a>>,
}

/// A tensor of a layer: whisper.cpp's name after `<side>.blocks.<n>.`, CTranslate2's variable
/// after `<side>/layer_<n>/`, which of `parts` equal blocks of rows it is, its shape in units of
/// the model width, and how whisper.cpp stores it.
type Rule = (
    &'static str,
    &'static str,
    usize,
    usize,
    &'static [usize],
    Storage,
);

use Storage::{Weight, F32};

/// Self-attention, in the encoder's and the decoder's layers: Q, K, V fused in `linear_0`, and no
/// key bias in whisper.cpp.
#[rustfmt::skip]
const SELF_ATTENTION: &[Rule] = &[
    ("attn.query.weight", "self_attention/linear_0/weight", 0, 3, &[1, 1], Weight),
    ("attn.query.bias",   "self_attention/linear_0/bias",   0, 3, &[1],    F32),
    ("attn.key.weight",   "self_attention/linear_0/weight", 1, 3, &[1, 1], Weight),
    ("attn.value.weight", "self_attention/linear_0/weight", 2, 3, &[1, 1], Weight),
    ("attn.value.bias",   "self_attention/linear_0/bias",   2, 3, &[1],    F32),
    ("attn.out.weight",   "self_attention/linear_1/weight", 0, 1, &[1, 1], Weight),
    ("attn.out.bias",     "self_attention/linear_1/bias",   0, 1, &[1],    F32),
    ("attn_ln.weight",    "self_attention/layer_norm/gamma", 0, 1, &[1],   F32),
    ("attn_ln.bias",      "self_attention/layer_norm/beta", 0, 1, &[1],    F32),
];

/// The feed-forward block of every layer.
#[rustfmt::skip]
const MLP: &[Rule] = &[
    ("mlp.0.weight",      "ffn/linear_0/weight",            0, 1, &[4, 1], Weight),
    ("mlp.0.bias",        "ffn/linear_0/bias",              0, 1, &[4],    F32),
    ("mlp.2.weight",      "ffn/linear_1/weight",            0, 1, &[1, 4], Weight),
    ("mlp.2.bias",        "ffn/linear_1/bias",              0, 1, &[1],    F32),
    ("mlp_ln.weight",     "ffn/layer_norm/gamma",           0, 1, &[1],    F32),
    ("mlp_ln.bias",       "ffn/layer_norm/beta",            0, 1, &[1],    F32),
];

/// The decoder's cross-attention: K and V fused in `linear_1`.
#[rustfmt::skip]
const CROSS_ATTENTION: &[Rule] = &[
    ("cross_attn.query.weight", "attention/linear_0/weight",  0, 1, &[1, 1], Weight),
    ("cross_attn.query.bias",   "attention/linear_0/bias",    0, 1, &[1],    F32),
    ("cross_attn.key.weight",   "attention/linear_1/weight",  0, 2, &[1, 1], Weight),
    ("cross_attn.value.weight", "attention/linear_1/weight",  1, 2, &[1, 1], Weight),
    ("cross_attn.value.bias",   "attention/linear_1/bias",    1, 2, &[1],    F32),
    ("cross_attn.out.weight",   "attention/linear_2/weight",  0, 1, &[1, 1], Weight),
    ("cross_attn.out.bias",     "attention/linear_2/bias",    0, 1, &[1],    F32),
    ("cross_attn_ln.weight",    "attention/layer_norm/gamma", 0, 1, &[1],    F32),
    ("cross_attn_ln.bias",      "attention/layer_norm/beta",  0, 1, &[1],    F32),
];

impl<'a> Mapper<'a> {
    fn encoder(&mut self, d: &Dims) -> Result<(), ModelError> {
        let s = d.n_state;
        let pe = [d.n_audio_ctx, s];
        self.whole(
            "encoder/position_encodings/encodings",
            "encoder.positional_embedding",
            &pe,
            F32,
        )?;
        for (i, n_in) in [(1, d.n_mels), (2, s)] {
            let (ct, cpp) = (format!("encoder/conv{i}"), format!("encoder.conv{i}"));
            self.whole(
                &format!("{ct}/weight"),
                &format!("{cpp}.weight"),
                &[s, n_in, 3],
                Storage::Conv,
            )?;
            self.whole(&format!("{ct}/bias"), &format!("{cpp}.bias"), &[s], F32)?;
            // whisper.cpp declares the conv biases [n_state, 1], to broadcast over time.
            if let Some(bias) = self.tensors.last_mut() {
                bias.shape = vec![s, 1];
            }
        }
        for l in 0..d.n_audio_layer {
            let (ct, cpp) = (format!("encoder/layer_{l}"), format!("encoder.blocks.{l}"));
            for rules in [SELF_ATTENTION, MLP] {
                self.layer(rules, &ct, &cpp, s)?;
            }
        }
        self.whole(
            "encoder/layer_norm/gamma",
            "encoder.ln_post.weight",
            &[s],
            F32,
        )?;
        self.whole("encoder/layer_norm/beta", "encoder.ln_post.bias", &[s], F32)
    }

    fn decoder(&mut self, d: &Dims) -> Result<(), ModelError> {
        let s = d.n_state;
        let pe = [d.n_text_ctx, s];
        self.whole(
            "decoder/position_encodings/encodings",
            "decoder.positional_embedding",
            &pe,
            F32,
        )?;
        let te = [d.n_vocab, s];
        self.whole(
            "decoder/embeddings/weight",
            "decoder.token_embedding.weight",
            &te,
            Weight,
        )?;
        self.tied_projection()?;
        for l in 0..d.n_text_layer {
            let (ct, cpp) = (format!("decoder/layer_{l}"), format!("decoder.blocks.{l}"));
            for rules in [SELF_ATTENTION, CROSS_ATTENTION, MLP] {
                self.layer(rules, &ct, &cpp, s)?;
            }
        }
        self.whole("decoder/layer_norm/gamma", "decoder.ln.weight", &[s], F32)?;
        self.whole("decoder/layer_norm/beta", "decoder.ln.bias", &[s], F32)
    }

    /// The tensors of one layer, in OpenAI's order (attention, cross-attention, MLP).
    fn layer(&mut self, rules: &[Rule], ct: &str, cpp: &str, s: usize) -> Result<(), ModelError> {
        for &(cpp_name, ct_name, part, parts, units, storage) in rules {
            let shape: Vec<usize> = units.iter().map(|u| u * s).collect();
            self.rows(
                &format!("{ct}/{ct_name}"),
                &format!("{cpp}.{cpp_name}"),
                part,
                parts,
                &shape,
                storage,
            )?;
        }
        Ok(())
    }

    fn whole(
        &mut self,
        ct: &str,
        cpp: &str,
        shape: &[usize],
        storage: Storage,
    ) -> Result<(), ModelError> {
        self.rows(ct, cpp, 0, 1, shape, storage)
    }

    /// Part `part` of `parts` equal slices along the first dimension of `ct`, each of `shape`.
    fn rows(
        &mut self,
        ct: &str,
        cpp: &str,
        part: usize,
        parts: usize,
        shape: &[usize],
        storage: Storage,
    ) -> Result<(), ModelError> {
        let (stored, var) = self.take(ct)?;
        let mut expected = shape.to_vec();
        if let Some(first) = expected.first_mut() {
            *first *= parts;
        }
        if var.shape != expected {
            return Err(shape_error(stored, &var.shape, &format!("{expected:?}")));
        }
        let slice_bytes = var.data.len() / parts;
        let data = &var.data[part * slice_bytes..(part + 1) * slice_bytes];
        self.tensors.push(Tensor {
            name: cpp.to_owned(),
            shape: shape.to_vec(),
            storage,
            dtype: var.dtype,
            data,
        });
        Ok(())
    }

    fn take(&mut self, ct: &str) -> Result<(&'a str, &'a Variable), ModelError> {
        let model = self.model;
        let (stored, var) = model
            .entry(ct)
            .ok_or_else(|| ModelError::MissingVariable(ct.to_owned()))?;
        if !matches!(var.dtype, Dtype::F16 | Dtype::F32 | Dtype::Bf16) {
            return Err(ModelError::UnsupportedDtype {
                name: stored.to_owned(),
                dtype: var.dtype.name(),
            });
        }
        self.used.insert(stored);
        Ok((stored, var))
    }

    /// The output projection must be the token embedding: an alias of it, or an identical copy.
    fn tied_projection(&mut self) -> Result<(), ModelError> {
        let name = "decoder/projection/weight";
        let embedding = "decoder/embeddings/weight";
        if self.model.resolve(name) == embedding {
            return Ok(());
        }
        let (_, proj) = self.take(name)?;
        match self.model.get(embedding) {
            Some(e) if e.shape == proj.shape && e.dtype == proj.dtype && e.data == proj.data => {
                Ok(())
            }
            _ => Err(ModelError::UntiedProjection),
        }
    }

    /// Scalars are CTranslate2's settings (activation, head counts, flags); any tensor left over
    /// is a weight whisper.cpp would not get, so the result would be wrong.
    fn check_all_used(&self) -> Result<(), ModelError> {
        match self
            .model
            .variables()
            .find(|(n, v)| !v.shape.is_empty() && !self.used.contains(n))
        {
            Some((name, _)) => Err(ModelError::UnusedVariable {
                name: name.to_owned(),
            }),
            None => Ok(()),
        }
    }
}

fn get<'a>(model: &'a Ct2Model, name: &str) -> Result<&'a Variable, ModelError> {
    model
        .get(name)
        .ok_or_else(|| ModelError::MissingVariable(name.to_owned()))
}

fn shape_error(name: &str, got: &[usize], expected: &str) -> ModelError {
    ModelError::BadShape {
        name: name.to_owned(),
        got: got.to_vec(),
        expected: expected.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const S: usize = 4;
    const MELS: usize = 3;
    const VOCAB: usize = 5;

    /// f32 values `first, first + 1, ...`, so every row of a fused matrix is recognisable.
    fn var(shape: &[usize], first: f32) -> Variable {
        let n: usize = shape.iter().product();
        Variable {
            shape: shape.to_vec(),
            dtype: Dtype::F32,
            data: (0..n)
                .flat_map(|i| (first + i as f32).to_le_bytes())
                .collect(),
        }
    }

    /// A one-layer Whisper of width 4 in CTranslate2's naming.
    fn tiny_ct2() -> BTreeMap<String, Variable> {
        let mut v = BTreeMap::new();
        let mut put = |name: &str, shape: &[usize]| {
            v.insert(name.to_owned(), var(shape, 0.0));
        };
        put("encoder/position_encodings/encodings", &[6, S]);
        put("encoder/conv1/weight", &[S, MELS, 3]);
        put("encoder/conv1/bias", &[S]);
        put("encoder/conv2/weight", &[S, S, 3]);
        put("encoder/conv2/bias", &[S]);
        put("encoder/layer_norm/gamma", &[S]);
        put("encoder/layer_norm/beta", &[S]);
        put("decoder/position_encodings/encodings", &[7, S]);
        put("decoder/embeddings/weight", &[VOCAB, S]);
        put("decoder/layer_norm/gamma", &[S]);
        put("decoder/layer_norm/beta", &[S]);
        for side in ["encoder", "decoder"] {
            let l = format!("{side}/layer_0");
            put(&format!("{l}/self_attention/linear_0/weight"), &[3 * S, S]);
            put(&format!("{l}/self_attention/linear_0/bias"), &[3 * S]);
            put(&format!("{l}/self_attention/linear_1/weight"), &[S, S]);
            put(&format!("{l}/self_attention/linear_1/bias"), &[S]);
            put(&format!("{l}/ffn/linear_0/weight"), &[4 * S, S]);
            put(&format!("{l}/ffn/linear_0/bias"), &[4 * S]);
            put(&format!("{l}/ffn/linear_1/weight"), &[S, 4 * S]);
            put(&format!("{l}/ffn/linear_1/bias"), &[S]);
            for ln in ["self_attention", "ffn"] {
                put(&format!("{l}/{ln}/layer_norm/gamma"), &[S]);
                put(&format!("{l}/{ln}/layer_norm/beta"), &[S]);
            }
        }
        let l = "decoder/layer_0/attention";
        put(&format!("{l}/linear_0/weight"), &[S, S]);
        put(&format!("{l}/linear_0/bias"), &[S]);
        put(&format!("{l}/linear_1/weight"), &[2 * S, S]);
        put(&format!("{l}/linear_1/bias"), &[2 * S]);
        put(&format!("{l}/linear_2/weight"), &[S, S]);
        put(&format!("{l}/linear_2/bias"), &[S]);
        put(&format!("{l}/layer_norm/gamma"), &[S]);
        put(&format!("{l}/layer_norm/beta"), &[S]);
        for side in ["encoder", "decoder"] {
            v.insert(
                format!("{side}/num_heads"),
                Variable {
                    shape: vec![],
                    dtype: Dtype::I16,
                    data: 2i16.to_le_bytes().to_vec(),
                },
            );
        }
        v
    }

    fn aliases() -> BTreeMap<String, String> {
        BTreeMap::from([(
            "decoder/projection/weight".to_owned(),
            "decoder/embeddings/weight".to_owned(),
        )])
    }

    fn values(t: &Tensor) -> Vec<f32> {
        super::super::ct2::to_f32(t.dtype, t.data).expect("floats")
    }

    #[test]
    fn maps_every_tensor_whisper_cpp_loads() {
        let model = Ct2Model::new("WhisperSpec", tiny_ct2(), aliases());
        let c = whisper_cpp_tensors(&model, VOCAB).expect("maps");
        let h = c.hparams;
        assert_eq!(
            (
                h.n_vocab,
                h.n_audio_ctx,
                h.n_text_ctx,
                h.n_audio_state,
                h.n_mels
            ),
            (5, 6, 7, 4, 3)
        );
        assert_eq!(
            (
                h.n_audio_head,
                h.n_text_head,
                h.n_audio_layer,
                h.n_text_layer
            ),
            (2, 2, 1, 1)
        );
        // whisper.cpp's count: 11 global tensors, 15 an encoder layer, 24 a decoder layer.
        assert_eq!(c.tensors.len(), 11 + 15 + 24);
        let names: BTreeSet<&str> = c.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), c.tensors.len());
        assert!(!names.contains("encoder.blocks.0.attn.key.bias"));
        assert!(!names.contains("decoder.blocks.0.cross_attn.key.bias"));

        let by_name = |n: &str| c.tensors.iter().find(|t| t.name == n).expect(n);
        let key = by_name("decoder.blocks.0.attn.key.weight");
        assert_eq!(key.shape, vec![S, S]);
        assert_eq!(
            values(key)[0],
            (S * S) as f32,
            "second third of the fused rows"
        );
        let vbias = by_name("encoder.blocks.0.attn.value.bias");
        assert_eq!(values(vbias), vec![8.0, 9.0, 10.0, 11.0]);
        let cross_v = by_name("decoder.blocks.0.cross_attn.value.bias");
        assert_eq!(values(cross_v), vec![4.0, 5.0, 6.0, 7.0]);
        assert_eq!(by_name("encoder.conv1.bias").shape, vec![S, 1]);
        assert_eq!(by_name("encoder.conv2.weight").storage, Storage::Conv);
        assert_eq!(
            by_name("decoder.token_embedding.weight").storage,
            Storage::Weight
        );
        assert_eq!(
            by_name("decoder.positional_embedding").storage,
            Storage::F32
        );
        assert_eq!(
            by_name("decoder.blocks.0.cross_attn_ln.weight").storage,
            Storage::F32
        );
    }

    #[test]
    fn refuses_what_it_would_get_wrong() {
        let mut extra = tiny_ct2();
        extra.insert("encoder/mystery/weight".into(), var(&[S], 0.0));
        let model = Ct2Model::new("WhisperSpec", extra, aliases());
        assert!(matches!(
            whisper_cpp_tensors(&model, VOCAB),
            Err(ModelError::UnusedVariable { .. })
        ));

        let mut untied = tiny_ct2();
        untied.insert("decoder/projection/weight".into(), var(&[VOCAB, S], 1.0));
        let model = Ct2Model::new("WhisperSpec", untied, BTreeMap::new());
        assert!(matches!(
            whisper_cpp_tensors(&model, VOCAB),
            Err(ModelError::UntiedProjection)
        ));

        let model = Ct2Model::new("WhisperSpec", tiny_ct2(), aliases());
        assert!(matches!(
            whisper_cpp_tensors(&model, VOCAB + 1),
            Err(ModelError::VocabularySize { .. })
        ));

        let mut missing = tiny_ct2();
        missing.remove("decoder/layer_0/attention/linear_1/bias");
        let model = Ct2Model::new("WhisperSpec", missing, aliases());
        assert!(matches!(
            whisper_cpp_tensors(&model, VOCAB),
            Err(ModelError::MissingVariable(_))
        ));

        let model = Ct2Model::new("TransformerSpec", tiny_ct2(), aliases());
        assert!(matches!(
            whisper_cpp_tensors(&model, VOCAB),
            Err(ModelError::NotWhisper(_))
        ));
    }
}
