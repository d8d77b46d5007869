//! The lecture's demonstrations as runnable lessons: LDA vs logistic regression, XOR, universal
//! approximation, gradient descent on a 1-D loss, vanishing gradients. Bevy-free.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::chart::{Axis, Chart, Ink, Mark};
use crate::nn::activation::Activation;
use crate::nn::loss::{Loss, Targets};
use crate::nn::mlp::{
    Init, LayerConfig, Network, Penalty, Schedule, Sgd, SgdState, Workspace, gradient_norms,
};
use crate::seeds::{MachineRng, Stream, rng_for};

/// A lesson and its settings, as a scene names it (`model: Lesson(Xor(hidden: 4))`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Lesson {
    LogisticVsLda(LdaLesson),
    Xor(XorLesson),
    UniversalApproximation(ApproximationLesson),
    GradientDescent(DescentLesson),
    VanishingGradients(VanishingLesson),
}

/// What a lesson found: lines for people, charts for the window, figures for tests and `--json`.
#[derive(Clone, Debug)]
pub struct LessonReport {
    pub title: String,
    pub lines: Vec<String>,
    pub charts: Vec<Chart>,
    pub figures: serde_json::Value,
}

impl Lesson {
    /// Runs the lesson with every random choice drawn from `seed`.
    pub fn run(&self, seed: u64) -> LessonReport {
        match self {
            Lesson::LogisticVsLda(l) => l.run(seed).report(),
            Lesson::Xor(l) => l.run(seed).report(),
            Lesson::UniversalApproximation(l) => l.run().report(),
            Lesson::GradientDescent(l) => l.run().report(),
            Lesson::VanishingGradients(l) => l.run(seed).report(),
        }
    }

    /// Checks the settings, naming the field at fault: every count has a floor and a ceiling,
    /// so a lesson's memory and time are bounded.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name}: {v} must be positive"))
            }
        };
        let within = |name: &str, v: usize, low: usize, high: usize| {
            if (low..=high).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name}: {v} must lie in {low}..={high}"))
            }
        };
        match self {
            Lesson::LogisticVsLda(l) => {
                positive("learning_rate", l.learning_rate as f64)?;
                within("samples_per_class", l.samples_per_class, 3, 100_000)?;
                within("epochs", l.epochs, 1, 100_000)
            }
            Lesson::Xor(l) => {
                positive("learning_rate", l.learning_rate as f64)?;
                within("hidden", l.hidden, 1, 1024)?;
                within("epochs", l.epochs, 1, 1_000_000)
            }
            Lesson::UniversalApproximation(l) => {
                within("units", l.units.len(), 1, 32)?;
                for &n in &l.units {
                    within("units", n, 1, 1 << 20)?;
                }
                Ok(())
            }
            Lesson::GradientDescent(l) => {
                within("runs", l.runs.len(), 1, 32)?;
                for run in &l.runs {
                    positive("learning_rate", run.learning_rate)?;
                    if !run.start.is_finite() {
                        return Err(format!("runs: start {} must be a number", run.start));
                    }
                }
                within("steps", l.steps, 1, 1_000_000)
            }
            Lesson::VanishingGradients(l) => {
                within("depth", l.depth, 1, 64)?;
                within("width", l.width, 1, 1024)
            }
        }
    }
}

/// Trains `network` by full-batch gradient descent for `epochs` steps; returns the final loss.
fn gradient_descent(
    network: &mut Network,
    inputs: &[f32],
    targets: Targets,
    epochs: usize,
    learning_rate: f32,
    momentum: f32,
) -> f64 {
    let batch = inputs.len() / network.input_size();
    let mut ws = Workspace::new(network, batch);
    let mut grads = network.zero_gradients();
    let mut state = SgdState::new(network);
    let sgd = Sgd {
        learning_rate,
        momentum,
        batch_size: batch,
        schedule: Schedule::Constant,
    };
    let mut loss = f64::NAN;
    for _ in 0..epochs {
        ws.input_mut(batch).copy_from_slice(inputs);
        network.forward(&mut ws, batch, 1);
        loss = network.backward(&mut ws, batch, targets, &mut grads, 1);
        state.step(network, &grads, &sgd);
    }
    loss
}

/// Fraction of rows whose predicted class matches `labels`.
fn accuracy(network: &Network, inputs: &[f32], labels: &[u16]) -> f64 {
    let q = network.output_size();
    let logits = network.logits_of(inputs, labels.len(), 1);
    let right = logits
        .chunks_exact(q)
        .zip(labels)
        .filter(|(z, l)| network.loss.predict(z) == **l as usize)
        .count();
    right as f64 / labels.len() as f64
}

// ----- Logistic regression vs linear discriminant analysis -------------------------------

