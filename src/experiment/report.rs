//! What `mark1 train` reports: one value, printed as text or serialized as JSON.

use serde::Serialize;
use std::path::Path;

use super::Experiment;
use crate::nn::Machine;
use crate::nn::metrics::{Confusion, EpochRecord};
use crate::scene::Scene;

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
    /// What the samples are called in the text ("images", "rows").
    #[serde(skip)]
    samples: &'static str,
    #[serde(skip)]
    train_confusion: Confusion,
    #[serde(skip)]
    test_confusion: Option<Confusion>,
}

/// What a report is made of, whatever the machine learned from (images or a table).
pub struct Trained<'a, M: Machine> {
    pub scene: &'a Scene,
    pub machine: &'a M,
    pub train_inputs: &'a M::Inputs,
    pub history: &'a [EpochRecord],
    pub classes: &'a [String],
    /// How many (training, test) samples there were.
    pub counts: (usize, usize),
    pub train_confusion: Confusion,
    pub test_confusion: Option<Confusion>,
    pub converged: bool,
    pub encode_seconds: f64,
    pub notes: &'a [String],
    /// What the samples are called in the text ("images", "rows").
    pub samples: &'static str,
}

impl TrainReport {
    /// The report of what was trained, saved at `saved` if it was.
    pub fn of<M: Machine>(trained: Trained<'_, M>, saved: Option<&Path>) -> TrainReport {
        let Trained {
            scene,
            machine,
            train_confusion,
            test_confusion,
            ..
        } = trained;
        let shown = test_confusion.as_ref().unwrap_or(&train_confusion);
        let facts = machine.facts(trained.train_inputs, trained.history);
        TrainReport {
            scene: scene.name.clone(),
            model: M::KIND,
            data: scene.data.source.clone(),
            seed: scene.seed,
            classes: trained.classes.to_vec(),
            epochs: trained.history.len(),
            converged: trained.converged,
            train_images: trained.counts.0,
            test_images: trained.counts.1,
            train_accuracy: train_confusion.accuracy(),
            test_accuracy: test_confusion.as_ref().map(Confusion::accuracy),
            train_seconds: trained.history.iter().map(|r| r.seconds).sum(),
            encode_seconds: trained.encode_seconds,
            confusion: shown.rows(),
            confusion_of: if test_confusion.is_some() {
                "test"
            } else {
                "train"
            },
            per_class_accuracy: shown.per_class_accuracy(),
            history: trained.history.to_vec(),
            notes: trained.notes.to_vec(),
            saved: saved.map(|p| p.display().to_string()),
            machine: facts
                .into_iter()
                .map(|(key, value)| (key.to_string(), value))
                .collect(),
            samples: trained.samples,
            train_confusion,
            test_confusion,
        }
    }
}

impl<M: Machine> Experiment<M> {
    /// The report of the experiment as it stands, saved at `saved` if it was.
    pub fn report(&self, saved: Option<&Path>) -> TrainReport {
        let trained = Trained {
            scene: &self.scene,
            machine: self.machine(),
            train_inputs: &self.learner.train_inputs,
            history: &self.history,
            classes: &self.train.classes,
            counts: (self.train.len(), self.test.as_ref().map_or(0, |t| t.len())),
            train_confusion: self.train_confusion(),
            test_confusion: self.test_confusion(),
            converged: self.converged(),
            encode_seconds: self.encode_seconds,
            notes: &self.notes,
            samples: "images",
        };
        TrainReport::of(trained, saved)
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
            Some(test) => (test, format!("test {}", self.samples)),
            None => (train, format!("training {}", self.samples)),
        };
        for line in shown.table(&self.classes, &heading) {
            writeln!(f, "{line}")?;
        }
        if let Some(path) = &self.saved {
            writeln!(f, "saved the trained model to {path}")?;
        }
        Ok(())
    }
}
