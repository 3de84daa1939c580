//! What the customer says they already tried, from their own words: "I already rotated the
//! signing secret and redeployed", "cleared the cache, tried a private window", "used a backup code
//! too", "clearing cookies didn't help", each with what came of it ("still 401").
//!
//! Contract: pure pattern matching over one message; never fails. An attempt is a remedial verb
//! in the past tense with the customer (or their team) as its subject, or a sentence that opens
//! with one ("Tried a private window."), or an "-ing" remedy that "didn't help". Descriptions of
//! the problem ("I was charged twice", "I tried to log in") are not attempts. Coordinated actions
//! ("rotated the secret and redeployed") are separate attempts sharing one outcome.

use crate::domain::AttemptOutcome;
use regex::Regex;
use std::sync::OnceLock;

/// One thing the customer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatedAttempt {
    /// The action in their words, from the verb: "rotated the signing secret".
    pub action: String,
    /// The sentence it came from.
    pub sentence: String,
    pub outcome: AttemptOutcome,
    /// What came of it in their words ("still 401"), when they said.
    pub result: String,
}

/// Past forms of things people do to fix a problem.
const VERBS: &str = "tried|cleared|deleted|removed|rotated|reset|restarted|rebooted|reinstalled|uninstalled|installed|regenerated|generated|re-?created|created|updated|upgraded|used|checked|double[- ]checked|disabled|enabled|turned|switched|logged|signed|re-?deployed|deployed|re-?added|added|re-?entered|entered|verified|changed|refreshed|reloaded|flushed|whitelisted|allowlisted|unblocked|re-?sent|resent|retried|re-?tested|tested|followed|set|reconnected|re-?connected|connected|re-?synced|synced|contacted|asked|emailed|e-mailed|called|scanned|restored|replaced|binned|wiped|purged|closed|went|looked|compared|confirmed|rolled|revoked|re-?authori[sz]ed|authori[sz]ed|invited|re-?typed|typed|made sure|cleaned|emptied|ran|re-?ran|patched|re-?configured|configured|copied|pasted|downgraded|waited|restarted|killed|forced|hard[- ]refreshed|cleared out|went through|did|made (?:a |an )?(?:new|fresh|another|second)|trimmed|stripped|nuked|messaged|texted|pinged|phoned|rang|chased|wrote to|mailed|raised|filed|reverted|rolled back|escaped|encoded|re-?issued|issued|re-?uploaded|uploaded|re-?imported|imported|re-?linked|linked|re-?enrolled|enrolled|swapped|moved|renamed";

/// After "tried to": these are the goal itself, not a remedy ("I tried to log in").
const GOALS: &[&str] = &[
    "log", "login", "sign", "access", "open", "load", "view", "see", "get", "use", "export",
    "download", "pay", "connect", "reach", "find", "call", "send", "create", "make", "do", "set",
    "add", "invite", "run", "cancel",
];

