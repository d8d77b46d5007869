//! The MLP as an image classifier: a retina for input, a network, class names, and its trainer.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

use super::fused::{FusedScratch, ShardDeltas};
use super::input_share::{InputShare, sum_partials};
use super::loss::{Loss, Targets};
use super::metrics::{Confusion, EpochRecord};
use super::mlp::{Dense, MlpConfig, Network, Sgd, SgdState, Workspace};
use super::retina::{RetinaConfig, SenseScratch};
use super::{Classifier, Diverged, Machine, Pass};
use crate::data::GrayImage;
use crate::fields::FieldError;
use crate::seeds::{Stream, rng_for};

/// A trained or training MLP classifier, as saved to disk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpModel {
    /// How an image becomes the input vector (its cells, row by row).
    pub retina: RetinaConfig,
    pub config: MlpConfig,
    pub network: Network,
    pub classes: Vec<String>,
    /// Inputs enter the network as `(x - input_mean) / input_std`.
    pub input_mean: f32,
    pub input_std: f32,
    /// The table of features it learned, when it learned one rather than images: then it
    /// reads rows of those columns, not pictures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<TableColumns>,
}

/// The table a network was trained on: its feature columns in the order the network reads
/// them, the column of classes, and each feature column's mean and deviation over the
/// training rows, which every row is standardised by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableColumns {
    pub features: Vec<String>,
    pub label: String,
    pub means: Vec<f32>,
    pub deviations: Vec<f32>,
}

impl TableColumns {
    /// The columns fit a network of `inputs` inputs and every statistic is a number.
    fn check(&self, inputs: usize) -> Result<(), FieldError> {
        let lengths = [self.features.len(), self.means.len(), self.deviations.len()];
        if lengths.iter().any(|&n| n != inputs) {
            return Err(FieldError::new(
                "columns",
                format!(
                    "{} feature columns, {} means and {} deviations for a network of {inputs} inputs",
                    lengths[0], lengths[1], lengths[2]
                ),
            ));
        }
        let mut names: Vec<&String> = self.features.iter().collect();
        names.sort();
        names.dedup();
        if names.len() != inputs || self.features.iter().any(|f| f.trim().is_empty()) {
            return Err(FieldError::new(
                "columns.features",
                "a feature column's name is blank or repeated",
            ));
        }
        let finite = self.means.iter().all(|m| m.is_finite());
        if !finite || self.deviations.iter().any(|d| !(d.is_finite() && *d > 0.0)) {
            return Err(FieldError::new(
                "columns.deviations",
                "a column's mean is not a finite number or its deviation not a positive one",
            ));
        }
        Ok(())
    }

    /// Standardises rows of these columns in place, as the training rows were.
    pub fn standardise(&self, rows: &mut [f32]) {
        for row in rows.chunks_exact_mut(self.features.len().max(1)) {
            for ((x, mean), deviation) in row.iter_mut().zip(&self.means).zip(&self.deviations) {
                *x = (*x - mean) / deviation;
            }
        }
    }

    /// One line naming the columns, for descriptions.
    pub fn listed(&self) -> String {
        format!(
            "{} standardised feature columns ({})",
            self.features.len(),
            self.features.join(", ")
        )
    }
}

/// Layer `k` of a loaded network: its weights and biases fit its shape, it takes what the
/// layer before gives (`previous` units), and every number is finite.
fn check_layer(k: usize, layer: &Dense, previous: Option<usize>) -> Result<(), FieldError> {
    let at = |field: &str| format!("network.layers[{k}].{field}");
    if layer.weights.len() != layer.inputs * layer.outputs || layer.bias.len() != layer.outputs {
        return Err(FieldError::new(
            at("weights"),
            format!("layer {k}: weights or biases do not match its shape"),
        ));
    }
    if let Some(previous) = previous
        && layer.inputs != previous
    {
        return Err(FieldError::new(
            at("inputs"),
            format!(
                "layer {k} takes {} inputs from {previous} units",
                layer.inputs
            ),
        ));
    }
    if layer
        .weights
        .iter()
        .chain(&layer.bias)
        .any(|w| !w.is_finite())
    {
        return Err(FieldError::new(
            at("weights"),
            format!("layer {k}: a weight is not a finite number"),
        ));
    }
    Ok(())
}

