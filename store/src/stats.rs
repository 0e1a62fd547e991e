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

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
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
use figures::{CaseFacts, CaseHistory, summarise, summarise_total};

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

/// The figures of the public service page.
#[derive(Debug, Clone)]
pub struct FiguresRequest {
    pub range: StatsRange,
    /// As in `StatsRequest`: `None` counts every case.
    pub within_units: Option<Vec<String>>,
    /// The instant deadlines are judged at.
    pub now: DateTime<Utc>,
}

/// The public figures: the total row of every case in the range (in scope),
/// and how many came in each week through each channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFigures {
    /// Every Helsinki week the range touches, oldest first, with cases or not.
    pub weeks: Vec<String>,
    /// Only the (week, channel) pairs that had cases, ordered by week, then channel.
    pub cases_by_week_and_channel: Vec<WeekChannelCount>,
    pub total: StatsRow,
}

/// Cases created in one Helsinki week through one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekChannelCount {
    /// `2026-W05`, as `helsinki_week` writes it.
    pub week: String,
    /// The channel's storage code (`web`, `phone`, …).
    pub channel: String,
    pub cases: u64,
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
        let measured = self
            .measured_cases(request.range, request.within_units.as_deref())
            .await?;
        let facts = measured
            .into_iter()
            .map(|(row, facts)| (group_key(&row, request.group_by), facts));
        let (groups, total) = summarise(facts, request.now);
        Ok(ServiceStats { groups, total })
    }

    /// The public figures page's numbers: the total row of the cases created in the
    /// range (in scope), and their count per Helsinki week and channel. The same two
    /// reads as `service_stats`, so one request costs two queries whatever the range.
    pub async fn service_figures(
        &self,
        request: &FiguresRequest,
    ) -> Result<ServiceFigures, StoreError> {
        let measured = self
            .measured_cases(request.range, request.within_units.as_deref())
            .await?;
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        let facts: Vec<CaseFacts> = measured
            .into_iter()
            .map(|(row, facts)| {
                *counts
                    .entry((helsinki_week(row.created_at), row.channel))
                    .or_default() += 1;
                facts
            })
            .collect();
        Ok(ServiceFigures {
            weeks: helsinki_weeks(request.range),
            cases_by_week_and_channel: counts
                .into_iter()
                .map(|((week, channel), cases)| WeekChannelCount {
                    week,
                    channel,
                    cases,
                })
                .collect(),
            total: summarise_total(facts, request.now),
        })
    }

    /// Every case created in the range (within `within_units` when given), with what
    /// the figures need to know of it: two reads, whatever the number of cases.
    async fn measured_cases(
        &self,
        range: StatsRange,
        within_units: Option<&[String]>,
    ) -> Result<Vec<(CaseRow, CaseFacts)>, StoreError> {
        let in_range = Condition::all()
            .add(case::Column::CreatedAt.gte(range.from))
            .add(case::Column::CreatedAt.lt(range.to))
            // A merged duplicate is one request with the case it was merged into.
            .add(case::Column::MergedIntoId.is_null())
            .add_option(within_units.map(|units| case::Column::UnitCode.is_in(units.to_vec())));
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
        let mut measured = Vec::with_capacity(cases.len());
        for row in cases {
            let facts = CaseFacts {
                created_at: row.created_at,
                routed_at: row.routed_at,
                first_replied_at: row.first_replied_at,
                resolved_at: row.resolved_at,
                finished_now: parse_status(&row.status)?.is_finished(),
                history: histories.get(&row.id).copied().unwrap_or_default(),
                first_reply_due_at: row.first_reply_due_at,
                due_at: row.due_at,
                satisfaction: row.satisfaction_score,
            };
            measured.push((row, facts));
        }
        Ok(measured)
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

/// Every ISO week (as `helsinki_week` writes it) that the range touches in Helsinki
/// time, oldest first: the weeks a chart of the range has a place for.
pub fn helsinki_weeks(range: StatsRange) -> Vec<String> {
    let first = range.from.with_timezone(&Helsinki).date_naive();
    let mut monday = first - TimeDelta::days(i64::from(first.weekday().num_days_from_monday()));
    let mut weeks = Vec::new();
    // `to` is excluded: a range ending at a Monday's midnight does not touch that week.
    while helsinki_midnight(monday) < range.to {
        let week = monday.iso_week();
        weeks.push(format!("{}-W{:02}", week.year(), week.week()));
        monday += TimeDelta::weeks(1);
    }
    weeks
}

impl StatsRange {
    /// The last `weeks` Helsinki weeks up to `now`: from the Monday midnight (Helsinki
    /// time) `weeks - 1` weeks before this week's, to `now`. 52 weeks is the public
    /// page's year; at least one week is always taken.
    pub fn recent_weeks(now: DateTime<Utc>, weeks: u32) -> Self {
        let today = now.with_timezone(&Helsinki).date_naive();
        let this_monday =
            today - TimeDelta::days(i64::from(today.weekday().num_days_from_monday()));
        let first_monday = this_monday - TimeDelta::weeks(i64::from(weeks.max(1) - 1));
        let from = helsinki_midnight(first_monday);
        // `now` is at or after this Monday's midnight, so the range is never empty; a
        // caller asking for more than three years gets three.
        Self {
            from: from.max(now - TimeDelta::days(MAX_STATS_RANGE_DAYS)),
            to: now.max(from + TimeDelta::seconds(1)),
        }
    }
}

/// Midnight at the start of a date in Helsinki, in UTC. Midnight always exists there
/// (the clocks change at 03:00 and 04:00), so the fallback to UTC midnight is only a
/// guard.
fn helsinki_midnight(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    Helsinki
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |local| local.with_timezone(&Utc))
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
    fn a_range_lists_every_helsinki_week_it_touches() {
        let utc = |y, m, d, h, min| Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
        // Sunday 4 January 2026 23:00 Helsinki (W01) to Monday 19 January 00:00 (W04,
        // excluded: the range ends as that week begins).
        let range = StatsRange::new(utc(2026, 1, 4, 21, 0), utc(2026, 1, 18, 22, 0)).unwrap();
        assert_eq!(helsinki_weeks(range), ["2026-W01", "2026-W02", "2026-W03"]);
        // One minute into W04 adds it.
        let range = StatsRange::new(utc(2026, 1, 4, 21, 0), utc(2026, 1, 18, 22, 1)).unwrap();
        assert_eq!(helsinki_weeks(range).len(), 4);
    }

    #[test]
    fn recent_weeks_start_at_a_helsinki_monday_midnight() {
        let utc = |y, m, d, h, min| Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
        // Wednesday 1 July 2026 (summer time, UTC+3), 52 weeks: from Monday 7 July
        // 2025 at 00:00 Helsinki, which is 21:00 UTC on Sunday 6 July.
        let now = utc(2026, 7, 1, 9, 0);
        let range = StatsRange::recent_weeks(now, 52);
        assert_eq!(range.from(), utc(2025, 7, 6, 21, 0));
        assert_eq!(range.to(), now);
        let weeks = helsinki_weeks(range);
        assert_eq!(weeks.len(), 52);
        assert_eq!(weeks.first().map(String::as_str), Some("2025-W28"));
        assert_eq!(weeks.last().map(String::as_str), Some("2026-W27"));
        // One week: this week only, from its Monday (winter time, UTC+2).
        let range = StatsRange::recent_weeks(utc(2026, 1, 14, 12, 0), 1);
        assert_eq!(range.from(), utc(2026, 1, 11, 22, 0));
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
