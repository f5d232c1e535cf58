//! TaintToleration (Filter, PreScore, Score): NoSchedule / NoExecute taints must be tolerated;
//! untolerated PreferNoSchedule taints lower the score (upstream tainttoleration plugin).

use super::helper::normalize;
use crate::api::pod::Toleration;
use crate::sched::events::{node_now_passes, ClusterEvent, QueueingHint};
use crate::sched::framework::{
    CycleState, NodeInfo, NodeScore, Plugin, PodInfo, Point, Snapshot, Status,
};

pub struct TaintToleration;

const STATE: &str = "PreScoreTaintToleration";

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }
    fn node_local(&self) -> bool {
        true
    }
    fn points(&self) -> &'static [Point] {
        &[Point::Filter, Point::PreScore, Point::Score]
    }

    /// Upstream EventsToRegister: Node Add | UpdateNodeTaint; queue when the pod tolerates the
    /// node's taints now and did not before (`isSchedulableAfterNodeChange`).
    fn queueing_hint(
        &self,
        pod: &PodInfo,
        event: &ClusterEvent,
        snap: &Snapshot,
    ) -> Option<QueueingHint> {
        node_now_passes(self, pod, event, snap)
    }

    /// The first NoSchedule/NoExecute taint not tolerated fails the node:
    /// `node(s) had untolerated taint {key: value}` (UnschedulableAndUnresolvable).
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Status {
        if !node.has_taints {
            return Status::success();
        }
        for taint in &node.node.spec.taints {
            if taint.effect != "NoSchedule" && taint.effect != "NoExecute" {
                continue;
            }
            if !pod.pod.spec.tolerations.iter().any(|t| t.tolerates(taint)) {
                return Status::unresolvable(format!(
                    "node(s) had untolerated taint {}",
                    taint.brace_form()
                ));
            }
        }
        Status::success()
    }

    /// Keep the tolerations whose effect is PreferNoSchedule or empty
    /// (`getAllTolerationPreferNoSchedule`).
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[usize],
        _: &Snapshot,
    ) -> Status {
        let prefer: Vec<Toleration> = pod
            .pod
            .spec
            .tolerations
            .iter()
            .filter(|t| t.effect.is_empty() || t.effect == "PreferNoSchedule")
            .cloned()
            .collect();
        state.write(STATE, prefer);
        Status::success()
    }

    /// Raw score: the number of the node's PreferNoSchedule taints not tolerated.
    fn score(
        &self,
        state: &CycleState,
        _: &PodInfo,
        node: &NodeInfo,
        _: &Snapshot,
    ) -> Result<i64, Status> {
        let prefer: &Vec<Toleration> = state
            .read(STATE)
            .ok_or_else(|| Status::error("TaintToleration prescore state missing"))?;
        if !node.has_taints {
            return Ok(0);
        }
        Ok(node
            .node
            .spec
            .taints
            .iter()
            .filter(|t| {
                t.effect == "PreferNoSchedule" && !prefer.iter().any(|tol| tol.tolerates(t))
            })
            .count() as i64)
    }

    /// Fewer intolerable taints is better: reverse normalization.
    fn normalize(&self, _: &CycleState, _: &PodInfo, scores: &mut [NodeScore]) -> Status {
        normalize(true, scores);
        Status::success()
    }
}
