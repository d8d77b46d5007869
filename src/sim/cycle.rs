//! The machine cycle — present, sense, associate, respond, learn, display — and its controls.

use super::loading::ImageLoad;
use std::time::{Duration, Instant};

use bevy::prelude::*;

use super::bench::Bench;
use super::units::{AssociationUnit, Potentiometer, ResponseUnit, SensoryUnit};
use crate::data::GrayImage;
use crate::nn::rules::{Reinforcement, ValueSystem};
use crate::ui::strings::Strings;

/// The steps of one machine cycle, run in this order every update.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MachineCycle {
    Present,
    Sense,
    Associate,
    Respond,
    Learn,
    Display,
}

/// Whether the machine presents patterns on its own.
#[derive(States, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RunState {
    #[default]
    Paused,
    Running,
}

/// How fast the machine runs: patterns per second of clock time (slow, with the dials slewing
/// visibly) or patterns per update (one update is then a known amount of work).
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    PerSecond(f32),
    PerUpdate(usize),
    /// As many patterns as fit in each update's training time, at most this many milliseconds;
    /// [`FlatOutPace`] shortens it when the update as a whole would make frames late.
    FlatOut(f32),
}

/// The speed control's stops, slowest first: one pattern a second is the 1960 pace.
pub const SPEEDS: [Speed; 8] = [
    Speed::PerSecond(1.0),
    Speed::PerSecond(4.0),
    Speed::PerSecond(20.0),
    Speed::PerUpdate(1),
    Speed::PerUpdate(10),
    Speed::PerUpdate(100),
    Speed::PerUpdate(1000),
    Speed::FlatOut(10.0),
];

impl Speed {
    /// The potentiometer motors' slew rate, in weight units per second (infinite when fast).
    fn slew_per_second(self) -> f32 {
        match self {
            Speed::PerSecond(s) => 3.0 * s.max(1.0),
            Speed::PerUpdate(_) | Speed::FlatOut(_) => f32::INFINITY,
        }
    }
}

/// What the trainer, the panel or a test asks of the machine.
#[derive(Message, Clone, Debug)]
pub enum MachineRequest {
    Run,
    Pause,
    /// Present one pattern (while paused).
    Step,
    /// Present the rest of this epoch (while paused).
    StepEpoch,
    SetSpeed(Speed),
    /// Centre every pot and start training over.
    Reset,
    /// Draw a new plugboard from a new seed (and centre every pot).
    Rewire,
    /// Reinforce the pattern on the retina toward this class.
    Force(usize),
    /// Error correction on every pattern (true), or the trainer corrects by hand (false).
    SetAutoLearn(bool),
    SetRule(Reinforcement),
    SetValueSystem(ValueSystem),
    SetRate(f32),
    /// Show a visitor's image (painted or dropped): classified, not learned.
    ShowImage(GrayImage),
    /// Load another image set (a folder, IDX file or `builtin:` name).
    LoadImages(String),
}

/// A pattern went through the whole cycle.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub struct TrialCompleted {
    pub predicted: usize,
    pub label: usize,
}

/// The line the panel shows the user: what just happened, or what went wrong. Its words are
/// either a text as it stands (a file's error) or a strings key with the values to fill in,
/// so the panel shows them in its language.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
    words: Option<(&'static str, Vec<String>)>,
}

impl Notice {
    /// `text`, as it stands.
    pub fn say(&mut self, text: impl Into<String>) {
        self.set(text.into(), None, false);
    }

    /// `text`, as it stands, as an error.
    pub fn fail(&mut self, text: impl Into<String>) {
        self.set(text.into(), None, true);
    }

    /// The words of strings key `key` with `values` filled in.
    pub fn say_words(&mut self, key: &'static str, values: Vec<String>) {
        self.set(String::new(), Some((key, values)), false);
    }

    /// The words of strings key `key` with `values` filled in, as an error.
    pub fn fail_words(&mut self, key: &'static str, values: Vec<String>) {
        self.set(String::new(), Some((key, values)), true);
    }

    fn set(&mut self, text: String, words: Option<(&'static str, Vec<String>)>, is_error: bool) {
        self.text = text;
        self.words = words;
        self.is_error = is_error;
    }

    /// Whether there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.words.is_none()
    }

    /// The line in the language of `strings`.
    pub fn shown(&self, strings: &Strings) -> String {
        match &self.words {
            Some((key, values)) => {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                strings.fill(key, &values)
            }
            None => self.text.clone(),
        }
    }

