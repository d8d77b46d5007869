//! The retina of S-units: any image -> excitation of a W x H photocell grid (fit, polarity, threshold).

use serde::{Deserialize, Serialize};

use crate::data::GrayImage;
use crate::fields::FieldError;

#[cfg(target_arch = "x86_64")]
mod lanes;
#[cfg(not(target_arch = "x86_64"))]
mod lanes {
    //! No vector path off x86-64: the general one runs.
    use super::{AxisSpans, GrayImage, Threshold};

    #[derive(Clone, Debug)]
    pub(super) enum ColumnLanes {}

    impl ColumnLanes {
        pub(super) fn new(_: usize, _: &AxisSpans, _: usize) -> Option<Self> {
            None
        }

        pub(super) fn sense(
            &mut self,
            _: &GrayImage,
            _: bool,
            _: &AxisSpans,
            _: f32,
            _: Option<Threshold>,
            _: &mut [f32],
        ) {
            match *self {}
        }
    }
}

/// Which shade of the picture is the figure that lights the photocells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Polarity {
    /// Decide per image from its border: a light border means dark ink on paper.
    Auto,
    /// Dark ink on light paper (printed cards, scans).
    DarkFigure,
    /// Light figure on a dark ground (MNIST, transparencies).
    LightFigure,
}

/// Where a photocell switches on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Threshold {
    /// A cell fires when its ink coverage is at least this fraction in [0, 1].
    Fixed(f32),
    /// Otsu's threshold on each image's cell coverages (Otsu, IEEE Trans. SMC 9(1), 1979).
    Auto,
}

/// What an S-unit reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Excitation {
    /// Lit or dark: 1 or 0, as the Mark I's photocells drove their relays.
    Binary,
    /// The ink coverage itself, in [0, 1].
    Analog,
}

/// The photocell grid and how it reads an image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetinaConfig {
    /// Photocells across; the 1960 machine had 20.
    pub width: u32,
    /// Photocells down; the 1960 machine had 20.
    pub height: u32,
    pub polarity: Polarity,
    pub threshold: Threshold,
    pub excitation: Excitation,
}

impl Default for RetinaConfig {
    fn default() -> Self {
        Self {
            width: 20,
            height: 20,
            polarity: Polarity::Auto,
            threshold: Threshold::Auto,
            excitation: Excitation::Binary,
        }
    }
}

impl RetinaConfig {
    /// Number of S-units, `width * height`.
    pub fn cells(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// Checks the sizes and threshold, naming the field at fault.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.width == 0 || self.height == 0 {
            return Err(FieldError::at(
                "retina",
                format!("size {}x{} has no photocells", self.width, self.height),
            ));
        }
        if self.width > 1024 || self.height > 1024 {
            return Err(FieldError::at(
                "retina",
                format!("size {}x{} is over 1024 a side", self.width, self.height),
            ));
        }
        if let Threshold::Fixed(t) = self.threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(FieldError::at(
                "retina.threshold",
                format!("Fixed({t}) must lie in [0, 1]"),
            ));
        }
        Ok(())
    }

    /// S-unit excitation for `image`: `s[y * width + x]` in [0, 1] (0 or 1 when binary).
    ///
    /// The image is scaled by `k = min(W / w, H / h)` (aspect kept), centred, and each cell
    /// takes the area-weighted mean ink under it; cells beyond the image see blank paper.
    pub fn sense(&self, image: &GrayImage) -> Vec<f32> {
        let mut cells = vec![0.0; self.cells()];
        self.sense_into(image, &mut cells);
        cells
    }

    /// As [`sense`](Self::sense), writing into `cells` (length `width * height`).
    pub fn sense_into(&self, image: &GrayImage, cells: &mut [f32]) {
        self.sense_with(image, &mut SenseScratch::default(), cells);
    }

    /// As [`sense_into`](Self::sense_into), reusing `scratch` between images: the resampling
    /// spans are computed once per image size, and nothing is allocated per image.
    pub fn sense_with(&self, image: &GrayImage, scratch: &mut SenseScratch, cells: &mut [f32]) {
        debug_assert_eq!(cells.len(), self.cells());
        cells.fill(0.0);
        if image.width == 0 || image.height == 0 {
            return;
        }
        let dark_figure = match self.polarity {
            Polarity::DarkFigure => true,
            Polarity::LightFigure => false,
            Polarity::Auto => border_is_light(image),
        };
        let (w, h) = (image.width as usize, image.height as usize);
        let (cw, ch) = (self.width as usize, self.height as usize);
        scratch.fit(w, h, cw, ch);
        // the photocells' switching, where the vector path runs, compiled with it
        let switch = (self.excitation == Excitation::Binary).then_some(self.threshold);
        match &mut scratch.lanes {
            Some(lanes) => lanes.sense(
                image,
                dark_figure,
                &scratch.rows,
                scratch.area,
                switch,
                cells,
            ),
            None => {
                scratch.resample(image, dark_figure, cw, cells);
                if let Some(threshold) = switch {
                    switch_photocells(threshold, cells);
                }
            }
        }
    }
}

