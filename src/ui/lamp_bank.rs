//! A bank of lamps drawn as one picture, the bank's own image, instead of a rounded node and a
//! border for every lamp. A software renderer (llvmpipe) shades every node pixel by pixel and a
//! border is a second quad over its node's whole area: 1,824 quads a frame for the panel's 912
//! lamps. The lamps stay entities and nodes (for layout, touch and their wiring marks, drawn
//! over the picture); only their light and rim are painted here, again when a light changes or
//! the lamps move.

use bevy::prelude::*;
use bevy::ui::UiSystems;

use super::palette::{LAMP_OFF, LAMP_RIM};
use super::raster::Raster;

/// A bank whose lamps are painted as one picture: put on the lamps' parent.
#[derive(Component, Clone, Debug, Default)]
#[require(ImageNode)]
pub struct LampBank {
    /// Each lamp's rectangle (physical pixels, from the bank's corner) and light as last
    /// painted, then the bank's size.
    painted: Vec<(Rect, [u8; 4])>,
}

/// A lamp of a [`LampBank`] bank: a node a rim's width of border round its face, painted by
/// the bank in the colour of its [`LampLight`].
#[derive(Component, Clone, Copy, Debug)]
#[require(LampLight)]
pub struct BankLamp;

/// The colour a bank lamp's face shows.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct LampLight(pub Color);

impl Default for LampLight {
    fn default() -> Self {
        Self(LAMP_OFF)
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PostUpdate, paint_banks.after(UiSystems::PostLayout));
}

/// Paints a bank again when a lamp's light changed or the lamps moved (or came or went).
fn paint_banks(
    mut banks: Query<(
        &mut LampBank,
        &mut ImageNode,
        &ComputedNode,
        &UiGlobalTransform,
        &Children,
    )>,
    lamps: Query<(&ComputedNode, &UiGlobalTransform, &LampLight), With<BankLamp>>,
    mut images: ResMut<Assets<Image>>,
) {
    for (mut bank, mut picture, node, at, children) in &mut banks {
        let corner = at.translation - node.size / 2.0;
        let mut painted: Vec<(Rect, [u8; 4])> = children
            .iter()
            .filter_map(|child| lamps.get(child).ok())
            .map(|(lamp, lamp_at, light)| {
                let rect = Rect::from_center_size(lamp_at.translation - corner, lamp.size);
                (rect, light.0.to_srgba().to_u8_array())
            })
            .collect();
        painted.push((Rect::from_corners(Vec2::ZERO, node.size), [0; 4]));
        if bank.painted == painted || node.size.min_element() < 1.0 {
            continue;
        }
        // a rim is one layout pixel, as a lamp's border was
        let rim_width = 1.0 / node.inverse_scale_factor;
        let raster = paint_lamps(&painted[..painted.len() - 1], node.size, rim_width);
        let fits = images
            .get(&picture.image)
            .is_some_and(|image| (image.width(), image.height()) == (raster.width, raster.height));
        if fits && let Some(mut image) = images.get_mut(&picture.image) {
            raster.store(&mut image);
        } else {
            picture.image = images.add(raster.to_image());
        }
        bank.painted = painted;
    }
}

/// A transparent picture of `size` with each of `lamps` as a round face of its light inside
/// a rim `width` wide.
pub fn paint_lamps(lamps: &[(Rect, [u8; 4])], size: Vec2, width: f32) -> Raster {
    let rim = LAMP_RIM.to_srgba().to_u8_array();
    let mut raster = Raster::new(
        size.x.round().max(1.0) as u32,
        size.y.round().max(1.0) as u32,
        [rim[0], rim[1], rim[2], 0],
    );
    for &(lamp, light) in lamps {
        let (centre, radius) = (lamp.center(), lamp.size().min_element() / 2.0);
        raster.disc(centre.x, centre.y, radius, light);
        raster.ring(centre.x, centre.y, radius, width, rim);
    }
    raster
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::palette::LAMP_ON;

    #[test]
    fn each_lamp_shows_its_light_inside_its_rim_and_the_gaps_stay_clear() {
        let on = LAMP_ON.to_srgba().to_u8_array();
        let off = LAMP_OFF.to_srgba().to_u8_array();
        let lamps = [
            (Rect::new(0.0, 0.0, 12.0, 12.0), on),
            (Rect::new(14.0, 0.0, 26.0, 12.0), off),
        ];
        let raster = paint_lamps(&lamps, Vec2::new(26.0, 12.0), 1.0);
        let pixel = |x: usize, y: usize| &raster.rgba[(y * 26 + x) * 4..][..4];
        let rim = LAMP_RIM.to_srgba().to_u8_array();
        // the leftmost pixel of each lamp, half way down, is rim; the centres show their
        // lights; the gap between the lamps and the corners are clear
        let near_rim = |p: &[u8]| p[..3].iter().zip(&rim).all(|(&a, &b)| a.abs_diff(b) <= 6);
        assert!(near_rim(pixel(0, 6)), "{:?}", pixel(0, 6));
        assert!(pixel(0, 6)[3] > 200, "{:?}", pixel(0, 6));
        assert!(near_rim(pixel(14, 6)), "{:?}", pixel(14, 6));
        assert_eq!(pixel(6, 6), &on);
        assert_eq!(pixel(20, 6), &off);
        assert_eq!(pixel(13, 6)[3], 0);
        assert_eq!(pixel(0, 0)[3], 0);
    }
}
