//! The plugboard: seeded random S->A wiring with excitatory and inhibitory signs, and the A-units.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::fields::FieldError;
use crate::seeds::{MachineRng, Stream, rng_for};

/// How an A-unit's firing threshold is set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum AThreshold {
    /// Fire when `sum(excitatory) - sum(inhibitory) >= theta`.
    Fixed(f32),
    /// Choose one theta for all A-units so that about this fraction of them fires, averaged over
    /// the training images (Rosenblatt's analyses turn on the A-activity fraction, PoN ch. 5).
    TargetActivity(f32),
}

/// The plugboard as a scene describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlugboardConfig {
    /// Number of A-units; the 1960 machine had 512.
    pub a_units: usize,
    /// Excitatory (+1) connections per A-unit.
    pub excitatory: usize,
    /// Inhibitory (-1) connections per A-unit.
    pub inhibitory: usize,
    /// Most A-units one photocell may feed; the hardware allowed 40 (Nilsson 2010, via WP).
    pub max_fan_out: Option<usize>,
    pub threshold: AThreshold,
}

impl Default for PlugboardConfig {
    fn default() -> Self {
        // Our choice: the historical fan-in and threshold are not on record (research notes, U).
        Self {
            a_units: 512,
            excitatory: 5,
            inhibitory: 5,
            max_fan_out: Some(40),
            threshold: AThreshold::Fixed(1.0),
        }
    }
}

impl PlugboardConfig {
    /// Connections per A-unit (saturating: an absurd count is refused by `validate`, never
    /// wrapped).
    pub fn fan_in(&self) -> usize {
        self.excitatory.saturating_add(self.inhibitory)
    }

    /// Checks the wiring can be drawn on a retina of `cells` photocells, naming the field at fault.
    pub fn validate(&self, cells: usize) -> Result<(), FieldError> {
        if self.a_units == 0 || self.a_units > u16::MAX as usize + 1 {
            return Err(FieldError::at(
                "plugboard.a_units",
                format!("{} must lie in 1..=65536", self.a_units),
            ));
        }
        if self.fan_in() == 0 {
            return Err(FieldError::at(
                "plugboard",
                "an A-unit needs at least one connection (excitatory + inhibitory)",
            ));
        }
        if self.fan_in() > cells {
            return Err(FieldError::at(
                "plugboard",
                format!(
                    "fan-in {} (excitatory {} + inhibitory {}) exceeds the retina's {cells} photocells",
                    self.fan_in(),
                    self.excitatory,
                    self.inhibitory
                ),
            ));
        }
        if let Some(cap) = self.max_fan_out {
            if cap == 0 {
                return Err(FieldError::at(
                    "plugboard.max_fan_out",
                    "must be at least 1",
                ));
            }
            // fan-in <= cells <= 2^20 and a_units <= 2^16 here, so these products fit
            if self.a_units * self.fan_in() > cap.saturating_mul(cells) {
                return Err(FieldError::at(
                    "plugboard.max_fan_out",
                    format!(
                        "{} A-units x {} connections need {} plugs, but {cells} photocells x {cap} allow only {} (raise it to Some({}) or set None)",
                        self.a_units,
                        self.fan_in(),
                        self.a_units * self.fan_in(),
                        cap.saturating_mul(cells),
                        (self.a_units * self.fan_in()).div_ceil(cells)
                    ),
                ));
            }
        }
        match self.threshold {
            AThreshold::TargetActivity(f) if !(f > 0.0 && f < 1.0) => Err(FieldError::at(
                "plugboard.threshold",
                format!("TargetActivity({f}) must lie strictly between 0 and 1"),
            )),
            AThreshold::Fixed(t) if !t.is_finite() => {
                Err(FieldError::at("plugboard.threshold", "must be finite"))
            }
            _ => Ok(()),
        }
    }
}

/// A wired plugboard: for A-unit `i`, photocells `cells[i*F .. i*F + E]` excite it and
/// `cells[i*F + E .. (i+1)*F]` inhibit it (F = fan-in, E = excitatory count).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plugboard {
    pub retina_cells: usize,
    pub a_units: usize,
    pub excitatory: usize,
    pub inhibitory: usize,
    pub cells: Vec<u32>,
    /// The A-units' common threshold theta.
    pub threshold: f32,
}