/// Two Gaussian classes with one shared covariance: LDA's Bayes rule and logistic regression
/// trained by gradient descent both take the form `p(y=1|x) = sigma(w^T x + b)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdaLesson {
    pub samples_per_class: usize,
    pub epochs: usize,
    pub learning_rate: f32,
}

impl Default for LdaLesson {
    fn default() -> Self {
        Self {
            samples_per_class: 500,
            epochs: 2000,
            learning_rate: 0.5,
        }
    }
}

/// The two fitted rules and how closely they agree.
#[derive(Clone, Debug, PartialEq)]
pub struct LdaComparison {
    pub lda_w: [f64; 2],
    pub lda_b: f64,
    pub logistic_w: [f64; 2],
    pub logistic_b: f64,
    /// Cosine of the angle between the two weight vectors.
    pub cosine: f64,
    /// Fraction of test points on which both rules decide alike.
    pub agreement: f64,
    pub lda_accuracy: f64,
    pub logistic_accuracy: f64,
    pub final_loss: f64,
    /// The test points (x1, x2) and their classes, for the scatter.
    pub test_points: Vec<[f64; 2]>,
    pub test_labels: Vec<u16>,
}

/// Class means and the shared covariance of the lesson's Gaussians.
const LDA_MEANS: [[f64; 2]; 2] = [[-1.0, 0.0], [1.0, 1.0]];
const LDA_COVARIANCE: [[f64; 2]; 2] = [[1.0, 0.6], [0.6, 1.5]];

fn gaussian_points(per_class: usize, rng: &mut MachineRng) -> (Vec<f32>, Vec<u16>) {
    // Cholesky factor of the covariance: L L^T = Sigma.
    let l00 = LDA_COVARIANCE[0][0].sqrt();
    let l10 = LDA_COVARIANCE[1][0] / l00;
    let l11 = (LDA_COVARIANCE[1][1] - l10 * l10).sqrt();
    let mut points = Vec::with_capacity(4 * per_class);
    let mut labels = Vec::with_capacity(2 * per_class);
    for (class, mean) in LDA_MEANS.iter().enumerate() {
        for _ in 0..per_class {
            let (u, v): (f64, f64) = (StandardNormal.sample(rng), StandardNormal.sample(rng));
            points.push((mean[0] + l00 * u) as f32);
            points.push((mean[1] + l10 * u + l11 * v) as f32);
            labels.push(class as u16);
        }
    }
    (points, labels)
}

impl LdaLesson {
    pub fn run(&self, seed: u64) -> LdaComparison {
        let mut rng = rng_for(seed, Stream::Generator);
        let (train, train_labels) = gaussian_points(self.samples_per_class, &mut rng);
        let (test, test_labels) = gaussian_points(self.samples_per_class, &mut rng);
        // LDA: class means, pooled covariance, w = S^-1 (m1 - m0),
        // b = (m0^T S^-1 m0 - m1^T S^-1 m1) / 2 + ln(p1 / p0) (equal priors here).
        let mut means = [[0.0f64; 2]; 2];
        let mut counts = [0.0f64; 2];
        for (x, &y) in train.chunks_exact(2).zip(&train_labels) {
            means[y as usize][0] += x[0] as f64;
            means[y as usize][1] += x[1] as f64;
            counts[y as usize] += 1.0;
        }
        for c in 0..2 {
            means[c][0] /= counts[c];
            means[c][1] /= counts[c];
        }
        let mut s = [[0.0f64; 2]; 2];
        for (x, &y) in train.chunks_exact(2).zip(&train_labels) {
            let d = [
                x[0] as f64 - means[y as usize][0],
                x[1] as f64 - means[y as usize][1],
            ];
            for i in 0..2 {
                for j in 0..2 {
                    s[i][j] += d[i] * d[j];
                }
            }
        }
        let n = counts[0] + counts[1] - 2.0;
        let s = s.map(|row| row.map(|v| v / n));
        let det = s[0][0] * s[1][1] - s[0][1] * s[1][0];
        let inv = [
            [s[1][1] / det, -s[0][1] / det],
            [-s[1][0] / det, s[0][0] / det],
        ];
        let apply = |m: &[f64; 2]| {
            [
                inv[0][0] * m[0] + inv[0][1] * m[1],
                inv[1][0] * m[0] + inv[1][1] * m[1],
            ]
        };
        let (a0, a1) = (apply(&means[0]), apply(&means[1]));
        let lda_w = [a1[0] - a0[0], a1[1] - a0[1]];
        let quad = |m: &[f64; 2], a: &[f64; 2]| m[0] * a[0] + m[1] * a[1];
        let lda_b =
            0.5 * (quad(&means[0], &a0) - quad(&means[1], &a1)) + (counts[1] / counts[0]).ln();

        // Logistic regression: no hidden layer, one sigmoid output, batch gradient descent.
        let mut network = Network::new(
            2,
            &[],
            1,
            Loss::SigmoidBinaryCrossEntropy,
            Init::SmallGaussian(0.01),
            &mut rng,
        );
        let final_loss = gradient_descent(
            &mut network,
            &train,
            Targets::Classes(&train_labels),
            self.epochs,
            self.learning_rate,
            0.0,
        );
        let layer = &network.layers[0];
        let logistic_w = [layer.weights[0] as f64, layer.weights[1] as f64];
        let logistic_b = layer.bias[0] as f64;
        let norm = |w: &[f64; 2]| (w[0] * w[0] + w[1] * w[1]).sqrt();
        let cosine = (lda_w[0] * logistic_w[0] + lda_w[1] * logistic_w[1])
            / (norm(&lda_w) * norm(&logistic_w));
        let decide =
            |w: &[f64; 2], b: f64, x: &[f32]| w[0] * x[0] as f64 + w[1] * x[1] as f64 + b >= 0.0;
        let (mut agree, mut lda_right, mut logistic_right) = (0, 0, 0);
        for (x, &y) in test.chunks_exact(2).zip(&test_labels) {
            let (a, b) = (decide(&lda_w, lda_b, x), decide(&logistic_w, logistic_b, x));
            agree += (a == b) as usize;
            lda_right += (a == (y == 1)) as usize;
            logistic_right += (b == (y == 1)) as usize;
        }
        let total = test_labels.len() as f64;
        LdaComparison {
            lda_w,
            lda_b,
            logistic_w,
            logistic_b,
            cosine,
            agreement: agree as f64 / total,
            lda_accuracy: lda_right as f64 / total,
            logistic_accuracy: logistic_right as f64 / total,
            final_loss,
            test_points: test
                .chunks_exact(2)
                .map(|x| [x[0] as f64, x[1] as f64])
                .collect(),
            test_labels,
        }
    }
}

