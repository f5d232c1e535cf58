//! HorizontalPodAutoscaler controller (autoscaling/v2): every 15 s per HPA, the replica count
//! its resource metrics ask for, stabilized and rate-limited, set on the scale target.
//!
//! Upstream: pkg/controller/podautoscaler/horizontal.go (`reconcileAutoscaler`,
//! `computeReplicasForMetrics`, `computeStatusForResourceMetricGeneric`, `setCondition`,
//! `setStatus`, the work queue with `NewDefaultHPARateLimiter`). Submodules: `replicas` (the
//! replica calculator), `normalize` (stabilization and behavior), `metrics` (the resource
//! metrics API over the simulated runtime's usage).
//!
//! Timing: an HPA is synced 15 s (`--horizontal-pod-autoscaler-sync-period`) after it is
//! created and every 15 s after each sync — upstream's queue adds every HPA with the fixed
//! `resyncPeriod` delay and keeps the earliest time of a key already waiting.

pub mod metrics;
pub mod normalize;
pub mod replicas;

use super::ControllerId;
use crate::api::autoscaling::{HorizontalPodAutoscaler, HpaCondition, MetricSpec, MetricStatus};
use crate::api::quantity::Quantity;
use crate::api::selector::LabelSelector;
use crate::api::{Kind, Object};
use crate::binary64::F64;
use crate::collections::OrdMap;
use crate::sim::ctx::{Ctx, Wake};
use crate::store::{ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};
use metrics::PodUsage;
use normalize::{History, Recommendation, Why};
use replicas::{Timing, Tolerances, DEFAULT_TIMING};

/// `--horizontal-pod-autoscaler-sync-period`.
pub const SYNC_PERIOD: Duration = Duration::from_secs(15);
/// `--horizontal-pod-autoscaler-downscale-stabilization`.
pub const DOWNSCALE_STABILIZATION_SECONDS: i32 = 300;

/// One HPA the controller knows: its uid, when it is next synced, its history.
struct Tracked {
    uid: String,
    next: SimTime,
    history: History,
}

#[derive(Default)]
pub struct HorizontalController {
    pub cursor: u64,
    /// An `OrdMap` (its tree compiled once for every `ObjectKey` map) of boxed values (the
    /// slab's code is the same for every pointer-sized value), for the playground's wasm size
    /// (docs/benchmarks.md, "Bundle size"); a cold map.
    hpas: OrdMap<ObjectKey, Box<Tracked>>,
}

/// The scale subresource of a target: `spec.replicas` and the selector (`status.replicas`
/// only matters to Object and External per-pod metrics, which are not modelled).
struct Scale {
    key: ObjectKey,
    spec_replicas: i32,
    selector: Option<LabelSelector>,
}

