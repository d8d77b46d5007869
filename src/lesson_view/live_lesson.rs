//! A lesson as it runs in the window: its knobs turned, its clock played, and each new state
//! taught off the main thread, so that the frames keep coming however long a lesson takes. No
//! rendering here: a headless App drives it in tests.

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, poll_once};

use crate::lessons::{Clock, Lesson, LessonReport};
use crate::playground::controls::Toward;
use crate::ui::pace::{FrameNeed, Pace};

/// The lesson on screen: its settings now, and the last report taught from them.
#[derive(Resource)]
pub struct LiveLesson {
    /// The settings, with the clock (a lesson's steps or epochs) at its configured end.
    pub lesson: Lesson,
    pub seed: u64,
    pub description: String,
    /// How far a live run has got, for a lesson that trains.
    pub clock: Option<Clock>,
    pub running: bool,
    /// What the charts show, and the settings (clock included) it was taught with.
    pub report: LessonReport,
    shown: Lesson,
    /// Counts every new report: the pictures redraw when it moves.
    pub version: u64,
    /// When (seconds on the window's clock) a running clock last moved.
    moved_at: f64,
    teaching: Option<Task<(Lesson, LessonReport)>>,
}

/// What the page's controls (and tests) ask of the lesson.
#[derive(Message, Component, Clone, Copy, Debug, PartialEq)]
pub enum LessonRequest {
    /// Play the clock (from the start when it is at the end), or pause it.
    ToggleRun,
    /// One step or epoch on.
    Step,
    /// Back to the start, before the first step.
    Reset,
    /// Set knob `index` to `value`, one of its stops.
    Knob { index: usize, value: f64 },
    /// Knob `index` one stop along.
    Nudge { index: usize, toward: Toward },
    /// A stroke across chart `chart`, in its data coordinates (see [`Teach::touch`]).
    Touch {
        chart: usize,
        from: [f64; 2],
        to: [f64; 2],
    },
}

impl LiveLesson {
    /// The lesson as configured, taught once here, its clock at the end.
    pub fn new(lesson: Lesson, seed: u64, description: String) -> Self {
        let clock = lesson.lesson().clock().map(Clock::finished);
        let report = lesson.run(seed);
        Self {
            shown: lesson.clone(),
            lesson,
            seed,
            description,
            clock,
            running: false,
            report,
            version: 0,
            moved_at: f64::NEG_INFINITY,
            teaching: None,
        }
    }

    /// The settings the charts should show: the lesson with its clock where the run is.
    pub fn wanted(&self) -> Lesson {
        let mut lesson = self.lesson.clone();
        if let Some(clock) = self.clock {
            lesson.lesson_mut().set_clock(clock.at);
        }
        lesson
    }

    /// Where the clock stood for the report on screen (it runs one report ahead).
    pub fn shown_clock(&self) -> Option<usize> {
        self.shown.lesson().clock()
    }

    /// Whether the report shows the settings and clock as they are now.
    pub fn is_current(&self) -> bool {
        self.shown == self.wanted()
    }

    /// Carries out one request; the report follows when it has been taught.
    pub fn carry_out(&mut self, request: LessonRequest) {
        match request {
            LessonRequest::ToggleRun => {
                if self.running {
                    self.running = false;
                } else if let Some(clock) = self.clock {
                    if clock.is_finished() {
                        self.clock = Some(clock.rewound());
                    }
                    self.running = true;
                }
            }
            LessonRequest::Step => {
                self.running = false;
                self.clock = self.clock.map(Clock::stepped);
            }
            LessonRequest::Reset => {
                self.running = false;
                self.clock = self.clock.map(Clock::rewound);
            }
            LessonRequest::Knob { index, value } => self.lesson.lesson_mut().set_knob(index, value),
            LessonRequest::Nudge { index, toward } => {
                let knobs = self.lesson.lesson().knobs();
                if let Some(value) = knobs.get(index).and_then(|k| k.next_stop(toward)) {
                    self.lesson.lesson_mut().set_knob(index, value);
                }
            }
            LessonRequest::Touch { chart, from, to } => {
                self.lesson.lesson_mut().touch(chart, from, to)
            }
        }
    }

