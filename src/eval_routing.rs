//! `palaute eval-routing`: train the routing models on past cases and score them on
//! others.
//!
//! Input files are either JSONL shaped like Helsinki's Open311 export (`description`
//! and `agency_responsible` required; `title`, `service_code` and `requested_datetime`
//! used where present) or CSV with the header `sentence,ministry`, where the ministry is
//! the label and there is no category. Either may be bzip2-compressed (`.bz2`).
//!
//! Three models are trained: `unit` (text and, where the record has it, the category,
//! which enters as a prior: see `TrainOptions::category_prior`), `unit_text_only` and
//! `category` (text alone). Options not given take the model's defaults. Training examples are ordered oldest
//! first, so the models calibrate on the newest fifth of the training data; the routing
//! threshold is the lowest confidence that reached `--target-precision` there, and its
//! coverage and precision are then measured on the test data.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use palaute_core::Organisation;
use palaute_routing::model::{Evaluation, FeatureSet, Model, TrainOptions, TrainingExample};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cli::EvalRoutingArgs;

/// One labelled case from an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRecord {
    pub title: Option<String>,
    pub description: String,
    /// The Open311 service code, where given.
    pub category: Option<String>,
    /// The unit code where the organisation knows the label, else the label as written.
    pub unit: String,
    /// ISO 8601, as in the file; sorts in time order.
    pub requested: Option<String>,
}

impl RoutingRecord {
    fn unit_example(&self, with_category: bool) -> TrainingExample {
        TrainingExample {
            title: self.title.clone(),
            description: self.description.clone(),
            category_code: self.category.clone().filter(|_| with_category),
            label: self.unit.clone(),
        }
    }

    fn category_example(&self) -> Option<TrainingExample> {
        Some(TrainingExample {
            title: self.title.clone(),
            description: self.description.clone(),
            category_code: None,
            label: self.category.clone()?,
        })
    }
}

pub fn run(args: &EvalRoutingArgs) -> anyhow::Result<()> {
    let organisation = Organisation::helsinki();
    let mut train = read_records(&args.train, &organisation)?;
    sort_oldest_first(&mut train);
    let (train, test, test_source) = match (&args.test, args.split_newest) {
        (Some(_), Some(_)) => bail!("give either --test or --split-newest, not both"),
        (None, None) => bail!("give --test FILE or --split-newest FRACTION"),
        (Some(file), None) => {
            let test = read_records(file, &organisation)?;
            (train, test, file.display().to_string())
        }
        (None, Some(fraction)) => {
            ensure!(
                fraction > 0.0 && fraction < 1.0,
                "--split-newest must be between 0 and 1, not {fraction}"
            );
            let (older, newest) = split_newest(train, fraction);
            let source = format!(
                "the newest {:.0}% of {}",
                fraction * 100.0,
                args.train.display()
            );
            (older, newest, source)
        }
    };
    ensure!(!train.is_empty(), "no training records");
    ensure!(!test.is_empty(), "no test records");

    let options = TrainOptions {
        features: args.features.unwrap_or_default(),
        class_balance: args.class_balance,
        ..TrainOptions::default()
    };
    let report = evaluate(&train, &test, &options, args.target_precision);
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!(
            "{}",
            report.to_table(&args.train.display().to_string(), &test_source)
        );
    }
    Ok(())
}

/// Reads a JSONL or CSV file, bzip2-compressed or not (by its name).
pub fn read_records(
    path: &Path,
    organisation: &Organisation,
) -> anyhow::Result<Vec<RoutingRecord>> {
    let name = path.to_string_lossy().to_lowercase();
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut source = String::new();
    let name = match name.strip_suffix(".bz2") {
        Some(inner) => {
            bzip2::read::BzDecoder::new(file)
                .read_to_string(&mut source)
                .with_context(|| format!("decompressing {}", path.display()))?;
            inner.to_owned()
        }
        None => {
            std::io::BufReader::new(file)
                .read_to_string(&mut source)
                .with_context(|| format!("reading {}", path.display()))?;
            name
        }
    };
    let records = if name.ends_with(".csv") {
        parse_csv_records(&source, organisation)
    } else {
        parse_jsonl_records(&source, organisation)
    };
    records.with_context(|| format!("in {}", path.display()))
}

