//! Is an agent asking the customer for a fact, and for which kind?
//!
//! Works on one message, chat or a transcribed voice line (lowercase, little punctuation, fillers
//! such as "um"): it is normalised (`text::normalize`), split into sentences, and each sentence
//! into clauses at commas and dashes. A sentence asks when it ends in `?`, when one of its clauses
//! opens like a question or a request ("what's", "could you", "can I get", "I'll need", "read
//! me") or when it says "please". Within such a sentence, clauses that state something ("I see
//! your order number…", "I've updated…") and courtesy ("anything else I can help with?") are
//! ignored; the rest are searched for the fact kinds of `KnownFact::kind` with an ask-side
//! vocabulary ("e-mail address", "order number", "which plan are you on", "how much were you
//! charged", "when did it happen"). A kind does not count when the words just before it act on
//! the thing rather than ask for it ("update your email", "click the link") or ask for a new
//! instance ("another order number", "a different email"), or when the sentence itself states a
//! value of that kind ("is your email still jane@old.example?").
//!
//! Whether the fact was already known is `repeat_asks`' business, not this file's.

use super::text;
use regex::Regex;
use std::sync::OnceLock;

/// One fact kind an agent asked for, and the sentence that asked, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask<'a> {
    pub kind: &'static str,
    pub sentence: &'a str,
}

/// How an agent asks for one kind of fact.
struct KindRule {
    kind: &'static str,
    noun: Regex,
    /// Substrings of the clause that mean the noun is talked about, not asked for.
    not_asking: &'static [&'static str],
    /// What may not directly follow the noun ("what phone number" is no device question).
    not_followed_by: &'static [&'static str],
}

