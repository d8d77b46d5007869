//! The playground's numbers, without Bevy: points in the plane, a small network edited live,
//! trained one batch at a time, its decision surface and every hidden unit's map.

pub mod controls;
pub mod mark1;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::data::plane::{
    Arrangement, Feature, PlaneData, PlaneSet, VIEW, feature_rows, grid_points,
};
use crate::fields::FieldError;
use crate::nn::Diverged;
use crate::nn::activation::Activation;
use crate::nn::loss::{Loss, Targets};
use crate::nn::mlp::{Gradients, Init, LayerConfig, Network, Penalty, Sgd, SgdState, Workspace};
use crate::seeds::{MachineRng, Stream, rng_for};

/// Most hidden layers and units per layer the playground offers (the lecture's pictures).
pub const MAX_LAYERS: usize = 6;
pub const MAX_UNITS: usize = 32;

/// Everything a teacher sets up: the points, the inputs, the network and how it learns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlaygroundConfig {
    pub data: PlaneData,
    pub features: Vec<Feature>,
    pub hidden: Vec<LayerConfig>,
    pub loss: Loss,
    pub init: Init,
    pub learning_rate: f32,
    /// Points per update: 1 is stochastic gradient descent, the whole set is batch descent.
    pub batch_size: usize,
    pub momentum: f32,
    /// Weight decay `lambda` of `lambda sum ||W||^2` (0 for none).
    pub l2: f32,
}

impl Default for PlaygroundConfig {
    fn default() -> Self {
        let relu = |units| LayerConfig {
            units,
            activation: Activation::Relu,
        };
        Self {
            data: PlaneData::default(),
            features: vec![Feature::X1, Feature::X2],
            hidden: vec![relu(8), relu(8)],
            loss: Loss::SigmoidBinaryCrossEntropy,
            init: Init::He,
            learning_rate: 0.03,
            batch_size: 10,
            momentum: 0.9,
            l2: 0.0,
        }
    }
}

impl PlaygroundConfig {
    pub fn validate(&self) -> Result<(), FieldError> {
        self.data.validate().map_err(|e| e.under("data"))?;
        if self.features.is_empty() {
            return Err(FieldError::at(
                "features",
                "give at least one input feature",
            ));
        }
        if self.hidden.len() > MAX_LAYERS {
            return Err(FieldError::at(
                "hidden",
                format!("{} hidden layers; give 0..={MAX_LAYERS}", self.hidden.len()),
            ));
        }
        for (k, layer) in self.hidden.iter().enumerate() {
            validate_layer(layer).map_err(|e| e.under(&format!("hidden[{k}]")))?;
        }
        self.validate_kind()?;
        validate_learning(self)
    }

    /// Classes want a cross-entropy; a curve wants mean squared error and inputs of x1 alone
    /// (its points' x2 is the answer to be fitted).
    fn validate_kind(&self) -> Result<(), FieldError> {
        let curve = self.data.arrangement.is_curve();
        if curve != (self.loss == Loss::MeanSquaredError) {
            let want = if curve {
                "a curve is fitted by regression: give MeanSquaredError"
            } else {
                "the points have classes: give SigmoidBinaryCrossEntropy or SoftmaxCrossEntropy"
            };
            return Err(FieldError::at("loss", want));
        }
        if curve && let Some(f) = self.features.iter().find(|f| !f.of_x1_only()) {
            return Err(FieldError::at(
                "features",
                format!(
                    "{f:?} reads x2, which is the curve's value itself: give X1, X1Squared or SinX1"
                ),
            ));
        }
        Ok(())
    }

    /// The same set-up on `arrangement`'s points; moving between classes and a curve also
    /// takes that kind's inputs and loss (x1 and x2 with a cross-entropy, x1 with squared error).
    pub fn with_arrangement(&self, arrangement: Arrangement) -> PlaygroundConfig {
        let mut config = self.clone();
        config.data.arrangement = arrangement;
        if arrangement.is_curve() != self.data.arrangement.is_curve() {
            let defaults = PlaygroundConfig::for_kind(arrangement.is_curve());
            config.features = defaults.features;
            config.loss = defaults.loss;
            config.learning_rate = defaults.learning_rate;
        }
        config
    }

