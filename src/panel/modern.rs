//! The modern mode beside the machine: the MLP's layers shaded by activation, and a strip of
//! which machine got each recent image right.

use bevy::prelude::*;

use super::{LayoutSpawned, PanelDraw, Slot, slot_entity};
use crate::nn::retina::RetinaConfig;
use crate::sim::{Bench, Companion, OUTCOMES_KEPT};
use crate::ui::palette::*;
use crate::ui::raster::Raster;
use crate::ui::strings::Strings;
use crate::ui::{Labels, UiFonts, instrument_heading, localized_text, text};

#[derive(Component)]
struct NetworkView;

#[derive(Component)]
struct OutcomeStrip;

#[derive(Component)]
struct NetworkCaption;

const NETWORK_SIZE: Vec2 = Vec2::new(240.0, 150.0);
const STRIP_SIZE: Vec2 = Vec2::new(240.0, 34.0);
const SCALE: f32 = 2.0;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, build_modern_view.after(LayoutSpawned))
        .add_systems(Update, (draw_network, draw_outcomes).in_set(PanelDraw));
}

fn build_modern_view(
    mut commands: Commands,
    fonts: Res<UiFonts>,
    slots: Query<(Entity, &Slot)>,
    mut images: ResMut<Assets<Image>>,
) {
    let Some(slot) = slot_entity(&slots, Slot::Modern) else {
        return;
    };
    let blank = |size: Vec2| {
        Raster::new(
            (size.x * SCALE) as u32,
            (size.y * SCALE) as u32,
            rgba(LAMP_OFF),
        )
        .to_image()
    };
    let network = images.add(blank(NETWORK_SIZE));
    let strip = images.add(blank(STRIP_SIZE));
    commands.entity(slot).with_children(|parent| {
        parent.spawn(instrument_heading(&fonts, "heading_modern"));
        parent.spawn((
            NetworkCaption,
            text(&fonts, "", SMALL_SIZE, DIM_TEXT, false),
        ));
        parent.spawn((
            NetworkView,
            ImageNode::new(network),
            Node {
                width: px(NETWORK_SIZE.x * fonts.picture_scale().powi(2)),
                height: px(NETWORK_SIZE.y * fonts.picture_scale().powi(2)),
                ..default()
            },
        ));
        parent.spawn(localized_text(
            &fonts,
            "strip_caption",
            SMALL_SIZE,
            DIM_TEXT,
            false,
        ));
        parent.spawn((
            OutcomeStrip,
            ImageNode::new(strip),
            Node {
                width: px(STRIP_SIZE.x),
                height: px(STRIP_SIZE.y),
                ..default()
            },
        ));
    });
}

/// Draws `values` as a block of square units, `rows` high, shaded by value / the layer's max.
fn draw_layer(
    canvas: &mut Raster,
    values: &[f32],
    left: f32,
    top: f32,
    height: f32,
    unit: f32,
) -> f32 {
    let columns = layer_columns(values.len(), height, unit);
    let used_rows = values.len().div_ceil(columns);
    let top = top + (height - used_rows as f32 * unit) / 2.0;
    let peak = values.iter().fold(1e-6f32, |m, &v| m.max(v.abs()));
    for (k, &v) in values.iter().enumerate() {
        let (c, r) = (k / used_rows, k % used_rows);
        let shade = LAMP_OFF.mix(&LAMP_ON, (v.abs() / peak).clamp(0.0, 1.0));
        canvas.fill_rect(
            left + c as f32 * unit,
            top + r as f32 * unit,
            unit * 0.8,
            unit * 0.8,
            rgba(shade),
        );
    }
    columns as f32 * unit
}

/// How many columns of `unit`-sided squares a layer of `units` takes in `height`.
fn layer_columns(units: usize, height: f32, unit: f32) -> usize {
    let rows = ((height / unit).floor() as usize).max(1);
    units.div_ceil(rows).max(1)
}

/// The largest side of a hidden unit's square, up to `largest`, at which the hidden layers
/// `sizes` fit side by side (each followed by `gap`) in `room`: a wide network's squares
/// shrink rather than push the output bars off the picture.
fn unit_side(sizes: &[usize], height: f32, room: f32, gap: f32, largest: f32) -> f32 {
    let width = |unit: f32| -> f32 {
        let columns = |&n: &usize| layer_columns(n, height, unit) as f32 * unit + gap;
        sizes.iter().map(columns).sum()
    };
    let mut unit = largest;
    while unit > 1.0 && width(unit) > room {
        unit -= 0.25;
    }
    unit
}

