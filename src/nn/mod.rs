//! The Bevy-free numeric core: the Mark I (retina, plugboard, R-units, reinforcement) and the
//! MLP, and the contract both keep as machines.

pub mod activation;
pub mod fused;
pub mod input_share;
pub mod kernel;
pub mod loss;
pub mod mark1;
pub mod metrics;
pub mod mlp;
pub mod mlp_model;
pub mod plugboard;
pub mod pot_rows;
pub mod retina;
pub mod rules;
#[cfg(target_arch = "x86_64")]
pub mod unit_lanes;

use crate::data::GrayImage;
use crate::fields::FieldError;
use metrics::{Confusion, EpochRecord};
use retina::RetinaConfig;

/// What any trained machine answers: the part of the contract a saved file needs, usable
/// behind `&dyn Classifier`.
pub trait Classifier {
    /// The classes the machine's outputs stand for, by index.
    fn classes(&self) -> &[String];
    /// How an image becomes the machine's input picture.
    fn retina(&self) -> &RetinaConfig;
    /// The class of one image and the scores behind it (see [`Classifier::scores`]).
    fn classify(&self, image: &GrayImage) -> (usize, Vec<f32>);
    /// The class the machine names for each of `images`.
    fn predict_images(&self, images: &[GrayImage]) -> Vec<usize>;
    /// Confusion matrix on `images` with true `labels`.
    fn evaluate_images(&self, images: &[GrayImage], labels: &[u16]) -> Confusion {
        Confusion::of(self.classes().len(), &self.predict_images(images), labels)
    }
    /// Checks that the parts of a loaded machine fit together; on failure, the field of the
    /// saved machine at fault (`weights`, `network.layers[1].bias`) and what is wrong.
    fn check_consistency(&self) -> Result<(), FieldError>;
    /// One line describing the machine's make-up.
    fn describe(&self) -> String;
    /// What [`Classifier::classify`]'s scores are ("R-units", "probabilities").
    fn scores(&self) -> &'static str;
    /// One score per class from [`Classifier::classify`]'s scores: the MLP's probabilities as
    /// they are, the Mark I's R-unit responses read class by class.
    fn class_scores(&self, scores: &[f32]) -> Vec<f32>;
    /// What a class's score is called in a table's header ("R-unit sum", "probability").
    fn class_score_name(&self) -> &'static str;
    /// The widest side of the retina, in cells.
    fn retina_side(&self) -> u32 {
        let retina = self.retina();
        retina.width.max(retina.height)
    }
}

/// The machine contract, which the Mark I and the MLP both keep: build from a configuration,
/// encode images into the machine's own inputs, train a pass, evaluate. The experiment, the
/// simulation and the command line handle "a machine" through it; a new machine is one new
/// file here that implements it.
pub trait Machine: Classifier + Clone + Send + Sync + Sized + 'static {
    /// The scene's description of a machine of this kind.
    type Config: Clone;
    /// Every image of a set in the form the machine reads it (A-unit activity, input rows).
    type Inputs: Send + Sync;
    /// What training keeps from one pass to the next (the MLP's optimiser state).
    type Trainer: Send + Sync;
    /// The machine's name in reports (`"mark1"`, `"mlp"`).
    const KIND: &'static str;
    /// What it is called in messages ("machine", "network").
    const NOUN: &'static str;
    /// Whether training minimises a loss, so each epoch has a loss and gradient norms.
    const REPORTS_LOSS: bool;

    /// A new machine for `classes` on `retina`, its random parts drawn from `seed`;
    /// `calibration` are images it may tune itself on. Returns notes for the user.
    fn build(
        retina: &RetinaConfig,
        config: &Self::Config,
        classes: Vec<String>,
        seed: u64,
        calibration: &[GrayImage],
    ) -> Result<(Self, Vec<String>), String>;
    /// Every image in the machine's own input form.
    fn encode_all(&self, images: &[GrayImage]) -> Self::Inputs;
    /// Gets ready to train on `train` (already encoded) for `epochs` passes: fits what depends
    /// on the training inputs (and applies it to them), and returns the trainer.
    fn trainer(&mut self, train: &mut Self::Inputs, samples: usize, epochs: usize)
    -> Self::Trainer;
    /// One pass over the inputs in `order`, learning as it goes; `epoch` (from 1) names the
    /// pass if the machine diverges.
    fn train_pass(
        &mut self,
        trainer: &mut Self::Trainer,
        inputs: &Self::Inputs,
        labels: &[u16],
        order: &[usize],
        epoch: usize,
    ) -> Result<Pass, Diverged>;
    /// Confusion matrix on encoded inputs with true `labels`.
    fn evaluate(&self, inputs: &Self::Inputs, labels: &[u16]) -> Confusion;
    /// Mean loss on encoded inputs, for machines trained on a loss.
    fn mean_loss(&self, _inputs: &Self::Inputs, _labels: &[u16]) -> Option<f64> {
        None
    }
    /// Whether training is over after `last`: nothing would move again.
    fn has_converged(&self, _last: &EpochRecord) -> bool {
        false
    }
    /// Facts about the machine, its training inputs and its `history` for `train --json`.
    fn facts(
        &self,
        train: &Self::Inputs,
        history: &[EpochRecord],
    ) -> Vec<(&'static str, serde_json::Value)>;
    /// How the inputs were made, for the report (`seconds` spent making them).
    fn encoding_note(&self, train: &Self::Inputs, seconds: f64) -> String;
}

/// What one training pass counted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pass {
    /// Samples answered wrong before learning from them.
    pub errors: u64,
    /// Presentations after which error correction moved pots (the Mark I).
    pub corrections: Option<u64>,
    /// Mean loss over the pass (the MLP).
    pub loss: Option<f64>,
    /// Mean norm of each layer's weight gradient over the pass, input layer first.
    pub gradient_norms: Vec<f64>,
}

/// Training stopped because the machine left the real numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum Diverged {
    /// The MLP's loss became infinite or NaN at `batch` (counted from 1).
    Loss {
        batch: usize,
        loss: f64,
        learning_rate: f32,
    },
    /// A Mark I potentiometer became infinite or NaN during `epoch` (counted from 1).
    Potentiometer { epoch: usize, learning_rate: f32 },
}

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Diverged::Loss {
                batch,
                loss,
                learning_rate,
            } => write!(
                f,
                "training diverged: the loss became {loss} at batch {batch}; the learning rate {learning_rate} is too large for this network (try {})",
                learning_rate / 10.0
            ),
            Diverged::Potentiometer {
                epoch,
                learning_rate,
            } => write!(
                f,
                "training diverged: a potentiometer left the real numbers in epoch {epoch}; the learning rate {learning_rate} is too large for these pots (try {}, or Stepped potentiometers)",
                learning_rate / 10.0
            ),
        }
    }
}

impl std::error::Error for Diverged {}
