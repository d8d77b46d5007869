//! The live side of a lesson: the settings a teacher turns while it runs (knobs, each a ladder
//! of stops a slider or a stepper moves along), and the clock its charts are drawn at. Bevy-free.

use crate::playground::controls::Toward;

/// One setting of a lesson, as a slider shows it: the values it may take and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    pub label: String,
    /// The values the knob stops at, in the order the slider runs.
    pub stops: Vec<f64>,
    /// The stop nearest the lesson's setting.
    pub at: usize,
    /// The setting as it reads beside the slider.
    pub shown: String,
}

impl Knob {
    /// A knob on `stops` set nearest `value`, reading `shown`.
    pub fn new(label: &str, stops: Vec<f64>, value: f64, shown: String) -> Self {
        let at = nearest(&stops, value);
        Self {
            label: label.into(),
            stops,
            at,
            shown,
        }
    }

    /// A knob whose stops are numbers, shown as they are.
    pub fn numeric(label: &str, stops: Vec<f64>, value: f64) -> Self {
        Self::new(label, stops, value, number(value))
    }

    /// A knob choosing one of `names`, its stops their indices.
    pub fn choice(label: &str, names: &[&str], chosen: usize) -> Self {
        let stops = (0..names.len()).map(|i| i as f64).collect();
        let shown = names.get(chosen).copied().unwrap_or("?").to_string();
        Self::new(label, stops, chosen as f64, shown)
    }

    /// Where the knob sits along its slider, 0 at the first stop and 1 at the last.
    pub fn fraction(&self) -> f64 {
        if self.stops.len() < 2 {
            return 0.0;
        }
        self.at as f64 / (self.stops.len() - 1) as f64
    }

    /// The stop a touch at `fraction` of the slider's length picks.
    pub fn stop_at_fraction(&self, fraction: f64) -> f64 {
        let last = self.stops.len().saturating_sub(1);
        let index = (fraction.clamp(0.0, 1.0) * last as f64).round() as usize;
        self.stops[index.min(last)]
    }

    /// The next stop `toward` one end, or `None` at that end.
    pub fn next_stop(&self, toward: Toward) -> Option<f64> {
        let index = match toward {
            Toward::Less => self.at.checked_sub(1)?,
            Toward::More => self.at + 1,
        };
        self.stops.get(index).copied()
    }
}

/// The index of the stop nearest `value` (the first of equals; 0 for none).
pub fn nearest(stops: &[f64], value: f64) -> usize {
    let mut best = 0;
    for (i, stop) in stops.iter().enumerate() {
        if (stop - value).abs() < (stops[best] - value).abs() {
            best = i;
        }
    }
    best
}

/// `low..=high` in steps of `step`, each written with one decimal more than the step needs
/// (so that 24 steps of 0.1 make 2.4, not 2.4000000000000004).
pub fn evenly(low: f64, high: f64, step: f64) -> Vec<f64> {
    let count = ((high - low) / step).round() as usize;
    let decimals = (-step.log10()).ceil().max(0.0) as usize + 1;
    (0..=count)
        .map(|k| {
            let v = low + k as f64 * step;
            format!("{v:.decimals$}").parse().unwrap_or(v)
        })
        .collect()
}

/// The 1-2-5 ladder of values from `low` to `high` (both on it), as the learning rates of the
/// playground run.
pub fn one_two_five(low: f64, high: f64) -> Vec<f64> {
    let mut stops = Vec::new();
    let mut decade = 10f64.powf(low.log10().floor());
    while decade <= high * 1.0001 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * decade;
            if v >= low * 0.9999 && v <= high * 1.0001 {
                // Round away the binary noise of repeated multiplication (0.30000000000000004).
                stops.push(format!("{v:.12e}").parse().unwrap_or(v));
            }
        }
        decade *= 10.0;
    }
    stops
}

