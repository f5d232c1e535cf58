//! DaemonSet controller: one pod on every eligible node.
//!
//! Upstream: pkg/controller/daemon/daemon_controller.go (`NodeShouldRunDaemonPod`,
//! `predicates`, `podsShouldBeOnNode`, `syncNodes`, `updateDaemonSetStatus`), update.go
//! (`rollingUpdate`, `findUpdatedPodsOnNode`, `updatedDesiredNodeCounts`) and
//! pkg/controller/daemon/util/daemonset_util.go (`AddOrUpdateDaemonPodTolerations`,
//! `ReplaceDaemonSetPodNodeNameNodeAffinity`).
//!
//! - A node is eligible when the pod template's nodeSelector and required node affinity match
//!   it and its NoSchedule/NoExecute taints are tolerated, counting the tolerations the
//!   controller adds to every daemon pod (not-ready and unreachable NoExecute; disk-, memory-,
//!   pid-pressure and unschedulable NoSchedule; network-unavailable NoSchedule with
//!   hostNetwork). A node that only fails on NoSchedule taints keeps its running pod.
//! - Pods are created unscheduled, named `<ds>-<5 random>`, with a required node affinity
//!   `matchFields metadata.name In [node]`: the default scheduler places them (upstream since
//!   1.12).
//! - Failed daemon pods are deleted (`FailedDaemonPod`) with a per-node backoff of 1 s doubling
//!   to 15 min, then recreated.
//! - RollingUpdate: with `maxSurge: 0` old pods are deleted while at most `maxUnavailable`
//!   (default 1) pods are unavailable; with `maxSurge > 0` a new pod starts beside the old one
//!   and the old one goes when the new one is available. OnDelete: nothing is replaced.
//! - Node additions, removals and changes re-evaluate every DaemonSet.
//!
//! Upstream walks nodes in a map's (random) order when picking rolling-update candidates;
//! cellsim walks them in name order.

use super::naming::pod_template_hash;
use super::{available_at, is_available, ControllerId, Requeue};
use crate::api::apps::{DaemonSet, DaemonSetStatus};
use crate::api::meta::{IntOrString, OwnerReference};
use crate::api::node::{Node, Taint};
use crate::api::pod::{Affinity, NodeAffinity, Pod, PodPhase, PodSpec, Toleration};
use crate::api::selector::{
    required_node_affinity_matches, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    OBJECT_NAME_FIELD,
};
use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::sim::budget::Budget;
use crate::sim::ctx::Ctx;
use crate::sim::objects;
use crate::store::{ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};

/// apps/v1 `DefaultDaemonSetUniqueLabelKey`.
pub const REVISION_LABEL: &str = "controller-revision-hash";
/// daemon_controller.go: `failedPodsBackoff = flowcontrol.NewBackOff(1*time.Second, 15*time.Minute)`.
const FAILED_POD_BACKOFF_INITIAL: Duration = Duration::from_secs(1);
const FAILED_POD_BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct DaemonSetController {
    pub cursor: u64,
    pods: Option<super::owned::OwnedPods>,
    /// flowcontrol.Backoff per (daemon set, node): (current backoff, last update).
    failed_backoff: OrdMap<(ObjectKey, String), (Duration, SimTime)>,
    requeue: Requeue,
    /// A budgeted sync paused in its read of the feed: the sets found so far, and whether a
    /// node changed.
    reading: Option<(OrdSet<ObjectKey>, bool)>,
}

/// upstream `AddOrUpdateDaemonPodTolerations`: the tolerations every daemon pod gets (an
/// existing toleration with the same key, operator, value and effect is kept once).
pub fn add_daemon_tolerations(spec: &mut PodSpec) {
    let mut add = |key: &str, effect: &str| {
        let t = Toleration {
            key: key.into(),
            operator: "Exists".into(),
            value: String::new(),
            effect: effect.into(),
            toleration_seconds: None,
        };
        // AddOrUpdateTolerationInPodSpec: replace a toleration matching on key, operator,
        // value and effect (MatchToleration), else append.
        match spec.tolerations.iter_mut().find(|x| {
            x.key == t.key && x.operator == t.operator && x.value == t.value && x.effect == t.effect
        }) {
            Some(x) => *x = t,
            None => spec.tolerations.push(t),
        }
    };
    add("node.kubernetes.io/not-ready", "NoExecute");
    add("node.kubernetes.io/unreachable", "NoExecute");
    add("node.kubernetes.io/disk-pressure", "NoSchedule");
    add("node.kubernetes.io/memory-pressure", "NoSchedule");
    add("node.kubernetes.io/pid-pressure", "NoSchedule");
    add("node.kubernetes.io/unschedulable", "NoSchedule");
    if spec.host_network == Some(true) {
        add("node.kubernetes.io/network-unavailable", "NoSchedule");
    }
}

