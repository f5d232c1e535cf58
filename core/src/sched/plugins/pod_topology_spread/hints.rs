//! PodTopologySpread's queueing hints (upstream podtopologyspread/plugin.go
//! `EventsToRegister`, `isSchedulableAfterPodChange`, `isSchedulableAfterNodeChange`): Pod
//! Add | UpdatePodLabel | Delete and Node Add | Delete | UpdateNodeLabel | UpdateNodeTaint.

use super::common::{node_labels_match, Constraint, Policy};
use super::filtering::get_constraints;
use super::PodTopologySpread;
use crate::api::pod::Pod;
use crate::sched::events::{hint, ClusterEvent, QueueingHint};
use crate::sched::framework::{PodInfo, Snapshot};

pub fn queueing_hint(
    pl: &PodTopologySpread,
    pod: &PodInfo,
    event: &ClusterEvent,
    snap: &Snapshot,
) -> Option<QueueingHint> {
    // A constraint error is the pod's own; any event may be worth a retry (upstream returns
    // Queue with the error).
    let Ok(constraints) = get_constraints(pl, pod, snap) else {
        return hint(true);
    };
    if let Some((old, new)) = event.pod_change() {
        return pod_hint(pod, &constraints, old, new);
    }
    match event.node_change()? {
        // Added or deleted: it matters when the node carries every constraint's key.
        (None, Some(n)) | (Some(n), None) => {
            hint(node_labels_match(&n.metadata.labels, &constraints))
        }
        (Some(o), Some(n)) => {
            let labels_changed = constraints.iter().any(|c| {
                o.metadata.labels.get(&c.topology_key) != n.metadata.labels.get(&c.topology_key)
            });
            let taints_matter = o.spec.taints != n.spec.taints
                && constraints
                    .iter()
                    .any(|c| c.node_taints_policy == Policy::Honor);
            hint(labels_changed || taints_matter)
        }
        (None, None) => None,
    }
}

/// Only assigned pods in the pod's namespace whose labels match a constraint's selector
/// change the spread; an update only when its labels changed.
fn pod_hint(
    pod: &PodInfo,
    constraints: &[Constraint],
    old: Option<&Pod>,
    new: Option<&Pod>,
) -> Option<QueueingHint> {
    if old.is_some_and(|p| p.spec.node_name.is_empty())
        || new.is_some_and(|p| p.spec.node_name.is_empty())
    {
        return hint(false);
    }
    let matches = |p: &Pod| {
        p.namespace() == pod.namespace
            && constraints
                .iter()
                .any(|c| c.selector.matches(&p.metadata.labels))
    };
    match (old, new) {
        (Some(o), Some(n)) => {
            hint(o.metadata.labels != n.metadata.labels && (matches(o) || matches(n)))
        }
        (Some(p), None) | (None, Some(p)) => hint(matches(p)),
        (None, None) => None,
    }
}
