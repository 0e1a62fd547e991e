//! `/graphql/ws`: subscriptions over the graphql-transport-ws protocol.
//!
//! async-graphql speaks the protocol; this module stands between it and the socket, so
//! that the HTTP door's rules hold here too before async-graphql sees a message: the
//! staff token from `connection_init` is checked by `StaffAuth` (a wrong one counts
//! as a failed token for the client's address), every `subscribe` passes the rate
//! limit and the request-shape check, only subscriptions are accepted (queries and
//! mutations go over HTTP), a connection runs at most a set number of them, its
//! credentials are checked again now and then, and a shutting-down server closes it.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::{WebSocket as GraphqlSocket, WebSocketProtocols, WsMessage};
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Data, Request};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::StreamExt;
use palaute_core::settings::LiveSettings;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tracing::debug;

use crate::auth::Caller;
use crate::errors::Code;
use crate::http::{AppState, client_address};
use crate::live::LiveFeed;
use crate::request_shape::check_batch;
use crate::server::{ConnectionHold, PeerAddress};

const PROTOCOL: &str = "graphql-transport-ws";
/// Time a client has to send `connection_init` after the upgrade.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time one message may take to be written before the client counts as gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The WebSocket door's share of the application state.
#[derive(Clone, Debug)]
pub struct LiveDoor {
    feed: LiveFeed,
    sockets: Arc<Semaphore>,
    max_subscriptions: usize,
    recheck: Duration,
}

impl LiveDoor {
    pub fn new(feed: LiveFeed, settings: &LiveSettings) -> Self {
        Self {
            feed,
            sockets: Arc::new(Semaphore::new(settings.max_connections.max(1))),
            max_subscriptions: settings.max_subscriptions_per_connection.max(1),
            recheck: settings.recheck_interval(),
        }
    }

    /// For the HTTP door: a mutation just ran here, so the feed should look now.
    pub(crate) fn feed(&self) -> &LiveFeed {
        &self.feed
    }
}

pub(crate) async fn graphql_ws(
    State(state): State<AppState>,
    peer: Option<Extension<PeerAddress>>,
    hold: Option<Extension<ConnectionHold>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let upgrade = upgrade.protocols([PROTOCOL]);
    if upgrade.selected_protocol().is_none() {
        return refuse(
            StatusCode::BAD_REQUEST,
            Code::BadUserInput,
            "offer the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol)",
        );
    }
    let Ok(socket_permit) = Arc::clone(&state.live.sockets).try_acquire_owned() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            Code::RateLimited,
            "too many live connections on this server; try again later",
        );
    };
    let client = client_address(
        &headers,
        peer.map(|Extension(peer)| peer.0.ip()),
        state.policy.trusted_proxy_hops,
    );
    let hold = hold.map(|Extension(hold)| hold);
    upgrade
        .max_message_size(state.policy.max_body_bytes)
        .on_upgrade(move |socket| async move {
            let session = Session {
                state,
                client,
                closing: hold.as_ref().map(|hold| hold.closing.clone()),
                _permits: (socket_permit, hold),
            };
            session.run(socket).await;
        })
}

fn refuse(status: StatusCode, code: Code, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    (status, Json(body)).into_response()
}

/// Close codes of graphql-transport-ws (4400–4499) and the WebSocket standard.
mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_REQUESTS: u16 = 4429;
    pub const TRY_AGAIN: u16 = 4500;
}

struct Session {
    state: AppState,
    client: IpAddr,
    closing: Option<watch::Receiver<bool>>,
    /// Held for the session's life: a live-connection slot, and the HTTP connection's.
    _permits: (OwnedSemaphorePermit, Option<ConnectionHold>),
}

/// What the client said in `connection_init`, and what it was found to be.
struct SignedIn {
    authorization: String,
    caller: Caller,
    init: String,
}

/// What to do with one message from the client.
enum Verdict {
    Forward,
    /// Answer the client with this (an `error` for one subscription).
    Answer(String),
    Close(u16, String),
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    payload: Option<Value>,
}

