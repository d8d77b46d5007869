//! The path field: Open… and Save as… take a typed path over the panel (Tab completes folder
//! and file names, a touch on a name takes it, Enter acts, Esc closes), so images, a picture
//! or a machine open, and a machine saves where one chooses, on any desktop. Where the desktop
//! has a file chooser, its buttons ask it (see [`super::chooser`]).

use std::path::{Path, PathBuf};

use bevy::input::InputSystems;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::prelude::*;

use super::chooser::{AskDesktop, DesktopChooser, Pick};
use super::controls::FileRequest;
use super::files::{MachineFiles, OpenPath, machine_file, save_machine_as};
use crate::files::next_numbered;
use crate::model_file::MACHINE_FILE;
use crate::paths::{Completions, complete, expand, shown};
use crate::sim::{Bench, Notice};
use crate::ui::Labels;
use crate::ui::fonts::{UiFonts, text};
use crate::ui::palette::*;
use crate::ui::strings::Strings;
use crate::ui::text::localized_text;
use crate::ui::{LayoutSpawned, Localized, PANEL_BUTTON, styled_button};

/// Names the field lists at most under the typed line.
const LISTED: usize = 10;

/// What Enter does with the typed path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Open,
    SaveAs,
}

/// The field's state: closed while `purpose` is `None`.
#[derive(Resource, Debug, Default)]
pub struct PathField {
    pub purpose: Option<Purpose>,
    pub typed: String,
    pub completions: Completions,
    /// A Save as onto an existing machine file waits for Enter a second time.
    pub confirming: Option<PathBuf>,
    /// The last problem, shown under the names (a missing file, a refused save).
    pub problem: String,
    /// The desktop's chooser is open; its answer will fill the field.
    pub waiting_for_desktop: bool,
    /// Enter was pressed (or the Open / Save button): act on the typed path this frame.
    submitted: bool,
    /// Where relative paths start: the folder the program started in.
    base: PathBuf,
}

impl PathField {
    /// Opens the field for `purpose` with `typed` filled in.
    fn open(&mut self, purpose: Purpose, typed: String) {
        self.purpose = Some(purpose);
        self.typed = typed;
        self.confirming = None;
        self.problem.clear();
        self.refresh();
    }

    fn close(&mut self) {
        self.purpose = None;
        self.submitted = false;
    }

    /// The names the typed path may go on with, read again.
    fn refresh(&mut self) {
        self.completions = complete(&self.typed, &self.base);
    }

    /// One key, as the field takes it: editing, Tab, Enter or Esc.
    pub fn key(&mut self, key: &Key, typed_text: Option<&str>) {
        match key {
            Key::Escape => return self.close(),
            Key::Enter => self.submitted = true,
            Key::Tab => self.typed.clone_from(&self.completions.extended),
            Key::Backspace => {
                self.typed.pop();
            }
            _ => match typed_text {
                Some(chars) if chars.chars().all(|c| !c.is_control()) => self.typed.push_str(chars),
                _ => return,
            },
        }
        if !matches!(key, Key::Enter) {
            self.confirming = None;
            self.problem.clear();
            self.refresh();
        }
    }

    /// The typed path as a path, relative ones from where the program started.
    pub fn path(&self) -> PathBuf {
        expand(&self.typed, &self.base)
    }

    /// What the desktop's chooser answered, taken as if typed and acted on.
    pub fn take_chosen(&mut self, path: &Path) {
        if self.purpose.is_none() {
            return;
        }
        self.typed = shown(path);
        self.problem.clear();
        self.refresh();
        self.submitted = true;
    }

    /// The question for the desktop: `pick`, starting in the typed path's folder, offering its
    /// file name when saving.
    fn question(&self, pick: Pick) -> AskDesktop {
        let path = self.path();
        let (folder, name) = match self.typed.ends_with('/') || path.is_dir() {
            true => (path, None),
            false => (
                path.parent().map_or(self.base.clone(), Path::to_path_buf),
                path.file_name().map(|n| n.to_string_lossy().into_owned()),
            ),
        };
        AskDesktop {
            pick,
            folder,
            name: name.filter(|_| pick == Pick::SaveFile),
        }
    }
}

