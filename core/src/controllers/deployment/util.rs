//! The Deployment controller's helpers: revisions and annotations, fenceposts, proportions,
//! template matching and the rollout conditions.
//!
//! Upstream: pkg/controller/deployment/util/deployment_util.go (names kept: `MaxRevision`,
//! `SetNewReplicaSetAnnotations`, `GetProportion`, `NewRSNewReplicas`, ...).

use crate::api::apps::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use crate::api::meta::{IntOrString, ObjectMeta};
use crate::api::pod::PodTemplateSpec;
use crate::binary64::F64;
use crate::collections::OrdMap;

/// `RevisionAnnotation`: a ReplicaSet's place in the rollout sequence (also on the Deployment).
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// `RevisionHistoryAnnotation`: the revisions a ReplicaSet served before (after rollbacks).
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// `DesiredReplicasAnnotation`.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// `MaxReplicasAnnotation`: replicas + maxSurge when the ReplicaSet was last scaled.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// `apps.DeprecatedRollbackTo`: the rollback request (`kubectl rollout undo`'s old wire form).
pub const ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
/// `v1.LastAppliedConfigAnnotation`.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// `DefaultDeploymentUniqueLabelKey`.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// sync.go `maxRevHistoryLengthInChars`.
const MAX_REV_HISTORY_LENGTH_IN_CHARS: usize = 2000;
/// apps/v1 `SetDefaults_Deployment`.
pub const DEFAULT_REVISION_HISTORY_LIMIT: i32 = 10;
/// apps/v1 `SetDefaults_Deployment`.
pub const DEFAULT_PROGRESS_DEADLINE_SECONDS: i32 = 600;

// Event reasons (deployment_util.go).
pub const ROLLBACK_REVISION_NOT_FOUND: &str = "DeploymentRollbackRevisionNotFound";
pub const ROLLBACK_TEMPLATE_UNCHANGED: &str = "DeploymentRollbackTemplateUnchanged";
pub const ROLLBACK_DONE: &str = "DeploymentRollback";

// Condition reasons (deployment_util.go).
pub const REPLICA_SET_UPDATED: &str = "ReplicaSetUpdated";
pub const NEW_REPLICA_SET_CREATED: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_REPLICA_SET: &str = "FoundNewReplicaSet";
pub const NEW_REPLICA_SET_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";
pub const MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

pub const PROGRESSING: &str = "Progressing";
pub const AVAILABLE: &str = "Available";

pub fn replicas(d: &Deployment) -> i32 {
    d.spec.replicas.unwrap_or(1).max(0)
}

pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.replicas.unwrap_or(1)
}

pub fn is_rolling_update(d: &Deployment) -> bool {
    d.spec.strategy.kind != "Recreate"
}

/// `HasProgressDeadline`: the deadline (defaulted to 600 s), unless it is `MaxInt32`.
pub fn progress_deadline(d: &Deployment) -> Option<i32> {
    let s = d
        .spec
        .progress_deadline_seconds
        .unwrap_or(DEFAULT_PROGRESS_DEADLINE_SECONDS);
    (s != i32::MAX).then_some(s)
}

/// `HasRevisionHistoryLimit`: the limit (defaulted to 10), unless it is `MaxInt32`.
pub fn revision_history_limit(d: &Deployment) -> Option<i32> {
    let l = d
        .spec
        .revision_history_limit
        .unwrap_or(DEFAULT_REVISION_HISTORY_LIMIT);
    (l != i32::MAX).then_some(l)
}

