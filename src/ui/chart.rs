//! The one chart renderer: a [`Chart`] (what to draw, in data coordinates) painted into a
//! [`Raster`]: grid, shaded field, bars, lines and points, each clipped to the plotting area.
//! The lesson pages and the panel's live plots both draw through it; pure, so tested without
//! Bevy's renderer.

use bevy::prelude::*;

use super::palette::*;
use super::raster::Raster;
use crate::chart::{Chart, Ink, Mark};

/// Raster pixels per layout pixel, so that lines stay crisp when the window is scaled up.
pub const RASTER_SCALE: f32 = 2.0;

pub fn ink_color(ink: Ink) -> Color {
    match ink {
        Ink::Warm => WARM,
        Ink::Cool => COOL_LIGHT.mix(&COOL, 0.5),
        Ink::Light => COOL_LIGHT,
        Ink::Reference => ENGRAVING,
    }
}

/// The legend's sample of a mark: its line style or point shape, in its colour.
pub fn legend_key(mark: &Mark) -> (String, Color) {
    match mark {
        Mark::Line { ink, dashed, .. } => {
            (if *dashed { "╍╍" } else { "━━" }.into(), ink_color(*ink))
        }
        Mark::Points { ink, .. } => (point_glyph(*ink).into(), ink_color(*ink)),
        Mark::Bars { ink, .. } => ("▮".into(), ink_color(*ink)),
        Mark::Field { .. } => ("▦".into(), WARM.mix(&COOL, 0.5)),
    }
}

fn point_glyph(ink: Ink) -> &'static str {
    match ink {
        Ink::Warm | Ink::Reference => "●",
        Ink::Cool => "✕",
        Ink::Light => "○",
    }
}

/// Data coordinates to raster pixels for a chart drawn `width` x `height`.
struct Frame<'a> {
    chart: &'a Chart,
    width: f32,
    height: f32,
}

impl Frame<'_> {
    fn to_pixel(&self, p: [f64; 2]) -> Vec2 {
        Vec2::new(
            self.chart.x.fraction(p[0]) as f32 * self.width,
            (1.0 - self.chart.y.fraction(p[1]) as f32) * self.height,
        )
    }
}

/// Draws a chart's plotting area (`plot` layout pixels) into a canvas: grid, field, bars,
/// lines and points, each clipped to the area.
pub fn render_chart(chart: &Chart, plot: Vec2) -> Raster {
    let (width, height) = (plot.x * RASTER_SCALE, plot.y * RASTER_SCALE);
    let mut canvas = Raster::new(width as u32, height as u32, rgba(LAMP_OFF));
    let frame = Frame {
        chart,
        width,
        height,
    };
    draw_grid(&mut canvas, &frame);
    let has_field = chart.marks.iter().any(|m| matches!(m, Mark::Field { .. }));
    for mark in &chart.marks {
        match mark {
            Mark::Field {
                columns,
                rows,
                values,
                ..
            } => draw_field(&mut canvas, *columns, *rows, values),
            Mark::Bars {
                ink,
                bars,
                width,
                outline,
                ..
            } => draw_bars(&mut canvas, &frame, *ink, bars, *width, *outline),
            Mark::Line {
                ink,
                dashed,
                points,
                ..
            } => draw_line(&mut canvas, &frame, *ink, *dashed, points),
            Mark::Points { ink, points, .. } => {
                for &p in points {
                    let at = frame.to_pixel(p);
                    if at.is_finite()
                        && at.x >= 0.0
                        && at.y >= 0.0
                        && at.x <= width
                        && at.y <= height
                    {
                        draw_point(&mut canvas, at, *ink, has_field);
                    }
                }
            }
        }
    }
    canvas
}

/// A grid line at every tick of both axes.
fn draw_grid(canvas: &mut Raster, frame: &Frame) {
    let (chart, width, height) = (frame.chart, frame.width, frame.height);
    let grid = rgba(PANEL_EDGE);
    for tick in chart.x.ticks(6) {
        let x = chart.x.fraction(tick) as f32 * width;
        canvas.line(Vec2::new(x, 0.0), Vec2::new(x, height), 1.0, grid);
    }
    for tick in chart.y.ticks(5) {
        let y = (1.0 - chart.y.fraction(tick) as f32) * height;
        canvas.line(Vec2::new(0.0, y), Vec2::new(width, y), 1.0, grid);
    }
}

