//! Vanishing gradients: two deep networks side by side (a sigmoid one and a ReLU one, as the
//! lecture compares), the gradient norm of each layer and the histograms of its gradients, at
//! initialisation or after steps of training (Glorot & Bengio, 2010).

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::instrument::{Knob, evenly, one_two_five};
use super::{LessonReport, Teach, positive, within};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::fields::FieldError;
use crate::nn::activation::Activation;
use crate::nn::loss::{Loss, Targets};
use crate::nn::mlp::{
    Gradients, Init, LayerConfig, Network, Penalty, Schedule, Sgd, SgdState, Workspace,
    gradient_norms,
};
use crate::seeds::{Stream, rng_for};

/// Two deep networks of `depth` hidden layers of `width` units, one per activation, each
/// initialised as the lecture does for it (sigmoid and tanh: N(0, 0.1²); ReLU: He): the
/// gradient of each weight matrix on one batch, after `steps` steps of SGD (0: at
/// initialisation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VanishingLesson {
    pub depth: usize,
    pub width: usize,
    pub activations: [Activation; 2],
    pub steps: usize,
    pub learning_rate: f32,
}

impl Default for VanishingLesson {
    fn default() -> Self {
        Self {
            depth: 8,
            width: 64,
            activations: [Activation::Sigmoid, Activation::Relu],
            steps: 0,
            learning_rate: 0.1,
        }
    }
}

/// One network's gradients: each weight matrix's norm, input layer first, and the histograms
/// of the first, middle and last matrices' entries.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerGradients {
    pub activation: Activation,
    pub norms: Vec<f64>,
    /// (weight matrix, 1 = input layer; the fraction of its entries in each bin, at the bin's
    /// centre), for the first, middle and last hidden layer.
    pub histograms: Vec<(usize, Vec<[f64; 2]>)>,
    /// The histograms' range: gradients from -reach to +reach.
    pub reach: f64,
}

/// Both networks' gradients, and each one's first/last norm ratio.
#[derive(Clone, Debug, PartialEq)]
pub struct VanishingResult {
    pub steps: usize,
    pub networks: [LayerGradients; 2],
    pub ratios: [f64; 2],
}

/// The activations the lesson offers, and their names.
const ACTIVATIONS: [Activation; 4] = [
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Relu,
    Activation::LeakyRelu(0.1),
];
const ACTIVATION_NAMES: [&str; 4] = ["sigmoid", "tanh", "ReLU", "leaky ReLU"];

fn name_of(activation: Activation) -> &'static str {
    ACTIVATIONS
        .iter()
        .position(|a| *a == activation)
        .map_or("identity", |k| ACTIVATION_NAMES[k])
}

/// The lecture's initialisation for an activation: small Gaussian weights for the squashing
/// ones, He for the rectifiers.
fn init_for(activation: Activation) -> Init {
    match activation {
        Activation::Relu | Activation::LeakyRelu(_) => Init::He,
        _ => Init::SmallGaussian(0.1),
    }
}

const BATCH: usize = 256;
const TRAINING_BATCH: usize = 64;
const INPUTS: usize = 64;
const CLASSES: usize = 10;
const BINS: usize = 41;

impl VanishingLesson {
    pub fn run(&self, seed: u64) -> VanishingResult {
        let mut rng = rng_for(seed, Stream::Generator);
        let inputs: Vec<f32> = (0..BATCH * INPUTS)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let labels: Vec<u16> = (0..BATCH)
            .map(|_| rng.random_range(0..CLASSES as u16))
            .collect();
        let networks = self.activations.map(|activation| {
            let hidden = vec![
                LayerConfig {
                    units: self.width,
                    activation,
                };
                self.depth
            ];
            let mut network = Network::new(
                INPUTS,
                &hidden,
                CLASSES,
                Loss::SoftmaxCrossEntropy,
                init_for(activation),
                &mut rng,
            );
            self.train(&mut network, &inputs, &labels);
            let grads = gradients_on(&network, &inputs, &labels, BATCH);
            gradients_of(activation, &grads)
        });
        let ratio = |n: &[f64]| n[0] / n[n.len() - 1];
        VanishingResult {
            steps: self.steps,
            ratios: [ratio(&networks[0].norms), ratio(&networks[1].norms)],
            networks,
        }
    }

    /// `steps` steps of SGD on batches of [`TRAINING_BATCH`] taken in turn from the examples.
    fn train(&self, network: &mut Network, inputs: &[f32], labels: &[u16]) {
        let sgd = Sgd {
            learning_rate: self.learning_rate,
            momentum: 0.0,
            batch_size: TRAINING_BATCH,
            schedule: Schedule::Constant,
        };
        let mut state = SgdState::new(network);
        let batches = BATCH / TRAINING_BATCH;
        for step in 0..self.steps {
            let k = step % batches;
            let rows = k * TRAINING_BATCH..(k + 1) * TRAINING_BATCH;
            let grads = gradients_on(
                network,
                &inputs[rows.start * INPUTS..rows.end * INPUTS],
                &labels[rows],
                TRAINING_BATCH,
            );
            state.step(network, &grads, &sgd);
        }
    }
}

