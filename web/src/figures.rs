//! The public service figures: `/palvelu` (fi), `/tjanst` (sv), `/service` (en), and
//! the same figures as CSV at `/palvelu.csv`, `/tjanst.csv`, `/service.csv`. The last
//! 52 Helsinki weeks: cases by week and channel, the median and 90th percentile time to
//! route and to the first reply, the share routed automatically and the share resolved
//! within the deadline, each chart followed by its table.
//!
//! Anyone sees the whole city's figures. `?unit=CODE` narrows them to one unit, for
//! staff only: the bearer token is checked by `palaute_store::StaffTokens` (the
//! administrator token or a staff API token, as GraphQL checks them), and the unit must
//! be within the member's scope (403 otherwise); no token is 401.
//!
//! - `model`: the store's counts as a dense week × channel table.
//! - `view`: the page's content in one language; `charts` draws the SVG.
//! - `csv`: the CSV file. `format`: numbers in each language. `texts`: the words.
//! - `cache`: the public figures, computed at most once per five minutes.

mod cache;
mod csv;
mod format;
mod model;
mod texts;
mod view;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use palaute_core::Language;
use palaute_store::{Caller, FiguresRequest, StatsRange};

use crate::WebDoor;
use crate::page::{Frame, render};
use cache::{Computed, PublicFigures};
use model::Figures;
use texts::{FiguresTexts, figures_texts};
use view::FiguresView;

/// How many Helsinki weeks the page covers: a year, ending with the current week.
const WEEKS_SHOWN: u32 = 52;

const FIGURES_CSS: &str = include_str!("../static/figures.css");

pub fn routes() -> Router<WebDoor> {
    Router::new()
        .route("/palvelu", get(page))
        .route("/tjanst", get(page))
        .route("/service", get(page))
        .route("/palvelu.csv", get(csv_file))
        .route("/tjanst.csv", get(csv_file))
        .route("/service.csv", get(csv_file))
        .route("/static/figures.css", get(stylesheet))
        .layer(Extension(PublicFigures::default()))
}

/// The language of a figures address (`/tjanst`, `/service.csv`, …); Finnish for
/// `/palvelu` and anything else.
fn language_of(uri: &Uri) -> Language {
    let path = uri.path();
    let page = path.strip_suffix(".csv").unwrap_or(path);
    [Language::Sv, Language::En]
        .into_iter()
        .find(|language| figures_path(*language) == page)
        .unwrap_or(Language::Fi)
}

/// The page's address in `language`.
pub fn figures_path(language: Language) -> &'static str {
    match language {
        Language::Fi => "/palvelu",
        Language::Sv => "/tjanst",
        Language::En => "/service",
    }
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    frame: Frame,
    unit_heading: Option<String>,
    csv_href: String,
    view: FiguresView,
}

/// Why the figures asked for are not shown, with a link back to the public ones.
#[derive(Template)]
#[template(path = "figures_refused.html")]
struct RefusedPage {
    frame: Frame,
    text: String,
    back_href: &'static str,
    back_text: &'static str,
}

async fn page(
    State(door): State<WebDoor>,
    Extension(public): Extension<PublicFigures>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let language = language_of(&uri);
    let unit = requested_unit(query.as_deref());
    let Computed { figures, range } = match load(&door, &public, &headers, unit.as_deref()).await {
        Ok(loaded) => loaded,
        Err(refusal) => return refusal.page(language),
    };
    let t = figures_texts(language);
    let unit_heading = unit.as_deref().and_then(|code| {
        let unit = door.organisation().unit(code)?;
        Some(
            t.unit_heading_template
                .replace("{unit}", unit.name.get(language)),
        )
    });
    let with_unit = |path: &str| match &unit {
        Some(code) => format!("{path}?unit={}", encode(code)),
        None => path.to_owned(),
    };
    let page = FiguresPage {
        frame: Frame::new(language, t.title, |other| with_unit(figures_path(other))),
        unit_heading,
        csv_href: with_unit(&format!("{}.csv", figures_path(language))),
        view: view::build(&figures, range.from(), range.to(), language),
    };
    let mut response = render(StatusCode::OK, &page);
    private_when_per_unit(&mut response, unit.is_some());
    response
}

async fn csv_file(
    State(door): State<WebDoor>,
    Extension(public): Extension<PublicFigures>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let language = language_of(&uri);
    let unit = requested_unit(query.as_deref());
    let figures = match load(&door, &public, &headers, unit.as_deref()).await {
        Ok(computed) => computed.figures,
        Err(refusal) => return refusal.plain(language),
    };
    let file_name = match &unit {
        Some(code) => format!("palaute-figures-{}.csv", safe_file_part(code)),
        None => "palaute-figures.csv".to_owned(),
    };
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        csv::write(&figures, language),
    )
        .into_response();
    private_when_per_unit(&mut response, unit.is_some());
    response
}

async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        FIGURES_CSS,
    )
        .into_response()
}

