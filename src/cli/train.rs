//! `mark1 train`: a scene's machine trained on its images with a table per epoch, a lesson
//! run from its seed, or a playground (see `playground.rs`); the report as text or JSON, the
//! machine and its history of epochs optionally saved.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use crate::args::TrainArgs;
use crate::data::table::is_table_path;
use crate::experiment::{self, Experiment, MachineTask, Overrides, TrainReport};
use crate::exports::tables::{self, HistoryRow};
use crate::files::{check_save_target, write_atomically};
use crate::lessons::Lesson;
use crate::model_file::{MACHINE_FILE, MachineFile, SavedModel};
use crate::nn::Machine;
use crate::nn::metrics::{EpochRecord, fmt_accuracy};
use crate::scene::{Scene, TABLE_SCENE_NAME};

pub(super) fn train(args: TrainArgs) -> Result<ExitCode> {
    // a typo in --save costs a second, not the training
    if let Some(path) = &args.save {
        check_save_target(path, &MACHINE_FILE)?;
    }
    if let Some(path) = &args.history {
        check_save_target(path, &tables::HISTORY)?;
    }
    let (scene, scene_name) = base_scene(&args)?;
    let scene = overrides(&args)
        .apply(scene)
        .with_context(|| scene_name.clone())?;
    if let Some(lesson) = scene.kind.lesson() {
        if args.save.is_some() {
            bail!("{scene_name}: --save writes machines trained on images; a lesson has none");
        }
        if args.history.is_some() {
            bail!(
                "{scene_name}: --history writes one row per epoch of a machine or the playground; a lesson's figures are in --json"
            );
        }
        return run_lesson(&scene, lesson, args.json);
    }
    if let Some(config) = scene.kind.playground() {
        return super::playground::train(&scene, config, &scene_name, &args);
    }
    if is_table_path(Path::new(&scene.data.source)) {
        return super::table::train(scene, &scene_name, &args);
    }
    if args.label.is_some() {
        bail!(
            "{}: --label names the column of classes in a CSV table, and this source is not one",
            scene.data.source
        );
    }
    let quiet = args.json;
    super::loading::with_loading_bar(quiet, |progress| {
        experiment::with_machine_watched(scene, Training { args, scene_name }, progress)
    })
}

/// The scene named, else the built-in one for the data: the table scene for a CSV table, the
/// showcase or the default machine otherwise.
fn base_scene(args: &TrainArgs) -> Result<(Scene, String)> {
    let table = args
        .data
        .as_deref()
        .is_some_and(|d| is_table_path(Path::new(d)));
    match args.scene.is_none() && !args.showcase && table {
        true => Ok((Scene::table_scene(), TABLE_SCENE_NAME.to_string())),
        false => Scene::load_or_builtin(args.scene.as_deref(), args.showcase),
    }
}

/// The flags that change the scene.
fn overrides(args: &TrainArgs) -> Overrides {
    Overrides {
        data: args.data.clone(),
        test: args.test.clone(),
        test_fraction: args.test_fraction,
        epochs: args.epochs,
        seed: args.seed,
        a_units: args.a_units,
        samples_per_class: args.samples_per_class,
        learning_rate: args.learning_rate,
        batch_size: args.batch_size,
        threads: args.threads,
    }
}

/// Training a scene's machine, whichever kind it is.
struct Training {
    args: TrainArgs,
    scene_name: String,
}

impl MachineTask for Training {
    type Output = ExitCode;

