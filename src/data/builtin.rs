//! Generated image sets recreating the historical experiments and the Minsky–Papert failures.

use anyhow::{Result, bail};
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use super::draw::{Canvas, TYPEFACE_SANS, TYPEFACE_SERIF};
use super::{GrayImage, ImageSet};
use crate::seeds::MachineRng;

/// One generated set: its name after `builtin:`, what it recreates, and its default size.
pub struct BuiltinSet {
    pub name: &'static str,
    pub summary: &'static str,
    pub default_per_class: usize,
}

/// Every built-in set, in the order `mark1 train --help` lists them.
pub const BUILTIN_SETS: &[BuiltinSet] = &[
    BuiltinSet {
        name: "left-right",
        summary: "cards marked on the left or the right (IBM 704 demonstration, 1958)",
        default_per_class: 60,
    },
    BuiltinSet {
        name: "shapes",
        summary: "square, circle and diamond outlines at random position and size",
        default_per_class: 100,
    },
    BuiltinSet {
        name: "square-circle",
        summary: "square vs circle outlines at random position and size",
        default_per_class: 100,
    },
    BuiltinSet {
        name: "square-diamond",
        summary: "square vs diamond outlines at random position and size",
        default_per_class: 60,
    },
    BuiltinSet {
        name: "e-f",
        summary: "the letters E and F, shifted and scaled",
        default_per_class: 60,
    },
    BuiltinSet {
        name: "letters",
        summary: "A-Z in one typeface (DejaVu Sans Bold), slightly shifted and scaled",
        default_per_class: 20,
    },
    BuiltinSet {
        name: "letters-2fonts",
        summary: "A-Z in two typefaces (DejaVu Sans Bold and DejaVu Serif Bold), half each",
        default_per_class: 20,
    },
    BuiltinSet {
        name: "xor",
        summary: "XOR of two retina cells (Minsky-Papert: needs an A-unit seeing both)",
        default_per_class: 50,
    },
    BuiltinSet {
        name: "parity",
        summary: "parity of the lit cells in a 4x4 patch (Minsky-Papert: order 16)",
        default_per_class: 200,
    },
    BuiltinSet {
        name: "connectedness",
        summary: "one connected figure vs two separate pieces (Minsky-Papert)",
        default_per_class: 200,
    },
    BuiltinSet {
        name: "shift",
        summary: "X vs O trained centred, tested shifted (translation failure); own test set",
        default_per_class: 100,
    },
];

/// The canvas of the figure sets: 40 x 40 pixels, two per photocell of the 20 x 20 retina.
const CARD: u32 = 40;
/// The cell grid of the Minsky-Papert sets: one pixel per photocell.
const CELLS: u32 = 20;

/// A 64-bit mix (SplitMix64's finaliser), to give every sample its own generator.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The generator of sample `k` of `class`: independent of every other sample, so generation runs
/// in parallel and one set's size never changes another sample.
fn sample_rng(seed: u64, set: &str, part: u64, class: usize, k: usize) -> MachineRng {
    let mut h = mix(seed);
    for b in set.bytes() {
        h = mix(h ^ b as u64);
    }
    h = mix(h ^ part);
    h = mix(h ^ class as u64);
    h = mix(h ^ k as u64);
    MachineRng::seed_from_u64(h)
}

type Painter = fn(usize, usize, &mut MachineRng) -> GrayImage;

/// Renders `per_class` images of each class with `paint(class, k, rng)`.
fn render(
    set: &str,
    part: u64,
    seed: u64,
    classes: &[&str],
    per_class: usize,
    paint: Painter,
) -> ImageSet {
    let jobs: Vec<(usize, usize)> = (0..classes.len())
        .flat_map(|c| (0..per_class).map(move |k| (c, k)))
        .collect();
    let images = jobs
        .par_iter()
        .map(|&(c, k)| paint(c, k, &mut sample_rng(seed, set, part, c, k)))
        .collect();
    ImageSet {
        classes: classes.iter().map(|s| s.to_string()).collect(),
        images,
        labels: jobs.iter().map(|&(c, _)| c as u16).collect(),
        files: Vec::new(),
    }
}

