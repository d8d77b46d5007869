//! The rims of a bank of lamps drawn once, as one picture over the bank, instead of a border
//! on every lamp. A border is a second quad over its node's whole area, shaded pixel by pixel
//! on a software renderer (llvmpipe): 912 of them on the panel, every frame. The rims only
//! move when the layout does, and the picture is drawn again then.

use bevy::prelude::*;
use bevy::ui::UiSystems;

use super::palette::LAMP_RIM;
use super::raster::Raster;

/// A bank whose lamps' rims are drawn by one picture over it: put on the lamps' parent.
#[derive(Component, Clone, Debug, Default)]
pub struct LampRims {
    /// The lamps' rectangles (physical pixels, from the bank's corner) the picture was drawn
    /// for, and the bank's size last.
    laid: Vec<Rect>,
    overlay: Option<Entity>,
}

/// A lamp of a [`LampRims`] bank: a rim's width of border, left transparent.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct BankLamp;

/// The picture of a bank's rims.
#[derive(Component, Clone, Copy, Debug, Default)]
struct RimOverlay;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PostUpdate, draw_rims.after(UiSystems::PostLayout));
}

/// Where each lamp of a bank lies, from the bank's top-left corner, in physical pixels.
type LampQuery<'w, 's> =
    Query<'w, 's, (&'static ComputedNode, &'static UiGlobalTransform), With<BankLamp>>;

/// Draws a bank's rims again when its lamps have moved (or come or gone).
fn draw_rims(
    mut commands: Commands,
    mut banks: Query<(
        Entity,
        &mut LampRims,
        &ComputedNode,
        &UiGlobalTransform,
        &Children,
    )>,
    lamps: LampQuery,
    mut overlays: Query<&mut ImageNode, With<RimOverlay>>,
    mut images: ResMut<Assets<Image>>,
) {
    for (bank, mut rims, node, at, children) in &mut banks {
        let corner = at.translation - node.size / 2.0;
        let mut laid: Vec<Rect> = children
            .iter()
            .filter_map(|child| lamps.get(child).ok())
            .map(|(lamp, lamp_at)| Rect::from_center_size(lamp_at.translation - corner, lamp.size))
            .collect();
        laid.push(Rect::from_corners(Vec2::ZERO, node.size));
        if rims.laid == laid || node.size.min_element() < 1.0 {
            continue;
        }
        // a rim is one layout pixel, as a lamp's border was
        let rim_width = 1.0 / node.inverse_scale_factor;
        let picture = images.add(rim_picture(&laid[..laid.len() - 1], node.size, rim_width));
        rims.laid = laid;
        match rims.overlay.and_then(|e| overlays.get_mut(e).ok()) {
            Some(mut image) => image.image = picture,
            None => {
                let overlay = commands
                    .spawn((
                        RimOverlay,
                        ImageNode::new(picture),
                        Node {
                            position_type: PositionType::Absolute,
                            left: px(0),
                            top: px(0),
                            width: percent(100),
                            height: percent(100),
                            ..default()
                        },
                        ZIndex(1),
                        Pickable::IGNORE,
                        ChildOf(bank),
                    ))
                    .id();
                rims.overlay = Some(overlay);
            }
        }
    }
}

/// A transparent picture of `size` with a rim `width` wide round the circle in each of `lamps`.
pub fn rim_picture(lamps: &[Rect], size: Vec2, width: f32) -> Image {
    let rim = LAMP_RIM.to_srgba().to_u8_array();
    let mut raster = Raster::new(
        size.x.round() as u32,
        size.y.round() as u32,
        [rim[0], rim[1], rim[2], 0],
    );
    for lamp in lamps {
        let centre = lamp.center();
        raster.ring(
            centre.x,
            centre.y,
            lamp.size().min_element() / 2.0,
            width,
            rim,
        );
    }
    raster.to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lamp_gets_a_rim_and_its_face_stays_clear() {
        let lamps = [
            Rect::new(0.0, 0.0, 12.0, 12.0),
            Rect::new(14.0, 0.0, 26.0, 12.0),
        ];
        let image = rim_picture(&lamps, Vec2::new(26.0, 12.0), 1.0);
        let data = image.data.expect("pixels");
        let alpha = |x: usize, y: usize| data[(y * 26 + x) * 4 + 3];
        // the leftmost pixel of each rim, half way down, is rim; the centres are clear, and
        // so is the gap between the lamps
        assert!(alpha(0, 6) > 200, "{}", alpha(0, 6));
        assert!(alpha(14, 6) > 200, "{}", alpha(14, 6));
        assert_eq!(alpha(6, 6), 0);
        assert_eq!(alpha(20, 6), 0);
        assert_eq!(alpha(13, 6), 0);
        assert_eq!(&data[..3], &LAMP_RIM.to_srgba().to_u8_array()[..3]);
    }
}
