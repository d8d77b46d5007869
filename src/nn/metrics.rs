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

    /// The confusion of `predicted` classes against the true `labels`, over `classes` classes.
    pub fn of(classes: usize, predicted: &[usize], labels: &[u16]) -> Self {
        let mut confusion = Self::new(classes);
        for (&guess, &truth) in predicted.iter().zip(labels) {
            confusion.add(truth as usize, guess);
        }
        confusion
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

/// An accuracy as the reports print it: four decimals, or `-` when there is none.
pub fn fmt_accuracy(a: Option<f64>) -> String {
    a.map_or("-".to_string(), |a| format!("{a:.4}"))
}

impl Confusion {
    /// Per-class accuracy and the matrix as text (rows: true class, columns: answer), one
    /// line each; beyond 40 classes only the per-class accuracy.
    pub fn table(&self, classes: &[String], heading: &str) -> Vec<String> {
        let n = classes.len();
        let per_class = self.per_class_accuracy();
        if n > 40 {
            let mut lines = vec![format!("per-class accuracy on {heading}:")];
            for (name, accuracy) in classes.iter().zip(&per_class) {
                lines.push(format!("  {name:<20} {}", fmt_accuracy(*accuracy)));
            }
            lines.push(format!("({n} classes: the confusion matrix is in --json)"));
            return lines;
        }
        let largest = self.counts.iter().copied().max().unwrap_or(0);
        let width = largest.to_string().len().max(n.to_string().len()) + 1;
        let name_width = classes
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(1)
            .min(14);
        let mut lines = vec![format!(
            "confusion matrix on {heading} (rows: true class, columns: answer; last: accuracy)"
        )];
        let mut header = format!("{:>w$}", "", w = name_width + 4);
        for c in 0..n {
            header.push_str(&format!("{c:>width$}"));
        }
        lines.push(format!("{header}   acc"));
        for (c, row) in self.rows().iter().enumerate() {
            let name: String = classes[c].chars().take(name_width).collect();
            let mut line = format!("{c:>2} {name:<name_width$} ");
            for count in row {
                line.push_str(&format!("{count:>width$}"));
            }
            lines.push(format!("{line}  {}", fmt_accuracy(per_class[c])));
        }
        lines
    }
}

/// One epoch of training: errors during the pass, then accuracy measured after it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
