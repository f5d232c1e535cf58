//! Controllers: level-triggered reconcile functions driven by the store's change feed.
//!
//! Each controller keeps the revision it has read up to, turns new changes into a set of keys
//! to reconcile (an `OrdSet`, so the order never depends on hashing), and reconciles each key
//! against the current state — idempotently, as kube-controller-manager's controllers do.
//! A controller that must look again later (a backoff, a deadline, a cron schedule,
//! `minReadySeconds`, the HPA's sync period) asks for a [`Wake::Controller`] through
//! [`Requeue`] — upstream's `queue.AddAfter` on the simulated clock.

pub mod cron;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpointslice;
pub mod gc;
pub mod hpa;
pub mod job;
pub mod naming;
pub mod node_lifecycle;
pub mod node_pods;
pub mod owned;
pub mod pod_gc;
pub mod replicaset;
pub mod statefulset;
pub mod taint_eviction;

use crate::collections::{OrdMap, OrdSet};
use crate::sim::budget::Budget;
use crate::sim::ctx::{Ctx, Wake};
use crate::store::{ObjectKey, ObjectStore};
use crate::time::SimTime;

/// Which controller a [`Wake::Controller`] is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ControllerId {
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    /// The node lifecycle controller's monitor and NoExecute tainting passes.
    NodeLifecycle,
    TaintEviction,
    Disruption,
    PodGc,
    HorizontalPodAutoscaler,
}

/// Delayed re-reconciles of one controller (upstream's delaying work queue): one wake per
/// (time, key).
#[derive(Default)]
pub struct Requeue {
    pending: OrdSet<(SimTime, ObjectKey)>,
}

impl Requeue {
    /// Reconcile `key` again at `at` (not before now).
    pub fn at(&mut self, ctx: &mut Ctx, id: ControllerId, key: &ObjectKey, at: SimTime) {
        let at = at.max(ctx.now);
        if self.pending.insert((at, key.clone())) {
            ctx.wake_at(
                at,
                Wake::Controller {
                    controller: id,
                    key: key.clone(),
                },
            );
        }
    }

    /// A wake for `key` fired at `now`.
    pub fn fired(&mut self, now: SimTime, key: &ObjectKey) {
        self.pending.remove(&(now, key.clone()));
    }
}

/// Delayed re-reconciles with upstream's delaying-queue semantics: one pending time per key,
/// the earliest asked for (`AddAfter` of a key already waiting keeps the sooner time). A wake
/// for a time that was superseded is ignored.
#[derive(Default)]
pub struct EarliestRequeue {
    pending: OrdMap<ObjectKey, SimTime>,
}

impl EarliestRequeue {
    /// Reconcile `key` again at `at` (not before now), unless it is due sooner already.
    pub fn at(&mut self, ctx: &mut Ctx, id: ControllerId, key: &ObjectKey, at: SimTime) {
        let at = at.max(ctx.now);
        if self.pending.get(key).is_some_and(|t| *t <= at) {
            return;
        }
        self.pending.insert(key.clone(), at);
        ctx.wake_at(
            at,
            Wake::Controller {
                controller: id,
                key: key.clone(),
            },
        );
    }

    /// A wake for `key` fired at `now`: whether it is the pending one (then it is consumed).
    pub fn fired(&mut self, now: SimTime, key: &ObjectKey) -> bool {
        if self.pending.get(key) == Some(&now) {
            self.pending.remove(key);
            return true;
        }
        false
    }
}

/// All controllers, run in a fixed order.
#[derive(Default)]
pub struct Controllers {
    pub deployment: deployment::DeploymentController,
    pub replicaset: replicaset::ReplicaSetController,
    pub statefulset: statefulset::StatefulSetController,
    pub daemonset: daemonset::DaemonSetController,
    pub cronjob: cronjob::CronJobController,
    pub job: job::JobController,
    pub gc: gc::GarbageCollector,
    pub node_lifecycle: node_lifecycle::NodeLifecycleController,
    pub taint_eviction: taint_eviction::TaintEvictionController,
    pub disruption: disruption::DisruptionController,
    pub pod_gc: pod_gc::PodGcController,
    pub hpa: hpa::HorizontalController,
    pub endpointslice: endpointslice::EndpointSliceController,
    /// Whose turn it is in a budgeted sync (`sync_budget`): an index into the fixed order;
    /// 0 between syncs.
    turn: usize,
}