    /// The line in English, for logs and tests.
    pub fn in_english(&self) -> String {
        match &self.words {
            Some(_) => self.shown(&Strings::built_in("en").expect("English is built in")),
            None => self.text.clone(),
        }
    }
}

/// This update's work: how many patterns to present and whether the units must be redrawn.
#[derive(Resource, Default, Debug)]
pub(super) struct CycleWork {
    trials: usize,
    /// A pattern is on the retina that the units do not show yet.
    refresh: bool,
    /// The pattern on the retina came from training and waits for its learning step.
    awaiting_learning: bool,
    /// Fractional patterns carried over between updates at per-second speeds.
    carry: f32,
    /// A pause was asked for in this update: the state changes only at the next, and no
    /// pattern may replace (say) the drawing that came with the pause meanwhile.
    pausing: bool,
}

/// Flat out's training time per update, steered so that the whole update (training, the
/// panel's systems, the rest) stays near `MAIN_WORLD_TARGET`: a heavy scene (a wide MLP, many
/// R-units) trains for less of each frame, a light one for up to the speed's maximum.
#[derive(Resource, Debug)]
pub struct FlatOutPace {
    pub budget: Duration,
    update_began: Option<Instant>,
}

impl Default for FlatOutPace {
    fn default() -> Self {
        Self {
            budget: Duration::from_millis(8),
            update_began: None,
        }
    }
}

/// The main world's share of a frame that flat out aims for: 60 frames a second, with room
/// for the render world's hand-over.
pub const MAIN_WORLD_TARGET: Duration = Duration::from_millis(12);
/// The least training time flat out keeps, however heavy the panel.
const LEAST_BUDGET: Duration = Duration::from_micros(500);

impl FlatOutPace {
    /// The next budget after an update that took `update` with this budget: move half the
    /// distance toward the target, within `LEAST_BUDGET..=most`.
    pub fn steer(budget: Duration, update: Duration, most: Duration) -> Duration {
        let next =
            budget.as_secs_f64() + 0.5 * (MAIN_WORLD_TARGET.as_secs_f64() - update.as_secs_f64());
        Duration::from_secs_f64(next.max(0.0)).clamp(LEAST_BUDGET, most.max(LEAST_BUDGET))
    }
}

fn start_update_clock(mut pace: ResMut<FlatOutPace>) {
    pace.update_began = Some(Instant::now());
}

/// After each update at flat out, steers the next update's training time.
fn steer_flat_out(mut pace: ResMut<FlatOutPace>, speed: Res<Speed>, state: Res<State<RunState>>) {
    let (Speed::FlatOut(most), RunState::Running, Some(began)) =
        (*speed, state.get(), pace.update_began)
    else {
        return;
    };
    let most = Duration::from_secs_f32(most / 1000.0);
    pace.budget = FlatOutPace::steer(pace.budget, began.elapsed(), most);
}

pub(super) fn plugin(app: &mut App) {
    app.init_state::<RunState>()
        .insert_resource(Speed::PerSecond(4.0))
        .init_resource::<CycleWork>()
        .init_resource::<FlatOutPace>()
        .add_systems(First, start_update_clock)
        .add_systems(Last, steer_flat_out)
        .init_resource::<Notice>()
        .add_message::<MachineRequest>()
        .add_message::<TrialCompleted>()
        .configure_sets(
            Update,
            (
                MachineCycle::Present,
                MachineCycle::Sense,
                MachineCycle::Associate,
                MachineCycle::Respond,
                MachineCycle::Learn,
                MachineCycle::Display,
            )
                .chain(),
        )
        .add_systems(
            Update,
            (
                (continue_epoch_review, follow_requests, present_patterns)
                    .chain()
                    .in_set(MachineCycle::Present),
                light_photocells.in_set(MachineCycle::Sense),
                fire_association_units.in_set(MachineCycle::Associate),
                answer_with_response_units.in_set(MachineCycle::Respond),
                learn_from_pattern.in_set(MachineCycle::Learn),
                (move_potentiometers, stop_a_diverged_machine).in_set(MachineCycle::Display),
            ),
        );
}

/// Counts one more slice of the last epoch's evaluation, so that closing an epoch costs no
/// frame more than a slice (its records land a few updates later).
fn continue_epoch_review(mut bench: ResMut<Bench>) {
    if bench.reviewing() {
        bench.continue_review();
    }
}

