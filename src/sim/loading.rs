//! Another image set loaded off the main thread: the panel keeps drawing and the machine
//! keeps running on the images it has while the new ones decode; the message line shows how
//! far it has come, and Esc (or touching the line) cancels it.

use std::sync::Arc;

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, poll_once};

use super::Bench;
use super::cycle::{CycleWork, MachineCycle, Notice};
use crate::data::progress::Progress;
use crate::experiment::LiveExperiment;

/// The load under way, if any.
#[derive(Resource, Default)]
pub struct ImageLoad {
    pub loading: Option<Loading>,
}

/// One image set being read: its name, how far it has come, and the work itself.
pub struct Loading {
    pub source: String,
    pub progress: Arc<Progress>,
    task: Task<anyhow::Result<LiveExperiment>>,
    /// The percentage last shown on the message line.
    shown: Option<u32>,
}

impl ImageLoad {
    /// Starts reading `source` for the scene on the bench; a load already under way is
    /// cancelled first (the newest request wins).
    pub fn start(&mut self, bench: &Bench, source: &str) {
        if let Some(old) = &self.loading {
            old.progress.cancel();
        }
        let progress = Arc::new(Progress::default());
        let (scene, name, watch) = (
            bench.experiment.scene.clone(),
            source.to_string(),
            progress.clone(),
        );
        let task = AsyncComputeTaskPool::get()
            .spawn(async move { LiveExperiment::on_other_images(&scene, &name, &watch) });
        self.loading = Some(Loading {
            source: source.to_string(),
            progress,
            task,
            shown: None,
        });
    }

    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ImageLoad>().add_systems(
        Update,
        (cancel_on_escape, follow_the_load)
            .chain()
            .before(MachineCycle::Present),
    );
}

fn cancel_on_escape(keys: Option<Res<ButtonInput<KeyCode>>>, load: Res<ImageLoad>) {
    if let (Some(keys), Some(loading)) = (keys, &load.loading)
        && keys.just_pressed(KeyCode::Escape)
    {
        loading.progress.cancel();
    }
}

/// Shows the load's progress on the message line and, once it is done, puts the new images
/// on the bench (or says why not, keeping the old ones).
fn follow_the_load(
    mut load: ResMut<ImageLoad>,
    mut bench: ResMut<Bench>,
    mut work: ResMut<CycleWork>,
    mut notice: ResMut<Notice>,
) {
    let Some(loading) = load.loading.as_mut() else {
        return;
    };
    let Some(result) = block_on(poll_once(&mut loading.task)) else {
        let percent = loading.progress.fraction().map(|f| (100.0 * f) as u32);
        if loading.shown != percent || notice.is_empty() {
            loading.shown = percent;
            let (key, values) = loading_line(&loading.source, &loading.progress);
            notice.say_words(key, values);
        }
        return;
    };
    let source = std::mem::take(&mut loading.source);
    load.loading = None;
    match result {
        Ok(fresh) => {
            let summary = vec![
                source,
                fresh.experiment.train.len().to_string(),
                fresh.classes().len().to_string(),
            ];
            let generation = bench.generation + 1;
            **bench = fresh;
            bench.generation = generation;
            *work = CycleWork::default();
            notice.say_words("notice_loaded", summary);
        }
        Err(e) => notice.fail_words("notice_load_failed", vec![format!("{e:#}")]),
    }
}

/// `Loading photos/: ████░░░ 42% (1234 of 2938) · Esc or a touch here cancels`: the strings
/// key and its values.
fn loading_line(source: &str, progress: &Progress) -> (&'static str, Vec<String>) {
    let (done, total) = progress.counts();
    match progress.fraction() {
        Some(f) => {
            let filled = (f * 20.0).round() as usize;
            let bar = format!("{}{}", "█".repeat(filled), "░".repeat(20 - filled));
            let percent = format!("{:.0}", 100.0 * f);
            let counts = [done, total].map(|n| n.to_string());
            let [done, total] = counts;
            (
                "notice_loading_counted",
                vec![source.into(), bar, percent, done, total],
            )
        }
        // a generated set counts nothing: it is quick
        None => ("notice_loading", vec![source.into()]),
    }
}

/// Cancels the load under way, if any (a touch on the message line).
pub fn cancel_loading(load: &ImageLoad) {
    if let Some(loading) = &load.loading {
        loading.progress.cancel();
    }
}
