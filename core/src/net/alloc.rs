//! ClusterIP and NodePort allocation, as the API server's Service registry does it on create
//! (pkg/registry/core/service/ipallocator and portallocator).
//!
//! Upstream picks a random free value, preferring the upper ("dynamic") part of the range so
//! that the lower ("static") part stays free for values users choose by hand
//! (ServiceIPStaticSubrange / ServiceNodePortStaticSubrange, GA in 1.26 / 1.29). Here the
//! first free value of the dynamic band is taken instead — the same band, no random draw — so
//! adding a Service never shifts the run's random stream; when the dynamic band is full the
//! static band is used, as upstream falls back.

use super::ip::{Cidr, Ipv4};
use crate::api::service::Service;
use crate::api::{Kind, Object};
use crate::collections::OrdSet;
use crate::store::MemoryStore;
use std::ops::RangeInclusive;

/// kube-apiserver `--service-cluster-ip-range` as kubeadm sets it by default.
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
/// kube-apiserver `--service-node-port-range` default.
pub const NODE_PORT_RANGE: RangeInclusive<i32> = 30000..=32767;

/// ipallocator `calculateRangeOffset`: the static band is size/16, at least 16, at most 256.
fn ip_offset(size: u64) -> u64 {
    if size < 16 {
        return 0;
    }
    (size / 16).clamp(16, 256)
}

/// portallocator `calculateRangeOffset`: the static band is size/32, at least 16, at most 128.
fn port_offset(size: u64) -> u64 {
    if size < 16 {
        return 0;
    }
    (size / 32).clamp(16, 128)
}

fn service_cidr() -> Cidr {
    Cidr::parse(SERVICE_CIDR).expect("constant")
}

fn services(store: &MemoryStore) -> impl Iterator<Item = &Service> {
    store.objects(Kind::Service).filter_map(|o| match o {
        Object::Service(s) => Some(s),
        _ => None,
    })
}

