//! The one look: palette, fonts, raster images, localized text and widgets, shared by the
//! panel, the exhibit's screens and the lesson pages (which depend on this, not on each other).

pub mod chart;
pub mod chart_frame;
pub mod dials;
pub mod figure;
pub mod fonts;
pub mod ground;
pub mod lamp_bank;
pub mod language;
pub mod layout;
pub mod pace;
pub mod palette;
pub mod phrases;
pub mod raster;
pub mod slider;
pub mod strings;
pub mod text;
pub mod widgets;

use bevy::prelude::*;

pub use fonts::{PageLettering, UiFonts, text};
pub use language::{NextLanguage, language_button, next_language};
pub use layout::{LayoutSpawned, PanelDraw, PanelLayout, PanelSlots};
pub use slider::{Slider, cursor_point, pressed_fraction, slider};
pub use text::{Labels, Localized, heading, instrument_heading, localized_text};
pub use widgets::{
    ButtonStyle, PANEL_BUTTON, bank_lamp, ground_frame_edge, lamp, page, page_camera,
    styled_button, thin_edge,
};

use palette::DESIGN_SIZE;

/// Fonts and labels exist: pages spawn their text after this set.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UiReady;

/// Localized text redraws: a page may order it after what changes the words.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Relabel;

/// The look for any page: loads the fonts, keeps localized text in the language on screen,
/// and scales the 1280 x 720 design to the window.
pub fn plugin(app: &mut App) {
    app.add_plugins((
        slider::plugin,
        language::plugin,
        ground::plugin,
        lamp_bank::plugin,
    ))
    .init_resource::<Labels>()
    .add_systems(PreStartup, fonts::load_fonts.in_set(UiReady))
    .add_systems(Update, (fit_to_window, text::relabel.in_set(Relabel)));
}

/// Scales the 1280 x 720 layout to the window, keeping its proportions.
fn fit_to_window(windows: Query<&Window>, mut scale: ResMut<UiScale>) {
    let Some(window) = windows.iter().next() else {
        return;
    };
    let fit = (window.width() / DESIGN_SIZE.x).min(window.height() / DESIGN_SIZE.y);
    if fit.is_finite() && fit > 0.0 && (scale.0 - fit).abs() > 1e-3 {
        scale.0 = fit;
    }
}
