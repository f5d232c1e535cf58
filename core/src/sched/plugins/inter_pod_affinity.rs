//! InterPodAffinity (PreFilter, Filter, PreScore, Score): required pod affinity /
//! anti-affinity in both directions, and preferred terms scored per topology domain
//! (upstream pkg/scheduler/framework/plugins/interpodaffinity: plugin.go, filtering.go,
//! scoring.go; args: apis/config/v1/defaults.go `SetDefaults_InterPodAffinityArgs`,
//! validation/validation_pluginargs.go `ValidateInterPodAffinityArgs`).
//!
//! Topology pairs are kept in `OrdMap`s; every count is a sum, so the order in which nodes
//! and pods are visited (upstream: parallel) cannot change a result.

use crate::api::selector::{Labels, Selector};
use crate::collections::OrdMap;
use crate::sched::framework::podinfo::{AffinityTerm, WeightedAffinityTerm};
use crate::sched::framework::{
    CycleState, NodeInfo, NodeScore, Plugin, PodInfo, Point, Snapshot, Status, MAX_NODE_SCORE,
};
use cellsim_derive::CompactDeserialize;
use std::rc::Rc;

pub const NAME: &str = "InterPodAffinity";

/// Upstream `preFilterStateKey` / `preScoreStateKey`.
const PRE_FILTER_STATE: &str = "PreFilterInterPodAffinity";
const PRE_SCORE_STATE: &str = "PreScoreInterPodAffinity";

/// Upstream filtering.go reasons.
pub const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
pub const ERR_REASON_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
pub const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't match pod anti-affinity rules";

/// Upstream `DefaultHardPodAffinityWeight` (SetDefaults_InterPodAffinityArgs) and the range
/// `ValidateHardPodAffinityWeight` accepts.
pub const DEFAULT_HARD_POD_AFFINITY_WEIGHT: i32 = 1;
const MIN_HARD_POD_AFFINITY_WEIGHT: i32 = 0;
const MAX_HARD_POD_AFFINITY_WEIGHT: i32 = 100;

/// `InterPodAffinityArgs` (JSON, camelCase). `apiVersion` / `kind` are the inline TypeMeta.
#[derive(CompactDeserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    #[allow(dead_code)]
    api_version: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    kind: Option<String>,
    #[serde(default)]
    hard_pod_affinity_weight: Option<i32>,
    #[serde(default)]
    ignore_preferred_terms_of_existing_pods: bool,
}

#[derive(Debug)]
pub struct InterPodAffinity {
    pub hard_pod_affinity_weight: i32,
    pub ignore_preferred_terms_of_existing_pods: bool,
}

impl InterPodAffinity {
    pub fn new(args: Option<&crate::yaml::Node>) -> Result<InterPodAffinity, String> {
        let a: Args = crate::sched::plugins::helper::decode_args("InterPodAffinityArgs", args)?;
        // SetDefaults_InterPodAffinityArgs: a missing weight is 1 (an explicit 0 stays 0).
        let w = a
            .hard_pod_affinity_weight
            .unwrap_or(DEFAULT_HARD_POD_AFFINITY_WEIGHT);
        // ValidateHardPodAffinityWeight.
        if !(MIN_HARD_POD_AFFINITY_WEIGHT..=MAX_HARD_POD_AFFINITY_WEIGHT).contains(&w) {
            return Err(format!(
                "hardPodAffinityWeight: Invalid value: {w}: not in valid range [{MIN_HARD_POD_AFFINITY_WEIGHT}-{MAX_HARD_POD_AFFINITY_WEIGHT}]"
            ));
        }
        Ok(InterPodAffinity {
            hard_pod_affinity_weight: w,
            ignore_preferred_terms_of_existing_pods: a.ignore_preferred_terms_of_existing_pods,
        })
    }
}

/// Upstream `topologyPair` → count (`topologyToMatchedTermCount`).
type TopologyCounts = OrdMap<(String, String), i64>;

/// Upstream `topologyToMatchedTermCount.update`: add `value` to the node's pair for `key` (if
/// the node has that label), dropping entries that fall to zero.
fn update(m: &mut TopologyCounts, node_labels: &Labels, key: &str, value: i64) {
    if let Some(v) = node_labels.get(key) {
        let pair = (key.to_string(), v.clone());
        let e = m.entry(pair.clone()).or_insert(0);
        *e += value;
        if *e == 0 {
            m.remove(&pair);
        }
    }
}

