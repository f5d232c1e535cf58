//! Rollback to an earlier revision: the ReplicaSet of that revision gives its pod template
//! (and annotations) back to the Deployment, which then rolls out to it as to any template.
//!
//! Upstream: pkg/controller/deployment/rollback.go (`rollback`, `rollbackToTemplate`,
//! `getRollbackTo`, `updateDeploymentAndClearRollbackTo`). The request is the
//! `deprecated.deployment.rollback.to` annotation (the round-tripped `spec.rollbackTo` of
//! extensions/v1beta1), which the timeline's `rolloutUndo` sets.

use super::sync::{event_object, get_all, write_deployment};
use super::util::*;
use crate::api::apps::{Deployment, ReplicaSet};
use crate::sim::ctx::Ctx;

/// `getRollbackTo`: the requested revision (0: the previous one), if a valid request is set.
pub fn rollback_to(d: &Deployment) -> Option<i64> {
    d.metadata.annotations.get(ROLLBACK_TO)?.parse().ok()
}

/// `rollback`.
pub fn rollback(ctx: &mut Ctx, d: &mut Deployment) {
    let (new_rs, old) = get_all(ctx, d, true);
    let all: Vec<ReplicaSet> = old.into_iter().chain(new_rs).collect();
    let mut to = rollback_to(d).unwrap_or(0);
    if to == 0 {
        to = last_revision(&all);
        if to == 0 {
            warn(
                ctx,
                d,
                ROLLBACK_REVISION_NOT_FOUND,
                "Unable to find last revision.".into(),
            );
            clear_rollback_to(ctx, d);
            return;
        }
    }
    if let Some(rs) = all.iter().find(|rs| revision(&rs.metadata) == Some(to)) {
        if rollback_to_template(ctx, d, rs) {
            ctx.event(
                ROLLBACK_DONE,
                event_object(d),
                None,
                format!(
                    "Rolled back deployment {:?} to revision {to}",
                    d.metadata.name
                ),
            );
        }
        return;
    }
    warn(
        ctx,
        d,
        ROLLBACK_REVISION_NOT_FOUND,
        "Unable to find the revision to rollback to.".into(),
    );
    clear_rollback_to(ctx, d);
}

/// `rollbackToTemplate`: take the set's template and annotations unless the template is the
/// Deployment's already. Returns whether it rolled back.
fn rollback_to_template(ctx: &mut Ctx, d: &mut Deployment, rs: &ReplicaSet) -> bool {
    let performed = !equal_ignore_hash(&d.spec.template, &rs.spec.template);
    if performed {
        // SetFromReplicaSetTemplate: the template without its pod-template-hash label.
        d.spec.template = rs.spec.template.clone();
        d.spec.template.metadata.labels.remove(POD_TEMPLATE_HASH);
        set_deployment_annotations_to(d, rs);
    } else {
        let msg = format!(
            "The rollback revision contains the same template as current deployment {:?}",
            d.metadata.name
        );
        warn(ctx, d, ROLLBACK_TEMPLATE_UNCHANGED, msg);
    }
    clear_rollback_to(ctx, d);
    performed
}

fn warn(ctx: &mut Ctx, d: &Deployment, reason: &str, message: String) {
    ctx.event(reason, event_object(d), None, message);
}

/// `updateDeploymentAndClearRollbackTo`.
fn clear_rollback_to(ctx: &mut Ctx, d: &mut Deployment) {
    d.metadata.annotations.remove(ROLLBACK_TO);
    write_deployment(ctx, d);
}
