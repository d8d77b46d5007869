//! The trainer's controls: run, step, reset, speed, teaching buttons, the rule; counters and
//! the message line.

use bevy::input::keyboard::KeyCode;
use bevy::prelude::*;

use super::retina::Sketch;
use super::{Governs, LayoutSpawned, PanelAction, PanelDraw, Selection, Slot, button, slot_entity};
use crate::data::builtin::BUILTIN_SETS;
use crate::nn::rules::{LearningConfig, Reinforcement, ValueSystem};
use crate::scene::exhibit::{ControlKind, Lettering};
use crate::sim::{Bench, MachineRequest, Notice, RunState, SPEEDS, Speed};
use crate::ui::palette::*;
use crate::ui::{UiFonts, localized_text, text};

/// A line of text the controls keep up to date.
#[derive(Component, Clone, Copy, PartialEq)]
enum Readout {
    Counters,
    Speed,
    Rate,
    Notice,
}

/// Where the "force the correct response" buttons go, one per class.
#[derive(Component)]
struct TeachRow;

/// Asks the file plugin to save or load the machine.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub enum FileRequest {
    Save,
    Load,
    /// The path field, to open images, a picture or a machine by typing its path.
    Open,
    /// The path field, to save the machine under a name of one's choosing.
    SaveAs,
    /// The plots and the confusion matrix as PNG, their numbers as CSV.
    Export,
}

const RULES: [Reinforcement; 4] = [
    Reinforcement::ErrorCorrection,
    Reinforcement::Forced,
    Reinforcement::RControlled,
    Reinforcement::WidrowHoff,
];
const RATES: [f32; 5] = [0.25, 0.5, 1.0, 2.0, 4.0];

pub(super) fn plugin(app: &mut App) {
    app.add_message::<FileRequest>()
        .add_systems(
            PreStartup,
            (build_header, build_controls).after(LayoutSpawned),
        )
        .add_systems(
            Update,
            (
                press_panel_buttons,
                shade_buttons,
                label_buttons,
                update_readouts,
                rebuild_teach_buttons,
                keyboard_shortcuts,
                cancel_a_load_on_touch,
                switch_language,
            )
                .in_set(PanelDraw),
        );
}

fn build_header(
    mut commands: Commands,
    fonts: Res<UiFonts>,
    slots: Query<(Entity, &Slot)>,
    bench: Res<Bench>,
) {
    let Some(slot) = slot_entity(&slots, Slot::Header) else {
        return;
    };
    commands.entity(slot).with_children(|parent| {
        parent.spawn((
            localized_text(&fonts, "title", TITLE_SIZE, ENGRAVING, true),
            TextLayout::no_wrap(),
        ));
        parent.spawn((
            text(
                &fonts,
                &bench.experiment.scene.name,
                LABEL_SIZE,
                DIM_TEXT,
                false,
            ),
            // two lines at most: a long scene name must not push the header's buttons away;
            // a projector's type leaves it no room (the teacher has chosen the scene)
            Node {
                display: match fonts.lettering {
                    Lettering::Desk => Display::Flex,
                    Lettering::Projector => Display::None,
                },
                flex_shrink: 1.0,
                max_height: px(30),
                overflow: Overflow::clip(),
                ..default()
            },
        ));
        parent.spawn(Node {
            flex_grow: 1.0,
            ..default()
        });
        parent.spawn((
            Readout::Counters,
            super::CounterLine,
            text(&fonts, "", LABEL_SIZE, ENGRAVING, true),
            TextLayout::no_wrap(),
        ));
    });
}

fn build_controls(mut commands: Commands, fonts: Res<UiFonts>, slots: Query<(Entity, &Slot)>) {
    let Some(slot) = slot_entity(&slots, Slot::Controls) else {
        return;
    };
    let row = || Node {
        column_gap: px(6),
        align_items: AlignItems::Center,
        ..default()
    };
    commands.entity(slot).with_children(|parent| {
        parent
            .spawn(row())
            .with_children(|row| machine_controls(row, &fonts));
        parent
            .spawn(row())
            .with_children(|row| teaching_controls(row, &fonts));
    });
}

/// A control's label ("Speed", "Step"): hidden with the control when a layout leaves it out.
fn control_label(fonts: &UiFonts, key: &str, control: ControlKind) -> impl Bundle + use<> {
    (
        localized_text(fonts, key, LABEL_SIZE, DIM_TEXT, true),
        Governs(control),
        TextLayout::no_wrap(),
    )
}

