//! The disruption controller (kube-controller-manager v1.35, pkg/controller/disruption/
//! disruption.go): keeps each PodDisruptionBudget's status, which the eviction subresource
//! (`sim::eviction`) checks and decrements.
//!
//! - `expectedPods` / `desiredHealthy` (`getExpectedPodCount`): with `maxUnavailable`, the sum
//!   of the scales of the pods' controllers (a Deployment through its ReplicaSet, a
//!   ReplicaSet, a StatefulSet) minus `maxUnavailable` (a percentage rounded up); with an
//!   integer `minAvailable`, the number of pods and `minAvailable`; with a percentage
//!   `minAvailable`, the controllers' scale and the percentage of it, rounded up.
//! - `currentHealthy` (`countHealthyPods`): pods not being deleted, not recently approved for
//!   eviction (`disruptedPods`, for at most `DeletionTimeout` = 2 min), and Ready.
//! - `disruptionsAllowed` = `currentHealthy - desiredHealthy`, at least 0, and 0 while no pod
//!   is expected.
//!
//! A selector that is absent matches no pod; `{}` matches every pod of the namespace. Pods
//! without a controller make a `maxUnavailable` or percentage budget count nothing for them
//! (event `UnmanagedPods`); a controller of another kind is an error that sets
//! `disruptionsAllowed` to 0 (`failSafe`, event `CalculateExpectedPodCountFailed`).

use super::{ControllerId, Requeue};
use crate::api::meta::IntOrString;
use crate::api::pod::Pod;
use crate::api::policy::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use crate::api::selector::LabelSelector;
use crate::api::{Kind, Object};
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::sim::ctx::Ctx;
use crate::store::{MemoryStore, ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};

/// disruption.go `DeletionTimeout`: how long an approved eviction keeps a pod out of the
/// healthy count while it is not yet being deleted.
pub const DELETION_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Default)]
pub struct DisruptionController {
    pub cursor: u64,
    requeue: Requeue,
}

/// The counts of `getExpectedPodCount`: `(expectedCount, desiredHealthy, unmanaged pods)`.
pub type Expected = (i32, i32, Vec<String>);

/// Does the PDB's selector select the pod's labels? (`LabelSelectorAsSelector`: absent
/// selects nothing, empty everything.)
pub fn selects(selector: Option<&LabelSelector>, pod: &Pod) -> bool {
    selector.is_some_and(|s| s.matches(&pod.metadata.labels))
}

/// The scale of a pod's controller (`finders`): a ReplicaSet owned by a Deployment counts as
/// the Deployment. `Ok(None)`: no controller. `Err`: a controller no finder knows.
fn controller_scale(store: &MemoryStore, pod: &Pod) -> Result<Option<(String, i32)>, String> {
    let Some(r) = pod.metadata.controller_of() else {
        return Ok(None);
    };
    let ns = pod.namespace();
    let get = |kind: Kind, name: &str| {
        store
            .get(&ObjectKey::new(kind, ns, name))
            .map(|s| &s.object)
    };
    let found = match r.kind.as_str() {
        "ReplicaSet" => match get(Kind::ReplicaSet, &r.name) {
            Some(Object::ReplicaSet(rs)) if rs.metadata.uid == r.uid => {
                let deploy = rs
                    .metadata
                    .controller_of()
                    .filter(|o| o.kind == "Deployment")
                    .and_then(|o| match get(Kind::Deployment, &o.name) {
                        Some(Object::Deployment(d)) if d.metadata.uid == o.uid => Some(d),
                        _ => None,
                    });
                Some(match deploy {
                    Some(d) => (d.metadata.uid.clone(), d.spec.replicas.unwrap_or(1)),
                    None => (rs.metadata.uid.clone(), rs.spec.replicas.unwrap_or(1)),
                })
            }
            _ => None,
        },
        "StatefulSet" => match get(Kind::StatefulSet, &r.name) {
            Some(Object::StatefulSet(s)) if s.metadata.uid == r.uid => {
                Some((s.metadata.uid.clone(), s.spec.replicas.unwrap_or(1)))
            }
            _ => None,
        },
        _ => None,
    };
    found
        .map(Some)
        .ok_or_else(|| format!("found no controllers for pod {:?}", pod.metadata.name))
}

/// Upstream `getExpectedScale`: the sum of the distinct controllers' scales, and the pods
/// without a controller.
fn expected_scale(store: &MemoryStore, pods: &[&Pod]) -> Result<(i32, Vec<String>), String> {
    let mut scales: OrdMap<String, i32> = OrdMap::new();
    let mut unmanaged = Vec::new();
    for p in pods {
        match controller_scale(store, p)? {
            None => unmanaged.push(p.metadata.name.clone()),
            Some((uid, scale)) => {
                scales.insert(uid, scale);
            }
        }
    }
    Ok((scales.values().sum(), unmanaged))
}

