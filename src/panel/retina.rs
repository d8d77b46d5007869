//! The retina board: 20 x 20 photocell lamps, the source picture, wiring marks, and drawing.

use bevy::prelude::*;

use super::palette::*;
use super::raster::picture_image;
use super::{
    Labels, LayoutSpawned, PanelAction, PanelDraw, PanelFonts, Selection, Slot, button, heading,
    localized_text, slot_entity, text,
};
use crate::data::GrayImage;
use crate::sim::{Bench, MachineRequest, Origin, RunState, SensoryUnit};

/// The grid the S-unit lamps sit in.
#[derive(Component)]
struct RetinaBoard;

/// The picture on the retina as the camera saw it.
#[derive(Component)]
struct SourcePicture;

/// "Pattern 12 of 225: circle" and both machines' answers.
#[derive(Component)]
struct PatternCaption;

#[derive(Component)]
struct AnswerCaption;

/// One stroke of a wiring mark on a retina lamp: a plus (both strokes) for an excitatory
/// connection of the selected A-unit, a minus (the horizontal one) for an inhibitory one.
#[derive(Component)]
struct WireMark {
    cell: usize,
    vertical: bool,
}

/// The visitor's drawing: which cells are inked, and whether a stroke paints or erases.
#[derive(Resource, Default)]
pub struct Sketch {
    pub cells: Vec<bool>,
    pub width: usize,
    stroke: Option<bool>,
}

