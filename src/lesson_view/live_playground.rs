//! The playground as it runs in the window: requests from the page's buttons carried out on
//! the core's [`Playground`], and training within each frame's budget while it runs. No
//! rendering here, so a headless App drives it in tests.

use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::playground::controls::{Control, Effect};
use crate::playground::{Playground, StepReport};
use crate::scene::{Scene, SceneKind};
use crate::ui::pace::{FrameNeed, Pace};

use super::playground_mark1::Mark1View;

/// The playground on screen and what the page shows of it.
#[derive(Resource)]
pub struct LivePlayground {
    pub playground: Playground,
    pub running: bool,
    /// Whether the held-out points are drawn on the surface.
    pub test_points: bool,
    /// Each layer's weight-gradient norm, smoothed over recent batches, input side first.
    pub gradient_norms: Vec<f64>,
    /// The scene it came from: its name, seed and training, saved with the set-up.
    pub origin: Scene,
    /// What the last request has to say: a refused set-up, a file saved or not opened.
    pub notice: Option<String>,
    /// Counts every change the pictures must show: a batch, a control, a reset.
    pub version: u64,
    /// The longest an update spends training while running: the rest of the frame draws.
    pub budget: Duration,
    /// The Mark I on the same points, when asked for.
    pub mark1: Mark1View,
}

impl LivePlayground {
    pub fn new(playground: Playground, origin: Scene) -> Self {
        Self {
            playground,
            origin,
            running: false,
            test_points: false,
            gradient_norms: Vec::new(),
            notice: None,
            version: 0,
            budget: TRAINING_BUDGET,
            mark1: Mark1View::default(),
        }
    }

    fn stepped(&mut self, report: StepReport) {
        const SMOOTHING: f64 = 0.9;
        if self.gradient_norms.len() != report.gradient_norms.len() {
            self.gradient_norms = report.gradient_norms;
        } else {
            for (kept, new) in self.gradient_norms.iter_mut().zip(report.gradient_norms) {
                *kept = SMOOTHING * *kept + (1.0 - SMOOTHING) * new;
            }
        }
        self.version += 1;
    }

    /// One batch; a divergence stops the run (the network stays as it was before it).
    pub fn step(&mut self) {
        match self.playground.step() {
            Ok(report) => self.stepped(report),
            Err(_) => {
                self.running = false;
                self.version += 1;
            }
        }
    }

    /// Carries out one request.
    pub fn carry_out(&mut self, request: PlaygroundRequest) {
        self.notice = None;
        match request {
            PlaygroundRequest::ToggleRun => {
                self.running = !self.running && self.playground.diverged.is_none();
            }
            PlaygroundRequest::Step => {
                self.running = false;
                self.step();
            }
            PlaygroundRequest::Reset => {
                self.playground.reset();
                self.gradient_norms.clear();
            }
            PlaygroundRequest::ToggleTestPoints => self.test_points = !self.test_points,
            PlaygroundRequest::ToggleMark1 => {
                if self.playground.is_curve() {
                    self.mark1.shown = false;
                    self.notice = Some(
                        "The Mark I sorts points into classes: a curve is not for it. Choose points in the plane to compare.".into(),
                    );
                } else {
                    self.mark1.shown = !self.mark1.shown;
                    self.mark1.failure = None;
                }
            }
            PlaygroundRequest::Control(control) => match self.playground.apply(control) {
                Ok(Effect::Rebuilt) => self.gradient_norms.clear(),
                Ok(_) => {}
                Err(refused) => self.notice = Some(refused.to_string()),
            },
            PlaygroundRequest::Save => {
                self.notice = Some(match self.save_in(std::path::Path::new(".")) {
                    Ok(path) => format!(
                        "Saved as {}: open it again with mark1 --scene {0}, or drop it here.",
                        path.display()
                    ),
                    Err(e) => format!("{e:#}"),
                });
            }
        }
        self.version += 1;
    }

