//! A minimal client of the gateway's public API (REST + WebSocket) for benchmarks and tests.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("websocket: {0}")]
    Ws(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

pub struct Client {
    pub base: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<String, ClientError> {
        let v: Value = self
            .http
            .post(format!("{}/api/auth/login", self.base))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        v["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ClientError::Unexpected(v.to_string()))
    }

    /// Returns `(conversationId, customerToken)`.
    pub async fn create_conversation(&self, name: &str) -> Result<(String, String), ClientError> {
        let v: Value = self
            .http
            .post(format!("{}/api/conversations", self.base))
            .json(&json!({ "customer": { "name": name } }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        match (v["conversationId"].as_str(), v["customerToken"].as_str()) {
            (Some(c), Some(t)) => Ok((c.to_owned(), t.to_owned())),
            _ => Err(ClientError::Unexpected(v.to_string())),
        }
    }

    /// Creates a conversation for `customer` (the article's customer object); returns
    /// `(conversationId, customerToken)`.
    pub async fn create_conversation_for(
        &self,
        customer: &Value,
    ) -> Result<(String, String), ClientError> {
        let v: Value = self
            .http
            .post(format!("{}/api/conversations", self.base))
            .json(&json!({ "customer": customer }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        match (v["conversationId"].as_str(), v["customerToken"].as_str()) {
            (Some(c), Some(t)) => Ok((c.to_owned(), t.to_owned())),
            _ => Err(ClientError::Unexpected(v.to_string())),
        }
    }

    /// GETs `path` (from the API root, e.g. `/api/conversations/ID`) with `token`, as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> Result<Value, ClientError> {
        Ok(self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Opens `/api/ws` and authenticates with the first frame; returns after `ready`.
    pub async fn socket(&self, token: &str) -> Result<Socket, ClientError> {
        let url = format!("{}/api/ws", self.base.replacen("http", "ws", 1));
        let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
        ws.send(Message::text(
            json!({ "type": "auth", "token": token }).to_string(),
        ))
        .await?;
        let ready = next_json(&mut ws).await?;
        if ready["type"] != "ready" {
            return Err(ClientError::Unexpected(ready.to_string()));
        }
        Ok(ws)
    }
}

/// The next text frame as JSON.
pub async fn next_json(ws: &mut Socket) -> Result<Value, ClientError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                return serde_json::from_str(&t)
                    .map_err(|e| ClientError::Unexpected(format!("{e}: {t}")))
            }
            Some(Ok(Message::Close(c))) => {
                return Err(ClientError::Unexpected(format!("closed: {c:?}")))
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => return Err(ClientError::Unexpected("socket ended".into())),
        }
    }
}

pub async fn send_json(ws: &mut Socket, v: &Value) -> Result<(), ClientError> {
    ws.send(Message::text(v.to_string())).await?;
    Ok(())
}
