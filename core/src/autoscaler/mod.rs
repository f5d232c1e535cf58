//! The cluster autoscaler (kubernetes/autoscaler cluster-autoscaler), as a periodic loop over
//! the store: every `scanInterval`
//!
//! - **scale-up**: pods the scheduler could not place (`FailedScheduling`) that would not fit
//!   the nodes already being provisioned are bin-packed onto new nodes of each pool with
//!   `autoscaling` that is below its `max` (`simulate`); the expander chooses among the pools
//!   that would help; the chosen pool grows after the provisioning delay. Events:
//!   `TriggeredScaleUp` on each pod it helps, `NotTriggerScaleUp` on pods no pool helps,
//!   `ScaledUpGroup` on the status ConfigMap.
//! - **scale-down**: a node of an autoscaled pool whose requested cpu and memory (the larger
//!   share) stay under the utilization threshold for `scaleDownUnneededTime` is removed, not
//!   within `scaleDownDelayAfterAdd` of a scale-up and not below the pool's `min`, when its
//!   pods (DaemonSet pods aside) fit on the other nodes and their PodDisruptionBudgets allow
//!   it: the node is tainted `ToBeDeletedByClusterAutoscaler`, its pods are evicted through
//!   the eviction subresource (`sim::eviction`), and the node is deleted once they are gone.
//!   Events: `ScaleDown` on the node and on each evicted pod, `ScaleDownEmpty`/`ScaleDown` on
//!   the status ConfigMap.
//!
//! The loop hands node additions and removals back to the simulation as `Order`s (the same
//! actions as the timeline's `addNodes`/`removeNodes`), so kubelets start and stop as for any
//! other node.

pub mod expander;
pub mod simulate;
pub mod spec;

pub use spec::{AutoscalerSpec, Config, Expander, PoolAutoscaling};

use crate::api::node::Taint;
use crate::api::pod::Pod;
use crate::api::resources::Resources;
use crate::api::{Kind, Object};
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::scenario::load::pool_node;
use crate::scenario::spec::NodePool;
use crate::sim::ctx::Ctx;
use crate::store::{ObjectKey, ObjectStore};
use crate::time::SimTime;
use expander::ScaleUpOption;
use simulate::{bin_pack, SimNode};

/// The taint a node gets when the autoscaler starts removing it (upstream
/// `taints.ToBeDeletedTaint`).
pub const TO_BE_DELETED_TAINT: &str = "ToBeDeletedByClusterAutoscaler";
/// Where upstream writes its status and events.
pub const STATUS_OBJECT: &str = "ConfigMap/kube-system/cluster-autoscaler-status";
/// At most this many empty nodes go in one loop (`--max-empty-bulk-delete`, 10).
pub const MAX_EMPTY_BULK_DELETE: usize = 10;

/// What the simulation must do for the autoscaler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Order {
    /// Add `count` nodes to `pool` at `at` (provisioned).
    AddNodes {
        pool: String,
        count: u32,
        at: SimTime,
    },
    /// Delete this node now.
    RemoveNode(String),
}

pub struct Autoscaler {
    pub config: Config,
    /// The pools with `autoscaling`, in scenario order.
    pools: Vec<NodePool>,
    /// Nodes ordered but not registered yet, per pool: when each arrives.
    upcoming: OrdMap<String, Vec<SimTime>>,
    /// The index the next node of each pool gets (as the simulation numbers them).
    next_index: OrdMap<String, u32>,
    last_scale_up: Option<SimTime>,
    unneeded_since: OrdMap<String, SimTime>,
    /// Nodes being drained for removal.
    deleting: OrdSet<String>,
    /// Pods already told that no pool helps them.
    not_triggered: OrdSet<String>,
}

fn is_daemon_pod(p: &Pod) -> bool {
    p.metadata
        .controller_of()
        .is_some_and(|r| r.kind == "DaemonSet")
}

impl Autoscaler {
    pub fn new(spec: &AutoscalerSpec, pools: &[NodePool]) -> Autoscaler {
        Autoscaler {
            config: spec.config(),
            pools: pools
                .iter()
                .filter(|p| p.autoscaling.is_some())
                .cloned()
                .collect(),
            upcoming: OrdMap::new(),
            next_index: pools.iter().map(|p| (p.name.clone(), p.count)).collect(),
            last_scale_up: None,
            unneeded_since: OrdMap::new(),
            deleting: OrdSet::new(),
            not_triggered: OrdSet::new(),
        }
    }