/// What one training pass measured.
#[derive(Clone, Debug, PartialEq)]
pub struct PassReport {
    /// Mean loss over the pass (each batch's loss before its update, penalty included).
    pub loss: f64,
    /// Samples the network got wrong before the update of their batch.
    pub errors: u64,
    /// Mean Frobenius norm of each layer's weight gradient over the pass, input layer first.
    pub gradient_norms: Vec<f64>,
}

impl MlpModel {
    /// A new network for `classes` on `retina`'s input, weights drawn from `seed`.
    pub fn build(
        retina: &RetinaConfig,
        config: &MlpConfig,
        classes: Vec<String>,
        seed: u64,
    ) -> Result<Self, String> {
        retina.validate()?;
        config.validate()?;
        if classes.len() < 2 {
            return Err("an MLP classifier needs at least two classes".into());
        }
        if config.loss == Loss::SigmoidBinaryCrossEntropy && classes.len() != 2 {
            return Err(format!(
                "loss: SigmoidBinaryCrossEntropy is for two classes, the data has {}; use SoftmaxCrossEntropy",
                classes.len()
            ));
        }
        let outputs = config.loss.outputs_for_classes(classes.len());
        config.check_size(retina.cells(), outputs)?;
        let mut rng = rng_for(seed, Stream::Plugboard);
        let network = Network::new(
            retina.cells(),
            &config.hidden,
            outputs,
            config.loss,
            config.init,
            &mut rng,
        );
        Ok(Self {
            retina: retina.clone(),
            config: config.clone(),
            network,
            classes,
            input_mean: 0.0,
            input_std: 1.0,
            columns: None,
        })
    }