impl HorizontalController {
    /// Read the change feed: a new HPA is synced one period from now; a deleted one is
    /// forgotten (`reconcileKey` on NotFound).
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let keys: Vec<ObjectKey> = ctx
            .store
            .changes_since(self.cursor)
            .iter()
            .filter(|c| c.key.kind == Kind::HorizontalPodAutoscaler)
            .map(|c| c.key.clone())
            .collect();
        self.cursor = ctx.store.revision();
        for key in keys {
            let uid = match ctx.store.get(&key).map(|s| &s.object) {
                Some(o) => o.meta().uid.clone(),
                None => {
                    self.hpas.remove(&key);
                    continue;
                }
            };
            if self.hpas.get(&key).is_some_and(|t| t.uid == uid) {
                continue;
            }
            let next = ctx.now.after(SYNC_PERIOD);
            self.hpas.insert(
                key.clone(),
                Box::new(Tracked {
                    uid,
                    next,
                    history: History::default(),
                }),
            );
            schedule(ctx, &key, next);
        }
    }

    /// A sync is due: reconcile with the observed usage, then schedule the next one.
    pub fn wake(&mut self, ctx: &mut Ctx, key: &ObjectKey, usage: &dyn Fn() -> PodUsage) {
        self.sync(ctx);
        let due = self.hpas.get(key).is_some_and(|t| t.next == ctx.now);
        if !due {
            // A wake of an HPA deleted (or recreated) since it was scheduled.
            return;
        }
        let usage = usage();
        self.reconcile(ctx, key, &usage);
        let next = ctx.now.after(SYNC_PERIOD);
        if let Some(t) = self.hpas.get_mut(key) {
            t.next = next;
            schedule(ctx, key, next);
        }
    }

    /// `reconcileAutoscaler`.
    fn reconcile(&mut self, ctx: &mut Ctx, key: &ObjectKey, usage: &PodUsage) {
        let Some(Object::HorizontalPodAutoscaler(mut hpa)) =
            ctx.store.get(key).map(|s| s.object.clone())
        else {
            return;
        };
        let Some(tracked) = self.hpas.get_mut(key) else {
            return;
        };
        let history = &mut tracked.history;
        let original = hpa.status.clone();
        let now = ctx.now.millis() as i64;
        let me = format!("HorizontalPodAutoscaler/{}/{}", key.namespace, key.name);
        let scale = match get_scale(ctx, &hpa) {
            Ok(s) => s,
            Err(e) => {
                ctx.event("FailedGetScale", me, None, e.clone());
                set_condition(
                    &mut hpa,
                    "AbleToScale",
                    "False",
                    "FailedGetScale",
                    format!("the HPA controller was unable to get the target's current scale: {e}"),
                    now,
                );
                update_status_if_needed(ctx, &original, hpa);
                return;
            }
        };
        set_condition(
            &mut hpa,
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale".into(),
            now,
        );
        let current = scale.spec_replicas;
        // recordInitialRecommendation.
        history.recommendations.get_or_insert_with(|| {
            vec![Recommendation {
                replicas: current,
                at: now,
            }]
        });
        let min = hpa.spec.min_replicas();
        let max = hpa.spec.max_replicas;
        let mut desired = 0;
        let mut reason = String::new();
        let mut rescale = true;
        let mut statuses = Vec::new();
        if current == 0 && min != 0 {
            rescale = false;
            set_condition(
                &mut hpa,
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero".into(),
                now,
            );
        } else if current > max {
            reason = "Current number of replicas above Spec.MaxReplicas".into();
            desired = max;
        } else if current < min {
            reason = "Current number of replicas below Spec.MinReplicas".into();
            desired = min;
        } else {
            let (proposal, metric, s) =
                match compute_replicas_for_metrics(ctx, &mut hpa, &scale, usage, &me) {
                    Ok(r) => r,
                    Err((s, err)) => {
                        set_status(&mut hpa, current, original.desired_replicas, s, false, now);
                        update_status_if_needed(ctx, &original, hpa);
                        ctx.event("FailedComputeMetricsReplicas", me, None, err);
                        return;
                    }
                };
            statuses = s;
            let mut rescale_metric = String::new();
            if proposal > desired {
                desired = proposal;
                rescale_metric = metric;
            }
            if desired > current {
                reason = format!("{rescale_metric} above target");
            }
            if desired < current {
                reason = "All metrics below target".into();
            }
            desired = normalize(&mut hpa, history, current, desired, min, now);
            rescale = desired != current;
        }
        if rescale {
            set_scale(ctx, &scale.key, desired);
            set_condition(
                &mut hpa,
                "AbleToScale",
                "True",
                "SucceededRescale",
                format!("the HPA controller was able to update the target scale to {desired}"),
                now,
            );
            ctx.event(
                "SuccessfulRescale",
                me,
                None,
                format!("New size: {desired}; reason: {reason}"),
            );
            if let Some(b) = &hpa.spec.behavior {
                let rules = if desired > current {
                    b.scale_up_rules()
                } else {
                    b.scale_down_rules()
                };
                normalize::store_scale_event(history, &rules, current, desired, now);
            }
        } else {
            desired = current;
        }
        set_status(&mut hpa, current, desired, statuses, rescale, now);
        update_status_if_needed(ctx, &original, hpa);
    }
}

