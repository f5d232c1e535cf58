//! The traffic model: requests from the scenario's `traffic` entries (and the downstream
//! calls they cause) routed by the service proxies' view of the EndpointSlices, served by pods
//! with a capacity and a latency, failing where a real request would.
//!
//! How it stays exact and fast. Between two instants of the simulation nothing in the cluster
//! changes: the endpoints every proxy sees, each pod's state and the nodes that are up are
//! constant, and the only change that happens "inside" an interval — an application finishing
//! its `startupDelay`, a proxy applying an endpoint change `propagationDelay` after it was
//! written — has a known time. So requests are not events of the simulation's queue: before
//! the simulation moves to its next instant, `advance` generates every arrival of the interval
//! (Poisson arrivals from exponential gaps — a ziggurat sampler, `exp` — drawn from the traffic
//! model's own random stream)
//! and routes each one through the state of that interval, splitting the interval where a
//! proxy view changes. Every request is simulated individually — routing, queueing at the
//! pod, downstream calls, timeouts and retries — in a tight loop with no allocation, which is
//! what makes 100,000 requests per second over hundreds of pods cheap (docs/benchmarks.md).
//! Nothing is aggregated, so the results are those of the per-request model exactly.
//!
//! What a request meets (see `stats::Failure`): no usable endpoint (connection refused), a
//! pod that does not accept connections yet or any more (not started, SIGTERMed, exited) —
//! which is what happens between a pod's change and the proxies learning of it, a dead node
//! (the client times out), an overloaded pod (each pod serves `capacityRps`; beyond that
//! requests wait in its queue, first come first served, and may time out), an application
//! error, or a failing downstream call.

pub mod exp;
pub mod histogram;
pub mod stats;
pub mod workload;

use super::ingress::{self, Decision};
use super::ip::Ipv4;
use super::select::{usable, Balancer, Candidate, EndpointState, ProxyMode};
use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::kubelet::sim_runtime::{ServeWindow, SimRuntime};
use crate::rng::SimRng;
use crate::scenario::spec::{Behavior, NetworkSpec, TrafficEntry};
use crate::store::{MemoryStore, ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};
use stats::{Failure, ServiceReport, SourceReport, Stats};

/// The traffic model's ChaCha stream number (the control plane uses stream 0).
const TRAFFIC_STREAM: u64 = 0x7472_6166; // "traf"
pub const DEFAULT_PROPAGATION: Duration = Duration::from_secs(1);
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(10);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(5);
pub const DEFAULT_CLIENTS: u32 = 100;
/// Downstream calls deeper than this fail (a cycle made at run time by applied objects).
const MAX_DEPTH: u32 = 16;
/// Client addresses of external clients: 100.64.0.0/10 (shared address space), one /16 per
/// traffic entry.
const CLIENT_BASE: u32 = 0x6440_0000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    ClusterIp,
    NodePort,
    LoadBalancer,
    Ingress,
}

impl Via {
    pub fn parse(s: &str) -> Option<Via> {
        match s {
            "" | "clusterIP" => Some(Via::ClusterIp),
            "nodePort" => Some(Via::NodePort),
            "loadBalancer" => Some(Via::LoadBalancer),
            _ => None,
        }
    }
}

/// One endpoint as the proxies see it.
#[derive(Clone, Copy, Debug)]
struct ViewEp {
    slot: usize,
    node: u32,
    ready: bool,
    serving: bool,
    terminating: bool,
}

struct Svc {
    namespace: String,
    name: String,
    exists: bool,
    internal_local: bool,
    external_local: bool,
    /// `clusterIP: None`: clients resolve the pods' addresses by DNS, which lists only ready
    /// endpoints (no kube-proxy, so no serving-terminating fallback).
    headless: bool,
    /// NodePort or LoadBalancer: node ports are open.
    node_ports: bool,
    view: Vec<ViewEp>,
    /// Indices into `view` of the endpoints a proxy uses cluster-wide, and as candidates.
    usable: Vec<usize>,
    candidates: Vec<Candidate>,
    proxy: Balancer,
    /// The ingress controller's own balancer (ingress-nginx: round_robin by default).
    ingress: Balancer,
    stats: Stats,
    /// Every pod slot that was ever in the view.
    members: OrdSet<usize>,
    /// Per external client: the pod slot + 1 it last reached.
    client_last: Vec<u32>,
    client_switches: u64,
}

#[derive(Clone, Copy, Debug)]
struct ResolvedCall {
    svc: usize,
    timeout_us: u64,
    retries: u32,
}

