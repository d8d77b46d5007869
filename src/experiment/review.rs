//! An epoch's evaluation spread over the window's updates: both machines as they stood when
//! the epoch closed, counted on the training and test images a slice at a time, so that
//! closing an epoch never makes a frame late, while training goes on beside it.

use super::live::ConfusionView;
use crate::data::{GrayImage, ImageSet};
use crate::nn::mark1::{ActivityCache, Mark1};
use crate::nn::metrics::{Confusion, EpochRecord};
use crate::nn::mlp::EVALUATION_BATCH;
use crate::nn::mlp_model::MlpModel;

/// How much of a review one step counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct ReviewPace {
    /// Images the Mark I answers.
    pub mark1_images: usize,
    /// Multiply-adds the MLP spends on each of its threads, rounded to whole rounds of
    /// evaluation batches (at least one: a batch on each thread).
    pub mlp_macs: usize,
}

impl ReviewPace {
    /// A window's update: a millisecond or two of one core for each machine (8,192 Mark I
    /// images; one batch of 256 through a 784-256-128 MLP).
    pub const PANEL: Self = Self {
        mark1_images: 8192,
        mlp_macs: 1 << 25,
    };
}

/// Training or test images.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Images {
    Training,
    Test,
}

/// The images an epoch is judged on and each machine's encoding of them, lent for one step.
/// They stay the same while a review is under way: a reload or a reset drops the review.
pub(super) struct ReviewData<'a> {
    pub train: &'a ImageSet,
    pub test: Option<&'a ImageSet>,
    pub mark1_train: &'a ActivityCache,
    pub mark1_test: Option<&'a ActivityCache>,
    pub modern_train: Option<&'a [f32]>,
    pub modern_test: Option<&'a [f32]>,
}

impl ReviewData<'_> {
    fn set(&self, images: Images) -> Option<&ImageSet> {
        match images {
            Images::Training => Some(self.train),
            Images::Test => self.test,
        }
    }

    fn mark1_inputs(&self, images: Images) -> Option<&ActivityCache> {
        match images {
            Images::Training => Some(self.mark1_train),
            Images::Test => self.mark1_test,
        }
    }

    fn modern_inputs(&self, images: Images) -> Option<&[f32]> {
        match images {
            Images::Training => self.modern_train,
            Images::Test => self.modern_test,
        }
    }
}

/// One machine's answers on one image set, counted so far.
struct Tally {
    images: Images,
    counted: usize,
    confusion: Confusion,
}

impl Tally {
    fn new(images: Images, classes: usize) -> Self {
        Self {
            images,
            counted: 0,
            confusion: Confusion::new(classes),
        }
    }

    /// The tallies a machine is judged by: the training images, and the test images where
    /// both the set and the machine's encoding of it exist.
    fn for_sets(test: bool, classes: usize) -> Vec<Self> {
        let mut tallies = vec![Self::new(Images::Training, classes)];
        if test {
            tallies.push(Self::new(Images::Test, classes));
        }
        tallies
    }

    /// Counts the answers to the next `predicted.len()` images of `labels`.
    fn count(&mut self, predicted: &[usize], labels: &[u16]) {
        let labels = &labels[self.counted..self.counted + predicted.len()];
        for (&guess, &truth) in predicted.iter().zip(labels) {
            self.confusion.add(truth as usize, guess);
        }
        self.counted += predicted.len();
    }

    fn accuracy(&self) -> f64 {
        self.confusion.accuracy()
    }
}

/// The first tally with images left to count, and the set it counts (a tally whose images
/// are gone is closed as it stands).
fn next_open<'t, 'd>(
    tallies: &'t mut [Tally],
    data: &'d ReviewData,
) -> Option<(&'t mut Tally, &'d ImageSet)> {
    for tally in tallies.iter_mut() {
        match data.set(tally.images) {
            Some(set) if tally.counted < set.len() => return Some((tally, set)),
            Some(_) => {}
            None => tally.counted = usize::MAX,
        }
    }
    None
}

/// The MLP's share of a review.
struct ModernReview {
    model: MlpModel,
    record: EpochRecord,
    tallies: Vec<Tally>,
}

