//! `warmline bench review`: how fast a manager's review opens with many handoffs stored.
//!
//! Seeding: N conversations, each with a complete handoff timeline written to the event log
//! (customer messages with facts, the assistant's failed attempt, the escalation with evidence,
//! the real briefing, offer, accept, briefing opened, agent joined, agent questions — some of them
//! repeat asks — the resolution and, for most, the customer's and the agent's ratings), spread over
//! 30 days, 8 agents, 4 skills and 4 triggers. The gateway is then restarted and computes every
//! handoff's figures itself (the restart-resume path: `compute_metrics` over each log, stored in
//! batches), which is timed too. Then, over HTTP as a manager, timed N times each:
//! - the list page: `GET /api/review/handoffs?limit=50` (what the review page opens with), also
//!   with an agent filter;
//! - the aggregates: `GET /api/review/aggregates?by=day|agent|skill|trigger` over all handoffs;
//! - the CSV export of the whole list.

use super::chat::{bench_config, BenchError};
use super::client::Client;
use super::machine;
use crate::app::{self, admin};
use crate::domain::{
    Briefing, ConversationHeader, ConversationId, Customer, Escalation, EventBody, Message,
    Participant, ParticipantId, ParticipantKind, Role, SentimentLabel, Speaker, Timestamp, Urgency,
    User,
};
use crate::handoff::briefing::{build_briefing, BriefingInput};
use crate::service::credentials;
use crate::storage::{NewToken, Store, TokenKind, WriteOp};
use chrono::{Duration as Span, Utc};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct ReviewBenchArgs {
    /// Handoffs seeded.
    #[arg(long, default_value_t = 10_000)]
    pub handoffs: usize,
    /// Timed requests per measurement.
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
    /// Directory for the temporary database (default: the system temp dir).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// Keep the seeded data directory (printed at the end) instead of deleting it, to open the
    /// review page on it: `warmline serve --data-dir DIR`, manager `manager` / `bench-password`.
    #[arg(long)]
    pub keep: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Timing {
    pub what: String,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewBenchResult {
    pub machine: String,
    pub handoffs: usize,
    pub events: usize,
    pub seed_secs: f64,
    /// The restart computing every handoff's figures from its log.
    pub compute_secs: f64,
    pub compute_per_handoff_ms: f64,
    pub timings: Vec<Timing>,
    /// The aggregate over everything seeded, to show what the figures were computed from.
    pub overall: serde_json::Value,
}

const AGENTS: usize = 8;
const SKILLS: [&str; 4] = ["billing", "technical", "account", "general"];
const TRIGGERS: [&str; 4] = [
    "frustration",
    "explicit_request",
    "low_confidence",
    "repeated_failure",
];

/// A tiny deterministic generator (splitmix64): the same data every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn secs(&mut self, lo: u64, hi: u64) -> Span {
        Span::seconds((lo + self.below(hi - lo + 1)) as i64)
    }
}

fn message(
    speaker: Speaker,
    text: &str,
    at: Timestamp,
    sentiment: Option<(SentimentLabel, f64)>,
) -> Message {
    let mut m = Message::new(speaker, text, at);
    if let Some((label, score)) = sentiment {
        m.sentiment = Some(label);
        m.sentiment_score = Some(score);
    }
    m
}

