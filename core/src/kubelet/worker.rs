//! A pod worker: one pod's lifecycle on its node, as a state machine from desired state and
//! runtime events to runtime commands and status updates (upstream: pkg/kubelet/pod_workers.go
//! and kuberuntime's SyncPod, simplified to what the foundation models).

use super::backoff;
use super::plan::{ContainerRef, RuntimeCommand};
use crate::api::pod::{Container, Pod, PodPhase};
use crate::time::{Duration, SimTime};

/// Upstream default `terminationGracePeriodSeconds`.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the sandbox.
    Sandbox,
    /// Bringing up containers one by one (index into `containers`).
    Starting(usize),
    /// Every app container was started.
    Running,
    /// Stopping every container, then the sandbox.
    Terminating,
    /// Sandbox removal requested.
    Removing,
    /// All containers finished for good (Succeeded / Failed); sandbox kept until deletion.
    Finished,
}

#[derive(Clone, Debug)]
pub struct ContainerState {
    pub spec: Container,
    pub init: bool,
    pub running: bool,
    pub ready: bool,
    pub started_at: Option<SimTime>,
    pub last_exit: Option<(SimTime, i32)>,
    pub restarts: u32,
    /// Restarts since the backoff last reset.
    pub restarts_in_window: u32,
    /// Consecutive readiness probe successes / failures.
    pub probe_ok: i32,
    pub probe_fail: i32,
    /// A restart is waiting for its backoff to expire.
    pub restart_at: Option<SimTime>,
    /// When the next readiness probe runs.
    pub next_probe: Option<SimTime>,
}

pub struct PodWorker {
    pub uid: String,
    pub key: String,
    pub node: String,
    pub stage: Stage,
    pub containers: Vec<ContainerState>,
    pub restart_policy: String,
    pub grace: Duration,
    pub ip: String,
}

impl PodWorker {
    pub fn new(pod: &Pod) -> PodWorker {
        let mk = |c: &Container, init: bool| ContainerState {
            spec: c.clone(),
            init,
            running: false,
            ready: false,
            started_at: None,
            last_exit: None,
            restarts: 0,
            restarts_in_window: 0,
            probe_ok: 0,
            probe_fail: 0,
            restart_at: None,
            next_probe: None,
        };
        let mut containers: Vec<ContainerState> = pod
            .spec
            .init_containers
            .iter()
            .map(|c| mk(c, true))
            .collect();
        containers.extend(pod.spec.containers.iter().map(|c| mk(c, false)));
        PodWorker {
            uid: pod.metadata.uid.clone(),
            key: pod.key(),
            node: pod.spec.node_name.clone(),
            stage: Stage::Sandbox,
            containers,
            restart_policy: if pod.spec.restart_policy.is_empty() {
                "Always".into()
            } else {
                pod.spec.restart_policy.clone()
            },
            grace: pod
                .spec
                .termination_grace_period_seconds
                .map_or(DEFAULT_GRACE, |s| Duration::from_secs(s.max(0) as u64)),
            ip: String::new(),
        }
    }

    pub fn target(&self, i: usize) -> ContainerRef {
        ContainerRef {
            node: self.node.clone(),
            pod_uid: self.uid.clone(),
            container: self.containers[i].spec.name.clone(),
        }
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.containers.iter().position(|c| c.spec.name == name)
    }

    /// The command that creates container `i` (image already present).
    pub fn create_command(&self, i: usize) -> RuntimeCommand {
        let c = &self.containers[i];
        RuntimeCommand::CreateContainer {
            target: self.target(i),
            image: c.spec.image.clone(),
            init: c.init,
            spec: serde_json::to_value(&c.spec).unwrap_or_default(),
        }
    }

    /// Should container `i` restart after exiting with `code`, per the pod's restartPolicy?
    pub fn should_restart(&self, i: usize, code: i32) -> bool {
        let init = self.containers[i].init;
        match self.restart_policy.as_str() {
            "Never" => false,
            // Init containers of an Always pod restart only on failure (upstream).
            "OnFailure" => code != 0,
            _ => !init || code != 0,
        }
    }

    /// Record an exit and decide the restart delay (None: no restart).
    pub fn on_exit(&mut self, i: usize, now: SimTime, code: i32) -> Option<Duration> {
        let restart = self.should_restart(i, code);
        let c = &mut self.containers[i];
        c.running = false;
        c.ready = false;
        c.probe_ok = 0;
        c.probe_fail = 0;
        c.next_probe = None;
        if c.started_at
            .is_some_and(|s| now.since(s) >= backoff::RESET_AFTER)
        {
            c.restarts_in_window = 0;
        }
        c.last_exit = Some((now, code));
        if !restart {
            return None;
        }
        let delay = backoff::restart_delay(c.restarts_in_window);
        c.restarts_in_window += 1;
        c.restart_at = Some(now.after(delay));
        Some(delay)
    }

    /// The pod phase implied by the containers (upstream `getPhase`, simplified).
    pub fn phase(&self) -> PodPhase {
        let apps: Vec<&ContainerState> = self.containers.iter().filter(|c| !c.init).collect();
        if matches!(self.stage, Stage::Sandbox | Stage::Starting(_))
            && apps.iter().all(|c| c.started_at.is_none())
        {
            // Init containers that failed for good fail the pod.
            if self.containers.iter().any(|c| {
                c.init
                    && c.last_exit.is_some_and(|(_, code)| code != 0)
                    && c.restart_at.is_none()
                    && self.restart_policy == "Never"
            }) {
                return PodPhase::Failed;
            }
            return PodPhase::Pending;
        }
        if apps.iter().any(|c| c.running || c.restart_at.is_some()) {
            return PodPhase::Running;
        }
        if apps.iter().any(|c| c.started_at.is_none()) {
            return PodPhase::Pending;
        }
        if apps
            .iter()
            .all(|c| c.last_exit.is_some_and(|(_, code)| code == 0))
        {
            PodPhase::Succeeded
        } else {
            PodPhase::Failed
        }
    }

    pub fn ready(&self) -> bool {
        self.stage == Stage::Running && self.containers.iter().filter(|c| !c.init).all(|c| c.ready)
    }
}
