//! `cellsim import`: external traces as scenarios.

use anyhow::Context;
use cellsim_core::plan::alibaba::{self, ImportOptions};
use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// The Alibaba GPU cluster trace (openb, as used by the FGD paper) as a scenario.
    AlibabaGpu(AlibabaArgs),
}

#[derive(Args)]
pub struct AlibabaArgs {
    /// The trace directory (openb_node_list_gpu_node.csv and openb_pod_list_*.csv).
    dir: String,
    /// Which pod list: openb_pod_list_<WORKLOAD>.csv.
    #[arg(long, default_value = "default")]
    workload: String,
    /// Only the first N nodes (a smaller cluster; demand scales with it).
    #[arg(long, value_name = "N")]
    nodes: Option<usize>,
    /// Pods arrive until their GPU requests reach this percentage of the cluster's GPUs.
    #[arg(long, default_value_t = 100, value_name = "PCT")]
    demand: u32,
    /// The scenario's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the scenario here (default: standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
}

pub fn run(c: ImportCommand) -> anyhow::Result<u8> {
    let ImportCommand::AlibabaGpu(a) = c;
    let read = |name: &str| -> Result<(String, String), u8> {
        let path = format!("{}/{name}", a.dir.trim_end_matches('/'));
        match std::fs::read_to_string(&path) {
            Ok(t) => Ok((path, t)),
            Err(e) => {
                eprintln!("error: {path}:1:1: cannot read: {e}");
                Err(2)
            }
        }
    };
    let (npath, ntext) = match read("openb_node_list_gpu_node.csv") {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let (ppath, ptext) = match read(&format!("openb_pod_list_{}.csv", a.workload)) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let parsed = alibaba::parse_nodes(&npath, &ntext)
        .and_then(|n| alibaba::parse_pods(&ppath, &ptext).map(|p| (n, p)));
    let (nodes, pods) = match parsed {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let yaml = alibaba::scenario_yaml(
        &nodes,
        &pods,
        &ImportOptions {
            nodes: a.nodes,
            demand_pct: a.demand,
            name: format!("alibaba-gpu-{}-{}", a.workload.replace('_', "-"), a.demand),
            seed: a.seed,
        },
    );
    match &a.out {
        Some(path) => std::fs::write(path, yaml).with_context(|| format!("writing {path}"))?,
        None => crate::out::write(&yaml)?,
    }
    Ok(0)
}
