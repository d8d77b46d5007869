//! Universal approximation: a target on [0, 1] as a sum of step units and as a sum of ReLU
//! units, the error falling as the units grow; the target may be drawn by hand.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::instrument::{Knob, counts_up_to};
use super::{LessonReport, Teach, within};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::fields::FieldError;
use crate::nn::activation::Activation;
use crate::nn::loss::Loss;
use crate::nn::mlp::{Dense, Network};

/// The lecture's two constructions of a target `f` on [0, 1]: `F(x) = f(c_0) + sum_i v_i
/// step(x - i/q)`, a staircase through the midpoints `c_i` (its error falls like 1/q), and
/// `F(x) = f(0) + sum_i a_i ReLU(x - i/r)`, the broken line through the knots `i/r` (like 1/r²).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApproximationLesson {
    /// Numbers of units the error table and chart try, for both constructions.
    pub units: Vec<usize>,
    /// The staircase drawn over the target: its number of intervals (step units plus the bias).
    pub steps: usize,
    /// The broken line drawn over the target: its number of ReLU units.
    pub relus: usize,
    pub target: Target,
}

impl Default for ApproximationLesson {
    fn default() -> Self {
        Self {
            units: vec![4, 8, 16, 32, 64],
            steps: 8,
            relus: 8,
            target: Target::Sine,
        }
    }
}

/// The function approximated on [0, 1].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Target {
    /// sin(2 pi x)
    Sine,
    /// A Gaussian bump at 1/2.
    Bump,
    /// |4x - 2| - 1: a kink no smooth unit fits exactly.
    Ramp,
    /// Drawn by hand: the values at [`DRAWN_POINTS`] evenly spaced x, joined by straight lines.
    Drawn(Vec<f64>),
}

/// How many values a hand-drawn target holds, and the largest size a drawn value may take.
pub const DRAWN_POINTS: usize = 101;
const DRAWN_LIMIT: f64 = 1.2;

const TARGET_NAMES: [&str; 4] = ["sin(2 pi x)", "a bump", "a kink", "drawn by hand"];

impl Target {
    pub fn at(&self, x: f64) -> f64 {
        match self {
            Target::Sine => (2.0 * std::f64::consts::PI * x).sin(),
            Target::Bump => 2.0 * (-((x - 0.5) / 0.12).powi(2)).exp() - 1.0,
            Target::Ramp => (4.0 * x - 2.0).abs() - 1.0,
            Target::Drawn(values) => {
                let last = values.len().saturating_sub(1);
                if last == 0 {
                    return values.first().copied().unwrap_or(0.0);
                }
                let place = x.clamp(0.0, 1.0) * last as f64;
                let k = (place.floor() as usize).min(last - 1);
                let t = place - k as f64;
                values[k] * (1.0 - t) + values[k + 1] * t
            }
        }
    }

    fn index(&self) -> usize {
        match self {
            Target::Sine => 0,
            Target::Bump => 1,
            Target::Ramp => 2,
            Target::Drawn(_) => 3,
        }
    }

    fn name(&self) -> &'static str {
        TARGET_NAMES[self.index()]
    }

    /// This target's values where a hand-drawn one keeps them.
    fn sampled(&self) -> Vec<f64> {
        (0..DRAWN_POINTS)
            .map(|k| self.at(k as f64 / (DRAWN_POINTS - 1) as f64))
            .collect()
    }
}

/// Largest and root-mean-square error on 1,000 points, per number of units, for both
/// constructions, and the two drawn curves.
#[derive(Clone, Debug, PartialEq)]
pub struct ApproximationResult {
    pub target: Target,
    /// (units, largest error, RMS error) of the staircases.
    pub rows: Vec<(usize, f64, f64)>,
    /// The same for the broken lines of ReLU units.
    pub relu_rows: Vec<(usize, f64, f64)>,
    /// The drawn staircase and broken line: (units, largest error, RMS error) and the curve.
    pub staircase: ((usize, f64, f64), Vec<[f64; 2]>),
    pub broken_line: ((usize, f64, f64), Vec<[f64; 2]>),
}

/// The staircase network for `q` intervals of `target`: `q - 1` step units, weight 1 and bias
/// `-i/q`, summed with weights `f(c_i) - f(c_{i-1})` onto the output bias `f(c_0)`.
pub fn staircase(q: usize, target: &Target) -> Network {
    let midpoint = |i: usize| (i as f64 + 0.5) / q as f64;
    let hidden = q.saturating_sub(1);
    let weights = (1..q)
        .map(|i| (target.at(midpoint(i)) - target.at(midpoint(i - 1))) as f32)
        .collect();
    one_hidden_layer(
        hidden,
        Activation::Step,
        |i| -((i + 1) as f32) / q as f32,
        weights,
        target.at(midpoint(0)) as f32,
    )
}

