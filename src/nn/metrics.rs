//! Accuracy, per-class accuracy, the confusion matrix and the per-epoch learning history.

use serde::{Deserialize, Serialize};

/// Counts of (true class, predicted class): `counts[truth * classes + predicted]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub classes: usize,
    pub counts: Vec<u64>,
}

impl Confusion {
    pub fn new(classes: usize) -> Self {
        Self {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Records one answer.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth * self.classes + predicted] += 1;
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn correct(&self) -> u64 {
        (0..self.classes)
            .map(|c| self.counts[c * self.classes + c])
            .sum()
    }

    /// Fraction answered correctly (0 when empty).
    pub fn accuracy(&self) -> f64 {
        let total = self.total();
        if total == 0 {
            0.0
        } else {
            self.correct() as f64 / total as f64
        }
    }

    /// For each true class, the fraction of its images answered correctly (`None` if it had none).
    pub fn per_class_accuracy(&self) -> Vec<Option<f64>> {
        (0..self.classes)
            .map(|c| {
                let row = &self.counts[c * self.classes..(c + 1) * self.classes];
                let n: u64 = row.iter().sum();
                (n > 0).then(|| row[c] as f64 / n as f64)
            })
            .collect()
    }

    /// The matrix as rows of true classes.
    pub fn rows(&self) -> Vec<Vec<u64>> {
        self.counts
            .chunks(self.classes.max(1))
            .map(<[u64]>::to_vec)
            .collect()
    }
}

/// One epoch of training: errors during the pass, then accuracy measured after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    /// Presentations answered wrongly during the epoch (before each correction).
    pub errors: u64,
    /// Presentations after which error correction moved an R-unit's pots (the Mark I).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrections: Option<u64>,
    pub train_accuracy: f64,
    pub test_accuracy: Option<f64>,
    /// Time spent in the training pass itself.
    pub seconds: f64,
    /// Mean training loss during the pass (the MLP; the Mark I has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// Mean loss on the test images after the pass (the MLP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// Mean norm of each layer's weight gradient during the pass, input layer first (the MLP).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gradient_norms: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_and_per_class_from_counts() {
        let mut confusion = Confusion::new(3);
        for (truth, predicted) in [(0, 0), (0, 0), (0, 1), (1, 1), (2, 0)] {
            confusion.add(truth, predicted);
        }
        assert_eq!(confusion.accuracy(), 3.0 / 5.0);
        assert_eq!(
            confusion.per_class_accuracy(),
            vec![Some(2.0 / 3.0), Some(1.0), Some(0.0)]
        );
        assert_eq!(confusion.rows()[0], vec![2, 1, 0]);
        assert_eq!(Confusion::new(2).per_class_accuracy(), vec![None, None]);
    }
}
