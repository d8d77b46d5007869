//! An MLP trained on a table of features (a CSV file from other tools): each column
//! standardised by the training rows, then the same learner, epochs and report as on images.

use anyhow::{Result, anyhow, bail};
use std::path::Path;
use std::time::Instant;

use super::{Learner, TrainReport, Trained, presentation_order};
use crate::data::progress::Progress;
use crate::data::split_indices_by_class;
use crate::data::table::{FeatureTable, read_table};
use crate::nn::Diverged;
use crate::nn::metrics::EpochRecord;
use crate::nn::mlp::MlpConfig;
use crate::nn::mlp_model::{MlpModel, TableColumns};
use crate::nn::retina::RetinaConfig;
use crate::scene::Scene;
use crate::seeds::{MachineRng, Stream, rng_for};

/// A network ready to learn a table: its rows standardised, its history of epochs.
pub struct TableExperiment {
    pub scene: Scene,
    pub learner: Learner<MlpModel>,
    pub train: FeatureTable,
    pub test: Option<FeatureTable>,
    /// Each feature column's mean and deviation over the training rows, which every row was
    /// standardised by.
    pub means: Vec<f32>,
    pub deviations: Vec<f32>,
    pub notes: Vec<String>,
    pub encode_seconds: f64,
    pub history: Vec<EpochRecord>,
    order_rng: MachineRng,
}

/// The scene's table (and its test table, or a split of it), classes read from `label`.
pub fn load_tables(
    scene: &Scene,
    label: &str,
    progress: &Progress,
) -> Result<(FeatureTable, Option<FeatureTable>)> {
    let source = &scene.data.source;
    let table = read_table(Path::new(source), label, progress)?;
    let (train, test) = match &scene.data.test {
        Some(test_source) => {
            let test = read_table(Path::new(test_source), label, progress)?;
            let test = test.aligned_to(&table.features, &table.classes, test_source)?;
            (table, Some(test))
        }
        None if scene.data.test_fraction > 0.0 => {
            let (train, test) = split_indices_by_class(
                &table.labels,
                table.classes.len(),
                scene.data.test_fraction,
                scene.seed,
            );
            let test = (!test.is_empty()).then(|| table.subset(&test));
            (table.subset(&train), test)
        }
        None => (table, None),
    };
    if train.classes.len() < 2 {
        bail!(
            "{source}: column `{label}` names {} class(es); learning needs at least two",
            train.classes.len()
        );
    }
    Ok((train, test))
}

impl TableExperiment {
    /// Reads the scene's table with classes from column `label` and builds the network
    /// `config` describes, its input one unit per feature column.
    pub fn prepare(
        scene: Scene,
        config: &MlpConfig,
        label: &str,
        progress: &Progress,
    ) -> Result<Self> {
        let (train, test) = load_tables(&scene, label, progress)?;
        Self::build(scene, config, label, train, test)
    }

    /// The network for tables already read: the columns are standardised here, so the
    /// network's own (one mean for every input) standardisation is left off.
    pub fn build(
        scene: Scene,
        config: &MlpConfig,
        label: &str,
        train: FeatureTable,
        test: Option<FeatureTable>,
    ) -> Result<Self> {
        let started = Instant::now();
        let inputs = RetinaConfig {
            width: train.features.len() as u32,
            height: 1,
            ..RetinaConfig::default()
        };
        let config = MlpConfig {
            standardize: false,
            ..config.clone()
        };
        let mut model = MlpModel::build(&inputs, &config, train.classes.clone(), scene.seed)
            .map_err(|m| anyhow!("building the network: {m}"))?;
        let (means, deviations) = train.column_statistics();
        model.columns = Some(TableColumns {
            features: train.features.clone(),
            label: label.to_string(),
            means: means.clone(),
            deviations: deviations.clone(),
        });
        let train_inputs = train.standardised(&means, &deviations);
        let test_inputs = test.as_ref().map(|t| t.standardised(&means, &deviations));
        let epochs = scene.training.epochs;
        let learner = Learner::from_inputs(model, train_inputs, test_inputs, train.len(), epochs);
        let notes = vec![format!(
            "{} feature columns, each standardised to mean 0 and deviation 1 over the {} training rows",
            train.features.len(),
            train.len()
        )];
        Ok(Self {
            order_rng: rng_for(scene.seed, Stream::TrainingOrder),
            scene,
            learner,
            train,
            test,
            means,
            deviations,
            notes,
            encode_seconds: started.elapsed().as_secs_f64(),
            history: Vec::new(),
        })
    }