/// Upstream `podMatchesAllAffinityTerms`: false for no terms. The terms are the incoming pod's,
/// whose namespaceSelector is merged into their namespaces, so no namespace labels are passed.
fn pod_matches_all_affinity_terms(terms: &[AffinityTerm], pod: &PodInfo) -> bool {
    !terms.is_empty() && terms.iter().all(|t| t.matches(pod, None))
}

/// Upstream `updateWithAffinityTerms`: when `pod` matches ALL terms, +value per term's pair.
fn update_with_affinity_terms(
    m: &mut TopologyCounts,
    terms: &[AffinityTerm],
    pod: &PodInfo,
    node_labels: &Labels,
    value: i64,
) {
    if pod_matches_all_affinity_terms(terms, pod) {
        for t in terms {
            update(m, node_labels, &t.topology_key, value);
        }
    }
}

/// Upstream `updateWithAntiAffinityTerms`: +value for each term `pod` matches.
fn update_with_anti_affinity_terms(
    m: &mut TopologyCounts,
    terms: &[AffinityTerm],
    pod: &PodInfo,
    ns_labels: Option<&Labels>,
    node_labels: &Labels,
    value: i64,
) {
    for t in terms {
        if t.matches(pod, ns_labels) {
            update(m, node_labels, &t.topology_key, value);
        }
    }
}

/// Upstream `mergeAffinityTermNamespacesIfNotEmpty`, for the incoming pod's terms: a
/// namespaceSelector that is not `Everything` is unrolled into the namespaces it selects now
/// (from the namespace objects) and replaced by `Nothing`; `Everything` stays (it matches any
/// namespace, with or without labels).
fn merge_namespaces(term: &AffinityTerm, snap: &Snapshot) -> AffinityTerm {
    let mut t = term.clone();
    if let Some(sel) = &term.namespace_selector {
        if sel.is_empty() {
            return t;
        }
        for (name, labels) in &snap.namespaces {
            if sel.matches(labels) {
                t.namespaces.insert(name.clone());
            }
        }
        t.namespace_selector = Some(Selector::nothing());
    }
    t
}

fn merge_weighted(terms: &[WeightedAffinityTerm], snap: &Snapshot) -> Vec<WeightedAffinityTerm> {
    terms
        .iter()
        .map(|w| WeightedAffinityTerm {
            term: merge_namespaces(&w.term, snap),
            weight: w.weight,
        })
        .collect()
}

/// Upstream `preFilterState`. Cloned per node by preemption's dry run and the nominated-pods
/// pass (upstream `preFilterState.Clone`: the counts are copied, the pod's terms and
/// namespace labels shared).
#[derive(Clone)]
struct PreFilterState {
    /// The incoming pod's required terms, namespaces merged.
    affinity_terms: Rc<[AffinityTerm]>,
    anti_affinity_terms: Rc<[AffinityTerm]>,
    /// The incoming pod's namespace labels (upstream `namespaceLabels`; `None`: not found).
    namespace_labels: Option<Rc<Labels>>,
    /// Pairs → number of existing pods' required anti-affinity terms matching the pod.
    existing_anti_affinity_counts: TopologyCounts,
    /// Pairs → number of existing pods matching all the pod's required affinity terms.
    affinity_counts: TopologyCounts,
    /// Pairs → number of (existing pod, term) matches of the pod's required anti-affinity.
    anti_affinity_counts: TopologyCounts,
}

impl PreFilterState {
    /// Upstream `preFilterState.updateWithPod` (AddPod with `multiplier` 1, RemovePod with
    /// -1): `p`'s required anti-affinity terms against the incoming `pod` (with the pod's
    /// namespace labels), then `p` against the pod's required affinity terms (all must
    /// match) and anti-affinity terms (merged: no namespace labels), at `node_labels`' pairs.
    fn update_with_pod(
        &mut self,
        p: &PodInfo,
        pod: &PodInfo,
        node_labels: &Labels,
        multiplier: i64,
    ) {
        update_with_anti_affinity_terms(
            &mut self.existing_anti_affinity_counts,
            &p.required_anti_affinity,
            pod,
            self.namespace_labels.as_deref(),
            node_labels,
            multiplier,
        );
        update_with_affinity_terms(
            &mut self.affinity_counts,
            &self.affinity_terms,
            p,
            node_labels,
            multiplier,
        );
        update_with_anti_affinity_terms(
            &mut self.anti_affinity_counts,
            &self.anti_affinity_terms,
            p,
            None,
            node_labels,
            multiplier,
        );
    }
}

