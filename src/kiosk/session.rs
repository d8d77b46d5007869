//! The visitor's minute in the ECS: touches and the clock drive the exhibit's session, and the
//! session drives the machine (attract loop, a visitor's turn, the countdown, errors).

use bevy::prelude::*;

use super::log::Log;
use super::settings::SavedSettings;
use super::visit::{Change, Phase, Session};
use crate::scene::exhibit::ExhibitConfig;
use crate::sim::{Bench, MachineCycle, MachineRequest, Notice, Speed};

/// Somebody touched the screen (anywhere: a control, a lamp, the background) as the soak
/// test simulates it; a real press reaches the session directly, see [`greet_each_press`].
#[derive(Message, Clone, Copy, Debug, Default)]
pub struct VisitorTouched;

/// The operator or a visitor picked a language.
#[derive(Message, Clone, Debug)]
pub struct LanguageChosen(pub String);

/// The exhibit: its settings, the session, the log, and what survives a restart.
#[derive(Resource)]
pub struct Exhibit {
    pub config: ExhibitConfig,
    pub session: Session,
    pub log: Log,
    pub settings: SavedSettings,
    /// Epochs on the machine when the attract loop last started over.
    attract_started_at_epoch: usize,
    /// The last error the exhibit recovered from (for the operator and the soak test).
    pub recovered_errors: u64,
}

impl Exhibit {
    /// The exhibit of a scene, with its saved settings read (a damaged file is logged and
    /// ignored).
    pub fn new(config: ExhibitConfig) -> Self {
        let mut log = Log::new(&config.log_file, config.log_max_bytes);
        let mut settings = SavedSettings::load(&config.state_file, &mut log);
        if config.language_asked {
            // the operator's --language, not the last visitor's choice
            settings.language = None;
        }
        log.line("exhibit started");
        Self {
            session: Session::new(&config),
            config,
            log,
            settings,
            attract_started_at_epoch: 0,
            recovered_errors: 0,
        }
    }

    /// The language to show: the saved choice if it is still offered, else the scene's.
    pub fn language(&self) -> String {
        self.settings
            .language
            .clone()
            .filter(|l| self.config.languages.contains(l))
            .unwrap_or_else(|| self.config.language.clone())
    }

