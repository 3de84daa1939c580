//! The store's contract, checked the same way on both stores: the embedded SQLite store and the
//! Postgres store of cluster mode (on a throwaway server, `common::postgres`). What one store does,
//! the other must do alike: seq numbering, idempotency, listings and searches, accounts. The
//! Postgres store is also run as two nodes writing one database at once.

use crate::common::postgres;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use warmline::domain::{
    ConversationHeader, ConversationId, ConversationStatus, Customer, EventBody, Message, Role,
    Speaker, UserId,
};
use warmline::storage::{
    self, NewToken, NewUser, SearchTerms, StorageError, Store, TokenKind, WriteOp, WriteOutcome,
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

fn create(id: &str, name: &str, when: i64) -> WriteOp {
    let customer = Customer {
        name: Some(name.to_owned()),
        email: Some(format!(
            "{}@example.com",
            name.split(' ').next().unwrap_or(name).to_lowercase()
        )),
        ..Default::default()
    };
    WriteOp::Create {
        header: ConversationHeader::new(ConversationId(id.to_owned()), customer, at(when)),
        customer_token: NewToken {
            hash: format!("hash-{id}"),
            id: format!("tok-{id}"),
            kind: TokenKind::Customer,
            user_id: None,
            conversation_id: Some(ConversationId(id.to_owned())),
            name: String::new(),
            created_at: at(when),
            expires_at: None,
        },
    }
}

fn say(id: &str, text: &str, client_id: Option<&str>, when: i64) -> WriteOp {
    WriteOp::Append {
        conversation_id: ConversationId(id.to_owned()),
        body: EventBody::Message {
            message: Message::new(Speaker::Customer, text, at(when)),
            routing_skill: None,
        },
        client_id: client_id.map(str::to_owned),
        at: at(when),
    }
}

fn append(id: &str, body: EventBody, when: i64) -> WriteOp {
    WriteOp::Append {
        conversation_id: ConversationId(id.to_owned()),
        body,
        client_id: None,
        at: at(when),
    }
}

/// `+seq` for a commit, `=seq` for a duplicate, `?` for an unknown conversation.
fn outcomes(out: &[WriteOutcome]) -> Vec<String> {
    out.iter()
        .map(|o| match o {
            WriteOutcome::Committed { event, .. } => format!("+{}", event.seq),
            WriteOutcome::Duplicate { event } => format!("={}", event.seq),
            WriteOutcome::UnknownConversation => "?".into(),
        })
        .collect()
}

async fn seqs(store: &dyn Store, id: &str) -> Vec<u64> {
    store
        .events_after(&ConversationId(id.to_owned()), 0, 100_000)
        .await
        .expect("events")
        .iter()
        .map(|e| e.seq)
        .collect()
}

#[tokio::test]
async fn seq_numbers_and_resends_behave_alike_on_both_stores() {
    for (name, store, _dir) in stores().await {
        let out = store
            .apply_batch(vec![
                create("c-1", "Sarah", 0),
                say("c-1", "hello", Some("m1"), 1),
                say("c-1", "hello", Some("m1"), 1),
                create("c-2", "Ben", 2),
                say("c-2", "hi", None, 3),
                say("nope", "hi", None, 3),
            ])
            .await
            .expect("batch");
        assert_eq!(
            outcomes(&out),
            ["+1", "+2", "=2", "+1", "+2", "?"],
            "{name}"
        );
        let out = store
            .apply_batch(vec![
                say("c-1", "again", Some("m1"), 9),
                say("c-1", "more", Some("m2"), 10),
            ])
            .await
            .expect("batch");
        assert_eq!(outcomes(&out), ["=2", "+3"], "{name}");
        let WriteOutcome::Duplicate { event } = &out[0] else {
            panic!("{name}: not a duplicate");
        };
        assert_eq!(
            event.timestamp,
            at(1),
            "{name}: the original, not the resend"
        );
        store.flush().await.expect("flush");
        assert_eq!(seqs(&*store, "c-1").await, [1, 2, 3], "{name}");
        let header = store
            .header(&ConversationId("c-1".into()))
            .await
            .expect("header")
            .expect("exists");
        assert_eq!(header.last_seq, 3, "{name}");
        assert_eq!(header.updated_at, Some(at(10)), "{name}");
        let conv = store
            .conversation(&ConversationId("c-1".into()))
            .await
            .expect("read")
            .expect("exists");
        let texts: Vec<&str> = conv.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["hello", "more"], "{name}");
        assert_eq!(conv.messages[1].seq, 3, "{name}: a message knows its seq");
        // The customer's token of a new conversation is committed with it.
        let who = store
            .resolve_token("hash-c-2", at(20))
            .await
            .expect("resolve");
        assert!(
            matches!(who, Some(warmline::domain::Principal::Customer { ref conversation_id }) if conversation_id.0 == "c-2"),
            "{name}: {who:?}"
        );
    }
}