/// Each cell lit (1) where its ink reaches the threshold, Otsu's for `Auto`, and dark (0)
/// elsewhere; a cell with no ink stays dark whatever the threshold.
#[inline(always)]
fn switch_photocells(threshold: Threshold, cells: &mut [f32]) {
    let threshold = match threshold {
        Threshold::Fixed(t) => t,
        Threshold::Auto => otsu_threshold(cells),
    };
    for cell in cells.iter_mut() {
        *cell = if *cell >= threshold && *cell > 0.0 {
            1.0
        } else {
            0.0
        };
    }
}

/// Resampling spans along one axis: for cell c, `spans[offsets[c]..offsets[c + 1]]` lists the
/// source pixels under it and their overlap lengths.
#[derive(Clone, Debug, Default)]
pub struct AxisSpans {
    offsets: Vec<usize>,
    spans: Vec<(u32, f32)>,
    /// The most spans under one cell, and every cell's spans padded to that many with
    /// `(0, 0.0)`, which add nothing: loops of one fixed length.
    width: usize,
    padded: Vec<(u32, f32)>,
}

/// `out[c] = sum_k weight_k * source[pixel_k]` over cell c's `K` padded spans, in order.
fn reduce_fixed<const K: usize>(padded: &[(u32, f32)], source: &[f32], out: &mut [f32]) {
    for (sum_out, spans) in out.iter_mut().zip(padded.as_chunks::<K>().0) {
        let mut sum = 0.0;
        for &(x, weight) in spans {
            sum += weight * source[x as usize];
        }
        *sum_out = sum;
    }
}

impl AxisSpans {
    /// Each cell's weighted sum of `source` (one value per pixel along this axis) into `out`.
    fn reduce(&self, source: &[f32], out: &mut [f32]) {
        match self.width {
            0 => out.fill(0.0),
            1 => reduce_fixed::<1>(&self.padded, source, out),
            2 => reduce_fixed::<2>(&self.padded, source, out),
            3 => reduce_fixed::<3>(&self.padded, source, out),
            4 => reduce_fixed::<4>(&self.padded, source, out),
            width => {
                for (sum_out, spans) in out.iter_mut().zip(self.padded.chunks_exact(width)) {
                    let mut sum = 0.0;
                    for &(x, weight) in spans {
                        sum += weight * source[x as usize];
                    }
                    *sum_out = sum;
                }
            }
        }
    }

    /// Fills `width` and `padded` from the spans.
    fn pad(&mut self) {
        let cells = self.offsets.len() - 1;
        self.width = (0..cells).map(|c| self.spans(c).len()).max().unwrap_or(0);
        let mut padded = Vec::with_capacity(cells * self.width);
        for c in 0..cells {
            let spans = self.spans(c);
            padded.extend_from_slice(spans);
            padded.extend(std::iter::repeat_n((0, 0.0), self.width - spans.len()));
        }
        self.padded = padded;
    }

    fn spans(&self, cell: usize) -> &[(u32, f32)] {
        &self.spans[self.offsets[cell]..self.offsets[cell + 1]]
    }

