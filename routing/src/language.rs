//! Which of Finnish, Swedish and English a piece of feedback is written in.
//!
//! whatlang's trigram model, restricted to the three languages, is one voice; cheap
//! evidence of our own is another: very common function words, letters ("å" is
//! Swedish, "ä" and "ö" are not English) and typical endings. The language the resident
//! stated (form language, channel) is a prior that decides where the text says little.

use palaute_core::Language;
use whatlang::{Detector, Lang};

use crate::text::{normalize, slot, words};

/// How much whatlang's opinion weighs, times its own confidence.
const WHATLANG_WEIGHT: f32 = 2.0;
/// How much the stated language weighs: about one function word's worth.
const STATED_WEIGHT: f32 = 0.75;
/// Below this much evidence from the text itself, the text is taken to say nothing.
const MIN_EVIDENCE: f32 = 0.3;
/// The confidence in a stated language that the text neither confirms nor refutes.
const STATED_ONLY_CONFIDENCE: f32 = 0.4;

// Words common in two of the languages are left out ("on", "me", "alla"): they would
// speak for both.
const FINNISH_WORDS: &[&str] = &[
    "ja",
    "ei",
    "että",
    "kun",
    "ole",
    "oli",
    "ovat",
    "olla",
    "se",
    "tämä",
    "tässä",
    "tuo",
    "tai",
    "mutta",
    "myös",
    "jo",
    "vain",
    "niin",
    "kuin",
    "jos",
    "mitä",
    "mikä",
    "sen",
    "siitä",
    "sitä",
    "minä",
    "olen",
    "pitäisi",
    "voisi",
    "kiitos",
    "hei",
    "eikä",
    "vaan",
    "koska",
    "nyt",
    "enää",
    "ihan",
    "aina",
    "paljon",
    "täällä",
    "siellä",
    "kanssa",
    "joka",
    "jossa",
    "ne",
    "te",
    "hän",
    "lähellä",
    "vieressä",
    "edessä",
];
const SWEDISH_WORDS: &[&str] = &[
    "och", "är", "det", "att", "inte", "som", "en", "ett", "på", "med", "för", "av", "till", "har",
    "var", "vid", "jag", "vi", "den", "kan", "ska", "skulle", "men", "om", "så", "eller", "också",
    "finns", "här", "där", "tack", "hej", "efter", "utan", "när", "mycket", "från", "nu", "bara",
    "sig", "hon", "han", "vår", "min", "mitt", "nära",
];
const ENGLISH_WORDS: &[&str] = &[
    "the", "and", "is", "are", "was", "were", "of", "to", "in", "it", "this", "that", "there",
    "with", "for", "not", "have", "has", "be", "been", "my", "a", "an", "at", "by", "from",
    "please", "thank", "thanks", "you", "which", "would", "could", "near", "our", "its", "they",
    "we", "hello", "hi",
];

/// The language of a text, or `None` when it cannot be told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LanguageGuess {
    pub language: Option<Language>,
    /// In `[0, 1]`; 0 for an unknown language, at most 0.4 when only the stated
    /// language speaks for it.
    pub confidence: f32,
}

impl LanguageGuess {
    const UNKNOWN: LanguageGuess = LanguageGuess {
        language: None,
        confidence: 0.0,
    };
}

/// Detects the language of `text`, with `stated` (the form's or channel's language) as
/// the prior that decides short or ambiguous text.
///
/// Text without letters or without any sign of a language ("OK!", a bare link, a
/// number) gives the stated language with a low confidence, or an unknown language.
pub fn detect_language(text: &str, stated: Option<Language>) -> LanguageGuess {
    let prose = prose_only(&normalize(text));
    let evidence = gather_evidence(&prose);
    let text_evidence: f32 = evidence.iter().sum();
    if text_evidence < MIN_EVIDENCE {
        return match stated {
            Some(language) => LanguageGuess {
                language: Some(language),
                confidence: STATED_ONLY_CONFIDENCE,
            },
            None => LanguageGuess::UNKNOWN,
        };
    }
    let mut scores = evidence;
    if let Some(language) = stated {
        scores[slot(language)] += STATED_WEIGHT;
    }
    // On equal scores the stated language wins, then the order fi, sv, en.
    let mut best = stated.unwrap_or(Language::Fi);
    for language in Language::ALL {
        if scores[slot(*language)] > scores[slot(best)] {
            best = *language;
        }
    }
    let total: f32 = scores.iter().sum();
    let share = scores[slot(best)] / total;
    // More evidence, more certainty: one short word is not a sentence.
    let amount = 1.0 - (-text_evidence).exp();
    LanguageGuess {
        language: Some(best),
        confidence: (share * amount).clamp(0.0, 1.0),
    }
}

