//! The lecture's pages in the window, built from `ui`: a lesson as a live instrument for a
//! projector, and the playground, live.

mod graph;
mod lesson;
mod live_lesson;
mod live_playground;
mod playground;
mod playground_mark1;
mod playground_paint;

use bevy::prelude::*;

pub use live_lesson::{LessonRequest, LiveLesson};
pub use live_playground::{LivePlayground, PlaygroundRequest};
pub use playground_paint::{MAP_SIDE, SURFACE, first_class_probability};

/// A lesson's page and its teaching; needs a [`LiveLesson`].
pub fn lesson_plugin(app: &mut App) {
    app.add_plugins((live_lesson::plugin, lesson::plugin));
}

/// The playground's training, without a page: what a headless App drives in tests; needs a
/// [`LivePlayground`].
pub fn playground_logic_plugin(app: &mut App) {
    live_playground::plugin(app);
}

/// The playground's page and its training; needs a [`LivePlayground`].
pub fn playground_plugin(app: &mut App) {
    app.add_plugins((live_playground::plugin, playground::plugin));
}
