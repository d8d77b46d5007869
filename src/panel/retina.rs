//! The retina board: 20 x 20 photocell lamps, the source picture, wiring marks, and drawing.

use bevy::input::ButtonState;
use bevy::input::mouse::MouseButtonInput;
use bevy::input::touch::{TouchInput, TouchPhase};
use bevy::prelude::*;
use bevy::window::{PrimaryWindow, WindowEvent};

use super::stroke::{Pen, Stroke};
use super::{LayoutSpawned, PanelAction, PanelDraw, Selection, Slot, button, slot_entity};
use crate::data::GrayImage;
use crate::nn::retina::RetinaConfig;
use crate::sim::{Bench, MachineRequest, Origin, RunState, SensoryUnit};
use crate::ui::lamp_bank::LampLight;
use crate::ui::palette::*;
use crate::ui::raster::picture_image;
use crate::ui::{Labels, UiFonts, instrument_heading, localized_text, text};

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

/// The visitor's drawing: which cells are inked, and the stroke in progress.
#[derive(Resource, Default)]
pub struct Sketch {
    pub cells: Vec<bool>,
    pub width: usize,
    stroke: Option<Stroke>,
    /// A press reached the board this frame, as picking saw it (so a press on an overlay
    /// above the retina draws nothing), with the lamp it landed on, if any: a finger between
    /// two lamps draws too. The window's own events then say where it began.
    pressed: Option<BoardPress>,
}

