//! The A-units' wires as lanes, sixteen units at a time on AVX-512: each wire's photocells
//! gathered, the net inputs summed in wiring order, and the firing units packed into the list.
//!
//! Each lane adds its unit's excitatory cells from 0 in wiring order, then takes away its
//! inhibitory ones, as [`Plugboard::associate_into`] does one unit at a time, and compares with
//! the threshold as it does: the same units fire, for any retina, binary or not.

use std::arch::x86_64::_CMP_GE_OQ;

use pulp::x86::V4;
use pulp::{f32x16, u32x16};

use super::kernel;
use super::plugboard::Plugboard;

/// Units in a vector.
const LANES: usize = 16;

/// A plugboard's wiring laid out for [`associate`](Self::associate).
#[derive(Clone, Debug)]
pub struct UnitLanes {
    simd: V4,
    /// `cells[group * fan_in + wire]`: the photocell on that wire of each of 16 units (0 for a
    /// lane past the last unit, which is never listed).
    cells: Vec<u32x16>,
    fan_in: usize,
    excitatory: usize,
    a_units: usize,
    threshold: f32,
}

impl UnitLanes {
    /// The plugboard's wiring as lanes; `None` on a processor without AVX-512, or for a
    /// plugboard with no wires or more units than a list can name.
    pub fn new(plugboard: &Plugboard) -> Option<Self> {
        let simd = V4::try_new()?;
        let fan_in = plugboard.fan_in();
        if fan_in == 0 || plugboard.a_units > usize::from(u16::MAX) + 1 {
            return None;
        }
        let groups = plugboard.a_units.div_ceil(LANES);
        let mut cells = vec![[0u32; LANES]; groups * fan_in];
        for (unit, wires) in plugboard.cells.chunks_exact(fan_in).enumerate() {
            for (wire, &cell) in wires.iter().enumerate() {
                cells[unit / LANES * fan_in + wire][unit % LANES] = cell;
            }
        }
        Some(Self {
            simd,
            cells: cells.into_iter().map(pulp::cast).collect(),
            fan_in,
            excitatory: plugboard.excitatory,
            a_units: plugboard.a_units,
            threshold: plugboard.threshold,
        })
    }

    /// The A-units that fire for photocells `s`, in order, into `active`.
    pub fn associate(&self, s: &[f32], active: &mut Vec<u16>) {
        let simd = self.simd;
        simd.vectorize(
            #[inline(always)]
            || {
                active.clear();
                // each group writes a whole vector of names, of which the firing ones count
                active.resize(self.cells.len() / self.fan_in * LANES + LANES, 0);
                let mut firing = 0;
                let lane: [u32; LANES] = std::array::from_fn(|i| i as u32);
                let lane: u32x16 = pulp::cast(lane);
                for (group, wires) in self.cells.chunks_exact(self.fan_in).enumerate() {
                    let first = group * LANES;
                    let fires = self.fires(s, wires) & in_machine(self.a_units - first);
                    let units = simd.wrapping_add_u32x16(lane, simd.splat_u32x16(first as u32));
                    let packed = simd
                        .avx512f
                        ._mm512_maskz_compress_epi32(fires, pulp::cast(units));
                    let names: [u16; LANES] =
                        pulp::cast(simd.avx512f._mm512_cvtepi32_epi16(packed));
                    active[firing..firing + LANES].copy_from_slice(&names);
                    firing += fires.count_ones() as usize;
                }
                active.truncate(firing);
            },
        );
    }

    /// Which of a group's 16 units reach the threshold: a bit per lane.
    #[inline(always)]
    fn fires(&self, s: &[f32], wires: &[u32x16]) -> u16 {
        let simd = self.simd;
        let (plus, minus) = wires.split_at(self.excitatory);
        let mut net: f32x16 = simd.splat_f32x16(0.0);
        for &cells in plus {
            net = simd.add_f32x16(net, kernel::gather_f32(simd, s, cells));
        }
        for &cells in minus {
            net = simd.sub_f32x16(net, kernel::gather_f32(simd, s, cells));
        }
        let threshold = simd.splat_f32x16(self.threshold);
        simd.avx512f
            ._mm512_cmp_ps_mask::<_CMP_GE_OQ>(pulp::cast(net), pulp::cast(threshold))
    }
}

/// A bit for each of the first `units` lanes (all 16 from 16 up).
#[inline(always)]
fn in_machine(units: usize) -> u16 {
    if units >= LANES {
        u16::MAX
    } else {
        (1u16 << units) - 1
    }
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;
    use crate::nn::plugboard::{AThreshold, PlugboardConfig};
    use crate::seeds::{Stream, rng_for};

    #[test]
    fn sixteen_units_at_a_time_fire_the_units_one_at_a_time_does() {
        // off AVX-512 the lanes are never built, and there is nothing to compare
        if V4::try_new().is_none() {
            return;
        }
        let mut rng = rng_for(17, Stream::Plugboard);
        for (a_units, excitatory, inhibitory, threshold) in [
            (512, 5, 5, 1.0),
            (37, 10, 0, 3.0),
            (16, 3, 7, -1.0),
            (300, 8, 8, 0.5),
            (1, 4, 3, 1.0),
            (70, 0, 2, -0.5),
        ] {
            let config = PlugboardConfig {
                a_units,
                excitatory,
                inhibitory,
                max_fan_out: None,
                threshold: AThreshold::Fixed(threshold),
            };
            let board = Plugboard::wire(&config, 144, 3).unwrap();
            let lanes = UnitLanes::new(&board).expect("AVX-512 is here");
            let (mut by_lanes, mut one_at_a_time) = (Vec::new(), Vec::new());
            for lit in [0.0, 0.1, 0.5, 0.9, 1.0] {
                // binary photocells, then analog ones: sums of fractions, compared as they are
                let binary: Vec<f32> = (0..144)
                    .map(|_| f32::from(u8::from(rng.random::<f64>() < lit)))
                    .collect();
                let analog: Vec<f32> = (0..144).map(|_| rng.random::<f32>() * lit as f32).collect();
                for s in [binary, analog] {
                    lanes.associate(&s, &mut by_lanes);
                    board.associate_into(&s, &mut one_at_a_time);
                    let case = format!("{a_units} units {excitatory}+{inhibitory}, lit {lit}");
                    assert_eq!(by_lanes, one_at_a_time, "{case}");
                }
            }
            assert!(
                !by_lanes.is_empty() || threshold > 0.0,
                "{a_units} units: nothing fired"
            );
        }
    }
}
