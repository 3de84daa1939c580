//! E-mail follow-ups and transcripts against a real SMTP server: Debian's `python3-aiosmtpd` runs
//! a local sink that writes every message it accepts (decoded by Python's `email` package) to a
//! folder as JSON. Covered: nobody online -> the customer leaves an e-mail address -> an agent
//! signs in, sees the follow-up, replies twice -> one e-mail with both replies and a link ->
//! the link resumes the conversation; the transcript by e-mail (no staff notes) and its limit;
//! an SMTP server that is down, then up after a gateway restart (nothing lost); bad addresses and
//! links refused in plain words; e-mail off.

use crate::common;

use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use warmline::assistant::AssistantConfig;
use warmline::config::Config;
use warmline::domain::Role;
use warmline::email::TlsMode;

const SINK: &str = r#"
import json, os, sys, time
from email import policy
from email.parser import BytesParser
from aiosmtpd.controller import Controller

out, port = sys.argv[1], int(sys.argv[2])

class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
        def part(kind):
            p = msg.get_body(preferencelist=(kind,))
            return p.get_content() if p is not None else None
        record = {
            "to": list(envelope.rcpt_tos),
            "from": str(msg["From"]),
            "subject": str(msg["Subject"]),
            "text": part("plain"),
            "html": part("html"),
        }
        name = "%d.json" % time.time_ns()
        tmp = os.path.join(out, "." + name)
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(out, name))
        return "250 Message accepted"

controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"#;

/// A Python that has aiosmtpd (Debian's package goes to the system interpreter), or `None`
/// (skip) when there is none, unless `WLTEST_REQUIRE_ROOT` says the test command installed it.
fn python_with_aiosmtpd() -> Option<String> {
    for python in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(python.to_owned());
        }
    }
    if std::env::var_os("WLTEST_REQUIRE_ROOT").is_some() {
        panic!("python3-aiosmtpd is missing: scripts/test.sh installs it (apt-get install python3-aiosmtpd)");
    }
    eprintln!("skipped: no aiosmtpd (apt-get install python3-aiosmtpd, as root)");
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The local SMTP sink; stops when dropped.
struct Sink {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Sink {
    fn start(python: &str, port: u16) -> Self {
        let dir = tempfile::tempdir().expect("sink dir");
        let script = dir.path().join("sink.py");
        std::fs::write(&script, SINK).expect("sink script");
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).expect("mail dir");
        let mut child = Command::new(python)
            .arg(&script)
            .arg(&mail)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the SMTP sink starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("sink output");
        assert_eq!(line.trim(), "ready", "the SMTP sink is listening");
        Self { child, dir, port }
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// Every message received so far, oldest first.
    fn messages(&self) -> Vec<Value> {
        read_mail(&self.mail_dir())
    }