    /// Takes a finished report, moves a running clock on once the report shows where it is,
    /// and starts teaching the settings on screen when the report no longer shows them.
    pub fn update(&mut self, now: f64) {
        if let Some(task) = &mut self.teaching {
            let Some((lesson, report)) = block_on(poll_once(task)) else {
                return;
            };
            self.teaching = None;
            self.received(lesson, report);
        }
        self.tick(now);
        if !self.is_current() {
            let (lesson, seed) = (self.wanted(), self.seed);
            self.teaching = Some(AsyncComputeTaskPool::get().spawn(async move {
                let report = lesson.run(seed);
                (lesson, report)
            }));
        }
    }

    /// While running, the clock moves on once the charts show where it is and the lesson's
    /// pace allows (`now` in seconds); at the end the run stops.
    pub fn tick(&mut self, now: f64) {
        if !self.running || !self.is_current() {
            return;
        }
        match self.clock {
            Some(_) if now - self.moved_at < self.lesson.lesson().pace() => {}
            Some(clock) if !clock.is_finished() => {
                self.clock = Some(clock.advanced());
                self.moved_at = now;
            }
            _ => self.running = false,
        }
    }

    /// Teaches the settings on screen here and now, waiting for any report under way: what
    /// tests and screenshots use to see a settled page.
    pub fn settle(&mut self) {
        if let Some(task) = self.teaching.take() {
            let (lesson, report) = block_on(task);
            self.received(lesson, report);
        }
        if !self.is_current() {
            let lesson = self.wanted();
            let report = lesson.run(self.seed);
            self.received(lesson, report);
        }
    }

    fn received(&mut self, lesson: Lesson, report: LessonReport) {
        self.shown = lesson;
        self.report = report;
        self.version += 1;
    }
}

/// The lesson's requests and its teaching in the background; needs a [`LiveLesson`].
pub(super) fn plugin(app: &mut App) {
    app.add_message::<LessonRequest>()
        .init_resource::<FrameNeed>()
        .add_systems(
            Update,
            (carry_out_requests, keep_teaching, declare_frame_need).chain(),
        );
}

/// Every frame while the clock plays or a report is being taught; at rest otherwise.
fn declare_frame_need(live: Res<LiveLesson>, mut need: ResMut<FrameNeed>) {
    if live.running || live.teaching.is_some() {
        need.at_least(Pace::EveryFrame);
    }
}

pub(super) fn carry_out_requests(
    mut requests: MessageReader<LessonRequest>,
    mut live: ResMut<LiveLesson>,
) {
    for request in requests.read() {
        live.carry_out(*request);
    }
}

