//! Technical details from what the customer wrote: URLs, HTTP status and error codes, quoted error
//! messages, browser and device. Ids are found with the known facts (`facts`) and copied in by the
//! builder. Logs the customer attached add their error lines (as `name:line: text`) and codes,
//! read from the file when it was uploaded (`analysis::logs`).

use super::Said;
use crate::domain::{KnownFact, TechnicalDetail};
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

struct Patterns {
    url: Regex,
    http_code: Regex,
    error_code: Regex,
    quoted: Regex,
    browser: Regex,
    device: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // The patterns are string literals checked by the unit tests; compiling them cannot fail at
        // run time, so `expect` here can only fire in a build whose tests already failed.
        let re = |p: &str| Regex::new(p).expect("literal regex is valid");
        Patterns {
            url: re(r#"https?://[^\s<>"'`)\]]+"#),
            http_code: re(concat!(
                r"(?i)\b(?:http|status|error|code|returns?|returned|returning|getting|got|get|gets|",
                r"gives?|giving|throws?|an?)\s+(?:code\s+|status\s+|error\s+)?([45]\d{2})\b",
                r"|\b([45]\d{2})\s+(?:errors?|unauthori[sz]ed|forbidden|internal|not found|bad request|",
                r"bad gateway|gateway|time-?out|too many|service unavailable|responses?|status)"
            )),
            error_code: re(r"\b(?:ERR|ERROR)_[A-Z0-9_]{2,}\b|\bE\d{3,5}\b|\b0x[0-9A-Fa-f]{6,8}\b"),
            quoted: re(r#""([^"\n]{3,200})"|“([^”\n]{3,200})”"#),
            browser: re(
                r"\b((?i:chrome|firefox|safari)|Edge)\b(?:\s+(?:version\s+|v)?(\d+(?:\.\d+)*))?",
            ),
            device: re(concat!(
                r"\b((?i:iphone)(?:\s+\d{1,2}(?:\s+(?:Pro\s+Max|Pro|Plus|[Mm]ini))?)?",
                r"|(?i:ipad)(?:\s+(?:Pro|Air|mini))?|Pixel\s+\d+a?|Galaxy\s+[A-Z]\d+",
                r"|MacBook(?:\s+(?:Pro|Air))?|Chromebook)\b",
                r"|\b((?i:android)(?:\s+\d+)?|(?i:ios)\s+\d+(?:\.\d+)*|Windows(?:\s+1[01])?",
                r"|(?i:macos)(?:\s+(?:\d+(?:\.\d+)*|[A-Z][a-z]+))?|Linux|Ubuntu)\b"
            )),
        }
    })
}

/// Words that make a quoted string an error message rather than, say, a button label.
const ERROR_CUES: &[&str] = &[
    "error",
    "fail",
    "invalid",
    "denied",
    "unauthori",
    "forbidden",
    "timeout",
    "timed out",
    "not found",
    "went wrong",
    "unable",
    "can't",
    "cannot",
    "mismatch",
    "expired",
    "too many",
    "oops",
    "incorrect",
    "unexpected",
    "refused",
    "exceeded",
    "not allowed",
    "locked",
    "blocked",
    "permission",
    "access denied",
    "not have access",
    "not authori",
];

/// Canonical spelling of a device or OS word.
fn canonical_device(raw: &str) -> String {
    let (first, rest) = raw.split_once(char::is_whitespace).unwrap_or((raw, ""));
    let first = match first.to_lowercase().as_str() {
        "iphone" => "iPhone".to_owned(),
        "ipad" => "iPad".to_owned(),
        "android" => "Android".to_owned(),
        "ios" => "iOS".to_owned(),
        "macos" => "macOS".to_owned(),
        _ => first.to_owned(),
    };
    let rest = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    if rest.is_empty() {
        first
    } else {
        format!("{first} {rest}")
    }
}

fn push_unique(list: &mut Vec<String>, seen: &mut HashSet<String>, value: &str) -> bool {
    let value = value.trim();
    if value.is_empty() || !seen.insert(value.to_lowercase()) {
        return false;
    }
    list.push(value.to_owned());
    true
}

/// Error lines one attached log contributes at most: the briefing is read in seconds.
const LOG_LINES_PER_FILE: usize = 8;

