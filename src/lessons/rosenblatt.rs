//! The Mark I's own experiments, from Rosenblatt's 1958 paper: the Σ-system (an R-unit sums the
//! values of its source set's active A-units) beside the μ-system (their mean), and A-units
//! removed after learning, a chosen fraction at a time, with the accuracy degrading gracefully.

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::instrument::{Knob, evenly};
use super::{LessonReport, Teach, within};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::data::builtin;
use crate::fields::FieldError;
use crate::nn::Machine;
use crate::nn::mark1::{ActivityCache, Mark1, Mark1Config};
use crate::nn::retina::RetinaConfig;
use crate::seeds::{Stream, rng_for};

/// A Mark I on a built-in image set, its A-units split into one source set per class, trained
/// by error correction for `passes` passes under each response system; then `lesion` of its
/// A-units disabled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RosenblattLesson {
    /// A built-in set (`mark1 list` names them).
    pub set: String,
    pub per_class: usize,
    pub a_units: usize,
    pub passes: usize,
    /// The fraction of A-units disabled after training.
    pub lesion: f64,
}

impl Default for RosenblattLesson {
    fn default() -> Self {
        Self {
            set: "left-right".into(),
            per_class: 60,
            a_units: 512,
            passes: 15,
            lesion: 0.3,
        }
    }
}

/// How an R-unit reads its source set: Rosenblatt's two response systems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseSystem {
    /// The sum of the values of the set's active A-units.
    Sigma,
    /// Their mean: the same whatever the number of active A-units.
    Mu,
}

/// The fractions of A-units removed along the lesion chart.
const LESION_STEPS: [f64; 10] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const SETS: [&str; 4] = ["left-right", "e-f", "square-circle", "shapes"];

/// One response system's machine: one value per A-unit (the hardware's 512 potentiometers),
/// each A-unit in the source set of one class.
#[derive(Clone, Debug, PartialEq)]
struct SourceSetMachine {
    system: ResponseSystem,
    classes: usize,
    values: Vec<f64>,
}

impl SourceSetMachine {
    fn new(system: ResponseSystem, classes: usize, a_units: usize) -> Self {
        Self {
            system,
            classes,
            values: vec![0.0; a_units],
        }
    }

    /// The class whose source set an A-unit feeds: the A-units split evenly in order.
    fn owner(&self, unit: usize) -> usize {
        unit * self.classes / self.values.len()
    }

    /// Each R-unit's response to the active A-units (those `alive`).
    fn responses(&self, active: &[u16], alive: &[bool]) -> Vec<f64> {
        let mut sums = vec![0.0; self.classes];
        let mut counts = vec![0usize; self.classes];
        for &unit in active.iter().filter(|&&u| alive[u as usize]) {
            let class = self.owner(unit as usize);
            sums[class] += self.values[unit as usize];
            counts[class] += 1;
        }
        match self.system {
            ResponseSystem::Sigma => sums,
            ResponseSystem::Mu => sums
                .iter()
                .zip(&counts)
                .map(|(s, &n)| if n == 0 { 0.0 } else { s / n as f64 })
                .collect(),
        }
    }

    /// The R-unit answering most strongly (the first of equals).
    fn decide(&self, active: &[u16], alive: &[bool]) -> usize {
        let r = self.responses(active, alive);
        (0..r.len()).fold(0, |best, k| if r[k] > r[best] { k } else { best })
    }

    /// Error correction: when the answer is wrong, each active A-unit of the right class's
    /// source set gains one step and each of the answered class's loses one.
    fn present(&mut self, active: &[u16], label: usize, alive: &[bool]) {
        let answer = self.decide(active, alive);
        if answer == label {
            return;
        }
        for &unit in active {
            let owner = self.owner(unit as usize);
            if owner == label {
                self.values[unit as usize] += 1.0;
            } else if owner == answer {
                self.values[unit as usize] -= 1.0;
            }
        }
    }

    fn accuracy(&self, cache: &ActivityCache, labels: &[u16], alive: &[bool]) -> f64 {
        let right = (0..labels.len())
            .filter(|&k| self.decide(cache.active(k), alive) == labels[k] as usize)
            .count();
        right as f64 / labels.len().max(1) as f64
    }
}

