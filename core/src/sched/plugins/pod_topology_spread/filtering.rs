//! PodTopologySpread PreFilter / Filter (upstream filtering.go): `DoNotSchedule` constraints.

use super::common::{
    build_default_constraints, count_pods_match_selector, filter_constraints, node_labels_match,
    Constraint, DO_NOT_SCHEDULE,
};
use super::{PodTopologySpread, ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH};
use crate::sched::framework::{CycleState, NodeInfo, PodInfo, Snapshot, Status};
use std::collections::BTreeMap;

/// Upstream `preFilterStateKey`.
pub const PRE_FILTER_STATE_KEY: &str = "PreFilterPodTopologySpread";

/// Upstream `preFilterState`: per constraint, matching pods per topology value over the
/// eligible nodes, and the minimum (upstream keeps two "critical paths" so preemption can
/// update it incrementally; the first always holds the minimum, which is all Filter reads).
#[derive(Debug, Default)]
pub struct PreFilterState {
    pub constraints: Vec<Constraint>,
    pub tp_value_to_match_num: Vec<BTreeMap<String, i64>>,
    /// `CriticalPaths[i][0].MatchNum`: `math.MaxInt32` when no domain is eligible.
    pub min_match: Vec<i64>,
}

impl PreFilterState {
    /// Upstream `minMatchNum`: the global minimum, 0 when fewer domains than `minDomains`.
    pub fn min_match_num(&self, i: usize, min_domains: i32) -> i64 {
        if (self.tp_value_to_match_num[i].len() as i64) < min_domains as i64 {
            0
        } else {
            self.min_match[i]
        }
    }
}

/// Upstream `getConstraints`: the pod's own DoNotSchedule constraints, or the default ones
/// when it has none.
pub(super) fn get_constraints(
    pl: &PodTopologySpread,
    pod: &PodInfo,
    snap: &Snapshot,
) -> Result<Vec<Constraint>, String> {
    let spec = &pod.pod.spec.topology_spread_constraints;
    if !spec.is_empty() {
        filter_constraints(spec, &pod.labels, DO_NOT_SCHEDULE)
            .map_err(|e| format!("obtaining pod's hard topology spread constraints: {e}"))
    } else {
        build_default_constraints(&pl.default_constraints, pod, snap, DO_NOT_SCHEDULE)
            .map_err(|e| format!("setting default hard topology spread constraints: {e}"))
    }
}

/// Upstream `calPreFilterState`: over every node that has all the constraints' topology keys,
/// for each constraint whose inclusion policies admit the node, add the node's matching pods
/// to its topology value.
pub fn cal_pre_filter_state(
    pl: &PodTopologySpread,
    pod: &PodInfo,
    snap: &Snapshot,
) -> Result<PreFilterState, String> {
    let constraints =
        get_constraints(pl, pod, snap).map_err(|e| format!("get constraints from pod: {e}"))?;
    if constraints.is_empty() {
        return Ok(PreFilterState::default());
    }
    let mut counts: Vec<BTreeMap<String, i64>> = vec![BTreeMap::new(); constraints.len()];
    for node in &snap.nodes {
        if !node_labels_match(node.labels(), &constraints) {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if !c.match_node_inclusion_policies(pod, node) {
                continue;
            }
            let value = node.labels()[&c.topology_key].clone();
            let n = count_pods_match_selector(&node.pods, &c.selector, &pod.namespace);
            *counts[i].entry(value).or_insert(0) += n;
        }
    }
    let min_match = counts
        .iter()
        .map(|m| m.values().copied().min().unwrap_or(i32::MAX as i64))
        .collect();
    Ok(PreFilterState {
        constraints,
        tp_value_to_match_num: counts,
        min_match,
    })
}

/// Upstream `PreFilter`: Skip when the pod has no DoNotSchedule constraints (nor defaults).
pub fn pre_filter(
    pl: &PodTopologySpread,
    state: &mut CycleState,
    pod: &PodInfo,
    snap: &Snapshot,
) -> Status {
    match cal_pre_filter_state(pl, pod, snap) {
        Err(e) => Status::error(e),
        Ok(s) if s.constraints.is_empty() => Status::skip(),
        Ok(s) => {
            state.write(PRE_FILTER_STATE_KEY, s);
            Status::success()
        }
    }
}

/// Upstream `Filter`: a node without a constraint's topology key is
/// UnschedulableAndUnresolvable; otherwise `matchNum + selfMatch - minMatchNum > maxSkew`
/// makes it Unschedulable.
pub fn filter(state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
    let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
        return Status::error(format!(
            "reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"
        ));
    };
    for (i, c) in s.constraints.iter().enumerate() {
        let Some(tp_val) = node.labels().get(&c.topology_key) else {
            return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
        };
        // 'existing matching num' + 'if self-match (1 or 0)' - 'global minimum' <= 'maxSkew'
        let min_match_num = s.min_match_num(i, c.min_domains);
        let self_match = i64::from(c.selector.matches(&pod.labels));
        let match_num = s.tp_value_to_match_num[i].get(tp_val).copied().unwrap_or(0);
        if match_num + self_match - min_match_num > c.max_skew as i64 {
            return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
        }
    }
    Status::success()
}
