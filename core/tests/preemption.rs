//! Scenario-level DefaultPreemption: a high-priority pod on a full cluster preempts
//! lower-priority pods, which terminate gracefully; it is then scheduled on the nominated node.
//! Priorities come from PriorityClasses through priority admission.

use cellsim_core::api::Object;
use cellsim_core::scenario::Sources;

struct One(&'static str);

impl Sources for One {
    fn read(&self, path: &str) -> Result<String, String> {
        if path == "preempt.yaml" {
            Ok(self.0.to_string())
        } else {
            Err("no such file".into())
        }
    }
}

const SCENARIO: &str = r#"
apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {name: preempt}
spec:
  seed: 3
  duration: 3m
  scheduler:
    profiles:
    - schedulerName: default-scheduler
      plugins:
        multiPoint:
          disabled: [{name: PodTopologySpread}, {name: InterPodAffinity}]
  cluster:
    nodePools:
    - name: pool
      count: 2
      allocatable: {cpu: "1", memory: 4Gi, pods: "110"}
  objects:
  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: ten}, value: 10}
  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: high}, value: 1000}
  - {apiVersion: v1, kind: Pod, metadata: {name: low-1, labels: {app: low}}, spec: {containers: [{name: c, image: busybox, resources: {requests: {cpu: 800m}}}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: low-2, labels: {app: low}}, spec: {priorityClassName: ten, containers: [{name: c, image: busybox, resources: {requests: {cpu: 800m}}}]}}
  timeline:
  - at: 1m
    apply:
      objects:
      - {apiVersion: v1, kind: Pod, metadata: {name: high}, spec: {priorityClassName: high, containers: [{name: c, image: busybox, resources: {requests: {cpu: 500m}}}]}}
"#;

#[test]
fn high_priority_pod_preempts_lowest_priority_victim() {
    let opts = cellsim_core::sim::RunOptions::default();
    let sim = cellsim_core::run_scenario("preempt.yaml", &One(SCENARIO), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sim.scheduler.stats.preemptions, 1);
    let pods: Vec<_> = sim
        .store
        .objects(cellsim_core::api::Kind::Pod)
        .filter_map(|o| match o {
            Object::Pod(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = pods.iter().map(|p| p.metadata.name.as_str()).collect();
    // The lowest-priority pod was the victim (pickOneNodeForPreemption: lowest highest
    // victim priority) and is gone; the preemptor runs on its node.
    assert!(!names.contains(&"low-1"), "{names:?}");
    let high = pods.iter().find(|p| p.metadata.name == "high").unwrap();
    assert!(!high.spec.node_name.is_empty());
    assert_eq!(high.status.nominated_node_name, high.spec.node_name);
    assert!(pods
        .iter()
        .any(|p| p.metadata.name == "low-2" && !p.spec.node_name.is_empty()));
}

/// Borg (EuroSys 2015, §2.5): production-band pods never preempt one another. The same
/// cluster as above with every pod in the production band: without `spec.borg` the higher one
/// preempts, with it the preemptor stays pending and the message says why.
#[test]
fn borg_forbids_preemption_within_the_production_band() {
    let prod = SCENARIO
        .replace(
            "metadata: {name: ten}, value: 10",
            "metadata: {name: ten}, value: 20000",
        )
        .replace(
            "metadata: {name: high}, value: 1000",
            "metadata: {name: high}, value: 50000",
        )
        .replace(
            "labels: {app: low}}, spec: {containers",
            "labels: {app: low}}, spec: {priorityClassName: ten, containers",
        );
    let opts = cellsim_core::sim::RunOptions::default();
    let plain_text: &'static str = Box::leak(prod.clone().into_boxed_str());
    let plain = cellsim_core::run_scenario("preempt.yaml", &One(plain_text), &opts).unwrap();
    assert_eq!(
        plain.scheduler.stats.preemptions, 1,
        "kube-scheduler preempts a lower-priority pod"
    );
    let borg_text: &'static str = Box::leak(
        prod.replace("  seed: 3\n", "  seed: 3\n  borg: {}\n")
            .into_boxed_str(),
    );
    let sim = cellsim_core::run_scenario("preempt.yaml", &One(borg_text), &opts).unwrap();
    assert_eq!(
        sim.scheduler.stats.preemptions, 0,
        "no victim in the production band"
    );
    let high = sim
        .store
        .objects(cellsim_core::api::Kind::Pod)
        .find_map(|o| match o {
            Object::Pod(p) if p.metadata.name == "high" => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        high.spec.node_name.is_empty(),
        "the production preemptor stays pending"
    );
    assert!(
        high.status
            .unschedulable_message
            .contains("preemption: 0/2 nodes are available"),
        "{}",
        high.status.unschedulable_message
    );
}