    /// When the configuration asks for it, sets the input standardization from the training
    /// inputs (already encoded) and applies it to them.
    pub fn fit_standardization(&mut self, train_inputs: &mut [f32]) {
        if !self.config.standardize || train_inputs.is_empty() {
            return;
        }
        let n = train_inputs.len() as f64;
        let mean = train_inputs.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = train_inputs
            .iter()
            .map(|&x| (x as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        self.input_mean = mean as f32;
        self.input_std = if var > 1e-12 { var.sqrt() as f32 } else { 1.0 };
        let (m, s) = (self.input_mean, self.input_std);
        train_inputs.par_iter_mut().for_each(|x| *x = (*x - m) / s);
    }

    /// One line on the network's make-up; `reads` says what its input is ("on a 28x28 Analog
    /// retina", "on standardised feature columns").
    pub fn description(&self, reads: &str) -> String {
        let mut sizes = vec![self.network.input_size().to_string()];
        for layer in &self.network.layers {
            sizes.push(format!("{} {:?}", layer.outputs, layer.activation));
        }
        let sgd = &self.config.optimizer;
        format!(
            "MLP: {} {reads}, {:?}, {:?} init, SGD (learning rate {}, momentum {}, batch {}), penalty {:?}, {} thread(s)",
            sizes.join(" -> "),
            self.network.loss,
            self.config.init,
            sgd.learning_rate,
            sgd.momentum,
            sgd.batch_size,
            self.config.penalty,
            self.threads()
        )
    }

    /// Threads the matrix products may use.
    pub fn threads(&self) -> usize {
        self.config
            .threads
            .unwrap_or_else(rayon::current_num_threads)
            .max(1)
    }

    /// Checks a loaded model's parts fit together.
    pub fn check_consistency(&self) -> Result<(), FieldError> {
        // first what a scene must satisfy, then how the parts fit together
        self.retina.validate()?;
        self.config.validate().map_err(|e| e.under("config"))?;
        let hidden = &self.config.hidden;
        let layers = &self.network.layers;
        if layers.len() != hidden.len() + 1
            || hidden
                .iter()
                .zip(layers)
                .any(|(h, l)| h.units != l.outputs || h.activation != l.activation)
        {
            return Err(FieldError::new(
                "network.layers",
                "hidden: the layers do not match the configuration",
            ));
        }
        self.config
            .check_size(self.retina.cells(), self.network.output_size())
            .map_err(|e| e.under("config"))?;
        if layers.is_empty() {
            return Err(FieldError::new(
                "network.layers",
                "the network has no layers",
            ));
        }
        if layers[0].inputs != self.retina.cells() {
            return Err(FieldError::new(
                "network.layers[0].inputs",
                format!(
                    "the first layer takes {} inputs but the retina has {} cells",
                    layers[0].inputs,
                    self.retina.cells()
                ),
            ));
        }
        for (k, layer) in layers.iter().enumerate() {
            check_layer(k, layer, (k > 0).then(|| layers[k - 1].outputs))?;
        }
        if !(self.input_mean.is_finite() && self.input_std.is_finite() && self.input_std > 0.0) {
            return Err(FieldError::new(
                "input_std",
                "input standardization is not a finite shift and a positive scale",
            ));
        }
        if let Some(columns) = &self.columns {
            columns.check(self.network.input_size())?;
        }
        if self.network.output_size() != self.network.loss.outputs_for_classes(self.classes.len()) {
            return Err(FieldError::new(
                "classes",
                format!(
                    "{} outputs for {} classes",
                    self.network.output_size(),
                    self.classes.len()
                ),
            ));
        }
        Ok(())
    }

    /// The input vectors of `images` (retina cells, row by row), one after another, in parallel.
    pub fn encode_all(&self, images: &[GrayImage]) -> Vec<f32> {
        let p = self.retina.cells();
        let mut inputs = vec![0.0; images.len() * p];
        inputs
            .par_chunks_mut(p * 256)
            .zip(images.par_chunks(256))
            .for_each(|(out, chunk)| {
                let mut scratch = SenseScratch::default();
                for (row, image) in out.chunks_exact_mut(p).zip(chunk) {
                    self.retina.sense_with(image, &mut scratch, row);
                    for x in row.iter_mut() {
                        *x = (*x - self.input_mean) / self.input_std;
                    }
                }
            });
        inputs
    }

    /// The class of each input row.
    pub fn predict(&self, inputs: &[f32]) -> Vec<usize> {
        let count = inputs.len() / self.network.input_size();
        let q = self.network.output_size();
        let logits = self.network.logits_of(inputs, count, self.threads());
        logits
            .chunks_exact(q)
            .map(|z| self.network.loss.predict(z))
            .collect()
    }

    /// Confusion matrix on encoded inputs with true `labels`.
    pub fn evaluate(&self, inputs: &[f32], labels: &[u16]) -> Confusion {
        Confusion::of(self.classes.len(), &self.predict(inputs), labels)
    }

    /// Mean loss on encoded inputs (no penalty).
    pub fn mean_loss(&self, inputs: &[f32], labels: &[u16]) -> f64 {
        let count = labels.len();
        let q = self.network.output_size();
        let logits = self.network.logits_of(inputs, count, self.threads());
        let mut grad = vec![0.0; logits.len()];
        self.network
            .loss
            .loss_and_gradient(&logits, q, Targets::Classes(labels), &mut grad)
    }

    /// The class of one image and the output layer's values (probabilities per class).
    pub fn classify(&self, image: &GrayImage) -> (usize, Vec<f32>) {
        self.classify_input(&self.encode_all(std::slice::from_ref(image)))
    }

    /// The class of one encoded input row (a table's standardised row) and the output
    /// layer's values.
    pub fn classify_input(&self, input: &[f32]) -> (usize, Vec<f32>) {
        let logits = self.network.logits_of(input, 1, 1);
        (
            self.network.loss.predict(&logits),
            self.network.loss.output_values(&logits),
        )
    }
}

/// One thread's share of a mini-batch: its rows' buffers, gradients, loss and errors, and
/// how long its last batch took in each phase.
struct Shard {
    workspace: Workspace,
    labels: Vec<u16>,
    rows: usize,
    loss: f64,
    errors: u64,
    phases: Phases,
}

/// Seconds spent in each phase of training, summed over batches. For the data-parallel
/// phases each batch counts its slowest share, so the phases add up to the wall clock
/// (less the bookkeeping between them).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Phases {
    /// Gathering the batch's rows into the threads' shares of the input layer.
    pub data_movement: f64,
    /// The forward pass (the input layer's partial products and their sums, the layers
    /// above) and counting errors.
    pub forward: f64,
    /// Loss, its gradient and backpropagation to every layer's gradient.
    pub backward: f64,
    /// Combining the shards' gradients, the penalty and the SGD (momentum) step.
    pub update: f64,
}

impl Phases {
    fn slowest(self, other: Phases) -> Phases {
        Phases {
            data_movement: self.data_movement.max(other.data_movement),
            forward: self.forward.max(other.forward),
            backward: self.backward.max(other.backward),
            update: self.update.max(other.update),
        }
    }