struct PodSlot {
    name: String,
    uid: String,
    /// The container whose application serves the requests.
    container: String,
    node: u32,
    ip: u32,
    window: Option<ServeWindow>,
    /// Microseconds of capacity one request takes (0: unlimited).
    interval_us: u64,
    latency_us: u64,
    /// `latencyAfter`: from this time (µs) the latency is another.
    latency_after: Option<(u64, u64)>,
    calls: Vec<ResolvedCall>,
    /// When the pod's queue is free again.
    free_at_us: u64,
    /// Completion times of requests in flight (for IPVS `lc`), a min-heap.
    inflight: std::collections::BinaryHeap<std::cmp::Reverse<u64>>,
    requests: u64,
}

enum Target {
    Service(usize),
    Ingress { host: String, path: String },
}

struct Source {
    name: String,
    target: Target,
    via: Via,
    /// Requests per 1000 seconds.
    rate_milli: u64,
    clients: u32,
    client_base: u32,
    timeout_us: u64,
    retries: u32,
    headers: OrdMap<String, String>,
    from_us: u64,
    /// Next arrival in µs (f64: exact to well below a µs over any run).
    next_us: f64,
    route: Option<(usize, Option<(usize, ingress::Canary)>)>,
    stats: Stats,
}

/// One Service's latest window, for live charts (`Traffic::live`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LivePoint {
    pub service: String,
    pub milli_rps: u64,
    pub success_permille: u64,
    pub p50_us: u64,
}

/// The proxies' view as `select::usable` reads it; `local` marks the endpoints on `node`.
fn endpoint_states(view: &[ViewEp], node: Option<u32>) -> Vec<EndpointState> {
    view.iter()
        .map(|e| EndpointState {
            ready: e.ready,
            serving: e.serving,
            terminating: e.terminating,
            local: node == Some(e.node),
        })
        .collect()
}

/// A Service's counters, for expectations.
#[derive(Clone, Debug, Default)]
pub struct ServiceCounts {
    pub requests: u64,
    pub failed: u64,
    pub client_switches: u64,
    pub latency: histogram::Histogram,
}

/// Who sends a request: its address (affinity, source hashing), its client number (for
/// counting switches between pods; external clients only) and its node (pods calling
/// downstream Services).
#[derive(Clone, Copy, Debug)]
struct Client {
    addr: u32,
    id: Option<u32>,
    node: Option<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Outcome {
    ok: bool,
    latency_us: u64,
    /// With `ok` false: why.
    why: Failure,
}

pub struct Traffic {
    mode: ProxyMode,
    /// IPVS `lc`: picks read (and serving keeps) each pod's requests in flight.
    least_connection: bool,
    delay: Duration,
    window_ms: u64,
    behaviors: Vec<Behavior>,
    rng: SimRng,
    exp: exp::Exp,
    cursor: u64,
    svcs: Vec<Svc>,
    svc_index: OrdMap<(String, String), usize>,
    pods: Vec<PodSlot>,
    slot_of: OrdMap<String, usize>,
    nodes: Vec<String>,
    node_index: OrdMap<String, u32>,
    down: Vec<bool>,
    sources: Vec<Source>,
    /// Views waiting to reach the proxies: (apply at ms, sequence) -> (service, endpoints).
    pending: OrdMap<(u64, u64), (usize, Vec<ViewEp>)>,
    seq: u64,
    /// Where `advance` has simulated up to (µs).
    done_us: u64,
}

impl Traffic {
    /// The model for a scenario's traffic entries (validated by the loader) and network
    /// settings; `seed` is the run's.
    pub fn new(
        entries: &[TrafficEntry],
        net: Option<&NetworkSpec>,
        behaviors: &[Behavior],
        seed: u64,
    ) -> Traffic {
        let mode = net
            .map(|n| {
                ProxyMode::parse(
                    n.proxy_mode.as_deref().unwrap_or(""),
                    n.ipvs_scheduler.as_deref().unwrap_or(""),
                )
                .expect("validated at load")
            })
            .unwrap_or_default();
        let mut t = Traffic {
            mode,
            least_connection: mode
                == ProxyMode::Ipvs(super::select::IpvsScheduler::LeastConnection),
            delay: net
                .and_then(|n| n.propagation_delay)
                .unwrap_or(DEFAULT_PROPAGATION),
            window_ms: net
                .and_then(|n| n.window)
                .unwrap_or(DEFAULT_WINDOW)
                .as_millis()
                .max(1),
            behaviors: behaviors.to_vec(),
            rng: SimRng::stream(seed, TRAFFIC_STREAM),
            exp: exp::Exp::new(),
            cursor: 0,
            svcs: Vec::new(),
            svc_index: OrdMap::new(),
            pods: Vec::new(),
            slot_of: OrdMap::new(),
            nodes: Vec::new(),
            node_index: OrdMap::new(),
            down: Vec::new(),
            sources: Vec::new(),
            pending: OrdMap::new(),
            seq: 0,
            done_us: 0,
        };
        for (i, e) in entries.iter().enumerate() {
            let ns = e.namespace.clone().unwrap_or_else(|| "default".into());
            let (target, via, default_name) = match (&e.service, &e.ingress) {
                (Some(s), _) => (
                    Target::Service(t.svc(&ns, s)),
                    Via::parse(e.via.as_deref().unwrap_or("")).expect("validated at load"),
                    s.clone(),
                ),
                (None, Some(ing)) => {
                    let path = ing.path.clone().unwrap_or_else(|| "/".into());
                    (
                        Target::Ingress {
                            host: ing.host.clone(),
                            path: path.clone(),
                        },
                        Via::Ingress,
                        format!("{}{}", ing.host, path),
                    )
                }
                (None, None) => unreachable!("validated at load"),
            };
            let from_us = e.from.unwrap_or(Duration::ZERO).as_millis() * 1000;
            let mut s = Source {
                name: e.name.clone().unwrap_or(default_name),
                target,
                via,
                rate_milli: e.rps.milli_value().max(0) as u64,
                clients: e.clients.unwrap_or(DEFAULT_CLIENTS).max(1),
                client_base: CLIENT_BASE + ((i as u32) << 16),
                timeout_us: e.timeout.unwrap_or(DEFAULT_TIMEOUT).as_millis() * 1000,
                retries: e.retries,
                headers: e.headers.clone(),
                from_us,
                next_us: f64::INFINITY,
                route: None,
                stats: Stats::default(),
            };
            s.next_us = from_us as f64 + t.gap(s.rate_milli);
            t.sources.push(s);
        }
        t
    }

