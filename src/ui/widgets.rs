//! Small named widgets shared by every page: lamps, push buttons in two styles, and the page.

use bevy::prelude::*;

use super::fonts::UiFonts;
use super::palette::*;
use super::text::localized_text;

/// How a push button is drawn: the panel's and the exhibit's differ only in these.
pub struct ButtonStyle {
    pub height: f32,
    pub font_size: f32,
    pub border: f32,
    pub radius: f32,
    pub padding: f32,
    /// Whether the button may shrink below its width in a crowded row.
    pub shrinks: bool,
}

/// The panel's buttons: 48 px tall, the touch size Material asks for.
pub const PANEL_BUTTON: ButtonStyle = ButtonStyle {
    height: BUTTON_HEIGHT,
    font_size: LABEL_SIZE,
    border: 1.0,
    radius: 6.0,
    padding: 10.0,
    shrinks: true,
};

/// A push button carrying `action`, its label looked up as a strings key.
pub fn styled_button<A: Component>(
    fonts: &UiFonts,
    label: &str,
    action: A,
    width: f32,
    style: &ButtonStyle,
) -> impl Bundle + use<A> {
    (
        Button,
        action,
        Node {
            min_width: px(width),
            height: px(style.height),
            flex_shrink: if style.shrinks { 1.0 } else { 0.0 },
            padding: UiRect::horizontal(px(style.padding)),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            border: UiRect::all(px(style.border)),
            border_radius: BorderRadius::all(px(style.radius)),
            ..default()
        },
        BackgroundColor(BUTTON),
        BorderColor::all(PANEL_EDGE),
        children![(
            localized_text(fonts, label, style.font_size, ENGRAVING, true),
            TextLayout::no_wrap()
        )],
    )
}

/// A lamp: a round light in its rim, dark until lit (set its `BackgroundColor`), its
/// contents centred; `size` layout pixels across, or as large as its grid cell.
pub fn lamp(size: Option<f32>, rim: f32) -> (Node, BackgroundColor, BorderColor) {
    let (width, height) = size.map_or((auto(), auto()), |s| (px(s), px(s)));
    (
        Node {
            width,
            height,
            border: UiRect::all(px(rim)),
            border_radius: BorderRadius::MAX,
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            ..default()
        },
        BackgroundColor(LAMP_OFF),
        BorderColor::all(LAMP_RIM),
    )
}

/// A whole page of the design size: a column on the background, `padding` (x, y) round it and
/// `gap` between its rows. With a camera to draw it.
pub fn page(padding: Vec2, gap: f32) -> impl Bundle {
    (
        Node {
            width: px(DESIGN_SIZE.x),
            height: px(DESIGN_SIZE.y),
            flex_direction: FlexDirection::Column,
            padding: UiRect::axes(px(padding.x), px(padding.y)),
            row_gap: px(gap),
            ..default()
        },
        BackgroundColor(BACKGROUND),
    )
}

/// The camera a page is drawn by.
pub fn page_camera() -> impl Bundle {
    (Camera2d, Msaa::Off)
}
