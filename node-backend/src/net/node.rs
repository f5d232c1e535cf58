//! The cluster's network on one host: the switch namespace and one namespace per node, with
//! each node's pod bridge, pod CIDR, pod address allocator and inter-node routes.

use super::cidr::{Ipam, Ipv4Net};
use super::netns::NetNs;
use super::{addr, bridge, link, veth};
use crate::error::{Error, Result};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

/// The switch namespace's bridge.
pub const SWITCH_BRIDGE: &str = "sw0";
/// A node's uplink to the switch (inside the node namespace).
pub const NODE_UPLINK: &str = "eth0";
/// The Service CIDR (the API server's `--service-cluster-ip-range` default of kubeadm).
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
/// A node's pod bridge (kubenet's name).
pub const POD_BRIDGE: &str = "cbr0";
/// A pod's interface (inside the sandbox's namespace), as every CNI plugin names it.
pub const POD_IFACE: &str = "eth0";

#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Every namespace's name starts with `<prefix>-` (`cellsim` for runs; tests use
    /// `cellsim-test-<pid>-<name>`, which the suite's leak check knows).
    pub prefix: String,
    /// The cluster CIDR, cut into one /`node_mask` per node.
    pub cluster_cidr: Ipv4Net,
    pub node_mask: u8,
    /// The switch's subnet: node i is its address `i + 2`.
    pub switch_cidr: Ipv4Net,
}

impl NetConfig {
    pub fn new(prefix: &str) -> NetConfig {
        NetConfig {
            prefix: prefix.to_string(),
            cluster_cidr: Ipv4Net::parse("10.244.0.0/16").expect("static"),
            node_mask: 24,
            switch_cidr: Ipv4Net::parse("10.250.0.0/24").expect("static"),
        }
    }
}

/// One node's network.
#[derive(Debug)]
pub struct NodeNet {
    pub name: String,
    pub index: u32,
    pub ns: NetNs,
    /// The node's address on the switch (its InternalIP).
    pub node_ip: Ipv4Addr,
    pub pod_cidr: Ipv4Net,
    ipam: Mutex<Ipam>,
}

impl NodeNet {
    pub fn gateway(&self) -> Ipv4Addr {
        self.ipam.lock().expect("lock").gateway()
    }

    /// Give the pod `key` (its uid) an address and connect the namespace `pod_ns` (its
    /// sandbox's) to the pod bridge: a veth pair, the pod's end named `eth0` with the address
    /// and a default route via the gateway (CNI bridge plugin ADD).
    pub fn attach_pod(&self, key: &str, pod_ns: &NetNs) -> Result<Ipv4Addr> {
        let (ip, gw, prefix) = {
            let mut ipam = self.ipam.lock().expect("lock");
            (ipam.allocate(key)?, ipam.gateway(), ipam.range.prefix)
        };
        let host = veth::host_name(key);
        let mut lines = vec![veth::create(&host, POD_IFACE, &pod_ns.path)];
        lines.extend(bridge::attach(&host, POD_BRIDGE));
        let done = link::batch(&self.ns, &lines).and_then(|()| {
            link::batch(
                pod_ns,
                &[
                    // A MAC derived from the address (CNI's `hwaddr.GenerateHardwareAddr4` with
                    // `PrivateMACPrefix` 0a:58, as the bridge plugin and kubenet set it): a
                    // pod that gets a released address answers to the MAC its neighbours
                    // still cache for it, so a reused address is reachable at once.
                    format!("link set {POD_IFACE} address {}", pod_mac(ip)),
                    addr::add(POD_IFACE, ip, prefix),
                    link::up(POD_IFACE),
                    addr::default_via(gw),
                ],
            )
        });
        if let Err(e) = done {
            self.detach_pod(key);
            return Err(e);
        }
        Ok(ip)
    }

    /// Record an address found in use by a re-adopted pod.
    pub fn reserve(&self, key: &str, ip: Ipv4Addr) -> Result<()> {
        self.ipam.lock().expect("lock").reserve(ip, key)
    }

    /// Remove the pod's veth (if its namespace still exists; the kernel removes the pair with
    /// the namespace otherwise) and release its address (CNI DEL: idempotent).
    pub fn detach_pod(&self, key: &str) {
        let host = veth::host_name(key);
        if link::names(&self.ns).is_ok_and(|n| n.contains(&host)) {
            let _ = link::ip(&self.ns, &link::del(&host));
        }
        self.ipam.lock().expect("lock").release(key);
    }

    pub fn pods_attached(&self) -> usize {
        self.ipam.lock().expect("lock").in_use()
    }
}

