//! The userspace service proxy of a node (issue 9): every TCP port of every Service with a
//! ClusterIP gets a listener on that ClusterIP inside the node's network namespace; a new
//! connection goes to an endpoint chosen by the core's shared selection
//! (`cellsim_core::net::select`: `usable` over the EndpointSlice conditions, then
//! `Balancer::pick` in the configured kube-proxy mode with ClientIP affinity), exactly the code
//! the simulated traffic model runs, and bytes are copied both ways until either side closes.
//!
//! Upstream: kube-proxy's userspace mode (pkg/proxy/userspace, removed in 1.26) accepted on a
//! proxy port per service port and copied bytes (`ProxyTCP`, `copyBytes`), retrying other
//! endpoints with growing dial timeouts (`tryConnectTCP`, `EndpointDialTimeouts` 250 ms, 500 ms,
//! 1 s, 2 s). It reached that port through iptables redirects; here the ClusterIPs are plain
//! local addresses on a port-less device `cellsim-svc`, as IPVS mode holds them on its dummy
//! `kube-ipvs0` (this host's kernel has no `dummy` link type, so the device is a bridge without
//! ports: no carrier, never forwards, only holds addresses), and the proxy binds them directly.
//!
//! Modules: `endpoints` (Service + EndpointSlices → the per-port view the proxy balances over),
//! `port` (one listener: accept, pick, dial, copy).
//!
//! Threads, not tokio: a listener thread per service port and two per connection, which is
//! what the tests and a one-host cluster need; sockets and threads are made inside the node's
//! namespace (a socket stays in the namespace it was created in).

pub mod endpoints;
pub mod port;

use crate::error::{Error, Result};
use crate::net::{link, NetNs};
use cellsim_core::agent_api::ControlMessage;
use cellsim_core::api::discovery::EndpointSlice;
use cellsim_core::api::service::Service;
use cellsim_core::net::select::ProxyMode;
use cellsim_core::rng::SimRng;
use endpoints::PortView;
use port::PortProxy;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

/// The device holding the ClusterIPs in a node's namespace.
pub const SERVICE_DEVICE: &str = "cellsim-svc";

/// What every port of a proxy shares: the random source of `iptables`/`nftables` picks (one
/// seeded generator, so a test's picks are reproducible) and the clock affinity reads.
pub struct Shared {
    pub rng: Mutex<SimRng>,
    pub start: std::time::Instant,
}

/// A node's service proxy.
pub struct Proxy {
    ns: NetNs,
    node: String,
    mode: ProxyMode,
    shared: Arc<Shared>,
    /// `namespace/name:port` -> its listener.
    ports: BTreeMap<String, PortProxy>,
    /// ClusterIP -> number of ports listening on it.
    addrs: BTreeMap<Ipv4Addr, usize>,
    /// The node's own address: with it, every service port with a `nodePort` also listens
    /// on `nodeIP:nodePort` (`set_node_ip`).
    node_ip: Option<Ipv4Addr>,
}

impl Proxy {
    /// A proxy for the node `node` whose namespace is `ns`; makes the ClusterIP device.
    pub fn new(ns: NetNs, node: &str, mode: ProxyMode, seed: u64) -> Result<Proxy> {
        link::batch(
            &ns,
            &[
                format!("link add {SERVICE_DEVICE} type bridge"),
                link::up(SERVICE_DEVICE),
            ],
        )?;
        Ok(Proxy {
            ns,
            node: node.to_string(),
            mode,
            shared: Arc::new(Shared {
                rng: Mutex::new(SimRng::new(seed)),
                start: std::time::Instant::now(),
            }),
            ports: BTreeMap::new(),
            addrs: BTreeMap::new(),
            node_ip: None,
        })
    }

    /// Listen on the node's address at every service port's `nodePort` too (kube-proxy's
    /// NodePort: `--nodeport-addresses` = the node's InternalIP). Takes effect at the next
    /// `sync` of each Service.
    pub fn set_node_ip(&mut self, ip: Ipv4Addr) {
        self.node_ip = Some(ip);
    }

