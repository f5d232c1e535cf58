//! `SimRuntime`: carries out the kubelet's plan in simulated time, with container behaviour
//! taken from the scenario's `behavior` entries and image sizes from `spec.registry`.
//!
//! Modelled times (documented in docs/scenario-format.md): sandbox 500ms; an image pull
//! takes the behaviour's `pullTime`, else the image's size over the pull bandwidth, else 2s,
//! one pull at a time per node (the kubelet's default serialized puller); create 100ms;
//! start 100ms; a stopped process exits `shutdownDelay` (100ms) after SIGTERM with 143, or
//! at the timeout with 137 (SIGKILL); an OOM kill (137) happens when the behaviour's memory
//! usage exceeds the container's memory limit; sandbox stop and removal 100ms. With no
//! behaviour an app container or sidecar runs until stopped and an init container exits 0 one
//! second after it starts.

use super::images::with_default_tag;
use super::plan::{ContainerRef, ContainerRuntime, HookType, RuntimeCommand, RuntimeEvent};
use crate::api::pod::{Container, Probe};
use crate::api::resources::{CpuMem, ResourceList, Resources};
use crate::api::selector::Labels;
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::rng::SimRng;
use crate::scenario::spec::{Behavior, Registry};
use crate::time::{Duration, SimTime};

pub const SANDBOX_DELAY: Duration = Duration::from_millis(500);
pub const DEFAULT_PULL: Duration = Duration::from_secs(2);
/// 50Mi bytes per second (`spec.registry.pullBandwidth` default).
pub const DEFAULT_PULL_BANDWIDTH: u64 = 50 * 1024 * 1024;
pub const CREATE_DELAY: Duration = Duration::from_millis(100);
pub const START_DELAY: Duration = Duration::from_millis(100);
/// How long a process takes to exit after SIGTERM without a `shutdownDelay`.
pub const STOP_DELAY: Duration = Duration::from_millis(100);
pub const SANDBOX_STOP_DELAY: Duration = Duration::from_millis(100);
pub const INIT_RUN: Duration = Duration::from_secs(1);
/// 128 + SIGTERM, 128 + SIGKILL.
pub const EXIT_SIGTERM: i32 = 143;
pub const EXIT_SIGKILL: i32 = 137;

#[derive(Clone, Debug)]
struct SimPod {
    labels: Labels,
    ip: String,
}

#[derive(Clone, Debug)]
struct SimContainer {
    /// Shared, so the entries stay small (when the containers were in a std `BTreeMap`, whose
    /// inserts shift whole entries, the spec inline was a quarter of the rollouts' longest
    /// units) and `StartContainer`'s copy of the entry does not copy the spec.
    spec: std::rc::Rc<Container>,
    /// A regular init container (not a sidecar).
    run_to_completion: bool,
    behavior: Option<usize>,
    /// Unique per created instance: exits scheduled for another instance are stale.
    instance: u64,
    started_at: Option<SimTime>,
    running: bool,
    /// `startupDelay` with its jitter, drawn at start.
    startup_delay: Duration,
    /// When SIGTERM was sent (the application stops accepting new connections).
    stopping_at: Option<SimTime>,
    /// When the process exited.
    exited_at: Option<SimTime>,
}

/// When a container's application accepts requests, for the traffic model: from
/// `from` (start + `startupDelay`) until `until` (SIGTERM or exit); from `broken_from`
/// (`unhealthyAfter`) on it answers with errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeWindow {
    pub from: SimTime,
    pub until: Option<SimTime>,
    pub broken_from: Option<SimTime>,
}

pub struct SimRuntime {
    behaviors: Vec<Behavior>,
    sizes: OrdMap<String, u64>,
    bandwidth: u64,
    pods: OrdMap<String, SimPod>,
    containers: OrdMap<ContainerRef, SimContainer>,
    /// Per node: when its image puller is free again.
    puller_free: OrdMap<String, SimTime>,
    ips_assigned: u64,
    instances: u64,
    now: SimTime,
    /// The run's generator, lent for the duration of a submission (`lend_rng`).
    rng: Option<SimRng>,
    /// Pods whose containers started, stopped or went away since `take_changed_pods`, kept
    /// only when `track_changes` is on (the traffic model reads them).
    changed: Option<OrdSet<String>>,
}