    fn add(&mut self, other: Phases) {
        self.data_movement += other.data_movement;
        self.forward += other.forward;
        self.backward += other.backward;
        self.update += other.update;
    }
}

impl Shard {
    /// Forward from the input layer's shared partial products, and backward to the deltas,
    /// over batch rows `first_row..` (`rows` of `inputs`; single-threaded products): the
    /// shard's mean loss and how many rows the network got wrong. The weights' gradients are
    /// made from the deltas in the fused step.
    fn run(
        &mut self,
        network: &Network,
        shares: &[InputShare],
        (first_row, rows): (usize, &[usize]),
        labels: &[u16],
    ) {
        let q = network.output_size();
        let n = rows.len();
        self.rows = n;
        self.labels.clear();
        self.phases = Phases::default();
        if n == 0 {
            self.loss = 0.0;
            self.errors = 0;
            return;
        }
        let started = Instant::now();
        self.labels.extend(rows.iter().map(|&k| labels[k]));
        let sums = self.workspace.input_layer_sums_mut(n);
        sum_partials(
            shares,
            first_row..first_row + n,
            &network.layers[0].bias,
            sums,
        );
        network.forward_from_input_sums(&mut self.workspace, n, 1);
        self.errors = self
            .workspace
            .logits(n, q)
            .chunks_exact(q)
            .zip(&self.labels)
            .filter(|(z, label)| network.loss.predict(z) != **label as usize)
            .count() as u64;
        let forwarded = Instant::now();
        self.phases.forward = (forwarded - started).as_secs_f64();
        self.loss =
            network.backward_deltas(&mut self.workspace, n, Targets::Classes(&self.labels), 1);
        self.phases.backward = forwarded.elapsed().as_secs_f64();
    }
}

/// The batch's input rows gathered by each thread for its rows of the input layer, and
/// their partial products; returns the slowest thread's gathering and multiplying seconds.
fn share_out_the_input_layer(
    shares: &mut [InputShare],
    network: &Network,
    inputs: &[f32],
    batch: &[usize],
) -> Phases {
    let p = network.input_size();
    let layer = &network.layers[0];
    let work = |share: &mut InputShare| {
        let started = Instant::now();
        share.gather(inputs, p, batch);
        let gathered = Instant::now();
        share.multiply(layer);
        Phases {
            data_movement: (gathered - started).as_secs_f64(),
            forward: gathered.elapsed().as_secs_f64(),
            ..Phases::default()
        }
    };
    if shares.len() == 1 {
        work(&mut shares[0])
    } else {
        shares
            .par_iter_mut()
            .map(work)
            .reduce(Phases::default, Phases::slowest)
    }
}

/// Reusable training state: per-thread batch buffers, the fused step's buffers and the
/// momentum.
///
/// The input layer, the largest, is shared out by its rows: each thread gathers the whole
/// batch's values of its input features and multiplies them by its rows of the weights (see
/// [`crate::nn::input_share`]). Then the mini-batch is split into one contiguous share per
/// thread; every share sums the input layer's partial products for its rows and runs the
/// layers above forward and backward to its deltas on its own core with single-threaded
/// products, and the batch gradient is the row-weighted sum of the shares' mean gradients,
/// `g = sum_s (n_s / n) g_s`, made block by block inside the update, each thread on the same
/// rows of the weights as before (see [`crate::nn::fused`]). The splits are fixed, so results
/// are identical run to run for a given thread count.
pub struct MlpTrainer {
    shards: Vec<Shard>,
    /// The input layer's rows, one share per thread.
    input_shares: Vec<InputShare>,
    /// Where the time of every pass so far went.
    pub phases: Phases,
    sgd: SgdState,
    fused: FusedScratch,
    /// Updates made so far and planned in all, for the learning-rate schedule.
    updates: usize,
    planned_updates: usize,
}

impl MlpTrainer {
    /// A trainer for `model` that will make `epochs` passes over `samples` training samples
    /// (the learning-rate schedule spans them).
    pub fn new(model: &MlpModel, samples: usize, epochs: usize) -> Self {
        let threads = model.threads().min(model.config.optimizer.batch_size);
        let share = model.config.optimizer.batch_size.div_ceil(threads);
        let shards = (0..threads)
            .map(|_| Shard {
                workspace: Workspace::new(&model.network, share),
                labels: Vec::with_capacity(share),
                rows: 0,
                loss: 0.0,
                errors: 0,
                phases: Phases::default(),
            })
            .collect();
        let first = &model.network.layers[0];
        let batch = model.config.optimizer.batch_size;
        Self {
            shards,
            input_shares: InputShare::for_threads(first.inputs, first.outputs, batch, threads),
            phases: Phases::default(),
            sgd: SgdState::new(&model.network).with_threads(threads),
            fused: FusedScratch::default(),
            updates: 0,
            planned_updates: samples.div_ceil(model.config.optimizer.batch_size) * epochs,
        }
    }

