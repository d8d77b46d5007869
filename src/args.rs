//! The command line's grammar, parsed once by `main`: the window's options (no subcommand),
//! the headless subcommands, and the exhibit's soak. No Bevy here.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// mark1: Frank Rosenblatt's Mark I Perceptron (1958-60), simulated.
#[derive(Parser, Debug)]
#[command(name = "mark1", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub window: WindowArgs,
}

/// How to open the window (no subcommand).
#[derive(Args, Debug)]
pub struct WindowArgs {
    /// Scene to open in the window when no subcommand is given (default: scenes/default.ron).
    #[arg(long, value_name = "FILE")]
    pub scene: Option<PathBuf>,
    /// Images to open the window on (same forms as `train --data`), in place of the scene's.
    #[arg(long, value_name = "PATH")]
    pub data: Option<String>,
    /// A machine saved by `mark1 train --save` or the window's Save, to open the window with
    /// (a Mark I; its images are loaded too unless --data names others).
    #[arg(long, value_name = "FILE")]
    pub load: Option<PathBuf>,
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
    /// Start training flat out: as many patterns as fit in each frame's training budget (a
    /// playground starts running, up to an epoch a frame).
    #[arg(long, conflicts_with = "patterns_per_frame")]
    pub flat_out: bool,
    /// Open the desktop panel paused: nothing runs, and the window draws only for input or a
    /// change until Run is pressed.
    #[arg(long, conflicts_with = "flat_out")]
    pub paused: bool,
    /// Draw frames as fast as they come, not at the display's refresh (to measure headroom).
    #[arg(long)]
    pub no_vsync: bool,
    /// The panel's language: en, de or fr (default: the desktop's, from LC_ALL,
    /// LC_MESSAGES or LANG, where it is one of those; else English). An exhibit starts in it,
    /// over a visitor's choice remembered from an earlier run (default: the scene's).
    #[arg(long, value_name = "CODE")]
    pub language: Option<String>,
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
    /// Write a saved machine's tensors as a safetensors file, for numpy, PyTorch and others.
    Weights(WeightsArgs),
}

#[derive(Args, Debug)]
pub struct WeightsArgs {
    /// A machine saved by `mark1 train --save`.
    #[arg(long, value_name = "FILE")]
    pub load: PathBuf,
    /// The safetensors file to write (never replacing a file that is not mark1's weights).
    #[arg(long, value_name = "FILE.safetensors")]
    pub out: PathBuf,
    /// Images (same forms as `train --data`) whose A-unit activity a Mark I adds to the file,
    /// with their labels (`a_units.train`, `labels.train`, and `.test` where the set has one),
    /// for other learners to train on the same features.
    #[arg(long, value_name = "PATH")]
    pub data: Option<String>,
    /// Seed for generated sets with --data (default: the machine's seed + 1).
    #[arg(long, value_name = "N", requires = "data")]
    pub seed: Option<u64>,
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
    /// Images: a folder of class folders, a folder with train/ and test/, IDX files, or
    /// builtin:NAME; or a CSV table of features (with --label) for an MLP.
    #[arg(long, value_name = "PATH")]
    pub data: Option<String>,
    /// Separate test images (same forms as --data).
    #[arg(long, value_name = "PATH")]
    pub test: Option<String>,
    /// For a CSV table of features as --data: the column holding each row's class.
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
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
    /// Write one CSV row per epoch here: accuracies, errors, losses, seconds.
    #[arg(long, value_name = "FILE.csv")]
    pub history: Option<PathBuf>,
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
    /// Copy each wrongly classified image into DIR/<true class>/<predicted class>/ (DIR must
    /// be new or empty).
    #[arg(long, value_name = "DIR")]
    pub misclassified: Option<PathBuf>,
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
    /// Also write one CSV row per image here: its path, the class named, and each class's
    /// score (R-unit sums for the Mark I, probabilities for the MLP); not written when no
    /// image could be read.
    #[arg(long, value_name = "FILE.csv")]
    pub csv: Option<PathBuf>,
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
