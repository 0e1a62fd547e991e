//! The figures page's content in one language: the summary, each chart's SVG and the
//! table under it, and the plain words shown where a figure has no data yet.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Europe::Helsinki;
use palaute_core::Language;
use palaute_store::Durations;

use super::format::{self, TimeUnit};
use super::model::Figures;
use super::texts::{FiguresTexts, channel_name, figures_texts};
use crate::charts::{
    Bar, ChartLabel, HorizontalBars, StackedColumns, horizontal_bars, series_fill, stacked_columns,
};

/// A label and its value as the page writes it.
pub struct Item {
    pub label: &'static str,
    pub value: String,
}

/// One week's row of the cases table.
pub struct WeekRow {
    pub week: String,
    pub values: Vec<String>,
    pub total: String,
}

/// A channel in the chart's legend: its swatch (SVG markup) and name.
pub struct LegendEntry {
    pub swatch: String,
    pub name: &'static str,
}

/// A chart with its table: `chart` is `None` when there is no data, and `no_data`
/// says so in words.
pub struct ChartSection {
    pub id: &'static str,
    pub heading: &'static str,
    pub chart: Option<String>,
    pub caption: &'static str,
    pub rows: Vec<Item>,
    /// A sentence under the table: how many cases the figures rest on.
    pub note: Option<String>,
    pub no_data: &'static str,
}

pub struct FiguresView {
    pub t: &'static FiguresTexts,
    pub period: String,
    pub summary: Vec<Item>,
    pub cases_chart: Option<String>,
    pub legend: Vec<LegendEntry>,
    pub channel_names: Vec<&'static str>,
    pub week_rows: Vec<WeekRow>,
    pub channel_totals: Vec<String>,
    pub cases_total: String,
    /// Time to route, time to first reply, and the shares.
    pub sections: Vec<ChartSection>,
}

/// The words for no data, where a figure is missing.
fn or_no_data(value: Option<String>, language: Language) -> String {
    value.unwrap_or_else(|| {
        match language {
            Language::Fi => "ei tietoa",
            Language::Sv => "inga uppgifter",
            Language::En => "no data",
        }
        .to_owned()
    })
}

pub fn build(
    figures: &Figures,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    language: Language,
) -> FiguresView {
    let t = figures_texts(language);
    let total = &figures.total;
    let durations = |value: Option<TimeDelta>| {
        or_no_data(value.map(|d| format::duration(d, language)), language)
    };
    let share =
        |value: Option<f64>| or_no_data(value.map(|s| format::percent(s, language)), language);
    let summary = vec![
        Item {
            label: t.cases_total,
            value: format::count(total.volume, language),
        },
        Item {
            label: t.time_to_route_median,
            value: durations(total.to_route.median),
        },
        Item {
            label: t.time_to_route_p90,
            value: durations(total.to_route.p90),
        },
        Item {
            label: t.time_to_first_reply_median,
            value: durations(total.to_first_reply.median),
        },
        Item {
            label: t.time_to_first_reply_p90,
            value: durations(total.to_first_reply.p90),
        },
        Item {
            label: t.auto_routed,
            value: share(total.auto_routed_share()),
        },
        Item {
            label: t.resolved_on_time,
            value: share(figures.resolved_on_time_share()),
        },
    ];
    let channel_names: Vec<&'static str> = figures
        .channels
        .iter()
        .map(|channel| channel_name(*channel, language))
        .collect();
    let week_rows = figures
        .weeks
        .iter()
        .enumerate()
        .map(|(week, iso)| WeekRow {
            week: week_label(iso, language, false),
            values: figures
                .counts
                .iter()
                .map(|row| format::count(row.get(week).copied().unwrap_or(0), language))
                .collect(),
            total: format::count(figures.week_total(week), language),
        })
        .collect();
    let cases_chart = (total.volume > 0).then(|| {
        stacked_columns(&StackedColumns {
            label: ChartLabel {
                id: "cases-chart".into(),
                title: t.cases_heading.into(),
                description: t.cases_chart_description.into(),
            },
            categories: figures
                .weeks
                .iter()
                .map(|iso| week_label(iso, language, true))
                .collect(),
            // About six labels across the axis, whatever the number of weeks.
            label_every: figures.weeks.len().div_ceil(6).max(1),
            series: figures.counts.clone(),
            format_tick: match language {
                Language::Fi => |n| format::count(n, Language::Fi),
                Language::Sv => |n| format::count(n, Language::Sv),
                Language::En => |n| format::count(n, Language::En),
            },
        })
    });
    let legend = channel_names
        .iter()
        .enumerate()
        .map(|(index, name)| LegendEntry {
            swatch: swatch(index),
            name,
        })
        .collect();
    FiguresView {
        t,
        period: t
            .period_template
            .replace("{from}", &helsinki_date(from))
            .replace("{to}", &helsinki_date(to)),
        summary,
        cases_chart,
        legend,
        channel_names,
        week_rows,
        channel_totals: (0..figures.channels.len())
            .map(|channel| format::count(figures.channel_total(channel), language))
            .collect(),
        cases_total: format::count(total.volume, language),
        sections: vec![
            timing_section(
                "routing",
                t.routing_heading,
                t.routing_chart_description,
                t.no_routing,
                &total.to_route,
                language,
            ),
            timing_section(
                "first-reply",
                t.first_reply_heading,
                t.first_reply_chart_description,
                t.no_first_reply,
                &total.to_first_reply,
                language,
            ),
            shares_section(figures, language),
        ],
    }
}

