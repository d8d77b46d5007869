//! The serde types behind `scenes/*.ron`, read with std::fs + ron and validated.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub mod exhibit;
mod save;

use crate::fields::FieldError;
use crate::lessons::Lesson;
use crate::nn::Machine;
use crate::nn::mark1::{Mark1, Mark1Config};
use crate::nn::mlp::MlpConfig;
use crate::nn::mlp_model::MlpModel;
use crate::nn::retina::RetinaConfig;
use crate::playground::PlaygroundConfig;
use exhibit::ExhibitConfig;

/// The scene `train` uses when none is named: the default machine, for any image set.
pub const DEFAULT_SCENE: &str = include_str!("../../scenes/default.ron");
/// How the default scene is named in messages.
pub const DEFAULT_SCENE_NAME: &str = "scenes/default.ron (built in)";
/// The showcase run by `mark1` with no arguments: the 1960 machine on printed letters.
pub const SHOWCASE_SCENE: &str = include_str!("../../scenes/mark1.ron");
/// How the showcase scene is named in messages.
pub const SHOWCASE_SCENE_NAME: &str = "scenes/mark1.ron (built in)";
/// The scene `train` uses for a CSV table when none is named: an MLP for tables of features.
pub const TABLE_SCENE: &str = include_str!("../../scenes/table.ron");
pub const TABLE_SCENE_NAME: &str = "scenes/table.ron (built in)";
pub const MUSEUM_SCENE: &str = include_str!("../../scenes/museum.ron");
pub const MUSEUM_SCENE_NAME: &str = "scenes/museum.ron (built in)";

/// A machine and the experiment it runs: the whole configuration behind one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Every random choice (wiring, source sets, generated images, splits, order) flows from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub data: DataConfig,
    #[serde(default)]
    pub retina: RetinaConfig,
    /// What the scene is: a machine on images, a lesson or the playground.
    #[serde(rename = "model")]
    pub kind: SceneKind,
    #[serde(default)]
    pub training: TrainingConfig,
    /// Run as an unattended exhibit (museum or classroom); `None` for the desktop simulator.
    #[serde(default)]
    pub exhibit: Option<ExhibitConfig>,
}

fn default_seed() -> u64 {
    1960
}

/// Where the images come from, unless the command line says otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// `builtin:NAME`, a folder of class folders, a folder with `train/` and `test/`, or IDX files.
    pub source: String,
    /// A separate test source; without one (and without a test part) the data is split.
    pub test: Option<String>,
    /// Fraction of each class held out for testing when the data has no test part.
    pub test_fraction: f32,
    /// Images per class for generated sets (each set has its own default).
    pub samples_per_class: Option<usize>,
    /// For a table of features (a CSV file): the column that holds each row's class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            source: "builtin:letters".into(),
            test: None,
            test_fraction: 0.25,
            samples_per_class: None,
            label: None,
        }
    }
}

/// What a scene is: a machine trained on images, or a page that brings its own data (one of
/// the lecture's lessons, the playground). In the file it is the `model:` entry, spelt as it
/// always was (`Mark1(...)`, `Mlp(...)`, `Lesson(...)`, `Playground(...)`); in code the
/// machines stand apart from the rest, so what needs a machine asks for one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ModelEntry", into = "ModelEntry")]
pub enum SceneKind {
    /// A machine that learns from images: the Mark I or the MLP.
    Machine(MachineConfig),
    /// One of the lecture's demonstrations, on its own generated data.
    Lesson(Lesson),
    /// A small network on points in the plane, edited and trained live.
    Playground(PlaygroundConfig),
}

/// The machines a scene can train on images; a new machine is one more arm here.
#[derive(Clone, Debug, PartialEq)]
pub enum MachineConfig {
    /// Rosenblatt's Mark I Perceptron.
    Mark1(Mark1Config),
    /// A multi-layer perceptron trained by backpropagation (the modern mode).
    Mlp(MlpConfig),
}

/// The `model:` entry as the file spells it: one flat list of names.
#[derive(Serialize, Deserialize)]
enum ModelEntry {
    Mark1(Mark1Config),
    Mlp(MlpConfig),
    Lesson(Lesson),
    Playground(PlaygroundConfig),
}

impl From<ModelEntry> for SceneKind {
    fn from(entry: ModelEntry) -> Self {
        match entry {
            ModelEntry::Mark1(config) => SceneKind::Machine(MachineConfig::Mark1(config)),
            ModelEntry::Mlp(config) => SceneKind::Machine(MachineConfig::Mlp(config)),
            ModelEntry::Lesson(lesson) => SceneKind::Lesson(lesson),
            ModelEntry::Playground(config) => SceneKind::Playground(config),
        }
    }
}

