//! The command line: the window (no subcommand) and the headless `train`, `eval`, `classify`,
//! `bench`, `list` and `export`.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::seq::SliceRandom;
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::data::{self, ImageSet, LoadOptions, builtin, folder};
use crate::experiment::{Experiment, Learner, Overrides};
use crate::lessons::Lesson;
use crate::model_file::{MachineFile, SavedModel};
use crate::nn::mark1::{Coding, Mark1, Mark1Config, Potentiometers};
use crate::nn::metrics::{Confusion, EpochRecord};
use crate::nn::mlp::MlpConfig;
use crate::nn::mlp_model::{MlpModel, MlpTrainer};
use crate::nn::retina::{Excitation, RetinaConfig};
use crate::scene::{DEFAULT_SCENE_NAME, ModelConfig, SHOWCASE_SCENE_NAME, Scene};
use crate::seeds::{Stream, rng_for};

/// mark1: Frank Rosenblatt's Mark I Perceptron (1958-60), simulated.
#[derive(Parser, Debug)]
#[command(name = "mark1", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Scene to open in the window when no subcommand is given (default: scenes/default.ron).
    #[arg(long, value_name = "FILE")]
    pub scene: Option<PathBuf>,
    /// Save a PNG of the window after --frames frames of the live panel, then exit.
    #[arg(long, value_name = "PATH")]
    pub screenshot: Option<PathBuf>,
    /// Frames to run before the screenshot.
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub frames: u32,
    /// Start running this many patterns per frame (default: 4 patterns a second).
    #[arg(long, value_name = "N")]
    pub patterns_per_frame: Option<usize>,
    /// Start with this A-unit selected, its plugboard wiring drawn on the retina.
    #[arg(long, value_name = "N")]
    pub select_a_unit: Option<usize>,
    /// Start with the dial bank zoomed on the selected A-unit's block of 64 pots.
    #[arg(long)]
    pub zoom_dials: bool,
    /// Start training flat out: as many patterns as fit in each frame's training budget.
    #[arg(long, conflicts_with = "patterns_per_frame")]
    pub flat_out: bool,
    /// Draw frames as fast as they come, not at the display's refresh (to measure headroom).
    #[arg(long)]
    pub no_vsync: bool,
    /// With --screenshot: render the panel into a 1280x720 image on the GPU, with no window
    /// (frame-rate checks on a machine with a GPU and no display).
    #[arg(long, requires = "screenshot")]
    pub offscreen: bool,
    /// Run the exhibit itself (set by its supervisor, which restarts it after a crash).
    #[arg(long, hide = true)]
    pub supervised: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a machine on an image set, report its accuracy, optionally save it.
    Train(TrainArgs),
    /// Measure a saved machine's accuracy on an image set.
    Eval(EvalArgs),
    /// Name the class of each image with a saved machine.
    Classify(ClassifyArgs),
    /// Measure training and classification speed of the default Mark I and the reference MLP.
    Bench(BenchArgs),
    /// Run an exhibit scene headless for many machine cycles with simulated visitors, and
    /// report memory, entity counts and update time (museum mode's soak test).
    Soak(SoakArgs),
    /// List the built-in image sets.
    List,
    /// Write an image set (a built-in one, say) as PNG files in class folders.
    Export(ExportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Images to write: builtin:NAME or any other source.
    #[arg(long, value_name = "PATH")]
    pub data: String,
    /// Folder to write `train/<class>/*.png` (and `test/<class>/*.png`) into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1960, value_name = "N")]
    pub seed: u64,
    #[arg(long, value_name = "N")]
    pub samples_per_class: Option<usize>,
}

