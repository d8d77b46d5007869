//! IDX files as MNIST and Fashion-MNIST ship them (`train-images-idx3-ubyte[.gz]` and friends).

use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::progress::{Progress, counted_stream};
use super::{GrayImage, ImageSet};

/// Fashion-MNIST's class names, in label order (Xiao, Rasul & Vollgraf, 2017).
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The IDX files found in a folder: a training pair and, optionally, the `t10k` test pair.
#[derive(Clone, Debug)]
pub struct IdxPairs {
    pub train_images: PathBuf,
    pub train_labels: PathBuf,
    pub test: Option<(PathBuf, PathBuf)>,
}

fn find_one(entries: &[PathBuf], prefix: &str, kind: &str) -> Option<PathBuf> {
    entries
        .iter()
        .find(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_ascii_lowercase();
            name.starts_with(prefix) && name.contains(kind)
        })
        .cloned()
}

/// Looks for IDX pairs in `dir`; `None` when the folder holds no IDX image file at all.
pub fn find_pairs(dir: &Path) -> Result<Option<IdxPairs>> {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    let train_images = find_one(&entries, "train-images", "idx3");
    let train_labels = find_one(&entries, "train-labels", "idx1");
    let test_images = find_one(&entries, "t10k-images", "idx3");
    let test_labels = find_one(&entries, "t10k-labels", "idx1");
    let (train_images, train_labels) = match (train_images, train_labels) {
        (None, None) => {
            if test_images.is_some() || test_labels.is_some() {
                bail!(
                    "{}: has t10k-* IDX files but no train-images-idx3-ubyte / train-labels-idx1-ubyte pair",
                    dir.display()
                );
            }
            return Ok(None);
        }
        (Some(images), Some(labels)) => (images, labels),
        (Some(_), None) => bail!(
            "{}: train-images IDX file without train-labels-idx1-ubyte",
            dir.display()
        ),
        (None, Some(_)) => bail!(
            "{}: train-labels IDX file without train-images-idx3-ubyte",
            dir.display()
        ),
    };
    let test = match (test_images, test_labels) {
        (Some(images), Some(labels)) => Some((images, labels)),
        (None, None) => None,
        _ => bail!(
            "{}: the t10k images and labels must come as a pair",
            dir.display()
        ),
    };
    Ok(Some(IdxPairs {
        train_images,
        train_labels,
        test,
    }))
}

/// Most data bytes (pixels or labels) one IDX file may declare: 1 GiB, twenty times
/// Fashion-MNIST's training images. A header claiming more is refused before reading on.
pub const MAX_IDX_PAYLOAD: u64 = 1 << 30;