impl From<SceneKind> for ModelEntry {
    fn from(kind: SceneKind) -> Self {
        match kind {
            SceneKind::Machine(MachineConfig::Mark1(config)) => ModelEntry::Mark1(config),
            SceneKind::Machine(MachineConfig::Mlp(config)) => ModelEntry::Mlp(config),
            SceneKind::Lesson(lesson) => ModelEntry::Lesson(lesson),
            SceneKind::Playground(config) => ModelEntry::Playground(config),
        }
    }
}

impl SceneKind {
    /// The machine, when the scene trains one on images.
    pub fn machine(&self) -> Option<&MachineConfig> {
        match self {
            SceneKind::Machine(machine) => Some(machine),
            _ => None,
        }
    }

    /// The machine, to change, when the scene trains one on images.
    pub fn machine_mut(&mut self) -> Option<&mut MachineConfig> {
        match self {
            SceneKind::Machine(machine) => Some(machine),
            _ => None,
        }
    }

    /// The lesson, when the scene is one of the lecture's demonstrations.
    pub fn lesson(&self) -> Option<&Lesson> {
        match self {
            SceneKind::Lesson(lesson) => Some(lesson),
            _ => None,
        }
    }

    /// The playground's set-up, when the scene is one.
    pub fn playground(&self) -> Option<&PlaygroundConfig> {
        match self {
            SceneKind::Playground(config) => Some(config),
            _ => None,
        }
    }

    /// What the scene is when it is not a machine trained on images (a lesson, the
    /// playground), for messages; `None` for a machine.
    pub fn brings_its_own_data(&self) -> Option<&'static str> {
        match self {
            SceneKind::Lesson(_) => Some("lesson"),
            SceneKind::Playground(_) => Some("playground"),
            SceneKind::Machine(_) => None,
        }
    }
}

/// A machine a scene can name: where its configuration sits among the scene's machines.
pub trait SceneMachine: Machine {
    fn config_in(machine: &MachineConfig) -> Option<&Self::Config>;
}

impl SceneMachine for Mark1 {
    fn config_in(machine: &MachineConfig) -> Option<&Mark1Config> {
        match machine {
            MachineConfig::Mark1(config) => Some(config),
            MachineConfig::Mlp(_) => None,
        }
    }
}

impl SceneMachine for MlpModel {
    fn config_in(machine: &MachineConfig) -> Option<&MlpConfig> {
        match machine {
            MachineConfig::Mlp(config) => Some(config),
            MachineConfig::Mark1(_) => None,
        }
    }
}

/// How long and in what order to train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingConfig {
    /// Passes over the training images (error correction stops early once a pass has no error).
    pub epochs: usize,
    /// Present the images in a new seeded random order each epoch (else in file order).
    pub shuffle: bool,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            epochs: 10,
            shuffle: true,
        }
    }
}

/// The RON options scenes and machine files are read with: `Mark1(plugboard: ...)` may leave
/// out the inner parentheses of a newtype variant.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(
        ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES
            | ron::extensions::Extensions::IMPLICIT_SOME,
    )
}

