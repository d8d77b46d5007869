//! What the panel needs of the window's loop: every frame while it trains by the frame, loads
//! images, judges a closed epoch or waits on the desktop's chooser; an animation's pace while patterns come a few a
//! second or the dials still turn; at rest when paused with nothing moving.

use bevy::prelude::*;

use super::chooser::DesktopChooser;
use crate::sim::{Bench, ImageLoad, Potentiometer, RunState, Speed};
use crate::ui::pace::{FrameNeed, Pace};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FrameNeed>()
        .add_systems(Update, declare_frame_need.in_set(super::PanelDraw));
}

/// The pace the machine's state asks for: running by the second is an animation, running by
/// the frame is work in every frame.
pub fn machine_pace(state: RunState, speed: Speed, dials_turning: bool) -> Pace {
    match (state, speed) {
        (RunState::Running, Speed::PerSecond(_)) => Pace::Animate,
        (RunState::Running, _) => Pace::EveryFrame,
        _ if dials_turning => Pace::Animate,
        _ => Pace::Rest,
    }
}

fn declare_frame_need(
    state: Res<State<RunState>>,
    speed: Res<Speed>,
    load: Res<ImageLoad>,
    chooser: Option<Res<DesktopChooser>>,
    bench: Option<Res<Bench>>,
    turned: Query<(), Changed<Potentiometer>>,
    mut need: ResMut<FrameNeed>,
) {
    need.at_least(machine_pace(*state.get(), *speed, !turned.is_empty()));
    let judging = bench.is_some_and(|b| b.reviewing());
    if load.is_loading() || judging || chooser.is_some_and(|c| c.is_waiting()) {
        need.at_least(Pace::EveryFrame);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::pace::{self, REST_WAKE, SETTLE};
    use bevy::input::keyboard::KeyboardInput;
    use bevy::input::mouse::MouseButtonInput;
    use bevy::input::touch::TouchInput;
    use bevy::state::app::StatesPlugin;
    use bevy::winit::{UpdateMode, WinitSettings};
    use std::time::Duration;

    #[test]
    fn running_by_the_second_animates_by_the_frame_works_and_paused_rests() {
        let per_second = Speed::PerSecond(4.0);
        let running = RunState::Running;
        assert_eq!(machine_pace(running, per_second, false), Pace::Animate);
        assert_eq!(
            machine_pace(running, Speed::PerUpdate(10), false),
            Pace::EveryFrame
        );
        assert_eq!(
            machine_pace(running, Speed::FlatOut(8.0), true),
            Pace::EveryFrame
        );
        assert_eq!(
            machine_pace(RunState::Paused, per_second, true),
            Pace::Animate
        );
        assert_eq!(
            machine_pace(RunState::Paused, per_second, false),
            Pace::Rest
        );
    }

    #[test]
    fn a_paused_panel_draws_every_frame_until_the_last_epoch_is_judged() {
        let scene = crate::scene::Scene::load(std::path::Path::new("scenes/mlp.ron")).unwrap();
        let mut bench = Bench::prepare(scene).unwrap();
        let epoch = bench.left_in_epoch();
        bench.run_quietly(epoch);
        bench.end_epoch();
        assert!(
            bench.reviewing(),
            "the test images are left for the next update"
        );
        let mut app = paced_app(Speed::PerSecond(4.0));
        app.insert_resource(bench);
        let mode = |app: &App| app.world().resource::<WinitSettings>().focused_mode;
        app.update();
        assert_eq!(mode(&app), UpdateMode::Continuous, "judging");
        app.world_mut().resource_mut::<Bench>().continue_review();
        assert!(!app.world().resource::<Bench>().reviewing());
        std::thread::sleep(SETTLE + Duration::from_millis(20));
        app.update();
        app.update();
        assert_eq!(mode(&app), UpdateMode::reactive_low_power(REST_WAKE));
    }

    /// A paused machine at `speed`, its frame need declared and the window's loop paced.
    fn paced_app(speed: Speed) -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatesPlugin))
            .add_message::<MouseButtonInput>()
            .add_message::<KeyboardInput>()
            .add_message::<TouchInput>()
            .init_state::<RunState>()
            .init_resource::<ImageLoad>()
            .insert_resource(speed)
            .insert_resource(WinitSettings::continuous())
            .configure_sets(Update, super::super::PanelDraw)
            .add_plugins((pace::plugin, plugin));
        app
    }

    #[test]
    fn a_paused_panel_rests_a_key_wakes_it_and_running_flat_out_draws_every_frame() {
        let mut app = paced_app(Speed::PerUpdate(10));
        let mode = |app: &App| app.world().resource::<WinitSettings>().focused_mode;
        let rest = UpdateMode::reactive_low_power(REST_WAKE);
        // paused from the start: nothing to settle
        app.update();
        assert_eq!(mode(&app), rest);
        // a key pressed: frames come at once, for what it asks to take effect
        app.world_mut().write_message(KeyboardInput {
            key_code: KeyCode::Space,
            logical_key: bevy::input::keyboard::Key::Space,
            state: bevy::input::ButtonState::Pressed,
            text: None,
            repeat: false,
            window: Entity::PLACEHOLDER,
        });
        app.update();
        assert_eq!(mode(&app), UpdateMode::Continuous);
        app.world_mut()
            .resource_mut::<NextState<RunState>>()
            .set(RunState::Running);
        std::thread::sleep(SETTLE + Duration::from_millis(20));
        app.update();
        app.update();
        assert_eq!(mode(&app), UpdateMode::Continuous, "flat out");
        app.world_mut()
            .resource_mut::<NextState<RunState>>()
            .set(RunState::Paused);
        app.update();
        app.update();
        // just paused: the last frames still come, then the loop rests
        assert_eq!(mode(&app), UpdateMode::Continuous);
        std::thread::sleep(SETTLE + Duration::from_millis(20));
        app.update();
        assert_eq!(mode(&app), rest);
    }
}
