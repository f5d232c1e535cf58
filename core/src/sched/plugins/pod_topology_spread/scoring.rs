//! PodTopologySpread PreScore / Score / NormalizeScore (upstream scoring.go):
//! `ScheduleAnyway` constraints, or the default constraints for a pod without any.

use super::common::{
    admits_every_node, count_pods_match_selector, required_keys, Constraint, LABEL_HOSTNAME,
    SCHEDULE_ANYWAY,
};
use super::node_domains::{DomainTable, MISSING};
use super::PodTopologySpread;
use crate::collections::OrdSet;
use crate::sched::framework::{
    CycleState, NodeInfo, NodeScore, PodInfo, Snapshot, Status, MAX_NODE_SCORE,
};
use std::rc::Rc;

/// Upstream `preScoreStateKey`.
pub const PRE_SCORE_STATE_KEY: &str = "PreScorePodTopologySpread";
/// Upstream `invalidScore`.
const INVALID_SCORE: i64 = -1;

/// Upstream `preScoreState`.
#[derive(Clone, Debug, Default)]
pub struct PreScoreState {
    pub constraints: Vec<Constraint>,
    /// Names of the candidate nodes missing some constraint's topology key (not scored).
    pub ignored_nodes: OrdSet<String>,
    /// The same nodes as snapshot indexes (what `NodeScore` carries).
    pub ignored_idx: OrdSet<usize>,
    /// Per constraint: every node's value of its topology key as an id (`node_domains`).
    pub domains: Vec<Rc<DomainTable>>,
    /// Per constraint, per domain slot (`DomainTable::slot`): matching pods, only for values
    /// of candidate nodes (`NOT_A_CANDIDATE` elsewhere); upstream's
    /// `TopologyValueToPodCounts`. Hostname constraints are counted per node at Score.
    pub topology_value_to_pod_counts: Vec<Vec<i64>>,
    /// Per constraint: `ln(domains + 2)`.
    pub topology_normalizing_weight: Vec<f64>,
    /// Per hostname constraint, per snapshot node index: the node's matching pods, filled for
    /// the candidates at PreScore from the per-node count cache (-1: not computed, Score
    /// counts itself).
    pub host_counts: Vec<Vec<i64>>,
}

