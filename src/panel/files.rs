//! Files and the window: drop a folder of images, a picture or a saved machine on it (or type
//! its path: path_field.rs); save and load the machine (the same files as `mark1 train --save`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use bevy::prelude::*;
use bevy::window::FileDragAndDrop;

use super::controls::FileRequest;
use crate::data::folder::read_image;
use crate::data::kept_side;
use crate::model_file::{MachineFile, SavedModel};
use crate::sim::{Bench, MachineRequest, Notice};
use crate::ui::Labels;
use crate::ui::strings::Strings;

/// The window's machine files: each Save writes a new file in `folder` (named after the
/// scene and the images, numbered, never replacing one), and Load reads `last`, the file
/// saved or opened most recently.
#[derive(Resource, Clone, Debug)]
pub struct MachineFiles {
    pub folder: PathBuf,
    pub last: Option<PathBuf>,
}

impl Default for MachineFiles {
    fn default() -> Self {
        Self {
            folder: MachineFile::default_folder(),
            last: None,
        }
    }
}

/// A file or folder to open: dropped on the window, or typed in the path field.
#[derive(Message, Clone, Debug, PartialEq)]
pub struct OpenPath(pub PathBuf);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MachineFiles>()
        .add_message::<OpenPath>()
        .add_systems(
            Update,
            (
                // what is opened is loaded in the same update
                (take_dropped_files, open_paths)
                    .chain()
                    .before(crate::sim::MachineCycle::Present),
                save_or_load_machine,
            ),
        );
}

/// Whatever is dropped on the window is opened as if typed.
fn take_dropped_files(
    mut drops: MessageReader<FileDragAndDrop>,
    mut opens: MessageWriter<OpenPath>,
) {
    for drop in drops.read() {
        if let FileDragAndDrop::DroppedFile { path_buf, .. } = drop {
            opens.write(OpenPath(path_buf.clone()));
        }
    }
}

/// A folder or IDX file becomes the image set; a picture is shown to both machines; a `.ron`
/// file is loaded as a saved machine.
pub(super) fn open_paths(
    mut opens: MessageReader<OpenPath>,
    mut requests: MessageWriter<MachineRequest>,
    mut bench: ResMut<Bench>,
    mut files: ResMut<MachineFiles>,
    mut notice: ResMut<Notice>,
    labels: Res<Labels>,
) {
    for OpenPath(path) in opens.read() {
        let name = path.to_string_lossy().to_string();
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if path.is_dir() || name.contains("idx") {
            requests.write(MachineRequest::LoadImages(name));
        } else if extension == "ron" {
            let loaded = load_machine(&mut bench, path);
            if loaded.is_ok() {
                files.last = Some(path.clone());
            }
            report(&mut notice, loaded.map(|()| loaded_words(&labels, path)));
        } else {
            let retina = &bench.experiment.scene.retina;
            match read_image(path, kept_side(retina.width.max(retina.height))) {
                Ok(image) => {
                    requests.write(MachineRequest::ShowImage(image));
                }
                Err(e) => {
                    notice.fail(format!("{e:#}"));
                }
            }
        }
    }
}

fn report(notice: &mut Notice, result: Result<String>) {
    match result {
        Ok(words) => {
            notice.say(words);
        }
        Err(e) => {
            notice.fail(format!("{e:#}"));
        }
    }
}

fn save_or_load_machine(
    mut requests: MessageReader<FileRequest>,
    mut files: ResMut<MachineFiles>,
    mut bench: ResMut<Bench>,
    mut notice: ResMut<Notice>,
    labels: Res<Labels>,
) {
    for request in requests.read() {
        let result = match request {
            FileRequest::Save => {
                // the file holds every closed epoch's record
                bench.settle_review();
                save_machine(&bench, &mut files, &labels)
            }
            FileRequest::Load => match files.last.clone() {
                Some(path) => {
                    load_machine(&mut bench, &path).map(|()| loaded_words(&labels, &path))
                }
                None => Err(anyhow!(labels.get("no_machine_yet"))),
            },
            // export.rs and path_field.rs answer these
            FileRequest::Export | FileRequest::Open | FileRequest::SaveAs => continue,
        };
        report(&mut notice, result);
    }
}

/// The Mark I on the bench with its history, as a machine file holds it.
pub fn machine_file(bench: &Bench) -> MachineFile {
    let scene = &bench.experiment.scene;
    MachineFile::new(
        &scene.name,
        scene.seed,
        &scene.data.source,
        SavedModel::Mark1(bench.machine().clone()),
        bench.experiment.history.clone(),
    )
}

