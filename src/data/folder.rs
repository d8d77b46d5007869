//! Image folders: `root/<class>/*.png|jpg|bmp|gif|tif…`, one subfolder per class, decoded in parallel.

use anyhow::{Context, Result, bail};
use image::{ImageReader, Limits};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use super::progress::Progress;
use super::{GrayImage, ImageSet};

/// File extensions read as images (compared without case).
pub const IMAGE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp", "pgm", "ppm", "pbm", "pnm", "tga",
    "ico", "qoi",
];

/// Largest width or height accepted; bigger pictures are refused before decoding.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// Most memory all the decodes running at once may take (each decode's share is estimated from
/// the picture's size before it starts), whatever the number of cores.
const DECODE_BUDGET_BYTES: u64 = 1 << 30;
/// Bytes per pixel a decode is budgeted for: the decoded picture (up to RGBA, 4 bytes) plus its
/// grayscale conversion (2 bytes) and some slack.
const DECODE_BYTES_PER_PIXEL: u64 = 8;
/// Headroom for what a decoder allocates beside its pixels (palettes, colour profiles, tables).
const DECODE_SLACK_BYTES: u64 = 16 << 20;

/// An image set read from class folders, with one warning line per file that was skipped.
pub struct FolderSet {
    pub set: ImageSet,
    pub warnings: Vec<String>,
}

/// Whether `path` names a file this loader reads as an image.
pub fn is_image_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Why one file could not be used: skipped (corrupt, unreadable) or fatal (too large).
enum ReadFailure {
    Skip(String),
    Fatal(anyhow::Error),
}

/// Reads one image file as grayscale, transparent parts composited onto white paper, scaled
/// down (by area) to at most `max_side` pixels a side.
pub fn read_image(path: &Path, max_side: u32) -> Result<GrayImage> {
    match read_image_checked(path, max_side, &DecodeBudget::new(DECODE_BUDGET_BYTES)) {
        Ok(image) => Ok(image),
        Err(ReadFailure::Skip(why)) => bail!("{}: {why}", path.display()),
        Err(ReadFailure::Fatal(error)) => Err(error),
    }
}

fn read_image_checked(
    path: &Path,
    max_side: u32,
    budget: &DecodeBudget,
) -> Result<GrayImage, ReadFailure> {
    let open = || {
        ImageReader::open(path)
            .and_then(|r| r.with_guessed_format())
            .map_err(|e| ReadFailure::Skip(format!("cannot open: {e}")))
    };
    // even the header is read within limits: a PNG's colour profile is inflated while its
    // header is read, and the default allowance would let it take half a gigabyte
    // (sides unlimited here: an oversized picture is refused just below, by name)
    let mut probe = open()?;
    let mut header_limits = Limits::no_limits();
    header_limits.max_alloc = Some(DECODE_SLACK_BYTES);
    probe.limits(header_limits);
    let (width, height) = probe
        .into_dimensions()
        .map_err(|e| ReadFailure::Skip(format!("not a readable image: {e}")))?;
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(ReadFailure::Fatal(anyhow::anyhow!(
            "{}: image is {width}x{height} pixels, over the {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} limit",
            path.display()
        )));
    }
    let pixels = width as u64 * height as u64;
    let allowance = pixels * DECODE_BYTES_PER_PIXEL + DECODE_SLACK_BYTES;
    let _share = budget.take(allowance);
    let reader = open()?;
    let decoded = if reader.format() == Some(image::ImageFormat::Jpeg) {
        // the JPEG decoder fills a cut-off file with gray and says nothing: read the file once
        // (a whole JPEG is smaller than its pixels' allowance), walk it, decode those bytes
        let named = format!("{}: ", path.display());
        let bytes = crate::files::read_capped(path, allowance, "JPEG picture")
            .map_err(|e| ReadFailure::Skip(e.to_string().trim_start_matches(&named).to_string()))?;
        jpeg_end_marker(&bytes).map_err(ReadFailure::Skip)?;
        let mut in_memory = ImageReader::new(std::io::Cursor::new(bytes));
        in_memory.set_format(image::ImageFormat::Jpeg);
        decode_within(in_memory, allowance)?
    } else {
        decode_within(reader, allowance)?
    };
    Ok(scaled_to_fit(gray_on_white(decoded), max_side))
}

