//! Multinomial logistic regression trained by stochastic gradient descent.
//!
//! Deterministic by construction: one thread, examples visited in an order drawn from
//! a seeded SplitMix64 generator, and floating-point sums always taken in the same
//! order. The same examples and options give bit-identical weights on every run.

use super::features::SparseVector;

/// How the optimiser runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schedule {
    pub(crate) epochs: u32,
    pub(crate) learning_rate: f32,
    pub(crate) l2: f32,
    pub(crate) seed: u64,
}

/// Weights for `labels` outputs over `dimensions` hashed features, laid out feature by
/// feature so that one feature's weights for every label sit together.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Weights {
    pub(crate) labels: usize,
    pub(crate) weights: Vec<f32>,
    pub(crate) bias: Vec<f32>,
}

impl Weights {
    pub(crate) fn zero(dimensions: usize, labels: usize) -> Self {
        Self {
            labels,
            weights: vec![0.0; dimensions * labels],
            bias: vec![0.0; labels],
        }
    }

    /// The raw score of each label (before the softmax).
    pub(crate) fn scores(&self, vector: &SparseVector) -> Vec<f32> {
        let mut scores = self.bias.clone();
        self.add_scores(vector, 1.0, &mut scores);
        scores
    }

    fn add_scores(&self, vector: &SparseVector, scale: f32, scores: &mut [f32]) {
        for &(feature, value) in vector {
            let start = feature as usize * self.labels;
            let row = &self.weights[start..start + self.labels];
            let value = value * scale;
            for (score, weight) in scores.iter_mut().zip(row) {
                *score += value * weight;
            }
        }
    }
}

/// Trains on `vectors` labelled `targets` (indices below `labels`), each example
/// counted `example_weights[i]` times. Where `offsets` are given, `offsets[i]` is added
/// to example `i`'s scores as a fixed part the weights need not learn (a prior).
#[allow(clippy::too_many_arguments)]
pub(crate) fn train(
    vectors: &[SparseVector],
    targets: &[usize],
    example_weights: &[f32],
    offsets: Option<&[Vec<f32>]>,
    dimensions: usize,
    labels: usize,
    schedule: Schedule,
) -> Weights {
    let mut model = Weights::zero(dimensions, labels);
    if vectors.is_empty() || labels == 0 {
        return model;
    }
    // L2 decay multiplies every weight each step; keeping the weights as
    // `scale * weights` makes that one multiplication instead of millions.
    let mut scale = 1.0f32;
    let mut order: Vec<usize> = (0..vectors.len()).collect();
    let mut random = SplitMix64(schedule.seed);
    let mut probabilities = vec![0.0f32; labels];
    let mut step = 0usize;
    for _ in 0..schedule.epochs {
        shuffle(&mut order, &mut random);
        for &index in &order {
            let vector = &vectors[index];
            // Decays like 1/epoch: big steps while far off, settling later.
            let rate = schedule.learning_rate / (1.0 + step as f32 / vectors.len() as f32);
            step += 1;
            probabilities.copy_from_slice(&model.bias);
            if let Some(offset) = offsets.map(|offsets| &offsets[index]) {
                for (score, offset) in probabilities.iter_mut().zip(offset) {
                    *score += offset;
                }
            }
            model.add_scores(vector, scale, &mut probabilities);
            softmax_in_place(&mut probabilities);
            let example_weight = example_weights[index];
            // The gradient of the cross-entropy: p − 1 for the target, p otherwise.
            probabilities[targets[index]] -= 1.0;
            scale *= 1.0 - rate * schedule.l2;
            let step_size = rate * example_weight / scale;
            for &(feature, value) in vector {
                let start = feature as usize * labels;
                let row = &mut model.weights[start..start + labels];
                let amount = step_size * value;
                for (weight, gradient) in row.iter_mut().zip(&probabilities) {
                    *weight -= amount * gradient;
                }
            }
            for (bias, gradient) in model.bias.iter_mut().zip(&probabilities) {
                *bias -= rate * example_weight * gradient;
            }
            if scale < 1e-3 {
                fold_scale(&mut model.weights, &mut scale);
            }
        }
    }
    fold_scale(&mut model.weights, &mut scale);
    model
}

fn fold_scale(weights: &mut [f32], scale: &mut f32) {
    for weight in weights {
        *weight *= *scale;
    }
    *scale = 1.0;
}

pub(crate) fn softmax_in_place(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for score in scores.iter_mut() {
        *score = (*score - max).exp();
        sum += *score;
    }
    for score in scores.iter_mut() {
        *score /= sum;
    }
}

/// A small, fast, seedable generator: the order of examples must not depend on any
/// crate's choice of algorithm.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`; the slight modulo bias does not matter for shuffling.
    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// Fisher–Yates.
fn shuffle(order: &mut [usize], random: &mut SplitMix64) {
    for last in (1..order.len()).rev() {
        order.swap(last, random.below(last + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_separable_features_and_repeats_itself() {
        let vectors = vec![
            vec![(0, 1.0)],
            vec![(1, 1.0)],
            vec![(0, 1.0)],
            vec![(1, 1.0)],
        ];
        let targets = [0, 1, 0, 1];
        let schedule = Schedule {
            epochs: 20,
            learning_rate: 0.5,
            l2: 1e-4,
            seed: 7,
        };
        let weights = train(&vectors, &targets, &[1.0; 4], None, 4, 2, schedule);
        let mut first = weights.scores(&vectors[0]);
        softmax_in_place(&mut first);
        assert!(first[0] > 0.8, "{first:?}");
        assert_eq!(
            weights,
            train(&vectors, &targets, &[1.0; 4], None, 4, 2, schedule)
        );
    }
}
