//! Engine throughput: the raw event queue, and whole simulated runs in events per second.
//!
//! `cargo bench -p cellsim-benches --bench engine`. Criterion reports elements/s: queue
//! operations for `queue`, trace events for `simulate`.

use cellsim_benches::{churn_scenario, issue_churn_scenario, OneFile};
use cellsim_core::engine::EventQueue;
use cellsim_core::rng::SimRng;
use cellsim_core::sim::{RunOptions, Sim};
use cellsim_core::time::SimTime;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

fn queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue");
    const N: u64 = 100_000;
    g.throughput(Throughput::Elements(N));
    g.bench_function("push_pop_100k", |b| {
        b.iter_batched(
            || {
                let mut r = SimRng::new(1);
                (0..N).map(|_| r.below(1_000_000)).collect::<Vec<_>>()
            },
            |times| {
                let mut q = EventQueue::new();
                for (i, t) in times.iter().enumerate() {
                    q.push(SimTime(*t), i);
                }
                let mut n = 0u64;
                while q.pop_due(SimTime(u64::MAX)).is_some() {
                    n += 1;
                }
                n
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn simulate(c: &mut Criterion) {
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10);
    for (nodes, pods) in [(100u32, 2_000u32), (500, 10_000)] {
        let text = churn_scenario(nodes, pods, 15);
        let scenario = cellsim_core::scenario::load("bench.yaml", &OneFile(text)).unwrap();
        // Events per run, measured once, so criterion reports events per second.
        let mut probe = Sim::new(scenario.clone(), &RunOptions::default());
        probe.run();
        g.throughput(Throughput::Elements(probe.trace.events()));
        g.bench_function(format!("churn_{nodes}n_{pods}p_15m"), |b| {
            b.iter_batched(
                || scenario.clone(),
                |s| {
                    let mut sim = Sim::new(s, &RunOptions::default());
                    sim.run();
                    sim.trace.events()
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

/// Issue 4's workload (Deployments, two rolling updates, a CronJob, a node failure), scaled
/// down to 500 nodes / 10,000 pods / 15 minutes so that ten samples stay in minutes; the full
/// 5,000 nodes / 100,000 pods / 1 h (`benches/scenarios/churn-5000n-100kp.yaml`) is measured
/// with the CLI (docs/benchmarks.md).
fn issue_churn(c: &mut Criterion) {
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10);
    let (nodes, deployments, replicas, minutes) = (500u32, 20u32, 500u32, 15u32);
    let text = issue_churn_scenario(nodes, deployments, replicas, minutes);
    let scenario = cellsim_core::scenario::load("bench.yaml", &OneFile(text)).unwrap();
    let mut probe = Sim::new(scenario.clone(), &RunOptions::default());
    probe.run();
    g.throughput(Throughput::Elements(probe.trace.events()));
    let pods = deployments * replicas;
    g.bench_function(format!("issue_churn_{nodes}n_{pods}p_{minutes}m"), |b| {
        b.iter_batched(
            || scenario.clone(),
            |s| {
                let mut sim = Sim::new(s, &RunOptions::default());
                sim.run();
                sim.trace.events()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, queue, simulate, issue_churn);
criterion_main!(benches);