/// Reads an IDX file, plain or gzipped (one member or several, as `cat a.gz b.gz` and bgzip
/// make): magic `00 00 08 <dims>` (unsigned bytes), one big-endian u32 per dimension, then the
/// data. Returns the dimensions and exactly the data they promise; memory follows what the
/// header declares (at most [`MAX_IDX_PAYLOAD`]) and what the file really holds, never a
/// gzip stream's claims beyond that.
fn read_idx(path: &Path, want_dims: usize, progress: &Progress) -> Result<(Vec<usize>, Vec<u8>)> {
    let name = path.display();
    let file =
        crate::files::open_for_reading(path).with_context(|| format!("{name}: cannot read"))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        bail!("{name}: is a folder, not an IDX file");
    }
    let (mut stream, gzipped) =
        counted_stream(file, progress).with_context(|| format!("{name}: cannot read"))?;
    let damaged = |e: std::io::Error| {
        if gzipped {
            anyhow::anyhow!("{name}: damaged or truncated gzip data: {e}")
        } else {
            anyhow::anyhow!("{name}: cannot read: {e}")
        }
    };
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut stream, &mut magic).map_err(damaged)?;
    if got < 4 {
        bail!("{name}: too short to be an IDX file ({got} bytes)");
    }
    if magic[0] != 0 || magic[1] != 0 {
        bail!("{name}: not an IDX file (bad magic number)");
    }
    if magic[2] != 0x08 {
        bail!(
            "{name}: IDX element type 0x{:02x} is not supported (only unsigned bytes, 0x08)",
            magic[2]
        );
    }
    let dims = magic[3] as usize;
    if dims != want_dims {
        bail!("{name}: IDX file has {dims} dimension(s), expected {want_dims}");
    }
    let mut header = vec![0u8; 4 * dims];
    if read_up_to(&mut stream, &mut header).map_err(damaged)? < header.len() {
        bail!("{name}: truncated IDX header");
    }
    let sizes: Vec<usize> = header
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
        .collect();
    let expected = sizes
        .iter()
        .try_fold(1u64, |acc, &s| acc.checked_mul(s as u64))
        .filter(|&n| n <= MAX_IDX_PAYLOAD);
    let Some(expected) = expected else {
        bail!(
            "{name}: IDX dimensions {sizes:?} declare more data than an IDX file may hold here ({})",
            crate::files::human_bytes(MAX_IDX_PAYLOAD)
        );
    };
    // grow with the data actually there, not with what the header claims
    let mut payload = Vec::with_capacity(expected.min(64 << 20) as usize);
    (&mut stream)
        .take(expected)
        .read_to_end(&mut payload)
        .map_err(damaged)?;
    if (payload.len() as u64) < expected {
        bail!(
            "{name}: truncated: header promises {expected} bytes of data ({sizes:?}) but only {} follow",
            payload.len()
        );
    }
    // one byte more lets a gzip stream that ends here check its CRC; trailing data is ignored
    read_up_to(&mut stream, &mut [0u8; 1]).map_err(damaged)?;
    Ok((sizes, payload))
}

/// Fills as much of `buffer` as `reader` has; the count read.
fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads an images file and its labels file into labelled images (class names left empty).
pub fn read_pair(
    images_path: &Path,
    labels_path: &Path,
    progress: &Progress,
) -> Result<(Vec<GrayImage>, Vec<u16>)> {
    let (dims, pixels) = read_idx(images_path, 3, progress)?;
    let (label_dims, labels) = read_idx(labels_path, 1, progress)?;
    let (count, height, width) = (dims[0], dims[1], dims[2]);
    if label_dims[0] != count {
        bail!(
            "{}: holds {} labels but {} holds {count} images",
            labels_path.display(),
            label_dims[0],
            images_path.display()
        );
    }
    if width == 0 || height == 0 {
        bail!("{}: images of size {width}x{height}", images_path.display());
    }
    let stride = width * height;
    // IDX stores ink as 255 on a 0 background; as luminance that is light figures on dark.
    let images = pixels
        .chunks_exact(stride)
        .map(|chunk| GrayImage {
            width: width as u32,
            height: height as u32,
            pixels: chunk.to_vec(),
        })
        .collect();
    Ok((images, labels.iter().map(|&l| l as u16).collect()))
}

/// Class names for IDX labels `0..count`: a `classes.txt` beside the files (one name per line),
/// Fashion-MNIST's names when the folder is named for it, else the label numbers.
fn class_names(dir: &Path, count: usize) -> Result<Vec<String>> {
    let listing = dir.join("classes.txt");
    if listing.is_file() {
        let text = crate::files::read_text_capped(
            &listing,
            crate::files::MAX_SMALL_TEXT_BYTES,
            "class list",
        )?;
        let names: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        if let Some((first, second)) = super::first_repeat(&names) {
            bail!(
                "{}: class `{}` is listed twice (names {} and {}); each class needs its own name",
                listing.display(),
                names[first],
                first + 1,
                second + 1
            );
        }
        if names.len() < count {
            bail!(
                "{}: lists {} class names but the labels use {count}",
                listing.display(),
                names.len()
            );
        }
        return Ok(names);
    }
    let folder = dir
        .canonicalize()
        .unwrap_or_else(|_| dir.to_path_buf())
        .to_string_lossy()
        .to_ascii_lowercase();
    if folder.contains("fashion") && count <= FASHION_MNIST_CLASSES.len() {
        return Ok(FASHION_MNIST_CLASSES
            .iter()
            .map(|s| s.to_string())
            .collect());
    }
    Ok((0..count).map(|c| c.to_string()).collect())
}

