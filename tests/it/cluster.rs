//! Cluster mode: gateway nodes on one Postgres database (`common::postgres`) and one NATS server
//! (`common::nats`). What one node commits reaches the sockets of the others, every event once and
//! in order, and a message NATS loses is delivered by the position check.

use crate::common::nats::NatsServer;
use crate::common::{self, postgres, send_json, subscribe, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use warmline::bench::client::{next_json, Socket};
use warmline::domain::Role;

/// A gateway node of the test's cluster.
async fn node(db: &str, nats: &str, name: &str, check_ms: u64) -> TestApp {
    common::spawn_app_with(|c| {
        c.storage.url = Some(db.to_owned());
        c.cluster.nats = Some(nats.to_owned());
        c.cluster.node_id = Some(name.to_owned());
        c.cluster.check_interval_ms = check_ms;
        // Every simulated browser is 127.0.0.1.
        c.limits.max_websockets_per_ip = 10_000;
        c.limits.max_connections_per_ip = 10_000;
        c.limits.http_requests_per_second_per_ip = 100_000;
        c.limits.http_request_burst_per_ip = 100_000;
        c.limits.conversations_per_minute_per_ip = 100_000;
    })
    .await
}

/// Subscribes `ws` to `id` from the start, sends `count` messages tagged `tag` (each after the
/// previous one's ack) if asked, and reads until it has seen `last`: every event's seq, in the
/// order they arrived.
async fn drive(
    mut ws: Socket,
    id: String,
    send: Option<(&'static str, usize)>,
    last: u64,
) -> Vec<u64> {
    let mut seqs: Vec<u64> = subscribe(&mut ws, &id, 0)
        .await
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    let (tag, count) = send.unwrap_or(("", 0));
    let mut sent = 0;
    let mut waiting = false;
    loop {
        if !waiting && sent < count {
            send_json(
                &mut ws,
                &json!({ "type": "send_message", "conversationId": id, "content": format!("{tag} {sent}"), "clientMsgId": format!("{tag}{sent}") }),
            )
            .await
            .expect("send");
            sent += 1;
            waiting = true;
        }
        if !waiting && sent == count && seqs.last() >= Some(&last) {
            return seqs;
        }
        let f: Value = tokio::time::timeout(Duration::from_secs(15), next_json(&mut ws))
            .await
            .unwrap_or_else(|_| panic!("{id}: stalled after seqs {:?}", seqs.last()))
            .expect("frame");
        match f["type"].as_str() {
            Some("ack") => waiting = false,
            Some("event") => seqs.extend(f["event"]["seq"].as_u64()),
            Some("error") => panic!("{id}: {f}"),
            _ => {}
        }
    }
}

/// Three nodes; 20 conversations, each with a customer socket on node 1 and another on node 3
/// (the same customer, two tabs) writing at once, and a manager on node 2 watching: every socket
/// gets seq 1..N exactly once, in order, and the database holds N events per conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_deliver_every_event_once_in_order() {
    let (Some(db), Some(nats)) = (postgres::database(), NatsServer::start()) else {
        return;
    };
    let n1 = node(&db, &nats.url, "n1", 1000).await;
    let n2 = node(&db, &nats.url, "n2", 1000).await;
    let n3 = node(&db, &nats.url, "n3", 1000).await;
    let manager = n2.add_user("morgan", Role::Manager, &[]).await;
    const CONVERSATIONS: usize = 20;
    const EACH: usize = 40;
    let last = 1 + 2 * EACH as u64;
    let mut tasks = Vec::new();
    for c in 0..CONVERSATIONS {
        let (id, customer) = n1
            .new_conversation(json!({ "name": format!("C{c}") }))
            .await;
        let a = n1.socket(&customer).await;
        let b = n3.socket(&customer).await;
        let watcher = n2.socket(&manager).await;
        tasks.push(tokio::spawn(drive(a, id.clone(), Some(("a", EACH)), last)));
        tasks.push(tokio::spawn(drive(b, id.clone(), Some(("b", EACH)), last)));
        tasks.push(tokio::spawn(drive(watcher, id.clone(), None, last)));
    }
    let expected: Vec<u64> = (1..=last).collect();
    for t in tasks {
        assert_eq!(t.await.expect("socket task"), expected);
    }
    let store = n2.store();
    let page = store
        .list_conversations_page(None, None, 100)
        .await
        .expect("list");
    assert_eq!(page.len(), CONVERSATIONS);
    for (h, _, _) in page {
        let events = store
            .events_after(&h.conversation_id, 0, 10_000)
            .await
            .expect("events");
        assert_eq!(events.len() as u64, last, "count = max(seq)");
        assert_eq!(h.last_seq, last);
    }
}

/// NATS stopped (SIGSTOP) for 3 s while a customer on node 1 writes, the last message alone:
/// the manager on node 2 still gets everything, once, within the check interval and a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_nats_delays_delivery_to_the_next_check_and_loses_nothing() {
    let (Some(db), Some(nats)) = (postgres::database(), NatsServer::start()) else {
        return;
    };
    let n1 = node(&db, &nats.url, "n1", 500).await;
    let n2 = node(&db, &nats.url, "n2", 500).await;
    let manager = n2.add_user("morgan", Role::Manager, &[]).await;
    let (id, customer) = n1.new_conversation(json!({ "name": "Ana" })).await;
    let mut watcher = n2.socket(&manager).await;
    subscribe(&mut watcher, &id, 0).await;
    let mut seen = Vec::new();
    for n in 0..3 {
        let text = format!("m{n}");
        assert!(n1
            .post_message(&customer, &id, &text)
            .await
            .status()
            .is_success());
    }
    nats.signal("STOP");
    for n in 3..6 {
        let text = format!("m{n}");
        assert!(n1
            .post_message(&customer, &id, &text)
            .await
            .status()
            .is_success());
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    nats.signal("CONT");
    // The lone last message.
    assert!(n1
        .post_message(&customer, &id, "m6")
        .await
        .status()
        .is_success());
    let started = std::time::Instant::now();
    while seen.last() != Some(&8) {
        let f = tokio::time::timeout(Duration::from_secs(5), next_json(&mut watcher))
            .await
            .unwrap_or_else(|_| panic!("stalled after {seen:?}"))
            .expect("frame");
        if f["type"] == "event" {
            seen.extend(f["event"]["seq"].as_u64());
        }
    }
    assert_eq!(
        seen,
        (2..=8).collect::<Vec<u64>>(),
        "every message once, in order"
    );
    assert!(
        started.elapsed() < Duration::from_millis(500 + 1000),
        "the last message arrived {:?} after it was sent",
        started.elapsed()
    );
}

/// With NATS gone, writes go on, `/readyz` says "degraded", and the other node's subscribers get
/// everything at the position check's interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nats_down_writes_go_on_and_readyz_says_degraded() {
    let (Some(db), Some(nats)) = (postgres::database(), NatsServer::start()) else {
        return;
    };
    let n1 = node(&db, &nats.url, "n1", 300).await;
    let n2 = node(&db, &nats.url, "n2", 300).await;
    let ready: Value = n1.get(None, "/readyz").await.json().await.expect("json");
    assert_eq!(ready["status"], "ready", "{ready}");
    let manager = n2.add_user("morgan", Role::Manager, &[]).await;
    let (id, customer) = n1.new_conversation(json!({ "name": "Ana" })).await;
    let mut watcher = n2.socket(&manager).await;
    subscribe(&mut watcher, &id, 0).await;
    drop(nats);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ready: Value = n1.get(None, "/readyz").await.json().await.expect("json");
        if ready["status"] == "degraded" {
            assert!(
                ready["reason"].as_str().is_some_and(|r| r.contains("NATS")),
                "{ready}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {ready}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for n in 0..5 {
        let text = format!("m{n}");
        assert_eq!(n1.post_message(&customer, &id, &text).await.status(), 201);
    }
    let mut seen = Vec::new();
    while seen.last() != Some(&6) {
        let f = tokio::time::timeout(Duration::from_secs(5), next_json(&mut watcher))
            .await
            .unwrap_or_else(|_| panic!("stalled after {seen:?}"))
            .expect("frame");
        if f["type"] == "event" {
            seen.extend(f["event"]["seq"].as_u64());
        }
    }
    assert_eq!(seen, (2..=6).collect::<Vec<u64>>());
}

/// Three `warmline serve` processes on one Postgres database and NATS. A manager watching on
/// node 2 sees the customer's messages from node 1; node 2 is killed (`kill -9`) mid-conversation
/// while the customer goes on writing; the manager reconnects to node 3 with `afterSeq` and gets
/// exactly what it missed, in order; the customer's resend of an acknowledged message, through
/// node 3, is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_loses_nothing_and_its_sockets_resume_on_another() {
    use warmline::bench::client::Client;
    let (Some(db), Some(nats)) = (postgres::database(), NatsServer::start()) else {
        return;
    };
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let start = |n: usize| {
        let name = format!("n{}", n + 1);
        common::spawn_binary(
            dirs[n].path(),
            &[
                ("WARMLINE_STORAGE__URL", db.as_str()),
                ("WARMLINE_CLUSTER__NATS", nats.url.as_str()),
                ("WARMLINE_CLUSTER__NODE_ID", name.as_str()),
                ("WARMLINE_CLUSTER__CHECK_INTERVAL_MS", "300"),
                ("WARMLINE_TRANSCRIBE__ENABLED", "false"),
                ("WARMLINE_ASSISTANT__KIND", "none"),
                ("WARMLINE_SEMANTIC__ENABLED", "false"),
            ],
        )
    };
    let (mut c1, base1) = start(0);
    let (mut c2, base2) = start(1);
    let (mut c3, base3) = start(2);
    let store = warmline::storage::open(&db, 2).await.expect("store");
    let policy =
        warmline::app::password_policy(&common::test_config(dirs[0].path())).expect("policy");
    warmline::app::admin::add_user(
        &*store,
        &policy,
        warmline::app::admin::UserSpec {
            username: "morgan".into(),
            name: "Morgan".into(),
            role: Role::Manager,
            password: Some("morgan-password-1".into()),
            skills: vec![],
            languages: vec!["en".into()],
            max_concurrent: 5,
        },
    )
    .await
    .expect("manager");
    let (node1, node2, node3) = (
        Client::new(&base1),
        Client::new(&base2),
        Client::new(&base3),
    );
    let manager = node2
        .login("morgan", "morgan-password-1")
        .await
        .expect("login");
    let (id, customer) = node1
        .create_conversation("Ana")
        .await
        .expect("conversation");
    let mut watcher = node2.socket(&manager).await.expect("socket");
    subscribe(&mut watcher, &id, 0).await;
    let mut writer = node1.socket(&customer).await.expect("socket");
    let mut acked = Vec::new();
    let say = |n: usize| json!({ "type": "send_message", "conversationId": id, "content": format!("m{n}"), "clientMsgId": format!("c{n}") });
    for n in 0..10 {
        send_json(&mut writer, &say(n)).await.expect("send");
        acked.push(common::recv_type(&mut writer, &["ack"]).await["seq"].as_u64());
    }
    let mut seen = Vec::new();
    while seen.last().copied() != acked[9] {
        let f = common::recv_type(&mut watcher, &["event"]).await;
        seen.extend(f["event"]["seq"].as_u64());
    }

    let _ = c2.kill();
    let _ = c2.wait();
    for n in 10..20 {
        send_json(&mut writer, &say(n)).await.expect("send");
        acked.push(common::recv_type(&mut writer, &["ack"]).await["seq"].as_u64());
    }
    let after = seen.last().copied().unwrap_or(0);
    let mut watcher = node3
        .socket(&manager)
        .await
        .expect("the manager's token works on node 3");
    let replay: Vec<u64> = subscribe(&mut watcher, &id, after)
        .await
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    let missed: Vec<Option<u64>> = acked[10..].to_vec();
    assert_eq!(
        replay.into_iter().map(Some).collect::<Vec<_>>(),
        missed,
        "exactly what was missed, in order"
    );

    // A resend of an acknowledged message through another node is the same message.
    let mut again = node3.socket(&customer).await.expect("socket");
    send_json(&mut again, &say(4)).await.expect("resend");
    assert_eq!(
        common::recv_type(&mut again, &["ack"]).await["seq"].as_u64(),
        acked[4]
    );
    let events = store
        .events_after(
            &warmline::domain::ConversationId::from(id.as_str()),
            0,
            1000,
        )
        .await
        .expect("events");
    let last = acked[19].expect("a seq");
    assert_eq!(
        events.len() as u64,
        last,
        "count = max(seq): nothing stored twice"
    );
    for child in [&mut c1, &mut c3] {
        let _ = child.kill();
        let _ = child.wait();
    }
}
