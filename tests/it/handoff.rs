//! The warm handoff end to end over the real gateway: a frustrated customer is escalated with a
//! transparent message and an estimate, the agent with the right skill receives the briefing,
//! accepts, opens it and joins, and the customer sees the warm introduction. The persisted timeline
//! holds every step in order; the customer never sees the briefing.

use crate::common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;
use warmline::assistant::AssistantConfig;
use warmline::domain::Role;

/// The next frame of `kind` (skipping everything else).
async fn next(ws: &mut warmline::bench::client::Socket, kind: &str) -> Value {
    recv_type(ws, &[kind]).await
}

/// The next message event from `speaker`.
async fn next_from(ws: &mut warmline::bench::client::Socket, speaker: &str) -> Value {
    loop {
        let m = recv_message(ws).await;
        if m["message"]["speaker"] == speaker {
            return m["message"].clone();
        }
    }
}

/// Waits for `agent_status` so the agent is known to routing before anything is escalated.
async fn online_agent(
    app: &TestApp,
    username: &str,
    skills: &[&str],
) -> (String, warmline::bench::client::Socket) {
    let token = app.add_user(username, Role::Agent, skills).await;
    let mut ws = app.socket(&token).await;
    let status = next(&mut ws, "agent_status").await;
    assert_eq!(status["status"], "available");
    (token, ws)
}

async fn events_as(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let v: Value = app
        .get(Some(token), &format!("/api/conversations/{id}/events"))
        .await
        .json()
        .await
        .unwrap();
    v["events"].as_array().cloned().unwrap_or_default()
}

const BILLING_TROUBLE: [&str; 2] = [
    "I was charged twice this month, invoice INV-20931 shows two charges of $49 for my Pro plan.",
    "This is ridiculous. I already tried that and it's still not fixed, I've been waiting for days. I want my money back now!",
];

