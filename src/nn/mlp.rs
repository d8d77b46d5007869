//! The multi-layer perceptron: dense layers, backpropagation, and SGD with momentum and penalties.
//!
//! Shapes: a batch `X` is B x p, row-major. Layer k computes `Z_k = H_{k-1} W_k + b_k`
//! (`W_k`: in x out, so each row of `Z_k` is `W_k^T x + b_k` as in the lecture) and
//! `H_k = sigma_k(Z_k)`; the last layer's `Z` are the logits its [`Loss`] reads.
//! Backward: `dW_k = H_{k-1}^T dZ_k`, `db_k = 1^T dZ_k`, `dH_{k-1} = dZ_k W_k^T`,
//! `dZ_{k-1} = dH_{k-1} * sigma'(Z_{k-1})`.

use rand::Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::activation::Activation;
use super::kernel::{Layout, matmul};
use super::loss::{Loss, Targets};
use crate::fields::FieldError;
use crate::seeds::MachineRng;

/// One hidden layer as a scene names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerConfig {
    pub units: usize,
    pub activation: Activation,
}

/// How the weights start (biases start at 0).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// `w ~ N(0, std^2)`: the lecture's "small variance" Gaussian.
    SmallGaussian(f32),
    /// Glorot & Bengio (2010): `w ~ U(-a, a)`, `a = sqrt(6 / (fan_in + fan_out))`.
    Glorot,
    /// He et al. (2015): `w ~ N(0, 2 / fan_in)`, for ReLU layers.
    He,
}

/// A penalty on the weight matrices (not the biases), added to the loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Penalty {
    None,
    /// `lambda * sum_k ||W_k||_F^2` (weight decay); gradient `2 lambda W_k`.
    L2Squared(f32),
    /// `lambda * sum_k ||W_k||_F`, the lecture's `lambda (||W_1|| + ||W_2||)`; gradient
    /// `lambda W_k / ||W_k||_F`.
    L2Norm(f32),
}

/// How the learning rate changes over training.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// The same rate throughout.
    Constant,
    /// Cosine annealing (Loshchilov & Hutter, 2017): at update t of T,
    /// `rate_t = rate / 2 * (1 + cos(pi t / T))`, from the full rate down to zero at the end.
    Cosine,
}

impl Penalty {
    /// The coefficient c with `d penalty / d W = c W` for a layer's weights: `2 lambda` for the
    /// squared norm, `lambda / ||W||` for the norm (0 at W = 0), 0 without a penalty.
    pub fn decay(self, weights: &[f32]) -> f32 {
        match self {
            Penalty::None => 0.0,
            Penalty::L2Squared(lambda) => 2.0 * lambda,
            Penalty::L2Norm(lambda) => {
                let norm = square_sum(weights).sqrt();
                if norm > 0.0 {
                    (lambda as f64 / norm) as f32
                } else {
                    0.0
                }
            }
        }
    }

    /// The penalty of one layer whose weights' squares sum to `square_sum`.
    pub fn value(self, square_sum: f64) -> f64 {
        match self {
            Penalty::None => 0.0,
            Penalty::L2Squared(lambda) => lambda as f64 * square_sum,
            Penalty::L2Norm(lambda) => lambda as f64 * square_sum.sqrt(),
        }
    }
}

/// `sum_i w_i^2`, accumulated in f64.
fn square_sum(weights: &[f32]) -> f64 {
    weights.iter().map(|&w| (w as f64).powi(2)).sum()
}

/// Stochastic gradient descent: `v = momentum v + g; theta -= learning_rate v`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sgd {
    pub learning_rate: f32,
    pub momentum: f32,
    /// Samples per update; 1 is single-sample SGD, the whole set is batch gradient descent.
    pub batch_size: usize,
    pub schedule: Schedule,
}

impl Default for Sgd {
    fn default() -> Self {
        Self {
            learning_rate: 0.02,
            momentum: 0.9,
            batch_size: 64,
            schedule: Schedule::Cosine,
        }
    }
}

impl Sgd {
    /// The learning rate for update `t` of `total`.
    pub fn rate_at(&self, t: usize, total: usize) -> f32 {
        match self.schedule {
            Schedule::Constant => self.learning_rate,
            Schedule::Cosine => {
                let progress = t as f64 / total.max(1) as f64;
                (self.learning_rate as f64
                    * 0.5
                    * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos()))
                    as f32
            }
        }
    }
}

/// An MLP as a scene describes it; the output layer follows the data's classes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MlpConfig {
    pub hidden: Vec<LayerConfig>,
    pub loss: Loss,
    pub init: Init,
    pub optimizer: Sgd,
    pub penalty: Penalty,
    /// Shift and scale the inputs to mean 0 and standard deviation 1 over the training set
    /// (one mean and one deviation for all cells; kept with the model for later images).
    pub standardize: bool,
    /// Threads for the matrix products (`None`: every core).
    pub threads: Option<usize>,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self {
            hidden: vec![
                LayerConfig {
                    units: 256,
                    activation: Activation::Relu,
                },
                LayerConfig {
                    units: 128,
                    activation: Activation::Relu,
                },
            ],
            loss: Loss::SoftmaxCrossEntropy,
            init: Init::He,
            optimizer: Sgd::default(),
            penalty: Penalty::None,
            standardize: true,
            threads: None,
        }
    }
}

