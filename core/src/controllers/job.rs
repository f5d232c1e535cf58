//! Job controller: run pods to completion.
//!
//! Upstream: pkg/controller/job/job_controller.go (`syncJob`, `manageJob`,
//! `getNewFinishedPods`, `recordJobFinished`), backoff_utils.go (`newBackoffRecord`,
//! `getRemainingTimeForFailuresCount`), indexed_job_utils.go (`firstPendingIndexes`, the
//! completion-index annotation/label/hostname) and pkg/controller/ttlafterfinished.
//!
//! - `parallelism` pods at a time, never more than the completions still missing;
//!   NonIndexed jobs complete on `completions` successes (or on the first success when
//!   `completions` is unset), Indexed jobs when every index in `[0, completions)` succeeded.
//! - A failed pod is replaced after the pod-failure backoff: 10 s after the last failure,
//!   doubling with each failure since the last success, capped at 10 min.
//! - More than `backoffLimit` failures (or, with `restartPolicy: OnFailure`, that many container
//!   restarts) fail the job with `BackoffLimitExceeded`; running longer than
//!   `activeDeadlineSeconds` fails it with `DeadlineExceeded`. As v1.35 does, the interim
//!   condition (`FailureTarget`, `SuccessCriteriaMet`) comes first and the terminal one
//!   (`Failed`, `Complete`) once no pod of the job is still terminating.
//! - `ttlSecondsAfterFinished` deletes a finished job (foreground) that long after it finished.
//! - Syncs caused by pod creations, deletions, first failures and job status writes are batched
//!   1 s later (`syncJobBatchPeriod`); other pod changes and spec changes sync at once.

use super::{deletion_rank, ControllerId, Requeue};
use crate::api::batch::{Job, JobCondition, JobStatus};
use crate::api::meta::OwnerReference;
use crate::api::pod::{Pod, PodPhase};
use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::sim::budget::Budget;
use crate::sim::ctx::Ctx;
use crate::sim::objects::{self, Propagation};
use crate::store::{ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};

/// job_controller.go `DefaultJobPodFailureBackOff`.
pub const DEFAULT_POD_FAILURE_BACKOFF: Duration = Duration::from_secs(10);
/// job_controller.go `MaxJobPodFailureBackOff` (10 min in the v1.35 source; the Job concept
/// page still says six minutes).
pub const MAX_POD_FAILURE_BACKOFF: Duration = Duration::from_secs(600);
/// job_controller.go `syncJobBatchPeriod`.
pub const SYNC_BATCH_PERIOD: Duration = Duration::from_secs(1);
/// batch/v1 `JobCompletionIndexAnnotation` (also the pod label, `PodIndexLabel` being GA).
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
/// batch/v1 `SetDefaults_Job`: backoffLimit.
const DEFAULT_BACKOFF_LIMIT: i32 = 6;

#[derive(Default)]
pub struct JobController {
    pub cursor: u64,
    pods: Option<super::owned::OwnedPods>,
    /// The last phase seen of each pod (to tell a first failure from other updates).
    phase_seen: OrdMap<ObjectKey, PodPhase>,
    /// When each finished pod was first seen finished (upstream reads the containers'
    /// `finishedAt`; cellsim's pods do not carry it, and the controller sees every pod change
    /// in the instant it happens).
    finished_at: OrdMap<String, u64>,
    /// The last spec seen of each job (a spec change syncs at once, a status write is batched).
    ///
    /// An `OrdMap` (its tree compiled once for every `ObjectKey` map) of boxed values (the
    /// slab's code is the same for every pointer-sized value), for the playground's wasm size
    /// (docs/benchmarks.md, "Bundle size"); written when a job's
    /// spec changes.
    spec_seen: OrdMap<ObjectKey, Box<crate::api::batch::JobSpec>>,
    requeue: Requeue,
    /// A budgeted sync paused in its read of the feed: the jobs to sync now and the batched
    /// ones found so far.
    reading: Option<Read>,
}

/// What a read of the feed found: the jobs to sync now, and those whose sync is batched.
#[derive(Default)]
struct Read {
    now_keys: OrdSet<ObjectKey>,
    batched: OrdSet<ObjectKey>,
}