/// Carries out the requests of this update, in the order they came.
fn follow_requests(
    mut requests: MessageReader<MachineRequest>,
    mut bench: ResMut<Bench>,
    mut work: ResMut<CycleWork>,
    mut speed: ResMut<Speed>,
    mut next_state: ResMut<NextState<RunState>>,
    mut notice: ResMut<Notice>,
    mut load: ResMut<ImageLoad>,
    labels: Option<Res<crate::ui::Labels>>,
) {
    for request in requests.read() {
        match request {
            MachineRequest::Run => next_state.set(RunState::Running),
            MachineRequest::Pause => {
                next_state.set(RunState::Paused);
                work.pausing = true;
            }
            MachineRequest::Step => work.trials += 1,
            MachineRequest::StepEpoch => work.trials += bench.left_in_epoch().max(1),
            MachineRequest::SetSpeed(s) => *speed = *s,
            MachineRequest::Reset => match bench.reset() {
                Ok(()) => {
                    *work = CycleWork::default();
                    notice.say_words("notice_reset", vec![]);
                }
                Err(e) => notice.fail_words("notice_reset_failed", vec![format!("{e:#}")]),
            },
            MachineRequest::Rewire => match bench.rewire() {
                Ok(seed) => {
                    *work = CycleWork::default();
                    notice.say_words("notice_rewired", vec![seed.to_string()]);
                }
                Err(e) => notice.fail_words("notice_rewire_failed", vec![format!("{e:#}")]),
            },
            MachineRequest::Force(class) => {
                if bench.force(*class).is_some() {
                    work.refresh = true;
                    // a forced pattern has had its learning: do not correct it again
                    work.awaiting_learning = false;
                    let class = match &labels {
                        Some(labels) => bench.class_shown(*class, labels),
                        None => bench.classes()[*class].clone(),
                    };
                    notice.say_words("notice_forced", vec![class]);
                }
            }
            MachineRequest::SetAutoLearn(on) => bench.auto_learn = *on,
            MachineRequest::SetRule(rule) => bench.machine_mut().learning.rule = *rule,
            MachineRequest::SetValueSystem(system) => bench.machine_mut().learning.system = *system,
            MachineRequest::SetRate(rate) => {
                bench.machine_mut().learning.rate = rate.max(f32::MIN_POSITIVE);
            }
            MachineRequest::ShowImage(image) => {
                bench.show_image(image.clone());
                work.refresh = true;
                work.awaiting_learning = false;
            }
            MachineRequest::LoadImages(source) => load.start(&bench, source),
        }
    }
}

/// Decides how many patterns this update presents, runs all but the last through the core
/// quietly, and puts the last on the retina.
fn present_patterns(
    mut bench: ResMut<Bench>,
    mut work: ResMut<CycleWork>,
    state: Res<State<RunState>>,
    speed: Res<Speed>,
    pace: Res<FlatOutPace>,
    time: Res<Time>,
) {
    let pausing = std::mem::take(&mut work.pausing);
    if *state.get() == RunState::Running && !pausing {
        match *speed {
            Speed::PerSecond(rate) => {
                work.carry = (work.carry + rate * time.delta_secs()).min(rate.max(1.0));
                let whole = work.carry.floor();
                work.carry -= whole;
                work.trials += whole as usize;
            }
            Speed::PerUpdate(n) => work.trials += n,
            Speed::FlatOut(most) => {
                let most = Duration::from_secs_f32(most / 1000.0);
                run_for(&mut bench, pace.budget.min(most));
                work.trials += 1;
            }
        }
    }
    if work.trials == 0 {
        // a panel at rest shows the pattern its next step presents
        if bench.current.is_none() && bench.left_in_epoch() > 0 {
            bench.preview_next();
            work.refresh = true;
        }
        return;
    }
    let trials = std::mem::take(&mut work.trials);
    if bench.left_in_epoch() == 0 {
        bench.end_epoch();
    }
    // Never cross the end of an epoch in one update: the epoch's evaluation comes between.
    let trials = trials.min(bench.left_in_epoch());
    bench.run_quietly(trials - 1);
    if bench.show_next().is_some() {
        work.refresh = true;
        work.awaiting_learning = true;
    }
}

