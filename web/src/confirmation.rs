//! The page after a submission: the reference and the tracking link with its token.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use palaute_core::Language;
use palaute_store::Submitted;

use crate::i18n::{Texts, texts};
use crate::page::{Frame, form_path, render};
use crate::tracking::tracking_path;

#[derive(Template)]
#[template(path = "confirmation.html")]
struct ConfirmationPage {
    frame: Frame,
    t: &'static Texts,
    reference: String,
    tracking_href: String,
    has_email: bool,
}

/// The confirmation of `submitted` (a replayed submission shows the same page).
pub fn page(language: Language, submitted: &Submitted, has_email: bool) -> Response {
    let t = texts(language);
    let reference = submitted.reference.to_string();
    let page = ConfirmationPage {
        frame: Frame::new(language, t.confirm_title, |other| {
            form_path(other).to_owned()
        }),
        t,
        tracking_href: tracking_path(&reference, submitted.tracking_token.as_deref()),
        reference,
        has_email,
    };
    render(StatusCode::OK, &page)
}