/// Most hidden layers a network may have.
pub const MAX_HIDDEN_LAYERS: usize = 64;
/// Most units one layer may have.
pub const MAX_LAYER_UNITS: usize = 1 << 16;
/// Most weights and biases a network may have: 64 MiB of them (with the gradients and the
/// momentum, a quarter of a gigabyte).
pub const MAX_PARAMETERS: usize = 1 << 24;
/// Largest batch: larger ones are the whole training set anyway.
pub const MAX_BATCH_SIZE: usize = 1 << 20;
/// Rows the forward pass takes at a time when only the outputs are wanted (evaluation and
/// prediction): any slice of inputs that starts at a multiple of it is computed in the same
/// batches, so to the same bits, as the whole set.
pub const EVALUATION_BATCH: usize = 256;

/// Weights and biases of a network `inputs -> hidden... -> outputs`, or `None` past `usize`.
pub fn parameter_count(inputs: usize, hidden: &[usize], outputs: usize) -> Option<usize> {
    let sizes: Vec<usize> = std::iter::once(inputs)
        .chain(hidden.iter().copied())
        .chain(std::iter::once(outputs))
        .collect();
    sizes.windows(2).try_fold(0usize, |total, pair| {
        total.checked_add(pair[0].checked_add(1)?.checked_mul(pair[1])?)
    })
}

impl MlpConfig {
    /// Checks the network `inputs -> hidden -> outputs` stays within [`MAX_PARAMETERS`].
    pub fn check_size(&self, inputs: usize, outputs: usize) -> Result<(), FieldError> {
        let hidden: Vec<usize> = self.hidden.iter().map(|l| l.units).collect();
        match parameter_count(inputs, &hidden, outputs) {
            Some(n) if n <= MAX_PARAMETERS => Ok(()),
            _ => Err(FieldError::at(
                "hidden",
                format!(
                    "{inputs} inputs, layers of {hidden:?} units and {outputs} outputs need more than the {MAX_PARAMETERS} weights a network may have"
                ),
            )),
        }
    }

    /// Checks the sizes and numbers, naming the field at fault.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.hidden.len() > MAX_HIDDEN_LAYERS {
            return Err(FieldError::at(
                "hidden",
                format!(
                    "{} layers, more than {MAX_HIDDEN_LAYERS}",
                    self.hidden.len()
                ),
            ));
        }
        for (k, layer) in self.hidden.iter().enumerate() {
            if layer.units == 0 || layer.units > MAX_LAYER_UNITS {
                return Err(FieldError::at(
                    format!("hidden[{k}].units"),
                    format!("{} must lie in 1..={MAX_LAYER_UNITS}", layer.units),
                ));
            }
            if !layer.activation.is_differentiable() {
                return Err(FieldError::at(
                    format!("hidden[{k}].activation"),
                    format!(
                        "{:?} has no useful derivative, so gradient descent cannot train it",
                        layer.activation
                    ),
                ));
            }
            if let Activation::LeakyRelu(alpha) = layer.activation
                && !(alpha.is_finite() && alpha >= 0.0)
            {
                return Err(FieldError::at(
                    format!("hidden[{k}].activation"),
                    format!("LeakyRelu({alpha}) needs alpha >= 0"),
                ));
            }
        }
        if let Some(threads) = self.threads
            && !(1..=1024).contains(&threads)
        {
            return Err(FieldError::at(
                "threads",
                format!("{threads} must lie in 1..=1024"),
            ));
        }
        let sgd = &self.optimizer;
        if !(sgd.learning_rate.is_finite() && sgd.learning_rate > 0.0) {
            return Err(FieldError::at(
                "optimizer.learning_rate",
                format!("{} must be positive", sgd.learning_rate),
            ));
        }
        if !(0.0..1.0).contains(&sgd.momentum) {
            return Err(FieldError::at(
                "optimizer.momentum",
                format!("{} must lie in [0, 1)", sgd.momentum),
            ));
        }
        if sgd.batch_size == 0 || sgd.batch_size > MAX_BATCH_SIZE {
            return Err(FieldError::at(
                "optimizer.batch_size",
                format!("{} must lie in 1..={MAX_BATCH_SIZE}", sgd.batch_size),
            ));
        }
        if let Init::SmallGaussian(std) = self.init
            && !(std.is_finite() && std > 0.0)
        {
            return Err(FieldError::at(
                "init",
                format!("SmallGaussian({std}) needs a positive standard deviation"),
            ));
        }
        match self.penalty {
            Penalty::L2Squared(l) | Penalty::L2Norm(l) if !(l.is_finite() && l >= 0.0) => Err(
                FieldError::at("penalty", format!("lambda {l} must be >= 0")),
            ),
            _ => Ok(()),
        }
    }
}

/// One fully connected layer: `z = W^T x + b`, `h = sigma(z)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    /// `weights[i * outputs + j]`: from input i to unit j.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    pub activation: Activation,
}

/// A stack of dense layers and the loss on the last one's outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Network {
    pub layers: Vec<Dense>,
    pub loss: Loss,
}

/// Per-layer gradients of the loss: `weights[k]` like `layers[k].weights`, `bias[k]` likewise.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<Vec<f32>>,
}

