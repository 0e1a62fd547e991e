//! Turning per-case facts into the figures of a stats row: counts, shares and
//! percentiles. Pure, so the arithmetic is tested without a database.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

/// The nearest-rank percentile of values sorted ascending: the value at 1-based rank
/// ⌈percent/100 · n⌉, i.e. the smallest value with at least `percent`% of the values at
/// or below it. It is always one of the values (never interpolated), so a median of an
/// even count is the lower middle value. `None` for no values.
pub(crate) fn nearest_rank(sorted: &[i64], percent: u8) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (usize::from(percent.min(100)) * sorted.len())
        .div_ceil(100)
        .max(1);
    sorted.get(rank - 1).copied()
}

/// How long cases took to reach one point (routing, first reply, resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Durations {
    /// Cases that reached the point; the percentiles are over these.
    pub measured: u64,
    /// Nearest-rank 50th percentile.
    pub median: Option<TimeDelta>,
    /// Nearest-rank 90th percentile.
    pub p90: Option<TimeDelta>,
}

impl Durations {
    fn of(mut millis: Vec<i64>) -> Self {
        millis.sort_unstable();
        Self {
            measured: millis.len() as u64,
            median: nearest_rank(&millis, 50).map(TimeDelta::milliseconds),
            p90: nearest_rank(&millis, 90).map(TimeDelta::milliseconds),
        }
    }
}

/// Hours as a decimal number, for reports.
pub fn hours(duration: TimeDelta) -> f64 {
    duration.num_milliseconds() as f64 / 3_600_000.0
}

/// Deadline compliance of a group's cases, judged at the request's `now`. A deadline
/// counts once it is decided: met or missed (done late, or not done when it passed).
/// One not yet due and not yet done is still open and counts nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeadlineCompliance {
    /// First-reply deadlines decided, and of those met.
    pub first_reply_due: u64,
    pub first_reply_on_time: u64,
    /// Resolution deadlines decided, and of those met.
    pub resolution_due: u64,
    pub resolution_on_time: u64,
}

impl DeadlineCompliance {
    pub fn first_reply_on_time_share(&self) -> Option<f64> {
        share(self.first_reply_on_time, self.first_reply_due)
    }

    pub fn resolution_on_time_share(&self) -> Option<f64> {
        share(self.resolution_on_time, self.resolution_due)
    }
}

/// The figures of one group of cases (or of all of them: the total row).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatsRow {
    /// The group: a channel, unit, category or language code, or an ISO week
    /// (`2026-W05`, in Helsinki time). `None` for cases without one, and in the total.
    pub key: Option<String>,
    /// Cases created in the range.
    pub volume: u64,
    /// From creation to the pipeline's decision (routed, or sent to triage).
    pub to_route: Durations,
    pub to_first_reply: Durations,
    /// From creation to resolution, over the cases resolved now.
    pub to_resolution: Durations,
    /// Cases resolved now (a reopened case counts again once resolved again).
    pub resolved: u64,
    /// Cases moved by staff (`reassigned`) at least once.
    pub reassigned: u64,
    /// Cases whose first routing decision sent them to a unit without a person.
    pub auto_routed: u64,
    /// Auto-routed cases that staff later reassigned or returned to triage.
    pub auto_routed_later_corrected: u64,
    /// Cases a unit returned to triage as "not ours" at least once.
    pub returned_to_triage: u64,
    /// Cases resolved or closed at least once (now, or before a reopening).
    pub finished: u64,
    /// Cases reopened at least once.
    pub reopened: u64,
    /// Cases whose resident answered the satisfaction question, and the mean of their
    /// scores (1 to 5).
    pub rated: u64,
    pub mean_satisfaction: Option<f64>,
    /// `None` when no case of the group has due times (routed before deadlines
    /// existed).
    pub deadlines: Option<DeadlineCompliance>,
}

impl StatsRow {
    /// Share of the volume reassigned at least once.
    pub fn reassignment_rate(&self) -> Option<f64> {
        share(self.reassigned, self.volume)
    }