fn schedule(ctx: &mut Ctx, key: &ObjectKey, at: SimTime) {
    ctx.wake_at(
        at,
        Wake::Controller {
            controller: ControllerId::HorizontalPodAutoscaler,
            key: key.clone(),
        },
    );
}

/// The scale subresource of the target (Deployment, ReplicaSet or StatefulSet of apps/v1).
fn get_scale(ctx: &Ctx, hpa: &HorizontalPodAutoscaler) -> Result<Scale, String> {
    let r = &hpa.spec.scale_target_ref;
    let group = match r.api_version.split('/').collect::<Vec<_>>().as_slice() {
        [_] => "",
        [g, _] => g,
        _ => return Err(format!("unexpected GroupVersion string: {}", r.api_version)),
    };
    let kind = match (group, r.kind.as_str()) {
        ("apps", "Deployment") => Kind::Deployment,
        ("apps", "ReplicaSet") => Kind::ReplicaSet,
        ("apps", "StatefulSet") => Kind::StatefulSet,
        (g, k) => return Err(format!("no matches for kind {k:?} in group {g:?}")),
    };
    let key = ObjectKey::new(kind, &hpa.metadata.namespace, &r.name);
    let (spec_replicas, selector) = match ctx.store.get(&key).map(|s| &s.object) {
        Some(Object::Deployment(d)) => (d.spec.replicas, d.spec.selector.clone()),
        Some(Object::ReplicaSet(s)) => (s.spec.replicas, s.spec.selector.clone()),
        Some(Object::StatefulSet(s)) => (s.spec.replicas, s.spec.selector.clone()),
        _ => {
            return Err(format!(
                "{}s.apps {:?} not found",
                kind.name().to_ascii_lowercase(),
                r.name
            ))
        }
    };
    Ok(Scale {
        key,
        spec_replicas: spec_replicas.unwrap_or(1),
        selector,
    })
}

/// Update the scale subresource: the target's `spec.replicas`.
fn set_scale(ctx: &mut Ctx, key: &ObjectKey, replicas: i32) {
    let Some(mut o) = ctx.store.get(key).map(|s| s.object.clone()) else {
        return;
    };
    match &mut o {
        Object::Deployment(d) => d.spec.replicas = Some(replicas),
        Object::ReplicaSet(r) => r.spec.replicas = Some(replicas),
        Object::StatefulSet(s) => s.spec.replicas = Some(replicas),
        _ => return,
    }
    let _ = ctx.store.update(o, None);
}

/// The tolerances of this HPA: the flag's 0.1, or `behavior.scale{Up,Down}.tolerance`
/// (`HPAConfigurableTolerance`, on in v1.35) as upstream's `Quantity.AsApproximateFloat64`.
fn tolerances(hpa: &HorizontalPodAutoscaler) -> Tolerances {
    let mut t = Tolerances::default_flag();
    if let Some(b) = &hpa.spec.behavior {
        if let Some(q) = b.scale_down.as_ref().and_then(|r| r.tolerance.as_ref()) {
            t.scale_down = approximate_f64(q);
        }
        if let Some(q) = b.scale_up.as_ref().and_then(|r| r.tolerance.as_ref()) {
            t.scale_up = approximate_f64(q);
        }
    }
    t
}

