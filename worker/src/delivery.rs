//! Delivers one outbox email. Safe to repeat: a sent email is not sent again, the
//! outbox folder is written by rename under a name fixed by the Message-ID, and the
//! Message-ID stays the same on every attempt so a receiver can drop a duplicate.

use anyhow::Context;
use palaute_core::CaseId;
use palaute_core::email::{PlusAddress, bare_address};
use palaute_store::{ClaimedJob, EmailKind, EmailStatus, Store};
use tracing::info;

use crate::mail::{Delivered, Mailer, OutgoingEmail};
use crate::runner::JobError;

pub struct EmailSender {
    store: Store,
    mailer: Mailer,
    /// The inbound address answers go to, tagged per case; `None`: no `Reply-To`.
    answers_to: Option<PlusAddress>,
}

/// Kinds written to residents: never sent to an address that bounced for good.
const RESIDENT_KINDS: [EmailKind; 4] = [
    EmailKind::Acknowledgement,
    EmailKind::ResidentReply,
    EmailKind::MergeNotice,
    EmailKind::ForwardNotice,
];

impl EmailSender {
    pub fn new(store: Store, mailer: Mailer) -> Self {
        Self {
            store,
            mailer,
            answers_to: None,
        }
    }

    /// Answers to a case's emails go to `inbound_address` tagged with its reference.
    pub fn with_answers_to(mut self, inbound_address: &str) -> Self {
        self.answers_to = PlusAddress::of(inbound_address);
        self
    }

    pub(crate) async fn send(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let email_id = job
            .payload
            .get("email_id")
            .and_then(|value| value.as_i64())
            .ok_or_else(|| JobError::permanent(anyhow::anyhow!("job payload has no email_id")))?;
        let email = self
            .store
            .email(email_id)
            .await
            .context("loading the email")?
            .ok_or_else(|| {
                JobError::permanent(anyhow::anyhow!("email {email_id} does not exist"))
            })?;
        if email.status != EmailStatus::Pending.code() {
            return Ok(());
        }
        let to_resident = RESIDENT_KINDS.iter().any(|kind| kind.code() == email.kind);
        if to_resident
            && let Some(address) = bare_address(&email.to)
            && self
                .store
                .is_suppressed(&address)
                .await
                .context("checking the address for bounces")?
        {
            info!(email = email_id, "not sent: the address bounced before");
            self.store
                .record_email_error(
                    email_id,
                    "not sent: the address bounced before",
                    true,
                    palaute_store::now(),
                )
                .await
                .context("recording the suppressed email")?;
            return Ok(());
        }
        // Answers to the conversation's mail go back to the case; deadline notices and
        // a case sent to an outside body are not a conversation with the resident.
        let answerable = to_resident || email.kind == EmailKind::HandlerNotification.code();
        let reply_to = match (&self.answers_to, email.case_id) {
            (Some(answers_to), Some(case_id)) if answerable => self
                .store
                .case_by_id(CaseId(case_id))
                .await
                .context("loading the email's case")?
                .map(|case| answers_to.for_case(&case.reference)),
            _ => None,
        };
        let outgoing = OutgoingEmail {
            message_id: email.message_id.clone(),
            from: email.from.clone(),
            to: email.to.clone(),
            subject: email.subject.clone(),
            body_text: email.body_text.clone(),
            language: email.language,
            in_reply_to: email.in_reply_to.clone(),
            reply_to,
        };
        match self.mailer.deliver(&outgoing).await {
            Ok(delivered) => {
                let note = match &delivered {
                    Delivered::File(path) => format!("written to {}", path.display()),
                    Delivered::Smtp { response } => format!("accepted by SMTP relay: {response}"),
                };
                self.store
                    .mark_email_sent(email_id, &note, palaute_store::now())
                    .await
                    .context("marking the email sent")?;
                info!(email = email_id, message_id = %email.message_id, kind = %email.kind, "email delivered");
                crate::telemetry::record_email(crate::telemetry::JobOutcome::Done);
                Ok(())
            }
            Err(error) => {
                let permanent = error.is_permanent();
                self.store
                    .record_email_error(
                        email_id,
                        &error.to_string(),
                        permanent,
                        palaute_store::now(),
                    )
                    .await
                    .context("recording the delivery error")?;
                let error =
                    anyhow::Error::new(error).context(format!("delivering email {email_id}"));
                Err(if permanent {
                    JobError::permanent(error)
                } else {
                    JobError::transient(error)
                })
            }
        }
    }
}
