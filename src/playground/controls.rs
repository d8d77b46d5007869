//! The playground's controls as data: what each button of the page changes, applied to a
//! running playground without Bevy, so tests check that each control changes what it names.
//!
//! As in TensorFlow Playground, the learning settings (rate, batch, momentum, L2) change the
//! running network's training from the next batch on; everything that changes the network's
//! shape or its points (data, features, layers, units, activation, loss, initialisation)
//! starts a fresh network from the seed.

use crate::data::plane::{Arrangement, Feature};
use crate::fields::FieldError;
use crate::nn::activation::Activation;
use crate::nn::loss::Loss;
use crate::nn::mlp::{Init, LayerConfig};

use super::{MAX_LAYERS, MAX_UNITS, Playground, PlaygroundConfig};

/// One press of one of the playground's controls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Control {
    /// The points' arrangement.
    Data(Arrangement),
    Noise(Toward),
    TestFraction(Toward),
    /// Feed this feature to the network, or stop feeding it (the last one stays).
    ToggleFeature(Feature),
    AddLayer,
    RemoveLayer,
    /// One more or one fewer unit in hidden layer `layer` (0 nearest the inputs).
    Units {
        layer: usize,
        toward: Toward,
    },
    /// Every hidden layer's activation, in turn through the ones that train.
    NextActivation,
    /// Sigmoid + binary cross-entropy or softmax + cross-entropy (a curve keeps squared error).
    NextLoss,
    NextInit,
    LearningRate(Toward),
    BatchSize(Toward),
    Momentum(Toward),
    L2(Toward),
}

/// Which way a stepped control moves along its ladder of values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toward {
    Less,
    More,
}

/// What a control did to the running playground.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The setting was already at the end of its ladder (or the last feature): nothing changed.
    Unchanged,
    /// Training goes on with the new setting from the next batch.
    Retuned,
    /// A fresh network from the seed (the points too, where they changed).
    Rebuilt,
}

