//! Scoring predictions against what staff finally decided.

use std::collections::BTreeMap;

/// One evaluated case: the right label, the model's best guess and its confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluatedCase {
    pub truth: String,
    pub predicted: String,
    pub confidence: f32,
}

/// How one label fared.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelScores {
    pub label: String,
    /// Cases that truly have the label.
    pub support: usize,
    /// Cases the model gave the label.
    pub predicted: usize,
    pub recall: f64,
    pub precision: f64,
    pub f1: f64,
}

/// Figures for a set of evaluated cases.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub cases: usize,
    pub accuracy: f64,
    /// The unweighted mean of the per-label F1, over every label that is true or
    /// predicted at least once (as scikit-learn's `f1_score(average="macro")`).
    pub macro_f1: f64,
    /// Sorted by support, largest first, then by label.
    pub labels: Vec<LabelScores>,
    /// The confidence from which cases are routed; `None` routes nothing.
    pub threshold: Option<f32>,
    /// The share of cases whose confidence reaches the threshold.
    pub coverage_at_threshold: f64,
    /// How many of those are right; `None` when none reach it.
    pub precision_at_threshold: Option<f64>,
    /// The gap between confidence and accuracy, averaged over ten equal-width
    /// confidence bins weighted by their cases: 0 is perfectly calibrated.
    pub expected_calibration_error: f64,
}

impl Evaluation {
    pub fn of(cases: &[EvaluatedCase], threshold: Option<f32>) -> Self {
        let total = cases.len();
        let ratio = |part: usize, whole: usize| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        let correct = cases.iter().filter(|case| is_right(case)).count();

        #[derive(Default)]
        struct Counts {
            support: usize,
            predicted: usize,
            right: usize,
        }
        let mut counts: BTreeMap<&str, Counts> = BTreeMap::new();
        for case in cases {
            counts.entry(&case.truth).or_default().support += 1;
            let predicted = counts.entry(&case.predicted).or_default();
            predicted.predicted += 1;
            if is_right(case) {
                predicted.right += 1;
            }
        }
        let mut labels: Vec<LabelScores> = counts
            .into_iter()
            .map(|(label, counts)| {
                let recall = ratio(counts.right, counts.support);
                let precision = ratio(counts.right, counts.predicted);
                let f1 = if recall + precision == 0.0 {
                    0.0
                } else {
                    2.0 * recall * precision / (recall + precision)
                };
                LabelScores {
                    label: label.to_owned(),
                    support: counts.support,
                    predicted: counts.predicted,
                    recall,
                    precision,
                    f1,
                }
            })
            .collect();
        let macro_f1 = ratio(1, labels.len()) * labels.iter().map(|label| label.f1).sum::<f64>();
        labels.sort_by(|a, b| {
            b.support
                .cmp(&a.support)
                .then_with(|| a.label.cmp(&b.label))
        });

        let routed: Vec<&EvaluatedCase> = match threshold {
            Some(threshold) => cases
                .iter()
                .filter(|case| case.confidence >= threshold)
                .collect(),
            None => Vec::new(),
        };
        let routed_right = routed.iter().filter(|case| is_right(case)).count();

        Self {
            cases: total,
            accuracy: ratio(correct, total),
            macro_f1,
            labels,
            threshold,
            coverage_at_threshold: ratio(routed.len(), total),
            precision_at_threshold: (!routed.is_empty()).then(|| ratio(routed_right, routed.len())),
            expected_calibration_error: expected_calibration_error(cases),
        }
    }
}

fn is_right(case: &EvaluatedCase) -> bool {
    case.truth == case.predicted
}

fn expected_calibration_error(cases: &[EvaluatedCase]) -> f64 {
    const BINS: usize = 10;
    let mut bins = [(0usize, 0usize, 0f64); BINS];
    for case in cases {
        let confidence = f64::from(case.confidence.clamp(0.0, 1.0));
        // Truncation picks the bin; a confidence of exactly 1 joins the top bin.
        let bin = ((confidence * BINS as f64) as usize).min(BINS - 1);
        bins[bin].0 += 1;
        bins[bin].1 += usize::from(is_right(case));
        bins[bin].2 += confidence;
    }
    if cases.is_empty() {
        return 0.0;
    }
    bins.iter()
        .filter(|(count, _, _)| *count > 0)
        .map(|&(count, right, confidence_sum)| {
            let accuracy = right as f64 / count as f64;
            let confidence = confidence_sum / count as f64;
            count as f64 * (accuracy - confidence).abs()
        })
        .sum::<f64>()
        / cases.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(truth: &str, predicted: &str, confidence: f32) -> EvaluatedCase {
        EvaluatedCase {
            truth: truth.to_owned(),
            predicted: predicted.to_owned(),
            confidence,
        }
    }

    #[test]
    fn figures_match_a_hand_count() {
        let cases = [
            case("a", "a", 0.9),
            case("a", "a", 0.8),
            case("a", "b", 0.4),
            case("b", "b", 0.7),
        ];
        let evaluation = Evaluation::of(&cases, Some(0.75));
        assert_eq!(evaluation.accuracy, 0.75);
        // a: recall 2/3, precision 1 → F1 0.8; b: recall 1, precision 1/2 → F1 2/3.
        assert!((evaluation.macro_f1 - (0.8 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert_eq!(evaluation.labels[0].label, "a");
        assert!((evaluation.labels[0].recall - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(evaluation.coverage_at_threshold, 0.5);
        assert_eq!(evaluation.precision_at_threshold, Some(1.0));
    }

    #[test]
    fn no_threshold_routes_nothing() {
        let evaluation = Evaluation::of(&[case("a", "a", 1.0)], None);
        assert_eq!(evaluation.coverage_at_threshold, 0.0);
        assert_eq!(evaluation.precision_at_threshold, None);
        assert_eq!(evaluation.expected_calibration_error, 0.0);
    }
}
