//! Vanishing gradients: a deep sigmoid network beside a deep ReLU one, the gradient norm of
//! each layer at initialisation (Glorot & Bengio, 2010).

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{LessonReport, Teach, within};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::fields::FieldError;
use crate::nn::activation::Activation;
use crate::nn::loss::{Loss, Targets};
use crate::nn::mlp::{Init, LayerConfig, Network, Penalty, Workspace, gradient_norms};
use crate::seeds::{Stream, rng_for};

/// A deep sigmoid network vs a deep ReLU network: the gradient norms of each layer on one
/// batch at initialisation (Glorot & Bengio, 2010).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VanishingLesson {
    pub depth: usize,
    pub width: usize,
}

impl Default for VanishingLesson {
    fn default() -> Self {
        Self {
            depth: 8,
            width: 64,
        }
    }
}

/// Gradient norms of every weight matrix, input layer first, and first/last ratios.
#[derive(Clone, Debug, PartialEq)]
pub struct VanishingResult {
    pub sigmoid_norms: Vec<f64>,
    pub relu_norms: Vec<f64>,
    pub sigmoid_ratio: f64,
    pub relu_ratio: f64,
}

impl VanishingLesson {
    pub fn run(&self, seed: u64) -> VanishingResult {
        const BATCH: usize = 256;
        const INPUTS: usize = 64;
        const CLASSES: usize = 10;
        let mut rng = rng_for(seed, Stream::Generator);
        let inputs: Vec<f32> = (0..BATCH * INPUTS)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let labels: Vec<u16> = (0..BATCH)
            .map(|_| rng.random_range(0..CLASSES as u16))
            .collect();
        let mut norms_of = |activation: Activation, init: Init| {
            let hidden = vec![
                LayerConfig {
                    units: self.width,
                    activation,
                };
                self.depth
            ];
            let network = Network::new(
                INPUTS,
                &hidden,
                CLASSES,
                Loss::SoftmaxCrossEntropy,
                init,
                &mut rng,
            );
            let mut ws = Workspace::new(&network, BATCH);
            ws.input_mut(BATCH).copy_from_slice(&inputs);
            network.forward(&mut ws, BATCH, 1);
            let mut grads = network.zero_gradients();
            network.backward(&mut ws, BATCH, Targets::Classes(&labels), &mut grads, 1);
            network.add_penalty(Penalty::None, &mut grads);
            gradient_norms(&grads)
        };
        // The lecture's setting: small Gaussian weights (std 0.1) for the sigmoid network; He for ReLU.
        let sigmoid_norms = norms_of(Activation::Sigmoid, Init::SmallGaussian(0.1));
        let relu_norms = norms_of(Activation::Relu, Init::He);
        let ratio = |n: &[f64]| n[0] / n[n.len() - 1];
        VanishingResult {
            sigmoid_ratio: ratio(&sigmoid_norms),
            relu_ratio: ratio(&relu_norms),
            sigmoid_norms,
            relu_norms,
        }
    }
}

impl VanishingResult {
    fn report(&self) -> LessonReport {
        let fmt = |n: &[f64]| {
            n.iter()
                .map(|v| format!("{v:.1e}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        LessonReport {
            title: "Vanishing gradients: deep sigmoid vs deep ReLU".into(),
            charts: vec![self.chart()],
            lines: vec![
                "gradient norm of each weight matrix on one batch, input layer first:".into(),
                format!("  sigmoid: {}", fmt(&self.sigmoid_norms)),
                format!("  ReLU:    {}", fmt(&self.relu_norms)),
                format!(
                    "first layer / last layer: sigmoid {:.1e}, ReLU {:.2}",
                    self.sigmoid_ratio, self.relu_ratio
                ),
            ],
            figures: json!({
                "sigmoid_norms": self.sigmoid_norms,
                "relu_norms": self.relu_norms,
                "sigmoid_ratio": self.sigmoid_ratio,
                "relu_ratio": self.relu_ratio,
            }),
        }
    }
}

impl VanishingResult {
    /// Each weight matrix's gradient norm, input layer first, on a log scale: sigmoid bars
    /// beside ReLU bars.
    fn chart(&self) -> Chart {
        let all = self.sigmoid_norms.iter().chain(&self.relu_norms);
        let low = all
            .clone()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let high = all.copied().fold(0.0, f64::max);
        let layers = self.sigmoid_norms.len().max(self.relu_norms.len());
        let bars = |norms: &[f64], offset: f64| {
            norms
                .iter()
                .enumerate()
                .map(|(k, &v)| [k as f64 + 1.0 + offset, v])
                .collect()
        };
        Chart {
            title: "Gradient norm of each weight matrix".into(),
            x: Axis::linear("weight matrix (1 = input layer)", 0.4, layers as f64 + 0.6),
            y: Axis::log_decades("gradient norm", low, high),
            marks: vec![
                Mark::Bars {
                    label: "sigmoid".into(),
                    ink: Ink::Warm,
                    bars: bars(&self.sigmoid_norms, -0.2),
                    width: 0.38,
                    outline: false,
                },
                Mark::Bars {
                    label: "ReLU".into(),
                    ink: Ink::Cool,
                    bars: bars(&self.relu_norms, 0.2),
                    width: 0.38,
                    outline: false,
                },
            ],
        }
    }
}

impl Teach for VanishingLesson {
    fn validate(&self) -> Result<(), FieldError> {
        within("depth", self.depth, 1, 64)?;
        within("width", self.width, 1, 1024)
    }

    fn teach(&self, seed: u64) -> LessonReport {
        self.run(seed).report()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_gradients_vanish_where_relu_gradients_do_not() {
        let r = VanishingLesson::default().run(1);
        eprintln!("{r:?}");
        // Eight sigmoid layers with small weights shrink the gradient by a factor of ~5 each.
        assert!(r.sigmoid_ratio < 1e-4, "{}", r.sigmoid_ratio);
        assert!(
            r.relu_ratio > 0.1 && r.relu_ratio < 10.0,
            "{}",
            r.relu_ratio
        );
    }
}
