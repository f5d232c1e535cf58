//! The resource metrics API as the HPA sees it (metrics.k8s.io `PodMetrics`, served by
//! metrics-server): the target's pods and their cpu / memory usage, from the store and the
//! simulated runtime's modelled usage.
//!
//! Model: a pod has a metric while it is Running with a started container; its value is the
//! usage of its running containers (`behavior[].usage`; a container without a behaviour uses
//! nothing), sampled at the sync instant with metrics-server's default 15 s window
//! (`--metric-resolution`). Upstream's metrics lag one or two scrapes behind; cellsim's do not.

use super::replicas::{PodMetric, PodMetrics, PodSample};
use crate::api::pod::{Pod, PodPhase};
use crate::api::resources::{CpuMem, CPU, MEMORY};
use crate::api::selector::LabelSelector;
use crate::api::{Kind, Object};
use crate::store::MemoryStore;

/// metrics-server's default `--metric-resolution`: the window of a cpu sample.
pub const METRIC_WINDOW_MS: i64 = 15_000;

/// Observed cpu / memory usage by pod uid (`sim::metrics::pod_usage`).
pub type PodUsage = crate::collections::OrdMap<String, CpuMem>;

/// The pods of `namespace` matching `selector`, as the calculator reads them, and their
/// metrics for `resource` (cpu, memory; other resources have none). The flag says whether the
/// metrics API listed any pod at all.
pub fn samples(
    store: &MemoryStore,
    namespace: &str,
    selector: &LabelSelector,
    resource: &str,
    usage: &PodUsage,
    now: i64,
) -> (Vec<PodSample>, PodMetrics, bool) {
    let mut pods = Vec::new();
    let mut metrics = PodMetrics::new();
    let mut listed = false;
    for o in store.objects(Kind::Pod) {
        let Object::Pod(p) = o else { continue };
        if p.namespace() != namespace || !selector.matches(&p.metadata.labels) {
            continue;
        }
        pods.push(sample(p, resource, now));
        if p.status.phase == PodPhase::Running && p.status.started_at.is_some() {
            listed = true;
            let u = usage.get(&p.metadata.uid).copied().unwrap_or_default();
            let value = match resource {
                CPU => Some(u.milli_cpu),
                MEMORY => Some(u.memory.saturating_mul(1000)),
                _ => None,
            };
            if let Some(value) = value {
                metrics.insert(
                    p.metadata.name.clone(),
                    PodMetric {
                        value,
                        timestamp: whole_seconds(now),
                        window: METRIC_WINDOW_MS,
                    },
                );
            }
        }
    }
    (pods, metrics, listed)
}

/// A `metav1.Time` as a client reads it back: RFC 3339 keeps whole seconds (the pod's start
/// time, its Ready condition's transition, the metric's timestamp; the controller's own clock
/// is not truncated).
fn whole_seconds(ms: i64) -> i64 {
    ms.div_euclid(1000) * 1000
}

fn sample(p: &Pod, resource: &str, now: i64) -> PodSample {
    let start = p.status.started_at.map(|t| whole_seconds(t as i64));
    // The Ready condition's last transition: when it became ready; for a pod that never was,
    // its start; for one that was ready and is not any more, cellsim keeps no time, so "now"
    // (the condition changed after the initial readiness delay: its metrics count).
    let ready = match (p.status.ready, p.status.ready_at) {
        (true, at) => Some((true, whole_seconds(at.map_or(now, |t| t as i64)))),
        (false, None) => Some((
            false,
            whole_seconds(start.unwrap_or(p.metadata.created_at as i64)),
        )),
        (false, Some(_)) => Some((false, whole_seconds(now))),
    };
    PodSample {
        name: p.metadata.name.clone(),
        phase: p.status.phase,
        deleted: p.metadata.deletion_at.is_some(),
        ready,
        start_time: start,
        request: request(p, resource),
    }
}

/// `calculatePodRequestsFromContainers`: the sum over app containers and sidecars of their
/// request (milli-units); a container without one is an error.
fn request(p: &Pod, resource: &str) -> Result<i64, String> {
    let sidecars = p
        .spec
        .init_containers
        .iter()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    let mut sum = 0i64;
    for c in p.spec.containers.iter().chain(sidecars) {
        let Some(q) = c.resources.requests.get(resource) else {
            return Err(format!(
                "missing request for {resource} in container {} of Pod {}",
                c.name, p.metadata.name
            ));
        };
        sum = sum.saturating_add(q.milli_value());
    }
    Ok(sum)
}
