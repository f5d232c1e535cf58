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
use super::executor::{map, Executor};
use super::probe::{probe, Utilization};
use super::search::{smallest_step, Search, Verdict};
use super::{basis_points, bounds, metrics::utilization, PlanError};
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::rng::SimRng;
use crate::scenario::Scenario;
use serde::Serialize;

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
pub fn percentile<T: Ord + Copy>(v: &[T], pct: u32) -> T {
    let mut s = v.to_vec();
    crate::sort::sort(&mut s);
    let rank = (u64::from(pct) * s.len() as u64).div_ceil(100).max(1) as usize;
    s[rank.min(s.len()) - 1]
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
    let mut search = CompactSearch::new(s.clone(), opts)?;
    loop {
        if let CompactStep::Done(r) = search.step() {
            return r;
        }
    }
}

/// `compact` with the trials (one per seed, independent) run on `ex`: the same trials and
/// answer.
pub fn compact_on(
    s: &Scenario,
    opts: &CompactOptions,
    ex: &dyn Executor,
) -> Result<Compaction, PlanError> {
    let all = CompactSearch::new(s.clone(), opts)?;
    let trials = map(ex, opts.seeds as usize, |i| {
        let mut one = CompactSearch {
            first: i as u32,
            seeds: 1,
            ..CompactSearch::new(s.clone(), opts)?
        };
        loop {
            match one.step() {
                CompactStep::Trial(t) => return Ok(t),
                CompactStep::Done(Err(e)) => return Err(e),
                _ => {}
            }
        }
    })
    .into_iter()
    .collect::<Result<Vec<Trial>, PlanError>>()?;
    Ok(CompactSearch {
        simulations: trials.iter().map(|t| t.simulations).sum(),
        trials,
        ..all
    }
    .summary())
}

/// What one `CompactSearch::step` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompactStep {
    /// One simulation of a trial: its seed, the machines kept, and whether the workload fitted.
    Probed {
        seed: u64,
        machines: u32,
        fits: bool,
        reason: String,
    },
    /// A trial settled (a step without a simulation, after its last one).
    Trial(Trial),
    /// The compaction is over (returned again by every later call).
    Done(Result<Compaction, PlanError>),
}

/// The trial being searched.
struct Current {
    seed: u64,
    order: Vec<usize>,
    lo: u32,
    /// Verdicts by machines kept: fits, why not, utilization when it fits.
    runs: OrdMap<u32, (bool, String, Option<Utilization>)>,
}

/// `compact`, one simulation per `step`: the same trials, sizes and answer (`compact` itself
/// drives one to the end), for front ends that must stay responsive.
pub struct CompactSearch {
    s: Scenario,
    /// The first trial's index (seed `spec.seed + first`); 0 but in `compact_on`'s workers.
    first: u32,
    seeds: u32,
    trials: Vec<Trial>,
    simulations: u32,
    current: Option<Current>,
    done: Option<Result<Compaction, PlanError>>,
}

impl CompactSearch {
    pub fn new(s: Scenario, opts: &CompactOptions) -> Result<CompactSearch, PlanError> {
        if opts.seeds == 0 {
            return Err(PlanError::NoSeeds);
        }
        Ok(CompactSearch {
            s,
            first: 0,
            seeds: opts.seeds,
            trials: Vec::new(),
            simulations: 0,
            current: None,
            done: None,
        })
    }

    /// The trials settled so far.
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// Machines in the scenario as written.
    pub fn machines(&self) -> u32 {
        self.s.nodes.len() as u32
    }

    /// Run one simulation (or, once the compaction is over, none) and say what it gave.
    pub fn step(&mut self) -> CompactStep {
        if let Some(r) = &self.done {
            return CompactStep::Done(r.clone());
        }
        let total = self.machines();
        let mut cur = match self.current.take() {
            Some(c) => c,
            None if self.trials.len() as u32 == self.seeds => {
                let r = Ok(self.summary());
                self.done = Some(r.clone());
                return CompactStep::Done(r);
            }
            None => self.start_trial(self.first + self.trials.len() as u32),
        };
        // One size at a time inside a trial (the trials are what runs in parallel).
        let verdicts = smallest_step(cur.lo, total, total, 1, |m| {
            cur.runs.get(&m).map(|(fits, _, _)| {
                if *fits {
                    Verdict::Fits
                } else {
                    Verdict::Short(0)
                }
            })
        });
        match verdicts {
            Search::Need(sizes) => {
                let m = sizes[0];
                let s = &self.s;
                let gone: OrdSet<String> = OrdSet::from_iter(
                    cur.order[..(total - m) as usize]
                        .iter()
                        .map(|&i| s.nodes[i].metadata.name.clone()),
                );
                let (p, c) = probe(without_nodes(s, &gone), Some(cur.seed), m);
                let u = p.fits.then(|| utilization(c.nodes.iter()));
                cur.runs.insert(m, (p.fits, p.reason.clone(), u));
                let seed = cur.seed;
                self.current = Some(cur);
                CompactStep::Probed {
                    seed,
                    machines: m,
                    fits: p.fits,
                    reason: p.reason,
                }
            }
            Search::Done(Ok(machines)) => {
                // The answer is the smallest size that fitted, so its utilization is known.
                let runs = cur.runs.len() as u32;
                self.simulations += runs;
                let utilization = cur
                    .runs
                    .get_mut(&machines)
                    .and_then(|(_, _, u)| u.take())
                    .unwrap_or_default();
                let t = Trial {
                    seed: cur.seed,
                    machines,
                    utilization,
                    simulations: runs,
                };
                self.trials.push(t.clone());
                CompactStep::Trial(t)
            }
            Search::Done(Err(_)) => {
                let reason = cur
                    .runs
                    .get(&total)
                    .map(|(_, why, _)| why.clone())
                    .unwrap_or_default();
                let r = Err(PlanError::FullClusterDoesNotFit {
                    nodes: total,
                    reason,
                });
                self.done = Some(r.clone());
                CompactStep::Done(r)
            }
        }
    }

    /// Trial `i`: its seed, its removal order and its lower bound.
    fn start_trial(&self, i: u32) -> Current {
        let s = &self.s;
        let total = self.machines();
        let seed = s.seed.wrapping_add(u64::from(i));
        let order = shuffled(s.nodes.len(), seed);
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
        Current {
            seed,
            order,
            lo,
            runs: OrdMap::new(),
        }
    }

    fn summary(&self) -> Compaction {
        let total = self.machines();
        let sizes: Vec<u32> = self.trials.iter().map(|t| t.machines).collect();
        let p90 = percentile(&sizes, 90);
        Compaction {
            machines: total,
            p90,
            min: *sizes.iter().min().expect("at least one trial"),
            max: *sizes.iter().max().expect("at least one trial"),
            p90_of_original: basis_points(i64::from(p90), i64::from(total)),
            simulations: self.simulations,
            trials: self.trials.clone(),
        }
    }
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