#[derive(Deserialize)]
struct JsonRecord {
    #[serde(default)]
    title: Option<String>,
    description: String,
    #[serde(default)]
    service_code: Option<String>,
    agency_responsible: String,
    #[serde(default)]
    requested_datetime: Option<String>,
}

/// One JSON object a line; blank lines are skipped.
pub fn parse_jsonl_records(
    source: &str,
    organisation: &Organisation,
) -> anyhow::Result<Vec<RoutingRecord>> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut records = Vec::new();
    for (index, line) in source.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: JsonRecord =
            serde_json::from_str(line).with_context(|| format!("line {}", index + 1))?;
        records.push(RoutingRecord {
            title: non_empty(record.title),
            description: record.description,
            category: non_empty(record.service_code),
            unit: unit_code(&record.agency_responsible, organisation),
            requested: non_empty(record.requested_datetime),
        });
    }
    Ok(records)
}

/// CSV with a header naming the columns `sentence` and `ministry` (others ignored).
/// Fields may be quoted, with `""` for a quote inside.
pub fn parse_csv_records(
    source: &str,
    organisation: &Organisation,
) -> anyhow::Result<Vec<RoutingRecord>> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut rows = csv_rows(source);
    let Some(header) = rows.next() else {
        bail!("the file is empty: expected a header with the columns `sentence` and `ministry`");
    };
    let column = |name: &str| {
        header
            .iter()
            .position(|field| field.trim() == name)
            .with_context(|| format!("the header has no `{name}` column: {header:?}"))
    };
    let (text_column, label_column) = (column("sentence")?, column("ministry")?);
    let mut records = Vec::new();
    for (index, row) in rows.enumerate() {
        if row.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let (Some(text), Some(label)) = (row.get(text_column), row.get(label_column)) else {
            bail!("row {} has {} fields, too few", index + 2, row.len());
        };
        records.push(RoutingRecord {
            title: None,
            description: text.clone(),
            category: None,
            unit: unit_code(label, organisation),
            requested: None,
        });
    }
    Ok(records)
}

/// The rows of CSV text (RFC 4180: quoted fields may hold commas, quotes and breaks).
fn csv_rows(source: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    let mut chars = source.chars().peekable();
    std::iter::from_fn(move || {
        chars.peek()?;
        let mut row = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        while let Some(letter) = chars.next() {
            match (quoted, letter) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, letter) => field.push(letter),
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut field)),
                (false, '\r') => {}
                (false, '\n') => break,
                (false, letter) => field.push(letter),
            }
        }
        row.push(field);
        Some(row)
    })
}

