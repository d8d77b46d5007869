//! The Mark I: S-units -> A-units (fixed random threshold units) -> R-units (potentiometer weights).

use std::ops::Range;

use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::metrics::{Confusion, EpochRecord};
use super::plugboard::{AThreshold, Plugboard, PlugboardConfig};
use super::pot_rows::{PotRows, RowPass};
use super::retina::{Excitation, RetinaConfig, SenseScratch};
use super::rules::{self, LearningConfig, PotBank, Reinforcement, ValueSystem};
use super::{Classifier, Diverged, Machine, Pass};
use crate::data::GrayImage;
use crate::fields::FieldError;
use crate::seeds::{Stream, rng_for};

/// How classes are spelled on the R-unit lamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Coding {
    /// R-unit c lights for class c and no other (needs as many R-units as classes).
    OnePerClass,
    /// Class c lights the R-units of the 1-bits of c: 5 R-units name 26 letters.
    Binary,
}

/// What the weights physically are.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Potentiometers {
    /// Motor-driven pots: whole-number positions in `[-end_stop, +end_stop]`, moved a whole
    /// number of steps per correction (the rule's `rate`).
    Stepped { end_stop: u32 },
    /// Real-valued weights without end stops: the modern reading.
    Continuous,
}

/// The R-units as a scene describes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResponseConfig {
    /// R-units; the 1960 machine had 8. Widened to one per class when `OnePerClass` needs it.
    pub r_units: usize,
    pub coding: Coding,
    /// Give each R-unit its own disjoint share of the A-units (Rosenblatt's source sets; the
    /// 512 pots of the hardware suggest it, IEEE SMC Magazine 2015).
    pub source_sets: bool,
    pub potentiometers: Potentiometers,
}

impl Default for ResponseConfig {
    fn default() -> Self {
        Self {
            r_units: 8,
            coding: Coding::OnePerClass,
            source_sets: false,
            potentiometers: Potentiometers::Stepped { end_stop: 100 },
        }
    }
}

/// A Mark I as a scene describes it (the retina is shared with the other models).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mark1Config {
    pub plugboard: PlugboardConfig,
    pub response: ResponseConfig,
    pub learning: LearningConfig,
}

/// Most R-units a machine may have (one per class: a thousand classes).
pub const MAX_R_UNITS: usize = 1024;
/// Most potentiometers (A-units x R-units): 64 MiB of weights.
pub const MAX_POTENTIOMETERS: usize = 1 << 24;

/// Checks `a_units` x `r_units` potentiometers stay within [`MAX_POTENTIOMETERS`].
fn check_potentiometer_count(a_units: usize, r_units: usize) -> Result<(), FieldError> {
    match a_units.checked_mul(r_units) {
        Some(n) if n <= MAX_POTENTIOMETERS => Ok(()),
        _ => Err(FieldError::at(
            "response.r_units",
            format!(
                "{a_units} A-units x {r_units} R-units is more than the {MAX_POTENTIOMETERS} potentiometers a machine may have"
            ),
        )),
    }
}

impl Mark1Config {
    /// Checks the rule and pots agree, naming the field at fault.
    pub fn validate(&self, retina_cells: usize) -> Result<(), FieldError> {
        self.plugboard.validate(retina_cells)?;
        let r_units = self.response.r_units;
        if r_units == 0 || r_units > MAX_R_UNITS {
            return Err(FieldError::at(
                "response.r_units",
                format!("{r_units} must lie in 1..={MAX_R_UNITS}"),
            ));
        }
        check_potentiometer_count(self.plugboard.a_units, r_units)?;
        let rate = self.learning.rate;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(FieldError::at(
                "learning.rate",
                format!("{rate} must be a positive number"),
            ));
        }
        if let Potentiometers::Stepped { end_stop } = self.response.potentiometers {
            if end_stop == 0 {
                return Err(FieldError::at(
                    "response.potentiometers",
                    "Stepped end_stop must be at least 1",
                ));
            }
            if self.learning.rule == Reinforcement::WidrowHoff
                || self.learning.system == ValueSystem::Gamma
            {
                return Err(FieldError::at(
                    "response.potentiometers",
                    "Widrow-Hoff and the gamma system move pots by fractions of a step; use potentiometers: Continuous",
                ));
            }
            if rate.fract() != 0.0 {
                return Err(FieldError::at(
                    "learning.rate",
                    format!(
                        "{rate} is not a whole number of steps, as Stepped potentiometers need"
                    ),
                ));
            }
        }
        if self.response.source_sets && self.plugboard.a_units < self.response.r_units {
            return Err(FieldError::at(
                "response.source_sets",
                "fewer A-units than R-units to share out",
            ));
        }
        Ok(())
    }
}

