//! An informer-style index of pods by the node they are bound to (upstream controllers index
//! their pod informer by `spec.nodeName`), kept from the change feed so that a controller
//! acting on one node never scans every pod.

use crate::api::Object;
use crate::store::{MemoryStore, ObjectKey, ObjectStore};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
pub struct NodePods {
    node_of: BTreeMap<ObjectKey, String>,
    pods: BTreeMap<String, BTreeSet<ObjectKey>>,
}

impl NodePods {
    /// Update the index for a changed pod key. Returns the pod's node before and now.
    pub fn observe(
        &mut self,
        store: &MemoryStore,
        pod: &ObjectKey,
    ) -> (Option<String>, Option<String>) {
        let now = match store.get(pod).map(|s| &s.object) {
            Some(Object::Pod(p)) if !p.spec.node_name.is_empty() => Some(p.spec.node_name.clone()),
            _ => None,
        };
        let before = self.node_of.get(pod).cloned();
        if before != now {
            if let Some(old) = &before {
                if let Some(set) = self.pods.get_mut(old) {
                    set.remove(pod);
                    if set.is_empty() {
                        self.pods.remove(old);
                    }
                }
                self.node_of.remove(pod);
            }
            if let Some(n) = &now {
                self.pods.entry(n.clone()).or_default().insert(pod.clone());
                self.node_of.insert(pod.clone(), n.clone());
            }
        }
        (before, now)
    }

    /// The nodes that have pods, in name order.
    pub fn nodes(&self) -> impl Iterator<Item = &String> {
        self.pods.keys()
    }

    /// The pods bound to `node`, in key order.
    pub fn on(&self, node: &str) -> Vec<ObjectKey> {
        self.pods
            .get(node)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}
