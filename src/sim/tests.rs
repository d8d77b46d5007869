//! The simulation stepped headless: the same weights as the core, and the controls.

use std::time::Duration;

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;

use super::*;
use crate::experiment::Experiment;
use crate::nn::mark1::Mark1;
use crate::scene::Scene;

/// The default machine on a small set of shapes, as the window opens it.
fn scene() -> Scene {
    let mut scene = Scene::default_scene();
    scene.data.source = "builtin:shapes".into();
    scene.data.samples_per_class = Some(20);
    scene
}

fn app_for(scene: Scene) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .insert_resource(Bench::prepare(scene).expect("the scene builds"))
        .add_plugins(plugin);
    app.update();
    app
}

fn request(app: &mut App, request: MachineRequest) {
    app.world_mut().write_message(request);
    app.update();
}

fn weights(app: &App) -> Vec<f32> {
    app.world().resource::<Bench>().machine().weights.clone()
}

#[test]
fn n_updates_train_the_same_weights_as_n_direct_presentations() {
    let mut app = app_for(scene());
    request(&mut app, MachineRequest::SetSpeed(Speed::PerUpdate(1)));
    request(&mut app, MachineRequest::Run);
    let n = 40;
    // `Run` takes effect at the next state transition, so count the trials actually made.
    while app.world().resource::<Bench>().trials < n {
        app.update();
    }

    let mut experiment =
        Experiment::<Mark1>::prepare(Bench::prepare(scene()).unwrap().0.experiment.scene).unwrap();
    let order = experiment.next_order();
    let labels = experiment.train.labels.clone();
    let learner = &mut experiment.learner;
    let (machine, train_cache) = (&mut learner.machine, &learner.train_inputs);
    let mut moved = 0;
    for &k in &order[..n as usize] {
        let trial = machine.present(train_cache.active(k), labels[k] as usize);
        moved += trial.corrections.iter().filter(|&&d| d != 0.0).count();
    }
    assert!(moved > 0, "the first patterns must move some pots");
    assert_eq!(weights(&app), machine.weights);
}

#[test]
fn units_show_the_pattern_on_the_retina() {
    let mut app = app_for(scene());
    request(&mut app, MachineRequest::Step);
    let world = app.world_mut();
    let bench = world.resource::<Bench>();
    let current = bench.current.clone().expect("a pattern is on the retina");
    let machine = bench.machine().clone();
    assert_eq!(bench.trials, 1);
    let mut lit = 0;
    for unit in world.query::<&SensoryUnit>().iter(world) {
        assert_eq!(unit.excitation, current.cells[unit.index]);
        lit += (unit.excitation > 0.0) as usize;
    }
    assert!(lit > 0, "a shape lights some photocells");
    let firing: Vec<usize> = world
        .query::<&AssociationUnit>()
        .iter(world)
        .filter(|u| u.firing)
        .map(|u| u.index)
        .collect();
    let mut expected: Vec<usize> = machine
        .associate(&machine.sense(&current.image))
        .iter()
        .map(|&i| i as usize)
        .collect();
    let mut firing_sorted = firing.clone();
    firing_sorted.sort();
    expected.sort();
    assert_eq!(firing_sorted, expected);
    let units = world.query::<&ResponseUnit>().iter(world).count();
    assert_eq!(units, machine.r_units);
    let pots = world.query::<&Potentiometer>().iter(world).count();
    assert_eq!(pots, machine.a_units() * machine.r_units);
}

#[test]
fn paused_machine_presents_nothing_until_stepped() {
    let mut app = app_for(scene());
    for _ in 0..5 {
        app.update();
    }
    assert_eq!(app.world().resource::<Bench>().trials, 0);
    request(&mut app, MachineRequest::Step);
    request(&mut app, MachineRequest::Step);
    assert_eq!(app.world().resource::<Bench>().trials, 2);
}

