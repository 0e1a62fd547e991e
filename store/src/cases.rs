//! Cases: submission (the case, its contact, first event and first job in one
//! transaction), reads for staff and residents, and recording the pipeline's routing.

use chrono::{DateTime, Datelike, Utc};
use palaute_core::token::{self, TrackingToken};
use palaute_core::{CaseId, CaseStatus, Channel, Language, Reference};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::json;

use crate::db::Store;
use crate::entity::{case, case_contact, case_event, email, recipient_throttle, reference_counter};
use crate::error::{DbContext, StoreError};
use crate::jobs::{JobKind, enqueue_job};
use crate::routing_models::{NewPrediction, insert_predictions};
use crate::search_queue::mark_for_indexing;

/// A validated submission, ready to store.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub channel: Channel,
    pub title: Option<String>,
    pub description: String,
    pub stated_language: Option<Language>,
    pub category_code: Option<String>,
    pub contact: Option<ContactDetails>,
    pub location: Option<Location>,
    pub idempotency_key: Option<String>,
    /// A digest of the submission's content: a reused idempotency key with other
    /// content is a conflict, not a replay.
    pub fingerprint: String,
    /// Who sent it in, beyond the channel: the name of the API key that created it, or
    /// `mail` (`palaute_core::case::MAIL_SOURCE`) for the email door.
    pub source: Option<String>,
    /// Files sent with it, checked by the door; stored in the case's transaction.
    pub attachments: Vec<crate::attachments::NewAttachment>,
    /// Answers to the category's extra questions, checked by the intake rules.
    pub answers: Vec<palaute_core::guidance::Answer>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactDetails {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
}

impl From<palaute_core::submission::Contact> for ContactDetails {
    fn from(contact: palaute_core::submission::Contact) -> Self {
        Self {
            name: contact.name,
            email: contact.email.map(palaute_core::EmailAddress::into_string),
            phone: contact.phone,
        }
    }
}

impl From<palaute_core::submission::Place> for Location {
    fn from(place: palaute_core::submission::Place) -> Self {
        Self {
            lat: place.coordinates.map(|at| at.latitude),
            lon: place.coordinates.map(|at| at.longitude),
            address: place.address,
        }
    }
}

impl From<palaute_core::Submission> for NewCase {
    fn from(submission: palaute_core::Submission) -> Self {
        Self {
            channel: submission.channel,
            title: submission.title,
            description: submission.description,
            stated_language: submission.stated_language,
            category_code: submission.category_code,
            contact: submission.contact.map(ContactDetails::from),
            location: submission.location.map(Location::from),
            idempotency_key: submission.idempotency_key,
            fingerprint: submission.fingerprint,
            source: None,
            attachments: Vec::new(),
            answers: submission.answers,
        }
    }
}

/// What a submission produced.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub case_id: CaseId,
    pub reference: Reference,
    /// `None` only when a replayed submission's token could not be recovered.
    pub tracking_token: Option<String>,
    /// True when the idempotency key matched an earlier submission.
    pub replayed: bool,
}

/// A case as the rest of the system reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    pub id: CaseId,
    pub reference: Reference,
    pub channel: Channel,
    pub title: Option<String>,
    pub description: String,
    pub stated_language: Option<Language>,
    /// The detected language; `None` before detection or when it could not be told
    /// (see `language_detected`).
    pub language: Option<Language>,
    pub language_detected: bool,
    pub language_confidence: Option<f64>,
    /// The category as it stands: given, recognised by routing, or set by staff.
    pub category_code: Option<String>,
    /// The category the submitter chose, whatever happened since.
    pub given_category_code: Option<String>,
    pub unit_code: Option<String>,
    pub status: CaseStatus,
    pub routing_reason: Option<String>,
    pub routing_confidence: Option<f64>,
    pub location: Option<Location>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub routed_at: Option<DateTime<Utc>>,
    /// Bumped by every change; edits name the version they were made against.
    pub version: i64,
    pub assignee_id: Option<i64>,
    pub first_replied_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Set on a duplicate: the case it was merged into. Such a case is closed and
    /// left out of lists, counts and search.
    pub merged_into: Option<CaseId>,
    /// The resident's satisfaction answer, once given.
    pub satisfaction: Option<Satisfaction>,
    /// Deadlines: when the first reply and the resolution are due (`None` before
    /// routing, and for cases routed before deadlines existed).
    pub first_reply_due_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    /// The name of the API key that created the case, if one did.
    pub source: Option<String>,
}

