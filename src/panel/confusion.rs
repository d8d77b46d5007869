//! The Mark I's confusion matrix after each epoch; every cell shows an image that fell in it.

use bevy::prelude::*;

use super::{LayoutSpawned, PanelDraw, Slot, slot_entity};
use crate::data::GrayImage;
use crate::ui::palette::*;
use crate::ui::raster::picture_image;
use crate::ui::{Labels, UiFonts, instrument_heading, localized_text, text};
use std::hash::{Hash, Hasher};

use crate::sim::{Bench, ConfusionView};

#[derive(Component)]
struct ConfusionGrid;

#[derive(Component)]
struct ConfusionCaption;

/// The grid's side, in pixels, whatever the number of classes.
const GRID_SIDE: f32 = 216.0;

/// The matrix's side: smaller on a projector, to leave room for its larger caption (four
/// lines in each language at 1280x720).
fn grid_side(fonts: &UiFonts) -> f32 {
    if fonts.on_projector() {
        GRID_SIDE * 0.6
    } else {
        GRID_SIDE
    }
}
/// Above this many classes the cells are too small for pictures and counts.
const MAX_PICTURED: usize = 8;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, build_confusion.after(LayoutSpawned))
        .add_systems(Update, fill_confusion_grid.in_set(PanelDraw));
}

fn build_confusion(mut commands: Commands, fonts: Res<UiFonts>, slots: Query<(Entity, &Slot)>) {
    let Some(slot) = slot_entity(&slots, Slot::Confusion) else {
        return;
    };
    commands.entity(slot).with_children(|parent| {
        parent.spawn(instrument_heading(&fonts, "heading_confusion"));
        parent.spawn((
            ConfusionCaption,
            localized_text(&fonts, "confusion_empty", SMALL_SIZE, DIM_TEXT, false),
        ));
        parent.spawn((
            ConfusionGrid,
            Node {
                width: px(grid_side(&fonts)),
                height: px(grid_side(&fonts)),
                display: Display::Grid,
                column_gap: px(2),
                row_gap: px(2),
                ..default()
            },
        ));
    });
}

/// A digest of what the grid shows: the counts, the caption's figures and the pictures.
fn fingerprint(view: Option<&ConfusionView>) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    if let Some(view) = view {
        view.images.hash(&mut hasher);
        view.confusion.rows().hash(&mut hasher);
        for example in &view.examples {
            example.as_ref().map(|e| &e.pixels).hash(&mut hasher);
        }
    }
    hasher.finish()
}

fn fill_confusion_grid(
    mut commands: Commands,
    bench: Res<Bench>,
    fonts: Res<UiFonts>,
    mut grid: Query<(Entity, &mut Node), With<ConfusionGrid>>,
    mut caption: Query<&mut Text, With<ConfusionCaption>>,
    mut images: ResMut<Assets<Image>>,
    mut seen: Local<Option<(u64, usize)>>,
    mut shown: Local<Option<u64>>,
    time: Res<Time<Real>>,
    mut drawn_at: Local<f32>,
    labels: Res<Labels>,
) {
    let version = (bench.generation, bench.experiment.history.len());
    let stale = *seen != Some(version) || labels.is_changed();
    if !stale || !super::due(&time, &mut drawn_at, seen.map(|s| s.0) != Some(version.0)) {
        return;
    }
    *seen = Some(version);
    // A machine that has settled gives the same matrix epoch after epoch: keep the cells.
    let content = fingerprint(bench.confusion.as_ref());
    if *shown == Some(content) && !labels.is_changed() {
        return;
    }
    *shown = Some(content);
    let Ok((grid, mut node)) = grid.single_mut() else {
        return;
    };
    commands.entity(grid).despawn_children();
    let Some(view) = &bench.confusion else {
        if let Ok(mut caption) = caption.single_mut() {
            caption.0 = labels.get("confusion_waiting");
        }
        return;
    };
    let k = view.confusion.classes;
    node.grid_template_columns = RepeatedGridTrack::flex(k as u16, 1.0);
    node.grid_template_rows = RepeatedGridTrack::flex(k as u16, 1.0);
    if let Ok(mut caption) = caption.single_mut() {
        let right = format!("{:.1}", 100.0 * view.confusion.accuracy());
        caption.0 = labels.fill(&format!("confusion_caption_{}", view.images), &[&right]);
    }
    let pictured = k <= MAX_PICTURED;
    for (truth, row) in view.confusion.rows().iter().enumerate() {
        let total = row.iter().sum::<u64>().max(1) as f32;
        for (answer, &count) in row.iter().enumerate() {
            let example = view.examples[truth * k + answer].as_ref();
            let cell = Cell {
                count,
                share: count as f32 / total,
                diagonal: truth == answer,
                example,
                pictured,
            };
            spawn_cell(&mut commands, grid, &cell, &fonts, &mut images);
        }
    }
}

/// One cell of the matrix: how many images of a true class got an answer, their share of
/// the class, and the first of them.
struct Cell<'a> {
    count: u64,
    share: f32,
    diagonal: bool,
    example: Option<&'a GrayImage>,
    /// Whether the matrix is small enough for pictures and counts in its cells.
    pictured: bool,
}

/// A cell shaded by its share (cool on the diagonal, warm off it), its first image faint
/// behind its count.
fn spawn_cell(
    commands: &mut Commands,
    grid: Entity,
    cell: &Cell,
    fonts: &UiFonts,
    images: &mut Assets<Image>,
) {
    let mut node = commands.spawn((
        Node {
            border: UiRect::all(px(if cell.diagonal { 2 } else { 0 })),
            justify_content: JustifyContent::End,
            align_items: AlignItems::End,
            ..default()
        },
        BackgroundColor(LAMP_OFF.mix(if cell.diagonal { &COOL } else { &WARM }, cell.share)),
        BorderColor::all(COOL_LIGHT),
        ChildOf(grid),
    ));
    if !cell.pictured || cell.count == 0 {
        return;
    }
    if let Some(example) = cell.example {
        let picture = images.add(picture_image(example));
        // on a projector the larger count takes the lower right corner: the picture keeps
        // to the upper left
        let (inset, side) = match fonts.on_projector() {
            true => (5.0, 52.0),
            false => (12.0, 76.0),
        };
        node.with_child((
            ImageNode::new(picture).with_color(Color::srgba(1.0, 1.0, 1.0, 0.55)),
            Node {
                position_type: PositionType::Absolute,
                left: percent(inset),
                top: percent(inset),
                width: percent(side),
                height: percent(side),
                ..default()
            },
        ));
    }
    node.with_child((
        text(fonts, cell.count.to_string(), SMALL_SIZE, ENGRAVING, true),
        Node {
            margin: UiRect::all(px(2)),
            ..default()
        },
        TextShadow::default(),
    ));
}
