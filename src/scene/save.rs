//! A scene written back as a file: what the playground's page saves, under a name of its own
//! (`playground-spiral-1.ron`, `-2`, ...) so that no earlier file is ever replaced.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Scene;
use crate::files::write_numbered;

impl Scene {
    /// The scene as RON that [`Scene::parse`] reads back to the same scene, under a first
    /// comment naming what wrote it.
    pub fn to_ron(&self, comment: &str) -> Result<String> {
        let pretty = ron::ser::PrettyConfig::new()
            .struct_names(false)
            .extensions(
                ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES
                    | ron::extensions::Extensions::IMPLICIT_SOME,
            );
        let body = ron::ser::to_string_pretty(self, pretty).context("cannot write the scene")?;
        let comment: String = comment.lines().map(|l| format!("// {l}\n")).collect();
        Ok(format!("{comment}{body}\n"))
    }

    /// Saves the scene in `folder` as the first of `<stem>-1.ron`, `<stem>-2.ron`, ... that
    /// does not exist yet, and returns its path.
    pub fn save_numbered(&self, folder: &Path, stem: &str, comment: &str) -> Result<PathBuf> {
        let text = self.to_ron(comment)?;
        write_numbered(folder, stem, "ron", text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mark1-save-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn playground() -> Scene {
        Scene::parse(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/playground.ron"),
            )
            .unwrap(),
            "playground.ron",
        )
        .unwrap()
    }

    #[test]
    fn a_saved_scene_reads_back_as_the_same_scene() {
        let mut scene = playground();
        scene.seed = 77;
        let dir = scratch("round-trip");
        let path = scene
            .save_numbered(&dir, "playground-spiral", "saved\nby a test")
            .unwrap();
        assert_eq!(path, dir.join("playground-spiral-1.ron"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("// saved\n// by a test\n"), "{text}");
        assert_eq!(Scene::load(&path).unwrap(), scene);
    }

    #[test]
    fn saving_again_takes_the_next_free_name_and_never_replaces_a_file() {
        let dir = scratch("numbered");
        std::fs::write(dir.join("set-1.ron"), "someone else's notes").unwrap();
        std::fs::create_dir(dir.join("set-2.ron")).unwrap();
        let scene = playground();
        let saved = scene.save_numbered(&dir, "set", "").unwrap();
        assert_eq!(saved, dir.join("set-3.ron"));
        assert_eq!(
            std::fs::read_to_string(dir.join("set-1.ron")).unwrap(),
            "someone else's notes"
        );
        assert_eq!(
            scene.save_numbered(&dir, "set", "").unwrap(),
            dir.join("set-4.ron")
        );
        // nothing left behind but the saved files
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["set-1.ron", "set-2.ron", "set-3.ron", "set-4.ron"]);
    }

    #[test]
    fn saving_into_a_missing_folder_names_the_file() {
        let dir = scratch("missing").join("not-there");
        let error = playground().save_numbered(&dir, "set", "").unwrap_err();
        let message = format!("{error:#}");
        assert!(
            message.contains("not-there/set-1.ron: cannot save"),
            "{message}"
        );
    }
}
