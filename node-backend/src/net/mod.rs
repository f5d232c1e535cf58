//! Pod networking for a real cluster on one host (issue 9): every scenario node is a network
//! namespace, connected to the other nodes through a bridge inside a project-created "switch"
//! namespace; every node has its own pod bridge `cbr0`, one veth pair per pod into the pod
//! sandbox's network namespace, pod addresses from the node's pod CIDR and routes to the other
//! nodes' pod CIDRs. Nothing is created in the host's root network namespace, so no traffic can
//! reach the machine's real interfaces.
//!
//! This is the layout of kubenet (kubelet `--network-plugin=kubenet`, removed in 1.24) and of
//! the CNI `bridge` plugin with `host-local` IPAM (containernetworking/plugins
//! `plugins/main/bridge`, `plugins/ipam/host-local`), with the inter-node routes that a cloud
//! route controller (kube-controller-manager `--configure-cloud-routes`) or flannel's
//! `host-gw` backend installs.
//!
//! ```text
//!  netns <prefix>-switch:      sw0 (bridge, no address)
//!                              ├── n0 ══ veth ══ eth0 10.250.0.2/24  netns <prefix>-node-<a>
//!                              └── n1 ══ veth ══ eth0 10.250.0.3/24  netns <prefix>-node-<b>
//!  netns <prefix>-node-<a>:    cbr0 10.244.0.1/24, route 10.244.1.0/24 via 10.250.0.3
//!                              ├── veth<hash> ══ eth0 10.244.0.2/24 (pod sandbox netns)
//!                              └── cellsim-svc (port-less bridge holding ClusterIPs, see `proxy`)
//! ```
//!
//! Modules, one concept each: `netns` (named namespaces bind-mounted under
//! `/run/cellsim/netns`), `link` (running `ip` inside a namespace), `bridge`, `veth`, `addr`
//! (addresses, routes, sysctls), `cidr` (IPv4 prefixes, node CIDR allocation, host-local
//! IPAM), `node` (a node's network and the cluster's switch).
//!
//! Links, addresses and routes are made with iproute2's `ip` (batched: one process per
//! namespace and step) rather than a netlink crate: `rtnetlink` needs a tokio runtime and
//! `netlink-packet-route`'s message builders change between minor versions, while `ip`'s
//! command language is stable, is what the CNI plugins' own tests and `ip netns` users read,
//! and every call shows up as a readable line in an error. The cost is a fork+exec per batch
//! (about 2 ms).

pub mod addr;
pub mod bridge;
pub mod cidr;
pub mod link;
pub mod netns;
pub mod node;
pub mod veth;

pub use cidr::Ipv4Net;
pub use netns::NetNs;
pub use node::{ClusterNet, NodeNet};