/// The field's root node, the typed line, the list of names and the line of problems.
#[derive(Component)]
struct FieldOverlay;
#[derive(Component)]
struct TypedLine;
#[derive(Component)]
struct NameList;
#[derive(Component)]
struct ProblemLine;
#[derive(Component)]
struct FieldTitle;

/// A button of the field: a listed name, act, ask the desktop's chooser, or close.
#[derive(Component, Clone, Debug, PartialEq)]
enum FieldButton {
    Name(String, bool),
    Act,
    Choose(Pick),
    Cancel,
}

/// The chooser's buttons: what each asks for, its label, and the purpose it serves.
const CHOOSER_BUTTONS: [(Pick, &str, Purpose); 3] = [
    (Pick::Folder, "choose_folder", Purpose::Open),
    (Pick::File, "choose_file", Purpose::Open),
    (Pick::SaveFile, "choose_place", Purpose::SaveAs),
];

pub(super) fn plugin(app: &mut App) {
    app.insert_resource(PathField {
        base: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
        ..default()
    })
    .add_systems(PreStartup, build_overlay.after(LayoutSpawned))
    .add_systems(PreUpdate, type_into_the_field.after(InputSystems))
    .add_systems(
        Update,
        (
            open_the_field,
            press_field_buttons,
            act_on_the_path,
            show_the_field,
            show_the_chooser_buttons,
        )
            .chain()
            .before(super::files::open_paths),
    );
}

fn build_overlay(mut commands: Commands, fonts: Res<UiFonts>) {
    commands
        .spawn((
            FieldOverlay,
            Button,
            Node {
                position_type: PositionType::Absolute,
                left: percent(10),
                top: percent(8),
                width: percent(80),
                display: Display::None,
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(px(24)),
                row_gap: px(10),
                border: UiRect::all(px(2)),
                ..default()
            },
            BorderColor::all(PANEL_EDGE),
            BackgroundColor(BACKGROUND),
            GlobalZIndex(60),
        ))
        .with_children(|overlay| {
            overlay.spawn((
                FieldTitle,
                localized_text(&fonts, "open_title", 1.3 * HEADING_SIZE, ENGRAVING, true),
            ));
            overlay
                .spawn((
                    Node {
                        padding: UiRect::all(px(8)),
                        border: UiRect::all(px(1)),
                        ..default()
                    },
                    BorderColor::all(LAMP_ON),
                    BackgroundColor(BUTTON),
                ))
                .with_child((
                    TypedLine,
                    text(&fonts, "", LABEL_SIZE + 3.0, LAMP_ON, false),
                ));
            overlay.spawn((
                NameList,
                Node {
                    flex_direction: FlexDirection::Column,
                    row_gap: px(2),
                    ..default()
                },
            ));
            overlay.spawn((ProblemLine, text(&fonts, "", LABEL_SIZE, ERROR_TEXT, false)));
            overlay.spawn(localized_text(
                &fonts,
                "path_hint",
                SMALL_SIZE + 1.0,
                DIM_TEXT,
                false,
            ));
            overlay
                .spawn(Node {
                    column_gap: px(10),
                    ..default()
                })
                .with_children(|row| {
                    row.spawn(styled_button(
                        &fonts,
                        "open",
                        FieldButton::Act,
                        110.0,
                        &PANEL_BUTTON,
                    ));
                    for (pick, label, _) in CHOOSER_BUTTONS {
                        row.spawn(styled_button(
                            &fonts,
                            label,
                            FieldButton::Choose(pick),
                            110.0,
                            &PANEL_BUTTON,
                        ));
                    }
                    row.spawn(styled_button(
                        &fonts,
                        "cancel",
                        FieldButton::Cancel,
                        110.0,
                        &PANEL_BUTTON,
                    ));
                });
        });
}