/// `Quantity.AsApproximateFloat64` of the quantity as the controller reads it back from the
/// API (its canonical form, e.g. `0.05` → `50m` → `50 * math.Pow10(-3)`), in float64.
pub fn approximate_f64(q: &Quantity) -> F64 {
    let text = q.to_string();
    let digits_end = text
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+'))))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(digits_end);
    let exponent: i32 = match suffix {
        "" => 0,
        "n" => -9,
        "u" => -6,
        "m" => -3,
        "k" => 3,
        "M" => 6,
        "G" => 9,
        "T" => 12,
        "P" => 15,
        "E" => 18,
        s if s.starts_with(['e', 'E']) => s[1..].parse().unwrap_or(0),
        // Binary SI (Ki, Mi, ...): an integer amount.
        _ => return F64::from_i64(q.value()),
    };
    let base = F64::from_i64(number.parse().unwrap_or(0));
    if exponent == 0 {
        return base;
    }
    // math.Pow10: 10^e exactly rounded for e >= 0; 1 / 10^-e for e < 0 (|e| < 32).
    let pow = |e: u32| F64::from_i64(10i64.saturating_pow(e));
    let factor = if exponent > 0 {
        pow(exponent.unsigned_abs())
    } else {
        F64::from_i64(1) / pow(exponent.unsigned_abs())
    };
    base * factor
}

/// `computeReplicasForMetrics`: the highest proposal of the valid metrics; an error (and no
/// scaling) when every metric is invalid, or when some are and the rest would scale down.
/// The replica count the metrics ask for, the name of the metric that asked for it, and the
/// metric statuses.
type Proposal = (i32, String, Vec<MetricStatus>);

/// One metric's failure: the ScalingActive condition it sets and the error.
type MetricFailure = Box<(HpaCondition, String)>;

/// Returns the proposal, or the statuses and the error.
fn compute_replicas_for_metrics(
    ctx: &mut Ctx,
    hpa: &mut HorizontalPodAutoscaler,
    scale: &Scale,
    usage: &PodUsage,
    me: &str,
) -> Result<Proposal, (Vec<MetricStatus>, String)> {
    let now = ctx.now.millis() as i64;
    let Some(selector) = scale.selector.clone() else {
        ctx.event(
            "SelectorRequired",
            me.into(),
            None,
            "selector is required".into(),
        );
        set_condition(
            hpa,
            "ScalingActive",
            "False",
            "InvalidSelector",
            "the HPA target's scale is missing a selector".into(),
            now,
        );
        return Err((Vec::new(), "selector is required".into()));
    };
    let specs = hpa.spec.metrics();
    let tol = tolerances(hpa);
    let mut statuses = vec![MetricStatus::default(); specs.len()];
    let (mut replicas, mut metric) = (0, String::new());
    let mut invalid = 0;
    let mut first: Option<(HpaCondition, String)> = None;
    for (i, spec) in specs.iter().enumerate() {
        match compute_for_metric(ctx, hpa, spec, scale, &selector, usage, tol, me) {
            Ok((proposal, name, status)) => {
                statuses[i] = status;
                if replicas == 0 || proposal > replicas {
                    replicas = proposal;
                    metric = name;
                }
            }
            Err(failure) => {
                let (condition, err) = *failure;
                if invalid == 0 {
                    first = Some((condition, err));
                }
                invalid += 1;
            }
        }
    }
    if let Some((condition, err)) = first {
        let err = format!(
            "invalid metrics ({invalid} invalid out of {}), first error is: {err}",
            specs.len()
        );
        if invalid >= specs.len() || replicas < scale.spec_replicas {
            set_condition(
                hpa,
                &condition.kind,
                &condition.status,
                &condition.reason,
                condition.message,
                now,
            );
            return Err((statuses, err));
        }
    }
    set_condition(
        hpa,
        "ScalingActive",
        "True",
        "ValidMetricFound",
        format!("the HPA was able to successfully calculate a replica count from {metric}"),
        now,
    );
    Ok((replicas, metric, statuses))
}