/// The learning rates offered (TensorFlow Playground's, with 0.3 and 3 in between).
pub const LEARNING_RATES: [f32; 11] = [
    0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0,
];
/// Points per update offered; the last step is the whole training set.
pub const BATCH_SIZES: [usize; 7] = [1, 2, 5, 10, 20, 50, 100];
pub const MOMENTA: [f32; 5] = [0.0, 0.5, 0.8, 0.9, 0.95];
pub const L2_DECAYS: [f32; 6] = [0.0, 0.00001, 0.0001, 0.001, 0.01, 0.1];
pub const NOISE_LEVELS: [f32; 6] = [0.0, 0.1, 0.2, 0.3, 0.5, 1.0];
pub const TEST_FRACTIONS: [f32; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/// The hidden activations offered, in the order the activation button steps through them.
pub const ACTIVATIONS: [Activation; 5] = [
    Activation::Relu,
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::LeakyRelu(0.1),
    Activation::Identity,
];
const INITS: [Init; 3] = [Init::He, Init::Glorot, Init::SmallGaussian(0.1)];
/// Units a new hidden layer starts with.
const NEW_LAYER_UNITS: usize = 4;

impl Playground {
    /// Carries out one press of `control`: retunes the training or rebuilds the network, as
    /// the control's kind says. A press past the end of a ladder changes nothing.
    pub fn apply(&mut self, control: Control) -> Result<Effect, FieldError> {
        let mut config = self.config.clone();
        let rebuilds = change(&mut config, control, self.train.len());
        if config == self.config {
            return Ok(Effect::Unchanged);
        }
        config.validate()?;
        if rebuilds {
            *self = Playground::new(config, self.seed)?;
            return Ok(Effect::Rebuilt);
        }
        self.retune(config);
        Ok(Effect::Retuned)
    }

    /// Takes new learning settings for the network as it is; a divergence is forgotten, since
    /// the network was kept as it was before the step that diverged.
    fn retune(&mut self, config: PlaygroundConfig) {
        self.config = config;
        self.diverged = None;
        let batch = self.config.batch_size.min(self.train.len()).max(1);
        self.workspace = crate::nn::mlp::Workspace::new(&self.network, batch);
    }
}

/// Changes `config` as `control` asks; true when the network must start afresh.
fn change(config: &mut PlaygroundConfig, control: Control, train_points: usize) -> bool {
    match control {
        Control::Data(arrangement) => *config = config.with_arrangement(arrangement),
        Control::Noise(toward) => {
            config.data.noise = step_f32(&NOISE_LEVELS, config.data.noise, toward)
        }
        Control::TestFraction(toward) => {
            config.data.test_fraction = step_f32(&TEST_FRACTIONS, config.data.test_fraction, toward)
        }
        // a curve's x2 is its answer: only features of x1 may be fed to it
        Control::ToggleFeature(feature)
            if config.data.arrangement.is_curve() && !feature.of_x1_only() => {}
        Control::ToggleFeature(feature) => toggle_feature(&mut config.features, feature),
        Control::AddLayer if config.hidden.len() < MAX_LAYERS => {
            let activation = config
                .hidden
                .last()
                .map_or(Activation::Relu, |l| l.activation);
            config.hidden.push(LayerConfig {
                units: NEW_LAYER_UNITS,
                activation,
            });
        }
        Control::RemoveLayer => {
            config.hidden.pop();
        }
        Control::Units { layer, toward } => {
            if let Some(layer) = config.hidden.get_mut(layer) {
                layer.units = match toward {
                    Toward::More => (layer.units + 1).min(MAX_UNITS),
                    Toward::Less => layer.units.saturating_sub(1).max(1),
                };
            }
        }
        Control::NextActivation => next_activation(&mut config.hidden),
        Control::NextLoss => {
            config.loss = match config.loss {
                Loss::SigmoidBinaryCrossEntropy => Loss::SoftmaxCrossEntropy,
                Loss::SoftmaxCrossEntropy => Loss::SigmoidBinaryCrossEntropy,
                // a curve is fitted by squared error alone
                Loss::MeanSquaredError => Loss::MeanSquaredError,
            }
        }
        Control::NextInit => config.init = next_in(&INITS, config.init),
        Control::LearningRate(toward) => {
            config.learning_rate = step_f32(&LEARNING_RATES, config.learning_rate, toward);
            return false;
        }
        Control::BatchSize(toward) => {
            config.batch_size = step_batch(config.batch_size, toward, train_points);
            return false;
        }
        Control::Momentum(toward) => {
            config.momentum = step_f32(&MOMENTA, config.momentum, toward);
            return false;
        }
        Control::L2(toward) => {
            config.l2 = step_f32(&L2_DECAYS, config.l2, toward);
            return false;
        }
        Control::AddLayer => {}
    }
    true
}

/// Adds `feature` in its place among [`Feature::ALL`], or removes it unless it is the last.
fn toggle_feature(features: &mut Vec<Feature>, feature: Feature) {
    if let Some(at) = features.iter().position(|&f| f == feature) {
        if features.len() > 1 {
            features.remove(at);
        }
        return;
    }
    features.push(feature);
    features.sort_by_key(|f| Feature::ALL.iter().position(|g| g == f));
}

/// Every hidden layer takes the activation after the first layer's.
fn next_activation(hidden: &mut [LayerConfig]) {
    let Some(first) = hidden.first() else { return };
    let next = next_in(&ACTIVATIONS, first.activation);
    for layer in hidden {
        layer.activation = next;
    }
}

/// The value after `now` in `ladder`, round to the first (the first when `now` is not on it).
fn next_in<T: Copy + PartialEq>(ladder: &[T], now: T) -> T {
    let at = ladder.iter().position(|&v| v == now);
    ladder[at.map_or(0, |k| (k + 1) % ladder.len())]
}

/// The next rung above or below `now` (which need not be on the ladder); `now` at the ends.
fn step_f32(ladder: &[f32], now: f32, toward: Toward) -> f32 {
    let tolerance = now.abs() * 1e-3;
    let next = match toward {
        Toward::More => ladder.iter().find(|&&v| v > now + tolerance),
        Toward::Less => ladder.iter().rev().find(|&&v| v < now - tolerance),
    };
    next.copied().unwrap_or(now)
}

/// The next batch size: the ladder up to the training set's size, then the whole set.
fn step_batch(now: usize, toward: Toward, train_points: usize) -> usize {
    let whole = train_points.max(1);
    let mut ladder: Vec<usize> = BATCH_SIZES.iter().copied().filter(|&b| b < whole).collect();
    ladder.push(whole);
    let now = now.min(whole);
    let next = match toward {
        Toward::More => ladder.iter().find(|&&b| b > now),
        Toward::Less => ladder.iter().rev().find(|&&b| b < now),
    };
    next.copied().unwrap_or(now)
}
