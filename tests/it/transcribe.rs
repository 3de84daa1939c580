//! Local transcription with the real converted Whisper model (tiny.en): speech spoken by
//! espeak-ng comes back with the expected words through `warmline transcribe` (WAV and
//! Ogg/Opus, every output format) and through the live path with the right speaker on each
//! line; a call whose recording was ready when the gateway stopped gets its after-call
//! transcript when the gateway starts again.

use crate::common;

use common::speech::words;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use warmline::domain::{
    CallOrigin, ConversationId, EventBody, ParticipantId, RecordingFile, RecordingSource,
};
use warmline::storage::WriteOp;

const CUSTOMER_SAYS: &str =
    "I was charged twice for my subscription and I would like a refund please.";
const AGENT_SAYS: &str =
    "Thank you for waiting. I can see the duplicate payment and I will refund it today.";

/// `text` spoken by espeak-ng as 16 kHz mono samples, with half a second of silence around it.
fn speech(dir: &Path, name: &str, text: &str) -> Vec<i16> {
    let (src, spec) = common::speech::espeak(&dir.join(format!("{name}-raw.wav")), text);
    let rate = spec.sample_rate as usize;
    // espeak speaks at 22050 Hz; linear interpolation is plenty for a test signal.
    let n = src.len() * 16_000 / rate;
    let mut out = vec![0i16; 8_000];
    out.extend((0..n).map(|i| {
        let x = i as f64 * rate as f64 / 16_000.0;
        let (j, f) = (x as usize, x.fract());
        let a = f64::from(src[j.min(src.len() - 1)]);
        let b = f64::from(src[(j + 1).min(src.len() - 1)]);
        (a + (b - a) * f) as i16
    }));
    out.extend(std::iter::repeat_n(0, 8_000));
    out
}

fn write_wav(path: &Path, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for s in samples {
        w.write_sample(*s).unwrap();
    }
    w.finalize().unwrap();
}

/// The samples at 48 kHz (as the call tap and Opus carry them).
fn to_48k(samples: &[i16]) -> Vec<i16> {
    samples.iter().flat_map(|&s| [s, s, s]).collect()
}

/// Writes `samples` (16 kHz) as an Ogg/Opus file the way the call recorder does.
fn write_ogg_opus(path: &Path, samples: &[i16]) {
    let pcm = to_48k(samples);
    let mut enc =
        opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut ogg = warmline::media::record::ogg::OpusOgg::new(file, 1).unwrap();
    let mut out = vec![0u8; 4000];
    for (i, frame) in pcm.chunks(960).enumerate() {
        let mut f = frame.to_vec();
        f.resize(960, 0);
        let n = enc.encode(&f, &mut out).unwrap();
        ogg.write(
            i as u64 * 960,
            bytes::Bytes::copy_from_slice(&out[..n]),
            960,
        )
        .unwrap();
    }
    ogg.finish().unwrap();
}

/// At least `n` of `expected` are among the words of `text`: tiny.en on synthetic speech mishears
/// a word now and then ("charged wise"), and which word depends on where an utterance was cut.
fn assert_some_words(text: &str, expected: &[&str], n: usize) {
    let got = words(text);
    let hits = expected
        .iter()
        .filter(|w| got.iter().any(|g| g == *w))
        .count();
    assert!(hits >= n, "only {hits} of {expected:?} in {text:?}");
}

