//! Live plots: train and test accuracy per epoch for both machines, and errors per epoch.

use bevy::prelude::*;

use super::{LayoutSpawned, PanelDraw, Slot, slot_entity};
use crate::nn::metrics::EpochRecord;
use crate::sim::Bench;
use crate::ui::palette::*;
use crate::ui::raster::Raster;
use crate::ui::{UiFonts, heading, localized_text, text};

#[derive(Component)]
struct AccuracyPlot;

#[derive(Component)]
struct ErrorPlot;

/// The latest figures, in words.
#[derive(Component)]
struct Readout;

const ACCURACY_SIZE: Vec2 = Vec2::new(300.0, 132.0);
const ERRORS_SIZE: Vec2 = Vec2::new(176.0, 132.0);
const SCALE: f32 = 2.0;
const MARGIN: f32 = 8.0;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, build_plots.after(LayoutSpawned))
        .add_systems(Update, draw_plots.in_set(PanelDraw));
}

fn canvas(size: Vec2) -> Raster {
    Raster::new(
        (size.x * SCALE) as u32,
        (size.y * SCALE) as u32,
        rgba(LAMP_OFF),
    )
}

fn build_plots(
    mut commands: Commands,
    fonts: Res<UiFonts>,
    slots: Query<(Entity, &Slot)>,
    mut images: ResMut<Assets<Image>>,
) {
    let Some(slot) = slot_entity(&slots, Slot::Plots) else {
        return;
    };
    let accuracy = images.add(canvas(ACCURACY_SIZE).to_image());
    let errors = images.add(canvas(ERRORS_SIZE).to_image());
    commands.entity(slot).with_children(|parent| {
        parent.spawn(heading(&fonts, "heading_plots"));
        parent
            .spawn(Node {
                column_gap: px(8),
                ..default()
            })
            .with_children(|row| {
                row.spawn((
                    AccuracyPlot,
                    ImageNode::new(accuracy),
                    Node {
                        width: px(ACCURACY_SIZE.x),
                        height: px(ACCURACY_SIZE.y),
                        ..default()
                    },
                ));
                row.spawn((
                    ErrorPlot,
                    ImageNode::new(errors),
                    Node {
                        width: px(ERRORS_SIZE.x),
                        height: px(ERRORS_SIZE.y),
                        ..default()
                    },
                ));
            });
        parent
            .spawn(Node {
                column_gap: px(14),
                ..default()
            })
            .with_children(|row| {
                row.spawn(text(
                    &fonts,
                    "\u{2501} Mark I train",
                    SMALL_SIZE,
                    COOL_LIGHT,
                    true,
                ));
                row.spawn(text(
                    &fonts,
                    "\u{254D} Mark I test",
                    SMALL_SIZE,
                    COOL_LIGHT,
                    false,
                ));
                row.spawn(text(&fonts, "\u{2501} MLP train", SMALL_SIZE, WARM, true));
                row.spawn(text(&fonts, "\u{254D} MLP test", SMALL_SIZE, WARM, false));
            });
        parent.spawn((
            Readout,
            localized_text(&fonts, "no_epoch", SMALL_SIZE, ENGRAVING, false),
        ));
    });
}

/// Most points drawn per series: a long run is averaged into this many, so that drawing costs
/// the same after a million epochs as after three hundred.
const MOST_POINTS: usize = 300;
/// Epoch markers (discs) are drawn while there are at most this many epochs.
const MARKED_EPOCHS: usize = 60;

/// Points of one series in a plot area: epoch k at x, value v (0..1) at y; runs of epochs
/// longer than `MOST_POINTS` are averaged in equal buckets.
fn series(values: &[f64], area: Rect, epochs: usize) -> Vec<Vec2> {
    let at = |k: f32, v: f64| {
        let x = if epochs <= 1 {
            area.min.x
        } else {
            area.min.x + area.width() * k / (epochs - 1) as f32
        };
        Vec2::new(x, area.max.y - area.height() * v.clamp(0.0, 1.0) as f32)
    };
    if values.len() <= MOST_POINTS {
        return values
            .iter()
            .enumerate()
            .map(|(k, &v)| at(k as f32, v))
            .collect();
    }
    (0..MOST_POINTS)
        .map(|b| {
            let (start, end) = (
                b * values.len() / MOST_POINTS,
                (b + 1) * values.len() / MOST_POINTS,
            );
            let bucket = &values[start..end];
            let mean = bucket.iter().sum::<f64>() / bucket.len() as f64;
            at((start + end - 1) as f32 / 2.0, mean)
        })
        .collect()
}