impl SimRuntime {
    /// `registry`: image sizes and bandwidth; `node_images`: sizes nodes report in
    /// `status.images` (used when the registry does not list an image).
    pub fn new(
        behaviors: Vec<Behavior>,
        registry: Option<&Registry>,
        node_images: impl IntoIterator<Item = (String, u64)>,
    ) -> SimRuntime {
        let mut sizes: OrdMap<String, u64> = OrdMap::from_iter(
            node_images
                .into_iter()
                .map(|(n, s)| (with_default_tag(&n), s)),
        );
        let mut bandwidth = DEFAULT_PULL_BANDWIDTH;
        if let Some(r) = registry {
            for i in &r.images {
                sizes.insert(with_default_tag(&i.name), i.size_bytes);
            }
            if let Some(b) = &r.pull_bandwidth {
                bandwidth = b.value().max(1) as u64;
            }
        }
        SimRuntime {
            behaviors,
            sizes,
            bandwidth,
            pods: OrdMap::new(),
            containers: OrdMap::new(),
            puller_free: OrdMap::new(),
            ips_assigned: 0,
            instances: 0,
            now: SimTime::ZERO,
            rng: None,
            changed: None,
        }
    }

    /// Keep the set of pods whose containers changed, for `take_changed_pods`.
    pub fn track_changes(&mut self) {
        self.changed.get_or_insert_with(Default::default);
    }

    /// Pods whose containers started, stopped or went away since the last call.
    pub fn take_changed_pods(&mut self) -> Vec<String> {
        self.changed
            .as_mut()
            .map(|c| std::mem::take(c).into_iter().collect())
            .unwrap_or_default()
    }

    fn touch(&mut self, pod_uid: &str) {
        if let Some(c) = &mut self.changed {
            if !c.contains(pod_uid) {
                c.insert(pod_uid.to_string());
            }
        }
    }

    /// The behaviour (index into the scenario's `behavior`) of a pod's container.
    pub fn behavior_index(&self, pod_uid: &str, container: &str) -> Option<usize> {
        self.behavior_for(pod_uid, container)
    }