/// The network as the panel paints it: the retina's cells (the input the Mark I sees too),
/// each hidden layer's activity, and one bar per class for the output, the chosen one ringed.
fn paint_network(
    retina: &RetinaConfig,
    cells: &[f32],
    layers: &[Vec<f32>],
    predicted: usize,
) -> Raster {
    let mut canvas = Raster::new(
        (NETWORK_SIZE.x * SCALE) as u32,
        (NETWORK_SIZE.y * SCALE) as u32,
        rgba(PANEL),
    );
    let height = canvas.height as f32;
    let pad = 4.0 * SCALE;
    let cell = ((height - 2.0 * pad) / retina.height as f32).min(3.0 * SCALE);
    let input_top = (height - cell * retina.height as f32) / 2.0;
    for (k, &v) in cells.iter().enumerate() {
        let (x, y) = (
            (k % retina.width as usize) as f32,
            (k / retina.width as usize) as f32,
        );
        let shade = LAMP_OFF.mix(&LAMP_ON, v.clamp(0.0, 1.0));
        canvas.fill_rect(
            pad + x * cell,
            input_top + y * cell,
            cell,
            cell,
            rgba(shade),
        );
    }
    let mut left = pad + cell * retina.width as f32 + 10.0 * SCALE;
    let hidden = &layers[..layers.len() - 1];
    let sizes: Vec<usize> = hidden.iter().map(Vec::len).collect();
    let (gap, bars) = (8.0 * SCALE, 30.0 * SCALE);
    let room = canvas.width as f32 - left - pad - bars;
    let unit = unit_side(&sizes, height - 2.0 * pad, room, gap, 6.5 * SCALE);
    for values in hidden {
        left += draw_layer(&mut canvas, values, left, pad, height - 2.0 * pad, unit) + gap;
    }
    let outputs = layers.last().expect("a network has an output layer");
    paint_outputs(&mut canvas, outputs, predicted, left, pad);
    canvas
}

/// One bar per class from `left`, its length the class's probability; the chosen one ringed.
fn paint_outputs(canvas: &mut Raster, outputs: &[f32], predicted: usize, left: f32, pad: f32) {
    let height = canvas.height as f32;
    let classes = outputs.len();
    let pitch = ((height - 2.0 * pad) / classes as f32).min(14.0 * SCALE);
    let top = (height - pitch * classes as f32) / 2.0;
    let bar_room = canvas.width as f32 - left - pad;
    for (c, &p) in outputs.iter().enumerate() {
        let y = top + c as f32 * pitch;
        canvas.fill_rect(left, y, bar_room, pitch * 0.7, rgba(LAMP_OFF));
        canvas.fill_rect(
            left,
            y,
            bar_room * p.clamp(0.0, 1.0),
            pitch * 0.7,
            rgba(WARM),
        );
        if c == predicted {
            canvas.ring(
                left - 4.0 * SCALE,
                y + pitch * 0.35,
                2.5 * SCALE,
                2.5 * SCALE,
                rgba(LAMP_ON),
            );
        }
    }
}

/// The caption: layer sizes and activation, or why the network stopped learning.
fn network_caption(
    retina: &RetinaConfig,
    layers: &[Vec<f32>],
    companion: &Companion,
    labels: &Strings,
) -> String {
    if let Some(reason) = &companion.stopped {
        return labels.fill("mlp_stopped", &[reason]);
    }
    let sizes: Vec<String> = std::iter::once(retina.cells())
        .chain(layers.iter().map(Vec::len))
        .map(|n| n.to_string())
        .collect();
    let activation = companion
        .model()
        .config
        .hidden
        .first()
        .map(|l| format!("{:?}", l.activation))
        .unwrap_or_default();
    labels.fill("mlp_caption", &[&sizes.join("-"), &activation])
}

fn draw_network(
    bench: Res<Bench>,
    view: Query<&ImageNode, With<NetworkView>>,
    mut caption: Query<&mut Text, With<NetworkCaption>>,
    mut images: ResMut<Assets<Image>>,
    mut seen: Local<(u64, u64)>,
    labels: Res<Labels>,
) {
    let version = (bench.generation, bench.shown);
    if *seen == version && !labels.is_changed() {
        return;
    }
    *seen = version;
    let (Some(current), Some(companion)) = (&bench.current, &bench.companion) else {
        return;
    };
    let Some((predicted, layers)) = &current.modern else {
        return;
    };
    let Ok(node) = view.single() else { return };
    let retina = &bench.machine().retina;
    let canvas = paint_network(retina, &current.cells, layers, *predicted);
    if let Some(mut image) = images.get_mut(&node.image) {
        canvas.store(&mut image);
    }
    if let Ok(mut caption) = caption.single_mut() {
        caption.0 = network_caption(retina, layers, companion, &labels);
    }
}

