//! InterPodAffinity's queueing hints (upstream interpodaffinity/plugin.go
//! `EventsToRegister`: Pod Add | UpdatePodLabel | Delete, Node Add | UpdateNodeLabel, and
//! namespace label changes for namespaceSelector terms).

use crate::api::pod::Pod;
use crate::sched::events::{hint, ClusterEvent, QueueingHint};
use crate::sched::framework::podinfo::AffinityTerm;
use crate::sched::framework::{PodInfo, Snapshot};

pub fn queueing_hint(pod: &PodInfo, event: &ClusterEvent, snap: &Snapshot) -> Option<QueueingHint> {
    let terms = || {
        pod.required_affinity
            .iter()
            .chain(&pod.required_anti_affinity)
    };
    if let ClusterEvent::NamespaceChanged = event {
        return hint(terms().any(|t| t.namespace_selector.is_some()));
    }
    if let Some((old, new)) = event.node_change() {
        return match (old, new) {
            // A new node is new room (and carries no pod that could repel this one).
            (None, Some(_)) => hint(true),
            (Some(o), Some(n)) => hint(terms().any(|t| {
                o.metadata.labels.get(&t.topology_key) != n.metadata.labels.get(&t.topology_key)
            })),
            _ => None,
        };
    }
    let (old, new) = event.pod_change()?;
    // Unassigned pods neither attract nor repel.
    if old.is_some_and(|p| p.spec.node_name.is_empty())
        || new.is_some_and(|p| p.spec.node_name.is_empty())
    {
        return hint(false);
    }
    let info = |p: &Pod| PodInfo::new(p);
    let all_match = |ts: &[AffinityTerm], p: &PodInfo| {
        !ts.is_empty()
            && ts
                .iter()
                .all(|t| t.matches(p, snap.namespaces.get(&p.namespace)))
    };
    let any_match = |ts: &[AffinityTerm], p: &PodInfo| {
        ts.iter()
            .any(|t| t.matches(p, snap.namespaces.get(&p.namespace)))
    };
    match (old, new) {
        // Added: it may satisfy the pod's required affinity.
        (None, Some(n)) => hint(all_match(&pod.required_affinity, &info(n))),
        // Relabelled: it may now satisfy the affinity, or no longer trip the anti-affinity.
        (Some(o), Some(n)) => {
            if o.metadata.labels == n.metadata.labels {
                return hint(false);
            }
            let (o, n) = (info(o), info(n));
            hint(
                (all_match(&pod.required_affinity, &n) && !all_match(&pod.required_affinity, &o))
                    || (any_match(&pod.required_anti_affinity, &o)
                        && !any_match(&pod.required_anti_affinity, &n)),
            )
        }
        // Deleted: it may have been what the pod's anti-affinity, or its own anti-affinity
        // against the pod, was about.
        (Some(o), None) => {
            let o = info(o);
            hint(
                any_match(&pod.required_anti_affinity, &o)
                    || o.required_anti_affinity
                        .iter()
                        .any(|t| t.matches(pod, snap.namespaces.get(&pod.namespace))),
            )
        }
        (None, None) => None,
    }
}
