//! The email door's records: every inbound message is kept once (by its key) with
//! what became of it, in the same transaction as what it did to a case. A bounce
//! marks our email failed and stops resident mail to the address.

use chrono::{DateTime, Utc};
use palaute_core::email::bare_address;
use palaute_core::workflow::StaffAction;
use palaute_core::{CaseId, CaseStatus};
use sea_orm::sea_query::{Alias, Expr, Func, OnConflict, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::json;

use crate::cases::{insert_event, parse_status};
use crate::db::Store;
use crate::entity::{case, email, email_suppression, inbound_mail, staff_user, staff_user_unit};
use crate::error::{DbContext, StoreError};
use crate::jobs::{JobKind, enqueue_job};
use crate::outbox::EmailStatus;
use crate::search_queue::mark_for_indexing;
use crate::staff::StaffUserRecord;
use crate::workflow::{CaseEdit, Change, Edited, apply_edit, lock_case};

palaute_core::coded_enum!(
    /// What became of an inbound email.
    MailDisposition {
        /// It became a new case.
        NewCase => "new_case",
        /// The case's resident wrote on their case.
        ResidentMessage => "resident_message",
        /// A handler answered the resident by email.
        StaffReply => "staff_reply",
        /// Someone else named the case: added for staff only.
        InternalNote => "internal_note",
        /// Noise (auto-reply, bounce, receipt, complaint) or unusable: kept, not acted on.
        SetAside => "set_aside",
    }
);

/// An inbound email as the door took it.
#[derive(Debug, Clone)]
pub struct InboundMail {
    /// The Message-ID, or `sha256:<hex>` of the raw bytes when it has none.
    pub message_key: String,
    /// `cli`, `webhook` or `imap`.
    pub source: String,
    pub from_address: Option<String>,
    pub subject: String,
    pub raw: Vec<u8>,
}

/// What an inbound email does.
#[derive(Debug, Clone)]
pub enum MailAction {
    /// Keep it, do nothing: `reason` says why (`auto_reply`, `unreadable`, …).
    SetAside { reason: String },
    /// A non-delivery report: our email `original_message_id` (when known) failed, and
    /// on a permanent failure resident mail stops going to `failed_recipients`.
    Bounce {
        failed_recipients: Vec<String>,
        original_message_id: Option<String>,
        permanent: bool,
    },
    /// The case a door already saved from it (idempotently, keyed by the message).
    NewCase { case_id: CaseId },
    /// The case's resident wrote: a WAITING_FOR_RESIDENT case, or one resolved less
    /// than `reopen_window` ago, goes back to IN_PROGRESS, and the handler (or the unit)
    /// is told.
    ResidentMessage {
        case_id: CaseId,
        body: String,
        reopen_window: chrono::Duration,
    },
    /// A handler's answer to the resident, as `actor` (`staff:<email>`).
    StaffReply {
        case_id: CaseId,
        actor: String,
        body: String,
    },
    /// Staff see it on the case; nobody is written to.
    InternalNote {
        case_id: CaseId,
        sender: Option<String>,
        body: String,
        why: String,
    },
}

/// What recording an inbound email did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecorded {
    pub disposition: MailDisposition,
    pub reason: Option<String>,
    pub case_id: Option<CaseId>,
    /// True when the message had been taken before: nothing was done again.
    pub duplicate: bool,
}

/// An inbound email as listed to administrators.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMailRecord {
    pub id: i64,
    pub message_key: String,
    pub source: String,
    pub from_address: Option<String>,
    pub subject: String,
    pub disposition: MailDisposition,
    pub reason: Option<String>,
    pub case_id: Option<CaseId>,
    pub size: usize,
    pub received_at: DateTime<Utc>,
}

/// How many inbound emails ended each way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailCount {
    pub disposition: MailDisposition,
    pub reason: Option<String>,
    pub count: u64,
}

