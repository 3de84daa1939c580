//! Judging what a conversation produced against what its spec expects: one `Check` per thing a
//! customer or an agent would notice, in named categories. Pure: the briefing is read as JSON so
//! the checks name the wire fields an integrator sees.

use super::drive::{Seen, TurnSeen};
use super::spec::{ConversationSpec, Group, Judged, Question};
use regex::Regex;
use serde_json::Value;
use std::sync::OnceLock;

/// Longest executive summary, in characters (`Briefing::SUMMARY_MAX_CHARS`).
const SUMMARY_MAX: usize = crate::domain::Briefing::SUMMARY_MAX_CHARS;
/// A run of this many words copied from the first message makes the summary a quote.
const QUOTE_WORDS: usize = 8;
/// The agent the bench signs in.
pub const AGENT_FIRST_NAME: &str = "Maria";

#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    pub category: &'static str,
    pub pass: bool,
    /// What was expected and what was seen, for the failure list.
    pub detail: String,
}

fn check(category: &'static str, pass: bool, detail: impl Into<String>) -> Check {
    Check {
        category,
        pass,
        detail: detail.into(),
    }
}

/// One alternative of every group appears in `text` (case-insensitive).
fn covers(groups: &[Group], text: &str) -> Result<(), String> {
    let lower = text.to_lowercase();
    let missing: Vec<String> = groups
        .iter()
        .filter(|g| !g.iter().any(|alt| lower.contains(&alt.to_lowercase())))
        .map(|g| g.join("|"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing {}", missing.join(", ")))
    }
}

fn group_check(category: &'static str, groups: &[Group], text: &str) -> Option<Check> {
    if groups.is_empty() {
        return None;
    }
    Some(match covers(groups, text) {
        Ok(()) => check(category, true, ""),
        Err(e) => check(category, false, format!("{e} in {text:?}")),
    })
}

fn one_of(category: &'static str, allowed: &[String], seen: Option<&str>) -> Option<Check> {
    if allowed.is_empty() {
        return None;
    }
    let pass = seen.is_some_and(|s| allowed.iter().any(|a| a == s));
    Some(check(
        category,
        pass,
        format!("expected one of {allowed:?}, saw {seen:?}"),
    ))
}

/// The judgement of one assistant reply.
pub fn judge_turn(category: &'static str, judged: Judged<'_>, turn: &TurnSeen) -> Check {
    let ai = turn.ai();
    let sources: &[String] = ai.map_or(&[], |a| a.sources.as_slice());
    let first = sources.first();
    let shown = || {
        format!(
            "saw sources {sources:?}: {:?}",
            ai.map_or("(no assistant reply)", |a| a.content.as_str())
                .chars()
                .take(120)
                .collect::<String>()
        )
    };
    match judged {
        Judged::Answer(ok) => {
            let pass = first.is_some_and(|f| ok.contains(f));
            check(category, pass, format!("answer from {ok:?}; {}", shown()))
        }
        Judged::Refuse => check(
            category,
            sources.is_empty(),
            format!("no knowledge-base answer; {}", shown()),
        ),
        Judged::Clarify(ok) => {
            let asked = ai.is_some_and(|a| a.content.contains('?'))
                && sources.len() >= 2
                && sources.iter().any(|s| ok.contains(s));
            let answered = first.is_some_and(|f| ok.contains(f));
            check(
                category,
                asked || answered,
                format!("clarify between {ok:?}; {}", shown()),
            )
        }
    }
}

pub fn question(q: &Question, turn: &TurnSeen) -> Check {
    let judged = if q.refuse {
        Judged::Refuse
    } else {
        Judged::Answer(&q.answer)
    };
    let category = if q.refuse {
        "retrieval_refuse"
    } else {
        "retrieval_answer"
    };
    let mut c = judge_turn(category, judged, turn);
    c.detail = format!("{:?}: {}", q.ask, c.detail);
    c
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// Every check for one conversation.
pub fn conversation(spec: &ConversationSpec, seen: &Seen) -> Vec<Check> {
    let mut out = Vec::new();
    for (turn, t) in spec.turns.iter().zip(&seen.turns) {
        if let Some(j) = turn.judged() {
            out.push(judge_turn("answer", j, t));
        }
        if let Some(c) = group_check("reply", &turn.reply, &t.all_text()) {
            out.push(c);
        }
    }
    let e = &spec.expect;
    let escalated = seen.escalation.is_some();
    out.push(check(
        "escalation",
        escalated == e.escalate,
        format!("expected escalate={}, saw {escalated}", e.escalate),
    ));
    if !e.escalate {
        return out;
    }
    let esc = seen
        .escalation
        .as_ref()
        .and_then(|x| serde_json::to_value(x).ok())
        .unwrap_or(Value::Null);
    let briefing = seen
        .briefing
        .as_ref()
        .and_then(|b| serde_json::to_value(b).ok())
        .unwrap_or(Value::Null);
    out.extend(one_of("trigger", &e.trigger, str_at(&esc, &["trigger"])));
    out.extend(one_of("urgency", &e.urgency, str_at(&esc, &["urgency"])));
    out.extend(one_of(
        "mood",
        &e.mood,
        str_at(&briefing, &["emotionalState", "label"]),
    ));
    out.extend(one_of(
        "trend",
        &e.trend,
        str_at(&briefing, &["emotionalState", "trend"]),
    ));
    out.extend(one_of(
        "peak",
        &e.peak,
        str_at(&briefing, &["emotionalState", "peak"]),
    ));
    let pressure = texts(&briefing["timePressure"], &["text", "quote"]);
    out.extend(group_check("time_pressure", &e.time_pressure, &pressure));
    for group in &e.attempts {
        // Each group must be one attempt the customer said they made.
        let customer_attempts: Vec<String> = briefing["detail"]["attempts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["source"] == "customer")
            .map(|a| texts(a, &["action", "description", "result"]))
            .collect();
        let pass = customer_attempts
            .iter()
            .any(|a| covers(std::slice::from_ref(group), a).is_ok());
        out.push(check(
            "attempts",
            pass,
            format!("an attempt with {group:?} in {customer_attempts:?}"),
        ));
    }
    let spent = texts(&briefing["timeSpent"], &["text"]);
    out.extend(group_check("duration", &e.duration, &spent));
    let summary = str_at(&briefing, &["summary"]).unwrap_or_default();
    out.extend(group_check("summary", &e.summary, summary));
    out.extend(summary_shape(spec, summary, seen.briefing.is_some()));
    let intro = seen.introduction.as_deref().unwrap_or_default();
    if seen.introduction.is_some() || !e.intro.is_empty() {
        out.extend(group_check("intro", &e.intro, intro));
        out.extend(intro_shape(spec, intro));
    }
    let actions: Vec<String> = briefing["nextActions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    out.extend(group_check(
        "next_actions",
        &e.next_actions,
        &actions.join("\n"),
    ));
    let joined = actions.join("\n").to_lowercase();
    for avoid in &e.next_actions_avoid {
        out.push(check(
            "next_actions",
            !joined.contains(&avoid.to_lowercase()),
            format!("no next action repeating {avoid:?}: {actions:?}"),
        ));
    }
    if seen.briefing.is_some() {
        let broken: Vec<&String> = actions.iter().filter(|a| dangling(a)).collect();
        out.push(check(
            "next_actions",
            broken.is_empty(),
            format!("whole sentences, saw {broken:?}"),
        ));
    }
    out
}

/// The values under `keys` of `v` (or of each element when `v` is a list), joined by newlines.
fn texts(v: &Value, keys: &[&str]) -> String {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        for k in keys {
            if let Some(s) = item.get(*k).and_then(Value::as_str) {
                out.push(s.to_owned());
            }
        }
    }
    out.join("\n")
}

/// A snippet cut off at a list: "Set up a webhook endpoint: 1." or ending in a colon.
fn dangling(action: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(:\s*\d+\.?\s*$)|(:\s*$)|(\s\d+\.\s*$)").ok());
    re.as_ref().is_some_and(|r| r.is_match(action.trim()))
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The longest run of words `a` and `b` share, in words.
fn longest_shared_run(a: &[String], b: &[String]) -> usize {
    let mut best = 0;
    let mut prev = vec![0usize; b.len() + 1];
    for x in a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                cur[j + 1] = prev[j] + 1;
                best = best.max(cur[j + 1]);
            }
        }
        prev = cur;
    }
    best
}

