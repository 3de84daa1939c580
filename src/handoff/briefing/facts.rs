//! Known facts: what the customer already told us (name, email, phone, account/order/invoice/request
//! ids, plan, amounts, dates), each with the message it came from, so the agent never asks again.

use super::Said;
use crate::domain::{Customer, KnownFact};
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

struct Patterns {
    name: Regex,
    email: Regex,
    phone: Regex,
    ids: Regex,
    plan: Regex,
    date: Regex,
    amount: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // The patterns are string literals checked by the unit tests; compiling them cannot fail at
        // run time, so `expect` here can only fire in a build whose tests already failed.
        let re = |p: &str| Regex::new(p).expect("literal regex is valid");
        Patterns {
            name: re(r"(?i:\bi'm|\bi am|\bmy name is|\bthis is|\bname's)\s+([A-Z][a-z]+)(?:\s+([A-Z][a-z]+))?"),
            email: re(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
            phone: re(r"(?:\+\d{1,3}[\s.-]?)?\(?\b\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,5}\b"),
            ids: re(concat!(
                r"(?P<invoice_id>\bINV[-_]?\d{3,}\b)",
                r"|(?P<order_id>\bORD[-_]?[A-Z0-9]{3,}\b)",
                r"|(?P<ticket_id>\b(?:TKT|CASE)[-_]?\d{3,}\b)",
                r"|(?P<request_id>\breq_[A-Za-z0-9]{4,}\b)",
                r"|(?P<subscription_id>\bsub_[A-Za-z0-9]{4,}\b)",
                r"|(?P<payment_id>\b(?:ch|pi|txn)_[A-Za-z0-9]{6,}\b)",
                r"|(?P<account_id>\b(?:acct|org|ws)_[A-Za-z0-9]{3,}\b|\bACCT?[-_]?\d{3,}\b)",
                // "account id is 48213", "account no. 48213", and plainly "on account 48213"
                // (a value without a digit, "account is locked", is not an id).
                r"|(?i:account\s+(?:(?:id|number|no\.?|#)\s*(?:is\s*)?:?\s*)?)(?P<account_num>[A-Za-z0-9][A-Za-z0-9_-]{3,})",
                r"|(?P<hash>#\d{4,}\b)",
            )),
            plan: re(concat!(
                r"(?i)\b(free|starter|basic|pro|premium|business|team|enterprise|growth)\s+",
                r"(?:plan|tier|subscription|subscriber|license)\b",
                r"|\bon\s+(?:the\s+|our\s+|a\s+)?(Free|Starter|Pro|Team|Business|Enterprise)\b",
            )),
            date: re(concat!(
                r"(?i)\b(?:january|february|march|april|may|june|july|august|september|october|november|",
                r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?\s+\d{1,2}(?:st|nd|rd|th)?",
                r"(?:,?\s+\d{4})?\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b",
            )),
            amount: re(r"[$€£]\s?\d{1,3}(?:,\d{3})*(?:\.\d{2})?\b|\b\d+(?:\.\d{2})?\s?(?:USD|EUR|GBP)\b"),
        }
    })
}

/// Capitalised words that follow "I'm" without being a name.
const NOT_NAMES: &[&str] = &[
    "Not",
    "So",
    "Very",
    "Really",
    "Still",
    "Just",
    "Trying",
    "Getting",
    "Going",
    "Sorry",
    "Done",
    "Here",
    "Back",
    "Frustrated",
    "Annoyed",
    "Angry",
    "Locked",
    "Sure",
    "The",
    "On",
    "In",
    "At",
    "From",
    "With",
    "And",
    "But",
    "It",
    "This",
    "That",
    "Also",
    "About",
    "Having",
    "Using",
    "Calling",
    "Writing",
    "Contacting",
    "Tired",
    "Fed",
    "Happy",
    "Afraid",
    "Confused",
    "Worried",
    "Concerned",
    "Pretty",
    "Quite",
    "Extremely",
    "Seriously",
    "Now",
    "Stuck",
    "Unable",
    "Literally",
    "Currently",
    "Already",
    "Always",
    "Never",
    "Honestly",
    "Ridiculous",
    "Unacceptable",
    "Insane",
    "Absolutely",
    "Completely",
    "Totally",
    "Done",
    "Paying",
    "Looking",
    "Waiting",
    "Losing",
];

