//! Trained machines on disk: RON with a format tag and version, written atomically.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::files::{self, FileKind, MAX_MACHINE_BYTES};
use crate::nn::Classifier;
use crate::nn::mark1::Mark1;
use crate::nn::metrics::EpochRecord;
use crate::nn::mlp_model::MlpModel;

/// The tag every machine file starts with.
pub const FORMAT: &str = "mark1-machine";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// A saved machine, recognised by its format tag near the top.
pub const MACHINE_FILE: FileKind = FileKind {
    what: "mark1 machine file",
    recognise: |head| String::from_utf8_lossy(head).contains("format: \"mark1-machine\""),
};

/// A trained model of any kind the scene can select.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SavedModel {
    Mark1(Mark1),
    Mlp(MlpModel),
}

impl SavedModel {
    /// The machine inside, whatever its kind.
    pub fn machine(&self) -> &dyn Classifier {
        match self {
            SavedModel::Mark1(machine) => machine,
            SavedModel::Mlp(model) => model,
        }
    }
}

impl From<Mark1> for SavedModel {
    fn from(machine: Mark1) -> Self {
        SavedModel::Mark1(machine)
    }
}

impl From<MlpModel> for SavedModel {
    fn from(model: MlpModel) -> Self {
        SavedModel::Mlp(model)
    }
}

/// Everything needed to use a trained machine again: configuration, wiring, weights,
/// class names (inside the model) and the learning history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineFile {
    pub format: String,
    pub version: u32,
    /// The scene the machine was trained from, and its seed.
    pub scene: String,
    pub seed: u64,
    /// The data it was trained on.
    pub data: String,
    pub model: SavedModel,
    pub history: Vec<EpochRecord>,
}

/// Just the header, read first so a file from another version is refused before its body.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