    /// Waits up to `secs` for at least `n` messages.
    async fn wait_for(&self, n: usize, secs: u64) -> Vec<Value> {
        let until = Instant::now() + Duration::from_secs(secs);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                Instant::now() < until,
                "expected {n} e-mail(s) within {secs} s, got {}: {m:?}",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.write_all(b"");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_mail(dir: &Path) -> Vec<Value> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .iter()
        .filter_map(|n| std::fs::read_to_string(dir.join(n)).ok())
        .filter_map(|s| serde_json::from_str(&s).ok())
        .collect()
}

fn email_config(c: &mut Config, port: u16) {
    c.email.smtp_host = Some("127.0.0.1".into());
    c.email.smtp_port = Some(port);
    c.email.tls = TlsMode::Plain;
    c.email.from = Some("Brightboard Support <support@brightboard.test>".into());
    c.email.batch_window_secs = 2;
    c.email.batch_max_wait_secs = 5;
    c.email.retry_base_secs = 1;
    c.email.retry_max_secs = 1;
    c.email.timeout_secs = 5;
    c.assistant = AssistantConfig::default();
}

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, token: Option<&str>, path: &str, body: Value) -> (u16, Value) {
    let mut req = app.http.post(app.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    json_of(req.send().await.expect("request")).await
}

/// Escalates the conversation to a person and waits until it is queued.
async fn escalate(app: &TestApp, customer: &str, id: &str) {
    let res = app
        .post_message(customer, id, "I want to speak to a person about my invoice")
        .await;
    assert_eq!(res.status(), 201);
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, c) = json_of(
            app.get(Some(customer), &format!("/api/conversations/{id}"))
                .await,
        )
        .await;
        if c["status"] == "queued" {
            return;
        }
        assert!(Instant::now() < until, "the conversation is queued: {c}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn metrics(app: &TestApp) -> String {
    app.get(None, "/metrics")
        .await
        .text()
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn nobody_online_the_customer_leaves_an_email_and_the_agents_reply_arrives_by_email() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let sink = Sink::start(&python, free_port());
    let app = spawn_app_with(|c| {
        email_config(c, sink.port);
        // A conversation nobody takes is normally handed back quickly; a follow-up never is.
        c.handoff.policy.no_accept_timeout_secs = 1;
    })
    .await;
    let (_, settings) = json_of(app.get(None, "/api/email").await).await;
    assert_eq!(settings["enabled"], true);

    let (id, customer) = app.new_conversation(json!({ "name": "Dana" })).await;
    escalate(&app, &customer, &id).await;

    // A bad address is refused with the reason, and nothing is committed.
    let path = format!("/api/conversations/{id}/followup");
    let (status, body) = post(
        &app,
        Some(&customer),
        &path,
        json!({ "email": "dana@example", "message": "hi" }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("domain"),
        "{body}"
    );
    let (status, _) = post(&app, None, &path, json!({ "email": "dana@example.com" })).await;
    assert_eq!(status, 401, "only with the customer's token");

    let (status, event) = post(
        &app,
        Some(&customer),
        &path,
        json!({ "email": " dana@example.com ", "message": "I have to go. The invoice INV-20931 was charged twice." }),
    )
    .await;
    assert_eq!(status, 201, "{event}");
    assert_eq!(event["type"], "followup_requested");
    assert_eq!(event["email"], "dana@example.com");

    // Past the hand-back timeout the conversation still waits for a person.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, conv) = json_of(
        app.get(Some(&customer), &format!("/api/conversations/{id}"))
            .await,
    )
    .await;
    assert_eq!(conv["status"], "queued", "a follow-up is never handed back");
    assert_eq!(
        conv["followup"]["email"], "dana@example.com",
        "the customer sees their address"
    );

    // An agent signs in: the conversation is offered and listed as an e-mail follow-up.
    let sam = app
        .add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    let mut ws = app.socket(&sam).await;
    let offer = recv_type(&mut ws, &["offer"]).await;
    assert_eq!(offer["conversationId"], id);
    let (_, list) = json_of(app.get(Some(&sam), "/api/conversations").await).await;
    let row = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["conversationId"] == id)
        .cloned()
        .unwrap();
    assert_eq!(row["emailFollowup"], true, "{row}");
    for frame in ["accept_offer", "open_briefing", "join_conversation"] {
        let done = step(&mut ws, json!({ "type": frame, "conversationId": id })).await;
        assert_eq!(done["type"], "done", "{frame}: {done}");
    }
    let events: Value = app
        .get(Some(&sam), &format!("/api/conversations/{id}/events"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "followup_requested" && e["email"] == "dana@example.com"),
        "staff see the request"
    );

    // Two replies within the batch window: one e-mail with both.
    for text in [
        "Hi Dana, I've refunded the duplicate charge on INV-20931.",
        "It shows on your statement in 3-5 days. <Thanks> for waiting!",
    ] {
        assert_eq!(app.post_message(&sam, &id, text).await.status(), 201);
    }
    let mail = sink.wait_for(1, 15).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "one e-mail for the batch: {mail:?}"
    );
    let m = &mail[0];
    assert_eq!(m["to"], json!(["dana@example.com"]));
    assert!(m["from"]
        .as_str()
        .unwrap()
        .contains("support@brightboard.test"));
    assert!(m["subject"].as_str().unwrap().contains("sam (test)"), "{m}");
    let text = m["text"].as_str().unwrap();
    assert!(text.starts_with("Hi Dana,"), "{text}");
    assert!(text.contains("refunded the duplicate charge"), "{text}");
    assert!(text.contains("3-5 days"), "{text}");
    let html = m["html"].as_str().unwrap();
    assert!(
        html.contains("&lt;Thanks&gt;") && !html.contains("<Thanks>"),
        "escaped: {html}"
    );

