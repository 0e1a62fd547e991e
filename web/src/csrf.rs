//! The form's CSRF token, without a server-side session: the browser keeps a random
//! value in a `SameSite=Strict` cookie, and the form carries an HMAC of that value
//! under the server's key. Another site can neither read the cookie nor compute the
//! HMAC, so it cannot forge a form that passes.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The cookie holding the browser's random value.
pub const COOKIE: &str = "palaute_form";
/// Random bytes in the cookie's value.
const VALUE_BYTES: usize = 32;

/// A browser's form cookie and the token its forms carry.
pub struct FormSession {
    /// The cookie's value.
    pub value: String,
    /// `Some(header)` when the cookie is new and must be set on the response.
    pub set_cookie: Option<HeaderValue>,
}

/// The cookie the request carries, or a new one to set. `secure` adds the `Secure`
/// attribute (a site served over HTTPS).
pub fn session(headers: &HeaderMap, secure: bool) -> FormSession {
    if let Some(value) = cookie_value(headers).filter(|value| looks_valid(value)) {
        return FormSession {
            value,
            set_cookie: None,
        };
    }
    let mut bytes = [0u8; VALUE_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let value = URL_SAFE_NO_PAD.encode(bytes);
    let attributes = if secure {
        "; Path=/; HttpOnly; SameSite=Strict; Secure"
    } else {
        "; Path=/; HttpOnly; SameSite=Strict"
    };
    // Base64url characters and fixed attributes: always a valid header value.
    let set_cookie = HeaderValue::from_str(&format!("{COOKIE}={value}{attributes}")).ok();
    FormSession { value, set_cookie }
}

/// The token a form rendered for the cookie `value` carries.
pub fn token(key: &[u8], value: &str) -> String {
    // Without a MAC (which HMAC's any-length keys rule out) the form carries no
    // token, and its POST is refused: the check fails closed.
    mac(key, value).map_or_else(String::new, |mac| {
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    })
}

/// True when `presented` is the token of the cookie the request carries (compared in
/// constant time); false for a missing cookie or token.
pub fn verify(key: &[u8], headers: &HeaderMap, presented: Option<&str>) -> bool {
    let (Some(value), Some(presented)) = (cookie_value(headers), presented) else {
        return false;
    };
    let Ok(presented) = URL_SAFE_NO_PAD.decode(presented.trim()) else {
        return false;
    };
    mac(key, &value).is_some_and(|mac| mac.verify_slice(&presented).is_ok())
}

fn mac(key: &[u8], value: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(b"palaute form\n");
    mac.update(value.as_bytes());
    Some(mac)
}

/// The value of our cookie among the request's `Cookie` headers.
fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
}

/// A value this module could have made: base64url of the right length.
fn looks_valid(value: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(value)
        .is_ok_and(|bytes| bytes.len() == VALUE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={value}")).unwrap(),
        );
        headers
    }

    #[test]
    fn a_token_passes_only_with_its_own_cookie_and_key() {
        let key = b"server key";
        let fresh = session(&HeaderMap::new(), false);
        assert!(fresh.set_cookie.is_some());
        let form_token = token(key, &fresh.value);
        assert!(verify(key, &with_cookie(&fresh.value), Some(&form_token)));
        assert!(!verify(
            b"other key",
            &with_cookie(&fresh.value),
            Some(&form_token)
        ));
        let other = session(&HeaderMap::new(), false);
        assert!(!verify(key, &with_cookie(&other.value), Some(&form_token)));
        assert!(!verify(key, &HeaderMap::new(), Some(&form_token)));
        assert!(!verify(key, &with_cookie(&fresh.value), None));
        assert!(!verify(
            key,
            &with_cookie(&fresh.value),
            Some("not base64!")
        ));
    }

    #[test]
    fn an_existing_cookie_is_kept() {
        let fresh = session(&HeaderMap::new(), true);
        let again = session(&with_cookie(&fresh.value), true);
        assert_eq!(again.value, fresh.value);
        assert!(again.set_cookie.is_none());
        let set = fresh.set_cookie.unwrap();
        assert!(set.to_str().unwrap().contains("SameSite=Strict; Secure"));
    }
}
