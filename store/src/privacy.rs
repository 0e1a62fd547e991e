//! Privacy: what the store holds about one resident (export), removing it on request
//! (erasure) or when a closed case's retention runs out (anonymising).
//!
//! Invariant: anonymising keeps what the figures are made of (channel, category, unit,
//! status, dates, routing decisions, deadlines, the timeline's kinds, actors and times,
//! satisfaction scores) and removes everything a resident wrote or that names them:
//! contact details, title, description, address and position, satisfaction comments,
//! the text of the timeline's notes and replies, the emails about the case (subject
//! and body), the inbound mail kept for it (raw bytes and subject), its files and its
//! training example. Each case is done in one transaction with its timeline event and
//! its index mark, so search forgets it too.

use chrono::{DateTime, Utc};
use palaute_core::privacy::{ANONYMISED_EVENT, ANONYMISED_TEXT, AnonymisationPolicy};
use palaute_core::{CaseId, CaseStatus, EmailAddress};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

use crate::cases::insert_event;
use crate::db::Store;
use crate::entity::{
    case, case_anonymisation, case_answer, case_attachment, case_contact, case_event, email,
    email_suppression, inbound_mail, job, recipient_throttle, training_example,
};
use crate::error::{DbContext, StoreError};
use crate::outbox::EmailStatus;
use crate::search_queue::mark_for_indexing;

/// Keys of timeline details whose values are a person's words or details.
const PERSONAL_KEYS: [&str; 14] = [
    "note",
    "text",
    "body",
    "reply",
    "comment",
    "message",
    "title",
    "description",
    "address",
    "subject",
    "name",
    "email",
    "phone",
    "to",
];

/// Inbound mail rows read at a time when looking for an address in their bytes.
const MAIL_SCAN_BATCH: u64 = 200;

/// What erasing one address removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureSummary {
    /// The references of the cases anonymised.
    pub cases: Vec<String>,
    /// Outbox emails whose subject and body were removed.
    pub emails: u64,
    /// Inbound messages whose bytes were removed.
    pub inbound_mail: u64,
    pub attachments: u64,
    pub suppressions: u64,
    /// The Message-IDs of the emails removed, whose `.eml` copies in the outbox folder
    /// go too.
    #[serde(skip)]
    pub outbox_message_ids: Vec<String>,
}

/// What anonymising some cases removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anonymised {
    pub cases: Vec<CaseId>,
    pub outbox_message_ids: Vec<String>,
}

