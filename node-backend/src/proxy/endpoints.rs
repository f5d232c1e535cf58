//! From a Service and its EndpointSlices to what one service port's listener balances over,
//! as kube-proxy's change trackers build `ServicePortName -> []Endpoint` (pkg/proxy
//! `serviceport.go`, `endpointslicecache.go`): slices are matched to the Service by their
//! `kubernetes.io/service-name` label, and a slice port to a service port by name; unknown
//! conditions read as upstream says (ready and serving unknown: true; terminating: false).

use crate::error::{Error, Result};
use cellsim_core::api::discovery::EndpointSlice;
use cellsim_core::api::service::Service;
use cellsim_core::net::select::{affinity_ms, EndpointState};
use std::net::{Ipv4Addr, SocketAddrV4};

/// One endpoint of a service port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ep {
    pub addr: SocketAddrV4,
    pub state: EndpointState,
}

impl Ep {
    /// The endpoint's identity for `Balancer::pick` (address and port, packed).
    pub fn id(&self) -> u64 {
        (u64::from(u32::from(*self.addr.ip())) << 16) | u64::from(self.addr.port())
    }
}

/// One service port as the proxy serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortView {
    /// `namespace/name:port` (the port's name, or its number when unnamed).
    pub key: String,
    pub cluster_ip: Ipv4Addr,
    pub port: u16,
    /// ClientIP affinity timeout (`select::affinity_ms`).
    pub affinity_ms: Option<u64>,
    /// `internalTrafficPolicy: Local`: only this node's endpoints.
    pub local_only: bool,
    /// In (address, port) order.
    pub endpoints: Vec<Ep>,
}

/// `namespace/name` of a Service.
pub fn service_key(s: &Service) -> String {
    format!("{}/{}", s.metadata.namespace, s.metadata.name)
}

/// Whether a port key belongs to the Service `prefix` (`namespace/name`).
pub fn key_belongs(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix).is_some_and(|r| r.starts_with(':'))
}

/// The TCP ports of `service` with their endpoints from `slices`, as seen from node `node`.
/// A headless Service (clusterIP `None` or empty) has none.
pub fn views(service: &Service, slices: &[EndpointSlice], node: &str) -> Result<Vec<PortView>> {
    let spec = &service.spec;
    if spec.cluster_ip.is_empty() || spec.cluster_ip == "None" {
        return Ok(Vec::new());
    }
    let cluster_ip: Ipv4Addr = spec.cluster_ip.parse().map_err(|_| {
        Error::Invalid(format!(
            "Service {}: clusterIP {:?} is not an IPv4 address",
            service_key(service),
            spec.cluster_ip
        ))
    })?;
    let mine: Vec<&EndpointSlice> = slices
        .iter()
        .filter(|s| {
            s.metadata.namespace == service.metadata.namespace
                && s.service_name() == Some(service.metadata.name.as_str())
        })
        .collect();
    let mut out = Vec::new();
    for p in &spec.ports {
        if !(p.protocol.is_empty() || p.protocol == "TCP") {
            continue;
        }
        let port = u16::try_from(p.port).map_err(|_| {
            Error::Invalid(format!(
                "Service {}: port {} out of range",
                service_key(service),
                p.port
            ))
        })?;
        let mut eps: Vec<Ep> = Vec::new();
        for s in &mine {
            let Some(sp) = s.ports.iter().find(|sp| sp.name == p.name) else {
                continue;
            };
            let Ok(target) = u16::try_from(sp.port) else {
                continue;
            };
            for e in &s.endpoints {
                let ready = e.conditions.ready.unwrap_or(true);
                let state = EndpointState {
                    ready,
                    serving: e.conditions.serving.unwrap_or(ready),
                    terminating: e.conditions.terminating.unwrap_or(false),
                    local: e.node_name == node,
                };
                for a in &e.addresses {
                    if let Ok(ip) = a.parse::<Ipv4Addr>() {
                        eps.push(Ep {
                            addr: SocketAddrV4::new(ip, target),
                            state,
                        });
                    }
                }
            }
        }
        eps.sort_by_key(|e| (*e.addr.ip(), e.addr.port()));
        eps.dedup_by_key(|e| e.addr);
        let pname = if p.name.is_empty() {
            p.port.to_string()
        } else {
            p.name.clone()
        };
        out.push(PortView {
            key: format!("{}:{pname}", service_key(service)),
            cluster_ip,
            port,
            affinity_ms: affinity_ms(spec),
            local_only: spec.internal_traffic_policy.as_deref() == Some("Local"),
            endpoints: eps,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load<T: serde::de::DeserializeOwned>(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn ports_match_slices_by_name_and_conditions_default_as_upstream() {
        let svc: Service = load(
            r#"{"metadata": {"name": "web", "namespace": "default"},
                "spec": {"clusterIP": "10.96.0.10", "sessionAffinity": "ClientIP",
                         "ports": [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]}}"#,
        );
        let slices: Vec<EndpointSlice> = vec![
            load(
                r#"{"metadata": {"name": "web-abc", "namespace": "default",
                                 "labels": {"kubernetes.io/service-name": "web"}},
                    "ports": [{"name": "http", "port": 8080}],
                    "endpoints": [
                      {"addresses": ["10.244.1.3"], "conditions": {"ready": false, "serving": true, "terminating": true}, "nodeName": "b"},
                      {"addresses": ["10.244.0.2"], "conditions": {}, "nodeName": "a"}]}"#,
            ),
            load(
                r#"{"metadata": {"name": "other", "namespace": "default",
                                 "labels": {"kubernetes.io/service-name": "api"}},
                    "ports": [{"name": "http", "port": 9}],
                    "endpoints": [{"addresses": ["10.244.9.9"]}]}"#,
            ),
        ];
        let v = views(&svc, &slices, "a").unwrap();
        assert_eq!(v.len(), 1, "UDP ports are not proxied");
        let p = &v[0];
        assert_eq!(p.key, "default/web:http");
        assert_eq!(
            (p.cluster_ip.to_string(), p.port),
            ("10.96.0.10".into(), 80)
        );
        assert_eq!(p.affinity_ms, Some(10_800_000));
        let eps: Vec<String> = p.endpoints.iter().map(|e| e.addr.to_string()).collect();
        assert_eq!(eps, ["10.244.0.2:8080", "10.244.1.3:8080"]);
        let s0 = p.endpoints[0].state;
        assert!(s0.ready && s0.serving && !s0.terminating && s0.local);
        let s1 = p.endpoints[1].state;
        assert!(!s1.ready && s1.serving && s1.terminating && !s1.local);
        assert!(key_belongs("default/web:http", "default/web"));
        assert!(!key_belongs("default/web2:http", "default/web"));
        let mut headless = svc.clone();
        headless.spec.cluster_ip = "None".into();
        assert!(views(&headless, &slices, "a").unwrap().is_empty());
        headless.spec.cluster_ip = "fd00::1".into();
        assert!(views(&headless, &slices, "a").is_err());
    }
}