impl Plugboard {
    /// Draws the wiring for `config` from `seed`: each A-unit takes distinct photocells uniformly
    /// at random ("according to a table of random numbers", HW60), skipping photocells that
    /// already feed `max_fan_out` A-units. The threshold starts at theta = 1 when it is to be
    /// calibrated.
    pub fn wire(config: &PlugboardConfig, retina_cells: usize, seed: u64) -> Result<Self, String> {
        config.validate(retina_cells)?;
        let mut rng = rng_for(seed, Stream::Plugboard);
        let fan_in = config.fan_in();
        let mut fan_out = vec![0usize; retina_cells];
        let cap = config.max_fan_out.unwrap_or(usize::MAX);
        let mut cells = Vec::with_capacity(config.a_units * fan_in);
        for _ in 0..config.a_units {
            let unit_start = cells.len();
            for _ in 0..fan_in {
                let cell = draw_free_cell(&mut rng, &fan_out, cap, &cells[unit_start..])
                    .ok_or_else(|| "plugboard: ran out of free photocells while wiring (lower max_fan_out use or fan-in)".to_string())?;
                fan_out[cell] += 1;
                cells.push(cell as u32);
            }
        }
        Ok(Self {
            retina_cells,
            a_units: config.a_units,
            excitatory: config.excitatory,
            inhibitory: config.inhibitory,
            cells,
            threshold: match config.threshold {
                AThreshold::Fixed(t) => t,
                AThreshold::TargetActivity(_) => 1.0,
            },
        })
    }

    pub fn fan_in(&self) -> usize {
        self.excitatory + self.inhibitory
    }

    /// Photocells exciting A-unit `unit`.
    pub fn excitatory_cells(&self, unit: usize) -> &[u32] {
        let start = unit * self.fan_in();
        &self.cells[start..start + self.excitatory]
    }

    /// Photocells inhibiting A-unit `unit`.
    pub fn inhibitory_cells(&self, unit: usize) -> &[u32] {
        let start = unit * self.fan_in() + self.excitatory;
        &self.cells[start..start + self.inhibitory]
    }

    /// How many A-units each photocell feeds.
    pub fn fan_out(&self) -> Vec<usize> {
        let mut counts = vec![0; self.retina_cells];
        for &c in &self.cells {
            counts[c as usize] += 1;
        }
        counts
    }

    /// Net input of A-unit `unit`: `sum_{e} s_e - sum_{h} s_h` over its connections.
    pub fn net_input(&self, unit: usize, s: &[f32]) -> f32 {
        let plus: f32 = self
            .excitatory_cells(unit)
            .iter()
            .map(|&c| s[c as usize])
            .sum();
        let minus: f32 = self
            .inhibitory_cells(unit)
            .iter()
            .map(|&c| s[c as usize])
            .sum();
        plus - minus
    }

    /// Indices of the A-units that fire on S-unit excitation `s`: net input >= theta.
    pub fn associate_into(&self, s: &[f32], active: &mut Vec<u16>) {
        // fixed fan-ins unroll: no loop exits to guess, one load per wire
        match self.fan_in() {
            2 => self.associate_fixed::<2>(s, active),
            4 => self.associate_fixed::<4>(s, active),
            6 => self.associate_fixed::<6>(s, active),
            8 => self.associate_fixed::<8>(s, active),
            10 => self.associate_fixed::<10>(s, active),
            12 => self.associate_fixed::<12>(s, active),
            16 => self.associate_fixed::<16>(s, active),
            20 => self.associate_fixed::<20>(s, active),
            fan_in => {
                active.clear();
                for (unit, wires) in self.cells.chunks_exact(fan_in).enumerate() {
                    if self.net_of(wires, s) >= self.threshold {
                        active.push(unit as u16);
                    }
                }
            }
        }
    }

    /// [`associate_into`](Self::associate_into) for a fan-in of `N`, writing every unit and
    /// keeping the firing ones (no branch on whether a unit fires).
    fn associate_fixed<const N: usize>(&self, s: &[f32], active: &mut Vec<u16>) {
        active.clear();
        active.resize(self.a_units, 0);
        let mut firing = 0;
        for (unit, wires) in self.cells.as_chunks::<N>().0.iter().enumerate() {
            active[firing] = unit as u16;
            firing += usize::from(self.net_of(wires, s) >= self.threshold);
        }
        active.truncate(firing);
    }

