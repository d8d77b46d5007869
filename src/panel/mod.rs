//! The rendered control panel: lamps, dials, meters, plots and the trainer's controls.
//!
//! The panel only decorates and reads the simulation (`sim`): unit entities get their lamps
//! from observers, instruments redraw from the bench, and every control becomes a
//! [`MachineRequest`](crate::sim::MachineRequest). One plugin per concern, one file each.

mod association;
mod confusion;
mod controls;
mod files;
mod modern;
pub mod palette;
mod plots;
pub mod raster;
mod response;
mod retina;
mod stroke;

use bevy::prelude::*;

use crate::exhibit::Strings;
use crate::sim::MachineRequest;
use palette::*;

/// The panel; add after the simulation's plugin, in an App with a window and a renderer.
pub fn plugin(app: &mut App) {
    app.init_resource::<Selection>()
        .init_resource::<Labels>()
        .add_systems(
            PreStartup,
            (load_fonts, spawn_layout).chain().in_set(LayoutSpawned),
        )
        .configure_sets(Update, PanelDraw.after(crate::sim::MachineCycle::Display))
        .add_systems(Update, (fit_to_window, relabel.in_set(PanelDraw)))
        .add_plugins((
            retina::plugin,
            association::plugin,
            response::plugin,
            plots::plugin,
            confusion::plugin,
            modern::plugin,
            controls::plugin,
            files::plugin,
        ));
}

/// The instruments' drawing systems: after the machine cycle, so they show this update's state.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PanelDraw;

/// The layout and fonts exist: instruments fill their slots after this set.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LayoutSpawned;

/// The panel's typefaces (DejaVu Sans, shipped in `assets/fonts`, so no font lookup at run time).
#[derive(Resource, Clone)]
pub struct PanelFonts {
    pub regular: Handle<Font>,
    pub bold: Handle<Font>,
}

/// Which A-unit's wiring is drawn on the retina, and which R-unit's potentiometers are shown.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq)]
pub struct Selection {
    pub a_unit: Option<usize>,
    pub r_unit: usize,
    /// The dial bank shows a few dials large instead of all of them small.
    pub zoomed: bool,
}

/// Places in the layout that a plugin fills with its instrument.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Header,
    Retina,
    Association,
    Response,
    Plots,
    Confusion,
    Modern,
    Controls,
    /// The right-hand column (plots, confusion, MLP): hidden when all three are.
    RightColumn,
    /// Large-type guidance for visitors, in the right-hand column's place (exhibits only).
    Guide,
}

/// A label that belongs to a control (the word "Speed" beside its buttons): an exhibit that
/// locks the control hides it too.
#[derive(Component, Clone, Copy, Debug)]
pub struct Governs(pub crate::exhibit::ControlKind);

/// The counters in the header (epoch, pattern, errors).
#[derive(Component, Clone, Copy, Debug)]
pub struct CounterLine;

/// The message line under the controls.
#[derive(Component, Clone, Copy, Debug)]
pub struct NoticeLine;

/// What a panel button does when pressed.
#[derive(Component, Clone, Debug)]
pub enum PanelAction {
    Request(MachineRequest),
    ToggleRun,
    SlowerSpeed,
    FasterSpeed,
    ToggleTrainer,
    NextRule,
    NextValueSystem,
    NextImageSet,
    LowerRate,
    RaiseRate,
    Save,
    Load,
    ClearSketch,
    ToggleZoom,
    SelectBank(usize),
}

fn load_fonts(mut commands: Commands, mut fonts: ResMut<Assets<Font>>) {
    let regular = Font::from_bytes(include_bytes!("../../assets/fonts/DejaVuSans.ttf").to_vec());
    let bold = Font::from_bytes(crate::data::draw::TYPEFACE_SANS.to_vec());
    commands.insert_resource(PanelFonts {
        regular: fonts.add(regular),
        bold: fonts.add(bold),
    });
}