impl ModernReview {
    /// Rounds of evaluation batches in one step (a round: one batch on each thread).
    fn rounds_per_step(&self, pace: ReviewPace) -> usize {
        let macs_per_batch = (EVALUATION_BATCH * self.model.network.forward_macs()).max(1);
        (pace.mlp_macs / macs_per_batch).max(1)
    }

    /// Counts the next rows, up to a step's rounds of batches, into the open tallies in turn.
    /// Every slice starts at a multiple of the evaluation batch, where a batch of the whole
    /// set's evaluation starts, so it is computed to the same bits.
    fn step(&mut self, data: &ReviewData, pace: ReviewPace) {
        let mut rounds = self.rounds_per_step(pace);
        let threads = self.model.threads();
        let p = self.model.network.input_size().max(1);
        while rounds > 0 {
            let Some((tally, set)) = next_open(&mut self.tallies, data) else {
                return;
            };
            let inputs = data.modern_inputs(tally.images).unwrap_or_default();
            let start = tally.counted;
            let end = (start + rounds * threads * EVALUATION_BATCH)
                .min(set.len())
                .min(inputs.len() / p);
            if end == start {
                // inputs shorter than their set: nothing more can be counted
                tally.counted = usize::MAX;
                continue;
            }
            let predicted = self.model.predict(&inputs[start * p..end * p]);
            tally.count(&predicted, &set.labels);
            let batches = (end - start).div_ceil(EVALUATION_BATCH);
            rounds = rounds.saturating_sub(batches.div_ceil(threads));
        }
    }

    fn is_done(&self, data: &ReviewData) -> bool {
        all_counted(&self.tallies, data)
    }

    fn record(mut self) -> EpochRecord {
        self.record.train_accuracy = self.tallies[0].accuracy();
        self.record.test_accuracy = self.tallies.get(1).map(Tally::accuracy);
        self.record
    }
}

fn all_counted(tallies: &[Tally], data: &ReviewData) -> bool {
    tallies
        .iter()
        .all(|t| data.set(t.images).is_none_or(|set| t.counted >= set.len()))
}

/// Keeps the first image of `set` to fall in each cell of the confusion matrix, from the
/// answers `predicted` to its images from `start` on.
pub(super) fn keep_examples(
    examples: &mut [Option<GrayImage>],
    set: &ImageSet,
    start: usize,
    predicted: &[usize],
) {
    let classes = set.classes.len();
    for (k, &guess) in (start..).zip(predicted) {
        let cell = set.labels[k] as usize * classes + guess;
        if let Some(example) = examples.get_mut(cell) {
            example.get_or_insert_with(|| set.images[k].clone());
        }
    }
}

/// What a finished review gives the bench.
pub(super) struct Reviewed {
    pub mark1: EpochRecord,
    pub modern: Option<EpochRecord>,
    pub confusion: ConfusionView,
}

/// An epoch being judged: both machines as they were when it closed, and the counts so far.
pub(super) struct EpochReview {
    pace: ReviewPace,
    mark1: Mark1,
    record: EpochRecord,
    tallies: Vec<Tally>,
    /// `examples[truth * classes + predicted]`: the first image of the last tally's set that
    /// fell in that cell (the test images if there are any).
    examples: Vec<Option<GrayImage>>,
    modern: Option<ModernReview>,
}

impl EpochReview {
    /// A review of `mark1` (and `modern`) as they stand, whose records so far (the errors
    /// made during the epoch) get their accuracies when the counting is done.
    pub fn new(
        pace: ReviewPace,
        mark1: Mark1,
        record: EpochRecord,
        modern: Option<(MlpModel, EpochRecord)>,
        data: &ReviewData,
    ) -> Self {
        let classes = data.train.classes.len();
        let test = data.test.is_some() && data.mark1_test.is_some();
        let modern_test = data.test.is_some() && data.modern_test.is_some();
        Self {
            pace,
            mark1,
            record,
            tallies: Tally::for_sets(test, classes),
            examples: vec![None; classes * classes],
            modern: modern.map(|(model, record)| ModernReview {
                model,
                record,
                tallies: Tally::for_sets(modern_test, classes),
            }),
        }
    }

