//! The help overlay: every control of the panel and its shortcut, over the panel, opened by
//! `?` (or F1) or the `?` button and closed by the same, Esc, or a touch anywhere on it.

use bevy::input::keyboard::Key;
use bevy::prelude::*;

use super::PanelAction;
use crate::ui::LayoutSpawned;
use crate::ui::fonts::{UiFonts, text};
use crate::ui::palette::{BACKGROUND, ENGRAVING, HEADING_SIZE, LABEL_SIZE, PANEL_EDGE};
use crate::ui::text::localized_text;

/// Whether the overlay is showing.
#[derive(Resource, Default, Debug, PartialEq)]
pub struct HelpShown(pub bool);

/// The overlay's root node.
#[derive(Component)]
struct HelpOverlay;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<HelpShown>()
        .add_systems(PreStartup, build_overlay.after(LayoutSpawned))
        .add_systems(Update, (toggle_help, show_help).chain());
}

fn build_overlay(mut commands: Commands, fonts: Res<UiFonts>) {
    commands
        .spawn((
            HelpOverlay,
            Button,
            Node {
                position_type: PositionType::Absolute,
                width: percent(100),
                height: percent(100),
                display: Display::None,
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(px(48)),
                row_gap: px(14),
                border: UiRect::all(px(2)),
                ..default()
            },
            BorderColor::all(PANEL_EDGE),
            BackgroundColor(BACKGROUND),
            GlobalZIndex(50),
        ))
        .with_children(|overlay| {
            overlay.spawn(localized_text(
                &fonts,
                "help_title",
                1.6 * HEADING_SIZE,
                ENGRAVING,
                true,
            ));
            overlay.spawn(localized_text(
                &fonts,
                "help_lines",
                LABEL_SIZE + 3.0,
                ENGRAVING,
                false,
            ));
            overlay.spawn(text(&fonts, "", LABEL_SIZE, ENGRAVING, false));
            overlay.spawn(localized_text(
                &fonts,
                "help_close",
                LABEL_SIZE,
                ENGRAVING,
                false,
            ));
        });
}

/// `?`, F1 and the `?` button open or close the overlay; Esc and a touch on it close it.
fn toggle_help(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    characters: Option<Res<ButtonInput<Key>>>,
    buttons: Query<(&Interaction, &PanelAction), Changed<Interaction>>,
    overlay: Query<&Interaction, (Changed<Interaction>, With<HelpOverlay>)>,
    mut shown: ResMut<HelpShown>,
) {
    let question = characters.is_some_and(|c| c.just_pressed(Key::Character("?".into())));
    let f1 = keys.as_ref().is_some_and(|k| k.just_pressed(KeyCode::F1));
    let button = buttons
        .iter()
        .any(|(i, a)| *i == Interaction::Pressed && matches!(a, PanelAction::ToggleHelp));
    if question || f1 || button {
        shown.0 = !shown.0;
        return;
    }
    let escape = keys.is_some_and(|k| k.just_pressed(KeyCode::Escape));
    let touched = overlay.iter().any(|i| *i == Interaction::Pressed);
    if shown.0 && (escape || touched) {
        shown.0 = false;
    }
}

fn show_help(shown: Res<HelpShown>, mut overlay: Query<&mut Node, With<HelpOverlay>>) {
    if !shown.is_changed() {
        return;
    }
    for mut node in &mut overlay {
        node.display = if shown.0 {
            Display::Flex
        } else {
            Display::None
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How the English help's lines begin, in order: every language has one line for each (a
    /// test checks), so a new shortcut is added to each language's help.
    const SHORTCUTS: [&str; 7] = ["Space", "S", "?", "Esc", "Drop", "Touch", "Buttons"];

    #[test]
    fn the_help_lists_every_shortcut_in_every_language() {
        for language in ["en", "de", "fr"] {
            let strings =
                crate::ui::strings::Strings::load(std::path::Path::new("/nonexistent"), language)
                    .unwrap();
            let lines = strings.get("help_lines");
            let lines: Vec<&str> = lines.lines().collect();
            assert_eq!(lines.len(), SHORTCUTS.len(), "{language}: {lines:?}");
            for (line, key) in lines.iter().zip(SHORTCUTS) {
                assert!(
                    line.starts_with(key) || language != "en" && !line.is_empty(),
                    "{language}: {line}"
                );
            }
        }
    }

    #[test]
    fn question_mark_opens_the_overlay_and_escape_closes_it() {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .init_resource::<ButtonInput<KeyCode>>()
            .init_resource::<ButtonInput<Key>>()
            .init_resource::<HelpShown>()
            .add_systems(Update, toggle_help);
        app.world_mut().spawn((HelpOverlay, Interaction::None));
        let press_character = |app: &mut App, c: &str| {
            let mut keys = app.world_mut().resource_mut::<ButtonInput<Key>>();
            keys.clear();
            keys.press(Key::Character(c.into()));
            app.update();
            app.world_mut()
                .resource_mut::<ButtonInput<Key>>()
                .release_all();
        };
        press_character(&mut app, "?");
        assert!(app.world().resource::<HelpShown>().0);
        press_character(&mut app, "x");
        assert!(
            app.world().resource::<HelpShown>().0,
            "another key leaves it open"
        );
        app.world_mut().resource_mut::<ButtonInput<Key>>().clear();
        app.world_mut()
            .resource_mut::<ButtonInput<KeyCode>>()
            .press(KeyCode::Escape);
        app.update();
        assert!(!app.world().resource::<HelpShown>().0);
    }
}