/// A-unit activity of many images: the firing A-units of image k are
/// `units[offsets[k] .. offsets[k + 1]]`, in ascending order. Fixed for a fixed board, so
/// training reuses it.
#[derive(Clone, Debug, Default)]
pub struct ActivityCache {
    pub offsets: Vec<u32>,
    pub units: Vec<u16>,
}

impl ActivityCache {
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The firing A-units of image `k`.
    pub fn active(&self, k: usize) -> &[u16] {
        &self.units[self.offsets[k] as usize..self.offsets[k + 1] as usize]
    }

    /// Mean fraction of `a_units` firing per image.
    pub fn mean_activity(&self, a_units: usize) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.units.len() as f64 / (self.len() * a_units) as f64
        }
    }
}

/// What a pass of training did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassCounts {
    /// Presentations answered wrongly (before their correction).
    pub errors: u64,
    /// Presentations after which the rule corrected at least one R-unit. With error
    /// correction, a pass with none changed no potentiometer and classified every image
    /// right: the machine has converged.
    pub corrections: u64,
}

/// What the machine did on one presentation.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// The class read off the R-units before any correction.
    pub predicted: usize,
    /// `r_j` before the correction.
    pub responses: Vec<f32>,
    /// The signed amount `d_j` each R-unit's pots were moved by (0 = untouched).
    pub corrections: Vec<f32>,
}

/// Buffers and tables one training pass reuses: no allocation per presentation.
struct Workspace {
    responses: Vec<f32>,
    directions: Vec<f32>,
    active_in_set: Vec<usize>,
    set_sizes: Vec<usize>,
    /// `targets[c * R + j]`: desired `t_j` for class c.
    targets: Vec<f32>,
}

/// A built Mark I: its wiring, its pots, and the classes its lamps stand for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark1 {
    pub retina: RetinaConfig,
    pub plugboard: Plugboard,
    pub r_units: usize,
    pub coding: Coding,
    /// The R-unit each A-unit feeds, when the machine has source sets.
    pub owner: Option<Vec<u16>>,
    pub potentiometers: Potentiometers,
    pub learning: LearningConfig,
    /// `weights[i * r_units + j]`: pot position from A-unit i to R-unit j.
    pub weights: Vec<f32>,
    pub classes: Vec<String>,
}

/// Sets the board's threshold for `target` activity on up to 1,000 images spread evenly over
/// `calibration`; returns the fraction of A-units firing it reached.
fn calibrate(
    board: &mut Plugboard,
    retina: &RetinaConfig,
    target: f32,
    calibration: &[GrayImage],
) -> f32 {
    let step = calibration.len().div_ceil(1000).max(1);
    let samples: Vec<Vec<f32>> = calibration
        .iter()
        .step_by(step)
        .map(|im| retina.sense(im))
        .collect();
    board.calibrate_threshold(&samples, target)
}

/// `out[j] = sum_{i in active} weights[i * N + j]` for rows of a width known at compile time.
/// Four partial sums, over every fourth active unit, added at the end: four additions in
/// flight instead of one chain. Stepped pots hold whole numbers, so their sums are exact in any
/// order; continuous ones are summed in this fixed order, the same on every run.
fn sum_rows<const N: usize>(weights: &[f32], active: &[u16], out: &mut [f32]) {
    let rows: &[[f32; N]] = weights.as_chunks::<N>().0;
    let mut partial = [[0.0f32; N]; 4];
    let (quads, rest) = active.as_chunks::<4>();
    for quad in quads {
        for (sums, &i) in partial.iter_mut().zip(quad) {
            let row = &rows[i as usize];
            for j in 0..N {
                sums[j] += row[j];
            }
        }
    }
    for (sums, &i) in partial.iter_mut().zip(rest) {
        let row = &rows[i as usize];
        for j in 0..N {
            sums[j] += row[j];
        }
    }
    for j in 0..N {
        out[j] = (partial[0][j] + partial[1][j]) + (partial[2][j] + partial[3][j]);
    }
}

/// Bits needed to give each of `classes` its own binary code (at least one).
pub fn code_bits(classes: usize) -> usize {
    (usize::BITS - classes.saturating_sub(1).leading_zeros()).max(1) as usize
}

