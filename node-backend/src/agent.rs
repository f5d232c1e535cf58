//! The node agent: the core's pod workers (`cellsim_core::kubelet::worker::PodWorker`, the
//! same state machines the simulator runs) driven in real time against `LinuxRuntime`.
//!
//! Time is the agent's monotonic clock in milliseconds since it started (times a scale for
//! tests: with `time_scale` 20 the kubelet's 10 s backoff lasts half a real second; grace
//! periods and probe timeouts handed to the runtime are scaled alike). Each step feeds one
//! runtime event or timer to a worker, lets it `sync`, submits the commands it asks for and
//! arms its wake-ups — what `Kubelets::step` does in the simulator, without the API store.

use crate::container::PodExtras;
use crate::runtime::LinuxRuntime;
use cellsim_core::api::pod::{Pod, PodStatus};
use cellsim_core::kubelet::images::with_default_tag;
use cellsim_core::kubelet::plan::{ContainerRuntime, RuntimeCommand, RuntimeEvent};
use cellsim_core::kubelet::worker::{Out, PodWorker};
use cellsim_core::time::{Duration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

/// A kubelet event on a pod (what `kubectl describe pod` lists).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodEvent {
    pub at: SimTime,
    pub pod: String,
    pub reason: String,
    pub message: String,
}

pub struct Agent {
    pub rt: LinuxRuntime,
    rx: Receiver<RuntimeEvent>,
    epoch: Instant,
    time_scale: u64,
    workers: BTreeMap<String, PodWorker>,
    status: BTreeMap<String, PodStatus>,
    timers: BTreeSet<(SimTime, String)>,
    pending: VecDeque<RuntimeEvent>,
    images: BTreeSet<String>,
    /// Every kubelet event so far, in order.
    pub events: Vec<PodEvent>,
    /// Pods whose sandbox removal was asked for.
    removing: BTreeSet<String>,
    removed: BTreeSet<String>,
    next_gc: SimTime,
}

/// The kubelet's container GC period (pkg/kubelet/kubelet.go `ContainerGCPeriod`).
const GC_PERIOD: Duration = Duration::from_secs(60);

impl Agent {
    pub fn new(rt: LinuxRuntime, rx: Receiver<RuntimeEvent>, time_scale: u64) -> Agent {
        Agent {
            rt,
            rx,
            epoch: Instant::now(),
            time_scale: time_scale.max(1),
            workers: BTreeMap::new(),
            status: BTreeMap::new(),
            timers: BTreeSet::new(),
            pending: VecDeque::new(),
            images: BTreeSet::new(),
            events: Vec::new(),
            removing: BTreeSet::new(),
            removed: BTreeSet::new(),
            next_gc: SimTime(GC_PERIOD.as_millis()),
        }
    }

    /// An agent whose clock counts from `epoch` instead of its creation: a restarted agent
    /// (`recoverNode` in `run --real`) keeps the control plane's clock, so the times in its
    /// pod statuses stay comparable. Otherwise as `new`.
    pub fn with_epoch(
        rt: LinuxRuntime,
        rx: Receiver<RuntimeEvent>,
        time_scale: u64,
        epoch: Instant,
    ) -> Agent {
        let mut a = Agent::new(rt, rx, time_scale);
        a.epoch = epoch;
        a.next_gc = SimTime(a.now().0 + GC_PERIOD.as_millis());
        a
    }

    pub fn now(&self) -> SimTime {
        SimTime(self.epoch.elapsed().as_millis() as u64 * self.time_scale)
    }

    fn real(&self, d: SimTime) -> std::time::Duration {
        std::time::Duration::from_millis(d.0 / self.time_scale)
    }

    /// Admit a pod (re-adopting its sandbox and containers if a previous agent left them
    /// running).
    pub fn add_pod(&mut self, pod: Pod, extras: PodExtras) {
        self.rt.register_pod(&pod, extras);
        let uid = pod.metadata.uid.clone();
        let now = self.now();
        self.workers.insert(uid.clone(), PodWorker::new(&pod, now));
        self.status.insert(uid.clone(), pod.status.clone());
        self.step(&uid, |_, _, _| {});
    }

    /// Stop a pod gracefully (the pod was deleted).
    pub fn delete_pod(&mut self, uid: &str) {
        if self.workers.get(uid).is_some_and(|w| !w.deleting) {
            self.step(uid, |w, now, out| w.request_termination(now, false, out));
        }
    }

    pub fn worker(&self, uid: &str) -> Option<&PodWorker> {
        self.workers.get(uid)
    }

    pub fn pod_status(&self, uid: &str) -> Option<&PodStatus> {
        self.status.get(uid)
    }

    pub fn uids(&self) -> Vec<String> {
        self.workers.keys().cloned().collect()
    }

    /// The pod's sandbox has been removed after it finished.
    pub fn removed(&self, uid: &str) -> bool {
        self.removed.contains(uid)
    }

