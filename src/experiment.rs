//! An experiment: a scene's data and model (Mark I or MLP), the encoded inputs, and training.

use anyhow::{Context, Result, anyhow, bail};
use rand::seq::SliceRandom;
use std::time::Instant;

use crate::data::{self, ImageSet, LoadOptions};
use crate::model_file::SavedModel;
use crate::nn::mark1::{ActivityCache, Mark1};
use crate::nn::metrics::{Confusion, EpochRecord};
use crate::nn::mlp_model::{Diverged, MlpModel, MlpTrainer};
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
    pub learning_rate: Option<f32>,
    pub batch_size: Option<usize>,
    pub threads: Option<usize>,
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
        match &mut scene.model {
            ModelConfig::Mark1(config) => {
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
            ModelConfig::Lesson(_) => {}
            ModelConfig::Mlp(config) => {
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
        scene
            .validate()
            .map_err(|(_, message)| anyhow!("{message}"))?;
        Ok(scene)
    }
}

/// The model being trained and its inputs in the form it reads them.
pub enum Learner {
    /// The Mark I, with the A-unit activity of every image cached (fixed for a fixed board).
    Mark1 {
        machine: Mark1,
        train_cache: ActivityCache,
        test_cache: Option<ActivityCache>,
    },
    /// The MLP, with every image's input vector.
    Mlp {
        model: MlpModel,
        trainer: Box<MlpTrainer>,
        train_inputs: Vec<f32>,
        test_inputs: Option<Vec<f32>>,
    },
}

/// A model ready to train: its data, the encoded inputs, and notes for the user.
pub struct Experiment {
    pub scene: Scene,
    pub learner: Learner,
    pub train: ImageSet,
    pub test: Option<ImageSet>,
    /// What the user should know: skipped files, a widened response layer, a calibration.
    pub notes: Vec<String>,
    /// Seconds spent turning every image into the model's input.
    pub encode_seconds: f64,
    pub history: Vec<EpochRecord>,
    order_rng: MachineRng,
}

impl Experiment {
    /// Loads the scene's data, builds its model from its seed, and encodes every image.
    pub fn prepare(scene: Scene) -> Result<Experiment> {
        let (train, test, notes) = Self::load_data(&scene)?;
        Self::build(scene, train, test, notes)
    }

    /// The scene's training and test images, and notes about skipped files.
    pub fn load_data(scene: &Scene) -> Result<(ImageSet, Option<ImageSet>, Vec<String>)> {
        let options = LoadOptions::for_retina(
            scene.seed,
            scene.data.samples_per_class,
            scene.retina.width.max(scene.retina.height),
        );
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
        Ok((train, test, notes))
    }

    /// Builds the scene's model from its seed for images already loaded, and encodes them.
    pub fn build(
        scene: Scene,
        train: ImageSet,
        test: Option<ImageSet>,
        mut notes: Vec<String>,
    ) -> Result<Experiment> {
        let started = Instant::now();
        let learner = match &scene.model {
            ModelConfig::Mark1(config) => {
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
                let train_cache = machine.encode_all(&train.images);
                let test_cache = test.as_ref().map(|t| machine.encode_all(&t.images));
                Learner::Mark1 {
                    machine,
                    train_cache,
                    test_cache,
                }
            }
            ModelConfig::Lesson(_) => {
                bail!("a lesson scene brings its own data: run it with `mark1 train --scene`")
            }
            ModelConfig::Mlp(config) => {
                let mut model =
                    MlpModel::build(&scene.retina, config, train.classes.clone(), scene.seed)
                        .map_err(|m| anyhow!("{m}"))
                        .context("building the network")?;
                let mut train_inputs = model.encode_all(&train.images);
                model.fit_standardization(&mut train_inputs);
                let test_inputs = test.as_ref().map(|t| model.encode_all(&t.images));
                Learner::Mlp {
                    trainer: Box::new(MlpTrainer::new(&model, train.len(), scene.training.epochs)),
                    model,
                    train_inputs,
                    test_inputs,
                }
            }
        };
        let encode_seconds = started.elapsed().as_secs_f64();
        let order_rng = rng_for(scene.seed, Stream::TrainingOrder);
        Ok(Experiment {
            scene,
            learner,
            train,
            test,
            notes,
            encode_seconds,
            history: Vec::new(),
            order_rng,
        })
    }

    /// The Mark I being trained, if that is the model.
    pub fn mark1(&self) -> Option<&Mark1> {
        match &self.learner {
            Learner::Mark1 { machine, .. } => Some(machine),
            Learner::Mlp { .. } => None,
        }
    }

    /// The MLP being trained, if that is the model.
    pub fn mlp(&self) -> Option<&MlpModel> {
        match &self.learner {
            Learner::Mlp { model, .. } => Some(model),
            Learner::Mark1 { .. } => None,
        }
    }

    /// The model as it would be saved.
    pub fn saved_model(&self) -> SavedModel {
        match &self.learner {
            Learner::Mark1 { machine, .. } => SavedModel::Mark1(machine.clone()),
            Learner::Mlp { model, .. } => SavedModel::Mlp(model.clone()),
        }
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
    pub fn run_epoch(&mut self) -> Result<EpochRecord, Diverged> {
        let order = self.next_order();
        let started = Instant::now();
        let labels = &self.train.labels;
        let (counts, loss, gradient_norms) = match &mut self.learner {
            Learner::Mark1 {
                machine,
                train_cache,
                ..
            } => {
                let pass = machine.train_epoch(train_cache, labels, &order);
                // what cannot be loaded again is never kept (nor saved)
                if machine.weights.iter().any(|w| !w.is_finite()) {
                    return Err(Diverged::Potentiometer {
                        epoch: self.history.len() + 1,
                        learning_rate: machine.learning.rate,
                    });
                }
                ((pass.errors, Some(pass.corrections)), None, Vec::new())
            }
            Learner::Mlp {
                model,
                trainer,
                train_inputs,
                ..
            } => {
                let report = trainer.train_pass(model, train_inputs, labels, &order)?;
                let counts = (report.errors, None);
                (counts, Some(report.loss), report.gradient_norms)
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        let test_loss = match &self.learner {
            Learner::Mlp {
                model,
                test_inputs: Some(inputs),
                ..
            } => self
                .test
                .as_ref()
                .map(|t| model.mean_loss(inputs, &t.labels)),
            _ => None,
        };
        let (errors, corrections) = counts;
        let record = EpochRecord {
            epoch: self.history.len() + 1,
            errors,
            corrections,
            train_accuracy: self.train_confusion().accuracy(),
            test_accuracy: self.test_confusion().map(|c| c.accuracy()),
            seconds,
            loss,
            test_loss,
            gradient_norms,
        };
        self.history.push(record.clone());
        Ok(record)
    }

    /// Runs the scene's epochs, calling `on_epoch` after each. Error correction stops once it
    /// has converged: nothing would move again. A diverging MLP stops with the reason.
    pub fn train(&mut self, mut on_epoch: impl FnMut(&EpochRecord)) -> Result<(), Diverged> {
        for _ in 0..self.scene.training.epochs {
            let record = self.run_epoch()?;
            on_epoch(&record);
            if self.converged() {
                break;
            }
        }
        Ok(())
    }

    /// Whether the last epoch was a whole pass of error correction that moved no potentiometer
    /// (so every training image was, and is, classified right).
    pub fn converged(&self) -> bool {
        self.mark1()
            .is_some_and(|m| m.learning.rule == Reinforcement::ErrorCorrection)
            && self
                .history
                .last()
                .is_some_and(|r| r.corrections == Some(0) && r.errors == 0)
    }

    pub fn train_confusion(&self) -> Confusion {
        match &self.learner {
            Learner::Mark1 {
                machine,
                train_cache,
                ..
            } => machine.evaluate_cached(train_cache, &self.train.labels),
            Learner::Mlp {
                model,
                train_inputs,
                ..
            } => model.evaluate(train_inputs, &self.train.labels),
        }
    }

    pub fn test_confusion(&self) -> Option<Confusion> {
        let test = self.test.as_ref()?;
        Some(match &self.learner {
            Learner::Mark1 {
                machine,
                test_cache,
                ..
            } => machine.evaluate_cached(test_cache.as_ref()?, &test.labels),
            Learner::Mlp {
                model, test_inputs, ..
            } => model.evaluate(test_inputs.as_ref()?, &test.labels),
        })
    }

    /// Total seconds spent in training passes.
    pub fn train_seconds(&self) -> f64 {
        self.history.iter().map(|r| r.seconds).sum()
    }
}