/// A domain slot no candidate node has (upstream: not a key of the map).
const NOT_A_CANDIDATE: i64 = -1;

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
    let constraints = super::filtering::constraints_for(pl, pod, snap, SCHEDULE_ANYWAY)?;
    let mut s = PreScoreState::default();
    if constraints.is_empty() {
        return Ok(s);
    }
    {
        let mut nd = pl.node_domains.borrow_mut();
        s.domains = constraints
            .iter()
            .map(|c| nd.get(snap, &c.topology_key))
            .collect();
    }
    s.topology_value_to_pod_counts = s
        .domains
        .iter()
        .map(|d| vec![NOT_A_CANDIDATE; d.slots()])
        .collect();
    let mut sizes = vec![0usize; constraints.len()];
    for &idx in feasible {
        if require_all_topologies && s.domains.iter().any(|d| d.ids[idx] == MISSING) {
            // Nodes which don't have all required topologyKeys are ignored when scoring.
            s.ignored_nodes.insert(snap.nodes[idx].name.clone());
            s.ignored_idx.insert(idx);
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            // Per-node counts are calculated during Score.
            if c.topology_key == LABEL_HOSTNAME {
                continue;
            }
            let slot = &mut s.topology_value_to_pod_counts[i][s.domains[i].slot(idx)];
            if *slot == NOT_A_CANDIDATE {
                *slot = 0;
                sizes[i] += 1;
            }
        }
    }
    s.topology_normalizing_weight = constraints
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let size = if c.topology_key == LABEL_HOSTNAME {
                feasible.len() - s.ignored_nodes.len()
            } else {
                sizes[i]
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
#[cellsim_derive::hot]
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
    let mut cache = pl.counts.borrow_mut();
    let entries: Vec<usize> = s
        .constraints
        .iter()
        .map(|c| cache.entry(snap, &c.selector, &pod.namespace))
        .collect();
    if s.constraints.iter().all(|c| admits_every_node(c, pod)) {
        // The same sums from the incrementally kept per-domain totals.
        let required = if require_all {
            required_keys(&s.constraints)
        } else {
            Vec::new()
        };
        let mut domains = pl.domains.borrow_mut();
        for (i, c) in s.constraints.iter().enumerate() {
            if c.topology_key == LABEL_HOSTNAME {
                continue;
            }
            let totals = domains.totals(
                snap,
                &c.selector,
                &pod.namespace,
                &c.topology_key,
                &required,
                &mut |idx| cache.count(entries[i], snap, idx),
            );
            let d = &s.domains[i];
            for (id, name) in d.names.iter().enumerate() {
                let count = &mut s.topology_value_to_pod_counts[i][id];
                if *count != NOT_A_CANDIDATE {
                    *count = totals.get(name).map_or(0, |t| t.1);
                }
            }
            // Nodes without the key count under the empty value.
            if d.id_of("").is_none() {
                let count = &mut s.topology_value_to_pod_counts[i][d.names.len()];
                if *count != NOT_A_CANDIDATE {
                    *count = totals.get("").map_or(0, |t| t.1);
                }
            }
        }
    } else {
        for (idx, node) in snap.nodes.iter().enumerate() {
            if require_all && s.domains.iter().any(|d| d.ids[idx] == MISSING) {
                continue;
            }
            for (i, c) in s.constraints.iter().enumerate() {
                // Hostname constraints are counted per node at Score.
                if c.topology_key == LABEL_HOSTNAME {
                    continue;
                }
                // Only topology values of candidate nodes.
                let slot = s.domains[i].slot(idx);
                if s.topology_value_to_pod_counts[i][slot] == NOT_A_CANDIDATE {
                    continue;
                }
                if !c.match_node_inclusion_policies(pod, node) {
                    continue;
                }
                // countPodsMatchSelector, from the per-node cache.
                let n = cache.count(entries[i], snap, idx);
                s.topology_value_to_pod_counts[i][slot] += n;
            }
        }
    }
    // Hostname constraints: each candidate's own count, read at Score.
    s.host_counts = vec![Vec::new(); s.constraints.len()];
    for (i, c) in s.constraints.iter().enumerate() {
        if c.topology_key != LABEL_HOSTNAME {
            continue;
        }
        let mut v = vec![-1i64; snap.nodes.len()];
        for &idx in feasible {
            v[idx] = cache.count(entries[i], snap, idx);
        }
        s.host_counts[i] = v;
    }
    drop(cache);
    state.write(PRE_SCORE_STATE_KEY, s);
    Status::success()
}

/// Upstream `Score`: Σ over the constraints whose key the node has of
/// `scoreForCount(count of the node's domain)`, rounded half away from zero.
#[cellsim_derive::hot]
pub fn score(state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
    let s: &PreScoreState = state.read(PRE_SCORE_STATE_KEY).ok_or_else(|| {
        Status::error(format!(
            "error reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"
        ))
    })?;
    // By index when the node is the snapshot's (no string compare), else by name.
    let ignored = if node.index != usize::MAX {
        s.ignored_idx.contains(&node.index)
    } else {
        s.ignored_nodes.contains(&node.name)
    };
    if ignored {
        return Ok(0);
    }
    let mut score = 0.0f64;
    for (i, c) in s.constraints.iter().enumerate() {
        // The node's domain slot, or skip the constraint when the node lacks its key.
        // (A node outside the snapshot by its labels.)
        let d = &s.domains[i];
        let slot = match d.ids.get(node.index) {
            Some(&MISSING) => continue,
            Some(&id) => Some(id as usize),
            None => {
                let Some(tp_val) = node.labels().get(&c.topology_key) else {
                    continue;
                };
                d.id_of(tp_val).map(|id| id as usize)
            }
        };
        let cnt = if c.topology_key == LABEL_HOSTNAME {
            match s.host_counts.get(i).and_then(|v| v.get(node.index)) {
                Some(&n) if n >= 0 => n,
                _ => count_pods_match_selector(&node.pods, &c.selector, &pod.namespace),
            }
        } else {
            slot.and_then(|slot| s.topology_value_to_pod_counts[i].get(slot))
                .map_or(0, |&n| n.max(0))
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