/// `0a:58:` + the address's four bytes.
pub fn pod_mac(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("0a:58:{:02x}:{:02x}:{:02x}:{:02x}", o[0], o[1], o[2], o[3])
}

/// The switch and every node's network. `teardown` (also on drop) deletes every namespace,
/// which removes every link and route in them.
#[derive(Debug)]
pub struct ClusterNet {
    pub cfg: NetConfig,
    pub switch: NetNs,
    pub nodes: Vec<Arc<NodeNet>>,
    /// The traffic client's namespace on the switch (`add_client`).
    pub client: Option<NetNs>,
    down: bool,
    /// One past the highest index of a removed node (indices are not reused).
    removed: u32,
}

/// The client's address on the switch (the last one of 10.250.0.0/24 below the broadcast).
pub const CLIENT_INDEX: u64 = 254;

impl ClusterNet {
    /// Build the switch and the nodes `names` (node i gets the i-th pod CIDR and switch
    /// address i + 2). On failure whatever was made is removed.
    pub fn create(cfg: NetConfig, names: &[String]) -> Result<ClusterNet> {
        let switch = NetNs::create(&format!("{}-switch", cfg.prefix))?;
        let mut net = ClusterNet {
            cfg,
            switch,
            nodes: Vec::new(),
            client: None,
            down: false,
            removed: 0,
        };
        match net.build(names) {
            Ok(()) => Ok(net),
            Err(e) => {
                net.teardown();
                Err(e)
            }
        }
    }

    fn build(&mut self, names: &[String]) -> Result<()> {
        link::batch(&self.switch, &bridge::create(SWITCH_BRIDGE, None))?;
        for (i, name) in names.iter().enumerate() {
            self.make_node(name, i as u32)?;
        }
        for n in &self.nodes {
            let routes: Vec<String> = self
                .nodes
                .iter()
                .filter(|m| m.index != n.index)
                .map(|m| addr::route_via(m.pod_cidr, m.node_ip))
                .collect();
            link::batch(&n.ns, &routes)?;
        }
        Ok(())
    }

    /// Node `name` with index `i`: its namespace, switch port `n<i>`, address `.i+2`, pod
    /// bridge on the i-th pod CIDR, forwarding (no routes to the other nodes yet).
    fn make_node(&mut self, name: &str, i: u32) -> Result<Arc<NodeNet>> {
        let cfg = self.cfg.clone();
        let node_ip = cfg
            .switch_cidr
            .nth(i as u64 + 2)
            .filter(|_| (i as u64 + 3) < cfg.switch_cidr.size() && (i as u64 + 2) < CLIENT_INDEX)
            .ok_or_else(|| {
                Error::Net(format!("{} has no address for node {i}", cfg.switch_cidr))
            })?;
        let pod_cidr = cfg.cluster_cidr.subnet(cfg.node_mask, i as u64)?;
        let ns = NetNs::create(&format!("{}-node-{name}", cfg.prefix))?;
        let node = Arc::new(NodeNet {
            name: name.to_string(),
            index: i,
            ns,
            node_ip,
            pod_cidr,
            ipam: Mutex::new(Ipam::new(pod_cidr)),
        });
        self.nodes.push(node.clone());
        let port = format!("n{i}");
        let mut sw = vec![veth::create(&port, NODE_UPLINK, &node.ns.path)];
        sw.extend(bridge::attach(&port, SWITCH_BRIDGE));
        link::batch(&self.switch, &sw)?;
        let mut lines = vec![
            addr::add(NODE_UPLINK, node_ip, cfg.switch_cidr.prefix),
            link::up(NODE_UPLINK),
        ];
        lines.extend(bridge::create(POD_BRIDGE, Some((node.gateway(), pod_cidr))));
        link::batch(&node.ns, &lines)?;
        addr::sysctl(&node.ns, "ipv4/ip_forward", "1")?;
        Ok(node)
    }

    /// A node joining at run time (`addNodes`, a Node created in the store): index one past
    /// the highest so far (its pod CIDR the index-th /24, as `create` gives them), routes
    /// from it to every other node's pod CIDR and back. On failure its namespace is removed.
    pub fn add_node(&mut self, name: &str) -> Result<Arc<NodeNet>> {
        if let Some(n) = self.node(name) {
            return Ok(n.clone());
        }
        let i = self.next_index();
        let r = self.make_node(name, i).and_then(|node| {
            let others: Vec<Arc<NodeNet>> = self
                .nodes
                .iter()
                .filter(|m| m.index != i)
                .cloned()
                .collect();
            let routes: Vec<String> = others
                .iter()
                .map(|m| addr::route_via(m.pod_cidr, m.node_ip))
                .collect();
            link::batch(&node.ns, &routes)?;
            for m in &others {
                link::batch(&m.ns, &[addr::route_via(node.pod_cidr, node.node_ip)])?;
            }
            Ok(node)
        });
        if r.is_err() {
            let _ = self.remove_node(name);
        }
        r
    }

