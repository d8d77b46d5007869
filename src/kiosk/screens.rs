//! What the exhibit shows over the panel: the guide column, the invitation, the countdown,
//! the "about this machine" pages, and the operator's PIN pad and menu.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use super::session::{Exhibit, LanguageChosen};
use super::visit::Phase;
use crate::sim::{Bench, MachineRequest, Origin};
use crate::ui::palette::*;
use crate::ui::strings::Strings;
use crate::ui::{
    ButtonStyle, Labels, LayoutSpawned, Localized, PanelDraw, PanelLayout, PanelSlots, UiFonts,
    localized_text, styled_button, text,
};

/// How many "about" pages the strings files hold (`about_1` .. `about_N`).
pub const ABOUT_PAGES: usize = 5;
/// Presses in the top-left corner, within a few seconds, that open the PIN pad.
const OPERATOR_PRESSES: usize = 5;
const OPERATOR_SECONDS: f32 = 5.0;

/// What a kiosk button does.
#[derive(Component, Clone, Debug, PartialEq)]
pub enum KioskAction {
    Language(String),
    OpenAbout,
    AboutNext,
    AboutBack,
    CloseAbout,
    StillHere,
    PinDigit(char),
    PinOk,
    PinCancel,
    ExitExhibit,
    ResetMachine,
    CloseOperator,
}

/// The operator's access: closed, typing the PIN, or in the menu.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OperatorState {
    #[default]
    Closed,
    Pin,
    Menu,
}

/// Which overlays are open.
#[derive(Resource, Debug, Default)]
pub struct KioskScreen {
    pub about_page: Option<usize>,
    pub operator: OperatorState,
    pub pin: String,
    pub pin_wrong: bool,
    /// Times (seconds) of the recent presses in the top-left corner.
    corner_presses: Vec<f32>,
}

#[derive(Component, Clone, Copy, PartialEq, Eq)]
enum Overlay {
    Invitation,
    Countdown,
    About,
    Pin,
    Menu,
}

/// Texts of the overlays that change with state.
#[derive(Component, Clone, Copy, PartialEq, Eq)]
enum Live {
    GuideInstruction,
    GuideAnswer,
    Countdown,
    AboutTitle,
    AboutBody,
    AboutSource,
    AboutPageNumber,
    PinDisplay,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<KioskScreen>()
        .add_systems(
            PreStartup,
            (
                choose_the_layout,
                set_language_at_start.after(LayoutSpawned),
            ),
        )
        // after the panel has built its sections, so the header's buttons come last
        .add_systems(Startup, build_screens)
        .add_observer(count_corner_presses)
        .add_systems(
            Update,
            (
                press_kiosk_buttons,
                switch_language,
                show_overlays,
                update_live_texts,
            )
                .in_set(PanelDraw),
        );
}

/// The exhibit tells the panel what to show: its instruments and controls only.
fn choose_the_layout(exhibit: Res<Exhibit>, mut commands: Commands) {
    commands.insert_resource(PanelLayout::for_exhibit(&exhibit.config));
}

fn set_language_at_start(exhibit: Res<Exhibit>, mut labels: ResMut<Labels>) {
    let code = exhibit.language();
    match Strings::load(&exhibit.config.strings, &code) {
        Ok(strings) => labels.0 = strings,
        Err(e) => eprintln!("warning: {e:#}; keeping English"),
    }
}

fn switch_language(
    mut chosen: MessageReader<LanguageChosen>,
    exhibit: Res<Exhibit>,
    mut labels: ResMut<Labels>,
) {
    for LanguageChosen(code) in chosen.read() {
        if let Ok(strings) = Strings::load(&exhibit.config.strings, code) {
            labels.0 = strings;
        }
    }
}

/// The exhibit's buttons: larger than the panel's, and never squeezed.
const KIOSK_BUTTON: ButtonStyle = ButtonStyle {
    height: 56.0,
    font_size: 20.0,
    border: 2.0,
    radius: 8.0,
    padding: 14.0,
    shrinks: false,
};

/// A big touch button for the exhibit.
fn kiosk_button(
    fonts: &UiFonts,
    key: &str,
    action: KioskAction,
    width: f32,
) -> impl Bundle + use<> {
    styled_button(fonts, key, action, width, &KIOSK_BUTTON)
}

/// A full-screen layer that centres one box and, while shown, takes every touch (a modal).
fn overlay_layer(which: Overlay) -> impl Bundle {
    (
        which,
        Node {
            position_type: PositionType::Absolute,
            width: percent(100),
            height: percent(100),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            ..default()
        },
        BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.45)),
        // buttons act on bevy_ui's focus, which a shown overlay must stop too
        bevy::ui::FocusPolicy::Block,
        Visibility::Hidden,
    )
}

