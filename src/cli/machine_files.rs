//! `mark1 eval`, `mark1 classify` and `mark1 weights`: a saved machine, whatever its kind, on
//! new images, and its tensors for other tools.

use anyhow::{Result, anyhow, bail};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::args::{ClassifyArgs, EvalArgs, WeightsArgs};
use crate::data::table::{is_table_path, read_table};
use crate::data::{self, LoadOptions, folder};
use crate::exports::misclassified::{check_target, write_misclassified};
use crate::exports::tables::{self, Classification};
use crate::exports::weights;
use crate::files::{check_save_target, write_atomically};
use crate::model_file::{MachineFile, SavedModel};
use crate::nn::metrics::Confusion;
use crate::nn::mlp_model::{MlpModel, TableColumns};

pub(super) fn eval(args: EvalArgs) -> Result<ExitCode> {
    if let Some(dir) = &args.misclassified {
        check_target(dir)?;
    }
    let file = MachineFile::load(&args.load)?;
    let evaluated = match table_network(&file) {
        Some((model, columns)) => eval_on_table(&args, model, columns)?,
        None => eval_on_images(&args, &file)?,
    };
    print_evaluation(&args, &file, &evaluated)?;
    Ok(ExitCode::SUCCESS)
}

/// What `eval` measured: the confusion matrix over `count` samples, images or table rows.
struct Evaluated {
    confusion: Confusion,
    count: usize,
    /// "images" or "rows".
    samples: &'static str,
    seconds: f64,
    copied: Option<usize>,
}

/// The network in `file` and the table it learned, when it learned a table.
fn table_network(file: &MachineFile) -> Option<(&MlpModel, &TableColumns)> {
    match &file.model {
        SavedModel::Mlp(model) => model.columns.as_ref().map(|columns| (model, columns)),
        SavedModel::Mark1(_) => None,
    }
}

/// Why a network that learned a table cannot take pictures.
fn reads_rows_not_images(args_load: &Path, columns: &TableColumns) -> anyhow::Error {
    anyhow!(
        "{}: a network trained on {} (classes in `{}`) reads rows of a table, not images: give it a CSV with those columns (`mark1 eval --load {} --data TABLE.csv`)",
        args_load.display(),
        columns.listed(),
        columns.label,
        args_load.display()
    )
}

fn eval_on_images(args: &EvalArgs, file: &MachineFile) -> Result<Evaluated> {
    let machine = file.model.machine();
    let split = super::loading::with_loading_bar(args.json, |progress| {
        let options = LoadOptions {
            progress: progress.clone(),
            ..LoadOptions::for_retina(
                args.seed.unwrap_or(file.seed.wrapping_add(1)),
                None,
                machine.retina_side(),
            )
        };
        data::load(&args.data, &options)
    })?;
    for warning in &split.warnings {
        eprintln!("warning: {warning}");
    }
    let classes = machine.classes().to_vec();
    let set = split
        .test
        .unwrap_or(split.train)
        .aligned_to(&classes, &args.data)?;
    let started = Instant::now();
    let predicted = machine.predict_images(&set.images);
    let confusion = Confusion::of(classes.len(), &predicted, &set.labels);
    let seconds = started.elapsed().as_secs_f64();
    let copied = match &args.misclassified {
        Some(dir) => Some(write_misclassified(&set, &predicted, dir)?),
        None => None,
    };
    Ok(Evaluated {
        confusion,
        count: set.len(),
        samples: "images",
        seconds,
        copied,
    })
}

/// Every row of the table `--data` names, its columns matched to the network's by name and
/// standardised as its training rows were.
fn eval_on_table(args: &EvalArgs, model: &MlpModel, columns: &TableColumns) -> Result<Evaluated> {
    if !is_table_path(Path::new(&args.data)) {
        return Err(reads_rows_not_images(&args.load, columns));
    }
    if args.misclassified.is_some() {
        bail!(
            "{}: --misclassified copies pictures, and a table has none (this network reads rows of {})",
            args.load.display(),
            args.data
        );
    }
    let table = super::loading::with_loading_bar(args.json, |progress| {
        read_table(Path::new(&args.data), &columns.label, progress)
    })?;
    let table = table.aligned_to(&columns.features, &model.classes, &args.data)?;
    let started = Instant::now();
    let inputs = table.standardised(&columns.means, &columns.deviations);
    let confusion = model.evaluate(&inputs, &table.labels);
    Ok(Evaluated {
        confusion,
        count: table.len(),
        samples: "rows",
        seconds: started.elapsed().as_secs_f64(),
        copied: None,
    })
}

