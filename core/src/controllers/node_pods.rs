//! An informer-style index of pods by the node they are bound to (upstream controllers index
//! their pod informer by `spec.nodeName`), kept from the change feed so that a controller
//! acting on one node never scans every pod.

use crate::api::Object;
use crate::collections::{OrdMap, OrdSet};
use crate::store::ProbeMap;
use crate::store::{MemoryStore, ObjectKey, ObjectStore};

#[derive(Default)]
pub struct NodePods {
    /// Probed only, never iterated (so the fixed Fx hash cannot leak into results): every pod
    /// change is looked up here, and a hash probe is cheaper than an ordered walk comparing
    /// key strings.
    node_of: ProbeMap<ObjectKey, String>,
    pods: OrdMap<String, OrdSet<ObjectKey>>,
}

impl NodePods {
    /// Update the index for a changed pod key. Returns the pod's node now (borrowed from the
    /// store).
    ///
    /// The node is compared with the index in place, so a change that leaves the binding
    /// alone (nearly all of them: status writes) allocates nothing.
    pub fn observe<'s>(&mut self, store: &'s MemoryStore, pod: &ObjectKey) -> Option<&'s str> {
        let now = match store.get(pod).map(|s| &s.object) {
            Some(Object::Pod(p)) if !p.spec.node_name.is_empty() => Some(p.spec.node_name.as_str()),
            _ => None,
        };
        if self.node_of.get(pod).map(String::as_str) == now {
            return now;
        }
        if let Some(old) = self.node_of.remove(pod) {
            if let Some(set) = self.pods.get_mut(&old) {
                set.remove(pod);
                if set.is_empty() {
                    self.pods.remove(&old);
                }
            }
        }
        if let Some(n) = now {
            match self.pods.get_mut(n) {
                Some(set) => {
                    set.insert(pod.clone());
                }
                None => {
                    self.pods.insert(n.to_string(), OrdSet::from([pod.clone()]));
                }
            }
            self.node_of.insert(pod.clone(), n.to_string());
        }
        now
    }

    /// Whether any pod is bound to `node`.
    pub fn any_on(&self, node: &str) -> bool {
        self.pods.contains_key(node)
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
