//! `mark1 list` and `mark1 export`: the built-in image sets, and any set written out as PNG
//! files in class folders.

use anyhow::Result;
use std::process::ExitCode;

use crate::args::ExportArgs;
use crate::data::plane::Arrangement;
use crate::data::{self, LoadOptions, builtin, folder};

pub(super) fn list() {
    println!("built-in image sets (use --data builtin:NAME):");
    for set in builtin::BUILTIN_SETS {
        println!(
            "  {:<16} {} ({} per class)",
            set.name, set.summary, set.default_per_class
        );
    }
    println!("points in the plane (for a playground scene, e.g. scenes/playground.ron):");
    for arrangement in Arrangement::ALL {
        let classes = match arrangement.classes() {
            [a, b] => format!(" ({a} / {b})"),
            _ => String::new(),
        };
        println!(
            "  {:<16} {}{classes}",
            arrangement.name(),
            arrangement.summary()
        );
    }
}

pub(super) fn export(args: ExportArgs) -> Result<ExitCode> {
    // exported pictures keep up to 1024 pixels a side
    let split = super::loading::with_loading_bar(false, |progress| {
        let options = LoadOptions {
            seed: args.seed,
            samples_per_class: args.samples_per_class,
            max_side: 1024,
            progress: progress.clone(),
        };
        data::load(&args.data, &options)
    })?;
    let parts = [("train", Some(&split.train)), ("test", split.test.as_ref())];
    let mut written = 0;
    for (part, set) in parts {
        let Some(set) = set else { continue };
        written += folder::write_class_folders(set, &args.out.join(part))?;
    }
    println!("wrote {written} images under {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