fn print_evaluation(args: &EvalArgs, file: &MachineFile, evaluated: &Evaluated) -> Result<()> {
    let machine = file.model.machine();
    let classes = machine.classes();
    let confusion = &evaluated.confusion;
    if args.json {
        let value = json!({
            "machine": args.load.display().to_string(),
            "data": args.data,
            evaluated.samples: evaluated.count,
            "classes": classes,
            "accuracy": confusion.accuracy(),
            "test_accuracy": confusion.accuracy(),
            "per_class_accuracy": confusion.per_class_accuracy(),
            "confusion": confusion.rows(),
            "seconds": evaluated.seconds,
            "misclassified_written": evaluated.copied,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("model: {} ({})", args.load.display(), machine.describe());
    println!(
        "accuracy {:.4} ({}/{}) on {} {} of {}",
        confusion.accuracy(),
        confusion.correct(),
        confusion.total(),
        evaluated.count,
        evaluated.samples,
        args.data
    );
    for line in confusion.table(classes, &format!("these {}", evaluated.samples)) {
        println!("{line}");
    }
    if let (Some(dir), Some(copied)) = (&args.misclassified, evaluated.copied) {
        println!(
            "{copied} misclassified image(s) copied into {}/<true class>/<predicted class>/",
            dir.display()
        );
    }
    Ok(())
}

/// The picture files `named` (folders searched), and how many names were refused with a
/// line on standard error: an empty folder, a missing file, a CSV table.
fn pictures_named(named: &[PathBuf]) -> Result<(Vec<PathBuf>, usize)> {
    let mut failures = 0;
    let mut candidates = Vec::new();
    for path in named {
        if !path.is_dir() {
            candidates.push(path.clone());
            continue;
        }
        let found = folder::image_files_under(path)?;
        if found.is_empty() {
            eprintln!("error: {}: no image files in this folder", path.display());
            failures += 1;
        }
        candidates.extend(found);
    }
    let mut pictures = Vec::new();
    for path in candidates {
        if !path.is_file() {
            eprintln!("error: {}: no such image file", path.display());
        } else if crate::data::table::is_table_path(&path) {
            eprintln!(
                "error: {}: a table of features, not images: classify reads pictures",
                path.display()
            );
        } else {
            pictures.push(path);
            continue;
        }
        failures += 1;
    }
    Ok((pictures, failures))
}

pub(super) fn classify(args: ClassifyArgs) -> Result<ExitCode> {
    if let Some(path) = &args.csv {
        check_save_target(path, &tables::CLASSIFICATIONS)?;
    }
    let file = MachineFile::load(&args.load)?;
    if let Some((_, columns)) = table_network(&file) {
        return Err(reads_rows_not_images(&args.load, columns));
    }
    let machine = file.model.machine();
    let classes = machine.classes();
    let output_name = machine.scores();
    let mut answers = Vec::new();
    let mut rows = Vec::new();
    let (images, mut failures) = pictures_named(&args.images)?;
    for path in &images {
        match folder::read_image(path, data::kept_side(machine.retina_side())) {
            Ok(image) => {
                let (class, outputs) = machine.classify(&image);
                if !args.json {
                    let values: Vec<String> = outputs.iter().map(|r| format!("{r:+.3}")).collect();
                    println!(
                        "{}: {}  ({output_name}: {})",
                        path.display(),
                        classes[class],
                        values.join(" ")
                    );
                }
                answers.push(json!({
                    "image": path.display().to_string(),
                    "class": classes[class],
                    "class_index": class,
                    "outputs": outputs,
                }));
                rows.push(Classification {
                    image: path.display().to_string(),
                    class,
                    scores: machine.class_scores(&outputs),
                });
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                failures += 1;
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "results": answers, "failed": failures }))?
        );
    }
    if let Some(path) = args.csv.as_ref().filter(|_| !rows.is_empty()) {
        let bytes = tables::classifications_csv(&rows, classes, machine.class_score_name())?;
        write_atomically(path, &bytes, &tables::CLASSIFICATIONS)?;
        eprintln!("wrote {} row(s) to {}", rows.len(), path.display());
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub(super) fn weights(args: WeightsArgs) -> Result<ExitCode> {
    check_save_target(&args.out, &weights::WEIGHTS)?;
    let file = MachineFile::load(&args.load)?;
    let bytes = weights::safetensors_bytes(&file.model)?;
    write_atomically(&args.out, &bytes, &weights::WEIGHTS)?;
    let (tensors, _) = weights::tensors(&file.model);
    println!("{}: {} tensors", args.out.display(), tensors.len());
    for tensor in &tensors {
        println!("  {} {:?} {:?}", tensor.name, tensor.dtype, tensor.shape);
    }
    Ok(ExitCode::SUCCESS)
}