/// The broken line through `target` at the knots `i/r`, `i = 0..=r`, as `r` ReLU units of
/// weight 1 and bias `-i/r`: each unit's output weight is the change of slope at its knot.
pub fn broken_line(r: usize, target: &Target) -> Network {
    let knot = |i: usize| i as f64 / r as f64;
    let slope = |i: usize| (target.at(knot(i + 1)) - target.at(knot(i))) * r as f64;
    let weights = (0..r)
        .map(|i| {
            let before = if i == 0 { 0.0 } else { slope(i - 1) };
            (slope(i) - before) as f32
        })
        .collect();
    one_hidden_layer(
        r,
        Activation::Relu,
        |i| -(i as f32) / r as f32,
        weights,
        target.at(0.0) as f32,
    )
}

/// `y = bias + sum_i weights_i act(x + bias_of(i))` over `hidden` units (none: a constant).
fn one_hidden_layer(
    hidden: usize,
    activation: Activation,
    bias_of: impl Fn(usize) -> f32,
    weights: Vec<f32>,
    bias: f32,
) -> Network {
    let mut layers = Vec::new();
    if hidden > 0 {
        layers.push(Dense {
            inputs: 1,
            outputs: hidden,
            weights: vec![1.0; hidden],
            bias: (0..hidden).map(bias_of).collect(),
            activation,
        });
    }
    layers.push(Dense {
        inputs: hidden.max(1),
        outputs: 1,
        weights: if hidden > 0 { weights } else { vec![0.0] },
        bias: vec![bias],
        activation: Activation::Identity,
    });
    Network {
        layers,
        loss: Loss::MeanSquaredError,
    }
}

const POINTS: usize = 1000;

/// A network's errors against the target on [`POINTS`] points of [0, 1], and its curve there.
fn measure(network: &Network, units: usize, target: &Target) -> ((usize, f64, f64), Vec<[f64; 2]>) {
    let xs: Vec<f32> = (0..POINTS)
        .map(|k| k as f32 / (POINTS - 1) as f32)
        .collect();
    let outputs = network.logits_of(&xs, POINTS, 1);
    let errors: Vec<f64> = outputs
        .iter()
        .zip(&xs)
        .map(|(&y, &x)| (y as f64 - target.at(x as f64)).abs())
        .collect();
    let max = errors.iter().copied().fold(0.0, f64::max);
    let rms = (errors.iter().map(|e| e * e).sum::<f64>() / POINTS as f64).sqrt();
    let curve = xs
        .iter()
        .zip(outputs)
        .map(|(&x, y)| [x as f64, y as f64])
        .collect();
    ((units, max, rms), curve)
}

impl ApproximationLesson {
    pub fn run(&self) -> ApproximationResult {
        let target = &self.target;
        let rows = |build: fn(usize, &Target) -> Network| {
            self.units
                .iter()
                .map(|&q| measure(&build(q, target), q, target).0)
                .collect()
        };
        ApproximationResult {
            target: target.clone(),
            rows: rows(staircase),
            relu_rows: rows(broken_line),
            staircase: measure(&staircase(self.steps, target), self.steps, target),
            broken_line: measure(&broken_line(self.relus, target), self.relus, target),
        }
    }

    /// A stroke of the hand across the target's chart from `from` to `to` (x, y): the drawn
    /// target takes the stroke's height at every x it crosses. The first stroke starts from
    /// the target on the screen.
    pub fn draw(&mut self, from: [f64; 2], to: [f64; 2]) {
        let mut values = match &self.target {
            Target::Drawn(values) if values.len() == DRAWN_POINTS => values.clone(),
            other => other.sampled(),
        };
        let last = (DRAWN_POINTS - 1) as f64;
        let index = |x: f64| (x.clamp(0.0, 1.0) * last).round() as usize;
        let (a, b) = (index(from[0]), index(to[0]));
        let (low, high) = (a.min(b), a.max(b));
        for (k, value) in values.iter_mut().enumerate().take(high + 1).skip(low) {
            let t = if a == b {
                1.0
            } else {
                (k as f64 - a as f64) / (b as f64 - a as f64)
            };
            let y = from[1] + t * (to[1] - from[1]);
            *value = y.clamp(-DRAWN_LIMIT, DRAWN_LIMIT);
        }
        self.target = Target::Drawn(values);
    }
}