/// upstream `ReplaceDaemonSetPodNodeNameNodeAffinity`: require `metadata.name In [node]`,
/// replacing any required node selector terms.
pub fn pin_to_node(affinity: Option<Affinity>, node: &str) -> Affinity {
    let term = NodeSelectorTerm {
        match_fields: vec![NodeSelectorRequirement {
            key: OBJECT_NAME_FIELD.into(),
            operator: "In".into(),
            values: vec![node.into()],
        }],
        ..Default::default()
    };
    let mut a = affinity.unwrap_or_default();
    let na = a.node_affinity.get_or_insert_with(NodeAffinity::default);
    match na
        .required_during_scheduling_ignored_during_execution
        .as_mut()
    {
        Some(sel) => sel.node_selector_terms = vec![term],
        None => {
            na.required_during_scheduling_ignored_during_execution = Some(NodeSelector {
                node_selector_terms: vec![term],
            })
        }
    }
    a
}

fn untolerated(taints: &[Taint], tolerations: &[Toleration], effects: &[&str]) -> bool {
    taints
        .iter()
        .filter(|t| effects.contains(&t.effect.as_str()))
        .any(|t| !tolerations.iter().any(|tol| tol.tolerates(t)))
}

/// upstream `NodeShouldRunDaemonPod`: (should run, should continue running).
pub fn node_should_run(node: &Node, ds: &DaemonSet) -> (bool, bool) {
    let mut spec = ds.spec.template.spec.clone();
    add_daemon_tolerations(&mut spec);
    let name = &node.metadata.name;
    if !spec.node_name.is_empty() && &spec.node_name != name {
        return (false, false);
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    if !required_node_affinity_matches(&spec.node_selector, required, name, &node.metadata.labels) {
        return (false, false);
    }
    let taints = &node.spec.taints;
    if untolerated(taints, &spec.tolerations, &["NoSchedule", "NoExecute"]) {
        return (
            false,
            !untolerated(taints, &spec.tolerations, &["NoExecute"]),
        );
    }
    (true, true)
}

/// `util.GetTargetNodeName`: the bound node, or the node an unscheduled daemon pod is pinned to.
fn target_node(p: &Pod) -> Option<String> {
    if !p.spec.node_name.is_empty() {
        return Some(p.spec.node_name.clone());
    }
    p.spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms
        .iter()
        .flat_map(|t| &t.match_fields)
        .find(|r| r.key == OBJECT_NAME_FIELD && r.operator == "In" && r.values.len() == 1)
        .map(|r| r.values[0].clone())
}

/// `podByCreationTimestampAndPhase`: running before others, then oldest first, then name.
fn by_age(pods: &mut [&Pod]) {
    crate::sort::sort_by(pods, |a, b| {
        let ka = (
            a.status.phase != PodPhase::Running,
            a.metadata.created_at,
            &a.metadata.name,
        );
        let kb = (
            b.status.phase != PodPhase::Running,
            b.metadata.created_at,
            &b.metadata.name,
        );
        ka.cmp(&kb)
    });
}

impl DaemonSetController {
    fn catch_up(&mut self, ctx: &Ctx) -> OrdSet<ObjectKey> {
        let mut read = (OrdSet::new(), false);
        self.catch_up_some(ctx, &mut read, usize::MAX);
        Self::dirty(ctx, read)
    }

    /// Up to `limit` changes of the feed into `read` (the sets found, whether a node
    /// changed), the cursor after the last one read; true when the feed is read to its end.
    fn catch_up_some(
        &mut self,
        ctx: &Ctx,
        read: &mut (OrdSet<ObjectKey>, bool),
        limit: usize,
    ) -> bool {
        let (dirty, nodes_changed) = read;
        let index = self
            .pods
            .get_or_insert_with(|| super::owned::OwnedPods::new(Kind::DaemonSet));
        // The feed is read in place; a pod no DaemonSet owns costs one lookup and no
        // allocation (`OwnedPods::observe`).
        let changes = ctx.store.changes_since(self.cursor);
        let n = changes.len().min(limit);
        for c in &changes[..n] {
            match c.key.kind {
                Kind::DaemonSet => {
                    dirty.insert(c.key.clone());
                }
                Kind::Pod => dirty.extend(index.observe(ctx.store, &c.key)),
                Kind::Node => *nodes_changed = true,
                _ => {}
            }
        }
        super::read_to(
            &mut self.cursor,
            ctx.store,
            &changes[..n],
            n == changes.len(),
        )
    }

    /// The sets to reconcile after a read: every set when a node changed.
    fn dirty(
        ctx: &Ctx,
        (mut dirty, nodes_changed): (OrdSet<ObjectKey>, bool),
    ) -> OrdSet<ObjectKey> {
        if nodes_changed {
            dirty.extend(ctx.store.list(Kind::DaemonSet).map(|(k, _)| k.clone()));
        }
        dirty
    }

    pub fn sync(&mut self, ctx: &mut Ctx) {
        let done = self.sync_budget(ctx, &mut Budget::unlimited());
        debug_assert!(done);
    }

    /// `sync` with the feed read `FEED_CHUNK` changes per unit of `budget`; false when it
    /// paused inside the read (the next call goes on with it), as `Controllers::sync_budget`
    /// describes.
    pub fn sync_budget(&mut self, ctx: &mut Ctx, budget: &mut Budget) -> bool {
        let paused = self.reading.take();
        let read = match super::read_in_units(paused, budget, |r, n| self.catch_up_some(ctx, r, n))
        {
            Ok(read) => read,
            Err(part) => {
                self.reading = Some(part);
                return false;
            }
        };
        for key in Self::dirty(ctx, read) {
            self.reconcile(ctx, &key);
        }
        true
    }

    pub fn wake(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        self.requeue.fired(ctx.now, key);
        // Changes not yet read are reconciled too: the cursor moves past them here.
        let mut dirty = self.catch_up(ctx);
        dirty.insert(key.clone());
        for k in dirty {
            self.reconcile(ctx, &k);
        }
    }

    /// Pods of the set by target node (`getNodesToDaemonPods`, without terminal pods being
    /// deleted).
    fn node_pods(&self, ctx: &Ctx, key: &ObjectKey, uid: &str) -> OrdMap<String, Vec<Pod>> {
        let mut out: OrdMap<String, Vec<Pod>> = OrdMap::new();
        if let Some(ix) = &self.pods {
            for p in ix.pods(ctx.store, key, uid) {
                if p.is_terminal() && p.metadata.deletion_at.is_some() {
                    continue;
                }
                if let Some(n) = target_node(p) {
                    out.entry(n).or_default().push(p.clone());
                }
            }
        }
        out
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let Some(Object::DaemonSet(ds)) = ctx.store.get(key).map(|s| s.object.clone()) else {
            self.failed_backoff.retain(|(k, _), _| k != key);
            return;
        };
        let me = format!("DaemonSet/{}/{}", key.namespace, key.name);
        let hash = pod_template_hash(&ds.spec.template, 0);
        let nodes: Vec<Node> = ctx
            .store
            .objects(Kind::Node)
            .filter_map(|o| match o {
                Object::Node(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        if ds.metadata.deletion_at.is_none() {
            self.manage(ctx, key, &ds, &me, &hash, &nodes);
            if ds.spec.update_strategy.kind != "OnDelete" {
                self.rolling_update(ctx, key, &ds, &me, &hash, &nodes);
            }
        }
        self.update_status(ctx, key, &ds, &hash, &nodes);
    }

    /// upstream `manage`: per node, `podsShouldBeOnNode`; then `syncNodes`.
    fn manage(
        &mut self,
        ctx: &mut Ctx,
        key: &ObjectKey,
        ds: &DaemonSet,
        me: &str,
        hash: &str,
        nodes: &[Node],
    ) {
        let by_node = self.node_pods(ctx, key, &ds.metadata.uid);
        let surge = allows_surge(ds);
        let mut create: Vec<String> = Vec::new();
        let mut delete: Vec<Pod> = Vec::new();
        let now = ctx.now;
        for node in nodes {
            let n = &node.metadata.name;
            let (should_run, should_continue) = node_should_run(node, ds);
            let pods = by_node.get(n);
            match (should_run, pods) {
                (true, None) => create.push(n.clone()),
                _ if should_continue => {
                    let mut running: Vec<&Pod> = Vec::new();
                    for p in pods.into_iter().flatten() {
                        if p.metadata.deletion_at.is_some() {
                            continue;
                        }
                        match p.status.phase {
                            PodPhase::Failed => {
                                let bk = (key.clone(), n.clone());
                                if let Some((b, last)) = self.failed_backoff.get(&bk).copied() {
                                    let expired = now.since(last).as_millis()
                                        > 2 * FAILED_POD_BACKOFF_MAX.as_millis();
                                    if !expired && now.since(last) < b {
                                        self.requeue.at(
                                            ctx,
                                            ControllerId::DaemonSet,
                                            key,
                                            last.after(b),
                                        );
                                        continue;
                                    }
                                }
                                // Backoff.Next.
                                let b = match self.failed_backoff.get(&bk) {
                                    Some((b, last))
                                        if now.since(*last).as_millis()
                                            <= 2 * FAILED_POD_BACKOFF_MAX.as_millis() =>
                                    {
                                        Duration(
                                            (b.as_millis() * 2)
                                                .min(FAILED_POD_BACKOFF_MAX.as_millis()),
                                        )
                                    }
                                    _ => FAILED_POD_BACKOFF_INITIAL,
                                };
                                self.failed_backoff.insert(bk, (b, now));
                                ctx.event(
                                    "FailedDaemonPod",
                                    me.to_string(),
                                    None,
                                    format!(
                                        "Found failed daemon pod {} on node {n}, will try to kill it",
                                        p.key()
                                    ),
                                );
                                delete.push(p.clone());
                            }
                            PodPhase::Succeeded => delete.push(p.clone()),
                            _ => running.push(p),
                        }
                    }
                    if !surge {
                        if running.len() > 1 {
                            by_age(&mut running);
                            delete.extend(running[1..].iter().map(|p| (*p).clone()));
                        }
                        continue;
                    }
                    if running.len() <= 1 {
                        if running.is_empty() && should_run {
                            create.push(n.clone());
                        }
                        continue;
                    }
                    by_age(&mut running);
                    let (mut newest, mut oldest): (Option<&Pod>, Option<&Pod>) = (None, None);
                    for p in running {
                        let is_new =
                            p.metadata.labels.get(REVISION_LABEL).map(String::as_str) == Some(hash);
                        if is_new && newest.is_none() {
                            newest = Some(p);
                        } else if !is_new && oldest.is_none() {
                            oldest = Some(p);
                        } else {
                            delete.push(p.clone());
                        }
                    }
                    if let (Some(new), Some(old)) = (newest, oldest) {
                        if !old.status.ready
                            || is_available(new, ds.spec.min_ready_seconds, now.millis())
                        {
                            delete.push(old.clone());
                        }
                    }
                }
                (false, Some(pods)) => {
                    delete.extend(
                        pods.iter()
                            .filter(|p| p.metadata.deletion_at.is_none())
                            .cloned(),
                    );
                }
                _ => {}
            }
        }
        self.sync_nodes(ctx, ds, me, hash, &create, &delete);
    }

    /// upstream `syncNodes`: creates first, then deletes.
    fn sync_nodes(
        &mut self,
        ctx: &mut Ctx,
        ds: &DaemonSet,
        me: &str,
        hash: &str,
        create: &[String],
        delete: &[Pod],
    ) {
        for node in create {
            let mut pod = Pod {
                metadata: ds.spec.template.metadata.clone(),
                spec: ds.spec.template.spec.clone(),
                status: Default::default(),
            };
            pod.metadata.namespace = ds.metadata.namespace.clone();
            pod.metadata
                .labels
                .insert(REVISION_LABEL.into(), hash.to_string());
            add_daemon_tolerations(&mut pod.spec);
            pod.spec.affinity = Some(pin_to_node(pod.spec.affinity.take(), node));
            pod.metadata.owner_references = vec![OwnerReference {
                api_version: "apps/v1".into(),
                kind: "DaemonSet".into(),
                name: ds.metadata.name.clone(),
                uid: ds.metadata.uid.clone(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }];
            pod.metadata.name = super::naming::free_pod_name(
                ctx,
                &ds.metadata.namespace,
                &format!("{}-", ds.metadata.name),
            );
            let name = pod.metadata.name.clone();
            if objects::create_or_report(ctx, Object::Pod(pod), me).is_none() {
                break;
            }
            ctx.event(
                "SuccessfulCreate",
                me.to_string(),
                None,
                format!("Created pod: {name}"),
            );
        }
        for p in delete {
            objects::delete_pod(ctx, &p.key());
            ctx.event(
                "SuccessfulDelete",
                me.to_string(),
                None,
                format!("Deleted pod: {}", p.metadata.name),
            );
        }
    }

    /// upstream `rollingUpdate`.
    fn rolling_update(
        &mut self,
        ctx: &mut Ctx,
        key: &ObjectKey,
        ds: &DaemonSet,
        me: &str,
        hash: &str,
        nodes: &[Node],
    ) {
        let mut by_node = self.node_pods(ctx, key, &ds.metadata.uid);
        let now = ctx.now.millis();
        let min_ready = ds.spec.min_ready_seconds;
        // updatedDesiredNodeCounts.
        let mut desired = 0i64;
        for n in nodes {
            if node_should_run(n, ds).0 {
                desired += 1;
                by_node.entry(n.metadata.name.clone()).or_default();
            }
        }
        let (mut max_surge, mut max_unavailable) = surge_and_unavailable(ds, desired);
        if desired > 0 && max_surge == 0 && max_unavailable == 0 {
            max_unavailable = 1;
        }
        max_surge = max_surge.max(0);
        let mut wake: Option<u64> = None;
        let mut note = |p: &Pod| {
            if let Some(t) = available_at(p, min_ready, now) {
                wake = Some(wake.map_or(t.0, |w: u64| w.min(t.0)));
            }
        };
        let mut to_delete: Vec<Pod> = Vec::new();
        let mut to_create: Vec<String> = Vec::new();
        if max_surge == 0 {
            let mut unavailable = 0i64;
            let mut allowed: Vec<Pod> = Vec::new();
            let mut candidates: Vec<Pod> = Vec::new();
            for pods in by_node.values() {
                let Some((new, old)) = find_updated(pods, hash) else {
                    unavailable += 1;
                    continue;
                };
                match (new, old) {
                    (None, None) | (Some(_), Some(_)) => unavailable += 1,
                    (Some(new), None) => {
                        if !is_available(new, min_ready, now) {
                            note(new);
                            unavailable += 1;
                        }
                    }
                    (None, Some(old)) => {
                        if !is_available(old, min_ready, now) {
                            allowed.push(old.clone());
                            unavailable += 1;
                        } else if unavailable < max_unavailable {
                            candidates.push(old.clone());
                        }
                    }
                }
            }
            let remaining = (max_unavailable - unavailable).clamp(0, candidates.len() as i64);
            to_delete.extend(allowed);
            to_delete.extend(candidates.into_iter().take(remaining as usize));
        } else {
            let mut should_not_run: Vec<Pod> = Vec::new();
            let mut candidates: Vec<String> = Vec::new();
            let mut allowed: Vec<String> = Vec::new();
            let (mut surged, mut available) = (0i64, 0i64);
            let node_of: OrdMap<&str, &Node> =
                OrdMap::from_iter(nodes.iter().map(|n| (n.metadata.name.as_str(), n)));
            for (node, pods) in &by_node {
                let Some((new, old)) = find_updated(pods, hash) else {
                    surged += 1;
                    continue;
                };
                if let Some(p) = old.or(new) {
                    if is_available(p, min_ready, now) {
                        available += 1;
                    }
                }
                let runs = || {
                    node_of
                        .get(node.as_str())
                        .is_some_and(|n| node_should_run(n, ds).0)
                };
                match (new, old) {
                    (_, None) => {}
                    (None, Some(old)) => {
                        if !is_available(old, min_ready, now) {
                            if !runs() {
                                to_delete.push(old.clone());
                                continue;
                            }
                            allowed.push(node.clone());
                        } else {
                            if !runs() {
                                should_not_run.push(old.clone());
                                continue;
                            }
                            if surged >= max_surge {
                                continue;
                            }
                            candidates.push(node.clone());
                        }
                    }
                    (Some(new), Some(old)) => {
                        if !is_available(new, min_ready, now) {
                            note(new);
                            surged += 1;
                            continue;
                        }
                        to_delete.push(old.clone());
                    }
                }
            }
            let remaining = (max_surge - surged).clamp(0, candidates.len() as i64);
            let deletable = (available - desired).clamp(0, should_not_run.len() as i64);
            to_delete.extend(should_not_run.into_iter().take(deletable as usize));
            to_create.extend(allowed);
            to_create.extend(candidates.into_iter().take(remaining as usize));
        }
        if let Some(t) = wake {
            self.requeue
                .at(ctx, ControllerId::DaemonSet, key, SimTime(t));
        }
        self.sync_nodes(ctx, ds, me, hash, &to_create, &to_delete);
    }

    /// upstream `updateDaemonSetStatus`.
    fn update_status(
        &mut self,
        ctx: &mut Ctx,
        key: &ObjectKey,
        ds: &DaemonSet,
        hash: &str,
        nodes: &[Node],
    ) {
        let by_node = self.node_pods(ctx, key, &ds.metadata.uid);
        let now = ctx.now.millis();
        let mut st = DaemonSetStatus::default();
        let mut wake: Option<u64> = None;
        for node in nodes {
            let (should_run, _) = node_should_run(node, ds);
            let pods = by_node.get(&node.metadata.name);
            if should_run {
                st.desired_number_scheduled += 1;
                let Some(pods) = pods.filter(|p| !p.is_empty()) else {
                    continue;
                };
                st.current_number_scheduled += 1;
                let mut sorted: Vec<&Pod> = pods.iter().collect();
                by_age(&mut sorted);
                let p = sorted[0];
                if p.status.ready {
                    st.number_ready += 1;
                    if is_available(p, ds.spec.min_ready_seconds, now) {
                        st.number_available += 1;
                    } else if let Some(t) = available_at(p, ds.spec.min_ready_seconds, now) {
                        wake = Some(wake.map_or(t.0, |w: u64| w.min(t.0)));
                    }
                }
                if p.metadata.labels.get(REVISION_LABEL).map(String::as_str) == Some(hash) {
                    st.updated_number_scheduled += 1;
                }
            } else if pods.is_some_and(|p| !p.is_empty()) {
                st.number_misscheduled += 1;
            }
        }
        st.number_unavailable = st.desired_number_scheduled - st.number_available;
        if let Some(t) = wake {
            self.requeue
                .at(ctx, ControllerId::DaemonSet, key, SimTime(t));
        }
        if st != ds.status {
            if let Some(Object::DaemonSet(cur)) = ctx.store.get(key).map(|s| s.object.clone()) {
                let mut next = cur;
                next.status = st;
                let _ = ctx.store.update(Object::DaemonSet(next), None);
            }
        }
    }
}

/// `util.AllowsSurge`: RollingUpdate with a non-zero maxSurge.
fn allows_surge(ds: &DaemonSet) -> bool {
    ds.spec.update_strategy.kind != "OnDelete" && surge_and_unavailable(ds, 1).0 > 0
}

/// `util.SurgeCount` / `util.UnavailableCount` (both rounded up), with the API defaults
/// maxUnavailable 1 and maxSurge 0.
pub fn surge_and_unavailable(ds: &DaemonSet, desired: i64) -> (i64, i64) {
    let ru = ds
        .spec
        .update_strategy
        .rolling_update
        .clone()
        .unwrap_or_default();
    let surge = ru
        .max_surge
        .unwrap_or(IntOrString::Int(0))
        .scaled_value(desired, true)
        .unwrap_or(0);
    let unavailable = ru
        .max_unavailable
        .unwrap_or(IntOrString::Int(1))
        .scaled_value(desired, true)
        .unwrap_or(1);
    (surge, unavailable)
}

/// upstream `findUpdatedPodsOnNode`: at most one new and one old live pod, else `None`.
fn find_updated<'a>(pods: &'a [Pod], hash: &str) -> Option<(Option<&'a Pod>, Option<&'a Pod>)> {
    let (mut new, mut old) = (None, None);
    for p in pods.iter().filter(|p| p.metadata.deletion_at.is_none()) {
        if p.metadata.labels.get(REVISION_LABEL).map(String::as_str) == Some(hash) {
            if new.is_some() {
                return None;
            }
            new = Some(p);
        } else {
            if old.is_some() {
                return None;
            }
            old = Some(p);
        }
    }
    Some((new, old))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::Node;

    fn node(name: &str, taints: &[(&str, &str)]) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.metadata
            .labels
            .insert("kubernetes.io/hostname".into(), name.into());
        n.spec.taints = taints
            .iter()
            .map(|(k, e)| Taint {
                key: (*k).into(),
                value: String::new(),
                effect: (*e).into(),
            })
            .collect();
        n
    }

    /// Rows after upstream daemon_controller_test.go TestNodeShouldRunDaemonPod and the taint
    /// tests (TestTaintedNodeDaemonDoesNotLaunchIntolerantPod, TestNotReadyNodeDaemonDoesLaunchPod,
    /// TestUnreachableNodeDaemonLaunchesPod, TestNodeDaemonLaunchesToleratePod).
    #[test]
    fn node_eligibility_like_upstream() {
        let ds = DaemonSet::default();
        assert_eq!(node_should_run(&node("a", &[]), &ds), (true, true));
        // A NoSchedule taint: no new pod, but a running one stays.
        assert_eq!(
            node_should_run(&node("a", &[("dedicated", "NoSchedule")]), &ds),
            (false, true)
        );
        // A NoExecute taint not tolerated: neither.
        assert_eq!(
            node_should_run(&node("a", &[("dedicated", "NoExecute")]), &ds),
            (false, false)
        );
        // The default tolerations cover not-ready / unreachable NoExecute and unschedulable.
        for (k, e) in [
            ("node.kubernetes.io/not-ready", "NoExecute"),
            ("node.kubernetes.io/unreachable", "NoExecute"),
            ("node.kubernetes.io/unschedulable", "NoSchedule"),
            ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ] {
            assert_eq!(
                node_should_run(&node("a", &[(k, e)]), &ds),
                (true, true),
                "{k}"
            );
        }
        // network-unavailable only with hostNetwork.
        let taint = [("node.kubernetes.io/network-unavailable", "NoSchedule")];
        assert_eq!(node_should_run(&node("a", &taint), &ds), (false, true));
        let mut host = DaemonSet::default();
        host.spec.template.spec.host_network = Some(true);
        assert_eq!(node_should_run(&node("a", &taint), &host), (true, true));
        // A toleration of the pod's own.
        let mut tol = DaemonSet::default();
        tol.spec.template.spec.tolerations.push(Toleration {
            key: "dedicated".into(),
            operator: "Exists".into(),
            ..Default::default()
        });
        assert_eq!(
            node_should_run(&node("a", &[("dedicated", "NoExecute")]), &tol),
            (true, true)
        );
        // nodeSelector and nodeName.
        let mut sel = DaemonSet::default();
        sel.spec
            .template
            .spec
            .node_selector
            .insert("kubernetes.io/hostname".into(), "b".into());
        assert_eq!(node_should_run(&node("a", &[]), &sel), (false, false));
        assert_eq!(node_should_run(&node("b", &[]), &sel), (true, true));
        let mut named = DaemonSet::default();
        named.spec.template.spec.node_name = "b".into();
        assert_eq!(node_should_run(&node("a", &[]), &named), (false, false));
    }

    #[test]
    fn pods_are_pinned_with_match_fields() {
        let a = pin_to_node(None, "n1");
        let terms = &a
            .node_affinity
            .as_ref()
            .unwrap()
            .required_during_scheduling_ignored_during_execution
            .as_ref()
            .unwrap()
            .node_selector_terms;
        assert_eq!(terms.len(), 1);
        assert!(terms[0].matches("n1", &Default::default()));
        assert!(!terms[0].matches("n2", &Default::default()));
        let mut p = Pod::default();
        p.spec.affinity = Some(a);
        assert_eq!(target_node(&p).as_deref(), Some("n1"));
        // Defaults: maxUnavailable 1, maxSurge 0; percentages round up.
        let ds = DaemonSet::default();
        assert_eq!(surge_and_unavailable(&ds, 10), (0, 1));
        let mut pct = DaemonSet::default();
        pct.spec.update_strategy.rolling_update = Some(crate::api::apps::RollingUpdate {
            max_unavailable: Some(IntOrString::Str("25%".into())),
            ..Default::default()
        });
        assert_eq!(surge_and_unavailable(&pct, 10), (0, 3));
    }
}