/// Buffers for a batch: inputs, every layer's `Z` and `H`, and the backward deltas.
/// Sized once for the largest batch; nothing is allocated per sample or per batch.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    capacity: usize,
    input: Vec<f32>,
    z: Vec<Vec<f32>>,
    h: Vec<Vec<f32>>,
    delta: Vec<Vec<f32>>,
}

impl Workspace {
    /// Buffers for batches of up to `batch` samples through `network`.
    pub fn new(network: &Network, batch: usize) -> Self {
        let sizes: Vec<usize> = network.layers.iter().map(|l| l.outputs * batch).collect();
        Self {
            capacity: batch,
            input: vec![0.0; network.input_size() * batch],
            z: sizes.iter().map(|&s| vec![0.0; s]).collect(),
            h: sizes.iter().map(|&s| vec![0.0; s]).collect(),
            delta: sizes.iter().map(|&s| vec![0.0; s]).collect(),
        }
    }

    /// The input rows of the current batch (to be filled before [`Network::forward`]).
    pub fn input_mut(&mut self, batch: usize) -> &mut [f32] {
        let p = self.input.len() / self.capacity.max(1);
        &mut self.input[..batch * p]
    }

    /// Layer `k`'s outputs `h_k` of the last forward pass (`batch` rows).
    pub fn layer_outputs(&self, k: usize, batch: usize) -> &[f32] {
        let width = self.h[k].len() / self.capacity.max(1);
        &self.h[k][..batch * width]
    }

    /// The logits of the last forward pass (`batch` rows).
    pub fn logits(&self, batch: usize, outputs: usize) -> &[f32] {
        &self.z.last().expect("a network has layers")[..batch * outputs]
    }

    /// What layer `k` read in the last forward pass (`batch` rows): the input, or `h_{k-1}`.
    pub fn layer_input(&self, k: usize, batch: usize) -> &[f32] {
        match k {
            0 => &self.input[..batch * (self.input.len() / self.capacity.max(1))],
            _ => self.layer_outputs(k - 1, batch),
        }
    }

    /// The input layer's sums `Z_0` for `batch` rows, for a trainer that forms them itself.
    pub fn input_layer_sums_mut(&mut self, batch: usize) -> &mut [f32] {
        let width = self.z[0].len() / self.capacity.max(1);
        &mut self.z[0][..batch * width]
    }

    /// Layer `k`'s `dZ` of the last backward pass (`batch` rows).
    pub fn deltas(&self, k: usize, batch: usize) -> &[f32] {
        let width = self.delta[k].len() / self.capacity.max(1);
        &self.delta[k][..batch * width]
    }
}

/// `sums[j] = sum_i rows[i][j]` over the rows of `rows` (as wide as `sums`).
pub fn column_sums(rows: &[f32], sums: &mut [f32]) {
    sums.fill(0.0);
    for row in rows.chunks_exact(sums.len()) {
        for (b, &d) in sums.iter_mut().zip(row) {
            *b += d;
        }
    }
}

impl Network {
    /// Layers of sizes `inputs -> hidden... -> outputs`, weights drawn from `init` with `rng`.
    pub fn new(
        inputs: usize,
        hidden: &[LayerConfig],
        outputs: usize,
        loss: Loss,
        init: Init,
        rng: &mut MachineRng,
    ) -> Self {
        let mut layers = Vec::with_capacity(hidden.len() + 1);
        let mut fan_in = inputs;
        let shapes = hidden
            .iter()
            .map(|l| (l.units, l.activation))
            .chain(std::iter::once((outputs, Activation::Identity)));
        for (units, activation) in shapes {
            let weights = draw_weights(init, fan_in, units, rng);
            layers.push(Dense {
                inputs: fan_in,
                outputs: units,
                weights,
                bias: vec![0.0; units],
                activation,
            });
            fan_in = units;
        }
        Self { layers, loss }
    }

    pub fn input_size(&self) -> usize {
        self.layers[0].inputs
    }

    pub fn output_size(&self) -> usize {
        self.layers.last().expect("a network has layers").outputs
    }

    /// Multiply-adds of one sample's forward pass.
    pub fn forward_macs(&self) -> usize {
        self.layers.iter().map(|l| l.inputs * l.outputs).sum()
    }

    /// Forward pass over the first `batch` rows of the workspace input.
    pub fn forward(&self, ws: &mut Workspace, batch: usize, threads: usize) {
        self.forward_layers(ws, batch, 0, threads);
    }

    /// The forward pass once the input layer's sums are in place
    /// ([`Workspace::input_layer_sums_mut`]): its activation, then every layer above.
    pub fn forward_from_input_sums(&self, ws: &mut Workspace, batch: usize, threads: usize) {
        let first = &self.layers[0];
        let n = batch * first.outputs;
        first.activation.forward(&ws.z[0][..n], &mut ws.h[0][..n]);
        self.forward_layers(ws, batch, 1, threads);
    }

