//! Test harness: a real gateway on a loopback port 0 with a fresh SQLite database per test, plus
//! small helpers to act as a customer, an agent, a manager or a bot over REST and WebSocket.
#![allow(dead_code)]

pub mod nats;
pub mod postgres;
pub mod speech;
pub mod tmpfs;

use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use warmline::app::{self, admin, Running};
use warmline::assistant::AssistantConfig;
use warmline::bench::client::{self, Socket};
use warmline::config::Config;
use warmline::domain::Role;

pub mod browser;

pub use warmline::bench::client::{next_json, send_json};

/// The suite's heavy slot: the whole suite is one process (`tests/it`), where libtest runs two
/// tests at a time (one per core) from any areas. Tests that could not share two cores with
/// another of their kind take it first and hold it to their end:
/// - everything that drives browsers (`browser::run_script`: two or three Chromiums with live
///   media and real-time expectations), the `browser_*` areas and the e-mail form's test;
/// - Whisper (`whisper_model`: `transcribe`, `model_import`, the browser transcription tests) and
///   the embedding model (`embedding_model`: `intelligence`);
/// - the long media tests: `forwarding` and `audio_tap` send packets in real time and read the
///   media server's counters, which are per process (`warmline::media::stats`): another call in
///   the process would add to them;
/// - `hardening::a_turn_costs_the_same_in_a_long_conversation`, which measures the CPU time of the
///   whole process.
///
/// Light tests still run beside a heavy one. A tokio mutex: it does not poison (a failed test's
/// guard is released as it unwinds), and works across the tests' own runtimes.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits for the heavy slot: `let _heavy = heavy().await;` as a heavy test's first line.
pub async fn heavy() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.lock().await
}

/// [`heavy`] for a test without a runtime (`#[test]`).
pub fn heavy_blocking() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.blocking_lock()
}

/// Fails a test that reached `what` without holding the heavy slot. (If the slot is free, the
/// caller does not hold it; if it is taken, most likely the caller does.)
pub(crate) fn assert_heavy(what: &str) {
    assert!(
        HEAVY.try_lock().is_err(),
        "{what} is for heavy tests: take `common::heavy()` first (tests/it/common/mod.rs)"
    );
}

pub struct TestApp {
    pub running: Option<Running>,
    pub base: String,
    pub http: reqwest::Client,
    pub config: Config,
    pub dir: tempfile::TempDir,
}

#[allow(clippy::field_reassign_with_default)] // reads better as "defaults, then these changes"
pub fn test_config(dir: &Path) -> Config {
    let mut c = Config::default();
    c.listen = "127.0.0.1:0".parse().expect("literal address");
    c.data_dir = dir.to_owned();
    c.log.filter = "warn".into();
    // Cheap hashes keep the suite fast; production uses the OWASP minimum (config default).
    c.auth.argon2_memory_kib = 64;
    c.auth.argon2_iterations = 1;
    c.assistant = AssistantConfig::None;
    // Transcription loads a model and starts worker threads; only the tests about it turn it on.
    c.transcribe.enabled = false;
    // `WLTEST_STORE=postgres` runs the gateways of the tests on the Postgres store instead of
    // SQLite (a fresh database each), to check that the whole gateway behaves alike on both.
    if std::env::var("WLTEST_STORE").is_ok_and(|s| s == "postgres") {
        c.storage.url = Some(postgres::database().expect("WLTEST_STORE=postgres needs a server"));
    }
    c
}

/// The converted Whisper model the transcription tests use: `WLTEST_MODEL`, or the one
/// `models/fetch.sh` (run by the test command) leaves in the shared cache. `None` (the test
/// skips) when it is missing, unless `WLTEST_REQUIRE_MODEL` is set, which makes that a failure.
/// Only for heavy tests ([`heavy`]).
pub fn whisper_model() -> Option<std::path::PathBuf> {
    assert_heavy("the Whisper model");
    let path = std::env::var_os("WLTEST_MODEL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_default();
            Path::new(&home).join(".cache/warmline/models/ggml-tiny.en-q8_0.bin")
        });
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("WLTEST_REQUIRE_MODEL").is_some() {
        panic!(
            "Whisper model {} is missing: run models/fetch.sh (scripts/test.sh does)",
            path.display()
        );
    }
    eprintln!(
        "skipped: no Whisper model at {} (models/fetch.sh makes it)",
        path.display()
    );
    None
}

