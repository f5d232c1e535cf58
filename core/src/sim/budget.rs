//! A budget of work for `Sim::step_budget`: how much a call may do before it pauses, so a
//! front end (the playground) can spread one long simulated instant over several animation
//! frames. The core has no clock, so the budget counts units of work, not time: one event
//! popped from the queue, one scheduling cycle, a piece of the controllers' sync (a
//! controller's sync, a reconcile, a pod created or deleted, `FEED_CHUNK` changes read:
//! `Controllers::sync_budget`), one changed pod of the kubelets' sync. The caller turns wall time into units (a few units, then it looks at its clock).
//!
//! Pausing never changes what the run does: `Sim::step_budget` pauses only where the
//! uninterrupted loop would go on with exactly what the resumed one does next (see
//! `Sim::step_budget`), so the trace and the report are byte-identical for every budget.

/// Units of work left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    left: u64,
}

impl Budget {
    /// At most `units` units (at least one: every call makes progress).
    pub fn new(units: u64) -> Budget {
        Budget { left: units.max(1) }
    }

    /// Never pauses: `Sim::step` and `Sim::run`.
    pub fn unlimited() -> Budget {
        Budget { left: u64::MAX }
    }

    /// One unit done.
    pub fn spend(&mut self) {
        if self.left != u64::MAX {
            self.left = self.left.saturating_sub(1);
        }
    }

    pub fn exhausted(&self) -> bool {
        self.left == 0
    }

    /// Units left (`u64::MAX`: unlimited).
    pub fn left(&self) -> u64 {
        self.left
    }
}

/// What a call of `Sim::step_budget` got to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The budget ran out inside an instant (`Sim::now`); the next call goes on with it.
    Progress,
    /// An instant is complete (its `always` and `at` expectations checked).
    InstantDone,
    /// The run is over (as `Sim::step` returning false).
    Finished,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_runs_out_after_its_units_and_unlimited_never_does() {
        let mut b = Budget::new(2);
        assert!(!b.exhausted());
        b.spend();
        assert!(!b.exhausted());
        b.spend();
        assert!(b.exhausted());
        b.spend();
        assert_eq!(b.left(), 0);
        assert_eq!(Budget::new(0).left(), 1, "every call makes progress");
        let mut u = Budget::unlimited();
        for _ in 0..1000 {
            u.spend();
        }
        assert!(!u.exhausted());
        assert_eq!(u.left(), u64::MAX);
    }
}