    /// One epoch: a pass over the training rows (shuffled if the scene says so), then
    /// accuracy and loss on the training and test rows.
    pub fn run_epoch(&mut self) -> Result<EpochRecord, Diverged> {
        let shuffle = self.scene.training.shuffle;
        let order = presentation_order(self.train.len(), shuffle, &mut self.order_rng);
        let epoch = self.history.len() + 1;
        let test_labels = self.test.as_ref().map(|t| t.labels.as_slice());
        let record = self
            .learner
            .epoch(&self.train.labels, test_labels, &order, epoch)?;
        self.history.push(record.clone());
        Ok(record)
    }

    /// The report of the training so far.
    pub fn report(&self) -> TrainReport {
        let learner = &self.learner;
        let trained = Trained {
            scene: &self.scene,
            machine: &learner.machine,
            train_inputs: &learner.train_inputs,
            history: &self.history,
            classes: &self.train.classes,
            counts: (self.train.len(), self.test.as_ref().map_or(0, |t| t.len())),
            train_confusion: learner.train_confusion(&self.train.labels),
            test_confusion: learner
                .test_inputs
                .as_ref()
                .zip(self.test.as_ref())
                .map(|(inputs, test)| learner.machine.evaluate(inputs, &test.labels)),
            converged: false,
            encode_seconds: self.encode_seconds,
            notes: &self.notes,
            samples: "rows",
        };
        TrainReport::of(trained, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::mlp::LayerConfig;

    /// Two classes that differ only in a column a thousand times larger than the other:
    /// unstandardised, the large column would swamp the small one.
    fn separable_table(rows: usize) -> FeatureTable {
        let mut table = FeatureTable {
            features: vec!["noise".into(), "signal".into()],
            classes: vec!["low".into(), "high".into()],
            ..Default::default()
        };
        for k in 0..rows {
            let class = k % 2;
            let noise = ((k * 7919) % 1000) as f32;
            let signal = class as f32 * 0.01 + ((k * 31) % 5) as f32 * 0.001;
            table.values.extend([noise * 1000.0, signal]);
            table.labels.push(class as u16);
        }
        table
    }

    fn small_config() -> MlpConfig {
        let mut config = MlpConfig {
            hidden: vec![LayerConfig {
                units: 8,
                activation: crate::nn::activation::Activation::Relu,
            }],
            ..MlpConfig::default()
        };
        config.optimizer.learning_rate = 0.1;
        config.optimizer.batch_size = 8;
        config
    }

    #[test]
    fn the_network_learns_a_small_column_beside_a_huge_one_and_repeats_itself() {
        let mut scene = Scene::default_scene();
        scene.training.epochs = 30;
        let run = || {
            let table = separable_table(200);
            let (train, test) = split_indices_by_class(&table.labels, 2, 0.25, 1);
            let (train, test) = (table.subset(&train), table.subset(&test));
            let mut experiment =
                TableExperiment::build(scene.clone(), &small_config(), "class", train, Some(test))
                    .unwrap();
            for _ in 0..30 {
                experiment.run_epoch().unwrap();
            }
            experiment.report()
        };
        let report = run();
        assert_eq!(report.train_images, 150);
        assert_eq!(report.test_images, 50);
        assert!(
            report.test_accuracy.unwrap() > 0.95,
            "{:?}",
            report.test_accuracy
        );
        // same seed, same numbers (all but the seconds)
        let again = run();
        let figures = |r: &TrainReport| -> Vec<(f64, Option<f64>, Option<f64>)> {
            let history = r.history.iter();
            history
                .map(|e| (e.train_accuracy, e.test_accuracy, e.loss))
                .collect()
        };
        assert_eq!(figures(&report), figures(&again));
    }

    #[test]
    fn each_column_is_standardised_by_the_training_rows_alone() {
        let train = separable_table(10);
        let mut test = separable_table(4);
        test.values[0] = 5e6;
        let experiment = TableExperiment::build(
            Scene::default_scene(),
            &small_config(),
            "class",
            train.clone(),
            Some(test),
        )
        .unwrap();
        let (means, deviations) = train.column_statistics();
        assert_eq!(experiment.means, means);
        assert_eq!(experiment.deviations, deviations);
        // the network keeps them, to read new rows the same way
        let columns = experiment.learner.machine.columns.as_ref().unwrap();
        assert_eq!(
            (&columns.features, columns.label.as_str()),
            (&train.features, "class")
        );
        assert_eq!((&columns.means, &columns.deviations), (&means, &deviations));
        let inputs = experiment.learner.test_inputs.as_ref().unwrap();
        assert_eq!(inputs[0], (5e6 - means[0]) / deviations[0]);
        assert!(!experiment.learner.machine.config.standardize);
    }
}
