//! The HTTP routes: `POST /graphql`, GraphiQL on `GET /graphql`, and `/healthz`.
//!
//! The GraphQL body is read and parsed here rather than by an extractor, so that an
//! oversized or slow body, malformed JSON or invalid UTF-8 each get a JSON error with
//! `extensions.code` and the right HTTP status; and so that rate limits and the
//! request's shape are checked before async-graphql parses or runs anything.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_graphql::{BatchRequest, BatchResponse};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use futures::{FutureExt, StreamExt};
use palaute_core::Settings;
use palaute_core::rate_limit::{KeyedLimiter, Limited, Quota, client_key, submission_limiter};
use palaute_store::Store;
use serde_json::json;
use tower_http::trace::TraceLayer;

use crate::auth::{Caller, StaffAuth};
use crate::errors::Code;
use crate::request_shape::{KnownTypes, ShapeError, ShapeLimits, check_batch};
use crate::schema::ApiSchema;
use crate::server::PeerAddress;
use crate::websocket::LiveDoor;

/// Everything the routes need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub schema: ApiSchema,
    pub store: Store,
    pub auth: StaffAuth,
    pub policy: Arc<RequestPolicy>,
    /// Set once migrations have run; `/healthz` answers 503 until then.
    pub ready: Arc<AtomicBool>,
    /// Subscriptions at `/graphql/ws`.
    pub live: LiveDoor,
}

/// What a request may be and how often, from settings.
#[derive(Debug)]
pub struct RequestPolicy {
    pub max_body_bytes: usize,
    pub body_read_timeout: Duration,
    pub shape: ShapeLimits,
    pub known_types: KnownTypes,
    pub graphiql: bool,
    pub anonymous_introspection: bool,
    pub trusted_proxy_hops: usize,
    /// `None` when rate limits are off.
    pub rate_limits: Option<RateLimits>,
}

/// The token buckets of one API process.
#[derive(Debug)]
pub struct RateLimits {
    /// Shared with the other doors that take submissions (see `submission_limiter`).
    submissions: Option<Arc<KeyedLimiter<IpAddr>>>,
    anonymous: Option<KeyedLimiter<IpAddr>>,
    staff: Option<KeyedLimiter<String>>,
    /// Tokens that failed to authenticate, per client address: once a client's bucket
    /// is empty, its tokens are refused before they cost a database lookup.
    failed_tokens: Option<KeyedLimiter<IpAddr>>,
}

impl RequestPolicy {
    pub fn from_settings(settings: &Settings, schema: &ApiSchema) -> Self {
        let graphql = &settings.graphql;
        let limits = &settings.rate_limits;
        Self {
            max_body_bytes: graphql.max_body_bytes,
            body_read_timeout: settings.http.body_read_timeout(),
            shape: ShapeLimits {
                max_value_depth: graphql.max_value_depth.max(1),
                // Fields, plus an inline fragment or spread around each of them.
                max_selection_depth: graphql.max_depth.max(1).saturating_mul(2),
                max_fields: graphql.max_fields,
                max_aliases: graphql.max_aliases,
                max_root_fields: graphql.max_root_fields.max(1),
                max_batch: graphql.max_batch.max(1),
                // Each submission creates a case and may email someone: one a request.
                max_submissions: 1,
            },
            known_types: KnownTypes::from_sdl(&schema.sdl()),
            graphiql: graphql.graphiql,
            anonymous_introspection: graphql.anonymous_introspection,
            trusted_proxy_hops: settings.http.trusted_proxy_hops,
            rate_limits: limits.enabled.then(|| RateLimits {
                submissions: submission_limiter(limits),
                anonymous: limiter(
                    limits.anonymous_requests_per_second,
                    Duration::from_secs(1),
                    limits.anonymous_burst,
                ),
                staff: limiter(
                    limits.staff_requests_per_second,
                    Duration::from_secs(1),
                    limits.staff_burst,
                ),
                failed_tokens: limiter(
                    limits.anonymous_requests_per_second,
                    Duration::from_secs(1),
                    limits.anonymous_burst,
                ),
            }),
        }
    }
}

