//! The BERT encoder of all-MiniLM-L6-v2, forward pass only, over *packed* sequences.
//!
//! Every text of a call is laid end to end in one `tokens x hidden` matrix: the dense layers (nine
//! tenths of the work) see one matrix and stream each weight once per call, whatever the number of
//! texts, and nothing is spent on padding. Only attention is per text (a text's tokens attend to
//! that text's tokens). A customer turn (the message and its sentences) is one pass.
//!
//! Contract: `Encoder::load` checks every tensor's name, type and shape against `config.json`, so a
//! malformed model is an error at start, never a panic; `encode` takes token ids the tokenizer
//! made (ids below the vocabulary size, at most `max_positions` per text) and returns each text's
//! mean-pooled, *not yet normalised* hidden state. Matches Hugging Face's `BertModel` (erf GELU,
//! post-layer-norm) to float rounding: `tests/it/intelligence.rs` checks it against an independent
//! numpy forward pass.

use super::EmbedError;
use gemm::Parallelism;
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

/// The fields of the model's `config.json` the encoder reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Dims {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
}

fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}
fn default_act() -> String {
    "gelu".into()
}

/// `x · Wᵀ + b` with `W` as PyTorch stores it (`out x in`, row-major).
struct Linear {
    w: Vec<f32>,
    b: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

struct Norm {
    gain: Vec<f32>,
    bias: Vec<f32>,
}

struct Layer {
    /// Query, key and value stacked: one matrix product for all three.
    qkv: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    up: Linear,
    down: Linear,
    out_norm: Norm,
}

pub struct Encoder {
    dims: Dims,
    eps: f32,
    words: Vec<f32>,
    positions: Vec<f32>,
    /// Token type 0 (single-segment input).
    segment: Vec<f32>,
    embed_norm: Norm,
    layers: Vec<Layer>,
    parallelism: Parallelism,
}

/// The tensors of one safetensors file, looked up with or without the `bert.` prefix some exports
/// carry.
struct Weights<'a>(SafeTensors<'a>);

