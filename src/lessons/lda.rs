//! Logistic regression beside linear discriminant analysis on two Gaussian classes: the
//! same rule, one fitted in closed form and one learned by gradient descent.

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::instrument::{Knob, evenly, one_two_five};
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
    /// How far apart the two class means lie.
    pub separation: f64,
    /// The classes' spread: their shared covariance scaled by its square.
    pub spread: f64,
    /// Where a visitor dragged the class means; until then they lie `separation` apart along
    /// the lecture's line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub means: Option<[[f64; 2]; 2]>,
}

impl Default for LdaLesson {
    fn default() -> Self {
        Self {
            samples_per_class: 500,
            epochs: 2000,
            learning_rate: 0.5,
            separation: DEFAULT_SEPARATION,
            spread: 1.0,
            means: None,
        }
    }
}

/// The distance between the lecture's means, (-1, 0) and (1, 1).
const DEFAULT_SEPARATION: f64 = 2.236_067_977_499_79;

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
    /// The class means the points were drawn about.
    pub means: [[f64; 2]; 2],
}

/// Where the class means lie: about this centre, along this direction (unit length), as the
/// lecture's (-1, 0) and (1, 1) at the default separation. And the shared covariance.
const LDA_CENTRE: [f64; 2] = [0.0, 0.5];
const LDA_DIRECTION: [f64; 2] = [0.894_427_190_999_916, 0.447_213_595_499_958];
const LDA_COVARIANCE: [[f64; 2]; 2] = [[1.0, 0.6], [0.6, 1.5]];

/// The scatter's axes: where the means may be dragged.
const LDA_X: [f64; 2] = [-4.5, 4.5];
const LDA_Y: [f64; 2] = [-4.0, 5.0];

impl LdaLesson {
    /// The two class means: where they were dragged, else `separation` apart about the centre.
    fn means(&self) -> [[f64; 2]; 2] {
        if let Some(means) = self.means {
            return means;
        }
        Self::means_about(LDA_CENTRE, LDA_DIRECTION, self.separation)
    }

    /// Two points `separation` apart about `centre` along the unit `direction`.
    fn means_about(centre: [f64; 2], direction: [f64; 2], separation: f64) -> [[f64; 2]; 2] {
        let half = separation / 2.0;
        [-half, half].map(|s| [centre[0] + s * direction[0], centre[1] + s * direction[1]])
    }

    /// Sets the distance between the means, keeping their midpoint and direction.
    fn set_separation(&mut self, separation: f64) {
        self.separation = separation;
        if let Some([a, b]) = self.means {
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let length = dx.hypot(dy);
            let direction = match length > 1e-9 {
                true => [dx / length, dy / length],
                false => LDA_DIRECTION,
            };
            let centre = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
            self.means = Some(Self::means_about(centre, direction, separation));
        }
    }

    /// Moves the mean nearer `from` to `to` (kept on the chart): a drag across the scatter.
    fn drag_mean(&mut self, from: [f64; 2], to: [f64; 2]) {
        let mut means = self.means();
        let distance = |m: &[f64; 2]| (m[0] - from[0]).hypot(m[1] - from[1]);
        let nearer = usize::from(distance(&means[1]) < distance(&means[0]));
        means[nearer] = [
            to[0].clamp(LDA_X[0], LDA_X[1]),
            to[1].clamp(LDA_Y[0], LDA_Y[1]),
        ];
        self.separation = (means[1][0] - means[0][0]).hypot(means[1][1] - means[0][1]);
        self.means = Some(means);
    }

    fn gaussian_points(&self, per_class: usize, rng: &mut MachineRng) -> (Vec<f32>, Vec<u16>) {
        // Cholesky factor of the covariance: L L^T = Sigma, scaled by the spread.
        let l00 = LDA_COVARIANCE[0][0].sqrt();
        let l10 = LDA_COVARIANCE[1][0] / l00;
        let l11 = (LDA_COVARIANCE[1][1] - l10 * l10).sqrt();
        let [l00, l10, l11] = [l00, l10, l11].map(|v| v * self.spread);
        let mut points = Vec::with_capacity(4 * per_class);
        let mut labels = Vec::with_capacity(2 * per_class);
        for (class, mean) in self.means().iter().enumerate() {
            for _ in 0..per_class {
                let (u, v): (f64, f64) = (StandardNormal.sample(rng), StandardNormal.sample(rng));
                points.push((mean[0] + l00 * u) as f32);
                points.push((mean[1] + l10 * u + l11 * v) as f32);
                labels.push(class as u16);
            }
        }
        (points, labels)
    }
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
        let (train, train_labels) = self.gaussian_points(self.samples_per_class, &mut rng);
        let (test, test_labels) = self.gaussian_points(self.samples_per_class, &mut rng);
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
            means: self.means(),
        }
    }
}

