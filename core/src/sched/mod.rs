//! The scheduler: kube-scheduler's framework (profiles of plugins over extension points), its
//! scheduling queue, and a cache/snapshot fed by the store's change feed.
//!
//! Upstream: pkg/scheduler (schedule_one.go, framework/, backend/queue/, backend/cache/).
//! Decisions carry per-plugin normalized scores for `--explain`, and failures carry
//! kube-scheduler's own `FailedScheduling` message.

pub mod bench;
pub mod binding;
pub mod borg;
pub mod config;
pub mod cycle_cache;
pub mod events;
pub mod framework;
pub mod plugins;
pub mod profile;
pub mod queue;
pub mod reclaim;
pub mod registry;

use crate::api::pod::Pod;
use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::sim::budget::Budget;
use crate::sim::ctx::{Ctx, Wake};
use crate::store::{ChangeType, ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};
use config::SchedulerConfig;
use events::{ClusterEvent, QueueingHint};
use framework::{Nominating, PodInfo, Snapshot};
use profile::Profile;
use queue::SchedulingQueue;
use serde::Serialize;
use std::rc::Rc;

/// Upstream's default scheduler name.
pub const DEFAULT_SCHEDULER: &str = "default-scheduler";

/// One scheduling attempt, for `--explain`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Decision {
    pub pod: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub at: SimTime,
    /// Node → reasons it was filtered out.
    pub filtered: OrdMap<String, String>,
    /// Node → per-plugin normalized score (0–100, before weights) and the weighted `total`.
    pub scores: OrdMap<String, OrdMap<String, i64>>,
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

pub struct Scheduler {
    pub cursor: u64,
    snapshot: Snapshot,
    queue: SchedulingQueue,
    profiles: Vec<Profile>,
    config: SchedulerConfig,
    /// Upstream `nextStartNodeIndex`: where the next cycle starts filtering.
    next_start: usize,
    pub stats: SchedulingStats,
    pub explain: bool,
    pub decisions: Vec<Decision>,
    /// The wake-up already requested, to avoid flooding the event queue.
    requested_wake: Option<SimTime>,
    /// Pods held by a Permit plugin (`Wait`), assumed on their node until their deadline.
    waiting: OrdMap<String, binding::WaitingPod>,
    /// A budgeted sync (`sync_budget`) paused in its scheduling loop.
    draining: bool,
    /// A budgeted sync paused while reading the change feed.
    ingesting: Option<Ingesting>,
    /// A budgeted sync paused while warming the plugins' caches for a popped pod (its key,
    /// and the next node index): its cycle runs when the warming is done.
    warming: Option<(String, usize)>,
}

/// Nodes per unit when a budgeted sync warms the plugins' caches for a pod (`Plugin::warm`):
/// a new selector's count of 128 nodes' pods is about 1 ms natively.
const WARM_NODES: usize = 128;

/// A read of the change feed in progress (`Scheduler::ingest_some`): what has been gathered
/// so far, to be applied when the read ends.
struct Ingesting {
    /// The revision of the last change read.
    read: u64,
    events: Vec<ClusterEvent>,
    /// Nodes new to the snapshot, added in one batch (`add_nodes`: the node tree is rebuilt
    /// once, not once per node) before any other change is applied.
    new_nodes: Vec<crate::api::node::Node>,
    new_names: OrdSet<String>,
    /// Pod events only move unschedulable pods (`requeue_on`), and none becomes
    /// unschedulable before they are delivered: with none when the read starts, they are not
    /// built (each carries a clone of the pod).
    pod_events: bool,
}

/// Changes read per budget unit when a budgeted sync reads the feed (the page's frames:
/// a round after t=0 can hold tens of thousands of changes).
const FEED_CHUNK: usize = 64;

