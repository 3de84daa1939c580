//! Masking personal data in exported text: payment card numbers, e-mail addresses and phone
//! numbers.
//!
//! Cards are masked first, keeping the last four digits (`[card •••• 1111]`) so an agent can still
//! tell which card was meant; a digit run only counts as a card when it is 13 to 19 digits long,
//! separated at most by single spaces or dashes, and passes the Luhn check, so order numbers and
//! other long ids stay. Phone numbers need 7 to 15 digits and a phone-like shape (international
//! `+`, or groups separated by spaces, dots, dashes or parentheses); dates, times, amounts, ids
//! such as `ORD-123-4567` and card numbers (even when card masking is off) are left alone.
//! Text without anything to mask is returned borrowed, unchanged.

use crate::domain::{ConversationEvent, EventBody, Message, TranscriptSegment};
use regex::Regex;
use std::borrow::Cow;
use std::sync::OnceLock;

/// Which kinds of personal data to mask. All on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redactor {
    pub card: bool,
    pub email: bool,
    pub phone: bool,
}

impl Default for Redactor {
    fn default() -> Self {
        Self {
            card: true,
            email: true,
            phone: true,
        }
    }
}

struct Patterns {
    card: Regex,
    email: Regex,
    phone: Regex,
    date: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // Literal patterns checked by the unit tests; see `asks::patterns`.
        let re = |p: &str| Regex::new(p).expect("literal regex is valid");
        Patterns {
            card: re(r"\b\d(?:[ -]?\d){12,18}\b"),
            email: re(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
            phone: re(concat!(
                r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?|\b\d{1,4}[ .-])?",
                r"\b\d{2,5}(?:[ .-]\d{2,8}){1,4}\b",
            )),
            date: re(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$"),
        }
    })
}

/// The Luhn checksum of a digit string.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The digits of `s`, as numbers.
fn digits(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

/// True when the match at `start` continues an identifier (`ORD-123`, `acct_55`, `v2.3`) or an
/// amount (`$1,234`): then its digits are not a card or phone number on their own.
fn glued(text: &str, start: usize) -> bool {
    let mut before = text[..start].chars().rev();
    match before.next() {
        None => false,
        Some(c) if c.is_alphanumeric() || matches!(c, '_' | '$' | '€' | '£' | '/' | ':' | '#') => {
            true
        }
        Some('-' | '.' | ',') => before.next().is_some_and(|c| c.is_alphanumeric()),
        Some(_) => false,
    }
}

/// Spans of card numbers in `text`: within each candidate run, the longest stretch of whole digit
/// groups (from the left) that is 13–19 digits long and Luhn-valid.
fn cards(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for m in patterns().card.find_iter(text) {
        if glued(text, m.start()) {
            continue;
        }
        // The digit groups of the run, as byte spans in `text`.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut start = None;
        for (i, c) in m.as_str().char_indices() {
            match (c.is_ascii_digit(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    groups.push((m.start() + s, m.start() + i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            groups.push((m.start() + s, m.end()));
        }
        let mut i = 0;
        'outer: while i < groups.len() {
            for j in (i..groups.len()).rev() {
                let span = &text[groups[i].0..groups[j].1];
                let d = digits(span);
                if (13..=19).contains(&d.len()) && luhn(&d) {
                    let last4: String = d[d.len() - 4..]
                        .iter()
                        .map(|x| char::from(b'0' + x))
                        .collect();
                    out.push((groups[i].0, groups[j].1, last4));
                    i = j + 1;
                    continue 'outer;
                }
            }
            i += 1;
        }
    }
    out
}

/// Whether a phone-shaped match really is a phone number.
fn is_phone(text: &str, start: usize, s: &str) -> bool {
    let d = digits(s);
    let plus = s.starts_with('+');
    let looks_like_card = (13..=19).contains(&d.len()) && luhn(&d);
    (7..=15).contains(&d.len())
        && !looks_like_card
        && !patterns().date.is_match(s)
        // A dotted number without a `+` is more often a version or an address (`10.0.0.12`).
        && (plus || !s.contains('.') || s.matches('.').count() >= 2 && d.len() >= 10)
        && (plus || !glued(text, start))
}

impl Redactor {
    /// A redactor that masks nothing.
    pub fn none() -> Self {
        Self {
            card: false,
            email: false,
            phone: false,
        }
    }

    /// `text` with the enabled kinds masked; borrowed when nothing was found.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        if self.card && text.bytes().filter(u8::is_ascii_digit).count() >= 13 {
            let found = cards(&out);
            if !found.is_empty() {
                out = Cow::Owned(splice(
                    &out,
                    found
                        .into_iter()
                        .map(|(s, e, last4)| (s, e, format!("[card •••• {last4}]"))),
                ));
            }
        }
        if self.email && out.contains('@') {
            let spans: Vec<_> = patterns()
                .email
                .find_iter(&out)
                .map(|m| (m.start(), m.end(), "[email]".to_owned()))
                .collect();
            if !spans.is_empty() {
                out = Cow::Owned(splice(&out, spans.into_iter()));
            }
        }
        if self.phone && out.bytes().filter(u8::is_ascii_digit).count() >= 7 {
            let spans: Vec<_> = patterns()
                .phone
                .find_iter(&out)
                .filter(|m| is_phone(&out, m.start(), m.as_str()))
                .map(|m| (m.start(), m.end(), "[phone]".to_owned()))
                .collect();
            if !spans.is_empty() {
                out = Cow::Owned(splice(&out, spans.into_iter()));
            }
        }
        out
    }

    /// Masks a message's text in place.
    pub fn redact_message(&self, message: &mut Message) {
        if let Cow::Owned(s) = self.redact(&message.content) {
            message.content = s;
        }
        // An attachment's name and the lines read from a log are the customer's words too.
        if let Some(a) = message.attachment.as_mut() {
            if let Cow::Owned(s) = self.redact(&a.name) {
                a.name = s;
            }
            for line in a.findings.iter_mut().flat_map(|f| f.lines.iter_mut()) {
                if let Cow::Owned(s) = self.redact(&line.text) {
                    line.text = s;
                }
            }
        }
    }

    /// Masks a transcript line's text in place.
    pub fn redact_segment(&self, segment: &mut TranscriptSegment) {
        if let Cow::Owned(s) = self.redact(&segment.text) {
            segment.text = s;
        }
    }

    /// Masks the text an event carries: a message, or the lines of a call transcript.
    pub fn redact_event(&self, event: &mut ConversationEvent) {
        match &mut event.body {
            EventBody::Message { message, .. } => self.redact_message(message),
            EventBody::TranscriptReady { segments, .. } => {
                for s in segments {
                    self.redact_segment(s);
                }
            }
            _ => {}
        }
    }
}

/// `text` with the (sorted, non-overlapping) spans replaced.
fn splice(text: &str, spans: impl Iterator<Item = (usize, usize, String)>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e, with) in spans {
        out.push_str(&text[at..s]);
        out.push_str(&with);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}
