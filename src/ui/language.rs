//! The language switch of a page: a button reading the language on screen (EN, FR, DE) that
//! moves to the next shipped one, and the L key that does the same.

use bevy::prelude::*;

use super::UiFonts;
use super::strings::{BUILT_IN_STRINGS, Strings};
use super::text::Labels;
use super::widgets::{PANEL_BUTTON, styled_button};

/// A button that moves the page's words to the next shipped language.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextLanguage;

/// Keeps the language buttons working and reading the language on screen; the L key on pages
/// that have such a button.
pub fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (switch_language, read_language)
            .chain()
            .before(super::Relabel),
    );
}

/// The language button, `width` layout pixels wide.
pub fn language_button(fonts: &UiFonts, width: f32) -> impl Bundle + use<> {
    styled_button(fonts, "EN", NextLanguage, width, &PANEL_BUTTON)
}

/// The shipped language after `code` (round to the first).
pub fn next_language(code: &str) -> &'static str {
    let codes = BUILT_IN_STRINGS.map(|(c, _)| c);
    let at = codes.iter().position(|c| *c == code).unwrap_or(0);
    codes[(at + 1) % codes.len()]
}

fn switch_language(
    pressed: Query<&Interaction, (Changed<Interaction>, With<NextLanguage>)>,
    buttons: Query<(), With<NextLanguage>>,
    keys: Res<ButtonInput<KeyCode>>,
    mut labels: ResMut<Labels>,
) {
    let touched = pressed.iter().any(|i| *i == Interaction::Pressed)
        || (!buttons.is_empty() && keys.just_pressed(KeyCode::KeyL));
    if touched && let Ok(strings) = Strings::built_in(next_language(&labels.code)) {
        labels.0 = strings;
    }
}

/// Each language button reads the language's own code, which no strings file has as a key.
fn read_language(
    labels: Res<Labels>,
    buttons: Query<&Children, With<NextLanguage>>,
    mut texts: Query<&mut super::Localized>,
) {
    for children in &buttons {
        for child in children {
            if let Ok(mut localized) = texts.get_mut(*child) {
                let code = labels.code.to_uppercase();
                if localized.key != code {
                    localized.key = code;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_button_goes_round_the_shipped_languages() {
        assert_eq!(next_language("en"), "fr");
        assert_eq!(next_language("fr"), "de");
        assert_eq!(next_language("de"), "en");
        assert_eq!(next_language("xx"), "fr");
    }
}
