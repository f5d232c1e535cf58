//! (root) `cellsim run --real` feeds the agents' measured usage to the control plane: a real
//! pod burning CPU (throttled at its 200m limit) is recorded at a non-trivial rate from its
//! agent's `usage` messages, and the HorizontalPodAutoscaler scales on it — in the
//! simulation of the same scenario the pod has no usage profile and nothing scales. Nothing
//! is left on the host afterwards.

mod common;

use cellsim_core::scenario::Sources;
use cellsim_node::real::{self, RealOptions};
use std::path::PathBuf;

struct Text(&'static str);

impl Sources for Text {
    fn read(&self, _: &str) -> Result<String, String> {
        Ok(self.0.to_string())
    }
}

const SCENARIO: &str = r#"apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {name: real-usage}
spec:
  seed: 1
  duration: 45s
  cluster:
    nodePools:
    - name: n
      count: 1
      allocatable: {cpu: "2", memory: 1Gi, pods: "10"}
  objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: burn}
    spec:
      replicas: 1
      selector: {matchLabels: {app: burn}}
      template:
        metadata: {labels: {app: burn}}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: c
            image: example/burn:1
            resources:
              requests: {cpu: 100m, memory: 32Mi}
              limits: {cpu: 200m, memory: 64Mi}
  - apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: burn}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burn}
      minReplicas: 1
      maxReplicas: 2
      metrics:
      - type: Resource
        resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  expect:
  - end:
      events: {type: SuccessfulRescale, object: HorizontalPodAutoscaler/default/burn, count: 1}
  real:
    images:
      example/burn:1:
        image: cellsim/busybox:latest
        command: [sh, -c, "while :; do :; done"]
"#;

#[test]
fn measured_usage_reaches_the_hpa() {
    common::require_root();
    let prefix = common::net_prefix("usage");
    let state = PathBuf::from(format!("/tmp/{prefix}"));
    let mut opts = RealOptions::new(
        &prefix,
        state.clone(),
        vec![env!("CARGO_BIN_EXE_cellsim-init").to_string()],
    );
    opts.image_root = common::images_root();
    opts.time_scale = 3;
    opts.keep_trace = true;
    let s = cellsim_core::scenario::load("real-usage.yaml", &Text(SCENARIO)).expect("loads");
    let r = real::run(s, &opts).expect("real run");
    let left = real::leftovers(&prefix, &state);
    assert!(left.is_empty(), "left on the host: {left:#?}");
    assert!(r.errors.is_empty(), "errors: {:?}", r.errors);
    eprintln!("peak usage: {:?}", r.peak_usage);
    // The pods burn up to their 200m limit: well above their 100m request.
    let first = r
        .peak_usage
        .iter()
        .filter(|(k, _)| k.starts_with("default/burn-"))
        .map(|(_, u)| *u)
        .max_by_key(|u| u.milli_cpu)
        .expect("usage recorded for a burn pod");
    assert!(first.milli_cpu >= 100, "{first:?}");
    assert!(first.milli_cpu <= 400, "{first:?}");
    assert!(first.memory > 0, "{first:?}");
    // 200% of the request against a 50% target: the HPA scaled to its maximum.
    let trace = String::from_utf8_lossy(&r.trace);
    assert!(
        trace.contains(r#""type":"SuccessfulRescale""#),
        "no rescale: {trace}"
    );
    for e in &r.report.expectations {
        assert!(e.passed, "{}: {}", e.description, e.detail);
    }
    // The simulation of the same scenario has no usage profile: nothing scales.
    let mut sim = cellsim_core::sim::Sim::new(
        cellsim_core::scenario::load("real-usage.yaml", &Text(SCENARIO)).expect("loads"),
        &cellsim_core::sim::RunOptions::default(),
    );
    while sim.step() {}
    assert!(sim.report().expectations.iter().all(|e| !e.passed));
}
