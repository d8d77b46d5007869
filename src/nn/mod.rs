//! The Bevy-free numeric core: the Mark I (retina, plugboard, R-units, reinforcement) and the MLP.

pub mod activation;
pub mod kernel;
pub mod loss;
pub mod mark1;
pub mod metrics;
pub mod mlp;
pub mod mlp_model;
pub mod plugboard;
pub mod retina;
pub mod rules;
