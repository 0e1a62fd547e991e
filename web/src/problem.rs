//! Pages that say why a request was refused, in the page's language, with the right
//! status: a missing CSRF token (403), too many submissions (429 with `Retry-After`),
//! a body too large (413) or unreadable (400), a failure of ours (500).

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use palaute_core::Language;
use palaute_core::rate_limit::Limited;

use crate::i18n::texts;
use crate::page::{Frame, form_path, render};

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage {
    frame: Frame,
    text: String,
    back_href: &'static str,
    back_text: &'static str,
}

fn problem(language: Language, status: StatusCode, title: &str, text: String) -> Response {
    let t = texts(language);
    let page = ProblemPage {
        frame: Frame::new(language, title, |other| form_path(other).to_owned()),
        text,
        back_href: form_path(language),
        back_text: t.back_to_form,
    };
    render(status, &page)
}

pub fn forbidden(language: Language) -> Response {
    let t = texts(language);
    problem(
        language,
        StatusCode::FORBIDDEN,
        t.forbidden_title,
        t.forbidden_text.to_owned(),
    )
}

pub fn rate_limited(language: Language, limited: &Limited) -> Response {
    let t = texts(language);
    let seconds = limited.retry_after_seconds();
    let mut response = problem(
        language,
        StatusCode::TOO_MANY_REQUESTS,
        t.rate_limited_title,
        t.rate_limited_template
            .replace("{seconds}", &seconds.to_string()),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

pub fn too_large(language: Language) -> Response {
    let t = texts(language);
    let mut response = problem(
        language,
        StatusCode::PAYLOAD_TOO_LARGE,
        t.too_large_title,
        t.too_large_text.to_owned(),
    );
    // The rest of the body may be unread: the connection cannot carry another request.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

pub fn unreadable(language: Language) -> Response {
    let t = texts(language);
    problem(
        language,
        StatusCode::BAD_REQUEST,
        t.unreadable_title,
        t.unreadable_text.to_owned(),
    )
}

pub fn failure(language: Language) -> Response {
    let t = texts(language);
    problem(
        language,
        StatusCode::INTERNAL_SERVER_ERROR,
        t.failure_title,
        t.failure_text.to_owned(),
    )
}