/// The briefing of one skill's scenario, built once by the real builder.
fn briefing_for(skill: &str, now: Timestamp) -> Briefing {
    let header = ConversationHeader::new(
        ConversationId::from("conv-bench"),
        Customer {
            id: "cust-bench".into(),
            name: Some("Jordan Lee".into()),
            email: Some("jordan@example.com".into()),
            ..Customer::default()
        },
        now,
    );
    let messages = vec![
        message(
            Speaker::Customer,
            "Hi, I'm Jordan. Order ORD-48213 was charged twice, invoice INV-20931.",
            now,
            None,
        ),
        message(
            Speaker::Ai,
            "Sorry about that. Please check Billing > Invoices.",
            now,
            None,
        ),
        message(
            Speaker::Customer,
            "I already tried that, it still shows two charges. I want a person.",
            now,
            None,
        ),
    ];
    let escalation = Escalation {
        trigger: "frustration".into(),
        ai_assessment: "Duplicate charge not resolved by the assistant.".into(),
        recommended_agent: skill.into(),
        urgency: Urgency::High,
        customer_expectation: "A refund of the duplicate charge.".into(),
    };
    build_briefing(&BriefingInput {
        conversation: &crate::domain::Conversation {
            header,
            messages,
            notes: Vec::new(),
        },
        escalation: &escalation,
        agent_name: Some("Alex"),
        agent_skill_label: Some(skill),
        kb: &crate::domain::KnowledgeContext::default(),
        written: None,
        transfer: None,
        now,
    })
}

