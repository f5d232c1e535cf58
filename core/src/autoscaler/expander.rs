//! Expanders: which pool a scale-up grows when several would help
//! (cluster-autoscaler/expander: `random`, `leastwaste`, `priority`).

use super::spec::Expander;
use crate::api::resources::Resources;
use crate::rng::SimRng;

/// One pool that would help: how many nodes it adds and what they would hold.
#[derive(Clone, Debug)]
pub struct ScaleUpOption {
    pub pool: String,
    pub priority: i32,
    pub new_nodes: u32,
    /// The pending pods it places.
    pub pods: Vec<usize>,
    /// Allocatable of the new nodes, and what the placed pods request.
    pub allocatable: Resources,
    pub requested: Resources,
}

/// Least waste, as upstream's `leastwaste` filter: the idle share of the new nodes' cpu and
/// memory, `(wastedCPU + wastedMemory) / 2` — here in millionths, integers.
pub fn waste(o: &ScaleUpOption) -> i64 {
    let share = |alloc: i64, req: i64| {
        if alloc <= 0 {
            0
        } else {
            (alloc - req.min(alloc)).saturating_mul(1_000_000) / alloc
        }
    };
    (share(o.allocatable.milli_cpu, o.requested.milli_cpu)
        + share(o.allocatable.memory, o.requested.memory))
        / 2
}

/// The chosen option (an index into `options`, not empty). Every expander keeps the options
/// that are best by its rule and picks among equals at random, as upstream falls back to the
/// random expander.
pub fn choose(e: Expander, options: &[ScaleUpOption], rng: &mut SimRng) -> usize {
    let best: Vec<usize> = match e {
        Expander::Random => (0..options.len()).collect(),
        Expander::LeastWaste => {
            let min = options.iter().map(waste).min().expect("not empty");
            (0..options.len())
                .filter(|&i| waste(&options[i]) == min)
                .collect()
        }
        Expander::Priority => {
            let max = options.iter().map(|o| o.priority).max().expect("not empty");
            (0..options.len())
                .filter(|&i| options[i].priority == max)
                .collect()
        }
    };
    if best.len() == 1 {
        best[0]
    } else {
        best[rng.below(best.len() as u64) as usize]
    }
}
