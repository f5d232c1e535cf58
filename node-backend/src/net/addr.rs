//! Addresses, routes and per-namespace sysctls.

use super::netns::NetNs;
use crate::error::{Error, Result};
use std::net::Ipv4Addr;

/// `addr add IP/PREFIX dev DEV`.
pub fn add(dev: &str, ip: Ipv4Addr, prefix: u8) -> String {
    format!("addr add {ip}/{prefix} dev {dev}")
}

/// `route add DST via GW`.
pub fn route_via(dst: super::Ipv4Net, via: Ipv4Addr) -> String {
    format!("route add {dst} via {via}")
}

/// `route add default via GW`.
pub fn default_via(via: Ipv4Addr) -> String {
    format!("route add default via {via}")
}

/// Write a `/proc/sys/net/...` value inside `ns` (those files belong to the namespace of the
/// process that opens them), e.g. `ipv4/ip_forward` = 1, which a node needs to route between
/// its pod bridge and the switch (kubenet and the bridge plugin's `ipMasq`-less setup both
/// require it).
pub fn sysctl(ns: &NetNs, key: &str, value: &str) -> Result<()> {
    let path = format!("/proc/sys/net/{key}");
    let v = value.to_string();
    let p = path.clone();
    ns.run(move || std::fs::write(&p, v))?
        .map_err(|e| Error::Net(format!("write {path} in {}: {e}", ns.name)))
}
