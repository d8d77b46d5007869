//! The lecture's demonstrations as runnable lessons, one per file: LDA vs logistic regression,
//! XOR, universal approximation, gradient descent on a 1-D loss, vanishing gradients. Each
//! is a pure model and its charts; a scene names one. Bevy-free.

mod approximation;
mod backprop;
mod descent;
mod instrument;
mod lda;
mod rosenblatt;
mod vanishing;
mod xor;

pub use approximation::{ApproximationLesson, ApproximationResult, Target, staircase};
pub use backprop::{BackpropLesson, BackpropResult, GRAPH_COLUMNS, GRAPH_ROWS, GraphNode, Shown};
pub use descent::{DescentLesson, DescentOutcome, DescentResult, DescentRun, descent_loss};
pub use instrument::{Clock, Knob};
pub use lda::{LdaComparison, LdaLesson};
pub use rosenblatt::{ResponseSystem, RosenblattLesson, RosenblattResult};
pub use vanishing::{VanishingLesson, VanishingResult};
pub use xor::{XorLesson, XorResult};

use serde::{Deserialize, Serialize};

use crate::chart::Chart;
use crate::fields::FieldError;
use crate::nn::loss::Targets;
use crate::nn::mlp::{Network, Schedule, Sgd, SgdState, Workspace};

/// A lesson and its settings, as a scene names it (`model: Lesson(Xor(hidden: 4))`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Lesson {
    LogisticVsLda(LdaLesson),
    Xor(XorLesson),
    UniversalApproximation(ApproximationLesson),
    GradientDescent(DescentLesson),
    VanishingGradients(VanishingLesson),
    Backpropagation(BackpropLesson),
    /// The Mark I's own experiments (Rosenblatt 1958): Σ and μ, and A-units removed.
    Rosenblatt(RosenblattLesson),
}

/// What a lesson found: lines for people, charts for the window, figures for tests and `--json`.
#[derive(Clone, Debug)]
pub struct LessonReport {
    pub title: String,
    pub lines: Vec<String>,
    pub charts: Vec<Chart>,
    pub figures: serde_json::Value,
    /// A computational graph to draw, node by node, and the node the walk is at.
    pub graph: Option<Vec<GraphNode>>,
    pub graph_current: Option<usize>,
}

/// What every lesson does: check its settings, and run from a seed to its report.
pub trait Teach {
    /// Checks the settings, naming the field at fault: every count has a floor and a
    /// ceiling, so a lesson's memory and time are bounded.
    fn validate(&self) -> Result<(), FieldError>;
    /// Runs the lesson with every random choice drawn from `seed`.
    fn teach(&self, seed: u64) -> LessonReport;
    /// The settings a teacher may turn while the lesson is on the screen.
    fn knobs(&self) -> Vec<Knob>;
    /// Sets knob `index` (of [`Teach::knobs`]) to `value`, one of its stops; any other index
    /// changes nothing.
    fn set_knob(&mut self, index: usize, value: f64);
    /// The steps or epochs of a lesson that trains: what a live run plays through.
    fn clock(&self) -> Option<usize> {
        None
    }
    /// Sets the steps or epochs the lesson runs for (a lesson without a clock ignores it).
    fn set_clock(&mut self, _steps: usize) {}
    /// What the clock counts.
    fn clock_unit(&self) -> &'static str {
        "step"
    }
    /// The least time, in seconds, between two positions of a live run's clock: none for a
    /// lesson whose run plays as fast as it is taught, a pause to read each node of a walk.
    fn pace(&self) -> f64 {
        0.0
    }
    /// A stroke on chart `chart` of the report from `from` to `to`, in its data coordinates
    /// (a tap is a stroke from a point to itself). Most lessons take no touches.
    fn touch(&mut self, _chart: usize, _from: [f64; 2], _to: [f64; 2]) {}
    /// What a touch on a chart does, said on the page where the lesson takes touches.
    fn touch_hint(&self) -> Option<&'static str> {
        None
    }
}

impl Lesson {
    /// The lesson the scene names.
    pub fn lesson(&self) -> &dyn Teach {
        match self {
            Lesson::LogisticVsLda(l) => l,
            Lesson::Xor(l) => l,
            Lesson::UniversalApproximation(l) => l,
            Lesson::GradientDescent(l) => l,
            Lesson::VanishingGradients(l) => l,
            Lesson::Backpropagation(l) => l,
            Lesson::Rosenblatt(l) => l,
        }
    }

