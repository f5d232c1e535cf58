//! The cluster autoscaler end to end: expanders, pool bounds, provisioning delay,
//! the scale-down threshold, unneeded time, PodDisruptionBudgets and the pool minimum. Each
//! expected time and count is worked out in the test's comment.

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

/// Run and return the trace lines `(t, type, object, message)`.
fn run(
    seed: u64,
    pools: &str,
    autoscaler: &str,
    objects: &str,
    duration: &str,
) -> Vec<[String; 4]> {
    let text = format!(
        r#"apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {{name: t}}
spec:
  seed: {seed}
  duration: {duration}
  cluster:
    nodePools:
{pools}
  autoscaler: {autoscaler}
  objects:
{objects}"#
    );
    let s = load("t.yaml", &Text(text)).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Sim::new(
        s,
        &RunOptions {
            keep_trace: true,
            ..RunOptions::default()
        },
    );
    sim.run();
    String::from_utf8(sim.trace.bytes().to_vec())
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            [s("t"), s("type"), s("object"), s("message")]
        })
        .collect()
}

fn deployment(replicas: u32, cpu: &str) -> String {
    format!(
        r#"  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    spec:
      replicas: {replicas}
      selector: {{matchLabels: {{app: web}}}}
      template:
        metadata: {{labels: {{app: web}}}}
        spec:
          containers:
          - {{name: c, image: "nginx:1.25", resources: {{requests: {{cpu: "{cpu}", memory: 1Gi}}}}}}
"#
    )
}

fn of<'a>(trace: &'a [[String; 4]], kind: &str) -> Vec<&'a [String; 4]> {
    trace.iter().filter(|e| e[1] == kind).collect()
}

const TWO_POOLS: &str = r#"    - {name: small, count: 1, allocatable: {cpu: "2", memory: 8Gi}, autoscaling: {min: 1, max: 5, priority: 1}}
    - {name: large, count: 0, allocatable: {cpu: "8", memory: 32Gi}, autoscaling: {min: 0, max: 3, priority: 10}}"#;

#[test]
fn the_priority_expander_takes_the_highest_priority_pool() {
    // 6 pods of 1 cpu, 2 fit the first node; 4 pending at the first loop (10s): `large`
    // (priority 10) with one node beats `small` (priority 1) with two.
    let t = run(
        1,
        TWO_POOLS,
        "{expander: priority, scaleDownEnabled: false}",
        &deployment(6, "1"),
        "3m",
    );
    let up = of(&t, "ScaledUpGroup");
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(up[0][0], "10s");
    assert_eq!(
        up[0][3],
        "Scale-up: setting group large size to 1 instead of 0 (max: 3)"
    );
    // Provisioning delay 1m: the node registers at 1m10s.
    let reg = of(&t, "RegisteredNode");
    assert_eq!(
        reg.iter()
            .map(|e| (e[0].as_str(), e[2].as_str()))
            .collect::<Vec<_>>(),
        [("1m10s", "Node/large-0")]
    );
    assert_eq!(of(&t, "TriggeredScaleUp").len(), 4);
}

#[test]
fn the_random_expander_depends_on_the_seed_only() {
    let pools = |seed| {
        let t = run(
            seed,
            TWO_POOLS,
            "{scaleDownEnabled: false}",
            &deployment(6, "1"),
            "30s",
        );
        let up = of(&t, "ScaledUpGroup");
        assert_eq!(up.len(), 1, "seed {seed}");
        up[0][3].clone()
    };
    let picks: Vec<String> = (0..8).map(pools).collect();
    assert_eq!(picks, (0..8).map(pools).collect::<Vec<_>>(), "replayable");
    // Both pools help, and over eight seeds both are chosen.
    assert!(
        picks.iter().any(|p| p.contains("group small size to 3")),
        "{picks:?}"
    );
    assert!(
        picks.iter().any(|p| p.contains("group large size to 1")),
        "{picks:?}"
    );
}

#[test]
fn a_pool_at_its_maximum_does_not_grow() {
    // max 1 = count: nothing helps the 4 pending pods; each is told once.
    let pools = r#"    - {name: small, count: 1, allocatable: {cpu: "2", memory: 8Gi}, autoscaling: {min: 1, max: 1}}"#;
    let t = run(1, pools, "{}", &deployment(6, "1"), "1m");
    assert!(of(&t, "ScaledUpGroup").is_empty());
    assert_eq!(of(&t, "NotTriggerScaleUp").len(), 4);
}

#[test]
fn a_pod_larger_than_any_template_does_not_trigger_a_scale_up() {
    let t = run(1, TWO_POOLS, "{}", &deployment(1, "16"), "1m");
    assert!(of(&t, "ScaledUpGroup").is_empty());
    assert_eq!(of(&t, "NotTriggerScaleUp").len(), 1);
}

const FOUR: &str = r#"    - {name: web, count: 4, allocatable: {cpu: "4", memory: 16Gi}, autoscaling: {min: 1, max: 4}}"#;

#[test]
fn scale_down_waits_the_unneeded_time() {
    // 4 pods of 500m on four 4-cpu nodes (12.5% each). Unneeded from the first loop (10s);
    // with scaleDownUnneededTime 2m the first removal starts at 2m10s; one node per loop.
    let t = run(
        3,
        FOUR,
        "{scaleDownUnneededTime: 2m}",
        &deployment(4, "500m"),
        "5m",
    );
    let marked: Vec<&str> = t
        .iter()
        .filter(|e| e[1] == "ScaleDown" && e[3] == "marked the node as toBeDeleted/unschedulable")
        .map(|e| e[0].as_str())
        .collect();
    assert_eq!(marked.first(), Some(&"2m10s"), "{marked:?}");
    // The pool shrinks to its minimum: 2 cpu of pods fit one node (50% is not under 0.5, but
    // the minimum stops it first: 4 -> 1).
    let removed = t
        .iter()
        .filter(|e| e[1] == "ScaleDown" && e[3] == "node removed by cluster autoscaler")
        .count();
    assert_eq!(removed, 3);
}

#[test]
fn a_disruption_budget_that_allows_nothing_blocks_scale_down() {
    let pdb = r#"  - apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: web}
    spec:
      minAvailable: 4
      selector: {matchLabels: {app: web}}
"#;
    let objects = format!("{}{pdb}", deployment(4, "500m"));
    let t = run(3, FOUR, "{scaleDownUnneededTime: 1m}", &objects, "5m");
    // Every node holds a pod and no pod may go: only empty nodes could be removed, and none is.
    assert!(
        t.iter().all(|e| e[1] != "ScaleDown"),
        "{:?}",
        of(&t, "ScaleDown")
    );
}

#[test]
fn the_pool_minimum_holds() {
    let pools = r#"    - {name: web, count: 4, allocatable: {cpu: "4", memory: 16Gi}, autoscaling: {min: 4, max: 6}}"#;
    let t = run(
        3,
        pools,
        "{scaleDownUnneededTime: 1m}",
        &deployment(4, "500m"),
        "5m",
    );
    assert!(of(&t, "ScaleDown").is_empty());
}

#[test]
fn bad_autoscaling_bounds_are_located() {
    let text = r#"apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 1m
  cluster:
    nodePools:
    - name: p
      count: 5
      allocatable: {cpu: "1"}
      autoscaling: {min: 1, max: 3}
"#;
    let e = load("t.yaml", &Text(text.into())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.yaml:11:20: autoscaling: need min <= count <= max, found min 1, count 5, max 3"
    );
}
