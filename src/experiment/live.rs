//! The experiment run live for the panel: the Mark I and its MLP companion trained one
//! presentation at a time on one stream of images (the ECS wraps it as its `Bench`).

use std::collections::VecDeque;

use anyhow::{Context, Result, anyhow};

use super::review::{EpochReview, ReviewData, ReviewPace, keep_examples};
use super::{Experiment, Learner, load_data};
use crate::data::{GrayImage, ImageSet};
use crate::nn::Diverged;
use crate::nn::activation::Activation;
use crate::nn::mark1::{ActivityCache, Mark1, Mark1Config};
use crate::nn::metrics::{Confusion, EpochRecord};
use crate::nn::mlp::{LayerConfig, MlpConfig, Schedule, Sgd};
use crate::nn::mlp_model::MlpModel;
use crate::scene::{MachineConfig, Scene, SceneMachine};

/// How many recent images the "who got it right" strip remembers.
pub const OUTCOMES_KEPT: usize = 48;

/// The modern network trained beside the Mark I on the same images in the same order.
pub struct Companion {
    /// The network, its standardized input rows and its trainer.
    pub learner: Learner<MlpModel>,
    /// Training images presented since the last update, waiting to fill a mini-batch.
    pending: Vec<usize>,
    epoch_errors: u64,
    pub history: Vec<EpochRecord>,
    /// Why it stopped learning (a diverged update), if it did.
    pub stopped: Option<String>,
}

impl Companion {
    /// A small network for a panel: two ReLU layers, mini-batches of 16, a constant rate.
    pub fn panel_config() -> MlpConfig {
        MlpConfig {
            hidden: vec![
                LayerConfig {
                    units: 64,
                    activation: Activation::Relu,
                },
                LayerConfig {
                    units: 32,
                    activation: Activation::Relu,
                },
            ],
            optimizer: Sgd {
                learning_rate: 0.02,
                momentum: 0.9,
                batch_size: 16,
                schedule: Schedule::Constant,
            },
            threads: Some(1),
            ..MlpConfig::default()
        }
    }

    fn build(
        config: &MlpConfig,
        scene: &Scene,
        train: &ImageSet,
        test: Option<&ImageSet>,
    ) -> Result<Self> {
        let model = MlpModel::build(&scene.retina, config, train.classes.clone(), scene.seed)
            .map_err(|m| anyhow!("{m}"))
            .context("building the MLP")?;
        Ok(Self {
            learner: Learner::new(model, train, test, scene.training.epochs),
            pending: Vec::new(),
            epoch_errors: 0,
            history: Vec::new(),
            stopped: None,
        })
    }

    /// The network being trained.
    pub fn model(&self) -> &MlpModel {
        &self.learner.machine
    }

    fn input(&self, k: usize) -> &[f32] {
        let p = self.model().network.input_size();
        &self.learner.train_inputs[k * p..(k + 1) * p]
    }

    /// Queues training image `k`; a full mini-batch is one SGD update.
    fn learn(&mut self, k: usize, labels: &[u16]) {
        if self.stopped.is_some() {
            return;
        }
        self.pending.push(k);
        if self.pending.len() >= self.model().config.optimizer.batch_size {
            self.flush(labels);
        }
    }

    fn flush(&mut self, labels: &[u16]) {
        if self.pending.is_empty() || self.stopped.is_some() {
            return;
        }
        let epoch = self.history.len() + 1;
        match self.learner.train_pass(labels, &self.pending, epoch) {
            Ok(pass) => self.epoch_errors += pass.errors,
            Err(diverged) => self.stopped = Some(diverged.to_string()),
        }
        self.pending.clear();
    }
}

/// Where the image on the retina came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// Training image `k`, in its epoch's order.
    Training(usize),
    /// Painted on the retina or dropped on the window: classified, never learned.
    Visitor,
}

/// The image on the retina and what each layer of both machines made of it.
#[derive(Clone, Debug)]
pub struct Presentation {
    pub origin: Origin,
    /// Its place in the epoch's order, from 1 (0 for a visitor's image).
    pub position: usize,
    pub image: GrayImage,
    pub label: Option<usize>,
    /// S-unit excitation, row by row.
    pub cells: Vec<f32>,
    /// The firing A-units.
    pub active: Vec<u16>,
    /// `r_j` as the machine answered, before any correction.
    pub responses: Vec<f32>,
    pub predicted: usize,
    /// The signed amount each R-unit's pots moved by on this pattern (0 = untouched).
    pub corrections: Vec<f32>,
    /// The MLP's class and every layer's outputs.
    pub modern: Option<(usize, Vec<Vec<f32>>)>,
}

