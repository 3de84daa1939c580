//! What a log says went wrong: the error lines and codes of a text attachment, for the briefing's
//! technical detail.
//!
//! Contract: pure and bounded. `scan` reads the text once, line by line, never panics, and keeps
//! at most [`MAX_LINES`] distinct error lines (each cut to [`MAX_LINE_CHARS`]) and [`MAX_CODES`]
//! codes, so a 10 MB log costs one pass and yields a few hundred bytes. A line is an error line
//! when it has a severity word in capitals (`ERROR`, `FATAL`, `CRITICAL`, `SEVERE`, `PANIC`) or
//! `level=error`, names an exception or error type (`NullPointerException`, `TypeError:`), is the
//! head of a stack trace (`Traceback (most recent call last):`, `thread 'main' panicked at`,
//! `panic:`), has an error code (`E1234`, `ERR_CONNECTION_RESET`), or carries an HTTP error status (`HTTP/1.1 502`, `status=401`, `503 Service
//! Unavailable`). Stack frames (`at …`, `File "…", line …`) are not: the head says what failed.
//! Repeats (the same line but for its timestamp and numbers) count once.

use crate::domain::attachment::{LogFindings, LogLine};
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

/// Distinct error lines kept.
pub const MAX_LINES: usize = 12;
/// Characters kept of one line.
pub const MAX_LINE_CHARS: usize = 240;
/// Codes kept.
pub const MAX_CODES: usize = 16;
/// Longest line looked at, in bytes (a minified blob on one line is not a log line).
const MAX_SCANNED_LINE: usize = 4096;

struct Patterns {
    severity: Regex,
    exception: Regex,
    trace_head: Regex,
    http_status: Regex,
    code: Regex,
    frame: Regex,
    volatile: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // String literals checked by the unit tests: compiling them cannot fail at run time.
        let re = |p: &str| Regex::new(p).expect("literal regex is valid");
        Patterns {
            severity: re(
                r"\b(?:ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE|PANIC|EMERG|ALERT)\b|(?i:\blevel[=:]\s*(?:error|fatal|critical)\b)|(?i:\[(?:error|fatal|critical)\])",
            ),
            exception: re(
                r"\b(?:[A-Za-z_][A-Za-z0-9_]*\.)*[A-Z][A-Za-z0-9_]*(?:Exception|Error)\b(?::|\s*$|\s+at\b|\s+in\b)|\bUncaught\b",
            ),
            trace_head: re(
                r"^Traceback \(most recent call last\):|\bpanicked at\b|^panic:|^goroutine \d+ \[running\]|\bSegmentation fault\b|\bcore dumped\b",
            ),
            http_status: re(concat!(
                r"\bHTTP/\d(?:\.\d)?\s+([45]\d{2})\b",
                r"|(?i:\b(?:status|status_code|statusCode|http_status|code)\s*[=:]\s*)([45]\d{2})\b",
                r"|\b([45]\d{2})\s+(?:Bad Request|Unauthorized|Forbidden|Not Found|Method Not Allowed|",
                r"Conflict|Gone|Payload Too Large|Unprocessable Entity|Too Many Requests|",
                r"Internal Server Error|Not Implemented|Bad Gateway|Service Unavailable|Gateway Timeout)\b",
            )),
            code: re(r"\b(?:ERR|ERROR)_[A-Z0-9_]{2,}\b|\bE\d{3,5}\b|\b0x[0-9A-Fa-f]{8}\b"),
            frame: re(r#"^\s+(?:at\s|File\s+"|\.\.\.\s*\d+\s+more)"#),
            volatile: re(
                r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?|\b\d+\b|\b[0-9a-f]{8,}\b",
            ),
        }
    })
}

