//! A visitor's minute as a state machine, without Bevy: the attract loop, a visit, the idle
//! countdown, and back.

use crate::scene::exhibit::ExhibitConfig;

/// Where the exhibit is in a visitor's minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    /// Nobody is there: the machine teaches itself, and the screen invites a touch.
    Attract,
    /// A visitor is at the screen; `idle` seconds since their last touch.
    Visiting { idle: f32 },
    /// Nobody has touched for a while: `left` seconds until the attract loop.
    Countdown { left: f32 },
}

/// What the exhibit must do after a touch or a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    None,
    /// A visitor arrived: stop the attract loop and hand them the machine.
    VisitStarted,
    /// The countdown appeared.
    CountdownStarted,
    /// A touch during the countdown: the visitor stays.
    CountdownCancelled,
    /// Nobody answered the countdown: back to the attract loop.
    AttractResumed,
}

/// The visitor's session: attract loop, visit, idle countdown, and back.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub phase: Phase,
    idle_seconds: f32,
    countdown_seconds: f32,
    /// Visits so far (for the log and the soak test).
    pub visits: u64,
}

impl Session {
    pub fn new(config: &ExhibitConfig) -> Self {
        Self {
            phase: Phase::Attract,
            idle_seconds: config.idle_seconds,
            countdown_seconds: config.countdown_seconds,
            visits: 0,
        }
    }

    /// A touch anywhere on the screen.
    pub fn touch(&mut self) -> Change {
        let change = match self.phase {
            Phase::Attract => {
                self.visits += 1;
                Change::VisitStarted
            }
            Phase::Visiting { .. } => Change::None,
            Phase::Countdown { .. } => Change::CountdownCancelled,
        };
        self.phase = Phase::Visiting { idle: 0.0 };
        change
    }

    /// `seconds` of clock time passed.
    pub fn tick(&mut self, seconds: f32) -> Change {
        match self.phase {
            Phase::Attract => Change::None,
            Phase::Visiting { idle } => {
                let idle = idle + seconds;
                if idle >= self.idle_seconds {
                    self.phase = Phase::Countdown {
                        left: self.countdown_seconds,
                    };
                    Change::CountdownStarted
                } else {
                    self.phase = Phase::Visiting { idle };
                    Change::None
                }
            }
            Phase::Countdown { left } => {
                let left = left - seconds;
                if left <= 0.0 {
                    self.phase = Phase::Attract;
                    Change::AttractResumed
                } else {
                    self.phase = Phase::Countdown { left };
                    Change::None
                }
            }
        }
    }

    /// Back to the attract loop now (the operator's reset, or an error).
    pub fn abandon(&mut self) -> Change {
        if self.phase == Phase::Attract {
            Change::None
        } else {
            self.phase = Phase::Attract;
            Change::AttractResumed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session::new(&ExhibitConfig {
            idle_seconds: 60.0,
            countdown_seconds: 10.0,
            ..ExhibitConfig::default()
        })
    }

    #[test]
    fn a_touch_starts_a_visit_and_idleness_counts_down_back_to_attract() {
        let mut s = session();
        assert_eq!(
            s.tick(1000.0),
            Change::None,
            "the attract loop never times out"
        );
        assert_eq!(s.touch(), Change::VisitStarted);
        assert_eq!(s.tick(59.0), Change::None);
        assert_eq!(s.tick(1.5), Change::CountdownStarted);
        assert_eq!(s.phase, Phase::Countdown { left: 10.0 });
        assert_eq!(s.tick(9.0), Change::None);
        assert_eq!(s.tick(1.0), Change::AttractResumed);
        assert_eq!(s.phase, Phase::Attract);
        assert_eq!(s.visits, 1);
    }

    #[test]
    fn a_touch_during_the_countdown_keeps_the_visitor() {
        let mut s = session();
        s.touch();
        s.tick(61.0);
        assert_eq!(s.touch(), Change::CountdownCancelled);
        assert_eq!(s.phase, Phase::Visiting { idle: 0.0 });
        assert_eq!(s.tick(30.0), Change::None, "the idle clock restarted");
        assert_eq!(s.visits, 1);
    }
}
