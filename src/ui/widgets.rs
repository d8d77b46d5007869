//! Small named widgets shared by every page: lamps, push buttons in two styles, and the page.

use bevy::ecs::spawn::SpawnableList;
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
            // the edge is drawn in pieces (see `thin_edge`), inside the padding's width
            padding: UiRect::horizontal(px(style.padding + style.border)),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            border_radius: BorderRadius::all(px(style.radius)),
            ..default()
        },
        BackgroundColor(BUTTON),
        Children::spawn((
            Spawn((
                localized_text(fonts, label, style.font_size, ENGRAVING, true),
                TextLayout::no_wrap(),
            )),
            edge_spawns(PANEL_EDGE, style.border, style.radius, [Color::NONE; 2]),
        )),
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

/// A lamp of a bank painted as one picture ([`super::lamp_bank::LampBank`] on the bank): a
/// [`lamp`]'s node, its face lit through [`super::lamp_bank::LampLight`].
pub fn bank_lamp(size: Option<f32>) -> impl Bundle {
    let (node, _, _) = lamp(size, 1.0);
    (node, super::lamp_bank::BankLamp)
}

/// A whole page of the design size: a column on the background, `padding` (x, y) round it and
/// `gap` between its rows. With a camera to draw it.
pub fn page(padding: Vec2, gap: f32) -> impl Bundle {
    // no background of its own: the window's clear colour is the background, and a full-page
    // node would be shaded again pixel by pixel on a software renderer
    Node {
        width: px(DESIGN_SIZE.x),
        height: px(DESIGN_SIZE.y),
        flex_direction: FlexDirection::Column,
        padding: UiRect::axes(px(padding.x), px(padding.y)),
        row_gap: px(gap),
        ..default()
    }
}

/// A thin rounded edge, `width` wide and `radius` round its corners, as pieces that cover only
/// the edge: four strips and four clipped corner arcs, to add as the children of a node with the
/// same rounded background and no border of its own. A border is drawn over the node's whole
/// area, which a software renderer (llvmpipe) shades pixel by pixel: 0.75 million pixels a
/// frame for the panel's frames, the pieces a few hundred.
pub fn thin_edge(color: Color, width: f32, radius: f32) -> impl Bundle {
    edge_pieces(color, width, radius, [Color::NONE; 2])
}

/// [`thin_edge`] for a frame standing on the ground ([`super::ground`]), whose own fill is the
/// camera's clear colour: each corner's window paints the ground outside the arc and the
/// frame's fill inside it, as a rounded background of its own would.
pub fn ground_frame_edge(color: Color, width: f32, radius: f32) -> impl Bundle {
    edge_pieces(color, width, radius, [BACKGROUND, PANEL])
}

/// The pieces of a thin edge; `[outside, inside]` the colours each corner's window paints
/// beyond and within the arc.
fn edge_pieces(color: Color, width: f32, radius: f32, corner_fills: [Color; 2]) -> impl Bundle {
    Children::spawn(edge_spawns(color, width, radius, corner_fills))
}

/// The eight pieces of a thin edge, to spawn among a node's other children.
fn edge_spawns(
    color: Color,
    width: f32,
    radius: f32,
    corner_fills: [Color; 2],
) -> impl SpawnableList<ChildOf> {
    let strip = |left, right, top, bottom, width, height| {
        Spawn((
            Node {
                position_type: PositionType::Absolute,
                left,
                right,
                top,
                bottom,
                width,
                height,
                ..default()
            },
            BackgroundColor(color),
        ))
    };
    let (r, edge, auto) = (px(radius), px(width), Val::Auto);
    (
        strip(r, r, px(0), auto, auto, edge),
        strip(r, r, auto, px(0), auto, edge),
        strip(px(0), auto, r, r, edge, auto),
        strip(auto, px(0), r, r, edge, auto),
        Spawn(corner_arc(color, width, radius, false, false, corner_fills)),
        Spawn(corner_arc(color, width, radius, true, false, corner_fills)),
        Spawn(corner_arc(color, width, radius, false, true, corner_fills)),
        Spawn(corner_arc(color, width, radius, true, true, corner_fills)),
    )
}

/// One corner of [`thin_edge`]: a `radius`-square window onto the matching quarter of a
/// rounded outline twice its size.
fn corner_arc(
    color: Color,
    width: f32,
    radius: f32,
    right: bool,
    bottom: bool,
    [outside, inside]: [Color; 2],
) -> impl Bundle {
    let at = |far: bool| {
        if far {
            (Val::Auto, px(0))
        } else {
            (px(0), Val::Auto)
        }
    };
    let ((left, right), (top, bottom)) = (at(right), at(bottom));
    (
        Node {
            position_type: PositionType::Absolute,
            left,
            right,
            top,
            bottom,
            width: px(radius),
            height: px(radius),
            overflow: Overflow::clip(),
            ..default()
        },
        BackgroundColor(outside),
        children![(
            Node {
                position_type: PositionType::Absolute,
                left,
                right,
                top,
                bottom,
                width: px(2.0 * radius),
                height: px(2.0 * radius),
                border: UiRect::all(px(width)),
                border_radius: BorderRadius::all(px(radius)),
                ..default()
            },
            BackgroundColor(inside),
            BorderColor::all(color),
        )],
    )
}

/// The camera a page is drawn by.
pub fn page_camera() -> impl Bundle {
    (Camera2d, Msaa::Off)
}
