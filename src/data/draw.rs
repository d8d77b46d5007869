//! A small ink canvas for generated cards: antialiased figures and letters from the shipped fonts.

use ab_glyph::{Font, FontRef, PxScale, point};

use super::GrayImage;

/// DejaVu Sans Bold: the first typeface of the letter experiments.
pub const TYPEFACE_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
/// DejaVu Serif Bold: the second typeface.
pub const TYPEFACE_SERIF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif-Bold.ttf");

/// Supersampling per axis when filling figures (4 x 4 = 16 samples per pixel).
const SUPERSAMPLE: u32 = 4;

/// Ink coverage in [0, 1] per pixel, row-major; printed as dark ink on white paper.
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    ink: Vec<f32>,
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            ink: vec![0.0; (width * height) as usize],
        }
    }

    /// Adds `coverage` of ink at pixel (x, y), saturating at full ink; outside pixels are ignored.
    pub fn add(&mut self, x: i32, y: i32, coverage: f32) {
        if x >= 0 && y >= 0 && (x as u32) < self.width && (y as u32) < self.height {
            let cell = &mut self.ink[(y as u32 * self.width + x as u32) as usize];
            *cell = (*cell + coverage).min(1.0);
        }
    }

    /// Fills every pixel by the fraction of its area where `inside(x, y)` holds
    /// (coordinates in pixels, pixel centres at k + 0.5).
    pub fn fill(&mut self, inside: impl Fn(f32, f32) -> bool) {
        let step = 1.0 / SUPERSAMPLE as f32;
        for y in 0..self.height {
            for x in 0..self.width {
                let mut hits = 0;
                for sy in 0..SUPERSAMPLE {
                    for sx in 0..SUPERSAMPLE {
                        let px = x as f32 + (sx as f32 + 0.5) * step;
                        let py = y as f32 + (sy as f32 + 0.5) * step;
                        hits += inside(px, py) as u32;
                    }
                }
                if hits > 0 {
                    self.add(
                        x as i32,
                        y as i32,
                        hits as f32 / (SUPERSAMPLE * SUPERSAMPLE) as f32,
                    );
                }
            }
        }
    }

    /// Inks whole cell (x, y).
    pub fn set_cell(&mut self, x: i32, y: i32) {
        self.add(x, y, 1.0);
    }

    /// Draws `letter` from `typeface` with its bounding box centred on (cx, cy) and its
    /// capital height about `cap_height` pixels. Returns false when the font has no such glyph.
    pub fn letter(
        &mut self,
        typeface: &[u8],
        letter: char,
        cx: f32,
        cy: f32,
        cap_height: f32,
    ) -> bool {
        let Ok(font) = FontRef::try_from_slice(typeface) else {
            return false;
        };
        // Scale so that this typeface's capital H is `cap_height` pixels tall.
        let probe_scale = PxScale::from(100.0);
        let reference = font
            .outline_glyph(
                font.glyph_id('H')
                    .with_scale_and_position(probe_scale, point(0.0, 0.0)),
            )
            .map(|h| h.px_bounds().height())
            .filter(|&h| h > 0.0)
            .unwrap_or(70.0);
        let scale = PxScale::from(100.0 * cap_height / reference);
        let id = font.glyph_id(letter);
        let probe = id.with_scale_and_position(scale, point(0.0, 0.0));
        let Some(outline) = font.outline_glyph(probe) else {
            return false;
        };
        let bounds = outline.px_bounds();
        let origin = point(
            cx - (bounds.min.x + bounds.max.x) / 2.0,
            cy - (bounds.min.y + bounds.max.y) / 2.0,
        );
        let Some(outline) = font.outline_glyph(id.with_scale_and_position(scale, origin)) else {
            return false;
        };
        let min = outline.px_bounds().min;
        outline.draw(|x, y, coverage| {
            self.add(min.x as i32 + x as i32, min.y as i32 + y as i32, coverage);
        });
        true
    }

    /// The card as luminance: ink is dark (0), paper white (255).
    pub fn into_image(self) -> GrayImage {
        GrayImage {
            width: self.width,
            height: self.height,
            pixels: self
                .ink
                .iter()
                .map(|&ink| (255.0 * (1.0 - ink)).round() as u8)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filling_a_half_plane_covers_half_a_straddled_pixel() {
        let mut canvas = Canvas::new(2, 1);
        canvas.fill(|x, _| x < 1.5);
        let image = canvas.into_image();
        assert_eq!(image.pixels, vec![0, 128]);
    }

    #[test]
    fn letters_land_centred_with_the_requested_height() {
        for typeface in [TYPEFACE_SANS, TYPEFACE_SERIF] {
            let mut canvas = Canvas::new(40, 40);
            assert!(canvas.letter(typeface, 'E', 20.0, 20.0, 24.0));
            let image = canvas.into_image();
            let inked: Vec<(u32, u32)> = (0..40)
                .flat_map(|y| (0..40).map(move |x| (x, y)))
                .filter(|&(x, y)| image.get(x, y) < 128)
                .collect();
            let rows: Vec<u32> = inked.iter().map(|p| p.1).collect();
            let cols: Vec<u32> = inked.iter().map(|p| p.0).collect();
            let height = rows.iter().max().unwrap() - rows.iter().min().unwrap() + 1;
            let centre_x = (cols.iter().max().unwrap() + cols.iter().min().unwrap()) as f32 / 2.0;
            assert!((22..=26).contains(&height), "cap height {height}");
            assert!((centre_x - 19.5).abs() <= 1.0, "centre {centre_x}");
        }
    }
}