impl Mark1 {
    /// Builds a machine for `classes` from `config`, drawing the wiring (and source sets) from
    /// `seed`. A `TargetActivity` threshold is calibrated on up to 1,000 of `calibration`.
    /// Returns the machine and notes for the user (a widened response layer, the calibration).
    pub fn build(
        retina: &RetinaConfig,
        config: &Mark1Config,
        classes: Vec<String>,
        seed: u64,
        calibration: &[GrayImage],
    ) -> Result<(Self, Vec<String>), String> {
        retina.validate()?;
        config.validate(retina.cells())?;
        if classes.is_empty() {
            return Err("the data has no classes".into());
        }
        let mut notes = Vec::new();
        let mut r_units = config.response.r_units;
        match config.response.coding {
            Coding::OnePerClass if classes.len() > r_units => {
                notes.push(format!(
                    "{} classes but {r_units} R-units: widened the response layer to {} R-units, one per class (coding: Binary would keep {r_units})",
                    classes.len(),
                    classes.len()
                ));
                r_units = classes.len();
                if r_units > MAX_R_UNITS {
                    return Err(format!(
                        "response.r_units: {r_units} classes need as many R-units, more than the {MAX_R_UNITS} a machine may have (coding: Binary needs {})",
                        code_bits(r_units)
                    ));
                }
                check_potentiometer_count(config.plugboard.a_units, r_units)?;
            }
            Coding::Binary if code_bits(classes.len()) > r_units => {
                return Err(format!(
                    "response.r_units: {} classes need {} R-units in binary code, the scene has {r_units}",
                    classes.len(),
                    code_bits(classes.len())
                ));
            }
            _ => {}
        }
        let mut plugboard = Plugboard::wire(&config.plugboard, retina.cells(), seed)?;
        if let AThreshold::TargetActivity(target) = config.plugboard.threshold {
            let reached = calibrate(&mut plugboard, retina, target, calibration);
            notes.push(format!(
                "A-unit threshold calibrated to {} ({:.1}% of A-units fire on average; target {:.1}%)",
                plugboard.threshold,
                100.0 * reached,
                100.0 * target
            ));
        }
        let owner = config.response.source_sets.then(|| {
            let mut owner: Vec<u16> = (0..plugboard.a_units)
                .map(|i| (i % r_units) as u16)
                .collect();
            owner.shuffle(&mut rng_for(seed, Stream::SourceSets));
            owner
        });
        if r_units > u16::MAX as usize {
            return Err(format!(
                "response: {r_units} R-units is more than {}",
                u16::MAX
            ));
        }
        let weights = vec![0.0; plugboard.a_units * r_units];
        Ok((
            Self {
                retina: retina.clone(),
                plugboard,
                r_units,
                coding: config.response.coding,
                owner,
                potentiometers: config.response.potentiometers,
                learning: config.learning,
                weights,
                classes,
            },
            notes,
        ))
    }

    pub fn a_units(&self) -> usize {
        self.plugboard.a_units
    }

    /// The configuration this machine satisfies, as a scene would state it (its threshold as
    /// calibrated, the response layer as widened).
    pub fn config(&self) -> Mark1Config {
        let board = &self.plugboard;
        Mark1Config {
            plugboard: PlugboardConfig {
                a_units: board.a_units,
                excitatory: board.excitatory,
                inhibitory: board.inhibitory,
                max_fan_out: None,
                threshold: AThreshold::Fixed(board.threshold),
            },
            response: ResponseConfig {
                r_units: self.r_units,
                coding: self.coding,
                source_sets: self.owner.is_some(),
                potentiometers: self.potentiometers,
            },
            learning: self.learning,
        }
    }

    /// Checks a loaded machine is one a scene could make (every validation a scene gets) and
    /// its parts fit together (sizes, indices, finite weights within the end stops).
    pub fn check_consistency(&self) -> Result<(), FieldError> {
        // first what a scene must satisfy, then how the parts fit together
        self.retina.validate()?;
        self.config().validate(self.retina.cells())?;
        self.check_wiring()?;
        self.check_weights()?;
        if let Some(owner) = &self.owner
            && (owner.len() != self.plugboard.a_units
                || owner.iter().any(|&o| o as usize >= self.r_units))
        {
            return Err(FieldError::new(
                "owner",
                "source-set table does not match the A- and R-units",
            ));
        }
        let needed = match self.coding {
            Coding::OnePerClass => self.classes.len(),
            Coding::Binary => code_bits(self.classes.len()),
        };
        if self.classes.is_empty() || needed > self.r_units {
            return Err(FieldError::new(
                "classes",
                format!(
                    "{} classes do not fit {} R-units",
                    self.classes.len(),
                    self.r_units
                ),
            ));
        }
        Ok(())
    }

