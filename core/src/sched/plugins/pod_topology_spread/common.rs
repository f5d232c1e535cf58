//! Shared pieces of PodTopologySpread (upstream podtopologyspread/common.go and
//! helper/spread.go): the parsed constraint, node inclusion policies, default constraints
//! with the selector deduced from the pod's Services and controller, and pod counting.

use crate::api::pod::TopologySpreadConstraint;
use crate::api::selector::{as_selector, Labels, Selector};
use crate::sched::framework::{NodeInfo, PodInfo, Snapshot};

/// `v1.LabelHostname`.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// `v1.LabelTopologyZone`.
pub const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";

pub const DO_NOT_SCHEDULE: &str = "DoNotSchedule";
pub const SCHEDULE_ANYWAY: &str = "ScheduleAnyway";

/// `v1.NodeInclusionPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Honor,
    Ignore,
}

/// Upstream `topologySpreadConstraint`: a `v1.TopologySpreadConstraint` with its selector
/// parsed and the optional fields defaulted.
#[derive(Clone, Debug)]
pub struct Constraint {
    pub max_skew: i32,
    pub topology_key: String,
    pub selector: Selector,
    pub min_domains: i32,
    pub node_affinity_policy: Policy,
    pub node_taints_policy: Policy,
}

impl Constraint {
    /// Upstream `matchNodeInclusionPolicies`: with nodeAffinityPolicy Honor the node must match
    /// the pod's nodeSelector / required node affinity; with nodeTaintsPolicy Honor it must
    /// carry no untolerated NoSchedule / NoExecute taint (`DoNotScheduleTaintsFilterFunc`).
    pub fn match_node_inclusion_policies(&self, pod: &PodInfo, node: &NodeInfo) -> bool {
        if self.node_affinity_policy == Policy::Honor && !required_affinity_matches(pod, node) {
            return false;
        }
        if self.node_taints_policy == Policy::Honor {
            let untolerated = node.node.spec.taints.iter().any(|t| {
                (t.effect == "NoSchedule" || t.effect == "NoExecute")
                    && !pod.pod.spec.tolerations.iter().any(|tol| tol.tolerates(t))
            });
            if untolerated {
                return false;
            }
        }
        true
    }
}

