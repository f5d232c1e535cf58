//! Capacity planning end to end (`cellsim_core::plan`): every answer here is worked out by
//! hand in the test's comment — bin-packing bounds, anti-affinity forcing one pod per node,
//! zone and node headroom, expectations that need the peak, Borg compaction along a known
//! removal order, and two scheduler configurations whose packing differs.

use cellsim_core::plan::compaction::shuffled;
use cellsim_core::plan::{
    compact, compare, plan, CompactOptions, Headroom, PlanError, PlanOptions,
};
use cellsim_core::scenario::{load, Scenario, Sources};
use cellsim_core::sched::config::SchedulerConfig;

struct Text(String);

impl Sources for Text {
    fn read(&self, path: &str) -> Result<String, String> {
        (path == "t.yaml")
            .then(|| self.0.clone())
            .ok_or_else(|| "not found".to_string())
    }
}

fn scenario(pools: &str, objects: &str, rest: &str) -> Scenario {
    let text = format!(
        r#"apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {{name: t}}
spec:
  seed: 3
  duration: 2m
  cluster:
    nodePools:
{pools}
  objects:
{objects}
{rest}"#
    );
    load("t.yaml", &Text(text)).unwrap_or_else(|e| panic!("{e}"))
}

/// A Deployment `name` of `replicas` pods requesting `cpu` and `memory`, with extra pod spec
/// lines (indented for the pod spec).
fn deployment(name: &str, replicas: u32, cpu: &str, memory: &str, extra: &str) -> String {
    format!(
        r#"  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: {name}}}
    spec:
      replicas: {replicas}
      selector: {{matchLabels: {{app: {name}}}}}
      template:
        metadata: {{labels: {{app: {name}}}}}
        spec:
{extra}
          containers:
          - {{name: c, image: "nginx:1.25", resources: {{requests: {{cpu: "{cpu}", memory: {memory}}}}}}}
"#
    )
}

fn opts(pool: &str, headroom: Headroom) -> PlanOptions {
    PlanOptions {
        pool: pool.into(),
        headroom,
        seed: None,
    }
}

#[test]
fn the_resource_sum_bound_is_the_answer_when_pods_divide_evenly() {
    // 10 pods of 1 cpu on 4-cpu nodes: ceil(10 / 4) = 3 nodes, and 3 nodes hold 12 cpu.
    let s = scenario(
        r#"    - {name: w, count: 8, allocatable: {cpu: "4", memory: 16Gi}}"#,
        &deployment("web", 10, "1", "1Gi", ""),
        "",
    );
    let r = plan(&s, &opts("w", Headroom::None)).unwrap();
    assert_eq!((r.nodes, r.lower_bound, r.scenario_nodes), (3, 3, 8));
    assert_eq!(r.utilization.cpu, 8333); // 10 of 12 cpu
    assert_eq!(r.utilization.memory, 2083); // 10Gi of 48Gi
    assert!(r.tried.iter().any(|t| t.nodes == 3 && t.fits));
    assert!(r.simulations as usize == r.tried.len());
}

#[test]
fn bin_packing_needs_more_than_the_sum_when_pods_do_not_divide_a_node() {
    // 5 pods of 1500m on 4-cpu nodes: the sum says ceil(7500 / 4000) = 2, but a node holds
    // only two such pods (3000m; a third would need 4500m), so 3 nodes.
    let s = scenario(
        r#"    - {name: w, count: 2, allocatable: {cpu: "4", memory: 16Gi}}"#,
        &deployment("web", 5, "1500m", "1Gi", ""),
        "",
    );
    let r = plan(&s, &opts("w", Headroom::None)).unwrap();
    assert_eq!((r.nodes, r.lower_bound), (3, 2));
    let two = r.tried.iter().find(|t| t.nodes == 2).expect("2 tried");
    assert!(!two.fits);
    assert_eq!(two.reason, "1 pod pending");
}

#[test]
fn required_anti_affinity_forces_one_pod_per_node() {
    // 5 tiny pods that refuse to share a hostname: the resource bound is 1, the answer 5.
    let anti = r#"          affinity:
            podAntiAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
              - labelSelector: {matchLabels: {app: web}}
                topologyKey: kubernetes.io/hostname"#;
    let s = scenario(
        r#"    - {name: w, count: 2, allocatable: {cpu: "8", memory: 32Gi}}"#,
        &deployment("web", 5, "100m", "100Mi", anti),
        "",
    );
    let r = plan(&s, &opts("w", Headroom::None)).unwrap();
    assert_eq!((r.nodes, r.lower_bound), (5, 1));
    // 4 was tried and failed with one pod pending.
    assert!(r.tried.iter().any(|t| t.nodes == 4 && !t.fits));
}