    /// The plugboard's wiring list fits its A-units and names photocells of this retina.
    fn check_wiring(&self) -> Result<(), FieldError> {
        let board = &self.plugboard;
        if board.retina_cells != self.retina.cells() {
            return Err(FieldError::new(
                "plugboard.retina_cells",
                format!(
                    "plugboard is wired for {} photocells but the retina has {}",
                    board.retina_cells,
                    self.retina.cells()
                ),
            ));
        }
        if board.cells.len() != board.a_units * board.fan_in() || board.fan_in() == 0 {
            return Err(FieldError::new(
                "plugboard.cells",
                "plugboard wiring list does not match its A-unit count and fan-in",
            ));
        }
        if board
            .cells
            .iter()
            .any(|&c| c as usize >= board.retina_cells)
        {
            return Err(FieldError::new(
                "plugboard.cells",
                "plugboard names a photocell outside the retina",
            ));
        }
        Ok(())
    }

    /// One finite weight per A-unit and R-unit, within the potentiometers' end stops.
    fn check_weights(&self) -> Result<(), FieldError> {
        let a_units = self.plugboard.a_units;
        if self.r_units == 0 || self.weights.len() != a_units * self.r_units {
            return Err(FieldError::new(
                "weights",
                format!(
                    "{} weights for {} A-units x {} R-units",
                    self.weights.len(),
                    a_units,
                    self.r_units
                ),
            ));
        }
        if self.weights.iter().any(|w| !w.is_finite()) {
            return Err(FieldError::new(
                "weights",
                "a weight is not a finite number",
            ));
        }
        if let Some(end_stop) = self.end_stop()
            && self.weights.iter().any(|w| w.abs() > end_stop)
        {
            return Err(FieldError::new(
                "weights",
                format!("a potentiometer stands beyond its end stops (+-{end_stop})"),
            ));
        }
        Ok(())
    }

    /// Draws a new plugboard from `seed` (same sizes and threshold rule) and centres every pot.
    pub fn rewire(
        &mut self,
        config: &PlugboardConfig,
        seed: u64,
        calibration: &[GrayImage],
    ) -> Result<(), String> {
        let config = PlugboardConfig {
            a_units: self.a_units(),
            ..config.clone()
        };
        let mut board = Plugboard::wire(&config, self.retina.cells(), seed)?;
        if let AThreshold::TargetActivity(target) = config.threshold {
            calibrate(&mut board, &self.retina, target, calibration);
        }
        self.plugboard = board;
        self.weights.fill(0.0);
        Ok(())
    }

    /// S-unit excitation of `image` on this machine's retina.
    pub fn sense(&self, image: &GrayImage) -> Vec<f32> {
        self.retina.sense(image)
    }

    /// The firing A-units for S-unit excitation `s`.
    pub fn associate(&self, s: &[f32]) -> Vec<u16> {
        let mut active = Vec::new();
        self.plugboard.associate_into(s, &mut active);
        active
    }

    /// `r_j = sum_{i in active} w_ij` for every R-unit, into `out` (length `r_units`).
    pub fn respond_into(&self, active: &[u16], out: &mut [f32]) {
        // Fixed row widths let the compiler keep the sums in vector registers.
        match self.r_units {
            1 => sum_rows::<1>(&self.weights, active, out),
            2 => sum_rows::<2>(&self.weights, active, out),
            3 => sum_rows::<3>(&self.weights, active, out),
            4 => sum_rows::<4>(&self.weights, active, out),
            5 => sum_rows::<5>(&self.weights, active, out),
            6 => sum_rows::<6>(&self.weights, active, out),
            7 => sum_rows::<7>(&self.weights, active, out),
            8 => sum_rows::<8>(&self.weights, active, out),
            9 => sum_rows::<9>(&self.weights, active, out),
            10 => sum_rows::<10>(&self.weights, active, out),
            11 => sum_rows::<11>(&self.weights, active, out),
            12 => sum_rows::<12>(&self.weights, active, out),
            16 => sum_rows::<16>(&self.weights, active, out),
            r => {
                out.fill(0.0);
                for &i in active {
                    let row = &self.weights[i as usize * r..(i as usize + 1) * r];
                    for (sum, &w) in out.iter_mut().zip(row) {
                        *sum += w;
                    }
                }
            }
        }
    }

    pub fn respond(&self, active: &[u16]) -> Vec<f32> {
        let mut out = vec![0.0; self.r_units];
        self.respond_into(active, &mut out);
        out
    }

    /// The R-units in use: one per class, or the code bits.
    pub fn used_r_units(&self) -> usize {
        match self.coding {
            Coding::OnePerClass => self.classes.len(),
            Coding::Binary => code_bits(self.classes.len()),
        }
    }

    /// Desired response `t_j` (+1 lit, -1 dark) of every R-unit for `class`; unused R-units stay dark.
    pub fn targets(&self, class: usize) -> Vec<f32> {
        (0..self.r_units)
            .map(|j| {
                let lit = match self.coding {
                    Coding::OnePerClass => j == class,
                    Coding::Binary => j < code_bits(self.classes.len()) && (class >> j) & 1 == 1,
                };
                if lit { 1.0 } else { -1.0 }
            })
            .collect()
    }

