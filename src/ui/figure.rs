//! Figures for a report, painted without the window: a chart framed with its title, tick
//! labels, axis names and legend, and a confusion matrix with its counts, as PNG bytes.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use anyhow::{Context, Result};
use bevy::prelude::{Mix, Vec2};

use super::chart::{ink_color, render_chart};
use super::fonts::SANS;
use super::palette::{BACKGROUND, COOL, DIM_TEXT, ENGRAVING, LAMP_OFF, WARM, rgba};
use super::raster::Raster;
use crate::chart::{Chart, Mark, tick_label};
use crate::nn::metrics::Confusion;

/// Room around the plotting area for the title, the tick labels and the legend, in pixels.
const LEFT: u32 = 96;
const TOP: u32 = 64;
const RIGHT: u32 = 32;
const BOTTOM: u32 = 120;
/// Type sizes, in pixels.
const TITLE: f32 = 28.0;
const LABEL: f32 = 20.0;

/// `chart` drawn on a `plot`-sized area (layout pixels, drawn at the panel's raster scale),
/// with its title above, tick labels and axis names beside it and its legend below.
pub fn chart_figure(chart: &Chart, plot: Vec2) -> Raster {
    let area = render_chart(chart, plot);
    let mut figure = Raster::new(
        area.width + LEFT + RIGHT,
        area.height + TOP + BOTTOM,
        rgba(BACKGROUND),
    );
    paste(&mut figure, &area, LEFT, TOP);
    let ink = rgba(ENGRAVING);
    let dim = rgba(DIM_TEXT);
    write(
        &mut figure,
        &chart.title,
        LEFT as f32,
        16.0,
        TITLE,
        ink,
        Align::Left,
    );
    let (width, height) = (area.width as f32, area.height as f32);
    let bottom = (TOP + area.height) as f32;
    for value in chart.x.ticks(6) {
        let x = LEFT as f32 + chart.x.fraction(value) as f32 * width;
        let label = tick_label(value, &chart.x);
        write(
            &mut figure,
            &label,
            x,
            bottom + 8.0,
            LABEL,
            dim,
            Align::Centre,
        );
    }
    for value in chart.y.ticks(5) {
        let y = TOP as f32 + (1.0 - chart.y.fraction(value) as f32) * height;
        let label = tick_label(value, &chart.y);
        write(
            &mut figure,
            &label,
            LEFT as f32 - 10.0,
            y - LABEL / 2.0,
            LABEL,
            dim,
            Align::Right,
        );
    }
    let centre = LEFT as f32 + width / 2.0;
    write(
        &mut figure,
        &chart.x.label,
        centre,
        bottom + 36.0,
        LABEL,
        ink,
        Align::Centre,
    );
    write(
        &mut figure,
        &chart.y.label,
        8.0,
        TOP as f32 - 28.0,
        LABEL,
        ink,
        Align::Left,
    );
    draw_legend(&mut figure, chart, bottom + 76.0);
    figure
}

/// One key per labelled mark, left to right: a swatch in the mark's colour, then its label.
fn draw_legend(figure: &mut Raster, chart: &Chart, y: f32) {
    let mut x = LEFT as f32;
    for mark in &chart.marks {
        let label = mark.label();
        if label.is_empty() {
            continue;
        }
        let colour = match mark {
            Mark::Field { .. } => rgba(WARM.mix(&COOL, 0.5)),
            Mark::Line { ink, .. } | Mark::Points { ink, .. } | Mark::Bars { ink, .. } => {
                rgba(ink_color(*ink))
            }
        };
        figure.fill_rect(x, y + 6.0, 24.0, 10.0, colour);
        x += 32.0;
        x = write(figure, label, x, y, LABEL, rgba(ENGRAVING), Align::Left) + 28.0;
    }
}

/// The confusion matrix as a table: a row per true class, a column per answer, each cell its
/// count, shaded by its share of the row (the diagonal warm, mistakes cool).
pub fn confusion_figure(confusion: &Confusion, classes: &[String], caption: &str) -> Raster {
    let n = confusion.classes.max(1);
    let cell = (560 / n as u32).clamp(28, 72);
    let name_width = 200;
    let (left, top) = (name_width + 16, 110);
    let mut figure = Raster::new(
        left + cell * n as u32 + 32,
        top + cell * n as u32 + 40,
        rgba(BACKGROUND),
    );
    let ink = rgba(ENGRAVING);
    write(&mut figure, caption, 16.0, 16.0, TITLE, ink, Align::Left);
    let size = (cell as f32 * 0.4).min(LABEL);
    write(
        &mut figure,
        "true class \\ answered",
        16.0,
        60.0,
        LABEL,
        rgba(DIM_TEXT),
        Align::Left,
    );
    for (row, counts) in confusion.rows().iter().enumerate() {
        let total = counts.iter().sum::<u64>().max(1) as f32;
        let y = (top + cell * row as u32) as f32;
        let name = classes.get(row).map_or("", String::as_str);
        write(
            &mut figure,
            name,
            name_width as f32,
            y + cell as f32 / 2.0 - size / 2.0,
            size,
            ink,
            Align::Right,
        );
        for (column, &count) in counts.iter().enumerate() {
            let x = (left + cell * column as u32) as f32;
            let share = count as f32 / total;
            let base = if row == column { WARM } else { COOL };
            let shade = rgba(LAMP_OFF.mix(&base, share.sqrt()));
            figure.fill_rect(
                x + 1.0,
                y + 1.0,
                cell as f32 - 2.0,
                cell as f32 - 2.0,
                shade,
            );
            let centre = (x + cell as f32 / 2.0, y + cell as f32 / 2.0 - size / 2.0);
            write(
                &mut figure,
                &count.to_string(),
                centre.0,
                centre.1,
                size,
                ink,
                Align::Centre,
            );
        }
    }
    for (column, name) in classes.iter().enumerate().take(n) {
        let x = (left + cell * column as u32) as f32 + cell as f32 / 2.0;
        let short: String = name.chars().take((cell / 9) as usize).collect();
        write(
            &mut figure,
            &short,
            x,
            top as f32 - size - 8.0,
            size,
            rgba(DIM_TEXT),
            Align::Centre,
        );
    }
    figure
}

