//! The R-units: response lamps named for their classes, and each unit's bank of potentiometer
//! dials, turning as the motors drive them.

use bevy::prelude::*;

use super::response_names::{COLUMN_GAP, column_width};
use super::{LayoutSpawned, PanelAction, PanelDraw, Selection, Slot, button, slot_entity};
use crate::nn::mark1::Coding;
use crate::sim::{Bench, Potentiometer, ResponseUnit};
use crate::ui::chart::RASTER_SCALE;
use crate::ui::dials::Dials;
use crate::ui::palette::*;
use crate::ui::raster::Raster;
use crate::ui::strings::Strings;
use crate::ui::{Labels, UiFonts, instrument_heading, text};

/// The row the response lamps sit in.
#[derive(Component)]
struct ResponseRow;

/// The disc of an R-unit's lamp (a child of the unit's entity).
#[derive(Component)]
struct ResponseLamp(usize);

/// The arrow under a lamp telling how its pots were just moved.
#[derive(Component)]
struct CorrectionMark(usize);

#[derive(Component)]
struct DialBank;

#[derive(Component)]
struct DialCaption;

/// The dial bank's shape: its texture's size (drawn at twice its on-screen size for smooth
/// edges), and its columns and rows of dials, all of a bank at once or a zoomed block of 64.
#[derive(Clone, Copy, Debug, PartialEq)]
struct BankShape {
    size: Vec2,
    columns: usize,
    rows: usize,
    zoom_columns: usize,
}

const DESK_BANK: BankShape = BankShape {
    size: Vec2::new(436.0, 124.0),
    columns: 43,
    rows: 12,
    zoom_columns: 16,
};
/// A projector's bank is lower, with smaller dials, to leave room for its larger type.
const PROJECTOR_BANK: BankShape = BankShape {
    size: Vec2::new(436.0, 100.0),
    columns: 52,
    rows: 10,
    zoom_columns: 18,
};
const ZOOM_DIALS: usize = 64;

fn bank_shape(fonts: &UiFonts) -> BankShape {
    if fonts.on_projector() {
        PROJECTOR_BANK
    } else {
        DESK_BANK
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, build_response_section.after(LayoutSpawned))
        .add_observer(fit_lamp_to_response_unit)
        .add_systems(Update, (light_response_lamps, draw_dials).in_set(PanelDraw));
}

/// The name under R-unit `j`'s lamp (`response_names` words and places it).
#[derive(Component)]
pub(super) struct ResponseName(pub usize);

fn build_response_section(
    mut commands: Commands,
    fonts: Res<UiFonts>,
    slots: Query<(Entity, &Slot)>,
    mut images: ResMut<Assets<Image>>,
) {
    let Some(slot) = slot_entity(&slots, Slot::Response) else {
        return;
    };
    let texture = images.add(
        Raster::new(
            (bank_shape(&fonts).size.x * RASTER_SCALE) as u32,
            (bank_shape(&fonts).size.y * RASTER_SCALE) as u32,
            rgba(PANEL),
        )
        .to_image(),
    );
    commands.entity(slot).with_children(|parent| {
        parent
            .spawn(Node {
                justify_content: JustifyContent::SpaceBetween,
                align_items: AlignItems::Center,
                column_gap: px(8),
                ..default()
            })
            .with_children(|row| {
                row.spawn(Node {
                    flex_direction: FlexDirection::Column,
                    row_gap: px(2),
                    ..default()
                })
                .with_children(|column| {
                    column.spawn(instrument_heading(&fonts, "heading_response"));
                    column.spawn((DialCaption, text(&fonts, "", SMALL_SIZE, DIM_TEXT, false)));
                });
                row.spawn(button(&fonts, "zoom", PanelAction::ToggleZoom, 72.0));
            });
        parent.spawn((
            ResponseRow,
            Node {
                column_gap: px(COLUMN_GAP),
                flex_wrap: FlexWrap::Wrap,
                ..default()
            },
        ));
        parent.spawn((
            DialBank,
            ImageNode::new(texture),
            Node {
                width: px(bank_shape(&fonts).size.x),
                height: px(bank_shape(&fonts).size.y),
                ..default()
            },
        ));
    });
}

