//! Deployment controller: owns ReplicaSets named `<deployment>-<pod-template-hash>`, scales
//! them, and rolls from old to new with maxSurge / maxUnavailable (RollingUpdate) or all at
//! once (Recreate).
//!
//! Upstream: pkg/controller/deployment/{sync.go,rolling.go,recreate.go} and
//! deployment/util/deployment_util.go (NewRSNewReplicas, MaxUnavailable, ResolveFenceposts).

use super::naming::pod_template_hash;
use crate::api::apps::{Deployment, ReplicaSet};
use crate::api::meta::{IntOrString, OwnerReference};
use crate::api::{Kind, Object};
use crate::sim::ctx::Ctx;
use crate::store::{ObjectKey, ObjectStore};
use std::collections::BTreeSet;

#[derive(Default)]
pub struct DeploymentController {
    pub cursor: u64,
}

/// Upstream `ResolveFenceposts`: maxSurge rounds up, maxUnavailable rounds down (defaults 25%);
/// if both are 0, maxUnavailable becomes 1 so a rollout can progress.
pub fn resolve_fenceposts(d: &Deployment, replicas: i64) -> (i64, i64) {
    let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
    let quarter = IntOrString::Str("25%".into());
    let surge = ru
        .max_surge
        .as_ref()
        .unwrap_or(&quarter)
        .scaled_value(replicas, true)
        .unwrap_or(0)
        .max(0);
    let mut unavailable = ru
        .max_unavailable
        .as_ref()
        .unwrap_or(&quarter)
        .scaled_value(replicas, false)
        .unwrap_or(0)
        .max(0);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable.min(replicas))
}