    /// The net input of the A-unit wired to `wires` (excitatory first): the lit excitatory
    /// cells' sum less the inhibitory ones', added in wiring order.
    #[inline(always)]
    fn net_of(&self, wires: &[u32], s: &[f32]) -> f32 {
        let (plus, minus) = wires.split_at(self.excitatory);
        let mut net = 0.0;
        for &c in plus {
            net += s[c as usize];
        }
        for &c in minus {
            net -= s[c as usize];
        }
        net
    }

    /// The wiring seen from the retina, for [`associate_lit_into`](Self::associate_lit_into).
    pub fn fan_out_lists(&self) -> FanOut {
        let fan_in = self.fan_in();
        let mut excites = vec![Vec::new(); self.retina_cells];
        let mut inhibits = vec![Vec::new(); self.retina_cells];
        for (unit, wires) in self.cells.chunks_exact(fan_in).enumerate() {
            let (plus, minus) = wires.split_at(self.excitatory);
            for &c in plus {
                excites[c as usize].push(unit as u16);
            }
            for &c in minus {
                inhibits[c as usize].push(unit as u16);
            }
        }
        let mut fan = FanOut {
            starts: Vec::with_capacity(self.retina_cells + 1),
            wires: Vec::with_capacity(self.cells.len()),
            #[cfg(target_arch = "x86_64")]
            unit_lanes: super::unit_lanes::UnitLanes::new(self),
        };
        for (plus, minus) in excites.iter().zip(&inhibits) {
            fan.starts.push(fan.wires.len() as u32);
            fan.wires.extend(plus.iter().map(|&unit| (unit, 1)));
            fan.wires.extend(minus.iter().map(|&unit| (unit, -1)));
        }
        fan.starts.push(fan.wires.len() as u32);
        fan
    }

    /// [`associate_into`](Self::associate_into) for a binary retina (every `s` 0 or 1), by
    /// the fastest walk. With AVX-512, every A-unit's wires sixteen units at a time, which
    /// beats both walks below at any light (on one thread, 0.93 M images/s on the generated
    /// shapes against 0.57 M for the lit walk). Otherwise the shorter walk: the lit
    /// photocells' wires when under a third of the retina is lit (figures on a plain ground),
    /// else every A-unit's wires, whose cost does not grow with the light (Fashion-MNIST's
    /// garments light about half the retina). All find the same units. `net` is scratch.
    pub fn associate_binary_into(
        &self,
        fan: &FanOut,
        s: &[f32],
        net: &mut Vec<i32>,
        active: &mut Vec<u16>,
    ) {
        #[cfg(target_arch = "x86_64")]
        if let Some(lanes) = &fan.unit_lanes {
            lanes.associate(s, active);
            return;
        }
        let lit = s.iter().filter(|&&v| v != 0.0).count();
        if lit * 3 < s.len() {
            self.associate_lit_into(fan, s, net, active);
        } else {
            self.associate_into(s, active);
        }
    }

    /// As [`associate_into`](Self::associate_into) for a binary retina (every `s` 0 or 1),
    /// walking only the lit photocells: each adds one to the A-units it excites and takes one
    /// from those it inhibits. The net inputs are whole numbers, so the firing units are
    /// exactly those `associate_into` finds. `net` is scratch.
    pub fn associate_lit_into(
        &self,
        fan: &FanOut,
        s: &[f32],
        net: &mut Vec<i32>,
        active: &mut Vec<u16>,
    ) {
        // the net inputs, then the lit cells listed with no branch on each cell (which cells
        // are lit follows the picture, and a branch on it would be guessed wrong often)
        net.clear();
        net.resize(self.a_units + s.len(), 0);
        let (net, lit_cells) = net.split_at_mut(self.a_units);
        let mut lit = 0;
        for (cell, &v) in s.iter().enumerate() {
            lit_cells[lit] = cell as i32;
            lit += usize::from(v != 0.0);
        }
        for &cell in &lit_cells[..lit] {
            let cell = cell as usize;
            let wires = &fan.wires[fan.starts[cell] as usize..fan.starts[cell + 1] as usize];
            for &(unit, sign) in wires {
                net[unit as usize] += i32::from(sign);
            }
        }
        // branch-free: every unit is written, and only the firing ones are kept
        active.clear();
        active.resize(self.a_units, 0);
        let mut firing = 0;
        for (unit, &n) in net.iter().enumerate() {
            active[firing] = unit as u16;
            firing += usize::from(n as f32 >= self.threshold);
        }
        active.truncate(firing);
    }