/// The first row: run, step, epoch, reset; the speed; the trainer, the rule and its step
/// size; save and load.
fn machine_controls(row: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    let request = PanelAction::Request;
    for (key, action, width) in [
        ("run", PanelAction::ToggleRun, 76.0),
        ("step", request(MachineRequest::Step), 64.0),
        ("epoch", request(MachineRequest::StepEpoch), 70.0),
        ("reset", request(MachineRequest::Reset), 70.0),
    ] {
        row.spawn(button(fonts, key, action, width));
    }
    row.spawn(control_label(fonts, "speed", ControlKind::Speed));
    row.spawn(button(fonts, "\u{2212}", PanelAction::SlowerSpeed, 44.0));
    row.spawn((
        Node {
            width: px(140),
            justify_content: JustifyContent::Center,
            ..default()
        },
        Governs(ControlKind::Speed),
    ))
    .with_child((
        Readout::Speed,
        text(fonts, "", LABEL_SIZE, ENGRAVING, false),
        TextLayout::no_wrap(),
    ));
    row.spawn(button(fonts, "+", PanelAction::FasterSpeed, 44.0));
    row.spawn(button(
        fonts,
        "automatic",
        PanelAction::ToggleTrainer,
        120.0,
    ));
    row.spawn(button(
        fonts,
        "Error correction",
        PanelAction::NextRule,
        160.0,
    ));
    row.spawn(control_label(fonts, "step_size", ControlKind::StepSize));
    row.spawn(button(fonts, "\u{2212}", PanelAction::LowerRate, 44.0));
    row.spawn((
        Readout::Rate,
        text(fonts, "", LABEL_SIZE, ENGRAVING, false),
        Governs(ControlKind::StepSize),
    ));
    row.spawn(button(fonts, "+", PanelAction::RaiseRate, 44.0));
    row.spawn(button(fonts, "save", PanelAction::Save, 60.0));
    row.spawn(button(fonts, "load", PanelAction::Load, 60.0));
    row.spawn(button(fonts, "export", PanelAction::Export, 70.0));
}

/// The second row: the trainer's force buttons (one per class, filled in later), the value
/// system, Open… and Save as…, the image set, help, and the message line.
fn teaching_controls(row: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    row.spawn(control_label(fonts, "force", ControlKind::Force));
    row.spawn((TeachRow, row_node()));
    row.spawn(button(
        fonts,
        "alpha_system",
        PanelAction::NextValueSystem,
        130.0,
    ));
    row.spawn(button(fonts, "open", PanelAction::Open, 70.0));
    row.spawn(button(fonts, "save_as", PanelAction::SaveAs, 90.0));
    row.spawn(button(fonts, "images", PanelAction::NextImageSet, 150.0));
    row.spawn(button(fonts, "?", PanelAction::ToggleHelp, 48.0));
    row.spawn(button(fonts, "EN", PanelAction::NextLanguage, 52.0));
    row.spawn((
        Node {
            flex_shrink: 1.0,
            ..default()
        },
        Readout::Notice,
        super::NoticeLine,
        // touched while images load, it cancels the load
        Interaction::None,
        text(fonts, "", SMALL_SIZE, ENGRAVING, false),
    ));
}

/// The language button: the panel's words in the next shipped language.
fn switch_language(
    pressed: Query<(&Interaction, &PanelAction), Changed<Interaction>>,
    mut labels: ResMut<crate::ui::Labels>,
) {
    let touched = pressed
        .iter()
        .any(|(i, a)| *i == Interaction::Pressed && matches!(a, PanelAction::NextLanguage));
    if touched
        && let Ok(strings) =
            crate::ui::strings::Strings::built_in(crate::ui::next_language(&labels.code))
    {
        labels.0 = strings;
    }
}

/// A touch on the message line while images load cancels the load.
fn cancel_a_load_on_touch(
    lines: Query<&Interaction, (Changed<Interaction>, With<super::NoticeLine>)>,
    load: Res<crate::sim::ImageLoad>,
) {
    if lines.iter().any(|i| *i == Interaction::Pressed) {
        crate::sim::cancel_loading(&load);
    }
}

fn row_node() -> Node {
    Node {
        column_gap: px(6),
        align_items: AlignItems::Center,
        ..default()
    }
}

