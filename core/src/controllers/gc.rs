//! The garbage collector: deletes dependents whose owners are gone, and carries out foreground
//! and orphan deletion through `ownerReferences`.
//!
//! Upstream: pkg/controller/garbagecollector/garbagecollector.go (`attemptToDeleteItem`,
//! `classifyReferences`, `processDeletingDependentsItem`, `orphanDependents`) and graph_builder.go
//! (the dependency graph fed by informers). Here the graph is an index kept from the store's
//! change feed: every object by uid, and every owner uid's dependents.
//!
//! - An object all of whose owners are gone (no object of that kind and name with that uid) is
//!   deleted, with the policy its own finalizers ask for (background by default).
//! - An object with a live owner and some dangling (or foreground-deleting) owners loses those
//!   references instead.
//! - An owner being deleted in the foreground (`foregroundDeletion` finalizer) has all its
//!   dependents deleted (in the foreground themselves when they have dependents), and loses the
//!   finalizer, and so goes, once no dependent referencing it with `blockOwnerDeletion: true`
//!   is left.
//! - An owner being deleted with `orphan` has its dependents' references to it removed, then
//!   loses the finalizer.
//!
//! Owner references to kinds cellsim does not model are left alone (upstream cannot resolve an
//! unknown kind either and retries; it never deletes on that account).

use super::FEED_CHUNK;
use crate::api::meta::OwnerReference;
use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::sim::budget::Budget;
use crate::sim::ctx::Ctx;
use crate::sim::objects::{self, Propagation, FOREGROUND_FINALIZER, ORPHAN_FINALIZER};
use crate::store::ProbeMap;
use crate::store::{ObjectKey, ObjectStore};

#[derive(Default)]
pub struct GarbageCollector {
    pub cursor: u64,
    /// uid → key of every stored object.
    /// These maps are probed only, never iterated (so the fixed Fx hash cannot leak into
    /// results): a hash probe instead of an ordered walk comparing strings, per change read.
    by_uid: ProbeMap<String, ObjectKey>,
    uid_of: ProbeMap<ObjectKey, String>,
    /// owner uid → the objects that name it in `ownerReferences`.
    dependents: OrdMap<String, OrdSet<ObjectKey>>,
    /// object → the owner uids it names.
    owners_of: ProbeMap<ObjectKey, Vec<String>>,
    /// Where a budgeted sync paused (`sync_budget`).
    resume: Resume,
}

/// A budgeted sync part-way: reading the feed (what it collected so far; the cursor says how
/// far it read), the owners to process, the objects to attempt to delete.
#[derive(Default)]
enum Resume {
    #[default]
    Idle,
    Observing {
        attempt: OrdSet<ObjectKey>,
        owners: OrdSet<String>,
    },
    Owners {
        owners: <OrdSet<String> as IntoIterator>::IntoIter,
        attempt: OrdSet<ObjectKey>,
    },
    Attempting {
        attempt: crate::collections::IntoKeys<ObjectKey>,
    },
}

/// How an owner reference stands (upstream `classifyReferences`).
#[derive(PartialEq, Eq)]
enum RefState {
    Solid,
    Dangling,
    WaitingForDependentsDeletion,
}

fn has_finalizer(o: &Object, f: &str) -> bool {
    o.meta().finalizers.iter().any(|x| x == f)
}

