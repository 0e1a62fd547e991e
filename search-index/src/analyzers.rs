//! Text analysis for Finnish, Swedish and English, plus the case reference.
//!
//! Every language chain is `SimpleTokenizer` (splits on anything not alphanumeric, so
//! `ä`, `ö` and `å` stay inside words) → `RemoveLongFilter` → `LowerCaser` → tantivy's
//! Snowball `Stemmer` → a small language-specific rewrite of the stem where Snowball
//! leaves common inflections apart. The same chain runs at index and at query time.
//!
//! Stems observed with tantivy 0.27 (Snowball through `frostem`) and why each rewrite exists:
//!
//! * Finnish: `katulamppu`, `katulampun`, `katulamppua` → `katulampu`. Snowball's final
//!   "tidy" step already undoubles the consonant (pp → p), so the consonant gradation
//!   kk/pp/tt ↔ k/p/t needs no filter of ours. Two gaps remain, both common in street
//!   names, and [`normalise_finnish_stem`] closes them:
//!   - the gradation t ↔ d: `Runeberginkatu` → `runeberginkatu` but `Runeberginkadun` →
//!     `runeberginkadu`; we write a `d` in the stem's last syllable as `t`. Native Finnish
//!     has `d` almost only as the weak grade of `t`, so the merge costs little precision.
//!   - compounds of *tie* (road): `Mannerheimintie` → `mannerheimintie` but the genitive
//!     `Mannerheimintien` → `mannerheimint` (Snowball reads `-ien` as a plural genitive);
//!     we drop a final `ie` from stems long enough to be compounds.
//! * Swedish: Snowball has no rule for the definite singular `-an` of nouns in `-a`:
//!   `gatlykta` → `gatlyk`, but `gatlyktan` → `gatlyktan` (likewise `gatan`, `lampan`,
//!   `soptunnan`). [`SwedishDefiniteSingular`] re-stems such a stem without its `n`, except
//!   for the few nouns whose base form ends in `-an` (`plan`, `kran`, `vulkan`, …).
//! * English: Snowball alone suffices (`potholes`, `pothole` → `pothol`).
//!
//! Known gaps, left alone because a fix would need a dictionary (Voikko, hunspell): Finnish
//! `kukka` → `kuk` vs `kukan` → `kuka`, short `tie`/`tien`/`tiellä`, and Swedish `-ans`
//! words such as `ambulans`/`ambulansen`.
//!
//! Invariant: the tokenizer names carry a version. Changing what an analyzer emits means
//! bumping its name, which changes the schema, so an old index is detected on open and
//! rebuilt with `palaute reindex` instead of silently mixing two analyses.

use tantivy::tokenizer::{
    Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
    Token, TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

pub(crate) const FINNISH: &str = "palaute_fi_v1";
pub(crate) const SWEDISH: &str = "palaute_sv_v1";
pub(crate) const ENGLISH: &str = "palaute_en_v1";
/// The whole reference as one lowercased term, so `hel-2026-000123` finds `HEL-2026-000123`.
pub(crate) const REFERENCE: &str = "palaute_reference_v1";

/// Tokens longer than this many bytes are dropped. Finnish compounds run long
/// (`jalkakäytävänpuhdistusyksikkö` is 31 bytes), so tantivy's usual 40 is too tight.
const MAX_TOKEN_BYTES: usize = 80;

/// Registers this crate's analyzers under their schema names. Tokenizers are not stored
/// in the index, so this runs on every open.
pub(crate) fn register(tokenizers: &TokenizerManager) {
    tokenizers.register(FINNISH, finnish());
    tokenizers.register(SWEDISH, swedish());
    tokenizers.register(ENGLISH, english());
    tokenizers.register(
        REFERENCE,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

fn finnish() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::Finnish))
        .filter(RewriteFilter(FinnishStemNormaliser))
        .build()
}

fn swedish() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::Swedish))
        .filter(RewriteFilter(SwedishDefiniteSingular::new()))
        .build()
}

