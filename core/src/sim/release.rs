//! Handing a context's held runtime commands and wake-ups over, in pieces.
//!
//! A settle round holds the kubelets' runtime commands and every component's wake-ups until
//! the round completes (`Sim::with_held_ctx`); then each command goes to the runtime, the
//! events the runtime answers with go into the event queue, and the wake-ups after them. At
//! t=0 of a 30,000-pod scenario one round holds tens of thousands of commands, and handing
//! them over at once was one unit of work of 25–60 ms natively (growing the vector of
//! answers, twice the size each time, into fresh memory): a long frame in the playground.
//! `Sim::release_budget` does the same in units of `CHUNK` commands or events, keeping the
//! answers in fixed-size chunks, so no step copies or touches more than a chunk's worth.
//!
//! The order is exactly the one-go order, so the run is the same for every budget: every
//! command is submitted, in order, before any answer is queued (an answer's incarnation is
//! read after the whole batch, as before), then the answers in order, then the wake-ups.

use super::budget::Budget;
use super::{Event, PlanEntry, Sim, Wake};
use crate::kubelet::plan::{ContainerRuntime, RuntimeCommand, RuntimeEvent};
use crate::rng::SimRng;
use crate::time::{Duration, SimTime};

/// Commands submitted, or answers queued, per unit of work.
const CHUNK: usize = 256;

/// A hand-over in progress (`Sim::release_budget`).
#[derive(Debug, Default)]
pub(super) struct Release {
    /// Commands not yet submitted, in order.
    cmds: std::vec::IntoIter<RuntimeCommand>,
    /// The runtime's answers so far, in order, in chunks of at most about `CHUNK`.
    answers: Vec<Vec<(Duration, RuntimeEvent)>>,
    /// Answer chunks already queued.
    queued: usize,
    wakes: Vec<(SimTime, Wake)>,
}

impl Sim {
    /// Hand the held commands and wake-ups over (`with_ctx`'s second half), all at once.
    pub(super) fn release_held(&mut self) {
        let done = self.release_budget(&mut Budget::unlimited());
        debug_assert!(done);
    }

    /// Hand the held commands and wake-ups over, or go on with the hand-over a previous call
    /// paused. False when `budget` ran out first; the next call goes on where this one
    /// stopped. Nothing may be held anew until it returns true (the caller's stage waits).
    pub(super) fn release_budget(&mut self, budget: &mut Budget) -> bool {
        let mut r = match self.releasing.take() {
            Some(r) => r,
            None => Release {
                cmds: std::mem::take(&mut self.held_cmds).into_iter(),
                answers: Vec::new(),
                queued: 0,
                wakes: std::mem::take(&mut self.held_wakes),
            },
        };
        self.runtime.set_now(self.now);
        while r.cmds.len() > 0 {
            // Behaviour jitter draws from the run's generator, in command order.
            let rng = std::mem::replace(&mut self.rng, SimRng::new(0));
            self.runtime.lend_rng(rng);
            for c in r.cmds.by_ref().take(CHUNK) {
                if let Some(plan) = &mut self.plan {
                    plan.push((self.now, PlanEntry::Command(c.clone())));
                }
                if r.answers.last().is_none_or(|a| a.len() >= CHUNK) {
                    r.answers.push(Vec::with_capacity(CHUNK + 8));
                }
                let out = r.answers.last_mut().expect("pushed above");
                self.runtime.submit(c, out);
            }
            self.rng = self.runtime.take_rng().expect("lent above");
            if !spend(budget) {
                self.releasing = Some(r);
                return false;
            }
        }
        while r.queued < r.answers.len() {
            for (d, ev) in std::mem::take(&mut r.answers[r.queued]) {
                let inc = self.runtime.incarnation(&ev);
                self.queue
                    .push(self.now.after(d), Event::Wake(Wake::Runtime(ev), inc));
            }
            r.queued += 1;
            if !spend(budget) {
                self.releasing = Some(r);
                return false;
            }
        }
        for (at, w) in r.wakes {
            self.queue.push(at.max(self.now), Event::Wake(w, 0));
        }
        true
    }
}

/// One unit spent; false when none is left (and there is more to do).
fn spend(budget: &mut Budget) -> bool {
    budget.spend();
    !budget.exhausted()
}
