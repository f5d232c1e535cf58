//! A pod worker: one pod's lifecycle on its node, as a state machine from desired state and
//! runtime events to runtime commands, events and status (upstream pkg/kubelet/pod_workers.go,
//! `SyncPod` in kubelet.go and kuberuntime's `computePodActions` / `SyncPod` / `killPod`).
//!
//! `sync` is level-triggered like upstream's `SyncPod`: from what it knows of the sandbox and
//! each container it decides the next step — create the sandbox, kill a container whose
//! liveness or startup probe failed, start the next init container, start or restart app
//! containers (CrashLoopBackOff permitting), or, when the pod is deleted or finished, kill
//! what runs and stop the sandbox. Containers start one at a time, each through pull (as the
//! pull policy says), create and start, as upstream's `startContainer` loop does. Every
//! runtime event and timer lands in a handler that records it and syncs again.

use super::backoff::Backoff;
use super::images;
use super::plan::{ContainerRef, HookType, ProbeType, RuntimeCommand, RuntimeEvent};
use super::prober::{ProbeWorker, Seen};
use super::termination::{self, Kill, KillReason, PreStop, Stage};
use crate::api::pod::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStatus,
    Pod, PodStatus,
};
use crate::collections::OrdSet;
use crate::time::{Duration, SimTime};

/// What a container is in its pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Init,
    /// An init container with `restartPolicy: Always`.
    Sidecar,
    App,
}

/// How a container instance ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    pub code: i32,
    /// `Completed`, `Error` or `OOMKilled` (what containerd reports).
    pub reason: &'static str,
    pub started_at: Option<SimTime>,
    pub finished_at: SimTime,
}

