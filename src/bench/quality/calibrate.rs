//! `warmline bench quality --calibrate`: fits the built-in assistant's confidence (the logistic
//! weights in `assistant::retrieval::CALIBRATION`) on the tuning questions, in process: for each
//! question, the features of the passage hybrid retrieval puts first, labelled by whether that
//! passage is a right answer (a question the knowledge base does not cover is never right). It
//! prints the fitted weights to paste into the code, and how well each calibration separates
//! right from wrong at the configured `min_confidence`, on the tuning part and the held-out part.

use super::spec::{EvalSet, Judged, Split};
use super::QualityBenchArgs;
use crate::analysis::semantic::{Embedder, Embedding};
use crate::assistant::retrieval::{
    calibrate, calibrate_from, Calibration, Features, CALIBRATION, SCOPE,
};
use crate::assistant::{
    builtin, AssistantReply, BuiltinAssistant, KnowledgeBase, SemanticSetup, Tuning,
};
use crate::bench::chat::BenchError;
use crate::domain::{Conversation, ConversationHeader, ConversationId, Customer, Message, Speaker};
use crate::embed::{package, Memo, MiniLm, VectorCache};
use std::sync::Arc;

fn failed(e: impl std::fmt::Display) -> BenchError {
    BenchError::Failed(e.to_string())
}

pub fn run(args: &QualityBenchArgs) -> Result<(), BenchError> {
    let set = match &args.set {
        Some(dir) => EvalSet::load(dir),
        None => EvalSet::embedded(),
    }
    .map_err(failed)?;
    let dir = crate::pypi::cache_dir()
        .join("models")
        .join(package::MODEL_DIR);
    let model: Arc<dyn Embedder> =
        Arc::new(Memo::new(Arc::new(MiniLm::load(&dir).map_err(failed)?)));
    let tmp = tempfile::tempdir()?;
    let cache = VectorCache::new(tmp.path());
    let vectors = |label: &str, texts: &[&str]| -> Option<Vec<Embedding>> {
        cache.vectors(label, texts, &*model).ok()
    };
    let setup = SemanticSetup {
        embedder: model.clone(),
        vectors: &vectors,
    };
    let kb = KnowledgeBase::demo().map_err(failed)?;
    let assistant = builtin(kb, Tuning::default(), Some(&setup));
    if !assistant.is_semantic() {
        return Err(failed("the knowledge base's vectors could not be computed"));
    }
    if let Some(text) = &args.explain {
        for line in assistant.explain(text, 6) {
            println!("{line}");
        }
        return Ok(());
    }
    let mut samples: Vec<(Split, Features, bool)> = Vec::new();
    // Whether the knowledge base covers each sample at all (for `SCOPE`).
    let mut covered: Vec<(Split, Features, bool)> = Vec::new();
    for (split, q) in &set.questions {
        let Some((source, f)) = assistant.features(&q.ask) else {
            continue;
        };
        let right = !q.refuse && q.answer.contains(&source);
        samples.push((*split, f, right));
        covered.push((*split, f, !q.refuse));
    }
    // The conversations' judged turns, each asked on its own (their first turns are stories,
    // not questions, and the confidence has to be right for those too).
    for (split, _, spec) in &set.conversations {
        for turn in spec.turns.iter().take(1) {
            let (answers, refuse) = match turn.judged() {
                Some(super::spec::Judged::Answer(a)) => (a.to_vec(), false),
                Some(super::spec::Judged::Refuse) => (Vec::new(), true),
                _ => continue,
            };
            if let Some((source, f)) = assistant.features(&turn.say) {
                samples.push((*split, f, !refuse && answers.contains(&source)));
                covered.push((*split, f, !refuse));
            }
        }
    }
    let quantiles = |xs: &mut Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        let q = |p: f64| {
            xs.get(((xs.len().max(1) - 1) as f64 * p) as usize)
                .copied()
                .unwrap_or(0.0)
        };
        format!(
            "min {:.2} p25 {:.2} p50 {:.2} p75 {:.2} max {:.2}",
            q(0.0),
            q(0.25),
            q(0.5),
            q(0.75),
            q(1.0)
        )
    };
    let mut right_cos: Vec<f64> = samples
        .iter()
        .filter(|s| s.0 == Split::Tuning && s.2)
        .map(|s| s.1.cosine)
        .collect();
    let mut wrong_cos: Vec<f64> = samples
        .iter()
        .filter(|s| s.0 == Split::Tuning && !s.2)
        .map(|s| s.1.cosine)
        .collect();
    println!(
        "top cosine, tuning, right answer: {}",
        quantiles(&mut right_cos)
    );
    println!(
        "top cosine, tuning, wrong or uncovered: {}",
        quantiles(&mut wrong_cos)
    );
    let tuning: Vec<(Features, bool)> = samples
        .iter()
        .filter(|s| s.0 == Split::Tuning)
        .map(|s| (s.1, s.2))
        .collect();
    let fitted = calibrate(&tuning);
    let threshold = Tuning::default().min_confidence;
    println!(
        "fitted on {} tuning questions:\n  Calibration {{ bias: {:.3}, weights: {:.3?} }}",
        tuning.len(),
        fitted.bias,
        fitted.weights
    );
    // The held-out part is reported only on request, so tuning does not drift towards it.
    let splits: &[Split] = if args.show_held_out {
        &[Split::Tuning, Split::HeldOut]
    } else {
        &[Split::Tuning]
    };
    for (name, c) in [("in the code", CALIBRATION), ("fitted", fitted)] {
        for &split in splits {
            let part: Vec<&(Split, Features, bool)> =
                samples.iter().filter(|s| s.0 == split).collect();
            println!(
                "  {name:<12} {:<9} {}",
                split.as_str(),
                separation(&c, &part, threshold)
            );
        }
    }
    let tuning_scope: Vec<(Features, bool)> = covered
        .iter()
        .filter(|s| s.0 == Split::Tuning)
        .map(|s| (s.1, s.2))
        .collect();
    let fitted_scope = calibrate_from(SCOPE, &tuning_scope);
    println!(
        "scope fitted on {} tuning samples (label: the knowledge base covers it):\n  Calibration {{ bias: {:.3}, weights: {:.3?} }}",
        tuning_scope.len(),
        fitted_scope.bias,
        fitted_scope.weights
    );
    for (name, c) in [("in the code", SCOPE), ("fitted", fitted_scope)] {
        for &split in splits {
            let part: Vec<&(Split, Features, bool)> =
                covered.iter().filter(|s| s.0 == split).collect();
            println!(
                "  scope {name:<12} {:<9} {}",
                split.as_str(),
                separation(&c, &part, 0.6)
            );
        }
    }
    if let Ok(path) = std::env::var("QUALITY_CALIBRATE_DUMP") {
        dump(&assistant, &set, &path)?;
    }
    dry_run(&assistant, &set, splits);
    Ok(())
}

