//! Speech for the transcription tests: espeak-ng (installed by scripts/test.sh) speaking a
//! sentence, and the words of a transcript for comparing.

use std::path::Path;

/// `text` spoken by espeak-ng (en-us, 150 words a minute): its samples and sample rate.
pub fn espeak(path: &Path, text: &str) -> (Vec<i16>, hound::WavSpec) {
    let ok = std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(path)
        .arg(text)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "espeak-ng is needed (scripts/test.sh installs it)");
    let mut reader = hound::WavReader::open(path).expect("espeak-ng wrote a WAV");
    let spec = reader.spec();
    let samples = reader
        .samples::<i16>()
        .map(|s| s.expect("16-bit samples"))
        .collect();
    (samples, spec)
}

/// `text` spoken by espeak-ng into the WAV `path` for a browser's fake microphone, followed by
/// 1.5 s of silence (Chromium loops the file; the pause makes each repetition its own utterance).
pub fn microphone_wav(path: &Path, text: &str) {
    let (mut samples, spec) = espeak(&path.with_extension("raw.wav"), text);
    samples.extend(std::iter::repeat_n(0, spec.sample_rate as usize * 3 / 2));
    let mut w = hound::WavWriter::create(path, spec).expect("WAV created");
    for s in samples {
        w.write_sample(s).expect("sample written");
    }
    w.finalize().expect("WAV finalised");
}

/// The lower-case words of `text`, punctuation dropped.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}
