//! The staff queue: cases by filter (scope always included), in the order a queue
//! needs, paged by keyset cursors that stay stable while cases change; counts by status,
//! unit or assignee; and the per-case details a page shows (contact, assignee, tags),
//! loaded for a whole page in one query each.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use palaute_core::{CaseId, CaseStatus, Channel};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::cases::{CaseRecord, ContactDetails};
use crate::db::Store;
use crate::entity::{case, case_contact, case_tag, staff_user};
use crate::error::{DbContext, StoreError};

/// Which cases a staff listing shows. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub statuses: Vec<CaseStatus>,
    pub unit_codes: Vec<String>,
    pub category_codes: Vec<String>,
    pub channels: Vec<Channel>,
    /// Language codes: fi, sv, en, or und for cases whose language could not be told.
    pub languages: Vec<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub assignee: Option<AssigneeFilter>,
    /// Cases whose resolution is due before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// Cases with any of these tags.
    pub tags: Vec<String>,
    /// The caller's scope: only cases of these units exist for this listing, its count
    /// included. `None` for a caller who sees every case; empty matches nothing.
    pub within_units: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    /// A staff user's email (lower-cased by the caller).
    Email(String),
}

/// The order of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseOrder {
    #[default]
    Newest,
    /// Longest waiting first.
    Oldest,
    /// Most recently changed first.
    LastChange,
    /// Soonest resolution deadline first; cases without one last.
    DueDate,
}

/// Where a page ends, in the page's order: the case id, and for orders by a time the
/// case's value of it, so that the next page continues exactly after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseCursor {
    id: i64,
    key: CursorKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CursorKey {
    /// The order is by id alone.
    Id,
    At(i64),
    /// The case has no value (no due time): it sorts after every case that has one.
    Missing,
}

impl CaseCursor {
    pub fn after(order: CaseOrder, case: &CaseRecord) -> Self {
        let key = match order {
            CaseOrder::Newest | CaseOrder::Oldest => CursorKey::Id,
            CaseOrder::LastChange => CursorKey::At(case.updated_at.timestamp_micros()),
            CaseOrder::DueDate => case.due_at.map_or(CursorKey::Missing, |due| {
                CursorKey::At(due.timestamp_micros())
            }),
        };
        Self { id: case.id.0, key }
    }

    /// `123`, `1764547200000000.123`, or `-.123` for a case without the value.
    pub fn encode(&self) -> String {
        match self.key {
            CursorKey::Id => self.id.to_string(),
            CursorKey::At(micros) => format!("{micros}.{}", self.id),
            CursorKey::Missing => format!("-.{}", self.id),
        }
    }

    /// Reads a cursor made by [`CaseCursor::encode`] for `order`.
    pub fn decode(order: CaseOrder, text: &str) -> Option<Self> {
        match order {
            CaseOrder::Newest | CaseOrder::Oldest => Some(Self {
                id: text.parse().ok()?,
                key: CursorKey::Id,
            }),
            CaseOrder::LastChange | CaseOrder::DueDate => {
                let (key, id) = text.split_once('.')?;
                let key = match key {
                    "-" if order == CaseOrder::DueDate => CursorKey::Missing,
                    micros => CursorKey::At(micros.parse().ok()?),
                };
                Some(Self {
                    id: id.parse().ok()?,
                    key,
                })
            }
        }
    }
}

/// One page of cases.
#[derive(Debug, Clone)]
pub struct CasePage {
    pub cases: Vec<CaseRecord>,
    pub total_count: u64,
    pub has_next_page: bool,
}

/// What `case_counts` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountBy {
    Status,
    Unit,
    /// By assignee email; unassigned cases under `None`.
    Assignee,
}