impl RequestPolicy {
    /// The bucket of anonymous submissions per client address, for the other doors
    /// that take submissions (Open311): one budget per client across the doors.
    pub fn submission_limiter(&self) -> Option<Arc<KeyedLimiter<IpAddr>>> {
        self.rate_limits.as_ref()?.submissions.clone()
    }
}

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/graphql/ws", get(crate::websocket::graphql_ws))
        .route("/graphiql/start.js", get(graphiql_script))
        .route("/healthz", get(healthz))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// GraphiQL's assets are pinned with integrity hashes; the page runs no inline script.
const GRAPHIQL_PAGE: &str = include_str!("../assets/graphiql.html");
const GRAPHIQL_START: &str = include_str!("../assets/graphiql-start.js");
const GRAPHIQL_CSP: &str = "default-src 'none'; script-src 'self' https://unpkg.com; \
    style-src https://unpkg.com 'unsafe-inline'; font-src https://unpkg.com data:; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

async fn graphiql(State(state): State<AppState>) -> Response {
    if !state.policy.graphiql {
        return (StatusCode::NOT_FOUND, "GraphiQL is turned off here").into_response();
    }
    let mut response = Html(GRAPHIQL_PAGE).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(GRAPHIQL_CSP),
    );
    response
}

async fn graphiql_script(State(state): State<AppState>) -> Response {
    if !state.policy.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        GRAPHIQL_START,
    )
        .into_response()
}

async fn healthz(State(state): State<AppState>) -> Response {
    if !state.ready.load(Ordering::Acquire) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "starting" })),
        )
            .into_response();
    }
    match state.store.ping().await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(error) => {
            tracing::error!(error = %error, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "database unavailable" })),
            )
                .into_response()
        }
    }
}

async fn graphql(
    State(state): State<AppState>,
    peer: Option<Extension<PeerAddress>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let policy = &state.policy;
    if !is_json(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the GraphQL request as JSON (Content-Type: application/json)".into(),
        );
    }
    let client = client_address(
        &headers,
        peer.map(|Extension(peer)| peer.0.ip()),
        policy.trusted_proxy_hops,
    );
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let now = Instant::now();
    if authorization.is_some()
        && let Some(limits) = &policy.rate_limits
        && let Err(limited) = limits.peek_failed_tokens(client, now)
    {
        return rate_limited(limited);
    }
    let caller = state.auth.authenticate(authorization).await;
    if caller == Caller::Rejected
        && let Some(limits) = &policy.rate_limits
    {
        limits.count_failed_token(client, now);
    }
    if let Some(limits) = &policy.rate_limits
        && let Err(limited) = limits.check_request(&caller, client, now)
    {
        // The body is left unread, so the connection cannot carry another request.
        let mut response = rate_limited(limited);
        close_connection(&mut response);
        return response;
    }

    let bytes = match tokio::time::timeout(
        policy.body_read_timeout,
        read_body(body, policy.max_body_bytes),
    )
    .await
    {
        Ok(Ok(BodyRead::Complete(bytes))) => bytes,
        Ok(Ok(BodyRead::TooLarge { drained })) => {
            let mut response = request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {} bytes",
                    policy.max_body_bytes
                ),
            );
            if !drained {
                // The rest of the body was never read, so this connection cannot
                // carry another request: tell the client not to reuse it.
                close_connection(&mut response);
            }
            return response;
        }
        Ok(Err(_)) => {
            let mut response = request_error(
                StatusCode::BAD_REQUEST,
                "the request body could not be read".into(),
            );
            close_connection(&mut response);
            return response;
        }
        Err(_) => {
            let mut response = request_error(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} seconds",
                    policy.body_read_timeout.as_secs()
                ),
            );
            close_connection(&mut response);
            return response;
        }
    };
    if std::str::from_utf8(&bytes).is_err() {
        return request_error(
            StatusCode::BAD_REQUEST,
            "the request body is not valid UTF-8".into(),
        );
    }
    let mut batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(error) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                format!("the request body is not a GraphQL request in JSON: {error}"),
            );
        }
    };
    let shape = match check_batch(&mut batch, &policy.shape, &policy.known_types) {
        Ok(shape) => shape,
        Err(error) => return shape_error(&error),
    };
    if shape.submissions > 0
        && caller.staff().is_none()
        && let Some(limits) = &policy.rate_limits
        && let Err(limited) = limits.check_submission(client, now)
    {
        return rate_limited(limited);
    }
    if caller.staff().is_none() && !policy.anonymous_introspection {
        batch = batch.disable_introspection();
    }
    let mutates = crate::live::mutates(&mut batch);
    // A panic inside async-graphql or a resolver must cost the request, not the
    // connection: it is logged and answered as an internal error.
    let execution = std::panic::AssertUnwindSafe(state.schema.execute_batch(batch.data(caller)));
    let executed = execution.catch_unwind().await;
    if mutates {
        // Subscribers here see the change at once rather than at the next poll.
        state.live.feed().changed();
    }
    match executed {
        Ok(response) => Json(with_error_codes(response)).into_response(),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            tracing::error!(panic = message, "a GraphQL request panicked");
            let body = json!({
                "errors": [{
                    "message": "internal error; it has been logged",
                    "extensions": { "code": Code::Internal.as_str() }
                }]
            });
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
    }
}

