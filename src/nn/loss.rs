//! Output layers and their losses: sigmoid + binary cross-entropy, softmax + cross-entropy,
//! identity + mean squared error, each computed from the logits so it never overflows.

use serde::{Deserialize, Serialize};

use super::activation::sigmoid;

/// The output layer and the loss it is trained on (Louppe, lecture 2, "Loss functions").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Loss {
    /// One output `p = sigmoid(z)` for two classes; `l = -[y log p + (1 - y) log(1 - p)]`.
    SigmoidBinaryCrossEntropy,
    /// One output per class, `p = softmax(z)`; `l = -log p_y`.
    SoftmaxCrossEntropy,
    /// Identity outputs for regression; `l = sum_j (y_j - z_j)^2`.
    MeanSquaredError,
}

/// What the network is asked to produce for each sample of a batch.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a> {
    /// One class index per sample.
    Classes(&'a [u16]),
    /// `outputs` real values per sample, row after row.
    Values(&'a [f32]),
}

/// `log(1 + e^z)` without overflow.
pub fn softplus(z: f32) -> f32 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

impl Loss {
    /// Output units needed for `classes` classes.
    pub fn outputs_for_classes(self, classes: usize) -> usize {
        match self {
            Loss::SigmoidBinaryCrossEntropy => 1,
            _ => classes,
        }
    }

    /// Mean loss over a batch of `logits` (`batch` rows of `outputs`), and into `grad` its
    /// gradient with respect to the logits: `(p - y) / batch` for both cross-entropies,
    /// `2 (z - y) / batch` for squared error.
    pub fn loss_and_gradient(
        self,
        logits: &[f32],
        outputs: usize,
        targets: Targets,
        grad: &mut [f32],
    ) -> f64 {
        let batch = logits.len() / outputs;
        let scale = 1.0 / batch as f32;
        let mut total = 0.0f64;
        for (row, (z, g)) in logits
            .chunks_exact(outputs)
            .zip(grad.chunks_exact_mut(outputs))
            .enumerate()
        {
            match (self, targets) {
                (Loss::SigmoidBinaryCrossEntropy, Targets::Classes(classes)) => {
                    let y = classes[row] as f32;
                    // -[y log s(z) + (1-y) log(1-s(z))] = softplus(z) - y z
                    total += (softplus(z[0]) - y * z[0]) as f64;
                    g[0] = (sigmoid(z[0]) - y) * scale;
                }
                (Loss::SoftmaxCrossEntropy, Targets::Classes(classes)) => {
                    let y = classes[row] as usize;
                    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let mut sum = 0.0f32;
                    for (gj, &zj) in g.iter_mut().zip(z) {
                        *gj = (zj - max).exp();
                        sum += *gj;
                    }
                    // log-sum-exp - z_y, with the max taken out
                    total += (sum.ln() + max - z[y]) as f64;
                    for gj in g.iter_mut() {
                        *gj *= scale / sum;
                    }
                    g[y] -= scale;
                }
                (Loss::MeanSquaredError, Targets::Values(values)) => {
                    let y = &values[row * outputs..(row + 1) * outputs];
                    for ((gj, &zj), &yj) in g.iter_mut().zip(z).zip(y) {
                        let diff = zj - yj;
                        total += (diff * diff) as f64;
                        *gj = 2.0 * diff * scale;
                    }
                }
                (Loss::MeanSquaredError, Targets::Classes(classes)) => {
                    // Regression onto one-hot codes.
                    let y = classes[row] as usize;
                    for (j, (gj, &zj)) in g.iter_mut().zip(z).enumerate() {
                        let diff = zj - if j == y { 1.0 } else { 0.0 };
                        total += (diff * diff) as f64;
                        *gj = 2.0 * diff * scale;
                    }
                }
                (_, Targets::Values(_)) => panic!("{self:?} needs class targets"),
            }
        }
        total / batch as f64
    }

    /// The class an output row names: the largest logit, or `z >= 0` for a single sigmoid.
    pub fn predict(self, z: &[f32]) -> usize {
        match self {
            Loss::SigmoidBinaryCrossEntropy => (z[0] >= 0.0) as usize,
            _ => {
                let mut best = 0;
                for (j, &v) in z.iter().enumerate() {
                    if v > z[best] {
                        best = j;
                    }
                }
                best
            }
        }
    }

    /// The output layer's values as people read them: probabilities for the cross-entropies
    /// (one per class), the raw outputs for regression.
    pub fn output_values(self, z: &[f32]) -> Vec<f32> {
        match self {
            Loss::SigmoidBinaryCrossEntropy => {
                let p = sigmoid(z[0]);
                vec![1.0 - p, p]
            }
            Loss::SoftmaxCrossEntropy => {
                let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let exps: Vec<f32> = z.iter().map(|&v| (v - max).exp()).collect();
                let sum: f32 = exps.iter().sum();
                exps.iter().map(|e| e / sum).collect()
            }
            Loss::MeanSquaredError => z.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the analytic gradient of the mean loss against central differences.
    fn check(loss: Loss, logits: &[f32], outputs: usize, targets: Targets) {
        let mut grad = vec![0.0; logits.len()];
        loss.loss_and_gradient(logits, outputs, targets, &mut grad);
        let mut scratch = vec![0.0; logits.len()];
        for k in 0..logits.len() {
            let eps = 1e-2f32;
            let mut plus = logits.to_vec();
            plus[k] += eps;
            let mut minus = logits.to_vec();
            minus[k] -= eps;
            let numeric = (loss.loss_and_gradient(&plus, outputs, targets, &mut scratch)
                - loss.loss_and_gradient(&minus, outputs, targets, &mut scratch))
                / (2.0 * eps as f64);
            assert!(
                (numeric - grad[k] as f64).abs() < 2e-3,
                "{loss:?} logit {k}: {numeric} vs {}",
                grad[k]
            );
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        check(
            Loss::SoftmaxCrossEntropy,
            &[0.5, -1.0, 2.0, 0.0, 0.3, -0.2],
            3,
            Targets::Classes(&[2, 0]),
        );
        check(
            Loss::SigmoidBinaryCrossEntropy,
            &[0.7, -2.0, 0.1],
            1,
            Targets::Classes(&[1, 0, 0]),
        );
        check(
            Loss::MeanSquaredError,
            &[0.5, -1.0, 2.0, 0.25],
            2,
            Targets::Values(&[1.0, 0.0, 1.5, -0.5]),
        );
        check(
            Loss::MeanSquaredError,
            &[0.5, -1.0, 0.2, 0.9],
            2,
            Targets::Classes(&[0, 1]),
        );
    }

    #[test]
    fn hand_computed_values() {
        let mut g = [0.0; 2];
        // softmax([0, ln 3]) = (1/4, 3/4); class 1: loss = -ln(3/4), grad = (1/4, -1/4).
        let l = Loss::SoftmaxCrossEntropy.loss_and_gradient(
            &[0.0, 3f32.ln()],
            2,
            Targets::Classes(&[1]),
            &mut g,
        );
        assert!((l - (4.0f64 / 3.0).ln()).abs() < 1e-6);
        assert!((g[0] - 0.25).abs() < 1e-6 && (g[1] + 0.25).abs() < 1e-6);
        // sigmoid(0) = 1/2: loss ln 2 for either class.
        let l = Loss::SigmoidBinaryCrossEntropy.loss_and_gradient(
            &[0.0],
            1,
            Targets::Classes(&[1]),
            &mut g,
        );
        assert!((l - 2f64.ln()).abs() < 1e-6);
        // (3 - 1)^2 = 4
        let l =
            Loss::MeanSquaredError.loss_and_gradient(&[3.0], 1, Targets::Values(&[1.0]), &mut g);
        assert_eq!((l, g[0]), (4.0, 4.0));
    }

    #[test]
    fn saturated_logits_give_finite_losses() {
        let mut g = [0.0; 2];
        let l = Loss::SoftmaxCrossEntropy.loss_and_gradient(
            &[1000.0, -1000.0],
            2,
            Targets::Classes(&[1]),
            &mut g,
        );
        assert!((l - 2000.0).abs() < 1.0, "{l}");
        assert!(g.iter().all(|v| v.is_finite()));
        let l = Loss::SigmoidBinaryCrossEntropy.loss_and_gradient(
            &[-500.0],
            1,
            Targets::Classes(&[1]),
            &mut g,
        );
        assert!((l - 500.0).abs() < 1e-3, "{l}");
        let l = Loss::SigmoidBinaryCrossEntropy.loss_and_gradient(
            &[500.0],
            1,
            Targets::Classes(&[1]),
            &mut g,
        );
        assert_eq!(l, 0.0);
        let p = Loss::SoftmaxCrossEntropy.output_values(&[1000.0, 0.0]);
        assert_eq!(p, vec![1.0, 0.0]);
    }
}
