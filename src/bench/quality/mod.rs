//! `warmline bench quality`: the handoff-quality evaluation. Replays the evaluation set
//! (`tests/quality/`, compiled in; `--set DIR` for another) against a real gateway on its defaults
//! (built-in assistant, demo knowledge base, one online agent) and scores what customers and agents
//! would see: answers and honest refusals, the escalation decision and its trigger, and the
//! briefing (mood, urgency, time pressure, what the customer tried, how long, the summary, the warm
//! introduction, next actions). The `tuning` and `held_out` parts are reported separately; held-out
//! failures are listed only with `--show-held-out`, so tuning does not drift towards them.

mod calibrate;
mod drive;
mod score;
pub mod spec;

use super::chat::{bench_config, BenchError};
use super::client::Client;
use super::machine;
use crate::app::{self, admin};
use crate::domain::Role;
use drive::{agent_peer, Peer, Stage};
use score::Check;
use spec::{EvalSet, Split};
use std::collections::BTreeMap;

#[derive(Debug, Clone, clap::Args)]
pub struct QualityBenchArgs {
    /// An evaluation set directory with `tuning/` and `held_out/` (default: the one compiled in,
    /// `tests/quality/`).
    #[arg(long, value_name = "DIR")]
    pub set: Option<std::path::PathBuf>,
    /// Only this part of the set.
    #[arg(long, value_parser = ["tuning", "held_out", "all"], default_value = "all")]
    pub split: String,
    /// Also list the held-out part's failed checks (leave off while tuning).
    #[arg(long)]
    pub show_held_out: bool,
    /// Directory for the temporary database (default: the system temp dir).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// Without the embedding model: the lexical baseline (words only).
    #[arg(long, conflicts_with = "compare")]
    pub lexical: bool,
    /// Run twice in this invocation, words only and then with the embedding model, and report
    /// both (the baseline and the semantic layer on the same machine at the same time).
    #[arg(long)]
    pub compare: bool,
    /// Print what happened in the conversations whose file name contains this (turn by turn,
    /// then the escalation and the briefing), for looking into a failure.
    #[arg(long, value_name = "NAME")]
    pub trace: Option<String>,
    /// With --calibrate: instead of fitting, show how retrieval ranks this customer message.
    #[arg(long, value_name = "TEXT", requires = "calibrate")]
    pub explain: Option<String>,
    /// Fit the assistant's confidence calibration on the tuning questions and print it (nothing
    /// is replayed against a gateway).
    #[arg(long)]
    pub calibrate: bool,
    #[arg(long)]
    pub json: bool,
}

/// Passed and total checks.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Tally {
    pub passed: usize,
    pub total: usize,
}

impl Tally {
    fn add(&mut self, pass: bool) {
        self.total += 1;
        self.passed += usize::from(pass);
    }

