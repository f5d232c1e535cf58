//! The scenario file's own fields (`cellsim.dev/v1alpha1`, kind `Scenario`).
//!
//! These structs deny unknown fields: a misspelled key in a scenario (`replcas`, `timline`) is
//! an error with its line and column, unlike Kubernetes objects, whose unused fields are
//! accepted. Kubernetes objects inside a scenario (`objects`, `cluster.nodes`, `apply`) are kept
//! as YAML nodes here and decoded by `crate::api::object::decode`.

use crate::api::node::Taint;
use crate::api::resources::ResourceList;
use crate::api::selector::{LabelSelector, Labels};
use crate::time::{Duration, SimTime};
use crate::yaml;
use cellsim_derive::CompactDeserialize;
use serde::Deserialize;

#[derive(Debug, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioDoc {
    pub api_version: String,
    pub kind: String,
    pub metadata: ScenarioMeta,
    pub spec: ScenarioSpec,
}

#[derive(Debug, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl ScenarioMeta {
    /// The `metadata` of each document of a scenario file that has one, without reading the
    /// rest (the playground's gallery lists the built-in scenarios this way).
    pub fn read_all(file: &str, text: &str) -> Result<Vec<ScenarioMeta>, crate::yaml::LoadError> {
        crate::yaml::parse_documents(file, text)?
            .iter()
            .filter_map(|doc| doc.get("metadata"))
            .map(|meta| crate::yaml::decode_node(file, meta, &mut Vec::new()))
            .collect()
    }
}

#[derive(Debug, CompactDeserialize)]
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
    /// Image sizes and pull bandwidth for the simulated runtime.
    #[serde(default)]
    pub registry: Option<Registry>,
    /// Service proxies and the traffic model's settings (`net::traffic`).
    #[serde(default)]
    pub network: Option<NetworkSpec>,
    /// Client load entering Services or Ingress hosts (`net::traffic`).
    #[serde(default)]
    pub traffic: Vec<TrafficEntry>,
    /// The cluster autoscaler (pools with `autoscaling` grow and shrink); absent: none.
    #[serde(default)]
    pub autoscaler: Option<crate::autoscaler::AutoscalerSpec>,
    /// What `cellsim run --real` needs besides the plan (local images); the simulation ignores
    /// it.
    #[serde(default)]
    pub real: Option<RealSpec>,
}

/// `spec.real`: settings of `cellsim run --real` (issue 9, docs/real-cluster.md).
#[derive(Clone, Debug, Default, PartialEq, Eq, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RealSpec {
    /// A manifest's image (as pods name it) -> the local image and optional command that
    /// stand in for it on a real node.
    #[serde(default)]
    pub images: crate::collections::OrdMap<RealImageName, RealImageSpec>,
}

/// `spec.real.images.<image>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RealImageSpec {
    /// A local image (`cellsim image ls`), e.g. `cellsim/busybox:latest`.
    pub image: RealImageName,
    /// Replaces the container's command (and its args) when set; must not be empty.
    #[serde(default)]
    pub command: Option<RealCommand>,
}

/// An image reference: not empty, no whitespace or control characters (checked at load, so
/// the error carries the line and column of the offending value).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct RealImageName(pub String);

impl<'de> Deserialize<'de> for RealImageName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Err(serde::de::Error::custom(
                "an image reference must not be empty",
            ));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(serde::de::Error::custom(format!(
                "invalid image reference {s:?}: no whitespace allowed"
            )));
        }
        Ok(RealImageName(s))
    }
}

/// A container command: at least one word, the first not empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RealCommand(pub Vec<String>);

impl<'de> Deserialize<'de> for RealCommand {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        if v.first().is_none_or(|c| c.is_empty()) {
            return Err(serde::de::Error::custom(
                "command must have at least one word and the first must not be empty",
            ));
        }
        Ok(RealCommand(v))
    }
}

impl RealSpec {
    /// The agent API's form of the mapping (`runPod.images`).
    pub fn agent_images(&self) -> crate::collections::OrdMap<String, crate::agent_api::RealImage> {
        self.images
            .iter()
            .map(|(k, v)| {
                (
                    k.0.clone(),
                    crate::agent_api::RealImage {
                        image: v.image.0.clone(),
                        command: v.command.clone().map(|c| c.0).unwrap_or_default(),
                    },
                )
            })
            .collect()
    }
}

