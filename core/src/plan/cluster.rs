//! Editing a loaded scenario's cluster: another node count for one pool, or some machines
//! taken away. Everything else (objects, timeline, expectations, scheduler) stays as loaded.

use super::PlanError;
use crate::api::node::Node;
use crate::collections::OrdSet;
use crate::scenario::load::pool_node;
use crate::scenario::Scenario;

/// The zone label pool nodes carry (round-robin over the pool's `zones`).
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// The index of pool `name` in the scenario, or `UnknownPool` listing the pools there are.
pub fn pool_index(s: &Scenario, name: &str) -> Result<usize, PlanError> {
    s.pools
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| PlanError::UnknownPool {
            name: name.to_string(),
            known: if s.pools.is_empty() {
                "none".into()
            } else {
                s.pools
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
}

/// The nodes given verbatim (`spec.cluster.nodes`): those after every pool's nodes.
fn verbatim_nodes(s: &Scenario) -> &[Node] {
    let pooled: usize = s.pools.iter().map(|p| p.count as usize).sum();
    &s.nodes[pooled.min(s.nodes.len())..]
}

/// The scenario with `count` nodes in pool `pool` (index into `s.pools`): the pool's nodes are
/// `<pool>-0 .. <pool>-(count-1)` with the pool's labels, zones and taints, as the loader
/// makes them; `addNodes` on that pool continues from `count`.
pub fn with_pool_count(s: &Scenario, pool: usize, count: u32) -> Scenario {
    let mut out = s.clone();
    out.pools[pool].count = count;
    let mut nodes = Vec::new();
    for p in &out.pools {
        nodes.extend((0..p.count).map(|i| pool_node(p, i)));
    }
    nodes.extend(verbatim_nodes(s).iter().cloned());
    out.nodes = nodes;
    out
}

/// The scenario without the named nodes (as if the machines were not there at t=0).
pub fn without_nodes(s: &Scenario, gone: &OrdSet<String>) -> Scenario {
    let mut out = s.clone();
    out.nodes.retain(|n| !gone.contains(&n.metadata.name));
    out
}

/// A node's zone label, if any.
pub fn zone_of(n: &Node) -> Option<&str> {
    n.metadata.labels.get(ZONE_LABEL).map(String::as_str)
}
