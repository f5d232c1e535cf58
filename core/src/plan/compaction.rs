//! Borg's cell compaction (Verma et al., "Large-scale cluster management at Google with
//! Borg", EuroSys 2015, §5.1): "given a workload, we found out how small a cell it could be
//! fitted into by removing machines until the workload no longer fitted, repeatedly
//! re-packing the workload from scratch to ensure that we didn't get hung up on an unlucky
//! configuration". The paper repeats each experiment with 11 different random seeds and
//! reports the 90th percentile, with error bars from the minimum to the maximum.
//!
//! Here one seed is one trial: a random order of the cluster's machines (from `SimRng` with
//! that seed) says which machine goes next, and the simulation (whose scheduler tie-breaking
//! also draws from that seed) re-packs the whole workload from t=0 for each candidate size.
//! The number of machines removed is searched by bisection along that order, with the
//! neighbourhood re-checked, as `search::smallest` does for `plan`.

use super::cluster::without_nodes;
use super::executor::{map, Executor, InTurn};
use super::probe::{probe, Utilization};
use super::search::{smallest, Verdict};
use super::{basis_points, bounds, metrics::utilization, PlanError};
use crate::rng::SimRng;
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeSet;

/// The Borg paper's number of trials per experiment.
pub const DEFAULT_SEEDS: u32 = 11;

#[derive(Clone, Debug)]
pub struct CompactOptions {
    pub seeds: u32,
}

impl Default for CompactOptions {
    fn default() -> Self {
        CompactOptions {
            seeds: DEFAULT_SEEDS,
        }
    }
}

/// One trial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trial {
    pub seed: u64,
    /// The fewest machines the workload fitted on.
    pub machines: u32,
    /// Requested over allocatable on the machines left, at that size.
    pub utilization: Utilization,
    pub simulations: u32,
}

/// `compact`'s answer (the JSON of `cellsim compact --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Compaction {
    /// Machines in the scenario as written.
    pub machines: u32,
    /// The 90th percentile (nearest rank) of the trials' compacted sizes.
    pub p90: u32,
    pub min: u32,
    pub max: u32,
    /// p90 over the original size.
    #[serde(serialize_with = "super::percent")]
    pub p90_of_original: u32,
    pub simulations: u32,
    pub trials: Vec<Trial>,
}

/// The nearest-rank percentile `pct` (1..=100) of `v` (not empty).
pub fn percentile(v: &[u32], pct: u32) -> u32 {
    let mut s = v.to_vec();
    s.sort_unstable();
    let rank = (u64::from(pct) * s.len() as u64).div_ceil(100).max(1) as usize;
    s[rank - 1]
}

/// A random order of `n` items (Fisher–Yates from the end, as Go's `rand.Shuffle`).
pub fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = SimRng::new(seed);
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
    v
}

/// Compact the cell of `s` over `opts.seeds` trials, seeds `spec.seed`, `spec.seed + 1`, ...
pub fn compact(s: &Scenario, opts: &CompactOptions) -> Result<Compaction, PlanError> {
    compact_on(s, opts, &InTurn)
}

/// `compact` with the trials (one per seed, independent) run on `ex`.
pub fn compact_on(
    s: &Scenario,
    opts: &CompactOptions,
    ex: &dyn Executor,
) -> Result<Compaction, PlanError> {
    if opts.seeds == 0 {
        return Err(PlanError::NoSeeds);
    }
    let total = s.nodes.len() as u32;
    let trials = map(ex, opts.seeds as usize, |i| {
        trial(s, s.seed.wrapping_add(i as u64))
    })
    .into_iter()
    .collect::<Result<Vec<Trial>, PlanError>>()?;
    let simulations = trials.iter().map(|t| t.simulations).sum();
    let sizes: Vec<u32> = trials.iter().map(|t| t.machines).collect();
    let p90 = percentile(&sizes, 90);
    Ok(Compaction {
        machines: total,
        p90,
        min: *sizes.iter().min().expect("at least one trial"),
        max: *sizes.iter().max().expect("at least one trial"),
        p90_of_original: basis_points(i64::from(p90), i64::from(total)),
        simulations,
        trials,
    })
}

/// One trial: remove machines in the seed's random order, re-packing from scratch each time,
/// and find the fewest kept that still fit.
fn trial(s: &Scenario, seed: u64) -> Result<Trial, PlanError> {
    let total = s.nodes.len() as u32;
    let order = shuffled(s.nodes.len(), seed);
    let gone = |k: u32| -> BTreeSet<String> {
        order[..k as usize]
            .iter()
            .map(|&i| s.nodes[i].metadata.name.clone())
            .collect()
    };
    // Lower bound: the machines kept (the last ones of the order) must offer the steady
    // demand (`bounds::steady_demand`) in every resource.
    let demand = bounds::steady_demand(s);
    let mut capacity = crate::api::resources::Resources::default();
    let mut lo = total;
    for m in 0..total {
        if bounds::covers(&capacity, &demand) {
            lo = m;
            break;
        }
        let last = order[(total - 1 - m) as usize];
        capacity.add(&crate::api::resources::Resources::from_list(
            s.nodes[last].allocatable(),
        ));
    }
    let mut runs = 0;
    let mut best: Option<(u32, Utilization)> = None;
    let mut first_failure = String::new();
    // Search the machines *kept*: the fewest that fit, removing machines in `order`, one
    // simulation at a time (the trials are what runs in parallel).
    let kept = smallest(lo, total, total, 1, |sizes| {
        sizes
            .iter()
            .map(|&m| {
                runs += 1;
                let (p, c) = probe(without_nodes(s, &gone(total - m)), Some(seed), m);
                if p.fits {
                    if best.as_ref().is_none_or(|(b, _)| m < *b) {
                        best = Some((m, utilization(c.nodes.iter())));
                    }
                } else if m == total {
                    first_failure = p.reason;
                }
                if p.fits {
                    Verdict::Fits
                } else {
                    Verdict::Short(0)
                }
            })
            .collect()
    });
    let machines = kept.map_err(|_| PlanError::FullClusterDoesNotFit {
        nodes: total,
        reason: first_failure.clone(),
    })?;
    let utilization = best
        .filter(|(b, _)| *b == machines)
        .map(|(_, u)| u)
        .unwrap_or_default();
    Ok(Trial {
        seed,
        machines,
        utilization,
        simulations: runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentile() {
        assert_eq!(percentile(&[5], 90), 5);
        // 11 trials: rank ceil(9.9) = 10.
        let v: Vec<u32> = (1..=11).rev().collect();
        assert_eq!(percentile(&v, 90), 10);
        assert_eq!(percentile(&v, 100), 11);
        assert_eq!(percentile(&[3, 1, 2, 4], 50), 2);
    }

    #[test]
    fn shuffles_are_permutations_and_depend_on_the_seed() {
        let a = shuffled(50, 1);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_eq!(a, shuffled(50, 1));
        assert_ne!(a, shuffled(50, 2));
    }
}
