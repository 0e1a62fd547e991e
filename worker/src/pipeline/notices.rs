//! Emails that staff actions on a case cause, each job naming the case and the
//! timeline event it tells of: a reply to the resident, the notice that their feedback
//! was merged into another case, and a case forwarded to an outside body (to the body,
//! and the notice to the resident). Residents are written to in their language and in
//! the thread of their acknowledgement; a resident without an address gets nothing by
//! email (the tracking page has it all).

use anyhow::Context;
use palaute_core::{CaseStatus, Language};
use palaute_store::{CaseEvent, CaseRecord, ClaimedJob, EmailKind, NewEmail};

use super::{Pipeline, case_id_of, event_id_of};
use crate::mail::{
    CaseFacts, forward_notice, forwarded_case, merge_notice, resident_message_notice,
    resident_reply,
};
use crate::runner::JobError;

/// The case and the timeline event a notice job is about.
struct Occurrence {
    case: CaseRecord,
    event: CaseEvent,
}

impl Occurrence {
    /// A text the event records at `pointer` (`/note`, `/after/merged_into`, …).
    fn text(&self, pointer: &str) -> Result<&str, JobError> {
        self.event
            .detail
            .pointer(pointer)
            .and_then(|value| value.as_str())
            .ok_or_else(|| {
                JobError::permanent(anyhow::anyhow!("event {} has no {pointer}", self.event.id))
            })
    }

    /// The status the event left the case in, not whatever came after it.
    fn status(&self) -> CaseStatus {
        self.event
            .detail
            .pointer("/after/status")
            .and_then(|status| status.as_str())
            .and_then(CaseStatus::from_code)
            .unwrap_or(self.case.status)
    }
}

/// Where and how a resident is written to.
struct ResidentMailbox {
    address: String,
    language: Language,
    /// Their acknowledgement's Message-ID, for threading.
    thread: Option<String>,
}

impl Pipeline {
    /// Emails staff's reply to the resident.
    pub(crate) async fn send_reply(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let occurrence = self.occurrence(job).await?;
        let Some(mailbox) = self.resident_mailbox(&occurrence.case).await? else {
            return Ok(());
        };
        let reference = occurrence.case.reference.to_string();
        let facts = self.resident_facts(&occurrence, &reference, mailbox.language);
        let (subject, body) = resident_reply(
            &facts,
            mailbox.language,
            occurrence.text("/note")?,
            &self.tracking_url(&reference),
        );
        let email = self.to_resident(
            &occurrence,
            mailbox,
            EmailKind::ResidentReply,
            "reply",
            subject,
            body,
        );
        self.queue(&occurrence, vec![email]).await
    }

    /// Tells a merged duplicate's resident which case carries their matter on.
    pub(crate) async fn notify_merge(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let occurrence = self.occurrence(job).await?;
        let Some(mailbox) = self.resident_mailbox(&occurrence.case).await? else {
            return Ok(());
        };
        let reference = occurrence.case.reference.to_string();
        let facts = self.resident_facts(&occurrence, &reference, mailbox.language);
        let (subject, body) = merge_notice(
            &facts,
            mailbox.language,
            occurrence.text("/after/merged_into")?,
            &self.tracking_url(&reference),
        );
        let email = self.to_resident(
            &occurrence,
            mailbox,
            EmailKind::MergeNotice,
            "merge",
            subject,
            body,
        );
        self.queue(&occurrence, vec![email]).await
    }

    /// Sends a forwarded case to the outside body (in its language, without the
    /// resident's contact details) and tells the resident who handles it now.
    pub(crate) async fn forward_case(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let occurrence = self.occurrence(job).await?;
        let code = occurrence.text("/after/forwarded_to")?;
        let outside = self.organisation.external_body(code).ok_or_else(|| {
            JobError::permanent(anyhow::anyhow!("no outside body {code} is configured"))
        })?;
        let note = occurrence.text("/note").ok();
        let reference = occurrence.case.reference.to_string();
        let language = outside.language();
        let (subject, body) = forwarded_case(
            &self.resident_facts(&occurrence, &reference, language),
            language,
            note,
        );
        let event_id = occurrence.event.id;
        let mut emails = vec![NewEmail {
            kind: EmailKind::Forwarded,
            message_id: self.message_id(&occurrence.case, &format!("forward-{event_id}")),
            from: self.mail_from.clone(),
            to: outside.mailbox.clone(),
            subject,
            body_text: body,
            language,
            occasion: Some(format!("event-{event_id}")),
            at_most_every: None,
            in_reply_to: None,
        }];
        if let Some(mailbox) = self.resident_mailbox(&occurrence.case).await? {
            let language = mailbox.language;
            let (subject, body) = forward_notice(
                &self.resident_facts(&occurrence, &reference, language),
                language,
                outside.name.get(language),
                &outside.contact,
            );
            emails.push(self.to_resident(
                &occurrence,
                mailbox,
                EmailKind::ForwardNotice,
                "forwarded",
                subject,
                body,
            ));
        }
        self.queue(&occurrence, emails).await
    }

