//! Activation functions of the modern mode, with the derivatives backpropagation needs.

use serde::{Deserialize, Serialize};

/// `h = sigma(z)`, applied element by element.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Activation {
    /// The perceptron's unit step: 1 if z >= 0, else 0. Its derivative is 0 almost everywhere,
    /// so it serves forward use (and the universal-approximation lesson), not gradient descent.
    Step,
    /// +1 if z >= 0, else -1; forward use only, like `Step`.
    Sign,
    /// `1 / (1 + e^-z)`; `sigma' = sigma (1 - sigma)`, at most 1/4.
    Sigmoid,
    /// `tanh z`; derivative `1 - tanh^2 z`.
    Tanh,
    /// `max(0, z)`; derivative 1 for z > 0, else 0 (0 at z = 0, as the lecture sets it).
    Relu,
    /// `max(alpha z, z)` for a small alpha > 0 (the lecture's example: 0.1).
    LeakyRelu(f32),
    /// `z`; the output of a regression network.
    Identity,
}

/// The logistic sigmoid, computed without overflow for large |z|.
pub fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Activation {
    /// One of each activation gradient descent can train through (leaky ReLU with the
    /// lecture's alpha = 0.1), for checks that must cover them all.
    pub const TRAINABLE: [Activation; 5] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu(0.1),
        Activation::Identity,
    ];

    /// Whether gradient descent can train through this activation.
    pub fn is_differentiable(self) -> bool {
        !matches!(self, Activation::Step | Activation::Sign)
    }

    /// `sigma(z)` for one value.
    pub fn apply(self, z: f32) -> f32 {
        match self {
            Activation::Step => {
                if z >= 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Sign => {
                if z >= 0.0 {
                    1.0
                } else {
                    -1.0
                }
            }
            Activation::Sigmoid => sigmoid(z),
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
            Activation::LeakyRelu(alpha) => {
                if z > 0.0 {
                    z
                } else {
                    alpha * z
                }
            }
            Activation::Identity => z,
        }
    }

    /// `sigma'(z)`, written with the output `h = sigma(z)` where that is cheaper.
    pub fn derivative(self, z: f32, h: f32) -> f32 {
        match self {
            Activation::Step | Activation::Sign => 0.0,
            Activation::Sigmoid => h * (1.0 - h),
            Activation::Tanh => 1.0 - h * h,
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu(alpha) => {
                if z > 0.0 {
                    1.0
                } else {
                    alpha
                }
            }
            Activation::Identity => 1.0,
        }
    }

    /// `h = sigma(z)` over a whole batch.
    pub fn forward(self, z: &[f32], h: &mut [f32]) {
        match self {
            // The common cases get their own loops so they vectorise.
            Activation::Relu => {
                for (out, &x) in h.iter_mut().zip(z) {
                    *out = x.max(0.0);
                }
            }
            Activation::Identity => h.copy_from_slice(z),
            other => {
                for (out, &x) in h.iter_mut().zip(z) {
                    *out = other.apply(x);
                }
            }
        }
    }

    /// `dz = dh * sigma'(z)` over a whole batch, in place on `grad` (dh in, dz out).
    pub fn backward(self, z: &[f32], h: &[f32], grad: &mut [f32]) {
        match self {
            Activation::Relu => {
                for (g, &x) in grad.iter_mut().zip(z) {
                    if x <= 0.0 {
                        *g = 0.0;
                    }
                }
            }
            Activation::Identity => {}
            other => {
                for ((g, &x), &y) in grad.iter_mut().zip(z).zip(h) {
                    *g *= other.derivative(x, y);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_central_differences() {
        for activation in Activation::TRAINABLE {
            for &z in &[-3.0f32, -0.7, -0.05, 0.05, 0.4, 2.5] {
                let eps = 1e-3f64;
                let f = |x: f64| activation.apply(x as f32) as f64;
                let numeric = (f(z as f64 + eps) - f(z as f64 - eps)) / (2.0 * eps);
                let analytic = activation.derivative(z, activation.apply(z)) as f64;
                assert!(
                    (numeric - analytic).abs() < 2e-3,
                    "{activation:?} at {z}: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn sigmoid_saturates_without_nan_and_its_slope_is_at_most_a_quarter() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(0.0), 0.5);
        let peak = Activation::Sigmoid.derivative(0.0, 0.5);
        assert_eq!(peak, 0.25);
    }

    #[test]
    fn batch_forms_agree_with_the_scalar_ones() {
        let z = [-2.0, -0.0, 0.0, 0.5, 3.0];
        for activation in [
            Activation::Relu,
            Activation::Identity,
            Activation::Step,
            Activation::Sign,
            Activation::LeakyRelu(0.2),
        ] {
            let mut h = [0.0; 5];
            activation.forward(&z, &mut h);
            let expected: Vec<f32> = z.iter().map(|&x| activation.apply(x)).collect();
            assert_eq!(h.to_vec(), expected, "{activation:?}");
            let mut g = [1.0; 5];
            activation.backward(&z, &h, &mut g);
            let expected: Vec<f32> = z
                .iter()
                .zip(&h)
                .map(|(&x, &y)| activation.derivative(x, y))
                .collect();
            assert_eq!(g.to_vec(), expected, "{activation:?}");
        }
        assert_eq!(Activation::Step.apply(0.0), 1.0);
        assert_eq!(Activation::Sign.apply(-0.1), -1.0);
    }
}