/// The embedding model the semantic tests use: `WLTEST_EMBEDDING_MODEL`, or the folder
/// `models/fetch.sh` (run by the test command) leaves in the shared cache. `None` (the test skips)
/// when it is missing, unless `WLTEST_REQUIRE_MODEL` is set, which makes that a failure.
/// Only for heavy tests ([`heavy`]).
pub fn embedding_model() -> Option<std::path::PathBuf> {
    assert_heavy("the embedding model");
    let path = std::env::var_os("WLTEST_EMBEDDING_MODEL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_default();
            Path::new(&home).join(".cache/warmline/models/all-MiniLM-L6-v2")
        });
    if warmline::embed::package::verify(&path).is_ok() {
        return Some(path);
    }
    if std::env::var_os("WLTEST_REQUIRE_MODEL").is_some() {
        panic!(
            "embedding model {} is missing: run models/fetch.sh (scripts/test.sh does)",
            path.display()
        );
    }
    eprintln!(
        "skipped: no embedding model at {} (models/fetch.sh makes it)",
        path.display()
    );
    None
}

/// Starts a gateway with the test configuration, adjusted by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(dir.path());
    tweak(&mut config);
    let running = app::start(config.clone()).await.expect("gateway starts");
    TestApp {
        base: running.base_url(),
        running: Some(running),
        http: reqwest::Client::new(),
        config,
        dir,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

impl TestApp {
    /// Stops the gateway and starts a new one on the same database (a new port).
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("gateway stops");
        }
        let running = app::start(self.config.clone())
            .await
            .expect("gateway restarts");
        self.base = running.base_url();
        self.running = Some(running);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn store(&self) -> std::sync::Arc<dyn warmline::storage::Store> {
        self.running.as_ref().expect("running").store.clone()
    }

    pub async fn add_user(&self, username: &str, role: Role, skills: &[&str]) -> String {
        let policy = app::password_policy(&self.config).expect("policy");
        let spec = admin::UserSpec {
            username: username.into(),
            name: format!("{username} (test)"),
            role,
            password: Some(format!("{username}-password")),
            skills: skills.iter().map(|s| s.to_string()).collect(),
            languages: vec!["en".into()],
            max_concurrent: 5,
        };
        admin::add_user(&*self.store(), &policy, spec)
            .await
            .expect("user created");
        self.login(username).await
    }

    pub async fn login(&self, username: &str) -> String {
        let res = self
            .http
            .post(self.url("/api/auth/login"))
            .json(&json!({ "username": username, "password": format!("{username}-password") }))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), 200, "login of {username}");
        let v: Value = res.json().await.expect("login json");
        v["token"].as_str().expect("token").to_owned()
    }

    pub async fn api_key(&self, name: &str) -> String {
        admin::create_api_key(&*self.store(), name)
            .await
            .expect("api key")
            .1
    }

    /// Creates a conversation; returns `(conversationId, customerToken)`.
    pub async fn new_conversation(&self, customer: Value) -> (String, String) {
        let res = self
            .http
            .post(self.url("/api/conversations"))
            .json(&json!({ "customer": customer }))
            .send()
            .await
            .expect("create request");
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.expect("json");
        (
            v["conversationId"].as_str().expect("id").into(),
            v["customerToken"].as_str().expect("token").into(),
        )
    }

    pub async fn post_message(
        &self,
        token: &str,
        conversation: &str,
        content: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/conversations/{conversation}/messages")))
            .bearer_auth(token)
            .json(&json!({ "content": content }))
            .send()
            .await
            .expect("post request")
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> reqwest::Response {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("get request")
    }

    pub async fn socket(&self, token: &str) -> Socket {
        client::Client::new(&self.base)
            .socket(token)
            .await
            .expect("socket authenticates")
    }

    /// Opens a raw, unauthenticated socket.
    pub async fn raw_socket(&self) -> Socket {
        let url = format!("{}/api/ws", self.base.replacen("http", "ws", 1));
        tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connects")
            .0
    }
}