    /// Tells the case's handler (or, with nobody assigned, its unit's mailbox) that the
    /// resident wrote, in the thread of the unit's first notification.
    pub(crate) async fn notify_resident_message(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let occurrence = self.occurrence(job).await?;
        let case = &occurrence.case;
        let Some(unit) = case
            .unit_code
            .as_deref()
            .and_then(|code| self.organisation.unit(code))
        else {
            return Ok(());
        };
        let assignee = match case.assignee_id {
            Some(id) => self
                .store
                .staff_emails(&[id])
                .await
                .context("loading the handler's address")?
                .remove(&id),
            None => None,
        };
        let to = assignee.unwrap_or_else(|| unit.mailbox.clone());
        let thread = self
            .first_message_id(case, EmailKind::HandlerNotification)
            .await?;
        let reference = case.reference.to_string();
        let language = unit.handler_language();
        let staff_url = format!(
            "{}/cases/{reference}",
            self.public_url.trim_end_matches('/')
        );
        let mut facts = self.resident_facts(&occurrence, &reference, language);
        facts.staff_url = &staff_url;
        let reopened = occurrence.event.detail.pointer("/after/status").is_some();
        let (subject, body) =
            resident_message_notice(&facts, language, occurrence.text("/note")?, reopened);
        let event_id = occurrence.event.id;
        let email = NewEmail {
            kind: EmailKind::HandlerNotification,
            message_id: self.message_id(case, &format!("resident-{event_id}")),
            from: self.mail_from.clone(),
            to,
            subject,
            body_text: body,
            language,
            occasion: Some(format!("event-{event_id}")),
            at_most_every: None,
            in_reply_to: thread,
        };
        self.queue(&occurrence, vec![email]).await
    }

    async fn occurrence(&self, job: &ClaimedJob) -> Result<Occurrence, JobError> {
        let case_id = case_id_of(job)?;
        let event_id = event_id_of(job)?;
        let case = self.existing_case(case_id).await?;
        let event = self
            .store
            .case_event(case_id, event_id)
            .await
            .context("loading the event to tell of")?
            .ok_or_else(|| {
                JobError::permanent(anyhow::anyhow!("event {event_id} does not exist"))
            })?;
        Ok(Occurrence { case, event })
    }

    /// The resident's address, language and thread; `None` when they left no address.
    async fn resident_mailbox(
        &self,
        case: &CaseRecord,
    ) -> Result<Option<ResidentMailbox>, JobError> {
        let contact = self
            .store
            .case_contact(case.id)
            .await
            .context("loading contact details")?;
        let Some(address) = contact.and_then(|contact| contact.email) else {
            return Ok(None);
        };
        let thread = self
            .first_message_id(case, EmailKind::Acknowledgement)
            .await?;
        let language = case
            .stated_language
            .or(case.language)
            .unwrap_or(Language::DEFAULT);
        Ok(Some(ResidentMailbox {
            address,
            language,
            thread,
        }))
    }

    /// The Message-ID of the case's first email of `kind`: the thread later emails of
    /// the same conversation answer.
    async fn first_message_id(
        &self,
        case: &CaseRecord,
        kind: EmailKind,
    ) -> Result<Option<String>, JobError> {
        Ok(self
            .store
            .emails_for_case(case.id.0)
            .await
            .context("loading the case's emails")?
            .into_iter()
            .find(|email| email.kind == kind.code())
            .map(|email| email.message_id))
    }

    /// What these emails say of the case, names in `language`; nothing internal.
    fn resident_facts<'a>(
        &'a self,
        occurrence: &'a Occurrence,
        reference: &'a str,
        language: Language,
    ) -> CaseFacts<'a> {
        let case = &occurrence.case;
        CaseFacts {
            reference,
            title: case.title.as_deref(),
            description: &case.description,
            channel: case.channel,
            category_name: case
                .category_code
                .as_deref()
                .and_then(|code| self.organisation.category(code))
                .map(|category| category.name.get(language)),
            unit_name: case
                .unit_code
                .as_deref()
                .and_then(|code| self.organisation.unit(code))
                .map_or("", |unit| unit.name.get(language)),
            status: occurrence.status(),
            needs_triage: false,
            routing_reason: "",
            address: case.location.as_ref().and_then(|l| l.address.as_deref()),
            created_at: case.created_at,
            contact_given: true,
            staff_url: "",
        }
    }

    fn tracking_url(&self, reference: &str) -> String {
        format!(
            "{}/track/{reference}",
            self.public_url.trim_end_matches('/')
        )
    }

    fn to_resident(
        &self,
        occurrence: &Occurrence,
        mailbox: ResidentMailbox,
        kind: EmailKind,
        id_part: &str,
        subject: String,
        body: String,
    ) -> NewEmail {
        let event_id = occurrence.event.id;
        NewEmail {
            kind,
            message_id: self.message_id(&occurrence.case, &format!("{id_part}-{event_id}")),
            from: self.mail_from.clone(),
            to: mailbox.address,
            subject,
            body_text: body,
            language: mailbox.language,
            occasion: Some(format!("event-{event_id}")),
            at_most_every: None,
            in_reply_to: mailbox.thread,
        }
    }

    /// Queues the emails, each once per event however often the job runs.
    async fn queue(&self, occurrence: &Occurrence, emails: Vec<NewEmail>) -> Result<(), JobError> {
        self.store
            .queue_case_emails(
                occurrence.case.id,
                &emails,
                self.max_attempts,
                palaute_store::now(),
            )
            .await
            .context("queueing the emails of a staff action")?;
        Ok(())
    }
}