/// Whole numbers `1, 2, 3, 4, 6, 8, 12, 16, …` up to `high`: unit counts a slider can span.
pub fn counts_up_to(high: usize) -> Vec<f64> {
    let mut stops = Vec::new();
    let mut k = 1usize;
    while k <= high {
        stops.push(k as f64);
        if k >= 4 {
            stops.push((k + k / 2) as f64);
        }
        k *= 2;
    }
    stops.retain(|&v| v <= high as f64);
    stops.sort_by(|a, b| a.total_cmp(b));
    stops.dedup();
    if stops.last() != Some(&(high as f64)) {
        stops.push(high as f64);
    }
    stops
}

/// A number as a person writes it: no trailing zeros, at most four significant decimals.
pub fn number(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        return format!("{v:e}");
    }
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// The clock of a lesson that trains: how far a live run has got, advancing quickly at first
/// and in ever larger strides, so that a run of any length plays in a few seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Steps taken so far.
    pub at: usize,
    /// The lesson's whole run.
    pub end: usize,
}

impl Clock {
    /// A clock at the end of a run of `end` steps: the lesson as configured.
    pub fn finished(end: usize) -> Self {
        Self { at: end, end }
    }

    pub fn is_finished(&self) -> bool {
        self.at >= self.end
    }

    /// The next frame's position while running: one step at first, then a twentieth more each
    /// frame (about 140 frames from 1 to 1,000 steps), never past the end.
    pub fn advanced(self) -> Self {
        let stride = (self.at / 20).max(1);
        Self {
            at: (self.at + stride).min(self.end),
            ..self
        }
    }

    /// One step on; from the end, the first step of a new run.
    pub fn stepped(self) -> Self {
        let at = if self.is_finished() { 1 } else { self.at + 1 };
        Self {
            at: at.min(self.end),
            ..self
        }
    }

    /// Back to the start, before the first step.
    pub fn rewound(self) -> Self {
        Self { at: 0, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_knob_finds_its_stop_and_moves_along_its_ladder() {
        let knob = Knob::numeric("rate", one_two_five(0.001, 1.0), 0.03);
        assert_eq!(
            knob.stops,
            [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
        );
        // 0.03 is nearer 0.02 than 0.05
        assert_eq!((knob.at, knob.shown.as_str()), (4, "0.03"));
        assert_eq!(knob.next_stop(Toward::More), Some(0.05));
        assert_eq!(knob.next_stop(Toward::Less), Some(0.01));
        assert_eq!(knob.stop_at_fraction(0.0), 0.001);
        assert_eq!(knob.stop_at_fraction(1.0), 1.0);
        // 0.5 of nine intervals is 4.5, which rounds to the 6th stop
        assert_eq!(knob.stop_at_fraction(0.5), 0.05);
        assert_eq!(knob.stop_at_fraction(7.0), 1.0);
        let ends = Knob::numeric("n", vec![1.0, 2.0], 2.0);
        assert_eq!(ends.next_stop(Toward::More), None);
        assert_eq!(ends.fraction(), 1.0);
        assert_eq!(Knob::choice("f", &["a", "b", "c"], 1).shown, "b");
    }

    #[test]
    fn ladders_hold_the_values_a_person_would_pick() {
        assert_eq!(evenly(-1.0, 1.0, 0.5), [-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(evenly(-2.4, 2.4, 0.1)[48], 2.4);
        assert_eq!(evenly(0.25, 3.0, 0.25)[3], 1.0);
        assert_eq!(
            counts_up_to(32),
            [1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0]
        );
        assert_eq!(counts_up_to(5), [1.0, 2.0, 4.0, 5.0]);
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(0.0001), "1e-4");
    }

    #[test]
    fn a_clock_plays_a_long_run_in_a_few_seconds_of_frames() {
        let mut clock = Clock::finished(1000).rewound();
        let mut frames = 0;
        while !clock.is_finished() {
            clock = clock.advanced();
            frames += 1;
        }
        assert_eq!(clock.at, 1000);
        assert!((100..200).contains(&frames), "{frames}");
        assert_eq!(Clock::finished(5).stepped().at, 1);
        assert_eq!(Clock { at: 2, end: 5 }.stepped().at, 3);
        assert_eq!(Clock { at: 0, end: 0 }.stepped().at, 0);
    }
}
