//! The `[mail]` settings: the email door (inbound address, webhook, IMAP mailbox).

use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The address residents and handlers answer to. Outbound mail sets `Reply-To` to it
    /// with the case reference as a plus-address (`palaute+HEL-2026-000001@…`). Unset:
    /// `mail_from`.
    pub inbound_address: Option<String>,
    /// Other addresses whose mail is the city's feedback (aliases that forward to the
    /// inbound mailbox). Mail that would start a new case must be addressed (To, Cc,
    /// Delivered-To) to one of these, the inbound address or `mail_from`; other mail is
    /// set aside as `not_addressed_to_us`. Replies that name a case are always read.
    pub accepted_addresses: Vec<String>,
    /// Shared secret of `POST /inbound/email`: the request carries it as a bearer token,
    /// or signs the body with it (`X-Palaute-Signature: sha256=<hex HMAC-SHA256>`).
    /// Unset (the default): the webhook answers 404.
    pub webhook_secret: Option<String>,
    /// The largest raw message accepted, in bytes.
    pub max_message_bytes: usize,
    /// A mailbox the worker drains over IMAP. Absent (the default): no poller runs.
    pub imap: Option<ImapSettings>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            inbound_address: None,
            accepted_addresses: Vec::new(),
            webhook_secret: None,
            max_message_bytes: 25 * 1024 * 1024,
            imap: None,
        }
    }
}

/// An IMAP mailbox to drain: each message ingested once, then moved (or flagged).
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapSettings {
    /// `imaps://host:993` (TLS) or `imap://host:143` (plain; tests and local relays).
    pub url: String,
    pub username: String,
    pub password: String,
    /// The mailbox read.
    pub mailbox: String,
    /// Where a taken message is moved. Unset: it stays, flagged `$PalauteIngested`.
    pub processed_mailbox: Option<String>,
    /// How often to look when the server offers no IDLE, and the longest IDLE wait.
    pub poll_seconds: u64,
}

impl Default for ImapSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            username: String::new(),
            password: String::new(),
            mailbox: "INBOX".to_owned(),
            processed_mailbox: Some("Processed".to_owned()),
            poll_seconds: 60,
        }
    }
}

/// Secrets stay out of debug output.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MailSettings")
            .field("inbound_address", &self.inbound_address)
            .field("accepted_addresses", &self.accepted_addresses)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "(hidden)"),
            )
            .field("max_message_bytes", &self.max_message_bytes)
            .field("imap", &self.imap)
            .finish()
    }
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ImapSettings")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &"(hidden)")
            .field("mailbox", &self.mailbox)
            .field("processed_mailbox", &self.processed_mailbox)
            .field("poll_seconds", &self.poll_seconds)
            .finish()
    }
}
