//! Attachments over the real gateway: a customer and an agent send files; the type is decided by
//! the bytes (spoofed names are refused or corrected), the size limit answers 413, and a refused,
//! oversized or aborted upload leaves nothing in the data directory. Images get a thumbnail; files
//! are downloadable by the conversation's participants and managers only; a log's error lines
//! reach the briefing's technical detail (never the customer's view); retention deletes the files
//! and says so; the export lists them.

use crate::common;

use common::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
use warmline::domain::Role;

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png encodes");
    out
}

const LOG: &str = "\
2026-12-07T10:00:00Z INFO  billing worker started
2026-12-07T10:00:01Z DEBUG fetching invoices
2026-12-07T10:00:02Z ERROR webhook delivery failed: upstream answered 401 Unauthorized (E1042)
2026-12-07T10:00:03Z ERROR webhook delivery failed: upstream answered 401 Unauthorized (E1042)
Exception in thread \"main\" java.lang.IllegalStateException: signing secret rotated
    at com.acme.hooks.Signer.sign(Signer.java:42)
";

async fn upload(
    app: &TestApp,
    token: &str,
    conversation: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/conversations/{conversation}/attachments")))
        .query(&[("name", name)])
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("upload request")
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

/// Every file (temporary ones included) under the conversation's attachment directory.
fn files_of(app: &TestApp, conversation: &str) -> Vec<String> {
    let dir: PathBuf = app.dir.path().join("attachments").join(conversation);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn error_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body = json_of(res).await;
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn upload_thumbnail_and_download_by_participants_only() {
    let app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let maria = app.add_user("maria", Role::Agent, &["general"]).await;
    let lee = app.add_user("lee", Role::Agent, &["legal"]).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    let (other_id, other_customer) = app.new_conversation(json!({ "name": "Bo" })).await;

    let shot = png(1280, 720);
    let res = upload(&app, &customer, &id, "Screen Shot 2026.png", shot.clone()).await;
    assert_eq!(res.status(), 201);
    let message = json_of(res).await;
    assert_eq!(message["speaker"], "customer");
    assert_eq!(message["content"], "");
    let a = &message["attachment"];
    assert_eq!(a["kind"], "image");
    assert_eq!(a["contentType"], "image/png");
    assert_eq!(a["name"], "Screen Shot 2026.png");
    assert_eq!(a["size"], shot.len());
    assert_eq!(
        (a["width"].clone(), a["height"].clone()),
        (json!(1280), json!(720))
    );
    use sha2::Digest;
    assert_eq!(a["sha256"], hex::encode(sha2::Sha256::digest(&shot)));
    let url = a["url"].as_str().expect("url").to_owned();
    let thumb_url = a["thumbnailUrl"].as_str().expect("thumbnail").to_owned();
    assert_eq!(
        url,
        format!(
            "/api/conversations/{id}/attachments/{}",
            a["id"].as_str().unwrap()
        )
    );

    // The customer downloads it: the bytes, the sniffed type, as a download, never sniffed.
    let res = app.get(Some(&customer), &url).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("Screen Shot 2026.png"),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), &shot[..]);

    // The thumbnail: a small JPEG of the same picture.
    let res = app.get(Some(&customer), &thumb_url).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).expect("thumbnail decodes");
    assert_eq!((thumb.width(), thumb.height()), (320, 180));

    // Strangers: another conversation's customer and an agent who cannot see it get 404; an
    // agent who could pick it up but is not in it gets 403; no token is 401.
    for (who, token) in [("other customer", &other_customer), ("lee", &lee)] {
        for path in [&url, &thumb_url] {
            let (status, _) = error_code(app.get(Some(token), path).await).await;
            assert_eq!(status, 404, "{who} {path}");
        }
    }
    let (status, code) = error_code(app.get(Some(&maria), &url).await).await;
    assert_eq!(
        (status, code.as_str()),
        (403, "forbidden"),
        "maria before joining"
    );
    assert_eq!(app.get(None, &url).await.status(), 401);
    // The customer of another conversation cannot reach it through their own either.
    let crossed = url.replace(&id, &other_id);
    assert_eq!(app.get(Some(&other_customer), &crossed).await.status(), 404);
    let unknown =
        format!("/api/conversations/{id}/attachments/att_00000000000000000000000000000000");
    assert_eq!(app.get(Some(&customer), &unknown).await.status(), 404);
    assert_eq!(
        app.get(
            Some(&customer),
            &format!("/api/conversations/{id}/attachments/..%2F..%2Fwarmline.db")
        )
        .await
        .status(),
        404
    );

    // The manager may, and the read is audited.
    assert_eq!(app.get(Some(&manager), &url).await.status(), 200);
    let audit = json_of(app.get(Some(&manager), "/api/review/audit").await).await;
    assert!(
        audit.to_string().contains("attachment.read"),
        "audited: {audit}"
    );
    // Managers review read-only: they do not send files.
    let (status, _) = error_code(upload(&app, &manager, &id, "x.png", png(2, 2)).await).await;
    assert_eq!(status, 403);

    // Maria takes the conversation (writing into it makes her its agent): now she may, and her
    // PDF reaches the customer.
    assert!(app
        .post_message(&maria, &id, "Hi Ana, I'm looking at your screenshot.")
        .await
        .status()
        .is_success());
    assert_eq!(app.get(Some(&maria), &url).await.status(), 200);
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let res = upload(&app, &maria, &id, "refund-steps", pdf.clone()).await;
    assert_eq!(res.status(), 201);
    let sent = json_of(res).await;
    assert_eq!(sent["speaker"], "agent");
    assert_eq!(sent["attachment"]["kind"], "pdf");
    assert_eq!(
        sent["attachment"]["name"], "refund-steps.pdf",
        "the type's extension added"
    );
    assert!(sent["attachment"].get("thumbnailUrl").is_none());
    let res = app
        .get(Some(&customer), sent["attachment"]["url"].as_str().unwrap())
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &pdf[..]);

    // Both messages are in the conversation's log and its REST view, for replay.
    let events = json_of(
        app.get(Some(&customer), &format!("/api/conversations/{id}/events"))
            .await,
    )
    .await;
    let with_files: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "message" && e["message"].get("attachment").is_some())
        .collect();
    assert_eq!(with_files.len(), 2, "{events}");
    let conv = json_of(
        app.get(Some(&customer), &format!("/api/conversations/{id}"))
            .await,
    )
    .await;
    assert_eq!(
        conv["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m.get("attachment").is_some())
            .count(),
        2
    );

    // The export lists the files with their hashes.
    let export = json_of(
        app.get(
            Some(&manager),
            &format!("/api/conversations/{id}/export.json"),
        )
        .await,
    )
    .await;
    let listed = export["attachments"]
        .as_array()
        .expect("attachments listed");
    assert_eq!(listed.len(), 2, "{export}");
    assert_eq!(listed[0]["sha256"], a["sha256"]);
    assert_eq!(listed[0]["uploadedBy"], format!("customer:{id}"));
    assert!(files_of(&app, &other_id).is_empty());
}

