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
use crate::collections::OrdMap;
use crate::collections::OrdSet;

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
pub type PodMetrics = OrdMap<String, PodMetric>;

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
        one - self.scale_down <= ratio && ratio <= one + self.scale_up
    }
}

/// `groupPods`' result.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Groups {
    pub ready: i64,
    pub unready: OrdSet<String>,
    pub missing: OrdSet<String>,
    pub ignored: OrdSet<String>,
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
fn requests(pods: &[PodSample]) -> Result<OrdMap<String, i64>, String> {
    // A loop, not `collect`: std's `FromIterator` for maps compiles a sort (core::sort).
    let mut out = OrdMap::new();
    for p in pods {
        out.insert(p.name.clone(), p.request.clone()?);
    }
    Ok(out)
}

/// `GetResourceUtilizationRatio`: (usage ratio, utilization percent, raw average) over the
/// metrics of pods with a request.
pub fn utilization_ratio(
    metrics: &PodMetrics,
    requests: &OrdMap<String, i64>,
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
    let ratio = F64::from_i64(i64::from(util)) / F64::from_i64(i64::from(target));
    Ok((ratio, util, (total / n) as i64))
}

/// `GetMetricUsageRatio`: (usage ratio, average usage).
fn usage_ratio(metrics: &PodMetrics, target: i64) -> (F64, i64) {
    let total: i128 = metrics.values().map(|m| i128::from(m.value)).sum();
    let usage = (total / metrics.len().max(1) as i128) as i64;
    (F64::from_i64(usage) / F64::from_i64(target), usage)
}

