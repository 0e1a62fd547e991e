//! The Open311 GeoReport v2 door at `/open311/v2/`: the organisation's categories as
//! services, and service requests that become ordinary cases.
//!
//! A thin mapping: a POSTed form (form-encoded, or multipart with `media` files)
//! becomes a [`palaute_core::RawSubmission`], checked by the shared intake rules
//! ([`palaute_core::Submission::parse`]) and saved by [`Store::submit_case`], like any
//! other door's; broken rules come back as Open311's `[{code, description}]`. Reading a
//! request shows its state and never the submitter's contact details. Every endpoint
//! answers in JSON (`.json`) or XML (`.xml`).
//!
//! - `intake`: `POST requests`, API keys and the rate limit of submissions.
//! - `reading`: `GET requests`, `GET requests/{id}`, `GET tokens/{token}` and
//!   Helsinki's extensions (`extensions=true`, `locale`, place and text filters).
//! - `media`: `GET media/{id}`, the files sent with requests.

mod intake;
mod media;
mod multipart;
mod reading;
mod xml;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use palaute_core::guidance::Question;
use palaute_core::rate_limit::{
    KeyedLimiter, Limited, PeerAddress, client_address, client_key, submission_limiter,
};
use palaute_core::settings::AttachmentSettings;
use palaute_core::token::{api_token_hash, constant_time_eq};
use palaute_core::{Category, Language, Organisation, Settings};
use palaute_store::Store;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tower_http::trace::TraceLayer;

/// The path every endpoint is under.
pub const PREFIX: &str = "/open311/v2";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
/// When this door's interface last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-12-01T00:00:00+00:00";
/// A form of the longest description, percent-encoded, with room for the other fields.
const MAX_FORM_BYTES: usize = 256 * 1024;
/// The most requests one `GET requests` answers.
const MAX_LISTED: u64 = 200;
/// The spec's default window of `GET requests`: the last 90 days.
const DEFAULT_WINDOW_DAYS: i64 = 90;
/// The source of cases created with a key from `[open311] api_keys`.
pub const CONFIG_SOURCE: &str = "config";

/// What the door needs; cheap to clone.
#[derive(Clone)]
pub struct Open311Door {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    organisation: Arc<Organisation>,
    /// SHA-256 of each configured API key.
    key_hashes: Vec<String>,
    public_url: String,
    max_attempts: i32,
    /// Woken after a new case, so the worker routes it at once.
    jobs: Arc<Notify>,
    /// `[rate_limits]` submissions per client address, shared with the GraphQL door
    /// when the application gives it; `None` when limits are off.
    submissions: Option<Arc<KeyedLimiter<IpAddr>>>,
    trusted_proxy_hops: usize,
    /// How many files a request may carry, how large and of which types.
    attachments: AttachmentSettings,
    /// The largest `POST requests` body: every file a request may carry and the form.
    max_body_bytes: usize,
    body_read_timeout: Duration,
}

impl Open311Door {
    /// The door with a submissions bucket of its own.
    pub fn new(
        store: Store,
        organisation: Arc<Organisation>,
        settings: &Settings,
        jobs: Arc<Notify>,
    ) -> Self {
        let submissions = submission_limiter(&settings.rate_limits);
        Self::sharing_submissions(store, organisation, settings, jobs, submissions)
    }

    /// The door taking submissions from `submissions`, the bucket the other doors use
    /// (`palaute_api::RequestPolicy::submission_limiter`): one budget per client.
    pub fn sharing_submissions(
        store: Store,
        organisation: Arc<Organisation>,
        settings: &Settings,
        jobs: Arc<Notify>,
        submissions: Option<Arc<KeyedLimiter<IpAddr>>>,
    ) -> Self {
        let key_hashes = settings
            .open311
            .api_keys
            .iter()
            .map(|key| key.trim())
            .filter(|key| !key.is_empty())
            .map(api_token_hash)
            .collect();
        Self {
            inner: Arc::new(Inner {
                store,
                organisation,
                key_hashes,
                public_url: settings.public_url.trim_end_matches('/').to_owned(),
                max_attempts: settings.worker.max_attempts,
                jobs,
                submissions,
                trusted_proxy_hops: settings.http.trusted_proxy_hops,
                attachments: settings.attachments.clone(),
                max_body_bytes: settings
                    .attachments
                    .max_total_bytes()
                    .saturating_add(MAX_FORM_BYTES)
                    .saturating_add(64 * 1024),
                body_read_timeout: settings.http.body_read_timeout(),
            }),
        }
    }

