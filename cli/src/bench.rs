//! `cellsim bench scheduler`: scheduler throughput on kube-scheduler's SchedulingBasic shape.

use clap::{Args, Subcommand};
use serde::Serialize;
use std::time::Instant;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Pods per second through the default profile (nodes 4 CPU / 32Gi / 110 pods; pods
    /// 100m / 500Mi).
    Scheduler(SchedulerArgs),
    /// Simulated requests per second of wall time through the traffic model: `--pods`
    /// replicas behind one Service taking `--rps` for `--minutes`, with a rolling update
    /// half-way.
    Traffic(TrafficArgs),
}

#[derive(Args)]
pub struct TrafficArgs {
    #[arg(long, default_value_t = 500)]
    pods: u32,
    #[arg(long, default_value_t = 100_000)]
    rps: u64,
    #[arg(long, default_value_t = 10)]
    minutes: u32,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TrafficReport {
    pods: u32,
    rps: u64,
    simulated_minutes: u32,
    requests: u64,
    failed: u64,
    seconds: f64,
    cpu_seconds: Option<f64>,
    requests_per_second: f64,
    trace_hash: String,
}

struct OneFile(String);

impl cellsim_core::scenario::Sources for OneFile {
    fn read(&self, _path: &str) -> Result<String, String> {
        Ok(self.0.clone())
    }
}

fn traffic(a: TrafficArgs) -> anyhow::Result<u8> {
    let text = cellsim_core::net::traffic::workload::scenario(a.pods, a.rps, a.minutes);
    let sc = cellsim_core::scenario::load("bench-traffic.yaml", &OneFile(text))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cpu0 = crate::cpu_time::thread_cpu_seconds();
    let t0 = Instant::now();
    let mut sim = cellsim_core::sim::Sim::new(sc, &cellsim_core::sim::RunOptions::default());
    sim.run();
    let seconds = t0.elapsed().as_secs_f64();
    let cpu = crate::cpu_time::thread_cpu_seconds()
        .zip(cpu0)
        .map(|(b, a)| b - a);
    let report = sim.report();
    let (requests, failed) = report
        .traffic
        .iter()
        .fold((0, 0), |(r, f), t| (r + t.requests, f + t.failed));
    let out = TrafficReport {
        pods: a.pods,
        rps: a.rps,
        simulated_minutes: a.minutes,
        requests,
        failed,
        seconds,
        cpu_seconds: cpu,
        requests_per_second: requests as f64 / seconds,
        trace_hash: report.trace_hash.clone(),
    };
    if a.json {
        crate::out::write(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else {
        crate::out::write(&format!(
            "traffic: {} pods, {} rps for {} simulated minutes: {} requests ({} failed) in {:.2}s ({:.0} requests/s{}), trace {}\n",
            out.pods,
            out.rps,
            out.simulated_minutes,
            out.requests,
            out.failed,
            out.seconds,
            out.requests_per_second,
            out.cpu_seconds.map_or(String::new(), |c| format!(", {c:.2} CPU-s")),
            &out.trace_hash[..8]
        ))?;
    }
    Ok(0)
}

#[derive(Args)]
pub struct SchedulerArgs {
    #[arg(long, default_value_t = 5000)]
    nodes: usize,
    #[arg(long, default_value_t = 10000)]
    pods: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// `scheduling-basic`, or `pod-anti-affinity` (upstream SchedulingPodAntiAffinity: every
    /// pod requires anti-affinity on hostname against the others; `--init-pods` are placed
    /// first, unmeasured).
    #[arg(long, default_value = "scheduling-basic")]
    workload: String,
    /// Pods placed before the measured ones (pod-anti-affinity only; upstream uses 1000).
    #[arg(long, default_value_t = 1000)]
    init_pods: usize,
    /// Evaluate every plugin on every examined node each cycle (no cycle cache): the
    /// decisions, and so the placements hash, must be the same.
    #[arg(long)]
    full_eval: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BenchReport {
    workload: &'static str,
    nodes: usize,
    init_pods: usize,
    pods: usize,
    scheduled: usize,
    unschedulable: usize,
    seconds: f64,
    pods_per_second: f64,
    /// CPU time of the measured loop, and pods per CPU-second: steadier than the wall
    /// clock when other processes share the cores.
    cpu_seconds: Option<f64>,
    pods_per_cpu_second: Option<f64>,
    full_eval: bool,
    /// Share of the examined nodes whose node-local Filter verdict came from the cache.
    cache_hit_percent: f64,
    placements_sha256: String,
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<u8> {
    match cmd {
        BenchCommand::Traffic(a) => traffic(a),
        BenchCommand::Scheduler(a) => {
            use cellsim_core::sched::bench;
            let (name, init, mut w) = match a.workload.as_str() {
                "scheduling-basic" => (
                    "SchedulingBasic",
                    0,
                    bench::scheduling_basic(a.nodes, a.pods),
                ),
                "pod-anti-affinity" => (
                    "SchedulingPodAntiAffinity",
                    a.init_pods,
                    bench::pod_anti_affinity(a.nodes, a.init_pods, a.pods),
                ),
                other => anyhow::bail!(
                    "unknown workload {other:?}: expected scheduling-basic or pod-anti-affinity"
                ),
            };
            w.set_full_eval(a.full_eval);
            w.setup(a.seed);
            let (h0, m0) = w.cache_stats();
            let c0 = crate::cpu_time::thread_cpu_seconds();
            let t0 = Instant::now();
            let out = w.run(a.seed);
            let secs = t0.elapsed().as_secs_f64();
            let cpu = match (c0, crate::cpu_time::thread_cpu_seconds()) {
                (Some(a), Some(b)) if b > a => Some(b - a),
                _ => None,
            };
            let (h1, m1) = w.cache_stats();
            let (hits, looked) = (h1 - h0, (h1 - h0) + (m1 - m0));
            let r = BenchReport {
                workload: name,
                nodes: a.nodes,
                init_pods: init,
                pods: a.pods,
                scheduled: out.scheduled,
                unschedulable: out.unschedulable,
                seconds: secs,
                pods_per_second: if secs > 0.0 {
                    a.pods as f64 / secs
                } else {
                    0.0
                },
                cpu_seconds: cpu,
                pods_per_cpu_second: cpu.map(|c| a.pods as f64 / c),
                full_eval: a.full_eval,
                cache_hit_percent: if looked > 0 {
                    100.0 * hits as f64 / looked as f64
                } else {
                    0.0
                },
                placements_sha256: out.placements_sha256,
            };
            if a.json {
                crate::out::outln!("{}", serde_json::to_string_pretty(&r)?)?;
            } else {
                crate::out::outln!(
                    "{}: {} nodes, {} pods: {} scheduled, {} unschedulable in {:.3}s = {:.0} pods/s{}{}\nplacements sha256 {}",
                    r.workload, r.nodes, r.pods, r.scheduled, r.unschedulable, r.seconds, r.pods_per_second,
                    r.pods_per_cpu_second.map(|p| format!(", {p:.0} pods per CPU-second")).unwrap_or_default(),
                    if r.full_eval { " (full evaluation)".to_string() } else { format!(" (cycle cache hits {:.1}%)", r.cache_hit_percent) },
                    r.placements_sha256
                )?;
            }
            Ok(0)
        }
    }
}
