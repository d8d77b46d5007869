//! An experiment: a scene's data and machine (any kind that keeps the machine contract), the
//! encoded inputs, and training; shared by the command line, the window and the tests.

mod live;
mod overrides;
mod report;
mod review;
mod table;

pub use live::{
    Companion, ConfusionView, LiveExperiment, OUTCOMES_KEPT, Origin, Outcome, Presentation,
};
pub use overrides::Overrides;
pub use report::{TrainReport, Trained};
pub use table::TableExperiment;

use anyhow::{Context, Result, anyhow, bail};
use rand::seq::SliceRandom;
use std::sync::Arc;
use std::time::Instant;

use crate::data::progress::Progress;
use crate::data::{self, ImageSet, LoadOptions};
use crate::model_file::SavedModel;
use crate::nn::mark1::Mark1;
use crate::nn::metrics::{Confusion, EpochRecord};
use crate::nn::mlp_model::MlpModel;
use crate::nn::{Diverged, Machine, Pass};
use crate::scene::{MachineConfig, Scene, SceneMachine};
use crate::seeds::{MachineRng, Stream, rng_for};

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
        // encoded once the training inputs have fitted the machine (the MLP's standardisation)
        let test_inputs = test.map(|t| machine.encode_all(&t.images));
        Self {
            machine,
            trainer,
            train_inputs,
            test_inputs,
        }
    }

    /// A learner on inputs already in the machine's final form (`samples` of them for
    /// training; the test inputs as they will be read), for `epochs` passes.
    pub fn from_inputs(
        mut machine: M,
        mut train_inputs: M::Inputs,
        test_inputs: Option<M::Inputs>,
        samples: usize,
        epochs: usize,
    ) -> Self {
        let trainer = machine.trainer(&mut train_inputs, samples, epochs);
        Self {
            machine,
            trainer,
            train_inputs,
            test_inputs,
        }
    }

    /// Epoch `epoch`: a training pass over `order`, then accuracy (and loss, for a machine
    /// trained on one) on the training samples and, given their `test_labels`, the test ones.
    pub fn epoch(
        &mut self,
        labels: &[u16],
        test_labels: Option<&[u16]>,
        order: &[usize],
        epoch: usize,
    ) -> Result<EpochRecord, Diverged> {
        let started = Instant::now();
        let pass = self.train_pass(labels, order, epoch)?;
        let seconds = started.elapsed().as_secs_f64();
        let test = self.test_inputs.as_ref().zip(test_labels);
        Ok(EpochRecord {
            epoch,
            errors: pass.errors,
            corrections: pass.corrections,
            train_accuracy: self.train_confusion(labels).accuracy(),
            test_accuracy: test
                .map(|(inputs, labels)| self.machine.evaluate(inputs, labels).accuracy()),
            seconds,
            loss: pass.loss,
            test_loss: test.and_then(|(inputs, labels)| self.machine.mean_loss(inputs, labels)),
            gradient_norms: pass.gradient_norms,
        })
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

/// The order `count` training samples are presented in: shuffled afresh from `rng` when
/// `shuffle`, else as they were read.
pub fn presentation_order(count: usize, shuffle: bool, rng: &mut MachineRng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).collect();
    if shuffle {
        order.shuffle(rng);
    }
    order
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
    with_machine_watched(scene, task, &Arc::default())
}

/// [`with_machine`], with the images' loading counted into `progress` (and cancelled by it).
pub fn with_machine_watched<T: MachineTask>(
    scene: Scene,
    task: T,
    progress: &Arc<Progress>,
) -> Result<T::Output> {
    let Some(machine) = scene.kind.machine().cloned() else {
        return Err(brings_its_own_data(&scene));
    };
    let (train, test, notes) = load_data_watched(&scene, progress)?;
    match machine {
        MachineConfig::Mark1(config) => task.run(Experiment::<Mark1>::build(
            scene, &config, train, test, notes,
        )?),
        MachineConfig::Mlp(config) => task.run(Experiment::<MlpModel>::build(
            scene, &config, train, test, notes,
        )?),
    }
}

/// The error for a lesson or playground scene where a machine on images is needed.
pub fn brings_its_own_data(scene: &Scene) -> anyhow::Error {
    let kind = scene.kind.brings_its_own_data().unwrap_or("machine");
    anyhow!(
        "{}: a {kind} scene brings its own data and has no machine on images: run it with `mark1 train --scene`",
        scene.name
    )
}

/// The scene's training and test images, and notes about skipped files.
pub fn load_data(scene: &Scene) -> Result<(ImageSet, Option<ImageSet>, Vec<String>)> {
    load_data_watched(scene, &Arc::default())
}

/// [`load_data`], counting the work into `progress`, which can also cancel it.
pub fn load_data_watched(
    scene: &Scene,
    progress: &Arc<Progress>,
) -> Result<(ImageSet, Option<ImageSet>, Vec<String>)> {
    let options = LoadOptions {
        progress: progress.clone(),
        ..LoadOptions::for_retina(
            scene.seed,
            scene.data.samples_per_class,
            scene.retina.width.max(scene.retina.height),
        )
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
    Ok((train, test, notes))
}

impl<M: SceneMachine> Experiment<M> {
    /// Loads the scene's data, builds its machine from its seed, and encodes every image;
    /// the scene must name a machine of this kind.
    pub fn prepare(scene: Scene) -> Result<Self> {
        let Some(machine) = scene.kind.machine() else {
            return Err(brings_its_own_data(&scene));
        };
        let config = match M::config_in(machine) {
            Some(config) => config.clone(),
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
        let shuffle = self.scene.training.shuffle;
        presentation_order(self.train.len(), shuffle, &mut self.order_rng)
    }

    /// One epoch: a training pass, then accuracy on the training and test images.
    pub fn run_epoch(&mut self) -> Result<EpochRecord, Diverged> {
        let order = self.next_order();
        let epoch = self.history.len() + 1;
        let test_labels = self.test.as_ref().map(|t| t.labels.as_slice());
        let record = self
            .learner
            .epoch(&self.train.labels, test_labels, &order, epoch)?;
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
