//! Results taken to other tools: tables as CSV (classifications, training histories, confusion
//! matrices), weights as safetensors, and the misclassified images as folders. No Bevy here:
//! the command line and the window's Export both write through these.

pub mod misclassified;
pub mod tables;
pub mod weights;
