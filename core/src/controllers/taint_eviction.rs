//! The taint eviction controller (kube-controller-manager v1.35,
//! pkg/controller/tainteviction/taint_eviction.go and timed_workers.go): pods on a node with
//! NoExecute taints they do not tolerate are deleted at once; pods that tolerate every one of
//! them are deleted after the smallest `tolerationSeconds` of the tolerations used (never, if
//! none has seconds). Removing the taints cancels pending deletions.
//!
//! Events (reason `TaintManagerEviction`, upstream's text): "Marking for deletion Pod ns/name"
//! when a deletion fires, "Cancelling deletion of Pod ns/name" when a pending one is cancelled.
//! Upstream also sets the pod's `DisruptionTarget` condition (reason `DeletionByTaintManager`)
//! before deleting; cellsim does not model pod conditions other than readiness.

use super::node_pods::NodePods;
use super::{ControllerId, Requeue};
use crate::api::node::Taint;
use crate::api::pod::Toleration;
use crate::api::{Kind, Object};
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::sim::ctx::Ctx;
use crate::sim::objects;
use crate::store::{ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};

/// A scheduled deletion (`TimedWorker`). A fired one stays, with no timer, so the same pod is
/// not scheduled again until the entry is cancelled (`TimedWorkerQueue` keeps a nil worker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Work {
    created: SimTime,
    fire: SimTime,
    fired: bool,
}

#[derive(Default)]
pub struct TaintEvictionController {
    pub cursor: u64,
    /// `taintedNodes`: each node's NoExecute taints, for nodes that have some.
    tainted: OrdMap<String, Vec<Taint>>,
    pods: NodePods,
    /// The tolerations each pod on a tainted node was last processed with (upstream reacts to
    /// a pod update only when its tolerations or node changed).
    seen: OrdMap<ObjectKey, Vec<Toleration>>,
    /// An `OrdMap` (its tree compiled once for every `ObjectKey` map) of boxed values (the
    /// slab's code is the same for every pointer-sized value), for the playground's wasm size
    /// (docs/benchmarks.md, "Bundle size"); one entry per pod
    /// on a NoExecute-tainted node, written when its deletion is scheduled, fired or cancelled.
    work: OrdMap<ObjectKey, Box<Work>>,
    requeue: Requeue,
    /// A budgeted sync reading the feed (`sync_budget`): the cursor it began at and the
    /// node names found so far.
    reading: Option<(u64, OrdSet<String>)>,
}

/// Upstream `v1helper.GetMatchingTolerations`: whether every taint is tolerated, and for each
/// taint the first toleration that tolerates it.
pub fn matching_tolerations(
    taints: &[Taint],
    tolerations: &[Toleration],
) -> Option<Vec<Toleration>> {
    let mut used = Vec::new();
    for t in taints {
        used.push(tolerations.iter().find(|tol| tol.tolerates(t))?.clone());
    }
    Some(used)
}

/// Upstream `getMinTolerationTime`: the smallest `tolerationSeconds` (0 or less, or no
/// tolerations at all: at once); `None` when no toleration limits the time (forever).
pub fn min_toleration_time(used: &[Toleration]) -> Option<Duration> {
    if used.is_empty() {
        return Some(Duration::ZERO);
    }
    let mut min: Option<i64> = None;
    for t in used {
        if let Some(s) = t.toleration_seconds {
            if s <= 0 {
                return Some(Duration::ZERO);
            }
            min = Some(min.map_or(s, |m| m.min(s)));
        }
    }
    min.map(|s| Duration::from_secs(s as u64))
}

fn pod_object(key: &ObjectKey) -> String {
    format!("Pod/{}/{}", key.namespace, key.name)
}