#[tokio::test]
async fn spoofed_types_are_refused_and_names_never_decide() {
    let app = spawn_app().await;
    let (id, customer) = app.new_conversation(json!({})).await;
    let refused: [(&str, &[u8]); 5] = [
        (
            "shot.png",
            b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
        ),
        ("log.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xffThis program cannot be run in DOS mode"),
        ("icon.png", b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"),
        ("notes.txt", b"\xff\xfe\x00b\x00a\x00d"),
        ("fake.png", b"\x89PNG\r\n\x1a\nthis is not an image at all"),
    ];
    for (name, bytes) in refused {
        let (status, code) =
            error_code(upload(&app, &customer, &id, name, bytes.to_vec()).await).await;
        assert_eq!(
            (status, code.as_str()),
            (415, "unsupported_media_type"),
            "{name}"
        );
    }
    assert!(
        files_of(&app, &id).is_empty(),
        "nothing kept: {:?}",
        files_of(&app, &id)
    );
    let (status, _) = error_code(upload(&app, &customer, &id, "empty.log", Vec::new()).await).await;
    assert_eq!(status, 400);

    // Text named like an image is text, served as text; an image named like a log is an image.
    let res = upload(
        &app,
        &customer,
        &id,
        "shot.png",
        b"ERROR it broke\n".to_vec(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let text = json_of(res).await;
    assert_eq!(
        text["attachment"]["contentType"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(text["attachment"]["name"], "shot.png.txt");
    let res = app
        .get(Some(&customer), text["attachment"]["url"].as_str().unwrap())
        .await;
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let res = upload(&app, &customer, &id, "log.txt", png(4, 4)).await;
    assert_eq!(res.status(), 201);
    let image = json_of(res).await;
    assert_eq!(image["attachment"]["contentType"], "image/png");
    assert_eq!(image["attachment"]["name"], "log.txt.png");
    let kept = files_of(&app, &id);
    assert_eq!(kept.len(), 3, "text, image and its thumbnail: {kept:?}");
    assert!(kept.iter().all(|f| f.starts_with("att_")), "{kept:?}");
}

#[tokio::test]
async fn the_size_limit_answers_413_and_leaves_nothing_partial() {
    let app = spawn_app_with(|c| c.attachments.max_bytes = 64 * 1024).await;
    let (id, customer) = app.new_conversation(json!({})).await;

    // Declared too large: refused before anything is written.
    let res = upload(&app, &customer, &id, "big.log", vec![b'a'; 200 * 1024]).await;
    assert_eq!(res.status(), 413);
    let body = json_of(res).await;
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("65536"),
        "{body}"
    );
    assert!(files_of(&app, &id).is_empty());

    // A client that asks first (`Expect: 100-continue`, as curl does) is refused before it sends.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.base.trim_start_matches("http://").to_owned();
        let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /api/conversations/{id}/attachments?name=huge.log HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {customer}\r\nContent-Length: 1073741824\r\n\
             Expect: 100-continue\r\nConnection: close\r\n\r\n"
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut response)).await;
        let text = String::from_utf8_lossy(&response);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        assert!(!text.contains("100 Continue"), "{text}");
    }

    // Streamed without a length: cut off at the limit, the partial file removed.
    let chunks = vec![vec![b'b'; 16 * 1024]; 20];
    let status = chunked_upload(&app, &customer, &id, &chunks, true).await;
    assert_eq!(status.as_deref(), Some("413"));
    assert!(files_of(&app, &id).is_empty(), "{:?}", files_of(&app, &id));

    // An upload the client abandons half-way (the connection drops) leaves nothing either.
    chunked_upload(&app, &customer, &id, &chunks[..2], false).await;
    let mut left = files_of(&app, &id);
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = files_of(&app, &id);
    }
    assert!(left.is_empty(), "aborted upload left {left:?}");

    // At the limit exactly: accepted.
    let res = upload(&app, &customer, &id, "edge.log", vec![b'd'; 64 * 1024]).await;
    assert_eq!(res.status(), 201);
    assert_eq!(files_of(&app, &id).len(), 1);

    // Operators see what happened.
    let metrics = app.get(None, "/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("warmline_attachments_total{outcome=\"too_large\"} 3"),
        "{metrics}"
    );
    assert!(metrics.contains("warmline_attachments_total{outcome=\"stored\"} 1"));
    assert!(metrics.contains("warmline_attachment_bytes_total 65536"));
}

