//! `compare`: one scenario under several scheduler configurations, with the packing numbers
//! of each run's end state side by side.

use super::executor::{map, Executor, InTurn};
use super::metrics::{packing, Packing};
use super::probe::probe;
use crate::scenario::Scenario;
use crate::sched::config::SchedulerConfig;
use serde::Serialize;

/// One configuration's run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    /// What the caller calls it (the configuration's file name).
    pub scheduler: String,
    /// Every pod bound and every expectation held.
    pub fits: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub failed_expectations: u64,
    #[serde(flatten)]
    pub packing: Packing,
}

/// `compare`'s answer (the JSON of `cellsim compare --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub scenario: String,
    pub seed: u64,
    pub schedulers: Vec<Column>,
}

/// Run `s` once per configuration (same seed, same everything else).
pub fn compare(
    s: &Scenario,
    configs: &[(String, SchedulerConfig)],
    seed: Option<u64>,
) -> Comparison {
    compare_on(s, configs, seed, &InTurn)
}

/// `compare` with the runs (one per configuration, independent) on `ex`.
pub fn compare_on(
    s: &Scenario,
    configs: &[(String, SchedulerConfig)],
    seed: Option<u64>,
    ex: &dyn Executor,
) -> Comparison {
    Comparison {
        scenario: s.name.clone(),
        seed: seed.unwrap_or(s.seed),
        schedulers: map(ex, configs.len(), |i| {
            column(s, &configs[i].0, &configs[i].1, seed)
        }),
    }
}

/// One configuration's column of `compare`: `s` run once with scheduler `cfg` (front ends
/// that must stay responsive run one column at a time).
pub fn column(s: &Scenario, name: &str, cfg: &SchedulerConfig, seed: Option<u64>) -> Column {
    let mut run = s.clone();
    run.scheduler = cfg.clone();
    let nodes = run.nodes.len() as u32;
    let (p, c) = probe(run, seed, nodes);
    Column {
        scheduler: name.to_string(),
        fits: p.fits,
        reason: p.reason,
        failed_expectations: p.failed_expectations,
        packing: packing(&c),
    }
}
