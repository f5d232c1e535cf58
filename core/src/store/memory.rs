//! The embedded, in-memory store.

use super::chunked_slab::ChunkedSlab;
use super::{Change, ChangeType, ObjectKey, ObjectStore, ProbeMap, StoreError, Stored};
use crate::api::meta::ObjectMeta;
use crate::api::pod::{Pod, PodSpec, PodStatus};
use crate::api::{Kind, Object};
use crate::collections::OrdMap;

/// An ordered in-memory store with a full change log.
///
/// Objects live in a slab (`chunked_slab::ChunkedSlab`: fixed chunks, an object never moves once created),
/// found by key through a hash index probed by `get` (the hot path: every component reads
/// every change back); their keys also live in an ordered map to the same slots, which is
/// what listing walks, so every listing is in key order and no hash order is ever observable.
///
/// The change log is compacted by `compact(up_to)` once every consumer has read past a
/// revision, so long runs do not grow without bound.
#[derive(Default)]
pub struct MemoryStore {
    objects: ChunkedSlab<Stored>,
    /// Each object's slot in `objects`, by key.
    slots: ProbeMap<ObjectKey, u32>,
    /// The same keys and slots, in order: kind, then namespace, then name.
    keys: OrdMap<ObjectKey, u32>,
    revision: u64,
    log: Vec<Change>,
    /// Revision of the first entry in `log` minus one (everything up to it was compacted).
    compacted: u64,
    /// Objects per kind, so `count` need not scan.
    counts: OrdMap<Kind, u64>,
}

/// The next revision and its change-feed entry. Over the two fields rather than `&mut self`,
/// so an in-place write can record while it holds the stored object.
fn record_in(revision: &mut u64, log: &mut Vec<Change>, key: ObjectKey, change: ChangeType) -> u64 {
    *revision += 1;
    log.push(Change {
        revision: *revision,
        key,
        change,
    });
    *revision
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn record(&mut self, key: ObjectKey, change: ChangeType) -> u64 {
        record_in(&mut self.revision, &mut self.log, key, change)
    }

    /// Drop change-log entries at or below `up_to` (every consumer has seen them).
    pub fn compact(&mut self, up_to: u64) {
        if up_to <= self.compacted {
            return;
        }
        let cut = self.log.partition_point(|c| c.revision <= up_to);
        self.log.drain(..cut);
        self.compacted = up_to;
    }

    pub fn count(&self, kind: Kind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// Typed iteration helper: all objects of one kind.
    pub fn objects(&self, kind: Kind) -> impl Iterator<Item = &Object> + '_ {
        self.range(kind).map(|(_, s)| &s.object)
    }

    /// Typed iteration helper: all objects of one kind in one namespace, in name order.
    pub fn objects_in<'a>(
        &'a self,
        kind: Kind,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        let start = ObjectKey {
            kind,
            namespace: namespace.to_string(),
            name: String::new(),
        };
        self.keys
            .range(start..)
            .take_while(move |(k, _)| k.kind == kind && k.namespace == namespace)
            .map(|(_, &slot)| &self.stored(slot).object)
    }

    fn range(&self, kind: Kind) -> impl Iterator<Item = (&ObjectKey, &Stored)> + '_ {
        let start = ObjectKey {
            kind,
            namespace: String::new(),
            name: String::new(),
        };
        self.keys
            .range(start..)
            .take_while(move |(k, _)| k.kind == kind)
            .map(|(k, &slot)| (k, self.stored(slot)))
    }

    /// The object in a slot that `slots`/`keys` name (always filled).
    fn stored(&self, slot: u32) -> &Stored {
        self.objects
            .get(slot)
            .expect("a key's slot holds its object")
    }

    fn stored_mut(&mut self, key: &ObjectKey) -> Option<&mut Stored> {
        let slot = *self.slots.get(key)?;
        self.objects.get_mut(slot)
    }

    /// Change an object in place (`f` edits it) as one write: what `get` + clone + `update`
    /// does, without copying the object. `f` must not change the object's kind, namespace or
    /// name (checked). Returns the new revision, or None when there is no such object.
    pub fn modify(&mut self, key: &ObjectKey, f: impl FnOnce(&mut Object)) -> Option<u64> {
        self.modify_if(key, |o| {
            f(o);
            true
        })
    }

    /// `modify` when `f` returns true; when it returns false it must have left the object
    /// as it was, and nothing is written (no revision, no change in the feed). One lookup for
    /// a read-decide-write, e.g. a status written only when it differs.
    pub fn modify_if(
        &mut self,
        key: &ObjectKey,
        f: impl FnOnce(&mut Object) -> bool,
    ) -> Option<u64> {
        let stored = {
            let slot = *self.slots.get(key)?;
            self.objects.get_mut(slot)?
        };
        // generation::on_update compares the old and new object: only kinds with a
        // generation pay for a copy of the old one.
        let old = (key.kind == Kind::Deployment).then(|| stored.object.clone());
        if !f(&mut stored.object) {
            return None;
        }
        assert!(key.names(&stored.object), "modify renamed {key}");
        if let Some(old) = old {
            super::generation::on_update(&old, &mut stored.object);
        }
        let rev = record_in(
            &mut self.revision,
            &mut self.log,
            key.clone(),
            ChangeType::Modified,
        );
        stored.revision = rev;
        stored.spec_revision = rev;
        Some(rev)
    }

    /// `modify_if` for a pod's status alone (the kubelet's status writes): `f` sees the
    /// metadata and spec read-only, so the write keeps `Stored::spec_revision`. The same
    /// revision, change-feed entry and `None` (nothing written) as `modify_if`; `None` too
    /// when `key` is not a pod.
    pub fn modify_pod_status_if(
        &mut self,
        key: &ObjectKey,
        f: impl FnOnce(&ObjectMeta, &PodSpec, &mut PodStatus) -> bool,
    ) -> Option<u64> {
        let stored = {
            let slot = *self.slots.get(key)?;
            self.objects.get_mut(slot)?
        };
        let Object::Pod(pod) = &mut stored.object else {
            return None;
        };
        let Pod {
            metadata,
            spec,
            status,
        } = pod;
        if !f(metadata, spec, status) {
            return None;
        }
        stored.revision = record_in(
            &mut self.revision,
            &mut self.log,
            key.clone(),
            ChangeType::Modified,
        );
        Some(stored.revision)
    }
}

