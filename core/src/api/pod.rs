//! `v1.Pod` and the pieces of a pod spec the model uses: containers, resources, scheduling
//! constraints (nodeSelector, affinity, tolerations, topology spread), probes and lifecycle.

use super::meta::{IntOrString, ObjectMeta};
use super::resources::{ResourceList, ResourceRequirements, Resources};
use super::selector::{LabelSelector, Labels, NodeSelector};
use crate::collections::OrdMap;
use cellsim_derive::CompactDeserialize;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Pod {
    pub metadata: ObjectMeta,
    pub spec: PodSpec,
    #[serde(skip_deserializing)]
    pub status: PodStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodTemplateSpec {
    pub metadata: ObjectMeta,
    pub spec: PodSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    pub containers: Vec<Container>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    #[serde(skip_serializing_if = "OrdMap::is_empty")]
    pub node_selector: Labels,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub priority_class_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preemption_policy: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scheduler_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub restart_policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    #[serde(skip_serializing_if = "OrdMap::is_empty")]
    pub overhead: ResourceList,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scheduling_gates: Vec<SchedulingGate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_process_namespace: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subdomain: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SchedulingGate {
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub name: String,
    pub image: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_pull_policy: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    pub resources: ResourceRequirements,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    /// Sidecar containers are init containers with `restartPolicy: Always`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvVar {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerPort {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub container_port: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i32>,
    /// Kubernetes spells this field `hostIP` (core/v1 `ContainerPort.HostIP`), not camelCase.
    #[serde(rename = "hostIP", skip_serializing_if = "String::is_empty")]
    pub host_ip: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub protocol: String,
}

/// `v1.Probe` with its handler. Defaults (upstream `SetDefaults_Probe`): timeoutSeconds 1,
/// periodSeconds 10, successThreshold 1, failureThreshold 3.
#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Probe {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_get: Option<HttpGetAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Option<TcpSocketAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grpc: Option<GrpcAction>,
    pub initial_delay_seconds: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
}

impl Probe {
    pub fn timeout_seconds(&self) -> i32 {
        self.timeout_seconds.unwrap_or(1)
    }
    pub fn period_seconds(&self) -> i32 {
        self.period_seconds.unwrap_or(10)
    }
    pub fn success_threshold(&self) -> i32 {
        self.success_threshold.unwrap_or(1)
    }
    pub fn failure_threshold(&self) -> i32 {
        self.failure_threshold.unwrap_or(3)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExecAction {
    pub command: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpGetAction {
    #[serde(default)]
    pub path: String,
    pub port: IntOrString,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scheme: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpSocketAction {
    pub port: IntOrString,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GrpcAction {
    pub port: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Lifecycle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_start: Option<LifecycleHandler>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_stop: Option<LifecycleHandler>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LifecycleHandler {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_get: Option<HttpGetAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Option<TcpSocketAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sleep: Option<SleepAction>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SleepAction {
    pub seconds: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Affinity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_affinity: Option<NodeAffinity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_affinity: Option<PodAffinity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_anti_affinity: Option<PodAffinity>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeAffinity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PreferredSchedulingTerm {
    pub weight: i32,
    pub preference: super::selector::NodeSelectorTerm,
}

/// Pod affinity or anti-affinity (same shape).
#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodAffinity {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodAffinityTerm {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    pub topology_key: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_label_keys: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatch_label_keys: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WeightedPodAffinityTerm {
    pub weight: i32,
    pub pod_affinity_term: PodAffinityTerm,
}

/// `v1.Toleration`. Matching follows upstream `Toleration.ToleratesTaint`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Toleration {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub operator: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub effect: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopologySpreadConstraint {
    pub max_skew: i32,
    pub topology_key: String,
    pub when_unsatisfiable: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_domains: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_affinity_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_taints_policy: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_label_keys: Vec<String>,
}

/// Pod phase (`v1.PodPhase`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum PodPhase {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }

    pub fn parse(s: &str) -> Option<PodPhase> {
        Some(match s {
            "Pending" => PodPhase::Pending,
            "Running" => PodPhase::Running,
            "Succeeded" => PodPhase::Succeeded,
            "Failed" => PodPhase::Failed,
            "Unknown" => PodPhase::Unknown,
            _ => return None,
        })
    }
}

/// The observed state the model maintains for a pod.
#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodStatus {
    pub phase: PodPhase,
    pub ready: bool,
    /// Why the pod is not scheduled (the scheduler's last message), if it is not.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unschedulable_message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nominated_node_name: String,
    pub restart_count: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_at: Option<u64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Why the pod is in its phase (e.g. `Pod was rejected: ...` after kubelet admission).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(rename = "podIP", skip_serializing_if = "String::is_empty")]
    pub pod_ip: String,
    /// PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled (the
    /// kubelet's conditions, in upstream's order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<PodCondition>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init_container_statuses: Vec<ContainerStatus>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub container_statuses: Vec<ContainerStatus>,
    /// Borg resource reclamation's current reservation of the pod's cpu and memory, written
    /// by `sched::reclaim` when `spec.borg.reclamation` is on; absent: the pod's requests.
    /// Model state only: never read from a manifest.
    #[serde(skip)]
    pub reservation: Option<crate::api::resources::CpuMem>,
}

/// `v1.PodCondition`. Times are simulated milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodCondition {
    #[serde(rename = "type")]
    pub kind: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    pub last_transition_time: u64,
}

/// `v1.ContainerStatus`: one container's current state, its last termination, readiness and
/// restart count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStatus {
    pub name: String,
    pub state: ContainerState,
    #[serde(rename = "lastState")]
    pub last_termination_state: ContainerState,
    pub ready: bool,
    pub restart_count: i32,
    pub image: String,
    /// Whether the startup probe passed (or there is none) while the container runs; `None`
    /// until the kubelet has seen the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<bool>,
}

/// `v1.ContainerState`: at most one of the three is set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<ContainerStateWaiting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running: Option<ContainerStateRunning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminated: Option<ContainerStateTerminated>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStateWaiting {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStateRunning {
    pub started_at: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStateTerminated {
    pub exit_code: i32,
    /// `Completed` (exit 0), `Error`, `OOMKilled`, ...
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    pub started_at: u64,
    pub finished_at: u64,
}

impl ContainerState {
    pub fn waiting(reason: &str, message: &str) -> ContainerState {
        ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: reason.into(),
                message: message.into(),
            }),
            ..Default::default()
        }
    }
}