/// What the experiments found, for both response systems (Σ first).
#[derive(Clone, Debug, PartialEq)]
pub struct RosenblattResult {
    pub classes: Vec<String>,
    /// Test accuracy after each pass, the untrained machine first.
    pub learning: [Vec<f64>; 2],
    /// Test accuracy with each of [`LESION_STEPS`] removed.
    pub lesions: [Vec<f64>; 2],
    /// Test accuracy with the lesson's own `lesion` removed.
    pub lesioned: [f64; 2],
    /// Mean active A-units per test image.
    pub mean_active: f64,
}

impl RosenblattLesson {
    pub fn run(&self, seed: u64) -> Result<RosenblattResult, String> {
        let (train, _) = builtin::generate(&self.set, seed, Some(self.per_class))
            .map_err(|e| format!("{e:#}"))?;
        // Test images drawn afresh from the same generator.
        let (test, _) = builtin::generate(&self.set, seed ^ 0x7e57, Some(self.per_class))
            .map_err(|e| format!("{e:#}"))?;
        let mut config = Mark1Config::default();
        if self.a_units > config.plugboard.a_units {
            // 1960's plugboard had sockets for its 512 A-units: a larger machine is wired
            // without that limit (the knob goes to 2048)
            config.plugboard.max_fan_out = None;
        }
        config.plugboard.a_units = self.a_units;
        let (machine, _) = <Mark1 as Machine>::build(
            &RetinaConfig::default(),
            &config,
            train.classes.clone(),
            seed,
            &train.images,
        )?;
        let train_cache = Machine::encode_all(&machine, &train.images);
        let test_cache = Machine::encode_all(&machine, &test.images);
        let everyone = vec![true; self.a_units];
        // The order A-units are removed in: the first k of one shuffle, the same for both.
        let mut doomed: Vec<usize> = (0..self.a_units).collect();
        doomed.shuffle(&mut rng_for(seed, Stream::Calibration));
        let alive_after = |fraction: f64| {
            let mut alive = everyone.clone();
            let removed = (fraction * self.a_units as f64).round() as usize;
            for &unit in &doomed[..removed.min(self.a_units)] {
                alive[unit] = false;
            }
            alive
        };
        let systems = [ResponseSystem::Sigma, ResponseSystem::Mu].map(|system| {
            let mut m = SourceSetMachine::new(system, train.classes.len(), self.a_units);
            let mut order: Vec<usize> = (0..train.len()).collect();
            let mut rng = rng_for(seed, Stream::TrainingOrder);
            let mut learning = vec![m.accuracy(&test_cache, &test.labels, &everyone)];
            for _ in 0..self.passes {
                order.shuffle(&mut rng);
                for &k in &order {
                    m.present(train_cache.active(k), train.labels[k] as usize, &everyone);
                }
                learning.push(m.accuracy(&test_cache, &test.labels, &everyone));
            }
            let lesions = LESION_STEPS
                .iter()
                .map(|&f| m.accuracy(&test_cache, &test.labels, &alive_after(f)))
                .collect::<Vec<_>>();
            let lesioned = m.accuracy(&test_cache, &test.labels, &alive_after(self.lesion));
            (learning, lesions, lesioned)
        });
        let [(l0, s0, x0), (l1, s1, x1)] = systems;
        Ok(RosenblattResult {
            classes: train.classes.clone(),
            learning: [l0, l1],
            lesions: [s0, s1],
            lesioned: [x0, x1],
            mean_active: test_cache.mean_activity(self.a_units) * self.a_units as f64,
        })
    }
}

impl RosenblattResult {
    fn report(&self, lesson: &RosenblattLesson) -> LessonReport {
        let last = |k: usize| *self.learning[k].last().unwrap_or(&0.0);
        let percent = |v: f64| format!("{:.1}%", 100.0 * v);
        let lines = vec![
            format!(
                "builtin:{} ({}), {} A-units in {} source sets, about {:.0} active per image; error correction, {} passes:",
                lesson.set,
                self.classes.join(", "),
                lesson.a_units,
                self.classes.len(),
                self.mean_active,
                lesson.passes
            ),
            format!(
                "  Σ-system (an R-unit sums its active A-units' values): test accuracy {}",
                percent(last(0))
            ),
            format!(
                "  μ-system (the mean of those values): test accuracy {}",
                percent(last(1))
            ),
            format!(
                "with {:.0}% of the A-units removed after learning: Σ {}, μ {} (chance {})",
                100.0 * lesson.lesion,
                percent(self.lesioned[0]),
                percent(self.lesioned[1]),
                percent(1.0 / self.classes.len() as f64)
            ),
        ];
        LessonReport {
            title: "The Mark I's own experiments: Σ and μ, and A-units removed".into(),
            lines,
            charts: self.charts(lesson),
            figures: json!({
                "classes": self.classes,
                "sigma_learning": self.learning[0],
                "mu_learning": self.learning[1],
                "lesion_fractions": LESION_STEPS,
                "sigma_lesions": self.lesions[0],
                "mu_lesions": self.lesions[1],
                "lesion": lesson.lesion,
                "sigma_lesioned": self.lesioned[0],
                "mu_lesioned": self.lesioned[1],
                "mean_active": self.mean_active,
            }),
            graph: None,
            graph_current: None,
        }
    }

