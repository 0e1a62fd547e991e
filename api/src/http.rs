//! The HTTP routes: `POST /graphql`, GraphiQL on `GET /graphql`, and `/healthz`.
//!
//! The GraphQL body is read and parsed here rather than by an extractor, so that an
//! oversized body, malformed JSON or invalid UTF-8 each get a JSON error with
//! `extensions.code` and the right HTTP status.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse};
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use palaute_store::Store;
use serde_json::json;
use tower_http::trace::TraceLayer;

use crate::auth::StaffAuth;
use crate::errors::Code;
use crate::schema::ApiSchema;

/// Everything the routes need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub schema: ApiSchema,
    pub store: Store,
    pub auth: StaffAuth,
    pub max_body_bytes: usize,
    /// Set once migrations have run; `/healthz` answers 503 until then.
    pub ready: Arc<AtomicBool>,
}

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/healthz", get(healthz))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
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

async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    if !is_json(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the GraphQL request as JSON (Content-Type: application/json)".into(),
        );
    }
    let bytes = match to_bytes(body, state.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let mut response = request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {} bytes",
                    state.max_body_bytes
                ),
            );
            // The rest of the body is never read, so this connection cannot carry
            // another request: tell the client not to reuse it.
            response.headers_mut().insert(
                header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            return response;
        }
    };
    if std::str::from_utf8(&bytes).is_err() {
        return request_error(
            StatusCode::BAD_REQUEST,
            "the request body is not valid UTF-8".into(),
        );
    }
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(error) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                format!("the request body is not a GraphQL request in JSON: {error}"),
            );
        }
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let caller = state.auth.authenticate(authorization);
    let response = state.schema.execute_batch(batch.data(caller)).await;
    Json(with_error_codes(response)).into_response()
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
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
