//! Time pressure in the customer's words: deadlines ("tomorrow", "by Friday", "in 45 minutes",
//! "at 9am"), stakes ("our release", "a board meeting", "payroll", "the whole team is blocked") and
//! recurrence ("third time this month"), and how long they say they have been at it ("for 20
//! minutes", "since this morning", "two days now").
//!
//! Contract: pure pattern matching over one message, case-insensitive, compiled once per process;
//! never fails. Each cue keeps the phrase as the customer wrote it, so a briefing can quote it.
//! Phrases that look like a deadline but point backwards ("since this morning", "yesterday") are
//! elapsed time, not deadlines; durations that are not about the customer's effort ("refunds
//! within 30 days") are not elapsed time.

use crate::domain::PressureKind;
use regex::Regex;
use std::sync::OnceLock;

/// One cue, with where it starts in the text (bytes) so callers can find its sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PressureCue {
    pub kind: PressureKind,
    pub text: String,
    pub start: usize,
}

/// How long the customer says they have been at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elapsed {
    /// As written: "20 minutes", "since this morning".
    pub text: String,
    /// The same in minutes, when it is a number of units.
    pub minutes: Option<u32>,
}

struct Patterns {
    deadline: Vec<Regex>,
    stakes: Vec<Regex>,
    recurrence: Vec<Regex>,
    elapsed_for: Regex,
    elapsed_since: Regex,
    effort: Regex,
}

const DAYS: &str = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun";
const AMOUNT: &str = r"\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty|forty[- ]five|fifty|sixty|ninety|few|a few|couple of|a couple of|several|half an?";
const UNIT: &str = r"minutes?|mins?|hours?|hrs?|days?|weeks?";

