//! `plan`: the fewest nodes of one pool for which the scenario fits (every pod bound at the
//! end, every expectation held), optionally with headroom for failures.
//!
//! The search: a lower bound from resource sums (`bounds`), an upper bound by galloping up
//! from it (steps 1, 2, 4, ...), bisection between the last failure and the first fit, then the neighbourhood below the answer
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
    /// Pool nodes the pending pods' requests would fill (an estimate of what is missing).
    short: u32,
    utilization: Option<Utilization>,
}

/// What one size gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fits,
    /// Does not fit; at least this many more nodes look needed (0: no estimate).
    Short(u32),
    /// Does not fit, and growing further is hopeless.
    Hopeless,
}

/// Generic smallest-fitting-size search over `eval`: `lo` is a proven lower bound, `start`
/// a size likely to fit (the scenario's own), `max` the largest size allowed. Returns the
/// answer, or `Err(largest size tried)` when nothing up to `max` fits (or growing stopped
/// helping).
pub fn smallest(
    lo: u32,
    start: u32,
    max: u32,
    mut eval: impl FnMut(u32) -> Verdict,
) -> Result<u32, u32> {
    match smallest_step(lo, start, max, |n| Some(eval(n))) {
        Search::Done(r) => r,
        Search::Need(n) => unreachable!("every size has a verdict, {n} too"),
    }
}

/// Where a resumable run of `smallest` stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// The search needs the verdict at this size before it can go on.
    Need(u32),
    /// The search is over: `smallest`'s answer.
    Done(Result<u32, u32>),
}

/// `smallest`, resumable: `eval` answers `None` for a size it has no verdict for yet, and the
/// search stops there with `Search::Need(size)`. Calling it again with that verdict known
/// replays the same decisions (the search is a pure function of the verdicts) and goes one
/// size further, so a caller can run one simulation per call (the playground does, between
/// animation frames). Sizes are asked for in the order `smallest` simulates them, each once
/// per call.
pub fn smallest_step(
    lo: u32,
    start: u32,
    max: u32,
    mut eval: impl FnMut(u32) -> Option<Verdict>,
) -> Search {
    match search(lo, start, max, &mut eval) {
        Ok(r) => Search::Done(r),
        Err(n) => Search::Need(n),
    }
}

/// The search itself; the outer `Err(n)`: no verdict at size `n` yet.
fn search(
    lo: u32,
    start: u32,
    max: u32,
    eval: &mut dyn FnMut(u32) -> Option<Verdict>,
) -> Result<Result<u32, u32>, u32> {
    let mut known: BTreeMap<u32, Verdict> = BTreeMap::new();
    let mut test = |n: u32, known: &mut BTreeMap<u32, Verdict>| -> Result<Verdict, u32> {
        if let Some(v) = known.get(&n) {
            return Ok(*v);
        }
        let v = eval(n).ok_or(n)?;
        known.insert(n, v);
        Ok(v)
    };
    // Upper bound: gallop up from the lower bound, each step the larger of the run's own
    // estimate of the nodes missing and a doubling step (1, 2, 4, ...); the scenario's own
    // size is tried instead of a step that would jump past it. A tight bound answers in one
    // simulation; a loose one costs a logarithm of the gap.
    let mut hi = lo.min(max);
    let mut step: u32 = 1;
    loop {
        let short = match test(hi, &mut known)? {
            Verdict::Fits => break,
            Verdict::Hopeless => return Ok(Err(hi)),
            Verdict::Short(k) => k,
        };
        if hi >= max {
            return Ok(Err(hi));
        }
        let mut next = hi.saturating_add(step.max(short)).min(max);
        if start > hi && start < next {
            next = start;
        }
        hi = next;
        step = step.saturating_mul(2);
    }
    // Bisection between the largest size known (or, at `lo - 1`, proven) not to fit and `hi`.
    // (The failed runs' estimates overshoot here — pods pending from fragmentation fit once a
    // few nodes are added — so they only size the galloping steps.)
    let mut f: i64 = known
        .range(..hi)
        .filter(|(_, v)| **v != Verdict::Fits)
        .map(|(n, _)| i64::from(*n))
        .max()
        .unwrap_or(-1)
        .max(i64::from(lo) - 1);
    while i64::from(hi) - f > 1 {
        let mid = (f + (i64::from(hi) - f) / 2) as u32;
        if test(mid, &mut known)? == Verdict::Fits {
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
            if test(n, &mut known)? == Verdict::Fits {
                hi = n;
                continue 'again;
            }
        }
        return Ok(Ok(hi));
    }
}