struct Patterns {
    subject: Regex,
    /// "we already honour Retry-After": any verb after "already" is something they did.
    already: Regex,
    /// ", and we fetch with page_size=500": a further thing they do, after an attempt.
    and_we: Regex,
    /// "I've been emailing you for two weeks": something they keep doing.
    been_doing: Regex,
    opening: Regex,
    ing_failed: Regex,
    split_and: Regex,
    /// After a clause: ", then switched …", ", and we reinstalled …".
    comma_next: Regex,
    still: Regex,
    failed: Regex,
    partial: Regex,
    worked: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        let re = |p: String| Regex::new(&format!("(?i){p}")).ok();
        Some(Patterns {
            subject: re(format!(
                r"(?:^|[,;:(]\s*|\b(?:and|but|so|then|also|already|yes|ok|okay|well|because|since|even|just|today|yesterday|now|and then|plus|both)\s+)(?:i|we|my team|our dev(?:eloper)?s?|our it(?: team)?|(?-i:IT)(?: team)?|our admin|my (?:colleague|boss|manager)|a colleague|our (?:engineers?|sysadmin))\s*(?:['’]ve|['’]d|ve\b|\s+have|\s+had)?\s+(?:(?:already|also|just|even|both|then|since|now|again|literally|actually|all)\s+)*(?:{VERBS})\b"
            ))?,
            opening: re(format!(
                r"^(?:(?:done|ok|okay|yes|yep|yeah|right|so|well|sure)\b[,!.:]?\s+)?(?:(?:already|also|and|then|even|plus|just)\s+)*(?:{VERBS})\b"
            ))?,
            ing_failed: re(
                r"\b((?:clearing|deleting|rotating|resetting|restarting|reinstalling|regenerating|updating|switching|using|trying|disabling|re-?deploying|logging out|signing out|refreshing|reloading)\b[^.,;!?]{0,50}?|a private window|incognito(?: mode)?|another browser|a different browser)\s+(?:didn't|did not|doesn't|does not|won't|hasn't|has not|made no|changed nothing)\b"
                    .to_owned(),
            )?,
            already: re(
                r"(?:^|[,;:(]\s*|\b(?:and|but|so|then|also|yes|ok|okay|well)\s+)(?:i|we)\s+(?:'ve\s+|have\s+)?already\s+([a-z][a-z'-]+)\b"
                    .to_owned(),
            )?,
            been_doing: re(
                r"\b(?:i|we)\s*(?:['’]ve|ve\b|\s+have)\s+been\s+((?:e-?mailing|calling|ringing|phoning|messaging|chasing|contacting|writing to|restarting|clearing|retrying|resetting|reinstalling)\b)"
                    .to_owned(),
            )?,
            and_we: re(r",?\s+and\s+(?:we|i)\s+(?:also\s+)?([a-z][a-z'-]+)\b".to_owned())?,
            split_and: re(format!(
                r",?\s+(?:and|&|then|plus)\s+(?:(?:also|even|then)\s+)?(?:(?:i|we)\s+(?:'ve\s+|have\s+)?)?((?:{VERBS})\b)|,\s+((?:{VERBS})\b)"
            ))?,
            comma_next: re(format!(
                r"^[,;]\s+(?:(?:and|then|also|plus)\s+)*(?:(?:i|we)\s*(?:['’]ve\s+|ve\s+|\s+have\s+)?)?((?:{VERBS})\b)"
            ))?,
            still: re(r"\b(?:still|yet still)\s+([^.,;!?]{1,40})".to_owned())?,
            failed: re(r"\b(?:still|didn't|did not|doesn't|does not|won't|no luck|nothing changed|no change|no difference|same (?:error|issue|problem|thing|result)|to no avail|not working|no joy|useless|failed|fails|nope)\b".to_owned())?,
            partial: re(r"\b(?:a bit better|slightly better|a little better|partly|partially|helped a (?:bit|little)|somewhat)\b".to_owned())?,
            worked: re(r"\b(?:that fixed|fixed it|it worked|worked!|works now|working now|that did it|solved it|sorted it)\b".to_owned())?,
        })
    })
    .as_ref()
}

/// Where an action's phrase ends: at a clause break or at words that start the outcome.
fn phrase_end(rest: &str) -> usize {
    let lower = rest.to_lowercase();
    let mut end = rest.len();
    for stop in [
        ",",
        ";",
        ". ",
        "!",
        "?",
        " but ",
        " and it",
        " and still",
        " still ",
        " which ",
        " yet ",
        " to no avail",
        " without ",
        " - ",
        " — ",
        " and nothing",
        " and the ",
        " so ",
        " as you ",
        " like you ",
        " as suggested",
        " as the ",
        " per your",
        " asking ",
        " because ",
        " after ",
        " when ",
        " to see ",
        " hoping ",
        " but still",
        " twice already",
        " and since",
        " since then",
        " and now",
        " and then it",
        " and every",
        " and it's",
        " and its",
    ] {
        if let Some(i) = lower.find(stop) {
            end = end.min(i);
        }
    }
    end
}

/// At most this many words of an action are kept.
const MAX_ACTION_WORDS: usize = 12;

fn clip_words(s: &str) -> String {
    s.split_whitespace()
        .take(MAX_ACTION_WORDS)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(['\'', '"', ')', '(', '.'])
        .to_owned()
}

/// The actions in `clause` (which starts at a remedial verb), split at "and <verb>".
fn actions_from(p: &Patterns, clause: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = clause;
    loop {
        let end = phrase_end(rest);
        let segment = &rest[..end];
        match p
            .split_and
            .captures(segment)
            .and_then(|c| c.get(1).or_else(|| c.get(2)))
        {
            Some(next) if next.start() > 0 => {
                let whole = p
                    .split_and
                    .find(segment)
                    .map_or(next.start(), |m| m.start());
                out.push(clip_words(&segment[..whole]));
                rest = &rest[next.start()..];
            }
            _ => {
                out.push(clip_words(segment));
                // "wiped the app data, swapped to the beta build": a comma list of steps.
                match p.comma_next.captures(&rest[end..]).and_then(|c| c.get(1)) {
                    Some(verb) => rest = &rest[end + verb.start()..],
                    None => break,
                }
            }
        }
    }
    out.retain(|a| {
        (!is_goal(a) && !is_vague(a) && a.split_whitespace().count() >= 2) || is_bare_remedy(a)
    });
    out
}