impl LdaComparison {
    fn report(&self) -> LessonReport {
        LessonReport {
            title: "Logistic regression vs linear discriminant analysis".into(),
            lines: vec![
                "Two Gaussian classes sharing one covariance: both rules read p(y=1|x) = sigma(w^T x + b).".into(),
                format!("LDA (closed form):        w = ({:+.3}, {:+.3}), b = {:+.3}", self.lda_w[0], self.lda_w[1], self.lda_b),
                format!(
                    "logistic regression (GD): w = ({:+.3}, {:+.3}), b = {:+.3}, final loss {:.4}",
                    self.logistic_w[0], self.logistic_w[1], self.logistic_b, self.final_loss
                ),
                format!("cosine between the two w: {:.4}; same decision on {:.1}% of test points", self.cosine, 100.0 * self.agreement),
                format!("test accuracy: LDA {:.4}, logistic regression {:.4}", self.lda_accuracy, self.logistic_accuracy),
            ],
            charts: vec![self.chart()],
            figures: json!({
                "cosine": self.cosine,
                "agreement": self.agreement,
                "lda_accuracy": self.lda_accuracy,
                "logistic_accuracy": self.logistic_accuracy,
                "final_loss": self.final_loss,
            }),
        }
    }
}

impl LdaComparison {
    /// The test points of both classes and the two rules' decision lines, w^T x + b = 0.
    fn chart(&self) -> Chart {
        let (x, y) = (Axis::linear("x1", -4.5, 4.5), Axis::linear("x2", -4.0, 5.0));
        let line = |w: &[f64; 2], b: f64| {
            // Solve w0 x1 + w1 x2 + b = 0 along whichever coordinate the line is steeper in.
            if w[1].abs() >= w[0].abs() {
                [x.min, x.max]
                    .map(|x1| [x1, -(w[0] * x1 + b) / w[1]])
                    .to_vec()
            } else {
                [y.min, y.max]
                    .map(|x2| [-(w[1] * x2 + b) / w[0], x2])
                    .to_vec()
            }
        };
        let class = |c: u16| {
            self.test_points
                .iter()
                .zip(&self.test_labels)
                .filter(|(_, l)| **l == c)
                .map(|(p, _)| *p)
                .take(200)
                .collect::<Vec<_>>()
        };
        let (lda_line, logistic_line) = (
            line(&self.lda_w, self.lda_b),
            line(&self.logistic_w, self.logistic_b),
        );
        Chart {
            title: "Test points and the two decision lines".into(),
            x,
            y,
            marks: vec![
                Mark::Points {
                    label: "class 0".into(),
                    ink: Ink::Cool,
                    points: class(0),
                },
                Mark::Points {
                    label: "class 1".into(),
                    ink: Ink::Warm,
                    points: class(1),
                },
                Mark::Line {
                    label: "LDA".into(),
                    ink: Ink::Reference,
                    dashed: false,
                    points: lda_line,
                },
                Mark::Line {
                    label: "logistic regression".into(),
                    ink: Ink::Light,
                    dashed: true,
                    points: logistic_line,
                },
            ],
        }
    }
}

