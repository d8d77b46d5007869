//! Frames only as often as the page needs them: every frame while work is shown, an
//! animation's pace while something moves, and at rest a frame only for input or a change.
//!
//! Each page declares its need every frame ([`FrameNeed::at_least`]); a press, a key or a
//! touch counts as work for a moment, so what it asked for is drawn. The window's loop is then
//! set from the greatest need (Bevy's reactive winit modes): a paused desktop window costs
//! next to nothing, and an exhibit's attract loop draws at its animation's pace.

use std::time::Duration;

use bevy::ecs::system::SystemParam;
use bevy::input::keyboard::KeyboardInput;
use bevy::input::mouse::MouseButtonInput;
use bevy::input::touch::TouchInput;
use bevy::prelude::*;
use bevy::winit::{UpdateMode, WinitSettings};

/// How often a page needs frames, least first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pace {
    /// Nothing moves: a frame for input or a change, and one every [`REST_WAKE`].
    #[default]
    Rest,
    /// Something moves smoothly (dials slewing, a pattern every second or so): a frame every
    /// [`ANIMATION_FRAME`], and at once for input.
    Animate,
    /// Work shows in every frame (training flat out, a load's progress, a drag).
    EveryFrame,
}

/// How long frames keep coming at a pace after the last sign of it, so the frame that shows
/// the end of the work (the last pattern, the loaded set, the closed dialog) is drawn.
pub const SETTLE: Duration = Duration::from_millis(500);

/// The frame interval of an animation: 30 frames a second is smooth for dials and lamps.
pub const ANIMATION_FRAME: Duration = Duration::from_micros(33_333);

/// The longest wait between two frames at rest: a clock on screen and a file dropped from
/// another program are seen within it.
pub const REST_WAKE: Duration = Duration::from_secs(3);

/// The greatest need declared this frame; pages raise it in `Update`, and it falls back to
/// the floor after every frame.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameNeed(Pace);

impl FrameNeed {
    /// Declares that this frame needs at least `pace`.
    pub fn at_least(&mut self, pace: Pace) {
        self.0 = self.0.max(pace);
    }
}

/// The least a page ever asks for: an exhibit keeps its animation's pace even when nothing
/// runs, for its countdowns and attract screens.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PaceFloor(pub Pace);

/// When each pace was last needed.
#[derive(Resource, Default)]
struct LastNeeded {
    every_frame: Option<Duration>,
    animate: Option<Duration>,
}

/// The window's loop for a need.
pub fn update_mode(pace: Pace) -> UpdateMode {
    match pace {
        Pace::Rest => UpdateMode::reactive_low_power(REST_WAKE),
        Pace::Animate => UpdateMode::reactive(ANIMATION_FRAME),
        Pace::EveryFrame => UpdateMode::Continuous,
    }
}

/// The pace to keep now: the greatest of what is needed now and what was needed within
/// [`SETTLE`] (`since_every_frame`, `since_animate`: how long ago each was last needed).
pub fn settled_pace(
    now: Pace,
    since_every_frame: Option<Duration>,
    since_animate: Option<Duration>,
) -> Pace {
    let recent = |since: Option<Duration>| since.is_some_and(|t| t < SETTLE);
    if recent(since_every_frame) {
        now.max(Pace::EveryFrame)
    } else if recent(since_animate) {
        now.max(Pace::Animate)
    } else {
        now
    }
}

/// Paces the window's loop; add to an App with a window (not to one that counts frames for a
/// screenshot or a soak).
pub fn plugin(app: &mut App) {
    app.init_resource::<FrameNeed>()
        .init_resource::<PaceFloor>()
        .init_resource::<LastNeeded>()
        .add_systems(Last, pace_the_window);
}

/// What a person did this frame: a press, a key, a touch. What it asked for (Run, a load)
/// may take effect a frame later, so the frames after it keep coming.
#[derive(SystemParam)]
struct Touched<'w, 's> {
    buttons: MessageReader<'w, 's, MouseButtonInput>,
    keys: MessageReader<'w, 's, KeyboardInput>,
    touches: MessageReader<'w, 's, TouchInput>,
}

impl Touched<'_, '_> {
    fn any(&mut self) -> bool {
        // every reader is drained, so the next frame counts only its own
        let pressed = self.buttons.read().count() > 0;
        let typed = self.keys.read().count() > 0;
        pressed | typed | (self.touches.read().count() > 0)
    }
}

/// Writes the loop's mode for the next frame from this frame's need, then lowers the need to
/// the floor for the next.
fn pace_the_window(
    time: Res<Time<Real>>,
    mut touched: Touched,
    mut need: ResMut<FrameNeed>,
    floor: Res<PaceFloor>,
    mut last: ResMut<LastNeeded>,
    settings: Option<ResMut<WinitSettings>>,
) {
    if touched.any() {
        need.at_least(Pace::EveryFrame);
    }
    let now = time.elapsed();
    match need.0 {
        Pace::EveryFrame => last.every_frame = Some(now),
        Pace::Animate => last.animate = Some(now),
        Pace::Rest => {}
    }
    let since = |at: Option<Duration>| at.map(|t| now.saturating_sub(t));
    let pace = settled_pace(need.0, since(last.every_frame), since(last.animate));
    need.0 = floor.0;
    let mode = update_mode(pace);
    if let Some(mut settings) = settings
        && settings.focused_mode != mode
    {
        settings.focused_mode = mode;
        settings.unfocused_mode = mode;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_need_holds_its_pace_for_the_settling_time_then_falls_to_what_is_needed_now() {
        let half = Some(SETTLE / 2);
        let past = Some(SETTLE);
        assert_eq!(settled_pace(Pace::EveryFrame, None, None), Pace::EveryFrame);
        assert_eq!(settled_pace(Pace::Rest, half, None), Pace::EveryFrame);
        assert_eq!(settled_pace(Pace::Rest, past, half), Pace::Animate);
        assert_eq!(settled_pace(Pace::Animate, past, past), Pace::Animate);
        assert_eq!(settled_pace(Pace::Rest, past, past), Pace::Rest);
        assert_eq!(settled_pace(Pace::Rest, None, None), Pace::Rest);
    }

    #[test]
    fn each_pace_sets_its_own_loop() {
        assert_eq!(update_mode(Pace::EveryFrame), UpdateMode::Continuous);
        assert_eq!(
            update_mode(Pace::Animate),
            UpdateMode::reactive(ANIMATION_FRAME)
        );
        assert_eq!(
            update_mode(Pace::Rest),
            UpdateMode::reactive_low_power(REST_WAKE)
        );
    }
}