fn patterns() -> &'static Option<Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        let re = |p: &str| Regex::new(&format!("(?i){p}")).ok();
        Some(Patterns {
            deadline: vec![
                re(&format!(
                    r"\b(?:by|before|until|till|due|for)\s+(?:the\s+)?(?:end\s+of\s+(?:the\s+)?(?:day|week|month|quarter|year|business|today)|close\s+of\s+business|eod|eow|cob|noon|midday|midnight|tonight|tomorrow(?:\s+(?:morning|afternoon|evening|night))?|today|(?:this|next)\s+(?:{DAYS}|week|morning|afternoon|evening)|(?:{DAYS})(?:\s+(?:morning|afternoon|evening|night))?|the\s+weekend|\d{{1,2}}(?::\d{{2}})?\s*(?:am|pm)|\d{{1,2}}:\d{{2}})\b"
                ))?,
                re(r"\b(?:first\s+thing\s+)?(?:tomorrow(?:\s+(?:morning|afternoon|evening|night))?|tonight|later\s+today|this\s+(?:afternoon|evening))\b")?,
                re(&format!(
                    r"\b(?:on|this|next|coming|before)\s+(?:{DAYS})(?:\s+(?:morning|afternoon|evening|night))?\b"
                ))?,
                re(&format!(r"\b(?:in|within)\s+(?:the\s+next\s+|about\s+|around\s+|less\s+than\s+|under\s+)?(?:{AMOUNT})\s+(?:{UNIT})\b"))?,
                re(r"\b(?:in|within)\s+(?:an|the\s+next|the)\s+hour\b")?,
                re(r"\bat\s+(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|o'clock)|noon|midnight|\d{1,2}:\d{2})\b")?,
                re(r"\b(?:asap|as soon as possible|urgent(?:ly)?|right now|right away|immediately|time[- ]sensitive|time[- ]critical|end of (?:the )?(?:day|week|month|quarter))\b")?,
                re(r"\b(?:deadline|due\s+date)\s+(?:is|of|was)\b[^.!?]{0,30}")?,
                re(r"\b(?:need|needs|needed|have|has|got|must)\s+(?:it|this|them|that)?\s*(?:done|fixed|working|sorted|back|live|ready)?\s*(?:by|before)\s+today\b")?,
            ],
            stakes: vec![
                re(r"\b(?:(?:our|the|my|a|an|this|their|big|major)\s+)?(?:product\s+|client\s+|customer\s+|sales\s+|investor\s+|board\s+)?(?:release|launch|go[- ]live|deadline|board meeting|board|client meeting|customer meeting|investor meeting|investor update|demo|presentation|pitch|audit|auditors?|payroll(?:\s+run)?|invoice\s+run|billing\s+run|month[- ]end(?:\s+close)?|quarter[- ]end|year[- ]end|cutover|migration|webinar|big event|campaign|black friday|exec(?:utive)? review|sla)\b")?,
                re(r"\b(?:whole|entire)\s+(?:[a-z]+\s+)?(?:team|company|org|organi[sz]ation|staff|department|office)\b")?,
                re(r"\b(?:our|my|their)\s+(?:customers|clients|users|end users|members)\s+(?:are|aren't|can't|cannot|don't|didn't|haven't|have not|keep|have been|are not|get|got|never)\b")?,
                re(r"\b(?:all|every one|everyone|everybody)\s+(?:of\s+)?(?:in\s+|on\s+)?(?:our|my|the)\s+(?:users|customers|clients|team|staff|agents|office|company)\b")?,
                re(r"\b(?:\d+|dozens of|hundreds of|all the|several)\s+(?:people|users|agents|staff|employees|colleagues|customers|clients)\s+(?:can't|cannot|are|have|were)\b")?,
                re(r"\b(?:production|prod|live site|our\s+(?:site|store|shop|app|service|checkout|website))\s+(?:is\s+|went\s+|has\s+gone\s+)?(?:down|broken|blocked|offline)\b")?,
                re(r"\b(?:customers?|clients?|users?)\s+(?:are|is|have been|keep)\s+(?:affected|complaining|waiting|impacted|blocked|calling)\b")?,
                re(r"\b(?:blocking|blocks|blocked|holding up|holds up)\s+(?:us|me|everyone|everything|(?:my|our|the)\s+(?:[a-z']+\s+){0,2}?(?:team|release|launch|work|project|deploy(?:ment)?|deadline|business|customers|company|sales|payroll))\b")?,
                re(r"\b(?:losing|lost|costing\s+us)\s+(?:money|revenue|customers|sales|orders|data|business|deals)\b")?,
                re(r"\b(?:can't|cannot|can not|unable to)\s+(?:ship|bill|invoice|pay|close the books|work|launch|release|deploy|sell|trade)\b")?,
            ],
            recurrence: vec![
                re(r"\b(?:second|third|fourth|fifth|sixth|2nd|3rd|4th|5th|6th|\d+th)\s+time\b(?:\s+(?:this|in\s+(?:a|the|two|three))\s+\w+)?")?,
                re(r"\b(?:again and again|over and over|keeps? (?:on\s+)?(?:happening|breaking|failing|coming back)|every (?:single |other )?(?:day|week|month|time|morning)|all the time|once again|yet again|not the first time|happened (?:before|again)|same (?:thing|problem|issue) as last (?:week|month|time))\b")?,
                re(r"\b(?:\d+|two|three|four|five|several|multiple|many)\s+times\s+(?:(?:this|in\s+the\s+(?:last|past))\s+(?:week|month|year|day|quarter)|already|now|today)\b")?,
            ],
            elapsed_for: re(&format!(
                r"\b(?:for|over)\s+(?:the\s+(?:last|past)\s+|about\s+|almost\s+|nearly\s+|over\s+|more than\s+)?(?:({AMOUNT})\s+)?({UNIT})\b|\b({AMOUNT})\s+({UNIT})\s+(?:now|already|straight|of this|of trying|on this|wasted)\b|\b(?:all|the whole)\s+(day|morning|afternoon|evening|week|night)\b"
            ))?,
            elapsed_since: re(&format!(
                r"\bsince\s+(?:this\s+(?:morning|afternoon)|yesterday(?:\s+(?:morning|afternoon|evening))?|last\s+(?:night|week|month|{DAYS})|(?:{DAYS})|lunch|breakfast|\d{{1,2}}(?::\d{{2}})?\s*(?:am|pm)|the\s+(?:update|upgrade|release|weekend|morning))\b"
            ))?,
            effort: re(r"\b(?:been|trying|tried|at this|at it|waiting|stuck|struggling|spent|wasted|going on|working on|fighting|battling|dealing|messing|fiddling|now|already|straight)\b")?,
        })
    })
}

