//! Turning a case's text into the sparse, hashed feature vector the model weighs.
//!
//! Finnish glues endings and compounds onto its words ("katulampun",
//! "katulamppuvika"), so whole words alone see each form as new. Character n-grams of
//! each word share the stem's letters across forms and compounds; Snowball stems fold
//! the regular endings. Which of them pay off is measured, not assumed: see
//! [`FeatureSet::DEFAULT`] and `palaute eval-routing --features`.

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

use crate::text::{normalize, words};

/// Which kinds of evidence the model reads from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSet {
    /// Character n-grams of each word with its start and end marked ("<katu>" gives
    /// "<ka", "kat", …), from `min` to `max` characters; `None` for none.
    pub char_ngrams: Option<NgramRange>,
    /// Whole lowercased words.
    pub words: bool,
    /// Finnish Snowball stems of the words.
    pub stems: bool,
}

/// The lengths of character n-grams, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NgramRange {
    pub min: u8,
    pub max: u8,
}

impl FeatureSet {
    /// What the model uses unless told otherwise: the best of the measured variants.
    ///
    /// On the ministry sentences (train → dev, accuracy): words 62.9%, Finnish stems
    /// 68.3%, char 3–5 72.4%, char 3–5 + stems 72.3%, all three 72.4%. On Helsinki
    /// feedback, category from text: words 38.5%, stems 44.6%, char 3–5 50.8%, with
    /// words 46.7%. Adding words or stems to n-grams buys nothing and costs time.
    pub const DEFAULT: Self = Self {
        char_ngrams: Some(NgramRange { min: 3, max: 5 }),
        words: false,
        stems: false,
    };

    /// The variants compared when choosing the default.
    pub const VARIANTS: [Self; 5] = [
        Self {
            char_ngrams: None,
            words: true,
            stems: false,
        },
        Self {
            char_ngrams: None,
            words: false,
            stems: true,
        },
        Self {
            char_ngrams: Some(NgramRange { min: 3, max: 5 }),
            words: false,
            stems: false,
        },
        Self {
            char_ngrams: Some(NgramRange { min: 3, max: 5 }),
            words: true,
            stems: false,
        },
        Self {
            char_ngrams: Some(NgramRange { min: 3, max: 5 }),
            words: true,
            stems: true,
        },
    ];

    /// A short name such as "char3-5+words".
    pub fn name(&self) -> String {
        let mut parts = Vec::new();
        if let Some(range) = self.char_ngrams {
            parts.push(format!("char{}-{}", range.min, range.max));
        }
        if self.words {
            parts.push("words".to_owned());
        }
        if self.stems {
            parts.push("stems".to_owned());
        }
        if parts.is_empty() {
            return "nothing".to_owned();
        }
        parts.join("+")
    }
}

impl Default for FeatureSet {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A feature's bucket and its value. Buckets may repeat (hash collisions); the model
/// sums them, which is what hashing means.
pub(crate) type SparseVector = Vec<(u32, f32)>;

/// Hashes text into buckets `0..2^bits`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Featurizer {
    pub(crate) features: FeatureSet,
    pub(crate) bits: u8,
    /// The value of the category feature, against a text of norm 1.
    pub(crate) category_weight: f32,
}

// Each kind of feature hashes from its own seed, so that the word "kat" and the
// n-gram "kat" fall into different buckets.
const SEED_NGRAM: u64 = 1;
const SEED_WORD: u64 = 2;
const SEED_STEM: u64 = 3;
const SEED_CATEGORY: u64 = 4;

/// A text's features before weighting: each kind's distinct buckets with their counts,
/// sorted by bucket, and the category's bucket.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Counts {
    groups: Vec<Vec<(u32, u32)>>,
    category: Option<u32>,
}

impl Counts {
    /// Every distinct text bucket (for counting document frequencies).
    pub(crate) fn text_buckets(&self) -> impl Iterator<Item = u32> + '_ {
        self.groups.iter().flatten().map(|&(bucket, _)| bucket)
    }
}

impl Featurizer {
    #[cfg(test)]
    pub(crate) fn vectorize(
        &self,
        text: &str,
        category_code: Option<&str>,
        idf: Option<&[f32]>,
    ) -> SparseVector {
        self.weigh(&self.count(text, category_code), idf)
    }

    pub(crate) fn count(&self, text: &str, category_code: Option<&str>) -> Counts {
        let text = normalize(text);
        let mut groups: Vec<Vec<u32>> = Vec::with_capacity(3);
        if let Some(range) = self.features.char_ngrams {
            groups.push(self.char_ngrams(&text, range));
        }
        if self.features.words {
            groups.push(
                words(&text)
                    .map(|word| self.bucket(hash_str(SEED_WORD, word)))
                    .collect(),
            );
        }
        if self.features.stems {
            let stemmer = Stemmer::create(Algorithm::Finnish);
            groups.push(
                words(&text)
                    .map(|word| self.bucket(hash_str(SEED_STEM, &stemmer.stem(word))))
                    .collect(),
            );
        }
        Counts {
            groups: groups.into_iter().map(count_runs).collect(),
            category: category_code
                .map(str::trim)
                .filter(|code| !code.is_empty())
                .map(|code| self.bucket(hash_str(SEED_CATEGORY, code))),
        }
    }

