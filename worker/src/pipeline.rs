//! The pipeline for a new case: detect its language, route it, and queue the emails
//! its routing causes. The decision, the timeline event, the outbox rows and the index
//! entry are stored in one transaction, so a repeat after a crash changes nothing.

use std::sync::Arc;

use anyhow::Context;
use palaute_core::{CaseId, CaseStatus, Language, Organisation};
use palaute_routing::router::ModelRouting;
use palaute_routing::{CaseText, Classifier, detect_language};
use palaute_store::{
    CaseRecord, ClaimedJob, EmailKind, ModelRole, NewEmail, NewPrediction, Routing,
    RoutingRecorded, Store, StoredSuggestion,
};
use tracing::info;

use crate::mail::{CaseFacts, acknowledgement, handler_notification};
use crate::models::{LoadedRouter, ModelCache, RunningModels};

mod notices;
use crate::runner::JobError;

pub struct Pipeline {
    store: Store,
    organisation: Arc<Organisation>,
    classifier: Classifier,
    models: ModelCache,
    mail_from: String,
    public_url: String,
    max_attempts: i32,
    acknowledgement_interval: Option<chrono::Duration>,
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
            models: ModelCache::new(store.clone()),
            store,
            organisation,
            classifier,
            mail_from,
            public_url,
            max_attempts,
            acknowledgement_interval: None,
        }
    }

    /// Sends an address at most one acknowledgement in `interval` (`None`: every one).
    /// Later cases are created and tracked all the same; their timeline says the email
    /// was withheld.
    pub fn with_acknowledgement_interval(mut self, interval: Option<chrono::Duration>) -> Self {
        self.acknowledgement_interval = interval;
        self
    }

    pub(crate) async fn process(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let case_id = case_id_of(job)?;
        let Some(case) = self.new_case(case_id).await? else {
            return Ok(());
        };
        if case.source.as_deref() == Some(palaute_core::case::MAIL_SOURCE)
            && job.attempts < job.max_attempts.min(MAILED_TOKEN_ATTEMPTS)
            && self.mailed_tracking_token(&case).await?.is_none()
        {
            // The email door keeps the message (which the token is recovered from)
            // just after it saves the case: wait for it rather than send a link
            // without the token.
            return Err(JobError::transient(anyhow::anyhow!(
                "case {} from email: its message is not recorded yet",
                case.reference
            )));
        }
        let models = self.models.running().await?;
        let routing = self.decide(&case, &models);
        let emails = self
            .compose_emails(&case, &routing, Occasion::Routing)
            .await?;
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
            predictions: Vec::new(),
        };
        let emails = self
            .compose_emails(&case, &routing, Occasion::Routing)
            .await
            .unwrap_or_default();
        self.record(&case, &routing, &emails).await?;
        Ok(())
    }

    /// The case if it still waits for routing; `None` once it left NEW (a repeated
    /// job). A case that does not exist is a permanent failure.
    async fn new_case(&self, case_id: CaseId) -> Result<Option<CaseRecord>, JobError> {
        let case = self.existing_case(case_id).await?;
        Ok((case.status == CaseStatus::New).then_some(case))
    }

    /// The case a job is about; one that does not exist is a permanent failure.
    async fn existing_case(&self, case_id: CaseId) -> Result<CaseRecord, JobError> {
        self.store
            .case_by_id(case_id)
            .await
            .context("loading the case")?
            .ok_or_else(|| JobError::permanent(anyhow::anyhow!("case {case_id} does not exist")))
    }

    async fn record(
        &self,
        case: &CaseRecord,
        routing: &Routing,
        emails: &[NewEmail],
    ) -> Result<RoutingRecorded, JobError> {
        // Deadlines run from the submission, so a case that waited for routing (or
        // fell back to triage) has had its clock running all along.
        let due = self.organisation.deadlines.due_times(
            case.created_at,
            &routing.unit_code,
            routing.category_code.as_deref(),
        );
        let recorded = self
            .store
            .record_routing_with_deadlines(
                case.id,
                routing,
                Some(&due),
                emails,
                self.max_attempts,
                palaute_store::now(),
            )
            .await
            .context("recording the routing")?;
        Ok(recorded)
    }

    /// The periodic deadline check, sending as this pipeline sends.
    pub fn deadline_check(&self) -> crate::deadlines::DeadlineCheck {
        crate::deadlines::DeadlineCheck::new(
            self.store.clone(),
            Arc::clone(&self.organisation),
            self.mail_from.clone(),
            self.public_url.clone(),
            self.max_attempts,
        )
    }

    /// The routing decision for a case; pure given the case, the organisation and the
    /// running models. The live model routes when there is one, else the organisation's
    /// keywords do; every running model's prediction is kept for comparison.
    pub fn decide(&self, case: &CaseRecord, models: &RunningModels) -> Routing {
        let mut text = CaseText {
            title: case.title.as_deref(),
            description: &case.description,
            category_code: case.category_code.as_deref(),
            language: None,
        };
        let language = detect_language(&text.combined_text(), case.stated_language);
        text.language = language.language;
        let predict = |model: &LoadedRouter, role: ModelRole| {
            let routing = self.known_units_only(model.router.route(&text));
            (model.id, role, routing)
        };
        let live = models
            .live
            .as_ref()
            .map(|model| predict(model, ModelRole::Live));
        let predictions: Vec<NewPrediction> = live
            .iter()
            .cloned()
            .chain(
                models
                    .candidates
                    .iter()
                    .map(|model| predict(model, ModelRole::Candidate)),
            )
            .filter(|(_, _, routing)| !routing.suggestions.is_empty())
            .map(|(model_id, role, routing)| NewPrediction {
                model_id,
                role,
                confident: routing.confident,
                suggestions: routing
                    .suggestions
                    .into_iter()
                    .map(|suggestion| StoredSuggestion {
                        unit_code: suggestion.unit_code,
                        category_code: suggestion.category_code,
                        confidence: f64::from(suggestion.confidence),
                    })
                    .collect(),
            })
            .collect();

        let (unit_code, category_code, status, reason, confidence) = match &live {
            Some((model_id, _, routing)) => self.model_decision(*model_id, routing, case),
            None => {
                let decision = self.classifier.classify(&text);
                (
                    decision.unit_code,
                    decision
                        .category_code
                        .or_else(|| case.category_code.clone()),
                    decision.outcome.status(),
                    decision.reason,
                    decision.confidence,
                )
            }
        };
        Routing {
            language: language.language,
            language_confidence: language.confidence,
            unit_code,
            category_code,
            status,
            reason,
            confidence,
            predictions,
        }
    }

    /// Routes to the model's best unit when it is confident, else to triage with the
    /// category the resident gave.
    fn model_decision(
        &self,
        model_id: i64,
        routing: &ModelRouting,
        case: &CaseRecord,
    ) -> (String, Option<String>, CaseStatus, String, f32) {
        let threshold =
            |routing: &ModelRouting| routing.threshold.map_or_else(|| "none".to_owned(), percent);
        match routing.best() {
            Some(best) if routing.confident => (
                best.unit_code.clone(),
                best.category_code.clone(),
                CaseStatus::Routed,
                format!(
                    "model {model_id}: {} at {} (threshold {})",
                    best.unit_code,
                    percent(best.confidence),
                    threshold(routing)
                ),
                best.confidence,
            ),
            best => (
                self.organisation.triage_unit.clone(),
                case.category_code.clone(),
                CaseStatus::NeedsTriage,
                match best {
                    Some(best) => format!(
                        "model {model_id} unsure: best guess {} at {}, below the threshold {}",
                        best.unit_code,
                        percent(best.confidence),
                        threshold(routing)
                    ),
                    None => format!("model {model_id} knows none of the organisation's units"),
                },
                best.map_or(0.0, |best| best.confidence),
            ),
        }
    }

    /// Drops suggestions of units the organisation no longer has (a model trained
    /// before a reorganisation) or that are the triage unit itself, and categories it
    /// does not have; the rest keep their order and confidence.
    fn known_units_only(&self, mut routing: ModelRouting) -> ModelRouting {
        let before = routing
            .suggestions
            .first()
            .map(|best| best.unit_code.clone());
        routing.suggestions.retain(|suggestion| {
            suggestion.unit_code != self.organisation.triage_unit
                && self.organisation.unit(&suggestion.unit_code).is_some()
        });
        // History may name categories the organisation does not offer (old or
        // internal service codes): a unit is still worth suggesting without one.
        for suggestion in &mut routing.suggestions {
            if let Some(code) = &suggestion.category_code
                && self.organisation.category(code).is_none()
            {
                suggestion.category_code = None;
            }
        }
        if routing.suggestions.first().map(|best| &best.unit_code) != before.as_ref() {
            // The model's own best answer is gone: nothing it was sure of remains.
            routing.confident = false;
        }
        routing
    }

    /// Tells a reassigned case's new unit about it, once per reassignment.
    pub(crate) async fn notify_unit(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let case_id = case_id_of(job)?;
        let event_id = event_id_of(job)?;
        let case = self.existing_case(case_id).await?;
        let Some(unit_code) = case.unit_code.clone() else {
            return Ok(());
        };
        let routing = Routing {
            language: case.language,
            language_confidence: 0.0,
            unit_code,
            category_code: case.category_code.clone(),
            status: case.status,
            reason: case.routing_reason.clone().unwrap_or_default(),
            confidence: 1.0,
            predictions: Vec::new(),
        };
        let emails = self
            .compose_emails(&case, &routing, Occasion::Reassignment { event_id })
            .await?;
        self.store
            .queue_case_emails(case.id, &emails, self.max_attempts, palaute_store::now())
            .await
            .context("queueing the new unit's notification")?;
        // The new unit's deadlines, still counted from the submission. Only while the
        // case is where this job found it: a later move's job sets its own.
        let due = self.organisation.deadlines.due_times(
            case.created_at,
            &routing.unit_code,
            routing.category_code.as_deref(),
        );
        self.store
            .set_due_times(
                case.id,
                &routing.unit_code,
                routing.category_code.as_deref(),
                &due,
            )
            .await
            .context("setting the new unit's deadlines")?;
        Ok(())
    }

    /// The emails `occasion` causes: the unit's notification, and after routing the
    /// resident's acknowledgement when they left an address.
    async fn compose_emails(
        &self,
        case: &CaseRecord,
        routing: &Routing,
        occasion: Occasion,
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
        let mut tracking_url = format!(
            "{}/track/{reference}",
            self.public_url.trim_end_matches('/')
        );
        if let Some(token) = self.acknowledged_tracking_token(case).await? {
            // The same link the confirmation page showed; a resident who wrote by
            // email has no other way to get their token.
            tracking_url.push_str("?token=");
            tracking_url.push_str(&token);
        }
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
            message_id: self.message_id(case, &occasion.handler_kind()),
            from: self.mail_from.clone(),
            to: unit.mailbox.clone(),
            subject,
            body_text: body,
            language: handler_language,
            occasion: occasion.dedupe_suffix(),
            at_most_every: None,
            in_reply_to: None,
        });
        if let (Occasion::Routing, Some(address)) = (occasion, resident_email) {
            let language = resident_language(case, routing);
            let (subject, body) = acknowledgement(&facts_in(language), language, &tracking_url);
            emails.push(NewEmail {
                kind: EmailKind::Acknowledgement,
                message_id: self.message_id(case, "ack"),
                from: self.mail_from.clone(),
                to: address,
                subject,
                body_text: body,
                language,
                occasion: None,
                at_most_every: self.acknowledgement_interval,
                in_reply_to: None,
            });
        }
        Ok(emails)
    }

    /// The token for the acknowledgement's tracking link: sealed for it at submission
    /// (any door, with the server's key), else recovered from the email a case was
    /// made from.
    async fn acknowledged_tracking_token(
        &self,
        case: &CaseRecord,
    ) -> Result<Option<String>, JobError> {
        let sealed = self
            .store
            .acknowledgement_token(case.id)
            .await
            .context("opening a case's sealed tracking token")?;
        match sealed {
            Some(token) => Ok(Some(token)),
            None => self.mailed_tracking_token(case).await,
        }
    }

    /// The tracking token of a case made from an email (`None` for other channels).
    async fn mailed_tracking_token(&self, case: &CaseRecord) -> Result<Option<String>, JobError> {
        if case.source.as_deref() != Some(palaute_core::case::MAIL_SOURCE) {
            return Ok(None);
        }
        Ok(self
            .store
            .mailed_case_tracking_token(case.id)
            .await
            .context("recovering a mailed case's tracking token")?)
    }

    /// A new Message-ID, e.g. `hel-2026-000001.handler.c42.3f9a1b2c@palaute.hel.fi`:
    /// readable by its reference and kind, and unique by the case id and a random part
    /// (so no two cases share one, even over two databases). It is stored with the
    /// email, so every retry of the delivery sends the same one.
    fn message_id(&self, case: &CaseRecord, kind: &str) -> String {
        message_id(&self.mail_from, case, kind)
    }
}

