//! Localized text: the labels in the language on screen, and text that redraws itself when
//! the language changes.

use bevy::prelude::*;

use super::fonts::{UiFonts, text};
use super::palette::*;
use super::strings::Strings;

/// The labels in the language on screen (English unless an exhibit picks another).
#[derive(Resource, Clone, Debug, Deref)]
pub struct Labels(pub Strings);

impl Default for Labels {
    fn default() -> Self {
        Self(Strings::built_in("en").expect("English is built in"))
    }
}

/// Text whose words come from the strings file by `key` (a key the file lacks shows as is),
/// redrawn when the language changes.
#[derive(Component, Clone, Debug)]
pub struct Localized {
    pub key: String,
    pub upper: bool,
}

/// Text in the panel's face, its words looked up by `key` in the language on screen.
pub fn localized_text(
    fonts: &UiFonts,
    key: &str,
    size: f32,
    color: Color,
    bold: bool,
) -> impl Bundle + use<> {
    (
        text(fonts, key.to_string(), size, color, bold),
        Localized {
            key: key.to_string(),
            upper: false,
        },
    )
}

/// An engraved heading over an instrument; `key` names its words in the strings file.
pub fn heading(fonts: &UiFonts, key: &str) -> impl Bundle + use<> {
    (
        Text::new(key.to_uppercase()),
        fonts.heading_face(HEADING_SIZE),
        TextColor(ENGRAVING),
        Localized {
            key: key.to_string(),
            upper: true,
        },
    )
}

/// An instrument's heading: on a projector its short form (`<key>_short`), which fits on
/// one line in the larger type.
pub fn instrument_heading(fonts: &UiFonts, key: &str) -> impl Bundle + use<> {
    if fonts.on_projector() {
        heading(fonts, &format!("{key}_short"))
    } else {
        heading(fonts, key)
    }
}

/// Rewrites localized text in the language on screen, when it changes or the text is new.
pub(super) fn relabel(labels: Res<Labels>, mut texts: Query<(Ref<Localized>, &mut Text)>) {
    for (localized, mut text) in &mut texts {
        if !labels.is_changed() && !localized.is_changed() {
            continue;
        }
        let mut words = labels.get(&localized.key);
        if localized.upper {
            words = words.to_uppercase();
        }
        if text.0 != words {
            text.0 = words;
        }
    }
}
