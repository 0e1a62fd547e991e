//! Outgoing email: the texts, the RFC 5322 message, and its delivery.
//!
//! - [`templates`] writes subjects and bodies in Finnish, Swedish or English;
//!   [`deadline_templates`] the deadline warnings and breach notices;
//!   [`forward_templates`] a case sent to an outside body and its resident's notice;
//!   [`inbound_templates`] the handler's notice of a resident's emailed answer.
//! - [`message`] turns an [`OutgoingEmail`] into message bytes with the headers every
//!   automated email needs.
//! - [`delivery`] hands the bytes to an SMTP relay or writes them to the outbox folder.
//!
//! Emails are queued in the store's outbox table first and delivered by a job, so
//! everything here is safe to repeat for the same email.

pub mod deadline_templates;
pub mod delivery;
mod error;
pub mod forward_templates;
pub mod inbound_templates;
pub mod message;
pub mod templates;

pub use deadline_templates::{DeadlineFacts, deadline_notice};
pub use delivery::{Delivered, Mailer};
pub use error::MailError;
pub use forward_templates::{forward_notice, forwarded_case};
pub use inbound_templates::resident_message_notice;
pub use message::{OutgoingEmail, render, render_at};
pub use templates::{
    CaseFacts, acknowledgement, handler_notification, merge_notice, resident_reply,
};
