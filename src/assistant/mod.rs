//! The assistant: who answers the customer while no human does.
//!
//! Contract:
//! - [`Assistant::reply`] gets the conversation so far (header and every message, *including* the
//!   new customer message, already analysed) and that new message, and returns one
//!   [`AssistantReply`]: the text to send, a confidence in [0, 1], the troubleshooting step ids it
//!   proposes (`actionsAttempted`), and optionally a [`HandoffRequest`] asking for a person. It never
//!   stores or sends anything itself; the caller commits the reply as an `ai` message and decides
//!   what a handoff request or a low confidence leads to.
//! - Implementations: [`BuiltinAssistant`] (knowledge-base search, no network), [`WebhookAssistant`]
//!   (an integrator's bot over HTTP, HMAC-signed) and [`OpenAiAssistant`] (any OpenAI-compatible
//!   chat-completions endpoint). [`build`] picks one from the `[assistant]` config section; `kind =
//!   "none"` means no assistant replies at all (load tests).
//! - Replies from external backends are checked the same way: content at most
//!   [`MAX_CONTENT_BYTES`], confidence clamped into [0, 1]. Every failure is an [`AssistantError`];
//!   nothing here panics on network or file input.
//! - Imports only `crate::domain` from the crate.

mod article;

/// The knowledge-base Markdown parser, for the fuzz targets (`src/fuzz.rs`).
#[cfg(test)]
pub(crate) fn fuzz_parse_article(
    id: &str,
    markdown: &str,
) -> Result<article::Article, AssistantError> {
    article::parse(id, markdown)
}
mod bm25;
mod builtin;
mod confidence;
mod config;
mod cues;
mod error;
pub mod hmac;
mod http;
mod kb;
mod openai;
mod phrasing;
mod plain;
pub mod retrieval;
mod text;
mod units;
mod webhook;

#[cfg(test)]
mod demo_eval;
#[cfg(test)]
mod testutil;

pub use builtin::{BuiltinAssistant, Tuning};
pub use config::AssistantConfig;
pub use error::AssistantError;
pub use hmac::{hmac_sha256, signature_header};
pub use kb::KnowledgeBase;
pub use openai::OpenAiAssistant;
pub use webhook::{WebhookAssistant, SIGNATURE_HEADER};

use crate::analysis::semantic::{Embedder, Embedding};
use crate::domain::{Briefing, BriefingText, Conversation, KnowledgeContext, Message, Urgency};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest reply text accepted from an external backend, in bytes.
pub const MAX_CONTENT_BYTES: usize = 16 * 1024;

/// `HandoffRequest::reason` when the customer asked for a person.
pub const REASON_CUSTOMER_REQUEST: &str = "customer_request";
/// `HandoffRequest::reason` when the built-in assistant has no untried suggestion left.
pub const REASON_KB_EXHAUSTED: &str = "kb_exhausted";
/// `HandoffRequest::reason` when the built-in assistant would give the same section a third time.
pub const REASON_GOING_IN_CIRCLES: &str = "going_in_circles";

#[async_trait::async_trait]
pub trait Assistant: Send + Sync + 'static {
    /// Short name for logs and metrics: `builtin`, `webhook`, `openai:MODEL`.
    fn name(&self) -> &str;

    /// `conversation` holds the header and every message so far, INCLUDING `message` (the new
    /// customer message, already analysed: sentiment/intent set).
    async fn reply(
        &self,
        conversation: &Conversation,
        message: &Message,
    ) -> Result<AssistantReply, AssistantError>;

    /// What this assistant's knowledge base says about the conversation, for the briefing: the
    /// topic it matched, next steps for an agent (never one the conversation already tried) and
    /// the names of its step ids. External bots know none.
    fn knowledge(&self, _conversation: &Conversation) -> KnowledgeContext {
        KnowledgeContext::default()
    }

    /// The knowledge-base article `text` (an agent's answer) matches best, with how strongly in
    /// [0, 1]: handoff review uses it to tell an escalation a person was needed for from one the
    /// assistant could have answered. External bots know none.
    fn knowledge_match(&self, _text: &str) -> Option<(String, f64)> {
        None
    }

    /// True when `reply` only computes, in process, and is ready as soon as it is polled (the
    /// built-in assistant): the caller may then run it on a blocking thread.
    fn runs_locally(&self) -> bool {
        false
    }

    /// True when `phrase_briefing` can write briefings (a language model is configured for it).
    fn writes_briefings(&self) -> bool {
        false
    }

    /// The briefing's summary and warm introduction written anew from its facts, by a language
    /// model; `None` (the rules' text stands) for assistants without one, or when it fails.
    async fn phrase_briefing(&self, _briefing: &Briefing) -> Option<BriefingText> {
        None
    }
}

/// What the assistant wants to say next. Also the JSON a webhook bot answers with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssistantReply {
    pub content: String,
    /// How sure the assistant is that this reply helps, in [0, 1].
    pub confidence: f64,
    /// Troubleshooting step ids proposed in this reply (`cache_clear`, ...).
    #[serde(default)]
    pub actions_attempted: Vec<String>,
    /// Set when the assistant asks for a human to take over.
    #[serde(default)]
    pub handoff: Option<HandoffRequest>,
    /// True when the assistant does not know the topic (its content says so).
    #[serde(default)]
    pub out_of_scope: bool,
    /// Knowledge-base passages used, as `article-id#section-slug`.
    #[serde(default)]
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoffRequest {
    /// Machine-readable reason, e.g. [`REASON_CUSTOMER_REQUEST`].
    pub reason: String,
    /// The agent skill the topic needs, when the assistant knows it.
    #[serde(default)]
    pub skill: Option<String>,
    #[serde(default)]
    pub urgency: Option<Urgency>,
}