/// `computeReplicasForMetric` for one metric source: resource metrics from the modelled usage;
/// container, custom and external metrics have no metrics API in a simulation.
#[allow(clippy::too_many_arguments)]
fn compute_for_metric(
    ctx: &mut Ctx,
    hpa: &HorizontalPodAutoscaler,
    spec: &MetricSpec,
    scale: &Scale,
    selector: &LabelSelector,
    usage: &PodUsage,
    tol: Tolerances,
    me: &str,
) -> Result<(i32, String, MetricStatus), MetricFailure> {
    let now = ctx.now.millis() as i64;
    let unable = |ctx: &mut Ctx, reason: &str, err: String, outer: String| {
        Err(unable_to_compute(ctx, me, reason, err, outer))
    };
    let resource = match (spec.kind.as_str(), &spec.resource) {
        ("Resource", Some(r)) => r,
        ("ContainerResource", _) => {
            let c = spec.container_resource.clone().unwrap_or_default();
            let err = format!(
                "failed to get {} utilization: unable to get metrics for resource {}: container metrics are not modelled",
                c.name, c.name
            );
            let outer = format!(
                "failed to get {} container metric value: {err}",
                c.container
            );
            return unable(ctx, "FailedGetContainerResourceMetric", err, outer);
        }
        ("Pods", _) | ("Object", _) | ("External", _) => {
            let (reason, what, api) = match spec.kind.as_str() {
                "Pods" => ("FailedGetPodsMetric", "pods", "custom.metrics.k8s.io"),
                "Object" => ("FailedGetObjectMetric", "object", "custom.metrics.k8s.io"),
                _ => (
                    "FailedGetExternalMetric",
                    "external",
                    "external.metrics.k8s.io",
                ),
            };
            let err = format!(
                "unable to fetch metrics: no metrics API ({api}) is served in a simulation"
            );
            let outer = format!("failed to get {what} metric value: {err}");
            return unable(ctx, reason, err, outer);
        }
        _ => {
            let err = format!("unknown metric source type {:?}", spec.kind);
            return unable(ctx, "InvalidMetricSourceType", err.clone(), err);
        }
    };
    let name = resource.name.as_str();
    let (pods, metrics, listed) = metrics::samples(
        ctx.store,
        &hpa.metadata.namespace,
        selector,
        name,
        usage,
        now,
    );
    let cpu = name == crate::api::resources::CPU;
    let timing: Timing = DEFAULT_TIMING;
    let current = scale.spec_replicas;
    let target = &resource.target;
    let outer = |e: &str| format!("failed to get {name} resource metric value: {e}");
    if let Some(avg) = &target.average_value {
        return match replicas::raw_resource_replicas(
            current,
            avg.milli_value(),
            &pods,
            metrics,
            listed,
            name,
            cpu,
            tol,
            now,
            timing,
        ) {
            Ok((n, raw)) => Ok((
                n,
                format!("{name} resource"),
                MetricStatus {
                    kind: "Resource".into(),
                    name: name.into(),
                    average_utilization: None,
                    average_value_milli: Some(raw),
                },
            )),
            Err(e) => {
                let e = format!("failed to get {name} usage: {e}");
                unable(ctx, "FailedGetResourceMetric", e.clone(), outer(&e))
            }
        };
    }
    let Some(utilization) = target.average_utilization else {
        let e = "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set".to_string();
        return unable(ctx, "FailedGetResourceMetric", e.clone(), outer(&e));
    };
    match replicas::resource_replicas(
        current,
        utilization,
        &pods,
        metrics,
        listed,
        name,
        cpu,
        tol,
        now,
        timing,
    ) {
        Ok(p) => Ok((
            p.replicas,
            format!("{name} resource utilization (percentage of request)"),
            MetricStatus {
                kind: "Resource".into(),
                name: name.into(),
                average_utilization: Some(p.utilization),
                average_value_milli: Some(p.raw),
            },
        )),
        Err(e) => {
            let e = format!("failed to get {name} utilization: {e}");
            unable(ctx, "FailedGetResourceMetric", e.clone(), outer(&e))
        }
    }
}

/// `getUnableComputeReplicaCountCondition`: a warning event and the ScalingActive condition;
/// with the error the caller reports.
fn unable_to_compute(
    ctx: &mut Ctx,
    me: &str,
    reason: &str,
    err: String,
    outer: String,
) -> MetricFailure {
    ctx.event(reason, me.into(), None, err.clone());
    let c = HpaCondition {
        kind: "ScalingActive".into(),
        status: "False".into(),
        reason: reason.into(),
        message: format!("the HPA was unable to compute the replica count: {err}"),
        last_transition_time: 0,
    };
    Box::new((c, outer))
}