/// Open… and Save as… (the buttons, or Ctrl+O) open the field: Open at the folder last used,
/// Save as at the name the next numbered save would take.
fn open_the_field(
    mut requests: MessageReader<FileRequest>,
    keys: Option<Res<ButtonInput<KeyCode>>>,
    bench: Res<Bench>,
    files: Res<MachineFiles>,
    mut field: ResMut<PathField>,
) {
    let control = keys
        .as_ref()
        .is_some_and(|k| k.pressed(KeyCode::ControlLeft) || k.pressed(KeyCode::ControlRight));
    let ctrl_o = control && keys.is_some_and(|k| k.just_pressed(KeyCode::KeyO));
    let mut wanted = ctrl_o.then_some(Purpose::Open);
    for request in requests.read() {
        match request {
            FileRequest::Open => wanted = Some(Purpose::Open),
            FileRequest::SaveAs => wanted = Some(Purpose::SaveAs),
            _ => {}
        }
    }
    let Some(purpose) = wanted else { return };
    let typed = match purpose {
        Purpose::Open => starting_folder(&bench, &files, &field.base),
        Purpose::SaveAs => {
            let stem = machine_file(&bench).numbered_stem();
            shown(&next_numbered(&files.folder, &stem, "ron"))
        }
    };
    field.open(purpose, typed);
}

/// Where Open starts: the folder of the images on the bench, else of the last machine file,
/// else where the program started; with a `/` to go on typing.
fn starting_folder(bench: &Bench, files: &MachineFiles, base: &Path) -> String {
    let source = expand(&bench.experiment.scene.data.source, base);
    let folder = match files.last.as_deref().and_then(Path::parent) {
        _ if source.is_dir() => source.parent().unwrap_or(&source).to_path_buf(),
        Some(folder) => expand(&folder.to_string_lossy(), base),
        None => base.to_path_buf(),
    };
    format!("{}/", shown(&folder).trim_end_matches('/'))
}

/// While the field is open it takes the keyboard: every key edits it, and no shortcut of the
/// panel beneath sees one.
fn type_into_the_field(
    mut events: MessageReader<KeyboardInput>,
    mut field: ResMut<PathField>,
    keys: Option<ResMut<ButtonInput<KeyCode>>>,
    logical: Option<ResMut<ButtonInput<Key>>>,
) {
    if field.purpose.is_none() {
        events.clear();
        return;
    }
    for event in events.read() {
        if event.state.is_pressed() {
            field.key(&event.logical_key, event.text.as_deref());
        }
    }
    if let Some(mut keys) = keys {
        keys.reset_all();
    }
    if let Some(mut logical) = logical {
        logical.reset_all();
    }
}

/// A touch on a listed name takes it (a folder to look into, a file to act on); the buttons
/// act, ask the desktop's chooser, or close.
fn press_field_buttons(
    buttons: Query<(&Interaction, &FieldButton), Changed<Interaction>>,
    mut field: ResMut<PathField>,
    mut questions: MessageWriter<AskDesktop>,
) {
    for (interaction, button) in &buttons {
        if *interaction != Interaction::Pressed || field.purpose.is_none() {
            continue;
        }
        match button {
            FieldButton::Name(name, is_folder) => {
                let folder_part = match field.typed.rfind('/') {
                    Some(k) => field.typed[..=k].to_string(),
                    None => String::new(),
                };
                field.typed = format!("{folder_part}{name}{}", if *is_folder { "/" } else { "" });
                field.problem.clear();
                field.refresh();
            }
            FieldButton::Act => field.submitted = true,
            FieldButton::Choose(pick) => {
                questions.write(field.question(*pick));
            }
            FieldButton::Cancel => field.close(),
        }
    }
}

/// Enter: opens what the path names, or saves the machine there. A problem keeps the field
/// open with the reason under the names.
fn act_on_the_path(
    mut field: ResMut<PathField>,
    mut opens: MessageWriter<OpenPath>,
    mut bench: ResMut<Bench>,
    mut files: ResMut<MachineFiles>,
    mut notice: ResMut<Notice>,
    labels: Res<Labels>,
) {
    if !field.submitted {
        return;
    }
    field.submitted = false;
    let path = field.path();
    let outcome = match field.purpose {
        Some(Purpose::Open) => open_target(&path, &labels).map(|()| {
            opens.write(OpenPath(path.clone()));
            None
        }),
        Some(Purpose::SaveAs) => {
            // the file holds every closed epoch's record
            bench.settle_review();
            save_as(&mut field, &bench, &mut files, path, &labels)
        }
        None => return,
    };
    match outcome {
        Ok(None) => field.close(),
        Ok(Some(words)) => {
            notice.say(words);
            field.close();
        }
        Err(problem) => field.problem = problem,
    }
}