/// A chunked upload over a raw connection (no `Content-Length`): sends `chunks`, then either
/// ends the body and returns the response's status code, or drops the connection mid-body.
async fn chunked_upload(
    app: &TestApp,
    token: &str,
    conversation: &str,
    chunks: &[Vec<u8>],
    finish: bool,
) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connects");
    let head = format!(
        "POST /api/conversations/{conversation}/attachments?name=stream.log HTTP/1.1\r\n\
         Host: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.expect("head");
    for chunk in chunks {
        // The gateway may answer before the rest is sent; it reads on, so writes succeed.
        let _ = tcp
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await;
        let _ = tcp.write_all(chunk).await;
        let _ = tcp.write_all(b"\r\n").await;
    }
    if !finish {
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(tcp);
        return None;
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace().nth(1).map(str::to_owned)
}

#[tokio::test]
async fn a_logs_error_lines_reach_the_briefing_not_the_customer() {
    let app = spawn_app().await;
    let maria = app
        .add_user(
            "maria",
            Role::Agent,
            &["general", "billing", "technical", "integrations", "account"],
        )
        .await;
    let mut agent = app.socket(&maria).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    let res = upload(&app, &customer, &id, "worker.log", LOG.as_bytes().to_vec()).await;
    assert_eq!(res.status(), 201);
    let sent = json_of(res).await;
    assert_eq!(sent["attachment"]["kind"], "text");
    assert!(
        sent["attachment"].get("findings").is_none(),
        "the customer's answer carries no assessment: {sent}"
    );
    app.post_message(
        &customer,
        &id,
        "Our webhooks stopped working after we rotated the secret. I want a person please.",
    )
    .await;
    recv_type(&mut agent, &["offer"]).await;
    let briefing = json_of(
        app.get(Some(&maria), &format!("/api/conversations/{id}/briefing"))
            .await,
    )
    .await;
    let technical = &briefing["briefing"]["technical"];
    let errors: Vec<&str> = technical["errorMessages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        errors.contains(
            &"worker.log:3: 2026-12-07T10:00:02Z ERROR webhook delivery failed: upstream answered 401 Unauthorized (E1042)"
        ),
        "{technical}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("worker.log:5: Exception in thread")),
        "{technical}"
    );
    assert_eq!(
        errors
            .iter()
            .filter(|e| e.starts_with("worker.log:"))
            .count(),
        2,
        "the repeat once, the stack frame not: {technical}"
    );
    let codes = technical["codes"].to_string();
    assert!(
        codes.contains("E1042") && codes.contains("401"),
        "{technical}"
    );

    // Staff see what was read from the log; the customer's own view never does.
    let staff_view = json_of(
        app.get(Some(&maria), &format!("/api/conversations/{id}"))
            .await,
    )
    .await;
    assert!(
        staff_view.to_string().contains("\"findings\""),
        "{staff_view}"
    );
    let customer_view = json_of(
        app.get(Some(&customer), &format!("/api/conversations/{id}"))
            .await,
    )
    .await;
    assert!(
        !customer_view.to_string().contains("findings"),
        "{customer_view}"
    );
    let events = json_of(
        app.get(Some(&customer), &format!("/api/conversations/{id}/events"))
            .await,
    )
    .await;
    assert!(!events.to_string().contains("findings"));
}