impl TaintEvictionController {
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let done = self.sync_budget(ctx, &mut crate::sim::budget::Budget::unlimited());
        debug_assert!(done);
    }

    /// `sync` with the feed read `FEED_CHUNK` changes per unit: false when `budget` ran out
    /// while reading; the next call reads on from the cursor (where the sync began and the
    /// names found so far are kept), so any split does what one read does, provided nothing
    /// else writes to the store between the calls (`Sim::step_budget`).
    pub fn sync_budget(&mut self, ctx: &mut Ctx, budget: &mut crate::sim::budget::Budget) -> bool {
        let (from, mut nodes) = self
            .reading
            .take()
            .unwrap_or_else(|| (self.cursor, OrdSet::new()));
        // Node updates first, as upstream's workers prefer them. The feed is read in place
        // (no key is cloned per change).
        loop {
            let changes = ctx.store.changes_since(self.cursor);
            let n = changes.len().min(super::FEED_CHUNK);
            for c in &changes[..n] {
                match c.key.kind {
                    Kind::Node if !nodes.contains(&c.key.name) => {
                        nodes.insert(c.key.name.clone());
                    }
                    Kind::Pod => {
                        self.pods.observe(ctx.store, &c.key);
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
                self.reading = Some((from, nodes));
                return false;
            }
        }
        let upto = ctx.store.revision();
        self.cursor = upto;
        for n in nodes {
            self.node_updated(ctx, &n);
        }
        // Each changed pod once, in the order of its first change. A pod that still exists on
        // a node without NoExecute taints is a no-op for `pod_updated` (it returns before
        // touching anything), and stays one for the whole loop (`tainted` only changes in
        // `node_updated`, and a pod's own state only when it is processed), so such pods are
        // skipped without entering the `done` set. No pending work, no remembered tolerations
        // and no tainted node: every pod is such a no-op or a deletion with nothing to cancel.
        if self.tainted.is_empty() && self.work.is_empty() && self.seen.is_empty() {
            return true;
        }
        let mut pods: Vec<ObjectKey> = Vec::new();
        let mut done = OrdSet::new();
        let read = ctx.store.changes_since(from);
        let read = &read[..read.partition_point(|c| c.revision <= upto)];
        for c in read {
            if c.key.kind != Kind::Pod || self.untainted(ctx, &c.key) || done.contains(&c.key) {
                continue;
            }
            done.insert(c.key.clone());
            pods.push(c.key.clone());
        }
        for key in pods {
            self.pod_updated(ctx, &key);
        }
        true
    }

    /// The pod exists and its node has no NoExecute taints: `pod_updated` does nothing.
    fn untainted(&self, ctx: &Ctx, key: &ObjectKey) -> bool {
        matches!(
            ctx.store.get(key).map(|s| &s.object),
            Some(Object::Pod(p)) if !self.tainted.contains_key(&p.spec.node_name)
        )
    }

    /// A scheduled deletion is due.
    pub fn wake(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        self.requeue.fired(ctx.now, key);
        self.sync(ctx);
        if self
            .work
            .get(key)
            .is_some_and(|w| !w.fired && w.fire == ctx.now)
        {
            self.fire(ctx, key);
        }
    }

    /// `handleNodeUpdate`, when the node's NoExecute taints changed.
    fn node_updated(&mut self, ctx: &mut Ctx, name: &str) {
        let key = ObjectKey::new(Kind::Node, "", name);
        let Some(Object::Node(node)) = ctx.store.get(&key).map(|s| &s.object) else {
            // A deleted node is forgotten; its pending deletions stay.
            self.tainted.remove(name);
            return;
        };
        let taints: Vec<Taint> = node
            .spec
            .taints
            .iter()
            .filter(|t| t.effect == "NoExecute")
            .cloned()
            .collect();
        let before = self.tainted.get(name).cloned().unwrap_or_default();
        if before == taints {
            return;
        }
        if taints.is_empty() {
            self.tainted.remove(name);
            for p in self.pods.on(name) {
                self.seen.remove(&p);
                self.cancel(ctx, &p, Some(name));
            }
            return;
        }
        self.tainted.insert(name.to_string(), taints.clone());
        for p in self.pods.on(name) {
            let Some(Object::Pod(pod)) = ctx.store.get(&p).map(|s| &s.object) else {
                continue;
            };
            let tolerations = pod.spec.tolerations.clone();
            self.seen.insert(p.clone(), tolerations.clone());
            self.process(ctx, &p, name, &tolerations, &taints);
        }
    }

    /// `handlePodUpdate`, for a new pod, a deleted one, or one whose node or tolerations
    /// changed.
    fn pod_updated(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let Some(Object::Pod(pod)) = ctx.store.get(key).map(|s| &s.object) else {
            self.seen.remove(key);
            self.cancel(ctx, key, None);
            return;
        };
        let node = pod.spec.node_name.clone();
        let Some(taints) = self.tainted.get(&node).cloned() else {
            return;
        };
        if self.seen.get(key) == Some(&pod.spec.tolerations) {
            return;
        }
        let tolerations = pod.spec.tolerations.clone();
        self.seen.insert(key.clone(), tolerations.clone());
        self.process(ctx, key, &node, &tolerations, &taints);
    }

    /// `processPodOnNode`.
    fn process(
        &mut self,
        ctx: &mut Ctx,
        key: &ObjectKey,
        node: &str,
        tolerations: &[Toleration],
        taints: &[Taint],
    ) {
        let now = ctx.now;
        let Some(used) = matching_tolerations(taints, tolerations) else {
            // Not every taint is tolerated: delete right away.
            self.cancel(ctx, key, Some(node));
            self.add_work(ctx, key, now, now);
            return;
        };
        let Some(min) = min_toleration_time(&used) else {
            self.cancel(ctx, key, Some(node));
            return;
        };
        let mut created = now;
        let trigger = now.after(min);
        if let Some(w) = self.work.get(key).filter(|w| !w.fired) {
            created = w.created;
            if created.after(min) < trigger {
                return;
            }
            self.cancel(ctx, key, Some(node));
        }
        self.add_work(ctx, key, created, trigger);
    }

    /// `TimedWorkerQueue.AddWork`: nothing if the pod has an entry (even a fired one).
    fn add_work(&mut self, ctx: &mut Ctx, key: &ObjectKey, created: SimTime, fire: SimTime) {
        if self.work.contains_key(key) {
            return;
        }
        self.work.insert(
            key.clone(),
            Box::new(Work {
                created,
                fire,
                fired: false,
            }),
        );
        if fire <= ctx.now {
            self.fire(ctx, key);
        } else {
            self.requeue.at(ctx, ControllerId::TaintEviction, key, fire);
        }
    }

    /// `cancelWorkWithEvent`: the entry goes; an event when a deletion was still pending.
    fn cancel(&mut self, ctx: &mut Ctx, key: &ObjectKey, node: Option<&str>) {
        if let Some(w) = self.work.remove(key) {
            if !w.fired {
                ctx.event(
                    "TaintManagerEviction",
                    pod_object(key),
                    node,
                    format!("Cancelling deletion of Pod {}/{}", key.namespace, key.name),
                );
            }
        }
    }

    /// `deletePodHandler`: the event, then the (graceful) deletion.
    fn fire(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        if let Some(w) = self.work.get_mut(key) {
            w.fired = true;
        }
        let node = match ctx.store.get(key).map(|s| &s.object) {
            Some(Object::Pod(p)) => Some(p.spec.node_name.clone()),
            _ => None,
        };
        ctx.event(
            "TaintManagerEviction",
            pod_object(key),
            node.as_deref(),
            format!("Marking for deletion Pod {}/{}", key.namespace, key.name),
        );
        objects::delete_pod(ctx, &format!("{}/{}", key.namespace, key.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str) -> Taint {
        Taint {
            key: key.into(),
            value: String::new(),
            effect: "NoExecute".into(),
        }
    }

    fn tol(key: &str, secs: Option<i64>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: "Exists".into(),
            value: String::new(),
            effect: "NoExecute".into(),
            toleration_seconds: secs,
        }
    }

    #[test]
    fn min_toleration_time_like_upstream() {
        // Rows after upstream TestGetMinTolerationTime.
        assert_eq!(min_toleration_time(&[]), Some(Duration::ZERO));
        assert_eq!(min_toleration_time(&[tol("a", None)]), None);
        assert_eq!(
            min_toleration_time(&[tol("a", Some(300)), tol("b", Some(100)), tol("c", None)]),
            Some(Duration::from_secs(100))
        );
        assert_eq!(
            min_toleration_time(&[tol("a", Some(300)), tol("b", Some(-5))]),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn matching_tolerations_pick_the_first_match_per_taint() {
        let taints = [taint("node.kubernetes.io/unreachable"), taint("x")];
        let tols = [
            tol("node.kubernetes.io/unreachable", Some(300)),
            tol("", None),
        ];
        let used = matching_tolerations(&taints, &tols).unwrap();
        assert_eq!(used, vec![tols[0].clone(), tols[1].clone()]);
        assert_eq!(min_toleration_time(&used), Some(Duration::from_secs(300)));
        assert_eq!(matching_tolerations(&taints, &tols[..1]), None);
        assert_eq!(matching_tolerations(&[], &[]), Some(vec![]));
    }
}
