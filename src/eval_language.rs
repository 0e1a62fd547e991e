//! `palaute eval-language`: how well language detection does on labelled texts.
//!
//! The input is a TSV file with a header naming at least the columns `lang` (fi, sv or
//! en) and `text`, in any order and among any others. Fields are not quoted: a text
//! cannot contain a tab or a line break.

use std::path::Path;

use anyhow::{Context, bail};
use palaute_core::Language;
use palaute_routing::{LanguageReport, SHORT_TEXT_CHARS, evaluate_language};

/// One labelled text from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledText {
    pub language: Language,
    pub text: String,
}

/// Reads `file`, detects the language of every text and prints the figures: one JSON
/// object `{"accuracy", "accuracy_short", "n", "n_short"}` with `json`, a summary with a
/// confusion matrix without.
pub fn run(file: &Path, json: bool) -> anyhow::Result<()> {
    let source =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let texts = parse_labelled_texts(&source).with_context(|| format!("in {}", file.display()))?;
    let samples: Vec<(Language, &str)> = texts
        .iter()
        .map(|labelled| (labelled.language, labelled.text.as_str()))
        .collect();
    let report = evaluate_language(&samples);
    if json {
        println!("{}", report_as_json(&report));
    } else {
        print!("{}", report_as_table(&report));
    }
    Ok(())
}

/// The labelled texts of a TSV file's contents. Blank lines are skipped; a row without
/// the two columns or with a language other than fi, sv or en is an error naming its
/// line (the header is line 1).
pub fn parse_labelled_texts(source: &str) -> anyhow::Result<Vec<LabelledText>> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut lines = source.lines().enumerate().map(|(index, line)| {
        // Files written on Windows end their lines with "\r\n".
        (index + 1, line.strip_suffix('\r').unwrap_or(line))
    });
    let Some((_, header)) = lines.find(|(_, line)| !line.trim().is_empty()) else {
        bail!("the file is empty: expected a header with the columns `lang` and `text`");
    };
    let column = |name: &str| {
        header
            .split('\t')
            .position(|field| field.trim() == name)
            .with_context(|| format!("the header has no `{name}` column: {header:?}"))
    };
    let (lang_column, text_column) = (column("lang")?, column("text")?);

    let mut texts = Vec::new();
    for (number, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let (Some(code), Some(text)) = (fields.get(lang_column), fields.get(text_column)) else {
            bail!(
                "line {number}: expected at least {} tab-separated fields, found {}",
                lang_column.max(text_column) + 1,
                fields.len()
            );
        };
        let Some(language) = Language::from_code(code.trim()) else {
            bail!("line {number}: unknown language {code:?} (expected fi, sv or en)");
        };
        texts.push(LabelledText {
            language,
            text: (*text).to_owned(),
        });
    }
    if texts.is_empty() {
        bail!("the file has a header but no texts");
    }
    Ok(texts)
}

/// The JSON object scripts read; these keys are a contract.
pub fn report_as_json(report: &LanguageReport) -> serde_json::Value {
    serde_json::json!({
        "accuracy": report.accuracy(),
        "accuracy_short": report.accuracy_short(),
        "n": report.n,
        "n_short": report.n_short,
    })
}

/// A summary for people: accuracy overall and on short texts, and which language was
/// taken for which.
pub fn report_as_table(report: &LanguageReport) -> String {
    let mut table = format!(
        "language detection: {} of {} texts right ({:.1}%)\n\
         at most {SHORT_TEXT_CHARS} characters: {} of {} right ({:.1}%)\n\n\
         rows: the labelled language; columns: the detected one\n\
         {:>8}{:>8}{:>8}{:>8}{:>9}\n",
        report.correct,
        report.n,
        100.0 * report.accuracy(),
        report.correct_short,
        report.n_short,
        100.0 * report.accuracy_short(),
        "",
        "fi",
        "sv",
        "en",
        "unknown",
    );
    for (language, row) in Language::ALL.iter().zip(report.confusion) {
        table += &format!(
            "{:>8}{:>8}{:>8}{:>8}{:>9}\n",
            language.code(),
            row[0],
            row[1],
            row[2],
            row[3]
        );
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn languages(texts: &[LabelledText]) -> Vec<Language> {
        texts.iter().map(|labelled| labelled.language).collect()
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() -> anyhow::Result<()> {
        let texts = parse_labelled_texts(
            "id\ttext\tlang\n1\tKatu on rikki\tfi\n\n2\tGatan är trasig\tsv\r\n",
        )?;
        assert_eq!(languages(&texts), [Language::Fi, Language::Sv]);
        assert_eq!(texts[1].text, "Gatan är trasig");
        Ok(())
    }

    #[test]
    fn a_byte_order_mark_does_not_hide_the_first_column() -> anyhow::Result<()> {
        let texts = parse_labelled_texts("\u{feff}lang\ttext\nen\tThanks!\n")?;
        assert_eq!(languages(&texts), [Language::En]);
        Ok(())
    }

    #[test]
    fn an_unknown_language_names_its_line() {
        let error = parse_labelled_texts("lang\ttext\nfi\tKiitos\nde\tDanke\n")
            .err()
            .map(|error| error.to_string());
        assert_eq!(
            error.as_deref(),
            Some("line 3: unknown language \"de\" (expected fi, sv or en)")
        );
    }

    #[test]
    fn a_short_row_names_its_line() {
        let error = parse_labelled_texts("text\tlang\nKiitos\n").err();
        assert!(error.is_some_and(|error| error.to_string().starts_with("line 2:")));
    }

    #[test]
    fn empty_files_and_missing_columns_are_errors() {
        for source in ["", "\n\n", "lang\ttext\n", "language\ttext\nfi\tKiitos\n"] {
            assert!(parse_labelled_texts(source).is_err(), "{source:?}");
        }
    }

    #[test]
    fn json_keeps_the_contracted_keys() {
        let report = LanguageReport {
            n: 4,
            n_short: 2,
            correct: 3,
            correct_short: 1,
            ..LanguageReport::default()
        };
        let json = report_as_json(&report);
        assert_eq!(json["accuracy"], 0.75);
        assert_eq!(json["accuracy_short"], 0.5);
        assert_eq!(json["n"], 4);
        assert_eq!(json["n_short"], 2);
        assert!(report_as_table(&report).contains("3 of 4 texts right (75.0%)"));
    }
}
