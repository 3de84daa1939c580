//! The `[assistant]` section of the gateway configuration, tagged by `kind`.
//!
//! ```toml
//! [assistant]
//! kind = "builtin"            # or "webhook", "openai", "none"
//! kb_dir = "/etc/warmline/kb" # optional; the embedded demo KB when absent
//! ```
//!
//! Defaults are skipped when serialising: the gateway layers `Serialized::defaults(Config::default())`
//! under the TOML file, and a default `builtin` section that carried its thresholds would leak them
//! into a `kind = "webhook"` section from the file, where `deny_unknown_fields` rejects them.

use super::error::AssistantError;
use super::http;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AssistantConfig {
    /// Answers from a Markdown knowledge base, in process.
    Builtin {
        /// Folder of `*.md` articles; the embedded demo knowledge base when unset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kb_dir: Option<PathBuf>,
        /// Below this confidence the assistant says it is not sure instead of guessing.
        #[serde(
            default = "default_min_confidence",
            skip_serializing_if = "is_default_min_confidence"
        )]
        min_confidence: f64,
        /// Confidence factor when the best passage was already tried and the next one is offered.
        #[serde(
            default = "default_followup_penalty",
            skip_serializing_if = "is_default_followup_penalty"
        )]
        followup_penalty: f64,
    },
    /// An integrator's bot: POST `{conversation, message}`, answer `AssistantReply` JSON.
    Webhook {
        url: String,
        /// HMAC-SHA256 key for the `X-Warmline-Signature` header; unsigned when unset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        #[serde(default = "default_webhook_timeout_ms")]
        timeout_ms: u64,
    },
    /// Any OpenAI-compatible `POST {base_url}/chat/completions` endpoint.
    #[serde(rename = "openai", alias = "open_ai")]
    OpenAi {
        /// e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
        base_url: String,
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        api_key: Option<String>,
        #[serde(default = "default_openai_timeout_ms")]
        timeout_ms: u64,
        #[serde(default = "default_temperature")]
        temperature: f64,
        /// Confidence given to a model answer that is plain text instead of the requested JSON.
        #[serde(default = "default_text_confidence")]
        default_confidence: f64,
        /// Most recent messages sent as history (the new message included).
        #[serde(default = "default_max_history")]
        max_history: usize,
        /// Retrieval-augmented answers: the knowledge base's best passages go to the model, which
        /// answers from them and cites them; the built-in assistant's answer is the fallback when
        /// the model fails or times out. `false`: the model alone.
        #[serde(default = "default_rag")]
        rag: bool,
        /// Folder of `*.md` articles for retrieval; the embedded demo knowledge base when unset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kb_dir: Option<PathBuf>,
        /// Let the model write the briefing's summary and warm introduction from the extracted
        /// facts (the facts themselves stay rule-extracted).
        #[serde(default = "default_rag")]
        write_briefings: bool,
    },
    /// No assistant replies at all (load tests, human-only support). serde does not apply
    /// `deny_unknown_fields` to a unit variant, so other keys next to `kind = "none"` are ignored.
    None,
}

pub fn default_min_confidence() -> f64 {
    0.3
}
pub fn default_followup_penalty() -> f64 {
    0.8
}
fn default_webhook_timeout_ms() -> u64 {
    8_000
}
fn default_openai_timeout_ms() -> u64 {
    30_000
}
fn default_temperature() -> f64 {
    0.2
}
fn default_text_confidence() -> f64 {
    0.5
}
fn default_rag() -> bool {
    true
}

fn default_max_history() -> usize {
    30
}
fn is_default_min_confidence(v: &f64) -> bool {
    *v == default_min_confidence()
}
fn is_default_followup_penalty(v: &f64) -> bool {
    *v == default_followup_penalty()
}

impl Default for AssistantConfig {
    fn default() -> Self {
        Self::Builtin {
            kb_dir: None,
            min_confidence: default_min_confidence(),
            followup_penalty: default_followup_penalty(),
        }
    }
}

// Written by hand so that logging the config never prints the webhook secret or the API key.
impl fmt::Debug for AssistantConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        match self {
            Self::Builtin {
                kb_dir,
                min_confidence,
                followup_penalty,
            } => f
                .debug_struct("Builtin")
                .field("kb_dir", kb_dir)
                .field("min_confidence", min_confidence)
                .field("followup_penalty", followup_penalty)
                .finish(),
            Self::Webhook {
                url,
                secret,
                timeout_ms,
            } => f
                .debug_struct("Webhook")
                .field("url", url)
                .field("secret", &redact(secret))
                .field("timeout_ms", timeout_ms)
                .finish(),
            Self::OpenAi {
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
            } => f
                .debug_struct("OpenAi")
                .field("base_url", base_url)
                .field("model", model)
                .field("api_key", &redact(api_key))
                .field("timeout_ms", timeout_ms)
                .field("temperature", temperature)
                .field("default_confidence", default_confidence)
                .field("max_history", max_history)
                .field("rag", rag)
                .field("kb_dir", kb_dir)
                .field("write_briefings", write_briefings)
                .finish(),
            Self::None => f.write_str("None"),
        }
    }
}