impl Pod {
    /// The pod's effective scheduling request, as upstream `resource.PodRequests` with no
    /// options: the sum of app containers, maxed with each init container (restartable init
    /// containers — sidecars — add to the running sum), plus `overhead`.
    pub fn requests(&self) -> Resources {
        self.requests_by(Resources::from_list)
    }

    /// Upstream `resourcehelper.PodRequests` with each container's requests read by `per`
    /// (the scheduler's non-zero requests fill in defaults there): containers summed,
    /// restartable init containers (sidecars) added, the largest of the regular init
    /// containers (each with the sidecars started before it) as a floor, plus the overhead.
    pub fn requests_by(&self, per: impl Fn(&ResourceList) -> Resources) -> Resources {
        let mut sum = Resources::default();
        for c in &self.spec.containers {
            sum.add(&per(&c.resources.requests));
        }
        let mut sidecars = Resources::default();
        let mut init_max = Resources::default();
        for c in &self.spec.init_containers {
            let r = per(&c.resources.requests);
            if c.restart_policy.as_deref() == Some("Always") {
                sidecars.add(&r);
                let mut with = sidecars.clone();
                with.max_with(&init_max);
                init_max = with;
            } else {
                let mut with = sidecars.clone();
                with.add(&r);
                init_max.max_with(&with);
            }
        }
        sum.add(&sidecars);
        sum.max_with(&init_max);
        sum.add(&Resources::from_list(&self.spec.overhead));
        sum
    }

    pub fn namespace(&self) -> &str {
        if self.metadata.namespace.is_empty() {
            "default"
        } else {
            &self.metadata.namespace
        }
    }

    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace(), self.metadata.name)
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.status.phase, PodPhase::Succeeded | PodPhase::Failed)
    }

    /// The `STATUS` column of `kubectl get pods` (upstream `printPod` in
    /// pkg/printers/internalversion/printers.go): the phase or the pod's reason, replaced by
    /// the first unfinished init container's state (`Init:0/2`, `Init:CrashLoopBackOff`,
    /// `Init:Error`), else by the last app container's waiting or terminated reason
    /// (`ContainerCreating`, `CrashLoopBackOff`, `OOMKilled`, `Completed`, `Error`,
    /// `ExitCode:N`), and `Terminating` while a non-terminal pod is being deleted.
    pub fn display_status(&self) -> String {
        let s = &self.status;
        let mut reason = if s.reason.is_empty() {
            s.phase.as_str().to_string()
        } else {
            s.reason.clone()
        };
        if s.conditions
            .iter()
            .any(|c| c.kind == "PodScheduled" && c.reason == "SchedulingGated")
        {
            reason = "SchedulingGated".into();
        }
        let mut initializing = false;
        for (i, c) in s.init_container_statuses.iter().enumerate() {
            let restartable = self
                .spec
                .init_containers
                .iter()
                .find(|ic| ic.name == c.name)
                .is_some_and(Container::is_restartable_init);
            let term = c.state.terminated.as_ref();
            if term.is_some_and(|t| t.exit_code == 0) {
                continue;
            }
            if restartable && c.started == Some(true) {
                continue;
            }
            if let Some(t) = term {
                reason = if t.reason.is_empty() {
                    format!("Init:ExitCode:{}", t.exit_code)
                } else {
                    format!("Init:{}", t.reason)
                };
            } else if let Some(w) = c
                .state
                .waiting
                .as_ref()
                .filter(|w| !w.reason.is_empty() && w.reason != "PodInitializing")
            {
                reason = format!("Init:{}", w.reason);
            } else {
                reason = format!("Init:{i}/{}", self.spec.init_containers.len());
            }
            initializing = true;
            break;
        }
        let initialized = s
            .conditions
            .iter()
            .any(|c| c.kind == "Initialized" && c.status == "True");
        if !initializing || initialized {
            let mut has_running = false;
            for c in s.container_statuses.iter().rev() {
                if let Some(w) = c.state.waiting.as_ref().filter(|w| !w.reason.is_empty()) {
                    reason = w.reason.clone();
                } else if let Some(t) = &c.state.terminated {
                    reason = if t.reason.is_empty() {
                        format!("ExitCode:{}", t.exit_code)
                    } else {
                        t.reason.clone()
                    };
                } else if c.ready && c.state.running.is_some() {
                    has_running = true;
                }
            }
            if reason == "Completed" && has_running {
                let ready = s
                    .conditions
                    .iter()
                    .any(|c| c.kind == "Ready" && c.status == "True");
                reason = if ready { "Running" } else { "NotReady" }.into();
            }
        }
        if self.metadata.deletion_at.is_some() && !self.is_terminal() {
            reason = "Terminating".into();
        }
        reason
    }
}

impl Container {
    /// A sidecar: an init container with `restartPolicy: Always` (upstream
    /// `podutil.IsRestartableInitContainer`).
    pub fn is_restartable_init(&self) -> bool {
        self.restart_policy.as_deref() == Some("Always")
    }
}