/// The error lines and codes of `text` (see the module docs).
pub fn scan(text: &str) -> LogFindings {
    let p = patterns();
    let mut out = LogFindings::default();
    let mut seen_lines = HashSet::new();
    let mut seen_codes = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.len() > MAX_SCANNED_LINE || p.frame.is_match(line) {
            continue;
        }
        let mut codes: Vec<String> = Vec::new();
        for c in p.http_status.captures_iter(line) {
            if let Some(code) = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)) {
                codes.push(code.as_str().to_owned());
            }
        }
        let error = !codes.is_empty()
            || p.code.is_match(line)
            || p.severity.is_match(line)
            || p.exception.is_match(line)
            || p.trace_head.is_match(line.trim_start());
        if !error {
            continue;
        }
        codes.extend(p.code.find_iter(line).map(|m| m.as_str().to_owned()));
        out.total = out.total.saturating_add(1);
        for code in codes {
            if out.codes.len() < MAX_CODES && seen_codes.insert(code.clone()) {
                out.codes.push(code);
            }
        }
        if out.lines.len() >= MAX_LINES {
            continue;
        }
        let trimmed = line.trim();
        // The same event logged again differs only in its timestamp, ids and counters.
        let key = p.volatile.replace_all(trimmed, "#").into_owned();
        if !seen_lines.insert(key) {
            continue;
        }
        let text: String = if trimmed.chars().count() > MAX_LINE_CHARS {
            let mut cut: String = trimmed.chars().take(MAX_LINE_CHARS - 1).collect();
            cut.push('…');
            cut
        } else {
            trimmed.to_owned()
        };
        out.lines.push(LogLine {
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
2026-12-07T10:00:00Z INFO  server started on :8080
2026-12-07T10:00:01Z DEBUG loading config from /etc/app.toml
2026-12-07T10:00:02Z ERROR payment webhook failed: upstream answered 401 Unauthorized (E1042)
2026-12-07T10:00:03Z ERROR payment webhook failed: upstream answered 401 Unauthorized (E1042)
2026-12-07T10:00:04Z WARN  retrying in 5s
GET /api/invoices HTTP/1.1 502
Exception in thread \"main\" java.lang.NullPointerException: customer is null
    at com.acme.billing.Invoice.total(Invoice.java:42)
    at com.acme.billing.Api.handle(Api.java:7)
Traceback (most recent call last):
  File \"sync.py\", line 3, in <module>
ValueError: invalid literal for int() with base 10: 'abc'
thread 'main' panicked at src/main.rs:2:5:
net::ERR_CONNECTION_RESET while loading https://app.example.com
a line that mentions errors in passing is not one
";

    #[test]
    fn patterns_compile() {
        let _ = patterns();
    }

    #[test]
    fn finds_error_lines_codes_and_trace_heads_once_each() {
        let f = scan(LOG);
        let texts: Vec<&str> = f.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "2026-12-07T10:00:02Z ERROR payment webhook failed: upstream answered 401 Unauthorized (E1042)",
                "GET /api/invoices HTTP/1.1 502",
                "Exception in thread \"main\" java.lang.NullPointerException: customer is null",
                "Traceback (most recent call last):",
                "ValueError: invalid literal for int() with base 10: 'abc'",
                "thread 'main' panicked at src/main.rs:2:5:",
                "net::ERR_CONNECTION_RESET while loading https://app.example.com",
            ]
        );
        assert_eq!(f.lines[0].line, 3);
        assert_eq!(f.codes, ["401", "E1042", "502", "ERR_CONNECTION_RESET"]);
        assert_eq!(f.total, 8, "the repeat counts, the frames do not");
    }

    #[test]
    fn bounded_on_huge_input() {
        let mut text = String::new();
        for i in 0..100_000 {
            text.push_str(&format!(
                "ERROR job {i} failed with E{} at step {}\n",
                1000 + i % 50,
                i
            ));
        }
        text.push_str(&"x".repeat(10_000));
        text.push_str(" ERROR\n");
        let f = scan(&text);
        assert_eq!(f.lines.len(), MAX_LINES);
        assert_eq!(f.codes.len(), MAX_CODES);
        assert_eq!(f.total, 100_000, "the overlong line is not read");
        let same = "ERROR job 1 failed at step 2\nERROR job 3 failed at step 4\n";
        assert_eq!(scan(same).lines.len(), 1, "one line but for its numbers");
    }

    #[test]
    fn long_lines_are_cut_at_a_character() {
        let line = format!("ERROR {}", "é".repeat(400));
        let f = scan(&line);
        assert_eq!(f.lines[0].text.chars().count(), MAX_LINE_CHARS);
        assert!(f.lines[0].text.ends_with('…'));
    }

    #[test]
    fn a_quiet_log_has_nothing() {
        assert!(scan("INFO all good\nDEBUG still good\n").is_empty());
        assert!(scan("").is_empty());
    }
}
