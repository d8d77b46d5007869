//! `mark1 eval`, `mark1 classify` and `mark1 weights`: a saved machine, whatever its kind, on
//! new images, and its tensors for other tools.

use anyhow::Result;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::args::{ClassifyArgs, EvalArgs, WeightsArgs};
use crate::data::{self, LoadOptions, folder};
use crate::exports::misclassified::{check_target, write_misclassified};
use crate::exports::tables::{self, Classification};
use crate::exports::weights;
use crate::files::{check_save_target, write_atomically};
use crate::model_file::MachineFile;
use crate::nn::metrics::Confusion;

pub(super) fn eval(args: EvalArgs) -> Result<ExitCode> {
    if let Some(dir) = &args.misclassified {
        check_target(dir)?;
    }
    let file = MachineFile::load(&args.load)?;
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
    if args.json {
        let value = json!({
            "machine": args.load.display().to_string(),
            "data": args.data,
            "images": set.len(),
            "classes": classes,
            "accuracy": confusion.accuracy(),
            "test_accuracy": confusion.accuracy(),
            "per_class_accuracy": confusion.per_class_accuracy(),
            "confusion": confusion.rows(),
            "seconds": seconds,
            "misclassified_written": copied,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("model: {} ({})", args.load.display(), machine.describe());
        println!(
            "accuracy {:.4} ({}/{}) on {} images of {}",
            confusion.accuracy(),
            confusion.correct(),
            confusion.total(),
            set.len(),
            args.data
        );
        for line in confusion.table(&classes, "these images") {
            println!("{line}");
        }
        if let (Some(dir), Some(copied)) = (&args.misclassified, copied) {
            println!(
                "{copied} misclassified image(s) copied into {}/<true class>/<predicted class>/",
                dir.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
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
