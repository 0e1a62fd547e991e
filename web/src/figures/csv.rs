//! The figures as CSV (RFC 4180): one row per figure, with a header row. Measures and
//! channels by their stable codes, a label in the page's language, numbers with a
//! decimal point whatever the language, times in hours and shares as fractions (as
//! GraphQL's `stats` gives them); an empty value where there is no data.

use std::fmt::Write as _;

use chrono::TimeDelta;
use palaute_core::Language;
use palaute_store::hours;

use super::model::Figures;
use super::texts::{channel_name, figures_texts};

pub const HEADER: &str = "measure,label,week,channel,value,unit";

pub fn write(figures: &Figures, language: Language) -> String {
    let t = figures_texts(language);
    let mut csv = format!("{HEADER}\r\n");
    let mut row =
        |measure: &str, label: &str, week: &str, channel: &str, value: String, unit: &str| {
            let _ = write!(
                csv,
                "{},{},{},{},{},{}\r\n",
                field(measure),
                field(label),
                field(week),
                field(channel),
                field(&value),
                field(unit)
            );
        };
    for (channel_index, channel) in figures.channels.iter().enumerate() {
        for (week_index, week) in figures.weeks.iter().enumerate() {
            let cases = figures
                .counts
                .get(channel_index)
                .and_then(|row| row.get(week_index))
                .copied()
                .unwrap_or(0);
            row(
                "cases",
                channel_name(*channel, language),
                week,
                channel.code(),
                cases.to_string(),
                "cases",
            );
        }
    }
    let total = &figures.total;
    row(
        "cases_total",
        t.cases_total,
        "",
        "",
        total.volume.to_string(),
        "cases",
    );
    let in_hours = |value: Option<TimeDelta>| {
        value
            .map(|d| format!("{:.4}", hours(d)))
            .unwrap_or_default()
    };
    row(
        "time_to_route_median",
        t.time_to_route_median,
        "",
        "",
        in_hours(total.to_route.median),
        "hours",
    );
    row(
        "time_to_route_p90",
        t.time_to_route_p90,
        "",
        "",
        in_hours(total.to_route.p90),
        "hours",
    );
    row(
        "time_to_first_reply_median",
        t.time_to_first_reply_median,
        "",
        "",
        in_hours(total.to_first_reply.median),
        "hours",
    );
    row(
        "time_to_first_reply_p90",
        t.time_to_first_reply_p90,
        "",
        "",
        in_hours(total.to_first_reply.p90),
        "hours",
    );
    let fraction = |share: Option<f64>| share.map(|s| format!("{s:.4}")).unwrap_or_default();
    row(
        "routed_automatically_share",
        t.auto_routed,
        "",
        "",
        fraction(total.auto_routed_share()),
        "fraction",
    );
    row(
        "resolved_within_deadline_share",
        t.resolved_on_time,
        "",
        "",
        fraction(figures.resolved_on_time_share()),
        "fraction",
    );
    csv
}

/// A field quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use palaute_store::{ServiceFigures, StatsRow, WeekChannelCount};

    use super::*;

    #[test]
    fn every_figure_is_a_row_and_missing_data_is_empty() {
        let figures = Figures::from_store(ServiceFigures {
            weeks: vec!["2026-W01".into(), "2026-W02".into()],
            cases_by_week_and_channel: vec![WeekChannelCount {
                week: "2026-W02".into(),
                channel: "web".into(),
                cases: 3,
            }],
            total: StatsRow {
                volume: 3,
                auto_routed: 1,
                ..StatsRow::default()
            },
        });
        let csv = write(&figures, Language::Sv);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(lines[1], "cases,Webbformulär,2026-W01,web,0,cases");
        assert_eq!(lines[2], "cases,Webbformulär,2026-W02,web,3,cases");
        assert!(csv.contains("\r\ncases_total,Respons totalt,,,3,cases\r\n"));
        assert!(csv.contains(
            "\r\nrouted_automatically_share,Skickad vidare automatiskt,,,0.3333,fraction\r\n"
        ));
        assert!(
            csv.contains("\r\ntime_to_route_median,\"Tid till handläggare, median\",,,,hours\r\n")
        );
        assert!(
            csv.contains(
                "\r\nresolved_within_deadline_share,Löst inom tidsfristen,,,,fraction\r\n"
            )
        );
    }

    #[test]
    fn fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