/// A new Message-ID for an email of `kind` about `case`, sent from `mail_from`.
pub(crate) fn message_id(mail_from: &str, case: &CaseRecord, kind: &str) -> String {
    let domain = sender_domain(mail_from).unwrap_or("palaute.invalid");
    format!(
        "{}.{kind}.c{}.{:08x}@{domain}",
        case.reference.to_string().to_ascii_lowercase(),
        case.id.0,
        rand::random::<u32>()
    )
}

/// Why emails are written about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occasion {
    /// The pipeline routed it: its unit and its resident hear of it.
    Routing,
    /// Staff moved it: the new unit hears of it, once per move.
    Reassignment { event_id: i64 },
}

impl Occasion {
    /// The kind part of the handler notification's Message-ID.
    fn handler_kind(self) -> String {
        match self {
            Occasion::Routing => "handler".to_owned(),
            Occasion::Reassignment { event_id } => format!("handler-{event_id}"),
        }
    }

    /// What tells this email from others of its kind for the same case.
    fn dedupe_suffix(self) -> Option<String> {
        match self {
            Occasion::Routing => None,
            Occasion::Reassignment { event_id } => Some(format!("event-{event_id}")),
        }
    }
}

/// How many attempts a mailed case's routing waits for its message to be recorded.
const MAILED_TOKEN_ATTEMPTS: i32 = 3;

fn case_id_of(job: &ClaimedJob) -> Result<CaseId, JobError> {
    job.payload
        .get("case_id")
        .and_then(|value| value.as_i64())
        .map(CaseId)
        .ok_or_else(|| JobError::permanent(anyhow::anyhow!("job payload has no case_id")))
}

fn event_id_of(job: &ClaimedJob) -> Result<i64, JobError> {
    job.payload
        .get("event_id")
        .and_then(|value| value.as_i64())
        .ok_or_else(|| JobError::permanent(anyhow::anyhow!("job payload has no event_id")))
}

/// The language a resident is written to in: the one they chose, else the one they
/// wrote in, else Finnish.
fn resident_language(case: &CaseRecord, routing: &Routing) -> Language {
    case.stated_language
        .or(routing.language)
        .unwrap_or(Language::DEFAULT)
}

fn percent(confidence: f32) -> String {
    format!("{:.0}%", confidence * 100.0)
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