impl Sketch {
    /// The drawing as a picture: black ink on white paper, one pixel per cell.
    pub fn picture(&self) -> GrayImage {
        let height = self.cells.len() / self.width.max(1);
        let mut image = GrayImage::filled(self.width as u32, height as u32, 255);
        for (k, &ink) in self.cells.iter().enumerate() {
            if ink {
                image.set((k % self.width) as i32, (k / self.width) as i32, 0);
            }
        }
        image
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Sketch>()
        .add_systems(PreStartup, build_retina_board.after(LayoutSpawned))
        .add_observer(fit_lamp_to_photocell)
        .add_observer(end_stroke)
        .add_systems(
            Update,
            (
                light_retina_lamps,
                show_source_picture,
                mark_wiring_of_selected_unit,
            )
                .in_set(PanelDraw),
        );
}

fn build_retina_board(
    mut commands: Commands,
    fonts: Res<PanelFonts>,
    slots: Query<(Entity, &Slot)>,
) {
    let Some(slot) = slot_entity(&slots, Slot::Retina) else {
        return;
    };
    commands.entity(slot).with_children(|parent| {
        parent.spawn(heading(&fonts, "heading_retina"));
        parent.spawn((
            RetinaBoard,
            Node {
                width: px(RETINA_BOARD),
                height: px(RETINA_BOARD),
                display: Display::Grid,
                column_gap: px(1),
                row_gap: px(1),
                ..default()
            },
        ));
        parent
            .spawn(Node {
                column_gap: px(8),
                ..default()
            })
            .with_children(|row| {
                row.spawn((
                    SourcePicture,
                    ImageNode::default(),
                    Node {
                        width: px(84),
                        height: px(84),
                        border: UiRect::all(px(1)),
                        ..default()
                    },
                    BorderColor::all(PANEL_EDGE),
                ));
                row.spawn(Node {
                    flex_direction: FlexDirection::Column,
                    row_gap: px(4),
                    flex_shrink: 1.0,
                    ..default()
                })
                .with_children(|column| {
                    column.spawn((
                        PatternCaption,
                        text(&fonts, "", LABEL_SIZE, ENGRAVING, true),
                    ));
                    column.spawn((
                        AnswerCaption,
                        text(&fonts, "", LABEL_SIZE, ENGRAVING, false),
                    ));
                });
            });
        parent.spawn(localized_text(
            &fonts,
            "hint_draw",
            SMALL_SIZE,
            DIM_TEXT,
            false,
        ));
        parent.spawn(button(
            &fonts,
            "clear_drawing",
            PanelAction::ClearSketch,
            140.0,
        ));
    });
}

/// Gives each S-unit a round lamp in the retina grid, its wiring marks, and touch handling.
fn fit_lamp_to_photocell(
    add: On<Add, SensoryUnit>,
    mut commands: Commands,
    units: Query<&SensoryUnit>,
    mut boards: Query<(Entity, &mut Node), With<RetinaBoard>>,
    bench: Res<Bench>,
) {
    let Ok((board, mut board_node)) = boards.single_mut() else {
        return;
    };
    let Ok(unit) = units.get(add.entity) else {
        return;
    };
    let retina = &bench.machine().retina;
    if unit.index == 0 || board_node.grid_template_columns.is_empty() {
        board_node.grid_template_columns = RepeatedGridTrack::flex(retina.width as u16, 1.0);
        board_node.grid_template_rows = RepeatedGridTrack::flex(retina.height as u16, 1.0);
    }
    let cell = unit.index;
    commands
        .entity(add.entity)
        .insert((
            Node {
                border: UiRect::all(px(1)),
                border_radius: BorderRadius::MAX,
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                ..default()
            },
            BackgroundColor(LAMP_OFF),
            BorderColor::all(LAMP_RIM),
            ChildOf(board),
        ))
        .with_children(|lamp| {
            for vertical in [false, true] {
                lamp.spawn((
                    WireMark { cell, vertical },
                    Node {
                        position_type: PositionType::Absolute,
                        width: if vertical { percent(26) } else { percent(80) },
                        height: if vertical { percent(80) } else { percent(26) },
                        ..default()
                    },
                    BackgroundColor(WARM),
                    Visibility::Hidden,
                    Pickable::IGNORE,
                ));
            }
        })
        .observe(start_stroke)
        .observe(continue_stroke);
}

fn light_retina_lamps(
    mut lamps: Query<(&SensoryUnit, &mut BackgroundColor), Changed<SensoryUnit>>,
) {
    for (unit, mut color) in &mut lamps {
        color.0 = LAMP_OFF.mix(&LAMP_ON, unit.excitation.clamp(0.0, 1.0));
    }
}

fn show_source_picture(
    bench: Res<Bench>,
    labels: Res<Labels>,
    mut images: ResMut<Assets<Image>>,
    mut picture: Query<&mut ImageNode, With<SourcePicture>>,
    mut pattern: Query<&mut Text, (With<PatternCaption>, Without<AnswerCaption>)>,
    mut answer: Query<&mut Text, (With<AnswerCaption>, Without<PatternCaption>)>,
    mut seen: Local<(u64, u64)>,
) {
    let version = (bench.generation, bench.shown);
    if *seen == version && !labels.is_changed() {
        return;
    }
    let new_picture = *seen != version;
    *seen = version;
    let Some(current) = &bench.current else {
        return;
    };
    if new_picture && let Ok(mut node) = picture.single_mut() {
        node.image = images.add(picture_image(&current.image));
    }
    let classes = bench.classes();
    let name = |c: usize| classes.get(c).map(String::as_str).unwrap_or("?");
    if let Ok(mut caption) = pattern.single_mut() {
        caption.0 = match (&current.origin, current.label) {
            (Origin::Training(_), Some(label)) => format!(
                "{} {} {} {}: {}",
                labels.get("pattern"),
                current.position,
                labels.get("of"),
                bench.experiment.train.len(),
                name(label)
            ),
            _ => labels.get("your_drawing"),
        };
    }
    if let Ok(mut caption) = answer.single_mut() {
        let verdict = |p: usize| match current.label {
            Some(l) if l == p => format!("  ({})", labels.get("right")),
            Some(_) => format!("  ({})", labels.get("wrong")),
            None => String::new(),
        };
        let mut lines = format!(
            "{}: {}{}",
            labels.get("mark1_says"),
            name(current.predicted),
            verdict(current.predicted)
        );
        if let Some((p, _)) = &current.modern {
            lines += &format!("\n{}: {}{}", labels.get("mlp_says"), name(*p), verdict(*p));
        }
        caption.0 = lines;
    }
}

/// Draws a plus on the cells wired to the selected A-unit's excitatory inputs and a minus on
/// its inhibitory ones (shape and colour both tell them apart).
fn mark_wiring_of_selected_unit(
    bench: Res<Bench>,
    selection: Res<Selection>,
    mut marks: Query<(&WireMark, &mut Visibility, &mut BackgroundColor)>,
    added: Query<(), Added<WireMark>>,
    mut seen: Local<Option<(u64, u64, Option<usize>)>>,
) {
    let version = (bench.generation, bench.rewires, selection.a_unit);
    if *seen == Some(version) && added.is_empty() {
        return;
    }
    *seen = Some(version);
    let board = &bench.machine().plugboard;
    let cells = bench.machine().retina.cells();
    let mut sign = vec![0i8; cells];
    if let Some(a) = selection.a_unit.filter(|&a| a < board.a_units) {
        for &c in board.excitatory_cells(a) {
            sign[c as usize] = 1;
        }
        for &c in board.inhibitory_cells(a) {
            sign[c as usize] = -1;
        }
    }
    for (mark, mut visibility, mut color) in &mut marks {
        let s = sign.get(mark.cell).copied().unwrap_or(0);
        let show = match s {
            1 => true,
            -1 => !mark.vertical,
            _ => false,
        };
        visibility.set_if_neq(if show {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        });
        color.set_if_neq(BackgroundColor(if s > 0 { WARM } else { COOL_LIGHT }));
    }
}

/// A touch on a photocell: pause, and start painting (on a dark cell) or erasing (on a lit one).
fn start_stroke(
    press: On<Pointer<Press>>,
    units: Query<&SensoryUnit>,
    mut sketch: ResMut<Sketch>,
    bench: Res<Bench>,
    state: Res<State<RunState>>,
    mut requests: MessageWriter<MachineRequest>,
) {
    let Ok(unit) = units.get(press.entity) else {
        return;
    };
    if *state.get() == RunState::Running {
        requests.write(MachineRequest::Pause);
    }
    let retina = &bench.machine().retina;
    let drawing = bench
        .current
        .as_ref()
        .is_some_and(|c| c.origin == Origin::Visitor);
    if !drawing || sketch.cells.len() != retina.cells() {
        sketch.cells = vec![false; retina.cells()];
        sketch.width = retina.width as usize;
    }
    let ink = !sketch.cells[unit.index];
    sketch.stroke = Some(ink);
    sketch.cells[unit.index] = ink;
    requests.write(MachineRequest::ShowImage(sketch.picture()));
}

fn continue_stroke(
    enter: On<Pointer<DragEnter>>,
    units: Query<&SensoryUnit>,
    mut sketch: ResMut<Sketch>,
    mut requests: MessageWriter<MachineRequest>,
) {
    let (Ok(unit), Some(ink)) = (units.get(enter.entity), sketch.stroke) else {
        return;
    };
    if sketch.cells.get(unit.index) == Some(&!ink) {
        sketch.cells[unit.index] = ink;
        requests.write(MachineRequest::ShowImage(sketch.picture()));
    }
}

fn end_stroke(_release: On<Pointer<Release>>, mut sketch: ResMut<Sketch>) {
    sketch.stroke = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::retina::RetinaConfig;

    #[test]
    fn a_drawing_lights_exactly_the_cells_drawn() {
        let retina = RetinaConfig::default();
        let mut sketch = Sketch {
            cells: vec![false; retina.cells()],
            width: retina.width as usize,
            stroke: None,
        };
        for k in [21, 22, 23, 44, 65, 250, 399] {
            sketch.cells[k] = true;
        }
        let cells = retina.sense(&sketch.picture());
        let lit: Vec<usize> = (0..cells.len()).filter(|&k| cells[k] > 0.0).collect();
        assert_eq!(lit, vec![21, 22, 23, 44, 65, 250, 399]);
    }
}
