//! Reading service requests: `GET requests/{id}`, `GET requests` with its filters,
//! `GET tokens/{token}`, and the shape of a request, Helsinki's extensions included.
//!
//! A service request shows a case's state and never who sent it: no email, phone or
//! name, whatever the key or the parameters.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use palaute_core::{CaseId, CaseStatus, Channel, Language, Organisation, Reference};
use palaute_store::{AttachmentInfo, CaseEvent, CaseFilter, CaseOrder, CaseRecord, StoreError};
use serde_json::{Value, json};

use crate::{
    DEFAULT_WINDOW_DAYS, Format, MAX_LISTED, Open311Door, PREFIX, answer, error, given,
    internal_error, locale, query_parameters, timestamp,
};

/// Cases `GET requests` looks through when it filters by place or text, newest first.
pub(crate) const MAX_SCANNED: u64 = 5_000;
/// The largest `radius` (metres) of a place filter.
const MAX_RADIUS_METRES: f64 = 100_000.0;
const DEFAULT_RADIUS_METRES: f64 = 1_000.0;
const EARTH_RADIUS_METRES: f64 = 6_371_000.0;

/// How the caller wants requests shown.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shown {
    pub language: Language,
    /// `extensions=true`: Helsinki's `extended_attributes`.
    pub extensions: bool,
}

impl Shown {
    pub(crate) fn from_parameters(parameters: &HashMap<String, String>) -> Self {
        Self {
            language: locale(parameters),
            extensions: given(parameters, "extensions")
                .is_some_and(|value| value.eq_ignore_ascii_case("true") || value == "1"),
        }
    }
}

/// What a service request shows besides its case row, loaded for a whole page at once.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    files: HashMap<CaseId, Vec<AttachmentInfo>>,
    timelines: HashMap<CaseId, Vec<CaseEvent>>,
}

impl Extras {
    pub(crate) async fn load(
        door: &Open311Door,
        cases: &[CaseRecord],
        shown: Shown,
    ) -> Result<Self, StoreError> {
        let ids: Vec<CaseId> = cases.iter().map(|case| case.id).collect();
        let store = &door.inner.store;
        Ok(Self {
            files: store.attachments_of(&ids).await?,
            timelines: if shown.extensions {
                store.case_events_of(&ids).await?
            } else {
                HashMap::new()
            },
        })
    }
}

