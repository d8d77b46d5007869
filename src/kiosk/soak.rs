//! The soak test: an exhibit run headless for many machine cycles with simulated visitors,
//! measuring memory, entity counts and update time as it goes.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy::time::TimeUpdateStrategy;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::session::{Exhibit, VisitorTouched};
use crate::exhibit::Phase;
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
    /// Seconds of teaching left in this visit.
    staying: f32,
    /// Seconds to the visitor's next touch.
    next_touch: f32,
}

fn simulate_visitors(
    mut visitors: ResMut<Visitors>,
    exhibit: Res<Exhibit>,
    bench: Res<Bench>,
    mut touches: MessageWriter<VisitorTouched>,
    mut requests: MessageWriter<MachineRequest>,
) {
    let dt = 1.0 / FRAME_RATE;
    let visitors = &mut *visitors;
    match exhibit.session.phase {
        Phase::Attract => {
            // someone walks up about every twenty simulated seconds
            if visitors.rng.random_bool((dt / 20.0) as f64) {
                visitors.staying = visitors.rng.random_range(20.0..80.0);
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
        .insert_resource(Visitors {
            rng: MachineRng::seed_from_u64(seed ^ 0x50a4),
            staying: 0.0,
            next_touch: 0.0,
        })
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
