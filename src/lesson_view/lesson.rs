//! A lesson's page: the lecture's demonstration as an instrument. Its knobs as sliders with
//! steppers, run, step and reset for a lesson that trains, charts that redraw as it changes
//! (and take a finger where the lesson says so), its findings in large type for a projector.

use bevy::prelude::*;
use bevy::ui::RelativeCursorPosition;

use super::graph::{GRAPH_AREA, paint_edges, spawn_graph};
use super::live_lesson::{LessonRequest, LiveLesson, carry_out_requests};
use crate::chart::Chart;
use crate::lessons::{Knob, LessonReport};
use crate::playground::controls::Toward;
use crate::ui::chart::render_chart;
use crate::ui::chart_frame::{AxisLabel, ChartAxes, chart_in_language, relabel_axes, spawn_chart};
use crate::ui::palette::*;
use crate::ui::{
    Labels, PANEL_BUTTON, Slider, UiFonts, cursor_point, language_button, localized_text, page,
    page_camera, pressed_fraction, slider, styled_button, text,
};

/// The knob a slider turns.
#[derive(Component, Clone, Copy)]
struct KnobSlider(usize);

/// The text showing a knob's setting.
#[derive(Component, Clone, Copy)]
struct KnobValue(usize);

/// A chart's plotting area, by its place in the report.
#[derive(Component, Clone, Copy)]
struct ChartImage(usize);

/// The row holding the charts, rebuilt when their titles or legends change.
#[derive(Component)]
struct ChartsRow;

/// Where a lesson's computational graph is drawn.
#[derive(Component)]
struct GraphArea;

/// The column of the report's findings.
#[derive(Component)]
struct Findings;

/// The page's title, the report's (it names the networks compared).
#[derive(Component)]
struct Title;

/// "epoch 350 of 2000", for a lesson that trains.
#[derive(Component)]
struct ClockReadout;

/// The lesson's page; needs a [`LiveLesson`].
pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_page.after(crate::ui::UiReady))
        .add_systems(
            Update,
            (press_buttons, slide_knobs, touch_charts, keyboard_shortcuts)
                .before(carry_out_requests),
        )
        .add_systems(
            Update,
            (show_knobs, show_clock, shade_buttons, show_report).after(carry_out_requests),
        );
}

/// The plotting area of each chart for a page of `count` charts beside the knobs (under a
/// computational graph, if the lesson draws one).
fn plot_size(count: usize, graph: bool) -> Vec2 {
    match count {
        _ if graph => Vec2::new(300.0, 120.0),
        0 | 1 => Vec2::new(700.0, 330.0),
        2 => Vec2::new(352.0, 300.0),
        _ => Vec2::new(208.0, 250.0),
    }
}

const KNOBS_WIDTH: f32 = 320.0;
const STEPPER: f32 = 44.0;

fn spawn_page(mut commands: Commands, live: Res<LiveLesson>, fonts: Res<UiFonts>) {
    let lesson = live.lesson.lesson();
    commands.spawn(page_camera());
    commands
        .spawn(page(Vec2::new(32.0, 20.0), 8.0))
        .with_children(|page| {
            page.spawn(title_line(&fonts));
            if !live.description.is_empty() {
                page.spawn(localized_text(
                    &fonts,
                    &live.description,
                    18.0,
                    DIM_TEXT,
                    false,
                ));
            }
            page.spawn(Node {
                column_gap: px(24),
                ..default()
            })
            .with_children(|main| {
                spawn_knobs_column(main, &fonts, lesson);
                main.spawn(Node {
                    flex_direction: FlexDirection::Column,
                    row_gap: px(8),
                    ..default()
                })
                .with_children(|right| {
                    if live.report.graph.is_some() {
                        right.spawn((
                            GraphArea,
                            Node {
                                width: px(GRAPH_AREA.x),
                                height: px(GRAPH_AREA.y),
                                ..default()
                            },
                        ));
                    }
                    right.spawn((
                        ChartsRow,
                        Node {
                            column_gap: px(16),
                            ..default()
                        },
                    ));
                });
            });
            page.spawn((
                Findings,
                Node {
                    flex_direction: FlexDirection::Column,
                    row_gap: px(2),
                    ..default()
                },
            ));
        });
}