/// `ResolveFenceposts` with apps/v1's defaults (25% each when unset): maxSurge rounds up,
/// maxUnavailable down; both zero makes maxUnavailable 1 so a rollout can progress.
pub fn resolve_fenceposts(d: &Deployment, desired: i32) -> (i32, i32) {
    let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
    let quarter = IntOrString::Str("25%".into());
    let value = |v: &Option<IntOrString>, up| {
        v.as_ref()
            .unwrap_or(&quarter)
            .scaled_value(i64::from(desired), up)
            .unwrap_or(0)
            .clamp(0, i64::from(i32::MAX)) as i32
    };
    let surge = value(&ru.max_surge, true);
    let mut unavailable = value(&ru.max_unavailable, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

/// `MaxSurge`.
pub fn max_surge(d: &Deployment) -> i32 {
    if !is_rolling_update(d) {
        return 0;
    }
    resolve_fenceposts(d, replicas(d)).0
}

/// `MaxUnavailable`: at most the replicas.
pub fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling_update(d) || replicas(d) == 0 {
        return 0;
    }
    resolve_fenceposts(d, replicas(d)).1.min(replicas(d))
}

/// `Revision`: the revision annotation (0 when absent; `None` when it is not a number).
pub fn revision(meta: &ObjectMeta) -> Option<i64> {
    match meta.annotations.get(REVISION) {
        None => Some(0),
        Some(v) => v.parse().ok(),
    }
}

/// `MaxRevision`.
pub fn max_revision(rss: &[ReplicaSet]) -> i64 {
    rss.iter()
        .filter_map(|rs| revision(&rs.metadata))
        .max()
        .unwrap_or(0)
        .max(0)
}

/// `LastRevision`: the second highest revision.
pub fn last_revision(rss: &[ReplicaSet]) -> i64 {
    let (mut max, mut sec) = (0i64, 0i64);
    for v in rss.iter().filter_map(|rs| revision(&rs.metadata)) {
        if v >= max {
            sec = max;
            max = v;
        } else if v > sec {
            sec = v;
        }
    }
    sec
}

/// `skipCopyAnnotation`: annotations the Deployment and its ReplicaSets do not share.
fn skip_copy(key: &str) -> bool {
    matches!(key, LAST_APPLIED | ROLLBACK_TO)
        || [REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS].contains(&key)
}

/// `SetDeploymentRevision`.
pub fn set_deployment_revision(d: &mut Deployment, revision: &str) -> bool {
    if d.metadata.annotations.get(REVISION).map(String::as_str) == Some(revision) {
        return false;
    }
    d.metadata
        .annotations
        .insert(REVISION.into(), revision.to_string());
    true
}

/// `copyDeploymentAnnotationsToReplicaSet`.
fn copy_annotations_to_replica_set(d: &Deployment, rs: &mut ReplicaSet) -> bool {
    let mut changed = false;
    for (k, v) in &d.metadata.annotations {
        if skip_copy(k) || rs.metadata.annotations.get(k) == Some(v) {
            continue;
        }
        rs.metadata.annotations.insert(k.clone(), v.clone());
        changed = true;
    }
    changed
}

/// `SetDeploymentAnnotationsTo`: on a rollback, the Deployment takes the ReplicaSet's
/// annotations (keeping its own revision and apply annotations).
pub fn set_deployment_annotations_to(d: &mut Deployment, rs: &ReplicaSet) {
    let kept: OrdMap<String, String> = OrdMap::from_iter(
        d.metadata
            .annotations
            .iter()
            .filter(|(k, _)| skip_copy(k))
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    d.metadata.annotations = kept;
    for (k, v) in &rs.metadata.annotations {
        if !skip_copy(k) {
            d.metadata.annotations.insert(k.clone(), v.clone());
        }
    }
}

/// `SetNewReplicaSetAnnotations`: copy the Deployment's annotations, raise the revision to
/// `new_revision` (keeping the old one in the revision history when the set already had one —
/// a rollback to it), and for a set about to be created the replicas annotations. Returns
/// whether anything changed.
pub fn set_new_replica_set_annotations(
    d: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: i64,
    exists: bool,
) -> bool {
    let mut changed = copy_annotations_to_replica_set(d, rs);
    let old = rs.metadata.annotations.get(REVISION).cloned();
    let old_int = match old.as_deref() {
        None | Some("") => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(v) => v,
            // "Updating replica set revision OldRevision not int": upstream gives up here.
            Err(_) => return false,
        },
    };
    if old_int < new_revision {
        rs.metadata
            .annotations
            .insert(REVISION.into(), new_revision.to_string());
        changed = true;
        if let Some(old) = old {
            let history = rs
                .metadata
                .annotations
                .get(REVISION_HISTORY)
                .cloned()
                .unwrap_or_default();
            let mut olds: Vec<&str> = history.split(',').collect();
            if olds[0].is_empty() {
                rs.metadata
                    .annotations
                    .insert(REVISION_HISTORY.into(), old.clone());
            } else {
                let mut total = history.len() + old.len() + 1;
                let mut start = 0;
                while total > MAX_REV_HISTORY_LENGTH_IN_CHARS && start < olds.len() {
                    total -= olds[start].len() + 1;
                    start += 1;
                }
                if total <= MAX_REV_HISTORY_LENGTH_IN_CHARS {
                    olds = olds.split_off(start);
                    olds.push(&old);
                    let joined = olds.join(",");
                    rs.metadata
                        .annotations
                        .insert(REVISION_HISTORY.into(), joined);
                }
            }
        }
    }
    if !exists && set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)) {
        changed = true;
    }
    changed
}

