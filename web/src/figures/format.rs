//! Numbers as each language writes them: Finnish and Swedish group thousands with a
//! (no-break) space and use a decimal comma and `45 %`; English groups with commas and
//! writes `1.5` and `45%`.

use chrono::TimeDelta;
use palaute_core::Language;

/// A no-break space, so `1 234` and `45 %` never break across lines.
const NBSP: char = '\u{a0}';

/// A count with its thousands grouped: `12 345` (fi, sv), `12,345` (en).
pub fn count(value: u64, language: Language) -> String {
    let digits = value.to_string();
    let separator = match language {
        Language::Fi | Language::Sv => NBSP,
        Language::En => ',',
    };
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// A number with one decimal: `1,5` (fi, sv), `1.5` (en); thousands grouped.
pub fn one_decimal(value: f64, language: Language) -> String {
    let tenths = (value.abs() * 10.0).round() as u64;
    let sign = if value < 0.0 && tenths > 0 { "-" } else { "" };
    let comma = match language {
        Language::Fi | Language::Sv => ',',
        Language::En => '.',
    };
    format!(
        "{sign}{}{comma}{}",
        count(tenths / 10, language),
        tenths % 10
    )
}

/// A share (0–1) in whole percent: `45 %` (fi, sv), `45%` (en).
pub fn percent(share: f64, language: Language) -> String {
    let whole = (share.clamp(0.0, 1.0) * 100.0).round() as u64;
    match language {
        Language::Fi | Language::Sv => format!("{whole}{NBSP}%"),
        Language::En => format!("{whole}%"),
    }
}

/// The unit a set of durations is best shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    /// Seconds under a minute, minutes under an hour, hours under two days, days
    /// beyond.
    pub fn for_longest(longest: TimeDelta) -> Self {
        if longest < TimeDelta::minutes(1) {
            TimeUnit::Seconds
        } else if longest < TimeDelta::hours(1) {
            TimeUnit::Minutes
        } else if longest < TimeDelta::hours(48) {
            TimeUnit::Hours
        } else {
            TimeUnit::Days
        }
    }

    /// `duration` as a number of this unit.
    pub fn amount(self, duration: TimeDelta) -> f64 {
        let minutes = duration.num_milliseconds() as f64 / 60_000.0;
        match self {
            TimeUnit::Seconds => minutes * 60.0,
            TimeUnit::Minutes => minutes,
            TimeUnit::Hours => minutes / 60.0,
            TimeUnit::Days => minutes / (24.0 * 60.0),
        }
    }

    fn symbol(self, language: Language) -> &'static str {
        match (self, language) {
            (TimeUnit::Seconds, _) => "s",
            (TimeUnit::Minutes, _) => "min",
            (TimeUnit::Hours, _) => "h",
            (TimeUnit::Days, Language::Fi) => "vrk",
            (TimeUnit::Days, Language::Sv) => "dygn",
            (TimeUnit::Days, Language::En) => "days",
        }
    }
}

/// A duration in the unit that suits it, with one decimal: `0,4 s`, `12,5 min`,
/// `3,0 h`, `4,2 vrk`.
pub fn duration(value: TimeDelta, language: Language) -> String {
    in_unit(value, TimeUnit::for_longest(value), language)
}

/// A duration in a given unit: `0,4 h`.
pub fn in_unit(value: TimeDelta, unit: TimeUnit, language: Language) -> String {
    format!(
        "{}{NBSP}{}",
        one_decimal(unit.amount(value), language),
        unit.symbol(language)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands_the_languages_way() {
        assert_eq!(count(0, Language::Fi), "0");
        assert_eq!(count(999, Language::Fi), "999");
        assert_eq!(count(1_234, Language::Fi), "1\u{a0}234");
        assert_eq!(count(1_234_567, Language::Sv), "1\u{a0}234\u{a0}567");
        assert_eq!(count(1_234_567, Language::En), "1,234,567");
    }

    #[test]
    fn decimals_and_percents_follow_the_language() {
        assert_eq!(one_decimal(1.25, Language::Fi), "1,3");
        assert_eq!(one_decimal(1.25, Language::En), "1.3");
        assert_eq!(one_decimal(1234.0, Language::Sv), "1\u{a0}234,0");
        assert_eq!(one_decimal(-0.5, Language::En), "-0.5");
        assert_eq!(percent(0.5, Language::Fi), "50\u{a0}%");
        assert_eq!(percent(2.0 / 3.0, Language::En), "67%");
        assert_eq!(percent(1.5, Language::Sv), "100\u{a0}%");
    }

    #[test]
    fn durations_take_the_unit_that_suits_them() {
        assert_eq!(
            duration(TimeDelta::milliseconds(400), Language::Fi),
            "0,4\u{a0}s"
        );
        assert_eq!(
            duration(TimeDelta::seconds(90), Language::Fi),
            "1,5\u{a0}min"
        );
        assert_eq!(
            duration(TimeDelta::minutes(150), Language::En),
            "2.5\u{a0}h"
        );
        assert_eq!(
            duration(TimeDelta::hours(60), Language::Sv),
            "2,5\u{a0}dygn"
        );
        assert_eq!(
            in_unit(TimeDelta::minutes(6), TimeUnit::Hours, Language::Fi),
            "0,1\u{a0}h"
        );
    }
}