impl DeploymentController {
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let mut dirty = BTreeSet::new();
        for c in ctx.store.changes_since(self.cursor) {
            match c.key.kind {
                Kind::Deployment => {
                    dirty.insert(c.key.clone());
                }
                Kind::ReplicaSet => {
                    if let Some(Object::ReplicaSet(rs)) = ctx.store.get(&c.key).map(|s| &s.object) {
                        if let Some(o) = rs
                            .metadata
                            .controller_of()
                            .filter(|o| o.kind == "Deployment")
                        {
                            dirty.insert(ObjectKey::new(
                                Kind::Deployment,
                                &c.key.namespace,
                                &o.name,
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        self.cursor = ctx.store.revision();
        for key in dirty {
            self.reconcile(ctx, &key);
        }
        self.cursor = ctx.store.revision();
    }

    fn owned_sets(ctx: &Ctx, ns: &str, uid: &str) -> Vec<ReplicaSet> {
        let mut v: Vec<ReplicaSet> = ctx
            .store
            .objects(Kind::ReplicaSet)
            .filter_map(|o| match o {
                Object::ReplicaSet(rs)
                    if rs.metadata.namespace == ns
                        && rs.metadata.controller_of().is_some_and(|r| r.uid == uid) =>
                {
                    Some(rs.clone())
                }
                _ => None,
            })
            .collect();
        // Oldest first, as upstream's ReplicaSetsByCreationTimestamp (name breaks ties).
        v.sort_by(|a, b| {
            (a.metadata.created_at, &a.metadata.name)
                .cmp(&(b.metadata.created_at, &b.metadata.name))
        });
        v
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let Some(Object::Deployment(d)) = ctx.store.get(key).map(|s| s.object.clone()) else {
            return;
        };
        if d.spec.paused {
            return;
        }
        if d.metadata.deletion_at.is_some() {
            // upstream syncDeployment: a deployment being deleted only gets its status synced.
            let hash = pod_template_hash(&d.spec.template, 0);
            self.update_status(ctx, key, &d, &hash);
            return;
        }
        let replicas = d.spec.replicas.unwrap_or(1).max(0) as i64;
        let hash = pod_template_hash(&d.spec.template, 0);
        let sets = Self::owned_sets(ctx, &key.namespace, &d.metadata.uid);
        let (new, old): (Vec<_>, Vec<_>) = sets
            .into_iter()
            .partition(|rs| rs.metadata.labels.get("pod-template-hash") == Some(&hash));
        let recreate = d.spec.strategy.kind == "Recreate";
        let new_rs = match new.into_iter().next() {
            Some(rs) => rs,
            None => {
                // Recreate starts the new set only when the old pods are gone; RollingUpdate
                // starts it at 0 and lets the surge logic scale it when old sets exist.
                let initial =
                    if old.iter().all(|rs| rs.spec.replicas.unwrap_or(0) == 0) && !recreate {
                        replicas
                    } else {
                        0
                    };
                self.create_set(ctx, &d, &hash, initial)
            }
        };
        let dname = format!("Deployment/{}/{}", key.namespace, key.name);
        if recreate {
            for rs in &old {
                self.scale(ctx, &dname, rs, 0);
            }
            let old_pods_left = old.iter().any(|rs| rs.status.replicas > 0);
            if !old_pods_left {
                self.scale(ctx, &dname, &new_rs, replicas);
            }
        } else if old
            .iter()
            .all(|rs| rs.spec.replicas.unwrap_or(0) == 0 && rs.status.replicas == 0)
        {
            // No rollout in progress: plain scaling.
            self.scale(ctx, &dname, &new_rs, replicas);
        } else {
            self.roll(ctx, &d, &dname, replicas, &new_rs, &old);
        }
        self.update_status(ctx, key, &d, &hash);
    }

    /// One step of a rolling update (upstream rolling.go: reconcileNewReplicaSet then
    /// reconcileOldReplicaSets).
    fn roll(
        &mut self,
        ctx: &mut Ctx,
        d: &Deployment,
        dname: &str,
        replicas: i64,
        new_rs: &ReplicaSet,
        old: &[ReplicaSet],
    ) {
        let (max_surge, max_unavailable) = resolve_fenceposts(d, replicas);
        let spec = |rs: &ReplicaSet| rs.spec.replicas.unwrap_or(0) as i64;
        let new_spec = spec(new_rs);
        // NewRSNewReplicas: current pods counted from status (actual pods).
        let current: i64 = old
            .iter()
            .chain(std::iter::once(new_rs))
            .map(|rs| rs.status.replicas as i64)
            .sum::<i64>()
            .max(old.iter().chain(std::iter::once(new_rs)).map(spec).sum());
        let max_total = replicas + max_surge;
        if new_spec < replicas && current < max_total {
            let up = (max_total - current).min(replicas - new_spec);
            self.scale(ctx, dname, new_rs, new_spec + up);
            return;
        } else if new_spec > replicas {
            self.scale(ctx, dname, new_rs, replicas);
            return;
        }
        // reconcileOldReplicaSets.
        let all_pods: i64 = old.iter().map(spec).sum::<i64>() + new_spec;
        let min_available = replicas - max_unavailable;
        let new_unavailable = new_spec - new_rs.status.available_replicas as i64;
        let mut max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return;
        }
        // cleanupUnhealthyReplicas: scale down old sets' unavailable pods first.
        let mut olds: Vec<ReplicaSet> = old.to_vec();
        for rs in olds.iter_mut() {
            if max_scaled_down <= 0 {
                break;
            }
            let unhealthy = spec(rs) - rs.status.available_replicas as i64;
            let n = unhealthy.min(max_scaled_down).max(0);
            if n > 0 {
                let to = spec(rs) - n;
                self.scale(ctx, dname, rs, to);
                rs.spec.replicas = Some(to as i32);
                max_scaled_down -= n;
            }
        }
        // scaleDownOldReplicaSetsForRollingUpdate.
        let available: i64 = old
            .iter()
            .chain(std::iter::once(new_rs))
            .map(|rs| rs.status.available_replicas as i64)
            .sum();
        if available <= min_available {
            return;
        }
        let mut total = available - min_available;
        for rs in olds.iter() {
            if total <= 0 {
                break;
            }
            let n = spec(rs).min(total);
            if n > 0 {
                self.scale(ctx, dname, rs, spec(rs) - n);
                total -= n;
            }
        }
    }

    fn create_set(
        &mut self,
        ctx: &mut Ctx,
        d: &Deployment,
        hash: &str,
        replicas: i64,
    ) -> ReplicaSet {
        let mut rs = ReplicaSet::default();
        rs.metadata.name = format!("{}-{hash}", d.metadata.name);
        rs.metadata.namespace = d.metadata.namespace.clone();
        rs.metadata.labels = d.spec.template.metadata.labels.clone();
        rs.metadata
            .labels
            .insert("pod-template-hash".into(), hash.into());
        rs.metadata.owner_references = vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            name: d.metadata.name.clone(),
            uid: d.metadata.uid.clone(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }];
        let mut sel = d.spec.selector.clone().unwrap_or_default();
        sel.match_labels
            .insert("pod-template-hash".into(), hash.into());
        rs.spec.selector = Some(sel);
        rs.spec.template = d.spec.template.clone();
        rs.spec
            .template
            .metadata
            .labels
            .insert("pod-template-hash".into(), hash.into());
        rs.spec.min_ready_seconds = d.spec.min_ready_seconds;
        rs.spec.replicas = Some(replicas as i32);
        let created = crate::sim::objects::create(ctx, Object::ReplicaSet(rs.clone()));
        if replicas > 0 {
            ctx.event(
                "ScalingReplicaSet",
                format!("Deployment/{}/{}", d.metadata.namespace, d.metadata.name),
                None,
                format!(
                    "Scaled up replica set {} from 0 to {replicas}",
                    rs.metadata.name
                ),
            );
        }
        // Admission only rejects pods, so a ReplicaSet is always created.
        match created {
            Ok(Object::ReplicaSet(stored)) => stored,
            _ => rs,
        }
    }

    fn scale(&mut self, ctx: &mut Ctx, dname: &str, rs: &ReplicaSet, to: i64) {
        let key = ObjectKey::new(Kind::ReplicaSet, &rs.metadata.namespace, &rs.metadata.name);
        let Some(Object::ReplicaSet(cur)) = ctx.store.get(&key).map(|s| s.object.clone()) else {
            return;
        };
        let from = cur.spec.replicas.unwrap_or(0) as i64;
        if from == to {
            return;
        }
        let mut next = cur;
        next.spec.replicas = Some(to as i32);
        let _ = ctx.store.update(Object::ReplicaSet(next), None);
        let dir = if to > from { "up" } else { "down" };
        ctx.event(
            "ScalingReplicaSet",
            dname.to_string(),
            None,
            format!(
                "Scaled {dir} replica set {} from {from} to {to}",
                rs.metadata.name
            ),
        );
    }

    fn update_status(&mut self, ctx: &mut Ctx, key: &ObjectKey, d: &Deployment, hash: &str) {
        let (mut replicas, mut ready, mut available, mut updated) = (0, 0, 0, 0);
        for rs in Self::owned_sets(ctx, &key.namespace, &d.metadata.uid) {
            replicas += rs.status.replicas;
            ready += rs.status.ready_replicas;
            available += rs.status.available_replicas;
            if rs
                .metadata
                .labels
                .get("pod-template-hash")
                .map(String::as_str)
                == Some(hash)
            {
                updated += rs.status.replicas;
            }
        }
        if let Some(Object::Deployment(cur)) = ctx.store.get(key).map(|s| &s.object) {
            let s = &cur.status;
            if (
                s.replicas,
                s.ready_replicas,
                s.available_replicas,
                s.updated_replicas,
            ) != (replicas, ready, available, updated)
            {
                let mut next = cur.clone();
                next.status.replicas = replicas;
                next.status.ready_replicas = ready;
                next.status.available_replicas = available;
                next.status.updated_replicas = updated;
                let _ = ctx.store.update(Object::Deployment(next), None);
            }
        }
    }
}
