//! Keeps an exhibit up: runs it as a child process and starts it again if it ever exits
//! abnormally or stops answering (its frame loop sends a heartbeat line each second), tells
//! systemd it is alive while the exhibit is, and writes panics to the exhibit's log rather
//! than to a dialog or a terminal.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, ExitCode, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bevy::prelude::*;

use super::log::Log;
use crate::scene::Scene;
use crate::scene::exhibit::ExhibitConfig;

/// Quick crashes in a row after which the supervisor waits longer before the next start.
const QUICK_CRASHES: u32 = 5;
/// A run shorter than this counts as a quick crash.
const QUICK: Duration = Duration::from_secs(60);
/// The line the supervised exhibit's frame loop writes to its standard output, once a second.
pub const HEARTBEAT_LINE: &str = "mark1-exhibit-alive";
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// How long a starting exhibit may take to its first frame (loading, shader compilation on a
/// slow software renderer) before it counts as hung.
const FIRST_FRAME_ALLOWANCE: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(200);

/// Runs this program again with the same arguments plus `--supervised`, restarting it after
/// any exit but a clean one (the operator's exit) and after `hang_seconds` without a frame; a
/// configuration error (exit code 2) is not retried.
pub fn supervise(scene: &Scene) -> Result<ExitCode> {
    let config = scene.exhibit.clone().unwrap_or_default();
    let mut log = Log::new(&config.log_file, config.log_max_bytes);
    let program = std::env::current_exe().context("finding this program to supervise")?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hang = Duration::from_secs_f32(config.hang_seconds);
    let mut quick_crashes = 0;
    let mut ready_told = false;
    loop {
        let started = Instant::now();
        let mut child = Command::new(&program)
            .args(&args)
            .arg("--supervised")
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("{}: cannot start the exhibit", program.display()))?;
        let beats = listen_for_heartbeats(&mut child, !ready_told);
        let ending = watch(&mut child, &beats, hang, FIRST_FRAME_ALLOWANCE)
            .with_context(|| format!("{}: cannot watch the exhibit", program.display()))?;
        ready_told |= beats.lock().is_ok_and(|b| b.last.is_some());
        let what = match ending {
            Ending::Exited(status) => match status.code() {
                Some(0) => {
                    log.line("supervisor: the exhibit closed normally");
                    return Ok(ExitCode::SUCCESS);
                }
                Some(1) if started.elapsed() < Duration::from_secs(5) && quick_crashes == 0 => {
                    // failed at once, before any window: a bad scene or no display; say so once
                    log.line("supervisor: the exhibit could not start; see its error message");
                    return Ok(ExitCode::FAILURE);
                }
                Some(code) => format!("stopped (exit code {code})"),
                None => "stopped (killed by a signal)".to_string(),
            },
            Ending::Hung(silent) => format!(
                "stopped answering (no frame for {:.0} s) and was ended",
                silent.as_secs_f32()
            ),
        };
        quick_crashes = if started.elapsed() < QUICK {
            quick_crashes + 1
        } else {
            0
        };
        log.line(&format!(
            "supervisor: the exhibit {what}; starting it again"
        ));
        let pause = if quick_crashes >= QUICK_CRASHES {
            30
        } else {
            1
        };
        std::thread::sleep(Duration::from_secs(pause));
    }
}

/// When the exhibit last showed a frame (None: not yet).
#[derive(Debug, Default)]
struct Heartbeats {
    last: Option<Instant>,
}

/// How a watched exhibit ended.
#[derive(Debug)]
enum Ending {
    Exited(ExitStatus),
    /// No heartbeat for this long: it was killed.
    Hung(Duration),
}

/// Reads the child's standard output on a thread: heartbeat lines are noted (and passed on
/// to systemd's watchdog; the first one, when `tell_ready`, as readiness), anything else is
/// copied to this program's own output.
fn listen_for_heartbeats(child: &mut Child, tell_ready: bool) -> Arc<Mutex<Heartbeats>> {
    let beats = Arc::new(Mutex::new(Heartbeats::default()));
    if let Some(output) = child.stdout.take() {
        let beats = Arc::clone(&beats);
        std::thread::spawn(move || relay_output(output, &beats, tell_ready));
    }
    beats
}

