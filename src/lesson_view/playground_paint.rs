//! The playground's pictures as pure functions of its numbers: the decision surface with its
//! points, the network diagram (every unit's own map, links shaded and thickened by weight),
//! and the loss chart; tested without Bevy's renderer.

use bevy::prelude::*;

use crate::chart::{Axis, Chart, Ink, Mark};
use crate::data::plane::{Feature, PlaneSet, VIEW, grid_points};
use crate::nn::loss::Loss;
use crate::nn::mlp::Network;
use crate::playground::{EpochRecord, Maps, Playground, curve_points};
use crate::ui::chart::{RASTER_SCALE, field_color, render_chart};
use crate::ui::palette::*;
use crate::ui::raster::Raster;

/// The decision surface's plotting area, in layout pixels.
pub const SURFACE: Vec2 = Vec2::new(300.0, 300.0);
/// The network diagram, in layout pixels.
pub const DIAGRAM: Vec2 = Vec2::new(500.0, 320.0);
/// The loss chart's plotting area, in layout pixels.
pub const LOSS_PLOT: Vec2 = Vec2::new(300.0, 110.0);
/// Samples across the surface and each unit's map, for a network small enough.
pub const MAP_SIDE: usize = 100;
/// The fewest samples across: a big network's maps are coarser, never blocky.
const LEAST_MAP_SIDE: usize = 40;
/// Work one repaint's forward pass may take, in multiply-adds (an activation other than
/// ReLU counted as ten): about 5 ms on one of these cores.
const MAP_WORK: usize = 12_000_000;

/// Samples across the maps for `network`: the full 100 x 100 while the forward pass over
/// them fits [`MAP_WORK`], fewer for big networks, so the page stays live.
pub fn map_side_for(network: &Network) -> usize {
    let per_point: usize = network
        .layers
        .iter()
        .map(|l| {
            let activation = if l.activation == crate::nn::activation::Activation::Relu {
                1
            } else {
                10
            };
            l.inputs * l.outputs + activation * l.outputs
        })
        .sum();
    let side = ((MAP_WORK / per_point.max(1)) as f64).sqrt() as usize;
    side.clamp(LEAST_MAP_SIDE, MAP_SIDE)
}
/// The largest tile a unit's map gets in the diagram, in layout pixels.
const MOST_TILE: f32 = 44.0;

/// A value in -1..1 as the maps shade it: cool below 0, warm above, dark at 0 (the chart's
/// field shading, so the output tile and the surface read the same).
fn diverging(v: f32) -> [u8; 4] {
    let v = if v.is_finite() { v } else { 0.0 };
    field_color((v + 1.0) / 2.0)
}

/// The probability of the first class (the warm one) at each grid point, row 0 at the top.
pub fn first_class_probability(maps: &Maps) -> Vec<f32> {
    maps.output.iter().map(|p| 1.0 - p).collect()
}

/// The surface as a chart: the first class's probability shaded, the training points (and
/// the test points, when shown) as discs for the first class and crosses for the second.
pub fn surface_chart(playground: &Playground, maps: &Maps, test_points: bool) -> Chart {
    let field = Mark::Field {
        label: String::new(),
        columns: maps.side,
        rows: maps.side,
        values: first_class_probability(maps),
    };
    points_over(playground, field, test_points)
}

/// A shaded `field` over the plane with the training points (and the test points, when
/// shown) on it.
fn points_over(playground: &Playground, field: Mark, test_points: bool) -> Chart {
    let mut marks = vec![field];
    let classes = playground.config.data.arrangement.classes();
    let mut sets = vec![&playground.train];
    if test_points {
        sets.push(&playground.test);
    }
    for (class, ink) in [(0u16, Ink::Warm), (1, Ink::Cool)] {
        let points = sets
            .iter()
            .flat_map(|set| points_of_class(set, class))
            .collect();
        marks.push(Mark::Points {
            label: classes[class as usize].into(),
            ink,
            points,
        });
    }
    Chart {
        title: String::new(),
        x: Axis::linear("x₁", -VIEW as f64, VIEW as f64),
        y: Axis::linear("x₂", -VIEW as f64, VIEW as f64),
        marks,
    }
}

