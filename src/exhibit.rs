//! The exhibit, without Bevy: its scene settings, the visitor's session as a state machine,
//! the label strings in several languages, the saved settings and the rotating log file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};

use crate::files::{FileKind, MAX_SMALL_TEXT_BYTES, read_text_capped, write_atomically};

/// The instruments a scene can show; those it leaves out are hidden.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PanelKind {
    Retina,
    Association,
    Response,
    Plots,
    Confusion,
    Modern,
}

/// The controls a scene can offer; those it leaves out are hidden (locked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlKind {
    Run,
    Step,
    Epoch,
    Reset,
    Speed,
    Trainer,
    Rule,
    StepSize,
    ValueSystem,
    Save,
    Load,
    Rewire,
    Images,
    Force,
    ClearDrawing,
    Zoom,
    /// Touching an A-unit lamp to see its plugboard wiring (11 px lamps: below the 48 px a
    /// kiosk control should have, so exhibits leave it out unless the screen is large).
    Wiring,
}

/// How a scene runs as an unattended exhibit (`exhibit: Some((...))` in a scene file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExhibitConfig {
    /// The language the exhibit starts in (until a visitor or the operator picks another).
    pub language: String,
    /// Languages offered on screen, each with a strings file `<dir>/<code>.ron`.
    pub languages: Vec<String>,
    /// Folder of the strings files; the shipped ones are built in when it is missing.
    pub strings: PathBuf,
    /// Borderless full screen, no cursor.
    pub fullscreen: bool,
    pub panels: Vec<PanelKind>,
    pub controls: Vec<ControlKind>,
    /// Seconds without a touch before the countdown appears.
    pub idle_seconds: f32,
    /// Seconds the countdown runs before the exhibit returns to its attract loop.
    pub countdown_seconds: f32,
    /// Patterns per second while the machine teaches itself in the attract loop.
    pub attract_patterns_per_second: f32,
    /// Epochs the attract loop trains before it starts over from centred pots.
    pub attract_epochs: usize,
    /// A visitor starts with centred pots: the machine learns only what they teach it.
    pub visitor_starts_fresh: bool,
    /// The operator's PIN (digits), asked after the hidden gesture.
    pub operator_pin: String,
    /// Where the language and operator settings are kept across restarts.
    pub state_file: PathBuf,
    /// The log file; it rotates at `log_max_bytes`, keeping three old files.
    pub log_file: PathBuf,
    pub log_max_bytes: u64,
    /// Seconds without a frame after which the supervisor ends the exhibit as hung and starts
    /// it again.
    pub hang_seconds: f32,
}

impl Default for ExhibitConfig {
    fn default() -> Self {
        Self {
            language: "en".into(),
            languages: vec!["en".into(), "fr".into(), "de".into()],
            strings: PathBuf::from("assets/i18n"),
            fullscreen: true,
            panels: vec![
                PanelKind::Retina,
                PanelKind::Association,
                PanelKind::Response,
            ],
            controls: vec![ControlKind::Force, ControlKind::ClearDrawing],
            idle_seconds: 60.0,
            countdown_seconds: 10.0,
            attract_patterns_per_second: 6.0,
            attract_epochs: 4,
            visitor_starts_fresh: true,
            operator_pin: "1960".into(),
            state_file: PathBuf::from("mark1-exhibit-state.ron"),
            log_file: PathBuf::from("mark1-exhibit.log"),
            log_max_bytes: 1 << 20,
            hang_seconds: 30.0,
        }
    }
}

impl ExhibitConfig {
    /// Cross-field checks; on failure the field's name and a message.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !self.languages.contains(&self.language) {
            return Err((
                "language",
                format!(
                    "exhibit.language: `{}` is not among the languages offered {:?}",
                    self.language, self.languages
                ),
            ));
        }
        if self.idle_seconds < 5.0 || self.countdown_seconds < 1.0 {
            return Err((
                "idle_seconds",
                "exhibit: idle_seconds must be at least 5 and countdown_seconds at least 1".into(),
            ));
        }
        if self.operator_pin.len() < 4 || !self.operator_pin.chars().all(|c| c.is_ascii_digit()) {
            return Err((
                "operator_pin",
                "exhibit.operator_pin: four or more digits".into(),
            ));
        }
        if self.attract_patterns_per_second <= 0.0 || self.attract_epochs == 0 {
            return Err((
                "attract_patterns_per_second",
                "exhibit: the attract loop needs a positive speed and at least one epoch".into(),
            ));
        }
        if !(2.0..=3600.0).contains(&self.hang_seconds) {
            return Err((
                "hang_seconds",
                "exhibit.hang_seconds: between 2 and 3600".into(),
            ));
        }
        if self.log_max_bytes < 4096 {
            return Err((
                "log_max_bytes",
                "exhibit.log_max_bytes: at least 4096".into(),
            ));
        }
        Ok(())
    }
}

