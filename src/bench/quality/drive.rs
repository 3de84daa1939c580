//! Plays one evaluation conversation against the running gateway, as its users would: the
//! customer writes over their socket and waits for an answer; a manager's socket watches every
//! event (staff events included); at the end the agent Maria accepts the offer, opens the briefing
//! and joins, and the briefing is read back over REST. Nothing here judges; `score` does.

use super::spec::{Agents, ConversationSpec};
use crate::bench::client::{self, Client, ClientError, Socket};
use crate::domain::{Briefing, Conversation, Escalation};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// How long after the last event of a turn the turn counts as finished.
const SETTLE: Duration = Duration::from_millis(200);
/// Longest wait for any answer to a customer message.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// A socket whose frames are read by a task into a queue, so a driver can wait with a deadline
/// and look at frames it did not ask for later.
pub struct Peer {
    ws_tx: futures_util::stream::SplitSink<Socket, WsMessage>,
    rx: mpsc::UnboundedReceiver<Value>,
    backlog: VecDeque<Value>,
    reader: tokio::task::JoinHandle<()>,
}

impl Peer {
    pub fn new(ws: Socket) -> Self {
        let (ws_tx, mut ws_rx) = ws.split();
        let (tx, rx) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            while let Some(Ok(msg)) = ws_rx.next().await {
                if let WsMessage::Text(t) = msg {
                    if let Ok(v) = serde_json::from_str::<Value>(&t) {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Self {
            ws_tx,
            rx,
            backlog: VecDeque::new(),
            reader,
        }
    }

    pub async fn send(&mut self, v: Value) -> Result<(), ClientError> {
        use futures_util::SinkExt;
        self.ws_tx.send(WsMessage::text(v.to_string())).await?;
        Ok(())
    }

    /// The next frame, from the backlog first; `None` at the deadline or when the socket ended.
    pub async fn next(&mut self, deadline: Instant) -> Option<Value> {
        if let Some(v) = self.backlog.pop_front() {
            return Some(v);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(left, self.rx.recv()).await.ok()?
    }

    /// The first frame `want` accepts; frames it passes over are kept for later calls.
    pub async fn find(
        &mut self,
        deadline: Instant,
        want: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(i) = self.backlog.iter().position(&want) {
            return self.backlog.remove(i);
        }
        let mut skipped = Vec::new();
        let found = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(v)) if want(&v) => break Some(v),
                Ok(Some(v)) => skipped.push(v),
                _ => break None,
            }
        };
        self.backlog.extend(skipped);
        found
    }

    /// Sends an agent command and waits for its `done` (or `error`).
    pub async fn command(&mut self, frame: Value) -> Result<(), ClientError> {
        let action = frame["type"].as_str().unwrap_or_default().to_owned();
        self.send(frame).await?;
        let deadline = Instant::now() + Duration::from_secs(5);
        let reply = self
            .find(deadline, |v| {
                (v["type"] == "done" && v["action"] == action.as_str()) || v["type"] == "error"
            })
            .await;
        match reply {
            Some(v) if v["type"] == "done" => Ok(()),
            Some(v) => Err(ClientError::Unexpected(v.to_string())),
            None => Err(ClientError::Unexpected(format!("no answer to {action}"))),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// A message someone other than the customer wrote after a customer turn.
#[derive(Debug, Clone, Default)]
pub struct Said {
    /// `ai`, `system` or `agent`.
    pub speaker: String,
    pub content: String,
    /// Knowledge-base sections the assistant cited.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TurnSeen {
    pub replies: Vec<Said>,
    /// From sending the customer's message to the assistant's reply on a staff socket (the
    /// analysis, the commit, the assistant's turn and the fan-out).
    pub reply_ms: Option<f64>,
}

impl TurnSeen {
    /// The assistant's reply, if it gave one.
    pub fn ai(&self) -> Option<&Said> {
        self.replies.iter().find(|r| r.speaker == "ai")
    }

    /// Everything said in answer to this turn, as one text.
    pub fn all_text(&self) -> String {
        let texts: Vec<&str> = self.replies.iter().map(|r| r.content.as_str()).collect();
        texts.join("\n")
    }
}

#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub conversation_id: String,
    pub turns: Vec<TurnSeen>,
    pub escalation: Option<Escalation>,
    pub briefing: Option<Briefing>,
    /// The agent's first message after joining.
    pub introduction: Option<String>,
    pub status: String,
}

/// The sockets and accounts a run shares across conversations.
pub struct Stage {
    pub api: Client,
    pub manager_token: String,
    pub manager: Peer,
    pub agent: Peer,
}

impl Stage {
    /// Plays `spec`; errors only when the gateway stops answering its protocol.
    pub async fn play(&mut self, spec: &ConversationSpec) -> Result<Seen, ClientError> {
        if spec.agents == Agents::None {
            self.agent
                .command(json!({ "type": "set_status", "status": "away" }))
                .await?;
        }
        let customer = spec
            .customer
            .clone()
            .unwrap_or_else(|| json!({ "name": null }));
        let seen = self.converse(&customer, spec).await?;
        if spec.agents == Agents::None {
            self.agent
                .command(json!({ "type": "set_status", "status": "available" }))
                .await?;
            // Back online, Maria is offered the conversation that waited for her; she passes it
            // on, or the offer would hold her until it expires and the next conversations wait.
            let deadline = Instant::now() + Duration::from_secs(3);
            let id = seen.conversation_id.clone();
            if let Some(offer) = self
                .agent
                .find(deadline, |v| {
                    v["type"] == "offer" && v["conversationId"] == id.as_str()
                })
                .await
            {
                let id = offer["conversationId"].clone();
                self.agent
                    .command(json!({ "type": "decline_offer", "conversationId": id }))
                    .await?;
            }
        }
        Ok(seen)
    }

    async fn converse(
        &mut self,
        customer: &Value,
        spec: &ConversationSpec,
    ) -> Result<Seen, ClientError> {
        let (id, token) = self.api.create_conversation_for(customer).await?;
        let mut customer_ws = Peer::new(self.api.socket(&token).await?);
        self.watch(&id).await?;
        let mut seen = Seen {
            conversation_id: id.clone(),
            ..Seen::default()
        };
        for (i, turn) in spec.turns.iter().enumerate() {
            let t = self
                .turn(&mut customer_ws, &id, &turn.say, &format!("t{i}"))
                .await?;
            seen.turns.push(t);
        }
        let conversation = self.conversation(&id).await?;
        let queued = conversation.header.status.as_str() == "queued";
        if queued && spec.agents == Agents::Online {
            seen.introduction = self.join(&id).await?;
        }
        let conversation = self.conversation(&id).await?;
        seen.status = conversation.header.status.as_str().to_owned();
        seen.escalation = conversation.header.escalation.clone();
        seen.briefing = conversation.header.briefing.map(|b| *b);
        if seen.introduction.is_some() {
            // Frees Maria for the next conversation.
            let _ = self
                .agent
                .command(json!({ "type": "resolve_conversation", "conversationId": id }))
                .await;
        }
        self.manager
            .send(json!({ "type": "unsubscribe", "conversationId": id }))
            .await?;
        self.manager.backlog.clear();
        self.agent
            .backlog
            .retain(|v| v["conversationId"] != id.as_str());
        Ok(seen)
    }

    /// Asks one question in a fresh conversation; the assistant's answer to it.
    pub async fn ask(&mut self, question: &str) -> Result<TurnSeen, ClientError> {
        let (id, token) = self
            .api
            .create_conversation_for(&json!({ "name": null }))
            .await?;
        let mut customer_ws = Peer::new(self.api.socket(&token).await?);
        self.watch(&id).await?;
        let seen = self.turn(&mut customer_ws, &id, question, "q").await;
        self.manager
            .send(json!({ "type": "unsubscribe", "conversationId": id }))
            .await?;
        self.manager.backlog.clear();
        seen
    }

    async fn watch(&mut self, id: &str) -> Result<(), ClientError> {
        self.manager
            .send(json!({ "type": "subscribe", "conversationId": id }))
            .await?;
        let deadline = Instant::now() + Duration::from_secs(5);
        self.manager
            .find(deadline, |v| {
                v["type"] == "subscribed" && v["conversationId"] == id
            })
            .await
            .map(|_| ())
            .ok_or_else(|| ClientError::Unexpected(format!("no subscription to {id}")))
    }

    async fn conversation(&self, id: &str) -> Result<Conversation, ClientError> {
        let v = self
            .api
            .get_json(&format!("/api/conversations/{id}"), &self.manager_token)
            .await?;
        serde_json::from_value(v).map_err(|e| ClientError::Unexpected(e.to_string()))
    }

    /// Sends `text` and collects what the gateway says back until it has been quiet for a moment.
    async fn turn(
        &mut self,
        customer: &mut Peer,
        id: &str,
        text: &str,
        client_id: &str,
    ) -> Result<TurnSeen, ClientError> {
        let sent = Instant::now();
        customer
            .send(json!({
                "type": "send_message", "conversationId": id,
                "content": text, "clientMsgId": client_id,
            }))
            .await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let ack = customer
            .find(deadline, |v| v["type"] == "ack" || v["type"] == "error")
            .await
            .ok_or_else(|| ClientError::Unexpected("no ack".into()))?;
        if ack["type"] != "ack" {
            return Err(ClientError::Unexpected(ack.to_string()));
        }
        let acked = Instant::now();
        let seq = ack["seq"].as_u64().unwrap_or(0);
        let mut seen = TurnSeen::default();
        let give_up = acked + ANSWER_WAIT;
        loop {
            let deadline = if seen.replies.is_empty() {
                give_up
            } else {
                (Instant::now() + SETTLE).min(give_up)
            };
            let Some(v) = self.manager.next(deadline).await else {
                break;
            };
            let event = &v["event"];
            if v["type"] != "event"
                || event["conversationId"] != id
                || event["seq"].as_u64().unwrap_or(0) <= seq
            {
                continue;
            }
            let m = &event["message"];
            let speaker = m["speaker"].as_str().unwrap_or_default();
            if event["type"] != "message" || speaker == "customer" {
                continue;
            }
            if speaker == "ai" && seen.reply_ms.is_none() {
                seen.reply_ms = Some(sent.elapsed().as_secs_f64() * 1e3);
            }
            seen.replies.push(Said {
                speaker: speaker.to_owned(),
                content: m["content"].as_str().unwrap_or_default().to_owned(),
                sources: m["sources"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        Ok(seen)
    }

    /// Maria takes the offer, reads the briefing and joins; her first message.
    async fn join(&mut self, id: &str) -> Result<Option<String>, ClientError> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let offer = self
            .agent
            .find(deadline, |v| {
                v["type"] == "offer" && v["conversationId"] == id
            })
            .await;
        if offer.is_none() {
            return Ok(None);
        }
        for action in ["accept_offer", "open_briefing", "join_conversation"] {
            self.agent
                .command(json!({ "type": action, "conversationId": id }))
                .await?;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let intro = self
            .manager
            .find(deadline, |v| {
                v["type"] == "event"
                    && v["event"]["type"] == "message"
                    && v["event"]["message"]["speaker"] == "agent"
            })
            .await;
        Ok(intro.and_then(|v| v["event"]["message"]["content"].as_str().map(str::to_owned)))
    }
}

/// Opens a socket and waits for the agent's first status (online for routing from then on).
pub async fn agent_peer(api: &Client, token: &str) -> Result<Peer, ClientError> {
    let mut ws = api.socket(token).await?;
    loop {
        let v = client::next_json(&mut ws).await?;
        if v["type"] == "agent_status" {
            break;
        }
    }
    Ok(Peer::new(ws))
}
