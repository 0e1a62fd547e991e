//! `GET media/{id}`: a file sent with a service request, by its unguessable id. Only
//! files of requests made through this door are served; files that came with a case
//! through another door (an email's attachments) are not public.
//!
//! Served so that no browser runs it: the type is the one its bytes showed when it
//! was taken (and one of a few image types or PDF), `nosniff`, a sandboxing CSP, and
//! `Content-Disposition` with the file's name (`attachment` for PDFs).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use palaute_core::Channel;
use palaute_core::attachment::MediaType;
use palaute_store::Store;

/// A public id as the store gives them out: base64url.
fn looks_like_an_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

pub(crate) async fn serve(store: &Store, public_id: &str) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such file",
        )
            .into_response()
    };
    if !looks_like_an_id(public_id) {
        return not_found();
    }
    let internal = |failure: palaute_store::StoreError| {
        tracing::error!(error = %failure, "reading an open311 media file failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "internal error; it has been logged",
        )
            .into_response()
    };
    let file = match store.attachment(public_id).await {
        Ok(Some(file)) => file,
        Ok(None) => return not_found(),
        Err(failure) => return internal(failure),
    };
    // Only files sent through Open311 are published here (see `reading`).
    match store.case_by_id(file.info.case_id).await {
        Ok(Some(case)) if case.channel == Channel::Open311 => {}
        Ok(_) => return not_found(),
        Err(failure) => return internal(failure),
    }
    let media = MediaType::from_mime(&file.info.content_type);
    let content_type = media.map_or("application/octet-stream", MediaType::mime);
    let disposition = content_disposition(
        if media.is_some_and(MediaType::is_image) {
            "inline"
        } else {
            "attachment"
        },
        &file.info.filename,
    );
    let mut response = (StatusCode::OK, file.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `inline; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII stand-in for old
/// clients, and the real name percent-encoded.
fn content_disposition(kind: &str, filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_') {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_safely() {
        assert_eq!(
            content_disposition("inline", "kuoppa ä\"x.jpg"),
            "inline; filename=\"kuoppa __x.jpg\"; filename*=UTF-8''kuoppa%20%C3%A4%22x.jpg"
        );
        assert!(looks_like_an_id("AbC-_09"));
        assert!(!looks_like_an_id("../etc"));
        assert!(!looks_like_an_id(""));
    }
}