impl Exit {
    /// The terminated reason containerd reports for an exit: `OOMKilled` when the kernel's
    /// OOM killer ended it, else `Completed` for code 0 and `Error` otherwise.
    pub fn reason_for(code: i32, oom: bool) -> &'static str {
        if oom {
            "OOMKilled"
        } else if code == 0 {
            "Completed"
        } else {
            "Error"
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstanceState {
    /// Waiting for its image.
    Pulling,
    /// `CreateContainer` sent.
    Creating,
    /// `StartContainer` sent.
    Starting,
    Running {
        since: SimTime,
    },
    Exited(Exit),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub attempt: u32,
    pub state: InstanceState,
}

/// One container of the pod with its newest instance.
#[derive(Clone, Debug)]
pub struct Ctr {
    pub spec: Container,
    pub kind: Kind,
    pub current: Option<Instance>,
    /// How the instance before `current` ended (the status's `lastState`).
    pub previous_exit: Option<Exit>,
    /// Dead attempts still in the runtime, oldest first (for garbage collection).
    pub dead: Vec<u32>,
    pub backoff: Backoff,
    /// A restart waits for its backoff until then.
    pub restart_at: Option<SimTime>,
    /// A waiting reason and message that keeps the container from starting
    /// (`ErrImageNeverPull`).
    pub blocked: Option<(String, String)>,
    pub probes: Vec<ProbeWorker>,
    pub kill: Option<Kill>,
}

impl Ctr {
    pub fn running(&self) -> Option<(u32, SimTime)> {
        match &self.current {
            Some(Instance {
                attempt,
                state: InstanceState::Running { since },
            }) => Some((*attempt, *since)),
            _ => None,
        }
    }

    pub fn exit(&self) -> Option<&Exit> {
        match &self.current {
            Some(Instance {
                state: InstanceState::Exited(e),
                ..
            }) => Some(e),
            _ => None,
        }
    }

    fn in_progress(&self) -> bool {
        matches!(
            &self.current,
            Some(Instance {
                state: InstanceState::Pulling | InstanceState::Creating | InstanceState::Starting,
                ..
            })
        )
    }

    pub fn probe(&self, t: ProbeType) -> Option<&ProbeWorker> {
        self.probes.iter().find(|w| w.probe_type == t)
    }

    /// Upstream `isContainerStarted`.
    pub fn started(&self) -> bool {
        self.running().is_some_and(|(attempt, _)| {
            super::prober::started(self.probe(ProbeType::Startup), attempt, true)
        })
    }

    /// Ready: running, started and its readiness probe passed (or it has none); a regular init
    /// container is ready once it exited 0 (`UpdatePodStatus`).
    pub fn ready(&self) -> bool {
        if self.kind == Kind::Init {
            return self.exit().is_some_and(|e| e.code == 0);
        }
        let Some((attempt, _)) = self.running() else {
            return false;
        };
        self.started()
            && self
                .probe(ProbeType::Readiness)
                .is_none_or(|w| w.result_for(attempt) == Some(true))
    }
}

/// The pod's sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sandbox {
    None,
    Creating,
    Ready,
    Stopping,
    Stopped,
}

/// What a worker step asks of the world: runtime commands, events (reason, message) on the
/// pod, and instants to be woken at.
#[derive(Debug, Default)]
pub struct Out {
    pub cmds: Vec<RuntimeCommand>,
    pub events: Vec<(&'static str, String)>,
    pub wakes: Vec<SimTime>,
}

impl Out {
    fn event(&mut self, reason: &'static str, message: String) {
        self.events.push((reason, message));
    }
}

/// One pod on its node.
pub struct PodWorker {
    pub uid: String,
    /// `namespace/name`.
    pub key: String,
    pub node: String,
    /// The pod as admitted (spec and metadata).
    pub pod: Pod,
    /// When the kubelet first synced the pod (probe ticks are anchored here).
    pub origin: SimTime,
    pub sandbox: Sandbox,
    pub ip: String,
    /// Init containers first, then app containers, in spec order.
    pub ctrs: Vec<Ctr>,
    /// The container whose start is in flight.
    pub starting: Option<usize>,
    /// An app container has started (upstream `podHasInitialized`).
    pub initialized: bool,
    /// The pod is being stopped (deleted, or finished).
    pub terminating: bool,
    pub deleting: bool,
    /// The pod object is gone from the store (nothing to write back).
    pub object_gone: bool,
    /// Stopped for good: every container exited and the sandbox is stopped.
    pub terminal: bool,
    /// Wake-ups already requested.
    pub scheduled: OrdSet<SimTime>,
}

/// Upstream `format.Pod`: `name_namespace(uid)`.
pub fn format_pod(pod: &Pod) -> String {
    format!(
        "{}_{}({})",
        pod.metadata.name,
        pod.namespace(),
        pod.metadata.uid
    )
}

impl PodWorker {
    pub fn new(pod: &Pod, now: SimTime) -> PodWorker {
        let mk = |c: &Container, kind: Kind| {
            let mut probes = Vec::new();
            if kind != Kind::Init {
                for (t, p) in [
                    (ProbeType::Startup, &c.startup_probe),
                    (ProbeType::Readiness, &c.readiness_probe),
                    (ProbeType::Liveness, &c.liveness_probe),
                ] {
                    if let Some(p) = p {
                        probes.push(ProbeWorker::new(t, p.clone(), now));
                    }
                }
            }
            Ctr {
                spec: c.clone(),
                kind,
                current: None,
                previous_exit: None,
                dead: Vec::new(),
                backoff: Backoff::default(),
                restart_at: None,
                blocked: None,
                probes,
                kill: None,
            }
        };
        let mut ctrs: Vec<Ctr> = pod
            .spec
            .init_containers
            .iter()
            .map(|c| {
                let kind = if c.is_restartable_init() {
                    Kind::Sidecar
                } else {
                    Kind::Init
                };
                mk(c, kind)
            })
            .collect();
        ctrs.extend(pod.spec.containers.iter().map(|c| mk(c, Kind::App)));
        PodWorker {
            uid: pod.metadata.uid.clone(),
            key: pod.key(),
            node: pod.spec.node_name.clone(),
            pod: pod.clone(),
            origin: now,
            sandbox: Sandbox::None,
            ip: String::new(),
            ctrs,
            starting: None,
            initialized: false,
            terminating: false,
            deleting: false,
            object_gone: false,
            terminal: false,
            scheduled: OrdSet::new(),
        }
    }

    fn policy(&self) -> &str {
        if self.pod.spec.restart_policy.is_empty() {
            "Always"
        } else {
            &self.pod.spec.restart_policy
        }
    }

    pub fn target(&self, i: usize, attempt: u32) -> ContainerRef {
        ContainerRef {
            node: self.node.clone(),
            pod_uid: self.uid.clone(),
            container: self.ctrs[i].spec.name.clone(),
            attempt,
        }
    }

    /// The container an event is about, if it is the current instance.
    pub fn index_of(&self, t: &ContainerRef) -> Option<usize> {
        self.ctrs.iter().position(|c| {
            c.spec.name == t.container && c.current.as_ref().is_some_and(|i| i.attempt == t.attempt)
        })
    }

