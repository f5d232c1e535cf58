//! The node lifecycle controller (kube-controller-manager v1.35,
//! pkg/controller/nodelifecycle/node_lifecycle_controller.go).
//!
//! - **Health** (`monitorNodeHealth`, every `--node-monitor-period` 5 s from the start): a node
//!   whose heartbeat (Lease renewal, see [`heartbeat`]) is older than
//!   `--node-monitor-grace-period` (50 s) at a pass (`now.After(probe + grace)`) gets its
//!   Ready condition set to `Unknown` (reason `NodeStatusUnknown`); the transition is a
//!   `NodeNotReady` event on the node and `MarkPodsNotReady` on its pods (each ready pod turns
//!   not ready, event `NodeNotReady` "Node is not ready").
//! - **NoSchedule taints** (`doNoScheduleTaintingPass`, on every node change):
//!   `node.kubernetes.io/not-ready` (Ready False), `unreachable` (Ready Unknown),
//!   `memory-pressure`, `disk-pressure`, `pid-pressure`, `network-unavailable` (those
//!   conditions True) and `unschedulable` (`spec.unschedulable`) follow the node's status.
//! - **NoExecute taints** (`processTaintBaseEviction` + `doNoExecuteTaintingPass`): a pass that
//!   *observes* Ready False/Unknown queues the node in its zone's rate-limited queue (so the
//!   taint comes one pass after the condition); the queue is worked every 100 ms
//!   (`NodeEvictionPeriod`), one node per token of the zone's limiter (0.1/s normally). A pass
//!   observing Ready True removes both NoExecute taints (`markNodeAsReachable`).
//! - **Zones** (`handleDisruption`): a zone with no Ready node is fully disrupted (tainting at
//!   the normal rate) unless every zone is, which stops tainting and removes every NoExecute
//!   taint ("master disruption mode"); a zone with more than two and at least 55% not-Ready
//!   nodes is partially disrupted (0.01/s above 50 nodes, else no tainting).
//! - `RemovingNode` events for deleted nodes at the next pass.
//!
//! Passes run only when something needs one (a heartbeat deadline, a node not Ready or
//! waiting for its taint, a node change), always on the 5 s grid; a healthy cluster costs
//! nothing.

pub mod heartbeat;
pub mod zones;

use super::node_pods::NodePods;
use super::ControllerId;
use crate::api::node::{
    Node, NodeCondition, Taint, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE,
    TAINT_NODE_UNSCHEDULABLE,
};
use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::sim::ctx::{Ctx, Wake};
use crate::store::{MemoryStore, ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};
use heartbeat::Heartbeat;
use zones::{compute_zone_state, interval_for, Zone, ZoneState};

/// `--node-monitor-period` default (cmd/kube-controller-manager/app/options: KubeCloudShared
/// `NodeMonitorPeriod`).
pub const NODE_MONITOR_PERIOD: Duration = Duration::from_secs(5);
/// `--node-monitor-grace-period` default: 50 s since v1.32 (kubernetes PR #126287, was 40 s;
/// pkg/controller/nodelifecycle/config/v1alpha1/defaults.go).
pub const NODE_MONITOR_GRACE_PERIOD: Duration = Duration::from_secs(50);
/// scheduler/rate_limited_queue.go `NodeEvictionPeriod`: how often the NoExecute tainting
/// queues are worked.
pub const NODE_EVICTION_PERIOD: Duration = Duration::from_millis(100);
/// `labelNodeDisruptionExclusion`: nodes left out of the zone states.
const EXCLUDE_DISRUPTION: &str = "node.kubernetes.io/exclude-disruption";

/// Node conditions and the status that gives each its NoSchedule taint
/// (`nodeConditionToTaintKeyStatusMap`).
const CONDITION_TAINTS: [(&str, &str, &str); 6] = [
    ("Ready", "False", TAINT_NODE_NOT_READY),
    ("Ready", "Unknown", TAINT_NODE_UNREACHABLE),
    (
        "MemoryPressure",
        "True",
        "node.kubernetes.io/memory-pressure",
    ),
    ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
    (
        "NetworkUnavailable",
        "True",
        "node.kubernetes.io/network-unavailable",
    ),
    ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
];

