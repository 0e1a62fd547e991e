//! Service measurement: for the cases created in a time range, how fast they were
//! routed, answered and resolved, and how often routing had to be corrected, grouped by
//! channel, unit, category, language or week.
//!
//! Two reads, both range scans on indexed columns: the cases' times and codes
//! (`cases.created_at`), and the few timeline events that matter (`case_events` by
//! case). Percentiles need every duration, so the figures are computed here in Rust
//! over the fetched rows (`figures.rs`), the same way on SQLite and PostgreSQL: memory
//! and time grow linearly with the cases in the range (a year of Helsinki, ~100,000
//! cases, is a few tens of megabytes for the length of one request).

mod figures;

use std::collections::HashMap;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use chrono_tz::Europe::Helsinki;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};

pub use figures::{DeadlineCompliance, Durations, StatsRow, hours};

use crate::cases::parse_status;
use crate::db::Store;
use crate::entity::{case, case_event};
use crate::error::{DbContext, StoreError};
use figures::{CaseFacts, CaseHistory, summarise};

/// The longest range one request may cover: three years, leap days included.
pub const MAX_STATS_RANGE_DAYS: i64 = 3 * 366;

/// What the cases are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsGrouping {
    Channel,
    Unit,
    Category,
    Language,
    /// The ISO week of creation in Helsinki time, e.g. `2026-W05`.
    Week,
}

/// A time range of case creation, `from` included and `to` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsRange {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// Why a range was refused. Both name `to`, the end a caller moves to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatsRangeError {
    #[error("`to` must be after `from`")]
    Empty,
    #[error("a range may cover at most {MAX_STATS_RANGE_DAYS} days (three years)")]
    TooLong,
}

impl StatsRange {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self, StatsRangeError> {
        if to <= from {
            return Err(StatsRangeError::Empty);
        }
        if to - from > TimeDelta::days(MAX_STATS_RANGE_DAYS) {
            return Err(StatsRangeError::TooLong);
        }
        Ok(Self { from, to })
    }

    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }
}

/// One stats request.
#[derive(Debug, Clone)]
pub struct StatsRequest {
    pub range: StatsRange,
    pub group_by: StatsGrouping,
    /// The caller's scope, as in `CaseFilter::within_units`: only cases now with one
    /// of these units count. `None` for a caller who sees every case.
    pub within_units: Option<Vec<String>>,
    /// The instant deadlines are judged at: one that passed undone by then is missed.
    pub now: DateTime<Utc>,
}

/// The answer: a row per group and one for every case in the range.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceStats {
    pub groups: Vec<StatsRow>,
    pub total: StatsRow,
}

/// The timeline events the figures read; the rest are not fetched.
const MEASURED_EVENTS: [&str; 5] = [
    "routed",
    "needs_triage",
    "reassigned",
    "returned_to_triage",
    "reopened",
];

#[derive(Debug, FromQueryResult)]
struct CaseRow {
    id: i64,
    channel: String,
    unit_code: Option<String>,
    category_code: Option<String>,
    language: Option<String>,
    status: String,
    created_at: DateTime<Utc>,
    routed_at: Option<DateTime<Utc>>,
    first_replied_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    first_reply_due_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    satisfaction_score: Option<i16>,
}

#[derive(Debug, FromQueryResult)]
struct EventRow {
    case_id: i64,
    kind: String,
    actor: String,
}

impl Store {
    /// The service figures of the cases created in the request's range, in its scope.
    pub async fn service_stats(&self, request: &StatsRequest) -> Result<ServiceStats, StoreError> {
        let in_range = Condition::all()
            .add(case::Column::CreatedAt.gte(request.range.from))
            .add(case::Column::CreatedAt.lt(request.range.to))
            // A merged duplicate is one request with the case it was merged into.
            .add(case::Column::MergedIntoId.is_null())
            .add_option(
                request
                    .within_units
                    .clone()
                    .map(|units| case::Column::UnitCode.is_in(units)),
            );
        let cases = case::Entity::find()
            .select_only()
            .columns([
                case::Column::Id,
                case::Column::Channel,
                case::Column::UnitCode,
                case::Column::CategoryCode,
                case::Column::Language,
                case::Column::Status,
                case::Column::CreatedAt,
                case::Column::RoutedAt,
                case::Column::FirstRepliedAt,
                case::Column::ResolvedAt,
                case::Column::FirstReplyDueAt,
                case::Column::DueAt,
                case::Column::SatisfactionScore,
            ])
            .filter(in_range.clone())
            .into_model::<CaseRow>()
            .all(&self.db)
            .await
            .context("reading cases for stats")?;
        // The same condition as a subquery, so no list of ids is sent. A case created
        // between the two reads has no row above, and its events are ignored.
        let case_ids = Query::select()
            .column(case::Column::Id)
            .from(case::Entity)
            .cond_where(in_range)
            .to_owned();
        let events = case_event::Entity::find()
            .select_only()
            .columns([
                case_event::Column::CaseId,
                case_event::Column::Kind,
                case_event::Column::Actor,
            ])
            .filter(case_event::Column::Kind.is_in(MEASURED_EVENTS))
            .filter(case_event::Column::CaseId.in_subquery(case_ids))
            .order_by_asc(case_event::Column::Id)
            .into_model::<EventRow>()
            .all(&self.db)
            .await
            .context("reading timeline events for stats")?;
        let histories = histories(events);
        let mut facts = Vec::with_capacity(cases.len());
        for row in cases {
            let history = histories.get(&row.id).copied().unwrap_or_default();
            let finished_now = parse_status(&row.status)?.is_finished();
            let key = group_key(&row, request.group_by);
            facts.push((
                key,
                CaseFacts {
                    created_at: row.created_at,
                    routed_at: row.routed_at,
                    first_replied_at: row.first_replied_at,
                    resolved_at: row.resolved_at,
                    finished_now,
                    history,
                    first_reply_due_at: row.first_reply_due_at,
                    due_at: row.due_at,
                    satisfaction: row.satisfaction_score,
                },
            ));
        }
        let (groups, total) = summarise(facts, request.now);
        Ok(ServiceStats { groups, total })
    }
}

