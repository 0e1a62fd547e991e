//! The feedback form at `/` (Finnish), `/sv` and `/en`: GET shows it, POST takes it.
//!
//! The order of checks on POST: the client's submissions bucket (looked at, not yet
//! drawn on), the body's size and shape, the CSRF token, the shared intake rules
//! (`Submission::parse`) and the photos; only a submission that passes them all draws
//! on the bucket and becomes a case. A refused form comes back with the resident's
//! input, every problem next to its field and summarised at the top.

use std::time::Instant;

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use palaute_core::attachment::safe_filename;
use palaute_core::privacy::privacy_notice;
use palaute_core::rate_limit::{Limited, PeerAddress, client_address, client_key};
use palaute_core::submission::{MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use palaute_core::{Channel, Language, RawSubmission, Submission};
use palaute_store::{NewAttachment, NewCase, StoreError};
use rand::RngCore;

use crate::guidance::{self, CategoryNotice, QuestionGroup};
use crate::i18n::{Texts, texts};
use crate::messages::{self, ShownError};
use crate::page::{Frame, form_path, render};
use crate::posted::{self, PostError, PostedForm};
use crate::{WebDoor, csrf, problem};

/// The file field of the form.
const PHOTOS_FIELD: &str = "photos";
/// Room for the form's text fields beside the photos: the longest description in
/// multibyte characters, the other fields and the multipart framing.
const MAX_TEXT_BYTES: usize = 256 * 1024;

pub fn routes() -> Router<WebDoor> {
    [Language::Fi, Language::Sv, Language::En].into_iter().fold(
        Router::new(),
        |router, language| {
            router.route(
                form_path(language),
                get(
                    move |State(door): State<WebDoor>, headers: HeaderMap| async move {
                        show_form(&door, language, &headers)
                    },
                )
                .post(
                    move |State(door): State<WebDoor>,
                          peer: Option<Extension<PeerAddress>>,
                          headers: HeaderMap,
                          body: Body| async move {
                        let peer = peer.map(|Extension(peer)| peer);
                        submit(&door, language, peer, &headers, body).await
                    },
                ),
            )
        },
    )
}

/// What the resident typed, kept when the form comes back with errors.
#[derive(Default)]
pub struct FormValues {
    pub category: String,
    pub description: String,
    pub title: String,
    pub address: String,
    pub latitude: String,
    pub longitude: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// The answers to categories' questions: (input name, value), repeated names kept.
    pub answers: Vec<(String, String)>,
}

impl FormValues {
    fn from_posted(form: &PostedForm) -> Self {
        Self {
            category: form.text("category").to_owned(),
            description: form.text("description").to_owned(),
            title: form.text("title").to_owned(),
            address: form.text("address").to_owned(),
            latitude: form.text("latitude").to_owned(),
            longitude: form.text("longitude").to_owned(),
            contact_name: form.text("contact_name").to_owned(),
            contact_email: form.text("contact_email").to_owned(),
            contact_phone: form.text("contact_phone").to_owned(),
            answers: form
                .pairs
                .iter()
                .filter(|(name, _)| name.starts_with("answer-"))
                .cloned()
                .collect(),
        }
    }

    pub fn has_coordinates(&self) -> bool {
        !self.latitude.trim().is_empty() && !self.longitude.trim().is_empty()
    }
}

/// One `<optgroup>` of categories.
pub struct CategoryGroup {
    pub label: String,
    pub options: Vec<CategoryOption>,
}

pub struct CategoryOption {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    frame: Frame,
    t: &'static Texts,
    action: &'static str,
    values: FormValues,
    errors: Vec<ShownError>,
    groups: Vec<CategoryGroup>,
    notices: Vec<CategoryNotice>,
    question_groups: Vec<QuestionGroup>,
    csrf_token: String,
    idempotency_key: String,
    max_description: usize,
    max_title: usize,
    max_photos: usize,
    photos_hint: String,
    accept: String,
    /// What is kept, for how long, who sees it (core's words, with the retention set).
    privacy_notice: String,
}

impl FormPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }

    fn has_error(&self, field: &str) -> bool {
        self.error_for(field).is_some()
    }

    /// Where to go instead, when the field's problem is a redirect.
    fn error_url(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .and_then(|error| error.url.as_deref())
    }

    /// The count under the description as it stands (form.js updates it as one types).
    fn count_text(&self) -> String {
        self.t
            .count_template
            .replace(
                "{count}",
                &self.values.description.chars().count().to_string(),
            )
            .replace("{max}", &self.max_description.to_string())
    }
}

