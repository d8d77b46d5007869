//! Image sets: labelled grayscale images from folders, IDX files and generated historical sets,
//! and tables of features from CSV files; no Bevy.

pub mod builtin;
pub mod draw;
pub mod folder;
pub mod idx;
pub mod plane;
pub mod progress;
pub mod table;

use anyhow::{Result, bail};
use rand::seq::SliceRandom;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use progress::Progress;

use crate::seeds::{Stream, rng_for};

/// A grayscale picture as a camera or scanner gives it: `pixels[y * width + x]` is luminance,
/// 0 = black, 255 = white. Which of dark or light is the figure is the retina's business.
#[derive(Clone, Debug, PartialEq)]
pub struct GrayImage {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl GrayImage {
    /// A `width` x `height` picture filled with one luminance.
    pub fn filled(width: u32, height: u32, luminance: u8) -> Self {
        Self {
            width,
            height,
            pixels: vec![luminance; width as usize * height as usize],
        }
    }

    /// Luminance at (x, y); the caller keeps x < width and y < height.
    pub fn get(&self, x: u32, y: u32) -> u8 {
        self.pixels[y as usize * self.width as usize + x as usize]
    }

    /// Sets the luminance at (x, y) when it lies inside the picture.
    pub fn set(&mut self, x: i32, y: i32, luminance: u8) {
        if x >= 0 && y >= 0 && (x as u32) < self.width && (y as u32) < self.height {
            self.pixels[y as usize * self.width as usize + x as usize] = luminance;
        }
    }
}

/// Labelled images: `labels[k]` indexes `classes` and names the class of `images[k]`.
#[derive(Clone, Debug, Default)]
pub struct ImageSet {
    pub classes: Vec<String>,
    pub images: Vec<GrayImage>,
    pub labels: Vec<u16>,
    /// `files[k]` is the file `images[k]` was read from, for a set read from image files;
    /// empty for generated and IDX sets.
    pub files: Vec<PathBuf>,
}

impl ImageSet {
    pub fn len(&self) -> usize {
        self.images.len()
    }

    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// How many images each class holds, in class order.
    pub fn class_counts(&self) -> Vec<usize> {
        count_labels(&self.labels, self.classes.len())
    }

    /// The images whose indices are listed, in that order, with the same classes.
    pub fn subset(&self, indices: &[usize]) -> ImageSet {
        ImageSet {
            classes: self.classes.clone(),
            images: indices.iter().map(|&k| self.images[k].clone()).collect(),
            labels: indices.iter().map(|&k| self.labels[k]).collect(),
            files: match self.files.is_empty() {
                true => Vec::new(),
                false => indices.iter().map(|&k| self.files[k].clone()).collect(),
            },
        }
    }

