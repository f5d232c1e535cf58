//! One simulation of an edited scenario and its verdict.

pub use super::metrics::Utilization;
use super::metrics::{utilization, ClusterUse};
use crate::scenario::Scenario;
use crate::sim::{RunOptions, Sim};
use serde::Serialize;

/// The verdict of one run: the workload fits when, at the end of the scenario, no pod is left
/// without a node and every expectation held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// Nodes in the cluster (or pool) this run had.
    pub nodes: u32,
    pub fits: bool,
    /// Why not ("3 pods pending", "expectation ... failed: ..."); empty when it fits.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub pending_pods: u64,
    pub failed_expectations: u64,
}

/// Run `s` to its end with `seed` (`None`: the scenario's) and return the final cluster.
pub fn simulate(
    s: Scenario,
    seed: Option<u64>,
) -> (ClusterUse, Vec<crate::report::ExpectationResult>) {
    let opts = RunOptions {
        seed,
        ..RunOptions::default()
    };
    let mut sim = Sim::new(s, &opts);
    sim.run();
    let report = sim.report();
    let mut c = ClusterUse::of(&sim.store);
    for t in &report.traffic {
        c.requests += t.requests;
        c.failed_requests += t.failed;
    }
    (c, report.expectations)
}

/// Run `s` and judge it; `nodes` is what the caller counts (pool size or machines).
pub fn probe(s: Scenario, seed: Option<u64>, nodes: u32) -> (Probe, ClusterUse) {
    let (c, expectations) = simulate(s, seed);
    let failed: Vec<_> = expectations.iter().filter(|e| !e.passed).collect();
    let mut reason = Vec::new();
    if c.pending > 0 {
        reason.push(if c.pending == 1 {
            "1 pod pending".to_string()
        } else {
            format!("{} pods pending", c.pending)
        });
    }
    if let Some(e) = failed.first() {
        reason.push(format!(
            "expectation {:?} failed ({}){}",
            e.description,
            e.detail,
            if failed.len() > 1 {
                format!(" and {} more", failed.len() - 1)
            } else {
                String::new()
            }
        ));
    }
    let p = Probe {
        nodes,
        fits: reason.is_empty(),
        reason: reason.join("; "),
        pending_pods: c.pending,
        failed_expectations: failed.len() as u64,
    };
    (p, c)
}

/// Utilization of one pool's nodes.
pub fn pool_utilization(c: &ClusterUse, pool: &str) -> Utilization {
    utilization(c.nodes.iter().filter(|n| n.pool.as_deref() == Some(pool)))
}
