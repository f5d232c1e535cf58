//! A lower bound on a pool's size from resource sums.
//!
//! The long-running pods the scenario creates at t=0 (bare pods that restart, and the
//! replicas of Deployments, ReplicaSets and StatefulSets that no timeline action scales,
//! deletes or re-applies and no HorizontalPodAutoscaler targets) must all be bound at once. Whatever the other nodes can hold, the rest must fit in
//! the pool: for every resource, `ceil((demand - capacity elsewhere) / per-node allocatable)`.
//! Jobs, DaemonSets, pods that finish and objects applied later are left out, so the bound
//! can only be lower than the answer, never higher; the search still checks below it
//! (`search::plan` verifies the neighbourhood of its answer).

use crate::api::pod::{Pod, PodSpec};
use crate::api::resources::Resources;
use crate::api::{Kind, Object};
use crate::collections::OrdSet;
use crate::scenario::timeline::Action;
use crate::scenario::Scenario;

/// The summed requests (with `allowed_pods` = the number of pods) of the pods that must be
/// bound together from t=0.
pub fn steady_demand(s: &Scenario) -> Resources {
    let ns = |n: &str| {
        if n.is_empty() {
            "default".to_string()
        } else {
            n.to_string()
        }
    };
    // Objects something may shrink or remove: a timeline action (scale, delete, or apply of
    // the same object), or a HorizontalPodAutoscaler.
    let mut touched: OrdSet<(Kind, String, String)> = OrdSet::new();
    for e in &s.timeline {
        match &e.action {
            Action::Scale { target, .. } | Action::Delete { target, .. } => {
                touched.insert((target.kind, ns(&target.namespace), target.name.clone()));
            }
            Action::Apply(objs) => {
                for o in objs {
                    touched.insert((o.kind(), ns(&o.meta().namespace), o.meta().name.clone()));
                }
            }
            _ => {}
        }
    }
    for o in &s.objects {
        if let Object::HorizontalPodAutoscaler(h) = o {
            let r = &h.spec.scale_target_ref;
            if let Some(kind) = [Kind::Deployment, Kind::ReplicaSet, Kind::StatefulSet]
                .into_iter()
                .find(|k| k.name() == r.kind)
            {
                touched.insert((kind, ns(&h.metadata.namespace), r.name.clone()));
            }
        }
    }
    let mut total = Resources::default();
    let mut add = |spec: &PodSpec, replicas: i64| {
        if replicas <= 0 {
            return;
        }
        let p = Pod {
            spec: spec.clone(),
            ..Pod::default()
        };
        let r = p.requests();
        total.milli_cpu = total
            .milli_cpu
            .saturating_add(r.milli_cpu.saturating_mul(replicas));
        total.memory = total
            .memory
            .saturating_add(r.memory.saturating_mul(replicas));
        for (k, v) in &r.scalar {
            let e = total.scalar.entry(k.clone()).or_insert(0);
            *e = e.saturating_add(v.saturating_mul(replicas));
        }
        total.allowed_pods = total.allowed_pods.saturating_add(replicas);
    };
    for o in &s.objects {
        let m = o.meta();
        if touched.contains(&(o.kind(), ns(&m.namespace), m.name.clone())) {
            continue;
        }
        match o {
            Object::Pod(p) if matches!(p.spec.restart_policy.as_str(), "" | "Always") => {
                add(&p.spec, 1)
            }
            Object::Deployment(d) => {
                add(&d.spec.template.spec, d.spec.replicas.unwrap_or(1).into())
            }
            Object::ReplicaSet(r) => {
                add(&r.spec.template.spec, r.spec.replicas.unwrap_or(1).into())
            }
            Object::StatefulSet(st) => {
                add(&st.spec.template.spec, st.spec.replicas.unwrap_or(1).into())
            }
            _ => {}
        }
    }
    total
}

/// `ceil(a / b)` for a > 0, b > 0.
fn div_ceil(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

/// The fewest nodes of pool `pool` (index) that the resource sums allow.
pub fn lower_bound(s: &Scenario, pool: usize) -> u32 {
    let demand = steady_demand(s);
    let p = &s.pools[pool];
    let per_node = {
        let mut n = crate::scenario::load::pool_node(p, 0);
        crate::scenario::load::default_max_pods(&mut n);
        Resources::from_list(n.allocatable())
    };
    // Capacity outside the pool: other pools' nodes and verbatim nodes.
    let mut elsewhere = Resources::default();
    for n in &s.nodes {
        if n.metadata.labels.get("cellsim.dev/pool") != Some(&p.name) {
            elsewhere.add(&Resources::from_list(n.allocatable()));
        }
    }
    let need = |want: i64, other: i64, each: i64| -> i64 {
        let rest = want.saturating_sub(other);
        if rest <= 0 {
            0
        } else if each <= 0 {
            // The pool offers none of it: it cannot help; the search finds out.
            0
        } else {
            div_ceil(rest, each)
        }
    };
    let mut lb = need(demand.milli_cpu, elsewhere.milli_cpu, per_node.milli_cpu)
        .max(need(demand.memory, elsewhere.memory, per_node.memory))
        .max(need(
            demand.allowed_pods,
            elsewhere.allowed_pods,
            per_node.allowed_pods,
        ));
    for (k, v) in &demand.scalar {
        lb = lb.max(need(*v, elsewhere.scalar(k), per_node.scalar(k)));
    }
    lb.clamp(0, i64::from(crate::scenario::load::MAX_NODES)) as u32
}

/// Whether `capacity` covers `demand` in cpu, memory, pods and every extended resource.
pub fn covers(capacity: &Resources, demand: &Resources) -> bool {
    capacity.milli_cpu >= demand.milli_cpu
        && capacity.memory >= demand.memory
        && capacity.allowed_pods >= demand.allowed_pods
        && demand.scalar.iter().all(|(k, v)| capacity.scalar(k) >= *v)
}
