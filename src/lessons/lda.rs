//! Logistic regression beside linear discriminant analysis on two Gaussian classes: the
//! same rule, one fitted in closed form and one learned by gradient descent.

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{LessonReport, Teach, gradient_descent, positive, within};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::fields::FieldError;
use crate::nn::loss::{Loss, Targets};
use crate::nn::mlp::{Init, Network};
use crate::seeds::{MachineRng, Stream, rng_for};

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

/// LDA in closed form on two classes of 2-D points: class means, pooled covariance `S`,
/// `w = S^-1 (m1 - m0)`, `b = (m0^T S^-1 m0 - m1^T S^-1 m1) / 2 + ln(p1 / p0)`.
fn fit_lda(train: &[f32], train_labels: &[u16]) -> ([f64; 2], f64) {
    let mut means = [[0.0f64; 2]; 2];
    let mut counts = [0.0f64; 2];
    for (x, &y) in train.chunks_exact(2).zip(train_labels) {
        means[y as usize][0] += x[0] as f64;
        means[y as usize][1] += x[1] as f64;
        counts[y as usize] += 1.0;
    }
    for c in 0..2 {
        means[c][0] /= counts[c];
        means[c][1] /= counts[c];
    }
    let mut s = [[0.0f64; 2]; 2];
    for (x, &y) in train.chunks_exact(2).zip(train_labels) {
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
    let lda_b = 0.5 * (quad(&means[0], &a0) - quad(&means[1], &a1)) + (counts[1] / counts[0]).ln();
    (lda_w, lda_b)
}

impl LdaLesson {
    pub fn run(&self, seed: u64) -> LdaComparison {
        let mut rng = rng_for(seed, Stream::Generator);
        let (train, train_labels) = gaussian_points(self.samples_per_class, &mut rng);
        let (test, test_labels) = gaussian_points(self.samples_per_class, &mut rng);
        let (lda_w, lda_b) = fit_lda(&train, &train_labels);

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
    pub(super) fn chart(&self) -> Chart {
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

impl Teach for LdaLesson {
    fn validate(&self) -> Result<(), FieldError> {
        positive("learning_rate", self.learning_rate as f64)?;
        within("samples_per_class", self.samples_per_class, 3, 100_000)?;
        within("epochs", self.epochs, 1, 100_000)
    }

    fn teach(&self, seed: u64) -> LessonReport {
        self.run(seed).report()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lda_in_closed_form_matches_the_arithmetic() {
        // Class 0 around (0, 0), class 1 the same shifted to (2, 0): each class's scatter is
        // 2I, pooled over 8 - 2 = 6 degrees of freedom S = (2/3) I, so S^-1 = 1.5 I,
        // w = 1.5 (2, 0) = (3, 0) and b = (0 - (2, 0).(3, 0)) / 2 + ln 1 = -3: the line x = 1.
        let points = [-1.0, 0.0, 1.0, 0.0, 0.0, -1.0, 0.0, 1.0];
        let shifted: Vec<f32> = points.chunks(2).flat_map(|p| [p[0] + 2.0, p[1]]).collect();
        let train: Vec<f32> = points.iter().copied().chain(shifted).collect();
        let labels = [0, 0, 0, 0, 1, 1, 1, 1];
        let (w, b) = fit_lda(&train, &labels);
        assert!((w[0] - 3.0).abs() < 1e-9 && w[1].abs() < 1e-9, "{w:?}");
        assert!((b + 3.0).abs() < 1e-9, "{b}");
    }

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
}
