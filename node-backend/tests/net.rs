//! (root) Pod networking: two node namespaces on a switch, a pod namespace on each, a TCP
//! connection from one pod to the other's address across the nodes; teardown leaves no
//! namespace file, mount, link or process; `cleanup` removes the leftovers of a "crashed" run.

mod common;

use cellsim_node::net::link;
use cellsim_node::net::netns::NetNs;
use cellsim_node::net::node::{ClusterNet, NetConfig};
use std::io::{Read, Write};
use std::net::{SocketAddrV4, TcpListener, TcpStream};

fn prefix(name: &str) -> String {
    format!("cellsim-test-{}-{name}", std::process::id())
}

#[test]
fn pods_on_two_nodes_talk_over_tcp_and_teardown_is_clean() {
    common::require_root();
    let prefix = prefix("net2");
    let mut cluster =
        ClusterNet::create(NetConfig::new(&prefix), &["a".to_string(), "b".to_string()])
            .expect("cluster network");
    let (na, nb) = (cluster.nodes[0].clone(), cluster.nodes[1].clone());
    assert_eq!(na.pod_cidr.to_string(), "10.244.0.0/24");
    assert_eq!(nb.pod_cidr.to_string(), "10.244.1.0/24");
    assert_eq!(
        link::names(&na.ns).unwrap(),
        ["cbr0", "eth0", "lo"],
        "a node holds its uplink, its pod bridge and loopback"
    );
    // Stand-ins for two pod sandboxes' namespaces.
    let pa = NetNs::create(&format!("{prefix}-pod-a")).unwrap();
    let pb = NetNs::create(&format!("{prefix}-pod-b")).unwrap();
    let ip_a = na.attach_pod("pod-a", &pa).unwrap();
    let ip_b = nb.attach_pod("pod-b", &pb).unwrap();
    assert_eq!(ip_a.to_string(), "10.244.0.2");
    assert_eq!(ip_b.to_string(), "10.244.1.2");
    let mut inodes: Vec<u64> = cluster
        .namespaces()
        .iter()
        .filter_map(|n| n.inode())
        .collect();
    inodes.extend([pa.inode().unwrap(), pb.inode().unwrap()]);

    // pod-b listens on its own address; pod-a connects across the switch.
    let listener = pb
        .run(move || TcpListener::bind(SocketAddrV4::new(ip_b, 8080)))
        .unwrap()
        .unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, peer) = listener.accept().unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).unwrap();
        s.write_all(format!("pong from {ip_b} to {}", peer.ip()).as_bytes())
            .unwrap();
        buf
    });
    let reply = pa
        .run(move || -> std::io::Result<String> {
            let mut c = TcpStream::connect_timeout(
                &SocketAddrV4::new(ip_b, 8080).into(),
                std::time::Duration::from_secs(3),
            )?;
            c.write_all(b"ping!")?;
            let mut r = String::new();
            c.read_to_string(&mut r)?;
            Ok(r)
        })
        .unwrap()
        .expect("pod a reaches pod b");
    assert_eq!(&server.join().unwrap(), b"ping!");
    // No NAT anywhere: pod b sees pod a's own address (the Kubernetes network model).
    assert_eq!(reply, format!("pong from {ip_b} to {ip_a}"));

    // A pod's own namespace has eth0 with its address and a route via its node's gateway.
    assert_eq!(link::names(&pa).unwrap(), ["eth0", "lo"]);
    // Detaching removes the host-side veth and frees the address.
    na.detach_pod("pod-a");
    assert_eq!(na.pods_attached(), 0);
    assert_eq!(link::names(&na.ns).unwrap(), ["cbr0", "eth0", "lo"]);
    assert_eq!(
        link::names(&pa).unwrap(),
        ["lo"],
        "the pair went with its host end"
    );

    pa.delete().unwrap();
    pb.delete().unwrap();
    assert!(cluster.teardown().is_empty());
    common::assert_net_clean(&prefix, &inodes);
}

