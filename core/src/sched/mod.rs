//! The scheduler: queue → filter → score → select → bind, over a cache fed by the change feed.
//!
//! This is the thin pipeline of the foundation (filters NodeUnschedulable, NodeName,
//! TaintToleration, NodeAffinity, NodeResourcesFit; score NodeResourcesFit/LeastAllocated);
//! the scheduler issue replaces it with the full framework. The seams stay: the cache, the
//! queue, `Decision` for `--explain`, and upstream's message shapes.

pub mod cache;
pub mod filter;
pub mod queue;
pub mod score;

use crate::api::pod::Pod;
use crate::api::{Kind, Object};
use crate::sim::ctx::{Ctx, Wake};
use crate::store::{ChangeType, ObjectKey, ObjectStore};
use crate::time::SimTime;
use cache::{Cache, PodRequests};
use queue::SchedulingQueue;
use serde::Serialize;
use std::collections::BTreeMap;

/// Upstream's default scheduler name.
pub const DEFAULT_SCHEDULER: &str = "default-scheduler";

/// One scheduling attempt, for `--explain`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Decision {
    pub pod: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub at: SimTime,
    pub filtered: BTreeMap<String, String>,
    pub scores: BTreeMap<String, BTreeMap<String, i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct SchedulingStats {
    pub attempts: u64,
    pub scheduled: u64,
    pub unschedulable: u64,
    pub preemptions: u64,
}

#[derive(Default)]
pub struct Scheduler {
    pub cursor: u64,
    cache: Cache,
    queue: SchedulingQueue,
    pub stats: SchedulingStats,
    pub explain: bool,
    pub decisions: Vec<Decision>,
    /// The wake-up already requested, to avoid flooding the event queue.
    requested_wake: Option<SimTime>,
}

fn responsible(p: &Pod) -> bool {
    p.spec.scheduler_name.is_empty() || p.spec.scheduler_name == DEFAULT_SCHEDULER
}

impl Scheduler {
    pub fn new(explain: bool) -> Scheduler {
        Scheduler {
            explain,
            ..Default::default()
        }
    }

