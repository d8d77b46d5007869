//! Gradient descent on a 1-D loss with two minima: the local one, the global one, and
//! divergence when the step is too bold.

use serde::{Deserialize, Serialize};
use serde_json::json;

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::instrument::{Knob, evenly, one_two_five};
use super::{LessonReport, Teach, positive, within};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::fields::FieldError;
use crate::seeds::{Stream, rng_for};

/// The lecture's three examples on `L(theta) = theta^4 - 3 theta^2 + theta`, which has a local
/// minimum near 1.13 and its global minimum near -1.30.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DescentLesson {
    pub runs: Vec<DescentRun>,
    pub steps: usize,
    /// The step size of the batch-vs-stochastic figure (logistic regression on two weights).
    pub contour_rate: f64,
    /// Which run the start and step-size knobs move (not saved: a choice on the screen).
    #[serde(skip)]
    pub selected: usize,
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
            contour_rate: 0.5,
            selected: 0,
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
    fn report(&self, contour: &ContourResult) -> LessonReport {
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
        lines.push(format!(
            "logistic regression on two weights, gamma {}: batch descent ends at loss {:.4}, one example per step at {:.4}",
            contour.rate,
            contour.loss_at(*contour.batch.last().unwrap_or(&contour.start)),
            contour.loss_at(*contour.stochastic.last().unwrap_or(&contour.start)),
        ));
        let mut charts = self.charts();
        charts.push(contour.chart());
        LessonReport {
            graph: None,
            graph_current: None,
            title: "Gradient descent on a 1-D loss".into(),
            lines,
            charts,
            figures: json!({ "runs": figures, "contour": contour.figures() }),
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

impl Teach for DescentLesson {
    fn validate(&self) -> Result<(), FieldError> {
        within("runs", self.runs.len(), 1, 32)?;
        for run in &self.runs {
            positive("learning_rate", run.learning_rate)?;
            if !run.start.is_finite() {
                return Err(FieldError::at(
                    "runs",
                    format!("start {} must be a number", run.start),
                ));
            }
        }
        positive("contour_rate", self.contour_rate)?;
        within("steps", self.steps, 1, 1_000_000)
    }

    fn teach(&self, seed: u64) -> LessonReport {
        self.run().report(&self.contour(seed))
    }

    fn knobs(&self) -> Vec<Knob> {
        let names: Vec<String> = (1..=self.runs.len()).map(|k| format!("run {k}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let selected = self.selected.min(self.runs.len().saturating_sub(1));
        let run = &self.runs[selected];
        vec![
            Knob::choice("the knobs below move", &names, selected),
            Knob::numeric("start (theta)", evenly(-2.4, 2.4, 0.1), run.start),
            Knob::numeric("gamma (step size)", GAMMAS.to_vec(), run.learning_rate),
            Knob::numeric(
                "gamma on the contour",
                one_two_five(0.01, 5.0),
                self.contour_rate,
            ),
        ]
    }

    fn set_knob(&mut self, index: usize, value: f64) {
        let selected = self.selected.min(self.runs.len().saturating_sub(1));
        match index {
            0 => self.selected = (value as usize).min(self.runs.len().saturating_sub(1)),
            1 => self.runs[selected].start = value,
            2 => self.runs[selected].learning_rate = value,
            3 => self.contour_rate = value,
            _ => {}
        }
    }

    fn clock(&self) -> Option<usize> {
        Some(self.steps)
    }

    fn set_clock(&mut self, steps: usize) {
        self.steps = steps;
    }

    fn touch(&mut self, chart: usize, _from: [f64; 2], to: [f64; 2]) {
        if chart == 0 && !self.runs.is_empty() {
            let stops = evenly(-2.4, 2.4, 0.1);
            let selected = self.selected.min(self.runs.len() - 1);
            self.runs[selected].start = stops[super::instrument::nearest(&stops, to[0])];
        }
    }

    fn touch_hint(&self) -> Option<&'static str> {
        Some("Touch the loss curve to start the chosen run there.")
    }
}

/// The step sizes the descent's slider offers: small enough to settle, large enough to diverge.
const GAMMAS: [f64; 11] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3,
];

/// Steps of the two paths drawn on the contour map.
const CONTOUR_STEPS: usize = 200;
/// Examples of the two-weight logistic regression, and the square of weights shown.
const CONTOUR_EXAMPLES: usize = 60;
const CONTOUR_VIEW: f64 = 4.0;
const CONTOUR_FIELD: usize = 72;
const CONTOUR_START: [f64; 2] = [-3.0, 3.2];

/// The lecture's batch-vs-stochastic figure: logistic regression `p(y=1|x) = sigma(w . x)`
/// on two weights, its loss as a map over (w1, w2), batch descent's path and the path of
/// descent on one example at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct ContourResult {
    pub rate: f64,
    pub start: [f64; 2],
    /// The examples: (x1, x2) and the class as +1 or -1.
    pub examples: Vec<([f64; 2], f64)>,
    pub batch: Vec<[f64; 2]>,
    pub stochastic: Vec<[f64; 2]>,
}

impl DescentLesson {
    /// Both descents on the two-weight logistic loss, for the lesson's steps (at most
    /// [`CONTOUR_STEPS`]), the examples and the order of the stochastic one drawn from `seed`.
    pub fn contour(&self, seed: u64) -> ContourResult {
        let mut rng = rng_for(seed, Stream::Generator);
        let examples: Vec<([f64; 2], f64)> = (0..CONTOUR_EXAMPLES)
            .map(|k| {
                let y = if k % 2 == 0 { 1.0 } else { -1.0 };
                let (u, v): (f64, f64) = (
                    StandardNormal.sample(&mut rng),
                    StandardNormal.sample(&mut rng),
                );
                ([y * 1.0 + u, y * 0.5 + v], y)
            })
            .collect();
        let steps = self.steps.min(CONTOUR_STEPS);
        let mut result = ContourResult {
            rate: self.contour_rate,
            start: CONTOUR_START,
            examples,
            batch: vec![CONTOUR_START],
            stochastic: vec![CONTOUR_START],
        };
        let (mut batch, mut stochastic) = (CONTOUR_START, CONTOUR_START);
        for _ in 0..steps {
            let g = result.gradient(batch, 0..result.examples.len());
            batch = [
                batch[0] - self.contour_rate * g[0],
                batch[1] - self.contour_rate * g[1],
            ];
            let i = rng.random_range(0..result.examples.len());
            let g = result.gradient(stochastic, i..i + 1);
            stochastic = [
                stochastic[0] - self.contour_rate * g[0],
                stochastic[1] - self.contour_rate * g[1],
            ];
            for (path, w) in [
                (&mut result.batch, batch),
                (&mut result.stochastic, stochastic),
            ] {
                if w.iter().all(|v| v.is_finite()) {
                    path.push(w);
                }
            }
        }
        result
    }
}

/// `ln(1 + e^-m)`, exact for large margins of either sign.
fn softplus_of_negative(margin: f64) -> f64 {
    if margin > 0.0 {
        (-margin).exp().ln_1p()
    } else {
        -margin + margin.exp().ln_1p()
    }
}

impl ContourResult {
    /// The mean logistic loss of all examples at `w`.
    pub fn loss_at(&self, w: [f64; 2]) -> f64 {
        self.examples
            .iter()
            .map(|(x, y)| softplus_of_negative(y * (w[0] * x[0] + w[1] * x[1])))
            .sum::<f64>()
            / self.examples.len() as f64
    }

    /// The mean gradient of the loss over the examples `which`, at `w`.
    fn gradient(&self, w: [f64; 2], which: std::ops::Range<usize>) -> [f64; 2] {
        let count = which.len() as f64;
        let mut g = [0.0; 2];
        for (x, y) in &self.examples[which] {
            let margin = y * (w[0] * x[0] + w[1] * x[1]);
            // d/dw ln(1 + e^-m) = -y x sigma(-m)
            let weight = -y / (1.0 + margin.exp());
            g[0] += weight * x[0] / count;
            g[1] += weight * x[1] / count;
        }
        g
    }

    /// The loss map, shaded in bands so that it reads as contours, and both paths on it.
    fn chart(&self) -> Chart {
        let at =
            |k: usize| -CONTOUR_VIEW + (k as f64 + 0.5) / CONTOUR_FIELD as f64 * 2.0 * CONTOUR_VIEW;
        let losses: Vec<f64> = (0..CONTOUR_FIELD)
            .flat_map(|row| (0..CONTOUR_FIELD).map(move |column| (column, row)))
            .map(|(column, row)| self.loss_at([at(column), at(CONTOUR_FIELD - 1 - row)]))
            .collect();
        let (low, high) = losses
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &l| (a.min(l), b.max(l)));
        const BANDS: f64 = 12.0;
        let values = losses
            .iter()
            .map(|l| {
                (((l - low) / (high - low)).sqrt() * BANDS)
                    .floor()
                    .min(BANDS - 1.0) as f32
                    / (BANDS - 1.0) as f32
            })
            .collect();
        Chart {
            title: "Batch vs stochastic descent on a logistic loss".into(),
            x: Axis::linear("w1", -CONTOUR_VIEW, CONTOUR_VIEW),
            y: Axis::linear("w2", -CONTOUR_VIEW, CONTOUR_VIEW),
            marks: vec![
                Mark::Field {
                    label: "loss, low blue to high orange".into(),
                    columns: CONTOUR_FIELD,
                    rows: CONTOUR_FIELD,
                    values,
                },
                Mark::Line {
                    label: "batch".into(),
                    ink: Ink::Light,
                    dashed: false,
                    points: self.batch.clone(),
                },
                Mark::Line {
                    label: "one example a step".into(),
                    ink: Ink::Reference,
                    dashed: true,
                    points: self.stochastic.clone(),
                },
            ],
        }
    }

    fn figures(&self) -> serde_json::Value {
        let end = |path: &[[f64; 2]]| *path.last().unwrap_or(&self.start);
        json!({
            "rate": self.rate,
            "steps": self.batch.len() - 1,
            "batch_end": end(&self.batch),
            "batch_loss": self.loss_at(end(&self.batch)),
            "stochastic_end": end(&self.stochastic),
            "stochastic_loss": self.loss_at(end(&self.stochastic)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn batch_descent_goes_down_the_contours_and_stochastic_descent_wanders_there_too() {
        let lesson = DescentLesson {
            contour_rate: 0.5,
            ..DescentLesson::default()
        };
        let c = lesson.contour(1);
        assert_eq!(
            (c.batch.len(), c.stochastic.len()),
            (CONTOUR_STEPS + 1, CONTOUR_STEPS + 1)
        );
        // the logistic loss is convex and smooth: a small enough batch step never goes up
        for pair in c.batch.windows(2) {
            assert!(c.loss_at(pair[1]) <= c.loss_at(pair[0]) + 1e-12, "{pair:?}");
        }
        let (start, batch, stochastic) = (
            c.loss_at(c.start),
            c.loss_at(*c.batch.last().unwrap()),
            c.loss_at(*c.stochastic.last().unwrap()),
        );
        assert!(
            batch < 0.5 * start && stochastic < 0.6 * start,
            "{start} {batch} {stochastic}"
        );
        // one example at a time goes up now and then
        let rises = c
            .stochastic
            .windows(2)
            .filter(|p| c.loss_at(p[1]) > c.loss_at(p[0]))
            .count();
        assert!(rises > 10, "{rises}");
        // the gradient is the loss's, by central differences
        let w = [0.7, -1.3];
        let g = c.gradient(w, 0..c.examples.len());
        let h = 1e-6;
        let numeric = [
            (c.loss_at([w[0] + h, w[1]]) - c.loss_at([w[0] - h, w[1]])) / (2.0 * h),
            (c.loss_at([w[0], w[1] + h]) - c.loss_at([w[0], w[1] - h])) / (2.0 * h),
        ];
        assert!(
            (g[0] - numeric[0]).abs() < 1e-8 && (g[1] - numeric[1]).abs() < 1e-8,
            "{g:?} {numeric:?}"
        );
        // the clock shortens both paths
        let short = DescentLesson {
            steps: 10,
            ..lesson
        }
        .contour(1);
        assert_eq!(short.batch[..], c.batch[..11]);
    }
}
