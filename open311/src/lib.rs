//! The Open311 GeoReport v2 door at `/open311/v2/`: the organisation's categories as
//! services, and service requests that become ordinary cases.
//!
//! A thin mapping: a POSTed form becomes a [`RawSubmission`], checked by the shared
//! intake rules ([`Submission::parse`]) and saved by [`Store::submit_case`], like any
//! other door's; broken rules come back as Open311's `[{code, description}]`. Reading a
//! request shows its state and never the submitter's contact details. Every endpoint
//! answers in JSON (`.json`) or XML (`.xml`).

mod xml;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use palaute_core::token::{api_token_hash, constant_time_eq};
use palaute_core::{
    CaseStatus, Channel, Field, FieldErrors, Language, Organisation, RawSubmission, Reference,
    Settings, Submission,
};
use palaute_store::{CaseFilter, CaseOrder, CaseRecord, NewCase, Store};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tower_http::trace::TraceLayer;

/// The path every endpoint is under.
pub const PREFIX: &str = "/open311/v2";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
/// When this door's interface last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-12-01T00:00:00+00:00";
/// A form of the longest description, percent-encoded, with room for the other fields.
const MAX_BODY_BYTES: usize = 256 * 1024;
/// The most requests one `GET requests` answers.
const MAX_LISTED: u64 = 200;
/// The spec's default window of `GET requests`: the last 90 days.
const DEFAULT_WINDOW_DAYS: i64 = 90;

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
}

impl Open311Door {
    pub fn new(
        store: Store,
        organisation: Arc<Organisation>,
        settings: &Settings,
        jobs: Arc<Notify>,
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
            }),
        }
    }

    /// Whether `presented` is one of the configured keys. Every key is compared, in
    /// constant time, whichever matches.
    fn accepts_key(&self, presented: Option<&str>) -> bool {
        let Some(presented) = presented.map(str::trim).filter(|key| !key.is_empty()) else {
            return false;
        };
        let hash = api_token_hash(presented);
        self.inner
            .key_hashes
            .iter()
            .fold(false, |found, known| constant_time_eq(known, &hash) | found)
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
            get(list_requests_json).post(post_request_json),
        )
        .route(
            &format!("{PREFIX}/requests.xml"),
            get(list_requests_xml).post(post_request_xml),
        )
        .route(&format!("{PREFIX}/requests/{{file}}"), get(one_request))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(door)
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
        .map(|category| {
            json!({
                "service_code": category.code,
                "service_name": category.name.get(language),
                "description": category.name.get(language),
                "metadata": false,
                "type": "realtime",
                "keywords": category.keywords.join(","),
                "group": category.group.get(language),
            })
        })
        .collect();
    answer(StatusCode::OK, format, "services", &Value::Array(list))
}

/// A service's definition: no category asks for attributes of its own yet.
async fn service_definition(State(door): State<Open311Door>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "no such format; use .json or .xml",
        );
    };
    if door.inner.organisation.category(code).is_none() {
        return error(
            StatusCode::NOT_FOUND,
            format,
            &format!("no service has the code {code:?}"),
        );
    }
    let body = json!({ "service_code": code, "attributes": [] });
    answer(StatusCode::OK, format, "service_definition", &body)
}

// ---- creating a request -------------------------------------------------------------

async fn post_request_json(
    State(door): State<Open311Door>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    post_request(&door, Format::Json, &headers, body).await
}

async fn post_request_xml(
    State(door): State<Open311Door>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    post_request(&door, Format::Xml, &headers, body).await
}

async fn post_request(
    door: &Open311Door,
    format: Format,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return error(rejection.status(), format, &rejection.body_text());
        }
    };
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    if media.as_deref() != Some("application/x-www-form-urlencoded") {
        return error(
            StatusCode::BAD_REQUEST,
            format,
            "send the request form-encoded (Content-Type: application/x-www-form-urlencoded)",
        );
    }
    let form = parameters(&body);
    if !door.accepts_key(form.get("api_key").map(String::as_str)) {
        return error(
            StatusCode::FORBIDDEN,
            format,
            "api_key is missing or not valid",
        );
    }
    let raw = match raw_submission(&form) {
        Ok(raw) => raw,
        Err(problems) => return errors(StatusCode::BAD_REQUEST, format, &problems),
    };
    let submission = match Submission::parse(raw, &door.inner.organisation) {
        Ok(submission) => submission,
        Err(problems) => {
            return errors(StatusCode::BAD_REQUEST, format, &describe(&problems));
        }
    };
    let submitted = match door
        .inner
        .store
        .submit_case(
            NewCase::from(submission),
            door.inner.max_attempts,
            palaute_store::now(),
        )
        .await
    {
        Ok(submitted) => submitted,
        Err(failure) => {
            tracing::error!(error = %failure, "saving an open311 service request failed");
            return internal_error(format);
        }
    };
    if !submitted.replayed {
        door.inner.jobs.notify_one();
        tracing::info!(case = %submitted.reference, channel = %Channel::Open311, "feedback received");
    }
    let body = json!([{
        "service_request_id": submitted.reference.to_string(),
        "service_notice": "Thank you. The request has been received and will be directed to the unit that handles it.",
        "account_id": null,
    }]);
    answer(StatusCode::OK, format, "service_requests", &body)
}

