//! mark1: a simulator of Frank Rosenblatt's Mark I Perceptron (Cornell Aeronautical Laboratory,
//! 1958-60), with the modern multi-layer perceptron beside it.
//!
//! The core, without Bevy:
//! - [`nn`]: the machine contract ([`nn::Machine`], [`nn::Classifier`]) and the two machines
//!   that keep it: the Mark I (retina, plugboard, R-units, reinforcement) and the MLP.
//! - [`data`]: image folders, IDX files and the generated historical sets; points in the
//!   plane for the playground.
//! - [`lessons`]: the lecture's demonstrations, one per file.
//! - [`playground`]: a small network on points in the plane, trained a batch at a time, with
//!   its decision surface and hidden units' maps.
//! - [`chart`]: a chart as data; [`fields`]: validation errors with a field path.
//! - [`scene`]: the typed `scenes/*.ron` configuration, one seed for every random choice.
//! - [`experiment`]: data + machine + training loop, for any machine; the live experiment.
//! - [`model_file`], [`files`], [`seeds`]: machine files, capped reads and atomic saves, the
//!   named random streams; [`paths`]: typed paths and their completion.
//! - [`exports`]: results for other tools: CSV tables, safetensors weights, the misclassified
//!   images as folders.
//!
//! The front ends:
//! - [`args`] and [`cli`]: the command line's grammar, and its headless subcommands.
//! - [`sim`]: the machine as an ECS simulation (units as entities, the cycle as system sets).
//! - [`ui`]: the one look: palette, fonts, raster, text, widgets, the one chart renderer.
//! - [`panel`]: the rendered control panel; [`lesson_view`]: a lesson as a projector page,
//!   and the playground live; [`kiosk`]: museum mode.
//! - [`app`]: the window: Bevy's plugins, the pages, screenshots.

pub mod app;
pub mod args;
pub mod chart;
pub mod cli;
pub mod data;
pub mod experiment;
pub mod exports;
pub mod fields;
pub mod files;
pub mod kiosk;
pub mod lesson_view;
pub mod lessons;
pub mod model_file;
pub mod nn;
pub mod panel;
pub mod paths;
pub mod playground;
pub mod scene;
pub mod seeds;
pub mod sim;
pub mod ui;

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers shared by the unit tests.

    /// A fresh, empty folder for one test: `<tmp>/mark1-<name>-<pid>`.
    pub fn scratch_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mark1-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary folder");
        dir
    }
}

#[cfg(test)]
mod layering {
    //! The house's rules, checked on the sources: the core and the headless command line
    //! never name Bevy or a front end, and lints are silenced only with a reason.

    use std::path::{Path, PathBuf};

    /// Every `.rs` file under `src/<room>` (a folder or a single file).
    fn sources(room: &str) -> Vec<PathBuf> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let file = src.join(format!("{room}.rs"));
        if file.is_file() {
            return vec![file];
        }
        let mut found = Vec::new();
        let mut folders = vec![src.join(room)];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("a room of src/") {
                let path = entry.expect("a readable entry").path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    found.push(path);
                }
            }
        }
        assert!(!found.is_empty(), "no sources in src/{room}");
        found
    }

    /// The code of a file without its comments, line by line.
    fn code_lines(path: &Path) -> Vec<(usize, String)> {
        let text = std::fs::read_to_string(path).expect("a readable source");
        text.lines()
            .enumerate()
            .filter_map(|(n, line)| {
                let code = line.split("//").next().unwrap_or("").trim().to_string();
                (!code.is_empty()).then_some((n + 1, code))
            })
            .collect()
    }

    /// Lines of `rooms` whose code contains any of `names`.
    fn mentions(rooms: &[&str], names: &[&str]) -> Vec<String> {
        let mut found = Vec::new();
        for room in rooms {
            for path in sources(room) {
                for (n, code) in code_lines(&path) {
                    if names.iter().any(|name| code.contains(name)) {
                        found.push(format!("{}:{n}: {code}", path.display()));
                    }
                }
            }
        }
        found
    }

    const HEADLESS: &[&str] = &[
        "nn",
        "data",
        "lessons",
        "playground",
        "chart",
        "seeds",
        "fields",
        "files",
        "paths",
        "scene",
        "experiment",
        "exports",
        "model_file",
        "args",
        "cli",
    ];

    #[test]
    fn the_core_and_the_command_line_never_name_bevy() {
        let found = mentions(
            HEADLESS,
            &["bevy", "Bevy::", "#[derive(Resource", "Component)]"],
        );
        assert!(
            found.is_empty(),
            "Bevy in a headless room:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_headless_rooms_never_reach_a_front_end() {
        let front_ends = [
            "crate::app",
            "crate::sim",
            "crate::panel",
            "crate::kiosk",
            "crate::lesson_view",
            "crate::ui",
        ];
        let found = mentions(HEADLESS, &front_ends);
        assert!(
            found.is_empty(),
            "a headless room uses a front end:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_numeric_core_never_reaches_above_itself() {
        let above = [
            "crate::experiment",
            "crate::scene",
            "crate::model_file",
            "crate::cli",
            "crate::args",
        ];
        let found = mentions(&["nn", "data", "lessons", "playground"], &above);
        assert!(
            found.is_empty(),
            "the core uses a room above it:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn lints_are_silenced_only_with_expect_and_a_reason() {
        let mut found = Vec::new();
        for path in sources(".") {
            let text = std::fs::read_to_string(&path).expect("a readable source");
            for (at, _) in text
                .match_indices("expect(")
                .chain(text.match_indices("allow("))
            {
                let attribute = text[..at].ends_with("#[") || text[..at].ends_with("#![");
                let body = &text[at..];
                let body = &body[..body.find(")]").unwrap_or(body.len())];
                if attribute && (body.starts_with("allow") || !body.contains("reason")) {
                    found.push(format!("{}: #[{body})]", path.display()));
                }
            }
        }
        assert!(
            found.is_empty(),
            "a lint silenced without expect and a reason:\n{}",
            found.join("\n")
        );
    }
}
