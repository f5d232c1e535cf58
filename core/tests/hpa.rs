//! The HorizontalPodAutoscaler end to end against upstream v1.35
//! (pkg/controller/podautoscaler): the 15 s sync, the replica calculator's treatment of
//! just-started pods, the legacy scale-up limit and 300 s downscale stabilization, behavior
//! policies, and the conditions and events on failures. Expected counts are worked out by
//! hand from upstream's formulas in each test's comment.

use cellsim_core::api::autoscaling::HorizontalPodAutoscaler;
use cellsim_core::api::{Kind, Object};
use cellsim_core::scenario::{load, Sources};
use cellsim_core::sim::{RunOptions, Sim};
use cellsim_core::store::{ObjectKey, ObjectStore};

struct Text(String);

impl Sources for Text {
    fn read(&self, path: &str) -> Result<String, String> {
        (path == "t.yaml")
            .then(|| self.0.clone())
            .ok_or_else(|| "not found".to_string())
    }
}

struct Run {
    /// `(t, type, object, message)`.
    events: Vec<(String, String, String, String)>,
    hpa: Option<HorizontalPodAutoscaler>,
}

/// One node (the image is pulled once: the first pod starts at 2.7 s, later ones 0.7 s after
/// their creation), a Deployment `web` and an HPA `web` on it.
fn run(deployment: &str, hpa: &str, rest: &str) -> Run {
    let text = format!(
        r#"apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {{name: t}}
spec:
  cluster:
    nodePools: [{{name: p, count: 1, allocatable: {{cpu: "64", memory: 256Gi, pods: "110"}}}}]
  objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    spec:
{deployment}
      selector: {{matchLabels: {{app: web}}}}
      template:
        metadata: {{labels: {{app: web}}}}
        spec:
          containers:
          - {{name: c, image: "nginx:1.25", resources: {{requests: {{cpu: 100m, memory: 100Mi}}}}}}
  - apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {{name: web}}
    spec:
{hpa}
{rest}"#
    );
    let sc = load("t.yaml", &Text(text)).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Sim::new(
        sc,
        &RunOptions {
            keep_trace: true,
            ..Default::default()
        },
    );
    sim.run();
    let hpa = match sim.store.get(&ObjectKey::new(
        Kind::HorizontalPodAutoscaler,
        "default",
        "web",
    )) {
        Some(s) => match &s.object {
            Object::HorizontalPodAutoscaler(h) => Some(h.clone()),
            _ => None,
        },
        None => None,
    };
    let trace = String::from_utf8(sim.trace.bytes().to_vec()).unwrap();
    let events = trace
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            (s("t"), s("type"), s("object"), s("message"))
        })
        .filter(|e| e.2 == "HorizontalPodAutoscaler/default/web")
        .collect();
    Run { events, hpa }
}

impl Run {
    /// `"t message"` of every HPA event of this type.
    fn of(&self, kind: &str) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e.1 == kind)
            .map(|e| format!("{} {}", e.0, e.3))
            .collect()
    }

    /// `"status reason"` of an HPA condition at the end.
    fn condition(&self, kind: &str) -> String {
        let h = self.hpa.as_ref().expect("the HPA");
        let c = h
            .status
            .conditions
            .iter()
            .find(|c| c.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} condition: {:#?}", h.status));
        format!("{} {}", c.status, c.reason)
    }
}

const TARGET: &str = "      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n";

fn usage(cpu: &str, memory: &str) -> String {
    format!("  behavior:\n  - {{selector: {{matchLabels: {{app: web}}}}, usage: {{cpu: {cpu}, memory: {memory}}}}}\n")
}

/// cpu at 300% of requests against a 50% target, no behavior (the legacy limits).
/// 15 s: the only pod started at 2.7 s, ready then; its Ready transition (2 s in whole
/// seconds) plus the 15 s metric window is after the sample (15 s): ignored as unready, no
/// metrics left → error. 30 s: ratio 6 → ceil(6 × 1) = 6, limited to max(2 × 1, 4) = 4
/// (`calculateScaleUpLimit`). 45 s: the three new pods started and got ready at 30.7 s (30 s
/// in whole seconds) — 30 + 15 is not after 45, so they count: ceil(6 × 4) = 24 → 8. 60 s:
/// 48 → 16. 75 s: 96 → 32, capped at maxReplicas 20.
#[test]
fn cpu_utilization_scales_up_every_sync_within_the_legacy_limit() {
    let r = run(
        "      replicas: 1",
        &format!("{TARGET}      minReplicas: 1\n      maxReplicas: 20\n      metrics:\n      - {{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}}}"),
        &format!("  duration: 2m\n{}", usage("300m", "10Mi")),
    );
    let why = "reason: cpu resource utilization (percentage of request) above target";
    assert_eq!(
        r.of("SuccessfulRescale"),
        vec![
            format!("30s New size: 4; {why}"),
            format!("45s New size: 8; {why}"),
            format!("1m0s New size: 16; {why}"),
            format!("1m15s New size: 20; {why}"),
        ]
    );
    assert_eq!(
        r.of("FailedGetResourceMetric"),
        vec!["15s failed to get cpu utilization: did not receive metrics for targeted pods (pods might be unready)"]
    );
    assert_eq!(r.condition("ScalingLimited"), "True TooManyReplicas");
    let h = r.hpa.unwrap();
    assert_eq!(h.status.current_replicas, 20);
    assert_eq!(h.status.desired_replicas, 20);
}

