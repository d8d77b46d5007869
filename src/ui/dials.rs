//! The dial widget: a bank of round meters painted into a raster, the faces once and the
//! needles over them each time the readings change.

use bevy::prelude::*;

use super::chart::RASTER_SCALE;
use super::palette::*;
use super::raster::Raster;

/// How far a needle turns from twelve o'clock at full scale, either way.
pub const NEEDLE_SWING: f32 = 0.75 * std::f32::consts::PI;

/// `count` dials in rows of `columns` across `size` layout pixels; one may be outlined.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dials {
    pub size: Vec2,
    pub columns: usize,
    pub count: usize,
    /// The dial drawn with the selection's rim.
    pub outlined: Option<usize>,
}

impl Dials {
    /// The distance between dial centres, in raster pixels.
    pub fn pitch(&self) -> f32 {
        self.size.x * RASTER_SCALE / self.columns as f32
    }

    pub fn radius(&self) -> f32 {
        self.pitch() * 0.44
    }

    /// The centre of dial `k`, in raster pixels.
    pub fn centre(&self, k: usize) -> Vec2 {
        let pitch = self.pitch();
        Vec2::new(
            (k % self.columns) as f32 * pitch + pitch / 2.0,
            (k / self.columns) as f32 * pitch + pitch / 2.0,
        )
    }

    /// The faces: disc, rim (the outlined dial's in the selection colour) and a zero mark at
    /// twelve o'clock.
    pub fn paint_faces(&self) -> Raster {
        let mut faces = Raster::new(
            (self.size.x * RASTER_SCALE) as u32,
            (self.size.y * RASTER_SCALE) as u32,
            rgba(PANEL),
        );
        let radius = self.radius();
        for k in 0..self.count {
            let centre = self.centre(k);
            let rim = if self.outlined == Some(k) {
                SELECTED
            } else {
                LAMP_RIM
            };
            faces.disc(centre.x, centre.y, radius, rgba(LAMP_OFF));
            faces.ring(
                centre.x,
                centre.y,
                radius,
                (radius * 0.14).max(1.5),
                rgba(rim),
            );
            faces.line(
                centre - Vec2::Y * radius * 0.95,
                centre - Vec2::Y * radius * 0.75,
                1.5,
                rgba(DIM_TEXT),
            );
        }
        faces
    }

    /// The needles over `faces`: reading `r` (a fraction of full scale, clamped to -1..1)
    /// turns dial k's needle `r * NEEDLE_SWING` from twelve o'clock, clockwise and amber when
    /// positive, anticlockwise and cyan when negative.
    pub fn paint_needles(&self, canvas: &mut Raster, faces: &Raster, readings: &[f32]) {
        canvas.rgba.copy_from_slice(&faces.rgba);
        let radius = self.radius();
        for (k, &r) in readings.iter().enumerate().take(self.count) {
            let centre = self.centre(k);
            let angle = r.clamp(-1.0, 1.0) * NEEDLE_SWING;
            let tip = centre + Vec2::new(angle.sin(), -angle.cos()) * radius * 0.8;
            let color = if r > 0.0 {
                LAMP_ON
            } else if r < 0.0 {
                COOL_LIGHT
            } else {
                DIM_TEXT
            };
            canvas.line(centre, tip, (radius * 0.22).max(1.5), rgba(color));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_positive_reading_turns_its_needle_clockwise_and_a_negative_one_anticlockwise() {
        let bank = Dials {
            size: Vec2::new(436.0, 124.0),
            columns: 16,
            count: 64,
            outlined: None,
        };
        let faces = bank.paint_faces();
        let mut canvas = Raster::new(faces.width, faces.height, rgba(PANEL));
        bank.paint_needles(&mut canvas, &faces, &[1.0, -1.0]);
        let colour_at = |p: Vec2| {
            let at = ((p.y as u32 * canvas.width + p.x as u32) * 4) as usize;
            canvas.rgba[at..at + 4].to_vec()
        };
        let tip = |k: usize, sign: f32| {
            let angle = sign * NEEDLE_SWING;
            bank.centre(k) + Vec2::new(angle.sin(), -angle.cos()) * bank.radius() * 0.6
        };
        assert_eq!(colour_at(tip(0, 1.0)), rgba(LAMP_ON).to_vec());
        assert_eq!(colour_at(tip(1, -1.0)), rgba(COOL_LIGHT).to_vec());
        assert_ne!(colour_at(tip(0, -1.0)), rgba(LAMP_ON).to_vec());
    }
}