    fn charts(&self, lesson: &RosenblattLesson) -> Vec<Chart> {
        let chance = 1.0 / self.classes.len() as f64;
        let series = |values: &[f64], x: &dyn Fn(usize) -> f64| {
            values
                .iter()
                .enumerate()
                .map(|(k, &v)| [x(k), v])
                .collect::<Vec<_>>()
        };
        let line = |label: &str, ink, dashed, points| Mark::Line {
            label: label.into(),
            ink,
            dashed,
            points,
        };
        let passes = |k: usize| k as f64;
        let removed = |k: usize| 100.0 * LESION_STEPS[k];
        let chance_line = |to: f64| {
            line(
                "chance",
                Ink::Reference,
                true,
                vec![[0.0, chance], [to, chance]],
            )
        };
        vec![
            Chart {
                title: "Test accuracy as it learns".into(),
                x: Axis::linear("passes", 0.0, lesson.passes.max(1) as f64),
                y: Axis::linear("accuracy", 0.0, 1.0),
                marks: vec![
                    line("Σ", Ink::Warm, false, series(&self.learning[0], &passes)),
                    line("μ", Ink::Cool, true, series(&self.learning[1], &passes)),
                    chance_line(lesson.passes.max(1) as f64),
                ],
            },
            Chart {
                title: "Test accuracy with A-units removed".into(),
                x: Axis::linear("% of A-units removed after learning", 0.0, 90.0),
                y: Axis::linear("accuracy", 0.0, 1.0),
                marks: vec![
                    line("Σ", Ink::Warm, false, series(&self.lesions[0], &removed)),
                    line("μ", Ink::Cool, true, series(&self.lesions[1], &removed)),
                    chance_line(90.0),
                    Mark::Points {
                        label: String::new(),
                        ink: Ink::Warm,
                        points: vec![[100.0 * lesson.lesion, self.lesioned[0]]],
                    },
                    Mark::Points {
                        label: String::new(),
                        ink: Ink::Cool,
                        points: vec![[100.0 * lesson.lesion, self.lesioned[1]]],
                    },
                ],
            },
        ]
    }
}

impl Teach for RosenblattLesson {
    fn validate(&self) -> Result<(), FieldError> {
        if builtin::BUILTIN_SETS.iter().all(|s| s.name != self.set) {
            return Err(FieldError::at(
                "set",
                format!(
                    "no built-in set {:?} (have: {})",
                    self.set,
                    builtin::names()
                ),
            ));
        }
        within("per_class", self.per_class, 2, 5_000)?;
        within("a_units", self.a_units, 16, 8_192)?;
        within("passes", self.passes, 0, 1_000)?;
        if !(0.0..=0.95).contains(&self.lesion) {
            return Err(FieldError::at(
                "lesion",
                format!("{} must lie in 0..=0.95", self.lesion),
            ));
        }
        Ok(())
    }

    fn teach(&self, seed: u64) -> LessonReport {
        match self.run(seed) {
            Ok(result) => result.report(self),
            // Validation names a set the generator knows, so this is a machine that could
            // not be built: said on the page rather than drawn.
            Err(e) => LessonReport {
                title: "The Mark I's own experiments".into(),
                lines: vec![e],
                charts: Vec::new(),
                figures: serde_json::Value::Null,
                graph: None,
                graph_current: None,
            },
        }
    }

