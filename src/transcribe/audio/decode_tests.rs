use super::*;
use hound::{SampleFormat, WavSpec, WavWriter};

fn wav<S: hound::Sample + Copy>(
    rate: u32,
    channels: u16,
    bits: u16,
    format: SampleFormat,
    samples: &[S],
) -> Vec<u8> {
    let spec = WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: format,
    };
    let mut buf = Cursor::new(Vec::new());
    let mut w = WavWriter::new(&mut buf, spec).unwrap();
    for s in samples {
        w.write_sample(*s).unwrap();
    }
    w.finalize().unwrap();
    buf.into_inner()
}

fn close(a: &[f32], b: &[f32], tolerance: f32) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tolerance, "sample {i}: {x} vs {y}");
    }
}

#[test]
fn formats_are_recognised_by_their_magic_bytes() {
    assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt ").unwrap(), Format::Wav);
    assert_eq!(sniff(b"OggS\0\x02\0\0\0\0\0\0").unwrap(), Format::Ogg);
    let unsupported = |head: &[u8]| match sniff(head) {
        Err(AudioError::Unsupported(name)) => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(unsupported(b"fLaC\0\0\0\x22"), "FLAC");
    assert_eq!(unsupported(b"ID3\x04\0\0\0\0"), "MP3");
    assert_eq!(unsupported(&[0xff, 0xfb, 0x90, 0x64]), "MP3");
    assert_eq!(unsupported(&[0x1a, 0x45, 0xdf, 0xa3, 1]), "WebM/Matroska");
    assert_eq!(unsupported(b"\0\0\0\x20ftypM4A "), "MP4/M4A");
    assert_eq!(unsupported(b"RIFX\0\0\0\0WAVE"), "big-endian WAV (RIFX)");
    for unknown in [
        &b""[..],
        b"RIFF",
        b"RIFF\0\0\0\0AVI ",
        b"hello world!",
        b"Ogg",
    ] {
        assert!(
            matches!(sniff(unknown), Err(AudioError::UnknownFormat)),
            "{unknown:?}"
        );
    }
}

#[test]
fn the_name_of_a_file_does_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("speech.ogg");
    std::fs::write(&path, wav(8_000, 1, 16, SampleFormat::Int, &[0i16, 16_384])).unwrap();
    let d = decode_file(&path).unwrap();
    assert_eq!((d.sample_rate, d.samples), (8_000, vec![0.0, 0.5]));
    let missing = decode_file(&dir.path().join("nope.wav")).unwrap_err();
    assert!(matches!(missing, AudioError::Io(_)), "{missing}");
}

#[test]
fn integer_wav_of_every_width_is_scaled_to_full_scale_one() {
    let d = decode_bytes(&wav(
        44_100,
        1,
        16,
        SampleFormat::Int,
        &[0i16, 16_384, -32_768, 32_767],
    ))
    .unwrap();
    assert_eq!(d.sample_rate, 44_100);
    close(&d.samples, &[0.0, 0.5, -1.0, 32_767.0 / 32_768.0], 0.0);

    // 8-bit WAV is unsigned on disk; hound hands it over signed.
    let d = decode_bytes(&wav(8_000, 1, 8, SampleFormat::Int, &[0i8, 64, -128])).unwrap();
    close(&d.samples, &[0.0, 0.5, -1.0], 0.0);

    let d = decode_bytes(&wav(
        48_000,
        1,
        24,
        SampleFormat::Int,
        &[0i32, 1 << 22, -(1 << 23)],
    ))
    .unwrap();
    close(&d.samples, &[0.0, 0.5, -1.0], 0.0);

    let d = decode_bytes(&wav(
        96_000,
        1,
        32,
        SampleFormat::Int,
        &[0i32, 1 << 30, i32::MIN],
    ))
    .unwrap();
    close(&d.samples, &[0.0, 0.5, -1.0], 0.0);
}

#[test]
fn float_wav_passes_through_and_non_numbers_become_silence() {
    let d = decode_bytes(&wav(
        22_050,
        1,
        32,
        SampleFormat::Float,
        &[0.25f32, -0.75, f32::NAN, f32::INFINITY],
    ))
    .unwrap();
    assert_eq!(d.samples, vec![0.25, -0.75, 0.0, 0.0]);
}

