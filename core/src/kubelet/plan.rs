//! The plan: CRI-shaped commands the kubelet logic issues, and the events a runtime reports.
//!
//! This is the API boundary between the sans-IO kubelet in core and a runtime — the simulated
//! one here, the Linux one in `cellsim-node`. Both types are serde-serializable (tagged by
//! `type`) so the boundary can cross a process or a network; `PLAN_VERSION` names the schema.

use serde::{Deserialize, Serialize};

/// Version of the command/event schema; bump on any incompatible change.
pub const PLAN_VERSION: u32 = 1;

/// Identifies a container of a pod on a node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRef {
    pub node: String,
    pub pod_uid: String,
    pub container: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RuntimeCommand {
    /// Create the pod's sandbox (namespaces, network) — CRI `RunPodSandbox`.
    #[serde(rename_all = "camelCase")]
    RunPodSandbox {
        node: String,
        pod_uid: String,
        namespace: String,
        name: String,
        labels: std::collections::BTreeMap<String, String>,
    },
    /// Pull an image onto the node — CRI `PullImage`.
    #[serde(rename_all = "camelCase")]
    PullImage {
        node: String,
        pod_uid: String,
        image: String,
    },
    /// Create a container from its spec (JSON of the v1 Container) — CRI `CreateContainer`.
    #[serde(rename_all = "camelCase")]
    CreateContainer {
        target: ContainerRef,
        image: String,
        init: bool,
        spec: serde_json::Value,
    },
    /// CRI `StartContainer`.
    #[serde(rename_all = "camelCase")]
    StartContainer { target: ContainerRef },
    /// SIGTERM, then SIGKILL after `graceMs` — CRI `StopContainer` with a timeout.
    #[serde(rename_all = "camelCase")]
    StopContainer { target: ContainerRef, grace_ms: u64 },
    /// Run one probe (the v1 Probe as JSON: its `exec`, `httpGet`, `tcpSocket` or `grpc`
    /// handler). A runtime runs `exec` in the container (CRI `ExecSync`) and the network
    /// handlers from the pod's network namespace, as the kubelet's prober does.
    #[serde(rename_all = "camelCase")]
    RunProbe {
        target: ContainerRef,
        probe: serde_json::Value,
        timeout_ms: u64,
    },
    /// CRI `StopPodSandbox` + `RemovePodSandbox`.
    #[serde(rename_all = "camelCase")]
    RemovePodSandbox { node: String, pod_uid: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RuntimeEvent {
    #[serde(rename_all = "camelCase")]
    SandboxReady {
        node: String,
        pod_uid: String,
        ip: String,
    },
    #[serde(rename_all = "camelCase")]
    ImagePulled {
        node: String,
        pod_uid: String,
        image: String,
        took_ms: u64,
    },
    #[serde(rename_all = "camelCase")]
    ContainerCreated { target: ContainerRef },
    #[serde(rename_all = "camelCase")]
    ContainerStarted { target: ContainerRef },
    /// The process exited (by itself, or after StopContainer). 137 = SIGKILL.
    #[serde(rename_all = "camelCase")]
    ContainerExited {
        target: ContainerRef,
        exit_code: i32,
        oom_killed: bool,
    },
    #[serde(rename_all = "camelCase")]
    ProbeResult { target: ContainerRef, success: bool },
    #[serde(rename_all = "camelCase")]
    SandboxRemoved { node: String, pod_uid: String },
}

impl RuntimeEvent {
    pub fn node(&self) -> &str {
        match self {
            RuntimeEvent::SandboxReady { node, .. }
            | RuntimeEvent::ImagePulled { node, .. }
            | RuntimeEvent::SandboxRemoved { node, .. } => node,
            RuntimeEvent::ContainerCreated { target }
            | RuntimeEvent::ContainerStarted { target }
            | RuntimeEvent::ContainerExited { target, .. }
            | RuntimeEvent::ProbeResult { target, .. } => &target.node,
        }
    }

    pub fn pod_uid(&self) -> &str {
        match self {
            RuntimeEvent::SandboxReady { pod_uid, .. }
            | RuntimeEvent::ImagePulled { pod_uid, .. }
            | RuntimeEvent::SandboxRemoved { pod_uid, .. } => pod_uid,
            RuntimeEvent::ContainerCreated { target }
            | RuntimeEvent::ContainerStarted { target }
            | RuntimeEvent::ContainerExited { target, .. }
            | RuntimeEvent::ProbeResult { target, .. } => &target.pod_uid,
        }
    }
}

/// A runtime carries commands out. The simulated runtime answers with events at modelled
/// delays; a real runtime reports them as they happen.
pub trait ContainerRuntime {
    /// Carry out `cmd`; push the events it will cause, each with its delay from now.
    fn submit(&mut self, cmd: RuntimeCommand, out: &mut Vec<(crate::time::Duration, RuntimeEvent)>);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_through_json() {
        let target = ContainerRef {
            node: "n".into(),
            pod_uid: "u".into(),
            container: "c".into(),
        };
        let cmd = RuntimeCommand::StopContainer {
            target: target.clone(),
            grace_ms: 30_000,
        };
        let text = serde_json::to_string(&cmd).unwrap();
        assert_eq!(
            text,
            r#"{"type":"stopContainer","target":{"node":"n","podUid":"u","container":"c"},"graceMs":30000}"#
        );
        assert_eq!(serde_json::from_str::<RuntimeCommand>(&text).unwrap(), cmd);
        let ev = RuntimeEvent::ContainerExited {
            target,
            exit_code: 137,
            oom_killed: false,
        };
        let text = serde_json::to_string(&ev).unwrap();
        assert_eq!(serde_json::from_str::<RuntimeEvent>(&text).unwrap(), ev);
    }
}
