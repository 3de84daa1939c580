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
            other => return Err(shape_error(conv1, other, &format!("[{n_audio_state}, n_mels, 3]"))),
        };
        let layers = |side: &str| {
            (0..)
                .take_while(|i| model.get(&format!("{side}/layer_{i}/ffn/linear_0/weight")).is_some())
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
            if n == 0 || n_audio_state % n != 0 {
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

impl<'a> Mapper<'a> {
    fn encoder(&mut self, d: &Dims) -> Result<(), ModelError> {
        let s = d.n_state;
        self.whole("encoder/position_encodings/encodings", "encoder.positional_embedding", &[d.n_audio_ctx, s], Storage::F32)?;
        for (i, n_in) in [(1, d.n_mels), (2, s)] {
            self.whole(&format!("encoder/conv{i}/weight"), &format!("encoder.conv{i}.weight"), &[s, n_in, 3], Storage::Conv)?;
            self.reshaped(&format!("encoder/conv{i}/bias"), &format!("encoder.conv{i}.bias"), &[s], &[s, 1])?;
        }
        for l in 0..d.n_audio_layer {
            let ct = format!("encoder/layer_{l}");
            let cpp = format!("encoder.blocks.{l}");
            self.fused_attention(&format!("{ct}/self_attention"), &format!("{cpp}.attn"), s)?;
            self.linear(&format!("{ct}/self_attention/linear_1"), &format!("{cpp}.attn.out"), s, s)?;
            self.layer_norm(&format!("{ct}/self_attention/layer_norm"), &format!("{cpp}.attn_ln"), s)?;
            self.mlp(&ct, &cpp, s)?;
        }
        self.layer_norm("encoder/layer_norm", "encoder.ln_post", s)
    }

    fn decoder(&mut self, d: &Dims) -> Result<(), ModelError> {
        let s = d.n_state;
        self.whole("decoder/position_encodings/encodings", "decoder.positional_embedding", &[d.n_text_ctx, s], Storage::F32)?;
        self.whole("decoder/embeddings/weight", "decoder.token_embedding.weight", &[d.n_vocab, s], Storage::Weight)?;
        self.tied_projection()?;
        for l in 0..d.n_text_layer {
            let ct = format!("decoder/layer_{l}");
            let cpp = format!("decoder.blocks.{l}");
            self.fused_attention(&format!("{ct}/self_attention"), &format!("{cpp}.attn"), s)?;
            self.linear(&format!("{ct}/self_attention/linear_1"), &format!("{cpp}.attn.out"), s, s)?;
            self.layer_norm(&format!("{ct}/self_attention/layer_norm"), &format!("{cpp}.attn_ln"), s)?;

            let cross = format!("{ct}/attention");
            self.linear(&format!("{cross}/linear_0"), &format!("{cpp}.cross_attn.query"), s, s)?;
            let kv = format!("{cross}/linear_1");
            self.rows(&format!("{kv}/weight"), &format!("{cpp}.cross_attn.key.weight"), 0, 2, &[s, s], Storage::Weight)?;
            self.rows(&format!("{kv}/weight"), &format!("{cpp}.cross_attn.value.weight"), 1, 2, &[s, s], Storage::Weight)?;
            self.rows(&format!("{kv}/bias"), &format!("{cpp}.cross_attn.value.bias"), 1, 2, &[s], Storage::F32)?;
            self.linear(&format!("{cross}/linear_2"), &format!("{cpp}.cross_attn.out"), s, s)?;
            self.layer_norm(&format!("{cross}/layer_norm"), &format!("{cpp}.cross_attn_ln"), s)?;

            self.mlp(&ct, &cpp, s)?;
        }
        self.layer_norm("decoder/layer_norm", "decoder.ln", s)
    }

    /// Q, K, V from the fused self-attention projection; K's bias slice is dropped (see the module
    /// documentation for why that is exact).
    fn fused_attention(&mut self, ct: &str, cpp: &str, s: usize) -> Result<(), ModelError> {
        let w = format!("{ct}/linear_0/weight");
        let b = format!("{ct}/linear_0/bias");
        for (part, proj) in ["query", "key", "value"].iter().enumerate() {
            self.rows(&w, &format!("{cpp}.{proj}.weight"), part, 3, &[s, s], Storage::Weight)?;
            if *proj != "key" {
                self.rows(&b, &format!("{cpp}.{proj}.bias"), part, 3, &[s], Storage::F32)?;
            }
        }
        Ok(())
    }

    fn mlp(&mut self, ct: &str, cpp: &str, s: usize) -> Result<(), ModelError> {
        self.linear(&format!("{ct}/ffn/linear_0"), &format!("{cpp}.mlp.0"), 4 * s, s)?;
        self.linear(&format!("{ct}/ffn/linear_1"), &format!("{cpp}.mlp.2"), s, 4 * s)?;
        self.layer_norm(&format!("{ct}/ffn/layer_norm"), &format!("{cpp}.mlp_ln"), s)
    }

    fn linear(&mut self, ct: &str, cpp: &str, out: usize, inp: usize) -> Result<(), ModelError> {
        self.whole(&format!("{ct}/weight"), &format!("{cpp}.weight"), &[out, inp], Storage::Weight)?;
        self.whole(&format!("{ct}/bias"), &format!("{cpp}.bias"), &[out], Storage::F32)
    }

    fn layer_norm(&mut self, ct: &str, cpp: &str, s: usize) -> Result<(), ModelError> {
        self.whole(&format!("{ct}/gamma"), &format!("{cpp}.weight"), &[s], Storage::F32)?;
        self.whole(&format!("{ct}/beta"), &format!("{cpp}.bias"), &[s], Storage::F32)
    }

    fn whole(&mut self, ct: &str, cpp: &str, shape: &[usize], storage: Storage) -> Result<(), ModelError> {
        self.rows(ct, cpp, 0, 1, shape, storage)
    }

    fn reshaped(&mut self, ct: &str, cpp: &str, shape: &[usize], to: &[usize]) -> Result<(), ModelError> {
        self.whole(ct, cpp, shape, Storage::F32)?;
        if let Some(t) = self.tensors.last_mut() {
            t.shape = to.to_vec();
        }
        Ok(())
    }

    /// Part `part` of `parts` equal slices along the first dimension of `ct`, each of `shape`.
    fn rows(&mut self, ct: &str, cpp: &str, part: usize, parts: usize, shape: &[usize], storage: Storage) -> Result<(), ModelError> {
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
            Some(e) if e.shape == proj.shape && e.dtype == proj.dtype && e.data == proj.data => Ok(()),
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
            data: (0..n).flat_map(|i| (first + i as f32).to_le_bytes()).collect(),
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
            (h.n_vocab, h.n_audio_ctx, h.n_text_ctx, h.n_audio_state, h.n_mels),
            (5, 6, 7, 4, 3)
        );
        assert_eq!((h.n_audio_head, h.n_text_head, h.n_audio_layer, h.n_text_layer), (2, 2, 1, 1));
        // whisper.cpp's count: 11 global tensors, 15 an encoder layer, 24 a decoder layer.
        assert_eq!(c.tensors.len(), 11 + 15 + 24);
        let names: BTreeSet<&str> = c.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), c.tensors.len());
        assert!(!names.contains("encoder.blocks.0.attn.key.bias"));
        assert!(!names.contains("decoder.blocks.0.cross_attn.key.bias"));

        let by_name = |n: &str| c.tensors.iter().find(|t| t.name == n).expect(n);
        let key = by_name("decoder.blocks.0.attn.key.weight");
        assert_eq!(key.shape, vec![S, S]);
        assert_eq!(values(key)[0], (S * S) as f32, "second third of the fused rows");
        let vbias = by_name("encoder.blocks.0.attn.value.bias");
        assert_eq!(values(vbias), vec![8.0, 9.0, 10.0, 11.0]);
        let cross_v = by_name("decoder.blocks.0.cross_attn.value.bias");
        assert_eq!(values(cross_v), vec![4.0, 5.0, 6.0, 7.0]);
        assert_eq!(by_name("encoder.conv1.bias").shape, vec![S, 1]);
        assert_eq!(by_name("encoder.conv2.weight").storage, Storage::Conv);
        assert_eq!(by_name("decoder.token_embedding.weight").storage, Storage::Weight);
        assert_eq!(by_name("decoder.positional_embedding").storage, Storage::F32);
        assert_eq!(by_name("decoder.blocks.0.cross_attn_ln.weight").storage, Storage::F32);
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