fn english() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Rewrites a (stemmed, lowercase) token in place.
trait Rewrite: Clone + Send + Sync + 'static {
    fn rewrite(&mut self, text: &mut String);
}

/// Shortest stem that [`normalise_finnish_stem`] treats as a compound ending in *tie*:
/// `katutie` qualifies, the plain word `tie` and its short forms are left to Snowball.
const SHORTEST_TIE_COMPOUND: usize = 6;

#[derive(Clone)]
struct FinnishStemNormaliser;

impl Rewrite for FinnishStemNormaliser {
    fn rewrite(&mut self, text: &mut String) {
        normalise_finnish_stem(text);
    }
}

/// Closes the two Snowball gaps described in the module documentation: a long stem's
/// final `ie` is dropped, and a `d` before the final vowels becomes `t`.
fn normalise_finnish_stem(stem: &mut String) {
    if stem.ends_with("ie") && stem.chars().count() >= SHORTEST_TIE_COMPOUND {
        stem.truncate(stem.len() - "ie".len());
    }
    let Some(last_consonant) = stem.rfind(|c: char| !is_finnish_vowel(c)) else {
        return;
    };
    let ends_in_vowel = last_consonant + 1 < stem.len();
    let after_vowel_or_h = stem[..last_consonant]
        .chars()
        .next_back()
        .is_some_and(|c| is_finnish_vowel(c) || c == 'h');
    // Only vowel-d-vowel and h-d-vowel are weak grades of t (katu/kadun, lehti/lehden);
    // `nd`, `rd` and a stem-final `d` belong to loanwords and stay as they are.
    if stem[last_consonant..].starts_with('d') && ends_in_vowel && after_vowel_or_h {
        stem.replace_range(last_consonant..last_consonant + 1, "t");
    }
}

fn is_finnish_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'ä' | 'ö')
}

/// Nouns whose base form itself ends in `-an`, matched as the last part of a compound
/// (`detaljplan`, `vattenkran`, `brandman`), so they are not taken for definite forms.
const SWEDISH_NOUNS_IN_AN: &[&str] = &[
    "altan", "divan", "gran", "kaftan", "kran", "man", "ocean", "organ", "orkan", "pelikan",
    "plan", "roman", "sopran", "sultan", "svan", "titan", "tulpan", "vulkan",
];

/// Shortest stem in `-an` taken for a definite singular: `gatan` is the shortest common
/// one, while `kan`, `man`, `plan`, `utan` are not definite forms.
const SHORTEST_SWEDISH_DEFINITE: usize = 5;

/// Maps the definite singular of Swedish nouns in `-a` onto their stem:
/// `gatlyktan` → `gatlykta` → `gatlyk`, like `gatlykta` and `gatlyktor`.
#[derive(Clone)]
struct SwedishDefiniteSingular {
    stemmer: TextAnalyzer,
}

impl SwedishDefiniteSingular {
    fn new() -> Self {
        let stemmer = TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::Swedish))
            .build();
        Self { stemmer }
    }
}

impl Rewrite for SwedishDefiniteSingular {
    fn rewrite(&mut self, text: &mut String) {
        let looks_definite = text.ends_with("an")
            && text.chars().count() >= SHORTEST_SWEDISH_DEFINITE
            && !SWEDISH_NOUNS_IN_AN.iter().any(|noun| text.ends_with(noun));
        if !looks_definite {
            return;
        }
        let indefinite = &text[..text.len() - "n".len()];
        let mut stream = self.stemmer.token_stream(indefinite);
        let stem = stream.next().map(|token| token.text.clone());
        drop(stream);
        if let Some(stem) = stem {
            *text = stem;
        }
    }
}

/// A token filter applying a [`Rewrite`] to every token.
#[derive(Clone)]
struct RewriteFilter<R>(R);

impl<R: Rewrite> TokenFilter for RewriteFilter<R> {
    type Tokenizer<T: Tokenizer> = RewriteTokenizer<T, R>;