fn relay_output(output: ChildStdout, beats: &Mutex<Heartbeats>, mut tell_ready: bool) {
    for line in BufReader::new(output).lines() {
        let Ok(line) = line else {
            return;
        };
        if line != HEARTBEAT_LINE {
            println!("{line}");
            continue;
        }
        if let Ok(mut beats) = beats.lock() {
            beats.last = Some(Instant::now());
        }
        tell_systemd(tell_ready);
        tell_ready = false;
    }
}

/// Tells systemd (when it runs this program as a `Type=notify` service) that the exhibit is
/// alive, and ready the first time.
fn tell_systemd(ready: bool) {
    #[cfg(target_os = "linux")]
    {
        use sd_notify::NotifyState;
        let states: &[NotifyState] = if ready {
            &[NotifyState::Ready, NotifyState::Watchdog]
        } else {
            &[NotifyState::Watchdog]
        };
        let _ = sd_notify::notify(false, states);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = ready;
}

/// Waits for `child` to exit, or kills it once no heartbeat came for `hang` (before the
/// first heartbeat, `first_frame` from the start).
fn watch(
    child: &mut Child,
    beats: &Mutex<Heartbeats>,
    hang: Duration,
    first_frame: Duration,
) -> std::io::Result<Ending> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Ending::Exited(status));
        }
        let last = beats.lock().ok().and_then(|b| b.last);
        let silent = last.map_or(started.elapsed(), |at| at.elapsed());
        if silent
            > if last.is_some() {
                hang
            } else {
                first_frame.max(hang)
            }
        {
            let _ = child.kill();
            child.wait()?;
            return Ok(Ending::Hung(silent));
        }
        std::thread::sleep(POLL);
    }
}

/// In the supervised exhibit: the frame loop's heartbeat on standard output.
pub fn heartbeat_plugin(app: &mut App) {
    app.add_systems(Last, beat);
}

fn beat(mut last: Local<Option<Instant>>) {
    if last.is_some_and(|at| at.elapsed() < HEARTBEAT_EVERY) {
        return;
    }
    *last = Some(Instant::now());
    let mut out = std::io::stdout().lock();
    // with the supervisor gone the pipe is closed; `end_with_supervisor` handles that
    let _ = writeln!(out, "{HEARTBEAT_LINE}").and_then(|_| out.flush());
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn shell(script: &str) -> Child {
        Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    }

    #[test]
    fn an_exhibit_whose_heartbeat_stops_is_ended_as_hung() {
        // two frames, then the frame loop stops (the process lives on)
        let script =
            format!("echo {HEARTBEAT_LINE}; sleep 0.2; echo {HEARTBEAT_LINE}; exec sleep 60");
        let mut child = shell(&script);
        let beats = listen_for_heartbeats(&mut child, false);
        let began = Instant::now();
        let ending = watch(
            &mut child,
            &beats,
            Duration::from_millis(700),
            Duration::from_secs(5),
        );
        let silent = match ending.unwrap() {
            Ending::Hung(silent) => silent,
            other => panic!("not ended as hung: {other:?}"),
        };
        assert!(silent >= Duration::from_millis(700), "{silent:?}");
        assert!(
            began.elapsed() < Duration::from_secs(4),
            "{:?}",
            began.elapsed()
        );
        // it was killed: nothing of it is left running
        assert!(child.try_wait().unwrap().is_some());
    }

    #[test]
    fn a_beating_exhibit_is_left_to_run_and_its_exit_is_reported() {
        // beats every 0.1 s for 1.5 s (longer than the hang limit), then exits with code 3
        let script = format!(
            "i=0; while [ $i -lt 15 ]; do echo {HEARTBEAT_LINE}; sleep 0.1; i=$((i+1)); done; exit 3"
        );
        let mut child = shell(&script);
        let beats = listen_for_heartbeats(&mut child, false);
        let ending = watch(
            &mut child,
            &beats,
            Duration::from_millis(600),
            Duration::from_secs(5),
        );
        match ending.unwrap() {
            Ending::Exited(status) => assert_eq!(status.code(), Some(3)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_exhibit_that_never_shows_a_frame_is_ended_after_the_first_frame_allowance() {
        let mut child = shell("exec sleep 60");
        let beats = listen_for_heartbeats(&mut child, false);
        let began = Instant::now();
        let ending = watch(
            &mut child,
            &beats,
            Duration::from_millis(200),
            Duration::from_millis(900),
        );
        assert!(matches!(ending.unwrap(), Ending::Hung(_)));
        assert!(began.elapsed() >= Duration::from_millis(900));
    }
}
