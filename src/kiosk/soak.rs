//! The soak test: an exhibit run for many machine cycles with simulated visitors, measuring
//! memory, entity counts and update (or, rendered in its window, frame) time as it goes.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy::time::TimeUpdateStrategy;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

use super::session::{Exhibit, VisitorTouched};
use super::visit::Phase;
use crate::args::SoakArgs;
use crate::scene::Scene;
use crate::seeds::MachineRng;
use crate::sim::{self, Bench, MachineCycle, MachineRequest};

/// Simulated frames per second of clock time.
const FRAME_RATE: f32 = 60.0;
/// Patterns per second in the attract loop while soaking (many per frame, to reach a million
/// cycles in minutes rather than days; the exhibit's own pace is a few a second).
const SOAK_ATTRACT_RATE: f32 = 3000.0;

/// One slice of the run.
#[derive(Clone, Debug, Serialize)]
pub struct SoakWindow {
    /// Machine cycles (patterns presented) so far.
    pub cycles: u64,
    /// Resident memory of the process, KiB (0 where /proc is not there).
    pub resident_kib: u64,
    pub entities: u32,
    /// Mean wall time of one update in this slice, microseconds.
    pub mean_update_us: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SoakReport {
    pub cycles: u64,
    pub updates: u64,
    /// Simulated clock time, hours.
    pub simulated_hours: f64,
    pub visits: u64,
    pub recovered_errors: u64,
    pub seconds: f64,
    pub windows: Vec<SoakWindow>,
}

/// The visitors' script: a random arrival during the attract loop, a minute of drawing and
/// teaching, then walking away (the idle countdown brings back the attract loop). Now and
/// then one drops a broken file, which the exhibit must shrug off.
#[derive(Resource)]
struct Visitors {
    rng: MachineRng,
    /// Mean seconds between arrivals during the attract loop.
    arrival_every: f32,
    /// How long a visitor stays, seconds.
    stay: std::ops::Range<f32>,
    /// Seconds of teaching left in this visit.
    staying: f32,
    /// Seconds to the visitor's next touch.
    next_touch: f32,
}

impl Visitors {
    fn new(seed: u64, arrival_every: f32, stay: std::ops::Range<f32>) -> Self {
        Self {
            rng: MachineRng::seed_from_u64(seed ^ 0x50a4),
            arrival_every,
            stay,
            staying: 0.0,
            next_touch: 0.0,
        }
    }
}

fn simulate_visitors(
    mut visitors: ResMut<Visitors>,
    time: Res<Time>,
    exhibit: Res<Exhibit>,
    bench: Res<Bench>,
    mut touches: MessageWriter<VisitorTouched>,
    mut requests: MessageWriter<MachineRequest>,
) {
    let dt = time.delta_secs();
    let visitors = &mut *visitors;
    match exhibit.session.phase {
        Phase::Attract => {
            if visitors
                .rng
                .random_bool((dt / visitors.arrival_every).clamp(0.0, 1.0) as f64)
            {
                visitors.staying = visitors.rng.random_range(visitors.stay.clone());
                visitors.next_touch = 0.0;
                touches.write(VisitorTouched);
            }
        }
        Phase::Visiting { .. } | Phase::Countdown { .. } if visitors.staying > 0.0 => {
            visitors.staying -= dt;
            visitors.next_touch -= dt;
            if visitors.next_touch <= 0.0 {
                visitors.next_touch = visitors.rng.random_range(0.5..3.0);
                touches.write(VisitorTouched);
                let train = &bench.experiment.train;
                let k = visitors.rng.random_range(0..train.len());
                requests.write(MachineRequest::ShowImage(train.images[k].clone()));
                if visitors.rng.random_bool(0.7) {
                    requests.write(MachineRequest::Force(train.labels[k] as usize));
                }
                if visitors.rng.random_bool(0.01) {
                    requests.write(MachineRequest::LoadImages("/no/such/images".into()));
                }
            }
        }
        // the visitor has left: nobody touches until the countdown runs out
        Phase::Visiting { .. } | Phase::Countdown { .. } => {}
    }
}

/// Resident memory in KiB, from /proc/self/statm (Linux); 0 elsewhere.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

/// Runs `scene`'s exhibit headless for at least `cycles` machine cycles, measuring as it goes
/// in `windows` slices. Its log and settings go to `scratch`.
pub fn soak(
    mut scene: Scene,
    cycles: u64,
    windows: usize,
    scratch: &std::path::Path,
) -> Result<SoakReport> {
    let mut config = scene
        .exhibit
        .take()
        .ok_or_else(|| anyhow!("the scene has no `exhibit` section to soak"))?;
    config.attract_patterns_per_second = SOAK_ATTRACT_RATE;
    config.log_file = scratch.join("soak.log");
    config.state_file = scratch.join("soak-state.ron");
    let seed = scene.seed;
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f32(
            1.0 / FRAME_RATE,
        )))
        .insert_resource(Bench::prepare(scene)?)
        .insert_resource(Exhibit::new(config))
        // someone walks up about every twenty simulated seconds and stays up to 80
        .insert_resource(Visitors::new(seed, 20.0, 20.0..80.0))
        .add_plugins((sim::plugin, super::headless_plugin))
        .add_systems(Update, simulate_visitors.before(MachineCycle::Present));
    let started = Instant::now();
    let (mut done, mut last_trials, mut updates) = (0u64, 0u64, 0u64);
    let mut report = Vec::new();
    let slice = (cycles / windows.max(1) as u64).max(1);
    let (mut slice_updates, mut slice_time) = (0u64, Duration::ZERO);
    while done < cycles {
        let t = Instant::now();
        app.update();
        slice_time += t.elapsed();
        slice_updates += 1;
        updates += 1;
        let trials = app.world().resource::<Bench>().trials;
        // a reset starts the count again from zero
        done += if trials >= last_trials {
            trials - last_trials
        } else {
            trials
        };
        last_trials = trials;
        if done >= slice * (report.len() as u64 + 1) || done >= cycles {
            report.push(SoakWindow {
                cycles: done,
                resident_kib: resident_kib(),
                entities: app.world().entities().count_spawned(),
                mean_update_us: slice_time.as_secs_f64() * 1e6 / slice_updates.max(1) as f64,
            });
            slice_updates = 0;
            slice_time = Duration::ZERO;
        }
        if updates > cycles.saturating_mul(100) + 1_000_000 {
            return Err(anyhow!(
                "the soak made no progress: {done} cycles in {updates} updates"
            ));
        }
    }
    let exhibit = app.world().resource::<Exhibit>();
    Ok(SoakReport {
        cycles: done,
        updates,
        simulated_hours: updates as f64 / FRAME_RATE as f64 / 3600.0,
        visits: exhibit.session.visits,
        recovered_errors: exhibit.recovered_errors,
        seconds: started.elapsed().as_secs_f64(),
        windows: report,
    })
}