/// Whether `path` can be opened: it must exist.
fn open_target(path: &Path, labels: &Strings) -> Result<(), String> {
    match path.exists() {
        true => Ok(()),
        false => Err(labels.fill("path_missing", &[&path.display().to_string()])),
    }
}

/// Saves the machine at `path` (`.ron` added when it has no extension). An existing file
/// waits for a second Enter, and only an earlier machine file is ever replaced.
fn save_as(
    field: &mut PathField,
    bench: &Bench,
    files: &mut MachineFiles,
    mut path: PathBuf,
    labels: &Strings,
) -> Result<Option<String>, String> {
    if path.is_dir() {
        return Err(labels.fill("path_is_folder", &[&path.display().to_string()]));
    }
    if path.extension().is_none() {
        path.set_extension("ron");
    }
    if path.exists() && field.confirming.as_ref() != Some(&path) {
        crate::files::check_save_target(&path, &MACHINE_FILE).map_err(|e| format!("{e:#}"))?;
        field.problem = labels.fill("path_replaces", &[&path.display().to_string()]);
        field.confirming = Some(path);
        return Err(field.problem.clone());
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    }
    save_machine_as(bench, files, &path, labels)
        .map(Some)
        .map_err(|e| format!("{e:#}"))
}

/// Shows or hides the field, its title, the typed line with its caret, the names and the
/// problem, whenever they change.
fn show_the_field(
    field: Res<PathField>,
    fonts: Res<UiFonts>,
    mut overlay: Query<&mut Node, With<FieldOverlay>>,
    mut lines: ParamSet<(
        Query<&mut Text, With<TypedLine>>,
        Query<&mut Text, With<ProblemLine>>,
    )>,
    act: Query<(&FieldButton, &Children)>,
    mut labels: Query<&mut Localized>,
    title: Query<Entity, With<FieldTitle>>,
    list: Query<Entity, With<NameList>>,
    words: Res<Labels>,
    mut commands: Commands,
) {
    if !field.is_changed() {
        return;
    }
    for mut node in &mut overlay {
        node.display = match field.purpose {
            Some(_) => Display::Flex,
            None => Display::None,
        };
    }
    let Some(purpose) = field.purpose else { return };
    for mut line in &mut lines.p0() {
        line.0 = format!("{}\u{258f}", field.typed);
    }
    for mut line in &mut lines.p1() {
        line.0 = match field.waiting_for_desktop {
            true => words.get("chooser_waiting"),
            false => field.problem.clone(),
        };
    }
    let (title_key, act_key) = match purpose {
        Purpose::Open => ("open_title", "path_open"),
        Purpose::SaveAs => ("save_as_title", "save"),
    };
    let act_labels = act
        .iter()
        .filter(|(button, _)| **button == FieldButton::Act)
        .flat_map(|(_, children)| children.iter());
    for (entity, key) in title
        .iter()
        .map(|e| (e, title_key))
        .chain(act_labels.map(|e| (e, act_key)))
    {
        if let Ok(mut label) = labels.get_mut(entity)
            && label.key != key
        {
            label.key = key.to_string();
        }
    }
    for list in &list {
        commands.entity(list).despawn_children();
        commands
            .entity(list)
            .with_children(|list| list_names(list, &field.completions, &fonts));
    }
}

/// The chooser's buttons for what the field is for, where the desktop has a chooser and no
/// question is out.
fn show_the_chooser_buttons(
    field: Res<PathField>,
    chooser: Res<DesktopChooser>,
    mut buttons: Query<(&FieldButton, &mut Node), Without<FieldOverlay>>,
) {
    if !field.is_changed() && !chooser.is_changed() {
        return;
    }
    for (button, mut node) in &mut buttons {
        let FieldButton::Choose(pick) = button else {
            continue;
        };
        let serves = CHOOSER_BUTTONS
            .iter()
            .any(|(p, _, purpose)| p == pick && field.purpose == Some(*purpose));
        let shown = serves && chooser.available && !chooser.is_waiting();
        node.display = if shown { Display::Flex } else { Display::None };
    }
}

