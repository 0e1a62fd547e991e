//! Case deadlines: the due times a case gets when it is routed (or moved), the
//! warnings and breaches that have come due, and recording each notice exactly once.
//!
//! Invariant: a notice's row in `case_deadline_notices`, its timeline event and its
//! outbox email are one transaction, and the row is unique per case, deadline, kind and
//! due time; a second worker, or a check repeated after a crash, finds the row and
//! sends nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use palaute_core::deadlines::DueTimes;
use palaute_core::{CaseId, CaseStatus};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::cases::{CaseRecord, NewEmail, insert_event, queue_emails};
use crate::db::Store;
use crate::entity::{case, case_deadline_notice as notice, staff_user};
use crate::error::{DbContext, StoreError};
use crate::workflow::lock_case;

palaute_core::coded_enum!(
    /// The two promises a case carries.
    Deadline {
        /// Staff's first reply to the resident (met once `first_replied_at` is set).
        FirstReply => "first_reply",
        /// The case resolved (met once it is RESOLVED or CLOSED).
        Resolution => "resolution",
    }
);

palaute_core::coded_enum!(
    /// What a notice says about a deadline.
    NoticeKind {
        /// The deadline is near: sent to the assigned handler, else the unit mailbox.
        Warning => "warning",
        /// The deadline passed: sent to the unit lead, else the unit mailbox.
        Breach => "breach",
    }
);

impl NoticeKind {
    /// The timeline event that records a notice of this kind.
    pub fn event_kind(self) -> &'static str {
        match self {
            NoticeKind::Warning => "deadline_warning",
            NoticeKind::Breach => "deadline_breached",
        }
    }
}

/// A warning or breach that has come due and was not sent yet.
#[derive(Debug, Clone)]
pub struct DueNotice {
    pub case: CaseRecord,
    pub deadline: Deadline,
    pub kind: NoticeKind,
    pub due_at: DateTime<Utc>,
    /// The assigned handler's address, when the case has one whose account is enabled.
    pub assignee_email: Option<String>,
}