/// upstream `getRemainingTimeForFailuresCount`: 0 without failures; else the backoff
/// (10 s doubling per failure after the first, capped) minus the time since the last failure.
pub fn remaining_backoff(failures: i32, last_failure: Option<u64>, now: u64) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let mut backoff = DEFAULT_POD_FAILURE_BACKOFF.as_millis();
    for _ in 1..failures {
        backoff *= 2;
        if backoff >= MAX_POD_FAILURE_BACKOFF.as_millis() {
            backoff = MAX_POD_FAILURE_BACKOFF.as_millis();
            break;
        }
    }
    let elapsed = now.saturating_sub(last_failure.unwrap_or(now));
    if backoff < elapsed {
        return Duration::ZERO;
    }
    Duration(backoff - elapsed)
}

/// upstream `newBackoffRecord`: update (failures since the last success, last failure time)
/// with newly finished pods, each given as its finish time (sorted ascending).
pub fn next_backoff(
    failures: i32,
    last_failure: Option<u64>,
    succeeded: &[u64],
    failed: &[u64],
) -> (i32, Option<u64>) {
    match (succeeded.last(), failed.last()) {
        (None, None) => (failures, last_failure),
        (None, Some(&last)) => (failures + failed.len() as i32, Some(last)),
        (Some(_), None) => (0, None),
        (Some(&last_success), Some(_)) => {
            let mut n = 0;
            let mut last = None;
            for &t in failed.iter().rev() {
                if t <= last_success {
                    break;
                }
                if last.is_none() {
                    last = Some(t);
                }
                n += 1;
            }
            (n, last)
        }
    }
}

/// `1,3-5`: upstream's compressed form of a set of indexes (`succeededIndexes.String()`).
pub fn format_indexes(ix: &OrdSet<i32>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut it = ix.iter().copied().peekable();
    while let Some(first) = it.next() {
        let mut last = first;
        while it.peek() == Some(&(last + 1)) {
            last = it.next().expect("peeked");
        }
        out.push(if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        });
    }
    out.join(",")
}

fn index_of(p: &Pod) -> Option<i32> {
    p.metadata
        .annotations
        .get(COMPLETION_INDEX)
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|i| *i >= 0)
}

fn condition(kind: &str, reason: &str, message: &str, now: u64) -> JobCondition {
    JobCondition {
        kind: kind.into(),
        status: "True".into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time: now,
    }
}

fn is_active(p: &Pod) -> bool {
    !p.is_terminal() && p.metadata.deletion_at.is_none()
}

impl JobController {
    fn index(&mut self) -> &mut super::owned::OwnedPods {
        self.pods
            .get_or_insert_with(|| super::owned::OwnedPods::new(Kind::Job))
    }

    /// Read the change feed; returns the jobs to sync now. Batched syncs are requeued.
    fn catch_up(&mut self, ctx: &mut Ctx) -> OrdSet<ObjectKey> {
        let mut read = Read::default();
        self.catch_up_some(ctx, &mut read, usize::MAX);
        self.batch(ctx, read)
    }

    /// Up to `limit` changes of the feed into `read`, the cursor after the last one read;
    /// true when the feed is read to its end.
    fn catch_up_some(&mut self, ctx: &Ctx, read: &mut Read, limit: usize) -> bool {
        let Read { now_keys, batched } = read;
        // The feed is read in place (nothing writes the store in this loop); keys are cloned
        // only into the sets.
        let store = &*ctx.store;
        let now = ctx.now;
        let changes = store.changes_since(self.cursor);
        let n = changes.len().min(limit);
        for c in &changes[..n] {
            let (key, change) = (&c.key, c.change);
            match key.kind {
                Kind::Job => match store.get(key).map(|s| &s.object) {
                    Some(Object::Job(j)) => {
                        if self.spec_seen.get(key).is_some_and(|s| **s == j.spec) {
                            batched.insert(key.clone());
                        } else {
                            self.spec_seen.insert(key.clone(), Box::new(j.spec.clone()));
                            now_keys.insert(key.clone());
                        }
                    }
                    _ => {
                        self.spec_seen.remove(key);
                    }
                },
                Kind::Pod => {
                    let owners = self
                        .pods
                        .get_or_insert_with(|| super::owned::OwnedPods::new(Kind::Job))
                        .observe(store, key);
                    if owners.is_empty() {
                        continue;
                    }
                    let pod = match store.get(key).map(|s| &s.object) {
                        Some(Object::Pod(p)) => Some(p),
                        _ => None,
                    };
                    let old = match pod {
                        Some(p) => self.phase_seen.insert(key.clone(), p.status.phase),
                        None => self.phase_seen.remove(key),
                    };
                    if let Some(p) = pod {
                        if p.is_terminal() {
                            self.finished_at
                                .entry(p.metadata.uid.clone())
                                .or_insert(now.millis());
                        }
                    }
                    // updatePod: a pod's first failure is batched, other updates sync at once;
                    // addPod and deletePod are batched.
                    let immediate = change == crate::store::ChangeType::Modified
                        && pod.is_some_and(|p| {
                            !(p.status.phase == PodPhase::Failed && old != Some(PodPhase::Failed))
                        });
                    for o in owners {
                        if immediate {
                            now_keys.insert(o);
                        } else {
                            batched.insert(o);
                        }
                    }
                }
                _ => {}
            }
        }
        super::read_to(&mut self.cursor, store, &changes[..n], n == changes.len())
    }

