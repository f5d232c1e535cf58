//! Read-only views of a running simulation for front ends (the playground): the cluster as
//! nodes grouped by pool and zone with their allocation and pods, the pending pods with the
//! scheduler's message, and the recorded scheduling decisions of one pod.
//!
//! Nothing here changes the simulation; building a view walks the store in key order, so it is
//! as deterministic as the store itself.

use super::Sim;
use crate::api::pod::{Pod, PodPhase};
use crate::api::resources::{Resources, CPU, MEMORY, PODS};
use crate::api::{Kind, Object};
use crate::sched::Decision;
use crate::store::{ObjectKey, ObjectStore};
use std::collections::BTreeMap;

/// The label `scenario::load` puts on every pool node.
pub const POOL_LABEL: &str = "cellsim.dev/pool";
/// The well-known zone label.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// What a pod is doing, as a person reading `kubectl get pods` would put it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodState {
    /// Not bound to a node yet.
    Pending,
    /// Bound; its containers are not all running yet (pulling, creating, starting).
    Creating,
    /// Running (ready or not).
    Running,
    /// Being deleted gracefully.
    Terminating,
    Succeeded,
    Failed,
}

impl PodState {
    pub fn of(p: &Pod) -> PodState {
        if p.metadata.deletion_at.is_some() && !p.is_terminal() {
            return PodState::Terminating;
        }
        match p.status.phase {
            PodPhase::Succeeded => PodState::Succeeded,
            PodPhase::Failed => PodState::Failed,
            PodPhase::Running => PodState::Running,
            PodPhase::Pending | PodPhase::Unknown => {
                if p.spec.node_name.is_empty() {
                    PodState::Pending
                } else {
                    PodState::Creating
                }
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PodState::Pending => "pending",
            PodState::Creating => "creating",
            PodState::Running => "running",
            PodState::Terminating => "terminating",
            PodState::Succeeded => "succeeded",
            PodState::Failed => "failed",
        }
    }
}

/// One pod as the cluster view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodView {
    /// `namespace/name`.
    pub key: String,
    /// The workload it belongs to: `Deployment/web`, `StatefulSet/db`, `Job/x`, ... (a
    /// ReplicaSet owned by a Deployment counts as the Deployment), or `Pod/name` for a bare pod.
    pub workload: String,
    pub state: PodState,
    pub ready: bool,
    pub restarts: i32,
    pub milli_cpu: i64,
    pub memory: i64,
}

/// One node with its allocation (requests of its non-terminal pods) and pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub name: String,
    /// The `cellsim.dev/pool` label, or empty for a verbatim node.
    pub pool: String,
    /// The zone label, or empty.
    pub zone: String,
    pub ready: bool,
    pub unschedulable: bool,
    pub alloc_milli_cpu: i64,
    pub alloc_memory: i64,
    pub alloc_pods: i64,
    pub req_milli_cpu: i64,
    pub req_memory: i64,
    /// Pods bound to the node, terminal ones included, in key order.
    pub pods: Vec<PodView>,
}

impl NodeView {
    /// Non-terminal pods on the node (what counts against its `pods` allocatable).
    pub fn active_pods(&self) -> i64 {
        self.pods
            .iter()
            .filter(|p| !matches!(p.state, PodState::Succeeded | PodState::Failed))
            .count() as i64
    }
}

/// A pod no node has taken, with the scheduler's last message (upstream's FailedScheduling
/// text), empty before its first attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingView {
    pub pod: PodView,
    pub message: String,
}

/// The whole cluster at the simulation's current instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterView {
    /// Nodes in name order.
    pub nodes: Vec<NodeView>,
    pub pending: Vec<PendingView>,
}

impl ClusterView {
    /// Nodes grouped by (pool, zone), groups in that order, nodes in name order within each.
    pub fn groups(&self) -> BTreeMap<(String, String), Vec<&NodeView>> {
        let mut g: BTreeMap<(String, String), Vec<&NodeView>> = BTreeMap::new();
        for n in &self.nodes {
            g.entry((n.pool.clone(), n.zone.clone()))
                .or_default()
                .push(n);
        }
        g
    }
}