    /// Layers `from..` of the forward pass, each reading the one below.
    fn forward_layers(&self, ws: &mut Workspace, batch: usize, from: usize, threads: usize) {
        for (k, layer) in self.layers.iter().enumerate().skip(from) {
            let (before, after) = ws.h.split_at_mut(k);
            let input: &[f32] = if k == 0 {
                &ws.input[..batch * layer.inputs]
            } else {
                &before[k - 1][..batch * layer.inputs]
            };
            let z = &mut ws.z[k][..batch * layer.outputs];
            // Z = 1 b^T, then Z += H W
            for row in z.chunks_exact_mut(layer.outputs) {
                row.copy_from_slice(&layer.bias);
            }
            matmul(
                z,
                input,
                Layout::Normal,
                &layer.weights,
                Layout::Normal,
                (batch, layer.inputs, layer.outputs),
                true,
                threads,
            );
            layer
                .activation
                .forward(z, &mut after[0][..batch * layer.outputs]);
        }
    }

    /// Every layer's outputs `h_k` for one input row, the last as the loss reads them
    /// (probabilities for softmax or sigmoid): what a panel shades its units by.
    pub fn activations(&self, input: &[f32]) -> Vec<Vec<f32>> {
        let mut outputs: Vec<Vec<f32>> = Vec::with_capacity(self.layers.len());
        for (k, layer) in self.layers.iter().enumerate() {
            let x = if k == 0 { input } else { &outputs[k - 1] };
            // z_j = b_j + sum_i x_i w_ij
            let mut z = layer.bias.clone();
            for (xi, row) in x.iter().zip(layer.weights.chunks_exact(layer.outputs)) {
                for (zj, w) in z.iter_mut().zip(row) {
                    *zj += xi * w;
                }
            }
            let h = if k + 1 == self.layers.len() {
                self.loss.output_values(&z)
            } else {
                let mut h = vec![0.0; z.len()];
                layer.activation.forward(&z, &mut h);
                h
            };
            outputs.push(h);
        }
        outputs
    }

    /// Backward pass after [`forward`](Self::forward): the mean loss of the batch, with its
    /// gradients written into `grads` (overwritten).
    pub fn backward(
        &self,
        ws: &mut Workspace,
        batch: usize,
        targets: Targets,
        grads: &mut Gradients,
        threads: usize,
    ) -> f64 {
        let loss = self.backward_deltas(ws, batch, targets, threads);
        for (k, layer) in self.layers.iter().enumerate() {
            // dW = H^T dZ   (in x B) (B x out)
            matmul(
                &mut grads.weights[k],
                ws.layer_input(k, batch),
                Layout::Transposed,
                ws.deltas(k, batch),
                Layout::Normal,
                (layer.inputs, batch, layer.outputs),
                false,
                threads,
            );
            column_sums(ws.deltas(k, batch), &mut grads.bias[k]);
        }
        loss
    }

    /// The first half of [`backward`](Self::backward): the mean loss of the batch and every
    /// layer's `dZ` (in the workspace), without the weights' gradients.
    pub fn backward_deltas(
        &self,
        ws: &mut Workspace,
        batch: usize,
        targets: Targets,
        threads: usize,
    ) -> f64 {
        let last = self.layers.len() - 1;
        let outputs = self.output_size();
        let loss = {
            let (z, delta) = (
                &ws.z[last][..batch * outputs],
                &mut ws.delta[last][..batch * outputs],
            );
            self.loss.loss_and_gradient(z, outputs, targets, delta)
        };
        for k in (1..self.layers.len()).rev() {
            let layer = &self.layers[k];
            // dH_{k-1} = dZ W^T   (B x out) (out x in), then times sigma'(Z_{k-1})
            let (lower, upper) = ws.delta.split_at_mut(k);
            let below = &mut lower[k - 1][..batch * layer.inputs];
            matmul(
                below,
                &upper[0][..batch * layer.outputs],
                Layout::Normal,
                &layer.weights,
                Layout::Transposed,
                (batch, layer.outputs, layer.inputs),
                false,
                threads,
            );
            let previous = &self.layers[k - 1];
            previous.activation.backward(
                &ws.z[k - 1][..batch * layer.inputs],
                &ws.h[k - 1][..batch * layer.inputs],
                below,
            );
        }
        loss
    }

    /// Fraction of input rows whose predicted class matches `labels` (0 for no rows).
    pub fn accuracy(&self, inputs: &[f32], labels: &[u16], threads: usize) -> f64 {
        if labels.is_empty() {
            return 0.0;
        }
        let outputs = self.output_size();
        let logits = self.logits_of(inputs, labels.len(), threads);
        let right = logits
            .chunks_exact(outputs)
            .zip(labels)
            .filter(|(z, label)| self.loss.predict(z) == **label as usize)
            .count();
        right as f64 / labels.len() as f64
    }

    /// Zeroed gradients shaped like this network.
    pub fn zero_gradients(&self) -> Gradients {
        Gradients {
            weights: self
                .layers
                .iter()
                .map(|l| vec![0.0; l.weights.len()])
                .collect(),
            bias: self
                .layers
                .iter()
                .map(|l| vec![0.0; l.bias.len()])
                .collect(),
        }
    }

    /// Adds the penalty's gradient to `grads` and returns the penalty's value.
    pub fn add_penalty(&self, penalty: Penalty, grads: &mut Gradients) -> f64 {
        let mut value = 0.0;
        for (layer, g) in self.layers.iter().zip(&mut grads.weights) {
            let decay = penalty.decay(&layer.weights);
            if decay != 0.0 {
                for (gi, &w) in g.iter_mut().zip(&layer.weights) {
                    *gi += decay * w;
                }
            }
            value += penalty.value(square_sum(&layer.weights));
        }
        value
    }