    /// Spans for `cells` cells over a source of `pixels` scaled by `scale` and centred.
    fn compute(pixels: usize, cells: usize, scale: f64) -> Self {
        let offset = (cells as f64 - pixels as f64 * scale) / 2.0;
        let mut axis = AxisSpans {
            offsets: vec![0],
            ..AxisSpans::default()
        };
        for c in 0..cells {
            let start = ((c as f64 - offset) / scale).max(0.0);
            let end = ((c as f64 + 1.0 - offset) / scale).min(pixels as f64);
            if end > start {
                let first = start.floor() as usize;
                let last = (end.ceil() as usize).min(pixels);
                for p in first..last {
                    let overlap = (end.min(p as f64 + 1.0) - start.max(p as f64)).max(0.0);
                    if overlap > 0.0 {
                        axis.spans.push((p as u32, overlap as f32));
                    }
                }
            }
            axis.offsets.push(axis.spans.len());
        }
        axis.pad();
        axis
    }
}

/// Reusable buffers for [`RetinaConfig::sense_with`]: the spans of the last image size seen.
#[derive(Clone, Debug, Default)]
pub struct SenseScratch {
    /// (image width, image height, cells across, cells down) the spans were computed for.
    fitted: Option<(usize, usize, usize, usize)>,
    columns: AxisSpans,
    rows: AxisSpans,
    row_sums: Vec<f32>,
    ink: Vec<Vec<f32>>,
    /// One source row's ink, looked up once per pixel.
    ink_row: Vec<f32>,
    area: f32,
    /// The vector path, for rows it takes on a processor that has it.
    lanes: Option<lanes::ColumnLanes>,
}

impl SenseScratch {
    /// Each cell's ink before the threshold, into `cells` (`cells_across` a row): every source
    /// row reduced onto the cell columns, then the cell rows a whole row of cells at a time (each
    /// cell still sums its spans in order), divided by the cell's area in source pixels (1/k^2).
    fn resample(
        &mut self,
        image: &GrayImage,
        dark_figure: bool,
        cells_across: usize,
        cells: &mut [f32],
    ) {
        let (w, cw) = (image.width as usize, cells_across);
        let ink: &[f32; 256] = self.ink[usize::from(!dark_figure)]
            .as_slice()
            .try_into()
            .expect("a value per luminance");
        for (y, source) in image.pixels.chunks_exact(w).enumerate() {
            for (value, &pixel) in self.ink_row.iter_mut().zip(source) {
                *value = ink[pixel as usize];
            }
            self.columns
                .reduce(&self.ink_row, &mut self.row_sums[y * cw..(y + 1) * cw]);
        }
        for (cy, out) in cells.chunks_exact_mut(cw).enumerate() {
            for &(y, weight) in self.rows.spans(cy) {
                let source = &self.row_sums[y as usize * cw..(y as usize + 1) * cw];
                for (sum, &value) in out.iter_mut().zip(source) {
                    *sum += weight * value;
                }
            }
            for cell in out.iter_mut() {
                *cell = (*cell * self.area).clamp(0.0, 1.0);
            }
        }
    }

    fn fit(&mut self, w: usize, h: usize, cw: usize, ch: usize) {
        if self.fitted == Some((w, h, cw, ch)) {
            return;
        }
        let scale = (cw as f64 / w as f64).min(ch as f64 / h as f64);
        self.columns = AxisSpans::compute(w, cw, scale);
        self.rows = AxisSpans::compute(h, ch, scale);
        self.row_sums = vec![0.0; h * cw];
        // ink per luminance value: a dark figure's, then a light one's
        let luminance = |value: usize| value as f32 / 255.0;
        self.ink = vec![
            (0..256).map(|v| 1.0 - luminance(v)).collect(),
            (0..256).map(luminance).collect(),
        ];
        self.ink_row = vec![0.0; w];
        self.area = (scale * scale) as f32;
        self.lanes = lanes::ColumnLanes::new(w, &self.columns, cw);
        self.fitted = Some((w, h, cw, ch));
    }
}

/// Whether the mean luminance of the image's outermost pixels is light (so the figure is dark).
/// Only the border is walked: the top and bottom rows and the first and last pixel between.
pub fn border_is_light(image: &GrayImage) -> bool {
    let (w, h) = (image.width as usize, image.height as usize);
    if w == 0 || h == 0 {
        return false;
    }
    let pixels = &image.pixels;
    let row_sum = |y: usize| {
        pixels[y * w..(y + 1) * w]
            .iter()
            .map(|&v| v as u64)
            .sum::<u64>()
    };
    let (mut sum, mut count) = (row_sum(0), w as u64);
    if h > 1 {
        sum += row_sum(h - 1);
        count += w as u64;
    }
    for y in 1..h - 1 {
        sum += pixels[y * w] as u64;
        count += 1;
        if w > 1 {
            sum += pixels[y * w + w - 1] as u64;
            count += 1;
        }
    }
    sum * 2 > 255 * count
}