/// `spec.network`: how every node's service proxy is configured and how fast it learns of
/// endpoint changes.
#[derive(Debug, Clone, Default, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkSpec {
    /// kube-proxy `mode`: iptables (default), ipvs or nftables.
    #[serde(default)]
    pub proxy_mode: Option<String>,
    /// kube-proxy `ipvs.scheduler` with `proxyMode: ipvs`: rr (default), lc or sh.
    #[serde(default)]
    pub ipvs_scheduler: Option<String>,
    /// How long after an EndpointSlice changes every proxy (and ingress controller) routes
    /// by it: watch latency plus the proxy's sync (default 1s: kube-proxy's
    /// `minSyncPeriod` for iptables).
    #[serde(default)]
    pub propagation_delay: Option<Duration>,
    /// Width of the report's time-series windows (default 10s).
    #[serde(default)]
    pub window: Option<Duration>,
}

/// One source of requests (`spec.traffic[]`): Poisson arrivals at `rps` into a Service (through
/// its ClusterIP, a NodePort or its load balancer) or into an Ingress host and path.
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrafficEntry {
    /// Names the entry for `setTraffic` (default: the service, or `host/path`).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub ingress: Option<IngressTarget>,
    /// clusterIP (default: in-cluster clients on random nodes), nodePort (external clients
    /// to a random node's port) or loadBalancer (a cloud load balancer spreading over the
    /// nodes its health checks pass).
    #[serde(default)]
    pub via: Option<String>,
    /// Mean requests per second (a quantity: `200`, `2.5`, `100k`).
    pub rps: crate::api::Quantity,
    /// Distinct client addresses the requests come from (default 100).
    #[serde(default)]
    pub clients: Option<u32>,
    /// Per-attempt client timeout (default 10s).
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Attempts after a failed one (default 0).
    #[serde(default)]
    pub retries: u32,
    /// Request headers (for ingress-nginx's canary-by-header).
    #[serde(default)]
    pub headers: crate::collections::OrdMap<String, String>,
    /// Start sending at this time (default 0).
    #[serde(default)]
    pub from: Option<Duration>,
}

#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressTarget {
    pub host: String,
    #[serde(default)]
    pub path: Option<String>,
}

/// A downstream call a pod makes for every request it serves (`behavior[].calls[]`).
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Call {
    pub service: String,
    #[serde(default)]
    pub namespace: Option<String>,
    /// Per-attempt timeout of the call (default 10s).
    #[serde(default)]
    pub timeout: Option<Duration>,
    #[serde(default)]
    pub retries: u32,
}

#[derive(Debug, Default, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSpec {
    #[serde(default)]
    pub node_pools: Vec<NodePool>,
    /// Verbatim v1 Node objects (decoded by the loader).
    #[serde(default)]
    pub nodes: Option<serde::de::IgnoredAny>,
}

/// A pool of identical nodes named `<name>-0`, `<name>-1`, ...
#[derive(Debug, Clone, CompactDeserialize)]
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
    /// The cluster autoscaler may resize this pool between `min` and `max` nodes.
    #[serde(default)]
    pub autoscaling: Option<crate::autoscaler::PoolAutoscaling>,
}

/// Simulation-only container behaviour, matched to pods by label selector (first match wins).
#[derive(Debug, Clone, CompactDeserialize)]
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
    /// Actual usage from the container's start (see `usage_at`): cpu and memory feed Borg
    /// resource reclamation; memory above the container's limit is an OOM kill.
    #[serde(default)]
    pub usage: ResourceList,
    /// Later usage: from `after` (since the container's start) the listed resources take these
    /// values; unlisted ones keep theirs. `after` strictly increases.
    #[serde(default)]
    pub usage_steps: Vec<UsageStep>,
    /// From a simulated time on (the scenario clock), the usage is another one (usage coming
    /// back, a surge): one step of the same profile, timed on the scenario clock, that
    /// replaces the whole usage.
    #[serde(default)]
    pub usage_after: Option<UsageAfter>,
    /// Image pull time for these pods (default: from the image's size, else 2s).
    #[serde(default)]
    pub pull_time: Option<Duration>,
    /// Each start of a matching container adds a uniform random 0..=jitter (whole
    /// milliseconds, from the run's seeded generator) to its `startupDelay` and to its
    /// `runFor`, drawn in that order.
    #[serde(default)]
    pub jitter: Option<Duration>,
    /// From this long after the start, probes fail (the application hangs or breaks): liveness
    /// kills follow, readiness drops.
    #[serde(default)]
    pub unhealthy_after: Option<Duration>,
    /// How long the process takes to exit after SIGTERM (default 100ms); when the grace period
    /// runs out first it is SIGKILLed (exit 137).
    #[serde(default)]
    pub shutdown_delay: Option<Duration>,
    /// How long an `exec`, `httpGet` or `tcpSocket` preStop hook runs before it returns
    /// (default 0; `sleep` hooks take their own seconds).
    #[serde(default)]
    pub pre_stop_duration: Option<Duration>,
    /// Requests per second one pod serves; beyond it requests queue (absent: no limit).
    #[serde(default)]
    pub capacity_rps: Option<crate::api::Quantity>,
    /// Time the pod spends on a request before its downstream calls (default 5ms).
    #[serde(default)]
    pub latency: Option<Duration>,
    /// From a simulated time on (the scenario clock), requests take this long instead of
    /// `latency` (a dependency slowing down).
    #[serde(default)]
    pub latency_after: Option<LatencyAfter>,
    /// Services called, one after another, for every request served.
    #[serde(default)]
    pub calls: Vec<Call>,
}