    /// Relabels this set's images into `classes` (matched by name), so a test set read on its own
    /// lines up with the classes a machine was trained on. Fails naming the first unknown class.
    pub fn aligned_to(mut self, classes: &[String], what: &str) -> Result<ImageSet> {
        let mut mapping = Vec::with_capacity(self.classes.len());
        for name in &self.classes {
            match classes.iter().position(|c| c == name) {
                Some(index) => mapping.push(index as u16),
                None => bail!(
                    "{what}: class `{name}` is not one of the trained classes ({})",
                    classes.join(", ")
                ),
            }
        }
        for label in &mut self.labels {
            *label = mapping[*label as usize];
        }
        self.classes = classes.to_vec();
        Ok(self)
    }
}

/// A training set and, where the source has one, its own test set.
#[derive(Clone, Debug)]
pub struct DataSplit {
    /// How the user named the source (a path or `builtin:NAME`).
    pub source: String,
    pub train: ImageSet,
    pub test: Option<ImageSet>,
    /// One line per input file that was skipped (corrupt or unreadable), naming it.
    pub warnings: Vec<String>,
}

/// Splits `set` into (train, test) with about `test_fraction` of each class in the test part,
/// shuffled by `seed`; every class keeps at least one training image.
pub fn split_by_class(set: &ImageSet, test_fraction: f32, seed: u64) -> (ImageSet, ImageSet) {
    let (train, test) = split_indices_by_class(&set.labels, set.classes.len(), test_fraction, seed);
    (set.subset(&train), set.subset(&test))
}

/// The indices of (train, test) for samples labelled `labels` in `classes` classes: about
/// `test_fraction` of each class tested, shuffled by `seed`, every class keeping at least one
/// training sample; both lists ascending.
pub fn split_indices_by_class(
    labels: &[u16],
    classes: usize,
    test_fraction: f32,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = rng_for(seed, Stream::DataSplit);
    let mut train = Vec::new();
    let mut test = Vec::new();
    for class in 0..classes {
        let mut members: Vec<usize> = (0..labels.len())
            .filter(|&k| labels[k] as usize == class)
            .collect();
        members.shuffle(&mut rng);
        let wanted = (members.len() as f32 * test_fraction).round() as usize;
        let n_test = wanted.min(members.len().saturating_sub(1));
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Options that shape how a data source is read.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Seed for generated sets and for the train/test split.
    pub seed: u64,
    /// Images per class for generated sets; `None` takes each set's own default.
    pub samples_per_class: Option<usize>,
    /// Pictures read from files are kept at most this many pixels a side (scaled down by area,
    /// aspect kept): see [`kept_side`].
    pub max_side: u32,
    /// How far the load has come, for a bar; cancelling it stops the load at its next file.
    pub progress: Arc<Progress>,
}

impl LoadOptions {
    /// Options for a machine whose retina (or MLP input) is `retina_side` cells at its widest.
    pub fn for_retina(seed: u64, samples_per_class: Option<usize>, retina_side: u32) -> Self {
        Self {
            seed,
            samples_per_class,
            max_side: kept_side(retina_side),
            progress: Arc::default(),
        }
    }
}

/// How many pixels a side a picture read from a file keeps: four times the retina's widest
/// side, so sensing it sees what it would see in the original, and at least 128 for the
/// panel's pictures. A phone photo then takes tens of kilobytes, not tens of megabytes.
pub fn kept_side(retina_side: u32) -> u32 {
    retina_side
        .saturating_mul(4)
        .clamp(128, folder::MAX_IMAGE_SIDE)
}

/// Reads a data source: `builtin:NAME`, a folder of IDX pairs, a folder holding `train/` and
/// `test/`, or a folder with one subfolder per class.
pub fn load(source: &str, options: &LoadOptions) -> Result<DataSplit> {
    if let Some(name) = source.strip_prefix("builtin:") {
        return builtin::generate(name, options.seed, options.samples_per_class).map(
            |(train, test)| DataSplit {
                source: source.to_string(),
                train,
                test,
                warnings: Vec::new(),
            },
        );
    }
    let path = Path::new(source);
    if !path.exists() {
        bail!("{source}: no such file or folder");
    }
    if !path.is_dir() && table::is_table_path(path) {
        bail!(
            "{source}: a table of features, not images: `mark1 train --data {source} --label COLUMN` trains an MLP on it"
        );
    }
    if !path.is_dir() {
        bail!(
            "{source}: not a folder (give a folder of class subfolders, a folder of IDX files, or builtin:NAME)"
        );
    }
    if let Some(pair) = idx::find_pairs(path)? {
        return idx::load_pairs_watched(path, &pair, &options.progress).map(|(train, test)| {
            DataSplit {
                source: source.to_string(),
                train,
                test,
                warnings: Vec::new(),
            }
        });
    }
    let train_dir = path.join("train");
    let test_dir = path.join("test");
    // `train/` and `test/`, or `train/` alone (as `mark1 export` writes a set without a test part)
    let has_test = test_dir.is_dir();
    if train_dir.is_dir() && (has_test || holds_only_a_train_folder(path)) {
        let progress = &options.progress;
        let train = folder::load_class_folders_watched(&train_dir, options.max_side, progress)?;
        let mut warnings = train.warnings;
        let test = if has_test {
            let test = folder::load_class_folders_watched(&test_dir, options.max_side, progress)?;
            warnings.extend(test.warnings);
            Some(
                test.set
                    .aligned_to(&train.set.classes, &test_dir.display().to_string())?,
            )
        } else {
            None
        };
        return Ok(DataSplit {
            source: source.to_string(),
            train: train.set,
            test,
            warnings,
        });
    }
    let train = folder::load_class_folders_watched(path, options.max_side, &options.progress)?;
    Ok(DataSplit {
        source: source.to_string(),
        train: train.set,
        test: None,
        warnings: train.warnings,
    })
}

/// How many of `labels` name each of `classes` classes.
pub(crate) fn count_labels(labels: &[u16], classes: usize) -> Vec<usize> {
    let mut counts = vec![0; classes];
    for &label in labels {
        counts[label as usize] += 1;
    }
    counts
}

/// The first two positions in `names` holding the same name, if any.
pub(crate) fn first_repeat<T: AsRef<str>>(names: &[T]) -> Option<(usize, usize)> {
    let mut seen = std::collections::HashMap::new();
    for (k, name) in names.iter().enumerate() {
        if let Some(&first) = seen.get(name.as_ref()) {
            return Some((first, k));
        }
        seen.insert(name.as_ref(), k);
    }
    None
}

/// Whether the only (visible) subfolder of `dir` is `train`.
fn holds_only_a_train_folder(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let folders: Vec<_> = entries
        .flatten()
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.file_name())
        .collect();
    folders.len() == 1 && folders[0] == "train"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy_set(per_class: usize, classes: usize) -> ImageSet {
        let mut set = ImageSet {
            classes: (0..classes).map(|c| format!("c{c}")).collect(),
            ..Default::default()
        };
        for c in 0..classes {
            for k in 0..per_class {
                set.images.push(GrayImage::filled(2, 2, (c * 10 + k) as u8));
                set.labels.push(c as u16);
            }
        }
        set
    }

    #[test]
    fn split_keeps_each_class_in_proportion_and_loses_nothing() {
        let set = toy_set(20, 3);
        let (train, test) = split_by_class(&set, 0.25, 7);
        assert_eq!(train.len() + test.len(), 60);
        assert_eq!(test.class_counts(), vec![5, 5, 5]);
        assert_eq!(train.class_counts(), vec![15, 15, 15]);
    }

    #[test]
    fn split_is_reproducible_for_a_seed_and_differs_across_seeds() {
        let set = toy_set(20, 2);
        let (_, a) = split_by_class(&set, 0.3, 1);
        let (_, b) = split_by_class(&set, 0.3, 1);
        let (_, c) = split_by_class(&set, 0.3, 2);
        assert_eq!(a.images, b.images);
        assert_ne!(a.images, c.images);
    }

    #[test]
    fn aligning_maps_labels_by_class_name() {
        let mut set = toy_set(1, 2);
        set.classes = vec!["b".into(), "a".into()];
        let aligned = set
            .aligned_to(&["a".to_string(), "b".to_string()], "t")
            .unwrap();
        assert_eq!(aligned.labels, vec![1, 0]);
        let mut other = toy_set(1, 1);
        other.classes = vec!["zebra".into()];
        let err = other.aligned_to(&["a".to_string()], "t").unwrap_err();
        assert!(err.to_string().contains("zebra"));
    }
}
