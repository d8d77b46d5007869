//! How a scene runs as an unattended exhibit: its instruments, its controls, its timing and
//! its operator's PIN (the kiosk in the window carries it out).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::fields::FieldError;

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

impl PanelKind {
    /// Every instrument, as the desktop panel shows them.
    pub const ALL: [PanelKind; 6] = [
        PanelKind::Retina,
        PanelKind::Association,
        PanelKind::Response,
        PanelKind::Plots,
        PanelKind::Confusion,
        PanelKind::Modern,
    ];
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
    /// The help overlay: every control and shortcut (`?` or its button).
    Help,
    /// The desktop panel's language button (an exhibit has its own chooser of languages).
    Language,
}

impl ControlKind {
    /// Every control, as the desktop panel offers them.
    pub const ALL: [ControlKind; 19] = [
        ControlKind::Run,
        ControlKind::Step,
        ControlKind::Epoch,
        ControlKind::Reset,
        ControlKind::Speed,
        ControlKind::Trainer,
        ControlKind::Rule,
        ControlKind::StepSize,
        ControlKind::ValueSystem,
        ControlKind::Save,
        ControlKind::Load,
        ControlKind::Rewire,
        ControlKind::Images,
        ControlKind::Force,
        ControlKind::ClearDrawing,
        ControlKind::Zoom,
        ControlKind::Wiring,
        ControlKind::Help,
        ControlKind::Language,
    ];
}

/// How large the type is set: for a screen within reach, or for a projector read from the
/// back of a room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lettering {
    /// The panel's own sizes: body text 15 layout pixels (22.5 px at 1920 x 1080).
    #[default]
    Desk,
    /// Every text at least [`Lettering::PROJECTOR_BODY`] layout pixels (28.5 px at
    /// 1920 x 1080), headings larger, in the same layout (the header leaves out the scene's
    /// name and the R-units' names take two staggered lines to make room).
    Projector,
}

impl Lettering {
    /// The smallest text on a projector, in layout pixels of the 1280 x 720 design.
    pub const PROJECTOR_BODY: f32 = 19.0;
    /// A projector's headings, in layout pixels (31.5 px at 1920 x 1080).
    pub const PROJECTOR_HEADING: f32 = 21.0;

    /// The size to set text in that the desk layout sets at `size` layout pixels.
    pub fn size(self, size: f32) -> f32 {
        match self {
            Lettering::Desk => size,
            Lettering::Projector => size.max(Self::PROJECTOR_BODY),
        }
    }

    /// The size of an instrument's engraved heading, which the desk sets at `size`.
    pub fn heading(self, size: f32) -> f32 {
        match self {
            Lettering::Desk => size,
            Lettering::Projector => Self::PROJECTOR_HEADING.max(self.size(size)),
        }
    }
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
    /// The size of the type: `Projector` for a classroom's screen.
    pub lettering: Lettering,
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
    /// `language` was asked for on the command line (`--language`): it wins over a visitor's
    /// choice saved by an earlier run, until a visitor chooses again.
    #[serde(skip)]
    pub language_asked: bool,
}

impl Default for ExhibitConfig {
    fn default() -> Self {
        Self {
            language: "en".into(),
            languages: vec!["en".into(), "fr".into(), "de".into()],
            strings: PathBuf::from("assets/i18n"),
            fullscreen: true,
            lettering: Lettering::Desk,
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
            language_asked: false,
        }
    }
}

impl ExhibitConfig {
    /// Cross-field checks; on failure the field at fault and a message.
    pub fn validate(&self) -> Result<(), FieldError> {
        if !self.languages.contains(&self.language) {
            return Err(FieldError::new(
                "language",
                format!(
                    "exhibit.language: `{}` is not among the languages offered {:?}",
                    self.language, self.languages
                ),
            ));
        }
        if self.idle_seconds < 5.0 || self.countdown_seconds < 1.0 {
            return Err(FieldError::new(
                "idle_seconds",
                "exhibit: idle_seconds must be at least 5 and countdown_seconds at least 1",
            ));
        }
        if self.operator_pin.len() < 4 || !self.operator_pin.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                "operator_pin",
                "exhibit.operator_pin: four or more digits",
            ));
        }
        if self.attract_patterns_per_second <= 0.0 || self.attract_epochs == 0 {
            return Err(FieldError::new(
                "attract_patterns_per_second",
                "exhibit: the attract loop needs a positive speed and at least one epoch",
            ));
        }
        if !(2.0..=3600.0).contains(&self.hang_seconds) {
            return Err(FieldError::new(
                "hang_seconds",
                "exhibit.hang_seconds: between 2 and 3600",
            ));
        }
        if self.log_max_bytes < 4096 {
            return Err(FieldError::new(
                "log_max_bytes",
                "exhibit.log_max_bytes: at least 4096",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_projector_sets_every_text_at_28_px_or_more_at_1080p_and_headings_larger() {
        let at_1080p = 1080.0 / 720.0;
        for desk in [12.0, 13.0, 15.0, 24.0, 34.0] {
            assert_eq!(Lettering::Desk.size(desk), desk);
            let projected = Lettering::Projector.size(desk);
            assert!(projected * at_1080p >= 28.0, "{desk} -> {projected}");
            assert!(projected >= desk);
        }
        assert_eq!(Lettering::Projector.size(15.0) * at_1080p, 28.5);
        assert_eq!(Lettering::Projector.heading(15.0) * at_1080p, 31.5);
        assert_eq!(Lettering::Desk.heading(15.0), 15.0);
    }

    #[test]
    fn a_pin_must_be_digits() {
        let mut config = ExhibitConfig::default();
        assert!(config.validate().is_ok());
        config.operator_pin = "12a4".into();
        assert_eq!(config.validate().unwrap_err().dotted(), "operator_pin");
    }
}
