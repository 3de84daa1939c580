//! How much of a long conversation a turn reads: a bounded window of its messages, so a turn's
//! cost does not grow with the conversation. Pure: every store applies the same window.

use crate::domain::Message;

/// Which messages of a long conversation a turn reads: the first `head` (how it began: the
/// problem, who the customer is) and the newest ones back to `tail_bytes` of text (at least the
/// newest, at most `tail_max`), in order, each once; every message but the newest cut
/// to `older_bytes` of content (what a customer writes at length is in its first paragraphs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageWindow {
    pub head: usize,
    pub tail_max: usize,
    pub tail_bytes: usize,
    pub older_bytes: usize,
}

impl MessageWindow {
    /// A turn's window: every message of any ordinary conversation (a hundred and fifty chat
    /// messages are about 15 KB of text), the opening and the last 32 KB of a long one.
    pub const TURN: Self = Self {
        head: 2,
        tail_max: 200,
        tail_bytes: 32 * 1024,
        older_bytes: 4 * 1024,
    };

    /// The window of `messages` (in order), measuring each by its content's length.
    pub fn select(self, mut messages: Vec<Message>) -> Vec<Message> {
        let mut bytes = 0usize;
        let mut tail_from = messages.len();
        while tail_from > 0 && messages.len() - tail_from < self.tail_max {
            let size = messages[tail_from - 1].content.len();
            if bytes + size > self.tail_bytes && tail_from < messages.len() {
                break;
            }
            bytes += size;
            tail_from -= 1;
        }
        if tail_from > self.head {
            let tail = messages.split_off(tail_from);
            messages.truncate(self.head);
            messages.extend(tail);
        }
        self.cut_older(&mut messages);
        messages
    }

    /// Cuts every message but the newest to `older_bytes`, at a character boundary.
    pub fn cut_older(self, messages: &mut [Message]) {
        let Some((_, older)) = messages.split_last_mut() else {
            return;
        };
        for m in older {
            if m.content.len() > self.older_bytes {
                let mut end = self.older_bytes;
                while !m.content.is_char_boundary(end) {
                    end -= 1;
                }
                m.content.truncate(end);
            }
        }
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;
    use crate::domain::Speaker;

    fn messages(n: usize, bytes: usize) -> Vec<Message> {
        (0..n)
            .map(|i| {
                let mut m = Message::new(Speaker::Customer, "x".repeat(bytes), chrono::Utc::now());
                m.seq = i as u64 + 2;
                m
            })
            .collect()
    }

    #[test]
    fn short_conversations_are_read_whole() {
        let all = messages(150, 100);
        assert_eq!(MessageWindow::TURN.select(all.clone()), all);
    }

    #[test]
    fn long_ones_keep_the_opening_and_the_newest_within_the_budget() {
        let w = MessageWindow::TURN.select(messages(1000, 16_000));
        let seqs: Vec<u64> = w.iter().map(|m| m.seq).collect();
        assert_eq!(&seqs[..2], &[2, 3]);
        assert_eq!(*seqs.last().unwrap(), 1001);
        assert!(w.len() <= 2 + 2, "{seqs:?}");
        assert!(seqs.windows(2).all(|p| p[0] < p[1]), "in order, once");
        assert!(w[..w.len() - 1].iter().all(|m| m.content.len() <= 4096));
        // A single message over the budget is still read, whole.
        let one = MessageWindow::TURN.select(messages(10, 100_000));
        assert_eq!(one.last().unwrap().seq, 11);
        assert_eq!(one.last().unwrap().content.len(), 100_000);
    }
}
