//! Turning an [`OutgoingEmail`] into RFC 5322 message bytes.
//!
//! Every email palaute sends is machine-generated plain text, so every email carries
//! the same set of headers: a stable `Message-ID`, `Auto-Submitted: auto-generated`
//! (RFC 3834) and `X-Auto-Response-Suppress: All` so that out-of-office replies do not
//! bounce back and forth, and `Content-Language` so mail clients and screen readers
//! know which of the three languages the text is in.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::{
    ContentType, Header, HeaderName, HeaderValue, InReplyTo, MIME_VERSION_1_0, References,
};
use palaute_core::Language;

use super::MailError;

/// One email, as queued in the outbox table and retried until it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Without angle brackets, e.g. `case-42.handler@palaute.hel.fi`. Set when the email
    /// is queued and re-used on every retry, so a recipient's mail client can drop the
    /// duplicate when a retry follows a delivery whose acknowledgement was lost.
    pub message_id: String,
    /// A bare address or `Name <address>`; the name may contain any Unicode.
    pub from: String,
    /// A single recipient, in the same forms as `from`.
    pub to: String,
    pub subject: String,
    pub body_text: String,
    /// The language the subject and body are written in.
    pub language: Language,
    /// The message id (without angle brackets) this email answers, for threading.
    pub in_reply_to: Option<String>,
    /// Where answers go: the inbound address tagged with the case reference, so that a
    /// reply finds its case even when a mail client drops the threading headers.
    pub reply_to: Option<String>,
}

/// Renders the complete message, headers and body, dated now.
pub fn render(email: &OutgoingEmail) -> Result<Vec<u8>, MailError> {
    render_at(email, Utc::now())
}

/// Renders the complete message with the given `Date`, for reproducible output.
pub fn render_at(email: &OutgoingEmail, date: DateTime<Utc>) -> Result<Vec<u8>, MailError> {
    Ok(build(email, date)?.formatted())
}

/// Builds the lettre message; its envelope is derived from `from` and `to`.
pub(crate) fn build(email: &OutgoingEmail, date: DateTime<Utc>) -> Result<Message, MailError> {
    let from = parse_mailbox("from", &email.from)?;
    let to = parse_mailbox("to", &email.to)?;
    let message_id = angle_bracketed("message_id", &email.message_id)?;

    let mut builder = Message::builder()
        .message_id(Some(message_id))
        .date(SystemTime::from(date))
        .from(from)
        .to(to)
        .subject(single_line(&email.subject))
        .header(AutoSubmitted)
        .header(AutoResponseSuppress)
        .header(ContentLanguage(email.language))
        .header(MIME_VERSION_1_0)
        .header(ContentType::TEXT_PLAIN);
    if let Some(reply_to) = &email.reply_to {
        builder = builder.reply_to(parse_mailbox("reply_to", reply_to)?);
    }
    if let Some(parent) = &email.in_reply_to {
        let parent = angle_bracketed("in_reply_to", parent)?;
        // Clients thread on References more reliably than on In-Reply-To alone.
        builder = builder
            .header(InReplyTo::from(parent.clone()))
            .header(References::from(parent));
    }
    builder
        .body(email.body_text.clone())
        .map_err(MailError::Build)
}

/// Parses `address` or `Name <address>`.
///
/// Display names are taken verbatim rather than through lettre's RFC 5322 parser,
/// which rejects unquoted non-ASCII names such as `Helsingin kaupunki – palaute`.
fn parse_mailbox(field: &'static str, value: &str) -> Result<Mailbox, MailError> {
    let invalid = |reason: &str| MailError::InvalidAddress {
        field,
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    if value.chars().any(char::is_control) {
        return Err(invalid("contains a control character"));
    }
    let trimmed = value.trim();
    let (name, address) = match trimmed.strip_suffix('>').and_then(|v| v.rsplit_once('<')) {
        Some((name, address)) => (unquote(name.trim()), address.trim()),
        None => ("", trimmed),
    };
    if address.is_empty() {
        return Err(invalid("no address given"));
    }
    let address = address
        .parse()
        .map_err(|error: lettre::address::AddressError| invalid(&error.to_string()))?;
    let name = (!name.is_empty()).then(|| name.to_owned());
    // lettre quotes or RFC 2047-encodes the name as needed, so a comma in it cannot
    // turn one recipient into two.
    Ok(Mailbox::new(name, address))
}

fn unquote(name: &str) -> &str {
    name.strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(name)
}

/// Validates a message id (RFC 5322 `dot-atom-text "@" dot-atom-text`) and wraps it
/// in the angle brackets the header needs.
fn angle_bracketed(field: &'static str, id: &str) -> Result<String, MailError> {
    let is_dot_atom = |part: &str| {
        !part.is_empty()
            && part.split('.').all(|atom| {
                !atom.is_empty()
                    && atom
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b))
            })
    };
    match id.split_once('@') {
        Some((left, right)) if is_dot_atom(left) && is_dot_atom(right) => Ok(format!("<{id}>")),
        _ => Err(MailError::InvalidMessageId {
            field,
            value: id.to_owned(),
        }),
    }
}