/// `SetReplicasAnnotations`.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let mut changed = false;
    for (k, v) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        let v = v.to_string();
        if rs.metadata.annotations.get(k) != Some(&v) {
            rs.metadata.annotations.insert(k.into(), v);
            changed = true;
        }
    }
    changed
}

/// `ReplicasAnnotationsNeedUpdate`.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    rs.metadata.annotations.get(DESIRED_REPLICAS) != Some(&desired.to_string())
        || rs.metadata.annotations.get(MAX_REPLICAS) != Some(&max.to_string())
}

fn int_annotation(rs: &ReplicaSet, key: &str) -> Option<i32> {
    rs.metadata.annotations.get(key)?.parse().ok()
}

/// `GetDesiredReplicasAnnotation`.
pub fn desired_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    int_annotation(rs, DESIRED_REPLICAS)
}

/// `GetProportion`: how many of `to_add` replicas (negative: to remove) this set takes in a
/// proportional scaling, never more than what is left to distribute.
pub fn get_proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if rs_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = replica_set_fraction(rs, d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// `getReplicaSetFraction`: `RoundToInt32(rs * (replicas + maxSurge) / annotated) - rs`,
/// computed as upstream does in float64 (k8s.io/utils/integer `RoundToInt32(a)` is
/// `int32(a + 0.5)` for non-negative `a`), reproduced exactly with [`F64`].
fn replica_set_fraction(rs: &ReplicaSet, d: &Deployment) -> i32 {
    if replicas(d) == 0 {
        return -rs_replicas(rs);
    }
    let deployment_replicas = replicas(d) + max_surge(d);
    // A missing (or zero) annotation falls back to the Deployment's current size; an unsynced
    // Deployment (size 0) does not scale the set.
    let annotated = int_annotation(rs, MAX_REPLICAS)
        .filter(|a| *a != 0)
        .unwrap_or(d.status.replicas);
    if annotated == 0 {
        return 0;
    }
    let size = F64::from_i64(i64::from(rs_replicas(rs)) * i64::from(deployment_replicas))
        / F64::from_i64(i64::from(annotated));
    let rounded = if size < F64::ZERO {
        (size - F64::from_ratio(1, 2)).trunc()
    } else {
        (size + F64::from_ratio(1, 2)).trunc()
    };
    rounded as i32 - rs_replicas(rs)
}

/// `EqualIgnoreHash`: the templates without their `pod-template-hash` labels are equal.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        t.metadata.labels.remove(POD_TEMPLATE_HASH);
        t
    };
    strip(a) == strip(b)
}

/// `ReplicaSetsByCreationTimestamp` (name breaks ties).
pub fn by_creation(a: &ReplicaSet, b: &ReplicaSet) -> std::cmp::Ordering {
    (a.metadata.created_at, &a.metadata.name).cmp(&(b.metadata.created_at, &b.metadata.name))
}

/// `FindNewReplicaSet`: the oldest set whose template is the Deployment's. Sorts `rss` by
/// creation, as upstream sorts its list in place.
pub fn find_new_replica_set(d: &Deployment, rss: &mut [ReplicaSet]) -> Option<usize> {
    crate::sort::sort_by(rss, by_creation);
    rss.iter()
        .position(|rs| equal_ignore_hash(&rs.spec.template, &d.spec.template))
}

/// `FilterActiveReplicaSets`: sets with replicas.
pub fn is_active(rs: &ReplicaSet) -> bool {
    rs_replicas(rs) > 0
}

/// `NewRSNewReplicas`: the size the new set may have now (RollingUpdate: up to replicas +
/// maxSurge in all sets; Recreate: all replicas).
pub fn new_rs_new_replicas(d: &Deployment, all: &[&ReplicaSet], new_rs: &ReplicaSet) -> i32 {
    if !is_rolling_update(d) {
        return replicas(d);
    }
    let current: i32 = all.iter().map(|rs| rs_replicas(rs)).sum();
    let max_total = replicas(d) + max_surge(d);
    if current >= max_total {
        return rs_replicas(new_rs);
    }
    let up = (max_total - current).min(replicas(d) - rs_replicas(new_rs));
    rs_replicas(new_rs) + up
}