fn ceil_times(ratio: F64, n: usize) -> i32 {
    (ratio * F64::from_i64(n as i64)).ceil() as i32
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
        return Ok(proposal((ratio * F64::from_i64(g.ready)).ceil() as i32));
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
        return Ok(((ratio * F64::from_i64(g.ready)).ceil() as i32, usage));
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

#[cfg(test)]
mod tests {
    //! Rows of upstream's replica_calculator_test.go (v1.35: `TestReplicaCalcResourceScale`,
    //! `TestReplicaCalcResourceTolerance`, `TestReplicaCalcResourceMissingMetrics`,
    //! `TestReplicaCalcComputedToleranceAlgImplementation`, `TestGroupPods`), with the fixture of
    //! its fake clients: pods `test-pod-<i>` with two containers requesting the same amount each,
    //! both reporting the same usage; Ready True and a zero start time unless the row says
    //! otherwise; metrics stamped at the zero time with a one-minute window.
    use super::*;

    const NOW: i64 = 1_767_225_600_000;
    /// Go's zero `time.Time` (year 1) in Unix milliseconds.
    const ZERO: i64 = -62_135_596_800_000;
    const HOT: i64 = NOW;
    const COOL: i64 = NOW - 3 * 60_000;
    /// defaultTestingCPUInitializationPeriod, defaultTestingDelayOfInitialReadinessStatus.
    const TEST_TIMING: Timing = Timing {
        cpu_initialization_period: 2 * 60_000,
        delay_of_initial_readiness: 10_000,
    };

    #[derive(Default)]
    struct Fixture {
        current: i32,
        /// Per-container cpu request (milli) of each pod; pods beyond it have none.
        requests: Vec<i64>,
        /// Per-container usage (milli) of the pods with metrics.
        levels: Vec<i64>,
        metric_names: Vec<&'static str>,
        ready: Vec<bool>,
        start: Vec<i64>,
        phase: Vec<PodPhase>,
        deleted: Vec<bool>,
    }

    fn name(i: usize) -> String {
        format!("test-pod-{i}")
    }

    impl Fixture {
        fn pods(&self) -> Vec<PodSample> {
            let n = (self.current as usize).max(self.phase.len());
            (0..n)
                .map(|i| PodSample {
                    name: name(i),
                    phase: self.phase.get(i).copied().unwrap_or(PodPhase::Running),
                    deleted: self.deleted.get(i).copied().unwrap_or(false),
                    ready: Some((self.ready.get(i).copied().unwrap_or(true), ZERO)),
                    start_time: Some(self.start.get(i).copied().unwrap_or(ZERO)),
                    request: self.requests.get(i).map(|r| 2 * r).ok_or_else(|| {
                        format!(
                            "missing request for cpu in container container1 of Pod {}",
                            name(i)
                        )
                    }),
                })
                .collect()
        }

        fn metrics(&self) -> PodMetrics {
            self.levels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let n = self
                        .metric_names
                        .get(i)
                        .map_or_else(|| name(i), |s| s.to_string());
                    let m = PodMetric {
                        value: 2 * l,
                        timestamp: ZERO,
                        window: 60_000,
                    };
                    (n, m)
                })
                .collect()
        }

        fn run(&self, target: i32, tol: Tolerances) -> Result<ResourceProposal, String> {
            resource_replicas(
                self.current,
                target,
                &self.pods(),
                self.metrics(),
                !self.levels.is_empty(),
                "cpu",
                true,
                tol,
                NOW,
                TEST_TIMING,
            )
        }
    }

    fn ones(n: usize) -> Vec<i64> {
        vec![1000; n]
    }

    use PodPhase::{Failed, Pending, Running};

    #[test]
    fn resource_scale() {
        let tol = Tolerances::default_flag();
        // (name, fixture, target, replicas, utilization, raw)
        let rows: Vec<(&str, Fixture, i32, i32, i32, i64)> = vec![
            (
                "scale up",
                Fixture {
                    current: 3,
                    requests: ones(3),
                    levels: vec![300, 500, 700],
                    ..Default::default()
                },
                30,
                5,
                50,
                1000,
            ),
            (
                "scale up: unready pod scales less",
                Fixture {
                    current: 3,
                    requests: ones(3),
                    levels: vec![300, 500, 700],
                    ready: vec![false, true, true],
                    ..Default::default()
                },
                30,
                4,
                60,
                1200,
            ),
            (
                "scale up: hot-CPU pod scales less",
                Fixture {
                    current: 3,
                    requests: ones(3),
                    levels: vec![300, 500, 700],
                    start: vec![HOT, COOL, COOL],
                    ..Default::default()
                },
                30,
                4,
                60,
                1200,
            ),
            (
                "no scale: unready pods ignored",
                Fixture {
                    current: 3,
                    requests: ones(3),
                    levels: vec![400, 500, 700],
                    ready: vec![true, false, false],
                    ..Default::default()
                },
                30,
                3,
                40,
                800,
            ),
            (
                "no scale: hot-CPU pods ignored",
                Fixture {
                    current: 3,
                    requests: ones(3),
                    levels: vec![400, 500, 700],
                    ready: vec![true, false, false],
                    start: vec![COOL, HOT, HOT],
                    ..Default::default()
                },
                30,
                3,
                40,
                800,
            ),
            (
                "scale up: failed pods ignored",
                Fixture {
                    current: 2,
                    requests: ones(4),
                    levels: vec![500, 700],
                    ready: vec![true, true, false, false],
                    phase: vec![Running, Running, Failed, Failed],
                    ..Default::default()
                },
                30,
                4,
                60,
                1200,
            ),
            (
                "scale up: pods being deleted are ignored",
                Fixture {
                    current: 2,
                    requests: ones(4),
                    levels: vec![500, 700],
                    ready: vec![true, true, false, false],
                    phase: vec![Running; 4],
                    deleted: vec![false, false, true, true],
                    ..Default::default()
                },
                30,
                4,
                60,
                1200,
            ),
            (
                "scale down",
                Fixture {
                    current: 5,
                    requests: ones(5),
                    levels: vec![100, 300, 500, 250, 250],
                    ..Default::default()
                },
                50,
                3,
                28,
                560,
            ),
            (
                "scale down: exclude unready pods",
                Fixture {
                    current: 5,
                    requests: ones(5),
                    levels: vec![100, 300, 500, 250, 250],
                    ready: vec![true, true, true, false, false],
                    ..Default::default()
                },
                50,
                2,
                30,
                600,
            ),
            (
                "scale down: exclude unscheduled pods",
                Fixture {
                    current: 5,
                    requests: ones(5),
                    levels: vec![100],
                    ready: vec![true, false, false, false, false],
                    phase: vec![Running, Pending, Pending, Pending, Pending],
                    ..Default::default()
                },
                50,
                1,
                10,
                200,
            ),
            (
                "scale down: ignore hot-CPU pods",
                Fixture {
                    current: 5,
                    requests: ones(5),
                    levels: vec![100, 300, 500, 250, 250],
                    start: vec![COOL, COOL, COOL, HOT, HOT],
                    ..Default::default()
                },
                50,
                2,
                30,
                600,
            ),
            (
                "scale down: failed pods ignored",
                Fixture {
                    current: 5,
                    requests: ones(7),
                    levels: vec![100, 300, 500, 250, 250],
                    ready: vec![true, true, true, true, true, false, false],
                    phase: vec![Running, Running, Running, Running, Running, Failed, Failed],
                    ..Default::default()
                },
                50,
                3,
                28,
                560,
            ),
            (
                "scale down: pods being deleted are ignored",
                Fixture {
                    current: 5,
                    requests: ones(7),
                    levels: vec![100, 300, 500, 250, 250],
                    ready: vec![true, true, true, true, true, false, false],
                    phase: vec![Running; 7],
                    deleted: vec![false, false, false, false, false, true, true],
                    ..Default::default()
                },
                50,
                3,
                28,
                560,
            ),
        ];
        for (name, f, target, replicas, utilization, raw) in rows {
            let got = f.run(target, tol).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                got,
                ResourceProposal {
                    replicas,
                    utilization,
                    raw
                },
                "{name}"
            );
        }
    }

    #[test]
    fn resource_tolerance() {
        let mixed = vec![900, 1000, 1100];
        let t = |down: (i64, i64), up: (i64, i64)| Tolerances {
            scale_down: F64::from_ratio(down.0, down.1),
            scale_up: F64::from_ratio(up.0, up.1),
        };
        let default = (1, 10);
        type Row<'a> = (&'a str, Tolerances, Vec<i64>, i32, i32, i64);
        let rows: Vec<Row> = vec![
            (
                "within default tolerance",
                t(default, default),
                vec![1010, 1030, 1020],
                3,
                102,
                2040,
            ),
            (
                "outside 0% tolerance",
                t((0, 1), (0, 1)),
                vec![909, 1010, 1111],
                4,
                101,
                2020,
            ),
            (
                "within 200% scale-up tolerance",
                t(default, (2, 1)),
                vec![1890, 1910, 1900],
                3,
                190,
                3800,
            ),
            (
                "outside 8% scale-up tolerance",
                t((2, 1), (8, 100)),
                vec![1100, 1080, 1090],
                4,
                109,
                2180,
            ),
            (
                "within 36% scale-down tolerance",
                t((36, 100), default),
                vec![660, 640, 650],
                3,
                65,
                1300,
            ),
            (
                "outside 34% scale-down tolerance",
                t((34, 100), default),
                vec![660, 640, 650],
                2,
                65,
                1300,
            ),
        ];
        for (name, tol, levels, replicas, utilization, raw) in rows {
            let f = Fixture {
                current: 3,
                requests: mixed.clone(),
                levels,
                ..Default::default()
            };
            let got = f.run(100, tol).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                got,
                ResourceProposal {
                    replicas,
                    utilization,
                    raw
                },
                "{name}"
            );
        }
    }

    #[test]
    fn resource_missing_metrics() {
        let tol = Tolerances::default_flag();
        type Row<'a> = (&'a str, Fixture, i32, Result<(i32, i32, i64), &'a str>);
        let rows: Vec<Row> = vec![
            ("superfluous metrics counted", Fixture { current: 4, requests: ones(4), levels: vec![4000, 9500, 3000, 7000, 3200, 2000], ..Default::default() }, 100, Ok((24, 587, 11750))),
            ("some pods missing metrics scales down", Fixture { current: 4, requests: ones(4), levels: vec![400, 95], ..Default::default() }, 100, Ok((3, 24, 495))),
            ("no change: metric equal to target", Fixture { current: 2, requests: ones(2), levels: vec![1000], ..Default::default() }, 100, Ok((2, 100, 2000))),
            ("no change: metric above target", Fixture { current: 2, requests: ones(2), levels: vec![1900], ..Default::default() }, 100, Ok((2, 190, 3800))),
            ("no change: metric below target", Fixture { current: 2, requests: ones(2), levels: vec![600], ..Default::default() }, 100, Ok((2, 60, 1200))),
            ("no change: unready pod metric missing", Fixture { current: 3, requests: ones(3), levels: vec![100, 450], ready: vec![false, true, true], ..Default::default() }, 50, Ok((3, 45, 900))),
            ("no change: hot-CPU pod metric missing", Fixture { current: 3, requests: ones(3), levels: vec![100, 450], start: vec![HOT, COOL, COOL], ..Default::default() }, 50, Ok((3, 45, 900))),
            ("scale up: unready pod metric missing", Fixture { current: 3, requests: ones(3), levels: vec![100, 2000], ready: vec![false, true, true], ..Default::default() }, 50, Ok((4, 200, 4000))),
            ("scale up: hot-CPU pod metric missing", Fixture { current: 3, requests: ones(3), levels: vec![100, 2000], ready: vec![false, true, true], start: vec![HOT, COOL, COOL], ..Default::default() }, 50, Ok((4, 200, 4000))),
            ("scale down: unready pod metric missing", Fixture { current: 4, requests: ones(4), levels: vec![100, 100, 100], ready: vec![false, true, true, true], ..Default::default() }, 50, Ok((3, 10, 200))),
            ("scale down: target over 100", Fixture { current: 4, requests: vec![1000, 1000, 2000, 2000], levels: vec![200, 100, 100], ready: vec![false, true, true, true], ..Default::default() }, 300, Ok((2, 6, 200))),
            ("rolling update with maxSurge: extra pod missing metric", Fixture { current: 2, requests: ones(3), levels: vec![100, 100], phase: vec![Running; 3], ..Default::default() }, 50, Ok((2, 10, 200))),
            ("disjoint pod and metric names", Fixture { current: 1, requests: ones(1), levels: vec![100], metric_names: vec!["an-older-pod-name"], ..Default::default() }, 100, Err("no metrics returned matched known pods")),
            ("no metrics returned from metrics API", Fixture { current: 4, requests: ones(3), ..Default::default() }, 100, Err("unable to get metrics for resource cpu: no metrics returned from resource metrics API")),
            ("missing CPU request on container", Fixture { current: 1, levels: vec![200], ..Default::default() }, 100, Err("missing request for")),
        ];
        for (name, f, target, want) in rows {
            match (f.run(target, tol), want) {
                (Ok(got), Ok((replicas, utilization, raw))) => {
                    assert_eq!(
                        got,
                        ResourceProposal {
                            replicas,
                            utilization,
                            raw
                        },
                        "{name}"
                    )
                }
                (Err(e), Err(w)) => assert!(e.contains(w), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn computed_tolerance_alg_implementation() {
        // 10 pods at 150m each, asking for 300m on average (jittered); the target is just past
        // (and then just within) the tolerance: finalCPUPercentTarget = int32(target * 100).
        let requested = [400, 200, 310, 290, 302, 298, 301, 299, 300, 300];
        let f = |current| Fixture {
            current,
            requests: requested.to_vec(),
            levels: vec![150; 10],
            ..Default::default()
        };
        // target = 1/(2*0.9) + .01 = 0.5655... → 56; ceil(1500/3000 / 0.56 * 10) = 9 pods.
        let got = f(10).run(56, Tolerances::default_flag()).unwrap();
        assert_eq!(
            got,
            ResourceProposal {
                replicas: 9,
                utilization: 50,
                raw: 300
            }
        );
        // target = 1/(2*0.9) + .004 = 0.5595... → 55: 50/55 is within the tolerance.
        let got = f(10).run(55, Tolerances::default_flag()).unwrap();
        assert_eq!(got.replicas, 10);
    }

    fn pod(
        name: &str,
        phase: PodPhase,
        start: Option<i64>,
        ready: Option<(bool, i64)>,
    ) -> PodSample {
        PodSample {
            name: name.into(),
            phase,
            deleted: false,
            ready,
            start_time: start,
            request: Ok(0),
        }
    }

    fn metric(timestamp: i64, window: i64) -> PodMetric {
        PodMetric {
            value: 1,
            timestamp,
            window,
        }
    }

    #[test]
    fn group_pods_rows() {
        use PodPhase::Succeeded;
        let m = 60_000;
        let s = 1_000;
        // (name, pod, metric, cpu, ready count, unready, missing, ignored)
        type Row = (
            &'static str,
            PodSample,
            Option<PodMetric>,
            bool,
            i64,
            &'static str,
        );
        let rows: Vec<Row> = vec![
            (
                "count in a ready pod - memory",
                pod("bentham", Succeeded, None, None),
                Some(metric(NOW, m)),
                false,
                1,
                "",
            ),
            (
                "unready a pod without ready condition - CPU",
                pod("lucretius", Succeeded, Some(NOW), None),
                Some(metric(ZERO, 0)),
                true,
                0,
                "unready",
            ),
            (
                "count in a ready pod with fresh metrics during initialization period - CPU",
                pod(
                    "bentham",
                    Succeeded,
                    Some(NOW - m),
                    Some((true, NOW - 30 * s)),
                ),
                Some(metric(NOW, 30 * s)),
                true,
                1,
                "",
            ),
            (
                "unready a ready pod without fresh metrics during initialization period - CPU",
                pod(
                    "bentham",
                    Succeeded,
                    Some(NOW - m),
                    Some((true, NOW - 30 * s)),
                ),
                Some(metric(NOW, 60 * s)),
                true,
                0,
                "unready",
            ),
            (
                "unready an unready pod during initialization period - CPU",
                pod(
                    "lucretius",
                    Succeeded,
                    Some(NOW - 10 * m),
                    Some((false, NOW - 9 * m - 54 * s)),
                ),
                Some(metric(ZERO, 0)),
                true,
                0,
                "unready",
            ),
            (
                "count in a ready pod without fresh metrics after initialization period - CPU",
                pod(
                    "bentham",
                    Succeeded,
                    Some(NOW - 3 * m),
                    Some((true, NOW - 3 * m)),
                ),
                Some(metric(NOW - 2 * m, m)),
                true,
                1,
                "",
            ),
            (
                "count in an unready pod that was ready after initialization period - CPU",
                pod(
                    "lucretius",
                    Succeeded,
                    Some(NOW - 10 * m),
                    Some((false, NOW - 9 * m)),
                ),
                Some(metric(ZERO, 0)),
                true,
                1,
                "",
            ),
            (
                "unready pod that has never been ready after initialization period - CPU",
                pod(
                    "lucretius",
                    Succeeded,
                    Some(NOW - 10 * m),
                    Some((false, NOW - 9 * m - 50 * s)),
                ),
                Some(metric(ZERO, 0)),
                true,
                1,
                "",
            ),
            (
                "a missing pod",
                pod("epicurus", Succeeded, Some(NOW - 3 * m), None),
                None,
                true,
                0,
                "missing",
            ),
            (
                "pending pods are unreadied",
                pod("unscheduled", Pending, None, None),
                None,
                true,
                0,
                "unready",
            ),
            (
                "ignore pods with deletion timestamps",
                PodSample {
                    deleted: true,
                    ..pod("deleted", Pending, None, None)
                },
                Some(metric(ZERO, 0)),
                true,
                0,
                "ignored",
            ),
            (
                "ignore pods in a failed state",
                pod("failed", Failed, None, None),
                Some(metric(ZERO, 0)),
                true,
                0,
                "ignored",
            ),
        ];
        for (name, p, m, cpu, ready, set) in rows {
            let metrics: PodMetrics = m.map(|m| (p.name.clone(), m)).into_iter().collect();
            let g = group_pods(std::slice::from_ref(&p), &metrics, cpu, NOW, TEST_TIMING);
            let only = |s: &OrdSet<String>, which| {
                if set == which {
                    *s == OrdSet::from([p.name.clone()])
                } else {
                    s.is_empty()
                }
            };
            assert_eq!(g.ready, ready, "{name}");
            assert!(
                only(&g.unready, "unready"),
                "{name}: unready {:?}",
                g.unready
            );
            assert!(
                only(&g.missing, "missing"),
                "{name}: missing {:?}",
                g.missing
            );
            assert!(
                only(&g.ignored, "ignored"),
                "{name}: ignored {:?}",
                g.ignored
            );
        }
        // "several pods": one of each kind at once.
        let pods = [
            pod("lucretius", Succeeded, Some(NOW), None),
            pod(
                "niccolo",
                Succeeded,
                Some(NOW - 3 * m),
                Some((true, NOW - 3 * m)),
            ),
            pod("epicurus", Succeeded, Some(NOW - 3 * m), None),
        ];
        let metrics: PodMetrics = [("lucretius", metric(ZERO, 0)), ("niccolo", metric(ZERO, 0))]
            .into_iter()
            .map(|(n, m)| (n.to_string(), m))
            .collect();
        let g = group_pods(&pods, &metrics, true, NOW, TEST_TIMING);
        assert_eq!(g.ready, 1);
        assert_eq!(g.unready, OrdSet::from(["lucretius".to_string()]));
        assert_eq!(g.missing, OrdSet::from(["epicurus".to_string()]));
    }

    #[test]
    fn ceil_of_the_float_product_not_of_the_exact_one() {
        // 70% against a 30% target on 27 ready pods: float64(70)/float64(30) * 27 is
        // 63.00000000000001, so upstream asks for 64 pods (exactly: 63).
        let f = Fixture {
            current: 27,
            requests: ones(27),
            levels: vec![700; 27],
            ..Default::default()
        };
        assert_eq!(f.run(30, Tolerances::default_flag()).unwrap().replicas, 64);
    }
}