    /// The mean loss (plus penalty) on `batch` samples, for checks and lessons.
    pub fn loss_on(&self, inputs: &[f32], batch: usize, targets: Targets, penalty: Penalty) -> f64 {
        let mut ws = Workspace::new(self, batch);
        ws.input_mut(batch).copy_from_slice(inputs);
        self.forward(&mut ws, batch, 1);
        let mut grads = self.zero_gradients();
        self.backward(&mut ws, batch, targets, &mut grads, 1)
            + self.add_penalty(penalty, &mut grads)
    }

    /// Logits for each of `count` input rows, in batches of 256 (in parallel when `threads`
    /// is above 1, each batch on one core).
    pub fn logits_of(&self, inputs: &[f32], count: usize, threads: usize) -> Vec<f32> {
        const BATCH: usize = EVALUATION_BATCH;
        let p = self.input_size();
        let q = self.output_size();
        let mut out = vec![0.0; count * q];
        let run = |ws: &mut Workspace, x: &[f32], o: &mut [f32]| {
            let n = x.len() / p;
            ws.input_mut(n).copy_from_slice(x);
            self.forward(ws, n, 1);
            o.copy_from_slice(ws.logits(n, q));
        };
        let inputs = &inputs[..count * p];
        if threads <= 1 || count <= BATCH {
            let mut ws = Workspace::new(self, BATCH.min(count.max(1)));
            for (o, x) in out.chunks_mut(BATCH * q).zip(inputs.chunks(BATCH * p)) {
                run(&mut ws, x, o);
            }
        } else {
            out.par_chunks_mut(BATCH * q)
                .zip(inputs.par_chunks(BATCH * p))
                .for_each_init(|| Workspace::new(self, BATCH), |ws, (o, x)| run(ws, x, o));
        }
        out
    }
}

fn draw_weights(init: Init, fan_in: usize, fan_out: usize, rng: &mut MachineRng) -> Vec<f32> {
    let count = fan_in * fan_out;
    match init {
        Init::SmallGaussian(std) => gaussian(count, std, rng),
        Init::He => gaussian(count, (2.0 / fan_in as f32).sqrt(), rng),
        Init::Glorot => {
            let a = (6.0 / (fan_in + fan_out) as f32).sqrt();
            (0..count).map(|_| rng.random_range(-a..=a)).collect()
        }
    }
}

fn gaussian(count: usize, std: f32, rng: &mut MachineRng) -> Vec<f32> {
    let normal = Normal::new(0.0, std).expect("a positive standard deviation");
    (0..count).map(|_| normal.sample(rng)).collect()
}

/// SGD state: the momentum buffers, shaped like the gradients, and how many threads share
/// each update.
#[derive(Clone, Debug)]
pub struct SgdState {
    pub(super) velocity: Gradients,
    pub(super) threads: usize,
}

impl SgdState {
    pub fn new(network: &Network) -> Self {
        Self {
            velocity: network.zero_gradients(),
            threads: 1,
        }
    }

    /// The same state, its fused updates ([`SgdState::step_from_deltas`]) split over `threads`
    /// threads of rayon's pool (each takes its own rows of every layer's weights, so the
    /// weights come out the same for any count).
    pub fn with_threads(self, threads: usize) -> Self {
        Self {
            threads: threads.max(1),
            ..self
        }
    }

    /// One update: `v = momentum v + g; theta -= learning_rate v` for every weight and bias.
    pub fn step(&mut self, network: &mut Network, grads: &Gradients, sgd: &Sgd) {
        self.step_combined(network, &[(grads, 1.0)], sgd, Penalty::None);
    }

    /// One update from the weighted sum of several gradients, `g = sum_s c_s g_s`, with the
    /// penalty's gradient added to the weights' (see [`Network::add_penalty`]), in a single
    /// pass over memory. Returns the penalty's value before the update and each layer's
    /// `||g_W||_F` (penalty included), input layer first.
    pub fn step_combined(
        &mut self,
        network: &mut Network,
        parts: &[(&Gradients, f32)],
        sgd: &Sgd,
        penalty: Penalty,
    ) -> (f64, Vec<f64>) {
        let (lr, mu) = (sgd.learning_rate, sgd.momentum);
        let mut penalty_value = 0.0;
        let mut norms = Vec::with_capacity(network.layers.len());
        for (k, layer) in network.layers.iter_mut().enumerate() {
            let decay = penalty.decay(&layer.weights);
            let weight_parts: Vec<(&[f32], f32)> = parts
                .iter()
                .map(|(g, c)| (g.weights[k].as_slice(), *c))
                .collect();
            let (g2, w2) = update(
                &mut layer.weights,
                &mut self.velocity.weights[k],
                &weight_parts,
                decay,
                lr,
                mu,
            );
            penalty_value += penalty.value(w2);
            norms.push(g2.sqrt());
            let bias_parts: Vec<(&[f32], f32)> = parts
                .iter()
                .map(|(g, c)| (g.bias[k].as_slice(), *c))
                .collect();
            update(
                &mut layer.bias,
                &mut self.velocity.bias[k],
                &bias_parts,
                0.0,
                lr,
                mu,
            );
        }
        (penalty_value, norms)
    }
}

