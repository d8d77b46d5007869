//! Universal approximation: a sine as a sum of step units, the error falling as the units grow.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{LessonReport, Teach, within};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::fields::FieldError;
use crate::nn::activation::Activation;
use crate::nn::loss::Loss;
use crate::nn::mlp::Network;

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

pub(super) fn target_function(x: f64) -> f64 {
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

impl Teach for ApproximationLesson {
    fn validate(&self) -> Result<(), FieldError> {
        within("units", self.units.len(), 1, 32)?;
        for &n in &self.units {
            within("units", n, 1, 1 << 20)?;
        }
        Ok(())
    }

    fn teach(&self, _seed: u64) -> LessonReport {
        self.run().report()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
