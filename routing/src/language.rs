//! Which of Finnish, Swedish and English a piece of feedback is written in.
//!
//! whatlang's trigram model, restricted to the three languages, is one voice; cheap
//! evidence of our own is another: a hand-written lexicon of each language's frequent
//! words (see [`lexicon`]), and for other words their spelling: letters ("å" is Swedish,
//! "w" is not Finnish, "ä" and "ö" are not English), how words begin and end (a Finnish
//! word neither starts nor ends with two consonants) and typical endings. Names inside
//! a sentence count for little, so Swedish text about "Kauppatori" stays Swedish. The
//! language the resident stated (form language, channel) is a prior that decides where
//! the text says little.
//!
//! On short texts whatlang's trigrams are unreliable (whatlang alone gets 91% of the
//! project's own short samples right); the lexicon is what lifts them to 98–99%
//! (`routing/tests/language_samples.rs`).

#![allow(
    clippy::indexing_slicing,
    reason = "per-language arrays have one slot per Language, and `slot` maps every Language into them"
)]

use palaute_core::Language;
use whatlang::{Detector, Lang};

use crate::text::{is_vowel, slot};

mod evaluation;
mod lexicon;

pub use evaluation::{LanguageReport, SHORT_TEXT_CHARS, evaluate};

/// How much whatlang's opinion weighs, times its own confidence.
const WHATLANG_WEIGHT: f32 = 2.0;
/// How much the stated language weighs: about one function word's worth.
const STATED_WEIGHT: f32 = 0.75;
/// Below this much evidence from the text itself, the text is taken to say nothing.
const MIN_EVIDENCE: f32 = 0.3;
/// The confidence in a stated language that the text neither confirms nor refutes.
const STATED_ONLY_CONFIDENCE: f32 = 0.4;

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
    // Case is kept: a capitalised word inside a sentence is likely a name.
    let prose = prose_only(&palaute_core::text::normalize(text));
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

/// How much a name's spelling counts against an ordinary word's: "Thanks to the staff at
/// Pirkkola" is English however Finnish "Pirkkola" looks.
const NAME_WEIGHT: f32 = 0.25;
/// Text shorter than this, in letters, without its names is given to whatlang whole.
const MIN_LETTERS_WITHOUT_NAMES: usize = 8;

/// A word of the text, lowercased, and whether it looks like a name.
struct Token {
    word: String,
    is_name: bool,
}

/// The words of `text`, split at anything but letters and digits. A word counts as a
/// name when it is capitalised but not all capitals ("HSL", "KATU") and does not begin
/// a sentence.
fn tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut sentence_start = true;
    let mut current = String::new();
    for letter in text.chars().chain(std::iter::once(' ')) {
        if letter.is_alphanumeric() {
            current.push(letter);
            continue;
        }
        if !current.is_empty() {
            let mut letters = current.chars();
            let capitalised =
                letters.next().is_some_and(char::is_uppercase) && letters.any(char::is_lowercase);
            tokens.push(Token {
                word: current.to_lowercase(),
                is_name: capitalised && !sentence_start,
            });
            current.clear();
            sentence_start = false;
        }
        if matches!(letter, '.' | '!' | '?' | ':' | ';' | '\n' | '"' | '(' | '-') {
            sentence_start = true;
        }
    }
    tokens
}

/// Evidence for each language, indexed by [`slot`].
fn gather_evidence(text: &str) -> [f32; 3] {
    let mut evidence = [0.0_f32; 3];
    if !text.chars().any(char::is_alphabetic) {
        return evidence;
    }
    let tokens = tokens(text);
    if let Some((language, weight)) = whatlang_opinion(text, &tokens) {
        evidence[slot(language)] += weight;
    }
    for token in &tokens {
        if let Some(weights) = lexicon::word_weights(&token.word) {
            for (total, weight) in evidence.iter_mut().zip(weights) {
                *total += weight;
            }
            continue;
        }
        let scale = if token.is_name { NAME_WEIGHT } else { 1.0 };
        for (language, weight) in spelling_evidence(&token.word) {
            evidence[slot(language)] += scale * weight;
        }
    }
    evidence
}

