//! The playground's numbers, without Bevy: points in the plane, a small network edited live,
//! trained one batch at a time, its decision surface and every hidden unit's map.

pub mod controls;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::data::plane::{Feature, PlaneData, PlaneSet, feature_rows, grid_points};
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
        if self.loss == Loss::MeanSquaredError {
            return Err(FieldError::at(
                "loss",
                "the points have classes: give SigmoidBinaryCrossEntropy or SoftmaxCrossEntropy",
            ));
        }
        validate_learning(self)
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

/// Loss and accuracy on both parts of the points after an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub test_loss: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
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
        let network = &self.network;
        network.forward(&mut self.workspace, batch.len(), 1);
        let loss = network.backward(
            &mut self.workspace,
            batch.len(),
            Targets::Classes(&labels),
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

    /// Loss and accuracy on the training and test points now.
    pub fn measure(&self) -> EpochRecord {
        let (train_loss, train_accuracy) = self.score(&self.train_rows, &self.train.labels);
        let (test_loss, test_accuracy) = self.score(&self.test_rows, &self.test.labels);
        EpochRecord {
            epoch: self.epoch,
            train_loss,
            test_loss,
            train_accuracy,
            test_accuracy,
        }
    }

    fn score(&self, rows: &[f32], labels: &[u16]) -> (f64, f64) {
        if labels.is_empty() {
            return (0.0, 0.0);
        }
        let network = &self.network;
        let loss = network.loss_on(rows, labels.len(), Targets::Classes(labels), Penalty::None);
        (loss, network.accuracy(rows, labels, 1))
    }

    /// What the network makes of a `side` x `side` grid over the plane, top row first: the
    /// probability of the second class at each point, and each hidden unit's output there.
    pub fn maps(&self, side: usize) -> Maps {
        let points = grid_points(side);
        let rows = feature_rows(&points, &self.config.features);
        let count = points.len();
        let mut workspace = Workspace::new(&self.network, count);
        workspace.input_mut(count).copy_from_slice(&rows);
        self.network.forward(&mut workspace, count, 1);
        let outputs = self.network.output_size();
        let last = self.network.layers.len() - 1;
        let probability = workspace
            .logits(count, outputs)
            .chunks_exact(outputs)
            .map(|z| self.network.loss.output_values(z)[1])
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
            probability,
            hidden,
        }
    }
}

/// The weights a set-up starts from for `seed`.
fn fresh_network(config: &PlaygroundConfig, seed: u64) -> Network {
    let outputs = config.loss.outputs_for_classes(2);
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

/// The network over the plane: `probability[row * side + column]` of the second class, and
/// `hidden[layer][unit]` likewise for each hidden unit's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Maps {
    pub side: usize,
    pub probability: Vec<f32>,
    pub hidden: Vec<Vec<Vec<f32>>>,
}

#[cfg(test)]
mod tests;
