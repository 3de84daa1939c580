//! Typed settings. Layers, later wins: built-in defaults -> optional TOML file (`--config`) ->
//! `WARMLINE_*` environment variables (nested keys joined by `__`, e.g.
//! `WARMLINE_LIMITS__MAX_MESSAGE_BYTES=32768`). Unknown keys are rejected with their name, and values
//! are validated once at start; `ConfigError` carries a message fit for the operator.

use crate::analysis::AnalysisConfig;
use crate::assistant::AssistantConfig;
use crate::email::EmailConfig;
use crate::embed::SemanticConfig;
use crate::handoff::HandoffConfig;
use crate::media::MediaConfig;
use crate::review::ReviewConfig;
use crate::transcribe::TranscribeConfig;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(String),
    #[error("configuration: {key}: {problem}")]
    Invalid { key: &'static str, problem: String },
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP/WebSocket listener binds.
    pub listen: SocketAddr,
    /// Where the SQLite database (and later recordings and models) live.
    pub data_dir: PathBuf,
    /// Base URL printed for people and used in links; derived from `listen` when unset.
    pub public_url: Option<String>,
    /// How the assistant is named to customers and agents (its participant name).
    pub assistant_name: String,
    /// On SIGTERM/SIGINT: how long the gateway takes at most to end calls (finalising their
    /// recordings), close sockets and finish requests in flight before it exits.
    pub shutdown_grace_secs: u64,
    pub log: LogConfig,
    pub storage: StorageConfig,
    pub limits: LimitsConfig,
    pub auth: AuthConfig,
    pub analysis: AnalysisConfig,
    pub assistant: AssistantConfig,
    pub handoff: HandoffConfig,
    pub media: MediaConfig,
    pub transcribe: TranscribeConfig,
    pub review: ReviewConfig,
    /// E-mail follow-ups and transcripts through an SMTP server (`[email]`); off until set.
    pub email: EmailConfig,
    /// The sentence-embedding model behind retrieval, intent and matching (`[semantic]`).
    pub semantic: SemanticConfig,
    /// Files customers and agents attach to messages (`[attachments]`).
    pub attachments: crate::attachments::AttachmentsConfig,
    /// Websites that embed the widget, declared here (`[[sites]]`) rather than with
    /// `warmline sites add`: created or updated at every start.
    pub sites: Vec<crate::domain::site::SiteConfig>,
    /// Cluster mode (`[cluster]`): several gateways on one Postgres database, fan-out over NATS.
    pub cluster: ClusterConfig,
}