    fn save_settings(&mut self) {
        if let Err(e) = self.settings.save(&self.config.state_file) {
            self.log.line(&format!("cannot save settings: {e:#}"));
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_message::<VisitorTouched>()
        .add_message::<LanguageChosen>()
        .add_systems(Startup, start_attract_loop)
        .add_observer(greet_each_press)
        .add_systems(
            Update,
            (
                follow_visitor,
                restart_attract_loop,
                recover_from_errors,
                remember_language,
            )
                .before(MachineCycle::Present),
        );
}

/// The requests that put the machine in its attract loop: centred pots, teaching itself.
fn attract_requests(config: &ExhibitConfig) -> [MachineRequest; 4] {
    [
        MachineRequest::Reset,
        MachineRequest::SetAutoLearn(true),
        MachineRequest::SetSpeed(Speed::PerSecond(config.attract_patterns_per_second)),
        MachineRequest::Run,
    ]
}

fn start_attract_loop(exhibit: Res<Exhibit>, mut requests: MessageWriter<MachineRequest>) {
    requests.write_batch(attract_requests(&exhibit.config));
}

/// A press anywhere is a visitor's touch, and the session hears it at once: the machine a
/// visit starts with is set up before the press does anything else (the stroke it begins on
/// the retina, or the button it releases), so a visitor's first touch is not lost to it.
fn greet_each_press(
    press: On<Pointer<Press>>,
    windows: Query<(), With<Window>>,
    mut exhibit: ResMut<Exhibit>,
    mut requests: MessageWriter<MachineRequest>,
    bench: Res<Bench>,
) {
    // one press reaches every entity up the tree: count it once, at the window
    if windows.get(press.entity).is_ok() {
        let change = exhibit.session.touch();
        carry_out(change, &mut exhibit, &mut requests, &bench);
    }
}

/// Simulated touches and the clock move the session; its changes become machine requests.
fn follow_visitor(
    mut touches: MessageReader<VisitorTouched>,
    mut exhibit: ResMut<Exhibit>,
    mut requests: MessageWriter<MachineRequest>,
    bench: Res<Bench>,
    time: Res<Time>,
) {
    for _ in touches.read() {
        let change = exhibit.session.touch();
        carry_out(change, &mut exhibit, &mut requests, &bench);
    }
    let change = exhibit.session.tick(time.delta_secs());
    carry_out(change, &mut exhibit, &mut requests, &bench);
}

/// What a change in the session asks of the machine (and the log).
fn carry_out(
    change: Change,
    exhibit: &mut Exhibit,
    requests: &mut MessageWriter<MachineRequest>,
    bench: &Bench,
) {
    match change {
        Change::VisitStarted => {
            let visits = exhibit.session.visits;
            exhibit.log.line(&format!("visit {visits} started"));
            requests.write(MachineRequest::Pause);
            if exhibit.config.visitor_starts_fresh {
                requests.write(MachineRequest::Reset);
            }
            // the visitor is the trainer: nothing is learned unless they teach it
            requests.write(MachineRequest::SetAutoLearn(false));
        }
        Change::AttractResumed => {
            exhibit.log.line("back to the attract loop");
            exhibit.settings.visits += 1;
            exhibit.save_settings();
            exhibit.attract_started_at_epoch = bench.epoch();
            requests.write_batch(attract_requests(&exhibit.config));
        }
        Change::CountdownStarted | Change::CountdownCancelled | Change::None => {}
    }
}

/// The attract loop starts over from centred pots every few epochs, so passers-by always see
/// the machine learning rather than a machine that has finished.
fn restart_attract_loop(
    mut exhibit: ResMut<Exhibit>,
    bench: Res<Bench>,
    mut requests: MessageWriter<MachineRequest>,
) {
    if exhibit.session.phase != Phase::Attract {
        return;
    }
    let epoch = bench.epoch();
    if epoch < exhibit.attract_started_at_epoch {
        // the machine was reset under us
        exhibit.attract_started_at_epoch = epoch;
    }
    if epoch - exhibit.attract_started_at_epoch >= exhibit.config.attract_epochs {
        exhibit.attract_started_at_epoch = 1;
        requests.write(MachineRequest::Reset);
    }
}

/// Any error the machine reports (a bad image, a file that will not load, a diverged network)
/// is logged, and the exhibit goes back to its attract loop.
fn recover_from_errors(
    notice: Res<Notice>,
    mut exhibit: ResMut<Exhibit>,
    mut requests: MessageWriter<MachineRequest>,
    bench: Res<Bench>,
) {
    let diverged = bench.companion.as_ref().and_then(|c| c.stopped.clone());
    if !(notice.is_changed() && notice.is_error) && diverged.is_none() {
        return;
    }
    let what = diverged.unwrap_or_else(|| notice.in_english());
    exhibit
        .log
        .line(&format!("error, back to the attract loop: {what}"));
    exhibit.recovered_errors += 1;
    exhibit.session.abandon();
    exhibit.attract_started_at_epoch = 1;
    requests.write_batch(attract_requests(&exhibit.config));
}

fn remember_language(mut chosen: MessageReader<LanguageChosen>, mut exhibit: ResMut<Exhibit>) {
    for LanguageChosen(code) in chosen.read() {
        if exhibit.config.languages.contains(code) {
            exhibit.settings.language = Some(code.clone());
            exhibit.log.line(&format!("language {code}"));
            exhibit.save_settings();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bevy::state::app::StatesPlugin;
    use bevy::time::TimeUpdateStrategy;

    use super::*;
    use crate::scene::{MUSEUM_SCENE, Scene};
    use crate::sim::RunState;
    use crate::test_support::scratch_dir;

    /// The museum exhibit on a small set, with a clock that moves a tenth of a second a frame.
    fn exhibit_app(name: &str) -> (App, std::path::PathBuf) {
        let dir = scratch_dir(name);
        let mut scene = Scene::parse(MUSEUM_SCENE, "museum.ron").unwrap();
        scene.data.samples_per_class = Some(12);
        let mut config = scene.exhibit.take().unwrap();
        config.idle_seconds = 6.0;
        config.countdown_seconds = 2.0;
        config.state_file = dir.join("state.ron");
        config.log_file = dir.join("exhibit.log");
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatesPlugin))
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
                100,
            )))
            .insert_resource(Bench::prepare(scene).unwrap())
            .insert_resource(Exhibit::new(config))
            .add_plugins((crate::sim::plugin, plugin));
        for _ in 0..3 {
            app.update();
        }
        (app, dir)
    }

    fn run_state(app: &App) -> RunState {
        *app.world().resource::<State<RunState>>().get()
    }

    fn seconds(app: &mut App, s: f32) {
        for _ in 0..(s * 10.0).round() as usize {
            app.update();
        }
    }

    #[test]
    fn a_touch_hands_a_fresh_machine_to_the_visitor_and_idleness_takes_it_back() {
        let (mut app, dir) = exhibit_app("kiosk-visit");
        seconds(&mut app, 5.0);
        assert_eq!(run_state(&app), RunState::Running, "the attract loop runs");
        assert!(app.world().resource::<Bench>().trials > 0);
        app.world_mut().write_message(VisitorTouched);
        seconds(&mut app, 0.3);
        let bench = app.world().resource::<Bench>();
        assert_eq!(run_state(&app), RunState::Paused);
        assert!(!bench.auto_learn, "the visitor teaches");
        assert!(
            bench.machine().weights.iter().all(|&w| w == 0.0),
            "fresh pots"
        );
        assert!(matches!(
            app.world().resource::<Exhibit>().session.phase,
            Phase::Visiting { .. }
        ));
        seconds(&mut app, 6.5);
        assert!(matches!(
            app.world().resource::<Exhibit>().session.phase,
            Phase::Countdown { .. }
        ));
        seconds(&mut app, 2.5);
        assert_eq!(
            app.world().resource::<Exhibit>().session.phase,
            Phase::Attract
        );
        seconds(&mut app, 0.3);
        assert_eq!(run_state(&app), RunState::Running);
        assert!(app.world().resource::<Bench>().auto_learn);
        let log = std::fs::read_to_string(dir.join("exhibit.log")).unwrap();
        assert!(
            log.contains("visit 1 started") && log.contains("back to the attract loop"),
            "{log}"
        );
        let saved = std::fs::read_to_string(dir.join("state.ron")).unwrap();
        assert!(saved.contains("visits: 1"), "{saved}");
    }

    #[test]
    fn an_error_is_logged_and_the_exhibit_returns_to_its_attract_loop() {
        let (mut app, dir) = exhibit_app("kiosk-error");
        app.world_mut().write_message(VisitorTouched);
        seconds(&mut app, 0.5);
        app.world_mut()
            .write_message(MachineRequest::LoadImages("/no/such/images".into()));
        app.update();
        // the images load off the main thread: the failure arrives when that work ends
        while app.world().resource::<crate::sim::ImageLoad>().is_loading() {
            std::thread::sleep(std::time::Duration::from_millis(1));
            app.update();
        }
        seconds(&mut app, 0.5);
        let exhibit = app.world().resource::<Exhibit>();
        assert_eq!(exhibit.session.phase, Phase::Attract);
        assert_eq!(exhibit.recovered_errors, 1);
        assert_eq!(run_state(&app), RunState::Running);
        let log = std::fs::read_to_string(dir.join("exhibit.log")).unwrap();
        assert!(log.contains("error, back to the attract loop") && log.contains("/no/such/images"));
    }

    #[test]
    fn a_language_asked_for_wins_over_the_saved_choice_until_a_visitor_chooses_again() {
        let (mut app, _dir) = exhibit_app("kiosk-asked-language");
        app.world_mut().write_message(LanguageChosen("de".into()));
        seconds(&mut app, 0.2);
        let mut config = app.world().resource::<Exhibit>().config.clone();
        assert_eq!(Exhibit::new(config.clone()).language(), "de");
        config.language = "fr".into();
        config.language_asked = true;
        let mut asked = Exhibit::new(config);
        assert_eq!(asked.language(), "fr");
        // a visitor's later choice is theirs
        asked.settings.language = Some("en".into());
        assert_eq!(asked.language(), "en");
    }

    #[test]
    fn the_chosen_language_survives_a_restart() {
        let (mut app, _dir) = exhibit_app("kiosk-language");
        app.world_mut().write_message(LanguageChosen("de".into()));
        app.world_mut().write_message(LanguageChosen("xx".into()));
        seconds(&mut app, 0.2);
        let config = app.world().resource::<Exhibit>().config.clone();
        let restarted = Exhibit::new(config);
        assert_eq!(restarted.language(), "de");
    }
}