/// Where the exhibit is in a visitor's minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    /// Nobody is there: the machine teaches itself, and the screen invites a touch.
    Attract,
    /// A visitor is at the screen; `idle` seconds since their last touch.
    Visiting { idle: f32 },
    /// Nobody has touched for a while: `left` seconds until the attract loop.
    Countdown { left: f32 },
}

/// What the exhibit must do after a touch or a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    None,
    /// A visitor arrived: stop the attract loop and hand them the machine.
    VisitStarted,
    /// The countdown appeared.
    CountdownStarted,
    /// A touch during the countdown: the visitor stays.
    CountdownCancelled,
    /// Nobody answered the countdown: back to the attract loop.
    AttractResumed,
}

/// The visitor's session: attract loop, visit, idle countdown, and back.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub phase: Phase,
    idle_seconds: f32,
    countdown_seconds: f32,
    /// Visits so far (for the log and the soak test).
    pub visits: u64,
}

impl Session {
    pub fn new(config: &ExhibitConfig) -> Self {
        Self {
            phase: Phase::Attract,
            idle_seconds: config.idle_seconds,
            countdown_seconds: config.countdown_seconds,
            visits: 0,
        }
    }

    /// A touch anywhere on the screen.
    pub fn touch(&mut self) -> Change {
        let change = match self.phase {
            Phase::Attract => {
                self.visits += 1;
                Change::VisitStarted
            }
            Phase::Visiting { .. } => Change::None,
            Phase::Countdown { .. } => Change::CountdownCancelled,
        };
        self.phase = Phase::Visiting { idle: 0.0 };
        change
    }

    /// `seconds` of clock time passed.
    pub fn tick(&mut self, seconds: f32) -> Change {
        match self.phase {
            Phase::Attract => Change::None,
            Phase::Visiting { idle } => {
                let idle = idle + seconds;
                if idle >= self.idle_seconds {
                    self.phase = Phase::Countdown {
                        left: self.countdown_seconds,
                    };
                    Change::CountdownStarted
                } else {
                    self.phase = Phase::Visiting { idle };
                    Change::None
                }
            }
            Phase::Countdown { left } => {
                let left = left - seconds;
                if left <= 0.0 {
                    self.phase = Phase::Attract;
                    Change::AttractResumed
                } else {
                    self.phase = Phase::Countdown { left };
                    Change::None
                }
            }
        }
    }

    /// Back to the attract loop now (the operator's reset, or an error).
    pub fn abandon(&mut self) -> Change {
        if self.phase == Phase::Attract {
            Change::None
        } else {
            self.phase = Phase::Attract;
            Change::AttractResumed
        }
    }
}

/// One language's labels: key -> text, from `<code>.ron` (a RON map).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Strings {
    pub code: String,
    table: BTreeMap<String, String>,
    /// English, for keys a translation lacks.
    fallback: BTreeMap<String, String>,
}

/// The shipped strings files, built in so the exhibit runs from the binary alone.
pub const BUILT_IN_STRINGS: [(&str, &str); 3] = [
    ("en", include_str!("../assets/i18n/en.ron")),
    ("fr", include_str!("../assets/i18n/fr.ron")),
    ("de", include_str!("../assets/i18n/de.ron")),
];

fn parse_table(text: &str, origin: &str) -> Result<BTreeMap<String, String>> {
    ron::Options::default().from_str(text).map_err(|e| {
        anyhow!(
            "{origin}:{}:{}: {}",
            e.span.start.line,
            e.span.start.col,
            e.code
        )
    })
}

impl Strings {
    /// Language `code` from `dir/<code>.ron`, or the built-in file when `dir` has none.
    pub fn load(dir: &Path, code: &str) -> Result<Strings> {
        let built_in = |c: &str| {
            BUILT_IN_STRINGS
                .iter()
                .find(|(k, _)| *k == c)
                .map(|(_, t)| *t)
        };
        let path = dir.join(format!("{code}.ron"));
        let table = match path.is_file() {
            true => parse_table(
                &read_text_capped(&path, MAX_SMALL_TEXT_BYTES, "strings file")?,
                &path.display().to_string(),
            )?,
            false => match built_in(code) {
                Some(text) => parse_table(text, &format!("assets/i18n/{code}.ron (built in)"))?,
                None => {
                    return Err(anyhow!(
                        "{}: no strings for language `{code}`",
                        path.display()
                    ));
                }
            },
        };
        let fallback = parse_table(built_in("en").expect("English is built in"), "en.ron")?;
        Ok(Strings {
            code: code.to_string(),
            table,
            fallback,
        })
    }

