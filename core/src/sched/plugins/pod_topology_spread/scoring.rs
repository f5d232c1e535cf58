//! PodTopologySpread PreScore / Score / NormalizeScore (upstream scoring.go):
//! `ScheduleAnyway` constraints, or the default constraints for a pod without any.

use super::common::{
    build_default_constraints, count_pods_match_selector, filter_constraints, node_labels_match,
    Constraint, LABEL_HOSTNAME, SCHEDULE_ANYWAY,
};
use super::PodTopologySpread;
use crate::sched::framework::{
    CycleState, NodeInfo, NodeScore, PodInfo, Snapshot, Status, MAX_NODE_SCORE,
};
use std::collections::{BTreeMap, BTreeSet};

/// Upstream `preScoreStateKey`.
pub const PRE_SCORE_STATE_KEY: &str = "PreScorePodTopologySpread";
/// Upstream `invalidScore`.
const INVALID_SCORE: i64 = -1;

/// Upstream `preScoreState`.
#[derive(Clone, Debug, Default)]
pub struct PreScoreState {
    pub constraints: Vec<Constraint>,
    /// Names of the candidate nodes missing some constraint's topology key (not scored).
    pub ignored_nodes: BTreeSet<String>,
    /// The same nodes as snapshot indexes (what `NodeScore` carries).
    pub ignored_idx: BTreeSet<usize>,
    /// Per constraint: matching pods per topology value, only for values of candidate nodes
    /// (hostname constraints are counted per node at Score).
    pub topology_value_to_pod_counts: Vec<BTreeMap<String, i64>>,
    /// Per constraint: `ln(domains + 2)`.
    pub topology_normalizing_weight: Vec<f64>,
}

/// Upstream `topologyNormalizingWeight`: `math.Log(size + 2)` (libm for bit-exactness).
pub fn topology_normalizing_weight(size: usize) -> f64 {
    libm::log((size + 2) as f64)
}

/// Upstream `scoreForCount`: `cnt * weight + (maxSkew - 1)`.
pub fn score_for_count(cnt: i64, max_skew: i32, weight: f64) -> f64 {
    cnt as f64 * weight + (max_skew - 1) as f64
}

/// Upstream `initPreScoreState`: the constraints, the ignored candidate nodes, the topology
/// values seen among candidates and each constraint's normalizing weight (for hostname: the
/// number of non-ignored candidates).
fn init_pre_score_state(
    pl: &PodTopologySpread,
    pod: &PodInfo,
    feasible: &[usize],
    snap: &Snapshot,
    require_all_topologies: bool,
) -> Result<PreScoreState, String> {
    let spec = &pod.pod.spec.topology_spread_constraints;
    let constraints = if !spec.is_empty() {
        filter_constraints(spec, &pod.labels, SCHEDULE_ANYWAY)
            .map_err(|e| format!("obtaining pod's soft topology spread constraints: {e}"))?
    } else {
        build_default_constraints(&pl.default_constraints, pod, snap, SCHEDULE_ANYWAY)
            .map_err(|e| format!("setting default soft topology spread constraints: {e}"))?
    };
    let mut s = PreScoreState::default();
    if constraints.is_empty() {
        return Ok(s);
    }
    s.topology_value_to_pod_counts = vec![BTreeMap::new(); constraints.len()];
    for &idx in feasible {
        let node = &snap.nodes[idx];
        if require_all_topologies && !node_labels_match(node.labels(), &constraints) {
            // Nodes which don't have all required topologyKeys are ignored when scoring.
            s.ignored_nodes.insert(node.name.clone());
            s.ignored_idx.insert(idx);
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            // Per-node counts are calculated during Score.
            if c.topology_key == LABEL_HOSTNAME {
                continue;
            }
            let value = node
                .labels()
                .get(&c.topology_key)
                .cloned()
                .unwrap_or_default();
            s.topology_value_to_pod_counts[i].entry(value).or_insert(0);
        }
    }
    s.topology_normalizing_weight = constraints
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let size = if c.topology_key == LABEL_HOSTNAME {
                feasible.len() - s.ignored_nodes.len()
            } else {
                s.topology_value_to_pod_counts[i].len()
            };
            topology_normalizing_weight(size)
        })
        .collect();
    s.constraints = constraints;
    Ok(s)
}

