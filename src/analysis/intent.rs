//! Intent classification against a configurable set of intents, each a list of keywords.
//!
//! Keywords are words or phrases, matched on word boundaries after both sides are tokenised the
//! same way and folded by `stem` (so "charged twice" also matches "Charges twice", "log in" matches
//! "logging in", "two-factor" matches "two factor"). Every distinct keyword found adds its weight to
//! its intent: 1 for a single word, plus 0.5 for each further word of a phrase, because a phrase
//! is more specific evidence than any one of its words. The intent with the highest total wins;
//! ties go to the intent whose longest matched keyword is longer, then to the one listed first.
//!
//! The reported score is `best / (sum of all intents' totals + 1)`, in [0, 1): it grows with the
//! evidence for the winner and shrinks when other intents matched too. Text matching nothing is
//! `general_question` (skill `general`) with score 0.

pub use super::intent_defaults::default_intents;

use super::error::AnalysisError;
use super::stem::stem;
use super::tokens::Tokens;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Name of the intent reported when no keyword matches.
pub const FALLBACK_INTENT: &str = "general_question";
/// Skill of the fallback intent.
pub const FALLBACK_SKILL: &str = "general";

/// Words that negate a keyword right after them, and how far back they reach.
const NEGATIONS: &[&str] = &["not", "no", "don't", "dont", "never", "isn't", "without"];
const NEGATION_REACH: usize = 3;

/// Extra weight of each word of a keyword beyond its first.
const PHRASE_BONUS: f64 = 0.5;

/// One configurable intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentDef {
    /// For example "billing".
    pub name: String,
    /// The agent skill that handles it, for example "billing".
    pub skill: String,
    /// Words or multi-word phrases, lowercase; matched on word boundaries with plural/suffix folding.
    pub keywords: Vec<String>,
    /// Whole example messages; with the embedding model, a message takes the intent of the examples
    /// it is closest to in meaning (the keywords decide when no example is close enough).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Needs a human whatever the assistant thinks (cancellation, legal, security); read by the
    /// escalation policy.
    #[serde(default)]
    pub always_human: bool,
}

/// The classification of one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntentMatch {
    pub name: String,
    pub skill: String,
    /// Strength of the evidence in [0, 1); 0 for the fallback.
    pub score: f64,
    pub always_human: bool,
    /// The skill of the strongest matched intent that names a topic (not `general`), when the
    /// winner does not: "a person please, about my invoice" wins as `human_request` (general)
    /// but is about billing.
    pub topic_skill: Option<String>,
}

impl IntentMatch {
    /// The fallback for text that matches no intent.
    pub fn general() -> Self {
        Self {
            name: FALLBACK_INTENT.to_owned(),
            skill: FALLBACK_SKILL.to_owned(),
            score: 0.0,
            topic_skill: None,
            always_human: false,
        }
    }
}

/// A keyword after tokenising and stemming: its first stem is the index key, `rest` follows.
#[derive(Debug)]
struct Keyword {
    intent: usize,
    rest: Vec<Box<str>>,
    weight: f64,
}

impl Keyword {
    fn words(&self) -> usize {
        self.rest.len() + 1
    }
}

/// Classifier built once from a validated intent list; `classify` takes `&self`.
#[derive(Debug)]
pub struct IntentClassifier {
    intents: Vec<IntentDef>,
    keywords: Vec<Keyword>,
    /// First stem of a keyword -> indices into `keywords`.
    index: HashMap<Box<str>, Vec<usize>>,
}

