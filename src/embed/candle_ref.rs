//! The peer `warmline bench embed` measures the encoder against: the same model on
//! candle-transformers' `BertModel` (candle's CPU backend, padded batches), mean-pooled and
//! normalised the same way. Not used by the gateway.

use super::{package, EmbedError};
use crate::analysis::semantic::{EmbedFailure, Embedder, Embedding};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use tokenizers::Tokenizer;

/// Word pieces read per text: the same limit as the encoder's.
const MAX_TOKENS: usize = super::minilm::MAX_TOKENS;

pub struct CandleMiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    id: String,
}

impl CandleMiniLm {
    /// Loads the verified model folder (`package::fetch` makes it).
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        package::verify(dir)?;
        let config: Config = serde_json::from_slice(&package::read(dir, "config.json")?)
            .map_err(EmbedError::Config)?;
        let tokenizer = package::tokenizer(dir, MAX_TOKENS)?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(
            package::read(dir, "model.safetensors")?,
            DType::F32,
            &device,
        )
        .map_err(EmbedError::Model)?;
        let model = BertModel::load(vb, &config).map_err(EmbedError::Model)?;
        Ok(Self {
            model,
            tokenizer,
            device,
            id: package::model_id(),
        })
    }

    fn run(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(EmbedError::Tokenizer)?;
        let width = encodings.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0u32; texts.len() * width];
        let mut mask = vec![0u32; texts.len() * width];
        for (row, enc) in encodings.iter().enumerate() {
            for (col, id) in enc.get_ids().iter().take(width).enumerate() {
                ids[row * width + col] = *id;
                mask[row * width + col] = 1;
            }
        }
        let shape = (texts.len(), width);
        let m = EmbedError::Model;
        let ids = Tensor::from_vec(ids, shape, &self.device).map_err(m)?;
        let mask = Tensor::from_vec(mask, shape, &self.device).map_err(m)?;
        let types = ids.zeros_like().map_err(m)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(m)?;
        // Mean over the real tokens only (padding is masked out of numerator and denominator).
        let weights = mask
            .to_dtype(DType::F32)
            .map_err(m)?
            .unsqueeze(2)
            .map_err(m)?;
        let summed = hidden
            .broadcast_mul(&weights)
            .map_err(m)?
            .sum(1)
            .map_err(m)?;
        let counts = weights.sum(1).map_err(m)?;
        let mean = summed.broadcast_div(&counts).map_err(m)?;
        let rows: Vec<Vec<f32>> = mean.to_vec2().map_err(m)?;
        Ok(rows.into_iter().map(Embedding::normalized).collect())
    }
}

impl Embedder for CandleMiniLm {
    fn id(&self) -> &str {
        &self.id
    }

    fn embed(&self, text: &str) -> Result<Embedding, EmbedFailure> {
        self.run(&[text])
            .map_err(EmbedFailure::new)?
            .pop()
            .ok_or_else(|| EmbedFailure::new(EmbedError::Empty))
    }

    fn embed_all(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedFailure> {
        // Batches of similar length waste little on padding; 32 keeps memory small.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out: Vec<Option<Embedding>> = vec![None; texts.len()];
        for chunk in order.chunks(32) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            let vectors = self.run(&batch).map_err(EmbedFailure::new)?;
            for (&i, v) in chunk.iter().zip(vectors) {
                out[i] = Some(v);
            }
        }
        out.into_iter()
            .map(|v| v.ok_or_else(|| EmbedFailure::new(EmbedError::Empty)))
            .collect()
    }
}