    /// When the latest instance of a pod's container serves requests (`None`: it never
    /// started, or the runtime no longer holds it).
    pub fn serve_window(&self, node: &str, pod_uid: &str, container: &str) -> Option<ServeWindow> {
        let (_, c) = self
            .pod_containers(node, pod_uid)
            .filter(|(k, _)| k.container == container)
            .max_by_key(|(k, _)| k.attempt)?;
        let started = c.started_at?;
        let b = c.behavior.map(|i| &self.behaviors[i]);
        let until = match (c.stopping_at, c.exited_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Some(ServeWindow {
            from: started.after(c.startup_delay),
            until,
            broken_from: b.and_then(|b| b.unhealthy_after).map(|d| started.after(d)),
        })
    }

    pub fn set_now(&mut self, now: SimTime) {
        self.now = now;
    }

    /// Lend the run's generator for the next submissions; `take_rng` gives it back.
    pub fn lend_rng(&mut self, rng: SimRng) {
        self.rng = Some(rng);
    }

    pub fn take_rng(&mut self) -> Option<SimRng> {
        self.rng.take()
    }

    fn behavior_for(&self, pod_uid: &str, container: &str) -> Option<usize> {
        let labels = &self.pods.get(pod_uid)?.labels;
        crate::scenario::spec::behavior_index(&self.behaviors, labels, container)
    }

    /// A uniform draw in `0..=jitter` from the lent generator.
    fn jitter(&mut self, b: Option<usize>) -> Duration {
        let j = b
            .and_then(|i| self.behaviors[i].jitter)
            .unwrap_or(Duration::ZERO);
        match (&mut self.rng, j.as_millis()) {
            (_, 0) | (None, _) => Duration::ZERO,
            (Some(rng), ms) => Duration(rng.below(ms + 1)),
        }
    }

    /// How long a pull of `image` takes for this pod, and the size the runtime reports.
    fn pull_time(&self, pod_uid: &str, image: &str) -> (Duration, u64) {
        let size = self.sizes.get(&with_default_tag(image)).copied();
        let explicit = self
            .pods
            .get(pod_uid)
            .and_then(|p| {
                self.behaviors
                    .iter()
                    .find(|b| b.selector.matches(&p.labels))
            })
            .and_then(|b| b.pull_time);
        let took = match (explicit, size) {
            (Some(t), _) => t,
            (None, Some(s)) => Duration((s as u128 * 1000).div_ceil(self.bandwidth as u128) as u64),
            (None, None) => DEFAULT_PULL,
        };
        (took, size.unwrap_or(0))
    }

    /// The container's actual usage at `now`, per its behaviour (empty without one or when not
    /// running). For components that model usage (Borg reclamation, autoscaling).
    pub fn container_usage(&self, target: &ContainerRef, now: SimTime) -> ResourceList {
        let Some(c) = self.containers.get(target) else {
            return ResourceList::new();
        };
        match (c.running, c.started_at, c.behavior) {
            (true, Some(s), Some(b)) if s <= now => self.behaviors[b].usage_at(s, now),
            _ => ResourceList::new(),
        }
    }

    /// The summed usage of a pod's running containers at `now`.
    pub fn pod_usage(&self, pod_uid: &str, now: SimTime) -> Resources {
        let mut sum = Resources::default();
        for k in self.containers.keys().filter(|k| k.pod_uid == pod_uid) {
            sum.add(&Resources::from_list(&self.container_usage(k, now)));
        }
        sum
    }

    /// The cpu / memory usage at `now` of every pod with a running container that has a
    /// behaviour, by pod uid (`pod_usage`): what a kubelet's resource metrics would report,
    /// and what Borg resource reclamation observes.
    pub fn usage_by_pod(&self, now: SimTime) -> crate::collections::OrdMap<String, CpuMem> {
        let uids: OrdSet<&str> = self
            .containers
            .iter()
            .filter(|(_, c)| c.running && c.behavior.is_some())
            .map(|(k, _)| k.pod_uid.as_str())
            .collect();
        OrdMap::from_iter(
            uids.into_iter()
                .map(|uid| (uid.to_string(), CpuMem::of(&self.pod_usage(uid, now)))),
        )
    }

    /// A pod's container instances on a node: one contiguous run of `containers`, whose keys
    /// order by node, then pod uid.
    fn pod_containers<'a>(
        &'a self,
        node: &str,
        pod_uid: &'a str,
    ) -> impl Iterator<Item = (&'a ContainerRef, &'a SimContainer)> {
        let start = ContainerRef {
            node: node.to_string(),
            pod_uid: pod_uid.to_string(),
            container: String::new(),
            attempt: 0,
        };
        let node = start.node.clone();
        self.containers
            .range(start..)
            .take_while(move |(k, _)| k.node == node && k.pod_uid == pod_uid)
    }

    /// Container instances the runtime holds for a pod (running or dead), for tests and
    /// diagnostics.
    pub fn containers_of(&self, pod_uid: &str) -> Vec<ContainerRef> {
        self.containers
            .keys()
            .filter(|k| k.pod_uid == pod_uid)
            .cloned()
            .collect()
    }

    /// Instance stamp for an event about to be scheduled (0 for events that are never stale).
    pub fn incarnation(&self, ev: &RuntimeEvent) -> u64 {
        match ev {
            RuntimeEvent::ContainerExited { target, .. } => {
                self.containers.get(target).map_or(0, |c| c.instance)
            }
            _ => 0,
        }
    }