#[test]
fn cleanup_removes_namespaces_of_a_crashed_run() {
    common::require_root();
    let prefix = prefix("crash");
    let cluster = ClusterNet::create(NetConfig::new(&prefix), &["a".to_string()]).unwrap();
    let inodes: Vec<u64> = cluster
        .namespaces()
        .iter()
        .filter_map(|n| n.inode())
        .collect();
    // A "crash": the run goes away without its teardown.
    std::mem::forget(cluster);
    let p = prefix.clone();
    let found = cellsim_node::cleanup::clean_netns(&move |n: &str| n.starts_with(&p));
    assert_eq!(found.len(), 2, "switch and node namespace: {found:?}");
    common::assert_net_clean(&prefix, &inodes);
    let p = prefix.clone();
    assert!(cellsim_node::cleanup::clean_netns(&move |n: &str| n.starts_with(&p)).is_empty());
}

#[test]
fn nodes_join_and_leave_at_run_time_with_routes_both_ways() {
    common::require_root();
    let prefix = prefix("netadd");
    let mut cluster =
        ClusterNet::create(NetConfig::new(&prefix), &["a".to_string()]).expect("cluster network");
    let mut inodes: Vec<u64> = cluster
        .namespaces()
        .iter()
        .filter_map(|n| n.inode())
        .collect();
    let routes = |ns: &NetNs| {
        ns.run(|| {
            let o = std::process::Command::new("ip")
                .args(["-4", "route", "show"])
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).into_owned()
        })
        .unwrap()
    };
    // A joining node: the next index, its CIDR, routes from and to it.
    let nb = cluster.add_node("b").expect("add b");
    inodes.extend(nb.ns.inode());
    assert_eq!(
        (nb.index, nb.pod_cidr.to_string(), nb.node_ip.to_string()),
        (1, "10.244.1.0/24".into(), "10.250.0.3".into())
    );
    let na = cluster.nodes[0].clone();
    assert!(routes(&na.ns).contains("10.244.1.0/24 via 10.250.0.3"));
    assert!(routes(&nb.ns).contains("10.244.0.0/24 via 10.250.0.2"));
    // Pods on the old and the new node talk.
    let pa = NetNs::create(&format!("{prefix}-pod-a")).unwrap();
    let pb = NetNs::create(&format!("{prefix}-pod-b")).unwrap();
    inodes.extend([pa.inode().unwrap(), pb.inode().unwrap()]);
    let ip_a = na.attach_pod("pod-a", &pa).unwrap();
    let ip_b = nb.attach_pod("pod-b", &pb).unwrap();
    let listener = pb
        .run(move || TcpListener::bind(SocketAddrV4::new(ip_b, 8080)))
        .unwrap()
        .unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, peer) = listener.accept().unwrap();
        s.write_all(peer.ip().to_string().as_bytes()).unwrap();
    });
    let seen = pa
        .run(move || -> std::io::Result<String> {
            let mut c = TcpStream::connect(SocketAddrV4::new(ip_b, 8080))?;
            let mut out = String::new();
            c.read_to_string(&mut out)?;
            Ok(out)
        })
        .unwrap()
        .unwrap();
    server.join().unwrap();
    assert_eq!(seen, ip_a.to_string());
    nb.detach_pod("pod-b");
    // Leaving: its namespace, switch port and the others' routes to it go.
    cluster.remove_node("b").expect("remove b");
    assert!(!nb.ns.path.exists());
    assert_eq!(link::names(&cluster.switch).unwrap(), ["lo", "n0", "sw0"]);
    assert!(!routes(&na.ns).contains("10.244.1.0/24"));
    // Indices are not reused.
    let nc = cluster.add_node("c").expect("add c");
    inodes.extend(nc.ns.inode());
    assert_eq!(nc.pod_cidr.to_string(), "10.244.2.0/24");
    na.detach_pod("pod-a");
    pa.delete().unwrap();
    pb.delete().unwrap();
    assert!(cluster.teardown().is_empty());
    common::assert_net_clean(&prefix, &inodes);
}