/// Everything held about one email address.
#[derive(Debug, Clone, Serialize)]
pub struct PrivacyExport {
    pub address: String,
    pub exported_at: DateTime<Utc>,
    pub cases: Vec<ExportedCase>,
    /// Messages from the address (or naming it) that are not part of a case above.
    pub other_inbound_mail: Vec<ExportedInboundMail>,
    /// Emails to the address that are not part of a case above.
    pub other_emails: Vec<ExportedEmail>,
    /// Why resident mail to the address is no longer sent, if it is not.
    pub suppression: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedCase {
    pub reference: String,
    pub channel: String,
    pub status: String,
    pub title: Option<String>,
    pub description: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub satisfaction_score: Option<i16>,
    pub satisfaction_comment: Option<String>,
    pub contact: Option<ExportedContact>,
    /// Every change, staff reply and message, oldest first.
    pub timeline: Vec<ExportedEvent>,
    pub emails: Vec<ExportedEmail>,
    pub inbound_mail: Vec<ExportedInboundMail>,
    /// The files sent with the case (listed, not included).
    pub attachments: Vec<ExportedAttachment>,
    /// Answers to the category's extra questions: (question code, value).
    pub answers: Vec<(String, String)>,
    pub anonymised_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedEmail {
    pub created_at: DateTime<Utc>,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedInboundMail {
    pub received_at: DateTime<Utc>,
    pub from: Option<String>,
    pub subject: String,
    pub disposition: String,
    /// The size of the kept message; its bytes are not part of the export.
    pub size: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedAttachment {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

/// `lower(column) = value`, the value already lower-cased.
fn lower_eq(column: impl sea_orm::sea_query::IntoColumnRef, value: &str) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col(column))).eq(value.to_owned())
}

/// Whether `haystack` names any of `needles` (lower-cased), ignoring case.
fn names_any(haystack: &str, needles: &[String]) -> bool {
    let haystack = haystack.to_lowercase();
    needles.iter().any(|needle| haystack.contains(needle))
}

fn bytes_name_any(haystack: &[u8], needles: &[String]) -> bool {
    let haystack = haystack.to_ascii_lowercase();
    needles.iter().any(|needle| {
        let needle = needle.as_bytes();
        !needle.is_empty()
            && haystack
                .windows(needle.len())
                .any(|window| window == needle)
    })
}

/// A timeline detail with the values that are a person's words or details replaced.
fn scrub_detail(detail: &mut serde_json::Value, personal: &[String]) {
    match detail {
        serde_json::Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                if PERSONAL_KEYS.contains(&key.as_str()) && value.is_string() {
                    *value = serde_json::Value::String(ANONYMISED_TEXT.to_owned());
                } else {
                    scrub_detail(value, personal);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                scrub_detail(item, personal);
            }
        }
        serde_json::Value::String(text) if names_any(text, personal) => {
            *text = ANONYMISED_TEXT.to_owned();
        }
        _ => {}
    }
}

fn scrub_text(text: &str, personal: &[String]) -> String {
    if names_any(text, personal) {
        ANONYMISED_TEXT.to_owned()
    } else {
        text.to_owned()
    }
}

/// The strings that name a case's resident: their contact details, lower-cased; short
/// values that would match ordinary words are left out.
fn personal_strings(contact: Option<&case_contact::Model>, also: &[String]) -> Vec<String> {
    let mut strings: Vec<String> = contact
        .into_iter()
        .flat_map(|contact| [&contact.name, &contact.email, &contact.phone])
        .flatten()
        .chain(also)
        .map(|value| value.trim().to_lowercase())
        .filter(|value| value.chars().count() >= 4)
        .collect();
    strings.sort();
    strings.dedup();
    strings
}

/// Anonymises one case inside `txn`; returns the Message-IDs of its emails.
async fn anonymise_case(
    txn: &DatabaseTransaction,
    case_id: i64,
    policy: AnonymisationPolicy,
    also_personal: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let contact = case_contact::Entity::find_by_id(case_id)
        .one(txn)
        .await
        .context("reading a case's contact details")?;
    let personal = personal_strings(contact.as_ref(), also_personal);

    case::Entity::update_many()
        .col_expr(case::Column::Title, Expr::value(Option::<String>::None))
        .col_expr(case::Column::Description, Expr::value(ANONYMISED_TEXT))
        .col_expr(case::Column::Address, Expr::value(Option::<String>::None))
        .col_expr(case::Column::Lat, Expr::value(Option::<f64>::None))
        .col_expr(case::Column::Lon, Expr::value(Option::<f64>::None))
        .col_expr(
            case::Column::SatisfactionComment,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            case::Column::Version,
            Expr::col(case::Column::Version).add(1),
        )
        .filter(case::Column::Id.eq(case_id))
        .exec(txn)
        .await
        .context("anonymising a case")?;
    case_contact::Entity::delete_many()
        .filter(case_contact::Column::CaseId.eq(case_id))
        .exec(txn)
        .await
        .context("removing a case's contact details")?;

    let events = case_event::Entity::find()
        .filter(case_event::Column::CaseId.eq(case_id))
        .all(txn)
        .await
        .context("reading a case's timeline")?;
    for event in events {
        let mut detail: serde_json::Value =
            serde_json::from_str(&event.detail).unwrap_or(serde_json::Value::Null);
        scrub_detail(&mut detail, &personal);
        let detail = if matches!(detail, serde_json::Value::Null) {
            "{}".to_owned()
        } else {
            detail.to_string()
        };
        let actor = scrub_text(&event.actor, &personal);
        if detail != event.detail || actor != event.actor {
            let mut row: case_event::ActiveModel = event.into();
            row.detail = Set(detail);
            row.actor = Set(actor);
            row.update(txn)
                .await
                .context("anonymising a timeline event")?;
        }
    }

    let message_ids = anonymise_emails(
        txn,
        Condition::all().add(email::Column::CaseId.eq(case_id)),
        &personal,
    )
    .await?;
    inbound_mail::Entity::update_many()
        .col_expr(inbound_mail::Column::Raw, Expr::value(Vec::<u8>::new()))
        .col_expr(inbound_mail::Column::Subject, Expr::value(ANONYMISED_TEXT))
        .col_expr(
            inbound_mail::Column::FromAddress,
            Expr::value(Option::<String>::None),
        )
        .filter(inbound_mail::Column::CaseId.eq(case_id))
        .exec(txn)
        .await
        .context("anonymising a case's inbound mail")?;
    case_attachment::Entity::delete_many()
        .filter(case_attachment::Column::CaseId.eq(case_id))
        .exec(txn)
        .await
        .context("removing a case's files")?;
    // Answers may be free text (a pole number, a description of the place); no figure
    // counts them.
    case_answer::Entity::delete_many()
        .filter(case_answer::Column::CaseId.eq(case_id))
        .exec(txn)
        .await
        .context("removing a case's answers")?;
    // A routing model learns from the words; an anonymised case has none left to teach.
    training_example::Entity::delete_many()
        .filter(training_example::Column::CaseId.eq(case_id))
        .exec(txn)
        .await
        .context("removing a case's training example")?;
    let jobs = job::Entity::find()
        .filter(job::Column::CaseId.eq(case_id))
        .all(txn)
        .await
        .context("reading a case's jobs")?;
    for row in jobs {
        let last_error = row
            .last_error
            .as_deref()
            .map(|text| scrub_text(text, &personal));
        if last_error != row.last_error {
            let mut row: job::ActiveModel = row.into();
            row.last_error = Set(last_error);
            row.update(txn).await.context("anonymising a job's error")?;
        }
    }

    let policy_json = serde_json::to_value(policy).unwrap_or(serde_json::Value::Null);
    case_anonymisation::Entity::insert(case_anonymisation::ActiveModel {
        case_id: Set(case_id),
        policy: Set(policy_json.to_string()),
        anonymised_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(case_anonymisation::Column::CaseId)
            .update_columns([
                case_anonymisation::Column::Policy,
                case_anonymisation::Column::AnonymisedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await
    .context("recording an anonymised case")?;
    insert_event(
        txn,
        case_id,
        ANONYMISED_EVENT,
        policy.actor(),
        policy_json,
        now,
    )
    .await?;
    mark_for_indexing(txn, case_id, now).await?;
    Ok(message_ids)
}

/// Removes the subject and body of the emails `filter` selects (and an address of
/// `personal` they were sent to); returns their Message-IDs.
async fn anonymise_emails(
    txn: &DatabaseTransaction,
    filter: Condition,
    personal: &[String],
) -> Result<Vec<String>, StoreError> {
    let rows = email::Entity::find()
        .filter(filter)
        .all(txn)
        .await
        .context("reading emails to anonymise")?;
    let mut message_ids = Vec::with_capacity(rows.len());
    for row in rows {
        message_ids.push(row.message_id.clone());
        let to = scrub_text(&row.to_address, personal);
        let delivery_note = row
            .delivery_note
            .as_deref()
            .map(|n| scrub_text(n, personal));
        let last_error = row.last_error.as_deref().map(|e| scrub_text(e, personal));
        // An email still waiting would go out as "[anonymised]": it is not sent at all.
        let withdrawn = row.status == EmailStatus::Pending.code();
        let mut row: email::ActiveModel = row.into();
        if withdrawn {
            row.status = Set(EmailStatus::Withdrawn.code().to_owned());
        }
        row.subject = Set(ANONYMISED_TEXT.to_owned());
        row.body_text = Set(ANONYMISED_TEXT.to_owned());
        row.to_address = Set(to);
        row.delivery_note = Set(delivery_note);
        row.last_error = Set(last_error);
        row.update(txn).await.context("anonymising an email")?;
    }
    Ok(message_ids)
}

impl Store {
    /// The cases that belong to `address`: its contact email, the sender of mail kept
    /// for it, or the recipient of its resident mail; compared without regard to case.
    pub async fn cases_of_address(
        &self,
        address: &EmailAddress,
    ) -> Result<Vec<CaseId>, StoreError> {
        let wanted = address.canonical();
        let mut ids: Vec<i64> = case_contact::Entity::find()
            .select_only()
            .column(case_contact::Column::CaseId)
            .filter(lower_eq(case_contact::Column::Email, &wanted))
            .into_tuple()
            .all(&self.db)
            .await
            .context("finding the cases of an address")?;
        let mailed: Vec<Option<i64>> = inbound_mail::Entity::find()
            .select_only()
            .column(inbound_mail::Column::CaseId)
            .filter(lower_eq(inbound_mail::Column::FromAddress, &wanted))
            .into_tuple()
            .all(&self.db)
            .await
            .context("finding the mail of an address")?;
        let emailed: Vec<Option<i64>> = email::Entity::find()
            .select_only()
            .column(email::Column::CaseId)
            .filter(lower_eq(email::Column::ToAddress, &wanted))
            .into_tuple()
            .all(&self.db)
            .await
            .context("finding the emails to an address")?;
        ids.extend(mailed.into_iter().chain(emailed).flatten());
        ids.sort_unstable();
        ids.dedup();
        Ok(ids.into_iter().map(CaseId).collect())
    }

    /// Everything held about `address`, for a resident's request to see their data.
    pub async fn privacy_export(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<PrivacyExport, StoreError> {
        let wanted = address.canonical();
        let case_ids = self.cases_of_address(address).await?;
        let mut cases = Vec::with_capacity(case_ids.len());
        for id in &case_ids {
            if let Some(case) = self.export_case(*id).await? {
                cases.push(case);
            }
        }
        let in_cases =
            |case_id: Option<i64>| case_id.is_some_and(|id| case_ids.contains(&CaseId(id)));
        let other_inbound_mail = self
            .inbound_mail_naming(&wanted)
            .await?
            .into_iter()
            .filter(|row| !in_cases(row.case_id))
            .map(exported_inbound_mail)
            .collect();
        let other_emails = email::Entity::find()
            .filter(lower_eq(email::Column::ToAddress, &wanted))
            .order_by_asc(email::Column::Id)
            .all(&self.db)
            .await
            .context("reading the emails to an address")?
            .into_iter()
            .filter(|row| !in_cases(row.case_id))
            .map(exported_email)
            .collect();
        let suppression = email_suppression::Entity::find_by_id(wanted.clone())
            .one(&self.db)
            .await
            .context("reading an address's suppression")?
            .map(|row| row.reason);
        Ok(PrivacyExport {
            address: address.as_str().to_owned(),
            exported_at: now,
            cases,
            other_inbound_mail,
            other_emails,
            suppression,
        })
    }

    async fn export_case(&self, id: CaseId) -> Result<Option<ExportedCase>, StoreError> {
        let Some(row) = case::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .context("reading a case to export")?
        else {
            return Ok(None);
        };
        let contact = case_contact::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .context("reading contact details to export")?
            .map(|contact| ExportedContact {
                name: contact.name,
                email: contact.email,
                phone: contact.phone,
            });
        let timeline = case_event::Entity::find()
            .filter(case_event::Column::CaseId.eq(id.0))
            .order_by_asc(case_event::Column::Id)
            .all(&self.db)
            .await
            .context("reading a timeline to export")?
            .into_iter()
            .map(|event| ExportedEvent {
                at: event.created_at,
                kind: event.kind,
                actor: event.actor,
                detail: serde_json::from_str(&event.detail)
                    .unwrap_or(serde_json::Value::String(event.detail)),
            })
            .collect();
        let emails = email::Entity::find()
            .filter(email::Column::CaseId.eq(id.0))
            .order_by_asc(email::Column::Id)
            .all(&self.db)
            .await
            .context("reading a case's emails to export")?
            .into_iter()
            .map(exported_email)
            .collect();
        let inbound_mail = inbound_mail::Entity::find()
            .filter(inbound_mail::Column::CaseId.eq(id.0))
            .order_by_asc(inbound_mail::Column::Id)
            .all(&self.db)
            .await
            .context("reading a case's inbound mail to export")?
            .into_iter()
            .map(exported_inbound_mail)
            .collect();
        let attachments = self
            .attachments_of(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .map(|file| ExportedAttachment {
                filename: file.filename,
                content_type: file.content_type,
                size: file.size,
                created_at: file.created_at,
            })
            .collect();
        let answers = self
            .case_answers(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .map(|answer| (answer.code, answer.value))
            .collect();
        let anonymised_at = case_anonymisation::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .context("reading a case's anonymisation")?
            .map(|row| row.anonymised_at);
        Ok(Some(ExportedCase {
            reference: row.reference,
            channel: row.channel,
            status: row.status,
            title: row.title,
            description: row.description,
            address: row.address,
            lat: row.lat,
            lon: row.lon,
            category: row.category_code,
            unit: row.unit_code,
            created_at: row.created_at,
            resolved_at: row.resolved_at,
            satisfaction_score: row.satisfaction_score,
            satisfaction_comment: row.satisfaction_comment,
            contact,
            timeline,
            emails,
            inbound_mail,
            attachments,
            answers,
            anonymised_at,
        }))
    }

    /// Inbound messages from `address` (lower-cased) or naming it in their subject or
    /// bytes (a bounce names the address it could not reach).
    async fn inbound_mail_naming(
        &self,
        address: &str,
    ) -> Result<Vec<inbound_mail::Model>, StoreError> {
        let needles = [address.to_owned()];
        let mut found = Vec::new();
        let mut after = 0;
        loop {
            let rows = inbound_mail::Entity::find()
                .filter(inbound_mail::Column::Id.gt(after))
                .order_by_asc(inbound_mail::Column::Id)
                .limit(MAIL_SCAN_BATCH)
                .all(&self.db)
                .await
                .context("reading inbound mail")?;
            let Some(last) = rows.last() else {
                return Ok(found);
            };
            after = last.id;
            found.extend(rows.into_iter().filter(|row| {
                row.from_address
                    .as_deref()
                    .is_some_and(|from| from.eq_ignore_ascii_case(address))
                    || names_any(&row.subject, &needles)
                    || bytes_name_any(&row.raw, &needles)
            }));
        }
    }

    /// Anonymises every case of `address` and removes the other traces of it: mail
    /// from or naming it, emails to it, its bounce suppression and send throttles.
    /// Each case gets a timeline event; the figures do not change.
    pub async fn erase_address(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<ErasureSummary, StoreError> {
        let wanted = address.canonical();
        let also = [wanted.clone()];
        let mut summary = ErasureSummary::default();
        for id in self.cases_of_address(address).await? {
            let txn = self.begin_write().await?;
            let Some(row) = case::Entity::find_by_id(id.0)
                .one(&txn)
                .await
                .context("reading a case to erase")?
            else {
                continue;
            };
            summary.attachments += case_attachment::Entity::find()
                .filter(case_attachment::Column::CaseId.eq(id.0))
                .count(&txn)
                .await
                .context("counting a case's files")?;
            let message_ids =
                anonymise_case(&txn, id.0, AnonymisationPolicy::ErasureRequest, &also, now).await?;
            txn.commit().await.context("committing an erased case")?;
            summary.emails += message_ids.len() as u64;
            summary.outbox_message_ids.extend(message_ids);
            summary.cases.push(row.reference);
        }
        let txn = self.begin_write().await?;
        let message_ids = anonymise_emails(
            &txn,
            Condition::all().add(lower_eq(email::Column::ToAddress, &wanted)),
            &also,
        )
        .await?;
        summary.emails += message_ids.len() as u64;
        summary.outbox_message_ids.extend(message_ids);
        summary.suppressions = email_suppression::Entity::delete_many()
            .filter(lower_eq(email_suppression::Column::Address, &wanted))
            .exec(&txn)
            .await
            .context("removing an address's suppression")?
            .rows_affected;
        let hashed = palaute_core::token::sha256_hex(wanted.as_bytes());
        recipient_throttle::Entity::delete_many()
            .filter(recipient_throttle::Column::RecipientKey.ends_with(format!(":{hashed}")))
            .exec(&txn)
            .await
            .context("removing an address's send throttles")?;
        txn.commit().await.context("committing an erased address")?;

        let naming: Vec<i64> = self
            .inbound_mail_naming(&wanted)
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect();
        if !naming.is_empty() {
            summary.inbound_mail += inbound_mail::Entity::update_many()
                .col_expr(inbound_mail::Column::Raw, Expr::value(Vec::<u8>::new()))
                .col_expr(inbound_mail::Column::Subject, Expr::value(ANONYMISED_TEXT))
                .col_expr(
                    inbound_mail::Column::FromAddress,
                    Expr::value(Option::<String>::None),
                )
                .filter(inbound_mail::Column::Id.is_in(naming))
                .exec(&self.db)
                .await
                .context("removing the mail naming an address")?
                .rows_affected;
        }
        summary.outbox_message_ids.sort();
        summary.outbox_message_ids.dedup();
        Ok(summary)
    }

    /// Up to `limit` resolved or closed cases whose retention ran out by `now` and that
    /// are not anonymised yet, oldest first.
    pub async fn cases_due_for_anonymising(
        &self,
        retention: chrono::Duration,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<CaseId>, StoreError> {
        let cutoff = now - retention;
        let closed_before = Condition::any()
            .add(case::Column::ResolvedAt.lte(cutoff))
            .add(
                Condition::all()
                    .add(case::Column::ResolvedAt.is_null())
                    .add(case::Column::UpdatedAt.lte(cutoff)),
            );
        // Anonymised since it was last closed: a case reopened after its anonymising
        // may have gathered new words, and is anonymised again once it closes again.
        let anonymised = sea_orm::sea_query::Query::select()
            .column(case_anonymisation::Column::CaseId)
            .from(case_anonymisation::Entity)
            .and_where(
                Expr::col((
                    case_anonymisation::Entity,
                    case_anonymisation::Column::AnonymisedAt,
                ))
                .gte(Func::coalesce([
                    Expr::col((case::Entity, case::Column::ResolvedAt)),
                    Expr::col((case::Entity, case::Column::UpdatedAt)),
                ])),
            )
            .to_owned();
        let ids: Vec<i64> = case::Entity::find()
            .select_only()
            .column(case::Column::Id)
            .filter(
                case::Column::Status
                    .is_in([CaseStatus::Resolved.code(), CaseStatus::Closed.code()]),
            )
            .filter(closed_before)
            .filter(case::Column::Id.not_in_subquery(anonymised))
            .order_by_asc(case::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .context("finding cases due for anonymising")?;
        Ok(ids.into_iter().map(CaseId).collect())
    }

    /// Anonymises `cases`, each in a transaction of its own, under `policy`.
    pub async fn anonymise_cases(
        &self,
        cases: &[CaseId],
        policy: AnonymisationPolicy,
        now: DateTime<Utc>,
    ) -> Result<Anonymised, StoreError> {
        let mut done = Anonymised::default();
        for id in cases {
            let txn = self.begin_write().await?;
            let message_ids = anonymise_case(&txn, id.0, policy, &[], now).await?;
            txn.commit()
                .await
                .context("committing an anonymised case")?;
            done.cases.push(*id);
            done.outbox_message_ids.extend(message_ids);
        }
        Ok(done)
    }

    /// Which of `cases` have been anonymised: their old words may linger in the
    /// search index's deleted documents until its segments are merged.
    pub async fn anonymised_among(&self, cases: &[CaseId]) -> Result<Vec<CaseId>, StoreError> {
        if cases.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = case_anonymisation::Entity::find()
            .select_only()
            .column(case_anonymisation::Column::CaseId)
            .filter(case_anonymisation::Column::CaseId.is_in(cases.iter().map(|id| id.0)))
            .into_tuple()
            .all(&self.db)
            .await
            .context("reading anonymised cases")?;
        Ok(ids.into_iter().map(CaseId).collect())
    }

    /// Makes the database files forget removed rows: SQLite rebuilds its file (free
    /// pages would keep the old bytes) and empties its write-ahead log; PostgreSQL
    /// vacuums the tables that held them.
    pub async fn reclaim_free_space(&self) -> Result<(), StoreError> {
        match self.backend() {
            DbBackend::Sqlite => {
                self.db
                    .execute_unprepared("VACUUM")
                    .await
                    .context("vacuuming the database")?;
                self.db
                    .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                    .await
                    .context("emptying the write-ahead log")?;
            }
            _ => {
                self.db
                    .execute_unprepared(
                        "VACUUM cases, case_contacts, case_events, emails, inbound_mail, \
                         case_attachments, email_suppressions, training_examples, jobs",
                    )
                    .await
                    .context("vacuuming the database")?;
            }
        }
        Ok(())
    }
}

fn exported_email(row: email::Model) -> ExportedEmail {
    ExportedEmail {
        created_at: row.created_at,
        kind: row.kind,
        to: row.to_address,
        subject: row.subject,
        body: row.body_text,
        status: row.status,
    }
}

fn exported_inbound_mail(row: inbound_mail::Model) -> ExportedInboundMail {
    ExportedInboundMail {
        received_at: row.received_at,
        from: row.from_address,
        subject: row.subject,
        disposition: row.disposition,
        size: row.raw.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_lose_personal_values_and_keep_the_rest() {
        let personal = vec![
            "maija meikäläinen".to_owned(),
            "maija@example.fi".to_owned(),
        ];
        let mut detail = serde_json::json!({
            "note": "Kiitos palautteesta",
            "before": { "status": "routed", "unit": "kymp" },
            "after": { "status": "resolved" },
            "to": "unit@hel.fi",
            "why": "Reply from Maija Meikäläinen",
            "score": 4,
        });
        scrub_detail(&mut detail, &personal);
        assert_eq!(
            detail,
            serde_json::json!({
                "note": ANONYMISED_TEXT,
                "before": { "status": "routed", "unit": "kymp" },
                "after": { "status": "resolved" },
                "to": ANONYMISED_TEXT,
                "why": ANONYMISED_TEXT,
                "score": 4,
            })
        );
    }

    #[test]
    fn short_values_are_not_taken_for_a_person() {
        let contact = case_contact::Model {
            case_id: 1,
            name: Some("Al".into()),
            email: Some("Maija@Example.fi".into()),
            phone: None,
        };
        assert_eq!(
            personal_strings(Some(&contact), &[]),
            vec!["maija@example.fi".to_owned()]
        );
    }
}
