//! Any OpenAI-compatible chat-completions endpoint (OpenAI, Azure-style proxies, vLLM, llama.cpp
//! server, Ollama's `/v1`).
//!
//! Request: `POST {base_url}/chat/completions` with `Authorization: Bearer <api_key>` when a key is
//! set, and `{"model", "temperature", "messages"}`. `messages` is a system prompt (the role, and the
//! JSON answer format below) followed by the most recent `max_history` conversation messages:
//! customer -> `user`, ai -> `assistant`, agent and system messages -> `system` with a prefix that
//! says who wrote them.
//!
//! The model is asked to answer `{"reply": "...", "confidence": 0..1, "handoff": null | {"reason":
//! "..."}}`. `choices[0].message.content` is used as that JSON when it parses (code fences and
//! chatter around the object are tolerated); otherwise the raw text is the reply, with the
//! configured `default_confidence`. Transport and format failures are [`AssistantError`]s.

use super::config::AssistantConfig;
use super::error::AssistantError;
use super::http;
use super::{Assistant, AssistantReply, HandoffRequest};
use crate::domain::{Conversation, Message, Speaker, Urgency};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{json, Value};

const BACKEND: &str = "openai";
/// Longest single history message sent to the model, in characters; keeps one pasted log file
/// from using the whole context window.
const MAX_HISTORY_CHARS: usize = 4_000;

const SYSTEM_PROMPT: &str = "You are the customer-support assistant in a live chat. Answer the customer's latest \
message helpfully, briefly and truthfully, in plain text. Never invent account details, prices or policies you \
do not know. If you cannot help, or the customer asks for a person, say so politely and request a handoff to a \
human agent. Messages that start with \"Support agent:\" or \"Note:\" come from the support team or the system, \
not the customer.\n\nAnswer with ONLY a JSON object, no other text:\n\
{\"reply\": \"<your message to the customer>\", \"confidence\": <number from 0 to 1: how sure you are that this \
reply resolves the customer's message>, \"handoff\": null or {\"reason\": \"<short snake_case reason>\"}}";

pub struct OpenAiAssistant {
    name: String,
    endpoint: Url,
    model: String,
    api_key: Option<String>,
    timeout_ms: u64,
    temperature: f64,
    default_confidence: f64,
    max_history: usize,
    client: reqwest::Client,
}

impl OpenAiAssistant {
    /// Builds from an `AssistantConfig::OpenAi`; any other kind is a config error.
    pub fn from_config(
        cfg: &AssistantConfig,
        _semantic: Option<&super::SemanticSetup<'_>>,
    ) -> Result<Self, AssistantError> {
        let AssistantConfig::OpenAi {
            base_url,
            model,
            api_key,
            timeout_ms,
            temperature,
            default_confidence,
            max_history,
        } = cfg
        else {
            return Err(AssistantError::Config(
                "not an openai assistant config".into(),
            ));
        };
        cfg.validate()?;
        // `Url::join` would drop the last path segment of ".../v1" without a trailing slash.
        let endpoint = http::parse_url(
            "assistant.base_url",
            &format!("{}/chat/completions", base_url.trim_end_matches('/')),
        )?;
        Ok(Self {
            name: format!("{BACKEND}:{model}"),
            endpoint,
            model: model.clone(),
            api_key: api_key.clone(),
            timeout_ms: *timeout_ms,
            temperature: *temperature,
            default_confidence: *default_confidence,
            max_history: *max_history,
            client: http::client(*timeout_ms)?,
        })
    }

    fn request_body(&self, conversation: &Conversation, message: &Message) -> Value {
        let mut history: Vec<&Message> = conversation.messages.iter().collect();
        // The contract says `message` is in the conversation; do not rely on it.
        if history.last().is_none_or(|m| m.id != message.id) {
            history.push(message);
        }
        let skip = history.len().saturating_sub(self.max_history);
        let mut messages = vec![json!({"role": "system", "content": SYSTEM_PROMPT})];
        messages.extend(history[skip..].iter().map(|m| chat_message(m)));
        json!({"model": self.model, "temperature": self.temperature, "messages": messages})
    }

    fn parse(&self, bytes: &[u8]) -> Result<AssistantReply, AssistantError> {
        let completion: Completion = serde_json::from_slice(bytes)
            .map_err(|e| http::invalid(BACKEND, format!("expected a chat completion: {e}")))?;
        let content = completion
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                http::invalid(BACKEND, "choices[0].message.content is missing or empty")
            })?;
        let reply = structured(&content, self.default_confidence)
            .unwrap_or_else(|| AssistantReply::text(content, self.default_confidence));
        http::check_reply(BACKEND, reply)
    }
}

