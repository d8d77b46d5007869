//! An experiment: a scene's data and machine, the A-unit cache, and the training loop.

use anyhow::{Context, Result, anyhow, bail};
use rand::seq::SliceRandom;
use std::time::Instant;

use crate::data::{self, ImageSet, LoadOptions};
use crate::nn::mark1::{ActivityCache, Mark1};
use crate::nn::metrics::{Confusion, EpochRecord};
use crate::nn::rules::Reinforcement;
use crate::scene::{ModelConfig, Scene};
use crate::seeds::{MachineRng, Stream, rng_for};

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
}

impl Overrides {
    /// The scene with these changes made, validated again.
    pub fn apply(&self, mut scene: Scene) -> Result<Scene> {
        if let Some(data) = &self.data {
            scene.data.source = data.clone();
            // A new source brings its own test part or split, not the scene's test folder.
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
        if let Some(a_units) = self.a_units {
            let ModelConfig::Mark1(config) = &mut scene.model;
            config.plugboard.a_units = a_units;
        }
        scene
            .validate()
            .map_err(|(_, message)| anyhow!("{message}"))?;
        Ok(scene)
    }
}

/// A machine ready to train: its data, the A-unit activity of every image, and notes for the user.
pub struct Experiment {
    pub scene: Scene,
    pub machine: Mark1,
    pub train: ImageSet,
    pub test: Option<ImageSet>,
    pub train_cache: ActivityCache,
    pub test_cache: Option<ActivityCache>,
    /// What the user should know: skipped files, a widened response layer, a calibration.
    pub notes: Vec<String>,
    /// Seconds spent sensing and associating all images.
    pub encode_seconds: f64,
    pub history: Vec<EpochRecord>,
    order_rng: MachineRng,
}

impl Experiment {
    /// Loads the scene's data, builds its machine from its seed, and caches A-unit activity.
    pub fn prepare(scene: Scene) -> Result<Experiment> {
        let options = LoadOptions {
            seed: scene.seed,
            samples_per_class: scene.data.samples_per_class,
        };
        let split = data::load(&scene.data.source, &options)?;
        let mut notes = split.warnings.clone();
        if !split.warnings.is_empty() {
            notes.push(format!(
                "skipped {} unreadable image file(s)",
                split.warnings.len()
            ));
        }
        let (train, test) = match (&scene.data.test, split.test) {
            (Some(test_source), _) => {
                let test_split = data::load(test_source, &options)?;
                notes.extend(test_split.warnings.iter().cloned());
                let test = test_split.test.unwrap_or(test_split.train);
                let test = test.aligned_to(&split.train.classes, test_source)?;
                (split.train, Some(test))
            }
            (None, Some(test)) => (split.train, Some(test)),
            (None, None) if scene.data.test_fraction > 0.0 => {
                let (train, test) =
                    data::split_by_class(&split.train, scene.data.test_fraction, scene.seed);
                (train, (!test.is_empty()).then_some(test))
            }
            (None, None) => (split.train, None),
        };
        if train.classes.len() < 2 {
            bail!(
                "{}: needs at least two classes to learn, found {}",
                scene.data.source,
                train.classes.len()
            );
        }
        let ModelConfig::Mark1(config) = &scene.model;
        let (machine, build_notes) = Mark1::build(
            &scene.retina,
            config,
            train.classes.clone(),
            scene.seed,
            &train.images,
        )
        .map_err(|m| anyhow!("{m}"))
        .context("building the machine")?;
        notes.extend(build_notes);
        let started = Instant::now();
        let train_cache = machine.encode_all(&train.images);
        let test_cache = test.as_ref().map(|t| machine.encode_all(&t.images));
        let encode_seconds = started.elapsed().as_secs_f64();
        let order_rng = rng_for(scene.seed, Stream::TrainingOrder);
        Ok(Experiment {
            scene,
            machine,
            train,
            test,
            train_cache,
            test_cache,
            notes,
            encode_seconds,
            history: Vec::new(),
            order_rng,
        })
    }

    /// The presentation order of the next epoch: a fresh seeded shuffle, or file order.
    pub fn next_order(&mut self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.train.len()).collect();
        if self.scene.training.shuffle {
            order.shuffle(&mut self.order_rng);
        }
        order
    }

    /// One epoch: a training pass, then accuracy on the training and test images.
    pub fn run_epoch(&mut self) -> EpochRecord {
        let order = self.next_order();
        let started = Instant::now();
        let errors = self
            .machine
            .train_epoch(&self.train_cache, &self.train.labels, &order);
        let seconds = started.elapsed().as_secs_f64();
        let record = EpochRecord {
            epoch: self.history.len() + 1,
            errors,
            train_accuracy: self.train_confusion().accuracy(),
            test_accuracy: self.test_confusion().map(|c| c.accuracy()),
            seconds,
        };
        self.history.push(record.clone());
        record
    }

    /// Runs the scene's epochs, calling `on_epoch` after each. Error correction stops after a
    /// pass without error: nothing would move again.
    pub fn train(&mut self, mut on_epoch: impl FnMut(&EpochRecord)) {
        for _ in 0..self.scene.training.epochs {
            let record = self.run_epoch();
            on_epoch(&record);
            if self.converged() {
                break;
            }
        }
    }

    /// Whether the last epoch was a pass of error correction without a single error.
    pub fn converged(&self) -> bool {
        self.machine.learning.rule == Reinforcement::ErrorCorrection
            && self.history.last().is_some_and(|r| r.errors == 0)
    }

    pub fn train_confusion(&self) -> Confusion {
        self.machine
            .evaluate_cached(&self.train_cache, &self.train.labels)
    }

    pub fn test_confusion(&self) -> Option<Confusion> {
        let test = self.test.as_ref()?;
        Some(
            self.machine
                .evaluate_cached(self.test_cache.as_ref()?, &test.labels),
        )
    }

    /// Total seconds spent in training passes.
    pub fn train_seconds(&self) -> f64 {
        self.history.iter().map(|r| r.seconds).sum()
    }
}