    /// Sets theta so that, over the S-unit patterns `samples`, the mean fraction of firing
    /// A-units comes closest to `target`. Candidate thetas are the net inputs that occur, so
    /// for binary retinas theta stays a whole number. Returns the fraction reached.
    pub fn calibrate_threshold(&mut self, samples: &[Vec<f32>], target: f32) -> f32 {
        let mut nets: Vec<f32> = Vec::with_capacity(samples.len() * self.a_units);
        for s in samples {
            nets.extend((0..self.a_units).map(|unit| self.net_input(unit, s)));
        }
        if nets.is_empty() {
            return 0.0;
        }
        nets.sort_by(f32::total_cmp);
        let n = nets.len() as f32;
        // Fraction firing at theta = v is the share of nets >= v; walk the distinct values.
        let mut best = (f32::MAX, self.threshold, 0.0);
        let mut k = 0;
        while k < nets.len() {
            let value = nets[k];
            let firing = (nets.len() - k) as f32 / n;
            let miss = (firing - target).abs();
            // Ties go to the higher threshold (sparser coding); zero or less would fire on blank paper.
            if miss <= best.0 && value > 0.0 {
                best = (miss, value, firing);
            }
            while k < nets.len() && nets[k] == value {
                k += 1;
            }
        }
        self.threshold = best.1;
        best.2
    }
}

/// For each photocell `c`, its wires `wires[starts[c]..starts[c + 1]]`: the A-unit at the
/// other end, and +1 where the wire excites it or -1 where it inhibits it (excitatory first).
#[derive(Clone, Debug, Default)]
pub struct FanOut {
    starts: Vec<u32>,
    wires: Vec<(u16, i16)>,
    /// Every A-unit's wires, sixteen units a vector, where the processor has AVX-512.
    #[cfg(target_arch = "x86_64")]
    unit_lanes: Option<super::unit_lanes::UnitLanes>,
}

