//! Deadlines the organisation promises: a first reply and a resolution within so many
//! working days of receiving a case, with a warning some working days before each.
//!
//! The organisation file holds a default and overrides per category and/or unit; the
//! most specific override that sets a field wins, field by field (unit and category
//! together, then category, then unit, then the default). Deadlines are counted from
//! the moment the resident submitted the case, in working time ([`Calendar`]), so a
//! case that waits in triage or moves between units keeps the clock it started with.

use std::collections::HashSet;

use chrono::{DateTime, NaiveTime, Utc};
use serde::Deserialize;

use crate::calendar::Calendar;

const DEFAULT_FIRST_REPLY_DAYS: u32 = 5;
const DEFAULT_RESOLUTION_DAYS: u32 = 20;
const DEFAULT_WARNING_DAYS: u32 = 1;
/// A year of working days: beyond it a deadline is a typo, not a promise.
const MAX_DAYS: u32 = 250;

/// The `[deadlines]` table of an organisation file. Every field is optional.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    #[serde(default)]
    pub working_hours: WorkingHours,
    #[serde(default = "default_first_reply_days")]
    pub first_reply_working_days: u32,
    #[serde(default = "default_resolution_days")]
    pub resolution_working_days: u32,
    /// How many working days before a deadline the handler is warned; 0: no warning.
    #[serde(default = "default_warning_days")]
    pub warning_working_days: u32,
    #[serde(default)]
    pub overrides: Vec<DeadlineOverride>,
}

/// Local Helsinki office hours, `"HH:MM"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    pub start: String,
    pub end: String,
}

/// Deadlines for the cases of a category, of a unit, or of a category in a unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineOverride {
    pub unit: Option<String>,
    pub category: Option<String>,
    pub first_reply_working_days: Option<u32>,
    pub resolution_working_days: Option<u32>,
    pub warning_working_days: Option<u32>,
}

/// The deadlines that apply to one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineRule {
    pub first_reply_working_days: u32,
    pub resolution_working_days: u32,
    pub warning_working_days: u32,
}

/// When a case's deadlines fall, and when their warnings are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimes {
    pub first_reply_due_at: DateTime<Utc>,
    /// `None` when the rule warns no one.
    pub first_reply_warning_at: Option<DateTime<Utc>>,
    pub due_at: DateTime<Utc>,
    pub due_warning_at: Option<DateTime<Utc>>,
}

fn default_first_reply_days() -> u32 {
    DEFAULT_FIRST_REPLY_DAYS
}

fn default_resolution_days() -> u32 {
    DEFAULT_RESOLUTION_DAYS
}

fn default_warning_days() -> u32 {
    DEFAULT_WARNING_DAYS
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            working_hours: WorkingHours::default(),
            first_reply_working_days: DEFAULT_FIRST_REPLY_DAYS,
            resolution_working_days: DEFAULT_RESOLUTION_DAYS,
            warning_working_days: DEFAULT_WARNING_DAYS,
            overrides: Vec::new(),
        }
    }
}

impl Default for WorkingHours {
    fn default() -> Self {
        Self {
            start: "08:00".to_owned(),
            end: "16:00".to_owned(),
        }
    }
}

impl Deadlines {
    /// The working-time calendar these deadlines count in. Hours that do not parse
    /// (impossible once the organisation is validated) give the default 08:00–16:00.
    pub fn calendar(&self) -> Calendar {
        self.working_hours.calendar().unwrap_or_default()
    }

    /// The rule for a case of `unit` (and `category`, if it has one).
    pub fn rule_for(&self, unit: &str, category: Option<&str>) -> DeadlineRule {
        let specificity = |rule: &DeadlineOverride| match (&rule.unit, &rule.category) {
            (Some(u), Some(c)) if u == unit && Some(c.as_str()) == category => Some(0),
            (None, Some(c)) if Some(c.as_str()) == category => Some(1),
            (Some(u), None) if u == unit => Some(2),
            _ => None,
        };
        let mut matching: Vec<(u8, &DeadlineOverride)> = self
            .overrides
            .iter()
            .filter_map(|rule| specificity(rule).map(|rank| (rank, rule)))
            .collect();
        matching.sort_by_key(|(rank, _)| *rank);
        let pick = |field: fn(&DeadlineOverride) -> Option<u32>, default: u32| {
            matching
                .iter()
                .find_map(|(_, rule)| field(rule))
                .unwrap_or(default)
        };
        DeadlineRule {
            first_reply_working_days: pick(
                |rule| rule.first_reply_working_days,
                self.first_reply_working_days,
            ),
            resolution_working_days: pick(
                |rule| rule.resolution_working_days,
                self.resolution_working_days,
            ),
            warning_working_days: pick(|rule| rule.warning_working_days, self.warning_working_days),
        }
    }

