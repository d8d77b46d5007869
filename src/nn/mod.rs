//! The Bevy-free numeric core: the Mark I's retina, plugboard, response units and learning rules.

pub mod mark1;
pub mod metrics;
pub mod plugboard;
pub mod retina;
pub mod rules;
