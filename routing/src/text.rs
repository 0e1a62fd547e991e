//! Text preparation shared by language detection and classification: normalising,
//! splitting into words, Snowball stems, and the inflectional endings that may follow a
//! noun in each language.

use palaute_core::Language;
use rust_stemmers::{Algorithm, Stemmer};

/// NFC-normalised and lowercased, so that "Ä", "ä" and "a\u{308}" compare alike.
pub(crate) fn normalize(text: &str) -> String {
    palaute_core::text::normalize(text).to_lowercase()
}

/// The words of normalised text: maximal runs of letters and digits. Hyphens and
/// apostrophes split words ("roska-astia" → "roska", "astia").
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
}

/// Where a language's stem is kept in per-language arrays.
pub(crate) fn slot(language: Language) -> usize {
    match language {
        Language::Fi => 0,
        Language::Sv => 1,
        Language::En => 2,
    }
}

/// The Snowball stem of a lowercased Swedish or English word.
///
/// Finnish gets none: its Snowball stemmer is inconsistent under consonant gradation
/// ("kuoppa" → "kuop" but "kuopan" → "kuopa") and strips derivational endings
/// ("nurminen" → "nurm", like "nurmi"), so the keyword matcher handles Finnish
/// inflection itself.
pub(crate) fn stem(word: &str, language: Language) -> Option<String> {
    let algorithm = match language {
        Language::Fi => return None,
        Language::Sv => Algorithm::Swedish,
        Language::En => Algorithm::English,
    };
    // Creating a stemmer only picks a function pointer, so there is nothing to cache.
    Some(Stemmer::create(algorithm).stem(word).into_owned())
}

pub(crate) fn is_vowel(letter: char) -> bool {
    matches!(letter, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'ä' | 'ö' | 'å')
}

/// Whether `rest` can be the inflectional ending of a noun in one of
/// `languages`: "llä" after "katu", "orna" after "gatlykt", "s" after "pothole".
pub(crate) fn is_ending(rest: &str, languages: &[Language]) -> bool {
    languages.iter().any(|language| match language {
        Language::Fi => is_finnish_ending(rest),
        Language::Sv => SWEDISH_ENDINGS.contains(&rest),
        Language::En => ENGLISH_ENDINGS.contains(&rest),
    })
}

/// A Finnish noun ending is, from the stem outwards: an optional plural marker (i, j, t),
/// a case ending, a possessive suffix and a clitic, each optional. Peeling them off from
/// the end and checking what remains keeps the lists short. Changed stem vowels are the
/// keyword matcher's business, not this function's.
pub(crate) fn is_finnish_ending(rest: &str) -> bool {
    peel(rest, FINNISH_CLITICS).any(|rest| {
        peel(rest, FINNISH_POSSESSIVES).any(|rest| {
            // A bare "t" is the nominative plural; "i" and "j" mark the plural only
            // before a case ending.
            matches!(rest, "" | "t")
                || FINNISH_CASES
                    .iter()
                    .filter_map(|case| rest.strip_suffix(case))
                    .any(|before_case| matches!(before_case, "" | "i" | "j"))
        })
    })
}

/// Swedish endings that begin with a vowel replace a final "-a" or "-e":
/// "gatlykta" → "gatlyktor", "buske" → "buskar".
pub(crate) fn is_swedish_ending_after_dropped_vowel(rest: &str) -> bool {
    rest.starts_with(is_vowel) && SWEDISH_ENDINGS.contains(&rest)
}

/// `word` itself and `word` with each ending in `endings` removed, where it has it.
fn peel<'a>(word: &'a str, endings: &'a [&str]) -> impl Iterator<Item = &'a str> {
    std::iter::once(word).chain(
        endings
            .iter()
            .filter_map(move |ending| word.strip_suffix(ending)),
    )
}

const FINNISH_CASES: &[&str] = &[
    "n", "a", "ä", "ta", "tä", "tta", "ttä", "na", "nä", "ksi", "ssa", "ssä", "sta", "stä", "lla",
    "llä", "lta", "ltä", "lle", "ne", "an", "en", "in", "on", "un", "yn", "än", "ön", "han", "hän",
    "hen", "hin", "hon", "hön", "hun", "hyn", "seen", "siin", "den", "ten", "tten", "jen", "ja",
    "jä",
];
// The third-person "-an/-en" is left out: it would let "-nen" pass as an ending.
const FINNISH_POSSESSIVES: &[&str] = &["ni", "si", "mme", "nne", "nsa", "nsä"];
const FINNISH_CLITICS: &[&str] = &["kin", "kaan", "kään", "han", "hän", "ko", "kö", "pa", "pä"];
const SWEDISH_ENDINGS: &[&str] = &[
    "", "e", "en", "et", "n", "t", "r", "ar", "er", "or", "na", "arna", "erna", "orna", "s", "ns",
    "ts", "ens", "ets", "ars", "ers", "ors", "nas", "arnas", "ernas", "ornas",
];
const ENGLISH_ENDINGS: &[&str] = &["", "s", "es"];

#[cfg(test)]
mod tests {
    use super::*;

    fn ending(rest: &str, language: Language) -> bool {
        is_ending(rest, &[language])
    }

    #[test]
    fn normalizing_composes_and_lowercases() {
        assert_eq!(normalize("  KA\u{0308}TU "), "kätu");
        assert_eq!(
            words(&normalize("Roska-astia, täynnä!")).collect::<Vec<_>>(),
            ["roska", "astia", "täynnä"]
        );
    }

    #[test]
    fn finnish_endings_are_recognised_in_layers() {
        for rest in [
            "", "n", "lla", "illa", "ista", "issamme", "ssakin", "t", "ja", "jen",
        ] {
            assert!(ending(rest, Language::Fi), "{rest:?}");
        }
        for rest in ["lamppu", "helin", "nen", "vika", "s", "o", "i"] {
            assert!(!ending(rest, Language::Fi), "{rest:?}");
        }
    }

    #[test]
    fn swedish_and_english_endings_are_those_of_nouns() {
        for rest in ["n", "en", "or", "orna", "arnas"] {
            assert!(ending(rest, Language::Sv), "{rest:?}");
        }
        assert!(ending("s", Language::En));
        assert!(!ending("ing", Language::En));
        assert!(!ending("lla", Language::Sv));
    }

    #[test]
    fn stems_use_the_language_given() {
        assert_eq!(
            stem("potholes", Language::En),
            stem("pothole", Language::En)
        );
        assert_eq!(stem("gropar", Language::Sv).as_deref(), Some("grop"));
        assert_eq!(stem("kuoppa", Language::Fi), None);
    }
}
