//! `mark1 train` on a playground scene: the network trained on its points in the plane, a row
//! every few epochs, the Mark I on the same points beside it, the report as text or JSON.

use anyhow::{Result, anyhow, bail};
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;

use crate::args::TrainArgs;
use crate::exports::tables::{self, HistoryRow};
use crate::files::write_atomically;
use crate::nn::metrics::fmt_accuracy;
use crate::playground::mark1::Mark1OnPoints;
use crate::playground::{EpochRecord, Playground, PlaygroundConfig};
use crate::scene::Scene;

/// The playground's epochs as a history table (`--history`).
fn write_history(path: &std::path::Path, playground: &Playground) -> Result<()> {
    let rows: Vec<HistoryRow> = playground.history.iter().map(HistoryRow::from).collect();
    let bytes = tables::history_csv(&[("playground", &rows)])?;
    write_atomically(path, &bytes, &tables::HISTORY)
}

/// Passes of error correction the Mark I gets on the same points (it has converged by then
/// on every shipped arrangement: 100% of the training points).
const MARK1_PASSES: usize = 30;

/// Rows the table of epochs shows at most (the last epoch always among them).
const TABLE_ROWS: usize = 20;

pub(super) fn train(
    scene: &Scene,
    config: &PlaygroundConfig,
    scene_name: &str,
    args: &TrainArgs,
) -> Result<ExitCode> {
    if args.save.is_some() {
        bail!(
            "{scene_name}: --save writes machines trained on images; a playground is kept as its scene file"
        );
    }
    let mut playground =
        Playground::new(config.clone(), scene.seed).map_err(|e| anyhow!("{scene_name}: {e}"))?;
    let epochs = scene.training.epochs;
    let every = epochs.div_ceil(TABLE_ROWS).max(1);
    if !args.json {
        print_heading(scene, scene_name, &playground);
    }
    let started = Instant::now();
    for epoch in 1..=epochs {
        playground
            .run_epoch()
            .map_err(|diverged| anyhow!("{scene_name}: epoch {epoch}: {diverged}"))?;
        if !args.json && (epoch % every == 0 || epoch == epochs) {
            println!("{}", row(&playground.now()));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let last = playground.now();
    if let Some(path) = &args.history {
        write_history(path, &playground)?;
    }
    // the 1960 machine on the same points (not for a curve: it answers with classes)
    let mark1 = if playground.is_curve() {
        None
    } else {
        Some(
            Mark1OnPoints::train(
                &playground.train,
                &playground.test,
                scene.seed,
                MARK1_PASSES,
            )
            .map_err(|e| anyhow!("the Mark I on the points: {e}"))?,
        )
    };
    if args.json {
        let mut value = report(scene, &playground, &last, seconds)?;
        if let Some(mark1) = &mark1 {
            value["mark1_passes"] = json!(mark1.epochs);
            value["mark1_train_accuracy"] = json!(mark1.train_accuracy);
            value["mark1_test_accuracy"] = json!(mark1.test_accuracy);
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        let measure = match (last.train_accuracy, last.test_accuracy) {
            (Some(train), test) => format!(
                "train accuracy {}, test accuracy {}",
                fmt_accuracy(Some(train)),
                fmt_accuracy(test)
            ),
            // a curve: its mean squared error is the measure
            (None, _) => format!(
                "train loss {:.4}, test loss {:.4} (mean squared error)",
                last.train_loss, last.test_loss
            ),
        };
        println!(
            "trained {epochs} epochs ({} updates) in {seconds:.2} s: {measure}",
            playground.updates,
        );
        if let Some(mark1) = &mark1 {
            println!(
                "the Mark I on the same points (each a spot of light on its 20x20 retina, 512 A-units, {} passes of error correction): train accuracy {}, test accuracy {}",
                mark1.epochs,
                fmt_accuracy(Some(mark1.train_accuracy)),
                fmt_accuracy(Some(mark1.test_accuracy))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The network in words: `2 inputs (x₁, x₂) -> 8 Relu -> 8 Relu -> 1 output`.
fn describe(playground: &Playground) -> String {
    let config = &playground.config;
    let features: Vec<&str> = config.features.iter().map(|f| f.label()).collect();
    let mut parts = vec![format!(
        "{} inputs ({})",
        features.len(),
        features.join(", ")
    )];
    parts.extend(
        config
            .hidden
            .iter()
            .map(|l| format!("{} {:?}", l.units, l.activation)),
    );
    parts.push(format!(
        "{} output ({:?})",
        playground.network.output_size(),
        config.loss
    ));
    parts.join(" -> ")
}

fn print_heading(scene: &Scene, scene_name: &str, playground: &Playground) {
    let config = &playground.config;
    println!("mark1 playground: {} ({scene_name})", scene.name);
    println!(
        "data: builtin:{}: {} training and {} test points, noise {}",
        config.data.arrangement.name(),
        playground.train.len(),
        playground.test.len(),
        config.data.noise
    );
    println!("network: {}", describe(playground));
    println!(
        "learning: rate {}, batch {}, momentum {}, L2 {}",
        config.learning_rate, config.batch_size, config.momentum, config.l2
    );
    println!(
        "{:>6} {:>10} {:>10} {:>10} {:>10}",
        "epoch", "loss", "test loss", "train acc", "test acc"
    );
}

fn row(record: &EpochRecord) -> String {
    format!(
        "{:>6} {:>10.4} {:>10.4} {:>10} {:>10}",
        record.epoch,
        record.train_loss,
        record.test_loss,
        fmt_accuracy(record.train_accuracy),
        fmt_accuracy(record.test_accuracy)
    )
}

fn report(
    scene: &Scene,
    playground: &Playground,
    last: &EpochRecord,
    seconds: f64,
) -> Result<serde_json::Value> {
    let history = serde_json::to_value(&playground.history)?;
    Ok(json!({
        "scene": scene.name,
        "kind": "playground",
        "seed": scene.seed,
        "data": format!("builtin:{}", playground.config.data.arrangement.name()),
        "train_points": playground.train.len(),
        "test_points": playground.test.len(),
        "network": describe(playground),
        "epochs": playground.epoch,
        "updates": playground.updates,
        "seconds": seconds,
        "train_accuracy": last.train_accuracy,
        "test_accuracy": last.test_accuracy,
        "train_loss": last.train_loss,
        "test_loss": last.test_loss,
        "history": history,
    }))
}