impl GarbageCollector {
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let done = self.sync_budget(ctx, &mut Budget::unlimited());
        debug_assert!(done);
    }

    /// `sync` in units: `FEED_CHUNK` changes of the feed read, one owner processed, one
    /// object attempted. Returns false when `budget` ran out first; the next call goes on
    /// with the rest of the same feed (the cursor is where the read stopped), owners and
    /// objects, so any split does what one uninterrupted sync does, provided nothing else
    /// writes to the store between the calls (`Sim::step_budget`).
    pub fn sync_budget(&mut self, ctx: &mut Ctx, budget: &mut Budget) -> bool {
        let mut r = std::mem::take(&mut self.resume);
        loop {
            r = match r {
                Resume::Idle => Resume::Observing {
                    attempt: OrdSet::new(),
                    owners: OrdSet::new(),
                },
                // Every change is observed in place (no key is cloned per change). A key
                // changed several times is observed several times against the same
                // (current) object: the first look brings the graph up to date, the later
                // ones find nothing changed and only add again to the sets they already
                // added to, so the outcome is that of observing each key once.
                Resume::Observing {
                    mut attempt,
                    mut owners,
                } => {
                    let changes = ctx.store.changes_since(self.cursor);
                    let n = changes.len().min(FEED_CHUNK);
                    for c in &changes[..n] {
                        self.observe(ctx, &c.key, &mut attempt, &mut owners);
                    }
                    if n < changes.len() {
                        self.cursor = changes[n - 1].revision;
                        budget.spend();
                        Resume::Observing { attempt, owners }
                    } else {
                        self.cursor = ctx.store.revision();
                        if n > 0 {
                            budget.spend();
                        }
                        Resume::Owners {
                            owners: owners.into_iter(),
                            attempt,
                        }
                    }
                }
                Resume::Owners {
                    mut owners,
                    attempt,
                } => match owners.next() {
                    Some(uid) => {
                        self.process_owner(ctx, &uid);
                        budget.spend();
                        Resume::Owners { owners, attempt }
                    }
                    None => Resume::Attempting {
                        attempt: attempt.into_iter(),
                    },
                },
                Resume::Attempting { mut attempt } => match attempt.next() {
                    Some(key) => {
                        self.attempt_to_delete(ctx, &key);
                        budget.spend();
                        Resume::Attempting { attempt }
                    }
                    None => return true,
                },
            };
            if budget.exhausted() {
                self.resume = r;
                return false;
            }
        }
    }

    /// Update the graph for one changed key; collect what needs a look.
    ///
    /// The stored uid and owner uids are compared with the graph in place: a change that
    /// leaves them alone (status writes, nearly all of them) allocates nothing.
    fn observe(
        &mut self,
        ctx: &Ctx,
        key: &ObjectKey,
        attempt: &mut OrdSet<ObjectKey>,
        owners: &mut OrdSet<String>,
    ) {
        let current = ctx.store.get(key).map(|s| &s.object);
        let new_uid = current.map(|o| o.meta().uid.as_str());
        if self.uid_of.get(key).map(String::as_str) != new_uid {
            // Gone, or replaced by a new object of the same name: the old one's dependents
            // lost an owner.
            if let Some(old) = self.uid_of.remove(key) {
                self.by_uid.remove(&old);
                if let Some(deps) = self.dependents.get(&old) {
                    attempt.extend(deps.iter().cloned());
                }
            }
            if let Some(uid) = new_uid {
                self.uid_of.insert(key.clone(), uid.to_string());
                self.by_uid.insert(uid.to_string(), key.clone());
            }
        }
        let new_refs: &[OwnerReference] = current.map_or(&[], |o| &o.meta().owner_references);
        let unchanged = match self.owners_of.get(key) {
            Some(old) => old
                .iter()
                .map(String::as_str)
                .eq(new_refs.iter().map(|r| r.uid.as_str())),
            None => new_refs.is_empty(),
        };
        if !unchanged {
            let new_owners: Vec<String> = new_refs.iter().map(|r| r.uid.clone()).collect();
            let old_owners = self.owners_of.remove(key).unwrap_or_default();
            for o in &old_owners {
                if let Some(set) = self.dependents.get_mut(o) {
                    set.remove(key);
                    if set.is_empty() {
                        self.dependents.remove(o);
                    }
                }
                // A dependent went away (or let go): an owner waiting for it may finish.
                owners.insert(o.clone());
            }
            for o in &new_owners {
                self.dependents
                    .entry(o.clone())
                    .or_default()
                    .insert(key.clone());
            }
            if !new_owners.is_empty() {
                attempt.insert(key.clone());
                self.owners_of.insert(key.clone(), new_owners);
            }
        }
        if let (Some(o), Some(uid)) = (current, new_uid) {
            if o.meta().deletion_at.is_some() {
                if has_finalizer(o, FOREGROUND_FINALIZER) {
                    if let Some(deps) = self.dependents.get(uid) {
                        attempt.extend(deps.iter().cloned());
                    }
                    owners.insert(uid.to_string());
                } else if has_finalizer(o, ORPHAN_FINALIZER) {
                    owners.insert(uid.to_string());
                }
            }
        }
    }

    fn classify(&self, ctx: &Ctx, namespace: &str, r: &OwnerReference) -> RefState {
        let Some(kind) = Kind::from_name(&r.kind) else {
            return RefState::Solid;
        };
        let key = ObjectKey::new(kind, namespace, &r.name);
        match ctx.store.get(&key).map(|s| &s.object) {
            Some(o) if o.meta().uid == r.uid => {
                if o.meta().deletion_at.is_some() && has_finalizer(o, FOREGROUND_FINALIZER) {
                    RefState::WaitingForDependentsDeletion
                } else {
                    RefState::Solid
                }
            }
            _ => RefState::Dangling,
        }
    }

    /// Upstream `attemptToDeleteItem`.
    ///
    /// The object is read in place; it is cloned only when references are dropped from it.
    fn attempt_to_delete(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let Some(obj) = ctx.store.get(key).map(|s| &s.object) else {
            return;
        };
        let meta = obj.meta();
        if meta.deletion_at.is_some() {
            // Already on its way; an owner deleting its dependents is processed on its own.
            return;
        }
        if meta.owner_references.is_empty() {
            return;
        }
        let states: Vec<RefState> = meta
            .owner_references
            .iter()
            .map(|r| self.classify(ctx, &key.namespace, r))
            .collect();
        if states.contains(&RefState::Solid) {
            if states.iter().all(|s| *s == RefState::Solid) {
                return;
            }
            // Keep the object; drop the references to owners that are gone or deleting theirs.
            let mut next = obj.clone();
            let mut i = 0;
            next.meta_mut().owner_references.retain(|_| {
                let keep = states[i] == RefState::Solid;
                i += 1;
                keep
            });
            let _ = ctx.store.update(next, None);
            return;
        }
        let has_dependents = self
            .dependents
            .get(&meta.uid)
            .is_some_and(|d| !d.is_empty());
        let policy = if states.contains(&RefState::WaitingForDependentsDeletion) && has_dependents {
            Propagation::Foreground
        } else if has_finalizer(obj, ORPHAN_FINALIZER) {
            Propagation::Orphan
        } else if has_finalizer(obj, FOREGROUND_FINALIZER) {
            Propagation::Foreground
        } else {
            Propagation::Background
        };
        objects::delete(ctx, key, policy);
    }

    /// An owner being deleted: `processDeletingDependentsItem` (foreground) or
    /// `orphanDependents` (orphan).
    fn process_owner(&mut self, ctx: &mut Ctx, uid: &str) {
        let Some(key) = self.by_uid.get(uid).cloned() else {
            return;
        };
        let Some(obj) = ctx.store.get(&key).map(|s| s.object.clone()) else {
            return;
        };
        if obj.meta().deletion_at.is_none() {
            return;
        }
        let deps: Vec<ObjectKey> = self
            .dependents
            .get(uid)
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default();
        if has_finalizer(&obj, ORPHAN_FINALIZER) {
            for d in &deps {
                if let Some(mut o) = ctx.store.get(d).map(|s| s.object.clone()) {
                    o.meta_mut().owner_references.retain(|r| r.uid != uid);
                    let _ = ctx.store.update(o, None);
                }
            }
            objects::remove_finalizer(ctx, &key, ORPHAN_FINALIZER);
            return;
        }
        if !has_finalizer(&obj, FOREGROUND_FINALIZER) {
            return;
        }
        let blocking: Vec<ObjectKey> = deps
            .into_iter()
            .filter(|d| {
                ctx.store.get(d).is_some_and(|s| {
                    s.object
                        .meta()
                        .owner_references
                        .iter()
                        .any(|r| r.uid == uid && r.block_owner_deletion == Some(true))
                })
            })
            .collect();
        if blocking.is_empty() {
            objects::remove_finalizer(ctx, &key, FOREGROUND_FINALIZER);
            return;
        }
        for d in blocking {
            self.attempt_to_delete(ctx, &d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::apps::{Deployment, ReplicaSet};
    use crate::api::pod::Pod;
    use crate::engine::TraceWriter;
    use crate::rng::SimRng;
    use crate::store::MemoryStore;
    use crate::time::SimTime;

    fn owner_ref(kind: &str, name: &str, uid: &str, block: bool) -> OwnerReference {
        OwnerReference {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            name: name.into(),
            uid: uid.into(),
            controller: Some(true),
            block_owner_deletion: Some(block),
        }
    }

    /// A Deployment `d` (uid d1) → ReplicaSet `r` (uid r1) → unbound Pod `p` (uid p1).
    fn world() -> MemoryStore {
        let mut store = MemoryStore::new();
        let mut d = Deployment::default();
        d.metadata.name = "d".into();
        d.metadata.namespace = "default".into();
        d.metadata.uid = "d1".into();
        let mut r = ReplicaSet::default();
        r.metadata.name = "r".into();
        r.metadata.namespace = "default".into();
        r.metadata.uid = "r1".into();
        r.metadata.owner_references = vec![owner_ref("Deployment", "d", "d1", true)];
        let mut p = Pod::default();
        p.metadata.name = "p".into();
        p.metadata.namespace = "default".into();
        p.metadata.uid = "p1".into();
        p.metadata.owner_references = vec![owner_ref("ReplicaSet", "r", "r1", true)];
        store.create(Object::Deployment(d)).unwrap();
        store.create(Object::ReplicaSet(r)).unwrap();
        store.create(Object::Pod(p)).unwrap();
        store
    }

    /// Run the collector (and the API server's "delete an unbound pod at once") until quiet;
    /// returns the keys left, in order, after each round.
    fn settle(store: &mut MemoryStore, gc: &mut GarbageCollector) -> Vec<Vec<String>> {
        let mut rng = SimRng::new(0);
        let mut trace = TraceWriter::new(false, 0);
        let mut wakes = Vec::new();
        let mut rounds = Vec::new();
        for _ in 0..20 {
            let before = store.revision();
            let mut ctx = Ctx {
                now: SimTime(1000),
                store,
                rng: &mut rng,
                trace: &mut trace,
                wakes: &mut wakes,
            };
            gc.sync(&mut ctx);
            if ctx.store.revision() == before {
                break;
            }
            let mut left: Vec<String> = Vec::new();
            for k in [Kind::Deployment, Kind::ReplicaSet, Kind::Pod] {
                for (key, s) in ctx.store.list(k) {
                    let mut t = key.to_string();
                    if s.object.meta().deletion_at.is_some() {
                        t += " (deleting)";
                    }
                    left.push(t);
                }
            }
            rounds.push(left);
        }
        rounds
    }

    fn delete(store: &mut MemoryStore, key: &ObjectKey, policy: Propagation) {
        let mut rng = SimRng::new(0);
        let mut trace = TraceWriter::new(false, 0);
        let mut wakes = Vec::new();
        let mut ctx = Ctx {
            now: SimTime(1000),
            store,
            rng: &mut rng,
            trace: &mut trace,
            wakes: &mut wakes,
        };
        objects::delete(&mut ctx, key, policy);
    }

    fn dkey() -> ObjectKey {
        ObjectKey::new(Kind::Deployment, "default", "d")
    }

    #[test]
    fn background_deletes_owner_first_then_dependents() {
        let mut store = world();
        let mut gc = GarbageCollector::default();
        settle(&mut store, &mut gc);
        delete(&mut store, &dkey(), Propagation::Background);
        assert!(store.get(&dkey()).is_none(), "the owner goes at once");
        let rounds = settle(&mut store, &mut gc);
        assert_eq!(
            rounds,
            vec![vec!["Pod/default/p".to_string()], vec![],],
            "then the ReplicaSet, then its pod"
        );
    }

    #[test]
    fn foreground_deletes_dependents_first_then_owner() {
        let mut store = world();
        let mut gc = GarbageCollector::default();
        settle(&mut store, &mut gc);
        delete(&mut store, &dkey(), Propagation::Foreground);
        let rounds = settle(&mut store, &mut gc);
        assert_eq!(
            rounds,
            vec![
                // The ReplicaSet has a dependent: it is deleted in the foreground too.
                vec![
                    "Deployment/default/d (deleting)".to_string(),
                    "ReplicaSet/default/r (deleting)".to_string(),
                    "Pod/default/p".to_string(),
                ],
                vec![
                    "Deployment/default/d (deleting)".to_string(),
                    "ReplicaSet/default/r (deleting)".to_string(),
                ],
                vec!["Deployment/default/d (deleting)".to_string()],
                vec![],
            ]
        );
    }

    #[test]
    fn foreground_does_not_wait_for_non_blocking_dependents() {
        let mut store = world();
        // The ReplicaSet does not block its owner's deletion.
        let rkey = ObjectKey::new(Kind::ReplicaSet, "default", "r");
        let Some(Object::ReplicaSet(mut r)) = store.get(&rkey).map(|s| s.object.clone()) else {
            unreachable!()
        };
        r.metadata.owner_references[0].block_owner_deletion = Some(false);
        store.update(Object::ReplicaSet(r), None).unwrap();
        let mut gc = GarbageCollector::default();
        settle(&mut store, &mut gc);
        delete(&mut store, &dkey(), Propagation::Foreground);
        let rounds = settle(&mut store, &mut gc);
        // The Deployment does not wait: it goes in the first round, and so its ReplicaSet,
        // whose only owner is then gone, is deleted in the background.
        assert_eq!(rounds[0], vec!["Pod/default/p".to_string()]);
        assert_eq!(rounds.last().unwrap(), &Vec::<String>::new());
    }

    #[test]
    fn orphan_removes_owner_references() {
        let mut store = world();
        let mut gc = GarbageCollector::default();
        settle(&mut store, &mut gc);
        delete(&mut store, &dkey(), Propagation::Orphan);
        let rounds = settle(&mut store, &mut gc);
        assert_eq!(
            rounds.last().unwrap(),
            &vec![
                "ReplicaSet/default/r".to_string(),
                "Pod/default/p".to_string()
            ]
        );
        let rkey = ObjectKey::new(Kind::ReplicaSet, "default", "r");
        assert!(store
            .get(&rkey)
            .unwrap()
            .object
            .meta()
            .owner_references
            .is_empty());
    }

    #[test]
    fn a_live_owner_keeps_the_dependent_and_dangling_refs_are_dropped() {
        let mut store = world();
        let pkey = ObjectKey::new(Kind::Pod, "default", "p");
        let Some(Object::Pod(mut p)) = store.get(&pkey).map(|s| s.object.clone()) else {
            unreachable!()
        };
        p.metadata
            .owner_references
            .push(owner_ref("ReplicaSet", "gone", "g1", false));
        store.update(Object::Pod(p), None).unwrap();
        let mut gc = GarbageCollector::default();
        settle(&mut store, &mut gc);
        let refs = &store.get(&pkey).unwrap().object.meta().owner_references;
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].uid, "r1");
    }
}
