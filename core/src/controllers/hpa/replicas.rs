//! The replica calculator: from the pods of the scale target and their resource metrics, the
//! replica count a metric asks for.
//!
//! Upstream: pkg/controller/podautoscaler/replica_calculator.go (`GetResourceReplicas`,
//! `GetRawResourceReplicas`, `calcPlainMetricReplicas`, `groupPods`, `calculateRequests`,
//! `Tolerances.isWithin`) and metrics/utilization.go (`GetResourceUtilizationRatio`,
//! `GetMetricUsageRatio`). Upstream decides in float64 (`usageRatio`, `math.Ceil(usageRatio *
//! float64(n))`); [`F64`] reproduces those results bit for bit in integers.
//!
//! Pure functions over [`PodSample`]s and [`PodMetrics`], so upstream's test tables transcribe
//! directly; `hpa::metrics` builds both from the store and the simulated runtime.

use crate::api::pod::PodPhase;
use crate::binary64::F64;
use std::collections::{BTreeMap, BTreeSet};

/// What the calculator reads of one pod matching the target's selector.
#[derive(Clone, Debug)]
pub struct PodSample {
    pub name: String,
    pub phase: PodPhase,
    /// `deletionTimestamp` is set.
    pub deleted: bool,
    /// The Ready condition: (status is True, lastTransitionTime in ms); `None` without one.
    pub ready: Option<(bool, i64)>,
    /// `status.startTime` in ms.
    pub start_time: Option<i64>,
    /// The pod's request of the resource in milli-units (`calculateRequests`), or the error
    /// for a container without one.
    pub request: Result<i64, String>,
}

/// One pod's metric (metrics.k8s.io `PodMetrics`, summed over containers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodMetric {
    /// Milli-units (cpu millicores; memory bytes × 1000).
    pub value: i64,
    pub timestamp: i64,
    pub window: i64,
}

/// Metrics by pod name.
pub type PodMetrics = BTreeMap<String, PodMetric>;

/// The controller's flags that shape the calculation.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (5 min).
    pub cpu_initialization_period: i64,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s).
    pub delay_of_initial_readiness: i64,
}

pub const DEFAULT_TIMING: Timing = Timing {
    cpu_initialization_period: 5 * 60_000,
    delay_of_initial_readiness: 30_000,
};

/// `Tolerances`: the usage-ratio band around 1.0 within which nothing changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tolerances {
    pub scale_down: F64,
    pub scale_up: F64,
}

impl Tolerances {
    /// `--horizontal-pod-autoscaler-tolerance` 0.1 both ways.
    pub fn default_flag() -> Tolerances {
        let t = F64::from_ratio(1, 10);
        Tolerances {
            scale_down: t,
            scale_up: t,
        }
    }

    /// `isWithin`: `(1.0-scaleDown) <= ratio && ratio <= (1.0+scaleUp)` in float64.
    pub fn is_within(&self, ratio: F64) -> bool {
        let one = F64::from_i64(1);
        one.sub(self.scale_down) <= ratio && ratio <= one.add(self.scale_up)
    }
}

/// `groupPods`' result.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Groups {
    pub ready: i64,
    pub unready: BTreeSet<String>,
    pub missing: BTreeSet<String>,
    pub ignored: BTreeSet<String>,
}

