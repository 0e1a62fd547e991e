//! `/track/{reference}`: a resident follows their case with the token from the
//! confirmation page (or from a mailed acknowledgement).
//!
//! Without a valid token the page reveals nothing: an unknown reference, a malformed
//! one and a wrong token get the same page and status, so the answer does not tell
//! whether a reference exists. The link the acknowledgement email carries
//! (`{public_url}/track/{reference}`, with `?token=` for a case that came by email) is
//! this route.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use palaute_core::i18n::helsinki_time;
use palaute_core::{Language, Reference};
use palaute_store::CaseRecord;

use crate::i18n::{Texts, from_accept_language, texts};
use crate::page::{Frame, render};
use crate::{WebDoor, problem};

/// The longest token looked up (the store's tokens are 32 characters).
const MAX_TOKEN_CHARS: usize = 200;

pub fn routes() -> Router<WebDoor> {
    Router::new().route("/track/{reference}", get(track))
}

/// The tracking page's address, with the token when there is one.
pub fn tracking_path(reference: &str, token: Option<&str>) -> String {
    let path = format!("/track/{}", encode(reference));
    match token {
        Some(token) => format!("{path}?token={}", encode(token)),
        None => path,
    }
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The query's `token` and `lang`, the first of each; anything else is ignored.
#[derive(Default)]
struct TrackQuery {
    token: Option<String>,
    lang: Option<String>,
}

impl TrackQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut parsed = Self::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let slot = match name.as_ref() {
                "token" => &mut parsed.token,
                "lang" => &mut parsed.lang,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        parsed
    }
}

/// A case as its resident sees it.
struct ShownCase {
    status: String,
    unit: String,
    received: String,
    received_iso: String,
    updated: String,
    updated_iso: String,
    replies: Vec<ShownReply>,
}

struct ShownReply {
    body: String,
    sent: String,
    sent_iso: String,
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    frame: Frame,
    t: &'static Texts,
    reference: String,
    action: String,
    case: Option<ShownCase>,
    /// A token was given and did not open a case.
    token_refused: bool,
}

async fn track(
    State(door): State<WebDoor>,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = TrackQuery::parse(query.as_deref());
    let language = query
        .lang
        .as_deref()
        .and_then(Language::from_code)
        .unwrap_or_else(|| from_accept_language(&headers));
    let token = query
        .token
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty());
    let case = match &token {
        Some(token) => match open_case(&door, &reference, token).await {
            Ok(case) => case,
            Err(()) => return problem::failure(language),
        },
        None => None,
    };
    let shown = match &case {
        Some(case) => match shown_case(&door, case, language).await {
            Ok(shown) => Some(shown),
            Err(()) => return problem::failure(language),
        },
        None => None,
    };
    let t = texts(language);
    let token_refused = token.is_some() && shown.is_none();
    // The page's address in each language keeps the token, so switching language
    // keeps the case open.
    let switch_path = tracking_path(&reference, token.as_deref());
    let page = TrackPage {
        frame: Frame::new(language, t.track_title, |other| {
            let separator = if switch_path.contains('?') { '&' } else { '?' };
            format!("{switch_path}{separator}lang={}", other.code())
        }),
        t,
        action: tracking_path(&reference, None),
        reference,
        case: shown,
        token_refused,
    };
    // One status for every refusal, whether or not the reference exists.
    let status = if token_refused {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let mut response = render(status, &page);
    // The address carries the token: keep the page out of caches.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The case `reference` names if `token` is its token; `None` for any refusal.
async fn open_case(door: &WebDoor, reference: &str, token: &str) -> Result<Option<CaseRecord>, ()> {
    let Ok(reference) = Reference::parse(reference.trim()) else {
        return Ok(None);
    };
    if token.chars().count() > MAX_TOKEN_CHARS {
        return Ok(None);
    }
    door.inner
        .store
        .case_for_resident(&reference, token)
        .await
        .map_err(|failure| {
            tracing::error!(error = %failure, "loading a case for its tracking page failed");
        })
}

async fn shown_case(
    door: &WebDoor,
    case: &CaseRecord,
    language: Language,
) -> Result<ShownCase, ()> {
    let t = texts(language);
    let replies = door
        .inner
        .store
        .case_replies(case.id)
        .await
        .map_err(|failure| {
            tracing::error!(error = %failure, "loading a case's replies for its tracking page failed");
        })?;
    let unit = case
        .unit_code
        .as_deref()
        .and_then(|code| door.inner.organisation.unit(code))
        .map_or_else(
            || t.unit_pending.to_owned(),
            |unit| unit.name.get(language).to_owned(),
        );
    Ok(ShownCase {
        status: case.status.name().get(language).to_owned(),
        unit,
        received: helsinki_time(case.created_at, language),
        received_iso: iso(case.created_at),
        updated: helsinki_time(case.updated_at, language),
        updated_iso: iso(case.updated_at),
        replies: replies
            .into_iter()
            .filter_map(|event| {
                let body = event.detail.get("note")?.as_str()?.to_owned();
                Some(ShownReply {
                    body,
                    sent: helsinki_time(event.created_at, language),
                    sent_iso: iso(event.created_at),
                })
            })
            .collect(),
    })
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
