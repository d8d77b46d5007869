//! The `mark1` binary: parses the command line once and dispatches: no subcommand opens the
//! window, `soak` runs the exhibit's soak, every other subcommand is the headless command line.

use clap::Parser;
use mark1::args::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        None => mark1::app::open(cli.window),
        Some(Command::Soak(args)) => mark1::kiosk::soak::run(args, mark1::app::run_soak),
        Some(command) => mark1::cli::run(command),
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("error: {error:#}");
        ExitCode::FAILURE
    })
}
