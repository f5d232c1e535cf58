//! Finding and creating the new ReplicaSet with its revision, proportional scaling, revision
//! history cleanup and the Deployment's status.
//!
//! Upstream: pkg/controller/deployment/sync.go (`getAllReplicaSetsAndSyncRevision`,
//! `getNewReplicaSet`, `scale`, `scaleReplicaSet`, `cleanupDeployment`, `calculateStatus`,
//! `isScalingEvent`, `checkPausedConditions`).
//!
//! Every read of the Deployment's ReplicaSets goes to the store, so a step sees the writes of
//! the steps before it; upstream reads one informer snapshot per sync and meets its own writes
//! as update conflicts, retried about 5 ms later (not modelled).

use super::util::*;
use crate::api::apps::{Deployment, DeploymentStatus, ReplicaSet};
use crate::api::meta::OwnerReference;
use crate::api::{Kind, Object};
use crate::controllers::naming::pod_template_hash;
use crate::sim::ctx::Ctx;
use crate::sim::objects::{delete, Propagation};
use crate::store::{ObjectKey, ObjectStore};

/// `Deployment/<namespace>/<name>`, the object of the controller's events.
pub fn event_object(d: &Deployment) -> String {
    format!("Deployment/{}/{}", d.metadata.namespace, d.metadata.name)
}

/// The ReplicaSets whose controller reference is the Deployment (upstream claims by selector
/// and controller reference; cellsim by controller reference only).
pub fn owned_sets(ctx: &Ctx, d: &Deployment) -> Vec<ReplicaSet> {
    ctx.store
        .objects(Kind::ReplicaSet)
        .filter_map(|o| match o {
            Object::ReplicaSet(rs)
                if rs.metadata.namespace == d.metadata.namespace
                    && rs
                        .metadata
                        .controller_of()
                        .is_some_and(|r| r.uid == d.metadata.uid) =>
            {
                Some(rs.clone())
            }
            _ => None,
        })
        .collect()
}

/// Write the Deployment as it is now (spec, annotations and status).
pub fn write_deployment(ctx: &mut Ctx, d: &Deployment) {
    let _ = ctx.store.update(Object::Deployment(d.clone()), None);
}

/// Write a ReplicaSet's metadata and spec, keeping the status the store has.
fn write_replica_set(ctx: &mut Ctx, rs: &ReplicaSet) {
    let key = ObjectKey::new(Kind::ReplicaSet, &rs.metadata.namespace, &rs.metadata.name);
    if let Some(Object::ReplicaSet(cur)) = ctx.store.get(&key).map(|s| s.object.clone()) {
        let mut next = rs.clone();
        next.status = cur.status;
        let _ = ctx.store.update(Object::ReplicaSet(next), None);
    }
}

/// `getAllReplicaSetsAndSyncRevision`: the new ReplicaSet (created when `create` and there is
/// none) with its revision raised above the old ones, and all old ReplicaSets (oldest first).
pub fn get_all(
    ctx: &mut Ctx,
    d: &mut Deployment,
    create: bool,
) -> (Option<ReplicaSet>, Vec<ReplicaSet>) {
    let mut sets = owned_sets(ctx, d);
    let new_idx = find_new_replica_set(d, &mut sets);
    let old: Vec<ReplicaSet> = sets
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != new_idx)
        .map(|(_, rs)| rs.clone())
        .collect();
    let existing = new_idx.map(|i| sets[i].clone());
    let new_rs = get_new_replica_set(ctx, d, existing, &old, create);
    (new_rs, old)
}

