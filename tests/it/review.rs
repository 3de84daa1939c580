//! Handoff review over the real gateway: a handoff's figures (durations, repeat asks, ratings)
//! computed from the persisted timeline, managers-only access with every read in the audit log,
//! exports with personal data redacted, the signed `handoff_completed` webhook, and the retention
//! job deleting old recordings while the transcript and figures stay.

use crate::common;

use axum::extract::State;
use axum::http::HeaderMap;
use common::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use warmline::assistant::AssistantConfig;
use warmline::domain::{
    CallOrigin, ConversationId, EventBody, ParticipantKind, RecordingFile, RecordingSource, Role,
    Speaker, TranscriptSegment,
};
use warmline::storage::WriteOp;

/// A webhook receiver on a loopback port: what it was sent (headers, body).
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(HeaderMap, String)>>>);

async fn webhook_receiver() -> (String, Received) {
    let received = Received::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |State(r): State<Received>, headers: HeaderMap, body: String| async move {
                    r.0.lock().unwrap().push((headers, body));
                    "ok"
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), received)
}

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Polls the manager's list until `pred` holds for the conversation's row.
async fn handoff_row(
    app: &TestApp,
    manager: &str,
    id: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..100 {
        let list = json_of(app.get(Some(manager), "/api/review/handoffs").await).await;
        if let Some(row) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["conversationId"] == id)
        {
            if pred(row) {
                return row.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the handoff's figures never got there");
}

const SECRET: &str = "review-test-webhook-secret";

#[tokio::test]
async fn a_resolved_handoff_is_measured_rated_exported_and_only_managers_read_it() {
    let (hook, received) = webhook_receiver().await;
    let app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::default();
        c.review.webhook_urls = vec![hook];
        c.review.webhook_secret = Some(SECRET.into());
    })
    .await;
    let sam_token = app
        .add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    let mut sam = app.socket(&sam_token).await;
    recv_type(&mut sam, &["agent_status"]).await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;

    let (id, customer) = app
        .new_conversation(json!({ "name": "Dana Whitfield", "email": "dana@example.com" }))
        .await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    for text in [
        "I was charged twice this month, invoice INV-20931 shows two charges of $49 for my Pro plan. My card is 4242 4242 4242 4242.",
        "This is ridiculous. I already tried that and it's still not fixed, I've been waiting for days. I want my money back now!",
    ] {
        assert_eq!(app.post_message(&customer, &id, text).await.status(), 201);
    }
    let offer = recv_type(&mut sam, &["offer"]).await;
    assert_eq!(offer["conversationId"], id);
    for kind in ["accept_offer", "open_briefing", "join_conversation"] {
        let done = step(&mut sam, json!({ "type": kind, "conversationId": id })).await;
        assert_eq!(done["type"], "done", "{kind}: {done}");
    }

    // Rating before resolution is refused; only the customer rates the handoff.
    let rate = |token: &str, body: Value| {
        app.http
            .post(app.url(&format!("/api/conversations/{id}/rating")))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let early = rate(&customer, json!({"score": 4, "repeated": true}))
        .await
        .unwrap();
    assert_eq!(early.status(), 409);

    // The agent asks for the invoice number the customer already gave (a repeat ask), and for
    // the browser, which nobody mentioned (not one).
    for text in [
        "Could you give me the invoice number, please?",
        "Which browser are you using to open the billing page?",
        "I've refunded the duplicate charge of $49 to your card.",
    ] {
        assert_eq!(app.post_message(&sam_token, &id, text).await.status(), 201);
    }
    assert_eq!(
        app.post_message(&customer, &id, "Chrome. Thanks, that's great!")
            .await
            .status(),
        201
    );
    let done = step(
        &mut sam,
        json!({ "type": "resolve_conversation", "conversationId": id }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
    next_event(&mut c, "conversation_resolved").await;

    // Ratings: the customer's survey, the agent's rating of the briefing; bad ones refused.
    assert_eq!(
        rate(&customer, json!({"score": 9, "repeated": true}))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        rate(&sam_token, json!({"score": 4, "repeated": true}))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        rate(&customer, json!({"score": "x"}))
            .await
            .unwrap()
            .status(),
        400
    );
    let ok = rate(
        &customer,
        json!({"score": 4, "repeated": true, "comment": "Had to give the invoice again."}),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 201);
    let briefing_rating = app
        .http
        .post(app.url(&format!("/api/conversations/{id}/briefing/rating")))
        .bearer_auth(&sam_token)
        .json(&json!({"score": 5, "comment": "All there."}))
        .send()
        .await
        .unwrap();
    assert_eq!(briefing_rating.status(), 201);

    // The figures, from the persisted timeline.
    let row = handoff_row(&app, &manager, &id, |r| {
        !r["customerRating"].is_null() && !r["briefingRatings"].as_array().unwrap().is_empty()
    })
    .await;
    let d = &row["durations"];
    for key in [
        "aiPhaseMs",
        "queueWaitMs",
        "offerReadMs",
        "briefingReadMs",
        "firstResponseMs",
        "resolutionMs",
    ] {
        assert!(d[key].is_u64(), "{key} measured: {row}");
    }
    assert_eq!(row["agentsInvolved"], 1);
    assert_eq!(row["agentName"], "sam (test)");
    assert_eq!(row["skill"], "billing");
    let asks = row["repeatAsks"].as_array().unwrap();
    assert_eq!(asks.len(), 1, "exactly the invoice question: {asks:?}");
    assert_eq!(asks[0]["factKind"], "invoice_id");
    assert_eq!(asks[0]["knownValue"], "INV-20931");
    assert!(row["contextScore"].as_f64().unwrap() < 100.0, "{row}");
    assert_eq!(row["customerRating"]["score"], 4);
    assert_eq!(row["customerRating"]["repeated"], true);
    assert_eq!(row["briefingRatings"][0]["score"], 5);
    assert_eq!(
        row["necessity"]["necessary"], true,
        "a refund needs a person: {row}"
    );

    // The signed webhook carried the figures.
    for _ in 0..50 {
        if !received.0.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (headers, body) = received
        .0
        .lock()
        .unwrap()
        .first()
        .cloned()
        .expect("webhook delivered");
    assert_eq!(headers["x-warmline-event"], "handoff_completed");
    let expected = warmline::assistant::hmac::signature_header(SECRET.as_bytes(), body.as_bytes());
    assert_eq!(headers["x-warmline-signature"].to_str().unwrap(), expected);
    let hooked: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(hooked["type"], "handoff_completed");
    assert_eq!(hooked["conversationId"], id);
    assert!(hooked["metrics"]["durations"]["queueWaitMs"].is_u64());

    // Customers and agents are refused every review endpoint and recording file.
    let review_paths = [
        "/api/review/handoffs".to_owned(),
        "/api/review/handoffs?format=csv".to_owned(),
        format!("/api/review/handoffs/{id}"),
        "/api/review/aggregates?by=agent".to_owned(),
        "/api/review/filters".to_owned(),
        "/api/review/audit".to_owned(),
        format!("/api/conversations/{id}/export.json"),
        format!("/api/conversations/{id}/transcript.vtt"),
        format!("/api/conversations/{id}/transcript.srt"),
        format!("/api/conversations/{id}/briefing.md"),
        format!("/api/conversations/{id}/recordings/call-1/mixed.ogg"),
    ];
    for path in &review_paths {
        for (who, token) in [("customer", &customer), ("agent", &sam_token)] {
            let res = app.get(Some(token), path).await;
            assert_eq!(res.status(), 403, "{who} on {path}");
        }
        assert_eq!(
            app.get(None, path).await.status(),
            401,
            "anonymous on {path}"
        );
    }

    // Managers read them.
    let view = json_of(
        app.get(Some(&manager), &format!("/api/review/handoffs/{id}"))
            .await,
    )
    .await;
    assert_eq!(view["metrics"]["conversationId"], id);
    assert!(view["briefing"]["summary"].is_string());
    assert_eq!(view["briefingDeliveredTo"]["agentName"], "sam (test)");
    assert!(!view["sentiment"].as_array().unwrap().is_empty());
    let aggregates = json_of(
        app.get(Some(&manager), "/api/review/aggregates?by=agent")
            .await,
    )
    .await;
    assert_eq!(aggregates["overall"]["handoffs"], 1);
    assert_eq!(aggregates["groups"][0]["label"], "sam (test)");
    let filters = json_of(app.get(Some(&manager), "/api/review/filters").await).await;
    assert!(filters["skills"]
        .as_array()
        .unwrap()
        .contains(&json!("billing")));

    let csv = app
        .get(Some(&manager), "/api/review/handoffs?format=csv")
        .await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(&id));

    // Exports: the unified JSON with the card number redacted, the briefing as Markdown.
    let export = app
        .get(
            Some(&manager),
            &format!("/api/conversations/{id}/export.json"),
        )
        .await;
    assert_eq!(export.status(), 200);
    let export = export.text().await.unwrap();
    assert!(!export.contains("4242 4242 4242 4242"), "card redacted");
    assert!(export.contains("4242]"), "last four kept: {export}");
    assert!(!export.contains("dana@example.com"), "e-mail redacted");
    let exported: Value = serde_json::from_str(&export).unwrap();
    assert_eq!(exported["conversationId"], id);
    assert!(exported["messages"].as_array().unwrap().len() >= 6);
    let md = app
        .get(
            Some(&manager),
            &format!("/api/conversations/{id}/briefing.md"),
        )
        .await;
    assert_eq!(md.status(), 200);
    assert!(md.text().await.unwrap().contains("INV-20931"));
    let vtt = app
        .get(
            Some(&manager),
            &format!("/api/conversations/{id}/transcript.vtt"),
        )
        .await;
    assert_eq!(vtt.status(), 404, "no call, no transcript");

    // Every manager read is in the audit log, with who and from where.
    let audit = json_of(app.get(Some(&manager), "/api/review/audit").await).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "review.list",
        "review.view",
        "review.aggregates",
        "export.json",
        "export.briefing",
    ] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
    let entry = &audit["items"][0];
    assert_eq!(entry["username"], "morgan");
    assert_eq!(entry["ip"], "127.0.0.1");
}

/// Writes a finished, recorded and transcribed call into the conversation, `age` ago.
async fn old_recorded_call(
    app: &TestApp,
    id: &str,
    age: chrono::Duration,
) -> (String, std::path::PathBuf) {
    let conversation = ConversationId(id.to_owned());
    let header = app.store().header(&conversation).await.unwrap().unwrap();
    let customer = header
        .participants
        .iter()
        .find(|p| p.kind == ParticipantKind::Customer)
        .unwrap()
        .id
        .clone();
    let call_id = "call-old-1".to_owned();
    let rel = format!("{id}/{call_id}");
    let dir = app.config.data_dir.join("recordings").join(&rel);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mixed.ogg");
    std::fs::write(&file, b"OggS stand-in bytes").unwrap();
    let then = chrono::Utc::now() - age;
    let append = |body| WriteOp::Append {
        conversation_id: conversation.clone(),
        body,
        client_id: None,
        at: then,
    };
    app.store()
        .apply_batch(vec![
            append(EventBody::CallStarted {
                call_id: call_id.clone(),
                origin: CallOrigin::Customer,
                recorded: true,
            }),
            append(EventBody::CallEnded {
                call_id: call_id.clone(),
                reason: "hangup".into(),
            }),
            append(EventBody::RecordingReady {
                call_id: call_id.clone(),
                clock_started_at: then,
                files: vec![RecordingFile {
                    participant_id: None,
                    source: RecordingSource::Mixed,
                    path: format!("{rel}/mixed.ogg"),
                    offset_ms: 0,
                    duration_ms: 6_000,
                    mime: "audio/ogg".into(),
                }],
            }),
            append(EventBody::TranscriptReady {
                call_id: call_id.clone(),
                segments: vec![TranscriptSegment {
                    participant_id: customer,
                    speaker: Speaker::Customer,
                    name: "Ana".into(),
                    start_ms: 500,
                    end_ms: 3_000,
                    text: "you can reach me at ana.lopez@example.com or 415 555 0132".into(),
                    confidence: 0.9,
                }],
                audio_ms: 6_000,
            }),
        ])
        .await
        .unwrap();
    (call_id, file)
}

#[tokio::test]
async fn the_retention_job_deletes_old_recordings_and_keeps_the_transcript() {
    let mut app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let (id, _customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    let (call_id, file) = old_recorded_call(&app, &id, chrono::Duration::days(40)).await;
    // The transcript export redacts the e-mail address and the phone number.
    app.restart().await;
    let vtt = app
        .get(
            Some(&manager),
            &format!("/api/conversations/{id}/transcript.vtt"),
        )
        .await;
    assert_eq!(vtt.status(), 200);
    let vtt = vtt.text().await.unwrap();
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    assert!(vtt.contains("[email]") && vtt.contains("[phone]"), "{vtt}");
    assert!(!vtt.contains("ana.lopez") && !vtt.contains("555"), "{vtt}");
    let srt = app
        .get(
            Some(&manager),
            &format!("/api/conversations/{id}/transcript.srt"),
        )
        .await;
    assert!(srt
        .text()
        .await
        .unwrap()
        .contains("00:00:00,500 --> 00:00:03,000"));

    // Kept for 60 days: nothing happens.
    let url = format!("/api/conversations/{id}/recordings/{call_id}/mixed.ogg");
    assert_eq!(app.get(Some(&manager), &url).await.status(), 200);

    // Kept for 30 days: the files go, the call says when, the transcript stays.
    app.config.review.retention_days = 30.0;
    app.config.review.retention_check_secs = 1;
    app.restart().await;
    for _ in 0..50 {
        if !file.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!file.exists(), "the recording was deleted");
    let mut conv = Value::Null;
    for _ in 0..50 {
        conv = json_of(
            app.get(Some(&manager), &format!("/api/conversations/{id}"))
                .await,
        )
        .await;
        if conv["calls"][0]["recordingsDeletedAt"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        conv["calls"][0]["recordingsDeletedAt"].is_string(),
        "{conv}"
    );
    assert!(conv["calls"][0].get("recordings").is_none(), "{conv}");
    assert_eq!(app.get(Some(&manager), &url).await.status(), 404);
    let vtt = app
        .get(
            Some(&manager),
            &format!("/api/conversations/{id}/transcript.vtt"),
        )
        .await;
    assert_eq!(vtt.status(), 200, "the transcript stays");
    // Once: a later round does not delete (or log) it again.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let events = json_of(
        app.get(Some(&manager), &format!("/api/conversations/{id}/events"))
            .await,
    )
    .await;
    let deletions = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "recordings_deleted")
        .count();
    assert_eq!(deletions, 1);
}