impl AssistantConfig {
    /// Checks values that deserialise fine but cannot work. Does not touch the file system or the
    /// network (`build` loads the knowledge base).
    pub fn validate(&self) -> Result<(), AssistantError> {
        match self {
            Self::Builtin {
                min_confidence,
                followup_penalty,
                ..
            } => {
                check(
                    (0.0..=1.0).contains(min_confidence),
                    "assistant.min_confidence must be within 0..=1",
                )?;
                check(
                    *followup_penalty > 0.0 && *followup_penalty <= 1.0,
                    "assistant.followup_penalty must be within (0, 1]",
                )?;
            }
            Self::Webhook {
                url,
                secret,
                timeout_ms,
            } => {
                http::parse_url("assistant.url", url)?;
                check_timeout(*timeout_ms)?;
                check(
                    secret.as_ref().is_none_or(|s| !s.is_empty()),
                    "assistant.secret must not be empty (omit it instead)",
                )?;
            }
            Self::OpenAi {
                base_url,
                model,
                api_key,
                timeout_ms,
                temperature,
                default_confidence,
                max_history,
                ..
            } => {
                http::parse_url("assistant.base_url", base_url)?;
                check(
                    !model.trim().is_empty(),
                    "assistant.model must not be empty",
                )?;
                check(
                    api_key.as_ref().is_none_or(|k| !k.is_empty()),
                    "assistant.api_key must not be empty (omit it instead)",
                )?;
                check_timeout(*timeout_ms)?;
                check(
                    (0.0..=2.0).contains(temperature),
                    "assistant.temperature must be within 0..=2",
                )?;
                check(
                    (0.0..=1.0).contains(default_confidence),
                    "assistant.default_confidence must be within 0..=1",
                )?;
                check(
                    (1..=500).contains(max_history),
                    "assistant.max_history must be within 1..=500",
                )?;
            }
            Self::None => {}
        }
        Ok(())
    }
}

fn check_timeout(ms: u64) -> Result<(), AssistantError> {
    check(
        (1..=600_000).contains(&ms),
        "assistant.timeout_ms must be within 1..=600000",
    )
}

fn check(ok: bool, problem: &str) -> Result<(), AssistantError> {
    if ok {
        Ok(())
    } else {
        Err(AssistantError::Config(problem.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::{Format, Serialized, Toml};
    use figment::Figment;

    /// Stand-in for the gateway's `Config`: only the section matters here.
    #[derive(Debug, PartialEq, Serialize, Deserialize, Default)]
    #[serde(deny_unknown_fields, default)]
    struct Root {
        assistant: AssistantConfig,
    }

    /// Extracts like the gateway does: defaults serialised underneath, then the TOML file.
    fn load(toml: &str) -> Result<AssistantConfig, String> {
        Figment::from(Serialized::defaults(Root::default()))
            .merge(Toml::string(toml))
            .extract::<Root>()
            .map(|r| r.assistant)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn every_kind_parses_from_toml_over_defaults() {
        assert_eq!(load("").unwrap(), AssistantConfig::default());
        assert_eq!(
            load("[assistant]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9000/bot\"").unwrap(),
            AssistantConfig::Webhook {
                url: "http://127.0.0.1:9000/bot".into(),
                secret: None,
                timeout_ms: 8_000
            }
        );
        assert_eq!(
            load("[assistant]\nkind = \"builtin\"\nkb_dir = \"/srv/kb\"\nmin_confidence = 0.4")
                .unwrap(),
            AssistantConfig::Builtin {
                kb_dir: Some("/srv/kb".into()),
                min_confidence: 0.4,
                followup_penalty: 0.8
            }
        );
        let openai = load(
            "[assistant]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:11434/v1\"\nmodel = \"llama3.1\"\napi_key = \"k\"\ntimeout_ms = 5000",
        )
        .unwrap();
        assert!(
            matches!(&openai, AssistantConfig::OpenAi { model, timeout_ms: 5000, max_history: 30, .. } if model == "llama3.1"),
            "{openai:?}"
        );
        assert_eq!(
            load("[assistant]\nkind = \"none\"").unwrap(),
            AssistantConfig::None
        );
    }

    #[test]
    fn unknown_keys_and_kinds_are_rejected_by_name() {
        let e = load("[assistant]\nkind = \"webhook\"\nurl = \"http://x/\"\nsecrett = \"s\"")
            .unwrap_err();
        assert!(e.contains("secrett"), "{e}");
        let e = load("[assistant]\nkind = \"gpt\"").unwrap_err();
        assert!(e.contains("gpt"), "{e}");
        assert!(load("[assistant]\nkind = \"webhook\"")
            .unwrap_err()
            .contains("url"));
    }

    #[test]
    fn round_trips_through_serde() {
        for cfg in [
            AssistantConfig::default(),
            AssistantConfig::Builtin {
                kb_dir: Some("kb".into()),
                min_confidence: 0.5,
                followup_penalty: 0.7,
            },
            AssistantConfig::Webhook {
                url: "https://bot.example.com/hook".into(),
                secret: Some("s".into()),
                timeout_ms: 100,
            },
            AssistantConfig::None,
        ] {
            let back: AssistantConfig =
                Figment::from(Serialized::defaults(&cfg)).extract().unwrap();
            assert_eq!(back, cfg);
            let json = serde_json::to_string(&cfg).unwrap();
            assert_eq!(
                serde_json::from_str::<AssistantConfig>(&json).unwrap(),
                cfg,
                "{json}"
            );
        }
        // The default serialises to its tag alone (see the module doc for why).
        assert_eq!(
            serde_json::to_string(&AssistantConfig::default()).unwrap(),
            r#"{"kind":"builtin"}"#
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let cfg =
            load("[assistant]\nkind = \"webhook\"\nurl = \"http://x/\"\nsecret = \"hunter2\"")
                .unwrap();
        let shown = format!("{cfg:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("redacted"),
            "{shown}"
        );
    }
}
