//! Calls over the WebSocket without a browser: who may start and join a call, and bad input —
//! malformed SDP, a call frame for someone else's call, an ICE candidate flood, a member who
//! vanishes — each answered clearly while the gateway and the call carry on. A synthetic peer
//! built with the same `webrtc` crate stands in for a browser where a real offer is needed.

use crate::common;

use common::*;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use warmline::domain::Role;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder,
};

struct Quiet;
#[async_trait::async_trait]
impl PeerConnectionEventHandler for Quiet {}

/// A real SDP offer (audio, send and receive) from an in-process peer.
async fn real_offer() -> (Arc<dyn PeerConnection>, String) {
    let mut me = MediaEngine::default();
    me.register_default_codecs().unwrap();
    let pc: Arc<dyn PeerConnection> = Arc::new(
        PeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(me)
            .with_handler(Arc::new(Quiet))
            .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
            .build()
            .await
            .unwrap(),
    );
    pc.add_transceiver_from_kind(rtc::rtp_transceiver::rtp_sender::RtpCodecKind::Audio, None)
        .await
        .unwrap();
    let offer = pc.create_offer(None).await.unwrap();
    pc.set_local_description(offer).await.unwrap();
    let sdp = pc.local_description().await.unwrap().sdp;
    (pc, sdp)
}

async fn start_call(ws: &mut warmline::bench::client::Socket, conversation: &str) -> Value {
    send_json(
        ws,
        &json!({ "type": "call_start", "conversationId": conversation }),
    )
    .await
    .unwrap();
    recv_type(ws, &["call_ready", "error"]).await
}

async fn events(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let v: Value = app
        .get(Some(token), &format!("/api/conversations/{id}/events"))
        .await
        .json()
        .await
        .unwrap();
    v["events"].as_array().cloned().unwrap_or_default()
}

fn lenient(c: &mut warmline::config::Config) {
    c.limits.ws_frames_per_second = 10_000;
    c.limits.ws_frame_burst = 10_000;
    c.media.udp_port_min = 43000;
    c.media.udp_port_max = 43099;
}

#[tokio::test]
async fn only_the_customer_and_the_agents_in_the_conversation_take_part() {
    let app = spawn_app_with(lenient).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    let (_other_id, stranger) = app.new_conversation(json!({ "name": "Eve" })).await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let watcher = app.add_user("tess", Role::Agent, &["general"]).await;

    let mut c = app.socket(&customer).await;
    let ready = start_call(&mut c, &id).await;
    assert_eq!(ready["type"], "call_ready", "{ready}");
    let call_id = ready["callId"].as_str().unwrap().to_owned();
    assert_eq!(
        ready["recorded"], true,
        "recorded unless [media] recording = false"
    );
    assert!(ready["iceServers"].is_array());
    let again = start_call(&mut c, &id).await;
    assert_eq!(again["callId"], call_id, "one live call per conversation");

    let mut m = app.socket(&manager).await;
    let refused = start_call(&mut m, &id).await;
    assert_eq!(
        refused["code"], "forbidden",
        "managers review; they do not join: {refused}"
    );
    let mut w = app.socket(&watcher).await;
    let refused = start_call(&mut w, &id).await;
    assert_eq!(
        refused["code"], "forbidden",
        "seeing a conversation is not being in it"
    );

    // Another conversation's customer cannot reach this call, not even by its id.
    let mut s = app.socket(&stranger).await;
    send_json(
        &mut s,
        &json!({ "type": "call_offer", "callId": call_id, "sdp": "v=0" }),
    )
    .await
    .unwrap();
    let err = recv_type(&mut s, &["error"]).await;
    assert_eq!(err["code"], "not_found", "{err}");
    let refused = start_call(&mut s, &id).await;
    assert_eq!(refused["code"], "not_found");
}