/// Which machine got one image right.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    pub mark1_right: bool,
    pub modern_right: Option<bool>,
}

/// The confusion matrix of the last evaluation with one example image per cell.
#[derive(Clone, Debug)]
pub struct ConfusionView {
    pub confusion: Confusion,
    /// `examples[truth * classes + predicted]`: the first image that fell in that cell.
    pub examples: Vec<Option<GrayImage>>,
    /// "test" or "training": which images were counted.
    pub images: &'static str,
}

/// Both machines, their data, and where the training stream stands.
pub struct LiveExperiment {
    /// The Mark I, its data and A-unit caches, and its history per epoch.
    pub experiment: Experiment<Mark1>,
    pub companion: Option<Companion>,
    /// This epoch's presentation order and how far into it the machine is.
    pub order: Vec<usize>,
    pub cursor: usize,
    pub epoch_errors: u64,
    /// Presentations this epoch after which error correction moved pots.
    pub epoch_corrections: u64,
    /// Patterns presented since the machine was built or reset.
    pub trials: u64,
    /// Whether each presented training pattern is corrected by error correction; off, the
    /// trainer corrects by hand with the force buttons.
    pub auto_learn: bool,
    pub current: Option<Presentation>,
    pub outcomes: VecDeque<Outcome>,
    pub confusion: Option<ConfusionView>,
    /// Counts rebuilds, so the body can re-grow its units.
    pub generation: u64,
    /// Counts changes of the pattern on the retina or of its answer, so the panel redraws.
    pub shown: u64,
    /// Plugboards drawn so far (the seed of rewire n is the scene seed + n).
    pub rewires: u64,
    /// Why the Mark I stopped learning: a potentiometer that left the real numbers (only
    /// continuous pots without end stops can), found at the end of an epoch.
    pub stopped: Option<String>,
    /// The last closed epoch's evaluation, while it is counted a slice an update.
    review: Option<EpochReview>,
}

impl LiveExperiment {
    /// Loads the scene's images and builds both machines. A scene whose model is an MLP gives
    /// the companion its configuration and sits a default Mark I beside it.
    pub fn prepare(scene: Scene) -> Result<Self> {
        let (train, test, notes) = load_data(&scene)?;
        Self::build(scene, train, test, notes)
    }

    /// The same scene on another image set (a folder, IDX files or `builtin:` name), loaded
    /// with its work counted into `progress` (which can cancel it): a fresh bench to install
    /// in place of this one.
    pub fn on_other_images(
        scene: &Scene,
        source: &str,
        progress: &std::sync::Arc<crate::data::progress::Progress>,
    ) -> Result<Self> {
        let mut scene = scene.clone();
        scene.data.source = source.to_string();
        scene.data.test = None;
        let (train, test, notes) = super::load_data_watched(&scene, progress)?;
        Self::build(scene, train, test, notes)
    }

    fn build(
        scene: Scene,
        train: ImageSet,
        test: Option<ImageSet>,
        notes: Vec<String>,
    ) -> Result<Self> {
        let (mark1_config, companion_config) = match scene.kind.machine() {
            Some(MachineConfig::Mark1(config)) => (config.clone(), Companion::panel_config()),
            // the panel's Mark I is the default one; the scene's MLP trains beside it
            Some(MachineConfig::Mlp(config)) => (Mark1Config::default(), config.clone()),
            None => return Err(super::brings_its_own_data(&scene)),
        };
        let companion = Companion::build(&companion_config, &scene, &train, test.as_ref())?;
        let mut experiment = Experiment::build(scene, &mark1_config, train, test, notes)?;
        let order = experiment.next_order();
        Ok(Self {
            experiment,
            companion: Some(companion),
            order,
            cursor: 0,
            epoch_errors: 0,
            epoch_corrections: 0,
            trials: 0,
            auto_learn: true,
            current: None,
            outcomes: VecDeque::new(),
            confusion: None,
            generation: 0,
            shown: 0,
            rewires: 0,
            stopped: None,
            review: None,
        })
    }

    /// Loads another image set into the same scene and rebuilds both machines.
    pub fn with_data(&self, source: &str) -> Result<Self> {
        let mut bench = Self::on_other_images(&self.experiment.scene, source, &Default::default())?;
        bench.generation = self.generation + 1;
        Ok(bench)
    }

