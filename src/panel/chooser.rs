//! The desktop's own file chooser, asked from the path field: the XDG desktop portal on Linux
//! (through rfd, which opens libdbus at run time; zenity where no portal answers), the system
//! dialog on macOS and Windows. It runs on a thread of its own, so the window keeps drawing, and
//! its answer goes into the path field as if typed, so one set of checks opens or saves it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use bevy::prelude::*;

use super::path_field::PathField;
use crate::ui::Labels;

/// What the desktop is asked to choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// A folder of images (class folders, IDX files).
    Folder,
    /// A file to open: an IDX file, a picture, a machine.
    File,
    /// Where to save a machine.
    SaveFile,
}

/// A question for the desktop's chooser: what to pick, where to start, the name offered.
#[derive(Message, Clone, Debug, PartialEq)]
pub struct AskDesktop {
    pub pick: Pick,
    pub folder: PathBuf,
    pub name: Option<String>,
}

/// How the desktop is asked; blocks until the chooser closes (`None`: nothing chosen).
pub type Asker = fn(&AskDesktop) -> Option<PathBuf>;

/// Whether the desktop can be asked, how, and the answer being waited for.
#[derive(Resource)]
pub struct DesktopChooser {
    pub available: bool,
    ask: Asker,
    waiting: Option<Mutex<Receiver<Option<PathBuf>>>>,
}

impl DesktopChooser {
    /// The desktop's chooser through rfd, offered where one can answer.
    pub fn of_the_desktop() -> Self {
        Self::asking_with(ask_with_rfd, a_chooser_can_answer())
    }

    /// A chooser that asks through `ask` (a stand-in in tests).
    pub fn asking_with(ask: Asker, available: bool) -> Self {
        Self {
            available,
            ask,
            waiting: None,
        }
    }

    /// Whether a question is out and its answer not yet in.
    pub fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }
}

pub(super) fn plugin(app: &mut App) {
    if !app.world().contains_resource::<DesktopChooser>() {
        app.insert_resource(DesktopChooser::of_the_desktop());
    }
    app.add_message::<AskDesktop>()
        .add_systems(Update, (ask_the_desktop, take_the_answer).chain());
}

/// Where a chooser can answer. On Linux and the BSDs that is a session bus (for the portal)
/// or zenity on the PATH; elsewhere the system always has a dialog.
fn a_chooser_can_answer() -> bool {
    if !cfg!(unix) || cfg!(target_os = "macos") {
        return true;
    }
    let runtime_bus =
        std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| Path::new(&dir).join("bus").exists());
    let zenity = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join("zenity").is_file()));
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() || runtime_bus || zenity
}

/// The real question, through rfd's dialogs.
fn ask_with_rfd(question: &AskDesktop) -> Option<PathBuf> {
    let mut dialog = rfd::AsyncFileDialog::new().set_directory(&question.folder);
    if let Some(name) = &question.name {
        dialog = dialog.set_file_name(name);
    }
    let answer = match question.pick {
        Pick::Folder => bevy::tasks::block_on(dialog.pick_folder()),
        Pick::File => bevy::tasks::block_on(dialog.pick_file()),
        Pick::SaveFile => {
            bevy::tasks::block_on(dialog.add_filter("mark1 machine", &["ron"]).save_file())
        }
    };
    answer.map(|handle| handle.path().to_path_buf())
}

/// A question from the path field goes to the desktop on a thread of its own; one at a time.
fn ask_the_desktop(
    mut questions: MessageReader<AskDesktop>,
    mut chooser: ResMut<DesktopChooser>,
    mut field: ResMut<PathField>,
) {
    for question in questions.read() {
        if chooser.is_waiting() || !chooser.available {
            continue;
        }
        let (answer, answered) = channel();
        let ask = chooser.ask;
        let question = question.clone();
        let asked = std::thread::Builder::new()
            .name("desktop chooser".into())
            .spawn(move || answer.send(ask(&question)));
        match asked {
            Ok(_) => {
                chooser.waiting = Some(Mutex::new(answered));
                field.waiting_for_desktop = true;
            }
            Err(e) => field.problem = format!("the desktop's chooser: {e}"),
        }
    }
}

/// The chooser's answer, once it comes: a path goes into the field and is acted on; nothing
/// chosen (or no chooser that answered) says so, and the typed path stays.
fn take_the_answer(
    mut chooser: ResMut<DesktopChooser>,
    mut field: ResMut<PathField>,
    labels: Res<Labels>,
) {
    let Some(waiting) = &chooser.waiting else {
        return;
    };
    let answer = match waiting.lock().map(|r| r.try_recv()) {
        Ok(Err(TryRecvError::Empty)) => return,
        Ok(Ok(answer)) => answer,
        _ => None,
    };
    chooser.waiting = None;
    field.waiting_for_desktop = false;
    match answer {
        Some(path) => field.take_chosen(&path),
        None if field.purpose.is_some() => field.problem = labels.0.get("chooser_none"),
        None => {}
    }
}