    /// The default set-up's inputs, loss and learning rate for classes, or for a curve
    /// (squared error on values of about ±3 takes a rate a tenth of the classes'; at theirs,
    /// 2 x 8 ReLU fits nothing of |x| - 3 in 600 epochs, at 0.003 it fits it to 0.0001).
    fn for_kind(curve: bool) -> PlaygroundConfig {
        if !curve {
            return PlaygroundConfig::default();
        }
        PlaygroundConfig {
            features: vec![Feature::X1],
            loss: Loss::MeanSquaredError,
            learning_rate: 0.003,
            ..PlaygroundConfig::default()
        }
    }

    fn sgd(&self) -> Sgd {
        Sgd {
            learning_rate: self.learning_rate,
            momentum: self.momentum,
            batch_size: self.batch_size,
            schedule: crate::nn::mlp::Schedule::Constant,
        }
    }

    fn penalty(&self) -> Penalty {
        if self.l2 > 0.0 {
            Penalty::L2Squared(self.l2)
        } else {
            Penalty::None
        }
    }
}

fn validate_layer(layer: &LayerConfig) -> Result<(), FieldError> {
    if !(1..=MAX_UNITS).contains(&layer.units) {
        return Err(FieldError::at(
            "units",
            format!("{} units; give 1..={MAX_UNITS}", layer.units),
        ));
    }
    if matches!(layer.activation, Activation::Step | Activation::Sign) {
        return Err(FieldError::at(
            "activation",
            "step and sign have no slope to descend: train with sigmoid, tanh, ReLU, leaky ReLU or identity",
        ));
    }
    Ok(())
}

fn validate_learning(config: &PlaygroundConfig) -> Result<(), FieldError> {
    if !(config.learning_rate.is_finite() && config.learning_rate > 0.0) {
        return Err(FieldError::at(
            "learning_rate",
            format!("{} is not a positive learning rate", config.learning_rate),
        ));
    }
    if config.batch_size == 0 {
        return Err(FieldError::at(
            "batch_size",
            "give at least 1 point per update",
        ));
    }
    if !(0.0..1.0).contains(&config.momentum) {
        return Err(FieldError::at(
            "momentum",
            format!("{} is not a momentum from 0 up to 1", config.momentum),
        ));
    }
    if !(config.l2.is_finite() && config.l2 >= 0.0) {
        return Err(FieldError::at(
            "l2",
            format!("{} is not a weight decay of 0 or more", config.l2),
        ));
    }
    Ok(())
}

/// Loss and accuracy on both parts of the points after an epoch (no accuracy for a curve:
/// its loss, the mean squared error, is the measure).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub test_loss: f64,
    pub train_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
}

/// One update: the batch's mean loss and each layer's weight-gradient norm, input side first.
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    pub loss: f64,
    pub gradient_norms: Vec<f64>,
}

/// The playground as it runs: its points, its network, where it is in the epoch.
pub struct Playground {
    pub config: PlaygroundConfig,
    pub seed: u64,
    pub train: PlaneSet,
    pub test: PlaneSet,
    pub network: Network,
    train_rows: Vec<f32>,
    test_rows: Vec<f32>,
    sgd: SgdState,
    workspace: Workspace,
    gradients: Gradients,
    order_rng: MachineRng,
    order: Vec<usize>,
    /// Points of this epoch's order already trained on.
    cursor: usize,
    pub epoch: usize,
    pub updates: usize,
    pub history: Vec<EpochRecord>,
    /// Why training stopped, if it diverged: the network is kept as it was before.
    pub diverged: Option<Diverged>,
}

