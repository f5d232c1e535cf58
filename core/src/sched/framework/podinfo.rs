//! `PodInfo`: a pod with what scheduling needs precomputed once (upstream
//! `framework.PodInfo`): requests, parsed affinity terms, host ports.

use crate::api::pod::{Pod, PodAffinityTerm};
use crate::api::resources::{CpuMem, Resources, CPU, MEMORY};
use crate::api::selector::{LabelSelector, Labels, Selector};
use crate::collections::OrdSet;
use std::cell::{Cell, OnceCell};
use std::rc::Rc;

/// Upstream `DefaultMilliCPURequest` and `DefaultMemoryRequest`
/// (pkg/scheduler/util/pod_resources.go): what a container without a request counts as when
/// scoring (never when filtering).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// A parsed pod (anti-)affinity term (upstream `framework.AffinityTerm`).
#[derive(Clone, Debug)]
pub struct AffinityTerm {
    /// Namespaces named by the term; with no names and no namespace selector, the pod's own.
    pub namespaces: OrdSet<String>,
    /// `None` when the term has no namespaceSelector (matches no namespace by labels).
    pub namespace_selector: Option<Selector>,
    /// The label selector; a term without one selects nothing (upstream
    /// `LabelSelectorAsSelector(nil)`).
    pub selector: Selector,
    pub topology_key: String,
}

impl AffinityTerm {
    /// Upstream `newAffinityTerm`, with `matchLabelKeys` / `mismatchLabelKeys` merged into the
    /// selector from the owning pod's labels (MatchLabelKeysInPodAffinity).
    pub fn new(owner: &Pod, t: &PodAffinityTerm) -> AffinityTerm {
        let namespaces: OrdSet<String> =
            if t.namespaces.is_empty() && t.namespace_selector.is_none() {
                OrdSet::from_iter([owner.namespace().to_string()])
            } else {
                OrdSet::from_iter(t.namespaces.iter().cloned())
            };
        let namespace_selector = t
            .namespace_selector
            .as_ref()
            .map(|s| crate::api::selector::as_selector(s).unwrap_or_else(|_| Selector::nothing()));
        let mut sel: Option<LabelSelector> = t.label_selector.clone();
        if let Some(ls) = sel.as_mut() {
            for k in &t.match_label_keys {
                if let Some(v) = owner.metadata.labels.get(k) {
                    ls.match_expressions
                        .push(crate::api::selector::LabelSelectorRequirement {
                            key: k.clone(),
                            operator: "In".into(),
                            values: vec![v.clone()],
                        });
                }
            }
            for k in &t.mismatch_label_keys {
                if let Some(v) = owner.metadata.labels.get(k) {
                    ls.match_expressions
                        .push(crate::api::selector::LabelSelectorRequirement {
                            key: k.clone(),
                            operator: "NotIn".into(),
                            values: vec![v.clone()],
                        });
                }
            }
        }
        let selector = match &sel {
            None => Selector::nothing(),
            Some(ls) => {
                crate::api::selector::as_selector(ls).unwrap_or_else(|_| Selector::nothing())
            }
        };
        AffinityTerm {
            namespaces,
            namespace_selector,
            selector,
            topology_key: t.topology_key.clone(),
        }
    }

    /// Upstream `AffinityTerm.Matches`: the pod's namespace is named (or selected by the
    /// namespace selector) and its labels match. `ns_labels` is the labels of the pod's
    /// namespace; `None` (namespace unknown, or upstream's nil `labels.Set`) matches as an
    /// empty set, so an empty (`Everything`) namespaceSelector still selects it.
    pub fn matches(&self, pod: &PodInfo, ns_labels: Option<&Labels>) -> bool {
        let empty = Labels::new();
        let ns_ok = self.namespaces.contains(&pod.namespace)
            || (self
                .namespace_selector
                .as_ref()
                .is_some_and(|s| s.matches(ns_labels.unwrap_or(&empty))));
        ns_ok && self.selector.matches(&pod.labels)
    }
}

#[derive(Clone, Debug)]
pub struct WeightedAffinityTerm {
    pub term: AffinityTerm,
    pub weight: i32,
}