/// The fewest nodes of `opts.pool` for which `s` fits (with the headroom asked for).
pub fn plan(s: &Scenario, opts: &PlanOptions) -> Result<PlanResult, PlanError> {
    let mut search = PlanSearch::new(s.clone(), opts.clone())?;
    loop {
        if let PlanStep::Done(r) = search.step() {
            return r;
        }
    }
}

/// What one `PlanSearch::step` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanStep {
    /// One simulation of a size not settled yet (headroom only: its first run, or a failure
    /// case, fitted and more failure cases follow): the size, and what was lost in that run
    /// (empty for the first run). The size's `Tried` follows when it is settled.
    Simulated { nodes: u32, lost: String },
    /// A size settled (its first simulation, and every failure case the headroom asks for).
    Tried(Tried),
    /// The search is over (returned again by every later call).
    Done(Result<PlanResult, PlanError>),
}

/// A size whose first run fitted, with failure cases still to simulate.
struct Pending {
    nodes: u32,
    sized: Scenario,
    outcome: Outcome,
    cases: Vec<(String, BTreeSet<String>)>,
    next: usize,
}

/// `plan`, one simulation per `step`: the same sizes in the same order, the same answer
/// (`plan` itself drives one to the end). For front ends that must stay responsive (the
/// playground runs one step between animation frames and shows each size as it settles).
pub struct PlanSearch {
    s: Scenario,
    opts: PlanOptions,
    pool: usize,
    lo: u32,
    max: u32,
    outcomes: BTreeMap<u32, Outcome>,
    tried: Vec<Tried>,
    pending: Option<Pending>,
    done: Option<Result<PlanResult, PlanError>>,
}

impl PlanSearch {
    /// Check the options against the scenario (unknown pool, too few zones for zone headroom).
    pub fn new(s: Scenario, opts: PlanOptions) -> Result<PlanSearch, PlanError> {
        let pool = pool_index(&s, &opts.pool)?;
        if opts.headroom == Headroom::Zone && s.pools[pool].zones.len() < 2 {
            return Err(PlanError::TooFewZones {
                pool: s.pools[pool].name.clone(),
                zones: s.pools[pool].zones.len(),
            });
        }
        let bound = bounds::lower_bound(&s, pool);
        let lo = match opts.headroom {
            Headroom::Nodes { nodes } => bound.saturating_add(nodes),
            _ => bound,
        };
        let max = crate::scenario::load::MAX_NODES
            .saturating_sub(s.nodes.len() as u32 - s.pools[pool].count);
        Ok(PlanSearch {
            s,
            opts,
            pool,
            lo,
            max,
            outcomes: BTreeMap::new(),
            tried: Vec::new(),
            pending: None,
            done: None,
        })
    }

    /// The lower bound the search starts from (with node headroom added).
    pub fn lower_bound(&self) -> u32 {
        self.lo
    }

    /// Every size settled so far, in the order tried.
    pub fn tried(&self) -> &[Tried] {
        &self.tried
    }

    /// Run one simulation (or, once the search is over, none) and say what it gave.
    pub fn step(&mut self) -> PlanStep {
        if let Some(r) = &self.done {
            return PlanStep::Done(r.clone());
        }
        if let Some(mut p) = self.pending.take() {
            let (what, gone) = &p.cases[p.next];
            let (probe, _) = probe(without_nodes(&p.sized, gone), self.opts.seed, p.nodes);
            p.outcome.runs += 1;
            p.next += 1;
            let lost = what.clone();
            if !probe.fits {
                p.outcome.fits = false;
                p.outcome.reason = format!("after losing {what}: {}", probe.reason);
            }
            if !probe.fits || p.next == p.cases.len() {
                return PlanStep::Tried(self.settle(p.nodes, p.outcome));
            }
            let nodes = p.nodes;
            self.pending = Some(p);
            return PlanStep::Simulated { nodes, lost };
        }
        match smallest_step(
            self.lo,
            self.s.pools[self.pool].count,
            self.max,
            self.replay(),
        ) {
            Search::Need(n) => {
                let sized = with_pool_count(&self.s, self.pool, n);
                let pool = &self.s.pools[self.pool];
                let (p, c) = probe(sized.clone(), self.opts.seed, n);
                let outcome = Outcome {
                    fits: p.fits,
                    reason: p.reason,
                    runs: 1,
                    short: nodes_for(&c.pending_requests, pool),
                    utilization: Some(pool_utilization(&c, &pool.name)),
                };
                let cases = if outcome.fits {
                    failure_cases(&sized, self.pool, self.opts.headroom)
                } else {
                    Vec::new()
                };
                if cases.is_empty() {
                    return PlanStep::Tried(self.settle(n, outcome));
                }
                self.pending = Some(Pending {
                    nodes: n,
                    sized,
                    outcome,
                    cases,
                    next: 0,
                });
                PlanStep::Simulated {
                    nodes: n,
                    lost: String::new(),
                }
            }
            Search::Done(result) => {
                let r = self.finish(result);
                self.done = Some(r.clone());
                PlanStep::Done(r)
            }
        }
    }

