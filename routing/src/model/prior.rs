//! What the category alone says about the label: the smoothed share of each label among
//! the training cases of that category, added to the model's scores as a fixed offset
//! (log-space), so that the text features only have to learn what the category does
//! not already tell.
//!
//! For a category `c` seen `n_c` times, `n_cu` of them with label `u`:
//! `P(u | c) = (n_cu + α · P(u)) / (n_c + α)`, where `P(u) = (n_u + 1) / (n + labels)` is
//! the add-one share of the label overall and `α` the smoothing strength. A category
//! never seen falls back to `P(u)`. So does a case without a category.

use std::collections::BTreeMap;

/// Per-category log-probabilities of the labels, and the overall ones.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CategoryPrior {
    /// Counts per category: `(n_c, n_cu per label)`.
    pub(crate) by_category: BTreeMap<String, Vec<u32>>,
    /// `n_u` per label.
    pub(crate) overall: Vec<u32>,
    /// `α`.
    pub(crate) smoothing: f32,
}

/// The category as the prior (and the featurizer) reads it: trimmed, empty is none.
pub(crate) fn category_key(code: Option<&str>) -> Option<&str> {
    code.map(str::trim).filter(|code| !code.is_empty())
}

impl CategoryPrior {
    /// Counts the `(category, label index)` pairs; labels are below `labels`.
    pub(crate) fn fit<'a>(
        pairs: impl Iterator<Item = (Option<&'a str>, usize)>,
        labels: usize,
        smoothing: f32,
    ) -> Self {
        let mut prior = Self {
            by_category: BTreeMap::new(),
            overall: vec![0; labels],
            smoothing,
        };
        for (category, label) in pairs {
            prior.overall[label] += 1;
            if let Some(category) = category_key(category) {
                prior
                    .by_category
                    .entry(category.to_owned())
                    .or_insert_with(|| vec![0; labels])[label] += 1;
            }
        }
        prior
    }

    /// `ln P(u | category)` for every label `u`.
    pub(crate) fn log_prior(&self, category: Option<&str>) -> Vec<f32> {
        self.log_prior_without(category, None)
    }

    /// As [`Self::log_prior`], but as if one case of the category with label `own` had
    /// not been counted: what a training case's own category says about it without
    /// its own answer in the count, as for a new case.
    pub(crate) fn log_prior_without(&self, category: Option<&str>, own: Option<usize>) -> Vec<f32> {
        let labels = self.overall.len();
        let total: u32 = self.overall.iter().sum();
        let overall: Vec<f64> = self
            .overall
            .iter()
            .map(|&count| (f64::from(count) + 1.0) / (f64::from(total) + labels as f64))
            .collect();
        let counts = category_key(category).and_then(|category| self.by_category.get(category));
        let Some(counts) = counts else {
            return overall.iter().map(|p| p.ln() as f32).collect();
        };
        let mut counts: Vec<f64> = counts.iter().map(|&count| f64::from(count)).collect();
        if let Some(slot) = own.and_then(|own| counts.get_mut(own)) {
            *slot = (*slot - 1.0).max(0.0);
        }
        let seen: f64 = counts.iter().sum();
        let smoothing = f64::from(self.smoothing.max(1e-3));
        counts
            .iter()
            .zip(&overall)
            .map(|(&count, &p)| ((count + smoothing * p) / (seen + smoothing)).ln() as f32)
            .collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_category.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_category_leans_to_its_labels_and_an_unknown_one_to_the_overall_shares() {
        let pairs = [
            (Some("1"), 0),
            (Some("1"), 0),
            (Some("1"), 0),
            (Some("2"), 1),
            (None, 0),
        ];
        let prior = CategoryPrior::fit(pairs.into_iter(), 2, 1.0);
        let one = prior.log_prior(Some(" 1 "));
        let two = prior.log_prior(Some("2"));
        let unknown = prior.log_prior(Some("9"));
        assert!(one[0] > one[1] && two[1] > two[0]);
        let total = |log: &[f32]| log.iter().map(|p| p.exp()).sum::<f32>();
        for log in [&one, &two, &unknown] {
            assert!((total(log) - 1.0).abs() < 1e-5, "{log:?}");
        }
        // Overall 4 of 5 are label 0: add-one gives 5/7.
        assert!((unknown[0].exp() - 5.0 / 7.0).abs() < 1e-5);
        assert_eq!(prior.log_prior(None), unknown);
        // Without its own case, category 2 knows nothing but the overall shares.
        assert_eq!(prior.log_prior_without(Some("2"), Some(1)), unknown);
    }
}