impl Playground {
    /// A fresh network on the points of `config` for `seed`.
    pub fn new(config: PlaygroundConfig, seed: u64) -> Result<Self, FieldError> {
        config.validate()?;
        let (train, test) = config.data.generate(seed);
        let network = fresh_network(&config, seed);
        let batch = config.batch_size.min(train.len()).max(1);
        Ok(Self {
            train_rows: feature_rows(&train.points, &config.features),
            test_rows: feature_rows(&test.points, &config.features),
            sgd: SgdState::new(&network),
            workspace: Workspace::new(&network, batch),
            gradients: network.zero_gradients(),
            order_rng: rng_for(seed, Stream::TrainingOrder),
            order: Vec::new(),
            cursor: 0,
            epoch: 0,
            updates: 0,
            history: Vec::new(),
            diverged: None,
            train,
            test,
            network,
            config,
            seed,
        })
    }

    /// The same set-up from the start: fresh weights, epoch 0 (the divergence forgotten).
    pub fn reset(&mut self) {
        let config = self.config.clone();
        *self = Self::new(config, self.seed).expect("a running playground's config is valid");
    }

    /// One batch of the epoch's shuffled order: forward, backward, one SGD step. A step whose
    /// loss or weights stop being finite is undone and named in [`Self::diverged`].
    pub fn step(&mut self) -> Result<StepReport, Diverged> {
        if let Some(diverged) = &self.diverged {
            return Err(diverged.clone());
        }
        if self.cursor == 0 {
            self.order = (0..self.train.len()).collect();
            self.order.shuffle(&mut self.order_rng);
        }
        let end = self
            .cursor
            .saturating_add(self.config.batch_size)
            .min(self.order.len());
        let batch: Vec<usize> = self.order[self.cursor..end].to_vec();
        let report = self.learn_from(&batch)?;
        self.cursor = end;
        if self.cursor >= self.order.len() {
            self.cursor = 0;
            self.epoch += 1;
            let record = self.measure();
            self.history.push(record);
        }
        Ok(report)
    }

    /// Steps to the end of the current epoch (a whole one from its start).
    pub fn run_epoch(&mut self) -> Result<(), Diverged> {
        let epoch = self.epoch;
        while self.epoch == epoch {
            self.step()?;
        }
        Ok(())
    }

    fn learn_from(&mut self, batch: &[usize]) -> Result<StepReport, Diverged> {
        let inputs = self.network.input_size();
        let rows = self.workspace.input_mut(batch.len());
        for (row, &k) in rows.chunks_exact_mut(inputs).zip(batch) {
            row.copy_from_slice(&self.train_rows[k * inputs..(k + 1) * inputs]);
        }
        let labels: Vec<u16> = batch.iter().map(|&k| self.train.labels[k]).collect();
        let values: Vec<f32> = batch.iter().map(|&k| self.train.points[k][1]).collect();
        let targets = if self.is_curve() {
            Targets::Values(&values)
        } else {
            Targets::Classes(&labels)
        };
        let network = &self.network;
        network.forward(&mut self.workspace, batch.len(), 1);
        let loss = network.backward(
            &mut self.workspace,
            batch.len(),
            targets,
            &mut self.gradients,
            1,
        );
        let before = (self.network.clone(), self.sgd.clone());
        let (penalty, gradient_norms) = self.sgd.step_combined(
            &mut self.network,
            &[(&self.gradients, 1.0)],
            &self.config.sgd(),
            self.config.penalty(),
        );
        self.updates += 1;
        let finite = self
            .network
            .layers
            .iter()
            .all(|l| l.weights.iter().chain(&l.bias).all(|w| w.is_finite()));
        if !(loss.is_finite() && finite) {
            (self.network, self.sgd) = before;
            return Err(self.stop(loss));
        }
        Ok(StepReport {
            loss: loss + penalty,
            gradient_norms,
        })
    }

    fn stop(&mut self, loss: f64) -> Diverged {
        let diverged = Diverged::Loss {
            batch: self.updates,
            loss: if loss.is_finite() {
                f64::INFINITY
            } else {
                loss
            },
            learning_rate: self.config.learning_rate,
        };
        self.diverged = Some(diverged.clone());
        diverged
    }

    /// Whether the points lie about a curve, fitted by regression.
    pub fn is_curve(&self) -> bool {
        self.config.data.arrangement.is_curve()
    }

