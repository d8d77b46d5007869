//! The ground a page's instrument frames stand on, drawn only between the frames: the camera
//! clears the window to the frames' colour, which costs nothing, and a few strips of the
//! ground's colour fill what the frames leave. A software renderer (llvmpipe) shades every
//! pixel of every node it draws; the frames' fills were two thirds of the window, a frame.

use bevy::camera::ClearColorConfig;
use bevy::prelude::*;
use bevy::ui::UiSystems;

use super::palette::{BACKGROUND, PANEL};

/// An instrument frame on the ground: its fill is the camera's clear colour, and the ground
/// is left out under it.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct OnGround;

/// The ground: a node over the whole window, under everything, holding the strips.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Ground;

/// One strip of the ground between frames.
#[derive(Component, Clone, Copy, Debug, Default)]
struct GroundStrip;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PostUpdate, lay_ground.after(UiSystems::PostLayout));
}

/// The camera of a page whose frames stand [`OnGround`]: it clears to the frames' colour.
pub fn ground_camera() -> impl Bundle {
    (
        Camera2d,
        Camera {
            clear_color: ClearColorConfig::Custom(PANEL),
            ..default()
        },
        Msaa::Off,
    )
}

/// The ground's node: spawn one beside a page whose frames stand [`OnGround`].
pub fn ground() -> impl Bundle {
    (
        Ground,
        Node {
            position_type: PositionType::Absolute,
            left: px(0),
            top: px(0),
            width: percent(100),
            height: percent(100),
            ..default()
        },
        GlobalZIndex(i32::MIN),
        Pickable::IGNORE,
    )
}

/// The parts of `page` that no rectangle of `frames` covers, as disjoint rectangles: the page
/// cut into bands at every frame's top and bottom, each band into the spans between the frames
/// that cross it, and a span carried down while the next band has it too.
pub fn uncovered(page: Rect, frames: &[Rect]) -> Vec<Rect> {
    let frames: Vec<Rect> = frames
        .iter()
        .map(|f| f.intersect(page))
        .filter(|f| f.width() > 0.0 && f.height() > 0.0)
        .collect();
    let mut cuts: Vec<f32> = frames.iter().flat_map(|f| [f.min.y, f.max.y]).collect();
    cuts.extend([page.min.y, page.max.y]);
    cuts.sort_by(f32::total_cmp);
    cuts.dedup();
    let mut strips: Vec<Rect> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for band in cuts.windows(2) {
        let (top, bottom) = (band[0], band[1]);
        let mut across: Vec<(f32, f32)> = frames
            .iter()
            .filter(|f| f.min.y <= top && f.max.y >= bottom)
            .map(|f| (f.min.x, f.max.x))
            .collect();
        across.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut spans = Vec::new();
        let mut x = page.min.x;
        for (left, right) in across {
            if left > x {
                spans.push((x, left));
            }
            x = x.max(right);
        }
        if x < page.max.x {
            spans.push((x, page.max.x));
        }
        let mut still_open = Vec::new();
        for (left, right) in spans {
            let carried = open.iter().copied().find(|&k| {
                let s = strips[k];
                s.min.x == left && s.max.x == right && s.max.y == top
            });
            match carried {
                Some(k) => {
                    strips[k].max.y = bottom;
                    still_open.push(k);
                }
                None => {
                    still_open.push(strips.len());
                    strips.push(Rect::new(left, top, right, bottom));
                }
            }
        }
        open = still_open;
    }
    strips
}

