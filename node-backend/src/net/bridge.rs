//! Linux bridges: the switch between nodes (`sw0`, no address: layer 2 only), each node's pod
//! bridge `cbr0` (kubenet's name; the CNI bridge plugin's default is `cni0`) with the pod
//! CIDR's first address as the pods' gateway (bridge plugin `isGateway: true`).

use super::cidr::Ipv4Net;
use super::link;

/// Lines that make bridge `name` (with `gateway` as its address) and bring it up.
pub fn create(name: &str, gateway: Option<(std::net::Ipv4Addr, Ipv4Net)>) -> Vec<String> {
    let mut v = vec![format!("link add {name} type bridge")];
    if let Some((ip, net)) = gateway {
        v.push(super::addr::add(name, ip, net.prefix));
    }
    v.push(link::up(name));
    v
}

/// Lines that plug `port` into bridge `bridge` and bring it up.
pub fn attach(port: &str, bridge: &str) -> Vec<String> {
    vec![format!("link set {port} master {bridge}"), link::up(port)]
}
