//! The pipeline for a new case: detect its language, route it, and queue the emails
//! its routing causes. The decision, the timeline event, the outbox rows and the index
//! entry are stored in one transaction, so a repeat after a crash changes nothing.

use std::sync::Arc;

use anyhow::Context;
use palaute_core::{CaseId, CaseStatus, Language, Organisation};
use palaute_routing::{CaseText, Classifier, detect_language};
use palaute_store::{CaseRecord, ClaimedJob, EmailKind, NewEmail, Routing, RoutingRecorded, Store};
use tracing::info;

use crate::mail::{CaseFacts, acknowledgement, handler_notification};
use crate::runner::JobError;

pub struct Pipeline {
    store: Store,
    organisation: Arc<Organisation>,
    classifier: Classifier,
    mail_from: String,
    public_url: String,
    max_attempts: i32,
}

impl Pipeline {
    pub fn new(
        store: Store,
        organisation: Arc<Organisation>,
        mail_from: String,
        public_url: String,
        max_attempts: i32,
    ) -> Self {
        let classifier = Classifier::new(&organisation);
        Self {
            store,
            organisation,
            classifier,
            mail_from,
            public_url,
            max_attempts,
        }
    }

    pub(crate) async fn process(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let case_id = case_id_of(job)?;
        let Some(case) = self.new_case(case_id).await? else {
            return Ok(());
        };
        let routing = self.decide(&case);
        let emails = self.compose_emails(&case, &routing).await?;
        let recorded = self.record(&case, &routing, &emails).await?;
        info!(
            case = %case.reference,
            unit = %routing.unit_code,
            status = %routing.status,
            language = routing.language.map_or("und", |l| l.code()),
            ?recorded,
            "case routed"
        );
        Ok(())
    }

    /// Sends a case whose pipeline job died to the triage unit, with the failure as
    /// the reason, and notifies the triage unit if the email can still be written.
    pub(crate) async fn fall_back_to_triage(
        &self,
        job: &ClaimedJob,
        failure: &str,
    ) -> Result<(), JobError> {
        let case_id = case_id_of(job)?;
        let case = match self.new_case(case_id).await {
            Ok(Some(case)) => case,
            // Routed meanwhile, or gone: nothing to send to triage.
            Ok(None) => return Ok(()),
            Err(error) if error.permanent => return Ok(()),
            Err(error) => return Err(error),
        };
        let routing = Routing {
            language: case.stated_language,
            language_confidence: 0.0,
            unit_code: self.organisation.triage_unit.clone(),
            category_code: case.category_code.clone(),
            status: CaseStatus::NeedsTriage,
            reason: format!("automatic routing failed: {failure}"),
            confidence: 0.0,
        };
        let emails = self
            .compose_emails(&case, &routing)
            .await
            .unwrap_or_default();
        self.record(&case, &routing, &emails).await?;
        Ok(())
    }

    /// The case if it still waits for routing; `None` once it left NEW (a repeated
    /// job). A case that does not exist is a permanent failure.
    async fn new_case(&self, case_id: CaseId) -> Result<Option<CaseRecord>, JobError> {
        let case = self
            .store
            .case_by_id(case_id)
            .await
            .context("loading the case")?
            .ok_or_else(|| JobError::permanent(anyhow::anyhow!("case {case_id} does not exist")))?;
        Ok((case.status == CaseStatus::New).then_some(case))
    }

    async fn record(
        &self,
        case: &CaseRecord,
        routing: &Routing,
        emails: &[NewEmail],
    ) -> Result<RoutingRecorded, JobError> {
        let recorded = self
            .store
            .record_routing(
                case.id,
                routing,
                emails,
                self.max_attempts,
                palaute_store::now(),
            )
            .await
            .context("recording the routing")?;
        Ok(recorded)
    }

    /// The routing decision for a case; pure given the case and the organisation.
    pub fn decide(&self, case: &CaseRecord) -> Routing {
        let mut text = CaseText {
            title: case.title.as_deref(),
            description: &case.description,
            category_code: case.category_code.as_deref(),
            language: None,
        };
        let language = detect_language(&text.combined_text(), case.stated_language);
        text.language = language.language;
        let decision = self.classifier.classify(&text);
        Routing {
            language: language.language,
            language_confidence: language.confidence,
            unit_code: decision.unit_code,
            category_code: decision
                .category_code
                .or_else(|| case.category_code.clone()),
            status: decision.outcome.status(),
            reason: decision.reason,
            confidence: decision.confidence,
        }
    }