/// One line per tuning question and conversation first turn: what it is, whether the top passage
/// is right, and the raw signals (`BuiltinAssistant::diagnose`), tab-separated, for offline study.
fn dump(assistant: &BuiltinAssistant, set: &EvalSet, path: &str) -> Result<(), BenchError> {
    let mut lines = Vec::new();
    let mut header = false;
    let mut push = |kind: &str, text: &str, refuse: bool, answers: &[String]| {
        let Some((source, confidence, signals)) = assistant.diagnose(text) else {
            return;
        };
        if !header {
            let names: Vec<&str> = signals.iter().map(|s| s.0).collect();
            lines.push(format!(
                "kind\trefuse\tright\tconfidence\t{}\tsource\ttext",
                names.join("\t")
            ));
            header = true;
        }
        let right = !refuse && answers.contains(&source);
        let values: Vec<String> = signals.iter().map(|s| format!("{:.4}", s.1)).collect();
        lines.push(format!(
            "{kind}\t{}\t{}\t{confidence:.4}\t{}\t{source}\t{}",
            u8::from(refuse),
            u8::from(right),
            values.join("\t"),
            text.replace(['\t', '\n'], " ")
        ));
    };
    for (split, q) in &set.questions {
        if *split == Split::Tuning {
            push("question", &q.ask, q.refuse, &q.answer);
        }
    }
    for (split, _, spec) in &set.conversations {
        if *split != Split::Tuning {
            continue;
        }
        if let Some(turn) = spec.turns.first() {
            match turn.judged() {
                Some(Judged::Answer(a)) => push("turn", &turn.say, false, a),
                Some(Judged::Refuse) => push("turn", &turn.say, true, &[]),
                _ => {}
            }
        }
    }
    std::fs::write(path, lines.join("\n") + "\n")?;
    Ok(())
}

/// What the assistant's reply does for a judged turn: its sources and whether it refused.
fn verdict(judged: &Judged<'_>, reply: &AssistantReply) -> bool {
    let first = reply.sources.first();
    match judged {
        Judged::Answer(ok) => first.is_some_and(|f| ok.contains(f)),
        Judged::Refuse => reply.sources.is_empty(),
        Judged::Clarify(ok) => {
            (reply.content.contains('?')
                && reply.sources.len() >= 2
                && reply.sources.iter().any(|s| ok.contains(s)))
                || first.is_some_and(|f| ok.contains(f))
        }
    }
}

