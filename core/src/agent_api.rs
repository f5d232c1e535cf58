//! Control plane ↔ node agent messages (issue 9, `cellsim run --real`): what a node agent and
//! the control plane tell each other. On one host they run in one process tree; a multi-host
//! deployment changes only the transport (design: "Keep every control-plane ↔ node-agent
//! message serializable and versioned"). Both directions are serde types tagged by `type` with
//! camelCase fields, carried in an `Envelope` with the schema version and a per-sender
//! sequence number; `decode` refuses another version with a message naming both.
//!
//! The session, as the kubelet registers with the API server and then renews its lease:
//! agent `register` → control plane `welcome` (or `refused`) → the control plane sends
//! `runPod` / `deletePod` for pods bound to the node and `syncService` / `removeService` for
//! the node's service proxy; the agent sends `podStatus` whenever a pod's API status changes,
//! `heartbeat` every 10 s (the kubelet's `nodeLeaseDurationSeconds` 40 / 4 renew interval),
//! `usage` for the resource metrics pipeline, `podDeleted` when a deleted pod has stopped and
//! `podEvent` for the kubelet's events.

use crate::api::discovery::EndpointSlice;
use crate::api::pod::{Pod, PodStatus};
use crate::api::service::Service;
use crate::collections::OrdMap;
use serde::{Deserialize, Serialize};

/// Version of the agent API; bump on any incompatible change.
pub const AGENT_API_VERSION: u32 = 1;

/// The kubelet's lease renewal interval: `nodeLeaseDurationSeconds` (40) × 0.25
/// (pkg/kubelet/nodelease `renewIntervalFraction`).
pub const HEARTBEAT_MS: u64 = 10_000;

/// Agent → control plane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum AgentMessage {
    /// The first message of a session: the node and what it offers.
    #[serde(rename_all = "camelCase")]
    Register {
        node: String,
        /// The node's address (its InternalIP: the switch address of its namespace).
        node_ip: String,
        /// The node's pod CIDR (`spec.podCIDR`).
        pod_cidr: String,
        /// Resource name -> quantity (`status.allocatable`).
        allocatable: OrdMap<String, String>,
    },
    /// Lease renewal; `atMs` is the agent's clock (ms since it started).
    #[serde(rename_all = "camelCase")]
    Heartbeat { node: String, at_ms: u64 },
    /// A pod's API status as the agent's pod worker computed it (the kubelet's status
    /// manager writing `pods/status`).
    #[serde(rename_all = "camelCase")]
    PodStatus {
        node: String,
        pod_uid: String,
        status: Box<PodStatus>,
    },
    /// Measured usage per pod (cAdvisor / the resource metrics endpoint).
    #[serde(rename_all = "camelCase")]
    Usage { node: String, pods: Vec<PodUsage> },
    /// A deleted pod's containers have all stopped: the API object can go (the kubelet's
    /// status manager deleting with grace period 0 once `canBeDeleted`).
    #[serde(rename_all = "camelCase")]
    PodDeleted { node: String, pod_uid: String },
    /// A kubelet event on a pod (the kubelet's event recorder: Pulled, Started, Killing,
    /// Unhealthy, BackOff, ...); `pod` is `namespace/name`, `atMs` the agent's clock.
    #[serde(rename_all = "camelCase")]
    PodEvent {
        node: String,
        pod: String,
        reason: String,
        message: String,
        at_ms: u64,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodUsage {
    pub pod_uid: String,
    /// Cumulative CPU time.
    pub cpu_nanos: u64,
    /// Memory working set (usage − inactive file, as cAdvisor computes it).
    pub working_set_bytes: u64,
}

/// Control plane → agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ControlMessage {
    /// The registration is accepted.
    #[serde(rename_all = "camelCase")]
    Welcome { node: String },
    /// The registration is refused (an unknown node, a node already registered).
    #[serde(rename_all = "camelCase")]
    Refused { reason: String },
    /// Run a pod bound to this node. `manifest` is the pod object as it was applied, for the
    /// fields the model does not keep (security contexts, ...), which the agent reads with
    /// its own manifest loader; `image` maps a manifest image to a local image and optional
    /// command (the scenario's `spec.real.images`).
    #[serde(rename_all = "camelCase")]
    RunPod {
        pod: Box<Pod>,
        manifest: Option<serde_json::Value>,
        images: OrdMap<String, RealImage>,
    },
    /// Delete a pod gracefully (the API server's graceful deletion as the kubelet sees it).
    #[serde(rename_all = "camelCase")]
    DeletePod {
        pod_uid: String,
        grace_period_seconds: u64,
    },
    /// A Service and its EndpointSlices as they are now (the node's proxy is
    /// level-triggered: every change sends the whole current state of the Service).
    #[serde(rename_all = "camelCase")]
    SyncService {
        service: Box<Service>,
        slices: Vec<EndpointSlice>,
    },
    #[serde(rename_all = "camelCase")]
    RemoveService { namespace: String, name: String },
}