    /// The due times of a case received at `received` and now with `unit` and
    /// `category`.
    pub fn due_times(
        &self,
        received: DateTime<Utc>,
        unit: &str,
        category: Option<&str>,
    ) -> DueTimes {
        let calendar = self.calendar();
        let rule = self.rule_for(unit, category);
        let days = |count: u32| calendar.working_day() * i32::try_from(count).unwrap_or(i32::MAX);
        let warning = |due: DateTime<Utc>| {
            (rule.warning_working_days > 0)
                .then(|| calendar.subtract(due, days(rule.warning_working_days)))
        };
        let first_reply_due_at = calendar.add(received, days(rule.first_reply_working_days));
        let due_at = calendar.add(received, days(rule.resolution_working_days));
        DueTimes {
            first_reply_due_at,
            first_reply_warning_at: warning(first_reply_due_at),
            due_at,
            due_warning_at: warning(due_at),
        }
    }

    /// Every problem of the deadlines, given the organisation's unit and category
    /// codes; places start with `deadlines`.
    pub(crate) fn problems(
        &self,
        unit_codes: &HashSet<&str>,
        category_codes: &HashSet<&str>,
        problem: &mut impl FnMut(String, String),
    ) {
        self.working_hours.check("deadlines.working_hours", problem);
        let default = DeadlineRule {
            first_reply_working_days: self.first_reply_working_days,
            resolution_working_days: self.resolution_working_days,
            warning_working_days: self.warning_working_days,
        };
        let mut default_valid = true;
        default.check("deadlines", &mut |place, message| {
            default_valid = false;
            problem(place, message);
        });

        let mut seen = HashSet::new();
        for (index, rule) in self.overrides.iter().enumerate() {
            let place = format!("deadlines.overrides[{index}]{}", rule.label());
            if rule.unit.is_none() && rule.category.is_none() {
                problem(place.clone(), "names neither a unit nor a category".into());
            }
            if let Some(unit) = &rule.unit
                && !unit_codes.contains(unit.as_str())
            {
                problem(format!("{place}.unit"), format!("unknown unit {unit:?}"));
            }
            if let Some(category) = &rule.category
                && !category_codes.contains(category.as_str())
            {
                problem(
                    format!("{place}.category"),
                    format!("unknown category {category:?}"),
                );
            }
            if !seen.insert((rule.unit.as_deref(), rule.category.as_deref())) {
                problem(
                    place.clone(),
                    "an earlier override names the same unit and category".into(),
                );
            }
            if !default_valid {
                // Each override would repeat the default's problem.
                continue;
            }
            // The rule as it applies to the cases it names, other overrides included.
            let effective = self.rule_for(
                rule.unit.as_deref().unwrap_or_default(),
                rule.category.as_deref(),
            );
            let effective = DeadlineRule {
                first_reply_working_days: rule
                    .first_reply_working_days
                    .unwrap_or(effective.first_reply_working_days),
                resolution_working_days: rule
                    .resolution_working_days
                    .unwrap_or(effective.resolution_working_days),
                warning_working_days: rule
                    .warning_working_days
                    .unwrap_or(effective.warning_working_days),
            };
            effective.check(&place, problem);
        }
    }
}

impl WorkingHours {
    fn calendar(&self) -> Option<Calendar> {
        Calendar::new(parse_time(&self.start)?, parse_time(&self.end)?).ok()
    }

    fn check(&self, place: &str, problem: &mut impl FnMut(String, String)) {
        let start = parse_time(&self.start);
        let end = parse_time(&self.end);
        for (field, text, parsed) in [("start", &self.start, start), ("end", &self.end, end)] {
            if parsed.is_none() {
                problem(
                    format!("{place}.{field}"),
                    format!("{text:?} is not a time of day such as \"08:00\""),
                );
            }
        }
        if let (Some(start), Some(end)) = (start, end)
            && let Err(error) = Calendar::new(start, end)
        {
            problem(place.to_owned(), error.to_string());
        }
    }
}

impl DeadlineOverride {
    /// ` (unit "hkl", category "171")`, to tell overrides apart in messages.
    fn label(&self) -> String {
        let parts: Vec<String> = [("unit", &self.unit), ("category", &self.category)]
            .into_iter()
            .filter_map(|(name, code)| code.as_ref().map(|code| format!("{name} {code:?}")))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}

impl DeadlineRule {
    fn check(&self, place: &str, problem: &mut impl FnMut(String, String)) {
        for (field, days) in [
            ("first_reply_working_days", self.first_reply_working_days),
            ("resolution_working_days", self.resolution_working_days),
        ] {
            if days == 0 || days > MAX_DAYS {
                problem(
                    format!("{place}.{field}"),
                    format!("{days} must be between 1 and {MAX_DAYS} working days"),
                );
            }
        }
        if self.resolution_working_days < self.first_reply_working_days {
            problem(
                format!("{place}.resolution_working_days"),
                format!(
                    "resolution ({} working days) cannot come before the first reply ({})",
                    self.resolution_working_days, self.first_reply_working_days
                ),
            );
        }
        if self.warning_working_days > 0
            && self.warning_working_days >= self.first_reply_working_days
        {
            problem(
                format!("{place}.warning_working_days"),
                format!(
                    "a warning {} working days ahead would come before the case arrives \
                     (first reply within {}); use fewer days, or 0 for no warning",
                    self.warning_working_days, self.first_reply_working_days
                ),
            );
        }
    }
}

/// `"8:00"`, `"08:00"` or `"16:30"`.
fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::Europe::Helsinki;