fn summary_shape(spec: &ConversationSpec, summary: &str, has_briefing: bool) -> Vec<Check> {
    if !has_briefing {
        return vec![check("summary", false, "no briefing")];
    }
    let len = summary.chars().count();
    let first = spec.turns.first().map_or("", |t| t.say.as_str());
    let shared = longest_shared_run(&words(summary), &words(first));
    vec![
        check(
            "summary",
            len <= SUMMARY_MAX && len > 0,
            format!("1..={SUMMARY_MAX} characters, saw {len}"),
        ),
        check(
            "summary",
            shared < QUOTE_WORDS,
            format!("written, not quoted: shares {shared} words in a row with the first message"),
        ),
    ]
}

/// Words with a final "s" that are singular, so "a business" is fine and "an integrations" not.
const SINGULAR_S: &[&str] = &[
    "access", "address", "analysis", "basis", "boss", "bus", "business", "class", "gas", "glass",
    "lens", "news", "plus", "process", "series", "status", "success", "this", "various", "yes",
];

fn article_errors(text: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| Regex::new(r"(?i)\b(a|an)\s+([a-z][a-z-]*)").ok())
        .as_ref()
    else {
        return Vec::new();
    };
    let mut bad = Vec::new();
    for c in re.captures_iter(text) {
        let (Some(article), Some(word)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let article = article.as_str().to_lowercase();
        let word = word.as_str().to_lowercase();
        let vowel_sound = word.starts_with(['a', 'e', 'i', 'o'])
            || (word.starts_with('u') && !word.starts_with("uni") && !word.starts_with("use"))
            || word.starts_with("hour")
            || word.starts_with("honest");
        let wrong_article = (article == "a") == vowel_sound;
        let plural = word.len() > 3
            && word.ends_with('s')
            && !word.ends_with("ss")
            && !SINGULAR_S.contains(&word.as_str());
        if wrong_article || plural {
            bad.push(format!("{article} {word}"));
        }
    }
    bad
}

