//! The panel applies its [`PanelLayout`]: instruments left out are hidden (the guide takes
//! the right-hand column's place when it is empty), controls not offered are hidden, and the
//! frame's shared places are published as [`PanelSlots`].

use bevy::prelude::*;

use super::{CounterLine, Governs, NoticeLine, PanelAction, PanelDraw, Slot, slot_entity};
use crate::scene::exhibit::{ControlKind, PanelKind};
use crate::sim::{AssociationUnit, MachineRequest};
use crate::ui::{PanelLayout, PanelSlots};

pub(super) fn plugin(app: &mut App) {
    // the first update sees the layout as changed, so it is applied before the first frame
    app.add_systems(
        Update,
        (
            show_the_layouts_instruments.run_if(resource_changed::<PanelLayout>),
            hide_controls_not_offered,
        )
            .in_set(PanelDraw),
    );
}

/// Tells other pages where the header and the guide column are.
pub(super) fn publish_slots(mut commands: Commands, slots: Query<(Entity, &Slot)>) {
    let (Some(header), Some(guide)) = (
        slot_entity(&slots, Slot::Header),
        slot_entity(&slots, Slot::Guide),
    ) else {
        return;
    };
    commands.insert_resource(PanelSlots { header, guide });
}

/// Whether a slot is shown under `layout`.
fn slot_shown(layout: &PanelLayout, slot: Slot) -> bool {
    match slot {
        Slot::Retina => layout.shows(PanelKind::Retina),
        Slot::Association => layout.shows(PanelKind::Association),
        Slot::Response => layout.shows(PanelKind::Response),
        Slot::Plots => layout.shows(PanelKind::Plots),
        Slot::Confusion => layout.shows(PanelKind::Confusion),
        Slot::Modern => layout.shows(PanelKind::Modern),
        Slot::RightColumn => !layout.right_column_empty(),
        Slot::Guide => layout.right_column_empty(),
        Slot::Header | Slot::Controls => true,
    }
}

fn show_the_layouts_instruments(
    layout: Res<PanelLayout>,
    mut slots: Query<(&Slot, &mut Node)>,
    mut counters: Query<&mut Node, (With<CounterLine>, Without<Slot>)>,
) {
    let display = |shown: bool| if shown { Display::Flex } else { Display::None };
    for mut node in &mut counters {
        node.display = display(layout.counters_shown());
    }
    for (slot, mut node) in &mut slots {
        node.display = display(slot_shown(&layout, *slot));
    }
}

/// The control a panel button belongs to; `None` for those always offered.
fn control_of(action: &PanelAction) -> Option<ControlKind> {
    Some(match action {
        PanelAction::ToggleRun => ControlKind::Run,
        PanelAction::Request(MachineRequest::Step) => ControlKind::Step,
        PanelAction::Request(MachineRequest::StepEpoch) => ControlKind::Epoch,
        PanelAction::Request(MachineRequest::Reset) => ControlKind::Reset,
        PanelAction::Request(MachineRequest::Rewire) => ControlKind::Rewire,
        PanelAction::Request(MachineRequest::Force(_)) => ControlKind::Force,
        PanelAction::SlowerSpeed | PanelAction::FasterSpeed => ControlKind::Speed,
        PanelAction::ToggleTrainer => ControlKind::Trainer,
        PanelAction::NextRule => ControlKind::Rule,
        PanelAction::LowerRate | PanelAction::RaiseRate => ControlKind::StepSize,
        PanelAction::NextValueSystem => ControlKind::ValueSystem,
        PanelAction::NextImageSet => ControlKind::Images,
        PanelAction::Save | PanelAction::SaveAs | PanelAction::Export => ControlKind::Save,
        PanelAction::Load | PanelAction::Open => ControlKind::Load,
        PanelAction::ClearSketch => ControlKind::ClearDrawing,
        PanelAction::ToggleZoom => ControlKind::Zoom,
        PanelAction::ToggleHelp => ControlKind::Help,
        PanelAction::NextLanguage => ControlKind::Language,
        PanelAction::SelectBank(_) | PanelAction::Request(_) => return None,
    })
}

/// Hides the controls the layout does not offer, new ones too (such as the teaching buttons
/// of a new image set), and the message line when it is not shown.
fn hide_controls_not_offered(
    layout: Res<PanelLayout>,
    mut buttons: Query<(&PanelAction, &mut Node), Added<PanelAction>>,
    mut labels: Query<(&Governs, &mut Node), (Added<Governs>, Without<PanelAction>)>,
    mut notices: Query<&mut Node, (Added<NoticeLine>, Without<Governs>, Without<PanelAction>)>,
    lamps: Query<Entity, Added<AssociationUnit>>,
    mut commands: Commands,
) {
    if !layout.offers(ControlKind::Wiring) {
        for lamp in &lamps {
            commands.entity(lamp).insert(Pickable::IGNORE);
        }
    }
    if !layout.notices {
        for mut node in &mut notices {
            node.display = Display::None;
        }
    }
    for (action, mut node) in &mut buttons {
        if control_of(action).is_some_and(|kind| !layout.offers(kind)) {
            node.display = Display::None;
        }
    }
    for (governs, mut node) in &mut labels {
        if !layout.offers(governs.0) {
            node.display = Display::None;
        }
    }
}