/// The left column: the lesson's knobs, its clock's controls and its touch hint.
fn spawn_knobs_column(
    main: &mut ChildSpawnerCommands,
    fonts: &UiFonts,
    lesson: &dyn crate::lessons::Teach,
) {
    main.spawn(Node {
        flex_direction: FlexDirection::Column,
        row_gap: px(6),
        width: px(KNOBS_WIDTH),
        flex_shrink: 0.0,
        ..default()
    })
    .with_children(|knobs| {
        for (index, knob) in lesson.knobs().iter().enumerate() {
            spawn_knob(knobs, fonts, index, knob);
        }
        if lesson.clock().is_some() {
            spawn_clock_controls(knobs, fonts);
        }
        if let Some(hint) = lesson.touch_hint() {
            // a definite width, so that it is measured wrapped at it (at its narrowest it
            // would stand a word a line and push the findings off)
            knobs.spawn((
                localized_text(fonts, hint, 16.0, COOL_LIGHT, false),
                Node {
                    width: px(KNOBS_WIDTH),
                    ..default()
                },
            ));
        }
    });
}

/// The report's title (filled in by [`show_report`]) and the language button.
fn title_line(fonts: &UiFonts) -> impl Bundle + use<> {
    (
        Node {
            column_gap: px(16),
            align_items: AlignItems::Center,
            ..default()
        },
        children![
            (
                Title,
                text(fonts, "", 30.0, ENGRAVING, true),
                Node {
                    flex_grow: 1.0,
                    ..default()
                },
            ),
            language_button(fonts, 56.0),
        ],
    )
}

/// `label   value` over `−  [slider]  +`.
fn spawn_knob(parent: &mut ChildSpawnerCommands, fonts: &UiFonts, index: usize, knob: &Knob) {
    parent
        .spawn(Node {
            justify_content: JustifyContent::SpaceBetween,
            width: px(KNOBS_WIDTH),
            ..default()
        })
        .with_children(|line| {
            line.spawn(localized_text(fonts, &knob.label, 16.0, DIM_TEXT, false));
            line.spawn((KnobValue(index), text(fonts, "", 16.0, ENGRAVING, true)));
        });
    parent
        .spawn(Node {
            column_gap: px(6),
            align_items: AlignItems::Center,
            ..default()
        })
        .with_children(|line| {
            let nudge = |toward| LessonRequest::Nudge { index, toward };
            line.spawn(button(fonts, "\u{2212}", nudge(Toward::Less), STEPPER));
            line.spawn(slider(
                KNOBS_WIDTH - 2.0 * STEPPER - 12.0,
                40.0,
                knob.fraction() as f32,
                KnobSlider(index),
            ));
            line.spawn(button(fonts, "+", nudge(Toward::More), STEPPER));
        });
}

fn button(fonts: &UiFonts, label: &str, request: LessonRequest, width: f32) -> impl Bundle {
    styled_button(fonts, label, request, width, &PANEL_BUTTON)
}

/// Run, Step and Reset, and where the run has got.
fn spawn_clock_controls(parent: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    parent
        .spawn(Node {
            column_gap: px(8),
            margin: UiRect::top(px(10)),
            ..default()
        })
        .with_children(|line| {
            line.spawn(button(fonts, "run", LessonRequest::ToggleRun, 96.0));
            line.spawn(button(fonts, "step", LessonRequest::Step, 96.0));
            line.spawn(button(fonts, "reset", LessonRequest::Reset, 96.0));
        });
    parent.spawn((
        ClockReadout,
        text(fonts, "", 18.0, LAMP_ON, true),
        Node {
            width: px(KNOBS_WIDTH),
            ..default()
        },
    ));
}

/// A button acts when it goes down (a quick tap is never lost; see the playground's).
fn press_buttons(
    buttons: Query<(&Interaction, &LessonRequest), Changed<Interaction>>,
    mut requests: MessageWriter<LessonRequest>,
) {
    for (interaction, request) in &buttons {
        if *interaction == Interaction::Pressed {
            requests.write(*request);
        }
    }
}