    fn seen(&self, i: usize) -> Option<Seen> {
        let c = &self.ctrs[i];
        let attempt = c.current.as_ref()?.attempt;
        Some(Seen {
            attempt,
            running_since: c.running().map(|(_, s)| s),
            started: c.started(),
            deleting: self.deleting,
        })
    }

    // ----------------------------------------------------------------------------------
    // Sync
    // ----------------------------------------------------------------------------------

    /// Decide and issue the next steps. `images`: what the node has.
    pub fn sync(&mut self, now: SimTime, images: &OrdSet<String>, out: &mut Out) {
        if self.terminal || matches!(self.sandbox, Sandbox::Stopping | Sandbox::Stopped) {
            return;
        }
        if self.terminating {
            self.sync_termination(now, out);
            return;
        }
        match self.sandbox {
            Sandbox::None => {
                self.sandbox = Sandbox::Creating;
                out.cmds.push(RuntimeCommand::RunPodSandbox {
                    node: self.node.clone(),
                    pod_uid: self.uid.clone(),
                    namespace: self.pod.namespace().to_string(),
                    name: self.pod.metadata.name.clone(),
                    labels: self.pod.metadata.labels.clone(),
                });
                return;
            }
            Sandbox::Creating => return,
            _ => {}
        }
        // Containers whose liveness or startup probe failed are killed (and restarted by
        // policy once they exited).
        for i in 0..self.ctrs.len() {
            let c = &self.ctrs[i];
            let Some((attempt, _)) = c.running() else {
                continue;
            };
            if c.kill.is_some() {
                continue;
            }
            let failed = |t| {
                c.probe(t)
                    .is_some_and(|w| w.result_for(attempt) == Some(false))
            };
            let reason = if failed(ProbeType::Liveness) {
                KillReason::LivenessProbe
            } else if failed(ProbeType::Startup) {
                KillReason::StartupProbe
            } else {
                continue;
            };
            // Upstream `shouldRestartOnFailure`: anything but Never.
            let restart = self.policy() != "Never" || c.kind == Kind::Sidecar;
            self.begin_kill(i, now, reason, restart, out);
        }
        if self.starting.is_some() {
            return;
        }
        let n_init = self.pod.spec.init_containers.len();
        if !self.initialized {
            for i in 0..n_init {
                let c = &self.ctrs[i];
                if c.blocked.is_some() || c.in_progress() || c.kill.is_some() {
                    return;
                }
                match (c.kind, &c.current) {
                    (_, None) => return self.start(i, now, images, out),
                    (Kind::Sidecar, Some(_)) if c.running().is_some() => {
                        if !c.started() {
                            return;
                        }
                    }
                    (Kind::Sidecar, Some(_)) => {
                        self.restart(i, now, images, out);
                        return;
                    }
                    (_, Some(_)) if c.running().is_some() => return,
                    (_, Some(_)) => {
                        let code = c.exit().map_or(0, |e| e.code);
                        if code == 0 {
                            continue;
                        }
                        if self.policy() == "Never" {
                            // Initialization failed for good: the pod is Failed.
                            self.terminating = true;
                            self.sync_termination(now, out);
                        } else {
                            self.restart(i, now, images, out);
                        }
                        return;
                    }
                }
            }
        } else {
            // After initialization only sidecars are kept running.
            for i in 0..n_init {
                let c = &self.ctrs[i];
                if c.kind == Kind::Sidecar
                    && c.exit().is_some()
                    && c.kill.is_none()
                    && self.restart(i, now, images, out)
                {
                    return;
                }
            }
        }
        for i in n_init..self.ctrs.len() {
            let c = &self.ctrs[i];
            if c.blocked.is_some() || c.kill.is_some() {
                continue;
            }
            match &c.current {
                None => return self.start(i, now, images, out),
                Some(inst) => {
                    if let InstanceState::Exited(e) = &inst.state {
                        if self.should_restart(e.code) && self.restart(i, now, images, out) {
                            return;
                        }
                    }
                }
            }
        }
        // Every app container exited and none will restart: the pod is done.
        let done = self.ctrs[n_init..].iter().all(|c| {
            c.kill.is_none()
                && c.restart_at.is_none()
                && c.exit().is_some_and(|e| !self.should_restart(e.code))
        });
        if done && self.ctrs.len() > n_init {
            self.terminating = true;
            self.sync_termination(now, out);
        }
    }

