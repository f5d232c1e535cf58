//! cellsim-core: the deterministic, sans-IO model of a cluster.
//!
//! Nothing in this crate reads a clock, a file, the network or an OS random source; see
//! `ARCHITECTURE.md` for the code map and the invariants every module keeps.

// `#[cellsim_derive::hot]` functions are optimised for speed in the wasm build, whose core is
// otherwise optimised for size; the wasm toolchain (Debian's rustc, run with RUSTC_BOOTSTRAP
// for -Zbuild-std) has the attribute as a nightly feature. Native builds never name it.
#![cfg_attr(target_arch = "wasm32", feature(optimize_attribute))]

pub mod admission;
pub mod agent_api;
pub mod api;
pub mod autoscaler;
pub mod binary64;
pub mod collections;
pub mod controllers;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod kubelet;
pub mod net;
pub mod plan;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sched;
pub mod sim;
pub mod sort;
pub mod store;
pub mod time;

/// Load a scenario and run it to the end (or to `opts.until`).
pub fn run_scenario(
    path: &str,
    sources: &dyn scenario::Sources,
    opts: &sim::RunOptions,
) -> Result<sim::Sim, yaml::LoadError> {
    let scenario = scenario::load(path, sources)?;
    let mut sim = sim::Sim::new(scenario, opts);
    sim.run();
    Ok(sim)
}
pub mod yaml;