/// `g = sum_s c_s g_s + decay p; v = mu v + g; p -= lr v` over one parameter array, in blocks
/// that stay in cache. Returns `(sum g^2, sum p^2)`, p taken before the update.
///
/// Compiled for the widest vectors the processor has (AVX-512 or AVX2, chosen at run time by
/// `pulp`): the crate itself targets baseline x86-64, whose 4-wide SSE made this loop a sixth
/// of an epoch. Separate multiplies and adds, never fused, so every processor computes the
/// same weights.
pub(super) fn update(
    params: &mut [f32],
    velocity: &mut [f32],
    parts: &[(&[f32], f32)],
    decay: f32,
    lr: f32,
    mu: f32,
) -> (f64, f64) {
    pulp::Arch::new().dispatch(Update {
        params,
        velocity,
        parts,
        steps: (decay, lr, mu),
    })
}

/// The arguments of [`update`], for `pulp` to hand to each processor-specific copy.
struct Update<'a, 'b> {
    params: &'a mut [f32],
    velocity: &'a mut [f32],
    parts: &'a [(&'b [f32], f32)],
    steps: (f32, f32, f32),
}

impl pulp::WithSimd for Update<'_, '_> {
    type Output = (f64, f64);

    /// In blocks that stay in cache: the block's gradient from its parts, then one pass of
    /// whole vectors over the weights and their momentum (and the few left over one by one).
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> (f64, f64) {
        const BLOCK: usize = 1024;
        let mut g = [0.0f32; BLOCK];
        let (mut sum_g, mut sum_p) = (0.0f64, 0.0f64);
        let mut start = 0;
        while start < self.params.len() {
            let end = (start + BLOCK).min(self.params.len());
            let g = &mut g[..end - start];
            let (first, c0) = self.parts[0];
            for (gi, &x) in g.iter_mut().zip(&first[start..end]) {
                *gi = c0 * x;
            }
            for &(part, c) in &self.parts[1..] {
                for (gi, &x) in g.iter_mut().zip(&part[start..end]) {
                    *gi += c * x;
                }
            }
            let p = &mut self.params[start..end];
            let v = &mut self.velocity[start..end];
            let (g2, p2) = step_block(simd, p, v, g, self.steps);
            sum_g += g2;
            sum_p += p2;
            start = end;
        }
        (sum_g, sum_p)
    }
}

/// `g += decay p; v = mu v + g; p -= lr v` over one block, whole vectors first; returns the
/// block's `(sum g^2, sum p^2)`.
#[inline(always)]
fn step_block<S: pulp::Simd>(
    simd: S,
    params: &mut [f32],
    velocity: &mut [f32],
    gradient: &[f32],
    (decay, lr, mu): (f32, f32, f32),
) -> (f64, f64) {
    let (p_head, p_tail) = S::as_mut_simd_f32s(params);
    let (v_head, v_tail) = S::as_mut_simd_f32s(velocity);
    let (g_head, g_tail) = S::as_simd_f32s(gradient);
    let (decays, lrs, mus) = (
        simd.splat_f32s(decay),
        simd.splat_f32s(lr),
        simd.splat_f32s(mu),
    );
    let (mut lanes_g, mut lanes_p) = (simd.splat_f32s(0.0), simd.splat_f32s(0.0));
    for ((p, v), &g) in p_head.iter_mut().zip(v_head).zip(g_head) {
        lanes_p = simd.add_f32s(lanes_p, simd.mul_f32s(*p, *p));
        let g = simd.add_f32s(g, simd.mul_f32s(decays, *p));
        lanes_g = simd.add_f32s(lanes_g, simd.mul_f32s(g, g));
        *v = simd.add_f32s(simd.mul_f32s(mus, *v), g);
        *p = simd.sub_f32s(*p, simd.mul_f32s(lrs, *v));
    }
    let (mut rest_g, mut rest_p) = (0.0f32, 0.0f32);
    for ((p, v), &g) in p_tail.iter_mut().zip(v_tail).zip(g_tail) {
        rest_p += *p * *p;
        let g = g + decay * *p;
        rest_g += g * g;
        *v = mu * *v + g;
        *p -= lr * *v;
    }
    (
        (simd.reduce_sum_f32s(lanes_g) + rest_g) as f64,
        (simd.reduce_sum_f32s(lanes_p) + rest_p) as f64,
    )
}