/// The gradients of the mean loss over a batch of `count` examples.
fn gradients_on(network: &Network, inputs: &[f32], labels: &[u16], count: usize) -> Gradients {
    let mut ws = Workspace::new(network, count);
    ws.input_mut(count).copy_from_slice(inputs);
    network.forward(&mut ws, count, 1);
    let mut grads = network.zero_gradients();
    network.backward(&mut ws, count, Targets::Classes(labels), &mut grads, 1);
    network.add_penalty(Penalty::None, &mut grads);
    grads
}

/// Norms of every weight matrix, and the histograms of the first, middle and last hidden
/// layer's (the output layer's, ten times fewer and far larger, would flatten the others).
fn gradients_of(activation: Activation, grads: &Gradients) -> LayerGradients {
    let last_hidden = grads.weights.len().saturating_sub(2);
    let mut shown = vec![0, last_hidden / 2, last_hidden];
    shown.dedup();
    // The range holds all but the widest 0.5% of the most spread layer's entries.
    let reach = shown
        .iter()
        .map(|&k| {
            let mut sizes: Vec<f32> = grads.weights[k].iter().map(|g| g.abs()).collect();
            sizes.sort_by(f32::total_cmp);
            sizes[(sizes.len() * 995 / 1000).min(sizes.len() - 1)] as f64
        })
        .fold(0.0, f64::max)
        .max(1e-12);
    let histograms = shown
        .iter()
        .map(|&k| (k + 1, histogram(&grads.weights[k], reach)))
        .collect();
    LayerGradients {
        activation,
        norms: gradient_norms(grads),
        histograms,
        reach,
    }
}

/// The fraction of `values` in each of [`BINS`] equal bins over `-reach..reach` (the outer
/// bins take what lies beyond), at the bins' centres.
fn histogram(values: &[f32], reach: f64) -> Vec<[f64; 2]> {
    let mut counts = [0usize; BINS];
    let width = 2.0 * reach / BINS as f64;
    for &v in values {
        let bin = ((v as f64 + reach) / width)
            .floor()
            .clamp(0.0, (BINS - 1) as f64);
        counts[bin as usize] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            [
                -reach + (k as f64 + 0.5) * width,
                c as f64 / values.len() as f64,
            ]
        })
        .collect()
}

impl VanishingResult {
    fn report(&self) -> LessonReport {
        let fmt = |n: &[f64]| {
            n.iter()
                .map(|v| format!("{v:.1e}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let [a, b] = &self.networks;
        let when = if self.steps == 0 {
            "at initialisation".to_string()
        } else {
            format!("after {} steps of SGD", self.steps)
        };
        LessonReport {
            graph: None,
            graph_current: None,
            title: format!(
                "Vanishing gradients: deep {} vs deep {}",
                name_of(a.activation),
                name_of(b.activation)
            ),
            charts: vec![self.chart(), histogram_chart(a), histogram_chart(b)],
            lines: vec![
                format!(
                    "gradient norm of each weight matrix on one batch {when}, input layer first:"
                ),
                format!("  {:<10} {}", name_of(a.activation), fmt(&a.norms)),
                format!("  {:<10} {}", name_of(b.activation), fmt(&b.norms)),
                format!(
                    "first layer / last layer: {} {:.1e}, {} {:.2e}",
                    name_of(a.activation),
                    self.ratios[0],
                    name_of(b.activation),
                    self.ratios[1]
                ),
            ],
            figures: json!({
                "steps": self.steps,
                "activations": [name_of(a.activation), name_of(b.activation)],
                "norms": [a.norms, b.norms],
                "ratios": self.ratios,
                "sigmoid_norms": a.norms,
                "relu_norms": b.norms,
                "sigmoid_ratio": self.ratios[0],
                "relu_ratio": self.ratios[1],
            }),
        }
    }

    /// Each weight matrix's gradient norm, input layer first, on a log scale: the first
    /// network's bars beside the second's.
    fn chart(&self) -> Chart {
        let [a, b] = &self.networks;
        let all = a.norms.iter().chain(&b.norms);
        let low = all
            .clone()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let high = all.copied().fold(0.0, f64::max);
        let layers = a.norms.len().max(b.norms.len());
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
                    label: name_of(a.activation).into(),
                    ink: Ink::Warm,
                    bars: bars(&a.norms, -0.2),
                    width: 0.38,
                    outline: false,
                },
                Mark::Bars {
                    label: name_of(b.activation).into(),
                    ink: Ink::Cool,
                    bars: bars(&b.norms, 0.2),
                    width: 0.38,
                    outline: false,
                },
            ],
        }
    }
}

