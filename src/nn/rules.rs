//! Rosenblatt's reinforcement systems and Widrow–Hoff: how the potentiometers move after a trial.
//!
//! Notation: A-unit outputs `a_i` in {0, 1}; R-unit sums `r_j = sum_i w_ij a_i`; the R-unit
//! fires (`y_j = +1`) when `r_j > 0`, else `y_j = -1`; the desired response is `t_j` in {+1, -1}.
//! Each rule gives a signed amount `d_j` per R-unit, and the value system spreads it over the
//! R-unit's source set `S_j` (all A-units, or its own share in the source-set machine):
//!
//! - alpha (uncompensated gain):   `dw_ij = eta * d_j * a_i`
//! - gamma (parasitic gain):       `dw_ij = eta * d_j * (a_i - mean_{k in S_j} a_k)`, so
//!   `sum_{i in S_j} w_ij` never changes (Rosenblatt 1958, Psych. Rev. 65:386, "gamma system").

use serde::{Deserialize, Serialize};

/// When and in which direction the potentiometers of an R-unit move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reinforcement {
    /// Only when R-unit j answered wrongly: `d_j = t_j` if `y_j != t_j`, else 0.
    /// Rosenblatt's error-correcting reinforcement; the Mark I's training mode (NAVY 1960).
    ErrorCorrection,
    /// S-controlled ("forced") reinforcement: the desired response is imposed on every trial,
    /// `d_j = t_j` (Principles of Neurodynamics, 1962).
    Forced,
    /// R-controlled reinforcement: whatever the machine did is strengthened, `d_j = y_j`
    /// (Hebb-like, needs no teacher; Principles of Neurodynamics, 1962).
    RControlled,
    /// Widrow & Hoff's alpha-LMS (IRE WESCON 1960): `d_j = (t_j - r_j) / |A_j|`, where `|A_j|`
    /// is the number of active A-units in the source set (= `|x|^2` for binary x), so the
    /// error shrinks by the factor `(1 - eta)` on this pattern. Ignores the value system.
    WidrowHoff,
}

/// How a correction is spread over the source set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValueSystem {
    /// Each active A-unit's pot gains `eta * d_j` and keeps it.
    Alpha,
    /// Active pots gain at the expense of inactive ones; the source set's total is constant.
    Gamma,
}

/// The learning rule of a Mark I: reinforcement, value system and step `eta`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LearningConfig {
    pub rule: Reinforcement,
    pub system: ValueSystem,
    /// `eta`: pot positions moved per unit of `d_j` (1 = one motor step).
    pub rate: f32,
}

impl Default for LearningConfig {
    fn default() -> Self {
        Self {
            rule: Reinforcement::ErrorCorrection,
            system: ValueSystem::Alpha,
            rate: 1.0,
        }
    }
}

/// `y_j`: +1 when R-unit j fires (`r_j > 0`), else -1.
pub fn fires(r: f32) -> f32 {
    if r > 0.0 { 1.0 } else { -1.0 }
}

/// `d_j` for every R-unit, per the rule (see the module notes). `active_in_set[j]` is `|A_j|`.
pub fn directions(
    rule: Reinforcement,
    responses: &[f32],
    targets: &[f32],
    active_in_set: &[usize],
    out: &mut [f32],
) {
    for j in 0..out.len() {
        let (r, t) = (responses[j], targets[j]);
        out[j] = match rule {
            Reinforcement::ErrorCorrection => {
                if fires(r) != t {
                    t
                } else {
                    0.0
                }
            }
            Reinforcement::Forced => t,
            Reinforcement::RControlled => fires(r),
            Reinforcement::WidrowHoff => {
                if active_in_set[j] == 0 {
                    0.0
                } else {
                    (t - r) / active_in_set[j] as f32
                }
            }
        };
    }
}

/// End stops `[-e, +e]` as a clamp range, unbounded for continuous pots (`None`).
pub fn stop_range(end_stop: Option<f32>) -> (f32, f32) {
    end_stop.map_or((f32::NEG_INFINITY, f32::INFINITY), |e| (-e, e))
}

/// The weights of a response layer and how its potentiometers are grouped.
/// `weights[i * r_units + j]` is the pot from A-unit i to R-unit j.
pub struct PotBank<'a> {
    pub weights: &'a mut [f32],
    pub r_units: usize,
    /// The R-unit each A-unit feeds in the source-set machine, or `None` for a full matrix.
    pub owner: Option<&'a [u16]>,
    /// Size of each R-unit's source set.
    pub set_sizes: &'a [usize],
    /// End stops `[-e, +e]`, or `None` for unbounded pots.
    pub end_stop: Option<f32>,
}