    fn knobs(&self) -> Vec<Knob> {
        let set = SETS.iter().position(|s| *s == self.set).unwrap_or(0);
        vec![
            Knob::new(
                "A-units removed",
                evenly(0.0, 0.95, 0.05),
                self.lesion,
                format!("{:.0}%", 100.0 * self.lesion),
            ),
            Knob::numeric(
                "A-units",
                vec![64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0],
                self.a_units as f64,
            ),
            Knob::numeric(
                "images per class",
                vec![10.0, 20.0, 40.0, 60.0, 100.0, 200.0],
                self.per_class as f64,
            ),
            Knob::choice("image set", &SETS, set),
        ]
    }

    fn set_knob(&mut self, index: usize, value: f64) {
        match index {
            0 => self.lesion = value,
            1 => self.a_units = value as usize,
            2 => self.per_class = value as usize,
            3 => self.set = SETS[(value as usize).min(SETS.len() - 1)].into(),
            _ => {}
        }
    }

    fn clock(&self) -> Option<usize> {
        Some(self.passes)
    }

    fn set_clock(&mut self, steps: usize) {
        self.passes = steps;
    }

    fn clock_unit(&self) -> &'static str {
        "pass"
    }

    fn pace(&self) -> f64 {
        0.3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_machine_the_a_unit_knob_offers_is_built() {
        let mut lesson = RosenblattLesson {
            passes: 1,
            ..RosenblattLesson::default()
        };
        for &a_units in &lesson.knobs()[1].stops.clone() {
            lesson.set_knob(1, a_units);
            let result = lesson.run(1);
            assert!(result.is_ok(), "{a_units} A-units: {result:?}");
        }
    }

    #[test]
    fn both_systems_learn_left_from_right_and_lose_accuracy_gracefully_as_a_units_go() {
        let r = RosenblattLesson::default().run(1).unwrap();
        for k in 0..2 {
            let learned = *r.learning[k].last().unwrap();
            assert!(learned > 0.95, "system {k}: {r:?}");
            // untouched, the lesion chart starts where learning ended
            assert_eq!(r.lesions[k][0], learned);
            // graceful: half the A-units gone costs a few points, nine tenths still leave it
            // far above chance (1/2)
            assert!(r.lesions[k][5] > learned - 0.08, "{:?}", r.lesions[k]);
            assert!(r.lesions[k][9] < learned, "{:?}", r.lesions[k]);
            assert!(r.lesions[k][9] > 0.65, "{:?}", r.lesions[k]);
        }
        // the lesson's own 30% is the chart's 30%
        assert_eq!(r.lesioned[0], r.lesions[0][3]);
        // an untrained machine answers the first class for everything: chance
        assert_eq!(r.learning[0][0], 0.5);
        // the shapes at any place and size are much harder for it
        let shapes = RosenblattLesson {
            set: "shapes".into(),
            ..RosenblattLesson::default()
        }
        .run(1)
        .unwrap();
        assert!(*shapes.learning[0].last().unwrap() < 0.8, "{shapes:?}");
    }

    #[test]
    fn sigma_sums_and_mu_averages_the_active_values_of_each_source_set() {
        let mut m = SourceSetMachine::new(ResponseSystem::Sigma, 2, 4);
        // units 0 and 1 feed class 0, units 2 and 3 class 1
        assert_eq!((m.owner(1), m.owner(2)), (0, 1));
        m.values = vec![1.0, 3.0, 5.0, -1.0];
        let alive = [true; 4];
        assert_eq!(m.responses(&[0, 1, 2], &alive), [4.0, 5.0]);
        m.system = ResponseSystem::Mu;
        assert_eq!(m.responses(&[0, 1, 2], &alive), [2.0, 5.0]);
        // a removed unit counts in neither
        assert_eq!(
            m.responses(&[0, 1, 2], &[true, false, true, true]),
            [1.0, 5.0]
        );
        // wrong (class 1 answered for class 0): class 0's active units gain, class 1's lose;
        // means 3 against 4 are still wrong, and a second correction puts it right
        m.present(&[0, 1, 2], 0, &alive);
        assert_eq!(m.values, [2.0, 4.0, 4.0, -1.0]);
        m.present(&[0, 1, 2], 0, &alive);
        assert_eq!(m.values, [3.0, 5.0, 3.0, -1.0]);
        // right: nothing moves
        m.present(&[0, 1, 2], 0, &alive);
        assert_eq!(m.values, [3.0, 5.0, 3.0, -1.0]);
    }
}