/// whatlang's choice among the three and its weight. Names are left out where enough
/// text remains, for the same reason as in [`NAME_WEIGHT`].
fn whatlang_opinion(text: &str, tokens: &[Token]) -> Option<(Language, f32)> {
    let without_names: Vec<&str> = tokens
        .iter()
        .filter(|token| !token.is_name)
        .map(|token| token.word.as_str())
        .collect();
    let letters: usize = without_names
        .iter()
        .map(|word| word.chars().filter(|c| c.is_alphabetic()).count())
        .sum();
    let detector = Detector::with_allowlist(vec![Lang::Fin, Lang::Swe, Lang::Eng]);
    let info = if letters >= MIN_LETTERS_WITHOUT_NAMES {
        detector.detect(&without_names.join(" "))
    } else {
        detector.detect(text)
    }?;
    let language = match info.lang() {
        Lang::Swe => Language::Sv,
        Lang::Eng => Language::En,
        _ => Language::Fi,
    };
    Some((language, WHATLANG_WEIGHT * info.confidence() as f32))
}

/// What the spelling of one lowercased word, not in the lexicon, says about its
/// language: letters one language lacks, how words begin and end, typical sounds.
fn spelling_evidence(word: &str) -> Vec<(Language, f32)> {
    let mut evidence = Vec::new();
    let letter_count = word.chars().count();
    // Two letters ("ok", "hi") are too few to spell anything out.
    if letter_count < 3 || !word.chars().any(char::is_alphabetic) {
        return evidence;
    }
    if word.contains('å') {
        evidence.push((Language::Sv, 1.0));
    }
    if word.contains(['ä', 'ö']) {
        // Both Nordic languages use them, Finnish far more; English never does.
        evidence.push((Language::Fi, 0.3));
        evidence.push((Language::Sv, 0.2));
    }
    // Finnish words of its own have none of these letters.
    if word.contains('w') {
        evidence.push((Language::En, 0.6));
    }
    if word.contains(['c', 'q', 'x', 'z']) && !word.contains("ck") {
        evidence.push((Language::En, 0.3));
        evidence.push((Language::Sv, 0.1));
    }

    let long = letter_count >= 5;
    let ends_with_any = |endings: &[&str]| endings.iter().any(|ending| word.ends_with(ending));
    let starts_with_any = |starts: &[&str]| starts.iter().any(|start| word.starts_with(start));

    // Finnish: case endings, long vowels and diphthongs, doubled stops, and words that
    // begin with a single consonant and end in a vowel or n, t, s.
    if long && ends_with_any(FINNISH_ENDINGS) {
        evidence.push((Language::Fi, 0.6));
    }
    let finnish_sounds = [
        "aa", "ää", "uu", "yy", "ii", "öö", "ie", "uo", "yö", "äy", "öy",
    ];
    if finnish_sounds.iter().any(|sound| word.contains(sound)) {
        evidence.push((Language::Fi, 0.3));
    }
    if ["kk", "pp"].iter().any(|stop| word.contains(stop)) {
        evidence.push((Language::Fi, 0.3));
    }
    let mut letters = word.chars();
    let starts_with_a_cluster = matches!(
        (letters.next(), letters.next()),
        (Some(first), Some(second)) if !is_vowel(first) && !is_vowel(second)
    );
    let ends_with_a_cluster = {
        let mut last = word.chars().rev();
        matches!(
            (last.next(), last.next()),
            (Some(last), Some(before)) if !is_vowel(last) && !is_vowel(before) && last.is_alphabetic()
        )
    };
    // Finnish words of its own end in a vowel or in n, t, s, l or r, and "-r" only in a
    // handful ("tytär", "sisar"); Swedish plurals and present tenses end in "-r".
    let ends_unlike_finnish = word.chars().next_back().is_some_and(|last| {
        last.is_alphabetic() && !is_vowel(last) && !matches!(last, 'n' | 't' | 's' | 'l')
    });
    if ends_unlike_finnish {
        evidence.push((Language::Sv, 0.3));
        evidence.push((Language::En, 0.3));
    }
    if starts_with_a_cluster || ends_with_a_cluster {
        // Finnish words begin and end with at most one consonant.
        evidence.push((Language::Sv, 0.2));
        evidence.push((Language::En, 0.2));
    } else if long && word.chars().all(is_finnish_letter) {
        evidence.push((Language::Fi, 0.3));
    }
    if word.contains('y') && word.contains(['ä', 'ö']) && !word.contains(['a', 'o', 'u']) {
        // Front vowels only, in harmony: "kysyä", "hyvä".
        evidence.push((Language::Fi, 0.3));
    }

    // Swedish: its sounds and its endings of definite nouns, participles and adjectives.
    if starts_with_any(&["sj", "tj", "skj", "stj", "kj"]) {
        evidence.push((Language::Sv, 0.5));
    }
    if long && ends_with_any(SWEDISH_ENDINGS) {
        evidence.push((Language::Sv, 0.5));
    }
    if word.contains(['ä', 'ö']) && (starts_with_a_cluster || ends_with_a_cluster) {
        evidence.push((Language::Sv, 0.5));
    }

    // English: its spellings and suffixes.
    if ["th", "wh", "sh", "ch", "ough", "ea", "ee"]
        .iter()
        .any(|spelling| word.contains(spelling))
    {
        evidence.push((Language::En, 0.4));
    }
    if long && ends_with_any(ENGLISH_ENDINGS) {
        evidence.push((Language::En, 0.5));
    }
    if letter_count >= 3 && word.ends_with('y') && !word.contains(['ä', 'ö']) {
        evidence.push((Language::En, 0.3));
    }
    evidence
}