/// The form's fields as a submission, or what is wrong with the form itself (before
/// any intake rule: those are `Submission::parse`'s).
fn raw_submission(form: &HashMap<String, String>) -> Result<RawSubmission, Vec<String>> {
    let mut problems = Vec::new();
    let service_code = given(form, "service_code");
    if service_code.is_none() {
        problems.push("service_code is required".to_owned());
    }
    let mut coordinate = |name: &str| {
        let text = given(form, name)?;
        match text.parse::<f64>() {
            Ok(value) => Some(value),
            Err(_) => {
                problems.push(format!("{name} must be a decimal number (WGS84 degrees)"));
                None
            }
        }
    };
    let latitude = coordinate("lat");
    let longitude = coordinate("long");
    let address = given(form, "address_string");
    let has_coordinates = given(form, "lat").is_some() || given(form, "long").is_some();
    if !has_coordinates && address.is_none() {
        problems.push(if given(form, "address_id").is_some() {
            "address_id is not supported here; give lat and long, or address_string".to_owned()
        } else {
            "a location is required: give lat and long, or address_string".to_owned()
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let name = [given(form, "first_name"), given(form, "last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(RawSubmission {
        channel: Channel::Open311,
        description: form.get("description").cloned().unwrap_or_default(),
        // Helsinki's extension: a title beside the description.
        title: form.get("title").cloned(),
        category_code: service_code.map(str::to_owned),
        language: None,
        contact_name: (!name.is_empty()).then_some(name),
        contact_email: form.get("email").cloned(),
        contact_phone: form.get("phone").cloned(),
        latitude,
        longitude,
        address: address.map(str::to_owned),
        idempotency_key: None,
    })
}

/// The Open311 name of a submission field.
fn open311_field(field: Field) -> &'static str {
    match field {
        Field::Description => "description",
        Field::Title => "title",
        Field::CategoryCode => "service_code",
        Field::ContactName => "first_name/last_name",
        Field::ContactEmail => "email",
        Field::ContactPhone => "phone",
        Field::Coordinates => "lat/long",
        Field::Latitude => "lat",
        Field::Longitude => "long",
        Field::Address => "address_string",
        Field::IdempotencyKey => "idempotency_key",
    }
}

fn describe(problems: &FieldErrors) -> Vec<String> {
    problems
        .iter()
        .map(|problem| format!("{}: {}", open311_field(problem.field), problem.message))
        .collect()
}

// ---- reading requests ---------------------------------------------------------------

/// A case as a service request: its state, never who sent it.
fn service_request(case: &CaseRecord, organisation: &Organisation, language: Language) -> Value {
    let closed = matches!(case.status, CaseStatus::Resolved | CaseStatus::Closed);
    let category = case
        .category_code
        .as_deref()
        .and_then(|code| organisation.category(code));
    let unit = case
        .unit_code
        .as_deref()
        .and_then(|code| organisation.unit(code));
    let location = case.location.as_ref();
    json!({
        "service_request_id": case.reference.to_string(),
        "status": if closed { "closed" } else { "open" },
        "status_notes": case.status.name().get(language),
        "service_name": category.map(|category| category.name.get(language)),
        "service_code": case.category_code,
        "description": case.description,
        "agency_responsible": unit.map(|unit| unit.name.get(language)),
        "service_notice": null,
        "requested_datetime": timestamp(case.created_at),
        "updated_datetime": timestamp(case.updated_at),
        "expected_datetime": case.due_at.map(timestamp),
        "address": location.and_then(|place| place.address.clone()),
        "address_id": null,
        "zipcode": null,
        "lat": location.and_then(|place| place.lat),
        "long": location.and_then(|place| place.lon),
        "media_url": null,
    })
}

async fn one_request(
    State(door): State<Open311Door>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((id, format)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "no such format; use .json or .xml",
        );
    };
    let language = locale(&query_parameters(query.as_deref()));
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            format,
            &format!("no service request has the id {id:?}"),
        )
    };
    let Ok(reference) = Reference::parse(id) else {
        return not_found();
    };
    match door.inner.store.case_by_reference(&reference).await {
        Ok(Some(case)) => {
            let item = service_request(&case, &door.inner.organisation, language);
            answer(StatusCode::OK, format, "service_requests", &json!([item]))
        }
        Ok(None) => not_found(),
        Err(failure) => {
            tracing::error!(error = %failure, "reading an open311 service request failed");
            internal_error(format)
        }
    }
}