/// How many changes of the feed a budgeted sync reads as one unit (about the cost of creating
/// one pod), where a controller reads its feed in pieces.
pub const FEED_CHUNK: usize = 64;

/// How many controllers `sync` runs, in order.
const CONTROLLERS: usize = 13;

impl Controllers {
    /// Every controller once, in the fixed order.
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let done = self.sync_budget(ctx, &mut Budget::unlimited());
        debug_assert!(done);
    }

    /// `sync` in pieces: every controller in the fixed order, pausing when `budget` runs out
    /// between two controllers or inside one that splits its own work (the ReplicaSet
    /// controller: `FEED_CHUNK` changes read, one reconcile, one pod created or deleted; the
    /// garbage collector: `FEED_CHUNK` changes read, one owner, one attempted object). True when the
    /// sync is complete, false when it paused; the next call goes on exactly where it stopped
    /// (a controller part-way resumes its own loop: no new read of the change feed). As with
    /// the scheduler's and the kubelets' budgeted syncs, nothing else may write to the store
    /// between the calls.
    ///
    /// A controller with nothing new in the feed costs no unit (its sync only finds that
    /// out), so an idle round does not end a front end's slice early.
    pub fn sync_budget(&mut self, ctx: &mut Ctx, budget: &mut Budget) -> bool {
        while self.turn < CONTROLLERS {
            let behind = ctx.store.revision() > self.cursor_of(self.turn);
            let done = match self.turn {
                0 => whole(budget, behind, || self.deployment.sync(ctx)),
                1 => self.replicaset.sync_budget(ctx, budget),
                2 => tail(self.statefulset.sync_budget(ctx, budget), behind, budget),
                3 => tail(self.daemonset.sync_budget(ctx, budget), behind, budget),
                4 => whole(budget, behind, || self.cronjob.sync(ctx)),
                5 => tail(self.job.sync_budget(ctx, budget), behind, budget),
                6 => self.gc.sync_budget(ctx, budget),
                7 => tail(self.node_lifecycle.sync_budget(ctx, budget), behind, budget),
                8 => tail(self.taint_eviction.sync_budget(ctx, budget), behind, budget),
                9 => whole(budget, behind, || self.disruption.sync(ctx)),
                10 => tail(self.pod_gc.sync_budget(ctx, budget), behind, budget),
                11 => whole(budget, behind, || self.hpa.sync(ctx)),
                _ => whole(budget, behind, || self.endpointslice.sync(ctx)),
            };
            if !done {
                return false;
            }
            self.turn += 1;
            if budget.exhausted() && self.turn < CONTROLLERS {
                return false;
            }
        }
        self.turn = 0;
        true
    }

    /// The controller whose turn it is in a budgeted sync (the first one between syncs).
    pub fn turn_name(&self) -> &'static str {
        [
            "deployment",
            "replicaset",
            "statefulset",
            "daemonset",
            "cronjob",
            "job",
            "garbage collector",
            "node lifecycle",
            "taint eviction",
            "disruption",
            "pod gc",
            "hpa",
            "endpointslice",
        ][self.turn]
    }

    /// The revision controller `i` (in `sync`'s order) has read up to.
    fn cursor_of(&self, i: usize) -> u64 {
        [
            self.deployment.cursor,
            self.replicaset.cursor,
            self.statefulset.cursor,
            self.daemonset.cursor,
            self.cronjob.cursor,
            self.job.cursor,
            self.gc.cursor,
            self.node_lifecycle.cursor,
            self.taint_eviction.cursor,
            self.disruption.cursor,
            self.pod_gc.cursor,
            self.hpa.cursor,
            self.endpointslice.cursor,
        ][i]
    }

    /// A controller's delayed reconcile is due. `usage` reads the pods' observed resource
    /// usage (the metrics API), for the HPA.
    pub fn wake(
        &mut self,
        ctx: &mut Ctx,
        id: ControllerId,
        key: &ObjectKey,
        usage: &dyn Fn() -> hpa::metrics::PodUsage,
    ) {
        match id {
            ControllerId::Deployment => self.deployment.wake(ctx, key),
            ControllerId::ReplicaSet => self.replicaset.wake(ctx, key),
            ControllerId::HorizontalPodAutoscaler => self.hpa.wake(ctx, key, usage),
            ControllerId::StatefulSet => self.statefulset.wake(ctx, key),
            ControllerId::DaemonSet => self.daemonset.wake(ctx, key),
            ControllerId::Job => self.job.wake(ctx, key),
            ControllerId::CronJob => self.cronjob.wake(ctx, key),
            ControllerId::NodeLifecycle => self.node_lifecycle.wake(ctx, key),
            ControllerId::TaintEviction => self.taint_eviction.wake(ctx, key),
            ControllerId::Disruption => self.disruption.wake(ctx, key),
            ControllerId::PodGc => self.pod_gc.wake(ctx, key),
        }
    }

    /// The lowest revision any controller still needs from the change feed.
    pub fn cursor(&self) -> u64 {
        (0..CONTROLLERS)
            .map(|i| self.cursor_of(i))
            .min()
            .unwrap_or(0)
    }
}