/// Cluster mode: gateways sharing one Postgres database (`[storage] url`) reach each other over
/// core NATS. Rate limits, connection caps and the in-memory caches stay per node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// NATS server URL (`nats://HOST:4222`); unset: a single node, no fan-out between nodes.
    pub nats: Option<String>,
    /// This node's name on the bus and in logs; a random one per start when unset.
    pub node_id: Option<String>,
    /// How often a node checks, with one query, that its subscribers got every committed event
    /// (what a lost NATS message would leave out, or everything while NATS is down).
    pub check_interval_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            nats: None,
            node_id: None,
            check_interval_ms: 1000,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            public_url: None,
            assistant_name: "Assistant".into(),
            log: LogConfig::default(),
            storage: StorageConfig::default(),
            limits: LimitsConfig::default(),
            auth: AuthConfig::default(),
            analysis: AnalysisConfig::default(),
            assistant: AssistantConfig::default(),
            handoff: HandoffConfig::default(),
            media: MediaConfig::default(),
            transcribe: TranscribeConfig::default(),
            review: ReviewConfig::default(),
            email: EmailConfig::default(),
            semantic: SemanticConfig::default(),
            attachments: Default::default(),
            shutdown_grace_secs: 20,
            sites: Vec::new(),
            cluster: ClusterConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `warmline=debug,tower_http=info`; `RUST_LOG` overrides it.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Database URL: `sqlite://PATH` (one gateway process owns the file) or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (cluster mode: several gateways share it);
    /// `sqlite://<data_dir>/warmline.db` when unset.
    pub url: Option<String>,
    /// Most writes grouped into one durable commit.
    pub max_batch: usize,
    /// Connections serving reads (WAL lets them run beside the writer).
    pub read_connections: u32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            url: None,
            max_batch: 512,
            read_connections: 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Longest message content accepted, in bytes.
    pub max_message_bytes: usize,
    /// Longest WebSocket frame or HTTP body accepted, in bytes.
    pub max_frame_bytes: usize,
    /// Frames a single WebSocket may send per second (sustained) and in a burst.
    pub ws_frames_per_second: u32,
    pub ws_frame_burst: u32,
    /// HTTP requests (WebSocket upgrades included) per client IP per second, and burst.
    pub http_requests_per_second_per_ip: u32,
    pub http_request_burst_per_ip: u32,
    /// Conversations created per client IP per minute.
    pub conversations_per_minute_per_ip: u32,
    /// E-mail requests (follow-ups, transcripts, opened e-mail links) per client IP per hour.
    pub email_requests_per_hour_per_ip: u32,
    /// Anonymous conversations per minute, gateway-wide, from which each new one must solve a
    /// proof-of-work challenge (0: never). The difficulty starts at `challenge_base_bits` and
    /// grows one bit per doubling of the rate, up to `challenge_max_bits`.
    pub challenge_above_conversations_per_minute: u32,
    pub challenge_base_bits: u8,
    pub challenge_max_bits: u8,
    /// Login attempts per client IP per minute (each costs an argon2 hash).
    pub logins_per_minute_per_ip: u32,
    /// Simultaneous WebSocket connections for the whole gateway.
    pub max_connections: usize,
    /// Conversations one socket may subscribe to.
    pub max_subscriptions_per_socket: usize,
    /// Seconds a WebSocket has to authenticate.
    pub auth_timeout_secs: u64,
    /// Seconds a connection has to send a request's head; also how long an idle keep-alive
    /// connection is kept.
    pub header_read_timeout_secs: u64,
    /// Open TCP connections one address (IPv4, or IPv6 /64) may hold; trusted proxies are exempt.
    pub max_connections_per_ip: usize,
    /// Open HTTP connections for the whole gateway (WebSockets count under `max_connections`).
    pub max_http_connections: usize,
    /// WebSockets one address (IPv4, or IPv6 /64) may hold; trusted proxies are exempt, their
    /// clients count by their forwarded address.
    pub max_websockets_per_ip: usize,
    /// Reverse proxies (addresses or CIDR ranges, e.g. `["127.0.0.1", "10.0.0.0/8"]`) whose
    /// `X-Forwarded-For` is believed. Empty: every client is its TCP peer.
    pub trusted_proxies: Vec<String>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024,
            max_frame_bytes: 64 * 1024,
            ws_frames_per_second: 20,
            ws_frame_burst: 60,
            http_requests_per_second_per_ip: 50,
            http_request_burst_per_ip: 200,
            conversations_per_minute_per_ip: 30,
            email_requests_per_hour_per_ip: 20,
            challenge_above_conversations_per_minute: 120,
            challenge_base_bits: 18,
            challenge_max_bits: 22,
            logins_per_minute_per_ip: 20,
            max_connections: 20_000,
            max_subscriptions_per_socket: 2_000,
            auth_timeout_secs: 10,
            header_read_timeout_secs: 10,
            max_connections_per_ip: 256,
            max_http_connections: 10_000,
            max_websockets_per_ip: 128,
            trusted_proxies: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Lifetime of a staff login token.
    pub staff_token_ttl_hours: u32,
    /// Lifetime of the token a customer gets with a new conversation.
    pub customer_token_ttl_hours: u32,
    /// argon2id cost (memory in KiB, iterations); OWASP's minimum is 19456 KiB x 2.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            staff_token_ttl_hours: 12,
            customer_token_ttl_hours: 24 * 30,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
        }
    }
}

/// Environment variables that belong to the command line or the scripts (`WARMLINE_CACHE`, the
/// cache folder of `models fetch` and scripts/setup.sh), not to the configuration tree.
const CLI_ENV: &[&str] = &["CONFIG", "NEW_PASSWORD", "CACHE"];