/// `getNewReplicaSet`.
fn get_new_replica_set(
    ctx: &mut Ctx,
    d: &mut Deployment,
    existing: Option<ReplicaSet>,
    old: &[ReplicaSet],
    create: bool,
) -> Option<ReplicaSet> {
    let now = ctx.now.millis();
    let new_revision = max_revision(old) + 1;
    if let Some(mut rs) = existing {
        let annotations_updated = set_new_replica_set_annotations(d, &mut rs, new_revision, true);
        if annotations_updated || rs.spec.min_ready_seconds != d.spec.min_ready_seconds {
            rs.spec.min_ready_seconds = d.spec.min_ready_seconds;
            write_replica_set(ctx, &rs);
            return Some(rs);
        }
        let revision = rs
            .metadata
            .annotations
            .get(REVISION)
            .cloned()
            .unwrap_or_default();
        let mut needs_update = set_deployment_revision(d, &revision);
        if progress_deadline(d).is_some() && d.status.condition(PROGRESSING).is_none() {
            let msg = format!("Found new replica set {:?}", rs.metadata.name);
            set_condition(
                &mut d.status,
                condition(PROGRESSING, "True", FOUND_NEW_REPLICA_SET, msg, now),
            );
            needs_update = true;
        }
        if needs_update {
            write_deployment(ctx, d);
        }
        return Some(rs);
    }
    if !create {
        return None;
    }
    let hash = pod_template_hash(&d.spec.template, 0);
    let mut template = d.spec.template.clone();
    template
        .metadata
        .labels
        .insert(POD_TEMPLATE_HASH.into(), hash.clone());
    let mut selector = d.spec.selector.clone().unwrap_or_default();
    selector
        .match_labels
        .insert(POD_TEMPLATE_HASH.into(), hash.clone());
    let mut rs = ReplicaSet::default();
    rs.metadata.name = format!("{}-{hash}", d.metadata.name);
    rs.metadata.namespace = d.metadata.namespace.clone();
    rs.metadata.labels = template.metadata.labels.clone();
    rs.metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: d.metadata.name.clone(),
        uid: d.metadata.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }];
    rs.spec.replicas = Some(0);
    rs.spec.min_ready_seconds = d.spec.min_ready_seconds;
    rs.spec.selector = Some(selector);
    rs.spec.template = template;
    let all: Vec<&ReplicaSet> = old.iter().chain(std::iter::once(&rs)).collect();
    let count = new_rs_new_replicas(d, &all, &rs);
    rs.spec.replicas = Some(count);
    set_new_replica_set_annotations(d, &mut rs, new_revision, false);
    let key = ObjectKey::new(Kind::ReplicaSet, &rs.metadata.namespace, &rs.metadata.name);
    let (created, already_exists) = match ctx.store.get(&key).map(|s| s.object.clone()) {
        // AlreadyExists: ours if we own it and it has our template. Otherwise upstream bumps
        // status.collisionCount and retries with another hash; cellsim's hashes of distinct
        // templates do not collide in practice, and such a set is left alone.
        Some(Object::ReplicaSet(cur)) => {
            let ours = cur
                .metadata
                .controller_of()
                .is_some_and(|r| r.uid == d.metadata.uid)
                && equal_ignore_hash(&d.spec.template, &cur.spec.template);
            if !ours {
                return None;
            }
            (cur, true)
        }
        _ => match crate::sim::objects::create(ctx, Object::ReplicaSet(rs.clone())) {
            Ok(Object::ReplicaSet(stored)) => (stored, false),
            // Admission only rejects pods.
            _ => (rs, false),
        },
    };
    if !already_exists && count > 0 {
        ctx.event(
            "ScalingReplicaSet",
            event_object(d),
            None,
            format!(
                "Scaled up replica set {} from 0 to {count}",
                created.metadata.name
            ),
        );
    }
    let mut needs_update = set_deployment_revision(d, &new_revision.to_string());
    if !already_exists && progress_deadline(d).is_some() {
        let msg = format!("Created new replica set {:?}", created.metadata.name);
        set_condition(
            &mut d.status,
            condition(PROGRESSING, "True", NEW_REPLICA_SET_CREATED, msg, now),
        );
        needs_update = true;
    }
    if needs_update {
        write_deployment(ctx, d);
    }
    Some(created)
}

/// `scaleReplicaSetAndRecordEvent`: scale when the size differs. Returns (scaled, the set as
/// written).
pub fn scale_and_record(
    ctx: &mut Ctx,
    rs: &ReplicaSet,
    to: i32,
    d: &Deployment,
) -> (bool, ReplicaSet) {
    if rs_replicas(rs) == to {
        return (false, rs.clone());
    }
    scale_replica_set(ctx, rs, to, d)
}

/// `scaleReplicaSet`: write the size and the replicas annotations when either changed; an event
/// when the size did (`Scaled up replica set web-6d4b from 1 to 3`).
pub fn scale_replica_set(
    ctx: &mut Ctx,
    rs: &ReplicaSet,
    to: i32,
    d: &Deployment,
) -> (bool, ReplicaSet) {
    let from = rs_replicas(rs);
    let max = replicas(d) + max_surge(d);
    let size_needs_update = from != to;
    if !size_needs_update && !replicas_annotations_need_update(rs, replicas(d), max) {
        return (false, rs.clone());
    }
    let mut next = rs.clone();
    next.spec.replicas = Some(to);
    set_replicas_annotations(&mut next, replicas(d), max);
    write_replica_set(ctx, &next);
    if size_needs_update {
        let dir = if from < to { "up" } else { "down" };
        ctx.event(
            "ScalingReplicaSet",
            event_object(d),
            None,
            format!(
                "Scaled {dir} replica set {} from {from} to {to}",
                rs.metadata.name
            ),
        );
    }
    (size_needs_update, next)
}