#[tokio::test]
async fn bad_offers_and_candidate_floods_get_clear_errors_and_the_call_carries_on() {
    let app = spawn_app_with(lenient).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    let mut c = app.socket(&customer).await;
    let call_id = start_call(&mut c, &id).await["callId"]
        .as_str()
        .unwrap()
        .to_owned();

    for sdp in [
        "",
        "not an sdp at all",
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
    ] {
        send_json(
            &mut c,
            &json!({ "type": "call_offer", "callId": call_id, "sdp": sdp, "tracks": {} }),
        )
        .await
        .unwrap();
        let err = recv_type(&mut c, &["error"]).await;
        assert_eq!(err["code"], "bad_request", "{err}");
        assert_eq!(err["ref"], call_id);
    }
    send_json(&mut c, &json!({ "type": "call_offer", "callId": call_id, "sdp": "v=0", "tracks": { "t": "hologram" } }))
        .await
        .unwrap();
    assert_eq!(recv_type(&mut c, &["error"]).await["code"], "bad_request");
    send_json(&mut c, &json!({ "type": "call_ice", "callId": call_id, "candidate": { "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host" } }))
        .await
        .unwrap();
    assert_eq!(
        recv_type(&mut c, &["error"]).await["code"],
        "conflict",
        "not in the call yet"
    );

    // An offer without its `a=mid` lines is refused, and leaves nothing half-done: the next,
    // good offer is answered (it used to be refused until hang-up).
    let (_broken_peer, broken) = real_offer().await;
    let no_mid: String = broken
        .split("\r\n")
        .filter(|l| !l.starts_with("a=mid:") && !l.starts_with("a=group:BUNDLE"))
        .collect::<Vec<_>>()
        .join("\r\n");
    send_json(
        &mut c,
        &json!({ "type": "call_offer", "callId": call_id, "sdp": no_mid, "tracks": {} }),
    )
    .await
    .unwrap();
    let refused = recv_type(&mut c, &["call_answer", "error"]).await;
    assert_eq!(refused["type"], "error", "{refused}");

    // A real offer joins and is answered.
    let (_peer, sdp) = real_offer().await;
    send_json(
        &mut c,
        &json!({ "type": "call_offer", "callId": call_id, "sdp": sdp, "tracks": {} }),
    )
    .await
    .unwrap();
    let answer = recv_type(&mut c, &["call_answer", "error"]).await;
    assert_eq!(answer["type"], "call_answer", "{answer}");
    assert!(answer["sdp"].as_str().unwrap().starts_with("v=0"));

    // A flood of candidates: the first 64 are taken, then one clear error, then silence.
    for i in 0..200 {
        let cand = format!(
            "candidate:{i} 1 udp 2130706431 127.0.0.1 {} typ host",
            50000 + i
        );
        send_json(&mut c, &json!({ "type": "call_ice", "callId": call_id, "candidate": { "candidate": cand, "sdpMLineIndex": 0 } }))
            .await
            .unwrap();
    }
    let err = recv_type(&mut c, &["error"]).await;
    assert_eq!(err["code"], "too_many_candidates", "{err}");
    send_json(&mut c, &json!({ "type": "ping" })).await.unwrap();
    recv_type(&mut c, &["pong"]).await;
    // A renegotiation answer nobody asked for is refused without harm.
    send_json(
        &mut c,
        &json!({ "type": "call_answer", "callId": call_id, "sdp": "v=0" }),
    )
    .await
    .unwrap();
    assert_eq!(recv_type(&mut c, &["error"]).await["code"], "bad_sdp");

    // Everything is in the timeline: started, joined, and (microphone) nothing else yet.
    let staff = app.add_user("morgan", Role::Manager, &[]).await;
    let kinds: Vec<String> = events(&app, &staff, &id)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .filter(|k| k.starts_with("call_"))
        .collect();
    assert_eq!(kinds, ["call_started", "call_joined"]);
}