/// The assistant's decisions in process, without a gateway (no message analysis, no handoff
/// policy): every question, and every judged turn of every conversation played in order with the
/// assistant's earlier replies in the history (stopping at its first handoff request). A quick
/// look while tuning; `warmline bench quality` is the measure.
fn dry_run(assistant: &BuiltinAssistant, set: &EvalSet, splits: &[Split]) {
    let t0 = chrono::Utc::now();
    let fresh = || Conversation {
        header: ConversationHeader::new(ConversationId::from("dry-run"), Customer::default(), t0),
        messages: Vec::new(),
        notes: Vec::new(),
    };
    let show = |r: &AssistantReply| {
        let kind = if r.out_of_scope {
            "refused"
        } else if r.sources.len() > 1 {
            "clarify"
        } else if r.sources.is_empty() {
            "text"
        } else {
            "answer"
        };
        format!("{kind} {:.2} {:?}", r.confidence, r.sources)
    };
    for &split in splits {
        let (mut answer, mut refuse, mut turns) = ((0, 0), (0, 0), (0, 0));
        let mut failures = Vec::new();
        for (_, q) in set.questions.iter().filter(|q| q.0 == split) {
            let mut conv = fresh();
            let msg = Message::new(Speaker::Customer, q.ask.clone(), t0);
            conv.messages.push(msg.clone());
            let r = assistant.answer(&conv, &msg);
            let judged = if q.refuse {
                Judged::Refuse
            } else {
                Judged::Answer(&q.answer)
            };
            let ok = verdict(&judged, &r);
            let tally = if q.refuse { &mut refuse } else { &mut answer };
            tally.1 += 1;
            tally.0 += usize::from(ok);
            if !ok {
                let want = if q.refuse { "refuse" } else { "answer" };
                failures.push(format!("  question ({want}) {:?}: {}", q.ask, show(&r)));
            }
        }
        // Every judged turn after a knowledge-base answer, against each section answered from
        // before: its best unit cosine read on its own, and whether answering from that section
        // again would be right (the unit floor for answering again is checked on these).
        let mut again: Vec<(f32, bool, String)> = Vec::new();
        for (_, file, spec) in set.conversations.iter().filter(|c| c.0 == split) {
            let mut conv = fresh();
            for (i, turn) in spec.turns.iter().enumerate() {
                let msg = Message::new(Speaker::Customer, turn.say.clone(), t0);
                let mut given: Vec<&String> = conv
                    .messages
                    .iter()
                    .filter_map(|m| m.sources.first())
                    .collect();
                given.sort();
                given.dedup();
                for source in given {
                    let passage = (0..assistant.kb().len())
                        .filter_map(|d| assistant.kb().passage(d))
                        .find(|p| &p.source() == source);
                    let unit = passage.and_then(|p| assistant.unit_cosine(&turn.say, &p));
                    let right = match turn.judged() {
                        Some(Judged::Answer(ok) | Judged::Clarify(ok)) => ok.contains(source),
                        Some(Judged::Refuse) => false,
                        None => continue,
                    };
                    if let Some(u) = unit {
                        again.push((u, right, format!("{file} turn {} {source}", i + 1)));
                    }
                }
                conv.messages.push(msg.clone());
                let r = assistant.answer(&conv, &msg);
                if let Some(j) = turn.judged() {
                    let ok = verdict(&j, &r);
                    turns.1 += 1;
                    turns.0 += usize::from(ok);
                    if !ok {
                        failures.push(format!("  {file} turn {} ({j:?}): {}", i + 1, show(&r)));
                    }
                }
                if r.handoff.is_some() {
                    break;
                }
                let mut ai = Message::new(Speaker::Ai, r.content.clone(), t0);
                ai.confidence = Some(r.confidence);
                ai.actions_attempted = r.actions_attempted.clone();
                ai.sources = r.sources.clone();
                conv.messages.push(ai);
            }
        }
        println!(
            "dry run, {}: questions answered right {}/{}, refused right {}/{}; conversation turns right {}/{}",
            split.as_str(),
            answer.0,
            answer.1,
            refuse.0,
            refuse.1,
            turns.0,
            turns.1
        );
        for f in failures {
            println!("{f}");
        }
        again.sort_by(|a, b| a.0.total_cmp(&b.0));
        println!(
            "  judged turns after an answer, best unit cosine of each section answered before \
             (read alone; right = answering from it again is right):"
        );
        for (u, right, what) in &again {
            println!(
                "    {u:.3} {} {what}",
                if *right { "right" } else { "wrong" }
            );
        }
    }
}

/// Answered-and-right, answered-but-wrong and held-back counts at `threshold`.
fn separation(c: &Calibration, samples: &[&(Split, Features, bool)], threshold: f64) -> String {
    let (mut right, mut wrong, mut held_right, mut held_wrong) = (0, 0, 0, 0);
    for (_, f, ok) in samples {
        let answer = c.confidence(f) >= threshold;
        match (answer, *ok) {
            (true, true) => right += 1,
            (true, false) => wrong += 1,
            (false, true) => held_right += 1,
            (false, false) => held_wrong += 1,
        }
    }
    format!(
        "at {threshold:.2}: answered {right} right and {wrong} wrong; held back {held_right} that were right and {held_wrong} that were not"
    )
}