    /// Takes a submission from the client's bucket, or says how long it must wait.
    fn check_submission_rate(
        &self,
        headers: &HeaderMap,
        peer: Option<&PeerAddress>,
    ) -> Result<(), Limited> {
        let Some(limiter) = &self.inner.submissions else {
            return Ok(());
        };
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        let client = client_address(
            forwarded,
            peer.map(|peer| peer.0.ip()),
            self.inner.trusted_proxy_hops,
        );
        limiter.check(&client_key(client), Instant::now())
    }

    /// The source name of the key `presented`: [`CONFIG_SOURCE`] for one of the keys
    /// in settings (every one compared, in constant time, whichever matches), else the
    /// name of a live key made with `palaute apikey create`; `None` for no valid key.
    async fn key_source(
        &self,
        presented: Option<&str>,
    ) -> Result<Option<String>, palaute_store::StoreError> {
        let Some(presented) = presented.map(str::trim).filter(|key| !key.is_empty()) else {
            return Ok(None);
        };
        let hash = api_token_hash(presented);
        let configured = self
            .inner
            .key_hashes
            .iter()
            .fold(false, |found, known| constant_time_eq(known, &hash) | found);
        if configured {
            return Ok(Some(CONFIG_SOURCE.to_owned()));
        }
        self.inner.store.api_key_name(&hash).await
    }
}

/// The routes under [`PREFIX`], ready to merge into the application.
pub fn router(door: Open311Door) -> Router {
    Router::new()
        .route(&format!("{PREFIX}/discovery"), get(discovery_json))
        .route(&format!("{PREFIX}/discovery.json"), get(discovery_json))
        .route(&format!("{PREFIX}/discovery.xml"), get(discovery_xml))
        .route(&format!("{PREFIX}/services.json"), get(services_json))
        .route(&format!("{PREFIX}/services.xml"), get(services_xml))
        .route(
            &format!("{PREFIX}/services/{{file}}"),
            get(service_definition),
        )
        .route(
            &format!("{PREFIX}/requests.json"),
            get(reading::list_requests_json).post(intake::post_request_json),
        )
        .route(
            &format!("{PREFIX}/requests.xml"),
            get(reading::list_requests_xml).post(intake::post_request_xml),
        )
        .route(
            &format!("{PREFIX}/requests/{{file}}"),
            get(reading::one_request),
        )
        .route(&format!("{PREFIX}/tokens/{{file}}"), get(reading::token))
        .route(&format!("{PREFIX}/media/{{id}}"), get(media_file))
        // POST requests reads its body itself, after the rate limit, within
        // `max_body_bytes` and the body read timeout; nothing else takes a body.
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(door)
}

async fn media_file(State(door): State<Open311Door>, Path(id): Path<String>) -> Response {
    media::serve(&door.inner.store, &id).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

impl Format {
    /// `name.json` or `name.xml`; a name without a format is JSON.
    fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(name) = file.strip_suffix(".json") {
            Some((name, Format::Json))
        } else if let Some(name) = file.strip_suffix(".xml") {
            Some((name, Format::Xml))
        } else if file.contains('.') {
            None
        } else {
            Some((file, Format::Json))
        }
    }
}

/// `value` as JSON, or as XML under the element `root`.
fn answer(status: StatusCode, format: Format, root: &str, value: &Value) -> Response {
    match format {
        Format::Json => (status, axum::Json(value)).into_response(),
        Format::Xml => (
            status,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            xml::document(root, value),
        )
            .into_response(),
    }
}

/// Open311's error shape: `[{code, description}]`, the code being the HTTP status.
fn errors(status: StatusCode, format: Format, descriptions: &[String]) -> Response {
    let list: Vec<Value> = descriptions
        .iter()
        .map(|description| json!({ "code": status.as_u16(), "description": description }))
        .collect();
    answer(status, format, "errors", &Value::Array(list))
}

fn error(status: StatusCode, format: Format, description: &str) -> Response {
    errors(status, format, &[description.to_owned()])
}

/// 429 in Open311's error shape, with `Retry-After`.
fn rate_limited(format: Format, limited: Limited) -> Response {
    let seconds = limited.retry_after_seconds();
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        format,
        &format!("too many service requests from this address; try again in {seconds} s"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn internal_error(format: Format) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format,
        "internal error; it has been logged",
    )
}

/// The query string's parameters; the first of a repeated one counts.
fn parameters(source: &[u8]) -> HashMap<String, String> {
    let mut parameters = HashMap::new();
    for (name, value) in form_urlencoded::parse(source) {
        parameters
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    parameters
}

fn query_parameters(query: Option<&str>) -> HashMap<String, String> {
    parameters(query.unwrap_or_default().as_bytes())
}

/// A parameter with text in it.
fn given<'a>(parameters: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    parameters
        .get(name)
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
}

