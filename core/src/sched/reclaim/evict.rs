//! Which pods a node preempts when its reservations no longer fit (Verma et al., EuroSys
//! 2015, §5.5): "A machine may run out of resources at runtime if the reservations
//! (predictions) are wrong [...]. If this happens, we kill or throttle non-prod tasks, never
//! prod ones."
//!
//! cellsim counts every pod on the node at its reservation (production pods too: a prod
//! reservation is at most its request, and the requests of prod pods fit by construction,
//! so only non-prod pods placed into reclaimed resources can overcommit a node). While the
//! sum exceeds allocatable cpu or memory, it preempts non-prod pods, lowest priority first,
//! then newest first (latest creation, then pod key), skipping pods that reserve none of a
//! resource that is over. cellsim does not model cpu throttling, so an overcommit of cpu is
//! resolved by preemption too.

use crate::api::resources::CpuMem;

/// A pod on the node, as the eviction pass sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resident {
    pub key: String,
    pub priority: i32,
    /// Creation time in milliseconds (newer pods go first among equal priorities).
    pub created_at: u64,
    pub reserved: CpuMem,
    /// Below the production band: may be preempted.
    pub evictable: bool,
}

/// Indexes into `pods` of the pods to preempt, in order; empty when the reservations fit.
pub fn victims(allocatable: CpuMem, pods: &[Resident]) -> Vec<usize> {
    let mut used = CpuMem::default();
    for p in pods {
        used.milli_cpu = used.milli_cpu.saturating_add(p.reserved.milli_cpu);
        used.memory = used.memory.saturating_add(p.reserved.memory);
    }
    let mut order: Vec<usize> = (0..pods.len()).filter(|&i| pods[i].evictable).collect();
    crate::sort::sort_by(&mut order, |&a, &b| {
        let (pa, pb) = (&pods[a], &pods[b]);
        pa.priority
            .cmp(&pb.priority)
            .then(pb.created_at.cmp(&pa.created_at))
            .then(pa.key.cmp(&pb.key))
    });
    let mut out = Vec::new();
    for i in order {
        let cpu_over = used.milli_cpu > allocatable.milli_cpu;
        let mem_over = used.memory > allocatable.memory;
        if !cpu_over && !mem_over {
            break;
        }
        let r = pods[i].reserved;
        if (cpu_over && r.milli_cpu > 0) || (mem_over && r.memory > 0) {
            used.milli_cpu = used.milli_cpu.saturating_sub(r.milli_cpu);
            used.memory = used.memory.saturating_sub(r.memory);
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(key: &str, priority: i32, created_at: u64, cpu: i64, mem: i64, ev: bool) -> Resident {
        Resident {
            key: key.into(),
            priority,
            created_at,
            reserved: CpuMem {
                milli_cpu: cpu,
                memory: mem,
            },
            evictable: ev,
        }
    }

    const ALLOC: CpuMem = CpuMem {
        milli_cpu: 4000,
        memory: 1000,
    };

    #[test]
    fn nothing_when_the_reservations_fit() {
        let pods = [
            pod("prod", 20_000, 0, 3000, 500, false),
            pod("b", 200, 1, 1000, 500, true),
        ];
        assert!(victims(ALLOC, &pods).is_empty());
    }

    #[test]
    fn lowest_priority_then_newest_first_until_it_fits() {
        let pods = [
            pod("prod", 20_000, 0, 3000, 100, false),
            pod("old-batch", 200, 10, 600, 100, true),
            pod("new-batch", 200, 20, 600, 100, true),
            pod("best-effort", 0, 5, 300, 100, true),
        ];
        // 4500m reserved on 4000m: best effort (300m) first, then the newer batch pod (600m).
        assert_eq!(victims(ALLOC, &pods), [3, 2]);
    }

    #[test]
    fn equal_priority_and_age_go_by_key() {
        let pods = [
            pod("prod", 20_000, 0, 3000, 0, false),
            pod("b", 200, 10, 600, 0, true),
            pod("a", 200, 10, 600, 0, true),
        ];
        assert_eq!(victims(ALLOC, &pods), [2]);
    }

    #[test]
    fn pods_that_do_not_reserve_the_scarce_resource_stay() {
        // Memory is over (1200 > 1000); the lowest-priority pod reserves no memory.
        let pods = [
            pod("prod", 20_000, 0, 1000, 900, false),
            pod("cpu-only", 0, 10, 500, 0, true),
            pod("batch", 200, 10, 500, 300, true),
        ];
        assert_eq!(victims(ALLOC, &pods), [2]);
    }

    #[test]
    fn production_is_never_preempted() {
        let pods = [
            pod("prod-a", 20_000, 0, 3000, 0, false),
            pod("prod-b", 20_000, 1, 3000, 0, false),
            pod("batch", 200, 2, 100, 0, true),
        ];
        assert_eq!(
            victims(ALLOC, &pods),
            [2],
            "still over, but only prod is left"
        );
    }
}