impl ObjectStore for MemoryStore {
    fn get(&self, key: &ObjectKey) -> Option<&Stored> {
        self.slots.get(key).map(|&slot| self.stored(slot))
    }

    fn list(&self, kind: Kind) -> Box<dyn Iterator<Item = (&ObjectKey, &Stored)> + '_> {
        Box::new(self.range(kind))
    }

    fn create(&mut self, mut obj: Object) -> Result<u64, StoreError> {
        let key = ObjectKey::of(&obj);
        if self.slots.contains_key(&key) {
            return Err(StoreError::AlreadyExists(key));
        }
        super::generation::on_create(&mut obj);
        let rev = self.record(key.clone(), ChangeType::Added);
        *self.counts.entry(key.kind).or_insert(0) += 1;
        let slot = self.objects.insert(Stored {
            revision: rev,
            spec_revision: rev,
            object: obj,
        });
        self.keys.insert(key.clone(), slot);
        self.slots.insert(key, slot);
        Ok(rev)
    }

    fn update(&mut self, mut obj: Object, expected: Option<u64>) -> Result<u64, StoreError> {
        let key = ObjectKey::of(&obj);
        let found = match self.get(&key) {
            None => return Err(StoreError::NotFound(key)),
            Some(s) => {
                super::generation::on_update(&s.object, &mut obj);
                s.revision
            }
        };
        if let Some(expected) = expected {
            if expected != found {
                return Err(StoreError::Conflict {
                    key,
                    expected,
                    found,
                });
            }
        }
        let rev = self.record(key.clone(), ChangeType::Modified);
        let stored = self.stored_mut(&key).expect("found above");
        *stored = Stored {
            revision: rev,
            spec_revision: rev,
            object: obj,
        };
        Ok(rev)
    }

    fn delete(&mut self, key: &ObjectKey) -> Result<Object, StoreError> {
        let Some(slot) = self.slots.remove(key) else {
            return Err(StoreError::NotFound(key.clone()));
        };
        let stored = self
            .objects
            .remove(slot)
            .expect("a key's slot holds its object");
        self.keys.remove(key);
        if let Some(c) = self.counts.get_mut(&key.kind) {
            *c -= 1;
        }
        self.record(key.clone(), ChangeType::Deleted);
        Ok(stored.object)
    }

    fn revision(&self) -> u64 {
        self.revision
    }

    fn changes_since(&self, after: u64) -> &[Change] {
        let start = self.log.partition_point(|c| c.revision <= after);
        &self.log[start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::policy::Namespace;

    fn ns(name: &str) -> Object {
        let mut n = Namespace::default();
        n.metadata.name = name.into();
        Object::Namespace(n)
    }

    #[test]
    fn crud_and_change_feed() {
        let mut s = MemoryStore::new();
        assert_eq!(s.create(ns("b")).unwrap(), 1);
        assert_eq!(s.create(ns("a")).unwrap(), 2);
        assert!(matches!(
            s.create(ns("a")),
            Err(StoreError::AlreadyExists(_))
        ));
        let names: Vec<_> = s
            .list(Kind::Namespace)
            .map(|(k, _)| k.name.clone())
            .collect();
        assert_eq!(
            names,
            ["a", "b"],
            "list is in key order, not insertion order"
        );
        assert!(matches!(
            s.update(ns("a"), Some(1)),
            Err(StoreError::Conflict {
                expected: 1,
                found: 2,
                ..
            })
        ));
        assert_eq!(s.update(ns("a"), Some(2)).unwrap(), 3);
        let key = ObjectKey::new(Kind::Namespace, "", "b");
        s.delete(&key).unwrap();
        assert!(s.get(&key).is_none());
        assert_eq!(s.count(Kind::Namespace), 1);
        let feed: Vec<_> = s
            .changes_since(1)
            .iter()
            .map(|c| (c.revision, c.change))
            .collect();
        assert_eq!(
            feed,
            [
                (2, ChangeType::Added),
                (3, ChangeType::Modified),
                (4, ChangeType::Deleted)
            ]
        );
        s.compact(3);
        assert_eq!(s.changes_since(0).len(), 1);
        assert_eq!(s.changes_since(3)[0].revision, 4);
        assert!(s.changes_since(4).is_empty());
        assert!(matches!(s.delete(&key), Err(StoreError::NotFound(_))));
    }

    #[test]
    fn modify_is_one_write_in_place_with_the_generation_kept() {
        use crate::api::apps::Deployment;
        let mut s = MemoryStore::new();
        s.create(ns("a")).unwrap();
        let key = ObjectKey::new(Kind::Namespace, "", "a");
        let rev = s.modify(&key, |o| {
            o.meta_mut().labels.insert("k".into(), "v".into());
        });
        assert_eq!(rev, Some(2));
        assert_eq!(s.get(&key).unwrap().revision, 2);
        assert_eq!(s.get(&key).unwrap().object.meta().labels["k"], "v");
        assert_eq!(s.changes_since(1)[0].change, ChangeType::Modified);
        let missing = ObjectKey::new(Kind::Namespace, "", "b");
        assert_eq!(s.modify(&missing, |_| ()), None);
        assert_eq!(s.revision(), 2, "no write for a missing object");

        // A Deployment's generation moves as with `update`: on a spec change, not on status.
        let mut d = Deployment::default();
        d.metadata.name = "web".into();
        d.metadata.namespace = "default".into();
        s.create(Object::Deployment(d)).unwrap();
        let dk = ObjectKey::new(Kind::Deployment, "default", "web");
        let generation = |s: &MemoryStore| s.get(&dk).unwrap().object.meta().generation;
        assert_eq!(generation(&s), 1);
        s.modify(&dk, |o| {
            if let Object::Deployment(d) = o {
                d.status.replicas = 3;
            }
        });
        assert_eq!(generation(&s), 1);
        s.modify(&dk, |o| {
            if let Object::Deployment(d) = o {
                d.spec.replicas = Some(5);
            }
        });
        assert_eq!(generation(&s), 2);
    }

    #[test]
    fn modify_if_writes_only_when_asked() {
        let mut s = MemoryStore::new();
        s.create(ns("a")).unwrap();
        let key = ObjectKey::new(Kind::Namespace, "", "a");
        assert_eq!(s.modify_if(&key, |_| false), None);
        assert_eq!(s.revision(), 1, "declined: no revision");
        assert!(
            s.changes_since(1).is_empty(),
            "declined: nothing in the feed"
        );
        let rev = s.modify_if(&key, |o| {
            o.meta_mut().labels.insert("k".into(), "v".into());
            true
        });
        assert_eq!(rev, Some(2));
        assert_eq!(s.get(&key).unwrap().revision, 2);
        assert_eq!(s.changes_since(1)[0].change, ChangeType::Modified);
    }

    #[test]
    fn a_status_only_write_keeps_the_spec_revision_every_other_write_moves_it() {
        let mut s = MemoryStore::new();
        let mut pod = Pod::default();
        pod.metadata.name = "web".into();
        pod.metadata.namespace = "default".into();
        s.create(Object::Pod(pod.clone())).unwrap();
        let key = ObjectKey::new(Kind::Pod, "default", "web");
        let at = |s: &MemoryStore| {
            let st = s.get(&key).unwrap();
            (st.revision, st.spec_revision)
        };
        assert_eq!(at(&s), (1, 1), "created");
        // Declined: nothing written.
        assert_eq!(s.modify_pod_status_if(&key, |_, _, _| false), None);
        assert_eq!(at(&s), (1, 1));
        let rev = s.modify_pod_status_if(&key, |meta, _, st| {
            st.pod_ip = format!("10.0.0.{}", meta.name.len());
            true
        });
        assert_eq!(rev, Some(2));
        assert_eq!(at(&s), (2, 1), "status only: the spec revision stays");
        assert_eq!(s.changes_since(1)[0].change, ChangeType::Modified);
        // Any other write may change metadata or spec: it moves.
        s.modify(&key, |o| {
            o.meta_mut().labels.insert("app".into(), "web".into());
        });
        assert_eq!(at(&s), (3, 3));
        s.update(Object::Pod(pod), None).unwrap();
        assert_eq!(at(&s), (4, 4));
        // Not a pod: refused, nothing written.
        s.create(ns("a")).unwrap();
        let ns_key = ObjectKey::new(Kind::Namespace, "", "a");
        assert_eq!(s.modify_pod_status_if(&ns_key, |_, _, _| true), None);
        assert_eq!(s.revision(), 5);
    }

    #[test]
    fn a_key_names_its_object_as_of_would() {
        let a = ns("a");
        assert!(ObjectKey::new(Kind::Namespace, "", "a").names(&a));
        // Cluster-scoped: the key has no namespace whatever the object's metadata says.
        let mut odd = ns("a");
        odd.meta_mut().namespace = "x".into();
        assert_eq!(
            ObjectKey::of(&odd),
            ObjectKey::new(Kind::Namespace, "", "a")
        );
        assert!(ObjectKey::new(Kind::Namespace, "", "a").names(&odd));
        assert!(!ObjectKey::new(Kind::Namespace, "", "b").names(&a));
        assert!(!ObjectKey::new(Kind::Node, "", "a").names(&a));
        let mut pod = crate::api::pod::Pod::default();
        pod.metadata.name = "p".into();
        pod.metadata.namespace = "default".into();
        let pod = Object::Pod(pod);
        assert!(ObjectKey::new(Kind::Pod, "default", "p").names(&pod));
        assert!(!ObjectKey::new(Kind::Pod, "other", "p").names(&pod));
        assert_eq!(
            ObjectKey::of(&pod) == ObjectKey::new(Kind::Pod, "other", "p"),
            ObjectKey::new(Kind::Pod, "other", "p").names(&pod)
        );
    }

    #[test]
    #[should_panic(expected = "modify renamed")]
    fn modify_refuses_a_rename() {
        let mut s = MemoryStore::new();
        s.create(ns("a")).unwrap();
        s.modify(&ObjectKey::new(Kind::Namespace, "", "a"), |o| {
            o.meta_mut().name = "b".into();
        });
    }
}
