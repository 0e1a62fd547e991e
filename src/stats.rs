//! `palaute stats`: the service figures of the GraphQL `stats` query, as CSV or JSON
//! for reports. Every case counts (no scope): the command runs with the database's
//! own credentials.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Helsinki;
use clap::ValueEnum;
use palaute_store::{
    Durations, ServiceStats, StatsGrouping, StatsRange, StatsRangeError, StatsRequest, StatsRow,
    Store, hours,
};
use serde_json::{Map, Value, json};

use crate::cli::StatsArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    Channel,
    Unit,
    Category,
    Language,
    /// ISO week of creation in Helsinki time (2026-W05).
    Week,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Csv,
    Json,
}

/// A `--from`/`--to` value: a date (midnight in Helsinki) or an RFC 3339 instant.
pub fn parse_report_time(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        // Helsinki's clocks change at 03:00/04:00, so midnight always exists once.
        return date
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(Helsinki).earliest())
            .map(|start| start.with_timezone(&Utc))
            .ok_or_else(|| format!("{text} has no midnight in Helsinki"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "expected a date such as 2026-01-31 (midnight in Helsinki) or an instant such as 2026-01-31T08:00:00Z, not {text:?}"
            )
        })
}

pub async fn run(store: &Store, args: &StatsArgs) -> anyhow::Result<()> {
    let range = StatsRange::new(args.from, args.to).map_err(|refused| match refused {
        StatsRangeError::Empty => anyhow::anyhow!("--to must be after --from"),
        StatsRangeError::TooLong => anyhow::anyhow!(
            "--from and --to may be at most {} days apart (three years)",
            palaute_store::MAX_STATS_RANGE_DAYS
        ),
    })?;
    let request = StatsRequest {
        range,
        group_by: grouping(args.group_by),
        within_units: None,
        now: palaute_store::now(),
    };
    let stats = store
        .service_stats(&request)
        .await
        .context("computing the stats")?;
    match args.format {
        ReportFormat::Csv => print!("{}", csv(&stats)),
        ReportFormat::Json => {
            let report = json(&stats, args);
            println!(
                "{}",
                serde_json::to_string_pretty(&report).context("printing the stats")?
            );
        }
    }
    if stats.total.volume == 0 {
        // Said on stderr so that the report itself stays machine-readable.
        eprintln!("no cases were created in that range");
    }
    Ok(())
}

fn grouping(group_by: GroupBy) -> StatsGrouping {
    match group_by {
        GroupBy::Channel => StatsGrouping::Channel,
        GroupBy::Unit => StatsGrouping::Unit,
        GroupBy::Category => StatsGrouping::Category,
        GroupBy::Language => StatsGrouping::Language,
        GroupBy::Week => StatsGrouping::Week,
    }
}

/// One figure of a row: a count, or a number that may be missing.
enum Figure {
    Count(u64),
    Number(Option<f64>),
}

/// A row's figures in report order, named as in the CSV header and the JSON keys.
fn figures(row: &StatsRow) -> Vec<(&'static str, Figure)> {
    let median = |durations: &Durations| Figure::Number(durations.median.map(hours));
    let p90 = |durations: &Durations| Figure::Number(durations.p90.map(hours));
    let deadlines = row.deadlines;
    vec![
        ("volume", Figure::Count(row.volume)),
        ("median_hours_to_route", median(&row.to_route)),
        ("p90_hours_to_route", p90(&row.to_route)),
        ("median_hours_to_first_reply", median(&row.to_first_reply)),
        ("p90_hours_to_first_reply", p90(&row.to_first_reply)),
        ("median_hours_to_resolution", median(&row.to_resolution)),
        ("p90_hours_to_resolution", p90(&row.to_resolution)),
        ("replied", Figure::Count(row.to_first_reply.measured)),
        ("resolved", Figure::Count(row.resolved)),
        ("reassignment_rate", Figure::Number(row.reassignment_rate())),
        ("auto_routed_share", Figure::Number(row.auto_routed_share())),
        (
            "auto_routed_later_corrected_share",
            Figure::Number(row.auto_routed_later_corrected_share()),
        ),
        (
            "returned_to_triage_share",
            Figure::Number(row.returned_to_triage_share()),
        ),
        ("reopen_rate", Figure::Number(row.reopen_rate())),
        ("rated", Figure::Count(row.rated)),
        ("mean_satisfaction", Figure::Number(row.mean_satisfaction)),
        (
            "first_reply_on_time_share",
            Figure::Number(deadlines.and_then(|d| d.first_reply_on_time_share())),
        ),
        (
            "resolution_on_time_share",
            Figure::Number(deadlines.and_then(|d| d.resolution_on_time_share())),
        ),
    ]
}

/// Four decimals are enough for hours (a third of a second) and shares, and keep
/// reports readable.
fn rounded(number: f64) -> f64 {
    (number * 10_000.0).round() / 10_000.0
}

/// The header, a row per group (a group without a key is `(none)`), and the total
/// as `(all)`. Missing numbers are empty fields.
fn csv(stats: &ServiceStats) -> String {
    let mut header = vec!["key"];
    header.extend(figures(&stats.total).into_iter().map(|(name, _)| name));
    let mut out = header.join(",");
    out.push('\n');
    let rows = stats
        .groups
        .iter()
        .map(|row| (row.key.as_deref().unwrap_or("(none)"), row))
        .chain([("(all)", &stats.total)]);
    for (key, row) in rows {
        let mut fields = vec![csv_field(key)];
        fields.extend(figures(row).into_iter().map(|(_, figure)| match figure {
            Figure::Count(count) => count.to_string(),
            Figure::Number(number) => number.map(|n| rounded(n).to_string()).unwrap_or_default(),
        }));
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// Quotes a field that holds a comma, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn json(stats: &ServiceStats, args: &StatsArgs) -> Value {
    let row = |row: &StatsRow, with_key: bool| {
        let mut object = Map::new();
        if with_key {
            object.insert("key".into(), json!(row.key));
        }
        for (name, figure) in figures(row) {
            let value = match figure {
                Figure::Count(count) => json!(count),
                Figure::Number(number) => json!(number.map(rounded)),
            };
            object.insert(name.into(), value);
        }
        Value::Object(object)
    };
    json!({
        "from": args.from.to_rfc3339(),
        "to": args.to.to_rfc3339(),
        "group_by": format!("{:?}", args.group_by).to_lowercase(),
        "groups": stats.groups.iter().map(|group| row(group, true)).collect::<Vec<_>>(),
        "total": row(&stats.total, false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_helsinki_midnights_and_instants_are_kept() {
        assert_eq!(
            parse_report_time("2026-01-05").unwrap().to_rfc3339(),
            "2026-01-04T22:00:00+00:00"
        );
        // Summer time: UTC+3.
        assert_eq!(
            parse_report_time("2026-07-01").unwrap().to_rfc3339(),
            "2026-06-30T21:00:00+00:00"
        );
        assert_eq!(
            parse_report_time("2026-01-05T08:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-01-05T06:00:00+00:00"
        );
        let refused = parse_report_time("5.1.2026").unwrap_err();
        assert!(refused.contains("2026-01-31"), "{refused}");
        assert!(parse_report_time("2026-02-30").is_err());
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("rakennusvirasto"), "rakennusvirasto");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(rounded(1.0 / 3.0), 0.3333);
    }
}