/// Subscribes and collects the replay up to `subscribed`; returns the replayed events.
pub async fn subscribe(ws: &mut Socket, conversation: &str, after: u64) -> Vec<Value> {
    send_json(
        ws,
        &json!({ "type": "subscribe", "conversationId": conversation, "afterSeq": after }),
    )
    .await
    .expect("send");
    let mut events = Vec::new();
    loop {
        let f = recv(ws).await;
        match f["type"].as_str() {
            Some("event") => events.push(f["event"].clone()),
            Some("subscribed") => return events,
            // Ephemeral, or addressed to the staff member rather than the conversation.
            Some(
                "presence" | "typing" | "receipt" | "agent_status" | "offer" | "offer_withdrawn"
                | "queue",
            ) => {}
            _ => panic!("unexpected frame while subscribing: {f}"),
        }
    }
}

/// The next frame, failing the test after 10 s.
pub async fn recv(ws: &mut Socket) -> Value {
    tokio::time::timeout(Duration::from_secs(10), next_json(ws))
        .await
        .expect("frame within 10 s")
        .expect("frame")
}

/// The next frame of one of `types`, skipping others (presence, typing, ...).
pub async fn recv_type(ws: &mut Socket, types: &[&str]) -> Value {
    loop {
        let f = recv(ws).await;
        if types.iter().any(|t| f["type"] == *t) {
            return f;
        }
    }
}

/// The next committed event of `kind`, skipping other frames and events.
pub async fn next_event(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let f = recv_type(ws, &["event"]).await;
        if f["event"]["type"] == kind {
            return f["event"].clone();
        }
    }
}

/// Sends a handoff frame and returns the gateway's answer to it (`done` or `error`).
pub async fn step(ws: &mut Socket, frame: Value) -> Value {
    send_json(ws, &frame).await.expect("send");
    recv_type(ws, &["done", "error"]).await
}

/// The next message event, skipping other frames.
pub async fn recv_message(ws: &mut Socket) -> Value {
    loop {
        let f = recv_type(ws, &["event"]).await;
        if f["event"]["type"] == "message" {
            return f["event"].clone();
        }
    }
}

/// Starts `warmline serve` on `data_dir`; returns the process and its base URL.
pub fn spawn_binary(
    data_dir: &std::path::Path,
    extra_env: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_warmline"));
    cmd.args(["serve"])
        .env("WARMLINE_DATA_DIR", data_dir)
        .env("WARMLINE_LISTEN", "127.0.0.1:0")
        .env("WARMLINE_LOG__FILTER", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("warmline serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut base = None;
    let mut lines = std::io::BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(url) = line.trim().strip_prefix("Customer chat:") {
            base = Some(url.trim().trim_end_matches("/chat").to_owned());
            break;
        }
    }
    // Keep reading so the gateway never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, base.expect("the gateway printed its address"))
}

/// A site named `name` whose widget runs on `https://app.acme.io`, created as
/// `warmline sites add` would.
pub async fn acme_site(app: &TestApp, name: &str) -> warmline::domain::site::Site {
    warmline::service::sites::create(
        &*app.store(),
        warmline::service::sites::NewSite {
            name: name.into(),
            origins: vec!["https://app.acme.io".into()],
            ..Default::default()
        },
    )
    .await
    .expect("site created")
}

/// An identity token as the site's backend signs it (HS256 with `secret`): `sub` user-42, valid
/// ten minutes, `aud` the site; `claims` are added or override those.
pub fn identity_token(site: &warmline::domain::site::Site, secret: &str, claims: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({ "sub": "user-42", "iat": now, "exp": now + 600, "aud": site.id });
    for (k, v) in claims.as_object().cloned().unwrap_or_default() {
        c[k] = v;
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &c,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token signed")
}
