//! `cellsim run --real` (issue 9, docs/real-cluster.md): the core's control plane (store,
//! controllers, scheduler, timeline, expectations: `cellsim_core::sim::Sim` with its kubelets
//! detached, `sim::external`) driven by a real-time clock, and every scenario node a network
//! namespace (`net::ClusterNet`, node i → 10.244.i.0/24) with its own agent, `LinuxRuntime`
//! and service proxy on a thread of its own (`host`), talking to the control plane only in
//! `cellsim_core::agent_api` lines over std channels.
//!
//! Modules: `host` (a node's thread: the agent side of the session), `track` (placements,
//! start latencies, rollout durations read from the store, the same for the simulated run),
//! `traffic` (the scenario's `traffic` as real HTTP requests from a client namespace),
//! `compare` (the simulated run of the same scenario and seed, side by side).
//!
//! Time: the control plane's clock is real milliseconds since the start times `time_scale`;
//! the agents run on the same scale (`Agent::new`), so a scenario's minutes can pass in
//! seconds while pods, probes and grace periods keep their proportions.

pub mod compare;
pub mod host;
pub mod ingress;
pub mod track;
pub mod traffic;

use crate::agent::Agent;
use crate::error::{Error, Result};
use crate::net::node::{ClusterNet, NetConfig};
use crate::proxy::Proxy;
use crate::runtime::{Config, LinuxRuntime, OnStart};
use cellsim_core::agent_api::{AgentMessage, ControlMessage, PodUsage, RealImage};
use cellsim_core::api::resources::CpuMem;
use cellsim_core::api::{Kind, Object};
use cellsim_core::collections::OrdMap;
use cellsim_core::net::select::ProxyMode;
use cellsim_core::net::traffic::stats::ServiceReport;
use cellsim_core::net::traffic::Via;
use cellsim_core::scenario::timeline::Action;
use cellsim_core::scenario::Scenario;
use cellsim_core::sim::{RunOptions, Sim};
use cellsim_core::store::ObjectStore;
use cellsim_core::time::SimTime;
use host::NodeHost;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The kubelet's `nodeLeaseDurationSeconds`: an agent silent this long lost its node.
pub const LEASE_DURATION_MS: u64 = 40_000;

/// How a real run is set up.
#[derive(Clone, Debug)]
pub struct RealOptions {
    /// Namespace prefix (`cellsim-run`; tests `cellsim-test-<pid>-<name>`).
    pub prefix: String,
    /// Per-node state under `<state_dir>/<node>`; removed at the end.
    pub state_dir: PathBuf,
    pub image_root: PathBuf,
    /// The container helper's argv prefix (`Config::init`).
    pub init: Vec<String>,
    /// Node i's pods go under the cgroup `<cgroup_prefix>-<node>`.
    pub cgroup_prefix: String,
    /// Simulated milliseconds per real millisecond (1: real time).
    pub time_scale: u64,
    /// Cap on each traffic entry's requests per real second.
    pub max_rps: f64,
    /// The seed (else the scenario's).
    pub seed: Option<u64>,
    /// Keep the trace (control plane events and the agents' kubelet events) in `RealRun`.
    pub keep_trace: bool,
    /// Set (by a signal handler) to stop the run early; teardown still runs.
    pub stop: Arc<AtomicBool>,
}