    /// Share of the volume routed without a person.
    pub fn auto_routed_share(&self) -> Option<f64> {
        share(self.auto_routed, self.volume)
    }

    /// Share of auto-routed cases that staff corrected: one minus the routing's
    /// real-world precision.
    pub fn auto_routed_later_corrected_share(&self) -> Option<f64> {
        share(self.auto_routed_later_corrected, self.auto_routed)
    }

    /// Share of the volume returned to triage as "not ours".
    pub fn returned_to_triage_share(&self) -> Option<f64> {
        share(self.returned_to_triage, self.volume)
    }

    /// Share of the cases finished at least once that were reopened.
    pub fn reopen_rate(&self) -> Option<f64> {
        share(self.reopened, self.finished)
    }
}

/// `part / whole`, or `None` when there is nothing to divide by.
fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// What one case contributes to the figures.
#[derive(Debug, Clone, Default)]
pub(crate) struct CaseFacts {
    pub created_at: DateTime<Utc>,
    pub routed_at: Option<DateTime<Utc>>,
    pub first_replied_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Resolved or closed now.
    pub finished_now: bool,
    pub history: CaseHistory,
    /// The resident's satisfaction score, when they gave one.
    pub satisfaction: Option<i16>,
    /// The due times, when the case has them.
    pub first_reply_due_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
}

impl CaseFacts {
    /// Whether the first reply came on time: `None` while it is not decided.
    fn first_reply_on_time(&self, now: DateTime<Utc>) -> Option<bool> {
        deadline_met(self.first_reply_due_at, self.first_replied_at, now)
    }

    /// Whether the case was resolved on time. A case closed without being resolved
    /// has no time of resolution to judge, so it counts nowhere.
    fn resolved_on_time(&self, now: DateTime<Utc>) -> Option<bool> {
        if self.finished_now && self.resolved_at.is_none() {
            return None;
        }
        deadline_met(self.due_at, self.resolved_at, now)
    }
}

/// Met when done by the due time; missed when done later, or not done once it has
/// passed (as the deadline check sees a breach: at `due` or after); otherwise open.
pub(crate) fn deadline_met(
    due: Option<DateTime<Utc>>,
    done: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<bool> {
    let due = due?;
    match done {
        Some(done) => Some(done <= due),
        None => (now >= due).then_some(false),
    }
}

/// What a case's timeline says about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CaseHistory {
    /// The first routing event was `routed` by `system` (not `needs_triage`).
    pub auto_routed: bool,
    pub reassigned: bool,
    pub returned_to_triage: bool,
    pub reopened: bool,
}

/// Collects the cases of one group.
#[derive(Debug, Default)]
struct Tally {
    volume: u64,
    to_route: Vec<i64>,
    to_first_reply: Vec<i64>,
    to_resolution: Vec<i64>,
    resolved: u64,
    reassigned: u64,
    auto_routed: u64,
    auto_routed_later_corrected: u64,
    returned_to_triage: u64,
    finished: u64,
    reopened: u64,
    rated: u64,
    satisfaction_sum: i64,
    with_due_times: u64,
    deadlines: DeadlineCompliance,
}

impl Tally {
    fn add(&mut self, case: &CaseFacts, now: DateTime<Utc>) {
        let since_created = |at: DateTime<Utc>| (at - case.created_at).num_milliseconds();
        let history = case.history;
        self.volume += 1;
        self.to_route.extend(case.routed_at.map(since_created));
        self.to_first_reply
            .extend(case.first_replied_at.map(since_created));
        self.to_resolution
            .extend(case.resolved_at.map(since_created));
        self.resolved += u64::from(case.resolved_at.is_some());
        self.reassigned += u64::from(history.reassigned);
        self.auto_routed += u64::from(history.auto_routed);
        self.auto_routed_later_corrected +=
            u64::from(history.auto_routed && (history.reassigned || history.returned_to_triage));
        self.returned_to_triage += u64::from(history.returned_to_triage);
        self.finished += u64::from(case.finished_now || history.reopened);
        self.reopened += u64::from(history.reopened);
        if let Some(score) = case.satisfaction {
            self.rated += 1;
            self.satisfaction_sum += i64::from(score);
        }
        self.with_due_times +=
            u64::from(case.first_reply_due_at.is_some() || case.due_at.is_some());
        if let Some(met) = case.first_reply_on_time(now) {
            self.deadlines.first_reply_due += 1;
            self.deadlines.first_reply_on_time += u64::from(met);
        }
        if let Some(met) = case.resolved_on_time(now) {
            self.deadlines.resolution_due += 1;
            self.deadlines.resolution_on_time += u64::from(met);
        }
    }

