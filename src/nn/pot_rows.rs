//! The training pass's hot path for a Mark I whose every A-unit feeds every R-unit under the
//! alpha system: each A-unit's pots as one row of 16 lanes, summed and moved a vector at a time.
//!
//! Lane j of a row is the pot to R-unit j; lanes past the machine's R-units stay 0. The sums
//! take the same order as [`super::mark1::Mark1::respond_into`] (four partial sums over every
//! fourth active A-unit, `(p0 + p1) + (p2 + p3)`), and a correction moves each pot by
//! `(w + step).clamp(low, high)` as [`super::rules::PotBank::reinforce`] does, so a pass here
//! leaves the same pots, bit for bit, as presenting the images one at a time.

use super::kernel;
use super::mark1::{ActivityCache, Mark1, PassCounts};
use super::rules::{self, Reinforcement};

/// Lanes in a row: the most R-units this path takes.
pub const LANES: usize = 16;

/// How many presentations ahead the next A-unit lists are fetched: the order is shuffled, so
/// each list would otherwise wait on memory.
const FETCH_AHEAD: usize = 3;

/// One A-unit's pots, a cache line wide.
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(64))]
struct Row([f32; LANES]);

/// A machine's pots laid out a row per A-unit, for a training pass.
pub struct PotRows {
    rows: Vec<Row>,
    r_units: usize,
}

impl PotRows {
    /// The pots `weights[i * r_units + j]` as rows; `None` for more R-units than lanes.
    pub fn from_weights(weights: &[f32], r_units: usize) -> Option<Self> {
        if r_units == 0 || r_units > LANES {
            return None;
        }
        let rows = weights
            .chunks_exact(r_units)
            .map(|pots| {
                let mut row = Row::default();
                row.0[..r_units].copy_from_slice(pots);
                row
            })
            .collect();
        Some(Self { rows, r_units })
    }

    /// Writes the pots back in `weights[i * r_units + j]` order.
    pub fn write_back(&self, weights: &mut [f32]) {
        for (pots, row) in weights.chunks_exact_mut(self.r_units).zip(&self.rows) {
            pots.copy_from_slice(&row.0[..self.r_units]);
        }
    }

    /// `r_j = sum_{i in active} w_ij` in every lane.
    #[inline(always)]
    fn respond<S: pulp::Simd>(&self, simd: S, active: &[u16]) -> Row {
        let per_row = LANES / S::F32_LANES;
        let mut partial = [[simd.splat_f32s(0.0); LANES]; 4];
        let (quads, rest) = active.as_chunks::<4>();
        for quad in quads {
            for (sums, &i) in partial.iter_mut().zip(quad) {
                let row = S::as_simd_f32s(&self.rows[i as usize].0).0;
                for c in 0..per_row {
                    sums[c] = simd.add_f32s(sums[c], row[c]);
                }
            }
        }
        for (sums, &i) in partial.iter_mut().zip(rest) {
            let row = S::as_simd_f32s(&self.rows[i as usize].0).0;
            for c in 0..per_row {
                sums[c] = simd.add_f32s(sums[c], row[c]);
            }
        }
        let mut out = Row::default();
        let [p0, p1, p2, p3] = &partial;
        for (c, sum) in S::as_mut_simd_f32s(&mut out.0).0.iter_mut().enumerate() {
            *sum = simd.add_f32s(simd.add_f32s(p0[c], p1[c]), simd.add_f32s(p2[c], p3[c]));
        }
        out
    }

    /// `w_ij = (w_ij + step_j).clamp(low, high)` for every active A-unit i.
    #[inline(always)]
    fn reinforce<S: pulp::Simd>(
        &mut self,
        simd: S,
        active: &[u16],
        step: &Row,
        (low, high): (f32, f32),
    ) {
        let step = S::as_simd_f32s(&step.0).0;
        let (low, high) = (simd.splat_f32s(low), simd.splat_f32s(high));
        let rows = self.rows.as_mut_slice();
        for &i in active {
            let row = S::as_mut_simd_f32s(&mut rows[i as usize].0).0;
            for (w, &s) in row.iter_mut().zip(step) {
                *w = simd.min_f32s(simd.max_f32s(simd.add_f32s(*w, s), low), high);
            }
        }
    }
}

/// One pass of presentations with correction over `rows`, the pots of `machine` (which reads
/// the classes).
pub struct RowPass<'a> {
    pub machine: &'a Mark1,
    pub rows: &'a mut PotRows,
    pub cache: &'a ActivityCache,
    pub labels: &'a [u16],
    pub order: &'a [usize],
    /// `targets[c * r_units + j]`: desired `t_j` for class c.
    pub targets: &'a [f32],
    pub rule: Reinforcement,
    pub rate: f32,
    /// End stops as a clamp range.
    pub stops: (f32, f32),
}

impl RowPass<'_> {
    /// Runs the pass, compiled for the widest vectors the processor has.
    pub fn run(self) -> PassCounts {
        pulp::Arch::new().dispatch(self)
    }
}

