//! Live plots: train and test accuracy per epoch for both machines, and errors per epoch.

use bevy::prelude::*;

use super::{LayoutSpawned, PanelDraw, Slot, slot_entity};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::nn::metrics::EpochRecord;
use crate::sim::Bench;
use crate::ui::chart::{RASTER_SCALE, render_chart};
use crate::ui::palette::*;
use crate::ui::raster::Raster;
use crate::ui::strings::Strings;
use crate::ui::{Labels, UiFonts, instrument_heading, localized_text};

#[derive(Component)]
struct AccuracyPlot;

#[derive(Component)]
struct ErrorPlot;

/// The latest figures, in words.
#[derive(Component)]
struct Readout;

pub(super) const ACCURACY_SIZE: Vec2 = Vec2::new(300.0, 132.0);
pub(super) const ERRORS_SIZE: Vec2 = Vec2::new(176.0, 132.0);
/// Slots in the errors plot at most: three raster pixels each, so that every bar shows.
const ERROR_SLOTS: usize = (ERRORS_SIZE.x * RASTER_SCALE / 3.0) as usize;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, build_plots.after(LayoutSpawned))
        .add_systems(Update, draw_plots.in_set(PanelDraw));
}

/// An empty plot, `size` layout pixels, before the first epoch.
fn canvas(size: Vec2) -> Raster {
    Raster::new(
        (size.x * RASTER_SCALE) as u32,
        (size.y * RASTER_SCALE) as u32,
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
        parent.spawn(instrument_heading(&fonts, "heading_plots"));
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
                        height: px(ACCURACY_SIZE.y * fonts.picture_scale()),
                        ..default()
                    },
                ));
                row.spawn((
                    ErrorPlot,
                    ImageNode::new(errors),
                    Node {
                        width: px(ERRORS_SIZE.x),
                        height: px(ERRORS_SIZE.y * fonts.picture_scale()),
                        ..default()
                    },
                ));
            });
        parent
            .spawn(Node {
                column_gap: px(14),
                flex_wrap: FlexWrap::Wrap,
                ..default()
            })
            .with_children(|row| {
                for (key, ink, bold) in [
                    ("legend_mark1_train", COOL_LIGHT, true),
                    ("legend_mark1_test", COOL_LIGHT, false),
                    ("legend_mlp_train", WARM, true),
                    ("legend_mlp_test", WARM, false),
                ] {
                    row.spawn((
                        localized_text(&fonts, key, SMALL_SIZE, ink, bold),
                        TextLayout::no_wrap(),
                    ));
                }
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
/// Epoch markers are drawn while there are at most this many epochs.
const MARKED_EPOCHS: usize = 60;
/// Room around the plotted values, as a share of each axis, so that a line at 100% or at
/// the last epoch is not drawn on the frame.
const ROOM: f64 = 0.06;

/// Points of one series: epoch k (from 0) at x, its value at y; runs of epochs longer than
/// `MOST_POINTS` are averaged in equal buckets.
fn series(values: &[f64]) -> Vec<[f64; 2]> {
    if values.len() <= MOST_POINTS {
        return values
            .iter()
            .enumerate()
            .map(|(k, &v)| [k as f64, v])
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
            [(start + end - 1) as f64 / 2.0, mean]
        })
        .collect()
}

/// An axis over `0..=high` with a little room either side.
fn roomy(label: &str, high: f64) -> Axis {
    Axis::linear(label, -ROOM * high, (1.0 + ROOM) * high)
}

/// Train (solid, marked at each epoch while there are few) and test (dashed) accuracy of
/// both machines: the Mark I in light cyan rings, the MLP in orange discs.
pub(super) fn accuracy_chart(
    mark1: &[EpochRecord],
    modern: &[EpochRecord],
    words: &Strings,
) -> Chart {
    let epochs = mark1.len().max(modern.len()).max(2);
    let mut marks = Vec::new();
    for (records, ink, name) in [(modern, Ink::Warm, "MLP"), (mark1, Ink::Light, "Mark I")] {
        let train = series(&records.iter().map(|r| r.train_accuracy).collect::<Vec<_>>());
        let test: Vec<f64> = records.iter().filter_map(|r| r.test_accuracy).collect();
        marks.push(Mark::Line {
            label: words.fill("series_train", &[name]),
            ink,
            dashed: false,
            points: train.clone(),
        });
        marks.push(Mark::Line {
            label: words.fill("series_test", &[name]),
            ink,
            dashed: true,
            points: series(&test),
        });
        if records.len() <= MARKED_EPOCHS {
            marks.push(Mark::Points {
                label: String::new(),
                ink,
                points: train,
            });
        }
    }
    Chart {
        title: words.get("chart_accuracy"),
        x: roomy(&words.get("axis_epoch"), (epochs - 1) as f64),
        y: roomy(&words.get("axis_accuracy"), 1.0),
        marks,
    }
}

/// Errors per epoch: every epoch so far in its slot (at least twelve slots, at most `slots`;
/// a long run shows each slot's worst epoch). The Mark I's bar is solid, the MLP's beside it
/// an outline.
pub(super) fn errors_chart(
    mark1: &[EpochRecord],
    modern: &[EpochRecord],
    most_slots: usize,
    words: &Strings,
) -> Chart {
    let slots = mark1.len().clamp(12, most_slots.max(12));
    let worst = |records: &[EpochRecord], k: usize| {
        let (start, end) = (
            k * records.len().max(slots) / slots,
            (k + 1) * records.len().max(slots) / slots,
        );
        records
            .get(start..end.min(records.len()))
            .and_then(|bucket| bucket.iter().map(|r| r.errors).max())
    };
    let bars = |records: &[EpochRecord], offset: f64| -> Vec<[f64; 2]> {
        (0..slots)
            .filter_map(|k| worst(records, k).map(|e| [k as f64 + offset, e as f64]))
            .collect()
    };
    let most = mark1
        .iter()
        .chain(modern)
        .map(|r| r.errors)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let bar = |label: &str, ink, offset, outline| Mark::Bars {
        label: label.into(),
        ink,
        bars: bars(if outline { modern } else { mark1 }, offset),
        width: 0.4,
        outline,
    };
    Chart {
        title: words.get("chart_errors"),
        x: Axis::linear(&words.get("axis_epoch"), 0.0, slots as f64),
        y: Axis::linear(&words.get("axis_errors"), 0.0, (1.0 + ROOM) * most),
        marks: vec![
            bar("Mark I", Ink::Light, 0.28, false),
            bar("MLP", Ink::Warm, 0.72, true),
        ],
    }
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
    labels: Res<Labels>,
) {
    let version = (bench.generation, bench.experiment.history.len());
    let stale = *seen != Some(version) || labels.is_changed();
    if !stale || !super::due(&time, &mut drawn_at, seen.map(|s| s.0) != Some(version.0)) {
        return;
    }
    *seen = Some(version);
    let words: &Strings = &labels;
    let mark1 = &bench.experiment.history;
    let modern: &[EpochRecord] = bench.companion.as_ref().map_or(&[], |c| &c.history);
    if let Ok(node) = accuracy.single()
        && let Some(mut image) = images.get_mut(&node.image)
    {
        render_chart(&accuracy_chart(mark1, modern, words), ACCURACY_SIZE).store(&mut image);
    }
    if let Ok(node) = errors.single()
        && let Some(mut image) = images.get_mut(&node.image)
    {
        let chart = errors_chart(mark1, modern, ERROR_SLOTS, words);
        render_chart(&chart, ERRORS_SIZE).store(&mut image);
    }
    if let Ok(mut readout) = readout.single_mut() {
        readout.0 = epoch_summary(mark1.last(), modern.last(), words);
    }
}

/// The line under the plots: the last epoch's figures for both machines.
fn epoch_summary(
    mark1: Option<&EpochRecord>,
    modern: Option<&EpochRecord>,
    words: &Strings,
) -> String {
    let percent = |x: f64| format!("{:.1}", 100.0 * x);
    let figures = |r: Option<&EpochRecord>| match r {
        Some(r) => {
            let test = r
                .test_accuracy
                .map(|t| words.fill("epoch_test", &[&percent(t)]));
            let (train, errors) = (percent(r.train_accuracy), r.errors.to_string());
            words.fill(
                "epoch_figures",
                &[&train, &test.unwrap_or_default(), &errors],
            )
        }
        None => words.get("epoch_none"),
    };
    match mark1 {
        None => words.get("no_epoch"),
        Some(last) => {
            let epoch = last.epoch.to_string();
            words.fill(
                "epoch_summary",
                &[&epoch, &figures(Some(last)), &figures(modern)],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(errors: u64, train_accuracy: f64) -> EpochRecord {
        EpochRecord {
            epoch: 0,
            errors,
            corrections: None,
            train_accuracy,
            test_accuracy: None,
            seconds: 0.0,
            loss: None,
            test_loss: None,
            gradient_norms: Vec::new(),
        }
    }

    #[test]
    fn accuracy_one_is_drawn_at_the_top_and_zero_at_the_bottom() {
        let chart = accuracy_chart(&[record(3, 0.0), record(1, 1.0)], &[], &Labels::default());
        let train = chart.marks.iter().find(|m| m.label() == "Mark I train");
        let Some(Mark::Line { points, .. }) = train else {
            panic!("the Mark I's train line")
        };
        assert_eq!(points, &vec![[0.0, 0.0], [1.0, 1.0]]);
        let canvas = render_chart(&chart, ACCURACY_SIZE);
        let lit = |x: u32, y: u32| {
            let at = ((y * canvas.width + x) * 4) as usize;
            canvas.rgba[at..at + 3] != rgba(LAMP_OFF)[..3]
        };
        let (w, h) = (canvas.width, canvas.height);
        // the line runs from the bottom-left corner of the plotted area to its top-right
        let inset = |f: f64, n: u32| ((ROOM + f) / (1.0 + 2.0 * ROOM) * n as f64) as u32;
        assert!(lit(inset(0.0, w), h - inset(0.0, h)));
        assert!(lit(inset(1.0, w), h - inset(1.0, h)));
    }

    #[test]
    fn a_long_run_is_averaged_into_a_bounded_number_of_points() {
        // A million epochs: the first half at 0.2, the second at 0.8.
        let values: Vec<f64> = (0..1_000_000)
            .map(|k| if k < 500_000 { 0.2 } else { 0.8 })
            .collect();
        let points = series(&values);
        assert_eq!(points.len(), MOST_POINTS);
        assert!((points[0][1] - 0.2).abs() < 1e-9 && (points[299][1] - 0.8).abs() < 1e-9);
        assert!(points[0][0] < 2000.0 && points[299][0] > 998_000.0);
        assert!(points.windows(2).all(|p| p[1][0] > p[0][0]));
    }

    #[test]
    fn the_error_bars_of_a_long_run_show_each_slots_worst_epoch() {
        // 3,000 epochs with no errors except one epoch of 40 in the last tenth.
        let mut mark1: Vec<EpochRecord> = (0..3000).map(|_| record(0, 0.5)).collect();
        mark1[2950].errors = 40;
        let chart = errors_chart(&mark1, &[], ERROR_SLOTS, &Labels::default());
        let canvas = render_chart(&chart, ERRORS_SIZE);
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