/// `groupPods`: deleted and failed pods are ignored, pending ones unready, pods without a
/// metric missing; for cpu, a pod is also unready when it has no Ready condition or start
/// time, when — within the cpu initialization period after its start — it is not ready or its
/// metric was sampled less than one window after it became ready, and when — after that
/// period — it is not ready and never was (its condition last changed within the initial
/// readiness delay after start).
pub fn group_pods(
    pods: &[PodSample],
    metrics: &PodMetrics,
    cpu: bool,
    now: i64,
    timing: Timing,
) -> Groups {
    let mut g = Groups::default();
    for pod in pods {
        if pod.deleted || pod.phase == PodPhase::Failed {
            g.ignored.insert(pod.name.clone());
            continue;
        }
        if pod.phase == PodPhase::Pending {
            g.unready.insert(pod.name.clone());
            continue;
        }
        let Some(metric) = metrics.get(&pod.name) else {
            g.missing.insert(pod.name.clone());
            continue;
        };
        if cpu {
            let unready = match (pod.ready, pod.start_time) {
                (Some((ready, transition)), Some(start)) => {
                    if start + timing.cpu_initialization_period > now {
                        !ready || metric.timestamp < transition + metric.window
                    } else {
                        !ready && start + timing.delay_of_initial_readiness > transition
                    }
                }
                _ => true,
            };
            if unready {
                g.unready.insert(pod.name.clone());
                continue;
            }
        }
        g.ready += 1;
    }
    g
}

/// `calculateRequests` (container-summed requests; pod-level resources are not modelled).
fn requests(pods: &[PodSample]) -> Result<BTreeMap<String, i64>, String> {
    pods.iter()
        .map(|p| p.request.clone().map(|r| (p.name.clone(), r)))
        .collect()
}

/// `GetResourceUtilizationRatio`: (usage ratio, utilization percent, raw average) over the
/// metrics of pods with a request.
pub fn utilization_ratio(
    metrics: &PodMetrics,
    requests: &BTreeMap<String, i64>,
    target: i32,
) -> Result<(F64, i32, i64), String> {
    let (mut total, mut requested, mut n) = (0i128, 0i128, 0i128);
    for (pod, m) in metrics {
        // Metrics of pods without a request are extraneous.
        let Some(r) = requests.get(pod) else { continue };
        total += i128::from(m.value);
        requested += i128::from(*r);
        n += 1;
    }
    if requested == 0 {
        return Err("no metrics returned matched known pods".into());
    }
    // int32((metricsTotal * 100) / requestsTotal), clamped as upstream's big.Int version does.
    let util = (total * 100 / requested).clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32;
    let ratio = F64::from_i64(i64::from(util)).div(F64::from_i64(i64::from(target)));
    Ok((ratio, util, (total / n) as i64))
}

/// `GetMetricUsageRatio`: (usage ratio, average usage).
fn usage_ratio(metrics: &PodMetrics, target: i64) -> (F64, i64) {
    let total: i128 = metrics.values().map(|m| i128::from(m.value)).sum();
    let usage = (total / metrics.len().max(1) as i128) as i64;
    (F64::from_i64(usage).div(F64::from_i64(target)), usage)
}

fn ceil_times(ratio: F64, n: usize) -> i32 {
    ratio.mul(F64::from_i64(n as i64)).ceil() as i32
}

/// What `GetResourceReplicas` gives back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceProposal {
    pub replicas: i32,
    /// Utilization in percent of the request.
    pub utilization: i32,
    /// Average raw usage (milli-units).
    pub raw: i64,
}