#[async_trait::async_trait]
impl Assistant for OpenAiAssistant {
    fn name(&self) -> &str {
        &self.name
    }

    async fn reply(
        &self,
        conversation: &Conversation,
        message: &Message,
    ) -> Result<AssistantReply, AssistantError> {
        let body = serde_json::to_vec(&self.request_body(conversation, message))
            .map_err(|e| http::invalid(BACKEND, format!("cannot encode the request: {e}")))?;
        let mut headers = Vec::new();
        if let Some(key) = &self.api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                AssistantError::Config(
                    "assistant.api_key contains characters not allowed in a header".into(),
                )
            })?;
            value.set_sensitive(true);
            headers.push((AUTHORIZATION, value));
        }
        let bytes = http::post_json(
            &self.client,
            BACKEND,
            self.endpoint.clone(),
            body,
            &headers,
            self.timeout_ms,
        )
        .await?;
        self.parse(&bytes)
    }
}

fn chat_message(m: &Message) -> Value {
    let text: String = m.content.chars().take(MAX_HISTORY_CHARS).collect();
    let (role, content) = match m.speaker {
        Speaker::Customer => ("user", text),
        Speaker::Ai => ("assistant", text),
        Speaker::Agent => ("system", format!("Support agent: {text}")),
        Speaker::System => ("system", format!("Note: {text}")),
    };
    json!({"role": role, "content": content})
}

#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
}