/// Each case's history from its events, read in the order they were written.
fn histories(events: Vec<EventRow>) -> HashMap<i64, CaseHistory> {
    let mut histories: HashMap<i64, (bool, CaseHistory)> = HashMap::new();
    for event in events {
        let (decided, history) = histories.entry(event.case_id).or_default();
        match event.kind.as_str() {
            // Only the first decision says whether the pipeline routed it alone; a
            // later one would be a re-run that changed nothing.
            "routed" | "needs_triage" if !*decided => {
                *decided = true;
                history.auto_routed = event.kind == "routed" && event.actor == "system";
            }
            "reassigned" => history.reassigned = true,
            "returned_to_triage" => history.returned_to_triage = true,
            "reopened" => history.reopened = true,
            _ => {}
        }
    }
    histories
        .into_iter()
        .map(|(case_id, (_, history))| (case_id, history))
        .collect()
}

fn group_key(row: &CaseRow, group_by: StatsGrouping) -> Option<String> {
    match group_by {
        StatsGrouping::Channel => Some(row.channel.clone()),
        StatsGrouping::Unit => row.unit_code.clone(),
        StatsGrouping::Category => row.category_code.clone(),
        StatsGrouping::Language => row.language.clone(),
        StatsGrouping::Week => Some(helsinki_week(row.created_at)),
    }
}

/// The ISO week (`2026-W05`) of an instant in Helsinki, where weeks start on Monday
/// at midnight local time (22:00 UTC in winter, 21:00 UTC in summer).
pub fn helsinki_week(at: DateTime<Utc>) -> String {
    let week = at.with_timezone(&Helsinki).iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn weeks_turn_at_helsinki_midnight() {
        let utc = |y, m, d, h, min| Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
        // Sunday 11 January 2026, 23:30 in Helsinki (UTC+2) is still week 2 …
        assert_eq!(helsinki_week(utc(2026, 1, 11, 21, 30)), "2026-W02");
        // … and Monday 00:30 there, still Sunday in UTC, is week 3.
        assert_eq!(helsinki_week(utc(2026, 1, 11, 22, 30)), "2026-W03");
        // Summer time (UTC+3): Monday 00:30 is 21:30 UTC on Sunday.
        assert_eq!(helsinki_week(utc(2026, 6, 14, 21, 30)), "2026-W25");
        // ISO years: 1 January 2027 (a Friday) belongs to 2026's week 53.
        assert_eq!(helsinki_week(utc(2027, 1, 1, 12, 0)), "2026-W53");
    }

    #[test]
    fn ranges_must_be_forward_and_at_most_three_years() {
        let at = |y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            StatsRange::new(at(2026), at(2026)),
            Err(StatsRangeError::Empty)
        );
        assert_eq!(
            StatsRange::new(at(2027), at(2026)),
            Err(StatsRangeError::Empty)
        );
        assert!(
            StatsRange::new(at(2024), at(2027)).is_ok(),
            "three years, a leap day in them"
        );
        assert_eq!(
            StatsRange::new(at(2024), at(2028)),
            Err(StatsRangeError::TooLong)
        );
    }

    #[test]
    fn the_first_routing_decision_tells_whether_it_was_automatic() {
        let event = |case_id, kind: &str, actor: &str| EventRow {
            case_id,
            kind: kind.to_owned(),
            actor: actor.to_owned(),
        };
        let histories = histories(vec![
            event(1, "routed", "system"),
            event(2, "needs_triage", "system"),
            event(2, "routed", "system"),
            event(1, "reassigned", "staff:a@hel.fi"),
            event(3, "reopened", "staff:a@hel.fi"),
        ]);
        assert!(histories[&1].auto_routed && histories[&1].reassigned);
        assert!(!histories[&2].auto_routed, "triage first: not automatic");
        assert!(histories[&3].reopened && !histories[&3].auto_routed);
    }
}
