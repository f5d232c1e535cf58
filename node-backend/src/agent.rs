//! The node agent: the core's pod workers (`cellsim_core::kubelet::worker::PodWorker`, the
//! same state machines the simulator runs) driven in real time against `LinuxRuntime`.
//!
//! Time is the agent's monotonic clock in milliseconds since it started (times a scale for
//! tests: with `time_scale` 20 the kubelet's 10 s backoff lasts half a real second; grace
//! periods and probe timeouts handed to the runtime are scaled alike). Each step feeds one
//! runtime event or timer to a worker, lets it `sync`, submits the commands it asks for and
//! arms its wake-ups — what `Kubelets::step` does in the simulator, without the API store.

use crate::container::PodExtras;
use crate::images::GcPolicy;
use crate::runtime::LinuxRuntime;
use cellsim_core::agent_api::{AgentMessage, PodUsage};
use cellsim_core::api::pod::{Pod, PodStatus};
use cellsim_core::api::resources::CpuMem;
use cellsim_core::kubelet::backoff::Backoff;
use cellsim_core::kubelet::images::with_default_tag;
use cellsim_core::kubelet::plan::{ContainerRuntime, RuntimeCommand, RuntimeEvent};
use cellsim_core::kubelet::worker::{Exit, Instance, InstanceState, Out, PodWorker};
use cellsim_core::time::{Duration, SimTime};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
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
    images: cellsim_core::collections::OrdSet<String>,
    /// Every kubelet event so far, in order.
    pub events: Vec<PodEvent>,
    /// Pods whose sandbox removal was asked for.
    removing: BTreeSet<String>,
    removed: BTreeSet<String>,
    next_gc: SimTime,
    /// Image GC, run every `image_gc.period` of kubelet time.
    pub image_gc: ImageGc,
    next_image_gc: SimTime,
    /// How often cgroup usage is sampled (kubelet time).
    pub usage_period: Duration,
    next_usage: SimTime,
    usage: BTreeMap<String, MeasuredPod>,
    /// How many times usage was sampled (a sender sends the `usage` message when it grows).
    pub usage_samples: u64,
    /// Re-adopted containers whose restored backoff is applied once the worker has claimed
    /// them: (pod uid, container index, attempt, backoff).
    restore_backoff: Vec<(String, usize, u32, Backoff)>,
    /// The last `kubelet.json` written per pod (written again only when it changes).
    saved: BTreeMap<String, KubeletState>,
}

/// The agent's image garbage collection (kubelet `realImageGCManager`): every `period`, if
/// the image store's disk is above `policy.high_percent`, delete unused images least
/// recently used first until below `policy.low_percent`. Images of every container the
/// runtime holds and of every pod not yet removed are in use.
pub struct ImageGc {
    /// Upstream `ImageGCPeriod` = 5 minutes (pkg/kubelet/kubelet.go).
    pub period: Duration,
    pub policy: GcPolicy,
    /// (capacity, available) bytes of the disk holding the store; `images::fs_usage` unless
    /// a test substitutes its own.
    pub disk: DiskUsage,
    /// What the passes removed so far, in order.
    pub removed: Vec<String>,
    /// The last pass's error, if it failed.
    pub last_error: Option<String>,
}

/// A source of (capacity, available) bytes for a path.
pub type DiskUsage = Box<dyn Fn(&Path) -> crate::Result<(u64, u64)> + Send>;

/// Upstream `ImageGCPeriod` (pkg/kubelet/kubelet.go).
pub const IMAGE_GC_PERIOD: Duration = Duration::from_secs(5 * 60);

/// How often usage is sampled: cAdvisor's housekeeping interval as the kubelet sets it
/// (pkg/kubelet/cadvisor/cadvisor_linux.go `defaultHousekeepingInterval` = 10 s).
pub const USAGE_PERIOD: Duration = Duration::from_secs(10);

impl Default for ImageGc {
    fn default() -> ImageGc {
        ImageGc {
            period: IMAGE_GC_PERIOD,
            policy: GcPolicy::default(),
            disk: Box::new(crate::images::fs_usage),
            removed: Vec::new(),
            last_error: None,
        }
    }
}

/// Measured usage of one cgroup at one sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Measured {
    /// Cumulative CPU time (`cpuacct.usage`, v2 `cpu.stat` `usage_usec`).
    pub cpu_nanos: u64,
    /// CPU rate over the last sampling interval, in millicores (what metrics-server
    /// derives from two cumulative samples).
    pub cpu_millicores: i64,
    /// Memory working set: usage − inactive file (cAdvisor `setMemoryStats`: v1
    /// `total_inactive_file`, v2 `inactive_file`; the kubelet's eviction manager and
    /// metrics-server use this figure).
    pub working_set_bytes: u64,
    pub memory_usage_bytes: u64,
}

