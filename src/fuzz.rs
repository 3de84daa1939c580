//! Property-based fuzzing on stable Rust (`proptest`) of every parser that reads what someone else
//! wrote: WebSocket frames, SDP offers and ICE candidates, RTP and RTCP packets handed to the
//! forwarder, WAV and Ogg/Opus files, the CTranslate2 model file the importer reads, the
//! configuration file and the knowledge-base Markdown. Inputs are random bytes and random edits
//! (flips, inserts, deletions, truncations) of a valid seed, so the parsers are driven past their
//! first check. The property: an answer (a value or an error), never a panic or a hang.
//!
//! In the suite each target runs [`SUITE_CASES`] cases. The long run:
//! `cargo test --release --lib -- --ignored fuzz` ([`LONG_CASES`] each, or `WARMLINE_FUZZ_CASES`).
//! A failing case is shrunk by proptest and printed; it becomes a regression test below.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};

pub const SUITE_CASES: u32 = 300;
pub const LONG_CASES: u32 = 50_000;

fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("WARMLINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Truncate(usize),
    Splice(usize, Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Flip(p, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Insert(p, b)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(p, b)| Edit::Splice(p, b)),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
        match e {
            Edit::Flip(p, b) if !bytes.is_empty() => {
                let i = p % bytes.len();
                bytes[i] ^= b | 1;
            }
            Edit::Flip(..) => {}
            Edit::Insert(p, b) => {
                let i = at(*p, bytes.len());
                bytes.insert(i, *b);
            }
            Edit::Delete(p, n) => {
                let i = at(*p, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Truncate(p) => {
                let i = at(*p, bytes.len());
                bytes.truncate(i);
            }
            Edit::Splice(p, b) => {
                let i = at(*p, bytes.len());
                bytes.splice(i..i, b.iter().copied());
            }
        }
    }
    bytes
}

/// Random edits of one of `seeds`, or random bytes.
fn inputs(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len().max(1);
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        4 => (0..n, prop::collection::vec(edit(), 1..8)).prop_map(move |(i, edits)| {
            apply(seeds.get(i).cloned().unwrap_or_default(), &edits)
        }),
    ]
}

fn run(cases: u32, seeds: Vec<Vec<u8>>, target: impl Fn(&[u8])) {
    let mut r = runner(cases);
    let result = r.run(&inputs(seeds), |bytes| {
        target(&bytes);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---- the targets ----------------------------------------------------------------------------

fn frame_seeds() -> Vec<Vec<u8>> {
    [
        r#"{"type":"auth","token":"wl_c_abc"}"#,
        r#"{"type":"subscribe","conversationId":"0190f0c8-1","afterSeq":12}"#,
        r#"{"type":"send_message","conversationId":"c1","content":"hello","clientMsgId":"m1"}"#,
        r#"{"type":"typing","conversationId":"c1","isTyping":true}"#,
        r#"{"type":"call_offer","callId":"call-1","sdp":"v=0\r\n","tracks":{"t1":"camera"}}"#,
        r#"{"type":"call_ice","callId":"call-1","candidate":{"candidate":"candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}"#,
        r#"{"type":"resolve_conversation","conversationId":"c1","note":"done"}"#,
        r#"{"type":"set_status","status":"available"}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

fn target_frames(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = serde_json::from_str::<crate::chat::ClientFrame>(&text);
}

const SDP: &str = "v=0\r\no=- 4215775240449105457 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
a=group:BUNDLE 0 1\r\na=msid-semantic: WMS stream\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n\
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n\
a=setup:actpass\r\na=mid:0\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendrecv\r\n\
a=msid:stream audio\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=ssrc:1001 cname:x\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\n\
a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=ssrc:1002 cname:x\r\n";

fn target_sdp(bytes: &[u8]) {
    let _ = rtc::sdp::description::session::SessionDescription::unmarshal(
        &mut std::io::Cursor::new(bytes),
    );
}

fn target_ice(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = rtc::ice::candidate::unmarshal_candidate(&text);
}

fn rtp_seeds() -> Vec<Vec<u8>> {
    use rtc::shared::marshal::Marshal;
    let mut pkt = rtc::rtp::Packet::default();
    pkt.header.version = 2;
    pkt.header.payload_type = 96;
    pkt.header.sequence_number = 4711;
    pkt.header.timestamp = 90_000;
    pkt.header.ssrc = 1234;
    pkt.header.extension = true;
    pkt.header.extension_profile = 0xBEDE;
    let _ = pkt.header.set_extension(4, bytes::Bytes::from_static(b"0"));
    pkt.payload = bytes::Bytes::from_static(&[0x10, 0x02, 0x9d, 0x01, 0x2a, 1, 2, 3, 4]);
    let mut seeds = vec![pkt.marshal().map(|b| b.to_vec()).unwrap_or_default()];
    let pli = rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication {
        sender_ssrc: 1,
        media_ssrc: 1234,
    };
    seeds.push(pli.marshal().map(|b| b.to_vec()).unwrap_or_default());
    seeds
}

fn target_rtp(bytes: &[u8]) {
    use rtc::shared::marshal::Unmarshal;
    if let Ok(mut pkt) = rtc::rtp::Packet::unmarshal(&mut &bytes[..]) {
        let map = crate::media::sfu::fuzz_out_map();
        crate::media::sfu::fuzz_rewrite(&mut pkt, 42, &map);
    }
    if let Ok(packets) = rtc::rtcp::packet::unmarshal(&mut &bytes[..]) {
        for p in &packets {
            let _ = crate::media::sfu::fuzz_is_keyframe_request(p.as_ref());
        }
    }
}

fn audio_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    // A short 16-bit WAV.
    let mut wav = std::io::Cursor::new(Vec::new());
    if let Ok(mut w) = hound::WavWriter::new(
        &mut wav,
        hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        },
    ) {
        for i in 0..400i32 {
            let _ = w.write_sample(((i * 97) % 2000 - 1000) as i16);
        }
        let _ = w.finalize();
    }
    seeds.push(wav.into_inner());
    // A short Ogg/Opus stream: the two header packets and two audio packets.
    let mut ogg = Vec::new();
    {
        let mut w = ogg::PacketWriter::new(&mut ogg);
        let mut head = b"OpusHead".to_vec();
        head.extend([1, 1, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0]);
        let _ = w.write_packet(head, 7, ogg::PacketWriteEndInfo::EndPage, 0);
        let mut tags = b"OpusTags".to_vec();
        tags.extend([4, 0, 0, 0, b't', b'e', b's', b't', 0, 0, 0, 0]);
        let _ = w.write_packet(tags, 7, ogg::PacketWriteEndInfo::EndPage, 0);
        if let Ok(mut enc) =
            opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip)
        {
            let pcm: Vec<i16> = (0..960).map(|i| ((i * 31) % 4000 - 2000) as i16).collect();
            for n in 0..2u64 {
                let mut out = vec![0u8; 400];
                if let Ok(len) = enc.encode(&pcm, &mut out) {
                    out.truncate(len);
                    let end = if n == 1 {
                        ogg::PacketWriteEndInfo::EndStream
                    } else {
                        ogg::PacketWriteEndInfo::NormalPacket
                    };
                    let _ = w.write_packet(out, 7, end, 960 * (n + 1));
                }
            }
        }
    }
    seeds.push(ogg);
    seeds
}

fn target_audio(bytes: &[u8]) {
    let _ = crate::transcribe::audio::decode_bytes(bytes);
}

fn model_seeds() -> Vec<Vec<u8>> {
    // binary version 6, a spec name, a revision, no variables, no aliases.
    let mut b = Vec::new();
    b.extend(6u32.to_le_bytes());
    let spec = b"WhisperSpec\0";
    b.extend((spec.len() as u16).to_le_bytes());
    b.extend(spec);
    b.extend(3u32.to_le_bytes());
    b.extend(1u32.to_le_bytes());
    let name = b"encoder/conv1/weight\0";
    b.extend((name.len() as u16).to_le_bytes());
    b.extend(name);
    b.push(2); // rank
    b.extend(2u32.to_le_bytes());
    b.extend(2u32.to_le_bytes());
    b.push(0); // float32
    b.extend(16u32.to_le_bytes());
    b.extend([0u8; 16]);
    b.extend(0u32.to_le_bytes());
    vec![b]
}

fn target_model(bytes: &[u8]) {
    let _ = crate::transcribe::model::ct2::Ct2Model::parse(bytes);
}

fn config_seeds() -> Vec<Vec<u8>> {
    vec![b"listen = \"127.0.0.1:9000\"\n[limits]\nmax_message_bytes = 2048\ntrusted_proxies = [\"10.0.0.0/8\"]\n[assistant]\nkind = \"builtin\"\n[media]\nudp_port_min = 40000\nudp_port_max = 40100\n".to_vec()]
}

fn target_config(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = crate::config::Config::from_toml_str(&text);
}

fn markdown_seeds() -> Vec<Vec<u8>> {
    vec![
        include_bytes!("../kb/demo/api-keys.md").to_vec(),
        include_bytes!("../kb/demo/billing-and-refunds.md").to_vec(),
        b"# Title\n\n## Section\n\n1. Step one\n2. Step two\n\n- a\n- b\n\n```\ncode\n```\n"
            .to_vec(),
    ]
}

fn target_markdown(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = crate::assistant::fuzz_parse_article("fuzz", &text);
}

macro_rules! fuzz_target {
    ($suite:ident, $long:ident, $seeds:expr, $target:expr) => {
        #[test]
        fn $suite() {
            run(SUITE_CASES, $seeds, $target);
        }

        #[test]
        #[ignore = "long fuzzing run: cargo test --release --lib -- --ignored fuzz"]
        fn $long() {
            run(LONG_CASES, $seeds, $target);
        }
    };
}

fuzz_target!(
    fuzz_ws_frames,
    fuzz_ws_frames_long,
    frame_seeds(),
    target_frames
);
fuzz_target!(
    fuzz_sdp,
    fuzz_sdp_long,
    vec![SDP.as_bytes().to_vec()],
    target_sdp
);
fuzz_target!(
    fuzz_ice,
    fuzz_ice_long,
    vec![b"candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host generation 0".to_vec()],
    target_ice
);
fuzz_target!(fuzz_rtp_rtcp, fuzz_rtp_rtcp_long, rtp_seeds(), target_rtp);
fuzz_target!(
    fuzz_audio_files,
    fuzz_audio_files_long,
    audio_seeds(),
    target_audio
);
fuzz_target!(
    fuzz_model_file,
    fuzz_model_file_long,
    model_seeds(),
    target_model
);
fuzz_target!(fuzz_config, fuzz_config_long, config_seeds(), target_config);
fuzz_target!(
    fuzz_kb_markdown,
    fuzz_kb_markdown_long,
    markdown_seeds(),
    target_markdown
);

#[test]
fn the_seeds_are_valid_inputs() {
    // A fuzz target whose seed is rejected at the first check tests little.
    for s in frame_seeds() {
        assert!(
            serde_json::from_slice::<crate::chat::ClientFrame>(&s).is_ok(),
            "{}",
            String::from_utf8_lossy(&s)
        );
    }
    assert!(
        rtc::sdp::description::session::SessionDescription::unmarshal(&mut std::io::Cursor::new(
            SDP.as_bytes()
        ))
        .is_ok()
    );
    for s in audio_seeds() {
        assert!(crate::transcribe::audio::decode_bytes(&s).is_ok());
    }
    assert!(
        crate::config::Config::from_toml_str(&String::from_utf8_lossy(&config_seeds()[0])).is_ok()
    );
    for s in markdown_seeds() {
        assert!(crate::assistant::fuzz_parse_article("seed", &String::from_utf8_lossy(&s)).is_ok());
    }
}
