//! (root) The userspace service proxy: three busybox httpd pods on two nodes, a ClusterIP
//! Service proxied from node a; 30 requests through the ClusterIP reach every pod in iptables
//! (random) mode, stick to one pod with ClientIP affinity, skip a pod whose endpoint turns not
//! ready, and cycle in endpoint order in IPVS round-robin mode. Everything is removed at the
//! end. Service state reaches the proxy as `agent_api` control messages.

mod common;

use cellsim_core::agent_api::{self, ControlMessage};
use cellsim_core::api::discovery::EndpointSlice;
use cellsim_core::api::service::Service;
use cellsim_core::net::select::{IpvsScheduler, ProxyMode};
use cellsim_node::net::link;
use cellsim_node::net::NetNs;
use cellsim_node::proxy::{Proxy, SERVICE_DEVICE};
use common::Harness;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddrV4, TcpStream};
use std::time::{Duration, Instant};

const HTTPD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: NAME}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: cellsim/busybox:latest
    command: [sh, -c, "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
"#;

/// `n` HTTP GETs of `/` from inside `ns`; the bodies.
fn get(ns: &NetNs, addr: SocketAddrV4, n: usize) -> Vec<String> {
    ns.run(move || {
        (0..n)
            .map(|_| {
                let mut c = TcpStream::connect_timeout(&addr.into(), Duration::from_secs(3))
                    .expect("connect to the ClusterIP");
                c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                c.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
                let mut r = String::new();
                c.read_to_string(&mut r).unwrap();
                r.split("\r\n\r\n").nth(1).unwrap_or("").trim().to_string()
            })
            .collect()
    })
    .unwrap()
}

fn counts(bodies: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for b in bodies {
        *m.entry(b.clone()).or_insert(0) += 1;
    }
    m
}

fn service(affinity: bool) -> Service {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"clusterIP": "10.96.0.10", "ports": [{"name": "http", "port": 80}],
                 "sessionAffinity": if affinity { "ClientIP" } else { "None" }}
    }))
    .unwrap()
}

fn slice(eps: &[(&str, &str, bool)]) -> EndpointSlice {
    let endpoints: Vec<serde_json::Value> = eps
        .iter()
        .map(|(ip, node, ready)| {
            serde_json::json!({"addresses": [ip], "nodeName": node,
                               "conditions": {"ready": ready, "serving": ready, "terminating": false}})
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web-x7k2p", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        "endpoints": endpoints
    }))
    .unwrap()
}

#[test]
fn requests_through_the_cluster_ip_follow_the_shared_selection() {
    common::require_root();
    let mut net = common::TwoNodes::new("proxy");
    let na = net.na.clone();
    let (ha, hb) = (&mut net.ha, &mut net.hb);
    let p0 = ha.run(&HTTPD.replace("NAME", "web-0"));
    let p1 = hb.run(&HTTPD.replace("NAME", "web-1"));
    let p2 = hb.run(&HTTPD.replace("NAME", "web-2"));
    ha.wait_running(&p0, "httpd");
    hb.wait_running(&p1, "httpd");
    hb.wait_running(&p2, "httpd");
    let ip = |h: &mut Harness, u: &str| h.agent().pod_status(u).unwrap().pod_ip.clone();
    let ips = [ip(ha, &p0), ip(hb, &p1), ip(hb, &p2)];
    assert_eq!(ips, ["10.244.0.2", "10.244.1.2", "10.244.1.3"]);
    // Wait until every httpd answers on its pod IP (from node a's namespace).
    for pod_ip in &ips {
        let a: SocketAddrV4 = format!("{pod_ip}:80").parse().unwrap();
        let t0 = Instant::now();
        while na
            .ns
            .run(move || TcpStream::connect_timeout(&a.into(), Duration::from_millis(200)).is_err())
            .unwrap()
        {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "{pod_ip}:80 never answered"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let all_ready = slice(&[
        (&ips[0], "a", true),
        (&ips[1], "b", true),
        (&ips[2], "b", true),
    ]);
    let vip: SocketAddrV4 = "10.96.0.10:80".parse().unwrap();

    // iptables mode (uniform random): 30 requests reach all three pods.
    let mut proxy = Proxy::new(na.ns.clone(), "a", ProxyMode::Iptables, 7).unwrap();
    // The first state arrives as the control plane will send it: one line of the agent API.
    let line = agent_api::encode(
        0,
        &ControlMessage::SyncService {
            service: Box::new(service(false)),
            slices: vec![all_ready.clone()],
        },
    );
    let msg: ControlMessage = agent_api::Receiver::default().accept(&line).unwrap();
    assert!(proxy.apply(&msg).unwrap());
    assert_eq!(proxy.ports(), ["default/web:http"]);
    let c = counts(&get(&na.ns, vip, 30));
    assert_eq!(
        c.keys().collect::<Vec<_>>(),
        ["web-0", "web-1", "web-2"],
        "random picks reach every pod: {c:?}"
    );
    assert_eq!(c.values().sum::<usize>(), 30);

    // ClientIP affinity: one client sticks to one pod.
    proxy
        .sync(&service(true), std::slice::from_ref(&all_ready))
        .unwrap();
    let c = counts(&get(&na.ns, vip, 30));
    assert_eq!(c.len(), 1, "ClientIP affinity pins the client: {c:?}");

    // EndpointSlice readiness: web-1 not ready, no affinity: only web-0 and web-2 answer.
    let one_down = slice(&[
        (&ips[0], "a", true),
        (&ips[1], "b", false),
        (&ips[2], "b", true),
    ]);
    proxy.sync(&service(false), &[one_down]).unwrap();
    let c = counts(&get(&na.ns, vip, 30));
    assert_eq!(c.keys().collect::<Vec<_>>(), ["web-0", "web-2"], "{c:?}");
    proxy.shutdown().unwrap();
    assert!(!link::names(&na.ns)
        .unwrap()
        .contains(&SERVICE_DEVICE.to_string()));

    // IPVS round robin: exactly endpoint order, over and over.
    let mut rr = Proxy::new(
        na.ns.clone(),
        "a",
        ProxyMode::Ipvs(IpvsScheduler::RoundRobin),
        7,
    )
    .unwrap();
    rr.sync(&service(false), std::slice::from_ref(&all_ready))
        .unwrap();
    let got = get(&na.ns, vip, 6);
    assert_eq!(got, ["web-0", "web-1", "web-2", "web-0", "web-1", "web-2"]);
    // A service that goes away closes its listener.
    let gone = ControlMessage::RemoveService {
        namespace: "default".into(),
        name: "web".into(),
    };
    assert!(rr.apply(&gone).unwrap());
    assert!(rr.ports().is_empty());
    let refused = na
        .ns
        .run(move || TcpStream::connect_timeout(&vip.into(), Duration::from_millis(300)).is_err())
        .unwrap();
    assert!(
        refused,
        "no listener and no ClusterIP after the service is removed"
    );
    rr.shutdown().unwrap();

    net.finish();
}