async fn list_requests_json(
    State(door): State<Open311Door>,
    RawQuery(query): RawQuery,
) -> Response {
    list_requests(&door, Format::Json, query.as_deref()).await
}

async fn list_requests_xml(State(door): State<Open311Door>, RawQuery(query): RawQuery) -> Response {
    list_requests(&door, Format::Xml, query.as_deref()).await
}

/// `GET requests`: by `service_request_id` (comma-separated; the other filters are then
/// ignored, as the spec says), or by `service_code`, `status`, `start_date` and
/// `end_date` within the last 90 days by default, newest first, at most 200.
async fn list_requests(door: &Open311Door, format: Format, query: Option<&str>) -> Response {
    let parameters = query_parameters(query);
    let language = locale(&parameters);
    let organisation = &door.inner.organisation;
    let store = &door.inner.store;
    if let Some(ids) = given(&parameters, "service_request_id") {
        let mut items = Vec::new();
        for id in ids
            .split(',')
            .take(usize::try_from(MAX_LISTED).unwrap_or(usize::MAX))
        {
            let Ok(reference) = Reference::parse(id) else {
                continue;
            };
            match store.case_by_reference(&reference).await {
                Ok(Some(case)) => items.push(service_request(&case, organisation, language)),
                Ok(None) => {}
                Err(failure) => {
                    tracing::error!(error = %failure, "reading open311 service requests failed");
                    return internal_error(format);
                }
            }
        }
        return answer(
            StatusCode::OK,
            format,
            "service_requests",
            &Value::Array(items),
        );
    }
    let filter = match list_filter(&parameters) {
        Ok(filter) => filter,
        Err(problem) => return error(StatusCode::BAD_REQUEST, format, &problem),
    };
    match store
        .list_cases(&filter, CaseOrder::Newest, MAX_LISTED, None)
        .await
    {
        Ok(page) => {
            let items = page
                .cases
                .iter()
                .map(|case| service_request(case, organisation, language))
                .collect();
            answer(
                StatusCode::OK,
                format,
                "service_requests",
                &Value::Array(items),
            )
        }
        Err(failure) => {
            tracing::error!(error = %failure, "listing open311 service requests failed");
            internal_error(format)
        }
    }
}

fn list_filter(parameters: &HashMap<String, String>) -> Result<CaseFilter, String> {
    let date = |name: &str| -> Result<Option<DateTime<Utc>>, String> {
        given(parameters, name)
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|at| at.with_timezone(&Utc))
                    .map_err(|_| format!("{name} must be an ISO 8601 date and time with an offset"))
            })
            .transpose()
    };
    let end = date("end_date")?;
    let start = match date("start_date")? {
        Some(start) => start,
        None => end.unwrap_or_else(Utc::now) - chrono::Duration::days(DEFAULT_WINDOW_DAYS),
    };
    let statuses = match given(parameters, "status") {
        None => Vec::new(),
        Some(status) => {
            let mut statuses = Vec::new();
            for wanted in status.split(',').map(str::trim) {
                match wanted {
                    "open" => statuses.extend([
                        CaseStatus::New,
                        CaseStatus::Routed,
                        CaseStatus::NeedsTriage,
                        CaseStatus::InProgress,
                        CaseStatus::WaitingForResident,
                    ]),
                    "closed" => statuses.extend([CaseStatus::Resolved, CaseStatus::Closed]),
                    other => return Err(format!("status {other:?} is not open or closed")),
                }
            }
            statuses
        }
    };
    let category_codes = given(parameters, "service_code")
        .map(|codes| {
            codes
                .split(',')
                .map(|code| code.trim().to_owned())
                .collect()
        })
        .unwrap_or_default();
    Ok(CaseFilter {
        statuses,
        category_codes,
        created_after: Some(start),
        created_before: end,
        ..CaseFilter::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn a_form_maps_to_the_raw_submission() {
        let raw = raw_submission(&form(&[
            ("service_code", "171"),
            ("lat", "60.17"),
            ("long", "24.94"),
            ("description", "Kuoppa"),
            ("first_name", "Maija"),
            ("last_name", "Meikäläinen"),
            ("email", "maija@example.fi"),
            ("attribute[size]", "big"),
        ]))
        .expect("a valid form");
        assert_eq!(raw.channel, Channel::Open311);
        assert_eq!(raw.category_code.as_deref(), Some("171"));
        assert_eq!(raw.latitude, Some(60.17));
        assert_eq!(raw.longitude, Some(24.94));
        assert_eq!(raw.contact_name.as_deref(), Some("Maija Meikäläinen"));
    }

    #[test]
    fn a_form_without_code_or_location_is_refused_before_the_rules() {
        let problems = raw_submission(&form(&[("description", "x"), ("lat", "north")]))
            .expect_err("not a valid form");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("service_code")));
        assert!(problems.iter().any(|p| p.contains("lat must be")));
    }

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