/// "tried that", "did it", "changed them": a step that names nothing says nothing to an agent.
fn is_vague(action: &str) -> bool {
    // "revoked it", "reset it", "reinstalled it": a specific remedy says what was done even when
    // its object is only a pronoun (the thing the conversation is about).
    const GENERIC: &[&str] = &[
        "tried",
        "did",
        "done",
        "checked",
        "double-checked",
        "used",
        "changed",
        "followed",
        "went",
        "looked",
        "tested",
        "set",
        "entered",
        "typed",
        "asked",
        "made",
        "confirmed",
        "verified",
        "compared",
        "updated",
        "turned",
        "switched",
        "added",
        "enabled",
        "disabled",
        "ran",
    ];
    let verb = action
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_lowercase();
    if !GENERIC.contains(&verb.as_str()) {
        return false;
    }
    const EMPTY: &[&str] = &[
        "it",
        "them",
        "that",
        "this",
        "those",
        "these",
        "everything",
        "all",
        "something",
        "anything",
        "so",
        "too",
        "again",
        "already",
        "as",
        "well",
        "both",
        "twice",
        "before",
    ];
    action.split_whitespace().skip(1).all(|w| {
        EMPTY.contains(
            &w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
                .as_str(),
        )
    })
}

/// "tried to log in" is the problem, not a remedy.
fn is_goal(action: &str) -> bool {
    let lower = action.to_lowercase();
    let Some(after) = lower.strip_prefix("tried to ") else {
        return false;
    };
    let first = after.split_whitespace().next().unwrap_or("");
    GOALS.contains(&first)
}

/// One-word actions that are remedies on their own ("redeployed", "restarted").
fn is_bare_remedy(action: &str) -> bool {
    let a = action.trim().to_lowercase();
    [
        "redeployed",
        "re-deployed",
        "restarted",
        "rebooted",
        "reinstalled",
        "retried",
        "refreshed",
        "reloaded",
    ]
    .contains(&a.as_str())
}

fn outcome_of(p: &Patterns, text: &str) -> (AttemptOutcome, String) {
    let result = p
        .still
        .captures(text)
        .and_then(|c| c.get(0))
        .map(|m| m.as_str().trim().to_owned())
        .unwrap_or_default();
    let outcome = if p.partial.is_match(text) {
        AttemptOutcome::PartiallyWorked
    } else if p.worked.is_match(text) && !p.failed.is_match(text) {
        AttemptOutcome::Worked
    } else if p.failed.is_match(text) {
        AttemptOutcome::Failed
    } else {
        AttemptOutcome::Unknown
    };
    (outcome, result)
}

/// The sentences of `text` with their ends (a line break ends one too).
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?' | '\n') {
            let s = text[start..i + c.len_utf8()].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = i + c.len_utf8();
        }
    }
    let s = text[start..].trim();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// Every attempt the customer reports in `text`, in order.
