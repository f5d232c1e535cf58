//! Engine throughput: the raw event queue, and whole simulated runs in events per second.
//!
//! `cargo bench -p cellsim-benches --bench engine`. Criterion reports elements/s: queue
//! operations for `queue`, trace events for `simulate`.

use cellsim_benches::{churn_scenario, OneFile};
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

criterion_group!(benches, queue, simulate);
criterion_main!(benches);
