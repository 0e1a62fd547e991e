//! What can go wrong while building or delivering an email.

use std::io;
use std::path::PathBuf;

/// Every failure of the `mail` module.
///
/// The job runner asks [`MailError::is_permanent`] whether a retry could help: a
/// malformed address stays malformed and a 5xx rejection stays a rejection, while a
/// full disk or an unreachable relay may recover.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid {field} address {value:?}: {reason}")]
    InvalidAddress {
        /// Which field of the email held the address: `from` or `to`.
        field: &'static str,
        value: String,
        reason: String,
    },

    #[error("invalid {field} {value:?}: expected a message id like case-1.handler@palaute.hel.fi")]
    InvalidMessageId {
        /// `message_id` or `in_reply_to`.
        field: &'static str,
        value: String,
    },

    #[error("could not build the email")]
    Build(#[source] lettre::error::Error),

    /// The URL is shown with its password replaced by `***`.
    #[error("invalid smtp url {url}: {reason}")]
    InvalidSmtpUrl { url: String, reason: String },

    #[error("smtp delivery must be set up inside a tokio runtime")]
    NoRuntime,

    #[error("could not write {path} to the outbox")]
    Outbox {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The server answered 5xx: sending the same email again will fail the same way.
    #[error("the smtp server rejected the email permanently")]
    Rejected(#[source] lettre::transport::smtp::Error),

    /// A 4xx answer, a refused or dropped connection, a timeout or a TLS failure.
    #[error("the smtp server could not take the email now")]
    Unavailable(#[source] lettre::transport::smtp::Error),

    /// The relay did not finish taking the email in time.
    #[error("the smtp server did not take the email within {0:?}")]
    TimedOut(std::time::Duration),
}

impl MailError {
    /// Whether retrying the same email can never succeed, so the job should be parked
    /// instead of retried.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::InvalidAddress { .. }
            | MailError::InvalidMessageId { .. }
            | MailError::Build(_)
            | MailError::InvalidSmtpUrl { .. }
            | MailError::Rejected(_) => true,
            MailError::NoRuntime
            | MailError::Outbox { .. }
            | MailError::Unavailable(_)
            | MailError::TimedOut(_) => false,
        }
    }

    /// The SMTP reply code when the server refused the email, e.g. `550` or `451`.
    pub fn smtp_code(&self) -> Option<u16> {
        match self {
            MailError::Rejected(error) | MailError::Unavailable(error) => error
                .status()
                .and_then(|code| code.to_string().parse().ok()),
            _ => None,
        }
    }

    pub(crate) fn from_smtp(error: lettre::transport::smtp::Error) -> Self {
        if error.is_permanent() {
            MailError::Rejected(error)
        } else {
            MailError::Unavailable(error)
        }
    }
}
