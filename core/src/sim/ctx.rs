//! The context every control-plane component receives when it runs: the current instant, the
//! store, the run's random generator, the trace, and a place to ask for a wake-up later.
//! Components touch the world only through it (sans-IO).

use crate::engine::{TraceEvent, TraceWriter};
use crate::rng::SimRng;
use crate::store::MemoryStore;
use crate::time::{Duration, SimTime};

/// Something a component asked to happen at a later instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The scheduler's backoff queue or periodic flush has work at this time.
    Scheduler,
    /// A runtime event from the simulated container runtime.
    Runtime(crate::kubelet::plan::RuntimeEvent),
    /// A pod worker asked to be synced (backoff expired, a probe is due, a grace period ran
    /// out).
    PodWorker { node: String, pod_uid: String },
    /// A node's kubelet runs its container garbage collection.
    NodeGc { node: String },
    /// A controller asked to reconcile one object again (upstream `queue.AddAfter`).
    Controller {
        controller: crate::controllers::ControllerId,
        key: crate::store::ObjectKey,
    },
    /// A `kubectl drain` of this node has a retry or a poll due.
    Drain(String),
}

pub struct Ctx<'a> {
    pub now: SimTime,
    pub store: &'a mut MemoryStore,
    pub rng: &'a mut SimRng,
    pub trace: &'a mut TraceWriter,
    pub wakes: &'a mut Vec<(SimTime, Wake)>,
}

impl Ctx<'_> {
    /// Record a Kubernetes-style event in the trace.
    pub fn event(&mut self, reason: &str, object: String, node: Option<&str>, message: String) {
        self.trace.emit(TraceEvent {
            t: self.now,
            kind: reason.to_string(),
            object,
            node: node.map(str::to_string),
            message,
        });
    }

    pub fn wake_after(&mut self, d: Duration, w: Wake) {
        self.wakes.push((self.now.after(d), w));
    }

    pub fn wake_at(&mut self, at: SimTime, w: Wake) {
        self.wakes.push((at, w));
    }
}
