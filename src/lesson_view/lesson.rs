//! A lesson scene in the window: the lecture's demonstration run from its seed, its charts
//! and findings in large type for a projector.

use bevy::prelude::*;

use crate::lessons::LessonReport;
use crate::ui::chart::render_chart;
use crate::ui::chart_frame::spawn_chart;
use crate::ui::palette::*;
use crate::ui::{UiFonts, page, page_camera};

/// The finished lesson to show.
#[derive(Resource, Clone)]
pub struct ShownLesson {
    pub report: LessonReport,
    pub description: String,
}

/// The lesson window's one screen; needs a [`ShownLesson`].
pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, show_lesson);
}

fn show_lesson(
    mut commands: Commands,
    lesson: Res<ShownLesson>,
    faces: Res<UiFonts>,
    mut images: ResMut<Assets<Image>>,
) {
    let charts = &lesson.report.charts;
    // One chart gets the width of two; the plotting areas share what is left of 1280 x 720.
    let plot = match charts.len() {
        0 | 1 => Vec2::new(760.0, 330.0),
        _ => Vec2::new(520.0, 300.0),
    };
    commands.spawn(page_camera());
    commands
        .spawn(page(Vec2::new(32.0, 24.0), 10.0))
        .with_children(|page| {
            page.spawn((
                Text::new(lesson.report.title.clone()),
                faces.face(true, 30.0),
                TextColor(ENGRAVING),
            ));
            if !lesson.description.is_empty() {
                page.spawn((
                    Text::new(lesson.description.clone()),
                    faces.face(false, 18.0),
                    TextColor(DIM_TEXT),
                ));
            }
            page.spawn(Node {
                column_gap: px(36),
                justify_content: JustifyContent::Center,
                ..default()
            })
            .with_children(|row| {
                for chart in charts {
                    let image = images.add(render_chart(chart, plot).to_image());
                    spawn_chart(row, chart, image, plot, &faces, ());
                }
            });
            for line in &lesson.report.lines {
                page.spawn((
                    Text::new(line.clone()),
                    faces.face(false, 17.0),
                    TextColor(LAMP_ON),
                ));
            }
        });
}