/// The first [`LISTED`] names the typed path may go on with, each to touch, and how many more.
fn list_names(list: &mut ChildSpawnerCommands, completions: &Completions, fonts: &UiFonts) {
    for entry in completions.entries.iter().take(LISTED) {
        let shown = format!("{}{}", entry.name, if entry.is_folder { "/" } else { "" });
        list.spawn((
            Button,
            FieldButton::Name(entry.name.clone(), entry.is_folder),
            Node {
                min_height: px(28),
                padding: UiRect::horizontal(px(8)),
                align_items: AlignItems::Center,
                ..default()
            },
            BackgroundColor(BUTTON),
        ))
        .with_child(text(fonts, shown, LABEL_SIZE, ENGRAVING, entry.is_folder));
    }
    let more = completions.entries.len().saturating_sub(LISTED);
    if more > 0 || completions.truncated {
        list.spawn(text(
            fonts,
            format!("… +{more}"),
            SMALL_SIZE,
            DIM_TEXT,
            false,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    fn field_at(base: &Path) -> PathField {
        PathField {
            base: base.to_path_buf(),
            ..default()
        }
    }

    fn typed(field: &mut PathField, chars: &str) {
        for c in chars.chars() {
            let s = c.to_string();
            field.key(&Key::Character(s.as_str().into()), Some(&s));
        }
    }

    #[test]
    fn typing_tab_and_backspace_edit_the_path_and_escape_closes() {
        let dir = scratch_dir("path-field");
        std::fs::create_dir_all(dir.join("photos/cat")).unwrap();
        std::fs::create_dir_all(dir.join("photos/dog")).unwrap();
        let mut field = field_at(&dir);
        field.open(Purpose::Open, String::new());
        typed(&mut field, "ph");
        field.key(&Key::Tab, None);
        assert_eq!(field.typed, "photos/");
        assert_eq!(field.path(), dir.join("photos"));
        let names: Vec<_> = field.completions.entries.iter().map(|e| &e.name).collect();
        assert_eq!(names, ["cat", "dog"]);
        typed(&mut field, "d");
        field.key(&Key::Tab, None);
        assert_eq!(field.typed, "photos/dog/");
        field.key(&Key::Backspace, None);
        field.key(&Key::Backspace, None);
        assert_eq!(field.typed, "photos/do");
        // a control character is not typed; Enter submits; Esc closes
        field.key(&Key::Character("\u{7f}".into()), Some("\u{7f}"));
        assert_eq!(field.typed, "photos/do");
        field.key(&Key::Enter, None);
        assert!(field.submitted);
        field.key(&Key::Escape, None);
        assert_eq!(field.purpose, None);
    }

    /// The panel's file plugin with the field's systems (no rendering), at `base`.
    fn app(base: &Path, machines: &Path) -> App {
        use bevy::state::app::StatesPlugin;
        let mut scene = crate::scene::Scene::default_scene();
        scene.data.samples_per_class = Some(12);
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatesPlugin))
            .init_resource::<Labels>()
            .insert_resource(Bench::prepare(scene).unwrap())
            .add_plugins(crate::sim::plugin)
            .add_message::<FileRequest>()
            .add_message::<bevy::window::FileDragAndDrop>()
            .add_message::<KeyboardInput>()
            .add_plugins(super::super::files::plugin)
            .insert_resource(MachineFiles {
                folder: machines.to_path_buf(),
                last: None,
            })
            .insert_resource(field_at(base))
            .insert_resource(DesktopChooser::asking_with(|_| None, false))
            .add_plugins(super::super::chooser::plugin)
            .add_systems(PreUpdate, type_into_the_field)
            .add_systems(
                Update,
                (open_the_field, act_on_the_path)
                    .chain()
                    .before(super::super::files::open_paths),
            );
        app.update();
        app
    }

    fn press(app: &mut App, key: Key, text: Option<&str>) {
        app.world_mut().write_message(KeyboardInput {
            key_code: KeyCode::Unidentified(bevy::input::keyboard::NativeKeyCode::Unidentified),
            logical_key: key,
            state: bevy::input::ButtonState::Pressed,
            text: text.map(Into::into),
            repeat: false,
            window: Entity::PLACEHOLDER,
        });
        app.update();
    }

    fn type_text(app: &mut App, chars: &str) {
        for c in chars.chars() {
            let s = c.to_string();
            press(app, Key::Character(s.as_str().into()), Some(&s));
        }
    }

    #[test]
    fn save_as_offers_the_next_numbered_name_and_saves_where_one_types() {
        let dir = scratch_dir("path-field-save");
        let machines = dir.join("machines");
        let mut app = app(&dir, &machines);
        app.world_mut().write_message(FileRequest::SaveAs);
        app.update();
        let offered = app.world().resource::<PathField>().typed.clone();
        assert!(
            offered.starts_with(&machines.display().to_string()),
            "{offered}"
        );
        assert!(offered.ends_with("-1.ron"), "{offered}");
        // Enter takes the offered name
        press(&mut app, Key::Enter, None);
        let saved = PathBuf::from(&offered);
        assert!(saved.is_file(), "{offered}");
        assert_eq!(app.world().resource::<PathField>().purpose, None);
        crate::model_file::MachineFile::load(&saved).unwrap();

        // a typed name without extension gains .ron; an existing one waits for a second Enter
        app.world_mut().write_message(FileRequest::SaveAs);
        app.update();
        app.world_mut().resource_mut::<PathField>().typed.clear();
        type_text(&mut app, "mine");
        press(&mut app, Key::Enter, None);
        let mine = dir.join("mine.ron");
        assert!(mine.is_file());
        let first = std::fs::metadata(&mine).unwrap().modified().unwrap();
        app.world_mut().write_message(FileRequest::SaveAs);
        app.update();
        app.world_mut().resource_mut::<PathField>().typed = "mine.ron".into();
        press(&mut app, Key::Enter, None);
        let field = app.world().resource::<PathField>();
        assert!(
            field.problem.contains("Enter again replaces it"),
            "{}",
            field.problem
        );
        assert_eq!(std::fs::metadata(&mine).unwrap().modified().unwrap(), first);
        press(&mut app, Key::Enter, None);
        assert_eq!(app.world().resource::<PathField>().purpose, None);

        // a file that is not a machine is never replaced, and the field stays open
        let notes = dir.join("notes.txt");
        std::fs::write(&notes, "mine").unwrap();
        app.world_mut().write_message(FileRequest::SaveAs);
        app.update();
        app.world_mut().resource_mut::<PathField>().typed = "notes.txt".into();
        press(&mut app, Key::Enter, None);
        press(&mut app, Key::Enter, None);
        let field = app.world().resource::<PathField>();
        assert!(field.problem.contains("notes.txt"), "{}", field.problem);
        assert!(field.purpose.is_some());
        assert_eq!(std::fs::read_to_string(&notes).unwrap(), "mine");
    }

    #[test]
    fn open_starts_beside_the_images_on_the_bench_even_when_named_relatively() {
        let dir = scratch_dir("path-field-start");
        std::fs::create_dir_all(dir.join("cards")).unwrap();
        let mut app = app(&dir, &dir.join("machines"));
        let relative = "cards".to_string();
        app.world_mut()
            .resource_mut::<Bench>()
            .experiment
            .scene
            .data
            .source = relative;
        app.world_mut().write_message(FileRequest::Open);
        app.update();
        let typed = app.world().resource::<PathField>().typed.clone();
        assert_eq!(typed, format!("{}/", dir.display()));
    }

    #[test]
    fn open_takes_a_typed_folder_as_the_image_set_and_keeps_shortcuts_away() {
        let dir = scratch_dir("path-field-open");
        let (set, _) = crate::data::builtin::generate("left-right", 3, Some(8)).unwrap();
        crate::data::folder::write_class_folders(&set, &dir.join("cards")).unwrap();
        let mut app = app(&dir, &dir.join("machines"));
        app.init_resource::<ButtonInput<KeyCode>>();
        app.world_mut().write_message(FileRequest::Open);
        app.update();
        app.world_mut().resource_mut::<PathField>().typed.clear();
        type_text(&mut app, "nowhere");
        press(&mut app, Key::Enter, None);
        let problem = app.world().resource::<PathField>().problem.clone();
        assert!(
            problem.contains("nowhere: no such file or folder"),
            "{problem}"
        );
        for _ in 0.."nowhere".len() {
            press(&mut app, Key::Backspace, None);
        }
        type_text(&mut app, "ca");
        press(&mut app, Key::Tab, None);
        assert_eq!(app.world().resource::<PathField>().typed, "cards/");
        // a key held for a shortcut is not seen by the panel while the field is open
        app.world_mut()
            .resource_mut::<ButtonInput<KeyCode>>()
            .press(KeyCode::Space);
        press(&mut app, Key::Enter, None);
        assert!(
            !app.world()
                .resource::<ButtonInput<KeyCode>>()
                .pressed(KeyCode::Space)
        );
        app.update();
        while app.world().resource::<crate::sim::ImageLoad>().is_loading() {
            app.update();
        }
        let bench = app.world().resource::<Bench>();
        assert_eq!(bench.classes(), ["left", "right"]);
        assert_eq!(
            bench.experiment.scene.data.source,
            dir.join("cards").to_string_lossy()
        );
    }

    /// Holds the stand-in desktop's answer until the test has seen the field waiting for it.
    static DESKTOP_GATE: std::sync::Barrier = std::sync::Barrier::new(2);

    /// The stand-in desktop's `answer`, given once the test opens the gate.
    fn held(answer: Option<PathBuf>) -> Option<PathBuf> {
        DESKTOP_GATE.wait();
        answer
    }

    /// The desktop's answer, once the app has taken it.
    fn answered_by(app: &mut App, ask: super::super::chooser::Asker, pick: Pick) {
        app.insert_resource(DesktopChooser::asking_with(ask, true));
        let question = app.world().resource::<PathField>().question(pick);
        app.world_mut().write_message(question);
        app.update();
        app.update();
        assert!(app.world().resource::<PathField>().waiting_for_desktop);
        DESKTOP_GATE.wait();
        while app.world().resource::<DesktopChooser>().is_waiting() {
            std::thread::sleep(std::time::Duration::from_millis(2));
            app.update();
        }
        app.update();
    }

    #[test]
    fn the_desktop_choosers_answer_opens_or_saves_as_if_typed() {
        let dir = scratch_dir("path-field-chooser");
        let (set, _) = crate::data::builtin::generate("left-right", 3, Some(8)).unwrap();
        crate::data::folder::write_class_folders(&set, &dir.join("cards")).unwrap();
        let mut app = app(&dir, &dir.join("machines"));
        app.world_mut().write_message(FileRequest::Open);
        app.update();
        // the question starts in the folder typed; the stand-in desktop picks `cards` there
        let question = app.world().resource::<PathField>().question(Pick::Folder);
        assert_eq!(
            (question.folder.clone(), question.name),
            (dir.clone(), None)
        );
        answered_by(
            &mut app,
            |q| held(Some(q.folder.join("cards"))),
            Pick::Folder,
        );
        assert_eq!(app.world().resource::<PathField>().purpose, None);
        while app.world().resource::<crate::sim::ImageLoad>().is_loading() {
            app.update();
        }
        assert_eq!(app.world().resource::<Bench>().classes(), ["left", "right"]);

        // nothing chosen: the field stays open with the typed path, and says so
        app.world_mut().write_message(FileRequest::Open);
        app.update();
        let typed = app.world().resource::<PathField>().typed.clone();
        answered_by(&mut app, |_| held(None), Pick::File);
        let field = app.world().resource::<PathField>();
        assert_eq!(field.purpose, Some(Purpose::Open));
        assert_eq!(field.typed, typed);
        assert!(
            field.problem.starts_with("Nothing was chosen"),
            "{}",
            field.problem
        );

        // Save as offers its numbered name to the desktop, and saves where the desktop says
        app.world_mut().write_message(FileRequest::SaveAs);
        app.update();
        let question = app.world().resource::<PathField>().question(Pick::SaveFile);
        assert_eq!(question.folder, dir.join("machines"));
        assert!(
            question
                .name
                .as_deref()
                .is_some_and(|n| n.ends_with("-1.ron"))
        );
        answered_by(
            &mut app,
            |q| held(Some(q.folder.join("chosen.ron"))),
            Pick::SaveFile,
        );
        assert_eq!(app.world().resource::<PathField>().purpose, None);
        crate::model_file::MachineFile::load(&dir.join("machines/chosen.ron")).unwrap();
    }
}