#[test]
fn a_drawing_that_pauses_a_running_machine_stays_on_its_retina() {
    // the first touch of a stroke pauses the machine and shows the drawing in one update:
    // the pattern the running machine was due to present must not replace it
    let mut app = app_for(scene());
    request(&mut app, MachineRequest::SetSpeed(Speed::PerUpdate(1)));
    request(&mut app, MachineRequest::Run);
    app.update();
    let trials = app.world().resource::<Bench>().trials;
    assert!(trials > 0);
    let drawing = crate::data::GrayImage::filled(20, 20, 0);
    app.world_mut().write_message(MachineRequest::Pause);
    request(&mut app, MachineRequest::ShowImage(drawing));
    for _ in 0..3 {
        app.update();
    }
    let bench = app.world().resource::<Bench>();
    assert_eq!(bench.trials, trials, "no pattern came after the pause");
    assert_eq!(
        bench.current.as_ref().map(|c| c.origin.clone()),
        Some(Origin::Visitor)
    );
}

#[test]
fn a_body_grown_again_after_a_reset_shows_the_drawing_on_the_retina() {
    // a museum visitor's first touch resets the machine and begins a drawing in one update:
    // the units grown again for the fresh machine must light as the drawing does
    let mut app = app_for(scene());
    let mut drawing = crate::data::GrayImage::filled(20, 20, 255);
    for (x, y) in [(3, 4), (4, 4), (5, 5), (12, 17)] {
        drawing.set(x, y, 0);
    }
    app.world_mut().write_message(MachineRequest::Reset);
    request(&mut app, MachineRequest::ShowImage(drawing));
    for _ in 0..2 {
        app.update();
    }
    let world = app.world_mut();
    let bench = world.resource::<Bench>();
    let current = bench.current.clone().expect("the drawing is on the retina");
    assert_eq!(current.origin, Origin::Visitor);
    let mut lit: Vec<usize> = world
        .query::<&SensoryUnit>()
        .iter(world)
        .filter(|u| u.excitation > 0.0)
        .map(|u| u.index)
        .collect();
    lit.sort();
    assert_eq!(lit, vec![4 * 20 + 3, 4 * 20 + 4, 5 * 20 + 5, 17 * 20 + 12]);
    let mut firing: Vec<usize> = world
        .query::<&AssociationUnit>()
        .iter(world)
        .filter(|u| u.firing)
        .map(|u| u.index)
        .collect();
    firing.sort();
    let mut expected: Vec<usize> = current.active.iter().map(|&a| a as usize).collect();
    expected.sort();
    assert!(!expected.is_empty(), "four dots fire some A-units");
    assert_eq!(firing, expected);
    let mut responses: Vec<(usize, f32)> = world
        .query::<&ResponseUnit>()
        .iter(world)
        .map(|u| (u.index, u.response))
        .collect();
    responses.sort_by_key(|&(index, _)| index);
    let responses: Vec<f32> = responses.into_iter().map(|(_, r)| r).collect();
    assert_eq!(responses, current.responses);
}

#[test]
fn a_mark1_whose_pots_diverge_stops_learning_and_says_why() {
    use crate::nn::mark1::Potentiometers;
    use crate::nn::rules::Reinforcement;
    let mut diverging = scene();
    let Some(crate::scene::MachineConfig::Mark1(config)) = diverging.kind.machine_mut() else {
        panic!("a Mark I scene")
    };
    // Widrow-Hoff on pots without end stops, at a rate far past stability
    config.learning.rule = Reinforcement::WidrowHoff;
    config.learning.rate = 50.0;
    config.response.potentiometers = Potentiometers::Continuous;
    // the same machine trained from the command line's core stops with the same reason
    let mut experiment = Experiment::<Mark1>::prepare(diverging.clone()).unwrap();
    let reason = experiment.train(|_| {}).unwrap_err().to_string();
    assert!(reason.contains("left the real numbers"), "{reason}");
    let mut app = app_for(diverging);
    let mut epochs = 0;
    while app.world().resource::<Bench>().stopped.is_none() {
        request(&mut app, MachineRequest::StepEpoch);
        epochs += 1;
        assert!(epochs < 50, "the pots never diverged");
    }
    app.update();
    let stopped = weights(&app);
    let bench = app.world().resource::<Bench>();
    assert_eq!(bench.stopped.as_deref(), Some(reason.as_str()));
    assert!(!bench.mark1_learns());
    assert!(
        app.world()
            .resource::<Notice>()
            .in_english()
            .contains(&reason)
    );
    // further epochs present patterns but move no pot
    request(&mut app, MachineRequest::StepEpoch);
    let after = weights(&app);
    assert!(
        stopped
            .iter()
            .zip(&after)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "the pots moved after the machine stopped"
    );
}