/// The least and greatest of `values` (`f32::MAX` and `f32::MIN` for none), kept as eight
/// running pairs: min and max give the same answer in any order, and eight chains need not
/// wait on one another, so they go a vector at a time.
#[inline(always)]
fn extremes(values: &[f32]) -> (f32, f32) {
    const CHAINS: usize = 8;
    let (mut low, mut high) = ([f32::MAX; CHAINS], [f32::MIN; CHAINS]);
    let (chunks, rest) = values.as_chunks::<CHAINS>();
    for chunk in chunks {
        for ((low, high), &v) in low.iter_mut().zip(&mut high).zip(chunk) {
            *low = low.min(v);
            *high = high.max(v);
        }
    }
    for &v in rest {
        low[0] = low[0].min(v);
        high[0] = high[0].max(v);
    }
    (
        low.into_iter().fold(f32::MAX, f32::min),
        high.into_iter().fold(f32::MIN, f32::max),
    )
}

/// How many of `values` fall in each of `BINS` equal bins over [0, 1] (below 0 and NaN in the
/// first, from 1 up in the last). A run of bins is worked out a vector at a time, and counted
/// into four tallies in turn, so that a run of equal values (blank paper) does not wait on its
/// own last count.
#[inline(always)]
fn histogram<const BINS: usize>(values: &[f32]) -> [u32; BINS] {
    const RUN: usize = 64;
    const TALLIES: usize = 4;
    let mut tallies = [[0u32; BINS]; TALLIES];
    let last = BINS as i32 - 1;
    for run in values.chunks(RUN) {
        let mut bins = [0u8; RUN];
        for (bin, &v) in bins.iter_mut().zip(run) {
            // `as i32` saturates, and takes NaN to 0
            *bin = ((v * BINS as f32) as i32).clamp(0, last) as u8;
        }
        let (quads, rest) = bins[..run.len()].as_chunks::<TALLIES>();
        for quad in quads {
            for (tally, &bin) in tallies.iter_mut().zip(quad) {
                tally[bin as usize] += 1;
            }
        }
        for &bin in rest {
            tallies[0][bin as usize] += 1;
        }
    }
    std::array::from_fn(|bin| tallies.iter().map(|tally| tally[bin]).sum())
}