fn points_of_class(set: &PlaneSet, class: u16) -> impl Iterator<Item = [f64; 2]> + '_ {
    set.points
        .iter()
        .zip(&set.labels)
        .filter(move |(_, l)| **l == class)
        .map(|(p, _)| [p[0] as f64, p[1] as f64])
}

/// A curve's chart: its points (the test points too, when shown), the true curve dashed, and
/// the network's fit over it.
pub fn curve_chart(playground: &Playground, maps: &Maps, test_points: bool) -> Chart {
    let xs = curve_points(maps.side);
    let along = |value: &dyn Fn(usize, f32) -> f32| -> Vec<[f64; 2]> {
        xs.iter()
            .enumerate()
            .map(|(k, p)| [p[0] as f64, value(k, p[0]) as f64])
            .collect()
    };
    let arrangement = playground.config.data.arrangement;
    let mut sets = vec![&playground.train];
    if test_points {
        sets.push(&playground.test);
    }
    Chart {
        title: String::new(),
        x: Axis::linear("x₁", -VIEW as f64, VIEW as f64),
        y: Axis::linear("y", -VIEW as f64, VIEW as f64),
        marks: vec![
            Mark::Points {
                label: "points".into(),
                ink: Ink::Warm,
                points: sets
                    .iter()
                    .flat_map(|set| points_of_class(set, 0))
                    .collect(),
            },
            Mark::Line {
                label: "the curve".into(),
                ink: Ink::Reference,
                dashed: true,
                points: along(&|_, x| arrangement.curve(x)),
            },
            Mark::Line {
                label: "the network's fit".into(),
                ink: Ink::Cool,
                dashed: false,
                points: along(&|k, _| maps.output[k]),
            },
        ],
    }
}

/// The surface painted (or for a curve, its fit): the chart, then a pale ring round each test
/// point so that held-out points read apart from the training ones.
pub fn paint_surface(playground: &Playground, maps: &Maps, test_points: bool) -> Raster {
    let chart = if playground.is_curve() {
        curve_chart(playground, maps, test_points)
    } else {
        surface_chart(playground, maps, test_points)
    };
    let mut canvas = render_chart(&chart, SURFACE);
    if test_points {
        ring_test_points(&mut canvas, playground);
    }
    canvas
}

/// The Mark I's decision surface in the network's place: its class at each point of a
/// `side`-square grid (top row first) shaded as the network's first-class probability would
/// be, 1 or 0, with the same points over it.
pub fn paint_mark1_surface(
    playground: &Playground,
    classes: &[u16],
    side: usize,
    test_points: bool,
) -> Raster {
    let field = Mark::Field {
        label: String::new(),
        columns: side,
        rows: side,
        values: classes
            .iter()
            .map(|&c| if c == 0 { 1.0 } else { 0.0 })
            .collect(),
    };
    let chart = points_over(playground, field, test_points);
    let mut canvas = render_chart(&chart, SURFACE);
    if test_points {
        ring_test_points(&mut canvas, playground);
    }
    canvas
}

fn ring_test_points(canvas: &mut Raster, playground: &Playground) {
    let ring = rgba(ENGRAVING);
    for p in &playground.test.points {
        let at = to_surface_pixel(*p, canvas.width as f32);
        canvas.ring(at.x, at.y, 10.0 * RASTER_SCALE, 1.0 * RASTER_SCALE, ring);
    }
}

/// A point of the plane on a square canvas `side` raster pixels across.
fn to_surface_pixel(p: [f32; 2], side: f32) -> Vec2 {
    let fraction = |v: f32| (v + VIEW) / (2.0 * VIEW);
    Vec2::new(fraction(p[0]) * side, (1.0 - fraction(p[1])) * side)
}