/// Upstream `AddPod` / `RemovePod` (filtering.go) on the cycle's preFilterState.
fn add_or_remove_pod(
    state: &mut CycleState,
    pod: &PodInfo,
    p: &PodInfo,
    node: &NodeInfo,
    multiplier: i64,
) -> Status {
    match state.read_mut::<PreFilterState>(PRE_FILTER_STATE) {
        Some(s) => {
            s.update_with_pod(p, pod, node.labels(), multiplier);
            Status::success()
        }
        None => Status::error(format!(
            "error reading {PRE_FILTER_STATE:?} from cycleState: not found"
        )),
    }
}

/// Upstream `preScoreState`: topology key → value → score.
#[derive(Clone)]
struct PreScoreState {
    topology_score: OrdMap<String, OrdMap<String, i64>>,
}

/// Upstream `scoreMap.processTerm`: +weight*multiplier at the node's pair for the term's key
/// when `pod` matches the term.
fn process_term(
    m: &mut OrdMap<String, OrdMap<String, i64>>,
    term: &AffinityTerm,
    weight: i32,
    pod: &PodInfo,
    ns_labels: Option<&Labels>,
    node_labels: &Labels,
    multiplier: i32,
) {
    if term.matches(pod, ns_labels) {
        if let Some(v) = node_labels.get(&term.topology_key) {
            *m.entry(term.topology_key.clone())
                .or_default()
                .entry(v.clone())
                .or_insert(0) += (weight * multiplier) as i64;
        }
    }
}

