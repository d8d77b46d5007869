//! Files and the window: drop a folder of images, a picture or a saved machine on it; save and
//! load the machine (the same files as `mark1 train --save`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use bevy::prelude::*;
use bevy::window::FileDragAndDrop;

use super::controls::FileRequest;
use crate::data::folder::read_image;
use crate::model_file::{MachineFile, SavedModel};
use crate::sim::{Bench, MachineRequest, Notice};

/// Where the window saves the machine and loads it from.
#[derive(Resource, Clone, Debug)]
pub struct MachinePath(pub PathBuf);

impl Default for MachinePath {
    fn default() -> Self {
        Self(PathBuf::from("mark1-machine.ron"))
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MachinePath>()
        .add_systems(Update, (take_dropped_files, save_or_load_machine));
}

/// A dropped folder or IDX file becomes the image set; a picture is shown to both machines;
/// a `.ron` file is loaded as a saved machine.
fn take_dropped_files(
    mut drops: MessageReader<FileDragAndDrop>,
    mut requests: MessageWriter<MachineRequest>,
    mut bench: ResMut<Bench>,
    mut notice: ResMut<Notice>,
) {
    for drop in drops.read() {
        let FileDragAndDrop::DroppedFile { path_buf, .. } = drop else { continue };
        let name = path_buf.to_string_lossy().to_string();
        let extension = path_buf
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if path_buf.is_dir() || name.contains("idx") {
            requests.write(MachineRequest::LoadImages(name));
        } else if extension == "ron" {
            report(&mut notice, load_machine(&mut bench, path_buf));
        } else {
            match read_image(path_buf) {
                Ok(image) => {
                    requests.write(MachineRequest::ShowImage(image));
                }
                Err(e) => {
                    notice.text = format!("{e:#}");
                    notice.is_error = true;
                }
            }
        }
    }
}

fn report(notice: &mut Notice, result: Result<String>) {
    match result {
        Ok(words) => {
            notice.text = words;
            notice.is_error = false;
        }
        Err(e) => {
            notice.text = format!("{e:#}");
            notice.is_error = true;
        }
    }
}

fn save_or_load_machine(
    mut files: MessageReader<FileRequest>,
    path: Res<MachinePath>,
    mut bench: ResMut<Bench>,
    mut notice: ResMut<Notice>,
) {
    for request in files.read() {
        let result = match request {
            FileRequest::Save => save_machine(&bench, &path.0),
            FileRequest::Load => load_machine(&mut bench, &path.0),
        };
        report(&mut notice, result);
    }
}

/// Saves the Mark I with its history, atomically.
pub fn save_machine(bench: &Bench, path: &Path) -> Result<String> {
    let scene = &bench.experiment.scene;
    MachineFile::new(
        &scene.name,
        scene.seed,
        &scene.data.source,
        SavedModel::Mark1(bench.machine().clone()),
        bench.experiment.history.clone(),
    )
    .save(path)?;
    Ok(format!("Saved the machine to {}.", path.display()))
}

/// Loads a saved Mark I; if it was trained on other images than those on the bench, loads
/// those first.
pub fn load_machine(bench: &mut Bench, path: &Path) -> Result<String> {
    let file = MachineFile::load(path)?;
    let SavedModel::Mark1(machine) = file.model else {
        return Err(anyhow!(
            "{}: holds an MLP; the panel loads Mark I machines (use `mark1 eval` for this one)",
            path.display()
        ));
    };
    if machine.classes != bench.classes() && file.data != bench.experiment.scene.data.source {
        *bench = bench
            .with_data(&file.data)
            .with_context(|| format!("{}: loading its images {}", path.display(), file.data))?;
    }
    bench
        .install(machine, file.history)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(format!("Loaded the machine from {}.", path.display()))
}