impl Store {
    /// What became of the message with this key, if it was taken before.
    pub async fn inbound_mail_taken(
        &self,
        message_key: &str,
    ) -> Result<Option<MailRecorded>, StoreError> {
        let row = inbound_mail::Entity::find()
            .filter(inbound_mail::Column::MessageKey.eq(message_key))
            .one(&self.db)
            .await
            .context("looking up an inbound email")?;
        row.map(|row| recorded_from(&row, true)).transpose()
    }

    /// Does `action` and keeps the message, in one transaction. A message whose key was
    /// taken before (also by a concurrent delivery) does nothing and says so: the unique
    /// key rolls the action back. Callers about to do costly work for a message look it
    /// up first (`inbound_mail_taken`).
    pub async fn record_inbound_mail(
        &self,
        mail: &InboundMail,
        action: &MailAction,
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<MailRecorded, StoreError> {
        let txn = self.begin_write().await?;
        let (disposition, reason, case_id) =
            apply_action(&txn, self.backend(), action, max_attempts, now).await?;
        let row = inbound_mail::ActiveModel {
            message_key: Set(mail.message_key.clone()),
            source: Set(mail.source.clone()),
            from_address: Set(mail.from_address.clone()),
            subject: Set(mail.subject.chars().take(1000).collect()),
            disposition: Set(disposition.code().to_owned()),
            reason: Set(reason.clone()),
            case_id: Set(case_id.map(|id| id.0)),
            raw: Set(mail.raw.clone()),
            received_at: Set(now),
            ..Default::default()
        };
        match inbound_mail::Entity::insert(row).exec(&txn).await {
            Ok(_) => {}
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                // Another delivery of the same message won: undo ours, answer as it did.
                drop(txn);
                return self
                    .inbound_mail_taken(&mail.message_key)
                    .await?
                    .ok_or_else(|| {
                        StoreError::Corrupt("an inbound email vanished while it was taken".into())
                    });
            }
            Err(error) => {
                return Err(StoreError::Database {
                    operation: "keeping an inbound email",
                    source: error,
                });
            }
        }
        txn.commit().await.context("committing an inbound email")?;
        Ok(MailRecorded {
            disposition,
            reason,
            case_id,
            duplicate: false,
        })
    }

    /// The case a reply belongs to, by the Message-IDs it names (`In-Reply-To`, then
    /// `References` newest first): an email we sent about it, or an email that was taken
    /// onto it (a resident's follow-up to their own first message).
    pub async fn case_of_message(
        &self,
        message_ids: &[String],
    ) -> Result<Option<CaseId>, StoreError> {
        if message_ids.is_empty() {
            return Ok(None);
        }
        let sent: Vec<(String, Option<i64>)> = email::Entity::find()
            .select_only()
            .column(email::Column::MessageId)
            .column(email::Column::CaseId)
            .filter(email::Column::MessageId.is_in(message_ids.iter().cloned()))
            .into_tuple()
            .all(&self.db)
            .await
            .context("finding the email a reply answers")?;
        let keys: Vec<String> = message_ids.iter().map(|id| format!("id:{id}")).collect();
        let taken: Vec<(String, Option<i64>)> = inbound_mail::Entity::find()
            .select_only()
            .column(inbound_mail::Column::MessageKey)
            .column(inbound_mail::Column::CaseId)
            .filter(inbound_mail::Column::MessageKey.is_in(keys))
            .into_tuple()
            .all(&self.db)
            .await
            .context("finding the inbound email a reply answers")?;
        Ok(message_ids.iter().find_map(|wanted| {
            let ours = sent
                .iter()
                .find(|(id, _)| id == wanted)
                .and_then(|(_, case_id)| *case_id);
            let theirs = || {
                taken
                    .iter()
                    .find(|(key, _)| key.strip_prefix("id:") == Some(wanted.as_str()))
                    .and_then(|(_, case_id)| *case_id)
            };
            ours.or_else(theirs).map(CaseId)
        }))
    }