    /// Both machines back to their first state: centred pots, fresh networks, epoch 1.
    pub fn reset(&mut self) -> Result<()> {
        let experiment = &self.experiment;
        let mut fresh = Self::build(
            experiment.scene.clone(),
            experiment.train.clone(),
            experiment.test.clone(),
            experiment.notes.clone(),
        )?;
        fresh.generation = self.generation + 1;
        fresh.auto_learn = self.auto_learn;
        *self = fresh;
        Ok(())
    }

    /// Draws a new plugboard from a new seed, centres every pot, and starts training over.
    pub fn rewire(&mut self) -> Result<u64> {
        self.reset()?;
        self.rewires += 1;
        let seed = self.experiment.scene.seed.wrapping_add(self.rewires);
        let experiment = &mut self.experiment;
        // the scene's plugboard (a target-activity threshold is calibrated again)
        let board = (experiment.scene.kind.machine())
            .and_then(<Mark1 as SceneMachine>::config_in)
            .map(|config| config.plugboard.clone())
            .unwrap_or_default();
        let learner = &mut experiment.learner;
        learner
            .machine
            .rewire(&board, seed, &experiment.train.images)
            .map_err(|m| anyhow!("{m}"))?;
        learner.train_inputs = learner.machine.encode_all(&experiment.train.images);
        learner.test_inputs = experiment
            .test
            .as_ref()
            .map(|t| learner.machine.encode_all(&t.images));
        Ok(seed)
    }

    /// The Mark I, to change its learning settings.
    pub fn machine_mut(&mut self) -> &mut Mark1 {
        self.experiment.machine_mut()
    }

    pub fn machine(&self) -> &Mark1 {
        self.experiment.machine()
    }

    fn parts(&mut self) -> (&mut Mark1, &ActivityCache, &[u16]) {
        let learner = &mut self.experiment.learner;
        (
            &mut learner.machine,
            &learner.train_inputs,
            &self.experiment.train.labels,
        )
    }

    pub fn classes(&self) -> &[String] {
        &self.experiment.train.classes
    }

    /// The epoch under way, from 1 (an epoch still being judged counts as closed).
    pub fn epoch(&self) -> usize {
        self.experiment.history.len() + usize::from(self.review.is_some()) + 1
    }

    /// Trials left before this epoch ends.
    /// Whether error correction moves the Mark I's pots: automatic, and not stopped.
    pub fn mark1_learns(&self) -> bool {
        self.auto_learn && self.stopped.is_none()
    }

    pub fn left_in_epoch(&self) -> usize {
        self.order.len() - self.cursor
    }

    /// Presents the next `count` training patterns without showing them one by one: the hot
    /// path, through the same core as the command line. Stops at the end of the epoch.
    pub fn run_quietly(&mut self, count: usize) -> usize {
        let count = count.min(self.left_in_epoch());
        let chunk: Vec<usize> = self.order[self.cursor..self.cursor + count].to_vec();
        let auto_learn = self.mark1_learns();
        let (machine, cache, labels) = self.parts();
        if auto_learn {
            let pass = machine.train_epoch(cache, labels, &chunk);
            self.epoch_errors += pass.errors;
            self.epoch_corrections += pass.corrections;
        } else {
            let wrong = chunk
                .iter()
                .filter(|&&k| {
                    machine.decode(&machine.respond(cache.active(k))) != labels[k] as usize
                })
                .count();
            self.epoch_errors += wrong as u64;
        }
        if auto_learn && let Some(companion) = &mut self.companion {
            for &k in &chunk {
                companion.learn(k, &self.experiment.train.labels);
            }
        }
        self.cursor += count;
        self.trials += count as u64;
        count
    }

    /// Takes the next training pattern onto the retina: sensed, associated and answered, not
    /// yet learned. Returns `None` at the end of an epoch (call [`LiveExperiment::finish_epoch`]).
    pub fn show_next(&mut self) -> Option<&Presentation> {
        if self.left_in_epoch() == 0 {
            return None;
        }
        let k = self.order[self.cursor];
        self.cursor += 1;
        self.trials += 1;
        let image = self.experiment.train.images[k].clone();
        let label = self.experiment.train.labels[k] as usize;
        let (machine, cache, _) = self.parts();
        let active = cache.active(k).to_vec();
        let cells = machine.sense(&image);
        let responses = machine.respond(&active);
        let predicted = machine.decode(&responses);
        let modern = self.companion.as_ref().map(|c| {
            let network = &c.model().network;
            let layers = network.activations(c.input(k));
            (network.loss.predict(layers.last().expect("layers")), layers)
        });
        self.shown += 1;
        self.current = Some(Presentation {
            origin: Origin::Training(k),
            position: self.cursor,
            image,
            label: Some(label),
            cells,
            active,
            responses,
            predicted,
            corrections: vec![0.0; self.machine().r_units],
            modern,
        });
        self.current.as_ref()
    }

