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
    // `full_eval`: the cycle cache off — the same decisions, every plugin on every node.
    for (nodes, pods, full_eval) in [
        (500usize, 1_000usize, false),
        (5_000, 10_000, false),
        (5_000, 10_000, true),
    ] {
        g.throughput(Throughput::Elements(pods as u64));
        let name = if full_eval {
            format!("{nodes}n_{pods}p_full_eval")
        } else {
            format!("{nodes}n_{pods}p")
        };
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut w = scheduling_basic(nodes, pods);
                    w.set_full_eval(full_eval);
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
