//! The longest units of budgeted work (`Sim::step_budget` with a budget of one unit) of a
//! scenario, natively, with where each started (`Sim::pause_point`) and the simulated time:
//! what makes the playground's long frames (a frame steps until its budget, then finishes
//! the unit it is in; wasm in Chromium is 2–3× slower than this).
//!
//!     MIMALLOC_PURGE_DELAY=-1 cargo run --release -p cellsim-core --example units -- SCENARIO.yaml [TOP]
//!
//! It allocates with mimalloc, as the CLI does; `MIMALLOC_PURGE_DELAY=-1` keeps freed pages as
//! the CLI does (and as wasm's linear memory, which never shrinks).
//!
//! A diagnostic, not part of the library: it reads the wall clock, which the core never does.

use cellsim_core::sim::budget::{Budget, StepOutcome};
use cellsim_core::sim::{RunOptions, Sim};
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Files;

impl cellsim_core::scenario::Sources for Files {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: units SCENARIO.yaml [TOP]");
        std::process::exit(2);
    };
    let top: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(25);
    let scenario = match cellsim_core::scenario::load(&path, &Files) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut sim = Sim::new_paused(scenario, &RunOptions::default());
    let mut units: Vec<(f64, &'static str, u64, Instant)> = Vec::new();
    loop {
        let (at, now) = (sim.pause_point(), sim.now.millis());
        let start = Instant::now();
        let outcome = sim.step_budget(&mut Budget::new(1));
        units.push((start.elapsed().as_secs_f64() * 1e3, at, now, start));
        if outcome == StepOutcome::Finished {
            break;
        }
    }
    units.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("{} units; the longest {top}:", units.len());
    for (ms, at, now, start) in units.iter().take(top) {
        // The start as CLOCK_MONOTONIC (`Instant`'s Debug on Linux), to find the unit's samples
        // in `perf record -k CLOCK_MONOTONIC` (`perf script -F time,...`).
        println!("{ms:8.2} ms  t={now} ms  started at: {at}  ({start:?})");
    }
}
