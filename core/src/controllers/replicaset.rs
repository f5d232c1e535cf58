//! ReplicaSet controller: keep `spec.replicas` live pods matching the selector.
//!
//! Upstream: pkg/controller/replicaset/replica_set.go. Pods are created from the template with
//! `generateName: <rs>-` (a 5-character random suffix, `utilrand.String(5)`), a controller
//! owner reference, and deleted by upstream's ranking when there are too many.
//!
//! `minReadySeconds`: a ready pod becomes available `minReadySeconds` after it became ready;
//! the set is reconciled again at that instant, so its `availableReplicas` (and the
//! Deployment's rollout) move on then. Upstream requeues `minReadySeconds + 1s` after the pod
//! turned ready ("to avoid milliseconds skew", `updatePod`); a simulated clock has no skew.

use super::{ControllerId, Requeue};
use crate::api::meta::OwnerReference;
use crate::api::pod::Pod;
use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::sim::ctx::Ctx;
use crate::store::ProbeMap;
use crate::store::{ObjectKey, ObjectStore};

/// What the controller needs to know of one of its pods.
struct PodView {
    key: String,
    name: String,
}

/// What the index remembers of one pod: the ReplicaSet its controller reference names (key
/// and uid), and whether it counts as a replica and since when it is ready.
struct OwnedPod {
    owner: ObjectKey,
    uid: String,
    active: bool,
    ready_at: Option<u64>,
}

/// A ReplicaSet's active pods (those of one owner uid), counted as the change feed brings
/// them, so `status` never walks the set's pods.
#[derive(Default)]
struct ReplicaCounts {
    active: i32,
    /// Ready active pods by the instant they became ready.
    ready_at: OrdMap<u64, i32>,
    ready: i32,
}

impl ReplicaCounts {
    fn add(&mut self, p: &OwnedPod, sign: i32) {
        if !p.active {
            return;
        }
        self.active += sign;
        if let Some(t) = p.ready_at {
            self.ready += sign;
            let n = self.ready_at.entry(t).or_insert(0);
            *n += sign;
            if *n == 0 {
                self.ready_at.remove(&t);
            }
        }
    }

    /// (ready, available, the next instant a ready pod becomes available): available once
    /// ready for `min_ready` ms (upstream podutil.IsPodAvailable: `readyAt + minReady <=
    /// now`).
    fn availability(&self, min_ready: u64, now: u64) -> (i32, i32, Option<u64>) {
        // The ready pods not yet available: readyAt > now - minReady.
        let pending = match now.checked_sub(min_ready) {
            Some(cut) => self.ready_at.range(cut + 1..),
            None => self.ready_at.range(0..),
        };
        let mut waiting = 0;
        let mut next = None;
        for (&t, &n) in pending {
            waiting += n;
            next.get_or_insert(t + min_ready);
        }
        (self.ready, self.ready - waiting, next)
    }
}

#[derive(Default)]
pub struct ReplicaSetController {
    pub cursor: u64,
    /// Pods by the ReplicaSet named in their controller reference (an informer-style index,
    /// kept from the change feed, so a reconcile never scans every pod).
    owned: OrdMap<ObjectKey, OrdSet<ObjectKey>>,
    /// Probed only, never iterated (so the fixed Fx hash cannot leak into results): a hash
    /// probe instead of an ordered walk comparing key strings, for every pod change read.
    owner_of: ProbeMap<ObjectKey, OwnedPod>,
    /// Per ReplicaSet key and owner uid: its active pods' counts.
    counts: OrdMap<ObjectKey, OrdMap<String, ReplicaCounts>>,
    requeue: Requeue,
    /// Where a budgeted sync paused (`sync_budget`).
    resume: Resume,
}

/// A budgeted sync part-way: the sets still to reconcile (in key order, read from the feed
/// when the sync began) and the one whose pods are being created or deleted.
#[derive(Default)]
enum Resume {
    #[default]
    Idle,
    /// Reading the feed (`FEED_CHUNK` changes per unit), with the sets found so far.
    CatchingUp(OrdSet<ObjectKey>),
    Reconciling {
        dirty: crate::collections::IntoKeys<ObjectKey>,
        managing: Option<Manage>,
    },
}

/// `manageReplicas` part-way: what is left of it, so a budgeted sync can pause between two
/// pods and go on with the next one (the same creates and deletes, in the same order, as the
/// loop that does them all at once).
enum Manage {
    Create {
        key: ObjectKey,
        uid: String,
        rs: Box<crate::api::apps::ReplicaSet>,
        rs_obj: String,
        left: usize,
    },
    Delete {
        key: ObjectKey,
        uid: String,
        rs_obj: String,
        pods: std::vec::IntoIter<PodView>,
    },
}