fn limiter<K: Eq + std::hash::Hash + Clone>(
    rate: u32,
    period: Duration,
    burst: u32,
) -> Option<KeyedLimiter<K>> {
    Quota::new(rate, period, burst).map(KeyedLimiter::new)
}

impl RateLimits {
    /// Every request: staff per credential, everyone else per client address.
    pub(crate) fn check_request(
        &self,
        caller: &Caller,
        client: IpAddr,
        now: Instant,
    ) -> Result<(), Limited> {
        match caller.staff() {
            Some(member) => self
                .staff
                .as_ref()
                .map_or(Ok(()), |staff| staff.check(&member.email, now)),
            None => self.anonymous.as_ref().map_or(Ok(()), |anonymous| {
                anonymous.check(&client_key(client), now)
            }),
        }
    }

    pub(crate) fn peek_failed_tokens(&self, client: IpAddr, now: Instant) -> Result<(), Limited> {
        self.failed_tokens
            .as_ref()
            .map_or(Ok(()), |failed| failed.peek(&client_key(client), now))
    }

    pub(crate) fn count_failed_token(&self, client: IpAddr, now: Instant) {
        if let Some(failed) = &self.failed_tokens {
            // An empty bucket is what the next peek reports; nothing to do here.
            let _ = failed.check(&client_key(client), now);
        }
    }

    fn check_submission(&self, client: IpAddr, now: Instant) -> Result<(), Limited> {
        self.submissions.as_ref().map_or(Ok(()), |submissions| {
            submissions.check(&client_key(client), now)
        })
    }
}

/// The client's address, as [`palaute_core::rate_limit::client_address`] finds it
/// from the request's `X-Forwarded-For` lines.
pub(crate) fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, hops: usize) -> IpAddr {
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok());
    palaute_core::rate_limit::client_address(forwarded, peer, hops)
}