#[test]
fn channels_are_averaged_into_mono() {
    let stereo = [16_384i16, -16_384, 16_384, 16_384, -32_768, 0];
    let d = decode_bytes(&wav(48_000, 2, 16, SampleFormat::Int, &stereo)).unwrap();
    close(&d.samples, &[0.0, 0.5, -0.5], 0.0);
    let six: Vec<i16> = (0..6 * 10)
        .map(|i| if i % 6 == 0 { 6_000 } else { 0 })
        .collect();
    let d = decode_bytes(&wav(48_000, 6, 16, SampleFormat::Int, &six)).unwrap();
    close(&d.samples, &[1_000.0 / 32_768.0; 10], 1e-7);
}

#[test]
fn long_files_arrive_in_bounded_chunks_that_add_up() {
    let samples: Vec<i16> = (0..10_000).map(|i| (i % 300) as i16).collect();
    let bytes = wav(16_000, 1, 16, SampleFormat::Int, &samples);
    let mut d = Decoder::new(Cursor::new(&bytes)).unwrap();
    assert_eq!((d.format(), d.sample_rate()), (Format::Wav, 16_000));
    let mut sizes = Vec::new();
    while let Some(chunk) = d.next_chunk().unwrap() {
        sizes.push(chunk.len());
    }
    assert_eq!(sizes, [4_096, 4_096, 1_808]);
    assert!(d.next_chunk().unwrap().is_none());
}

#[test]
fn the_jfk_fixture_is_eleven_seconds_at_16_khz() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jfk.wav");
    let d = decode_file(&path).unwrap();
    assert_eq!(d.sample_rate, 16_000);
    assert_eq!(d.samples.len(), 176_000);
    let peak = d.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((0.3..=1.0).contains(&peak), "{peak}");
}

#[test]
fn a_wav_cut_short_keeps_its_whole_frames() {
    let stereo: Vec<i16> = (0..200).collect();
    let mut bytes = wav(16_000, 2, 16, SampleFormat::Int, &stereo);
    // Cut in the middle of frame 50's right sample.
    bytes.truncate(44 + 50 * 4 + 3);
    let d = decode_bytes(&bytes).unwrap();
    assert_eq!(d.samples.len(), 50);
    assert_eq!(d.samples[49], 98.5 / 32_768.0);
}

#[test]
fn broken_or_strange_wav_headers_are_errors_not_panics() {
    let good = wav(16_000, 1, 16, SampleFormat::Int, &[1i16; 100]);
    // The fmt chunk garbled.
    let mut garbled = good.clone();
    garbled[20..36].fill(0xff);
    assert!(matches!(decode_bytes(&garbled), Err(AudioError::Wav(_))));
    // Only the RIFF header.
    assert!(matches!(decode_bytes(&good[..12]), Err(AudioError::Wav(_))));
    // Rates no microphone has.
    let mut slow = good.clone();
    slow[24..28].copy_from_slice(&10u32.to_le_bytes());
    slow[28..32].copy_from_slice(&20u32.to_le_bytes());
    assert!(matches!(
        decode_bytes(&slow),
        Err(AudioError::SampleRate(10))
    ));
    // Every prefix and every single-byte corruption: an answer, never a panic.
    for cut in 0..good.len() {
        let _ = decode_bytes(&good[..cut]);
    }
    for at in 0..60 {
        let mut b = good.clone();
        b[at] ^= 0x5a;
        let _ = decode_bytes(&b);
    }
}

#[test]
fn a_reader_that_does_not_start_at_zero_is_read_from_where_it_is() {
    let mut bytes = b"junk".to_vec();
    bytes.extend(wav(8_000, 1, 16, SampleFormat::Int, &[16_384i16]));
    let mut cursor = Cursor::new(bytes);
    cursor.set_position(4);
    let d = Decoder::new(cursor).unwrap().collect().unwrap();
    assert_eq!(d.samples, vec![0.5]);
}
