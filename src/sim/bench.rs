//! The machine on the bench: the live experiment (Bevy-free, in `experiment::live`) as the
//! resource the simulation's systems read and drive.

use anyhow::Result;
use bevy::prelude::{Deref, DerefMut, Resource};

use crate::experiment::LiveExperiment;
use crate::scene::Scene;
use crate::ui::strings::Strings;

/// The Mark I and its MLP companion, their data and where the training stream stands.
#[derive(Resource, Deref, DerefMut)]
pub struct Bench(pub LiveExperiment);

impl Bench {
    /// Loads the scene's images and builds both machines (see [`LiveExperiment::prepare`]).
    pub fn prepare(scene: Scene) -> Result<Self> {
        LiveExperiment::prepare(scene).map(Bench)
    }

    /// Class `c`'s name as the panel shows it: a built-in set's in the language on screen,
    /// a user's own as they named it ("?" past the last class).
    pub fn class_shown(&self, c: usize, labels: &Strings) -> String {
        let Some(name) = self.classes().get(c) else {
            return "?".to_string();
        };
        if self.experiment.scene.data.source.starts_with("builtin:") {
            labels.class_name(name)
        } else {
            name.clone()
        }
    }
}