/// One column per recent image: a filled square where a machine was right, a cross where wrong.
fn draw_outcomes(
    bench: Res<Bench>,
    strip: Query<&ImageNode, With<OutcomeStrip>>,
    mut images: ResMut<Assets<Image>>,
    mut seen: Local<(u64, u64)>,
) {
    let version = (bench.generation, bench.shown);
    if *seen == version {
        return;
    }
    *seen = version;
    let Ok(node) = strip.single() else { return };
    let mut canvas = Raster::new(
        (STRIP_SIZE.x * SCALE) as u32,
        (STRIP_SIZE.y * SCALE) as u32,
        rgba(PANEL),
    );
    let pitch = canvas.width as f32 / OUTCOMES_KEPT as f32;
    let row = canvas.height as f32 / 2.0;
    let start = OUTCOMES_KEPT - bench.outcomes.len();
    for (k, outcome) in bench.outcomes.iter().enumerate() {
        let x = (start + k) as f32 * pitch;
        for (r, right) in [Some(outcome.mark1_right), outcome.modern_right]
            .into_iter()
            .enumerate()
        {
            let Some(right) = right else { continue };
            let (cx, cy) = (x + pitch / 2.0, r as f32 * row + row / 2.0);
            let half = (pitch.min(row) * 0.36).max(2.0);
            if right {
                canvas.fill_rect(
                    cx - half,
                    cy - half,
                    2.0 * half,
                    2.0 * half,
                    rgba(COOL_LIGHT),
                );
            } else {
                let w = 1.2 * SCALE;
                canvas.line(
                    Vec2::new(cx - half, cy - half),
                    Vec2::new(cx + half, cy + half),
                    w,
                    rgba(WARM),
                );
                canvas.line(
                    Vec2::new(cx - half, cy + half),
                    Vec2::new(cx + half, cy - half),
                    w,
                    rgba(WARM),
                );
            }
        }
    }
    if let Some(mut image) = images.get_mut(&node.image) {
        canvas.store(&mut image);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_bar_is_as_long_as_its_probability() {
        let retina = RetinaConfig::default();
        let cells = vec![1.0; retina.cells()];
        let layers = vec![vec![0.5; 8], vec![0.25, 0.75]];
        let canvas = paint_network(&retina, &cells, &layers, 1);
        // count the warm pixels along each bar's middle row
        let warm_in_row = |y: u32| {
            (0..canvas.width)
                .filter(|&x| {
                    let at = ((y * canvas.width + x) * 4) as usize;
                    canvas.rgba[at..at + 3] == rgba(WARM)[..3]
                })
                .count() as f32
        };
        let height = canvas.height as f32;
        let pad = 4.0 * SCALE;
        let pitch = ((height - 2.0 * pad) / 2.0).min(14.0 * SCALE);
        let top = (height - pitch * 2.0) / 2.0;
        let row = |c: f32| (top + c * pitch + pitch * 0.35) as u32;
        let (first, second) = (warm_in_row(row(0.0)), warm_in_row(row(1.0)));
        assert!(first > 0.0, "the first class has a bar");
        assert!((second / first - 3.0).abs() < 0.1, "{first} {second}");
    }

    #[test]
    fn a_wide_network_shrinks_its_units_and_keeps_room_for_the_class_bars() {
        // scenes/mlp.ron: 28 x 28 cells, 256 and 128 hidden units, 26 letters
        let retina = RetinaConfig {
            width: 28,
            height: 28,
            ..RetinaConfig::default()
        };
        let cells = vec![0.5; retina.cells()];
        let mut outputs = vec![0.0; 26];
        outputs[3] = 1.0;
        let layers = vec![vec![1.0; 256], vec![1.0; 128], outputs];
        let canvas = paint_network(&retina, &cells, &layers, 3);
        let warm = (0..canvas.width * canvas.height)
            .filter(|&k| canvas.rgba[k as usize * 4..][..3] == rgba(WARM)[..3])
            .count();
        // the certain class's bar is drawn, at least 30 (scaled) pixels long
        assert!(warm as f32 >= 30.0 * SCALE, "{warm} warm pixels");
        let height = canvas.height as f32 - 8.0 * SCALE;
        let unit = unit_side(&[256, 128], height, 100.0, 16.0, 13.0);
        assert!(unit < 13.0 && unit > 1.0, "{unit}");
        let width = |n| layer_columns(n, height, unit) as f32 * unit + 16.0;
        assert!(width(256) + width(128) <= 100.0);
    }
}