    /// Each class's score in the R-units' `responses`: its own R-unit's response `r_c` (one
    /// per class), or how well its code agrees with them, `sum_j s_cj r_j` with `s_cj = +-1`
    /// (binary).
    pub fn class_scores(&self, responses: &[f32]) -> Vec<f32> {
        (0..self.classes.len())
            .map(|c| self.class_score(responses, c))
            .collect()
    }

    fn class_score(&self, responses: &[f32], class: usize) -> f32 {
        match self.coding {
            Coding::OnePerClass => responses[class],
            Coding::Binary => (0..code_bits(self.classes.len()))
                .map(|j| {
                    if (class >> j) & 1 == 1 {
                        responses[j]
                    } else {
                        -responses[j]
                    }
                })
                .sum(),
        }
    }

    /// The class the R-units name: the one with the largest [`Mark1::class_scores`]. Ties go
    /// to the lower class.
    pub fn decode(&self, responses: &[f32]) -> usize {
        let mut best = (f32::NEG_INFINITY, 0);
        for c in 0..self.classes.len() {
            let score = self.class_score(responses, c);
            if score > best.0 {
                best = (score, c);
            }
        }
        best.1
    }

    /// Classifies an image: (class, R-unit responses).
    pub fn classify(&self, image: &GrayImage) -> (usize, Vec<f32>) {
        let active = self.associate(&self.sense(image));
        let responses = self.respond(&active);
        (self.decode(&responses), responses)
    }

    /// Classifies many images, in parallel: sense, associate, respond, read the class.
    pub fn classify_all(&self, images: &[GrayImage]) -> Vec<usize> {
        self.predict_cached(&self.encode_all(images))
    }

    /// Sizes of the R-units' source sets.
    pub fn set_sizes(&self) -> Vec<usize> {
        match &self.owner {
            None => vec![self.a_units(); self.r_units],
            Some(owner) => {
                let mut sizes = vec![0; self.r_units];
                for &o in owner {
                    sizes[o as usize] += 1;
                }
                sizes
            }
        }
    }

    fn end_stop(&self) -> Option<f32> {
        match self.potentiometers {
            Potentiometers::Stepped { end_stop } => Some(end_stop as f32),
            Potentiometers::Continuous => None,
        }
    }

    fn workspace(&self) -> Workspace {
        Workspace {
            responses: vec![0.0; self.r_units],
            directions: vec![0.0; self.r_units],
            active_in_set: vec![0; self.r_units],
            set_sizes: self.set_sizes(),
            targets: (0..self.classes.len())
                .flat_map(|c| self.targets(c))
                .collect(),
        }
    }

    /// One presentation with learning: respond, read the class, and move the pots by the rule.
    /// Returns the class read before the correction.
    /// Returns the class answered before correction and whether any R-unit was corrected.
    fn learn(&mut self, active: &[u16], label: usize, work: &mut Workspace) -> (usize, bool) {
        self.respond_into(active, &mut work.responses);
        let predicted = self.decode(&work.responses);
        let r = self.r_units;
        let end_stop = self.end_stop();
        let mut bank = PotBank {
            weights: &mut self.weights,
            r_units: r,
            owner: self.owner.as_deref(),
            set_sizes: &work.set_sizes,
            end_stop,
        };
        bank.active_in_sets(active, &mut work.active_in_set);
        rules::directions(
            self.learning.rule,
            &work.responses,
            &work.targets[label * r..(label + 1) * r],
            &work.active_in_set,
            &mut work.directions,
        );
        let corrected = work.directions.iter().any(|&d| d != 0.0);
        if corrected {
            bank.reinforce(
                self.learning.system,
                self.learning.rate,
                &work.directions,
                active,
                &work.active_in_set,
            );
        }
        (predicted, corrected)
    }

    /// One presentation of an image whose firing A-units are `active` and class is `label`,
    /// with the trainer's correction: the machine cycle's respond-and-learn step.
    pub fn present(&mut self, active: &[u16], label: usize) -> Trial {
        let mut work = self.workspace();
        let (predicted, _) = self.learn(active, label, &mut work);
        Trial {
            predicted,
            responses: work.responses,
            corrections: work.directions,
        }
    }