fn draw_accuracy(canvas: &mut Raster, mark1: &[EpochRecord], modern: &[EpochRecord]) {
    canvas.clear(rgba(LAMP_OFF));
    let m = MARGIN * SCALE;
    let area = Rect::new(m, m, canvas.width as f32 - m, canvas.height as f32 - m);
    for k in 0..=4 {
        let y = area.max.y - area.height() * k as f32 / 4.0;
        canvas.line(
            Vec2::new(area.min.x, y),
            Vec2::new(area.max.x, y),
            1.0,
            rgba(LAMP_RIM),
        );
    }
    let epochs = mark1.len().max(modern.len()).max(2);
    let width = 2.0 * SCALE;
    let plot = |canvas: &mut Raster, records: &[EpochRecord], color: Color| {
        let train: Vec<f64> = records.iter().map(|r| r.train_accuracy).collect();
        let test: Vec<f64> = records.iter().filter_map(|r| r.test_accuracy).collect();
        let train = series(&train, area, epochs);
        canvas.polyline(&train, width, rgba(color), None);
        canvas.polyline(
            &series(&test, area, epochs),
            width,
            rgba(color),
            Some(5.0 * SCALE),
        );
        if records.len() <= MARKED_EPOCHS {
            for p in &train {
                canvas.disc(p.x, p.y, 2.5 * SCALE, rgba(color));
            }
        }
    };
    plot(canvas, modern, WARM);
    plot(canvas, mark1, COOL_LIGHT);
}

fn draw_errors(canvas: &mut Raster, mark1: &[EpochRecord], modern: &[EpochRecord]) {
    canvas.clear(rgba(LAMP_OFF));
    let m = MARGIN * SCALE;
    let area = Rect::new(m, m, canvas.width as f32 - m, canvas.height as f32 - m);
    let most = mark1
        .iter()
        .chain(modern)
        .map(|r| r.errors)
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    // every epoch so far, at least twelve slots wide; a long run shows each slot's worst epoch
    // (at least three pixels a slot, so that every bar stays visible)
    let slots = mark1.len().clamp(12, (area.width() / 3.0) as usize);
    let slot = area.width() / slots as f32;
    let worst = |records: &[EpochRecord], k: usize| {
        let (start, end) = (
            k * records.len().max(slots) / slots,
            (k + 1) * records.len().max(slots) / slots,
        );
        records
            .get(start..end.min(records.len()))
            .and_then(|bucket| bucket.iter().map(|r| r.errors).max())
    };
    for k in 0..slots {
        let Some(errors) = worst(mark1, k) else {
            continue;
        };
        let x = area.min.x + k as f32 * slot;
        let h = area.height() * errors as f32 / most;
        // the Mark I's bar is solid; the MLP's beside it is an outline
        canvas.fill_rect(
            x + slot * 0.08,
            area.max.y - h,
            slot * 0.4,
            h,
            rgba(COOL_LIGHT),
        );
        if let Some(other) = worst(modern, k) {
            let h = area.height() * other as f32 / most;
            let x = x + slot * 0.52;
            let w = slot * 0.4;
            let top = area.max.y - h;
            let edge = rgba(WARM);
            canvas.fill_rect(x, top, w, 1.5 * SCALE, edge);
            canvas.fill_rect(x, top, 1.5 * SCALE, h, edge);
            canvas.fill_rect(x + w - 1.5 * SCALE, top, 1.5 * SCALE, h, edge);
        }
    }
    canvas.line(
        Vec2::new(area.min.x, area.max.y),
        Vec2::new(area.max.x, area.max.y),
        1.0,
        rgba(LAMP_RIM),
    );
}

