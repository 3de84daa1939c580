//! The store's other concerns checked the same way on both stores (as `store` does for the log
//! and accounts): review (handoff figures, the audit log), the outbox (webhooks, e-mails), calls'
//! recordings, the workspace (canned responses, sites) and attachments. Where the stores differ
//! on purpose, the test says so and checks each store's side.

use crate::common::postgres;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::sync::Arc;
use warmline::domain::attachment::{AttachmentKind, StoredAttachment};
use warmline::domain::canned::CannedResponse;
use warmline::domain::followup::OutboxKind;
use warmline::domain::site::Site;
use warmline::domain::{
    AuditEntry, ConversationHeader, ConversationId, ConversationStatus, Customer, Escalation,
    EventBody, HandoffDurations, HandoffFilter, HandoffMetrics, Message, MessageId, Speaker,
    Urgency, UserId,
};
use warmline::storage::{
    self, EmailOutcome, NewToken, NewWebhook, QueuedEmail, StorageError, Store, TokenKind,
    WebhookOutcome, WriteOp, WriteOutcome,
};

/// The stores under test, by name: SQLite always, Postgres when a server is available.
async fn stores() -> Vec<(&'static str, Arc<dyn Store>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite_url = format!("sqlite://{}", dir.path().join("w.db").display());
    let mut out = vec![(
        "sqlite",
        storage::open(&sqlite_url, 4).await.expect("open sqlite"),
        dir,
    )];
    if let Some(url) = postgres::database() {
        let dir = tempfile::tempdir().expect("temp dir");
        out.push((
            "postgres",
            storage::open(&url, 4).await.expect("open postgres"),
            dir,
        ));
    }
    out
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_800_000_000_000 + ms).expect("a time")
}

fn cid(id: &str) -> ConversationId {
    ConversationId(id.to_owned())
}

fn create(id: &str, when: i64) -> WriteOp {
    let customer = Customer {
        name: Some("Dana".into()),
        ..Default::default()
    };
    WriteOp::Create {
        header: ConversationHeader::new(cid(id), customer, at(when)),
        customer_token: NewToken {
            hash: format!("hash-{id}"),
            id: format!("tok-{id}"),
            kind: TokenKind::Customer,
            user_id: None,
            conversation_id: Some(cid(id)),
            name: String::new(),
            created_at: at(when),
            expires_at: None,
        },
    }
}

fn append(id: &str, body: EventBody, when: i64) -> WriteOp {
    WriteOp::Append {
        conversation_id: cid(id),
        body,
        client_id: None,
        at: at(when),
    }
}

fn message(speaker: Speaker, text: &str, when: i64) -> Message {
    Message::new(speaker, text, at(when))
}

fn say(id: &str, speaker: Speaker, text: &str, when: i64) -> WriteOp {
    append(
        id,
        EventBody::Message {
            message: message(speaker, text, when),
            routing_skill: None,
        },
        when,
    )
}

async fn commit(store: &dyn Store, ops: Vec<WriteOp>) -> Vec<u64> {
    store
        .apply_batch(ops)
        .await
        .expect("batch")
        .iter()
        .map(|o| match o {
            WriteOutcome::Committed { event, .. } => event.seq,
            other => panic!("not committed: {other:?}"),
        })
        .collect()
}

fn escalation(trigger: &str) -> Escalation {
    Escalation {
        trigger: trigger.into(),
        ai_assessment: String::new(),
        recommended_agent: String::new(),
        urgency: Urgency::High,
        customer_expectation: String::new(),
    }
}

fn metrics(id: &str, escalated: i64, skill: &str, trigger: &str, agent: &str) -> HandoffMetrics {
    HandoffMetrics {
        conversation_id: cid(id),
        customer_name: Some("Dana".into()),
        escalated_at: at(escalated),
        resolved_at: Some(at(escalated + 1_000)),
        trigger: trigger.into(),
        skill: skill.into(),
        urgency: Urgency::High,
        agent_id: Some(UserId(agent.into())),
        agent_name: Some(agent.into()),
        agents_involved: 1,
        durations: HandoffDurations {
            queue_wait_ms: Some(1_234),
            ..Default::default()
        },
        repeat_asks: Vec::new(),
        context_score: 100.0,
        briefing_completeness: Some(0.75),
        customer_rating: None,
        briefing_ratings: Vec::new(),
        necessity: None,
        had_call: false,
        computed_at: at(escalated + 2_000),
    }
}

fn audit(action: &str, when: i64) -> AuditEntry {
    AuditEntry {
        at: at(when),
        user_id: UserId("u-boss".into()),
        username: "boss".into(),
        action: action.into(),
        conversation_id: None,
        detail: format!("detail of {action}"),
        ip: "127.0.0.1".into(),
    }
}