impl Scene {
    /// Reads and validates a scene file; errors name the file, the line and the field.
    pub fn load(path: &Path) -> Result<Scene> {
        let text = crate::files::read_text_capped(path, crate::files::MAX_SCENE_BYTES, "scene")?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates scene `text`; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Scene> {
        let scene: Scene = match ron_options().from_str(text) {
            Ok(scene) => scene,
            Err(e) => bail!(
                "{origin}:{}:{}: {}",
                e.span.start.line,
                e.span.start.col,
                e.code
            ),
        };
        if let Err(error) = scene.validate() {
            match crate::fields::locate::line_of(text, &error.path) {
                Some(line) => bail!("{origin}:{line}: {error}"),
                None => bail!("{origin}: {error}"),
            }
        }
        Ok(scene)
    }

    /// The built-in default scene (`scenes/default.ron`).
    pub fn default_scene() -> Scene {
        Self::parse(DEFAULT_SCENE, DEFAULT_SCENE_NAME).expect("the built-in scene is valid")
    }

    /// The built-in showcase scene (`scenes/mark1.ron`).
    pub fn showcase_scene() -> Scene {
        Self::parse(SHOWCASE_SCENE, SHOWCASE_SCENE_NAME).expect("the built-in scene is valid")
    }

    /// The built-in scene for tables of features (`scenes/table.ron`).
    pub fn table_scene() -> Scene {
        Self::parse(TABLE_SCENE, TABLE_SCENE_NAME).expect("the built-in scene is valid")
    }

    /// The scene at `path`, else the built-in showcase or default scene; with the name to
    /// call it by in messages.
    pub fn load_or_builtin(path: Option<&Path>, showcase: bool) -> Result<(Scene, String)> {
        match path {
            Some(path) => Ok((Scene::load(path)?, path.display().to_string())),
            None if showcase => Ok((Scene::showcase_scene(), SHOWCASE_SCENE_NAME.to_string())),
            None => Ok((Scene::default_scene(), DEFAULT_SCENE_NAME.to_string())),
        }
    }

    /// Cross-field checks; on failure, the field at fault (its path from the top of the
    /// scene, to find its line) and a message.
    pub fn validate(&self) -> Result<(), FieldError> {
        let f = self.data.test_fraction;
        if !(0.0..1.0).contains(&f) {
            return Err(FieldError::at(
                "data.test_fraction",
                format!("{f} must lie in [0, 1)"),
            ));
        }
        let most = crate::data::builtin::MAX_PER_CLASS;
        if let Some(n) = self.data.samples_per_class
            && !(1..=most).contains(&n)
        {
            return Err(FieldError::at(
                "data.samples_per_class",
                format!("{n} must lie in 1..={most}"),
            ));
        }
        let epochs = self.training.epochs;
        if epochs == 0 || epochs > 100_000 {
            return Err(FieldError::at(
                "training.epochs",
                format!("{epochs} must lie in 1..=100000"),
            ));
        }
        self.retina.validate()?;
        if let Some(exhibit) = &self.exhibit {
            exhibit.validate().map_err(|e| e.under("exhibit"))?;
        }
        let model = match &self.kind {
            SceneKind::Machine(MachineConfig::Mark1(config)) => {
                config.validate(self.retina.cells())
            }
            SceneKind::Machine(MachineConfig::Mlp(config)) => config
                .validate()
                .and_then(|()| config.check_size(self.retina.cells(), 1)),
            SceneKind::Lesson(lesson) => lesson.validate(),
            SceneKind::Playground(config) => config.validate(),
        };
        model.map_err(|e| e.under("model"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_scenes_parse_and_the_default_matches_the_code_defaults() {
        let scene = Scene::default_scene();
        assert_eq!(scene.retina, RetinaConfig::default());
        let Some(MachineConfig::Mark1(config)) = scene.kind.machine() else {
            panic!("the default scene is a Mark I");
        };
        assert_eq!(config, &Mark1Config::default());
        assert_eq!(scene.training, TrainingConfig::default());
        let Some(MachineConfig::Mark1(showcase)) = Scene::showcase_scene().kind.machine().cloned()
        else {
            panic!("the showcase is a Mark I");
        };
        assert_eq!(showcase.response.r_units, 8);
    }

    #[test]
    fn a_misspelt_field_names_file_line_and_field() {
        let text = "(\n  name: \"x\",\n  model: Mark1(\n    plugboard: (fan_in: 3),\n  ),\n)\n";
        let err = Scene::parse(text, "typo.ron").unwrap_err().to_string();
        assert!(err.starts_with("typo.ron:4:"), "{err}");
        assert!(err.contains("fan_in"), "{err}");
    }

    #[test]
    fn a_bad_second_layer_points_at_its_own_line_not_the_first_layers() {
        let text = "(\n  name: \"x\",\n  model: Mlp(\n    hidden: [\n      (units: 64, activation: Relu),\n      (units: 0, activation: Relu),\n    ],\n    optimizer: (learning_rate: 0.1, momentum: 1.5),\n  ),\n)\n";
        let err = Scene::parse(text, "mlp.ron").unwrap_err().to_string();
        assert_eq!(err, "mlp.ron:6: hidden[1].units: 0 must lie in 1..=65536");
        let err = Scene::parse(&text.replace("units: 0", "units: 8"), "mlp.ron")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "mlp.ron:8: optimizer.momentum: 1.5 must lie in [0, 1)");
    }

    #[test]
    fn a_validation_failure_points_at_the_fields_line() {
        let text = "(\n  name: \"x\",\n  model: Mark1(\n    plugboard: (\n      a_units: 512,\n      max_fan_out: Some(1),\n    ),\n  ),\n)\n";
        let err = Scene::parse(text, "cap.ron").unwrap_err().to_string();
        assert!(err.starts_with("cap.ron:6:"), "{err}");
        assert!(err.contains("max_fan_out"), "{err}");
    }

    #[test]
    fn defaults_fill_what_a_scene_leaves_out() {
        let scene = Scene::parse("(name: \"min\", model: Mark1())", "min.ron").unwrap();
        assert_eq!(scene.seed, 1960);
        assert_eq!(scene.data.source, "builtin:letters");
        assert_eq!(scene.training.epochs, 10);
    }
}
