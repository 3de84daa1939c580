//! Transcripts for people and players: plain text, JSON, WebVTT and SRT.
//!
//! Every format lists cues in time order (stable for equal times, so speakers keep the order
//! they were given). Text is put on one line: runs of whitespace, newlines included, become one
//! space, because a blank line would end a WebVTT or SRT cue early. Cues left without text are
//! left out of the text, WebVTT and SRT forms; JSON carries the cues as they are. Players ignore
//! a cue that ends before it starts, so such a cue is shown for 1 ms instead.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::str::FromStr;

/// One stretch of transcript. On the wire (JSON) its fields are camelCase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    pub text: String,
}

/// Why a transcript could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum SubtitleError {
    #[error("unknown transcript format {0:?} (text, json, vtt or srt)")]
    UnknownFormat(String),
    #[error("transcript JSON: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    WebVtt,
    Srt,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Json => "json",
            Format::WebVtt => "vtt",
            Format::Srt => "srt",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Text => "text/plain; charset=utf-8",
            Format::Json => "application/json",
            Format::WebVtt => "text/vtt; charset=utf-8",
            Format::Srt => "application/x-subrip",
        }
    }
}

impl FromStr for Format {
    type Err = SubtitleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "txt" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "vtt" | "webvtt" => Ok(Format::WebVtt),
            "srt" => Ok(Format::Srt),
            _ => Err(SubtitleError::UnknownFormat(s.to_owned())),
        }
    }
}

pub fn render(cues: &[Cue], format: Format) -> Result<String, SubtitleError> {
    Ok(match format {
        Format::Text => to_text(cues),
        Format::Json => to_json(cues)?,
        Format::WebVtt => to_webvtt(cues),
        Format::Srt => to_srt(cues),
    })
}

/// `[HH:MM:SS] Speaker: text`, one cue per line.
pub fn to_text(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (cue, text) in shown(cues) {
        let (h, m, s, _) = clock(cue.start_ms);
        let _ = write!(out, "[{h:02}:{m:02}:{s:02}] ");
        if let Some(speaker) = speaker(cue) {
            let _ = write!(out, "{speaker}: ");
        }
        let _ = writeln!(out, "{text}");
    }
    out
}

/// The cues as a JSON array, in time order.
pub fn to_json(cues: &[Cue]) -> Result<String, SubtitleError> {
    Ok(serde_json::to_string_pretty(&ordered(cues))?)
}

/// WebVTT with `<v Speaker>` voice spans; `&`, `<` and `>` escaped (so `-->` cannot occur).
pub fn to_webvtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for (cue, text) in shown(cues) {
        let (start, end) = span(cue);
        let _ = write!(
            out,
            "\n{} --> {}\n",
            timestamp(start, '.'),
            timestamp(end, '.')
        );
        if let Some(speaker) = speaker(cue) {
            let _ = write!(out, "<v {}>", escape(&speaker));
        }
        let _ = writeln!(out, "{}", escape(&text));
    }
    out
}

/// SubRip: numbered cues, comma before the milliseconds, the speaker as a `Name: ` prefix.
pub fn to_srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (n, (cue, text)) in shown(cues).enumerate() {
        let (start, end) = span(cue);
        if n > 0 {
            out.push('\n');
        }
        let _ = write!(
            out,
            "{}\n{} --> {}\n",
            n + 1,
            timestamp(start, ','),
            timestamp(end, ',')
        );
        if let Some(speaker) = speaker(cue) {
            let _ = write!(out, "{}: ", no_arrow(&speaker));
        }
        let _ = writeln!(out, "{}", no_arrow(&text));
    }
    out
}

fn ordered(cues: &[Cue]) -> Vec<&Cue> {
    let mut sorted: Vec<&Cue> = cues.iter().collect();
    sorted.sort_by_key(|c| (c.start_ms, c.end_ms));
    sorted
}

