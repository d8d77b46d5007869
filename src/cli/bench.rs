//! `mark1 bench`: training and classification speed of the default Mark I and the reference
//! MLP, on generated figures or the user's images.

use anyhow::{Result, anyhow, bail};
use rand::seq::SliceRandom;
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;

use crate::args::BenchArgs;
use crate::data::{self, GrayImage, ImageSet, LoadOptions, builtin};
use crate::nn::Classifier;
use crate::nn::kernel::{Layout, matmul};
use crate::nn::mark1::{Mark1, Mark1Config};
use crate::nn::mlp::MlpConfig;
use crate::nn::mlp_model::{MlpModel, MlpTrainer, Phases};
use crate::nn::retina::{Excitation, RetinaConfig, SenseScratch};
use crate::playground::{Playground, PlaygroundConfig};
use crate::seeds::{Stream, rng_for};

pub(super) fn bench(args: BenchArgs) -> Result<ExitCode> {
    const MAX_BENCH_IMAGES: usize = 150_000;
    if !(1..=1000).contains(&args.epochs) || !(2..=MAX_BENCH_IMAGES).contains(&args.images) {
        bail!(
            "bench: --epochs must lie in 1..=1000 and --images in 2..={MAX_BENCH_IMAGES} (given {} and {})",
            args.epochs,
            args.images
        );
    }
    let generated_at = Instant::now();
    let set = match &args.data {
        Some(source) => {
            // the MLP's 28x28 input is the larger of the two machines' retinas
            let options = LoadOptions::for_retina(1, None, 28);
            data::load(source, &options)?.train
        }
        None => {
            let (mut set, _) = builtin::generate("shapes", 1, Some(args.images.div_ceil(3)))?;
            set.images.truncate(args.images);
            set.labels.truncate(args.images);
            set
        }
    };
    let generate_seconds = generated_at.elapsed().as_secs_f64();
    let mut order: Vec<usize> = (0..set.len()).collect();
    order.shuffle(&mut rng_for(1, Stream::TrainingOrder));
    let mut value = json!({
        "images": set.len(),
        "data": args.data.clone().unwrap_or_else(|| "builtin:shapes".into()),
        "threads": rayon::current_num_threads(),
        "generate_seconds": generate_seconds,
    });
    let peak_lines = probe_peak(&mut value);
    let mark1_lines = bench_mark1(&set, &order, args.epochs, &mut value)?;
    let mlp_lines = bench_mlp(&set, &order, &mut value)?;
    let playground_lines = bench_playground(&mut value)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!(
            "{} images of {}, {} threads",
            set.len(),
            value["data"].as_str().unwrap_or(""),
            rayon::current_num_threads()
        );
        for line in peak_lines
            .iter()
            .chain(&mark1_lines)
            .chain(&mlp_lines)
            .chain(&playground_lines)
        {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The side of the square single-precision product that measures the cores' ceiling.
const PEAK_SIDE: usize = 1024;

/// The best of five `PEAK_SIDE`-square SGEMMs through the MLP's own kernel, in GFLOP/s.
fn sgemm_gflops(threads: usize) -> f64 {
    let n = PEAK_SIDE;
    let a: Vec<f32> = (0..n * n)
        .map(|i| ((i % 97) as f32 - 48.0) / 97.0)
        .collect();
    let b: Vec<f32> = (0..n * n)
        .map(|i| ((i % 89) as f32 - 44.0) / 89.0)
        .collect();
    let mut c = vec![0.0f32; n * n];
    let shape = (n, n, n);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let started = Instant::now();
        matmul(
            &mut c,
            &a,
            Layout::Normal,
            &b,
            Layout::Normal,
            shape,
            false,
            threads,
        );
        best = best.min(started.elapsed().as_secs_f64());
    }
    2.0 * (n * n * n) as f64 / best / 1e9
}

/// Measures the ceiling every training figure is set against: a large SGEMM on one thread
/// and on all of them.
fn probe_peak(value: &mut serde_json::Value) -> Vec<String> {
    let all_cores = rayon::current_num_threads();
    let one = sgemm_gflops(1);
    let all = if all_cores > 1 {
        sgemm_gflops(all_cores)
    } else {
        one
    };
    value["peak_sgemm_side"] = json!(PEAK_SIDE);
    value["peak_sgemm_gflops_1_thread"] = json!(one);
    value["peak_sgemm_gflops"] = json!(all);
    vec![format!(
        "ceiling: {PEAK_SIDE}-square SGEMM {one:.1} GFLOP/s on 1 thread, {all:.1} on {all_cores}"
    )]
}

/// The A-unit cache's two steps apart, on one thread, in images per second, the best of five
/// runs: the retina's sensing, then the plugboard's association of what was sensed (the first
/// 4,096 images).
fn encode_phases(machine: &Mark1, images: &[GrayImage]) -> (f64, f64) {
    let images = &images[..images.len().min(4096)];
    let cells = machine.retina.cells();
    let mut sensed = vec![0.0f32; images.len() * cells];
    let mut scratch = SenseScratch::default();
    let fan = machine.plugboard.fan_out_lists();
    let (mut net, mut active, mut fired) = (Vec::new(), Vec::new(), 0);
    let (mut sense_seconds, mut associate_seconds) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..5 {
        let started = Instant::now();
        for (image, s) in images.iter().zip(sensed.chunks_exact_mut(cells)) {
            machine.retina.sense_with(image, &mut scratch, s);
        }
        sense_seconds = sense_seconds.min(started.elapsed().as_secs_f64());
        let started = Instant::now();
        for s in sensed.chunks_exact(cells) {
            machine
                .plugboard
                .associate_binary_into(&fan, s, &mut net, &mut active);
            fired += active.len();
        }
        associate_seconds = associate_seconds.min(started.elapsed().as_secs_f64());
    }
    std::hint::black_box(fired);
    let n = images.len() as f64;
    (n / sense_seconds, n / associate_seconds)
}

/// Times the default Mark I: caching A-unit outputs, training epochs, classifying. Adds the
/// figures to `value` and returns them as report lines.
fn bench_mark1(
    set: &ImageSet,
    order: &[usize],
    epochs: usize,
    value: &mut serde_json::Value,
) -> Result<Vec<String>> {
    let config = Mark1Config::default();
    let (mut machine, _) = Mark1::build(
        &RetinaConfig::default(),
        &config,
        set.classes.clone(),
        1,
        &set.images,
    )
    .map_err(|m| anyhow!("{m}"))?;
    let n = set.len() as f64;
    let (sense_rate, associate_rate) = encode_phases(&machine, &set.images);
    let started = Instant::now();
    let cache = machine.encode_all(&set.images);
    let encode_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for _ in 0..epochs {
        let _ = machine.train_epoch(&cache, &set.labels, order);
    }
    let epoch_seconds = started.elapsed().as_secs_f64() / epochs as f64;
    let started = Instant::now();
    let predictions = machine.classify_all(&set.images);
    let classify_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let cached_predictions = machine.predict_cached(&cache);
    let cached_seconds = started.elapsed().as_secs_f64();
    if predictions != cached_predictions {
        bail!("bench: classifying from pixels and from the cache disagree");
    }
    let correct = predictions
        .iter()
        .zip(&set.labels)
        .filter(|(p, l)| **p == **l as usize)
        .count();
    let accuracy = correct as f64 / n;
    value["a_units"] = json!(machine.a_units());
    value["r_units"] = json!(machine.r_units);
    value["mean_a_activity"] = json!(cache.mean_activity(machine.a_units()));
    value["mark1_encode_images_per_second"] = json!(n / encode_seconds);
    value["mark1_cache_seconds"] = json!(encode_seconds);
    value["mark1_sense_images_per_second_1_thread"] = json!(sense_rate);
    value["mark1_associate_images_per_second_1_thread"] = json!(associate_rate);
    value["mark1_epoch_seconds"] = json!(epoch_seconds);
    value["mark1_train_images_per_second"] = json!(n / epoch_seconds);
    value["mark1_classify_images_per_second"] = json!(n / classify_seconds);
    value["mark1_classify_cached_images_per_second"] = json!(n / cached_seconds);
    value["mark1_train_accuracy_after_bench"] = json!(accuracy);
    Ok(vec![
        format!("default machine ({})", machine.describe()),
        format!(
            "  A-unit cache (sense + associate): {:>10.0} images/s  ({encode_seconds:.3} s)",
            n / encode_seconds
        ),
        format!(
            "    on one thread: sensing {sense_rate:.0} images/s, association {associate_rate:.0} images/s"
        ),
        format!(
            "  training (one epoch):             {:>10.0} images/s  ({epoch_seconds:.4} s per epoch)",
            n / epoch_seconds
        ),
        format!(
            "  classification from pixels:       {:>10.0} images/s  ({classify_seconds:.3} s)",
            n / classify_seconds
        ),
        format!(
            "  classification from the cache:    {:>10.0} images/s  ({cached_seconds:.4} s)",
            n / cached_seconds
        ),
        format!("  training accuracy after {epochs} epochs: {accuracy:.4}"),
    ])
}

/// Times one epoch of the reference MLP, 784-256-128-10 ReLU on 28x28 inputs, batch 64, SGD.
fn bench_mlp(
    set: &ImageSet,
    order: &[usize],
    value: &mut serde_json::Value,
) -> Result<Vec<String>> {
    let retina = RetinaConfig {
        width: 28,
        height: 28,
        excitation: Excitation::Analog,
        ..RetinaConfig::default()
    };
    // Multiply-adds per sample: forward H W for every layer, dW for every layer, dH below
    // the top for every layer but the first; two flops each.
    let n = set.len() as f64;
    let mut lines = Vec::new();
    let all_cores = rayon::current_num_threads();
    let thread_counts = if all_cores > 1 {
        vec![all_cores, 1]
    } else {
        vec![1]
    };
    for threads in thread_counts {
        let config = MlpConfig {
            threads: Some(threads),
            ..MlpConfig::default()
        };
        let mut model = MlpModel::build(&retina, &config, set.classes.clone(), 1)
            .map_err(|m| anyhow!("{m}"))?;
        let mut inputs = model.encode_all(&set.images);
        model.fit_standardization(&mut inputs);
        let mut trainer = MlpTrainer::new(&model, set.len(), 1);
        let started = Instant::now();
        let report = trainer
            .train_pass(&mut model, &inputs, &set.labels, order)
            .map_err(|d| anyhow!("bench: {d}"))?;
        let seconds = started.elapsed().as_secs_f64();
        let first = &model.network.layers[0];
        let macs = 3 * model.network.forward_macs() - first.inputs * first.outputs;
        let gflops = 2.0 * macs as f64 * n / seconds / 1e9;
        let started = Instant::now();
        let predictions = model.predict(&inputs);
        let classify_seconds = started.elapsed().as_secs_f64();
        let correct = predictions
            .iter()
            .zip(&set.labels)
            .filter(|(p, l)| **p == **l as usize)
            .count();
        let peak = match threads == all_cores {
            true => &value["peak_sgemm_gflops"],
            false => &value["peak_sgemm_gflops_1_thread"],
        };
        let timing = MlpTiming {
            threads,
            samples: n,
            seconds,
            gflops,
            fraction: gflops / peak.as_f64().unwrap_or(f64::NAN),
            phases: trainer.phases,
            classify_seconds,
        };
        timing.record(value, threads == all_cores)?;
        if threads == all_cores {
            value["mlp_layers"] = json!("784-256-128-10 ReLU, batch 64, SGD momentum 0.9");
            value["mlp_threads"] = json!(threads);
            value["mlp_train_loss"] = json!(report.loss);
            value["mlp_train_accuracy_after_bench"] = json!(correct as f64 / n);
            lines.push(format!("reference MLP ({})", model.describe()));
        }
        lines.extend(timing.report_lines());
    }
    Ok(lines)
}

/// One thread count's MLP figures, as the bench reports them.
struct MlpTiming {
    threads: usize,
    samples: f64,
    seconds: f64,
    gflops: f64,
    fraction: f64,
    phases: Phases,
    classify_seconds: f64,
}

impl MlpTiming {
    /// Adds the figures to `value`, with a `_N_thread` suffix unless on `all_cores`.
    fn record(&self, value: &mut serde_json::Value, all_cores: bool) -> Result<()> {
        let suffix = if all_cores {
            String::new()
        } else {
            format!("_{}_thread", self.threads)
        };
        let n = self.samples;
        value[format!("mlp_train_samples_per_second{suffix}")] = json!(n / self.seconds);
        value[format!("mlp_gflops{suffix}")] = json!(self.gflops);
        value[format!("mlp_peak_fraction{suffix}")] = json!(self.fraction);
        value[format!("mlp_phase_seconds{suffix}")] = serde_json::to_value(self.phases)?;
        value[format!("mlp_epoch_seconds{suffix}")] = json!(self.seconds);
        value[format!("mlp_classify_samples_per_second{suffix}")] =
            json!(n / self.classify_seconds);
        Ok(())
    }

    fn report_lines(&self) -> [String; 3] {
        let Self {
            threads,
            samples: n,
            seconds,
            gflops,
            fraction,
            phases,
            classify_seconds,
        } = self;
        [
            format!(
                "  training, {threads} thread(s):            {:>10.0} samples/s  ({seconds:.3} s per epoch, {gflops:.1} GFLOP/s, {:.0}% of the ceiling)",
                n / seconds,
                100.0 * fraction
            ),
            format!(
                "    phases: data {:.3} s, forward {:.3} s, backward {:.3} s, update {:.3} s",
                phases.data_movement, phases.forward, phases.backward, phases.update
            ),
            format!(
                "  classification, {threads} thread(s):      {:>10.0} samples/s  ({classify_seconds:.3} s)",
                n / classify_seconds
            ),
        ]
    }
}

/// The side of the playground's decision surface, in samples.
const SURFACE_SIDE: usize = 100;

/// Times the playground's default network (2 x 8 ReLU on the spiral): training batches, and
/// the decision surface with every hidden unit's map on a 100 x 100 grid, as the page redraws.
fn bench_playground(value: &mut serde_json::Value) -> Result<Vec<String>> {
    let mut playground =
        Playground::new(PlaygroundConfig::default(), 1960).map_err(|e| anyhow!("{e}"))?;
    let steps = 20_000;
    let started = Instant::now();
    for _ in 0..steps {
        playground.step().map_err(|d| anyhow!("bench: {d}"))?;
    }
    let step_seconds = started.elapsed().as_secs_f64() / steps as f64;
    let surfaces = 50;
    let started = Instant::now();
    for _ in 0..surfaces {
        std::hint::black_box(playground.maps(SURFACE_SIDE));
    }
    let surface_seconds = started.elapsed().as_secs_f64() / surfaces as f64;
    let accuracy = playground.measure().train_accuracy.unwrap_or(0.0);
    value["playground_batches_per_second"] = json!(1.0 / step_seconds);
    value["playground_surfaces_per_second"] = json!(1.0 / surface_seconds);
    value["playground_train_accuracy_after_bench"] = json!(accuracy);
    Ok(vec![
        "playground (2 x 8 ReLU on the spiral, batch 10, one thread)".into(),
        format!(
            "  training:                         {:>10.0} batches/s  ({} epochs, train accuracy {accuracy:.3})",
            1.0 / step_seconds,
            playground.epoch
        ),
        format!(
            "  surface + hidden maps {SURFACE_SIDE}x{SURFACE_SIDE}:    {:>10.0} redraws/s  ({:.2} ms each)",
            1.0 / surface_seconds,
            surface_seconds * 1e3
        ),
    ])
}