impl MachineFile {
    pub fn new(
        scene: &str,
        seed: u64,
        data: &str,
        model: SavedModel,
        history: Vec<EpochRecord>,
    ) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            scene: scene.into(),
            seed,
            data: data.into(),
            model,
            history,
        }
    }

    /// Writes the file atomically: a temporary file beside it, flushed to disk, then renamed
    /// over the target, so a crash never leaves a half-written machine.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = self.checked_text(path)?;
        files::write_atomically(path, text.as_bytes(), &MACHINE_FILE)
    }

    /// Saves the machine in `folder` (made if missing) as the first free name of
    /// `<scene>-<data>-1.ron`, `-2`, ..., never replacing a file, and returns its path.
    pub fn save_numbered(&self, folder: &Path) -> Result<std::path::PathBuf> {
        let text = self.checked_text(folder)?;
        std::fs::create_dir_all(folder).with_context(|| {
            format!(
                "{}: cannot save: cannot create the folder",
                folder.display()
            )
        })?;
        files::write_numbered(folder, &self.numbered_stem(), "ron", text.as_bytes())
    }

    /// What a saved machine's file is named after: `<scene>-<data>`, as any file system spells
    /// it (`the-mark-i-default-machine-fashion-mnist`).
    pub fn numbered_stem(&self) -> String {
        let data = self.data.rsplit(['/', ':']).find(|part| !part.is_empty());
        format!(
            "{}-{}",
            files::file_stem_of(&self.scene, "machine"),
            files::file_stem_of(data.unwrap_or(""), "images")
        )
    }

    /// The file's text, once the machine is known to load again (what would be refused on
    /// loading is never written); `target` names the file or folder in messages.
    fn checked_text(&self, target: &Path) -> Result<String> {
        self.model.machine().check_consistency().map_err(|m| {
            anyhow::anyhow!(
                "{}: not saved: the machine could not be loaded again ({m})",
                target.display()
            )
        })?;
        ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::new().depth_limit(3))
            .with_context(|| format!("{}: cannot encode the machine", target.display()))
    }

    /// Where the window saves machines: the user's data folder (`$XDG_DATA_HOME/mark1/machines`,
    /// `~/.local/share/mark1/machines` on Linux, the platform's own elsewhere), or the working
    /// folder where the platform names none.
    pub fn default_folder() -> std::path::PathBuf {
        dirs::data_dir()
            .map(|dir| dir.join("mark1").join("machines"))
            .unwrap_or_else(|| std::path::PathBuf::from("."))
    }

    /// Reads a machine file, refusing other formats and versions and damaged contents.
    pub fn load(path: &Path) -> Result<MachineFile> {
        let name = path.display();
        let text = files::read_text_capped(path, MAX_MACHINE_BYTES, "machine file")?;
        let header: Header = match ron::Options::default().from_str(&text) {
            Ok(header) => header,
            Err(e) if text.contains(FORMAT) => bail!(
                "{name}:{}:{}: damaged machine file: {}",
                e.span.start.line,
                e.span.start.col,
                e.code
            ),
            Err(_) => bail!("{name}: not a mark1 machine file (no format/version header)"),
        };
        if header.format != FORMAT {
            bail!("{name}: format `{}` is not `{FORMAT}`", header.format);
        }
        if header.version != VERSION {
            bail!(
                "{name}: machine file version {} cannot be read by this mark1, which reads version {VERSION}",
                header.version
            );
        }
        let file: MachineFile = ron::Options::default().from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{name}:{}:{}: damaged machine file: {}",
                e.span.start.line,
                e.span.start.col,
                e.code
            )
        })?;
        if let Err(error) = file.model.machine().check_consistency() {
            let error = error.under("model");
            match crate::fields::locate::line_of(&text, &error.path) {
                Some(line) => bail!("{name}:{line}: damaged machine file: {error}"),
                None => bail!("{name}: damaged machine file: {error}"),
            }
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::mark1::Mark1Config;
    use crate::nn::retina::RetinaConfig;

    fn scratch(name: &str) -> std::path::PathBuf {
        crate::test_support::scratch_dir(&format!("file-{name}"))
    }

    fn trained_file() -> MachineFile {
        let names = vec!["a".to_string(), "b".to_string()];
        let (mut machine, _) = Mark1::build(
            &RetinaConfig::default(),
            &Mark1Config::default(),
            names,
            5,
            &[],
        )
        .unwrap();
        machine.present(&[1, 2, 3], 1);
        machine.present(&[3, 4, 500], 0);
        MachineFile::new("t", 5, "builtin:x", SavedModel::Mark1(machine), vec![])
    }

    #[test]
    fn saved_machine_loads_identically() {
        let path = scratch("round").join("m.ron");
        let file = trained_file();
        file.save(&path).unwrap();
        assert_eq!(MachineFile::load(&path).unwrap(), file);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file remains");
    }

    #[test]
    fn a_loaded_machine_is_validated_like_a_scene() {
        let dir = scratch("claims");
        let path = dir.join("m.ron");
        trained_file().save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let refused = |from: &str, to: &str, field: &str| {
            assert!(text.contains(from), "the file holds `{from}`");
            std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
            let err = MachineFile::load(&path).unwrap_err().to_string();
            assert!(
                err.contains("m.ron") && err.contains(field),
                "{from} -> {to}: {err}"
            );
        };
        refused("width: 20", "width: 100000", "retina");
        refused("a_units: 512", "a_units: 70000", "plugboard.a_units");
        refused("threshold: 1.0", "threshold: NaN", "plugboard.threshold");
        refused("end_stop: 100", "end_stop: 0", "end_stop");
        refused("rate: 1.0", "rate: inf", "learning.rate");
    }

    #[test]
    fn a_damaged_machine_file_points_at_the_line_of_the_part_at_fault() {
        let path = scratch("lines").join("m.ron");
        trained_file().save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let line_of = |key: &str| {
            1 + text
                .lines()
                .position(|line| line.trim_start().starts_with(key))
                .unwrap_or_else(|| panic!("the file has a `{key}` line"))
        };
        let refused_at = |from: &str, to: &str, key: &str, message: &str| {
            std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
            let err = MachineFile::load(&path).unwrap_err().to_string();
            let at = format!("m.ron:{}: damaged machine file: ", line_of(key));
            assert!(err.contains(&at) && err.contains(message), "{to}: {err}");
        };
        refused_at("weights: [", "weights: [0.5, ", "weights:", "4097 weights");
        refused_at("cells: [", "cells: [7, ", "cells:", "wiring list");
        refused_at(
            "retina_cells: 400",
            "retina_cells: 401",
            "retina_cells:",
            "photocells",
        );
        let seven_more = "classes: [\"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", ";
        refused_at(
            "classes: [",
            seven_more,
            "classes:",
            "9 classes do not fit 8",
        );
    }

    #[test]
    fn a_machine_that_could_not_be_loaded_is_never_saved() {
        let dir = scratch("unsaveable");
        let path = dir.join("m.ron");
        let mut file = trained_file();
        let SavedModel::Mark1(machine) = &mut file.model else {
            panic!("trained_file is a Mark I")
        };
        machine.weights[3] = f32::NAN;
        let err = file.save(&path).unwrap_err().to_string();
        assert!(err.contains("not saved") && err.contains("finite"), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn other_versions_and_damage_are_refused_clearly() {
        let dir = scratch("bad");
        let path = dir.join("m.ron");
        trained_file().save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();

        std::fs::write(&path, text.replace("version: 1", "version: 99")).unwrap();
        let err = MachineFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("version 99"), "{err}");

        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        let err = MachineFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("m.ron") && err.contains("damaged"), "{err}");

        std::fs::write(&path, text.replacen("r_units: 8", "r_units: 9", 1)).unwrap();
        let err = MachineFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("damaged") && err.contains("weights"), "{err}");

        std::fs::write(&path, "(just: \"rubbish\")").unwrap();
        let err = MachineFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("not a mark1 machine file"), "{err}");
    }
}