/// The two wake-up keys of the controller (not objects: `:` is not allowed in names).
fn monitor_key() -> ObjectKey {
    ObjectKey::new(Kind::Node, "", ":monitor")
}
fn tainting_key() -> ObjectKey {
    ObjectKey::new(Kind::Node, "", ":taint")
}

/// What the controller keeps of a node from the change feed.
#[derive(Clone, Debug)]
struct Seen {
    zone: String,
    excluded: bool,
}

#[derive(Default)]
pub struct NodeLifecycleController {
    pub cursor: u64,
    /// The node names a budgeted sync has read from the feed so far (`sync_budget`).
    reading: OrdSet<String>,
    /// Heartbeats of the kubelets the simulation runs; a node without one renews.
    /// Boxed, as `zones`: the maps from `String` to a boxed value share their compiled value
    /// slab (docs/benchmarks.md, "Bundle size"); written when a kubelet starts or stops.
    heartbeats: OrdMap<String, Box<Heartbeat>>,
    nodes: OrdMap<String, Seen>,
    /// `knownNodeSet`: the nodes seen by the last pass.
    known: OrdSet<String>,
    /// Boxed: the maps from `String` to a boxed value share their compiled value slab (its
    /// code is the same for every pointer-sized value), the playground's wasm size
    /// (docs/benchmarks.md, "Bundle size"); one entry per zone.
    zones: OrdMap<String, Box<Zone>>,
    pods: NodePods,
    passes: OrdSet<SimTime>,
    taint_passes: OrdSet<SimTime>,
    last_pass: Option<SimTime>,
}

/// The first multiple of `period` at or after `t`.
fn grid_at_or_after(t: SimTime, period: Duration) -> SimTime {
    let p = period.as_millis();
    SimTime(t.millis().div_ceil(p) * p)
}

impl NodeLifecycleController {
    /// The kubelet of `node` started (or restarted) at `ctx.now`: it renews its lease from now.
    pub fn kubelet_started(&mut self, node: &str, now: SimTime) {
        self.heartbeats.insert(
            node.to_string(),
            Box::new(Heartbeat::Renewing { since: now }),
        );
    }

    /// The kubelet of `node` stopped at `ctx.now`: its last renewal stands, and a pass is due
    /// when the grace period after it has passed.
    pub fn kubelet_stopped(&mut self, ctx: &mut Ctx, node: &str) {
        let hb = self
            .heartbeats
            .get(node)
            .map(|hb| **hb)
            .unwrap_or(Heartbeat::Renewing {
                since: SimTime::ZERO,
            })
            .stop(ctx.now);
        self.heartbeats.insert(node.to_string(), Box::new(hb));
        if let Heartbeat::Stopped { last } = hb {
            self.schedule_after_deadline(ctx, last);
        }
    }

    /// The machine of `node` is gone (its Node object is being deleted).
    pub fn kubelet_removed(&mut self, node: &str) {
        self.heartbeats.remove(node);
    }

    /// A pass at the first tick strictly after `probe + grace` (`now.After(...)`).
    fn schedule_after_deadline(&mut self, ctx: &mut Ctx, probe: SimTime) {
        let deadline = probe.after(NODE_MONITOR_GRACE_PERIOD);
        let at = grid_at_or_after(
            deadline.after(Duration::from_millis(1)),
            NODE_MONITOR_PERIOD,
        );
        self.schedule_pass(ctx, at);
    }

    /// A pass at `at` (on the 5 s grid), never a second one at the instant of the last.
    fn schedule_pass(&mut self, ctx: &mut Ctx, at: SimTime) {
        let mut at = at.max(grid_at_or_after(ctx.now, NODE_MONITOR_PERIOD));
        if self.last_pass.is_some_and(|p| p >= at) {
            at = self.last_pass.expect("checked").after(NODE_MONITOR_PERIOD);
        }
        if self.passes.insert(at) {
            ctx.wake_at(
                at,
                Wake::Controller {
                    controller: ControllerId::NodeLifecycle,
                    key: monitor_key(),
                },
            );
        }
    }