/// `normalizeDesiredReplicas` (no `behavior`) or `normalizeDesiredReplicasWithBehaviors`, with
/// the AbleToScale and ScalingLimited conditions they set.
fn normalize(
    hpa: &mut HorizontalPodAutoscaler,
    history: &mut History,
    current: i32,
    desired: i32,
    min: i32,
    now: i64,
) -> i32 {
    let max = hpa.spec.max_replicas;
    let behavior = hpa.spec.behavior.clone();
    let (stabilized, stabilized_why, (limited, limited_why)) = match &behavior {
        None => {
            let window = i64::from(DOWNSCALE_STABILIZATION_SECONDS) * 1000;
            let recs = history.recommendations.get_or_insert_with(Vec::new);
            let s = normalize::stabilize(recs, desired, window, now);
            let why = (
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation",
            );
            (s, why, normalize::convert_with_rules(current, s, min, max))
        }
        Some(b) => {
            let up = b.scale_up_rules();
            let mut down = b.scale_down_rules();
            // maybeInitScaleDownStabilizationWindow.
            down.stabilization_window_seconds
                .get_or_insert(DOWNSCALE_STABILIZATION_SECONDS);
            let recs = history.recommendations.get_or_insert_with(Vec::new);
            let (s, why) = normalize::stabilize_with_behaviors(
                recs,
                current,
                desired,
                up.stabilization_window_seconds.unwrap_or(0),
                down.stabilization_window_seconds.unwrap_or(0),
                now,
            );
            let limited = normalize::convert_with_behavior_rate(
                current, s, min, max, &up, &down, history, now,
            );
            (s, why, limited)
        }
    };
    let able: Why = if stabilized != desired {
        stabilized_why
    } else {
        normalize::READY_FOR_NEW_SCALE
    };
    set_condition(hpa, "AbleToScale", "True", able.0, able.1.into(), now);
    let status = if limited == stabilized {
        "False"
    } else {
        "True"
    };
    set_condition(
        hpa,
        "ScalingLimited",
        status,
        limited_why.0,
        limited_why.1.into(),
        now,
    );
    limited
}

/// `setCondition`: add or update, the transition time moving only when the status changes.
fn set_condition(
    hpa: &mut HorizontalPodAutoscaler,
    kind: &str,
    status: &str,
    reason: &str,
    message: String,
    now: i64,
) {
    let conditions = &mut hpa.status.conditions;
    let i = match conditions.iter().position(|c| c.kind == kind) {
        Some(i) => i,
        None => {
            conditions.push(HpaCondition {
                kind: kind.into(),
                ..Default::default()
            });
            conditions.len() - 1
        }
    };
    let c = &mut conditions[i];
    if c.status != status {
        c.last_transition_time = now.max(0) as u64;
    }
    c.status = status.into();
    c.reason = reason.into();
    c.message = message;
}

/// `setStatus`.
fn set_status(
    hpa: &mut HorizontalPodAutoscaler,
    current: i32,
    desired: i32,
    metrics: Vec<MetricStatus>,
    rescale: bool,
    now: i64,
) {
    hpa.status.current_replicas = current;
    hpa.status.desired_replicas = desired;
    hpa.status.current_metrics = metrics;
    if rescale {
        hpa.status.last_scale_time = Some(now.max(0) as u64);
    }
}

/// `updateStatusIfNeeded`.
fn update_status_if_needed(
    ctx: &mut Ctx,
    original: &crate::api::autoscaling::HpaStatus,
    hpa: HorizontalPodAutoscaler,
) {
    if &hpa.status != original {
        let _ = ctx.store.update(Object::HorizontalPodAutoscaler(hpa), None);
    }
}
