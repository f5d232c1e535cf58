//! The plan: CRI-shaped commands the kubelet logic issues, and the events a runtime reports.
//!
//! This is the API boundary between the sans-IO kubelet in core and a runtime — the simulated
//! one here, the Linux one in `cellsim-node`. Both types are serde-serializable, tagged by
//! `type`, with camelCase fields, so the boundary can cross a process or a network;
//! `PLAN_VERSION` names the schema. `docs/plan.md` describes the contract with a JSON example
//! of every variant (kept true by this module's tests).
//!
//! The kubelet never waits on a runtime: it submits commands and reacts to events. A runtime
//! answers every command with the events listed on it, in order, and reports a container's
//! exit (`ContainerExited`) whenever the process ends, whether by itself, by an OOM kill or by
//! `StopContainer`. A command about a container or sandbox that no longer exists is ignored.

use crate::api::pod::{Container, LifecycleHandler, Probe};
use crate::collections::OrdMap;
use cellsim_derive::CompactDeserialize;
use serde::{Deserialize, Serialize};

/// Version of the command/event schema; bump on any incompatible change.
///
/// 2: `ContainerRef.attempt`; `StopPodSandbox`, `RemoveContainer`, `RunLifecycleHook`;
/// `StopContainer.timeoutSeconds` (was `graceMs`); probe type and output on probes; pull
/// timing and size on `ImagePulled`; `SandboxStopped`, `ContainerRemoved`, `HookCompleted`.
pub const PLAN_VERSION: u32 = 2;

/// Identifies one container instance of a pod on a node. `attempt` counts the instances of
/// the same container in the pod's sandbox (CRI `ContainerMetadata.attempt`): the first run is
/// 0, each restart creates the next attempt, and dead attempts stay until garbage collected.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRef {
    pub node: String,
    pub pod_uid: String,
    pub container: String,
    pub attempt: u32,
}

/// Which of a container's probes (upstream `probeType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProbeType {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeType {
    /// Upstream `probeType.String()`, as event messages print it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeType::Liveness => "Liveness",
            ProbeType::Readiness => "Readiness",
            ProbeType::Startup => "Startup",
        }
    }
}

/// Which lifecycle hook (the kubelet's handler runner).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HookType {
    PreStop,
}

/// What the kubelet asks a runtime to do.
///
/// The v1 objects a command carries (`spec`, `probe`, `handler`) are typed, not
/// `serde_json::Value`: the simulated runtime reads them directly, so the wasm build needs no
/// JSON value tree for them (docs/benchmarks.md, "Bundle size"). They serialize to the same
/// JSON as the Value built from them did (serde_json's `preserve_order`: field order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RuntimeCommand {
    /// Create the pod's sandbox (namespaces, network) — CRI `RunPodSandbox`.
    /// Answered by `SandboxReady` with the pod IP.
    #[serde(rename_all = "camelCase")]
    RunPodSandbox {
        node: String,
        pod_uid: String,
        namespace: String,
        name: String,
        labels: OrdMap<String, String>,
    },
    /// Stop every process of the sandbox and tear its network down, keeping the sandbox and
    /// its dead containers (logs, status) — CRI `StopPodSandbox`. Answered by
    /// `SandboxStopped` (and `ContainerExited` for anything still running).
    #[serde(rename_all = "camelCase")]
    StopPodSandbox { node: String, pod_uid: String },
    /// Delete a stopped sandbox and all its containers — CRI `RemovePodSandbox` (issued by
    /// garbage collection). Answered by `SandboxRemoved`.
    #[serde(rename_all = "camelCase")]
    RemovePodSandbox { node: String, pod_uid: String },
    /// Pull an image onto the node — CRI `PullImage`. A runtime may queue pulls (the kubelet's
    /// default serialized puller pulls one image at a time per node). Answered by
    /// `ImagePulled`.
    #[serde(rename_all = "camelCase")]
    PullImage {
        node: String,
        pod_uid: String,
        image: String,
    },
    /// Create a container instance from its spec (the v1 Container as JSON; `init` marks an
    /// init container, a sidecar when the spec has `restartPolicy: Always`) — CRI
    /// `CreateContainer`. Answered by `ContainerCreated`.
    #[serde(rename_all = "camelCase")]
    CreateContainer {
        target: ContainerRef,
        image: String,
        init: bool,
        spec: Box<Container>,
    },
    /// Start a created container — CRI `StartContainer`. Answered by `ContainerStarted`.
    #[serde(rename_all = "camelCase")]
    StartContainer { target: ContainerRef },
    /// SIGTERM (or the image's stop signal), then SIGKILL after `timeoutSeconds` if the
    /// process is still there — CRI `StopContainer` with its timeout. The kubelet has already
    /// run the preStop hook and never asks for less than 2 seconds. Answered by
    /// `ContainerExited` (143 after SIGTERM, 137 after SIGKILL, or the process's own code).
    #[serde(rename_all = "camelCase")]
    StopContainer {
        target: ContainerRef,
        timeout_seconds: u64,
    },
    /// Delete a dead container instance — CRI `RemoveContainer` (issued by garbage
    /// collection). Answered by `ContainerRemoved`.
    #[serde(rename_all = "camelCase")]
    RemoveContainer { target: ContainerRef },
    /// Run one probe (the v1 Probe as JSON: its `exec`, `httpGet`, `tcpSocket` or `grpc`
    /// handler). A runtime runs `exec` in the container (CRI `ExecSync` with the timeout) and
    /// the network handlers from the pod's network namespace, as the kubelet's prober does.
    /// Answered by `ProbeResult`.
    #[serde(rename_all = "camelCase")]
    RunProbe {
        target: ContainerRef,
        probe_type: ProbeType,
        probe: Box<Probe>,
        timeout_ms: u64,
    },
    /// Run a lifecycle hook's `exec` (in the container, CRI `ExecSync`), `httpGet` or
    /// `tcpSocket` handler (the v1 LifecycleHandler as JSON), giving up after `timeoutMs`.
    /// (`sleep` handlers never reach a runtime: the kubelet sleeps itself.) Answered by
    /// `HookCompleted`.
    #[serde(rename_all = "camelCase")]
    RunLifecycleHook {
        target: ContainerRef,
        hook: HookType,
        handler: Box<LifecycleHandler>,
        timeout_ms: u64,
    },
}