/// The picture as PNG bytes.
pub fn png_bytes(raster: &Raster) -> Result<Vec<u8>> {
    let picture = image::RgbaImage::from_raw(raster.width, raster.height, raster.rgba.clone())
        .context("figure size")?;
    crate::data::folder::encode_png(picture.into())
}

/// Copies `part` into `figure` with its top-left corner at (x, y).
fn paste(figure: &mut Raster, part: &Raster, x: u32, y: u32) {
    for row in 0..part.height.min(figure.height.saturating_sub(y)) {
        let width = part.width.min(figure.width.saturating_sub(x)) as usize * 4;
        let from = (row * part.width) as usize * 4;
        let to = ((y + row) * figure.width + x) as usize * 4;
        figure.rgba[to..to + width].copy_from_slice(&part.rgba[from..from + width]);
    }
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Centre,
    Right,
}

/// Writes `words` at `size` pixels with the top of the line at `y`, placed at `x` as `align`
/// says; returns where the text ends on the right.
fn write(
    figure: &mut Raster,
    words: &str,
    x: f32,
    y: f32,
    size: f32,
    colour: [u8; 4],
    align: Align,
) -> f32 {
    let font = FontRef::try_from_slice(SANS).expect("the bundled font parses");
    let scaled = font.as_scaled(PxScale::from(size));
    let advance: f32 = words
        .chars()
        .map(|c| scaled.h_advance(font.glyph_id(c)))
        .sum();
    let start = match align {
        Align::Left => x,
        Align::Centre => x - advance / 2.0,
        Align::Right => x - advance,
    };
    let mut caret = start;
    for c in words.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(size, point(caret, y + scaled.ascent()));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let (px, py) = (
                    bounds.min.x as i32 + gx as i32,
                    bounds.min.y as i32 + gy as i32,
                );
                figure.blend(px, py, colour, coverage);
            });
        }
        caret += scaled.h_advance(id);
    }
    start + advance
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{Axis, Ink};

    #[test]
    fn a_figure_holds_its_plot_and_its_words() {
        let chart = Chart {
            title: "Accuracy per epoch".into(),
            x: Axis::linear("epoch", 0.0, 10.0),
            y: Axis::linear("accuracy", 0.0, 1.0),
            marks: vec![Mark::Line {
                label: "Mark I".into(),
                ink: Ink::Warm,
                dashed: false,
                points: vec![[0.0, 0.1], [10.0, 0.9]],
            }],
        };
        let figure = chart_figure(&chart, Vec2::new(300.0, 150.0));
        assert_eq!(figure.width, 600 + LEFT + RIGHT);
        assert_eq!(figure.height, 300 + TOP + BOTTOM);
        let pixel = |x: u32, y: u32| {
            let at = ((y * figure.width + x) * 4) as usize;
            [figure.rgba[at], figure.rgba[at + 1], figure.rgba[at + 2]]
        };
        let lit = |x0: u32, y0: u32, x1: u32, y1: u32| {
            (y0..y1)
                .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                .filter(|&(x, y)| pixel(x, y) != [22, 24, 26])
                .count()
        };
        // the title's letters above the plot, tick labels left of it, the legend below
        assert!(lit(LEFT, 10, LEFT + 300, TOP - 8) > 400);
        assert!(lit(0, TOP, LEFT - 4, TOP + 300) > 100);
        assert!(lit(LEFT, TOP + 370, LEFT + 200, TOP + 410) > 200);
        // the plotting area itself, pasted where it belongs: the warm line crosses its middle
        let warm = rgba(WARM);
        let middle = (TOP..TOP + 300)
            .filter(|&y| {
                let p = pixel(LEFT + 300, y);
                p.iter().zip(&warm).all(|(a, b)| a.abs_diff(*b) < 40)
            })
            .count();
        assert!(middle > 0);
    }

    #[test]
    fn a_confusion_figure_has_a_cell_per_pair_of_classes() {
        let mut confusion = Confusion::new(3);
        for (truth, answer, times) in [(0, 0, 9), (0, 1, 1), (1, 1, 5), (2, 0, 4)] {
            for _ in 0..times {
                confusion.add(truth, answer);
            }
        }
        let classes: Vec<String> = ["ant", "bee", "cat"].map(String::from).to_vec();
        let figure = confusion_figure(&confusion, &classes, "Mark I, test images");
        let png = png_bytes(&figure).unwrap();
        let back = image::load_from_memory(&png).unwrap().to_rgba8();
        assert_eq!((back.width(), back.height()), (figure.width, figure.height));
        // the diagonal's full cell (9 of 10) is warmer than the empty cell beside it
        let cell = (560 / 3u32).clamp(28, 72);
        let (left, top) = (216, 110);
        let at =
            |row: u32, column: u32| *back.get_pixel(left + cell * column + 4, top + cell * row + 4);
        assert!(
            at(0, 0).0[0] > at(0, 2).0[0] + 60,
            "{:?} {:?}",
            at(0, 0),
            at(0, 2)
        );
    }
}
