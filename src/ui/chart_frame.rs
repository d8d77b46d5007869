//! A chart on a page: its rendered plotting area framed by tick labels and axis names, its
//! title and legend, as Bevy UI nodes; live charts relabel their axes when the range moves.

use bevy::prelude::*;

use super::UiFonts;
use super::chart::legend_key;
use super::palette::*;
use super::strings::Strings;
use crate::chart::{Axis, Chart, tick_label};

/// Space around a chart's plotting area for tick labels (left, bottom) and the y axis's
/// name (top), in layout pixels.
const MARGIN_LEFT: f32 = 58.0;
const MARGIN_BOTTOM: f32 = 44.0;
const MARGIN_TOP: f32 = 22.0;
const MARGIN_RIGHT: f32 = 14.0;
const TICK_SIZE: f32 = 15.0;

/// Where a chart's words go on its frame: each tick's value under or beside the plotting
/// area, and the axes' names, as (text, absolutely placed box to align it in).
fn axis_labels(chart: &Chart, plot: Vec2) -> Vec<(String, Node)> {
    let place = |node: Node| Node {
        position_type: PositionType::Absolute,
        ..node
    };
    let mut labels = Vec::new();
    // Six x labels where they fit side by side (about 8.5 px a character and a gap between),
    // fewer where long labels on a narrow chart would run together.
    let fits = |n: usize| {
        let ticks = chart.x.ticks(n);
        let width: usize = ticks
            .iter()
            .map(|&t| tick_label(t, &chart.x).chars().count())
            .sum();
        width as f32 * 8.5 + ticks.len() as f32 * 14.0 <= plot.x
    };
    let x_ticks = (2..=6)
        .rev()
        .find(|&n| fits(n) && chart.x.ticks(n).len() >= 2)
        .unwrap_or(3);
    for tick in chart.x.ticks(x_ticks) {
        let at = chart.x.fraction(tick) as f32;
        labels.push((
            tick_label(tick, &chart.x),
            place(Node {
                left: px(MARGIN_LEFT + at * plot.x - 40.0),
                top: px(MARGIN_TOP + plot.y + 3.0),
                width: px(80),
                justify_content: JustifyContent::Center,
                ..default()
            }),
        ));
    }
    for tick in chart.y.ticks(5) {
        let at = chart.y.fraction(tick) as f32;
        labels.push((
            tick_label(tick, &chart.y),
            place(Node {
                left: px(0),
                top: px(MARGIN_TOP + (1.0 - at) * plot.y - 9.0),
                width: px(MARGIN_LEFT - 6.0),
                justify_content: JustifyContent::End,
                ..default()
            }),
        ));
    }
    labels.push((
        chart.x.label.clone(),
        place(Node {
            left: px(MARGIN_LEFT),
            top: px(MARGIN_TOP + plot.y + 22.0),
            width: px(plot.x),
            justify_content: JustifyContent::Center,
            ..default()
        }),
    ));
    labels.push((
        format!("↑ {}", chart.y.label),
        place(Node {
            left: px(MARGIN_LEFT),
            top: px(0),
            ..default()
        }),
    ));
    labels
}

/// `chart` with its title, axis names and legend in the language on screen (the lessons and
/// the playground write them in English).
pub fn chart_in_language(chart: &Chart, labels: &Strings) -> Chart {
    let mut chart = chart.clone();
    for words in [&mut chart.title, &mut chart.x.label, &mut chart.y.label] {
        *words = labels.phrase(words);
    }
    for mark in &mut chart.marks {
        let label = mark.label_mut();
        *label = labels.phrase(label);
    }
    chart
}

/// A chart on the page: its title, the rendered plotting area framed by its axis labels, and
/// its legend. The image carries `marker`, so a live chart's painter finds it.
pub fn spawn_chart(
    parent: &mut ChildSpawnerCommands,
    chart: &Chart,
    image: Handle<Image>,
    plot: Vec2,
    faces: &UiFonts,
    marker: impl Bundle,
) {
    let frame = Vec2::new(
        MARGIN_LEFT + plot.x + MARGIN_RIGHT,
        MARGIN_TOP + plot.y + MARGIN_BOTTOM,
    );
    parent
        .spawn(Node {
            flex_direction: FlexDirection::Column,
            row_gap: px(4),
            // A definite width, so that a title or legend that wraps is measured at it (at
            // its narrowest it would stand many lines tall and push the page down).
            width: px(frame.x),
            flex_shrink: 0.0,
            ..default()
        })
        .with_children(|column| {
            if !chart.title.is_empty() {
                column.spawn((
                    Text::new(chart.title.clone()),
                    faces.face(true, 18.0),
                    TextColor(ENGRAVING),
                    Node {
                        width: px(frame.x),
                        ..default()
                    },
                ));
            }
            column
                .spawn(Node {
                    width: px(frame.x),
                    height: px(frame.y),
                    ..default()
                })
                .with_children(|frame_node| {
                    frame_node.spawn((
                        marker,
                        ChartAxes {
                            axes: (chart.x.clone(), chart.y.clone()),
                            plot,
                        },
                        ImageNode::new(image),
                        Node {
                            position_type: PositionType::Absolute,
                            left: px(MARGIN_LEFT),
                            top: px(MARGIN_TOP),
                            width: px(plot.x),
                            height: px(plot.y),
                            ..default()
                        },
                    ));
                    for (text, place) in axis_labels(chart, plot) {
                        frame_node.spawn(axis_label(text, place, faces));
                    }
                });
            spawn_legend(column, chart, faces, frame.x);
        });
}