impl PotBank<'_> {
    /// Number of active A-units in each R-unit's source set.
    pub fn active_in_sets(&self, active: &[u16], out: &mut [usize]) {
        match self.owner {
            None => out.fill(active.len()),
            Some(owner) => {
                out.fill(0);
                for &i in active {
                    out[owner[i as usize] as usize] += 1;
                }
            }
        }
    }

    /// Moves the pots by `eta * d_j` under `system` for the trial whose active A-units are
    /// `active`; `active_in_set` as from [`active_in_sets`](Self::active_in_sets).
    pub fn reinforce(
        &mut self,
        system: ValueSystem,
        eta: f32,
        d: &[f32],
        active: &[u16],
        active_in_set: &[usize],
    ) {
        match (system, self.owner) {
            (ValueSystem::Alpha, None) => self.reinforce_alpha(eta, d, active),
            (ValueSystem::Alpha, Some(owner)) => {
                let (low, high) = self.stops();
                let r_units = self.r_units;
                for &i in active {
                    let j = owner[i as usize] as usize;
                    let w = &mut self.weights[i as usize * r_units + j];
                    *w = (*w + eta * d[j]).clamp(low, high);
                }
            }
            (ValueSystem::Gamma, _) => self.reinforce_gamma(eta, d, active, active_in_set),
        }
    }

    /// The end stops as a clamp range.
    fn stops(&self) -> (f32, f32) {
        stop_range(self.end_stop)
    }

    /// The alpha system with every A-unit feeding every R-unit: `w_ij += eta d_j` for each
    /// active A-unit i. The hot path of training: error correction usually moves only one or
    /// two R-units, and then only those columns are walked; otherwise whole rows.
    fn reinforce_alpha(&mut self, eta: f32, d: &[f32], active: &[u16]) {
        let r_units = self.r_units;
        let (low, high) = self.stops();
        let moved = d.iter().filter(|&&dj| dj != 0.0).count();
        if moved * 4 <= r_units {
            for (j, &dj) in d.iter().enumerate() {
                if dj == 0.0 {
                    continue;
                }
                let s = eta * dj;
                for &i in active {
                    let w = &mut self.weights[i as usize * r_units + j];
                    *w = (*w + s).clamp(low, high);
                }
            }
            return;
        }
        let mut step = [0.0f32; 16];
        if r_units <= step.len() {
            for (s, &dj) in step.iter_mut().zip(d) {
                *s = eta * dj;
            }
            let step = &step[..r_units];
            for &i in active {
                let row = &mut self.weights[i as usize * r_units..(i as usize + 1) * r_units];
                for (w, &s) in row.iter_mut().zip(step) {
                    *w = (*w + s).clamp(low, high);
                }
            }
        } else {
            for &i in active {
                let row = &mut self.weights[i as usize * r_units..(i as usize + 1) * r_units];
                for (w, &dj) in row.iter_mut().zip(d) {
                    *w = (*w + eta * dj).clamp(low, high);
                }
            }
        }
    }

    /// The gamma system: `w_ij += eta d_j (a_i - mean_j)`, every pot of a moved R-unit's set
    /// shares the change, the active ones gaining what the inactive lose (mean_j is the
    /// fraction of set j that fired).
    fn reinforce_gamma(&mut self, eta: f32, d: &[f32], active: &[u16], active_in_set: &[usize]) {
        let r_units = self.r_units;
        let (low, high) = self.stops();
        let a_units = self.weights.len() / r_units;
        let mut is_active = vec![false; a_units];
        for &i in active {
            is_active[i as usize] = true;
        }
        for (j, &dj) in d.iter().enumerate() {
            if dj == 0.0 || self.set_sizes[j] == 0 {
                continue;
            }
            let mean = active_in_set[j] as f32 / self.set_sizes[j] as f32;
            for (i, &on) in is_active.iter().enumerate() {
                if self.owner.is_some_and(|o| o[i] as usize != j) {
                    continue;
                }
                let a = if on { 1.0 } else { 0.0 };
                let w = &mut self.weights[i * r_units + j];
                *w = (*w + eta * dj * (a - mean)).clamp(low, high);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directions_of(rule: Reinforcement, r: &[f32], t: &[f32], active: usize) -> Vec<f32> {
        let mut out = vec![0.0; r.len()];
        directions(rule, r, t, &vec![active; r.len()], &mut out);
        out
    }

    /// Reinforces a full-matrix bank (no source sets) for the trial whose active A-units are `active`.
    fn reinforce_full(
        weights: &mut [f32],
        r_units: usize,
        end_stop: Option<f32>,
        system: ValueSystem,
        eta: f32,
        d: &[f32],
        active: &[u16],
    ) {
        let set_sizes = vec![weights.len() / r_units; r_units];
        let mut bank = PotBank {
            weights,
            r_units,
            owner: None,
            set_sizes: &set_sizes,
            end_stop,
        };
        let mut counts = vec![0; r_units];
        bank.active_in_sets(active, &mut counts);
        bank.reinforce(system, eta, d, active, &counts);
    }

    #[test]
    fn error_correction_moves_only_wrong_units_toward_the_target() {
        // R0 fires (r=3) but should not; R1 silent (r=0), should fire; R2 correct (r=-2, t=-1).
        let d = directions_of(
            Reinforcement::ErrorCorrection,
            &[3.0, 0.0, -2.0],
            &[-1.0, 1.0, -1.0],
            4,
        );
        assert_eq!(d, vec![-1.0, 1.0, 0.0]);
    }

    #[test]
    fn weights_unchanged_when_response_correct() {
        let mut weights = vec![2.0, -1.0, 0.5, 4.0];
        let before = weights.clone();
        let d = directions_of(Reinforcement::ErrorCorrection, &[2.5, 3.0], &[1.0, 1.0], 2);
        reinforce_full(&mut weights, 2, None, ValueSystem::Alpha, 1.0, &d, &[0, 1]);
        assert_eq!(weights, before);
    }

    #[test]
    fn forced_and_r_controlled_reinforce_every_trial() {
        let r = [3.0, -1.0];
        let t = [-1.0, -1.0];
        assert_eq!(
            directions_of(Reinforcement::Forced, &r, &t, 1),
            vec![-1.0, -1.0]
        );
        assert_eq!(
            directions_of(Reinforcement::RControlled, &r, &t, 1),
            vec![1.0, -1.0]
        );
    }

    #[test]
    fn widrow_hoff_is_normalised_by_the_active_count() {
        // r = 0.5, t = 1, 4 active inputs: d = (1 - 0.5) / 4 = 0.125.
        let d = directions_of(Reinforcement::WidrowHoff, &[0.5], &[1.0], 4);
        assert_eq!(d, vec![0.125]);
        // With eta = 1 the new response on the same pattern hits the target exactly:
        // r' = r + 4 * (eta * 0.125) = 1.
        let mut weights = vec![0.125; 4];
        reinforce_full(
            &mut weights,
            1,
            None,
            ValueSystem::Alpha,
            1.0,
            &d,
            &[0, 1, 2, 3],
        );
        assert_eq!(weights.iter().sum::<f32>(), 1.0);
    }

    #[test]
    fn alpha_step_on_a_hand_computed_trial() {
        // Two A-units active (0 and 2) of three, two R-units; d = (+1, -1), eta = 1:
        // w[0] = (0, 0) -> (1, -1); w[1] unchanged (inactive); w[2] = (5, -5) -> (6, -6).
        let mut weights = vec![0.0, 0.0, 7.0, 7.0, 5.0, -5.0];
        reinforce_full(
            &mut weights,
            2,
            Some(100.0),
            ValueSystem::Alpha,
            1.0,
            &[1.0, -1.0],
            &[0, 2],
        );
        assert_eq!(weights, vec![1.0, -1.0, 7.0, 7.0, 6.0, -6.0]);
    }

    #[test]
    fn end_stops_hold_the_pots() {
        let mut weights = vec![100.0, -100.0];
        reinforce_full(
            &mut weights,
            2,
            Some(100.0),
            ValueSystem::Alpha,
            1.0,
            &[1.0, -1.0],
            &[0],
        );
        assert_eq!(weights, vec![100.0, -100.0]);
    }

    #[test]
    fn gamma_conserves_each_source_sets_total() {
        // Four A-units, one R-unit; units 0 and 1 active: mean = 0.5, d = +1, eta = 2:
        // active pots gain 2 * (1 - 0.5) = +1, inactive lose 2 * 0.5 = 1.
        let mut weights = vec![0.0, 1.0, 2.0, 3.0];
        reinforce_full(
            &mut weights,
            1,
            None,
            ValueSystem::Gamma,
            2.0,
            &[1.0],
            &[0, 1],
        );
        assert_eq!(weights, vec![1.0, 2.0, 1.0, 2.0]);
        assert_eq!(weights.iter().sum::<f32>(), 6.0);
    }

    #[test]
    fn source_sets_only_move_their_own_pots() {
        // A-units 0,1 feed R0; 2,3 feed R1. All active; d = (+1, +1).
        let owner = [0u16, 0, 1, 1];
        let mut weights = vec![0.0; 8];
        let mut bank = PotBank {
            weights: &mut weights,
            r_units: 2,
            owner: Some(&owner),
            set_sizes: &[2, 2],
            end_stop: None,
        };
        let mut counts = [0; 2];
        bank.active_in_sets(&[0, 1, 2, 3], &mut counts);
        assert_eq!(counts, [2, 2]);
        bank.reinforce(ValueSystem::Alpha, 1.0, &[1.0, 1.0], &[0, 1, 2, 3], &counts);
        assert_eq!(weights, vec![1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
    }
}