struct Patterns {
    rules: Vec<KindRule>,
    opener: Regex,
    statement: Regex,
    done: Regex,
    spoken_id: Regex,
    email_value: Regex,
    id_value: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // The patterns are string literals checked by the unit tests; compiling them cannot fail at
        // run time, so `expect` here can only fire in a build whose tests already failed.
        let re = |p: &str| Regex::new(p).expect("literal regex is valid");
        let rule = |kind, noun: &str, not_asking, not_followed_by| KindRule {
            kind,
            noun: re(noun),
            not_asking,
            not_followed_by,
        };
        let id = |noun: &str| {
            format!(r"\b{noun} (?:id|number|reference|ref|code)\b|\b{noun} #|\b(?:which|what) {noun}\b")
        };
        Patterns {
            rules: vec![
                rule(
                    "name",
                    concat!(
                        r"\b(?:your|full|first|last|given|family) name\b|\bsurname\b",
                        r"|\bname on (?:the|your) (?:account|card|order)\b",
                        r"|\bwho (?:am i|i'm|i am) (?:speaking|talking|chatting) (?:with|to)\b",
                        r"|\bwhat (?:should|can|may) i call you\b",
                    ),
                    &["your name is", "user name", "username"],
                    &[],
                ),
                rule(
                    "email",
                    r"\be[- ]?mail(?: address)?\b|\bmail address\b",
                    &[
                        "inbox", "spam", "junk", "receive", "did you get", "didn't get",
                        "getting", "got an", "get an", "got the", "got my", "got our", "an email",
                        "an e-mail", "a email", "the email i ", "the email we ", "that email",
                        "this email", "reset email", "confirmation email", "verification email",
                        "welcome email", "email i sent", "email we sent", "email from", "by email",
                        "via email", "over email", "in the email", "email notification",
                        "email settings", "email preferences", "emails", "check your email",
                        "check your e-mail",
                    ],
                    &[],
                ),
                rule(
                    "phone",
                    concat!(
                        r"\b(?:phone|mobile|cell|telephone|contact|callback|call-back|call back|home|work)",
                        r" number\b|\bphone #|\bbest number\b|\bnumber (?:to|where|i can|we can) ",
                        r"(?:reach|call|contact|get)\b|\bwhat number (?:can|should|do) (?:i|we)\b",
                    ),
                    &[],
                    &[],
                ),
                rule(
                    "account_id",
                    concat!(
                        r"\baccount (?:id|number|reference|ref|code)\b|\baccount #",
                        r"|\bcustomer (?:id|number)\b|\b(?:workspace|tenant|org|organization|organisation) id\b",
                    ),
                    &[],
                    &[],
                ),
                rule("order_id", &format!("{}|\\bconfirmation number\\b", id("order")), &[], &[]),
                rule("invoice_id", &id("invoice"), &[], &[]),
                rule(
                    "request_id",
                    r"\brequest (?:id|number)\b|\b(?:trace|correlation) id\b|\bx-request-id\b",
                    &[],
                    &[],
                ),
                rule("ticket_id", &id("(?:ticket|case)"), &[], &[]),
                rule(
                    "subscription_id",
                    r"\bsubscription (?:id|number|reference)\b",
                    &[],
                    &[],
                ),
                rule(
                    "payment_id",
                    r"\b(?:payment|transaction|charge) (?:id|number|reference|ref)\b|\btransaction #",
                    &[],
                    &[],
                ),
                rule(
                    "plan",
                    concat!(
                        r"\b(?:which|what|your|your current) (?:plan|tier|package|edition|pricing plan)\b",
                        r"|\b(?:which|what) subscription\b|\bplan (?:are you|you're|you are) on\b",
                        r"|\bare you on (?:a|the|our) (?:\w+ )?(?:plan|tier)\b",
                    ),
                    &["included in", "includes", "comes with"],
                    &[" id", " number"],
                ),
                rule(
                    "device",
                    concat!(
                        r"\b(?:which|what)(?: kind of| type of| sort of)? (?:device|phone|computer|laptop|",
                        r"tablet|operating system|os)\b|\b(?:device|phone|computer|laptop) (?:are you|you're|you are) ",
                        r"(?:on|using)\b|\b(?:iphone or android|android or iphone|ios or android|android or ios",
                        r"|mac or (?:a )?(?:pc|windows)|(?:pc|windows) or (?:a )?mac|mobile or desktop",
                        r"|desktop or mobile|phone or (?:a )?computer|computer or (?:a )?phone)\b",
                    ),
                    &[],
                    &[" number", " #"],
                ),
                rule(
                    "browser",
                    concat!(
                        r"\b(?:which|what)(?: kind of| type of)? (?:web )?browser\b",
                        r"|\bbrowser (?:are you|you're|you are|and version|version|do you)\b",
                        r"|\bversion of (?:chrome|firefox|safari|edge|the browser|your browser)\b",
                        r"|\b(?:chrome|firefox|safari|edge) or (?:chrome|firefox|safari|edge)\b",
                        r"|\b(?:using|in|on) (?:chrome|firefox|safari)\b",
                    ),
                    &[],
                    &[],
                ),
                rule(
                    "url",
                    concat!(
                        r"\b(?:the|that|this|your|a|which|what|exact) (?:url|link|web address|page address)\b",
                        r"|\b(?:what|which) (?:page|site|website|address) (?:are|were|is|was|did|do)\b|\burl\b",
                    ),
                    &[
                        "reset link", "magic link", "the link i ", "the link we ", "link i sent",
                        "link we sent", "in the email", "for the link", "check your email",
                        "check your inbox", "sent you",
                    ],
                    &[],
                ),
                rule(
                    "amount",
                    concat!(
                        r"\bhow much (?:\w+ ){0,3}(?:charged|billed|pay|paid|cost|refund|refunded|charge|was it|were you)\b",
                        r"|\b(?:the|what|which|exact) (?:amount|sum)\b|\bamount (?:you were|of the charge|charged)\b",
                    ),
                    &[],
                    &[],
                ),
                rule(
                    "date",
                    concat!(
                        r"\bwhen did (?:this|it|that|the \w+|you|they) (?:\w+ ){0,2}(?:happen|start|occur|begin|",
                        r"notice|see|charged|charge|place|order|buy|pay|make|receive|get|first|last)",
                        r"|\bwhat (?:date|day)\b|\bwhich (?:date|day)\b|\bthe date\b|\bsince when\b",
                        r"|\bwhen exactly\b|\bwhen was (?:this|that|it|the)\b",
                    ),
                    &[],
                    &[],
                ),
            ],
            opener: re(concat!(
                r"^(?:what|what's|whats|which|when|where|who|whose|how|could|can|would|will|may|might",
                r"|do|does|did|have|has|are|is|was|were|please|kindly|tell me|give me|send me|read me",
                r"|read out|spell|share|confirm|provide|let me (?:get|have|grab|take|know|confirm)",
                r"|mind (?:telling|sharing|giving)|any chance",
                r"|(?:i|we)(?:'ll|'d| will| would|'m going to| am going to|'re going to| are going to)?",
                r"(?: just| also| still| first)? need|(?:i|we)(?:'d| would) (?:like|love))\b",
            )),
            statement: re(concat!(
                r"^(?:i see|i can see|i have|i've|i got|we have|we've|i found|i'm looking|i am looking",
                r"|looking at|i'm seeing|i am seeing|thanks for|thank you for|i updated|i changed|i'll",
                r"|i will|i just|i sent|we sent|your \S+(?: \S+)? (?:is|was)|it's|it is|that's|this is",
                r"|there's|here's|i noticed|i checked|i can confirm|it looks like|looks like)\b",
            )),
            done: re(r"\b(?:has|have) been\b|\bis now\b|\bwas (?:updated|changed|reset|sent)\b"),
            spoken_id: re(concat!(
                r"\b(account|order|request|customer|ticket|case|subscription|payment|transaction|",
                r"workspace|org|organization|invoice|tenant) i\.? ?d\b\.?",
            )),
            email_value: re(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}"),
            id_value: re(concat!(
                r"\b(?:inv|ord|tkt|case)[-_]?[a-z0-9]*\d[a-z0-9]*\b|\b(?:req|sub|ch|pi|txn|acct|org|ws)_[a-z0-9]{3,}\b",
                r"|#\d{4,}\b",
            )),
        }
    })
}