/// A case as a service request.
pub(crate) fn service_request(
    door: &Open311Door,
    case: &CaseRecord,
    extras: &Extras,
    shown: Shown,
) -> Value {
    let organisation = &door.inner.organisation;
    let language = shown.language;
    let category = case
        .category_code
        .as_deref()
        .and_then(|code| organisation.category(code));
    let unit = case
        .unit_code
        .as_deref()
        .and_then(|code| organisation.unit(code));
    let location = case.location.as_ref();
    // Files are published only for requests sent through this door: a client sending
    // media to Open311 knows it is public; a resident's email attachments are not.
    let media_urls: Vec<String> = extras
        .files
        .get(&case.id)
        .filter(|_| case.channel == Channel::Open311)
        .map(|files| {
            files
                .iter()
                .map(|file| media_url(&door.inner.public_url, &file.public_id))
                .collect()
        })
        .unwrap_or_default();
    let mut request = json!({
        "service_request_id": case.reference.to_string(),
        "status": if is_closed(case.status) { "closed" } else { "open" },
        "status_notes": case.status.name().get(language),
        "service_name": category.map(|category| category.name.get(language)),
        "service_code": case.category_code.clone().unwrap_or_default(),
        "description": case.description,
        "agency_responsible": unit.map(|unit| unit.name.get(language)),
        "service_notice": service_notice(case, language),
        "requested_datetime": timestamp(case.created_at),
        "updated_datetime": timestamp(case.updated_at),
        "expected_datetime": expected(case).map(timestamp),
        "address": location.and_then(|place| place.address.clone()),
        "address_id": null,
        "zipcode": null,
        "lat": location.and_then(|place| place.lat),
        "long": location.and_then(|place| place.lon),
        "media_url": media_urls.first(),
        "media_urls": media_urls,
    });
    if shown.extensions
        && let Some(fields) = request.as_object_mut()
    {
        let timeline = extras
            .timelines
            .get(&case.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        fields.insert(
            "extended_attributes".to_owned(),
            json!({
                "detailed_status": case.status.graphql_name(),
                "title": case.title,
                "tasks": tasks(case, timeline, organisation, language),
            }),
        );
    }
    request
}

pub(crate) fn media_url(public_url: &str, public_id: &str) -> String {
    format!("{public_url}{PREFIX}/media/{public_id}")
}

fn is_closed(status: CaseStatus) -> bool {
    matches!(status, CaseStatus::Resolved | CaseStatus::Closed)
}

/// When the case is expected to be handled: its resolution deadline, while open.
fn expected(case: &CaseRecord) -> Option<DateTime<Utc>> {
    if is_closed(case.status) {
        None
    } else {
        case.due_at
    }
}

/// What happens next, in the caller's language.
fn service_notice(case: &CaseRecord, language: Language) -> String {
    if is_closed(case.status) {
        return match language {
            Language::Fi => "Palaute on käsitelty.",
            Language::Sv => "Responsen har behandlats.",
            Language::En => "The feedback has been handled.",
        }
        .to_owned();
    }
    match expected(case) {
        Some(due) => {
            let date = due
                .with_timezone(&chrono_tz::Europe::Helsinki)
                .format(match language {
                    Language::Fi | Language::Sv => "%-d.%-m.%Y",
                    Language::En => "%-d %b %Y",
                })
                .to_string();
            match language {
                Language::Fi => format!("Palaute käsitellään viimeistään {date}."),
                Language::Sv => format!("Responsen behandlas senast {date}."),
                Language::En => format!("The feedback will be handled by {date}."),
            }
        }
        None => match language {
            Language::Fi => "Palaute on vastaanotettu ja ohjataan sen käsittelevälle yksikölle.",
            Language::Sv => {
                "Responsen har tagits emot och skickas till den enhet som behandlar den."
            }
            Language::En => {
                "The feedback has been received and is directed to the unit that handles it."
            }
        }
        .to_owned(),
    }
}

/// Who held the case and doing what, from its timeline (Helsinki's `tasks`): a task
/// per unit that held it, split while it waited for the resident. No person is named.
fn tasks(
    case: &CaseRecord,
    timeline: &[CaseEvent],
    organisation: &Organisation,
    language: Language,
) -> Vec<Value> {
    struct Task {
        unit: String,
        kind: &'static str,
        created: DateTime<Utc>,
        modified: DateTime<Utc>,
        state: &'static str,
    }
    let mut done: Vec<Task> = Vec::new();
    let mut current: Option<Task> = None;
    let mut unit: Option<String> = None;
    let mut status = CaseStatus::New;
    for event in timeline {
        let after = event.detail.get("after").filter(|after| after.is_object());
        let unit_after = after
            .and_then(|after| after.get("unit"))
            .or_else(|| event.detail.get("unit"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let status_after = after
            .and_then(|after| after.get("status"))
            .and_then(Value::as_str)
            .or(Some(event.kind.as_str()))
            .and_then(CaseStatus::from_code);
        if let Some(next) = unit_after {
            unit = Some(next);
        }
        if let Some(next) = status_after {
            status = next;
        }
        let Some(owner) = unit.clone() else {
            continue;
        };
        let kind = if status == CaseStatus::WaitingForResident {
            "wait_for_answer"
        } else {
            "assigned"
        };
        match &mut current {
            Some(task) if task.unit == owner && task.kind == kind => {
                task.modified = event.created_at;
            }
            _ => {
                if let Some(mut finished) = current.take() {
                    finished.modified = event.created_at;
                    finished.state = if finished.unit == owner {
                        "completed"
                    } else {
                        "re_assigned"
                    };
                    done.push(finished);
                }
                current = Some(Task {
                    unit: owner,
                    kind,
                    created: event.created_at,
                    modified: event.created_at,
                    state: "in_process",
                });
            }
        }
    }
    if let Some(mut last) = current {
        last.state = match case.status {
            CaseStatus::Resolved => "completed",
            CaseStatus::Closed => "closed",
            _ => "in_process",
        };
        done.push(last);
    }
    done.into_iter()
        .map(|task| {
            let owner = organisation
                .unit(&task.unit)
                .map_or(task.unit.clone(), |unit| unit.name.get(language).to_owned());
            json!({
                "task_created": timestamp(task.created),
                "task_modified": timestamp(task.modified),
                "owner_name": owner,
                "task_type": task.kind,
                "task_state": task.state,
            })
        })
        .collect()
}

/// `lat`, `long` and `radius` (metres) of `GET requests`, checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Near {
    lat: f64,
    lon: f64,
    radius: f64,
}

impl Near {
    pub(crate) fn from_parameters(
        parameters: &HashMap<String, String>,
    ) -> Result<Option<Self>, String> {
        let number = |name: &str| -> Result<Option<f64>, String> {
            given(parameters, name)
                .map(|text| {
                    text.parse::<f64>()
                        .ok()
                        .filter(|value| value.is_finite())
                        .ok_or_else(|| format!("{name} must be a decimal number"))
                })
                .transpose()
        };
        let (lat, lon, radius) = (number("lat")?, number("long")?, number("radius")?);
        let (lat, lon) = match (lat, lon) {
            (None, None) if radius.is_none() => return Ok(None),
            (Some(lat), Some(lon)) => (lat, lon),
            _ => {
                return Err(
                    "give lat and long together (and radius in metres if you like)".to_owned(),
                );
            }
        };
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err("lat must be within -90..90 and long within -180..180".to_owned());
        }
        let radius = radius.unwrap_or(DEFAULT_RADIUS_METRES);
        if !(radius > 0.0 && radius <= MAX_RADIUS_METRES) {
            return Err(format!(
                "radius is in metres, more than 0 and at most {MAX_RADIUS_METRES}"
            ));
        }
        Ok(Some(Self { lat, lon, radius }))
    }

    pub(crate) fn contains(&self, case: &CaseRecord) -> bool {
        let Some((lat, lon)) = case
            .location
            .as_ref()
            .and_then(|place| Some((place.lat?, place.lon?)))
        else {
            return false;
        };
        distance_metres(self.lat, self.lon, lat, lon) <= self.radius
    }
}

/// Great-circle distance (haversine).
fn distance_metres(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_METRES * a.sqrt().min(1.0).asin()
}

/// `search`: every word in the title, description or address, ignoring case.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    words: Vec<String>,
}