/// Checks one definition, returning its keywords as stem sequences without duplicates.
fn validate(
    index: usize,
    def: &IntentDef,
    seen: &mut HashSet<String>,
) -> Result<Vec<Vec<Box<str>>>, AnalysisError> {
    let name = def.name.trim();
    if name.is_empty() {
        return Err(AnalysisError::EmptyIntentName { index });
    }
    if !seen.insert(name.to_owned()) {
        return Err(AnalysisError::DuplicateIntent {
            name: name.to_owned(),
        });
    }
    if def.skill.trim().is_empty() {
        return Err(AnalysisError::EmptySkill {
            intent: name.to_owned(),
        });
    }
    if def.keywords.is_empty() {
        return Err(AnalysisError::NoKeywords {
            intent: name.to_owned(),
        });
    }
    let mut out: Vec<Vec<Box<str>>> = Vec::with_capacity(def.keywords.len());
    for keyword in &def.keywords {
        let stems: Vec<Box<str>> = Tokens::new(keyword)
            .words()
            .map(|w| stem(w).into())
            .collect();
        if stems.is_empty() {
            return Err(AnalysisError::BlankKeyword {
                intent: name.to_owned(),
                keyword: keyword.clone(),
            });
        }
        // "bill" and "billing" fold to the same key; counting both would double the evidence.
        if !out.contains(&stems) {
            out.push(stems);
        }
    }
    Ok(out)
}

impl IntentClassifier {
    /// Validates the definitions (non-empty unique names, non-empty skills, at least one keyword
    /// each, no blank keywords) and builds the keyword index. An empty list is allowed: every
    /// message is then `general_question`.
    pub fn new(defs: Vec<IntentDef>) -> Result<Self, AnalysisError> {
        let mut seen = HashSet::with_capacity(defs.len());
        let mut keywords = Vec::new();
        let mut index: HashMap<Box<str>, Vec<usize>> = HashMap::new();
        for (i, def) in defs.iter().enumerate() {
            for stems in validate(i, def, &mut seen)? {
                let mut words = stems.into_iter();
                let Some(first) = words.next() else { continue };
                let rest: Vec<Box<str>> = words.collect();
                let weight = 1.0 + PHRASE_BONUS * rest.len() as f64;
                index.entry(first).or_default().push(keywords.len());
                keywords.push(Keyword {
                    intent: i,
                    rest,
                    weight,
                });
            }
        }
        Ok(Self {
            intents: defs,
            keywords,
            index,
        })
    }

    /// The intents this classifier was built from, in order.
    pub fn intents(&self) -> &[IntentDef] {
        &self.intents
    }

    pub fn classify(&self, text: &str) -> IntentMatch {
        self.classify_tokens(&Tokens::new(text))
    }

