//! Any OpenAI-compatible chat-completions endpoint (OpenAI, Azure-style proxies, vLLM, llama.cpp
//! server, Ollama's `/v1`).
//!
//! Request: `POST {base_url}/chat/completions` with `Authorization: Bearer <api_key>` when a key is
//! set, and `{"model", "temperature", "messages"}`. `messages` is a system prompt (the role, and the
//! JSON answer format below) followed by the most recent `max_history` conversation messages:
//! customer -> `user`, ai -> `assistant`, agent and system messages -> `system` with a prefix that
//! says who wrote them.
//!
//! The model is asked to answer `{"reply": "...", "confidence": 0..1, "sources": [...], "handoff":
//! null | {"reason": "..."}}`. `choices[0].message.content` is used as that JSON when it parses
//! (code fences and chatter around the object are tolerated); otherwise the raw text is the reply,
//! with the configured `default_confidence`. Transport and format failures are
//! [`AssistantError`]s.
//!
//! With `rag` (the default) it is retrieval-augmented: the built-in assistant over the knowledge
//! base runs first (it is fast and local); requests for a person and small talk are its answers;
//! otherwise its best passages go into the system prompt with their ids, the model answers from
//! them and cites them (`sources`, checked against what it was given, their `Actions:` become
//! `actionsAttempted`), and when the model fails or times out the built-in answer is the reply of
//! this same turn. With `write_briefings` the model also rewrites the briefing's summary and warm
//! introduction from the facts the rules extracted (`phrase_briefing`); what it writes is checked
//! (length, no number that is not in the facts) and dropped otherwise.

use super::builtin::BuiltinAssistant;
use super::config::AssistantConfig;
use super::error::AssistantError;
use super::http;
use super::kb::KnowledgeBase;
use super::{Assistant, AssistantReply, HandoffRequest};
use crate::domain::{
    Briefing, BriefingText, Conversation, KnowledgeContext, Message, Speaker, Urgency,
};
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
reply resolves the customer's message>, \"sources\": [<ids of the knowledge-base passages you used, if you \
were given any>], \"handoff\": null or {\"reason\": \"<short snake_case reason>\"}}";

/// Passages of the knowledge base the model is given per turn.
const RAG_PASSAGES: usize = 3;

const RAG_PROMPT: &str = "Answer from the knowledge-base passages below. They are the only source of \
product facts you have: use their steps and wording, do not add steps they do not contain, and list \
the ids of the passages you used in \"sources\". If none of them answers the customer's message, say \
honestly that you are not sure and give a low confidence. Name the article you are answering from.";

const BRIEFING_PROMPT: &str = "You write the briefing a human support agent reads before joining a \
conversation the assistant could not finish. You get the facts that were extracted from it as JSON. \
Use only those facts; never add a fact, a number, a name or a promise that is not in them.\n\n\
Answer with ONLY a JSON object:\n{\"summary\": \"<at most 280 characters, written as sentences, not \
quotes: who the customer is and their plan, what they are trying to do, for how long, their mood, what \
the assistant and the customer already tried, what they need and by when>\", \"introduction\": \"<the \
agent's first message to the customer, after their greeting and name (do not greet or name yourself): \
acknowledge how they feel and any deadline, show you know the issue and what they already tried, and \
say what you will check first; at most one question, and never ask for something the facts already \
contain>\"}";

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
    /// The knowledge base's retriever and this assistant's fallback, with `rag`.
    local: Option<BuiltinAssistant>,
    write_briefings: bool,
}