    /// The NoExecute tainting queues are worked at the first 100 ms tick at or after `at`.
    fn schedule_tainting(&mut self, ctx: &mut Ctx, at: SimTime) {
        let at = grid_at_or_after(at.max(ctx.now), NODE_EVICTION_PERIOD);
        if self.taint_passes.insert(at) {
            ctx.wake_at(
                at,
                Wake::Controller {
                    controller: ControllerId::NodeLifecycle,
                    key: tainting_key(),
                },
            );
        }
    }

    /// Read the change feed: track nodes, keep the node's NoSchedule taints in step with its
    /// status, and ask for a pass when a node appears, goes, or is not plainly healthy.
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let done = self.sync_budget(ctx, &mut crate::sim::budget::Budget::unlimited());
        debug_assert!(done);
    }

    /// `sync` with the feed read `FEED_CHUNK` changes per unit: false when `budget` ran out
    /// while reading; the next call reads on from the cursor (the names found so far are
    /// kept), so any split does what one read does, provided nothing else writes to the
    /// store between the calls (`Sim::step_budget`).
    pub fn sync_budget(&mut self, ctx: &mut Ctx, budget: &mut crate::sim::budget::Budget) -> bool {
        // The feed is read in place: pod changes only update the index, node changes give
        // their names.
        loop {
            let changes = ctx.store.changes_since(self.cursor);
            let n = changes.len().min(super::FEED_CHUNK);
            for c in &changes[..n] {
                match c.key.kind {
                    Kind::Pod => {
                        self.pods.observe(ctx.store, &c.key);
                    }
                    Kind::Node if !self.reading.contains(&c.key.name) => {
                        self.reading.insert(c.key.name.clone());
                    }
                    _ => {}
                }
            }
            if n == changes.len() {
                break;
            }
            self.cursor = changes[n - 1].revision;
            budget.spend();
            if budget.exhausted() {
                return false;
            }
        }
        self.cursor = ctx.store.revision();
        let nodes = std::mem::take(&mut self.reading);
        let mut want_pass = false;
        for name in nodes {
            let key = ObjectKey::new(Kind::Node, "", &name);
            let Some(Object::Node(node)) = ctx.store.get(&key).map(|s| &s.object) else {
                want_pass |= self.nodes.remove(&name).is_some() || self.known.contains(&name);
                continue;
            };
            let seen = Seen {
                zone: node.zone_key(),
                excluded: node.metadata.labels.contains_key(EXCLUDE_DISRUPTION),
            };
            let needs = !self.known.contains(&name)
                || node.ready_status() != "True"
                || node.has_taint(TAINT_NODE_UNREACHABLE, "NoExecute")
                || node.has_taint(TAINT_NODE_NOT_READY, "NoExecute")
                || self.nodes.get(&name).is_none_or(|s| s.zone != seen.zone);
            want_pass |= needs;
            self.nodes.insert(name.clone(), seen);
            let node = node.clone();
            no_schedule_tainting(ctx, node);
        }
        if want_pass {
            let at = grid_at_or_after(ctx.now, NODE_MONITOR_PERIOD);
            self.schedule_pass(ctx, at);
        }
        true
    }

    /// A timed pass is due.
    pub fn wake(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        self.sync(ctx);
        if *key == monitor_key() {
            if self.passes.remove(&ctx.now) {
                self.monitor(ctx);
            }
        } else if *key == tainting_key() && self.taint_passes.remove(&ctx.now) {
            self.no_execute_tainting(ctx);
        }
    }

    /// `monitorNodeHealth`.
    fn monitor(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        self.last_pass = Some(now);
        // classifyNodes: deleted nodes, then new ones (markNodeAsReachable on first sight).
        let gone: Vec<String> = self
            .known
            .iter()
            .filter(|n| !self.nodes.contains_key(*n))
            .cloned()
            .collect();
        for n in gone {
            self.known.remove(&n);
            ctx.event(
                "RemovingNode",
                format!("Node/{n}"),
                Some(&n),
                format!("Node {n} event: Removing Node {n} from Controller"),
            );
        }
        let added: Vec<String> = self
            .nodes
            .keys()
            .filter(|n| !self.known.contains(*n))
            .cloned()
            .collect();
        for n in added {
            self.known.insert(n.clone());
            self.zones.entry(self.nodes[&n].zone.clone()).or_default();
            self.mark_reachable(ctx, &n);
        }
        // Each node's health; the zones' Ready counts from the conditions after it.
        let mut counts: OrdMap<String, (usize, usize)> = OrdMap::new();
        let names: Vec<String> = self.nodes.keys().cloned().collect();
        for name in &names {
            let key = ObjectKey::new(Kind::Node, "", name);
            let Some(Object::Node(node)) = ctx.store.get(&key).map(|s| &s.object) else {
                continue;
            };
            let observed = node.ready_status().to_string();
            let mut current = observed.clone();
            if let Some(Heartbeat::Stopped { last }) = self.heartbeats.get(name).map(|hb| &**hb) {
                if now > last.after(NODE_MONITOR_GRACE_PERIOD) && observed != "Unknown" {
                    let mut n = node.clone();
                    set_conditions_unknown(&mut n);
                    let _ = ctx.store.update(Object::Node(n), None);
                    current = "Unknown".into();
                }
            }
            self.taint_based_eviction(ctx, name, &observed);
            if current != "True" && observed == "True" {
                ctx.event(
                    "NodeNotReady",
                    format!("Node/{name}"),
                    Some(name),
                    format!("Node {name} status is now: NodeNotReady"),
                );
                self.mark_pods_not_ready(ctx, name);
            }
            let seen = &self.nodes[name];
            if !seen.excluded {
                let c = counts.entry(seen.zone.clone()).or_default();
                if current == "True" {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
        }
        self.handle_disruption(ctx, &counts);
        self.schedule_follow_ups(ctx);
    }

    /// `processTaintBaseEviction` with the Ready status the pass observed.
    fn taint_based_eviction(&mut self, ctx: &mut Ctx, name: &str, observed: &str) {
        let (taint, opposite) = match observed {
            "False" => (TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE),
            "Unknown" => (TAINT_NODE_UNREACHABLE, TAINT_NODE_NOT_READY),
            "True" => {
                self.mark_reachable(ctx, name);
                return;
            }
            _ => return,
        };
        let Some(node) = get_node(ctx, name) else {
            return;
        };
        if node.has_taint(opposite, "NoExecute") {
            // The opposite taint is swapped at once.
            swap_taints(ctx, node, &[taint], &[opposite]);
            return;
        }
        // markNodeForTainting: an untainted node is queued afresh at every pass.
        let zone = self.nodes[name].zone.clone();
        let z = self.zones.entry(zone).or_default();
        if !node.has_taint(taint, "NoExecute") {
            z.remove(name);
        }
        if z.add(name, ctx.now) {
            let at = ctx.now.after(NODE_EVICTION_PERIOD);
            self.schedule_tainting(ctx, at);
        }
    }

    /// `markNodeAsReachable`: both NoExecute taints off, out of the zone's queue.
    fn mark_reachable(&mut self, ctx: &mut Ctx, name: &str) {
        let tainted = node_ref(ctx.store, name).is_some_and(|n| {
            n.has_taint(TAINT_NODE_UNREACHABLE, "NoExecute")
                || n.has_taint(TAINT_NODE_NOT_READY, "NoExecute")
        });
        if tainted {
            let node = get_node(ctx, name).expect("checked");
            swap_taints(
                ctx,
                node,
                &[],
                &[TAINT_NODE_UNREACHABLE, TAINT_NODE_NOT_READY],
            );
        }
        if let Some(seen) = self.nodes.get(name) {
            if let Some(z) = self.zones.get_mut(&seen.zone) {
                z.remove(name);
            }
        }
    }

    /// `MarkPodsNotReady`: every ready pod of the node turns not ready.
    fn mark_pods_not_ready(&mut self, ctx: &mut Ctx, node: &str) {
        for key in self.pods.on(node) {
            let Some(Object::Pod(p)) = ctx.store.get(&key).map(|s| &s.object) else {
                continue;
            };
            if p.spec.node_name != node || !p.status.ready {
                continue;
            }
            let mut p = p.clone();
            p.status.ready = false;
            let _ = ctx.store.update(Object::Pod(p), None);
            ctx.event(
                "NodeNotReady",
                format!("Pod/{}/{}", key.namespace, key.name),
                Some(node),
                "Node is not ready".into(),
            );
        }
    }

    /// `handleDisruption` with each zone's (Ready, not Ready) node counts.
    fn handle_disruption(&mut self, ctx: &mut Ctx, counts: &OrdMap<String, (usize, usize)>) {
        let now = ctx.now;
        let new_states: OrdMap<&String, ZoneState> = counts
            .iter()
            .map(|(z, &(r, n))| (z, compute_zone_state(r, n)))
            .collect();
        let all_are_full = new_states.values().all(|s| *s == ZoneState::FullDisruption);
        for z in counts.keys() {
            self.zones.entry(z.clone()).or_default();
        }
        // Zones without nodes are forgotten.
        self.zones.retain(|z, _| counts.contains_key(z));
        let all_were_full = self
            .zones
            .values()
            .all(|z| z.state == ZoneState::FullDisruption);
        if all_are_full && all_were_full {
            return;
        }
        let size = |z: &str| counts.get(z).map_or(0, |c| c.0 + c.1);
        if all_are_full {
            // Every zone lost every node: the control plane is probably the one cut off, so no
            // node is tainted and every NoExecute taint goes.
            let names: Vec<String> = self.nodes.keys().cloned().collect();
            for n in names {
                self.mark_reachable(ctx, &n);
            }
            for z in self.zones.values_mut() {
                z.limiter.swap(None, now);
                z.state = ZoneState::FullDisruption;
            }
            return;
        }
        if all_were_full {
            // Leaving that mode: every heartbeat counts from now.
            for hb in self.heartbeats.values_mut() {
                if let Heartbeat::Stopped { last } = &mut **hb {
                    *last = now;
                }
            }
            for (name, z) in self.zones.iter_mut() {
                let state = new_states[name];
                z.limiter.swap(interval_for(state, size(name)), now);
                z.state = state;
            }
        } else {
            for (name, z) in self.zones.iter_mut() {
                let state = new_states[name];
                if z.state != state {
                    z.limiter.swap(interval_for(state, size(name)), now);
                    z.state = state;
                }
            }
        }
        let waiting = self.zones.values().any(|z| z.is_queued());
        if waiting {
            self.schedule_tainting(ctx, now.after(NODE_EVICTION_PERIOD));
        }
    }

    /// The passes still needed: a heartbeat deadline ahead, or a node that is not Ready and
    /// not yet tainted (queued afresh each pass until it is).
    fn schedule_follow_ups(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let mut next = false;
        let mut deadlines = Vec::new();
        for (name, seen) in &self.nodes {
            let Some(node) = node_ref(ctx.store, name) else {
                continue;
            };
            let ready = node.ready_status();
            if let Some(Heartbeat::Stopped { last }) = self.heartbeats.get(name).map(|hb| &**hb) {
                if ready != "Unknown" && now <= last.after(NODE_MONITOR_GRACE_PERIOD) {
                    deadlines.push(*last);
                }
            }
            if ready != "True" {
                let z = self.zones.get(&seen.zone);
                let queued_or_new = z.is_none_or(|z| !z.contains(name) || z.is_waiting(name));
                next |= queued_or_new;
            }
        }
        for last in deadlines {
            self.schedule_after_deadline(ctx, last);
        }
        if next {
            self.schedule_pass(ctx, now.after(NODE_MONITOR_PERIOD));
        }
    }

    /// `doNoExecuteTaintingPass`: per zone, taint queued nodes while the limiter has tokens.
    fn no_execute_tainting(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let mut again = Vec::new();
        let zone_names: Vec<String> = self.zones.keys().cloned().collect();
        for zn in zone_names {
            loop {
                let z = self.zones.get_mut(&zn).expect("listed");
                let Some(name) = z.head().map(str::to_string) else {
                    break;
                };
                if !z.limiter.try_accept(now) {
                    break;
                }
                z.pop_head();
                let Some(node) = get_node(ctx, &name) else {
                    continue;
                };
                // Unreachable and not-ready taints are exclusive, as the Ready condition is.
                match node.ready_status() {
                    "False" => swap_taints(
                        ctx,
                        node,
                        &[TAINT_NODE_NOT_READY],
                        &[TAINT_NODE_UNREACHABLE],
                    ),
                    "Unknown" => swap_taints(
                        ctx,
                        node,
                        &[TAINT_NODE_UNREACHABLE],
                        &[TAINT_NODE_NOT_READY],
                    ),
                    _ => {}
                }
            }
            let z = &self.zones[&zn];
            if z.is_queued() {
                if let Some(t) = z.limiter.next_token() {
                    again.push(t);
                }
            }
        }
        for t in again {
            self.schedule_tainting(ctx, t);
        }
    }
}

fn node_ref<'a>(store: &'a MemoryStore, name: &str) -> Option<&'a Node> {
    match store
        .get(&ObjectKey::new(Kind::Node, "", name))
        .map(|s| &s.object)
    {
        Some(Object::Node(n)) => Some(n),
        _ => None,
    }
}

