//! RollingUpdate: scale the new ReplicaSet up within maxSurge, the old ones down within
//! maxUnavailable.
//!
//! Upstream: pkg/controller/deployment/rolling.go (`rolloutRolling`, `reconcileNewReplicaSet`,
//! `reconcileOldReplicaSets`, `cleanupUnhealthyReplicas`,
//! `scaleDownOldReplicaSetsForRollingUpdate`).

use super::progress::{sync_rollout_status, Recheck};
use super::sync::{cleanup, get_all, scale_and_record};
use super::util::*;
use crate::api::apps::{Deployment, ReplicaSet};
use crate::sim::ctx::Ctx;

/// `rolloutRolling`. Returns when to look again for the progress deadline, if ever.
pub fn rollout(ctx: &mut Ctx, d: &mut Deployment) -> Option<Recheck> {
    let (new_rs, old) = get_all(ctx, d, true);
    let Some(new_rs) = new_rs else {
        // The new set could not be created (a foreign set holds its name).
        return None;
    };
    let all: Vec<&ReplicaSet> = old.iter().chain(std::iter::once(&new_rs)).collect();
    if reconcile_new(ctx, &all, &new_rs, d) {
        return sync_rollout_status(ctx, &all, Some(&new_rs), d);
    }
    let active_old: Vec<ReplicaSet> = old.iter().filter(|rs| is_active(rs)).cloned().collect();
    if reconcile_old(ctx, &all, active_old, &new_rs, d) {
        return sync_rollout_status(ctx, &all, Some(&new_rs), d);
    }
    if deployment_complete(d, &d.status) {
        cleanup(ctx, &old, d);
    }
    sync_rollout_status(ctx, &all, Some(&new_rs), d)
}

/// `reconcileNewReplicaSet`: scale the new set toward `replicas` as far as maxSurge allows (or
/// down to `replicas` if it has more).
fn reconcile_new(ctx: &mut Ctx, all: &[&ReplicaSet], new_rs: &ReplicaSet, d: &Deployment) -> bool {
    let want = replicas(d);
    if rs_replicas(new_rs) == want {
        return false;
    }
    if rs_replicas(new_rs) > want {
        return scale_and_record(ctx, new_rs, want, d).0;
    }
    let count = new_rs_new_replicas(d, all, new_rs);
    scale_and_record(ctx, new_rs, count, d).0
}

/// `reconcileOldReplicaSets`: scale old sets down by at most
/// `allPods - minAvailable - newRSUnavailable`, their unhealthy replicas first.
fn reconcile_old(
    ctx: &mut Ctx,
    all: &[&ReplicaSet],
    old: Vec<ReplicaSet>,
    new_rs: &ReplicaSet,
    d: &Deployment,
) -> bool {
    let old_pods: i32 = old.iter().map(rs_replicas).sum();
    if old_pods == 0 {
        return false;
    }
    let all_pods: i32 = all.iter().map(|rs| rs_replicas(rs)).sum();
    let min_available = replicas(d) - max_unavailable(d);
    let new_unavailable = rs_replicas(new_rs) - new_rs.status.available_replicas;
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return false;
    }
    let (old, cleaned) = cleanup_unhealthy(ctx, old, d, max_scaled_down);
    let all: Vec<&ReplicaSet> = old.iter().chain(std::iter::once(new_rs)).collect();
    let scaled = scale_down_old(ctx, &all, &old, d);
    cleaned + scaled > 0
}

/// `cleanupUnhealthyReplicas`: oldest first, remove each old set's replicas that are not
/// available (the ReplicaSet controller deletes not-ready pods first), up to `max`.
fn cleanup_unhealthy(
    ctx: &mut Ctx,
    mut old: Vec<ReplicaSet>,
    d: &Deployment,
    max: i32,
) -> (Vec<ReplicaSet>, i32) {
    crate::sort::sort_by(&mut old, by_creation);
    let mut total = 0;
    for rs in old.iter_mut() {
        if total >= max {
            break;
        }
        let spec = rs_replicas(rs);
        if spec == 0 || spec == rs.status.available_replicas {
            continue;
        }
        let n = (max - total).min(spec - rs.status.available_replicas);
        let (_, written) = scale_and_record(ctx, rs, spec - n, d);
        *rs = written;
        total += n;
    }
    (old, total)
}

/// `scaleDownOldReplicaSetsForRollingUpdate`: oldest first, remove available replicas down to
/// `replicas - maxUnavailable` available in all sets.
fn scale_down_old(ctx: &mut Ctx, all: &[&ReplicaSet], old: &[ReplicaSet], d: &Deployment) -> i32 {
    let min_available = replicas(d) - max_unavailable(d);
    let available: i32 = all.iter().map(|rs| rs.status.available_replicas).sum();
    if available <= min_available {
        return 0;
    }
    let mut old: Vec<&ReplicaSet> = old.iter().collect();
    crate::sort::sort_by(&mut old, |a, b| by_creation(a, b));
    let target = available - min_available;
    let mut total = 0;
    for rs in old {
        if total >= target {
            break;
        }
        let spec = rs_replicas(rs);
        if spec == 0 {
            continue;
        }
        let n = spec.min(target - total);
        scale_and_record(ctx, rs, spec - n, d);
        total += n;
    }
    total
}