fn process_terms(
    m: &mut OrdMap<String, OrdMap<String, i64>>,
    terms: &[WeightedAffinityTerm],
    pod: &PodInfo,
    ns_labels: Option<&Labels>,
    node_labels: &Labels,
    multiplier: i32,
) {
    for t in terms {
        process_term(
            m,
            &t.term,
            t.weight,
            pod,
            ns_labels,
            node_labels,
            multiplier,
        );
    }
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn queueing_hint(
        &self,
        pod: &PodInfo,
        event: &crate::sched::events::ClusterEvent,
        snap: &Snapshot,
    ) -> Option<crate::sched::events::QueueingHint> {
        super::inter_pod_affinity_hints::queueing_hint(pod, event, snap)
    }
    fn points(&self) -> &'static [Point] {
        &[
            Point::PreFilter,
            Point::Filter,
            Point::PreScore,
            Point::Score,
        ]
    }

    /// Upstream `PreFilter`: count, per topology pair, (1) existing pods (on nodes with pods
    /// with required anti-affinity) whose required anti-affinity terms match the pod — matched
    /// with the pod's namespace labels; (2) existing pods matching all the pod's required
    /// affinity terms; (3) existing pods matching each of its required anti-affinity terms.
    /// Skip when (1) is empty and the pod has no required terms.
    fn pre_filter(&self, state: &mut CycleState, pod: &PodInfo, snap: &Snapshot) -> Status {
        let affinity_terms: Vec<AffinityTerm> = pod
            .required_affinity
            .iter()
            .map(|t| merge_namespaces(t, snap))
            .collect();
        let anti_affinity_terms: Vec<AffinityTerm> = pod
            .required_anti_affinity
            .iter()
            .map(|t| merge_namespaces(t, snap))
            .collect();
        // GetNamespaceLabelsSnapshot: the pod's namespace labels (empty when not found).
        let ns_labels = snap.namespaces.get(&pod.namespace);

        // getExistingAntiAffinityCounts over HavePodsWithRequiredAntiAffinityList.
        let mut existing = TopologyCounts::new();
        for n in snap.nodes_with_required_anti_affinity() {
            for ep in n
                .pods
                .iter()
                .filter(|p| !p.required_anti_affinity.is_empty())
            {
                update_with_anti_affinity_terms(
                    &mut existing,
                    &ep.required_anti_affinity,
                    pod,
                    ns_labels,
                    n.labels(),
                    1,
                );
            }
        }

        // getIncomingAffinityAntiAffinityCounts over all nodes.
        let mut affinity_counts = TopologyCounts::new();
        let mut anti_affinity_counts = TopologyCounts::new();
        if !affinity_terms.is_empty() || !anti_affinity_terms.is_empty() {
            for n in &snap.nodes {
                for ep in &n.pods {
                    update_with_affinity_terms(
                        &mut affinity_counts,
                        &affinity_terms,
                        ep,
                        n.labels(),
                        1,
                    );
                    // Incoming terms are merged: nil namespace labels (upstream).
                    update_with_anti_affinity_terms(
                        &mut anti_affinity_counts,
                        &anti_affinity_terms,
                        ep,
                        None,
                        n.labels(),
                        1,
                    );
                }
            }
        }

        if existing.is_empty() && affinity_terms.is_empty() && anti_affinity_terms.is_empty() {
            return Status::skip();
        }
        state.write(
            PRE_FILTER_STATE,
            PreFilterState {
                affinity_terms: affinity_terms.into(),
                anti_affinity_terms: anti_affinity_terms.into(),
                namespace_labels: ns_labels.map(|l| Rc::new(l.clone())),
                existing_anti_affinity_counts: existing,
                affinity_counts,
                anti_affinity_counts,
            },
        );
        Status::success()
    }

    /// Upstream `AddPod` (PreFilterExtensions).
    fn add_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        to_add: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        add_or_remove_pod(state, pod, to_add, node, 1)
    }

    /// Upstream `RemovePod` (PreFilterExtensions).
    fn remove_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        to_remove: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        add_or_remove_pod(state, pod, to_remove, node, -1)
    }

    /// Upstream `Filter`: affinity (UnschedulableAndUnresolvable), then the pod's
    /// anti-affinity (Unschedulable), then existing pods' anti-affinity (Unschedulable).
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Status {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE) else {
            return Status::error(format!(
                "error reading {PRE_FILTER_STATE:?} from cycleState: not found"
            ));
        };
        if !satisfy_pod_affinity(s, pod, node) {
            return Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
        }
        if !satisfy_pod_anti_affinity(s, node) {
            return Status::unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        if !satisfy_existing_pods_anti_affinity(s, node) {
            return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        Status::success()
    }

    /// Upstream `PreScore`: Skip with no feasible nodes, or when
    /// `ignorePreferredTermsOfExistingPods` is set and the pod has no preferred terms.
    /// With preferred terms, every pod on every node is processed; without, only pods with
    /// affinity on nodes hosting such pods (`HavePodsWithAffinityList`). Skip when no node
    /// contributed a topology score.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        feasible: &[usize],
        snap: &Snapshot,
    ) -> Status {
        if feasible.is_empty() {
            return Status::skip();
        }
        let has_constraints =
            !pod.preferred_affinity.is_empty() || !pod.preferred_anti_affinity.is_empty();
        if self.ignore_preferred_terms_of_existing_pods && !has_constraints {
            return Status::skip();
        }
        let pref_affinity = merge_weighted(&pod.preferred_affinity, snap);
        let pref_anti_affinity = merge_weighted(&pod.preferred_anti_affinity, snap);
        let ns_labels = snap.namespaces.get(&pod.namespace);

        let mut topology_score: OrdMap<String, OrdMap<String, i64>> =
            crate::collections::OrdMap::new();
        let mut any = false;
        // HavePodsWithAffinityList unless the pod has preferred terms.
        let nodes: Box<dyn Iterator<Item = &NodeInfo>> = if has_constraints {
            Box::new(snap.nodes.iter())
        } else {
            Box::new(snap.nodes_with_affinity())
        };
        for n in nodes {
            let labels = n.labels();
            let mut topo = OrdMap::new();
            for ep in &n.pods {
                if !has_constraints && !ep.has_affinity() {
                    continue;
                }
                // processExistingPod: nothing for a node without labels.
                if labels.is_empty() {
                    continue;
                }
                // The pod's preferred terms vs the existing pod (merged: nil labels).
                process_terms(&mut topo, &pref_affinity, ep, None, labels, 1);
                process_terms(&mut topo, &pref_anti_affinity, ep, None, labels, -1);
                // The existing pod's required affinity terms vs the pod: +hardPodAffinityWeight.
                if self.hard_pod_affinity_weight > 0 {
                    for t in &ep.required_affinity {
                        process_term(
                            &mut topo,
                            t,
                            self.hard_pod_affinity_weight,
                            pod,
                            ns_labels,
                            labels,
                            1,
                        );
                    }
                }
                // The existing pod's preferred terms vs the pod.
                process_terms(&mut topo, &ep.preferred_affinity, pod, ns_labels, labels, 1);
                process_terms(
                    &mut topo,
                    &ep.preferred_anti_affinity,
                    pod,
                    ns_labels,
                    labels,
                    -1,
                );
            }
            if !topo.is_empty() {
                any = true;
                for (k, vs) in topo {
                    let e = topology_score.entry(k).or_default();
                    for (v, s) in vs {
                        *e.entry(v).or_insert(0) += s;
                    }
                }
            }
        }
        if !any {
            return Status::skip();
        }
        state.write(PRE_SCORE_STATE, PreScoreState { topology_score });
        Status::success()
    }

    /// Upstream `Score`: the sum of the topology scores of the node's pairs.
    fn score(
        &self,
        state: &CycleState,
        _: &PodInfo,
        node: &NodeInfo,
        _: &Snapshot,
    ) -> Result<i64, Status> {
        let s: &PreScoreState = state.read(PRE_SCORE_STATE).ok_or_else(|| {
            Status::error(format!(
                "error reading {PRE_SCORE_STATE:?} from cycleState: not found"
            ))
        })?;
        let labels = node.labels();
        let mut score = 0i64;
        for (k, vs) in &s.topology_score {
            if let Some(v) = labels.get(k) {
                score += vs.get(v).copied().unwrap_or(0);
            }
        }
        Ok(score)
    }

    /// Upstream `NormalizeScore`: nothing when there is no topology score; otherwise
    /// `int64(100 * (float64(s-min) / float64(max-min)))` over the scored nodes, and every
    /// score becomes 0 when max == min.
    fn normalize(&self, state: &CycleState, _: &PodInfo, scores: &mut [NodeScore]) -> Status {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE) else {
            return Status::error(format!(
                "error reading {PRE_SCORE_STATE:?} from cycleState: not found"
            ));
        };
        if s.topology_score.is_empty() {
            return Status::success();
        }
        let mut min = i64::MAX;
        let mut max = i64::MIN;
        for sc in scores.iter() {
            max = max.max(sc.score);
            min = min.min(sc.score);
        }
        let diff = max.wrapping_sub(min);
        for sc in scores.iter_mut() {
            let mut f = 0f64;
            if diff > 0 {
                f = MAX_NODE_SCORE as f64 * ((sc.score - min) as f64 / diff as f64);
            }
            sc.score = f as i64;
        }
        Status::success()
    }
}