impl Config {
    /// Loads defaults, then `file` (if given), then the environment, and validates the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::MissingFile(path.to_owned()));
            }
            fig = fig.merge(Toml::file(path));
        }
        fig = fig.merge(
            Env::prefixed("WARMLINE_")
                .filter(|k| !CLI_ENV.iter().any(|c| k.as_str().eq_ignore_ascii_case(c)))
                .split("__"),
        );
        let cfg: Config = fig.extract().map_err(|e| ConfigError::Load(describe(e)))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Defaults, then the TOML `text` (no environment), validated: what a configuration file
    /// alone makes of the gateway.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let cfg: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| ConfigError::Load(describe(e)))?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        for proxy in &l.trusted_proxies {
            let p = proxy.trim();
            check(
                "limits.trusted_proxies",
                p.parse::<ipnet::IpNet>().is_ok() || p.parse::<std::net::IpAddr>().is_ok(),
                &format!("{proxy:?} is neither an address nor a CIDR range"),
            )?;
        }
        check(
            "limits.header_read_timeout_secs",
            (1..=300).contains(&l.header_read_timeout_secs),
            "must be 1..=300",
        )?;
        check(
            "limits.max_connections_per_ip",
            l.max_connections_per_ip > 0
                && l.max_websockets_per_ip > 0
                && l.max_http_connections > 0,
            "connection caps must be positive",
        )?;
        check(
            "limits.max_message_bytes",
            (1..=1 << 20).contains(&l.max_message_bytes),
            "must be 1..=1048576",
        )?;
        check(
            "limits.max_frame_bytes",
            l.max_frame_bytes >= l.max_message_bytes + 1024 && l.max_frame_bytes <= 16 << 20,
            "must exceed max_message_bytes by at least 1024 and be at most 16 MiB",
        )?;
        check(
            "limits.ws_frames_per_second",
            l.ws_frames_per_second > 0,
            "must be positive",
        )?;
        check(
            "limits.ws_frame_burst",
            l.ws_frame_burst > 0,
            "must be positive",
        )?;
        check(
            "limits.http_requests_per_second_per_ip",
            l.http_requests_per_second_per_ip > 0,
            "must be positive",
        )?;
        check(
            "limits.http_request_burst_per_ip",
            l.http_request_burst_per_ip > 0,
            "must be positive",
        )?;
        check(
            "limits.conversations_per_minute_per_ip",
            l.conversations_per_minute_per_ip > 0,
            "must be positive",
        )?;
        check(
            "limits.challenge_max_bits",
            (1..=32).contains(&l.challenge_max_bits)
                && (1..=l.challenge_max_bits).contains(&l.challenge_base_bits),
            "challenge bits must satisfy 1 <= challenge_base_bits <= challenge_max_bits <= 32",
        )?;
        check(
            "limits.logins_per_minute_per_ip",
            l.logins_per_minute_per_ip > 0,
            "must be positive",
        )?;
        check(
            "limits.max_connections",
            l.max_connections > 0,
            "must be positive",
        )?;
        check(
            "limits.max_subscriptions_per_socket",
            l.max_subscriptions_per_socket > 0,
            "must be positive",
        )?;
        check(
            "limits.auth_timeout_secs",
            l.auth_timeout_secs > 0,
            "must be positive",
        )?;
        check(
            "storage.max_batch",
            (1..=10_000).contains(&self.storage.max_batch),
            "must be 1..=10000",
        )?;
        check(
            "storage.read_connections",
            (1..=64).contains(&self.storage.read_connections),
            "must be 1..=64",
        )?;
        if let Some(url) = &self.storage.url {
            check(
                "storage.url",
                ["sqlite:", "postgres:", "postgresql:"]
                    .iter()
                    .any(|scheme| url.starts_with(scheme)),
                "must be sqlite://PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE",
            )?;
        }
        if self.cluster.nats.is_some() {
            check(
                "cluster.nats",
                self.database_url().starts_with("postgres"),
                "needs a Postgres store ([storage] url = \"postgres://…\"): an SQLite file belongs to one node",
            )?;
        }
        check(
            "cluster.check_interval_ms",
            (50..=60_000).contains(&self.cluster.check_interval_ms),
            "must be 50..=60000",
        )?;
        let a = &self.auth;
        check(
            "auth.staff_token_ttl_hours",
            a.staff_token_ttl_hours > 0,
            "must be positive",
        )?;
        check(
            "auth.customer_token_ttl_hours",
            a.customer_token_ttl_hours > 0,
            "must be positive",
        )?;
        check(
            "auth.argon2_memory_kib",
            a.argon2_memory_kib >= 8,
            "must be at least 8",
        )?;
        check(
            "auth.argon2_iterations",
            a.argon2_iterations >= 1,
            "must be at least 1",
        )?;
        if let Err(e) = self.handoff.policy.validate() {
            return Err(ConfigError::Invalid {
                key: "handoff.policy",
                problem: e.to_string(),
            });
        }
        if let Err(e) = self.handoff.routing.validate() {
            return Err(ConfigError::Invalid {
                key: "handoff.routing",
                problem: e.to_string(),
            });
        }
        if let Err(e) = self.media.validate() {
            return Err(ConfigError::Invalid {
                key: "media",
                problem: e.to_string(),
            });
        }
        if let Err(e) = self.transcribe.validate() {
            return Err(ConfigError::Invalid {
                key: "transcribe",
                problem: e.to_string(),
            });
        }
        if let Err(problem) = self.email.validate() {
            return Err(ConfigError::Invalid {
                key: "email",
                problem,
            });
        }
        if let Err(e) = self.review.validate() {
            return Err(ConfigError::Invalid {
                key: "review",
                problem: e.to_string(),
            });
        }
        if let Err(problem) = self.attachments.validate() {
            return Err(ConfigError::Invalid {
                key: "attachments",
                problem,
            });
        }
        check(
            "shutdown_grace_secs",
            (1..=600).contains(&self.shutdown_grace_secs),
            "must be 1..=600",
        )?;
        let now = chrono::Utc::now();
        let mut ids = std::collections::HashSet::new();
        for site in &self.sites {
            if let Err(e) = site.to_site(now) {
                return Err(ConfigError::Invalid {
                    key: "sites",
                    problem: format!("site {:?}: {e}", site.id),
                });
            }
            check(
                "sites",
                ids.insert(site.id.trim()),
                &format!("site id {:?} is declared twice", site.id),
            )?;
        }
        let name_len = self.assistant_name.trim().len();
        check(
            "assistant_name",
            (1..=64).contains(&name_len),
            "must be 1-64 characters",
        )?;
        if let Some(url) = &self.public_url {
            check(
                "public_url",
                url.starts_with("http://") || url.starts_with("https://"),
                "must start with http:// or https://",
            )?;
        }
        Ok(())
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.storage.url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("warmline.db").display()),
        }
    }

    /// The base URL for links, given the address actually bound.
    pub fn base_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None if bound.ip().is_unspecified() => format!("http://127.0.0.1:{}", bound.port()),
            None => format!("http://{bound}"),
        }
    }
}

