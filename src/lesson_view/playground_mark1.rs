//! The Mark I beside the playground's network: trained off the main thread on the same points
//! whenever they change, its decision surface ready to take the network's place on the page.

use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, poll_once};

use crate::data::plane::PlaneSet;
use crate::playground::Playground;
use crate::playground::mark1::Mark1OnPoints;

/// Passes of error correction the Mark I gets on the points.
pub const MARK1_PASSES: usize = 30;
/// The side of the grid its decision surface is sampled on.
pub const MARK1_SIDE: usize = 60;

/// The Mark I's decision surface for one set of points.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark1Surface {
    /// The points it was trained and tested on, and the seed it was wired from.
    pub points: (PlaneSet, PlaneSet, u64),
    /// The class it gives each point of a [`MARK1_SIDE`]-square grid, top row first.
    pub classes: Vec<u16>,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
}

/// Whether the Mark I is on the page, and its surface for the points on screen.
#[derive(Default)]
pub struct Mark1View {
    pub shown: bool,
    pub surface: Option<Mark1Surface>,
    /// Why it could not be trained, if it could not.
    pub failure: Option<String>,
    training: Option<Task<Result<Mark1Surface, String>>>,
}

fn points_of(p: &Playground) -> (PlaneSet, PlaneSet, u64) {
    (p.train.clone(), p.test.clone(), p.seed)
}

/// The Mark I trained on the points, and its surface.
pub fn train_on((train, test, seed): (PlaneSet, PlaneSet, u64)) -> Result<Mark1Surface, String> {
    let mark1 = Mark1OnPoints::train(&train, &test, seed, MARK1_PASSES)?;
    Ok(Mark1Surface {
        classes: mark1.surface(MARK1_SIDE),
        train_accuracy: mark1.train_accuracy,
        test_accuracy: mark1.test_accuracy,
        points: (train, test, seed),
    })
}

impl Mark1View {
    /// Whether the Mark I is learning the points off the main thread.
    pub fn is_training(&self) -> bool {
        self.training.is_some()
    }

    /// The surface, when it is the one for the points on screen.
    pub fn current(&self, p: &Playground) -> Option<&Mark1Surface> {
        self.surface
            .as_ref()
            .filter(|s| s.points.0 == p.train && s.points.1 == p.test && s.points.2 == p.seed)
    }

    /// While shown: takes a finished surface, and trains the Mark I again when the points
    /// changed. Returns whether a new surface arrived.
    pub fn update(&mut self, p: &Playground) -> bool {
        let mut arrived = false;
        // points on a curve have no classes to sort
        self.shown &= !p.is_curve();
        if let Some(task) = &mut self.training {
            let Some(result) = block_on(poll_once(task)) else {
                return false;
            };
            self.training = None;
            self.received(result);
            arrived = true;
        }
        if self.shown && self.current(p).is_none() && self.failure.is_none() {
            let points = points_of(p);
            self.training =
                Some(AsyncComputeTaskPool::get().spawn(async move { train_on(points) }));
        }
        arrived
    }

    /// Trains here and now (for tests and screenshots), waiting for any training under way.
    pub fn settle(&mut self, p: &Playground) {
        if let Some(task) = self.training.take() {
            self.received(block_on(task));
        }
        if self.shown && self.current(p).is_none() {
            self.received(train_on(points_of(p)));
        }
    }

    fn received(&mut self, result: Result<Mark1Surface, String>) {
        match result {
            Ok(surface) => {
                self.surface = Some(surface);
                self.failure = None;
            }
            Err(e) => self.failure = Some(e),
        }
    }
}