/// `behavior[].latencyAfter`.
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LatencyAfter {
    pub at: Duration,
    pub latency: Duration,
}

/// A step of a usage profile (`behavior[].usageSteps`).
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageStep {
    pub after: Duration,
    pub usage: ResourceList,
}

/// The behaviour of a container: the first entry whose selector matches the pod's labels and
/// whose `container` is absent or names it. The simulated runtime and the traffic model both
/// look behaviours up through here.
pub fn behavior_index(behaviors: &[Behavior], labels: &Labels, container: &str) -> Option<usize> {
    behaviors.iter().position(|b| {
        b.container.as_deref().is_none_or(|c| c == container) && b.selector.matches(labels)
    })
}

impl Behavior {
    /// The actual usage at `now` of a container that started at `started`: the usage
    /// profile's steps in time order — `usage` from the start, each `usageSteps` entry from
    /// `after` since the start (overriding the resources it lists), and `usageAfter` from its
    /// scenario time `at` (replacing the whole usage; at the same instant as a step, it comes
    /// last). This is the one definition of modelled usage: the simulated runtime's OOM
    /// kills, Borg reclamation (`SimRuntime::pod_usage`) and anything else reading usage call
    /// it.
    pub fn usage_at(&self, started: SimTime, now: SimTime) -> ResourceList {
        let since_start = now.since(started);
        // `usageAfter`, when its time has come, and that time on the container's clock.
        let replace = self
            .usage_after
            .as_ref()
            .filter(|a| a.at.as_millis() <= now.millis())
            .map(|a| {
                (
                    a,
                    Duration(a.at.as_millis().saturating_sub(started.millis())),
                )
            });
        let mut u = self.usage.clone();
        let mut replaced = false;
        for step in self
            .usage_steps
            .iter()
            .take_while(|s| s.after <= since_start)
        {
            if let Some((a, at)) = replace {
                if !replaced && at < step.after {
                    u = a.usage.clone();
                    replaced = true;
                }
            }
            for (k, v) in &step.usage {
                u.insert(k.clone(), v.clone());
            }
        }
        if let Some((a, _)) = replace.filter(|_| !replaced) {
            u = a.usage.clone();
        }
        u
    }

    /// The instants (since the container's start at `started`) at which its usage may
    /// change: 0, every step's `after`, and `usageAfter`'s time when it comes after the start.
    pub fn usage_changes(&self, started: SimTime) -> Vec<Duration> {
        let mut out: Vec<Duration> = std::iter::once(Duration::ZERO)
            .chain(self.usage_steps.iter().map(|s| s.after))
            .chain(
                self.usage_after
                    .as_ref()
                    .map(|a| Duration(a.at.as_millis().saturating_sub(started.millis()))),
            )
            .collect();
        // core::sort: the one compiled sort (docs/benchmarks.md, "Bundle size").
        crate::sort::sort(&mut out);
        out.dedup();
        out
    }
}

/// The image registry as the simulated runtime sees it (`spec.registry`).
#[derive(Debug, Clone, Default, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Registry {
    /// Bytes per second one node pulls at (a quantity, e.g. `50Mi`); default 50Mi.
    #[serde(default)]
    pub pull_bandwidth: Option<crate::api::Quantity>,
    /// Image sizes: a pull of a listed image takes `sizeBytes / pullBandwidth`.
    #[serde(default)]
    pub images: Vec<RegistryImage>,
}

#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegistryImage {
    pub name: String,
    pub size_bytes: u64,
}