    /// Resident mail may go to `address` again: it wrote to us, so it receives mail.
    pub async fn lift_suppression(&self, address: &str) -> Result<bool, StoreError> {
        let removed = email_suppression::Entity::delete_by_id(address.to_lowercase())
            .exec(&self.db)
            .await
            .context("lifting an address's suppression")?;
        Ok(removed.rows_affected > 0)
    }

    /// An enabled staff account by its (lowercased) address.
    pub async fn active_staff_user(
        &self,
        address: &str,
    ) -> Result<Option<StaffUserRecord>, StoreError> {
        let Some(user) = staff_user::Entity::find()
            .filter(staff_user::Column::Email.eq(address.to_lowercase()))
            .filter(staff_user::Column::DisabledAt.is_null())
            .one(&self.db)
            .await
            .context("finding a staff account by address")?
        else {
            return Ok(None);
        };
        let mut units: Vec<String> = staff_user_unit::Entity::find()
            .select_only()
            .column(staff_user_unit::Column::UnitCode)
            .filter(staff_user_unit::Column::UserId.eq(user.id))
            .into_tuple()
            .all(&self.db)
            .await
            .context("loading a staff member's units")?;
        units.sort();
        let role = palaute_core::StaffRole::from_code(&user.role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown staff role {:?}", user.role)))?;
        Ok(Some(StaffUserRecord {
            id: user.id,
            email: user.email,
            role,
            units,
            created_at: user.created_at,
            disabled_at: user.disabled_at,
        }))
    }

    /// The tracking token of a case made from an inbound email, recovered from the
    /// seal its message's idempotency key made, for the link in its acknowledgement.
    pub async fn mailed_case_tracking_token(
        &self,
        case_id: CaseId,
    ) -> Result<Option<String>, StoreError> {
        let key: Option<String> = inbound_mail::Entity::find()
            .select_only()
            .column(inbound_mail::Column::MessageKey)
            .filter(inbound_mail::Column::CaseId.eq(case_id.0))
            .filter(inbound_mail::Column::Disposition.eq(MailDisposition::NewCase.code()))
            .into_tuple()
            .one(&self.db)
            .await
            .context("finding the email a case was made from")?;
        let Some(message_key) = key else {
            return Ok(None);
        };
        let Some(case) = case::Entity::find_by_id(case_id.0)
            .one(&self.db)
            .await
            .context("loading a mailed case")?
        else {
            return Ok(None);
        };
        let idempotency_key = palaute_core::token::mail_idempotency_key(&message_key);
        Ok(case.sealed_tracking_token.as_deref().and_then(|sealed| {
            palaute_core::token::unseal_with_key(sealed, &idempotency_key, &case.reference)
        }))
    }

    /// True when resident mail no longer goes to `address` (it bounced for good).
    pub async fn is_suppressed(&self, address: &str) -> Result<bool, StoreError> {
        Ok(
            email_suppression::Entity::find_by_id(address.to_lowercase())
                .one(&self.db)
                .await
                .context("checking an address for bounces")?
                .is_some(),
        )
    }

    /// Inbound emails with `disposition` (all when `None`), newest first, before `before_id`.
    pub async fn inbound_mail(
        &self,
        disposition: Option<MailDisposition>,
        before_id: Option<i64>,
        limit: u64,
    ) -> Result<Vec<InboundMailRecord>, StoreError> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            message_key: String,
            source: String,
            from_address: Option<String>,
            subject: String,
            disposition: String,
            reason: Option<String>,
            case_id: Option<i64>,
            received_at: DateTime<Utc>,
            size: i64,
        }
        let mut query = inbound_mail::Entity::find()
            .select_only()
            .columns([
                inbound_mail::Column::Id,
                inbound_mail::Column::MessageKey,
                inbound_mail::Column::Source,
                inbound_mail::Column::FromAddress,
                inbound_mail::Column::Subject,
                inbound_mail::Column::Disposition,
                inbound_mail::Column::Reason,
                inbound_mail::Column::CaseId,
                inbound_mail::Column::ReceivedAt,
            ])
            // The length, not the bytes: a message may be megabytes.
            .column_as(
                // PostgreSQL's length() is an int4; both backends read a bigint.
                SimpleExpr::from(Func::cast_as(
                    Func::cust("length").arg(Expr::col(inbound_mail::Column::Raw)),
                    Alias::new("bigint"),
                )),
                "size",
            )
            .order_by_desc(inbound_mail::Column::Id)
            .limit(limit);
        if let Some(disposition) = disposition {
            query = query.filter(inbound_mail::Column::Disposition.eq(disposition.code()));
        }
        if let Some(before) = before_id {
            query = query.filter(inbound_mail::Column::Id.lt(before));
        }
        let rows = query
            .into_model::<Row>()
            .all(&self.db)
            .await
            .context("listing inbound emails")?;
        rows.into_iter()
            .map(|row| {
                Ok(InboundMailRecord {
                    disposition: parse_disposition(&row.disposition)?,
                    size: usize::try_from(row.size).unwrap_or(0),
                    id: row.id,
                    message_key: row.message_key,
                    source: row.source,
                    from_address: row.from_address,
                    subject: row.subject,
                    reason: row.reason,
                    case_id: row.case_id.map(CaseId),
                    received_at: row.received_at,
                })
            })
            .collect()
    }

    /// The message as it arrived, byte for byte.
    pub async fn inbound_mail_raw(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(inbound_mail::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .context("loading an inbound email")?
            .map(|row| row.raw))
    }

    /// How many inbound emails ended each way (and, set aside, for which reason).
    pub async fn inbound_mail_counts(&self) -> Result<Vec<MailCount>, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> = inbound_mail::Entity::find()
            .select_only()
            .column(inbound_mail::Column::Disposition)
            .column(inbound_mail::Column::Reason)
            .column_as(inbound_mail::Column::Id.count(), "count")
            .group_by(inbound_mail::Column::Disposition)
            .group_by(inbound_mail::Column::Reason)
            .order_by_asc(inbound_mail::Column::Disposition)
            .order_by_asc(inbound_mail::Column::Reason)
            .into_tuple()
            .all(&self.db)
            .await
            .context("counting inbound emails")?;
        rows.into_iter()
            .map(|(disposition, reason, count)| {
                Ok(MailCount {
                    disposition: parse_disposition(&disposition)?,
                    reason,
                    count: u64::try_from(count).unwrap_or(0),
                })
            })
            .collect()
    }

    /// How many inbound emails are kept in all.
    pub async fn inbound_mail_total(&self) -> Result<u64, StoreError> {
        inbound_mail::Entity::find()
            .count(&self.db)
            .await
            .context("counting inbound emails")
    }
}

