//! A raw RFC 5322 message parsed into what intake needs.

use std::borrow::Cow;
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use mail_parser::{
    HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

use crate::html_text::html_to_text;
use crate::noise::Noise;

/// One inbound email, decoded: headers (RFC 2047), body (any charset, quoted-printable
/// or base64, HTML turned into readable text) and attachments.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// `Message-ID` without angle brackets, when the message has one.
    pub message_id: Option<String>,
    /// The sender's address (`From`), lowercased; `None` when absent or unparseable.
    pub from_address: Option<String>,
    /// The sender's display name, when given.
    pub from_name: Option<String>,
    /// Every address in `To`, `Cc` and `Delivered-To`, lowercased.
    pub recipients: Vec<String>,
    /// The decoded subject, trimmed ("" when absent).
    pub subject: String,
    /// `In-Reply-To` ids, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// `References` ids, without angle brackets, oldest first.
    pub references: Vec<String>,
    /// `Date`, when present and valid.
    pub date: Option<DateTime<Utc>>,
    /// The body as readable plain text (text/plain preferred; HTML-only mail converted).
    pub text: String,
    /// Files attached to the message (not inline text parts).
    pub attachments: Vec<Attachment>,
    /// Why this message must not become a case or a message on one, if it must not.
    pub noise: Option<Noise>,
}

/// A file attached to an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: Option<String>,
    /// `type/subtype`, lowercased.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A message too broken to read at all (not even headers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable email: {0}")]
pub struct ParseError(pub String);

impl InboundMessage {
    /// Parses a raw RFC 5322 message as it came (LF, CRLF or CR-only line endings; a
    /// leading mbox `From ` line is skipped). Fails only when not even one header field
    /// can be read; everything else is decoded as well as it can be, never panicking.
    pub fn parse(raw: &[u8]) -> Result<InboundMessage, ParseError> {
        let raw = skip_mbox_from_line(raw);
        let raw = normalise_line_endings(raw);
        // mail-parser never panics in a release build, but in a debug build one of its
        // `debug_assert!`s fires on some broken multipart structures (found by
        // tests/fuzz_mime.rs: "Invalid part ID, could not find multipart"). There such a
        // message is unreadable rather than a crash; a release build reads what it can.
        std::panic::catch_unwind(|| parse_normalised(&raw)).unwrap_or_else(|_| {
            Err(ParseError(
                "the MIME structure could not be followed".to_owned(),
            ))
        })
    }
}

fn parse_normalised(raw: &[u8]) -> Result<InboundMessage, ParseError> {
    let parsed = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| ParseError("no header fields".to_owned()))?;
    // mail-parser reads a header out of almost anything; a message needs at least one
    // field with a name RFC 5322 allows (printable ASCII, no colon).
    let has_field = parsed.headers().iter().any(|header| {
        let name = header.name.as_str();
        !name.is_empty()
            && name
                .bytes()
                .all(|byte| byte.is_ascii_graphic() && byte != b':')
    });
    if !has_field {
        return Err(ParseError("no header fields".to_owned()));
    }
    Ok(from_parsed(&parsed))
}

fn from_parsed(parsed: &Message<'_>) -> InboundMessage {
    let from = parsed.from().and_then(|address| address.first());
    let from_address = from.and_then(|addr| addr.address()).and_then(clean_address);
    let from_name = from
        .and_then(|addr| addr.name())
        .map(collapse_whitespace)
        .filter(|name| !name.is_empty());

    let mut recipients = Vec::new();
    let mut seen = HashSet::new();
    for name in [HeaderName::To, HeaderName::Cc, HeaderName::DeliveredTo] {
        for value in parsed.header_values(name) {
            push_addresses(value, &mut recipients, &mut seen);
        }
    }

    InboundMessage {
        message_id: parsed.message_id().and_then(clean_id),
        from_address,
        from_name,
        recipients,
        subject: parsed
            .subject()
            .map(collapse_whitespace)
            .unwrap_or_default(),
        in_reply_to: ids(parsed.in_reply_to()),
        references: ids(parsed.references()),
        date: parsed.date().and_then(to_utc),
        text: body_text(parsed),
        attachments: attachments(parsed),
        noise: crate::noise::classify(parsed),
    }
}