impl ApproximationResult {
    fn report(&self) -> LessonReport {
        let mut lines = vec![format!(
            "{} on [0, 1] as a sum of step units and as a sum of ReLU units (Cybenko 1989; Hornik 1991):",
            self.target.name()
        )];
        for (&(q, max, rms), &(_, relu_max, relu_rms)) in self.rows.iter().zip(&self.relu_rows) {
            lines.push(format!(
                "  {q:>4} units: steps' largest error {max:.4} (RMS {rms:.4}), ReLUs' {relu_max:.4} (RMS {relu_rms:.4})"
            ));
        }
        let column = |rows: &[(usize, f64, f64)], k: usize| -> Vec<f64> {
            rows.iter()
                .map(|r| if k == 1 { r.1 } else { r.2 })
                .collect()
        };
        LessonReport {
            graph: None,
            graph_current: None,
            title: "Universal approximation by step and ReLU units".into(),
            lines,
            charts: self.charts(),
            figures: json!({
                "target": self.target.name(),
                "units": self.rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                "max_error": column(&self.rows, 1),
                "rms_error": column(&self.rows, 2),
                "relu_max_error": column(&self.relu_rows, 1),
                "relu_rms_error": column(&self.relu_rows, 2),
                "shown": {
                    "steps": self.staircase.0.0, "steps_max_error": self.staircase.0.1,
                    "relus": self.broken_line.0.0, "relus_max_error": self.broken_line.0.1,
                },
            }),
        }
    }

    /// The target with the staircase and the broken line over it, and both constructions'
    /// largest errors against the number of units on log-log axes (1/q and 1/r²).
    fn charts(&self) -> Vec<Chart> {
        let target = (0..=200)
            .map(|k| {
                let x = k as f64 / 200.0;
                [x, self.target.at(x)]
            })
            .collect();
        let curves = vec![
            Mark::Line {
                label: self.target.name().into(),
                ink: Ink::Reference,
                dashed: false,
                points: target,
            },
            Mark::Line {
                label: match self.staircase.0.0 {
                    1 => "1 step".to_string(),
                    n => format!("{n} steps"),
                },
                ink: Ink::Warm,
                dashed: false,
                points: self.staircase.1.clone(),
            },
            Mark::Line {
                label: match self.broken_line.0.0 {
                    1 => "1 ReLU".to_string(),
                    n => format!("{n} ReLUs"),
                },
                ink: Ink::Cool,
                dashed: true,
                points: self.broken_line.1.clone(),
            },
        ];
        let every = || {
            self.rows
                .iter()
                .chain(&self.relu_rows)
                .chain([&self.staircase.0, &self.broken_line.0])
        };
        let units = Axis::log_decades(
            "units",
            every().map(|r| r.0 as f64).fold(f64::INFINITY, f64::min),
            every().map(|r| r.0 as f64).fold(0.0, f64::max),
        );
        let error = Axis::log_decades(
            "largest error",
            every()
                .map(|r| r.1)
                .filter(|&e| e > 0.0)
                .fold(f64::INFINITY, f64::min),
            every().map(|r| r.1).fold(0.0, f64::max),
        );
        let series = |label: &str,
                      ink: Ink,
                      dashed: bool,
                      rows: &[(usize, f64, f64)],
                      now: (usize, f64, f64)| {
            [
                Mark::Line {
                    label: label.into(),
                    ink,
                    dashed,
                    points: rows.iter().map(|r| [r.0 as f64, r.1]).collect(),
                },
                Mark::Points {
                    label: String::new(),
                    ink,
                    points: vec![[now.0 as f64, now.1]],
                },
            ]
        };
        let mut error_marks =
            series("steps", Ink::Warm, false, &self.rows, self.staircase.0).to_vec();
        error_marks.extend(series(
            "ReLUs",
            Ink::Cool,
            true,
            &self.relu_rows,
            self.broken_line.0,
        ));
        vec![
            Chart {
                title: "The target, a staircase and a broken line".into(),
                x: Axis::linear("x", 0.0, 1.0),
                y: Axis::linear("y", -1.25, 1.25),
                marks: curves,
            },
            Chart {
                title: "Largest error against the number of units".into(),
                x: units,
                y: error,
                marks: error_marks,
            },
        ]
    }
}

