//! What an import did, printed at its end: how many records became cases, how many
//! were there already, and why the others were refused, grouped by reason with the
//! first few places so that a person can find and fix them.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::records::{RecordPlace, Rejection};

/// Places listed per reason; the rest are counted.
const PLACES_SHOWN: usize = 5;

#[derive(Debug, Default)]
pub struct Summary {
    pub records: u64,
    pub imported: u64,
    /// Imported before (or twice in the files): nothing written.
    pub skipped: u64,
    rejected: BTreeMap<String, Rejected>,
    pub elapsed: Duration,
}

#[derive(Debug, Default)]
struct Rejected {
    count: u64,
    /// The first few: file, place, and what the record had.
    first: Vec<(String, RecordPlace, Option<String>)>,
}

impl Summary {
    /// The summary of an import of `records` records, before any is written.
    pub fn of(records: u64) -> Self {
        Self {
            records,
            ..Self::default()
        }
    }

    pub fn reject(&mut self, file: &str, place: RecordPlace, rejection: Rejection) {
        let group = self.rejected.entry(rejection.reason).or_default();
        group.count += 1;
        if group.first.len() < PLACES_SHOWN {
            group.first.push((file.to_owned(), place, rejection.detail));
        }
    }

    pub fn rejected(&self) -> u64 {
        self.rejected.values().map(|group| group.count).sum()
    }

    /// Records a second, each record counted whatever became of it.
    pub fn records_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.records as f64 / seconds
        } else {
            0.0
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            formatter,
            "{} records: {} imported, {} skipped (imported before), {} rejected; {:.2} s, {:.0} records/s",
            self.records,
            self.imported,
            self.skipped,
            self.rejected(),
            self.elapsed.as_secs_f64(),
            self.records_per_second()
        )?;
        for (reason, group) in &self.rejected {
            writeln!(formatter, "rejected {}: {reason}", group.count)?;
            for (file, place, detail) in &group.first {
                match detail {
                    Some(detail) => writeln!(formatter, "  {file} {place}: {detail}")?,
                    None => writeln!(formatter, "  {file} {place}")?,
                }
            }
            let unshown = group.count - group.first.len() as u64;
            if unshown > 0 {
                writeln!(formatter, "  and {unshown} more")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_are_grouped_with_their_first_places() {
        let mut summary = Summary::of(9);
        summary.imported = 2;
        summary.elapsed = Duration::from_secs(3);
        for row in 2..9 {
            summary.reject(
                "a.csv",
                RecordPlace::Row(row),
                Rejection::with_detail("invalid description", "description must not be empty"),
            );
        }
        let text = summary.to_string();
        assert!(
            text.starts_with("9 records: 2 imported, 0 skipped (imported before), 7 rejected; 3.00 s, 3 records/s\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "rejected 7: invalid description\n  a.csv row 2: description must not be empty\n"
            ),
            "{text}"
        );
        assert!(text.contains("  a.csv row 6: "), "{text}");
        assert!(!text.contains("row 7"), "{text}");
        assert!(text.ends_with("  and 2 more\n"), "{text}");
    }
}