/// `scale`: a scaling event (or a paused Deployment). One active set takes all replicas; a
/// saturated new set means the old ones go to zero; otherwise (RollingUpdate) the change is
/// spread over the active sets in proportion to their size, the leftover to the largest.
pub fn scale(ctx: &mut Ctx, d: &Deployment, new_rs: Option<&ReplicaSet>, old: &mut [ReplicaSet]) {
    // FindActiveOrLatest (which sorts the old sets newest first, in place).
    crate::sort::sort_by(old, |a, b| by_creation(b, a));
    let active: Vec<&ReplicaSet> = old
        .iter()
        .chain(new_rs)
        .filter(|rs| is_active(rs))
        .collect();
    let active_or_latest = match active.len() {
        0 => new_rs.or(old.first()),
        1 => Some(active[0]),
        _ => None,
    };
    if let Some(rs) = active_or_latest {
        if rs_replicas(rs) != replicas(d) {
            let rs = rs.clone();
            scale_and_record(ctx, &rs, replicas(d), d);
        }
        return;
    }
    if is_saturated(d, new_rs) {
        let actives: Vec<ReplicaSet> = old.iter().filter(|rs| is_active(rs)).cloned().collect();
        for rs in actives {
            scale_and_record(ctx, &rs, 0, d);
        }
        return;
    }
    if !is_rolling_update(d) {
        return;
    }
    let mut all: Vec<ReplicaSet> = old
        .iter()
        .chain(new_rs)
        .filter(|rs| is_active(rs))
        .cloned()
        .collect();
    let current: i32 = all.iter().map(rs_replicas).sum();
    let allowed = if replicas(d) > 0 {
        replicas(d) + max_surge(d)
    } else {
        0
    };
    let to_add = allowed - current;
    // ReplicaSetsBySizeNewer when adding (larger first, newer first on ties), BySizeOlder when
    // removing (larger first, older first on ties).
    if to_add > 0 {
        crate::sort::sort_by(&mut all, |a, b| {
            rs_replicas(b)
                .cmp(&rs_replicas(a))
                .then_with(|| by_creation(b, a))
        });
    } else if to_add < 0 {
        crate::sort::sort_by(&mut all, |a, b| {
            rs_replicas(b)
                .cmp(&rs_replicas(a))
                .then_with(|| by_creation(a, b))
        });
    }
    let mut added = 0;
    let mut sizes: Vec<i32> = Vec::with_capacity(all.len());
    for rs in &all {
        if to_add != 0 {
            let p = get_proportion(rs, d, to_add, added);
            sizes.push(rs_replicas(rs) + p);
            added += p;
        } else {
            sizes.push(rs_replicas(rs));
        }
    }
    for (i, rs) in all.iter().enumerate() {
        if i == 0 && to_add != 0 {
            sizes[0] = (sizes[0] + to_add - added).max(0);
        }
        scale_replica_set(ctx, rs, sizes[i], d);
    }
}

/// `cleanupDeployment`: delete the oldest old ReplicaSets beyond `revisionHistoryLimit`, those
/// without pods.
pub fn cleanup(ctx: &mut Ctx, old: &[ReplicaSet], d: &Deployment) {
    let Some(limit) = revision_history_limit(d) else {
        return;
    };
    let mut cleanable: Vec<&ReplicaSet> = old
        .iter()
        .filter(|rs| rs.metadata.deletion_at.is_none())
        .collect();
    let diff = cleanable.len() as i64 - i64::from(limit);
    if diff <= 0 {
        return;
    }
    // ReplicaSetsByRevision: by revision, unparsable or equal ones by creation.
    crate::sort::sort_by(&mut cleanable, |a, b| {
        match (revision(&a.metadata), revision(&b.metadata)) {
            (Some(x), Some(y)) if x != y => x.cmp(&y),
            _ => by_creation(a, b),
        }
    });
    for rs in cleanable.into_iter().take(diff as usize) {
        if rs.status.replicas != 0 || rs_replicas(rs) != 0 {
            continue;
        }
        let key = ObjectKey::new(Kind::ReplicaSet, &rs.metadata.namespace, &rs.metadata.name);
        delete(ctx, &key, Propagation::Background);
    }
}