    /// One loop of the autoscaler at `ctx.now`.
    pub fn tick(&mut self, ctx: &mut Ctx) -> Vec<Order> {
        let now = ctx.now;
        for v in self.upcoming.values_mut() {
            v.retain(|at| *at > now);
        }
        // The cluster: nodes with what their pods request; pending pods.
        let mut nodes: Vec<SimNode> = Vec::new();
        let mut index: OrdMap<String, usize> = OrdMap::new();
        for o in ctx.store.objects(Kind::Node) {
            let Object::Node(n) = o else { continue };
            index.insert(n.metadata.name.clone(), nodes.len());
            nodes.push(SimNode::new(n));
        }
        let mut pending: Vec<Pod> = Vec::new();
        let mut on_node: OrdMap<String, Vec<Pod>> = OrdMap::new();
        for o in ctx.store.objects(Kind::Pod) {
            let Object::Pod(p) = o else { continue };
            if p.is_terminal() {
                continue;
            }
            if p.spec.node_name.is_empty() {
                if p.metadata.deletion_at.is_none() && !p.status.unschedulable_message.is_empty() {
                    pending.push(p.clone());
                }
            } else if let Some(&i) = index.get(&p.spec.node_name) {
                nodes[i].add(&p.requests());
                on_node
                    .entry(p.spec.node_name.clone())
                    .or_default()
                    .push(p.clone());
            }
        }
        let mut orders = Vec::new();
        self.scale_up(ctx, &nodes, &pending, &mut orders);
        if self.config.scale_down_enabled {
            self.scale_down(ctx, &nodes, &on_node, &mut orders);
        }
        orders
    }

    fn pool_size(&self, nodes: &[SimNode], pool: &str) -> u32 {
        nodes
            .iter()
            .filter(|n| n.pool.as_deref() == Some(pool) && !self.deleting.contains(&n.name))
            .count() as u32
    }

    fn scale_up(
        &mut self,
        ctx: &mut Ctx,
        nodes: &[SimNode],
        pending: &[Pod],
        out: &mut Vec<Order>,
    ) {
        if pending.is_empty() {
            return;
        }
        let reqs: Vec<(&Pod, Resources)> = pending.iter().map(|p| (p, p.requests())).collect();
        // Pods that fit the nodes there are (the scheduler will get to them:
        // upstream's filterOutSchedulable) or the nodes on their way wait for them.
        let mut upcoming: Vec<SimNode> = nodes
            .iter()
            .filter(|n| !self.deleting.contains(&n.name) && n.node.is_ready())
            .cloned()
            .collect();
        for p in &self.pools {
            let n = self.upcoming.get(&p.name).map_or(0, Vec::len) as u32;
            let first = self.next_index[&p.name] - n;
            upcoming.extend((first..first + n).map(|i| SimNode::new(&pool_node(p, i))));
        }
        let (waiting, _) = bin_pack(&reqs, &mut upcoming, None, 0);
        let rest: Vec<(&Pod, Resources)> = reqs
            .iter()
            .enumerate()
            .filter(|(i, _)| !waiting.contains(i))
            .map(|(_, r)| (r.0, r.1.clone()))
            .collect();
        if rest.is_empty() {
            return;
        }
        let mut options: Vec<ScaleUpOption> = Vec::new();
        for p in &self.pools {
            let a = p.autoscaling.expect("autoscaled pools only");
            let size = self.pool_size(nodes, &p.name)
                + self.upcoming.get(&p.name).map_or(0, Vec::len) as u32;
            let room = a.max.saturating_sub(size);
            if room == 0 {
                continue;
            }
            let next = self.next_index[&p.name];
            let make = |i: u32| pool_node(p, i);
            let mut fresh = Vec::new();
            let (placed, added) = bin_pack(&rest, &mut fresh, Some((&make, next)), room);
            if placed.is_empty() {
                continue;
            }
            let mut allocatable = Resources::default();
            let mut requested = Resources::default();
            for n in &fresh {
                allocatable.add(&n.allocatable);
                requested.add(&n.requested);
            }
            options.push(ScaleUpOption {
                pool: p.name.clone(),
                priority: a.priority,
                new_nodes: added,
                pods: placed,
                allocatable,
                requested,
            });
        }
        if options.is_empty() {
            for (pod, _) in &rest {
                if self.not_triggered.insert(pod.key()) {
                    ctx.event(
                        "NotTriggerScaleUp",
                        format!("Pod/{}", pod.key()),
                        None,
                        format!(
                            "pod didn't trigger scale-up: {} node group(s) could not host it or are at their maximum size",
                            self.pools.len()
                        ),
                    );
                }
            }
            return;
        }
        let chosen = expander::choose(self.config.expander, &options, ctx.rng);
        let o = &options[chosen];
        let a = self
            .pools
            .iter()
            .find(|p| p.name == o.pool)
            .and_then(|p| p.autoscaling)
            .expect("an autoscaled pool");
        let current =
            self.pool_size(nodes, &o.pool) + self.upcoming.get(&o.pool).map_or(0, Vec::len) as u32;
        let target = current + o.new_nodes;
        for &i in &o.pods {
            ctx.event(
                "TriggeredScaleUp",
                format!("Pod/{}", rest[i].0.key()),
                None,
                format!(
                    "pod triggered scale-up: [{{{} {current}->{target} (max: {})}}]",
                    o.pool, a.max
                ),
            );
        }
        ctx.event(
            "ScaledUpGroup",
            STATUS_OBJECT.into(),
            None,
            format!(
                "Scale-up: setting group {} size to {target} instead of {current} (max: {})",
                o.pool, a.max
            ),
        );
        let at = now_after(ctx.now, self.config.provisioning_delay);
        self.upcoming
            .entry(o.pool.clone())
            .or_default()
            .extend(std::iter::repeat_n(at, o.new_nodes as usize));
        *self.next_index.get_mut(&o.pool).expect("every pool") += o.new_nodes;
        self.last_scale_up = Some(ctx.now);
        out.push(Order::AddNodes {
            pool: o.pool.clone(),
            count: o.new_nodes,
            at,
        });
    }