fn transcribe(model: &Path, file: &Path, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_warmline"))
        .args([
            "transcribe",
            "--threads",
            "2",
            "--format",
            format,
            "--speaker",
            "Customer",
            "--model",
        ])
        .arg(model)
        .arg(file)
        .env("WARMLINE_LOG__FILTER", "error")
        .output()
        .expect("warmline runs");
    assert!(
        out.status.success(),
        "warmline transcribe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_command_transcribes_wav_and_ogg_opus_in_every_format() {
    let _heavy = heavy_blocking();
    let Some(model) = whisper_model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let samples = speech(dir.path(), "customer", CUSTOMER_SAYS);
    let wav = dir.path().join("customer.wav");
    write_wav(&wav, &samples);
    let expected = ["charged", "twice", "subscription", "refund"];

    let text = transcribe(&model, &wav, "text");
    assert_some_words(&text, &expected, 3);

    let json: Value = serde_json::from_str(&transcribe(&model, &wav, "json")).unwrap();
    let segments = json["segments"].as_array().unwrap();
    assert!(!segments.is_empty());
    let all: String = segments
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert_some_words(&all, &expected, 3);
    let first = &segments[0];
    // The speech starts after half a second of silence; the VAD's pre-roll may take a little.
    let start = first["startMs"].as_u64().unwrap();
    assert!((200..=700).contains(&start), "starts at {start} ms");
    assert!(first["endMs"].as_u64().unwrap() > start + 2_000);
    assert_eq!(first["speaker"], "Customer");
    let confidence = first["confidence"].as_f64().unwrap();
    assert!((0.3..=1.0).contains(&confidence), "confidence {confidence}");

    let vtt = transcribe(&model, &wav, "vtt");
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    assert!(
        vtt.contains(" --> ") && vtt.contains("<v Customer>"),
        "{vtt}"
    );
    let srt = transcribe(&model, &wav, "srt");
    assert!(srt.starts_with("1\n00:00:0"), "{srt}");
    assert!(srt.contains(" --> ") && srt.contains(','), "{srt}");

    // The same speech as the call recorder writes it.
    let ogg = dir.path().join("customer.ogg");
    write_ogg_opus(&ogg, &samples);
    assert_some_words(&transcribe(&model, &ogg, "text"), &expected, 3);
}

#[test]
fn a_file_that_is_not_audio_is_a_clear_error() {
    let _heavy = heavy_blocking();
    let Some(model) = whisper_model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.wav");
    std::fs::write(&bad, b"these are not the samples you are looking for").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_warmline"))
        .args(["transcribe", "--model"])
        .arg(&model)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warmline:") && !err.contains("panicked"),
        "{err}"
    );
}