#[test]
fn a_panel_at_rest_shows_the_pattern_its_first_step_then_presents_and_learns() {
    let mut app = app_for(scene());
    app.update();
    let bench = app.world().resource::<Bench>();
    let first = bench.order[0];
    let preview = bench
        .current
        .clone()
        .expect("a pattern on the retina at rest");
    assert_eq!(preview.origin, Origin::Training(first));
    assert_eq!(preview.image, bench.experiment.train.images[first]);
    assert!(preview.cells.iter().any(|&c| c > 0.0) && !preview.active.is_empty());
    assert!(preview.modern.is_some());
    // nothing presented, counted or learned
    assert_eq!(
        (bench.trials, bench.cursor, bench.outcomes.len()),
        (0, 0, 0)
    );
    assert!(weights(&app).iter().all(|&w| w == 0.0));
    // at rest it stays; photocells lit as the pattern has them
    app.update();
    let lit = app
        .world_mut()
        .query::<&SensoryUnit>()
        .iter(app.world())
        .filter(|u| u.excitation > 0.0)
        .count();
    assert_eq!(lit, preview.cells.iter().filter(|&&c| c > 0.0).count());
    // the first step presents that same pattern and learns it
    request(&mut app, MachineRequest::Step);
    let bench = app.world().resource::<Bench>();
    let stepped = bench.current.as_ref().unwrap();
    assert_eq!(stepped.origin, Origin::Training(first));
    assert_eq!(
        (bench.trials, bench.cursor, bench.outcomes.len()),
        (1, 1, 1)
    );
    assert_eq!(stepped.active, preview.active);
    assert!(
        weights(&app).iter().any(|&w| w != 0.0),
        "error correction on a wrong answer"
    );
}

#[test]
fn a_built_in_sets_classes_are_shown_in_the_panels_language_a_users_own_as_named() {
    let mut bench = Bench::prepare(scene()).unwrap();
    let german = crate::ui::strings::Strings::built_in("de").unwrap();
    let shown: Vec<String> = (0..4).map(|c| bench.class_shown(c, &german)).collect();
    assert_eq!(shown, ["Quadrat", "Kreis", "Raute", "?"]);
    // the same names read from a folder of one's own are the user's words
    bench.experiment.scene.data.source = "/home/teacher/shapes".into();
    assert_eq!(bench.class_shown(0, &german), "square");
}

#[test]
fn step_epoch_closes_the_epoch_and_records_it() {
    let mut app = app_for(scene());
    request(&mut app, MachineRequest::StepEpoch);
    let bench = app.world().resource::<Bench>();
    let patterns = bench.experiment.train.len() as u64;
    assert_eq!(bench.trials, patterns);
    assert_eq!(bench.experiment.history.len(), 1);
    let record = &bench.experiment.history[0];
    assert!(record.errors > 0 && record.errors <= patterns);
    assert!(bench.confusion.is_some());
    let companion = bench.companion.as_ref().unwrap();
    assert_eq!(companion.history.len(), 1);
    // a few epochs of error correction must beat chance (1/3) on the training shapes
    for _ in 0..5 {
        request(&mut app, MachineRequest::StepEpoch);
    }
    let bench = app.world().resource::<Bench>();
    let last = bench.experiment.history.last().unwrap();
    assert_eq!(bench.experiment.history.len(), 6);
    assert!(last.train_accuracy > 0.6, "{last:?}");
}

#[test]
fn reset_centres_every_pot_and_rewire_draws_another_board() {
    let mut app = app_for(scene());
    request(&mut app, MachineRequest::StepEpoch);
    assert!(weights(&app).iter().any(|&w| w != 0.0));
    let board = app.world().resource::<Bench>().machine().plugboard.clone();
    request(&mut app, MachineRequest::Reset);
    assert!(weights(&app).iter().all(|&w| w == 0.0));
    assert_eq!(app.world().resource::<Bench>().trials, 0);
    assert_eq!(app.world().resource::<Bench>().machine().plugboard, board);
    request(&mut app, MachineRequest::Rewire);
    let bench = app.world().resource::<Bench>();
    assert_ne!(bench.machine().plugboard, board);
    assert!(bench.machine().weights.iter().all(|&w| w == 0.0));
    // the body was regrown: still one entity per unit
    let world = app.world_mut();
    let machine = world.resource::<Bench>().machine().clone();
    assert_eq!(
        world.query::<&AssociationUnit>().iter(world).count(),
        machine.a_units()
    );
}