impl pulp::WithSimd for RowPass<'_> {
    type Output = PassCounts;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> PassCounts {
        let r = self.rows.r_units;
        let mut counts = PassCounts::default();
        let (mut directions, mut active_in_set) = (vec![0.0f32; r], vec![0usize; r]);
        let mut step = Row::default();
        for (n, &k) in self.order.iter().enumerate() {
            if let Some(&ahead) = self.order.get(n + FETCH_AHEAD) {
                kernel::prefetch(self.cache.active(ahead));
            }
            let active = self.cache.active(k);
            let label = self.labels[k] as usize;
            let sums = self.rows.respond(simd, active);
            let responses = &sums.0[..r];
            active_in_set.fill(active.len());
            rules::directions(
                self.rule,
                responses,
                &self.targets[label * r..(label + 1) * r],
                &active_in_set,
                &mut directions,
            );
            let corrected = directions.iter().any(|&d| d != 0.0);
            if corrected {
                for (s, &d) in step.0.iter_mut().zip(&directions) {
                    *s = self.rate * d;
                }
                self.rows.reinforce(simd, active, &step, self.stops);
            }
            counts.errors += u64::from(self.machine.decode(responses) != label);
            counts.corrections += u64::from(corrected);
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::builtin;
    use crate::nn::mark1::{Coding, Mark1Config, Potentiometers, ResponseConfig};
    use crate::nn::retina::RetinaConfig;
    use crate::nn::rules::LearningConfig;

    /// A machine of `r_units` with `pots`, learning by `rule` at `rate`, for the shapes.
    fn machine(
        classes: &[String],
        (r_units, coding, pots): (usize, Coding, Potentiometers),
        (rule, rate): (Reinforcement, f32),
    ) -> Mark1 {
        let config = Mark1Config {
            response: ResponseConfig {
                r_units,
                coding,
                potentiometers: pots,
                ..Default::default()
            },
            learning: LearningConfig {
                rule,
                rate,
                ..Default::default()
            },
            ..Default::default()
        };
        Mark1::build(&RetinaConfig::default(), &config, classes.to_vec(), 5, &[])
            .unwrap()
            .0
    }

    #[test]
    fn a_pass_in_rows_leaves_the_pots_of_one_presentation_at_a_time() {
        let (set, _) = builtin::generate("shapes", 2, Some(120)).unwrap();
        let order: Vec<usize> = (0..set.len())
            .rev()
            .step_by(2)
            .chain(0..set.len())
            .collect();
        let stepped = Potentiometers::Stepped { end_stop: 2 };
        let continuous = Potentiometers::Continuous;
        let cases = [
            (
                (
                    8,
                    Coding::OnePerClass,
                    Potentiometers::Stepped { end_stop: 100 },
                ),
                (Reinforcement::ErrorCorrection, 1.0),
            ),
            (
                (8, Coding::OnePerClass, stepped),
                (Reinforcement::Forced, 1.0),
            ),
            (
                (16, Coding::Binary, continuous),
                (Reinforcement::ErrorCorrection, 0.37),
            ),
            (
                (5, Coding::OnePerClass, continuous),
                (Reinforcement::WidrowHoff, 0.1),
            ),
            (
                (12, Coding::Binary, continuous),
                (Reinforcement::RControlled, 0.25),
            ),
        ];
        for (response, learning) in cases {
            let mut in_rows = machine(&set.classes, response, learning);
            let cache = in_rows.encode_all(&set.images);
            let mut one_at_a_time = in_rows.clone();
            assert!(PotRows::from_weights(&in_rows.weights, in_rows.r_units).is_some());
            let mut counts = PassCounts::default();
            for _ in 0..2 {
                let pass = in_rows.train_epoch(&cache, &set.labels, &order);
                counts.errors += pass.errors;
                counts.corrections += pass.corrections;
            }
            let mut expected = PassCounts::default();
            for &k in order.iter().chain(&order) {
                let label = set.labels[k] as usize;
                let trial = one_at_a_time.present(cache.active(k), label);
                expected.errors += u64::from(trial.predicted != label);
                expected.corrections += u64::from(trial.corrections.iter().any(|&d| d != 0.0));
            }
            let case = format!("{response:?} {learning:?}");
            assert_eq!(counts, expected, "{case}");
            assert!(
                expected.corrections > 0,
                "{case}: the rule never moved a pot"
            );
            let bits = |m: &Mark1| m.weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&in_rows), bits(&one_at_a_time), "{case}");
            assert!(in_rows.weights.iter().any(|&w| w != 0.0), "{case}");
        }
    }

    #[test]
    fn rows_take_up_to_sixteen_r_units_and_give_the_pots_back_in_place() {
        let weights: Vec<f32> = (0..30).map(|w| w as f32 - 7.5).collect();
        let rows = PotRows::from_weights(&weights, 10).unwrap();
        let mut back = vec![0.0; 30];
        rows.write_back(&mut back);
        assert_eq!(back, weights);
        assert!(PotRows::from_weights(&[0.0; 34], 17).is_none());
        assert!(PotRows::from_weights(&[], 0).is_none());
    }
}
