//! PodTopologySpread PreFilter / Filter (upstream filtering.go): `DoNotSchedule` constraints.

use super::common::{
    admits_every_node, build_default_constraints, filter_constraints, node_labels_match,
    required_keys, Constraint, DO_NOT_SCHEDULE,
};
use super::{PodTopologySpread, ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH};
use crate::collections::OrdMap;
use crate::sched::framework::{CycleState, NodeInfo, PodInfo, Snapshot, Status};
use std::rc::Rc;

/// Upstream `preFilterStateKey`.
pub const PRE_FILTER_STATE_KEY: &str = "PreFilterPodTopologySpread";

/// One of a constraint's two critical paths (upstream `criticalPaths` element): a topology
/// value and its number of matching pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriticalPath {
    pub topology_value: String,
    pub match_num: i64,
}

/// Upstream `criticalPaths` (filtering.go): two paths kept in ascending order of
/// `match_num`; `[0]` always holds the minimum, `[1]` is at least `[0]` but not necessarily
/// the second minimum once AddPod / RemovePod have updated it. That is enough because
/// preemption only changes pods on one node, on a copy of the state per node (upstream's
/// CAVEAT comment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriticalPaths(pub [CriticalPath; 2]);

impl Default for CriticalPaths {
    /// Upstream `newCriticalPaths`: both paths empty with `math.MaxInt32` pods.
    fn default() -> CriticalPaths {
        let empty = CriticalPath {
            topology_value: String::new(),
            match_num: i32::MAX as i64,
        };
        CriticalPaths([empty.clone(), empty])
    }
}

impl CriticalPaths {
    /// Upstream `criticalPaths.update`: set a tracked value's count (swapping to keep the
    /// order), or let an untracked value displace a path with more pods.
    pub fn update(&mut self, tp_val: &str, num: i64) {
        let p = &mut self.0;
        let i = if tp_val == p[0].topology_value {
            Some(0)
        } else if tp_val == p[1].topology_value {
            Some(1)
        } else {
            None
        };
        match i {
            Some(i) => {
                p[i].match_num = num;
                if p[0].match_num > p[1].match_num {
                    p.swap(0, 1);
                }
            }
            None if num < p[0].match_num => {
                p[1] = p[0].clone();
                p[0] = CriticalPath {
                    topology_value: tp_val.to_string(),
                    match_num: num,
                };
            }
            None if num < p[1].match_num => {
                p[1] = CriticalPath {
                    topology_value: tp_val.to_string(),
                    match_num: num,
                };
            }
            None => {}
        }
    }
}

/// Upstream `preFilterState`: per constraint, matching pods per topology value over the
/// eligible nodes, and the two critical paths. Cloned per node by preemption's dry run and
/// the nominated-pods pass (upstream `preFilterState.Clone`: the constraints are shared).
#[derive(Clone, Debug, Default)]
pub struct PreFilterState {
    pub constraints: Rc<[Constraint]>,
    pub critical_paths: Vec<CriticalPaths>,
    pub tp_value_to_match_num: Vec<OrdMap<String, i64>>,
}