/// Where the diagram puts each column's tiles (inputs, each hidden layer, the output), in
/// layout pixels: the columns evenly spread, each column's tiles stacked and centred.
pub fn diagram_tiles(units_per_column: &[usize], size: Vec2) -> Vec<Vec<Rect>> {
    let most = units_per_column.iter().copied().max().unwrap_or(1).max(1) as f32;
    let columns = units_per_column.len().max(1);
    let gap = 3.0;
    let spacing = size.x / columns as f32;
    let tile = ((size.y - gap * (most - 1.0)) / most)
        .min(MOST_TILE)
        .min(spacing * 0.5);
    units_per_column
        .iter()
        .enumerate()
        .map(|(c, &units)| {
            let centre_x = spacing * (c as f32 + 0.5);
            let height = units as f32 * tile + (units.saturating_sub(1)) as f32 * gap;
            let top = (size.y - height) / 2.0;
            (0..units)
                .map(|u| {
                    let y = top + u as f32 * (tile + gap);
                    Rect::new(centre_x - tile / 2.0, y, centre_x + tile / 2.0, y + tile)
                })
                .collect()
        })
        .collect()
}

/// The centre of each column of the diagram, in layout pixels from its left edge.
pub fn column_centres(columns: usize, width: f32) -> Vec<f32> {
    let spacing = width / columns.max(1) as f32;
    (0..columns).map(|c| spacing * (c as f32 + 0.5)).collect()
}

/// Units shown in each column: one per input feature, per hidden unit, and one output tile.
pub fn units_per_column(network: &Network) -> Vec<usize> {
    let mut columns = vec![network.input_size()];
    columns.extend(
        network.layers[..network.layers.len() - 1]
            .iter()
            .map(|l| l.outputs),
    );
    columns.push(1);
    columns
}

/// How strongly each unit of a layer pushes each unit of the next: `weights[i][j]` from
/// unit i to unit j; into the output, its push toward the first (warm) class.
fn link_weights(network: &Network, layer: usize) -> Vec<Vec<f32>> {
    let dense = &network.layers[layer];
    let last = layer + 1 == network.layers.len();
    (0..dense.inputs)
        .map(|i| {
            let w = |j: usize| dense.weights[i * dense.outputs + j];
            match (last, network.loss) {
                (false, _) => (0..dense.outputs).map(w).collect(),
                (true, Loss::SigmoidBinaryCrossEntropy) => vec![-w(0)],
                (true, Loss::SoftmaxCrossEntropy) => vec![w(0) - w(1)],
                // a curve's output is its value: a link pushes it up or down
                (true, Loss::MeanSquaredError) => vec![w(0)],
            }
        })
        .collect()
}

/// The network: links first (warm positive, cool negative, thicker and brighter the
/// stronger), then each input's map, each hidden unit's map shaded by its output over the
/// plane (warm above 0, cool below, scaled to its layer's strongest), and the output's.
pub fn paint_diagram(playground: &Playground, maps: &Maps) -> Raster {
    let network = &playground.network;
    let tiles = diagram_tiles(&units_per_column(network), DIAGRAM);
    let mut canvas = Raster::new(
        (DIAGRAM.x * RASTER_SCALE) as u32,
        (DIAGRAM.y * RASTER_SCALE) as u32,
        rgba(PANEL),
    );
    for layer in 0..network.layers.len() {
        paint_links(
            &mut canvas,
            &tiles[layer],
            &tiles[layer + 1],
            &link_weights(network, layer),
        );
    }
    let curve = playground.is_curve();
    let inputs = feature_maps(&playground.config.features, maps.side, curve);
    paint_column(&mut canvas, &tiles[0], &inputs, maps.side, curve);
    for (k, layer) in maps.hidden.iter().enumerate() {
        paint_column(&mut canvas, &tiles[k + 1], layer, maps.side, curve);
    }
    let output_tile = tiles[tiles.len() - 1][0];
    if curve {
        paint_curve_tile(&mut canvas, output_tile, &maps.output, VIEW);
    } else {
        let output: Vec<f32> = first_class_probability(maps)
            .iter()
            .map(|p| 2.0 * p - 1.0)
            .collect();
        paint_tile(&mut canvas, output_tile, &output, maps.side, 1.0);
    }
    canvas
}