impl Weights<'_> {
    fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EmbedError> {
        let view = self
            .0
            .tensor(name)
            .or_else(|_| self.0.tensor(&format!("bert.{name}")))
            .map_err(|_| bad(format!("tensor {name} missing")))?;
        if view.dtype() != Dtype::F32 || view.shape() != shape {
            return Err(bad(format!(
                "tensor {name} is {:?} {:?}, expected F32 {shape:?}",
                view.dtype(),
                view.shape()
            )));
        }
        Ok(view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    fn linear(&self, name: &str, inputs: usize, outputs: usize) -> Result<Linear, EmbedError> {
        Ok(Linear {
            w: self.get(&format!("{name}.weight"), &[outputs, inputs])?,
            b: self.get(&format!("{name}.bias"), &[outputs])?,
            inputs,
            outputs,
        })
    }

    fn norm(&self, name: &str, width: usize) -> Result<Norm, EmbedError> {
        // Older exports name the parameters gamma and beta.
        let gain = self
            .get(&format!("{name}.weight"), &[width])
            .or_else(|_| self.get(&format!("{name}.gamma"), &[width]))?;
        let bias = self
            .get(&format!("{name}.bias"), &[width])
            .or_else(|_| self.get(&format!("{name}.beta"), &[width]))?;
        Ok(Norm { gain, bias })
    }
}

fn bad(what: String) -> EmbedError {
    EmbedError::Weights(what)
}

impl Encoder {
    /// Builds the encoder from `config.json`'s dimensions and the `model.safetensors` bytes.
    pub fn load(dims: Dims, safetensors: &[u8]) -> Result<Self, EmbedError> {
        let h = dims.hidden_size;
        let heads = dims.num_attention_heads;
        if h == 0 || heads == 0 || !h.is_multiple_of(heads) {
            return Err(bad(format!(
                "hidden size {h} not divisible into {heads} heads"
            )));
        }
        if dims.hidden_act != "gelu" {
            return Err(bad(format!("activation {} not supported", dims.hidden_act)));
        }
        let st = SafeTensors::deserialize(safetensors)
            .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
        let w = Weights(st);
        let e = "embeddings";
        let words = w.get(
            &format!("{e}.word_embeddings.weight"),
            &[dims.vocab_size, h],
        )?;
        let positions = w.get(
            &format!("{e}.position_embeddings.weight"),
            &[dims.max_position_embeddings, h],
        )?;
        let mut segment = w.get(
            &format!("{e}.token_type_embeddings.weight"),
            &[dims.type_vocab_size, h],
        )?;
        segment.truncate(h);
        let embed_norm = w.norm(&format!("{e}.LayerNorm"), h)?;
        let mut layers = Vec::with_capacity(dims.num_hidden_layers);
        for i in 0..dims.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let q = w.linear(&format!("{p}.attention.self.query"), h, h)?;
            let k = w.linear(&format!("{p}.attention.self.key"), h, h)?;
            let v = w.linear(&format!("{p}.attention.self.value"), h, h)?;
            let qkv = Linear {
                w: [q.w, k.w, v.w].concat(),
                b: [q.b, k.b, v.b].concat(),
                inputs: h,
                outputs: 3 * h,
            };
            layers.push(Layer {
                qkv,
                attn_out: w.linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: w.norm(&format!("{p}.attention.output.LayerNorm"), h)?,
                up: w.linear(
                    &format!("{p}.intermediate.dense"),
                    h,
                    dims.intermediate_size,
                )?,
                down: w.linear(&format!("{p}.output.dense"), dims.intermediate_size, h)?,
                out_norm: w.norm(&format!("{p}.output.LayerNorm"), h)?,
            });
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            eps: dims.layer_norm_eps as f32,
            dims,
            words,
            positions,
            segment,
            embed_norm,
            layers,
            parallelism: if threads > 1 {
                Parallelism::Rayon(threads)
            } else {
                Parallelism::None
            },
        })
    }

    /// Each text's token ids in, each text's mean hidden state out (same order). Ids at or above
    /// the vocabulary size and texts longer than the position table are errors, not panics.
    pub fn encode(&self, texts: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let (x, spans) = self.forward(texts)?;
        Ok(spans
            .iter()
            .map(|&(start, len)| self.mean(&x, start..start + len))
            .collect())
    }

    /// One text's token ids in; the mean hidden state of each token range in `pools` out (ranges
    /// past the end are cut to it). Late chunking: each part of a text read in its context.
    pub fn encode_pooled(
        &self,
        ids: &[u32],
        pools: &[std::ops::Range<usize>],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let (x, _) = self.forward(&[ids])?;
        Ok(pools
            .iter()
            .map(|r| {
                let end = r.end.min(ids.len());
                self.mean(&x, r.start.min(end)..end)
            })
            .collect())
    }

    /// Mean of rows `rows` of the hidden states (zeros for an empty range).
    fn mean(&self, x: &[f32], rows: std::ops::Range<usize>) -> Vec<f32> {
        let h = self.dims.hidden_size;
        let mut mean = vec![0f32; h];
        let n = rows.len().max(1) as f32;
        for row in x[rows.start * h..rows.end * h].chunks_exact(h) {
            mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= n);
        mean
    }

    /// The final hidden states of all texts, packed (`tokens x hidden`), and where each text is.
    #[allow(clippy::type_complexity)]
    fn forward(&self, texts: &[&[u32]]) -> Result<(Vec<f32>, Vec<(usize, usize)>), EmbedError> {
        let h = self.dims.hidden_size;
        let mut spans = Vec::with_capacity(texts.len());
        let mut total = 0usize;
        for ids in texts {
            if ids.len() > self.dims.max_position_embeddings {
                return Err(bad(format!(
                    "{} tokens exceed the position table",
                    ids.len()
                )));
            }
            if let Some(id) = ids.iter().find(|&&id| id as usize >= self.dims.vocab_size) {
                return Err(bad(format!("token id {id} outside the vocabulary")));
            }
            spans.push((total, ids.len()));
            total += ids.len();
        }
        if total == 0 {
            return Ok((Vec::new(), spans));
        }
        let mut x = vec![0f32; total * h];
        for (ids, &(start, _)) in texts.iter().zip(&spans) {
            for (pos, &id) in ids.iter().enumerate() {
                let row = &mut x[(start + pos) * h..(start + pos + 1) * h];
                let word = &self.words[id as usize * h..(id as usize + 1) * h];
                let place = &self.positions[pos * h..(pos + 1) * h];
                for (((o, a), b), c) in row.iter_mut().zip(word).zip(place).zip(&self.segment) {
                    *o = a + b + c;
                }
            }
        }
        layer_norm(&mut x, &self.embed_norm, self.eps);

        let mut qkv = Vec::new();
        let mut context = vec![0f32; total * h];
        let mut projected = Vec::new();
        let mut wide = Vec::new();
        let mut scores = Vec::new();
        for layer in &self.layers {
            self.linear(&x, total, &layer.qkv, &mut qkv);
            self.attention(&qkv, &spans, &mut context, &mut scores);
            self.linear(&context, total, &layer.attn_out, &mut projected);
            add_into(&mut x, &projected);
            layer_norm(&mut x, &layer.attn_norm, self.eps);
            self.linear(&x, total, &layer.up, &mut wide);
            wide.iter_mut().for_each(|v| *v = gelu(*v));
            self.linear(&wide, total, &layer.down, &mut projected);
            add_into(&mut x, &projected);
            layer_norm(&mut x, &layer.out_norm, self.eps);
        }
        Ok((x, spans))
    }

    /// `out = x · Wᵀ + b` for `rows` rows of `x`.
    fn linear(&self, x: &[f32], rows: usize, l: &Linear, out: &mut Vec<f32>) {
        // The invariant the unsafe call below rests on; checked in release builds too (the cost
        // is one comparison per product).
        assert_eq!(x.len(), rows * l.inputs, "encoder: activation shape");
        out.clear();
        out.reserve(rows * l.outputs);
        for _ in 0..rows {
            out.extend_from_slice(&l.b);
        }
        // SAFETY: `x` is rows x inputs and `out` rows x outputs, both row-major and exactly that
        // long (checked above and built just now); `l.w` is outputs x inputs row-major, read as
        // its transpose (inputs x outputs) through the strides. gemm reads and writes only inside
        // those extents.
        unsafe {
            gemm::gemm(
                rows,
                l.outputs,
                l.inputs,
                out.as_mut_ptr(),
                1,
                l.outputs as isize,
                true,
                x.as_ptr(),
                1,
                l.inputs as isize,
                l.w.as_ptr(),
                l.inputs as isize,
                1,
                1.0,
                1.0,
                false,
                false,
                false,
                self.parallelism,
            );
        }
    }

    /// Scaled dot-product attention of each text over its own tokens, every head, into `context`.
    fn attention(
        &self,
        qkv: &[f32],
        spans: &[(usize, usize)],
        context: &mut [f32],
        scores: &mut Vec<f32>,
    ) {
        let h = self.dims.hidden_size;
        let heads = self.dims.num_attention_heads;
        let d = h / heads;
        let scale = 1.0 / (d as f32).sqrt();
        let row = |t: usize| &qkv[t * 3 * h..(t + 1) * 3 * h];
        for &(start, len) in spans {
            scores.resize(len, 0.0);
            for head in 0..heads {
                let (qo, ko, vo) = (head * d, h + head * d, 2 * h + head * d);
                for i in 0..len {
                    let q = &row(start + i)[qo..qo + d];
                    let mut max = f32::NEG_INFINITY;
                    for (j, s) in scores.iter_mut().enumerate() {
                        let k = &row(start + j)[ko..ko + d];
                        *s = dot(q, k) * scale;
                        max = max.max(*s);
                    }
                    let mut sum = 0.0;
                    for s in scores.iter_mut() {
                        *s = (*s - max).exp();
                        sum += *s;
                    }
                    let out = &mut context[(start + i) * h + qo..(start + i) * h + qo + d];
                    out.fill(0.0);
                    for (j, s) in scores.iter().enumerate() {
                        let p = s / sum;
                        let v = &row(start + j)[vo..vo + d];
                        out.iter_mut().zip(v).for_each(|(o, v)| *o += p * v);
                    }
                }
            }
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn add_into(x: &mut [f32], y: &[f32]) {
    x.iter_mut().zip(y).for_each(|(a, b)| *a += b);
}

fn layer_norm(x: &mut [f32], n: &Norm, eps: f32) {
    let width = n.gain.len();
    for row in x.chunks_exact_mut(width) {
        let mean = row.iter().sum::<f32>() / width as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(&n.gain).zip(&n.bias) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// BERT's exact GELU, `x · Φ(x)`, with `erf` to within 1e-6 (f32 rounding). It runs on every
/// element of the widest activation (a tenth of a message's embedding time with a library
/// `erff`), so it is written as plain arithmetic the compiler vectorises: no calls, no branches.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// Abramowitz and Stegun 7.1.26 (1.5e-7 in exact arithmetic; below 1e-6 in f32).
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = ((((1.061_405_4 * t - 1.453_152_1) * t + 1.421_413_8) * t - 0.284_496_74) * t
        + 0.254_829_6)
        * t;
    (1.0 - poly * exp_non_positive(-a * a)).copysign(x)
}

/// `e^x` for `x <= 0`: `2^n · e^r` with `|r| <= ln2/2` and a degree-6 Taylor polynomial for
/// `e^r` (relative error below 2e-7); inputs below -87 give the smallest normal float's order.
fn exp_non_positive(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.max(-87.0);
    // Round to nearest for x <= 0 (truncation toward zero of y - 0.5).
    let n = (x * std::f32::consts::LOG2_E - 0.5) as i32;
    let r = x - n as f32 * LN2_HI - n as f32 * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n + 127) as u32) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_and_exp_match_the_library_functions() {
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            assert!(
                (erf(x) - libm::erff(x)).abs() < 1e-6,
                "erf({x}): {} vs {}",
                erf(x),
                libm::erff(x)
            );
        }
        for i in 0..=8700 {
            let x = -(i as f32) / 100.0;
            let want = x.exp();
            assert!(
                (exp_non_positive(x) - want).abs() <= 3e-7 * want,
                "exp({x}) = {} vs {want}",
                exp_non_positive(x)
            );
        }
        assert!(exp_non_positive(-1000.0) < 1e-37);
    }

    #[test]
    fn gelu_matches_known_values() {
        // Φ(1) = 0.841345, Φ(-1) = 0.158655.
        assert!((gelu(1.0) - 0.841_345).abs() < 1e-5);
        assert!((gelu(-1.0) + 0.158_655).abs() < 1e-5);
        assert_eq!(gelu(0.0), 0.0);
    }

    #[test]
    fn layer_norm_centres_and_scales() {
        let n = Norm {
            gain: vec![1.0; 4],
            bias: vec![0.0; 4],
        };
        let mut x = vec![1.0, 2.0, 3.0, 4.0];
        layer_norm(&mut x, &n, 1e-12);
        let mean: f32 = x.iter().sum::<f32>() / 4.0;
        let var: f32 = x.iter().map(|v| v * v).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-4);
    }

    /// A tiny BERT with deterministic pseudo-random weights, as safetensors bytes.
    fn tiny_model() -> (Dims, Vec<u8>) {
        let dims: Dims = serde_json::from_str(
            r#"{"vocab_size":30,"hidden_size":8,"num_hidden_layers":2,"num_attention_heads":2,
                "intermediate_size":16,"max_position_embeddings":12}"#,
        )
        .expect("dims");
        let mut seed = 0x2545_f491_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            ((seed % 2000) as f32 / 1000.0 - 1.0) * 0.5
        };
        let (h, i) = (8, 16);
        let mut shapes: Vec<(String, Vec<usize>)> = vec![
            ("embeddings.word_embeddings.weight".into(), vec![30, h]),
            ("embeddings.position_embeddings.weight".into(), vec![12, h]),
            ("embeddings.token_type_embeddings.weight".into(), vec![2, h]),
            ("embeddings.LayerNorm.weight".into(), vec![h]),
            ("embeddings.LayerNorm.bias".into(), vec![h]),
        ];
        for l in 0..2 {
            let p = format!("encoder.layer.{l}");
            for (name, out, inp) in [
                ("attention.self.query", h, h),
                ("attention.self.key", h, h),
                ("attention.self.value", h, h),
                ("attention.output.dense", h, h),
                ("intermediate.dense", i, h),
                ("output.dense", h, i),
            ] {
                shapes.push((format!("{p}.{name}.weight"), vec![out, inp]));
                shapes.push((format!("{p}.{name}.bias"), vec![out]));
            }
            for name in ["attention.output.LayerNorm", "output.LayerNorm"] {
                shapes.push((format!("{p}.{name}.weight"), vec![h]));
                shapes.push((format!("{p}.{name}.bias"), vec![h]));
            }
        }
        let data: Vec<(String, Vec<usize>, Vec<u8>)> = shapes
            .into_iter()
            .map(|(name, shape)| {
                let n: usize = shape.iter().product();
                let bytes = (0..n).flat_map(|_| next().to_le_bytes()).collect();
                (name, shape, bytes)
            })
            .collect();
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = data
            .iter()
            .map(|(name, shape, bytes)| {
                let view = safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes)
                    .expect("view");
                (name.clone(), view)
            })
            .collect();
        (
            dims,
            safetensors::serialize(views, None).expect("serialize"),
        )
    }

    #[test]
    fn texts_packed_together_read_as_if_each_were_alone() {
        let (dims, bytes) = tiny_model();
        let enc = Encoder::load(dims, &bytes).expect("load");
        let texts: [&[u32]; 3] = [&[1, 5, 9, 2], &[1, 7, 2], &[1, 3, 4, 8, 29, 11, 2]];
        let packed = enc.encode(&texts).expect("packed");
        for (t, p) in texts.iter().zip(&packed) {
            let alone = enc.encode(&[t]).expect("alone");
            for (a, b) in alone[0].iter().zip(p) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
        }
        // Different texts give different vectors (the pass is not degenerate).
        assert!(packed[0]
            .iter()
            .zip(&packed[2])
            .any(|(a, b)| (a - b).abs() > 1e-3));
    }

    #[test]
    fn pooling_the_whole_range_is_the_text_vector() {
        let (dims, bytes) = tiny_model();
        let enc = Encoder::load(dims, &bytes).expect("load");
        let ids: &[u32] = &[1, 5, 9, 14, 7, 2];
        let whole = enc.encode(&[ids]).expect("encode");
        let pooled = enc.encode_pooled(ids, &[0..6, 1..3, 3..9]).expect("pooled");
        for (a, b) in whole[0].iter().zip(&pooled[0]) {
            assert!((a - b).abs() < 1e-6);
        }
        // A part read in context differs from the same tokens read alone.
        let alone = enc.encode(&[&ids[1..3]]).expect("alone");
        assert!(alone[0]
            .iter()
            .zip(&pooled[1])
            .any(|(a, b)| (a - b).abs() > 1e-3));
        assert_eq!(
            pooled[2].len(),
            8,
            "a range past the end is cut, not a panic"
        );
    }

    #[test]
    fn ids_outside_the_model_are_errors() {
        let (dims, bytes) = tiny_model();
        let enc = Encoder::load(dims, &bytes).expect("load");
        assert!(
            enc.encode(&[&[1, 30, 2]]).is_err(),
            "id past the vocabulary"
        );
        assert!(
            enc.encode(&[&[1; 13]]).is_err(),
            "longer than the position table"
        );
        assert_eq!(enc.encode(&[&[]]).expect("empty"), vec![vec![0.0; 8]]);
    }

    #[test]
    fn a_malformed_file_is_an_error_not_a_panic() {
        let dims: Dims = serde_json::from_str(
            r#"{"vocab_size":10,"hidden_size":4,"num_hidden_layers":1,"num_attention_heads":2,
                "intermediate_size":8,"max_position_embeddings":8}"#,
        )
        .expect("dims");
        assert!(Encoder::load(dims.clone(), b"not safetensors").is_err());
        let odd = Dims {
            num_attention_heads: 3,
            ..dims
        };
        assert!(Encoder::load(odd, b"").is_err());
    }
}
