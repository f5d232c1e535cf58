//! `SimRuntime`: carries out the kubelet's plan in simulated time, with container behaviour
//! taken from the scenario's `behavior` entries.
//!
//! Modelled delays (documented in docs/scenario-format.md): sandbox 500ms, image pull 2s
//! (or the behaviour's `pullTime`), create 100ms, start 100ms, a stopped process exits 100ms
//! after SIGTERM with code 143 (128 + SIGTERM), sandbox removal 100ms. With no behaviour, an
//! app container runs until stopped and an init container exits 0 one second after it starts.

use super::plan::{ContainerRef, ContainerRuntime, RuntimeCommand, RuntimeEvent};
use crate::api::resources::{CpuMem, Resources};
use crate::api::selector::Labels;
use crate::scenario::spec::Behavior;
use crate::time::{Duration, SimTime};
use std::collections::BTreeMap;

pub const SANDBOX_DELAY: Duration = Duration::from_millis(500);
pub const DEFAULT_PULL: Duration = Duration::from_secs(2);
pub const CREATE_DELAY: Duration = Duration::from_millis(100);
pub const START_DELAY: Duration = Duration::from_millis(100);
pub const STOP_DELAY: Duration = Duration::from_millis(100);
pub const INIT_RUN: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
struct Container {
    init: bool,
    behavior: Option<usize>,
    started_at: Option<SimTime>,
    /// Bumped whenever the process changes (start, stop): exits scheduled for an older
    /// incarnation are stale.
    incarnation: u64,
    running: bool,
}

pub struct SimRuntime {
    behaviors: Vec<Behavior>,
    /// Each behaviour's cpu / memory usage, and the step to another one at a time.
    usage: Vec<(CpuMem, Option<(SimTime, CpuMem)>)>,
    pod_labels: BTreeMap<String, Labels>,
    containers: BTreeMap<ContainerRef, Container>,
    ips_assigned: u64,
    now: SimTime,
}

impl SimRuntime {
    pub fn new(behaviors: Vec<Behavior>) -> SimRuntime {
        let usage = behaviors
            .iter()
            .map(|b| {
                let of = |rl| CpuMem::of(&Resources::from_list(rl));
                let step = b
                    .usage_after
                    .as_ref()
                    .map(|s| (SimTime(s.at.as_millis()), of(&s.usage)));
                (of(&b.usage), step)
            })
            .collect();
        SimRuntime {
            usage,
            behaviors,
            pod_labels: BTreeMap::new(),
            containers: BTreeMap::new(),
            ips_assigned: 0,
            now: SimTime::ZERO,
        }
    }

    pub fn set_now(&mut self, now: SimTime) {
        self.now = now;
    }

    fn behavior_for(&self, pod_uid: &str, container: &str) -> Option<usize> {
        let labels = self.pod_labels.get(pod_uid)?;
        self.behaviors.iter().position(|b| {
            b.container.as_deref().is_none_or(|c| c == container) && b.selector.matches(labels)
        })
    }

    /// Incarnation stamp for an event about to be scheduled (0 for events that are never stale).
    pub fn incarnation(&self, ev: &RuntimeEvent) -> u64 {
        match ev {
            RuntimeEvent::ContainerExited { target, .. } => {
                self.containers.get(target).map_or(0, |c| c.incarnation)
            }
            _ => 0,
        }
    }

    /// Is a scheduled event still true when it fires? A natural exit scheduled for a process
    /// that has since been stopped and restarted is dropped.
    pub fn accept(&mut self, incarnation: u64, ev: &RuntimeEvent) -> bool {
        match ev {
            RuntimeEvent::ContainerExited { target, .. } => match self.containers.get_mut(target) {
                Some(c) if c.incarnation == incarnation && c.running => {
                    c.running = false;
                    true
                }
                _ => false,
            },
            RuntimeEvent::SandboxRemoved { pod_uid, .. } => {
                self.pod_labels.remove(pod_uid);
                self.containers.retain(|k, _| &k.pod_uid != pod_uid);
                true
            }
            _ => true,
        }
    }

    /// The observed cpu / memory usage of every pod with a running container, by pod uid:
    /// the sum over its running containers of their behaviour's usage at `now` (`usage`, or
    /// `usageAfter` from its time on). What a kubelet's resource metrics would report.
    pub fn usage_by_pod(&self, now: SimTime) -> BTreeMap<String, CpuMem> {
        let mut out: BTreeMap<String, CpuMem> = BTreeMap::new();
        for (k, c) in &self.containers {
            let Some(b) = c.behavior.filter(|_| c.running) else {
                continue;
            };
            let (base, step) = &self.usage[b];
            let u = match step {
                Some((at, after)) if now >= *at => after,
                _ => base,
            };
            let sum = out.entry(k.pod_uid.clone()).or_default();
            sum.milli_cpu = sum.milli_cpu.saturating_add(u.milli_cpu);
            sum.memory = sum.memory.saturating_add(u.memory);
        }
        out
    }