pub fn stated_attempts(text: &str) -> Vec<StatedAttempt> {
    let Some(p) = patterns() else {
        return Vec::new();
    };
    let sents = sentences(text);
    let mut out: Vec<StatedAttempt> = Vec::new();
    for (i, sentence) in sents.iter().enumerate() {
        let mut found: Vec<String> = Vec::new();
        for m in p.subject.find_iter(sentence) {
            // The verb is the last word of the match.
            let verb_at = sentence[..m.end()]
                .rfind(|c: char| c.is_whitespace())
                .map_or(m.start(), |i| i + 1);
            found.extend(actions_from(p, &sentence[verb_at..]));
        }
        if found.is_empty() {
            if let Some(c) = p.already.captures(sentence) {
                if let Some(verb) = c.get(1) {
                    let tail = &sentence[verb.start()..];
                    let mut actions = vec![clip_words(&tail[..phrase_end(tail)])];
                    // ", and we fetch with …" continues the list of things they already do.
                    for more in p.and_we.captures_iter(tail) {
                        if let Some(v) = more.get(1) {
                            let rest = &tail[v.start()..];
                            actions.push(clip_words(&rest[..phrase_end(rest)]));
                        }
                    }
                    found.extend(actions.into_iter().filter(|a| !is_goal(a)));
                }
            }
        }
        if found.is_empty() {
            if let Some(verb) = p.been_doing.captures(sentence).and_then(|c| c.get(1)) {
                let tail = &sentence[verb.start()..];
                found.push(clip_words(&tail[..phrase_end(tail)]));
            }
        }
        if found.is_empty() {
            if let Some(m) = p.opening.find(sentence) {
                let verb_at = sentence[..m.end()]
                    .rfind(|c: char| c.is_whitespace())
                    .map_or(0, |i| i + 1);
                found.extend(actions_from(p, &sentence[verb_at..]));
            }
        }
        for c in p.ing_failed.captures_iter(sentence) {
            if let Some(m) = c.get(1) {
                found.push(clip_words(m.as_str()));
            }
        }
        if found.is_empty() {
            continue;
        }
        // The outcome is in this sentence or the next short one ("Still 401.").
        let next = sents
            .get(i + 1)
            .filter(|n| n.split_whitespace().count() <= 12);
        let context = match next {
            Some(n) => format!("{sentence} {n}"),
            None => (*sentence).to_owned(),
        };
        let (outcome, result) = outcome_of(p, &context);
        for action in found {
            if action.is_empty() || out.iter().any(|a| a.action.eq_ignore_ascii_case(&action)) {
                continue;
            }
            out.push(StatedAttempt {
                action,
                sentence: (*sentence).to_owned(),
                outcome,
                result: result.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(text: &str) -> Vec<String> {
        stated_attempts(text)
            .into_iter()
            .map(|a| a.action)
            .collect()
    }

    #[test]
    fn finds_what_the_customer_did() {
        assert_eq!(
            actions("I already rotated the signing secret and redeployed our Node/Express app. Still 401."),
            ["rotated the signing secret", "redeployed our Node/Express app"]
        );
        let a = stated_attempts("I already rotated the signing secret and redeployed. Still 401.");
        assert_eq!(a[0].outcome, AttemptOutcome::Failed);
        assert_eq!(a[0].result, "Still 401.".trim_end_matches('.'));
        assert_eq!(
            actions("I cleared the cache and tried a private window, no luck"),
            ["cleared the cache", "tried a private window"]
        );
        assert_eq!(
            actions("I used a backup code too"),
            ["used a backup code too"]
        );
        assert_eq!(
            actions("Tried incognito. Cleared cookies as well."),
            ["Tried incognito", "Cleared cookies as well"]
        );
        assert_eq!(
            actions("clearing the cookies didn't help"),
            ["clearing the cookies"]
        );
        assert_eq!(
            actions("we've regenerated the token twice, same error"),
            ["regenerated the token twice"]
        );
    }

    #[test]
    fn informal_and_subjectless_reports() {
        assert_eq!(
            actions("Ok, deleted it and made a fresh one."),
            ["deleted it", "made a fresh one"]
        );
        assert_eq!(
            actions("ive been ringing your sales line since monday"),
            ["ringing your sales line since monday"]
        );
        assert_eq!(
            actions("I’ve texted our admin three times"),
            ["texted our admin three times"]
        );
        assert_eq!(
            actions("IT reinstalled the browser on my machine"),
            ["reinstalled the browser on my machine"]
        );
        assert_eq!(
            actions("already wiped the app data, swapped to the beta build"),
            ["wiped the app data", "swapped to the beta build"]
        );
        // A generic verb with only a pronoun still says nothing.
        assert!(actions("Tried it.").is_empty());
    }

    #[test]
    fn problem_descriptions_are_not_attempts() {
        for text in [
            "I was charged twice for my Pro plan",
            "I tried to log in and it says invalid code",
            "I got a new phone and lost my authenticator",
            "How do I clear the cache?",
            "Our webhook deliveries fail with HTTP 401",
            "I need a copy of my personal data",
            "It restarted itself twice during the export",
            "I've been charged for 20 seats",
            "We've been waiting for the invite email since yesterday",
        ] {
            assert!(actions(text).is_empty(), "{text}: {:?}", actions(text));
        }
    }

    #[test]
    fn outcomes() {
        let a = stated_attempts("I restarted the app, it's a bit better but still slow");
        assert_eq!(a[0].outcome, AttemptOutcome::PartiallyWorked);
        let a = stated_attempts("I reset my password and that fixed it");
        assert_eq!(a[0].outcome, AttemptOutcome::Worked);
        let a = stated_attempts("I've checked the endpoint URL.");
        assert_eq!(a[0].outcome, AttemptOutcome::Unknown);
    }
}