    /// Record a settled size.
    fn settle(&mut self, n: u32, o: Outcome) -> Tried {
        let t = Tried {
            nodes: n,
            fits: o.fits,
            reason: o.reason.clone(),
            simulations: o.runs,
        };
        self.tried.push(t.clone());
        self.outcomes.insert(n, o);
        t
    }

    /// The verdicts of the sizes settled so far, as the search asks for them: replayed in the
    /// order they were first simulated, so the "growing does not help" rule sees the same
    /// failures as an uninterrupted search.
    fn replay(&self) -> impl FnMut(u32) -> Option<Verdict> + '_ {
        let count = self.s.pools[self.pool].count;
        // While growing: the failures so far (size, verdict). When doubling the pool changes
        // nothing in the verdict (the same pods pending, the same expectations failing with
        // the same observations), more nodes of this pool do not help — a pod too big for its
        // nodes, a selector for another pool — and the search stops there instead of growing
        // up to the loader's node limit.
        let mut failures: Vec<(u32, &str)> = Vec::new();
        let mut any_fit = false;
        move |n| {
            let o = self.outcomes.get(&n)?;
            any_fit |= o.fits;
            // Only past the scenario's own size (always tried on the way up): below it, a
            // verdict can stay the same for a while and still change (anti-affinity needing
            // one more node for the next pod to be placed by the time an expectation looks).
            let stuck = !o.fits
                && !any_fit
                && n > count
                && failures
                    .iter()
                    .any(|(m, reason)| *m >= 1 && n >= 2 * *m && *reason == o.reason);
            if !o.fits {
                failures.push((n, &o.reason));
            }
            Some(if stuck {
                Verdict::Hopeless
            } else if o.fits {
                Verdict::Fits
            } else {
                Verdict::Short(o.short)
            })
        }
    }

    fn finish(&mut self, result: Result<u32, u32>) -> Result<PlanResult, PlanError> {
        let pool = &self.s.pools[self.pool];
        let simulations = self.outcomes.values().map(|o| o.runs).sum();
        match result {
            Ok(n) => Ok(PlanResult {
                pool: pool.name.clone(),
                nodes: n,
                scenario_nodes: pool.count,
                lower_bound: self.lo,
                headroom: self.opts.headroom,
                utilization: self
                    .outcomes
                    .get_mut(&n)
                    .and_then(|o| o.utilization.take())
                    .unwrap_or_default(),
                simulations,
                tried: self.tried.clone(),
            }),
            Err(n) => Err(PlanError::NeverFits {
                pool: pool.name.clone(),
                nodes: n,
                reason: self
                    .outcomes
                    .get(&n)
                    .map(|o| o.reason.clone())
                    .unwrap_or_default(),
            }),
        }
    }
}