/// `GetResourceReplicas`: the replicas for a target utilization (percent of request).
/// `metrics_listed`: whether the metrics API returned any pod metrics at all.
#[allow(clippy::too_many_arguments)]
pub fn resource_replicas(
    current: i32,
    target: i32,
    pods: &[PodSample],
    mut metrics: PodMetrics,
    metrics_listed: bool,
    resource: &str,
    cpu: bool,
    tolerances: Tolerances,
    now: i64,
    timing: Timing,
) -> Result<ResourceProposal, String> {
    if !metrics_listed {
        return Err(format!(
            "unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
        ));
    }
    if pods.is_empty() {
        return Err("no pods returned by selector while calculating replica count".into());
    }
    let g = group_pods(pods, &metrics, cpu, now, timing);
    for p in g.ignored.iter().chain(&g.unready) {
        metrics.remove(p);
    }
    if metrics.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    let requests = requests(pods)?;
    let (ratio, utilization, raw) = utilization_ratio(&metrics, &requests, target)?;
    let one = F64::from_i64(1);
    let proposal = |replicas| ResourceProposal {
        replicas,
        utilization,
        raw,
    };
    let scale_up_with_unready = !g.unready.is_empty() && ratio > one;
    if !scale_up_with_unready && g.missing.is_empty() {
        if tolerances.is_within(ratio) {
            return Ok(proposal(current));
        }
        return Ok(proposal(ratio.mul(F64::from_i64(g.ready)).ceil() as i32));
    }
    if !g.missing.is_empty() {
        if ratio < one {
            // On a scale-down, missing pods count as using 100% of their request (or the
            // target, when it is above 100%).
            let fallback = i64::from(target.max(100));
            for p in &g.missing {
                let r = requests.get(p).copied().unwrap_or(0);
                metrics.insert(p.clone(), metric(r * fallback / 100));
            }
        } else if ratio > one {
            // On a scale-up, as using nothing.
            for p in &g.missing {
                metrics.insert(p.clone(), metric(0));
            }
        }
    }
    if scale_up_with_unready {
        for p in &g.unready {
            metrics.insert(p.clone(), metric(0));
        }
    }
    let (new_ratio, _, _) = utilization_ratio(&metrics, &requests, target)?;
    if tolerances.is_within(new_ratio)
        || (ratio < one && new_ratio > one)
        || (ratio > one && new_ratio < one)
    {
        return Ok(proposal(current));
    }
    let replicas = ceil_times(new_ratio, metrics.len());
    if (new_ratio < one && replicas > current) || (new_ratio > one && replicas < current) {
        return Ok(proposal(current));
    }
    Ok(proposal(replicas))
}

fn metric(value: i64) -> PodMetric {
    PodMetric {
        value,
        timestamp: 0,
        window: 0,
    }
}

/// `GetRawResourceReplicas` / `calcPlainMetricReplicas`: the replicas for a target average
/// value (milli-units). Returns (replicas, average usage).
#[allow(clippy::too_many_arguments)]
pub fn raw_resource_replicas(
    current: i32,
    target: i64,
    pods: &[PodSample],
    mut metrics: PodMetrics,
    metrics_listed: bool,
    resource: &str,
    cpu: bool,
    tolerances: Tolerances,
    now: i64,
    timing: Timing,
) -> Result<(i32, i64), String> {
    if !metrics_listed {
        return Err(format!(
            "unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
        ));
    }
    if pods.is_empty() {
        return Err("no pods returned by selector while calculating replica count".into());
    }
    let g = group_pods(pods, &metrics, cpu, now, timing);
    for p in g.ignored.iter().chain(&g.unready) {
        metrics.remove(p);
    }
    if metrics.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    let (ratio, usage) = usage_ratio(&metrics, target);
    let one = F64::from_i64(1);
    let scale_up_with_unready = !g.unready.is_empty() && ratio > one;
    if !scale_up_with_unready && g.missing.is_empty() {
        if tolerances.is_within(ratio) {
            return Ok((current, usage));
        }
        return Ok((ratio.mul(F64::from_i64(g.ready)).ceil() as i32, usage));
    }
    if !g.missing.is_empty() {
        // Scale-down: missing pods use exactly the target; scale-up: nothing.
        let fill = if ratio < one {
            Some(target)
        } else if ratio > one {
            Some(0)
        } else {
            None
        };
        if let Some(v) = fill {
            for p in &g.missing {
                metrics.insert(p.clone(), metric(v));
            }
        }
    }
    if scale_up_with_unready {
        for p in &g.unready {
            metrics.insert(p.clone(), metric(0));
        }
    }
    let (new_ratio, _) = usage_ratio(&metrics, target);
    if tolerances.is_within(new_ratio)
        || (ratio < one && new_ratio > one)
        || (ratio > one && new_ratio < one)
    {
        return Ok((current, usage));
    }
    let replicas = ceil_times(new_ratio, metrics.len());
    if (new_ratio < one && replicas > current) || (new_ratio > one && replicas < current) {
        return Ok((current, usage));
    }
    Ok((replicas, usage))
}