impl Teach for ApproximationLesson {
    fn validate(&self) -> Result<(), FieldError> {
        within("units", self.units.len(), 1, 32)?;
        for &n in &self.units {
            within("units", n, 1, 1 << 16)?;
        }
        within("steps", self.steps, 1, 1 << 16)?;
        within("relus", self.relus, 1, 1 << 16)?;
        if let Target::Drawn(values) = &self.target {
            if values.len() != DRAWN_POINTS {
                return Err(FieldError::at(
                    "target",
                    format!(
                        "a drawn target holds {DRAWN_POINTS} values, not {}",
                        values.len()
                    ),
                ));
            }
            if let Some(v) = values
                .iter()
                .find(|v| !v.is_finite() || v.abs() > DRAWN_LIMIT)
            {
                return Err(FieldError::at(
                    "target",
                    format!("{v} must lie in -{DRAWN_LIMIT}..={DRAWN_LIMIT}"),
                ));
            }
        }
        Ok(())
    }

    fn teach(&self, _seed: u64) -> LessonReport {
        self.run().report()
    }

    fn knobs(&self) -> Vec<Knob> {
        vec![
            Knob::numeric(
                "steps (step units + 1)",
                counts_up_to(128),
                self.steps as f64,
            ),
            Knob::numeric("ReLU units", counts_up_to(128), self.relus as f64),
            Knob::choice("target", &TARGET_NAMES, self.target.index()),
        ]
    }

    fn set_knob(&mut self, index: usize, value: f64) {
        match index {
            0 => self.steps = value as usize,
            1 => self.relus = value as usize,
            2 => {
                self.target = match value as usize {
                    0 => Target::Sine,
                    1 => Target::Bump,
                    2 => Target::Ramp,
                    // Drawing starts from the target on the screen.
                    _ => Target::Drawn(self.target.sampled()),
                }
            }
            _ => {}
        }
    }

    fn touch(&mut self, chart: usize, from: [f64; 2], to: [f64; 2]) {
        if chart == 0 {
            self.draw(from, to);
        }
    }

    fn touch_hint(&self) -> Option<&'static str> {
        Some("Draw a target of your own across the left chart.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_units_approximate_the_sine_ever_closer() {
        let r = ApproximationLesson::default().run();
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
    fn relu_units_draw_the_broken_line_through_the_knots_and_beat_the_steps() {
        let r = ApproximationLesson::default().run();
        // The interpolant's error is at most h^2 max|f''| / 8 = (2 pi)^2 / (8 r^2), and close.
        for &(units, max, _) in &r.relu_rows {
            let bound = (2.0 * std::f64::consts::PI).powi(2) / (8.0 * (units * units) as f64);
            assert!(
                max <= bound + 1e-4 && max > 0.5 * bound,
                "{units}: {max} vs {bound}"
            );
        }
        for (steps, relus) in r.rows.iter().zip(&r.relu_rows) {
            assert!(relus.1 < steps.1, "{steps:?} {relus:?}");
        }
        // At every knot the network is the target, to f32's precision.
        let kink = Target::Ramp;
        let network = broken_line(4, &kink);
        let knots = [0.0f32, 0.25, 0.5, 0.75, 1.0];
        let outputs = network.logits_of(&knots, knots.len(), 1);
        for (x, y) in knots.iter().zip(outputs) {
            assert!((y as f64 - kink.at(*x as f64)).abs() < 1e-6, "{x}: {y}");
        }
        // With a knot on the kink, four ReLUs fit |4x - 2| - 1 exactly.
        assert!(measure(&network, 4, &kink).0.1 < 1e-5);
    }

    #[test]
    fn a_hand_drawn_stroke_becomes_the_target() {
        let mut lesson = ApproximationLesson::default();
        // A stroke right to left across the middle, at height 0.5, then one far too high.
        lesson.draw([0.6, 0.5], [0.4, 0.5]);
        let Target::Drawn(values) = &lesson.target else {
            panic!("{:?}", lesson.target)
        };
        assert_eq!(values.len(), DRAWN_POINTS);
        assert_eq!((values[40], values[50], values[60]), (0.5, 0.5, 0.5));
        // Outside the stroke the sine it started from stays.
        assert!((values[25] - 1.0).abs() < 1e-12, "{}", values[25]);
        lesson.draw([0.1, 9.0], [0.1, 9.0]);
        assert!((lesson.target.at(0.1) - DRAWN_LIMIT).abs() < 1e-12);
        assert!(lesson.validate().is_ok());
        // The fits follow it: 64 ReLUs come within a hair of the plateau.
        lesson.relus = 64;
        let r = lesson.run();
        let at_half = r.broken_line.1[POINTS / 2][1];
        assert!((at_half - 0.5).abs() < 1e-3, "{at_half}");
        let mut bad = lesson.clone();
        bad.target = Target::Drawn(vec![0.0; 3]);
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("101 values")
        );
    }
}