/// Text in the panel's face: `bold` for engraved headings and lamp labels.
pub fn text<S: Into<String>>(
    fonts: &PanelFonts,
    value: S,
    size: f32,
    color: Color,
    bold: bool,
) -> impl Bundle + use<S> {
    (
        Text::new(value),
        TextFont {
            font: if bold {
                fonts.bold.clone()
            } else {
                fonts.regular.clone()
            }
            .into(),
            font_size: bevy::text::FontSize::Px(size),
            ..default()
        },
        TextColor(color),
    )
}

/// The labels in the language on screen (English unless an exhibit picks another).
#[derive(Resource, Clone, Debug, Deref)]
pub struct Labels(pub Strings);

impl Default for Labels {
    fn default() -> Self {
        Self(Strings::load(std::path::Path::new(""), "en").expect("English is built in"))
    }
}

/// Text whose words come from the strings file by `key` (a key the file lacks shows as is),
/// redrawn when the language changes.
#[derive(Component, Clone, Debug)]
pub struct Localized {
    pub key: String,
    pub upper: bool,
}

/// Text in the panel's face, its words looked up by `key` in the language on screen.
pub fn localized_text(
    fonts: &PanelFonts,
    key: &str,
    size: f32,
    color: Color,
    bold: bool,
) -> impl Bundle + use<> {
    (
        text(fonts, key.to_string(), size, color, bold),
        Localized {
            key: key.to_string(),
            upper: false,
        },
    )
}

/// An engraved heading over an instrument; `key` names its words in the strings file.
pub fn heading(fonts: &PanelFonts, key: &str) -> impl Bundle + use<> {
    (
        text(fonts, key.to_uppercase(), HEADING_SIZE, ENGRAVING, true),
        Localized {
            key: key.to_string(),
            upper: true,
        },
    )
}

/// Rewrites localized text in the language on screen, when it changes or the text is new.
fn relabel(labels: Res<Labels>, mut texts: Query<(Ref<Localized>, &mut Text)>) {
    for (localized, mut text) in &mut texts {
        if !labels.is_changed() && !localized.is_changed() {
            continue;
        }
        let mut words = labels.get(&localized.key);
        if localized.upper {
            words = words.to_uppercase();
        }
        if text.0 != words {
            text.0 = words;
        }
    }
}

/// How a push button is drawn: the panel's and the exhibit's differ only in these.
pub struct ButtonStyle {
    pub height: f32,
    pub font_size: f32,
    pub border: f32,
    pub radius: f32,
    pub padding: f32,
    /// Whether the button may shrink below its width in a crowded row.
    pub shrinks: bool,
}

/// The panel's buttons: 48 px tall, the touch size Material asks for.
pub const PANEL_BUTTON: ButtonStyle = ButtonStyle {
    height: BUTTON_HEIGHT,
    font_size: LABEL_SIZE,
    border: 1.0,
    radius: 6.0,
    padding: 10.0,
    shrinks: true,
};

/// A push button carrying `action`, its label looked up as a strings key.
pub fn styled_button<A: Component>(
    fonts: &PanelFonts,
    label: &str,
    action: A,
    width: f32,
    style: &ButtonStyle,
) -> impl Bundle + use<A> {
    (
        Button,
        action,
        Node {
            min_width: px(width),
            height: px(style.height),
            flex_shrink: if style.shrinks { 1.0 } else { 0.0 },
            padding: UiRect::horizontal(px(style.padding)),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            border: UiRect::all(px(style.border)),
            border_radius: BorderRadius::all(px(style.radius)),
            ..default()
        },
        BackgroundColor(BUTTON),
        BorderColor::all(PANEL_EDGE),
        children![(
            localized_text(fonts, label, style.font_size, ENGRAVING, true),
            TextLayout::no_wrap()
        )],
    )
}

/// A panel push button of at least touch size.
pub fn button(
    fonts: &PanelFonts,
    label: impl Into<String>,
    action: PanelAction,
    width: f32,
) -> impl Bundle {
    styled_button(fonts, &label.into(), action, width, &PANEL_BUTTON)
}

/// A framed instrument area.
fn section(width: Val, height: Val) -> Node {
    Node {
        width,
        height,
        flex_direction: FlexDirection::Column,
        row_gap: px(6),
        padding: UiRect::all(px(8)),
        border: UiRect::all(px(1)),
        border_radius: BorderRadius::all(px(6)),
        ..default()
    }
}