impl OpenAiAssistant {
    /// Builds from an `AssistantConfig::OpenAi`; any other kind is a config error.
    pub fn from_config(
        cfg: &AssistantConfig,
        semantic: Option<&super::SemanticSetup<'_>>,
    ) -> Result<Self, AssistantError> {
        let AssistantConfig::OpenAi {
            base_url,
            model,
            api_key,
            timeout_ms,
            temperature,
            default_confidence,
            max_history,
            rag,
            kb_dir,
            write_briefings,
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
            local: if *rag {
                let kb = match kb_dir {
                    Some(dir) => KnowledgeBase::load_dir(dir)?,
                    None => KnowledgeBase::demo()?,
                };
                Some(super::builtin(kb, super::Tuning::default(), semantic))
            } else {
                None
            },
            write_briefings: *write_briefings,
        })
    }

    fn headers(&self) -> Result<Vec<(reqwest::header::HeaderName, HeaderValue)>, AssistantError> {
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
        Ok(headers)
    }

    /// One chat completion; the content of its first choice.
    async fn complete(&self, body: &Value) -> Result<String, AssistantError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| http::invalid(BACKEND, format!("cannot encode the request: {e}")))?;
        let bytes = http::post_json(
            &self.client,
            BACKEND,
            self.endpoint.clone(),
            body,
            &self.headers()?,
            self.timeout_ms,
        )
        .await?;
        let completion: Completion = serde_json::from_slice(&bytes)
            .map_err(|e| http::invalid(BACKEND, format!("expected a chat completion: {e}")))?;
        completion
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| http::invalid(BACKEND, "choices[0].message.content is missing or empty"))
    }

    /// The model's answer from the knowledge base's passages, or the built-in answer when the
    /// model cannot give one.
    async fn rag_reply(
        &self,
        local: &BuiltinAssistant,
        conversation: &Conversation,
        message: &Message,
    ) -> AssistantReply {
        let fallback = local.answer(conversation, message);
        // A request for a person and small talk need no model; neither does a handoff.
        if fallback.handoff.is_some() || (fallback.sources.is_empty() && !fallback.out_of_scope) {
            return fallback;
        }
        let passages = local.passages_for(conversation, message, RAG_PASSAGES);
        let mut body = self.request_body(conversation, message);
        let mut system = format!("{SYSTEM_PROMPT}\n\n{RAG_PROMPT}\n\nKnowledge-base passages:\n");
        for p in &passages {
            system.push_str(&format!(
                "\n[{}] {} \u{203a} {}\n{}\n",
                p.id, p.article, p.section, p.text
            ));
        }
        body["messages"][0]["content"] = Value::String(system);
        let reply = match self.complete(&body).await {
            Ok(content) => structured(&content, self.default_confidence)
                .unwrap_or_else(|| AssistantReply::text(content, self.default_confidence)),
            Err(e) => {
                tracing::warn!(error = %e, "model failed; the built-in answer stands");
                return fallback;
            }
        };
        let Ok(mut reply) = http::check_reply(BACKEND, reply) else {
            return fallback;
        };
        // Only passages it was given count as sources; their steps are what it proposed.
        reply
            .sources
            .retain(|s| passages.iter().any(|p| &p.id == s));
        reply.actions_attempted = passages
            .iter()
            .filter(|p| reply.sources.contains(&p.id))
            .flat_map(|p| p.actions.iter().cloned())
            .collect();
        if reply.sources.is_empty() && reply.confidence >= self.default_confidence {
            reply.confidence = reply.confidence.min(fallback.confidence);
        }
        reply.out_of_scope = reply.sources.is_empty() && fallback.out_of_scope;
        reply
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
        if let Some(local) = &self.local {
            return Ok(self.rag_reply(local, conversation, message).await);
        }
        let body = serde_json::to_vec(&self.request_body(conversation, message))
            .map_err(|e| http::invalid(BACKEND, format!("cannot encode the request: {e}")))?;
        let bytes = http::post_json(
            &self.client,
            BACKEND,
            self.endpoint.clone(),
            body,
            &self.headers()?,
            self.timeout_ms,
        )
        .await?;
        self.parse(&bytes)
    }

    fn knowledge(&self, conversation: &Conversation) -> KnowledgeContext {
        self.local
            .as_ref()
            .map(|l| l.knowledge(conversation))
            .unwrap_or_default()
    }

    fn knowledge_match(&self, text: &str) -> Option<(String, f64)> {
        self.local.as_ref()?.knowledge_match(text)
    }

    fn writes_briefings(&self) -> bool {
        self.write_briefings
    }

    async fn phrase_briefing(&self, briefing: &Briefing) -> Option<BriefingText> {
        if !self.write_briefings {
            return None;
        }
        let facts = briefing_facts(briefing);
        let body = json!({
            "model": self.model,
            "temperature": self.temperature,
            "messages": [
                {"role": "system", "content": BRIEFING_PROMPT},
                {"role": "user", "content": facts.to_string()},
            ],
        });
        let content = match self.complete(&body).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "model did not write the briefing; the rules' text stands");
                return None;
            }
        };
        let start = content.find('{')?;
        let end = content.rfind('}')?;
        let v: Value = serde_json::from_str(content.get(start..=end)?).ok()?;
        let summary = v.get("summary")?.as_str()?.trim().to_owned();
        let introduction = v.get("introduction")?.as_str()?.trim().to_owned();
        let text = BriefingText {
            summary,
            introduction,
            source_seq: briefing.source_seq,
            written_by: self.name.clone(),
        };
        text.is_faithful_to(&facts.to_string()).then_some(text)
    }
}