fn keep_teaching(mut live: ResMut<LiveLesson>, time: Res<Time<Real>>) {
    live.update(time.elapsed_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::{DescentLesson, LdaLesson, Teach, XorLesson};
    use serde_json::json;

    fn live(lesson: Lesson) -> LiveLesson {
        LiveLesson::new(lesson, 1, String::new())
    }

    #[test]
    fn a_lesson_opens_finished_and_a_run_replays_it_from_the_start() {
        let mut l = live(Lesson::Xor(XorLesson::default()));
        assert_eq!(l.clock, Some(Clock::finished(2000)));
        assert!(l.is_current());
        let finished = l.report.figures.clone();
        l.carry_out(LessonRequest::Reset);
        l.settle();
        // Before the first epoch nothing has been learned.
        let untrained = &l.report.figures;
        assert!(untrained["mlp_loss"].as_f64().unwrap() > 0.6, "{untrained}");
        l.carry_out(LessonRequest::ToggleRun);
        let mut reports = 0;
        while l.running {
            l.tick(reports as f64);
            l.settle();
            reports += 1;
            assert!(reports < 400);
        }
        assert_eq!(l.clock.unwrap().at, 2000);
        assert!(reports > 20, "{reports}");
        assert_eq!(l.report.figures, finished);
    }

    #[test]
    fn a_walk_through_the_graph_waits_to_be_read_at_each_node() {
        let mut l = live(Lesson::Backpropagation(
            crate::lessons::BackpropLesson::default(),
        ));
        l.carry_out(LessonRequest::ToggleRun);
        l.settle();
        // Four ticks in the first second move the clock once: the lesson's pace is 0.8 s.
        for now in [0.0, 0.2, 0.4, 0.6] {
            l.tick(now);
            l.settle();
        }
        assert_eq!(l.clock.unwrap().at, 1);
        l.tick(0.9);
        assert_eq!(l.clock.unwrap().at, 2);
    }

    #[test]
    fn steps_on_the_clock_are_the_lesson_run_for_that_many_steps() {
        let mut l = live(Lesson::LogisticVsLda(LdaLesson::default()));
        l.carry_out(LessonRequest::Reset);
        for _ in 0..3 {
            l.carry_out(LessonRequest::Step);
        }
        l.settle();
        let direct = LdaLesson {
            epochs: 3,
            ..LdaLesson::default()
        }
        .teach(1);
        assert_eq!(l.report.figures, direct.figures);
        assert_eq!(l.clock.unwrap().at, 3);
    }

    #[test]
    fn a_knob_changes_the_setting_it_names_and_the_charts_follow() {
        let mut l = live(Lesson::GradientDescent(DescentLesson::default()));
        let knobs = l.lesson.lesson().knobs();
        assert_eq!(knobs[2].shown, "0.01");
        // Run 3 diverges at gamma 0.2; choose it and bring its gamma down to 0.02.
        l.carry_out(LessonRequest::Knob {
            index: 0,
            value: 2.0,
        });
        l.carry_out(LessonRequest::Knob {
            index: 2,
            value: 0.02,
        });
        l.settle();
        let Lesson::GradientDescent(descent) = &l.lesson else {
            panic!()
        };
        assert_eq!(descent.runs[2].learning_rate, 0.02);
        assert_eq!(descent.runs[0].learning_rate, 0.01);
        let run = &l.report.figures["runs"][2];
        assert!(run.get("diverged_at").is_none(), "{run}");
        assert!(
            (run["theta"].as_f64().unwrap() - 1.1309).abs() < 1e-3,
            "{run}"
        );
        // One stop up the start's ladder from 2.0 is 2.1; at the ladder's end nothing moves.
        l.carry_out(LessonRequest::Nudge {
            index: 1,
            toward: Toward::More,
        });
        assert_eq!(l.lesson.lesson().knobs()[1].shown, "2.1");
        for _ in 0..10 {
            l.carry_out(LessonRequest::Nudge {
                index: 1,
                toward: Toward::More,
            });
        }
        assert_eq!(l.lesson.lesson().knobs()[1].shown, "2.4");
        assert!(!l.is_current());
        l.settle();
        assert_eq!(l.report.figures["runs"][2]["start"], json!(2.4));
    }

    #[test]
    fn a_headless_app_teaches_in_the_background_and_the_frames_keep_coming() {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(live(Lesson::Xor(XorLesson::default())))
            .add_plugins(plugin);
        app.update();
        app.world_mut().write_message(LessonRequest::ToggleRun);
        app.update();
        assert!(app.world().resource::<LiveLesson>().running);
        let mut frames = 0;
        while app.world().resource::<LiveLesson>().running {
            app.update();
            frames += 1;
            assert!(frames < 100_000, "the run never ended");
        }
        let l = app.world().resource::<LiveLesson>();
        assert_eq!(l.clock.unwrap().at, 2000);
        assert!(l.version > 20, "{}", l.version);
        assert!(l.report.figures["mlp_accuracy"] == json!(1.0));
    }
}
