//! Packing metrics of a finished run, from the store: what each node holds, and the numbers
//! `compare` prints (nodes used, allocation, stranded resources, fragmentation, zone spread,
//! balance). Integers throughout; percentages are basis points.

use super::basis_points;
use super::cluster::zone_of;
use crate::api::resources::Resources;
use crate::api::{Kind, Object};
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::store::MemoryStore;
use serde::Serialize;

/// One node at the end of a run: its allocatable and what its non-terminal pods request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeUse {
    pub name: String,
    pub pool: Option<String>,
    pub zone: Option<String>,
    pub allocatable: Resources,
    pub requested: Resources,
    pub pods: u64,
    /// Pods not managed by a DaemonSet (a node that holds only DaemonSet pods is not "used").
    pub workload_pods: u64,
    /// Cordoned (`spec.unschedulable`) or not Ready: no new pod would land there.
    pub unusable: bool,
}

/// The cluster at the end of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterUse {
    /// In node name order.
    pub nodes: Vec<NodeUse>,
    /// Requests of every non-terminal pod (bound or not), in store order.
    pub pod_requests: Vec<Resources>,
    /// Non-terminal pods no node was found for, and their summed requests.
    pub pending: u64,
    pub pending_requests: Resources,
    /// Requests the scenario's traffic sources sent, and how many failed (0 and 0 without
    /// `spec.traffic`).
    pub requests: u64,
    pub failed_requests: u64,
}

impl ClusterUse {
    pub fn of(store: &MemoryStore) -> ClusterUse {
        let mut by_node: OrdMap<String, (Resources, u64, u64)> = OrdMap::new();
        let mut out = ClusterUse::default();
        for o in store.objects(Kind::Pod) {
            let Object::Pod(p) = o else { continue };
            if p.is_terminal() {
                continue;
            }
            let r = p.requests();
            if p.spec.node_name.is_empty() {
                out.pending += 1;
                out.pending_requests.add(&r);
                out.pending_requests.allowed_pods += 1;
            } else {
                let e = by_node.entry(p.spec.node_name.clone()).or_default();
                e.0.add(&r);
                e.1 += 1;
                let daemon = p
                    .metadata
                    .controller_of()
                    .is_some_and(|o| o.kind == "DaemonSet");
                if !daemon {
                    e.2 += 1;
                }
            }
            out.pod_requests.push(r);
        }
        for o in store.objects(Kind::Node) {
            let Object::Node(n) = o else { continue };
            let (requested, pods, workload_pods) =
                by_node.remove(&n.metadata.name).unwrap_or_default();
            out.nodes.push(NodeUse {
                name: n.metadata.name.clone(),
                pool: n.metadata.labels.get("cellsim.dev/pool").cloned(),
                zone: zone_of(n).map(str::to_string),
                allocatable: Resources::from_list(n.allocatable()),
                requested,
                pods,
                workload_pods,
                unusable: n.spec.unschedulable || !n.is_ready(),
            });
        }
        out
    }
}

/// Requested over allocatable, summed over some nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Utilization {
    #[serde(serialize_with = "super::percent")]
    pub cpu: u32,
    #[serde(serialize_with = "super::percent")]
    pub memory: u32,
    #[serde(serialize_with = "super::percent")]
    pub pods: u32,
    /// Extended resources (e.g. `nvidia.com/gpu`) that the nodes offer.
    #[serde(skip_serializing_if = "OrdMap::is_empty")]
    pub extended: OrdMap<String, Percent>,
}

/// A percentage held as basis points, serialized as a number (87.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Percent(#[serde(serialize_with = "super::percent")] pub u32);

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

/// Utilization of the nodes `keep` selects.
pub fn utilization<'a>(nodes: impl Iterator<Item = &'a NodeUse>) -> Utilization {
    let (mut alloc, mut req) = (Resources::default(), Resources::default());
    let mut pods = 0i64;
    for n in nodes {
        alloc.add(&n.allocatable);
        req.add(&n.requested);
        pods = pods.saturating_add(n.pods as i64);
    }
    Utilization {
        cpu: basis_points(req.milli_cpu, alloc.milli_cpu),
        memory: basis_points(req.memory, alloc.memory),
        pods: basis_points(pods, alloc.allowed_pods),
        extended: OrdMap::from_iter(
            alloc
                .scalar
                .iter()
                .filter(|(_, v)| **v > 0)
                .map(|(k, v)| (k.clone(), Percent(basis_points(req.scalar(k), *v)))),
        ),
    }
}