/// A manifest image's stand-in on a real node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealImage {
    pub image: String,
    /// Replaces the container's command when set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
}

/// One message on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    pub version: u32,
    /// Per sender, from 0, no gaps: a receiver detects a lost or repeated message.
    pub seq: u64,
    pub body: T,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error(
        "agent API version {got} from the peer, this side speaks {want}; upgrade the older side"
    )]
    Version { got: u32, want: u32 },
    #[error("message {got} out of order: expected {want}")]
    Sequence { got: u64, want: u64 },
    #[error("malformed message: {0}")]
    Malformed(String),
}

/// One JSON line (no newline inside; the transport appends one).
pub fn encode<T: Serialize>(seq: u64, body: &T) -> String {
    serde_json::to_string(&Envelope {
        version: AGENT_API_VERSION,
        seq,
        body,
    })
    .expect("agent API types serialize")
}

/// Parse one line; refuses another version before looking at the body.
pub fn decode<T: serde::de::DeserializeOwned>(line: &str) -> Result<Envelope<T>, WireError> {
    #[derive(Deserialize)]
    struct Head {
        version: u32,
    }
    let head: Head = serde_json::from_str(line).map_err(|e| WireError::Malformed(e.to_string()))?;
    if head.version != AGENT_API_VERSION {
        return Err(WireError::Version {
            got: head.version,
            want: AGENT_API_VERSION,
        });
    }
    serde_json::from_str(line).map_err(|e| WireError::Malformed(e.to_string()))
}

/// The receiving side of one sender's stream: decodes and checks the sequence.
#[derive(Clone, Debug, Default)]
pub struct Receiver {
    next: u64,
}

