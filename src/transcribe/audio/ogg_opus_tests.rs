//! Files are built page by page here (CRC included) so that both granule layouts, and the
//! webrtc-rs writer's quirks, are reproduced byte for byte; the recorder's real writer is
//! exercised in `tests/it/recorded_audio.rs`.

use super::*;
use crate::transcribe::audio::{decode_bytes, AudioError};
use std::f32::consts::TAU;

const FRAME: usize = 960;

/// Ogg's CRC-32: polynomial 0x04c11db7, no reflection, zero start.
fn crc(bytes: &[u8]) -> u32 {
    let mut crc = 0u32;
    for b in bytes {
        crc ^= u32::from(*b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn page(kind: u8, granule: u64, sequence: u32, packets: &[&[u8]]) -> Vec<u8> {
    let mut lacing = Vec::new();
    for p in packets {
        lacing.extend(std::iter::repeat_n(255u8, p.len() / 255));
        lacing.push((p.len() % 255) as u8);
    }
    let mut page = b"OggS\0".to_vec();
    page.push(kind);
    page.extend(granule.to_le_bytes());
    page.extend(0x5eed_u32.to_le_bytes());
    page.extend(sequence.to_le_bytes());
    page.extend([0; 4]);
    page.push(lacing.len() as u8);
    page.extend(lacing);
    for p in packets {
        page.extend_from_slice(p);
    }
    let sum = crc(&page);
    page[22..26].copy_from_slice(&sum.to_le_bytes());
    page
}

fn head(channels: u8, pre_skip: u16, gain: i16, family: u8) -> Vec<u8> {
    let mut h = b"OpusHead\x01".to_vec();
    h.push(channels);
    h.extend(pre_skip.to_le_bytes());
    h.extend(48_000u32.to_le_bytes());
    h.extend(gain.to_le_bytes());
    h.push(family);
    h
}

fn tags(vendor: &[u8]) -> Vec<u8> {
    let mut t = b"OpusTags".to_vec();
    t.extend((vendor.len() as u32).to_le_bytes());
    t.extend_from_slice(vendor);
    t.extend(0u32.to_le_bytes());
    t
}

/// What webrtc-rs's `OggWriter` writes for packets at `positions` (48 kHz ticks counted from
/// the first): its granule arithmetic skips the first increment, so the second packet repeats
/// the first one's granule.
fn webrtc_rs_file(packets: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let (mut granule, mut previous) = (1u64, 1u64);
    let mut pages = Vec::new();
    for (pos, data) in packets {
        let timestamp = pos + 1;
        if previous != 1 {
            granule += timestamp - previous;
        }
        previous = timestamp;
        pages.push((granule, data.clone()));
    }
    webrtc_rs_pages(&pages)
}

/// The writer's header pages (a 10-byte vendor declared, 9 written), one page per packet with
/// the given granules, and `close()` repeating the last page as the end of stream.
fn webrtc_rs_pages(pages: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut f = page(2, 0, 0, &[&head(1, 3_840, 0, 0)]);
    let mut t = b"OpusTags".to_vec();
    t.extend(10u32.to_le_bytes());
    t.extend(b"WebRTC.rs");
    t.extend(0u32.to_le_bytes());
    f.extend(page(0, 0, 1, &[&t]));
    let mut last: (u64, Vec<u8>) = (0, t.clone());
    let mut sequence = 2u32;
    for (granule, data) in pages {
        f.extend(page(0, *granule, sequence, &[data]));
        sequence += 1;
        last = (*granule, data.clone());
    }
    f.extend(page(4, last.0, sequence - 1, &[&last.1]));
    f
}

/// An RFC 7845 file: packets back to back, several per page, end trimmed to `length` samples.
fn rfc_file(channels: u8, pre_skip: u16, gain: i16, packets: &[Vec<u8>], length: u64) -> Vec<u8> {
    let mut f = page(2, 0, 0, &[&head(channels, pre_skip, gain, 0)]);
    f.extend(page(0, 0, 1, &[&tags(b"libopus 1.5")]));
    let pages: Vec<&[Vec<u8>]> = packets.chunks(10).collect();
    for (i, group) in pages.iter().enumerate() {
        let done = (i * 10 + group.len()) as u64 * FRAME as u64;
        let (kind, granule) = if i + 1 == pages.len() {
            (4, u64::from(pre_skip) + length)
        } else {
            (0, u64::from(pre_skip) + done)
        };
        let refs: Vec<&[u8]> = group.iter().map(|p| p.as_slice()).collect();
        f.extend(page(kind, granule, i as u32 + 2, &refs));
    }
    f
}

fn tone(freq: f32, amplitude: f32, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| amplitude * (TAU * freq * i as f32 / 48_000.0).sin())
        .collect()
}

/// Opus packets of 20 ms for `pcm` (interleaved when stereo), zero-padded so that the encoder's
/// lookahead is flushed too, and that lookahead (the pre-skip a standard file declares).
fn encode(pcm: &[f32], channels: usize) -> (Vec<Vec<u8>>, u16) {
    let layout = if channels == 1 {
        opus::Channels::Mono
    } else {
        opus::Channels::Stereo
    };
    let mut enc = opus::Encoder::new(48_000, layout, opus::Application::Audio).unwrap();
    enc.set_bitrate(opus::Bitrate::Bits(64_000)).unwrap();
    let lookahead = enc.get_lookahead().unwrap() as u16;
    let mut padded = pcm.to_vec();
    let frames = (pcm.len() / channels + lookahead as usize).div_ceil(FRAME);
    padded.resize(frames * FRAME * channels, 0.0);
    let packets = padded
        .chunks(FRAME * channels)
        .map(|f| enc.encode_vec_float(f, 4_000).unwrap())
        .collect();
    (packets, lookahead)
}

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|s| s * s).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

#[test]
fn a_recorder_file_is_as_long_as_its_packets_and_starts_at_zero() {
    let (packets, _) = encode(&tone(440.0, 0.5, 50 * FRAME), 1);
    let placed: Vec<_> = packets
        .into_iter()
        .take(50)
        .enumerate()
        .map(|(i, p)| ((i * FRAME) as u64, p))
        .collect();
    let d = decode_bytes(&webrtc_rs_file(&placed)).unwrap();
    assert_eq!(d.sample_rate, 48_000);
    // Not 49 packets (the doubled granule), not 51 (the repeated last page), no pre-skip.
    assert_eq!(d.samples.len(), 50 * FRAME);
    let level = rms(&d.samples[FRAME..49 * FRAME]);
    assert!((0.3..0.4).contains(&level), "{level}");
}

#[test]
fn gaps_between_recorded_packets_stay_silence_of_the_right_length() {
    let (packets, _) = encode(&tone(440.0, 0.5, 20 * FRAME), 1);
    // Ten packets, a 1.5 s pause, ten more; one packet lost in the second run.
    let mut placed = Vec::new();
    for (i, p) in packets.into_iter().take(20).enumerate() {
        let pos = if i < 10 {
            i * FRAME
        } else {
            72_000 + 10 * FRAME + (i - 10) * FRAME
        };
        if i != 15 {
            placed.push((pos as u64, p));
        }
    }
    let d = decode_bytes(&webrtc_rs_file(&placed)).unwrap();
    assert_eq!(d.samples.len(), 72_000 + 20 * FRAME);
    assert!(d.samples[10 * FRAME..10 * FRAME + 72_000]
        .iter()
        .all(|s| *s == 0.0));
    let lost = 72_000 + 15 * FRAME;
    assert!(d.samples[lost..lost + FRAME].iter().all(|s| *s == 0.0));
    assert!(rms(&d.samples[72_000 + 11 * FRAME..lost]) > 0.2);
    assert!(rms(&d.samples[lost + FRAME..]) > 0.2);
}

#[test]
fn a_long_gap_is_handed_out_in_bounded_chunks() {
    let (packets, _) = encode(&tone(440.0, 0.5, 3 * FRAME), 1);
    // A minute's pause after the second packet (the writer cannot express one after the first).
    let placed = vec![
        (0, packets[0].clone()),
        (FRAME as u64, packets[1].clone()),
        (48_000 * 60, packets[2].clone()),
    ];
    let bytes = webrtc_rs_file(&placed);
    let mut d = OggOpus::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut total = 0;
    while let Some(chunk) = d.next_chunk().unwrap() {
        assert!(!chunk.is_empty() && chunk.len() <= 48_000);
        total += chunk.len();
    }
    assert_eq!(total, 48_000 * 60 + FRAME);
}

#[test]
fn single_packet_and_header_only_recordings() {
    let (packets, _) = encode(&tone(440.0, 0.5, FRAME), 1);
    let one = webrtc_rs_file(&[(0, packets[0].clone())]);
    assert_eq!(decode_bytes(&one).unwrap().samples.len(), FRAME);
    // An OggWriter closed before any packet repeats OpusTags as its end-of-stream page.
    let empty = webrtc_rs_file(&[]);
    assert!(decode_bytes(&empty).unwrap().samples.is_empty());
}

#[test]
fn duplicated_and_reordered_recorder_packets_are_skipped() {
    // The recorder never writes these, but a file is input: granules as the writer would give
    // packets 0, 1, 2, then 2 again, 1 again, and 3.
    let (packets, _) = encode(&tone(440.0, 0.5, 4 * FRAME), 1);
    let g = |i: usize| {
        if i == 0 {
            1
        } else {
            1 + ((i - 1) * FRAME) as u64
        }
    };
    let at = |i: usize| (g(i), packets[i].clone());
    let pages = vec![at(0), at(1), at(2), at(2), at(1), at(3)];
    let d = decode_bytes(&webrtc_rs_pages(&pages)).unwrap();
    assert_eq!(d.samples.len(), 4 * FRAME);
}

#[test]
fn a_standard_file_drops_its_pre_skip_and_is_trimmed_to_its_final_granule() {
    // Half a second of silence, then a tone: the onset must land where it was.
    let length = 48_000 + 123;
    let mut pcm = vec![0.0; 24_000];
    pcm.extend(tone(440.0, 0.5, length - 24_000));
    let (packets, pre_skip) = encode(&pcm, 1);
    assert!(pre_skip > 0);
    let d = decode_bytes(&rfc_file(1, pre_skip, 0, &packets, length as u64)).unwrap();
    assert_eq!(d.samples.len(), length);
    let onset = d.samples.iter().position(|s| s.abs() > 0.25).unwrap();
    assert!((24_000..24_000 + 48).contains(&onset), "onset at {onset}");
    let level = rms(&d.samples[30_000..]);
    assert!((0.3..0.4).contains(&level), "{level}");
}

#[test]
fn stereo_is_averaged_and_the_header_gain_applied() {
    let left = tone(440.0, 0.2, 10 * FRAME);
    let stereo: Vec<f32> = left.iter().flat_map(|s| [*s, *s]).collect();
    let (packets, pre_skip) = encode(&stereo, 2);
    let plain = decode_bytes(&rfc_file(2, pre_skip, 0, &packets, 10 * FRAME as u64)).unwrap();
    assert_eq!(plain.samples.len(), 10 * FRAME);
    let level = rms(&plain.samples[FRAME..]);
    assert!((0.12..0.16).contains(&level), "{level}");
    // +6.02 dB in Q7.8 doubles the amplitude.
    let loud = decode_bytes(&rfc_file(2, pre_skip, 1_541, &packets, 10 * FRAME as u64)).unwrap();
    let ratio = rms(&loud.samples[FRAME..]) / level;
    assert!((1.9..2.1).contains(&ratio), "{ratio}");
}

#[test]
fn other_ogg_codecs_and_layouts_are_named() {
    let vorbis = page(2, 0, 0, &[b"\x01vorbis\0\0\0\0\x01"]);
    assert!(matches!(
        decode_bytes(&vorbis),
        Err(AudioError::Unsupported("Ogg Vorbis"))
    ));
    let mut surround = page(2, 0, 0, &[&head(6, 312, 0, 1)]);
    surround.extend(page(0, 0, 1, &[&tags(b"x")]));
    assert!(matches!(
        decode_bytes(&surround),
        Err(AudioError::Unsupported("multichannel Ogg/Opus"))
    ));
    let no_tags = page(2, 0, 0, &[&head(1, 312, 0, 0)]);
    assert!(matches!(decode_bytes(&no_tags), Err(AudioError::Ogg(_))));
}

#[test]
fn corrupt_files_are_errors_and_cut_files_keep_their_whole_pages() {
    let (packets, _) = encode(&tone(440.0, 0.5, 5 * FRAME), 1);
    let placed: Vec<_> = packets
        .into_iter()
        .take(5)
        .enumerate()
        .map(|(i, p)| ((i * FRAME) as u64, p))
        .collect();
    let good = webrtc_rs_file(&placed);
    // A flipped bit in the third audio page fails its checksum.
    let third = good
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"OggS")
        .nth(4)
        .unwrap()
        .0;
    let mut flipped = good.clone();
    flipped[third + 40] ^= 1;
    let err = decode_bytes(&flipped).unwrap_err();
    assert!(matches!(err, AudioError::Ogg(_)), "{err}");
    // Cut inside the third audio page: the two before it survive.
    let d = decode_bytes(&good[..third + 30]).unwrap();
    assert_eq!(d.samples.len(), 2 * FRAME);
    // Every prefix and every single-byte corruption: an answer, never a panic.
    for cut in 0..good.len() {
        let _ = decode_bytes(&good[..cut]);
    }
    for at in 0..good.len() {
        let mut b = good.clone();
        b[at] ^= 0xa5;
        let _ = decode_bytes(&b);
    }
}