    pub fn share(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.passed as f64 / self.total as f64
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SplitResult {
    pub conversations: usize,
    pub questions: usize,
    /// Every conversation check together.
    pub checks: Tally,
    /// Conversations whose escalation decision was right.
    pub escalation_decisions: Tally,
    pub by_category: BTreeMap<&'static str, Tally>,
    /// Wrong escalation decisions by kind: `missed` (should have escalated) or `unneeded by
    /// <trigger>` (escalated by that trigger although the assistant should have handled it).
    pub escalation_errors: BTreeMap<String, usize>,
    /// Failed checks as `file: category: detail` (held-out ones only with `--show-held-out`).
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct QualityBenchResult {
    pub machine: String,
    pub assistant: String,
    /// `words + meaning` or `words only`.
    pub retrieval: String,
    pub splits: BTreeMap<Split, SplitResult>,
    /// Customer message acknowledged -> the assistant's reply on a staff socket, over every turn.
    pub reply_p50_ms: f64,
    pub reply_p99_ms: f64,
    pub replies_timed: usize,
    /// The slowest turns, `(milliseconds, where)`, to see what costs.
    pub slowest: Vec<(f64, String)>,
}

pub async fn run(args: QualityBenchArgs) -> Result<(), BenchError> {
    if args.calibrate {
        return calibrate::run(&args);
    }
    let runs: Vec<bool> = if args.compare {
        vec![false, true]
    } else {
        vec![!args.lexical]
    };
    let mut results = Vec::new();
    for semantic in runs {
        results.push(measure(&args, semantic).await?);
    }
    if args.json {
        let text =
            serde_json::to_string(&results).map_err(|e| BenchError::Failed(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    for r in &results {
        print_result(r);
    }
    if let [lexical, semantic] = results.as_slice() {
        println!(
            "\nturn latency, semantic over words only: p50 {:.2}x, p99 {:.2}x",
            semantic.reply_p50_ms / lexical.reply_p50_ms.max(1e-9),
            semantic.reply_p99_ms / lexical.reply_p99_ms.max(1e-9)
        );
    }
    Ok(())
}

fn print_result(r: &QualityBenchResult) {
    println!("machine: {}", r.machine);
    println!("assistant: {} ({})", r.assistant, r.retrieval);
    for (split, s) in &r.splits {
        println!(
            "\n{}: {} conversations, {} retrieval questions",
            split.as_str(),
            s.conversations,
            s.questions
        );
        for (category, t) in &s.by_category {
            println!(
                "  {category:<18} {:>4}/{:<4} {:>5.1} %",
                t.passed,
                t.total,
                t.share() * 100.0
            );
        }
        println!(
            "  {:<18} {:>4}/{:<4} {:>5.1} %   (conversation checks)",
            "ALL",
            s.checks.passed,
            s.checks.total,
            s.checks.share() * 100.0
        );
        println!(
            "  {:<18} {:>4}/{:<4} {:>5.1} %   (conversations)",
            "escalation right",
            s.escalation_decisions.passed,
            s.escalation_decisions.total,
            s.escalation_decisions.share() * 100.0
        );
        for (kind, n) in &s.escalation_errors {
            println!("  wrong escalation: {kind} x{n}");
        }
        if !s.failures.is_empty() {
            println!("  failed:");
            for f in &s.failures {
                println!("    {f}");
            }
        }
    }
    println!(
        "\ncustomer turn (message sent -> assistant's reply): p50 {:.1} ms, p99 {:.1} ms over {} turns",
        r.reply_p50_ms, r.reply_p99_ms, r.replies_timed
    );
    for (ms, at) in &r.slowest {
        println!("  {ms:>7.1} ms  {at}");
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub async fn measure(
    args: &QualityBenchArgs,
    semantic: bool,
) -> Result<QualityBenchResult, BenchError> {
    let set = match &args.set {
        Some(dir) => EvalSet::load(dir),
        None => EvalSet::embedded(),
    }
    .map_err(|e| BenchError::Failed(e.to_string()))?;
    let wanted = |s: Split| args.split == "all" || args.split == s.as_str();

    let tmp = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let mut config = bench_config(tmp.path(), true);
    // Nobody is handed back and no offer expires while a conversation is played.
    config.handoff.policy.no_accept_timeout_secs = 3600;
    config.handoff.routing.offer_timeout_secs = 600;
    config.semantic.enabled = semantic;
    config.semantic.required = semantic;
    let assistant = serde_json::to_value(&config.assistant)
        .ok()
        .and_then(|v| v["kind"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let running = app::start(config.clone()).await?;
    let api = Client::new(&running.base_url());
    let policy = app::password_policy(&config)?;
    for (username, name, role) in [
        ("maria", "Maria Lopez", Role::Agent),
        ("morgan", "Morgan Lee", Role::Manager),
    ] {
        let spec = admin::UserSpec {
            username: username.into(),
            name: name.into(),
            role,
            password: Some("bench-password".into()),
            skills: [
                "general",
                "billing",
                "technical",
                "account",
                "integrations",
                "security",
                "legal",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            languages: vec!["en".into()],
            max_concurrent: 1000,
        };
        admin::add_user(&*running.store, &policy, spec).await?;
    }
    let agent_token = api.login("maria", "bench-password").await?;
    let manager_token = api.login("morgan", "bench-password").await?;
    let agent = agent_peer(&api, &agent_token).await?;
    let manager = Peer::new(api.socket(&manager_token).await?);
    let mut stage = Stage {
        api,
        manager_token,
        manager,
        agent,
    };

    let mut splits: BTreeMap<Split, SplitResult> = BTreeMap::new();
    let mut reply_ms = Vec::new();
    let mut timed: Vec<(f64, String)> = Vec::new();
    let total = set.conversations.len() + set.questions.len();
    let mut done = 0usize;
    for (split, file, spec) in set.conversations.iter().filter(|c| wanted(c.0)) {
        let seen = stage.play(spec).await?;
        reply_ms.extend(seen.turns.iter().filter_map(|t| t.reply_ms));
        for (i, t) in seen.turns.iter().enumerate() {
            if let Some(ms) = t.reply_ms {
                timed.push((ms, format!("{file} turn {}", i + 1)));
            }
        }
        let checks = score::conversation(spec, &seen);
        let escalated = seen.escalation.is_some();
        if escalated != spec.expect.escalate {
            let kind = match &seen.escalation {
                Some(e) => format!("unneeded by {}", e.trigger),
                None => "missed".to_owned(),
            };
            *splits
                .entry(*split)
                .or_default()
                .escalation_errors
                .entry(kind)
                .or_default() += 1;
        }
        if args.trace.as_deref().is_some_and(|t| file.contains(t)) {
            trace(file, spec, &seen, &checks);
        }
        let r = splits.entry(*split).or_default();
        r.conversations += 1;
        record(
            r,
            file,
            &checks,
            args.show_held_out || *split == Split::Tuning,
        );
        done += 1;
        progress(done, total);
    }
    for (split, q) in set.questions.iter().filter(|q| wanted(q.0)) {
        let seen = stage.ask(&q.ask).await?;
        reply_ms.extend(seen.reply_ms);
        if let Some(ms) = seen.reply_ms {
            timed.push((
                ms,
                format!("question {:?}", q.ask.chars().take(40).collect::<String>()),
            ));
        }
        let c = score::question(q, &seen);
        let r = splits.entry(*split).or_default();
        r.questions += 1;
        r.by_category.entry(c.category).or_default().add(c.pass);
        if !c.pass && (args.show_held_out || *split == Split::Tuning) {
            r.failures
                .push(format!("retrieval: {}: {}", c.category, c.detail));
        }
        done += 1;
        progress(done, total);
    }
    eprintln!();
    drop(stage);
    running.stop().await?;
    reply_ms.sort_by(f64::total_cmp);
    timed.sort_by(|a, b| b.0.total_cmp(&a.0));
    timed.truncate(5);
    Ok(QualityBenchResult {
        machine: machine::describe(),
        assistant,
        retrieval: if semantic {
            "words + meaning"
        } else {
            "words only"
        }
        .to_owned(),
        splits,
        reply_p50_ms: percentile(&reply_ms, 0.5),
        reply_p99_ms: percentile(&reply_ms, 0.99),
        replies_timed: reply_ms.len(),
        slowest: timed,
    })
}

fn trace(file: &str, spec: &spec::ConversationSpec, seen: &drive::Seen, checks: &[Check]) {
    eprintln!("\n=== {file}: {}", spec.title);
    for (turn, t) in spec.turns.iter().zip(&seen.turns) {
        eprintln!("customer: {}", turn.say);
        for r in &t.replies {
            eprintln!(
                "  {} {:?}: {}",
                r.speaker,
                r.sources,
                r.content.replace('\n', " / ")
            );
        }
    }
    eprintln!("status: {}; escalation: {:?}", seen.status, seen.escalation);
    if let Some(intro) = &seen.introduction {
        eprintln!("introduction: {intro}");
    }
    if let Some(b) = &seen.briefing {
        eprintln!(
            "briefing: {}",
            serde_json::to_string_pretty(b).unwrap_or_default()
        );
    }
    for c in checks.iter().filter(|c| !c.pass) {
        eprintln!("FAILED {}: {}", c.category, c.detail);
    }
}

fn record(r: &mut SplitResult, file: &str, checks: &[Check], list_failures: bool) {
    for c in checks {
        r.checks.add(c.pass);
        r.by_category.entry(c.category).or_default().add(c.pass);
        if c.category == "escalation" {
            r.escalation_decisions.add(c.pass);
        }
        if !c.pass && list_failures {
            r.failures
                .push(format!("{file}: {}: {}", c.category, c.detail));
        }
    }
}

fn progress(done: usize, total: usize) {
    use std::io::{IsTerminal, Write};
    let mut err = std::io::stderr();
    if err.is_terminal() {
        let _ = write!(err, "\r  {done}/{total} played");
    } else if done.is_multiple_of(25) || done == total {
        let _ = writeln!(err, "  {done}/{total} played");
    }
}