fn spawn_layout(mut commands: Commands) {
    commands.spawn((Camera2d, Msaa::Off));
    let framed = || (BackgroundColor(PANEL), BorderColor::all(PANEL_EDGE));
    commands.spawn((
        Node {
            width: px(DESIGN_SIZE.x),
            height: px(DESIGN_SIZE.y),
            flex_direction: FlexDirection::Column,
            padding: UiRect::all(px(6)),
            row_gap: px(6),
            ..default()
        },
        BackgroundColor(BACKGROUND),
        children![
            (
                Slot::Header,
                Node {
                    min_height: px(34),
                    align_items: AlignItems::Center,
                    column_gap: px(16),
                    padding: UiRect::horizontal(px(6)),
                    ..default()
                },
            ),
            (
                Node {
                    flex_grow: 1.0,
                    min_height: px(0),
                    column_gap: px(6),
                    overflow: Overflow::clip(),
                    ..default()
                },
                children![
                    (
                        Node {
                            width: px(296),
                            flex_direction: FlexDirection::Column,
                            row_gap: px(6),
                            ..default()
                        },
                        children![(Slot::Retina, section(percent(100), percent(100)), framed())],
                    ),
                    (
                        Node {
                            width: px(452),
                            flex_direction: FlexDirection::Column,
                            row_gap: px(6),
                            ..default()
                        },
                        children![
                            (Slot::Association, section(percent(100), auto()), framed()),
                            (
                                Slot::Response,
                                Node {
                                    flex_grow: 1.0,
                                    ..section(percent(100), auto())
                                },
                                framed()
                            ),
                        ],
                    ),
                    (
                        Slot::RightColumn,
                        Node {
                            flex_grow: 1.0,
                            flex_direction: FlexDirection::Column,
                            row_gap: px(6),
                            ..default()
                        },
                        children![
                            (Slot::Plots, section(percent(100), auto()), framed()),
                            (
                                Node {
                                    flex_grow: 1.0,
                                    column_gap: px(6),
                                    ..default()
                                },
                                children![
                                    (Slot::Confusion, section(auto(), percent(100)), framed()),
                                    (
                                        Slot::Modern,
                                        Node {
                                            flex_grow: 1.0,
                                            ..section(auto(), percent(100))
                                        },
                                        framed()
                                    ),
                                ],
                            ),
                        ],
                    ),
                    (
                        Slot::Guide,
                        Node {
                            display: Display::None,
                            flex_grow: 1.0,
                            ..section(auto(), percent(100))
                        },
                        framed()
                    ),
                ],
            ),
            (
                Slot::Controls,
                Node {
                    flex_shrink: 0.0,
                    flex_direction: FlexDirection::Column,
                    row_gap: px(4),
                    ..default()
                },
            ),
        ],
    ));
}

/// Scales the 1280 x 720 layout to the window, keeping its proportions.
pub(crate) fn fit_to_window(windows: Query<&Window>, mut scale: ResMut<UiScale>) {
    let Some(window) = windows.iter().next() else {
        return;
    };
    let fit = (window.width() / DESIGN_SIZE.x).min(window.height() / DESIGN_SIZE.y);
    if fit.is_finite() && fit > 0.0 && (scale.0 - fit).abs() > 1e-3 {
        scale.0 = fit;
    }
}

/// The entity of one layout slot.
pub fn slot_entity(slots: &Query<(Entity, &Slot)>, which: Slot) -> Option<Entity> {
    slots.iter().find(|(_, s)| **s == which).map(|(e, _)| e)
}

/// Epoch-level instruments redraw at most this often: at full speed an epoch can end every
/// frame, and nobody reads a plot at 60 Hz.
const EPOCH_REDRAW_SECONDS: f32 = 0.25;

/// Whether an epoch-level instrument may redraw now (always after a rebuild); notes the time.
pub fn due(time: &Time<Real>, drawn_at: &mut f32, rebuilt: bool) -> bool {
    let now = time.elapsed_secs();
    if rebuilt || now - *drawn_at >= EPOCH_REDRAW_SECONDS || now < *drawn_at {
        *drawn_at = now;
        true
    } else {
        false
    }
}