/// While a slider is held, its knob takes the stop under the finger.
fn slide_knobs(
    sliders: Query<(&Interaction, &RelativeCursorPosition, &KnobSlider)>,
    live: Res<LiveLesson>,
    mut requests: MessageWriter<LessonRequest>,
) {
    for (interaction, cursor, &KnobSlider(index)) in &sliders {
        let Some(fraction) = pressed_fraction(interaction, cursor) else {
            continue;
        };
        let knobs = live.lesson.lesson().knobs();
        let Some(knob) = knobs.get(index) else {
            continue;
        };
        let value = knob.stop_at_fraction(fraction as f64);
        if value != knob.stops[knob.at] {
            requests.write(LessonRequest::Knob { index, value });
        }
    }
}

/// A finger on a chart, in the chart's data coordinates, as a stroke from where it was. A
/// stroke starts with a press on a chart and goes on while the button or finger is down,
/// even when the chart is built again under it (a legend that changes rebuilds it).
fn touch_charts(
    charts: Query<(&Interaction, &RelativeCursorPosition, &ChartImage)>,
    mouse: Res<ButtonInput<MouseButton>>,
    touches: Res<Touches>,
    live: Res<LiveLesson>,
    mut requests: MessageWriter<LessonRequest>,
    mut stroke: Local<Option<(usize, Option<[f64; 2]>)>>,
) {
    let held = mouse.pressed(MouseButton::Left) || touches.iter().next().is_some();
    if !held || live.lesson.lesson().touch_hint().is_none() {
        *stroke = None;
        return;
    }
    let chart = match *stroke {
        Some((chart, _)) => chart,
        None => match charts.iter().find(|(i, ..)| **i == Interaction::Pressed) {
            Some((.., &ChartImage(chart))) => chart,
            None => return,
        },
    };
    let at = charts
        .iter()
        .find(|(.., c)| c.0 == chart)
        .and_then(|(_, cursor, _)| cursor_point(cursor));
    let (Some(at), Some(drawn)) = (at, live.report.charts.get(chart)) else {
        return;
    };
    let to = data_point(drawn, at);
    let last = stroke.and_then(|(_, last)| last);
    if last != Some(to) {
        let from = last.unwrap_or(to);
        requests.write(LessonRequest::Touch { chart, from, to });
    }
    *stroke = Some((chart, Some(to)));
}

/// The data coordinates at `at` (0 to 1 across and down from the top left) of a chart's area.
fn data_point(chart: &Chart, at: Vec2) -> [f64; 2] {
    let along = |axis: &crate::chart::Axis, f: f64| {
        if axis.log {
            10f64.powf(axis.min.log10() + f * (axis.max.log10() - axis.min.log10()))
        } else {
            axis.min + f * (axis.max - axis.min)
        }
    };
    [
        along(&chart.x, at.x as f64),
        along(&chart.y, 1.0 - at.y as f64),
    ]
}

fn keyboard_shortcuts(keys: Res<ButtonInput<KeyCode>>, mut requests: MessageWriter<LessonRequest>) {
    for (key, request) in [
        (KeyCode::Space, LessonRequest::ToggleRun),
        (KeyCode::KeyS, LessonRequest::Step),
        (KeyCode::KeyR, LessonRequest::Reset),
    ] {
        if keys.just_pressed(key) {
            requests.write(request);
        }
    }
}

fn show_knobs(
    live: Res<LiveLesson>,
    labels: Res<Labels>,
    mut sliders: Query<(&KnobSlider, &mut Slider)>,
    mut values: Query<(&KnobValue, &mut Text)>,
    added: Query<(), Added<KnobValue>>,
) {
    if !live.is_changed() && !labels.is_changed() && added.is_empty() {
        return;
    }
    let knobs = live.lesson.lesson().knobs();
    for (&KnobSlider(index), mut slider) in &mut sliders {
        if let Some(knob) = knobs.get(index) {
            let fraction = knob.fraction() as f32;
            if slider.fraction != fraction {
                slider.fraction = fraction;
            }
        }
    }
    for (&KnobValue(index), mut text) in &mut values {
        if let Some(knob) = knobs.get(index) {
            let shown = labels.phrase(&knob.shown);
            if text.0 != shown {
                text.0 = shown;
            }
        }
    }
}

fn show_clock(
    live: Res<LiveLesson>,
    labels: Res<Labels>,
    mut readouts: Query<&mut Text, With<ClockReadout>>,
) {
    let Some(clock) = live.clock else {
        return;
    };
    // The clock of the report on screen: the one being taught is a step ahead.
    let at = live.shown_clock().unwrap_or(clock.at);
    let words = labels.phrase(&clock_words(
        live.lesson.lesson().clock_unit(),
        at,
        clock.end,
    ));
    for mut text in &mut readouts {
        if text.0 != words {
            text.0 = words.clone();
        }
    }
}