/// The end of a controller's sync that reads its feed in units (`done`): one more unit for
/// what it does with what it read.
/// A controller's read of its feed in budget units: `some(state, FEED_CHUNK)` reads the next
/// part into `state` (true when the feed is read to its end), starting from `paused` (a read
/// a previous call left part-way) or a fresh state. `Ok` with what the whole read found, or
/// `Err` with the state to keep when `budget` ran out first.
fn read_in_units<S: Default>(
    paused: Option<S>,
    budget: &mut Budget,
    mut some: impl FnMut(&mut S, usize) -> bool,
) -> Result<S, S> {
    let mut state = paused.unwrap_or_default();
    while !some(&mut state, FEED_CHUNK) {
        budget.spend();
        if budget.exhausted() {
            return Err(state);
        }
    }
    Ok(state)
}

/// After a controller read `read` (the first changes of its feed after `cursor`): the cursor
/// moves past them, or to the store's revision when the feed was read to its end.
fn read_to(
    cursor: &mut u64,
    store: &crate::store::MemoryStore,
    read: &[crate::store::Change],
    to_end: bool,
) -> bool {
    use crate::store::ObjectStore;
    if to_end {
        *cursor = store.revision();
    } else if let Some(last) = read.last() {
        *cursor = last.revision;
    }
    to_end
}

fn tail(done: bool, behind: bool, budget: &mut Budget) -> bool {
    if done && behind {
        budget.spend();
    }
    done
}

/// A controller's sync that is one unit of a budgeted sync (when it had changes to read).
fn whole(budget: &mut Budget, behind: bool, sync: impl FnOnce()) -> bool {
    sync();
    if behind {
        budget.spend();
    }
    true
}

/// `activity_rank`'s order, as a value.
pub type ActivityRank = (
    bool,
    u8,
    bool,
    std::cmp::Reverse<u64>,
    std::cmp::Reverse<u64>,
);

/// The ranking upstream uses to pick pods to delete (`controller.ActivePods` /
/// `ActivePodsWithRanks` without ranks): unassigned before assigned, Pending before Unknown
/// before Running, not ready before ready, more recently ready first, newer first. Lower
/// sorts first (deleted first). Ties are broken by the name (`deletion_rank`).
pub fn activity_rank(p: &crate::api::pod::Pod) -> ActivityRank {
    use crate::api::pod::PodPhase;
    (
        !p.spec.node_name.is_empty(),
        match p.status.phase {
            PodPhase::Pending => 0,
            PodPhase::Unknown => 1,
            _ => 2,
        },
        p.status.ready,
        std::cmp::Reverse(p.status.ready_at.unwrap_or(0)),
        std::cmp::Reverse(p.metadata.created_at),
    )
}

/// `activity_rank`, the name breaking the remaining ties.
pub fn deletion_rank(p: &crate::api::pod::Pod) -> impl Ord {
    (activity_rank(p), p.metadata.name.clone())
}

/// `podutil.IsPodAvailable`: ready for at least `min_ready_secs` at `now` (ms).
pub fn is_available(p: &crate::api::pod::Pod, min_ready_secs: i32, now: u64) -> bool {
    p.status.ready
        && p.status
            .ready_at
            .is_some_and(|t| min_ready_secs <= 0 || t + min_ready_secs as u64 * 1000 <= now)
}

/// When a ready pod becomes available (`ready_at + minReadySeconds`), if it is ready but not
/// yet available at `now`.
pub fn available_at(p: &crate::api::pod::Pod, min_ready_secs: i32, now: u64) -> Option<SimTime> {
    let t = p.status.ready_at? + min_ready_secs.max(0) as u64 * 1000;
    (p.status.ready && t > now).then_some(SimTime(t))
}