/// `locale` (fi, sv, en, or the likes of `fi_FI`, `en-GB`) picks the language of names.
fn locale(parameters: &HashMap<String, String>) -> Language {
    given(parameters, "locale")
        .and_then(|locale| locale.get(..2))
        .map(str::to_ascii_lowercase)
        .and_then(|code| match code.as_str() {
            "fi" => Some(Language::Fi),
            "sv" => Some(Language::Sv),
            "en" => Some(Language::En),
            _ => None,
        })
        .unwrap_or(Language::DEFAULT)
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

// ---- discovery ----------------------------------------------------------------------

async fn discovery_json(State(door): State<Open311Door>) -> Response {
    discovery(&door, Format::Json)
}

async fn discovery_xml(State(door): State<Open311Door>) -> Response {
    discovery(&door, Format::Xml)
}

fn discovery(door: &Open311Door, format: Format) -> Response {
    let body = json!({
        "changeset": CHANGESET,
        "contact": "",
        "key_service": "Creating service requests needs an API key from the city; reading needs none.",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": format!("{}{PREFIX}", door.inner.public_url),
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    answer(StatusCode::OK, format, "discovery", &body)
}

// ---- services -----------------------------------------------------------------------

async fn services_json(State(door): State<Open311Door>, RawQuery(query): RawQuery) -> Response {
    services(&door, Format::Json, query.as_deref())
}

async fn services_xml(State(door): State<Open311Door>, RawQuery(query): RawQuery) -> Response {
    services(&door, Format::Xml, query.as_deref())
}

fn services(door: &Open311Door, format: Format, query: Option<&str>) -> Response {
    let language = locale(&query_parameters(query));
    let list: Vec<Value> = door
        .inner
        .organisation
        .categories
        .iter()
        .filter(|category| is_service(category))
        .map(|category| {
            json!({
                "service_code": category.code,
                "service_name": category.name.get(language),
                "description": category.name.get(language),
                "metadata": category.guidance.as_ref().is_some_and(|g| !g.questions.is_empty()),
                "type": "realtime",
                "keywords": category.keywords.join(","),
                "group": category.group.get(language),
            })
        })
        .collect();
    answer(StatusCode::OK, format, "services", &Value::Array(list))
}

/// Whether a category is a service one may request: a category whose guidance
/// redirects elsewhere ("an emergency: call 112") is not, and a request under it is
/// refused by the intake rules with the redirect's message.
fn is_service(category: &Category) -> bool {
    category
        .guidance
        .as_ref()
        .is_none_or(|guidance| guidance.redirect.is_none())
}

/// One question as a GeoReport v2 attribute.
fn attribute(question: &Question, order: usize, language: Language) -> Value {
    let values: Vec<Value> = question
        .choices
        .iter()
        .map(|choice| json!({ "key": choice.key, "name": choice.name.get(language) }))
        .collect();
    let mut attribute = serde_json::Map::new();
    attribute.insert("variable".into(), json!(true));
    attribute.insert("code".into(), json!(question.code));
    attribute.insert("datatype".into(), json!(question.kind.open311_datatype()));
    attribute.insert("required".into(), json!(question.required));
    attribute.insert("datatype_description".into(), Value::Null);
    attribute.insert("order".into(), json!(order));
    attribute.insert("description".into(), json!(question.question.get(language)));
    // The specification gives `values` only to the list datatypes.
    if !values.is_empty() {
        attribute.insert("values".into(), Value::Array(values));
    }
    Value::Object(attribute)
}

/// A service's definition: the category's extra questions as attributes.
async fn service_definition(
    State(door): State<Open311Door>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((code, format)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "no such format; use .json or .xml",
        );
    };
    let Some(category) = door
        .inner
        .organisation
        .category(code)
        .filter(|c| is_service(c))
    else {
        return error(
            StatusCode::NOT_FOUND,
            format,
            &format!("no service has the code {code:?}"),
        );
    };
    let language = locale(&query_parameters(query.as_deref()));
    let questions = category
        .guidance
        .as_ref()
        .map_or(&[][..], |guidance| guidance.questions.as_slice());
    let attributes: Vec<Value> = questions
        .iter()
        .enumerate()
        .map(|(order, question)| attribute(question, order + 1, language))
        .collect();
    let body = json!({ "service_code": code, "attributes": attributes });
    answer(StatusCode::OK, format, "service_definition", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_file_name() {
        assert_eq!(Format::split("171.json"), Some(("171", Format::Json)));
        assert_eq!(
            Format::split("HEL-2026-000001.xml"),
            Some(("HEL-2026-000001", Format::Xml))
        );
        assert_eq!(Format::split("171"), Some(("171", Format::Json)));
        assert_eq!(Format::split("171.csv"), None);
    }
}