    /// One pass over `order` in mini-batches: forward, backward, penalty, SGD step.
    pub fn train_pass(
        &mut self,
        model: &mut MlpModel,
        inputs: &[f32],
        labels: &[u16],
        order: &[usize],
    ) -> Result<PassReport, Diverged> {
        if self.shards.len() > 1 && rayon::current_thread_index().is_none() {
            // Run the whole pass on a pool thread: each batch then splits between this thread
            // and one other, instead of waking two workers while the caller sleeps.
            return rayon::scope(|_| self.train_pass(model, inputs, labels, order));
        }
        let sgd = model.config.optimizer.clone();
        let penalty = model.config.penalty;
        let mut total_loss = 0.0;
        let mut errors = 0;
        let mut norms = vec![0.0; model.network.layers.len()];
        let mut batches = 0;
        for (index, batch) in order.chunks(sgd.batch_size).enumerate() {
            let n = batch.len();
            let share = n.div_ceil(self.shards.len());
            let (mut loss, batch_errors, mut batch_phases) =
                self.forward_and_back(&model.network, inputs, labels, batch);
            errors += batch_errors;
            if !loss.is_finite() {
                return Err(Diverged::Loss {
                    batch: index + 1,
                    loss,
                    learning_rate: sgd.learning_rate,
                });
            }
            let parts: Vec<ShardDeltas> = self
                .shards
                .iter()
                .enumerate()
                .filter(|(_, s)| s.rows > 0)
                .map(|(k, s)| ShardDeltas {
                    workspace: &s.workspace,
                    first_row: k * share,
                    rows: s.rows,
                    weight: s.rows as f32 / n as f32,
                })
                .collect();
            let step = Sgd {
                learning_rate: sgd.rate_at(self.updates, self.planned_updates),
                ..sgd.clone()
            };
            self.updates += 1;
            let started = Instant::now();
            let (penalty_value, layer_norms) = self.sgd.step_from_deltas(
                &mut model.network,
                &parts,
                &step,
                penalty,
                Some(&self.input_shares),
                &mut self.fused,
            );
            batch_phases.update = started.elapsed().as_secs_f64();
            self.phases.add(batch_phases);
            loss += penalty_value;
            for (sum, norm) in norms.iter_mut().zip(layer_norms) {
                *sum += norm;
            }
            total_loss += loss * n as f64;
            batches += 1;
        }
        let count = order.len().max(1) as f64;
        Ok(PassReport {
            loss: total_loss / count,
            errors,
            gradient_norms: norms.iter().map(|s| s / batches.max(1) as f64).collect(),
        })
    }