/// One teaching button per class, as the 1960 trainer's electrical control.
fn rebuild_teach_buttons(
    mut commands: Commands,
    bench: Res<Bench>,
    fonts: Res<UiFonts>,
    labels: Res<crate::ui::Labels>,
    row: Query<Entity, With<TeachRow>>,
    mut seen: Local<Option<(u64, String)>>,
) {
    let version = (bench.generation, labels.code.clone());
    if seen.as_ref() == Some(&version) {
        return;
    }
    *seen = Some(version);
    let Ok(row) = row.single() else { return };
    commands.entity(row).despawn_children();
    let classes = bench.classes().len();
    // many classes get narrower buttons; past twelve, the first twelve (the rest by keyboard)
    let width = if classes > 6 { 48.0 } else { 88.0 };
    for c in 0..classes.min(12) {
        let label: String = (bench.class_shown(c, &labels).chars())
            .take(if classes > 6 { 3 } else { 10 })
            .collect();
        commands.spawn((
            button(
                &fonts,
                label,
                PanelAction::Request(MachineRequest::Force(c)),
                width,
            ),
            ChildOf(row),
        ));
    }
}

/// Carries out a panel button's action when it is clicked or tapped.
/// What the machine is doing, as far as its buttons need to know.
struct Dashboard<'a> {
    running: bool,
    speed: Speed,
    auto_learn: bool,
    learning: LearningConfig,
    /// The image set on the bench.
    source: &'a str,
}

/// The machine request a button makes, given what the machine is doing; `None` for the
/// buttons that act on the panel itself.
fn request_for(action: &PanelAction, now: &Dashboard) -> Option<MachineRequest> {
    Some(match action {
        PanelAction::Request(request) => request.clone(),
        PanelAction::ToggleRun if now.running => MachineRequest::Pause,
        PanelAction::ToggleRun => MachineRequest::Run,
        PanelAction::SlowerSpeed | PanelAction::FasterSpeed => {
            let at = SPEEDS.iter().position(|s| *s == now.speed).unwrap_or(1);
            let next = if matches!(action, PanelAction::FasterSpeed) {
                (at + 1).min(SPEEDS.len() - 1)
            } else {
                at.saturating_sub(1)
            };
            MachineRequest::SetSpeed(SPEEDS[next])
        }
        PanelAction::ToggleTrainer => MachineRequest::SetAutoLearn(!now.auto_learn),
        PanelAction::NextRule => {
            let at = RULES
                .iter()
                .position(|r| *r == now.learning.rule)
                .unwrap_or(0);
            MachineRequest::SetRule(RULES[(at + 1) % RULES.len()])
        }
        PanelAction::NextValueSystem => MachineRequest::SetValueSystem(match now.learning.system {
            ValueSystem::Alpha => ValueSystem::Gamma,
            ValueSystem::Gamma => ValueSystem::Alpha,
        }),
        PanelAction::NextImageSet => {
            // the built-in sets in turn, from the one on the bench (or the first)
            let at = BUILTIN_SETS
                .iter()
                .position(|set| now.source == format!("builtin:{}", set.name));
            let next = at.map_or(0, |k| (k + 1) % BUILTIN_SETS.len());
            MachineRequest::LoadImages(format!("builtin:{}", BUILTIN_SETS[next].name))
        }
        PanelAction::LowerRate | PanelAction::RaiseRate => {
            let rate = now.learning.rate;
            let next = if matches!(action, PanelAction::RaiseRate) {
                RATES.iter().copied().find(|&r| r > rate + 1e-6)
            } else {
                RATES.iter().rev().copied().find(|&r| r < rate - 1e-6)
            };
            MachineRequest::SetRate(next.unwrap_or(rate))
        }
        PanelAction::Save
        | PanelAction::Load
        | PanelAction::Open
        | PanelAction::SaveAs
        | PanelAction::Export
        | PanelAction::ToggleHelp
        | PanelAction::NextLanguage
        | PanelAction::ClearSketch
        | PanelAction::ToggleZoom
        | PanelAction::SelectBank(_) => return None,
    })
}

