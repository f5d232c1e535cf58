//! NodeUnschedulable (Filter): cordoned nodes accept only pods tolerating
//! `node.kubernetes.io/unschedulable:NoSchedule`.

use crate::api::node::Taint;
use crate::sched::events::{node_now_passes, ClusterEvent, QueueingHint};
use crate::sched::framework::{CycleState, NodeInfo, Plugin, PodInfo, Point, Snapshot, Status};

pub struct NodeUnschedulable;

/// Upstream `ErrReasonUnschedulable`.
pub const ERR_REASON: &str = "node(s) were unschedulable";

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }
    fn node_local(&self) -> bool {
        true
    }
    fn points(&self) -> &'static [Point] {
        &[Point::Filter]
    }
    /// Upstream EventsToRegister: Node Add | UpdateNodeTaint; queue when the node turned
    /// schedulable for the pod (`isSchedulableAfterNodeChange`).
    fn queueing_hint(
        &self,
        pod: &PodInfo,
        event: &ClusterEvent,
        snap: &Snapshot,
    ) -> Option<QueueingHint> {
        node_now_passes(self, pod, event, snap)
    }
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Status {
        if !node.unschedulable {
            return Status::success();
        }
        let taint = Taint {
            key: "node.kubernetes.io/unschedulable".into(),
            value: String::new(),
            effect: "NoSchedule".into(),
        };
        if pod.pod.spec.tolerations.iter().any(|t| t.tolerates(&taint)) {
            return Status::success();
        }
        Status::unresolvable(ERR_REASON)
    }
}
