//! `cellsim bench scheduler`: scheduler throughput on kube-scheduler's SchedulingBasic shape.

use clap::{Args, Subcommand};
use serde::Serialize;
use std::time::Instant;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Pods per second through the default profile (nodes 4 CPU / 32Gi / 110 pods; pods
    /// 100m / 500Mi).
    Scheduler(SchedulerArgs),
}

#[derive(Args)]
pub struct SchedulerArgs {
    #[arg(long, default_value_t = 5000)]
    nodes: usize,
    #[arg(long, default_value_t = 10000)]
    pods: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BenchReport {
    workload: &'static str,
    nodes: usize,
    pods: usize,
    scheduled: usize,
    unschedulable: usize,
    seconds: f64,
    pods_per_second: f64,
    placements_sha256: String,
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<u8> {
    match cmd {
        BenchCommand::Scheduler(a) => {
            let mut w = cellsim_core::sched::bench::scheduling_basic(a.nodes, a.pods);
            let t0 = Instant::now();
            let out = w.run(a.seed);
            let secs = t0.elapsed().as_secs_f64();
            let r = BenchReport {
                workload: "SchedulingBasic",
                nodes: a.nodes,
                pods: a.pods,
                scheduled: out.scheduled,
                unschedulable: out.unschedulable,
                seconds: secs,
                pods_per_second: if secs > 0.0 {
                    a.pods as f64 / secs
                } else {
                    0.0
                },
                placements_sha256: out.placements_sha256,
            };
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "SchedulingBasic: {} nodes, {} pods: {} scheduled, {} unschedulable in {:.3}s = {:.0} pods/s\nplacements sha256 {}",
                    r.nodes, r.pods, r.scheduled, r.unschedulable, r.seconds, r.pods_per_second, r.placements_sha256
                );
            }
            Ok(0)
        }
    }
}
