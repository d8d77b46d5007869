//! The A-unit bank: one lamp per association unit; touch one to see its plugboard wiring.

use bevy::prelude::*;

use super::{LayoutSpawned, PanelAction, PanelDraw, Selection, Slot, button, slot_entity};
use crate::sim::{AssociationUnit, Bench, MachineRequest};
use crate::ui::lamp_bank::LampLight;
use crate::ui::palette::*;
use crate::ui::{Labels, UiFonts, instrument_heading, localized_text, text};

#[derive(Component)]
struct AssociationBank;

/// "37 of 512 firing; threshold 1".
#[derive(Component)]
struct BankCaption;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, build_association_bank.after(LayoutSpawned))
        .add_observer(fit_lamp_to_association_unit)
        .add_systems(
            Update,
            (
                select_pressed_unit,
                light_association_lamps,
                outline_selected_unit,
                count_firing_units,
            )
                .in_set(PanelDraw),
        );
}

fn build_association_bank(
    mut commands: Commands,
    fonts: Res<UiFonts>,
    slots: Query<(Entity, &Slot)>,
) {
    let Some(slot) = slot_entity(&slots, Slot::Association) else {
        return;
    };
    commands.entity(slot).with_children(|parent| {
        parent
            .spawn(Node {
                justify_content: JustifyContent::SpaceBetween,
                align_items: AlignItems::Center,
                ..default()
            })
            .with_children(|row| {
                row.spawn(instrument_heading(&fonts, "heading_association"));
                row.spawn((BankCaption, text(&fonts, "", SMALL_SIZE, DIM_TEXT, false)));
            });
        parent.spawn((
            AssociationBank,
            crate::ui::lamp_bank::LampBank::default(),
            Node {
                display: Display::Grid,
                grid_template_columns: RepeatedGridTrack::px(A_BANK_COLUMNS as u16, A_LAMP),
                column_gap: px(A_LAMP_GAP),
                row_gap: px(A_LAMP_GAP),
                ..default()
            },
        ));
        parent
            .spawn(Node {
                justify_content: JustifyContent::SpaceBetween,
                align_items: AlignItems::Center,
                column_gap: px(8),
                ..default()
            })
            .with_children(|row| {
                row.spawn((
                    localized_text(&fonts, "hint_wiring", SMALL_SIZE, DIM_TEXT, false),
                    fonts.desk_only(),
                    super::Governs(crate::scene::exhibit::ControlKind::Wiring),
                ));
                row.spawn(button(
                    &fonts,
                    "rewire",
                    PanelAction::Request(MachineRequest::Rewire),
                    96.0,
                ));
            });
    });
}

fn fit_lamp_to_association_unit(
    add: On<Add, AssociationUnit>,
    mut commands: Commands,
    bank: Query<Entity, With<AssociationBank>>,
) {
    let Ok(bank) = bank.single() else { return };
    // a button as far as bevy_ui's focus goes, so that a tap selects it as the panel's
    // buttons act: where the cursor is in that frame, even when it moved and pressed at once
    commands
        .entity(add.entity)
        .insert((crate::ui::bank_lamp(Some(A_LAMP)), Button, ChildOf(bank)));
}

/// A touched A-unit is selected (its wiring drawn on the retina); touched again, unselected.
fn select_pressed_unit(
    units: Query<(&Interaction, &AssociationUnit), Changed<Interaction>>,
    mut selection: ResMut<Selection>,
) {
    for (interaction, unit) in &units {
        if *interaction == Interaction::Pressed {
            selection.a_unit = if selection.a_unit == Some(unit.index) {
                None
            } else {
                Some(unit.index)
            };
        }
    }
}

fn light_association_lamps(
    mut lamps: Query<(&AssociationUnit, &mut LampLight), Changed<AssociationUnit>>,
) {
    for (unit, mut light) in &mut lamps {
        light.set_if_neq(LampLight(if unit.firing { LAMP_ON } else { LAMP_OFF }));
    }
}

fn outline_selected_unit(
    selection: Res<Selection>,
    mut commands: Commands,
    units: Query<(Entity, &AssociationUnit, Has<Outline>)>,
    added: Query<(), Added<AssociationUnit>>,
) {
    if !selection.is_changed() && added.is_empty() {
        return;
    }
    for (entity, unit, outlined) in &units {
        let selected = selection.a_unit == Some(unit.index);
        if selected && !outlined {
            commands
                .entity(entity)
                .insert(Outline::new(px(2), px(1), SELECTED));
        } else if !selected && outlined {
            commands.entity(entity).remove::<Outline>();
        }
    }
}

fn count_firing_units(
    bench: Res<Bench>,
    mut caption: Query<&mut Text, With<BankCaption>>,
    mut seen: Local<(u64, u64)>,
    labels: Res<Labels>,
) {
    let version = (bench.generation, bench.shown);
    if *seen == version && !labels.is_changed() {
        return;
    }
    *seen = version;
    let machine = bench.machine();
    let firing = bench.current.as_ref().map_or(0, |c| c.active.len());
    if let Ok(mut caption) = caption.single_mut() {
        let (units, threshold) = (machine.a_units(), machine.plugboard.threshold);
        let values = [firing.to_string(), units.to_string(), threshold.to_string()];
        caption.0 = labels.fill("a_units_firing", &values.each_ref().map(String::as_str));
    }
}