fn unit_code(label: &str, organisation: &Organisation) -> String {
    organisation
        .unit_by_label(label)
        .map_or_else(|| label.trim().to_owned(), |unit| unit.code.clone())
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

/// Oldest first by `requested`; records without a time keep their file order, first.
fn sort_oldest_first(records: &mut [RoutingRecord]) {
    records.sort_by(|a, b| a.requested.cmp(&b.requested));
}

/// The older records and the newest `fraction` of them (rounded), in time order.
pub fn split_newest(
    mut records: Vec<RoutingRecord>,
    fraction: f64,
) -> (Vec<RoutingRecord>, Vec<RoutingRecord>) {
    sort_oldest_first(&mut records);
    let newest = (records.len() as f64 * fraction).round() as usize;
    let newest_records = records.split_off(records.len() - newest.min(records.len()));
    (records, newest_records)
}

/// Everything one run measures.
#[derive(Debug)]
pub struct RoutingReport {
    pub n_train: usize,
    pub n_test: usize,
    pub features: FeatureSet,
    pub target_precision: f64,
    pub unit: Evaluation,
    pub unit_text_only: Evaluation,
    /// `None` when the data has no categories.
    pub category: Option<Evaluation>,
    pub train_seconds: f64,
    /// Text-only unit predictions per second, one thread.
    pub cases_per_second: f64,
    pub baselines: Vec<(String, f64)>,
}

/// Trains the three models on `train` and scores them on `test`.
pub fn evaluate(
    train: &[RoutingRecord],
    test: &[RoutingRecord],
    options: &TrainOptions,
    target_precision: f64,
) -> RoutingReport {
    let has_categories = train.iter().any(|record| record.category.is_some());
    let unit_examples = |records: &[RoutingRecord], with_category| -> Vec<TrainingExample> {
        records
            .iter()
            .map(|record| record.unit_example(with_category))
            .collect()
    };
    let text_options = TrainOptions {
        use_category: false,
        ..*options
    };
    let started = Instant::now();
    let text_only_model = Model::train(&unit_examples(train, false), &text_options);
    // Without categories the full unit model is the text-only one.
    let unit_model = has_categories.then(|| Model::train(&unit_examples(train, true), options));
    let category_examples: Vec<TrainingExample> = train
        .iter()
        .filter_map(RoutingRecord::category_example)
        .collect();
    let category_model = has_categories.then(|| Model::train(&category_examples, &text_options));
    let train_seconds = started.elapsed().as_secs_f64();

    let test_text_only = unit_examples(test, false);
    let started = Instant::now();
    let text_only = text_only_model.evaluate(&test_text_only, None);
    let cases_per_second = test.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);

    let unit_model = unit_model.as_ref().unwrap_or(&text_only_model);
    let threshold = unit_model.threshold_for_precision(target_precision);
    let unit = unit_model.evaluate(&unit_examples(test, true), threshold);
    let category = category_model.map(|model| {
        let test_categories: Vec<TrainingExample> = test
            .iter()
            .filter_map(RoutingRecord::category_example)
            .collect();
        model.evaluate(&test_categories, None)
    });

    RoutingReport {
        n_train: train.len(),
        n_test: test.len(),
        features: options.features,
        target_precision,
        unit,
        unit_text_only: text_only,
        category,
        train_seconds,
        cases_per_second,
        baselines: baselines(train, test),
    }
}

/// Unit accuracy of the simple rules the model must beat, fitted on `train`.
fn baselines(train: &[RoutingRecord], test: &[RoutingRecord]) -> Vec<(String, f64)> {
    let most_common = |labels: &mut dyn Iterator<Item = &str>| {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for label in labels {
            *counts.entry(label).or_default() += 1;
        }
        // Ties go to the label that sorts first.
        counts
            .into_iter()
            .fold(
                None,
                |best: Option<(&str, usize)>, (label, count)| match best {
                    Some((_, best_count)) if best_count >= count => best,
                    _ => Some((label, count)),
                },
            )
            .map(|(label, _)| label.to_owned())
    };
    let Some(majority) = most_common(&mut train.iter().map(|record| record.unit.as_str())) else {
        return Vec::new();
    };
    let accuracy = |guess: &dyn Fn(&RoutingRecord) -> String| {
        test.iter()
            .filter(|record| guess(record) == record.unit)
            .count() as f64
            / test.len().max(1) as f64
    };
    let mut baselines = vec![(
        "always the most common unit".to_owned(),
        accuracy(&|_| majority.clone()),
    )];
    if train.iter().any(|record| record.category.is_some()) {
        let mut by_category: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for record in train {
            if let Some(category) = &record.category {
                by_category.entry(category).or_default().push(&record.unit);
            }
        }
        let unit_of_category: BTreeMap<&str, String> = by_category
            .into_iter()
            .filter_map(|(category, units)| Some((category, most_common(&mut units.into_iter())?)))
            .collect();
        baselines.push((
            "category → its most common unit".to_owned(),
            accuracy(&|record| {
                record
                    .category
                    .as_deref()
                    .and_then(|category| unit_of_category.get(category))
                    .unwrap_or(&majority)
                    .clone()
            }),
        ));
    }
    baselines
}

