//! `cellsim compact`: Borg cell compaction over seeds.

use cellsim_core::plan::CompactOptions;
use clap::Args;

#[derive(Args)]
pub struct CompactArgs {
    /// The scenario file.
    scenario: String,
    /// Trials (seeds spec.seed, spec.seed+1, ...); the Borg paper used 11.
    #[arg(long, default_value_t = cellsim_core::plan::compaction::DEFAULT_SEEDS,
          value_parser = clap::value_parser!(u32).range(1..))]
    seeds: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: CompactArgs) -> anyhow::Result<u8> {
    let scenario = match crate::plan::load_scenario(&a.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let r = match cellsim_core::plan::compact_on(
        &scenario,
        &CompactOptions { seeds: a.seeds },
        &crate::threads::Threads::from_env(),
    ) {
        Ok(r) => r,
        Err(e) => return Ok(crate::plan::report_error(&a.scenario, &scenario, &e)),
    };
    if a.json {
        crate::out::outln!("{}", serde_json::to_string_pretty(&r)?)?;
        return Ok(0);
    }
    let mut out = format!(
        "compacted cell: {} machines at the 90th percentile (min {}, max {}) of {} machines = {} of the original\n\
         {} trials, {} simulations\n\n",
        r.p90,
        r.min,
        r.max,
        r.machines,
        crate::plan::pct(r.p90_of_original),
        r.trials.len(),
        r.simulations
    );
    let rows: Vec<[String; 5]> = r
        .trials
        .iter()
        .map(|t| {
            [
                t.seed.to_string(),
                t.machines.to_string(),
                crate::plan::pct(t.utilization.cpu),
                crate::plan::pct(t.utilization.memory),
                t.simulations.to_string(),
            ]
        })
        .collect();
    out +=
        &cellsim_core::report::table(["SEED", "MACHINES", "CPU", "MEMORY", "SIMULATIONS"], &rows);
    crate::out::write(&out)?;
    Ok(0)
}
