//! A small SVG chart renderer for the service figures: stacked columns (cases per
//! week by channel) and labelled horizontal bars (durations, shares). Pure: it turns
//! numbers and already-formatted text into markup, so it knows nothing of languages.
//!
//! Every chart is an `<svg role="img">` named by its `<title>` and described by its
//! `<desc>` (`aria-labelledby`), scales with its `viewBox` (CSS gives it the page's
//! width, so it fits 320 px), and draws with presentation attributes only: the pages'
//! Content-Security-Policy allows no inline `style`. Colours hold 3:1 against the white
//! background, text 4.5:1; each series also has a pattern of its own, so nothing is
//! told by colour alone, and the table under each chart holds every number.

use std::fmt::Write as _;

/// The chart's drawing width in viewBox units. Small, so that text set at
/// `FONT_SIZE` stays readable when the chart is shrunk to a phone's width.
const WIDTH: f64 = 400.0;
const FONT_SIZE: f64 = 14.0;
/// Text and axis lines: near-black on white (17:1).
pub const INK: &str = "#1a1a1a";
/// Grid lines: decoration only, the tick labels carry the values.
const GRID: &str = "#767676";

/// The series' colours, each at least 3:1 against white (tested below).
pub const SERIES_COLOURS: [&str; 8] = [
    "#0000bf", "#b04a00", "#00695c", "#6a1b9a", "#ad1457", "#2e6b00", "#4e4e4e", "#0b5a8c",
];

/// A pattern over a series' colour, so two series differ by more than hue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    Solid,
    Diagonal,
    Dots,
    Horizontal,
    Crosshatch,
    Vertical,
    BackDiagonal,
    Grid,
}

const PATTERNS: [Pattern; 8] = [
    Pattern::Solid,
    Pattern::Diagonal,
    Pattern::Dots,
    Pattern::Horizontal,
    Pattern::Crosshatch,
    Pattern::Vertical,
    Pattern::BackDiagonal,
    Pattern::Grid,
];

/// How series `index` is painted: a colour, and the `fill` value to use (a pattern's
/// `url(#…)` in the chart `chart_id`, or the plain colour for the first series).
pub fn series_fill(chart_id: &str, index: usize) -> (String, &'static str) {
    let colour = series_colour(index);
    match pattern_of(index) {
        Pattern::Solid => (colour.to_owned(), colour),
        _ => (format!("url(#{chart_id}-pattern-{index})"), colour),
    }
}

fn series_colour(index: usize) -> &'static str {
    SERIES_COLOURS
        .get(index % SERIES_COLOURS.len())
        .copied()
        .unwrap_or(INK)
}

fn pattern_of(index: usize) -> Pattern {
    PATTERNS
        .get(index % PATTERNS.len())
        .copied()
        .unwrap_or(Pattern::Solid)
}

/// A `<defs>` with the pattern of every series after the first.
fn pattern_defs(chart_id: &str, series: usize) -> String {
    let mut defs = String::from("<defs>");
    for index in 1..series {
        let strokes = match pattern_of(index) {
            Pattern::Solid => "",
            Pattern::Diagonal => "<path d=\"M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2\"/>",
            Pattern::BackDiagonal => "<path d=\"M-1,5 l2,2 M0,0 l6,6 M5,-1 l2,2\"/>",
            Pattern::Horizontal => "<path d=\"M0,3 h6\"/>",
            Pattern::Vertical => "<path d=\"M3,0 v6\"/>",
            Pattern::Crosshatch => "<path d=\"M0,3 h6 M3,0 v6\"/>",
            Pattern::Grid => "<path d=\"M0,0.5 h6 M0.5,0 v6\"/>",
            Pattern::Dots => "<circle cx=\"3\" cy=\"3\" r=\"1.2\" fill=\"#ffffff\"/>",
        };
        let _ = write!(
            defs,
            "<pattern id=\"{id}-pattern-{index}\" width=\"6\" height=\"6\" \
             patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"{colour}\"/>\
             <g stroke=\"#ffffff\" stroke-width=\"1.2\">{strokes}</g></pattern>",
            id = escape(chart_id),
            colour = series_colour(index),
        );
    }
    defs.push_str("</defs>");
    defs
}