#[test]
fn other_pools_take_their_share_before_the_pool_being_sized() {
    // 12 pods of 1 cpu; pool `fixed` holds 4 of them, so `w` (4-cpu nodes) needs
    // ceil(8 / 4) = 2.
    let s = scenario(
        r#"    - {name: fixed, count: 1, allocatable: {cpu: "4", memory: 16Gi}}
    - {name: w, count: 1, allocatable: {cpu: "4", memory: 16Gi}}"#,
        &deployment("web", 12, "1", "1Gi", ""),
        "",
    );
    let r = plan(&s, &opts("w", Headroom::None)).unwrap();
    assert_eq!((r.nodes, r.lower_bound), (2, 2));
}

fn zoned() -> Scenario {
    // 8 pods of 1 cpu on 2-cpu nodes: 4 nodes, round-robin over zones a, b, c.
    scenario(
        r#"    - {name: w, count: 4, allocatable: {cpu: "2", memory: 8Gi}, zones: [a, b, c]}"#,
        &deployment("web", 8, "1", "1Gi", ""),
        "",
    )
}

#[test]
fn zone_headroom_keeps_enough_nodes_outside_any_one_zone() {
    // With N nodes zone a has ceil(N/3); losing it leaves N - ceil(N/3), which must be >= 4:
    // N = 5 leaves 3, N = 6 leaves 4.
    let r = plan(&zoned(), &opts("w", Headroom::Zone)).unwrap();
    assert_eq!(r.nodes, 6);
    let five = r.tried.iter().find(|t| t.nodes == 5).expect("5 tried");
    assert!(!five.fits);
    assert!(
        five.reason.starts_with("after losing zone a:"),
        "{}",
        five.reason
    );
    // Without headroom: 4.
    assert_eq!(plan(&zoned(), &opts("w", Headroom::None)).unwrap().nodes, 4);
}

#[test]
fn node_headroom_adds_what_may_be_lost() {
    // Losing any 2 of N must leave 4: N = 6; the bound starts the search there.
    let r = plan(&zoned(), &opts("w", Headroom::Nodes { nodes: 2 })).unwrap();
    assert_eq!((r.nodes, r.lower_bound), (6, 6));
    // Each size: the intact run, the two highest-numbered nodes, and two nodes of each
    // zone (a: 3 and 0, b: 4 and 1, c: 5 and 2) — a, b and c differ from {4, 5}.
    assert_eq!(r.tried[0].simulations, 5);
}

#[test]
fn zone_headroom_needs_zones() {
    let s = scenario(
        r#"    - {name: w, count: 1, allocatable: {cpu: "2", memory: 8Gi}}"#,
        &deployment("web", 1, "1", "1Gi", ""),
        "",
    );
    assert_eq!(
        plan(&s, &opts("w", Headroom::Zone)),
        Err(PlanError::TooFewZones {
            pool: "w".into(),
            zones: 0
        })
    );
}

#[test]
fn an_unknown_pool_is_named_with_the_pools_there_are() {
    let e = plan(&zoned(), &opts("nope", Headroom::None)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no node pool \"nope\" in the scenario (pools: w)"
    );
}

#[test]
fn expectations_count_so_a_peak_needs_its_nodes() {
    // 2 pods of 1 cpu, scaled to 6 at 30s and back to 2 at 1m. The end state fits on one
    // 2-cpu node, but `always: pending max 0` needs the peak: 6 cpu = 3 nodes.
    let timeline = r#"  timeline:
  - {at: 30s, scale: {kind: Deployment, name: web, replicas: 6}}
  - {at: 1m, scale: {kind: Deployment, name: web, replicas: 2}}"#;
    let pool = r#"    - {name: w, count: 1, allocatable: {cpu: "2", memory: 8Gi}}"#;
    let with = scenario(
        pool,
        &deployment("web", 2, "1", "1Gi", ""),
        &format!("{timeline}\n  expect:\n  - always: {{pending: {{max: 0}}}}"),
    );
    let without = scenario(pool, &deployment("web", 2, "1", "1Gi", ""), timeline);
    assert_eq!(plan(&with, &opts("w", Headroom::None)).unwrap().nodes, 3);
    assert_eq!(plan(&without, &opts("w", Headroom::None)).unwrap().nodes, 1);
}

