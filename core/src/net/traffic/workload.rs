//! The traffic benchmark's workload (`cellsim bench traffic`, the criterion `traffic` bench):
//! `pods` replicas behind one Service on `pods / 10` nodes, each serving up to 400
//! requests/s in 20ms, with `rps` requests per second for `minutes` simulated minutes (after
//! a one-minute start), and a rolling update in the middle — so proxy views, readiness and
//! terminations change under load, as in a real rollout.

/// The scenario's YAML.
pub fn scenario(pods: u32, rps: u64, minutes: u32) -> String {
    let nodes = pods.div_ceil(10).max(1);
    let total = minutes + 1;
    let rollout = 1 + minutes / 2;
    format!(
        r#"apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {{name: bench-traffic}}
spec:
  seed: 1
  duration: {total}m
  cluster:
    nodePools:
    - name: n
      count: {nodes}
      allocatable: {{cpu: "16", memory: 64Gi, pods: "110"}}
  objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    spec:
      replicas: {pods}
      selector: {{matchLabels: {{app: web}}}}
      strategy: {{rollingUpdate: {{maxSurge: 10%, maxUnavailable: 0}}}}
      template:
        metadata: {{labels: {{app: web}}}}
        spec:
          containers:
          - name: web
            image: example.com/web:1
            ports: [{{containerPort: 8080}}]
            readinessProbe: {{httpGet: {{path: /, port: 8080}}}}
            lifecycle: {{preStop: {{sleep: {{seconds: 3}}}}}}
  - apiVersion: v1
    kind: Service
    metadata: {{name: web}}
    spec:
      selector: {{app: web}}
      ports: [{{port: 80, targetPort: 8080}}]
  behavior:
  - selector: {{matchLabels: {{app: web}}}}
    startupDelay: 2s
    capacityRps: 400
    latency: 20ms
  traffic:
  - {{service: web, rps: {rps}, from: 1m, clients: 10000}}
  timeline:
  - at: {rollout}m
    setImage: {{kind: Deployment, name: web, container: web, image: example.com/web:2}}
"#
    )
}