    // The link opens the chat page and resumes the conversation with a fresh token.
    let url = text
        .split_whitespace()
        .find(|w| w.contains("/chat?resume="))
        .expect("a link")
        .to_owned();
    assert!(url.starts_with(&app.base), "{url} points at this gateway");
    let page = app.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let token = url.split("resume=").nth(1).unwrap();
    let (status, session) = post(&app, None, "/api/email/resume", json!({ "link": token })).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["conversationId"], id);
    let resumed = session["customerToken"].as_str().unwrap();
    let (status, conv) = json_of(
        app.get(Some(resumed), &format!("/api/conversations/{id}"))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["content"].as_str().unwrap_or("").contains("refunded")));
    assert_eq!(
        app.post_message(resumed, &id, "Thank you!").await.status(),
        201
    );

    // A changed link is refused and gives nothing.
    let forged = token.replacen(&id, "0196a0b0-0000-7000-8000-000000000000", 1);
    let (status, body) = post(&app, None, "/api/email/resume", json!({ "link": forged })).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = post(
        &app,
        None,
        "/api/email/resume",
        json!({ "link": "nonsense" }),
    )
    .await;
    assert_eq!(status, 401);

    // The address is personal data: a manager's export redacts it.
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let export = app
        .get(
            Some(&manager),
            &format!("/api/conversations/{id}/export.json"),
        )
        .await;
    assert_eq!(export.status(), 200);
    let export = export.text().await.unwrap();
    let doc: Value = serde_json::from_str(&export).unwrap();
    assert_eq!(doc["followup"]["email"], "[email]", "{export}");
    assert!(!export.contains("dana@example.com"), "redacted: {export}");

    // Counted in /metrics.
    let text = metrics(&app).await;
    assert!(
        text.contains("warmline_emails_total{kind=\"reply\",outcome=\"sent\"} 1"),
        "{text}"
    );
    assert!(text.contains("warmline_email_requests_total{reason=\"followup\"} 1"));
    drop(ws);
}