fn rate_limited(limited: Limited) -> Response {
    let seconds = limited.retry_after_seconds();
    let body = json!({
        "errors": [{
            "message": format!("too many requests; try again in {seconds} s"),
            "extensions": { "code": Code::RateLimited.as_str(), "retryAfterSeconds": seconds }
        }]
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn shape_error(error: &ShapeError) -> Response {
    let body = json!({
        "errors": [{
            "message": error.message,
            "extensions": { "code": Code::BadUserInput.as_str(), "limit": format!("graphql.{}", error.limit) }
        }]
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn close_connection(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// Errors async-graphql raises itself (syntax, validation, depth and complexity
/// limits) carry no code; they are all faults of the request.
fn with_error_codes(mut response: BatchResponse) -> BatchResponse {
    let responses = match &mut response {
        BatchResponse::Single(single) => std::slice::from_mut(single),
        BatchResponse::Batch(many) => many.as_mut_slice(),
    };
    for error in responses.iter_mut().flat_map(|r| r.errors.iter_mut()) {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Code::BadUserInput.as_str());
        }
    }
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            let media = media.trim();
            media.eq_ignore_ascii_case("application/json")
                || media.eq_ignore_ascii_case("application/graphql-response+json")
        })
}

/// An error about the HTTP request itself, shaped like a GraphQL error response.
fn request_error(status: StatusCode, message: String) -> Response {
    let body = json!({
        "errors": [{
            "message": message,
            "extensions": { "code": Code::BadUserInput.as_str() }
        }]
    });
    (status, Json(body)).into_response()
}

/// Serves the API on `listener` until `shutdown` resolves, then lets requests in
/// flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    http: &palaute_core::settings::HttpSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::server::serve_http(listener, app(state), http, shutdown).await
}

/// How many times the body limit an oversized body is still read (and thrown away)
/// before the 413 answer. A client that sends a little too much then reads its 413
/// instead of a broken pipe: closing a socket with unread data makes the kernel reset
/// the connection, and the client may lose the answer. Beyond this, the connection
/// is closed unread.
const DRAIN_FACTOR: usize = 16;

enum BodyRead {
    Complete(Bytes),
    /// Over the limit; `drained` says whether the whole body was read anyway.
    TooLarge {
        drained: bool,
    },
}

/// Reads a body of at most `limit` bytes; the caller bounds the time it may take.
async fn read_body(body: Body, limit: usize) -> Result<BodyRead, axum::Error> {
    let drain_limit = limit.saturating_mul(DRAIN_FACTOR);
    let mut stream = body.into_data_stream();
    let mut collected = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len());
        if seen > drain_limit {
            return Ok(BodyRead::TooLarge { drained: false });
        }
        if seen <= limit {
            collected.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        Ok(BodyRead::TooLarge { drained: true })
    } else {
        Ok(BodyRead::Complete(Bytes::from(collected)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                "x-forwarded-for",
                HeaderValue::from_str(value).expect("header"),
            );
        }
        headers
    }

    #[test]
    fn the_client_is_the_entry_the_trusted_proxies_added() {
        let peer: IpAddr = "10.0.0.2".parse().expect("ip");
        let ip = |text: &str| text.parse::<IpAddr>().expect("ip");
        // No trusted proxy: the header is the client's own word and is ignored.
        let spoofed = forwarded(&["203.0.113.9"]);
        assert_eq!(client_address(&spoofed, Some(peer), 0), peer);
        // One proxy appends the address it saw; whatever the client wrote stays left.
        let one = forwarded(&["198.51.100.1, 203.0.113.7"]);
        assert_eq!(client_address(&one, Some(peer), 1), ip("203.0.113.7"));
        // Two proxies, the header split over two lines.
        let two = forwarded(&["198.51.100.1, 203.0.113.7", "10.0.0.1"]);
        assert_eq!(client_address(&two, Some(peer), 2), ip("203.0.113.7"));
        // Fewer entries than proxies, or garbage: the peer.
        assert_eq!(client_address(&one, Some(peer), 5), peer);
        let garbage = forwarded(&["not an address"]);
        assert_eq!(client_address(&garbage, Some(peer), 1), peer);
        assert_eq!(client_address(&HeaderMap::new(), Some(peer), 1), peer);
    }
}
