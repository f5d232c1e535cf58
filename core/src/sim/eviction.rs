//! The pod eviction subresource (`POST pods/<name>/eviction`, policy/v1 `Eviction`), as the
//! API server handles it (kubernetes v1.35 pkg/registry/core/pod/storage/eviction.go):
//!
//! - a pod that is Pending, Succeeded, Failed or already being deleted is deleted without
//!   looking at budgets (`canIgnorePDB`);
//! - more than one PodDisruptionBudget selecting the pod is an error (HTTP 500);
//! - a pod that is not Ready is deleted without using up the budget when its PDB's
//!   `unhealthyPodEvictionPolicy` is `AlwaysAllow`, or (`IfHealthyBudget`, the default) when
//!   the budget is currently met (`currentHealthy >= desiredHealthy > 0`);
//! - otherwise the budget must allow a disruption (`checkAndDecrement`): a budget the
//!   disruption controller has not computed yet, or with `disruptionsAllowed` 0, answers
//!   429 "Cannot evict pod as it would violate the pod's disruption budget."; an allowed
//!   eviction decrements `disruptionsAllowed` and records the pod in `disruptedPods`;
//! - then the pod is deleted gracefully (`sim::objects::delete_pod`).
//!
//! Not modelled: dry runs, resourceVersion preconditions and conflicts, the pod's
//! `DisruptionTarget` condition, the `DisruptionAllowed` condition of the budget, and the
//! sync-failure wording of the 429.

use super::ctx::Ctx;
use super::objects;
use crate::api::policy::PodDisruptionBudget;
use crate::api::{Kind, Object};
use crate::controllers::disruption::selects;
use crate::store::{ObjectKey, ObjectStore};

/// eviction.go `MaxDisruptedPodSize`.
pub const MAX_DISRUPTED_POD_SIZE: usize = 2000;

/// The message of every 429 the subresource answers.
pub const VIOLATES_BUDGET: &str =
    "Cannot evict pod as it would violate the pod's disruption budget.";

/// Why an eviction was refused: the API status the client gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvictionError {
    /// 404.
    #[error("pods {0:?} not found")]
    NotFound(String),
    /// 429 (`NewTooManyRequests`): retry later. `cause` is the `DisruptionBudget` status cause.
    #[error("{VIOLATES_BUDGET}")]
    TooManyRequests { cause: String },
    /// 500: the subresource supports one budget per pod.
    #[error("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")]
    MultipleBudgets,
    /// 403 on the budget.
    #[error("poddisruptionbudget.policy {pdb:?} is forbidden: {reason}")]
    Forbidden { pdb: String, reason: String },
}

/// Evict the pod `namespace/name`.
pub fn evict(ctx: &mut Ctx, namespace: &str, name: &str) -> Result<(), EvictionError> {
    let key = ObjectKey::new(Kind::Pod, namespace, name);
    let Some(Object::Pod(pod)) = ctx.store.get(&key).map(|s| s.object.clone()) else {
        return Err(EvictionError::NotFound(name.to_string()));
    };
    let pod_key = format!("{namespace}/{name}");
    // canIgnorePDB: the pod is no (longer a) running replica.
    use crate::api::pod::PodPhase;
    if matches!(
        pod.status.phase,
        PodPhase::Pending | PodPhase::Succeeded | PodPhase::Failed
    ) || pod.metadata.deletion_at.is_some()
    {
        objects::delete_pod(ctx, &pod_key);
        return Ok(());
    }
    let pdbs: Vec<PodDisruptionBudget> = ctx
        .store
        .objects_in(Kind::PodDisruptionBudget, namespace)
        .filter_map(|o| match o {
            Object::PodDisruptionBudget(b) if selects(b.spec.selector.as_ref(), &pod) => {
                Some(b.clone())
            }
            _ => None,
        })
        .collect();
    if pdbs.len() > 1 {
        return Err(EvictionError::MultipleBudgets);
    }
    let Some(mut pdb) = pdbs.into_iter().next() else {
        objects::delete_pod(ctx, &pod_key);
        return Ok(());
    };
    let s = &pdb.status;
    if !pod.status.ready {
        let always = pdb.spec.unhealthy_pod_eviction_policy.as_deref() == Some("AlwaysAllow");
        if always || (s.current_healthy >= s.desired_healthy && s.desired_healthy > 0) {
            objects::delete_pod(ctx, &pod_key);
            return Ok(());
        }
    }
    check_and_decrement(&mut pdb, name, ctx.now.millis())?;
    let _ = ctx.store.update(Object::PodDisruptionBudget(pdb), None);
    objects::delete_pod(ctx, &pod_key);
    Ok(())
}

/// eviction.go `checkAndDecrement`.
pub fn check_and_decrement(
    pdb: &mut PodDisruptionBudget,
    pod: &str,
    now_ms: u64,
) -> Result<(), EvictionError> {
    let name = pdb.metadata.name.clone();
    let s = &mut pdb.status;
    if !s.observed {
        return Err(EvictionError::TooManyRequests {
            cause: format!("The disruption budget {name} is still being processed by the server."),
        });
    }
    if s.disruptions_allowed < 0 {
        return Err(EvictionError::Forbidden {
            pdb: name,
            reason: "pdb disruptions allowed is negative".into(),
        });
    }
    if s.disrupted_pods.len() > MAX_DISRUPTED_POD_SIZE {
        return Err(EvictionError::Forbidden {
            pdb: name,
            reason:
                "DisruptedPods map too big - too many evictions not confirmed by PDB controller"
                    .into(),
        });
    }
    if s.disruptions_allowed == 0 {
        return Err(EvictionError::TooManyRequests {
            cause: format!(
                "The disruption budget {name} needs {} healthy pods and has {} currently",
                s.desired_healthy, s.current_healthy
            ),
        });
    }
    s.disruptions_allowed -= 1;
    s.disrupted_pods.insert(pod.to_string(), now_ms);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::policy::PodDisruptionBudgetStatus;

    fn budget(allowed: i32, observed: bool) -> PodDisruptionBudget {
        let mut b = PodDisruptionBudget::default();
        b.metadata.name = "foo".into();
        b.status = PodDisruptionBudgetStatus {
            observed,
            disruptions_allowed: allowed,
            ..Default::default()
        };
        b
    }

    #[test]
    fn check_and_decrement_like_upstream() {
        // Rows after upstream eviction_test.go TestEviction: no disruptions allowed is a 429
        // whose cause names the budget's counts; an allowed one is used up and recorded.
        let mut b = budget(0, true);
        let e = check_and_decrement(&mut b, "t1", 0).unwrap_err();
        assert_eq!(e.to_string(), VIOLATES_BUDGET);
        assert_eq!(
            e,
            EvictionError::TooManyRequests {
                cause: "The disruption budget foo needs 0 healthy pods and has 0 currently".into()
            }
        );
        let mut b = budget(1, true);
        check_and_decrement(&mut b, "t5", 7).unwrap();
        assert_eq!(b.status.disruptions_allowed, 0);
        assert_eq!(b.status.disrupted_pods.get("t5"), Some(&7));
        // A budget not yet computed: "still being processed" (TestEvictionIgnorePDB).
        let e = check_and_decrement(&mut budget(1, false), "t2", 0).unwrap_err();
        assert_eq!(
            e,
            EvictionError::TooManyRequests {
                cause: "The disruption budget foo is still being processed by the server.".into()
            }
        );
        let e = check_and_decrement(&mut budget(-1, true), "t2", 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "poddisruptionbudget.policy \"foo\" is forbidden: pdb disruptions allowed is negative"
        );
    }
}