/// A rendered soak: the exhibit in its window (the real panel, drawn each frame), with the
/// simulated visitors arriving often, for `frames` frames measured in `windows` slices.
#[derive(Resource, Clone, Debug)]
pub struct RenderedSoak {
    pub frames: u64,
    pub windows: usize,
    pub json: bool,
}

/// One slice of a rendered soak.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RenderedWindow {
    pub frames: u64,
    pub cycles: u64,
    pub resident_kib: u64,
    pub entities: u32,
    pub mean_frame_ms: f64,
    pub worst_frame_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RenderedReport {
    pub frames: u64,
    pub cycles: u64,
    pub visits: u64,
    pub recovered_errors: u64,
    pub seconds: f64,
    pub windows: Vec<RenderedWindow>,
}

/// Frames left out at the start: they compile pipelines and load fonts.
const RENDERED_WARM_UP: u64 = 10;

/// `scene` made ready for a rendered soak: windowed at the design size, short visits and
/// timeouts (so that a minute holds several visits), its log and settings in `scratch`.
pub fn rendered_scene(mut scene: Scene, scratch: &std::path::Path) -> Result<Scene> {
    let config = scene
        .exhibit
        .as_mut()
        .ok_or_else(|| anyhow!("the scene has no `exhibit` section to soak"))?;
    config.fullscreen = false;
    config.idle_seconds = 5.0;
    config.countdown_seconds = 2.0;
    config.log_file = scratch.join("soak.log");
    config.state_file = scratch.join("soak-state.ron");
    Ok(scene)
}

/// The rendered soak in the window: visitors, and the meter that reports and closes it.
pub fn rendered_plugin(app: &mut App) {
    let seed = app.world().resource::<Bench>().experiment.scene.seed;
    app.insert_resource(Visitors::new(seed, 3.0, 4.0..10.0))
        .insert_resource(RenderedMeter {
            started: Some(Instant::now()),
            ..default()
        })
        .add_systems(Update, simulate_visitors.before(MachineCycle::Present))
        .add_systems(Last, meter_rendered_soak);
}

#[derive(Resource, Default)]
struct RenderedMeter {
    started: Option<Instant>,
    frame: u64,
    cycles: u64,
    last_trials: u64,
    slice: RenderedWindow,
    slice_frames: u64,
    windows: Vec<RenderedWindow>,
}