/// Give a Service being created its ClusterIP and NodePorts. Values set in the manifest are
/// kept when free; a taken or out-of-range value is the API server's rejection.
pub fn assign(store: &MemoryStore, svc: &mut Service) -> Result<(), String> {
    let invalid = |field: &str, msg: String| {
        format!("Service {:?} is invalid: {field}: {msg}", svc.metadata.name)
    };
    let spec = &svc.spec;
    let cidr = service_cidr();
    let mut ip_err = None;
    let mut ip = None;
    if spec.kind != "ExternalName" && spec.cluster_ip != "None" {
        let used: OrdSet<u32> = OrdSet::from_iter(
            services(store)
                .filter_map(|s| Ipv4::parse(&s.spec.cluster_ip))
                .map(|i| i.0),
        );
        if spec.cluster_ip.is_empty() {
            // Index 0 is the network address and the last the broadcast address: neither is
            // handed out (ipallocator's range is base+1 .. size-2).
            let usable = cidr.size() - 2;
            let first = cidr.base.0 + 1;
            let off = ip_offset(usable);
            let pick = (off..usable)
                .chain(0..off)
                .map(|i| first + i as u32)
                .find(|a| !used.contains(a));
            match pick {
                Some(a) => ip = Some(Ipv4(a)),
                None => {
                    ip_err = Some(invalid(
                        "spec.clusterIPs",
                        "Internal error: failed to allocate a serviceIP: range is full".into(),
                    ))
                }
            }
        } else {
            let want = Ipv4::parse(&spec.cluster_ip).unwrap_or(Ipv4(0));
            if !cidr.contains(want) {
                ip_err = Some(invalid(
                    "spec.clusterIPs",
                    format!(
                        "Invalid value: []string{{{:?}}}: failed to allocate IP {want}: the provided IP ({want}) is not in the valid range. The range of valid IPs is {cidr}",
                        spec.cluster_ip
                    ),
                ));
            } else if used.contains(&want.0) {
                ip_err = Some(invalid(
                    "spec.clusterIPs",
                    format!(
                        "Invalid value: []string{{{:?}}}: failed to allocate IP {want}: provided IP is already allocated",
                        spec.cluster_ip
                    ),
                ));
            }
        }
    }
    if let Some(e) = ip_err {
        return Err(e);
    }
    let mut ports = Vec::new();
    if matches!(spec.kind.as_str(), "NodePort" | "LoadBalancer") {
        let mut used: OrdSet<i32> = OrdSet::from_iter(
            services(store)
                .flat_map(|s| s.spec.ports.iter().filter_map(|p| p.node_port))
                .filter(|p| *p != 0),
        );
        let size = (NODE_PORT_RANGE.end() - NODE_PORT_RANGE.start() + 1) as u64;
        let off = port_offset(size) as i32;
        let lo = *NODE_PORT_RANGE.start();
        for (i, p) in spec.ports.iter().enumerate() {
            match p.node_port.filter(|n| *n != 0) {
                Some(n) => {
                    if !used.insert(n) {
                        return Err(invalid(
                            &format!("spec.ports[{i}].nodePort"),
                            format!("Invalid value: {n}: provided port is already allocated"),
                        ));
                    }
                    ports.push(n);
                }
                None => {
                    let pick = (lo + off..=*NODE_PORT_RANGE.end())
                        .chain(lo..lo + off)
                        .find(|n| !used.contains(n));
                    let Some(n) = pick else {
                        return Err(invalid(
                            &format!("spec.ports[{i}].nodePort"),
                            "Internal error: failed to allocate a nodePort: range is full".into(),
                        ));
                    };
                    used.insert(n);
                    ports.push(n);
                }
            }
        }
    }
    if let Some(ip) = ip {
        svc.spec.cluster_ip = ip.to_string();
    }
    for (p, n) in svc.spec.ports.iter_mut().zip(ports) {
        p.node_port = Some(n);
    }
    if svc.spec.kind.is_empty() {
        svc.spec.kind = "ClusterIP".into();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::service::ServicePort;
    use crate::store::ObjectStore;

    fn svc(name: &str, kind: &str, ip: &str, node_port: Option<i32>) -> Service {
        let mut s = Service::default();
        s.metadata.name = name.into();
        s.metadata.namespace = "default".into();
        s.spec.kind = kind.into();
        s.spec.cluster_ip = ip.into();
        s.spec.ports = vec![ServicePort {
            port: 80,
            node_port,
            ..Default::default()
        }];
        s
    }

    fn add(store: &mut MemoryStore, mut s: Service) -> Result<Service, String> {
        assign(store, &mut s)?;
        store.create(Object::Service(s.clone())).unwrap();
        Ok(s)
    }

    #[test]
    fn cluster_ips_come_from_the_dynamic_band_in_order() {
        let mut st = MemoryStore::new();
        // /12: 2^20 - 2 usable; static band 256 (the maximum) -> first dynamic is .1 + 256.
        let a = add(&mut st, svc("a", "", "", None)).unwrap();
        assert_eq!(a.spec.cluster_ip, "10.96.1.1");
        assert_eq!(a.spec.kind, "ClusterIP");
        let b = add(&mut st, svc("b", "ClusterIP", "", None)).unwrap();
        assert_eq!(b.spec.cluster_ip, "10.96.1.2");
        // A hand-picked static address is kept; a taken one is rejected.
        let c = add(&mut st, svc("c", "ClusterIP", "10.96.0.10", None)).unwrap();
        assert_eq!(c.spec.cluster_ip, "10.96.0.10");
        let e = add(&mut st, svc("d", "ClusterIP", "10.96.0.10", None)).unwrap_err();
        assert!(e.contains("provided IP is already allocated"), "{e}");
        let e = add(&mut st, svc("d", "ClusterIP", "10.0.0.5", None)).unwrap_err();
        assert!(e.contains("The range of valid IPs is 10.96.0.0/12"), "{e}");
        // Headless services get none.
        let h = add(&mut st, svc("h", "ClusterIP", "None", None)).unwrap();
        assert_eq!(h.spec.cluster_ip, "None");
    }

    #[test]
    fn node_ports_skip_the_static_band_and_refuse_duplicates() {
        let mut st = MemoryStore::new();
        // 2768 ports: static band 2768/32 = 86.
        let a = add(&mut st, svc("a", "NodePort", "", None)).unwrap();
        assert_eq!(a.spec.ports[0].node_port, Some(30086));
        let b = add(&mut st, svc("b", "LoadBalancer", "", Some(30007))).unwrap();
        assert_eq!(b.spec.ports[0].node_port, Some(30007));
        let e = add(&mut st, svc("c", "NodePort", "", Some(30007))).unwrap_err();
        assert_eq!(
            e,
            "Service \"c\" is invalid: spec.ports[0].nodePort: Invalid value: 30007: provided port is already allocated"
        );
        let c = add(&mut st, svc("c", "ClusterIP", "", None)).unwrap();
        assert_eq!(c.spec.ports[0].node_port, None);
        assert_eq!(ip_offset(14), 0);
        assert_eq!(ip_offset(1000), 62);
        assert_eq!(port_offset(100), 16);
    }
}