/// "epoch 350 of 2000", or "before the first epoch", in English (the phrasebook's key).
fn clock_words(unit: &str, at: usize, end: usize) -> String {
    match at {
        0 => format!("before the first {unit}"),
        at => format!("{unit} {at} of {end}"),
    }
}

fn shade_buttons(
    live: Res<LiveLesson>,
    mut buttons: Query<(&Interaction, &LessonRequest, &mut BackgroundColor)>,
) {
    for (interaction, request, mut color) in &mut buttons {
        let shade = match interaction {
            Interaction::Pressed => BUTTON_ACTIVE,
            _ if *request == LessonRequest::ToggleRun && live.running => BUTTON_ACTIVE,
            Interaction::Hovered => BUTTON_HOVER,
            Interaction::None => BUTTON,
        };
        if color.0 != shade {
            color.0 = shade;
        }
    }
}

/// The report's words in the language on screen (the lessons write English).
fn report_in_language(report: &LessonReport, labels: &Labels) -> LessonReport {
    LessonReport {
        title: labels.phrase(&report.title),
        lines: report.lines.iter().map(|l| labels.phrase(l)).collect(),
        charts: report
            .charts
            .iter()
            .map(|c| chart_in_language(c, labels))
            .collect(),
        figures: serde_json::Value::Null,
        graph: report.graph.clone(),
        graph_current: report.graph_current,
    }
}

/// What the charts row was built for: each chart's title and legend.
fn outline(report: &LessonReport) -> Vec<(String, Vec<String>)> {
    report
        .charts
        .iter()
        .map(|c| {
            let labels = c.marks.iter().map(|m| m.label().to_string()).collect();
            (c.title.clone(), labels)
        })
        .collect()
}