    /// After a read: the batched jobs are requeued, the others returned to sync now.
    fn batch(&mut self, ctx: &mut Ctx, read: Read) -> OrdSet<ObjectKey> {
        let Read { now_keys, batched } = read;
        for key in batched {
            if !now_keys.contains(&key) {
                let at = ctx.now.after(SYNC_BATCH_PERIOD);
                self.requeue.at(ctx, ControllerId::Job, &key, at);
            }
        }
        now_keys
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
        for key in self.batch(ctx, read) {
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

    fn reconcile(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let Some(Object::Job(job)) = ctx.store.get(key).map(|s| s.object.clone()) else {
            return;
        };
        if job.metadata.deletion_at.is_some() {
            return;
        }
        let now = ctx.now.millis();
        let name = format!("Job/{}/{}", key.namespace, key.name);
        if let Some(done) = job.status.finished() {
            self.ttl(ctx, key, &job, done.last_transition_time);
            return;
        }
        let uid = job.metadata.uid.clone();
        let pods: Vec<Pod> = {
            let store = &*ctx.store;
            self.index()
                .pods(store, key, &uid)
                .into_iter()
                .cloned()
                .collect()
        };
        let spec = &job.spec;
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        let completions = spec.completions;
        let parallelism = spec.parallelism.unwrap_or(1).max(0);
        let backoff_limit = spec.backoff_limit.unwrap_or(DEFAULT_BACKOFF_LIMIT);
        let suspended = spec.suspend == Some(true);
        let mut st: JobStatus = job.status.clone();

        // getNewFinishedPods: finished pods not counted yet, by finish time.
        let finish = |p: &Pod| *self.finished_at.get(&p.metadata.uid).unwrap_or(&now);
        let mut new_succ: Vec<(u64, &Pod)> = Vec::new();
        let mut new_fail: Vec<(u64, &Pod)> = Vec::new();
        for p in &pods {
            if p.is_terminal() && !st.counted.contains(&p.metadata.uid) {
                let list = if p.status.phase == PodPhase::Succeeded {
                    &mut new_succ
                } else {
                    &mut new_fail
                };
                list.push((finish(p), p));
            }
        }
        crate::sort::sort_by_cached_key(&mut new_succ, |(t, p)| (*t, p.metadata.name.clone()));
        crate::sort::sort_by_cached_key(&mut new_fail, |(t, p)| (*t, p.metadata.name.clone()));
        for (_, p) in new_succ.iter().chain(new_fail.iter()) {
            st.counted.insert(p.metadata.uid.clone());
        }
        if indexed {
            for (_, p) in &new_succ {
                if let Some(i) = index_of(p).filter(|i| completions.is_some_and(|c| *i < c)) {
                    st.succeeded_indexes.insert(i);
                }
            }
            st.succeeded = st.succeeded_indexes.len() as i32;
            st.completed_indexes = format_indexes(&st.succeeded_indexes);
        } else {
            st.succeeded += new_succ.len() as i32;
        }
        st.failed += new_fail.len() as i32;
        let (failures, last_failure) = next_backoff(
            st.failures_after_last_success,
            st.last_failure_time,
            &new_succ.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            &new_fail.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        );
        st.failures_after_last_success = failures;
        st.last_failure_time = last_failure;
        if st.start_time.is_none() && !suspended {
            st.start_time = Some(now);
        }

        let mut active: Vec<&Pod> = pods.iter().filter(|p| is_active(p)).collect();
        let terminating = pods
            .iter()
            .filter(|p| !p.is_terminal() && p.metadata.deletion_at.is_some())
            .count() as i32;

        // The terminal condition this job is heading to, from an interim condition already set
        // or from this sync's counts.
        let mut finishing: Option<JobCondition> = None;
        if let Some(c) = st.condition("SuccessCriteriaMet") {
            finishing = Some(condition("Complete", &c.reason, &c.message, now));
        } else if let Some(c) = st.condition("FailureTarget") {
            finishing = Some(condition("Failed", &c.reason, &c.message, now));
        } else if st.failed > backoff_limit || past_backoff_limit_on_failure(&job, &active) {
            finishing = Some(self.interim(
                &mut st,
                "FailureTarget",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                now,
            ));
        } else if let (Some(ads), Some(start)) = (spec.active_deadline_seconds, st.start_time) {
            if !suspended {
                let deadline = start + ads.max(0) as u64 * 1000;
                if now >= deadline {
                    finishing = Some(self.interim(
                        &mut st,
                        "FailureTarget",
                        "DeadlineExceeded",
                        "Job was active longer than specified deadline",
                        now,
                    ));
                } else {
                    self.requeue
                        .at(ctx, ControllerId::Job, key, SimTime(deadline));
                }
            }
        }

        if finishing.is_some() {
            // deleteActivePods.
            for p in &active {
                objects::delete_pod(ctx, &p.key());
                ctx.event(
                    "SuccessfulDelete",
                    name.clone(),
                    None,
                    format!("Deleted pod: {}", p.metadata.name),
                );
            }
            active.clear();
        } else {
            let n_active = self.manage(
                ctx,
                key,
                &job,
                &st,
                &active,
                terminating,
                parallelism,
                suspended,
            );
            let done = match completions {
                None => st.succeeded > 0 && n_active == 0,
                Some(c) => st.succeeded >= c && n_active == 0,
            };
            if done {
                finishing = Some(self.interim(
                    &mut st,
                    "SuccessCriteriaMet",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    now,
                ));
            }
            if suspended {
                if st.condition("Suspended").is_none() {
                    st.conditions.push(condition(
                        "Suspended",
                        "JobSuspended",
                        "Job suspended",
                        now,
                    ));
                    ctx.event("Suspended", name.clone(), None, "Job suspended".into());
                }
            } else if st.condition("Suspended").is_some() {
                st.conditions.retain(|c| c.kind != "Suspended");
                ctx.event("Resumed", name.clone(), None, "Job resumed".into());
            }
        }

        // Recount from the store after this sync's creates and deletes.
        let pods_now: Vec<Pod> = {
            let store = &*ctx.store;
            self.index()
                .pods(store, key, &uid)
                .into_iter()
                .cloned()
                .collect()
        };
        st.active = pods_now.iter().filter(|p| is_active(p)).count() as i32;
        st.ready = pods_now
            .iter()
            .filter(|p| is_active(p) && p.status.ready)
            .count() as i32;
        st.terminating = pods_now
            .iter()
            .filter(|p| !p.is_terminal() && p.metadata.deletion_at.is_some())
            .count() as i32;

        // enactJobFinished: only once no pod is left terminating.
        if let Some(fin) = finishing {
            if st.terminating == 0 && st.active == 0 {
                if fin.kind == "Complete" {
                    st.completion_time = Some(now);
                    if completions.is_some_and(|c| st.succeeded > c) {
                        ctx.event(
                            "TooManySucceededPods",
                            name.clone(),
                            None,
                            "Too many succeeded pods running after completion count reached".into(),
                        );
                    }
                    ctx.event("Completed", name.clone(), None, "Job completed".into());
                } else {
                    ctx.event(&fin.reason, name.clone(), None, fin.message.clone());
                }
                st.conditions.push(fin);
            }
        }

        if st != job.status {
            let mut next = job.clone();
            next.status = st;
            let _ = ctx.store.update(Object::Job(next.clone()), None);
            if let Some(done) = next.status.finished() {
                let t = done.last_transition_time;
                self.ttl(ctx, key, &next, t);
            }
        }
    }

    /// Add an interim condition (v1.35 delays the terminal one); return the terminal one.
    fn interim(
        &self,
        st: &mut JobStatus,
        kind: &str,
        reason: &str,
        message: &str,
        now: u64,
    ) -> JobCondition {
        if st.condition(kind).is_none() {
            st.conditions.push(condition(kind, reason, message, now));
        }
        let terminal = if kind == "SuccessCriteriaMet" {
            "Complete"
        } else {
            "Failed"
        };
        condition(terminal, reason, message, now)
    }

    /// upstream `manageJob`: delete extra pods, create missing ones after the backoff. Returns
    /// the number of active pods afterwards.
    #[allow(clippy::too_many_arguments)]
    fn manage(
        &mut self,
        ctx: &mut Ctx,
        key: &ObjectKey,
        job: &Job,
        st: &JobStatus,
        active: &[&Pod],
        terminating: i32,
        parallelism: i32,
        suspended: bool,
    ) -> i32 {
        let name = format!("Job/{}/{}", key.namespace, key.name);
        let indexed = job.spec.completion_mode.as_deref() == Some("Indexed");
        let completions = job.spec.completions;
        let mut n_active = active.len() as i32;
        let want: i32 = if suspended {
            0
        } else {
            match completions {
                None if st.succeeded > 0 => n_active,
                None => parallelism,
                Some(c) => (c - st.succeeded).clamp(0, parallelism),
            }
        };
        // activePodsForRemoval: for Indexed jobs, pods with an invalid or duplicate index (or
        // one that already succeeded) go first; then upstream's ranking.
        let mut order: Vec<&Pod> = active.to_vec();
        let mut seen = OrdSet::new();
        let bad: OrdSet<String> = if indexed {
            OrdSet::from_iter(
                order
                    .iter()
                    .filter(|p| {
                        let i = index_of(p);
                        match i {
                            Some(i)
                                if completions.is_some_and(|c| i < c)
                                    && !st.succeeded_indexes.contains(&i) =>
                            {
                                !seen.insert(i)
                            }
                            _ => true,
                        }
                    })
                    .map(|p| p.metadata.uid.clone()),
            )
        } else {
            OrdSet::new()
        };
        crate::sort::sort_by_cached_key(&mut order, |p| {
            (!bad.contains(&p.metadata.uid), deletion_rank(p))
        });
        let remove = ((n_active - want).max(0) as usize)
            .max(bad.len())
            .min(order.len());
        for p in order.iter().take(remove) {
            objects::delete_pod(ctx, &p.key());
            ctx.event(
                "SuccessfulDelete",
                name.clone(),
                None,
                format!("Deleted pod: {}", p.metadata.name),
            );
            n_active -= 1;
        }
        // podReplacementPolicy TerminatingOrFailed (the default without podFailurePolicy):
        // terminating pods do not hold back replacements.
        let _ = terminating;
        let diff = want - n_active;
        if diff <= 0 {
            return n_active;
        }
        let wait = remaining_backoff(
            st.failures_after_last_success,
            st.last_failure_time,
            ctx.now.millis(),
        );
        if wait > Duration::ZERO {
            let at = ctx.now.after(wait);
            self.requeue.at(ctx, ControllerId::Job, key, at);
            return n_active;
        }
        let indexes: Vec<Option<i32>> = if indexed {
            let c = completions.unwrap_or(0);
            let busy: OrdSet<i32> = OrdSet::from_iter(
                active
                    .iter()
                    .filter(|p| !bad.contains(&p.metadata.uid))
                    .filter_map(|p| index_of(p)),
            );
            (0..c)
                .filter(|i| !st.succeeded_indexes.contains(i) && !busy.contains(i))
                .take(diff as usize)
                .map(Some)
                .collect()
        } else {
            vec![None; diff as usize]
        };
        for ix in indexes {
            if !self.create_pod(ctx, key, job, ix) {
                break;
            }
            n_active += 1;
        }
        n_active
    }

    /// Create one pod from the template (upstream `CreatePodsWithGenerateName`).
    fn create_pod(
        &mut self,
        ctx: &mut Ctx,
        key: &ObjectKey,
        job: &Job,
        index: Option<i32>,
    ) -> bool {
        let jname = &job.metadata.name;
        let mut pod = Pod {
            metadata: job.spec.template.metadata.clone(),
            spec: job.spec.template.spec.clone(),
            status: Default::default(),
        };
        pod.metadata.namespace = key.namespace.clone();
        // The labels the API server puts on a job's template (batch/v1 job strategy).
        let labels = &mut pod.metadata.labels;
        for (k, v) in [
            ("batch.kubernetes.io/controller-uid", &job.metadata.uid),
            ("batch.kubernetes.io/job-name", jname),
            ("controller-uid", &job.metadata.uid),
            ("job-name", jname),
        ] {
            labels.entry(k.into()).or_insert_with(|| v.clone());
        }
        let prefix = match index {
            Some(i) => {
                pod.metadata
                    .annotations
                    .insert(COMPLETION_INDEX.into(), i.to_string());
                pod.metadata
                    .labels
                    .insert(COMPLETION_INDEX.into(), i.to_string());
                pod.spec.hostname = format!("{jname}-{i}");
                format!("{jname}-{i}-")
            }
            None => format!("{jname}-"),
        };
        pod.metadata.owner_references = vec![OwnerReference {
            api_version: "batch/v1".into(),
            kind: "Job".into(),
            name: jname.clone(),
            uid: job.metadata.uid.clone(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }];
        pod.metadata.name = super::naming::free_pod_name(ctx, &key.namespace, &prefix);
        let pname = pod.metadata.name.clone();
        let jobj = format!("Job/{}/{}", key.namespace, key.name);
        if objects::create_or_report(ctx, Object::Pod(pod), &jobj).is_none() {
            return false;
        }
        ctx.event(
            "SuccessfulCreate",
            jobj,
            None,
            format!("Created pod: {pname}"),
        );
        true
    }

    /// ttlafterfinished: delete the job `ttlSecondsAfterFinished` after it finished.
    fn ttl(&mut self, ctx: &mut Ctx, key: &ObjectKey, job: &Job, finished: u64) {
        let Some(ttl) = job.spec.ttl_seconds_after_finished else {
            return;
        };
        let expire = finished + ttl.max(0) as u64 * 1000;
        if ctx.now.millis() >= expire {
            objects::delete(ctx, key, Propagation::Foreground);
        } else {
            self.requeue
                .at(ctx, ControllerId::Job, key, SimTime(expire));
        }
    }
}

/// upstream `pastBackoffLimitOnFailure`: with `restartPolicy: OnFailure`, the container
/// restarts of the job's pending and running pods reach `backoffLimit`.
fn past_backoff_limit_on_failure(job: &Job, active: &[&Pod]) -> bool {
    if job.spec.template.spec.restart_policy != "OnFailure" {
        return false;
    }
    let restarts: i32 = active
        .iter()
        .filter(|p| matches!(p.status.phase, PodPhase::Pending | PodPhase::Running))
        .map(|p| p.status.restart_count)
        .sum();
    let limit = job.spec.backoff_limit.unwrap_or(DEFAULT_BACKOFF_LIMIT);
    if limit == 0 {
        restarts > 0
    } else {
        restarts >= limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// upstream backoff_utils_test.go TestGetRemainingBackoffTime / the documented sequence:
    /// 10 s, 20 s, 40 s, ... capped at MaxJobPodFailureBackOff.
    #[test]
    fn backoff_doubles_from_10s_and_caps() {
        let want = [
            (1, 10),
            (2, 20),
            (3, 40),
            (4, 80),
            (5, 160),
            (6, 320),
            (7, 600),
            (8, 600),
            (30, 600),
        ];
        for (failures, secs) in want {
            assert_eq!(
                remaining_backoff(failures, Some(5_000), 5_000),
                Duration::from_secs(secs),
                "{failures} failures"
            );
        }
        assert_eq!(remaining_backoff(0, None, 5_000), Duration::ZERO);
        // Time already elapsed since the failure counts.
        assert_eq!(
            remaining_backoff(2, Some(0), 15_000),
            Duration::from_secs(5)
        );
        assert_eq!(remaining_backoff(1, Some(0), 11_000), Duration::ZERO);
    }

    /// upstream backoff_utils_test.go TestNewBackoffRecord cases.
    #[test]
    fn backoff_record_like_upstream() {
        // Only failures: add them, remember the last.
        assert_eq!(next_backoff(0, None, &[], &[10, 20]), (2, Some(20)));
        assert_eq!(next_backoff(2, Some(20), &[], &[30]), (3, Some(30)));
        // A success resets.
        assert_eq!(next_backoff(3, Some(30), &[40], &[]), (0, None));
        // Failures after the last success count; earlier ones do not. The "last failure" is
        // the first one met walking back from the newest, i.e. the newest.
        assert_eq!(
            next_backoff(5, Some(1), &[25], &[10, 30, 40]),
            (2, Some(40))
        );
        assert_eq!(next_backoff(5, Some(1), &[50], &[10, 30, 40]), (0, None));
        // Nothing new: unchanged.
        assert_eq!(next_backoff(4, Some(7), &[], &[]), (4, Some(7)));
    }

    #[test]
    fn indexes_compress_like_upstream() {
        let s = |v: &[i32]| format_indexes(&v.iter().copied().collect());
        assert_eq!(s(&[]), "");
        assert_eq!(s(&[0]), "0");
        assert_eq!(s(&[1, 3, 4, 5, 7]), "1,3-5,7");
        assert_eq!(s(&[0, 1, 2]), "0-2");
    }
}
