//! The rendered control panel: lamps, dials, meters, plots and the trainer's controls.
//!
//! The panel only decorates and reads the simulation (`sim`): unit entities get their lamps
//! from observers, instruments redraw from the bench, and every control becomes a
//! [`MachineRequest`](crate::sim::MachineRequest). One plugin per concern, one file each.

mod association;
mod chooser;
mod confusion;
mod controls;
mod export;
pub mod files;
mod help;
mod layout;
mod modern;
mod pacing;
mod path_field;
mod plots;
mod response;
mod response_names;
mod retina;
mod stroke;

use bevy::prelude::*;

use crate::sim::MachineRequest;
use crate::ui::palette::*;
use crate::ui::{self, PANEL_BUTTON, PanelLayout, UiFonts, styled_button};
pub use crate::ui::{LayoutSpawned, PanelDraw};

/// The panel; add after the simulation's plugin, in an App with a window and a renderer.
pub fn plugin(app: &mut App) {
    app.init_resource::<Selection>()
        .init_resource::<PanelLayout>()
        .configure_sets(PreStartup, LayoutSpawned.after(ui::UiReady))
        .add_systems(
            PreStartup,
            (spawn_layout, layout::publish_slots)
                .chain()
                .in_set(LayoutSpawned),
        )
        .configure_sets(
            Update,
            (
                PanelDraw.after(crate::sim::MachineCycle::Display),
                ui::Relabel.in_set(PanelDraw),
            ),
        )
        .add_plugins((
            retina::plugin,
            association::plugin,
            response::plugin,
            response_names::plugin,
            plots::plugin,
            confusion::plugin,
            modern::plugin,
            controls::plugin,
            files::plugin,
            export::plugin,
            help::plugin,
            path_field::plugin,
            chooser::plugin,
            layout::plugin,
            pacing::plugin,
        ));
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
pub struct Governs(pub crate::scene::exhibit::ControlKind);

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
    /// The path field, to open a folder, file or machine by its path.
    Open,
    /// The path field, to save the machine under a chosen name.
    SaveAs,
    Export,
    /// Shows or hides the help overlay.
    ToggleHelp,
    /// The panel's words in the next shipped language.
    NextLanguage,
    ClearSketch,
    ToggleZoom,
    SelectBank(usize),
}

/// A panel push button of at least touch size.
pub fn button(
    fonts: &UiFonts,
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
        // the padding takes the thin edge's pixel too, so the contents sit as inside a border
        padding: UiRect::all(px(9)),
        border_radius: BorderRadius::all(px(FRAME_RADIUS)),
        ..default()
    }
}

/// The corners' radius of an instrument's frame.
const FRAME_RADIUS: f32 = 6.0;

/// An instrument's frame: a thin edge, on the ground ([`ui::ground`]), whose fill is the
/// camera's clear colour.
fn framed() -> impl Bundle {
    (
        ui::ground::OnGround,
        ui::ground_frame_edge(PANEL_EDGE, 1.0, FRAME_RADIUS),
    )
}

/// A column of instruments `width` wide (or growing into what is left).
fn column(width: Option<f32>) -> Node {
    Node {
        width: width.map_or(auto(), px),
        flex_grow: if width.is_none() { 1.0 } else { 0.0 },
        flex_direction: FlexDirection::Column,
        row_gap: px(6),
        ..default()
    }
}

/// The retina on the left.
fn left_column() -> impl Bundle {
    (
        column(Some(296.0)),
        children![(Slot::Retina, section(percent(100), percent(100)), framed())],
    )
}

/// The A-units over the R-units and their pots.
fn middle_column() -> impl Bundle {
    (
        column(Some(452.0)),
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
    )
}

/// The plots over the confusion matrix and the MLP.
fn right_column() -> impl Bundle {
    (
        Slot::RightColumn,
        column(None),
        children![
            (Slot::Plots, section(percent(100), auto()), framed()),
            (
                Node {
                    flex_grow: 1.0,
                    column_gap: px(6),
                    ..default()
                },
                children![
                    (
                        Slot::Confusion,
                        // wide enough that a long language's caption leaves room for the grid
                        Node {
                            min_width: px(220),
                            ..section(auto(), percent(100))
                        },
                        framed()
                    ),
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
    )
}

/// Large-type guidance for visitors, hidden until a layout without the right column.
fn guide_column() -> impl Bundle {
    (
        Slot::Guide,
        Node {
            display: Display::None,
            flex_grow: 1.0,
            ..section(auto(), percent(100))
        },
        framed(),
    )
}

/// The frame of the panel: the header, three columns of instruments (or the guide in the
/// third's place), the controls.
fn spawn_layout(mut commands: Commands) {
    commands.spawn(ui::ground::ground_camera());
    commands.spawn(ui::ground::ground());
    commands.spawn((
        Node {
            width: px(DESIGN_SIZE.x),
            height: px(DESIGN_SIZE.y),
            flex_direction: FlexDirection::Column,
            padding: UiRect::all(px(6)),
            row_gap: px(6),
            ..default()
        },
        // no background of its own: the ground is drawn between the frames
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
                    left_column(),
                    middle_column(),
                    right_column(),
                    guide_column()
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