impl PreFilterState {
    /// Upstream `minMatchNum`: the global minimum (`CriticalPaths[i][0].MatchNum`), 0 when
    /// fewer domains than `minDomains`.
    pub fn min_match_num(&self, i: usize, min_domains: i32) -> i64 {
        if (self.tp_value_to_match_num[i].len() as i64) < min_domains as i64 {
            0
        } else {
            self.critical_paths[i].0[0].match_num
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
    constraints_for(pl, pod, snap, DO_NOT_SCHEDULE)
}

/// The pod's own constraints with `action` as `whenUnsatisfiable` (DoNotSchedule: "hard",
/// ScheduleAnyway: "soft"), or the default ones when it has none; errors worded as upstream's
/// PreFilter and PreScore word them.
pub(super) fn constraints_for(
    pl: &PodTopologySpread,
    pod: &PodInfo,
    snap: &Snapshot,
    action: &str,
) -> Result<Vec<Constraint>, String> {
    let kind = if action == DO_NOT_SCHEDULE {
        "hard"
    } else {
        "soft"
    };
    let spec = &pod.pod.spec.topology_spread_constraints;
    if !spec.is_empty() {
        filter_constraints(spec, &pod.labels, action)
            .map_err(|e| format!("obtaining pod's {kind} topology spread constraints: {e}"))
    } else {
        build_default_constraints(&pl.default_constraints, pod, snap, action)
            .map_err(|e| format!("setting default {kind} topology spread constraints: {e}"))
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
    let mut counts: Vec<OrdMap<String, i64>> = vec![OrdMap::new(); constraints.len()];
    let mut cache = pl.counts.borrow_mut();
    let entries: Vec<usize> = constraints
        .iter()
        .map(|c| cache.entry(snap, &c.selector, &pod.namespace))
        .collect();
    if constraints.iter().all(|c| admits_every_node(c, pod)) {
        // The same sums from the incrementally kept per-domain totals.
        let required = required_keys(&constraints);
        let mut domains = pl.domains.borrow_mut();
        for (i, c) in constraints.iter().enumerate() {
            let totals = domains.totals(
                snap,
                &c.selector,
                &pod.namespace,
                &c.topology_key,
                &required,
                &mut |idx| cache.count(entries[i], snap, idx),
            );
            counts[i] =
                crate::collections::OrdMap::from_iter(totals.iter().map(|(v, t)| (v.clone(), t.1)));
        }
        return Ok(pre_filter_state(constraints, counts));
    }
    for (idx, node) in snap.nodes.iter().enumerate() {
        if !node_labels_match(node.labels(), &constraints) {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if !c.match_node_inclusion_policies(pod, node) {
                continue;
            }
            let value = &node.labels()[&c.topology_key];
            // countPodsMatchSelector, from the per-node cache.
            let n = cache.count(entries[i], snap, idx);
            match counts[i].get_mut(value) {
                Some(v) => *v += n,
                None => {
                    counts[i].insert(value.clone(), n);
                }
            }
        }
    }
    drop(cache);
    Ok(pre_filter_state(constraints, counts))
}

/// The state from the per-constraint counts: upstream ranges over the Go map to build the
/// critical paths; here the values come in sorted order, so ties between equal counts resolve
/// to the smallest topology value.
fn pre_filter_state(
    constraints: Vec<Constraint>,
    counts: Vec<OrdMap<String, i64>>,
) -> PreFilterState {
    let critical_paths = counts
        .iter()
        .map(|m| {
            let mut p = CriticalPaths::default();
            for (value, &num) in m {
                p.update(value, num);
            }
            p
        })
        .collect();
    PreFilterState {
        constraints: constraints.into(),
        critical_paths,
        tp_value_to_match_num: counts,
    }
}

/// Upstream `PreFilter`: Skip when the pod has no DoNotSchedule constraints (nor defaults).
#[cellsim_derive::hot]
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
#[cellsim_derive::hot]
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

/// Upstream `updateWithPod` (AddPod with `delta` 1, RemovePod with -1): a pod of the
/// preemptor's namespace on a node that has every constraint's topology key counts, for each
/// constraint whose selector it matches and whose node inclusion policies admit the node
/// (as calPreFilterState counted it), towards the node's topology value; the critical paths
/// follow. Unlike PreFilter's count, terminating pods are not excluded (as upstream).
pub fn update_with_pod(
    s: &mut PreFilterState,
    updated: &PodInfo,
    preemptor: &PodInfo,
    node: &NodeInfo,
    delta: i64,
) {
    if updated.namespace != preemptor.namespace {
        return;
    }
    let labels = node.labels();
    if !node_labels_match(labels, &s.constraints) {
        return;
    }
    for (i, c) in s.constraints.iter().enumerate() {
        if !c.selector.matches(&updated.labels) {
            continue;
        }
        if !c.match_node_inclusion_policies(preemptor, node) {
            continue;
        }
        let v = &labels[&c.topology_key];
        let n = s.tp_value_to_match_num[i].entry(v.clone()).or_insert(0);
        *n += delta;
        let n = *n;
        s.critical_paths[i].update(v, n);
    }
}

/// Upstream `AddPod` / `RemovePod` (PreFilterExtensions): `delta` 1 or -1 on the cycle's
/// preFilterState.
pub fn add_or_remove_pod(
    state: &mut CycleState,
    preemptor: &PodInfo,
    pod: &PodInfo,
    node: &NodeInfo,
    delta: i64,
) -> Status {
    match state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) {
        Some(s) => {
            update_with_pod(s, pod, preemptor, node, delta);
            Status::success()
        }
        None => Status::error(format!(
            "reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"
        )),
    }
}
