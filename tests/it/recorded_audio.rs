//! The transcriber reads what the recorder writes: a microphone file from the gateway's own
//! Ogg/Opus writer decodes to exactly the duration the recorder reported, every sample where the
//! recorder placed it on the call clock, pauses kept as silence.

use bytes::Bytes;
use std::f32::consts::TAU;
use warmline::media::record::ogg::OpusOgg;
use warmline::transcribe::audio::{decode_bytes, Decoded};

const FRAME: usize = 960;

fn packets(count: usize) -> Vec<Vec<u8>> {
    let mut enc =
        opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
    (0..count)
        .map(|i| {
            let pcm: Vec<f32> = (0..FRAME)
                .map(|n| 0.4 * (TAU * 440.0 * (i * FRAME + n) as f32 / 48_000.0).sin())
                .collect();
            enc.encode_vec_float(&pcm, 4_000).unwrap()
        })
        .collect()
}

#[test]
fn a_recorded_microphone_decodes_on_the_call_clock() {
    let packets = packets(30);
    // Call-clock positions: ten packets, a 1.3 s pause, then twenty with one lost.
    let first = 96_000u64;
    let mut placed: Vec<(u64, &Vec<u8>)> = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let pos = if i < 10 {
            first + (i * FRAME) as u64
        } else {
            first + 62_400 + (i * FRAME) as u64
        };
        if i != 20 {
            placed.push((pos, p));
        }
    }

    let mut file = Vec::new();
    let mut ogg = OpusOgg::new(&mut file, 1).unwrap();
    for (pos, p) in &placed {
        ogg.write(*pos, Bytes::from((*p).clone()), FRAME as u64)
            .unwrap();
    }
    assert_eq!(ogg.start(), Some(first));
    let duration = ogg.duration();
    ogg.finish().unwrap();

    let Decoded {
        samples,
        sample_rate,
    } = decode_bytes(&file).unwrap();
    assert_eq!(sample_rate, 48_000);
    assert_eq!(samples.len() as u64, duration);

    // What the recorder's own decoder produced for each packet, at its place.
    let mut expected = vec![0.0f32; duration as usize];
    let mut dec = opus::Decoder::new(48_000, opus::Channels::Mono).unwrap();
    let mut pcm = vec![0.0f32; 5_760];
    for (pos, p) in &placed {
        let n = dec.decode_float(p, &mut pcm, false).unwrap();
        let at = (pos - first) as usize;
        expected[at..at + n].copy_from_slice(&pcm[..n]);
    }
    assert!(
        samples == expected,
        "decoded audio differs from the packets at their positions"
    );
    assert!(samples[10 * FRAME..10 * FRAME + 62_400]
        .iter()
        .all(|s| *s == 0.0));
}