/// Technical details (without ids) and the facts they establish (`url`, `browser`, `device`).
pub fn extract(said: &[Said<'_>]) -> (TechnicalDetail, Vec<KnownFact>) {
    let p = patterns();
    let mut t = TechnicalDetail::default();
    let mut facts = Vec::new();
    let mut seen = HashSet::new();
    // (name, version, message) of the most specific browser mention.
    let mut browser: Option<(String, Option<String>, usize)> = None;
    let mut hardware: Option<(String, usize)> = None;
    let mut os: Option<(String, usize)> = None;

    for (i, s) in said.iter().enumerate() {
        if let Some(a) = &s.msg.attachment {
            if let Some(f) = &a.findings {
                for l in f.lines.iter().take(LOG_LINES_PER_FILE) {
                    let line = format!("{}:{}: {}", a.name, l.line, l.text);
                    push_unique(&mut t.error_messages, &mut seen, &line);
                }
                for code in &f.codes {
                    push_unique(&mut t.codes, &mut seen, code);
                }
            }
        }
        let text = s.msg.content.as_str();
        if s.lower.contains("http") {
            for m in p.url.find_iter(text) {
                let url = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
                if push_unique(&mut t.urls, &mut seen, url) {
                    facts.push(fact("url", url, s));
                }
            }
        }
        if s.lower.bytes().any(|b| b.is_ascii_digit()) {
            for c in p.http_code.captures_iter(text) {
                if let Some(code) = c.get(1).or_else(|| c.get(2)) {
                    push_unique(&mut t.codes, &mut seen, code.as_str());
                }
            }
            for m in p.error_code.find_iter(text) {
                push_unique(&mut t.codes, &mut seen, m.as_str());
            }
        } else if s.lower.contains("err") {
            for m in p.error_code.find_iter(text) {
                push_unique(&mut t.codes, &mut seen, m.as_str());
            }
        }
        if text.contains('"') || text.contains('“') {
            for c in p.quoted.captures_iter(text) {
                if let Some(q) = c.get(1).or_else(|| c.get(2)) {
                    let lower = q.as_str().to_lowercase();
                    let is_error = ERROR_CUES.iter().any(|cue| lower.contains(cue))
                        || p.error_code.is_match(q.as_str());
                    if is_error {
                        push_unique(&mut t.error_messages, &mut seen, q.as_str());
                    }
                }
            }
        }
        for c in p.browser.captures_iter(text) {
            let Some(name) = c.get(1) else { continue };
            let name = super::text::capitalize(&name.as_str().to_lowercase());
            let version = c.get(2).map(|v| v.as_str().to_owned());
            let better = match &browser {
                None => true,
                Some((n, v, _)) => v.is_none() && version.is_some() && *n == name,
            };
            if better {
                browser = Some((name, version, i));
            }
        }
        for c in p.device.captures_iter(text) {
            if let Some(h) = c.get(1) {
                let h = canonical_device(h.as_str());
                // Prefer the more specific mention ("iPhone 15 Pro" over "iPhone").
                let better = match &hardware {
                    None => true,
                    Some((prev, _)) => h.len() > prev.len() && h.starts_with(prev.as_str()),
                };
                if better {
                    hardware = Some((h, i));
                }
            } else if let Some(o) = c.get(2) {
                let o = canonical_device(o.as_str());
                // Prefer the mention with a version ("iOS 17.4" over "iOS").
                let better = match &os {
                    None => true,
                    Some((prev, _)) => {
                        !prev.contains(' ') && o.contains(' ') && o.starts_with(prev.as_str())
                    }
                };
                if better {
                    os = Some((o, i));
                }
            }
        }
    }

    if let Some((name, version, i)) = browser {
        let value = match version {
            Some(v) => format!("{name} {v}"),
            None => name,
        };
        facts.push(fact("browser", &value, &said[i]));
        t.browser = Some(value);
    }
    let device = match (hardware, os) {
        (Some((h, i)), Some((o, _))) => Some((format!("{h} ({o})"), i)),
        (Some(d), None) | (None, Some(d)) => Some(d),
        (None, None) => None,
    };
    if let Some((value, i)) = device {
        facts.push(fact("device", &value, &said[i]));
        t.device = Some(value);
    }
    (t, facts)
}

fn fact(kind: &str, value: &str, s: &Said<'_>) -> KnownFact {
    KnownFact {
        kind: kind.to_owned(),
        value: value.to_owned(),
        message_id: Some(s.msg.id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::said_from;
    use super::*;

    #[test]
    fn patterns_compile() {
        let _ = patterns();
    }

    #[test]
    fn finds_codes_urls_errors_browser_device() {
        let msgs = said_from(&[
            "My endpoint https://hooks.acme.io/stripe, returns a 401 and then 500 errors.",
            "Chrome shows ERR_TOO_MANY_REDIRECTS and \"Signature mismatch: invalid payload\" on \"Save\".",
            "I'm on Chrome 124 and my iphone 15 Pro runs iOS 17.4. We have 500 users.",
        ]);
        let said: Vec<_> = msgs.iter().map(Said::new).collect();
        let (t, facts) = extract(&said);
        assert_eq!(t.urls, ["https://hooks.acme.io/stripe"]);
        assert_eq!(t.codes, ["401", "500", "ERR_TOO_MANY_REDIRECTS"]);
        assert_eq!(t.error_messages, ["Signature mismatch: invalid payload"]);
        assert_eq!(t.browser.as_deref(), Some("Chrome 124"));
        assert_eq!(t.device.as_deref(), Some("iPhone 15 Pro (iOS 17.4)"));
        assert_eq!(facts.len(), 3);
    }

    #[test]
    fn attached_logs_add_their_error_lines_and_codes() {
        use crate::domain::attachment::{Attachment, AttachmentKind, LogFindings, LogLine};
        let mut msgs = said_from(&["it fails with a 401", ""]);
        msgs[1].attachment = Some(Attachment {
            id: "att_0123456789abcdef0123456789abcdef".into(),
            name: "app.log".into(),
            content_type: "text/plain; charset=utf-8".into(),
            kind: AttachmentKind::Text,
            size: 100,
            sha256: "00".into(),
            width: None,
            height: None,
            url: String::new(),
            thumbnail_url: None,
            findings: Some(LogFindings {
                lines: vec![LogLine {
                    line: 42,
                    text: "ERROR webhook rejected: 401 Unauthorized (E1042)".into(),
                }],
                codes: vec!["401".into(), "E1042".into()],
                total: 1,
            }),
        });
        let said: Vec<_> = msgs.iter().map(Said::new).collect();
        let (t, _) = extract(&said);
        assert_eq!(
            t.error_messages,
            ["app.log:42: ERROR webhook rejected: 401 Unauthorized (E1042)"]
        );
        assert_eq!(t.codes, ["401", "E1042"], "each code once");
    }

    #[test]
    fn edge_needs_a_capital() {
        let msgs = said_from(&["this is an edge case", "Using Edge 122"]);
        let said: Vec<_> = msgs.iter().map(Said::new).collect();
        assert_eq!(extract(&said[..1]).0.browser, None);
        assert_eq!(extract(&said).0.browser.as_deref(), Some("Edge 122"));
    }
}