/// The framed box an overlay shows its content in.
fn overlay_box(width: Val, border: Color) -> impl Bundle {
    (
        overlay_box_node(width),
        BackgroundColor(PANEL),
        BorderColor::all(border),
    )
}

fn overlay_box_node(width: Val) -> Node {
    Node {
        width,
        flex_direction: FlexDirection::Column,
        align_items: AlignItems::Center,
        row_gap: px(18),
        padding: UiRect::all(px(28)),
        border: UiRect::all(px(2)),
        border_radius: BorderRadius::all(px(12)),
        ..default()
    }
}

fn build_screens(
    mut commands: Commands,
    fonts: Res<UiFonts>,
    exhibit: Res<Exhibit>,
    slots: Res<PanelSlots>,
) {
    let languages = &exhibit.config.languages;
    commands
        .entity(slots.header)
        .with_children(|row| header_buttons(row, &fonts, languages));
    commands
        .entity(slots.guide)
        .with_children(|column| guide(column, &fonts));
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                width: percent(100),
                height: percent(100),
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                ..default()
            },
            GlobalZIndex(10),
            Pickable::IGNORE,
        ))
        .with_children(|root| {
            invitation(root, &fonts);
            let mut overlay = |which: Overlay, width: f32, border: Color| {
                root.spawn(overlay_layer(which)).with_children(|layer| {
                    layer.spawn(overlay_box(px(width), border)).with_children(
                        |panel| match which {
                            Overlay::Countdown => countdown(panel, &fonts),
                            Overlay::About => about(panel, &fonts),
                            Overlay::Pin => pin_pad(panel, &fonts),
                            Overlay::Menu => operator_menu(panel, &fonts, languages),
                            Overlay::Invitation => {}
                        },
                    );
                });
            };
            overlay(Overlay::Countdown, 560.0, SELECTED);
            overlay(Overlay::About, 900.0, PANEL_EDGE);
            overlay(Overlay::Pin, 340.0, PANEL_EDGE);
            overlay(Overlay::Menu, 460.0, SELECTED);
        });
}

/// A language button per language offered, and "about", in the header, for every exhibit.
fn header_buttons(row: &mut ChildSpawnerCommands, fonts: &UiFonts, languages: &[String]) {
    for code in languages {
        row.spawn((
            Button,
            KioskAction::Language(code.clone()),
            Node {
                width: px(48),
                height: px(48),
                flex_shrink: 0.0,
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                border: UiRect::all(px(1)),
                border_radius: BorderRadius::all(px(6)),
                ..default()
            },
            BackgroundColor(BUTTON),
            BorderColor::all(PANEL_EDGE),
            children![text(
                fonts,
                code.to_uppercase(),
                LABEL_SIZE,
                ENGRAVING,
                true
            )],
        ));
    }
    row.spawn(kiosk_button(fonts, "about", KioskAction::OpenAbout, 120.0));
}

/// The guide: large type where the plots would be.
fn guide(column: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    column.spawn(localized_text(
        fonts,
        "attract_title",
        30.0,
        ENGRAVING,
        true,
    ));
    column.spawn((
        Live::GuideInstruction,
        localized_text(fonts, "attract_subtitle", 22.0, ENGRAVING, false),
    ));
    column.spawn((Live::GuideAnswer, text(fonts, "", 34.0, LAMP_ON, true)));
}

/// The invitation: across the foot of the screen, over the controls.
fn invitation(root: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    root.spawn((
        Overlay::Invitation,
        Node {
            position_type: PositionType::Absolute,
            bottom: px(10),
            padding: UiRect::axes(px(30), px(14)),
            border_radius: BorderRadius::all(px(12)),
            ..default()
        },
        BackgroundColor(BUTTON_ACTIVE.with_alpha(0.92)),
        Visibility::Hidden,
        children![localized_text(
            fonts,
            "touch_to_start",
            30.0,
            ENGRAVING,
            true
        )],
    ));
}

fn countdown(panel: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    panel.spawn((Live::Countdown, text(fonts, "", 28.0, ENGRAVING, true)));
    panel.spawn(kiosk_button(
        fonts,
        "still_here",
        KioskAction::StillHere,
        260.0,
    ));
}