    /// Upstream `ShouldContainerBeRestarted` for a dead app container.
    fn should_restart(&self, code: i32) -> bool {
        match self.policy() {
            "Never" => false,
            "OnFailure" => code != 0,
            _ => true,
        }
    }

    /// Restart an exited container unless its backoff says wait (upstream `doBackOff`).
    /// Returns whether a start began.
    fn restart(&mut self, i: usize, now: SimTime, images: &OrdSet<String>, out: &mut Out) -> bool {
        let format_pod = format_pod(&self.pod);
        let c = &mut self.ctrs[i];
        let Some(exit) = c.exit().map(|e| e.finished_at) else {
            return false;
        };
        if let Some(until) = c.backoff.in_backoff_since(exit, now) {
            if c.restart_at != Some(until) {
                c.restart_at = Some(until);
                out.event(
                    "BackOff",
                    format!(
                        "Back-off restarting failed container {} in pod {format_pod}",
                        c.spec.name
                    ),
                );
                out.wakes.push(until);
            }
            return false;
        }
        c.restart_at = None;
        c.backoff.next(exit, now);
        self.start(i, now, images, out);
        true
    }

    /// Begin bringing up a new instance of container `i` (upstream `startContainer`'s
    /// `EnsureImageExists`, then create and start as the runtime answers).
    fn start(&mut self, i: usize, now: SimTime, images: &OrdSet<String>, out: &mut Out) {
        let _ = now;
        let c = &mut self.ctrs[i];
        let image = c.spec.image.clone();
        let policy = images::pull_policy(&image, &c.spec.image_pull_policy);
        let present = images.contains(&images::with_default_tag(&image));
        if policy == "Never" && !present {
            let msg = images::never_pull_message(&image);
            out.event("ErrImageNeverPull", msg.clone());
            out.event("Failed", "Error: ErrImageNeverPull".into());
            c.blocked = Some(("ErrImageNeverPull".into(), msg));
            return;
        }
        let attempt = c.current.as_ref().map_or(0, |i| i.attempt + 1);
        if let Some(Instance {
            state: InstanceState::Exited(e),
            ..
        }) = c.current.take()
        {
            c.previous_exit = Some(e);
        }
        let pull = images::should_pull(policy, present);
        c.current = Some(Instance {
            attempt,
            state: if pull {
                InstanceState::Pulling
            } else {
                InstanceState::Creating
            },
        });
        self.starting = Some(i);
        if pull {
            out.event("Pulling", images::pulling_message(&image));
            out.cmds.push(RuntimeCommand::PullImage {
                node: self.node.clone(),
                pod_uid: self.uid.clone(),
                image,
            });
        } else {
            out.event("Pulled", images::already_present_message(&image));
            out.cmds.push(self.create_command(i, attempt));
        }
    }

    fn create_command(&self, i: usize, attempt: u32) -> RuntimeCommand {
        let c = &self.ctrs[i];
        RuntimeCommand::CreateContainer {
            target: self.target(i, attempt),
            image: c.spec.image.clone(),
            init: c.kind != Kind::App,
            spec: Box::new(c.spec.clone()),
        }
    }

    // ----------------------------------------------------------------------------------
    // Termination
    // ----------------------------------------------------------------------------------

    /// The pod is deleted (or its object vanished): stop it.
    pub fn request_termination(&mut self, now: SimTime, object_gone: bool, out: &mut Out) {
        self.deleting = true;
        self.object_gone |= object_gone;
        if self.terminal {
            return;
        }
        self.terminating = true;
        for c in &mut self.ctrs {
            c.restart_at = None;
        }
        self.sync_termination(now, out);
    }

