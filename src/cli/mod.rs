//! The headless command line: `train`, `eval`, `classify`, `weights`, `bench`, `list` and
//! `export`, over the core, the data, the scenes and machine files. No Bevy type anywhere in it.

mod bench;
mod loading;
mod machine_files;
mod playground;
mod sets;
mod table;
mod train;

use anyhow::Result;
use std::process::ExitCode;

use crate::args::Command;

/// Runs one headless subcommand (the window and the soak are not headless: `main` sends
/// those to the app and the kiosk).
pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Train(args) => train::train(args),
        Command::Eval(args) => machine_files::eval(args),
        Command::Classify(args) => machine_files::classify(args),
        Command::Weights(args) => machine_files::weights(args),
        Command::Bench(args) => bench::bench(args),
        Command::List => {
            sets::list();
            Ok(ExitCode::SUCCESS)
        }
        Command::Export(args) => sets::export(args),
        Command::Soak(_) => anyhow::bail!("soak runs the exhibit: `main` sends it to the kiosk"),
    }
}
