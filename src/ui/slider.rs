//! The slider widget: a track with a lit fill up to the setting, that a touch or a drag sets
//! anywhere along its length. The page that owns one turns the fraction into its own setting.

use bevy::prelude::*;
use bevy::ui::RelativeCursorPosition;

use super::palette::*;

/// Where a slider stands, 0 at its left end and 1 at its right; its fill follows.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct Slider {
    pub fraction: f32,
}

/// The lit part of a slider's track.
#[derive(Component)]
struct SliderFill;

/// A slider `width` x `height` layout pixels at `fraction`, carrying `marker` (what the page
/// knows it by). It takes presses as a button does and knows where along it they fall.
pub fn slider(width: f32, height: f32, fraction: f32, marker: impl Bundle) -> impl Bundle {
    (
        marker,
        Slider { fraction },
        Button,
        RelativeCursorPosition::default(),
        Node {
            width: px(width),
            height: px(height),
            padding: UiRect::all(px(3)),
            border: UiRect::all(px(1)),
            border_radius: BorderRadius::all(px(6)),
            ..default()
        },
        BackgroundColor(LAMP_OFF),
        BorderColor::all(PANEL_EDGE),
        children![(
            SliderFill,
            Node {
                width: fill_width(fraction),
                height: percent(100),
                border_radius: BorderRadius::all(px(4)),
                ..default()
            },
            BackgroundColor(BUTTON_ACTIVE),
        )],
    )
}

/// The fill of a slider at `fraction`: a block at the left end even at 0, so that a slider
/// always shows where it stands.
fn fill_width(fraction: f32) -> Val {
    percent(8.0 + 92.0 * fraction.clamp(0.0, 1.0))
}

/// Where along a slider (0 to 1) a press is now, while it is held: a drag that leaves the
/// track keeps it, pinned to the nearer end.
pub fn pressed_fraction(interaction: &Interaction, cursor: &RelativeCursorPosition) -> Option<f32> {
    if *interaction != Interaction::Pressed {
        return None;
    }
    cursor.normalized.map(|at| (at.x + 0.5).clamp(0.0, 1.0))
}

/// Where the cursor is in a node, 0 to 1 across and down from its top left (pinned to the
/// nearer edge when it is outside).
pub fn cursor_point(cursor: &RelativeCursorPosition) -> Option<Vec2> {
    cursor
        .normalized
        .map(|at| (at + Vec2::splat(0.5)).clamp(Vec2::ZERO, Vec2::ONE))
}

/// Keeps every slider's fill at its fraction.
pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, show_fractions);
}

fn show_fractions(
    sliders: Query<(&Slider, &Children), Changed<Slider>>,
    mut fills: Query<&mut Node, With<SliderFill>>,
) {
    for (slider, children) in &sliders {
        for child in children {
            if let Ok(mut node) = fills.get_mut(*child) {
                node.width = fill_width(slider.fraction);
            }
        }
    }
}