    fn run<M: Machine + Into<SavedModel>>(self, mut experiment: Experiment<M>) -> Result<ExitCode> {
        let Training { args, scene_name } = self;
        for note in &experiment.notes {
            eprintln!("note: {note}");
        }
        let quiet = args.json;
        if !quiet {
            print_heading(&experiment, &scene_name);
        }
        let bar = progress_bar(experiment.scene.training.epochs as u64, quiet);
        let outcome = experiment.train(|record: &EpochRecord| {
            bar.inc(1);
            bar.set_message(match record.loss {
                Some(loss) => format!("loss {loss:.4}"),
                None => format!("errors {}", record.errors),
            });
            if !quiet {
                bar.suspend(|| println!("{}", epoch_row(record, M::REPORTS_LOSS)));
            }
        });
        bar.finish_and_clear();
        if let Err(diverged) = outcome {
            bail!(
                "{}: epoch {}: {diverged}",
                scene_name,
                experiment.history.len() + 1
            );
        }
        if let Some(path) = &args.save {
            let scene = &experiment.scene;
            let file = MachineFile::new(
                &scene.name,
                scene.seed,
                &scene.data.source,
                experiment.machine().clone().into(),
                experiment.history.clone(),
            );
            file.save(path)?;
        }
        if let Some(path) = &args.history {
            let rows: Vec<HistoryRow> = experiment.history.iter().map(HistoryRow::from).collect();
            write_atomically(
                path,
                &tables::history_csv(&[(M::KIND, &rows)])?,
                &tables::HISTORY,
            )?;
        }
        print_report(&experiment.report(args.save.as_deref()), args.json)
    }
}

/// The report as one JSON object or as the closing lines of text.
pub(super) fn print_report(report: &TrainReport, json: bool) -> Result<ExitCode> {
    if json {
        // through a JSON value, so the keys come out in order
        let value = serde_json::to_value(report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

/// What is about to train, on what, and the heading of the table of epochs.
fn print_heading<M: Machine>(experiment: &Experiment<M>, scene_name: &str) {
    let test_count = experiment.test.as_ref().map_or(0, |t| t.len());
    println!("mark1: {} ({scene_name})", experiment.scene.name);
    println!(
        "data: {}: {} training and {} test images, {} classes",
        experiment.scene.data.source,
        experiment.train.len(),
        test_count,
        experiment.train.classes.len()
    );
    let machine = experiment.machine();
    println!("model: {}", machine.describe());
    println!(
        "{}",
        machine.encoding_note(&experiment.learner.train_inputs, experiment.encode_seconds)
    );
    println!("{}", epoch_heading(M::REPORTS_LOSS));
}

/// The heading of the table of epochs: losses for a machine trained on a loss, errors for
/// error correction.
pub(super) fn epoch_heading(with_loss: bool) -> String {
    match with_loss {
        true => format!(
            "{:>6} {:>10} {:>10} {:>10} {:>10} {:>10}  gradient norms by layer",
            "epoch", "loss", "test loss", "train acc", "test acc", "seconds"
        ),
        false => format!(
            "{:>6} {:>8} {:>10} {:>10} {:>10}",
            "epoch", "errors", "train acc", "test acc", "seconds"
        ),
    }
}

/// One row of the table of epochs: loss and gradient norms for a machine trained on a loss,
/// errors for error correction.
pub(super) fn epoch_row(record: &EpochRecord, with_loss: bool) -> String {
    if !with_loss {
        return format!(
            "{:>6} {:>8} {:>10} {:>10} {:>10.4}",
            record.epoch,
            record.errors,
            fmt_accuracy(Some(record.train_accuracy)),
            fmt_accuracy(record.test_accuracy),
            record.seconds
        );
    }
    let norms: Vec<String> = record
        .gradient_norms
        .iter()
        .map(|n| format!("{n:.2e}"))
        .collect();
    format!(
        "{:>6} {:>10.4} {:>10} {:>10} {:>10} {:>10.3}  {}",
        record.epoch,
        record.loss.unwrap_or(f64::NAN),
        record.test_loss.map_or("-".into(), |l| format!("{l:.4}")),
        fmt_accuracy(Some(record.train_accuracy)),
        fmt_accuracy(record.test_accuracy),
        record.seconds,
        norms.join(" ")
    )
}

pub(super) fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30.cyan/blue} epoch {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn run_lesson(scene: &Scene, lesson: &Lesson, json: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let report = lesson.run(scene.seed);
    if json {
        let value = json!({
            "scene": scene.name,
            "lesson": report.title,
            "seed": scene.seed,
            "seconds": started.elapsed().as_secs_f64(),
            "figures": report.figures,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("mark1 lesson: {}", report.title);
        for line in &report.lines {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
