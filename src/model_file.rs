//! Trained machines on disk: RON with a format tag and version, written atomically.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

use crate::data::GrayImage;
use crate::nn::mark1::Mark1;
use crate::nn::metrics::{Confusion, EpochRecord};
use crate::nn::mlp_model::MlpModel;

/// The tag every machine file starts with.
pub const FORMAT: &str = "mark1-machine";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// A trained model of any kind the scene can select.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SavedModel {
    Mark1(Mark1),
    Mlp(MlpModel),
}

impl SavedModel {
    /// Checks the parts of a loaded model fit together.
    pub fn check_consistency(&self) -> Result<(), String> {
        match self {
            SavedModel::Mark1(machine) => machine.check_consistency(),
            SavedModel::Mlp(model) => model.check_consistency(),
        }
    }

    /// The class of one image, and the output values behind it (R-unit sums for the Mark I,
    /// class probabilities for the MLP).
    pub fn classify(&self, image: &GrayImage) -> (usize, Vec<f32>) {
        match self {
            SavedModel::Mark1(machine) => machine.classify(image),
            SavedModel::Mlp(model) => model.classify(image),
        }
    }

    /// Confusion matrix of the model on `images` with true `labels`.
    pub fn evaluate(&self, images: &[GrayImage], labels: &[u16]) -> Confusion {
        match self {
            SavedModel::Mark1(machine) => {
                machine.evaluate_cached(&machine.encode_all(images), labels)
            }
            SavedModel::Mlp(model) => model.evaluate(&model.encode_all(images), labels),
        }
    }

    /// The class names the model's outputs stand for.
    pub fn classes(&self) -> &[String] {
        match self {
            SavedModel::Mark1(machine) => &machine.classes,
            SavedModel::Mlp(model) => &model.classes,
        }
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
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::new().depth_limit(3))
            .with_context(|| format!("{}: cannot encode the machine", path.display()))?;
        write_atomically(path, text.as_bytes())
    }

    /// Reads a machine file, refusing other formats and versions and damaged contents.
    pub fn load(path: &Path) -> Result<MachineFile> {
        let name = path.display();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{name}: cannot read machine file"))?;
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
        file.model
            .check_consistency()
            .map_err(|m| anyhow::anyhow!("{name}: damaged machine file: {m}"))?;
        Ok(file)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.display();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .with_context(|| format!("{name}: not a file name"))?
        .to_string_lossy()
        .into_owned();
    let temporary = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temporary);
        bail!("{name}: cannot save: {e}");
    }
    Ok(())
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
