//! `POST /inbound/email`: a raw RFC 5322 message from an MTA pipe or a mail provider's
//! inbound hook. The caller proves it holds `[mail] webhook_secret`, either as a bearer
//! token or by signing the body (`X-Palaute-Signature: sha256=<hex HMAC-SHA256>`).
//! 200 means the message is kept (whatever it became); 5xx asks the sender to retry.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use palaute_core::token::constant_time_eq;
use serde_json::json;
use sha2::Sha256;

use crate::intake::{IntakeError, MailIntake, MailSource};

/// Where the webhook listens.
pub const PATH: &str = "/inbound/email";
/// The header a signed request carries.
pub const SIGNATURE_HEADER: &str = "x-palaute-signature";

#[derive(Clone)]
struct Webhook {
    intake: MailIntake,
    secret: Option<String>,
}

/// The webhook's route; without a secret configured it answers 404, so an open
/// server never takes anonymous mail.
pub fn router(intake: MailIntake, secret: Option<String>) -> Router {
    let limit = intake.max_message_bytes().saturating_add(1);
    let secret = secret.filter(|secret| !secret.trim().is_empty());
    Router::new()
        .route(PATH, post(receive))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(Webhook { intake, secret })
}

async fn receive(State(hook): State<Webhook>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = hook.secret.as_deref() else {
        return answer(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no inbound email webhook is configured",
        );
    };
    if !authorised(secret, &headers, &body) {
        return answer(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "a valid bearer secret or X-Palaute-Signature is required",
        );
    }
    if body.is_empty() {
        return answer(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the body must be a raw email message",
        );
    }
    match hook.intake.ingest(&body, MailSource::Webhook).await {
        Ok(taken) => (
            StatusCode::OK,
            axum::Json(json!({
                "disposition": taken.disposition.code(),
                "reason": taken.reason,
                "reference": taken.reference.map(|reference| reference.to_string()),
                "duplicate": taken.duplicate,
            })),
        )
            .into_response(),
        Err(IntakeError::TooLarge { size, max }) => answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("the message is {size} bytes; at most {max} are accepted"),
        ),
        Err(IntakeError::Failed(error)) => {
            tracing::error!(
                error = format!("{error:#}"),
                "inbound email could not be kept"
            );
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "the message could not be kept now; retry later",
            )
        }
    }
}

/// The bearer secret, or a body signed with it.
fn authorised(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        return constant_time_eq(token.trim(), secret);
    }
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().strip_prefix("sha256="))
        .and_then(decode_hex);
    let (Some(signature), Ok(mut mac)) =
        (signature, Hmac::<Sha256>::new_from_slice(secret.as_bytes()))
    else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

/// The signature `secret` gives `body`, as the header carries it (for senders and tests).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| {
            text.get(at..at + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

fn answer(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_checked_against_the_body() {
        let body = b"Subject: hi\r\n\r\nhello\r\n";
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, sign("s3cret", body).parse().unwrap());
        assert!(authorised("s3cret", &headers, body));
        assert!(!authorised("other", &headers, body));
        assert!(!authorised(
            "s3cret",
            &headers,
            b"Subject: changed\r\n\r\nhello\r\n"
        ));
        headers.insert(SIGNATURE_HEADER, "sha256=zz".parse().unwrap());
        assert!(!authorised("s3cret", &headers, body));
    }

    #[test]
    fn a_bearer_secret_must_match_exactly() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert!(authorised("s3cret", &headers, b""));
        headers.insert(header::AUTHORIZATION, "Bearer s3cre".parse().unwrap());
        assert!(!authorised("s3cret", &headers, b""));
        assert!(!authorised("s3cret", &HeaderMap::new(), b""));
    }
}