/// An mbox file's separator line ("From sender date") is not a header field.
fn skip_mbox_from_line(raw: &[u8]) -> &[u8] {
    if !raw.starts_with(b"From ") {
        return raw;
    }
    match raw.iter().position(|&byte| byte == b'\n' || byte == b'\r') {
        Some(end) => {
            let line = raw.get(..end).unwrap_or_default();
            // "From: x" is a header; "From x date" is not (no colon in the name).
            let name = line.split(|&byte| byte == b' ').next().unwrap_or_default();
            if name.contains(&b':') {
                return raw;
            }
            let rest = raw.get(end..).unwrap_or_default();
            let rest = rest.strip_prefix(b"\r").unwrap_or(rest);
            rest.strip_prefix(b"\n").unwrap_or(rest)
        }
        None => raw,
    }
}

/// mail-parser reads LF and CRLF; a message written with CR alone (old Mac mail) becomes
/// LF. Only when the first line ends in a lone CR: a CRLF or LF message is left as it is,
/// stray CRs in it included.
fn normalise_line_endings(raw: &[u8]) -> Cow<'_, [u8]> {
    let first_break = raw.iter().position(|&byte| byte == b'\r' || byte == b'\n');
    let cr_only = first_break
        .is_some_and(|at| raw.get(at) == Some(&b'\r') && raw.get(at + 1) != Some(&b'\n'));
    if !cr_only {
        return Cow::Borrowed(raw);
    }
    let mut normalised = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().peekable();
    while let Some(&byte) = bytes.next() {
        if byte == b'\r' {
            if bytes.peek() == Some(&&b'\n') {
                bytes.next();
            }
            normalised.push(b'\n');
        } else {
            normalised.push(byte);
        }
    }
    Cow::Owned(normalised)
}

/// An address lowercased and trimmed, `None` when it is not one (no `@`).
pub(crate) fn clean_address(address: &str) -> Option<String> {
    let address = address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    if address.is_empty() || address.contains(char::is_whitespace) {
        return None;
    }
    Some(address.to_lowercase())
}

/// A message id without angle brackets and whitespace.
pub(crate) fn clean_id(id: &str) -> Option<String> {
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty()).then(|| id.to_owned())
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Adds each new address of a header to `into`, in order, once.
fn push_addresses(value: &HeaderValue<'_>, into: &mut Vec<String>, seen: &mut HashSet<String>) {
    let mut push = |address: String| {
        if seen.insert(address.clone()) {
            into.push(address);
        }
    };
    match value.as_address() {
        Some(address) => address
            .iter()
            .filter_map(|addr| addr.address().and_then(clean_address))
            .for_each(&mut push),
        // Delivered-To and other headers read raw: one bare address.
        None => value
            .as_text()
            .and_then(clean_address)
            .filter(|address| address.contains('@'))
            .into_iter()
            .for_each(&mut push),
    }
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => clean_id(id).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|id| clean_id(id)).collect(),
        _ => Vec::new(),
    }
}

fn to_utc(date: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    if !date.is_valid() {
        return None;
    }
    DateTime::from_timestamp(date.to_timestamp(), 0)
}

/// The readable body: the text/plain parts when there are any, else the HTML parts
/// turned into text.
fn body_text(parsed: &Message<'_>) -> String {
    let mut plain = Vec::new();
    let mut html = Vec::new();
    for id in &parsed.text_body {
        match parsed.part(*id).map(|part| &part.body) {
            Some(PartType::Text(text)) => plain.push(text.as_ref()),
            Some(PartType::Html(text)) => html.push(text.as_ref()),
            _ => {}
        }
    }
    if plain.iter().any(|text| !text.trim().is_empty()) || html.is_empty() {
        let joined = plain.join("\n\n");
        return tidy_text(&joined);
    }
    let converted: Vec<String> = html.iter().map(|html| html_to_text(html)).collect();
    converted.join("\n\n")
}