/// `calculateStatus`: counts from the sets (`replicas`, `readyReplicas`, `availableReplicas`
/// from their status; `unavailableReplicas` against their spec) and the Available condition.
pub fn calculate_status(
    all: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
    d: &Deployment,
    now: u64,
) -> DeploymentStatus {
    let available: i32 = all.iter().map(|rs| rs.status.available_replicas).sum();
    let total: i32 = all.iter().map(|rs| rs_replicas(rs)).sum();
    let mut s = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: all.iter().map(|rs| rs.status.replicas).sum(),
        updated_replicas: new_rs.map_or(0, |rs| rs.status.replicas),
        ready_replicas: all.iter().map(|rs| rs.status.ready_replicas).sum(),
        available_replicas: available,
        unavailable_replicas: (total - available).max(0),
        conditions: d.status.conditions.clone(),
    };
    let c = if available >= replicas(d) - max_unavailable(d) {
        condition(
            AVAILABLE,
            "True",
            MINIMUM_REPLICAS_AVAILABLE,
            "Deployment has minimum availability.".into(),
            now,
        )
    } else {
        condition(
            AVAILABLE,
            "False",
            MINIMUM_REPLICAS_UNAVAILABLE,
            "Deployment does not have minimum availability.".into(),
            now,
        )
    };
    set_condition(&mut s, c);
    s
}

/// `syncDeploymentStatus`.
pub fn sync_status(
    ctx: &mut Ctx,
    all: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
    d: &mut Deployment,
) {
    let s = calculate_status(all, new_rs, d, ctx.now.millis());
    if s != d.status {
        d.status = s;
        write_deployment(ctx, d);
    }
}

/// `sync`: a scaling event or a paused Deployment — scale, clean up history when paused, and
/// sync the status (no rollout progress).
pub fn sync(ctx: &mut Ctx, d: &mut Deployment) {
    let (new_rs, mut old) = get_all(ctx, d, false);
    let before: Vec<ReplicaSet> = old.clone();
    scale(ctx, d, new_rs.as_ref(), &mut old);
    if d.spec.paused && !d.metadata.annotations.contains_key(ROLLBACK_TO) {
        cleanup(ctx, &old, d);
    }
    // Upstream computes the status from the sets as they were before scaling.
    let all: Vec<&ReplicaSet> = before.iter().chain(new_rs.as_ref()).collect();
    sync_status(ctx, &all, new_rs.as_ref(), d);
}

/// `syncStatusOnly`: a Deployment being deleted.
pub fn sync_status_only(ctx: &mut Ctx, d: &mut Deployment) {
    let (new_rs, old) = get_all(ctx, d, false);
    let all: Vec<&ReplicaSet> = old.iter().chain(new_rs.as_ref()).collect();
    sync_status(ctx, &all, new_rs.as_ref(), d);
}

/// `isScalingEvent`: an active set was sized for another `replicas` than the Deployment's now.
pub fn is_scaling_event(ctx: &mut Ctx, d: &mut Deployment) -> bool {
    let (new_rs, old) = get_all(ctx, d, false);
    old.iter()
        .chain(new_rs.as_ref())
        .filter(|rs| is_active(rs))
        .any(|rs| desired_replicas_annotation(rs).is_some_and(|v| v != replicas(d)))
}

/// `checkPausedConditions`: a paused Deployment gets Progressing Unknown (DeploymentPaused),
/// a resumed one DeploymentResumed, so a pause never counts against the progress deadline.
pub fn check_paused_conditions(ctx: &mut Ctx, d: &mut Deployment) {
    if progress_deadline(d).is_none() {
        return;
    }
    let cur = d.status.condition(PROGRESSING);
    if cur.is_some_and(|c| c.reason == TIMED_OUT) {
        return;
    }
    let paused_exists = cur.is_some_and(|c| c.reason == PAUSED);
    let now = ctx.now.millis();
    let c = if d.spec.paused && !paused_exists {
        condition(
            PROGRESSING,
            "Unknown",
            PAUSED,
            "Deployment is paused".into(),
            now,
        )
    } else if !d.spec.paused && paused_exists {
        condition(
            PROGRESSING,
            "Unknown",
            RESUMED,
            "Deployment is resumed".into(),
            now,
        )
    } else {
        return;
    };
    set_condition(&mut d.status, c);
    write_deployment(ctx, d);
}