    /// An exponential inter-arrival gap in µs for a rate in requests per 1000 s.
    fn gap(&mut self, rate_milli: u64) -> f64 {
        if rate_milli == 0 {
            return f64::INFINITY;
        }
        self.exp.sample(&mut self.rng) * 1e9 / rate_milli as f64
    }

    fn svc(&mut self, ns: &str, name: &str) -> usize {
        if let Some(i) = self.svc_index.get(&(ns.to_string(), name.to_string())) {
            return *i;
        }
        let i = self.svcs.len();
        self.svcs.push(Svc {
            namespace: ns.to_string(),
            name: name.to_string(),
            exists: false,
            internal_local: false,
            external_local: false,
            headless: false,
            node_ports: false,
            view: Vec::new(),
            usable: Vec::new(),
            candidates: Vec::new(),
            proxy: Balancer::new(self.mode, None),
            ingress: Balancer::new(
                ProxyMode::Ipvs(super::select::IpvsScheduler::RoundRobin),
                None,
            ),
            stats: Stats::default(),
            members: OrdSet::new(),
            client_last: Vec::new(),
            client_switches: 0,
        });
        self.svc_index.insert((ns.to_string(), name.to_string()), i);
        i
    }

    fn node(&mut self, name: &str) -> u32 {
        if let Some(i) = self.node_index.get(name) {
            return *i;
        }
        let i = self.nodes.len() as u32;
        self.nodes.push(name.to_string());
        self.down.push(false);
        self.node_index.insert(name.to_string(), i);
        i
    }

    /// The lowest store revision the model still needs (for change-log compaction).
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// A node's machine stopped (`down`) or came back: traffic to it is dropped meanwhile.
    pub fn set_node_down(&mut self, name: &str, down: bool) {
        let i = self.node(name);
        self.down[i as usize] = down;
    }

    /// `setTraffic`: change a source's rate from `now` on. False when no source has the name.
    pub fn set_rate(&mut self, name: &str, rps: &crate::api::Quantity, now: SimTime) -> bool {
        let rate = rps.milli_value().max(0) as u64;
        let Some(i) = self.sources.iter().position(|s| s.name == name) else {
            return false;
        };
        let start = (now.millis() * 1000).max(self.sources[i].from_us);
        // Poisson arrivals are memoryless: the next arrival is a fresh gap from now.
        let g = self.gap(rate);
        let s = &mut self.sources[i];
        s.rate_milli = rate;
        s.next_us = start as f64 + g;
        true
    }