/// A duration's section: median and 90th percentile as bars in one unit, and a table.
fn timing_section(
    id: &'static str,
    heading: &'static str,
    description: &'static str,
    no_data: &'static str,
    durations: &Durations,
    language: Language,
) -> ChartSection {
    let t = figures_texts(language);
    let (Some(median), Some(p90)) = (durations.median, durations.p90) else {
        return ChartSection {
            id,
            heading,
            chart: None,
            caption: heading,
            rows: Vec::new(),
            note: None,
            no_data,
        };
    };
    let unit = TimeUnit::for_longest(p90);
    let unit_name = match unit {
        TimeUnit::Seconds => t.chart_unit_seconds,
        TimeUnit::Minutes => t.chart_unit_minutes,
        TimeUnit::Hours => t.chart_unit_hours,
        TimeUnit::Days => t.chart_unit_days,
    };
    let bar = |label: &str, value: TimeDelta| Bar {
        label: label.to_owned(),
        value: unit.amount(value),
        value_text: format::in_unit(value, unit, language),
    };
    let chart = horizontal_bars(&HorizontalBars {
        label: ChartLabel {
            id: format!("{id}-chart"),
            title: format!("{heading} ({unit_name})"),
            description: description.to_owned(),
        },
        bars: vec![bar(t.median, median), bar(t.p90, p90)],
        full_scale: None,
    });
    ChartSection {
        id,
        heading,
        chart: Some(chart),
        caption: heading,
        rows: vec![
            Item {
                label: t.median,
                value: format::duration(median, language),
            },
            Item {
                label: t.p90,
                value: format::duration(p90, language),
            },
        ],
        note: Some(
            t.measured_template
                .replace("{count}", &format::count(durations.measured, language)),
        ),
        no_data,
    }
}

/// The shares: routed automatically (of every case) and resolved within the deadline
/// (of the deadlines decided). Each missing one is said in words under the chart.
fn shares_section(figures: &Figures, language: Language) -> ChartSection {
    let t = figures_texts(language);
    let auto_routed = figures.total.auto_routed_share();
    let on_time = figures.resolved_on_time_share();
    let mut bars = Vec::new();
    let mut rows = Vec::new();
    for (label, share) in [(t.auto_routed, auto_routed), (t.resolved_on_time, on_time)] {
        rows.push(Item {
            label,
            value: or_no_data(share.map(|s| format::percent(s, language)), language),
        });
        if let Some(share) = share {
            bars.push(Bar {
                label: label.to_owned(),
                value: share * 100.0,
                value_text: format::percent(share, language),
            });
        }
    }
    let note = match figures.total.deadlines {
        Some(deadlines) if deadlines.resolution_due > 0 => t
            .deadlines_template
            .replace(
                "{on_time}",
                &format::count(deadlines.resolution_on_time, language),
            )
            .replace("{due}", &format::count(deadlines.resolution_due, language)),
        _ => t.no_deadlines.to_owned(),
    };
    ChartSection {
        id: "shares",
        heading: t.shares_heading,
        chart: (!bars.is_empty()).then(|| {
            horizontal_bars(&HorizontalBars {
                label: ChartLabel {
                    id: "shares-chart".into(),
                    title: t.shares_heading.into(),
                    description: t.shares_chart_description.into(),
                },
                bars,
                full_scale: Some(100.0),
            })
        }),
        caption: t.shares_heading,
        rows,
        note: Some(note),
        no_data: t.no_cases,
    }
}

/// A legend swatch in series `index`'s fill (its pattern is defined in the chart).
fn swatch(index: usize) -> String {
    let (fill, _) = series_fill("cases-chart", index);
    format!(
        "<svg class=\"swatch\" width=\"18\" height=\"18\" viewBox=\"0 0 18 18\" aria-hidden=\"true\" \
         focusable=\"false\"><rect width=\"18\" height=\"18\" fill=\"{fill}\"/></svg>"
    )
}

/// `2026-W05` as the language writes it: `vk 5/2026` (short: `vk 5`), `v. 5/2026`,
/// `week 5, 2026` (short: `wk 5`). An unexpected text is shown as it is.
pub fn week_label(iso: &str, language: Language, short: bool) -> String {
    let Some((year, week)) = iso
        .split_once("-W")
        .and_then(|(year, week)| Some((year, week.parse::<u32>().ok()?)))
    else {
        return iso.to_owned();
    };
    match (language, short) {
        (Language::Fi, true) => format!("vk {week}"),
        (Language::Fi, false) => format!("vk {week}/{year}"),
        (Language::Sv, true) => format!("v. {week}"),
        (Language::Sv, false) => format!("v. {week}/{year}"),
        (Language::En, true) => format!("wk {week}"),
        (Language::En, false) => format!("week {week}, {year}"),
    }
}

/// A day in Helsinki as all three languages can write it: `1.12.2026`.
fn helsinki_date(at: DateTime<Utc>) -> String {
    at.with_timezone(&Helsinki).format("%-d.%-m.%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_read_naturally_in_each_language() {
        assert_eq!(week_label("2026-W05", Language::Fi, false), "vk 5/2026");
        assert_eq!(week_label("2026-W05", Language::Sv, true), "v. 5");
        assert_eq!(week_label("2026-W53", Language::En, false), "week 53, 2026");
        assert_eq!(week_label("odd", Language::En, false), "odd");
    }
}
