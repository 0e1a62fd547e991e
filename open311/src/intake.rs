//! `POST requests`: a service request, form-encoded or multipart with `media` files,
//! becomes a case by the shared intake rules.
//!
//! The order of checks: the rate limit of the client's address, the body's shape, the
//! API key (before anything about the request's content is told), the form's own
//! fields, `Submission::parse`, then the files' count, size and type (by their bytes).

use std::collections::HashMap;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures::StreamExt;
use palaute_core::attachment::{AttachmentError, safe_filename};
use palaute_core::rate_limit::PeerAddress;
use palaute_core::{Channel, Field, FieldErrors, RawSubmission, Submission};
use palaute_store::{NewAttachment, NewCase};
use serde_json::json;

use crate::multipart::{self, MultipartError, PostedFile};
use crate::{
    Format, MAX_FORM_BYTES, Open311Door, answer, error, errors, given, internal_error, parameters,
    rate_limited,
};

pub(crate) async fn post_request_json(
    State(door): State<Open311Door>,
    peer: Option<Extension<PeerAddress>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    post_request(&door, Format::Json, peer, &headers, body).await
}

pub(crate) async fn post_request_xml(
    State(door): State<Open311Door>,
    peer: Option<Extension<PeerAddress>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    post_request(&door, Format::Xml, peer, &headers, body).await
}

/// What a request carried, whatever its encoding.
struct Posted {
    fields: HashMap<String, String>,
    files: Vec<PostedFile>,
}

async fn post_request(
    door: &Open311Door,
    format: Format,
    peer: Option<Extension<PeerAddress>>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    // Before the body is read: a client over its limit costs no more than this.
    if let Err(limited) =
        door.check_submission_rate(headers, peer.as_ref().map(|Extension(peer)| peer))
    {
        let mut response = rate_limited(format, limited);
        close_connection(&mut response);
        return response;
    }
    let limit = door.inner.max_body_bytes;
    let body =
        match tokio::time::timeout(door.inner.body_read_timeout, read_limited(body, limit)).await {
            Ok(Ok(BodyRead::Complete(body))) => body,
            Ok(Ok(BodyRead::TooLarge { drained })) => {
                let mut response = error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format,
                    &format!("the request body is larger than {limit} bytes"),
                );
                if !drained {
                    close_connection(&mut response);
                }
                return response;
            }
            Ok(Err(_)) => {
                let mut response = error(
                    StatusCode::BAD_REQUEST,
                    format,
                    "the request body could not be read",
                );
                close_connection(&mut response);
                return response;
            }
            Err(_) => {
                let mut response = error(
                    StatusCode::REQUEST_TIMEOUT,
                    format,
                    &format!(
                        "the request body did not arrive within {} seconds",
                        door.inner.body_read_timeout.as_secs()
                    ),
                );
                close_connection(&mut response);
                return response;
            }
        };
    let posted = match read_body(door, headers, body).await {
        Ok(posted) => posted,
        Err((status, problem)) => return error(status, format, &problem),
    };
    let source = match door
        .key_source(posted.fields.get("api_key").map(String::as_str))
        .await
    {
        Ok(Some(source)) => source,
        Ok(None) => {
            return error(
                StatusCode::FORBIDDEN,
                format,
                "api_key is missing or not valid",
            );
        }
        Err(failure) => {
            tracing::error!(error = %failure, "checking an open311 api key failed");
            return internal_error(format);
        }
    };
    let raw = match raw_submission(&posted.fields) {
        Ok(raw) => raw,
        Err(problems) => return errors(StatusCode::BAD_REQUEST, format, &problems),
    };
    let submission = match Submission::parse(raw, &door.inner.organisation) {
        Ok(submission) => submission,
        Err(problems) => {
            return errors(StatusCode::BAD_REQUEST, format, &describe(&problems));
        }
    };
    let attachments = match attachments(door, posted.files) {
        Ok(attachments) => attachments,
        Err((status, problems)) => return errors(status, format, &problems),
    };
    let mut new_case = NewCase::from(submission);
    new_case.source = Some(source);
    new_case.attachments = attachments;
    let submitted = match door
        .inner
        .store
        .submit_case(new_case, door.inner.max_attempts, palaute_store::now())
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

/// How many times the limit an oversized body is still read (and thrown away), so
/// that a client sending a little too much reads its 413 rather than a reset
/// connection; beyond it the connection is closed unread.
const DRAIN_FACTOR: usize = 4;

enum BodyRead {
    Complete(Bytes),
    /// Over the limit; `drained` says whether the whole body was read anyway.
    TooLarge {
        drained: bool,
    },
}

/// A body of at most `limit` bytes; the caller bounds the time it may take.
async fn read_limited(body: Body, limit: usize) -> Result<BodyRead, axum::Error> {
    let drain_limit = limit.saturating_mul(DRAIN_FACTOR);
    let mut stream = body.into_data_stream();
    let mut collected = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len());
        if seen > drain_limit {
            return Ok(BodyRead::TooLarge { drained: false });
        }
        if seen <= limit {
            collected.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        Ok(BodyRead::TooLarge { drained: true })
    } else {
        Ok(BodyRead::Complete(Bytes::from(collected)))
    }
}