    /// Read what changed in the cluster at `now` (after it settled): Services, EndpointSlices
    /// (a new view reaches the proxies `propagationDelay` later), Ingresses, nodes, pods and
    /// the runtime's containers.
    pub fn observe(&mut self, store: &MemoryStore, runtime: &mut SimRuntime, now: SimTime) {
        let changes: Vec<ObjectKey> = store
            .changes_since(self.cursor)
            .iter()
            .filter(|c| {
                matches!(
                    c.key.kind,
                    Kind::Service | Kind::EndpointSlice | Kind::Ingress | Kind::Pod | Kind::Node
                )
            })
            .map(|c| c.key.clone())
            .collect();
        self.cursor = store.revision();
        let mut dirty_svcs = OrdSet::new();
        let mut ingresses = false;
        for key in changes {
            match key.kind {
                Kind::Service => {
                    let i = self.svc(&key.namespace, &key.name);
                    self.refresh_service(store, i);
                    dirty_svcs.insert(i);
                }
                Kind::EndpointSlice => {
                    if let Some(Object::EndpointSlice(e)) = store.get(&key).map(|s| &s.object) {
                        if let Some(n) = e.service_name() {
                            dirty_svcs.insert(self.svc(&key.namespace, n));
                        }
                    } else {
                        // A deleted slice: re-read every service of the namespace that has
                        // a view (slices are few per service).
                        let ns = key.namespace.clone();
                        dirty_svcs
                            .extend((0..self.svcs.len()).filter(|i| self.svcs[*i].namespace == ns));
                    }
                }
                Kind::Ingress => ingresses = true,
                Kind::Node => {
                    self.node(&key.name);
                }
                _ => {
                    if let Some(Object::Pod(p)) = store.get(&key).map(|s| &s.object) {
                        if let Some(&slot) = self.slot_of.get(&p.metadata.uid) {
                            self.pods[slot].ip = Ipv4::parse(&p.status.pod_ip).map_or(0, |a| a.0);
                        }
                    }
                }
            }
        }
        for uid in runtime.take_changed_pods() {
            if let Some(&slot) = self.slot_of.get(&uid) {
                self.refresh_window(runtime, slot);
            }
        }
        if ingresses || !dirty_svcs.is_empty() {
            self.resolve_routes(store);
        }
        for i in dirty_svcs {
            let view = self.snapshot(store, runtime, i);
            let at = now.after(self.delay).millis();
            self.seq += 1;
            self.pending.insert((at, self.seq), (i, view));
        }
    }

    fn refresh_service(&mut self, store: &MemoryStore, i: usize) {
        let key = ObjectKey::new(Kind::Service, &self.svcs[i].namespace, &self.svcs[i].name);
        let s = &mut self.svcs[i];
        match store.get(&key).map(|s| &s.object) {
            Some(Object::Service(svc)) => {
                s.exists = true;
                s.internal_local = svc.spec.internal_traffic_policy.as_deref() == Some("Local");
                s.external_local = svc.spec.external_traffic_policy.as_deref() == Some("Local");
                s.headless = svc.spec.cluster_ip == "None";
                s.node_ports = matches!(svc.spec.kind.as_str(), "NodePort" | "LoadBalancer");
                let affinity = super::select::affinity_ms(&svc.spec);
                if s.proxy.affinity_ms != affinity {
                    s.proxy = Balancer::new(self.mode, affinity);
                }
            }
            _ => s.exists = false,
        }
    }

    /// The Service's endpoints as its slices list them now.
    fn snapshot(&mut self, store: &MemoryStore, runtime: &SimRuntime, i: usize) -> Vec<ViewEp> {
        let (ns, name) = (self.svcs[i].namespace.clone(), self.svcs[i].name.clone());
        let mut eps: Vec<(
            String,
            String,
            String,
            crate::api::discovery::EndpointConditions,
        )> = Vec::new();
        for o in store.objects_in(Kind::EndpointSlice, &ns) {
            let Object::EndpointSlice(e) = o else {
                continue;
            };
            if e.service_name() != Some(name.as_str()) {
                continue;
            }
            for ep in &e.endpoints {
                let Some(t) = &ep.target_ref else { continue };
                eps.push((
                    t.uid.clone(),
                    t.name.clone(),
                    ep.node_name.clone(),
                    ep.conditions.clone(),
                ));
            }
        }
        crate::sort::sort_by(&mut eps, |a, b| a.1.cmp(&b.1));
        let mut view = Vec::with_capacity(eps.len());
        for (uid, pod, node, c) in eps {
            let slot = self.slot(store, runtime, &ns, &pod, &uid);
            let node = self.node(&node);
            let ready = c.ready.unwrap_or(true);
            view.push(ViewEp {
                slot,
                node,
                ready,
                serving: c.serving.unwrap_or(ready),
                terminating: c.terminating.unwrap_or(false),
            });
        }
        view
    }