fn draw_plots(
    bench: Res<Bench>,
    accuracy: Query<&ImageNode, (With<AccuracyPlot>, Without<ErrorPlot>)>,
    errors: Query<&ImageNode, (With<ErrorPlot>, Without<AccuracyPlot>)>,
    mut readout: Query<&mut Text, With<Readout>>,
    mut images: ResMut<Assets<Image>>,
    mut seen: Local<Option<(u64, usize)>>,
    time: Res<Time<Real>>,
    mut drawn_at: Local<f32>,
) {
    let version = (bench.generation, bench.experiment.history.len());
    if *seen == Some(version)
        || !super::due(&time, &mut drawn_at, seen.map(|s| s.0) != Some(version.0))
    {
        return;
    }
    *seen = Some(version);
    let mark1 = &bench.experiment.history;
    let modern: &[EpochRecord] = bench.companion.as_ref().map_or(&[], |c| &c.history);
    if let Ok(node) = accuracy.single()
        && let Some(mut image) = images.get_mut(&node.image)
    {
        let mut canvas = canvas(ACCURACY_SIZE);
        draw_accuracy(&mut canvas, mark1, modern);
        canvas.store(&mut image);
    }
    if let Ok(node) = errors.single()
        && let Some(mut image) = images.get_mut(&node.image)
    {
        let mut canvas = canvas(ERRORS_SIZE);
        draw_errors(&mut canvas, mark1, modern);
        canvas.store(&mut image);
    }
    if let Ok(mut readout) = readout.single_mut() {
        let figures = |r: Option<&EpochRecord>| match r {
            Some(r) => format!(
                "train {:.1}%{}, {} errors",
                100.0 * r.train_accuracy,
                r.test_accuracy
                    .map(|t| format!(", test {:.1}%", 100.0 * t))
                    .unwrap_or_default(),
                r.errors
            ),
            None => "no epoch yet".into(),
        };
        readout.0 = match mark1.last() {
            None => "No epoch finished yet.".into(),
            Some(last) => format!(
                "Epoch {}. Mark I: {}.\nMLP: {}.",
                last.epoch,
                figures(Some(last)),
                figures(modern.last())
            ),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_one_is_at_the_top_and_zero_at_the_bottom() {
        let area = Rect::new(10.0, 10.0, 110.0, 60.0);
        let points = series(&[0.0, 1.0], area, 2);
        assert_eq!(points, vec![Vec2::new(10.0, 60.0), Vec2::new(110.0, 10.0)]);
    }

    #[test]
    fn a_long_run_is_averaged_into_a_bounded_number_of_points() {
        let area = Rect::new(0.0, 0.0, 100.0, 100.0);
        // A million epochs: the first half at 0.2, the second at 0.8.
        let values: Vec<f64> = (0..1_000_000)
            .map(|k| if k < 500_000 { 0.2 } else { 0.8 })
            .collect();
        let points = series(&values, area, values.len());
        assert_eq!(points.len(), MOST_POINTS);
        assert!((points[0].y - 80.0).abs() < 1e-3 && (points[299].y - 20.0).abs() < 1e-3);
        assert!(
            points[0].x < 0.2 && points[299].x > 99.8,
            "{:?}",
            (points[0], points[299])
        );
        assert!(points.windows(2).all(|p| p[1].x > p[0].x));
    }

    #[test]
    fn the_error_bars_of_a_long_run_show_each_slots_worst_epoch() {
        let record = |errors: u64| EpochRecord {
            epoch: 0,
            errors,
            corrections: None,
            train_accuracy: 0.5,
            test_accuracy: None,
            seconds: 0.0,
            loss: None,
            test_loss: None,
            gradient_norms: Vec::new(),
        };
        // 3,000 epochs with no errors except one epoch of 40 in the last tenth.
        let mut mark1: Vec<EpochRecord> = (0..3000).map(|_| record(0)).collect();
        mark1[2950].errors = 40;
        let mut canvas = canvas(ERRORS_SIZE);
        draw_errors(&mut canvas, &mark1, &[]);
        let lit = |x0: u32, x1: u32| {
            (x0..x1)
                .flat_map(|x| (0..canvas.height).map(move |y| (x, y)))
                .filter(|&(x, y)| {
                    let at = ((y * canvas.width + x) * 4) as usize;
                    canvas.rgba[at..at + 3] == rgba(COOL_LIGHT)[..3]
                })
                .count()
        };
        let w = canvas.width;
        assert!(lit(w * 9 / 10, w) > 100);
        assert_eq!(lit(0, w * 8 / 10), 0);
    }
}