/// The "typical pod" of a workload: the median request of every resource, each taken over
/// the pods separately (the lower median, so it is some pod's value). Stranded capacity is
/// measured against it, as the FGD paper measures fragmentation against the workload's own
/// task distribution.
pub fn typical_pod(pods: &[Resources]) -> Resources {
    fn median(mut v: Vec<i64>) -> i64 {
        if v.is_empty() {
            return 0;
        }
        crate::sort::sort(&mut v);
        v[(v.len() - 1) / 2]
    }
    let mut t = Resources {
        milli_cpu: median(pods.iter().map(|p| p.milli_cpu).collect()),
        memory: median(pods.iter().map(|p| p.memory).collect()),
        ephemeral_storage: median(pods.iter().map(|p| p.ephemeral_storage).collect()),
        allowed_pods: 1,
        scalar: crate::collections::OrdMap::new(),
    };
    let names: OrdSet<&String> = pods.iter().flat_map(|p| p.scalar.keys()).collect();
    for k in names {
        let m = median(pods.iter().map(|p| p.scalar(k)).collect());
        if m > 0 {
            t.scalar.insert(k.clone(), m);
        }
    }
    t
}

/// Whether `want` fits in what `n` has left (cpu, memory, pods and every scalar `want` asks
/// for), as NodeResourcesFit's Filter checks it.
pub fn fits_in(n: &NodeUse, want: &Resources) -> bool {
    let free = |a: i64, r: i64| a.saturating_sub(r);
    want.milli_cpu <= free(n.allocatable.milli_cpu, n.requested.milli_cpu)
        && want.memory <= free(n.allocatable.memory, n.requested.memory)
        && (n.pods as i64) < n.allocatable.allowed_pods
        && want
            .scalar
            .iter()
            .all(|(k, v)| *v <= free(n.allocatable.scalar(k), n.requested.scalar(k)))
}

/// The packing numbers of one run (`compare`'s columns).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Packing {
    /// Nodes with at least one pod that is not a DaemonSet's.
    pub nodes_used: u64,
    pub nodes: u64,
    /// Requested over allocatable, over every node.
    pub allocation: Utilization,
    /// Requested over allocatable, over the used nodes only (DaemonSet pods included).
    pub allocation_of_used: Utilization,
    pub pending_pods: u64,
    /// The typical pod the stranded numbers are measured against (cpu millicores, memory
    /// bytes, extended resources by name).
    pub typical_pod: TypicalPod,
    /// Free capacity on nodes where the typical pod no longer fits (Borg's "stranded"
    /// resources): cpu in millicores, memory in bytes, extended resources by name.
    pub stranded: Amounts,
    /// Free capacity in all (schedulable nodes).
    pub free: Amounts,
    /// Stranded over free, per resource: how fragmented the free capacity is.
    pub fragmentation: Utilization,
    /// Pods per zone, and the difference between the fullest and the emptiest zone.
    pub pods_per_zone: OrdMap<String, u64>,
    pub zone_skew: u64,
    /// Spread of cpu allocation over the schedulable nodes: the fullest minus the emptiest
    /// node's requested/allocatable cpu (0 = perfectly balanced).
    #[serde(serialize_with = "super::percent")]
    pub cpu_balance_spread: u32,
    /// Share of the traffic sources' requests that succeeded, in parts per million (absent
    /// without `spec.traffic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_success_ppm: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypicalPod {
    pub milli_cpu: i64,
    pub memory: i64,
    #[serde(skip_serializing_if = "OrdMap::is_empty")]
    pub extended: OrdMap<String, i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Amounts {
    pub milli_cpu: i64,
    pub memory: i64,
    #[serde(skip_serializing_if = "OrdMap::is_empty")]
    pub extended: OrdMap<String, i64>,
}

impl Amounts {
    fn add_free(&mut self, n: &NodeUse) {
        let free = |a: i64, r: i64| a.saturating_sub(r).max(0);
        self.milli_cpu += free(n.allocatable.milli_cpu, n.requested.milli_cpu);
        self.memory += free(n.allocatable.memory, n.requested.memory);
        for (k, a) in &n.allocatable.scalar {
            if *a > 0 {
                *self.extended.entry(k.clone()).or_insert(0) += free(*a, n.requested.scalar(k));
            }
        }
    }
}