    /// Process what is due, waiting at most `max_wait` for something to happen.
    pub fn poll(&mut self, max_wait: std::time::Duration) {
        while let Some(ev) = self.pending.pop_front() {
            self.handle(ev);
        }
        let now = self.now();
        let next = self.timers.iter().next().map(|(t, _)| *t);
        let wait = match next {
            Some(t) if t <= now => std::time::Duration::ZERO,
            Some(t) => self.real(SimTime(t.0 - now.0)).min(max_wait),
            None => max_wait,
        };
        match self.rx.recv_timeout(wait) {
            Ok(ev) => self.handle(ev),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
        }
        while let Ok(ev) = self.rx.try_recv() {
            self.handle(ev);
        }
        let now = self.now();
        while let Some((t, uid)) = self.timers.iter().next().cloned() {
            if t > now {
                break;
            }
            self.timers.remove(&(t, uid.clone()));
            if self.workers.contains_key(&uid) {
                self.step(&uid, |w, now, out| w.wake(now, out));
            }
        }
        if now >= self.next_gc {
            self.next_gc = now.after(GC_PERIOD);
            self.collect_garbage();
        }
        for e in self.rt.take_errors() {
            self.events.push(PodEvent {
                at: now,
                pod: String::new(),
                reason: "RuntimeError".into(),
                message: e,
            });
        }
        while let Some(ev) = self.pending.pop_front() {
            self.handle(ev);
        }
    }

    /// Container GC: dead instances beyond what the kubelet keeps.
    pub fn collect_garbage(&mut self) {
        let mut cmds = Vec::new();
        for w in self.workers.values_mut() {
            for target in w.collect_garbage() {
                cmds.push(RuntimeCommand::RemoveContainer { target });
            }
        }
        for c in cmds {
            self.submit(c);
        }
    }

    /// Remove the sandboxes of pods that finished (what GC does for a deleted pod).
    pub fn remove_finished(&mut self) {
        let done: Vec<(String, String)> = self
            .workers
            .values()
            .filter(|w| w.terminal && !self.removing.contains(&w.uid))
            .map(|w| (w.uid.clone(), w.node.clone()))
            .collect();
        for (uid, node) in done {
            self.removing.insert(uid.clone());
            self.submit(RuntimeCommand::RemovePodSandbox { node, pod_uid: uid });
        }
    }

    fn submit(&mut self, cmd: RuntimeCommand) {
        let cmd = match cmd {
            RuntimeCommand::StopContainer {
                target,
                timeout_seconds,
            } => RuntimeCommand::StopContainer {
                target,
                timeout_seconds,
            },
            RuntimeCommand::RunProbe {
                target,
                probe_type,
                probe,
                timeout_ms,
            } => RuntimeCommand::RunProbe {
                target,
                probe_type,
                probe,
                timeout_ms: (timeout_ms / self.time_scale).max(1),
            },
            other => other,
        };
        let mut out = Vec::new();
        self.rt.submit(cmd, &mut out);
        self.pending.extend(out.into_iter().map(|(_, e)| e));
    }

    fn handle(&mut self, ev: RuntimeEvent) {
        if let RuntimeEvent::ImagePulled { image, .. } = &ev {
            self.images.insert(with_default_tag(image));
        }
        if let RuntimeEvent::SandboxRemoved { pod_uid, .. } = &ev {
            self.removed.insert(pod_uid.clone());
            return;
        }
        let uid = ev.pod_uid().to_string();
        if !self.workers.contains_key(&uid) {
            return;
        }
        self.step(&uid, move |w, now, out| w.on_runtime_event(ev, now, out));
    }

    /// Run `f` on a worker, let it sync, carry out what it asks (as `Kubelets::step`).
    fn step(&mut self, uid: &str, f: impl FnOnce(&mut PodWorker, SimTime, &mut Out)) {
        let now = self.now();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let mut out = Out::default();
        f(w, now, &mut out);
        w.sync(now, &self.images, &mut out);
        let key = w.key.clone();
        for (reason, message) in out.events {
            self.events.push(PodEvent {
                at: now,
                pod: key.clone(),
                reason: reason.to_string(),
                message,
            });
        }
        for t in out.wakes {
            if w.scheduled.insert(t) {
                self.timers.insert((t, uid.to_string()));
            }
        }
        let old = self.status.get(uid).cloned().unwrap_or_default();
        let status = w.api_status(&old, now);
        self.status.insert(uid.to_string(), status);
        let scale = self.time_scale;
        for c in out.cmds {
            let c = match c {
                // Grace periods are kubelet time: scaled for the runtime's real clock.
                RuntimeCommand::StopContainer {
                    target,
                    timeout_seconds,
                } => RuntimeCommand::StopContainer {
                    target,
                    timeout_seconds: if scale == 1 {
                        timeout_seconds
                    } else {
                        timeout_seconds.div_ceil(scale)
                    },
                },
                other => other,
            };
            self.submit(c);
        }
    }
}