async fn actions(store: &dyn Store) -> Vec<String> {
    store
        .audit_log(100)
        .await
        .expect("audit log")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn handoff_figures_and_the_audit_log_behave_alike_on_both_stores() {
    for (name, store, _dir) in stores().await {
        let store = &*store;
        commit(
            store,
            vec![
                create("h-a", 0),
                create("h-b", 1),
                create("h-c", 2),
                create("h-d", 3),
            ],
        )
        .await;
        // h-a, h-b and h-c were escalated and resolved; h-d resolved without an escalation.
        let mut ops = Vec::new();
        for (id, trigger) in [
            ("h-a", "frustration"),
            ("h-b", "explicit_request"),
            ("h-c", "Low"),
        ] {
            ops.push(append(
                id,
                EventBody::EscalationTriggered {
                    escalation: escalation(trigger),
                    evidence: Vec::new(),
                    likelihood: None,
                },
                10,
            ));
        }
        for (i, id) in ["h-c", "h-a", "h-b", "h-d"].into_iter().enumerate() {
            ops.push(append(
                id,
                EventBody::StatusChanged {
                    status: ConversationStatus::Resolved,
                    reason: None,
                },
                20 + i as i64,
            ));
        }
        commit(store, ops).await;
        assert_eq!(
            store.handoffs_missing().await.expect("missing"),
            [cid("h-c"), cid("h-a"), cid("h-b")],
            "{name}: escalated and resolved without figures, oldest update first"
        );

        let mut a = metrics("h-a", 1_000, "billing", "frustration", "ann");
        a.context_score = 40.0;
        let b = metrics("h-b", 2_000, "billing", "explicit_request", "bob");
        // h-c escalated at the same time as h-b: the id breaks the tie.
        let c = metrics("h-c", 2_000, "Accounts", "Low", "ann");
        store
            .put_handoffs(&[a.clone(), b.clone(), c.clone()])
            .await
            .expect("put");
        assert_eq!(
            store.handoffs_missing().await.expect("missing"),
            Vec::<ConversationId>::new(),
            "{name}"
        );
        assert_eq!(
            store.handoff(&cid("h-a")).await.expect("get"),
            Some(a.clone()),
            "{name}"
        );
        assert_eq!(
            store.handoff(&cid("h-d")).await.expect("get"),
            None,
            "{name}"
        );

        let ids = |rows: &[HandoffMetrics]| -> Vec<String> {
            rows.iter().map(|m| m.conversation_id.0.clone()).collect()
        };
        let all = HandoffFilter::default();
        let (total, page) = store.list_handoffs(&all, 2, 0).await.expect("list");
        assert_eq!(
            (total, ids(&page)),
            (3, vec!["h-b".into(), "h-c".into()]),
            "{name}"
        );
        let (total, page) = store.list_handoffs(&all, 2, 2).await.expect("list");
        assert_eq!((total, ids(&page)), (3, vec!["h-a".into()]), "{name}");
        let filtered = |f: HandoffFilter| async move {
            let (n, rows) = store.list_handoffs(&f, 10, 0).await.expect("list");
            let matching = store.handoffs_matching(&f).await.expect("matching");
            assert_eq!(n as usize, matching.len(), "{name}: count and rows agree");
            let mut a = ids(&rows);
            let mut b = ids(&matching);
            a.sort();
            b.sort();
            assert_eq!(a, b, "{name}: the page and the aggregate rows agree");
            a
        };
        assert_eq!(
            filtered(HandoffFilter {
                agent_id: Some(UserId("ann".into())),
                ..Default::default()
            })
            .await,
            ["h-a", "h-c"],
            "{name}: by agent"
        );
        assert_eq!(
            filtered(HandoffFilter {
                skill: Some("billing".into()),
                from: Some(at(1_500)),
                ..Default::default()
            })
            .await,
            ["h-b"],
            "{name}: by skill and time"
        );
        assert_eq!(
            filtered(HandoffFilter {
                to: Some(at(2_000)),
                ..Default::default()
            })
            .await,
            ["h-a"],
            "{name}: `to` is exclusive"
        );
        assert_eq!(
            filtered(HandoffFilter {
                max_context_score: Some(50.0),
                ..Default::default()
            })
            .await,
            ["h-a"],
            "{name}: by context score"
        );
        assert_eq!(
            filtered(HandoffFilter {
                trigger: Some("low".into()),
                ..Default::default()
            })
            .await,
            Vec::<String>::new(),
            "{name}: a trigger matches exactly, case included"
        );
        assert!(
            filtered(HandoffFilter {
                with_repeat_asks: true,
                ..Default::default()
            })
            .await
            .is_empty(),
            "{name}"
        );
        // Facets sort by bytes (upper case first), as SQLite compares text.
        assert_eq!(
            store.handoff_facets().await.expect("facets"),
            (
                vec!["Accounts".to_owned(), "billing".to_owned()],
                vec![
                    "Low".to_owned(),
                    "explicit_request".to_owned(),
                    "frustration".to_owned()
                ]
            ),
            "{name}"
        );
        // Storing again replaces.
        let mut a2 = a.clone();
        a2.skill = "tech".into();
        a2.context_score = 90.0;
        store.put_handoffs(&[a2.clone()]).await.expect("put again");
        assert_eq!(
            store.handoff(&cid("h-a")).await.expect("get"),
            Some(a2),
            "{name}"
        );
        assert!(
            filtered(HandoffFilter {
                max_context_score: Some(50.0),
                ..Default::default()
            })
            .await
            .is_empty(),
            "{name}: the columns are replaced too"
        );
        // Figures of a conversation that does not exist are refused, and nothing of the batch is
        // kept.
        let mut ghost = metrics("nope", 5_000, "x", "y", "z");
        ghost.skill = "ghost".into();
        let mut b2 = b.clone();
        b2.skill = "changed".into();
        assert!(store.put_handoffs(&[b2, ghost]).await.is_err(), "{name}");
        assert_eq!(
            store.handoff(&cid("h-b")).await.expect("get"),
            Some(b),
            "{name}: one transaction"
        );

        // The audit log: newest first, entries of the same millisecond by insertion.
        let mut e = audit("review.view", 100);
        e.conversation_id = Some(cid("h-a"));
        store.append_audit(&e).await.expect("audit");
        store
            .append_audit(&audit("review.list", 300))
            .await
            .expect("audit");
        store
            .append_audit(&audit("export.json", 200))
            .await
            .expect("audit");
        store
            .append_audit(&audit("export.vtt", 200))
            .await
            .expect("audit");
        let log = store.audit_log(3).await.expect("log");
        let got: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(got, ["review.list", "export.vtt", "export.json"], "{name}");
        let all = store.audit_log(10).await.expect("log");
        assert_eq!(all.last(), Some(&e), "{name}: every field kept");
    }
}

fn hook(n: u32) -> NewWebhook {
    NewWebhook {
        url: format!("http://127.0.0.1:9/{n}"),
        event_type: "handoff_completed".into(),
        body: format!("{{\"n\":{n}}}"),
    }
}

fn bodies(hooks: &[storage::QueuedWebhook]) -> Vec<String> {
    hooks.iter().map(|h| h.body.clone()).collect()
}

/// Webhooks are handed out oldest first and leave the outbox once delivered or given up. The
/// stores differ on purpose in one thing: Postgres (several nodes may deliver) takes what
/// `due_webhooks` hands out for ten minutes, or until its outcome is stored, so a second call
/// does not hand it out again; SQLite (one process, one deliverer) hands out what is due every
/// time.
#[tokio::test]
async fn the_webhook_outbox_behaves_alike_on_both_stores_but_postgres_holds_what_it_hands_out() {
    for (name, store, _dir) in stores().await {
        store
            .enqueue_webhook(&hook(1), at(0))
            .await
            .expect("enqueue");
        store
            .enqueue_webhook(&hook(2), at(1))
            .await
            .expect("enqueue");
        store
            .enqueue_webhook(&hook(3), at(5))
            .await
            .expect("enqueue");
        store
            .enqueue_webhook(&hook(4), at(1))
            .await
            .expect("enqueue");

        let due = store.due_webhooks(at(2), 2).await.expect("due");
        assert_eq!(
            bodies(&due),
            [r#"{"n":1}"#, r#"{"n":2}"#],
            "{name}: oldest first, limited"
        );
        assert_eq!(due[0].url, "http://127.0.0.1:9/1", "{name}");
        assert_eq!(due[0].event_type, "handoff_completed", "{name}");
        assert_eq!(due[0].attempts, 0, "{name}");
        let due_again = store.due_webhooks(at(2), 10).await.expect("due");
        match name {
            "sqlite" => assert_eq!(
                bodies(&due_again),
                [r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":4}"#],
                "sqlite: what is due, every time"
            ),
            _ => assert_eq!(
                bodies(&due_again),
                [r#"{"n":4}"#],
                "{name}: what was handed out is held"
            ),
        }
        let id = |n: u32| {
            due.iter()
                .chain(&due_again)
                .find(|h| h.body == format!("{{\"n\":{n}}}"))
                .map(|h| h.id)
                .expect("handed out")
        };
        store
            .webhook_attempted(id(1), &WebhookOutcome::Delivered, at(3))
            .await
            .expect("outcome");
        store
            .webhook_attempted(
                id(2),
                &WebhookOutcome::Retry {
                    at: at(10),
                    error: "HTTP 500".into(),
                },
                at(3),
            )
            .await
            .expect("outcome");
        store
            .webhook_attempted(
                id(4),
                &WebhookOutcome::GaveUp {
                    error: "HTTP 410".into(),
                },
                at(3),
            )
            .await
            .expect("outcome");
        // The outcome decides when it is due again, whatever the hold.
        assert_eq!(
            bodies(&store.due_webhooks(at(9), 10).await.expect("due")),
            [r#"{"n":3}"#],
            "{name}"
        );
        let due = store.due_webhooks(at(10), 10).await.expect("due");
        match name {
            "sqlite" => assert_eq!(bodies(&due), [r#"{"n":3}"#, r#"{"n":2}"#], "sqlite"),
            _ => assert_eq!(bodies(&due), [r#"{"n":2}"#], "{name}: 3 is still held"),
        }
        let retried = due.iter().find(|h| h.id == id(2)).expect("the retry");
        assert_eq!(retried.attempts, 1, "{name}: the attempt counted");
        // A deliverer that stopped before storing an outcome: its deliveries come back after the
        // hold (Postgres), at once (SQLite).
        let later = store
            .due_webhooks(at(10 + 10 * 60 * 1000), 10)
            .await
            .expect("due");
        assert_eq!(
            bodies(&later),
            [r#"{"n":3}"#, r#"{"n":2}"#],
            "{name}: nothing lost"
        );
    }
}

async fn pending(store: &dyn Store, when: i64) -> Vec<(OutboxKind, u64, u64, String)> {
    store
        .pending_emails(at(when), 100)
        .await
        .expect("pending")
        .into_iter()
        .map(|m| (m.kind, m.first_seq, m.last_seq, m.recipient))
        .collect()
}

async fn take(store: &dyn Store, when: i64, kind: OutboxKind) -> QueuedEmail {
    store
        .pending_emails(at(when), 100)
        .await
        .expect("pending")
        .into_iter()
        .find(|m| m.kind == kind)
        .expect("a pending e-mail of that kind")
}

#[tokio::test]
async fn the_email_outbox_behaves_alike_on_both_stores() {
    use OutboxKind::{Reply, Transcript};
    let dana = || "dana@example.com".to_owned();
    for (name, store, _dir) in stores().await {
        let store = &*store;
        commit(store, vec![create("e", 0)]).await;
        // Before an address is left, agents' replies owe nothing.
        commit(store, vec![say("e", Speaker::Agent, "hello?", 1)]).await;
        assert!(pending(store, 1).await.is_empty(), "{name}");
        let seqs = commit(
            store,
            vec![
                append("e", EventBody::FollowupRequested { email: dana() }, 2),
                say("e", Speaker::Agent, "We are on it", 3),
                say("e", Speaker::Customer, "thanks", 4),
            ],
        )
        .await;
        let first = seqs[1];
        let seqs = commit(
            store,
            vec![
                say("e", Speaker::Agent, "Found it", 5),
                append(
                    "e",
                    EventBody::TranscriptEmailRequested {
                        email: "t@example.com".into(),
                    },
                    6,
                ),
            ],
        )
        .await;
        let (second, transcript) = (seqs[0], seqs[1]);
        assert_eq!(
            pending(store, 6).await,
            [
                (Reply, first, second, dana()),
                (Transcript, transcript, transcript, "t@example.com".into())
            ],
            "{name}: a reply joins the unattempted batch"
        );
        let reply = take(store, 6, Reply).await;
        assert_eq!(
            (
                reply.first_at,
                reply.last_at,
                reply.attempts,
                reply.next_attempt_at
            ),
            (at(3), at(5), 0, None),
            "{name}"
        );

        // A claim on a stale copy fails; a claim succeeds once.
        let stale = QueuedEmail {
            last_seq: first,
            ..reply.clone()
        };
        assert!(
            !store.claim_email(&stale, at(100)).await.expect("claim"),
            "{name}: stale"
        );
        assert!(
            store.claim_email(&reply, at(100)).await.expect("claim"),
            "{name}"
        );
        assert!(
            !store.claim_email(&reply, at(100)).await.expect("claim"),
            "{name}: taken"
        );
        assert_eq!(
            pending(store, 7).await,
            [(Transcript, transcript, transcript, "t@example.com".into())],
            "{name}: held by the attempt"
        );
        // A reply after the attempt began starts a new batch.
        let third = commit(store, vec![say("e", Speaker::Agent, "One more thing", 8)]).await[0];
        store
            .email_attempted(reply.id, &EmailOutcome::Sent, at(9))
            .await
            .expect("outcome");
        let mail = take(store, 9, Transcript).await;
        assert!(
            store.claim_email(&mail, at(100)).await.expect("claim"),
            "{name}"
        );
        store
            .email_attempted(
                mail.id,
                &EmailOutcome::Retry {
                    at: at(50),
                    error: "421 try later".into(),
                },
                at(10),
            )
            .await
            .expect("outcome");
        assert_eq!(
            pending(store, 20).await,
            [(Reply, third, third, dana())],
            "{name}"
        );
        let both = store.pending_emails(at(50), 100).await.expect("pending");
        assert_eq!(both.len(), 2, "{name}: the retry is due");
        let retry = both
            .iter()
            .find(|m| m.kind == Transcript)
            .expect("transcript");
        assert_eq!(
            (retry.attempts, retry.next_attempt_at),
            (1, Some(at(50))),
            "{name}"
        );
        assert_eq!(
            store
                .pending_emails(at(50), 1)
                .await
                .expect("pending")
                .len(),
            1,
            "{name}: limited"
        );
        assert!(
            store.claim_email(retry, at(200)).await.expect("claim"),
            "{name}"
        );
        store
            .email_attempted(
                retry.id,
                &EmailOutcome::Failed {
                    error: "550 no such user".into(),
                },
                at(51),
            )
            .await
            .expect("outcome");
        let newest = take(store, 51, Reply).await;
        assert!(
            store.claim_email(&newest, at(200)).await.expect("claim"),
            "{name}"
        );
        store
            .email_attempted(newest.id, &EmailOutcome::Skipped, at(52))
            .await
            .expect("outcome");
        assert!(pending(store, 1_000_000).await.is_empty(), "{name}");
        assert_eq!(
            store.email_counts().await.expect("counts"),
            [
                ("failed".to_owned(), 1),
                ("sent".to_owned(), 1),
                ("skipped".to_owned(), 1)
            ],
            "{name}"
        );
    }
}

/// Two gateway nodes on one Postgres database deliver at once: every e-mail is claimed by one
/// node only, and every webhook handed out to one node only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_nodes_never_take_the_same_delivery() {
    let Some(url) = postgres::database() else {
        return;
    };
    let node1 = storage::open(&url, 4).await.expect("node 1");
    let node2 = storage::open(&url, 4).await.expect("node 2");
    const MAILS: usize = 30;
    const HOOKS: u32 = 60;
    let mut ops = vec![create("n", 0)];
    for i in 0..MAILS {
        ops.push(append(
            "n",
            EventBody::TranscriptEmailRequested {
                email: format!("t{i}@example.com"),
            },
            1,
        ));
    }
    commit(&*node1, ops).await;
    for n in 0..HOOKS {
        node1
            .enqueue_webhook(&hook(n), at(0))
            .await
            .expect("enqueue");
    }

    let claimer = |node: Arc<dyn Store>| {
        tokio::spawn(async move {
            let mails = node.pending_emails(at(2), 100).await.expect("pending");
            let mut won = Vec::new();
            for m in mails {
                if node.claim_email(&m, at(1_000)).await.expect("claim") {
                    won.push(m.id);
                }
            }
            won
        })
    };
    let (a, b) = tokio::join!(claimer(node1.clone()), claimer(node2.clone()));
    let (a, b) = (a.expect("node 1"), b.expect("node 2"));
    let a_set: BTreeSet<i64> = a.iter().copied().collect();
    let b_set: BTreeSet<i64> = b.iter().copied().collect();
    assert!(a_set.is_disjoint(&b_set), "an e-mail claimed twice");
    assert_eq!(
        a_set.len() + b_set.len(),
        MAILS,
        "every e-mail claimed once"
    );

    let deliverer = |node: Arc<dyn Store>| {
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = node.due_webhooks(at(1), 7).await.expect("due");
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|h| h.id));
            }
        })
    };
    let (a, b) = tokio::join!(deliverer(node1.clone()), deliverer(node2.clone()));
    let (a, b) = (a.expect("node 1"), b.expect("node 2"));
    let a_set: BTreeSet<i64> = a.iter().copied().collect();
    let b_set: BTreeSet<i64> = b.iter().copied().collect();
    assert_eq!(a_set.len(), a.len(), "node 1 was handed a webhook twice");
    assert_eq!(b_set.len(), b.len(), "node 2 was handed a webhook twice");
    assert!(a_set.is_disjoint(&b_set), "a webhook handed to both nodes");
    assert_eq!(
        a.len() + b.len(),
        HOOKS as usize,
        "every webhook handed out"
    );
}

fn recording(call: &str) -> EventBody {
    EventBody::RecordingReady {
        call_id: call.into(),
        clock_started_at: at(0),
        files: Vec::new(),
    }
}

#[tokio::test]
async fn call_recordings_are_found_alike_on_both_stores() {
    for (name, store, _dir) in stores().await {
        let store = &*store;
        commit(store, vec![create("r-a", 0), create("r-b", 0)]).await;
        commit(
            store,
            vec![
                append("r-a", recording("call-1"), 10),
                append("r-b", recording("call-2"), 20),
                append("r-a", recording("call-3"), 30),
            ],
        )
        .await;
        let pairs = |v: Vec<(ConversationId, String)>| -> Vec<(String, String)> {
            v.into_iter().map(|(c, call)| (c.0, call)).collect()
        };
        let p = |c: &str, call: &str| (c.to_owned(), call.to_owned());
        assert_eq!(
            pairs(store.calls_awaiting_transcript().await.expect("awaiting")),
            [p("r-a", "call-1"), p("r-b", "call-2"), p("r-a", "call-3")],
            "{name}: oldest first"
        );
        commit(
            store,
            vec![
                append(
                    "r-a",
                    EventBody::TranscriptReady {
                        call_id: "call-1".into(),
                        segments: Vec::new(),
                        audio_ms: 0,
                    },
                    40,
                ),
                // A transcript of another conversation's call id does not count.
                append(
                    "r-a",
                    EventBody::TranscriptReady {
                        call_id: "call-2".into(),
                        segments: Vec::new(),
                        audio_ms: 0,
                    },
                    40,
                ),
            ],
        )
        .await;
        assert_eq!(
            pairs(store.calls_awaiting_transcript().await.expect("awaiting")),
            [p("r-b", "call-2"), p("r-a", "call-3")],
            "{name}"
        );
        assert_eq!(
            pairs(store.recordings_older_than(at(30)).await.expect("older")),
            [p("r-a", "call-1"), p("r-b", "call-2")],
            "{name}: strictly before"
        );
        commit(
            store,
            vec![append(
                "r-b",
                EventBody::RecordingsDeleted {
                    call_id: "call-2".into(),
                    reason: "retention".into(),
                },
                50,
            )],
        )
        .await;
        assert_eq!(
            pairs(store.recordings_older_than(at(1_000)).await.expect("older")),
            [p("r-a", "call-1"), p("r-a", "call-3")],
            "{name}: deleted ones are done"
        );
    }
}

fn canned(id: &str, shortcut: &str, when: i64) -> CannedResponse {
    CannedResponse {
        id: id.into(),
        shortcut: shortcut.into(),
        title: format!("Title {shortcut}"),
        body: format!("Hello {{customer}}, about {shortcut}"),
        created_by: UserId("u-boss".into()),
        updated_by: UserId("u-boss".into()),
        created_at: at(when),
        updated_at: at(when),
    }
}

fn site(id: &str, name: &str, when: i64) -> Site {
    Site {
        id: id.into(),
        name: name.into(),
        origins: vec![
            "https://app.example.com".into(),
            "https://example.com".into(),
        ],
        secret: format!("secret-{id}"),
        color: Some("#112233".into()),
        greeting: None,
        conversations_per_minute: 12,
        created_at: at(when),
    }
}

#[tokio::test]
async fn canned_responses_and_sites_behave_alike_on_both_stores() {
    for (name, store, _dir) in stores().await {
        let store = &*store;
        let refund = canned("cr-1", "refund", 0);
        store
            .create_canned_response(&refund, Some(&audit("canned.create", 0)))
            .await
            .expect("create");
        // `a-z` before `ab`: shortcuts sort by bytes, as SQLite compares text (a locale would
        // skip the hyphen).
        store
            .create_canned_response(&canned("cr-2", "ab", 1), None)
            .await
            .expect("create");
        store
            .create_canned_response(&canned("cr-3", "a-z", 2), None)
            .await
            .expect("create");
        let shortcuts =
            |v: Vec<CannedResponse>| -> Vec<String> { v.into_iter().map(|c| c.shortcut).collect() };
        assert_eq!(
            shortcuts(store.canned_responses().await.expect("list")),
            ["a-z", "ab", "refund"],
            "{name}"
        );
        assert_eq!(
            store.canned_response("cr-1").await.expect("get"),
            Some(refund.clone()),
            "{name}"
        );
        assert_eq!(
            store.canned_response("nope").await.expect("get"),
            None,
            "{name}"
        );
        assert_eq!(actions(store).await, ["canned.create"], "{name}");

        // A taken shortcut is a conflict, and its audit entry is not kept.
        let taken = store
            .create_canned_response(
                &canned("cr-4", "refund", 3),
                Some(&audit("canned.create", 3)),
            )
            .await;
        assert!(
            matches!(taken, Err(StorageError::Conflict(_))),
            "{name}: {taken:?}"
        );
        let mut renamed = canned("cr-2", "refund", 4);
        renamed.updated_by = UserId("u-other".into());
        let taken = store
            .update_canned_response(&renamed, &audit("canned.update", 4))
            .await;
        assert!(
            matches!(taken, Err(StorageError::Conflict(_))),
            "{name}: {taken:?}"
        );
        assert_eq!(
            actions(store).await,
            ["canned.create"],
            "{name}: no audit without the change"
        );

        let mut changed = canned("cr-2", "billing", 5);
        changed.created_at = at(1);
        changed.updated_by = UserId("u-other".into());
        assert!(
            store
                .update_canned_response(&changed, &audit("canned.update", 5))
                .await
                .expect("update"),
            "{name}"
        );
        assert_eq!(
            store.canned_response("cr-2").await.expect("get"),
            Some(changed),
            "{name}: updated, creation kept"
        );
        assert!(
            !store
                .update_canned_response(&canned("nope", "zzz", 6), &audit("canned.update", 6))
                .await
                .expect("update"),
            "{name}: no such response"
        );
        assert!(
            store
                .delete_canned_response("cr-1", &audit("canned.delete", 7))
                .await
                .expect("delete"),
            "{name}"
        );
        assert!(
            !store
                .delete_canned_response("cr-1", &audit("canned.delete", 8))
                .await
                .expect("delete"),
            "{name}"
        );
        assert_eq!(
            actions(store).await,
            ["canned.delete", "canned.update", "canned.create"],
            "{name}: one audit entry per change made"
        );
        assert_eq!(
            shortcuts(store.canned_responses().await.expect("list")),
            ["a-z", "billing"],
            "{name}"
        );

        // Sites.
        store
            .create_site(&site("s-2", "shop", 0))
            .await
            .expect("create");
        store
            .create_site(&site("s-1", "Zebra", 1))
            .await
            .expect("create");
        store
            .create_site(&site("s-3", "shop", 2))
            .await
            .expect("create");
        assert!(
            store.create_site(&site("s-1", "again", 3)).await.is_err(),
            "{name}: a taken id"
        );
        let names = |v: Vec<Site>| -> Vec<String> { v.into_iter().map(|s| s.id).collect() };
        assert_eq!(
            names(store.sites().await.expect("sites")),
            ["s-1", "s-2", "s-3"],
            "{name}: by name (bytes), then id"
        );
        let mut declared = site("s-2", "Shop", 50);
        declared.origins = vec!["https://shop.example.com".into()];
        declared.greeting = Some("Hi!".into());
        declared.color = None;
        declared.conversations_per_minute = 0;
        store.upsert_site(&declared).await.expect("upsert");
        store
            .upsert_site(&site("s-4", "new", 60))
            .await
            .expect("upsert new");
        let sites = store.sites().await.expect("sites");
        let s2 = sites.iter().find(|s| s.id == "s-2").expect("s-2");
        assert_eq!(
            *s2,
            Site {
                created_at: at(0),
                ..declared
            },
            "{name}: the settings replaced, the creation time kept"
        );
        assert!(
            sites
                .iter()
                .any(|s| s.id == "s-4" && s.created_at == at(60)),
            "{name}"
        );
        assert!(
            store
                .set_site_secret("s-3", "rotated")
                .await
                .expect("secret"),
            "{name}"
        );
        assert!(
            !store
                .set_site_secret("nope", "rotated")
                .await
                .expect("secret"),
            "{name}"
        );
        assert!(store.delete_site("s-1").await.expect("delete"), "{name}");
        assert!(!store.delete_site("s-1").await.expect("delete"), "{name}");
        let sites = store.sites().await.expect("sites");
        assert_eq!(
            names(sites.clone()),
            ["s-2", "s-4", "s-3"],
            "{name}: Shop, new, shop"
        );
        assert_eq!(sites[2].secret, "rotated", "{name}");
    }
}

fn attachment(id: &str, conversation: &str, message: &MessageId, when: i64) -> StoredAttachment {
    StoredAttachment {
        id: id.into(),
        conversation_id: cid(conversation),
        message_id: message.clone(),
        uploaded_by: format!("customer:{conversation}"),
        name: format!("{id}.png"),
        content_type: "image/png".into(),
        kind: AttachmentKind::Image,
        size: 12_345,
        sha256: "ab".repeat(32),
        width: Some(640),
        height: Some(480),
        thumbnail_type: Some("image/webp".into()),
        created_at: at(when),
        deleted_at: None,
        deleted_reason: None,
    }
}

#[tokio::test]
async fn attachments_behave_alike_on_both_stores() {
    for (name, store, _dir) in stores().await {
        let store = &*store;
        commit(store, vec![create("f-a", 0), create("f-b", 0)]).await;
        let sent = message(Speaker::Customer, "see the screenshot", 10);
        let a1 = attachment("att_1", "f-a", &sent.id, 10);
        let mut a2 = attachment("att_2", "f-a", &MessageId("never-sent".into()), 5);
        a2.kind = AttachmentKind::Text;
        a2.width = None;
        a2.height = None;
        a2.thumbnail_type = None;
        let a3 = attachment("att_3", "f-b", &MessageId("also-unsent".into()), 20);
        for a in [&a1, &a2, &a3] {
            store.insert_attachment(a).await.expect("insert");
        }
        commit(
            store,
            vec![append(
                "f-a",
                EventBody::Message {
                    message: sent,
                    routing_skill: None,
                },
                11,
            )],
        )
        .await;
        let ids =
            |v: Vec<StoredAttachment>| -> Vec<String> { v.into_iter().map(|a| a.id).collect() };

        assert_eq!(
            store.attachment(&cid("f-a"), "att_1").await.expect("get"),
            Some(a1.clone()),
            "{name}"
        );
        assert_eq!(
            store.attachment(&cid("f-a"), "att_2").await.expect("get"),
            Some(a2.clone()),
            "{name}"
        );
        assert_eq!(
            store.attachment(&cid("f-b"), "att_1").await.expect("get"),
            None,
            "{name}: of its conversation only"
        );
        assert_eq!(
            ids(store.attachments_of(&cid("f-a")).await.expect("of")),
            ["att_2", "att_1"],
            "{name}: oldest first"
        );
        assert_eq!(
            store.attachments_on_disk(&cid("f-a")).await.expect("count"),
            2,
            "{name}"
        );
        assert_eq!(
            ids(store
                .attachments_older_than(at(15), 10)
                .await
                .expect("older")),
            ["att_2", "att_1"],
            "{name}"
        );
        assert_eq!(
            ids(store
                .attachments_older_than(at(100), 1)
                .await
                .expect("older")),
            ["att_2"],
            "{name}: limited"
        );
        assert_eq!(
            ids(store.unsent_attachments(at(100), 10).await.expect("unsent")),
            ["att_2", "att_3"],
            "{name}: those whose message is not in the log"
        );
        assert_eq!(
            ids(store.unsent_attachments(at(10), 10).await.expect("unsent")),
            ["att_2"],
            "{name}: strictly before"
        );

        store
            .mark_attachments_deleted(
                &["att_1".into(), "att_2".into(), "nope".into()],
                at(30),
                "retention",
            )
            .await
            .expect("mark");
        // Marking again keeps the first deletion.
        store
            .mark_attachments_deleted(&["att_1".into()], at(40), "unsent")
            .await
            .expect("mark");
        let gone = store
            .attachment(&cid("f-a"), "att_1")
            .await
            .expect("get")
            .expect("kept");
        assert_eq!(
            (gone.deleted_at, gone.deleted_reason.as_deref()),
            (Some(at(30)), Some("retention")),
            "{name}"
        );
        assert_eq!(
            store.attachments_on_disk(&cid("f-a")).await.expect("count"),
            0,
            "{name}"
        );
        assert!(
            store
                .attachments_older_than(at(100), 10)
                .await
                .expect("older")
                .iter()
                .all(|a| a.id == "att_3"),
            "{name}"
        );
        assert_eq!(
            ids(store.unsent_attachments(at(100), 10).await.expect("unsent")),
            ["att_3"],
            "{name}"
        );
        store
            .mark_attachments_deleted(&[], at(50), "retention")
            .await
            .expect("nothing to mark");

        store.remove_attachment("att_3").await.expect("remove");
        store
            .remove_attachment("att_3")
            .await
            .expect("remove again");
        assert!(
            store
                .attachments_of(&cid("f-b"))
                .await
                .expect("of")
                .is_empty(),
            "{name}"
        );
        // A record of a conversation that does not exist is refused.
        assert!(
            store
                .insert_attachment(&attachment("att_9", "nope", &MessageId("m".into()), 1))
                .await
                .is_err(),
            "{name}"
        );
    }
}