#[tokio::test]
async fn a_member_who_vanishes_leaves_and_the_empty_call_ends() {
    let app = spawn_app_with(lenient).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    let staff = app.add_user("morgan", Role::Manager, &[]).await;
    {
        let mut c = app.socket(&customer).await;
        let call_id = start_call(&mut c, &id).await["callId"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_peer, sdp) = real_offer().await;
        send_json(
            &mut c,
            &json!({ "type": "call_offer", "callId": call_id, "sdp": sdp }),
        )
        .await
        .unwrap();
        recv_type(&mut c, &["call_answer"]).await;
        // The socket drops without a hang-up.
    }
    let mut kinds = Vec::new();
    for _ in 0..50 {
        kinds = events(&app, &staff, &id)
            .await
            .iter()
            .filter(|e| e["type"].as_str().unwrap().starts_with("call_"))
            .map(|e| {
                format!(
                    "{}{}",
                    e["type"].as_str().unwrap(),
                    e["reason"]
                        .as_str()
                        .map(|r| format!(":{r}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        if kinds.iter().any(|k| k.starts_with("call_ended")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        kinds,
        [
            "call_started",
            "call_joined",
            "call_left:dropped",
            "call_ended:everyone_left"
        ]
    );
    // A new call can start afterwards.
    let mut c = app.socket(&customer).await;
    let ready = start_call(&mut c, &id).await;
    assert_eq!(ready["type"], "call_ready");
}

#[tokio::test]
async fn recording_can_be_turned_off_and_only_managers_fetch_recordings() {
    let app = spawn_app_with(|c| {
        lenient(c);
        c.media.recording = false;
    })
    .await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    let mut c = app.socket(&customer).await;
    let ready = start_call(&mut c, &id).await;
    assert_eq!(ready["recorded"], false, "{ready}");
    let started = events(&app, &customer, &id).await;
    let started = started
        .iter()
        .find(|e| e["type"] == "call_started")
        .unwrap();
    assert_eq!(started["recorded"], false);
    let call_id = ready["callId"].as_str().unwrap();

    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let agent = app.add_user("tess", Role::Agent, &["general"]).await;
    let url = format!("/api/conversations/{id}/recordings/{call_id}/mixed.ogg");
    assert_eq!(app.get(Some(&customer), &url).await.status(), 403);
    assert_eq!(app.get(Some(&agent), &url).await.status(), 403);
    assert_eq!(
        app.get(Some(&manager), &url).await.status(),
        404,
        "nothing recorded, nothing served"
    );
    assert_eq!(app.get(None, &url).await.status(), 401);
}

#[tokio::test]
async fn a_call_nobody_joins_is_ended_and_a_new_one_can_start() {
    let app = spawn_app_with(|c| {
        lenient(c);
        c.media.unjoined_call_secs = 1;
    })
    .await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    let staff = app.add_user("morgan", Role::Manager, &[]).await;
    let mut c = app.socket(&customer).await;
    let first = start_call(&mut c, &id).await["callId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ended = false;
    for _ in 0..40 {
        ended = events(&app, &staff, &id)
            .await
            .iter()
            .any(|e| e["type"] == "call_ended" && e["reason"] == "nobody_joined");
        if ended {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ended, "the unjoined call ends");
    let second = start_call(&mut c, &id).await["callId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second, "a fresh call, not the ended one");
}

/// Customers alone with the assistant hold a media port each: only so many such calls at once,
/// the next is asked to keep chatting; an ended call frees its place. With no handoff coming
/// (handoffs off here) they get no TURN relay.
#[tokio::test]
async fn calls_without_an_agent_are_capped_and_get_no_relay() {
    let app = spawn_app_with(|c| {
        lenient(c);
        c.handoff.enabled = false;
        c.media.max_calls_without_agent = 2;
        c.media.unjoined_call_secs = 1;
        c.media.turn = Some(warmline::media::config::TurnConfig {
            urls: vec!["turn:127.0.0.1:3478".into()],
            secret: "turn-secret-for-tests".into(),
            ttl_secs: 600,
        });
    })
    .await;
    let mut sockets = Vec::new();
    let mut ready = Vec::new();
    for name in ["Ana", "Ben", "Cy"] {
        let (id, token) = app.new_conversation(json!({ "name": name })).await;
        let mut ws = app.socket(&token).await;
        ready.push(start_call(&mut ws, &id).await);
        sockets.push((ws, id));
    }
    assert_eq!(ready[0]["type"], "call_ready", "{}", ready[0]);
    assert_eq!(ready[1]["type"], "call_ready", "{}", ready[1]);
    assert_eq!(ready[2]["code"], "rate_limited", "{}", ready[2]);
    let servers = ready[0]["iceServers"].as_array().unwrap();
    assert!(
        servers.iter().all(|s| s.get("username").is_none()),
        "no relay credentials for a customer alone with the assistant: {servers:?}"
    );
    // Nobody joins the first two: they end after a second, and the third customer gets a place.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let (ws, id) = &mut sockets[2];
    let again = start_call(ws, id).await;
    assert_eq!(again["type"], "call_ready", "{again}");
}

/// Starting a call while only the assistant is there is a request for a person: the conversation
/// escalates at once (`call_request`), and an agent on duty is offered it with the briefing.
#[tokio::test]
async fn a_call_started_with_only_the_assistant_escalates() {
    let app = spawn_app_with(|c| {
        lenient(c);
        c.media.turn = Some(warmline::media::config::TurnConfig {
            urls: vec!["turn:127.0.0.1:3478".into()],
            secret: "turn-secret-for-tests".into(),
            ttl_secs: 600,
        });
    })
    .await;
    let skills = ["general", "technical", "billing", "account", "integrations"];
    let agent = app.add_user("maria", Role::Agent, &skills).await;
    let mut maria = app.socket(&agent).await;
    recv_type(&mut maria, &["agent_status"]).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    assert_eq!(
        app.post_message(
            &customer,
            &id,
            "My dashboard shows the wrong totals since this morning"
        )
        .await
        .status(),
        201
    );
    let mut c = app.socket(&customer).await;
    let ready = start_call(&mut c, &id).await;
    assert_eq!(ready["type"], "call_ready", "{ready}");
    assert!(
        ready["iceServers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.get("username").is_some()),
        "a person is on the way: the customer may use the relay: {ready}"
    );
    let offer = recv_type(&mut maria, &["offer"]).await;
    assert_eq!(offer["conversationId"], id);
    assert_eq!(
        offer["briefing"]["escalation"]["trigger"], "call_request",
        "{offer}"
    );
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let kinds: Vec<String> = events(&app, &manager, &id)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    let started = kinds
        .iter()
        .position(|k| k == "call_started")
        .expect("call started");
    let escalated = kinds
        .iter()
        .position(|k| k == "escalation_triggered")
        .expect("escalated");
    assert!(started < escalated, "{kinds:?}");
}

/// SIGTERM to a real gateway process in the middle of a call and of a burst of messages: the
/// call ends as `shutdown` in the timeline (its member leaves as `shutdown`, not as a dropped
/// connection), sockets are told 1001, the process exits within its grace, and after a restart
/// every acknowledged message is there.
#[tokio::test]
async fn sigterm_mid_call_and_mid_burst_ends_the_call_and_loses_nothing() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let dir = tempfile::tempdir().expect("dir");
    let env = [
        ("WARMLINE_SHUTDOWN_GRACE_SECS", "6"),
        ("WARMLINE_MEDIA__UDP_PORT_MIN", "43100"),
        ("WARMLINE_MEDIA__UDP_PORT_MAX", "43199"),
        ("WARMLINE_TRANSCRIBE__ENABLED", "false"),
        ("WARMLINE_ASSISTANT__KIND", "none"),
        ("WARMLINE_LIMITS__CONVERSATIONS_PER_MINUTE_PER_IP", "100000"),
        (
            "WARMLINE_LIMITS__CHALLENGE_ABOVE_CONVERSATIONS_PER_MINUTE",
            "100000",
        ),
        ("WARMLINE_LIMITS__HTTP_REQUESTS_PER_SECOND_PER_IP", "100000"),
        ("WARMLINE_LIMITS__HTTP_REQUEST_BURST_PER_IP", "100000"),
    ];
    let (mut child, base) = spawn_binary(dir.path(), &env);
    let api = warmline::bench::client::Client::new(&base);
    let http = reqwest::Client::new();

    // A customer in a call: started, offered, answered, joined.
    let (id, customer) = api.create_conversation("Ana").await.expect("conversation");
    let mut ws = api.socket(&customer).await.expect("socket");
    let call_id = start_call(&mut ws, &id).await["callId"]
        .as_str()
        .expect("call id")
        .to_owned();
    let (_peer, sdp) = real_offer().await;
    send_json(
        &mut ws,
        &json!({ "type": "call_offer", "callId": call_id, "sdp": sdp }),
    )
    .await
    .expect("offer");
    recv_type(&mut ws, &["call_answer"]).await;

    // A burst in ten other conversations, as fast as each can go.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let (cid, token) = api
            .create_conversation(&format!("burst {i}"))
            .await
            .expect("conversation");
        let (http, base) = (http.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for n in 0.. {
                let key = format!("m{n}");
                let r = http
                    .post(format!("{base}/api/conversations/{cid}/messages"))
                    .bearer_auth(&token)
                    .json(&json!({ "content": format!("message {n}"), "clientMsgId": key }))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 201 => acked.push(key),
                    _ => break,
                }
            }
            (cid, token, acked)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let signalled = std::time::Instant::now();
    // SAFETY: kill only signals the child process we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };

    // The customer's socket is told the server is going away.
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = ws.next().await {
            if let Ok(Message::Close(c)) = frame {
                return c.map(|c| u16::from(c.code));
            }
        }
        None
    })
    .await
    .expect("the socket closes");
    assert_eq!(close, Some(1001), "close code");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    let took = signalled.elapsed();
    eprintln!("SIGTERM to exit: {} ms", took.as_millis());
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took < Duration::from_secs(8),
        "exited after {took:?} (grace 6 s)"
    );
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("burst task"));
    }
    let acked: usize = results.iter().map(|r| r.2.len()).sum();
    assert!(acked > 10, "the burst was under way ({acked} acknowledged)");

    // After a restart: every acknowledged message, and the call ended as `shutdown`.
    let (mut child, base) = spawn_binary(dir.path(), &env);
    let api = warmline::bench::client::Client::new(&base);
    for (cid, token, acked) in &results {
        let conv = api
            .get_json(&format!("/api/conversations/{cid}"), token)
            .await
            .expect("conversation");
        let keys: Vec<&str> = conv["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["clientMsgId"].as_str())
            .collect();
        for key in acked {
            assert!(
                keys.contains(&key.as_str()),
                "acknowledged {key} lost in {cid}"
            );
        }
    }
    let events = api
        .get_json(&format!("/api/conversations/{id}/events"), &customer)
        .await
        .expect("events");
    let kinds: Vec<String> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_str().unwrap_or("").starts_with("call_"))
        .map(|e| {
            format!(
                "{}{}",
                e["type"].as_str().unwrap_or(""),
                e["reason"]
                    .as_str()
                    .map(|r| format!(":{r}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "call_started",
            "call_joined",
            "call_left:shutdown",
            "call_ended:shutdown"
        ],
        "{events}"
    );
    // SAFETY: as above.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
}
