//! The scheduler's cache: per-node requested resources and pod counts, kept up to date from the
//! change feed (upstream: internal/cache + NodeInfo). Binding "assumes" a pod into the cache at
//! once, so the next cycle sees it even before the store write is observed.

use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::api::resources::{Resources, CPU, MEMORY};
use std::collections::BTreeMap;

/// Upstream `DefaultMilliCPURequest` and `DefaultMemoryRequest`
/// (pkg/scheduler/util/pod_resources.go): what a container without a request counts as for
/// scoring (not for fit).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// What the scheduler knows of one node.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub node: Node,
    pub allocatable: Resources,
    /// Sum of the real requests of the pods on the node.
    pub requested: Resources,
    /// Sum of the requests with the non-zero defaults applied (for scoring).
    pub non_zero_cpu: i64,
    pub non_zero_mem: i64,
    pub pods: i64,
}

impl NodeInfo {
    pub fn new(node: Node) -> NodeInfo {
        let allocatable = Resources::from_list(node.allocatable());
        NodeInfo {
            node,
            allocatable,
            requested: Resources::default(),
            non_zero_cpu: 0,
            non_zero_mem: 0,
            pods: 0,
        }
    }
}

/// A pod's requests as the cache accounts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodRequests {
    pub real: Resources,
    pub non_zero_cpu: i64,
    pub non_zero_mem: i64,
}

impl PodRequests {
    /// Upstream computes both with `resource.PodRequests`; the non-zero variant fills a missing
    /// cpu/memory request of each container with the defaults above
    /// (`NonMissingContainerRequests`).
    pub fn of(pod: &Pod) -> PodRequests {
        let real = pod.requests();
        let mut filled = pod.clone();
        for c in filled
            .spec
            .containers
            .iter_mut()
            .chain(filled.spec.init_containers.iter_mut())
        {
            let r = &mut c.resources.requests;
            if !r.contains_key(CPU) {
                r.insert(
                    CPU.into(),
                    crate::api::quantity::Quantity::from_milli(DEFAULT_MILLI_CPU_REQUEST),
                );
            }
            if !r.contains_key(MEMORY) {
                r.insert(
                    MEMORY.into(),
                    crate::api::quantity::Quantity::from_value(DEFAULT_MEMORY_REQUEST, true),
                );
            }
        }
        let nz = filled.requests();
        PodRequests {
            real,
            non_zero_cpu: nz.milli_cpu,
            non_zero_mem: nz.memory,
        }
    }
}

#[derive(Default)]
pub struct Cache {
    pub nodes: BTreeMap<String, NodeInfo>,
    /// Pod key → (node, requests) for every pod counted on a node.
    placed: BTreeMap<String, (String, PodRequests)>,
}

impl Cache {
    pub fn set_node(&mut self, node: Node) {
        let name = node.metadata.name.clone();
        match self.nodes.get_mut(&name) {
            Some(info) => {
                info.allocatable = Resources::from_list(node.allocatable());
                info.node = node;
            }
            None => {
                self.nodes.insert(name, NodeInfo::new(node));
            }
        }
    }

    pub fn remove_node(&mut self, name: &str) {
        self.nodes.remove(name);
    }

    pub fn is_placed(&self, pod_key: &str) -> bool {
        self.placed.contains_key(pod_key)
    }

    /// Count a pod on a node (idempotent).
    pub fn add_pod(&mut self, pod_key: &str, node: &str, req: PodRequests) {
        if self.placed.contains_key(pod_key) {
            return;
        }
        if let Some(info) = self.nodes.get_mut(node) {
            info.requested.add(&req.real);
            // Saturating, as `Resources::add`: absurd requests must not overflow.
            info.non_zero_cpu = info.non_zero_cpu.saturating_add(req.non_zero_cpu);
            info.non_zero_mem = info.non_zero_mem.saturating_add(req.non_zero_mem);
            info.pods += 1;
        }
        self.placed
            .insert(pod_key.to_string(), (node.to_string(), req));
    }

    /// Stop counting a pod (deleted or finished). Idempotent.
    pub fn remove_pod(&mut self, pod_key: &str) {
        if let Some((node, req)) = self.placed.remove(pod_key) {
            if let Some(info) = self.nodes.get_mut(&node) {
                info.requested.sub(&req.real);
                info.non_zero_cpu = info.non_zero_cpu.saturating_sub(req.non_zero_cpu);
                info.non_zero_mem = info.non_zero_mem.saturating_sub(req.non_zero_mem);
                info.pods -= 1;
            }
        }
    }
}
