//! `Sim::step_budget` pauses inside an instant without changing the run: for every built-in
//! scenario and a generated churn workload (rolling updates, a CronJob, a node failure; t=0
//! creating and scheduling hundreds of pods in one instant), stepping with budgets of 1, 2, 7
//! and 100 units gives the same instants, trace hash, trace bytes and report JSON as
//! `Sim::new` + `Sim::run` (an unlimited budget), and the small budgets really do pause inside
//! instants.

use cellsim_core::scenario::Sources;
use cellsim_core::sim::budget::{Budget, StepOutcome};
use cellsim_core::sim::{RunOptions, Sim};
use cellsim_core::store::ObjectStore;
use cellsim_core::time::SimTime;
use cellsim_scenarios::Embedded;

const BUDGETS: [u64; 4] = [1, 2, 7, 100];

struct Outcome {
    /// The instants completed, in order (`Sim::now` at each `InstantDone` / step).
    instants: Vec<SimTime>,
    trace: Vec<u8>,
    hash: String,
    report: String,
    /// Calls that paused inside an instant.
    pauses: u64,
}

fn options(seed: Option<u64>) -> RunOptions {
    RunOptions {
        seed,
        keep_trace: true,
        explain: true,
        until: None,
        keep_plan: true,
    }
}

fn outcome(sim: &Sim, instants: Vec<SimTime>, pauses: u64) -> Outcome {
    Outcome {
        instants,
        trace: sim.trace.bytes().to_vec(),
        hash: sim.trace.hash_hex(),
        report: serde_json::to_string(&sim.report()).unwrap()
            + &serde_json::to_string(sim.plan()).unwrap(),
        pauses,
    }
}

/// The reference: `Sim::new` (t=0 settled at once) and `Sim::step` to the end.
fn unlimited(path: &str, src: &dyn Sources, seed: Option<u64>) -> Outcome {
    let scenario = cellsim_core::scenario::load(path, src).unwrap();
    let mut sim = Sim::new(scenario, &options(seed));
    let mut instants = vec![sim.now];
    while sim.step() {
        instants.push(sim.now);
    }
    outcome(&sim, instants, 0)
}

/// `Sim::new_paused` and `step_budget` with a fresh budget of `units` per call.
fn budgeted(path: &str, src: &dyn Sources, seed: Option<u64>, units: u64) -> Outcome {
    let scenario = cellsim_core::scenario::load(path, src).unwrap();
    let mut sim = Sim::new_paused(scenario, &options(seed));
    let mut instants = Vec::new();
    let mut pauses = 0;
    loop {
        match sim.step_budget(&mut Budget::new(units)) {
            StepOutcome::Progress => {
                assert!(sim.in_instant());
                pauses += 1;
            }
            StepOutcome::InstantDone => {
                assert!(!sim.in_instant());
                instants.push(sim.now);
            }
            StepOutcome::Finished => break,
        }
    }
    assert!(sim.is_finished());
    assert_eq!(
        sim.step_budget(&mut Budget::new(units)),
        StepOutcome::Finished
    );
    outcome(&sim, instants, pauses)
}

fn check(what: &str, path: &str, src: &dyn Sources, seed: Option<u64>) -> Vec<u64> {
    let want = unlimited(path, src, seed);
    let mut pauses = Vec::new();
    for units in BUDGETS {
        let got = budgeted(path, src, seed, units);
        let ctx = format!("{what} (seed {seed:?}), budget {units}");
        assert_eq!(got.instants, want.instants, "{ctx}: instants");
        assert_eq!(got.hash, want.hash, "{ctx}: trace hash");
        assert!(got.trace == want.trace, "{ctx}: trace bytes");
        assert_eq!(got.report, want.report, "{ctx}: report and plan");
        pauses.push(got.pauses);
    }
    pauses
}

#[test]
fn every_built_in_scenario_runs_the_same_for_every_budget() {
    let mut paused_inside = 0;
    for path in cellsim_scenarios::scenario_paths() {
        let pauses = check(path, path, &Embedded, None);
        assert!(
            pauses[0] > 0,
            "{path}: budget 1 never paused inside an instant"
        );
        if pauses[0] > 0 {
            paused_inside += 1;
        }
    }
    assert!(paused_inside > 10);
}

#[test]
fn a_churn_workload_with_rollouts_and_a_node_failure_runs_the_same_for_every_budget() {
    // 40 nodes, 3 Deployments x 60 pods, 8 simulated minutes: rolling updates at 2m and 4m,
    // failNode at 6m (its pods replaced after the eviction timeout), a CronJob every 5m.
    let text = cellsim_benches::issue_churn_scenario(40, 3, 60, 8);
    let src = cellsim_benches::OneFile(text);
    for seed in [None, Some(7)] {
        let pauses = check("churn-40n-180p", "churn.yaml", &src, seed);
        // Budget 100 pauses too: t=0 alone schedules 180 pods in one instant.
        assert!(pauses.iter().all(|&p| p > 0), "{pauses:?}");
    }
}

#[test]
fn the_controllers_and_the_scheduler_pause_inside_their_pod_loops_and_feed_reads() {
    // t=0 of 3 Deployments x 60 pods: the ReplicaSet controller creates 180 pods in one sync,
    // then every controller reads their 180 creations (and later their bindings) from the
    // feed. With a budget of 1 unit, calls pause between two pods of the creating loop and
    // inside the feed reads (64 changes a unit); `check` above proves the run is the same.
    let text = cellsim_benches::issue_churn_scenario(40, 3, 60, 8);
    let src = cellsim_benches::OneFile(text);
    let scenario = cellsim_core::scenario::load("churn.yaml", &src).unwrap();
    let mut sim = Sim::new_paused(scenario, &options(None));
    let mut pods_at_rs_pauses = std::collections::BTreeSet::new();
    let mut pauses_at: std::collections::BTreeMap<&str, u64> = Default::default();
    while sim.step_budget(&mut Budget::new(1)) == StepOutcome::Progress {
        let at = sim.pause_point();
        *pauses_at.entry(at).or_default() += 1;
        if at == "replicaset" {
            pods_at_rs_pauses.insert(sim.store.list(cellsim_core::api::Kind::Pod).count());
        }
    }
    assert_eq!(sim.now, SimTime::ZERO, "t=0 settled");
    // Pauses with 1, 2, ... pods made: inside the loop, not only around it.
    assert!(
        pods_at_rs_pauses
            .iter()
            .filter(|&&n| n > 0 && n < 180)
            .count()
            > 100,
        "{pods_at_rs_pauses:?}"
    );
    // Each of these reads 180 creations and 180 bindings at t=0 (over three settle rounds at
    // most one pause before its turn each), so more pauses are inside its read.
    for c in [
        "statefulset",
        "daemonset",
        "job",
        "garbage collector",
        "node lifecycle",
        "taint eviction",
        "pod gc",
    ] {
        let n = pauses_at.get(c).copied().unwrap_or(0);
        assert!(n >= 6, "{c}: {n} pauses ({pauses_at:?})");
    }
    // The scheduler reads the 180 creations in three parts of 64 changes: paused inside its
    // read at least twice.
    let n = pauses_at.get("scheduler feed").copied().unwrap_or(0);
    assert!(n >= 2, "scheduler feed: {n} pauses ({pauses_at:?})");
}
