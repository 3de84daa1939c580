//! Handoff intelligence through the real gateway: the built-in assistant answering from the
//! knowledge base by meaning (the real embedding model), the briefing reading the customer as the
//! handoff article's example does, the assistant staying honest while the customer waits, and an
//! OpenAI-compatible model (a stand-in server) answering from the knowledge base and writing the
//! briefing's texts.

use crate::common;

use axum::routing::post;
use axum::{Json, Router};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;
use warmline::assistant::AssistantConfig;
use warmline::domain::Role;

/// The next `ai` (or `system`) message on the customer's socket.
async fn reply_to_customer(ws: &mut warmline::bench::client::Socket) -> Value {
    loop {
        let m = recv_message(ws).await;
        if matches!(m["message"]["speaker"].as_str(), Some("ai" | "system")) {
            return m["message"].clone();
        }
    }
}

/// The conversation as a manager reads it (briefing and escalation included).
async fn as_manager(app: &TestApp, manager: &str, id: &str) -> Value {
    app.get(Some(manager), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .expect("conversation json")
}

/// Waits until the stored briefing satisfies `done` (it is refreshed as the customer writes).
async fn briefing_when(
    app: &TestApp,
    manager: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..100 {
        let c = as_manager(app, manager, id).await;
        if done(&c["briefing"]) {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the briefing never got there: {}",
        as_manager(app, manager, id).await
    );
}

#[tokio::test]
async fn the_articles_sarah_is_answered_by_meaning_and_briefed_like_a_person_would() {
    let _heavy = heavy().await;
    let Some(model) = embedding_model() else {
        return;
    };
    let app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::default();
        c.semantic.model = Some(model);
        c.semantic.required = true;
    })
    .await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    // Sarah is signed in on the company's site, which vouches for her plan (an anonymous
    // browser's claims would be kept apart as unverified).
    let site = warmline::service::sites::create(
        &*app.store(),
        warmline::service::sites::NewSite {
            name: "Acme".into(),
            origins: vec!["https://app.acme.io".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let now = chrono::Utc::now().timestamp();
    let identity = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({
            "sub": "sarah", "name": "Sarah Chen", "iat": now, "exp": now + 600,
            "context": {"accountStatus": "pro-subscriber", "previousInteractions": 3,
                        "satisfactionHistory": [4.2, 3.8, 4.5], "productUsage": "power-user"},
        }),
        &jsonwebtoken::EncodingKey::from_secret(site.secret.as_bytes()),
    )
    .unwrap();
    let created: Value = app
        .http
        .post(app.url("/api/conversations"))
        .json(&json!({ "site": site.id, "identity": identity }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["conversationId"].as_str().unwrap().to_owned();
    let customer = created["customerToken"].as_str().unwrap().to_owned();
    let mut ws = app.socket(&customer).await;
    subscribe(&mut ws, &id, 0).await;

    // A paraphrase that never says "signature": answered from the webhooks article, naming it.
    app.post_message(
        &customer,
        &id,
        "Our endpoint keeps rejecting every event you push to it with a 401, the payload check on our side fails.",
    )
    .await;
    let answer = reply_to_customer(&mut ws).await;
    let sources: Vec<&str> = answer["sources"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        sources
            .iter()
            .all(|s| s.starts_with("webhooks-and-integrations#"))
            && !sources.is_empty(),
        "{answer}"
    );
    assert!(
        answer["content"]
            .as_str()
            .unwrap_or("")
            .contains("Webhooks and integrations"),
        "names the article: {answer}"
    );

    for text in [
        "I already rotated the signing secret and redeployed our Node/Express app. Still 401.",
        "I've been at this for 20 minutes. This is blocking my team's release tomorrow and it's really frustrating.",
        "Please just let me talk to a human.",
    ] {
        app.post_message(&customer, &id, text).await;
        reply_to_customer(&mut ws).await;
    }
    // The briefing follows the customer while they wait: done once it has the last message.
    let c = briefing_when(&app, &manager, &id, |b| {
        b["timePressure"].is_array()
            && ["explicit_request", "frustration"]
                .contains(&b["escalation"]["trigger"].as_str().unwrap_or(""))
    })
    .await;
    let b = &c["briefing"];
    assert!(
        ["explicit_request", "frustration"]
            .contains(&c["escalation"]["trigger"].as_str().unwrap_or("")),
        "{c}"
    );
    assert!(
        ["high", "critical"].contains(&c["escalation"]["urgency"].as_str().unwrap_or("")),
        "{c}"
    );
    assert_eq!(b["emotionalState"]["label"], "frustrated", "{b}");
    assert_eq!(b["emotionalState"]["trend"], "worsening", "{b}");
    let pressure = b["timePressure"].to_string();
    assert!(
        pressure.contains("tomorrow") && pressure.contains("release"),
        "{pressure}"
    );
    let attempts = b["detail"]["attempts"].to_string();
    assert!(
        attempts.contains("rotated the signing secret"),
        "{attempts}"
    );
    assert_eq!(b["timeSpent"]["text"], "20 minutes", "{b}");
    let summary = b["summary"].as_str().unwrap_or("");
    for part in ["Sarah", "Pro", "webhook", "frustrated", "tomorrow"] {
        assert!(summary.contains(part), "{part}: {summary}");
    }
    assert!(summary.chars().count() <= 280);
    let next = b["nextActions"].to_string().to_lowercase();
    assert!(next.contains("delivery logs"), "backend check next: {next}");
    assert!(!next.contains("rotate the signing secret"), "{next}");
}

#[tokio::test]
async fn a_waiting_customer_hears_where_they_stand_and_can_leave_an_email() {
    let app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Yuki Sato" })).await;
    let mut ws = app.socket(&customer).await;
    subscribe(&mut ws, &id, 0).await;

    // Nobody is signed in: the escalation says so and offers e-mail.
    app.post_message(
        &customer,
        &id,
        "I need to talk to a person about my invoice",
    )
    .await;
    let mut notice = reply_to_customer(&mut ws).await;
    while notice["speaker"] != "system" {
        notice = reply_to_customer(&mut ws).await;
    }
    assert!(
        notice["content"].as_str().unwrap_or("").contains("e-mail"),
        "{notice}"
    );

    app.post_message(&customer, &id, "Is anyone actually coming?")
        .await;
    let answer = reply_to_customer(&mut ws).await;
    let text = answer["content"].as_str().unwrap_or("");
    assert_eq!(answer["speaker"], "ai");
    assert!(
        text.contains("number 1") && text.contains("e-mail"),
        "{text}"
    );

    // A question the knowledge base answers is still answered while waiting.
    app.post_message(
        &customer,
        &id,
        "Meanwhile, where do I download my invoices?",
    )
    .await;
    let answer = reply_to_customer(&mut ws).await;
    assert!(
        answer["sources"].to_string().contains("download-invoices"),
        "{answer}"
    );

    app.post_message(
        &customer,
        &id,
        "Fine, continue by e-mail: yuki.sato@example.jp",
    )
    .await;
    let answer = reply_to_customer(&mut ws).await;
    assert!(
        answer["content"]
            .as_str()
            .unwrap_or("")
            .contains("yuki.sato@example.jp"),
        "{answer}"
    );
    // The address is a fact the agent will not ask for again.
    let c = briefing_when(&app, &manager, &id, |b| {
        b["knownFacts"].to_string().contains("yuki.sato@example.jp")
    })
    .await;
    assert_eq!(c["status"], "queued");

    // With an agent online, "how long?" gets the place in line and the estimate.
    let (_t, _sam) = {
        let token = app
            .add_user("sam", Role::Agent, &["billing", "general"])
            .await;
        let mut ws = app.socket(&token).await;
        recv_type(&mut ws, &["agent_status"]).await;
        (token, ws)
    };
    app.post_message(&customer, &id, "how much longer?").await;
    let answer = reply_to_customer(&mut ws).await;
    let text = answer["content"].as_str().unwrap_or("");
    assert!(
        text.contains("minute") || text.contains("reading"),
        "{text}"
    );
}

/// A stand-in OpenAI-compatible server: it answers from the first passage it is given (citing
/// it) and writes briefings from the facts; `slow` never answers in time.
async fn stand_in_model() -> String {
    let handler = |Json(body): Json<Value>| async move {
        let system = body["messages"][0]["content"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if body["model"] == "slow" {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        let content = if system.contains("briefing a human support agent") {
            json!({
                "summary": "Dana is upset about a duplicate charge and wants the money back.",
                "introduction": "I'm sorry about the double charge. I'll check both payments now.",
            })
            .to_string()
        } else {
            let after = system
                .split("Knowledge-base passages:")
                .nth(1)
                .unwrap_or("");
            let id = after
                .split('[')
                .nth(1)
                .and_then(|s| s.split(']').next())
                .unwrap_or("");
            json!({"reply": format!("Per our guide ({id}): here is what to do."), "confidence": 0.85, "sources": [id]})
                .to_string()
        };
        Json(json!({"choices": [{"message": {"role": "assistant", "content": content}}]}))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            Router::new().route("/v1/chat/completions", post(handler)),
        )
        .await;
    });
    format!("http://{addr}/v1")
}

fn openai(base: &str, model: &str, timeout_ms: u64) -> AssistantConfig {
    let toml = format!(
        "kind = \"openai\"\nbase_url = \"{base}\"\nmodel = \"{model}\"\ntimeout_ms = {timeout_ms}\n"
    );
    toml::from_str(&toml).expect("openai config")
}

#[tokio::test]
async fn a_language_model_answers_from_the_knowledge_base_and_writes_the_briefing() {
    let base = stand_in_model().await;
    let app = spawn_app_with(|c| c.assistant = openai(&base, "stand-in", 5_000)).await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let (id, customer) = app
        .new_conversation(json!({ "name": "Dana Whitfield" }))
        .await;
    let mut ws = app.socket(&customer).await;
    subscribe(&mut ws, &id, 0).await;

    app.post_message(
        &customer,
        &id,
        "I was charged twice for my Pro plan this month",
    )
    .await;
    let answer = reply_to_customer(&mut ws).await;
    assert!(
        answer["content"]
            .as_str()
            .unwrap_or("")
            .starts_with("Per our guide (billing-and-refunds#"),
        "{answer}"
    );
    assert!(
        answer["sources"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("billing-and-refunds#"),
        "{answer}"
    );

    app.post_message(
        &customer,
        &id,
        "This is ridiculous, I want a person to refund it now",
    )
    .await;
    let c = briefing_when(&app, &manager, &id, |b| b["writtenBy"].is_string()).await;
    let b = &c["briefing"];
    assert_eq!(b["writtenBy"], "openai:stand-in");
    assert_eq!(
        b["summary"],
        "Dana is upset about a duplicate charge and wants the money back."
    );
    // The gateway writes the greeting; the model wrote the rest, and the facts stayed the rules'.
    assert!(
        b["warmIntroduction"]
            .as_str()
            .unwrap_or("")
            .starts_with("Hi Dana!"),
        "{b}"
    );
    assert!(b["warmIntroduction"]
        .as_str()
        .unwrap_or("")
        .ends_with("I'll check both payments now."));
    assert!(b["knownFacts"].to_string().contains("Dana Whitfield"));
}

#[tokio::test]
async fn a_model_that_times_out_leaves_the_built_in_answer_in_the_same_turn() {
    let base = stand_in_model().await;
    let app = spawn_app_with(|c| c.assistant = openai(&base, "slow", 300)).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Lee" })).await;
    let mut ws = app.socket(&customer).await;
    subscribe(&mut ws, &id, 0).await;
    let started = std::time::Instant::now();
    app.post_message(&customer, &id, "Where do I download my invoices?")
        .await;
    let answer = reply_to_customer(&mut ws).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        answer["sources"][0], "billing-and-refunds#download-invoices-and-receipts",
        "{answer}"
    );
}

#[test]
fn the_embedding_matches_an_independent_reference() {
    let _heavy = heavy_blocking();
    use warmline::analysis::semantic::Embedder;
    let Some(model) = embedding_model() else {
        return;
    };
    let m = warmline::embed::MiniLm::load(&model).expect("model loads");
    // Printed by models/reference_embeddings.py, a float64 numpy implementation of the same
    // network written apart from this one.
    let reference: [(&str, [f32; 8]); 3] = [
        (
            "Our webhook deliveries to https://hooks.acme.io/in fail with HTTP 401",
            [
                -0.080788, 0.085164, -0.061845, -0.023158, -0.042118, -0.113441, -0.015609,
                -0.051529,
            ],
        ),
        (
            "Every event you push to our endpoint is rejected with a 401 by our signature check",
            [
                0.059672, 0.055572, -0.000735, -0.048204, 0.021568, -0.054677, 0.021082, -0.038532,
            ],
        ),
        (
            "How do I download my invoices?",
            [
                -0.044465, 0.041671, -0.055179, -0.048830, -0.086861, -0.023834, -0.063310,
                0.069310,
            ],
        ),
    ];
    let vectors: Vec<_> = reference
        .iter()
        .map(|(text, first)| {
            let v = m.embed(text).expect("embeds");
            for (got, want) in v.as_slice().iter().zip(first) {
                assert!(
                    (got - want).abs() < 1e-4,
                    "{text}: {:?} vs {first:?}",
                    &v.as_slice()[..8]
                );
            }
            v
        })
        .collect();
    for ((a, b), want) in [
        ((0, 1), 0.510442f32),
        ((0, 2), 0.197590),
        ((1, 2), 0.118728),
    ] {
        let got = vectors[a].cosine(&vectors[b]);
        assert!(
            (got - want).abs() < 1e-4,
            "cos({a},{b}) = {got}, reference {want}"
        );
    }
    // Packed into one pass, the same vectors come out.
    let batch = m
        .embed_all(&reference.iter().map(|r| r.0).collect::<Vec<_>>())
        .expect("batch");
    for (one, many) in vectors.iter().zip(&batch) {
        assert!(one.cosine(many) > 0.99999);
    }
    // A message and its sentences from one pass: the whole is the text's own vector, and each
    // sentence, read in context, stays near the same sentence read alone and far from the other.
    let text = "Hi, I'm Sarah from Acme. Our webhook deliveries to https://hooks.acme.io/in fail with HTTP 401. How do I download my invoices?";
    let parts = warmline::analysis::semantic::sentence_ranges(text);
    assert_eq!(parts.len(), 3, "{parts:?}");
    let (whole, sentences) = m.embed_parts(text, &parts).expect("parts");
    assert!(whole.cosine(&m.embed(text).expect("embeds")) > 0.99999);
    let alone = |i: usize| m.embed(&text[parts[i].clone()]).expect("embeds");
    assert!(
        sentences[1].cosine(&alone(1)) > 0.8,
        "{}",
        sentences[1].cosine(&alone(1))
    );
    assert!(
        sentences[2].cosine(&alone(2)) > 0.8,
        "{}",
        sentences[2].cosine(&alone(2))
    );
    assert!(sentences[1].cosine(&vectors[0]) > sentences[2].cosine(&vectors[0]));
    assert!(sentences[2].cosine(&vectors[2]) > sentences[1].cosine(&vectors[2]));
}