    /// Presents the cached images in `order` once each, correcting as the rule says.
    pub fn train_epoch(
        &mut self,
        cache: &ActivityCache,
        labels: &[u16],
        order: &[usize],
    ) -> PassCounts {
        let mut work = self.workspace();
        if let Some(counts) = self.train_epoch_in_rows(cache, labels, order, &work.targets) {
            return counts;
        }
        let mut counts = PassCounts::default();
        for &k in order {
            let label = labels[k] as usize;
            let (predicted, corrected) = self.learn(cache.active(k), label, &mut work);
            counts.errors += u64::from(predicted != label);
            counts.corrections += u64::from(corrected);
        }
        counts
    }

    /// The pass of [`train_epoch`](Self::train_epoch) on the pots laid out a row per A-unit
    /// ([`PotRows`]), for a machine whose A-units all feed every R-unit under the alpha system;
    /// `None` (nothing done) for any other.
    fn train_epoch_in_rows(
        &mut self,
        cache: &ActivityCache,
        labels: &[u16],
        order: &[usize],
        targets: &[f32],
    ) -> Option<PassCounts> {
        if self.owner.is_some() || self.learning.system != ValueSystem::Alpha {
            return None;
        }
        let mut rows = PotRows::from_weights(&self.weights, self.r_units)?;
        let counts = RowPass {
            machine: self,
            rows: &mut rows,
            cache,
            labels,
            order,
            targets,
            rule: self.learning.rule,
            rate: self.learning.rate,
            stops: rules::stop_range(self.end_stop()),
        }
        .run();
        rows.write_back(&mut self.weights);
        Some(counts)
    }

    /// The class read for every cached image, in parallel.
    pub fn predict_cached(&self, cache: &ActivityCache) -> Vec<usize> {
        self.predict_cached_in(cache, 0..cache.len())
    }

    /// The class read for cached images `range`, in parallel.
    pub fn predict_cached_in(&self, cache: &ActivityCache, range: Range<usize>) -> Vec<usize> {
        range
            .into_par_iter()
            .map_init(
                || vec![0.0; self.r_units],
                |responses, k| {
                    self.respond_into(cache.active(k), responses);
                    self.decode(responses)
                },
            )
            .collect()
    }

    /// Confusion matrix of the machine on cached images with true `labels`.
    pub fn evaluate_cached(&self, cache: &ActivityCache, labels: &[u16]) -> Confusion {
        Confusion::of(self.classes.len(), &self.predict_cached(cache), labels)
    }

    /// Senses and associates every image (in parallel): the A-unit activity cache.
    pub fn encode_all(&self, images: &[GrayImage]) -> ActivityCache {
        const CHUNK: usize = 512;
        // a binary retina's photocells are 0 or 1: a sparsely lit one is walked from the lit
        // cells, once the wiring seen from the retina is worth drawing up
        const FAN_OUT_FROM: usize = 64;
        let fan = (self.retina.excitation == Excitation::Binary && images.len() >= FAN_OUT_FROM)
            .then(|| self.plugboard.fan_out_lists());
        let parts: Vec<(Vec<u32>, Vec<u16>)> = images
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut s = vec![0.0; self.retina.cells()];
                let mut scratch = SenseScratch::default();
                let (mut active, mut net) = (Vec::new(), Vec::new());
                let mut lengths = Vec::with_capacity(chunk.len());
                let mut units = Vec::new();
                for image in chunk {
                    self.retina.sense_with(image, &mut scratch, &mut s);
                    match &fan {
                        Some(fan) => {
                            self.plugboard
                                .associate_binary_into(fan, &s, &mut net, &mut active)
                        }
                        None => self.plugboard.associate_into(&s, &mut active),
                    }
                    lengths.push(active.len() as u32);
                    units.extend_from_slice(&active);
                }
                (lengths, units)
            })
            .collect();
        let mut cache = ActivityCache {
            offsets: Vec::with_capacity(images.len() + 1),
            units: Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum()),
        };
        cache.offsets.push(0);
        for (lengths, units) in parts {
            for n in lengths {
                let last = *cache.offsets.last().expect("starts with 0");
                cache.offsets.push(last + n);
            }
            cache.units.extend_from_slice(&units);
        }
        cache
    }
}

impl Classifier for Mark1 {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn retina(&self) -> &RetinaConfig {
        &self.retina
    }

    fn classify(&self, image: &GrayImage) -> (usize, Vec<f32>) {
        Mark1::classify(self, image)
    }

    fn predict_images(&self, images: &[GrayImage]) -> Vec<usize> {
        self.predict_cached(&Mark1::encode_all(self, images))
    }

    fn check_consistency(&self) -> Result<(), FieldError> {
        Mark1::check_consistency(self)
    }