/// Counts and totals over the cluster for charts: cheap enough to take at every sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterTotals {
    pub pending: u64,
    pub creating: u64,
    pub running: u64,
    pub terminating: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub nodes: u64,
    pub ready_nodes: u64,
    pub alloc_milli_cpu: i64,
    pub alloc_memory: i64,
    pub req_milli_cpu: i64,
    pub req_memory: i64,
}

/// The workload a ReplicaSet's pods belong to: its controller (`Deployment/web`), else itself.
type RsWorkloads = BTreeMap<(String, String), String>;

fn rs_workloads(sim: &Sim) -> RsWorkloads {
    sim.store
        .list(Kind::ReplicaSet)
        .map(|(k, s)| {
            let w = match s.object.meta().controller_of() {
                Some(d) => format!("{}/{}", d.kind, d.name),
                None => format!("ReplicaSet/{}", k.name),
            };
            ((k.namespace.clone(), k.name.clone()), w)
        })
        .collect()
}

fn workload_of(rs: &RsWorkloads, p: &Pod) -> String {
    let Some(owner) = p.metadata.controller_of() else {
        return format!("Pod/{}", p.metadata.name);
    };
    if owner.kind == "ReplicaSet" {
        let k = (p.namespace().to_string(), owner.name.clone());
        if let Some(w) = rs.get(&k) {
            return w.clone();
        }
    }
    format!("{}/{}", owner.kind, owner.name)
}

fn pod_view(rs: &RsWorkloads, p: &Pod) -> PodView {
    let r: Resources = p.requests();
    PodView {
        key: p.key(),
        workload: workload_of(rs, p),
        state: PodState::of(p),
        ready: p.status.ready,
        restarts: p
            .status
            .container_statuses
            .iter()
            .map(|c| c.restart_count)
            .sum(),
        milli_cpu: r.milli_cpu,
        memory: r.memory,
    }
}

fn quantity(n: &crate::api::node::Node, name: &str, milli: bool) -> i64 {
    n.allocatable()
        .get(name)
        .map_or(0, |q| if milli { q.milli_value() } else { q.value() })
}

/// One pod's part of the view, as of the store revision it was built from.
#[derive(Clone, Debug)]
struct CachedPod {
    key: ObjectKey,
    revision: u64,
    view: PodView,
    node: String,
    terminal: bool,
    /// The scheduler's message, for a pod no node has taken.
    message: String,
}

/// What the last view build derived from each pod, so the next build redoes only the pods
/// that changed since (a pod's view depends on the pod and, for its workload, on the
/// ReplicaSets' owners, compared whole). At 1000 nodes / 30,000 pods a full build costs a
/// frame or more (parsing every pod's requests, formatting its key and workload); with the
/// cache a build re-derives only the pods written since the last one. The views are equal to
/// a fresh build's (`cluster_view`), checked by the tests.
#[derive(Clone, Debug, Default)]
pub struct ViewCache {
    /// In store key order.
    pods: Vec<CachedPod>,
    rs: RsWorkloads,
}

impl ViewCache {
    /// Bring the pods up to date with the store: one merge walk of the store's pods (key
    /// order) and the cached ones; a pod whose revision is unchanged is kept as it was.
    fn refresh(&mut self, sim: &Sim) {
        let rs = rs_workloads(sim);
        let keep = rs == self.rs;
        self.rs = rs;
        let mut old = std::mem::take(&mut self.pods).into_iter().peekable();
        let mut pods = Vec::with_capacity(old.len());
        for (key, stored) in sim.store.list(Kind::Pod) {
            let Object::Pod(p) = &stored.object else {
                continue;
            };
            while old.peek().is_some_and(|c| c.key < *key) {
                old.next();
            }
            if let Some(c) = old.next_if(|c| c.key == *key) {
                if keep && c.revision == stored.revision {
                    pods.push(c);
                    continue;
                }
            }
            pods.push(CachedPod {
                key: key.clone(),
                revision: stored.revision,
                view: pod_view(&self.rs, p),
                node: p.spec.node_name.clone(),
                terminal: p.is_terminal(),
                message: p.status.unschedulable_message.clone(),
            });
        }
        self.pods = pods;
    }
}

impl Sim {
    /// The cluster view at the current instant.
    pub fn cluster_view(&self) -> ClusterView {
        self.cluster_view_cached(&mut ViewCache::default())
    }