/// How many nodes of `pool` the requests `r` fill (the largest over the resources it offers).
fn nodes_for(r: &crate::api::resources::Resources, pool: &crate::scenario::spec::NodePool) -> u32 {
    let mut node = crate::scenario::load::pool_node(pool, 0);
    crate::scenario::load::default_max_pods(&mut node);
    let each = crate::api::resources::Resources::from_list(node.allocatable());
    let need = |want: i64, have: i64| {
        if want <= 0 || have <= 0 {
            0
        } else {
            (want + have - 1) / have
        }
    };
    let mut n = need(r.milli_cpu, each.milli_cpu)
        .max(need(r.memory, each.memory))
        .max(need(r.allowed_pods, each.allowed_pods));
    for (k, v) in &r.scalar {
        n = n.max(need(*v, each.scalar(k)));
    }
    n.clamp(0, i64::from(u32::MAX)) as u32
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

    fn v(fits: bool) -> Verdict {
        if fits {
            Verdict::Fits
        } else {
            Verdict::Short(0)
        }
    }

    #[test]
    fn the_estimate_of_missing_nodes_speeds_up_galloping() {
        // 100 missing at the bound: one jump instead of seven doublings, then bisection.
        let mut tried = Vec::new();
        let got = smallest(10, 0, 1000, |n| {
            tried.push(n);
            if n >= 110 {
                Verdict::Fits
            } else {
                Verdict::Short(110 - n)
            }
        });
        assert_eq!(
            (got, tried),
            (Ok(110), vec![10, 110, 60, 85, 97, 103, 106, 108, 109])
        );
    }

    #[test]
    fn bisection_finds_the_threshold_of_a_monotone_predicate() {
        for threshold in [0u32, 1, 5, 17, 100, 999] {
            for start in [0u32, 3, 50, 2000] {
                let mut calls = 0;
                let got = smallest(0, start, 10_000, |n| {
                    calls += 1;
                    if n >= threshold {
                        Verdict::Fits
                    } else {
                        Verdict::Short(0)
                    }
                });
                assert_eq!(got, Ok(threshold), "threshold {threshold} start {start}");
                assert!(calls <= 30, "{calls} evaluations");
            }
        }
    }

    #[test]
    fn the_neighbourhood_catches_a_smaller_size_that_fits() {
        // Fits at 12, not at 13, and from 14 on. Galloping tries 0, 1, 3, 7, 15; bisection
        // 11, 13, 14; the neighbourhood below 14 finds 12 (and 11, 10 do not fit).
        let mut tried = Vec::new();
        let got = smallest(0, 100, 100, |n| {
            tried.push(n);
            v(n == 12 || n >= 14)
        });
        assert_eq!(got, Ok(12));
        assert_eq!(tried, [0, 1, 3, 7, 15, 11, 13, 14, 12, 10]);
    }

    #[test]
    fn galloping_tries_the_scenario_size_before_jumping_past_it() {
        let mut tried = Vec::new();
        let got = smallest(10, 12, 100, |n| {
            tried.push(n);
            v(n >= 12)
        });
        assert_eq!((got, tried), (Ok(12), vec![10, 11, 12]));
        let mut tried = Vec::new();
        let _ = smallest(10, 13, 100, |n| {
            tried.push(n);
            v(n >= 12)
        });
        assert_eq!(tried, [10, 11, 13, 12]);
    }

    #[test]
    fn nothing_fits_up_to_the_maximum() {
        assert_eq!(smallest(0, 4, 40, |_| Verdict::Short(0)), Err(40));
        // Hopeless at 28: no further growing (4 is the start, tried instead of 7).
        let mut tried = Vec::new();
        let got = smallest(0, 4, 1000, |n| {
            tried.push(n);
            if n < 20 {
                Verdict::Short(0)
            } else {
                Verdict::Hopeless
            }
        });
        assert_eq!((got, tried), (Err(28), vec![0, 1, 3, 4, 12, 28]));
    }

    #[test]
    fn the_resumable_search_asks_for_the_same_sizes_in_the_same_order() {
        // A verdict per size (fits at 12 and from 14 on, hopeless from 900), as
        // `the_neighbourhood_catches_a_smaller_size_that_fits` and `nothing_fits_up_to_the_maximum`.
        type Case = (u32, u32, u32, fn(u32) -> Verdict);
        let cases: [Case; 3] = [
            (0, 100, 100, |n| v(n == 12 || n >= 14)),
            (10, 0, 1000, |n| {
                if n >= 110 {
                    Verdict::Fits
                } else {
                    Verdict::Short(110 - n)
                }
            }),
            (0, 4, 1000, |n| {
                if n < 20 {
                    Verdict::Short(0)
                } else {
                    Verdict::Hopeless
                }
            }),
        ];
        for (lo, start, max, f) in cases {
            let mut order = Vec::new();
            let whole = smallest(lo, start, max, |n| {
                order.push(n);
                f(n)
            });
            let mut known: BTreeMap<u32, Verdict> = BTreeMap::new();
            let mut asked = Vec::new();
            let stepped = loop {
                match smallest_step(lo, start, max, |n| known.get(&n).copied()) {
                    Search::Need(n) => {
                        assert!(!known.contains_key(&n), "{n} asked twice");
                        asked.push(n);
                        known.insert(n, f(n));
                    }
                    Search::Done(r) => break r,
                }
            };
            assert_eq!((stepped, asked), (whole, order));
        }
    }

    #[test]
    fn the_lower_bound_is_trusted() {
        // Sizes under the bound are never simulated.
        let got = smallest(5, 5, 100, |n| {
            assert!(n >= 5, "simulated {n} below the bound");
            Verdict::Fits
        });
        assert_eq!(got, Ok(5));
    }
}