impl Search {
    pub(crate) fn from_parameters(parameters: &HashMap<String, String>) -> Option<Self> {
        let words: Vec<String> = given(parameters, "search")?
            .split_whitespace()
            .take(10)
            .map(|word| palaute_core::text::normalize(word).to_lowercase())
            .filter(|word| !word.is_empty())
            .collect();
        (!words.is_empty()).then_some(Self { words })
    }

    pub(crate) fn matches(&self, case: &CaseRecord) -> bool {
        let text = [
            case.title.as_deref().unwrap_or_default(),
            case.description.as_str(),
            case.location
                .as_ref()
                .and_then(|place| place.address.as_deref())
                .unwrap_or_default(),
        ]
        .join("\n")
        .to_lowercase();
        self.words.iter().all(|word| text.contains(word.as_str()))
    }
}

/// A reference from a list, if it is one.
fn reference(id: &str) -> Option<Reference> {
    Reference::parse(id.trim()).ok()
}

// ---- handlers -----------------------------------------------------------------------

pub(crate) async fn one_request(
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
    let shown = Shown::from_parameters(&query_parameters(query.as_deref()));
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
        Ok(Some(case)) => requests_answer(&door, format, &[case], shown).await,
        Ok(None) => not_found(),
        Err(failure) => {
            tracing::error!(error = %failure, "reading an open311 service request failed");
            internal_error(format)
        }
    }
}

/// `GET tokens/{token}`: the request a token stands for. A request gets its id at once
/// here, so the token a client may hold is that id: it answers `[{service_request_id,
/// token}]` when such a request exists.
pub(crate) async fn token(State(door): State<Open311Door>, Path(file): Path<String>) -> Response {
    let Some((token, format)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "no such format; use .json or .xml",
        );
    };
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            format,
            &format!("no service request has the token {token:?}"),
        )
    };
    let Ok(reference) = Reference::parse(token) else {
        return not_found();
    };
    match door.inner.store.case_by_reference(&reference).await {
        Ok(Some(case)) => {
            let body = json!([{
                "service_request_id": case.reference.to_string(),
                "token": token,
            }]);
            answer(StatusCode::OK, format, "service_requests", &body)
        }
        Ok(None) => not_found(),
        Err(failure) => {
            tracing::error!(error = %failure, "reading an open311 token failed");
            internal_error(format)
        }
    }
}

