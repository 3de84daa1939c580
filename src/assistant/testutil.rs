//! Test helpers: conversations built turn by turn, and a throwaway HTTP server on 127.0.0.1:0.

use super::AssistantReply;
use crate::domain::{Conversation, ConversationHeader, ConversationId, Customer, Message, Speaker};
use chrono::TimeZone;

/// A conversation under construction.
#[derive(Clone)]
pub struct Chat {
    conv: Conversation,
}

impl Chat {
    pub fn new() -> Self {
        let t0 = chrono::Utc
            .with_ymd_and_hms(2026, 3, 12, 14, 30, 0)
            .unwrap();
        Self {
            conv: Conversation {
                header: ConversationHeader::new(
                    ConversationId::from("conv-1"),
                    Customer::default(),
                    t0,
                ),
                messages: Vec::new(),
                notes: Vec::new(),
            },
        }
    }

    fn push(&mut self, mut m: Message) -> &mut Message {
        m.seq = self.conv.messages.len() as u64 + 2;
        m.timestamp += chrono::Duration::seconds(m.seq as i64 * 15);
        self.conv.messages.push(m);
        let last = self.conv.messages.len() - 1;
        &mut self.conv.messages[last]
    }

    pub fn customer(mut self, text: &str) -> Self {
        let t = self.conv.header.created_at.unwrap_or_default();
        self.push(Message::new(Speaker::Customer, text, t));
        self
    }

    pub fn says(mut self, speaker: Speaker, text: &str) -> Self {
        let t = self.conv.header.created_at.unwrap_or_default();
        self.push(Message::new(speaker, text, t));
        self
    }

    /// Records an assistant reply the way the gateway would: as an `ai` message.
    pub fn ai(mut self, reply: &AssistantReply) -> Self {
        let t = self.conv.header.created_at.unwrap_or_default();
        let m = self.push(Message::new(Speaker::Ai, reply.content.clone(), t));
        m.confidence = Some(reply.confidence);
        m.actions_attempted = reply.actions_attempted.clone();
        m.sources = reply.sources.clone();
        self
    }

    /// The conversation and its last message (the one being answered).
    pub fn turn(&self) -> (Conversation, Message) {
        let last = self
            .conv
            .messages
            .last()
            .cloned()
            .expect("a turn needs at least one message");
        (self.conv.clone(), last)
    }
}

/// A conversation of customer messages only, and the last of them.
pub fn conversation(customer: &[&str]) -> (Conversation, Message) {
    customer
        .iter()
        .fold(Chat::new(), |c, t| c.customer(t))
        .turn()
}

/// Serves `app` on an ephemeral loopback port for the rest of the test; returns `http://127.0.0.1:N`.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}