fn meter_rendered_soak(
    mut meter: ResMut<RenderedMeter>,
    plan: Res<RenderedSoak>,
    time: Res<Time<Real>>,
    bench: Res<Bench>,
    exhibit: Res<Exhibit>,
    entities: &bevy::ecs::entity::Entities,
    mut exit: MessageWriter<AppExit>,
) {
    let meter = &mut *meter;
    meter.frame += 1;
    let trials = bench.trials;
    meter.cycles += trials.checked_sub(meter.last_trials).unwrap_or(trials);
    meter.last_trials = trials;
    if meter.frame <= RENDERED_WARM_UP {
        return;
    }
    let ms = time.delta_secs_f64() * 1000.0;
    meter.slice.mean_frame_ms += ms;
    meter.slice.worst_frame_ms = meter.slice.worst_frame_ms.max(ms);
    meter.slice_frames += 1;
    let measured = meter.frame - RENDERED_WARM_UP;
    let per_slice = (plan.frames / plan.windows.max(1) as u64).max(1);
    if !measured.is_multiple_of(per_slice) && measured < plan.frames {
        return;
    }
    let mut slice = std::mem::take(&mut meter.slice);
    slice.mean_frame_ms /= meter.slice_frames.max(1) as f64;
    slice.frames = measured;
    slice.cycles = meter.cycles;
    slice.resident_kib = resident_kib();
    slice.entities = entities.count_spawned();
    meter.slice_frames = 0;
    meter.windows.push(slice);
    if measured < plan.frames {
        return;
    }
    let report = RenderedReport {
        frames: measured,
        cycles: meter.cycles,
        visits: exhibit.session.visits,
        recovered_errors: exhibit.recovered_errors,
        seconds: meter.started.map_or(0.0, |t| t.elapsed().as_secs_f64()),
        windows: std::mem::take(&mut meter.windows),
    };
    print_rendered_report(&report, plan.json);
    exit.write(AppExit::Success);
}

fn print_rendered_report(report: &RenderedReport, json: bool) {
    if json {
        if let Ok(line) = serde_json::to_string(report) {
            println!("{line}");
        }
        return;
    }
    println!(
        "{} frames drawn ({} machine cycles, {:.0} s), {} visits, {} errors recovered",
        report.frames, report.cycles, report.seconds, report.visits, report.recovered_errors
    );
    println!(
        "{:>8}  {:>8}  {:>12}  {:>9}  {:>15}  {:>14}",
        "frames", "cycles", "resident KiB", "entities", "mean frame (ms)", "worst (ms)"
    );
    for w in &report.windows {
        println!(
            "{:>8}  {:>8}  {:>12}  {:>9}  {:>15.1}  {:>14.1}",
            w.frames, w.cycles, w.resident_kib, w.entities, w.mean_frame_ms, w.worst_frame_ms
        );
    }
}
/// `mark1 soak`: the exhibit scene (the built-in museum by default) for many machine cycles
/// with simulated visitors, headless or (`--rendered`) in the window that `window` opens (the
/// app's, handed in by `main`: the kiosk sits below the window); the report printed.
pub fn run(
    args: SoakArgs,
    window: impl FnOnce(Scene, RenderedSoak) -> Result<()>,
) -> Result<ExitCode> {
    let scene = match &args.scene {
        Some(path) => Scene::load(path)?,
        None => Scene::parse(crate::scene::MUSEUM_SCENE, crate::scene::MUSEUM_SCENE_NAME)?,
    };
    let scratch = std::env::temp_dir().join(format!("mark1-soak-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("{}: cannot create", scratch.display()))?;
    if args.rendered {
        return rendered_soak(scene, &args, &scratch, window);
    }
    let report = soak(scene, args.cycles, args.windows, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} machine cycles in {} updates ({:.1} simulated hours, {:.0} s of wall time), {} visits, {} errors recovered",
        report.cycles,
        report.updates,
        report.simulated_hours,
        report.seconds,
        report.visits,
        report.recovered_errors
    );
    println!(
        "{:>10}  {:>12}  {:>9}  {:>14}",
        "cycles", "resident KiB", "entities", "update (us)"
    );
    for w in &report.windows {
        println!(
            "{:>10}  {:>12}  {:>9}  {:>14.1}",
            w.cycles, w.resident_kib, w.entities, w.mean_update_us
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `soak --rendered`: the exhibit in its window with simulated visitors, measured per slice.
fn rendered_soak(
    scene: Scene,
    args: &SoakArgs,
    scratch: &Path,
    window: impl FnOnce(Scene, RenderedSoak) -> Result<()>,
) -> Result<ExitCode> {
    if !(1..=10_000_000).contains(&args.frames) || !(1..=1000).contains(&args.windows) {
        bail!("soak: --frames must lie in 1..=10000000 and --windows in 1..=1000");
    }
    let scene = rendered_scene(scene, scratch);
    let soak = RenderedSoak {
        frames: args.frames,
        windows: args.windows,
        json: args.json,
    };
    let run = scene.and_then(|scene| window(scene, soak));
    let _ = std::fs::remove_dir_all(scratch);
    run.map(|()| ExitCode::SUCCESS)
}