/// Lays the ground's strips where the visible frames are not, when the frames have moved.
fn lay_ground(
    mut commands: Commands,
    grounds: Query<(Entity, &ComputedNode, &UiGlobalTransform, Option<&Children>), With<Ground>>,
    frames: Query<
        (
            &ComputedNode,
            &UiGlobalTransform,
            &InheritedVisibility,
            Option<&CalculatedClip>,
        ),
        With<OnGround>,
    >,
    mut strips: Query<&mut Node, With<GroundStrip>>,
    mut laid: Local<Vec<Rect>>,
) {
    let Ok((ground, ground_node, ground_at, children)) = grounds.single() else {
        return;
    };
    let frames: Vec<Rect> = frames
        .iter()
        .filter(|(_, _, visible, _)| visible.get())
        .map(|(node, at, _, clip)| {
            // a frame drawn only in part (an overflowing column clipped) leaves the ground
            // out only where it shows
            let whole = Rect::from_center_size(at.translation, node.size);
            clip.map_or(whole, |clip| whole.intersect(clip.clip))
        })
        .filter(|r| r.width() > 0.0 && r.height() > 0.0)
        .collect();
    let page = Rect::from_center_size(ground_at.translation, ground_node.size);
    let mut key = frames.clone();
    key.push(page);
    if *laid == key {
        return;
    }
    *laid = key;
    // physical pixels to the layout's own (UI scale and the window's scale factor undone)
    let to_layout = ground_node.inverse_scale_factor;
    let wanted = uncovered(page, &frames);
    let mut existing = children.map(|c| c.to_vec()).unwrap_or_default().into_iter();
    for strip in &wanted {
        let node = Node {
            position_type: PositionType::Absolute,
            left: px((strip.min.x - page.min.x) * to_layout),
            top: px((strip.min.y - page.min.y) * to_layout),
            width: px(strip.width() * to_layout),
            height: px(strip.height() * to_layout),
            ..default()
        };
        match existing.next() {
            Some(entity) => {
                if let Ok(mut old) = strips.get_mut(entity) {
                    *old = node;
                }
            }
            None => {
                commands.spawn((
                    GroundStrip,
                    node,
                    BackgroundColor(BACKGROUND),
                    Pickable::IGNORE,
                    ChildOf(ground),
                ));
            }
        }
    }
    for spare in existing {
        if let Ok(mut node) = strips.get_mut(spare) {
            node.display = Display::None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(rects: &[Rect]) -> f32 {
        rects.iter().map(|r| r.width() * r.height()).sum()
    }

    fn overlap(a: Rect, b: Rect) -> f32 {
        let i = a.intersect(b);
        i.width().max(0.0) * i.height().max(0.0)
    }

    #[test]
    fn the_ground_covers_exactly_what_the_frames_leave() {
        let page = Rect::new(0.0, 0.0, 100.0, 60.0);
        // two columns, the right one split in two, and a frame sticking out of the page
        let frames = [
            Rect::new(5.0, 10.0, 40.0, 55.0),
            Rect::new(45.0, 10.0, 95.0, 30.0),
            Rect::new(45.0, 35.0, 95.0, 55.0),
            Rect::new(90.0, 50.0, 130.0, 70.0),
        ];
        let ground = uncovered(page, &frames);
        let frames_area: f32 = 35.0 * 45.0 + 50.0 * 20.0 * 2.0 + 10.0 * 10.0 - 5.0 * 5.0;
        assert_eq!(area(&ground), 100.0 * 60.0 - frames_area);
        for (i, &a) in ground.iter().enumerate() {
            assert!(
                page.contains(a.min) && page.contains(a.max),
                "{a:?} off the page"
            );
            for &f in &frames {
                assert_eq!(overlap(a, f), 0.0, "{a:?} over the frame {f:?}");
            }
            for &b in &ground[i + 1..] {
                assert_eq!(overlap(a, b), 0.0, "{a:?} over {b:?}");
            }
        }
        // the strip above every frame is one, the page wide, and a few strips do the rest
        assert!(ground.contains(&Rect::new(0.0, 0.0, 100.0, 10.0)));
        assert!(ground.len() <= 12, "{} strips: {ground:?}", ground.len());
    }

    #[test]
    fn no_frames_leave_the_whole_page_and_a_full_frame_leaves_none() {
        let page = Rect::new(0.0, 0.0, 80.0, 40.0);
        assert_eq!(uncovered(page, &[]), vec![page]);
        assert!(uncovered(page, &[page]).is_empty());
        assert_eq!(
            uncovered(page, &[Rect::new(0.0, 0.0, 0.0, 40.0)]),
            vec![page]
        );
    }
}