/// Decodes with the `image` crate's limits set to `allowance`: what this picture needs, not
/// more (a colour profile that inflates to half a gigabyte in a small picture is refused like
/// any other damage); a panic inside a decoder is a skipped file.
fn decode_within<R: std::io::BufRead + std::io::Seek>(
    mut reader: ImageReader<R>,
    allowance: u64,
) -> Result<image::DynamicImage, ReadFailure> {
    reader.limits(decode_limits(allowance));
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.decode()))
        .map_err(|_| ReadFailure::Skip("the image decoder failed on this file".into()))?
        .map_err(|e| match e {
            image::ImageError::Limits(limit) => ReadFailure::Skip(format!(
                "needs more memory to decode than its size explains ({limit})"
            )),
            other => ReadFailure::Skip(format!("corrupt or unsupported image: {other}")),
        })
}

/// The `image` crate's limits for one decode: at most [`MAX_IMAGE_SIDE`] a side and `bytes`
/// of allocations.
fn decode_limits(bytes: u64) -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(bytes);
    limits
}

/// Walks a JPEG's segments from its start marker to its end marker (EOI), skipping each
/// segment by its length and each scan's entropy-coded data up to the next marker: a file cut
/// short ends before its EOI. (Searching for FF D9 would be fooled by the EXIF thumbnail many
/// cameras embed, which has its own.)
/// Returns where its EOI marker ends, or why the file does not reach one.
fn jpeg_end_marker(bytes: &[u8]) -> Result<usize, String> {
    let cut = || "truncated JPEG: the file ends before its end-of-image marker".to_string();
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("not a JPEG file (no start-of-image marker)".into());
    }
    let mut at = 2;
    loop {
        // a marker: one or more FF fill bytes, then its code
        if *bytes.get(at).ok_or_else(cut)? != 0xFF {
            return Err(format!("damaged JPEG: no marker at byte {at}"));
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let code = *bytes.get(at).ok_or_else(cut)?;
        at += 1;
        match code {
            0xD9 => return Ok(at),
            // markers without a length: TEM and the restart markers
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let high = *bytes.get(at).ok_or_else(cut)? as usize;
        let low = *bytes.get(at + 1).ok_or_else(cut)? as usize;
        let length = (high << 8) | low;
        if length < 2 {
            return Err(format!(
                "damaged JPEG: a segment of length {length} at byte {at}"
            ));
        }
        at += length;
        if at > bytes.len() {
            return Err(cut());
        }
        if code == 0xDA {
            // entropy-coded data: runs to the next marker that is not a stuffed 00 or a restart
            loop {
                let next = bytes[at..]
                    .iter()
                    .position(|&b| b == 0xFF)
                    .ok_or_else(cut)?;
                at += next;
                match bytes.get(at + 1) {
                    None => return Err(cut()),
                    Some(0x00 | 0xD0..=0xD7 | 0xFF) => at += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

/// The decoded picture as luminance, transparent parts composited onto white paper.
fn gray_on_white(decoded: image::DynamicImage) -> GrayImage {
    let (width, height) = (decoded.width(), decoded.height());
    let pixels = if decoded.color().has_alpha() {
        decoded
            .to_luma_alpha8()
            .pixels()
            .map(|p| {
                let [l, a] = p.0;
                ((l as u32 * a as u32 + 255 * (255 - a as u32) + 127) / 255) as u8
            })
            .collect()
    } else {
        decoded.into_luma8().into_raw()
    };
    GrayImage {
        width,
        height,
        pixels,
    }
}

/// `image` scaled down by area (each new pixel the mean of the pixels under it, weighted by
/// how much of each it covers) to at most `max_side` pixels a side, aspect kept; unchanged
/// when it already fits.
pub fn scaled_to_fit(image: GrayImage, max_side: u32) -> GrayImage {
    let longest = image.width.max(image.height);
    if longest <= max_side || max_side == 0 {
        return image;
    }
    let scale = max_side as f64 / longest as f64;
    let width = ((image.width as f64 * scale).round() as u32).max(1);
    let height = ((image.height as f64 * scale).round() as u32).max(1);
    let columns = area_weights(image.width, width);
    let rows = area_weights(image.height, height);
    // rows first into a narrow buffer, then columns: two passes of one weight table each
    let mut narrow = vec![0f32; image.height as usize * width as usize];
    for y in 0..image.height as usize {
        let line = &image.pixels[y * image.width as usize..(y + 1) * image.width as usize];
        for (x, taps) in columns.iter().enumerate() {
            narrow[y * width as usize + x] = taps.iter().map(|&(i, w)| line[i] as f32 * w).sum();
        }
    }
    let mut pixels = vec![0u8; width as usize * height as usize];
    for (y, taps) in rows.iter().enumerate() {
        for x in 0..width as usize {
            let v: f32 = taps
                .iter()
                .map(|&(i, w)| narrow[i * width as usize + x] * w)
                .sum();
            pixels[y * width as usize + x] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    GrayImage {
        width,
        height,
        pixels,
    }
}

/// For each of `to` output cells over `from` input cells, the input cells it covers and the
/// share of the output each contributes (shares sum to 1).
fn area_weights(from: u32, to: u32) -> Vec<Vec<(usize, f32)>> {
    let step = from as f64 / to as f64;
    (0..to)
        .map(|j| {
            let (start, end) = (j as f64 * step, ((j + 1) as f64 * step).min(from as f64));
            let mut taps = Vec::new();
            let mut i = start.floor() as usize;
            while (i as f64) < end {
                let covered = (end.min(i as f64 + 1.0) - start.max(i as f64)).max(0.0);
                if covered > 0.0 {
                    taps.push((i, (covered / (end - start)) as f32));
                }
                i += 1;
            }
            taps
        })
        .collect()
}

/// Memory for the decodes in flight: each takes its share before decoding and gives it back
/// after, waiting while the others hold too much (one decode always proceeds).
struct DecodeBudget {
    total: u64,
    in_use: Mutex<u64>,
    freed: Condvar,
}

/// A decode's share of the [`DecodeBudget`], given back when dropped.
struct BudgetShare<'a> {
    budget: &'a DecodeBudget,
    bytes: u64,
}

impl DecodeBudget {
    fn new(total: u64) -> Self {
        Self {
            total,
            in_use: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    fn take(&self, bytes: u64) -> BudgetShare<'_> {
        let bytes = bytes.min(self.total);
        let mut in_use = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
        while *in_use > 0 && *in_use + bytes > self.total {
            in_use = self.freed.wait(in_use).unwrap_or_else(|e| e.into_inner());
        }
        *in_use += bytes;
        BudgetShare {
            budget: self,
            bytes,
        }
    }
}

impl Drop for BudgetShare<'_> {
    fn drop(&mut self) {
        let mut in_use = self.budget.in_use.lock().unwrap_or_else(|e| e.into_inner());
        *in_use -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// Sorted entries of a folder, hidden ones left out.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let reader =
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot read folder", dir.display()))?;
    let mut entries = Vec::new();
    for entry in reader {
        let entry = entry.with_context(|| format!("{}: cannot read folder", dir.display()))?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden {
            entries.push(entry.path());
        }
    }
    entries.sort();
    Ok(entries)
}

/// How deep [`image_files_under`] looks into nested folders.
const MAX_FOLDER_DEPTH: usize = 16;

/// The image files in `dir` and its subfolders, sorted by path, hidden entries left out.
/// Links to folders are not followed (so a link loop cannot trap it).
pub fn image_files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    collect_image_files(dir, MAX_FOLDER_DEPTH, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect_image_files(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<()> {
    for path in sorted_entries(dir)? {
        let is_real_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if is_real_dir && depth > 0 {
            collect_image_files(&path, depth - 1, found)?;
        } else if path.is_file() && is_image_path(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// Each class folder's name and the image files in it, labelled by the folder's position; a
/// class folder with no image file is an error naming it.
fn list_class_files(class_dirs: &[PathBuf]) -> Result<(Vec<String>, Vec<(u16, PathBuf)>)> {
    let mut files = Vec::new();
    let mut classes = Vec::new();
    for (label, dir) in class_dirs.iter().enumerate() {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let images: Vec<PathBuf> = sorted_entries(dir)?
            .into_iter()
            .filter(|p| p.is_file() && is_image_path(p))
            .collect();
        if images.is_empty() {
            bail!(
                "{}: class folder `{name}` holds no image files",
                dir.display()
            );
        }
        files.extend(images.into_iter().map(|p| (label as u16, p)));
        classes.push(name);
    }
    Ok((classes, files))
}

/// Reads `root/<class>/<image>`: classes are the subfolder names in sorted order; each
/// picture is kept at most `max_side` pixels a side (see [`read_image`]). Decodes run in
/// parallel within a memory budget. Corrupt files are skipped and reported in `warnings`; an
/// empty or missing folder, a class with no readable image, or an oversized image is an error
/// naming the path.
pub fn load_class_folders(root: &Path, max_side: u32) -> Result<FolderSet> {
    load_class_folders_watched(root, max_side, &Progress::default())
}

/// [`load_class_folders`], counting each image file read into `progress` (its total grows by
/// the files found) and stopping with an error once it is cancelled.
pub fn load_class_folders_watched(
    root: &Path,
    max_side: u32,
    progress: &Progress,
) -> Result<FolderSet> {
    if !root.is_dir() {
        bail!("{}: no such folder", root.display());
    }
    let class_dirs: Vec<PathBuf> = sorted_entries(root)?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    if class_dirs.is_empty() {
        bail!(
            "{}: no class subfolders (expected {}/<class>/<image>.png and the like)",
            root.display(),
            root.display()
        );
    }
    if class_dirs.len() > u16::MAX as usize {
        bail!("{}: more than {} classes", root.display(), u16::MAX);
    }
    let (classes, files) = list_class_files(&class_dirs)?;
    // folder names that are not UTF-8 can read as the same text; classes must stay apart
    if let Some((a, b)) = super::first_repeat(&classes) {
        bail!(
            "{}: class folders {:?} and {:?} both read as `{}`; rename one of them",
            root.display(),
            class_dirs[a].file_name().unwrap_or_default(),
            class_dirs[b].file_name().unwrap_or_default(),
            classes[a]
        );
    }
    let budget = DecodeBudget::new(DECODE_BUDGET_BYTES);
    progress.add_total(files.len() as u64);
    let source = root.display().to_string();
    let results: Vec<(u16, &Path, Result<GrayImage, ReadFailure>)> = files
        .par_iter()
        .map(|(label, path)| {
            let image = match progress.check(&source) {
                Ok(()) => read_image_checked(path, max_side, &budget),
                Err(cancelled) => Err(ReadFailure::Fatal(cancelled)),
            };
            progress.advance(1);
            (*label, path.as_path(), image)
        })
        .collect();
    progress.check(&source)?;
    let mut set = ImageSet {
        classes,
        ..Default::default()
    };
    let mut warnings = Vec::new();
    for (label, path, result) in results {
        match result {
            Ok(image) => {
                set.images.push(image);
                set.labels.push(label);
                set.files.push(path.to_path_buf());
            }
            Err(ReadFailure::Skip(why)) => {
                warnings.push(format!("skipped {}: {why}", path.display()))
            }
            Err(ReadFailure::Fatal(error)) => return Err(error),
        }
    }
    for (count, (name, dir)) in set
        .class_counts()
        .into_iter()
        .zip(set.classes.iter().zip(&class_dirs))
    {
        if count == 0 {
            bail!(
                "{}: class folder `{name}` holds no readable image ({} skipped)",
                dir.display(),
                warnings.len()
            );
        }
    }
    Ok(FolderSet { set, warnings })
}

/// Writes `set` as PNG files in class folders, `root/<class>/<k>.png`, the layout [`load`](super::load) reads back; characters a file system may refuse
/// in a class name ("T-shirt/top") become `_`. Returns how many files were written.
pub fn write_class_folders(set: &ImageSet, root: &Path) -> Result<usize> {
    let folders: Vec<String> = set.classes.iter().map(|c| folder_name(c)).collect();
    if let Some((a, b)) = super::first_repeat(&folders) {
        bail!(
            "{}: classes `{}` and `{}` would both be written to the folder `{}`",
            root.display(),
            set.classes[a],
            set.classes[b],
            folders[a]
        );
    }
    for (k, (image, &label)) in set.images.iter().zip(&set.labels).enumerate() {
        let dir = root.join(&folders[label as usize]);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let path = dir.join(format!("{k:05}.png"));
        let bytes =
            png_bytes(image).with_context(|| format!("{}: cannot encode", path.display()))?;
        // thousands of files: each replaced atomically, not flushed to disk one by one
        crate::files::write_atomically_unsynced(&path, &bytes, &crate::files::PNG)?;
    }
    Ok(set.len())
}

/// The picture as the bytes of a grey PNG file.
pub fn png_bytes(image: &GrayImage) -> Result<Vec<u8>> {
    let picture = image::GrayImage::from_raw(image.width, image.height, image.pixels.clone())
        .context("image size")?;
    encode_png(picture.into())
}

/// Any picture as the bytes of a PNG file.
pub fn encode_png(picture: image::DynamicImage) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    picture.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )?;
    Ok(bytes)
}

/// A class name as a folder name: characters a file system may refuse become `_`.
pub fn folder_name(class: &str) -> String {
    let name: String = class
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() { "_".into() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The side kept in these tests: larger than every picture they write.
    const KEPT: u32 = 128;

    fn scratch(name: &str) -> std::path::PathBuf {
        crate::test_support::scratch_dir(&format!("folder-{name}"))
    }

    fn write_png(path: &Path, width: u32, height: u32, luminance: u8) {
        image::GrayImage::from_pixel(width, height, image::Luma([luminance]))
            .save(path)
            .unwrap();
    }

    #[test]
    fn reads_classes_in_sorted_order_and_skips_corrupt_files() {
        let root = scratch("ok");
        for class in ["b_ring", "a_dot"] {
            std::fs::create_dir_all(root.join(class)).unwrap();
            write_png(&root.join(class).join("1.png"), 4, 3, 10);
        }
        std::fs::write(root.join("a_dot").join("broken.png"), b"not a png").unwrap();
        std::fs::write(root.join("a_dot").join("notes.txt"), b"ignored").unwrap();
        let FolderSet { set, warnings } = load_class_folders(&root, KEPT).unwrap();
        assert_eq!(set.classes, vec!["a_dot", "b_ring"]);
        assert_eq!(set.labels, vec![0, 1]);
        assert_eq!((set.images[0].width, set.images[0].height), (4, 3));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("broken.png"), "{warnings:?}");
    }

    #[test]
    #[cfg(unix)]
    fn folder_names_that_read_alike_are_refused_not_merged() {
        use std::os::unix::ffi::OsStrExt;
        let root = scratch("alike");
        for name in [&b"caf\xe9"[..], &b"caf\xe8"[..]] {
            let dir = root.join(std::ffi::OsStr::from_bytes(name));
            std::fs::create_dir_all(&dir).unwrap();
            write_png(&dir.join("1.png"), 2, 2, 0);
        }
        let err = load_class_folders(&root, KEPT).err().unwrap().to_string();
        assert!(err.contains("both read as"), "{err}");
    }

    #[test]
    fn a_watched_load_counts_each_file_and_a_cancelled_one_reads_none() {
        let root = scratch("watched");
        for (class, count) in [("a", 3u8), ("b", 4)] {
            std::fs::create_dir_all(root.join(class)).unwrap();
            for k in 0..count {
                write_png(&root.join(class).join(format!("{k}.png")), 3, 3, 40 * k);
            }
        }
        let progress = Progress::default();
        let loaded = load_class_folders_watched(&root, KEPT, &progress).unwrap();
        assert_eq!(loaded.set.len(), 7);
        assert_eq!(progress.counts(), (7, 7));
        let cancelled = Progress::default();
        cancelled.cancel();
        let err = load_class_folders_watched(&root, KEPT, &cancelled)
            .err()
            .unwrap();
        assert!(err.to_string().ends_with("loading cancelled"), "{err}");
    }

    #[test]
    fn export_refuses_classes_that_clean_to_one_folder() {
        let set = ImageSet {
            classes: vec!["T-shirt/top".into(), "T-shirt_top".into()],
            images: vec![GrayImage::filled(1, 1, 0), GrayImage::filled(1, 1, 9)],
            labels: vec![0, 1],
            files: Vec::new(),
        };
        let root = scratch("clean");
        let err = write_class_folders(&set, &root).unwrap_err().to_string();
        assert!(
            err.contains("T-shirt/top") && err.contains("`T-shirt_top`"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_dir(&root).unwrap().count(),
            0,
            "nothing written"
        );
    }

    #[test]
    fn export_replaces_its_pictures_but_never_another_file() {
        let set = ImageSet {
            classes: vec!["a".into()],
            images: vec![GrayImage::filled(1, 1, 7)],
            labels: vec![0],
            files: Vec::new(),
        };
        let root = scratch("replace");
        write_class_folders(&set, &root).unwrap();
        write_class_folders(&set, &root).unwrap();
        let path = root.join("a").join("00000.png");
        assert_eq!(read_image(&path, KEPT).unwrap().pixels, vec![7]);
        std::fs::write(&path, "my notes").unwrap();
        let err = write_class_folders(&set, &root).unwrap_err().to_string();
        assert!(
            err.contains("00000.png") && err.contains("not a PNG"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "my notes");
    }

    #[test]
    fn area_weights_share_each_output_cell_among_the_input_cells_it_covers() {
        assert_eq!(
            area_weights(4, 2),
            vec![vec![(0, 0.5), (1, 0.5)], vec![(2, 0.5), (3, 0.5)]]
        );
        // 3 -> 2: each output covers 1.5 input cells
        let w = area_weights(3, 2);
        assert_eq!(w[0].len(), 2);
        assert!((w[0][0].1 - 2.0 / 3.0).abs() < 1e-6 && (w[0][1].1 - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!((w[1][0].0, w[1][1].0), (1, 2));
        assert!((w[1][1].1 - 2.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn a_large_picture_is_kept_small_with_its_aspect_and_its_ink() {
        // 400 x 300: black left half, white right half, a mid-gray bar along the top
        let mut image = GrayImage::filled(400, 300, 255);
        for y in 0..300 {
            for x in 0..200 {
                image.set(x, y, 0);
            }
        }
        let small = scaled_to_fit(image.clone(), 128);
        assert_eq!((small.width, small.height), (128, 96));
        let mean = |im: &GrayImage| {
            im.pixels.iter().map(|&p| p as f64).sum::<f64>() / im.pixels.len() as f64
        };
        assert!(
            (mean(&small) - mean(&image)).abs() < 0.5,
            "{}",
            mean(&small)
        );
        assert_eq!(small.get(0, 50), 0);
        assert_eq!(small.get(127, 50), 255);
        assert_eq!(small.get(63, 50), 0);
        assert_eq!(small.get(64, 50), 255);
        // a picture that fits is left as it is
        assert_eq!(
            scaled_to_fit(GrayImage::filled(50, 7, 9), 128),
            GrayImage::filled(50, 7, 9)
        );
    }

    #[test]
    fn a_photo_sized_file_is_read_straight_down_to_the_kept_size() {
        let root = scratch("photo");
        let path = root.join("big.png");
        image::GrayImage::from_fn(2000, 1500, |x, _| image::Luma([(x / 8) as u8]))
            .save(&path)
            .unwrap();
        let image = read_image(&path, 128).unwrap();
        assert_eq!((image.width, image.height), (128, 96));
        // the ramp survives: dark on the left, light on the right
        assert!(
            image.get(2, 40) < 10 && image.get(125, 40) > 240,
            "{:?}",
            &image.pixels[..4]
        );
    }

    /// The process's peak resident memory so far (VmHWM), KiB; 0 where /proc cannot tell.
    fn peak_resident_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// A PNG chunk: length, type, data, CRC of type and data.
    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        chunk.extend_from_slice(&crc.sum().to_be_bytes());
        chunk
    }

    #[test]
    fn a_colour_profile_that_inflates_to_gigabytes_costs_no_memory() {
        // a 32x32 picture whose iCCP chunk is 640 MiB of zeros deflated to under a megabyte
        // (more than the 512 MiB the image crate allows by default)
        let root = scratch("iccp");
        let mut picture = Vec::new();
        image::GrayImage::from_pixel(32, 32, image::Luma([90]))
            .write_to(
                &mut std::io::Cursor::new(&mut picture),
                image::ImageFormat::Png,
            )
            .unwrap();
        let mut profile = b"bomb\0\0".to_vec();
        let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..640 {
            std::io::Write::write_all(&mut deflate, &zeros).unwrap();
        }
        profile.extend(deflate.finish().unwrap());
        // after the 8-byte signature and the 25-byte IHDR chunk
        let mut bomb = picture[..33].to_vec();
        bomb.extend(png_chunk(b"iCCP", &profile));
        bomb.extend_from_slice(&picture[33..]);
        let path = root.join("profiled.png");
        std::fs::write(&path, &bomb).unwrap();
        let peak_before = peak_resident_kib();
        let read = read_image(&path, KEPT);
        let grown = peak_resident_kib().saturating_sub(peak_before);
        // either read (the profile left alone) or refused as needing too much memory
        match read {
            Ok(image) => assert_eq!(image.get(5, 5), 90),
            Err(e) => assert!(e.to_string().contains("memory"), "{e}"),
        }
        // the peak grew by much less than the profile (other tests run beside this one)
        assert!(grown < 256 * 1024, "peak resident memory grew {grown} KiB");
    }

    #[test]
    fn the_decode_budget_is_given_back_and_never_blocks_a_lone_decode() {
        let budget = DecodeBudget::new(1000);
        {
            let _a = budget.take(600);
            let _b = budget.take(300);
            assert_eq!(*budget.in_use.lock().unwrap(), 900);
        }
        assert_eq!(*budget.in_use.lock().unwrap(), 0);
        // larger than the whole budget: it waits for nobody, alone
        let big = budget.take(5000);
        assert_eq!(big.bytes, 1000);
    }

    #[test]
    fn a_picture_cut_short_is_skipped_in_every_format() {
        let root = scratch("cut");
        let picture = image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(96, 64, |x, y| {
            image::Luma([((x * 5 + y * 3) % 256) as u8])
        }));
        let formats = [
            ("png", image::ImageFormat::Png),
            ("jpg", image::ImageFormat::Jpeg),
            ("bmp", image::ImageFormat::Bmp),
            ("gif", image::ImageFormat::Gif),
            ("tif", image::ImageFormat::Tiff),
            ("webp", image::ImageFormat::WebP),
            ("pgm", image::ImageFormat::Pnm),
            ("tga", image::ImageFormat::Tga),
            ("ico", image::ImageFormat::Ico),
            ("qoi", image::ImageFormat::Qoi),
        ];
        let mut silently_read = Vec::new();
        for (extension, format) in formats {
            let whole = root.join(format!("whole.{extension}"));
            // each format as its encoder takes it (an icon is RGBA, as real ones are)
            let encodable = match format {
                image::ImageFormat::Ico => image::DynamicImage::ImageRgba8(picture.to_rgba8()),
                image::ImageFormat::Qoi | image::ImageFormat::Gif => {
                    image::DynamicImage::ImageRgb8(picture.to_rgb8())
                }
                _ => picture.clone(),
            };
            encodable.save_with_format(&whole, format).unwrap();
            let read = read_image(&whole, KEPT);
            assert!(
                read.is_ok(),
                "{extension}: the whole reads: {:?}",
                read.err()
            );
            let bytes = std::fs::read(&whole).unwrap();
            for fraction in [0.05, 0.5, 0.9] {
                let cut = root.join(format!("cut-{fraction}.{extension}"));
                std::fs::write(&cut, &bytes[..(bytes.len() as f64 * fraction) as usize]).unwrap();
                if read_image(&cut, KEPT).is_ok() {
                    silently_read.push(format!("{extension} cut to {fraction}"));
                }
            }
        }
        assert!(
            silently_read.is_empty(),
            "read although cut short: {silently_read:?}"
        );
    }

    #[test]
    fn the_jpeg_walk_passes_an_embedded_thumbnail_and_stops_at_the_real_end() {
        // SOI, APP1 holding a whole thumbnail JPEG (with its own EOI), then a cut-off scan
        let mut file = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD8, 0xFF, 0xD9];
        file.extend([0xFF, 0xDA, 0x00, 0x04, 0x01, 0x00, 0x12, 0xFF, 0x00, 0x34]);
        assert!(jpeg_end_marker(&file).unwrap_err().contains("truncated"));
        file.extend([0xFF, 0xD0, 0x56, 0xFF, 0xD9, 0x00]);
        assert_eq!(jpeg_end_marker(&file), Ok(file.len() - 1));
    }

    #[test]
    fn transparent_pixels_become_white_paper() {
        let root = scratch("alpha");
        let path = root.join("t.png");
        image::RgbaImage::from_pixel(1, 1, image::Rgba([0, 0, 0, 0]))
            .save(&path)
            .unwrap();
        assert_eq!(read_image(&path, KEPT).unwrap().pixels, vec![255]);
    }

    #[test]
    fn empty_class_and_missing_folder_are_errors_naming_the_path() {
        let root = scratch("empty");
        std::fs::create_dir_all(root.join("cats")).unwrap();
        let err = load_class_folders(&root, KEPT).err().unwrap().to_string();
        assert!(err.contains("cats") && err.contains("no image"), "{err}");
        let err = load_class_folders(&root.join("nope"), KEPT)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("nope"), "{err}");
        let only_files = scratch("flat");
        write_png(&only_files.join("x.png"), 2, 2, 0);
        let err = load_class_folders(&only_files, KEPT)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("no class subfolders"), "{err}");
    }

    #[test]
    fn a_class_whose_every_file_is_corrupt_is_an_error() {
        let root = scratch("allbad");
        std::fs::create_dir_all(root.join("good")).unwrap();
        std::fs::create_dir_all(root.join("bad")).unwrap();
        write_png(&root.join("good").join("1.png"), 2, 2, 0);
        std::fs::write(root.join("bad").join("1.png"), b"garbage").unwrap();
        let err = load_class_folders(&root, KEPT).err().unwrap().to_string();
        assert!(
            err.contains("bad") && err.contains("no readable image"),
            "{err}"
        );
    }

    #[test]
    fn oversized_image_is_refused_from_its_header() {
        let root = scratch("huge");
        // A valid PNG header claiming 20000 x 20000 pixels; the decoder never allocates it.
        let mut png = Vec::new();
        png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(b"IHDR");
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        for chunk in [&b"IDAT\x78\x9c\x03\x00\x00\x00\x00\x01"[..], &b"IEND"[..]] {
            png.extend_from_slice(&(chunk.len() as u32 - 4).to_be_bytes());
            png.extend_from_slice(chunk);
            png.extend_from_slice(&crc32(chunk).to_be_bytes());
        }
        let path = root.join("huge.png");
        std::fs::write(&path, png).unwrap();
        let err = read_image(&path, KEPT).unwrap_err().to_string();
        assert!(
            err.contains("huge.png") && err.contains("20000x20000"),
            "{err}"
        );
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
