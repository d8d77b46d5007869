//! What the exhibit remembers across restarts (language, visits), written atomically.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::log::Log;
use crate::files::{FileKind, MAX_SMALL_TEXT_BYTES, read_text_capped, write_atomically};

/// The exhibit's settings file, recognised by its visit count.
const SETTINGS_FILE: FileKind = FileKind {
    what: "mark1 exhibit settings file",
    recognise: |head| String::from_utf8_lossy(head).contains("visits:"),
};

/// What the exhibit remembers across restarts, written atomically.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedSettings {
    pub language: Option<String>,
    /// Visits counted over the exhibit's life.
    pub visits: u64,
}

impl SavedSettings {
    /// The settings in `path`; none (defaults) when the file is missing or unreadable, so a
    /// damaged file never stops the exhibit (the log says so).
    pub fn load(path: &Path, log: &mut Log) -> SavedSettings {
        match read_text_capped(path, MAX_SMALL_TEXT_BYTES, "settings file") {
            Ok(text) => ron::from_str(&text).unwrap_or_else(|e| {
                log.line(&format!(
                    "{}: damaged settings ignored: {e}",
                    path.display()
                ));
                SavedSettings::default()
            }),
            Err(e) => {
                if path.exists() {
                    log.line(&format!("settings ignored: {e}"));
                }
                SavedSettings::default()
            }
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default())
            .context("encoding the exhibit settings")?;
        write_atomically(path, text.as_bytes(), &SETTINGS_FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    #[test]
    fn settings_survive_a_restart_and_damage_is_ignored() {
        let dir = scratch_dir("exhibit-settings");
        let path = dir.join("state.ron");
        let mut log = Log::new(&dir.join("log"), 4096);
        assert_eq!(
            SavedSettings::load(&path, &mut log),
            SavedSettings::default()
        );
        let settings = SavedSettings {
            language: Some("de".into()),
            visits: 12,
        };
        settings.save(&path).unwrap();
        assert_eq!(SavedSettings::load(&path, &mut log), settings);
        std::fs::write(&path, "(language: Some(\"de\"").unwrap();
        assert_eq!(
            SavedSettings::load(&path, &mut log),
            SavedSettings::default()
        );
        assert!(
            std::fs::read_to_string(dir.join("log"))
                .unwrap()
                .contains("damaged")
        );
    }
}