#[test]
fn a_workload_that_fits_nowhere_is_an_error_not_an_answer() {
    // A pod bigger than any node of the pool.
    let s = scenario(
        r#"    - {name: w, count: 1, allocatable: {cpu: "2", memory: 8Gi}}"#,
        &deployment("web", 1, "3", "1Gi", ""),
        "",
    );
    // The bound (3 cpu over 2-cpu nodes) is 2; the pending pod's 3 cpu look like 2 more
    // nodes, so galloping tries 4: at twice 2, the same pod is pending with the same message,
    // so growing the pool does not help.
    match plan(&s, &opts("w", Headroom::None)) {
        Err(PlanError::NeverFits {
            pool,
            nodes,
            reason,
        }) => {
            assert_eq!(
                (pool.as_str(), nodes, reason.as_str()),
                ("w", 4, "1 pod pending")
            )
        }
        other => panic!("{other:?}"),
    }
    match compact(&s, &CompactOptions { seeds: 1 }) {
        Err(PlanError::FullClusterDoesNotFit { nodes: 1, reason }) => {
            assert_eq!(reason, "1 pod pending")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn compaction_of_identical_machines_is_the_packing_bound_for_every_seed() {
    // 10 pods of 1 cpu on ten 4-cpu machines: 3 machines whatever the removal order.
    let s = scenario(
        r#"    - {name: w, count: 10, allocatable: {cpu: "4", memory: 16Gi}}"#,
        &deployment("web", 10, "1", "1Gi", ""),
        "",
    );
    let c = compact(&s, &CompactOptions { seeds: 4 }).unwrap();
    assert_eq!((c.machines, c.p90, c.min, c.max), (10, 3, 3, 3));
    assert_eq!(c.p90_of_original, 3000);
    assert_eq!(
        c.trials.iter().map(|t| t.seed).collect::<Vec<_>>(),
        [3, 4, 5, 6]
    );
}

#[test]
fn compaction_follows_the_seeded_removal_order() {
    // Two 8-cpu machines (big-0, big-1) and four 2-cpu ones (small-0..3), 8 pods of 2 cpu:
    // every pod fits any free 2 cpu, so the workload fits while the machines kept offer
    // 16 cpu. Along each seed's order, machines go until the next removal would drop below
    // 16; the answer is worked out here from the same shuffle.
    let s = scenario(
        r#"    - {name: big, count: 2, allocatable: {cpu: "8", memory: 32Gi}}
    - {name: small, count: 4, allocatable: {cpu: "2", memory: 8Gi}}"#,
        &deployment("web", 8, "2", "1Gi", ""),
        "",
    );
    let cpu = |name: &str| if name.starts_with("big") { 8 } else { 2 };
    let c = compact(&s, &CompactOptions { seeds: 11 }).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for t in &c.trials {
        let order = shuffled(s.nodes.len(), t.seed);
        let mut left: i64 = 2 * 8 + 4 * 2;
        let mut kept = s.nodes.len() as u32;
        for &i in &order {
            let c = cpu(&s.nodes[i].metadata.name);
            if left - c < 16 {
                break;
            }
            left -= c;
            kept -= 1;
        }
        assert_eq!(t.machines, kept, "seed {}", t.seed);
        seen.insert(kept);
    }
    // The orders differ enough to give different answers (2 when both big machines stay).
    assert!(seen.len() > 1, "{seen:?}");
    assert_eq!(c.min, *seen.first().unwrap());
    assert_eq!(c.max, *seen.last().unwrap());
}

fn config(yaml: &str) -> SchedulerConfig {
    let docs = cellsim_core::yaml::parse_documents("s.yaml", yaml).unwrap();
    cellsim_core::sched::config::decode("s.yaml", &docs[0]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn compare_shows_most_allocated_packing_what_least_allocated_spreads() {
    // 4 pods of 1 cpu on four 4-cpu nodes. Scoring only NodeResourcesFit: LeastAllocated
    // puts each pod on an empty node (4 used, 25% each); MostAllocated fills one node.
    let s = scenario(
        r#"    - {name: w, count: 4, allocatable: {cpu: "4", memory: 16Gi}, zones: [a, b]}"#,
        &deployment("web", 4, "1", "1Gi", ""),
        "",
    );
    let only_fit = |strategy: &str| {
        config(&format!(
            r#"apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  plugins:
    score:
      disabled: [{{name: "*"}}]
      enabled: [{{name: NodeResourcesFit}}]
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: {strategy}
        resources: [{{name: cpu, weight: 1}}, {{name: memory, weight: 1}}]
"#
        ))
    };
    let r = compare(
        &s,
        &[
            ("least".into(), only_fit("LeastAllocated")),
            ("most".into(), only_fit("MostAllocated")),
        ],
        None,
    );
    let (least, most) = (&r.schedulers[0].packing, &r.schedulers[1].packing);
    assert_eq!((least.nodes_used, most.nodes_used), (4, 1));
    // Same demand, so the same allocation over all nodes: 4 of 16 cpu.
    assert_eq!((least.allocation.cpu, most.allocation.cpu), (2500, 2500));
    assert_eq!(most.allocation_of_used.cpu, 10_000);
    // Spread: zones a and b hold 2 pods each; packed: 4 in zone a.
    assert_eq!((least.zone_skew, most.zone_skew), (0, 4));
    assert_eq!(
        (least.cpu_balance_spread, most.cpu_balance_spread),
        (0, 10_000)
    );
    // Nothing is stranded for a 1-cpu pod (the full node has nothing free).
    assert_eq!((least.stranded.milli_cpu, most.stranded.milli_cpu), (0, 0));
    assert!(r
        .schedulers
        .iter()
        .all(|c| c.fits && c.packing.pending_pods == 0));
}

#[test]
fn a_node_with_only_daemonset_pods_is_not_used() {
    // Three nodes, a DaemonSet pod on each, one Deployment pod: one node used.
    let ds = r#"  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent}
    spec:
      selector: {matchLabels: {app: agent}}
      template:
        metadata: {labels: {app: agent}}
        spec:
          containers:
          - {name: a, image: "agent:1", resources: {requests: {cpu: 100m, memory: 64Mi}}}
"#;
    let s = scenario(
        r#"    - {name: w, count: 3, allocatable: {cpu: "4", memory: 16Gi}}"#,
        &format!("{ds}{}", deployment("web", 1, "1", "1Gi", "")),
        "",
    );
    let r = compare(
        &s,
        &[(
            "default".into(),
            cellsim_core::sched::config::default_config(),
        )],
        None,
    );
    let p = &r.schedulers[0].packing;
    assert_eq!((p.nodes_used, p.nodes), (1, 3));
    // 1100m on the used node of 4 cpu; 1300m of 12 cpu in all.
    assert_eq!((p.allocation_of_used.cpu, p.allocation.cpu), (2750, 1083));
}

#[test]
fn the_bound_leaves_out_what_may_shrink() {
    // `web` (4 × 1 cpu) counts; `batch` is scaled by the timeline and `api` re-applied, so
    // their replicas may not all be there at once; the HPA's target may be scaled down.
    let hpa = r#"  - apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: auto}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: auto}
      minReplicas: 1
      maxReplicas: 10
"#;
    let objects = [
        deployment("web", 4, "1", "1Gi", ""),
        deployment("batch", 8, "1", "1Gi", ""),
        deployment("api", 8, "1", "1Gi", ""),
        deployment("auto", 8, "1", "1Gi", ""),
        hpa.to_string(),
    ]
    .concat();
    let timeline = r#"  timeline:
  - {at: 1m, scale: {kind: Deployment, name: batch, replicas: 1}}
  - at: 1m
    apply:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: api}
      spec:
        replicas: 1
        selector: {matchLabels: {app: api}}
        template:
          metadata: {labels: {app: api}}
          spec:
            containers: [{name: c, image: "nginx:1.25"}]"#;
    let s = scenario(
        r#"    - {name: w, count: 1, allocatable: {cpu: "2", memory: 8Gi}}"#,
        &objects,
        timeline,
    );
    let d = cellsim_core::plan::bounds::steady_demand(&s);
    assert_eq!((d.milli_cpu, d.allowed_pods), (4000, 4));
    assert_eq!(cellsim_core::plan::bounds::lower_bound(&s, 0), 2);
}