/// Why the figures asked for are not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// `?unit=` without a valid token (none, malformed, unknown, revoked).
    NeedToken,
    /// The token's check failed on our side.
    Unverified,
    UnknownUnit,
    OutOfScope,
    Failed,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::NeedToken => StatusCode::UNAUTHORIZED,
            Refusal::Unverified => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::UnknownUnit => StatusCode::NOT_FOUND,
            Refusal::OutOfScope => StatusCode::FORBIDDEN,
            Refusal::Failed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn words(self, t: &'static FiguresTexts) -> (&'static str, &'static str) {
        match self {
            Refusal::NeedToken => (t.need_token_title, t.need_token_text),
            Refusal::Unverified => (t.unverified_title, t.unverified_text),
            Refusal::UnknownUnit => (t.unknown_unit_title, t.unknown_unit_text),
            Refusal::OutOfScope => (t.out_of_scope_title, t.out_of_scope_text),
            Refusal::Failed => (t.failure_title, t.failure_text),
        }
    }

    fn page(self, language: Language) -> Response {
        let t = figures_texts(language);
        let (title, text) = self.words(t);
        let page = RefusedPage {
            frame: Frame::new(language, title, |other| figures_path(other).to_owned()),
            text: text.to_owned(),
            back_href: figures_path(language),
            back_text: t.back_to_figures,
        };
        self.with_challenge(render(self.status(), &page))
    }

    fn plain(self, language: Language) -> Response {
        let (_, text) = self.words(figures_texts(language));
        self.with_challenge((self.status(), text.to_owned()).into_response())
    }

    fn with_challenge(self, mut response: Response) -> Response {
        if self == Refusal::NeedToken {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The figures of the last `WEEKS_SHOWN` weeks: every case's (kept a few minutes in
/// `public`), or, for staff whose scope covers it, one unit's.
async fn load(
    door: &WebDoor,
    public: &PublicFigures,
    headers: &HeaderMap,
    unit: Option<&str>,
) -> Result<Computed, Refusal> {
    match unit {
        None => public.get_or_compute(|| compute(door, None)).await,
        Some(code) => {
            check_unit_access(door, headers, code).await?;
            compute(door, Some(vec![code.to_owned()])).await
        }
    }
}

async fn compute(door: &WebDoor, within_units: Option<Vec<String>>) -> Result<Computed, Refusal> {
    let now = palaute_store::now();
    let range = StatsRange::recent_weeks(now, WEEKS_SHOWN);
    let request = FiguresRequest {
        range,
        within_units,
        now,
    };
    match door.store().service_figures(&request).await {
        Ok(figures) => Ok(Computed {
            figures: Arc::new(Figures::from_store(figures)),
            range,
        }),
        Err(error) => {
            tracing::error!(%error, "could not compute the service figures");
            Err(Refusal::Failed)
        }
    }
}

/// Whether the caller may see `unit`'s figures: staff whose scope covers it.
async fn check_unit_access(door: &WebDoor, headers: &HeaderMap, unit: &str) -> Result<(), Refusal> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let caller = match door.staff_tokens().authenticate(authorization).await {
        Ok(caller) => caller,
        Err(error) => {
            tracing::error!(%error, "could not check a staff token on the figures page");
            return Err(Refusal::Unverified);
        }
    };
    let member = match caller {
        Caller::Staff(member) => member,
        Caller::Unverified => return Err(Refusal::Unverified),
        Caller::Anonymous | Caller::Rejected => return Err(Refusal::NeedToken),
    };
    // Only staff learn whether a code names a unit.
    if door.organisation().unit(unit).is_none() {
        return Err(Refusal::UnknownUnit);
    }
    if !member.scope().covers(Some(unit)) {
        return Err(Refusal::OutOfScope);
    }
    Ok(())
}

/// A unit's figures are for the staff member who asked: not kept by shared caches.
fn private_when_per_unit(response: &mut Response, per_unit: bool) {
    let value = if per_unit {
        "private, no-store"
    } else {
        "public, max-age=300"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    if per_unit {
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Authorization"));
    }
}

/// The query's first `unit`, trimmed; an empty one is no unit.
fn requested_unit(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "unit")
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A unit code as a file name part: letters, digits, `-` and `_` only.
fn safe_file_part(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_comes_from_the_query_trimmed() {
        assert_eq!(requested_unit(None), None);
        assert_eq!(requested_unit(Some("unit=")), None);
        assert_eq!(
            requested_unit(Some("lang=fi&unit=+hkl+&unit=other")),
            Some("hkl".to_owned())
        );
        assert_eq!(safe_file_part("a/b\"c-d_e"), "abc-d_e");
        let language = |path: &str| language_of(&path.parse::<Uri>().unwrap());
        assert_eq!(language("/palvelu"), Language::Fi);
        assert_eq!(language("/tjanst?unit=hkl"), Language::Sv);
        assert_eq!(language("/service.csv"), Language::En);
    }
}