    /// The lesson the scene names, to change.
    pub fn lesson_mut(&mut self) -> &mut dyn Teach {
        match self {
            Lesson::LogisticVsLda(l) => l,
            Lesson::Xor(l) => l,
            Lesson::UniversalApproximation(l) => l,
            Lesson::GradientDescent(l) => l,
            Lesson::VanishingGradients(l) => l,
            Lesson::Backpropagation(l) => l,
            Lesson::Rosenblatt(l) => l,
        }
    }

    /// Runs the lesson with every random choice drawn from `seed`.
    pub fn run(&self, seed: u64) -> LessonReport {
        self.lesson().teach(seed)
    }

    /// Checks the lesson's settings (see [`Teach::validate`]).
    pub fn validate(&self) -> Result<(), FieldError> {
        self.lesson().validate()
    }

    /// The command line's changes, where the lesson has such a setting; otherwise the flag it
    /// has no use for, named (a flag is never silently ignored).
    pub fn tune(&mut self, tuning: &Tuning) -> Result<(), String> {
        let refuse =
            |flag: &str, why: &str| Err(format!("{flag} does not apply to this lesson: {why}"));
        let Tuning {
            epochs,
            learning_rate,
            samples_per_class,
        } = *tuning;
        match self {
            Lesson::LogisticVsLda(l) => {
                l.epochs = epochs.unwrap_or(l.epochs);
                l.learning_rate = learning_rate.unwrap_or(l.learning_rate);
                l.samples_per_class = samples_per_class.unwrap_or(l.samples_per_class);
                return Ok(());
            }
            Lesson::Xor(l) => {
                l.epochs = epochs.unwrap_or(l.epochs);
                l.learning_rate = learning_rate.unwrap_or(l.learning_rate);
            }
            Lesson::GradientDescent(l) => {
                l.steps = epochs.unwrap_or(l.steps);
                if learning_rate.is_some() {
                    return refuse(
                        "--learning-rate",
                        "each descent has its own rate (one of them too large on purpose): set them in the scene's runs",
                    );
                }
            }
            Lesson::VanishingGradients(l) => {
                l.steps = epochs.unwrap_or(l.steps);
                l.learning_rate = learning_rate.unwrap_or(l.learning_rate);
            }
            Lesson::Rosenblatt(l) => {
                l.passes = epochs.unwrap_or(l.passes);
                l.per_class = samples_per_class.unwrap_or(l.per_class);
                if learning_rate.is_some() {
                    return refuse(
                        "--learning-rate",
                        "the Mark I's potentiometers move one step per correction",
                    );
                }
                return Ok(());
            }
            Lesson::UniversalApproximation(_) | Lesson::Backpropagation(_) => {
                if epochs.is_some() || learning_rate.is_some() {
                    return refuse(
                        if epochs.is_some() {
                            "--epochs"
                        } else {
                            "--learning-rate"
                        },
                        "it trains nothing: it writes its networks down (the approximation) or takes one gradient (backpropagation)",
                    );
                }
            }
        }
        if samples_per_class.is_some() {
            return refuse("--samples-per-class", "it makes its own fixed data");
        }
        Ok(())
    }
}

/// What the command line may change in a lesson: `--epochs` (a descent's or the vanishing
/// lesson's steps, the Mark I's passes), `--learning-rate`, `--samples-per-class`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tuning {
    pub epochs: Option<usize>,
    pub learning_rate: Option<f32>,
    pub samples_per_class: Option<usize>,
}

/// `Ok` when `v` is a positive number, else a message naming the field.
fn positive(name: &str, v: f64) -> Result<(), FieldError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(FieldError::at(name, format!("{v} must be positive")))
    }
}

/// `Ok` when `v` lies in `low..=high`, else a message naming the field.
fn within(name: &str, v: usize, low: usize, high: usize) -> Result<(), FieldError> {
    if (low..=high).contains(&v) {
        Ok(())
    } else {
        Err(FieldError::at(
            name,
            format!("{v} must lie in {low}..={high}"),
        ))
    }
}

/// Trains `network` by full-batch gradient descent for `epochs` steps; returns its loss after them.
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
    // One pass more than steps: the loss returned is the trained network's (with no epochs,
    // the untrained one's).
    let mut loss = f64::NAN;
    for epoch in 0..=epochs {
        ws.input_mut(batch).copy_from_slice(inputs);
        network.forward(&mut ws, batch, 1);
        loss = network.backward(&mut ws, batch, targets, &mut grads, 1);
        if epoch < epochs {
            state.step(network, &grads, &sgd);
        }
    }
    loss
}