#[tokio::test]
async fn a_frustrated_customer_reaches_a_briefed_billing_agent() {
    let app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    let (_maria, mut maria) = online_agent(&app, "maria", &["technical", "integrations"]).await;
    let (_sam_token, mut sam) = online_agent(&app, "sam", &["billing", "general"]).await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;

    let (id, customer) = app
        .new_conversation(json!({ "name": "Dana Whitfield", "email": "dana@example.com" }))
        .await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;

    for text in BILLING_TROUBLE {
        let res = app.post_message(&customer, &id, text).await;
        assert_eq!(res.status(), 201);
        next_from(&mut c, "customer").await;
        if text == BILLING_TROUBLE[0] {
            let answer = next_from(&mut c, "ai").await;
            assert!(
                !answer["actionsAttempted"].as_array().unwrap().is_empty(),
                "the assistant tries first: {answer}"
            );
        }
    }

    // The customer: a transparent escalation message with the estimate, while queued.
    let status = next_event(&mut c, "status_changed").await;
    assert_eq!(status["status"], "queued");
    let notice = next_from(&mut c, "system").await;
    let text = notice["content"].as_str().unwrap();
    assert!(
        text.contains("billing specialist"),
        "says who is coming: {text}"
    );
    assert!(text.contains("wait"), "sets expectations: {text}");
    assert!(
        text.contains("won't need to repeat"),
        "context preserved: {text}"
    );

    // The right-skilled agent gets the offer with the briefing; the other agent does not.
    let offer = next(&mut sam, "offer").await;
    assert_eq!(offer["conversationId"], id);
    assert_eq!(offer["skill"], "billing");
    let briefing = &offer["briefing"];
    assert!(
        ["frustration", "repeated_failure"]
            .contains(&briefing["escalation"]["trigger"].as_str().unwrap()),
        "{briefing}"
    );
    let summary = briefing["summary"].as_str().unwrap();
    assert!(
        !summary.is_empty() && summary.chars().count() <= 280,
        "{summary}"
    );
    assert!(summary.contains("Dana"), "who: {summary}");
    assert!(
        briefing["knownFacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["value"] == "INV-20931"),
        "the invoice is a do-not-ask-again fact: {briefing}"
    );
    assert!(
        briefing["warmIntroduction"]
            .as_str()
            .unwrap()
            .contains("I'm sam,"),
        "personalised for the offered agent: {briefing}"
    );
    let quiet = tokio::time::timeout(Duration::from_millis(300), next(&mut maria, "offer")).await;
    assert!(quiet.is_err(), "no offer for the technical agent");

    // Joining before reading the briefing is refused; accept -> open -> join works.
    let join = json!({ "type": "join_conversation", "conversationId": id });
    let err = step(
        &mut sam,
        json!({ "type": "join_conversation", "conversationId": id }),
    )
    .await;
    assert_eq!(err["code"], "not_accepted");
    let done = step(
        &mut sam,
        json!({ "type": "accept_offer", "conversationId": id }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
    let err = step(&mut sam, join.clone()).await;
    assert_eq!(err["code"], "briefing_not_opened");
    let done = step(
        &mut sam,
        json!({ "type": "open_briefing", "conversationId": id }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
    let done = step(&mut sam, join).await;
    assert_eq!(done["type"], "done", "{done}");

    // The customer: picked up, the agent joins, the warm introduction.
    let picked = next_from(&mut c, "system").await;
    assert!(
        picked["content"].as_str().unwrap().contains("sam (test)"),
        "{picked}"
    );
    let joined = next_event(&mut c, "agent_joined").await;
    assert_eq!(joined["participant"]["name"], "sam (test)");
    let intro = next_from(&mut c, "agent").await;
    let intro = intro["content"].as_str().unwrap();
    assert!(intro.starts_with("Hi Dana!"), "{intro}");
    assert!(intro.contains("won't need to repeat"), "{intro}");

    // The persisted timeline holds every step in order, the briefing before the agent appears.
    let timeline = events_as(&app, &manager, &id).await;
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    let order = [
        "escalation_triggered",
        "agent_briefing_ready",
        "handoff_offered",
        "handoff_accepted",
        "briefing_opened",
        "agent_joined",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| {
            kinds
                .iter()
                .position(|x| x == k)
                .unwrap_or_else(|| panic!("{k} missing: {kinds:?}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in order: {kinds:?}"
    );
    let escalation = &timeline[positions[0]];
    assert!(
        !escalation["evidence"].as_array().unwrap().is_empty(),
        "evidence recorded"
    );
    assert!(
        timeline[positions[2]]["briefing"]["summary"].is_string(),
        "offer carries the briefing"
    );
    let seqs: Vec<u64> = timeline
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "gap-free: {seqs:?}"
    );

    // The customer's view of the same log: same seqs, nothing staff-only.
    let theirs = events_as(&app, &customer, &id).await;
    assert_eq!(theirs.len(), timeline.len());
    let leaked: Vec<&Value> = theirs
        .iter()
        .filter(|e| {
            e.get("briefing").is_some()
                || e.get("escalation").is_some()
                || e["type"] == "handoff_offered"
        })
        .collect();
    assert!(leaked.is_empty(), "customer sees no briefing: {leaked:?}");
    let conv: Value = app
        .get(Some(&customer), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(conv.get("briefing").is_none() && conv.get("handoffLikelihood").is_none());

    // Staff see the stored briefing and the likelihood on the conversation.
    let staff: Value = app
        .get(Some(&manager), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staff["status"], "with_agent");
    assert!(staff["briefing"]["detail"]["course"].is_array());
    assert!(
        staff["handoffLikelihood"].as_f64().unwrap() > 0.5,
        "{}",
        staff["handoffLikelihood"]
    );

    // Resolve: the customer is told, the conversation is closed.
    let done = step(
        &mut sam,
        json!({ "type": "resolve_conversation", "conversationId": id }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
    next_event(&mut c, "conversation_resolved").await;
    let bye = next_from(&mut c, "system").await;
    assert!(
        bye["content"].as_str().unwrap().contains("resolved"),
        "{bye}"
    );

    // Writing again reopens it with the assistant, who answers.
    app.post_message(
        &customer,
        &id,
        "One more thing: where do I download invoices?",
    )
    .await;
    let reopened = next_from(&mut c, "system").await;
    assert!(
        reopened["content"].as_str().unwrap().contains("reopened"),
        "{reopened}"
    );
    next_from(&mut c, "customer").await;
    next_from(&mut c, "ai").await;
}

#[tokio::test]
async fn a_declined_offer_moves_on_and_nobody_accepting_hands_back() {
    let app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::default();
        c.handoff.policy.no_accept_timeout_secs = 2;
    })
    .await;
    let (_sam, mut sam) = online_agent(&app, "sam", &["billing", "general"]).await;
    let (_alex, mut alex) = online_agent(&app, "alex", &["billing", "security"]).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Lee" })).await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    app.post_message(&customer, &id, "I need to talk to a human about my invoice")
        .await;

    // Whoever is offered first declines; it moves to the other, who declines too.
    let mut declined = Vec::new();
    for _ in 0..2 {
        let (ws, name) = tokio::select! {
            f = next(&mut sam, "offer") => { let _ = f; (&mut sam, "sam") }
            f = next(&mut alex, "offer") => { let _ = f; (&mut alex, "alex") }
        };
        let done = step(ws, json!({ "type": "decline_offer", "conversationId": id })).await;
        assert_eq!(done["type"], "done", "{done}");
        declined.push(name);
    }
    declined.sort();
    assert_eq!(declined, ["alex", "sam"], "each agent was offered once");
    let err = step(
        &mut sam,
        json!({ "type": "accept_offer", "conversationId": id }),
    )
    .await;
    assert_eq!(err["code"], "not_offered");

    // Nobody accepts within the timeout: back to the assistant, and the customer is told.
    let back = tokio::time::timeout(Duration::from_secs(6), next_event(&mut c, "handed_back"))
        .await
        .expect("handed back within the timeout");
    assert_eq!(back["reason"], "no_agent_accepted");
    let notice = next_from(&mut c, "system").await;
    assert!(
        notice["content"]
            .as_str()
            .unwrap()
            .contains("ask for a person again"),
        "{notice}"
    );
    let conv: Value = app
        .get(Some(&customer), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(conv["status"], "ai");

    // No loop: the old request does not escalate again by itself; a new one does.
    app.post_message(&customer, &id, "ok, thanks").await;
    let reply = next_from(&mut c, "ai").await;
    assert!(reply["content"].is_string());
    let staff = app.add_user("morgan", Role::Manager, &[]).await;
    let timeline = events_as(&app, &staff, &id).await;
    let escalations = timeline
        .iter()
        .filter(|e| e["type"] == "escalation_triggered")
        .count();
    assert_eq!(escalations, 1, "no second escalation from old evidence");
    let reasons: Vec<&str> = timeline
        .iter()
        .filter(|e| e["type"] == "handoff_declined")
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["declined", "declined"]);
    app.post_message(&customer, &id, "Please get me a real person")
        .await;
    let status = next_event(&mut c, "status_changed").await;
    assert_eq!(status["status"], "queued");
}

#[tokio::test]
async fn an_agent_invites_a_specialist_who_joins_briefed() {
    let app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    let (_sam, mut sam) = online_agent(&app, "sam", &["billing", "general"]).await;
    let (_alex, mut alex) = online_agent(&app, "alex", &["security"]).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Priya" })).await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    app.post_message(
        &customer,
        &id,
        "Can I speak to a person about a refund please?",
    )
    .await;
    next(&mut sam, "offer").await;
    for frame in ["accept_offer", "open_briefing", "join_conversation"] {
        let done = step(&mut sam, json!({ "type": frame, "conversationId": id })).await;
        assert_eq!(done["type"], "done", "{frame}: {done}");
    }
    // Alex could not act on a conversation not offered to them.
    let err = step(
        &mut alex,
        json!({ "type": "accept_offer", "conversationId": id }),
    )
    .await;
    assert_eq!(err["type"], "error");

    let done = step(
        &mut sam,
        json!({ "type": "invite_specialist", "conversationId": id, "skill": "security" }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
    let offer = next(&mut alex, "offer").await;
    assert_eq!(offer["specialist"], true);
    assert!(offer["briefing"]["summary"].is_string());
    for frame in ["accept_offer", "open_briefing"] {
        let done = step(&mut alex, json!({ "type": frame, "conversationId": id })).await;
        assert_eq!(done["type"], "done", "{frame}: {done}");
    }
    let done = step(&mut alex, json!({ "type": "join_conversation", "conversationId": id, "introduction": "Hi Priya, Alex from security here." })).await;
    assert_eq!(done["type"], "done", "{done}");
    let joined = loop {
        let e = next_event(&mut c, "agent_joined").await;
        if e["specialist"] == true {
            break e;
        }
    };
    assert_eq!(joined["participant"]["name"], "alex (test)");
    let notice = loop {
        let m = next_from(&mut c, "system").await;
        if m["content"].as_str().unwrap().contains("joined to help") {
            break m;
        }
    };
    assert!(
        notice["content"]
            .as_str()
            .unwrap()
            .contains("security specialist"),
        "{notice}"
    );
    let hello = next_from(&mut c, "agent").await;
    assert_eq!(hello["content"], "Hi Priya, Alex from security here.");

    // Nobody with the skill: the inviter hears it at once.
    let err = step(
        &mut sam,
        json!({ "type": "invite_specialist", "conversationId": id, "skill": "legal" }),
    )
    .await;
    assert_eq!(err["code"], "no_specialist");
}

#[tokio::test]
async fn handoff_steps_check_who_is_asking() {
    let app = spawn_app().await;
    let (id, customer) = app.new_conversation(json!({})).await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let stranger = app.add_user("tess", Role::Agent, &["technical"]).await;
    let post = |token: String, path: String| {
        let http = app.http.clone();
        let url = app.url(&path);
        async move { http.post(url).bearer_auth(token).send().await.unwrap() }
    };
    for token in [&customer, &manager] {
        let res = post(
            token.clone(),
            format!("/api/conversations/{id}/handoff/accept"),
        )
        .await;
        assert_eq!(res.status(), 403, "only agents take part");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let res = post(
        stranger.clone(),
        format!("/api/conversations/{id}/handoff/accept"),
    )
    .await;
    assert_eq!(
        res.status(),
        404,
        "an agent who cannot see it learns nothing"
    );
    let colleague = app.add_user("sam", Role::Agent, &["general"]).await;
    let res = post(colleague, format!("/api/conversations/{id}/handoff/accept")).await;
    assert_eq!(res.status(), 409, "an agent without the offer");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_offered");
    let res = post(
        stranger.clone(),
        format!("/api/conversations/{id}/handoff/teleport"),
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = app
        .get(
            Some(&customer),
            &format!("/api/conversations/{id}/briefing"),
        )
        .await;
    assert_eq!(res.status(), 403, "customers never read the briefing");
    let res = app.get(Some(&customer), "/api/queue").await;
    assert_eq!(res.status(), 403);
    let res = app.get(Some(&manager), "/api/queue").await;
    assert_eq!(res.status(), 200);
    let res = app
        .http
        .put(app.url("/api/me/status"))
        .bearer_auth(&stranger)
        .json(&json!({ "status": "sleeping" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_request_for_a_person_is_routed_by_its_topic() {
    let app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    let (_sam, mut sam) = online_agent(&app, "sam", &["billing"]).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ola" })).await;
    app.post_message(&customer, &id, "I need to talk to a human about my invoice")
        .await;
    let offer = next(&mut sam, "offer").await;
    assert_eq!(offer["conversationId"], id);
    assert_eq!(offer["skill"], "billing");
    assert_eq!(
        offer["briefing"]["escalation"]["trigger"],
        "explicit_request"
    );
}

#[tokio::test]
async fn a_waiting_customer_survives_a_restart_and_reaches_the_next_agent() {
    let mut app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Noor" })).await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    app.post_message(
        &customer,
        &id,
        "I want to speak to a person about my invoice",
    )
    .await;
    let notice = next_from(&mut c, "system").await;
    let text = notice["content"].as_str().unwrap();
    assert!(
        text.contains("Nobody from our billing team is online"),
        "honest when nobody is there: {text}"
    );
    drop(c);

    app.restart().await;
    let (_sam, mut sam) = online_agent(&app, "sam", &["billing"]).await;
    let offer = next(&mut sam, "offer").await;
    assert_eq!(
        offer["conversationId"], id,
        "the queue was restored from the log"
    );
    assert!(offer["briefing"]["summary"]
        .as_str()
        .unwrap()
        .contains("Noor"));
}

#[tokio::test]
async fn an_agent_who_replies_directly_takes_over_with_the_prepared_briefing() {
    let app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    let maria = app
        .add_user("maria", Role::Agent, &["technical", "general"])
        .await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ines" })).await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    app.post_message(
        &customer,
        &id,
        "My dashboard won't load, it's just a blank page",
    )
    .await;
    next_from(&mut c, "ai").await;
    let res = app
        .post_message(&maria, &id, "Hi Ines, Maria here. Let me look.")
        .await;
    assert_eq!(res.status(), 201);
    let timeline = events_as(&app, &maria, &id).await;
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    let tail: Vec<&str> = kinds.iter().rev().take(5).rev().cloned().collect();
    assert_eq!(
        tail,
        [
            "escalation_triggered",
            "agent_briefing_ready",
            "handoff_accepted",
            "agent_joined",
            "message"
        ],
        "{kinds:?}"
    );
    let conv: Value = app
        .get(Some(&maria), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(conv["escalation"]["trigger"], "agent_takeover");
    assert!(
        conv["briefing"]["summary"]
            .as_str()
            .unwrap()
            .contains("Ines"),
        "{}",
        conv["briefing"]
    );
}