/// The usage drops to 20% at 2m: every sync from then on (the one at 2m0s included)
/// recommends ceil(0.4 × 20) = 8, but the 300 s downscale stabilization (`stabilizeRecommendation`)
/// keeps the highest recommendation not before the cutoff now - 300 s: 120 (ceil(6 × 20)),
/// last recorded at 1m45s. At 6m45s the cutoff is 1m45s, not after it: kept; at 7m0s it is
/// gone → New size: 8.
#[test]
fn scale_down_waits_for_the_stabilization_window() {
    let r = run(
        "      replicas: 1",
        &format!("{TARGET}      maxReplicas: 20\n      metrics:\n      - {{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}}}"),
        "  duration: 8m\n  behavior:\n  - {selector: {matchLabels: {app: web}}, usage: {cpu: 300m}, usageAfter: {at: 2m, usage: {cpu: 20m}}}\n",
    );
    let rescales = r.of("SuccessfulRescale");
    assert_eq!(rescales.len(), 5, "{rescales:#?}");
    assert_eq!(
        rescales[4],
        "7m0s New size: 8; reason: All metrics below target"
    );
}

/// memory AverageValue 100Mi at 20Mi a pod, 8 replicas, scale-down behavior 50% per 60 s
/// without stabilization: ratio 0.2 → ceil(0.2 × 8) = 2 at every sync, limited to
/// ceil(periodStart × 0.5): 15 s: 8 → 4; 30 s..1m0s: the 4 removed at 15 s are still in
/// the period (periodStart 8 → 4, no change); 1m15s: the 15 s event is no longer after the
/// cutoff → 4 → 2; 2m15s: 2 → 1 (ceil(0.2 × 2) = 1, minReplicas 1).
#[test]
fn percent_policy_limits_scale_down_per_period() {
    let r = run(
        "      replicas: 8",
        &format!("{TARGET}      maxReplicas: 10\n      metrics:\n      - {{type: Resource, resource: {{name: memory, target: {{type: AverageValue, averageValue: 100Mi}}}}}}\n      behavior:\n        scaleDown:\n          stabilizationWindowSeconds: 0\n          policies: [{{type: Percent, value: 50, periodSeconds: 60}}]"),
        &format!("  duration: 3m\n{}", usage("10m", "20Mi")),
    );
    let why = "reason: All metrics below target";
    assert_eq!(
        r.of("SuccessfulRescale"),
        vec![
            format!("15s New size: 4; {why}"),
            format!("1m15s New size: 2; {why}"),
            format!("2m15s New size: 1; {why}"),
        ]
    );
}

/// selectPolicy Disabled on scale up: the recommendation (ceil(6 × 1) = 6) is limited to
/// the current count; the condition says why.
#[test]
fn disabled_scale_up_never_scales_up() {
    let r = run(
        "      replicas: 1",
        &format!("{TARGET}      maxReplicas: 20\n      metrics:\n      - {{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}}}\n      behavior:\n        scaleUp: {{selectPolicy: Disabled}}"),
        &format!("  duration: 1m\n{}", usage("300m", "10Mi")),
    );
    assert_eq!(r.of("SuccessfulRescale"), Vec::<String>::new());
    assert_eq!(r.condition("ScalingLimited"), "True ScaleUpLimit");
    assert_eq!(r.hpa.unwrap().status.desired_replicas, 1);
}

/// A target scaled to 0 disables autoscaling (minReplicas 1): no metrics are read, no event.
#[test]
fn target_at_zero_replicas_disables_scaling() {
    let r = run(
        "      replicas: 0",
        &format!("{TARGET}      maxReplicas: 20\n      metrics:\n      - {{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}}}"),
        "  duration: 1m\n",
    );
    assert_eq!(r.condition("ScalingActive"), "False ScalingDisabled");
    assert!(r.events.is_empty(), "{:#?}", r.events);
}

/// A missing target: FailedGetScale at every sync (15 s, 30 s, 45 s, 60 s), with the scale
/// client's NotFound text, and AbleToScale False.
#[test]
fn missing_target_is_failed_get_scale() {
    let r = run(
        "      replicas: 1",
        "      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: nope}\n      maxReplicas: 3\n      metrics:\n      - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}",
        "  duration: 1m\n",
    );
    assert_eq!(
        r.of("FailedGetScale"),
        ["15s", "30s", "45s", "1m0s"]
            .iter()
            .map(|t| format!("{t} deployments.apps \"nope\" not found"))
            .collect::<Vec<_>>()
    );
    assert_eq!(r.condition("AbleToScale"), "False FailedGetScale");
}
