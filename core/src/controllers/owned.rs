//! An informer-style index of dependents (pods, jobs) by their controller reference, kept from the change feed
//! (upstream controllers look pods up through a lister and `ControllerRefManager`; cellsim's
//! controllers keep this index so a reconcile never scans every pod).

use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::store::MemoryStore;
use crate::store::{ObjectKey, ObjectStore};

/// Objects whose controller reference names an object of `owner_kind`.
pub struct OwnedPods {
    owner_kind: Kind,
    owned: OrdMap<ObjectKey, OrdSet<ObjectKey>>,
    owner_of: OrdMap<ObjectKey, ObjectKey>,
}

impl OwnedPods {
    pub fn new(owner_kind: Kind) -> OwnedPods {
        OwnedPods {
            owner_kind,
            owned: OrdMap::new(),
            owner_of: OrdMap::new(),
        }
    }

    /// Update the index for a changed pod key; returns the owners it belonged to before and
    /// belongs to now (each at most once).
    ///
    /// Most changes are status writes that leave the controller reference alone, and most
    /// indexes (StatefulSet, DaemonSet, Job) own none of the churned pods: both cases are
    /// decided by comparing the stored reference with the index in place, so no key is built
    /// or cloned unless the answer names an owner.
    pub fn observe(&mut self, store: &MemoryStore, pod: &ObjectKey) -> Vec<ObjectKey> {
        self.observe_object(pod, store.get(pod).map(|s| &s.object), true)
    }

    /// `observe` with the object already read (`None`: gone). With `unchanged_too` false, a
    /// change that leaves the index as it is returns no owner (for a caller that only acts
    /// on changed references or deletions).
    #[cellsim_derive::hot]
    pub fn observe_object(
        &mut self,
        pod: &ObjectKey,
        obj: Option<&Object>,
        unchanged_too: bool,
    ) -> Vec<ObjectKey> {
        let kind = self.owner_kind;
        let owner_name = obj.and_then(|o| {
            o.meta()
                .controller_of()
                .filter(|o| o.kind == kind.name())
                .map(|o| o.name.as_str())
        });
        let before = self.owner_of.get(pod);
        match (before, owner_name) {
            (None, None) => return Vec::new(),
            // The owner key is (owner kind, the pod's namespace, the reference's name), so the
            // same name is the same key: the index stays as it is.
            (Some(b), Some(n))
                if b.name == n
                    && (b.namespace == pod.namespace
                        || (!kind.namespaced() && b.namespace.is_empty())) =>
            {
                return if unchanged_too {
                    vec![b.clone()]
                } else {
                    Vec::new()
                };
            }
            _ => {}
        }
        let owner = owner_name.map(|n| ObjectKey::new(kind, &pod.namespace, n));
        let mut out = Vec::new();
        if let Some(old) = self.owner_of.remove(pod) {
            if let Some(set) = self.owned.get_mut(&old) {
                set.remove(pod);
                if set.is_empty() {
                    self.owned.remove(&old);
                }
            }
            out.push(old);
        }
        if let Some(o) = owner {
            self.owned.entry(o.clone()).or_default().insert(pod.clone());
            self.owner_of.insert(pod.clone(), o.clone());
            if !out.contains(&o) {
                out.push(o);
            }
        }
        out
    }

    /// The owner the index last saw for `dependent` (also after the dependent is gone, until
    /// its deletion is observed).
    pub fn owner(&self, dependent: &ObjectKey) -> Option<&ObjectKey> {
        self.owner_of.get(dependent)
    }

    /// The jobs whose controller reference is `owner` with this uid, in name order.
    pub fn jobs<'a>(
        &self,
        store: &'a MemoryStore,
        owner: &ObjectKey,
        uid: &str,
    ) -> Vec<&'a crate::api::batch::Job> {
        self.owned
            .get(owner)
            .into_iter()
            .flatten()
            .filter_map(|k| match store.get(k).map(|s| &s.object) {
                Some(Object::Job(j))
                    if j.metadata.controller_of().is_some_and(|r| r.uid == uid) =>
                {
                    Some(j)
                }
                _ => None,
            })
            .collect()
    }

    /// The pods whose controller reference is `owner` with this uid, in name order.
    pub fn pods<'a>(
        &self,
        store: &'a MemoryStore,
        owner: &ObjectKey,
        uid: &str,
    ) -> Vec<&'a crate::api::pod::Pod> {
        self.owned
            .get(owner)
            .into_iter()
            .flatten()
            .filter_map(|k| match store.get(k).map(|s| &s.object) {
                Some(Object::Pod(p))
                    if p.metadata.controller_of().is_some_and(|r| r.uid == uid) =>
                {
                    Some(p)
                }
                _ => None,
            })
            .collect()
    }
}