    /// Counts one slice for each machine; true when both have counted every image.
    pub fn step(&mut self, data: &ReviewData) -> bool {
        self.step_mark1(data);
        if let Some(modern) = &mut self.modern {
            modern.step(data, self.pace);
        }
        self.is_done(data)
    }

    /// Counts the next images, up to a step's worth, into the open tallies in turn.
    fn step_mark1(&mut self, data: &ReviewData) {
        let shown = self.tallies.last().map(|t| t.images);
        let mut left = self.pace.mark1_images.max(1);
        while left > 0 {
            let Some((tally, set)) = next_open(&mut self.tallies, data) else {
                return;
            };
            let Some(cache) = data.mark1_inputs(tally.images) else {
                tally.counted = usize::MAX;
                continue;
            };
            let start = tally.counted;
            let end = (start + left).min(set.len()).min(cache.len());
            if end == start {
                // encodings shorter than their set: nothing more can be counted
                tally.counted = usize::MAX;
                continue;
            }
            let predicted = self.mark1.predict_cached_in(cache, start..end);
            tally.count(&predicted, &set.labels);
            if Some(tally.images) == shown {
                keep_examples(&mut self.examples, set, start, &predicted);
            }
            left -= end - start;
        }
    }

    fn is_done(&self, data: &ReviewData) -> bool {
        all_counted(&self.tallies, data) && self.modern.as_ref().is_none_or(|m| m.is_done(data))
    }