/// A new report redraws the charts in place; when their titles or legends changed the row is
/// built again. The findings follow.
#[expect(
    clippy::too_many_arguments,
    reason = "a system: each query is one thing the report redraws"
)]
fn show_report(
    mut commands: Commands,
    live: Res<LiveLesson>,
    words: Res<Labels>,
    fonts: Res<UiFonts>,
    mut images: ResMut<Assets<Image>>,
    row: Query<Entity, With<ChartsRow>>,
    findings: Query<Entity, With<Findings>>,
    mut title: Query<&mut Text, With<Title>>,
    graph_area: Query<Entity, With<GraphArea>>,
    plots: Query<(Entity, &ImageNode, &ChartImage)>,
    mut frames: Query<(&mut ChartAxes, &ChildOf)>,
    labels: Query<(Entity, &ChildOf), With<AxisLabel>>,
    mut shown: Local<Option<(u64, Vec<(String, Vec<String>)>)>>,
) {
    if !words.is_changed()
        && shown
            .as_ref()
            .is_some_and(|(version, _)| *version == live.version)
    {
        return;
    }
    let report = &report_in_language(&live.report, &words);
    let plot = plot_size(report.charts.len(), report.graph.is_some());
    let now = outline(report);
    if shown.as_ref().map(|(_, o)| o) == Some(&now) {
        for (entity, node, &ChartImage(k)) in &plots {
            if let (Some(chart), Some(mut image)) =
                (report.charts.get(k), images.get_mut(&node.image))
            {
                render_chart(chart, plot).store(&mut image);
                relabel_axes(&mut commands, entity, chart, &fonts, &mut frames, &labels);
            }
        }
    } else if let Ok(row) = row.single() {
        commands.entity(row).despawn_children();
        commands.entity(row).with_children(|row| {
            for (k, chart) in report.charts.iter().enumerate() {
                let image = images.add(render_chart(chart, plot).to_image());
                let touchable = (
                    ChartImage(k),
                    Interaction::default(),
                    RelativeCursorPosition::default(),
                );
                spawn_chart(row, chart, image, plot, &fonts, touchable);
            }
        });
    }
    if let (Some(nodes), Ok(area)) = (&report.graph, graph_area.single()) {
        let edges = images.add(paint_edges(nodes).to_image());
        commands.entity(area).despawn_children();
        commands.entity(area).with_children(|area| {
            spawn_graph(area, nodes, report.graph_current, &fonts, edges);
        });
    }
    for mut title in &mut title {
        if title.0 != report.title {
            title.0 = report.title.clone();
        }
    }
    if let Ok(findings) = findings.single() {
        commands.entity(findings).despawn_children();
        commands.entity(findings).with_children(|column| {
            for line in &report.lines {
                column.spawn(text(&fonts, line.clone(), 17.0, LAMP_ON, false));
            }
        });
    }
    *shown = Some((live.version, now));
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::lessons::Teach;
    use crate::scene::Scene;
    use crate::ui::strings::{Strings, assert_every_language_has};

    /// Every English text a lesson's page shows for `report` of `lesson`.
    fn shown_words(lesson: &dyn Teach, report: &LessonReport) -> Vec<String> {
        let mut words = vec![report.title.clone()];
        words.extend(report.lines.iter().cloned());
        for chart in &report.charts {
            words.extend([&chart.title, &chart.x.label, &chart.y.label].map(String::clone));
            words.extend(chart.marks.iter().map(|m| m.label().to_string()));
        }
        for knob in lesson.knobs() {
            words.extend([knob.label, knob.shown]);
        }
        if let Some(end) = lesson.clock() {
            let unit = lesson.clock_unit();
            words.extend([clock_words(unit, 0, end), clock_words(unit, 1, end)]);
        }
        words.extend(lesson.touch_hint().map(str::to_string));
        words.retain(|w| !w.is_empty());
        words
    }

    /// A lesson's page, headless, in `language`.
    fn page(scene: &str, language: &str) -> App {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(scene);
        let scene = Scene::load(&path).unwrap();
        let lesson = scene.kind.lesson().unwrap().clone();
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, bevy::input::InputPlugin))
            .init_resource::<Assets<Image>>()
            .insert_resource(UiFonts::unloaded())
            .insert_resource(Labels(Strings::built_in(language).unwrap()))
            .insert_resource(LiveLesson::new(lesson, scene.seed, scene.description))
            .add_plugins(super::super::lesson_plugin);
        app.update();
        app.update();
        app
    }

    fn findings(app: &mut App) -> Vec<String> {
        let world = app.world_mut();
        let column = world
            .query_filtered::<&Children, With<Findings>>()
            .single(world)
            .map(|c| c.to_vec())
            .unwrap_or_default();
        column
            .iter()
            .filter_map(|&line| world.get::<Text>(line).map(|t| t.0.clone()))
            .collect()
    }

    #[test]
    fn the_findings_are_on_the_page_in_the_language_on_screen() {
        for scene in ["scenes/lesson-descent.ron", "scenes/lesson-lda.ron"] {
            let english = findings(&mut page(scene, "en"));
            assert!(english.len() >= 4, "{scene}: {english:?}");
            let german = findings(&mut page(scene, "de"));
            assert_eq!(german.len(), english.len(), "{scene}");
            let de = Strings::built_in("de").unwrap();
            for (en, de_line) in english.iter().zip(&german) {
                assert_eq!(*de_line, de.phrase(en));
            }
            assert_ne!(english, german, "{scene}");
        }
    }

    #[test]
    fn every_word_a_lesson_shows_is_in_every_language() {
        let mut words = std::collections::BTreeSet::new();
        let scenes = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
        for entry in std::fs::read_dir(scenes).unwrap() {
            let scene = Scene::load(&entry.unwrap().path()).unwrap();
            let Some(lesson) = scene.kind.lesson() else {
                continue;
            };
            words.insert(scene.description.clone());
            // the lesson as the scene has it, and with each knob at each of its stops
            let mut variants = vec![lesson.clone()];
            for (index, knob) in lesson.lesson().knobs().iter().enumerate() {
                for stop in &knob.stops {
                    let mut turned = lesson.clone();
                    turned.lesson_mut().set_knob(index, *stop);
                    variants.push(turned);
                }
            }
            for mut variant in variants {
                if let Some(end) = variant.lesson().clock() {
                    variant.lesson_mut().set_clock(end.min(20));
                }
                let report = variant.run(scene.seed);
                words.extend(shown_words(variant.lesson(), &report));
            }
        }
        assert!(words.len() > 100, "{}", words.len());
        assert_every_language_has(&words, false);
    }
}
