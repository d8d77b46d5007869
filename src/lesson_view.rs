//! A lesson scene in the window: the lecture's demonstration run from its seed, its findings
//! in large type for a projector.

use bevy::prelude::*;

use crate::lessons::LessonReport;
use crate::panel::palette::*;

/// The finished lesson to show.
#[derive(Resource, Clone)]
pub struct ShownLesson {
    pub report: LessonReport,
    pub description: String,
}

/// The lesson window's one screen; needs a [`ShownLesson`].
pub fn plugin(app: &mut App) {
    app.add_systems(Startup, show_lesson);
}

fn show_lesson(mut commands: Commands, lesson: Res<ShownLesson>, mut fonts: ResMut<Assets<Font>>) {
    let regular = fonts.add(Font::from_bytes(
        include_bytes!("../assets/fonts/DejaVuSans.ttf").to_vec(),
    ));
    let bold = fonts.add(Font::from_bytes(crate::data::draw::TYPEFACE_SANS.to_vec()));
    let face = |font: &Handle<Font>, size: f32| TextFont {
        font: font.clone().into(),
        font_size: bevy::text::FontSize::Px(size),
        ..default()
    };
    commands.spawn((Camera2d, Msaa::Off));
    commands
        .spawn((
            Node {
                width: percent(100),
                height: percent(100),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(px(40)),
                row_gap: px(14),
                ..default()
            },
            BackgroundColor(BACKGROUND),
        ))
        .with_children(|page| {
            page.spawn((
                Text::new(lesson.report.title.clone()),
                face(&bold, 34.0),
                TextColor(ENGRAVING),
            ));
            page.spawn((
                Text::new(lesson.description.clone()),
                face(&regular, 22.0),
                TextColor(DIM_TEXT),
            ));
            for line in &lesson.report.lines {
                page.spawn((
                    Text::new(line.clone()),
                    face(&regular, 20.0),
                    TextColor(LAMP_ON),
                ));
            }
        });
}