    /// Puts the next training pattern on the retina without presenting it: sensed and
    /// answered for the panel to show, nothing counted, learned or moved on, so that the next
    /// [`LiveExperiment::show_next`] presents this same pattern. What a panel shows before its
    /// first step.
    pub fn preview_next(&mut self) {
        if self.left_in_epoch() == 0 {
            return;
        }
        let cursor = self.cursor;
        let trials = self.trials;
        if self.show_next().is_some() {
            self.cursor = cursor;
            self.trials = trials;
        }
    }

    /// The learning half of the cycle for the pattern on the retina: error correction toward
    /// its true class when automatic, and the MLP's share of the same image.
    pub fn learn_current(&mut self) {
        let Some(current) = &self.current else { return };
        let Origin::Training(k) = current.origin else {
            return;
        };
        let label = current.label.expect("training images have labels");
        let outcome = Outcome {
            mark1_right: current.predicted == label,
            modern_right: current.modern.as_ref().map(|(p, _)| *p == label),
        };
        let active = current.active.clone();
        // an error is the answer before correction, as `train_epoch` counts it
        if !outcome.mark1_right {
            self.epoch_errors += 1;
        }
        if self.mark1_learns() {
            let (machine, _, _) = self.parts();
            let trial = machine.present(&active, label);
            if trial.corrections.iter().any(|&d| d != 0.0) {
                self.epoch_corrections += 1;
            }
            if let Some(current) = &mut self.current {
                current.corrections = trial.corrections;
            }
            self.shown += 1;
            if let Some(companion) = &mut self.companion {
                companion.learn(k, &self.experiment.train.labels);
            }
        }
        self.outcomes.push_back(outcome);
        while self.outcomes.len() > OUTCOMES_KEPT {
            self.outcomes.pop_front();
        }
    }

    /// The trainer's electrical control: reinforce the pattern on the retina toward `class`,
    /// whatever the machine answered, as in the 1960 photographs.
    pub fn force(&mut self, class: usize) -> Option<Vec<f32>> {
        let active = self.current.as_ref()?.active.clone();
        if class >= self.classes().len() || self.stopped.is_some() {
            return None;
        }
        let (machine, _, _) = self.parts();
        let trial = machine.present(&active, class);
        let responses = machine.respond(&active);
        let predicted = machine.decode(&responses);
        self.shown += 1;
        let current = self.current.as_mut()?;
        current.corrections = trial.corrections.clone();
        current.responses = responses;
        current.predicted = predicted;
        Some(trial.corrections)
    }

    /// Puts a visitor's image on the retina: both machines answer, neither learns.
    pub fn show_image(&mut self, image: GrayImage) {
        let machine = self.machine();
        let cells = machine.sense(&image);
        let active = machine.associate(&cells);
        let responses = machine.respond(&active);
        let predicted = machine.decode(&responses);
        let r_units = machine.r_units;
        let modern = self.companion.as_ref().map(|c| {
            let input = c.model().encode_all(std::slice::from_ref(&image));
            let network = &c.model().network;
            let layers = network.activations(&input);
            (network.loss.predict(layers.last().expect("layers")), layers)
        });
        self.shown += 1;
        self.current = Some(Presentation {
            origin: Origin::Visitor,
            position: 0,
            image,
            label: None,
            cells,
            active,
            responses,
            predicted,
            corrections: vec![0.0; r_units],
            modern,
        });
    }

    /// Closes the epoch and judges it at once: accuracy of both machines on training and
    /// test images, the confusion matrix with examples, and a fresh presentation order.
    pub fn finish_epoch(&mut self) {
        self.end_epoch();
        self.settle_review();
    }

