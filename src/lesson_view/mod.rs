//! The lecture's pages in the window, built from `ui`: a lesson's figures for a projector, and
//! the playground, live.

mod lesson;
mod live_playground;
mod playground;
mod playground_paint;

use bevy::prelude::*;

pub use lesson::ShownLesson;
pub use live_playground::{LivePlayground, PlaygroundRequest};
pub use playground_paint::{MAP_SIDE, SURFACE, first_class_probability};

/// A lesson's page; needs a [`ShownLesson`].
pub fn lesson_plugin(app: &mut App) {
    lesson::plugin(app);
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