/// Words that open a sentence without changing what it asks ("so", "and", "okay, great").
const DISCOURSE: &[&str] = &[
    "and", "so", "ok", "okay", "alright", "right", "great", "perfect", "thanks", "now", "also",
    "then", "first", "firstly", "just", "oh", "well", "sure", "lastly", "finally", "next",
    "lovely", "cool", "hi", "hello", "hey", "sorry", "actually", "got", "gotcha",
];

/// Courtesy and rhetorical questions: never a request for a fact, whatever nouns they hold.
const COURTESY: &[&str] = &[
    "anything else",
    "something else",
    "help you with",
    "help with",
    "assist you with",
    "how are you",
    "how's your day",
    "how is your day",
    "how's it going",
    "make sense",
    "does that help",
    "did that help",
    "did that work",
    "is that ok",
    "is that okay",
    "sound good",
    "sounds good",
    "can you hear me",
    "can you see my screen",
    "are you still there",
    "still with me",
    "bear with me",
    "how can i help",
    "how may i help",
    "what can i do for you",
    "have a great",
    "have a good",
];

/// Verbs that act on the thing named right after them: "update your email", "click the link".
const ACTING: &[&str] = &[
    "update",
    "updated",
    "updating",
    "change",
    "changed",
    "changing",
    "upgrade",
    "downgrade",
    "cancel",
    "cancelled",
    "canceled",
    "switch",
    "reset",
    "renew",
    "remove",
    "delete",
    "add",
    "added",
    "open",
    "opened",
    "click",
    "clicked",
    "follow",
    "visit",
    "clear",
    "clearing",
    "resend",
    "resent",
    "unlock",
    "refund",
    "edit",
    "restart",
    "reinstall",
];