fn get_node(ctx: &Ctx, name: &str) -> Option<Node> {
    node_ref(ctx.store, name).cloned()
}

/// The kubelet stopped posting: Ready, MemoryPressure, DiskPressure and PIDPressure become
/// Unknown (`tryUpdateNodeHealth`; NetworkUnavailable is left alone). A node that never posted
/// a condition gets one (reason `NodeStatusNeverUpdated`); cellsim's kubelets post Ready only,
/// so a missing pressure condition is left missing.
fn set_conditions_unknown(node: &mut Node) {
    if !node.status.conditions.iter().any(|c| c.kind == "Ready") {
        node.status.conditions.push(NodeCondition {
            kind: "Ready".into(),
            status: "Unknown".into(),
            reason: "NodeStatusNeverUpdated".into(),
        });
    }
    for c in &mut node.status.conditions {
        if matches!(
            c.kind.as_str(),
            "Ready" | "MemoryPressure" | "DiskPressure" | "PIDPressure"
        ) && c.status != "Unknown"
        {
            c.status = "Unknown".into();
            c.reason = "NodeStatusUnknown".into();
        }
    }
}

/// `SwapNodeControllerTaint` for NoExecute taints: add `add`, remove `remove`; one write.
fn swap_taints(ctx: &mut Ctx, mut node: Node, add: &[&str], remove: &[&str]) {
    let before = node.spec.taints.clone();
    node.spec
        .taints
        .retain(|t| !(t.effect == "NoExecute" && remove.contains(&t.key.as_str())));
    for key in add {
        if !node.has_taint(key, "NoExecute") {
            node.spec.taints.push(Taint {
                key: (*key).into(),
                value: String::new(),
                effect: "NoExecute".into(),
            });
        }
    }
    if node.spec.taints != before {
        let _ = ctx.store.update(Object::Node(node), None);
    }
}