// The api types hold no floats, so their derived PartialEq is an equivalence (the plan
// entries the simulator records compare with Eq).
impl Eq for RuntimeCommand {}

/// What a runtime reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RuntimeEvent {
    /// The sandbox runs and has this IP.
    #[serde(rename_all = "camelCase")]
    SandboxReady {
        node: String,
        pod_uid: String,
        ip: String,
    },
    /// The sandbox is stopped (every container of it has exited).
    #[serde(rename_all = "camelCase")]
    SandboxStopped { node: String, pod_uid: String },
    /// The sandbox and its containers are gone.
    #[serde(rename_all = "camelCase")]
    SandboxRemoved { node: String, pod_uid: String },
    /// The image is on the node. `pullMs`: the transfer itself; `totalMs`: from the request,
    /// including time queued behind other pulls; `sizeBytes`: the image's size (0 when the
    /// runtime does not know it).
    #[serde(rename_all = "camelCase")]
    ImagePulled {
        node: String,
        pod_uid: String,
        image: String,
        pull_ms: u64,
        total_ms: u64,
        size_bytes: u64,
    },
    #[serde(rename_all = "camelCase")]
    ContainerCreated { target: ContainerRef },
    /// The process runs (its start time is the event's time).
    #[serde(rename_all = "camelCase")]
    ContainerStarted { target: ContainerRef },
    /// The process ended: by itself, after `StopContainer` (143 = SIGTERM honoured, 137 =
    /// SIGKILL at the timeout), or killed by the kernel for exceeding its memory limit
    /// (`oomKilled`, exit 137).
    #[serde(rename_all = "camelCase")]
    ContainerExited {
        target: ContainerRef,
        exit_code: i32,
        oom_killed: bool,
    },
    /// A dead container instance was deleted.
    #[serde(rename_all = "camelCase")]
    ContainerRemoved { target: ContainerRef },
    /// One probe's outcome; `output` explains a failure (the prober's message, e.g. `HTTP
    /// probe failed with statuscode: 500`), empty on success.
    #[serde(rename_all = "camelCase")]
    ProbeResult {
        target: ContainerRef,
        probe_type: ProbeType,
        success: bool,
        output: String,
    },
    /// A lifecycle hook returned (`success: false`: it failed or timed out).
    #[serde(rename_all = "camelCase")]
    HookCompleted {
        target: ContainerRef,
        hook: HookType,
        success: bool,
    },
}