/// Deadlines, stakes and recurrence in `text`, in order of appearance, without repeats.
pub fn time_pressure(text: &str) -> Vec<PressureCue> {
    let Some(p) = patterns() else {
        return Vec::new();
    };
    let mut out: Vec<PressureCue> = Vec::new();
    let lower = text.to_lowercase();
    let groups = [
        (PressureKind::Deadline, &p.deadline),
        (PressureKind::Stakes, &p.stakes),
        (PressureKind::Recurrence, &p.recurrence),
    ];
    for (kind, res) in groups {
        for re in res.iter() {
            for m in re.find_iter(text) {
                if kind == PressureKind::Deadline && looks_back(&lower, m.start()) {
                    continue;
                }
                let phrase = m.as_str().trim();
                // One cue per span: a longer match already found covers a shorter one inside it.
                let overlaps = out.iter().any(|c| {
                    c.kind == kind && m.start() < c.start + c.text.len() && c.start < m.end()
                });
                if !overlaps {
                    out.push(PressureCue {
                        kind,
                        text: phrase.to_owned(),
                        start: m.start(),
                    });
                }
            }
        }
    }
    out.sort_by_key(|c| c.start);
    out
}

/// "since tomorrow" does not exist, but "since this morning", "from today" and "earlier today"
/// point back in time.
fn looks_back(lower: &str, start: usize) -> bool {
    let before = lower.get(start.saturating_sub(12)..start).unwrap_or("");
    ["since ", "from ", "earlier ", "until ", "last "]
        .iter()
        .any(|w| before.trim_end().ends_with(w.trim_end()))
        && !before.trim_end().ends_with("until")
}

fn amount(word: &str) -> Option<u32> {
    let w = word.trim().to_lowercase();
    if let Ok(n) = w.parse::<u32>() {
        return Some(n);
    }
    Some(match w.as_str() {
        "a" | "an" | "one" => 1,
        "two" | "couple of" | "a couple of" => 2,
        "three" | "few" | "a few" | "several" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "fifteen" => 15,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "forty five" | "forty-five" => 45,
        "fifty" => 50,
        "sixty" => 60,
        "ninety" => 90,
        _ => return None,
    })
}

fn unit_minutes(unit: &str) -> u32 {
    let u = unit.to_lowercase();
    if u.starts_with("min") {
        1
    } else if u.starts_with('h') {
        60
    } else if u.starts_with('d') {
        1440
    } else {
        10080
    }
}