    /// Closes the epoch now (its errors, a fresh order, training goes on) and starts judging
    /// it: the first slice at once, the rest by [`LiveExperiment::continue_review`] in later
    /// updates. The records and the confusion matrix land when the counting is done, the
    /// same as [`LiveExperiment::finish_epoch`] gives at once.
    pub fn end_epoch(&mut self) {
        self.settle_review();
        // what cannot be loaded again is not trained on (nor saved)
        let machine = self.machine();
        if self.stopped.is_none() && machine.weights.iter().any(|w| !w.is_finite()) {
            let diverged = Diverged::Potentiometer {
                epoch: self.experiment.history.len() + 1,
                learning_rate: machine.learning.rate,
            };
            self.stopped = Some(diverged.to_string());
        }
        let record = EpochRecord {
            epoch: self.experiment.history.len() + 1,
            errors: self.epoch_errors,
            corrections: Some(self.epoch_corrections),
            ..EpochRecord::default()
        };
        let labels = &self.experiment.train.labels;
        let modern = self.companion.as_mut().map(|companion| {
            companion.flush(labels);
            let record = EpochRecord {
                epoch: companion.history.len() + 1,
                errors: std::mem::take(&mut companion.epoch_errors),
                ..EpochRecord::default()
            };
            (companion.model().clone(), record)
        });
        let machine = self.machine().clone();
        let review = EpochReview::new(
            ReviewPace::PANEL,
            machine,
            record,
            modern,
            &self.review_data(),
        );
        self.review = Some(review);
        self.epoch_errors = 0;
        self.epoch_corrections = 0;
        self.cursor = 0;
        self.order = self.experiment.next_order();
        self.continue_review();
    }

    /// Whether a closed epoch is still being judged.
    pub fn reviewing(&self) -> bool {
        self.review.is_some()
    }

    /// Counts one more slice of the closed epoch's evaluation; files its records when done.
    pub fn continue_review(&mut self) {
        let Some(mut review) = self.review.take() else {
            return;
        };
        if !review.step(&self.review_data()) {
            self.review = Some(review);
            return;
        }
        let reviewed = review.finish();
        self.experiment.history.push(reviewed.mark1);
        if let (Some(companion), Some(record)) = (&mut self.companion, reviewed.modern) {
            companion.history.push(record);
        }
        self.confusion = Some(reviewed.confusion);
    }

    /// Finishes judging the closed epoch now, if one is being judged.
    pub fn settle_review(&mut self) {
        while self.review.is_some() {
            self.continue_review();
        }
    }

    /// The images and both machines' encodings of them, for a review's step.
    fn review_data(&self) -> ReviewData<'_> {
        let learner = &self.experiment.learner;
        let modern = self.companion.as_ref().map(|c| &c.learner);
        ReviewData {
            train: &self.experiment.train,
            test: self.experiment.test.as_ref(),
            mark1_train: &learner.train_inputs,
            mark1_test: learner.test_inputs.as_ref(),
            modern_train: modern.map(|l| l.train_inputs.as_slice()),
            modern_test: modern.and_then(|l| l.test_inputs.as_deref()),
        }
    }

    /// The Mark I's confusion matrix on the test images (the training images if none), with
    /// the first image of each cell.
    fn confusion_view(&self) -> ConfusionView {
        let (set, images) = match &self.experiment.test {
            Some(test) => (test, "test"),
            None => (&self.experiment.train, "training"),
        };
        let learner = &self.experiment.learner;
        let cache = match (&learner.test_inputs, images) {
            (Some(test_cache), "test") => test_cache,
            _ => &learner.train_inputs,
        };
        let classes = set.classes.len();
        let predicted = self.machine().predict_cached(cache);
        let confusion = Confusion::of(classes, &predicted, &set.labels);
        let mut examples = vec![None; classes * classes];
        keep_examples(&mut examples, set, 0, &predicted);
        ConfusionView {
            confusion,
            examples,
            images,
        }
    }
}

impl LiveExperiment {
    /// Puts a saved Mark I on the bench in place of the one there, keeping the data, if its
    /// classes and retina match; its history comes with it.
    pub fn install(&mut self, machine: Mark1, history: Vec<EpochRecord>) -> Result<()> {
        self.settle_review();
        if machine.classes != self.classes() {
            return Err(anyhow!(
                "it was trained on the classes {:?}, this image set has {:?}",
                machine.classes,
                self.classes()
            ));
        }
        let experiment = &mut self.experiment;
        experiment.learner = Learner::new(
            machine,
            &experiment.train,
            experiment.test.as_ref(),
            experiment.scene.training.epochs,
        );
        experiment.history = history;
        self.generation += 1;
        self.stopped = None;
        self.current = None;
        self.confusion = Some(self.confusion_view());
        Ok(())
    }
}