/// Line endings to `\n`, trailing spaces off, the whole trimmed; a BOM dropped.
fn tidy_text(text: &str) -> String {
    let text = text.trim_start_matches('\u{feff}');
    let mut tidy = String::with_capacity(text.len());
    for line in text.split('\n') {
        tidy.push_str(line.trim_end_matches(['\r', ' ', '\t']));
        tidy.push('\n');
    }
    tidy.trim_matches(|c: char| c == '\n' || c == '\r')
        .trim_end()
        .to_owned()
}

/// The files attached: every part mail-parser lists as an attachment that is not one of
/// the text bodies (images, documents, forwarded messages, delivery reports).
fn attachments(parsed: &Message<'_>) -> Vec<Attachment> {
    let mut found = Vec::new();
    for id in &parsed.attachments {
        if parsed.text_body.contains(id) || parsed.html_body.contains(id) {
            continue;
        }
        let Some(part) = parsed.part(*id) else {
            continue;
        };
        let bytes: Vec<u8> = match &part.body {
            PartType::Text(text) | PartType::Html(text) => text.as_bytes().to_vec(),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.to_vec(),
            PartType::Message(nested) => {
                if part.encoding == mail_parser::Encoding::None {
                    parsed
                        .raw_message
                        .get(part.offset_body as usize..part.offset_end as usize)
                        .unwrap_or_default()
                        .to_vec()
                } else {
                    nested.raw_message.to_vec()
                }
            }
            PartType::Multipart(_) => continue,
        };
        found.push(Attachment {
            filename: part
                .attachment_name()
                .map(collapse_whitespace)
                .filter(|name| !name.is_empty()),
            content_type: content_type_of(part),
            bytes,
        });
    }
    found
}

/// `type/subtype` of a part, lowercased; what MIME assumes when the header is absent.
pub(crate) fn content_type_of(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(content_type) => {
            let subtype = content_type
                .subtype()
                .unwrap_or(match content_type.ctype() {
                    "text" => "plain",
                    _ => "octet-stream",
                });
            format!("{}/{}", content_type.ctype(), subtype).to_lowercase()
        }
        None => match part.body {
            PartType::Message(_) => "message/rfc822".to_owned(),
            PartType::Text(_) => "text/plain".to_owned(),
            PartType::Html(_) => "text/html".to_owned(),
            _ => "application/octet-stream".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cr_only_messages_become_lf() {
        assert_eq!(
            normalise_line_endings(b"A: b\rC: d\r\rtext\r\n").as_ref(),
            b"A: b\nC: d\n\ntext\n"
        );
        assert_eq!(
            normalise_line_endings(b"A: b\r\nC\r").as_ref(),
            b"A: b\r\nC\r"
        );
        assert_eq!(normalise_line_endings(b"A: b\nC\r").as_ref(), b"A: b\nC\r");
        assert_eq!(normalise_line_endings(b"").as_ref(), b"");
    }

    #[test]
    fn mbox_from_lines_are_skipped() {
        assert_eq!(
            skip_mbox_from_line(b"From MAILER-DAEMON Sat Oct  4 08:00:09 2025\nFrom: a@b\n"),
            b"From: a@b\n"
        );
        assert_eq!(skip_mbox_from_line(b"From: a@b\n"), b"From: a@b\n");
        assert_eq!(skip_mbox_from_line(b"From x"), b"From x");
    }

    #[test]
    fn ids_and_addresses_are_cleaned() {
        assert_eq!(clean_id(" <a@b> ").as_deref(), Some("a@b"));
        assert_eq!(clean_id("<>"), None);
        assert_eq!(
            clean_address("<Maija@Example.FI>").as_deref(),
            Some("maija@example.fi")
        );
        assert_eq!(clean_address(""), None);
    }
}
