//! How pages share the panel's frame: what it shows (a layout resource that an exhibit writes
//! and the panel applies), where another page may put its own content, and when pages draw.

use bevy::prelude::*;

use crate::scene::exhibit::{ControlKind, ExhibitConfig, PanelKind};

/// The panel's frame exists (and [`PanelSlots`] with it): pages fill it after this set.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LayoutSpawned;

/// The pages' drawing systems: after the machine cycle, so they show this update's state.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PanelDraw;

/// What the panel shows and offers. The desktop shows everything; an exhibit writes its own
/// choice here, and the panel hides the rest.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct PanelLayout {
    pub instruments: Vec<PanelKind>,
    pub controls: Vec<ControlKind>,
    /// Whether the machine's message line is shown (an exhibit logs it instead).
    pub notices: bool,
}

impl Default for PanelLayout {
    fn default() -> Self {
        Self {
            instruments: PanelKind::ALL.to_vec(),
            controls: ControlKind::ALL.to_vec(),
            notices: true,
        }
    }
}

impl PanelLayout {
    /// An exhibit's layout: its instruments and controls, no message line (its messages are
    /// for the operator and go to the log).
    pub fn for_exhibit(config: &ExhibitConfig) -> Self {
        Self {
            instruments: config.panels.clone(),
            controls: config.controls.clone(),
            notices: false,
        }
    }

    pub fn shows(&self, instrument: PanelKind) -> bool {
        self.instruments.contains(&instrument)
    }

    pub fn offers(&self, control: ControlKind) -> bool {
        self.controls.contains(&control)
    }

    /// Whether the right-hand column (plots, confusion matrix, MLP) has nothing to show, so
    /// the guide column takes its place.
    pub fn right_column_empty(&self) -> bool {
        [PanelKind::Plots, PanelKind::Confusion, PanelKind::Modern]
            .iter()
            .all(|&kind| !self.shows(kind))
    }

    /// Whether the header's counters (epoch, errors) are shown: they mean something beside
    /// the plots, not on their own.
    pub fn counters_shown(&self) -> bool {
        self.shows(PanelKind::Plots)
    }
}

/// Places in the panel's frame where another page may add its own content.
#[derive(Resource, Clone, Copy, Debug)]
pub struct PanelSlots {
    /// The header row: a page's buttons come after the panel's counters.
    pub header: Entity,
    /// The guide column, shown in the right-hand column's place when that is empty.
    pub guide: Entity,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_desktop_shows_everything_and_an_exhibit_only_its_choice() {
        let desktop = PanelLayout::default();
        assert!(PanelKind::ALL.iter().all(|&k| desktop.shows(k)));
        assert!(ControlKind::ALL.iter().all(|&k| desktop.offers(k)));
        assert!(!desktop.right_column_empty() && desktop.counters_shown() && desktop.notices);
        let museum = PanelLayout::for_exhibit(&ExhibitConfig::default());
        assert!(museum.shows(PanelKind::Retina) && !museum.shows(PanelKind::Plots));
        assert!(museum.offers(ControlKind::Force) && !museum.offers(ControlKind::Wiring));
        assert!(museum.right_column_empty() && !museum.counters_shown() && !museum.notices);
    }
}
