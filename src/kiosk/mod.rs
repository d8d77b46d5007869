//! Museum mode: an exhibit driven by its scene file that runs for weeks without an attendant.
//!
//! [`visit`] is the visitor's minute as a state machine (attract loop, a visit, the idle
//! countdown) and [`session`] runs it in the ECS with recovery from errors; [`screens`] draws
//! the guide, the overlays and the operator's PIN pad over the panel; [`settings`] and [`log`]
//! are what it keeps on disk; [`supervisor`] restarts it; [`soak`] tests it for weeks.

pub mod log;
pub mod screens;
pub mod session;
pub mod settings;
pub mod soak;
pub mod supervisor;
pub mod visit;

use bevy::prelude::*;

pub use session::{Exhibit, LanguageChosen, VisitorTouched};

/// The exhibit in a window: add after the simulation and the panel, with an [`Exhibit`].
pub fn plugin(app: &mut App) {
    app.add_plugins((session::plugin, screens::plugin));
}

/// The exhibit without a window (the soak test): the session and its machine requests.
pub fn headless_plugin(app: &mut App) {
    app.add_plugins(session::plugin);
}