#[test]
fn forcing_a_response_moves_the_pots_of_the_active_units_toward_that_class() {
    let mut app = app_for(scene());
    request(&mut app, MachineRequest::SetAutoLearn(false));
    request(&mut app, MachineRequest::Step);
    // no automatic learning: every pot still at zero
    assert!(weights(&app).iter().all(|&w| w == 0.0));
    request(&mut app, MachineRequest::Force(2));
    let bench = app.world().resource::<Bench>();
    let current = bench.current.as_ref().unwrap();
    let r = bench.machine().r_units;
    // one-per-class coding, all responses 0 (not > 0): error correction raises R-unit 2 by
    // one step on every active A-unit and lowers the others that were not below zero
    for &i in &current.active {
        assert_eq!(bench.machine().weights[i as usize * r + 2], 1.0);
    }
    assert_eq!(
        current.predicted, 2,
        "after the force the machine answers class 2"
    );
}

#[test]
fn a_visitor_image_is_classified_without_learning() {
    let mut app = app_for(scene());
    request(&mut app, MachineRequest::StepEpoch);
    let before = weights(&app);
    let image = app.world().resource::<Bench>().experiment.train.images[0].clone();
    request(&mut app, MachineRequest::ShowImage(image));
    let bench = app.world().resource::<Bench>();
    assert_eq!(bench.current.as_ref().unwrap().origin, Origin::Visitor);
    assert!(bench.current.as_ref().unwrap().modern.is_some());
    assert_eq!(weights(&app), before);
}

/// Runs updates until the image load under way is over; returns how many ran while it was
/// under way.
fn until_loaded(app: &mut App) -> usize {
    let mut updates = 0;
    while app.world().resource::<super::ImageLoad>().is_loading() {
        app.update();
        updates += 1;
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert!(updates < 60_000, "the load never ended");
    }
    updates
}

#[test]
fn a_bad_image_folder_is_reported_and_the_machine_kept() {
    let mut app = app_for(scene());
    request(
        &mut app,
        MachineRequest::LoadImages("/no/such/folder".into()),
    );
    until_loaded(&mut app);
    let notice = app.world().resource::<Notice>();
    assert!(notice.is_error);
    assert!(
        notice.in_english().contains("/no/such/folder"),
        "{}",
        notice.in_english()
    );
    assert_eq!(app.world().resource::<Bench>().classes().len(), 3);
}

#[test]
fn flat_out_runs_across_epochs_and_matches_one_pattern_per_update() {
    let mut fast = app_for(scene());
    request(&mut fast, MachineRequest::SetSpeed(Speed::FlatOut(3.0)));
    request(&mut fast, MachineRequest::Run);
    let patterns = fast.world().resource::<Bench>().experiment.train.len() as u64;
    while fast.world().resource::<Bench>().trials < 2 * patterns + 7 {
        fast.update();
    }
    request(&mut fast, MachineRequest::Pause);
    let fast_bench = fast.world().resource::<Bench>();
    let n = fast_bench.trials;
    assert!(fast_bench.experiment.history.len() >= 2);

    let mut slow = app_for(scene());
    request(&mut slow, MachineRequest::SetSpeed(Speed::PerUpdate(1)));
    request(&mut slow, MachineRequest::Run);
    while slow.world().resource::<Bench>().trials < n {
        slow.update();
    }
    let slow_bench = slow.world().resource::<Bench>();
    assert_eq!(slow_bench.trials, n);
    assert_eq!(slow_bench.machine().weights, fast_bench.machine().weights);
    assert_eq!(
        slow_bench.experiment.history.len(),
        fast_bench.experiment.history.len()
    );
    let errors = |b: &Bench| {
        b.experiment
            .history
            .iter()
            .map(|r| r.errors)
            .collect::<Vec<_>>()
    };
    assert_eq!(errors(slow_bench), errors(fast_bench));
}