impl Session {
    async fn run(mut self, mut socket: WebSocket) {
        let signed_in = match self.sign_in(&mut socket).await {
            Ok(signed_in) => signed_in,
            Err((code, reason)) => {
                close_socket(&mut socket, code, &reason).await;
                return;
            }
        };
        let (to_graphql, from_client) = mpsc::channel::<String>(16);
        let mut data = Data::default();
        data.insert(signed_in.caller.clone());
        data.insert(self.state.live.feed.clone());
        let client_messages = futures::stream::unfold(from_client, |mut receiver| async move {
            receiver.recv().await.map(|message| (message, receiver))
        });
        let graphql = GraphqlSocket::new(
            self.state.schema.clone(),
            client_messages,
            WebSocketProtocols::GraphQLWS,
        )
        .connection_data(data);
        let mut graphql = std::pin::pin!(graphql);
        // async-graphql answers the init with `connection_ack`.
        if to_graphql.send(signed_in.init.clone()).await.is_err() {
            return;
        }
        let mut active: HashSet<String> = HashSet::new();
        let mut recheck = tokio::time::interval(self.state.live.recheck);
        recheck.tick().await;
        let mut closing = self.closing.take();
        loop {
            tokio::select! {
                () = until_closing(&mut closing) => {
                    close_socket(&mut socket, close::GOING_AWAY, "the server is shutting down").await;
                    return;
                }
                _ = recheck.tick() => {
                    if let Some(reason) = self.still_valid(&signed_in).await {
                        close_socket(&mut socket, close::FORBIDDEN, &reason).await;
                        return;
                    }
                }
                incoming = socket.recv() => {
                    let text = match incoming {
                        Some(Ok(Message::Text(text))) => text.as_str().to_owned(),
                        Some(Ok(Message::Binary(_))) => {
                            close_socket(&mut socket, close::BAD_REQUEST, "messages are JSON text").await;
                            return;
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                    };
                    match self.judge(&text, &signed_in.caller, &mut active) {
                        Verdict::Forward => {
                            if to_graphql.send(text).await.is_err() {
                                return;
                            }
                        }
                        Verdict::Answer(answer) => {
                            if !send(&mut socket, answer).await {
                                return;
                            }
                        }
                        Verdict::Close(code, reason) => {
                            close_socket(&mut socket, code, &reason).await;
                            return;
                        }
                    }
                }
                outgoing = graphql.next() => match outgoing {
                    Some(WsMessage::Text(text)) => {
                        let text = settle(text, &mut active);
                        if !send(&mut socket, text).await {
                            return;
                        }
                    }
                    Some(WsMessage::Close(code, reason)) => {
                        close_socket(&mut socket, code, &reason).await;
                        return;
                    }
                    None => return,
                },
            }
        }
    }

    /// Waits for `connection_init` and checks its token as the HTTP door checks the
    /// Authorization header.
    async fn sign_in(&self, socket: &mut WebSocket) -> Result<SignedIn, (u16, String)> {
        let init = match tokio::time::timeout(INIT_TIMEOUT, first_text(socket)).await {
            Ok(Some(text)) => text,
            Ok(None) => return Err((close::BAD_REQUEST, "expected connection_init".into())),
            Err(_) => {
                return Err((
                    close::INIT_TIMEOUT,
                    "Connection initialisation timeout".into(),
                ));
            }
        };
        let envelope: Envelope = serde_json::from_str(&init).map_err(|_| {
            (
                close::BAD_REQUEST,
                "messages are graphql-transport-ws JSON".into(),
            )
        })?;
        if envelope.kind != "connection_init" {
            return Err((
                close::UNAUTHORIZED,
                "Unauthorized: send connection_init first".into(),
            ));
        }
        let Some(authorization) = envelope.payload.as_ref().and_then(presented_token) else {
            return Err((
                close::FORBIDDEN,
                "Forbidden: subscriptions need a staff token in the connection_init payload \
                 ({\"Authorization\": \"Bearer …\"})"
                    .into(),
            ));
        };
        let policy = &self.state.policy;
        let now = Instant::now();
        if let Some(limits) = &policy.rate_limits
            && let Err(limited) = limits.peek_failed_tokens(self.client, now)
        {
            return Err(too_many(limited.retry_after_seconds()));
        }
        let caller = self.state.auth.authenticate(Some(&authorization)).await;
        match &caller {
            Caller::Staff(_) => {}
            Caller::Rejected | Caller::Anonymous => {
                if let Some(limits) = &policy.rate_limits {
                    limits.count_failed_token(self.client, now);
                }
                return Err((
                    close::FORBIDDEN,
                    "Forbidden: the token is not valid (unknown, revoked or expired, or its \
                     account is disabled)"
                        .into(),
                ));
            }
            Caller::Unverified => {
                return Err((
                    close::TRY_AGAIN,
                    "the token could not be checked; try again".into(),
                ));
            }
        }
        if let Some(limits) = &policy.rate_limits
            && let Err(limited) = limits.check_request(&caller, self.client, now)
        {
            return Err(too_many(limited.retry_after_seconds()));
        }
        // async-graphql is handed the init without the token, which it does not need.
        let init = json!({ "type": "connection_init" }).to_string();
        Ok(SignedIn {
            authorization,
            caller,
            init,
        })
    }

    /// `None` while the connection's credentials still give the same staff member;
    /// otherwise why it is closed. A check that could not be made keeps it open.
    async fn still_valid(&self, signed_in: &SignedIn) -> Option<String> {
        let now = self
            .state
            .auth
            .authenticate(Some(&signed_in.authorization))
            .await;
        match now {
            Caller::Unverified => None,
            now if now == signed_in.caller => None,
            Caller::Staff(_) => Some(
                "Forbidden: your role or units changed; connect again to see your new scope".into(),
            ),
            Caller::Rejected | Caller::Anonymous => Some(
                "Forbidden: the token is no longer valid (revoked or expired, or its account \
                 is disabled)"
                    .into(),
            ),
        }
    }

    fn judge(&self, text: &str, caller: &Caller, active: &mut HashSet<String>) -> Verdict {
        let Ok(envelope) = serde_json::from_str::<Envelope>(text) else {
            return Verdict::Close(
                close::BAD_REQUEST,
                "messages are graphql-transport-ws JSON".into(),
            );
        };
        match envelope.kind.as_str() {
            "connection_init" => Verdict::Close(
                close::TOO_MANY_REQUESTS,
                "Too many initialisation requests".into(),
            ),
            "complete" => {
                if let Some(id) = &envelope.id {
                    active.remove(id);
                }
                Verdict::Forward
            }
            "subscribe" => {
                let Some(id) = envelope.id else {
                    return Verdict::Close(close::BAD_REQUEST, "subscribe needs an id".into());
                };
                if active.contains(&id) {
                    return Verdict::Close(
                        close::DUPLICATE_ID,
                        format!("Subscriber for {id} already exists"),
                    );
                }
                match self.admit(envelope.payload, caller, active.len()) {
                    Ok(()) => {
                        active.insert(id);
                        Verdict::Forward
                    }
                    Err(error) => Verdict::Answer(
                        json!({ "id": id, "type": "error", "payload": [error] }).to_string(),
                    ),
                }
            }
            _ => Verdict::Forward,
        }
    }

    /// Whether one more subscription may start; otherwise the GraphQL error to answer.
    fn admit(&self, payload: Option<Value>, caller: &Caller, running: usize) -> Result<(), Value> {
        let policy = &self.state.policy;
        if running >= self.state.live.max_subscriptions {
            return Err(graphql_error(
                Code::BadUserInput,
                format!(
                    "a connection runs at most {} subscriptions; complete one first",
                    self.state.live.max_subscriptions
                ),
                Some("live.max_subscriptions_per_connection"),
            ));
        }
        if let Some(limits) = &policy.rate_limits
            && let Err(limited) = limits.check_request(caller, self.client, Instant::now())
        {
            return Err(graphql_error(
                Code::RateLimited,
                format!(
                    "too many requests; try again in {} s",
                    limited.retry_after_seconds()
                ),
                None,
            ));
        }
        let request: Request = payload
            .and_then(|payload| serde_json::from_value(payload).ok())
            .ok_or_else(|| {
                graphql_error(
                    Code::BadUserInput,
                    "subscribe needs a payload with a query".into(),
                    None,
                )
            })?;
        let mut batch = BatchRequest::Single(request);
        if let Err(error) = check_batch(&mut batch, &policy.shape, &policy.known_types) {
            return Err(graphql_error(
                Code::BadUserInput,
                error.message,
                Some(&format!("graphql.{}", error.limit)),
            ));
        }
        let only_subscriptions = batch.iter_mut().all(|request| {
            request.parsed_query().map_or(true, |document| {
                document
                    .operations
                    .iter()
                    .all(|(_, operation)| operation.node.ty == OperationType::Subscription)
            })
        });
        if !only_subscriptions {
            return Err(graphql_error(
                Code::BadUserInput,
                "only subscriptions go over the WebSocket; send queries and mutations to \
                 POST /graphql"
                    .into(),
                None,
            ));
        }
        Ok(())
    }
}

/// The token from a `connection_init` payload: `{"Authorization": "Bearer …"}` (any
/// case of the key) or `{"token": "…"}`, as an Authorization header value.
fn presented_token(payload: &Value) -> Option<String> {
    let object = payload.as_object()?;
    let header = object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str());
    if let Some(header) = header {
        return Some(header.to_owned());
    }
    let token = object.get("token").and_then(Value::as_str)?;
    Some(format!("Bearer {token}"))
}