fn is_finnish_letter(letter: char) -> bool {
    matches!(
        letter,
        'a' | 'd'
            | 'e'
            | 'h'
            | 'i'
            | 'j'
            | 'k'
            | 'l'
            | 'm'
            | 'n'
            | 'o'
            | 'p'
            | 'r'
            | 's'
            | 't'
            | 'u'
            | 'v'
            | 'y'
            | 'ä'
            | 'ö'
    )
}

const FINNISH_ENDINGS: &[&str] = &[
    "ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "ksi", "nen", "tta", "ttä",
    "aan", "ään", "een", "iin", "oon", "uun", "yyn", "ineen", "iden", "mme", "tte", "vat", "vät",
    "isi", "kin", "kaan", "kään", "sti", "nsa", "nsä", "ssani", "lleni",
];
const SWEDISH_ENDINGS: &[&str] = &[
    "arna", "orna", "erna", "ningen", "ningar", "heten", "ligt", "liga", "igt", "iga", "ade",
    "ande", "ende", "else", "skap", "ckt", "gt", "kt", "ad", "het",
];
const ENGLISH_ENDINGS: &[&str] = &[
    "ing", "tion", "ness", "ly", "ed", "ment", "ful", "less", "ous", "ight", "ould",
];

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
    fn one_or_two_words_are_enough() {
        for (text, language) in [
            ("Kiitos!", Language::Fi),
            ("Tack!", Language::Sv),
            ("Thanks!", Language::En),
            ("Hyvää joulua!", Language::Fi),
            ("God morgon!", Language::Sv),
            ("Good morning!", Language::En),
        ] {
            assert_eq!(detected(text, None), Some(language), "{text}");
        }
    }

    #[test]
    fn names_of_the_other_language_do_not_decide() {
        for (text, language) in [
            ("Thanks to the staff at Pirkkola sports park!", Language::En),
            ("Skräp vid Kauppatori.", Language::Sv),
            ("Gatlyktan på Kuusitie är släckt.", Language::Sv),
            ("Kiitos hyvästä palvelusta Stockmannilla.", Language::Fi),
        ] {
            assert_eq!(detected(text, None), Some(language), "{text}");
        }
    }

    #[test]
    fn capitalised_words_inside_a_sentence_are_names() {
        let names: Vec<(String, bool)> = tokens("Roskia Kaivopuistossa. Bussi HSL")
            .into_iter()
            .map(|token| (token.word, token.is_name))
            .collect();
        assert_eq!(
            names,
            [
                ("roskia".to_owned(), false),
                ("kaivopuistossa".to_owned(), true),
                ("bussi".to_owned(), false),
                ("hsl".to_owned(), false),
            ]
        );
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
