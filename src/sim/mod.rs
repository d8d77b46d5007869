//! The ECS simulation: the machine's units as entities and its cycle as ordered system sets.
//!
//! The numbers all come from the Bevy-free core (`nn/`): [`Bench`] holds the machine and calls
//! it, the systems here move its results onto the unit entities. Nothing here draws; the panel
//! decorates the units with lamps and dials.

mod bench;
mod cycle;
mod loading;
#[cfg(test)]
mod tests;
mod units;

use bevy::prelude::*;

pub use crate::experiment::{
    Companion, ConfusionView, OUTCOMES_KEPT, Origin, Outcome, Presentation,
};
pub use bench::Bench;
pub use cycle::{
    FlatOutPace, MachineCycle, MachineRequest, Notice, RunState, SPEEDS, Speed, TrialCompleted,
};
pub use loading::{ImageLoad, cancel_loading};
pub use units::{AssociationUnit, Potentiometer, ResponseUnit, SensoryUnit};

/// The simulation: needs a [`Bench`] resource; adds the units, the cycle and its controls.
pub fn plugin(app: &mut App) {
    app.add_plugins((units::plugin, cycle::plugin, loading::plugin));
}