    /// Loss and accuracy now: the record of the epoch just ended when no batch has been
    /// trained since (measured once, at its end), else measured afresh.
    pub fn now(&self) -> EpochRecord {
        match self.history.last() {
            Some(last) if self.cursor == 0 && last.epoch == self.epoch => *last,
            _ => self.measure(),
        }
    }

    /// Loss and accuracy on the training and test points now.
    pub fn measure(&self) -> EpochRecord {
        let (train_loss, train_accuracy) = self.score(&self.train_rows, &self.train);
        let (test_loss, test_accuracy) = self.score(&self.test_rows, &self.test);
        EpochRecord {
            epoch: self.epoch,
            train_loss,
            test_loss,
            train_accuracy,
            test_accuracy,
        }
    }

    fn score(&self, rows: &[f32], set: &PlaneSet) -> (f64, Option<f64>) {
        if set.is_empty() {
            return (0.0, None);
        }
        let network = &self.network;
        if self.is_curve() {
            let values: Vec<f32> = set.points.iter().map(|p| p[1]).collect();
            let loss = network.loss_on(rows, set.len(), Targets::Values(&values), Penalty::None);
            return (loss, None);
        }
        let loss = network.loss_on(
            rows,
            set.len(),
            Targets::Classes(&set.labels),
            Penalty::None,
        );
        (loss, Some(network.accuracy(rows, &set.labels, 1)))
    }

    /// What the network makes of a `side` x `side` grid over the plane, top row first: the
    /// probability of the second class at each point, and each hidden unit's output there.
    /// For a curve, of `side` points along x1 (left to right): the fitted value, and each
    /// hidden unit's output.
    pub fn maps(&self, side: usize) -> Maps {
        let points = if self.is_curve() {
            curve_points(side)
        } else {
            grid_points(side)
        };
        let rows = feature_rows(&points, &self.config.features);
        let count = points.len();
        let mut workspace = Workspace::new(&self.network, count);
        workspace.input_mut(count).copy_from_slice(&rows);
        self.network.forward(&mut workspace, count, 1);
        let outputs = self.network.output_size();
        let last = self.network.layers.len() - 1;
        let loss = self.network.loss;
        let output = workspace
            .logits(count, outputs)
            .chunks_exact(outputs)
            .map(|z| *loss.output_values(z).last().unwrap_or(&0.0))
            .collect();
        let hidden = (0..last)
            .map(|k| {
                unit_maps(
                    workspace.layer_outputs(k, count),
                    self.network.layers[k].outputs,
                )
            })
            .collect();
        Maps {
            side,
            output,
            hidden,
        }
    }
}

/// `side` points evenly along x1 across the view, left to right (x2 = 0).
pub fn curve_points(side: usize) -> Vec<[f32; 2]> {
    (0..side)
        .map(|k| [-VIEW + (k as f32 + 0.5) / side as f32 * 2.0 * VIEW, 0.0])
        .collect()
}

/// The weights a set-up starts from for `seed`.
fn fresh_network(config: &PlaygroundConfig, seed: u64) -> Network {
    // two classes, or one value for a curve
    let outputs = match config.loss {
        Loss::MeanSquaredError => 1,
        loss => loss.outputs_for_classes(2),
    };
    Network::new(
        config.features.len(),
        &config.hidden,
        outputs,
        config.loss,
        config.init,
        &mut rng_for(seed, Stream::Plugboard),
    )
}

/// A layer's outputs (one row of `units` per grid point) as one map per unit.
fn unit_maps(outputs: &[f32], units: usize) -> Vec<Vec<f32>> {
    (0..units)
        .map(|j| outputs.iter().skip(j).step_by(units).copied().collect())
        .collect()
}

/// The network over the plane: `output[row * side + column]`, the probability of the second
/// class, and `hidden[layer][unit]` likewise for each hidden unit's output. For a curve, one
/// row: `output[k]` the fitted value at the k-th of [`curve_points`].
#[derive(Clone, Debug, PartialEq)]
pub struct Maps {
    pub side: usize,
    pub output: Vec<f32>,
    pub hidden: Vec<Vec<Vec<f32>>>,
}

#[cfg(test)]
mod tests;
