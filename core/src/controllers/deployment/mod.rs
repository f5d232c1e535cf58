//! Deployment controller: owns ReplicaSets named `<deployment>-<pod-template-hash>` with
//! revision annotations, rolls from old to new with maxSurge / maxUnavailable (RollingUpdate)
//! or all at once (Recreate), scales proportionally during a rollout, keeps
//! `revisionHistoryLimit` old ReplicaSets, rolls back on request, honours `paused`, and
//! reports progress against `progressDeadlineSeconds` on a timer.
//!
//! Upstream: pkg/controller/deployment/deployment_controller.go (`syncDeployment`, the event
//! handlers) and the files of the submodules, each citing its source.

pub mod progress;
pub mod recreate;
pub mod rollback;
pub mod rolling;
pub mod sync;
pub mod util;

use super::owned::OwnedPods;
use super::{ControllerId, EarliestRequeue};
use crate::api::{Kind, Object};
use crate::collections::OrdSet;
use crate::sim::ctx::Ctx;
use crate::store::{ObjectKey, ObjectStore};

pub use util::resolve_fenceposts;

pub struct DeploymentController {
    pub cursor: u64,
    requeue: EarliestRequeue,
    /// ReplicaSets by the Deployment named in their controller reference (to find the
    /// Deployment of a set that is gone: upstream's `deleteReplicaSet`).
    sets: OwnedPods,
    /// Pods by their ReplicaSet (to wake a Recreate Deployment when an old pod is gone:
    /// upstream's `deletePod`). Kept only while some Deployment in the store uses Recreate
    /// (`None` otherwise): a pod's deletion wakes nothing then, so the index is not needed,
    /// and it is rebuilt from the store when a Recreate Deployment appears (see `catch_up`).
    pods: Option<OwnedPods>,
    limiter: progress::RateLimiter,
}

impl Default for DeploymentController {
    fn default() -> Self {
        DeploymentController {
            cursor: 0,
            requeue: EarliestRequeue::default(),
            sets: OwnedPods::new(Kind::Deployment),
            pods: None,
            limiter: progress::RateLimiter::default(),
        }
    }
}

impl DeploymentController {
    /// Read the change feed: the Deployments to sync (their own changes, their ReplicaSets',
    /// and for Recreate Deployments the deletion of their pods).
    ///
    /// The feed is read in place. A pod change only matters here when the pod is gone (the
    /// `deletePod` handler); any other pod change just keeps the index, without building its
    /// owner's key when the index already has it.
    fn catch_up(&mut self, ctx: &Ctx) -> OrdSet<ObjectKey> {
        let mut dirty = OrdSet::new();
        let changes = ctx.store.changes_since(self.cursor);
        // Whether some Deployment uses Recreate changes only with a Deployment write, so it is
        // looked at again only then. While none does, pod changes are skipped: a deletion
        // dirties only a Deployment that is Recreate now. When one appears, the index is
        // rebuilt from the store's pods; the pods deleted in this same batch are missing from
        // it, but the Deployment that is Recreate now was not at the previous look, so it was
        // written since and is in `dirty` already (from its own change below).
        if changes.iter().any(|c| c.key.kind == Kind::Deployment) {
            let any_recreate = ctx
                .store
                .objects(Kind::Deployment)
                .any(|o| matches!(o, Object::Deployment(d) if d.spec.strategy.kind == "Recreate"));
            match (any_recreate, self.pods.is_some()) {
                (true, false) => {
                    let mut index = OwnedPods::new(Kind::ReplicaSet);
                    for (k, s) in ctx.store.list(Kind::Pod) {
                        index.observe_object(k, Some(&s.object), false);
                    }
                    self.pods = Some(index);
                }
                (false, true) => self.pods = None,
                _ => {}
            }
        }
        for c in changes {
            match c.key.kind {
                Kind::Deployment if !dirty.contains(&c.key) => {
                    dirty.insert(c.key.clone());
                }
                Kind::ReplicaSet => dirty.extend(self.sets.observe(ctx.store, &c.key)),
                Kind::Pod => {
                    let Some(pods) = self.pods.as_mut() else {
                        continue;
                    };
                    let obj = ctx.store.get(&c.key).map(|s| &s.object);
                    let gone = obj.is_none();
                    for rs in pods.observe_object(&c.key, obj, false) {
                        if !gone {
                            continue;
                        }
                        let Some(d) = self.sets.owner(&rs) else {
                            continue;
                        };
                        let recreate = matches!(
                            ctx.store.get(d).map(|s| &s.object),
                            Some(Object::Deployment(d)) if d.spec.strategy.kind == "Recreate"
                        );
                        if recreate {
                            dirty.insert(d.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        self.cursor = ctx.store.revision();
        dirty
    }

    pub fn sync(&mut self, ctx: &mut Ctx) {
        for key in self.catch_up(ctx) {
            self.reconcile(ctx, &key);
        }
    }

    /// A progress-deadline check is due.
    pub fn wake(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let due = self.requeue.fired(ctx.now, key);
        let mut dirty = self.catch_up(ctx);
        if due {
            dirty.insert(key.clone());
        }
        for k in dirty {
            self.reconcile(ctx, &k);
        }
    }

    /// `syncDeployment`.
    fn reconcile(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let Some(Object::Deployment(mut d)) = ctx.store.get(key).map(|s| s.object.clone()) else {
            return;
        };
        if d.metadata.deletion_at.is_some() {
            sync::sync_status_only(ctx, &mut d);
            return;
        }
        // A pause or resume resets the Progressing condition, so a paused Deployment never
        // times out.
        sync::check_paused_conditions(ctx, &mut d);
        if d.spec.paused {
            sync::sync(ctx, &mut d);
            return;
        }
        // A rollback is not re-entrant: it finishes (and clears the request) before anything
        // else happens.
        if rollback::rollback_to(&d).is_some() {
            rollback::rollback(ctx, &mut d);
            return;
        }
        if sync::is_scaling_event(ctx, &mut d) {
            sync::sync(ctx, &mut d);
            return;
        }
        let next_check = if util::is_rolling_update(&d) {
            rolling::rollout(ctx, &mut d)
        } else {
            recreate::rollout(ctx, &mut d)
        };
        let at = match next_check {
            None => return,
            Some(progress::Recheck::At(t)) => t,
            Some(progress::Recheck::RateLimited) => self.limiter.when(ctx.now.millis()),
        };
        self.requeue.at(ctx, ControllerId::Deployment, key, at);
    }
}