    /// The set-up on screen as a scene: the one it came from with the network, points,
    /// inputs and learning as they are now.
    pub fn scene(&self) -> Scene {
        let config = &self.playground.config;
        let units: Vec<String> = config.hidden.iter().map(|l| l.units.to_string()).collect();
        let network = match units.len() {
            0 => "no hidden layer".to_string(),
            _ => format!("hidden layers of {}", units.join(", ")),
        };
        Scene {
            name: format!(
                "Playground: {}, {network} (saved from the window)",
                config.data.arrangement.name()
            ),
            kind: SceneKind::Playground(config.clone()),
            seed: self.playground.seed,
            ..self.origin.clone()
        }
    }

    /// Saves the set-up in `folder` as `playground-<points>-<n>.ron`, never replacing a file.
    pub fn save_in(&self, folder: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
        let stem = format!(
            "playground-{}",
            self.playground.config.data.arrangement.name()
        );
        let comment = format!(
            "A playground set-up saved from the window. Open it with: mark1 --scene <this file>\n\
             It was saved at epoch {} (the weights are not saved: the seed gives them again).",
            self.playground.epoch
        );
        self.scene().save_numbered(folder, &stem, &comment)
    }

    /// Opens a saved set-up (a playground scene file) in place of the one on screen.
    pub fn open(&mut self, path: &std::path::Path) {
        self.notice = Some(match Scene::load(path) {
            Ok(scene) => match &scene.kind {
                SceneKind::Playground(config) => {
                    match Playground::new(config.clone(), scene.seed) {
                        Ok(playground) => {
                            let opened = format!("Opened {}.", path.display());
                            *self = Self::new(playground, scene);
                            opened
                        }
                        Err(e) => format!("{}: {e}", path.display()),
                    }
                }
                _ => format!(
                    "{}: not a playground scene; open it on its own with mark1 --scene {0}",
                    path.display()
                ),
            },
            Err(e) => format!("{e:#}"),
        });
        self.version += 1;
    }
}

/// What the page's buttons (and tests) ask of the playground.
#[derive(Message, Component, Clone, Copy, Debug, PartialEq)]
pub enum PlaygroundRequest {
    ToggleRun,
    /// One batch, pausing the run.
    Step,
    /// Fresh weights from the seed, the same set-up.
    Reset,
    ToggleTestPoints,
    /// The Mark I's decision surface, trained on the same points, in the network's place.
    ToggleMark1,
    Control(Control),
    /// Writes the set-up as a new scene file in the current folder.
    Save,
}

/// The longest a frame spends training in the window.
const TRAINING_BUDGET: Duration = Duration::from_millis(8);

/// Requests and training, in that order, each update.
pub(super) fn plugin(app: &mut App) {
    app.add_message::<PlaygroundRequest>()
        .init_resource::<FrameNeed>()
        .add_systems(
            Update,
            (
                carry_out_requests,
                train_while_running,
                keep_mark1_current,
                declare_frame_need,
            )
                .chain(),
        );
}

/// Every frame while it trains, or while the Mark I learns the points; at rest otherwise.
fn declare_frame_need(live: Res<LivePlayground>, mut need: ResMut<FrameNeed>) {
    if live.running || live.mark1.is_training() {
        need.at_least(Pace::EveryFrame);
    }
}

fn carry_out_requests(
    mut requests: MessageReader<PlaygroundRequest>,
    mut live: ResMut<LivePlayground>,
) {
    for request in requests.read() {
        live.carry_out(*request);
    }
}

/// The Mark I follows the points on screen while it is shown.
fn keep_mark1_current(mut live: ResMut<LivePlayground>) {
    // Looking costs nothing: only a surface that arrives changes what the page shows.
    let LivePlayground {
        mark1, playground, ..
    } = live.bypass_change_detection();
    if mark1.update(playground) {
        live.version += 1;
    }
}

