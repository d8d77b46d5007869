//! Keeps an exhibit up: runs it as a child process and starts it again if it ever exits
//! abnormally, and writes panics to the exhibit's log rather than to a dialog or a terminal.

use std::process::{Command, ExitCode};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::exhibit::{ExhibitConfig, Log};
use crate::scene::Scene;

/// Quick crashes in a row after which the supervisor waits longer before the next start.
const QUICK_CRASHES: u32 = 5;
/// A run shorter than this counts as a quick crash.
const QUICK: Duration = Duration::from_secs(60);

/// Runs this program again with the same arguments plus `--supervised`, restarting it after
/// any exit but a clean one (the operator's exit); a configuration error (exit code 2) is not
/// retried.
pub fn supervise(scene: &Scene) -> Result<ExitCode> {
    let config = scene.exhibit.clone().unwrap_or_default();
    let mut log = Log::new(&config.log_file, config.log_max_bytes);
    let program = std::env::current_exe().context("finding this program to supervise")?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut quick_crashes = 0;
    loop {
        let started = Instant::now();
        let status = Command::new(&program)
            .args(&args)
            .arg("--supervised")
            .status()
            .with_context(|| format!("{}: cannot start the exhibit", program.display()))?;
        match status.code() {
            Some(0) => {
                log.line("supervisor: the exhibit closed normally");
                return Ok(ExitCode::SUCCESS);
            }
            Some(1) if started.elapsed() < Duration::from_secs(5) && quick_crashes == 0 => {
                // failed at once, before any window: a bad scene or no display; say so once
                log.line("supervisor: the exhibit could not start; see its error message");
                return Ok(ExitCode::FAILURE);
            }
            code => {
                quick_crashes = if started.elapsed() < QUICK {
                    quick_crashes + 1
                } else {
                    0
                };
                log.line(&format!(
                    "supervisor: the exhibit stopped ({}); starting it again",
                    code.map_or("killed by a signal".to_string(), |c| format!(
                        "exit code {c}"
                    ))
                ));
                let pause = if quick_crashes >= QUICK_CRASHES {
                    30
                } else {
                    1
                };
                std::thread::sleep(Duration::from_secs(pause));
            }
        }
    }
}

/// Sends panics to the exhibit's log (the supervisor restarts the exhibit after one).
pub fn log_panics(config: &ExhibitConfig) {
    let log = Mutex::new(Log::new(&config.log_file, config.log_max_bytes));
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut log) = log.lock() {
            log.line(&format!("panic: {info}"));
        }
        default_hook(info);
    }));
}

/// In the supervised exhibit: ends it when its supervisor is gone (killed, say, by a service
/// manager or `timeout`), so that no orphaned exhibit holds the screen while another starts.
pub fn end_with_supervisor(config: &ExhibitConfig) {
    #[cfg(unix)]
    {
        let supervisor = std::os::unix::process::parent_id();
        let mut log = Log::new(&config.log_file, config.log_max_bytes);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                if std::os::unix::process::parent_id() != supervisor {
                    log.line("exhibit: its supervisor is gone; closing");
                    std::process::exit(0);
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = config;
}