    /// Upstream `killPod`: kill every running container (sidecars after the containers they
    /// serve), then stop the sandbox.
    fn sync_termination(&mut self, now: SimTime, out: &mut Out) {
        for c in &mut self.ctrs {
            c.restart_at = None;
        }
        for i in 0..self.ctrs.len() {
            if self.ctrs[i].running().is_some() && self.ctrs[i].kill.is_none() {
                self.begin_kill(i, now, KillReason::PodTermination, false, out);
            }
        }
        for i in 0..self.ctrs.len() {
            self.advance_kill(i, now, out);
        }
        if self.starting.is_some() {
            return;
        }
        let busy = self
            .ctrs
            .iter()
            .any(|c| c.running().is_some() || c.kill.is_some() || c.in_progress());
        if busy {
            return;
        }
        match self.sandbox {
            Sandbox::Ready => {
                self.sandbox = Sandbox::Stopping;
                out.cmds.push(RuntimeCommand::StopPodSandbox {
                    node: self.node.clone(),
                    pod_uid: self.uid.clone(),
                });
            }
            Sandbox::None => self.terminal = true,
            // Wait for the sandbox to come up, then stop it.
            Sandbox::Creating | Sandbox::Stopping | Sandbox::Stopped => {}
        }
    }

    fn begin_kill(
        &mut self,
        i: usize,
        now: SimTime,
        reason: KillReason,
        restart: bool,
        out: &mut Out,
    ) {
        // Only sidecars wait for others (upstream `newTerminationOrdering`); the others'
        // `waitForTurn` returns at once.
        let ordered = reason == KillReason::PodTermination && self.ctrs[i].kind == Kind::Sidecar;
        let c = &self.ctrs[i];
        let Some((attempt, _)) = c.running() else {
            return;
        };
        let grace = termination::grace_seconds(&self.pod.spec, self.deleting, &c.spec, reason);
        out.event(
            "Killing",
            termination::killing_message(&c.spec.name, reason, restart),
        );
        let hook = termination::pre_stop(&c.spec);
        let kill = Kill::begin(now, attempt, reason, grace, hook.as_ref(), ordered);
        if let (Stage::PreStop { .. }, Some(PreStop::Runtime(h))) = (&kill.stage, &hook) {
            out.cmds.push(RuntimeCommand::RunLifecycleHook {
                target: self.target(i, attempt),
                hook: HookType::PreStop,
                handler: Box::new(h.clone()),
                timeout_ms: grace as u64 * 1000,
            });
        }
        if let Some(t) = kill.timer() {
            out.wakes.push(t);
        }
        self.ctrs[i].kill = Some(kill);
        self.advance_kill(i, now, out);
    }

    /// Send `StopContainer` when it is container `i`'s turn.
    fn advance_kill(&mut self, i: usize, now: SimTime, out: &mut Out) {
        let others_done = self.turn_ready(i);
        let c = &mut self.ctrs[i];
        let Some(kill) = &mut c.kill else {
            return;
        };
        let attempt = kill.attempt;
        match kill.turn(now, others_done) {
            Some(timeout) => {
                let target = self.target(i, attempt);
                out.cmds.push(RuntimeCommand::StopContainer {
                    target,
                    timeout_seconds: timeout,
                });
            }
            None => out.wakes.extend(kill.timer()),
        }
    }

    /// Upstream `terminationOrdering`: a sidecar stops after every app container and every
    /// sidecar declared after it.
    fn turn_ready(&self, i: usize) -> bool {
        let n_init = self.pod.spec.init_containers.len();
        if i >= n_init {
            return true;
        }
        let apps_done = self.ctrs[n_init..].iter().all(|c| c.running().is_none());
        let later_done = self.ctrs[i + 1..n_init]
            .iter()
            .filter(|c| c.kind == Kind::Sidecar)
            .all(|c| c.running().is_none());
        apps_done && later_done
    }

    // ----------------------------------------------------------------------------------
    // Runtime events and timers
    // ----------------------------------------------------------------------------------

    pub fn on_sandbox_ready(&mut self, ip: String) {
        if self.sandbox == Sandbox::Creating {
            self.sandbox = Sandbox::Ready;
            self.ip = ip;
        }
    }

    pub fn on_sandbox_stopped(&mut self) {
        if self.sandbox == Sandbox::Stopping {
            self.sandbox = Sandbox::Stopped;
            self.terminal = true;
        }
    }

    pub fn on_image_pulled(&mut self, image: &str, message: String, out: &mut Out) {
        out.event("Pulled", message);
        let Some(i) = self.starting else {
            return;
        };
        let c = &mut self.ctrs[i];
        match &mut c.current {
            Some(inst) if inst.state == InstanceState::Pulling && c.spec.image == image => {
                inst.state = InstanceState::Creating;
                let attempt = inst.attempt;
                out.cmds.push(self.create_command(i, attempt));
            }
            _ => {}
        }
    }

