//! A bar on the terminal while images load: files or bytes read so far, drawn from a second
//! thread while the first one loads.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::data::progress::Progress;

/// Runs `work` with a fresh [`Progress`] for its loading, showing that as a bar on standard
/// error (unless `quiet`, or standard error is not a terminal) until the load is done or
/// `work` returns.
pub(super) fn with_loading_bar<T>(quiet: bool, work: impl FnOnce(&Arc<Progress>) -> T) -> T {
    let progress = Arc::new(Progress::default());
    if quiet || !std::io::stderr().is_terminal() {
        return work(&progress);
    }
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| draw_until(&progress, &finished));
        let result = work(&progress);
        finished.store(true, Ordering::Relaxed);
        result
    })
}

/// Redraws the bar ten times a second until the load is done or `finished`; shown only for
/// loads that count their work (files and IDX, not generated sets) and take over a moment.
fn draw_until(progress: &Progress, finished: &AtomicBool) {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("loading images {bar:30.cyan/blue} {percent:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut waited = 0;
    while !finished.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
        if waited < 3 {
            continue;
        }
        let (done, total) = progress.counts();
        if total > 0 && done >= total {
            break;
        }
        if total > 0 {
            bar.set_length(total);
            bar.set_position(done);
        }
    }
    bar.finish_and_clear();
}