/// One pod's measured usage: the pod cgroup and each running container's leaf.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasuredPod {
    /// The agent's clock (kubelet ms) at the sample.
    pub at_ms: u64,
    pub pod: Measured,
    /// Container name → usage of its running instance.
    pub containers: BTreeMap<String, Measured>,
    /// Real time of the sample, for the CPU rate.
    #[serde(skip)]
    taken: Option<Instant>,
}

/// What the agent keeps of a pod worker across its own restarts (`<pod dir>/kubelet.json`):
/// per container, the restart count and the CrashLoopBackOff step — the kubelet keeps the
/// former in its container labels (`io.kubernetes.container.restartCount`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubeletState {
    pub containers: BTreeMap<String, SavedContainer>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedContainer {
    pub restart_count: u32,
    /// The backoff's current step (10 s, 20 s, ... 300 s; 0 before the first restart).
    pub backoff_ms: u64,
}

/// The name of the file `KubeletState` is kept in, in the pod's state directory.
pub const KUBELET_STATE: &str = "kubelet.json";

/// A backoff entry at `step`, as `Backoff::next` leaves it after that many restarts in a
/// row at `now` (client-go's entry keeps only the current step and its last update).
fn backoff_at(step_ms: u64, now: SimTime) -> Backoff {
    let mut b = Backoff::default();
    for _ in 0..32 {
        if b.current().as_millis() >= step_ms {
            break;
        }
        b.next(now, now);
    }
    b
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
            images: cellsim_core::collections::OrdSet::new(),
            events: Vec::new(),
            removing: BTreeSet::new(),
            removed: BTreeSet::new(),
            next_gc: SimTime(GC_PERIOD.as_millis()),
            image_gc: ImageGc::default(),
            next_image_gc: SimTime(IMAGE_GC_PERIOD.as_millis()),
            usage_period: USAGE_PERIOD,
            next_usage: SimTime(0),
            usage: BTreeMap::new(),
            usage_samples: 0,
            restore_backoff: Vec::new(),
            saved: BTreeMap::new(),
        }
    }

    /// Replace the image GC (period, thresholds, disk source); the first pass comes one
    /// period from now.
    pub fn set_image_gc(&mut self, gc: ImageGc) {
        self.next_image_gc = self.now().after(gc.period);
        self.image_gc = gc;
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
        a.next_image_gc = SimTime(a.now().0 + IMAGE_GC_PERIOD.as_millis());
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
        self.restore(&uid);
        self.step(&uid, |_, _, _| {});
    }

    /// A re-adopted pod: continue each container's restart count and backoff from what the
    /// runtime still holds (its instances, numbered by attempt) and `kubelet.json`, instead
    /// of starting over at 0 as a fresh pod worker would. A container found running at
    /// attempt N is given a previous instance N−1 that exited, so the worker "restarts" it
    /// as attempt N, which the runtime answers with the running process; one found exited
    /// stays exited at attempt N and restarts by policy after its backoff.
    fn restore(&mut self, uid: &str) {
        let records = self.rt.container_records(uid);
        if records.is_empty() {
            return;
        }
        let saved: KubeletState = std::fs::read(self.rt.pod_dir(uid).join(KUBELET_STATE))
            .ok()
            .and_then(|t| serde_json::from_slice(&t).ok())
            .unwrap_or_default();
        let now = self.now();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let exit_of = |code: Option<i32>, oom: bool| {
            let code = code.unwrap_or(255);
            Exit {
                code,
                reason: Exit::reason_for(code, oom),
                started_at: None,
                finished_at: now,
            }
        };
        for i in 0..w.ctrs.len() {
            let name = w.ctrs[i].spec.name.clone();
            // Instances that ran (a created but never started one is as if not there).
            let mine: Vec<_> = records
                .iter()
                .filter(|r| r.name == name && (r.running || r.exit_code.is_some()))
                .collect();
            let Some(latest) = mine.iter().max_by_key(|r| (r.running, r.attempt)) else {
                continue;
            };
            let kept = saved.containers.get(&name).copied().unwrap_or_default();
            let attempt = latest.attempt.max(kept.restart_count);
            let mut dead: Vec<u32> = mine
                .iter()
                .filter(|r| !r.running && r.attempt <= attempt)
                .map(|r| r.attempt)
                .collect();
            dead.sort_unstable();
            dead.dedup();
            let c = &mut w.ctrs[i];
            if latest.running {
                if attempt == 0 {
                    continue;
                }
                let prev = mine
                    .iter()
                    .find(|r| !r.running && r.attempt + 1 == attempt)
                    .map(|r| exit_of(r.exit_code, r.oom_killed))
                    .unwrap_or_else(|| exit_of(Some(1), false));
                c.current = Some(Instance {
                    attempt: attempt - 1,
                    state: InstanceState::Exited(prev),
                });
                c.dead = dead;
                self.restore_backoff.push((
                    uid.to_string(),
                    i,
                    attempt,
                    backoff_at(kept.backoff_ms, now),
                ));
            } else {
                c.current = Some(Instance {
                    attempt,
                    state: InstanceState::Exited(exit_of(latest.exit_code, latest.oom_killed)),
                });
                c.dead = dead;
                c.backoff = backoff_at(kept.backoff_ms, now);
            }
        }
    }

    /// Keep the pod worker's restart counts and backoff steps in the pod's state directory
    /// (only when they changed, and only while the directory exists).
    fn save_kubelet_state(&mut self, uid: &str) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let state = KubeletState {
            containers: w
                .ctrs
                .iter()
                .map(|c| {
                    (
                        c.spec.name.clone(),
                        SavedContainer {
                            restart_count: c.current.as_ref().map_or(0, |i| i.attempt),
                            backoff_ms: c.backoff.current().as_millis(),
                        },
                    )
                })
                .collect(),
        };
        // Nothing to keep before the first restart (a missing file reads as zeros): no
        // write on the pod start path.
        let zero = state
            .containers
            .values()
            .all(|c| *c == SavedContainer::default());
        if self.saved.get(uid) == Some(&state) || (zero && !self.saved.contains_key(uid)) {
            return;
        }
        let dir = self.rt.pod_dir(uid);
        if !dir.is_dir() {
            return;
        }
        if let Ok(text) = serde_json::to_vec_pretty(&state) {
            if crate::sys::write_atomic(&dir.join(KUBELET_STATE), &text).is_ok() {
                self.saved.insert(uid.to_string(), state);
            }
        }
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
        if now >= self.next_image_gc {
            self.next_image_gc = now.after(self.image_gc.period);
            self.collect_images();
        }
        if now >= self.next_usage {
            self.next_usage = now.after(self.usage_period);
            self.sample_usage();
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

    /// One image GC pass (upstream `GarbageCollect` from the `ImageGCPeriod` loop); returns
    /// the images removed.
    pub fn collect_images(&mut self) -> Vec<String> {
        let mut in_use = self.rt.images_in_use();
        for w in self.workers.values() {
            if !self.removed.contains(&w.uid) {
                in_use.extend(w.ctrs.iter().map(|c| with_default_tag(&c.spec.image)));
            }
        }
        let at = self.now();
        let gc = &mut self.image_gc;
        match self
            .rt
            .images()
            .garbage_collect_with(&in_use, &gc.policy, &*gc.disk)
        {
            Ok(removed) => {
                gc.last_error = None;
                for r in &removed {
                    self.images.remove(r);
                    self.events.push(PodEvent {
                        at,
                        pod: String::new(),
                        reason: "ImageGCRemoved".into(),
                        message: format!("removed unused image {r}"),
                    });
                }
                gc.removed.extend(removed.iter().cloned());
                removed
            }
            Err(e) => {
                // Upstream logs "Image garbage collection failed" and emits the
                // ImageGCFailed event.
                gc.last_error = Some(e.to_string());
                self.events.push(PodEvent {
                    at,
                    pod: String::new(),
                    reason: "ImageGCFailed".into(),
                    message: e.to_string(),
                });
                Vec::new()
            }
        }
    }

    /// Read every live pod's cgroup usage and its running containers' (cAdvisor's
    /// housekeeping); the CPU rate is over the time since the previous sample.
    pub fn sample_usage(&mut self) {
        let now = self.now();
        let real = Instant::now();
        let mut next = BTreeMap::new();
        for (uid, w) in &self.workers {
            if self.removed.contains(uid) || self.rt.sandbox_pid(uid).is_none() {
                continue;
            }
            let prev = self.usage.get(uid);
            let rate = |cpu: u64, before: Option<&Measured>| -> i64 {
                match (before, prev.and_then(|p| p.taken)) {
                    (Some(b), Some(t)) if cpu >= b.cpu_nanos => {
                        let dt = real.duration_since(t).as_nanos().max(1);
                        ((cpu - b.cpu_nanos) as u128 * 1000 / dt) as i64
                    }
                    _ => 0,
                }
            };
            let measured = |u: crate::cgroups::Usage, before: Option<&Measured>| Measured {
                cpu_nanos: u.cpu_ns,
                cpu_millicores: rate(u.cpu_ns, before),
                working_set_bytes: u.memory_working_set,
                memory_usage_bytes: u.memory_usage,
            };
            let pod = measured(self.rt.pod_usage(uid), prev.map(|p| &p.pod));
            let mut containers = BTreeMap::new();
            for (i, c) in w.ctrs.iter().enumerate() {
                let Some((attempt, _)) = c.running() else {
                    continue;
                };
                if let Some(u) = self.rt.container_usage(&w.target(i, attempt)) {
                    let before = prev.and_then(|p| p.containers.get(&c.spec.name));
                    containers.insert(c.spec.name.clone(), measured(u, before));
                }
            }
            next.insert(
                uid.clone(),
                MeasuredPod {
                    at_ms: now.0,
                    pod,
                    containers,
                    taken: Some(real),
                },
            );
        }
        self.usage = next;
        self.usage_samples += 1;
    }

    /// The last measured usage of a pod.
    pub fn measured(&self, uid: &str) -> Option<&MeasuredPod> {
        self.usage.get(uid)
    }

    /// Every pod's last measured usage.
    pub fn measured_all(&self) -> &BTreeMap<String, MeasuredPod> {
        &self.usage
    }

    /// Measured usage in the form the model consumes (`cellsim_core::sim::metrics::pod_usage`:
    /// millicores and working-set bytes by pod uid), for Borg reclamation and the HPA.
    pub fn model_usage(&self) -> BTreeMap<String, CpuMem> {
        self.usage
            .iter()
            .map(|(uid, m)| {
                (
                    uid.clone(),
                    CpuMem {
                        milli_cpu: m.pod.cpu_millicores,
                        memory: m.pod.working_set_bytes as i64,
                    },
                )
            })
            .collect()
    }

    /// The agent API's `usage` message (cumulative CPU, working set per pod) for `node`.
    pub fn usage_message(&self, node: &str) -> AgentMessage {
        AgentMessage::Usage {
            node: node.to_string(),
            pods: self
                .usage
                .iter()
                .map(|(uid, m)| PodUsage {
                    pod_uid: uid.clone(),
                    cpu_nanos: m.pod.cpu_nanos,
                    working_set_bytes: m.pod.working_set_bytes,
                })
                .collect(),
        }
    }

    /// What `cellsim node agent` writes to `status.json`: per pod its phase, each
    /// container's restart count, readiness and state, and the last measured usage; the
    /// agent API's `usage` message; the image GC's removals.
    pub fn status_json(&self, node: &str) -> serde_json::Value {
        let pods: Vec<serde_json::Value> = self
            .workers
            .values()
            .filter(|w| !self.removed.contains(&w.uid))
            .map(|w| {
                let st = self.status.get(&w.uid).cloned().unwrap_or_default();
                serde_json::json!({
                    "uid": w.uid,
                    "pod": w.key,
                    "phase": st.phase,
                    "containers": st.container_statuses.iter().chain(st.init_container_statuses.iter()).map(|c| serde_json::json!({
                        "name": c.name,
                        "restartCount": c.restart_count,
                        "ready": c.ready,
                        "state": c.state,
                    })).collect::<Vec<_>>(),
                    "usage": self.usage.get(&w.uid),
                })
            })
            .collect();
        serde_json::json!({
            "node": node,
            "atMs": self.now().0,
            "pods": pods,
            "usageMessage": self.usage_message(node),
            "imageGc": {
                "removed": self.image_gc.removed,
                "lastError": self.image_gc.last_error,
            },
        })
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
        if crate::runtime::tracing() {
            let kind = format!("{ev:?}");
            crate::runtime::trace_line(&format!(
                "event {}",
                kind.split([' ', '{']).next().unwrap_or("")
            ));
        }
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
        // A re-adopted container claimed by its worker gets back its backoff step.
        self.restore_backoff.retain(|(u, i, attempt, b)| {
            if u != uid {
                return true;
            }
            match w.ctrs.get_mut(*i) {
                Some(c) if c.current.as_ref().is_some_and(|x| x.attempt == *attempt) => {
                    c.backoff = b.clone();
                    false
                }
                Some(c) if c.current.as_ref().is_some_and(|x| x.attempt < *attempt) => true,
                _ => false,
            }
        });
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
        self.save_kubelet_state(uid);
    }
}
