//! Staff working a case: status changes, assignment, internal notes, replies to the
//! resident and returning a case to triage. Each edit names the case version it was
//! made against; the row is locked, the version and the workflow's rules
//! (`palaute_core::workflow`) are checked, and the change, its timeline event (with
//! before and after), its jobs and its index entry are written in one transaction.

use chrono::{DateTime, Utc};
use palaute_core::workflow::{ActionError, StaffAction, Tag, settable_by_staff};
use palaute_core::{CaseId, CaseStatus, StaffRole};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde_json::{Value, json};

use crate::cases::{CaseRecord, insert_event};
use crate::db::Store;
use crate::entity::{case, case_contact, case_tag, staff_user, staff_user_unit};
use crate::error::{DbContext, StoreError};
use crate::jobs::{JobKind, enqueue_job};
use crate::reassignment::{Reassigned, Reassignment, apply_reassignment};
use crate::search_queue::mark_for_indexing;

/// One staff edit of one case.
#[derive(Debug, Clone)]
pub struct CaseEdit {
    pub case_id: CaseId,
    /// The version the editor saw; another version means someone changed it since.
    pub version: i64,
    /// Who made it, for the timeline: a real person (`staff:<email>`).
    pub actor: String,
    pub change: Change,
}

#[derive(Debug, Clone)]
pub enum Change {
    SetStatus {
        status: CaseStatus,
        note: Option<String>,
    },
    /// To a staff user by email, or nobody.
    Assign {
        assignee_email: Option<String>,
    },
    /// Seen by staff only, never by the resident.
    Note {
        body: String,
    },
    /// Shown on the tracking page and emailed when the resident left an address;
    /// `then` moves the case on in the same step (e.g. to RESOLVED or WAITING).
    Reply {
        body: String,
        then: Option<CaseStatus>,
    },
    /// "Not ours": back to the triage unit with the reason, unassigned.
    ReturnToTriage {
        triage_unit: String,
        reason: String,
    },
    Tag {
        add: Vec<Tag>,
        remove: Vec<Tag>,
    },
    /// Not the city's matter: sent to an outside body (by its code in the
    /// organisation) and closed here; the body and the resident are emailed.
    Forward {
        body_code: String,
        note: Option<String>,
    },
    /// To another unit (triage's and administrators' decision; see `Reassignment`).
    Reassign {
        unit_code: String,
        category_code: Option<String>,
        note: Option<String>,
    },
}

impl Change {
    fn action(&self) -> StaffAction {
        match self {
            Change::SetStatus { .. } => StaffAction::SetStatus,
            Change::Assign { .. } => StaffAction::Assign,
            Change::Note { .. } => StaffAction::Note,
            Change::Reply { .. } => StaffAction::Reply,
            Change::ReturnToTriage { .. } => StaffAction::ReturnToTriage,
            Change::Tag { .. } => StaffAction::Tag,
            Change::Reassign { .. } => StaffAction::Reassign,
            Change::Forward { .. } => StaffAction::Forward,
        }
    }
}

/// What became of a list of edits made together.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkEdited {
    /// Every edit was applied, in order.
    Applied(Vec<CaseRecord>),
    /// The edit at `index` was not applied, so none was.
    Failed { index: usize, outcome: Edited },
}

/// What became of an edit.
#[derive(Debug, Clone, PartialEq)]
pub enum Edited {
    Applied(Box<CaseRecord>),
    /// The case changed since the editor loaded it.
    Conflict {
        current_version: i64,
    },
    /// The workflow does not allow it; nothing was changed.
    Refused(ActionError),
    NotFound,
}

/// The case's fields an edit may change, as the timeline's before and after show them.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    status: CaseStatus,
    unit_code: Option<String>,
    assignee: Option<String>,
}

impl Snapshot {
    fn to_json(&self) -> Value {
        json!({
            "status": self.status.code(),
            "unit": self.unit_code,
            "assignee": self.assignee,
        })
    }
}