    fn describe(&self) -> String {
        let board = &self.plugboard;
        let coding = match self.coding {
            Coding::OnePerClass => "one per class".to_string(),
            Coding::Binary => format!("binary code on {}", self.used_r_units()),
        };
        let pots = match self.potentiometers {
            Potentiometers::Stepped { end_stop } => format!("stepped pots, end stops +-{end_stop}"),
            Potentiometers::Continuous => "continuous weights".to_string(),
        };
        let sets = if self.owner.is_some() {
            ", source sets"
        } else {
            ""
        };
        format!(
            "Mark I: {}x{} retina, {} A-units ({}+{} inputs, theta {}), {} R-units ({coding}{sets}), {:?} ({:?}, rate {}), {pots}",
            self.retina.width,
            self.retina.height,
            board.a_units,
            board.excitatory,
            board.inhibitory,
            board.threshold,
            self.r_units,
            self.learning.rule,
            self.learning.system,
            self.learning.rate,
        )
    }

    fn scores(&self) -> &'static str {
        "R-units"
    }

    fn class_scores(&self, scores: &[f32]) -> Vec<f32> {
        Mark1::class_scores(self, scores)
    }

    fn class_score_name(&self) -> &'static str {
        "R-unit sum"
    }
}

impl Machine for Mark1 {
    type Config = Mark1Config;
    /// The firing A-units of every image: fixed for a fixed plugboard, so sensed once.
    type Inputs = ActivityCache;
    /// Error correction keeps nothing between passes but the pots themselves.
    type Trainer = ();
    const KIND: &'static str = "mark1";
    const NOUN: &'static str = "machine";
    const REPORTS_LOSS: bool = false;

    fn build(
        retina: &RetinaConfig,
        config: &Mark1Config,
        classes: Vec<String>,
        seed: u64,
        calibration: &[GrayImage],
    ) -> Result<(Self, Vec<String>), String> {
        Mark1::build(retina, config, classes, seed, calibration)
    }

    fn encode_all(&self, images: &[GrayImage]) -> ActivityCache {
        Mark1::encode_all(self, images)
    }

    fn trainer(&mut self, _train: &mut ActivityCache, _samples: usize, _epochs: usize) {}

    fn train_pass(
        &mut self,
        _trainer: &mut (),
        inputs: &ActivityCache,
        labels: &[u16],
        order: &[usize],
        epoch: usize,
    ) -> Result<Pass, Diverged> {
        let counts = self.train_epoch(inputs, labels, order);
        // what cannot be loaded again is never kept (nor saved)
        if self.weights.iter().any(|w| !w.is_finite()) {
            return Err(Diverged::Potentiometer {
                epoch,
                learning_rate: self.learning.rate,
            });
        }
        Ok(Pass {
            errors: counts.errors,
            corrections: Some(counts.corrections),
            loss: None,
            gradient_norms: Vec::new(),
        })
    }

    fn evaluate(&self, inputs: &ActivityCache, labels: &[u16]) -> Confusion {
        self.evaluate_cached(inputs, labels)
    }

    /// A whole pass of error correction that moved no pot: every training image was, and
    /// is, classified right.
    fn has_converged(&self, last: &EpochRecord) -> bool {
        self.learning.rule == Reinforcement::ErrorCorrection
            && last.corrections == Some(0)
            && last.errors == 0
    }

    fn facts(
        &self,
        train: &ActivityCache,
        _history: &[EpochRecord],
    ) -> Vec<(&'static str, serde_json::Value)> {
        vec![
            ("a_units", self.a_units().into()),
            ("r_units", self.r_units.into()),
            (
                "a_unit_threshold",
                serde_json::json!(self.plugboard.threshold),
            ),
            (
                "mean_a_activity",
                train.mean_activity(self.a_units()).into(),
            ),
        ]
    }

    fn encoding_note(&self, train: &ActivityCache, seconds: f64) -> String {
        format!(
            "A-unit outputs cached in {seconds:.3} s (mean activity {:.1}%)",
            100.0 * train.mean_activity(self.a_units())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::plugboard::AThreshold;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|c| format!("c{c}")).collect()
    }

    fn small_machine(coding: Coding, classes: usize) -> Mark1 {
        let config = Mark1Config {
            response: ResponseConfig {
                coding,
                ..Default::default()
            },
            ..Default::default()
        };
        Mark1::build(&RetinaConfig::default(), &config, names(classes), 1, &[])
            .unwrap()
            .0
    }

    #[test]
    fn code_bits_counts_binary_digits() {
        assert_eq!(code_bits(1), 1);
        assert_eq!(code_bits(2), 1);
        assert_eq!(code_bits(3), 2);
        assert_eq!(code_bits(8), 3);
        assert_eq!(code_bits(26), 5);
    }