/// `compare`'s numbers for a finished run.
pub fn packing(c: &ClusterUse) -> Packing {
    let usable: Vec<&NodeUse> = c.nodes.iter().filter(|n| !n.unusable).collect();
    let typical = typical_pod(&c.pod_requests);
    let (mut stranded, mut free) = (Amounts::default(), Amounts::default());
    for n in &usable {
        free.add_free(n);
        if !fits_in(n, &typical) {
            stranded.add_free(n);
        }
    }
    let fragmentation = Utilization {
        cpu: basis_points(stranded.milli_cpu, free.milli_cpu),
        memory: basis_points(stranded.memory, free.memory),
        pods: 0,
        extended: OrdMap::from_iter(free.extended.iter().filter(|(_, f)| **f > 0).map(|(k, f)| {
            let s = stranded.extended.get(k).copied().unwrap_or(0);
            (k.clone(), Percent(basis_points(s, *f)))
        })),
    };
    let mut pods_per_zone: OrdMap<String, u64> = OrdMap::new();
    for n in &c.nodes {
        if let Some(z) = &n.zone {
            *pods_per_zone.entry(z.clone()).or_insert(0) += n.pods;
        }
    }
    let zone_skew = match (pods_per_zone.values().max(), pods_per_zone.values().min()) {
        (Some(a), Some(b)) => a - b,
        _ => 0,
    };
    let cpu_pct: Vec<u32> = usable
        .iter()
        .filter(|n| n.allocatable.milli_cpu > 0)
        .map(|n| basis_points(n.requested.milli_cpu, n.allocatable.milli_cpu))
        .collect();
    let cpu_balance_spread = match (cpu_pct.iter().max(), cpu_pct.iter().min()) {
        (Some(a), Some(b)) => a - b,
        _ => 0,
    };
    Packing {
        service_success_ppm: (c.requests > 0).then(|| {
            ((c.requests - c.failed_requests) as u128 * 1_000_000 / c.requests as u128) as u64
        }),
        nodes_used: c.nodes.iter().filter(|n| n.workload_pods > 0).count() as u64,
        nodes: c.nodes.len() as u64,
        allocation: utilization(c.nodes.iter()),
        allocation_of_used: utilization(c.nodes.iter().filter(|n| n.workload_pods > 0)),
        pending_pods: c.pending,
        typical_pod: TypicalPod {
            milli_cpu: typical.milli_cpu,
            memory: typical.memory,
            extended: typical.scalar.clone(),
        },
        stranded,
        free,
        fragmentation,
        pods_per_zone,
        zone_skew,
        cpu_balance_spread,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, cpu: i64, req_cpu: i64, pods: u64) -> NodeUse {
        NodeUse {
            name: name.into(),
            pool: None,
            zone: None,
            allocatable: Resources {
                milli_cpu: cpu,
                memory: 1 << 30,
                allowed_pods: 110,
                ..Default::default()
            },
            requested: Resources {
                milli_cpu: req_cpu,
                ..Default::default()
            },
            pods,
            workload_pods: pods,
            unusable: false,
        }
    }

    #[test]
    fn stranded_is_free_capacity_where_the_typical_pod_does_not_fit() {
        let pod = Resources {
            milli_cpu: 1000,
            ..Default::default()
        };
        let c = ClusterUse {
            // 500m left on a (stranded), 2000m on b (usable), nothing on c.
            nodes: vec![
                node("a", 4000, 3500, 3),
                node("b", 4000, 2000, 2),
                node("c", 4000, 4000, 4),
            ],
            pod_requests: vec![pod; 9],
            pending: 0,
            pending_requests: Resources::default(),
            requests: 0,
            failed_requests: 0,
        };
        let p = packing(&c);
        assert_eq!(p.typical_pod.milli_cpu, 1000);
        assert_eq!(p.free.milli_cpu, 2500);
        assert_eq!(p.stranded.milli_cpu, 500);
        assert_eq!(p.fragmentation.cpu, 2000); // 500 of 2500 = 20.00%
        assert_eq!(p.nodes_used, 3);
        assert_eq!(p.allocation.cpu, 7916); // 9500 / 12000
        assert_eq!(p.cpu_balance_spread, 5000); // 100% - 50%
    }

    #[test]
    fn typical_pod_is_the_lower_median_per_resource() {
        let r = |c: i64, m: i64| Resources {
            milli_cpu: c,
            memory: m,
            ..Default::default()
        };
        let t = typical_pod(&[r(100, 4), r(300, 1), r(200, 3), r(400, 2)]);
        assert_eq!((t.milli_cpu, t.memory), (200, 2));
    }
}
