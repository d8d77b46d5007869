//! Image folders: `root/<class>/*.png|jpg|bmp|gif|tif…`, one subfolder per class, decoded in parallel.

use anyhow::{Context, Result, bail};
use image::{ImageReader, Limits};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

use super::{GrayImage, ImageSet};

/// File extensions read as images (compared without case).
pub const IMAGE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp", "pgm", "ppm", "pbm", "pnm", "tga",
    "ico", "qoi",
];

/// Largest width or height accepted; bigger pictures are refused before decoding.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// Most memory one decode may take.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

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

/// Reads one image file as grayscale, transparent parts composited onto white paper.
pub fn read_image(path: &Path) -> Result<GrayImage> {
    match read_image_checked(path) {
        Ok(image) => Ok(image),
        Err(ReadFailure::Skip(why)) => bail!("{}: {why}", path.display()),
        Err(ReadFailure::Fatal(error)) => Err(error),
    }
}

fn read_image_checked(path: &Path) -> Result<GrayImage, ReadFailure> {
    let open = || {
        ImageReader::open(path)
            .and_then(|r| r.with_guessed_format())
            .map_err(|e| ReadFailure::Skip(format!("cannot open: {e}")))
    };
    let (width, height) = open()?
        .into_dimensions()
        .map_err(|e| ReadFailure::Skip(format!("not a readable image: {e}")))?;
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(ReadFailure::Fatal(anyhow::anyhow!(
            "{}: image is {width}x{height} pixels, over the {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} limit",
            path.display()
        )));
    }
    let mut reader = open()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(limit) => ReadFailure::Fatal(anyhow::anyhow!(
            "{}: image too large to decode ({limit})",
            path.display()
        )),
        other => ReadFailure::Skip(format!("corrupt or unsupported image: {other}")),
    })?;
    let luma_alpha = decoded.to_luma_alpha8();
    let pixels = luma_alpha
        .pixels()
        .map(|p| {
            let [l, a] = p.0;
            ((l as u32 * a as u32 + 255 * (255 - a as u32) + 127) / 255) as u8
        })
        .collect();
    Ok(GrayImage {
        width: luma_alpha.width(),
        height: luma_alpha.height(),
        pixels,
    })
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

/// Reads `root/<class>/<image>`: classes are the subfolder names in sorted order.
/// Corrupt files are skipped and reported in `warnings`; an empty or missing folder, a class
/// with no readable image, or an oversized image is an error naming the path.
pub fn load_class_folders(root: &Path) -> Result<FolderSet> {
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
    let results: Vec<(u16, &Path, Result<GrayImage, ReadFailure>)> = files
        .par_iter()
        .map(|(label, path)| (*label, path.as_path(), read_image_checked(path)))
        .collect();
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
        let picture = image::GrayImage::from_raw(image.width, image.height, image.pixels.clone())
            .context("image size")?;
        let mut bytes = Vec::new();
        picture
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .with_context(|| format!("{}: cannot encode", path.display()))?;
        // thousands of files: each replaced atomically, not flushed to disk one by one
        crate::files::write_atomically_unsynced(&path, &bytes, &crate::files::PNG)?;
    }
    Ok(set.len())
}

/// A class name as a folder name: characters a file system may refuse become `_`.
fn folder_name(class: &str) -> String {
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
        let FolderSet { set, warnings } = load_class_folders(&root).unwrap();
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
        let err = load_class_folders(&root).err().unwrap().to_string();
        assert!(err.contains("both read as"), "{err}");
    }

    #[test]
    fn export_refuses_classes_that_clean_to_one_folder() {
        let set = ImageSet {
            classes: vec!["T-shirt/top".into(), "T-shirt_top".into()],
            images: vec![GrayImage::filled(1, 1, 0), GrayImage::filled(1, 1, 9)],
            labels: vec![0, 1],
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
        };
        let root = scratch("replace");
        write_class_folders(&set, &root).unwrap();
        write_class_folders(&set, &root).unwrap();
        let path = root.join("a").join("00000.png");
        assert_eq!(read_image(&path).unwrap().pixels, vec![7]);
        std::fs::write(&path, "my notes").unwrap();
        let err = write_class_folders(&set, &root).unwrap_err().to_string();
        assert!(
            err.contains("00000.png") && err.contains("not a PNG"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "my notes");
    }

    #[test]
    fn transparent_pixels_become_white_paper() {
        let root = scratch("alpha");
        let path = root.join("t.png");
        image::RgbaImage::from_pixel(1, 1, image::Rgba([0, 0, 0, 0]))
            .save(&path)
            .unwrap();
        assert_eq!(read_image(&path).unwrap().pixels, vec![255]);
    }

    #[test]
    fn empty_class_and_missing_folder_are_errors_naming_the_path() {
        let root = scratch("empty");
        std::fs::create_dir_all(root.join("cats")).unwrap();
        let err = load_class_folders(&root).err().unwrap().to_string();
        assert!(err.contains("cats") && err.contains("no image"), "{err}");
        let err = load_class_folders(&root.join("nope"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("nope"), "{err}");
        let only_files = scratch("flat");
        write_png(&only_files.join("x.png"), 2, 2, 0);
        let err = load_class_folders(&only_files).err().unwrap().to_string();
        assert!(err.contains("no class subfolders"), "{err}");
    }

    #[test]
    fn a_class_whose_every_file_is_corrupt_is_an_error() {
        let root = scratch("allbad");
        std::fs::create_dir_all(root.join("good")).unwrap();
        std::fs::create_dir_all(root.join("bad")).unwrap();
        write_png(&root.join("good").join("1.png"), 2, 2, 0);
        std::fs::write(root.join("bad").join("1.png"), b"garbage").unwrap();
        let err = load_class_folders(&root).err().unwrap().to_string();
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
        let err = read_image(&path).unwrap_err().to_string();
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
