//! The letters: plain text and simple HTML, composed without IO. Every piece of conversation text
//! is escaped in the HTML; times are UTC (the gateway does not know the customer's zone).

use crate::domain::Timestamp;

/// One e-mail's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One agent reply in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub author: String,
    pub text: String,
    pub at: Timestamp,
}

/// One line of a transcript: a chat message or a line said on a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub who: String,
    pub text: String,
    pub at: Timestamp,
    /// Said on a call (transcribed), not typed.
    pub voice: bool,
}

/// The link back to the conversation, and until when it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeLink {
    pub url: String,
    pub expires_at: Timestamp,
}

fn when(t: Timestamp) -> String {
    t.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped, with line breaks kept.
fn paragraph(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"margin:0;padding:24px;background:#f5f6f8;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1f2430;line-height:1.5\">\
         <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border-radius:12px;padding:24px\">{}</div>\
         </body></html>\n",
        escape(title),
        body
    )
}

/// Agents' replies to a customer who left their e-mail address, with the link back.
pub fn reply_letter(
    signature: &str,
    customer_name: Option<&str>,
    replies: &[Reply],
    link: &ResumeLink,
) -> Letter {
    let authors: Vec<&str> = replies.iter().fold(Vec::new(), |mut acc, r| {
        if !acc.contains(&r.author.as_str()) {
            acc.push(r.author.as_str());
        }
        acc
    });
    let who = match authors.as_slice() {
        [] => "Our support team".to_owned(),
        [one] => (*one).to_owned(),
        [first, rest @ ..] => format!("{first} and {}", rest.join(", ")),
    };
    let subject = format!("{who} replied to your conversation with {signature}");
    let hello = match customer_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("Hi {n},"),
        None => "Hi,".to_owned(),
    };
    let lead = format!("{who} from {signature} replied while you were away:");
    let mut text = format!("{hello}\n\n{lead}\n\n");
    let mut items = String::new();
    for r in replies {
        text.push_str(&format!(
            "{}\n    -- {}, {}\n\n",
            indent(&r.text),
            r.author,
            when(r.at)
        ));
        items.push_str(&format!(
            "<div style=\"border-left:3px solid #4f46e5;padding:4px 0 4px 12px;margin:0 0 16px\">\
             <p style=\"margin:0 0 4px\">{}</p>\
             <p style=\"margin:0;color:#5b6170;font-size:13px\">{} &middot; {}</p></div>",
            paragraph(&r.text),
            escape(&r.author),
            escape(&when(r.at))
        ));
    }
    let until = when(link.expires_at);
    text.push_str(&format!(
        "Continue the conversation: {}\n(The link opens your conversation until {until}. Replies to \
         this e-mail are not read; answer in the conversation.)\n\n{signature}\n",
        link.url
    ));
    let body = format!(
        "<p style=\"margin:0 0 12px\">{}</p><p style=\"margin:0 0 16px\">{}</p>{items}\
         <p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:#4f46e5;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:8px;display:inline-block\">Continue the conversation</a></p>\
         <p style=\"margin:0 0 16px;color:#5b6170;font-size:13px\">The link opens your conversation until {}. Replies to this e-mail are not read; answer in the conversation.</p>\
         <p style=\"margin:0\">{}</p>",
        escape(&hello),
        escape(&lead),
        escape(&link.url),
        escape(&until),
        escape(signature)
    );
    Letter {
        html: html_page(&subject, &body),
        subject,
        text,
    }
}

/// The conversation's transcript, as the customer may see it.
pub fn transcript_letter(
    signature: &str,
    started_at: Option<Timestamp>,
    lines: &[Line],
    link: Option<&ResumeLink>,
) -> Letter {
    let subject = format!("Your conversation with {signature}: transcript");
    let since = started_at
        .map(|t| format!(" of {}", when(t)))
        .unwrap_or_default();
    let lead = format!("Here is the transcript of your conversation{since}, as you asked.");
    let mut text = format!("{lead}\n\n");
    let mut rows = String::new();
    for l in lines {
        let how = if l.voice { " (on the call)" } else { "" };
        text.push_str(&format!(
            "[{}] {}{how}:\n{}\n\n",
            l.at.format("%H:%M"),
            l.who,
            indent(&l.text)
        ));
        rows.push_str(&format!(
            "<tr><td style=\"vertical-align:top;padding:6px 12px 6px 0;color:#5b6170;font-size:13px;white-space:nowrap\">{}</td>\
             <td style=\"padding:6px 0\"><strong>{}</strong>{}<br>{}</td></tr>",
            escape(&l.at.format("%H:%M").to_string()),
            escape(&l.who),
            if l.voice { " <em style=\"color:#5b6170\">(on the call)</em>" } else { "" },
            paragraph(&l.text)
        ));
    }
    if lines.is_empty() {
        text.push_str("(No messages.)\n\n");
    }
    let mut body = format!(
        "<p style=\"margin:0 0 16px\">{}</p><table style=\"border-collapse:collapse;width:100%\">{rows}</table>",
        escape(&lead)
    );
    if let Some(link) = link {
        text.push_str(&format!("Open the conversation: {}\n\n", link.url));
        body.push_str(&format!(
            "<p style=\"margin:24px 0 0\"><a href=\"{}\">Open the conversation</a></p>",
            escape(&link.url)
        ));
    }
    text.push_str(&format!("{signature}\n"));
    body.push_str(&format!(
        "<p style=\"margin:24px 0 0\">{}</p>",
        escape(signature)
    ));
    Letter {
        html: html_page(&subject, &body),
        subject,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> ResumeLink {
        ResumeLink {
            url: "https://support.example.com/chat?resume=c-1.1.sig".into(),
            expires_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_reply_letter_names_the_agent_and_carries_the_text_and_the_link() {
        let now = chrono::Utc::now();
        let replies = [
            Reply {
                author: "Sam".into(),
                text: "Hi Dana,\nI refunded the second charge.".into(),
                at: now,
            },
            Reply {
                author: "Sam".into(),
                text: "It shows in 3-5 days <b>".into(),
                at: now,
            },
        ];
        let l = reply_letter("Brightboard Support", Some("Dana"), &replies, &link());
        assert_eq!(
            l.subject,
            "Sam replied to your conversation with Brightboard Support"
        );
        assert!(l.text.starts_with("Hi Dana,"));
        assert!(l.text.contains("    I refunded the second charge."));
        assert!(l
            .text
            .contains("https://support.example.com/chat?resume=c-1.1.sig"));
        assert!(l.html.contains("Hi Dana,<br>I refunded") || l.html.contains("I refunded"));
        assert!(l.html.contains("It shows in 3-5 days &lt;b&gt;"), "escaped");
        assert!(!l.html.contains("<b>"));
        assert!(l
            .html
            .contains("href=\"https://support.example.com/chat?resume=c-1.1.sig\""));
    }

    #[test]
    fn a_transcript_marks_what_was_said_on_a_call() {
        let now = chrono::Utc::now();
        let lines = [
            Line {
                who: "You".into(),
                text: "My invoice is wrong".into(),
                at: now,
                voice: false,
            },
            Line {
                who: "Sam".into(),
                text: "Let me check that".into(),
                at: now,
                voice: true,
            },
        ];
        let l = transcript_letter("Support", Some(now), &lines, Some(&link()));
        assert!(l.text.contains("You:\n    My invoice is wrong"));
        assert!(l.text.contains("Sam (on the call):\n    Let me check that"));
        assert!(l.html.contains("(on the call)"));
        assert!(l.text.contains("Open the conversation: https://"));
    }
}
