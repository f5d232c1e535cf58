//! Workload controllers end to end, with exact expectations on the trace: the order and time
//! of each controller event (upstream StatefulSet ordering, Job backoff, CronJob times).

use cellsim_core::scenario::{load, Sources};
use cellsim_core::sim::{RunOptions, Sim};

struct Text(String);

impl Sources for Text {
    fn read(&self, path: &str) -> Result<String, String> {
        (path == "t.yaml")
            .then(|| self.0.clone())
            .ok_or_else(|| "not found".to_string())
    }
}

/// Run a scenario (head and cluster added) and return `(t, type, object, message)` of every
/// trace event whose object starts with `prefix`.
fn run(spec: &str, prefix: &str) -> Vec<(String, String, String, String)> {
    let text = format!(
        "apiVersion: cellsim.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  cluster:\n    nodePools: [{{name: p, count: 2, allocatable: {{cpu: \"8\", memory: 32Gi}}}}]\n{spec}"
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
    let trace = String::from_utf8(sim.trace.bytes().to_vec()).unwrap();
    trace
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["object"].as_str().unwrap().starts_with(prefix))
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            (s("t"), s("type"), s("object"), s("message"))
        })
        .collect()
}

fn events(v: &[(String, String, String, String)], kind: &str) -> Vec<(String, String)> {
    v.iter()
        .filter(|e| e.1 == kind)
        .map(|e| (e.0.clone(), e.3.clone()))
        .collect()
}

const STS: &str = r#"
  duration: 2m
  objects:
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: web}
    spec:
      replicas: 3
      podManagementPolicy: POLICY
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - {name: c, image: "nginx:1.25", readinessProbe: {exec: {command: [x]}, periodSeconds: 5}}
  behavior:
  - {selector: {matchLabels: {app: web}}, startupDelay: 1s}
  timeline:
  - {at: 1m, scale: {kind: sts, name: web, replicas: 0}}
"#;

/// OrderedReady: each pod is created when its predecessor is Running and Ready, and scale-down
/// goes from the highest ordinal, each deletion waiting for the previous pod to be gone
/// (200 ms). The kubelet's readiness worker ticks on a grid anchored at the pod's first sync
/// (its creation here, upstream's prober): the probe at the container's start (+2.7s, the
/// manual trigger) fails within the 1s startupDelay, the grid tick 5s after the creation
/// passes.
#[test]
fn statefulset_ordered_ready_creates_and_deletes_one_at_a_time_in_ordinal_order() {
    let v = run(&STS.replace("POLICY", "OrderedReady"), "StatefulSet/");
    let created = events(&v, "SuccessfulCreate");
    assert_eq!(
        created,
        vec![
            (
                "0s".into(),
                "create Pod web-0 in StatefulSet web successful".into()
            ),
            (
                "5s".into(),
                "create Pod web-1 in StatefulSet web successful".into()
            ),
            // web-1 runs on the other node, whose first pull also takes 2s (started at 7.7s,
            // ready at its worker's tick 5s after its creation).
            (
                "10s".into(),
                "create Pod web-2 in StatefulSet web successful".into()
            ),
        ]
    );
    let deleted = events(&v, "SuccessfulDelete");
    assert_eq!(
        deleted,
        vec![
            (
                "1m0s".into(),
                "delete Pod web-2 in StatefulSet web successful".into()
            ),
            (
                "1m0.2s".into(),
                "delete Pod web-1 in StatefulSet web successful".into()
            ),
            (
                "1m0.4s".into(),
                "delete Pod web-0 in StatefulSet web successful".into()
            ),
        ]
    );
}

#[test]
fn statefulset_parallel_creates_and_deletes_at_once() {
    let v = run(&STS.replace("POLICY", "Parallel"), "StatefulSet/");
    let times = |kind| {
        events(&v, kind)
            .into_iter()
            .map(|(t, m)| format!("{t} {m}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        times("SuccessfulCreate"),
        vec![
            "0s create Pod web-0 in StatefulSet web successful",
            "0s create Pod web-1 in StatefulSet web successful",
            "0s create Pod web-2 in StatefulSet web successful",
        ]
    );
    assert_eq!(
        times("SuccessfulDelete"),
        vec![
            "1m0s delete Pod web-2 in StatefulSet web successful",
            "1m0s delete Pod web-1 in StatefulSet web successful",
            "1m0s delete Pod web-0 in StatefulSet web successful",
        ]
    );
}

/// A failing pod is replaced 10s, then 20s, then 40s after each failure (pod runs 5s after
/// a 0.7s start once the image is on the node); backoffLimit 3 → failed after the 4th.
#[test]
fn job_failure_backoff_doubles() {
    let v = run(
        r#"
  duration: 5m
  objects:
  - apiVersion: batch/v1
    kind: Job
    metadata: {name: f}
    spec:
      backoffLimit: 3
      template:
        metadata: {labels: {app: f}}
        spec:
          nodeSelector: {kubernetes.io/hostname: p-0}
          restartPolicy: Never
          containers: [{name: c, image: "busybox:1.36"}]
  behavior:
  - {selector: {matchLabels: {app: f}}, runFor: 5s, exitCode: 1}
"#,
        "Job/",
    );
    let created: Vec<String> = events(&v, "SuccessfulCreate")
        .into_iter()
        .map(|e| e.0)
        .collect();
    // Failures at 7.7s, 23.4s, 49.1s, 1m34.8s; replacements 10s, 20s, 40s later.
    assert_eq!(created, vec!["0s", "17.7s", "43.4s", "1m29.1s"]);
    assert_eq!(
        events(&v, "BackoffLimitExceeded"),
        vec![(
            "1m35.8s".to_string(),
            "Job has reached the specified backoff limit".to_string()
        )]
    );
}

/// A CronJob on `0 * * * *` created at 00:00 first fires at 01:00:00.1 (2026-01-01T01:00Z is
/// Unix minute 29453820), then every hour.
#[test]
fn cronjob_fires_on_schedule() {
    let v = run(
        r#"
  duration: 2h5m
  objects:
  - apiVersion: batch/v1
    kind: CronJob
    metadata: {name: hourly}
    spec:
      schedule: "0 * * * *"
      jobTemplate:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{name: c, image: "busybox:1.36"}]
"#,
        "CronJob/",
    );
    assert_eq!(
        events(&v, "SuccessfulCreate"),
        vec![
            (
                "1h0m0.1s".to_string(),
                "Created job hourly-29453820".to_string()
            ),
            (
                "2h0m0.1s".to_string(),
                "Created job hourly-29453880".to_string()
            ),
        ]
    );
}