fn too_many(seconds: u64) -> (u16, String) {
    (
        close::TOO_MANY_REQUESTS,
        format!("too many failed or frequent requests; try again in {seconds} s"),
    )
}

fn graphql_error(code: Code, message: String, limit: Option<&str>) -> Value {
    let mut extensions = json!({ "code": code.as_str() });
    if let (Some(limit), Some(object)) = (limit, extensions.as_object_mut()) {
        object.insert("limit".into(), Value::String(limit.to_owned()));
    }
    json!({ "message": message, "extensions": extensions })
}

/// Forgets subscriptions async-graphql ended, and gives the errors async-graphql
/// raises itself (parsing, validation) a code, as the HTTP door does.
fn settle(text: String, active: &mut HashSet<String>) -> String {
    let Ok(mut message) = serde_json::from_str::<Value>(&text) else {
        return text;
    };
    let kind = message
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if matches!(kind, "complete" | "error")
        && let Some(id) = message.get("id").and_then(Value::as_str)
    {
        active.remove(id);
    }
    let errors = message
        .get_mut("payload")
        .and_then(|payload| payload.get_mut("errors"))
        .and_then(Value::as_array_mut);
    let Some(errors) = errors else {
        return text;
    };
    for error in errors.iter_mut() {
        let Some(error) = error.as_object_mut() else {
            continue;
        };
        let extensions = error.entry("extensions").or_insert_with(|| json!({}));
        if let Some(extensions) = extensions.as_object_mut() {
            extensions
                .entry("code")
                .or_insert_with(|| Value::String(Code::BadUserInput.as_str().into()));
        }
    }
    message.to_string()
}

async fn first_text(socket: &mut WebSocket) -> Option<String> {
    loop {
        match socket.recv().await? {
            Ok(Message::Text(text)) => return Some(text.as_str().to_owned()),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Binary(_) | Message::Close(_)) | Err(_) => return None,
        }
    }
}

async fn until_closing(closing: &mut Option<watch::Receiver<bool>>) {
    match closing {
        Some(closing) => {
            let server_gone = closing.wait_for(|closing| *closing).await.is_err();
            if server_gone {
                // The server is gone without saying so: nothing will ever close this.
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// Sends one message; false when the client is gone or too slow to take it.
async fn send(socket: &mut WebSocket, text: String) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await,
        Ok(Ok(()))
    )
}

async fn close_socket(socket: &mut WebSocket, code: u16, reason: &str) {
    debug!(code, reason, "closing a live connection");
    // A close reason is at most 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let reason = reason.get(..end).unwrap_or_default();
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}