/// Keys whose values are secrets, wherever they appear in the tree.
const SECRET_KEYS: &[&str] = &["secret", "webhook_secret", "api_key", "password", "token"];
const MASK: &str = "********";

impl Config {
    /// The configuration as TOML, with every secret masked (TURN, webhook and API secrets, and a
    /// password inside a database URL): what `warmline config` prints.
    pub fn to_masked_toml(&self) -> Result<String, ConfigError> {
        let mut value =
            toml::Value::try_from(self).map_err(|e| ConfigError::Load(e.to_string()))?;
        mask(&mut value, None);
        toml::to_string_pretty(&value).map_err(|e| ConfigError::Load(e.to_string()))
    }
}

fn mask(value: &mut toml::Value, key: Option<&str>) {
    match value {
        toml::Value::String(s)
            if key.is_some_and(|k| SECRET_KEYS.contains(&k)) && !s.is_empty() =>
        {
            *s = MASK.into();
        }
        toml::Value::String(s) if key.is_some_and(|k| SECRET_KEYS.contains(&k)) => {}
        toml::Value::String(s) if s.contains("://") => {
            // scheme://user:password@host...
            if let Some((scheme, rest)) = s.split_once("://") {
                if let Some((userinfo, host)) = rest.split_once('@') {
                    if let Some((user, _)) = userinfo.split_once(':') {
                        *s = format!("{scheme}://{user}:{MASK}@{host}");
                    }
                }
            }
        }
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                mask(v, Some(k.as_str()));
            }
        }
        toml::Value::Array(items) => {
            for v in items {
                mask(v, key);
            }
        }
        _ => {}
    }
}

