//! `warmline bench embed`: what the semantic layer costs per customer message. Every customer
//! message of the evaluation set (`tests/quality/`) is embedded the way the analysis does it
//! (sentence by sentence in one batch, `analysis::semantic::embed_message`) by the model itself,
//! with no memo, first one at a time and then from two threads at once (the machine's two cores
//! busy, as under load). Reports p50/p99/max per message and the word pieces read.
//!
//! The peer, in the same run: the same model on candle's `BertModel` (padded batches), the
//! implementation the encoder replaced; the vectors of the two are compared as well.

use super::chat::BenchError;
use super::machine;
use super::quality::spec::EvalSet;
use crate::analysis::semantic::{embed_message, Embedder};
use crate::embed::{candle_ref::CandleMiniLm, package, MiniLm};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone, clap::Args)]
pub struct EmbedBenchArgs {
    /// The model folder (default: the cache's, where `models/fetch.sh` puts it).
    #[arg(long, value_name = "DIR")]
    pub model: Option<std::path::PathBuf>,
    /// Passes over the messages (the first is a warm-up and not counted).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EmbedBenchResult {
    pub machine: String,
    pub messages: usize,
    pub words_p50: usize,
    pub one_thread_p50_ms: f64,
    pub one_thread_p99_ms: f64,
    pub one_thread_max_ms: f64,
    pub two_threads_p50_ms: f64,
    pub two_threads_p99_ms: f64,
    /// The same messages through candle's BERT, one at a time.
    pub candle_p50_ms: f64,
    pub candle_p99_ms: f64,
    /// The lowest cosine between the two implementations' vectors over all messages.
    pub min_cosine_vs_candle: f32,
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(((sorted.len() - 1) as f64) * q).round() as usize]
}

fn time_all(model: &dyn Embedder, texts: &[String]) -> Vec<f64> {
    texts
        .iter()
        .map(|t| {
            let started = Instant::now();
            let _ = embed_message(model, t);
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

pub fn run(args: EmbedBenchArgs) -> Result<(), BenchError> {
    let fail = |e: &dyn std::fmt::Display| BenchError::Failed(e.to_string());
    let dir = args.model.clone().unwrap_or_else(|| {
        crate::pypi::cache_dir()
            .join("models")
            .join(package::MODEL_DIR)
    });
    let model = Arc::new(MiniLm::load(&dir).map_err(|e| fail(&e))?);
    let set = EvalSet::embedded().map_err(|e| fail(&e))?;
    let texts: Vec<String> = set
        .conversations
        .iter()
        .flat_map(|(_, _, c)| c.turns.iter().map(|t| t.say.clone()))
        .chain(set.questions.iter().map(|(_, q)| q.ask.clone()))
        .collect();
    let mut words: Vec<usize> = texts.iter().map(|t| t.split_whitespace().count()).collect();
    words.sort_unstable();
    let candle = CandleMiniLm::load(&dir).map_err(|e| fail(&e))?;
    time_all(&*model, &texts); // warm-up
    time_all(&candle, &texts);
    let mut one = Vec::new();
    let mut peer = Vec::new();
    // Alternating rounds, so both see the same machine.
    for _ in 1..args.rounds.max(2) {
        one.extend(time_all(&*model, &texts));
        peer.extend(time_all(&candle, &texts));
    }
    let mut min_cosine = 1.0f32;
    for t in &texts {
        if let (Ok(a), Ok(b)) = (model.embed(t), candle.embed(t)) {
            min_cosine = min_cosine.min(a.cosine(&b));
        }
    }
    let mut two = Vec::new();
    for _ in 1..args.rounds.max(2) {
        let halves = texts.split_at(texts.len() / 2);
        let (a, b) = (halves.0.to_vec(), halves.1.to_vec());
        let (ma, mb) = (model.clone(), model.clone());
        let ta = std::thread::spawn(move || time_all(&*ma, &a));
        let tb = std::thread::spawn(move || time_all(&*mb, &b));
        two.extend(ta.join().unwrap_or_default());
        two.extend(tb.join().unwrap_or_default());
    }
    one.sort_by(f64::total_cmp);
    two.sort_by(f64::total_cmp);
    peer.sort_by(f64::total_cmp);
    let r = EmbedBenchResult {
        machine: machine::describe(),
        messages: texts.len(),
        words_p50: words.get(words.len() / 2).copied().unwrap_or(0),
        one_thread_p50_ms: pct(&one, 0.5),
        one_thread_p99_ms: pct(&one, 0.99),
        one_thread_max_ms: one.last().copied().unwrap_or(0.0),
        two_threads_p50_ms: pct(&two, 0.5),
        two_threads_p99_ms: pct(&two, 0.99),
        candle_p50_ms: pct(&peer, 0.5),
        candle_p99_ms: pct(&peer, 0.99),
        min_cosine_vs_candle: min_cosine,
    };
    if args.json {
        println!("{}", serde_json::to_string(&r).map_err(|e| fail(&e))?);
    } else {
        println!("machine: {}", r.machine);
        println!(
            "{} customer messages (median {} words), embedded sentence by sentence with all-MiniLM-L6-v2",
            r.messages, r.words_p50
        );
        println!(
            "  one at a time:      p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
            r.one_thread_p50_ms, r.one_thread_p99_ms, r.one_thread_max_ms
        );
        println!(
            "  two threads at once: p50 {:.1} ms  p99 {:.1} ms",
            r.two_threads_p50_ms, r.two_threads_p99_ms
        );
        println!(
            "  peer, candle's BERT: p50 {:.1} ms  p99 {:.1} ms  (encoder/candle: p50 {:.2}x, p99 {:.2}x; vectors agree to cosine >= {:.5})",
            r.candle_p50_ms,
            r.candle_p99_ms,
            r.one_thread_p50_ms / r.candle_p50_ms.max(1e-9),
            r.one_thread_p99_ms / r.candle_p99_ms.max(1e-9),
            r.min_cosine_vs_candle
        );
    }
    Ok(())
}
