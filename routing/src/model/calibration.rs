//! Making the model's confidence mean what it says, and choosing the confidence from
//! which a case is routed without a person.
//!
//! A logistic regression trained with few examples per label is usually over- or
//! under-confident. One temperature `T`, fitted on held-out examples by minimising the
//! negative log-likelihood of `softmax(scores / T)`, fixes most of that without
//! changing which label wins (Guo et al., "On Calibration of Modern Neural Networks").

use serde::{Deserialize, Serialize};

use super::logistic::softmax_in_place;

/// The model's best guess for one held-out example: how sure, and whether right.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValidationPoint {
    pub confidence: f32,
    pub correct: bool,
}

/// The temperature in `[0.05, 20]` that best fits the held-out `scores` to `targets`.
pub(crate) fn fit_temperature(scores: &[Vec<f32>], targets: &[usize]) -> f32 {
    if scores.is_empty() {
        return 1.0;
    }
    let negative_log_likelihood =
        |temperature: f32| negative_log_likelihood(scores, targets, temperature);
    // Golden-section search on ln T: the likelihood is unimodal in T.
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut low, mut high) = (0.05f64.ln(), 20f64.ln());
    for _ in 0..50 {
        let left = high - ratio * (high - low);
        let right = low + ratio * (high - low);
        if negative_log_likelihood(left.exp() as f32) <= negative_log_likelihood(right.exp() as f32)
        {
            high = right;
        } else {
            low = left;
        }
    }
    ((low + high) / 2.0).exp() as f32
}

/// The summed negative log-likelihood of `targets` under `softmax(scores / temperature)`.
pub(crate) fn negative_log_likelihood(
    scores: &[Vec<f32>],
    targets: &[usize],
    temperature: f32,
) -> f64 {
    scores
        .iter()
        .zip(targets)
        .map(|(scores, &target)| {
            let mut probabilities: Vec<f32> = scores.iter().map(|s| s / temperature).collect();
            softmax_in_place(&mut probabilities);
            -f64::from(probabilities[target].max(1e-12)).ln()
        })
        .sum()
}

/// The lowest confidence at which the cases routed (those at or above it) are right at
/// least `target_precision` of the time, measured on `points`; `None` when no
/// confidence reaches it (then nothing should be routed without a person).
pub fn threshold_for_precision(points: &[ValidationPoint], target_precision: f64) -> Option<f32> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let mut threshold = None;
    let (mut routed, mut correct) = (0usize, 0usize);
    for (index, point) in sorted.iter().enumerate() {
        routed += 1;
        correct += usize::from(point.correct);
        // A threshold admits every point of equal confidence, so only the last of a
        // run of equal confidences is a place to stop.
        let run_continues = sorted
            .get(index + 1)
            .is_some_and(|next| next.confidence == point.confidence);
        if !run_continues && correct as f64 >= target_precision * routed as f64 {
            threshold = Some(point.confidence);
        }
    }
    threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(confidence: f32, correct: bool) -> ValidationPoint {
        ValidationPoint {
            confidence,
            correct,
        }
    }

    #[test]
    fn threshold_is_the_lowest_that_keeps_the_precision() {
        let points = [
            point(0.99, true),
            point(0.95, true),
            point(0.9, false),
            point(0.8, true),
            point(0.7, true),
            point(0.6, false),
            point(0.5, false),
        ];
        // 4 of 5 right down to 0.7; 4 of 6 at 0.6.
        assert_eq!(threshold_for_precision(&points, 0.8), Some(0.7));
        assert_eq!(threshold_for_precision(&points, 0.9), Some(0.95));
        assert_eq!(threshold_for_precision(&points, 0.5), Some(0.5));
        assert_eq!(threshold_for_precision(&[point(0.9, false)], 0.5), None);
        assert_eq!(threshold_for_precision(&[], 0.5), None);
    }

    #[test]
    fn equal_confidences_are_admitted_together() {
        let points = [point(0.8, true), point(0.8, false), point(0.9, true)];
        // At 0.8 two of three are right; the run cannot be split.
        assert_eq!(threshold_for_precision(&points, 0.7), Some(0.9));
        assert_eq!(threshold_for_precision(&points, 0.6), Some(0.8));
    }

    #[test]
    fn temperature_cools_overconfident_scores() {
        // Sure of itself, right only half the time: the fit must flatten it.
        let scores = vec![vec![5.0, 0.0], vec![5.0, 0.0]];
        let temperature = fit_temperature(&scores, &[0, 1]);
        assert!(temperature > 5.0, "{temperature}");
        let sharp = fit_temperature(&scores, &[0, 0]);
        assert!(sharp < 1.0, "{sharp}");
    }
}