/// `behavior[].usageAfter`: from simulated time `at` (the scenario clock, as timeline
/// entries) on, the usage of the matching containers is `usage` instead. A step of the usage
/// profile (`usageSteps`) timed on the scenario clock rather than the container's.
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageAfter {
    pub at: Duration,
    pub usage: ResourceList,
}

/// One assertion: exactly one of `at` (with a condition beside it), `always`, or `end`.
#[derive(Debug, Clone, CompactDeserialize)]
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
    #[serde(default)]
    pub service_success_rate: Option<ServiceRateCondition>,
    #[serde(default)]
    pub service_requests: Option<ServiceCountCondition>,
    #[serde(default)]
    pub service_latency: Option<ServiceLatencyCondition>,
    #[serde(default)]
    pub service_client_switches: Option<ServiceCountCondition>,
    /// With `always`: checked only from this simulated time on.
    #[serde(default)]
    pub from: Option<Duration>,
}

#[derive(Debug, Clone, Default, CompactDeserialize)]
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
    #[serde(default)]
    pub service_success_rate: Option<ServiceRateCondition>,
    #[serde(default)]
    pub service_requests: Option<ServiceCountCondition>,
    #[serde(default)]
    pub service_latency: Option<ServiceLatencyCondition>,
    #[serde(default)]
    pub service_client_switches: Option<ServiceCountCondition>,
}

/// The share of a Service's requests that succeeded (from the start, or from `since`),
/// compared with `min` / `max` (fractions, e.g. 0.999).
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceRateCondition {
    pub service: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub since: Option<Duration>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

/// A count about a Service (requests it received; or clients that moved between pods),
/// compared with `count` / `min` / `max`.
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceCountCondition {
    pub service: String,
    #[serde(default)]
    pub namespace: Option<String>,
    /// Only requests from this time on (`serviceRequests`).
    #[serde(default)]
    pub since: Option<Duration>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

/// A latency percentile of a Service's successful requests, in milliseconds.
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceLatencyCondition {
    pub service: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub since: Option<Duration>,
    /// 1..=100 (default 99).
    #[serde(default)]
    pub percentile: Option<u64>,
    #[serde(default)]
    pub min_ms: Option<u64>,
    #[serde(default)]
    pub max_ms: Option<u64>,
}

/// Count Deployments matching a label selector, optionally in one namespace, with a name
/// prefix, a condition (with a status and reason) and a revision, and compare with `count` /
/// `min` / `max`.
#[derive(Debug, Clone, CompactDeserialize)]
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
#[derive(Debug, Clone, CompactDeserialize)]
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
/// (`Kind/namespace/name` exactly, or a prefix when it ends in `*`) and with `message` in
/// their message, and compare with `count` / `min` / `max`.
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventsCondition {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

/// Count pods matching a label selector (kubectl `-l` syntax), optionally in one namespace,
/// phase and readiness, and compare with `count` / `min` / `max`.
#[derive(Debug, Clone, CompactDeserialize)]
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
    /// Only pods whose containers restarted this many times in all (kubectl's RESTARTS).
    #[serde(default)]
    pub restarts: Option<u64>,
    /// Only pods whose kubectl STATUS column reads this (`CrashLoopBackOff`, `Completed`, ...).
    #[serde(default)]
    pub status: Option<String>,
    /// Only pods with a container whose current or last termination has this reason
    /// (`OOMKilled`, `Error`, `Completed`).
    #[serde(default)]
    pub termination_reason: Option<String>,
    /// Only pods being deleted (`true`: with a deletion timestamp, "Terminating") or not.
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
#[derive(Debug, Clone, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PendingCondition {
    pub max: u64,
}

/// The raw YAML node of a timeline entry, decoded by `timeline::decode`.
pub type RawNode = yaml::Node;

#[cfg(test)]
mod tests {
    use super::ScenarioMeta;

    #[test]
    fn read_all_reads_only_each_documents_metadata() {
        let text = "metadata: {name: a, description: first}\nspec: {not: read}\n---\n\
                    kind: Pod\n---\nmetadata:\n  name: b\n";
        let metas = ScenarioMeta::read_all("s.yaml", text).expect("reads");
        let names: Vec<(&str, &str)> = metas
            .iter()
            .map(|m| (m.name.as_str(), m.description.as_str()))
            .collect();
        assert_eq!(names, [("a", "first"), ("b", "")]);
        let err = ScenarioMeta::read_all("s.yaml", "metadata:\n  name: a\n  color: red\n")
            .expect_err("unknown field");
        assert_eq!(
            err.to_string(),
            "s.yaml:3:3: unknown field `color`, expected `name` or `description`"
        );
    }
}