impl RoutingReport {
    /// The contract scripts read: these keys and no others.
    pub fn to_json(&self) -> Value {
        let category = self.category.as_ref();
        json!({
            "unit": {
                "accuracy": self.unit.accuracy,
                "macro_f1": self.unit.macro_f1,
                "coverage_at_threshold": self.unit.coverage_at_threshold,
                "precision_at_threshold": self.unit.precision_at_threshold,
            },
            "unit_text_only": {
                "accuracy": self.unit_text_only.accuracy,
                "macro_f1": self.unit_text_only.macro_f1,
            },
            "category": {
                "accuracy": category.map(|evaluation| evaluation.accuracy),
                "macro_f1": category.map(|evaluation| evaluation.macro_f1),
            },
            "n_train": self.n_train,
            "n_test": self.n_test,
            "train_seconds": self.train_seconds,
        })
    }

    pub fn to_table(&self, train_source: &str, test_source: &str) -> String {
        use std::fmt::Write;
        let percent = |value: f64| format!("{:.1}%", value * 100.0);
        let mut out = String::new();
        let _ = writeln!(out, "train: {} cases from {train_source}", self.n_train);
        let _ = writeln!(out, "test:  {} cases from {test_source}", self.n_test);
        let _ = writeln!(out, "features: {}\n", self.features.name());
        let _ = writeln!(
            out,
            "{:<44} {:>9} {:>9} {:>6}",
            "model", "accuracy", "macro-F1", "ECE"
        );
        let mut row = |name: &str, evaluation: &Evaluation| {
            let _ = writeln!(
                out,
                "{name:<44} {:>9} {:>9.3} {:>6.3}",
                percent(evaluation.accuracy),
                evaluation.macro_f1,
                evaluation.expected_calibration_error
            );
        };
        row("unit (text + category)", &self.unit);
        row("unit (text only)", &self.unit_text_only);
        match &self.category {
            Some(category) => row("category (text only)", category),
            None => {
                let _ = writeln!(
                    out,
                    "{:<44} {:>9}",
                    "category", "(no categories in the data)"
                );
            }
        }
        for (name, accuracy) in &self.baselines {
            let _ = writeln!(
                out,
                "{:<44} {:>9}",
                format!("baseline: {name}"),
                percent(*accuracy)
            );
        }
        let _ = writeln!(out);
        match self.unit.threshold {
            Some(threshold) => {
                let _ = writeln!(
                    out,
                    "routing threshold {threshold:.3} (lowest reaching precision {} on the newest fifth of the training data)",
                    percent(self.target_precision)
                );
                let _ = writeln!(
                    out,
                    "on the test data it routes {} of the cases automatically, {} of them right",
                    percent(self.unit.coverage_at_threshold),
                    self.unit
                        .precision_at_threshold
                        .map_or_else(|| "none".to_owned(), percent)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "no confidence reached precision {} on the validation slice: every case goes to triage",
                    percent(self.target_precision)
                );
            }
        }
        let _ = writeln!(
            out,
            "training: {:.2} s for all models; classifying: {:.0} cases/s on one core\n",
            self.train_seconds, self.cases_per_second
        );
        let _ = writeln!(
            out,
            "{:<48} {:>7} {:>8} {:>9}",
            "unit (text + category model)", "support", "recall", "precision"
        );
        for label in self.unit.labels.iter().filter(|label| label.support > 0) {
            let _ = writeln!(
                out,
                "{:<48} {:>7} {:>8} {:>9}",
                label.label,
                label.support,
                percent(label.recall),
                percent(label.precision)
            );
        }
        out
    }
}

