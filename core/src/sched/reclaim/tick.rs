//! One reclamation pass (every `period` while `spec.borg.reclamation` is on): update the
//! reservation of every pod bound to a node from its observed usage (`decay`), then preempt
//! non-prod pods on nodes whose reservations exceed allocatable (`evict`).
//!
//! Sans-IO like every component: it reads and writes the store through `Ctx`, and the
//! observed usage is handed in (the simulated runtime's, per pod uid). A reservation lives in
//! the pod's status (`status.reservation`), where the scheduler reads it from the change feed.
//! Pods being deleted are left out: they are already on their way off the node.

use super::{decay, evict, Reclamation};
use crate::api::pod::Pod;
use crate::api::resources::{CpuMem, Resources};
use crate::api::{Kind, Object, Quantity};
use crate::sched::borg::{Band, BorgPolicy};
use crate::sim::ctx::Ctx;
use crate::store::{ObjectKey, ObjectStore};
use std::collections::BTreeMap;

/// The trace reason of a pod preempted by reclamation: the reason of the scheduler's own
/// victims (Borg calls both preemption); the message names reclamation.
pub const REASON: &str = "Preempted";

/// Run one pass at `ctx.now`; `usage` is the observed usage by pod uid (absent: none).
/// Returns the keys of the preempted pods, in the order they were preempted.
pub fn tick(
    ctx: &mut Ctx,
    policy: &BorgPolicy,
    cfg: &Reclamation,
    usage: &BTreeMap<String, CpuMem>,
) -> Vec<String> {
    let now = ctx.now.millis();
    let grace = cfg.startup_grace.as_millis();
    let pods: Vec<Pod> = ctx
        .store
        .objects(Kind::Pod)
        .filter_map(|o| match o {
            Object::Pod(p)
                if !p.spec.node_name.is_empty()
                    && !p.is_terminal()
                    && p.metadata.deletion_at.is_none() =>
            {
                Some(p.clone())
            }
            _ => None,
        })
        .collect();
    let mut by_node: BTreeMap<String, Vec<evict::Resident>> = BTreeMap::new();
    for mut p in pods {
        let request = CpuMem::of(&p.requests());
        let prev = p.status.reservation.unwrap_or(request);
        let in_grace = p
            .status
            .started_at
            .is_none_or(|s| now < s.saturating_add(grace));
        let observed = usage.get(&p.metadata.uid).copied().unwrap_or_default();
        let next = decay::reservation(prev, request, observed, in_grace, cfg);
        let priority = p.spec.priority.unwrap_or(0);
        by_node
            .entry(p.spec.node_name.clone())
            .or_default()
            .push(evict::Resident {
                key: p.key(),
                priority,
                created_at: p.metadata.created_at,
                reserved: next,
                evictable: policy.band(priority) < Band::Production,
            });
        if next != prev {
            p.status.reservation = Some(next);
            let _ = ctx.store.update(Object::Pod(p), None);
        }
    }
    let mut preempted = Vec::new();
    for (node, residents) in by_node {
        let key = ObjectKey::new(Kind::Node, "", &node);
        let Some(Object::Node(n)) = ctx.store.get(&key).map(|s| &s.object) else {
            continue;
        };
        let alloc = CpuMem::of(&Resources::from_list(n.allocatable()));
        let victims = evict::victims(alloc, &residents);
        if victims.is_empty() {
            continue;
        }
        let over = overcommit(&residents, alloc);
        for i in victims {
            let pk = &residents[i].key;
            crate::sim::objects::delete_pod(ctx, pk);
            ctx.event(
                REASON,
                format!("Pod/{pk}"),
                Some(&node),
                format!("Preempted by resource reclamation on node {node}: the reservations of its pods exceed allocatable {over}"),
            );
            preempted.push(pk.clone());
        }
    }
    preempted
}

/// `cpu (4100m reserved, 4 allocatable)`, and/or the same for memory: what is over.
fn overcommit(residents: &[evict::Resident], alloc: CpuMem) -> String {
    let mut sum = CpuMem::default();
    for r in residents {
        sum.milli_cpu = sum.milli_cpu.saturating_add(r.reserved.milli_cpu);
        sum.memory = sum.memory.saturating_add(r.reserved.memory);
    }
    let mut parts = Vec::new();
    if sum.milli_cpu > alloc.milli_cpu {
        parts.push(format!(
            "cpu ({} reserved, {} allocatable)",
            Quantity::from_milli(sum.milli_cpu),
            Quantity::from_milli(alloc.milli_cpu)
        ));
    }
    if sum.memory > alloc.memory {
        parts.push(format!(
            "memory ({} reserved, {} allocatable)",
            Quantity::from_value(sum.memory, true),
            Quantity::from_value(alloc.memory, true)
        ));
    }
    parts.join(" and ")
}