/// The "about this machine" pages, paged with back and next.
fn about(panel: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    panel.spawn((Live::AboutTitle, text(fonts, "", 30.0, ENGRAVING, true)));
    panel.spawn((Live::AboutBody, text(fonts, "", 22.0, ENGRAVING, false)));
    panel.spawn((Live::AboutSource, text(fonts, "", 15.0, DIM_TEXT, false)));
    panel
        .spawn(Node {
            column_gap: px(16),
            align_items: AlignItems::Center,
            ..default()
        })
        .with_children(|row| {
            row.spawn(kiosk_button(fonts, "back", KioskAction::AboutBack, 140.0));
            row.spawn((
                Live::AboutPageNumber,
                text(fonts, "", 18.0, DIM_TEXT, false),
            ));
            row.spawn(kiosk_button(fonts, "next", KioskAction::AboutNext, 140.0));
            row.spawn(kiosk_button(fonts, "close", KioskAction::CloseAbout, 140.0));
        });
}

/// The operator's PIN pad: digits in a 3 x 4 grid, cancel and OK.
fn pin_pad(panel: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    panel.spawn(localized_text(fonts, "enter_pin", 20.0, ENGRAVING, true));
    panel.spawn((Live::PinDisplay, text(fonts, "", 28.0, LAMP_ON, true)));
    panel
        .spawn(Node {
            display: Display::Grid,
            grid_template_columns: RepeatedGridTrack::px(3, 76.0),
            column_gap: px(10),
            row_gap: px(10),
            ..default()
        })
        .with_children(|pad| {
            let mut key = |label: &str, action| {
                pad.spawn(kiosk_button(fonts, label, action, 76.0));
            };
            for digit in ['1', '2', '3', '4', '5', '6', '7', '8', '9'] {
                key(&digit.to_string(), KioskAction::PinDigit(digit));
            }
            key("\u{2715}", KioskAction::PinCancel);
            key("0", KioskAction::PinDigit('0'));
            key("OK", KioskAction::PinOk);
        });
}

/// The operator's menu: the language, a fresh machine, leaving the exhibit.
fn operator_menu(panel: &mut ChildSpawnerCommands, fonts: &UiFonts, languages: &[String]) {
    panel.spawn(localized_text(fonts, "operator", 24.0, ENGRAVING, true));
    panel
        .spawn(Node {
            column_gap: px(10),
            ..default()
        })
        .with_children(|row| {
            for code in languages {
                row.spawn(kiosk_button(
                    fonts,
                    &code.to_uppercase(),
                    KioskAction::Language(code.clone()),
                    64.0,
                ));
            }
        });
    for (key, action) in [
        ("reset_machine", KioskAction::ResetMachine),
        ("exit_to_desktop", KioskAction::ExitExhibit),
        ("close", KioskAction::CloseOperator),
    ] {
        panel.spawn(kiosk_button(fonts, key, action, 320.0));
    }
}

/// Five quick presses in the top-left corner open the operator's PIN pad (the session hears
/// every press as a visitor's touch on its own).
fn count_corner_presses(
    press: On<Pointer<Press>>,
    mut screen: ResMut<KioskScreen>,
    windows: Query<&Window, With<PrimaryWindow>>,
    time: Res<Time<Real>>,
) {
    // one press reaches every entity up the tree: count it once, at the window
    let Ok(window) = windows.get(press.entity) else {
        return;
    };
    let at = press.pointer_location.position;
    let now = time.elapsed_secs();
    if at.x < window.width() * 0.08 && at.y < window.height() * 0.08 {
        screen.corner_presses.push(now);
        screen
            .corner_presses
            .retain(|&t| now - t <= OPERATOR_SECONDS);
        if screen.corner_presses.len() >= OPERATOR_PRESSES {
            screen.corner_presses.clear();
            screen.operator = OperatorState::Pin;
            screen.pin.clear();
            screen.pin_wrong = false;
        }
    }
}

/// Carries out each exhibit button that went down this frame (on bevy_ui's focus, as the
/// panel's buttons do, so a tap that moves and presses at once is not lost).
fn press_kiosk_buttons(
    pressed: Query<(&Interaction, &KioskAction), Changed<Interaction>>,
    mut screen: ResMut<KioskScreen>,
    mut exhibit: ResMut<Exhibit>,
    mut languages: MessageWriter<LanguageChosen>,
    mut requests: MessageWriter<MachineRequest>,
    mut exit: MessageWriter<AppExit>,
) {
    for (interaction, action) in &pressed {
        if *interaction == Interaction::Pressed {
            carry_out_kiosk_action(
                action,
                &mut screen,
                &mut exhibit,
                &mut languages,
                &mut requests,
                &mut exit,
            );
        }
    }
}