/// The body was not read to its end: the connection cannot carry another request.
fn close_connection(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// The fields and files of a form-encoded or multipart body.
async fn read_body(
    door: &Open311Door,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Posted, (StatusCode, String)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/x-www-form-urlencoded" => {
            if body.len() > MAX_FORM_BYTES {
                return Err((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("a form-encoded request may be at most {MAX_FORM_BYTES} bytes; send files as multipart/form-data"),
                ));
            }
            Ok(Posted {
                fields: parameters(&body),
                files: Vec::new(),
            })
        }
        "multipart/form-data" => {
            let limits = &door.inner.attachments;
            let max_field = limits.max_file_bytes.max(MAX_FORM_BYTES);
            match multipart::parse(content_type, body, max_field).await {
                Ok(form) => Ok(Posted {
                    fields: form.fields,
                    files: form.files,
                }),
                Err(MultipartError::TooLarge(problem)) => {
                    Err((StatusCode::PAYLOAD_TOO_LARGE, problem))
                }
                Err(MultipartError::Malformed(problem)) => Err((StatusCode::BAD_REQUEST, problem)),
            }
        }
        _ => Err((
            StatusCode::BAD_REQUEST,
            "send the request form-encoded (Content-Type: application/x-www-form-urlencoded), or as multipart/form-data with media files".to_owned(),
        )),
    }
}

/// The files to keep, or why not: 413 when a file is too large, 400 otherwise.
fn attachments(
    door: &Open311Door,
    files: Vec<PostedFile>,
) -> Result<Vec<NewAttachment>, (StatusCode, Vec<String>)> {
    let limits = &door.inner.attachments;
    // A file input left empty sends a part without name or bytes: nothing was sent.
    let files: Vec<PostedFile> = files
        .into_iter()
        .filter(|file| {
            !(file.bytes.is_empty() && file.filename.as_deref().unwrap_or_default().is_empty())
        })
        .collect();
    if let Err(refused) = limits.check_count(files.len()) {
        return Err((StatusCode::BAD_REQUEST, vec![format!("media: {refused}")]));
    }
    let mut kept = Vec::with_capacity(files.len());
    let mut problems: Vec<AttachmentError> = Vec::new();
    for file in files {
        let filename = safe_filename(file.filename.as_deref());
        match limits.check(&filename, &file.bytes) {
            Ok(media) => kept.push(NewAttachment {
                filename,
                content_type: media.mime().to_owned(),
                bytes: file.bytes.to_vec(),
            }),
            Err(refused) => problems.push(refused),
        }
    }
    if problems.is_empty() {
        return Ok(kept);
    }
    let status = if problems.iter().any(AttachmentError::is_too_large) {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::BAD_REQUEST
    };
    Err((
        status,
        problems
            .iter()
            .map(|problem| format!("media: {problem}"))
            .collect(),
    ))
}

/// The form's fields as a submission, or what is wrong with the form itself (before
/// any intake rule: those are `Submission::parse`'s).
pub(crate) fn raw_submission(form: &HashMap<String, String>) -> Result<RawSubmission, Vec<String>> {
    let mut problems = Vec::new();
    let service_code = given(form, "service_code");
    if service_code.is_none() {
        problems.push("service_code is required".to_owned());
    }
    let mut coordinate = |name: &str| {
        let text = given(form, name)?;
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Some(value),
            _ => {
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
        answers: attribute_answers(form),
    })
}

/// The service definition's attributes as posted: `attribute[code]=value`, and
/// `attribute[code][]=key` for a multivaluelist (several keys comma-separated, since a
/// form field arrives here once).
fn attribute_answers(form: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut answers: Vec<(String, String)> = Vec::new();
    for (name, value) in form {
        let Some(code) = name
            .strip_prefix("attribute[")
            .and_then(|rest| rest.strip_suffix("[]").or(Some(rest)))
            .and_then(|rest| rest.strip_suffix(']'))
        else {
            continue;
        };
        if name.ends_with("[]") {
            answers.extend(
                value
                    .split(',')
                    .map(|key| (code.to_owned(), key.trim().to_owned())),
            );
        } else {
            answers.push((code.to_owned(), value.clone()));
        }
    }
    // A HashMap's order is arbitrary; the rules and the fingerprint want a fixed one.
    answers.sort();
    answers
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
        Field::Answer => "attribute",
    }
}

fn describe(problems: &FieldErrors) -> Vec<String> {
    problems
        .iter()
        .map(
            |problem| match problem.guidance.as_ref().and_then(|g| g.question()) {
                Some(code) => format!("attribute[{code}]: {}", problem.message),
                None => format!("{}: {}", open311_field(problem.field), problem.message),
            },
        )
        .collect()
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
        let infinite = raw_submission(&form(&[
            ("service_code", "1"),
            ("lat", "1e400"),
            ("long", "NaN"),
        ]))
        .expect_err("not finite");
        assert_eq!(infinite.len(), 2, "{infinite:?}");
    }
}