/// A photocell with spare fan-out not already wired to this unit, uniformly at random.
fn draw_free_cell(
    rng: &mut MachineRng,
    fan_out: &[usize],
    cap: usize,
    unit: &[u32],
) -> Option<usize> {
    let usable = |c: usize| fan_out[c] < cap && !unit.contains(&(c as u32));
    // Rejection sampling is quick while most cells are free; fall back to listing them.
    for _ in 0..64 {
        let c = rng.random_range(0..fan_out.len());
        if usable(c) {
            return Some(c);
        }
    }
    let free: Vec<usize> = (0..fan_out.len()).filter(|&c| usable(c)).collect();
    if free.is_empty() {
        None
    } else {
        Some(free[rng.random_range(0..free.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiring_has_distinct_cells_per_unit_and_respects_the_fan_out_cap() {
        let config = PlugboardConfig {
            a_units: 512,
            excitatory: 5,
            inhibitory: 5,
            max_fan_out: Some(13),
            threshold: AThreshold::Fixed(1.0),
        };
        let board = Plugboard::wire(&config, 400, 9).unwrap();
        assert_eq!(board.cells.len(), 5120);
        for unit in 0..512 {
            let mut wires = board.cells[unit * 10..unit * 10 + 10].to_vec();
            wires.sort();
            wires.dedup();
            assert_eq!(wires.len(), 10);
        }
        assert!(board.fan_out().iter().all(|&n| n <= 13));
    }

    #[test]
    fn same_seed_same_board_new_seed_new_board() {
        let config = PlugboardConfig::default();
        let a = Plugboard::wire(&config, 400, 1).unwrap();
        assert_eq!(a, Plugboard::wire(&config, 400, 1).unwrap());
        assert_ne!(a.cells, Plugboard::wire(&config, 400, 2).unwrap().cells);
    }

    #[test]
    fn a_unit_fires_on_excitation_minus_inhibition_reaching_theta() {
        // One unit: excited by cells 0 and 1, inhibited by cell 2, theta = 2.
        let board = Plugboard {
            retina_cells: 3,
            a_units: 1,
            excitatory: 2,
            inhibitory: 1,
            cells: vec![0, 1, 2],
            threshold: 2.0,
        };
        let mut active = Vec::new();
        board.associate_into(&[1.0, 1.0, 0.0], &mut active);
        assert_eq!(active, vec![0]); // 1 + 1 - 0 = 2 >= 2
        board.associate_into(&[1.0, 1.0, 1.0], &mut active);
        assert!(active.is_empty()); // 1 + 1 - 1 = 1 < 2
        board.associate_into(&[1.0, 0.0, 0.0], &mut active);
        assert!(active.is_empty());
    }

    #[test]
    fn walking_the_lit_photocells_fires_the_units_the_wires_do() {
        let mut rng = rng_for(7, Stream::Plugboard);
        for (excitatory, inhibitory, threshold) in [
            (5, 5, 1.0),
            (10, 0, 3.0),
            (3, 7, -1.0),
            (8, 8, 0.5),
            (4, 3, 1.0),
            (1, 1, 0.0),
        ] {
            let config = PlugboardConfig {
                a_units: 300,
                excitatory,
                inhibitory,
                max_fan_out: None,
                threshold: AThreshold::Fixed(threshold),
            };
            let board = Plugboard::wire(&config, 144, 3).unwrap();
            let fan = board.fan_out_lists();
            let (mut net, mut by_cells, mut by_wires) = (Vec::new(), Vec::new(), Vec::new());
            let mut shorter = Vec::new();
            let mut fired = 0;
            for lit in [0.0, 0.05, 0.3, 0.34, 0.7, 1.0] {
                let s: Vec<f32> = (0..144)
                    .map(|_| if rng.random::<f64>() < lit { 1.0 } else { 0.0 })
                    .collect();
                // by hand: each unit's lit excitatory wires less its lit inhibitory ones
                let by_hand: Vec<u16> = (0..300)
                    .filter(|&unit| {
                        let count =
                            |cells: &[u32]| cells.iter().filter(|&&c| s[c as usize] == 1.0).count();
                        let net = count(board.excitatory_cells(unit)) as f32
                            - count(board.inhibitory_cells(unit)) as f32;
                        net >= threshold
                    })
                    .map(|unit| unit as u16)
                    .collect();
                board.associate_into(&s, &mut by_wires);
                board.associate_lit_into(&fan, &s, &mut net, &mut by_cells);
                board.associate_binary_into(&fan, &s, &mut net, &mut shorter);
                let case = format!("{excitatory}+{inhibitory}, lit {lit}");
                assert_eq!(by_wires, by_hand, "{case}");
                assert_eq!(by_cells, by_hand, "{case}");
                assert_eq!(shorter, by_hand, "{case}");
                fired += by_hand.len();
            }
            assert!(
                fired > 0,
                "{excitatory}+{inhibitory}: nothing fired, nothing tested"
            );
        }
    }

    #[test]
    fn calibration_hits_the_target_activity() {
        let config = PlugboardConfig {
            threshold: AThreshold::TargetActivity(0.15),
            ..Default::default()
        };
        let mut board = Plugboard::wire(&config, 400, 3).unwrap();
        let mut rng = rng_for(4, Stream::Calibration);
        let samples: Vec<Vec<f32>> = (0..50)
            .map(|_| {
                (0..400)
                    .map(|_| if rng.random_bool(0.3) { 1.0 } else { 0.0 })
                    .collect()
            })
            .collect();
        let reached = board.calibrate_threshold(&samples, 0.15);
        let mut active = Vec::new();
        let measured: f32 = samples
            .iter()
            .map(|s| {
                board.associate_into(s, &mut active);
                active.len() as f32 / 512.0
            })
            .sum::<f32>()
            / 50.0;
        assert!((measured - reached).abs() < 1e-4);
        assert!((reached - 0.15).abs() < 0.1, "{reached}");
        assert_eq!(board.threshold.fract(), 0.0);
    }

    #[test]
    fn impossible_wiring_is_refused_with_the_field_named() {
        let config = PlugboardConfig {
            a_units: 512,
            max_fan_out: Some(1),
            ..Default::default()
        };
        assert!(
            Plugboard::wire(&config, 400, 1)
                .unwrap_err()
                .contains("max_fan_out")
        );
        let config = PlugboardConfig {
            excitatory: 300,
            inhibitory: 300,
            ..Default::default()
        };
        assert!(
            Plugboard::wire(&config, 400, 1)
                .unwrap_err()
                .contains("fan-in")
        );
    }
}
