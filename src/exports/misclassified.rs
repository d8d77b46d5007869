//! The confusion matrix's cells as folders: each wrongly classified image copied into
//! `<root>/<true class>/<predicted class>/`, so the mistakes can be looked at in any image
//! viewer.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

use crate::data::{ImageSet, first_repeat, folder};
use crate::files;

/// Copies each image of `set` whose `predicted` class is not its own into
/// `root/<true class>/<predicted class>/`: the file it was read from, under its own name (with
/// `-2`, `-3`... where two share a name), or, for generated and IDX sets, the picture as
/// `<index in the set>.png`. `root` must be new or an empty folder, so nothing is replaced.
/// Returns how many images were written.
pub fn write_misclassified(set: &ImageSet, predicted: &[usize], root: &Path) -> Result<usize> {
    check_target(root)?;
    std::fs::create_dir_all(root).with_context(|| format!("{}: cannot create", root.display()))?;
    let folders: Vec<String> = set.classes.iter().map(|c| folder::folder_name(c)).collect();
    if let Some((a, b)) = first_repeat(&folders) {
        bail!(
            "{}: classes `{}` and `{}` would share the folder `{}`",
            root.display(),
            set.classes[a],
            set.classes[b],
            folders[a]
        );
    }
    let mut written = 0;
    for (k, (&truth, &guess)) in set.labels.iter().zip(predicted).enumerate() {
        let truth = truth as usize;
        if truth == guess {
            continue;
        }
        let dir = root.join(&folders[truth]).join(&folders[guess]);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let (name, bytes) = match set.files.get(k) {
            Some(file) => (
                file.file_name()
                    .map_or_else(|| format!("{k}").into(), |n| n.to_owned()),
                std::fs::read(file).with_context(|| format!("{}: cannot read", file.display()))?,
            ),
            None => (
                format!("{k:05}.png").into(),
                folder::png_bytes(&set.images[k])?,
            ),
        };
        write_under_a_free_name(&dir, Path::new(&name), &bytes)?;
        written += 1;
    }
    Ok(written)
}

/// Accepts a `root` that does not exist yet or is an empty folder; anything else is refused
/// (checked before the work, and again before writing).
pub fn check_target(root: &Path) -> Result<()> {
    let name = root.display();
    match std::fs::symlink_metadata(root) {
        Err(_) => Ok(()),
        Ok(meta) if meta.is_dir() => {
            let mut entries = std::fs::read_dir(root).with_context(|| format!("{name}"))?;
            if entries.next().is_some() {
                bail!(
                    "{name}: the folder is not empty; name a new folder for the misclassified images"
                );
            }
            Ok(())
        }
        Ok(_) => bail!("{name}: exists and is not a folder"),
    }
}

/// Writes `bytes` as `dir/name`, or `dir/<stem>-2.<ext>` and so on where the name is taken.
fn write_under_a_free_name(dir: &Path, name: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let stem = name.file_stem().unwrap_or_default().to_string_lossy();
    let extension = name
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    for n in 1.. {
        let candidate = match n {
            1 => dir.join(name),
            _ => dir.join(format!("{stem}-{n}{extension}")),
        };
        if files::write_new_atomically(&candidate, bytes)? {
            return Ok(candidate);
        }
    }
    unreachable!("some name is free")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::GrayImage;

    fn set(files: Vec<PathBuf>) -> ImageSet {
        ImageSet {
            classes: vec!["cat".into(), "T-shirt/top".into()],
            images: (0..4).map(|k| GrayImage::filled(2, 2, k * 60)).collect(),
            labels: vec![0, 0, 1, 1],
            files,
        }
    }

    #[test]
    fn each_mistake_lands_in_its_cell_and_nothing_else_is_written() {
        let root = crate::test_support::scratch_dir("misclassified-cells").join("out");
        let written = write_misclassified(&set(Vec::new()), &[0, 1, 0, 1], &root).unwrap();
        assert_eq!(written, 2);
        let picture = image::open(root.join("cat/T-shirt_top/00001.png")).unwrap();
        assert_eq!(picture.to_luma8().get_pixel(0, 0).0, [60]);
        assert!(root.join("T-shirt_top/cat/00002.png").is_file());
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 2);
        // a second run into the same folder is refused, not mixed in
        let err = write_misclassified(&set(Vec::new()), &[1, 1, 1, 1], &root).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
    }

    #[test]
    fn files_are_copied_under_their_own_names_and_a_shared_name_gets_a_number() {
        let scratch = crate::test_support::scratch_dir("misclassified-files");
        let sources: Vec<PathBuf> = ["a/x.png", "b/x.png", "c/y.png", "d/z.png"]
            .iter()
            .map(|name| {
                let path = scratch.join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, name.as_bytes()).unwrap();
                path
            })
            .collect();
        let root = scratch.join("out");
        write_misclassified(&set(sources), &[1, 1, 1, 0], &root).unwrap();
        let cell = root.join("cat/T-shirt_top");
        assert_eq!(std::fs::read(cell.join("x.png")).unwrap(), b"a/x.png");
        assert_eq!(std::fs::read(cell.join("x-2.png")).unwrap(), b"b/x.png");
        assert_eq!(
            std::fs::read(root.join("T-shirt_top/cat/z.png")).unwrap(),
            b"d/z.png"
        );
    }
}
