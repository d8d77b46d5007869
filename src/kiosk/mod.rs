//! Museum mode: an exhibit driven by its scene file that runs for weeks without an attendant.
//!
//! [`session`] is the visitor's minute (attract loop, a visit, the idle countdown, recovery
//! from errors) and needs no window; [`screens`] draws the guide, the overlays and the
//! operator's PIN pad over the panel.

pub mod screens;
pub mod session;
pub mod soak;
pub mod supervisor;

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
