//! Scheduler throughput workloads (upstream scheduler_perf's `SchedulingBasic` shape): a
//! synthetic cluster and pods, scheduled one after another through the full default profile
//! exactly as the simulation schedules them. Timing is the caller's (core reads no clock).

use super::config::default_config;
use super::framework::{PodInfo, Snapshot};
use super::profile::Profile;
use crate::api::node::Node;
use crate::api::pod::{Affinity, Container, Pod, PodAffinity, PodAffinityTerm};
use crate::api::resources::ResourceList;
use crate::api::selector::LabelSelector;
use crate::api::Quantity;
use crate::rng::SimRng;
use sha2::{Digest, Sha256};
use std::rc::Rc;

/// A prepared run: nodes in a snapshot and the pods to place.
pub struct Workload {
    pub snapshot: Snapshot,
    /// Pods placed by `setup` before the measured run (upstream `initPods`).
    pub init_pods: Vec<Rc<PodInfo>>,
    /// The measured pods.
    pub pods: Vec<Rc<PodInfo>>,
    profile: Profile,
    rng: Option<SimRng>,
    start: usize,
}

fn list(cpu: &str, mem: &str, pods: Option<&str>) -> ResourceList {
    let mut r = ResourceList::new();
    r.insert("cpu".into(), Quantity::parse(cpu).expect("valid"));
    r.insert("memory".into(), Quantity::parse(mem).expect("valid"));
    if let Some(p) = pods {
        r.insert("pods".into(), Quantity::parse(p).expect("valid"));
    }
    r
}

/// SchedulingBasic: nodes of 4 CPU / 32Gi / 110 pods (three zones), pods requesting
/// 100m / 500Mi (scheduler_perf's `node-default.yaml` and `pod-default.yaml`).
pub fn scheduling_basic(nodes: usize, pods: usize) -> Workload {
    let mut snapshot = Snapshot::default();
    let mut all = Vec::with_capacity(nodes);
    for i in 0..nodes {
        let mut n = Node::default();
        n.metadata.name = format!("node-{i}");
        n.metadata
            .labels
            .insert("kubernetes.io/hostname".into(), n.metadata.name.clone());
        n.metadata.labels.insert(
            "topology.kubernetes.io/zone".into(),
            format!("zone-{}", i % 3),
        );
        n.status.allocatable = list("4", "32Gi", Some("110"));
        n.status.capacity = n.status.allocatable.clone();
        all.push(n);
    }
    snapshot.add_nodes(all);
    let pods = (0..pods)
        .map(|i| {
            let mut p = Pod::default();
            p.metadata.name = format!("pod-{i}");
            p.metadata.namespace = "sched-0".into();
            p.metadata.labels.insert("name".into(), "sched-perf".into());
            p.spec.containers.push(Container {
                name: "pause".into(),
                image: "registry.k8s.io/pause:3.10".into(),
                resources: crate::api::resources::ResourceRequirements {
                    requests: list("100m", "500Mi", None),
                    limits: Default::default(),
                },
                ..Default::default()
            });
            Rc::new(PodInfo::new(&p))
        })
        .collect();
    Workload::new(snapshot, Vec::new(), pods)
}

