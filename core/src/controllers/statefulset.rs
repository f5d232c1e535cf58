//! StatefulSet controller: pods with stable ordinal names, created, deleted and updated in
//! order.
//!
//! Upstream: pkg/controller/statefulset/stateful_set_control.go (`updateStatefulSet`,
//! `processReplica`, `processCondemned`, `updateStatefulSetAfterInvariantEstablished` — the
//! `MaxUnavailableStatefulSet` path, beta and on by default in v1.35), stateful_set_utils.go
//! (`newVersionedStatefulSetPod`, `updateIdentity`, `isRunningAndAvailable`) and
//! stateful_pod_control.go (the `SuccessfulCreate` / `SuccessfulDelete` event texts).
//!
//! - Pod `i` is `<set>-<i>` with labels `statefulset.kubernetes.io/pod-name`,
//!   `apps.kubernetes.io/pod-index` and `controller-revision-hash: <set>-<hash>`, hostname
//!   its name and subdomain `serviceName`.
//! - `OrderedReady` (default): one pod at a time in ordinal order, each waiting for its
//!   predecessors to be Running, Ready and available for `minReadySeconds`; scale down from
//!   the highest ordinal, one at a time. `Parallel`: all at once.
//! - `RollingUpdate`: ordinals `>= partition` are replaced from the highest down, at most
//!   `maxUnavailable` (default 1) unavailable at a time. `OnDelete`: pods are replaced only
//!   when something else deletes them.
//! - Failed or succeeded pods are deleted and recreated (`RecreatingFailedPod`).

use super::naming::pod_template_hash;
use super::{available_at, is_available, ControllerId, Requeue};
use crate::api::apps::{StatefulSet, StatefulSetStatus};
use crate::api::meta::{IntOrString, OwnerReference};
use crate::api::pod::{Pod, PodPhase, PodTemplateSpec};
use crate::api::{Kind, Object};
use crate::collections::OrdSet;
use crate::sim::budget::Budget;
use crate::sim::ctx::Ctx;
use crate::sim::objects;
use crate::store::{ObjectKey, ObjectStore};
use crate::time::SimTime;

/// apps/v1 `StatefulSetPodNameLabel`.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// apps/v1 `PodIndexLabel`.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
/// apps/v1 `ControllerRevisionHashLabelKey`.
pub const REVISION_LABEL: &str = "controller-revision-hash";

#[derive(Default)]
pub struct StatefulSetController {
    pub cursor: u64,
    pods: Option<super::owned::OwnedPods>,
    requeue: Requeue,
    /// A budgeted sync paused in its read of the feed: the sets found so far.
    reading: Option<OrdSet<ObjectKey>>,
}

/// The ordinal of a pod named `<set>-<i>` (upstream `getParentNameAndOrdinal`).
pub fn ordinal(set: &str, pod: &str) -> Option<i32> {
    pod.strip_prefix(set)?
        .strip_prefix('-')?
        .parse::<i32>()
        .ok()
        .filter(|i| *i >= 0)
}

fn running_and_ready(p: &Pod) -> bool {
    p.status.phase == PodPhase::Running && p.status.ready
}

fn terminating(p: &Pod) -> bool {
    p.metadata.deletion_at.is_some()
}

/// `isHealthy`: running, ready and not terminating.
fn healthy(p: &Pod) -> bool {
    running_and_ready(p) && !terminating(p)
}

fn revision_of(p: &Pod) -> &str {
    p.metadata
        .labels
        .get(REVISION_LABEL)
        .map(String::as_str)
        .unwrap_or("")
}

/// The revision name of a template: `<set>-<hash>` (upstream `history.ControllerRevisionName`
/// over `HashControllerRevision`; cellsim hashes the template's canonical JSON, see
/// `naming::pod_template_hash`).
pub fn revision_name(set: &str, t: &PodTemplateSpec) -> String {
    format!("{set}-{}", pod_template_hash(t, 0))
}

