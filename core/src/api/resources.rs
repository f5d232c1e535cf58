//! Resource lists (`requests`, `limits`, `allocatable`) and the integer resource vector the
//! scheduler and kubelet compute with.

use super::quantity::Quantity;
use crate::collections::OrdMap;
use cellsim_derive::CompactDeserialize;
use serde::Serialize;

/// `v1.ResourceList`: resource name to quantity, in name order.
pub type ResourceList = OrdMap<String, Quantity>;

pub const CPU: &str = "cpu";
pub const MEMORY: &str = "memory";
pub const PODS: &str = "pods";
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";

/// `v1.ResourceRequirements`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceRequirements {
    #[serde(skip_serializing_if = "OrdMap::is_empty")]
    pub requests: ResourceList,
    #[serde(skip_serializing_if = "OrdMap::is_empty")]
    pub limits: ResourceList,
}

/// An integer resource vector: CPU in millicores, memory and ephemeral storage in bytes, and
/// scalar (extended) resources in their integer value (`Quantity::value`), as upstream's
/// `framework.Resource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub allowed_pods: i64,
    pub scalar: OrdMap<String, i64>,
}

impl Resources {
    /// Upstream `framework.NewResource(rl)`: cpu by MilliValue, everything else by Value.
    #[cellsim_derive::hot]
    pub fn from_list(rl: &ResourceList) -> Resources {
        let mut r = Resources::default();
        for (name, q) in rl {
            match name.as_str() {
                CPU => r.milli_cpu = q.milli_value(),
                MEMORY => r.memory = q.value(),
                EPHEMERAL_STORAGE => r.ephemeral_storage = q.value(),
                PODS => r.allowed_pods = q.value(),
                other => {
                    // Hugepages, extended resources (`vendor/name`) and attachable volumes are
                    // scalar resources upstream (IsScalarResourceName).
                    r.scalar.insert(other.to_string(), q.value());
                }
            }
        }
        r
    }

    pub fn add(&mut self, o: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_add(o.milli_cpu);
        self.memory = self.memory.saturating_add(o.memory);
        self.ephemeral_storage = self.ephemeral_storage.saturating_add(o.ephemeral_storage);
        self.allowed_pods = self.allowed_pods.saturating_add(o.allowed_pods);
        for (k, v) in &o.scalar {
            let e = self.scalar.entry(k.clone()).or_insert(0);
            *e = e.saturating_add(*v);
        }
    }

    pub fn sub(&mut self, o: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_sub(o.milli_cpu);
        self.memory = self.memory.saturating_sub(o.memory);
        self.ephemeral_storage = self.ephemeral_storage.saturating_sub(o.ephemeral_storage);
        self.allowed_pods = self.allowed_pods.saturating_sub(o.allowed_pods);
        for (k, v) in &o.scalar {
            let e = self.scalar.entry(k.clone()).or_insert(0);
            *e = e.saturating_sub(*v);
        }
    }

    /// Component-wise maximum (for init containers, as upstream's `SetMaxResource`).
    pub fn max_with(&mut self, o: &Resources) {
        self.milli_cpu = self.milli_cpu.max(o.milli_cpu);
        self.memory = self.memory.max(o.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(o.ephemeral_storage);
        for (k, v) in &o.scalar {
            let e = self.scalar.entry(k.clone()).or_insert(0);
            *e = (*e).max(*v);
        }
    }

    pub fn scalar(&self, name: &str) -> i64 {
        self.scalar.get(name).copied().unwrap_or(0)
    }
}

/// CPU (millicores) and memory (bytes): the two resources Borg's resource reclamation
/// estimates (a pod's observed usage, its reservation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct CpuMem {
    pub milli_cpu: i64,
    pub memory: i64,
}

impl CpuMem {
    /// The cpu and memory of a resource vector.
    pub fn of(r: &Resources) -> CpuMem {
        CpuMem {
            milli_cpu: r.milli_cpu,
            memory: r.memory,
        }
    }
}
