//! What every page shares: the frame the base layout draws (language, title, the
//! language switch), rendering a template into a response, and the security headers.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use palaute_core::Language;

use crate::i18n::{LANGUAGES, Texts, texts};

/// The resident pages load nothing from elsewhere and run no inline script.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// What `templates/base.html` needs from every page.
pub struct Frame {
    pub lang: &'static str,
    pub texts: &'static Texts,
    /// The page's own heading, also the start of `<title>`.
    pub title: String,
    /// The form's address in this language: the site name links to it.
    pub home: &'static str,
    /// The public service figures in this language, linked from every page's footer.
    pub figures: &'static str,
    pub switch: Vec<LanguageLink>,
}

/// One link of the language switch.
pub struct LanguageLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

impl Frame {
    /// The frame of a page in `language`, whose address in each language is `address`.
    pub fn new(
        language: Language,
        title: impl Into<String>,
        address: impl Fn(Language) -> String,
    ) -> Self {
        Self {
            lang: language.code(),
            texts: texts(language),
            title: title.into(),
            home: form_path(language),
            figures: crate::figures::figures_path(language),
            switch: LANGUAGES
                .iter()
                .map(|&other| LanguageLink {
                    code: other.code(),
                    name: texts(other).language_name,
                    href: address(other),
                    current: other == language,
                })
                .collect(),
        }
    }
}

/// The feedback form's address in `language`: `/`, `/sv`, `/en`.
pub fn form_path(language: Language) -> &'static str {
    match language {
        Language::Fi => "/",
        Language::Sv => "/sv",
        Language::En => "/en",
    }
}

/// A rendered page with `status`; a template that fails to render (it cannot, short
/// of a bug in a value's `Display`) is logged and answered with a plain 500.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(error = %error, "rendering a resident page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown. Please try again.",
            )
                .into_response()
        }
    }
}

/// Adds the headers every resident page and asset carries.
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