    /// The records with their accuracies, and the Mark I's confusion matrix with examples.
    pub fn finish(mut self) -> Reviewed {
        self.record.train_accuracy = self.tallies[0].accuracy();
        self.record.test_accuracy = self.tallies.get(1).map(Tally::accuracy);
        let shown = self
            .tallies
            .pop()
            .expect("a review counts the training images");
        let images = match shown.images {
            Images::Training => "training",
            Images::Test => "test",
        };
        Reviewed {
            mark1: self.record,
            modern: self.modern.map(ModernReview::record),
            confusion: ConfusionView {
                confusion: shown.confusion,
                examples: self.examples,
                images,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::LiveExperiment;
    use crate::scene::Scene;

    /// The `mlp.ron` scene: 26 letters, 390 training and 130 test images, a 784-256-128 MLP
    /// beside the default Mark I.
    fn bench() -> LiveExperiment {
        let scene = Scene::load(std::path::Path::new("scenes/mlp.ron")).expect("mlp.ron");
        LiveExperiment::prepare(scene).expect("the scene builds")
    }

    fn data_of(bench: &LiveExperiment) -> ReviewData<'_> {
        let learner = &bench.experiment.learner;
        let modern = &bench.companion.as_ref().expect("a companion").learner;
        ReviewData {
            train: &bench.experiment.train,
            test: bench.experiment.test.as_ref(),
            mark1_train: &learner.train_inputs,
            mark1_test: learner.test_inputs.as_ref(),
            modern_train: Some(&modern.train_inputs),
            modern_test: modern.test_inputs.as_deref(),
        }
    }

    #[test]
    fn a_review_in_small_slices_counts_what_evaluating_the_whole_sets_does() {
        let mut bench = bench();
        bench.run_quietly(100);
        let companion = bench.companion.as_ref().unwrap();
        let data = data_of(&bench);
        let (train, test) = (data.train, data.test.unwrap());
        assert_eq!((train.len(), test.len()), (390, 130));
        // the MLP one batch of 256 rows a step, on one thread
        let mut model = companion.model().clone();
        model.config.threads = Some(1);
        let pace = ReviewPace {
            mark1_images: 37,
            mlp_macs: 1,
        };
        let record = |errors| EpochRecord {
            epoch: 1,
            errors,
            ..EpochRecord::default()
        };
        let mark1 = bench.machine().clone();
        let mut review = EpochReview::new(pace, mark1, record(5), Some((model, record(7))), &data);
        let mut steps = 1;
        while !review.step(&data) {
            steps += 1;
            assert!(steps < 100, "the review never ended");
        }
        // the Mark I: ceil(390 / 37) + ceil(130 / 37) steps; the MLP is done in 3
        assert_eq!(steps, 11 + 4);
        let reviewed = review.finish();

        let experiment = &bench.experiment;
        let mark1_test = experiment.test_confusion().unwrap();
        assert_eq!(reviewed.confusion.confusion, mark1_test);
        assert_eq!(reviewed.confusion.images, "test");
        let expected = EpochRecord {
            train_accuracy: experiment.train_confusion().accuracy(),
            test_accuracy: Some(mark1_test.accuracy()),
            ..record(5)
        };
        assert_eq!(reviewed.mark1, expected);
        assert!(
            (0.05..1.0).contains(&expected.train_accuracy),
            "{expected:?}"
        );
        // the first test image of each cell, in the set's order
        let predicted = bench.machine().predict_cached(data.mark1_test.unwrap());
        for (cell, example) in reviewed.confusion.examples.iter().enumerate() {
            let first =
                (0..test.len()).find(|&k| test.labels[k] as usize * 26 + predicted[k] == cell);
            assert_eq!(
                example.as_ref(),
                first.map(|k| &test.images[k]),
                "cell {cell}"
            );
        }
        // the MLP (evaluated whole on its own two threads here) to the same counts
        let learner = &companion.learner;
        let expected = EpochRecord {
            train_accuracy: learner.train_confusion(&train.labels).accuracy(),
            test_accuracy: learner.test_confusion(Some(test)).map(|c| c.accuracy()),
            ..record(7)
        };
        assert_eq!(reviewed.modern, Some(expected));
    }

    #[test]
    fn the_mlp_counts_a_batch_on_each_thread_a_step_and_the_training_then_the_test_images() {
        let bench = bench();
        let data = data_of(&bench);
        let pace = ReviewPace {
            mark1_images: 1 << 20,
            mlp_macs: 1,
        };
        let steps = |threads| {
            let mut model = bench.companion.as_ref().unwrap().model().clone();
            model.config.threads = Some(threads);
            let (mark1, record) = (bench.machine().clone(), EpochRecord::default());
            let modern = Some((model, record.clone()));
            let mut review = EpochReview::new(pace, mark1, record, modern, &data);
            (1..).find(|_| review.step(&data)).unwrap()
        };
        // 390 training images: 256 + 134 on one thread, then the 130 test images
        assert_eq!(steps(1), 3);
        // two batches at once, then the test images
        assert_eq!(steps(2), 2);
        assert_eq!(steps(4), 2);
    }

    #[test]
    fn an_epoch_judged_over_updates_files_what_judging_it_at_once_does_while_training_goes_on() {
        let (mut at_once, mut over_updates) = (bench(), bench());
        let epoch = at_once.left_in_epoch();
        for bench in [&mut at_once, &mut over_updates] {
            bench.run_quietly(epoch);
        }
        at_once.finish_epoch();
        over_updates.end_epoch();
        // the epoch is closed but not yet judged: the training images counted, not the test
        assert!(over_updates.reviewing());
        assert_eq!(over_updates.epoch(), 2);
        assert!(over_updates.experiment.history.is_empty());
        assert_eq!(over_updates.left_in_epoch(), epoch);
        // the next epoch's training goes on meanwhile, on the machines themselves
        for bench in [&mut at_once, &mut over_updates] {
            bench.run_quietly(100);
        }
        over_updates.continue_review();
        assert!(!over_updates.reviewing());
        assert_eq!(over_updates.epoch(), 2);
        assert_eq!(over_updates.experiment.history, at_once.experiment.history);
        let modern = |b: &LiveExperiment| b.companion.as_ref().unwrap().history.clone();
        assert_eq!(modern(&over_updates), modern(&at_once));
        assert_eq!(modern(&at_once).len(), 1);
        let view = |b: &LiveExperiment| b.confusion.clone().unwrap();
        assert_eq!(view(&over_updates).confusion, view(&at_once).confusion);
        assert_eq!(view(&over_updates).examples, view(&at_once).examples);
        assert_eq!(over_updates.machine().weights, at_once.machine().weights);
        assert_eq!(
            over_updates.companion.as_ref().unwrap().model(),
            at_once.companion.as_ref().unwrap().model()
        );
    }
}