/// Folds line breaks and tabs into spaces: a subject is one line.
fn single_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells vacation responders and
/// mailing-list software that no human wrote this email.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if s.trim().eq_ignore_ascii_case("auto-generated") {
            Ok(Self)
        } else {
            Err(format!("unexpected Auto-Submitted value {s:?}").into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// `X-Auto-Response-Suppress: All`: Microsoft Exchange's own switch for out-of-office
/// and delivery receipts, which ignores `Auto-Submitted`.
#[derive(Debug, Clone, Copy)]
struct AutoResponseSuppress;

impl Header for AutoResponseSuppress {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if s.trim().eq_ignore_ascii_case("all") {
            Ok(Self)
        } else {
            Err(format!("unexpected X-Auto-Response-Suppress value {s:?}").into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "All".to_owned())
    }
}

/// `Content-Language` (RFC 3282).
#[derive(Debug, Clone, Copy)]
struct ContentLanguage(Language);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Language::from_code(&s.trim().to_ascii_lowercase())
            .map(Self)
            .ok_or_else(|| format!("unsupported Content-Language {s:?}").into())
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.code().to_owned())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;

    pub(crate) fn sample_email() -> OutgoingEmail {
        OutgoingEmail {
            message_id: "case-1.handler@palaute.hel.fi".to_owned(),
            from: "Helsingin kaupunki – palaute <noreply@palaute.hel.fi>".to_owned(),
            to: "Käsittelijä Äijälä <kasittelija@hel.fi>".to_owned(),
            subject: "[HEL-2026-000001] Uusi palaute: Kävelytien lämpö".to_owned(),
            body_text: "Kävelytien lämmitys ei toimi.\nKorjatkaa pian, kiitos!\n".to_owned(),
            language: Language::Fi,
            in_reply_to: None,
            reply_to: None,
        }
    }

    #[test]
    fn answers_go_to_the_tagged_inbound_address() {
        let email = OutgoingEmail {
            reply_to: Some("palaute+HEL-2026-000001@hel.fi".to_owned()),
            ..sample_email()
        };
        let message = render(&email).expect("renders");
        assert_eq!(
            header(&message, "Reply-To").as_deref(),
            Some("palaute+HEL-2026-000001@hel.fi")
        );
        assert_eq!(
            header(&render(&sample_email()).expect("renders"), "Reply-To"),
            None
        );
    }

    /// Intake accepts an address only if delivery can write to it: every address that
    /// `EmailAddress::parse` accepts, out of many hostile variants, builds a message
    /// and an envelope here.
    #[test]
    fn every_address_intake_accepts_builds_a_message_and_envelope() {
        use palaute_testkit::fuzz::{Rng, mutate};
        let seeds = [
            "maija@example.com",
            "maija.meikalainen+palaute@hel.fi",
            "o'brien@example.co.uk",
            "äiti@esimerkki.fi",
            "user@münchen.de",
            "a!#$%&*=?^_`{|}~-b@x-y.example",
        ];
        let mut rng = Rng::new(20_261_201);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let candidate = mutate(&mut rng, &seeds);
            let Ok(address) = palaute_core::EmailAddress::parse(&candidate) else {
                continue;
            };
            accepted += 1;
            let email = OutgoingEmail {
                to: address.to_string(),
                ..sample_email()
            };
            let message = build(&email, chrono::Utc::now()).unwrap_or_else(|error| {
                panic!("{address}: accepted at intake, refused here: {error}")
            });
            assert_eq!(message.envelope().to().len(), 1, "{address}");
        }
        assert!(
            accepted > 1_000,
            "only {accepted} variants were accepted: the test lost its point"
        );
    }

    /// The header section of a rendered message, unfolded: `(name, raw value)`.
    pub(crate) fn header_fields(message: &[u8]) -> Vec<(String, String)> {
        let text = String::from_utf8_lossy(message);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = fields.last_mut() {
                    value.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                fields.push((name.to_owned(), value.trim_start().to_owned()));
            }
        }
        fields
    }

    pub(crate) fn header(message: &[u8], name: &str) -> Option<String> {
        header_fields(message)
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// Decodes RFC 2047 encoded-words (`=?utf-8?b?…?=` and `?q?`); whitespace between
    /// two adjacent encoded-words is dropped, as the RFC requires.
    pub(crate) fn decode_rfc2047(value: &str) -> String {
        let mut out = String::new();
        let mut rest = value;
        let mut previous_was_encoded = false;
        while !rest.is_empty() {
            let Some(start) = rest.find("=?") else {
                out.push_str(rest);
                break;
            };
            let (plain, candidate) = rest.split_at(start);
            let encoded = candidate[2..].splitn(3, '?').collect::<Vec<_>>();
            let end = encoded
                .get(2)
                .and_then(|text| text.find("?=").map(|end| (&text[..end], end)));
            let (Some(charset), Some(encoding), Some((text, text_len))) =
                (encoded.first(), encoded.get(1), end)
            else {
                out.push_str(rest);
                break;
            };
            if !(previous_was_encoded && plain.trim().is_empty()) {
                out.push_str(plain);
            }
            assert!(charset.eq_ignore_ascii_case("utf-8"), "charset {charset}");
            let bytes = match encoding.to_ascii_lowercase().as_str() {
                "b" => decode_base64(text),
                "q" => decode_q(text),
                other => panic!("unknown encoding {other}"),
            };
            out.push_str(&String::from_utf8(bytes).expect("encoded-word is utf-8"));
            let consumed = 2 + charset.len() + 1 + encoding.len() + 1 + text_len + 2;
            rest = &candidate[consumed..];
            previous_was_encoded = true;
        }
        out
    }

    fn decode_base64(text: &str) -> Vec<u8> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bits = 0u32;
        let mut bit_count = 0;
        let mut out = Vec::new();
        for byte in text.bytes().filter(|&b| b != b'=') {
            let value = ALPHABET
                .iter()
                .position(|&a| a == byte)
                .expect("base64 character");
            bits = (bits << 6) | value as u32;
            bit_count += 6;
            if bit_count >= 8 {
                bit_count -= 8;
                out.push((bits >> bit_count) as u8);
                bits &= (1 << bit_count) - 1;
            }
        }
        out
    }

    fn decode_q(text: &str) -> Vec<u8> {
        decode_quoted_printable(&text.replace('_', " "))
    }

    /// Decodes a quoted-printable body, soft line breaks included.
    pub(crate) fn decode_quoted_printable(text: &str) -> Vec<u8> {
        let bytes = text.replace("=\r\n", "").into_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    }

    /// The body of a rendered message, decoded from its transfer encoding.
    pub(crate) fn decoded_body(message: &[u8]) -> String {
        let text = String::from_utf8_lossy(message);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        let encoding = header(message, "Content-Transfer-Encoding").unwrap_or_default();
        let bytes = match encoding.to_ascii_lowercase().as_str() {
            "quoted-printable" => decode_quoted_printable(body),
            "base64" => decode_base64(&body.replace("\r\n", "")),
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8(bytes).expect("body is utf-8")
    }

    #[test]
    fn every_email_carries_the_automation_and_language_headers() {
        let date = Utc
            .with_ymd_and_hms(2026, 11, 27, 12, 5, 0)
            .single()
            .expect("date");
        let message = render_at(&sample_email(), date).expect("renders");

        assert_eq!(
            header(&message, "Message-ID").as_deref(),
            Some("<case-1.handler@palaute.hel.fi>")
        );
        assert_eq!(
            header(&message, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        assert_eq!(
            header(&message, "X-Auto-Response-Suppress").as_deref(),
            Some("All")
        );
        assert_eq!(header(&message, "Content-Language").as_deref(), Some("fi"));
        assert_eq!(header(&message, "MIME-Version").as_deref(), Some("1.0"));
        assert_eq!(
            header(&message, "Content-Type").as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(
            header(&message, "Date").as_deref(),
            Some("Fri, 27 Nov 2026 12:05:00 +0000")
        );
        assert_eq!(header(&message, "In-Reply-To"), None);
    }

    #[test]
    fn header_lines_are_ascii_and_encoded_words_decode_back() {
        let message = render(&sample_email()).expect("renders");
        let head_end = message
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header section ends");
        for line in message[..head_end].split(|&b| b == b'\n') {
            assert!(line.is_ascii(), "{:?}", String::from_utf8_lossy(line));
            // RFC 5322's hard limit; lettre folds near 78 but may overshoot a little.
            assert!(line.len() <= 998, "line too long: {line:?}");
        }

        let subject = header(&message, "Subject").expect("subject");
        assert!(subject.contains("=?utf-8?"), "{subject}");
        assert_eq!(
            decode_rfc2047(&subject),
            "[HEL-2026-000001] Uusi palaute: Kävelytien lämpö"
        );
        let from = decode_rfc2047(&header(&message, "From").expect("from"));
        assert!(from.contains("Helsingin kaupunki – palaute"), "{from}");
        assert!(from.ends_with("<noreply@palaute.hel.fi>"), "{from}");
        let to = decode_rfc2047(&header(&message, "To").expect("to"));
        assert!(to.contains("Käsittelijä Äijälä"), "{to}");
    }

    #[test]
    fn body_is_utf8_text_with_crlf_line_endings() {
        let message = render(&sample_email()).expect("renders");
        assert_eq!(
            decoded_body(&message),
            "Kävelytien lämmitys ei toimi.\r\nKorjatkaa pian, kiitos!\r\n"
        );
    }

    #[test]
    fn message_id_is_the_queued_one_on_every_render() {
        let email = sample_email();
        let first = render(&email).expect("renders");
        let second = render(&email).expect("renders");
        assert_eq!(header(&first, "Message-ID"), header(&second, "Message-ID"));
    }

    #[test]
    fn replies_carry_in_reply_to_and_references() {
        let email = OutgoingEmail {
            in_reply_to: Some("abc.123@mail.example.org".to_owned()),
            ..sample_email()
        };
        let message = render(&email).expect("renders");
        assert_eq!(
            header(&message, "In-Reply-To").as_deref(),
            Some("<abc.123@mail.example.org>")
        );
        assert_eq!(
            header(&message, "References").as_deref(),
            Some("<abc.123@mail.example.org>")
        );
    }

    #[test]
    fn content_language_follows_the_email() {
        for language in Language::ALL {
            let email = OutgoingEmail {
                language: *language,
                ..sample_email()
            };
            let message = render(&email).expect("renders");
            assert_eq!(
                header(&message, "Content-Language").as_deref(),
                Some(language.code())
            );
        }
    }

    #[test]
    fn invalid_addresses_name_the_field() {
        let cases = [
            (
                "from",
                OutgoingEmail {
                    from: "not an address".to_owned(),
                    ..sample_email()
                },
            ),
            (
                "to",
                OutgoingEmail {
                    to: "Nimi <>".to_owned(),
                    ..sample_email()
                },
            ),
            (
                "to",
                OutgoingEmail {
                    to: "a@b.fi\r\nBcc: x@y.fi".to_owned(),
                    ..sample_email()
                },
            ),
            (
                "to",
                OutgoingEmail {
                    to: "a@b.fi, c@d.fi".to_owned(),
                    ..sample_email()
                },
            ),
        ];
        for (expected_field, email) in cases {
            match render(&email) {
                Err(error @ MailError::InvalidAddress { field, .. }) => {
                    assert_eq!(field, expected_field);
                    assert!(error.is_permanent());
                    assert!(error.to_string().contains(expected_field), "{error}");
                }
                other => panic!("expected an invalid {expected_field} address, got {other:?}"),
            }
        }
    }

    #[test]
    fn bare_and_quoted_addresses_are_accepted() {
        for from in [
            "noreply@palaute.hel.fi",
            "\"Palaute, Helsinki\" <noreply@palaute.hel.fi>",
        ] {
            let email = OutgoingEmail {
                from: from.to_owned(),
                ..sample_email()
            };
            let message = render(&email).expect("renders");
            let header = header(&message, "From").expect("from");
            assert!(header.contains("noreply@palaute.hel.fi"), "{header}");
        }
    }

    #[test]
    fn malformed_message_ids_are_rejected() {
        for bad in [
            "",
            "no-at-sign",
            "<case-1@palaute.hel.fi>",
            "a b@c.fi",
            "a@b@c.fi",
            "a.@b.fi",
        ] {
            let email = OutgoingEmail {
                message_id: bad.to_owned(),
                ..sample_email()
            };
            assert!(
                matches!(
                    render(&email),
                    Err(MailError::InvalidMessageId {
                        field: "message_id",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        let email = OutgoingEmail {
            in_reply_to: Some("not an id".to_owned()),
            ..sample_email()
        };
        assert!(matches!(
            render(&email),
            Err(MailError::InvalidMessageId {
                field: "in_reply_to",
                ..
            })
        ));
    }

    #[test]
    fn line_breaks_in_the_subject_cannot_inject_headers() {
        let email = OutgoingEmail {
            subject: "Hei\r\nBcc: attacker@example.org".to_owned(),
            ..sample_email()
        };
        let message = render(&email).expect("renders");
        assert_eq!(header(&message, "Bcc"), None);
        assert_eq!(
            header(&message, "Subject").as_deref(),
            Some("Hei Bcc: attacker@example.org")
        );
    }
}