/// What names a chart for assistive technology.
#[derive(Debug, Clone)]
pub struct ChartLabel {
    /// Unique on the page: the ids of the title, description and patterns start with it.
    pub id: String,
    pub title: String,
    pub description: String,
}

/// One stack of columns: a category's name and one value per series.
#[derive(Debug, Clone)]
pub struct StackedColumns {
    pub label: ChartLabel,
    /// The x-axis' categories (weeks), in order.
    pub categories: Vec<String>,
    /// Shown under the axis for every `label_every`-th category (the first included),
    /// so that the labels never overlap.
    pub label_every: usize,
    /// `values[series][category]`; every series as long as `categories`.
    pub series: Vec<Vec<u64>>,
    /// Writes a tick value (a count) in the page's language.
    pub format_tick: fn(u64) -> String,
}

/// Stacked columns, series drawn bottom-up in their order (the legend's order).
pub fn stacked_columns(chart: &StackedColumns) -> String {
    const HEIGHT: f64 = 240.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 10.0;
    const BOTTOM: f64 = 30.0;
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let totals: Vec<u64> = (0..chart.categories.len())
        .map(|column| {
            chart
                .series
                .iter()
                .map(|values| values.get(column).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let ticks = count_ticks(totals.iter().copied().max().unwrap_or(0));
    let top_value = ticks.last().copied().unwrap_or(1).max(1) as f64;
    let y = |value: f64| TOP + plot_height - value / top_value * plot_height;

    let mut svg = open_svg(&chart.label, HEIGHT);
    svg.push_str(&pattern_defs(&chart.label.id, chart.series.len()));
    // Horizontal grid lines with their values.
    for &tick in &ticks {
        let at = y(tick as f64);
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{right}\" y1=\"{at:.1}\" y2=\"{at:.1}\" stroke=\"{GRID}\" \
             stroke-width=\"0.5\"/><text x=\"{label_x}\" y=\"{text_y:.1}\" text-anchor=\"end\">{value}</text>",
            right = WIDTH - RIGHT,
            label_x = LEFT - 4.0,
            text_y = at + FONT_SIZE * 0.35,
            value = escape(&(chart.format_tick)(tick)),
        );
    }
    let columns = chart.categories.len().max(1) as f64;
    let slot = plot_width / columns;
    // A gap between columns while they are wide enough to afford one.
    let gap = if slot >= 4.0 { slot * 0.2 } else { 0.0 };
    for (column, category) in chart.categories.iter().enumerate() {
        let x = LEFT + slot * column as f64 + gap / 2.0;
        let mut stacked = 0u64;
        for (index, values) in chart.series.iter().enumerate() {
            let value = values.get(column).copied().unwrap_or(0);
            if value == 0 {
                continue;
            }
            let (fill, _) = series_fill(&chart.label.id, index);
            let bottom = y(stacked as f64);
            stacked += value;
            let top = y(stacked as f64);
            // A white edge keeps neighbouring segments apart.
            let _ = write!(
                svg,
                "<rect x=\"{x:.2}\" y=\"{top:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" fill=\"{fill}\" \
                 stroke=\"#ffffff\" stroke-width=\"0.5\"/>",
                w = slot - gap,
                h = bottom - top,
            );
        }
        if chart.label_every > 0 && column % chart.label_every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{cx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{name}</text>",
                cx = x + (slot - gap) / 2.0,
                ty = HEIGHT - BOTTOM + FONT_SIZE + 4.0,
                name = escape(category),
            );
        }
    }
    // The axes last, over the columns' edges.
    let _ = write!(
        svg,
        "<line x1=\"{LEFT}\" x2=\"{right}\" y1=\"{base:.1}\" y2=\"{base:.1}\" stroke=\"{INK}\"/>",
        right = WIDTH - RIGHT,
        base = y(0.0),
    );
    svg.push_str("</svg>");
    svg
}

/// One horizontal bar: its label above it, and its value written beside it.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as the page writes it, e.g. `1,5 h` or `82 %`.
    pub value_text: String,
}

