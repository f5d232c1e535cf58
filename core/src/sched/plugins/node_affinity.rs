//! NodeAffinity (PreFilter, Filter, PreScore, Score): `nodeSelector` and required node
//! affinity must match; matching preferred terms add their weights (upstream nodeaffinity
//! plugin). `addedAffinity` (NodeAffinityArgs) is applied to every pod of the profile.

use super::helper::normalize;
use crate::api::pod::{NodeAffinity as NodeAffinitySpec, PreferredSchedulingTerm};
use crate::sched::events::{node_now_passes, ClusterEvent, QueueingHint};
use crate::sched::framework::{
    CycleState, NodeInfo, NodeScore, Plugin, PodInfo, Point, Snapshot, Status,
};
use cellsim_derive::CompactDeserialize;

/// Upstream `ErrReasonPod` and `errReasonEnforced`.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";

#[derive(CompactDeserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    added_affinity: Option<NodeAffinitySpec>,
}

pub struct NodeAffinity {
    added: Option<NodeAffinitySpec>,
}

const STATE: &str = "PreScoreNodeAffinity";

impl NodeAffinity {
    pub fn new(args: Option<&crate::yaml::Node>) -> Result<NodeAffinity, String> {
        let a: Args = crate::sched::plugins::helper::decode_args("NodeAffinityArgs", args)?;
        // Upstream ValidateNodeAffinityArgs: the required selector must be valid.
        if let Some(req) = a.added_affinity.as_ref().and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        }) {
            req.validate().map_err(|e| {
                format!("addedAffinity.requiredDuringSchedulingIgnoredDuringExecution: {e}")
            })?;
        }
        Ok(NodeAffinity {
            added: a.added_affinity,
        })
    }

    fn preferred<'a>(&'a self, pod: &'a PodInfo) -> Vec<&'a PreferredSchedulingTerm> {
        let mut v: Vec<&PreferredSchedulingTerm> = Vec::new();
        if let Some(a) = &self.added {
            v.extend(
                a.preferred_during_scheduling_ignored_during_execution
                    .iter(),
            );
        }
        if let Some(na) = pod
            .pod
            .spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
        {
            v.extend(
                na.preferred_during_scheduling_ignored_during_execution
                    .iter(),
            );
        }
        v
    }
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }
    fn node_local(&self) -> bool {
        true
    }
    fn points(&self) -> &'static [Point] {
        &[
            Point::PreFilter,
            Point::Filter,
            Point::PreScore,
            Point::Score,
        ]
    }

    fn pre_filter(&self, _: &mut CycleState, _: &PodInfo, _: &Snapshot) -> Status {
        Status::success()
    }

    /// Upstream EventsToRegister: Node Add | UpdateNodeLabel; queue when the node matches the
    /// pod's (and the profile's added) required affinity now and did not before.
    fn queueing_hint(
        &self,
        pod: &PodInfo,
        event: &ClusterEvent,
        snap: &Snapshot,
    ) -> Option<QueueingHint> {
        node_now_passes(self, pod, event, snap)
    }

    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Status {
        let labels = node.labels();
        if let Some(req) = self.added.as_ref().and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        }) {
            if !req.matches(&node.name, labels) {
                return Status::unresolvable(ERR_REASON_ENFORCED);
            }
        }
        let required = pod
            .pod
            .spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| {
                na.required_during_scheduling_ignored_during_execution
                    .as_ref()
            });
        if crate::api::selector::required_node_affinity_matches(
            &pod.pod.spec.node_selector,
            required,
            &node.name,
            labels,
        ) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_POD)
        }
    }

    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[usize],
        _: &Snapshot,
    ) -> Status {
        if self.preferred(pod).is_empty() {
            return Status::skip();
        }
        state.write(STATE, ());
        Status::success()
    }

    /// Sum of the weights of the preferred terms the node matches (an empty term matches
    /// nothing, as upstream's `NodeSelectorTerm` matching).
    fn score(
        &self,
        _: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
        _: &Snapshot,
    ) -> Result<i64, Status> {
        Ok(self
            .preferred(pod)
            .iter()
            .filter(|t| t.weight != 0 && t.preference.matches(&node.name, node.labels()))
            .map(|t| t.weight as i64)
            .sum())
    }

    fn normalize(&self, _: &CycleState, _: &PodInfo, scores: &mut [NodeScore]) -> Status {
        normalize(false, scores);
        Status::success()
    }
}