    /// Is a scheduled event still true when it fires? An exit is dropped when its instance is
    /// gone or already exited (the natural exit and the stop race; the first wins).
    pub fn accept(&mut self, incarnation: u64, ev: &RuntimeEvent) -> bool {
        match ev {
            RuntimeEvent::ContainerExited { target, .. } => match self.containers.get_mut(target) {
                Some(c) if c.instance == incarnation && c.running => {
                    c.running = false;
                    c.exited_at = Some(self.now);
                    self.touch(&target.pod_uid);
                    true
                }
                _ => false,
            },
            RuntimeEvent::ContainerRemoved { target } => {
                self.containers.remove(target);
                self.touch(&target.pod_uid);
                true
            }
            RuntimeEvent::SandboxRemoved { node, pod_uid } => {
                self.touch(pod_uid);
                self.pods.remove(pod_uid);
                let gone: Vec<ContainerRef> = self
                    .pod_containers(node, pod_uid)
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in gone {
                    self.containers.remove(&k);
                }
                true
            }
            _ => true,
        }
    }

    /// Forget everything on a node (it failed: its processes are gone).
    pub fn wipe_node(&mut self, node: &str) {
        let gone: Vec<String> = self
            .containers
            .keys()
            .filter(|k| k.node == node)
            .map(|k| k.pod_uid.clone())
            .collect();
        for p in gone {
            self.touch(&p);
        }
        self.containers.retain(|k, _| k.node != node);
        self.puller_free.remove(node);
    }

    /// The natural end of a process started now: `runFor` (with jitter), an OOM kill, or an
    /// init container's default run. Returns (after, exit code, oom).
    fn natural_exit(&mut self, c: &SimContainer) -> Option<(Duration, i32, bool)> {
        let b = c.behavior.map(|i| &self.behaviors[i]);
        let run_for = b.and_then(|b| b.run_for);
        let code = b.map_or(0, |b| b.exit_code);
        let started = c.started_at.unwrap_or(self.now);
        let oom = b.and_then(|b| oom_after(b, &c.spec, started));
        let run = match run_for {
            Some(d) => {
                let extra = self.jitter(c.behavior);
                Some((Duration(d.as_millis() + extra.as_millis()), code, false))
            }
            None if c.run_to_completion => Some((INIT_RUN, 0, false)),
            None => None,
        };
        match (run, oom) {
            (Some(r), Some(o)) if r.0 <= o => Some(r),
            (_, Some(o)) => Some((o, EXIT_SIGKILL, true)),
            (r, None) => r,
        }
    }

    /// The output of a failed probe, as upstream's probers word it.
    fn probe_output(&self, target: &ContainerRef, probe: &Probe, unhealthy: bool) -> String {
        let ip = self.pods.get(&target.pod_uid).map_or("", |p| p.ip.as_str());
        let spec = self.containers.get(target).map(|c| &c.spec);
        let port = |p: &crate::api::meta::IntOrString| -> String {
            match p {
                crate::api::meta::IntOrString::Int(n) => n.to_string(),
                crate::api::meta::IntOrString::Str(name) => spec
                    .and_then(|s| s.ports.iter().find(|cp| &cp.name == name))
                    .map_or(name.clone(), |cp| cp.container_port.to_string()),
            }
        };
        if let Some(h) = &probe.http_get {
            if unhealthy {
                return "HTTP probe failed with statuscode: 500".into();
            }
            let scheme = if h.scheme.is_empty() {
                "http".to_string()
            } else {
                h.scheme.to_lowercase()
            };
            let host = if h.host.is_empty() { ip } else { &h.host };
            let path = if h.path.is_empty() { "/" } else { &h.path };
            let p = port(&h.port);
            return format!(
                "Get \"{scheme}://{host}:{p}{path}\": dial tcp {host}:{p}: connect: connection refused"
            );
        }
        if let Some(t) = &probe.tcp_socket {
            let host = if t.host.is_empty() { ip } else { &t.host };
            return format!(
                "dial tcp {host}:{}: connect: connection refused",
                port(&t.port)
            );
        }
        if let Some(g) = &probe.grpc {
            if unhealthy {
                return "service unhealthy (responded with \"NOT_SERVING\")".into();
            }
            return format!(
                "timeout: failed to connect service \"{ip}:{}\" within {}s",
                g.port,
                probe.timeout_seconds()
            );
        }
        // exec: the command's own output, which the model does not know.
        String::new()
    }
}