    pub fn on_created(&mut self, t: &ContainerRef, out: &mut Out) {
        let Some(i) = self.index_of(t) else {
            return;
        };
        let c = &mut self.ctrs[i];
        if let Some(inst) = &mut c.current {
            if inst.state == InstanceState::Creating {
                inst.state = InstanceState::Starting;
                out.event("Created", format!("Created container: {}", c.spec.name));
                out.cmds
                    .push(RuntimeCommand::StartContainer { target: t.clone() });
            }
        }
    }

    pub fn on_started(&mut self, t: &ContainerRef, now: SimTime, out: &mut Out) {
        let Some(i) = self.index_of(t) else {
            return;
        };
        let c = &mut self.ctrs[i];
        let Some(inst) = &mut c.current else {
            return;
        };
        if inst.state != InstanceState::Starting {
            return;
        }
        inst.state = InstanceState::Running { since: now };
        out.event("Started", format!("Started container {}", c.spec.name));
        if c.kind == Kind::App {
            self.initialized = true;
        }
        if self.starting == Some(i) {
            self.starting = None;
        }
        self.arm_probes(i, now, true, out);
    }

    pub fn on_exited(&mut self, t: &ContainerRef, code: i32, oom: bool, now: SimTime) {
        let Some(i) = self.index_of(t) else {
            return;
        };
        let c = &mut self.ctrs[i];
        let Some(inst) = &mut c.current else {
            return;
        };
        let started_at = match inst.state {
            InstanceState::Running { since } => Some(since),
            _ => None,
        };
        inst.state = InstanceState::Exited(Exit {
            code,
            reason: Exit::reason_for(code, oom),
            started_at,
            finished_at: now,
        });
        c.dead.push(t.attempt);
        c.kill = None;
        for w in &mut c.probes {
            w.due = None;
        }
        if self.starting == Some(i) {
            self.starting = None;
        }
    }

    pub fn on_removed(&mut self, t: &ContainerRef) {
        if let Some(c) = self.ctrs.iter_mut().find(|c| c.spec.name == t.container) {
            c.dead.retain(|a| *a != t.attempt);
        }
    }

    /// A probe's outcome. Every failure is an `Unhealthy` event (upstream `prober.probe`).
    pub fn on_probe(
        &mut self,
        t: &ContainerRef,
        probe_type: ProbeType,
        success: bool,
        output: &str,
        now: SimTime,
        out: &mut Out,
    ) {
        let Some(i) = self.index_of(t) else {
            return;
        };
        let c = &mut self.ctrs[i];
        let running = c.running().is_some();
        let Some(w) = c.probes.iter_mut().find(|w| w.probe_type == probe_type) else {
            return;
        };
        if !running {
            w.in_flight = false;
            return;
        }
        if !success {
            out.event(
                "Unhealthy",
                format!("{} probe failed: {output}", probe_type.as_str()),
            );
        }
        let changed = w.record(t.attempt, success);
        if probe_type == ProbeType::Startup && changed == Some(true) {
            // Started: liveness and readiness may run now.
            self.arm_probes(i, now, true, out);
        }
    }

    /// Dispatch a runtime event about this pod to its handler. The simulated kubelets and the
    /// real node agent both feed their runtime's events through here.
    pub fn on_runtime_event(&mut self, ev: RuntimeEvent, now: SimTime, out: &mut Out) {
        match ev {
            RuntimeEvent::SandboxReady { ip, .. } => self.on_sandbox_ready(ip),
            RuntimeEvent::SandboxStopped { .. } => self.on_sandbox_stopped(),
            RuntimeEvent::SandboxRemoved { .. } => {}
            RuntimeEvent::ImagePulled {
                image,
                pull_ms,
                total_ms,
                size_bytes,
                ..
            } => {
                let msg = images::pulled_message(
                    &image,
                    Duration(pull_ms),
                    Duration(total_ms),
                    size_bytes,
                );
                self.on_image_pulled(&image, msg, out);
            }
            RuntimeEvent::ContainerCreated { target } => self.on_created(&target, out),
            RuntimeEvent::ContainerStarted { target } => self.on_started(&target, now, out),
            RuntimeEvent::ContainerExited {
                target,
                exit_code,
                oom_killed,
            } => self.on_exited(&target, exit_code, oom_killed, now),
            RuntimeEvent::ContainerRemoved { target } => self.on_removed(&target),
            RuntimeEvent::ProbeResult {
                target,
                probe_type,
                success,
                output,
            } => self.on_probe(&target, probe_type, success, &output, now, out),
            RuntimeEvent::HookCompleted {
                target, success, ..
            } => self.on_hook(&target, success, now, out),
        }
    }

