//! NodeName (Filter): a pod with `spec.nodeName` fits only that node.

use crate::sched::events::{hint, passes_on_empty, ClusterEvent, QueueingHint};
use crate::sched::framework::{CycleState, NodeInfo, Plugin, PodInfo, Point, Snapshot, Status};

pub struct NodeName;

/// Upstream `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }
    fn node_local(&self) -> bool {
        true
    }
    fn points(&self) -> &'static [Point] {
        &[Point::Filter]
    }
    /// Upstream EventsToRegister (with queueing hints): Node Add; queue when the added node
    /// is the one the pod names.
    fn queueing_hint(
        &self,
        pod: &PodInfo,
        event: &ClusterEvent,
        snap: &Snapshot,
    ) -> Option<QueueingHint> {
        match event {
            ClusterEvent::NodeAdded(n) => hint(passes_on_empty(self, pod, n, snap)),
            _ => None,
        }
    }
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Status {
        if pod.pod.spec.node_name.is_empty() || pod.pod.spec.node_name == node.name {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON)
        }
    }
}
