//! The operators' routes: `/metrics` (Prometheus; behind a token on the main listener,
//! or open on a separate admin listener) and `/readyz` (may this process take traffic?).
//! `/healthz`, "is the process alive", is the API's.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use palaute_core::Settings;
use palaute_core::settings::ReadinessSettings;
use palaute_core::token::constant_time_eq;
use palaute_store::{Store, StoreError};
use serde_json::{Map, Value, json};

const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone)]
pub struct Operations {
    store: Store,
    /// Bearer tokens `/metrics` accepts on the main listener; empty: it answers 404.
    metrics_tokens: Arc<[String]>,
    readiness: ReadinessSettings,
}

impl Operations {
    /// `admin_token` is accepted on `/metrics` only once `[metrics] token` turns the
    /// endpoint on (a `worker` process has none: it serves only the admin listener).
    pub fn new(store: Store, settings: &Settings, admin_token: Option<&str>) -> Self {
        let metrics_tokens: Vec<String> = match settings.metrics.token() {
            Some(token) => std::iter::once(token)
                .chain(admin_token)
                .map(str::to_owned)
                .collect(),
            None => Vec::new(),
        };
        Self {
            store,
            metrics_tokens: metrics_tokens.into(),
            readiness: settings.readiness.clone(),
        }
    }

    /// `/metrics` (with a token) and `/readyz`, for the main listener.
    pub fn router(self) -> Router {
        Router::new()
            .route("/metrics", get(metrics_with_token))
            .route("/readyz", get(readyz))
            .with_state(self)
    }

    /// `/metrics` without a token, for the admin listener of `[metrics] listen`.
    pub fn admin_router(self) -> Router {
        Router::new()
            .route("/metrics", get(metrics_open))
            .with_state(self)
    }
}

async fn metrics_with_token(State(ops): State<Operations>, headers: HeaderMap) -> Response {
    if ops.metrics_tokens.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    // Every token compared, in constant time, whichever matches.
    let allowed = presented.is_some_and(|presented| {
        ops.metrics_tokens.iter().fold(false, |found, token| {
            constant_time_eq(token, presented) | found
        })
    });
    if !allowed {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "send the [metrics] token as Authorization: Bearer …\n",
        )
            .into_response();
    }
    metrics_open(State(ops)).await
}

async fn metrics_open(State(ops): State<Operations>) -> Response {
    match crate::telemetry::render(&ops.store).await {
        Ok(text) => ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], text).into_response(),
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "could not read the figures /metrics needs"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database did not answer\n",
            )
                .into_response()
        }
    }
}

/// 200 when the database answers, its migrations are current and the index is within
/// the configured lag; else 503 naming each check that failed.
async fn readyz(State(ops): State<Operations>) -> Response {
    let mut failing = Map::new();
    match bounded(ops.store.ping()).await {
        Ok(()) => {}
        Err(error) => {
            tracing::warn!(error = %error, "not ready: the database does not answer");
            failing.insert("database".into(), json!("does not answer"));
            return not_ready(failing);
        }
    }
    match bounded(ops.store.pending_migrations()).await {
        Ok(pending) if pending.is_empty() => {}
        Ok(pending) => {
            failing.insert("migrations".into(), json!({ "pending": pending }));
        }
        Err(error) => {
            tracing::warn!(error = %error, "not ready: could not read the migrations");
            failing.insert("migrations".into(), json!("could not be read"));
        }
    }
    match bounded(ops.store.index_lag()).await {
        Ok(lag) => {
            let waited = lag.oldest_since.map_or(0, |since| {
                (palaute_store::now() - since).num_seconds().max(0)
            });
            let waited = u64::try_from(waited).unwrap_or(0);
            if lag.waiting > ops.readiness.max_index_lag_changes
                || waited > ops.readiness.max_index_lag_seconds
            {
                failing.insert(
                    "index".into(),
                    json!({
                        "waiting_cases": lag.waiting,
                        "oldest_waiting_seconds": waited,
                        "max_cases": ops.readiness.max_index_lag_changes,
                        "max_seconds": ops.readiness.max_index_lag_seconds,
                    }),
                );
            }
        }
        Err(error) => {
            tracing::warn!(error = %error, "not ready: could not read the index queue");
            failing.insert("index".into(), json!("could not be read"));
        }
    }
    if failing.is_empty() {
        (StatusCode::OK, axum::Json(json!({ "status": "ready" }))).into_response()
    } else {
        not_ready(failing)
    }
}

/// A probe is answered within its own timeout: a check that waits longer than this (a
/// database that accepts connections but does not answer) counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

async fn bounded<T>(
    check: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, anyhow::Error> {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(outcome) => outcome.map_err(anyhow::Error::new),
        Err(_) => Err(anyhow::anyhow!(
            "no answer within {} s",
            CHECK_TIMEOUT.as_secs()
        )),
    }
}

fn not_ready(failing: Map<String, Value>) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({ "status": "not ready", "not_ready": failing })),
    )
        .into_response()
}