impl Scheduler {
    /// Build a scheduler from a validated configuration.
    pub fn new(explain: bool, config: SchedulerConfig) -> Result<Scheduler, String> {
        let profiles = config
            .profiles
            .iter()
            .map(Profile::build)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scheduler {
            cursor: 0,
            snapshot: Snapshot::default(),
            queue: SchedulingQueue::new(
                Duration::from_secs(config.pod_initial_backoff_seconds as u64),
                Duration::from_secs(config.pod_max_backoff_seconds as u64),
            ),
            profiles,
            config,
            next_start: 0,
            stats: SchedulingStats::default(),
            explain,
            decisions: Vec::new(),
            requested_wake: None,
            waiting: OrdMap::new(),
            draining: false,
            ingesting: None,
            warming: None,
        })
    }

    fn profile_for(&self, pod: &Pod) -> Option<usize> {
        profile_index(&self.profiles, pod)
    }

    /// Queue a pending pod, unless a PreEnqueue plugin holds it back.
    fn enqueue(&mut self, pod: &Pod) {
        let Some(pi) = self.profile_for(pod) else {
            return;
        };
        let info = PodInfo::new(pod);
        if self.profiles[pi].pre_enqueue(&info).is_success() {
            self.queue.add(&info.key, info.priority);
        } else {
            self.queue.forget(&info.key);
        }
    }

    /// Consume the change feed, then schedule every pod in activeQ.
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let done = self.sync_budget(ctx, &mut Budget::unlimited());
        debug_assert!(done);
    }

    /// `sync` with a budget of scheduling cycles (one unit each): true when the sync is
    /// complete; false when the budget ran out with pods left in activeQ, and the next call
    /// goes on popping them (it does not read the change feed again: the uninterrupted loop
    /// would not have either). `Sim::step_budget` calls it with nothing else in between that
    /// could change the store.
    pub fn sync_budget(&mut self, ctx: &mut Ctx, budget: &mut Budget) -> bool {
        if !self.draining {
            let mut read = self.ingesting.take().unwrap_or_else(|| Ingesting {
                read: self.cursor,
                events: Vec::new(),
                new_nodes: Vec::new(),
                new_names: OrdSet::new(),
                pod_events: self.queue.unschedulable_len() > 0,
            });
            while !self.ingest_some(ctx, &mut read, FEED_CHUNK) {
                budget.spend();
                if budget.exhausted() {
                    self.ingesting = Some(read);
                    return false;
                }
            }
            self.ingest_end(ctx, read);
            self.draining = true;
        }
        // A budgeted run warms the plugins' caches before each cycle, in units; an unlimited
        // one (the CLI) has no frames to keep short and goes straight to the cycle.
        let warm = budget.left() != u64::MAX;
        while let Some((pk, mut from)) = self
            .warming
            .take()
            .or_else(|| self.queue.pop().map(|pk| (pk, 0)))
        {
            if warm {
                while let Some(next) = self.warm_some(ctx, &pk, from) {
                    from = next;
                    budget.spend();
                    if budget.exhausted() {
                        self.warming = Some((pk, from));
                        return false;
                    }
                }
            }
            self.schedule_one(ctx, &pk);
            budget.spend();
            if budget.exhausted() {
                return false;
            }
        }
        self.draining = false;
        self.cursor = ctx.store.revision();
        let next = [self.queue.next_wake(), self.next_waiting_deadline()]
            .into_iter()
            .flatten()
            .min();
        if let Some(t) = next {
            if self.requested_wake.is_none_or(|w| w <= ctx.now || t < w) {
                ctx.wake_at(t, Wake::Scheduler);
                self.requested_wake = Some(t);
            }
        }
        true
    }

    /// Whether a budgeted sync paused with pods left to schedule.
    pub fn is_draining(&self) -> bool {
        self.draining
    }

    /// Whether a budgeted sync paused inside its read of the change feed.
    pub fn is_reading_feed(&self) -> bool {
        self.ingesting.is_some()
    }

    /// The first half of a sync, part one: up to `limit` changes of the feed into the
    /// snapshot and the queue; true when the feed has been read to its end. Reading it in
    /// parts or at once does the same, as long as nothing writes to the store in between
    /// (`Sim::step_budget`): the loop only reads the store, and its state lives in `read`.
    fn ingest_some(&mut self, ctx: &mut Ctx, read: &mut Ingesting, limit: usize) -> bool {
        let Ingesting {
            events,
            new_nodes,
            new_names,
            pod_events,
            ..
        } = read;
        let pod_events = *pod_events;
        // The change log is read in place (not copied: a copy cost two key strings per
        // change); the loop only reads the store.
        let store: &crate::store::MemoryStore = ctx.store;
        let changes = store.changes_since(read.read);
        let n = changes.len().min(limit);
        for c in &changes[..n] {
            let fresh = c.key.kind == Kind::Node
                && self.snapshot.get(&c.key.name).is_none()
                && !new_names.contains(&c.key.name);
            if !fresh && !new_nodes.is_empty() {
                self.snapshot.add_nodes(std::mem::take(new_nodes));
                new_names.clear();
            }
            match c.key.kind {
                Kind::Node => {
                    let old = self.snapshot.get(&c.key.name).map(|n| n.node.clone());
                    match (ctx.store.get(&c.key).map(|s| &s.object), old) {
                        (Some(Object::Node(n)), None) if fresh => {
                            new_nodes.push(n.clone());
                            new_names.insert(c.key.name.clone());
                            events.push(ClusterEvent::NodeAdded(n.clone()));
                        }
                        (Some(Object::Node(n)), old) => {
                            self.snapshot.set_node(n.clone());
                            events.push(match old {
                                None => ClusterEvent::NodeAdded(n.clone()),
                                Some(old) => ClusterEvent::NodeUpdated {
                                    old,
                                    new: n.clone(),
                                },
                            });
                        }
                        (_, Some(old)) => {
                            self.snapshot.remove_node(&c.key.name);
                            events.push(ClusterEvent::NodeDeleted(old));
                        }
                        _ => {}
                    }
                }
                Kind::PodDisruptionBudget => {
                    let k = format!("{}/{}", c.key.namespace, c.key.name);
                    match ctx.store.get(&c.key).map(|s| &s.object) {
                        Some(Object::PodDisruptionBudget(p)) => {
                            self.snapshot.pdbs.insert(k, p.clone());
                        }
                        _ => {
                            self.snapshot.pdbs.remove(&k);
                        }
                    }
                }
                Kind::Namespace => match ctx.store.get(&c.key).map(|s| &s.object) {
                    Some(Object::Namespace(n)) => {
                        let old = self
                            .snapshot
                            .namespaces
                            .insert(n.metadata.name.clone(), n.metadata.labels.clone());
                        if old.as_ref() != Some(&n.metadata.labels) {
                            events.push(ClusterEvent::NamespaceChanged);
                        }
                    }
                    _ => {
                        self.snapshot.namespaces.remove(&c.key.name);
                    }
                },
                Kind::Service => {
                    let k = (c.key.namespace.clone(), c.key.name.clone());
                    match ctx.store.get(&c.key).map(|s| &s.object) {
                        Some(Object::Service(svc)) if svc.spec.selector.is_some() => {
                            let sel = svc.spec.selector.clone().unwrap_or_default();
                            self.snapshot.services.insert(k, sel);
                        }
                        _ => {
                            self.snapshot.services.remove(&k);
                        }
                    }
                }
                Kind::ReplicaSet => {
                    let k = (c.key.namespace.clone(), c.key.name.clone());
                    match ctx.store.get(&c.key).map(|s| &s.object) {
                        Some(Object::ReplicaSet(rs)) => {
                            self.snapshot
                                .replicasets
                                .insert(k, rs.spec.selector.clone());
                        }
                        _ => {
                            self.snapshot.replicasets.remove(&k);
                        }
                    }
                }
                Kind::StatefulSet => {
                    let k = (c.key.namespace.clone(), c.key.name.clone());
                    match ctx.store.get(&c.key).map(|s| &s.object) {
                        Some(Object::StatefulSet(ss)) => {
                            self.snapshot
                                .statefulsets
                                .insert(k, ss.spec.selector.clone());
                        }
                        _ => {
                            self.snapshot.statefulsets.remove(&k);
                        }
                    }
                }
                Kind::Pod => {
                    let pk = format!("{}/{}", c.key.namespace, c.key.name);
                    let stored = ctx.store.get(&c.key);
                    let obj = stored.map(|s| &s.object);
                    // A bound pod's write that changes nothing `PodInfo` derives (mostly the
                    // kubelet's status writes): the snapshot takes it in place
                    // (`Snapshot::refresh_placed`). What the full path below does for such a
                    // write, minus rebuilding the info: no event (labels, requests and the
                    // reservation are unchanged).
                    if let Some(Object::Pod(p)) = obj {
                        if c.change == ChangeType::Modified
                            && !p.is_terminal()
                            && !p.spec.node_name.is_empty()
                            && self.snapshot.refresh_placed(
                                &pk,
                                p,
                                stored.map_or(0, |s| s.spec_revision),
                            )
                        {
                            self.snapshot.set_nominated(p);
                            self.queue.forget(&pk);
                            continue;
                        }
                    }
                    // The pod as the scheduler knew it: placed on a node, or nominated.
                    let known = self
                        .snapshot
                        .placed_pod(&pk)
                        .or_else(|| self.snapshot.nominated_pod(&pk));
                    match obj {
                        Some(Object::Pod(p)) => {
                            self.snapshot.set_nominated(p);
                            if p.is_terminal() {
                                self.snapshot.remove_pod(&pk);
                                if let Some(old) = known.filter(|_| pod_events) {
                                    events.push(ClusterEvent::PodDeleted(old.pod.clone()));
                                }
                                self.queue.forget(&pk);
                            } else if !p.spec.node_name.is_empty() {
                                self.queue.forget(&pk);
                                if self.snapshot.is_placed(&pk) {
                                    let new = Rc::new(PodInfo::new(p));
                                    let old = known.filter(|_| c.change == ChangeType::Modified);
                                    if let Some(old) = old {
                                        // Upstream UpdatePodLabel / UpdatePodScaleDown (a
                                        // lowered Borg reservation counts as a scale-down):
                                        // the changes hints look at.
                                        let relevant = old.labels != new.labels
                                            || old.requests != new.requests
                                            || old.reserved != new.reserved;
                                        self.snapshot.update_pod(new);
                                        if relevant && pod_events {
                                            events.push(ClusterEvent::AssignedPodUpdated {
                                                old: old.pod.clone(),
                                                new: p.clone(),
                                            });
                                        }
                                    }
                                } else {
                                    let node = p.spec.node_name.clone();
                                    self.snapshot.add_pod(&node, Rc::new(PodInfo::new(p)));
                                    if pod_events {
                                        events.push(ClusterEvent::AssignedPodAdded(p.clone()));
                                    }
                                }
                            } else if p.metadata.deletion_at.is_none()
                                && !self.waiting.contains_key(&pk)
                                && (c.change == ChangeType::Added || !self.queue.contains(&pk))
                            {
                                self.enqueue(p);
                            }
                        }
                        _ => {
                            self.snapshot.clear_nominated(&pk);
                            self.snapshot.remove_pod(&pk);
                            if let Some(old) = known.filter(|_| pod_events) {
                                events.push(ClusterEvent::PodDeleted(old.pod.clone()));
                            }
                            self.queue.forget(&pk);
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(last) = changes[..n].last() {
            read.read = last.revision;
        }
        n == changes.len()
    }

    /// The first half of a sync, part two (the feed read): the new nodes' batch, requeueing
    /// on the cluster events, Permit timeouts, and the queue's flushes.
    fn ingest_end(&mut self, ctx: &mut Ctx, read: Ingesting) {
        let Ingesting {
            events, new_nodes, ..
        } = read;
        if !new_nodes.is_empty() {
            self.snapshot.add_nodes(new_nodes);
        }
        self.cursor = ctx.store.revision();
        for ev in &events {
            self.requeue_on(ctx.now, ev);
        }
        self.expire_waiting(ctx);
        self.queue.flush(ctx.now);
    }

    /// Move the unschedulable pods `event` may help: a pod rejected by no plugin always, else
    /// when one of its rejecting plugins registered for the event and hints `Queue`
    /// (upstream `isPodWorthRequeuing`).
    fn requeue_on(&mut self, now: SimTime, event: &ClusterEvent) {
        let (profiles, snap) = (&self.profiles, &self.snapshot);
        self.queue.move_if(now, |pod, rejectors| {
            let Some(pod) = pod.filter(|_| !rejectors.is_empty()) else {
                return true;
            };
            let Some(profile) = profile_index(profiles, &pod.pod).map(|i| &profiles[i]) else {
                return true;
            };
            rejectors.iter().any(|r| {
                profile
                    .plugin(r)
                    .and_then(|p| p.queueing_hint(pod, event, snap))
                    == Some(QueueingHint::Queue)
            })
        });
    }

    /// `Profile::warm` for the pending pod `pk` from node `from`: `Some(next)` while nodes
    /// are left. Nothing to warm for a pod that `schedule_one` will skip.
    fn warm_some(&self, ctx: &Ctx, pk: &str, from: usize) -> Option<usize> {
        let (ns, name) = pk.split_once('/')?;
        let key = ObjectKey::new(Kind::Pod, ns, name);
        let Some(Object::Pod(pod)) = ctx.store.get(&key).map(|s| &s.object) else {
            return None;
        };
        if !pod.spec.node_name.is_empty() || pod.metadata.deletion_at.is_some() {
            return None;
        }
        let pi = self.profile_for(pod)?;
        self.profiles[pi].warm(&PodInfo::new(pod), &self.snapshot, from, WARM_NODES)
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
        let Some(pi) = self.profile_for(&pod) else {
            return;
        };
        self.stats.attempts += 1;
        let info = PodInfo::new(&pod);
        let profile = &self.profiles[pi];
        let rng = &mut *ctx.rng;
        let result = profile.schedule(
            &info,
            &self.snapshot,
            self.config.percentage_of_nodes_to_score,
            self.next_start,
            &mut |n| rng.below(n),
        );
        if !self.snapshot.nodes.is_empty() {
            self.next_start = (self.next_start + result.processed) % self.snapshot.nodes.len();
        }
        let node_name = |i: usize| self.snapshot.nodes[i].name.clone();
        let mut decision = self.explain.then(|| Decision {
            pod: pk.to_string(),
            node: result.chosen.map(node_name),
            at: ctx.now,
            filtered: OrdMap::from_iter(
                result
                    .failed
                    .iter()
                    .map(|(i, s)| (node_name(*i), s.reasons.join(", "))),
            ),
            scores: OrdMap::from_iter(result.scores().iter().map(|(i, per, total)| {
                let mut m: OrdMap<String, i64> =
                    OrdMap::from_iter(per.iter().map(|(p, s)| (p.to_string(), *s)));
                m.insert("total".into(), *total);
                (node_name(*i), m)
            })),
            message: None,
        });
        match result.chosen {
            Some(i) => {
                let node = node_name(i);
                let state = result.state.unwrap_or_default();
                if let Some(msg) = self.binding_cycle(ctx, pi, pod, &node, info, state) {
                    if let Some(d) = decision.as_mut() {
                        d.node = None;
                        d.message = Some(msg);
                    }
                }
            }
            None => {
                let post_msg = result
                    .post_filter
                    .as_ref()
                    .map(|(_, s)| s.reasons.join(", "));
                let msg = fit_error(
                    self.snapshot.nodes.len(),
                    result.pod_status.as_ref(),
                    &result.failed,
                    post_msg.as_deref(),
                );
                // Upstream handleSchedulingFailure: the nomination from PostFilter.
                let nominated = match result.post_filter.map(|(n, _)| n) {
                    Some(Nominating::Node { node, victims }) => {
                        let node = node_name(node);
                        self.prepare_candidate(ctx, &pod, &node, &victims);
                        Some(node)
                    }
                    Some(Nominating::Clear) => Some(String::new()),
                    _ => None,
                };
                // The plugins that rejected it: each failing node's, and a PreFilter's.
                let rejectors: Vec<&'static str> = result
                    .failed
                    .iter()
                    .map(|(_, s)| s.plugin)
                    .chain(result.pod_status.as_ref().map(|s| s.plugin))
                    .collect();
                self.record_failure(ctx, pk, pod, &msg, nominated, rejectors, info);
                if let Some(d) = decision.as_mut() {
                    d.message = Some(msg);
                }
            }
        }
        if let Some(d) = decision {
            self.decisions.push(d);
        }
    }

    /// Upstream `handleSchedulingFailure`: a `FailedScheduling` event with `msg`, the pod's
    /// status (message, nomination) written, and the pod parked among the unschedulable ones
    /// with the plugins that rejected it.
    #[allow(clippy::too_many_arguments)]
    fn record_failure(
        &mut self,
        ctx: &mut Ctx,
        pk: &str,
        pod: Pod,
        msg: &str,
        nominated: Option<String>,
        mut rejectors: Vec<&'static str>,
        info: PodInfo,
    ) {
        self.stats.unschedulable += 1;
        ctx.event(
            "FailedScheduling",
            format!("Pod/{pk}"),
            None,
            msg.to_string(),
        );
        // Re-read: preparing a preemption candidate may have touched other pods only, but
        // keep the stored copy authoritative.
        let key = ObjectKey::new(Kind::Pod, pod.namespace(), &pod.metadata.name);
        let mut p = match ctx.store.get(&key).map(|s| &s.object) {
            Some(Object::Pod(p)) => p.clone(),
            _ => pod,
        };
        let mut changed = false;
        if p.status.unschedulable_message != msg {
            p.status.unschedulable_message = msg.to_string();
            changed = true;
        }
        if let Some(n) = nominated {
            if p.status.nominated_node_name != n {
                p.status.nominated_node_name = n;
                changed = true;
            }
        }
        self.snapshot.set_nominated(&p);
        if changed {
            let _ = ctx.store.update(Object::Pod(p), None);
        }
        rejectors.retain(|p| !p.is_empty());
        crate::sort::sort(&mut rejectors);
        rejectors.dedup();
        self.queue
            .add_unschedulable(pk, ctx.now, rejectors, Some(Rc::new(info)));
    }

    /// Upstream `prepareCandidate`: evict each victim not already terminating (graceful
    /// deletion, `Preempted` event on the victim), then clear the nomination of lower-priority
    /// pods nominated to the same node.
    fn prepare_candidate(
        &mut self,
        ctx: &mut Ctx,
        preemptor: &Pod,
        node: &str,
        victims: &[String],
    ) {
        self.stats.preemptions += 1;
        for v in victims {
            let (ns, name) = v.split_once('/').expect("pod keys are namespace/name");
            let vk = ObjectKey::new(Kind::Pod, ns, name);
            match ctx.store.get(&vk).map(|s| &s.object) {
                Some(Object::Pod(p)) if p.metadata.deletion_at.is_none() => {}
                _ => continue,
            }
            crate::sim::objects::delete_pod(ctx, v);
            // The scheduler skips its own writes in the change feed: count the victim as
            // terminating in the snapshot now.
            match ctx.store.get(&vk).map(|s| &s.object) {
                Some(Object::Pod(p)) => {
                    self.snapshot.update_pod(Rc::new(PodInfo::new(p)));
                }
                _ => {
                    self.snapshot.remove_pod(v);
                }
            }
            self.snapshot.preempted.insert(v.clone());
            ctx.event(
                "Preempted",
                format!("Pod/{v}"),
                Some(node),
                format!("Preempted by pod {} on node {node}", preemptor.metadata.uid),
            );
        }
        // getLowerPriorityNominatedPods + clearNominatedNodeName.
        let prio = preemptor.spec.priority.unwrap_or(0);
        let lower: Vec<Pod> = ctx
            .store
            .objects(Kind::Pod)
            .filter_map(|o| match o {
                Object::Pod(p)
                    if p.status.nominated_node_name == node
                        && p.spec.node_name.is_empty()
                        && p.spec.priority.unwrap_or(0) < prio =>
                {
                    Some(p.clone())
                }
                _ => None,
            })
            .collect();
        for mut p in lower {
            p.status.nominated_node_name.clear();
            self.snapshot.set_nominated(&p);
            let _ = ctx.store.update(Object::Pod(p), None);
        }
    }

    /// Enable Borg's policies (priority bands; no preemption within production).
    pub fn set_borg(&mut self, policy: Option<borg::BorgPolicy>) {
        self.snapshot.set_borg(policy);
    }
}

/// The profile whose `schedulerName` the pod asks for (empty: the default scheduler).
fn profile_index(profiles: &[Profile], pod: &Pod) -> Option<usize> {
    let name = if pod.spec.scheduler_name.is_empty() {
        DEFAULT_SCHEDULER
    } else {
        &pod.spec.scheduler_name
    };
    profiles.iter().position(|p| p.scheduler_name == name)
}

/// Upstream `FitError.Error()`: `0/N nodes are available:` then the PreFilter message, then
/// the per-node reasons as a histogram of "count reason" strings sorted as strings, then the
/// PostFilter message (appended as `" %v"`, no trailing period added).
pub fn fit_error(
    num_nodes: usize,
    pre_filter: Option<&framework::Status>,
    failed: &[(usize, framework::Status)],
    post_filter: Option<&str>,
) -> String {
    let mut msg = format!("0/{num_nodes} nodes are available:");
    if let Some(s) = pre_filter {
        if !s.reasons.is_empty() {
            msg += &format!(" {}.", s.reasons.join(", "));
        }
    }
    let mut counts: crate::collections::OrdMap<&str, u64> = crate::collections::OrdMap::new();
    for (_, s) in failed {
        for r in &s.reasons {
            *counts.entry(r.as_str()).or_insert(0) += 1;
        }
    }
    let mut parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    crate::sort::sort(&mut parts);
    if !parts.is_empty() {
        msg += &format!(" {}.", parts.join(", "));
    }
    if let Some(pf) = post_filter.filter(|m| !m.is_empty()) {
        msg += &format!(" {pf}");
    }
    msg
}