pub(crate) async fn list_requests_json(
    State(door): State<Open311Door>,
    RawQuery(query): RawQuery,
) -> Response {
    list_requests(&door, Format::Json, query.as_deref()).await
}

pub(crate) async fn list_requests_xml(
    State(door): State<Open311Door>,
    RawQuery(query): RawQuery,
) -> Response {
    list_requests(&door, Format::Xml, query.as_deref()).await
}

/// Cases as a list of service requests, with their files (and timelines, for
/// `extensions=true`) loaded in one query each.
async fn requests_answer(
    door: &Open311Door,
    format: Format,
    cases: &[CaseRecord],
    shown: Shown,
) -> Response {
    let extras = match Extras::load(door, cases, shown).await {
        Ok(extras) => extras,
        Err(failure) => {
            tracing::error!(error = %failure, "reading open311 service requests failed");
            return internal_error(format);
        }
    };
    let items = cases
        .iter()
        .map(|case| service_request(door, case, &extras, shown))
        .collect();
    answer(
        StatusCode::OK,
        format,
        "service_requests",
        &Value::Array(items),
    )
}

/// `GET requests`: by `service_request_id` (comma-separated; the other filters are then
/// ignored, as the spec says), or by `service_code`, `status`, `start_date` and
/// `end_date` within the last 90 days by default, and Helsinki's `lat`/`long`/`radius`
/// and `search`; newest first, at most 200.
async fn list_requests(door: &Open311Door, format: Format, query: Option<&str>) -> Response {
    let parameters = query_parameters(query);
    let shown = Shown::from_parameters(&parameters);
    let store = &door.inner.store;
    let most = usize::try_from(MAX_LISTED).unwrap_or(usize::MAX);
    if let Some(ids) = given(&parameters, "service_request_id") {
        let references: Vec<Reference> = ids.split(',').take(most).filter_map(reference).collect();
        return match store.cases_by_references(&references).await {
            Ok(cases) => requests_answer(door, format, &cases, shown).await,
            Err(failure) => {
                tracing::error!(error = %failure, "reading open311 service requests failed");
                internal_error(format)
            }
        };
    }
    let (filter, near) = match (list_filter(&parameters), Near::from_parameters(&parameters)) {
        (Ok(filter), Ok(near)) => (filter, near),
        (Err(problem), _) | (_, Err(problem)) => {
            return error(StatusCode::BAD_REQUEST, format, &problem);
        }
    };
    let search = Search::from_parameters(&parameters);
    // Place and text are matched here, over the newest cases the other filters let
    // through.
    let scanned = if near.is_some() || search.is_some() {
        MAX_SCANNED
    } else {
        MAX_LISTED
    };
    match store
        .list_cases(&filter, CaseOrder::Newest, scanned, None)
        .await
    {
        Ok(page) => {
            let cases: Vec<CaseRecord> = page
                .cases
                .into_iter()
                .filter(|case| near.is_none_or(|near| near.contains(case)))
                .filter(|case| search.as_ref().is_none_or(|search| search.matches(case)))
                .take(most)
                .collect();
            requests_answer(door, format, &cases, shown).await
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

    #[test]
    fn distances_are_great_circle_metres() {
        // Helsinki railway station to the cathedral: about 630 m.
        let distance = distance_metres(60.1710, 24.9414, 60.1704, 24.9522);
        assert!((580.0..680.0).contains(&distance), "{distance}");
        assert!(distance_metres(60.0, 24.0, 60.0, 24.0) < 1e-6);
    }

    #[test]
    fn place_filters_need_both_coordinates_and_a_sane_radius() {
        let parameters = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect()
        };
        assert_eq!(Near::from_parameters(&parameters(&[])), Ok(None));
        assert!(Near::from_parameters(&parameters(&[("lat", "60.1")])).is_err());
        assert!(Near::from_parameters(&parameters(&[("radius", "100")])).is_err());
        assert!(
            Near::from_parameters(&parameters(&[
                ("lat", "60.1"),
                ("long", "24.9"),
                ("radius", "-1")
            ]))
            .is_err()
        );
        assert!(Near::from_parameters(&parameters(&[("lat", "NaN"), ("long", "24.9")])).is_err());
        let near = Near::from_parameters(&parameters(&[
            ("lat", "60.1"),
            ("long", "24.9"),
            ("radius", "250"),
        ]))
        .expect("valid")
        .expect("a filter");
        assert_eq!(near.radius, 250.0);
    }
}
