//! The email door: raw RFC 5322 messages in (from `palaute ingest-mail`, the
//! `/inbound/email` webhook or the IMAP poller), each one either a new case, a message
//! on an existing case, or noise set aside (auto-replies, bounces, receipts,
//! complaints): never lost, never a mail loop.
//!
//! - [`message`]: MIME parsing into an [`InboundMessage`](message::InboundMessage).
//! - [`noise`]: what must never become a case, and what a bounce says.
//! - [`reply_text`]: the new text of a reply, without quoted history and signatures.
//! - [`threading`]: the case a reply names by address or subject.
//! - [`intake`]: what a message becomes (a case, a message on one, set aside), once.
//! - [`webhook`]: `POST /inbound/email`, for an MTA pipe or a provider's hook.
//! - [`imap`]: the IMAP poller that drains a mailbox into intake, each message once.

pub mod html_text;
pub mod imap;
pub mod intake;
pub mod message;
pub mod noise;
pub mod reply_text;
pub mod threading;
pub mod webhook;