/// SchedulingPodAntiAffinity (upstream scheduler_perf, `pod-with-pod-anti-affinity.yaml`):
/// the SchedulingBasic nodes, and pods labelled `color: green` that each require pod
/// anti-affinity on `kubernetes.io/hostname` against `color: green` pods in namespaces
/// `sched-0` and `sched-1` (at most one per node). `init_pods` go to `sched-0` and are placed
/// by `setup`; the measured `pods` go to `sched-1`.
pub fn pod_anti_affinity(nodes: usize, init_pods: usize, pods: usize) -> Workload {
    let basic = scheduling_basic(nodes, 0);
    let make = |ns: &str, i: usize| {
        let mut p = Pod::default();
        p.metadata.name = format!("anti-affinity-pod-{i}");
        p.metadata.namespace = ns.into();
        p.metadata.labels.insert("color".into(), "green".into());
        p.metadata.labels.insert("name".into(), "test".into());
        let term = PodAffinityTerm {
            label_selector: Some(LabelSelector {
                match_labels: [("color".to_string(), "green".to_string())].into(),
                ..Default::default()
            }),
            namespaces: vec!["sched-1".into(), "sched-0".into()],
            topology_key: "kubernetes.io/hostname".into(),
            ..Default::default()
        };
        p.spec.affinity = Some(Affinity {
            pod_anti_affinity: Some(PodAffinity {
                required_during_scheduling_ignored_during_execution: vec![term],
                ..Default::default()
            }),
            ..Default::default()
        });
        p.spec.containers.push(Container {
            name: "pause".into(),
            image: "registry.k8s.io/pause:3.10".into(),
            resources: crate::api::resources::ResourceRequirements {
                requests: list("100m", "500Mi", None),
                limits: list("100m", "500Mi", None),
            },
            ..Default::default()
        });
        Rc::new(PodInfo::new(&p))
    };
    let init = (0..init_pods).map(|i| make("sched-0", i)).collect();
    let measured = (0..pods).map(|i| make("sched-1", i)).collect();
    Workload::new(basic.snapshot, init, measured)
}

/// What a run decided.
pub struct Outcome {
    pub scheduled: usize,
    pub unschedulable: usize,
    /// sha256 of every "pod node" line in order: equal hashes mean identical decisions.
    pub placements_sha256: String,
}

impl Workload {
    fn new(snapshot: Snapshot, init_pods: Vec<Rc<PodInfo>>, pods: Vec<Rc<PodInfo>>) -> Workload {
        let profile =
            Profile::build(&default_config().profiles[0]).expect("default profile builds");
        Workload {
            snapshot,
            init_pods,
            pods,
            profile,
            rng: None,
            start: 0,
        }
    }

    /// Evaluate every plugin on every node each cycle (no cycle cache); decisions are the
    /// same either way.
    pub fn set_full_eval(&mut self, on: bool) {
        self.profile.set_cache_enabled(!on);
    }

    /// (hits, misses) of the cycle cache so far.
    pub fn cache_stats(&self) -> (u64, u64) {
        self.profile.cache_stats()
    }

    /// Seed the tie-breaking generator and place the `init_pods` (not measured). `run` calls
    /// it when it has not been called.
    pub fn setup(&mut self, seed: u64) -> Outcome {
        self.rng = Some(SimRng::new(seed));
        let pods = std::mem::take(&mut self.init_pods);
        let out = self.place(&pods);
        self.init_pods = pods;
        out
    }

    /// Schedule every measured pod in order (each cycle sees the previous placements), with
    /// `seed` for tie-breaking.
    pub fn run(&mut self, seed: u64) -> Outcome {
        if self.rng.is_none() {
            self.setup(seed);
        }
        let pods = std::mem::take(&mut self.pods);
        let out = self.place(&pods);
        self.pods = pods;
        out
    }

    fn place(&mut self, pods: &[Rc<PodInfo>]) -> Outcome {
        let mut rng = self.rng.take().expect("seeded");
        let mut hasher = Sha256::new();
        let (mut scheduled, mut unschedulable) = (0, 0);
        for pod in pods {
            let r = self
                .profile
                .schedule(pod, &self.snapshot, None, self.start, &mut |n| rng.below(n));
            if !self.snapshot.nodes.is_empty() {
                self.start = (self.start + r.processed) % self.snapshot.nodes.len();
            }
            hasher.update(pod.key.as_bytes());
            match r.chosen {
                Some(i) => {
                    let node = self.snapshot.nodes[i].name.clone();
                    hasher.update(b" ");
                    hasher.update(node.as_bytes());
                    hasher.update(b"\n");
                    self.snapshot.add_pod(&node, pod.clone());
                    scheduled += 1;
                }
                None => {
                    hasher.update(b" -\n");
                    unschedulable += 1;
                }
            }
        }
        self.rng = Some(rng);
        let placements_sha256 = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Outcome {
            scheduled,
            unschedulable,
            placements_sha256,
        }
    }
}