#[tokio::test]
async fn listings_and_searches_find_the_same_conversations_on_both_stores() {
    for (name, store, _dir) in stores().await {
        store
            .apply_batch(vec![
                create("a", "Sarah Connor", 0),
                say("a", "My webhook deliveries fail with 401", None, 1),
                create("b", "Ben Smith", 2),
                say("b", "I was charged twice for the Pro plan", None, 3),
                create("c", "Chloé Martin", 4),
                say("c", "Where is my invoice?", None, 5),
            ])
            .await
            .expect("batch");
        store
            .apply_batch(vec![
                append(
                    "b",
                    EventBody::TagsChanged {
                        agent_id: UserId("u1".into()),
                        tags: vec!["billing".into(), "refund".into()],
                    },
                    6,
                ),
                append(
                    "c",
                    EventBody::StatusChanged {
                        status: ConversationStatus::Resolved,
                        reason: None,
                    },
                    7,
                ),
            ])
            .await
            .expect("batch");
        store.flush().await.expect("flush");
        let ids = |rows: Vec<(ConversationHeader, _, _)>| -> Vec<String> {
            rows.into_iter()
                .map(|(h, _, _)| h.conversation_id.0)
                .collect()
        };
        let all = store
            .list_conversations_page(None, None, 10)
            .await
            .expect("list");
        assert_eq!(ids(all.clone()), ["c", "b", "a"], "{name}: newest first");
        let after_first = store
            .list_conversations_page(None, Some(&all[0].2), 10)
            .await
            .expect("page");
        assert_eq!(ids(after_first), ["b", "a"], "{name}: the cursor continues");
        let resolved = store
            .list_conversations_page(Some(ConversationStatus::Resolved), None, 10)
            .await
            .expect("list");
        assert_eq!(ids(resolved), ["c"], "{name}");

        let search = |text: Option<&'static str>, tag: Option<&'static str>| {
            let store = store.clone();
            async move {
                let terms = SearchTerms::new(text, tag).expect("terms");
                ids(store
                    .search_conversations_page(&terms, None, 10)
                    .await
                    .expect("search"))
            }
        };
        assert_eq!(search(Some("webhook"), None).await, ["a"], "{name}: a word");
        assert_eq!(
            search(Some("deliv 40"), None).await,
            ["a"],
            "{name}: prefixes"
        );
        assert_eq!(
            search(Some("charged pro"), None).await,
            ["b"],
            "{name}: every word"
        );
        assert_eq!(
            search(Some("sarah"), None).await,
            ["a"],
            "{name}: the name, any case"
        );
        assert_eq!(
            search(Some("BEN@EXAMPLE"), None).await,
            ["b"],
            "{name}: the e-mail"
        );
        assert_eq!(search(None, Some("billing")).await, ["b"], "{name}: a tag");
        assert!(
            search(Some("100%_"), None).await.is_empty(),
            "{name}: LIKE escapes"
        );
        assert!(
            search(Some("nothing-like-it"), None).await.is_empty(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn accounts_behave_alike_on_both_stores() {
    for (name, store, _dir) in stores().await {
        let user = NewUser {
            username: "maya".into(),
            name: "Maya".into(),
            role: Role::Agent,
            password_hash: "$argon2id$fake".into(),
            skills: vec!["billing".into()],
            languages: vec!["en".into()],
            max_concurrent: 3,
        };
        let maya = store
            .create_user(user.clone(), at(0))
            .await
            .expect("create");
        assert!(
            matches!(
                store.create_user(user, at(1)).await,
                Err(StorageError::Conflict(_))
            ),
            "{name}: a taken username is a conflict"
        );
        let (found, hash) = store
            .credentials("maya")
            .await
            .expect("credentials")
            .expect("exists");
        assert_eq!(
            (found.id.clone(), hash.as_str()),
            (maya.id.clone(), "$argon2id$fake"),
            "{name}"
        );
        assert_eq!(found.skills, ["billing"], "{name}");
        store
            .insert_token(NewToken {
                hash: "staff-hash".into(),
                id: "tok-staff".into(),
                kind: TokenKind::Staff,
                user_id: Some(maya.id.clone()),
                conversation_id: None,
                name: String::new(),
                created_at: at(0),
                expires_at: Some(at(60_000)),
            })
            .await
            .expect("token");
        assert!(
            store
                .resolve_token("staff-hash", at(1))
                .await
                .expect("resolve")
                .is_some(),
            "{name}"
        );
        assert!(
            store
                .resolve_token("staff-hash", at(60_000))
                .await
                .expect("resolve")
                .is_none(),
            "{name}: expired"
        );
        assert!(
            store
                .set_user_disabled("maya", true, at(2))
                .await
                .expect("disable"),
            "{name}"
        );
        assert!(
            store
                .resolve_token("staff-hash", at(3))
                .await
                .expect("resolve")
                .is_none(),
            "{name}: disabling ends the sessions"
        );
        let ended = store
            .tokens_ended_between(at(2), at(3))
            .await
            .expect("ended");
        assert_eq!(ended, ["staff-hash"], "{name}");
        assert!(
            !store
                .set_user_disabled("nobody", true, at(2))
                .await
                .expect("disable"),
            "{name}"
        );
        assert_eq!(store.count_users().await.expect("count"), 1, "{name}");
    }
}

/// The whole gateway on the Postgres store: concurrent senders, a restart, every acknowledged
/// message in its place. (The rest of the suite runs on Postgres with `WLTEST_STORE=postgres`.)
#[tokio::test]
async fn the_gateway_keeps_every_acknowledged_message_on_postgres() {
    let Some(url) = postgres::database() else {
        return;
    };
    let app = crate::common::spawn_app_with(|c| c.storage.url = Some(url)).await;
    crate::restart::every_acknowledged_message_survives_a_restart_of(app).await;
}

/// Two gateway nodes on one Postgres database, each with its own store and its own writer,
/// append to the same conversations at once: every conversation's seq is 1..N without a gap or
/// a repeat, and a resend sent to both nodes at once is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_nodes_write_the_same_conversations_without_gaps_or_repeats() {
    let Some(url) = postgres::database() else {
        return;
    };
    let node1 = storage::open(&url, 4).await.expect("node 1");
    let node2 = storage::open(&url, 4).await.expect("node 2");
    const CONVERSATIONS: usize = 8;
    const BATCHES: usize = 25;
    let creates = (0..CONVERSATIONS)
        .map(|i| create(&format!("k-{i}"), "Sarah", 0))
        .collect();
    node1.apply_batch(creates).await.expect("create");

    let writer = |node: Arc<dyn Store>, tag: &'static str| {
        tokio::spawn(async move {
            for b in 0..BATCHES {
                // Each batch touches every conversation, in a different order per node and
                // batch: the locks must still be taken without a cycle.
                let mut ops: Vec<WriteOp> = (0..CONVERSATIONS)
                    .map(|i| {
                        let i = if tag == "n1" {
                            i
                        } else {
                            CONVERSATIONS - 1 - i
                        };
                        say(
                            &format!("k-{i}"),
                            &format!("{tag} {b}"),
                            Some(&format!("{tag}-{b}-{i}")),
                            1,
                        )
                    })
                    .collect();
                ops.rotate_left(b % CONVERSATIONS);
                let out = node.apply_batch(ops).await.expect("batch");
                assert!(out
                    .iter()
                    .all(|o| matches!(o, WriteOutcome::Committed { .. })));
            }
        })
    };
    let (a, b) = tokio::join!(writer(node1.clone(), "n1"), writer(node2.clone(), "n2"));
    a.expect("node 1 writer");
    b.expect("node 2 writer");

    for i in 0..CONVERSATIONS {
        let id = format!("k-{i}");
        let expected: Vec<u64> = (1..=(1 + 2 * BATCHES as u64)).collect();
        assert_eq!(seqs(&*node2, &id).await, expected, "{id}");
        let h = node1
            .header(&ConversationId(id.clone()))
            .await
            .expect("header")
            .expect("exists");
        assert_eq!(
            h.last_seq,
            1 + 2 * BATCHES as u64,
            "{id}: the row is current"
        );
    }

    // The same resend on both nodes at once: one commit, one duplicate of it.
    let (r1, r2) = tokio::join!(
        node1.apply_batch(vec![say("k-0", "once", Some("same"), 5)]),
        node2.apply_batch(vec![say("k-0", "once", Some("same"), 5)]),
    );
    let mut both = outcomes(&r1.expect("node 1"));
    both.extend(outcomes(&r2.expect("node 2")));
    both.sort();
    let seq = 2 + 2 * BATCHES as u64;
    assert_eq!(both, [format!("+{seq}"), format!("={seq}")]);
}

/// `warmline migrate` copies a single-node SQLite database into an empty Postgres database: a
/// gateway started on it serves the same conversations with the same seq numbers, recognises a
/// resend made before the move, continues the log without a gap, and keeps staff passwords and
/// customers' tokens working. A second copy into the same database is refused.
#[tokio::test]
async fn migrate_copies_a_single_node_database_into_postgres() {
    use serde_json::json;
    let Some(url) = postgres::database() else {
        return;
    };
    let mut app = crate::common::spawn_app_with(|c| c.storage.url = None).await;
    let staff = app.add_user("maria", Role::Agent, &["general"]).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Sarah" })).await;
    let mut ws = app.socket(&customer).await;
    let mut acked = Vec::new();
    for n in 0..30 {
        crate::common::send_json(
            &mut ws,
            &json!({ "type": "send_message", "conversationId": id, "content": format!("m{n}"), "clientMsgId": format!("c{n}") }),
        )
        .await
        .expect("send");
        acked.push(crate::common::recv_type(&mut ws, &["ack"]).await["seq"].clone());
    }
    drop(ws);
    let tagged = app
        .http
        .put(app.url(&format!("/api/conversations/{id}/tags")))
        .bearer_auth(&staff)
        .json(&json!({ "tags": ["billing"] }))
        .send()
        .await
        .expect("tags");
    assert!(tagged.status().is_success(), "{}", tagged.status());
    if let Some(r) = app.running.take() {
        r.stop().await.expect("gateway stops");
    }

    let data_dir = app.dir.path().to_owned();
    let migrate = |to: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_warmline"))
            .args(["migrate", "--to", to])
            .env("WARMLINE_DATA_DIR", &data_dir)
            .env("WARMLINE_LOG__FILTER", "warn")
            .output()
            .expect("warmline migrate runs")
    };
    let out = migrate(&url);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("events: "), "{stdout}");

    app.config.storage.url = Some(url.clone());
    app.restart().await;
    let conv: serde_json::Value = app
        .get(Some(&customer), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .expect("conversation");
    let seqs: Vec<serde_json::Value> = conv["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].clone())
        .collect();
    assert_eq!(
        seqs, acked,
        "the customer's token works and the seqs are kept"
    );
    let mut ws = app.socket(&customer).await;
    crate::common::send_json(
        &mut ws,
        &json!({ "type": "send_message", "conversationId": id, "content": "m7", "clientMsgId": "c7" }),
    )
    .await
    .expect("resend");
    assert_eq!(
        crate::common::recv_type(&mut ws, &["ack"]).await["seq"],
        acked[7],
        "a resend from before the move is recognised"
    );
    crate::common::send_json(
        &mut ws,
        &json!({ "type": "send_message", "conversationId": id, "content": "after", "clientMsgId": "new" }),
    )
    .await
    .expect("send");
    let last = acked.last().and_then(|v| v.as_u64()).expect("a seq");
    let next = crate::common::recv_type(&mut ws, &["ack"]).await["seq"].as_u64();
    assert!(
        next > Some(last),
        "the log continues: {next:?} after {last}"
    );
    app.login("maria").await;
    let listed: serde_json::Value = app
        .get(Some(&staff), "/api/conversations?tag=billing")
        .await
        .json()
        .await
        .expect("a session from before the move still works");
    assert_eq!(
        listed["conversations"][0]["conversationId"],
        json!(id),
        "{listed}"
    );

    let again = migrate(&url);
    assert!(
        !again.status.success(),
        "a second copy into the same database is refused"
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