/// Bars rising from the bottom, `bar_width` wide in data units; outlined ones show only their
/// top and sides, so that a filled bar beside them stays the one to read.
fn draw_bars(
    canvas: &mut Raster,
    frame: &Frame,
    ink: Ink,
    bars: &[[f64; 2]],
    bar_width: f64,
    outline: bool,
) {
    let color = rgba(ink_color(ink));
    for bar in bars {
        if !bar[1].is_finite() || frame.chart.y.fraction(bar[1]) <= 0.0 {
            continue;
        }
        let left = frame.to_pixel([bar[0] - bar_width / 2.0, bar[1]]);
        let right = frame.to_pixel([bar[0] + bar_width / 2.0, bar[1]]);
        let top = left.y.clamp(0.0, frame.height);
        let (x, w, h) = (left.x, right.x - left.x, frame.height - top);
        if outline {
            let edge = 1.5 * RASTER_SCALE;
            canvas.fill_rect(x, top, w, edge, color);
            canvas.fill_rect(x, top, edge, h, color);
            canvas.fill_rect(x + w - edge, top, edge, h, color);
        } else {
            canvas.fill_rect(x, top, w, h, color);
        }
    }
}

/// A polyline through `points`, clipped to the area; the visible pieces are joined into runs
/// so that dashes flow along the curve.
fn draw_line(canvas: &mut Raster, frame: &Frame, ink: Ink, dashed: bool, points: &[[f64; 2]]) {
    let (line_width, color) = match ink {
        Ink::Reference => (2.0 * RASTER_SCALE, rgba(ENGRAVING.with_alpha(0.8))),
        _ => (2.5 * RASTER_SCALE, rgba(ink_color(ink))),
    };
    let dash = dashed.then_some(7.0 * RASTER_SCALE);
    let mut run: Vec<Vec2> = Vec::new();
    for pair in points.windows(2) {
        let (a, b) = (frame.to_pixel(pair[0]), frame.to_pixel(pair[1]));
        let Some((a, b)) = clip_segment(a, b, frame.width, frame.height) else {
            continue;
        };
        if run.last().is_some_and(|last| last.distance(a) < 0.01) {
            run.push(b);
        } else {
            canvas.polyline(&run, line_width, color, dash);
            run = vec![a, b];
        }
    }
    canvas.polyline(&run, line_width, color, dash);
}

/// Shades the whole area from the cool ink (0) through the dark panel (1/2) to the warm
/// ink (1): a probability map whose undecided middle is dark.
/// Shades of the field, from the cool ink (0) through the dark socket (0.5) to the warm (1).
const FIELD_SHADES: usize = 256;

/// How a field shades `v` in 0..1 (a value outside is clamped; NaN shows as undecided, 0.5).
pub fn field_color(v: f32) -> [u8; 4] {
    static SHADES: std::sync::OnceLock<Vec<[u8; 4]>> = std::sync::OnceLock::new();
    let shades = SHADES.get_or_init(|| {
        (0..FIELD_SHADES)
            .map(|k| {
                let v = k as f32 / (FIELD_SHADES - 1) as f32;
                rgba(if v < 0.5 {
                    LAMP_OFF.mix(&COOL, 1.0 - 2.0 * v)
                } else {
                    LAMP_OFF.mix(&WARM, 2.0 * v - 1.0)
                })
            })
            .collect()
    });
    let v = if v.is_nan() { 0.5 } else { v.clamp(0.0, 1.0) };
    shades[(v * (FIELD_SHADES - 1) as f32).round() as usize]
}

fn draw_field(canvas: &mut Raster, columns: usize, rows: usize, values: &[f32]) {
    if columns == 0 || rows == 0 || values.len() < columns * rows {
        return;
    }
    let (cell_w, cell_h) = (
        canvas.width as f32 / columns as f32,
        canvas.height as f32 / rows as f32,
    );
    for row in 0..rows {
        for column in 0..columns {
            let color = field_color(values[row * columns + column]);
            canvas.fill_rect(
                column as f32 * cell_w,
                row as f32 * cell_h,
                cell_w + 0.5,
                cell_h + 0.5,
                color,
            );
        }
    }
}