/// One handoff's conversation header and its events after `conversation_created`.
fn handoff(
    i: usize,
    rng: &mut Rng,
    agents: &[User],
    briefings: &[Briefing],
    now: Timestamp,
) -> (ConversationHeader, Vec<(Timestamp, EventBody)>) {
    let start = now - Span::days(30) + Span::seconds(rng.below(30 * 86_400) as i64);
    let skill_ix = rng.below(SKILLS.len() as u64) as usize;
    let trigger = TRIGGERS[rng.below(TRIGGERS.len() as u64) as usize];
    let agent = &agents[rng.below(agents.len() as u64) as usize];
    let name = format!("Customer {i}");
    let id = ConversationId::generate();
    let mut header = ConversationHeader::new(
        id,
        Customer {
            id: format!("cust-{i}"),
            name: Some(name.clone()),
            email: Some(format!("customer{i}@example.com")),
            ..Customer::default()
        },
        start,
    );
    header.participants.push(Participant {
        id: ParticipantId::generate(),
        kind: ParticipantKind::Customer,
        user_id: None,
        name,
        joined_at: start,
        left_at: None,
    });
    let mut t = start;
    let mut events = Vec::with_capacity(20);
    let mut at = |rng: &mut Rng, lo, hi| {
        t += rng.secs(lo, hi);
        t
    };
    let first = message(
        Speaker::Customer,
        &format!(
            "My order ORD-{:05} arrived broken and I was charged twice.",
            i
        ),
        at(rng, 0, 0),
        Some((SentimentLabel::Negative, -0.4)),
    );
    let evidence = first.id.clone();
    events.push((
        first.timestamp,
        EventBody::Message {
            message: first,
            routing_skill: Some(SKILLS[skill_ix].into()),
        },
    ));
    let ai = message(
        Speaker::Ai,
        "I'm sorry. You can request a replacement from Orders > Help.",
        at(rng, 2, 5),
        None,
    );
    events.push((
        ai.timestamp,
        EventBody::Message {
            message: ai,
            routing_skill: None,
        },
    ));
    let second = message(
        Speaker::Customer,
        "I already tried that and nothing happened. I want to talk to a person.",
        at(rng, 20, 240),
        Some((SentimentLabel::Frustrated, -0.7)),
    );
    let evidence = vec![evidence, second.id.clone()];
    events.push((
        second.timestamp,
        EventBody::Message {
            message: second,
            routing_skill: None,
        },
    ));
    let mut briefing = briefings[skill_ix].clone();
    briefing.escalation.trigger = trigger.into();
    events.push((
        at(rng, 0, 1),
        EventBody::EscalationTriggered {
            escalation: briefing.escalation.clone(),
            evidence,
            likelihood: Some(0.8),
        },
    ));
    events.push((
        at(rng, 0, 1),
        EventBody::AgentBriefingReady {
            briefing: Box::new(briefing.clone()),
        },
    ));
    events.push((
        at(rng, 0, 1),
        EventBody::WaitEstimated {
            position: 1,
            estimate_secs: 60,
            nobody_online: false,
        },
    ));
    let offered = at(rng, 5, 300);
    events.push((
        offered,
        EventBody::HandoffOffered {
            agent_id: agent.id.clone(),
            agent_name: agent.name.clone(),
            expires_at: offered + Span::seconds(30),
            specialist: false,
            briefing: Box::new(briefing),
        },
    ));
    events.push((
        at(rng, 2, 20),
        EventBody::HandoffAccepted {
            agent_id: agent.id.clone(),
            agent_name: agent.name.clone(),
        },
    ));
    events.push((
        at(rng, 0, 2),
        EventBody::BriefingOpened {
            agent_id: agent.id.clone(),
        },
    ));
    let joined = at(rng, 10, 90);
    events.push((
        joined,
        EventBody::AgentJoined {
            participant: Participant {
                id: ParticipantId::generate(),
                kind: ParticipantKind::Agent,
                user_id: Some(agent.id.clone()),
                name: agent.name.clone(),
                joined_at: joined,
                left_at: None,
            },
            specialist: false,
        },
    ));
    let mut say = |rng: &mut Rng, speaker, text: &str, lo, hi| {
        let mut m = message(speaker, text, at(rng, lo, hi), None);
        if speaker == Speaker::Agent {
            m.agent_id = Some(agent.id.clone());
        }
        (
            m.timestamp,
            EventBody::Message {
                message: m,
                routing_skill: None,
            },
        )
    };
    events.push(say(
        rng,
        Speaker::Agent,
        "Hi, I can see the duplicate charge and the broken order. I'm on it.",
        5,
        40,
    ));
    if rng.below(4) == 0 {
        events.push(say(
            rng,
            Speaker::Agent,
            "Could you give me your order number, please?",
            10,
            60,
        ));
        events.push(say(
            rng,
            Speaker::Customer,
            "I already said it, it's in my first message!",
            10,
            60,
        ));
    } else {
        events.push(say(
            rng,
            Speaker::Agent,
            "Which browser were you using when you placed it?",
            10,
            60,
        ));
        events.push(say(rng, Speaker::Customer, "Firefox on my laptop.", 10, 60));
    }
    // One in five is answered with what the knowledge base already says: an unnecessary
    // escalation the figures should catch.
    let resolution = if rng.below(5) == 0 {
        "Please open a private window and turn off your browser extensions: an ad blocker is \
         probably blocking the dashboard charts. Then add app.brightboard.io to its allow list."
    } else {
        "I've refunded the duplicate charge and sent a replacement."
    };
    events.push(say(rng, Speaker::Agent, resolution, 30, 600));
    events.push((
        at(rng, 10, 120),
        EventBody::ConversationResolved {
            by: Some(agent.id.clone()),
            note: None,
        },
    ));
    if rng.below(10) < 7 {
        events.push((
            at(rng, 5, 60),
            EventBody::HandoffRated {
                score: 1 + rng.below(5) as u8,
                repeated: rng.below(4) == 0,
                comment: None,
            },
        ));
    }
    if rng.below(2) == 0 {
        events.push((
            at(rng, 5, 60),
            EventBody::BriefingRated {
                agent_id: agent.id.clone(),
                score: 2 + rng.below(4) as u8,
                comment: None,
            },
        ));
    }
    (header, events)
}