impl StatefulSetController {
    fn catch_up(&mut self, ctx: &Ctx) -> OrdSet<ObjectKey> {
        let mut dirty = OrdSet::new();
        self.catch_up_some(ctx, &mut dirty, usize::MAX);
        dirty
    }

    /// Up to `limit` changes of the feed into `dirty`, the cursor after the last one read;
    /// true when the feed is read to its end.
    fn catch_up_some(&mut self, ctx: &Ctx, dirty: &mut OrdSet<ObjectKey>, limit: usize) -> bool {
        let index = self
            .pods
            .get_or_insert_with(|| super::owned::OwnedPods::new(Kind::StatefulSet));
        // The feed is read in place; a pod no StatefulSet owns costs one lookup and no
        // allocation (`OwnedPods::observe`).
        let changes = ctx.store.changes_since(self.cursor);
        let n = changes.len().min(limit);
        for c in &changes[..n] {
            match c.key.kind {
                Kind::StatefulSet => {
                    dirty.insert(c.key.clone());
                }
                Kind::Pod => dirty.extend(index.observe(ctx.store, &c.key)),
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

    pub fn sync(&mut self, ctx: &mut Ctx) {
        let done = self.sync_budget(ctx, &mut Budget::unlimited());
        debug_assert!(done);
    }

    /// `sync` with the feed read `FEED_CHUNK` changes per unit of `budget`; false when it
    /// paused inside the read (the next call goes on with it), as `Controllers::sync_budget`
    /// describes.
    pub fn sync_budget(&mut self, ctx: &mut Ctx, budget: &mut Budget) -> bool {
        let paused = self.reading.take();
        let dirty = match super::read_in_units(paused, budget, |d, n| self.catch_up_some(ctx, d, n))
        {
            Ok(dirty) => dirty,
            Err(part) => {
                self.reading = Some(part);
                return false;
            }
        };
        for key in dirty {
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

    fn pods(&self, ctx: &Ctx, key: &ObjectKey, uid: &str) -> Vec<Pod> {
        self.pods
            .as_ref()
            .map(|ix| ix.pods(ctx.store, key, uid).into_iter().cloned().collect())
            .unwrap_or_default()
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let Some(Object::StatefulSet(set)) = ctx.store.get(key).map(|s| s.object.clone()) else {
            return;
        };
        let mut set = set;
        let name = set.metadata.name.clone();
        let me = format!("StatefulSet/{}/{}", key.namespace, name);
        let update_rev = revision_name(&name, &set.spec.template);
        // getStatefulSetRevisions: record the revision; the current one is the status's, or
        // the update revision for a new set.
        set.status
            .revisions
            .entry(update_rev.clone())
            .or_insert_with(|| set.spec.template.clone());
        let current_rev = if set
            .status
            .revisions
            .contains_key(&set.status.current_revision)
        {
            set.status.current_revision.clone()
        } else {
            update_rev.clone()
        };
        let replicas = set.spec.replicas.unwrap_or(1).max(0);
        let min_ready = set.spec.min_ready_seconds;
        let now = ctx.now.millis();
        let parallel = set.spec.pod_management_policy == "Parallel";
        let monotonic = !parallel;
        let on_delete = set.spec.update_strategy.kind == "OnDelete";
        let ru = set
            .spec
            .update_strategy
            .rolling_update
            .clone()
            .unwrap_or_default();
        let partition = ru.partition.unwrap_or(0).max(0);

        let all = self.pods(ctx, key, &set.metadata.uid);
        let mut slots: Vec<Option<Pod>> = vec![None; replicas as usize];
        let mut condemned: Vec<(i32, Pod)> = Vec::new();
        for p in all {
            match ordinal(&name, &p.metadata.name) {
                Some(i) if i < replicas => slots[i as usize] = Some(p),
                Some(i) => condemned.push((i, p)),
                None => {}
            }
        }
        // descendingOrdinal
        crate::sort::sort_by_key(&mut condemned, |c| std::cmp::Reverse(c.0));
        let first_unhealthy: Option<String> = slots
            .iter()
            .flatten()
            .chain(condemned.iter().map(|(_, p)| p))
            .find(|p| !healthy(p))
            .map(|p| p.metadata.name.clone());
        let mut wake_at: Option<u64> = None;
        let mut note_wake = |p: &Pod| {
            if let Some(t) = available_at(p, min_ready, now) {
                wake_at = Some(wake_at.map_or(t.0, |w: u64| w.min(t.0)));
            }
        };

        'work: {
            if set.metadata.deletion_at.is_some() {
                break 'work;
            }
            // processReplica, in ordinal order.
            for i in 0..replicas {
                let slot = &mut slots[i as usize];
                if let Some(p) = slot.as_ref().filter(|p| p.is_terminal()) {
                    let (reason, what) = if p.status.phase == PodPhase::Failed {
                        ("RecreatingFailedPod", "failed")
                    } else {
                        ("RecreatingTerminatedPod", "terminated")
                    };
                    ctx.event(
                        reason,
                        me.clone(),
                        None,
                        format!(
                            "StatefulSet {}/{name} is recreating {what} Pod {}",
                            key.namespace, p.metadata.name
                        ),
                    );
                    self.delete(ctx, &me, &name, p);
                    *slot = None;
                }
                if slot.is_none() {
                    // newVersionedStatefulSetPod: ordinals below the partition stay at the
                    // current revision (RollingUpdate only).
                    let rev = if !on_delete && i < partition {
                        &current_rev
                    } else {
                        &update_rev
                    };
                    let template = set.status.revisions[rev].clone();
                    match self.create(ctx, &set, &me, i, rev, &template) {
                        Some(p) => *slot = Some(p),
                        None => break 'work,
                    }
                    if monotonic {
                        break 'work;
                    }
                    continue;
                }
                let p = slot.as_ref().expect("created above");
                if monotonic {
                    if terminating(p) || !running_and_ready(p) {
                        break 'work;
                    }
                    if !is_available(p, min_ready, now) {
                        note_wake(p);
                        break 'work;
                    }
                }
            }
            // processCondemned: highest ordinal first.
            for (_, p) in &condemned {
                if terminating(p) {
                    if monotonic {
                        break 'work;
                    }
                    continue;
                }
                let is_first_unhealthy = first_unhealthy.as_deref() == Some(&p.metadata.name);
                if monotonic && !running_and_ready(p) && !is_first_unhealthy {
                    break 'work;
                }
                if monotonic && !is_available(p, min_ready, now) && !is_first_unhealthy {
                    note_wake(p);
                    break 'work;
                }
                self.delete(ctx, &me, &name, p);
                if monotonic {
                    break 'work;
                }
            }
            if on_delete {
                break 'work;
            }
            // updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet).
            let max_unavailable = ru
                .max_unavailable
                .unwrap_or(IntOrString::Int(1))
                .scaled_value(replicas as i64, false)
                .unwrap_or(1)
                .max(1);
            let live: Vec<&Pod> = slots.iter().flatten().collect();
            let unavailable = live
                .iter()
                .filter(|p| terminating(p) || !is_available(p, min_ready, now))
                .count() as i64;
            for p in &live {
                if !terminating(p) && !is_available(p, min_ready, now) {
                    note_wake(p);
                }
            }
            if unavailable >= max_unavailable {
                break 'work;
            }
            let mut budget = max_unavailable - unavailable;
            for i in (partition..replicas).rev() {
                if budget <= 0 {
                    break;
                }
                if let Some(p) = &slots[i as usize] {
                    if revision_of(p) != update_rev && !terminating(p) {
                        self.delete(ctx, &me, &name, p);
                        budget -= 1;
                    }
                }
            }
        }
        if let Some(t) = wake_at {
            self.requeue
                .at(ctx, ControllerId::StatefulSet, key, SimTime(t));
        }
        self.update_status(ctx, key, set, &current_rev, &update_rev);
    }

    fn create(
        &mut self,
        ctx: &mut Ctx,
        set: &StatefulSet,
        me: &str,
        i: i32,
        rev: &str,
        template: &PodTemplateSpec,
    ) -> Option<Pod> {
        let name = format!("{}-{i}", set.metadata.name);
        let mut pod = Pod {
            metadata: template.metadata.clone(),
            spec: template.spec.clone(),
            status: Default::default(),
        };
        pod.metadata.name = name.clone();
        pod.metadata.generate_name.clear();
        pod.metadata.namespace = set.metadata.namespace.clone();
        pod.metadata.owner_references = vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "StatefulSet".into(),
            name: set.metadata.name.clone(),
            uid: set.metadata.uid.clone(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }];
        // updateIdentity + setPodRevision.
        let l = &mut pod.metadata.labels;
        l.insert(POD_NAME_LABEL.into(), name.clone());
        l.insert(POD_INDEX_LABEL.into(), i.to_string());
        l.insert(REVISION_LABEL.into(), rev.to_string());
        pod.spec.hostname = name.clone();
        pod.spec.subdomain = set.spec.service_name.clone();
        let created = objects::create_or_report(ctx, Object::Pod(pod), me)?;
        ctx.event(
            "SuccessfulCreate",
            me.to_string(),
            None,
            format!(
                "create Pod {name} in StatefulSet {} successful",
                set.metadata.name
            ),
        );
        match created {
            Object::Pod(p) => Some(p),
            _ => None,
        }
    }

    fn delete(&mut self, ctx: &mut Ctx, me: &str, set: &str, p: &Pod) {
        objects::delete_pod(ctx, &p.key());
        ctx.event(
            "SuccessfulDelete",
            me.to_string(),
            None,
            format!(
                "delete Pod {} in StatefulSet {set} successful",
                p.metadata.name
            ),
        );
    }

    /// upstream `updateStatus` / `computeReplicaStatus` / `completeRollingUpdate`.
    fn update_status(
        &mut self,
        ctx: &mut Ctx,
        key: &ObjectKey,
        set: StatefulSet,
        current_rev: &str,
        update_rev: &str,
    ) {
        let now = ctx.now.millis();
        let mut st = StatefulSetStatus {
            current_revision: current_rev.to_string(),
            update_revision: update_rev.to_string(),
            revisions: set.status.revisions.clone(),
            ..Default::default()
        };
        for p in self.pods(ctx, key, &set.metadata.uid) {
            st.replicas += 1;
            if running_and_ready(&p) {
                st.ready_replicas += 1;
                if is_available(&p, set.spec.min_ready_seconds, now) {
                    st.available_replicas += 1;
                }
            }
            if !terminating(&p) {
                let r = revision_of(&p);
                if r == current_rev {
                    st.current_replicas += 1;
                }
                if r == update_rev {
                    st.updated_replicas += 1;
                }
            }
        }
        let replicas = set.spec.replicas.unwrap_or(1).max(0);
        if set.spec.update_strategy.kind != "OnDelete"
            && st.updated_replicas == replicas
            && st.ready_replicas == replicas
            && st.replicas == replicas
        {
            st.current_replicas = st.updated_replicas;
            st.current_revision = st.update_revision.clone();
        }
        // Keep only the revisions still in use (cleanupHistory keeps revisionHistoryLimit
        // more; nothing reads them).
        let keep: OrdSet<String> =
            OrdSet::from_iter([st.current_revision.clone(), st.update_revision.clone()]);
        st.revisions.retain(|k, _| keep.contains(k));
        if let Some(Object::StatefulSet(cur)) = ctx.store.get(key).map(|s| &s.object) {
            if cur.status != st {
                let mut next = cur.clone();
                next.status = st;
                let _ = ctx.store.update(Object::StatefulSet(next), None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_like_upstream() {
        assert_eq!(ordinal("web", "web-0"), Some(0));
        assert_eq!(ordinal("web", "web-12"), Some(12));
        assert_eq!(ordinal("web", "web-x"), None);
        assert_eq!(ordinal("web", "webby-1"), None);
        assert_eq!(ordinal("web", "web"), None);
        assert_eq!(ordinal("web-a", "web-a-3"), Some(3));
    }
}