/// A point in its ink's shape; over a shaded field, with a dark halo so it stands out.
/// A point's mark: its dark halo (over a field) then its shape in its ink, stamped from masks
/// drawn once per shape, so hundreds of points cost little more than copying them.
fn draw_point(canvas: &mut Raster, at: Vec2, ink: Ink, halo: bool) {
    let stamp = point_stamp(ink, halo);
    let color = rgba(ink_color(ink));
    let dark = rgba(BACKGROUND);
    let left = (at.x - stamp.centre).round() as i32;
    let top = (at.y - stamp.centre).round() as i32;
    for y in 0..stamp.side {
        for x in 0..stamp.side {
            let k = y * stamp.side + x;
            let (px, py) = (left + x as i32, top + y as i32);
            if stamp.halo[k] > 0 {
                canvas.blend(px, py, dark, stamp.halo[k] as f32 / 255.0);
            }
            if stamp.shape[k] > 0 {
                canvas.blend(px, py, color, stamp.shape[k] as f32 / 255.0);
            }
        }
    }
}

/// The coverage (0..255) of a point's halo and of its shape over a square of `side` pixels,
/// the point at (`centre`, `centre`).
struct PointStamp {
    side: usize,
    centre: f32,
    halo: Vec<u8>,
    shape: Vec<u8>,
}

fn point_stamp(ink: Ink, halo: bool) -> &'static PointStamp {
    const INKS: [Ink; 4] = [Ink::Warm, Ink::Cool, Ink::Light, Ink::Reference];
    static STAMPS: std::sync::OnceLock<Vec<PointStamp>> = std::sync::OnceLock::new();
    let stamps = STAMPS.get_or_init(|| {
        INKS.iter()
            .flat_map(|&ink| [false, true].map(|halo| make_stamp(ink, halo)))
            .collect()
    });
    let at = INKS.iter().position(|&i| i == ink).unwrap_or(0);
    &stamps[at * 2 + halo as usize]
}