/// A press picking delivered to the retina board: on one of its lamps, or between them.
#[derive(Clone, Copy, Debug, PartialEq)]
struct BoardPress {
    lamp: Option<usize>,
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
        .add_systems(
            Update,
            trace_strokes.before(crate::sim::MachineCycle::Present),
        )
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

fn build_retina_board(mut commands: Commands, fonts: Res<UiFonts>, slots: Query<(Entity, &Slot)>) {
    let Some(slot) = slot_entity(&slots, Slot::Retina) else {
        return;
    };
    commands.entity(slot).with_children(|parent| {
        parent.spawn(instrument_heading(&fonts, "heading_retina"));
        parent
            .spawn((
                RetinaBoard,
                crate::ui::lamp_bank::LampBank::default(),
                Node {
                    width: px(RETINA_BOARD),
                    height: px(RETINA_BOARD),
                    display: Display::Grid,
                    column_gap: px(1),
                    row_gap: px(1),
                    ..default()
                },
            ))
            .observe(note_board_press);
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
        parent.spawn((
            localized_text(&fonts, "hint_draw", SMALL_SIZE, DIM_TEXT, false),
            fonts.desk_only(),
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
        .insert((crate::ui::bank_lamp(None), ChildOf(board)))
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
        });
}

fn light_retina_lamps(mut lamps: Query<(&SensoryUnit, &mut LampLight), Changed<SensoryUnit>>) {
    for (unit, mut light) in &mut lamps {
        light.set_if_neq(LampLight(
            LAMP_OFF.mix(&LAMP_ON, unit.excitation.clamp(0.0, 1.0)),
        ));
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
    let name = |c: usize| bench.class_shown(c, &labels);
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

/// A press on the retina board, on a photocell lamp or in the gap beside one, as picking saw
/// it (it bubbles up from the lamp): the stroke itself is traced from the window's events by
/// [`trace_strokes`].
fn note_board_press(
    press: On<Pointer<Press>>,
    units: Query<&SensoryUnit>,
    mut sketch: ResMut<Sketch>,
) {
    let lamp = units.get(press.original_event_target()).ok();
    sketch.pressed = Some(BoardPress {
        lamp: lamp.map(|unit| unit.index),
    });
}

/// One pointer event from the window, in the order the system sent them (positions logical).
enum PenEvent {
    Down(Pen, Vec2),
    Move(Pen, Vec2),
    Up(Pen),
}

/// The window event as a pen event, following the mouse cursor in `cursor` (a button press
/// carries no position of its own).
fn pen_event(event: &WindowEvent, cursor: &mut Option<Vec2>) -> Option<PenEvent> {
    match event {
        WindowEvent::CursorMoved(moved) => {
            *cursor = Some(moved.position);
            Some(PenEvent::Move(Pen::Mouse, moved.position))
        }
        WindowEvent::MouseButtonInput(MouseButtonInput {
            button: MouseButton::Left,
            state,
            ..
        }) => match state {
            ButtonState::Pressed => cursor.map(|at| PenEvent::Down(Pen::Mouse, at)),
            ButtonState::Released => Some(PenEvent::Up(Pen::Mouse)),
        },
        WindowEvent::TouchInput(TouchInput {
            phase,
            position,
            id,
            ..
        }) => {
            let pen = Pen::Finger(*id);
            Some(match phase {
                TouchPhase::Started => PenEvent::Down(pen, *position),
                TouchPhase::Moved => PenEvent::Move(pen, *position),
                TouchPhase::Ended | TouchPhase::Canceled => PenEvent::Up(pen),
            })
        }
        _ => None,
    }
}

/// Draws on the retina from the window's pointer and touch events in order, so that a stroke
/// is a line through every cell it crosses even when the frame rate is low and the pointer
/// jumps between frames, starting at the point pressed. A press on a dark cell paints, on a
/// lit one erases; the first press pauses the machine.
fn trace_strokes(
    mut events: MessageReader<WindowEvent>,
    mut cursor: Local<Option<Vec2>>,
    mut sketch: ResMut<Sketch>,
    boards: Query<(&ComputedNode, &UiGlobalTransform), With<RetinaBoard>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    bench: Res<Bench>,
    state: Res<State<RunState>>,
    mut requests: MessageWriter<MachineRequest>,
) {
    let retina = &bench.machine().retina;
    let grid = Vec2::new(retina.width as f32, retina.height as f32);
    let scale = windows.single().map_or(1.0, Window::scale_factor);
    let board = boards.single().ok();
    // a logical window position in cell units of the retina grid (off the board: outside it)
    let on_grid = |logical: Vec2| {
        let (node, transform) = board?;
        let unit = node.normalize_point(*transform, logical * scale)?;
        Some((unit + Vec2::splat(0.5)) * grid)
    };
    let mut changed = false;
    for event in events.read() {
        match pen_event(event, &mut cursor) {
            Some(PenEvent::Down(pen, at)) if sketch.stroke.is_none() => {
                let Some(press) = sketch.pressed.take() else {
                    continue;
                };
                if *state.get() == RunState::Running {
                    requests.write(MachineRequest::Pause);
                }
                let drawing = bench
                    .current
                    .as_ref()
                    .is_some_and(|c| c.origin == Origin::Visitor);
                changed |= begin_stroke(&mut sketch, pen, on_grid(at), press, retina, drawing);
            }
            Some(PenEvent::Move(pen, at)) => {
                let width = sketch.width;
                let Sketch { cells, stroke, .. } = &mut *sketch;
                if let (Some(stroke), Some(to)) =
                    (stroke.as_mut().filter(|s| s.pen == pen), on_grid(at))
                {
                    changed |= stroke.extend(to, cells, width);
                }
            }
            Some(PenEvent::Up(pen)) if sketch.stroke.is_some_and(|s| s.pen == pen) => {
                sketch.stroke = None;
            }
            _ => {}
        }
    }
    sketch.pressed = None;
    if changed {
        requests.write(MachineRequest::ShowImage(sketch.picture()));
    }
}

/// Starts a stroke of `pen` at `at` (in cells; None off the board) or else at the centre of
/// the lamp picking saw pressed, on a fresh sketch unless the visitor's drawing is showing.
/// Returns whether a cell changed.
fn begin_stroke(
    sketch: &mut Sketch,
    pen: Pen,
    at: Option<Vec2>,
    press: BoardPress,
    retina: &RetinaConfig,
    drawing: bool,
) -> bool {
    if !drawing || sketch.cells.len() != retina.cells() {
        sketch.cells = vec![false; retina.cells()];
        sketch.width = retina.width as usize;
    }
    let width = sketch.width;
    let lamp_centre = press
        .lamp
        .map(|lamp| Vec2::new((lamp % width) as f32 + 0.5, (lamp / width) as f32 + 0.5));
    sketch.stroke = at
        .and_then(|g| Stroke::begin(pen, g, &mut sketch.cells, width))
        .or_else(|| Stroke::begin(pen, lamp_centre?, &mut sketch.cells, width));
    sketch.stroke.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawing_lights_exactly_the_cells_drawn() {
        let retina = RetinaConfig::default();
        let mut sketch = Sketch {
            cells: vec![false; retina.cells()],
            width: retina.width as usize,
            ..default()
        };
        for k in [21, 22, 23, 44, 65, 250, 399] {
            sketch.cells[k] = true;
        }
        let cells = retina.sense(&sketch.picture());
        let lit: Vec<usize> = (0..cells.len()).filter(|&k| cells[k] > 0.0).collect();
        assert_eq!(lit, vec![21, 22, 23, 44, 65, 250, 399]);
    }
}
