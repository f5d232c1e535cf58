//! batch/v1 Job and CronJob.

use super::meta::ObjectMeta;
use super::pod::PodTemplateSpec;
use super::selector::LabelSelector;
use crate::collections::OrdSet;
use cellsim_derive::CompactDeserialize;
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Job {
    pub metadata: ObjectMeta,
    pub spec: JobSpec,
    #[serde(skip_deserializing)]
    pub status: JobStatus,
}

/// `batch/v1 JobCondition`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobCondition {
    /// Complete, Failed, SuccessCriteriaMet, FailureTarget, Suspended.
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    /// Simulated milliseconds.
    pub last_transition_time: u64,
}

/// `batch/v1 JobStatus`, plus what upstream tracks with the pods' `batch.kubernetes.io/job-tracking`
/// finalizer and its pod-failure backoff store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobStatus {
    pub active: i32,
    pub succeeded: i32,
    pub failed: i32,
    pub ready: i32,
    pub terminating: i32,
    /// Simulated milliseconds.
    pub start_time: Option<u64>,
    pub completion_time: Option<u64>,
    pub conditions: Vec<JobCondition>,
    /// Indexed jobs: the succeeded indexes in upstream's compressed form (`1,3-5`).
    pub completed_indexes: String,
    /// Finished pods already counted in `succeeded` / `failed` (uids): upstream removes the
    /// tracking finalizer of a pod once counted.
    #[serde(skip)]
    pub counted: OrdSet<String>,
    /// Indexed jobs: succeeded indexes.
    #[serde(skip)]
    pub succeeded_indexes: OrdSet<i32>,
    /// The pod-failure backoff record (upstream `backoffRecord`): failures since the last
    /// success and the finish time of the last one (simulated milliseconds).
    #[serde(skip)]
    pub failures_after_last_success: i32,
    #[serde(skip)]
    pub last_failure_time: Option<u64>,
}

impl JobStatus {
    /// The condition of this type with status True, if any.
    pub fn condition(&self, kind: &str) -> Option<&JobCondition> {
        self.conditions
            .iter()
            .find(|c| c.kind == kind && c.status == "True")
    }

    /// Finished: a Complete or Failed condition is True (upstream `IsJobFinished`).
    pub fn finished(&self) -> Option<&JobCondition> {
        self.conditions
            .iter()
            .find(|c| (c.kind == "Complete" || c.kind == "Failed") && c.status == "True")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobSpec {
    pub parallelism: Option<i32>,
    pub completions: Option<i32>,
    /// Defaults to 6 (upstream SetDefaults_Job).
    pub backoff_limit: Option<i32>,
    pub active_deadline_seconds: Option<i64>,
    /// `NonIndexed` (default) or `Indexed`.
    pub completion_mode: Option<String>,
    pub ttl_seconds_after_finished: Option<i32>,
    pub suspend: Option<bool>,
    pub selector: Option<LabelSelector>,
    pub manual_selector: Option<bool>,
    pub template: PodTemplateSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CronJob {
    pub metadata: ObjectMeta,
    pub spec: CronJobSpec,
    #[serde(skip_deserializing)]
    pub status: CronJobStatus,
}

/// `batch/v1 CronJobStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CronJobStatus {
    /// The running jobs (name, uid).
    pub active: Vec<ActiveJob>,
    /// Unix milliseconds of the last scheduled time.
    pub last_schedule_time: Option<i64>,
    /// Simulated milliseconds of the last successful job's completion.
    pub last_successful_time: Option<u64>,
}

/// A `v1.ObjectReference` to an active job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActiveJob {
    pub name: String,
    pub uid: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CronJobSpec {
    pub schedule: String,
    pub time_zone: Option<String>,
    pub starting_deadline_seconds: Option<i64>,
    /// `Allow` (default), `Forbid` or `Replace`.
    pub concurrency_policy: String,
    pub suspend: Option<bool>,
    pub job_template: JobTemplateSpec,
    /// Defaults: 3 successful, 1 failed.
    pub successful_jobs_history_limit: Option<i32>,
    pub failed_jobs_history_limit: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobTemplateSpec {
    pub metadata: ObjectMeta,
    pub spec: JobSpec,
}