#[derive(Args, Debug, Default)]
pub struct TrainArgs {
    /// Scene file (default: the built-in scenes/default.ron, the default machine).
    #[arg(long, value_name = "FILE")]
    pub scene: Option<PathBuf>,
    /// Images: a folder of class folders, a folder with train/ and test/, IDX files, or builtin:NAME.
    #[arg(long, value_name = "PATH")]
    pub data: Option<String>,
    /// Separate test images (same forms as --data).
    #[arg(long, value_name = "PATH")]
    pub test: Option<String>,
    /// Fraction of each class held out for testing when the data has no test part.
    #[arg(long, value_name = "F")]
    pub test_fraction: Option<f32>,
    /// Passes over the training images (overrides the scene).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// The seed every random choice flows from (overrides the scene).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Number of A-units (overrides the scene).
    #[arg(long, value_name = "N")]
    pub a_units: Option<usize>,
    /// Images per class for built-in sets.
    #[arg(long, value_name = "N")]
    pub samples_per_class: Option<usize>,
    /// SGD learning rate (MLP scenes).
    #[arg(long, value_name = "RATE")]
    pub learning_rate: Option<f32>,
    /// Samples per SGD update (MLP scenes).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Threads for the MLP's matrix products (default: every core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Save the trained machine here (RON, written atomically).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Run the showcase (scenes/mark1.ron, the 1960 machine on letters) rather than the
    /// default machine.
    #[arg(long, conflicts_with = "scene")]
    pub showcase: bool,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A machine saved by `mark1 train --save`.
    #[arg(long, value_name = "FILE")]
    pub load: PathBuf,
    /// Images to test on (the test part when the source has one).
    #[arg(long, value_name = "PATH")]
    pub data: String,
    /// Seed for generated sets (default: the machine's seed + 1, so the images are new to it).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    #[arg(long, value_name = "FILE")]
    pub load: PathBuf,
    /// Image files to classify, or folders: every image in them and their subfolders.
    #[arg(required = true, value_name = "IMAGE_OR_DIR")]
    pub images: Vec<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SoakArgs {
    /// Exhibit scene (default: the built-in scenes/museum.ron).
    #[arg(long, value_name = "FILE")]
    pub scene: Option<PathBuf>,
    /// Machine cycles (patterns presented) to run.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub cycles: u64,
    /// Measurements taken along the way.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub windows: usize,
    /// Run the exhibit in its window (the real panel, drawn each frame, needs a display) for
    /// --frames frames, with visitors arriving every few seconds; report frame time too.
    #[arg(long)]
    pub rendered: bool,
    /// Frames to draw in a rendered soak.
    #[arg(long, default_value_t = 600, value_name = "N")]
    pub frames: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Images to measure on (default: 60,000 generated figures).
    #[arg(long, value_name = "PATH")]
    pub data: Option<String>,
    /// Images in the generated set.
    #[arg(long, default_value_t = 60_000, value_name = "N")]
    pub images: usize,
    /// Training epochs to time.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub epochs: usize,
    #[arg(long)]
    pub json: bool,
}

/// Parses the process arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Train(args)) => train(args),
        Some(Command::Eval(args)) => eval(args),
        Some(Command::Classify(args)) => classify(args),
        Some(Command::Bench(args)) => bench(args),
        Some(Command::Soak(args)) => soak(args),
        Some(Command::List) => {
            list();
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Export(args)) => export(args),
        None => {
            let (scene, _) = load_scene(cli.scene.as_deref(), false)?;
            // An exhibit runs under a supervisor that restarts it if it ever falls over.
            if scene.exhibit.is_some() && !cli.supervised && cli.screenshot.is_none() {
                return crate::kiosk::supervisor::supervise(&scene);
            }
            if let Some(config) = scene.exhibit.as_ref() {
                crate::kiosk::supervisor::log_panics(config);
                if cli.supervised {
                    crate::kiosk::supervisor::end_with_supervisor(config);
                }
            }
            crate::app::run(crate::app::WindowOptions {
                scene,
                screenshot: cli.screenshot.map(|path| (path, cli.frames)),
                patterns_per_frame: cli.patterns_per_frame,
                select_a_unit: cli.select_a_unit,
                zoom_dials: cli.zoom_dials,
                flat_out: cli.flat_out,
                no_vsync: cli.no_vsync,
                offscreen: cli.offscreen,
                supervised: cli.supervised,
                soak: None,
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn load_scene(path: Option<&Path>, showcase: bool) -> Result<(Scene, String)> {
    match path {
        Some(path) => Ok((Scene::load(path)?, path.display().to_string())),
        None if showcase => Ok((Scene::showcase_scene(), SHOWCASE_SCENE_NAME.to_string())),
        None => Ok((Scene::default_scene(), DEFAULT_SCENE_NAME.to_string())),
    }
}

/// One line describing a machine's make-up.
fn describe_mark1(machine: &Mark1) -> String {
    let board = &machine.plugboard;
    let coding = match machine.coding {
        Coding::OnePerClass => "one per class".to_string(),
        Coding::Binary => format!("binary code on {}", machine.used_r_units()),
    };
    let pots = match machine.potentiometers {
        Potentiometers::Stepped { end_stop } => format!("stepped pots, end stops +-{end_stop}"),
        Potentiometers::Continuous => "continuous weights".to_string(),
    };
    let sets = if machine.owner.is_some() {
        ", source sets"
    } else {
        ""
    };
    format!(
        "Mark I: {}x{} retina, {} A-units ({}+{} inputs, theta {}), {} R-units ({coding}{sets}), {:?} ({:?}, rate {}), {pots}",
        machine.retina.width,
        machine.retina.height,
        board.a_units,
        board.excitatory,
        board.inhibitory,
        board.threshold,
        machine.r_units,
        machine.learning.rule,
        machine.learning.system,
        machine.learning.rate,
    )
}

fn describe_mlp(model: &MlpModel) -> String {
    let mut sizes = vec![model.network.input_size().to_string()];
    for layer in &model.network.layers {
        sizes.push(format!("{} {:?}", layer.outputs, layer.activation));
    }
    let sgd = &model.config.optimizer;
    format!(
        "MLP: {} on a {}x{} {:?} retina, {:?}, {:?} init, SGD (learning rate {}, momentum {}, batch {}), penalty {:?}, {} thread(s)",
        sizes.join(" -> "),
        model.retina.width,
        model.retina.height,
        model.retina.excitation,
        model.network.loss,
        model.config.init,
        sgd.learning_rate,
        sgd.momentum,
        sgd.batch_size,
        model.config.penalty,
        model.threads()
    )
}

fn describe(model: &SavedModel) -> String {
    match model {
        SavedModel::Mark1(machine) => describe_mark1(machine),
        SavedModel::Mlp(model) => describe_mlp(model),
    }
}

fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
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

fn fmt_accuracy(a: Option<f64>) -> String {
    a.map_or("-".to_string(), |a| format!("{a:.4}"))
}

fn train(args: TrainArgs) -> Result<ExitCode> {
    // a typo in --save costs a second, not the training
    if let Some(path) = &args.save {
        crate::files::check_save_target(path, &crate::model_file::MACHINE_FILE)?;
    }
    let (scene, scene_name) = load_scene(args.scene.as_deref(), args.showcase)?;
    let overrides = Overrides {
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
    };
    let scene = overrides.apply(scene).with_context(|| scene_name.clone())?;
    if let ModelConfig::Lesson(lesson) = &scene.model {
        return run_lesson(&scene, lesson, args.json);
    }
    let mut experiment = Experiment::prepare(scene)?;
    for note in &experiment.notes {
        eprintln!("note: {note}");
    }
    let quiet = args.json;
    let is_mlp = experiment.mlp().is_some();
    if !quiet {
        let test_count = experiment.test.as_ref().map_or(0, |t| t.len());
        println!("mark1: {} ({scene_name})", experiment.scene.name);
        println!(
            "data: {}: {} training and {} test images, {} classes",
            experiment.scene.data.source,
            experiment.train.len(),
            test_count,
            experiment.train.classes.len()
        );
        match &experiment.learner {
            Learner::Mark1 {
                machine,
                train_cache,
                ..
            } => {
                println!("model: {}", describe_mark1(machine));
                println!(
                    "A-unit outputs cached in {:.3} s (mean activity {:.1}%)",
                    experiment.encode_seconds,
                    100.0 * train_cache.mean_activity(machine.a_units())
                );
                println!(
                    "{:>6} {:>8} {:>10} {:>10} {:>10}",
                    "epoch", "errors", "train acc", "test acc", "seconds"
                );
            }
            Learner::Mlp { model, .. } => {
                println!("model: {}", describe_mlp(model));
                println!("inputs encoded in {:.3} s", experiment.encode_seconds);
                println!(
                    "{:>6} {:>10} {:>10} {:>10} {:>10} {:>10}  gradient norms by layer",
                    "epoch", "loss", "test loss", "train acc", "test acc", "seconds"
                );
            }
        }
    }
    let bar = progress_bar(experiment.scene.training.epochs as u64, quiet);
    let outcome = experiment.train(|record: &EpochRecord| {
        bar.inc(1);
        bar.set_message(match record.loss {
            Some(loss) => format!("loss {loss:.4}"),
            None => format!("errors {}", record.errors),
        });
        if quiet {
            return;
        }
        bar.suspend(|| {
            if is_mlp {
                let norms: Vec<String> = record
                    .gradient_norms
                    .iter()
                    .map(|n| format!("{n:.2e}"))
                    .collect();
                println!(
                    "{:>6} {:>10.4} {:>10} {:>10} {:>10} {:>10.3}  {}",
                    record.epoch,
                    record.loss.unwrap_or(f64::NAN),
                    record.test_loss.map_or("-".into(), |l| format!("{l:.4}")),
                    fmt_accuracy(Some(record.train_accuracy)),
                    fmt_accuracy(record.test_accuracy),
                    record.seconds,
                    norms.join(" ")
                );
            } else {
                println!(
                    "{:>6} {:>8} {:>10} {:>10} {:>10.4}",
                    record.epoch,
                    record.errors,
                    fmt_accuracy(Some(record.train_accuracy)),
                    fmt_accuracy(record.test_accuracy),
                    record.seconds
                );
            }
        });
    });
    bar.finish_and_clear();
    if let Err(diverged) = outcome {
        bail!(
            "{}: epoch {}: {diverged}",
            scene_name,
            experiment.history.len() + 1
        );
    }
    let train_confusion = experiment.train_confusion();
    let test_confusion = experiment.test_confusion();
    let report = test_confusion.as_ref().unwrap_or(&train_confusion);
    if let Some(path) = &args.save {
        let file = MachineFile::new(
            &experiment.scene.name,
            experiment.scene.seed,
            &experiment.scene.data.source,
            experiment.saved_model(),
            experiment.history.clone(),
        );
        file.save(path)?;
    }
    if args.json {
        let mut value = json!({
            "scene": experiment.scene.name,
            "model": if is_mlp { "mlp" } else { "mark1" },
            "data": experiment.scene.data.source,
            "seed": experiment.scene.seed,
            "classes": experiment.train.classes,
            "epochs": experiment.history.len(),
            "converged": experiment.converged(),
            "train_images": experiment.train.len(),
            "test_images": experiment.test.as_ref().map_or(0, |t| t.len()),
            "train_accuracy": train_confusion.accuracy(),
            "test_accuracy": test_confusion.as_ref().map(Confusion::accuracy),
            "train_seconds": experiment.train_seconds(),
            "encode_seconds": experiment.encode_seconds,
            "confusion": report.rows(),
            "confusion_of": if test_confusion.is_some() { "test" } else { "train" },
            "per_class_accuracy": report.per_class_accuracy(),
            "history": experiment.history,
            "notes": experiment.notes,
            "saved": args.save.as_ref().map(|p| p.display().to_string()),
        });
        if let Learner::Mark1 {
            machine,
            train_cache,
            ..
        } = &experiment.learner
        {
            value["a_units"] = json!(machine.a_units());
            value["r_units"] = json!(machine.r_units);
            value["a_unit_threshold"] = json!(machine.plugboard.threshold);
            value["mean_a_activity"] = json!(train_cache.mean_activity(machine.a_units()));
        }
        if let Learner::Mlp { model, .. } = &experiment.learner {
            let sizes: Vec<usize> = std::iter::once(model.network.input_size())
                .chain(model.network.layers.iter().map(|l| l.outputs))
                .collect();
            value["layer_sizes"] = json!(sizes);
            value["final_loss"] = json!(experiment.history.last().and_then(|r| r.loss));
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        if experiment.converged() {
            println!(
                "converged: epoch {} moved no potentiometer; every training image is classified right",
                experiment.history.len()
            );
        }
        println!(
            "train accuracy {:.4} ({}/{}) in {:.3} s of training",
            train_confusion.accuracy(),
            train_confusion.correct(),
            train_confusion.total(),
            experiment.train_seconds()
        );
        if let Some(test) = &test_confusion {
            println!(
                "test accuracy {:.4} ({}/{})",
                test.accuracy(),
                test.correct(),
                test.total()
            );
        }
        let heading = if test_confusion.is_some() {
            "test images"
        } else {
            "training images"
        };
        print_confusion(report, &experiment.train.classes, heading);
        if let Some(path) = &args.save {
            println!("saved the trained model to {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
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

/// Prints per-class accuracy and the confusion matrix (rows: true class, columns: answer).
fn print_confusion(confusion: &Confusion, classes: &[String], heading: &str) {
    let n = classes.len();
    let per_class = confusion.per_class_accuracy();
    if n > 40 {
        println!("per-class accuracy on {heading}:");
        for (name, accuracy) in classes.iter().zip(&per_class) {
            println!("  {name:<20} {}", fmt_accuracy(*accuracy));
        }
        println!("({n} classes: the confusion matrix is in --json)");
        return;
    }
    let largest = confusion.counts.iter().copied().max().unwrap_or(0);
    let width = largest.to_string().len().max(n.to_string().len()) + 1;
    let name_width = classes
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1)
        .min(14);
    println!("confusion matrix on {heading} (rows: true class, columns: answer; last: accuracy)");
    let mut header = format!("{:>w$}", "", w = name_width + 4);
    for c in 0..n {
        header.push_str(&format!("{c:>width$}"));
    }
    println!("{header}   acc");
    for (c, row) in confusion.rows().iter().enumerate() {
        let name: String = classes[c].chars().take(name_width).collect();
        let mut line = format!("{c:>2} {name:<name_width$} ");
        for count in row {
            line.push_str(&format!("{count:>width$}"));
        }
        println!("{line}  {}", fmt_accuracy(per_class[c]));
    }
}

fn eval(args: EvalArgs) -> Result<ExitCode> {
    let file = MachineFile::load(&args.load)?;
    let options = LoadOptions::for_retina(
        args.seed.unwrap_or(file.seed.wrapping_add(1)),
        None,
        file.model.retina_side(),
    );
    let split = data::load(&args.data, &options)?;
    for warning in &split.warnings {
        eprintln!("warning: {warning}");
    }
    let classes = file.model.classes().to_vec();
    let set = split
        .test
        .unwrap_or(split.train)
        .aligned_to(&classes, &args.data)?;
    let started = Instant::now();
    let confusion = file.model.evaluate(&set.images, &set.labels);
    let seconds = started.elapsed().as_secs_f64();
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
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("model: {} ({})", args.load.display(), describe(&file.model));
        println!(
            "accuracy {:.4} ({}/{}) on {} images of {}",
            confusion.accuracy(),
            confusion.correct(),
            confusion.total(),
            set.len(),
            args.data
        );
        print_confusion(&confusion, &classes, "these images");
    }
    Ok(ExitCode::SUCCESS)
}

fn classify(args: ClassifyArgs) -> Result<ExitCode> {
    let file = MachineFile::load(&args.load)?;
    let classes = file.model.classes();
    let output_name = match file.model {
        SavedModel::Mark1(_) => "R-units",
        SavedModel::Mlp(_) => "probabilities",
    };
    let mut failures = 0;
    let mut answers = Vec::new();
    let mut images = Vec::new();
    for path in &args.images {
        if !path.is_dir() {
            images.push(path.clone());
            continue;
        }
        let found = folder::image_files_under(path)?;
        if found.is_empty() {
            eprintln!("error: {}: no image files in this folder", path.display());
            failures += 1;
        }
        images.extend(found);
    }
    for path in &images {
        if !path.is_file() {
            eprintln!("error: {}: no such image file", path.display());
            failures += 1;
            continue;
        }
        match folder::read_image(path, data::kept_side(file.model.retina_side())) {
            Ok(image) => {
                let (class, outputs) = file.model.classify(&image);
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
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn list() {
    println!("built-in image sets (use --data builtin:NAME):");
    for set in builtin::BUILTIN_SETS {
        println!(
            "  {:<16} {} ({} per class)",
            set.name, set.summary, set.default_per_class
        );
    }
}

fn export(args: ExportArgs) -> Result<ExitCode> {
    // exported pictures keep up to 1024 pixels a side
    let options = LoadOptions {
        seed: args.seed,
        samples_per_class: args.samples_per_class,
        max_side: 1024,
    };
    let split = data::load(&args.data, &options)?;
    let parts = [("train", Some(&split.train)), ("test", split.test.as_ref())];
    let mut written = 0;
    for (part, set) in parts {
        let Some(set) = set else { continue };
        written += folder::write_class_folders(set, &args.out.join(part))?;
    }
    println!("wrote {written} images under {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

fn soak(args: SoakArgs) -> Result<ExitCode> {
    let scene = match &args.scene {
        Some(path) => Scene::load(path)?,
        None => Scene::parse(crate::scene::MUSEUM_SCENE, crate::scene::MUSEUM_SCENE_NAME)?,
    };
    let scratch = std::env::temp_dir().join(format!("mark1-soak-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("{}: cannot create", scratch.display()))?;
    if args.rendered {
        return rendered_soak(scene, &args, &scratch);
    }
    let report = crate::kiosk::soak::soak(scene, args.cycles, args.windows, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} machine cycles in {} updates ({:.1} simulated hours, {:.0} s of wall time), {} visits, {} errors recovered",
        report.cycles,
        report.updates,
        report.simulated_hours,
        report.seconds,
        report.visits,
        report.recovered_errors
    );
    println!(
        "{:>10}  {:>12}  {:>9}  {:>14}",
        "cycles", "resident KiB", "entities", "update (us)"
    );
    for w in &report.windows {
        println!(
            "{:>10}  {:>12}  {:>9}  {:>14.1}",
            w.cycles, w.resident_kib, w.entities, w.mean_update_us
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `soak --rendered`: the exhibit in its window with simulated visitors, measured per slice.
fn rendered_soak(scene: Scene, args: &SoakArgs, scratch: &Path) -> Result<ExitCode> {
    if !(1..=10_000_000).contains(&args.frames) || !(1..=1000).contains(&args.windows) {
        bail!("soak: --frames must lie in 1..=10000000 and --windows in 1..=1000");
    }
    let scene = crate::kiosk::soak::rendered_scene(scene, scratch);
    let run = scene.and_then(|scene| {
        crate::app::run(crate::app::WindowOptions {
            scene,
            screenshot: None,
            patterns_per_frame: None,
            select_a_unit: None,
            zoom_dials: false,
            flat_out: false,
            no_vsync: true,
            offscreen: false,
            supervised: false,
            soak: Some(crate::kiosk::soak::RenderedSoak {
                frames: args.frames,
                windows: args.windows,
                json: args.json,
            }),
        })
    });
    let _ = std::fs::remove_dir_all(scratch);
    run.map(|()| ExitCode::SUCCESS)
}

fn bench(args: BenchArgs) -> Result<ExitCode> {
    const MAX_BENCH_IMAGES: usize = 150_000;
    if !(1..=1000).contains(&args.epochs) || !(2..=MAX_BENCH_IMAGES).contains(&args.images) {
        bail!(
            "bench: --epochs must lie in 1..=1000 and --images in 2..={MAX_BENCH_IMAGES} (given {} and {})",
            args.epochs,
            args.images
        );
    }
    let generated_at = Instant::now();
    let set = match &args.data {
        Some(source) => {
            // the MLP's 28x28 input is the larger of the two machines' retinas
            let options = LoadOptions::for_retina(1, None, 28);
            data::load(source, &options)?.train
        }
        None => {
            let (mut set, _) = builtin::generate("shapes", 1, Some(args.images.div_ceil(3)))?;
            set.images.truncate(args.images);
            set.labels.truncate(args.images);
            set
        }
    };
    let generate_seconds = generated_at.elapsed().as_secs_f64();
    let mut order: Vec<usize> = (0..set.len()).collect();
    order.shuffle(&mut rng_for(1, Stream::TrainingOrder));
    let mut value = json!({
        "images": set.len(),
        "data": args.data.clone().unwrap_or_else(|| "builtin:shapes".into()),
        "threads": rayon::current_num_threads(),
        "generate_seconds": generate_seconds,
    });
    let mark1_lines = bench_mark1(&set, &order, args.epochs, &mut value)?;
    let mlp_lines = bench_mlp(&set, &order, &mut value)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!(
            "{} images of {}, {} threads",
            set.len(),
            value["data"].as_str().unwrap_or(""),
            rayon::current_num_threads()
        );
        for line in mark1_lines.iter().chain(&mlp_lines) {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Times the default Mark I: caching A-unit outputs, training epochs, classifying. Adds the
/// figures to `value` and returns them as report lines.
fn bench_mark1(
    set: &ImageSet,
    order: &[usize],
    epochs: usize,
    value: &mut serde_json::Value,
) -> Result<Vec<String>> {
    let config = Mark1Config::default();
    let (mut machine, _) = Mark1::build(
        &RetinaConfig::default(),
        &config,
        set.classes.clone(),
        1,
        &set.images,
    )
    .map_err(|m| anyhow!("{m}"))?;
    let n = set.len() as f64;
    let started = Instant::now();
    let cache = machine.encode_all(&set.images);
    let encode_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for _ in 0..epochs {
        let _ = machine.train_epoch(&cache, &set.labels, order);
    }
    let epoch_seconds = started.elapsed().as_secs_f64() / epochs as f64;
    let started = Instant::now();
    let predictions = machine.classify_all(&set.images);
    let classify_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let cached_predictions = machine.predict_cached(&cache);
    let cached_seconds = started.elapsed().as_secs_f64();
    if predictions != cached_predictions {
        bail!("bench: classifying from pixels and from the cache disagree");
    }
    let correct = predictions
        .iter()
        .zip(&set.labels)
        .filter(|(p, l)| **p == **l as usize)
        .count();
    let accuracy = correct as f64 / n;
    value["a_units"] = json!(machine.a_units());
    value["r_units"] = json!(machine.r_units);
    value["mean_a_activity"] = json!(cache.mean_activity(machine.a_units()));
    value["mark1_encode_images_per_second"] = json!(n / encode_seconds);
    value["mark1_cache_seconds"] = json!(encode_seconds);
    value["mark1_epoch_seconds"] = json!(epoch_seconds);
    value["mark1_train_images_per_second"] = json!(n / epoch_seconds);
    value["mark1_classify_images_per_second"] = json!(n / classify_seconds);
    value["mark1_classify_cached_images_per_second"] = json!(n / cached_seconds);
    value["mark1_train_accuracy_after_bench"] = json!(accuracy);
    Ok(vec![
        format!("default machine ({})", describe_mark1(&machine)),
        format!(
            "  A-unit cache (sense + associate): {:>10.0} images/s  ({encode_seconds:.3} s)",
            n / encode_seconds
        ),
        format!(
            "  training (one epoch):             {:>10.0} images/s  ({epoch_seconds:.4} s per epoch)",
            n / epoch_seconds
        ),
        format!(
            "  classification from pixels:       {:>10.0} images/s  ({classify_seconds:.3} s)",
            n / classify_seconds
        ),
        format!(
            "  classification from the cache:    {:>10.0} images/s  ({cached_seconds:.4} s)",
            n / cached_seconds
        ),
        format!("  training accuracy after {epochs} epochs: {accuracy:.4}"),
    ])
}

/// Times one epoch of the reference MLP, 784-256-128-10 ReLU on 28x28 inputs, batch 64, SGD.
fn bench_mlp(
    set: &ImageSet,
    order: &[usize],
    value: &mut serde_json::Value,
) -> Result<Vec<String>> {
    let retina = RetinaConfig {
        width: 28,
        height: 28,
        excitation: Excitation::Analog,
        ..RetinaConfig::default()
    };
    // Multiply-adds per sample: forward H W for every layer, dW for every layer, dH below
    // the top for every layer but the first; two flops each.
    let n = set.len() as f64;
    let mut lines = Vec::new();
    let all_cores = rayon::current_num_threads();
    let thread_counts = if all_cores > 1 {
        vec![all_cores, 1]
    } else {
        vec![1]
    };
    for threads in thread_counts {
        let config = MlpConfig {
            threads: Some(threads),
            ..MlpConfig::default()
        };
        let mut model = MlpModel::build(&retina, &config, set.classes.clone(), 1)
            .map_err(|m| anyhow!("{m}"))?;
        let mut inputs = model.encode_all(&set.images);
        model.fit_standardization(&mut inputs);
        let mut trainer = MlpTrainer::new(&model, set.len(), 1);
        let started = Instant::now();
        let report = trainer
            .train_pass(&mut model, &inputs, &set.labels, order)
            .map_err(|d| anyhow!("bench: {d}"))?;
        let seconds = started.elapsed().as_secs_f64();
        let first = &model.network.layers[0];
        let macs = 3 * model.network.forward_macs() - first.inputs * first.outputs;
        let gflops = 2.0 * macs as f64 * n / seconds / 1e9;
        let started = Instant::now();
        let predictions = model.predict(&inputs);
        let classify_seconds = started.elapsed().as_secs_f64();
        let correct = predictions
            .iter()
            .zip(&set.labels)
            .filter(|(p, l)| **p == **l as usize)
            .count();
        let suffix = if threads == all_cores {
            String::new()
        } else {
            format!("_{threads}_thread")
        };
        value[format!("mlp_train_samples_per_second{suffix}")] = json!(n / seconds);
        value[format!("mlp_gflops{suffix}")] = json!(gflops);
        value[format!("mlp_epoch_seconds{suffix}")] = json!(seconds);
        value[format!("mlp_classify_samples_per_second{suffix}")] = json!(n / classify_seconds);
        if threads == all_cores {
            value["mlp_layers"] = json!("784-256-128-10 ReLU, batch 64, SGD momentum 0.9");
            value["mlp_threads"] = json!(threads);
            value["mlp_train_loss"] = json!(report.loss);
            value["mlp_train_accuracy_after_bench"] = json!(correct as f64 / n);
            lines.push(format!("reference MLP ({})", describe_mlp(&model)));
        }
        lines.push(format!(
            "  training, {threads} thread(s):            {:>10.0} samples/s  ({seconds:.3} s per epoch, {gflops:.1} GFLOP/s)",
            n / seconds
        ));
        lines.push(format!(
            "  classification, {threads} thread(s):      {:>10.0} samples/s  ({classify_seconds:.3} s)",
            n / classify_seconds
        ));
    }
    Ok(lines)
}
