//! Gradient descent on a 1-D loss with two minima: the local one, the global one, and
//! divergence when the step is too bold.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{LessonReport, Teach, positive, within};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::fields::FieldError;

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
        within("steps", self.steps, 1, 1_000_000)
    }

    fn teach(&self, _seed: u64) -> LessonReport {
        self.run().report()
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
}