const PLANS: &[&str] = &[
    "free",
    "starter",
    "basic",
    "pro",
    "premium",
    "business",
    "team",
    "enterprise",
    "growth",
];

/// Extraction state: facts in order of discovery, deduplicated by kind and value.
struct Facts {
    list: Vec<KnownFact>,
    seen: HashSet<(String, String)>,
}

impl Facts {
    fn push(&mut self, kind: &str, value: &str, s: Option<&Said<'_>>) {
        let value = value.trim();
        if value.is_empty() || !self.seen.insert((kind.to_owned(), value.to_lowercase())) {
            return;
        }
        self.list.push(KnownFact {
            kind: kind.to_owned(),
            value: value.to_owned(),
            message_id: s.map(|s| s.msg.id.clone()),
        });
    }

    fn has(&self, kind: &str) -> bool {
        self.list.iter().any(|f| f.kind == kind)
    }
}

/// The plan named in an account status such as `pro-subscriber`.
pub fn plan_in_status(status: &str) -> Option<String> {
    let lower = status.to_lowercase();
    lower
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| PLANS.contains(w))
        .map(super::text::capitalize)
}

/// The kind of a `#12345` reference, from the nearest keyword in the words just before it.
fn hash_kind(lower: &str, start: usize) -> &'static str {
    let from = (0..=start.saturating_sub(32))
        .rev()
        .find(|&i| lower.is_char_boundary(i))
        .unwrap_or(0);
    let before = lower.get(from..start).unwrap_or("");
    [
        ("invoice", "invoice_id"),
        ("ticket", "ticket_id"),
        ("case", "ticket_id"),
        ("request", "request_id"),
        ("account", "account_id"),
        ("order", "order_id"),
    ]
    .iter()
    .filter_map(|(word, kind)| before.rfind(word).map(|at| (at, *kind)))
    .max_by_key(|(at, _)| *at)
    .map_or("order_id", |(_, kind)| kind)
}

/// Known facts from the customer record and the customer's messages, followed by `extra` (facts the
/// technical extraction established). The customer record comes first and has no message id.
pub fn extract(customer: &Customer, said: &[Said<'_>], extra: Vec<KnownFact>) -> Vec<KnownFact> {
    let p = patterns();
    let mut f = Facts {
        list: Vec::new(),
        seen: HashSet::new(),
    };
    if let Some(name) = customer.name.as_deref() {
        f.push("name", name, None);
    }
    if let Some(email) = customer.email.as_deref() {
        f.push("email", email, None);
    }
    if let Some(plan) = customer
        .context
        .account_status
        .as_deref()
        .and_then(plan_in_status)
    {
        f.push("plan", &plan, None);
    }

    for s in said {
        let text = s.msg.content.as_str();
        if !f.has("name") {
            for c in p.name.captures_iter(text) {
                let Some(first) = c.get(1).map(|m| m.as_str()) else {
                    continue;
                };
                if NOT_NAMES.contains(&first) {
                    continue;
                }
                let name = match c.get(2).map(|m| m.as_str()) {
                    Some(last) if !NOT_NAMES.contains(&last) => format!("{first} {last}"),
                    _ => first.to_owned(),
                };
                f.push("name", &name, Some(s));
                break;
            }
        }
        if text.contains('@') {
            for m in p.email.find_iter(text) {
                f.push("email", m.as_str(), Some(s));
            }
        }
        let has_digit = text.bytes().any(|b| b.is_ascii_digit());
        if has_digit {
            for m in p.phone.find_iter(text) {
                if m.as_str().bytes().filter(u8::is_ascii_digit).count() >= 9 {
                    f.push("phone", m.as_str(), Some(s));
                }
            }
        }
        for c in p.ids.captures_iter(text) {
            let found = [
                "invoice_id",
                "order_id",
                "ticket_id",
                "request_id",
                "subscription_id",
                "payment_id",
                "account_id",
            ]
            .iter()
            .find_map(|k| c.name(k).map(|m| (*k, m.as_str())));
            if let Some((kind, value)) = found {
                f.push(kind, value, Some(s));
            } else if let Some(m) = c.name("account_num") {
                if m.as_str().bytes().any(|b| b.is_ascii_digit()) {
                    f.push("account_id", m.as_str(), Some(s));
                }
            } else if let Some(m) = c.name("hash") {
                f.push(hash_kind(&s.lower, m.start()), m.as_str(), Some(s));
            }
        }
        if !f.has("plan") {
            if let Some(c) = p.plan.captures_iter(text).next() {
                if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                    f.push(
                        "plan",
                        &super::text::capitalize(&m.as_str().to_lowercase()),
                        Some(s),
                    );
                }
            }
        }
        if has_digit {
            for m in p.amount.find_iter(text) {
                f.push("amount", m.as_str(), Some(s));
            }
            for m in p.date.find_iter(text) {
                f.push("date", m.as_str(), Some(s));
            }
        }
    }
    for x in extra {
        if f.seen.insert((x.kind.clone(), x.value.to_lowercase())) {
            f.list.push(x);
        }
    }
    f.list
}