    fn into_row(self, key: Option<String>) -> StatsRow {
        StatsRow {
            key,
            volume: self.volume,
            to_route: Durations::of(self.to_route),
            to_first_reply: Durations::of(self.to_first_reply),
            to_resolution: Durations::of(self.to_resolution),
            resolved: self.resolved,
            reassigned: self.reassigned,
            auto_routed: self.auto_routed,
            auto_routed_later_corrected: self.auto_routed_later_corrected,
            returned_to_triage: self.returned_to_triage,
            finished: self.finished,
            reopened: self.reopened,
            rated: self.rated,
            mean_satisfaction: (self.rated > 0)
                .then(|| self.satisfaction_sum as f64 / self.rated as f64),
            deadlines: (self.with_due_times > 0).then_some(self.deadlines),
        }
    }
}

/// The rows of each group, ordered by key (cases without a key last), and the total.
/// Deadlines are judged at `now`.
pub(crate) fn summarise(
    cases: impl IntoIterator<Item = (Option<String>, CaseFacts)>,
    now: DateTime<Utc>,
) -> (Vec<StatsRow>, StatsRow) {
    let mut groups: BTreeMap<Option<String>, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for (key, case) in cases {
        total.add(&case, now);
        groups.entry(key).or_default().add(&case, now);
    }
    let mut rows: Vec<StatsRow> = groups
        .into_iter()
        .map(|(key, tally)| tally.into_row(key))
        .collect();
    // `None` sorts first in a BTreeMap; a report reads better with it last.
    rows.sort_by_key(|row| row.key.is_none());
    (rows, total.into_row(None))
}