/// A notice to record: its timeline event names `recipient`, and `email` goes to the
/// outbox with it.
#[derive(Debug, Clone)]
pub struct DeadlineNotice {
    pub case_id: CaseId,
    pub deadline: Deadline,
    pub kind: NoticeKind,
    pub due_at: DateTime<Utc>,
    pub recipient: String,
    pub email: NewEmail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeRecorded {
    Recorded {
        event_id: i64,
    },
    /// Another check recorded this notice first.
    AlreadySent,
    /// The case changed since it was found: answered, finished, or its deadline moved.
    NoLongerDue,
}

/// Statuses in which no deadline runs any more.
const FINISHED: [CaseStatus; 2] = [CaseStatus::Resolved, CaseStatus::Closed];

impl Store {
    /// The warnings and breaches due at `now` that no notice covers yet, at most
    /// `limit` of each deadline and kind. A deadline already passed gets only its
    /// breach: a warning after the fact would be noise.
    pub async fn due_deadline_notices(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<DueNotice>, StoreError> {
        let mut found = Vec::new();
        for deadline in Deadline::ALL {
            for kind in NoticeKind::ALL {
                let rows = case::Entity::find()
                    .filter(due_condition(*deadline, *kind, now))
                    .order_by_asc(case::Column::Id)
                    .limit(limit)
                    .all(&self.db)
                    .await
                    .context("finding deadlines that have come due")?;
                for row in rows {
                    let due_at = due_column(*deadline, &row).ok_or_else(|| {
                        StoreError::Corrupt(format!("case {} lost its due time", row.id))
                    })?;
                    found.push(DueNotice {
                        case: CaseRecord::try_from(row)?,
                        deadline: *deadline,
                        kind: *kind,
                        due_at,
                        assignee_email: None,
                    });
                }
            }
        }
        let assignees = self
            .enabled_staff_emails(found.iter().filter_map(|due| due.case.assignee_id))
            .await?;
        for due in &mut found {
            due.assignee_email = due
                .case
                .assignee_id
                .and_then(|id| assignees.get(&id).cloned());
        }
        Ok(found)
    }

    /// Records a notice, its timeline event (actor `system`) and its email with the
    /// delivery job, in one transaction; nothing when the notice was recorded before or
    /// the case no longer has this deadline pending.
    pub async fn record_deadline_notice(
        &self,
        notice: &DeadlineNotice,
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<NoticeRecorded, StoreError> {
        let txn = self.begin_write().await?;
        let Some(current) = lock_case(&txn, self.backend(), notice.case_id).await? else {
            return Ok(NoticeRecorded::NoLongerDue);
        };
        if !still_pending(&current, notice.deadline, notice.due_at) {
            return Ok(NoticeRecorded::NoLongerDue);
        }
        let event_id = insert_event(
            &txn,
            current.id,
            notice.kind.event_kind(),
            "system",
            json!({
                "deadline": notice.deadline.code(),
                "due_at": notice.due_at.to_rfc3339(),
                "notified": notice.recipient,
            }),
            now,
        )
        .await?;
        if !claim_notice(&txn, notice, event_id, now).await? {
            txn.rollback().await.context("rolling back")?;
            return Ok(NoticeRecorded::AlreadySent);
        }
        queue_emails(
            &txn,
            notice.case_id,
            std::slice::from_ref(&notice.email),
            max_attempts,
            now,
        )
        .await?;
        txn.commit().await.context("committing a deadline notice")?;
        Ok(NoticeRecorded::Recorded { event_id })
    }

    /// Sets a case's due times, if it is still with `unit_code` and `category_code`
    /// (the due times were computed for them): a case moved again meanwhile keeps
    /// the due times its newer move gives it. Returns whether they were set.
    pub async fn set_due_times(
        &self,
        case_id: CaseId,
        unit_code: &str,
        category_code: Option<&str>,
        due: &DueTimes,
    ) -> Result<bool, StoreError> {
        let category = match category_code {
            Some(code) => case::Column::CategoryCode.eq(code),
            None => case::Column::CategoryCode.is_null(),
        };
        let updated = due_time_update(due)
            .filter(case::Column::Id.eq(case_id.0))
            .filter(case::Column::UnitCode.eq(unit_code))
            .filter(category)
            .exec(&self.db)
            .await
            .context("setting a case's due times")?;
        Ok(updated.rows_affected > 0)
    }

    /// The addresses of the enabled accounts among `ids`.
    async fn enabled_staff_emails(
        &self,
        ids: impl Iterator<Item = i64>,
    ) -> Result<HashMap<i64, String>, StoreError> {
        let mut ids: Vec<i64> = ids.collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, String)> = staff_user::Entity::find()
            .select_only()
            .column(staff_user::Column::Id)
            .column(staff_user::Column::Email)
            .filter(staff_user::Column::Id.is_in(ids))
            .filter(staff_user::Column::DisabledAt.is_null())
            .into_tuple()
            .all(&self.db)
            .await
            .context("loading assignees' addresses")?;
        Ok(rows.into_iter().collect())
    }
}

/// Writes due times in the routing transaction; `None` leaves them as they are.
pub(crate) async fn write_due_times(
    txn: &DatabaseTransaction,
    case_id: CaseId,
    due: Option<&DueTimes>,
) -> Result<(), StoreError> {
    let Some(due) = due else {
        return Ok(());
    };
    due_time_update(due)
        .filter(case::Column::Id.eq(case_id.0))
        .exec(txn)
        .await
        .context("setting a case's due times")?;
    Ok(())
}

fn due_time_update(due: &DueTimes) -> sea_orm::UpdateMany<case::Entity> {
    case::Entity::update_many()
        .col_expr(
            case::Column::FirstReplyDueAt,
            Expr::value(due.first_reply_due_at),
        )
        .col_expr(
            case::Column::FirstReplyWarningAt,
            Expr::value(due.first_reply_warning_at),
        )
        .col_expr(case::Column::DueAt, Expr::value(due.due_at))
        .col_expr(case::Column::DueWarningAt, Expr::value(due.due_warning_at))
}

/// Cases whose `deadline` has a `kind` notice due at `now` and none recorded for it.
fn due_condition(deadline: Deadline, kind: NoticeKind, now: DateTime<Utc>) -> Condition {
    let (due, warning) = match deadline {
        Deadline::FirstReply => (
            case::Column::FirstReplyDueAt,
            case::Column::FirstReplyWarningAt,
        ),
        Deadline::Resolution => (case::Column::DueAt, case::Column::DueWarningAt),
    };
    let mut condition = Condition::all()
        .add(case::Column::Status.is_not_in(FINISHED.iter().map(|status| status.code())));
    if deadline == Deadline::FirstReply {
        condition = condition.add(case::Column::FirstRepliedAt.is_null());
    }
    condition = match kind {
        NoticeKind::Breach => condition.add(due.lte(now)),
        NoticeKind::Warning => condition.add(warning.lte(now)).add(due.gt(now)),
    };
    let recorded = Query::select()
        .expr(Expr::value(1))
        .from(notice::Entity)
        .and_where(
            Expr::col((notice::Entity, notice::Column::CaseId))
                .equals((case::Entity, case::Column::Id)),
        )
        .and_where(Expr::col((notice::Entity, notice::Column::Deadline)).eq(deadline.code()))
        .and_where(Expr::col((notice::Entity, notice::Column::Kind)).eq(kind.code()))
        .and_where(Expr::col((notice::Entity, notice::Column::DueAt)).equals((case::Entity, due)))
        .to_owned();
    condition.add(Expr::not_exists(recorded))
}

fn due_column(deadline: Deadline, row: &case::Model) -> Option<DateTime<Utc>> {
    match deadline {
        Deadline::FirstReply => row.first_reply_due_at,
        Deadline::Resolution => row.due_at,
    }
}

/// Whether the case, as locked now, still owes `deadline` at `due_at`.
fn still_pending(row: &case::Model, deadline: Deadline, due_at: DateTime<Utc>) -> bool {
    let finished = FINISHED.iter().any(|status| status.code() == row.status);
    let answered = deadline == Deadline::FirstReply && row.first_replied_at.is_some();
    !finished && !answered && due_column(deadline, row) == Some(due_at)
}

/// Inserts the notice's row unless one exists; true when this call inserted it. On
/// PostgreSQL a concurrent insert of the same key waits for the other transaction
/// and then does nothing; on SQLite the write lock serialises them.
async fn claim_notice(
    txn: &DatabaseTransaction,
    notice: &DeadlineNotice,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let inserted = notice::Entity::insert(notice::ActiveModel {
        case_id: Set(notice.case_id.0),
        deadline: Set(notice.deadline.code().to_owned()),
        kind: Set(notice.kind.code().to_owned()),
        due_at: Set(notice.due_at),
        recipient: Set(notice.recipient.clone()),
        event_id: Set(event_id),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            notice::Column::CaseId,
            notice::Column::Deadline,
            notice::Column::Kind,
            notice::Column::DueAt,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await
    .context("recording a deadline notice")?;
    Ok(inserted > 0)
}
