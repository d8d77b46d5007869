//! `mark1 train` on a table of features (`--data FILE.csv --label COLUMN`): an MLP trained on
//! the table's standardised columns, with the same table of epochs, report and history as on
//! images.

use anyhow::{Result, bail};
use std::process::ExitCode;

use super::train::{epoch_heading, epoch_row, print_report, progress_bar};
use crate::args::TrainArgs;
use crate::experiment::TableExperiment;
use crate::exports::tables::{self, HistoryRow};
use crate::files::write_atomically;
use crate::model_file::MachineFile;
use crate::nn::Machine;
use crate::nn::mlp_model::MlpModel;
use crate::scene::{MachineConfig, Scene};

pub(super) fn train(scene: Scene, scene_name: &str, args: &TrainArgs) -> Result<ExitCode> {
    let source = scene.data.source.clone();
    let Some(label) = args.label.clone().or_else(|| scene.data.label.clone()) else {
        bail!(
            "{source}: a table of features needs --label COLUMN, the column holding each row's class"
        );
    };
    let config = match scene.kind.machine() {
        Some(MachineConfig::Mlp(config)) => config.clone(),
        _ => bail!(
            "{scene_name}: a table of features trains an MLP, and this scene is not one: use --scene scenes/table.ron (or any MLP scene)"
        ),
    };
    let mut experiment = super::loading::with_loading_bar(args.json, |progress| {
        TableExperiment::prepare(scene, &config, &label, progress)
    })?;
    if !args.json {
        print_heading(&experiment, scene_name, &label);
    }
    let epochs = experiment.scene.training.epochs;
    let bar = progress_bar(epochs as u64, args.json);
    for epoch in 1..=epochs {
        let record = match experiment.run_epoch() {
            Ok(record) => record,
            Err(diverged) => bail!("{scene_name}: epoch {epoch}: {diverged}"),
        };
        bar.inc(1);
        if !args.json {
            bar.suspend(|| println!("{}", epoch_row(&record, true)));
        }
    }
    bar.finish_and_clear();
    if let Some(path) = &args.save {
        let model = experiment.learner.machine.clone();
        let scene = &experiment.scene;
        let history = experiment.history.clone();
        MachineFile::new(&scene.name, scene.seed, &source, model.into(), history).save(path)?;
    }
    if let Some(path) = &args.history {
        let rows: Vec<HistoryRow> = experiment.history.iter().map(HistoryRow::from).collect();
        let bytes = tables::history_csv(&[(MlpModel::KIND, &rows)])?;
        write_atomically(path, &bytes, &tables::HISTORY)?;
    }
    print_report(&experiment.report(), args.json)
}

/// What is about to train, on which table, and the heading of the table of epochs.
fn print_heading(experiment: &TableExperiment, scene_name: &str, label: &str) {
    let scene = &experiment.scene;
    println!("mark1: {} ({scene_name})", scene.name);
    println!(
        "data: {}: {} training and {} test rows, {} feature columns, {} classes (column `{label}`)",
        scene.data.source,
        experiment.train.len(),
        experiment.test.as_ref().map_or(0, |t| t.len()),
        experiment.train.features.len(),
        experiment.train.classes.len()
    );
    let network = &experiment.learner.machine;
    println!(
        "model: {}",
        network.description("on standardised feature columns")
    );
    for note in &experiment.notes {
        println!("note: {note}");
    }
    println!("{}", epoch_heading(true));
}