/// The JSON answer the system prompt asks for, read leniently: models wrap it in code fences, add a
/// sentence before it, or quote the confidence as a string.
fn structured(content: &str, default_confidence: f64) -> Option<AssistantReply> {
    let start = content.find('{')?;
    let end = content.rfind('}')?;
    let v: Value = serde_json::from_str(content.get(start..=end)?).ok()?;
    let reply = v.get("reply")?.as_str()?.trim().to_owned();
    let confidence = match v.get("confidence") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let handoff = match v.get("handoff") {
        Some(Value::Object(h)) => Some(HandoffRequest {
            reason: h
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("model_request")
                .to_owned(),
            skill: h.get("skill").and_then(Value::as_str).map(str::to_owned),
            urgency: h
                .get("urgency")
                .cloned()
                .and_then(|u| serde_json::from_value::<Urgency>(u).ok()),
        }),
        Some(Value::String(reason)) if !reason.is_empty() => Some(HandoffRequest {
            reason: reason.clone(),
            skill: None,
            urgency: None,
        }),
        Some(Value::Bool(true)) => Some(HandoffRequest {
            reason: "model_request".into(),
            skill: None,
            urgency: None,
        }),
        _ => None,
    };
    let mut out = AssistantReply::text(reply, confidence.unwrap_or(default_confidence));
    out.handoff = handoff;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::testutil::{serve, Chat};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use axum::{Json, Router};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

    fn completion(content: &str) -> String {
        json!({"id": "c1", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}).to_string()
    }

    /// A fake endpoint that records what it was sent and answers according to the model name.
    async fn start(seen: Seen) -> String {
        let handler = move |headers: HeaderMap, Json(body): Json<Value>| {
            let seen = seen.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                seen.lock().unwrap().push((auth, body.clone()));
                match body["model"].as_str().unwrap_or("") {
                    "json" => (StatusCode::OK, completion("```json\n{\"reply\": \"Try clearing your cache.\", \"confidence\": 0.82, \"handoff\": null}\n```")),
                    "handoff" => (StatusCode::OK, completion(r#"{"reply": "Let me get a colleague.", "confidence": "0.3", "handoff": {"reason": "billing_dispute", "urgency": "high"}}"#)),
                    "text" => (StatusCode::OK, completion("Sure! Clear your cache and reload.")),
                    "garbage" => (StatusCode::OK, "<html>gateway</html>".to_owned()),
                    "empty" => (StatusCode::OK, json!({"choices": []}).to_string()),
                    "slow" => {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        (StatusCode::OK, completion("late"))
                    }
                    _ => (StatusCode::INTERNAL_SERVER_ERROR, r#"{"error":{"message":"model overloaded"}}"#.to_owned()),
                }
            }
        };
        serve(Router::new().route("/v1/chat/completions", post(handler))).await
    }

    fn assistant(
        base: &str,
        model: &str,
        api_key: Option<&str>,
        timeout_ms: u64,
    ) -> OpenAiAssistant {
        OpenAiAssistant::from_config(
            &AssistantConfig::OpenAi {
                base_url: format!("{base}/v1/"),
                model: model.into(),
                api_key: api_key.map(str::to_owned),
                timeout_ms,
                temperature: 0.1,
                default_confidence: 0.45,
                max_history: 3,
            },
            None,
        )
        .unwrap()
    }

    fn chat() -> (Conversation, Message) {
        Chat::new()
            .customer("hi")
            .ai(&AssistantReply::text("Hello! How can I help?", 0.9))
            .says(Speaker::Agent, "I'm watching this one")
            .customer("my dashboard is blank")
            .turn()
    }

    async fn ask(
        model: &str,
        api_key: Option<&str>,
        timeout_ms: u64,
    ) -> (Result<AssistantReply, AssistantError>, Seen) {
        let seen: Seen = Arc::default();
        let base = start(seen.clone()).await;
        let (conv, msg) = chat();
        (
            assistant(&base, model, api_key, timeout_ms)
                .reply(&conv, &msg)
                .await,
            seen,
        )
    }

    #[tokio::test]
    async fn json_answer_is_used_and_request_is_well_formed() {
        let (r, seen) = ask("json", Some("sk-test"), 2_000).await;
        let r = r.unwrap();
        assert_eq!(r, AssistantReply::text("Try clearing your cache.", 0.82));

        let seen = seen.lock().unwrap();
        let (auth, body) = &seen[0];
        assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
        assert_eq!(body["model"], "json");
        assert_eq!(body["temperature"], 0.1);
        let roles: Vec<&str> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        // System prompt, then the last three messages (max_history = 3).
        assert_eq!(roles, ["system", "assistant", "system", "user"]);
        assert!(body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("\"confidence\""));
        assert_eq!(
            body["messages"][2]["content"],
            "Support agent: I'm watching this one"
        );
        assert_eq!(body["messages"][3]["content"], "my dashboard is blank");
    }

    #[tokio::test]
    async fn handoff_and_lenient_fields_are_read() {
        let (r, seen) = ask("handoff", None, 2_000).await;
        let r = r.unwrap();
        assert_eq!(r.confidence, 0.3);
        let h = r.handoff.unwrap();
        assert_eq!(
            (h.reason.as_str(), h.urgency),
            ("billing_dispute", Some(Urgency::High))
        );
        assert_eq!(
            seen.lock().unwrap()[0].0,
            None,
            "no key, no Authorization header"
        );
    }

    #[tokio::test]
    async fn plain_text_answer_gets_the_default_confidence() {
        let (r, _) = ask("text", None, 2_000).await;
        assert_eq!(
            r.unwrap(),
            AssistantReply::text("Sure! Clear your cache and reload.", 0.45)
        );
    }

    #[tokio::test]
    async fn failures_are_errors() {
        let (r, _) = ask("broken", None, 2_000).await;
        let e = r.unwrap_err();
        assert!(
            matches!(&e, AssistantError::Status { status: 500, body, .. } if body.contains("overloaded")),
            "{e}"
        );
        let (r, _) = ask("garbage", None, 2_000).await;
        assert!(matches!(r, Err(AssistantError::InvalidReply { .. })));
        let (r, _) = ask("empty", None, 2_000).await;
        assert!(r.unwrap_err().to_string().contains("choices[0]"));
        let (r, _) = ask("slow", None, 200).await;
        assert!(matches!(
            r,
            Err(AssistantError::Timeout {
                timeout_ms: 200,
                ..
            })
        ));
    }

    #[test]
    fn structured_answers_are_found_in_chatter() {
        let r = structured(
            "Here you go:\n{\"reply\": \"Hi\", \"confidence\": 0.7}\nThanks",
            0.5,
        )
        .unwrap();
        assert_eq!(r, AssistantReply::text("Hi", 0.7));
        assert!(structured("no json here", 0.5).is_none());
        assert!(structured("{\"answer\": \"wrong key\"}", 0.5).is_none());
        assert_eq!(
            structured(r#"{"reply":"x","handoff":true}"#, 0.5)
                .unwrap()
                .handoff
                .unwrap()
                .reason,
            "model_request"
        );
    }

    #[test]
    fn only_openai_configs_build() {
        assert!(OpenAiAssistant::from_config(&AssistantConfig::None, None).is_err());
    }
}
