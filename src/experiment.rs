//! An experiment: a scene's data and machine (any kind that keeps the machine contract), the
//! encoded inputs, and training.

use anyhow::{Context, Result, anyhow, bail};
use rand::seq::SliceRandom;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

use crate::data::{self, ImageSet, LoadOptions};
use crate::model_file::SavedModel;
use crate::nn::mark1::Mark1;
use crate::nn::metrics::{Confusion, EpochRecord};
use crate::nn::mlp_model::MlpModel;
use crate::nn::{Diverged, Machine, Pass};
use crate::scene::{ModelConfig, Scene, SceneMachine};
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

/// A machine with its images encoded in its own input form and its trainer in hand.
pub struct Learner<M: Machine> {
    pub machine: M,
    pub trainer: M::Trainer,
    pub train_inputs: M::Inputs,
    pub test_inputs: Option<M::Inputs>,
}

impl<M: Machine> Learner<M> {
    /// Encodes `train` (fitting what depends on it) and `test`, for `epochs` passes.
    pub fn new(mut machine: M, train: &ImageSet, test: Option<&ImageSet>, epochs: usize) -> Self {
        let mut train_inputs = machine.encode_all(&train.images);
        let trainer = machine.trainer(&mut train_inputs, train.len(), epochs);
        let test_inputs = test.map(|t| machine.encode_all(&t.images));
        Self {
            machine,
            trainer,
            train_inputs,
            test_inputs,
        }
    }

    /// One pass over the training inputs in `order`.
    pub fn train_pass(
        &mut self,
        labels: &[u16],
        order: &[usize],
        epoch: usize,
    ) -> Result<Pass, Diverged> {
        self.machine
            .train_pass(&mut self.trainer, &self.train_inputs, labels, order, epoch)
    }

    /// The machine's confusion on the training images with their `labels`.
    pub fn train_confusion(&self, labels: &[u16]) -> Confusion {
        self.machine.evaluate(&self.train_inputs, labels)
    }

    /// The machine's confusion on the test images, if there are any.
    pub fn test_confusion(&self, test: Option<&ImageSet>) -> Option<Confusion> {
        Some(
            self.machine
                .evaluate(self.test_inputs.as_ref()?, &test?.labels),
        )
    }
}

/// A machine ready to train: its data, the encoded inputs, and notes for the user.
pub struct Experiment<M: Machine> {
    pub scene: Scene,
    pub learner: Learner<M>,
    pub train: ImageSet,
    pub test: Option<ImageSet>,
    /// What the user should know: skipped files, a widened response layer, a calibration.
    pub notes: Vec<String>,
    /// Seconds spent turning every image into the machine's input.
    pub encode_seconds: f64,
    pub history: Vec<EpochRecord>,
    order_rng: MachineRng,
}

/// Work to do with a scene's machine, whichever kind the scene names: see [`with_machine`].
pub trait MachineTask {
    type Output;
    fn run<M: Machine + Into<SavedModel>>(self, experiment: Experiment<M>) -> Result<Self::Output>;
}

/// Loads the scene's data, builds its machine and hands the experiment to `task`: the one
/// place where the kind of machine a scene names becomes a type.
pub fn with_machine<T: MachineTask>(scene: Scene, task: T) -> Result<T::Output> {
    let (train, test, notes) = load_data(&scene)?;
    match scene.model.clone() {
        ModelConfig::Mark1(config) => task.run(Experiment::<Mark1>::build(
            scene, &config, train, test, notes,
        )?),
        ModelConfig::Mlp(config) => task.run(Experiment::<MlpModel>::build(
            scene, &config, train, test, notes,
        )?),
        ModelConfig::Lesson(_) => Err(lesson_has_no_machine()),
    }
}