fn parse_disposition(code: &str) -> Result<MailDisposition, StoreError> {
    MailDisposition::from_code(code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown inbound mail disposition {code:?}")))
}

fn recorded_from(row: &inbound_mail::Model, duplicate: bool) -> Result<MailRecorded, StoreError> {
    Ok(MailRecorded {
        disposition: parse_disposition(&row.disposition)?,
        reason: row.reason.clone(),
        case_id: row.case_id.map(CaseId),
        duplicate,
    })
}

type Applied = (MailDisposition, Option<String>, Option<CaseId>);

/// The case a message was for no longer exists (it was deleted meanwhile): kept, set aside.
fn case_gone() -> Applied {
    (
        MailDisposition::SetAside,
        Some("case_not_found".to_owned()),
        None,
    )
}

async fn apply_action(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    action: &MailAction,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Applied, StoreError> {
    match action {
        MailAction::SetAside { reason } => {
            Ok((MailDisposition::SetAside, Some(reason.clone()), None))
        }
        MailAction::NewCase { case_id } => Ok((MailDisposition::NewCase, None, Some(*case_id))),
        MailAction::Bounce {
            failed_recipients,
            original_message_id,
            permanent,
        } => {
            let case_id = record_bounce(
                txn,
                failed_recipients,
                original_message_id.as_deref(),
                *permanent,
                now,
            )
            .await?;
            Ok((
                MailDisposition::SetAside,
                Some("bounce".to_owned()),
                case_id,
            ))
        }
        MailAction::ResidentMessage {
            case_id,
            body,
            reopen_window,
        } => {
            let message = ResidentMessage {
                body,
                reopen_window: *reopen_window,
            };
            match add_resident_message(txn, backend, *case_id, &message, max_attempts, now).await? {
                Some(case_id) => Ok((MailDisposition::ResidentMessage, None, Some(case_id))),
                None => Ok(case_gone()),
            }
        }
        MailAction::StaffReply {
            case_id,
            actor,
            body,
        } => {
            let Some(current) = lock_case(txn, backend, *case_id).await? else {
                return Ok(case_gone());
            };
            let status = parse_status(&current.status)?;
            if let Err(refused) = StaffAction::Reply.check(status) {
                // Kept where staff see it rather than lost: say why it was not sent.
                let why = format!("not sent to the resident: {refused}");
                add_note(txn, current.id, actor, body, &why, now).await?;
                return Ok((MailDisposition::InternalNote, Some(why), Some(*case_id)));
            }
            let edit = CaseEdit {
                case_id: *case_id,
                version: current.version,
                actor: actor.clone(),
                change: Change::Reply {
                    body: body.clone(),
                    then: None,
                },
            };
            match apply_edit(txn, backend, &edit, max_attempts, now).await? {
                Edited::Applied(_) => Ok((MailDisposition::StaffReply, None, Some(*case_id))),
                Edited::NotFound => Ok(case_gone()),
                Edited::Conflict { .. } | Edited::Refused(_) => Err(StoreError::Corrupt(
                    "a locked case refused a checked reply".into(),
                )),
            }
        }
        MailAction::InternalNote {
            case_id,
            sender,
            body,
            why,
        } => {
            let Some(current) = lock_case(txn, backend, *case_id).await? else {
                return Ok(case_gone());
            };
            let actor = format!("email:{}", sender.as_deref().unwrap_or("unknown sender"));
            add_note(txn, current.id, &actor, body, why, now).await?;
            bump_version(txn, &current, None, now).await?;
            Ok((
                MailDisposition::InternalNote,
                Some(why.clone()),
                Some(*case_id),
            ))
        }
    }
}

async fn add_note(
    txn: &DatabaseTransaction,
    case_id: i64,
    actor: &str,
    body: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    insert_event(
        txn,
        case_id,
        "internal_note",
        actor,
        json!({ "note": body, "channel": "email", "why": why }),
        now,
    )
    .await
}

/// A new version of the case (and, with `status`, a new status), so that open staff
/// views see that something changed.
async fn bump_version(
    txn: &DatabaseTransaction,
    current: &case::Model,
    status: Option<CaseStatus>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut update = case::Entity::update_many()
        .col_expr(case::Column::Version, Expr::value(current.version + 1))
        .col_expr(case::Column::UpdatedAt, Expr::value(now));
    if let Some(status) = status {
        update = update.col_expr(case::Column::Status, Expr::value(status.code()));
    }
    update
        .filter(case::Column::Id.eq(current.id))
        .exec(txn)
        .await
        .context("updating a case for an inbound email")?;
    Ok(())
}

struct ResidentMessage<'a> {
    body: &'a str,
    reopen_window: chrono::Duration,
}

/// The resident's message on their case. A case waiting for them, or resolved within
/// the reopen window, is worked on again. On a duplicate merged into another case the
/// message goes to the surviving case, marked as from the duplicate's resident (who is
/// not that case's resident) and without moving it.
async fn add_resident_message(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    case_id: CaseId,
    message: &ResidentMessage<'_>,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Option<CaseId>, StoreError> {
    let Some(mut current) = lock_case(txn, backend, case_id).await? else {
        return Ok(None);
    };
    let mut merged_from = None;
    if let Some(target) = current.merged_into_id {
        let Some(survivor) = lock_case(txn, backend, CaseId(target)).await? else {
            return Ok(None);
        };
        merged_from = Some(current.reference.clone());
        current = survivor;
    }
    let status = parse_status(&current.status)?;
    let resolved_recently = status == CaseStatus::Resolved
        && now - current.resolved_at.unwrap_or(current.updated_at) <= message.reopen_window;
    let after = (merged_from.is_none()
        && (status == CaseStatus::WaitingForResident || resolved_recently))
        .then_some(CaseStatus::InProgress);
    let mut detail = json!({ "note": message.body, "channel": "email" });
    if let Some(object) = detail.as_object_mut() {
        if let Some(after) = after {
            object.insert("before".into(), json!({ "status": status.code() }));
            object.insert("after".into(), json!({ "status": after.code() }));
        }
        if let Some(reference) = &merged_from {
            object.insert("merged_from".into(), json!(reference));
        }
    }
    let actor = match &merged_from {
        Some(reference) => format!("resident:{reference}"),
        None => "resident".to_owned(),
    };
    let event_id = insert_event(txn, current.id, "resident_message", &actor, detail, now).await?;
    bump_version(txn, &current, after, now).await?;
    if after.is_some() && status == CaseStatus::Resolved {
        case::Entity::update_many()
            .col_expr(case::Column::ResolvedAt, Expr::value(None::<DateTime<Utc>>))
            .filter(case::Column::Id.eq(current.id))
            .exec(txn)
            .await
            .context("reopening a case for the resident's email")?;
    }
    enqueue_job(
        txn,
        JobKind::NotifyResidentMessage,
        json!({ "case_id": current.id, "event_id": event_id }),
        Some(current.id),
        max_attempts,
        now,
    )
    .await?;
    mark_for_indexing(txn, current.id, now).await?;
    Ok(Some(CaseId(current.id)))
}

/// Marks the bounced email failed (with a timeline event on its case) and, for a
/// permanent failure, stops resident mail to its address. Only a bounce of an email we
/// sent counts, and only for the address we sent it to: a forged report naming other
/// addresses suppresses nothing. Returns the case.
async fn record_bounce(
    txn: &DatabaseTransaction,
    failed_recipients: &[String],
    original_message_id: Option<&str>,
    permanent: bool,
    now: DateTime<Utc>,
) -> Result<Option<CaseId>, StoreError> {
    let Some(message_id) = original_message_id else {
        return Ok(None);
    };
    let Some(sent) = email::Entity::find()
        .filter(email::Column::MessageId.eq(message_id))
        .one(txn)
        .await
        .context("finding a bounced email")?
    else {
        return Ok(None);
    };
    let sent_to = bare_address(&sent.to_address);
    let names_our_recipient = failed_recipients.is_empty()
        || failed_recipients
            .iter()
            .any(|failed| Some(failed.to_lowercase()) == sent_to);
    if !names_our_recipient {
        return Ok(None);
    }
    let error = format!(
        "bounced{}: {}",
        if permanent { "" } else { " (temporary)" },
        sent.to_address
    );
    let mut update =
        email::Entity::update_many().col_expr(email::Column::LastError, Expr::value(error.clone()));
    if permanent {
        update = update.col_expr(
            email::Column::Status,
            Expr::value(EmailStatus::Failed.code()),
        );
    }
    update
        .filter(email::Column::Id.eq(sent.id))
        .exec(txn)
        .await
        .context("marking a bounced email")?;
    let mut case_id = None;
    if let Some(id) = sent.case_id {
        insert_event(
            txn,
            id,
            "email_bounced",
            "system",
            json!({ "note": error, "kind": sent.kind, "to": sent.to_address, "permanent": permanent }),
            now,
        )
        .await?;
        case_id = Some(CaseId(id));
    }
    if permanent && let Some(address) = sent_to {
        let row = email_suppression::ActiveModel {
            address: Set(address),
            reason: Set(format!("bounced <{message_id}>")),
            created_at: Set(now),
        };
        email_suppression::Entity::insert(row)
            .on_conflict(
                OnConflict::column(email_suppression::Column::Address)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await
            .context("suppressing a bounced address")?;
    }
    Ok(case_id)
}