/// Words asking for one more instance rather than the one already given.
const ANOTHER: &[&str] = &[
    "another",
    "other",
    "different",
    "second",
    "new",
    "additional",
    "alternative",
    "alternate",
    "backup",
    "secondary",
    "else",
];

/// Every fact kind `message` asks for, once each, in order of first mention, with the sentence
/// that asked. Empty for statements, confirmations that state a value and courtesy questions.
pub fn asks(message: &str) -> Vec<Ask<'_>> {
    let p = patterns();
    let mut out: Vec<Ask<'_>> = Vec::new();
    for (sentence, question) in text::sentences(message) {
        let norm = text::normalize(sentence);
        let norm = p.spoken_id.replace_all(&norm, "$1 id");
        let clauses: Vec<&str> = norm
            .split([',', ';'])
            .flat_map(|c| c.split(" - "))
            .flat_map(|c| c.split(" — "))
            .map(|c| strip_discourse(c.trim().trim_end_matches(['?', '.', '!']).trim()))
            .filter(|c| !c.is_empty())
            .collect();
        let asking = question
            || norm.ends_with('?')
            || clauses.iter().any(|c| p.opener.is_match(c))
            || norm
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == "please");
        if !asking {
            continue;
        }
        for clause in clauses {
            if (!p.opener.is_match(clause) && p.statement.is_match(clause))
                || p.done.is_match(clause)
                || COURTESY.iter().any(|c| clause.contains(c))
            {
                continue;
            }
            for rule in &p.rules {
                if out.iter().any(|a| a.kind == rule.kind) || !asks_for(rule, clause) {
                    continue;
                }
                if !states_value(p, rule.kind, &norm) {
                    out.push(Ask {
                        kind: rule.kind,
                        sentence,
                    });
                }
            }
        }
    }
    out
}

/// The fact kinds `message` asks for (see `asks`), in order of first mention.
pub fn asked_kinds(message: &str) -> Vec<&'static str> {
    asks(message).into_iter().map(|a| a.kind).collect()
}

fn strip_discourse(mut clause: &str) -> &str {
    loop {
        let (first, rest) = clause.split_once(' ').unwrap_or((clause, ""));
        let bare = first.trim_end_matches(['!', '.']);
        if rest.is_empty()
            || !(DISCOURSE.contains(&bare) || (bare == "thank" && rest.starts_with("you ")))
        {
            return clause;
        }
        clause = if bare == "thank" { &rest[4..] } else { rest }.trim_start();
    }
}

/// Whether `clause` asks for `rule`'s kind at one of the places its noun appears.
fn asks_for(rule: &KindRule, clause: &str) -> bool {
    if rule.not_asking.iter().any(|x| clause.contains(x)) {
        return false;
    }
    rule.noun.find_iter(clause).any(|m| {
        let after = &clause[m.end()..];
        if rule.not_followed_by.iter().any(|x| after.starts_with(x)) {
            return false;
        }
        // The few words right before the noun say whether it is acted on or a new one is wanted.
        let before: Vec<&str> = clause[..m.start()]
            .split_whitespace()
            .rev()
            .take(3)
            .collect();
        !before
            .iter()
            .any(|w| ACTING.contains(w) || ANOTHER.contains(w))
            // "log in with your email": how to sign in, not which address.
            && !before.windows(2).any(|w| w == ["with", "in"])
    })
}

/// Whether the sentence states a value of `kind` itself: then it confirms, it does not ask.
fn states_value(p: &Patterns, kind: &str, norm: &str) -> bool {
    match kind {
        "email" => p.email_value.is_match(norm),
        k if k.ends_with("_id") => p.id_value.is_match(norm),
        "phone" => norm.bytes().filter(u8::is_ascii_digit).count() >= 7,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        let _ = patterns();
    }

    #[test]
    fn discourse_markers_are_stripped() {
        assert_eq!(
            strip_discourse("okay great so what's your email"),
            "what's your email"
        );
        assert_eq!(strip_discourse("thank you so what is it"), "what is it");
        assert_eq!(strip_discourse("and"), "and");
    }
}