/// `doNoScheduleTaintingPass`: the NoSchedule taints that mirror the node's conditions and
/// `spec.unschedulable`, added and removed in one write.
fn no_schedule_tainting(ctx: &mut Ctx, mut node: Node) {
    let mut want: Vec<&str> = Vec::new();
    for c in &node.status.conditions {
        for (kind, status, key) in CONDITION_TAINTS {
            if c.kind == kind && c.status == status {
                want.push(key);
            }
        }
    }
    if node.spec.unschedulable {
        want.push(TAINT_NODE_UNSCHEDULABLE);
    }
    let managed = |key: &str| {
        key == TAINT_NODE_UNSCHEDULABLE || CONDITION_TAINTS.iter().any(|(_, _, k)| *k == key)
    };
    let before = node.spec.taints.clone();
    node.spec
        .taints
        .retain(|t| t.effect != "NoSchedule" || !managed(&t.key) || want.contains(&t.key.as_str()));
    for key in want {
        if !node.has_taint(key, "NoSchedule") {
            node.spec.taints.push(Taint {
                key: key.into(),
                value: String::new(),
                effect: "NoSchedule".into(),
            });
        }
    }
    if node.spec.taints != before {
        let _ = ctx.store.update(Object::Node(node), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid() {
        let p = NODE_MONITOR_PERIOD;
        assert_eq!(grid_at_or_after(SimTime(0), p), SimTime(0));
        assert_eq!(grid_at_or_after(SimTime(1), p), SimTime(5000));
        assert_eq!(grid_at_or_after(SimTime(170_000), p), SimTime(170_000));
        assert_eq!(
            grid_at_or_after(SimTime(170_001), NODE_EVICTION_PERIOD),
            SimTime(170_100)
        );
    }
}