impl AssistantReply {
    /// A plain reply with no actions, handoff or sources.
    pub fn text(content: impl Into<String>, confidence: f64) -> Self {
        Self {
            content: content.into(),
            confidence,
            actions_attempted: Vec::new(),
            handoff: None,
            out_of_scope: false,
            sources: Vec::new(),
        }
    }
}

/// The embedding model and a way to get the vectors of a fixed, labelled set of texts (the
/// knowledge base's passages), which `app` caches on disk.
pub struct SemanticSetup<'a> {
    pub embedder: Arc<dyn Embedder>,
    pub vectors: &'a VectorsFor<'a>,
}

/// Vectors of a labelled set of texts: (label, texts) -> one vector per text, if it can.
pub type VectorsFor<'a> = dyn Fn(&str, &[&str]) -> Option<Vec<Embedding>> + 'a;

/// The built-in assistant over `kb`, with hybrid retrieval when `semantic` is given and its
/// vectors can be had (otherwise words alone, and a warning).
pub fn builtin(
    kb: KnowledgeBase,
    tuning: Tuning,
    semantic: Option<&SemanticSetup<'_>>,
) -> BuiltinAssistant {
    let assistant = BuiltinAssistant::new(kb, tuning);
    let Some(setup) = semantic else {
        return assistant;
    };
    match retrieval::SemanticKb::build(assistant.kb(), setup) {
        Some(sem) => assistant.with_semantic(sem),
        None => {
            tracing::warn!(
                "knowledge-base vectors unavailable; the assistant searches by words only"
            );
            assistant
        }
    }
}

/// The assistant configured by `cfg`, or `None` for `kind = "none"`. Validates everything it can
/// up front (URLs parse, thresholds in range, the knowledge base loads and is non-empty) so a bad
/// config fails at start, not on the first customer message.
pub fn build(
    cfg: &AssistantConfig,
    semantic: Option<&SemanticSetup<'_>>,
) -> Result<Option<Arc<dyn Assistant>>, AssistantError> {
    cfg.validate()?;
    Ok(match cfg {
        AssistantConfig::Builtin {
            kb_dir,
            min_confidence,
            followup_penalty,
        } => {
            let kb = match kb_dir {
                Some(dir) => KnowledgeBase::load_dir(dir)?,
                None => KnowledgeBase::demo()?,
            };
            let tuning = Tuning {
                min_confidence: *min_confidence,
                followup_penalty: *followup_penalty,
            };
            Some(Arc::new(builtin(kb, tuning, semantic)))
        }
        AssistantConfig::Webhook {
            url,
            secret,
            timeout_ms,
        } => Some(Arc::new(WebhookAssistant::new(
            url,
            secret.clone(),
            *timeout_ms,
        )?)),
        AssistantConfig::OpenAi { .. } => {
            Some(Arc::new(OpenAiAssistant::from_config(cfg, semantic)?))
        }
        AssistantConfig::None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_picks_the_configured_kind() {
        let a = build(&AssistantConfig::default(), None).unwrap().unwrap();
        assert_eq!(a.name(), "builtin");
        assert!(build(&AssistantConfig::None, None).unwrap().is_none());
        let hook = AssistantConfig::Webhook {
            url: "http://127.0.0.1:9/bot".into(),
            secret: None,
            timeout_ms: 1000,
        };
        assert_eq!(build(&hook, None).unwrap().unwrap().name(), "webhook");
    }

    #[test]
    fn build_rejects_what_cannot_work() {
        for bad in [
            AssistantConfig::Webhook {
                url: "not a url".into(),
                secret: None,
                timeout_ms: 1000,
            },
            AssistantConfig::Webhook {
                url: "ftp://x/".into(),
                secret: None,
                timeout_ms: 1000,
            },
            AssistantConfig::Webhook {
                url: "http://x/".into(),
                secret: None,
                timeout_ms: 0,
            },
            AssistantConfig::Builtin {
                kb_dir: Some("/nonexistent/kb".into()),
                min_confidence: 0.3,
                followup_penalty: 0.8,
            },
            AssistantConfig::Builtin {
                kb_dir: None,
                min_confidence: 1.5,
                followup_penalty: 0.8,
            },
        ] {
            assert!(build(&bad, None).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reply_json_uses_camel_case_and_defaults() {
        let r: AssistantReply =
            serde_json::from_str(r#"{"content":"hi","confidence":0.5}"#).unwrap();
        assert_eq!(r, AssistantReply::text("hi", 0.5));
        let r: AssistantReply = serde_json::from_str(
            r#"{"content":"x","confidence":1,"actionsAttempted":["a"],"handoff":{"reason":"r","urgency":"high"},"outOfScope":true}"#,
        )
        .unwrap();
        assert_eq!(r.actions_attempted, ["a"]);
        assert_eq!(r.handoff.unwrap().urgency, Some(Urgency::High));
        assert!(r.out_of_scope);
        let v = serde_json::to_value(AssistantReply::text("x", 0.1)).unwrap();
        assert!(
            v.get("actionsAttempted").is_some() && v.get("outOfScope").is_some(),
            "{v}"
        );
    }
}