/// Parses a feature-set name as printed by [`FeatureSet::name`]: "words", "stems",
/// "char3-5", or several joined by "+".
pub fn parse_features(name: &str) -> Result<FeatureSet, String> {
    let mut features = FeatureSet {
        char_ngrams: None,
        words: false,
        stems: false,
    };
    for part in name.split('+') {
        match part.trim() {
            "words" => features.words = true,
            "stems" => features.stems = true,
            part => {
                let range = part
                    .strip_prefix("char")
                    .and_then(|range| range.split_once('-'))
                    .and_then(|(min, max)| Some((min.parse().ok()?, max.parse().ok()?)))
                    .filter(|&(min, max): &(u8, u8)| 1 <= min && min <= max && max <= 10)
                    .ok_or_else(|| {
                        format!("unknown feature {part:?}: use words, stems, charN-M joined by +")
                    })?;
                features.char_ngrams = Some(palaute_routing::model::NgramRange {
                    min: range.0,
                    max: range.1,
                });
            }
        }
    }
    Ok(features)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_may_be_quoted() {
        let source = "sentence,ministry\n\"Hei, \"\"maailma\"\" .\",ulkoministeri\nToinen lause .,sisäministeri\r\n";
        let records = parse_csv_records(source, &Organisation::helsinki()).expect("parses");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].description, "Hei, \"maailma\" .");
        assert_eq!(records[0].unit, "ulkoministeri");
        assert_eq!(records[1].unit, "sisäministeri");
    }

    #[test]
    fn jsonl_labels_become_unit_codes_and_missing_fields_are_fine() {
        let source = concat!(
            r#"{"description": "Kuoppa", "agency_responsible": "Rakennusvirasto", "service_code": "171", "requested_datetime": "2015-01-02T00:00:00Z"}"#,
            "\n\n",
            r#"{"description": "Jotain", "agency_responsible": "Tuntematon virasto"}"#,
            "\n"
        );
        let organisation = Organisation::helsinki();
        let records = parse_jsonl_records(source, &organisation).expect("parses");
        assert_eq!(records.len(), 2);
        let expected = organisation
            .unit_by_label("Rakennusvirasto")
            .map(|unit| unit.code.clone());
        assert_eq!(Some(records[0].unit.clone()), expected);
        assert_eq!(records[0].category.as_deref(), Some("171"));
        assert_eq!(records[1].unit, "Tuntematon virasto");
        assert_eq!(records[1].category, None);
        let error =
            parse_jsonl_records("{\"description\": \"x\"}", &organisation).expect_err("no label");
        assert!(format!("{error:#}").contains("line 1"), "{error:#}");
    }

    #[test]
    fn the_newest_fraction_is_split_off_by_time() {
        let record = |time: &str| RoutingRecord {
            title: None,
            description: time.to_owned(),
            category: None,
            unit: "u".to_owned(),
            requested: Some(time.to_owned()),
        };
        let records = ["2015-03", "2015-01", "2015-05", "2015-02", "2015-04"]
            .map(record)
            .to_vec();
        let (older, newest) = split_newest(records, 0.4);
        let times = |records: &[RoutingRecord]| -> Vec<String> {
            records.iter().map(|r| r.description.clone()).collect()
        };
        assert_eq!(times(&older), ["2015-01", "2015-02", "2015-03"]);
        assert_eq!(times(&newest), ["2015-04", "2015-05"]);
    }

    #[test]
    fn feature_names_round_trip() {
        for features in FeatureSet::VARIANTS {
            assert_eq!(parse_features(&features.name()), Ok(features));
        }
        assert!(parse_features("char5-3").is_err());
    }

    #[test]
    fn the_json_report_has_the_contracted_keys_and_no_others() {
        let record = |text: &str, unit: &str, category: &str| RoutingRecord {
            title: None,
            description: text.to_owned(),
            category: Some(category.to_owned()),
            unit: unit.to_owned(),
            requested: None,
        };
        let records: Vec<RoutingRecord> = (0..10)
            .flat_map(|_| {
                [
                    record("katulamppu rikki", "stara", "171"),
                    record("kirja puuttuu", "kirjasto", "180"),
                ]
            })
            .collect();
        let report = evaluate(&records, &records, &TrainOptions::default(), 0.9);
        let json = report.to_json();
        let keys = |value: &Value| -> Vec<String> {
            let mut keys: Vec<String> = value
                .as_object()
                .map(|object| object.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        assert_eq!(
            keys(&json),
            [
                "category",
                "n_test",
                "n_train",
                "train_seconds",
                "unit",
                "unit_text_only"
            ]
        );
        assert_eq!(
            keys(&json["unit"]),
            [
                "accuracy",
                "coverage_at_threshold",
                "macro_f1",
                "precision_at_threshold"
            ]
        );
        assert_eq!(keys(&json["unit_text_only"]), ["accuracy", "macro_f1"]);
        assert_eq!(keys(&json["category"]), ["accuracy", "macro_f1"]);
        assert_eq!(json["unit"]["accuracy"], 1.0);
    }
}