/// Frobenius norm of each layer's weight gradient, input layer first.
pub fn gradient_norms(grads: &Gradients) -> Vec<f64> {
    grads.weights.iter().map(|g| square_sum(g).sqrt()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::{Stream, rng_for};

    fn random_inputs(count: usize, rng: &mut MachineRng) -> Vec<f32> {
        (0..count).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    #[test]
    fn activations_end_in_the_probabilities_of_the_batched_forward_pass() {
        let mut rng = rng_for(7, Stream::Calibration);
        let hidden = [LayerConfig {
            units: 5,
            activation: Activation::Relu,
        }];
        let network = Network::new(6, &hidden, 3, Loss::SoftmaxCrossEntropy, Init::He, &mut rng);
        let input = random_inputs(6, &mut rng);
        let layers = network.activations(&input);
        assert_eq!(layers.len(), 2);
        assert_eq!(layers[0].len(), 5);
        assert!(layers[0].iter().all(|&h| h >= 0.0), "ReLU outputs");
        let expected = network.loss.output_values(&network.logits_of(&input, 1, 1));
        for (a, b) in layers[1].iter().zip(&expected) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        assert!((layers[1].iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    /// Compares every analytic gradient of `network` with central differences of its loss.
    fn gradient_check(
        mut network: Network,
        targets: Targets,
        batch: usize,
        penalty: Penalty,
        seed: u64,
    ) {
        let mut rng = rng_for(seed, Stream::Calibration);
        let inputs = random_inputs(batch * network.input_size(), &mut rng);
        let mut ws = Workspace::new(&network, batch);
        ws.input_mut(batch).copy_from_slice(&inputs);
        network.forward(&mut ws, batch, 1);
        let mut grads = network.zero_gradients();
        network.backward(&mut ws, batch, targets, &mut grads, 1);
        network.add_penalty(penalty, &mut grads);
        let eps = 1e-2f32;
        for k in 0..network.layers.len() {
            for which in 0..2 {
                let count = if which == 0 {
                    network.layers[k].weights.len()
                } else {
                    network.layers[k].bias.len()
                };
                for i in 0..count {
                    let original = get(&network, k, which, i);
                    set(&mut network, k, which, i, original + eps);
                    let plus = network.loss_on(&inputs, batch, targets, penalty);
                    set(&mut network, k, which, i, original - eps);
                    let minus = network.loss_on(&inputs, batch, targets, penalty);
                    set(&mut network, k, which, i, original);
                    let numeric = (plus - minus) / (2.0 * eps as f64);
                    let analytic = if which == 0 {
                        grads.weights[k][i]
                    } else {
                        grads.bias[k][i]
                    } as f64;
                    assert!(
                        (numeric - analytic).abs() <= 1e-3 + 2e-2 * analytic.abs(),
                        "layer {k} {} {i}: numeric {numeric} analytic {analytic}",
                        if which == 0 { "weight" } else { "bias" }
                    );
                }
            }
        }
    }

    fn get(net: &Network, k: usize, which: usize, i: usize) -> f32 {
        if which == 0 {
            net.layers[k].weights[i]
        } else {
            net.layers[k].bias[i]
        }
    }

    fn set(net: &mut Network, k: usize, which: usize, i: usize, value: f32) {
        if which == 0 {
            net.layers[k].weights[i] = value;
        } else {
            net.layers[k].bias[i] = value;
        }
    }

    fn net(hidden: &[Activation], outputs: usize, loss: Loss, seed: u64) -> Network {
        let layers: Vec<LayerConfig> = hidden
            .iter()
            .map(|&activation| LayerConfig {
                units: 4,
                activation,
            })
            .collect();
        Network::new(
            3,
            &layers,
            outputs,
            loss,
            Init::Glorot,
            &mut rng_for(seed, Stream::Plugboard),
        )
    }

    #[test]
    fn backpropagation_matches_finite_differences_for_every_activation_and_loss() {
        for (seed, &activation) in Activation::TRAINABLE.iter().enumerate() {
            let seed = seed as u64;
            let hidden = [activation, Activation::Tanh];
            gradient_check(
                net(&hidden, 3, Loss::SoftmaxCrossEntropy, seed),
                Targets::Classes(&[0, 2, 1, 2]),
                4,
                Penalty::None,
                seed,
            );
            gradient_check(
                net(&hidden, 1, Loss::SigmoidBinaryCrossEntropy, seed),
                Targets::Classes(&[1, 0, 0]),
                3,
                Penalty::None,
                seed,
            );
            let values = [0.5, -1.0, 0.25, 2.0, 0.0, 1.0];
            gradient_check(
                net(&hidden, 2, Loss::MeanSquaredError, seed),
                Targets::Values(&values),
                3,
                Penalty::None,
                seed,
            );
        }
    }

    #[test]
    fn penalties_match_finite_differences() {
        for penalty in [Penalty::L2Squared(0.05), Penalty::L2Norm(0.3)] {
            let network = net(
                &[Activation::Sigmoid],
                1,
                Loss::SigmoidBinaryCrossEntropy,
                9,
            );
            gradient_check(network, Targets::Classes(&[1, 0]), 2, penalty, 9);
        }
    }

    #[test]
    fn one_sgd_step_by_hand() {
        // A single linear unit z = w x + b with squared error, x = 2, y = 1, w = 0.5, b = 0:
        // z = 1 ... choose w = 1: z = 2, dl/dz = 2 (2 - 1) = 2, dw = 2 * 2 = 4, db = 2.
        // lr 0.1, momentum 0.5: v = (4, 2), w = 1 - 0.4 = 0.6, b = -0.2; a second identical
        // step: gradients at the new point z = 1.0, dl/dz = 0, so v = 0.5 v = (2, 1):
        // w = 0.6 - 0.2 = 0.4, b = -0.2 - 0.1 = -0.3.
        let mut network = Network {
            layers: vec![Dense {
                inputs: 1,
                outputs: 1,
                weights: vec![1.0],
                bias: vec![0.0],
                activation: Activation::Identity,
            }],
            loss: Loss::MeanSquaredError,
        };
        let sgd = Sgd {
            learning_rate: 0.1,
            momentum: 0.5,
            batch_size: 1,
            schedule: Schedule::Constant,
        };
        let mut state = SgdState::new(&network);
        let mut ws = Workspace::new(&network, 1);
        let mut grads = network.zero_gradients();
        for expected in [(0.6, -0.2), (0.4, -0.3)] {
            ws.input_mut(1).copy_from_slice(&[2.0]);
            network.forward(&mut ws, 1, 1);
            network.backward(&mut ws, 1, Targets::Values(&[1.0]), &mut grads, 1);
            state.step(&mut network, &grads, &sgd);
            let (w, b) = (network.layers[0].weights[0], network.layers[0].bias[0]);
            assert!(
                (w - expected.0).abs() < 1e-6 && (b - expected.1).abs() < 1e-6,
                "{w} {b}"
            );
        }
    }

    #[test]
    fn combined_step_equals_summing_penalising_and_stepping_separately() {
        let mut rng = rng_for(8, Stream::Plugboard);
        for penalty in [
            Penalty::None,
            Penalty::L2Squared(0.01),
            Penalty::L2Norm(0.2),
        ] {
            let base = Network::new(
                5,
                &[LayerConfig {
                    units: 7,
                    activation: Activation::Tanh,
                }],
                3,
                Loss::SoftmaxCrossEntropy,
                Init::Glorot,
                &mut rng,
            );
            let random = |rng: &mut MachineRng| -> Gradients {
                let mut g = base.zero_gradients();
                for v in g.weights.iter_mut().chain(g.bias.iter_mut()) {
                    v.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
                }
                g
            };
            let (a, b) = (random(&mut rng), random(&mut rng));
            let sgd = Sgd {
                learning_rate: 0.1,
                momentum: 0.5,
                batch_size: 4,
                schedule: Schedule::Constant,
            };
            // Separately: g = 0.25 a + 0.75 b, plus the penalty gradient, then a plain step.
            let mut expected = base.clone();
            let mut sum = base.zero_gradients();
            for (dst, (x, y)) in sum.weights.iter_mut().chain(sum.bias.iter_mut()).zip(
                a.weights
                    .iter()
                    .chain(&a.bias)
                    .zip(b.weights.iter().chain(&b.bias)),
            ) {
                for (d, (&xi, &yi)) in dst.iter_mut().zip(x.iter().zip(y)) {
                    *d = 0.25 * xi + 0.75 * yi;
                }
            }
            let penalty_value = expected.add_penalty(penalty, &mut sum);
            let norms = gradient_norms(&sum);
            SgdState::new(&expected).step(&mut expected, &sum, &sgd);
            // Combined.
            let mut combined = base.clone();
            let (value, combined_norms) = SgdState::new(&combined).step_combined(
                &mut combined,
                &[(&a, 0.25), (&b, 0.75)],
                &sgd,
                penalty,
            );
            assert!((value - penalty_value).abs() < 1e-5, "{penalty:?}");
            for (x, y) in norms.iter().zip(&combined_norms) {
                assert!((x - y).abs() < 1e-4 * (1.0 + x), "{penalty:?}: {x} vs {y}");
            }
            for (l, m) in expected.layers.iter().zip(&combined.layers) {
                for (x, y) in l
                    .weights
                    .iter()
                    .chain(&l.bias)
                    .zip(m.weights.iter().chain(&m.bias))
                {
                    assert!((x - y).abs() < 1e-6, "{penalty:?}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn cosine_schedule_runs_from_the_full_rate_to_zero() {
        let sgd = Sgd {
            schedule: Schedule::Cosine,
            learning_rate: 0.2,
            ..Sgd::default()
        };
        assert_eq!(sgd.rate_at(0, 100), 0.2);
        assert!((sgd.rate_at(50, 100) - 0.1).abs() < 1e-6);
        assert!(sgd.rate_at(100, 100).abs() < 1e-6);
        let constant = Sgd {
            schedule: Schedule::Constant,
            ..Sgd::default()
        };
        assert_eq!(constant.rate_at(70, 100), constant.learning_rate);
    }

    #[test]
    fn initialisations_have_their_stated_spread() {
        let mut rng = rng_for(3, Stream::Plugboard);
        let he = draw_weights(Init::He, 200, 300, &mut rng);
        let var = he.iter().map(|w| (w * w) as f64).sum::<f64>() / he.len() as f64;
        assert!((var - 0.01).abs() < 0.001, "He variance {var}");
        let glorot = draw_weights(Init::Glorot, 100, 200, &mut rng);
        let a = (6.0f32 / 300.0).sqrt();
        assert!(glorot.iter().all(|w| w.abs() <= a));
        let var = glorot.iter().map(|w| (w * w) as f64).sum::<f64>() / glorot.len() as f64;
        assert!(
            (var - (a * a / 3.0) as f64).abs() < 0.001,
            "Glorot variance {var}"
        );
    }

    #[test]
    fn threaded_products_give_the_same_logits() {
        let mut rng = rng_for(4, Stream::Plugboard);
        let network = Network::new(
            784,
            &MlpConfig::default().hidden,
            10,
            Loss::SoftmaxCrossEntropy,
            Init::He,
            &mut rng,
        );
        let inputs = random_inputs(300 * 784, &mut rng);
        let one = network.logits_of(&inputs, 300, 1);
        let two = network.logits_of(&inputs, 300, 2);
        for (a, b) in one.iter().zip(&two) {
            assert!((a - b).abs() < 1e-4);
        }
    }
}