    /// Consume the change feed, then schedule every pod in activeQ.
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let mut cluster_event = false;
        for c in ctx.store.changes_since(self.cursor).to_vec() {
            match c.key.kind {
                Kind::Node => {
                    cluster_event = true;
                    match ctx.store.get(&c.key).map(|s| &s.object) {
                        Some(Object::Node(n)) => self.cache.set_node(n.clone()),
                        _ => self.cache.remove_node(&c.key.name),
                    }
                }
                Kind::Pod => {
                    let pk = format!("{}/{}", c.key.namespace, c.key.name);
                    match ctx.store.get(&c.key).map(|s| &s.object) {
                        Some(Object::Pod(p)) => {
                            if p.is_terminal() {
                                if self.cache.is_placed(&pk) {
                                    self.cache.remove_pod(&pk);
                                    cluster_event = true;
                                }
                                self.queue.forget(&pk);
                            } else if !p.spec.node_name.is_empty() {
                                self.queue.forget(&pk);
                                self.cache
                                    .add_pod(&pk, &p.spec.node_name, PodRequests::of(p));
                            } else if c.change == ChangeType::Added && responsible(p) {
                                self.queue.add(&pk, p.spec.priority.unwrap_or(0));
                            }
                        }
                        _ => {
                            if self.cache.is_placed(&pk) {
                                self.cache.remove_pod(&pk);
                                cluster_event = true;
                            }
                            self.queue.forget(&pk);
                        }
                    }
                }
                _ => {}
            }
        }
        self.cursor = ctx.store.revision();
        if cluster_event {
            self.queue.move_all_unschedulable(ctx.now);
        }
        self.queue.flush(ctx.now);
        while let Some(pk) = self.queue.pop() {
            self.schedule_one(ctx, &pk);
        }
        self.cursor = ctx.store.revision();
        if let Some(t) = self.queue.next_wake() {
            if self.requested_wake.is_none_or(|w| w <= ctx.now || t < w) {
                ctx.wake_at(t, Wake::Scheduler);
                self.requested_wake = Some(t);
            }
        }
    }

    fn schedule_one(&mut self, ctx: &mut Ctx, pk: &str) {
        let (ns, name) = pk.split_once('/').expect("pod keys are namespace/name");
        let key = ObjectKey::new(Kind::Pod, ns, name);
        let Some(Object::Pod(pod)) = ctx.store.get(&key).map(|s| s.object.clone()) else {
            return;
        };
        if !pod.spec.node_name.is_empty() || pod.metadata.deletion_at.is_some() {
            return;
        }
        self.stats.attempts += 1;
        let req = PodRequests::of(&pod);
        let mut filtered: BTreeMap<String, String> = BTreeMap::new();
        let mut reason_counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut feasible: Vec<(&str, i64)> = Vec::new();
        for (node_name, info) in &self.cache.nodes {
            match filter::run_filters(&pod, &req, info) {
                Ok(()) => feasible.push((node_name, score::least_allocated(&req, info))),
                Err(reasons) => {
                    for r in &reasons {
                        *reason_counts.entry(r.clone()).or_insert(0) += 1;
                    }
                    if self.explain {
                        filtered.insert(node_name.clone(), reasons.join(", "));
                    }
                }
            }
        }
        let mut decision = self.explain.then(|| Decision {
            pod: pk.to_string(),
            node: None,
            at: ctx.now,
            filtered,
            scores: BTreeMap::new(),
            message: None,
        });
        if feasible.is_empty() {
            // Upstream FitError.Error(): "0/N nodes are available: " + "<count> <reason>" sorted
            // by reason, joined with ", ", ending with ".".
            let total = self.cache.nodes.len();
            let mut parts: Vec<String> = reason_counts
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            parts.sort();
            let msg = if parts.is_empty() {
                format!("0/{total} nodes are available.")
            } else {
                format!("0/{total} nodes are available: {}.", parts.join(", "))
            };
            self.stats.unschedulable += 1;
            ctx.event("FailedScheduling", format!("Pod/{pk}"), None, msg.clone());
            let mut p = pod;
            if p.status.unschedulable_message != msg {
                p.status.unschedulable_message = msg.clone();
                let _ = ctx.store.update(Object::Pod(p), None);
            }
            self.queue.add_unschedulable(pk, ctx.now);
            if let Some(mut d) = decision {
                d.message = Some(msg);
                self.decisions.push(d);
            }
            return;
        }
        // selectHost: the highest total; ties broken by reservoir sampling with the run's RNG.
        let mut best: Option<(&str, i64)> = None;
        let mut ties = 0u64;
        for &(n, s) in &feasible {
            match best {
                Some((_, b)) if s < b => {}
                Some((_, b)) if s == b => {
                    ties += 1;
                    if ctx.rng.below(ties) == 0 {
                        best = Some((n, s));
                    }
                }
                _ => {
                    best = Some((n, s));
                    ties = 1;
                }
            }
        }
        let (chosen, _) = best.expect("feasible is not empty");
        let chosen = chosen.to_string();
        if let Some(d) = decision.as_mut() {
            for (n, s) in &feasible {
                let mut m = BTreeMap::new();
                m.insert("NodeResourcesFit".to_string(), *s);
                m.insert("total".to_string(), *s);
                d.scores.insert(n.to_string(), m);
            }
            d.node = Some(chosen.clone());
        }
        drop(feasible);
        self.bind(ctx, pod, pk, &chosen, req);
        if let Some(d) = decision {
            self.decisions.push(d);
        }
    }

    /// DefaultBinder: set `spec.nodeName` (the Binding subresource), after assuming the pod.
    fn bind(&mut self, ctx: &mut Ctx, mut pod: Pod, pk: &str, node: &str, req: PodRequests) {
        self.cache.add_pod(pk, node, req);
        self.stats.scheduled += 1;
        pod.spec.node_name = node.to_string();
        pod.status.unschedulable_message.clear();
        let _ = ctx.store.update(Object::Pod(pod), None);
        ctx.event(
            "Scheduled",
            format!("Pod/{pk}"),
            Some(node),
            format!("Successfully assigned {pk} to {node}"),
        );
    }

    /// Pods waiting in any sub-queue.
    pub fn pending(&self) -> usize {
        self.queue.pending_count()
    }
}