/// Upstream `satisfyPodAffinity`: every required affinity term's topology key must be on the
/// node; each pair must hold a matching pod — unless no pod matches anywhere and the pod
/// matches all its own terms (the first pod of a self-affine group).
fn satisfy_pod_affinity(s: &PreFilterState, pod: &PodInfo, node: &NodeInfo) -> bool {
    let mut pods_exist = true;
    for t in s.affinity_terms.iter() {
        match node.labels().get(&t.topology_key) {
            Some(v) => {
                let pair = (t.topology_key.clone(), v.clone());
                if s.affinity_counts.get(&pair).copied().unwrap_or(0) <= 0 {
                    pods_exist = false;
                }
            }
            // All topology labels must exist on the node.
            None => return false,
        }
    }
    if !pods_exist {
        return s.affinity_counts.is_empty()
            && pod_matches_all_affinity_terms(&s.affinity_terms, pod);
    }
    true
}

/// Upstream `satisfyPodAntiAffinity`: no pair of the node (for the pod's anti-affinity keys)
/// may hold a matching pod; a node without the key satisfies the term.
fn satisfy_pod_anti_affinity(s: &PreFilterState, node: &NodeInfo) -> bool {
    if s.anti_affinity_counts.is_empty() {
        return true;
    }
    for t in s.anti_affinity_terms.iter() {
        if let Some(v) = node.labels().get(&t.topology_key) {
            let pair = (t.topology_key.clone(), v.clone());
            if s.anti_affinity_counts.get(&pair).copied().unwrap_or(0) > 0 {
                return false;
            }
        }
    }
    true
}

/// Upstream `satisfyExistingPodsAntiAffinity`: no label pair of the node may carry an
/// existing pod's anti-affinity against the pod.
fn satisfy_existing_pods_anti_affinity(s: &PreFilterState, node: &NodeInfo) -> bool {
    if s.existing_anti_affinity_counts.is_empty() {
        return true;
    }
    for (k, v) in node.labels() {
        if s.existing_anti_affinity_counts
            .get(&(k.clone(), v.clone()))
            .copied()
            .unwrap_or(0)
            > 0
        {
            return false;
        }
    }
    true
}

#[cfg(test)]
#[path = "inter_pod_affinity_tests.rs"]
mod tests;
