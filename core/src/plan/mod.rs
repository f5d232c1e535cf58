//! Capacity planning over the simulator: every answer comes from whole runs of `sim::Sim` on
//! an edited copy of a loaded scenario, so it accounts for everything the model does
//! (affinity, spread, taints, DaemonSets, rollouts, expectations), not a bin-packing formula.
//!
//! - `cluster`: the scenario with another node count for one pool, or without some machines.
//! - `probe`: one simulation and its verdict ("fits": no pod left pending at the end and every
//!   expectation holds), with the pool's utilization.
//! - `bounds`: a lower bound on a pool's size from resource sums.
//! - `search`: `plan`, the fewest nodes of a pool (bound, bisection, then the neighbourhood).
//! - `compaction`: Borg's cell compaction over seeds (`compact`).
//! - `executor`: where a batch of independent simulations runs (in turn in core and the page,
//!   on threads in the CLI); answers never depend on it.
//! - `PlanSearch`, `CompactSearch` and `compare::column`: the same answers one simulation per
//!   call, for front ends that must stay responsive (the playground).
//! - `metrics` and `compare`: packing metrics of a finished run, and one scenario under
//!   several scheduler configurations.
//!
//! Pure and sans-IO like the rest of core (the playground calls these in the page): the
//! scenario comes in loaded, answers go out as data. Decisions use integers only.

pub mod alibaba;
pub mod bounds;
pub mod cluster;
pub mod compaction;
pub mod compare;
pub mod executor;
pub mod metrics;
pub mod probe;
pub mod search;

pub use compaction::{compact, compact_on, CompactOptions, CompactSearch, CompactStep, Compaction};
pub use compare::{compare, compare_on, Comparison};
pub use executor::{Executor, InTurn};
pub use probe::{probe, Probe, Utilization};
pub use search::{plan, plan_on, Headroom, PlanOptions, PlanResult, PlanSearch, PlanStep};

/// Why a planning question has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("no node pool {name:?} in the scenario (pools: {known})")]
    UnknownPool { name: String, known: String },
    #[error("--headroom-zone needs nodes in at least two zones; pool {pool:?} has {zones} (set `zones:` on the pool)")]
    TooFewZones { pool: String, zones: usize },
    #[error("the workload does not fit even with {nodes} nodes in pool {pool:?}: {reason}")]
    NeverFits {
        pool: String,
        nodes: u32,
        reason: String,
    },
    #[error("the workload does not fit the whole cluster ({nodes} nodes): {reason}")]
    FullClusterDoesNotFit { nodes: u32, reason: String },
    #[error("--seeds must be at least 1")]
    NoSeeds,
}

/// `part / whole` in basis points (1/100 of a percent), rounded down; 0 when `whole` is 0.
pub fn basis_points(part: i64, whole: i64) -> u32 {
    if whole <= 0 || part <= 0 {
        return 0;
    }
    ((i128::from(part) * 10_000) / i128::from(whole)).min(i128::from(u32::MAX)) as u32
}

/// Basis points as a percentage for JSON (exact: a whole number divided by 100).
pub(crate) fn percent<S: serde::Serializer>(bp: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(f64::from(*bp) / 100.0)
}