/// The axes a chart's labels were written for, on its plotting area's image.
#[derive(Component, Clone, Debug)]
pub struct ChartAxes {
    axes: (Axis, Axis),
    plot: Vec2,
}

/// A tick label or axis name of a chart's frame.
#[derive(Component)]
pub struct AxisLabel;

fn axis_label(text: String, place: Node, faces: &UiFonts) -> impl Bundle + use<> {
    (
        AxisLabel,
        place,
        children![(
            Text::new(text),
            faces.face(false, TICK_SIZE),
            TextColor(DIM_TEXT),
            TextLayout::no_wrap(),
        )],
    )
}

/// Rewrites a live chart's tick labels when its axes' ranges moved since they were written:
/// `plot_area` is the entity holding the chart's image (and its [`ChartAxes`]).
pub fn relabel_axes(
    commands: &mut Commands,
    plot_area: Entity,
    chart: &Chart,
    faces: &UiFonts,
    frames: &mut Query<(&mut ChartAxes, &ChildOf)>,
    labels: &Query<(Entity, &ChildOf), With<AxisLabel>>,
) {
    let Ok((mut written, parent)) = frames.get_mut(plot_area) else {
        return;
    };
    if written.axes == (chart.x.clone(), chart.y.clone()) {
        return;
    }
    written.axes = (chart.x.clone(), chart.y.clone());
    let frame = parent.parent();
    for (label, of) in labels {
        if of.parent() == frame {
            commands.entity(label).despawn();
        }
    }
    for (text, place) in axis_labels(chart, written.plot) {
        commands.spawn((axis_label(text, place, faces), ChildOf(frame)));
    }
}

/// One entry per labelled mark: its line style or point shape in its colour, then its name.
fn spawn_legend(column: &mut ChildSpawnerCommands, chart: &Chart, faces: &UiFonts, width: f32) {
    column
        .spawn(Node {
            column_gap: px(18),
            flex_wrap: FlexWrap::Wrap,
            width: px(width),
            ..default()
        })
        .with_children(|legend| {
            for mark in chart.marks.iter().filter(|m| !m.label().is_empty()) {
                let (key, color) = legend_key(mark);
                legend
                    .spawn((
                        Text::new(key),
                        faces.face(true, 16.0),
                        TextColor(color),
                        // One line each, measured at its length: the row wraps between entries.
                        TextLayout::no_wrap(),
                    ))
                    .with_child((
                        TextSpan::new(format!(" {}", mark.label())),
                        faces.face(false, 16.0),
                        TextColor(ENGRAVING),
                    ));
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_sit_at_their_ticks_and_the_axis_names_beside_the_area() {
        let chart = Chart {
            title: "t".into(),
            x: Axis::linear("epochs", 0.0, 10.0),
            y: Axis::linear("loss", 0.0, 1.0),
            marks: Vec::new(),
        };
        let plot = Vec2::new(500.0, 300.0);
        let labels = axis_labels(&chart, plot);
        let at = |text: &str| {
            let (_, node) = labels.iter().find(|(t, _)| t == text).expect(text);
            (node.left, node.top)
        };
        // x = 10 is the right edge: its label box is centred there, under the area
        assert_eq!(
            at("10"),
            (px(MARGIN_LEFT + 500.0 - 40.0), px(MARGIN_TOP + 303.0))
        );
        // y = 1 is the top edge: its label is level with it, left of the area
        assert_eq!(at("1"), (px(0), px(MARGIN_TOP - 9.0)));
        assert_eq!(at("epochs").1, px(MARGIN_TOP + 322.0));
        assert_eq!(at("↑ loss").1, px(0));
    }
}