/// Otsu's threshold over values in [0, 1] (64 bins): the cut that maximises the between-class
/// variance. A nearly uniform image (spread under 0.1) gets 0.5, so blank paper stays dark.
#[inline(always)]
pub fn otsu_threshold(values: &[f32]) -> f32 {
    const BINS: usize = 64;
    let (lo, hi) = extremes(values);
    if values.is_empty() || hi - lo < 0.1 {
        return 0.5;
    }
    let histogram = histogram::<BINS>(values);
    let total = values.len() as f64;
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut weight_low, mut sum_low) = (0.0, 0.0);
    let (mut best, mut best_cut) = (-1.0, BINS / 2);
    for (i, &n) in histogram.iter().enumerate().take(BINS - 1) {
        // an empty bin leaves both classes as they were, and so the same between-class
        // variance, which cannot beat the best strictly: nothing to weigh
        if n == 0 {
            continue;
        }
        weight_low += n as f64;
        sum_low += i as f64 * n as f64;
        let weight_high = total - weight_low;
        if weight_low == 0.0 || weight_high == 0.0 {
            continue;
        }
        let mean_low = sum_low / weight_low;
        let mean_high = (sum_all - sum_low) / weight_high;
        let between = weight_low * weight_high * (mean_low - mean_high).powi(2);
        if between > best {
            best = between;
            best_cut = i + 1;
        }
    }
    best_cut as f32 / BINS as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sensing arithmetic written plainly: each cell sums its spans in order, pass by pass.
    fn sensed_plainly(retina: &RetinaConfig, image: &GrayImage) -> Vec<f32> {
        let (w, h) = (image.width as usize, image.height as usize);
        let (cw, ch) = (retina.width as usize, retina.height as usize);
        let scale = (cw as f64 / w as f64).min(ch as f64 / h as f64);
        let (columns, rows) = (
            AxisSpans::compute(w, cw, scale),
            AxisSpans::compute(h, ch, scale),
        );
        let mut border = (0u64, 0u64);
        for y in 0..h {
            for x in 0..w {
                if x == 0 || y == 0 || x == w - 1 || y == h - 1 {
                    border = (border.0 + image.pixels[y * w + x] as u64, border.1 + 1);
                }
            }
        }
        let dark = match retina.polarity {
            Polarity::DarkFigure => true,
            Polarity::LightFigure => false,
            Polarity::Auto => border.0 * 2 > 255 * border.1,
        };
        let ink = |p: u8| {
            let l = p as f32 / 255.0;
            if dark { 1.0 - l } else { l }
        };
        let mut row_sums = vec![0.0f32; h * cw];
        for y in 0..h {
            for cx in 0..cw {
                let mut sum = 0.0;
                for &(x, wt) in columns.spans(cx) {
                    sum += wt * ink(image.pixels[y * w + x as usize]);
                }
                row_sums[y * cw + cx] = sum;
            }
        }
        let mut cells = vec![0.0f32; cw * ch];
        for cy in 0..ch {
            for cx in 0..cw {
                let mut sum = 0.0;
                for &(y, wt) in rows.spans(cy) {
                    sum += wt * row_sums[y as usize * cw + cx];
                }
                cells[cy * cw + cx] = (sum * (scale * scale) as f32).clamp(0.0, 1.0);
            }
        }
        cells
    }

    #[test]
    fn sensing_gives_exactly_the_plain_arithmetic_at_every_scale() {
        use crate::seeds::{Stream, rng_for};
        use rand::Rng;
        let mut rng = rng_for(11, Stream::Generator);
        let mut scratch = SenseScratch::default();
        let sizes = [
            (40, 40),
            (28, 28),
            (16, 16),
            (1, 1),
            (1, 9),
            (9, 1),
            (57, 13),
            (7, 30),
            (200, 150),
        ];
        let vectors = pulp::x86::V4::try_new().is_some();
        let retinas = [(20, 20), (37, 11), (8, 8)];
        for ((w, h), (cw, ch)) in sizes.into_iter().flat_map(|s| retinas.map(|r| (s, r))) {
            for polarity in [Polarity::Auto, Polarity::DarkFigure, Polarity::LightFigure] {
                let retina = RetinaConfig {
                    polarity,
                    ..config(cw, ch, Excitation::Analog)
                };
                // 16x16 holds every luminance once; the rest, at random
                let pixels = match (w, h) {
                    (16, 16) => (0..=255).collect(),
                    _ => (0..w * h).map(|_| rng.random::<u8>()).collect(),
                };
                let image = GrayImage {
                    width: w as u32,
                    height: h as u32,
                    pixels,
                };
                let mut cells = vec![0.0; retina.cells()];
                retina.sense_with(&image, &mut scratch, &mut cells);
                // rows up to 32 pixels go a vector at a time where the processor can
                assert_eq!(scratch.lanes.is_some(), vectors && w <= 32, "{w}x{h}");
                let plain = sensed_plainly(&retina, &image);
                let bits = |v: &[f32]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
                let case = format!("{w}x{h} onto {cw}x{ch}, {polarity:?}");
                assert_eq!(bits(&cells), bits(&plain), "{case}");
                assert!(cells.iter().any(|&c| c > 0.0), "{case}: all dark");
            }
        }
    }

    fn config(width: u32, height: u32, excitation: Excitation) -> RetinaConfig {
        RetinaConfig {
            width,
            height,
            excitation,
            ..Default::default()
        }
    }

    #[test]
    fn halving_averages_two_by_two_blocks() {
        // 4x4 light-on-dark image; the top-left 2x2 block is fully lit, one more pixel at (3, 3).
        let mut image = GrayImage::filled(4, 4, 0);
        for (x, y) in [(0, 0), (1, 0), (0, 1), (1, 1), (3, 3)] {
            image.set(x, y, 255);
        }
        let retina = RetinaConfig {
            polarity: Polarity::LightFigure,
            ..config(2, 2, Excitation::Analog)
        };
        let s = retina.sense(&image);
        assert_eq!(s, vec![1.0, 0.0, 0.0, 0.25]);
    }

    #[test]
    fn wide_image_is_centred_with_blank_bands_above_and_below() {
        // An 8x4 all-ink card on a 4x4 retina: scale 1/2, fitted to 4x2, one blank row each side.
        let image = GrayImage::filled(8, 4, 0);
        let retina = RetinaConfig {
            polarity: Polarity::DarkFigure,
            ..config(4, 4, Excitation::Analog)
        };
        let s = retina.sense(&image);
        assert_eq!(&s[0..4], &[0.0; 4]);
        assert_eq!(&s[4..12], &[1.0; 8]);
        assert_eq!(&s[12..16], &[0.0; 4]);
    }

    #[test]
    fn upscaling_splits_pixels_across_cells() {
        // 2x1 image onto 3x1 cells... scale is min(3/2, 1/1) = 1, so the 2x1 image sits centred
        // in 3 cells with offset 0.5: cells see [0.5 of p0], [0.5 p0 + 0.5 p1], [0.5 of p1].
        let mut image = GrayImage::filled(2, 1, 0);
        image.set(0, 0, 255);
        let retina = RetinaConfig {
            polarity: Polarity::LightFigure,
            ..config(3, 1, Excitation::Analog)
        };
        assert_eq!(retina.sense(&image), vec![0.5, 0.5, 0.0]);
    }

    #[test]
    fn auto_polarity_reads_ink_on_paper_and_light_on_dark_alike() {
        let mut paper = GrayImage::filled(6, 6, 255);
        let mut film = GrayImage::filled(6, 6, 0);
        for y in 2..4 {
            for x in 2..4 {
                paper.set(x, y, 0);
                film.set(x, y, 255);
            }
        }
        let retina = config(6, 6, Excitation::Binary);
        let a = retina.sense(&paper);
        assert_eq!(a, retina.sense(&film));
        assert_eq!(a.iter().sum::<f32>(), 4.0);
        assert_eq!(a[2 * 6 + 2], 1.0);
    }

    #[test]
    fn fixed_threshold_cuts_at_its_value() {
        let mut image = GrayImage::filled(3, 1, 0);
        image.set(0, 0, 100); // 0.39 ink
        image.set(1, 0, 140); // 0.55 ink
        image.set(2, 0, 255);
        let retina = RetinaConfig {
            polarity: Polarity::LightFigure,
            threshold: Threshold::Fixed(0.5),
            ..config(3, 1, Excitation::Binary)
        };
        assert_eq!(retina.sense(&image), vec![0.0, 1.0, 1.0]);
    }

    #[test]
    fn the_histogram_and_extremes_count_as_plainly_as_one_value_at_a_time() {
        use crate::seeds::{Stream, rng_for};
        use rand::Rng;
        let mut rng = rng_for(5, Stream::Generator);
        for length in [0, 1, 3, 4, 63, 64, 65, 400, 1001] {
            let mut values: Vec<f32> = (0..length).map(|_| rng.random_range(-0.2..1.3)).collect();
            // runs of blank paper, full ink, and the odd NaN
            for (i, v) in values.iter_mut().enumerate() {
                match i % 7 {
                    0 | 1 => *v = 0.0,
                    2 => *v = 1.0,
                    3 if i % 5 == 0 => *v = f32::NAN,
                    _ => {}
                }
            }
            let mut plain = [0u32; 64];
            for &v in &values {
                plain[((v * 64.0) as usize).min(63)] += 1;
            }
            assert_eq!(histogram::<64>(&values), plain, "{length} values");
            let plain = values
                .iter()
                .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            assert_eq!(extremes(&values), plain, "{length} values");
        }
    }

    #[test]
    fn otsu_splits_two_clusters_and_leaves_blank_images_dark() {
        let mut values = vec![0.1; 50];
        values.extend(vec![0.3; 50]);
        let t = otsu_threshold(&values);
        assert!(t > 0.1 && t <= 0.3, "{t}");
        let blank = GrayImage::filled(5, 5, 255);
        let retina = RetinaConfig {
            threshold: Threshold::Auto,
            ..config(5, 5, Excitation::Binary)
        };
        assert_eq!(retina.sense(&blank).iter().sum::<f32>(), 0.0);
    }

    #[test]
    fn validation_names_the_bad_field() {
        let bad = RetinaConfig {
            threshold: Threshold::Fixed(1.5),
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .message
                .contains("retina.threshold")
        );
        assert!(config(0, 5, Excitation::Binary).validate().is_err());
    }
}
