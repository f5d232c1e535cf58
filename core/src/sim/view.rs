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
use crate::collections::{OrdMap, OrdSet};
use crate::sched::Decision;
use crate::store::{ObjectKey, ObjectStore, Stored};
use std::sync::Arc;

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
    /// Pods bound to the node, terminal ones included, in key order (shared with the view
    /// cache: an unchanged pod is not copied from one view to the next).
    pub pods: Vec<Arc<PodView>>,
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

/// Pods by `status.phase`, as the JSON report's `pods` counts them (Unknown counts as
/// pending).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhaseCounts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
}

impl PhaseCounts {
    fn count(&mut self, phase: PodPhase, add: bool) {
        let n = match phase {
            PodPhase::Pending | PodPhase::Unknown => &mut self.pending,
            PodPhase::Running => &mut self.running,
            PodPhase::Succeeded => &mut self.succeeded,
            PodPhase::Failed => &mut self.failed,
        };
        if add {
            *n += 1;
        } else {
            *n -= 1;
        }
    }
}

/// The whole cluster at the simulation's current instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterView {
    /// Nodes in name order (shared with the view cache, which rebuilds only the nodes that
    /// changed).
    pub nodes: Vec<Arc<NodeView>>,
    pub pending: Vec<Arc<PendingView>>,
    /// Every pod (bound or not) by phase.
    pub phases: PhaseCounts,
}