fn check(key: &'static str, ok: bool, problem: &str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            key,
            problem: problem.to_owned(),
        })
    }
}

/// figment's errors name the key path and the source; flatten them into one readable line.
fn describe(e: figment::Error) -> String {
    e.into_iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn printed_configuration_masks_every_secret() {
        let mut c = Config::default();
        c.media.turn = Some(crate::media::config::TurnConfig {
            urls: vec!["turn:turn.example.com:3478".into()],
            secret: "turn-s3cret".into(),
            ttl_secs: 600,
        });
        c.review.webhook_secret = Some("hook-s3cret-long-enough".into());
        c.storage.url = Some("postgres://wl:db-s3cret@db.internal/wl".into());
        let text = c.to_masked_toml().unwrap();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(
            text.contains("postgres://wl:********@db.internal/wl"),
            "{text}"
        );
        assert!(text.contains("listen ="), "the rest is printed");
    }

    #[test]
    fn the_store_is_sqlite_or_postgres() {
        let mut c = Config::default();
        for ok in [
            "sqlite:///var/lib/warmline/w.db",
            "postgres://wl@db/wl",
            "postgresql://db/wl",
        ] {
            c.storage.url = Some(ok.into());
            c.validate().unwrap();
        }
        c.storage.url = Some("mysql://db/wl".into());
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("storage.url"), "{e}");
    }

    #[test]
    fn nats_needs_a_shared_store() {
        let mut c = Config::default();
        c.cluster.nats = Some("nats://127.0.0.1:4222".into());
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("cluster.nats"), "{e}");
        c.storage.url = Some("postgres://wl@db/wl".into());
        c.validate().unwrap();
    }

    #[test]
    fn trusted_proxies_must_parse() {
        let mut c = Config::default();
        c.limits.trusted_proxies = vec!["10.0.0.0/8".into(), "::1".into()];
        c.validate().unwrap();
        c.limits.trusted_proxies.push("the-proxy".into());
        assert!(c.validate().is_err());
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own large error type
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "w.toml",
                "listen = \"127.0.0.1:9000\"\n[limits]\nmax_message_bytes = 2048\n",
            )?;
            jail.set_env("WARMLINE_LIMITS__MAX_MESSAGE_BYTES", "4096");
            let cfg = Config::load(Some(Path::new("w.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(cfg.listen.port(), 9000);
            assert_eq!(cfg.limits.max_message_bytes, 4096);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.toml");
        let mut f = std::fs::File::create(&path).unwrap();
        writeln!(f, "[limits]\nmax_mesage_bytes = 10").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("max_mesage_bytes"), "{err}");
    }

    #[test]
    fn handoff_sections_load_and_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.toml");
        std::fs::write(
            &path,
            "[handoff.policy]\nlow_confidence = 0.3\n[handoff.routing]\noffer_timeout_secs = 45\n",
        )
        .unwrap();
        let cfg = Config::load(Some(&path)).unwrap();
        assert_eq!(cfg.handoff.policy.low_confidence, 0.3);
        assert_eq!(cfg.handoff.routing.offer_timeout_secs, 45);
        std::fs::write(&path, "[handoff.routing]\noffer_timeout_secs = 0\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("handoff.routing"), "{err}");
    }

    #[test]
    fn bad_values_are_rejected_with_their_key() {
        let mut cfg = Config::default();
        cfg.limits.max_message_bytes = 0;
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("limits.max_message_bytes"), "{err}");
    }
}