impl Receiver {
    pub fn accept<T: serde::de::DeserializeOwned>(&mut self, line: &str) -> Result<T, WireError> {
        let env: Envelope<T> = decode(line)?;
        if env.seq != self.next {
            return Err(WireError::Sequence {
                got: env.seq,
                want: self.next,
            });
        }
        self.next += 1;
        Ok(env.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent_examples() -> Vec<AgentMessage> {
        vec![
            AgentMessage::Register {
                node: "pool-a-0".into(),
                node_ip: "10.250.0.2".into(),
                pod_cidr: "10.244.0.0/24".into(),
                allocatable: [("cpu".to_string(), "4".to_string())].into(),
            },
            AgentMessage::Heartbeat {
                node: "pool-a-0".into(),
                at_ms: 10_000,
            },
            AgentMessage::PodStatus {
                node: "pool-a-0".into(),
                pod_uid: "u1".into(),
                status: Box::new(PodStatus {
                    pod_ip: "10.244.0.2".into(),
                    ..PodStatus::default()
                }),
            },
            AgentMessage::Usage {
                node: "pool-a-0".into(),
                pods: vec![PodUsage {
                    pod_uid: "u1".into(),
                    cpu_nanos: 5,
                    working_set_bytes: 4096,
                }],
            },
            AgentMessage::PodDeleted {
                node: "pool-a-0".into(),
                pod_uid: "u1".into(),
            },
            AgentMessage::PodEvent {
                node: "pool-a-0".into(),
                pod: "default/web-0".into(),
                reason: "Started".into(),
                message: "Started container web".into(),
                at_ms: 1200,
            },
        ]
    }

    fn control_examples() -> Vec<ControlMessage> {
        let mut pod = Pod::default();
        pod.metadata.name = "web-0".into();
        let mut svc = Service::default();
        svc.metadata.name = "web".into();
        svc.spec.cluster_ip = "10.96.0.10".into();
        vec![
            ControlMessage::Welcome {
                node: "pool-a-0".into(),
            },
            ControlMessage::Refused {
                reason: "unknown node".into(),
            },
            ControlMessage::RunPod {
                pod: Box::new(pod),
                manifest: Some(serde_json::json!({"kind": "Pod"})),
                images: [(
                    "nginx:1.25".to_string(),
                    RealImage {
                        image: "cellsim/busybox:latest".into(),
                        command: vec!["httpd".into(), "-f".into()],
                    },
                )]
                .into(),
            },
            ControlMessage::DeletePod {
                pod_uid: "u1".into(),
                grace_period_seconds: 30,
            },
            ControlMessage::SyncService {
                service: Box::new(svc),
                slices: vec![EndpointSlice::default()],
            },
            ControlMessage::RemoveService {
                namespace: "default".into(),
                name: "web".into(),
            },
        ]
    }

    #[test]
    fn every_message_round_trips_through_one_json_line() {
        let mut rx = Receiver::default();
        for (seq, m) in agent_examples().into_iter().enumerate() {
            let line = encode(seq as u64, &m);
            assert!(!line.contains('\n'));
            assert_eq!(rx.accept::<AgentMessage>(&line), Ok(m));
        }
        let mut rx = Receiver::default();
        for (seq, m) in control_examples().into_iter().enumerate() {
            let line = encode(seq as u64, &m);
            assert_eq!(rx.accept::<ControlMessage>(&line), Ok(m));
        }
    }

    #[test]
    fn the_wire_shape_is_tagged_camel_case() {
        let line = encode(
            3,
            &AgentMessage::Heartbeat {
                node: "n".into(),
                at_ms: 7,
            },
        );
        assert_eq!(
            line,
            r#"{"version":1,"seq":3,"body":{"type":"heartbeat","node":"n","atMs":7}}"#
        );
        let line = encode(
            0,
            &ControlMessage::DeletePod {
                pod_uid: "u".into(),
                grace_period_seconds: 30,
            },
        );
        assert_eq!(
            line,
            r#"{"version":1,"seq":0,"body":{"type":"deletePod","podUid":"u","gracePeriodSeconds":30}}"#
        );
    }

    #[test]
    fn other_versions_gaps_and_garbage_are_refused() {
        let v2 = r#"{"version":2,"seq":0,"body":{"type":"heartbeat","node":"n","atMs":7}}"#;
        let e = decode::<AgentMessage>(v2).unwrap_err();
        assert_eq!(e, WireError::Version { got: 2, want: 1 });
        assert!(e.to_string().contains("version 2"));
        let mut rx = Receiver::default();
        let hb = AgentMessage::Heartbeat {
            node: "n".into(),
            at_ms: 1,
        };
        assert_eq!(
            rx.accept::<AgentMessage>(&encode(1, &hb)),
            Err(WireError::Sequence { got: 1, want: 0 })
        );
        assert!(rx.accept::<AgentMessage>(&encode(0, &hb)).is_ok());
        assert!(matches!(
            rx.accept::<AgentMessage>(r#"{"version":1,"seq":1,"body":{"type":"nope"}}"#),
            Err(WireError::Malformed(_))
        ));
        assert!(matches!(
            decode::<AgentMessage>("not json"),
            Err(WireError::Malformed(_))
        ));
    }
}