/// The total row alone, for a caller that groups the cases its own way.
pub(crate) fn summarise_total(
    cases: impl IntoIterator<Item = CaseFacts>,
    now: DateTime<Utc>,
) -> StatsRow {
    let mut total = Tally::default();
    for case in cases {
        total.add(&case, now);
    }
    total.into_row(None)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn nearest_rank_takes_the_value_at_the_rounded_up_rank() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 50), Some(7));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        // Even count: the lower middle value, never an average.
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3, 4, 5], 50), Some(3));
        // 90% of 4 is 3.6, rounded up to rank 4.
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 90), Some(4));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        assert_eq!(nearest_rank(&ten, 50), Some(5));
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(nearest_rank(&eleven, 90), Some(10), "9.9 rounds up to 10");
        assert_eq!(nearest_rank(&ten, 100), Some(10));
        assert_eq!(nearest_rank(&ten, 0), Some(1), "rank is at least 1");
        let hundred: Vec<i64> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 90), Some(90));
        assert_eq!(nearest_rank(&hundred, 50), Some(50));
    }

    #[test]
    fn durations_sort_before_taking_percentiles() {
        let durations = Durations::of(vec![4_000, 1_000, 3_000, 2_000]);
        assert_eq!(durations.measured, 4);
        assert_eq!(durations.median, Some(TimeDelta::seconds(2)));
        assert_eq!(durations.p90, Some(TimeDelta::seconds(4)));
        assert_eq!(Durations::of(Vec::new()), Durations::default());
        assert!((hours(TimeDelta::minutes(90)) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn shares_follow_their_own_denominators() {
        let at = |hour| Utc.with_ymd_and_hms(2026, 1, 5, hour, 0, 0).unwrap();
        let auto_corrected = CaseFacts {
            created_at: at(8),
            routed_at: Some(at(9)),
            finished_now: true,
            resolved_at: Some(at(12)),
            history: CaseHistory {
                auto_routed: true,
                reassigned: true,
                ..CaseHistory::default()
            },
            ..CaseFacts::default()
        };
        let auto_kept = CaseFacts {
            created_at: at(8),
            routed_at: Some(at(10)),
            history: CaseHistory {
                auto_routed: true,
                reopened: true,
                ..CaseHistory::default()
            },
            ..CaseFacts::default()
        };
        let to_triage = CaseFacts {
            created_at: at(8),
            history: CaseHistory {
                returned_to_triage: true,
                ..CaseHistory::default()
            },
            ..CaseFacts::default()
        };
        let (rows, total) = summarise(
            [
                (None, to_triage),
                (Some("b".to_owned()), auto_kept),
                (Some("a".to_owned()), auto_corrected),
            ],
            at(23),
        );
        let keys: Vec<Option<&str>> = rows.iter().map(|row| row.key.as_deref()).collect();
        assert_eq!(keys, [Some("a"), Some("b"), None]);
        assert_eq!(total.volume, 3);
        assert_eq!(total.auto_routed_share(), Some(2.0 / 3.0));
        assert_eq!(total.auto_routed_later_corrected_share(), Some(0.5));
        assert_eq!(total.reassignment_rate(), Some(1.0 / 3.0));
        assert_eq!(total.returned_to_triage_share(), Some(1.0 / 3.0));
        // Finished at least once: the resolved case and the reopened one.
        assert_eq!(total.reopen_rate(), Some(0.5));
        assert_eq!(total.to_route.measured, 2);
        assert_eq!(total.to_route.median, Some(TimeDelta::hours(1)));
        assert_eq!(total.to_route.p90, Some(TimeDelta::hours(2)));
        assert_eq!(total.to_resolution.median, Some(TimeDelta::hours(4)));
        assert_eq!(total.resolved, 1);
        let none = rows.last().unwrap();
        assert_eq!(none.auto_routed_later_corrected_share(), None);
        assert_eq!(none.reopen_rate(), None);
        assert_eq!(none.to_first_reply.median, None);
        assert_eq!(total.deadlines, None, "no case has due times");
        assert_eq!((total.rated, total.mean_satisfaction), (0, None));
    }

    #[test]
    fn a_deadline_is_met_missed_or_still_open() {
        let at = |hour| Utc.with_ymd_and_hms(2026, 1, 5, hour, 0, 0).unwrap();
        assert_eq!(deadline_met(None, Some(at(9)), at(12)), None, "no due time");
        assert_eq!(deadline_met(Some(at(10)), Some(at(9)), at(12)), Some(true));
        assert_eq!(deadline_met(Some(at(10)), Some(at(10)), at(12)), Some(true));
        assert_eq!(
            deadline_met(Some(at(10)), Some(at(11)), at(12)),
            Some(false)
        );
        assert_eq!(
            deadline_met(Some(at(10)), None, at(10)),
            Some(false),
            "passed"
        );
        assert_eq!(deadline_met(Some(at(10)), None, at(9)), None, "still open");

        let closed_unresolved = CaseFacts {
            created_at: at(8),
            finished_now: true,
            due_at: Some(at(9)),
            first_reply_due_at: Some(at(9)),
            ..CaseFacts::default()
        };
        let resolved_late = CaseFacts {
            created_at: at(8),
            first_replied_at: Some(at(9)),
            resolved_at: Some(at(11)),
            finished_now: true,
            first_reply_due_at: Some(at(10)),
            due_at: Some(at(10)),
            ..CaseFacts::default()
        };
        let (_, total) = summarise([(None, closed_unresolved), (None, resolved_late)], at(12));
        let deadlines = total.deadlines.unwrap();
        assert_eq!(deadlines.first_reply_due, 2);
        assert_eq!(deadlines.first_reply_on_time_share(), Some(0.5));
        assert_eq!(
            deadlines.resolution_due, 1,
            "closed unresolved: no time to judge"
        );
        assert_eq!(deadlines.resolution_on_time_share(), Some(0.0));
    }
}