/// The cues that have text, in order, with their text on one line.
fn shown(cues: &[Cue]) -> impl Iterator<Item = (&Cue, String)> {
    ordered(cues)
        .into_iter()
        .map(|c| (c, one_line(&c.text)))
        .filter(|(_, text)| !text.is_empty())
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn speaker(cue: &Cue) -> Option<String> {
    cue.speaker
        .as_deref()
        .map(one_line)
        .filter(|s| !s.is_empty())
}

fn span(cue: &Cue) -> (u64, u64) {
    (cue.start_ms, cue.end_ms.max(cue.start_ms + 1))
}

fn clock(ms: u64) -> (u64, u64, u64, u64) {
    (
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1_000 % 60,
        ms % 1_000,
    )
}

/// `HH:MM:SS.mmm` (WebVTT) or `HH:MM:SS,mmm` (SRT); hours grow past two digits if they must.
fn timestamp(ms: u64, separator: char) -> String {
    let (h, m, s, ms) = clock(ms);
    format!("{h:02}:{m:02}:{s:02}{separator}{ms:03}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// SRT has no escapes; an arrow in the text would read as a timing line.
fn no_arrow(text: &str) -> String {
    let mut t = text.to_owned();
    while t.contains("-->") {
        t = t.replace("-->", "->");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(start_ms: u64, end_ms: u64, speaker: Option<&str>, text: &str) -> Cue {
        Cue {
            start_ms,
            end_ms,
            speaker: speaker.map(str::to_owned),
            text: text.to_owned(),
        }
    }

    fn sample() -> Vec<Cue> {
        vec![
            cue(3_723_004, 3_725_500, Some("Agent"), "Let me check."),
            cue(0, 1_500, Some("Customer"), " Hi, I was charged twice."),
            cue(1_500, 4_020, None, "Thanks for\n\nwaiting."),
        ]
    }

    #[test]
    fn plain_text_has_a_clock_the_speaker_and_one_line_per_cue() {
        assert_eq!(
            to_text(&sample()),
            "[00:00:00] Customer: Hi, I was charged twice.\n\
             [00:00:01] Thanks for waiting.\n\
             [01:02:03] Agent: Let me check.\n"
        );
    }

    #[test]
    fn webvtt_has_voice_spans_and_dotted_milliseconds() {
        assert_eq!(
            to_webvtt(&sample()),
            "WEBVTT\n\
             \n\
             00:00:00.000 --> 00:00:01.500\n\
             <v Customer>Hi, I was charged twice.\n\
             \n\
             00:00:01.500 --> 00:00:04.020\n\
             Thanks for waiting.\n\
             \n\
             01:02:03.004 --> 01:02:05.500\n\
             <v Agent>Let me check.\n"
        );
        assert_eq!(to_webvtt(&[]), "WEBVTT\n");
    }

    #[test]
    fn srt_is_numbered_with_comma_milliseconds() {
        assert_eq!(
            to_srt(&sample()),
            "1\n\
             00:00:00,000 --> 00:00:01,500\n\
             Customer: Hi, I was charged twice.\n\
             \n\
             2\n\
             00:00:01,500 --> 00:00:04,020\n\
             Thanks for waiting.\n\
             \n\
             3\n\
             01:02:03,004 --> 01:02:05,500\n\
             Agent: Let me check.\n"
        );
        assert_eq!(to_srt(&[]), "");
    }

    #[test]
    fn markup_and_arrows_never_reach_the_cue_text() {
        let tricky = [cue(
            0,
            1_000,
            Some("R&D <lead>"),
            "if a<b && c>d --> go ---> x",
        )];
        let vtt = to_webvtt(&tricky);
        assert!(vtt.ends_with(
            "<v R&amp;D &lt;lead&gt;>if a&lt;b &amp;&amp; c&gt;d --&gt; go ---&gt; x\n"
        ));
        assert_eq!(vtt.matches("-->").count(), 1, "{vtt}");
        let srt = to_srt(&tricky);
        assert!(
            srt.ends_with("R&D <lead>: if a<b && c>d -> go -> x\n"),
            "{srt}"
        );
        assert_eq!(srt.matches("-->").count(), 1, "{srt}");
    }

    #[test]
    fn empty_cues_are_skipped_and_backwards_ones_last_a_millisecond() {
        let cues = [
            cue(0, 500, Some("A"), "  \n "),
            cue(2_000, 1_000, Some(" "), "late"),
        ];
        assert_eq!(to_srt(&cues), "1\n00:00:02,000 --> 00:00:02,001\nlate\n");
        assert_eq!(to_text(&cues), "[00:00:02] late\n");
    }

    #[test]
    fn json_is_camel_case_in_time_order_and_round_trips() {
        let json = to_json(&sample()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value[0],
            serde_json::json!({"startMs": 0, "endMs": 1500, "speaker": "Customer", "text": " Hi, I was charged twice."})
        );
        assert!(value[1].get("speaker").is_none());
        let back: Vec<Cue> = serde_json::from_str(&json).unwrap();
        let mut expected = sample();
        expected.sort_by_key(|c| c.start_ms);
        assert_eq!(back, expected);
    }

    #[test]
    fn formats_parse_from_their_names() {
        assert_eq!("VTT".parse::<Format>().unwrap(), Format::WebVtt);
        assert_eq!("srt".parse::<Format>().unwrap().extension(), "srt");
        assert_eq!("txt".parse::<Format>().unwrap(), Format::Text);
        assert!(matches!(
            "docx".parse::<Format>(),
            Err(SubtitleError::UnknownFormat(_))
        ));
        let json = render(&sample(), Format::Json).unwrap();
        assert!(json.starts_with('['));
    }
}