fn lesson_has_no_machine() -> anyhow::Error {
    anyhow!("a lesson scene brings its own data: run it with `mark1 train --scene`")
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

impl<M: SceneMachine> Experiment<M> {
    /// Loads the scene's data, builds its machine from its seed, and encodes every image;
    /// the scene must name a machine of this kind.
    pub fn prepare(scene: Scene) -> Result<Self> {
        let config = match M::config_in(&scene.model) {
            Some(config) => config.clone(),
            None if matches!(scene.model, ModelConfig::Lesson(_)) => {
                return Err(lesson_has_no_machine());
            }
            None => bail!("{}: the scene's model is not a {}", scene.name, M::KIND),
        };
        let (train, test, notes) = load_data(&scene)?;
        Self::build(scene, &config, train, test, notes)
    }
}

impl<M: Machine> Experiment<M> {
    /// Builds a machine from `config` and the scene's seed for images already loaded, and
    /// encodes them.
    pub fn build(
        scene: Scene,
        config: &M::Config,
        train: ImageSet,
        test: Option<ImageSet>,
        mut notes: Vec<String>,
    ) -> Result<Self> {
        let started = Instant::now();
        let (machine, build_notes) = M::build(
            &scene.retina,
            config,
            train.classes.clone(),
            scene.seed,
            &train.images,
        )
        .map_err(|m| anyhow!("{m}"))
        .with_context(|| format!("building the {}", M::NOUN))?;
        notes.extend(build_notes);
        let learner = Learner::new(machine, &train, test.as_ref(), scene.training.epochs);
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

    /// The machine being trained.
    pub fn machine(&self) -> &M {
        &self.learner.machine
    }

    pub fn machine_mut(&mut self) -> &mut M {
        &mut self.learner.machine
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
        let epoch = self.history.len() + 1;
        let pass = self.learner.train_pass(&self.train.labels, &order, epoch)?;
        let seconds = started.elapsed().as_secs_f64();
        let test_loss = match (&self.learner.test_inputs, &self.test) {
            (Some(inputs), Some(test)) => self.machine().mean_loss(inputs, &test.labels),
            _ => None,
        };
        let record = EpochRecord {
            epoch,
            errors: pass.errors,
            corrections: pass.corrections,
            train_accuracy: self.train_confusion().accuracy(),
            test_accuracy: self.test_confusion().map(|c| c.accuracy()),
            seconds,
            loss: pass.loss,
            test_loss,
            gradient_norms: pass.gradient_norms,
        };
        self.history.push(record.clone());
        Ok(record)
    }

    /// Runs the scene's epochs, calling `on_epoch` after each. Training stops once the
    /// machine has converged (nothing would move again), or with the reason it diverged.
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

    /// Whether the machine says the last epoch ended its learning.
    pub fn converged(&self) -> bool {
        self.history
            .last()
            .is_some_and(|last| self.machine().has_converged(last))
    }

    pub fn train_confusion(&self) -> Confusion {
        self.learner.train_confusion(&self.train.labels)
    }

    pub fn test_confusion(&self) -> Option<Confusion> {
        self.learner.test_confusion(self.test.as_ref())
    }

    /// Total seconds spent in training passes.
    pub fn train_seconds(&self) -> f64 {
        self.history.iter().map(|r| r.seconds).sum()
    }
}

/// What `mark1 train` reports about a finished experiment: printed as text, or as one JSON
/// object (`--json`) with the machine's own facts beside the common ones.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    pub scene: String,
    /// The kind of machine ([`Machine::KIND`]).
    pub model: &'static str,
    pub data: String,
    pub seed: u64,
    pub classes: Vec<String>,
    pub epochs: usize,
    pub converged: bool,
    pub train_images: usize,
    pub test_images: usize,
    pub train_accuracy: f64,
    pub test_accuracy: Option<f64>,
    pub train_seconds: f64,
    pub encode_seconds: f64,
    /// The confusion matrix of the test images (the training images if there are none).
    pub confusion: Vec<Vec<u64>>,
    /// "test" or "train": which images `confusion` counts.
    pub confusion_of: &'static str,
    pub per_class_accuracy: Vec<Option<f64>>,
    pub history: Vec<EpochRecord>,
    pub notes: Vec<String>,
    /// Where the trained machine was saved.
    pub saved: Option<String>,
    /// What only this kind of machine has (A-units, layer sizes, ...).
    #[serde(flatten)]
    pub machine: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    train_confusion: Confusion,
    #[serde(skip)]
    test_confusion: Option<Confusion>,
}

impl<M: Machine> Experiment<M> {
    /// The report of the experiment as it stands, saved at `saved` if it was.
    pub fn report(&self, saved: Option<&Path>) -> TrainReport {
        let train_confusion = self.train_confusion();
        let test_confusion = self.test_confusion();
        let shown = test_confusion.as_ref().unwrap_or(&train_confusion);
        let facts = self
            .machine()
            .facts(&self.learner.train_inputs, &self.history);
        TrainReport {
            scene: self.scene.name.clone(),
            model: M::KIND,
            data: self.scene.data.source.clone(),
            seed: self.scene.seed,
            classes: self.train.classes.clone(),
            epochs: self.history.len(),
            converged: self.converged(),
            train_images: self.train.len(),
            test_images: self.test.as_ref().map_or(0, |t| t.len()),
            train_accuracy: train_confusion.accuracy(),
            test_accuracy: test_confusion.as_ref().map(Confusion::accuracy),
            train_seconds: self.train_seconds(),
            encode_seconds: self.encode_seconds,
            confusion: shown.rows(),
            confusion_of: if test_confusion.is_some() {
                "test"
            } else {
                "train"
            },
            per_class_accuracy: shown.per_class_accuracy(),
            history: self.history.clone(),
            notes: self.notes.clone(),
            saved: saved.map(|p| p.display().to_string()),
            machine: facts
                .into_iter()
                .map(|(key, value)| (key.to_string(), value))
                .collect(),
            train_confusion,
            test_confusion,
        }
    }
}

impl std::fmt::Display for TrainReport {
    /// The closing lines of `mark1 train`: convergence, accuracy, the confusion matrix.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.converged {
            writeln!(
                f,
                "converged: epoch {} moved no potentiometer; every training image is classified right",
                self.epochs
            )?;
        }
        let train = &self.train_confusion;
        writeln!(
            f,
            "train accuracy {:.4} ({}/{}) in {:.3} s of training",
            train.accuracy(),
            train.correct(),
            train.total(),
            self.train_seconds
        )?;
        if let Some(test) = &self.test_confusion {
            writeln!(
                f,
                "test accuracy {:.4} ({}/{})",
                test.accuracy(),
                test.correct(),
                test.total()
            )?;
        }
        let (shown, heading) = match &self.test_confusion {
            Some(test) => (test, "test images"),
            None => (train, "training images"),
        };
        for line in shown.table(&self.classes, heading) {
            writeln!(f, "{line}")?;
        }
        if let Some(path) = &self.saved {
            writeln!(f, "saved the trained model to {path}")?;
        }
        Ok(())
    }
}
