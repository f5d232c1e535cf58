//! CronJob controller: create a Job per scheduled time.
//!
//! Upstream: pkg/controller/cronjob/cronjob_controllerv2.go (`sync`, `syncCronJob`,
//! `cleanupFinishedJobs`, `removeOldestJobs`) and utils.go (`mostRecentScheduleTime`,
//! `nextScheduleTime`, `nextScheduleTimeDuration`, `getJobFromTemplate2`,
//! `getTimeHashInMinutes`, `byJobStartTime`). Times are Unix milliseconds in UTC: simulated
//! time `t` is `cron::EPOCH_UNIX_MS + t` (the run starts at 2026-01-01T00:00:00Z).
//!
//! - Jobs are named `<cronjob>-<scheduled time in Unix minutes>` and annotated
//!   `batch.kubernetes.io/cronjob-scheduled-timestamp` (RFC 3339).
//! - The controller wakes 100 ms after each scheduled time (`nextScheduleDelta`).
//! - `concurrencyPolicy`: Allow, Forbid (skip while a job is active, event `JobAlreadyActive`),
//!   Replace (delete the active jobs first). `startingDeadlineSeconds`: a run later than that is
//!   skipped (`MissSchedule`). More than 100 missed times: event `TooManyMissedTimes`, and the
//!   most recent one still runs (as v1.35 does). `suspend`: nothing is created.
//! - Finished jobs beyond `successfulJobsHistoryLimit` (3) / `failedJobsHistoryLimit` (1) are
//!   deleted oldest first (by start time).

use super::cron::{self, parse_standard, Schedule, EPOCH_UNIX_MS};
use super::owned::OwnedPods;
use super::{ControllerId, Requeue};
use crate::api::batch::{ActiveJob, CronJob, Job};
use crate::api::meta::OwnerReference;
use crate::api::{Kind, Object};
use crate::collections::OrdSet;
use crate::sim::ctx::Ctx;
use crate::sim::objects::{self, Propagation};
use crate::store::{ObjectKey, ObjectStore};
use crate::time::SimTime;

/// utils.go `nextScheduleDelta`: wake a little after the scheduled time.
pub const NEXT_SCHEDULE_DELTA_MS: i64 = 100;
/// batch/v1 `CronJobScheduledTimestampAnnotation`.
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// The missed-schedule count above which upstream reports `TooManyMissedTimes`.
pub const MANY_MISSED: i64 = 100;

#[derive(Default)]
pub struct CronJobController {
    pub cursor: u64,
    jobs: Option<OwnedPods>,
    requeue: Requeue,
}

/// How many schedules were missed (upstream `missedSchedulesType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    None,
    Few,
    Many,
}

/// upstream `mostRecentScheduleTime`: (earliest time considered, the most recent scheduled
/// time not after `now` if any, how many were missed). All in Unix milliseconds.
pub fn most_recent_schedule_time(
    earliest: i64,
    starting_deadline_secs: Option<i64>,
    now: i64,
    sched: &Schedule,
) -> Result<(i64, Option<i64>, Missed), String> {
    let too_close = || "time difference between two schedules is less than 1 second".to_string();
    let mut earliest = earliest;
    if let Some(sds) = starting_deadline_secs {
        let deadline = now - sds * 1000;
        if deadline > earliest {
            earliest = deadline;
        }
    }
    // robfig/cron returns the zero time when nothing matches within five years; upstream then
    // finds t2 - t1 below a second and reports the schedule invalid.
    let t1 = sched.next(earliest).ok_or_else(too_close)?;
    if now < t1 {
        return Ok((earliest, None, Missed::None));
    }
    let t2 = sched.next(t1).ok_or_else(too_close)?;
    if now < t2 {
        return Ok((earliest, Some(t1), Missed::None));
    }
    let between = (t2 - t1 + 500) / 1000; // Round(time.Second), in seconds
    if between < 1 {
        return Err(too_close());
    }
    let elapsed = (now - t1) / 1000;
    let missed = elapsed / between + 1;
    let potential_earliest = t1 + (missed - 2) * between * 1000;
    let mut most_recent = None;
    let mut t = sched.next(potential_earliest);
    while let Some(x) = t {
        if x > now {
            break;
        }
        most_recent = Some(x);
        t = sched.next(x);
    }
    let kind = if missed > MANY_MISSED {
        Missed::Many
    } else if missed > 1 {
        Missed::Few
    } else {
        Missed::None
    };
    Ok((earliest, most_recent, kind))
}