/// Presents patterns quietly in batches until `budget` has passed, closing epochs on the way.
/// Each batch is sized from the time the patterns so far took, so that a costly model (a wide
/// MLP) stops near the budget instead of overshooting it by a whole batch.
fn run_for(bench: &mut Bench, budget: Duration) {
    /// The first batch: enough to include one mini-batch step of the companion MLP.
    const FIRST_BATCH: usize = 16;
    const MOST_BATCH: usize = 128;
    let started = Instant::now();
    let (mut presented, mut spent) = (0usize, Duration::ZERO);
    let mut batch = FIRST_BATCH;
    while started.elapsed() < budget {
        if bench.left_in_epoch() == 0 {
            bench.end_epoch();
        }
        // keep the last pattern of the epoch for the visible cycle
        let n = batch.min(bench.left_in_epoch().saturating_sub(1));
        if n == 0 {
            break;
        }
        let began = Instant::now();
        bench.run_quietly(n);
        presented += n;
        spent += began.elapsed();
        let per_pattern = spent.as_secs_f64() / presented as f64;
        let left = budget.saturating_sub(started.elapsed()).as_secs_f64();
        batch = ((left / per_pattern.max(1e-9)) as usize).clamp(1, MOST_BATCH);
    }
}

fn light_photocells(bench: Res<Bench>, work: Res<CycleWork>, mut units: Query<&mut SensoryUnit>) {
    let (true, Some(current)) = (work.refresh, &bench.current) else {
        return;
    };
    for mut unit in &mut units {
        let excitation = current.cells.get(unit.index).copied().unwrap_or(0.0);
        unit.set_if_neq(SensoryUnit {
            excitation,
            ..*unit
        });
    }
}

fn fire_association_units(
    bench: Res<Bench>,
    work: Res<CycleWork>,
    mut units: Query<&mut AssociationUnit>,
) {
    let (true, Some(current)) = (work.refresh, &bench.current) else {
        return;
    };
    let mut firing = vec![false; bench.machine().a_units()];
    for &i in &current.active {
        firing[i as usize] = true;
    }
    for mut unit in &mut units {
        let now = firing.get(unit.index).copied().unwrap_or(false);
        unit.set_if_neq(AssociationUnit {
            firing: now,
            ..*unit
        });
    }
}

fn answer_with_response_units(
    bench: Res<Bench>,
    work: Res<CycleWork>,
    mut units: Query<&mut ResponseUnit>,
) {
    let (true, Some(current)) = (work.refresh, &bench.current) else {
        return;
    };
    for mut unit in &mut units {
        let response = current.responses.get(unit.index).copied().unwrap_or(0.0);
        let correction = current.corrections.get(unit.index).copied().unwrap_or(0.0);
        unit.set_if_neq(ResponseUnit {
            response,
            correction,
            ..*unit
        });
    }
}

/// The trainer's step: error correction on the pattern just answered; closes the epoch when
/// its last pattern has been learned.
fn learn_from_pattern(
    mut bench: ResMut<Bench>,
    mut work: ResMut<CycleWork>,
    mut completed: MessageWriter<TrialCompleted>,
    mut units: Query<&mut ResponseUnit>,
) {
    work.refresh = false;
    if !std::mem::take(&mut work.awaiting_learning) {
        return;
    }
    bench.learn_current();
    if let Some(current) = &bench.current {
        completed.write(TrialCompleted {
            predicted: current.predicted,
            label: current.label.unwrap_or(current.predicted),
        });
        for mut unit in &mut units {
            let correction = current.corrections.get(unit.index).copied().unwrap_or(0.0);
            unit.set_if_neq(ResponseUnit {
                correction,
                ..*unit
            });
        }
    }
    if bench.left_in_epoch() == 0 {
        bench.end_epoch();
    }
}

/// Pauses a Mark I whose pots diverged and says why, once per machine.
fn stop_a_diverged_machine(
    bench: Res<Bench>,
    mut told: Local<Option<u64>>,
    mut next_state: ResMut<NextState<RunState>>,
    mut notice: ResMut<Notice>,
) {
    let Some(reason) = &bench.stopped else {
        return;
    };
    if *told != Some(bench.generation) {
        *told = Some(bench.generation);
        next_state.set(RunState::Paused);
        notice.fail(format!("Mark I {reason}"));
    }
}

/// Turns every potentiometer's shaft toward its weight at the motors' slew rate.
fn move_potentiometers(
    bench: Res<Bench>,
    speed: Res<Speed>,
    time: Res<Time>,
    mut pots: Query<&mut Potentiometer>,
) {
    let machine = bench.machine();
    let max_step = speed.slew_per_second() * time.delta_secs();
    for mut pot in &mut pots {
        let Some(&weight) = machine
            .weights
            .get(pot.a_unit * machine.r_units + pot.r_unit)
        else {
            continue;
        };
        if pot.shown != weight {
            let step = (weight - pot.shown).clamp(-max_step, max_step);
            let shown = if max_step.is_finite() {
                pot.shown + step
            } else {
                weight
            };
            pot.shown = shown;
        }
    }
}