/// How long the customer says they have been at it, from the first phrase that says so.
pub fn elapsed(text: &str) -> Option<Elapsed> {
    let p = patterns().as_ref()?;
    if let Some(m) = p.elapsed_since.find(text) {
        return Some(Elapsed {
            text: m.as_str().trim().to_owned(),
            minutes: None,
        });
    }
    for c in p.elapsed_for.captures_iter(text) {
        let whole = c.get(0)?;
        // A duration counts only in a sentence about the customer's effort or wait.
        let sentence = sentence_around(text, whole.start(), whole.end());
        if !p.effort.is_match(sentence) {
            continue;
        }
        if let Some(part) = c.get(5) {
            let minutes = match part.as_str().to_lowercase().as_str() {
                "day" => 8 * 60,
                "week" => 5 * 8 * 60,
                "night" => 8 * 60,
                _ => 4 * 60,
            };
            return Some(Elapsed {
                text: whole.as_str().trim().to_owned(),
                minutes: Some(minutes),
            });
        }
        let (n, unit) = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
            (n, Some(u), _, _) => (n, u),
            (_, _, n, Some(u)) => (n, u),
            _ => continue,
        };
        let half = n.is_some_and(|n| n.as_str().to_lowercase().starts_with("half"));
        let count = n.and_then(|n| amount(n.as_str())).unwrap_or(1);
        let minutes = if half {
            unit_minutes(unit.as_str()) / 2
        } else {
            count.saturating_mul(unit_minutes(unit.as_str()))
        };
        let text = match n {
            Some(n) => format!("{} {}", n.as_str(), unit.as_str()),
            None => unit.as_str().to_owned(),
        };
        return Some(Elapsed {
            text,
            minutes: Some(minutes),
        });
    }
    None
}

/// The sentence of `text` containing `start..end`.
pub fn sentence_around(text: &str, start: usize, end: usize) -> &str {
    let is_end = |c: char| matches!(c, '.' | '!' | '?' | '\n');
    let from = text[..start].rfind(is_end).map_or(0, |i| i + 1);
    let to = text[end..].find(is_end).map_or(text.len(), |i| end + i + 1);
    text[from..to].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues(text: &str) -> Vec<(PressureKind, String)> {
        time_pressure(text)
            .into_iter()
            .map(|c| (c.kind, c.text.to_lowercase()))
            .collect()
    }

    #[test]
    fn deadlines_stakes_and_recurrence() {
        use PressureKind::*;
        assert_eq!(
            cues("This is blocking my team's release tomorrow."),
            [
                (Stakes, "blocking my team".into()),
                (Stakes, "release".into()),
                (Deadline, "tomorrow".into())
            ]
        );
        assert_eq!(
            cues("I have a board meeting in an hour"),
            [
                (Stakes, "a board meeting".into()),
                (Deadline, "in an hour".into())
            ]
        );
        assert_eq!(
            cues("third time this month!! need it by Friday"),
            [
                (Recurrence, "third time this month".into()),
                (Deadline, "by friday".into())
            ]
        );
        assert_eq!(
            cues("our launch is at 9am"),
            [(Stakes, "our launch".into()), (Deadline, "at 9am".into())]
        );
        assert!(cues("It has been broken since this morning").is_empty());
        assert!(cues("How do I download invoices?").is_empty());
        assert_eq!(
            cues("the whole team is stuck and payroll runs on Monday"),
            [
                (Stakes, "whole team".into()),
                (Stakes, "payroll".into()),
                (Deadline, "on monday".into())
            ]
        );
    }

    #[test]
    fn elapsed_time_in_the_customers_words() {
        let e = |t: &str| elapsed(t).map(|e| (e.text, e.minutes));
        assert_eq!(
            e("I've been at this for 20 minutes"),
            Some(("20 minutes".into(), Some(20)))
        );
        assert_eq!(
            e("two hours now and still nothing"),
            Some(("two hours".into(), Some(120)))
        );
        assert_eq!(
            e("It's been failing since this morning"),
            Some(("since this morning".into(), None))
        );
        assert_eq!(
            e("I've been trying for half an hour"),
            Some(("half an hour".into(), Some(30)))
        );
        assert_eq!(e("Refunds are possible within 30 days"), None);
        assert_eq!(e("Can I get a refund for 30 days of service?"), None);
        assert_eq!(e("been stuck all day"), Some(("all day".into(), Some(480))));
    }

    #[test]
    fn sentence_is_found_around_a_match() {
        let t = "Hi. I tried for an hour. Help!";
        let at = t.find("hour").unwrap_or(0);
        assert_eq!(sentence_around(t, at, at + 4), "I tried for an hour.");
    }
}