    async fn compose_emails(
        &self,
        case: &CaseRecord,
        routing: &Routing,
    ) -> Result<Vec<NewEmail>, JobError> {
        let unit = self.organisation.unit(&routing.unit_code).ok_or_else(|| {
            JobError::permanent(anyhow::anyhow!(
                "unit {} is not configured",
                routing.unit_code
            ))
        })?;
        let contact = self
            .store
            .case_contact(case.id)
            .await
            .context("loading contact details")?;
        let resident_email = contact.as_ref().and_then(|contact| contact.email.clone());
        let reference = case.reference.to_string();
        let staff_url = format!(
            "{}/cases/{reference}",
            self.public_url.trim_end_matches('/')
        );
        let tracking_url = format!(
            "{}/track/{reference}",
            self.public_url.trim_end_matches('/')
        );
        let category = routing
            .category_code
            .as_deref()
            .and_then(|code| self.organisation.category(code));

        let facts_in = |language: Language| CaseFacts {
            reference: &reference,
            title: case.title.as_deref(),
            description: &case.description,
            channel: case.channel,
            category_name: category.map(|category| category.name.get(language)),
            unit_name: unit.name.get(language),
            status: routing.status,
            needs_triage: routing.status == CaseStatus::NeedsTriage,
            routing_reason: &routing.reason,
            address: case.location.as_ref().and_then(|l| l.address.as_deref()),
            created_at: case.created_at,
            contact_given: contact.is_some(),
            staff_url: &staff_url,
        };

        let mut emails = Vec::with_capacity(2);
        let handler_language = unit.handler_language();
        let (subject, body) = handler_notification(&facts_in(handler_language), handler_language);
        emails.push(NewEmail {
            kind: EmailKind::HandlerNotification,
            message_id: self.message_id(&reference, "handler"),
            from: self.mail_from.clone(),
            to: unit.mailbox.clone(),
            subject,
            body_text: body,
            language: handler_language,
        });
        if let Some(address) = resident_email {
            let language = resident_language(case, routing);
            let (subject, body) = acknowledgement(&facts_in(language), language, &tracking_url);
            emails.push(NewEmail {
                kind: EmailKind::Acknowledgement,
                message_id: self.message_id(&reference, "ack"),
                from: self.mail_from.clone(),
                to: address,
                subject,
                body_text: body,
                language,
            });
        }
        Ok(emails)
    }

    /// A Message-ID that is the same on every retry: built from the reference and the
    /// email's kind, in the sender's domain.
    fn message_id(&self, reference: &str, kind: &str) -> String {
        let domain = sender_domain(&self.mail_from).unwrap_or("palaute.invalid");
        format!("{}.{kind}@{domain}", reference.to_ascii_lowercase())
    }
}

fn case_id_of(job: &ClaimedJob) -> Result<CaseId, JobError> {
    job.payload
        .get("case_id")
        .and_then(|value| value.as_i64())
        .map(CaseId)
        .ok_or_else(|| JobError::permanent(anyhow::anyhow!("job payload has no case_id")))
}

/// The language a resident is written to in: the one they chose, else the one they
/// wrote in, else Finnish.
fn resident_language(case: &CaseRecord, routing: &Routing) -> Language {
    case.stated_language
        .or(routing.language)
        .unwrap_or(Language::DEFAULT)
}

/// The domain of `Name <user@domain>` or `user@domain`.
fn sender_domain(mail_from: &str) -> Option<&str> {
    let address = match (mail_from.rfind('<'), mail_from.rfind('>')) {
        (Some(start), Some(end)) if start < end => &mail_from[start + 1..end],
        _ => mail_from,
    };
    address.rsplit_once('@').map(|(_, domain)| domain.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_domain_handles_display_names() {
        assert_eq!(
            sender_domain("Helsinki <noreply@palaute.hel.fi>"),
            Some("palaute.hel.fi")
        );
        assert_eq!(sender_domain("noreply@example.org"), Some("example.org"));
        assert_eq!(sender_domain("nobody"), None);
    }
}