/// The most links drawn between two columns: past it (two layers of 32 units have 1,024)
/// only the strongest are drawn, as a wiring diagram of the ones that matter.
const MOST_LINKS: usize = 96;

/// Links from each tile of one column to each of the next, the weakest first so that the
/// strong ones lie on top.
fn paint_links(canvas: &mut Raster, from: &[Rect], to: &[Rect], weights: &[Vec<f32>]) {
    let strongest =
        weights.iter().flatten().fold(
            1e-6f32,
            |m, w| if w.is_finite() { m.max(w.abs()) } else { m },
        );
    let mut links: Vec<(f32, usize, usize)> = (0..from.len())
        .flat_map(|i| (0..to.len()).map(move |j| (i, j)))
        .map(|(i, j)| {
            let w = weights[i][j];
            let strength = if w.is_finite() {
                w.abs() / strongest
            } else {
                0.0
            };
            (strength, i, j)
        })
        .collect();
    links.sort_by(|a, b| a.0.total_cmp(&b.0));
    let drawn = links.len().saturating_sub(MOST_LINKS);
    for &(strength, i, j) in &links[drawn..] {
        let ink = if weights[i][j] >= 0.0 { WARM } else { COOL };
        let color = rgba(ink.with_alpha(0.15 + 0.85 * strength));
        let start = Vec2::new(from[i].max.x, from[i].center().y) * RASTER_SCALE;
        let end = Vec2::new(to[j].min.x, to[j].center().y) * RASTER_SCALE;
        canvas.band_line(start, end, (0.5 + 3.0 * strength) * RASTER_SCALE, color);
    }
}

/// One column's maps, shaded (or for a curve, plotted) against the column's strongest value.
fn paint_column(canvas: &mut Raster, tiles: &[Rect], maps: &[Vec<f32>], side: usize, curve: bool) {
    let peak = maps.iter().flatten().fold(
        1e-6f32,
        |m, v| if v.is_finite() { m.max(v.abs()) } else { m },
    );
    for (tile, map) in tiles.iter().zip(maps) {
        if curve {
            paint_curve_tile(canvas, *tile, map, peak);
        } else {
            paint_tile(canvas, *tile, map, side, peak);
        }
    }
}

/// A unit's output along x1 as a small plot in its tile: `peak` at the top, `-peak` at the
/// bottom, the line warm above 0 and cool below, over a dim zero line.
fn paint_curve_tile(canvas: &mut Raster, tile: Rect, values: &[f32], peak: f32) {
    let scale = RASTER_SCALE;
    canvas.fill_rect(
        tile.min.x * scale - 1.0,
        tile.min.y * scale - 1.0,
        tile.width() * scale + 2.0,
        tile.height() * scale + 2.0,
        rgba(LAMP_RIM),
    );
    canvas.fill_rect(
        tile.min.x * scale,
        tile.min.y * scale,
        tile.width() * scale,
        tile.height() * scale,
        rgba(LAMP_OFF),
    );
    let middle = tile.center().y * scale;
    let half = tile.height() * scale * 0.45;
    canvas.line(
        Vec2::new(tile.min.x * scale, middle),
        Vec2::new(tile.max.x * scale, middle),
        1.0,
        rgba(PANEL_EDGE),
    );
    let at = |k: usize, v: f32| {
        let fraction = (k as f32 + 0.5) / values.len().max(1) as f32;
        let v = if v.is_finite() {
            (v / peak).clamp(-1.0, 1.0)
        } else {
            0.0
        };
        Vec2::new(
            tile.min.x * scale + fraction * tile.width() * scale,
            middle - v * half,
        )
    };
    let width = (tile.width() * scale / 30.0).clamp(1.0, 3.0);
    for k in 1..values.len() {
        let ink = if values[k] >= 0.0 { WARM } else { COOL };
        canvas.band_line(at(k - 1, values[k - 1]), at(k, values[k]), width, rgba(ink));
    }
}