    fn transform<T: Tokenizer>(self, inner: T) -> RewriteTokenizer<T, R> {
        RewriteTokenizer {
            inner,
            rewrite: self.0,
        }
    }
}

#[derive(Clone)]
struct RewriteTokenizer<T, R> {
    inner: T,
    rewrite: R,
}

impl<T: Tokenizer, R: Rewrite> Tokenizer for RewriteTokenizer<T, R> {
    type TokenStream<'a> = RewriteTokenStream<'a, T::TokenStream<'a>, R>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RewriteTokenStream {
            tail: self.inner.token_stream(text),
            rewrite: &mut self.rewrite,
        }
    }
}

struct RewriteTokenStream<'a, S, R> {
    tail: S,
    rewrite: &'a mut R,
}

impl<S: TokenStream, R: Rewrite> TokenStream for RewriteTokenStream<'_, S, R> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        self.rewrite.rewrite(&mut self.tail.token_mut().text);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(tokenizer: &str, text: &str) -> Vec<String> {
        let tokenizers = TokenizerManager::default();
        register(&tokenizers);
        let Some(mut analyzer) = tokenizers.get(tokenizer) else {
            panic!("{tokenizer} is registered");
        };
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
        terms
    }

    fn assert_same_stem(tokenizer: &str, words: &[&str], expected: &str) {
        for word in words {
            assert_eq!(terms(tokenizer, word), [expected], "{tokenizer}: {word}");
        }
    }

    #[test]
    fn finnish_consonant_gradation_of_doubled_stops_meets() {
        assert_same_stem(
            FINNISH,
            &[
                "Katulamppu",
                "katulampun",
                "katulamppua",
                "katulampussa",
                "katulamput",
            ],
            "katulampu",
        );
        assert_same_stem(FINNISH, &["matto", "maton", "mattoa"], "mato");
    }

    #[test]
    fn finnish_street_names_meet_across_t_d_gradation() {
        assert_same_stem(
            FINNISH,
            &[
                "Runeberginkatu",
                "Runeberginkadun",
                "Runeberginkadulla",
                "Runeberginkatua",
            ],
            "runeberginkatu",
        );
        assert_same_stem(FINNISH, &["katu", "kadun", "kadulla", "kadut"], "katu");
    }

    #[test]
    fn finnish_tie_compounds_meet_in_the_genitive() {
        assert_same_stem(
            FINNISH,
            &[
                "Mannerheimintie",
                "Mannerheimintien",
                "Mannerheimintiellä",
                "Mannerheimintietä",
            ],
            "mannerheimint",
        );
    }

    #[test]
    fn finnish_keeps_letters_with_diacritics() {
        assert_eq!(
            terms(FINNISH, "jalkakäytävä jalkakäytävällä"),
            ["jalkakäytäv", "jalkakäytäv"]
        );
    }

    #[test]
    fn swedish_definite_singular_meets_the_indefinite() {
        assert_same_stem(
            SWEDISH,
            &["gatlyktan", "gatlykta", "gatlyktor", "gatlyktans"],
            "gatlyk",
        );
        assert_same_stem(SWEDISH, &["gatan", "gata", "gator"], "gat");
        assert_same_stem(SWEDISH, &["soptunnan", "soptunna", "soptunnor"], "soptun");
    }

    #[test]
    fn swedish_nouns_ending_in_an_keep_their_stem() {
        assert_same_stem(
            SWEDISH,
            &["detaljplan", "detaljplanen", "detaljplaner"],
            "detaljplan",
        );
        assert_same_stem(SWEDISH, &["vattenkran", "vattenkranen"], "vattenkran");
        assert_eq!(terms(SWEDISH, "kan man"), ["kan", "man"]);
    }

    #[test]
    fn english_plurals_meet() {
        assert_same_stem(ENGLISH, &["potholes", "pothole", "Pothole"], "pothol");
    }

    #[test]
    fn reference_is_one_lowercase_term() {
        assert_eq!(terms(REFERENCE, "HEL-2026-000123"), ["hel-2026-000123"]);
    }
}