    /// The pod's slot, made on first sight: its serving container, behaviour and calls.
    fn slot(
        &mut self,
        store: &MemoryStore,
        runtime: &SimRuntime,
        ns: &str,
        name: &str,
        uid: &str,
    ) -> usize {
        if let Some(&s) = self.slot_of.get(uid) {
            return s;
        }
        let pod = match store
            .get(&ObjectKey::new(Kind::Pod, ns, name))
            .map(|s| &s.object)
        {
            Some(Object::Pod(p)) => Some(p.clone()),
            _ => None,
        };
        // The serving container: the first app container that declares a port, else the first.
        let container = pod
            .as_ref()
            .and_then(|p| {
                p.spec
                    .containers
                    .iter()
                    .find(|c| !c.ports.is_empty())
                    .or(p.spec.containers.first())
            })
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let b = pod.as_ref().and_then(|p| {
            crate::scenario::spec::behavior_index(&self.behaviors, &p.metadata.labels, &container)
        });
        let b = b.map(|i| self.behaviors[i].clone());
        let interval_us = b
            .as_ref()
            .and_then(|b| b.capacity_rps.as_ref())
            .map(|q| q.milli_value().max(0) as u64)
            .filter(|m| *m > 0)
            .map_or(0, |m| 1_000_000_000u64.div_ceil(m));
        let latency_us = b
            .as_ref()
            .and_then(|b| b.latency)
            .unwrap_or(DEFAULT_LATENCY)
            .as_millis()
            * 1000;
        let calls = b
            .as_ref()
            .map(|b| {
                b.calls
                    .iter()
                    .map(|c| ResolvedCall {
                        svc: self.svc(c.namespace.as_deref().unwrap_or(ns), &c.service),
                        timeout_us: c.timeout.unwrap_or(DEFAULT_TIMEOUT).as_millis() * 1000,
                        retries: c.retries,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let node_name = pod.as_ref().map_or("", |p| p.spec.node_name.as_str());
        let node = self.node(node_name);
        let slot = self.pods.len();
        self.pods.push(PodSlot {
            name: format!("{ns}/{name}"),
            uid: uid.to_string(),
            container: container.clone(),
            node,
            ip: pod
                .as_ref()
                .and_then(|p| Ipv4::parse(&p.status.pod_ip))
                .map_or(0, |a| a.0),
            window: None,
            interval_us,
            latency_us,
            latency_after: b
                .as_ref()
                .and_then(|b| b.latency_after.as_ref())
                .map(|a| (a.at.as_millis() * 1000, a.latency.as_millis() * 1000)),
            calls,
            free_at_us: 0,
            inflight: Default::default(),
            requests: 0,
        });
        self.slot_of.insert(uid.to_string(), slot);
        self.pods[slot].window = runtime.serve_window(node_name, uid, &container);
        slot
    }

    fn refresh_window(&mut self, runtime: &SimRuntime, slot: usize) {
        let p = &self.pods[slot];
        let node = &self.nodes[p.node as usize];
        self.pods[slot].window = runtime.serve_window(node, &p.uid, &p.container);
    }

    /// Ingress routes of the sources that enter through an Ingress.
    fn resolve_routes(&mut self, store: &MemoryStore) {
        let ings: Vec<crate::api::service::Ingress> = store
            .objects(Kind::Ingress)
            .filter_map(|o| match o {
                Object::Ingress(i) => Some(i.clone()),
                _ => None,
            })
            .collect();
        let refs: Vec<&crate::api::service::Ingress> = ings.iter().collect();
        for i in 0..self.sources.len() {
            let Target::Ingress { host, path } = &self.sources[i].target else {
                continue;
            };
            let r = ingress::route(&refs, host, path);
            let route = r.map(|r| {
                let main = self.svc(&r.main.namespace, &r.main.service);
                let canary = r
                    .canary
                    .map(|c| (self.svc(&c.backend.namespace, &c.backend.service), c));
                (main, canary)
            });
            self.sources[i].route = route;
        }
    }

    /// Make a waiting view the proxies' view.
    fn apply_view(&mut self, i: usize, view: Vec<ViewEp>) {
        let s = &mut self.svcs[i];
        let states = endpoint_states(&view, None);
        s.usable = if s.headless {
            // DNS publishes the ready addresses only (publishNotReadyAddresses makes every
            // endpoint ready in the slice already).
            (0..states.len()).filter(|&i| states[i].ready).collect()
        } else {
            usable(&states, false)
        };
        s.candidates = s
            .usable
            .iter()
            .map(|&k| Candidate {
                id: view[k].slot as u64,
                active: 0,
            })
            .collect();
        s.members.extend(view.iter().map(|e| e.slot));
        s.view = view;
    }

    /// Simulate every request that arrives before `to` (the next instant of the simulation).
    pub fn advance(&mut self, to: SimTime) {
        let end_us = to.millis() * 1000;
        if end_us <= self.done_us {
            return;
        }
        loop {
            let next_view = self.pending.keys().next().map(|(t, _)| t * 1000);
            match next_view {
                Some(v) if v <= end_us => {
                    self.arrivals(v);
                    while let Some(e) = self.pending.first_entry() {
                        if e.key().0 * 1000 > v {
                            break;
                        }
                        let (i, view) = e.remove();
                        self.apply_view(i, view);
                    }
                }
                _ => {
                    self.arrivals(end_us);
                    break;
                }
            }
        }
        self.done_us = end_us;
    }

    /// Every arrival before `until_us`, in time order across sources.
    fn arrivals(&mut self, until_us: u64) {
        loop {
            let mut best: Option<(usize, f64)> = None;
            for (i, s) in self.sources.iter().enumerate() {
                if s.next_us < until_us as f64 && best.is_none_or(|(_, t)| s.next_us < t) {
                    best = Some((i, s.next_us));
                }
            }
            let Some((i, t)) = best else { return };
            let g = self.gap(self.sources[i].rate_milli);
            self.sources[i].next_us += g;
            self.client_request(i, t as u64);
        }
    }

    fn window(&self, t_us: u64) -> usize {
        (t_us / (self.window_ms * 1000)) as usize
    }

    fn client_request(&mut self, si: usize, t: u64) {
        let s = &self.sources[si];
        let client_id = self.rng.below(s.clients as u64) as u32;
        let client = s.client_base + client_id;
        let (via, timeout, retries) = (s.via, s.timeout_us, s.retries);
        let target = match &s.target {
            Target::Service(i) => Some(*i),
            Target::Ingress { .. } => match &s.route {
                None => None,
                Some((main, None)) => Some(*main),
                Some((main, Some((canary, rules)))) => Some(match rules.decide(&s.headers) {
                    Decision::Main => *main,
                    Decision::Canary => *canary,
                    Decision::Weighted { weight, total } => {
                        if self.rng.below(total) < weight {
                            *canary
                        } else {
                            *main
                        }
                    }
                }),
            },
        };
        let w = self.window(t);
        let Some(svc) = target else {
            self.sources[si].stats.fail(w, Failure::NoEndpoints);
            return;
        };
        let out = self.request(
            svc,
            t,
            Client {
                addr: client,
                // Unique across sources (each source has its own /16 of addresses).
                id: Some(client - CLIENT_BASE),
                node: None,
            },
            via,
            timeout,
            retries,
            0,
        );
        let st = &mut self.sources[si].stats;
        if out.ok {
            st.ok(w, out.latency_us);
        } else {
            st.fail(w, out.why);
        }
    }

    /// One request into a Service, with its retries; counted in the Service's stats.
    #[allow(clippy::too_many_arguments)]
    fn request(
        &mut self,
        svc: usize,
        t: u64,
        client: Client,
        via: Via,
        timeout_us: u64,
        retries: u32,
        depth: u32,
    ) -> Outcome {
        let mut elapsed = 0;
        let mut why = Failure::NoEndpoints;
        let w = self.window(t);
        for attempt in 0..=retries {
            if attempt > 0 {
                self.svcs[svc].stats.retries += 1;
            }
            match self.attempt(svc, t + elapsed, client, via, timeout_us, depth) {
                Ok(lat) => {
                    let total = elapsed + lat;
                    self.svcs[svc].stats.ok(w, total);
                    return Outcome {
                        ok: true,
                        latency_us: total,
                        why,
                    };
                }
                Err((f, lat)) => {
                    elapsed += lat;
                    why = f;
                }
            }
        }
        self.svcs[svc].stats.fail(w, why);
        Outcome {
            ok: false,
            latency_us: elapsed,
            why,
        }
    }

    /// The node a request enters through (for Local traffic policies and the load
    /// balancer's health checks), and whether only that node's endpoints may serve it.
    fn entry_node(
        &mut self,
        svc: usize,
        client: Client,
        via: Via,
    ) -> Result<(Option<u32>, bool), Failure> {
        let s = &self.svcs[svc];
        match via {
            Via::Ingress => Ok((None, false)),
            Via::ClusterIp => {
                if !s.internal_local {
                    return Ok((client.node, false));
                }
                // In-cluster clients sit on random live nodes unless they are pods.
                let node = match client.node {
                    Some(n) => n,
                    None => {
                        let up: Vec<u32> = (0..self.nodes.len() as u32)
                            .filter(|n| !self.down[*n as usize])
                            .collect();
                        if up.is_empty() {
                            return Err(Failure::Timeout);
                        }
                        up[self.rng.below(up.len() as u64) as usize]
                    }
                };
                Ok((Some(node), true))
            }
            Via::NodePort => {
                if self.nodes.is_empty() {
                    return Err(Failure::Timeout);
                }
                let n = self.rng.below(self.nodes.len() as u64) as u32;
                Ok((Some(n), s.external_local))
            }
            Via::LoadBalancer => {
                // The load balancer sends only to nodes that pass its health check: live
                // nodes, and with externalTrafficPolicy Local only those with a local
                // endpoint (kube-proxy's healthCheckNodePort).
                let local = s.external_local;
                let up: Vec<u32> = (0..self.nodes.len() as u32)
                    .filter(|n| !self.down[*n as usize])
                    .filter(|n| !local || s.usable.iter().any(|&k| s.view[k].node == *n))
                    .collect();
                if up.is_empty() {
                    return Err(Failure::NoEndpoints);
                }
                let n = up[self.rng.below(up.len() as u64) as usize];
                Ok((Some(n), local))
            }
        }
    }

    /// One attempt: route, then serve. `Ok(latency)` or `Err((reason, time lost))`.
    fn attempt(
        &mut self,
        svc: usize,
        t: u64,
        client: Client,
        via: Via,
        timeout_us: u64,
        depth: u32,
    ) -> Result<u64, (Failure, u64)> {
        if !self.svcs[svc].exists {
            // No such Service: the name does not resolve.
            return Err((Failure::NoEndpoints, 0));
        }
        if matches!(via, Via::NodePort | Via::LoadBalancer) && !self.svcs[svc].node_ports {
            // A ClusterIP Service has no node port: the connection is refused.
            return Err((Failure::NoEndpoints, 0));
        }
        let (node, local_only) = self.entry_node(svc, client, via).map_err(|f| {
            let lost = if f == Failure::Timeout { timeout_us } else { 0 };
            (f, lost)
        })?;
        if let Some(n) = node {
            if self.down[n as usize] && via != Via::ClusterIp {
                // An external client sent to a dead node's port: no answer.
                return Err((Failure::Timeout, timeout_us));
            }
        }
        let now_ms = t / 1000;
        let slot = {
            let lc = self.least_connection;
            let s = &mut self.svcs[svc];
            let pick = if local_only {
                let n = node.expect("local policies have a node");
                let idx = usable(&endpoint_states(&s.view, Some(n)), true);
                if idx.is_empty() {
                    // kube-proxy drops traffic for a Local policy without local endpoints.
                    return Err((Failure::Timeout, timeout_us));
                }
                let c: Vec<Candidate> = idx
                    .iter()
                    .map(|&k| Candidate {
                        id: s.view[k].slot as u64,
                        active: 0,
                    })
                    .collect();
                s.proxy
                    .pick(&c, client.addr, now_ms, &mut self.rng)
                    .map(|i| s.view[idx[i]].slot)
            } else {
                if lc {
                    for (c, &k) in s.candidates.iter_mut().zip(&s.usable) {
                        let p = &mut self.pods[s.view[k].slot];
                        while p.inflight.peek().is_some_and(|r| r.0 <= t) {
                            p.inflight.pop();
                        }
                        c.active = p.inflight.len() as u64;
                    }
                }
                let b = if via == Via::Ingress {
                    &mut s.ingress
                } else {
                    &mut s.proxy
                };
                b.pick(&s.candidates, client.addr, now_ms, &mut self.rng)
                    .map(|i| s.view[s.usable[i]].slot)
            };
            match pick {
                Some(slot) => slot,
                None => return Err((Failure::NoEndpoints, 0)),
            }
        };
        if let Some(id) = client.id {
            let s = &mut self.svcs[svc];
            let id = id as usize;
            if s.client_last.len() <= id {
                s.client_last.resize(id + 1, 0);
            }
            let last = s.client_last[id];
            if last != 0 && last != slot as u32 + 1 {
                s.client_switches += 1;
            }
            s.client_last[id] = slot as u32 + 1;
        }
        self.serve(slot, t, timeout_us, depth)
    }

    /// The pod at `slot` receives a request at `t`.
    fn serve(
        &mut self,
        slot: usize,
        t: u64,
        timeout_us: u64,
        depth: u32,
    ) -> Result<u64, (Failure, u64)> {
        let lc = self.least_connection;
        let p = &mut self.pods[slot];
        p.requests += 1;
        if self.down[p.node as usize] {
            return Err((Failure::Timeout, timeout_us));
        }
        let ms = SimTime(t / 1000);
        let Some(w) = p.window else {
            return Err((Failure::NotServing, 0));
        };
        if ms < w.from || w.until.is_some_and(|u| u <= ms) {
            return Err((Failure::NotServing, 0));
        }
        let start = if p.interval_us > 0 {
            let s = t.max(p.free_at_us);
            p.free_at_us = s + p.interval_us;
            s
        } else {
            t
        };
        let latency = match p.latency_after {
            Some((at, l)) if start >= at => l,
            _ => p.latency_us,
        };
        let mut done = start + latency;
        if w.broken_from.is_some_and(|b| b <= ms) {
            return Err((Failure::AppError, (done - t).min(timeout_us)));
        }
        let (addr, node) = (p.ip, p.node);
        for i in 0..self.pods[slot].calls.len() {
            let c = self.pods[slot].calls[i];
            if depth >= MAX_DEPTH {
                return Err((Failure::Downstream, (done - t).min(timeout_us)));
            }
            let out = self.request(
                c.svc,
                done,
                Client {
                    addr,
                    id: None,
                    node: Some(node),
                },
                Via::ClusterIp,
                c.timeout_us,
                c.retries,
                depth + 1,
            );
            done += out.latency_us;
            if !out.ok {
                return Err((Failure::Downstream, (done - t).min(timeout_us)));
            }
        }
        if lc {
            self.pods[slot].inflight.push(std::cmp::Reverse(done));
        }
        let total = done - t;
        if total > timeout_us {
            return Err((Failure::Timeout, timeout_us));
        }
        Ok(total)
    }

    /// A Service's counters from `since` on (whole windows: `since` rounds down to the
    /// window it falls in), for expectations. `None`: the Service never received a request.
    pub fn service_counts(&self, ns: &str, name: &str, since: Duration) -> Option<ServiceCounts> {
        let i = *self.svc_index.get(&(ns.to_string(), name.to_string()))?;
        let s = &self.svcs[i];
        let (requests, failed, latency) =
            s.stats.since((since.as_millis() / self.window_ms) as usize);
        Some(ServiceCounts {
            requests,
            failed,
            client_switches: s.client_switches,
            latency,
        })
    }

    /// Each Service's latest window up to `now` (the one `now` falls in, so far): its rate in
    /// requests per 1000 s, successes in thousandths and p50 latency in µs — the live series
    /// of the playground's charts. Services that never had a request are left out.
    pub fn live(&self, now: SimTime) -> Vec<LivePoint> {
        let now_ms = now.millis().max(1);
        let w = ((now_ms - 1) / self.window_ms) as usize;
        let elapsed = (now_ms - w as u64 * self.window_ms).max(1);
        self.svcs
            .iter()
            .filter(|s| s.stats.requests > 0)
            .map(|s| {
                let win = s.stats.windows.get(w);
                let (r, f) = win.map_or((0, 0), |x| (x.requests, x.failed));
                LivePoint {
                    service: s.name.clone(),
                    milli_rps: r * 1_000_000 / elapsed,
                    success_permille: ((r - f) * 1000).checked_div(r).unwrap_or(1000),
                    p50_us: win.map_or(0, |x| x.latency.percentile(50)),
                }
            })
            .collect()
    }

    /// At the end of the run: the `services` and `traffic` sections of the report.
    pub fn report(&self) -> (Vec<ServiceReport>, Vec<SourceReport>) {
        let services = self
            .svcs
            .iter()
            .filter(|s| s.stats.requests > 0)
            .map(|s| {
                let (success_rate, p50_ms, p99_ms) = stats::summary(&s.stats);
                // Per-pod load and the dependency graph's edges, over every pod that was
                // ever behind the Service.
                let mut pods = OrdMap::new();
                let mut calls = OrdSet::new();
                for &slot in &s.members {
                    let p = &self.pods[slot];
                    if p.requests > 0 {
                        pods.insert(p.name.clone(), p.requests);
                    }
                    calls.extend(p.calls.iter().map(|c| self.svcs[c.svc].name.clone()));
                }
                let calls: Vec<String> = calls.into_iter().collect();
                ServiceReport {
                    name: s.name.clone(),
                    namespace: s.namespace.clone(),
                    requests: s.stats.requests,
                    failed: s.stats.failed,
                    success_rate,
                    p50_ms,
                    p99_ms,
                    retries: s.stats.retries,
                    failures: stats::failures(&s.stats),
                    pods,
                    client_switches: s.client_switches,
                    calls,
                    series: stats::series(&s.stats, self.window_ms),
                }
            })
            .collect();
        let sources = self
            .sources
            .iter()
            .map(|s| {
                let (success_rate, p50_ms, p99_ms) = stats::summary(&s.stats);
                SourceReport {
                    name: s.name.clone(),
                    requests: s.stats.requests,
                    failed: s.stats.failed,
                    success_rate,
                    p50_ms,
                    p99_ms,
                }
            })
            .collect();
        (services, sources)
    }
}