fn make_stamp(ink: Ink, halo: bool) -> PointStamp {
    let side = (2.0 * (7.0 + 4.0) * RASTER_SCALE) as usize;
    let centre = side as f32 / 2.0;
    let mask = |part: PointPart| {
        let mut canvas = Raster::new(side as u32, side as u32, [0, 0, 0, 255]);
        point_shape(&mut canvas, Vec2::splat(centre), ink, halo, part);
        canvas.rgba.chunks_exact(4).map(|p| p[0]).collect()
    };
    PointStamp {
        side,
        centre,
        halo: mask(PointPart::Halo),
        shape: mask(PointPart::Shape),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum PointPart {
    Halo,
    Shape,
}

/// Draws in white one part of a point's mark: disc, cross or ring, and the halo round it.
fn point_shape(canvas: &mut Raster, at: Vec2, ink: Ink, halo: bool, part: PointPart) {
    let r = if halo { 7.0 } else { 3.5 } * RASTER_SCALE;
    let white = [255; 4];
    let halo = halo && part == PointPart::Halo;
    let shape = part == PointPart::Shape;
    match ink {
        Ink::Cool => {
            let arm = Vec2::splat(r * 0.8);
            let flip = Vec2::new(arm.x, -arm.y);
            if halo {
                canvas.line(at - arm, at + arm, 0.9 * r, white);
                canvas.line(at - flip, at + flip, 0.9 * r, white);
            }
            if shape {
                canvas.line(at - arm, at + arm, 0.45 * r, white);
                canvas.line(at - flip, at + flip, 0.45 * r, white);
            }
        }
        Ink::Light => {
            if halo {
                canvas.ring(at.x, at.y, r + 2.0 * RASTER_SCALE, 0.8 * r, white);
            }
            if shape {
                canvas.ring(at.x, at.y, r, 0.4 * r, white);
            }
        }
        Ink::Warm | Ink::Reference => {
            if halo {
                canvas.disc(at.x, at.y, r + 2.0 * RASTER_SCALE, white);
            }
            if shape {
                canvas.disc(at.x, at.y, r, white);
            }
        }
    }
}

fn clip_segment(a: Vec2, b: Vec2, width: f32, height: f32) -> Option<(Vec2, Vec2)> {
    if !a.is_finite() || !b.is_finite() {
        return None;
    }
    let d = b - a;
    let (mut t0, mut t1) = (0.0f32, 1.0f32);
    for (p, q) in [
        (-d.x, a.x),
        (d.x, width - a.x),
        (-d.y, a.y),
        (d.y, height - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then(|| (a + d * t0, a + d * t1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Axis;
    use crate::lessons::{DescentLesson, Lesson, XorLesson};

    fn pixel(canvas: &Raster, x: u32, y: u32) -> [u8; 4] {
        let at = ((y * canvas.width + x) * 4) as usize;
        canvas.rgba[at..at + 4].try_into().unwrap()
    }

    fn close(a: [u8; 4], b: [u8; 4]) -> bool {
        a.iter().zip(&b).take(3).all(|(x, y)| x.abs_diff(*y) <= 24)
    }

    #[test]
    fn clipping_keeps_the_visible_part_and_drops_the_rest() {
        let (a, b) = clip_segment(Vec2::new(-10.0, 5.0), Vec2::new(30.0, 5.0), 20.0, 10.0)
            .expect("crosses the area");
        assert_eq!((a, b), (Vec2::new(0.0, 5.0), Vec2::new(20.0, 5.0)));
        assert!(clip_segment(Vec2::new(-5.0, -5.0), Vec2::new(-1.0, 30.0), 20.0, 10.0).is_none());
        let far = clip_segment(Vec2::new(10.0, 5.0), Vec2::new(1e30, 4e30), 20.0, 10.0)
            .expect("starts inside");
        assert!(
            far.1.x <= 20.0 && far.1.y <= 10.0 && far.1.x >= 10.0,
            "{far:?}"
        );
    }

    #[test]
    fn a_line_lands_where_its_data_say() {
        let chart = Chart {
            title: "t".into(),
            x: Axis::linear("x", 0.0, 10.0),
            y: Axis::linear("y", 0.0, 10.0),
            marks: vec![Mark::Line {
                label: "flat".into(),
                ink: Ink::Warm,
                dashed: false,
                points: vec![[0.0, 2.5], [10.0, 2.5]],
            }],
        };
        let canvas = render_chart(&chart, Vec2::new(100.0, 100.0));
        // y = 2.5 of 10 is three quarters of the way down: row 150 of 200.
        assert!(close(pixel(&canvas, 37, 150), rgba(WARM)));
        assert!(!close(pixel(&canvas, 37, 120), rgba(WARM)));
    }

    #[test]
    fn the_xor_field_shows_the_hidden_layer_solving_it_and_one_layer_not() {
        let report = Lesson::Xor(XorLesson::default()).run(1);
        assert_eq!(report.charts.len(), 2);
        let plot = Vec2::new(200.0, 200.0);
        let (single, mlp) = (
            render_chart(&report.charts[0], plot),
            render_chart(&report.charts[1], plot),
        );
        // Sample the shading in empty places (away from the drawn corners): beside the
        // class-1 corner (0, 1) and beyond the class-0 corner (1, 1). The view spans -0.5..1.5.
        let at = |x: f64, y: f64| {
            UVec2::new(
                ((x + 0.5) / 2.0 * 400.0) as u32,
                ((1.5 - y) / 2.0 * 400.0) as u32,
            )
        };
        let near_01 = at(-0.2, 0.8);
        let near_11 = at(1.2, 1.2);
        let warmish = |c: [u8; 4]| c[0] as i32 - c[2] as i32 > 40;
        let coolish = |c: [u8; 4]| c[2] as i32 - c[0] as i32 > 40;
        assert!(warmish(pixel(&mlp, near_01.x, near_01.y)));
        assert!(coolish(pixel(&mlp, near_11.x, near_11.y)));
        // One layer cannot tell them apart: both places shaded alike.
        let (a, b) = (
            pixel(&single, near_01.x, near_01.y),
            pixel(&single, near_11.x, near_11.y),
        );
        assert!(!(warmish(a) && coolish(b)), "{a:?} {b:?}");
    }

    #[test]
    fn a_diverging_run_leaves_through_the_edge_of_the_chart() {
        let report = Lesson::GradientDescent(DescentLesson::default()).run(1);
        // Theta against the step: the third run (gamma 0.2) jumps from -2.2 to +3.5 at its
        // second step and off the top of the chart, drawn clipped in the light ink.
        let chart = &report.charts[1];
        let canvas = render_chart(chart, Vec2::new(300.0, 200.0));
        let light = rgba(COOL_LIGHT);
        let at_top_left = (0..6)
            .flat_map(|y| (0..60).map(move |x| (x, y)))
            .filter(|&(x, y)| close(pixel(&canvas, x, y), light))
            .count();
        assert!(at_top_left > 0);
    }
}