impl ClusterView {
    /// Nodes grouped by (pool, zone), groups in that order, nodes in name order within each.
    pub fn groups(&self) -> OrdMap<(String, String), Vec<&NodeView>> {
        let mut g: OrdMap<(String, String), Vec<&NodeView>> = OrdMap::new();
        for n in &self.nodes {
            g.entry((n.pool.clone(), n.zone.clone()))
                .or_default()
                .push(&**n);
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
type RsWorkloads = OrdMap<(String, String), String>;

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

#[cellsim_derive::hot]
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

/// Changes of the feed `ViewCache::refresh_budget` reads between two questions to its caller.
pub const REFRESH_CHUNK: usize = 64;

/// The ReplicaSets whose workload differs between two maps (created, deleted, owner
/// changed): their pods' views are re-derived even when the pods did not change.
fn changed_rs(old: &RsWorkloads, new: &RsWorkloads) -> OrdSet<(String, String)> {
    let gone = old.iter().filter(|(k, w)| new.get(*k) != Some(*w));
    let came = new.iter().filter(|(k, w)| old.get(*k) != Some(*w));
    gone.chain(came).map(|(k, _)| k.clone()).collect()
}

/// One pod's part of the view, as of the store revision it was built from.
#[derive(Clone, Debug)]
struct CachedPod {
    key: ObjectKey,
    revision: u64,
    view: Arc<PodView>,
    phase: PodPhase,
    node: String,
    terminal: bool,
    /// The ReplicaSet that controls it (namespace, name), whose owner names its workload.
    rs: Option<(String, String)>,
    /// The pod as the pending list shows it, for a pod no node has taken (with the
    /// scheduler's message).
    pending: Option<Arc<PendingView>>,
}

/// One node's part of the view: its pods (by key) and the view built from them and the node
/// object as of `revision`; `dirty` when a pod came, went or changed since.
#[derive(Clone, Debug, Default)]
struct CachedNode {
    pods: OrdMap<ObjectKey, Arc<PodView>>,
    revision: u64,
    built: Option<Arc<NodeView>>,
    dirty: bool,
}

/// The cluster view kept up to date between builds, so a build costs what changed, not the
/// cluster's size. At 1000 nodes / 30,000 pods a build from scratch costs a frame or more in
/// the page (parsing every pod's requests, formatting its key and workload, copying 30,000
/// pod views into per-node lists); with the cache
///
/// - `refresh` reads the store's change feed from where it stopped (the caller holds the
///   log's compaction there: `Sim::feed_hold`, set by `hold_feed`) and re-derives only the
///   pods written since (and, when a ReplicaSet's owner changed, the pods of that
///   ReplicaSet), moving each between its node's pod map and the pending map; when the feed
///   was compacted past its cursor (the first refresh, or nobody held it) it walks every pod
///   instead, comparing revisions;
/// - a build rebuilds only the nodes whose pods or node object changed (the others are
///   shared, `Arc`, with the previous view), and the pending list only when it changed.
///
/// So the page can refresh it after every frame's stepping (the work is that frame's
/// changes) and build the view whenever it likes. The views are equal to a fresh build's
/// (`cluster_view`), checked by the tests.
#[derive(Clone, Debug, Default)]
pub struct ViewCache {
    pods: OrdMap<ObjectKey, CachedPod>,
    rs: RsWorkloads,
    /// By node name: the pods bound to it (terminal ones included), in key order.
    nodes: OrdMap<String, CachedNode>,
    /// Pods no node has taken, not terminal, in key order.
    pending: OrdMap<ObjectKey, Arc<PendingView>>,
    pending_list: Vec<Arc<PendingView>>,
    pending_dirty: bool,
    phases: PhaseCounts,
    /// The store revision read up to; `None` before the first refresh.
    cursor: Option<u64>,
    /// Refreshes that had to walk every pod (the tests check the feed is used).
    walks: u64,
}

impl ViewCache {
    /// Take a pod out of the node and pending maps (it changed or went away).
    fn unplace(&mut self, c: &CachedPod) {
        if c.node.is_empty() {
            if c.pending.is_some() && self.pending.remove(&c.key).is_some() {
                self.pending_dirty = true;
            }
        } else if let Some(n) = self.nodes.get_mut(&c.node) {
            if n.pods.remove(&c.key).is_some() {
                n.dirty = true;
            }
        }
    }

    /// Put a pod into its node's map or the pending map.
    fn place(&mut self, c: &CachedPod) {
        if c.node.is_empty() {
            if let Some(p) = &c.pending {
                self.pending.insert(c.key.clone(), p.clone());
                self.pending_dirty = true;
            }
        } else {
            let n = self.nodes.entry(c.node.clone()).or_default();
            n.pods.insert(c.key.clone(), c.view.clone());
            n.dirty = true;
        }
    }

    /// The store revision the cache has read up to (0 before its first refresh).
    pub fn cursor(&self) -> u64 {
        self.cursor.unwrap_or(0)
    }

    /// Keep the store's change log from being compacted past what this cache has read, so
    /// its next `refresh` reads only the changes (`Sim::feed_hold`).
    pub fn hold_feed(&self, sim: &mut Sim) {
        sim.feed_hold = Some(self.cursor());
    }

    /// Bring the cache up to date with one pod as stored now (`None`: deleted), unless the
    /// cached one is of the same revision and its ReplicaSet's workload did not change.
    #[cellsim_derive::hot]
    fn update_pod(&mut self, key: &ObjectKey, stored: Option<&Stored>, stale: bool) {
        let fresh = match stored {
            Some(st) => match &st.object {
                Object::Pod(p) => Some((st.revision, p)),
                _ => None,
            },
            None => None,
        };
        if let (Some(c), Some((rev, _))) = (self.pods.get(key), fresh) {
            if c.revision == rev && !stale {
                return;
            }
        }
        if let Some(old) = self.pods.remove(key) {
            self.unplace(&old);
            self.phases.count(old.phase, false);
        }
        let Some((revision, p)) = fresh else { return };
        let view = Arc::new(pod_view(&self.rs, p));
        let node = p.spec.node_name.clone();
        let terminal = p.is_terminal();
        let pending = (node.is_empty() && !terminal).then(|| {
            Arc::new(PendingView {
                pod: (*view).clone(),
                message: p.status.unschedulable_message.clone(),
            })
        });
        let c = CachedPod {
            key: key.clone(),
            revision,
            view,
            phase: p.status.phase,
            node,
            terminal,
            rs: p
                .metadata
                .controller_of()
                .filter(|o| o.kind == "ReplicaSet")
                .map(|o| (p.namespace().to_string(), o.name.clone())),
            pending,
        };
        self.place(&c);
        self.phases.count(c.phase, true);
        self.pods.insert(key.clone(), c);
    }

    /// Bring the pods up to date with the store (see the type's documentation).
    pub fn refresh(&mut self, sim: &Sim) {
        self.refresh_budget(sim, &mut || true);
    }

    /// `refresh`, asking `keep_going` every `REFRESH_CHUNK` changes of the feed whether to
    /// go on: false stops it part-way (the cursor where it stopped, the next call goes on
    /// from there). True when the cache is up to date with the store. Stopped part-way, the
    /// cache holds pods of different revisions: build views only from an up-to-date cache.
    pub fn refresh_budget(&mut self, sim: &Sim, keep_going: &mut dyn FnMut() -> bool) -> bool {
        let rev = sim.store.revision();
        let changes = match self.cursor {
            Some(c) if c == rev => return true,
            Some(c) => {
                let ch = sim.store.changes_since(c);
                // Complete when the log still starts right after the cursor.
                ch.first().filter(|f| f.revision == c + 1).map(|_| ch)
            }
            None => None,
        };
        let Some(changes) = changes else {
            self.rebuild(sim);
            self.cursor = Some(rev);
            return true;
        };
        if changes.iter().any(|c| c.key.kind == Kind::ReplicaSet) {
            let rs = rs_workloads(sim);
            if rs != self.rs {
                let changed: OrdSet<(String, String)> = changed_rs(&self.rs, &rs);
                self.rs = rs;
                let stale: Vec<ObjectKey> = self
                    .pods
                    .values()
                    .filter(|c| c.rs.as_ref().is_some_and(|r| changed.contains(r)))
                    .map(|c| c.key.clone())
                    .collect();
                for key in stale {
                    self.update_pod(&key, sim.store.get(&key), true);
                }
            }
        }
        for chunk in changes.chunks(REFRESH_CHUNK) {
            for ch in chunk {
                if ch.key.kind == Kind::Pod {
                    self.update_pod(&ch.key, sim.store.get(&ch.key), false);
                }
            }
            let last = chunk.last().map_or(rev, |c| c.revision);
            self.cursor = Some(last);
            if last < rev && !keep_going() {
                return false;
            }
        }
        self.cursor = Some(rev);
        true
    }

    /// Every pod again (the feed cannot say what changed): a merge walk of the store's pods
    /// and the cached ones, both in key order, keeping a pod whose revision is unchanged.
    fn rebuild(&mut self, sim: &Sim) {
        self.walks += 1;
        let rs = rs_workloads(sim);
        let changed = changed_rs(&self.rs, &rs);
        self.rs = rs;
        let cached: Vec<(ObjectKey, bool)> = self
            .pods
            .values()
            .map(|c| {
                (
                    c.key.clone(),
                    c.rs.as_ref().is_some_and(|r| changed.contains(r)),
                )
            })
            .collect();
        let mut old = cached.into_iter().peekable();
        for (key, stored) in sim.store.list(Kind::Pod) {
            while let Some((gone, _)) = old.next_if(|(k, _)| k < key) {
                self.update_pod(&gone, None, false);
            }
            let stale = old.next_if(|(k, _)| k == key).is_some_and(|(_, s)| s);
            self.update_pod(key, Some(stored), stale);
        }
        for (gone, _) in old {
            self.update_pod(&gone, None, false);
        }
    }

    /// The view from the cache (after `refresh`): the nodes as the store lists them, each
    /// rebuilt only when dirty or written since.
    fn view(&mut self, sim: &Sim) -> ClusterView {
        let mut nodes = Vec::new();
        for (_, stored) in sim.store.list(Kind::Node) {
            let Object::Node(n) = &stored.object else {
                continue;
            };
            let c = self.nodes.entry(n.metadata.name.clone()).or_default();
            let built = match &c.built {
                Some(b) if !c.dirty && c.revision == stored.revision => b.clone(),
                _ => {
                    let b = Arc::new(node_view(n, c.pods.values().cloned().collect()));
                    c.built = Some(b.clone());
                    c.revision = stored.revision;
                    c.dirty = false;
                    b
                }
            };
            nodes.push(built);
        }
        // Nodes that went away with no pods left on them are forgotten.
        self.nodes
            .retain(|name, c| !c.pods.is_empty() || sim.store.get(&node_key(name)).is_some());
        if self.pending_dirty {
            self.pending_list = self.pending.values().cloned().collect();
            self.pending_dirty = false;
        }
        ClusterView {
            nodes,
            pending: self.pending_list.clone(),
            phases: self.phases,
        }
    }
}

fn node_key(name: &str) -> ObjectKey {
    ObjectKey::new(Kind::Node, "", name)
}

fn node_view(n: &crate::api::node::Node, pods: Vec<Arc<PodView>>) -> NodeView {
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
}

impl Sim {
    /// The cluster view at the current instant, built from scratch.
    pub fn cluster_view(&self) -> ClusterView {
        let rs = rs_workloads(self);
        let mut by_node: OrdMap<&str, Vec<Arc<PodView>>> = OrdMap::new();
        let mut pending = Vec::new();
        let mut phases = PhaseCounts::default();
        for o in self.store.objects(Kind::Pod) {
            let Object::Pod(p) = o else { continue };
            phases.count(p.status.phase, true);
            let view = pod_view(&rs, p);
            if p.spec.node_name.is_empty() {
                if !p.is_terminal() {
                    pending.push(Arc::new(PendingView {
                        pod: view,
                        message: p.status.unschedulable_message.clone(),
                    }));
                }
            } else {
                by_node
                    .entry(p.spec.node_name.as_str())
                    .or_default()
                    .push(Arc::new(view));
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
                Arc::new(node_view(n, pods))
            })
            .collect();
        ClusterView {
            nodes,
            pending,
            phases,
        }
    }

    /// The cluster view, re-deriving only what changed since `cache` was last used (the
    /// playground keeps one per run); equal to `cluster_view`.
    pub fn cluster_view_cached(&self, cache: &mut ViewCache) -> ClusterView {
        cache.refresh(self);
        cache.view(self)
    }

    /// Pod counts by state and the cluster's allocatable and requested cpu and memory.
    pub fn cluster_totals(&self) -> ClusterTotals {
        self.cluster_totals_cached(&mut ViewCache::default())
    }

    /// `cluster_totals` through a view cache (see `cluster_view_cached`).
    #[cellsim_derive::hot]
    pub fn cluster_totals_cached(&self, cache: &mut ViewCache) -> ClusterTotals {
        cache.refresh(self);
        let mut t = ClusterTotals::default();
        for c in cache.pods.values() {
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
        let mut workloads = OrdSet::new();
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

    /// A rolling update, a scale-up past capacity, a scale-down, a CronJob's Jobs, a failed
    /// and recovered node, cordon, a node added, a deleted workload: the cache must follow
    /// every kind of change.
    const CHURN: &str = "apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {name: churn}
spec:
  duration: 12m
  cluster:
    nodePools:
    - {name: a, count: 6, allocatable: {cpu: '2', memory: 4Gi, pods: '12'}, zones: [z1, z2, z3]}
  objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 20
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - {name: c, image: nginx, resources: {requests: {cpu: 100m, memory: 100Mi}}}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api}
    spec:
      replicas: 10
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec:
          containers:
          - {name: c, image: api, resources: {requests: {cpu: 300m, memory: 200Mi}}}
  - apiVersion: batch/v1
    kind: CronJob
    metadata: {name: batch}
    spec:
      schedule: '*/2 * * * *'
      jobTemplate:
        spec:
          parallelism: 4
          completions: 4
          template:
            metadata: {labels: {app: batch}}
            spec:
              restartPolicy: Never
              containers:
              - {name: w, image: batch, resources: {requests: {cpu: 200m, memory: 100Mi}}}
  - apiVersion: v1
    kind: Pod
    metadata: {name: broken, labels: {app: broken}}
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: busybox, resources: {requests: {cpu: 100m}}}
  behavior:
  - selector: {matchLabels: {app: batch}}
    runFor: 20s
  - selector: {matchLabels: {app: broken}}
    runFor: 30s
    exitCode: 1
  timeline:
  - at: 60s
    setImage: {kind: Deployment, name: web, container: c, image: nginx:2}
  - at: 150s
    scale: {kind: Deployment, name: api, replicas: 40}
  - at: 200s
    failNode: {node: a-1}
  - at: 260s
    cordon: {node: a-2}
  - at: 300s
    scale: {kind: Deployment, name: api, replicas: 5}
  - at: 360s
    recoverNode: {node: a-1}
  - at: 400s
    addNodes: {pool: a, count: 2}
  - at: 480s
    setImage: {kind: Deployment, name: api, container: c, image: api:2}
  - at: 540s
    delete: {kind: Deployment, name: web}
  - at: 600s
    removeNodes: {names: [a-2]}
";

    #[test]
    fn an_incremental_view_equals_a_fresh_build_after_random_steps() {
        use std::hash::BuildHasher;
        // A random seed each run (printed, and `CELLSIM_VIEW_SEED` replays it): the budgets
        // of the steps and when the views are built, so the cache is updated across every
        // kind of gap (one unit, many instants, part-way through an instant).
        let seed = std::env::var("CELLSIM_VIEW_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| std::collections::hash_map::RandomState::new().hash_one(0u8));
        println!("CELLSIM_VIEW_SEED={seed}");
        let mut x = seed;
        let mut rand = move |n: u64| {
            // splitmix64
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) % n
        };
        let (mut builds, mut nodes_seen, mut max_pending, mut walks) = (0, 0, 0, 0);
        let mut states = OrdSet::new();
        // Runs of the scenario until what is asserted below was covered (at most 20 runs):
        // the draws decide when views are built, so one run can finish after fewer than 50
        // builds (seed 17769618008240494220: 45), never let the feed be compacted past the
        // cache (seed 8744725553835937917: one walk, the first build's), or never build a
        // view while a pod terminates (seed 18169723493936100450).
        let terminal = [PodState::Succeeded, PodState::Failed, PodState::Terminating];
        for _ in 0..20 {
            if builds > 50
                && walks >= 2
                && max_pending > 0
                && terminal.iter().all(|s| states.contains(s))
            {
                break;
            }
            let s = crate::scenario::load("s.yaml", &One(CHURN)).unwrap();
            let mut sim = Sim::new_paused(s, &RunOptions::default());
            let mut cache = ViewCache::default();
            loop {
                let units = [1, 3, 20, 200, 5000][rand(5) as usize];
                let mut finished = false;
                for _ in 0..=rand(4) {
                    let out = sim.step_budget(&mut crate::sim::budget::Budget::new(units));
                    if out == crate::sim::budget::StepOutcome::Finished {
                        finished = true;
                        break;
                    }
                }
                if !finished && rand(4) == 0 {
                    // A refresh stopped part-way (the page's frame budget), then more steps.
                    let mut chunks = 1 + rand(3);
                    cache.refresh_budget(&sim, &mut || {
                        chunks -= 1;
                        chunks > 0
                    });
                    cache.hold_feed(&mut sim);
                    continue;
                }
                if finished || rand(3) > 0 {
                    let fresh = sim.cluster_view();
                    let cached = sim.cluster_view_cached(&mut cache);
                    // Mostly read through the change feed; now and then let it be compacted, so
                    // the walk of every pod is checked too.
                    if rand(8) > 0 {
                        cache.hold_feed(&mut sim);
                    } else {
                        sim.feed_hold = None;
                    }
                    assert_eq!(cached, fresh, "seed {seed} at {}", sim.now);
                    assert_eq!(
                        sim.cluster_totals_cached(&mut cache),
                        sim.cluster_totals(),
                        "seed {seed} at {}",
                        sim.now
                    );
                    builds += 1;
                    nodes_seen = nodes_seen.max(fresh.nodes.len());
                    max_pending = max_pending.max(fresh.pending.len());
                    for n in &fresh.nodes {
                        states.extend(n.pods.iter().map(|p| p.state));
                    }
                }
                if finished {
                    break;
                }
            }
            walks += cache.walks;
        }
        assert!(builds > 50, "seed {seed}: {builds} builds");
        assert!(
            walks > 1 && walks < builds / 2,
            "seed {seed}: {walks} of {builds} builds walked every pod"
        );
        assert_eq!(
            nodes_seen, 8,
            "seed {seed}: the added nodes are in the view"
        );
        assert!(
            max_pending > 0,
            "seed {seed}: the scale-up leaves pods pending"
        );
        assert!(
            terminal.iter().all(|s| states.contains(s)),
            "seed {seed}: {states:?}"
        );
    }
}
