//! The machine's body: one entity per S-unit, A-unit, R-unit and potentiometer.

use bevy::prelude::*;

use super::bench::Bench;

/// A photocell of the retina; `excitation` is 0..1 (1 = lit).
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct SensoryUnit {
    pub index: usize,
    pub excitation: f32,
}

/// An association unit: fires when its excitatory minus inhibitory inputs reach the threshold.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct AssociationUnit {
    pub index: usize,
    pub firing: bool,
}

/// A response unit: `response` is `r_j = sum_i w_ij a_i`; it fires when `r_j > 0`.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct ResponseUnit {
    pub index: usize,
    pub response: f32,
    /// What the pots of this unit were just moved by (0 = untouched).
    pub correction: f32,
}

/// The motor-driven potentiometer from A-unit `a_unit` to R-unit `r_unit`. `shown` is where
/// its shaft stands: it slews toward the weight like a motor, not in one jump.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Potentiometer {
    pub a_unit: usize,
    pub r_unit: usize,
    pub shown: f32,
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, grow_units)
        .add_systems(PreUpdate, regrow_units_after_rebuild);
}

/// Spawns one entity per unit and potentiometer of the machine on the bench, each in the state
/// of the pattern on the retina (a body grown again after a reset shows what the machine shows).
fn grow_units(mut commands: Commands, bench: Res<Bench>) {
    let machine = bench.machine();
    let current = bench.current.as_ref();
    let cells = current.map(|c| c.cells.clone()).unwrap_or_default();
    commands.spawn_batch((0..machine.retina.cells()).map(move |index| SensoryUnit {
        index,
        excitation: cells.get(index).copied().unwrap_or(0.0),
    }));
    let mut firing = vec![false; machine.a_units()];
    for &a in current.map_or(&[][..], |c| &c.active[..]) {
        if let Some(unit) = firing.get_mut(a as usize) {
            *unit = true;
        }
    }
    commands.spawn_batch(
        firing
            .into_iter()
            .enumerate()
            .map(|(index, firing)| AssociationUnit { index, firing }),
    );
    let reading = |values: Option<&Vec<f32>>, index: usize| {
        values.and_then(|v| v.get(index)).copied().unwrap_or(0.0)
    };
    let responses: Vec<ResponseUnit> = (0..machine.r_units)
        .map(|index| ResponseUnit {
            index,
            response: reading(current.map(|c| &c.responses), index),
            correction: reading(current.map(|c| &c.corrections), index),
        })
        .collect();
    commands.spawn_batch(responses);
    let r_units = machine.r_units;
    let weights = machine.weights.clone();
    commands.spawn_batch((0..weights.len()).map(move |k| Potentiometer {
        a_unit: k / r_units,
        r_unit: k % r_units,
        shown: weights[k],
    }));
}

/// A new image set or machine may have other unit counts: despawn and grow the body again.
fn regrow_units_after_rebuild(
    mut commands: Commands,
    bench: Res<Bench>,
    mut seen: Local<u64>,
    units: Query<
        Entity,
        Or<(
            With<SensoryUnit>,
            With<AssociationUnit>,
            With<ResponseUnit>,
            With<Potentiometer>,
        )>,
    >,
) {
    if bench.generation == *seen {
        return;
    }
    *seen = bench.generation;
    for entity in &units {
        commands.entity(entity).despawn();
    }
    grow_units(commands, bench);
}