#[derive(Debug, Clone)]
pub struct HorizontalBars {
    pub label: ChartLabel,
    pub bars: Vec<Bar>,
    /// The value a full-width bar stands for (e.g. 100 for shares in percent); the
    /// largest bar's value when `None`.
    pub full_scale: Option<f64>,
}

/// Horizontal bars, one under the other, each labelled in words above it: no legend
/// or colour to match, and long labels wrap no axis.
pub fn horizontal_bars(chart: &HorizontalBars) -> String {
    const ROW: f64 = 46.0;
    const BAR: f64 = 18.0;
    const VALUE_ROOM: f64 = 90.0;
    let height = ROW * chart.bars.len().max(1) as f64 + 4.0;
    let largest = chart
        .bars
        .iter()
        .map(|bar| bar.value)
        .fold(0.0_f64, f64::max);
    let scale = chart.full_scale.unwrap_or(largest);
    let track = WIDTH - VALUE_ROOM;
    let mut svg = open_svg(&chart.label, height);
    for (row, bar) in chart.bars.iter().enumerate() {
        let top = ROW * row as f64;
        let share = if scale > 0.0 && bar.value.is_finite() {
            (bar.value / scale).clamp(0.0, 1.0)
        } else {
            0.0
        };
        // Even a zero gets a sliver, so the row still shows where the bar starts.
        let width = (track * share).max(1.5);
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{label_y:.1}\">{label}</text>\
             <rect x=\"0\" y=\"{bar_y:.1}\" width=\"{width:.2}\" height=\"{BAR}\" fill=\"{colour}\"/>\
             <text x=\"{value_x:.2}\" y=\"{value_y:.1}\">{value}</text>",
            label_y = top + FONT_SIZE,
            label = escape(&bar.label),
            bar_y = top + FONT_SIZE + 5.0,
            colour = SERIES_COLOURS[0],
            value_x = width + 6.0,
            value_y = top + FONT_SIZE + 5.0 + BAR * 0.5 + FONT_SIZE * 0.35,
            value = escape(&bar.value_text),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The `<svg>` start tag with its accessible name and description.
fn open_svg(label: &ChartLabel, height: f64) -> String {
    let id = escape(&label.id);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-size=\"{FONT_SIZE}\" \
         font-family=\"system-ui, sans-serif\" fill=\"{INK}\">\
         <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
        title = escape(&label.title),
        desc = escape(&label.description),
    )
}

/// Tick values for counts from 0 to at least `max`: 1, 2 or 5 times a power of ten
/// apart, at most six of them.
pub fn count_ticks(max: u64) -> Vec<u64> {
    let mut step = 1u64;
    loop {
        for multiple in [1, 2, 5] {
            let candidate = step.saturating_mul(multiple);
            if max.div_ceil(candidate) <= 5 {
                let steps = max.div_ceil(candidate).max(1);
                return (0..=steps).map(|n| n.saturating_mul(candidate)).collect();
            }
        }
        step = step.saturating_mul(10);
    }
}

/// Text and attribute values escaped for XML (and so for HTML).
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2.1 contrast ratio of two `#rrggbb` colours; `None` for another syntax.
    fn contrast_ratio(first: &str, second: &str) -> Option<f64> {
        let (a, b) = (relative_luminance(first)?, relative_luminance(second)?);
        let (light, dark) = if a > b { (a, b) } else { (b, a) };
        Some((light + 0.05) / (dark + 0.05))
    }

    fn relative_luminance(colour: &str) -> Option<f64> {
        let hex = colour.strip_prefix('#').filter(|hex| hex.len() == 6)?;
        let channel = |range: std::ops::Range<usize>| -> Option<f64> {
            let value = f64::from(u8::from_str_radix(hex.get(range)?, 16).ok()?) / 255.0;
            Some(if value <= 0.039_28 {
                value / 12.92
            } else {
                ((value + 0.055) / 1.055).powf(2.4)
            })
        };
        Some(0.2126 * channel(0..2)? + 0.7152 * channel(2..4)? + 0.0722 * channel(4..6)?)
    }

    fn label(id: &str) -> ChartLabel {
        ChartLabel {
            id: id.into(),
            title: "Cases <by> week".into(),
            description: "Cases & channels".into(),
        }
    }

    #[test]
    fn colours_hold_their_contrast_on_white() {
        for colour in SERIES_COLOURS {
            let ratio = contrast_ratio(colour, "#ffffff").unwrap();
            assert!(ratio >= 3.0, "{colour}: {ratio:.2}:1 is under 3:1");
        }
        assert!(contrast_ratio(INK, "#ffffff").unwrap() >= 4.5);
        assert!(contrast_ratio(GRID, "#ffffff").unwrap() >= 3.0);
        assert!((contrast_ratio("#000000", "#ffffff").unwrap() - 21.0).abs() < 1e-9);
        assert_eq!(contrast_ratio("blue", "#ffffff"), None);
    }

    #[test]
    fn ticks_are_round_and_cover_the_largest_value() {
        assert_eq!(count_ticks(0), [0, 1]);
        assert_eq!(count_ticks(3), [0, 1, 2, 3]);
        assert_eq!(count_ticks(7), [0, 2, 4, 6, 8]);
        assert_eq!(count_ticks(23), [0, 5, 10, 15, 20, 25]);
        assert_eq!(count_ticks(1_234), [0, 500, 1_000, 1_500]);
        assert!(count_ticks(u64::MAX).len() <= 6);
    }

    #[test]
    fn a_column_chart_is_named_and_escaped() {
        let svg = stacked_columns(&StackedColumns {
            label: label("weekly"),
            categories: vec!["W01".into(), "W02".into(), "W03".into()],
            label_every: 2,
            series: vec![vec![1, 0, 2], vec![3, 0, 0]],
            format_tick: |value| value.to_string(),
        });
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains("role=\"img\" aria-labelledby=\"weekly-title weekly-desc\""));
        assert!(svg.contains("<title id=\"weekly-title\">Cases &lt;by&gt; week</title>"));
        assert!(svg.contains("<desc id=\"weekly-desc\">Cases &amp; channels</desc>"));
        // Three segments drawn (the zeros are not), the second series by its pattern.
        assert_eq!(svg.matches("<rect x=").count(), 3);
        assert!(svg.contains("fill=\"url(#weekly-pattern-1)\""));
        assert!(svg.contains("<pattern id=\"weekly-pattern-1\""));
        // Every other week is labelled.
        assert!(svg.contains(">W01</text>") && svg.contains(">W03</text>"));
        assert!(!svg.contains(">W02</text>"));
        assert!(!svg.contains("style="), "the CSP allows no inline style");
    }

    #[test]
    fn bars_scale_to_their_full_scale_and_carry_their_text() {
        let svg = horizontal_bars(&HorizontalBars {
            label: label("shares"),
            bars: vec![
                Bar {
                    label: "Routed automatically".into(),
                    value: 50.0,
                    value_text: "50 %".into(),
                },
                Bar {
                    label: "None".into(),
                    value: 0.0,
                    value_text: "0 %".into(),
                },
            ],
            full_scale: Some(100.0),
        });
        assert!(
            svg.contains("width=\"155.00\""),
            "half of the 310-unit track: {svg}"
        );
        assert!(svg.contains(">50 %</text>") && svg.contains(">Routed automatically</text>"));
        assert!(
            svg.contains("width=\"1.50\""),
            "a zero still shows a sliver"
        );
    }
}