    /// One batch forward and back to the deltas: the input layer shared out by rows, then
    /// each shard's rows on their own core. Returns the batch's mean loss (before any
    /// penalty), how many rows the network got wrong, and where the time went.
    fn forward_and_back(
        &mut self,
        network: &Network,
        inputs: &[f32],
        labels: &[u16],
        batch: &[usize],
    ) -> (f64, u64, Phases) {
        let n = batch.len();
        let share = n.div_ceil(self.shards.len());
        let shared = share_out_the_input_layer(&mut self.input_shares, network, inputs, batch);
        let shares = &self.input_shares;
        let run = |(s, shard): (usize, &mut Shard)| {
            let first_row = (s * share).min(n);
            let rows = &batch[first_row..((s + 1) * share).min(n)];
            shard.run(network, shares, (first_row, rows), labels);
        };
        if self.shards.len() == 1 {
            run((0, &mut self.shards[0]));
        } else {
            self.shards.par_iter_mut().enumerate().for_each(run);
        }
        let (mut loss, mut errors) = (0.0, 0);
        let mut phases = Phases {
            data_movement: shared.data_movement,
            forward: shared.forward,
            ..Phases::default()
        };
        let mut slowest = Phases::default();
        for shard in &self.shards {
            loss += shard.loss * shard.rows as f64 / n as f64;
            errors += shard.errors;
            slowest = slowest.slowest(shard.phases);
        }
        phases.add(slowest);
        (loss, errors, phases)
    }
}

impl Classifier for MlpModel {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn retina(&self) -> &RetinaConfig {
        &self.retina
    }

    fn classify(&self, image: &GrayImage) -> (usize, Vec<f32>) {
        MlpModel::classify(self, image)
    }

    fn predict_images(&self, images: &[GrayImage]) -> Vec<usize> {
        MlpModel::predict(self, &MlpModel::encode_all(self, images))
    }

    fn check_consistency(&self) -> Result<(), FieldError> {
        MlpModel::check_consistency(self)
    }

    fn describe(&self) -> String {
        if let Some(columns) = &self.columns {
            return self.description(&format!("on {}", columns.listed()));
        }
        let retina = &self.retina;
        let reads = format!(
            "on a {}x{} {:?} retina",
            retina.width, retina.height, retina.excitation
        );
        self.description(&reads)
    }

    fn scores(&self) -> &'static str {
        "probabilities"
    }

    fn class_scores(&self, scores: &[f32]) -> Vec<f32> {
        scores.to_vec()
    }

    fn class_score_name(&self) -> &'static str {
        "probability"
    }
}

impl Machine for MlpModel {
    type Config = MlpConfig;
    /// Standardized input rows, one per image.
    type Inputs = Vec<f32>;
    type Trainer = MlpTrainer;
    const KIND: &'static str = "mlp";
    const NOUN: &'static str = "network";
    const REPORTS_LOSS: bool = true;

    fn build(
        retina: &RetinaConfig,
        config: &MlpConfig,
        classes: Vec<String>,
        seed: u64,
        _calibration: &[GrayImage],
    ) -> Result<(Self, Vec<String>), String> {
        MlpModel::build(retina, config, classes, seed).map(|model| (model, Vec::new()))
    }

    fn encode_all(&self, images: &[GrayImage]) -> Vec<f32> {
        MlpModel::encode_all(self, images)
    }

    fn trainer(&mut self, train: &mut Vec<f32>, samples: usize, epochs: usize) -> MlpTrainer {
        self.fit_standardization(train);
        MlpTrainer::new(self, samples, epochs)
    }

    fn train_pass(
        &mut self,
        trainer: &mut MlpTrainer,
        inputs: &Vec<f32>,
        labels: &[u16],
        order: &[usize],
        _epoch: usize,
    ) -> Result<Pass, Diverged> {
        let report = trainer.train_pass(self, inputs, labels, order)?;
        Ok(Pass {
            errors: report.errors,
            corrections: None,
            loss: Some(report.loss),
            gradient_norms: report.gradient_norms,
        })
    }

