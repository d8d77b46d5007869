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
        if alpha >= 1.0 && color[3] == 255 {
            // full coverage of an opaque colour: the colour itself
            let at = ((y as u32 * self.width + x as u32) * 4) as usize;
            self.rgba[at..at + 4].copy_from_slice(&color);
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
        let clamp_x = |v: f32| (v.round() as i64).clamp(0, self.width as i64) as usize;
        let clamp_y = |v: f32| (v.round() as i64).clamp(0, self.height as i64) as usize;
        let (x0, x1) = (clamp_x(x), clamp_x(x + w));
        let (y0, y1) = (clamp_y(y), clamp_y(y + h));
        if x1 <= x0 || y1 <= y0 {
            // empty, off the canvas, or of negative size: nothing to fill
            return;
        }
        if color[3] == 255 {
            // opaque: blending at full coverage is the colour itself
            for py in y0..y1 {
                let row = (py * self.width as usize) * 4;
                for pixel in self.rgba[row + x0 * 4..row + x1 * 4].chunks_exact_mut(4) {
                    pixel.copy_from_slice(&color);
                }
            }
            return;
        }
        for py in y0..y1 {
            for px in x0..x1 {
                self.blend(px as i32, py as i32, color, 1.0);
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

    /// A line of `width` pixels with round ends, anti-aliased. Only the band of pixels near
    /// the line is visited (along its longer axis), so long diagonal lines stay cheap.
    pub fn line(&mut self, from: Vec2, to: Vec2, width: f32, color: [u8; 4]) {
        let half = width / 2.0;
        let (lo, hi) = (from.min(to) - half - 1.0, from.max(to) + half + 1.0);
        let along = to - from;
        let length_sq = along.length_squared().max(1e-6);
        let mut cover = |px: i32, py: i32| {
            let p = Vec2::new(px as f32 + 0.5, py as f32 + 0.5);
            let t = ((p - from).dot(along) / length_sq).clamp(0.0, 1.0);
            let d = p.distance(from + along * t);
            let coverage = (half - d + 0.5).clamp(0.0, 1.0);
            if coverage > 0.0 {
                self.blend(px, py, color, coverage);
            }
        };
        // a pixel within half + 1 of the line lies within this far of it along the other axis
        let reach =
            |major: f32| ((half + 1.5) * along.length() / major.abs().max(1e-6)).max(half + 1.5);
        if along.y.abs() >= along.x.abs() {
            let span = reach(along.y);
            for py in lo.y.floor() as i32..=hi.y.ceil() as i32 {
                let x = from.x
                    + (py as f32 + 0.5 - from.y) * along.x
                        / along.y.abs().max(1e-6).copysign(along.y);
                let (x0, x1) = ((x - span).max(lo.x), (x + span).min(hi.x));
                for px in x0.floor() as i32..=x1.ceil() as i32 {
                    cover(px, py);
                }
            }
        } else {
            let span = reach(along.x);
            for px in lo.x.floor() as i32..=hi.x.ceil() as i32 {
                let y = from.y + (px as f32 + 0.5 - from.x) * along.y / along.x;
                let (y0, y1) = ((y - span).max(lo.y), (y + span).min(hi.y));
                for py in y0.floor() as i32..=y1.ceil() as i32 {
                    cover(px, py);
                }
            }
        }
    }

    /// A line with square ends, each pixel covered by the share of it (across the line) inside
    /// the line's band: no square roots, a few pixels per step along the line, for drawing
    /// thousands of lines a frame (the network diagram's links).
    pub fn band_line(&mut self, from: Vec2, to: Vec2, width: f32, color: [u8; 4]) {
        let steep = (to.y - from.y).abs() > (to.x - from.x).abs();
        let flip = |p: Vec2| if steep { Vec2::new(p.y, p.x) } else { p };
        let (a, b) = (flip(from), flip(to));
        let (a, b) = if a.x <= b.x { (a, b) } else { (b, a) };
        let run = b.x - a.x;
        if run < 1e-6 {
            return;
        }
        let slope = (b.y - a.y) / run;
        let half = width * (1.0 + slope * slope).sqrt() / 2.0;
        for major in a.x.floor() as i32..b.x.ceil() as i32 {
            let middle = major as f32 + 0.5;
            if middle < a.x || middle > b.x {
                continue;
            }
            let centre = a.y + (middle - a.x) * slope;
            let (low, high) = (centre - half, centre + half);
            for minor in low.floor() as i32..=high.floor() as i32 {
                let cover = high.min(minor as f32 + 1.0) - low.max(minor as f32);
                if cover > 0.0 {
                    let (x, y) = if steep {
                        (minor, major)
                    } else {
                        (major, minor)
                    };
                    self.blend(x, y, color, cover.min(1.0));
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
    fn a_line_covers_exactly_the_pixels_the_whole_box_scan_covers() {
        // the reference: every pixel of the bounding box, as lines were drawn before
        fn every_pixel(r: &mut Raster, from: Vec2, to: Vec2, width: f32) {
            let half = width / 2.0;
            let (lo, hi) = (from.min(to) - half - 1.0, from.max(to) + half + 1.0);
            let along = to - from;
            for py in lo.y.floor() as i32..=hi.y.ceil() as i32 {
                for px in lo.x.floor() as i32..=hi.x.ceil() as i32 {
                    let p = Vec2::new(px as f32 + 0.5, py as f32 + 0.5);
                    let t =
                        ((p - from).dot(along) / along.length_squared().max(1e-6)).clamp(0.0, 1.0);
                    let coverage = (half - p.distance(from + along * t) + 0.5).clamp(0.0, 1.0);
                    if coverage > 0.0 {
                        r.blend(px, py, [255; 4], coverage);
                    }
                }
            }
        }
        let lines = [
            ((3.0, 4.0), (57.0, 31.0), 1.0),
            ((50.0, 2.0), (7.5, 58.0), 6.0),
            ((10.0, 30.0), (50.0, 30.0), 3.0),
            ((30.0, 5.0), (30.0, 55.0), 2.5),
            ((20.0, 20.0), (20.0, 20.0), 4.0),
            ((59.0, 59.0), (1.0, 40.0), 0.7),
        ];
        for ((x0, y0), (x1, y1), width) in lines {
            let (from, to) = (Vec2::new(x0, y0), Vec2::new(x1, y1));
            let mut fast = Raster::new(60, 60, [0, 0, 0, 255]);
            let mut slow = Raster::new(60, 60, [0, 0, 0, 255]);
            fast.line(from, to, width, [255; 4]);
            every_pixel(&mut slow, from, to, width);
            assert!(fast.rgba == slow.rgba, "{from} to {to}, width {width}");
        }
    }

    #[test]
    fn an_opaque_rectangle_is_its_colour_and_a_clear_one_blends() {
        let mut r = Raster::new(8, 6, [10, 20, 30, 255]);
        // a rectangle of negative size or wholly off the canvas fills nothing
        let before = r.rgba.clone();
        r.fill_rect(8.0, 2.0, -5.0, 3.0, [200, 100, 0, 255]);
        r.fill_rect(2.0, 8.0, 3.0, -5.0, [200, 100, 0, 128]);
        r.fill_rect(40.0, 2.0, 3.0, 3.0, [200, 100, 0, 255]);
        assert_eq!(r.rgba, before);
        r.fill_rect(-3.0, 2.0, 6.0, 9.0, [200, 100, 0, 255]);
        r.fill_rect(5.0, 0.0, 10.0, 1.0, [0, 0, 255, 128]);
        let at = |x: usize, y: usize| r.rgba[(y * 8 + x) * 4..][..4].to_vec();
        assert_eq!(at(0, 2), [200, 100, 0, 255]);
        assert_eq!(at(2, 5), [200, 100, 0, 255]);
        assert_eq!(at(3, 2), [10, 20, 30, 255]);
        assert_eq!(at(0, 1), [10, 20, 30, 255]);
        // half-covered blue over the background: halfway there
        assert_eq!(at(6, 0), [5, 10, 143, 255]);
    }

    #[test]
    fn a_band_line_covers_its_width_across_its_length() {
        let white = [255; 4];
        let mut flat = Raster::new(30, 20, [0, 0, 0, 255]);
        flat.band_line(Vec2::new(2.0, 10.0), Vec2::new(22.0, 10.0), 3.0, white);
        let column: Vec<u8> = (0..20).map(|y| flat.rgba[(y * 30 + 12) * 4]).collect();
        // the band 8.5..11.5: rows 9 and 10 full, 8 and 11 half
        assert_eq!(&column[7..13], &[0, 128, 255, 255, 128, 0]);
        assert_eq!(flat.rgba[(10 * 30 + 25) * 4], 0, "nothing past the end");
        // a diagonal covers about its length times its width, whichever way it is drawn
        for (from, to) in [((3.0, 4.0), (43.0, 34.0)), ((40.0, 2.0), (10.0, 42.0))] {
            let mut r = Raster::new(50, 50, [0, 0, 0, 255]);
            let (from, to) = (Vec2::new(from.0, from.1), Vec2::new(to.0, to.1));
            r.band_line(from, to, 2.0, white);
            let covered: f32 = r.rgba.chunks_exact(4).map(|p| p[0] as f32 / 255.0).sum();
            let area = from.distance(to) * 2.0;
            assert!((covered - area).abs() < 0.05 * area, "{covered} vs {area}");
        }
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