#[tokio::test]
async fn live_lines_carry_the_words_of_each_speaker() {
    let _heavy = heavy().await;
    use warmline::transcribe::engine::{Model, RecognizerOptions};
    use warmline::transcribe::live::{self, LiveAudio, Prompts, SpeakerKey};
    use warmline::transcribe::pool::Pool;
    let Some(model) = whisper_model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let model = Model::load(&model).unwrap();
    let pool = Pool::start(
        model,
        1,
        RecognizerOptions {
            threads: 2,
            ..Default::default()
        },
        16,
    )
    .unwrap();
    let (audio_tx, audio_rx) = tokio::sync::mpsc::channel(8192);
    let (out_tx, mut out_rx) = tokio::sync::mpsc::channel(64);
    let runner = tokio::spawn(live::run(
        audio_rx,
        Default::default(),
        pool,
        Prompts::default(),
        out_tx,
    ));
    let customer = SpeakerKey {
        call_id: "call-t".into(),
        participant_id: ParticipantId("par-customer".into()),
    };
    let agent = SpeakerKey {
        call_id: "call-t".into(),
        participant_id: ParticipantId("par-agent".into()),
    };
    // Interleaved 20 ms chunks, the agent starting a second later, as the tap delivers them.
    let c = to_48k(&speech(dir.path(), "c", CUSTOMER_SAYS));
    let a = to_48k(&speech(dir.path(), "a", AGENT_SAYS));
    let (cc, ac): (Vec<_>, Vec<_>) = (c.chunks(960).collect(), a.chunks(960).collect());
    for i in 0..cc.len().max(ac.len() + 50) {
        if let Some(chunk) = cc.get(i) {
            audio_tx
                .send(LiveAudio {
                    key: customer.clone(),
                    start_ms: i as u64 * 20,
                    samples: chunk.to_vec(),
                })
                .await
                .unwrap();
        }
        if let Some(chunk) = i.checked_sub(50).and_then(|j| ac.get(j)) {
            audio_tx
                .send(LiveAudio {
                    key: agent.clone(),
                    start_ms: i as u64 * 20,
                    samples: chunk.to_vec(),
                })
                .await
                .unwrap();
        }
    }
    drop(audio_tx);
    let mut lines = Vec::new();
    while let Ok(Some(seg)) = tokio::time::timeout(Duration::from_secs(60), out_rx.recv()).await {
        lines.push(seg);
    }
    runner.await.unwrap();
    let said = |key: &SpeakerKey| {
        lines
            .iter()
            .filter(|l| &l.key == key)
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_some_words(
        &said(&customer),
        &["charged", "twice", "subscription", "refund"],
        3,
    );
    assert_some_words(
        &said(&agent),
        &["duplicate", "payment", "refund", "today"],
        3,
    );
    // Each speaker's words stay theirs.
    assert!(!words(&said(&customer))
        .iter()
        .any(|w| w == "duplicate" || w == "payment"));
    assert!(!words(&said(&agent))
        .iter()
        .any(|w| w == "charged" || w == "subscription"));
    let first_agent = lines.iter().find(|l| l.key == agent).unwrap();
    // The agent's speech starts 1.5 s into the call (1 s offset + 0.5 s of silence).
    assert!(
        (1_200..=1_700).contains(&first_agent.start_ms),
        "{}",
        first_agent.start_ms
    );
}

#[tokio::test]
async fn a_recording_left_untranscribed_is_transcribed_after_a_restart() {
    let _heavy = heavy().await;
    let Some(model) = whisper_model() else { return };
    let mut app = spawn_app().await;
    let manager = app
        .add_user("morgan", warmline::domain::Role::Manager, &[])
        .await;
    let (id, customer_token) = app.new_conversation(json!({ "name": "Dana Reyes" })).await;
    let conversation = ConversationId(id.clone());
    let header = app.store().header(&conversation).await.unwrap().unwrap();
    let customer = header
        .participants
        .iter()
        .find(|p| p.kind == warmline::domain::ParticipantKind::Customer)
        .unwrap()
        .id
        .clone();
    // A call whose microphone recording is on disk and reported, with no transcript yet: what a
    // stop during the after-call job leaves behind.
    let call_id = "call-restart-1".to_owned();
    let rel = format!("{id}/{call_id}");
    let dir = app.config.data_dir.join("recordings").join(&rel);
    std::fs::create_dir_all(&dir).unwrap();
    write_ogg_opus(
        &dir.join("customer-mic.ogg"),
        &speech(app.dir.path(), "c", CUSTOMER_SAYS),
    );
    let now = chrono::Utc::now();
    let append = |body| WriteOp::Append {
        conversation_id: conversation.clone(),
        body,
        client_id: None,
        at: now,
    };
    app.store()
        .apply_batch(vec![
            append(EventBody::CallStarted {
                call_id: call_id.clone(),
                origin: CallOrigin::Customer,
                recorded: true,
            }),
            append(EventBody::CallEnded {
                call_id: call_id.clone(),
                reason: "hangup".into(),
            }),
            append(EventBody::RecordingReady {
                call_id: call_id.clone(),
                clock_started_at: now,
                files: vec![RecordingFile {
                    participant_id: Some(customer.clone()),
                    source: RecordingSource::Microphone,
                    path: format!("{rel}/customer-mic.ogg"),
                    offset_ms: 2_000,
                    duration_ms: 6_000,
                    mime: "audio/ogg".into(),
                }],
            }),
        ])
        .await
        .unwrap();
    app.config.transcribe.enabled = true;
    app.config.transcribe.model = Some(model);
    app.restart().await;
    let mut transcript = Value::Null;
    for _ in 0..120 {
        let v: Value = app
            .get(Some(&manager), &format!("/api/conversations/{id}/events"))
            .await
            .json()
            .await
            .unwrap();
        if let Some(t) = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "transcript_ready")
        {
            transcript = t.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        transcript["callId"],
        call_id.as_str(),
        "no transcript_ready after the restart"
    );
    let segments = transcript["segments"].as_array().unwrap();
    let text: String = segments
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert_some_words(&text, &["charged", "twice", "subscription", "refund"], 3);
    assert_eq!(segments[0]["participantId"], customer.0.as_str());
    assert_eq!(segments[0]["speaker"], "customer");
    assert_eq!(segments[0]["name"], "Dana Reyes");
    // On the call clock: the file starts 2 s in, the speech half a second into the file.
    let start = segments[0]["startMs"].as_u64().unwrap();
    assert!((2_200..=2_700).contains(&start), "{start}");
    // Done once: another restart does not transcribe it again.
    app.restart().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let v: Value = app
        .get(Some(&manager), &format!("/api/conversations/{id}/events"))
        .await
        .json()
        .await
        .unwrap();
    let n = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "transcript_ready")
        .count();
    assert_eq!(n, 1);
    // The customer's own copy of the timeline does not carry it.
    let v: Value = app
        .get(
            Some(&customer_token),
            &format!("/api/conversations/{id}/events"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["type"] != "transcript_ready"));
}