/// Names of all built-in sets, comma-separated, for messages.
pub fn names() -> String {
    BUILTIN_SETS
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Most images per class a built-in set generates.
pub const MAX_PER_CLASS: usize = 50_000;

/// Generates `builtin:NAME` for `seed`: the training images and, for `shift`, its own test set.
pub fn generate(
    name: &str,
    seed: u64,
    per_class: Option<usize>,
) -> Result<(ImageSet, Option<ImageSet>)> {
    let Some(spec) = BUILTIN_SETS.iter().find(|s| s.name == name) else {
        if super::plane::Arrangement::named(name).is_some() {
            bail!(
                "builtin:{name}: points in the plane, not images: train them with a playground scene (mark1 train --scene scenes/playground.ron --data builtin:{name})"
            );
        }
        bail!("builtin:{name}: no such built-in set (have: {})", names());
    };
    let n = per_class.unwrap_or(spec.default_per_class);
    if n == 0 || n > MAX_PER_CLASS {
        bail!("builtin:{name}: {n} images per class asked for; give 1..={MAX_PER_CLASS}");
    }
    let alphabet: Vec<String> = ('A'..='Z').map(String::from).collect();
    let alphabet: Vec<&str> = alphabet.iter().map(String::as_str).collect();
    let set = match name {
        "left-right" => render(name, 0, seed, &["left", "right"], n, paint_left_right),
        "shapes" => render(
            name,
            0,
            seed,
            &["square", "circle", "diamond"],
            n,
            paint_shape,
        ),
        "square-circle" => render(name, 0, seed, &["square", "circle"], n, paint_shape),
        "square-diamond" => render(name, 0, seed, &["square", "diamond"], n, |c, k, rng| {
            paint_shape(if c == 0 { 0 } else { 2 }, k, rng)
        }),
        "e-f" => render(name, 0, seed, &["E", "F"], n, paint_e_or_f),
        "letters" => render(name, 0, seed, &alphabet, n, |c, _, rng| {
            paint_letter(TYPEFACE_SANS, c, rng)
        }),
        "letters-2fonts" => render(name, 0, seed, &alphabet, n, |c, k, rng| {
            paint_letter(
                if k % 2 == 0 {
                    TYPEFACE_SANS
                } else {
                    TYPEFACE_SERIF
                },
                c,
                rng,
            )
        }),
        "xor" => render(name, 0, seed, &["same", "different"], n, paint_xor),
        "parity" => render(name, 0, seed, &["even", "odd"], n, paint_parity),
        "connectedness" => render(
            name,
            0,
            seed,
            &["connected", "two-pieces"],
            n,
            paint_connectedness,
        ),
        "shift" => {
            let train = render(name, 0, seed, &["X", "O"], n, |c, _, rng| {
                paint_x_or_o(c, rng, false)
            });
            let test = render(name, 1, seed, &["X", "O"], n.div_ceil(2), |c, _, rng| {
                paint_x_or_o(c, rng, true)
            });
            return Ok((train, Some(test)));
        }
        _ => unreachable!("every listed set has a painter"),
    };
    Ok((set, None))
}

/// A filled square mark of side 6..10 px in the left or right half of the card.
fn paint_left_right(class: usize, _: usize, rng: &mut MachineRng) -> GrayImage {
    let side = rng.random_range(6.0..10.0f32);
    let half = CARD as f32 / 2.0;
    let x_in_half = rng.random_range(side / 2.0 + 1.0..half - side / 2.0 - 1.0);
    let cx = if class == 0 {
        x_in_half
    } else {
        half + x_in_half
    };
    let cy = rng.random_range(side / 2.0 + 1.0..CARD as f32 - side / 2.0 - 1.0);
    let mut canvas = Canvas::new(CARD, CARD);
    canvas.fill(|x, y| (x - cx).abs() <= side / 2.0 && (y - cy).abs() <= side / 2.0);
    canvas.into_image()
}

/// An outline 3 px thick: 0 square, 1 circle, 2 diamond; half-size 7..16 px, anywhere it fits.
fn paint_shape(class: usize, _: usize, rng: &mut MachineRng) -> GrayImage {
    const STROKE: f32 = 3.0;
    let r = rng.random_range(7.0..16.0f32);
    let cx = rng.random_range(r + 2.0..CARD as f32 - r - 2.0);
    let cy = rng.random_range(r + 2.0..CARD as f32 - r - 2.0);
    let mut canvas = Canvas::new(CARD, CARD);
    match class {
        0 => canvas.fill(|x, y| {
            let d = (x - cx).abs().max((y - cy).abs());
            d <= r && d >= r - STROKE
        }),
        1 => canvas.fill(|x, y| {
            let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            d <= r && d >= r - STROKE
        }),
        _ => canvas.fill(|x, y| {
            let d = (x - cx).abs() + (y - cy).abs();
            d <= r * std::f32::consts::SQRT_2 && d >= (r - STROKE) * std::f32::consts::SQRT_2
        }),
    }
    canvas.into_image()
}

fn paint_e_or_f(class: usize, _: usize, rng: &mut MachineRng) -> GrayImage {
    let height = rng.random_range(20.0..30.0f32);
    let cx = 20.0 + rng.random_range(-4.0..4.0f32);
    let cy = 20.0 + rng.random_range(-4.0..4.0f32);
    let mut canvas = Canvas::new(CARD, CARD);
    canvas.letter(
        TYPEFACE_SANS,
        if class == 0 { 'E' } else { 'F' },
        cx,
        cy,
        height,
    );
    canvas.into_image()
}

/// Letter `class` (0 = A) at cap height 26..30 px, centred within +-2 px.
fn paint_letter(typeface: &[u8], class: usize, rng: &mut MachineRng) -> GrayImage {
    let letter = (b'A' + class as u8) as char;
    let height = rng.random_range(27.0..29.0f32);
    let cx = 20.0 + rng.random_range(-1.0..1.0f32);
    let cy = 20.0 + rng.random_range(-1.0..1.0f32);
    let mut canvas = Canvas::new(CARD, CARD);
    canvas.letter(typeface, letter, cx, cy, height);
    canvas.into_image()
}

/// X or O at cap height 14 px: centred within +-1 px, or (for the test part) moved 8..12 px
/// along each axis in a random direction, four to six photocells off centre.
fn paint_x_or_o(class: usize, rng: &mut MachineRng, shifted: bool) -> GrayImage {
    let mut offset = || {
        if shifted {
            let d = rng.random_range(8.0..12.0f32);
            if rng.random_bool(0.5) { d } else { -d }
        } else {
            rng.random_range(-1.0..1.0f32)
        }
    };
    let (dx, dy) = (offset(), offset());
    let mut canvas = Canvas::new(CARD, CARD);
    canvas.letter(
        TYPEFACE_SANS,
        if class == 0 { 'X' } else { 'O' },
        20.0 + dx,
        20.0 + dy,
        14.0,
    );
    canvas.into_image()
}

/// The two cells whose XOR is the class.
pub const XOR_CELLS: [(i32, i32); 2] = [(5, 9), (14, 9)];

fn paint_xor(class: usize, _: usize, rng: &mut MachineRng) -> GrayImage {
    let a = rng.random_bool(0.5);
    let b = if class == 0 { a } else { !a };
    let mut canvas = Canvas::new(CELLS, CELLS);
    for (lit, (x, y)) in [a, b].into_iter().zip(XOR_CELLS) {
        if lit {
            canvas.set_cell(x, y);
        }
    }
    canvas.into_image()
}

/// The 4 x 4 patch whose lit-cell count's parity is the class: cells (8..12, 8..12).
pub const PARITY_PATCH: std::ops::Range<i32> = 8..12;

fn paint_parity(class: usize, _: usize, rng: &mut MachineRng) -> GrayImage {
    let mut bits: Vec<bool> = (0..15).map(|_| rng.random_bool(0.5)).collect();
    let odd = bits.iter().filter(|&&b| b).count() % 2 == 1;
    bits.push(odd != (class == 1));
    let mut canvas = Canvas::new(CELLS, CELLS);
    for (k, lit) in bits.into_iter().enumerate() {
        if lit {
            let k = k as i32;
            canvas.set_cell(PARITY_PATCH.start + k % 4, PARITY_PATCH.start + k / 4);
        }
    }
    canvas.into_image()
}

/// A 4-connected random walk of `steps` moves from `start`, kept inside the 1-cell margin.
fn random_walk(start: (i32, i32), steps: usize, rng: &mut MachineRng) -> Vec<(i32, i32)> {
    let mut cells = vec![start];
    let mut at = start;
    for _ in 0..steps {
        let (dx, dy) = [(1, 0), (-1, 0), (0, 1), (0, -1)][rng.random_range(0..4)];
        let next = (
            (at.0 + dx).clamp(1, CELLS as i32 - 2),
            (at.1 + dy).clamp(1, CELLS as i32 - 2),
        );
        at = next;
        if !cells.contains(&at) {
            cells.push(at);
        }
    }
    cells
}

fn random_cell(rng: &mut MachineRng) -> (i32, i32) {
    (
        rng.random_range(3..CELLS as i32 - 3),
        rng.random_range(3..CELLS as i32 - 3),
    )
}

/// Class 0: one 4-connected figure of about 16 cells. Class 1: two figures of about 8 cells
/// each, at least one empty cell apart in every direction (not even diagonally touching).
fn paint_connectedness(class: usize, _: usize, rng: &mut MachineRng) -> GrayImage {
    let cells = if class == 0 {
        random_walk(random_cell(rng), 24, rng)
    } else {
        loop {
            let first = random_walk(random_cell(rng), 12, rng);
            let second = random_walk(random_cell(rng), 12, rng);
            let apart = first.iter().all(|a| {
                second
                    .iter()
                    .all(|b| (a.0 - b.0).abs() > 1 || (a.1 - b.1).abs() > 1)
            });
            if apart {
                break [first, second].concat();
            }
        }
    };
    let mut canvas = Canvas::new(CELLS, CELLS);
    for (x, y) in cells {
        canvas.set_cell(x, y);
    }
    canvas.into_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ink_cells(image: &GrayImage) -> Vec<(i32, i32)> {
        (0..image.height as i32)
            .flat_map(|y| (0..image.width as i32).map(move |x| (x, y)))
            .filter(|&(x, y)| image.get(x as u32, y as u32) < 128)
            .collect()
    }

    #[test]
    fn every_set_generates_reproducibly_with_all_classes() {
        for spec in BUILTIN_SETS {
            let (a, test) = generate(spec.name, 3, Some(4)).unwrap();
            let (b, _) = generate(spec.name, 3, Some(4)).unwrap();
            let (c, _) = generate(spec.name, 4, Some(4)).unwrap();
            assert_eq!(a.images, b.images, "{}", spec.name);
            assert_ne!(a.images, c.images, "{}", spec.name);
            assert!(a.class_counts().iter().all(|&n| n == 4), "{}", spec.name);
            assert_eq!(test.is_some(), spec.name == "shift");
        }
    }

    #[test]
    fn left_right_marks_lie_in_their_half() {
        let (set, _) = generate("left-right", 1, Some(20)).unwrap();
        for (image, &label) in set.images.iter().zip(&set.labels) {
            let cells = ink_cells(image);
            assert!(!cells.is_empty());
            let left = cells.iter().all(|c| c.0 < 20);
            let right = cells.iter().all(|c| c.0 >= 20);
            assert!(if label == 0 { left } else { right });
        }
    }

    #[test]
    fn xor_and_parity_labels_follow_their_rule() {
        let (set, _) = generate("xor", 1, Some(20)).unwrap();
        for (image, &label) in set.images.iter().zip(&set.labels) {
            let [a, b] = XOR_CELLS.map(|(x, y)| image.get(x as u32, y as u32) < 128);
            assert_eq!(a != b, label == 1);
            assert!(ink_cells(image).len() <= 2);
        }
        let (set, _) = generate("parity", 1, Some(20)).unwrap();
        for (image, &label) in set.images.iter().zip(&set.labels) {
            let cells = ink_cells(image);
            assert!(
                cells
                    .iter()
                    .all(|c| PARITY_PATCH.contains(&c.0) && PARITY_PATCH.contains(&c.1))
            );
            assert_eq!(cells.len() % 2, label as usize);
        }
    }

    /// Counts 8-connected components of the inked cells.
    fn components(cells: &[(i32, i32)]) -> usize {
        let mut seen = vec![false; cells.len()];
        let mut count = 0;
        for start in 0..cells.len() {
            if seen[start] {
                continue;
            }
            count += 1;
            let mut stack = vec![start];
            seen[start] = true;
            while let Some(i) = stack.pop() {
                for j in 0..cells.len() {
                    let near = (cells[i].0 - cells[j].0).abs() <= 1
                        && (cells[i].1 - cells[j].1).abs() <= 1;
                    if near && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        count
    }

    #[test]
    fn connectedness_figures_have_one_or_two_pieces() {
        let (set, _) = generate("connectedness", 2, Some(30)).unwrap();
        for (image, &label) in set.images.iter().zip(&set.labels) {
            assert_eq!(components(&ink_cells(image)), label as usize + 1);
        }
    }

    #[test]
    fn shift_test_figures_are_off_centre_and_training_ones_centred() {
        let (train, test) = generate("shift", 2, Some(10)).unwrap();
        let centre = |image: &GrayImage| {
            let cells = ink_cells(image);
            let n = cells.len() as f32;
            (
                cells.iter().map(|c| c.0 as f32).sum::<f32>() / n,
                cells.iter().map(|c| c.1 as f32).sum::<f32>() / n,
            )
        };
        for image in &train.images {
            let (x, y) = centre(image);
            assert!((x - 19.5).abs() < 2.5 && (y - 19.5).abs() < 2.5, "{x} {y}");
        }
        for image in &test.unwrap().images {
            let (x, y) = centre(image);
            assert!((x - 19.5).abs() > 6.0 && (y - 19.5).abs() > 6.0, "{x} {y}");
        }
    }

    #[test]
    fn unknown_set_names_the_known_ones() {
        let err = generate("nope", 1, None).unwrap_err().to_string();
        assert!(
            err.contains("builtin:nope") && err.contains("letters"),
            "{err}"
        );
    }
}