/// Upstream `getExpectedPodCount`.
pub fn expected_pod_count(
    store: &MemoryStore,
    pdb: &PodDisruptionBudget,
    pods: &[&Pod],
) -> Result<Expected, String> {
    if let Some(mu) = &pdb.spec.max_unavailable {
        let (expected, unmanaged) = expected_scale(store, pods)?;
        let max = mu.scaled_value(i64::from(expected), true)?;
        let desired = (i64::from(expected) - max).max(0) as i32;
        return Ok((expected, desired, unmanaged));
    }
    match &pdb.spec.min_available {
        Some(IntOrString::Int(n)) => Ok((pods.len() as i32, *n as i32, Vec::new())),
        Some(pct @ IntOrString::Str(_)) => {
            let (expected, unmanaged) = expected_scale(store, pods)?;
            let min = pct.scaled_value(i64::from(expected), true)?;
            Ok((expected, min as i32, unmanaged))
        }
        None => Ok((0, 0, Vec::new())),
    }
}

/// Upstream `countHealthyPods`.
pub fn count_healthy(pods: &[&Pod], disrupted: &OrdMap<String, u64>, now: SimTime) -> i32 {
    pods.iter()
        .filter(|p| p.metadata.deletion_at.is_none())
        .filter(|p| {
            disrupted
                .get(&p.metadata.name)
                .is_none_or(|t| SimTime(*t).after(DELETION_TIMEOUT) <= now)
        })
        .filter(|p| p.status.ready)
        .count() as i32
}

/// Upstream `updatePdbStatus`'s arithmetic: `disruptionsAllowed`.
pub fn disruptions_allowed(current: i32, desired: i32, expected: i32) -> i32 {
    let allowed = current - desired;
    if expected <= 0 || allowed <= 0 {
        0
    } else {
        allowed
    }
}

/// Go's `%v` of a `*metav1.LabelSelector` (its generated `String()`), for the UnmanagedPods
/// event.
fn go_selector(s: Option<&LabelSelector>) -> String {
    let Some(s) = s else {
        return "nil".into();
    };
    let labels: String = s
        .match_labels
        .iter()
        .map(|(k, v)| format!("{k}: {v},"))
        .collect();
    let exprs: Vec<String> = s
        .match_expressions
        .iter()
        .map(|e| {
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}}",
                e.key,
                e.operator,
                e.values.join(" ")
            )
        })
        .collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{}}},}}",
        exprs.join(",")
    )
}

