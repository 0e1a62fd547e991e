//! The stylesheet and script, compiled into the binary and served under `/static/`,
//! so that a page needs nothing from another host.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const SITE_CSS: &str = include_str!("../static/site.css");
const FORM_JS: &str = include_str!("../static/form.js");

/// Assets change only with a new build; an hour keeps repeat visits light.
const CACHE_CONTROL: &str = "public, max-age=3600";

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/static/site.css", get(site_css))
        .route("/static/form.js", get(form_js))
}

async fn site_css() -> Response {
    asset("text/css; charset=utf-8", SITE_CSS)
}

async fn form_js() -> Response {
    asset("text/javascript; charset=utf-8", FORM_JS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_CONTROL),
            ),
        ],
        body,
    )
        .into_response()
}