fn carry_out_kiosk_action(
    action: &KioskAction,
    screen: &mut KioskScreen,
    exhibit: &mut Exhibit,
    languages: &mut MessageWriter<LanguageChosen>,
    requests: &mut MessageWriter<MachineRequest>,
    exit: &mut MessageWriter<AppExit>,
) {
    match action {
        KioskAction::Language(code) => {
            languages.write(LanguageChosen(code.clone()));
        }
        KioskAction::OpenAbout => screen.about_page = Some(0),
        KioskAction::AboutNext => {
            screen.about_page = screen.about_page.map(|p| (p + 1).min(ABOUT_PAGES - 1));
        }
        KioskAction::AboutBack => {
            screen.about_page = screen.about_page.map(|p| p.saturating_sub(1))
        }
        KioskAction::CloseAbout => screen.about_page = None,
        KioskAction::StillHere => {}
        KioskAction::PinDigit(d) => {
            if screen.pin.len() < 12 {
                screen.pin.push(*d);
            }
            screen.pin_wrong = false;
        }
        KioskAction::PinCancel => {
            screen.operator = OperatorState::Closed;
            screen.pin.clear();
        }
        KioskAction::PinOk => {
            if screen.pin == exhibit.config.operator_pin {
                screen.operator = OperatorState::Menu;
                exhibit.log.line("operator menu opened");
            } else {
                screen.pin_wrong = true;
                exhibit.log.line("wrong operator PIN");
            }
            screen.pin.clear();
        }
        KioskAction::ResetMachine => {
            exhibit.log.line("operator reset the machine");
            exhibit.session.abandon();
            requests.write(MachineRequest::Reset);
            screen.operator = OperatorState::Closed;
        }
        KioskAction::ExitExhibit => {
            exhibit.log.line("operator closed the exhibit");
            exit.write(AppExit::Success);
        }
        KioskAction::CloseOperator => screen.operator = OperatorState::Closed,
    }
}

fn show_overlays(
    screen: Res<KioskScreen>,
    exhibit: Res<Exhibit>,
    layout: Res<PanelLayout>,
    mut overlays: Query<(&Overlay, &mut Visibility)>,
) {
    let guide_shown = layout.right_column_empty();
    for (overlay, mut visibility) in &mut overlays {
        let open = match overlay {
            Overlay::Invitation => exhibit.session.phase == Phase::Attract && !guide_shown,
            Overlay::Countdown => matches!(exhibit.session.phase, Phase::Countdown { .. }),
            Overlay::About => screen.about_page.is_some(),
            Overlay::Pin => screen.operator == OperatorState::Pin,
            Overlay::Menu => screen.operator == OperatorState::Menu,
        };
        visibility.set_if_neq(if open {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        });
    }
}

fn update_live_texts(
    screen: Res<KioskScreen>,
    exhibit: Res<Exhibit>,
    labels: Res<Labels>,
    bench: Res<Bench>,
    mut texts: Query<(&Live, &mut Text, Option<&mut Localized>)>,
) {
    for (live, mut text, localized) in &mut texts {
        let words = match live {
            Live::GuideInstruction => {
                let key = if exhibit.session.phase == Phase::Attract {
                    "attract_subtitle"
                } else {
                    "visit_instructions"
                };
                if let Some(mut localized) = localized
                    && localized.key != key
                {
                    localized.key = key.into();
                }
                continue;
            }
            Live::GuideAnswer => match (&exhibit.session.phase, &bench.current) {
                (Phase::Attract, _) => labels.get("touch_to_start"),
                (_, Some(current)) if current.origin == Origin::Visitor => format!(
                    "{}: {}",
                    labels.get("mark1_says"),
                    bench.class_shown(current.predicted, &labels)
                ),
                _ => String::new(),
            },
            Live::Countdown => match exhibit.session.phase {
                Phase::Countdown { left } => labels
                    .get("countdown")
                    .replace("{n}", &format!("{}", left.ceil() as u32)),
                _ => String::new(),
            },
            Live::AboutTitle => labels.get(&format!(
                "about_{}_title",
                screen.about_page.unwrap_or(0) + 1
            )),
            Live::AboutBody => labels.get(&format!("about_{}", screen.about_page.unwrap_or(0) + 1)),
            Live::AboutSource => format!(
                "{}: {}",
                labels.get("source"),
                labels.get(&format!(
                    "about_{}_source",
                    screen.about_page.unwrap_or(0) + 1
                ))
            ),
            Live::AboutPageNumber => {
                format!("{} / {ABOUT_PAGES}", screen.about_page.unwrap_or(0) + 1)
            }
            Live::PinDisplay => {
                if screen.pin_wrong {
                    labels.get("wrong_pin")
                } else {
                    "\u{25CF}".repeat(screen.pin.len())
                }
            }
        };
        if text.0 != words {
            text.0 = words;
        }
    }
}