/// Gives each R-unit a lamp with its class name; touching it shows that unit's dials.
fn fit_lamp_to_response_unit(
    add: On<Add, ResponseUnit>,
    mut commands: Commands,
    units: Query<&ResponseUnit>,
    row: Query<Entity, With<ResponseRow>>,
    bench: Res<Bench>,
    fonts: Res<UiFonts>,
) {
    let (Ok(row), Ok(unit)) = (row.single(), units.get(add.entity)) else {
        return;
    };
    let machine = bench.machine();
    let j = unit.index;
    let width = column_width(machine.r_units);
    let lamp = width.min(30.0);
    commands
        .entity(add.entity)
        .insert((
            Button,
            PanelAction::SelectBank(j),
            Node {
                width: px(width),
                flex_direction: FlexDirection::Column,
                align_items: AlignItems::Center,
                row_gap: px(2),
                ..default()
            },
            ChildOf(row),
        ))
        .with_children(|column| {
            column.spawn((
                ResponseLamp(j),
                crate::ui::lamp(Some(lamp), 2.0),
                children![(CorrectionMark(j), text(&fonts, " ", SMALL_SIZE, WARM, true))],
            ));
            // on one line, over the neighbouring columns where it is wider than its own
            column.spawn((
                ResponseName(j),
                text(&fonts, "", SMALL_SIZE, ENGRAVING, true),
                TextLayout::linebreak(LineBreak::NoWrap),
                GlobalZIndex(1),
            ));
        });
}

/// What R-unit `j` stands for, in the panel's language: its class (one per class), its bit
/// (binary code), or spare.
pub(super) fn unit_name(bench: &Bench, j: usize, labels: &Strings) -> String {
    let machine = bench.machine();
    match machine.coding {
        Coding::OnePerClass if j < machine.classes.len() => bench.class_shown(j, labels),
        Coding::OnePerClass => labels.get("unit_spare"),
        Coding::Binary if j < crate::nn::mark1::code_bits(machine.classes.len()) => {
            labels.fill("unit_bit", &[&j.to_string()])
        }
        Coding::Binary => labels.get("unit_spare"),
    }
}

/// A lamp lights when its unit fires (`r_j > 0`); the selected bank's lamp wears a ring; the
/// arrow says which way error correction just drove its pots.
fn light_response_lamps(
    units: Query<&ResponseUnit>,
    selection: Res<Selection>,
    mut lamps: Query<(&ResponseLamp, &mut BackgroundColor, &mut BorderColor)>,
    mut marks: Query<(&CorrectionMark, &mut Text, &mut TextColor)>,
) {
    let mut state = vec![(0.0f32, 0.0f32); units.iter().count()];
    for unit in &units {
        if let Some(slot) = state.get_mut(unit.index) {
            *slot = (unit.response, unit.correction);
        }
    }
    for (lamp, mut color, mut border) in &mut lamps {
        let (response, _) = state.get(lamp.0).copied().unwrap_or_default();
        color.set_if_neq(BackgroundColor(if response > 0.0 {
            LAMP_ON
        } else {
            LAMP_OFF
        }));
        border.set_if_neq(BorderColor::all(if selection.r_unit == lamp.0 {
            SELECTED
        } else {
            LAMP_RIM
        }));
    }
    for (mark, mut text, mut color) in &mut marks {
        let (response, correction) = state.get(mark.0).copied().unwrap_or_default();
        color.set_if_neq(TextColor(if response > 0.0 { BACKGROUND } else { WARM }));
        let arrow = if correction > 0.0 {
            "\u{25B2}"
        } else if correction < 0.0 {
            "\u{25BC}"
        } else {
            " "
        };
        if text.0 != arrow {
            text.0 = arrow.to_string();
        }
    }
}

/// The dial bank's drawing: the faces for one view, and the faces with their needles.
#[derive(Default)]
struct DialCanvas {
    faces: Option<(DialView, Raster)>,
    needles: Option<Raster>,
}

/// The smallest of 4, 10, 20, 50, 100... not below `x`: the dials' full-scale reading.
fn full_scale(x: f32) -> f32 {
    let mut scale = 4.0;
    for step in [10.0, 20.0, 50.0] {
        if x <= scale {
            break;
        }
        scale = step;
    }
    while x > scale {
        scale *= 2.0;
    }
    scale
}

/// Redraws the selected R-unit's dials whenever a shaft turned.
/// Which pots the dial bank shows: `bank.count` from pot `first`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct DialView {
    first: usize,
    bank: Dials,
}

impl DialView {
    /// All the pots small, or (zoomed) the selected A-unit's block of `ZOOM_DIALS` large;
    /// the selected A-unit's dial outlined.
    fn of(selection: &Selection, pots: usize, shape: BankShape) -> Self {
        let (first, count, columns) = if selection.zoomed {
            let block = selection.a_unit.unwrap_or(0) / ZOOM_DIALS * ZOOM_DIALS;
            let count = ZOOM_DIALS.min(pots - block.min(pots));
            (block, count, shape.zoom_columns)
        } else {
            (0, pots.min(shape.columns * shape.rows), shape.columns)
        };
        let outlined = selection
            .a_unit
            .and_then(|a| a.checked_sub(first))
            .filter(|&k| k < count);
        Self {
            first,
            bank: Dials {
                size: shape.size,
                columns,
                count,
                outlined,
            },
        }
    }

