//! `stats`: how the service performs for the cases created in a range, grouped by one
//! dimension, in the caller's scope. The figures come from `Store::service_stats`; this
//! maps them to GraphQL (durations in hours, shares as fractions 0–1).

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use palaute_store::{Durations, StatsGrouping, StatsRange, StatsRequest, StatsRow, Store, hours};

use crate::auth::require_staff;
use crate::errors::{bad_input, from_store};

/// What `stats` groups cases by.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum StatsGroup {
    /// The channel the feedback came through (`web`, `phone`, …).
    Channel,
    /// The unit the case is with now.
    Unit,
    /// The case's category now.
    Category,
    /// The detected language: `fi`, `sv`, `en`, or `und` when it could not be told.
    Language,
    /// The ISO week of creation in Helsinki time, e.g. `2026-W05`.
    Week,
}

impl From<StatsGroup> for StatsGrouping {
    fn from(group: StatsGroup) -> Self {
        match group {
            StatsGroup::Channel => StatsGrouping::Channel,
            StatsGroup::Unit => StatsGrouping::Unit,
            StatsGroup::Category => StatsGrouping::Category,
            StatsGroup::Language => StatsGrouping::Language,
            StatsGroup::Week => StatsGrouping::Week,
        }
    }
}

#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// How the service performed for the cases created from `from` (included) to `to`
    /// (excluded), at most three years, grouped by `groupBy`, with a total row. Staff
    /// only; a handler's figures count only their own units' cases.
    async fn stats(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group_by: StatsGroup,
    ) -> async_graphql::Result<ServiceStats> {
        let scope = require_staff(ctx)?.scope();
        // Both refusals name `to`: the end a caller moves to fix the range.
        let range =
            StatsRange::new(from, to).map_err(|refused| bad_input("to", refused.to_string()))?;
        let request = StatsRequest {
            range,
            group_by: group_by.into(),
            within_units: scope.units().map(|units| units.iter().cloned().collect()),
            now: palaute_store::now(),
        };
        let stats = ctx
            .data_unchecked::<Store>()
            .service_stats(&request)
            .await
            .map_err(|error| from_store("computing stats", error))?;
        Ok(ServiceStats {
            from,
            to,
            group_by,
            groups: stats.groups.into_iter().map(StatsRowView).collect(),
            total: StatsRowView(stats.total),
        })
    }
}

/// Service figures for a range of case creation.
#[derive(SimpleObject)]
pub struct ServiceStats {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group_by: StatsGroup,
    /// One row per group, ordered by key; cases without a key come last.
    groups: Vec<StatsRowView>,
    /// Every case in the range and scope.
    total: StatsRowView,
}

/// A `StatsRow` of the store, shown in GraphQL.
pub struct StatsRowView(StatsRow);

/// Deadline compliance of a group's cases. A deadline counts once it is decided:
/// met, or missed (done late, or not done when it passed); open ones count nowhere,
/// nor does the resolution of a case closed without being resolved.
#[derive(SimpleObject)]
pub struct StatsDeadlineCompliance {
    /// First-reply deadlines decided.
    first_reply_due_count: u64,
    /// Share of them met; null when none is decided.
    first_reply_on_time_share: Option<f64>,
    /// Resolution deadlines decided.
    resolution_due_count: u64,
    /// Share of them met; null when none is decided.
    resolution_on_time_share: Option<f64>,
}

/// The figures of one group. Times are in hours, as nearest-rank percentiles (always
/// one of the measured times; the median of an even count is the lower middle one),
/// null when no case reached that point. Shares are fractions from 0 to 1, null when
/// their denominator is 0.
#[Object(name = "StatsRow")]
impl StatsRowView {
    /// The channel, unit code, category code, language code or ISO week (`2026-W05`)
    /// of the group; null for cases without one (still being routed, no category,
    /// language not yet detected) and in the total row.
    async fn key(&self) -> Option<&str> {
        self.0.key.as_deref()
    }

    /// Cases created in the range.
    async fn volume(&self) -> u64 {
        self.0.volume
    }

    /// Time from submission to the pipeline's decision (routed, or sent to triage).
    async fn median_hours_to_route(&self) -> Option<f64> {
        median_hours(&self.0.to_route)
    }

    async fn p90_hours_to_route(&self) -> Option<f64> {
        p90_hours(&self.0.to_route)
    }

    /// Time from submission to staff's first reply to the resident.
    async fn median_hours_to_first_reply(&self) -> Option<f64> {
        median_hours(&self.0.to_first_reply)
    }

    async fn p90_hours_to_first_reply(&self) -> Option<f64> {
        p90_hours(&self.0.to_first_reply)
    }

    /// Time from submission to resolution, over the cases resolved now.
    async fn median_hours_to_resolution(&self) -> Option<f64> {
        median_hours(&self.0.to_resolution)
    }

    async fn p90_hours_to_resolution(&self) -> Option<f64> {
        p90_hours(&self.0.to_resolution)
    }

    /// Cases replied to at least once.
    async fn replied_count(&self) -> u64 {
        self.0.to_first_reply.measured
    }

    /// Cases resolved now (a reopened case counts once resolved again).
    async fn resolved_count(&self) -> u64 {
        self.0.resolved
    }

    /// Share of the volume that staff reassigned at least once.
    async fn reassignment_rate(&self) -> Option<f64> {
        self.0.reassignment_rate()
    }

    /// Share of the volume whose first routing decision sent it to a unit without a
    /// person (not to triage).
    async fn auto_routed_share(&self) -> Option<f64> {
        self.0.auto_routed_share()
    }

    /// Share of the auto-routed cases that staff later reassigned or returned to
    /// triage: one minus the routing's real-world precision.
    async fn auto_routed_later_corrected_share(&self) -> Option<f64> {
        self.0.auto_routed_later_corrected_share()
    }

    /// Share of the volume a unit returned to triage as "not ours" at least once.
    async fn returned_to_triage_share(&self) -> Option<f64> {
        self.0.returned_to_triage_share()
    }

    /// Share of the cases resolved or closed at least once that were reopened.
    async fn reopen_rate(&self) -> Option<f64> {
        self.0.reopen_rate()
    }

    /// Cases whose resident answered the satisfaction question.
    async fn rated_count(&self) -> u64 {
        self.0.rated
    }

    /// The mean of those answers (1 to 5); null when none was given.
    async fn mean_satisfaction(&self) -> Option<f64> {
        self.0.mean_satisfaction
    }

    /// How often the group's deadlines were met, judged now; null when none of its
    /// cases has due times (cases routed before deadlines existed).
    async fn deadline_compliance(&self) -> Option<StatsDeadlineCompliance> {
        self.0.deadlines.map(|deadlines| StatsDeadlineCompliance {
            first_reply_due_count: deadlines.first_reply_due,
            first_reply_on_time_share: deadlines.first_reply_on_time_share(),
            resolution_due_count: deadlines.resolution_due,
            resolution_on_time_share: deadlines.resolution_on_time_share(),
        })
    }
}

fn median_hours(durations: &Durations) -> Option<f64> {
    durations.median.map(hours)
}

fn p90_hours(durations: &Durations) -> Option<f64> {
    durations.p90.map(hours)
}