/// Is the pod counted as one of the set's replicas (upstream `FilterActivePods`)?
pub fn is_active(p: &Pod) -> bool {
    !p.is_terminal() && p.metadata.deletion_at.is_none()
}

pub fn owned_by(p: &Pod, uid: &str) -> bool {
    p.metadata.controller_of().is_some_and(|r| r.uid == uid)
}

impl ReplicaSetController {
    /// Read the change feed: update the index, and return the ReplicaSets to reconcile.
    ///
    /// Most pod changes are status writes of a pod whose owner, activity and readiness stay as
    /// the index has them: such a change only marks its owner dirty (removing and adding the
    /// same entry would leave the index and the counts as they are), and neither a key nor a
    /// uid is built for it.
    fn catch_up(&mut self, ctx: &Ctx) -> OrdSet<ObjectKey> {
        let mut dirty = OrdSet::new();
        self.catch_up_some(ctx, &mut dirty, usize::MAX);
        dirty
    }

    /// `catch_up` of at most `limit` changes, into `dirty`: true when the feed is read to its
    /// end. The cursor is where it stopped, so reading on later continues with the next
    /// change, and reading in pieces ends in the same index and set as reading at once.
    fn catch_up_some(&mut self, ctx: &Ctx, dirty: &mut OrdSet<ObjectKey>, limit: usize) -> bool {
        let changes = ctx.store.changes_since(self.cursor);
        let n = changes.len().min(limit);
        for c in &changes[..n] {
            match c.key.kind {
                Kind::ReplicaSet if !dirty.contains(&c.key) => {
                    dirty.insert(c.key.clone());
                }
                Kind::Pod => {
                    let pod = match ctx.store.get(&c.key).map(|s| &s.object) {
                        Some(Object::Pod(p)) => p
                            .metadata
                            .controller_of()
                            .filter(|o| o.kind == "ReplicaSet")
                            .map(|o| (p, o)),
                        _ => None,
                    };
                    if let (Some((p, o)), Some(old)) = (pod, self.owner_of.get(&c.key)) {
                        if old.owner.name == o.name
                            && old.owner.namespace == p.namespace()
                            && old.uid == o.uid
                            && old.active == is_active(p)
                            && old.ready_at
                                == p.status.ready.then_some(p.status.ready_at.unwrap_or(0))
                        {
                            if !dirty.contains(&old.owner) {
                                dirty.insert(old.owner.clone());
                            }
                            continue;
                        }
                    }
                    let owned = pod.map(|(p, o)| OwnedPod {
                        owner: ObjectKey::new(Kind::ReplicaSet, p.namespace(), &o.name),
                        uid: o.uid.clone(),
                        active: is_active(p),
                        ready_at: p.status.ready.then_some(p.status.ready_at.unwrap_or(0)),
                    });
                    if let Some(old) = self.owner_of.remove(&c.key) {
                        if let Some(set) = self.owned.get_mut(&old.owner) {
                            set.remove(&c.key);
                        }
                        if let Some(n) = self
                            .counts
                            .get_mut(&old.owner)
                            .and_then(|by_uid| by_uid.get_mut(&old.uid))
                        {
                            n.add(&old, -1);
                        }
                        dirty.insert(old.owner);
                    }
                    if let Some(o) = owned {
                        self.owned
                            .entry(o.owner.clone())
                            .or_default()
                            .insert(c.key.clone());
                        self.counts
                            .entry(o.owner.clone())
                            .or_default()
                            .entry(o.uid.clone())
                            .or_default()
                            .add(&o, 1);
                        dirty.insert(o.owner.clone());
                        self.owner_of.insert(c.key.clone(), o);
                    }
                }
                _ => {}
            }
        }
        if n < changes.len() {
            self.cursor = changes[n - 1].revision;
            return false;
        }
        self.cursor = ctx.store.revision();
        true
    }

    pub fn sync(&mut self, ctx: &mut Ctx) {
        let done = self.sync_budget(ctx, &mut crate::sim::budget::Budget::unlimited());
        debug_assert!(done);
    }

