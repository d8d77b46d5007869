//! mark1: a simulator of Frank Rosenblatt's Mark I Perceptron (Cornell Aeronautical Laboratory,
//! 1958-60), with the modern multi-layer perceptron beside it.
//!
//! - [`nn`]: the Bevy-free numeric core (retina, plugboard, R-units, reinforcement rules, metrics).
//! - [`data`]: image folders, IDX files and the generated historical sets.
//! - [`scene`]: the typed `scenes/*.ron` configuration, one seed for every random choice.
//! - [`exhibit`]: the exhibit's settings, visitor sessions, strings and log, without Bevy.
//! - [`kiosk`]: museum mode in the window: attract loop, idle countdown, operator exit.
//! - [`experiment`]: data + model + training loop, shared by the command line and the tests.
//! - [`lessons`]: the lecture's demonstrations (LDA vs logistic regression, XOR, universal
//!   approximation, gradient descent, vanishing gradients).
//! - [`files`]: reads capped in size; atomic saves that replace only their own kind of file.
//! - [`model_file`]: saving and loading a trained machine (RON, atomic, versioned).
//! - [`cli`]: the headless command line (`train`, `eval`, `classify`, `bench`).
//! - [`sim`]: the machine as an ECS simulation (units as entities, the cycle as system sets).
//! - [`panel`]: the rendered control panel that decorates the simulation with lamps and dials.
//! - [`app`]: the window: the simulation, the panel, screenshots.

pub mod app;
pub mod args;
pub mod chart;
pub mod cli;
pub mod data;
pub mod exhibit;
pub mod experiment;
pub mod files;
pub mod kiosk;
pub mod lesson_view;
pub mod lessons;
pub mod model_file;
pub mod nn;
pub mod panel;
pub mod scene;
pub mod seeds;
pub mod sim;

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers shared by the unit tests.

    /// A fresh, empty folder for one test: `<tmp>/mark1-<name>-<pid>`.
    pub fn scratch_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mark1-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary folder");
        dir
    }
}