    pub fn on_hook(&mut self, t: &ContainerRef, success: bool, now: SimTime, out: &mut Out) {
        let Some(i) = self.index_of(t) else {
            return;
        };
        let Some(kill) = &mut self.ctrs[i].kill else {
            return;
        };
        if !matches!(
            kill.stage,
            Stage::PreStop {
                sleep_done: None,
                ..
            }
        ) {
            return;
        }
        if !success {
            // Upstream does not record the hook's message, "so that secrets won't leak".
            out.event("FailedPreStopHook", "PreStopHook failed".into());
        }
        kill.hook_done(now);
        self.advance_kill(i, now, out);
    }

    /// A timer fired: due probes, preStop hooks that ran out, sidecars whose turn came.
    pub fn wake(&mut self, now: SimTime, out: &mut Out) {
        self.scheduled.retain(|t| *t > now);
        for i in 0..self.ctrs.len() {
            if let Some(kill) = &mut self.ctrs[i].kill {
                if kill.timer().is_some_and(|t| t <= now) {
                    kill.hook_done(now);
                    self.advance_kill(i, now, out);
                }
            }
            let due: Vec<ProbeType> = self.ctrs[i]
                .probes
                .iter()
                .filter(|w| w.due.is_some_and(|d| d <= now))
                .map(|w| w.probe_type)
                .collect();
            for t in due {
                self.run_probe(i, t, now, out);
                let Some(seen) = self.seen(i) else { continue };
                let w = self.probe_mut(i, t);
                w.due = None;
                if w.wants_ticks(seen) {
                    let next = w.tick_at_or_after(now.after(Duration(1)));
                    w.due = Some(next);
                    out.wakes.push(next);
                }
            }
        }
    }

    fn probe_mut(&mut self, i: usize, t: ProbeType) -> &mut ProbeWorker {
        self.ctrs[i]
            .probes
            .iter_mut()
            .find(|w| w.probe_type == t)
            .expect("probe worker exists")
    }

    /// Schedule the ticks of container `i`'s probes that have work, and with `manual` probe
    /// readiness at once when the container is started but not ready (upstream
    /// `UpdatePodStatus`'s manual trigger).
    fn arm_probes(&mut self, i: usize, now: SimTime, manual: bool, out: &mut Out) {
        let Some(seen) = self.seen(i) else {
            return;
        };
        for w in &mut self.ctrs[i].probes {
            if w.due.is_none() && w.wants_ticks(seen) {
                let t = w.tick_at_or_after(now);
                w.due = Some(t);
                out.wakes.push(t);
            }
        }
        let wants_manual = self.ctrs[i]
            .probe(ProbeType::Readiness)
            .is_some_and(|w| w.result_for(seen.attempt) != Some(true));
        if manual && seen.started && wants_manual {
            self.run_probe(i, ProbeType::Readiness, now, out);
        }
    }

    fn run_probe(&mut self, i: usize, t: ProbeType, now: SimTime, out: &mut Out) {
        let Some(seen) = self.seen(i) else {
            return;
        };
        let target = self.target(i, seen.attempt);
        let w = self.probe_mut(i, t);
        if w.should_probe(now, seen) {
            out.cmds.push(RuntimeCommand::RunProbe {
                target,
                probe_type: t,
                probe: Box::new(w.spec.clone()),
                timeout_ms: w.timeout().as_millis(),
            });
        }
    }

    /// Dead instances garbage collection may remove now (forgotten at once).
    pub fn collect_garbage(&mut self) -> Vec<ContainerRef> {
        let mut out = Vec::new();
        for i in 0..self.ctrs.len() {
            let gone = super::gc::evictable(&self.ctrs[i].dead).to_vec();
            for a in &gone {
                out.push(self.target(i, *a));
            }
            self.ctrs[i].dead.retain(|a| !gone.contains(a));
        }
        out
    }

    pub fn has_garbage(&self) -> bool {
        self.ctrs
            .iter()
            .any(|c| !super::gc::evictable(&c.dead).is_empty())
    }

    /// The next instant some timer of this worker wants (for tests and diagnostics).
    pub fn next_timer(&self) -> Option<SimTime> {
        self.scheduled.iter().next().copied()
    }

