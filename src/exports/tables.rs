//! CSV tables: one row per classified image, per epoch, per cell of a confusion matrix. Each
//! kind of table starts with its own header, which is how a later save knows the file it may
//! replace is one of its own.

use anyhow::{Context, Result};

use crate::files::FileKind;
use crate::nn::metrics::{Confusion, EpochRecord};

/// A table of classifications (`mark1 classify --csv`).
pub const CLASSIFICATIONS: FileKind = FileKind {
    what: "mark1 classification table (CSV)",
    recognise: |head| head.starts_with(b"image,class,"),
};

/// A table of epochs (`mark1 train --history`).
pub const HISTORY: FileKind = FileKind {
    what: "mark1 training history (CSV)",
    recognise: |head| head.starts_with(b"machine,epoch,"),
};

/// A confusion matrix (the window's Export).
pub const CONFUSION: FileKind = FileKind {
    what: "mark1 confusion matrix (CSV)",
    recognise: |head| head.starts_with(b"true class,"),
};

/// One image's answer: where it came from, the class named, and every class's score.
pub struct Classification {
    pub image: String,
    pub class: usize,
    pub scores: Vec<f32>,
}

/// The classifications as CSV: `<what>,class,<scores> <class>...`, one row per image
/// (`what` is "image") or table row ("row", as `file:line`); `scores` says what the numbers
/// are ("R-unit sum" for the Mark I, "probability" for the MLP).
pub fn classifications_csv(
    rows: &[Classification],
    what: &str,
    classes: &[String],
    scores: &str,
) -> Result<Vec<u8>> {
    let mut table = csv::Writer::from_writer(Vec::new());
    let mut header = vec![what.to_string(), "class".to_string()];
    header.extend(classes.iter().map(|c| format!("{scores} {c}")));
    table.write_record(&header)?;
    for row in rows {
        let mut record = vec![row.image.clone(), classes[row.class].clone()];
        record.extend(row.scores.iter().map(|s| s.to_string()));
        table.write_record(&record)?;
    }
    finish(table)
}

/// One epoch of a training history, whatever trained: `None` where the machine has no such
/// number (the Mark I has no loss, the playground counts no errors).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryRow {
    pub epoch: usize,
    pub train_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
    pub errors: Option<u64>,
    pub corrections: Option<u64>,
    pub loss: Option<f64>,
    pub test_loss: Option<f64>,
    pub seconds: Option<f64>,
}

impl From<&EpochRecord> for HistoryRow {
    fn from(record: &EpochRecord) -> Self {
        Self {
            epoch: record.epoch,
            train_accuracy: Some(record.train_accuracy),
            test_accuracy: record.test_accuracy,
            errors: Some(record.errors),
            corrections: record.corrections,
            loss: record.loss,
            test_loss: record.test_loss,
            seconds: Some(record.seconds),
        }
    }
}

impl From<&crate::playground::EpochRecord> for HistoryRow {
    fn from(record: &crate::playground::EpochRecord) -> Self {
        Self {
            epoch: record.epoch,
            train_accuracy: record.train_accuracy,
            test_accuracy: record.test_accuracy,
            loss: Some(record.train_loss),
            test_loss: Some(record.test_loss),
            ..Self::default()
        }
    }
}

/// Training histories as CSV, one row per epoch and machine (`mark1`, `mlp`, `playground`,
/// each with its rows): the accuracies, errors, losses and seconds, an empty cell where the
/// machine has no such number.
pub fn history_csv(machines: &[(&str, &[HistoryRow])]) -> Result<Vec<u8>> {
    let mut table = csv::Writer::from_writer(Vec::new());
    table.write_record([
        "machine",
        "epoch",
        "train_accuracy",
        "test_accuracy",
        "errors",
        "corrections",
        "loss",
        "test_loss",
        "seconds",
    ])?;
    fn cell(value: Option<impl ToString>) -> String {
        value.map_or(String::new(), |v| v.to_string())
    }
    for (kind, row) in machines
        .iter()
        .flat_map(|(kind, rows)| rows.iter().map(move |row| (kind, row)))
    {
        table.write_record([
            kind.to_string(),
            row.epoch.to_string(),
            cell(row.train_accuracy),
            cell(row.test_accuracy),
            cell(row.errors),
            cell(row.corrections),
            cell(row.loss),
            cell(row.test_loss),
            cell(row.seconds),
        ])?;
    }
    finish(table)
}

/// A confusion matrix as CSV: a row per true class, a column per predicted class, counts in
/// the cells.
pub fn confusion_csv(confusion: &Confusion, classes: &[String]) -> Result<Vec<u8>> {
    let mut table = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["true class".to_string()];
    header.extend(classes.iter().map(|c| format!("predicted {c}")));
    table.write_record(&header)?;
    for (class, row) in classes.iter().zip(confusion.rows()) {
        let mut record = vec![class.clone()];
        record.extend(row.iter().map(|n| n.to_string()));
        table.write_record(&record)?;
    }
    finish(table)
}

fn finish(table: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    table.into_inner().context("writing a CSV table")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Vec<Vec<String>> {
        csv::Reader::from_reader(bytes)
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn a_classification_row_reads_back_with_awkward_names_quoted() {
        let classes = vec!["T-shirt/top".to_string(), "say \"hi\", world".to_string()];
        let rows = [Classification {
            image: "odd, name.png".into(),
            class: 1,
            scores: vec![0.25, 0.75],
        }];
        let bytes = classifications_csv(&rows, "image", &classes, "probability").unwrap();
        assert!((CLASSIFICATIONS.recognise)(&bytes));
        let mut reader = csv::Reader::from_reader(&bytes[..]);
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        assert_eq!(header[3], "probability say \"hi\", world");
        assert_eq!(
            read(&bytes),
            [["odd, name.png", "say \"hi\", world", "0.25", "0.75"]]
        );
    }

    #[test]
    fn a_history_leaves_cells_empty_where_the_machine_has_no_number() {
        let record = EpochRecord {
            epoch: 3,
            errors: 17,
            corrections: Some(12),
            train_accuracy: 0.875,
            test_accuracy: None,
            seconds: 0.5,
            loss: None,
            test_loss: None,
            gradient_norms: vec![],
        };
        let bytes = history_csv(&[("mark1", &[HistoryRow::from(&record)])]).unwrap();
        assert!((HISTORY.recognise)(&bytes));
        assert_eq!(
            read(&bytes),
            [["mark1", "3", "0.875", "", "17", "12", "", "", "0.5"]]
        );
    }
}