async fn seed(store: &dyn Store, agents: &[User], n: usize) -> Result<usize, BenchError> {
    let now = Utc::now();
    let briefings: Vec<Briefing> = SKILLS.iter().map(|s| briefing_for(s, now)).collect();
    let mut rng = Rng(0x5EED);
    let mut written = 0;
    for chunk_start in (0..n).step_by(500) {
        let mut creates = Vec::new();
        let mut appends = Vec::new();
        for i in chunk_start..(chunk_start + 500).min(n) {
            let (header, events) = handoff(i, &mut rng, agents, &briefings, now);
            let (_, hash) = credentials::new_token("wl_c");
            let id = header.conversation_id.clone();
            creates.push(WriteOp::Create {
                customer_token: NewToken {
                    hash,
                    id: credentials::public_id("tok"),
                    kind: TokenKind::Customer,
                    user_id: None,
                    conversation_id: Some(id.clone()),
                    name: String::new(),
                    created_at: now,
                    expires_at: Some(now + Span::hours(1)),
                },
                header,
            });
            written += events.len() + 1;
            appends.extend(events.into_iter().map(|(at, body)| WriteOp::Append {
                conversation_id: id.clone(),
                body,
                client_id: None,
                at,
            }));
        }
        store
            .apply_batch(creates)
            .await
            .map_err(|e| BenchError::Failed(e.to_string()))?;
        for ops in appends.chunks(2_000) {
            store
                .apply_batch(ops.to_vec())
                .await
                .map_err(|e| BenchError::Failed(e.to_string()))?;
        }
    }
    store
        .flush()
        .await
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    Ok(written)
}

async fn time(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    runs: usize,
    what: &str,
) -> Result<Timing, BenchError> {
    let mut ms = Vec::with_capacity(runs);
    for i in 0..runs + 2 {
        let started = Instant::now();
        let res = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| BenchError::Failed(e.to_string()))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .map_err(|e| BenchError::Failed(e.to_string()))?;
        if !status.is_success() {
            return Err(BenchError::Failed(format!("{url}: HTTP {status}")));
        }
        // Two warm-up requests, as a manager's browser would have made opening the page.
        if i >= 2 {
            ms.push(started.elapsed().as_secs_f64() * 1e3);
        }
        std::hint::black_box(body);
    }
    ms.sort_by(f64::total_cmp);
    let q = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    Ok(Timing {
        what: what.into(),
        p50_ms: q(0.5),
        p90_ms: q(0.9),
        max_ms: q(1.0),
    })
}

pub async fn run(args: ReviewBenchArgs) -> Result<(), BenchError> {
    let r = measure(&args).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&r).map_err(|e| BenchError::Failed(e.to_string()))?
        );
        return Ok(());
    }
    println!("machine: {}", r.machine);
    println!(
        "{} handoffs ({} events) seeded in {:.1} s; the restart computed their figures in {:.1} s ({:.2} ms each)",
        r.handoffs, r.events, r.seed_secs, r.compute_secs, r.compute_per_handoff_ms
    );
    println!(
        "{:<44} {:>9} {:>9} {:>9}",
        "request", "p50 ms", "p90 ms", "max ms"
    );
    for t in &r.timings {
        println!(
            "{:<44} {:>9.1} {:>9.1} {:>9.1}",
            t.what, t.p50_ms, t.p90_ms, t.max_ms
        );
    }
    let o = &r.overall;
    println!(
        "seeded figures: {} handoffs, {} with repeat asks ({} asks), mean context score {:.1}, \
         {} customer ratings (mean {:.2}), {} judged unnecessary",
        o["handoffs"],
        o["handoffsWithRepeatAsks"],
        o["repeatAsks"],
        o["meanContextScore"].as_f64().unwrap_or(f64::NAN),
        o["customerRatings"],
        o["meanCustomerScore"].as_f64().unwrap_or(f64::NAN),
        o["unnecessary"]
    );
    Ok(())
}

