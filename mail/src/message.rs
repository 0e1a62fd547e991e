//! A raw RFC 5322 message parsed into what intake needs.

use chrono::{DateTime, Utc};

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