/// `IsSaturated`: the new set holds every replica, knows it, and all are available.
pub fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else { return false };
    let Some(desired) = desired_replicas_annotation(rs) else {
        return false;
    };
    rs_replicas(rs) == replicas(d)
        && desired == replicas(d)
        && rs.status.available_replicas == replicas(d)
}

/// `DeploymentComplete`: every replica updated and available, no old pods, and the status
/// computed for the current generation (a status from before a template change is not).
pub fn deployment_complete(d: &Deployment, s: &DeploymentStatus) -> bool {
    let r = replicas(d);
    s.updated_replicas == r
        && s.replicas == r
        && s.available_replicas == r
        && s.observed_generation >= d.metadata.generation
}

/// `DeploymentProgressing`: more new, ready or available pods, or fewer old ones.
pub fn deployment_progressing(d: &Deployment, s: &DeploymentStatus) -> bool {
    let old = &d.status;
    s.updated_replicas > old.updated_replicas
        || s.replicas - s.updated_replicas < old.replicas - old.updated_replicas
        || s.ready_replicas > old.ready_replicas
        || s.available_replicas > old.available_replicas
}

/// `DeploymentTimedOut`: the Progressing condition has not been updated for the deadline.
pub fn deployment_timed_out(d: &Deployment, s: &DeploymentStatus, now: u64) -> bool {
    let Some(deadline) = progress_deadline(d) else {
        return false;
    };
    let Some(c) = s.condition(PROGRESSING) else {
        return false;
    };
    match c.reason.as_str() {
        NEW_REPLICA_SET_AVAILABLE => false,
        TIMED_OUT => true,
        // `from.Add(delta).Before(now)`: strictly after the deadline.
        _ => c.last_update_time + deadline.max(0) as u64 * 1000 < now,
    }
}

/// `NewDeploymentCondition`. Its times are `metav1.Time`, which the API serializes in RFC 3339
/// with whole seconds: the controller reads them back from its informer truncated, so the
/// progress deadline runs from the second the condition was last updated in.
pub fn condition(
    kind: &str,
    status: &str,
    reason: &str,
    message: String,
    now: u64,
) -> DeploymentCondition {
    let now = now / 1000 * 1000;
    DeploymentCondition {
        kind: kind.into(),
        status: status.into(),
        last_update_time: now,
        last_transition_time: now,
        reason: reason.into(),
        message,
    }
}

/// `SetDeploymentCondition`: no change when status and reason are the same; the transition
/// time is kept when only the reason changes; the condition moves to the end of the list.
pub fn set_condition(s: &mut DeploymentStatus, mut c: DeploymentCondition) {
    if let Some(cur) = s.condition(&c.kind) {
        if cur.status == c.status && cur.reason == c.reason {
            return;
        }
        if cur.status == c.status {
            c.last_transition_time = cur.last_transition_time;
        }
    }
    remove_condition(s, &c.kind);
    s.conditions.push(c);
}