/// Carries out each panel button that went down this frame. It acts on bevy_ui's
/// `Interaction`, which places the press where the cursor is in the same frame: a tap that
/// moves and presses at once (a touch screen sending mouse events, a quick click) lands on the
/// button under it. Picking's `Click` needs the pointer to hover the button a frame first, and
/// lost such taps.
#[expect(
    clippy::too_many_arguments,
    reason = "a system: the machine's state, the panel's selection and sketch, and two outboxes"
)]
fn press_panel_buttons(
    pressed: Query<(&Interaction, &PanelAction), Changed<Interaction>>,
    bench: Res<Bench>,
    state: Res<State<RunState>>,
    speed: Res<Speed>,
    mut selection: ResMut<Selection>,
    mut sketch: ResMut<Sketch>,
    mut requests: MessageWriter<MachineRequest>,
    mut files: MessageWriter<FileRequest>,
) {
    for (interaction, action) in &pressed {
        if *interaction == Interaction::Pressed {
            carry_out_action(
                action,
                &bench,
                &state,
                *speed,
                &mut selection,
                &mut sketch,
                &mut requests,
                &mut files,
            );
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "what a panel button may read or change, passed on from its system"
)]
fn carry_out_action(
    action: &PanelAction,
    bench: &Bench,
    state: &State<RunState>,
    speed: Speed,
    selection: &mut Selection,
    sketch: &mut Sketch,
    requests: &mut MessageWriter<MachineRequest>,
    files: &mut MessageWriter<FileRequest>,
) {
    let now = Dashboard {
        running: *state.get() == RunState::Running,
        speed,
        auto_learn: bench.auto_learn,
        learning: bench.machine().learning,
        source: &bench.experiment.scene.data.source,
    };
    if let Some(request) = request_for(action, &now) {
        requests.write(request);
        return;
    }
    match action {
        PanelAction::Save => {
            files.write(FileRequest::Save);
        }
        PanelAction::Load => {
            files.write(FileRequest::Load);
        }
        PanelAction::Export => {
            files.write(FileRequest::Export);
        }
        PanelAction::Open => {
            files.write(FileRequest::Open);
        }
        PanelAction::SaveAs => {
            files.write(FileRequest::SaveAs);
        }
        PanelAction::ClearSketch => {
            sketch.cells.fill(false);
            if sketch.width > 0 {
                requests.write(MachineRequest::ShowImage(sketch.picture()));
            }
        }
        PanelAction::ToggleZoom => selection.zoomed = !selection.zoomed,
        // help.rs answers its own button
        PanelAction::ToggleHelp => {}
        PanelAction::SelectBank(j) => selection.r_unit = *j,
        _ => {}
    }
}

fn shade_buttons(
    mut buttons: Query<
        (&Interaction, &mut BackgroundColor),
        (Changed<Interaction>, With<PanelAction>, With<Node>),
    >,
) {
    for (interaction, mut color) in &mut buttons {
        color.0 = match interaction {
            Interaction::Pressed => BUTTON_ACTIVE,
            Interaction::Hovered => BUTTON_HOVER,
            Interaction::None => BUTTON,
        };
    }
}

fn rule_name(rule: Reinforcement) -> &'static str {
    match rule {
        Reinforcement::ErrorCorrection => "Error correction",
        Reinforcement::Forced => "Forced (S-controlled)",
        Reinforcement::RControlled => "R-controlled",
        Reinforcement::WidrowHoff => "Widrow-Hoff",
    }
}

/// Buttons whose words follow the machine's state: Run/Pause, Automatic/Trainer, the rule.
/// They change their strings key; the panel's relabelling writes the words.
fn label_buttons(
    bench: Res<Bench>,
    state: Res<State<RunState>>,
    labels: Res<crate::ui::Labels>,
    buttons: Query<(&PanelAction, &Children), Without<crate::sim::ResponseUnit>>,
    mut texts: Query<&mut crate::ui::Localized>,
) {
    for (action, children) in &buttons {
        let key = match action {
            PanelAction::ToggleRun if *state.get() == RunState::Running => "pause".to_string(),
            PanelAction::ToggleRun => "run".to_string(),
            // the language's own code, which no strings file has as a key
            PanelAction::NextLanguage => labels.code.to_uppercase(),
            PanelAction::ToggleTrainer if bench.auto_learn => "automatic".to_string(),
            PanelAction::ToggleTrainer => "trainer_teaches".to_string(),
            PanelAction::NextRule => rule_name(bench.machine().learning.rule).to_string(),
            PanelAction::NextValueSystem => match bench.machine().learning.system {
                ValueSystem::Alpha => "alpha_system".to_string(),
                ValueSystem::Gamma => "gamma_system".to_string(),
            },
            // a phrase no strings file has, so it shows as composed
            PanelAction::NextImageSet => format!(
                "{}: {}",
                labels.get("images"),
                bench
                    .experiment
                    .scene
                    .data
                    .source
                    .strip_prefix("builtin:")
                    .unwrap_or("\u{2026}")
            ),
            _ => continue,
        };
        for child in children {
            if let Ok(mut localized) = texts.get_mut(*child)
                && localized.key != key
            {
                localized.key = key.clone();
            }
        }
    }
}

