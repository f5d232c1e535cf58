//! One node of a real run: its agent (`crate::agent::Agent` over a `LinuxRuntime` with the
//! node's network) and its service proxy, on a thread of their own, talking to the control
//! plane only through `cellsim_core::agent_api` lines over a pair of std channels — the
//! kubelet's side of the session (register, then pod statuses, heartbeats, deleted pods).

use crate::agent::Agent;
use crate::container::PodExtras;
use crate::proxy::Proxy;
use cellsim_core::agent_api::{self, AgentMessage, ControlMessage, RealImage, HEARTBEAT_MS};
use cellsim_core::api::pod::{Pod, PodStatus};
use cellsim_core::collections::OrdMap;
use cellsim_core::kubelet::images::with_default_tag;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

/// What the control plane keeps of a node's thread.
pub struct NodeHost {
    pub name: String,
    pub to_agent: Sender<String>,
    pub from_agent: Receiver<String>,
    /// Set to stop the node (failNode or the end of the run): the thread stops every pod and
    /// the proxy, then returns.
    pub stop: Arc<AtomicBool>,
    pub thread: Option<std::thread::JoinHandle<Vec<String>>>,
    /// The control plane's sequence numbers towards the agent.
    pub seq: u64,
    pub rx: agent_api::Receiver,
    pub alive: bool,
    /// When the control plane last heard from the agent (its clock).
    pub last_heard: cellsim_core::time::SimTime,
    /// What `register` announced (a restarted agent announces it again).
    pub allocatable: OrdMap<String, String>,
}

impl NodeHost {
    pub fn send(&mut self, msg: &ControlMessage) {
        let line = agent_api::encode(self.seq, msg);
        self.seq += 1;
        // A stopped node's thread has dropped its receiver: nothing listens any more.
        let _ = self.to_agent.send(line);
    }

    /// A node whose agent could not be started: never alive, nothing to stop.
    pub fn dead(name: &str) -> NodeHost {
        let (to_agent, _) = std::sync::mpsc::channel();
        let (_, from_agent) = std::sync::mpsc::channel();
        NodeHost {
            name: name.to_string(),
            to_agent,
            from_agent,
            stop: Arc::new(AtomicBool::new(true)),
            thread: None,
            seq: 0,
            rx: agent_api::Receiver::default(),
            alive: false,
            last_heard: cellsim_core::time::SimTime::ZERO,
            allocatable: OrdMap::new(),
        }
    }

    /// Stop the node and wait for its thread; its errors.
    pub fn stop_and_join(&mut self) -> Vec<String> {
        self.alive = false;
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| vec![format!("node {}: agent thread panicked", self.name)])
            })
            .unwrap_or_default()
    }
}

/// Start the node's thread. `allocatable` is what `register` announces.
pub fn spawn(
    name: &str,
    node_ip: String,
    pod_cidr: String,
    allocatable: OrdMap<String, String>,
    agent: Agent,
    proxy: Proxy,
) -> NodeHost {
    let (to_agent, agent_rx) = std::sync::mpsc::channel::<String>();
    let (agent_tx, from_agent) = std::sync::mpsc::channel::<String>();
    let stop = Arc::new(AtomicBool::new(false));
    let mut node = NodeThread {
        name: name.to_string(),
        agent,
        proxy: Some(proxy),
        rx: agent_rx,
        tx: agent_tx,
        seq: 0,
        recv: agent_api::Receiver::default(),
        sent: BTreeMap::new(),
        keys: BTreeMap::new(),
        deleting: BTreeSet::new(),
        deleted: BTreeSet::new(),
        errors: Vec::new(),
        events_sent: 0,
    };
    let s = stop.clone();
    let announced = allocatable.clone();
    let thread = std::thread::Builder::new()
        .name(format!("agent-{name}"))
        .spawn(move || {
            node.send(&AgentMessage::Register {
                node: node.name.clone(),
                node_ip,
                pod_cidr,
                allocatable,
            });
            node.run(&s);
            node.errors
        })
        .expect("spawn an agent thread");
    NodeHost {
        name: name.to_string(),
        to_agent,
        from_agent,
        stop,
        thread: Some(thread),
        seq: 0,
        rx: agent_api::Receiver::default(),
        alive: true,
        last_heard: cellsim_core::time::SimTime::ZERO,
        allocatable: announced,
    }
}

struct NodeThread {
    name: String,
    agent: Agent,
    proxy: Option<Proxy>,
    rx: Receiver<String>,
    tx: Sender<String>,
    seq: u64,
    recv: agent_api::Receiver,
    /// The last status sent per pod uid.
    sent: BTreeMap<String, PodStatus>,
    keys: BTreeMap<String, String>,
    deleting: BTreeSet<String>,
    deleted: BTreeSet<String>,
    errors: Vec<String>,
    /// How many of the agent's events were sent.
    events_sent: usize,
}

impl NodeThread {
    fn send(&mut self, msg: &AgentMessage) {
        let line = agent_api::encode(self.seq, msg);
        self.seq += 1;
        let _ = self.tx.send(line);
    }