/// A pod as the scheduler sees it.
#[derive(Clone, Debug)]
pub struct PodInfo {
    pub pod: Pod,
    /// `namespace/name`.
    pub key: String,
    pub namespace: String,
    pub labels: Labels,
    pub priority: i32,
    /// Real requests (for fit).
    pub requests: Resources,
    /// CPU / memory with the non-zero defaults (for scoring).
    pub non_zero_cpu: i64,
    pub non_zero_mem: i64,
    /// CPU / memory at Borg resource reclamation's reservation (`status.reservation`), else
    /// the real requests: what the pod counts for when a non-prod pod is fitted beside it.
    pub reserved: CpuMem,
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<WeightedAffinityTerm>,
    pub preferred_anti_affinity: Vec<WeightedAffinityTerm>,
    /// (hostIP, protocol, hostPort) of every container port with a hostPort.
    pub host_ports: Vec<(String, String, i32)>,
    /// The pod's spec as canonical JSON, computed on first use: two pods with equal keys get
    /// equal verdicts from every node-local plugin (`Plugin::node_local`), so the cycle cache
    /// may reuse one's per-node results for the other.
    spec_key: OnceCell<Rc<str>>,
    /// A store `spec_revision` (`store::Stored`) at which the pod's metadata and spec were
    /// found equal to `pod`'s (0: none yet): `Snapshot::refresh_placed` then skips comparing
    /// them for the status writes that follow. A `Cell`: infos are shared (`Rc`), and this
    /// only caches what a comparison proved.
    pub(crate) same_spec_at: Cell<u64>,
}

/// (hostIP, protocol, hostPort) of every container port with a hostPort, defaulted as
/// upstream's `HostPortInfo` sees them (protocol TCP, IP 0.0.0.0).
pub fn host_ports(pod: &Pod) -> Vec<(String, String, i32)> {
    pod.spec
        .containers
        .iter()
        .chain(&pod.spec.init_containers)
        .flat_map(|c| &c.ports)
        .filter_map(|p| {
            let hp = p.host_port.filter(|hp| *hp > 0)?;
            let proto = if p.protocol.is_empty() {
                "TCP"
            } else {
                &p.protocol
            };
            let ip = if p.host_ip.is_empty() {
                "0.0.0.0"
            } else {
                &p.host_ip
            };
            Some((ip.to_string(), proto.to_string(), hp))
        })
        .collect()
}

impl PodInfo {
    /// See `spec_key` (the field). serde_json over BTreeMaps and Vecs: deterministic.
    pub fn spec_key(&self) -> &Rc<str> {
        self.spec_key.get_or_init(|| {
            serde_json::to_string(&self.pod.spec)
                .unwrap_or_default()
                .into()
        })
    }

    pub fn new(pod: &Pod) -> PodInfo {
        let requests = pod.requests();
        // Upstream GetNonzeroRequests: a container without a CPU or memory request counts
        // the defaults (scoring only).
        let nz = pod.requests_by(|list| {
            let mut r = Resources::from_list(list);
            if !list.contains_key(CPU) {
                r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
            }
            if !list.contains_key(MEMORY) {
                r.memory = DEFAULT_MEMORY_REQUEST;
            }
            r
        });
        let aff = pod.spec.affinity.as_ref();
        let pa = aff.and_then(|a| a.pod_affinity.as_ref());
        let paa = aff.and_then(|a| a.pod_anti_affinity.as_ref());
        let req = |x: Option<&crate::api::pod::PodAffinity>| -> Vec<AffinityTerm> {
            x.map(|p| {
                p.required_during_scheduling_ignored_during_execution
                    .iter()
                    .map(|t| AffinityTerm::new(pod, t))
                    .collect()
            })
            .unwrap_or_default()
        };
        let pref = |x: Option<&crate::api::pod::PodAffinity>| -> Vec<WeightedAffinityTerm> {
            x.map(|p| {
                p.preferred_during_scheduling_ignored_during_execution
                    .iter()
                    .map(|w| WeightedAffinityTerm {
                        term: AffinityTerm::new(pod, &w.pod_affinity_term),
                        weight: w.weight,
                    })
                    .collect()
            })
            .unwrap_or_default()
        };
        let host_ports = host_ports(pod);
        PodInfo {
            reserved: pod.status.reservation.unwrap_or(CpuMem::of(&requests)),
            key: pod.key(),
            namespace: pod.namespace().to_string(),
            labels: pod.metadata.labels.clone(),
            priority: pod.spec.priority.unwrap_or(0),
            requests,
            non_zero_cpu: nz.milli_cpu,
            non_zero_mem: nz.memory,
            required_affinity: req(pa),
            required_anti_affinity: req(paa),
            preferred_affinity: pref(pa),
            preferred_anti_affinity: pref(paa),
            host_ports,
            spec_key: OnceCell::new(),
            same_spec_at: Cell::new(0),
            pod: pod.clone(),
        }
    }

    pub fn has_affinity(&self) -> bool {
        !(self.required_affinity.is_empty()
            && self.required_anti_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty())
    }

    pub fn is_terminating(&self) -> bool {
        self.pod.metadata.deletion_at.is_some()
    }
}