    fn evaluate(&self, inputs: &Vec<f32>, labels: &[u16]) -> Confusion {
        MlpModel::evaluate(self, inputs, labels)
    }

    fn mean_loss(&self, inputs: &Vec<f32>, labels: &[u16]) -> Option<f64> {
        Some(MlpModel::mean_loss(self, inputs, labels))
    }

    fn facts(
        &self,
        _train: &Vec<f32>,
        history: &[EpochRecord],
    ) -> Vec<(&'static str, serde_json::Value)> {
        let sizes: Vec<usize> = std::iter::once(self.network.input_size())
            .chain(self.network.layers.iter().map(|l| l.outputs))
            .collect();
        vec![
            ("layer_sizes", serde_json::json!(sizes)),
            (
                "final_loss",
                serde_json::json!(history.last().and_then(|r| r.loss)),
            ),
        ]
    }

    fn encoding_note(&self, _train: &Vec<f32>, seconds: f64) -> String {
        format!("inputs encoded in {seconds:.3} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::activation::Activation;
    use crate::nn::mlp::{Gradients, LayerConfig, Schedule};
    use rand::Rng;

    /// A batch of 8 and an uneven one of 5 through a 9-7-6-3 ReLU network: the trainer, its
    /// input layer shared out by rows among 1, 2 or 3 threads, lands on the weights that the
    /// plain forward and backward pass and one SGD step per batch give.
    #[test]
    fn the_trainer_on_any_thread_count_takes_the_plain_sgd_steps() {
        let retina = RetinaConfig {
            width: 3,
            height: 3,
            ..RetinaConfig::default()
        };
        let sgd = Sgd {
            learning_rate: 0.1,
            momentum: 0.9,
            batch_size: 8,
            schedule: Schedule::Constant,
        };
        let config = |threads| MlpConfig {
            hidden: [7, 6]
                .map(|units| LayerConfig {
                    units,
                    activation: Activation::Relu,
                })
                .to_vec(),
            optimizer: sgd.clone(),
            threads: Some(threads),
            ..MlpConfig::default()
        };
        let classes: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let mut rng = rng_for(3, Stream::Calibration);
        let inputs: Vec<f32> = (0..16 * 9).map(|_| rng.random_range(-1.0..1.0)).collect();
        let labels: Vec<u16> = (0..16).map(|k| (k * 7 % 3) as u16).collect();
        let order: Vec<usize> = (0..13).map(|k| (k * 5) % 16).collect();
        let start = MlpModel::build(&retina, &config(1), classes.clone(), 8).unwrap();
        let mut expected = start.network.clone();
        let mut state = SgdState::new(&expected);
        for batch in order.chunks(8) {
            let mut ws = Workspace::new(&expected, batch.len());
            for (row, &k) in ws.input_mut(batch.len()).chunks_exact_mut(9).zip(batch) {
                row.copy_from_slice(&inputs[k * 9..(k + 1) * 9]);
            }
            let batch_labels: Vec<u16> = batch.iter().map(|&k| labels[k]).collect();
            expected.forward(&mut ws, batch.len(), 1);
            let mut g: Gradients = expected.zero_gradients();
            let targets = Targets::Classes(&batch_labels);
            expected.backward(&mut ws, batch.len(), targets, &mut g, 1);
            state.step(&mut expected, &g, &sgd);
        }
        for threads in [1, 2, 3] {
            let mut model = MlpModel {
                config: config(threads),
                ..start.clone()
            };
            let mut trainer = MlpTrainer::new(&model, order.len(), 1);
            trainer
                .train_pass(&mut model, &inputs, &labels, &order)
                .unwrap();
            for (l, m) in expected.layers.iter().zip(&model.network.layers) {
                let pairs = l
                    .weights
                    .iter()
                    .chain(&l.bias)
                    .zip(m.weights.iter().chain(&m.bias));
                for (x, y) in pairs {
                    assert!((x - y).abs() < 1e-5, "{threads} threads: {x} vs {y}");
                }
            }
        }
    }
}