    /// Values `(1 + ln count) × idf`, each kind of feature scaled to the same share of
    /// the text's unit norm, so that the many n-grams do not drown the few words.
    /// Buckets whose idf is 0 (never seen in training) are left out.
    pub(crate) fn weigh(&self, counts: &Counts, idf: Option<&[f32]>) -> SparseVector {
        let idf_of = |bucket: u32| idf.map_or(1.0, |idf| idf[bucket as usize]);
        let weighed: Vec<Vec<(u32, f32)>> = counts
            .groups
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|&(bucket, count)| (bucket, (1.0 + (count as f32).ln()) * idf_of(bucket)))
                    .filter(|&(_, value)| value > 0.0)
                    .collect()
            })
            .collect();
        let groups_present = weighed.iter().filter(|group| !group.is_empty()).count();
        let share = 1.0 / (groups_present.max(1) as f32).sqrt();
        let mut vector = SparseVector::new();
        for group in weighed {
            let norm = group
                .iter()
                .map(|(_, value)| value * value)
                .sum::<f32>()
                .sqrt();
            vector.extend(
                group
                    .into_iter()
                    .map(|(bucket, value)| (bucket, value * share / norm)),
            );
        }
        if let Some(bucket) = counts.category.filter(|_| self.category_weight != 0.0) {
            vector.push((bucket, self.category_weight));
        }
        vector
    }

    fn char_ngrams(&self, text: &str, range: NgramRange) -> Vec<u32> {
        let (min, max) = (usize::from(range.min.max(1)), usize::from(range.max));
        let mut buckets = Vec::new();
        let mut letters = Vec::new();
        for word in words(text) {
            letters.clear();
            letters.push('<');
            letters.extend(word.chars());
            letters.push('>');
            for start in 0..letters.len() {
                let mut hash = fnv_start(SEED_NGRAM);
                for (length, letter) in letters[start..].iter().take(max).enumerate() {
                    hash = fnv_step(hash, u64::from(u32::from(*letter)));
                    if length + 1 >= min {
                        buckets.push(self.bucket(hash));
                    }
                }
            }
        }
        buckets
    }

    pub(crate) fn dimensions(&self) -> usize {
        1 << self.bits
    }

    fn bucket(&self, hash: u64) -> u32 {
        // Truncation is the point: only the low `bits` bits are kept.
        (mix(hash) & ((1u64 << self.bits) - 1)) as u32
    }
}

/// Each distinct bucket of `group` with its count, sorted by bucket.
fn count_runs(mut group: Vec<u32>) -> Vec<(u32, u32)> {
    group.sort_unstable();
    let mut counts: Vec<(u32, u32)> = Vec::new();
    for bucket in group {
        match counts.last_mut() {
            Some((last, count)) if *last == bucket => *count += 1,
            _ => counts.push((bucket, 1)),
        }
    }
    counts
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv_start(seed: u64) -> u64 {
    fnv_step(FNV_OFFSET, seed)
}

fn fnv_step(hash: u64, value: u64) -> u64 {
    (hash ^ value).wrapping_mul(FNV_PRIME)
}

fn hash_str(seed: u64, text: &str) -> u64 {
    text.bytes().fold(fnv_start(seed), |hash, byte| {
        fnv_step(hash, u64::from(byte))
    })
}

/// The SplitMix64 finaliser: FNV's low bits are weak, and buckets come from them.
fn mix(mut hash: u64) -> u64 {
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn featurizer(features: FeatureSet) -> Featurizer {
        Featurizer {
            features,
            bits: 18,
            category_weight: 1.0,
        }
    }

    #[test]
    fn text_has_unit_norm_and_the_category_its_own_weight() {
        let vector =
            featurizer(FeatureSet::DEFAULT).vectorize("Katulamppu on rikki", Some("171"), None);
        let (category, text) = vector.split_last().expect("a category feature");
        assert_eq!(category.1, 1.0);
        let norm: f32 = text.iter().map(|(_, value)| value * value).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    }

    #[test]
    fn inflected_forms_share_ngrams_but_not_words() {
        let shared = |features| {
            let featurizer = featurizer(features);
            let a = featurizer.vectorize("katulamppu", None, None);
            let b = featurizer.vectorize("katulampun", None, None);
            a.iter()
                .filter(|(bucket, _)| b.iter().any(|(other, _)| other == bucket))
                .count()
        };
        assert_eq!(shared(FeatureSet::VARIANTS[0]), 0);
        assert!(shared(FeatureSet::VARIANTS[2]) >= 10);
    }

    #[test]
    fn composed_and_decomposed_letters_hash_alike() {
        let featurizer = featurizer(FeatureSet::DEFAULT);
        assert_eq!(
            featurizer.vectorize("Pyörätie", None, None),
            featurizer.vectorize("pyo\u{308}ra\u{308}tie", None, None)
        );
    }
}