    /// `sync` in units: each reconcile of a changed set, and each pod it creates or deletes,
    /// is one. Returns false when `budget` ran out first; the next call goes on with the same
    /// pod loop or the next set (it does not read the change feed again in between), so any
    /// split does exactly what one uninterrupted sync does, provided nothing else writes to
    /// the store between the calls (`Sim::step_budget`).
    pub fn sync_budget(&mut self, ctx: &mut Ctx, budget: &mut crate::sim::budget::Budget) -> bool {
        let (mut dirty, mut managing) = match std::mem::take(&mut self.resume) {
            Resume::Reconciling { dirty, managing } => (dirty, managing),
            r => {
                let mut found = match r {
                    Resume::CatchingUp(found) => found,
                    // Nothing new: the sync would find no set to reconcile.
                    _ if ctx.store.revision() == self.cursor => return true,
                    _ => OrdSet::new(),
                };
                while !self.catch_up_some(ctx, &mut found, super::FEED_CHUNK) {
                    budget.spend();
                    if budget.exhausted() {
                        self.resume = Resume::CatchingUp(found);
                        return false;
                    }
                }
                (found.into_iter(), None)
            }
        };
        loop {
            if let Some(m) = &mut managing {
                if !self.manage_one(ctx, m) {
                    managing = None;
                }
            } else if let Some(key) = dirty.next() {
                managing = self.reconcile_start(ctx, &key);
            } else {
                self.catch_up(ctx);
                return true;
            }
            budget.spend();
            if budget.exhausted() {
                self.resume = Resume::Reconciling { dirty, managing };
                return false;
            }
        }
    }

    /// A pod of the set becomes available now (`minReadySeconds` after it became ready).
    pub fn wake(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        self.requeue.fired(ctx.now, key);
        let mut dirty = self.catch_up(ctx);
        dirty.insert(key.clone());
        for k in dirty {
            self.reconcile(ctx, &k);
        }
        self.catch_up(ctx);
    }

    /// The counts of the active pods whose controller reference is this ReplicaSet (same uid).
    fn counts_of(&mut self, ctx: &Ctx, key: &ObjectKey, uid: &str) -> Option<&ReplicaCounts> {
        self.catch_up(ctx);
        self.counts.get(key).and_then(|by_uid| by_uid.get(uid))
    }