    fn scale_down(
        &mut self,
        ctx: &mut Ctx,
        nodes: &[SimNode],
        on_node: &OrdMap<String, Vec<Pod>>,
        out: &mut Vec<Order>,
    ) {
        let now = ctx.now;
        let movable = |n: &str| -> Vec<&Pod> {
            on_node
                .get(n)
                .map(|v| v.iter().filter(|p| !is_daemon_pod(p)).collect())
                .unwrap_or_default()
        };
        // Drained nodes go once their pods are gone.
        for n in self.deleting.clone() {
            if !index_has(nodes, &n) {
                self.deleting.remove(&n);
            } else if movable(&n).is_empty() {
                self.deleting.remove(&n);
                ctx.event(
                    "ScaleDown",
                    format!("Node/{n}"),
                    Some(&n),
                    "node removed by cluster autoscaler".into(),
                );
                out.push(Order::RemoveNode(n));
            }
        }
        // Which nodes are unneeded, and since when.
        let autoscaled: OrdMap<&str, PoolAutoscaling> = OrdMap::from_iter(
            self.pools
                .iter()
                .map(|p| (p.name.as_str(), p.autoscaling.expect("autoscaled"))),
        );
        let mut candidates = Vec::new();
        for n in nodes {
            let Some(pool) = n.pool.as_deref().filter(|p| autoscaled.contains_key(p)) else {
                continue;
            };
            if self.deleting.contains(&n.name) {
                continue;
            }
            let share = |req: i64, alloc: i64| {
                if alloc <= 0 {
                    0
                } else {
                    req.saturating_mul(1000) / alloc
                }
            };
            let util = share(n.requested.milli_cpu, n.allocatable.milli_cpu)
                .max(share(n.requested.memory, n.allocatable.memory));
            if util < self.config.threshold_milli {
                let since = *self.unneeded_since.entry(n.name.clone()).or_insert(now);
                if now.since(since) >= self.config.unneeded_time {
                    candidates.push((n.name.clone(), pool.to_string()));
                }
            } else {
                self.unneeded_since.remove(&n.name);
            }
        }
        self.unneeded_since.retain(|n, _| index_has(nodes, n));
        if self
            .last_scale_up
            .is_some_and(|t| now.since(t) < self.config.delay_after_add)
        {
            return;
        }
        let mut sizes: OrdMap<String, u32> = autoscaled
            .keys()
            .map(|p| (p.to_string(), self.pool_size(nodes, p)))
            .collect();
        // Where evicted pods would go: every other node, not being removed.
        let removing: OrdSet<String> = self.deleting.clone();
        let mut others: Vec<SimNode> = nodes
            .iter()
            .filter(|n| !removing.contains(&n.name) && n.node.is_ready())
            .cloned()
            .collect();
        let mut empties = 0;
        let mut drained_one = false;
        for (name, pool) in candidates {
            let min = autoscaled[pool.as_str()].min;
            if sizes[&pool] <= min {
                continue;
            }
            let pods = movable(&name);
            if pods.is_empty() {
                if empties >= MAX_EMPTY_BULK_DELETE {
                    continue;
                }
                empties += 1;
            } else if drained_one {
                continue;
            }
            // Pods must fit elsewhere (in a copy, so a failure leaves the plan unchanged)...
            let mut trial: Vec<SimNode> =
                others.iter().filter(|n| n.name != name).cloned().collect();
            let reqs: Vec<(&Pod, Resources)> = pods.iter().map(|p| (*p, p.requests())).collect();
            let (placed, _) = bin_pack(&reqs, &mut trial, None, 0);
            if placed.len() != pods.len() {
                continue;
            }
            // ...and their budgets must allow evicting them all.
            if !budgets_allow(ctx, &pods) {
                continue;
            }
            others = trial;
            *sizes.get_mut(&pool).expect("pool") -= 1;
            self.unneeded_since.remove(&name);
            if pods.is_empty() {
                ctx.event(
                    "ScaleDownEmpty",
                    STATUS_OBJECT.into(),
                    None,
                    format!("Scale-down: removing empty node {name:?}"),
                );
                ctx.event(
                    "ScaleDown",
                    format!("Node/{name}"),
                    Some(&name),
                    "node removed by cluster autoscaler".into(),
                );
                out.push(Order::RemoveNode(name));
                continue;
            }
            drained_one = true;
            taint_to_be_deleted(ctx, &name);
            ctx.event(
                "ScaleDown",
                STATUS_OBJECT.into(),
                None,
                format!(
                    "Scale-down: removing node {name}, utilization below {}.{:03}, pods to reschedule: {}",
                    self.config.threshold_milli / 1000,
                    self.config.threshold_milli % 1000,
                    pods.len()
                ),
            );
            ctx.event(
                "ScaleDown",
                format!("Node/{name}"),
                Some(&name),
                "marked the node as toBeDeleted/unschedulable".into(),
            );
            for p in &pods {
                ctx.event(
                    "ScaleDown",
                    format!("Pod/{}", p.key()),
                    Some(&name),
                    "deleting pod for node scale down".into(),
                );
                let _ = crate::sim::eviction::evict(ctx, p.namespace(), &p.metadata.name);
            }
            self.deleting.insert(name);
        }
    }
}