impl Store {
    /// A page of cases matching `filter` in `order`, after `after`.
    pub async fn list_cases(
        &self,
        filter: &CaseFilter,
        order: CaseOrder,
        first: u64,
        after: Option<CaseCursor>,
    ) -> Result<CasePage, StoreError> {
        let condition = filter_condition(filter);
        let total_count = case::Entity::find()
            .filter(condition.clone())
            .count(&self.db)
            .await
            .context("counting cases")?;
        let mut query = case::Entity::find().filter(condition);
        if let Some(after) = after {
            query = query.filter(after_cursor(order, after)?);
        }
        query = match order {
            CaseOrder::Newest => query.order_by_desc(case::Column::Id),
            CaseOrder::Oldest => query.order_by_asc(case::Column::Id),
            CaseOrder::LastChange => query
                .order_by_desc(case::Column::UpdatedAt)
                .order_by_desc(case::Column::Id),
            // NULLs sort first on SQLite and last on PostgreSQL: say which.
            CaseOrder::DueDate => query
                .order_by_asc(Expr::col(case::Column::DueAt).is_null())
                .order_by_asc(case::Column::DueAt)
                .order_by_asc(case::Column::Id),
        };
        let mut rows = query
            .limit(first.saturating_add(1))
            .all(&self.db)
            .await
            .context("listing cases")?;
        let has_next_page = rows.len() as u64 > first;
        rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
        Ok(CasePage {
            cases: rows
                .into_iter()
                .map(CaseRecord::try_from)
                .collect::<Result<_, _>>()?,
            total_count,
            has_next_page,
        })
    }

    /// How many cases match `filter`, per status, unit or assignee; largest first.
    pub async fn case_counts(
        &self,
        filter: &CaseFilter,
        by: CountBy,
    ) -> Result<Vec<(Option<String>, u64)>, StoreError> {
        let condition = filter_condition(filter);
        let counted = |column: case::Column| {
            case::Entity::find()
                .select_only()
                .column(column)
                .column_as(Expr::col(case::Column::Id).count(), "count")
                .filter(condition.clone())
                .group_by(column)
        };
        let mut counts: Vec<(Option<String>, u64)> = match by {
            CountBy::Status | CountBy::Unit => {
                let column = if by == CountBy::Status {
                    case::Column::Status
                } else {
                    case::Column::UnitCode
                };
                let rows: Vec<(Option<String>, i64)> = counted(column)
                    .into_tuple()
                    .all(&self.db)
                    .await
                    .context("counting cases")?;
                rows.into_iter()
                    .map(|(key, count)| (key, u64::try_from(count).unwrap_or(0)))
                    .collect()
            }
            CountBy::Assignee => {
                let rows: Vec<(Option<i64>, i64)> = counted(case::Column::AssigneeId)
                    .into_tuple()
                    .all(&self.db)
                    .await
                    .context("counting cases by assignee")?;
                let ids: Vec<i64> = rows.iter().filter_map(|(id, _)| *id).collect();
                let emails = self.staff_emails(&ids).await?;
                rows.into_iter()
                    .map(|(id, count)| {
                        let email = id.and_then(|id| emails.get(&id).cloned());
                        (email, u64::try_from(count).unwrap_or(0))
                    })
                    .collect()
            }
        };
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(counts)
    }

    /// Contact details of each of `ids` that has any, in one query.
    pub async fn case_contacts(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, ContactDetails>, StoreError> {
        let rows = case_contact::Entity::find()
            .filter(case_contact::Column::CaseId.is_in(ids.iter().map(|id| id.0)))
            .all(&self.db)
            .await
            .context("loading contact details")?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let contact = ContactDetails {
                    name: row.name,
                    email: row.email,
                    phone: row.phone,
                };
                (CaseId(row.case_id), contact)
            })
            .collect())
    }

    /// The tags of each of `ids`, sorted, in one query.
    pub async fn case_tags(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, Vec<String>>, StoreError> {
        let rows: Vec<(i64, String)> = case_tag::Entity::find()
            .select_only()
            .column(case_tag::Column::CaseId)
            .column(case_tag::Column::Tag)
            .filter(case_tag::Column::CaseId.is_in(ids.iter().map(|id| id.0)))
            .order_by_asc(case_tag::Column::Tag)
            .into_tuple()
            .all(&self.db)
            .await
            .context("loading tags")?;
        let mut tags: HashMap<CaseId, Vec<String>> = HashMap::new();
        for (case_id, tag) in rows {
            tags.entry(CaseId(case_id)).or_default().push(tag);
        }
        Ok(tags)
    }

    /// The email of each staff user in `ids`, in one query.
    pub async fn staff_emails(&self, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, String)> = staff_user::Entity::find()
            .select_only()
            .column(staff_user::Column::Id)
            .column(staff_user::Column::Email)
            .filter(staff_user::Column::Id.is_in(ids.iter().copied()))
            .into_tuple()
            .all(&self.db)
            .await
            .context("loading staff emails")?;
        Ok(rows.into_iter().collect())
    }
}