/// Reads the training pair and, if present, the test pair of a folder of IDX files.
pub fn load_pairs(dir: &Path, pairs: &IdxPairs) -> Result<(ImageSet, Option<ImageSet>)> {
    load_pairs_watched(dir, pairs, &Progress::default())
}

/// [`load_pairs`], counting the bytes read from the files into `progress` (its total grows by
/// their sizes) and stopping with an error once it is cancelled.
pub fn load_pairs_watched(
    dir: &Path,
    pairs: &IdxPairs,
    progress: &Progress,
) -> Result<(ImageSet, Option<ImageSet>)> {
    let mut files = vec![&pairs.train_images, &pairs.train_labels];
    if let Some((images, labels)) = &pairs.test {
        files.extend([images, labels]);
    }
    let size = |path: &&PathBuf| std::fs::metadata(path).map_or(0, |m| m.len());
    progress.add_total(files.iter().map(size).sum());
    let read = |images: &Path, labels: &Path| {
        read_pair(images, labels, progress).map_err(|e| match progress.is_cancelled() {
            true => anyhow::anyhow!("{}: loading cancelled", dir.display()),
            false => e,
        })
    };
    let (train_images, train_labels) = read(&pairs.train_images, &pairs.train_labels)?;
    let test = match &pairs.test {
        Some((images, labels)) => Some(read(images, labels)?),
        None => None,
    };
    let max_label = train_labels
        .iter()
        .chain(test.iter().flat_map(|(_, l)| l.iter()))
        .copied()
        .max()
        .unwrap_or(0);
    if train_images.is_empty() {
        bail!("{}: holds no images", pairs.train_images.display());
    }
    let classes = class_names(dir, max_label as usize + 1)?;
    let train = ImageSet {
        classes: classes.clone(),
        images: train_images,
        labels: train_labels,
        files: Vec::new(),
    };
    let test = test.map(|(images, labels)| ImageSet {
        classes,
        images,
        labels,
        files: Vec::new(),
    });
    Ok((train, test))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn idx_images(count: u32, h: u32, w: u32, fill: impl Fn(usize) -> u8) -> Vec<u8> {
        let mut bytes = vec![0, 0, 8, 3];
        for d in [count, h, w] {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend((0..(count * h * w) as usize).map(fill));
        bytes
    }

    fn idx_labels(labels: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 8, 1];
        bytes.extend_from_slice(&(labels.len() as u32).to_be_bytes());
        bytes.extend_from_slice(labels);
        bytes
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        crate::test_support::scratch_dir(&format!("idx-{name}"))
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn reads_plain_and_gzipped_pairs_pixel_for_pixel() {
        let dir = scratch("ok");
        std::fs::write(
            dir.join("train-images-idx3-ubyte"),
            idx_images(3, 2, 2, |k| k as u8),
        )
        .unwrap();
        std::fs::write(dir.join("train-labels-idx1-ubyte"), idx_labels(&[0, 2, 1])).unwrap();
        std::fs::write(
            dir.join("t10k-images-idx3-ubyte.gz"),
            gzip(&idx_images(1, 2, 2, |_| 9)),
        )
        .unwrap();
        std::fs::write(
            dir.join("t10k-labels-idx1-ubyte.gz"),
            gzip(&idx_labels(&[2])),
        )
        .unwrap();
        let pairs = find_pairs(&dir).unwrap().unwrap();
        let (train, test) = load_pairs(&dir, &pairs).unwrap();
        assert_eq!(train.classes, vec!["0", "1", "2"]);
        assert_eq!(train.labels, vec![0, 2, 1]);
        assert_eq!(train.images[1].pixels, vec![4, 5, 6, 7]);
        let test = test.unwrap();
        assert_eq!(test.images[0].pixels, vec![9; 4]);
        assert_eq!(test.labels, vec![2]);
    }

    #[test]
    fn truncated_file_is_an_error_naming_it() {
        let dir = scratch("trunc");
        let mut images = idx_images(3, 2, 2, |_| 0);
        images.truncate(images.len() - 1);
        std::fs::write(dir.join("train-images-idx3-ubyte"), images).unwrap();
        std::fs::write(dir.join("train-labels-idx1-ubyte"), idx_labels(&[0, 1, 0])).unwrap();
        let pairs = find_pairs(&dir).unwrap().unwrap();
        let err = load_pairs(&dir, &pairs).unwrap_err().to_string();
        assert!(
            err.contains("train-images-idx3-ubyte") && err.contains("truncated"),
            "{err}"
        );
    }

    #[test]
    fn a_watched_load_counts_every_byte_and_a_cancelled_one_stops_naming_the_folder() {
        let dir = scratch("watched");
        let images = gzip(&idx_images(200, 8, 8, |k| (k % 7) as u8));
        std::fs::write(dir.join("train-images-idx3-ubyte.gz"), &images).unwrap();
        std::fs::write(dir.join("train-labels-idx1-ubyte"), idx_labels(&[1; 200])).unwrap();
        let pairs = find_pairs(&dir).unwrap().unwrap();
        let progress = Progress::default();
        let (train, _) = load_pairs_watched(&dir, &pairs, &progress).unwrap();
        assert_eq!(train.len(), 200);
        let bytes = (images.len() + idx_labels(&[1; 200]).len()) as u64;
        assert_eq!(progress.counts(), (bytes, bytes));
        assert_eq!(progress.fraction(), Some(1.0));
        let cancelled = Progress::default();
        cancelled.cancel();
        let err = load_pairs_watched(&dir, &pairs, &cancelled)
            .unwrap_err()
            .to_string();
        assert_eq!(err, format!("{}: loading cancelled", dir.display()));
    }

    #[test]
    fn truncated_gzip_and_mismatched_counts_are_errors() {
        let dir = scratch("badgz");
        let gz = gzip(&idx_images(50, 8, 8, |k| (k % 251) as u8));
        std::fs::write(dir.join("train-images-idx3-ubyte.gz"), &gz[..gz.len() / 2]).unwrap();
        std::fs::write(
            dir.join("train-labels-idx1-ubyte.gz"),
            gzip(&idx_labels(&[0; 50])),
        )
        .unwrap();
        let pairs = find_pairs(&dir).unwrap().unwrap();
        let err = load_pairs(&dir, &pairs).unwrap_err().to_string();
        assert!(err.contains("train-images-idx3-ubyte.gz"), "{err}");

        let dir = scratch("count");
        std::fs::write(
            dir.join("train-images-idx3-ubyte"),
            idx_images(2, 1, 1, |_| 0),
        )
        .unwrap();
        std::fs::write(dir.join("train-labels-idx1-ubyte"), idx_labels(&[0, 1, 1])).unwrap();
        let pairs = find_pairs(&dir).unwrap().unwrap();
        let err = load_pairs(&dir, &pairs).unwrap_err().to_string();
        assert!(
            err.contains("3 labels") && err.contains("2 images"),
            "{err}"
        );
    }

    #[test]
    fn multi_member_gzip_reads_as_one_file() {
        let dir = scratch("members");
        let images = idx_images(4, 3, 3, |k| (k * 7 % 256) as u8);
        let (head, tail) = images.split_at(21);
        let mut two = gzip(head);
        two.extend(gzip(tail));
        std::fs::write(dir.join("train-images-idx3-ubyte.gz"), two).unwrap();
        std::fs::write(
            dir.join("train-labels-idx1-ubyte"),
            idx_labels(&[0, 1, 0, 1]),
        )
        .unwrap();
        let pairs = find_pairs(&dir).unwrap().unwrap();
        let (train, _) = load_pairs(&dir, &pairs).unwrap();
        assert_eq!(train.images.len(), 4);
        assert_eq!(train.images[3].pixels, images[16 + 27..16 + 36].to_vec());
    }

    #[test]
    fn a_gzip_bomb_is_read_only_as_far_as_its_header_declares() {
        let dir = scratch("bomb");
        // two 2x2 images, then 256 MiB of zeros that compress to about 250 KB
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder
            .write_all(&idx_images(2, 2, 2, |k| k as u8 + 1))
            .unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..256 {
            encoder.write_all(&zeros).unwrap();
        }
        let gz = encoder.finish().unwrap();
        assert!(gz.len() < 1 << 20, "{} bytes", gz.len());
        std::fs::write(dir.join("train-images-idx3-ubyte.gz"), gz).unwrap();
        std::fs::write(dir.join("train-labels-idx1-ubyte"), idx_labels(&[0, 1])).unwrap();
        let pairs = find_pairs(&dir).unwrap().unwrap();
        let (train, _) = load_pairs(&dir, &pairs).unwrap();
        assert_eq!(train.images[1].pixels, vec![5, 6, 7, 8]);
    }

    #[test]
    fn headers_that_claim_too_much_or_lie_are_refused_by_name() {
        let dir = scratch("claims");
        // 2,000,000 images of 28x28: 1.5 GB, over the limit
        let mut huge = vec![0, 0, 8, 3];
        for d in [2_000_000u32, 28, 28] {
            huge.extend_from_slice(&d.to_be_bytes());
        }
        std::fs::write(dir.join("train-images-idx3-ubyte"), &huge).unwrap();
        std::fs::write(dir.join("train-labels-idx1-ubyte"), idx_labels(&[0])).unwrap();
        let pairs = find_pairs(&dir).unwrap().unwrap();
        let err = load_pairs(&dir, &pairs).unwrap_err().to_string();
        assert!(
            err.contains("train-images-idx3-ubyte") && err.contains("1 GiB"),
            "{err}"
        );
        // a million 32x32 images declared (under the limit), 10 bytes there
        let mut lying = vec![0, 0, 8, 3];
        for d in [1_000_000u32, 32, 32] {
            lying.extend_from_slice(&d.to_be_bytes());
        }
        lying.extend_from_slice(&[1; 10]);
        std::fs::write(dir.join("train-images-idx3-ubyte"), gzip(&lying)).unwrap();
        let err = load_pairs(&dir, &pairs).unwrap_err().to_string();
        assert!(
            err.contains("truncated") && err.contains("only 10"),
            "{err}"
        );
    }

    #[test]
    fn a_class_list_naming_a_class_twice_is_refused() {
        let dir = scratch("twice");
        std::fs::write(
            dir.join("train-images-idx3-ubyte"),
            idx_images(2, 1, 1, |_| 0),
        )
        .unwrap();
        std::fs::write(dir.join("train-labels-idx1-ubyte"), idx_labels(&[0, 1])).unwrap();
        std::fs::write(dir.join("classes.txt"), "cat\ndog\ncat\n").unwrap();
        let pairs = find_pairs(&dir).unwrap().unwrap();
        let err = load_pairs(&dir, &pairs).unwrap_err().to_string();
        assert!(
            err.contains("classes.txt") && err.contains("`cat` is listed twice"),
            "{err}"
        );
    }

    #[test]
    fn half_a_pair_is_an_error_and_no_idx_is_none() {
        let dir = scratch("half");
        assert!(find_pairs(&dir).unwrap().is_none());
        std::fs::write(
            dir.join("train-images-idx3-ubyte"),
            idx_images(1, 1, 1, |_| 0),
        )
        .unwrap();
        let err = find_pairs(&dir).unwrap_err().to_string();
        assert!(err.contains("train-labels"), "{err}");
    }
}