    /// The text for `key`: this language's, else English, else the key itself.
    pub fn get(&self, key: &str) -> String {
        self.table
            .get(key)
            .or_else(|| self.fallback.get(key))
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    /// Keys English has that this language lacks.
    pub fn missing(&self) -> Vec<String> {
        self.fallback
            .keys()
            .filter(|k| !self.table.contains_key(*k))
            .cloned()
            .collect()
    }
}

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

/// A log file that never grows past `max_bytes`: it rotates to `.1`, `.2`, `.3`.
#[derive(Debug)]
pub struct Log {
    path: PathBuf,
    max_bytes: u64,
}

/// Old log files kept beside the current one.
const LOGS_KEPT: usize = 3;

impl Log {
    pub fn new(path: &Path, max_bytes: u64) -> Self {
        Self {
            path: path.to_path_buf(),
            max_bytes,
        }
    }

    /// Appends one time-stamped line (seconds since the Unix epoch); never fails the caller.
    pub fn line(&mut self, text: &str) {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let line = format!("{stamp} {text}\n");
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() + line.len() as u64 > self.max_bytes)
        {
            self.rotate();
        }
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
        {
            let _ = file.write_all(line.as_bytes());
        }
    }

    fn rotated(&self, k: usize) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{k}"));
        PathBuf::from(name)
    }

    fn rotate(&self) {
        for k in (1..LOGS_KEPT).rev() {
            let _ = std::fs::rename(self.rotated(k), self.rotated(k + 1));
        }
        let _ = std::fs::rename(&self.path, self.rotated(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    fn session() -> Session {
        Session::new(&ExhibitConfig {
            idle_seconds: 60.0,
            countdown_seconds: 10.0,
            ..ExhibitConfig::default()
        })
    }

    #[test]
    fn a_touch_starts_a_visit_and_idleness_counts_down_back_to_attract() {
        let mut s = session();
        assert_eq!(
            s.tick(1000.0),
            Change::None,
            "the attract loop never times out"
        );
        assert_eq!(s.touch(), Change::VisitStarted);
        assert_eq!(s.tick(59.0), Change::None);
        assert_eq!(s.tick(1.5), Change::CountdownStarted);
        assert_eq!(s.phase, Phase::Countdown { left: 10.0 });
        assert_eq!(s.tick(9.0), Change::None);
        assert_eq!(s.tick(1.0), Change::AttractResumed);
        assert_eq!(s.phase, Phase::Attract);
        assert_eq!(s.visits, 1);
    }

    #[test]
    fn a_touch_during_the_countdown_keeps_the_visitor() {
        let mut s = session();
        s.touch();
        s.tick(61.0);
        assert_eq!(s.touch(), Change::CountdownCancelled);
        assert_eq!(s.phase, Phase::Visiting { idle: 0.0 });
        assert_eq!(s.tick(30.0), Change::None, "the idle clock restarted");
        assert_eq!(s.visits, 1);
    }

    #[test]
    fn every_shipped_language_has_every_english_key() {
        for (code, _) in BUILT_IN_STRINGS {
            let strings = Strings::load(Path::new("/nonexistent"), code).unwrap();
            assert!(
                strings.missing().is_empty(),
                "{code} lacks {:?}",
                strings.missing()
            );
            assert_ne!(strings.get("touch_to_start"), "touch_to_start");
        }
        let fr = Strings::load(Path::new("/nonexistent"), "fr").unwrap();
        let en = Strings::load(Path::new("/nonexistent"), "en").unwrap();
        assert_ne!(fr.get("touch_to_start"), en.get("touch_to_start"));
        assert!(Strings::load(Path::new("/nonexistent"), "xx").is_err());
    }

    #[test]
    fn the_log_rotates_and_stays_bounded() {
        let dir = scratch_dir("exhibit-log");
        let path = dir.join("exhibit.log");
        let mut log = Log::new(&path, 4096);
        for k in 0..2000 {
            log.line(&format!(
                "cycle {k}: nothing to report, a line of moderate length"
            ));
        }
        let total: u64 = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(std::fs::metadata(&path).unwrap().len() <= 4096);
        assert!(dir.join("exhibit.log.3").exists());
        assert!(!dir.join("exhibit.log.4").exists());
        assert!(total <= 4 * 4096, "{total} bytes on disk");
    }

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

    #[test]
    fn a_pin_must_be_digits() {
        let mut config = ExhibitConfig::default();
        assert!(config.validate().is_ok());
        config.operator_pin = "12a4".into();
        assert_eq!(config.validate().unwrap_err().0, "operator_pin");
    }
}