impl RealOptions {
    pub fn new(prefix: &str, state_dir: PathBuf, init: Vec<String>) -> RealOptions {
        RealOptions {
            prefix: prefix.to_string(),
            image_root: state_dir.join("images"),
            state_dir,
            init,
            cgroup_prefix: prefix.to_string(),
            time_scale: 1,
            max_rps: 20.0,
            seed: None,
            keep_trace: false,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// What a real run gave.
pub struct RealRun {
    /// The control plane's report (expectations, pods, ...), its `services` the measured ones.
    pub report: cellsim_core::report::Report,
    pub tracker: track::Tracker,
    /// Measured per Service.
    pub services: Vec<ServiceReport>,
    /// Stopped by `stop` before the scenario's end.
    pub interrupted: bool,
    /// What went wrong on the way (agents, proxies, teardown), for the summary.
    pub errors: Vec<String>,
    /// Notes (unsupported timeline actions, ...).
    pub notes: Vec<String>,
    /// The trace (JSON lines) with `RealOptions::keep_trace`.
    pub trace: Vec<u8>,
    /// The highest measured usage the control plane recorded per pod (`namespace/name`):
    /// CPU rate and working set from the agents' `usage` messages.
    pub peak_usage: BTreeMap<String, CpuMem>,
}

/// metrics-server's side of the agents' `usage` messages: a pod's CPU rate from two
/// cumulative samples over the time between them (the first sample of a pod gives none, as
/// metrics-server's first scrape), its working set as sent. A node's pods missing from its
/// message are gone; a lost node's pods have no metrics.
#[derive(Default)]
struct PodMetrics {
    /// Per pod uid: its node, the last cumulative CPU nanoseconds and when they came.
    last: BTreeMap<String, (String, u64, Instant)>,
    /// The latest usage by pod uid: what the control plane's HPA and reclamation read.
    usage: cellsim_core::collections::OrdMap<String, CpuMem>,
}

impl PodMetrics {
    fn record(&mut self, node: &str, pods: &[PodUsage], at: Instant) {
        let reported: BTreeSet<&str> = pods.iter().map(|p| p.pod_uid.as_str()).collect();
        self.forget(|uid, n| n == node && !reported.contains(uid));
        for p in pods {
            if let Some((_, cpu, t)) = self.last.get(&p.pod_uid) {
                let dt = at.duration_since(*t).as_nanos();
                if p.cpu_nanos >= *cpu && dt > 0 {
                    let milli_cpu = ((p.cpu_nanos - cpu) as u128 * 1000 / dt) as i64;
                    let memory = p.working_set_bytes.min(i64::MAX as u64) as i64;
                    self.usage
                        .insert(p.pod_uid.clone(), CpuMem { milli_cpu, memory });
                }
            }
            self.last
                .insert(p.pod_uid.clone(), (node.to_string(), p.cpu_nanos, at));
        }
    }

    fn forget_node(&mut self, node: &str) {
        self.forget(|_, n| n == node);
    }

    fn forget(&mut self, f: impl Fn(&str, &str) -> bool) {
        let gone: Vec<String> = self
            .last
            .iter()
            .filter(|(uid, (n, ..))| f(uid, n))
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in gone {
            self.last.remove(&uid);
            self.usage.remove(&uid);
        }
    }
}

/// Everything the run made; `Drop` takes it all down (also on a panic or an early return).
struct Cluster {
    net: Option<ClusterNet>,
    hosts: BTreeMap<String, NodeHost>,
    sources: Vec<traffic::Source>,
    /// The ingress controller (with a traffic entry through an Ingress).
    ingress: Option<ingress::IngressRouter>,
    traffic_stop: Arc<AtomicBool>,
    state_dirs: Vec<PathBuf>,
    errors: Vec<String>,
    measured: BTreeMap<(String, String), traffic::Measured>,
    /// Per traffic entry.
    by_entry: BTreeMap<String, traffic::Measured>,
}

impl Cluster {
    fn teardown(&mut self) {
        self.traffic_stop.store(true, Ordering::SeqCst);
        for s in std::mem::take(&mut self.sources) {
            let entry = s.entry.clone();
            let (m, per) = s.join();
            for (key, m) in per {
                self.measured.entry(key).or_default().merge(&m);
            }
            self.by_entry.entry(entry).or_default().merge(&m);
        }
        if let Some(mut r) = self.ingress.take() {
            r.shutdown();
        }
        // Set every stop flag first so the nodes shut down in parallel.
        for h in self.hosts.values() {
            h.stop.store(true, Ordering::SeqCst);
        }
        for h in self.hosts.values_mut() {
            let errs = h.stop_and_join();
            self.errors.extend(errs);
        }
        if let Some(mut net) = self.net.take() {
            for e in net.teardown() {
                self.errors.push(format!("network teardown: {e}"));
            }
        }
        for d in std::mem::take(&mut self.state_dirs) {
            let _ = std::fs::remove_dir_all(&d);
            // The run's directory too when nothing else is in it.
            if let Some(parent) = d.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// What the control plane tracks of a pod it handed to an agent.
struct Handed {
    namespace: String,
    name: String,
    node: String,
    delete_sent: bool,
}

/// Run the scenario for real. Everything made is removed before this returns, whatever
/// happens.
pub fn run(scenario: Scenario, opts: &RealOptions) -> Result<RealRun> {
    let images: OrdMap<String, RealImage> = scenario
        .real
        .as_ref()
        .map(|r| r.agent_images())
        .unwrap_or_default();
    let mode = proxy_mode(&scenario)?;
    let run_opts = RunOptions {
        seed: opts.seed,
        keep_trace: opts.keep_trace,
        ..RunOptions::default()
    };
    let seed = opts.seed.unwrap_or(scenario.seed);
    let nodes = scenario.nodes.clone();
    let names: Vec<String> = nodes.iter().map(|n| n.metadata.name.clone()).collect();
    let notes = Vec::new();
    let mut cluster = Cluster {
        net: None,
        hosts: BTreeMap::new(),
        sources: Vec::new(),
        ingress: None,
        traffic_stop: Arc::new(AtomicBool::new(false)),
        state_dirs: Vec::new(),
        errors: Vec::new(),
        measured: BTreeMap::new(),
        by_entry: BTreeMap::new(),
    };
    cluster.net = Some(ClusterNet::create(NetConfig::new(&opts.prefix), &names)?);
    let net = cluster.net.as_mut().expect("set above");
    let client_via = net.nodes.first().map(|n| n.node_ip);
    let client = match client_via {
        Some(via) if !scenario.traffic.is_empty() => Some(net.add_client(via)?),
        _ => None,
    };
    // The ingress controller, in front of the Services in the client's namespace.
    if let Some(c) = &client {
        if scenario.traffic.iter().any(|t| t.ingress.is_some()) {
            let ip = net
                .cfg
                .switch_cidr
                .nth(crate::net::node::CLIENT_INDEX)
                .ok_or_else(|| Error::Net("the switch subnet has no client address".into()))?;
            cluster.ingress = Some(ingress::IngressRouter::start(
                c,
                SocketAddrV4::new(ip, 80),
                seed,
            )?);
        }
    }
    // Runtimes and proxies first, the agents (whose clocks start at creation) last, together.
    let mut parts = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let nn = net.nodes[i].clone();
        let (rt, rx, proxy) = node_parts(
            opts,
            &mut cluster.state_dirs,
            &nn,
            mode,
            seed,
            OnStart::Cleanup,
        )?;
        parts.push((n.metadata.name.clone(), nn, rt, rx, proxy, allocatable(n)));
    }
    let mut sim = Sim::new(scenario, &run_opts);
    sim.detach_kubelets();
    let epoch = Instant::now();
    for (name, nn, rt, rx, proxy, alloc) in parts {
        let agent = Agent::with_epoch(rt, rx, opts.time_scale, epoch);
        let h = host::spawn(
            &name,
            nn.node_ip.to_string(),
            nn.pod_cidr.to_string(),
            alloc,
            agent,
            proxy,
        );
        cluster.hosts.insert(name, h);
    }
    let mut client_via = client_via;

    let scale = opts.time_scale.max(1);
    let mut tracker = track::Tracker::new(&sim);
    tracker.observe(&sim);
    let mut handed: BTreeMap<String, Handed> = BTreeMap::new();
    let mut services_sent: BTreeMap<String, String> = BTreeMap::new();
    let mut timeline_done: BTreeSet<usize> = BTreeSet::new();
    let mut traffic_started: BTreeSet<usize> = BTreeSet::new();
    let mut last_rev = u64::MAX;
    let mut interrupted = false;
    let mut metrics = PodMetrics::default();
    let mut peak_usage: BTreeMap<String, CpuMem> = BTreeMap::new();
    // From the start the HPA and reclamation read the agents' measured usage (none yet).
    sim.set_external_usage(cellsim_core::collections::OrdMap::new());
    loop {
        if opts.stop.load(Ordering::SeqCst) {
            interrupted = true;
            break;
        }
        let now = SimTime(epoch.elapsed().as_millis() as u64 * scale);
        let more = sim.advance_external(now);
        // failNode: the node's agent stops (its containers with it) and its link goes down;
        // recoverNode: a new agent (re-adopting what survived, cleaning up the rest, as a
        // restarted kubelet does) on the control plane's clock, and the link comes back up.
        for i in 0..sim.scenario.timeline.len() {
            let e = &sim.scenario.timeline[i];
            if e.at.as_millis() > sim.now.0 || !timeline_done.insert(i) {
                continue;
            }
            match e.action.clone() {
                Action::FailNode(n) => {
                    if metrics.last.values().any(|(m, ..)| *m == n) {
                        metrics.forget_node(&n);
                        sim.set_external_usage(metrics.usage.clone());
                    }
                    if let Some(h) = cluster.hosts.get_mut(&n) {
                        h.alive = false;
                        h.stop.store(true, Ordering::SeqCst);
                    }
                    let net = cluster.net.as_ref().expect("set");
                    if let Some(nn) = net.node(&n).cloned() {
                        if let Err(e) = net.set_port(nn.index, false) {
                            cluster.errors.push(format!("failNode {n}: {e}"));
                        }
                        if client_via == Some(nn.node_ip) {
                            client_via = reroute_client(net, &cluster.hosts);
                        }
                    }
                }
                // A node whose agent still runs keeps it (and its pods).
                Action::RecoverNode(n) if cluster.hosts.get(&n).is_some_and(|h| h.alive) => {}
                Action::RecoverNode(n) => {
                    match recover_node(&mut cluster, opts, &n, mode, seed, epoch, now) {
                        Ok(()) => {
                            // Its pods go to the new agent again; every Service too.
                            handed.retain(|_, p| p.node != n);
                            services_sent.clear();
                            last_rev = u64::MAX;
                        }
                        Err(e) => cluster.errors.push(format!("recoverNode {n}: {e}")),
                    }
                }
                _ => {}
            }
        }
        // Nodes that joined (addNodes, the autoscaler, an applied Node) get a namespace and
        // an agent; nodes that left (removeNodes) lose theirs.
        if sim.store.revision() != last_rev {
            let in_store: BTreeSet<String> = sim
                .store
                .objects(Kind::Node)
                .filter_map(|o| match o {
                    Object::Node(n) => Some(n.metadata.name.clone()),
                    _ => None,
                })
                .collect();
            let gone: Vec<String> = cluster
                .hosts
                .keys()
                .filter(|n| !in_store.contains(*n))
                .cloned()
                .collect();
            for n in gone {
                remove_node(&mut cluster, opts, &n);
                handed.retain(|_, p| p.node != n);
                let net = cluster.net.as_ref().expect("set");
                if client_via.is_some_and(|ip| !net.nodes.iter().any(|m| m.node_ip == ip)) {
                    client_via = reroute_client(net, &cluster.hosts);
                }
            }
            for o in sim.store.objects(Kind::Node) {
                let Object::Node(node) = o else { continue };
                if cluster.hosts.contains_key(&node.metadata.name) {
                    continue;
                }
                let name = node.metadata.name.clone();
                match add_node(&mut cluster, opts, node, mode, seed, epoch, now) {
                    Ok(()) => {
                        services_sent.clear();
                    }
                    Err(e) => {
                        cluster
                            .errors
                            .push(format!("node {name}: not started: {e}"));
                        // Not tried again: its pods stay pending on the control plane's side.
                        cluster
                            .hosts
                            .insert(name.clone(), host::NodeHost::dead(&name));
                    }
                }
            }
        }
        // What the agents said; an agent whose thread ended, or that said nothing for a
        // lease duration (nodeLeaseDurationSeconds 40), lost its node.
        let mut got = Vec::new();
        let mut lost = Vec::new();
        for h in cluster.hosts.values_mut() {
            if h.alive
                && (h.thread.as_ref().is_some_and(|t| t.is_finished())
                    || now.0.saturating_sub(h.last_heard.0) > LEASE_DURATION_MS)
            {
                h.alive = false;
                lost.push(h.name.clone());
            }
            while let Ok(line) = h.from_agent.try_recv() {
                h.last_heard = now;
                match h.rx.accept::<AgentMessage>(&line) {
                    Ok(m) => got.push((h.name.clone(), m)),
                    Err(e) => cluster.errors.push(format!("node {}: {e}", h.name)),
                }
            }
        }
        for n in lost {
            metrics.forget_node(&n);
            sim.set_external_usage(metrics.usage.clone());
            cluster
                .errors
                .push(format!("node {n}: its agent stopped renewing its lease"));
            sim.external_node_lost(now, &n);
        }
        let idle = got.is_empty();
        for (node, m) in got {
            match m {
                AgentMessage::Register { node: n, .. } => {
                    let h = cluster.hosts.get_mut(&node).expect("known host");
                    if n == node {
                        h.send(&ControlMessage::Welcome { node: n });
                    } else {
                        h.send(&ControlMessage::Refused {
                            reason: format!("this channel belongs to node {node}, not {n}"),
                        });
                    }
                }
                AgentMessage::PodStatus {
                    pod_uid, status, ..
                } => {
                    if let Some(p) = handed.get(&pod_uid) {
                        sim.external_pod_status(now, &p.namespace, &p.name, &pod_uid, *status);
                    }
                }
                AgentMessage::PodDeleted { pod_uid, .. } => {
                    if let Some(p) = handed.get(&pod_uid) {
                        sim.external_pod_deleted(now, &p.namespace, &p.name, &pod_uid);
                    }
                }
                AgentMessage::PodEvent {
                    node,
                    pod,
                    reason,
                    message,
                    ..
                } => {
                    // Into the run's trace as the simulated kubelet's events go (at the
                    // control plane's clock, which keeps the trace in time order).
                    sim.trace.emit(cellsim_core::engine::TraceEvent {
                        t: now,
                        kind: reason,
                        object: format!("Pod/{pod}"),
                        node: Some(node),
                        message,
                    });
                }
                AgentMessage::Usage { pods, .. } => {
                    metrics.record(&node, &pods, Instant::now());
                    for (uid, u) in &metrics.usage {
                        if let Some(p) = handed.get(uid) {
                            let peak = peak_usage
                                .entry(format!("{}/{}", p.namespace, p.name))
                                .or_default();
                            peak.milli_cpu = peak.milli_cpu.max(u.milli_cpu);
                            peak.memory = peak.memory.max(u.memory);
                        }
                    }
                    sim.set_external_usage(metrics.usage.clone());
                }
                AgentMessage::Heartbeat { .. } => {}
            }
        }
        if sim.store.revision() != last_rev {
            reconcile(
                &mut sim,
                &mut cluster.hosts,
                &mut handed,
                &mut services_sent,
                &images,
                now,
            );
            last_rev = sim.store.revision();
            tracker.observe(&sim);
            if let Some(r) = &cluster.ingress {
                let ings = sim
                    .store
                    .objects(Kind::Ingress)
                    .filter_map(|o| match o {
                        Object::Ingress(i) => Some(i.clone()),
                        _ => None,
                    })
                    .collect();
                let svcs = sim
                    .store
                    .objects(Kind::Service)
                    .filter_map(|o| match o {
                        Object::Service(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                r.update(ings, svcs);
            }
        }
        if let Some(client) = &client {
            for (i, t) in sim.scenario.traffic.iter().enumerate() {
                // On the real clock: the control plane's `now` only moves with its events.
                if traffic_started.contains(&i) || t.from.map_or(0, |f| f.as_millis()) > now.0 {
                    continue;
                }
                let ns = t.namespace.clone().unwrap_or_else(|| "default".into());
                let (addr, host, path, service) = match (&t.service, &t.ingress, &cluster.ingress) {
                    (Some(service), _, _) => {
                        let via = t
                            .via
                            .as_deref()
                            .and_then(Via::parse)
                            .unwrap_or(Via::ClusterIp);
                        let target_ip = client_via.unwrap_or(Ipv4Addr::UNSPECIFIED);
                        let Some(addr) = resolve(&sim, &ns, service, via, target_ip) else {
                            continue;
                        };
                        (
                            addr,
                            None,
                            "/".to_string(),
                            Some((ns.clone(), service.clone())),
                        )
                    }
                    (None, Some(ing), Some(router)) => (
                        router.addr,
                        Some(ing.host.clone()),
                        ing.path.clone().unwrap_or_else(|| "/".into()),
                        None,
                    ),
                    _ => continue,
                };
                traffic_started.insert(i);
                let rps = (t.rps.milli_value() as f64 / 1000.0).min(opts.max_rps);
                let target = traffic::Target {
                    addr,
                    rps,
                    clients: t.clients.unwrap_or(1),
                    timeout: Duration::from_millis(
                        t.timeout.map_or(5_000, |d| (d.as_millis() / scale).max(50)),
                    ),
                    retries: t.retries,
                    path,
                    host,
                    headers: t.headers.clone(),
                    service,
                };
                let entry = cellsim_core::scenario::network::entry_name(t);
                cluster.sources.push(traffic::Source::start(
                    client,
                    &entry,
                    target,
                    cluster.traffic_stop.clone(),
                ));
            }
        }
        if !more || sim.is_finished() {
            break;
        }
        if idle {
            let next = sim.next_time().map_or(u64::MAX, |t| t.0);
            let now_ms = epoch.elapsed().as_millis() as u64 * scale;
            let wait_ms = next.saturating_sub(now_ms) / scale;
            std::thread::sleep(Duration::from_millis(wait_ms.clamp(1, 5)));
        }
    }
    cluster.teardown();
    let services: Vec<ServiceReport> = cluster
        .measured
        .iter()
        .map(|((ns, name), m)| m.report(ns, name))
        .collect();
    let mut report = sim.report();
    report.services = services.clone();
    report.traffic = cluster
        .by_entry
        .iter()
        .map(|(name, m)| m.source_report(name))
        .collect();
    real_service_checks(&sim.scenario, &cluster.measured, &mut report);
    Ok(RealRun {
        report,
        tracker,
        services,
        interrupted,
        errors: std::mem::take(&mut cluster.errors),
        notes,
        trace: sim.trace.bytes().to_vec(),
        peak_usage,
    })
}

/// Service expectations are about the requests: on a real run, the measured ones (over the
/// whole run: `since` is not applied). Request counts and client switches depend on the
/// capped rate and are not evaluated.
fn real_service_checks(
    scenario: &Scenario,
    measured: &BTreeMap<(String, String), traffic::Measured>,
    report: &mut cellsim_core::report::Report,
) {
    use cellsim_core::scenario::expect::Check;
    for (e, r) in scenario.expect.iter().zip(report.expectations.iter_mut()) {
        let (svc, verdict) = match &e.check {
            Check::ServiceSuccessRate {
                svc,
                min_ppm,
                max_ppm,
            } => {
                let m = measured
                    .get(&(svc.namespace.clone(), svc.name.clone()))
                    .cloned()
                    .unwrap_or_default();
                let ok = m.requests - m.failed;
                let ppm = (ok * 1_000_000).checked_div(m.requests).unwrap_or(0);
                let passed = m.requests > 0
                    && min_ppm.is_none_or(|v| ppm >= v)
                    && max_ppm.is_none_or(|v| ppm <= v);
                (
                    svc,
                    Some((
                        passed,
                        format!(
                            "measured {:.4} ({ok} of {} real requests)",
                            ppm as f64 / 1e6,
                            m.requests
                        ),
                    )),
                )
            }
            Check::ServiceLatency {
                svc,
                percentile,
                min_ms,
                max_ms,
            } => {
                let v = measured
                    .get(&(svc.namespace.clone(), svc.name.clone()))
                    .and_then(|m| m.latency_percentile_us(*percentile))
                    .map(|us| us / 1000);
                let passed = v.is_some_and(|v| {
                    min_ms.is_none_or(|m| v >= m) && max_ms.is_none_or(|m| v <= m)
                });
                (
                    svc,
                    Some((
                        passed,
                        format!("measured p{percentile} {v:?}ms over real requests"),
                    )),
                )
            }
            Check::ServiceRequests { svc, .. } | Check::ServiceClientSwitches { svc, .. } => {
                (svc, None)
            }
            _ => continue,
        };
        let _ = svc;
        match verdict {
            Some((passed, detail)) => {
                r.passed = passed;
                r.detail = detail;
            }
            None => {
                r.passed = true;
                r.detail =
                    "not evaluated on a real run (request counts follow the capped rate)".into();
            }
        }
    }
}

/// A node's runtime (state under `<state_dir>/<node>`, cgroup `<cgroup_prefix>-<node>`,
/// the node's network) and its proxy (ClusterIPs and NodePorts on the node address).
fn node_parts(
    opts: &RealOptions,
    state_dirs: &mut Vec<PathBuf>,
    nn: &Arc<crate::net::node::NodeNet>,
    mode: ProxyMode,
    seed: u64,
    on_start: OnStart,
) -> Result<(
    LinuxRuntime,
    std::sync::mpsc::Receiver<cellsim_core::kubelet::plan::RuntimeEvent>,
    Proxy,
)> {
    let state = opts.state_dir.join(&nn.name);
    if !state_dirs.contains(&state) {
        state_dirs.push(state.clone());
    }
    let mut cfg = Config::new(&nn.name, &state, opts.init.clone());
    cfg.image_root = opts.image_root.clone();
    cfg.cgroup_parent = format!("{}-{}", opts.cgroup_prefix, nn.name);
    cfg.network = Some(nn.clone());
    let (rt, rx) = LinuxRuntime::new(cfg, on_start)?;
    let mut proxy = Proxy::new(nn.ns.clone(), &nn.name, mode, seed ^ nn.index as u64)?;
    proxy.set_node_ip(nn.node_ip);
    Ok((rt, rx, proxy))
}

fn allocatable(n: &cellsim_core::api::node::Node) -> OrdMap<String, String> {
    n.status
        .allocatable
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect()
}

/// Start a node's agent thread on the control plane's clock.
#[allow(clippy::too_many_arguments)]
fn start_host(
    cluster: &mut Cluster,
    opts: &RealOptions,
    nn: &Arc<crate::net::node::NodeNet>,
    alloc: OrdMap<String, String>,
    mode: ProxyMode,
    seed: u64,
    epoch: Instant,
    now: SimTime,
    on_start: OnStart,
) -> Result<()> {
    let (rt, rx, proxy) = node_parts(opts, &mut cluster.state_dirs, nn, mode, seed, on_start)?;
    let agent = Agent::with_epoch(rt, rx, opts.time_scale, epoch);
    let mut h = host::spawn(
        &nn.name,
        nn.node_ip.to_string(),
        nn.pod_cidr.to_string(),
        alloc,
        agent,
        proxy,
    );
    h.last_heard = now;
    cluster.hosts.insert(nn.name.clone(), h);
    Ok(())
}

/// `recoverNode`: the old agent's thread is joined (it stopped at `failNode`), a new runtime
/// starts on the node's state (`OnStart::Adopt`: what still runs is re-adopted, the rest
/// cleaned up) with a new agent and proxy, and the switch port comes back up.
fn recover_node(
    cluster: &mut Cluster,
    opts: &RealOptions,
    name: &str,
    mode: ProxyMode,
    seed: u64,
    epoch: Instant,
    now: SimTime,
) -> Result<()> {
    let Some(mut old) = cluster.hosts.remove(name) else {
        return Err(Error::Invalid(format!("no node {name}")));
    };
    let errs = old.stop_and_join();
    cluster.errors.extend(errs);
    let net = cluster.net.as_ref().expect("set");
    let nn = net
        .node(name)
        .cloned()
        .ok_or_else(|| Error::Invalid(format!("node {name} has no network")))?;
    net.set_port(nn.index, true)?;
    let alloc = old.allocatable.clone();
    start_host(
        cluster,
        opts,
        &nn,
        alloc,
        mode,
        seed,
        epoch,
        now,
        OnStart::Adopt,
    )
}

/// A node that joined the store: its network (`ClusterNet::add_node`) and agent.
fn add_node(
    cluster: &mut Cluster,
    opts: &RealOptions,
    node: &cellsim_core::api::node::Node,
    mode: ProxyMode,
    seed: u64,
    epoch: Instant,
    now: SimTime,
) -> Result<()> {
    let name = &node.metadata.name;
    let nn = cluster.net.as_mut().expect("set").add_node(name)?;
    let r = start_host(
        cluster,
        opts,
        &nn,
        allocatable(node),
        mode,
        seed,
        epoch,
        now,
        OnStart::Cleanup,
    );
    if r.is_err() {
        let _ = cluster.net.as_mut().expect("set").remove_node(name);
    }
    r
}

/// A node that left the store: its agent stops (every pod, the proxy), its namespace goes,
/// its state directory too.
fn remove_node(cluster: &mut Cluster, opts: &RealOptions, name: &str) {
    if let Some(mut h) = cluster.hosts.remove(name) {
        let errs = h.stop_and_join();
        cluster.errors.extend(errs);
    }
    if let Err(e) = cluster.net.as_mut().expect("set").remove_node(name) {
        cluster.errors.push(format!("removeNodes {name}: {e}"));
    }
    let state = opts.state_dir.join(name);
    let _ = std::fs::remove_dir_all(&state);
    cluster.state_dirs.retain(|d| d != &state);
}

/// The client's route to the Service CIDR via the first live node; that node's address.
fn reroute_client(net: &ClusterNet, hosts: &BTreeMap<String, NodeHost>) -> Option<Ipv4Addr> {
    let ip = net
        .nodes
        .iter()
        .find(|n| hosts.get(&n.name).is_some_and(|h| h.alive))
        .map(|n| n.node_ip)?;
    net.route_services_via(ip).ok()?;
    Some(ip)
}

fn proxy_mode(s: &Scenario) -> Result<ProxyMode> {
    let (mode, sched) = s.network.as_ref().map_or(("", ""), |n| {
        (
            n.proxy_mode.as_deref().unwrap_or(""),
            n.ipvs_scheduler.as_deref().unwrap_or(""),
        )
    });
    ProxyMode::parse(mode, sched).map_err(Error::Invalid)
}

/// The address a traffic entry sends to: the Service's ClusterIP and first TCP port, or the
/// node address `node_ip` and the port's nodePort.
fn resolve(sim: &Sim, ns: &str, name: &str, via: Via, node_ip: Ipv4Addr) -> Option<SocketAddrV4> {
    let key = cellsim_core::store::ObjectKey::new(Kind::Service, ns, name);
    let Some(Object::Service(s)) = sim.store.get(&key).map(|o| &o.object) else {
        return None;
    };
    let p = s
        .spec
        .ports
        .iter()
        .find(|p| p.protocol.is_empty() || p.protocol == "TCP")?;
    match via {
        Via::NodePort | Via::LoadBalancer => {
            let np = u16::try_from(p.node_port?).ok()?;
            Some(SocketAddrV4::new(node_ip, np))
        }
        _ => {
            let ip: Ipv4Addr = s.spec.cluster_ip.parse().ok()?;
            Some(SocketAddrV4::new(ip, u16::try_from(p.port).ok()?))
        }
    }
}

/// Bring the agents in line with the store: `runPod` for pods newly bound to a live node,
/// `deletePod` for handed pods being deleted (or gone), pods deleted before any agent had them
/// finished at once; `syncService` to every live node for each Service whose object or
/// EndpointSlices changed, `removeService` for Services gone.
fn reconcile(
    sim: &mut Sim,
    hosts: &mut BTreeMap<String, NodeHost>,
    handed: &mut BTreeMap<String, Handed>,
    services_sent: &mut BTreeMap<String, String>,
    images: &OrdMap<String, RealImage>,
    now: SimTime,
) {
    let mut finish_now = Vec::new();
    let mut present = BTreeSet::new();
    for o in sim.store.objects(Kind::Pod) {
        let Object::Pod(p) = o else { continue };
        let uid = p.metadata.uid.clone();
        present.insert(uid.clone());
        if p.spec.node_name.is_empty() {
            continue;
        }
        let Some(h) = hosts.get_mut(&p.spec.node_name) else {
            continue;
        };
        if !h.alive {
            continue;
        }
        let deleting = p.metadata.deletion_at.is_some();
        match handed.get_mut(&uid) {
            None if deleting => finish_now.push((
                p.metadata.namespace.clone(),
                p.metadata.name.clone(),
                uid.clone(),
            )),
            None if !p.is_terminal() => {
                h.send(&ControlMessage::RunPod {
                    pod: Box::new(p.clone()),
                    manifest: None,
                    images: images.clone(),
                });
                handed.insert(
                    uid,
                    Handed {
                        namespace: p.metadata.namespace.clone(),
                        name: p.metadata.name.clone(),
                        node: p.spec.node_name.clone(),
                        delete_sent: false,
                    },
                );
            }
            Some(hp) if deleting && !hp.delete_sent => {
                hp.delete_sent = true;
                h.send(&ControlMessage::DeletePod {
                    pod_uid: uid.clone(),
                    grace_period_seconds: p
                        .spec
                        .termination_grace_period_seconds
                        .unwrap_or(30)
                        .max(0) as u64,
                });
            }
            _ => {}
        }
    }
    for (uid, hp) in handed.iter_mut() {
        if !present.contains(uid) && !hp.delete_sent {
            hp.delete_sent = true;
            if let Some(h) = hosts.get_mut(&hp.node).filter(|h| h.alive) {
                h.send(&ControlMessage::DeletePod {
                    pod_uid: uid.clone(),
                    grace_period_seconds: 0,
                });
            }
        }
    }
    for (ns, name, uid) in finish_now {
        sim.external_pod_deleted(now, &ns, &name, &uid);
    }
    // Services and their EndpointSlices.
    let mut slices: BTreeMap<(String, String), Vec<cellsim_core::api::discovery::EndpointSlice>> =
        BTreeMap::new();
    for o in sim.store.objects(Kind::EndpointSlice) {
        if let Object::EndpointSlice(s) = o {
            if let Some(svc) = s.service_name() {
                slices
                    .entry((s.metadata.namespace.clone(), svc.to_string()))
                    .or_default()
                    .push(s.clone());
            }
        }
    }
    let mut seen = BTreeSet::new();
    for o in sim.store.objects(Kind::Service) {
        let Object::Service(s) = o else { continue };
        let key = format!("{}/{}", s.metadata.namespace, s.metadata.name);
        seen.insert(key.clone());
        let sl = slices
            .remove(&(s.metadata.namespace.clone(), s.metadata.name.clone()))
            .unwrap_or_default();
        let msg = ControlMessage::SyncService {
            service: Box::new(s.clone()),
            slices: sl,
        };
        let state = serde_json::to_string(&msg).unwrap_or_default();
        if services_sent.get(&key) == Some(&state) {
            continue;
        }
        services_sent.insert(key, state);
        for h in hosts.values_mut().filter(|h| h.alive) {
            h.send(&msg);
        }
    }
    let gone: Vec<String> = services_sent
        .keys()
        .filter(|k| !seen.contains(*k))
        .cloned()
        .collect();
    for k in gone {
        services_sent.remove(&k);
        let (ns, name) = k.split_once('/').expect("namespace/name");
        for h in hosts.values_mut().filter(|h| h.alive) {
            h.send(&ControlMessage::RemoveService {
                namespace: ns.into(),
                name: name.into(),
            });
        }
    }
}

/// What a real run with namespace/cgroup prefix `prefix` and state directory `state_dir` may
/// have left on the host: namespace files, mounts, cgroup directories, processes in its
/// cgroups or network namespaces, the state directory. Empty when the host is clean (the
/// tests' check after every run, also after SIGINT).
pub fn leftovers(prefix: &str, state_dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let p = prefix.to_string();
    for (f, _) in crate::net::netns::list(
        std::path::Path::new(crate::net::netns::NETNS_DIR),
        &move |n: &str| n.starts_with(&p),
    ) {
        out.push(format!("namespace file {}", f.display()));
    }
    let state = state_dir.to_string_lossy().into_owned();
    let mi = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for l in mi.lines() {
        if l.contains(prefix) || l.contains(&state) {
            out.push(format!("mount {l}"));
        }
    }
    // cgroup v2 (or v1 controllers one level down).
    let root = std::path::Path::new("/sys/fs/cgroup");
    let mut dirs = vec![root.to_path_buf()];
    for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            dirs.push(e.path());
        }
    }
    for d in dirs {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with(prefix) {
                out.push(format!("cgroup {}", e.path().display()));
            }
        }
    }
    let me = std::process::id().to_string();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) || name == me {
            continue;
        }
        let cg = std::fs::read_to_string(e.path().join("cgroup")).unwrap_or_default();
        if cg.contains(prefix) {
            let cmd = std::fs::read_to_string(e.path().join("cmdline")).unwrap_or_default();
            out.push(format!("process {name} {}", cmd.replace('\0', " ")));
        }
    }
    if state_dir.exists() {
        out.push(format!("state directory {}", state_dir.display()));
    }
    out
}

/// The default prefix of a run's namespaces, cgroups (`<prefix>-<node>`) and state directory
/// (`<root>/<prefix>`); every prefix starting with it is a run's.
pub const RUN_PREFIX: &str = "cellsim-run";

/// After a crashed `run --real` (`cellsim node cleanup`): kill the processes in the runs'
/// cgroups (`cellsim-run*`) or naming their state directories under `root`, unmount what is
/// mounted there, remove those cgroups and directories. The runs' network namespaces are
/// `cleanup::clean_netns`'s. Returns what was found.
pub fn clean_crashed(
    h: &crate::cgroups::detect::Hierarchy,
    root: &std::path::Path,
) -> crate::cleanup::Leftovers {
    let is_ours = |n: &str| n.starts_with(RUN_PREFIX);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(RUN_PREFIX))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let mut all = crate::cleanup::Leftovers::default();
    if dirs.is_empty() {
        // The cgroups alone (the state directory went, or never was).
        dirs.push(PathBuf::new());
    }
    for d in dirs {
        let found = crate::cleanup::clean(h, &is_ours, &d);
        all.processes.extend(found.processes);
        all.mounts.extend(found.mounts);
        all.zombies.extend(found.zombies);
        for c in found.cgroups {
            if !all.cgroups.contains(&c) {
                all.cgroups.push(c);
            }
        }
        if !d.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&d);
        }
    }
    all
}
