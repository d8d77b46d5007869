//! Sensing an image at most 32 pixels across (MNIST's 28 among them) on AVX-512: a source
//! row's ink as two vectors, and each cell's spans picked out of them by a lane permute.
//!
//! The arithmetic is [`super::RetinaConfig::sense_with`]'s, in its order: each cell sums its
//! padded column spans from 0 in order, then its row spans likewise, multiplies and adds kept
//! apart, then scales by its area and clamps. So the cells are the same to the bit; where the
//! processor lacks AVX-512, or the image is wider, the general path runs instead.

use pulp::x86::V4;
use pulp::{f32x16, u8x16, u32x16};

use super::{AxisSpans, Threshold, switch_photocells};
use crate::data::GrayImage;

/// Lanes in a vector of cells.
const LANES: usize = 16;

/// The widest source row taken: two vectors, which one permute picks from.
const MAX_ROW: usize = 2 * LANES;

/// The column spans as lanes: for each run of 16 cells along a row and each span slot, the
/// source pixel under every lane and its weight. A slot a cell does not fill, and a lane past
/// the row's last cell, weighs 0 on pixel 0, which adds nothing, as the padded spans do.
#[derive(Clone, Debug)]
pub(super) struct ColumnLanes {
    simd: V4,
    /// `pixels[run * slots + slot]`: indices into the row's 32 lanes of ink.
    pixels: Vec<u32x16>,
    weights: Vec<f32x16>,
    slots: usize,
    runs: usize,
    /// Cells along a row.
    across: usize,
    /// Each source row's cell sums, `runs` vectors a row.
    row_sums: Vec<f32x16>,
}

impl ColumnLanes {
    /// Lanes for rows `source_width` pixels wide onto `cells` cells with these column spans;
    /// `None` for a wider row or a processor without AVX-512.
    pub(super) fn new(source_width: usize, columns: &AxisSpans, cells: usize) -> Option<Self> {
        if source_width > MAX_ROW {
            return None;
        }
        let simd = V4::try_new()?;
        let slots = columns.width;
        let runs = cells.div_ceil(LANES);
        let mut pixels = vec![[0u32; LANES]; runs * slots];
        let mut weights = vec![[0.0f32; LANES]; runs * slots];
        for (cell, spans) in columns.padded.chunks_exact(slots.max(1)).enumerate() {
            for (slot, &(pixel, weight)) in spans.iter().enumerate() {
                pixels[cell / LANES * slots + slot][cell % LANES] = pixel;
                weights[cell / LANES * slots + slot][cell % LANES] = weight;
            }
        }
        Some(Self {
            simd,
            pixels: pixels.into_iter().map(pulp::cast).collect(),
            weights: weights.into_iter().map(pulp::cast).collect(),
            slots,
            runs,
            across: cells,
            row_sums: Vec::new(),
        })
    }

    /// Each cell's ink, into `cells` (`rows`' cells down): the image read as ink, resampled,
    /// scaled by `area`; then, for binary photocells, switched at `switch`.
    pub(super) fn sense(
        &mut self,
        image: &GrayImage,
        dark_figure: bool,
        rows: &AxisSpans,
        area: f32,
        switch: Option<Threshold>,
        cells: &mut [f32],
    ) {
        let simd = self.simd;
        simd.vectorize(
            #[inline(always)]
            || {
                self.reduce_rows(&image.pixels, image.width as usize, dark_figure);
                self.reduce_columns(rows, area, cells);
                if let Some(threshold) = switch {
                    switch_photocells(threshold, cells);
                }
            },
        );
    }

    /// First pass: each source row's ink reduced onto the cell columns, into `row_sums`.
    #[inline(always)]
    fn reduce_rows(&mut self, pixels: &[u8], source_width: usize, dark_figure: bool) {
        let simd = self.simd;
        let one = simd.splat_f32x16(1.0);
        let ink = |values: u8x16| {
            let luminance = luminance(simd, values);
            if dark_figure {
                simd.sub_f32x16(one, luminance)
            } else {
                luminance
            }
        };
        self.row_sums.clear();
        let mut last_row = [0u8; MAX_ROW];
        // whole rows only, as the general path's `chunks_exact` takes them
        let whole_rows = pixels.len() / source_width * source_width;
        for start in (0..whole_rows).step_by(source_width) {
            // a row with the next one's pixels after it (never picked) is read in place;
            // the last rows, copied out
            let row: [u8; MAX_ROW] = match pixels.get(start..start + MAX_ROW) {
                Some(row) => row.try_into().expect("MAX_ROW pixels"),
                None => {
                    last_row[..source_width].copy_from_slice(&pixels[start..start + source_width]);
                    last_row
                }
            };
            let [low, high]: [u8x16; 2] = pulp::cast(row);
            let (low, high) = (pulp::cast(ink(low)), pulp::cast(ink(high)));
            for run in 0..self.runs {
                let mut sum = simd.splat_f32x16(0.0);
                for slot in run * self.slots..(run + 1) * self.slots {
                    let picked = simd.avx512f._mm512_permutex2var_ps(
                        low,
                        pulp::cast(self.pixels[slot]),
                        high,
                    );
                    let term = simd.mul_f32x16(self.weights[slot], pulp::cast(picked));
                    sum = simd.add_f32x16(sum, term);
                }
                self.row_sums.push(sum);
            }
        }
    }

    /// Second pass: each cell row sums its source rows' sums, a run of 16 cells at a time,
    /// scaled by the cell's area and clamped to [0, 1].
    #[inline(always)]
    fn reduce_columns(&self, rows: &AxisSpans, area: f32, cells: &mut [f32]) {
        let simd = self.simd;
        let (zero, one, area) = (
            simd.splat_f32x16(0.0),
            simd.splat_f32x16(1.0),
            simd.splat_f32x16(area),
        );
        let width = self.across;
        for (cell_row, out) in cells.chunks_exact_mut(width).enumerate() {
            for run in 0..self.runs {
                let mut sum = zero;
                for &(y, weight) in rows.spans(cell_row) {
                    let source = self.row_sums[y as usize * self.runs + run];
                    sum = simd.add_f32x16(sum, simd.mul_f32x16(simd.splat_f32x16(weight), source));
                }
                let clamped =
                    simd.min_f32x16(simd.max_f32x16(simd.mul_f32x16(sum, area), zero), one);
                let clamped: [f32; LANES] = pulp::cast(clamped);
                let start = run * LANES;
                let end = (start + LANES).min(width);
                out[start..end].copy_from_slice(&clamped[..end - start]);
            }
        }
    }
}

/// `value / 255` in each lane, rounded as the division is (so to the bit), without dividing:
/// the product with 1/255, then one Newton step on its residual, which fused multiply-adds
/// compute exactly.
#[inline(always)]
fn luminance(simd: V4, values: u8x16) -> f32x16 {
    let values = simd.convert_i32x16_to_f32x16(simd.convert_u8x16_to_i32x16(values));
    let (full, reciprocal) = (simd.splat_f32x16(255.0), simd.splat_f32x16(1.0 / 255.0));
    let guess = simd.mul_f32x16(values, reciprocal);
    let residual = simd.negate_mul_add_f32x16(guess, full, values);
    simd.mul_add_f32x16(residual, reciprocal, guess)
}