    /// Upstream `getPodsToDelete`: of the active pods whose controller reference is this
    /// ReplicaSet (same uid), from the index, all but the `want` that stay, first-to-go first. Ranked (and sorted) by reference;
    /// only the chosen ones are copied out: a rollout scales each old set down many times, and
    /// copying every pod's key and name for each was most of those units.
    fn pods_to_delete(
        &mut self,
        ctx: &Ctx,
        key: &ObjectKey,
        uid: &str,
        want: usize,
    ) -> Vec<PodView> {
        self.catch_up(ctx);
        let mut ranked: Vec<(super::ActivityRank, &Pod)> = self
            .owned
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|k| match ctx.store.get(k).map(|s| &s.object) {
                Some(Object::Pod(p)) if owned_by(p, uid) && is_active(p) => {
                    Some((super::activity_rank(p), p))
                }
                _ => None,
            })
            .collect();
        // Upstream getPodsToDelete's ranking (`activity_rank`); the name breaks the remaining
        // ties deterministically (`deletion_rank`'s order, without copying the names).
        crate::sort::sort_by(&mut ranked, |a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.metadata.name.cmp(&b.1.metadata.name))
        });
        ranked.truncate(ranked.len().saturating_sub(want));
        ranked
            .into_iter()
            .map(|(_, p)| PodView {
                key: p.key(),
                name: p.metadata.name.clone(),
            })
            .collect()
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        if let Some(mut m) = self.reconcile_start(ctx, key) {
            while self.manage_one(ctx, &mut m) {}
        }
    }

    /// A reconcile up to its pod loop: the pods to create or delete (`Some`: then
    /// `manage_one` until it returns false, which also writes the status), or the status
    /// written when the set has its count (`None`).
    fn reconcile_start(&mut self, ctx: &mut Ctx, key: &ObjectKey) -> Option<Manage> {
        // The set is read in place: it is cloned (for its template) only when pods are made,
        // since most reconciles (a pod's status changed) only recount.
        let (uid, deleting, want) = match ctx.store.get(key).map(|s| &s.object) {
            Some(Object::ReplicaSet(rs)) => (
                rs.metadata.uid.clone(),
                rs.metadata.deletion_at.is_some(),
                rs.spec.replicas.unwrap_or(1).max(0) as usize,
            ),
            _ => return None,
        };
        if deleting {
            // Being deleted (foreground/orphan): status only (upstream `rsNeedsSync &&
            // rs.DeletionTimestamp == nil` guards manageReplicas).
            self.update_status(ctx, key, &uid);
            return None;
        }
        let have = self
            .counts_of(ctx, key, &uid)
            .map_or(0, |n| n.active.max(0) as usize);
        if have < want {
            let Some(Object::ReplicaSet(rs)) = ctx.store.get(key).map(|s| s.object.clone()) else {
                return None;
            };
            Some(Manage::Create {
                key: key.clone(),
                uid,
                rs: Box::new(rs),
                rs_obj: format!("ReplicaSet/{}/{}", key.namespace, key.name),
                left: want - have,
            })
        } else if have > want {
            let pods = self.pods_to_delete(ctx, key, &uid, want);
            Some(Manage::Delete {
                key: key.clone(),
                uid,
                rs_obj: format!("ReplicaSet/{}/{}", key.namespace, key.name),
                pods: pods.into_iter(),
            })
        } else {
            self.update_status(ctx, key, &uid);
            None
        }
    }

    /// The next pod of `manageReplicas`: create or delete one. False when the loop is over
    /// (then the set's status has been written, as after the whole loop).
    fn manage_one(&mut self, ctx: &mut Ctx, m: &mut Manage) -> bool {
        let more = match m {
            Manage::Create {
                key,
                uid,
                rs,
                rs_obj,
                left,
            } => {
                if *left == 0 {
                    false
                } else {
                    *left -= 1;
                    let mut pod = Pod {
                        metadata: rs.spec.template.metadata.clone(),
                        spec: rs.spec.template.spec.clone(),
                        status: Default::default(),
                    };
                    pod.metadata.namespace = key.namespace.clone();
                    pod.metadata.owner_references = vec![OwnerReference {
                        api_version: "apps/v1".into(),
                        kind: "ReplicaSet".into(),
                        name: rs.metadata.name.clone(),
                        uid: uid.clone(),
                        controller: Some(true),
                        block_owner_deletion: Some(true),
                    }];
                    pod.metadata.name = super::naming::free_pod_name(
                        ctx,
                        &key.namespace,
                        &format!("{}-", rs.metadata.name),
                    );
                    let name = pod.metadata.name.clone();
                    // Upstream slow-start batching stops at the first failed create.
                    if crate::sim::objects::create_or_report(ctx, Object::Pod(pod), rs_obj)
                        .is_none()
                    {
                        false
                    } else {
                        ctx.event(
                            "SuccessfulCreate",
                            rs_obj.clone(),
                            None,
                            format!("Created pod: {name}"),
                        );
                        *left > 0
                    }
                }
            }
            Manage::Delete { rs_obj, pods, .. } => match pods.next() {
                Some(p) => {
                    crate::sim::objects::delete_pod(ctx, &p.key);
                    ctx.event(
                        "SuccessfulDelete",
                        rs_obj.clone(),
                        None,
                        format!("Deleted pod: {}", p.name),
                    );
                    pods.len() > 0
                }
                None => false,
            },
        };
        if !more {
            let (Manage::Create { key, uid, .. } | Manage::Delete { key, uid, .. }) = m;
            let (key, uid) = (key.clone(), uid.clone());
            self.update_status(ctx, &key, &uid);
        }
        more
    }

    fn update_status(&mut self, ctx: &mut Ctx, key: &ObjectKey, uid: &str) {
        let (mut replicas, mut ready, mut available) = (0, 0, 0);
        let min_ready = match ctx.store.get(key).map(|s| &s.object) {
            Some(Object::ReplicaSet(rs)) => rs.spec.min_ready_seconds.max(0) as u64 * 1000,
            _ => return,
        };
        let mut next_available: Option<u64> = None;
        if let Some(n) = self.counts_of(ctx, key, uid) {
            replicas = n.active;
            (ready, available, next_available) = n.availability(min_ready, ctx.now.millis());
        }
        if let Some(t) = next_available {
            self.requeue
                .at(ctx, ControllerId::ReplicaSet, key, crate::time::SimTime(t));
        }
        // Written in place (no copy of the set and its pod template per status write), and
        // only when a count changed.
        ctx.store.modify_if(key, |o| {
            let Object::ReplicaSet(rs) = o else {
                return false;
            };
            let s = &mut rs.status;
            if (s.replicas, s.ready_replicas, s.available_replicas) == (replicas, ready, available)
            {
                return false;
            }
            (s.replicas, s.ready_replicas, s.available_replicas) = (replicas, ready, available);
            true
        });
    }
}
