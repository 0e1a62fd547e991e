//! How often [`detect_language`] names the language a text is known to be in, overall
//! and on short texts, where detection is hardest.

use palaute_core::Language;

use super::detect_language;
use crate::text::slot;

/// Texts of at most this many characters count as short: a subject line, a tweet-length
/// note, a one-line reply.
pub const SHORT_TEXT_CHARS: usize = 40;

/// The column of [`LanguageReport::confusion`] that counts texts whose language could
/// not be told.
pub const UNKNOWN_COLUMN: usize = 3;

/// The outcome of detecting the language of labelled texts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LanguageReport {
    pub n: usize,
    pub n_short: usize,
    pub correct: usize,
    pub correct_short: usize,
    /// `confusion[actual][detected]`, both indexed fi, sv, en; the detected index
    /// [`UNKNOWN_COLUMN`] counts texts detected as no language.
    pub confusion: [[usize; 4]; 3],
}

impl LanguageReport {
    /// The share of texts detected right, in `[0, 1]`; 0 when there were none.
    pub fn accuracy(&self) -> f64 {
        share(self.correct, self.n)
    }

    /// The share of short texts detected right, in `[0, 1]`; 0 when there were none.
    pub fn accuracy_short(&self) -> f64 {
        share(self.correct_short, self.n_short)
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 / whole as f64
}

/// Detects the language of each text without a stated language, the way a text with no
/// channel language would be, and counts the outcome. An unknown language is wrong.
pub fn evaluate(samples: &[(Language, &str)]) -> LanguageReport {
    let mut report = LanguageReport::default();
    for (actual, text) in samples {
        let detected = detect_language(text, None).language;
        let right = detected == Some(*actual);
        let short = text.chars().count() <= SHORT_TEXT_CHARS;
        report.n += 1;
        report.correct += usize::from(right);
        if short {
            report.n_short += 1;
            report.correct_short += usize::from(right);
        }
        let column = detected.map_or(UNKNOWN_COLUMN, slot);
        report.confusion[slot(*actual)][column] += 1;
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_right_wrong_and_short_texts_apart() {
        let long_finnish = "Katulamppu on ollut rikki jo kaksi viikkoa Mannerheimintiellä";
        let report = evaluate(&[
            (Language::Fi, long_finnish),
            (Language::Sv, "Tack så mycket för hjälpen!"),
            // Stated wrongly on purpose: the detector is right, the label is not.
            (Language::En, "Roskakori on täynnä"),
            (Language::Fi, "OK!"),
        ]);
        assert_eq!(report.n, 4);
        assert_eq!(report.n_short, 3);
        assert_eq!(report.correct, 2);
        assert_eq!(report.correct_short, 1);
        assert_eq!(report.confusion[slot(Language::En)][slot(Language::Fi)], 1);
        assert_eq!(report.confusion[slot(Language::Fi)][UNKNOWN_COLUMN], 1);
        assert!((report.accuracy() - 0.5).abs() < 1e-9);
        assert!((report.accuracy_short() - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn the_boundary_of_short_counts_characters_not_bytes() {
        // 40 characters, more than 40 bytes.
        let forty = "ääää ".repeat(8);
        let text = forty.trim_end().to_owned() + "ä";
        assert_eq!(text.chars().count(), 40);
        let report = evaluate(&[(Language::Fi, &text)]);
        assert_eq!(report.n_short, 1);
    }

    #[test]
    fn nothing_to_evaluate_gives_zero_not_nan() {
        let report = evaluate(&[]);
        assert_eq!(report.n, 0);
        assert_eq!(report.accuracy(), 0.0);
        assert_eq!(report.accuracy_short(), 0.0);
    }
}
