//! `mark1 eval`, `mark1 classify` and `mark1 weights`: a saved machine, whatever its kind, on
//! new images, and its tensors for other tools.

use anyhow::{Result, anyhow, bail};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::args::{ClassifyArgs, EvalArgs, WeightsArgs};
use crate::data::table::{is_table_path, read_rows, read_table};
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

/// The images `source` names, fitted to the machine's retina, with a loading bar (unless
/// `json`) and a warning line for each file skipped; a generated set is drawn from `seed`,
/// by default the machine's seed + 1, so its images are new to the machine.
fn images_for(
    file: &MachineFile,
    source: &str,
    seed: Option<u64>,
    json: bool,
) -> Result<data::DataSplit> {
    let machine = file.model.machine();
    let split = super::loading::with_loading_bar(json, |progress| {
        let options = LoadOptions {
            progress: progress.clone(),
            ..LoadOptions::for_retina(
                seed.unwrap_or(file.seed.wrapping_add(1)),
                None,
                machine.retina_side(),
            )
        };
        data::load(source, &options)
    })?;
    for warning in &split.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(split)
}

fn eval_on_images(args: &EvalArgs, file: &MachineFile) -> Result<Evaluated> {
    let machine = file.model.machine();
    let split = images_for(file, &args.data, args.seed, args.json)?;
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
    let machine = file.model.machine();
    let mut answers = Answers::new(args.json, machine);
    let failures = match table_network(&file) {
        Some((model, columns)) => classify_rows(&args, model, columns, &mut answers)?,
        None => classify_images(&args, &file, &mut answers)?,
    };
    answers.finish(&args, failures)
}

/// What classify answered, printed as it goes (unless `--json`) and gathered for the JSON
/// and the CSV.
struct Answers<'a> {
    json: bool,
    machine: &'a dyn crate::nn::Classifier,
    /// "image", or "row" for a table's rows.
    what: &'static str,
    values: Vec<serde_json::Value>,
    rows: Vec<Classification>,
}

impl<'a> Answers<'a> {
    fn new(json: bool, machine: &'a dyn crate::nn::Classifier) -> Self {
        Self {
            json,
            machine,
            what: "image",
            values: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// The machine's answer for `item` (an image's path, or a table row as `file:line`).
    fn add(&mut self, item: String, class: usize, outputs: Vec<f32>) {
        let classes = self.machine.classes();
        if !self.json {
            let values: Vec<String> = outputs.iter().map(|r| format!("{r:+.3}")).collect();
            let scores = self.machine.scores();
            println!(
                "{item}: {}  ({scores}: {})",
                classes[class],
                values.join(" ")
            );
        }
        self.values.push(json!({
            self.what: item,
            "class": classes[class],
            "class_index": class,
            "outputs": outputs,
        }));
        self.rows.push(Classification {
            image: item,
            class,
            scores: self.machine.class_scores(&outputs),
        });
    }

    /// The JSON and the CSV; a non-zero exit when anything named could not be classified.
    fn finish(self, args: &ClassifyArgs, failures: usize) -> Result<ExitCode> {
        if self.json {
            let all = json!({ "results": self.values, "failed": failures });
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        if let Some(path) = args.csv.as_ref().filter(|_| !self.rows.is_empty()) {
            let (classes, scores) = (self.machine.classes(), self.machine.class_score_name());
            let bytes = tables::classifications_csv(&self.rows, self.what, classes, scores)?;
            write_atomically(path, &bytes, &tables::CLASSIFICATIONS)?;
            eprintln!("wrote {} row(s) to {}", self.rows.len(), path.display());
        }
        Ok(if failures == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// Each picture named (folders searched); returns how many could not be classified.
fn classify_images(
    args: &ClassifyArgs,
    file: &MachineFile,
    answers: &mut Answers,
) -> Result<usize> {
    let machine = file.model.machine();
    let (images, mut failures) = pictures_named(&args.images)?;
    for path in &images {
        match folder::read_image(path, data::kept_side(machine.retina_side())) {
            Ok(image) => {
                let (class, outputs) = machine.classify(&image);
                answers.add(path.display().to_string(), class, outputs);
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                failures += 1;
            }
        }
    }
    Ok(failures)
}

/// Every row of each table named, read by the network's column names and standardised as
/// its training rows were; returns how many files could not be read.
fn classify_rows(
    args: &ClassifyArgs,
    model: &MlpModel,
    columns: &TableColumns,
    answers: &mut Answers,
) -> Result<usize> {
    answers.what = "row";
    let mut failures = 0;
    let width = columns.features.len();
    for path in &args.images {
        if !is_table_path(path) {
            let refused = reads_rows_not_images(&args.load, columns);
            eprintln!("error: {}: {refused:#}", path.display());
            failures += 1;
            continue;
        }
        match read_rows(path, &columns.features, &Default::default()) {
            Ok((mut values, lines)) => {
                columns.standardise(&mut values);
                for (row, line) in values.chunks_exact(width).zip(lines) {
                    let (class, outputs) = model.classify_input(row);
                    answers.add(format!("{}:{line}", path.display()), class, outputs);
                }
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                failures += 1;
            }
        }
    }
    Ok(failures)
}

pub(super) fn weights(args: WeightsArgs) -> Result<ExitCode> {
    check_save_target(&args.out, &weights::WEIGHTS)?;
    let file = MachineFile::load(&args.load)?;
    let activity = match &args.data {
        Some(source) => a_unit_activity(&args, &file, source)?,
        None => Vec::new(),
    };
    let (mut tensors, _) = weights::tensors(&file.model);
    tensors.extend(activity.iter().cloned());
    let bytes = weights::safetensors_bytes(&file.model, activity)?;
    write_atomically(&args.out, &bytes, &weights::WEIGHTS)?;
    println!("{}: {} tensors", args.out.display(), tensors.len());
    for tensor in &tensors {
        println!("  {} {:?} {:?}", tensor.name, tensor.dtype, tensor.shape);
    }
    Ok(ExitCode::SUCCESS)
}

/// The A-unit activity of the images `source` names, training and test parts, for `weights`.
fn a_unit_activity(
    args: &WeightsArgs,
    file: &MachineFile,
    source: &str,
) -> Result<Vec<weights::Tensor>> {
    let SavedModel::Mark1(machine) = &file.model else {
        bail!(
            "{}: --data writes the A-units' activity, and this is an MLP, which has no A-units",
            args.load.display()
        );
    };
    let split = images_for(file, source, args.seed, false)?;
    let train = split.train.aligned_to(&machine.classes, source)?;
    let mut tensors = weights::activity_tensors(machine, "train", &train);
    if let Some(test) = split.test {
        let test = test.aligned_to(&machine.classes, source)?;
        tensors.extend(weights::activity_tensors(machine, "test", &test));
    }
    Ok(tensors)
}
