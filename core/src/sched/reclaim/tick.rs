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
use crate::collections::OrdMap;
use crate::sched::borg::{Band, BorgPolicy};
use crate::sim::ctx::Ctx;
use crate::store::{ObjectKey, ObjectStore};

/// The trace reason of a pod preempted by reclamation: the reason of the scheduler's own
/// victims (Borg calls both preemption); the message names reclamation.
pub const REASON: &str = "Preempted";

/// Run one pass at `ctx.now`; `usage` is the observed usage by pod uid (absent: none).
/// Returns the keys of the preempted pods, in the order they were preempted.
pub fn tick(
    ctx: &mut Ctx,
    policy: &BorgPolicy,
    cfg: &Reclamation,
    usage: &crate::collections::OrdMap<String, CpuMem>,
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
    let mut by_node: OrdMap<String, Vec<evict::Resident>> = OrdMap::new();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::Node;
    use crate::api::pod::Container;
    use crate::engine::TraceWriter;
    use crate::rng::SimRng;
    use crate::store::MemoryStore;
    use crate::time::{Duration, SimTime};

    const GI: i64 = 1 << 30;

    fn node(name: &str) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        let a = &mut n.status.allocatable;
        a.insert("cpu".into(), Quantity::from_milli(4000));
        a.insert("memory".into(), Quantity::from_value(16 * GI, true));
        a.insert("pods".into(), Quantity::from_value(110, false));
        n
    }

    /// A pod bound to `n-0`, started at `started` seconds (None: not yet), created at
    /// `created` ms, with a request and, optionally, a current reservation.
    fn pod(
        name: &str,
        priority: i32,
        request: (i64, i64),
        started: Option<u64>,
        created: u64,
        reservation: Option<(i64, i64)>,
    ) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        p.metadata.uid = format!("uid-{name}");
        p.metadata.created_at = created;
        p.spec.node_name = "n-0".into();
        p.spec.priority = Some(priority);
        let mut c = Container::default();
        c.resources
            .requests
            .insert("cpu".into(), Quantity::from_milli(request.0));
        c.resources
            .requests
            .insert("memory".into(), Quantity::from_value(request.1, true));
        p.spec.containers.push(c);
        p.status.started_at = started.map(|s| s * 1000);
        p.status.reservation = reservation.map(|(c, m)| CpuMem {
            milli_cpu: c,
            memory: m,
        });
        p
    }

    fn usage(list: &[(&str, i64, i64)]) -> crate::collections::OrdMap<String, CpuMem> {
        list.iter()
            .map(|(n, c, m)| {
                (
                    format!("uid-{n}"),
                    CpuMem {
                        milli_cpu: *c,
                        memory: *m,
                    },
                )
            })
            .collect()
    }

    /// Run one tick at `at` seconds over a store holding node `n-0` and `pods`; returns the
    /// preempted keys, the store and the trace.
    fn run(
        at: u64,
        cfg: &Reclamation,
        pods: Vec<Pod>,
        observed: &crate::collections::OrdMap<String, CpuMem>,
    ) -> (Vec<String>, MemoryStore, TraceWriter) {
        let mut store = MemoryStore::new();
        store.create(Object::Node(node("n-0"))).unwrap();
        for p in pods {
            store.create(Object::Pod(p)).unwrap();
        }
        let mut rng = SimRng::new(1);
        let mut trace = TraceWriter::new(false, 10);
        let mut wakes = Vec::new();
        let mut ctx = Ctx {
            now: SimTime::ZERO.after(Duration::from_secs(at)),
            store: &mut store,
            rng: &mut rng,
            trace: &mut trace,
            wakes: &mut wakes,
        };
        let policy = BorgPolicy {
            reclamation: Some(*cfg),
            ..BorgPolicy::default()
        };
        let out = tick(&mut ctx, &policy, cfg, observed);
        (out, store, trace)
    }

    fn stored(store: &MemoryStore, name: &str) -> Pod {
        match store.get(&ObjectKey::new(Kind::Pod, "default", name)) {
            Some(s) => match &s.object {
                Object::Pod(p) => p.clone(),
                _ => panic!("{name} is not a pod"),
            },
            None => panic!("{name} is not stored"),
        }
    }

    #[test]
    fn reservations_follow_usage_after_the_startup_grace() {
        let cfg = Reclamation::default();
        let pods = vec![
            pod("web", 20_000, (3000, 4 * GI), Some(2), 0, None),
            pod("young", 20_000, (500, GI), Some(100), 0, None),
            pod("starting", 200, (500, GI), None, 0, None),
        ];
        let observed = usage(&[("web", 1000, 2 * GI), ("young", 10, 10)]);
        let (preempted, store, _) = run(310, &cfg, pods, &observed);
        assert!(preempted.is_empty());
        // Target cpu 1100m, memory ceil(2.2Gi) = 2362232013; 95% of each gap is left.
        assert_eq!(
            stored(&store, "web").status.reservation,
            Some(CpuMem {
                milli_cpu: 2905,
                memory: 4_198_330_531
            })
        );
        assert_eq!(
            stored(&store, "young").status.reservation,
            None,
            "started 210s ago: still the requests, nothing written"
        );
        assert_eq!(stored(&store, "starting").status.reservation, None);
    }

    #[test]
    fn usage_coming_back_preempts_the_newest_lowest_priority_pod() {
        let cfg = Reclamation {
            safety_margin_percent: 0,
            ..Reclamation::default()
        };
        let pods = vec![
            pod(
                "web",
                20_000,
                (3000, 4 * GI),
                Some(0),
                0,
                Some((1000, 2 * GI)),
            ),
            pod("old-batch", 200, (2000, GI), Some(0), 10, Some((600, GI))),
            pod("new-batch", 200, (2000, GI), Some(0), 20, Some((600, GI))),
        ];
        // The web pod's usage is back at its request; the batch pods use their reservations.
        let observed = usage(&[
            ("web", 3000, 2 * GI),
            ("old-batch", 600, GI),
            ("new-batch", 600, GI),
        ]);
        let (preempted, store, trace) = run(1200, &cfg, pods, &observed);
        assert_eq!(preempted, ["default/new-batch"]);
        assert_eq!(
            stored(&store, "web").status.reservation,
            Some(CpuMem {
                milli_cpu: 3000,
                memory: 2 * GI
            }),
            "cpu jumped to the usage; memory stayed"
        );
        assert!(stored(&store, "new-batch").metadata.deletion_at.is_some());
        assert!(stored(&store, "old-batch").metadata.deletion_at.is_none());
        let events: Vec<_> = trace.recent().collect();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "Preempted");
        assert_eq!(events[0].object, "Pod/default/new-batch");
        assert_eq!(events[0].node.as_deref(), Some("n-0"));
        assert_eq!(
            events[0].message,
            "Preempted by resource reclamation on node n-0: the reservations of its pods exceed allocatable cpu (4200m reserved, 4 allocatable)"
        );
    }

    #[test]
    fn production_alone_is_never_preempted() {
        let cfg = Reclamation::default();
        // A pod bound by nodeName beyond allocatable: over, but nothing may be preempted.
        let pods = vec![
            pod("a", 20_000, (3000, GI), Some(0), 0, None),
            pod("b", 20_000, (3000, GI), Some(0), 0, None),
        ];
        let observed = usage(&[("a", 3000, GI), ("b", 3000, GI)]);
        let (preempted, store, trace) = run(1200, &cfg, pods, &observed);
        assert!(preempted.is_empty());
        assert!(stored(&store, "a").metadata.deletion_at.is_none());
        assert_eq!(trace.events(), 0);
    }
}
