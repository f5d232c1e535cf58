//! Recreate: all old pods go before any new pod is created.
//!
//! Upstream: pkg/controller/deployment/recreate.go (`rolloutRecreate`,
//! `scaleDownOldReplicaSetsForRecreate`, `oldPodsRunning`, `scaleUpNewReplicaSetForRecreate`).

use super::progress::{sync_rollout_status, Recheck};
use super::sync::{cleanup, get_all, scale_and_record};
use super::util::*;
use crate::api::apps::{Deployment, ReplicaSet};
use crate::api::pod::PodPhase;
use crate::api::{Kind, Object};
use crate::sim::ctx::Ctx;

/// `rolloutRecreate`. Returns when to check the progress deadline again, if ever.
pub fn rollout(ctx: &mut Ctx, d: &mut Deployment) -> Option<Recheck> {
    let (mut new_rs, mut old) = get_all(ctx, d, false);
    let mut all: Vec<ReplicaSet> = old.iter().chain(new_rs.as_ref()).cloned().collect();
    let mut scaled_down = false;
    for rs in old.iter().filter(|rs| is_active(rs)) {
        if scale_and_record(ctx, rs, 0, d).0 {
            scaled_down = true;
        }
    }
    if scaled_down || old_pods_running(ctx, new_rs.as_ref(), &old) {
        let refs: Vec<&ReplicaSet> = all.iter().collect();
        return sync_rollout_status(ctx, &refs, new_rs.as_ref(), d);
    }
    if new_rs.is_none() {
        (new_rs, old) = get_all(ctx, d, true);
        all = old.iter().chain(new_rs.as_ref()).cloned().collect();
    }
    if let Some(rs) = &new_rs {
        scale_and_record(ctx, rs, replicas(d), d);
    }
    if deployment_complete(d, &d.status) {
        cleanup(ctx, &old, d);
    }
    let refs: Vec<&ReplicaSet> = all.iter().collect();
    sync_rollout_status(ctx, &refs, new_rs.as_ref(), d)
}

/// `oldPodsRunning`: old sets still report pods, or a pod of an old set (terminating ones
/// included) has not finished.
fn old_pods_running(ctx: &Ctx, new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> bool {
    if old.iter().map(|rs| rs.status.replicas).sum::<i32>() > 0 {
        return true;
    }
    let old_uids: Vec<&str> = old.iter().map(|rs| rs.metadata.uid.as_str()).collect();
    let new_uid = new_rs.map(|rs| rs.metadata.uid.as_str());
    ctx.store.objects(Kind::Pod).any(|o| match o {
        Object::Pod(p) => {
            p.metadata.controller_of().is_some_and(|r| {
                Some(r.uid.as_str()) != new_uid && old_uids.contains(&r.uid.as_str())
            }) && !matches!(p.status.phase, PodPhase::Failed | PodPhase::Succeeded)
        }
        _ => false,
    })
}
