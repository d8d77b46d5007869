//! A small RGBA canvas for the panel's CPU-drawn instruments (dials, plots, the network view).

use bevy::asset::RenderAssetUsages;
use bevy::image::ImageSampler;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

use crate::data::GrayImage;

/// Pixels `rgba[(y * width + x) * 4..]`, sRGB with straight alpha.
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl Raster {
    pub fn new(width: u32, height: u32, background: [u8; 4]) -> Self {
        Self {
            width,
            height,
            rgba: background.repeat((width * height) as usize),
        }
    }

    pub fn clear(&mut self, background: [u8; 4]) {
        for pixel in self.rgba.chunks_exact_mut(4) {
            pixel.copy_from_slice(&background);
        }
    }

    /// Blends `color` into pixel (x, y) with coverage `alpha` in 0..1.
    pub fn blend(&mut self, x: i32, y: i32, color: [u8; 4], alpha: f32) {
        if x < 0 || y < 0 || x >= self.width as i32 || y >= self.height as i32 {
            return;
        }
        let a = alpha.clamp(0.0, 1.0) * color[3] as f32 / 255.0;
        let at = ((y as u32 * self.width + x as u32) * 4) as usize;
        for (channel, &target) in self.rgba[at..at + 3].iter_mut().zip(&color[..3]) {
            let old = *channel as f32;
            *channel = (old + (target as f32 - old) * a).round() as u8;
        }
        self.rgba[at + 3] = self.rgba[at + 3].max((a * 255.0) as u8);
    }

    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: [u8; 4]) {
        let (x0, y0) = (x.round() as i32, y.round() as i32);
        let (x1, y1) = ((x + w).round() as i32, (y + h).round() as i32);
        for py in y0..y1 {
            for px in x0..x1 {
                self.blend(px, py, color, 1.0);
            }
        }
    }

    /// A filled disc with an anti-aliased edge.
    pub fn disc(&mut self, cx: f32, cy: f32, r: f32, color: [u8; 4]) {
        self.ring(cx, cy, r, r, color);
    }

    /// A ring of outer radius `r` and width `width` (a disc when `width >= r`).
    pub fn ring(&mut self, cx: f32, cy: f32, r: f32, width: f32, color: [u8; 4]) {
        let inner = (r - width).max(0.0);
        for py in (cy - r - 1.0).floor() as i32..=(cy + r + 1.0).ceil() as i32 {
            for px in (cx - r - 1.0).floor() as i32..=(cx + r + 1.0).ceil() as i32 {
                let d = ((px as f32 + 0.5 - cx).powi(2) + (py as f32 + 0.5 - cy).powi(2)).sqrt();
                let outside = (d - r + 0.5).clamp(0.0, 1.0);
                let inside = if width >= r {
                    0.0
                } else {
                    (inner - d + 0.5).clamp(0.0, 1.0)
                };
                let coverage = 1.0 - outside - inside;
                if coverage > 0.0 {
                    self.blend(px, py, color, coverage);
                }
            }
        }
    }

    /// A line of `width` pixels with round ends, anti-aliased.
    pub fn line(&mut self, from: Vec2, to: Vec2, width: f32, color: [u8; 4]) {
        let half = width / 2.0;
        let (lo, hi) = (from.min(to) - half - 1.0, from.max(to) + half + 1.0);
        let along = to - from;
        let length_sq = along.length_squared().max(1e-6);
        for py in lo.y.floor() as i32..=hi.y.ceil() as i32 {
            for px in lo.x.floor() as i32..=hi.x.ceil() as i32 {
                let p = Vec2::new(px as f32 + 0.5, py as f32 + 0.5);
                let t = ((p - from).dot(along) / length_sq).clamp(0.0, 1.0);
                let d = p.distance(from + along * t);
                let coverage = (half - d + 0.5).clamp(0.0, 1.0);
                if coverage > 0.0 {
                    self.blend(px, py, color, coverage);
                }
            }
        }
    }

    /// A polyline, solid or dashed (`dash` pixels on, `dash` off).
    pub fn polyline(&mut self, points: &[Vec2], width: f32, color: [u8; 4], dash: Option<f32>) {
        let mut travelled = 0.0;
        for pair in points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let length = a.distance(b);
            match dash {
                None => self.line(a, b, width, color),
                Some(dash) => {
                    let mut s = 0.0;
                    while s < length {
                        let phase = (travelled + s) % (2.0 * dash);
                        let run = if phase < dash {
                            dash - phase
                        } else {
                            2.0 * dash - phase
                        };
                        let e = (s + run).min(length);
                        if phase < dash {
                            self.line(a.lerp(b, s / length), a.lerp(b, e / length), width, color);
                        }
                        s = e + 1e-3;
                    }
                }
            }
            travelled += length;
        }
    }

    /// Copies a grayscale picture into the rectangle (x, y, w, h), nearest neighbour.
    pub fn picture(&mut self, image: &GrayImage, x: f32, y: f32, w: f32, h: f32) {
        if image.width == 0 || image.height == 0 {
            return;
        }
        for py in 0..h.round() as i32 {
            for px in 0..w.round() as i32 {
                let sx = ((px as f32 + 0.5) / w * image.width as f32) as u32;
                let sy = ((py as f32 + 0.5) / h * image.height as f32) as u32;
                let v = image.get(sx.min(image.width - 1), sy.min(image.height - 1));
                self.blend(x as i32 + px, y as i32 + py, [v, v, v, 255], 1.0);
            }
        }
    }

    /// A texture of this canvas, sampled without blurring.
    pub fn to_image(&self) -> Image {
        let mut image = Image::new(
            Extent3d {
                width: self.width,
                height: self.height,
                depth_or_array_layers: 1,
            },
            TextureDimension::D2,
            self.rgba.clone(),
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::RENDER_WORLD | RenderAssetUsages::MAIN_WORLD,
        );
        image.sampler = ImageSampler::linear();
        image
    }

    /// Writes this canvas over `image` (same size) in place.
    pub fn store(&self, image: &mut Image) {
        if let Some(data) = &mut image.data
            && data.len() == self.rgba.len()
        {
            data.copy_from_slice(&self.rgba);
        } else {
            *image = self.to_image();
        }
    }
}

/// A grayscale picture as a texture, its pixels sharp.
pub fn picture_image(picture: &GrayImage) -> Image {
    let mut raster = Raster::new(picture.width.max(1), picture.height.max(1), [0, 0, 0, 255]);
    raster.picture(
        picture,
        0.0,
        0.0,
        picture.width as f32,
        picture.height as f32,
    );
    let mut image = raster.to_image();
    image.sampler = ImageSampler::nearest();
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disc_covers_its_centre_and_not_its_corners() {
        let mut r = Raster::new(21, 21, [0, 0, 0, 255]);
        r.disc(10.5, 10.5, 8.0, [255, 255, 255, 255]);
        assert_eq!(&r.rgba[(10 * 21 + 10) * 4..][..3], &[255, 255, 255]);
        assert_eq!(&r.rgba[..3], &[0, 0, 0]);
    }

    #[test]
    fn a_dashed_line_leaves_gaps() {
        let mut r = Raster::new(40, 3, [0, 0, 0, 255]);
        r.polyline(
            &[Vec2::new(0.0, 1.5), Vec2::new(40.0, 1.5)],
            1.0,
            [255; 4],
            Some(5.0),
        );
        let row: Vec<u8> = (0..40).map(|x| r.rgba[(40 + x) * 4]).collect();
        assert!(row[2] > 200 && row[7] < 50 && row[12] > 200, "{row:?}");
    }
}