    pub(super) fn classify_tokens(&self, t: &Tokens) -> IntentMatch {
        let words: Vec<&str> = t.words().collect();
        let stems: Vec<&str> = words.iter().map(|w| stem(w)).collect();
        let mut hits: Vec<usize> = Vec::new();
        for (i, first) in stems.iter().enumerate() {
            let Some(candidates) = self.index.get(*first) else {
                continue;
            };
            // "I'm not cancelling", "don't want to cancel": a negated keyword of an intent that
            // always goes to a person is not evidence (for the others, "I don't see my invoice"
            // is still about invoices).
            let negated = words[i.saturating_sub(NEGATION_REACH)..i]
                .iter()
                .any(|w| NEGATIONS.contains(w));
            for &k in candidates {
                let rest = &self.keywords[k].rest;
                let following = stems.get(i + 1..i + 1 + rest.len());
                let always_human = self.intents[self.keywords[k].intent].always_human;
                if following.is_some_and(|f| f.iter().zip(rest).all(|(a, b)| *a == &**b))
                    && !(negated && always_human)
                {
                    hits.push(k);
                }
            }
        }
        // Each keyword counts once however often it is repeated.
        hits.sort_unstable();
        hits.dedup();

        // Per intent: total weight and the length of its longest matched keyword.
        let mut totals = vec![(0.0f64, 0usize); self.intents.len()];
        for &k in &hits {
            let kw = &self.keywords[k];
            let entry = &mut totals[kw.intent];
            entry.0 += kw.weight;
            entry.1 = entry.1.max(kw.words());
        }
        // A message that also raises something only a person may handle (a cancellation, a legal
        // threat, a security incident) is that, whatever else it asks: sending it to the
        // assistant costs more than an unneeded handoff.
        let must_be_human = totals
            .iter()
            .enumerate()
            .any(|(i, t)| t.0 > 0.0 && self.intents[i].always_human);
        let mut best: Option<usize> = None;
        for (i, &(score, longest)) in totals.iter().enumerate() {
            if score <= 0.0 || (must_be_human && !self.intents[i].always_human) {
                continue;
            }
            // Strictly better only, so among equals the earlier intent stays.
            let better = best.is_none_or(|b| {
                let (bs, bl) = totals[b];
                score > bs || (score == bs && longest > bl)
            });
            if better {
                best = Some(i);
            }
        }
        let Some(b) = best else {
            return IntentMatch::general();
        };
        let sum: f64 = totals.iter().map(|t| t.0).sum();
        let def = &self.intents[b];
        let skill = def.skill.trim().to_owned();
        let topic_skill = if skill == FALLBACK_SKILL {
            totals
                .iter()
                .enumerate()
                .filter(|(i, t)| t.0 > 0.0 && self.intents[*i].skill.trim() != FALLBACK_SKILL)
                // Earlier intents win ties, as for the winner.
                .fold(None::<(usize, f64)>, |best, (i, t)| match best {
                    Some((_, bs)) if bs >= t.0 => best,
                    _ => Some((i, t.0)),
                })
                .map(|(i, _)| self.intents[i].skill.trim().to_owned())
        } else {
            None
        };
        IntentMatch {
            name: def.name.trim().to_owned(),
            skill,
            score: totals[b].0 / (sum + 1.0),
            always_human: def.always_human,
            topic_skill,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_for_a_person_keeps_its_topic() {
        let m = defaults().classify("I need to talk to a human about my invoice");
        assert_eq!(m.name, "human_request");
        assert_eq!(m.topic_skill.as_deref(), Some("billing"));
        let plain = defaults().classify("can I talk to a human please");
        assert_eq!(plain.topic_skill, None);
        let topical = defaults().classify("my invoice is wrong");
        assert_eq!(
            topical.topic_skill, None,
            "only set when the winner is general"
        );
    }

    fn defaults() -> IntentClassifier {
        match IntentClassifier::new(default_intents()) {
            Ok(c) => c,
            Err(e) => panic!("default intents are invalid: {e}"),
        }
    }

    fn def(name: &str, skill: &str, keywords: &[&str]) -> IntentDef {
        IntentDef {
            examples: Vec::new(),
            name: name.into(),
            skill: skill.into(),
            keywords: keywords.iter().map(|k| (*k).into()).collect(),
            always_human: false,
        }
    }

    /// Realistic phrasings for every default intent.
    const CASES: &[(&str, &str)] = &[
        (
            "The dashboard is just a blank page since this morning",
            "technical_support",
        ),
        (
            "I keep getting a 500 internal server error",
            "technical_support",
        ),
        (
            "The app crashes every time I open the reports",
            "technical_support",
        ),
        (
            "Everything is super slow and requests time out",
            "technical_support",
        ),
        (
            "I can't log in, the reset link never arrives",
            "login_access",
        ),
        (
            "My authenticator app was on my old phone, how do I get past 2FA?",
            "login_access",
        ),
        ("SSO with Okta stopped letting me sign in", "login_access"),
        ("I'm locked out of my account", "login_access"),
        (
            "I was charged twice for my subscription this month",
            "billing",
        ),
        (
            "Can I get a refund and a receipt for the last invoice?",
            "billing",
        ),
        ("My credit card was declined when upgrading", "billing"),
        (
            "Our webhooks stopped firing and the Slack integration shows nothing",
            "integrations",
        ),
        (
            "How do I verify the webhook signature on the payload?",
            "integrations",
        ),
        ("Zapier says the callback URL returns 404", "integrations"),
        ("How do I rotate my API key?", "api_keys"),
        (
            "Every request returns 401 Unauthorized with my new token",
            "api_keys",
        ),
        (
            "We're hitting the rate limit, getting 429 too many requests",
            "api_keys",
        ),
        ("How do I export all my contacts to CSV?", "data_export"),
        ("I need to download my data for a backup", "data_export"),
        ("I want to cancel my subscription", "cancellation"),
        (
            "Please close my account and stop charging me",
            "cancellation",
        ),
        (
            "We'd like to cancel our subscription at the end of the month",
            "cancellation",
        ),
        (
            "Our lawyer needs a signed DPA before we renew the contract",
            "legal",
        ),
        (
            "Erase everything you hold about me, this is a GDPR right to erasure request",
            "legal",
        ),
        // A copy of one's data is a self-serve export, GDPR or not; deleting it is legal's.
        ("Under GDPR I'd like a copy of all my data", "data_export"),
        (
            "We received a subpoena concerning one of your users",
            "legal",
        ),
        (
            "I think my account was hacked, there's a suspicious login from abroad",
            "security",
        ),
        ("Got a phishing email pretending to be from you", "security"),
        ("I found a vulnerability in your file upload", "security"),
        ("Can I talk to a real person please", "human_request"),
        ("I want to speak to a human agent", "human_request"),
        ("Get me a representative", "human_request"),
        ("Can you call me at 555-0100?", "call_request"),
        ("Could we do a quick screen share?", "call_request"),
        ("Can we talk on a video call tomorrow", "call_request"),
        ("Hi there", "greeting"),
        ("Hello!", "greeting"),
        ("Thanks, that fixed it!", "thanks"),
        ("Much appreciated, cheers", "thanks"),
        // Social words lose to a real intent.
        ("Hi, I need a refund", "billing"),
        (
            "Thanks, but my dashboard is still blank",
            "technical_support",
        ),
    ];

    #[test]
    fn classifies_realistic_messages() {
        let c = defaults();
        let wrong: Vec<String> = CASES
            .iter()
            .filter_map(|&(text, want)| {
                let got = c.classify(text);
                (got.name != want).then(|| format!("{text:?}: want {want}, got {got:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
    }

    #[test]
    fn every_default_intent_is_exercised() {
        for d in default_intents() {
            assert!(
                CASES.iter().any(|c| c.1 == d.name),
                "no test case for {}",
                d.name
            );
        }
    }

    #[test]
    fn carries_skill_and_always_human() {
        let c = defaults();
        let m = c.classify("cancel my account now");
        assert_eq!((m.skill.as_str(), m.always_human), ("billing", true));
        let m = c.classify("my api key was revoked");
        assert_eq!((m.skill.as_str(), m.always_human), ("integrations", false));
        assert!(c.classify("we need to talk to our lawyer").always_human);
        assert!(c.classify("my account was compromised").always_human);
        assert_eq!(c.classify("export to csv").skill, "technical");
        assert_eq!(c.classify("my password reset email").skill, "account");
    }

    #[test]
    fn unmatched_text_is_a_general_question() {
        let c = defaults();
        for text in [
            "",
            "   ",
            "What's the weather like in Lisbon?",
            "Do you ship to Canada?",
            // Keywords only match whole words: no "card", "hi", "call" or "key" in here.
            "I'll discard the whiteboard after the hiking recall, monkey",
            "日本語のテキスト",
        ] {
            assert_eq!(c.classify(text), IntentMatch::general(), "{text:?}");
        }
    }

    #[test]
    fn folds_plurals_and_verb_forms() {
        let c = defaults();
        assert_eq!(c.classify("Double-charged on two invoices").name, "billing");
        assert_eq!(
            c.classify("keeps logging me out while logging in").name,
            "login_access"
        );
        assert_eq!(
            c.classify("Two-Factor codes are rejected").name,
            "login_access"
        );
        assert_eq!(
            c.classify("Dashboards won't load").name,
            "technical_support"
        );
    }

    #[test]
    fn phrases_outweigh_words_and_scores_are_exact() {
        let c = defaults();
        // One single-word keyword, nothing else: 1 / (1 + 1).
        assert_eq!(c.classify("I need a refund").score, 0.5);
        // "charge" (1) + "charged twice" (1.5): 2.5 / 3.5.
        assert_eq!(c.classify("I was charged twice").score, 2.5 / 3.5);
        // Repeating a keyword adds nothing.
        assert_eq!(c.classify("refund refund REFUND").score, 0.5);
        // Competing intents lower the score: billing "refund" 1, greeting "hi" 1 -> 1 / 3.
        assert_eq!(c.classify("hi, refund").score, 1.0 / 3.0);
        // "api key" (1.5) beats integrations' "endpoint" (1).
        assert_eq!(
            c.classify("which api key does the endpoint need").name,
            "api_keys"
        );
    }

    #[test]
    fn ties_go_to_the_more_specific_then_the_earlier_intent() {
        let c = IntentClassifier::new(vec![
            def("words", "a", &["alpha", "beta"]),
            def("phrase", "b", &["alpha beta gamma"]),
        ]);
        let c = c.map_err(|e| e.to_string());
        // Both total 2.0; "phrase" matched a three-word keyword.
        assert_eq!(
            c.map(|c| c.classify("alpha beta gamma").name),
            Ok("phrase".to_owned())
        );

        let first = IntentClassifier::new(vec![
            def("one", "a", &["refund"]),
            def("two", "b", &["refund"]),
        ]);
        assert_eq!(
            first.map(|c| c.classify("refund").name),
            Ok("one".to_owned())
        );
        let swapped = IntentClassifier::new(vec![
            def("two", "b", &["refund"]),
            def("one", "a", &["refund"]),
        ]);
        assert_eq!(
            swapped.map(|c| c.classify("refund").name),
            Ok("two".to_owned())
        );
    }

    #[test]
    fn configured_keywords_are_normalised() {
        let c = IntentClassifier::new(vec![def(
            "shipping",
            "logistics",
            &["Tracking Number", "parcel"],
        )]);
        let m = c.map(|c| c.classify("where is my parcels' tracking number?"));
        let m = m.map(|m| (m.name, m.skill, m.score));
        assert_eq!(
            m,
            Ok(("shipping".to_owned(), "logistics".to_owned(), 2.5 / 3.5))
        );
    }

    #[test]
    fn validation_names_the_bad_intent() {
        let check = |defs: Vec<IntentDef>| IntentClassifier::new(defs).map(|_| ());
        assert_eq!(
            check(vec![def("ok", "a", &["x"]), def("  ", "a", &["x"])]),
            Err(AnalysisError::EmptyIntentName { index: 1 })
        );
        assert_eq!(
            check(vec![
                def("billing", "a", &["x"]),
                def("billing", "b", &["y"])
            ]),
            Err(AnalysisError::DuplicateIntent {
                name: "billing".into()
            })
        );
        assert_eq!(
            check(vec![def("billing", "", &["x"])]),
            Err(AnalysisError::EmptySkill {
                intent: "billing".into()
            })
        );
        assert_eq!(
            check(vec![def("billing", "billing", &[])]),
            Err(AnalysisError::NoKeywords {
                intent: "billing".into()
            })
        );
        let blank = check(vec![def("billing", "billing", &["invoice", " -- "])]);
        assert_eq!(
            blank,
            Err(AnalysisError::BlankKeyword {
                intent: "billing".into(),
                keyword: " -- ".into()
            })
        );
        let msg = blank.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("`billing`") && msg.contains("\" -- \""),
            "{msg}"
        );
        // No intents at all is allowed: everything is a general question.
        let empty = IntentClassifier::new(Vec::new()).map(|c| c.classify("refund please"));
        assert_eq!(empty, Ok(IntentMatch::general()));
    }
}