/// When the behaviour's memory usage first exceeds the container's memory limit (since the
/// start at `started`), if ever.
pub fn oom_after(b: &Behavior, spec: &Container, started: SimTime) -> Option<Duration> {
    let limit = spec
        .resources
        .limits
        .get(crate::api::resources::MEMORY)?
        .value();
    let over = |t: Duration| {
        b.usage_at(started, started.after(t))
            .get(crate::api::resources::MEMORY)
            .is_some_and(|u| u.value() > limit)
    };
    b.usage_changes(started).into_iter().find(|t| over(*t))
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
                self.ips_assigned += 1;
                let n = self.ips_assigned;
                let ip = format!(
                    "10.{}.{}.{}",
                    244 + (n >> 16) % 8,
                    (n >> 8) & 0xff,
                    n & 0xff
                );
                self.pods.insert(
                    pod_uid.clone(),
                    SimPod {
                        labels,
                        ip: ip.clone(),
                    },
                );
                out.push((
                    SANDBOX_DELAY,
                    RuntimeEvent::SandboxReady { node, pod_uid, ip },
                ));
            }
            RuntimeCommand::StopPodSandbox { node, pod_uid } => {
                for (k, c) in self.pod_containers(&node, &pod_uid) {
                    if c.running {
                        out.push((
                            Duration::ZERO,
                            RuntimeEvent::ContainerExited {
                                target: k.clone(),
                                exit_code: EXIT_SIGKILL,
                                oom_killed: false,
                            },
                        ));
                    }
                }
                out.push((
                    SANDBOX_STOP_DELAY,
                    RuntimeEvent::SandboxStopped { node, pod_uid },
                ));
            }
            RuntimeCommand::RemovePodSandbox { node, pod_uid } => {
                out.push((
                    SANDBOX_STOP_DELAY,
                    RuntimeEvent::SandboxRemoved { node, pod_uid },
                ));
            }
            RuntimeCommand::PullImage {
                node,
                pod_uid,
                image,
            } => {
                let (took, size) = self.pull_time(&pod_uid, &image);
                let free = self.puller_free.get(&node).copied().unwrap_or(self.now);
                let done = free.max(self.now).after(took);
                self.puller_free.insert(node.clone(), done);
                let total = done.since(self.now);
                out.push((
                    total,
                    RuntimeEvent::ImagePulled {
                        node,
                        pod_uid,
                        image,
                        pull_ms: took.as_millis(),
                        total_ms: total.as_millis(),
                        size_bytes: size,
                    },
                ));
            }
            RuntimeCommand::CreateContainer {
                target, init, spec, ..
            } => {
                let spec = std::rc::Rc::new(*spec);
                let behavior = self.behavior_for(&target.pod_uid, &target.container);
                self.instances += 1;
                self.containers.insert(
                    target.clone(),
                    SimContainer {
                        run_to_completion: init && !spec.is_restartable_init(),
                        spec,
                        behavior,
                        instance: self.instances,
                        started_at: None,
                        running: false,
                        startup_delay: Duration::ZERO,
                        stopping_at: None,
                        exited_at: None,
                    },
                );
                out.push((CREATE_DELAY, RuntimeEvent::ContainerCreated { target }));
            }
            RuntimeCommand::StartContainer { target } => {
                let Some(mut c) = self.containers.get(&target).cloned() else {
                    return;
                };
                if c.running || c.started_at.is_some() {
                    return;
                }
                let b = c.behavior;
                let delay = b
                    .and_then(|i| self.behaviors[i].startup_delay)
                    .unwrap_or(Duration::ZERO);
                let extra = if b.is_some_and(|i| self.behaviors[i].startup_delay.is_some()) {
                    self.jitter(b)
                } else {
                    Duration::ZERO
                };
                c.startup_delay = Duration(delay.as_millis() + extra.as_millis());
                c.started_at = Some(self.now.after(START_DELAY));
                c.running = true;
                self.touch(&target.pod_uid);
                out.push((
                    START_DELAY,
                    RuntimeEvent::ContainerStarted {
                        target: target.clone(),
                    },
                ));
                if let Some((after, code, oom)) = self.natural_exit(&c) {
                    out.push((
                        Duration(START_DELAY.as_millis() + after.as_millis()),
                        RuntimeEvent::ContainerExited {
                            target: target.clone(),
                            exit_code: code,
                            oom_killed: oom,
                        },
                    ));
                }
                self.containers.insert(target, c);
            }
            RuntimeCommand::StopContainer {
                target,
                timeout_seconds,
            } => {
                let Some(c) = self.containers.get_mut(&target) else {
                    return;
                };
                if !c.running {
                    return;
                }
                if c.stopping_at.is_none() {
                    c.stopping_at = Some(self.now);
                }
                self.touch(&target.pod_uid);
                let c = self.containers.get(&target).expect("just read");
                let shutdown = c
                    .behavior
                    .and_then(|i| self.behaviors[i].shutdown_delay)
                    .unwrap_or(STOP_DELAY);
                let timeout = Duration::from_secs(timeout_seconds);
                let (after, code) = if shutdown < timeout {
                    (shutdown, EXIT_SIGTERM)
                } else {
                    (timeout, EXIT_SIGKILL)
                };
                out.push((
                    after,
                    RuntimeEvent::ContainerExited {
                        target,
                        exit_code: code,
                        oom_killed: false,
                    },
                ));
            }
            RuntimeCommand::RemoveContainer { target } => {
                out.push((Duration::ZERO, RuntimeEvent::ContainerRemoved { target }));
            }
            RuntimeCommand::RunProbe {
                target,
                probe_type,
                probe,
                ..
            } => {
                let now = self.now;
                let (success, unhealthy) = match self.containers.get(&target) {
                    Some(c) if c.running => {
                        let since = c.started_at.map_or(Duration::ZERO, |s| now.since(s));
                        let b = c.behavior.map(|i| &self.behaviors[i]);
                        let broken = b
                            .and_then(|b| b.unhealthy_after)
                            .is_some_and(|u| since >= u);
                        (since >= c.startup_delay && !broken, broken)
                    }
                    _ => (false, false),
                };
                let output = if success {
                    String::new()
                } else {
                    self.probe_output(&target, &probe, unhealthy)
                };
                out.push((
                    Duration::ZERO,
                    RuntimeEvent::ProbeResult {
                        target,
                        probe_type,
                        success,
                        output,
                    },
                ));
            }
            RuntimeCommand::RunLifecycleHook {
                target, timeout_ms, ..
            } => {
                let Some(c) = self.containers.get(&target) else {
                    return;
                };
                let took = c
                    .behavior
                    .and_then(|i| self.behaviors[i].pre_stop_duration)
                    .unwrap_or(Duration::ZERO);
                let success = c.running && took.as_millis() <= timeout_ms;
                out.push((
                    Duration(took.as_millis().min(timeout_ms)),
                    RuntimeEvent::HookCompleted {
                        target,
                        hook: HookType::PreStop,
                        success,
                    },
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::selector::LabelSelector;
    use crate::api::Quantity;
    use crate::scenario::spec::{UsageAfter, UsageStep};

    fn behavior() -> Behavior {
        Behavior {
            selector: LabelSelector::default(),
            container: None,
            startup_delay: None,
            run_for: None,
            exit_code: 0,
            usage: ResourceList::from([("memory".to_string(), Quantity::parse("100Mi").unwrap())]),
            usage_steps: vec![
                UsageStep {
                    after: Duration::from_secs(60),
                    usage: ResourceList::from([(
                        "memory".to_string(),
                        Quantity::parse("300Mi").unwrap(),
                    )]),
                },
                UsageStep {
                    after: Duration::from_secs(120),
                    usage: ResourceList::from([(
                        "memory".to_string(),
                        Quantity::parse("600Mi").unwrap(),
                    )]),
                },
            ],
            usage_after: None,
            pull_time: None,
            jitter: None,
            unhealthy_after: None,
            shutdown_delay: None,
            pre_stop_duration: None,
            capacity_rps: None,
            latency: None,
            latency_after: None,
            calls: Vec::new(),
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO.after(Duration::from_secs(s))
    }

    #[test]
    fn usage_profile_steps() {
        let b = behavior();
        let mem = |t: u64| b.usage_at(at(7), at(7 + t))["memory"].to_string();
        assert_eq!(mem(0), "100Mi");
        assert_eq!(mem(59), "100Mi");
        assert_eq!(mem(60), "300Mi");
        assert_eq!(mem(500), "600Mi");
    }

    #[test]
    fn usage_after_is_a_step_on_the_scenario_clock_that_replaces_the_usage() {
        let mut b = behavior();
        b.usage.insert("cpu".into(), Quantity::parse("1").unwrap());
        b.usage_after = Some(UsageAfter {
            at: Duration::from_secs(100),
            usage: ResourceList::from([("cpu".to_string(), Quantity::parse("3").unwrap())]),
        });
        let get = |started, now, r: &str| {
            b.usage_at(at(started), at(now))
                .get(r)
                .map(|q| q.to_string())
                .unwrap_or_default()
        };
        // Started at 10s: 100Mi, 300Mi from 70s; the whole usage replaced at 100s; the
        // container's 120s step (at 130s) overrides memory again.
        assert_eq!(
            (get(10, 99, "cpu"), get(10, 99, "memory")),
            ("1".into(), "300Mi".into())
        );
        assert_eq!(
            (get(10, 100, "cpu"), get(10, 100, "memory")),
            ("3".into(), String::new())
        );
        assert_eq!(
            (get(10, 130, "cpu"), get(10, 130, "memory")),
            ("3".into(), "600Mi".into())
        );
        // Started after `at` (a restart): replaced from the start, then the steps.
        assert_eq!(
            (get(200, 200, "cpu"), get(200, 200, "memory")),
            ("3".into(), String::new())
        );
        assert_eq!(
            (get(200, 260, "cpu"), get(200, 260, "memory")),
            ("3".into(), "300Mi".into())
        );
        // A step at the same instant as `usageAfter` comes first: the replacement wins.
        assert_eq!(get(40, 100, "memory"), String::new());
        assert_eq!(
            b.usage_changes(at(10)),
            [0, 60, 90, 120].map(Duration::from_secs).to_vec()
        );
    }

    #[test]
    fn oom_when_usage_first_exceeds_the_limit() {
        let b = behavior();
        let mut c = Container::default();
        c.resources
            .limits
            .insert("memory".into(), Quantity::parse("512Mi").unwrap());
        assert_eq!(oom_after(&b, &c, at(3)), Some(Duration::from_secs(120)));
        c.resources
            .limits
            .insert("memory".into(), Quantity::parse("64Mi").unwrap());
        assert_eq!(oom_after(&b, &c, at(3)), Some(Duration::ZERO));
        c.resources.limits.clear();
        assert_eq!(oom_after(&b, &c, at(3)), None, "no limit, no OOM kill");
        // `usageAfter` counts too: 1Gi from 50s on the scenario clock, 30s after a start at 20s.
        let mut b = behavior();
        b.usage_steps.clear();
        b.usage_after = Some(UsageAfter {
            at: Duration::from_secs(50),
            usage: ResourceList::from([("memory".to_string(), Quantity::parse("1Gi").unwrap())]),
        });
        c.resources
            .limits
            .insert("memory".into(), Quantity::parse("512Mi").unwrap());
        assert_eq!(oom_after(&b, &c, at(20)), Some(Duration::from_secs(30)));
    }

    /// Borg reclamation reads usage through `usage_by_pod`, which is `pod_usage`, which is
    /// `Behavior::usage_at` of each running container: the same profile that drives OOM
    /// kills, `usageAfter` included.
    #[test]
    fn usage_by_pod_is_the_usage_profile_of_running_containers() {
        let mut b = behavior();
        b.usage.insert("cpu".into(), Quantity::parse("1").unwrap());
        b.usage_after = Some(UsageAfter {
            at: Duration::from_secs(100),
            usage: ResourceList::from([
                ("cpu".to_string(), Quantity::parse("3").unwrap()),
                ("memory".to_string(), Quantity::parse("1Gi").unwrap()),
            ]),
        });
        let mut rt = SimRuntime::new(vec![b], None, []);
        let target = ContainerRef {
            node: "n".into(),
            pod_uid: "u".into(),
            container: "c".into(),
            attempt: 0,
        };
        let mut out = Vec::new();
        rt.submit(
            RuntimeCommand::RunPodSandbox {
                node: "n".into(),
                pod_uid: "u".into(),
                namespace: "default".into(),
                name: "p".into(),
                labels: OrdMap::new(),
            },
            &mut out,
        );
        rt.submit(
            RuntimeCommand::CreateContainer {
                target: target.clone(),
                image: "i".into(),
                init: false,
                spec: Box::new(Container {
                    name: "c".into(),
                    ..Default::default()
                }),
            },
            &mut out,
        );
        assert!(rt.usage_by_pod(at(1)).is_empty(), "created, not running");
        rt.set_now(at(10));
        rt.submit(RuntimeCommand::StartContainer { target }, &mut out);
        let cpu_mem = |t| {
            let u = rt.usage_by_pod(at(t))["u"];
            assert_eq!(CpuMem::of(&rt.pod_usage("u", at(t))), u);
            (u.milli_cpu, u.memory >> 20)
        };
        // Started at 10.1s: 1 cpu and 100Mi, 300Mi from 70.1s, then usageAfter at 100s.
        assert_eq!(cpu_mem(11), (1000, 100));
        assert_eq!(cpu_mem(71), (1000, 300));
        assert_eq!(cpu_mem(100), (3000, 1024));
        // The step 120s after the start (130.1s) applies on top of the replaced usage.
        assert_eq!(cpu_mem(131), (3000, 600));
    }

    #[test]
    fn pulls_are_serialized_per_node_and_timed_by_size() {
        let registry = Registry {
            pull_bandwidth: Some(Quantity::parse("10Mi").unwrap()),
            images: vec![crate::scenario::spec::RegistryImage {
                name: "big".into(),
                size_bytes: 50 * 1024 * 1024,
            }],
        };
        let mut rt = SimRuntime::new(vec![], Some(&registry), []);
        let mut out = Vec::new();
        for (uid, image) in [("a", "big"), ("b", "small:1")] {
            rt.submit(
                RuntimeCommand::PullImage {
                    node: "n".into(),
                    pod_uid: uid.into(),
                    image: image.into(),
                },
                &mut out,
            );
        }
        let got: Vec<(u64, u64, u64, u64)> = out
            .iter()
            .map(|(d, e)| match e {
                RuntimeEvent::ImagePulled {
                    pull_ms,
                    total_ms,
                    size_bytes,
                    ..
                } => (d.as_millis(), *pull_ms, *total_ms, *size_bytes),
                _ => panic!(),
            })
            .collect();
        // 50Mi at 10Mi/s = 5s; the unknown image takes the default 2s after it.
        assert_eq!(
            got,
            [(5_000, 5_000, 5_000, 52_428_800), (7_000, 2_000, 7_000, 0)]
        );
    }
}