fn intro_shape(spec: &ConversationSpec, intro: &str) -> Vec<Check> {
    let mut out = Vec::new();
    if intro.is_empty() {
        out.push(check("intro", false, "no introduction"));
        return out;
    }
    out.push(check(
        "intro",
        intro.contains(AGENT_FIRST_NAME),
        format!("names {AGENT_FIRST_NAME}: {intro:?}"),
    ));
    let name = spec
        .customer
        .as_ref()
        .and_then(|c| c["name"].as_str())
        .and_then(|n| n.split_whitespace().next());
    if let Some(first) = name {
        out.push(check(
            "intro",
            intro.contains(first),
            format!("greets {first}: {intro:?}"),
        ));
    }
    let bad = article_errors(intro);
    out.push(check(
        "intro",
        bad.is_empty(),
        format!("a/an before a singular noun: {bad:?} in {intro:?}"),
    ));
    let known = known_kinds(spec);
    let asked: Vec<&str> = intro
        .split_inclusive(['.', '!', '?'])
        .filter(|s| s.trim_end().ends_with('?'))
        .flat_map(|q| {
            let q = q.to_lowercase();
            ASKS.iter()
                .filter(move |(_, cues)| cues.iter().any(|c| q.contains(c)))
                .map(|(kind, _)| *kind)
                .collect::<Vec<_>>()
        })
        .filter(|k| known.contains(k))
        .collect();
    out.push(check(
        "intro",
        asked.is_empty(),
        format!("asks again for {asked:?}: {intro:?}"),
    ));
    out
}

/// What the customer already gave that an introduction must not ask for, with question cues.
const ASKS: &[(&str, &[&str])] = &[
    ("email", &["email", "e-mail"]),
    ("account", &["account id", "account number"]),
    ("invoice", &["invoice number", "invoice id", "order number"]),
    ("url", &["url", "endpoint"]),
];

fn known_kinds(spec: &ConversationSpec) -> Vec<&'static str> {
    static RE: OnceLock<Option<[Regex; 4]>> = OnceLock::new();
    let Some(res) = RE
        .get_or_init(|| {
            Some([
                Regex::new(r"[\w.+-]+@[\w-]+\.[\w.]+").ok()?,
                Regex::new(r"(?i)\b(acct|org|ws)_\w+|account (id|number)").ok()?,
                Regex::new(r"(?i)\b(INV|ORD)[-_]?\w+|invoice #?\d+").ok()?,
                Regex::new(r"https?://\S+").ok()?,
            ])
        })
        .as_ref()
    else {
        return Vec::new();
    };
    let mut text: String = spec.turns.iter().map(|t| format!("{}\n", t.say)).collect();
    if let Some(email) = spec.customer.as_ref().and_then(|c| c["email"].as_str()) {
        text.push_str(email);
    }
    ["email", "account", "invoice", "url"]
        .into_iter()
        .zip(res.iter())
        .filter(|(_, re)| re.is_match(&text))
        .map(|(k, _)| k)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_need_one_alternative_each() {
        let g = vec![
            vec!["tomorrow".to_owned()],
            vec!["release".into(), "launch".into()],
        ];
        assert!(covers(&g, "Blocking the LAUNCH tomorrow").is_ok());
        assert!(covers(&g, "blocking the launch").is_err());
    }

    #[test]
    fn articles_and_plurals() {
        assert_eq!(
            article_errors("I'm an integrations on the team"),
            ["an integrations"]
        );
        assert_eq!(
            article_errors("I'm a integration specialist"),
            ["a integration"]
        );
        assert!(
            article_errors("I'm an integration specialist, a user of a business plan").is_empty()
        );
        assert!(article_errors("It takes an hour").is_empty());
    }

    #[test]
    fn dangling_snippets() {
        assert!(dangling("See “Webhooks › Set up a webhook endpoint”: 1."));
        assert!(dangling("Set up a webhook endpoint:"));
        assert!(!dangling("Check the delivery log for the endpoint."));
    }

    #[test]
    fn quoting_is_measured_in_words() {
        let a = words("Our webhook deliveries to the endpoint fail with HTTP 401 since today");
        let b = words("Sarah reports: our webhook deliveries to the endpoint fail with HTTP 401.");
        assert_eq!(longest_shared_run(&a, &b), 10);
    }
}