/// Saves the Mark I with its history as a new file in the window's folder for machines.
pub fn save_machine(bench: &Bench, files: &mut MachineFiles, labels: &Strings) -> Result<String> {
    let path = machine_file(bench).save_numbered(&files.folder)?;
    let words = saved_words(labels, &path);
    files.last = Some(path);
    Ok(words)
}

/// "Saved the machine as PATH." in the language on screen.
fn saved_words(labels: &Strings, path: &Path) -> String {
    labels.fill("saved_machine", &[&path.display().to_string()])
}

/// "Loaded the machine from PATH." in the language on screen.
fn loaded_words(labels: &Strings, path: &Path) -> String {
    labels.fill("loaded_machine", &[&path.display().to_string()])
}

/// Saves the Mark I at `path` (replacing only an earlier machine file there).
pub fn save_machine_as(
    bench: &Bench,
    files: &mut MachineFiles,
    path: &Path,
    labels: &Strings,
) -> Result<String> {
    machine_file(bench).save(path)?;
    files.last = Some(path.to_path_buf());
    Ok(saved_words(labels, path))
}

/// Loads a saved Mark I; if it was trained on other images than those on the bench, loads
/// those first.
pub fn load_machine(bench: &mut Bench, path: &Path) -> Result<()> {
    let file = MachineFile::load(path)?;
    let SavedModel::Mark1(machine) = file.model else {
        return Err(anyhow!(
            "{}: holds an MLP; the panel loads Mark I machines (use `mark1 eval` for this one)",
            path.display()
        ));
    };
    if machine.classes != bench.classes() && file.data != bench.experiment.scene.data.source {
        **bench = bench
            .with_data(&file.data)
            .with_context(|| format!("{}: loading its images {}", path.display(), file.data))?;
    }
    bench
        .install(machine, file.history)
        .map_err(|e| anyhow!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use bevy::state::app::StatesPlugin;

    use super::*;
    use crate::scene::Scene;
    use crate::test_support::scratch_dir;

    fn app() -> App {
        let mut scene = Scene::default_scene();
        scene.data.samples_per_class = Some(12);
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatesPlugin))
            .init_resource::<Labels>()
            .insert_resource(Bench::prepare(scene).unwrap())
            .add_plugins(crate::sim::plugin)
            .add_message::<FileRequest>()
            .add_message::<FileDragAndDrop>()
            .add_plugins(plugin);
        app.update();
        app
    }

    fn drop_file(app: &mut App, path: &Path) {
        app.world_mut().write_message(FileDragAndDrop::DroppedFile {
            window: Entity::PLACEHOLDER,
            path_buf: path.to_path_buf(),
        });
        app.update();
        app.update();
    }

    /// Writes builtin:left-right as PNG class folders.
    fn write_cards(root: &Path) {
        let (set, _) = crate::data::builtin::generate("left-right", 3, Some(8)).unwrap();
        crate::data::folder::write_class_folders(&set, root).unwrap();
    }

    #[test]
    fn a_dropped_folder_becomes_the_image_set() {
        let dir = scratch_dir("drop-folder");
        write_cards(&dir);
        let mut app = app();
        assert_eq!(app.world().resource::<Bench>().classes().len(), 3);
        drop_file(&mut app, &dir);
        // the images load off the main thread
        while app.world().resource::<crate::sim::ImageLoad>().is_loading() {
            app.update();
        }
        let bench = app.world().resource::<Bench>();
        assert_eq!(bench.classes(), ["left", "right"]);
        assert!(!app.world().resource::<Notice>().is_error);
    }

    #[test]
    fn a_dropped_unreadable_picture_is_a_message_not_a_crash() {
        let dir = scratch_dir("drop-bad");
        let bad = dir.join("broken.png");
        std::fs::write(&bad, b"not a png at all").unwrap();
        let mut app = app();
        drop_file(&mut app, &bad);
        let notice = app.world().resource::<Notice>();
        assert!(notice.is_error);
        assert!(
            notice.in_english().contains("broken.png"),
            "{}",
            notice.in_english()
        );
    }

    #[test]
    fn a_dropped_picture_is_classified_by_both_machines() {
        let dir = scratch_dir("drop-picture");
        let path = dir.join("square.png");
        let mut picture = image::GrayImage::from_pixel(40, 40, image::Luma([255]));
        for k in 8..32 {
            for (x, y) in [(k, 8), (k, 31), (8, k), (31, k)] {
                picture.put_pixel(x, y, image::Luma([0]));
            }
        }
        picture.save(&path).unwrap();
        let mut app = app();
        drop_file(&mut app, &path);
        let bench = app.world().resource::<Bench>();
        let current = bench
            .current
            .as_ref()
            .expect("the picture is on the retina");
        assert_eq!(current.origin, crate::sim::Origin::Visitor);
        assert!(current.cells.iter().filter(|&&c| c > 0.0).count() > 20);
        assert!(current.modern.is_some());
    }

    #[test]
    fn the_save_and_load_messages_are_in_the_language_on_screen() {
        let dir = scratch_dir("window-save-de").join("machines");
        let mut app = app();
        app.insert_resource(Labels(Strings::built_in("de").unwrap()))
            .insert_resource(MachineFiles {
                folder: dir.clone(),
                last: None,
            });
        let mut press = |request: FileRequest| {
            app.world_mut().write_message(request);
            app.update();
            app.world().resource::<Notice>().in_english()
        };
        assert!(press(FileRequest::Load).starts_with("Noch keine Maschine"));
        let saved = press(FileRequest::Save);
        assert!(
            saved.starts_with("Die Maschine ist gesichert als "),
            "{saved}"
        );
        assert!(saved.contains("machines"), "{saved}");
        let loaded = press(FileRequest::Load);
        assert!(
            loaded.starts_with("Die Maschine ist geladen aus "),
            "{loaded}"
        );
    }

    #[test]
    fn saving_and_loading_from_the_window_restores_the_pots() {
        let dir = scratch_dir("window-save").join("machines");
        let mut app = app();
        app.insert_resource(MachineFiles {
            folder: dir.clone(),
            last: None,
        });
        let press = |app: &mut App, request: FileRequest| {
            app.world_mut().write_message(request);
            app.update();
            app.world().resource::<Notice>().clone()
        };
        let step = |app: &mut App| {
            app.world_mut()
                .write_message(crate::sim::MachineRequest::StepEpoch);
            app.update();
            app.world().resource::<Bench>().machine().weights.clone()
        };
        let notice = press(&mut app, FileRequest::Load);
        assert!(notice.is_error && notice.in_english().contains("No machine saved"));
        let once = step(&mut app);
        assert!(once.iter().any(|&w| w != 0.0));
        press(&mut app, FileRequest::Save);
        // named after the scene and its images, in a folder made for it
        let first = dir.join("the-mark-i-default-machine-shapes-1.ron");
        let first_text = std::fs::read(&first).expect("the first save");
        let twice = step(&mut app);
        let notice = press(&mut app, FileRequest::Save);
        let second = dir.join("the-mark-i-default-machine-shapes-2.ron");
        assert!(
            notice.in_english().contains("shapes-2.ron"),
            "{}",
            notice.in_english()
        );
        assert_eq!(std::fs::read(&first).unwrap(), first_text, "never replaced");
        app.world_mut()
            .write_message(crate::sim::MachineRequest::Reset);
        app.update();
        let bench = app.world().resource::<Bench>();
        assert!(bench.machine().weights.iter().all(|&w| w == 0.0));
        // Load reads the latest save; a dropped file becomes the one Load reads
        press(&mut app, FileRequest::Load);
        let bench = app.world().resource::<Bench>();
        assert_eq!(bench.machine().weights, twice);
        assert_eq!(bench.experiment.history.len(), 2);
        drop_file(&mut app, &first);
        assert_eq!(app.world().resource::<Bench>().machine().weights, once);
        assert_eq!(app.world().resource::<MachineFiles>().last, Some(first));
        // the same files read with the command line's loader
        let file = MachineFile::load(&second).unwrap();
        assert!(matches!(file.model, SavedModel::Mark1(_)));
    }

    #[test]
    fn loading_a_missing_machine_file_names_it() {
        let mut app = app();
        app.insert_resource(MachineFiles {
            folder: PathBuf::from("/no/such"),
            last: Some(PathBuf::from("/no/such/machine.ron")),
        });
        app.world_mut().write_message(FileRequest::Load);
        app.update();
        let notice = app.world().resource::<Notice>();
        assert!(
            notice.is_error && notice.in_english().contains("/no/such/machine.ron"),
            "{}",
            notice.in_english()
        );
    }
}