impl Store {
    /// Applies one staff edit; see the module documentation.
    pub async fn edit_case(
        &self,
        edit: &CaseEdit,
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Edited, StoreError> {
        let txn = self.begin_write().await?;
        let edited = apply_edit(&txn, self.backend(), edit, max_attempts, now).await?;
        if matches!(edited, Edited::Applied(_)) {
            txn.commit().await.context("committing a case change")?;
        }
        Ok(edited)
    }

    /// Applies every edit in one transaction: all of them, or (at the first that is
    /// refused, stale or not found) none.
    pub async fn edit_cases(
        &self,
        edits: &[CaseEdit],
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<BulkEdited, StoreError> {
        let txn = self.begin_write().await?;
        let mut changed = Vec::with_capacity(edits.len());
        for (index, edit) in edits.iter().enumerate() {
            match apply_edit(&txn, self.backend(), edit, max_attempts, now).await? {
                Edited::Applied(case) => changed.push(*case),
                outcome => return Ok(BulkEdited::Failed { index, outcome }),
            }
        }
        txn.commit().await.context("committing a bulk change")?;
        Ok(BulkEdited::Applied(changed))
    }
}

/// Checks and applies one edit of the workflow's own kinds inside `txn`.
pub(crate) async fn apply_edit(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    edit: &CaseEdit,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Edited, StoreError> {
    let Some(current) = lock_case(txn, backend, edit.case_id).await? else {
        return Ok(Edited::NotFound);
    };
    if current.version != edit.version {
        return Ok(Edited::Conflict {
            current_version: current.version,
        });
    }
    let status = crate::cases::parse_status(&current.status)?;
    if let Err(refused) = edit.change.action().check(status) {
        return Ok(Edited::Refused(refused));
    }
    let before = Snapshot {
        status,
        unit_code: current.unit_code.clone(),
        assignee: assignee_email(txn, current.assignee_id).await?,
    };
    let mut after = before.clone();
    let mut assignee_id = current.assignee_id;
    let mut update = case::Entity::update_many();
    let mut tags_note = None;
    let mut forwarded_to = None;
    let (kind, note) = match &edit.change {
        Change::SetStatus { status: to, note } => {
            if !settable_by_staff(*to) {
                return Ok(Edited::Refused(ActionError::Other(format!(
                    "{} is set by routing and triage, not by setCaseStatus",
                    to.graphql_name()
                ))));
            }
            if let Err(refused) = status.check_move(*to) {
                return Ok(Edited::Refused(refused.into()));
            }
            after.status = *to;
            ("status_changed", note.clone())
        }
        Change::Assign {
            assignee_email: email,
        } => {
            let assignee = match email {
                None => None,
                Some(email) => {
                    match eligible_assignee(txn, email, current.unit_code.as_deref()).await? {
                        Ok(user) => Some(user),
                        Err(refused) => return Ok(Edited::Refused(refused)),
                    }
                }
            };
            assignee_id = assignee.as_ref().map(|user| user.id);
            after.assignee = assignee.map(|user| user.email);
            if after.assignee.is_some() && status == CaseStatus::Routed {
                // Someone took it: it is being worked on.
                after.status = CaseStatus::InProgress;
            }
            ("assigned", None)
        }
        Change::Note { body } => ("internal_note", Some(body.clone())),
        Change::Forward { body_code, note } => {
            if let Err(refused) = status.check_move(CaseStatus::Closed) {
                return Ok(Edited::Refused(refused.into()));
            }
            after.status = CaseStatus::Closed;
            after.assignee = None;
            assignee_id = None;
            forwarded_to = Some(body_code.clone());
            ("forwarded", note.clone())
        }
        Change::Tag { add, remove } => {
            let (added, removed) = retag(txn, current.id, add, remove).await?;
            if added.is_empty() && removed.is_empty() {
                return Ok(Edited::Applied(Box::new(CaseRecord::try_from(current)?)));
            }
            tags_note = Some(json!({ "added": added, "removed": removed }));
            ("tagged", None)
        }
        Change::Reassign { .. } => {
            return reassign_within(txn, backend, edit, max_attempts, now).await;
        }
        Change::Reply { body, then } => {
            if let Some(to) = then {
                if !settable_by_staff(*to) {
                    return Ok(Edited::Refused(ActionError::Other(format!(
                        "a reply can move a case on to IN_PROGRESS, WAITING_FOR_RESIDENT, RESOLVED or CLOSED, not {}",
                        to.graphql_name()
                    ))));
                }
                if *to != status
                    && let Err(refused) = status.check_move(*to)
                {
                    return Ok(Edited::Refused(refused.into()));
                }
                after.status = *to;
            }
            if current.first_replied_at.is_none() {
                update = update.col_expr(case::Column::FirstRepliedAt, Expr::value(now));
            }
            ("replied", Some(body.clone()))
        }
        Change::ReturnToTriage {
            triage_unit,
            reason,
        } => {
            if let Err(refused) = status.check_move(CaseStatus::NeedsTriage) {
                return Ok(Edited::Refused(refused.into()));
            }
            if current.unit_code.as_deref() == Some(triage_unit.as_str()) {
                return Ok(Edited::Refused(ActionError::Other(
                    "the case is already with the triage unit".into(),
                )));
            }
            after.status = CaseStatus::NeedsTriage;
            after.unit_code = Some(triage_unit.clone());
            after.assignee = None;
            assignee_id = None;
            update = update
                .col_expr(case::Column::UnitCode, Expr::value(triage_unit.clone()))
                .col_expr(
                    case::Column::RoutingReason,
                    Expr::value(format!("returned to triage by {}: {reason}", edit.actor)),
                );
            ("returned_to_triage", Some(reason.clone()))
        }
    };
    if after.status != before.status {
        update = update.col_expr(case::Column::Status, Expr::value(after.status.code()));
        let resolved_at = (after.status == CaseStatus::Resolved).then_some(now);
        if after.status == CaseStatus::Resolved || !after.status.is_finished() {
            update = update.col_expr(case::Column::ResolvedAt, Expr::value(resolved_at));
        }
    }
    let new_version = current.version + 1;
    update
        .col_expr(case::Column::AssigneeId, Expr::value(assignee_id))
        .col_expr(case::Column::Version, Expr::value(new_version))
        .col_expr(case::Column::UpdatedAt, Expr::value(now))
        .filter(case::Column::Id.eq(current.id))
        .exec(txn)
        .await
        .context("changing a case")?;
    let kind = if before.status.is_finished() && !after.status.is_finished() {
        "reopened"
    } else {
        kind
    };
    let mut detail = json!({ "before": before.to_json(), "after": after.to_json() });
    if let Some(object) = detail.as_object_mut() {
        if let Some(note) = note {
            object.insert("note".into(), Value::String(note));
        }
        if let Some(tags) = tags_note {
            object.insert("tags".into(), tags);
        }
        if let (Some(code), Some(Value::Object(after))) = (forwarded_to, object.get_mut("after")) {
            after.insert("forwarded_to".into(), Value::String(code));
        }
    }
    let event_id = insert_event(txn, current.id, kind, &edit.actor, detail, now).await?;
    queue_follow_ups(txn, &edit.change, current.id, event_id, max_attempts, now).await?;
    if before != after || matches!(edit.change, Change::Tag { .. }) {
        mark_for_indexing(txn, current.id, now).await?;
    }
    let changed = case::Entity::find_by_id(current.id)
        .one(txn)
        .await
        .context("reading back a changed case")?
        .ok_or_else(|| StoreError::Corrupt("a case vanished while it was changed".into()))?;
    Ok(Edited::Applied(Box::new(CaseRecord::try_from(changed)?)))
}

/// A reassignment made as one of a list of edits.
async fn reassign_within(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    edit: &CaseEdit,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Edited, StoreError> {
    let Change::Reassign {
        unit_code,
        category_code,
        note,
    } = &edit.change
    else {
        return Ok(Edited::NotFound);
    };
    {
        let reassignment = Reassignment {
            case_id: edit.case_id,
            version: edit.version,
            unit_code: unit_code.clone(),
            category_code: category_code.clone(),
            actor: edit.actor.clone(),
            note: note.clone(),
        };
        match apply_reassignment(txn, backend, &reassignment, max_attempts, now).await? {
            Reassigned::Moved { .. } | Reassigned::Unchanged => {
                let case = reload_case(txn, edit.case_id).await?;
                Ok(Edited::Applied(Box::new(case)))
            }
            Reassigned::Conflict { current_version } => Ok(Edited::Conflict { current_version }),
            Reassigned::Refused(refused) => Ok(Edited::Refused(refused)),
            Reassigned::NotFound => Ok(Edited::NotFound),
        }
    }
}

/// The jobs an edit causes: the reply's email, the triage unit's notification.
async fn queue_follow_ups(
    txn: &DatabaseTransaction,
    change: &Change,
    case_id: i64,
    event_id: i64,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let job = match change {
        Change::Reply { .. } => {
            let has_email = case_contact::Entity::find_by_id(case_id)
                .one(txn)
                .await
                .context("checking the resident's address")?
                .is_some_and(|contact| contact.email.is_some());
            has_email.then_some(JobKind::SendReply)
        }
        Change::ReturnToTriage { .. } => Some(JobKind::NotifyUnit),
        Change::Forward { .. } => Some(JobKind::ForwardCase),
        Change::SetStatus { .. }
        | Change::Assign { .. }
        | Change::Note { .. }
        | Change::Tag { .. }
        | Change::Reassign { .. } => None,
    };
    if let Some(kind) = job {
        enqueue_job(
            txn,
            kind,
            json!({ "case_id": case_id, "event_id": event_id }),
            Some(case_id),
            max_attempts,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Adds and removes tags; returns those actually added and removed.
async fn retag(
    txn: &DatabaseTransaction,
    case_id: i64,
    add: &[Tag],
    remove: &[Tag],
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let existing: Vec<String> = case_tag::Entity::find()
        .select_only()
        .column(case_tag::Column::Tag)
        .filter(case_tag::Column::CaseId.eq(case_id))
        .into_tuple()
        .all(txn)
        .await
        .context("loading a case's tags")?;
    let mut added = Vec::new();
    for tag in add {
        let tag = tag.as_str().to_owned();
        if existing.contains(&tag) || added.contains(&tag) {
            continue;
        }
        case_tag::Entity::insert(case_tag::ActiveModel {
            case_id: Set(case_id),
            tag: Set(tag.clone()),
        })
        .exec(txn)
        .await
        .context("tagging a case")?;
        added.push(tag);
    }
    let removed: Vec<String> = remove
        .iter()
        .map(|tag| tag.as_str().to_owned())
        .filter(|tag| existing.contains(tag) && !added.contains(tag))
        .collect();
    if !removed.is_empty() {
        case_tag::Entity::delete_many()
            .filter(case_tag::Column::CaseId.eq(case_id))
            .filter(case_tag::Column::Tag.is_in(removed.clone()))
            .exec(txn)
            .await
            .context("removing tags")?;
    }
    Ok((added, removed))
}

/// A case as it stands inside `txn`, after a change.
pub(crate) async fn reload_case(
    txn: &DatabaseTransaction,
    case_id: CaseId,
) -> Result<CaseRecord, StoreError> {
    let row = case::Entity::find_by_id(case_id.0)
        .one(txn)
        .await
        .context("reading back a changed case")?
        .ok_or_else(|| StoreError::Corrupt("a case vanished while it was changed".into()))?;
    CaseRecord::try_from(row)
}

/// Loads a case for a change, holding its row until the transaction ends.
pub(crate) async fn lock_case(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    case_id: CaseId,
) -> Result<Option<case::Model>, StoreError> {
    let mut query = case::Entity::find_by_id(case_id.0);
    if backend == DbBackend::Postgres {
        // SQLite's BEGIN IMMEDIATE already holds the write lock.
        query = query.lock_exclusive();
    }
    query.one(txn).await.context("loading a case to change")
}

async fn assignee_email(
    txn: &DatabaseTransaction,
    assignee_id: Option<i64>,
) -> Result<Option<String>, StoreError> {
    let Some(id) = assignee_id else {
        return Ok(None);
    };
    Ok(staff_user::Entity::find_by_id(id)
        .one(txn)
        .await
        .context("loading the assignee")?
        .map(|user| user.email))
}

/// The active staff user `email`, if a case of `unit` may be assigned to them: a
/// handler of that unit, or triage and administrators, who work every unit.
async fn eligible_assignee(
    txn: &DatabaseTransaction,
    email: &str,
    unit: Option<&str>,
) -> Result<Result<staff_user::Model, ActionError>, StoreError> {
    let email = email.trim().to_lowercase();
    let user = staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email.clone()))
        .filter(staff_user::Column::DisabledAt.is_null())
        .one(txn)
        .await
        .context("loading a staff user to assign")?;
    let Some(user) = user else {
        return Ok(Err(ActionError::Other(format!(
            "no active staff user {email}"
        ))));
    };
    if user.role != StaffRole::Handler.code() {
        return Ok(Ok(user));
    }
    let works_there = match unit {
        None => false,
        Some(unit) => staff_user_unit::Entity::find()
            .filter(staff_user_unit::Column::UserId.eq(user.id))
            .filter(staff_user_unit::Column::UnitCode.eq(unit))
            .one(txn)
            .await
            .context("checking a handler's units")?
            .is_some(),
    };
    if works_there {
        Ok(Ok(user))
    } else {
        Ok(Err(ActionError::Other(format!(
            "{email} is not a handler of unit {}",
            unit.unwrap_or("(none)")
        ))))
    }
}
