//! A computational graph on a lesson's page: each node a box with its formula, its forward
//! value and its partial derivative as far as the walk has shown them, the node the walk is at
//! lit, the edges painted behind. The boxes' places and the edges are pure functions.

use bevy::prelude::*;

use crate::lessons::{GRAPH_COLUMNS, GRAPH_ROWS, GraphNode, Shown};
use crate::ui::palette::*;
use crate::ui::raster::Raster;
use crate::ui::{UiFonts, text};

/// The graph's area on the page, layout pixels.
pub const GRAPH_AREA: Vec2 = Vec2::new(872.0, 300.0);
const BOX: Vec2 = Vec2::new(116.0, 94.0);

/// The top-left corner of the box at grid place `at` (column, row).
pub fn box_corner(at: (usize, usize)) -> Vec2 {
    let cell = Vec2::new(
        GRAPH_AREA.x / GRAPH_COLUMNS as f32,
        GRAPH_AREA.y / GRAPH_ROWS as f32,
    );
    Vec2::new(
        at.0 as f32 * cell.x + (cell.x - BOX.x) / 2.0,
        at.1 as f32 * cell.y + (cell.y - BOX.y) / 2.0,
    )
}

/// The edges, parent's right side to child's left side: lit where the child's value is shown.
pub fn paint_edges(nodes: &[GraphNode]) -> Raster {
    const SCALE: f32 = 2.0;
    let mut canvas = Raster::new(
        (GRAPH_AREA.x * SCALE) as u32,
        (GRAPH_AREA.y * SCALE) as u32,
        rgba(BACKGROUND),
    );
    for node in nodes {
        let to = box_corner(node.at) + Vec2::new(0.0, BOX.y / 2.0);
        for &parent in &node.parents {
            let from = box_corner(nodes[parent].at) + Vec2::new(BOX.x, BOX.y / 2.0);
            let color = match node.shown {
                Shown::Nothing => PANEL_EDGE,
                Shown::Value => ENGRAVING.with_alpha(0.7),
                Shown::Both => WARM,
            };
            canvas.line(from * SCALE, to * SCALE, 2.0 * SCALE, rgba(color));
        }
    }
    canvas
}

/// Up to four numbers of a node's value or derivative, then how many more.
pub fn numbers(values: &[f64]) -> String {
    const SHOWN: usize = 4;
    let mut words: Vec<String> = values
        .iter()
        .take(SHOWN)
        .map(|v| format!("{v:+.2}"))
        .collect();
    if values.len() > SHOWN {
        words.push(format!("…{}", values.len()));
    }
    words.join(" ")
}

/// Spawns the graph's edges and boxes into `area` (a node of [`GRAPH_AREA`]'s size).
pub fn spawn_graph(
    area: &mut ChildSpawnerCommands,
    nodes: &[GraphNode],
    current: Option<usize>,
    fonts: &UiFonts,
    edges: Handle<Image>,
) {
    area.spawn((
        ImageNode::new(edges),
        Node {
            position_type: PositionType::Absolute,
            width: px(GRAPH_AREA.x),
            height: px(GRAPH_AREA.y),
            ..default()
        },
    ));
    for (k, node) in nodes.iter().enumerate() {
        let corner = box_corner(node.at);
        let lit = current == Some(k);
        area.spawn((
            Node {
                position_type: PositionType::Absolute,
                left: px(corner.x),
                top: px(corner.y),
                width: px(BOX.x),
                height: px(BOX.y),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(px(5)),
                border: UiRect::all(px(if lit { 3 } else { 1 })),
                border_radius: BorderRadius::all(px(6)),
                overflow: Overflow::clip(),
                ..default()
            },
            BackgroundColor(PANEL),
            BorderColor::all(if lit { SELECTED } else { PANEL_EDGE }),
        ))
        .with_children(|b| {
            b.spawn(text(fonts, node.name, 17.0, ENGRAVING, true))
                .with_child((
                    TextSpan::new(format!("  {}", node.formula)),
                    fonts.face(false, 13.0),
                    TextColor(DIM_TEXT),
                ));
            let (value, adjoint) = match node.shown {
                Shown::Nothing => ("?".to_string(), String::new()),
                Shown::Value => (numbers(&node.value), String::new()),
                Shown::Both => (
                    numbers(&node.value),
                    format!("∂ℓ: {}", numbers(&node.adjoint)),
                ),
            };
            b.spawn(text(fonts, value, 12.0, LAMP_ON, false));
            b.spawn(text(fonts, adjoint, 12.0, WARM, false));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_fill_their_cells_and_numbers_stay_short() {
        assert_eq!(box_corner((0, 0)).x, (GRAPH_AREA.x / 7.0 - BOX.x) / 2.0);
        let last = box_corner((GRAPH_COLUMNS - 1, GRAPH_ROWS - 1)) + BOX;
        assert!(last.x <= GRAPH_AREA.x && last.y <= GRAPH_AREA.y, "{last}");
        assert_eq!(numbers(&[0.5, -0.25]), "+0.50 -0.25");
        assert_eq!(numbers(&[1.0; 12]), "+1.00 +1.00 +1.00 +1.00 …12");
    }
}
