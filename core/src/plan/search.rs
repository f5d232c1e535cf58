//! `plan`: the fewest nodes of one pool for which the scenario fits (every pod bound at the
//! end, every expectation held), optionally with headroom for failures.
//!
//! The search: a lower bound from resource sums (`bounds`), an upper bound by doubling from
//! the scenario's own count, bisection between them, then the neighbourhood below the answer
//! (`NEIGHBOURHOOD` sizes) re-checked, because fitting is not monotone in the node count when
//! affinity, spread constraints or zone round-robin are involved (one more node can move a
//! zone's share). Every size is simulated at most once.

use super::cluster::{pool_index, with_pool_count, without_nodes, zone_of};
use super::probe::{pool_utilization, probe, Utilization};
use super::{bounds, PlanError};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How many sizes below the bisection's answer are simulated too.
pub const NEIGHBOURHOOD: u32 = 2;

/// Spare capacity the answer must keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Headroom {
    /// Just fit.
    None,
    /// Still fit after losing any `nodes` of the pool's nodes (re-packed from scratch): the
    /// pool's highest-numbered nodes, and for each zone the pool's highest-numbered nodes in
    /// that zone (a loss concentrated in one zone).
    Nodes { nodes: u32 },
    /// Still fit after losing every node of any one zone (of any pool), re-packed from scratch.
    Zone,
}

#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub pool: String,
    pub headroom: Headroom,
    /// `None`: the scenario's seed.
    pub seed: Option<u64>,
}

/// One size tried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tried {
    pub nodes: u32,
    pub fits: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Simulations this size took (1, or more with headroom).
    pub simulations: u32,
}

/// `plan`'s answer (the JSON of `cellsim plan --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanResult {
    pub pool: String,
    /// The fewest nodes of the pool.
    pub nodes: u32,
    /// The pool's size in the scenario as written.
    pub scenario_nodes: u32,
    pub lower_bound: u32,
    pub headroom: Headroom,
    /// Requested over allocatable on the pool's nodes at the end of the run at `nodes`.
    pub utilization: Utilization,
    /// Simulations run in all.
    pub simulations: u32,
    /// Every size tried, in the order tried.
    pub tried: Vec<Tried>,
}

/// The outcome at one size.
struct Outcome {
    fits: bool,
    reason: String,
    runs: u32,
    utilization: Option<Utilization>,
}

/// Generic smallest-fitting-size search over `eval`: `lo` is a proven lower bound, `start`
/// the first size to try, `max` the largest size allowed. `eval` says whether a size fits, or
/// `None` when growing further is hopeless. Returns the answer, or `Err(largest size tried)`
/// when nothing up to `max` fits (or growing stopped helping).
pub fn smallest(
    lo: u32,
    start: u32,
    max: u32,
    mut eval: impl FnMut(u32) -> Option<bool>,
) -> Result<u32, u32> {
    let mut known: BTreeMap<u32, bool> = BTreeMap::new();
    let hopeless = std::cell::Cell::new(false);
    let mut test = |n: u32, known: &mut BTreeMap<u32, bool>| -> bool {
        *known.entry(n).or_insert_with(|| {
            eval(n).unwrap_or_else(|| {
                hopeless.set(true);
                false
            })
        })
    };
    // Upper bound: double until it fits.
    let mut hi = start.max(lo).min(max);
    while !test(hi, &mut known) {
        if hi >= max || hopeless.get() {
            return Err(hi);
        }
        hi = hi.saturating_mul(2).max(hi + 1).min(max);
    }
    // Bisection: `f` is the largest size known (or, at `lo - 1`, proven) not to fit.
    let mut f: i64 = known
        .range(..hi)
        .filter(|(_, fits)| !**fits)
        .map(|(n, _)| i64::from(*n))
        .max()
        .unwrap_or(-1)
        .max(i64::from(lo) - 1);
    while i64::from(hi) - f > 1 {
        let mid = (f + (i64::from(hi) - f) / 2) as u32;
        if test(mid, &mut known) {
            hi = mid;
        } else {
            f = i64::from(mid);
        }
    }
    // The neighbourhood below: a smaller size that fits wins, and its own neighbourhood is
    // checked in turn.
    'again: loop {
        for d in 1..=NEIGHBOURHOOD {
            let Some(n) = hi.checked_sub(d) else { break };
            if n < lo {
                break;
            }
            if test(n, &mut known) {
                hi = n;
                continue 'again;
            }
        }
        return Ok(hi);
    }
}