fn after_cursor(order: CaseOrder, cursor: CaseCursor) -> Result<Condition, StoreError> {
    let time = |micros: i64| {
        DateTime::<Utc>::from_timestamp_micros(micros)
            .ok_or_else(|| StoreError::Refused("the cursor's time is out of range".into()))
    };
    let id = cursor.id;
    Ok(match (order, cursor.key) {
        (CaseOrder::Newest, _) => Condition::all().add(case::Column::Id.lt(id)),
        (CaseOrder::Oldest, _) => Condition::all().add(case::Column::Id.gt(id)),
        (CaseOrder::LastChange, CursorKey::At(micros)) => {
            let at = time(micros)?;
            Condition::any().add(case::Column::UpdatedAt.lt(at)).add(
                Condition::all()
                    .add(case::Column::UpdatedAt.eq(at))
                    .add(case::Column::Id.lt(id)),
            )
        }
        (CaseOrder::DueDate, CursorKey::At(micros)) => {
            let due = time(micros)?;
            Condition::any()
                .add(case::Column::DueAt.gt(due))
                .add(
                    Condition::all()
                        .add(case::Column::DueAt.eq(due))
                        .add(case::Column::Id.gt(id)),
                )
                .add(case::Column::DueAt.is_null())
        }
        (CaseOrder::DueDate, CursorKey::Missing) => Condition::all()
            .add(case::Column::DueAt.is_null())
            .add(case::Column::Id.gt(id)),
        (CaseOrder::LastChange | CaseOrder::DueDate, _) => {
            return Err(StoreError::Refused(
                "the cursor is not from a page in this order".into(),
            ));
        }
    })
}

fn filter_condition(filter: &CaseFilter) -> Condition {
    // A merged duplicate is part of the case it was merged into: one matter, one row.
    let mut condition = Condition::all().add(case::Column::MergedIntoId.is_null());
    if !filter.statuses.is_empty() {
        condition = condition
            .add(case::Column::Status.is_in(filter.statuses.iter().map(|status| status.code())));
    }
    if !filter.unit_codes.is_empty() {
        condition = condition.add(case::Column::UnitCode.is_in(filter.unit_codes.clone()));
    }
    if !filter.category_codes.is_empty() {
        condition = condition.add(case::Column::CategoryCode.is_in(filter.category_codes.clone()));
    }
    if !filter.channels.is_empty() {
        condition = condition
            .add(case::Column::Channel.is_in(filter.channels.iter().map(|channel| channel.code())));
    }
    if !filter.languages.is_empty() {
        condition = condition.add(case::Column::Language.is_in(filter.languages.clone()));
    }
    if let Some(after) = filter.created_after {
        condition = condition.add(case::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        condition = condition.add(case::Column::CreatedAt.lt(before));
    }
    if let Some(before) = filter.due_before {
        condition = condition.add(case::Column::DueAt.lt(before));
    }
    match &filter.assignee {
        None => {}
        Some(AssigneeFilter::Nobody) => {
            condition = condition.add(case::Column::AssigneeId.is_null())
        }
        Some(AssigneeFilter::Email(email)) => {
            condition = condition.add(
                case::Column::AssigneeId.in_subquery(
                    Query::select()
                        .column(staff_user::Column::Id)
                        .from(staff_user::Entity)
                        .and_where(staff_user::Column::Email.eq(email.clone()))
                        .to_owned(),
                ),
            );
        }
    }
    if !filter.tags.is_empty() {
        condition = condition.add(
            case::Column::Id.in_subquery(
                Query::select()
                    .column(case_tag::Column::CaseId)
                    .from(case_tag::Entity)
                    .and_where(case_tag::Column::Tag.is_in(filter.tags.clone()))
                    .to_owned(),
            ),
        );
    }
    if let Some(units) = &filter.within_units {
        condition = condition.add(case::Column::UnitCode.is_in(units.clone()));
    }
    condition
}