/// True when `c`'s node inclusion policies admit every node for `pod`: taints ignored, and
/// node affinity either ignored or absent from the pod. Per-domain totals then do not depend
/// on the pod (`domain_counts`).
pub fn admits_every_node(c: &Constraint, pod: &PodInfo) -> bool {
    let spec = &pod.pod.spec;
    let no_required_affinity = spec.node_selector.is_empty()
        && spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| {
                na.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .is_none();
    c.node_taints_policy == Policy::Ignore
        && (c.node_affinity_policy == Policy::Ignore || no_required_affinity)
}

/// The constraints' topology keys, sorted and deduplicated (what
/// `nodeLabelsMatchSpreadConstraints` requires of a node).
pub fn required_keys(constraints: &[Constraint]) -> Vec<String> {
    let mut keys: Vec<String> = constraints.iter().map(|c| c.topology_key.clone()).collect();
    crate::sort::sort(&mut keys);
    keys.dedup();
    keys
}

/// `nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`.
pub fn required_affinity_matches(pod: &PodInfo, node: &NodeInfo) -> bool {
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
    crate::api::selector::required_node_affinity_matches(
        &pod.pod.spec.node_selector,
        required,
        &node.name,
        node.labels(),
    )
}

fn policy(v: Option<&String>, default: Policy) -> Policy {
    match v.map(String::as_str) {
        Some("Honor") => Policy::Honor,
        Some("Ignore") => Policy::Ignore,
        _ => default,
    }
}

/// Upstream `filterTopologySpreadConstraints`: the constraints with `whenUnsatisfiable ==
/// action`, selectors parsed (a conversion error fails the pod), `matchLabelKeys` merged in
/// from the pod's labels (`mergeLabelSetWithSelector`), minDomains defaulting to 1,
/// nodeAffinityPolicy to Honor and nodeTaintsPolicy to Ignore.
pub fn filter_constraints(
    constraints: &[TopologySpreadConstraint],
    pod_labels: &Labels,
    action: &str,
) -> Result<Vec<Constraint>, String> {
    let mut out = Vec::new();
    for c in constraints
        .iter()
        .filter(|c| c.when_unsatisfiable == action)
    {
        let mut selector = match &c.label_selector {
            None => Selector::nothing(),
            Some(ls) => as_selector(ls).map_err(|e| e.to_string())?,
        };
        if !c.match_label_keys.is_empty() {
            let match_labels: Labels = crate::collections::OrdMap::from_iter(
                c.match_label_keys
                    .iter()
                    .filter_map(|k| pod_labels.get(k).map(|v| (k.clone(), v.clone()))),
            );
            if !match_labels.is_empty() {
                selector = merge_label_set_with_selector(&match_labels, &selector);
            }
        }
        out.push(Constraint {
            max_skew: c.max_skew,
            topology_key: c.topology_key.clone(),
            selector,
            // If MinDomains is nil, we treat MinDomains as 1 (upstream).
            min_domains: c.min_domains.unwrap_or(1),
            node_affinity_policy: policy(c.node_affinity_policy.as_ref(), Policy::Honor),
            node_taints_policy: policy(c.node_taints_policy.as_ref(), Policy::Ignore),
        });
    }
    Ok(out)
}

/// Upstream `mergeLabelSetWithSelector`: `SelectorFromSet(matchLabels)` plus the selector's
/// requirements. `labels.Nothing()` has no requirements, so a constraint without a
/// labelSelector ends up selecting by the matchLabelKeys alone (as upstream).
pub fn merge_label_set_with_selector(match_labels: &Labels, s: &Selector) -> Selector {
    let merged = Selector::from_set(match_labels);
    merged.add(s.requirements().iter().cloned())
}

/// Upstream `nodeLabelsMatchSpreadConstraints`: the node has every constraint's topology key.
pub fn node_labels_match(labels: &Labels, constraints: &[Constraint]) -> bool {
    constraints
        .iter()
        .all(|c| labels.contains_key(&c.topology_key))
}

/// Upstream `countPodsMatchSelector`: pods in namespace `ns`, not terminating (#87621),
/// whose labels match.
pub fn count_pods_match_selector(pods: &[std::rc::Rc<PodInfo>], sel: &Selector, ns: &str) -> i64 {
    pods.iter()
        .filter(|p| !p.is_terminating() && p.namespace == ns && sel.matches(&p.labels))
        .count() as i64
}

/// Upstream `helper.DefaultSelector`: the `spec.selector` maps of the pod's namespace's
/// Services that select it, merged into one label set (`SelectorFromSet`), plus the
/// requirements of the selector of its controlling ReplicaSet or StatefulSet (apps/v1).
/// cellsim models no ReplicationControllers.
pub fn default_selector(pod: &PodInfo, snap: &Snapshot) -> Selector {
    let mut set = Labels::new();
    for ((ns, _), sel) in &snap.services {
        // GetPodServices: services with nil selectors match nothing (not recorded), the
        // others by `SelectorFromSet(..).Matches(pod labels)`.
        if ns == &pod.namespace && crate::api::selector::set_selects(sel, &pod.labels) {
            set.extend(sel.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    let selector = Selector::from_set(&set);
    let Some(owner) = pod.pod.metadata.controller_of() else {
        return selector;
    };
    let key = (pod.namespace.clone(), owner.name.clone());
    let owner_selector = match (owner.api_version.as_str(), owner.kind.as_str()) {
        ("apps/v1", "ReplicaSet") => snap.replicasets.get(&key),
        ("apps/v1", "StatefulSet") => snap.statefulsets.get(&key),
        // Not owned by a supported controller.
        _ => None,
    };
    match owner_selector {
        // A nil selector converts to Nothing, whose Requirements() is not ok: nothing added.
        Some(Some(ls)) => match as_selector(ls) {
            Ok(other) => selector.add(other.requirements().iter().cloned()),
            Err(_) => selector,
        },
        _ => selector,
    }
}

/// Upstream `buildDefaultConstraints`: the default constraints with `whenUnsatisfiable ==
/// action`, each given the pod's default selector; none when that selector is empty.
pub fn build_default_constraints(
    defaults: &[TopologySpreadConstraint],
    pod: &PodInfo,
    snap: &Snapshot,
    action: &str,
) -> Result<Vec<Constraint>, String> {
    let mut constraints = filter_constraints(defaults, &pod.labels, action)?;
    if constraints.is_empty() {
        return Ok(constraints);
    }
    let selector = default_selector(pod, snap);
    if selector.is_empty() {
        return Ok(Vec::new());
    }
    for c in &mut constraints {
        c.selector = selector.clone();
    }
    Ok(constraints)
}