/// True for the kinds that identify a record (listed in `TechnicalDetail::ids`).
pub fn is_id_kind(kind: &str) -> bool {
    kind.ends_with("_id")
}

#[cfg(test)]
mod tests {
    use super::super::tests::said_from;
    use super::*;

    fn facts_of(texts: &[&str]) -> Vec<(String, String)> {
        let msgs = said_from(texts);
        let said: Vec<_> = msgs.iter().map(Said::new).collect();
        extract(&Customer::default(), &said, Vec::new())
            .into_iter()
            .map(|f| (f.kind, f.value))
            .collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn patterns_compile() {
        let _ = patterns();
    }

    #[test]
    fn finds_ids_contacts_plans_dates() {
        let got = facts_of(&[
            "Hi, I'm So annoyed. My name is Priya Raman, priya@acme.io, call +1 415 555 0134.",
            "Invoice INV-2041 and order #48213, account id is acct_9f2k, ticket #7781 on the Pro plan.",
            "Charged $49.00 on March 3rd and 2026-03-04, request req_8HqK2, order ORD-77A1.",
        ]);
        assert_eq!(
            got,
            pairs(&[
                ("name", "Priya Raman"),
                ("email", "priya@acme.io"),
                ("phone", "+1 415 555 0134"),
                ("invoice_id", "INV-2041"),
                ("order_id", "#48213"),
                ("account_id", "acct_9f2k"),
                ("ticket_id", "#7781"),
                ("plan", "Pro"),
                ("request_id", "req_8HqK2"),
                ("order_id", "ORD-77A1"),
                ("amount", "$49.00"),
                ("date", "March 3rd"),
                ("date", "2026-03-04"),
            ])
        );
    }

    #[test]
    fn account_ids_said_plainly() {
        assert_eq!(
            facts_of(&["It's on account ACC-77812, and the page says the account is locked."]),
            pairs(&[("account_id", "ACC-77812")])
        );
        assert_eq!(
            facts_of(&["Our account 48213 was billed; the account is locked since Monday."]),
            pairs(&[("account_id", "48213")])
        );
    }

    #[test]
    fn no_false_names_or_numbers() {
        assert_eq!(
            facts_of(&["I'm Really upset, this is Ridiculous. We have 500 users."]),
            vec![]
        );
        assert_eq!(facts_of(&["The market 5 times"]), vec![]);
    }

    #[test]
    fn plan_from_account_status() {
        assert_eq!(plan_in_status("pro-subscriber").as_deref(), Some("Pro"));
        assert_eq!(plan_in_status("active"), None);
    }
}