/// Go's `time.RFC1123Z` for a UTC time: `Thu, 01 Jan 2026 00:05:00 +0000`.
pub fn rfc1123z(unix_ms: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = cron::civil(unix_ms.div_euclid(1000));
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
        DAYS[c.weekday as usize],
        c.day,
        MONTHS[c.month as usize - 1],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// upstream `getJobName`: `<cronjob>-<Unix minutes of the scheduled time>`.
pub fn job_name(cronjob: &str, scheduled_unix_ms: i64) -> String {
    format!("{cronjob}-{}", scheduled_unix_ms.div_euclid(60_000))
}

fn unix(sim_ms: u64) -> i64 {
    EPOCH_UNIX_MS + sim_ms as i64
}

fn finished_kind(j: &Job) -> Option<&str> {
    j.status.finished().map(|c| c.kind.as_str())
}

impl CronJobController {
    fn index(&mut self) -> &mut OwnedPods {
        self.jobs
            .get_or_insert_with(|| OwnedPods::new(Kind::CronJob))
    }

    fn catch_up(&mut self, ctx: &Ctx) -> OrdSet<ObjectKey> {
        let mut dirty = OrdSet::new();
        // The feed is read in place (only Job changes matter besides the CronJobs' own).
        let store = &*ctx.store;
        for c in store.changes_since(self.cursor) {
            match c.key.kind {
                Kind::CronJob => {
                    dirty.insert(c.key.clone());
                }
                Kind::Job => {
                    dirty.extend(self.index().observe(store, &c.key));
                }
                _ => {}
            }
        }
        self.cursor = store.revision();
        dirty
    }

    pub fn sync(&mut self, ctx: &mut Ctx) {
        for key in self.catch_up(ctx) {
            self.reconcile(ctx, &key);
        }
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
        let Some(Object::CronJob(cj)) = ctx.store.get(key).map(|s| s.object.clone()) else {
            return;
        };
        let jobs: Vec<Job> = {
            let store = &*ctx.store;
            self.index()
                .jobs(store, key, &cj.metadata.uid)
                .into_iter()
                .cloned()
                .collect()
        };
        let mut next = cj.clone();
        self.cleanup_finished(ctx, &mut next, &jobs);
        self.sync_cronjob(ctx, key, &mut next, &jobs);
        if next.status != cj.status {
            let _ = ctx.store.update(Object::CronJob(next), None);
        }
    }

    /// upstream `cleanupFinishedJobs` / `removeOldestJobs`.
    fn cleanup_finished(&mut self, ctx: &mut Ctx, cj: &mut CronJob, jobs: &[Job]) {
        let limits = [
            (
                "Complete",
                cj.spec.successful_jobs_history_limit.unwrap_or(3),
            ),
            ("Failed", cj.spec.failed_jobs_history_limit.unwrap_or(1)),
        ];
        for (kind, limit) in limits {
            let mut done: Vec<&Job> = jobs
                .iter()
                .filter(|j| finished_kind(j) == Some(kind))
                .collect();
            let n = done.len() as i64 - limit.max(0) as i64;
            if n <= 0 {
                continue;
            }
            // byJobStartTime: jobs without a start time last; the name breaks ties.
            crate::sort::sort_by(&mut done, |a, b| {
                let ka = (a.status.start_time.is_none(), a.status.start_time);
                let kb = (b.status.start_time.is_none(), b.status.start_time);
                ka.cmp(&kb)
                    .then_with(|| a.metadata.name.cmp(&b.metadata.name))
            });
            for j in done.into_iter().take(n as usize) {
                self.delete_job(ctx, cj, j);
            }
        }
    }

    /// upstream `deleteJob`: background deletion, off the active list, `SuccessfulDelete`.
    fn delete_job(&mut self, ctx: &mut Ctx, cj: &mut CronJob, j: &Job) {
        let key = ObjectKey::new(Kind::Job, &j.metadata.namespace, &j.metadata.name);
        objects::delete(ctx, &key, Propagation::Background);
        cj.status.active.retain(|a| a.uid != j.metadata.uid);
        ctx.event(
            "SuccessfulDelete",
            display(cj),
            None,
            format!("Deleted job {}", j.metadata.name),
        );
    }

    /// upstream `syncCronJob`.
    fn sync_cronjob(&mut self, ctx: &mut Ctx, key: &ObjectKey, cj: &mut CronJob, jobs: &[Job]) {
        let now = unix(ctx.now.millis());
        let me = display(cj);
        for j in jobs {
            let found = cj.status.active.iter().any(|a| a.uid == j.metadata.uid);
            let finished = finished_kind(j);
            match (found, finished) {
                (false, None) => ctx.event(
                    "UnexpectedJob",
                    me.clone(),
                    None,
                    format!(
                        "Saw a job that the controller did not create or forgot: {}",
                        j.metadata.name
                    ),
                ),
                (true, Some(kind)) => {
                    cj.status.active.retain(|a| a.uid != j.metadata.uid);
                    ctx.event(
                        "SawCompletedJob",
                        me.clone(),
                        None,
                        format!("Saw completed job: {}, condition: {kind}", j.metadata.name),
                    );
                }
                (false, Some(_)) => {
                    if let Some(t) = j.status.completion_time {
                        if cj.status.last_successful_time.is_none_or(|l| t > l) {
                            cj.status.last_successful_time = Some(t);
                        }
                    }
                }
                (true, None) => {}
            }
        }
        let children: OrdSet<&str> =
            OrdSet::from_iter(jobs.iter().map(|j| j.metadata.uid.as_str()));
        let missing: Vec<ActiveJob> = cj
            .status
            .active
            .iter()
            .filter(|a| !children.contains(a.uid.as_str()))
            .cloned()
            .collect();
        for a in missing {
            ctx.event(
                "MissingJob",
                me.clone(),
                None,
                format!("Active job went missing: {}", a.name),
            );
            cj.status.active.retain(|x| x.uid != a.uid);
        }
        if cj.metadata.deletion_at.is_some() || cj.spec.suspend == Some(true) {
            return;
        }
        let sched = match parse_standard(&cj.spec.schedule) {
            Ok(s) => s,
            Err(e) => {
                // Validation rejects these at load; kept for objects written by other means.
                ctx.event(
                    "UnparseableSchedule",
                    me,
                    None,
                    format!("unparseable schedule: {:?} : {e}", cj.spec.schedule),
                );
                return;
            }
        };
        let earliest = cj
            .status
            .last_schedule_time
            .unwrap_or_else(|| unix(cj.metadata.created_at));
        let scheduled = match most_recent_schedule_time(
            earliest,
            cj.spec.starting_deadline_seconds,
            now,
            &sched,
        ) {
            Err(e) => {
                ctx.event(
                    "InvalidSchedule",
                    me,
                    None,
                    format!("invalid schedule: {} : {e}", cj.spec.schedule),
                );
                return;
            }
            Ok((_, None, _)) => {
                self.requeue_next(ctx, key, cj, &sched, now);
                return;
            }
            Ok((_, Some(t), missed)) => {
                if missed == Missed::Many {
                    ctx.event(
                        "TooManyMissedTimes",
                        me.clone(),
                        None,
                        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew".into(),
                    );
                }
                t
            }
        };
        if let Some(sds) = cj.spec.starting_deadline_seconds {
            if scheduled + sds * 1000 < now {
                ctx.event(
                    "MissSchedule",
                    me,
                    None,
                    format!(
                        "Missed scheduled time to start a job: {}",
                        rfc1123z(scheduled)
                    ),
                );
                self.requeue_next(ctx, key, cj, &sched, now);
                return;
            }
        }
        let name = job_name(&cj.metadata.name, scheduled);
        if cj.status.active.iter().any(|a| a.name == name)
            || cj.status.last_schedule_time == Some(scheduled)
        {
            self.requeue_next(ctx, key, cj, &sched, now);
            return;
        }
        match cj.spec.concurrency_policy.as_str() {
            "Forbid" if !cj.status.active.is_empty() => {
                ctx.event(
                    "JobAlreadyActive",
                    me,
                    None,
                    "Not starting job because prior execution is running and concurrency policy is Forbid".into(),
                );
                self.requeue_next(ctx, key, cj, &sched, now);
                return;
            }
            "Replace" => {
                for a in cj.status.active.clone() {
                    if let Some(j) = jobs.iter().find(|j| j.metadata.uid == a.uid) {
                        self.delete_job(ctx, cj, j);
                    }
                }
            }
            _ => {}
        }
        let jkey = ObjectKey::new(Kind::Job, &key.namespace, &name);
        if ctx.store.get(&jkey).is_some() {
            // Created by another actor: assume it updated our status (upstream
            // `jobAlreadyExists`).
            self.requeue_next(ctx, key, cj, &sched, now);
            return;
        }
        let mut job = Job::default();
        job.metadata.name = name.clone();
        job.metadata.namespace = key.namespace.clone();
        job.metadata.labels = cj.spec.job_template.metadata.labels.clone();
        job.metadata.annotations = cj.spec.job_template.metadata.annotations.clone();
        job.metadata.annotations.insert(
            SCHEDULED_TIMESTAMP.into(),
            cron::rfc3339(scheduled.div_euclid(1000)),
        );
        job.metadata.owner_references = vec![OwnerReference {
            api_version: "batch/v1".into(),
            kind: "CronJob".into(),
            name: cj.metadata.name.clone(),
            uid: cj.metadata.uid.clone(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }];
        job.spec = cj.spec.job_template.spec.clone();
        let Some(Object::Job(created)) = objects::create_or_report(ctx, Object::Job(job), &me)
        else {
            return;
        };
        ctx.event("SuccessfulCreate", me, None, format!("Created job {name}"));
        cj.status.active.push(ActiveJob {
            name,
            uid: created.metadata.uid,
        });
        cj.status.last_schedule_time = Some(scheduled);
        self.requeue_next(ctx, key, cj, &sched, now);
    }

    /// upstream `nextScheduleTimeDuration`: wake 100 ms after the next scheduled time.
    fn requeue_next(
        &mut self,
        ctx: &mut Ctx,
        key: &ObjectKey,
        cj: &CronJob,
        sched: &Schedule,
        now: i64,
    ) {
        let earliest = cj
            .status
            .last_schedule_time
            .unwrap_or_else(|| unix(cj.metadata.created_at));
        let base = match most_recent_schedule_time(earliest, None, now, sched) {
            Err(_) => now,
            Ok((e, mr, _)) => mr.unwrap_or(e),
        };
        if let Some(next) = sched.next(base) {
            let at = next + NEXT_SCHEDULE_DELTA_MS - EPOCH_UNIX_MS;
            self.requeue
                .at(ctx, ControllerId::CronJob, key, SimTime(at.max(0) as u64));
        }
    }
}

fn display(cj: &CronJob) -> String {
    format!("CronJob/{}/{}", cj.metadata.namespace, cj.metadata.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        // "2016-05-19T10:00:00Z"
        let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
        cron::date(n(0, 4), n(5, 7), n(8, 10), n(11, 13), n(14, 16), n(17, 19)) * 1000
    }

    /// Cases from upstream utils_test.go TestMostRecentScheduleTime.
    #[test]
    fn most_recent_like_upstream() {
        let hourly = parse_standard("0 * * * *").unwrap();
        let every5 = parse_standard("*/5 * * * *").unwrap();
        // Not past the first schedule yet.
        assert_eq!(
            most_recent_schedule_time(
                t("2016-05-19T10:00:00Z"),
                None,
                t("2016-05-19T10:30:00Z"),
                &hourly
            ),
            Ok((t("2016-05-19T10:00:00Z"), None, Missed::None))
        );
        // One missed.
        assert_eq!(
            most_recent_schedule_time(
                t("2016-05-19T10:00:00Z"),
                None,
                t("2016-05-19T11:30:00Z"),
                &hourly
            ),
            Ok((
                t("2016-05-19T10:00:00Z"),
                Some(t("2016-05-19T11:00:00Z")),
                Missed::None
            ))
        );
        // Several missed: the most recent, and "few".
        assert_eq!(
            most_recent_schedule_time(
                t("2016-05-19T10:00:00Z"),
                None,
                t("2016-05-19T14:10:00Z"),
                &hourly
            ),
            Ok((
                t("2016-05-19T10:00:00Z"),
                Some(t("2016-05-19T14:00:00Z")),
                Missed::Few
            ))
        );
        // More than 100 missed.
        assert_eq!(
            most_recent_schedule_time(
                t("2016-05-19T10:00:00Z"),
                None,
                t("2016-05-30T10:00:00Z"),
                &hourly
            ),
            Ok((
                t("2016-05-19T10:00:00Z"),
                Some(t("2016-05-30T10:00:00Z")),
                Missed::Many
            ))
        );
        // startingDeadlineSeconds moves the earliest time up: only the last few count.
        assert_eq!(
            most_recent_schedule_time(
                t("2016-05-19T10:00:00Z"),
                Some(600),
                t("2016-05-30T10:07:00Z"),
                &every5
            ),
            Ok((
                t("2016-05-30T09:57:00Z"),
                Some(t("2016-05-30T10:05:00Z")),
                Missed::Few
            ))
        );
        // An impossible date (Feb 30) is an invalid schedule.
        let feb30 = parse_standard("0 0 30 2 *").unwrap();
        assert!(most_recent_schedule_time(0, None, t("2016-05-30T10:07:00Z"), &feb30).is_err());
    }

    #[test]
    fn names_and_formats() {
        // 2026-01-01T00:05:00Z is Unix minute 29453765.
        assert_eq!(job_name("hello", EPOCH_UNIX_MS + 300_000), "hello-29453765");
        assert_eq!(
            rfc1123z(EPOCH_UNIX_MS + 300_000),
            "Thu, 01 Jan 2026 00:05:00 +0000"
        );
    }
}