fn update_readouts(
    bench: Res<Bench>,
    labels: Res<crate::ui::Labels>,
    speed: Res<Speed>,
    notice: Res<Notice>,
    mut readouts: Query<(&Readout, &mut Text, &mut TextColor)>,
) {
    for (readout, mut text, mut color) in &mut readouts {
        let words = match readout {
            Readout::Counters => format!(
                "{} {}   {} {}/{}   {} {}   \u{03A3} {}",
                labels.get("epoch"),
                bench.epoch(),
                labels.get("pattern"),
                bench.cursor,
                bench.order.len(),
                labels.get("errors"),
                bench.epoch_errors,
                bench.trials
            ),
            Readout::Speed => speed_words(*speed, &labels),
            Readout::Rate => format!("{}", bench.machine().learning.rate),
            Readout::Notice => {
                let wanted = if notice.is_error {
                    ERROR_TEXT
                } else {
                    ENGRAVING
                };
                if color.0 != wanted {
                    color.0 = wanted;
                }
                notice.shown(&labels)
            }
        };
        if text.0 != words {
            text.0 = words;
        }
    }
}

/// The speed control's readout in the panel's language.
fn speed_words(speed: Speed, labels: &crate::ui::strings::Strings) -> String {
    match speed {
        Speed::PerSecond(s) if s <= 1.0 => labels.get("speed_1960"),
        Speed::PerSecond(s) => labels.fill("speed_per_second", &[&s.to_string()]),
        Speed::PerUpdate(1) => labels.get("speed_one_per_frame"),
        Speed::PerUpdate(n) => labels.fill("speed_per_frame", &[&n.to_string()]),
        Speed::FlatOut(_) => labels.get("speed_flat_out"),
    }
}

/// Space runs or pauses, S steps one pattern, E steps an epoch.
fn keyboard_shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    state: Res<State<RunState>>,
    mut requests: MessageWriter<MachineRequest>,
) {
    if keys.just_pressed(KeyCode::Space) {
        requests.write(if *state.get() == RunState::Running {
            MachineRequest::Pause
        } else {
            MachineRequest::Run
        });
    }
    if keys.just_pressed(KeyCode::KeyS) {
        requests.write(MachineRequest::Step);
    }
    if keys.just_pressed(KeyCode::KeyE) {
        requests.write(MachineRequest::StepEpoch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now(source: &str) -> Dashboard<'_> {
        Dashboard {
            running: true,
            speed: SPEEDS[SPEEDS.len() - 1],
            auto_learn: true,
            learning: LearningConfig {
                rate: 4.0,
                ..LearningConfig::default()
            },
            source,
        }
    }

    #[test]
    fn the_speed_readout_follows_the_language() {
        let de = crate::ui::strings::Strings::built_in("de").unwrap();
        assert_eq!(speed_words(Speed::PerSecond(4.0), &de), "4 Muster/s");
        assert_eq!(speed_words(Speed::PerUpdate(100), &de), "100 Muster/Bild");
        let en = crate::ui::strings::Strings::built_in("en").unwrap();
        assert_eq!(
            speed_words(Speed::PerSecond(1.0), &en),
            "1 pattern/s (1960 speed)"
        );
    }

    #[test]
    fn buttons_ask_for_the_next_setting_and_stop_at_the_ends() {
        let last = format!("builtin:{}", BUILTIN_SETS[BUILTIN_SETS.len() - 1].name);
        let now = now(&last);
        let ask = |action| request_for(&action, &now);
        assert!(matches!(
            ask(PanelAction::ToggleRun),
            Some(MachineRequest::Pause)
        ));
        let fastest = SPEEDS[SPEEDS.len() - 1];
        assert!(
            matches!(ask(PanelAction::FasterSpeed), Some(MachineRequest::SetSpeed(s)) if s == fastest)
        );
        let slower = SPEEDS[SPEEDS.len() - 2];
        assert!(
            matches!(ask(PanelAction::SlowerSpeed), Some(MachineRequest::SetSpeed(s)) if s == slower)
        );
        assert!(
            matches!(ask(PanelAction::RaiseRate), Some(MachineRequest::SetRate(r)) if r == 4.0)
        );
        assert!(
            matches!(ask(PanelAction::LowerRate), Some(MachineRequest::SetRate(r)) if r == 2.0)
        );
        assert!(matches!(
            ask(PanelAction::ToggleTrainer),
            Some(MachineRequest::SetAutoLearn(false))
        ));
        let first = format!("builtin:{}", BUILTIN_SETS[0].name);
        assert!(
            matches!(ask(PanelAction::NextImageSet), Some(MachineRequest::LoadImages(s)) if s == first)
        );
        assert!(ask(PanelAction::Save).is_none() && ask(PanelAction::ToggleZoom).is_none());
    }
}