/// One network's normalised gradient histograms, first, middle and last hidden layer: near
/// the input a vanishing gradient is a spike at zero.
fn histogram_chart(network: &LayerGradients) -> Chart {
    let inks = [(Ink::Warm, false), (Ink::Light, true), (Ink::Cool, false)];
    let top = network
        .histograms
        .iter()
        .flat_map(|(_, h)| h.iter().map(|p| p[1]))
        .fold(0.0, f64::max);
    Chart {
        title: format!("{}: gradients of three layers", name_of(network.activation)),
        x: Axis::linear("gradient of a weight", -network.reach, network.reach),
        y: Axis::linear("fraction", 0.0, (top * 1.1).max(0.01)),
        marks: network
            .histograms
            .iter()
            .zip(inks)
            .map(|((layer, bins), (ink, dashed))| Mark::Line {
                label: format!("layer {layer}"),
                ink,
                dashed,
                points: bins.clone(),
            })
            .collect(),
    }
}

impl Teach for VanishingLesson {
    fn validate(&self) -> Result<(), FieldError> {
        within("depth", self.depth, 1, 64)?;
        within("width", self.width, 1, 1024)?;
        within("steps", self.steps, 0, 100_000)?;
        positive("learning_rate", self.learning_rate as f64)
    }

    fn teach(&self, seed: u64) -> LessonReport {
        self.run(seed).report()
    }

    fn knobs(&self) -> Vec<Knob> {
        let chosen = |k: usize| {
            ACTIVATIONS
                .iter()
                .position(|a| *a == self.activations[k])
                .unwrap_or(0)
        };
        vec![
            Knob::numeric("hidden layers", evenly(1.0, 16.0, 1.0), self.depth as f64),
            Knob::numeric(
                "units per layer",
                vec![8.0, 16.0, 32.0, 64.0, 128.0],
                self.width as f64,
            ),
            Knob::choice("first network", &ACTIVATION_NAMES, chosen(0)),
            Knob::choice("second network", &ACTIVATION_NAMES, chosen(1)),
            Knob::numeric(
                "learning rate",
                one_two_five(0.001, 1.0),
                self.learning_rate as f64,
            ),
        ]
    }

    fn set_knob(&mut self, index: usize, value: f64) {
        let activation = ACTIVATIONS[(value as usize).min(ACTIVATIONS.len() - 1)];
        match index {
            0 => self.depth = value as usize,
            1 => self.width = value as usize,
            2 => self.activations[0] = activation,
            3 => self.activations[1] = activation,
            4 => self.learning_rate = value as f32,
            _ => {}
        }
    }

    fn clock(&self) -> Option<usize> {
        Some(self.steps)
    }

    fn set_clock(&mut self, steps: usize) {
        self.steps = steps;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_gradients_vanish_where_relu_gradients_do_not() {
        let r = VanishingLesson::default().run(1);
        // Eight sigmoid layers with small weights shrink the gradient by a factor of ~5 each.
        assert!(r.ratios[0] < 1e-4, "{}", r.ratios[0]);
        assert!(r.ratios[1] > 0.1 && r.ratios[1] < 10.0, "{}", r.ratios[1]);
        // Near the input the sigmoid's gradients are a spike at zero: the middle bin holds
        // nearly all of the first layer, and much less of the last hidden one.
        let [sigmoid, relu] = &r.networks;
        let middle = |h: &[[f64; 2]]| h[BINS / 2][1];
        assert!(middle(&sigmoid.histograms[0].1) > 0.95);
        assert!(middle(&sigmoid.histograms[2].1) < 0.5);
        // ReLU's gradients are sparse (a unit off passes none back) but no spike at any depth.
        assert!(middle(&relu.histograms[0].1) < 0.8);
        for (_, bins) in sigmoid.histograms.iter().chain(&relu.histograms) {
            let total: f64 = bins.iter().map(|b| b[1]).sum();
            assert!((total - 1.0).abs() < 1e-9, "{total}");
        }
    }

    #[test]
    fn training_moves_the_weights_and_the_gradients_with_them() {
        let at_start = VanishingLesson::default().run(1);
        let trained = VanishingLesson {
            steps: 20,
            ..VanishingLesson::default()
        }
        .run(1);
        // Twenty steps of SGD on the same batches change every layer's gradient.
        for (a, b) in at_start.networks[1]
            .norms
            .iter()
            .zip(&trained.networks[1].norms)
        {
            assert!((a - b).abs() > 1e-6 * a, "{a} {b}");
        }
        // The same seed and settings give the same numbers.
        assert_eq!(
            trained,
            VanishingLesson {
                steps: 20,
                ..VanishingLesson::default()
            }
            .run(1)
        );
    }

    #[test]
    fn a_histogram_counts_every_value_once() {
        let h = histogram(&[0.0, 0.0, 1.0, -5.0], 1.0);
        assert_eq!(h.len(), BINS);
        assert_eq!(h[BINS / 2][1], 0.5);
        // 1.0 is the top edge: the last bin; -5 lies beyond and joins the first.
        assert_eq!((h[BINS - 1][1], h[0][1]), (0.25, 0.25));
        assert!((h[BINS / 2][0]).abs() < 1e-12);
    }
}