#[test]
fn flat_out_trains_for_less_of_a_frame_when_the_frame_runs_long() {
    let ms = Duration::from_millis;
    let most = ms(10);
    // An update of 16 ms (4 over the 12 ms target) takes half the excess off the budget.
    assert_eq!(FlatOutPace::steer(ms(8), ms(16), most), ms(6));
    // A quick update gives time back, up to the speed's maximum.
    assert_eq!(FlatOutPace::steer(ms(8), ms(10), most), ms(9));
    assert_eq!(FlatOutPace::steer(ms(8), ms(2), most), most);
    // However heavy the panel, some training goes on.
    assert_eq!(
        FlatOutPace::steer(ms(8), ms(60), most),
        Duration::from_micros(500)
    );
    // Held at a steady 9 ms of other work, the budget settles where the update meets 12 ms.
    let mut budget = ms(8);
    for _ in 0..40 {
        budget = FlatOutPace::steer(budget, budget + ms(9), most);
    }
    assert!((budget.as_secs_f64() - 0.003).abs() < 1e-6, "{budget:?}");
}

/// Writes `count` cards of builtin:left-right as PNG class folders under a new folder.
fn card_folder(name: &str, count: usize) -> std::path::PathBuf {
    let dir = crate::test_support::scratch_dir(name);
    let (set, _) = crate::data::builtin::generate("left-right", 4, Some(count / 2)).unwrap();
    crate::data::folder::write_class_folders(&set, &dir).unwrap();
    dir
}

#[test]
fn images_load_while_the_machine_keeps_running_and_showing_how_far_it_has_come() {
    let dir = card_folder("sim-load", 400);
    let mut app = app_for(scene());
    request(&mut app, MachineRequest::SetSpeed(Speed::PerUpdate(1)));
    request(&mut app, MachineRequest::Run);
    let trials = app.world().resource::<Bench>().trials;
    request(
        &mut app,
        MachineRequest::LoadImages(dir.display().to_string()),
    );
    let (mut seen_progress, mut updates, mut trials_while_loading) = (false, 0, trials);
    let german = crate::ui::strings::Strings::built_in("de").unwrap();
    let mut seen_in_german = false;
    while app.world().resource::<super::ImageLoad>().is_loading() {
        trials_while_loading = app.world().resource::<Bench>().trials;
        app.update();
        updates += 1;
        let notice = app.world().resource::<Notice>();
        let text = notice.in_english();
        seen_progress |= text.starts_with("Loading ") && text.contains(" of 400)");
        let words = notice.shown(&german);
        seen_in_german |= words.starts_with("Lade ") && words.contains(" von 400)");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(updates >= 2, "the load took {updates} updates");
    assert!(
        seen_progress,
        "{}",
        app.world().resource::<Notice>().in_english()
    );
    // the old machine went on presenting patterns while the new images decoded
    assert!(
        trials_while_loading > trials,
        "{trials} -> {trials_while_loading} in {updates} updates"
    );
    let bench = app.world().resource::<Bench>();
    assert_eq!(bench.classes(), ["left", "right"]);
    let test = bench.experiment.test.as_ref().map_or(0, |t| t.len());
    assert_eq!(bench.experiment.train.len() + test, 400);
    let notice = app.world().resource::<Notice>();
    assert!(notice.in_english().starts_with("Loaded "));
    assert!(seen_in_german, "{}", notice.shown(&german));
    let loaded = format!("{} geladen: ", dir.display());
    assert!(
        notice.shown(&german).starts_with(&loaded),
        "{}",
        notice.shown(&german)
    );
}

#[test]
fn a_cancelled_load_keeps_the_images_before() {
    let dir = card_folder("sim-cancel", 400);
    let mut app = app_for(scene());
    let generation = app.world().resource::<Bench>().generation;
    request(
        &mut app,
        MachineRequest::LoadImages(dir.display().to_string()),
    );
    super::cancel_loading(app.world().resource::<super::ImageLoad>());
    until_loaded(&mut app);
    let notice = app.world().resource::<Notice>();
    assert!(
        notice.is_error && notice.in_english().contains("loading cancelled"),
        "{}",
        notice.in_english()
    );
    let bench = app.world().resource::<Bench>();
    assert_eq!(bench.classes().len(), 3);
    assert_eq!(bench.generation, generation);
}
