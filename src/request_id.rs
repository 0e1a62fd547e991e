//! The request id: taken from the client's `X-Request-Id` when it is a sane one (1 to
//! 128 visible ASCII characters), made up otherwise, and returned on the response.

use axum::http::{HeaderMap, HeaderName};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

const MAX_CHARS: usize = 128;

/// The client's id if it can be logged and echoed as it is, else a new random one.
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_sane(id))
        .map_or_else(new_request_id, str::to_owned)
}

fn is_sane(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_CHARS && id.bytes().all(|b| b.is_ascii_graphic())
}

fn new_request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, value.parse().expect("header value"));
        headers
    }

    #[test]
    fn a_sane_client_id_is_kept() {
        assert_eq!(request_id(&with("abc-123_X.y")), "abc-123_X.y");
    }

    #[test]
    fn a_missing_long_or_spaced_id_is_replaced() {
        for headers in [
            HeaderMap::new(),
            with(&"a".repeat(129)),
            with("two words"),
            with(""),
        ] {
            let id = request_id(&headers);
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}
