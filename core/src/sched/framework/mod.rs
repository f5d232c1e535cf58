//! The scheduling framework, modelled on kube-scheduler's (pkg/scheduler/framework): plugins
//! implement extension points; a profile orders them; one scheduling cycle runs PreFilter →
//! Filter → PostFilter (on failure) → PreScore → Score → NormalizeScore → weights → select →
//! Reserve → Permit → PreBind → Bind → PostBind, with a per-cycle `CycleState`.
//!
//! cellsim runs the cycle sequentially (no goroutines), so plugins see nodes in the snapshot's
//! order; every result is deterministic.

pub mod nodeinfo;
pub mod podinfo;
pub mod status;

pub use nodeinfo::{NodeInfo, Snapshot};
pub use podinfo::PodInfo;
pub use status::{Code, Status};

use std::any::Any;

/// Upstream `framework.MaxNodeScore` / `MinNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;
pub const MIN_NODE_SCORE: i64 = 0;

/// The extension points (upstream names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Point {
    PreEnqueue,
    QueueSort,
    PreFilter,
    Filter,
    PostFilter,
    PreScore,
    Score,
    Reserve,
    Permit,
    PreBind,
    Bind,
    PostBind,
}

impl Point {
    pub const ALL: [Point; 12] = [
        Point::PreEnqueue,
        Point::QueueSort,
        Point::PreFilter,
        Point::Filter,
        Point::PostFilter,
        Point::PreScore,
        Point::Score,
        Point::Reserve,
        Point::Permit,
        Point::PreBind,
        Point::Bind,
        Point::PostBind,
    ];

    /// The field name in KubeSchedulerConfiguration's `plugins`.
    pub fn config_name(self) -> &'static str {
        match self {
            Point::PreEnqueue => "preEnqueue",
            Point::QueueSort => "queueSort",
            Point::PreFilter => "preFilter",
            Point::Filter => "filter",
            Point::PostFilter => "postFilter",
            Point::PreScore => "preScore",
            Point::Score => "score",
            Point::Reserve => "reserve",
            Point::Permit => "permit",
            Point::PreBind => "preBind",
            Point::Bind => "bind",
            Point::PostBind => "postBind",
        }
    }
}

