//! Charts as data: what a lesson's figure shows (axes, lines, points, bars, a shaded field),
//! Bevy-free, so the lessons and the panel's plots can say what to draw and tests can check it;
//! `ui::chart` draws them.

/// One figure: a title, two axes and what is drawn between them.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub marks: Vec<Mark>,
}

/// An axis: its label and range, linear or logarithmic (base 10).
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub label: String,
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

/// Which colour a series takes, and for points which shape, so that colour is never the only
/// difference (lines differ by dashes too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ink {
    /// Orange; points as discs.
    Warm,
    /// Blue; points as crosses.
    Cool,
    /// Light cyan; points as rings.
    Light,
    /// The pale engraving colour, drawn thin: a target curve, a loss surface.
    Reference,
}

/// Something drawn in a chart, in data coordinates.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// A polyline through the points.
    Line {
        label: String,
        ink: Ink,
        dashed: bool,
        points: Vec<[f64; 2]>,
    },
    /// Separate points, each drawn as the ink's shape (no legend entry when the label is empty).
    Points {
        label: String,
        ink: Ink,
        points: Vec<[f64; 2]>,
    },
    /// Bars rising from the bottom of the chart, centred on each x and `width` wide in data
    /// units (a linear x axis).
    Bars {
        label: String,
        ink: Ink,
        bars: Vec<[f64; 2]>,
        width: f64,
        /// Drawn as an outline (top and sides) rather than filled.
        outline: bool,
    },
    /// A field of values in 0..1 over the whole plotting area, row 0 at the top: shaded from the
    /// cool ink (0) to the warm ink (1), as a classifier's probability map.
    Field {
        label: String,
        columns: usize,
        rows: usize,
        values: Vec<f32>,
    },
}

impl Mark {
    /// The label shown in the legend.
    pub fn label(&self) -> &str {
        match self {
            Mark::Line { label, .. }
            | Mark::Points { label, .. }
            | Mark::Bars { label, .. }
            | Mark::Field { label, .. } => label,
        }
    }

    /// The label shown in the legend, to change.
    pub fn label_mut(&mut self) -> &mut String {
        match self {
            Mark::Line { label, .. }
            | Mark::Points { label, .. }
            | Mark::Bars { label, .. }
            | Mark::Field { label, .. } => label,
        }
    }
}

impl Axis {
    pub fn linear(label: &str, min: f64, max: f64) -> Self {
        Self {
            label: label.into(),
            min,
            max,
            log: false,
        }
    }

    /// A log axis spanning whole decades around `low..high` (both positive).
    pub fn log_decades(label: &str, low: f64, high: f64) -> Self {
        let low = if low > 0.0 && low.is_finite() {
            low
        } else {
            1e-12
        };
        let high = if high > low && high.is_finite() {
            high
        } else {
            low * 10.0
        };
        Self {
            label: label.into(),
            // A little room, so that a value on a power of ten is not drawn on the frame.
            min: 10f64.powf((low.log10() - 0.02).floor()),
            max: 10f64.powf((high.log10() + 0.02).ceil()),
            log: true,
        }
    }

    /// Where `value` falls along the axis, 0 at `min` and 1 at `max` (outside for values
    /// beyond it; non-positive values on a log axis fall below).
    pub fn fraction(&self, value: f64) -> f64 {
        if self.log {
            if value <= 0.0 {
                return -1.0;
            }
            (value.log10() - self.min.log10()) / (self.max.log10() - self.min.log10())
        } else {
            (value - self.min) / (self.max - self.min)
        }
    }

    /// Tick values: powers of ten on a log axis, else 1-2-5 steps giving about `target` ticks.
    pub fn ticks(&self, target: usize) -> Vec<f64> {
        if self.log {
            let (low, high) = (
                self.min.log10().round() as i32,
                self.max.log10().round() as i32,
            );
            let every = ((high - low) as usize).div_ceil(target.max(1)).max(1);
            return (low..=high).step_by(every).map(|k| 10f64.powi(k)).collect();
        }
        let span = self.max - self.min;
        if span.is_nan() || span <= 0.0 || span.is_infinite() {
            return vec![self.min];
        }
        let rough = span / target.max(1) as f64;
        let magnitude = 10f64.powf(rough.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|&s| s >= rough)
            .unwrap_or(10.0 * magnitude);
        let first = (self.min / step).ceil() as i64;
        let last = (self.max / step + 1e-9).floor() as i64;
        (first..=last).map(|k| k as f64 * step).collect()
    }
}

/// A tick value as a short label: `0.5`, `-2`, `1e-4`.
pub fn tick_label(value: f64, axis: &Axis) -> String {
    if axis.log {
        let power = value.log10().round() as i32;
        return match power {
            0 => "1".into(),
            1 => "10".into(),
            _ => format!("1e{power}"),
        };
    }
    if value == 0.0 {
        return "0".into();
    }
    if value.abs() < 1e-3 || value.abs() >= 1e6 {
        // Two significant figures in powers of ten: 5e-5, -1.5e-4.
        return format!("{value:.1e}").replace(".0e", "e");
    }
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_step_by_one_two_or_five() {
        let axis = Axis::linear("x", -2.2, 2.2);
        assert_eq!(axis.ticks(5), vec![-2.0, -1.0, 0.0, 1.0, 2.0]);
        let axis = Axis::linear("x", 0.0, 1.0);
        let ticks = axis.ticks(5);
        assert_eq!(ticks.len(), 6);
        for (tick, want) in ticks.iter().zip([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]) {
            assert!((tick - want).abs() < 1e-12, "{ticks:?}");
        }
        let axis = Axis::linear("steps", 0.0, 1000.0);
        assert_eq!(axis.ticks(4), vec![0.0, 500.0, 1000.0]);
    }

    #[test]
    fn log_axes_span_whole_decades_and_tick_at_powers_of_ten() {
        let axis = Axis::log_decades("norm", 3e-7, 0.02);
        assert_eq!((axis.min, axis.max), (1e-7, 0.1));
        assert_eq!(axis.ticks(6).len(), 7);
        assert_eq!(axis.ticks(3), vec![1e-7, 1e-5, 1e-3, 1e-1]);
        assert!((axis.fraction(1e-4) - 0.5).abs() < 1e-12);
        assert!(axis.fraction(0.0) < 0.0);
        assert_eq!(tick_label(1e-4, &axis), "1e-4");
        assert_eq!(tick_label(1.0, &axis), "1");
    }

    #[test]
    fn tick_labels_are_short() {
        let axis = Axis::linear("x", 0.0, 1.0);
        assert_eq!(tick_label(0.6000000000000001, &axis), "0.6");
        assert_eq!(tick_label(-2.0, &axis), "-2");
        assert_eq!(tick_label(0.0, &axis), "0");
        assert_eq!(tick_label(0.25, &axis), "0.25");
        assert_eq!(tick_label(-5e-5, &axis), "-5e-5");
        assert_eq!(tick_label(1.5e-4, &axis), "1.5e-4");
    }
}
