//! The resource metrics pipeline: what a metrics-server would report of every pod's usage.
//!
//! This is the one place the simulation reads modelled usage from the runtime; Borg resource
//! reclamation and the HorizontalPodAutoscaler both take it from here, so a new usage model
//! (profiles, per-container metrics) is connected in one function.

use crate::api::resources::CpuMem;
use crate::kubelet::sim_runtime::SimRuntime;
use crate::time::SimTime;

/// The cpu (millicores) and memory (bytes) usage of every pod with a running container, by
/// pod uid, at `now`.
pub fn pod_usage(runtime: &SimRuntime, now: SimTime) -> crate::collections::OrdMap<String, CpuMem> {
    runtime.usage_by_pod(now)
}