/// What the model may use: the briefing without the texts it is asked to rewrite.
fn briefing_facts(b: &Briefing) -> Value {
    let mut v = serde_json::to_value(b).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        for k in [
            "summary",
            "warmIntroduction",
            "completeness",
            "generatedAt",
            "sourceSeq",
        ] {
            o.remove(k);
        }
    }
    v
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
    out.sources = v
        .get("sources")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().trim_matches(['[', ']']).to_owned())
                .collect()
        })
        .unwrap_or_default();
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
                rag: false,
                kb_dir: None,
                write_briefings: false,
            },
            None,
        )
        .unwrap()
    }

    /// With retrieval over the demo knowledge base and briefing writing on.
    fn rag_assistant(base: &str, model: &str, timeout_ms: u64) -> OpenAiAssistant {
        OpenAiAssistant::from_config(
            &AssistantConfig::OpenAi {
                base_url: format!("{base}/v1"),
                model: model.into(),
                api_key: None,
                timeout_ms,
                temperature: 0.1,
                default_confidence: 0.45,
                max_history: 3,
                rag: true,
                kb_dir: None,
                write_briefings: true,
            },
            None,
        )
        .unwrap()
    }

    /// The first passage id the gateway put into the system prompt: "[article#section] ...".
    fn first_passage(body: &Value) -> String {
        let system = body["messages"][0]["content"].as_str().unwrap_or("");
        let after = system
            .split("Knowledge-base passages:")
            .nth(1)
            .unwrap_or("");
        let open = after.find('[').unwrap_or(0);
        let close = after[open..].find(']').map_or(open, |c| open + c);
        after[open + 1..close].to_owned()
    }

    /// A model that answers from what it is given: it cites the first passage (and one it was
    /// not given, which must be dropped), or writes a briefing.
    async fn start_rag(seen: Seen) -> String {
        let handler = move |Json(body): Json<Value>| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push((None, body.clone()));
                let system = body["messages"][0]["content"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                match body["model"].as_str().unwrap_or("") {
                    "slow" => {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        (StatusCode::OK, completion("late"))
                    }
                    "inventive" if system.contains("briefing a human support agent") => (
                        StatusCode::OK,
                        completion(r#"{"summary": "Sarah lost $5,000 over 3 days.", "introduction": "I'll refund you."}"#),
                    ),
                    _ if system.contains("briefing a human support agent") => (
                        StatusCode::OK,
                        completion(&json!({
                            "summary": "Sarah has been fighting 401s on her webhook; she is frustrated and needs it fixed before tomorrow's release.",
                            "introduction": "I'm sorry this has dragged on. I'll start with the delivery logs for your endpoint.",
                        }).to_string()),
                    ),
                    _ => {
                        let id = first_passage(&body);
                        let answer = json!({
                            "reply": format!("From the guide: follow the steps in {id}."),
                            "confidence": 0.8,
                            "sources": [id, "made-up#section"],
                        });
                        (StatusCode::OK, completion(&answer.to_string()))
                    }
                }
            }
        };
        serve(Router::new().route("/v1/chat/completions", post(handler))).await
    }

    #[tokio::test]
    async fn answers_from_the_knowledge_base_and_cites_what_it_was_given() {
        let seen: Seen = Arc::default();
        let base = start_rag(seen.clone()).await;
        let a = rag_assistant(&base, "rag", 5_000);
        let (conv, msg) = Chat::new()
            .customer("How do I verify the webhook signature?")
            .turn();
        let r = a.reply(&conv, &msg).await.unwrap();
        let sent = seen.lock().unwrap()[0].1.clone();
        let given = first_passage(&sent);
        assert!(given.starts_with("webhooks-and-integrations#"), "{given}");
        assert_eq!(
            r.sources,
            std::slice::from_ref(&given),
            "the made-up source is dropped"
        );
        assert!(r.content.contains(&given));
        assert!(!r.actions_attempted.is_empty(), "the cited passage's steps");
        // Small talk and requests for a person never reach the model.
        let (conv, msg) = Chat::new().customer("Can I talk to a person?").turn();
        let r = a.reply(&conv, &msg).await.unwrap();
        assert!(r.handoff.is_some());
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_slow_model_falls_back_to_the_built_in_answer_in_the_same_turn() {
        let base = start_rag(Arc::default()).await;
        let a = rag_assistant(&base, "slow", 300);
        let (conv, msg) = Chat::new()
            .customer("How do I download my invoices?")
            .turn();
        let started = std::time::Instant::now();
        let r = a.reply(&conv, &msg).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(
            r.sources,
            ["billing-and-refunds#download-invoices-and-receipts"]
        );
        assert!(
            r.content.contains("Settings > Billing > Invoices"),
            "{}",
            r.content
        );
    }

    #[tokio::test]
    async fn briefing_texts_are_written_from_the_facts_and_checked() {
        let base = start_rag(Arc::default()).await;
        let b: Briefing = serde_json::from_value(json!({
            "escalation": {"trigger": "explicit_request", "urgency": "high"},
            "summary": "Sarah (Pro subscriber) has been dealing with webhook deliveries failing (401).",
            "detail": {"course": ["Customer already rotated the signing secret"]},
            "technical": {"codes": ["401"]},
            "knownFacts": [{"kind": "name", "value": "Sarah Chen"}],
            "completeness": {"score": 0.8},
            "emotionalState": {"label": "frustrated", "trend": "worsening"},
            "timePressure": [{"kind": "deadline", "text": "tomorrow", "quote": "our release is tomorrow"}],
            "generatedAt": "2026-03-12T14:30:00Z",
            "sourceSeq": 9,
        }))
        .expect("a briefing");
        let a = rag_assistant(&base, "writer", 5_000);
        assert!(a.writes_briefings());
        let text = a.phrase_briefing(&b).await.expect("written");
        assert!(text.summary.starts_with("Sarah has been fighting 401s"));
        assert_eq!(text.source_seq, b.source_seq);
        assert_eq!(text.written_by, "openai:writer");
        // A model that adds figures the facts do not have is not believed.
        let a = rag_assistant(&base, "inventive", 5_000);
        assert_eq!(a.phrase_briefing(&b).await, None);
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