/// `RemoveDeploymentCondition`.
pub fn remove_condition(s: &mut DeploymentStatus, kind: &str) {
    s.conditions.retain(|c| c.kind != kind);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs(name: &str, rev: Option<&str>) -> ReplicaSet {
        let mut r = ReplicaSet::default();
        r.metadata.name = name.into();
        if let Some(v) = rev {
            r.metadata.annotations.insert(REVISION.into(), v.into());
        }
        r
    }

    #[test]
    fn max_and_last_revision() {
        let sets = [
            rs("a", Some("1")),
            rs("b", Some("3")),
            rs("c", Some("2")),
            rs("d", None),
        ];
        assert_eq!(max_revision(&sets), 3);
        assert_eq!(last_revision(&sets), 2);
        assert_eq!(last_revision(&[rs("a", Some("4"))]), 0);
        assert_eq!(max_revision(&[rs("x", Some("nan"))]), 0);
    }

    fn deployment(replicas: i32, surge: &str, unavailable: &str) -> Deployment {
        let mut d = Deployment::default();
        d.spec.replicas = Some(replicas);
        d.spec.strategy.rolling_update = Some(crate::api::apps::RollingUpdate {
            max_surge: Some(IntOrString::Str(surge.into())),
            max_unavailable: Some(IntOrString::Str(unavailable.into())),
            partition: None,
        });
        d
    }

    #[test]
    fn fenceposts_as_upstream_documents_them() {
        // The cases ResolveFenceposts' doc comment walks through: 1% unavailable and 0% surge
        // on 2 replicas resolve to (0, 1); 25% unavailable with 1% surge to (1, 0).
        assert_eq!(resolve_fenceposts(&deployment(2, "0%", "1%"), 2), (0, 1));
        assert_eq!(resolve_fenceposts(&deployment(2, "1%", "25%"), 2), (1, 0));
        assert_eq!(
            resolve_fenceposts(&deployment(10, "25%", "25%"), 10),
            (3, 2)
        );
        assert_eq!(max_unavailable(&deployment(1, "0%", "100%")), 1);
    }

    #[test]
    fn replica_set_fraction_rows_from_upstream() {
        // deployment_util_test.go TestGetReplicaSetFraction: (deployment replicas, status
        // replicas, maxSurge, rs replicas, max-replicas annotation) → fraction. The test's
        // deployment has maxUnavailable 1.
        type Row<'a> = (&'a str, i32, i32, i32, i32, Option<&'a str>, i32);
        let cases: [Row; 9] = [
            (
                "empty deployment always scales to 0",
                0,
                0,
                0,
                10,
                None,
                -10,
            ),
            ("unsynced, annotation missing", 10, 0, 0, 5, None, 0),
            ("unsynced, annotation 0", 10, 0, 0, 5, Some("0"), 0),
            (
                "scale up 1/5, annotation missing",
                120,
                100,
                0,
                50,
                None,
                10,
            ),
            ("scale up 1/5, annotation 0", 120, 100, 0, 50, Some("0"), 10),
            ("scale up by 1/5", 120, 0, 0, 50, Some("100"), 10),
            (
                "scale up with maxSurge by about 1/5",
                120,
                0,
                10,
                50,
                Some("110"),
                9,
            ),
            ("scale down by 1/6", 10, 0, 0, 6, Some("12"), -1),
            (
                "scale down with maxSurge by about 1/6",
                100,
                0,
                10,
                50,
                Some("130"),
                -8,
            ),
        ];
        for (name, replicas, status, surge, size, annotation, want) in cases {
            let mut d = deployment(replicas, "0", "0");
            let ru = d.spec.strategy.rolling_update.as_mut().unwrap();
            ru.max_surge = Some(IntOrString::Int(surge.into()));
            ru.max_unavailable = Some(IntOrString::Int(1));
            d.status.replicas = status;
            let mut r = rs("r", None);
            r.spec.replicas = Some(size);
            if let Some(a) = annotation {
                r.metadata.annotations.insert(MAX_REPLICAS.into(), a.into());
            }
            assert_eq!(replica_set_fraction(&r, &d), want, "{name}");
        }
    }

    #[test]
    fn revision_history_on_rollback() {
        // A set that served revision 1 becomes revision 3: history "1"; again at 5: "1,3".
        let d = Deployment::default();
        let mut r = rs("r", Some("1"));
        assert!(set_new_replica_set_annotations(&d, &mut r, 3, true));
        assert_eq!(r.metadata.annotations[REVISION], "3");
        assert_eq!(r.metadata.annotations[REVISION_HISTORY], "1");
        assert!(set_new_replica_set_annotations(&d, &mut r, 5, true));
        assert_eq!(r.metadata.annotations[REVISION_HISTORY], "1,3");
        // Never lowered.
        assert!(!set_new_replica_set_annotations(&d, &mut r, 4, true));
    }

    #[test]
    fn timed_out_strictly_after_the_deadline() {
        let mut d = Deployment::default();
        d.spec.progress_deadline_seconds = Some(10);
        let mut s = DeploymentStatus::default();
        s.conditions.push(condition(
            PROGRESSING,
            "True",
            REPLICA_SET_UPDATED,
            String::new(),
            1_000,
        ));
        assert!(!deployment_timed_out(&d, &s, 11_000));
        assert!(deployment_timed_out(&d, &s, 11_001));
        d.spec.progress_deadline_seconds = Some(i32::MAX);
        assert!(!deployment_timed_out(&d, &s, u64::MAX / 2));
    }
}