/// A map of `side` x `side` values (row 0 at the top) into a tile, `value / peak` shaded.
fn paint_tile(canvas: &mut Raster, tile: Rect, map: &[f32], side: usize, peak: f32) {
    let rim = rgba(LAMP_RIM);
    let (x0, y0) = (tile.min.x * RASTER_SCALE, tile.min.y * RASTER_SCALE);
    let pixels = (tile.width() * RASTER_SCALE).round().max(1.0) as usize;
    canvas.fill_rect(
        x0 - 1.0,
        y0 - 1.0,
        pixels as f32 + 2.0,
        pixels as f32 + 2.0,
        rim,
    );
    let (left, top) = (x0.round() as usize, y0.round() as usize);
    let width = canvas.width as usize;
    for py in 0..pixels.min(canvas.height as usize - top.min(canvas.height as usize)) {
        let row = py * side / pixels;
        let start = ((top + py) * width + left) * 4;
        let span = pixels.min(width.saturating_sub(left));
        for (px, pixel) in canvas.rgba[start..start + span * 4]
            .chunks_exact_mut(4)
            .enumerate()
        {
            let column = px * side / pixels;
            pixel.copy_from_slice(&diverging(map[row * side + column] / peak));
        }
    }
}

/// Each input feature over the grid (for a curve, along x1), as a map.
fn feature_maps(features: &[Feature], side: usize, curve: bool) -> Vec<Vec<f32>> {
    let points = if curve {
        curve_points(side)
    } else {
        grid_points(side)
    };
    features
        .iter()
        .map(|f| points.iter().map(|&p| f.of(p)).collect())
        .collect()
}

/// The next round number (1, 2 or 5 times a power of ten) at or above `value`.
fn round_up(value: f64) -> f64 {
    if !(value.is_finite() && value > 0.0) {
        return 1.0;
    }
    let decade = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&v| v >= value * (1.0 - 1e-9))
        .unwrap_or(10.0 * decade)
}

/// At most this many points per loss line: a long run is sampled evenly.
const MOST_LINE_POINTS: usize = 400;