    /// The shown pots' positions as fractions of full scale.
    fn readings(&self, shafts: &[f32], scale: f32) -> Vec<f32> {
        shafts[self.first..self.first + self.bank.count]
            .iter()
            .map(|w| w / scale)
            .collect()
    }
}

/// The shown R-unit's pot positions by A-unit, and the largest pot anywhere (for the scale).
fn shafts_of(pots: &Query<&Potentiometer>, r_unit: usize, a_units: usize) -> (Vec<f32>, f32) {
    let mut shafts = vec![0.0f32; a_units];
    let mut largest = 0.0f32;
    for pot in pots {
        largest = largest.max(pot.shown.abs());
        if pot.r_unit == r_unit && pot.a_unit < shafts.len() {
            shafts[pot.a_unit] = pot.shown;
        }
    }
    (shafts, largest)
}

fn draw_dials(
    bench: Res<Bench>,
    selection: Res<Selection>,
    pots: Query<&Potentiometer>,
    changed: Query<(), Changed<Potentiometer>>,
    bank: Query<&ImageNode, With<DialBank>>,
    mut caption: Query<&mut Text, With<DialCaption>>,
    mut images: ResMut<Assets<Image>>,
    mut canvas: Local<DialCanvas>,
    labels: Res<Labels>,
    fonts: Res<UiFonts>,
) {
    if changed.is_empty() && !selection.is_changed() && !labels.is_changed() {
        return;
    }
    let Ok(node) = bank.single() else { return };
    let machine = bench.machine();
    let r = selection.r_unit.min(machine.r_units - 1);
    let (shafts, largest) = shafts_of(&pots, r, machine.a_units());
    let scale = full_scale(largest);
    let view = DialView::of(&selection, shafts.len(), bank_shape(&fonts));
    // the faces change only with the view: drawn once, then copied under the needles
    let canvas = &mut *canvas;
    if canvas.faces.as_ref().is_none_or(|(v, _)| *v != view) {
        canvas.faces = Some((view, view.bank.paint_faces()));
    }
    let faces = &canvas.faces.as_ref().expect("drawn above").1;
    let needles = canvas
        .needles
        .get_or_insert_with(|| Raster::new(faces.width, faces.height, rgba(PANEL)));
    view.bank
        .paint_needles(needles, faces, &view.readings(&shafts, scale));
    if let Some(mut image) = images.get_mut(&node.image) {
        needles.store(&mut image);
    }
    if let Ok(mut caption) = caption.single_mut() {
        let name = unit_name(&bench, r, &labels);
        let (first, count) = (view.first, view.bank.count);
        let (all, scale) = (shafts.len().to_string(), scale.to_string());
        caption.0 = if selection.zoomed {
            let (from, to) = ((first + 1).to_string(), (first + count).to_string());
            labels.fill("pots_zoomed", &[&name, &from, &to, &all, &scale])
        } else {
            labels.fill("pots_all", &[&name, &all, &scale])
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_banks_show_512_pots_whole_and_a_zoomed_block_within_their_texture() {
        for shape in [DESK_BANK, PROJECTOR_BANK] {
            assert!(shape.columns * shape.rows >= 512, "{shape:?}");
            for (selection, rows) in [
                (Selection::default(), shape.rows),
                (
                    Selection {
                        zoomed: true,
                        ..Selection::default()
                    },
                    ZOOM_DIALS.div_ceil(shape.zoom_columns),
                ),
            ] {
                let view = DialView::of(&selection, 512, shape);
                let height = view.bank.pitch() * rows as f32 / RASTER_SCALE;
                assert!(
                    height <= shape.size.y,
                    "{shape:?}: {rows} rows need {height}"
                );
            }
        }
    }

    #[test]
    fn zoomed_the_bank_shows_the_selected_units_block_with_it_outlined() {
        let selection = Selection {
            a_unit: Some(70),
            zoomed: true,
            ..Selection::default()
        };
        let view = DialView::of(&selection, 512, DESK_BANK);
        assert_eq!((view.first, view.bank.count), (64, ZOOM_DIALS));
        assert_eq!(view.bank.outlined, Some(6));
        let mut shafts = vec![0.0; 512];
        shafts[70] = 5.0;
        assert_eq!(view.readings(&shafts, 10.0)[6], 0.5);
        let all = DialView::of(&Selection::default(), 512, DESK_BANK);
        assert_eq!(
            (all.first, all.bank.count, all.bank.outlined),
            (0, 512, None)
        );
    }

    #[test]
    fn full_scale_rounds_up_to_a_meter_range() {
        assert_eq!(full_scale(0.0), 4.0);
        assert_eq!(full_scale(3.0), 4.0);
        assert_eq!(full_scale(7.0), 10.0);
        assert_eq!(full_scale(33.0), 50.0);
        assert_eq!(full_scale(120.0), 200.0);
    }
}
