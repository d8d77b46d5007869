//! The command line's changes to a scene (`--epochs`, `--seed`, `--learning-rate`, ...).

use anyhow::{Result, anyhow, bail};

use crate::data::plane::Arrangement;
use crate::lessons::{Lesson, Tuning};
use crate::playground::PlaygroundConfig;
use crate::scene::{MachineConfig, Scene, SceneKind};

/// Command-line changes to a scene; `None` keeps the scene's value.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub data: Option<String>,
    pub test: Option<String>,
    pub test_fraction: Option<f32>,
    pub epochs: Option<usize>,
    pub seed: Option<u64>,
    pub a_units: Option<usize>,
    pub samples_per_class: Option<usize>,
    pub learning_rate: Option<f32>,
    pub batch_size: Option<usize>,
    pub threads: Option<usize>,
}

impl Overrides {
    /// The scene with these changes made, validated again.
    pub fn apply(&self, mut scene: Scene) -> Result<Scene> {
        if let Some(data) = &self.data {
            // A new source brings its own column of classes (`--label`), not the scene's,
            if *data != scene.data.source {
                scene.data.label = None;
            }
            scene.data.source = data.clone();
            // and its own test part or split, not the scene's test folder.
            scene.data.test = None;
        }
        if let Some(test) = &self.test {
            scene.data.test = Some(test.clone());
        }
        if let Some(f) = self.test_fraction {
            scene.data.test_fraction = f;
        }
        if let Some(epochs) = self.epochs {
            scene.training.epochs = epochs;
        }
        if let Some(seed) = self.seed {
            scene.seed = seed;
        }
        if let Some(n) = self.samples_per_class {
            scene.data.samples_per_class = Some(n);
        }
        match &mut scene.kind {
            SceneKind::Machine(MachineConfig::Mark1(config)) => {
                if let Some(a_units) = self.a_units {
                    config.plugboard.a_units = a_units;
                }
                if self.learning_rate.is_some()
                    || self.batch_size.is_some()
                    || self.threads.is_some()
                {
                    bail!(
                        "--learning-rate, --batch-size and --threads apply to MLP scenes, not the Mark I"
                    );
                }
            }
            SceneKind::Lesson(lesson) => self.apply_to_lesson(lesson)?,
            SceneKind::Playground(config) => self.apply_to_playground(config)?,
            SceneKind::Machine(MachineConfig::Mlp(config)) => {
                if self.a_units.is_some() {
                    bail!("--a-units applies to Mark I scenes, not an MLP");
                }
                if let Some(rate) = self.learning_rate {
                    config.optimizer.learning_rate = rate;
                }
                if let Some(batch) = self.batch_size {
                    config.optimizer.batch_size = batch;
                }
                if let Some(threads) = self.threads {
                    config.threads = Some(threads);
                }
            }
        }
        scene.validate().map_err(|error| anyhow!("{error}"))?;
        Ok(scene)
    }

    /// The flags a lesson takes where it has such a setting (see [`Lesson::tune`]); the
    /// machine's and the data's are refused by name.
    fn apply_to_lesson(&self, lesson: &mut Lesson) -> Result<()> {
        let machine_flags = [
            ("--data", self.data.is_some()),
            ("--test", self.test.is_some()),
            ("--test-fraction", self.test_fraction.is_some()),
            ("--a-units", self.a_units.is_some()),
            ("--batch-size", self.batch_size.is_some()),
            ("--threads", self.threads.is_some()),
        ];
        if let Some((flag, _)) = machine_flags.iter().find(|(_, given)| *given) {
            bail!(
                "{flag} does not apply to a lesson scene: it brings its own data and has no machine"
            );
        }
        let tuning = Tuning {
            epochs: self.epochs,
            learning_rate: self.learning_rate,
            samples_per_class: self.samples_per_class,
        };
        lesson.tune(&tuning).map_err(|message| anyhow!("{message}"))
    }

    /// The flags a playground takes: its points (`builtin:spiral` and the like), how many and
    /// how they split, its learning rate and batch; the rest are refused by name.
    fn apply_to_playground(&self, config: &mut PlaygroundConfig) -> Result<()> {
        if self.test.is_some() || self.a_units.is_some() || self.threads.is_some() {
            bail!(
                "--test, --a-units and --threads do not apply to a playground scene (it makes its own test points, has no A-units, and trains on one thread)"
            );
        }
        if let Some(source) = &self.data {
            let arrangement = source
                .strip_prefix("builtin:")
                .and_then(Arrangement::named)
                .ok_or_else(|| {
                    let names: Vec<String> = Arrangement::ALL
                        .iter()
                        .map(|a| format!("builtin:{}", a.name()))
                        .collect();
                    anyhow!(
                        "{source}: a playground trains on points in the plane: give one of {}",
                        names.join(", ")
                    )
                })?;
            *config = config.with_arrangement(arrangement);
        }
        if let Some(fraction) = self.test_fraction {
            config.data.test_fraction = fraction;
        }
        if let Some(n) = self.samples_per_class {
            // a curve's points are all of one kind
            let kinds = config.data.arrangement.classes().len();
            config.data.points = n.saturating_mul(kinds);
        }
        if let Some(rate) = self.learning_rate {
            config.learning_rate = rate;
        }
        if let Some(batch) = self.batch_size {
            config.batch_size = batch;
        }
        Ok(())
    }
}
