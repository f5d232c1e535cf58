//! Scheduler throughput: upstream scheduler_perf's SchedulingBasic shape (nodes of 4 CPU /
//! 32Gi / 110 pods, pods requesting 100m / 500Mi) through the full default profile, as
//! `cellsim bench scheduler` runs it. Criterion reports pods per second.
//!
//! `cargo bench -p cellsim-benches --bench scheduler`

use cellsim_core::sched::bench::scheduling_basic;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

fn scheduling_basic_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduling_basic");
    g.sample_size(10);
    for (nodes, pods) in [(500usize, 1_000usize), (5_000, 10_000)] {
        g.throughput(Throughput::Elements(pods as u64));
        g.bench_function(format!("{nodes}n_{pods}p"), |b| {
            b.iter_batched(
                || {
                    let mut w = scheduling_basic(nodes, pods);
                    w.setup(1);
                    w
                },
                |mut w| w.run(1).scheduled,
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, scheduling_basic_bench);
criterion_main!(benches);