    /// The cluster view, re-deriving only the pods changed since `cache` was last used (the
    /// playground keeps one per run).
    pub fn cluster_view_cached(&self, cache: &mut ViewCache) -> ClusterView {
        cache.refresh(self);
        let mut by_node: BTreeMap<&str, Vec<PodView>> = BTreeMap::new();
        let mut pending = Vec::new();
        for c in &cache.pods {
            if c.node.is_empty() {
                if !c.terminal {
                    pending.push(PendingView {
                        pod: c.view.clone(),
                        message: c.message.clone(),
                    });
                }
            } else {
                by_node
                    .entry(c.node.as_str())
                    .or_default()
                    .push(c.view.clone());
            }
        }
        let nodes = self
            .store
            .objects(Kind::Node)
            .filter_map(|o| match o {
                Object::Node(n) => Some(n),
                _ => None,
            })
            .map(|n| {
                let pods = by_node.remove(n.metadata.name.as_str()).unwrap_or_default();
                let active = pods
                    .iter()
                    .filter(|p| !matches!(p.state, PodState::Succeeded | PodState::Failed));
                let (cpu, mem) = active.fold((0i64, 0i64), |(c, m), p| {
                    (c.saturating_add(p.milli_cpu), m.saturating_add(p.memory))
                });
                NodeView {
                    name: n.metadata.name.clone(),
                    pool: n
                        .metadata
                        .labels
                        .get(POOL_LABEL)
                        .cloned()
                        .unwrap_or_default(),
                    zone: n
                        .metadata
                        .labels
                        .get(ZONE_LABEL)
                        .cloned()
                        .unwrap_or_default(),
                    ready: n.is_ready(),
                    unschedulable: n.spec.unschedulable,
                    alloc_milli_cpu: quantity(n, CPU, true),
                    alloc_memory: quantity(n, MEMORY, false),
                    alloc_pods: quantity(n, PODS, false),
                    req_milli_cpu: cpu,
                    req_memory: mem,
                    pods,
                }
            })
            .collect();
        ClusterView { nodes, pending }
    }

    /// Pod counts by state and the cluster's allocatable and requested cpu and memory.
    pub fn cluster_totals(&self) -> ClusterTotals {
        self.cluster_totals_cached(&mut ViewCache::default())
    }

    /// `cluster_totals` through a view cache (see `cluster_view_cached`).
    pub fn cluster_totals_cached(&self, cache: &mut ViewCache) -> ClusterTotals {
        cache.refresh(self);
        let mut t = ClusterTotals::default();
        for c in &cache.pods {
            match c.view.state {
                PodState::Pending => t.pending += 1,
                PodState::Creating => t.creating += 1,
                PodState::Running => t.running += 1,
                PodState::Terminating => t.terminating += 1,
                PodState::Succeeded => t.succeeded += 1,
                PodState::Failed => t.failed += 1,
            }
            if !c.node.is_empty() && !c.terminal {
                t.req_milli_cpu = t.req_milli_cpu.saturating_add(c.view.milli_cpu);
                t.req_memory = t.req_memory.saturating_add(c.view.memory);
            }
        }
        for o in self.store.objects(Kind::Node) {
            let Object::Node(n) = o else { continue };
            t.nodes += 1;
            if n.is_ready() {
                t.ready_nodes += 1;
            }
            t.alloc_milli_cpu = t.alloc_milli_cpu.saturating_add(quantity(n, CPU, true));
            t.alloc_memory = t.alloc_memory.saturating_add(quantity(n, MEMORY, false));
        }
        t
    }

