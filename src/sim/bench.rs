//! The machine on the bench: the live experiment (Bevy-free, in `experiment::live`) as the
//! resource the simulation's systems read and drive.

use anyhow::Result;
use bevy::prelude::{Deref, DerefMut, Resource};

use crate::experiment::LiveExperiment;
use crate::scene::Scene;

/// The Mark I and its MLP companion, their data and where the training stream stands.
#[derive(Resource, Deref, DerefMut)]
pub struct Bench(pub LiveExperiment);

impl Bench {
    /// Loads the scene's images and builds both machines (see [`LiveExperiment::prepare`]).
    pub fn prepare(scene: Scene) -> Result<Self> {
        LiveExperiment::prepare(scene).map(Bench)
    }
}