/// Fraction of rows whose predicted class matches `labels`.
fn accuracy(network: &Network, inputs: &[f32], labels: &[u16]) -> f64 {
    network.accuracy(inputs, labels, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Mark;

    fn every_lesson() -> Vec<Lesson> {
        vec![
            Lesson::LogisticVsLda(LdaLesson {
                epochs: 50,
                ..LdaLesson::default()
            }),
            Lesson::Xor(XorLesson {
                epochs: 50,
                ..XorLesson::default()
            }),
            Lesson::UniversalApproximation(ApproximationLesson::default()),
            Lesson::GradientDescent(DescentLesson::default()),
            Lesson::VanishingGradients(VanishingLesson {
                steps: 3,
                ..VanishingLesson::default()
            }),
            Lesson::Backpropagation(BackpropLesson::default()),
            Lesson::Rosenblatt(RosenblattLesson {
                per_class: 20,
                passes: 4,
                ..RosenblattLesson::default()
            }),
        ]
    }

    #[test]
    fn every_knob_moves_the_setting_it_names_and_the_lesson_follows() {
        for lesson in every_lesson() {
            let before = lesson.run(1);
            for (index, knob) in lesson.lesson().knobs().iter().enumerate() {
                assert!(knob.stops.len() >= 2, "{}: {}", before.title, knob.label);
                // the far end of the knob from where it stands
                let far = if knob.at == 0 {
                    knob.stops.len() - 1
                } else {
                    0
                };
                let mut turned = lesson.clone();
                turned.lesson_mut().set_knob(index, knob.stops[far]);
                let now = &turned.lesson().knobs()[index];
                assert_eq!(now.at, far, "{}: {}", before.title, knob.label);
                assert_ne!(now.shown, knob.shown, "{}", knob.label);
                // the other knobs stand where they stood (the descent's run chooser aside,
                // which shows the chosen run's settings)
                if !matches!(lesson, Lesson::GradientDescent(_)) {
                    for (k, other) in turned.lesson().knobs().iter().enumerate() {
                        if k != index {
                            assert_eq!(other.at, lesson.lesson().knobs()[k].at, "{}", other.label);
                        }
                    }
                }
                assert!(
                    turned.validate().is_ok(),
                    "{}: {}",
                    before.title,
                    knob.label
                );
                let after = turned.run(1);
                // the report changes, or (the descent's run chooser) what the knobs read
                let changed = after.figures != before.figures
                    || after.lines != before.lines
                    || after.charts != before.charts
                    || turned.lesson().knobs()[index + 1..] != lesson.lesson().knobs()[index + 1..];
                assert!(changed, "{}: {} changed nothing", before.title, knob.label);
            }
            // an index past the knobs changes nothing
            let mut same = lesson.clone();
            same.lesson_mut().set_knob(99, 1.0);
            assert_eq!(same, lesson);
        }
    }

    #[test]
    fn a_lesson_that_trains_runs_its_clock_and_one_that_does_not_has_none() {
        for lesson in every_lesson() {
            let mut short = lesson.clone();
            match lesson.lesson().clock() {
                Some(steps) => {
                    short.lesson_mut().set_clock(steps / 10);
                    assert_eq!(short.lesson().clock(), Some(steps / 10));
                    let (a, b) = (short.run(1), lesson.run(1));
                    assert!(a.figures != b.figures || a.graph != b.graph, "{}", a.title);
                }
                None => {
                    assert!(matches!(lesson, Lesson::UniversalApproximation(_)));
                    short.lesson_mut().set_clock(1);
                    assert_eq!(short, lesson);
                }
            }
        }
    }

    #[test]
    fn every_lesson_draws_charts_of_its_own_results() {
        let lessons = [
            Lesson::LogisticVsLda(LdaLesson::default()),
            Lesson::Xor(XorLesson::default()),
            Lesson::UniversalApproximation(ApproximationLesson::default()),
            Lesson::GradientDescent(DescentLesson::default()),
            Lesson::VanishingGradients(VanishingLesson::default()),
            Lesson::Backpropagation(BackpropLesson::default()),
            Lesson::Rosenblatt(RosenblattLesson::default()),
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
        // The staircase drawn stays within its largest error of the sine.
        let approximation = ApproximationLesson::default().run();
        let ((q, max, _), curve) = &approximation.staircase;
        for p in curve {
            assert!(
                (p[1] - approximation.target.at(p[0])).abs() <= max + 1e-3,
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