    fn next_index(&self) -> u32 {
        self.nodes
            .iter()
            .map(|n| n.index + 1)
            .max()
            .unwrap_or(0)
            .max(self.removed)
    }

    /// A node leaving (`removeNodes`): its namespace is deleted (its veth pair, so its
    /// switch port, with it) and the other nodes' routes to its pod CIDR removed. Its
    /// index is not reused.
    pub fn remove_node(&mut self, name: &str) -> Result<()> {
        let Some(pos) = self.nodes.iter().position(|n| n.name == name) else {
            return Ok(());
        };
        let node = self.nodes.remove(pos);
        self.removed = self.removed.max(node.index + 1);
        for m in &self.nodes {
            let _ = link::ip(&m.ns, &format!("route del {}", node.pod_cidr));
        }
        // The switch port first: a deleted namespace's links go only when the kernel gets
        // round to destroying it (asynchronously), and the port would linger until then.
        let port = link::ip(&self.switch, &format!("link del n{}", node.index));
        node.ns.delete()?;
        port
    }

    pub fn node(&self, name: &str) -> Option<&Arc<NodeNet>> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Every namespace of the cluster (switch first, the client last).
    pub fn namespaces(&self) -> Vec<NetNs> {
        std::iter::once(self.switch.clone())
            .chain(self.nodes.iter().map(|n| n.ns.clone()))
            .chain(self.client.clone())
            .collect()
    }

    /// A client outside the nodes (`<prefix>-client`, `eth0` with the switch address
    /// `CLIENT_INDEX`, port `nc` on the switch), with the Service CIDR (`10.96.0.0/12`)
    /// routed via `via` (a node address), as a load balancer or a router in front of the
    /// nodes would send ClusterIP traffic to a node's proxy. Idempotent.
    pub fn add_client(&mut self, via: Ipv4Addr) -> Result<NetNs> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let ns = NetNs::create(&format!("{}-client", self.cfg.prefix))?;
        self.client = Some(ns.clone());
        let ip = self
            .cfg
            .switch_cidr
            .nth(CLIENT_INDEX)
            .ok_or_else(|| Error::Net("the switch subnet has no client address".into()))?;
        let mut sw = vec![veth::create("nc", NODE_UPLINK, &ns.path)];
        sw.extend(bridge::attach("nc", SWITCH_BRIDGE));
        link::batch(&self.switch, &sw)?;
        link::batch(
            &ns,
            &[
                addr::add(NODE_UPLINK, ip, self.cfg.switch_cidr.prefix),
                link::up(NODE_UPLINK),
                link::up("lo"),
            ],
        )?;
        self.route_services_via(via)?;
        Ok(ns)
    }

    /// Point the client's route to the Service CIDR at another node (its first choice
    /// failed).
    pub fn route_services_via(&self, via: Ipv4Addr) -> Result<()> {
        let Some(c) = &self.client else {
            return Ok(());
        };
        link::ip(c, &format!("route replace {SERVICE_CIDR} via {via}"))
    }

    /// Set node `index`'s switch port down or up (`failNode` cuts the machine's link).
    pub fn set_port(&self, index: u32, up: bool) -> Result<()> {
        let state = if up { "up" } else { "down" };
        link::ip(&self.switch, &format!("link set n{index} {state}"))
    }

    /// Delete every namespace (idempotent). Pods' namespaces belong to their sandboxes.
    pub fn teardown(&mut self) -> Vec<Error> {
        let mut errs = Vec::new();
        if self.down {
            return errs;
        }
        self.down = true;
        for n in &self.nodes {
            if let Err(e) = n.ns.delete() {
                errs.push(e);
            }
        }
        if let Some(c) = &self.client {
            if let Err(e) = c.delete() {
                errs.push(e);
            }
        }
        if let Err(e) = self.switch.delete() {
            errs.push(e);
        }
        errs
    }
}

impl Drop for ClusterNet {
    fn drop(&mut self) {
        self.teardown();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pod_macs_are_cni_hwaddr_of_the_address() {
        // containernetworking/plugins pkg/utils/hwaddr's test vectors.
        for (ip, mac) in [
            ("10.0.0.2", "0a:58:0a:00:00:02"),
            ("10.250.0.244", "0a:58:0a:fa:00:f4"),
            ("172.17.0.2", "0a:58:ac:11:00:02"),
        ] {
            assert_eq!(super::pod_mac(ip.parse().unwrap()), mac);
        }
    }
}