fn now_after(now: SimTime, d: crate::time::Duration) -> SimTime {
    now.after(d)
}

fn index_has(nodes: &[SimNode], name: &str) -> bool {
    nodes.iter().any(|n| n.name == name)
}

/// Whether every PodDisruptionBudget covering `pods` allows that many disruptions (upstream
/// drainability: a node whose pods would exceed a budget is not removed).
fn budgets_allow(ctx: &Ctx, pods: &[&Pod]) -> bool {
    let mut need: OrdMap<(String, String), i32> = OrdMap::new();
    let mut allowed: OrdMap<(String, String), i32> = OrdMap::new();
    for p in pods {
        for o in ctx
            .store
            .objects_in(Kind::PodDisruptionBudget, p.namespace())
        {
            let Object::PodDisruptionBudget(b) = o else {
                continue;
            };
            if crate::controllers::disruption::selects(b.spec.selector.as_ref(), p) {
                let k = (p.namespace().to_string(), b.metadata.name.clone());
                *need.entry(k.clone()).or_insert(0) += 1;
                allowed.insert(k, b.status.disruptions_allowed);
            }
        }
    }
    need.iter()
        .all(|(k, n)| allowed.get(k).is_some_and(|a| n <= a))
}

fn taint_to_be_deleted(ctx: &mut Ctx, name: &str) {
    let key = ObjectKey::new(Kind::Node, "", name);
    if let Some(Object::Node(mut n)) = ctx.store.get(&key).map(|s| s.object.clone()) {
        if !n.spec.taints.iter().any(|t| t.key == TO_BE_DELETED_TAINT) {
            n.spec.taints.push(Taint {
                key: TO_BE_DELETED_TAINT.into(),
                value: ctx.now.millis().to_string(),
                effect: "NoSchedule".into(),
            });
            let _ = ctx.store.update(Object::Node(n), None);
        }
    }
}
