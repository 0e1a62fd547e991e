//! A client for the live queue: graphql-transport-ws over a real WebSocket.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TestApp;

pub const CASE_EVENTS: &str = "subscription { caseEvents { eventId kind actor at reference leftScope case { reference status unit { code } } } }";
/// Longest wait for one change to arrive (the requirement is one second; CI is slow).
pub const DELIVERY: Duration = Duration::from_secs(10);

pub struct Live {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every `next` payload received so far.
    pub seen: Vec<Value>,
}

/// Opens `/graphql/ws` and sends `connection_init` with `payload`: the open
/// connection once acknowledged, or the close code and reason.
pub async fn connect(app: &TestApp, payload: Value) -> Result<Live, (u16, String)> {
    let url = app.base_url.replacen("http://", "ws://", 1) + "/graphql/ws";
    let mut request = url.into_client_request().expect("a WebSocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrading to a WebSocket");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": payload }).to_string(),
        ))
        .await
        .expect("sending connection_init");
    let mut live = Live {
        socket,
        seen: Vec::new(),
    };
    match live.receive().await {
        Incoming::Message(message) if message["type"] == "connection_ack" => Ok(live),
        Incoming::Message(message) => panic!("expected connection_ack, got {message}"),
        Incoming::Closed(code, reason) => Err((code, reason)),
    }
}

pub enum Incoming {
    Message(Value),
    Closed(u16, String),
}

impl Live {
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("sending a message");
    }

    /// Starts a subscription, and returns once the server has surely taken it: a ping
    /// sent after it is answered, and the stream has had a moment to start.
    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
        self.send(json!({ "type": "ping" })).await;
        loop {
            match self.receive().await {
                Incoming::Message(message) if message["type"] == "pong" => break,
                Incoming::Message(message) => self.seen.push(message),
                Incoming::Closed(code, reason) => panic!("closed {code}: {reason}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    pub async fn receive(&mut self) -> Incoming {
        loop {
            let message = tokio::time::timeout(DELIVERY, self.socket.next())
                .await
                .expect("a message within the wait")
                .expect("an open socket")
                .expect("a readable message");
            match message {
                Message::Text(text) => {
                    return Incoming::Message(serde_json::from_str(&text).expect("JSON"));
                }
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map(|frame| (u16::from(frame.code), frame.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Incoming::Closed(code, reason);
                }
                _ => {}
            }
        }
    }

    /// Reads until the subscription `id` delivers `kind` for `reference`; every
    /// delivery read on the way is kept in `seen`.
    pub async fn wait_for(&mut self, id: &str, reference: &str, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + DELIVERY;
        while tokio::time::Instant::now() < deadline {
            match self.receive().await {
                Incoming::Message(message) => {
                    self.seen.push(message.clone());
                    assert_ne!(message["type"], "error", "{message}");
                    let event = &message["payload"]["data"]["caseEvents"];
                    if message["id"] == id
                        && event["reference"] == reference
                        && event["kind"] == kind
                    {
                        return event.clone();
                    }
                }
                Incoming::Closed(code, reason) => panic!("closed {code}: {reason}"),
            }
        }
        panic!(
            "no {kind} event for {reference} within {DELIVERY:?}; saw {:?}",
            self.seen
        );
    }

    pub fn references_seen(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|message| message["payload"]["data"]["caseEvents"]["reference"].as_str())
            .map(str::to_owned)
            .collect()
    }
}