impl RuntimeEvent {
    pub fn node(&self) -> &str {
        match self {
            RuntimeEvent::SandboxReady { node, .. }
            | RuntimeEvent::SandboxStopped { node, .. }
            | RuntimeEvent::SandboxRemoved { node, .. }
            | RuntimeEvent::ImagePulled { node, .. } => node,
            RuntimeEvent::ContainerCreated { target }
            | RuntimeEvent::ContainerStarted { target }
            | RuntimeEvent::ContainerExited { target, .. }
            | RuntimeEvent::ContainerRemoved { target }
            | RuntimeEvent::ProbeResult { target, .. }
            | RuntimeEvent::HookCompleted { target, .. } => &target.node,
        }
    }

    pub fn pod_uid(&self) -> &str {
        match self {
            RuntimeEvent::SandboxReady { pod_uid, .. }
            | RuntimeEvent::SandboxStopped { pod_uid, .. }
            | RuntimeEvent::SandboxRemoved { pod_uid, .. }
            | RuntimeEvent::ImagePulled { pod_uid, .. } => pod_uid,
            RuntimeEvent::ContainerCreated { target }
            | RuntimeEvent::ContainerStarted { target }
            | RuntimeEvent::ContainerExited { target, .. }
            | RuntimeEvent::ContainerRemoved { target }
            | RuntimeEvent::ProbeResult { target, .. }
            | RuntimeEvent::HookCompleted { target, .. } => &target.pod_uid,
        }
    }
}

/// A runtime carries commands out. The simulated runtime answers with events at modelled
/// delays; a real runtime reports them as they happen.
pub trait ContainerRuntime {
    /// Carry out `cmd`; push the events it will cause, each with its delay from now.
    fn submit(&mut self, cmd: RuntimeCommand, out: &mut Vec<(crate::time::Duration, RuntimeEvent)>);
}

