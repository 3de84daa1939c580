//! The article's "Unified Conversation Object Model" example is the public shape: it deserializes
//! into our types and re-serializes with every one of its fields and values intact.

use crate::common;

use serde_json::{json, Value};
use warmline::domain::Conversation;

const ARTICLE: &str = include_str!("../fixtures/article_conversation.json");

/// Every field of `expected` appears in `actual` with the same value (numbers compared as f64).
fn assert_contains(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let got = a
                    .get(k)
                    .unwrap_or_else(|| panic!("field {path}.{k} missing after round-trip"));
                assert_contains(v, got, &format!("{path}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "length of {path}");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_contains(ev, av, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            assert_eq!(e.as_f64(), a.as_f64(), "value of {path}");
        }
        (e, a) => assert_eq!(e, a, "value of {path}"),
    }
}

#[test]
fn article_json_round_trips_through_the_model() {
    let input: Value = serde_json::from_str(ARTICLE).expect("fixture is JSON");
    let conv: Conversation =
        serde_json::from_value(input.clone()).expect("article JSON deserializes");
    assert_eq!(conv.header.conversation_id.as_str(), "uuid-12345");
    assert_eq!(conv.header.customer.context.previous_interactions, 3);
    assert_eq!(conv.messages.len(), 2);
    assert_eq!(
        conv.messages[1].actions_attempted,
        vec!["cache_clear", "browser_check"]
    );
    let escalation = conv.header.escalation.as_ref().expect("escalation");
    assert_eq!(escalation.recommended_agent, "technical_specialist");

    let output = serde_json::to_value(&conv).expect("serializes");
    assert_contains(&input, &output, "$");
    // And a second trip is stable.
    let again: Conversation =
        serde_json::from_value(output.clone()).expect("round-trip output deserializes");
    assert_eq!(serde_json::to_value(&again).expect("serializes"), output);
}

#[test]
fn unknown_customer_context_attributes_survive() {
    let mut input: Value = serde_json::from_str(ARTICLE).expect("fixture");
    input["customer"]["context"]["crmTier"] = json!("gold");
    input["customer"]["context"]["seats"] = json!(42);
    let conv: Conversation = serde_json::from_value(input.clone()).expect("deserializes");
    let output = serde_json::to_value(&conv).expect("serializes");
    assert_eq!(output["customer"]["context"]["crmTier"], "gold");
    assert_eq!(output["customer"]["context"]["seats"], 42);
}

#[tokio::test]
async fn the_api_serves_the_customer_given_at_creation_in_the_unified_model() {
    let app = common::spawn_app().await;
    let article: Value = serde_json::from_str(ARTICLE).expect("fixture");
    let (id, token) = app.new_conversation(article["customer"].clone()).await;
    let res = app
        .get(Some(&token), &format!("/api/conversations/{id}"))
        .await;
    assert_eq!(res.status(), 200);
    let conv: Value = res.json().await.expect("json");
    // An anonymous browser's context is kept, apart, as unverified (the site did not vouch for
    // it); everything else is served as given.
    let mut expected = article["customer"].clone();
    let claimed = expected["context"].take();
    expected.as_object_mut().unwrap().remove("context");
    assert_contains(&expected, &conv["customer"], "$.customer");
    assert_contains(
        &claimed,
        &conv["customer"]["unverifiedContext"],
        "$.customer.unverifiedContext",
    );
    assert_eq!(conv["conversationId"], id.as_str());
    assert_eq!(conv["status"], "ai");
    // The served JSON is itself the model.
    let _: Conversation = serde_json::from_value(conv).expect("served JSON is the model");
}