    /// Forget everything on a node (it failed: its processes are gone).
    pub fn wipe_node(&mut self, node: &str) {
        self.containers.retain(|k, _| k.node != node);
    }
}

impl ContainerRuntime for SimRuntime {
    fn submit(&mut self, cmd: RuntimeCommand, out: &mut Vec<(Duration, RuntimeEvent)>) {
        match cmd {
            RuntimeCommand::RunPodSandbox {
                node,
                pod_uid,
                labels,
                ..
            } => {
                self.pod_labels.insert(pod_uid.clone(), labels);
                self.ips_assigned += 1;
                let n = self.ips_assigned;
                let ip = format!(
                    "10.{}.{}.{}",
                    244 + (n >> 16) % 8,
                    (n >> 8) & 0xff,
                    n & 0xff
                );
                out.push((
                    SANDBOX_DELAY,
                    RuntimeEvent::SandboxReady { node, pod_uid, ip },
                ));
            }
            RuntimeCommand::PullImage {
                node,
                pod_uid,
                image,
            } => {
                let took = self
                    .pod_labels
                    .get(&pod_uid)
                    .and_then(|l| self.behaviors.iter().find(|b| b.selector.matches(l)))
                    .and_then(|b| b.pull_time)
                    .unwrap_or(DEFAULT_PULL);
                out.push((
                    took,
                    RuntimeEvent::ImagePulled {
                        node,
                        pod_uid,
                        image,
                        took_ms: took.as_millis(),
                    },
                ));
            }
            RuntimeCommand::CreateContainer { target, init, .. } => {
                let behavior = self.behavior_for(&target.pod_uid, &target.container);
                let prev = self.containers.get(&target).map_or(0, |c| c.incarnation);
                self.containers.insert(
                    target.clone(),
                    Container {
                        init,
                        behavior,
                        started_at: None,
                        incarnation: prev + 1,
                        running: false,
                    },
                );
                out.push((CREATE_DELAY, RuntimeEvent::ContainerCreated { target }));
            }
            RuntimeCommand::StartContainer { target } => {
                let now = self.now;
                let behaviors = &self.behaviors;
                let Some(c) = self.containers.get_mut(&target) else {
                    return;
                };
                c.started_at = Some(now.after(START_DELAY));
                c.running = true;
                out.push((
                    START_DELAY,
                    RuntimeEvent::ContainerStarted {
                        target: target.clone(),
                    },
                ));
                let b = c.behavior.map(|i| &behaviors[i]);
                let run = match (b.and_then(|b| b.run_for), c.init) {
                    (Some(d), _) => Some((d, b.map_or(0, |b| b.exit_code))),
                    (None, true) => Some((INIT_RUN, 0)),
                    (None, false) => None,
                };
                if let Some((d, code)) = run {
                    out.push((
                        Duration(START_DELAY.as_millis() + d.as_millis()),
                        RuntimeEvent::ContainerExited {
                            target,
                            exit_code: code,
                            oom_killed: false,
                        },
                    ));
                }
            }
            RuntimeCommand::StopContainer { target, .. } => {
                let Some(c) = self.containers.get_mut(&target) else {
                    return;
                };
                if !c.running {
                    return;
                }
                c.incarnation += 1;
                out.push((
                    STOP_DELAY,
                    RuntimeEvent::ContainerExited {
                        target,
                        exit_code: 143,
                        oom_killed: false,
                    },
                ));
            }
            RuntimeCommand::RunProbe { target, .. } => {
                let now = self.now;
                let success = self.containers.get(&target).is_some_and(|c| {
                    let delay = c
                        .behavior
                        .and_then(|i| self.behaviors[i].startup_delay)
                        .unwrap_or(Duration::ZERO);
                    c.running && c.started_at.is_some_and(|s| now >= s.after(delay))
                });
                out.push((
                    Duration::ZERO,
                    RuntimeEvent::ProbeResult { target, success },
                ));
            }
            RuntimeCommand::RemovePodSandbox { node, pod_uid } => {
                out.push((STOP_DELAY, RuntimeEvent::SandboxRemoved { node, pod_uid }));
            }
        }
    }
}