// ----- XOR ---------------------------------------------------------------------------------

/// XOR of two inputs: a single layer cannot separate it, one hidden layer can.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct XorLesson {
    pub hidden: usize,
    pub epochs: usize,
    pub learning_rate: f32,
}

impl Default for XorLesson {
    fn default() -> Self {
        Self {
            hidden: 4,
            epochs: 2000,
            learning_rate: 0.5,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct XorResult {
    pub single_layer_accuracy: f64,
    pub single_layer_loss: f64,
    pub mlp_accuracy: f64,
    pub mlp_loss: f64,
    /// p(class 1) on a grid over `XOR_VIEW` squared, `XOR_FIELD` a side, top row first: the
    /// single layer's and the hidden layer's.
    pub single_layer_field: Vec<f32>,
    pub mlp_field: Vec<f32>,
}

/// The square the XOR charts show, and how finely their probability fields are sampled.
const XOR_VIEW: [f64; 2] = [-0.5, 1.5];
const XOR_FIELD: usize = 64;

/// A sigmoid-output network's p(class 1) on a grid over `XOR_VIEW`, top row first.
fn probability_field(network: &Network) -> Vec<f32> {
    let at =
        |k: usize| XOR_VIEW[0] + (k as f64 + 0.5) / XOR_FIELD as f64 * (XOR_VIEW[1] - XOR_VIEW[0]);
    let mut inputs = Vec::with_capacity(2 * XOR_FIELD * XOR_FIELD);
    for row in 0..XOR_FIELD {
        for column in 0..XOR_FIELD {
            inputs.push(at(column) as f32);
            inputs.push(at(XOR_FIELD - 1 - row) as f32);
        }
    }
    network
        .logits_of(&inputs, XOR_FIELD * XOR_FIELD, 1)
        .iter()
        .map(|&z| 1.0 / (1.0 + (-z).exp()))
        .collect()
}

const XOR_INPUTS: [f32; 8] = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
const XOR_LABELS: [u16; 4] = [0, 1, 1, 0];

impl XorLesson {
    pub fn run(&self, seed: u64) -> XorResult {
        let mut rng = rng_for(seed, Stream::Generator);
        let targets = Targets::Classes(&XOR_LABELS);
        let mut single = Network::new(
            2,
            &[],
            1,
            Loss::SigmoidBinaryCrossEntropy,
            Init::SmallGaussian(0.1),
            &mut rng,
        );
        let single_layer_loss = gradient_descent(
            &mut single,
            &XOR_INPUTS,
            targets,
            self.epochs,
            self.learning_rate,
            0.9,
        );
        let hidden = [LayerConfig {
            units: self.hidden,
            activation: Activation::Tanh,
        }];
        let mut mlp = Network::new(
            2,
            &hidden,
            1,
            Loss::SigmoidBinaryCrossEntropy,
            Init::Glorot,
            &mut rng,
        );
        let mlp_loss = gradient_descent(
            &mut mlp,
            &XOR_INPUTS,
            targets,
            self.epochs,
            self.learning_rate,
            0.9,
        );
        XorResult {
            single_layer_accuracy: accuracy(&single, &XOR_INPUTS, &XOR_LABELS),
            single_layer_loss,
            mlp_accuracy: accuracy(&mlp, &XOR_INPUTS, &XOR_LABELS),
            mlp_loss,
            single_layer_field: probability_field(&single),
            mlp_field: probability_field(&mlp),
        }
    }
}

impl XorResult {
    fn report(&self) -> LessonReport {
        LessonReport {
            title: "XOR: one layer fails, one hidden layer succeeds".into(),
            lines: vec![
                format!(
                    "single layer (logistic regression): accuracy {:.2}, loss {:.4} (ln 2 = 0.6931: no line separates XOR)",
                    self.single_layer_accuracy, self.single_layer_loss
                ),
                format!(
                    "one hidden tanh layer:              accuracy {:.2}, loss {:.4}",
                    self.mlp_accuracy, self.mlp_loss
                ),
            ],
            charts: vec![
                xor_chart("One layer: p(1) stays near 1/2", &self.single_layer_field),
                xor_chart("One hidden layer: XOR's four corners", &self.mlp_field),
            ],
            figures: json!({
                "single_layer_accuracy": self.single_layer_accuracy,
                "single_layer_loss": self.single_layer_loss,
                "mlp_accuracy": self.mlp_accuracy,
                "mlp_loss": self.mlp_loss,
            }),
        }
    }
}

/// One network's probability field with XOR's four points over it.
fn xor_chart(title: &str, field: &[f32]) -> Chart {
    let corners = |label: u16| {
        XOR_INPUTS
            .chunks_exact(2)
            .zip(XOR_LABELS)
            .filter(|(_, l)| *l == label)
            .map(|(x, _)| [x[0] as f64, x[1] as f64])
            .collect::<Vec<_>>()
    };
    Chart {
        title: title.into(),
        x: Axis::linear("x1", XOR_VIEW[0], XOR_VIEW[1]),
        y: Axis::linear("x2", XOR_VIEW[0], XOR_VIEW[1]),
        marks: vec![
            Mark::Field {
                label: "p(class 1), blue 0 to orange 1".into(),
                columns: XOR_FIELD,
                rows: XOR_FIELD,
                values: field.to_vec(),
            },
            Mark::Points {
                label: "class 0".into(),
                ink: Ink::Cool,
                points: corners(0),
            },
            Mark::Points {
                label: "class 1".into(),
                ink: Ink::Warm,
                points: corners(1),
            },
        ],
    }
}

// ----- Universal approximation -------------------------------------------------------------

/// `f(x) = sin(2 pi x)` on [0, 1] as a sum of step units: `F(x) = f(c_0) + sum_i v_i step(x - i/q)`,
/// a staircase through the midpoints `c_i`; the error falls like `pi / q`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApproximationLesson {
    /// Numbers of step units to try.
    pub units: Vec<usize>,
}

impl Default for ApproximationLesson {
    fn default() -> Self {
        Self {
            units: vec![4, 8, 16, 32, 64],
        }
    }
}

/// Largest and root-mean-square error on 1,000 points, per number of units.
#[derive(Clone, Debug, PartialEq)]
pub struct ApproximationResult {
    pub rows: Vec<(usize, f64, f64)>,
    /// Each row's network at the points its errors were measured on, across [0, 1].
    pub curves: Vec<Vec<[f64; 2]>>,
}

fn target_function(x: f64) -> f64 {
    (2.0 * std::f64::consts::PI * x).sin()
}

/// The staircase network for `q` intervals: `q - 1` step units, weight 1 and bias `-i/q`,
/// summed with weights `f(c_i) - f(c_{i-1})` onto the output bias `f(c_0)`.
pub fn staircase(q: usize) -> Network {
    let midpoint = |i: usize| (i as f64 + 0.5) / q as f64;
    let hidden = q.saturating_sub(1);
    let mut layers = Vec::new();
    let output_inputs = if hidden > 0 {
        layers.push(crate::nn::mlp::Dense {
            inputs: 1,
            outputs: hidden,
            weights: vec![1.0; hidden],
            bias: (1..q).map(|i| -(i as f32) / q as f32).collect(),
            activation: Activation::Step,
        });
        hidden
    } else {
        1
    };
    let weights = if hidden > 0 {
        (1..q)
            .map(|i| (target_function(midpoint(i)) - target_function(midpoint(i - 1))) as f32)
            .collect()
    } else {
        vec![0.0]
    };
    layers.push(crate::nn::mlp::Dense {
        inputs: output_inputs,
        outputs: 1,
        weights,
        bias: vec![target_function(midpoint(0)) as f32],
        activation: Activation::Identity,
    });
    Network {
        layers,
        loss: Loss::MeanSquaredError,
    }
}

impl ApproximationLesson {
    pub fn run(&self) -> ApproximationResult {
        const POINTS: usize = 1000;
        let xs: Vec<f32> = (0..POINTS)
            .map(|k| k as f32 / (POINTS - 1) as f32)
            .collect();
        // Each staircase is evaluated once: its errors and its curve come from the same points.
        let (rows, curves) = self
            .units
            .iter()
            .map(|&q| {
                let outputs = staircase(q).logits_of(&xs, POINTS, 1);
                let errors: Vec<f64> = outputs
                    .iter()
                    .zip(&xs)
                    .map(|(&y, &x)| (y as f64 - target_function(x as f64)).abs())
                    .collect();
                let max = errors.iter().copied().fold(0.0, f64::max);
                let rms = (errors.iter().map(|e| e * e).sum::<f64>() / POINTS as f64).sqrt();
                let curve = xs
                    .iter()
                    .zip(outputs)
                    .map(|(&x, y)| [x as f64, y as f64])
                    .collect();
                ((q, max, rms), curve)
            })
            .unzip();
        ApproximationResult { rows, curves }
    }
}

impl ApproximationResult {
    fn report(&self) -> LessonReport {
        let mut lines = vec![
            "sin(2 pi x) on [0, 1] as a sum of step units (Cybenko 1989; Hornik 1991):".to_string(),
        ];
        for &(q, max, rms) in &self.rows {
            lines.push(format!(
                "  {q:>4} units: largest error {max:.4}, RMS error {rms:.4}"
            ));
        }
        LessonReport {
            title: "Universal approximation by step units".into(),
            lines,
            charts: self.charts(),
            figures: json!({
                "units": self.rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                "max_error": self.rows.iter().map(|r| r.1).collect::<Vec<_>>(),
                "rms_error": self.rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            }),
        }
    }
}

impl ApproximationResult {
    /// The sine with the smallest and largest staircases over it, and both errors against the
    /// number of units on log-log axes (the largest error falls as 1/q).
    fn charts(&self) -> Vec<Chart> {
        let target = (0..=200)
            .map(|k| {
                let x = k as f64 / 200.0;
                [x, target_function(x)]
            })
            .collect();
        let mut marks = vec![Mark::Line {
            label: "sin(2 pi x)".into(),
            ink: Ink::Reference,
            dashed: false,
            points: target,
        }];
        let mut shown = vec![(0, Ink::Cool, true)];
        if self.rows.len() > 1 {
            shown.push((self.rows.len() - 1, Ink::Warm, false));
        }
        for (row, ink, dashed) in shown {
            marks.push(Mark::Line {
                label: format!("{} step units", self.rows[row].0),
                ink,
                dashed,
                points: self.curves[row].clone(),
            });
        }
        let errors = |pick: fn(&(usize, f64, f64)) -> f64| {
            self.rows
                .iter()
                .map(|r| [r.0 as f64, pick(r)])
                .collect::<Vec<_>>()
        };
        let least = |values: &mut dyn Iterator<Item = f64>| values.fold(f64::INFINITY, f64::min);
        let most = |values: &mut dyn Iterator<Item = f64>| values.fold(0.0, f64::max);
        let units = Axis::log_decades(
            "step units",
            least(&mut self.rows.iter().map(|r| r.0 as f64)),
            most(&mut self.rows.iter().map(|r| r.0 as f64)),
        );
        let error = Axis::log_decades(
            "error",
            least(&mut self.rows.iter().map(|r| r.2)),
            most(&mut self.rows.iter().map(|r| r.1)),
        );
        let series = |label: &str, ink: Ink, dashed: bool, pick: fn(&(usize, f64, f64)) -> f64| {
            [
                Mark::Line {
                    label: label.into(),
                    ink,
                    dashed,
                    points: errors(pick),
                },
                Mark::Points {
                    label: String::new(),
                    ink,
                    points: errors(pick),
                },
            ]
        };
        let mut error_marks = series("largest error", Ink::Warm, false, |r| r.1).to_vec();
        error_marks.extend(series("RMS error", Ink::Cool, true, |r| r.2));
        vec![
            Chart {
                title: "The target and two staircases".into(),
                x: Axis::linear("x", 0.0, 1.0),
                y: Axis::linear("y", -1.25, 1.25),
                marks,
            },
            Chart {
                title: "Error against the number of units".into(),
                x: units,
                y: error,
                marks: error_marks,
            },
        ]
    }
}

// ----- Gradient descent on a 1-D loss ------------------------------------------------------

/// The lecture's three examples on `L(theta) = theta^4 - 3 theta^2 + theta`, which has a local
/// minimum near 1.13 and its global minimum near -1.30.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DescentLesson {
    pub runs: Vec<DescentRun>,
    pub steps: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescentRun {
    pub start: f64,
    pub learning_rate: f64,
}

impl Default for DescentLesson {
    fn default() -> Self {
        Self {
            runs: vec![
                DescentRun {
                    start: 2.0,
                    learning_rate: 0.01,
                },
                DescentRun {
                    start: -2.0,
                    learning_rate: 0.01,
                },
                DescentRun {
                    start: 2.0,
                    learning_rate: 0.2,
                },
            ],
            steps: 1000,
        }
    }
}

/// `L(theta)` and `L'(theta)`.
pub fn descent_loss(theta: f64) -> (f64, f64) {
    (
        theta.powi(4) - 3.0 * theta * theta + theta,
        4.0 * theta.powi(3) - 6.0 * theta + 1.0,
    )
}

/// Where one run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum DescentOutcome {
    Converged { theta: f64, loss: f64, steps: usize },
    Diverged { step: usize, learning_rate: f64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct DescentResult {
    pub runs: Vec<(DescentRun, DescentOutcome)>,
    /// Each run's theta before its first step and after every step.
    pub paths: Vec<Vec<f64>>,
}

impl DescentLesson {
    pub fn run(&self) -> DescentResult {
        let (runs, paths) = self
            .runs
            .iter()
            .map(|run| {
                let mut theta = run.start;
                let mut path = vec![theta];
                let mut outcome = None;
                for step in 1..=self.steps {
                    let (_, gradient) = descent_loss(theta);
                    theta -= run.learning_rate * gradient;
                    if theta.is_finite() {
                        path.push(theta);
                    }
                    if !theta.is_finite() || theta.abs() > 1e6 {
                        outcome = Some(DescentOutcome::Diverged {
                            step,
                            learning_rate: run.learning_rate,
                        });
                        break;
                    }
                    if gradient.abs() < 1e-10 {
                        outcome = Some(DescentOutcome::Converged {
                            theta,
                            loss: descent_loss(theta).0,
                            steps: step,
                        });
                        break;
                    }
                }
                let outcome = outcome.unwrap_or(DescentOutcome::Converged {
                    theta,
                    loss: descent_loss(theta).0,
                    steps: self.steps,
                });
                ((run.clone(), outcome), path)
            })
            .unzip();
        DescentResult { runs, paths }
    }
}

impl DescentResult {
    fn report(&self) -> LessonReport {
        let mut lines = vec![
            "L(theta) = theta^4 - 3 theta^2 + theta; theta <- theta - gamma L'(theta):".to_string(),
        ];
        let mut figures = Vec::new();
        for (run, outcome) in &self.runs {
            match outcome {
                DescentOutcome::Converged { theta, loss, steps } => {
                    let kind = if *theta < 0.0 {
                        "the global minimum"
                    } else {
                        "a local minimum"
                    };
                    lines.push(format!(
                        "  from {:+.2} with gamma {}: {kind}, theta = {theta:+.4}, L = {loss:.4} after {steps} steps",
                        run.start, run.learning_rate
                    ));
                    figures.push(json!({"start": run.start, "learning_rate": run.learning_rate, "theta": theta, "loss": loss, "steps": steps}));
                }
                DescentOutcome::Diverged {
                    step,
                    learning_rate,
                } => {
                    lines.push(format!(
                        "  from {:+.2} with gamma {learning_rate}: diverged at step {step}: the learning rate is too large",
                        run.start
                    ));
                    figures.push(json!({"start": run.start, "learning_rate": learning_rate, "diverged_at": step}));
                }
            }
        }
        LessonReport {
            title: "Gradient descent on a 1-D loss".into(),
            lines,
            charts: self.charts(),
            figures: json!({ "runs": figures }),
        }
    }
}

/// Steps shown in the descent charts: enough for the small-step runs to settle.
const DESCENT_STEPS_SHOWN: usize = 150;

impl DescentResult {
    /// The loss with each run's first steps on it, and theta against the step number.
    fn charts(&self) -> Vec<Chart> {
        let inks = [(Ink::Warm, false), (Ink::Cool, true), (Ink::Light, false)];
        let theta = Axis::linear("theta", -2.5, 2.5);
        let loss_curve = (0..=250)
            .map(|k| {
                let t = theta.min + (theta.max - theta.min) * k as f64 / 250.0;
                [t, descent_loss(t).0]
            })
            .collect();
        let mut on_loss = vec![Mark::Line {
            label: "L(theta)".into(),
            ink: Ink::Reference,
            dashed: false,
            points: loss_curve,
        }];
        let mut over_steps = Vec::new();
        for (k, ((run, _), path)) in self.runs.iter().zip(&self.paths).enumerate() {
            let (ink, dashed) = inks[k % inks.len()];
            let label = format!("from {:+} with gamma {}", run.start, run.learning_rate);
            on_loss.push(Mark::Points {
                label: String::new(),
                ink,
                points: path
                    .iter()
                    .take(25)
                    .map(|&t| [t, descent_loss(t).0])
                    .collect(),
            });
            over_steps.push(Mark::Line {
                label,
                ink,
                dashed,
                points: path
                    .iter()
                    .take(DESCENT_STEPS_SHOWN + 1)
                    .enumerate()
                    .map(|(step, &t)| [step as f64, t])
                    .collect(),
            });
        }
        vec![
            Chart {
                title: "The loss, and each run's first 25 steps".into(),
                x: theta.clone(),
                y: Axis::linear("L(theta)", -4.5, 7.0),
                marks: on_loss,
            },
            Chart {
                title: "Theta at each step".into(),
                x: Axis::linear("step", 0.0, DESCENT_STEPS_SHOWN as f64),
                y: theta,
                marks: over_steps,
            },
        ]
    }
}

// ----- Vanishing gradients -----------------------------------------------------------------

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
                },
                Mark::Bars {
                    label: "ReLU".into(),
                    ink: Ink::Cool,
                    bars: bars(&self.relu_norms, 0.2),
                    width: 0.38,
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lda_and_logistic_regression_find_the_same_rule() {
        let r = LdaLesson::default().run(1);
        eprintln!("{r:?}");
        assert!(r.cosine > 0.99, "{}", r.cosine);
        assert!(r.agreement > 0.97, "{}", r.agreement);
        assert!((r.lda_accuracy - r.logistic_accuracy).abs() < 0.02);
        assert!(
            r.lda_accuracy > 0.75 && r.lda_accuracy < 0.95,
            "{}",
            r.lda_accuracy
        );
        assert!(r.final_loss < 0.5 && r.final_loss > 0.2, "{}", r.final_loss);
    }

    #[test]
    fn xor_defeats_one_layer_and_yields_to_a_hidden_layer() {
        let r = XorLesson::default().run(1);
        eprintln!("{r:?}");
        assert!(r.single_layer_accuracy <= 0.75);
        // The best a single layer can do on XOR is predict 1/2 everywhere: loss ln 2.
        assert!(r.single_layer_loss > 0.69, "{}", r.single_layer_loss);
        assert_eq!(r.mlp_accuracy, 1.0);
        assert!(r.mlp_loss < 0.01, "{}", r.mlp_loss);
    }

    #[test]
    fn step_units_approximate_the_sine_ever_closer() {
        let r = ApproximationLesson::default().run();
        eprintln!("{r:?}");
        for pair in r.rows.windows(2) {
            assert!(pair[1].1 < pair[0].1 && pair[1].2 < pair[0].2, "{pair:?}");
        }
        // Largest error at most pi/q (slope 2 pi times half an interval), and close to it.
        for &(q, max, _) in &r.rows {
            let bound = std::f64::consts::PI / q as f64;
            assert!(
                max <= bound + 1e-3 && max > 0.6 * bound,
                "{q}: {max} vs {bound}"
            );
        }
    }

    #[test]
    fn gradient_descent_finds_local_and_global_minima_and_diverges_when_too_bold() {
        let r = DescentLesson::default().run();
        eprintln!("{r:?}");
        let DescentOutcome::Converged { theta, loss, .. } = r.runs[0].1 else {
            panic!()
        };
        assert!(
            (theta - 1.1309).abs() < 1e-3 && (loss + 1.0705).abs() < 1e-3,
            "{theta} {loss}"
        );
        let DescentOutcome::Converged { theta, loss, .. } = r.runs[1].1 else {
            panic!()
        };
        assert!(
            (theta + 1.3008).abs() < 1e-3 && (loss + 3.5139).abs() < 1e-3,
            "{theta} {loss}"
        );
        assert!(
            matches!(r.runs[2].1, DescentOutcome::Diverged { learning_rate, .. } if learning_rate == 0.2)
        );
    }

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

    #[test]
    fn every_lesson_draws_charts_of_its_own_results() {
        let lessons = [
            Lesson::LogisticVsLda(LdaLesson::default()),
            Lesson::Xor(XorLesson::default()),
            Lesson::UniversalApproximation(ApproximationLesson::default()),
            Lesson::GradientDescent(DescentLesson::default()),
            Lesson::VanishingGradients(VanishingLesson::default()),
        ];
        for lesson in &lessons {
            let report = lesson.run(1);
            assert!(!report.charts.is_empty(), "{}", report.title);
            for chart in &report.charts {
                assert!(chart.x.min < chart.x.max && chart.y.min < chart.y.max);
                for mark in &chart.marks {
                    match mark {
                        Mark::Line { points, .. } => assert!(points.len() >= 2),
                        Mark::Field {
                            columns,
                            rows,
                            values,
                            ..
                        } => {
                            assert_eq!(values.len(), columns * rows);
                            assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
                        }
                        Mark::Points { points, .. } | Mark::Bars { bars: points, .. } => {
                            assert!(!points.is_empty())
                        }
                    }
                }
            }
        }
        // The two LDA lines nearly coincide, as the cosine says.
        let lda = LdaLesson::default().run(1).chart();
        let ends = |k: usize| match &lda.marks[k] {
            Mark::Line { points, .. } => points.clone(),
            _ => panic!(),
        };
        for (a, b) in ends(2).iter().zip(ends(3)) {
            assert!(
                (a[0] - b[0]).abs() + (a[1] - b[1]).abs() < 0.5,
                "{a:?} {b:?}"
            );
        }
        // The largest staircase stays within its error bound of the sine.
        let approximation = ApproximationLesson::default().run();
        let (q, max, _) = *approximation.rows.last().unwrap();
        for p in approximation.curves.last().unwrap() {
            assert!(
                (p[1] - target_function(p[0])).abs() <= max + 1e-3,
                "{q}: {p:?}"
            );
        }
        // Each descent path starts where the run starts and ends where it settled.
        let descent = DescentLesson::default().run();
        for ((run, outcome), path) in descent.runs.iter().zip(&descent.paths) {
            assert_eq!(path[0], run.start);
            if let DescentOutcome::Converged { theta, .. } = outcome {
                assert_eq!(path.last(), Some(theta));
            }
        }
    }
}