/// Upstream `PreScore`: Skip with no nodes or no soft constraints; otherwise count the
/// matching pods of every node (all nodes, not only candidates) into the topology values seen
/// among the candidates.
pub fn pre_score(
    pl: &PodTopologySpread,
    state: &mut CycleState,
    pod: &PodInfo,
    feasible: &[usize],
    snap: &Snapshot,
) -> Status {
    if snap.nodes.is_empty() {
        return Status::skip();
    }
    // Only require all topology labels with non-system-default spreading rules, so nodes
    // without a zone label still get hostname spreading.
    let require_all = !pod.pod.spec.topology_spread_constraints.is_empty() || !pl.system_defaulted;
    let mut s = match init_pre_score_state(pl, pod, feasible, snap, require_all) {
        Ok(s) => s,
        Err(e) => return Status::error(format!("calculating preScoreState: {e}")),
    };
    if s.constraints.is_empty() {
        return Status::skip();
    }
    for node in &snap.nodes {
        if require_all && !node_labels_match(node.labels(), &s.constraints) {
            continue;
        }
        for (i, c) in s.constraints.iter().enumerate() {
            if !c.match_node_inclusion_policies(pod, node) {
                continue;
            }
            let value = node
                .labels()
                .get(&c.topology_key)
                .map(String::as_str)
                .unwrap_or("");
            // Only topology values of candidate nodes (hostname is counted at Score).
            let Some(count) = s.topology_value_to_pod_counts[i].get_mut(value) else {
                continue;
            };
            *count += count_pods_match_selector(&node.pods, &c.selector, &pod.namespace);
        }
    }
    state.write(PRE_SCORE_STATE_KEY, s);
    Status::success()
}

/// Upstream `Score`: Σ over the constraints whose key the node has of
/// `scoreForCount(count of the node's domain)`, rounded half away from zero.
pub fn score(state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
    let s: &PreScoreState = state.read(PRE_SCORE_STATE_KEY).ok_or_else(|| {
        Status::error(format!(
            "error reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"
        ))
    })?;
    if s.ignored_nodes.contains(&node.name) {
        return Ok(0);
    }
    let mut score = 0.0f64;
    for (i, c) in s.constraints.iter().enumerate() {
        let Some(tp_val) = node.labels().get(&c.topology_key) else {
            continue;
        };
        let cnt = if c.topology_key == LABEL_HOSTNAME {
            count_pods_match_selector(&node.pods, &c.selector, &pod.namespace)
        } else {
            s.topology_value_to_pod_counts[i]
                .get(tp_val)
                .copied()
                .unwrap_or(0)
        };
        score += score_for_count(cnt, c.max_skew, s.topology_normalizing_weight[i]);
    }
    Ok(libm::round(score) as i64)
}

/// Upstream `NormalizeScore`: ignored nodes get 0; otherwise with `max` / `min` over the
/// others, `100` when `max == 0`, else `100 * (max + min - s) / max` (integer division).
pub fn normalize(state: &CycleState, scores: &mut [NodeScore]) -> Status {
    let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
        return Status::success();
    };
    let mut min_score = i64::MAX;
    let mut max_score = 0i64;
    for ns in scores.iter_mut() {
        // It's mandatory to check whether the node is ignored (upstream).
        if s.ignored_idx.contains(&ns.node) {
            ns.score = INVALID_SCORE;
            continue;
        }
        min_score = min_score.min(ns.score);
        max_score = max_score.max(ns.score);
    }
    for ns in scores.iter_mut() {
        if ns.score == INVALID_SCORE {
            ns.score = 0;
        } else if max_score == 0 {
            ns.score = MAX_NODE_SCORE;
        } else {
            ns.score = MAX_NODE_SCORE * (max_score + min_score - ns.score) / max_score;
        }
    }
    Status::success()
}