/// One example of every command and event, in declaration order (docs/plan.md shows the same
/// values as JSON; the tests keep the two in step).
pub fn examples() -> (Vec<RuntimeCommand>, Vec<RuntimeEvent>) {
    let target = ContainerRef {
        node: "pool-0".into(),
        pod_uid: "5c6d6f64-000000000007".into(),
        container: "app".into(),
        attempt: 0,
    };
    let node = || "pool-0".to_string();
    let uid = || "5c6d6f64-000000000007".to_string();
    let commands = vec![
        RuntimeCommand::RunPodSandbox {
            node: node(),
            pod_uid: uid(),
            namespace: "default".into(),
            name: "web-0".into(),
            labels: OrdMap::from([("app".to_string(), "web".to_string())]),
        },
        RuntimeCommand::StopPodSandbox {
            node: node(),
            pod_uid: uid(),
        },
        RuntimeCommand::RemovePodSandbox {
            node: node(),
            pod_uid: uid(),
        },
        RuntimeCommand::PullImage {
            node: node(),
            pod_uid: uid(),
            image: "nginx:1.25".into(),
        },
        RuntimeCommand::CreateContainer {
            target: target.clone(),
            image: "nginx:1.25".into(),
            init: false,
            spec: Box::new(Container {
                name: "app".into(),
                image: "nginx:1.25".into(),
                ..Default::default()
            }),
        },
        RuntimeCommand::StartContainer {
            target: target.clone(),
        },
        RuntimeCommand::StopContainer {
            target: target.clone(),
            timeout_seconds: 30,
        },
        RuntimeCommand::RemoveContainer {
            target: target.clone(),
        },
        RuntimeCommand::RunProbe {
            target: target.clone(),
            probe_type: ProbeType::Liveness,
            probe: serde_json::from_value(
                serde_json::json!({"httpGet": {"path": "/healthz", "port": 8080}}),
            )
            .unwrap(),
            timeout_ms: 1000,
        },
        RuntimeCommand::RunLifecycleHook {
            target: target.clone(),
            hook: HookType::PreStop,
            handler: serde_json::from_value(
                serde_json::json!({"exec": {"command": ["nginx", "-s", "quit"]}}),
            )
            .unwrap(),
            timeout_ms: 30_000,
        },
    ];
    let events = vec![
        RuntimeEvent::SandboxReady {
            node: node(),
            pod_uid: uid(),
            ip: "10.244.0.7".into(),
        },
        RuntimeEvent::SandboxStopped {
            node: node(),
            pod_uid: uid(),
        },
        RuntimeEvent::SandboxRemoved {
            node: node(),
            pod_uid: uid(),
        },
        RuntimeEvent::ImagePulled {
            node: node(),
            pod_uid: uid(),
            image: "nginx:1.25".into(),
            pull_ms: 3_740,
            total_ms: 5_740,
            size_bytes: 196_079_616,
        },
        RuntimeEvent::ContainerCreated {
            target: target.clone(),
        },
        RuntimeEvent::ContainerStarted {
            target: target.clone(),
        },
        RuntimeEvent::ContainerExited {
            target: target.clone(),
            exit_code: 137,
            oom_killed: true,
        },
        RuntimeEvent::ContainerRemoved {
            target: target.clone(),
        },
        RuntimeEvent::ProbeResult {
            target: target.clone(),
            probe_type: ProbeType::Liveness,
            success: false,
            output: "HTTP probe failed with statuscode: 500".into(),
        },
        RuntimeEvent::HookCompleted {
            target,
            hook: HookType::PreStop,
            success: true,
        },
    ];
    (commands, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(v: &serde_json::Value) -> String {
        v["type"].as_str().unwrap().to_string()
    }

    /// The typed `spec`/`probe`/`handler` write the same JSON text as the
    /// `serde_json::Value` built from them, which the commands carried before: the fields in
    /// declaration order (serde_json's `preserve_order`), not sorted.
    #[test]
    fn typed_payloads_serialize_as_their_json_values_did() {
        let spec: Container = serde_json::from_value(serde_json::json!({
            "name": "app", "image": "nginx:1.25", "command": ["nginx"], "args": ["-g", "daemon off;"],
            "ports": [{"containerPort": 80}],
            "env": [{"name": "A", "value": "1"}],
            "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 80}, "periodSeconds": 5},
            "lifecycle": {"preStop": {"exec": {"command": ["nginx", "-s", "quit"]}}},
            "restartPolicy": "Always"
        }))
        .unwrap();
        let probe = spec.liveness_probe.clone().expect("probe");
        let handler = spec
            .lifecycle
            .as_ref()
            .and_then(|l| l.pre_stop.clone())
            .expect("preStop");
        let (mut commands, _) = examples();
        for c in &mut commands {
            match c {
                RuntimeCommand::CreateContainer { spec: s, .. } => **s = spec.clone(),
                RuntimeCommand::RunProbe { probe: p, .. } => **p = probe.clone(),
                RuntimeCommand::RunLifecycleHook { handler: h, .. } => **h = handler.clone(),
                _ => {}
            }
        }
        for c in &commands {
            let as_value = serde_json::to_value(c).unwrap();
            assert_eq!(
                serde_json::to_string(c).unwrap(),
                serde_json::to_string(&as_value).unwrap()
            );
        }
    }

    #[test]
    fn every_variant_round_trips_through_json() {
        let (commands, events) = examples();
        // One example per variant: a new variant must be added to `examples` (and the docs).
        assert_eq!(commands.len(), 10);
        assert_eq!(events.len(), 10);
        let mut seen = crate::collections::OrdSet::new();
        for c in &commands {
            let text = serde_json::to_string(c).unwrap();
            assert_eq!(&serde_json::from_str::<RuntimeCommand>(&text).unwrap(), c);
            assert!(seen.insert(tag(&serde_json::to_value(c).unwrap())));
        }
        for e in &events {
            let text = serde_json::to_string(e).unwrap();
            assert_eq!(&serde_json::from_str::<RuntimeEvent>(&text).unwrap(), e);
            assert!(seen.insert(tag(&serde_json::to_value(e).unwrap())));
        }
    }

    #[test]
    fn wire_form_is_tagged_camel_case() {
        let (commands, _) = examples();
        assert_eq!(
            serde_json::to_string(&commands[6]).unwrap(),
            r#"{"type":"stopContainer","target":{"node":"pool-0","podUid":"5c6d6f64-000000000007","container":"app","attempt":0},"timeoutSeconds":30}"#
        );
    }

    /// docs/plan.md holds one ```json block per variant, equal to `examples()`.
    #[test]
    fn docs_show_every_variant_as_it_serializes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/plan.md");
        let text = std::fs::read_to_string(path).expect("docs/plan.md");
        assert!(
            text.contains(&format!("PLAN_VERSION = {PLAN_VERSION}")),
            "docs/plan.md names the current PLAN_VERSION"
        );
        let blocks: Vec<serde_json::Value> = text
            .split("```json\n")
            .skip(1)
            .map(|b| {
                let body = b.split("```").next().unwrap();
                serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
            })
            .collect();
        let (commands, events) = examples();
        let want: Vec<serde_json::Value> = commands
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .chain(events.iter().map(|e| serde_json::to_value(e).unwrap()))
            .collect();
        assert_eq!(
            blocks, want,
            "docs/plan.md examples differ from plan::examples()"
        );
    }
}