    /// Bring the Service's ports in line with `service` and its `slices` (level-triggered:
    /// call on every change of either). A Service without a ClusterIP (headless, `None`) has
    /// no listener; ports that went away are closed.
    pub fn sync(&mut self, service: &Service, slices: &[EndpointSlice]) -> Result<()> {
        let mut views = endpoints::views(service, slices, &self.node)?;
        if let Some(node_ip) = self.node_ip {
            // The same endpoints behind `nodeIP:nodePort` (views keep the TCP ports' order).
            let tcp = service
                .spec
                .ports
                .iter()
                .filter(|p| p.protocol.is_empty() || p.protocol == "TCP");
            let extra: Vec<PortView> = tcp
                .zip(views.iter())
                .filter_map(|(p, v)| {
                    let np = u16::try_from(p.node_port?).ok().filter(|n| *n > 0)?;
                    Some(PortView {
                        key: format!("{}@nodePort", v.key),
                        cluster_ip: node_ip,
                        port: np,
                        ..v.clone()
                    })
                })
                .collect();
            views.extend(extra);
        }
        let prefix = endpoints::service_key(service);
        let gone: Vec<String> = self
            .ports
            .keys()
            .filter(|k| endpoints::key_belongs(k, &prefix) && !views.iter().any(|v| &v.key == *k))
            .cloned()
            .collect();
        for k in gone {
            self.close(&k);
        }
        for v in views {
            self.sync_port(v)?;
        }
        Ok(())
    }

    /// Carry out a control-plane message meant for the proxy (`syncService`,
    /// `removeService`, `cellsim_core::agent_api`); `false` for any other message.
    pub fn apply(&mut self, msg: &ControlMessage) -> Result<bool> {
        match msg {
            ControlMessage::SyncService { service, slices } => {
                self.sync(service, slices)?;
                Ok(true)
            }
            ControlMessage::RemoveService { namespace, name } => {
                self.remove(namespace, name);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Close every port of the Service `namespace/name`.
    pub fn remove(&mut self, namespace: &str, name: &str) {
        let prefix = format!("{namespace}/{name}");
        let keys: Vec<String> = self
            .ports
            .keys()
            .filter(|k| endpoints::key_belongs(k, &prefix))
            .cloned()
            .collect();
        for k in keys {
            self.close(&k);
        }
    }

    fn sync_port(&mut self, v: PortView) -> Result<()> {
        if let Some(p) = self.ports.get(&v.key) {
            if p.addr() == (v.cluster_ip, v.port) {
                p.update(&v, self.mode);
                return Ok(());
            }
            let k = v.key.clone();
            self.close(&k);
        }
        let ip = v.cluster_ip;
        if Some(ip) != self.node_ip && !self.addrs.contains_key(&ip) {
            link::ip(&self.ns, &crate::net::addr::add(SERVICE_DEVICE, ip, 32))?;
        }
        *self.addrs.entry(ip).or_insert(0) += 1;
        match PortProxy::start(&self.ns, &v, self.mode, self.shared.clone()) {
            Ok(p) => {
                self.ports.insert(v.key.clone(), p);
                Ok(())
            }
            Err(e) => {
                self.release_addr(ip);
                Err(e)
            }
        }
    }

    fn close(&mut self, key: &str) {
        if let Some(p) = self.ports.remove(key) {
            let (ip, _) = p.addr();
            p.stop();
            self.release_addr(ip);
        }
    }

    fn release_addr(&mut self, ip: Ipv4Addr) {
        if Some(ip) == self.node_ip {
            // The node's own address (a NodePort listener) stays on eth0.
            return;
        }
        let n = self.addrs.get(&ip).copied().unwrap_or(0);
        if n <= 1 {
            self.addrs.remove(&ip);
            let _ = link::ip(&self.ns, &format!("addr del {ip}/32 dev {SERVICE_DEVICE}"));
        } else {
            self.addrs.insert(ip, n - 1);
        }
    }

    /// The service ports listening (`namespace/name:port` keys).
    pub fn ports(&self) -> Vec<String> {
        self.ports.keys().cloned().collect()
    }

    /// Connections currently open per endpoint (`ip:port`) of a service port.
    pub fn active(&self, key: &str) -> BTreeMap<String, u64> {
        self.ports.get(key).map(|p| p.active()).unwrap_or_default()
    }

    /// Close every listener and connection (joining their threads) and remove the device.
    pub fn shutdown(mut self) -> Result<()> {
        self.stop_all();
        link::ip(&self.ns, &link::del(SERVICE_DEVICE))
            .map_err(|e| Error::Net(format!("remove {SERVICE_DEVICE}: {e}")))
    }

    fn stop_all(&mut self) {
        for (_, p) in std::mem::take(&mut self.ports) {
            p.stop();
        }
        self.addrs.clear();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop_all();
    }
}