/// Train and test loss against epochs; the axes grow in round steps, so the labels seldom move.
pub fn loss_chart(history: &[EpochRecord]) -> Chart {
    let last_epoch = history.last().map_or(0, |r| r.epoch);
    let most_loss = history
        .iter()
        .flat_map(|r| [r.train_loss, r.test_loss])
        .filter(|l| l.is_finite())
        .fold(0.0f64, f64::max);
    let step = history.len().div_ceil(MOST_LINE_POINTS).max(1);
    let line = |value: fn(&EpochRecord) -> f64| -> Vec<[f64; 2]> {
        history
            .iter()
            .step_by(step)
            .chain(history.last())
            .map(|r| [r.epoch as f64, value(r)])
            .collect()
    };
    Chart {
        title: String::new(),
        x: Axis::linear("epoch", 0.0, round_up((last_epoch as f64).max(10.0))),
        y: Axis::linear("loss", 0.0, round_up(most_loss.max(0.1))),
        marks: vec![
            Mark::Line {
                label: "train loss".into(),
                ink: Ink::Warm,
                dashed: false,
                points: line(|r| r.train_loss),
            },
            Mark::Line {
                label: "test loss".into(),
                ink: Ink::Cool,
                dashed: true,
                points: line(|r| r.test_loss),
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::PlaygroundConfig;

    fn pixel(canvas: &Raster, at: Vec2) -> [u8; 3] {
        let (x, y) = (at.x as u32, at.y as u32);
        let k = ((y * canvas.width + x) * 4) as usize;
        canvas.rgba[k..k + 3].try_into().unwrap()
    }

    fn is_warm(c: [u8; 3]) -> bool {
        c[0] > c[2].saturating_add(40)
    }

    fn is_cool(c: [u8; 3]) -> bool {
        c[2] > c[0].saturating_add(40)
    }

    #[test]
    fn the_tiles_stay_inside_the_diagram_and_apart() {
        for columns in [
            vec![2, 8, 8, 1],
            vec![7, 32, 32, 32, 32, 32, 32, 1],
            vec![1, 1],
        ] {
            let tiles = diagram_tiles(&columns, DIAGRAM);
            for column in &tiles {
                for pair in column.windows(2) {
                    assert!(pair[0].max.y < pair[1].min.y, "{columns:?}");
                }
                for t in column {
                    assert!(t.min.x >= 0.0 && t.min.y >= 0.0, "{columns:?}");
                    assert!(t.max.x <= DIAGRAM.x && t.max.y <= DIAGRAM.y, "{columns:?}");
                    assert!(t.width() > 5.0, "{columns:?}: {t:?}");
                }
            }
            let centres = column_centres(columns.len(), DIAGRAM.x);
            for (column, x) in tiles.iter().zip(centres) {
                assert!((column[0].center().x - x).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn a_trained_surface_is_warm_over_the_first_class_and_cool_over_the_second() {
        let mut playground = Playground::new(
            PlaygroundConfig {
                data: crate::data::plane::PlaneData {
                    arrangement: crate::data::plane::Arrangement::Gaussians,
                    ..Default::default()
                },
                ..PlaygroundConfig::default()
            },
            3,
        )
        .unwrap();
        for _ in 0..20 {
            playground.run_epoch().unwrap();
        }
        let maps = playground.maps(MAP_SIDE);
        let canvas = paint_surface(&playground, &maps, false);
        // the first class's cloud is up and right of the origin, the second's down and left
        let side = canvas.width as f32;
        let upper_right = to_surface_pixel([4.5, 5.5], side);
        let lower_left = to_surface_pixel([-4.5, -5.5], side);
        assert!(
            is_warm(pixel(&canvas, upper_right)),
            "{:?}",
            pixel(&canvas, upper_right)
        );
        assert!(
            is_cool(pixel(&canvas, lower_left)),
            "{:?}",
            pixel(&canvas, lower_left)
        );
    }

    #[test]
    fn the_diagram_shades_each_input_map_by_its_feature() {
        let playground = Playground::new(PlaygroundConfig::default(), 3).unwrap();
        let maps = playground.maps(MAP_SIDE);
        let canvas = paint_diagram(&playground, &maps);
        let tiles = diagram_tiles(&units_per_column(&playground.network), DIAGRAM);
        // x1's tile: cool on its left (x1 < 0), warm on its right; x2's: warm at its top
        let (x1, x2) = (tiles[0][0], tiles[0][1]);
        let inset = |r: Rect, fx: f32, fy: f32| {
            Vec2::new(r.min.x + fx * r.width(), r.min.y + fy * r.height()) * RASTER_SCALE
        };
        assert!(is_cool(pixel(&canvas, inset(x1, 0.1, 0.5))));
        assert!(is_warm(pixel(&canvas, inset(x1, 0.9, 0.5))));
        assert!(is_warm(pixel(&canvas, inset(x2, 0.5, 0.1))));
        assert!(is_cool(pixel(&canvas, inset(x2, 0.5, 0.9))));
    }

    #[test]
    fn the_strongest_link_is_drawn_thickest() {
        let mut playground = Playground::new(
            PlaygroundConfig {
                hidden: vec![crate::nn::mlp::LayerConfig {
                    units: 1,
                    activation: crate::nn::activation::Activation::Tanh,
                }],
                ..PlaygroundConfig::default()
            },
            3,
        )
        .unwrap();
        // x1 -> the hidden unit strong and positive, x2 -> it weak and negative
        playground.network.layers[0].weights = vec![2.0, -0.2];
        let maps = playground.maps(MAP_SIDE);
        let canvas = paint_diagram(&playground, &maps);
        let tiles = diagram_tiles(&units_per_column(&playground.network), DIAGRAM);
        let thickness = |from: Rect, to: Rect, warm: bool| {
            let a = Vec2::new(from.max.x, from.center().y);
            let b = Vec2::new(to.min.x, to.center().y);
            let mid = (a + b) / 2.0 * RASTER_SCALE;
            (-12..=12)
                .filter(|dy| {
                    let c = pixel(&canvas, mid + Vec2::new(0.0, *dy as f32));
                    if warm { is_warm(c) } else { c[2] > c[0] + 20 }
                })
                .count()
        };
        let strong = thickness(tiles[0][0], tiles[1][0], true);
        let weak = thickness(tiles[0][1], tiles[1][0], false);
        assert!(strong > weak && weak > 0, "strong {strong}, weak {weak}");
    }

    #[test]
    fn a_curves_picture_is_its_points_the_curve_and_the_networks_fit() {
        let setup =
            PlaygroundConfig::default().with_arrangement(crate::data::plane::Arrangement::Abs);
        let mut playground = Playground::new(setup, 3).unwrap();
        for _ in 0..200 {
            playground.run_epoch().unwrap();
        }
        let maps = playground.maps(MAP_SIDE);
        let chart = curve_chart(&playground, &maps, false);
        let [
            Mark::Points { points, .. },
            Mark::Line { points: curve, .. },
            Mark::Line { points: fit, .. },
        ] = &chart.marks[..]
        else {
            panic!("{:?}", chart.marks.len())
        };
        assert_eq!(points.len(), playground.train.len());
        // x = -6 + 0.06: |x| - 3 = 2.94, and the fit beside it
        assert!((curve[0][1] - 2.94).abs() < 1e-4, "{:?}", curve[0]);
        assert_eq!(fit[0][1], maps.output[0] as f64);
        let canvas = paint_surface(&playground, &maps, false);
        // the fit's cool line crosses the middle column near y = |0| - 3 = -3
        let column = canvas.width / 2;
        let cool_rows: Vec<u32> = (0..canvas.height)
            .filter(|&y| is_cool(pixel(&canvas, Vec2::new(column as f32, y as f32))))
            .collect();
        let middle = cool_rows.iter().sum::<u32>() as f32 / cool_rows.len().max(1) as f32;
        let expected = (1.0 - (-3.0 + VIEW) / (2.0 * VIEW)) * canvas.height as f32;
        assert!((middle - expected).abs() < 12.0, "{middle} vs {expected}");
    }

    #[test]
    fn the_loss_axes_grow_in_round_steps() {
        assert_eq!(
            [0.07, 0.1, 0.11, 0.3, 0.7, 3.0, 140.0].map(round_up),
            [0.1, 0.1, 0.2, 0.5, 1.0, 5.0, 200.0]
        );
        let record = |epoch, loss| EpochRecord {
            epoch,
            train_loss: loss,
            test_loss: loss * 1.5,
            train_accuracy: Some(0.5),
            test_accuracy: Some(0.5),
        };
        let history: Vec<EpochRecord> = (1..=1234).map(|e| record(e, 0.69 / e as f64)).collect();
        let chart = loss_chart(&history);
        assert_eq!((chart.x.max, chart.y.max), (2000.0, 2.0));
        let Mark::Line { points, .. } = &chart.marks[0] else {
            panic!()
        };
        assert!(points.len() <= MOST_LINE_POINTS + 1);
        assert_eq!(points.last(), Some(&[1234.0, 0.69 / 1234.0]));
    }
}