    /// The recorded scheduling attempts of one pod (`namespace/name`), oldest first; empty
    /// unless the run records decisions (`RunOptions::explain`).
    pub fn decisions_of<'a>(&'a self, pod: &'a str) -> impl Iterator<Item = &'a Decision> + 'a {
        self.scheduler
            .decisions
            .iter()
            .filter(move |d| d.pod == pod)
    }

    /// Whether scheduling decisions are being recorded.
    pub fn explains(&self) -> bool {
        self.scheduler.explain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Sources;
    use crate::sim::RunOptions;

    struct One(&'static str);
    impl Sources for One {
        fn read(&self, _: &str) -> Result<String, String> {
            Ok(self.0.to_string())
        }
    }

    const SCENARIO: &str = "apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {name: v}
spec:
  duration: 2m
  cluster:
    nodePools:
    - {name: a, count: 2, allocatable: {cpu: '1', memory: 1Gi}, zones: [z1, z2]}
  objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 3
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - {name: c, image: nginx, resources: {requests: {cpu: 600m, memory: 100Mi}}}
";

    #[test]
    fn the_view_groups_nodes_sums_requests_and_lists_pending_pods_with_their_message() {
        let s = crate::scenario::load("s.yaml", &One(SCENARIO)).unwrap();
        let opts = RunOptions {
            explain: true,
            ..Default::default()
        };
        let mut sim = Sim::new(s, &opts);
        sim.run();
        let v = sim.cluster_view();
        assert_eq!(v.nodes.len(), 2);
        let g = v.groups();
        assert_eq!(
            g.keys().cloned().collect::<Vec<_>>(),
            vec![
                ("a".to_string(), "z1".to_string()),
                ("a".into(), "z2".into())
            ]
        );
        for n in &v.nodes {
            assert_eq!(n.alloc_milli_cpu, 1000);
            assert_eq!(n.alloc_pods, 110);
            assert_eq!(n.pods.len(), 1, "{n:?}");
            assert_eq!(n.req_milli_cpu, 600);
            assert_eq!(n.req_memory, 100 * 1024 * 1024);
            assert_eq!(n.pods[0].workload, "Deployment/web");
            assert_eq!(n.pods[0].state, PodState::Running);
        }
        assert_eq!(v.pending.len(), 1);
        assert!(
            v.pending[0].message.contains("Insufficient cpu"),
            "{:?}",
            v.pending[0]
        );
        let t = sim.cluster_totals();
        assert_eq!((t.running, t.pending, t.nodes, t.ready_nodes), (2, 1, 2, 2));
        let mut cache = ViewCache::default();
        assert_eq!(sim.cluster_view_cached(&mut cache), v);
        assert_eq!(sim.cluster_totals_cached(&mut cache), t);
        assert_eq!((t.req_milli_cpu, t.alloc_milli_cpu), (1200, 2000));
        let pending = v.pending[0].pod.key.clone();
        let ds: Vec<_> = sim.decisions_of(&pending).collect();
        assert!(!ds.is_empty());
        assert!(ds.iter().all(|d| d.node.is_none() && d.filtered.len() == 2));
        assert!(sim.explains());
    }

    #[test]
    fn a_cached_view_equals_a_fresh_one_at_every_instant_of_a_rollout() {
        // A rolling update (new ReplicaSet, pods replaced), a scale-down, a bare pod.
        let text = SCENARIO.replace("  - apiVersion: apps/v1", "  - apiVersion: v1\n    kind: Pod\n    metadata: {name: bare}\n    spec:\n      containers:\n      - {name: c, image: nginx, resources: {requests: {cpu: 100m}}}\n  - apiVersion: apps/v1")
            + "  timeline:\n  - at: 20s\n    setImage: {kind: Deployment, name: web, container: c, image: nginx:2}\n  - at: 60s\n    scale: {kind: Deployment, name: web, replicas: 1}\n";
        let text: &'static str = Box::leak(text.into_boxed_str());
        let s = crate::scenario::load("s.yaml", &One(text)).unwrap();
        let mut sim = Sim::new_paused(s, &RunOptions::default());
        let mut cache = ViewCache::default();
        let mut workloads = std::collections::BTreeSet::new();
        let mut checked = 0;
        loop {
            let out = sim.step_budget(&mut crate::sim::budget::Budget::new(3));
            let fresh = sim.cluster_view();
            assert_eq!(sim.cluster_view_cached(&mut cache), fresh, "at {}", sim.now);
            assert_eq!(
                sim.cluster_totals_cached(&mut cache),
                sim.cluster_totals(),
                "at {}",
                sim.now
            );
            for n in &fresh.nodes {
                workloads.extend(n.pods.iter().map(|p| p.workload.clone()));
            }
            checked += 1;
            if out == crate::sim::budget::StepOutcome::Finished {
                break;
            }
        }
        assert!(checked > 20, "{checked}");
        assert_eq!(
            workloads.into_iter().collect::<Vec<_>>(),
            ["Deployment/web", "Pod/bare"]
        );
    }
}