pub async fn measure(args: &ReviewBenchArgs) -> Result<ReviewBenchResult, BenchError> {
    let dir = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    // The built-in assistant is on: the figures' knowledge-base check asks it about every agent
    // message, as in production.
    let mut config = bench_config(dir.path(), true);
    config.handoff.enabled = true;
    config.media.enabled = false;
    config.transcribe.enabled = false;
    let policy = app::password_policy(&config)?;

    let running = app::start(config.clone()).await?;
    let store = running.store.clone();
    let mut agents = Vec::new();
    for a in 0..AGENTS {
        let spec = admin::UserSpec {
            username: format!("agent{a}"),
            name: format!("Agent {a}"),
            role: Role::Agent,
            password: Some("bench-password".into()),
            skills: vec![SKILLS[a % SKILLS.len()].into()],
            languages: vec!["en".into()],
            max_concurrent: 5,
        };
        agents.push(admin::add_user(&*store, &policy, spec).await?.0);
    }
    let manager = admin::UserSpec {
        username: "manager".into(),
        name: "Manager".into(),
        role: Role::Manager,
        password: Some("bench-password".into()),
        skills: Vec::new(),
        languages: vec!["en".into()],
        max_concurrent: 1,
    };
    admin::add_user(&*store, &policy, manager).await?;
    eprintln!("seeding {} handoffs...", args.handoffs);
    let started = Instant::now();
    let events = seed(&*store, &agents, args.handoffs).await?;
    let seed_secs = started.elapsed().as_secs_f64();
    drop(store);
    running.stop().await?;

    // The restart finds resolved handoffs without figures and computes them all.
    eprintln!("restarting: the gateway computes every handoff's figures...");
    let started = Instant::now();
    let running = app::start(config).await?;
    let base = running.base_url();
    let token = Client::new(&base)
        .login("manager", "bench-password")
        .await?;
    let http = reqwest::Client::new();
    loop {
        let v = get_json(
            &http,
            &format!("{base}/api/review/handoffs?limit=1"),
            &token,
        )
        .await?;
        if v["total"].as_u64() == Some(args.handoffs as u64) {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            return Err(BenchError::Failed(format!("figures incomplete: {v}")));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let compute_secs = started.elapsed().as_secs_f64();
    eprintln!("measuring...");

    let agent = &agents[0].id;
    let mut timings = Vec::new();
    let cases = [
        (
            "/api/review/handoffs?limit=50".to_owned(),
            "list, first page of 50".to_owned(),
        ),
        (
            format!("/api/review/handoffs?limit=50&agent={agent}"),
            "list filtered by agent".to_owned(),
        ),
        (
            "/api/review/handoffs?limit=50&offset=5000".to_owned(),
            "list, page at offset 5000".to_owned(),
        ),
        (
            "/api/review/filters".to_owned(),
            "filter choices".to_owned(),
        ),
    ];
    for (path, what) in cases {
        timings.push(time(&http, &format!("{base}{path}"), &token, args.runs, &what).await?);
    }
    for by in ["day", "agent", "skill", "trigger"] {
        let url = format!("{base}/api/review/aggregates?by={by}");
        timings.push(
            time(
                &http,
                &url,
                &token,
                args.runs.div_ceil(3).max(5),
                &format!("aggregates by {by}, all handoffs"),
            )
            .await?,
        );
    }
    let url = format!("{base}/api/review/handoffs?format=csv");
    timings.push(time(&http, &url, &token, 5, "CSV export, all handoffs").await?);
    let all = get_json(
        &http,
        &format!("{base}/api/review/aggregates?by=agent"),
        &token,
    )
    .await?;
    running.stop().await?;
    if args.keep {
        let kept = dir.keep();
        eprintln!("seeded data kept in {}", kept.display());
    }
    Ok(ReviewBenchResult {
        machine: machine::describe(),
        handoffs: args.handoffs,
        events,
        seed_secs,
        compute_secs,
        compute_per_handoff_ms: compute_secs * 1e3 / args.handoffs.max(1) as f64,
        timings,
        overall: all["overall"].clone(),
    })
}

/// GETs `url` as the manager and parses the JSON answer.
async fn get_json(
    http: &reqwest::Client,
    url: &str,
    token: &str,
) -> Result<serde_json::Value, BenchError> {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| BenchError::Failed(e.to_string()))?
        .json()
        .await
        .map_err(|e| BenchError::Failed(e.to_string()))
}