/// The form, empty or with `values` and `errors`, for the browser's CSRF cookie (set
/// here when the request has none).
fn form_response(
    door: &WebDoor,
    language: Language,
    headers: &HeaderMap,
    values: FormValues,
    errors: Vec<ShownError>,
    status: StatusCode,
) -> Response {
    let session = csrf::session(headers, door.inner.secure_cookies);
    let t = texts(language);
    let limits = &door.inner.attachments;
    let page = FormPage {
        frame: Frame::new(language, t.form_title, |other| form_path(other).to_owned()),
        t,
        action: form_path(language),
        groups: category_groups(door, language),
        notices: guidance::notices(&door.inner.organisation, language),
        question_groups: guidance::question_groups(
            &door.inner.organisation,
            language,
            &values.answers,
        ),
        csrf_token: csrf::token(&door.inner.csrf_key, &session.value),
        idempotency_key: new_idempotency_key(),
        max_description: MAX_DESCRIPTION_CHARS,
        max_title: MAX_TITLE_CHARS,
        max_photos: limits.max_files,
        photos_hint: t
            .photos_hint_template
            .replace("{files}", &limits.max_files.to_string())
            .replace("{megabytes}", &messages::megabytes(limits.max_file_bytes))
            .replace("{types}", &messages::type_names(limits)),
        accept: limits
            .allowed_types
            .iter()
            .map(|media| media.mime())
            .collect::<Vec<_>>()
            .join(","),
        privacy_notice: privacy_notice(language, door.inner.anonymise_after_days),
        values,
        errors,
    };
    let mut response = render(status, &page);
    if let Some(cookie) = session.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    // A form carries a one-time key and a token for this browser: never cache it.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

fn show_form(door: &WebDoor, language: Language, headers: &HeaderMap) -> Response {
    form_response(
        door,
        language,
        headers,
        FormValues::default(),
        Vec::new(),
        StatusCode::OK,
    )
}

/// The organisation's categories grouped as it groups them, each group and category
/// in the order the organisation lists them, named in `language`.
fn category_groups(door: &WebDoor, language: Language) -> Vec<CategoryGroup> {
    let mut groups: Vec<CategoryGroup> = Vec::new();
    for category in &door.inner.organisation.categories {
        let label = category.group.get(language).to_owned();
        let option = CategoryOption {
            code: category.code.clone(),
            name: category.name.get(language).to_owned(),
        };
        match groups.iter_mut().find(|group| group.label == label) {
            Some(group) => group.options.push(option),
            None => groups.push(CategoryGroup {
                label,
                options: vec![option],
            }),
        }
    }
    groups
}

/// A fresh key for one rendered form: sending it twice makes one case.
fn new_idempotency_key() -> String {
    let mut bytes = [0u8; 18];
    rand::rng().fill_bytes(&mut bytes);
    format!("web-{}", URL_SAFE_NO_PAD.encode(bytes))
}

async fn submit(
    door: &WebDoor,
    language: Language,
    peer: Option<PeerAddress>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    // A client already over its budget is refused before its body is read.
    if let Err(limited) = door.submission_rate(headers, peer.as_ref(), RateCheck::Peek) {
        return problem::rate_limited(language, &limited);
    }
    let limit = door
        .inner
        .attachments
        .max_total_bytes()
        .saturating_add(MAX_TEXT_BYTES);
    let read = tokio::time::timeout(
        door.inner.body_read_timeout,
        posted::read(headers, body, limit, PHOTOS_FIELD),
    )
    .await;
    let form = match read {
        Ok(Ok(form)) => form,
        Ok(Err(PostError::TooLarge)) => return problem::too_large(language),
        Ok(Err(PostError::Unreadable)) | Err(_) => return problem::unreadable(language),
    };
    if !csrf::verify(
        &door.inner.csrf_key,
        headers,
        form.fields.get("csrf_token").map(String::as_str),
    ) {
        return problem::forbidden(language);
    }
    let values = FormValues::from_posted(&form);
    let (raw, mut errors) = raw_submission(&values, &form, language);
    let submission = match Submission::parse(raw, &door.inner.organisation) {
        Ok(submission) => Some(submission),
        Err(problems) => {
            errors.extend(
                problems
                    .iter()
                    .map(|problem| messages::field_error(language, problem, &values.category)),
            );
            None
        }
    };
    let attachments = match photos(door, language, form.files) {
        Ok(attachments) => attachments,
        Err(problems) => {
            errors.extend(problems);
            Vec::new()
        }
    };
    let Some(submission) = submission.filter(|_| errors.is_empty()) else {
        return form_with_errors(door, language, headers, values, errors);
    };
    if let Err(limited) = door.submission_rate(headers, peer.as_ref(), RateCheck::Draw) {
        return problem::rate_limited(language, &limited);
    }
    let has_email = submission
        .contact
        .as_ref()
        .is_some_and(|contact| contact.email.is_some());
    let mut new_case = NewCase::from(submission);
    new_case.attachments = attachments;
    let submitted = match door
        .inner
        .store
        .submit_case(new_case, door.inner.max_attempts, palaute_store::now())
        .await
    {
        Ok(submitted) => submitted,
        Err(StoreError::IdempotencyConflict) => {
            // The same form sent again with other content (the browser's Back, an
            // edit, Send): say so and offer it with a fresh key, keeping the input.
            let notice = ShownError::new("description", texts(language).already_sent.to_owned());
            return form_with_errors(door, language, headers, values, vec![notice]);
        }
        Err(failure) => {
            tracing::error!(error = %failure, "saving a web form submission failed");
            return problem::failure(language);
        }
    };
    if !submitted.replayed {
        door.inner.jobs.notify_one();
        tracing::info!(case = %submitted.reference, channel = %Channel::Web, "feedback received");
    }
    crate::confirmation::page(language, &submitted, has_email)
}

/// The form again with the resident's input and what to correct (422, so that a
/// client can tell it from a success).
fn form_with_errors(
    door: &WebDoor,
    language: Language,
    headers: &HeaderMap,
    values: FormValues,
    mut errors: Vec<ShownError>,
) -> Response {
    // The summary lists the fields in the form's order.
    errors.sort_by_key(|error| messages::field_order(&error.field));
    form_response(
        door,
        language,
        headers,
        values,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// The form as a submission through the web channel, and the problems of the form's
/// own (coordinates that are not numbers) that come before the intake rules.
fn raw_submission(
    values: &FormValues,
    form: &PostedForm,
    language: Language,
) -> (RawSubmission, Vec<ShownError>) {
    let mut errors = Vec::new();
    let mut coordinate = |text: &str| -> Option<f64> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Some(value),
            _ => {
                if errors.is_empty() {
                    errors.push(messages::location_error(language));
                }
                None
            }
        }
    };
    let latitude = coordinate(&values.latitude);
    let longitude = coordinate(&values.longitude);
    let optional = |text: &str| (!text.trim().is_empty()).then(|| text.to_owned());
    let mut raw = RawSubmission::new(Channel::Web, values.description.clone());
    raw.title = optional(&values.title);
    raw.category_code = optional(&values.category);
    raw.language = Some(language);
    raw.contact_name = optional(&values.contact_name);
    raw.contact_email = optional(&values.contact_email);
    raw.contact_phone = optional(&values.contact_phone);
    raw.latitude = latitude;
    raw.longitude = longitude;
    raw.address = optional(&values.address);
    raw.idempotency_key = optional(form.text("idempotency_key"));
    raw.answers = guidance::chosen_answers(values.category.trim(), &values.answers);
    (raw, errors)
}

/// The photos to keep, checked by the `[attachments]` limits (type by the bytes), or
/// what is wrong with them.
fn photos(
    door: &WebDoor,
    language: Language,
    files: Vec<posted::PostedFile>,
) -> Result<Vec<NewAttachment>, Vec<ShownError>> {
    let limits = &door.inner.attachments;
    // A file input left empty sends a part with neither a name nor bytes.
    let files: Vec<posted::PostedFile> = files
        .into_iter()
        .filter(|file| {
            !(file.bytes.is_empty() && file.filename.as_deref().unwrap_or_default().is_empty())
        })
        .collect();
    if let Err(refused) = limits.check_count(files.len()) {
        return Err(vec![messages::photo_error(language, limits, &refused)]);
    }
    let mut kept = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    for file in files {
        let filename = safe_filename(file.filename.as_deref());
        match limits.check(&filename, &file.bytes) {
            Ok(media) => kept.push(NewAttachment {
                filename,
                content_type: media.mime().to_owned(),
                bytes: file.bytes.to_vec(),
            }),
            Err(refused) => problems.push(messages::photo_error(language, limits, &refused)),
        }
    }
    if problems.is_empty() {
        Ok(kept)
    } else {
        Err(problems)
    }
}

/// Whether a submission only looks at the client's bucket or draws on it.
#[derive(Clone, Copy)]
enum RateCheck {
    Peek,
    Draw,
}

impl WebDoor {
    fn submission_rate(
        &self,
        headers: &HeaderMap,
        peer: Option<&PeerAddress>,
        check: RateCheck,
    ) -> Result<(), Limited> {
        let Some(limiter) = &self.inner.submissions else {
            return Ok(());
        };
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        let client = client_key(client_address(
            forwarded,
            peer.map(|peer| peer.0.ip()),
            self.inner.trusted_proxy_hops,
        ));
        match check {
            RateCheck::Peek => limiter.peek(&client, Instant::now()),
            RateCheck::Draw => limiter.check(&client, Instant::now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_fresh_and_fit_the_limit() {
        let one = new_idempotency_key();
        let two = new_idempotency_key();
        assert_ne!(one, two);
        assert!(one.len() <= palaute_core::submission::MAX_IDEMPOTENCY_KEY_CHARS);
    }

    #[test]
    fn coordinates_that_are_not_numbers_are_refused_before_parsing() {
        let values = FormValues {
            description: "Kuoppa".to_owned(),
            latitude: "north".to_owned(),
            longitude: "24.9".to_owned(),
            ..FormValues::default()
        };
        let (raw, errors) = raw_submission(&values, &PostedForm::default(), Language::En);
        assert_eq!(raw.channel, Channel::Web);
        assert_eq!(raw.latitude, None);
        assert_eq!(raw.longitude, Some(24.9));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "address");
    }
}
