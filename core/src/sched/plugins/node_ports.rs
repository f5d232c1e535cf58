//! NodePorts (PreFilter, Filter): a pod's hostPorts must be free on the node. Upstream
//! `HostPortInfo.CheckConflict`: the same protocol and port conflict when either IP is
//! 0.0.0.0 or the IPs are equal.

use crate::sched::events::{hint, ClusterEvent, QueueingHint};
use crate::sched::framework::{CycleState, NodeInfo, Plugin, PodInfo, Point, Snapshot, Status};

pub struct NodePorts;

/// Upstream `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

pub fn conflict(a: &(String, String, i32), b: &(String, String, i32)) -> bool {
    a.1 == b.1 && a.2 == b.2 && (a.0 == "0.0.0.0" || b.0 == "0.0.0.0" || a.0 == b.0)
}

impl Plugin for NodePorts {
    fn name(&self) -> &'static str {
        "NodePorts"
    }
    fn node_local(&self) -> bool {
        true
    }
    fn points(&self) -> &'static [Point] {
        &[Point::PreFilter, Point::Filter]
    }
    fn pre_filter(&self, _: &mut CycleState, pod: &PodInfo, _: &Snapshot) -> Status {
        if pod.host_ports.is_empty() {
            Status::skip()
        } else {
            Status::success()
        }
    }
    /// Upstream EventsToRegister: Pod Delete (queue when the deleted pod was assigned and
    /// held a port the pod wants, `isSchedulableAfterPodDeleted`) and Node Add.
    fn queueing_hint(
        &self,
        pod: &PodInfo,
        event: &ClusterEvent,
        snap: &Snapshot,
    ) -> Option<QueueingHint> {
        let _ = snap;
        match event {
            ClusterEvent::PodDeleted(p) => {
                let freed = crate::sched::framework::podinfo::host_ports(p);
                hint(
                    !p.spec.node_name.is_empty()
                        && pod
                            .host_ports
                            .iter()
                            .any(|w| freed.iter().any(|u| conflict(w, u))),
                )
            }
            ClusterEvent::NodeAdded(_) => hint(true),
            _ => None,
        }
    }
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Status {
        if pod
            .host_ports
            .iter()
            .any(|w| node.used_ports.iter().any(|u| conflict(w, u)))
        {
            Status::unschedulable(ERR_REASON)
        } else {
            Status::success()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::conflict;

    #[test]
    fn host_port_conflicts() {
        let p = |ip: &str, proto: &str, port| (ip.to_string(), proto.to_string(), port);
        assert!(conflict(
            &p("0.0.0.0", "TCP", 80),
            &p("127.0.0.1", "TCP", 80)
        ));
        assert!(conflict(
            &p("10.0.0.1", "TCP", 80),
            &p("10.0.0.1", "TCP", 80)
        ));
        assert!(!conflict(
            &p("10.0.0.1", "TCP", 80),
            &p("10.0.0.2", "TCP", 80)
        ));
        assert!(!conflict(
            &p("0.0.0.0", "UDP", 80),
            &p("0.0.0.0", "TCP", 80)
        ));
        assert!(!conflict(
            &p("0.0.0.0", "TCP", 80),
            &p("0.0.0.0", "TCP", 8080)
        ));
    }
}