/// The fewest nodes of `opts.pool` for which `s` fits (with the headroom asked for).
pub fn plan(s: &Scenario, opts: &PlanOptions) -> Result<PlanResult, PlanError> {
    let pool = pool_index(s, &opts.pool)?;
    let name = s.pools[pool].name.clone();
    if opts.headroom == Headroom::Zone && s.pools[pool].zones.len() < 2 {
        return Err(PlanError::TooFewZones {
            pool: name,
            zones: s.pools[pool].zones.len(),
        });
    }
    let bound = bounds::lower_bound(s, pool);
    let lo = match opts.headroom {
        Headroom::Nodes { nodes } => bound.saturating_add(nodes),
        _ => bound,
    };
    let max =
        crate::scenario::load::MAX_NODES.saturating_sub(s.nodes.len() as u32 - s.pools[pool].count);
    let mut outcomes: BTreeMap<u32, Outcome> = BTreeMap::new();
    let mut tried = Vec::new();
    // While growing: the last failure's size and verdict. When doubling the pool changes
    // nothing in the verdict (the same pods pending, the same expectations failing with the
    // same observations), more nodes of this pool do not help — a pod too big for its nodes,
    // a selector for another pool — and the search stops there instead of doubling up to the
    // loader's node limit.
    let mut growing: Option<(u32, String)> = None;
    let mut any_fit = false;
    let result = smallest(lo, s.pools[pool].count, max, |n| {
        let o = at_size(s, pool, n, opts);
        tried.push(Tried {
            nodes: n,
            fits: o.fits,
            reason: o.reason.clone(),
            simulations: o.runs,
        });
        let fits = o.fits;
        any_fit |= fits;
        let stuck = !fits
            && !any_fit
            && growing
                .as_ref()
                .is_some_and(|(m, reason)| n > *m && *reason == o.reason);
        if !fits && !any_fit {
            growing = Some((n, o.reason.clone()));
        }
        outcomes.insert(n, o);
        if stuck {
            None
        } else {
            Some(fits)
        }
    });
    let simulations = outcomes.values().map(|o| o.runs).sum();
    match result {
        Ok(n) => Ok(PlanResult {
            pool: name,
            nodes: n,
            scenario_nodes: s.pools[pool].count,
            lower_bound: lo,
            headroom: opts.headroom,
            utilization: outcomes
                .get_mut(&n)
                .and_then(|o| o.utilization.take())
                .unwrap_or_default(),
            simulations,
            tried,
        }),
        Err(n) => Err(PlanError::NeverFits {
            pool: name,
            nodes: n,
            reason: outcomes
                .get(&n)
                .map(|o| o.reason.clone())
                .unwrap_or_default(),
        }),
    }
}

/// Simulate pool size `n` (and, with headroom, each failure case; the first failure ends it).
fn at_size(s: &Scenario, pool: usize, n: u32, opts: &PlanOptions) -> Outcome {
    let sized = with_pool_count(s, pool, n);
    let (p, c) = probe(sized.clone(), opts.seed, n);
    let mut out = Outcome {
        fits: p.fits,
        reason: p.reason,
        runs: 1,
        utilization: Some(pool_utilization(&c, &s.pools[pool].name)),
    };
    if !out.fits {
        return out;
    }
    for (what, gone) in failure_cases(&sized, pool, opts.headroom) {
        let (p, _) = probe(without_nodes(&sized, &gone), opts.seed, n);
        out.runs += 1;
        if !p.fits {
            out.fits = false;
            out.reason = format!("after losing {what}: {}", p.reason);
            return out;
        }
    }
    out
}

/// The machines lost in each failure case the headroom asks for, with a description.
pub fn failure_cases(
    sized: &Scenario,
    pool: usize,
    headroom: Headroom,
) -> Vec<(String, BTreeSet<String>)> {
    let p = &sized.pools[pool];
    match headroom {
        Headroom::None => Vec::new(),
        Headroom::Nodes { nodes: k } => {
            let names = |zone: Option<&str>| -> BTreeSet<String> {
                // Highest-numbered first; nodes of `zone` before the others.
                let mut idx: Vec<u32> = (0..p.count).rev().collect();
                if let Some(z) = zone {
                    idx.sort_by_key(|i| (p.zones[*i as usize % p.zones.len()] != z, u32::MAX - i));
                }
                idx.iter()
                    .take(k as usize)
                    .map(|i| format!("{}-{i}", p.name))
                    .collect()
            };
            let mut cases = vec![(format!("{k} nodes of pool {}", p.name), names(None))];
            let zones: BTreeSet<&String> = p.zones.iter().collect();
            if zones.len() > 1 {
                for z in zones {
                    let set = names(Some(z));
                    if !cases.iter().any(|(_, s)| *s == set) {
                        cases.push((format!("{k} nodes of pool {} in zone {z}", p.name), set));
                    }
                }
            }
            cases
        }
        Headroom::Zone => {
            let zones: BTreeSet<&str> = sized.nodes.iter().filter_map(zone_of).collect();
            zones
                .into_iter()
                .map(|z| {
                    let gone = sized
                        .nodes
                        .iter()
                        .filter(|n| zone_of(n) == Some(z))
                        .map(|n| n.metadata.name.clone())
                        .collect();
                    (format!("zone {z}"), gone)
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_finds_the_threshold_of_a_monotone_predicate() {
        for threshold in [0u32, 1, 5, 17, 100, 999] {
            for start in [0u32, 3, 50, 2000] {
                let mut calls = 0;
                let got = smallest(0, start, 10_000, |n| {
                    calls += 1;
                    Some(n >= threshold)
                });
                assert_eq!(got, Ok(threshold), "threshold {threshold} start {start}");
                assert!(calls <= 30, "{calls} evaluations");
            }
        }
    }

    #[test]
    fn the_neighbourhood_catches_a_smaller_size_that_fits() {
        // Fits at 7, not at 8 or 9, and from 10 on: bisection lands on 10, the neighbourhood
        // walks down over 9 and 8 to 7.
        let fits = |n: u32| Some(n == 7 || n >= 10);
        assert_eq!(smallest(0, 16, 100, fits), Ok(7));
    }

    #[test]
    fn nothing_fits_up_to_the_maximum() {
        assert_eq!(smallest(0, 4, 40, |_| Some(false)), Err(40));
        // Hopeless at 16: no further doubling.
        let mut tried = Vec::new();
        let got = smallest(0, 4, 1000, |n| {
            tried.push(n);
            (n < 16).then_some(false)
        });
        assert_eq!((got, tried), (Err(16), vec![4, 8, 16]));
    }

    #[test]
    fn the_lower_bound_is_trusted() {
        // Sizes under the bound are never simulated.
        let got = smallest(5, 5, 100, |n| {
            assert!(n >= 5, "simulated {n} below the bound");
            Some(true)
        });
        assert_eq!(got, Ok(5));
    }
}
