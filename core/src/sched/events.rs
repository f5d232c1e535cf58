//! Cluster events and queueing hints: which change may make an unschedulable pod schedulable
//! (upstream pkg/scheduler/framework: `ClusterEvent`, `ClusterEventWithHint`,
//! `QueueingHintFn`; backend/queue `isPodWorthRequeuing`; the SchedulerQueueingHints feature
//! is on by default since v1.32).
//!
//! Each plugin that can reject a pod says, per event, whether it registered for it (`None`:
//! not registered) and if so whether the event may help (`Queue`) or not (`QueueSkip`). The
//! queue remembers which plugins rejected each unschedulable pod and moves it only when one
//! of them answers `Queue`; a pod rejected by no plugin moves on any event.

use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::sched::framework::{CycleState, NodeInfo, Plugin, PodInfo, Snapshot};

/// A change the scheduler observed, with the old and new object (upstream passes `oldObj`,
/// `newObj` to the hint functions).
// Events live for one sync and are handled one at a time; boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum ClusterEvent {
    NodeAdded(Node),
    NodeUpdated {
        old: Node,
        new: Node,
    },
    NodeDeleted(Node),
    /// A pod bound by someone else appeared on a node.
    AssignedPodAdded(Pod),
    /// An assigned pod's scheduling-relevant properties changed: labels, or requests /
    /// reservation scaled down (upstream `UpdatePodLabel`, `UpdatePodScaleDown`).
    AssignedPodUpdated {
        old: Pod,
        new: Pod,
    },
    /// An assigned pod, or a pending pod nominated to a node, was deleted or terminated.
    PodDeleted(Pod),
    /// A namespace's labels changed (InterPodAffinity's namespaceSelector).
    NamespaceChanged,
}

impl ClusterEvent {
    /// Upstream event labels (`ClusterEvent.Label()`), for traces and tests.
    pub fn label(&self) -> &'static str {
        match self {
            ClusterEvent::NodeAdded(_) => "NodeAdd",
            ClusterEvent::NodeUpdated { .. } => "NodeUpdate",
            ClusterEvent::NodeDeleted(_) => "NodeDelete",
            ClusterEvent::AssignedPodAdded(_) => "AssignedPodAdd",
            ClusterEvent::AssignedPodUpdated { .. } => "AssignedPodUpdate",
            ClusterEvent::PodDeleted(_) => "PodDelete",
            ClusterEvent::NamespaceChanged => "NamespaceUpdate",
        }
    }

    /// The node of a node event as (old, new), `None` for the side that does not exist.
    pub fn node_change(&self) -> Option<(Option<&Node>, Option<&Node>)> {
        match self {
            ClusterEvent::NodeAdded(n) => Some((None, Some(n))),
            ClusterEvent::NodeUpdated { old, new } => Some((Some(old), Some(new))),
            ClusterEvent::NodeDeleted(n) => Some((Some(n), None)),
            _ => None,
        }
    }

    /// The pod of a pod event as (old, new), `None` for the side that does not exist.
    pub fn pod_change(&self) -> Option<(Option<&Pod>, Option<&Pod>)> {
        match self {
            ClusterEvent::AssignedPodAdded(p) => Some((None, Some(p))),
            ClusterEvent::AssignedPodUpdated { old, new } => Some((Some(old), Some(new))),
            ClusterEvent::PodDeleted(p) => Some((Some(p), None)),
            _ => None,
        }
    }
}

/// Upstream `fwk.QueueingHint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueingHint {
    Queue,
    QueueSkip,
}

/// `Queue` when `cond`, else `QueueSkip` (registered).
pub fn hint(cond: bool) -> Option<QueueingHint> {
    Some(if cond {
        QueueingHint::Queue
    } else {
        QueueingHint::QueueSkip
    })
}

/// Would `plugin`'s Filter pass `pod` on `node` with no pods on it (how upstream's node hints
/// judge a node: a fresh NodeInfo of the changed node)?
pub fn passes_on_empty(plugin: &dyn Plugin, pod: &PodInfo, node: &Node, snap: &Snapshot) -> bool {
    plugin
        .filter(
            &CycleState::default(),
            pod,
            &NodeInfo::new(node.clone()),
            snap,
        )
        .is_success()
}

/// The common node hint of NodeUnschedulable, TaintToleration and NodeAffinity (upstream
/// `isSchedulableAfterNodeChange` of each): on a node added or updated, `Queue` only when
/// the node now passes the plugin's Filter and did not before.
pub fn node_now_passes(
    plugin: &dyn Plugin,
    pod: &PodInfo,
    event: &ClusterEvent,
    snap: &Snapshot,
) -> Option<QueueingHint> {
    match event.node_change()? {
        (old, Some(new)) => {
            let was = old.is_some_and(|o| passes_on_empty(plugin, pod, o, snap));
            hint(!was && passes_on_empty(plugin, pod, new, snap))
        }
        _ => None,
    }
}