/// A resident's answer to "how well was your feedback handled?".
#[derive(Debug, Clone, PartialEq)]
pub struct Satisfaction {
    /// 1 (poor) to 5 (very good).
    pub score: u8,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseEvent {
    pub id: i64,
    pub kind: String,
    pub actor: String,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// The pipeline's decision for a case.
#[derive(Debug, Clone)]
pub struct Routing {
    pub language: Option<Language>,
    pub language_confidence: f32,
    pub unit_code: String,
    pub category_code: Option<String>,
    pub status: CaseStatus,
    pub reason: String,
    pub confidence: f32,
    /// What each routing model (live and candidates) made of the case.
    pub predictions: Vec<NewPrediction>,
}

/// An email to queue in the outbox.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub kind: EmailKind,
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub language: Language,
    /// Set when a case can have more than one email of this kind (a notification per
    /// reassignment): one email per kind and occasion, however often it is queued.
    pub occasion: Option<String>,
    /// Set for emails an address gets at most once in this time, whatever the case:
    /// within it the email is withheld and the case's timeline says so.
    pub at_most_every: Option<chrono::Duration>,
    /// The Message-ID this email answers (a reply under the acknowledgement).
    pub in_reply_to: Option<String>,
}

palaute_core::coded_enum!(
    /// Why an email is sent.
    EmailKind {
        HandlerNotification => "handler_notification",
        Acknowledgement => "acknowledgement",
        /// Staff's answer to the resident, in the acknowledgement's thread.
        ResidentReply => "resident_reply",
        /// The resident of a merged duplicate is told which case carries on.
        MergeNotice => "merge_notice",
        /// A case forwarded to an outside body, to that body.
        Forwarded => "forwarded",
        /// The resident of a forwarded case is told who handles it now.
        ForwardNotice => "forward_notice",
        /// Deadlines: a deadline is near (to the handler or the unit mailbox).
        DeadlineWarning => "deadline_warning",
        /// Deadlines: a deadline passed (to the unit lead or the unit mailbox).
        DeadlineBreach => "deadline_breach",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutingRecorded {
    Applied,
    /// The case had left NEW already (a re-run after a crash): nothing was changed.
    AlreadyRouted,
}

const UNKNOWN_LANGUAGE: &str = "und";

impl Store {
    /// Stores a submission. The case, its contact details, its first timeline event
    /// and its pipeline job are written in one transaction: once this returns, the
    /// reference is safe from any crash.
    pub async fn submit_case(
        &self,
        new_case: NewCase,
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Submitted, StoreError> {
        if let Some(key) = &new_case.idempotency_key
            && let Some(replay) = self.find_replay(key, &new_case.fingerprint).await?
        {
            return Ok(replay);
        }
        match self.insert_case(&new_case, max_attempts, now).await {
            Err(StoreError::Database { source, .. })
                if new_case.idempotency_key.is_some()
                    && matches!(source.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
            {
                // A concurrent submission with the same key won the race; answer as it did.
                let key = new_case.idempotency_key.as_deref().unwrap_or_default();
                self.find_replay(key, &new_case.fingerprint)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("idempotent case vanished".into()))
            }
            other => other,
        }
    }

    async fn find_replay(
        &self,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<Submitted>, StoreError> {
        let existing = case::Entity::find()
            .filter(case::Column::IdempotencyKeyHash.eq(token::idempotency_key_hash(key)))
            .one(&self.db)
            .await
            .context("looking up an idempotency key")?;
        let Some(existing) = existing else {
            return Ok(None);
        };
        if existing.idempotency_fingerprint.as_deref() != Some(fingerprint) {
            return Err(StoreError::IdempotencyConflict);
        }
        let tracking_token = existing
            .sealed_tracking_token
            .as_deref()
            .and_then(|sealed| token::unseal_with_key(sealed, key, &existing.reference));
        Ok(Some(Submitted {
            case_id: CaseId(existing.id),
            reference: parse_reference(&existing.reference)?,
            tracking_token,
            replayed: true,
        }))
    }

    async fn insert_case(
        &self,
        new_case: &NewCase,
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Submitted, StoreError> {
        let txn = self.begin_write().await?;
        let number = next_reference_number(&txn, now.year()).await?;
        let reference = Reference::new(now.year(), number);
        let tracking_token = TrackingToken::generate();
        let location = new_case.location.clone().unwrap_or_default();
        let row = case::ActiveModel {
            reference: Set(reference.to_string()),
            channel: Set(new_case.channel.code().to_owned()),
            title: Set(new_case.title.clone()),
            description: Set(new_case.description.clone()),
            stated_language: Set(new_case.stated_language.map(|l| l.code().to_owned())),
            language: Set(None),
            language_confidence: Set(None),
            category_code: Set(new_case.category_code.clone()),
            unit_code: Set(None),
            status: Set(CaseStatus::New.code().to_owned()),
            routing_reason: Set(None),
            routing_confidence: Set(None),
            lat: Set(location.lat),
            lon: Set(location.lon),
            address: Set(location.address),
            tracking_token_hash: Set(tracking_token.hash()),
            idempotency_key_hash: Set(new_case
                .idempotency_key
                .as_deref()
                .map(token::idempotency_key_hash)),
            idempotency_fingerprint: Set(new_case
                .idempotency_key
                .as_ref()
                .map(|_| new_case.fingerprint.clone())),
            sealed_tracking_token: Set(new_case.idempotency_key.as_deref().map(|key| {
                token::seal_with_key(tracking_token.as_str(), key, &reference.to_string())
            })),
            created_at: Set(now),
            updated_at: Set(now),
            routed_at: Set(None),
            given_category_code: Set(new_case.category_code.clone()),
            source: Set(new_case.source.clone()),
            // Only a resident who can be written to needs it, and only until then.
            ack_sealed_token: Set(self
                .acknowledgement_seal
                .as_deref()
                .filter(|_| new_case.contact.as_ref().is_some_and(|c| c.email.is_some()))
                .map(|key| {
                    token::seal_with_key(tracking_token.as_str(), key, &reference.to_string())
                })),
            ..Default::default()
        };
        let inserted = case::Entity::insert(row)
            .exec(&txn)
            .await
            .context("saving a case")?;
        let case_id = inserted.last_insert_id;

        if let Some(contact) = &new_case.contact {
            case_contact::Entity::insert(case_contact::ActiveModel {
                case_id: Set(case_id),
                name: Set(contact.name.clone()),
                email: Set(contact.email.clone()),
                phone: Set(contact.phone.clone()),
            })
            .exec(&txn)
            .await
            .context("saving contact details")?;
        }
        crate::attachments::insert_attachments(&txn, case_id, &new_case.attachments, now).await?;
        crate::answers::insert_answers(&txn, case_id, &new_case.answers).await?;
        insert_event(
            &txn,
            case_id,
            "received",
            "resident",
            json!({ "channel": new_case.channel.code() }),
            now,
        )
        .await?;
        enqueue_job(
            &txn,
            JobKind::ProcessCase,
            json!({ "case_id": case_id }),
            Some(case_id),
            max_attempts,
            now,
        )
        .await?;
        mark_for_indexing(&txn, case_id, now).await?;
        txn.commit().await.context("committing a case")?;
        Ok(Submitted {
            case_id: CaseId(case_id),
            reference,
            tracking_token: Some(tracking_token.into_string()),
            replayed: false,
        })
    }

    /// The tracking token of a case not yet routed, for its acknowledgement's link;
    /// `None` without a seal key, after routing, or when the key has changed since.
    pub async fn acknowledgement_token(&self, id: CaseId) -> Result<Option<String>, StoreError> {
        let Some(key) = self.acknowledgement_seal.as_deref() else {
            return Ok(None);
        };
        let row: Option<(String, String, Option<String>)> = case::Entity::find_by_id(id.0)
            .select_only()
            .column(case::Column::Reference)
            .column(case::Column::TrackingTokenHash)
            .column(case::Column::AckSealedToken)
            .into_tuple()
            .one(&self.db)
            .await
            .context("reading a case's sealed tracking token")?;
        Ok(row.and_then(|(reference, hash, sealed)| {
            let token = token::unseal_with_key(sealed.as_deref()?, key, &reference)?;
            // Another process's key opens the seal to noise: only the real token counts.
            let opened = TrackingToken::from_string(token);
            token::constant_time_eq(&opened.hash(), &hash).then(|| opened.into_string())
        }))
    }

    pub async fn case_by_id(&self, id: CaseId) -> Result<Option<CaseRecord>, StoreError> {
        case::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .context("loading a case")?
            .map(CaseRecord::try_from)
            .transpose()
    }

    pub async fn case_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<CaseRecord>, StoreError> {
        case::Entity::find()
            .filter(case::Column::Reference.eq(reference.to_string()))
            .one(&self.db)
            .await
            .context("loading a case by reference")?
            .map(CaseRecord::try_from)
            .transpose()
    }

    /// The cases with these references, in the order given (each once); unknown
    /// references are skipped. One query.
    pub async fn cases_by_references(
        &self,
        references: &[Reference],
    ) -> Result<Vec<CaseRecord>, StoreError> {
        if references.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<String> = references.iter().map(ToString::to_string).collect();
        let rows = case::Entity::find()
            .filter(case::Column::Reference.is_in(wanted.iter().cloned()))
            .all(&self.db)
            .await
            .context("loading cases by reference")?;
        let mut by_reference: std::collections::HashMap<String, case::Model> = rows
            .into_iter()
            .map(|row| (row.reference.clone(), row))
            .collect();
        wanted
            .iter()
            .filter_map(|reference| by_reference.remove(reference))
            .map(CaseRecord::try_from)
            .collect()
    }

    /// The case, if `token` is the one its submitter was given; `None` otherwise,
    /// without telling a wrong token from an unknown reference.
    pub async fn case_for_resident(
        &self,
        reference: &Reference,
        token: &str,
    ) -> Result<Option<CaseRecord>, StoreError> {
        let found = case::Entity::find()
            .filter(case::Column::Reference.eq(reference.to_string()))
            .one(&self.db)
            .await
            .context("loading a case for its resident")?;
        let presented = TrackingToken::from_string(token.to_owned()).hash();
        match found {
            Some(row) if token::constant_time_eq(&row.tracking_token_hash, &presented) => {
                Ok(Some(CaseRecord::try_from(row)?))
            }
            _ => Ok(None),
        }
    }

    /// Cases in id order; keeps the order of `ids` and skips ids that do not exist.
    pub async fn cases_by_ids(&self, ids: &[CaseId]) -> Result<Vec<CaseRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = case::Entity::find()
            .filter(case::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .all(&self.db)
            .await
            .context("loading cases")?;
        let mut by_id: std::collections::HashMap<i64, case::Model> =
            rows.into_iter().map(|row| (row.id, row)).collect();
        ids.iter()
            .filter_map(|id| by_id.remove(&id.0))
            .map(CaseRecord::try_from)
            .collect()
    }

    /// Case ids in ascending order after `after`, for rebuilding the search index.
    pub async fn case_ids_after(&self, after: i64, limit: u64) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<i64> = case::Entity::find()
            .select_only()
            .column(case::Column::Id)
            .filter(case::Column::Id.gt(after))
            .order_by_asc(case::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .context("listing case ids")?;
        Ok(ids.into_iter().map(CaseId).collect())
    }

    pub async fn case_contact(&self, id: CaseId) -> Result<Option<ContactDetails>, StoreError> {
        let row = case_contact::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .context("loading contact details")?;
        Ok(row.map(|row| ContactDetails {
            name: row.name,
            email: row.email,
            phone: row.phone,
        }))
    }

    /// The case's timeline, oldest first.
    pub async fn case_events(&self, id: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
        let rows = case_event::Entity::find()
            .filter(case_event::Column::CaseId.eq(id.0))
            .order_by_asc(case_event::Column::Id)
            .all(&self.db)
            .await
            .context("loading a case's timeline")?;
        Ok(rows.into_iter().map(CaseEvent::from).collect())
    }

    /// The timelines of several cases, oldest first, in one query (cases without
    /// events are left out).
    pub async fn case_events_of(
        &self,
        ids: &[CaseId],
    ) -> Result<std::collections::HashMap<CaseId, Vec<CaseEvent>>, StoreError> {
        let mut timelines: std::collections::HashMap<CaseId, Vec<CaseEvent>> =
            std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(timelines);
        }
        let rows = case_event::Entity::find()
            .filter(case_event::Column::CaseId.is_in(ids.iter().map(|id| id.0)))
            .order_by_asc(case_event::Column::Id)
            .all(&self.db)
            .await
            .context("loading the timelines of cases")?;
        for row in rows {
            let case_id = CaseId(row.case_id);
            timelines
                .entry(case_id)
                .or_default()
                .push(CaseEvent::from(row));
        }
        Ok(timelines)
    }

    /// One event of a case's timeline.
    pub async fn case_event(
        &self,
        case_id: CaseId,
        event_id: i64,
    ) -> Result<Option<CaseEvent>, StoreError> {
        let row = case_event::Entity::find_by_id(event_id)
            .filter(case_event::Column::CaseId.eq(case_id.0))
            .one(&self.db)
            .await
            .context("loading a timeline event")?;
        Ok(row.map(CaseEvent::from))
    }

    /// A page of a case's timeline, oldest first, after the event `after`, and how
    /// many events it has in all.
    pub async fn case_events_page(
        &self,
        case_id: CaseId,
        first: u64,
        after: Option<i64>,
    ) -> Result<(Vec<CaseEvent>, u64, bool), StoreError> {
        let all = case_event::Entity::find().filter(case_event::Column::CaseId.eq(case_id.0));
        let total = all
            .clone()
            .count(&self.db)
            .await
            .context("counting events")?;
        let mut query = all;
        if let Some(after) = after {
            query = query.filter(case_event::Column::Id.gt(after));
        }
        let mut rows = query
            .order_by_asc(case_event::Column::Id)
            .limit(first + 1)
            .all(&self.db)
            .await
            .context("loading a page of a timeline")?;
        let has_next = rows.len() as u64 > first;
        rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
        Ok((
            rows.into_iter().map(CaseEvent::from).collect(),
            total,
            has_next,
        ))
    }

    /// Staff replies to the resident, oldest first: what the tracking page shows.
    pub async fn case_replies(&self, case_id: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
        let rows = case_event::Entity::find()
            .filter(case_event::Column::CaseId.eq(case_id.0))
            .filter(case_event::Column::Kind.eq("replied"))
            .order_by_asc(case_event::Column::Id)
            .all(&self.db)
            .await
            .context("loading a case's replies")?;
        Ok(rows.into_iter().map(CaseEvent::from).collect())
    }

    /// Records the pipeline's decision, the timeline event, the outbox emails with
    /// their delivery jobs and the index entry, all in one transaction. Re-running it
    /// for a case that left NEW changes nothing, so a pipeline job repeated after a
    /// crash never routes twice or queues an email twice.
    pub async fn record_routing(
        &self,
        id: CaseId,
        routing: &Routing,
        emails: &[NewEmail],
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<RoutingRecorded, StoreError> {
        self.record_routing_with_deadlines(id, routing, None, emails, max_attempts, now)
            .await
    }

    /// [`Store::record_routing`], setting the case's due times in the same transaction.
    pub async fn record_routing_with_deadlines(
        &self,
        id: CaseId,
        routing: &Routing,
        due: Option<&palaute_core::deadlines::DueTimes>,
        emails: &[NewEmail],
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<RoutingRecorded, StoreError> {
        let txn = self.begin_write().await?;
        let language_code = routing
            .language
            .map_or(UNKNOWN_LANGUAGE, |language| language.code());
        let updated = case::Entity::update_many()
            .col_expr(case::Column::Language, Expr::value(language_code))
            .col_expr(
                case::Column::LanguageConfidence,
                Expr::value(f64::from(routing.language_confidence)),
            )
            .col_expr(
                case::Column::UnitCode,
                Expr::value(routing.unit_code.clone()),
            )
            .col_expr(
                case::Column::CategoryCode,
                Expr::value(routing.category_code.clone()),
            )
            .col_expr(case::Column::Status, Expr::value(routing.status.code()))
            .col_expr(
                case::Column::RoutingReason,
                Expr::value(routing.reason.clone()),
            )
            .col_expr(
                case::Column::RoutingConfidence,
                Expr::value(f64::from(routing.confidence)),
            )
            .col_expr(case::Column::RoutedAt, Expr::value(now))
            // The acknowledgement written below was the sealed token's only use.
            .col_expr(
                case::Column::AckSealedToken,
                Expr::value(Option::<String>::None),
            )
            .col_expr(case::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                case::Column::Version,
                Expr::col(case::Column::Version).add(1),
            )
            .filter(case::Column::Id.eq(id.0))
            .filter(case::Column::Status.eq(CaseStatus::New.code()))
            .exec(&txn)
            .await
            .context("recording a routing decision")?;
        if updated.rows_affected == 0 {
            txn.rollback().await.context("rolling back")?;
            return Ok(RoutingRecorded::AlreadyRouted);
        }
        insert_event(
            &txn,
            id.0,
            routing.status.code(),
            "system",
            json!({
                "unit": routing.unit_code,
                "category": routing.category_code,
                "language": language_code,
                "language_confidence": routing.language_confidence,
                "reason": routing.reason,
                "confidence": routing.confidence,
            }),
            now,
        )
        .await?;
        queue_emails(&txn, id, emails, max_attempts, now).await?;
        crate::deadlines::write_due_times(&txn, id, due).await?;
        insert_predictions(&txn, id, &routing.predictions, now).await?;
        mark_for_indexing(&txn, id.0, now).await?;
        txn.commit()
            .await
            .context("committing a routing decision")?;
        Ok(RoutingRecorded::Applied)
    }
}

/// Takes the next number of `year` atomically: the upsert's row lock (PostgreSQL) or
/// the write lock (SQLite) serialises concurrent submissions.
async fn next_reference_number(txn: &DatabaseTransaction, year: i32) -> Result<i64, StoreError> {
    let statement = Query::insert()
        .into_table(reference_counter::Entity)
        .columns([
            reference_counter::Column::Year,
            reference_counter::Column::LastNumber,
        ])
        .values_panic([year.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(reference_counter::Column::Year)
                .value(
                    reference_counter::Column::LastNumber,
                    Expr::col((
                        reference_counter::Entity,
                        reference_counter::Column::LastNumber,
                    ))
                    .add(1),
                )
                .to_owned(),
        )
        .returning_col(reference_counter::Column::LastNumber)
        .to_owned();
    let row = txn
        .query_one(&statement)
        .await
        .context("taking a reference number")?
        .ok_or_else(|| StoreError::Corrupt("reference counter returned nothing".into()))?;
    row.try_get::<i64>("", "last_number")
        .context("reading a reference number")
}

pub(crate) async fn insert_event(
    txn: &DatabaseTransaction,
    case_id: i64,
    kind: &str,
    actor: &str,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let inserted = case_event::Entity::insert(case_event::ActiveModel {
        case_id: Set(case_id),
        kind: Set(kind.to_owned()),
        actor: Set(actor.to_owned()),
        detail: Set(detail.to_string()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(txn)
    .await
    .context("saving a timeline event")?;
    Ok(inserted.last_insert_id)
}

/// Queues each email in the outbox with its delivery job; emails queued before (same
/// case, kind and occasion) are skipped.
pub(crate) async fn queue_emails(
    txn: &DatabaseTransaction,
    case_id: CaseId,
    emails: &[NewEmail],
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for new_email in emails {
        if let Some(email_id) = queue_email(txn, case_id, new_email, now).await? {
            enqueue_job(
                txn,
                JobKind::SendEmail,
                json!({ "email_id": email_id }),
                Some(case_id.0),
                max_attempts,
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// Inserts an outbox row unless this case already has an email of this kind;
/// returns the new row's id.
async fn queue_email(
    txn: &DatabaseTransaction,
    case_id: CaseId,
    new_email: &NewEmail,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let dedupe_key = match &new_email.occasion {
        None => format!("case:{}:{}", case_id.0, new_email.kind.code()),
        Some(occasion) => format!("case:{}:{}:{occasion}", case_id.0, new_email.kind.code()),
    };
    let exists = email::Entity::find()
        .filter(email::Column::DedupeKey.eq(dedupe_key.clone()))
        .one(txn)
        .await
        .context("checking the outbox")?;
    if exists.is_some() {
        return Ok(None);
    }
    if let Some(interval) = new_email.at_most_every
        && !claim_recipient_turn(txn, new_email, interval, now).await?
    {
        insert_event(
            txn,
            case_id.0,
            "email_withheld",
            "system",
            json!({
                "kind": new_email.kind.code(),
                "reason": format!(
                    "the address got an email of this kind less than {} minutes ago",
                    interval.num_minutes()
                ),
            }),
            now,
        )
        .await?;
        return Ok(None);
    }
    let inserted = email::Entity::insert(email::ActiveModel {
        case_id: Set(Some(case_id.0)),
        kind: Set(new_email.kind.code().to_owned()),
        dedupe_key: Set(dedupe_key),
        message_id: Set(new_email.message_id.clone()),
        from_address: Set(new_email.from.clone()),
        to_address: Set(new_email.to.clone()),
        subject: Set(new_email.subject.clone()),
        body_text: Set(new_email.body_text.clone()),
        language: Set(new_email.language.code().to_owned()),
        status: Set(crate::outbox::EmailStatus::Pending.code().to_owned()),
        delivery_note: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        in_reply_to: Set(new_email.in_reply_to.clone()),
        ..Default::default()
    })
    .exec(txn)
    .await
    .context("queueing an email")?;
    Ok(Some(inserted.last_insert_id))
}

/// Takes the recipient's turn for an email of this kind: true when the address had
/// none within `interval`. One conditional upsert, so concurrent workers on any
/// backend cannot both take the same turn.
async fn claim_recipient_turn(
    txn: &DatabaseTransaction,
    new_email: &NewEmail,
    interval: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let address = new_email.to.trim().to_lowercase();
    let key = format!(
        "{}:{}",
        new_email.kind.code(),
        palaute_core::token::sha256_hex(address.as_bytes())
    );
    let statement = Query::insert()
        .into_table(recipient_throttle::Entity)
        .columns([
            recipient_throttle::Column::RecipientKey,
            recipient_throttle::Column::LastSentAt,
        ])
        .values_panic([key.into(), now.into()])
        .on_conflict(
            OnConflict::column(recipient_throttle::Column::RecipientKey)
                .update_column(recipient_throttle::Column::LastSentAt)
                .action_and_where(
                    Expr::col((
                        recipient_throttle::Entity,
                        recipient_throttle::Column::LastSentAt,
                    ))
                    .lte(now - interval),
                )
                .to_owned(),
        )
        .returning_col(recipient_throttle::Column::RecipientKey)
        .to_owned();
    let claimed = txn
        .query_one(&statement)
        .await
        .context("taking a recipient's turn")?;
    Ok(claimed.is_some())
}

fn parse_reference(stored: &str) -> Result<Reference, StoreError> {
    Reference::parse(stored).map_err(|_| StoreError::Corrupt(format!("reference {stored:?}")))
}

fn parse_code<T>(stored: &str, what: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(stored).ok_or_else(|| StoreError::Corrupt(format!("{what} {stored:?}")))
}

impl From<case_event::Model> for CaseEvent {
    fn from(row: case_event::Model) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            actor: row.actor,
            detail: serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null),
            created_at: row.created_at,
        }
    }
}

pub(crate) fn parse_status(code: &str) -> Result<CaseStatus, StoreError> {
    parse_code(code, "status", CaseStatus::from_code)
}

impl TryFrom<case::Model> for CaseRecord {
    type Error = StoreError;

    fn try_from(row: case::Model) -> Result<Self, StoreError> {
        let stated_language = row
            .stated_language
            .as_deref()
            .map(|code| parse_code(code, "language", Language::from_code))
            .transpose()?;
        let language = match row.language.as_deref() {
            None | Some(UNKNOWN_LANGUAGE) => None,
            Some(code) => Some(parse_code(code, "language", Language::from_code)?),
        };
        let location =
            (row.lat.is_some() || row.lon.is_some() || row.address.is_some()).then(|| Location {
                lat: row.lat,
                lon: row.lon,
                address: row.address.clone(),
            });
        let satisfaction = row.satisfaction_score.map(|score| Satisfaction {
            score: u8::try_from(score).unwrap_or(0),
            comment: row.satisfaction_comment.clone(),
            at: row.rated_at.unwrap_or(row.updated_at),
        });
        Ok(CaseRecord {
            id: CaseId(row.id),
            reference: parse_reference(&row.reference)?,
            channel: parse_code(&row.channel, "channel", Channel::from_code)?,
            title: row.title,
            description: row.description,
            stated_language,
            language,
            language_detected: row.language.is_some(),
            language_confidence: row.language_confidence,
            category_code: row.category_code,
            given_category_code: row.given_category_code,
            unit_code: row.unit_code,
            status: parse_code(&row.status, "status", CaseStatus::from_code)?,
            routing_reason: row.routing_reason,
            routing_confidence: row.routing_confidence,
            location,
            created_at: row.created_at,
            updated_at: row.updated_at,
            routed_at: row.routed_at,
            version: row.version,
            assignee_id: row.assignee_id,
            first_replied_at: row.first_replied_at,
            resolved_at: row.resolved_at,
            merged_into: row.merged_into_id.map(CaseId),
            satisfaction,
            first_reply_due_at: row.first_reply_due_at,
            due_at: row.due_at,
            source: row.source,
        })
    }
}