    use super::*;

    fn deadlines(source: &str) -> Deadlines {
        toml::from_str(source).unwrap()
    }

    fn hki(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
        Helsinki
            .with_ymd_and_hms(year, month, day, hour, 0, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn problems(deadlines: &Deadlines) -> Vec<String> {
        let units = HashSet::from(["hkl", "stara"]);
        let categories = HashSet::from(["171", "246"]);
        let mut found = Vec::new();
        deadlines.problems(&units, &categories, &mut |place, message| {
            found.push(format!("{place}: {message}"))
        });
        found
    }

    #[test]
    fn an_empty_table_gives_the_defaults() {
        let rule = deadlines("").rule_for("hkl", Some("171"));
        assert_eq!(
            rule,
            DeadlineRule {
                first_reply_working_days: 5,
                resolution_working_days: 20,
                warning_working_days: 1,
            }
        );
        assert!(problems(&deadlines("")).is_empty());
    }

    #[test]
    fn the_most_specific_override_wins_field_by_field() {
        let policy = deadlines(
            r#"
            first_reply_working_days = 5
            resolution_working_days = 20
            [[overrides]]
            unit = "hkl"
            resolution_working_days = 15
            warning_working_days = 2
            [[overrides]]
            category = "171"
            first_reply_working_days = 3
            resolution_working_days = 10
            [[overrides]]
            unit = "hkl"
            category = "171"
            resolution_working_days = 12
            "#,
        );
        assert!(problems(&policy).is_empty(), "{:?}", problems(&policy));
        let rule = |unit, category| policy.rule_for(unit, category);
        assert_eq!(
            rule("hkl", Some("171")),
            DeadlineRule {
                first_reply_working_days: 3,
                resolution_working_days: 12,
                warning_working_days: 2,
            }
        );
        assert_eq!(rule("stara", Some("171")).resolution_working_days, 10);
        assert_eq!(rule("hkl", Some("246")).resolution_working_days, 15);
        assert_eq!(rule("hkl", None).first_reply_working_days, 5);
        assert_eq!(rule("stara", None).resolution_working_days, 20);
    }

    #[test]
    fn due_times_count_working_days_from_receipt() {
        let policy = Deadlines::default();
        // Monday 7 September 2026 10:00: first reply in 5 working days (next Monday
        // 10:00), resolution in 20 (Monday 5 October 10:00), each warned a working day
        // earlier.
        let due = policy.due_times(hki(2026, 9, 7, 10), "hkl", None);
        assert_eq!(due.first_reply_due_at, hki(2026, 9, 14, 10));
        assert_eq!(due.first_reply_warning_at, Some(hki(2026, 9, 11, 10)));
        assert_eq!(due.due_at, hki(2026, 10, 5, 10));
        assert_eq!(due.due_warning_at, Some(hki(2026, 10, 2, 10)));

        let silent = deadlines("warning_working_days = 0");
        let due = silent.due_times(hki(2026, 9, 7, 10), "hkl", None);
        assert_eq!(due.first_reply_warning_at, None);
        assert_eq!(due.due_warning_at, None);
    }

    #[test]
    fn problems_name_the_offending_entry() {
        let policy = deadlines(
            r#"
            working_hours = { start = "16:00", end = "8:00" }
            [[overrides]]
            unit = "ghost"
            [[overrides]]
            category = "171"
            first_reply_working_days = 1
            [[overrides]]
            resolution_working_days = 3
            [[overrides]]
            category = "246"
            resolution_working_days = 2
            first_reply_working_days = 4
            warning_working_days = 0
            "#,
        );
        let found = problems(&policy);
        for expected in [
            "deadlines.working_hours: working hours must start before they end",
            "deadlines.overrides[0] (unit \"ghost\").unit: unknown unit \"ghost\"",
            "deadlines.overrides[1] (category \"171\").warning_working_days: a warning 1 working days ahead",
            "deadlines.overrides[2]: names neither a unit nor a category",
            "deadlines.overrides[3] (category \"246\").resolution_working_days: resolution (2 working days) cannot come before the first reply (4)",
        ] {
            assert!(
                found.iter().any(|problem| problem.starts_with(expected)),
                "{expected:?} not in {found:#?}"
            );
        }
        assert_eq!(
            problems(&deadlines(
                "first_reply_working_days = 0\n[[overrides]]\nunit = \"hkl\""
            )),
            [
                "deadlines.first_reply_working_days: 0 must be between 1 and 250 working days",
                "deadlines.warning_working_days: a warning 1 working days ahead would come \
                 before the case arrives (first reply within 0); use fewer days, or 0 for no warning",
            ]
        );
        let bad_time = deadlines(r#"working_hours = { start = "8", end = "16:00" }"#);
        assert_eq!(
            problems(&bad_time),
            ["deadlines.working_hours.start: \"8\" is not a time of day such as \"08:00\""]
        );
    }
}