impl LdaComparison {
    fn report(&self, epochs: usize) -> LessonReport {
        LessonReport {
 graph: None,
 graph_current: None,
            title: "Logistic regression vs linear discriminant analysis".into(),
            lines: vec![
                "Two Gaussian classes sharing one covariance: both rules read p(y=1|x) = sigma(w^T x + b).".into(),
                format!("LDA (closed form):        w = ({:+.3}, {:+.3}), b = {:+.3}", self.lda_w[0], self.lda_w[1], self.lda_b),
                format!(
                    "logistic regression (GD): w = ({:+.3}, {:+.3}), b = {:+.3}, loss {:.4} after {epochs} epochs",
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
        let (x, y) = (
            Axis::linear("x1", LDA_X[0], LDA_X[1]),
            Axis::linear("x2", LDA_Y[0], LDA_Y[1]),
        );
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
                Mark::Points {
                    label: "means".into(),
                    ink: Ink::Reference,
                    points: self.means.to_vec(),
                },
            ],
        }
    }
}

impl Teach for LdaLesson {
    fn validate(&self) -> Result<(), FieldError> {
        positive("learning_rate", self.learning_rate as f64)?;
        within("samples_per_class", self.samples_per_class, 3, 100_000)?;
        within("epochs", self.epochs, 1, 100_000)?;
        if !(0.0..=20.0).contains(&self.separation) {
            return Err(FieldError::at(
                "separation",
                format!("{} must lie in 0..=20", self.separation),
            ));
        }
        positive("spread", self.spread)?;
        if self.spread > 10.0 {
            return Err(FieldError::at(
                "spread",
                format!("{} must be at most 10", self.spread),
            ));
        }
        for (k, mean) in self.means.iter().flatten().enumerate() {
            if !mean.iter().all(|v| v.is_finite() && v.abs() <= 20.0) {
                return Err(FieldError::at(
                    format!("means[{k}]"),
                    format!("{mean:?} must be two numbers within -20..=20"),
                ));
            }
        }
        Ok(())
    }

    fn teach(&self, seed: u64) -> LessonReport {
        self.run(seed).report(self.epochs)
    }

    fn knobs(&self) -> Vec<Knob> {
        vec![
            Knob::numeric(
                "distance between the means",
                evenly(0.25, 5.0, 0.25),
                self.separation,
            ),
            Knob::numeric("spread", evenly(0.25, 3.0, 0.25), self.spread),
            Knob::numeric(
                "learning rate",
                one_two_five(0.01, 5.0),
                self.learning_rate as f64,
            ),
            Knob::numeric(
                "points per class",
                vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0],
                self.samples_per_class as f64,
            ),
        ]
    }

    fn set_knob(&mut self, index: usize, value: f64) {
        match index {
            0 => self.set_separation(value),
            1 => self.spread = value,
            2 => self.learning_rate = value as f32,
            3 => self.samples_per_class = value as usize,
            _ => {}
        }
    }

    fn clock(&self) -> Option<usize> {
        Some(self.epochs)
    }

    fn set_clock(&mut self, steps: usize) {
        self.epochs = steps;
    }

    fn clock_unit(&self) -> &'static str {
        "epoch"
    }

    fn touch(&mut self, chart: usize, from: [f64; 2], to: [f64; 2]) {
        if chart == 0 {
            self.drag_mean(from, to);
        }
    }

    fn touch_hint(&self) -> Option<&'static str> {
        Some("Drag a class mean (the marks labelled means) across the chart.")
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

    #[test]
    fn a_dragged_mean_follows_the_finger_and_the_rules_turn_with_it() {
        let mut lesson = LdaLesson {
            samples_per_class: 200,
            epochs: 300,
            ..LdaLesson::default()
        };
        let [a, b] = lesson.means();
        // press beside the second mean, drag it to straight above the first
        lesson.touch(0, [b[0] + 0.1, b[1]], [a[0], 3.5]);
        let moved = lesson.means();
        assert_eq!(moved[0], a, "the other mean stays");
        assert_eq!(moved[1], [a[0], 3.5]);
        assert!((lesson.separation - (3.5 - a[1])).abs() < 1e-12);
        // the means now differ in x2 alone: both rules weigh x2 most (LDA: S^-1 (0, 3.5)
        // is (-0.6, 1) times 3.5 / 1.14)
        let r = lesson.run(3);
        assert_eq!(r.means, moved);
        for w in [r.lda_w, r.logistic_w] {
            assert!(w[1].abs() > 1.2 * w[0].abs(), "{w:?}");
        }
        assert!(r.cosine > 0.98, "{}", r.cosine);
        // a drag off the chart stops at its edge; the distance knob keeps the direction
        lesson.touch(0, [a[0], 3.5], [a[0], 40.0]);
        assert_eq!(lesson.means()[1], [a[0], LDA_Y[1]]);
        lesson.set_knob(0, 2.0);
        let [p, q] = lesson.means();
        assert!(((q[0] - p[0]).hypot(q[1] - p[1]) - 2.0).abs() < 1e-9);
        assert!((q[0] - p[0]).abs() < 1e-9, "still one above the other");
        assert!(lesson.validate().is_ok());
        lesson.means = Some([[0.0, f64::NAN], [1.0, 1.0]]);
        assert_eq!(lesson.validate().unwrap_err().dotted(), "means[0]");
    }
}