    // ----------------------------------------------------------------------------------
    // Status
    // ----------------------------------------------------------------------------------

    /// Container `i`'s `v1.ContainerStatus` (upstream `convertToAPIContainerStatuses` and the
    /// prober's `UpdatePodStatus`).
    pub fn container_status(&self, i: usize) -> ContainerStatus {
        let c = &self.ctrs[i];
        let default_waiting = if self.pod.spec.init_containers.is_empty() {
            "ContainerCreating"
        } else {
            "PodInitializing"
        };
        let term = |e: &Exit| ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: e.code,
                reason: e.reason.into(),
                message: String::new(),
                started_at: e.started_at.map_or(0, SimTime::millis),
                finished_at: e.finished_at.millis(),
            }),
            ..Default::default()
        };
        let blocked = c
            .blocked
            .as_ref()
            .map(|(r, m)| ContainerState::waiting(r, m));
        let (state, last) = match &c.current {
            None => (
                blocked.unwrap_or_else(|| ContainerState::waiting(default_waiting, "")),
                None,
            ),
            Some(inst) => match &inst.state {
                InstanceState::Pulling | InstanceState::Creating | InstanceState::Starting => {
                    let reason = if inst.attempt == 0 {
                        default_waiting
                    } else {
                        ""
                    };
                    (
                        ContainerState::waiting(reason, ""),
                        c.previous_exit.as_ref(),
                    )
                }
                InstanceState::Running { since } => (
                    ContainerState {
                        running: Some(ContainerStateRunning {
                            started_at: since.millis(),
                        }),
                        ..Default::default()
                    },
                    c.previous_exit.as_ref(),
                ),
                InstanceState::Exited(e) if c.restart_at.is_some() => (
                    ContainerState::waiting(
                        "CrashLoopBackOff",
                        &format!(
                            "back-off {} restarting failed container={} pod={}",
                            c.backoff.current(),
                            c.spec.name,
                            format_pod(&self.pod)
                        ),
                    ),
                    Some(e),
                ),
                InstanceState::Exited(e) => (term(e), c.previous_exit.as_ref()),
            },
        };
        ContainerStatus {
            name: c.spec.name.clone(),
            state,
            last_termination_state: last.map(term).unwrap_or_default(),
            ready: c.ready(),
            restart_count: c.current.as_ref().map_or(0, |i| i.attempt as i32),
            image: c.spec.image.clone(),
            started: Some(c.started()),
        }
    }

    /// The pod status the kubelet reports (upstream `generateAPIPodStatus`), built on `old`
    /// (whose scheduler-owned fields are kept).
    pub fn api_status(&self, old: &PodStatus, now: SimTime) -> PodStatus {
        let n_init = self.pod.spec.init_containers.len();
        // Init containers first, then app containers: split apart (moved, not copied) once
        // the phase and conditions have read them all.
        let mut all: Vec<ContainerStatus> = (0..self.ctrs.len())
            .map(|i| self.container_status(i))
            .collect();
        let phase = super::phase::get_phase(&self.pod.spec, &all, self.terminal, self.initialized);
        let sandbox_ready = self.sandbox == Sandbox::Ready;
        let conditions = super::phase::conditions(
            &self.pod.spec,
            &all,
            phase,
            sandbox_ready,
            now.millis(),
            &old.conditions,
        );
        let ready = conditions
            .iter()
            .any(|c| c.kind == "Ready" && c.status == "True");
        let restart_count = all.iter().map(|c| c.restart_count).sum();
        let apps = all.split_off(n_init);
        let init = all;
        let mut started_at = old.started_at;
        if started_at.is_none() && phase == crate::api::pod::PodPhase::Running {
            started_at = Some(now.millis());
        }
        let mut ready_at = old.ready_at;
        if ready && !old.ready {
            ready_at = Some(now.millis());
        }
        // Every other field as the store has it (the fields above replace old's, which are
        // therefore not copied).
        PodStatus {
            phase,
            ready,
            unschedulable_message: old.unschedulable_message.clone(),
            nominated_node_name: old.nominated_node_name.clone(),
            restart_count,
            started_at,
            ready_at,
            reason: old.reason.clone(),
            message: old.message.clone(),
            pod_ip: self.ip.clone(),
            conditions,
            init_container_statuses: init,
            container_statuses: apps,
            reservation: old.reservation,
        }
    }
}