#[tokio::test]
async fn retention_deletes_files_records_it_and_the_export_says_so() {
    let mut app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let (id, customer) = app.new_conversation(json!({})).await;
    let res = upload(&app, &customer, &id, "shot.png", png(64, 64)).await;
    let sent = json_of(res).await;
    let url = sent["attachment"]["url"].as_str().unwrap().to_owned();
    assert_eq!(files_of(&app, &id).len(), 2);

    // Files survive a restart.
    app.restart().await;
    assert_eq!(app.get(Some(&customer), &url).await.status(), 200);

    // Kept for about a second: the files go, the log says so once, downloads answer 404.
    app.config.review.retention_days = 1.0 / 86_400.0;
    app.config.review.retention_check_secs = 1;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    app.restart().await;
    for _ in 0..50 {
        if files_of(&app, &id).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(files_of(&app, &id).is_empty(), "{:?}", files_of(&app, &id));
    let mut deleted = Vec::new();
    for _ in 0..50 {
        let events = json_of(
            app.get(Some(&customer), &format!("/api/conversations/{id}/events"))
                .await,
        )
        .await;
        deleted = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "attachments_deleted")
            .cloned()
            .collect();
        if !deleted.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["attachmentIds"][0], sent["attachment"]["id"]);
    assert_eq!(deleted[0]["reason"], "retention");
    let (status, _) = error_code(app.get(Some(&customer), &url).await).await;
    assert_eq!(status, 404);
    let export = json_of(
        app.get(
            Some(&manager),
            &format!("/api/conversations/{id}/export.json"),
        )
        .await,
    )
    .await;
    assert_eq!(
        export["attachments"][0]["deletedReason"], "retention",
        "{export}"
    );
    assert!(export["attachments"][0]["deletedAt"].is_string());
}

#[tokio::test]
async fn a_log_sent_while_waiting_refreshes_the_briefing() {
    let app = spawn_app().await;
    let maria = app
        .add_user(
            "maria",
            Role::Agent,
            &["general", "technical", "integrations"],
        )
        .await;
    let mut agent = app.socket(&maria).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    app.post_message(&customer, &id, "Our webhooks fail. I want a person please.")
        .await;
    recv_type(&mut agent, &["offer"]).await;
    let res = upload(&app, &customer, &id, "worker.log", LOG.as_bytes().to_vec()).await;
    assert_eq!(res.status(), 201);
    let mut technical = Value::Null;
    for _ in 0..50 {
        let briefing = json_of(
            app.get(Some(&maria), &format!("/api/conversations/{id}/briefing"))
                .await,
        )
        .await;
        technical = briefing["briefing"]["technical"].clone();
        if technical.to_string().contains("worker.log:3:") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        technical.to_string().contains("worker.log:3:"),
        "the waiting agent's briefing has the log: {technical}"
    );
}

#[tokio::test]
async fn backups_carry_the_files_and_restore_them() {
    // SQLite whatever `WLTEST_STORE` says: the test backs up its file.
    let app = spawn_app_with(|c| c.storage.url = None).await;
    let (id, customer) = app.new_conversation(json!({})).await;
    let shot = png(40, 30);
    let sent = json_of(upload(&app, &customer, &id, "shot.png", shot.clone()).await).await;
    let url = sent["attachment"]["url"].as_str().unwrap().to_owned();
    // What a crash mid-upload leaves is not an attachment and is not copied.
    let dir = app.dir.path().join("attachments").join(&id);
    std::fs::write(dir.join(".upload-leftover"), b"partial").unwrap();

    let backups = tempfile::tempdir().unwrap();
    let dest = backups.path().join("backup");
    let manifest = warmline::app::backup::backup(&app.config, &*app.store(), &dest, false)
        .await
        .expect("backup");
    assert_eq!(manifest.attachments.len(), 2, "{:?}", manifest.attachments);
    assert!(manifest
        .attachments
        .iter()
        .all(|f| !f.path.contains(".upload-")));

    let restored = tempfile::tempdir().unwrap();
    let mut config = app.config.clone();
    config.data_dir = restored.path().to_owned();
    warmline::app::backup::restore(&config, &dest).expect("restore");
    let running = warmline::app::start(config)
        .await
        .expect("restored gateway starts");
    let res = reqwest::Client::new()
        .get(format!("{}{url}", running.base_url()))
        .bearer_auth(&customer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &shot[..]);
    running.stop().await.unwrap();
}
