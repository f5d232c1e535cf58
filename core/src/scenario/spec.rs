//! The scenario file's own fields (`cellsim.dev/v1alpha1`, kind `Scenario`).
//!
//! These structs deny unknown fields: a misspelled key in a scenario (`replcas`, `timline`) is
//! an error with its line and column, unlike Kubernetes objects, whose unused fields are
//! accepted. Kubernetes objects inside a scenario (`objects`, `cluster.nodes`, `apply`) are kept
//! as YAML nodes here and decoded by `crate::api::object::decode`.

use crate::api::node::Taint;
use crate::api::resources::ResourceList;
use crate::api::selector::{LabelSelector, Labels};
use crate::time::Duration;
use crate::yaml;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioDoc {
    pub api_version: String,
    pub kind: String,
    pub metadata: ScenarioMeta,
    pub spec: ScenarioSpec,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioSpec {
    #[serde(default)]
    pub seed: u64,
    pub duration: Duration,
    #[serde(default)]
    pub cluster: ClusterSpec,
    /// A KubeSchedulerConfiguration, decoded by the scheduler (kept raw here).
    #[serde(default)]
    pub scheduler: Option<serde::de::IgnoredAny>,
    /// Decoded from the YAML node tree by the loader (inline objects or `{file: ...}`).
    #[serde(default)]
    pub objects: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub behavior: Vec<Behavior>,
    /// Decoded from the YAML node tree by the loader (actions may carry objects).
    #[serde(default)]
    pub timeline: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub expect: Vec<ExpectEntry>,
    /// Borg's policies (priority bands, no preemption within production, opt-in resource
    /// reclamation); absent: plain kube-scheduler.
    #[serde(default)]
    pub borg: Option<crate::sched::borg::BorgPolicy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSpec {
    #[serde(default)]
    pub node_pools: Vec<NodePool>,
    /// Verbatim v1 Node objects (decoded by the loader).
    #[serde(default)]
    pub nodes: Option<serde::de::IgnoredAny>,
}

/// A pool of identical nodes named `<name>-0`, `<name>-1`, ...
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePool {
    pub name: String,
    pub count: u32,
    pub allocatable: ResourceList,
    #[serde(default)]
    pub labels: Labels,
    /// Round-robin `topology.kubernetes.io/zone` values.
    #[serde(default)]
    pub zones: Vec<String>,
    #[serde(default)]
    pub taints: Vec<Taint>,
}

/// Simulation-only container behaviour, matched to pods by label selector (first match wins).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Behavior {
    pub selector: LabelSelector,
    /// Optional container name; absent: every container of the matching pods.
    #[serde(default)]
    pub container: Option<String>,
    /// From container start until the application serves (readiness passes).
    #[serde(default)]
    pub startup_delay: Option<Duration>,
    /// The process exits after running this long (absent: runs until killed).
    #[serde(default)]
    pub run_for: Option<Duration>,
    /// Exit code when `runFor` elapses.
    #[serde(default)]
    pub exit_code: i32,
    /// Actual usage of each running container (cpu and memory feed Borg resource
    /// reclamation; OOM kills and the HPA later).
    #[serde(default)]
    pub usage: ResourceList,
    /// From a simulated time on, the usage is another one (usage coming back, a surge).
    #[serde(default)]
    pub usage_after: Option<UsageStep>,
    /// Image pull time (default: 2s per image the node has not pulled yet).
    #[serde(default)]
    pub pull_time: Option<Duration>,
}

/// `behavior[].usageAfter`: from simulated time `at` (the scenario clock, as timeline
/// entries) on, the usage of the matching containers is `usage` instead.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageStep {
    pub at: Duration,
    pub usage: ResourceList,
}

/// One assertion: exactly one of `at` (with a condition beside it), `always`, or `end`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpectEntry {
    #[serde(default)]
    pub at: Option<Duration>,
    #[serde(default)]
    pub always: Option<Condition>,
    #[serde(default)]
    pub end: Option<Condition>,
    #[serde(default)]
    pub pods: Option<PodsCondition>,
    #[serde(default)]
    pub pending: Option<PendingCondition>,
    #[serde(default)]
    pub jobs: Option<JobsCondition>,
    #[serde(default)]
    pub events: Option<EventsCondition>,
    #[serde(default)]
    pub deployments: Option<DeploymentsCondition>,
    /// With `always`: checked only from this simulated time on.
    #[serde(default)]
    pub from: Option<Duration>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    #[serde(default)]
    pub pods: Option<PodsCondition>,
    #[serde(default)]
    pub pending: Option<PendingCondition>,
    #[serde(default)]
    pub jobs: Option<JobsCondition>,
    #[serde(default)]
    pub events: Option<EventsCondition>,
    #[serde(default)]
    pub deployments: Option<DeploymentsCondition>,
}

/// Count Deployments matching a label selector, optionally in one namespace, with a name
/// prefix, a condition (with a status and reason) and a revision, and compare with `count` /
/// `min` / `max`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentsCondition {
    #[serde(default)]
    pub selector: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name_prefix: Option<String>,
    /// Available, Progressing or ReplicaFailure: only Deployments with this condition.
    #[serde(default)]
    pub condition: Option<String>,
    /// With `condition`: its status (True, False or Unknown).
    #[serde(default)]
    pub status: Option<String>,
    /// With `condition`: its reason (e.g. ProgressDeadlineExceeded).
    #[serde(default)]
    pub reason: Option<String>,
    /// Only Deployments at this revision (`deployment.kubernetes.io/revision`).
    #[serde(default)]
    pub revision: Option<u64>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

/// Count Jobs matching a label selector (kubectl `-l` syntax), optionally in one namespace,
/// with a name prefix, and with a condition True, and compare with `count` / `min` / `max`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobsCondition {
    #[serde(default)]
    pub selector: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name_prefix: Option<String>,
    /// Complete, Failed, SuccessCriteriaMet, FailureTarget or Suspended.
    #[serde(default)]
    pub condition: Option<String>,
    /// The condition's reason (e.g. BackoffLimitExceeded).
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

/// Count the trace events so far with this `type` (reason), optionally of one object
/// (`Kind/namespace/name`), and compare with `count` / `min` / `max`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventsCondition {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

/// Count pods matching a label selector (kubectl `-l` syntax), optionally in one namespace,
/// phase and readiness, and compare with `count` / `min` / `max`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodsCondition {
    #[serde(default)]
    pub selector: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub ready: Option<bool>,
    /// Only pods whose name starts with this.
    #[serde(default)]
    pub name_prefix: Option<String>,
    /// Only pods bound to this node.
    #[serde(default)]
    pub node: Option<String>,
    /// Only pods being deleted (`true`) or not (`false`).
    #[serde(default)]
    pub terminating: Option<bool>,
    /// Only pods with a container (app or init) of this image.
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

/// Pods the scheduler has not yet bound to a node.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PendingCondition {
    pub max: u64,
}

/// The raw YAML node of a timeline entry, decoded by `timeline::decode`.
pub type RawNode = yaml::Node;