/// A value kept in the `CycleState` (upstream `fwk.StateData`): any `'static + Clone` type.
/// `clone_box` is upstream's `StateData.Clone()`, which `CycleState::clone` calls on every
/// slot — preemption's dry run and the nominated-pods pass mutate a copy through the
/// PreFilter extensions (AddPod / RemovePod) and leave the cycle's own state untouched.
pub trait StateData: Any {
    fn clone_box(&self) -> Box<dyn StateData>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any + Clone> StateData for T {
    fn clone_box(&self) -> Box<dyn StateData> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Per-cycle plugin state (upstream `framework.CycleState`): written at PreFilter / PreScore,
/// read at Filter / Score of the same cycle. Keyed by plugin name. A handful of slots, read
/// once per node: a small vector searched by key (pointer first: keys are constants).
/// `clone` copies every slot (upstream `CycleState.Clone`).
#[derive(Default)]
pub struct CycleState {
    slots: Vec<(&'static str, Box<dyn StateData>)>,
}

impl Clone for CycleState {
    fn clone(&self) -> CycleState {
        CycleState {
            slots: self
                .slots
                .iter()
                .map(|(k, v)| (*k, StateData::clone_box(&**v)))
                .collect(),
        }
    }
}

impl CycleState {
    fn position(&self, key: &'static str) -> Option<usize> {
        self.slots
            .iter()
            .position(|(k, _)| std::ptr::eq(*k, key))
            .or_else(|| self.slots.iter().position(|(k, _)| *k == key))
    }

    pub fn write<T: StateData>(&mut self, key: &'static str, v: T) {
        match self.position(key) {
            Some(i) => self.slots[i].1 = Box::new(v),
            None => self.slots.push((key, Box::new(v))),
        }
    }

    pub fn read<T: Any>(&self, key: &'static str) -> Option<&T> {
        self.position(key)
            .and_then(|i| (*self.slots[i].1).as_any().downcast_ref::<T>())
    }

    /// The slot for in-place updates (the PreFilter extensions; upstream plugins mutate the
    /// pointer `Read` returns).
    pub fn read_mut<T: Any>(&mut self, key: &'static str) -> Option<&mut T> {
        self.position(key)
            .and_then(|i| (*self.slots[i].1).as_any_mut().downcast_mut::<T>())
    }
}

/// One node's score from one plugin (index into the snapshot's node list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeScore {
    pub node: usize,
    pub score: i64,
}

/// A scheduler plugin. Every method is an extension point with upstream's default behaviour;
/// `points()` says which ones the plugin implements (what `multiPoint` expands it into).
pub trait Plugin {
    fn name(&self) -> &'static str;
    fn points(&self) -> &'static [Point];

    /// True when this plugin's PreFilter / Filter / PreScore / Score results depend only on
    /// the pod's spec (`PodInfo::spec_key`), the one node's `NodeInfo`, the plugin's
    /// configuration and cluster-wide facts that change the snapshot's epoch (node set,
    /// image spread) — never on other nodes' pods. The cycle then caches the node's Filter
    /// verdict and raw Score per node generation (`sched::cycle_cache`), an equivalence
    /// cache in the spirit of upstream's former equivalence-class cache. Saying false is
    /// always correct, only slower.
    fn node_local(&self) -> bool {
        false
    }

    /// EnqueueExtensions: for a pod this plugin rejected, may `event` make it schedulable?
    /// `None`: the plugin did not register for this event; `Some(QueueSkip)`: registered,
    /// but this change cannot help. Default (upstream: a plugin without EnqueueExtensions is
    /// registered for every event): always `Queue`.
    fn queueing_hint(
        &self,
        _pod: &PodInfo,
        _event: &crate::sched::events::ClusterEvent,
        _snap: &Snapshot,
    ) -> Option<crate::sched::events::QueueingHint> {
        Some(crate::sched::events::QueueingHint::Queue)
    }

    /// Bring this plugin's cross-cycle caches up to date for `pod`'s coming cycle, for the
    /// snapshot nodes `from..from + limit` (by index): `Some(next)` while nodes are left,
    /// `None` when done. Only a budgeted scheduler calls it, between popping a pod and its
    /// cycle (`Scheduler::sync_budget`), so that one cycle does not do all of a cache's catch-up
    /// in one unit of work. It must not change any result: caches only. Default: nothing
    /// to warm.
    fn warm(&self, _pod: &PodInfo, _snap: &Snapshot, _from: usize, _limit: usize) -> Option<usize> {
        None
    }

    /// PreEnqueue: may the pod enter activeQ at all (SchedulingGates)?
    fn pre_enqueue(&self, _pod: &PodInfo) -> Status {
        Status::success()
    }

    /// PreFilter: compute per-cycle state; `Skip` skips this plugin's Filter for the cycle;
    /// `UnschedulableAndUnresolvable` fails the pod on every node.
    fn pre_filter(&self, _state: &mut CycleState, _pod: &PodInfo, _snap: &Snapshot) -> Status {
        Status::skip()
    }

    /// PreFilterExtensions AddPod (upstream interface.go `PreFilterExtensions`): update the
    /// state this plugin's PreFilter wrote as if `to_add` ran on `node` (already added to
    /// it). Run on a cloned state by preemption's dry run (reprieving a victim) and by the
    /// nominated-pods pass of Filter. Default: nothing to update (upstream: no extensions).
    fn add_pod(
        &self,
        _state: &mut CycleState,
        _pod: &PodInfo,
        _to_add: &PodInfo,
        _node: &NodeInfo,
    ) -> Status {
        Status::success()
    }

    /// PreFilterExtensions RemovePod: as `add_pod`, for `to_remove` leaving `node` (already
    /// removed from it) — preemption's dry run removing a potential victim.
    fn remove_pod(
        &self,
        _state: &mut CycleState,
        _pod: &PodInfo,
        _to_remove: &PodInfo,
        _node: &NodeInfo,
    ) -> Status {
        Status::success()
    }

    /// False when `filter` passes every node whatever the pod (the cycle then does not call
    /// it). Only an optimization: a plugin that says true may still always pass.
    fn has_filter(&self) -> bool {
        true
    }

    fn filter(
        &self,
        _state: &CycleState,
        _pod: &PodInfo,
        _node: &NodeInfo,
        _snap: &Snapshot,
    ) -> Status {
        Status::success()
    }

    /// PreScore over the feasible nodes; `Skip` skips this plugin's Score for the cycle.
    fn pre_score(
        &self,
        _state: &mut CycleState,
        _pod: &PodInfo,
        _feasible: &[usize],
        _snap: &Snapshot,
    ) -> Status {
        Status::skip()
    }

    fn score(
        &self,
        _state: &CycleState,
        _pod: &PodInfo,
        _node: &NodeInfo,
        _snap: &Snapshot,
    ) -> Result<i64, Status> {
        Ok(0)
    }

    /// NormalizeScore (ScoreExtensions); the default leaves raw scores as they are.
    fn normalize(&self, _state: &CycleState, _pod: &PodInfo, _scores: &mut [NodeScore]) -> Status {
        Status::success()
    }

    /// Reserve: claim what the pod needs on the chosen node before binding (upstream
    /// `ReservePlugin.Reserve`); a failure unreserves every Reserve plugin and fails the pod.
    fn reserve(&self, _state: &mut CycleState, _pod: &PodInfo, _node: &str) -> Status {
        Status::success()
    }

    /// Unreserve: undo `reserve` (called in reverse order; must be idempotent).
    fn unreserve(&self, _state: &mut CycleState, _pod: &PodInfo, _node: &str) {}

    /// Permit: approve, reject, or hold the pod (`Code::Wait` with the longest time to wait)
    /// before binding (upstream `PermitPlugin.Permit`).
    fn permit(
        &self,
        _state: &CycleState,
        _pod: &PodInfo,
        _node: &str,
    ) -> (Status, crate::time::Duration) {
        (Status::success(), crate::time::Duration::ZERO)
    }

    /// PreBind: work that must finish before the binding (upstream `PreBindPlugin.PreBind`).
    fn pre_bind(&self, _state: &mut CycleState, _pod: &PodInfo, _node: &str) -> Status {
        Status::success()
    }

    /// Bind: `Skip` leaves the pod to the next bind plugin; `Success` means this plugin
    /// binds it (the scheduler then writes the binding, which it owns).
    fn bind(&self, _state: &CycleState, _pod: &PodInfo, _node: &str) -> Status {
        Status::skip()
    }

    /// PostBind: informational, after a successful bind.
    fn post_bind(&self, _state: &CycleState, _pod: &PodInfo, _node: &str) {}

    /// PostFilter: runs only when no node passed Filter (upstream `PostFilterPlugin`). Returns
    /// what to do with the pod's nomination and a status; `Success` ends the PostFilter phase,
    /// and a non-empty status message becomes the FitError's postFilter part. `rand(n)` draws
    /// uniformly from `0..n` out of the run's random source.
    fn post_filter(
        &self,
        _input: &PostFilterInput,
        _rand: &mut dyn FnMut(u64) -> u64,
    ) -> (Nominating, Status) {
        (
            Nominating::Noop,
            Status::with_reasons(Code::Unschedulable, Vec::new()),
        )
    }
}

/// Upstream `NodeToStatus`: the filter status of every node that was examined and failed,
/// and the status of every node absent from it (the PreFilter rejection, else
/// UnschedulableAndUnresolvable — `NewDefaultNodeToStatus`).
#[derive(Clone, Debug)]
pub struct NodeToStatus {
    /// Indexed by snapshot node index.
    pub per_node: Vec<Option<Status>>,
    pub absent: Status,
}

impl NodeToStatus {
    /// Upstream `NewDefaultNodeToStatus` over `n` nodes.
    pub fn new(n: usize) -> NodeToStatus {
        NodeToStatus {
            per_node: vec![None; n],
            absent: Status::with_reasons(Code::UnschedulableAndUnresolvable, Vec::new()),
        }
    }

    pub fn set(&mut self, node: usize, s: Status) {
        self.per_node[node] = Some(s);
    }

    pub fn get(&self, node: usize) -> &Status {
        self.per_node
            .get(node)
            .and_then(|s| s.as_ref())
            .unwrap_or(&self.absent)
    }

    /// How many nodes have an explicit status (upstream `NodeToStatus.Len`).
    pub fn len(&self) -> usize {
        self.per_node.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Upstream `NodesForStatusCode`: the nodes (in snapshot order) whose status has `code`,
    /// absent nodes included when the absent status has it.
    pub fn nodes_for_code(&self, code: Code) -> Vec<usize> {
        (0..self.per_node.len())
            .filter(|&i| self.get(i).code == code)
            .collect()
    }
}

/// What a PostFilter plugin sees (upstream passes the cycle state, the pod and the
/// NodeToStatus; the framework handle gives the snapshot and RunFilterPluginsWithNominatedPods,
/// here `profile`).
pub struct PostFilterInput<'a> {
    pub state: &'a CycleState,
    /// Filter plugins whose PreFilter returned Skip this cycle.
    pub skip: &'a [&'static str],
    pub pod: &'a PodInfo,
    pub snap: &'a Snapshot,
    pub statuses: &'a NodeToStatus,
    pub profile: &'a crate::sched::profile::Profile,
}

/// Upstream `PostFilterResult` / `NominatingInfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nominating {
    /// `ModeNoop`: leave the pod's nominatedNodeName as it is.
    Noop,
    /// `ModeOverride` with an empty name: clear it.
    Clear,
    /// Nominate `node` (snapshot index); the scheduler evicts `victims` (pod keys).
    Node { node: usize, victims: Vec<String> },
}