    #[test]
    fn binary_code_for_letters_uses_five_of_eight_r_units() {
        let machine = small_machine(Coding::Binary, 26);
        assert_eq!(machine.r_units, 8);
        // Class 5 (F) = 0b00101: R0 and R2 lit; R5..R7 unused and dark.
        assert_eq!(
            machine.targets(5),
            vec![1.0, -1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0]
        );
        assert_eq!(
            machine.decode(&[2.0, -1.0, 0.5, -3.0, -0.1, 9.0, 9.0, 9.0]),
            5
        );
    }

    #[test]
    fn too_many_classes_widen_one_per_class_with_a_note() {
        let config = Mark1Config::default();
        let (machine, notes) =
            Mark1::build(&RetinaConfig::default(), &config, names(10), 1, &[]).unwrap();
        assert_eq!(machine.r_units, 10);
        assert!(notes[0].contains("widened"), "{notes:?}");
        let binary = Mark1Config {
            response: ResponseConfig {
                coding: Coding::Binary,
                r_units: 3,
                ..Default::default()
            },
            ..Default::default()
        };
        let err = Mark1::build(&RetinaConfig::default(), &binary, names(26), 1, &[]).unwrap_err();
        assert!(err.contains("5 R-units"), "{err}");
    }

    #[test]
    fn one_presentation_moves_exactly_the_active_pots_of_wrong_r_units() {
        let mut machine = small_machine(Coding::OnePerClass, 3);
        let active = [3u16, 17, 40];
        // All pots centred: r = 0 everywhere, no R-unit fires. Class 1 wanted: R1 must fire
        // (error, d = +1); R0, R2 and the unused R3..R7 rightly stay dark (no change).
        let trial = machine.present(&active, 1);
        assert_eq!(trial.predicted, 0);
        assert_eq!(
            trial.corrections,
            vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
        for i in 0..machine.a_units() {
            for j in 0..8 {
                let expected = if j == 1 && active.contains(&(i as u16)) {
                    1.0
                } else {
                    0.0
                };
                assert_eq!(machine.weights[i * 8 + j], expected);
            }
        }
        // Now r_1 = 3 > 0: correct, and a second presentation changes nothing.
        let before = machine.weights.clone();
        assert_eq!(machine.present(&active, 1).predicted, 1);
        assert_eq!(machine.weights, before);
    }

    #[test]
    fn rewiring_draws_a_new_reproducible_board_and_centres_the_pots() {
        let mut machine = small_machine(Coding::OnePerClass, 2);
        machine.present(&[1, 2, 3], 1);
        let old_board = machine.plugboard.clone();
        let config = PlugboardConfig::default();
        machine.rewire(&config, 99, &[]).unwrap();
        assert_ne!(machine.plugboard.cells, old_board.cells);
        assert!(machine.weights.iter().all(|&w| w == 0.0));
        assert_eq!(
            machine.plugboard,
            Plugboard::wire(&config, 400, 99).unwrap()
        );
    }

    #[test]
    fn source_sets_split_the_a_units_evenly_among_r_units() {
        let config = Mark1Config {
            response: ResponseConfig {
                source_sets: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let (machine, _) =
            Mark1::build(&RetinaConfig::default(), &config, names(8), 1, &[]).unwrap();
        assert_eq!(machine.set_sizes(), vec![64; 8]);
    }

    #[test]
    fn stepped_pots_refuse_fractional_rules() {
        let mut config = Mark1Config::default();
        config.learning.system = ValueSystem::Gamma;
        assert!(
            config
                .validate(400)
                .unwrap_err()
                .message
                .contains("Continuous")
        );
        config.learning.system = ValueSystem::Alpha;
        config.learning.rate = 0.5;
        assert!(
            config
                .validate(400)
                .unwrap_err()
                .message
                .contains("learning.rate")
        );
        config.response.potentiometers = Potentiometers::Continuous;
        assert!(config.validate(400).is_ok());
    }

    #[test]
    fn encoding_in_parallel_matches_one_image_at_a_time() {
        let config = Mark1Config {
            plugboard: PlugboardConfig {
                threshold: AThreshold::Fixed(1.0),
                ..Default::default()
            },
            ..Default::default()
        };
        let (set, _) = crate::data::builtin::generate("shapes", 2, Some(400)).unwrap();
        let (machine, _) = Mark1::build(
            &RetinaConfig::default(),
            &config,
            set.classes.clone(),
            3,
            &[],
        )
        .unwrap();
        let cache = machine.encode_all(&set.images);
        assert_eq!(cache.len(), set.len());
        for k in [0, 511, 512, 1199] {
            assert_eq!(
                cache.active(k),
                machine.associate(&machine.sense(&set.images[k])).as_slice()
            );
        }
        assert!(cache.mean_activity(512) > 0.01);
    }
}
