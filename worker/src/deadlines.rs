//! The periodic deadline check (`check_deadlines` job): finds warnings and breaches
//! that have come due, and records each with its timeline event and its email.
//!
//! A warning goes to the assigned handler (an enabled account), else to the unit
//! mailbox; a breach to the unit's lead, else to its mailbox. The store records each
//! notice once per case, deadline, kind and due time, so running the check twice, on
//! two workers at once, or again after a crash, sends nothing twice.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use palaute_core::{Organisation, Unit};
use palaute_store::{
    DeadlineNotice, DueNotice, EmailKind, NewEmail, NoticeKind, NoticeRecorded, Store,
};
use tracing::{debug, info};

use crate::mail::{DeadlineFacts, deadline_notice};

/// Cases looked at per deadline and kind in one round; rounds repeat while full.
const BATCH: u64 = 200;
/// Rounds per run: the next run picks up whatever is left.
const MAX_ROUNDS: usize = 10;

/// What one run of the check did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckSummary {
    pub warnings: usize,
    pub breaches: usize,
}

pub struct DeadlineCheck {
    store: Store,
    organisation: Arc<Organisation>,
    mail_from: String,
    public_url: String,
    max_attempts: i32,
}

impl DeadlineCheck {
    pub fn new(
        store: Store,
        organisation: Arc<Organisation>,
        mail_from: String,
        public_url: String,
        max_attempts: i32,
    ) -> Self {
        Self {
            store,
            organisation,
            mail_from,
            public_url,
            max_attempts,
        }
    }

    /// Records and queues every notice due at `now`.
    pub async fn run(&self, now: DateTime<Utc>) -> anyhow::Result<CheckSummary> {
        let mut summary = CheckSummary::default();
        for _ in 0..MAX_ROUNDS {
            let due = self
                .store
                .due_deadline_notices(now, BATCH)
                .await
                .context("finding deadlines that have come due")?;
            let mut recorded_any = false;
            for notice in &due {
                let recorded = self
                    .store
                    .record_deadline_notice(&self.compose(notice), self.max_attempts, now)
                    .await
                    .context("recording a deadline notice")?;
                if let NoticeRecorded::Recorded { .. } = recorded {
                    recorded_any = true;
                    match notice.kind {
                        NoticeKind::Warning => summary.warnings += 1,
                        NoticeKind::Breach => summary.breaches += 1,
                    }
                    info!(
                        case = %notice.case.reference,
                        deadline = %notice.deadline,
                        kind = %notice.kind,
                        due_at = %notice.due_at,
                        "deadline notice queued"
                    );
                } else {
                    debug!(case = %notice.case.reference, ?recorded, "deadline notice skipped");
                }
            }
            // A round that recorded nothing would find the same cases again.
            if !recorded_any {
                break;
            }
        }
        Ok(summary)
    }

    /// The notice for `due`, with its recipient and its email in the unit's language.
    fn compose(&self, due: &DueNotice) -> DeadlineNotice {
        let unit = self.unit_of(due);
        let recipient = match due.kind {
            NoticeKind::Warning => due
                .assignee_email
                .clone()
                .unwrap_or_else(|| unit.mailbox.clone()),
            NoticeKind::Breach => unit.lead_address().to_owned(),
        };
        let language = unit.handler_language();
        let reference = due.case.reference.to_string();
        let staff_url = format!(
            "{}/cases/{reference}",
            self.public_url.trim_end_matches('/')
        );
        let facts = DeadlineFacts {
            reference: &reference,
            title: due.case.title.as_deref(),
            description: &due.case.description,
            unit_name: unit.name.get(language),
            status: due.case.status,
            created_at: due.case.created_at,
            deadline: due.deadline,
            kind: due.kind,
            due_at: due.due_at,
            staff_url: &staff_url,
        };
        let (subject, body) = deadline_notice(&facts, language);
        // One email per deadline, kind and due time: a deadline that a move changed
        // is a new one.
        let occasion = format!("{}-{}", due.deadline, due.due_at.timestamp());
        let kind = match due.kind {
            NoticeKind::Warning => EmailKind::DeadlineWarning,
            NoticeKind::Breach => EmailKind::DeadlineBreach,
        };
        DeadlineNotice {
            case_id: due.case.id,
            deadline: due.deadline,
            kind: due.kind,
            due_at: due.due_at,
            recipient: recipient.clone(),
            email: NewEmail {
                kind,
                message_id: crate::pipeline::message_id(
                    &self.mail_from,
                    &due.case,
                    &format!("deadline-{}-{}", due.kind, due.deadline),
                ),
                from: self.mail_from.clone(),
                to: recipient,
                subject,
                body_text: body,
                language,
                occasion: Some(occasion),
                at_most_every: None,
                in_reply_to: None,
            },
        }
    }

    /// The case's unit; the triage unit for a case of a unit no longer configured,
    /// so that someone hears of it.
    fn unit_of(&self, due: &DueNotice) -> &Unit {
        due.case
            .unit_code
            .as_deref()
            .and_then(|code| self.organisation.unit(code))
            .unwrap_or_else(|| self.organisation.triage())
    }
}