    fn run(&mut self, stop: &AtomicBool) {
        let mut beats = 0u64;
        let mut usage_sent = 0u64;
        while !stop.load(Ordering::SeqCst) {
            while let Ok(line) = self.rx.try_recv() {
                match self.recv.accept::<ControlMessage>(&line) {
                    Ok(m) => self.apply(m),
                    Err(e) => self.errors.push(format!("node {}: {e}", self.name)),
                }
            }
            self.agent.poll(Duration::from_millis(10));
            self.report();
            // Every usage sample goes to the control plane as it is taken (the kubelet's
            // resource metrics, refreshed by cAdvisor's housekeeping every 10 s).
            if self.agent.usage_samples > usage_sent {
                usage_sent = self.agent.usage_samples;
                let m = self.agent.usage_message(&self.name);
                self.send(&m);
            }
            let at_ms = self.agent.now().0;
            if at_ms / HEARTBEAT_MS > beats {
                beats = at_ms / HEARTBEAT_MS;
                self.send(&AgentMessage::Heartbeat {
                    node: self.name.clone(),
                    at_ms,
                });
            }
        }
        // The machine stops: every container and sandbox, then the proxy.
        self.agent.rt.shutdown_all();
        self.agent.rt.remove_parent_if_empty();
        if let Some(p) = self.proxy.take() {
            if let Err(e) = p.shutdown() {
                self.errors.push(format!("node {}: proxy: {e}", self.name));
            }
        }
        for e in self.agent.rt.take_errors() {
            self.errors.push(format!("node {}: {e}", self.name));
        }
    }

    fn apply(&mut self, m: ControlMessage) {
        match m {
            ControlMessage::Welcome { .. } => {}
            ControlMessage::Refused { reason } => {
                self.errors.push(format!(
                    "node {}: registration refused: {reason}",
                    self.name
                ));
            }
            ControlMessage::RunPod {
                pod,
                manifest,
                images,
            } => {
                let pod = stand_in(*pod, &images);
                let extras = manifest
                    .as_ref()
                    .map(PodExtras::from_manifest)
                    .unwrap_or_default();
                let uid = pod.metadata.uid.clone();
                self.keys.insert(uid, pod.key());
                self.agent.add_pod(pod, extras);
            }
            ControlMessage::DeletePod { pod_uid, .. } => {
                self.deleting.insert(pod_uid.clone());
                self.agent.delete_pod(&pod_uid);
            }
            m @ (ControlMessage::SyncService { .. } | ControlMessage::RemoveService { .. }) => {
                if let Some(p) = &mut self.proxy {
                    if let Err(e) = p.apply(&m) {
                        self.errors.push(format!("node {}: proxy: {e}", self.name));
                    }
                }
            }
        }
    }

    /// New kubelet events, statuses that changed, deleted pods whose containers all stopped.
    fn report(&mut self) {
        let new: Vec<_> = self.agent.events[self.events_sent..]
            .iter()
            .filter(|e| !e.pod.is_empty())
            .cloned()
            .collect();
        self.events_sent = self.agent.events.len();
        for e in new {
            self.send(&AgentMessage::PodEvent {
                node: self.name.clone(),
                pod: e.pod,
                reason: e.reason,
                message: e.message,
                at_ms: e.at.0,
            });
        }
        for uid in self.agent.uids() {
            if self.deleted.contains(&uid) {
                continue;
            }
            let Some(status) = self.agent.pod_status(&uid).cloned() else {
                continue;
            };
            if self.sent.get(&uid) != Some(&status) {
                self.sent.insert(uid.clone(), status.clone());
                self.send(&AgentMessage::PodStatus {
                    node: self.name.clone(),
                    pod_uid: uid.clone(),
                    status: Box::new(status),
                });
            }
            let terminal = self.agent.worker(&uid).is_some_and(|w| w.terminal);
            if terminal && self.deleting.contains(&uid) {
                self.deleted.insert(uid.clone());
                self.send(&AgentMessage::PodDeleted {
                    node: self.name.clone(),
                    pod_uid: uid,
                });
            }
        }
        self.agent.remove_finished();
    }
}

/// The pod as it runs on a real node: every container's image replaced by its stand-in from
/// `spec.real.images` (looked up as written, then with the default tag), and its command when
/// the stand-in has one (the args go with it).
pub fn stand_in(mut pod: Pod, images: &OrdMap<String, RealImage>) -> Pod {
    let by_tag: BTreeMap<String, &RealImage> = images
        .iter()
        .map(|(k, v)| (with_default_tag(k), v))
        .collect();
    for c in pod
        .spec
        .init_containers
        .iter_mut()
        .chain(pod.spec.containers.iter_mut())
    {
        let found = images
            .get(&c.image)
            .or_else(|| by_tag.get(&with_default_tag(&c.image)).copied());
        if let Some(r) = found {
            c.image = r.image.clone();
            if !r.command.is_empty() {
                c.command = r.command.clone();
                c.args.clear();
            }
        }
    }
    pod
}
