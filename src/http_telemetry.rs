//! The layer every HTTP request of `serve` passes through, whatever door it is for:
//! it gives the request an id (returned as `X-Request-Id`), runs it inside a tracing
//! span and the store's request scope carrying that id (so jobs it writes carry it
//! too), and counts it by its route template and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use palaute_store::with_request_id;
use tracing::Instrument;

use crate::request_id::{REQUEST_ID_HEADER, request_id};
use crate::telemetry::{HTTP_REQUEST_SECONDS, HTTP_REQUESTS_TOTAL, RATE_LIMITED_TOTAL};

/// Requests no route matched share one label, so scanners cannot add series.
const UNMATCHED: &str = "unmatched";

/// `axum::middleware::from_fn(track_request)`, applied with `Router::layer` so that the
/// matched route template is known.
pub async fn track_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    let id = request_id(request.headers());
    // Only the id, method and route: never the query string or a header's value.
    let span = tracing::info_span!("http_request", request_id = %id, method, route = %route);
    let mut response = with_request_id(Some(id.clone()), next.run(request))
        .instrument(span)
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let status = response.status();
    let labels = [
        ("method", method.to_owned()),
        ("route", route.clone()),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS_TOTAL, &labels).increment(1);
    metrics::histogram!(HTTP_REQUEST_SECONDS, &labels).record(started.elapsed().as_secs_f64());
    if status == StatusCode::TOO_MANY_REQUESTS {
        metrics::counter!(RATE_LIMITED_TOTAL, "door" => door_of(&route)).increment(1);
    }
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Which door a route belongs to, for the rate-limit count.
fn door_of(route: &str) -> &'static str {
    if route.starts_with("/graphql") {
        "graphql"
    } else if route.starts_with("/open311") {
        "open311"
    } else if route.starts_with("/inbound") {
        "mail"
    } else if route == UNMATCHED {
        UNMATCHED
    } else {
        "web"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doors_are_told_by_route_template() {
        assert_eq!(door_of("/graphql"), "graphql");
        assert_eq!(door_of("/open311/v2/requests.json"), "open311");
        assert_eq!(door_of("/track/{reference}"), "web");
        assert_eq!(door_of(UNMATCHED), UNMATCHED);
    }

    #[test]
    fn unusual_methods_share_a_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").expect("a method")),
            "other"
        );
    }
}