/// While running: up to one epoch per update, as many batches as fit in the budget (an
/// epoch not finished goes on next update; the batches are the same either way).
fn train_while_running(mut live: ResMut<LivePlayground>) {
    if !live.running {
        return;
    }
    let began = Instant::now();
    let epoch = live.playground.epoch;
    while live.running && live.playground.epoch == epoch && began.elapsed() < live.budget {
        live.step();
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::playground::PlaygroundConfig;

    /// The default playground from seed 7, with a budget that always holds a whole epoch (so
    /// that each update's work is known however busy the machine is).
    pub(in crate::lesson_view) fn unhurried() -> LivePlayground {
        let mut live = LivePlayground::new(
            Playground::new(PlaygroundConfig::default(), 7).unwrap(),
            Scene::default_scene(),
        );
        live.budget = Duration::from_secs(60);
        live
    }

    /// The playground headless.
    fn app() -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(unhurried())
            .add_plugins(plugin);
        app
    }

    /// Sends `request` and runs an update.
    pub(in crate::lesson_view) fn request(app: &mut App, request: PlaygroundRequest) {
        app.world_mut().write_message(request);
        app.update();
    }

    /// Runs the playground at a rate past the buttons' ladder, as a scene file may hold, for
    /// 100 updates: it diverges.
    pub(in crate::lesson_view) fn run_into_divergence(app: &mut App) {
        app.world_mut()
            .resource_mut::<LivePlayground>()
            .playground
            .config
            .learning_rate = 1e6;
        request(app, PlaygroundRequest::ToggleRun);
        for _ in 0..100 {
            app.update();
        }
    }

    fn live(app: &App) -> &LivePlayground {
        app.world().resource::<LivePlayground>()
    }

    #[test]
    fn n_steps_through_the_app_give_the_weights_of_n_direct_steps() {
        let mut app = app();
        for _ in 0..30 {
            request(&mut app, PlaygroundRequest::Step);
        }
        let mut direct = Playground::new(PlaygroundConfig::default(), 7).unwrap();
        for _ in 0..30 {
            direct.step().unwrap();
        }
        assert_eq!(live(&app).playground.network, direct.network);
        assert_eq!(live(&app).playground.updates, 30);
        assert!(!live(&app).running);
    }

    #[test]
    fn running_trains_an_epoch_per_update_and_pausing_stops_it() {
        let mut app = app();
        request(&mut app, PlaygroundRequest::ToggleRun);
        for _ in 0..4 {
            app.update();
        }
        // the toggle's update and four more: an epoch each (20 batches of 10 of 200 points)
        let p = &live(&app).playground;
        assert_eq!((p.epoch, p.updates, p.history.len()), (5, 100, 5));
        assert_eq!(live(&app).gradient_norms.len(), 3);
        request(&mut app, PlaygroundRequest::ToggleRun);
        app.update();
        assert_eq!(live(&app).playground.epoch, 5);
        let mut direct = Playground::new(PlaygroundConfig::default(), 7).unwrap();
        for _ in 0..5 {
            direct.run_epoch().unwrap();
        }
        assert_eq!(live(&app).playground.network, direct.network);
    }

    #[test]
    fn a_saved_set_up_opens_again_as_it_was_saved() {
        let dir = std::env::temp_dir().join(format!("mark1-live-save-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut app = app();
        for control in [
            Control::Data(crate::data::plane::Arrangement::Xor),
            Control::RemoveLayer,
            Control::NextActivation,
            Control::ToggleFeature(crate::data::plane::Feature::X1X2),
            Control::LearningRate(crate::playground::controls::Toward::More),
        ] {
            request(&mut app, PlaygroundRequest::Control(control));
        }
        let saved = live(&app).save_in(&dir).unwrap();
        assert_eq!(saved, dir.join("playground-xor-plane-1.ron"));
        let set_up = live(&app).playground.config.clone();
        request(&mut app, PlaygroundRequest::Reset);
        request(&mut app, PlaygroundRequest::Control(Control::AddLayer));
        assert_ne!(live(&app).playground.config, set_up);
        app.world_mut()
            .resource_mut::<LivePlayground>()
            .open(&saved);
        let opened = live(&app);
        assert_eq!(
            opened.origin.name,
            "Playground: xor-plane, hidden layers of 8 (saved from the window)"
        );
        assert_eq!(opened.playground.config, set_up);
        assert_eq!(opened.playground.config.hidden.len(), 1);
        assert_eq!(opened.playground.config.learning_rate, 0.1);
        assert_eq!(
            opened.playground.network,
            Playground::new(set_up, 7).unwrap().network
        );
        // a folder, a truncated scene and a file that is not a playground are each named in
        // one line and change nothing
        let truncated = dir.join("truncated.ron");
        let text = std::fs::read_to_string(&saved).unwrap();
        std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
        for (path, expected) in [
            (dir.clone(), "mark1-live-save"),
            (truncated, "truncated.ron:"),
        ] {
            app.world_mut().resource_mut::<LivePlayground>().open(&path);
            let notice = live(&app).notice.clone().unwrap();
            assert!(
                notice.contains(expected) && !notice.contains('\n'),
                "{notice}"
            );
            assert_eq!(live(&app).playground.config.hidden.len(), 1);
        }
        let lesson = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/lesson-xor.ron");
        app.world_mut()
            .resource_mut::<LivePlayground>()
            .open(&lesson);
        let notice = live(&app).notice.clone().unwrap();
        assert!(
            notice.contains("lesson-xor.ron: not a playground scene"),
            "{notice}"
        );
        assert_eq!(live(&app).playground.config.hidden.len(), 1);
    }

    #[test]
    fn a_divergence_stops_the_run_and_a_reset_starts_again() {
        let mut app = app();
        run_into_divergence(&mut app);
        let stopped = live(&app);
        assert!(stopped.playground.diverged.is_some());
        assert!(!stopped.running);
        // run is refused until the network starts again
        request(&mut app, PlaygroundRequest::ToggleRun);
        assert!(!live(&app).running);
        request(&mut app, PlaygroundRequest::Reset);
        let fresh = live(&app);
        assert!(fresh.playground.diverged.is_none());
        assert_eq!(fresh.playground.updates, 0);
    }

    #[test]
    fn the_mark1_trains_beside_the_network_on_the_same_points_and_follows_them() {
        use crate::data::plane::Arrangement;
        let mut app = app();
        request(
            &mut app,
            PlaygroundRequest::Control(Control::Data(Arrangement::Xor)),
        );
        request(&mut app, PlaygroundRequest::ToggleMark1);
        let wait_for_surface = |app: &mut App| {
            let mut frames = 0;
            while live(app).mark1.current(&live(app).playground).is_none() {
                app.update();
                frames += 1;
                assert!(frames < 1_000_000, "no surface");
                std::thread::yield_now();
            }
        };
        wait_for_surface(&mut app);
        let l = live(&app);
        let surface = l.mark1.current(&l.playground).unwrap().clone();
        // the same as training the Mark I directly on the points on screen
        let direct = super::super::playground_mark1::train_on((
            l.playground.train.clone(),
            l.playground.test.clone(),
            l.playground.seed,
        ))
        .unwrap();
        assert_eq!(surface, direct);
        // a spot of light makes its A-units local detectors: XOR is no trouble for it
        assert!(surface.test_accuracy > 0.9, "{}", surface.test_accuracy);
        // both classes appear on its surface
        assert!(surface.classes.contains(&0) && surface.classes.contains(&1));
        // new points: the old surface is no longer current, and a new one comes
        request(
            &mut app,
            PlaygroundRequest::Control(Control::Data(Arrangement::Gaussians)),
        );
        assert!(live(&app).mark1.current(&live(&app).playground).is_none());
        wait_for_surface(&mut app);
        // a curve is not for it
        request(
            &mut app,
            PlaygroundRequest::Control(Control::Data(Arrangement::Sine)),
        );
        request(&mut app, PlaygroundRequest::ToggleMark1);
        assert!(!live(&app).mark1.shown);
        assert!(
            live(&app)
                .notice
                .as_ref()
                .unwrap()
                .contains("a curve is not for it")
        );
    }
}