#[tokio::test]
async fn replies_the_customer_received_on_the_page_are_not_emailed() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let sink = Sink::start(&python, free_port());
    let app = spawn_app_with(|c| email_config(c, sink.port)).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Noor" })).await;
    escalate(&app, &customer, &id).await;
    let (status, _) = post(
        &app,
        Some(&customer),
        &format!("/api/conversations/{id}/followup"),
        json!({ "email": "noor@example.com" }),
    )
    .await;
    assert_eq!(status, 201);
    // The customer stays on the page: it renders the reply and says so.
    let mut page = app.socket(&customer).await;
    subscribe(&mut page, &id, 0).await;
    let maria = app
        .add_user("maria", Role::Agent, &["billing", "general"])
        .await;
    assert_eq!(
        app.post_message(&maria, &id, "Hi Noor, Maria here.")
            .await
            .status(),
        201
    );
    let reply = loop {
        let m = recv_message(&mut page).await;
        if m["message"]["speaker"] == "agent" {
            break m;
        }
    };
    send_json(
        &mut page,
        &json!({ "type": "delivered", "conversationId": id, "seq": reply["seq"] }),
    )
    .await
    .unwrap();
    // Past the batch window: skipped, not sent.
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let counts = app.store().email_counts().await.unwrap();
        if counts.iter().any(|(s, n)| s == "skipped" && *n == 1) {
            break;
        }
        assert!(Instant::now() < until, "the reply is skipped: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn the_customer_gets_the_transcript_by_email_without_staff_notes() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let sink = Sink::start(&python, free_port());
    let app = spawn_app_with(|c| {
        email_config(c, sink.port);
        c.email.transcripts_per_conversation_per_hour = 2;
    })
    .await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ines" })).await;
    let agent = app
        .add_user("alex", Role::Agent, &["general", "technical"])
        .await;
    assert_eq!(
        app.post_message(&customer, &id, "My dashboard shows a blank page")
            .await
            .status(),
        201
    );
    assert_eq!(
        app.post_message(&agent, &id, "Hi Ines, Alex here. Please clear the cache.")
            .await
            .status(),
        201
    );
    let (status, _) = post(
        &app,
        Some(&agent),
        &format!("/api/conversations/{id}/notes"),
        json!({ "text": "STAFF-ONLY: customer is on the legacy plan" }),
    )
    .await;
    assert_eq!(status, 201);

    let path = format!("/api/conversations/{id}/transcript-email");
    let (status, body) = post(
        &app,
        Some(&customer),
        &path,
        json!({ "email": "not an address" }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(
        &app,
        Some(&agent),
        &path,
        json!({ "email": "ines@example.com" }),
    )
    .await;
    assert_eq!(status, 403, "the customer's own request: {body}");
    let (status, event) = post(
        &app,
        Some(&customer),
        &path,
        json!({ "email": "ines@example.com" }),
    )
    .await;
    assert_eq!(status, 202, "{event}");
    assert_eq!(event["type"], "transcript_email_requested");

    let mail = sink.wait_for(1, 10).await;
    let m = &mail[0];
    assert_eq!(m["to"], json!(["ines@example.com"]));
    assert!(m["subject"].as_str().unwrap().contains("transcript"));
    let text = m["text"].as_str().unwrap();
    assert!(text.contains("My dashboard shows a blank page"), "{text}");
    assert!(text.contains("Please clear the cache"), "{text}");
    assert!(text.contains("alex (test)"), "the agent by name: {text}");
    assert!(!text.contains("STAFF-ONLY") && !m["html"].as_str().unwrap().contains("STAFF-ONLY"));

    // The per-conversation allowance: 2 an hour here.
    let (status, _) = post(
        &app,
        Some(&customer),
        &path,
        json!({ "email": "ines@example.com" }),
    )
    .await;
    assert_eq!(status, 202);
    let (status, body) = post(
        &app,
        Some(&customer),
        &path,
        json!({ "email": "ines@example.com" }),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
}

#[tokio::test]
async fn mail_owed_while_the_smtp_server_is_down_arrives_after_a_restart() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let port = free_port();
    let mut app = spawn_app_with(|c| email_config(c, port)).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Kai" })).await;
    assert_eq!(
        app.post_message(&customer, &id, "Hello there")
            .await
            .status(),
        201
    );
    let (status, _) = post(
        &app,
        Some(&customer),
        &format!("/api/conversations/{id}/transcript-email"),
        json!({ "email": "kai@example.com" }),
    )
    .await;
    assert_eq!(status, 202);
    // Nothing listens on the port: attempts fail and are retried.
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        if metrics(&app)
            .await
            .contains("warmline_emails_total{kind=\"transcript\",outcome=\"retry\"}")
        {
            break;
        }
        assert!(Instant::now() < until, "a failed attempt is retried");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let counts = app.store().email_counts().await.unwrap();
    assert_eq!(counts, vec![("pending".to_owned(), 1)], "kept, not dropped");

    // The gateway stops; the SMTP server comes up; the gateway starts again and delivers.
    if let Some(r) = app.running.take() {
        r.stop().await.expect("stops");
    }
    let sink = Sink::start(&python, port);
    app.restart().await;
    let mail = sink.wait_for(1, 15).await;
    assert_eq!(mail[0]["to"], json!(["kai@example.com"]));
    assert!(mail[0]["text"].as_str().unwrap().contains("Hello there"));
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let counts = app.store().email_counts().await.unwrap();
        if counts == vec![("sent".to_owned(), 1)] {
            break;
        }
        assert!(Instant::now() < until, "recorded as sent: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.messages().len(), 1, "sent once");
}

#[tokio::test]
async fn without_an_smtp_server_email_is_off() {
    let app = spawn_app().await;
    let (_, settings) = json_of(app.get(None, "/api/email").await).await;
    assert_eq!(settings["enabled"], false);
    let (id, customer) = app.new_conversation(json!({})).await;
    let (status, body) = post(
        &app,
        Some(&customer),
        &format!("/api/conversations/{id}/followup"),
        json!({ "email": "dana@example.com" }),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = post(&app, None, "/api/email/resume", json!({ "link": "x.1.y" })).await;
    assert_eq!(status, 404);
}

/// The customer page offers "Leave your e-mail" while nobody is online (desktop and phone), and
/// the agent's inbox marks the follow-ups; screenshots in `WLTEST_SCREENSHOTS`.
#[tokio::test]
async fn the_customer_page_offers_the_email_form_when_nobody_is_online() {
    let _heavy = heavy().await;
    // E-mail is on; nothing is sent in this test, so no SMTP server is needed.
    let app = spawn_app_with(|c| email_config(c, free_port())).await;
    let sam = app
        .add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    // A customer who left earlier: the agent replied, and the e-mail's link brings them back.
    let (kim, kim_token) = app.new_conversation(json!({ "name": "Kim" })).await;
    escalate(&app, &kim_token, &kim).await;
    let (status, _) = post(
        &app,
        Some(&kim_token),
        &format!("/api/conversations/{kim}/followup"),
        json!({ "email": "kim@example.com" }),
    )
    .await;
    assert_eq!(status, 201);
    let reply = "Hi Kim, the duplicate charge is refunded.";
    assert_eq!(app.post_message(&sam, &kim, reply).await.status(), 201);
    // Resolved: the end card offers the survey and the transcript by e-mail.
    let (status, body) = post(
        &app,
        Some(&sam),
        &format!("/api/conversations/{kim}/handoff/resolve"),
        json!({}),
    )
    .await;
    assert!(status < 300, "resolve: {status} {body}");
    let key = std::fs::read_to_string(app.dir.path().join("email-link.key")).expect("link key");
    let key: [u8; 32] = hex::decode(key.trim()).unwrap().try_into().unwrap();
    let link = warmline::email::link::LinkKey::new(key).sign(
        &warmline::domain::ConversationId::from(kim.as_str()),
        chrono::Utc::now() + chrono::TimeDelta::hours(1),
    );
    let Some(steps) = browser::run_script(
        "followup.mjs",
        &[
            ("WLTEST_BASE", app.base.clone()),
            (
                "WLTEST_RESUME_URL",
                format!("{}/chat?resume={link}", app.base),
            ),
            ("WLTEST_RESUME_REPLY", reply.into()),
            ("WLTEST_AGENT_USER", "sam".into()),
            ("WLTEST_AGENT_PASS", "sam-password".into()),
        ],
    )
    .await
    else {
        return;
    };
    let left = steps
        .iter()
        .filter(|s| s["step"] == "the reply will come by e-mail")
        .count();
    assert_eq!(left, 2, "{steps:?}");
    let (_, list) = json_of(
        app.get(Some(&app.login("sam").await), "/api/conversations")
            .await,
    )
    .await;
    let followups = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["emailFollowup"] == true)
        .count();
    assert_eq!(followups, 3, "{list}");
    assert!(
        steps
            .iter()
            .any(|s| s["step"] == "the e-mail's link reopens the conversation"),
        "{steps:?}"
    );
}

/// The assistant invites a waiting customer to leave an address; one typed into the chat while
/// nobody is online becomes the e-mail follow-up it promises.
#[tokio::test]
async fn an_address_typed_into_the_chat_while_nobody_is_online_becomes_a_follow_up() {
    let app = spawn_app_with(|c| email_config(c, free_port())).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Lee" })).await;
    escalate(&app, &customer, &id).await;
    let res = app
        .post_message(
            &customer,
            &id,
            "You can reach me at lee@example.org, thanks",
        )
        .await;
    assert_eq!(res.status(), 201);
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, c) = json_of(
            app.get(Some(&customer), &format!("/api/conversations/{id}"))
                .await,
        )
        .await;
        let noted = c["messages"].as_array().unwrap().iter().any(|m| {
            m["speaker"] == "ai"
                && m["content"]
                    .as_str()
                    .unwrap_or("")
                    .contains("lee@example.org")
        });
        if c["followup"]["email"] == "lee@example.org" && noted {
            assert_eq!(c["status"], "queued");
            break;
        }
        assert!(
            Instant::now() < until,
            "the typed address became the follow-up: {c}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