/// The text without links, e-mail addresses and handles, which are in no language.
fn prose_only(text: &str) -> String {
    text.split_whitespace()
        .filter(|chunk| {
            !(chunk.contains("://") || chunk.starts_with("www.") || chunk.contains('@'))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Evidence for each language, indexed by [`slot`].
fn gather_evidence(text: &str) -> [f32; 3] {
    let mut evidence = [0.0_f32; 3];
    if !text.chars().any(char::is_alphabetic) {
        return evidence;
    }
    let detector = Detector::with_allowlist(vec![Lang::Fin, Lang::Swe, Lang::Eng]);
    if let Some(info) = detector.detect(text) {
        let language = match info.lang() {
            Lang::Swe => Language::Sv,
            Lang::Eng => Language::En,
            _ => Language::Fi,
        };
        evidence[slot(language)] += WHATLANG_WEIGHT * info.confidence() as f32;
    }
    for word in words(text) {
        for (language, weight) in word_evidence(word) {
            evidence[slot(language)] += weight;
        }
    }
    evidence
}

/// What one lowercased word says about its language.
fn word_evidence(word: &str) -> Vec<(Language, f32)> {
    let mut evidence = Vec::new();
    for (language, function_words) in [
        (Language::Fi, FINNISH_WORDS),
        (Language::Sv, SWEDISH_WORDS),
        (Language::En, ENGLISH_WORDS),
    ] {
        if function_words.contains(&word) {
            evidence.push((language, 1.0));
        }
    }
    if word.contains('å') {
        evidence.push((Language::Sv, 1.0));
    }
    if word.contains(['ä', 'ö']) {
        // Both Nordic languages use them, Finnish far more; English never does.
        evidence.push((Language::Fi, 0.3));
        evidence.push((Language::Sv, 0.2));
    }
    let long = word.chars().count() >= 5;
    let finnish_endings = [
        "ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "ksi", "nen", "ttä",
    ];
    if long && finnish_endings.iter().any(|ending| word.ends_with(ending)) {
        evidence.push((Language::Fi, 0.5));
    }
    // Long vowels and a doubled stop before a final vowel: "katulamppu", "rikki", "tiellä".
    let finnish_sounds = ["aa", "ää", "uu", "yy", "ii", "öö", "ie", "uo", "yö"];
    if finnish_sounds.iter().any(|sound| word.contains(sound)) {
        evidence.push((Language::Fi, 0.3));
    }
    let mut letters = word.chars().rev();
    let (last, before, before_that) = (letters.next(), letters.next(), letters.next());
    if last.is_some_and(crate::text::is_vowel)
        && before == before_that
        && matches!(before, Some('k' | 'p' | 't'))
    {
        evidence.push((Language::Fi, 0.3));
    }
    let swedish_endings = ["arna", "orna", "erna", "ningen", "heten", "ligt", "tion"];
    if long && swedish_endings.iter().any(|ending| word.ends_with(ending)) {
        evidence.push((Language::Sv, 0.5));
    }
    if ["sj", "tj", "skj"]
        .iter()
        .any(|start| word.starts_with(start))
    {
        evidence.push((Language::Sv, 0.3));
    }
    let english_endings = ["ing", "tion", "ness", "ly"];
    if word.contains("th")
        || word.contains("wh")
        || (long && english_endings.iter().any(|ending| word.ends_with(ending)))
    {
        evidence.push((Language::En, 0.5));
    }
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(text: &str, stated: Option<Language>) -> Option<Language> {
        detect_language(text, stated).language
    }

    #[test]
    fn clear_sentences_are_recognised_confidently() {
        for (text, language) in [
            (
                "Katulamppu on rikki Mannerheimintiellä ja tie on pimeä",
                Language::Fi,
            ),
            (
                "Soptunnan är full och skräpet blåser omkring på gatan",
                Language::Sv,
            ),
            (
                "The streetlight outside my house has been broken for two weeks",
                Language::En,
            ),
        ] {
            let guess = detect_language(text, None);
            assert_eq!(guess.language, Some(language), "{text}");
            assert!(guess.confidence >= 0.7, "{text}: {guess:?}");
        }
    }

    #[test]
    fn short_texts_are_recognised() {
        assert_eq!(detected("Katulamppu rikki", None), Some(Language::Fi));
        assert_eq!(
            detected("Trasig gatlykta vid busshållplatsen", None),
            Some(Language::Sv)
        );
        assert_eq!(detected("Gatlyktan är trasig", None), Some(Language::Sv));
        assert_eq!(detected("Tiessä on iso kuoppa", None), Some(Language::Fi));
    }

    #[test]
    fn stated_language_decides_ambiguous_short_text() {
        for language in Language::ALL {
            for text in ["Graffiti", "Metro", "Park"] {
                let guess = detect_language(text, Some(*language));
                assert_eq!(guess.language, Some(*language), "{text}");
                assert!(guess.confidence <= 0.5, "{text}: {guess:?}");
            }
        }
    }

    #[test]
    fn clear_text_overrides_the_stated_language() {
        let guess = detect_language(
            "Päiväkodin pihalla ei ole tarpeeksi valvontaa",
            Some(Language::Sv),
        );
        assert_eq!(guess.language, Some(Language::Fi));
    }

    #[test]
    fn text_without_language_is_unknown() {
        for text in [
            "OK!",
            "https://example.com/x",
            "12345",
            "",
            "  !!! ",
            "x@example.com",
        ] {
            assert_eq!(
                detect_language(text, None),
                LanguageGuess::UNKNOWN,
                "{text:?}"
            );
            let stated = detect_language(text, Some(Language::Sv));
            assert_eq!(stated.language, Some(Language::Sv));
            assert!(stated.confidence <= 0.5);
        }
    }

    #[test]
    fn confidence_stays_in_range() {
        let long = "ja ".repeat(500);
        let guess = detect_language(&long, Some(Language::En));
        assert_eq!(guess.language, Some(Language::Fi));
        assert!((0.0..=1.0).contains(&guess.confidence));
    }

    #[test]
    fn detection_is_deterministic() {
        let text = "Roskis täynnä, please empty it";
        let first = detect_language(text, None);
        for _ in 0..5 {
            assert_eq!(detect_language(text, None), first);
        }
    }
}
