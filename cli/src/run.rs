//! `cellsim run`.

use crate::fs_sources::FsSources;
use anyhow::Context;
use cellsim_core::sim::RunOptions;
use cellsim_core::time::Duration;
use clap::Args;

#[derive(Args)]
pub struct RunArgs {
    /// The scenario file.
    scenario: String,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the JSON report instead of the summary.
    #[arg(long)]
    json: bool,
    /// Record every scheduling decision (`decisions` in the JSON report).
    #[arg(long)]
    explain: bool,
    /// Write the trace (JSON lines) to this file.
    #[arg(long, value_name = "FILE")]
    trace: Option<String>,
    /// Stop at this simulated time (Go duration, e.g. 10m).
    #[arg(long, value_name = "DUR")]
    until: Option<String>,
    /// List the fields and kinds the model ignores.
    #[arg(long, short)]
    verbose: bool,
    /// Run for real (root): every node a network namespace with its own agent and real
    /// containers, real Service traffic; then the simulation side by side.
    #[arg(long)]
    real: bool,
    /// With --real: simulated milliseconds per real millisecond (10: a minute in 6 s).
    #[arg(long, value_name = "N", default_value_t = 1, requires = "real")]
    time_scale: u64,
    /// With --real: cap on each traffic entry's requests per second.
    #[arg(long, value_name = "RPS", default_value_t = 20.0, requires = "real")]
    max_rps: f64,
    /// With --real: the node backend's state directory (images under `images/`).
    #[arg(long, default_value = crate::node::DEFAULT_ROOT, requires = "real")]
    root: std::path::PathBuf,
    /// With --real: the prefix of the run's namespaces and cgroups (tests use their own; it
    /// must start with `cellsim-` for `cellsim node cleanup`).
    #[arg(long, hide = true, default_value = "cellsim-run", requires = "real")]
    prefix: String,
}

pub fn run(a: RunArgs) -> anyhow::Result<u8> {
    let until = match &a.until {
        None => None,
        Some(s) => Some(Duration::parse(s).map_err(|e| anyhow::anyhow!("--until: {e}"))?),
    };
    let scenario = match cellsim_core::scenario::load(&a.scenario, &FsSources) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    if a.verbose {
        for (what, mark) in &scenario.ignored {
            eprintln!(
                "ignored: {what} (line {}, column {})",
                mark.line, mark.column
            );
        }
    }
    if a.real {
        return crate::real::run(
            scenario,
            crate::real::RealArgs {
                seed: a.seed,
                json: a.json,
                time_scale: a.time_scale,
                max_rps: a.max_rps,
                root: a.root,
                prefix: a.prefix,
                trace: a.trace,
            },
        );
    }
    let opts = RunOptions {
        seed: a.seed,
        keep_trace: a.trace.is_some(),
        explain: a.explain,
        until,
        keep_plan: false,
    };
    let mut sim = cellsim_core::sim::Sim::new(scenario, &opts);
    sim.run();
    let report = sim.report();
    if let Some(path) = &a.trace {
        std::fs::write(path, sim.trace.bytes())
            .with_context(|| format!("writing the trace to {path}"))?;
    }
    // The process ends with this command: freeing a large world object by object (100,000
    // pods and their indexes take seconds) would change nothing.
    std::mem::forget(sim);
    if a.json {
        crate::out::outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        crate::out::write(&report.summary())?;
    }
    Ok(if report.all_passed() { 0 } else { 1 })
}
