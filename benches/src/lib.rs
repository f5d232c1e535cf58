//! Synthetic scenarios for the benchmarks (criterion benches live in `benches/`).

/// A scenario of `nodes` nodes (4 CPU / 32Gi / 110 pods, kube-scheduler's SchedulingBasic node
/// shape) and one Deployment of `pods` replicas requesting 100m / 500Mi, scaled down by half at
/// 5m and back up at 10m, for `minutes` simulated minutes.
pub fn churn_scenario(nodes: u32, pods: u32, minutes: u32) -> String {
    format!(
        r#"apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {{name: bench-churn}}
spec:
  seed: 1
  duration: {minutes}m
  cluster:
    nodePools:
    - name: n
      count: {nodes}
      allocatable: {{cpu: "4", memory: 32Gi, pods: "110"}}
      zones: [z1, z2, z3]
  objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: app}}
    spec:
      replicas: {pods}
      selector: {{matchLabels: {{app: app}}}}
      template:
        metadata: {{labels: {{app: app}}}}
        spec:
          containers:
          - name: c
            image: example.com/app:1
            resources: {{requests: {{cpu: 100m, memory: 500Mi}}}}
  timeline:
  - at: 5m
    scale: {{kind: Deployment, name: app, replicas: {half}}}
  - at: 10m
    scale: {{kind: Deployment, name: app, replicas: {pods}}}
"#,
        half = pods / 2
    )
}

/// Sources over one in-memory scenario text.
pub struct OneFile(pub String);

impl cellsim_core::scenario::Sources for OneFile {
    fn read(&self, _path: &str) -> Result<String, String> {
        Ok(self.0.clone())
    }
}