impl DisruptionController {
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let dirty = self.catch_up(ctx);
        for key in dirty {
            self.reconcile(ctx, &key);
        }
        self.cursor = ctx.store.revision();
    }

    /// A recheck (an approved eviction's `DeletionTimeout` ran out) is due.
    pub fn wake(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        self.requeue.fired(ctx.now, key);
        let mut dirty = self.catch_up(ctx);
        dirty.insert(key.clone());
        for k in dirty {
            self.reconcile(ctx, &k);
        }
        self.cursor = ctx.store.revision();
    }

    /// The budgets to recompute: changed ones, and those of the namespaces where pods or
    /// their controllers changed. Nothing is read when there is no budget.
    fn catch_up(&mut self, ctx: &Ctx) -> OrdSet<ObjectKey> {
        let mut dirty = OrdSet::new();
        if ctx.store.count(Kind::PodDisruptionBudget) == 0 {
            self.cursor = ctx.store.revision();
            return dirty;
        }
        let mut namespaces = OrdSet::new();
        for c in ctx.store.changes_since(self.cursor) {
            match c.key.kind {
                Kind::PodDisruptionBudget => {
                    dirty.insert(c.key.clone());
                }
                Kind::Pod | Kind::ReplicaSet | Kind::Deployment | Kind::StatefulSet => {
                    namespaces.insert(c.key.namespace.clone());
                }
                _ => {}
            }
        }
        self.cursor = ctx.store.revision();
        for (k, _) in ctx.store.list(Kind::PodDisruptionBudget) {
            if namespaces.contains(&k.namespace) {
                dirty.insert(k.clone());
            }
        }
        dirty
    }

    /// Upstream `sync` / `trySync` / `failSafe` for one budget.
    fn reconcile(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let Some(Object::PodDisruptionBudget(pdb)) = ctx.store.get(key).map(|s| s.object.clone())
        else {
            return;
        };
        let me = format!("PodDisruptionBudget/{}/{}", key.namespace, key.name);
        let now = ctx.now;
        let pods: Vec<&Pod> = ctx
            .store
            .objects_in(Kind::Pod, &key.namespace)
            .filter_map(|o| match o {
                Object::Pod(p) => Some(p),
                _ => None,
            })
            .filter(|p| selects(pdb.spec.selector.as_ref(), p))
            .collect();
        let mut events: Vec<(&str, String)> = Vec::new();
        if pods.is_empty() {
            events.push(("NoPods", "No matching pods found".into()));
        }
        let mut status = pdb.status.clone();
        let mut recheck = None;
        match expected_pod_count(ctx.store, &pdb, &pods) {
            Err(e) => {
                events.push((
                    "CalculateExpectedPodCountFailed",
                    format!("Failed to calculate the number of expected pods: {e}"),
                ));
                // failSafe: no disruption allowed; the rest of the status stays.
                status.disruptions_allowed = 0;
                status.sync_failed = e;
            }
            Ok((expected, desired, unmanaged)) => {
                if !unmanaged.is_empty() {
                    events.push((
                        "UnmanagedPods",
                        format!(
                            "Pods selected by this PodDisruptionBudget (selector: {}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.",
                            go_selector(pdb.spec.selector.as_ref())
                        ),
                    ));
                }
                // buildDisruptedPodMap: approved evictions of pods not yet being deleted, for
                // at most DeletionTimeout.
                let mut disrupted = OrdMap::new();
                for p in &pods {
                    if p.metadata.deletion_at.is_some() {
                        continue;
                    }
                    let Some(&t) = status.disrupted_pods.get(&p.metadata.name) else {
                        continue;
                    };
                    let expected_deletion = SimTime(t).after(DELETION_TIMEOUT);
                    if expected_deletion < now {
                        events.push((
                            "NotDeleted",
                            format!(
                                "Pod was expected by PDB {}/{} to be deleted but it wasn't",
                                key.namespace, key.namespace
                            ),
                        ));
                    } else {
                        recheck = Some(
                            recheck
                                .map_or(expected_deletion, |r: SimTime| r.min(expected_deletion)),
                        );
                        disrupted.insert(p.metadata.name.clone(), t);
                    }
                }
                let current = count_healthy(&pods, &disrupted, now);
                status = PodDisruptionBudgetStatus {
                    observed: true,
                    disruptions_allowed: disruptions_allowed(current, desired, expected),
                    current_healthy: current,
                    desired_healthy: desired,
                    expected_pods: expected,
                    disrupted_pods: disrupted,
                    sync_failed: String::new(),
                };
            }
        }
        for (reason, msg) in events {
            ctx.event(reason, me.clone(), None, msg);
        }
        if status != pdb.status {
            let mut pdb = pdb;
            pdb.status = status;
            let _ = ctx.store.update(Object::PodDisruptionBudget(pdb), None);
        }
        if let Some(at) = recheck {
            self.requeue.at(ctx, ControllerId::Disruption, key, at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::apps::ReplicaSet;
    use crate::api::meta::OwnerReference;
    use crate::api::policy::PodDisruptionBudgetSpec;
    use crate::store::ObjectStore;

    fn pdb(min: Option<IntOrString>, max: Option<IntOrString>) -> PodDisruptionBudget {
        PodDisruptionBudget {
            spec: PodDisruptionBudgetSpec {
                min_available: min,
                max_unavailable: max,
                selector: Some(LabelSelector::default()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn pod(name: &str, ready: bool, rs: Option<&ReplicaSet>) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        p.status.ready = ready;
        if let Some(rs) = rs {
            p.metadata.owner_references.push(OwnerReference {
                api_version: "apps/v1".into(),
                kind: "ReplicaSet".into(),
                name: rs.metadata.name.clone(),
                uid: rs.metadata.uid.clone(),
                controller: Some(true),
                block_owner_deletion: None,
            });
        }
        p
    }

    fn replica_set(store: &mut MemoryStore, replicas: i32) -> ReplicaSet {
        let mut rs = ReplicaSet::default();
        rs.metadata.name = "foobar".into();
        rs.metadata.namespace = "default".into();
        rs.metadata.uid = "rs-uid".into();
        rs.spec.replicas = Some(replicas);
        let _ = store.delete(&ObjectKey::new(Kind::ReplicaSet, "default", "foobar"));
        store.create(Object::ReplicaSet(rs.clone())).unwrap();
        rs
    }

    /// (disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods), as upstream's
    /// `VerifyPdbStatus` checks them.
    fn status(store: &MemoryStore, b: &PodDisruptionBudget, pods: &[Pod]) -> (i32, i32, i32, i32) {
        let refs: Vec<&Pod> = pods.iter().collect();
        match expected_pod_count(store, b, &refs) {
            Ok((expected, desired, _)) => {
                let current = count_healthy(&refs, &OrdMap::new(), SimTime::ZERO);
                (
                    disruptions_allowed(current, desired, expected),
                    current,
                    desired,
                    expected,
                )
            }
            Err(_) => (0, -1, -1, -1),
        }
    }

    #[test]
    fn pdb_status_rows_like_upstream_disruption_test() {
        let s = MemoryStore::new();
        // TestUnavailable: minAvailable 3, counts go up with each ready pod; one unready.
        let b = pdb(Some(IntOrString::Int(3)), None);
        let mut pods = Vec::new();
        for i in 0..4 {
            assert_eq!(status(&s, &b, &pods), (0, i, 3, i));
            pods.push(pod(&format!("yo-yo-yo {i}"), true, None));
        }
        assert_eq!(status(&s, &b, &pods), (1, 4, 3, 4));
        pods[0].status.ready = false;
        assert_eq!(status(&s, &b, &pods), (0, 3, 3, 4));
        // TestIntegerMaxUnavailable / TestNakedPod: no controller, nothing allowed.
        let naked = [pod("naked", true, None)];
        assert_eq!(
            status(&s, &pdb(None, Some(IntOrString::Int(1))), &naked).0,
            0
        );
        assert_eq!(
            status(&s, &pdb(Some(IntOrString::Str("28%".into())), None), &naked).0,
            0
        );
    }

    #[test]
    fn pdb_scale_rows_like_upstream_disruption_test() {
        let mut s = MemoryStore::new();
        // TestIntegerMaxUnavailableWithScaling: maxUnavailable 2 of an RS of 7, then of 5.
        let rs = replica_set(&mut s, 7);
        let pods = [pod("pod", true, Some(&rs))];
        let b = pdb(None, Some(IntOrString::Int(2)));
        assert_eq!(status(&s, &b, &pods), (0, 1, 5, 7));
        replica_set(&mut s, 5);
        assert_eq!(status(&s, &b, &pods), (0, 1, 3, 5));
        // TestPercentageMaxUnavailableWithScaling: 30% (rounded up) of 7, then of 3.
        replica_set(&mut s, 7);
        let b = pdb(None, Some(IntOrString::Str("30%".into())));
        assert_eq!(status(&s, &b, &pods), (0, 1, 4, 7));
        replica_set(&mut s, 3);
        assert_eq!(status(&s, &b, &pods), (0, 1, 2, 3));
        // TestReplicaSet: minAvailable 20% of 10.
        replica_set(&mut s, 10);
        let b = pdb(Some(IntOrString::Str("20%".into())), None);
        assert_eq!(status(&s, &b, &pods), (0, 1, 2, 10));
        // TestStatefulSetController's arithmetic with an RS of 3: 34% rounds up to 2.
        replica_set(&mut s, 3);
        let b = pdb(Some(IntOrString::Str("34%".into())), None);
        let mut pods = Vec::new();
        for i in 0..3 {
            pods.push(pod(&format!("foobar {i}"), true, Some(&rs)));
            let want = if i < 2 {
                (0, i + 1, 2, 3)
            } else {
                (1, 3, 2, 3)
            };
            assert_eq!(status(&s, &b, &pods), want);
        }
        // TestUnsupportedControllerPod: a controller no finder knows is an error.
        let mut odd = pod("naked", true, None);
        odd.metadata.owner_references.push(OwnerReference {
            api_version: "apps.test.io/v1".into(),
            kind: "TestWorkload".into(),
            name: "fake-controller".into(),
            uid: "b7329742".into(),
            controller: Some(true),
            block_owner_deletion: None,
        });
        assert_eq!(
            expected_pod_count(&s, &b, &[&odd]).unwrap_err(),
            "found no controllers for pod \"naked\""
        );
    }

    #[test]
    fn approved_evictions_leave_the_healthy_count_for_two_minutes() {
        let pods = [pod("a", true, None), pod("b", true, None)];
        let refs: Vec<&Pod> = pods.iter().collect();
        let disrupted: OrdMap<String, u64> = [("a".to_string(), 10_000)].into();
        assert_eq!(count_healthy(&refs, &disrupted, SimTime(10_000)), 1);
        assert_eq!(count_healthy(&refs, &disrupted, SimTime(129_999)), 1);
        assert_eq!(count_healthy(&refs, &disrupted, SimTime(130_000)), 2);
    }

    #[test]
    fn selectors() {
        let p = pod("a", true, None);
        assert!(!selects(None, &p), "no selector selects nothing");
        assert!(
            selects(Some(&LabelSelector::default()), &p),
            "{{}} selects all"
        );
        assert_eq!(
            go_selector(Some(&LabelSelector {
                match_labels: [("app".to_string(), "web".to_string())].into(),
                match_expressions: vec![],
            })),
            "&LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}"
        );
    }
}
