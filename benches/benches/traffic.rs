//! Traffic model throughput: simulated requests per second of wall time, over the workload
//! of `cellsim bench traffic` (pods behind one Service, a rolling update half-way) scaled
//! down so that criterion can sample it. The full figure (100,000 requests/s over 500 pods
//! for 10 simulated minutes) is `cellsim bench traffic`; docs/benchmarks.md has both.
//!
//! `cargo bench -p cellsim-benches --bench traffic`.

use cellsim_benches::OneFile;
use cellsim_core::net::traffic::workload;
use cellsim_core::sim::{RunOptions, Sim};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn traffic(c: &mut Criterion) {
    let mut g = c.benchmark_group("traffic");
    g.sample_size(10);
    for (pods, rps) in [(50u32, 10_000u64), (500, 100_000)] {
        let text = workload::scenario(pods, rps, 1);
        let scenario = cellsim_core::scenario::load("bench.yaml", &OneFile(text)).unwrap();
        // Requests per run, counted once, so criterion reports requests per second.
        let mut probe = Sim::new(scenario.clone(), &RunOptions::default());
        probe.run();
        let requests: u64 = probe.report().traffic.iter().map(|t| t.requests).sum();
        g.throughput(Throughput::Elements(requests));
        g.bench_function(format!("{pods}pods_{rps}rps_1m"), |b| {
            b.iter(|| {
                let mut sim = Sim::new(scenario.clone(), &RunOptions::default());
                sim.run();
                sim.trace.events()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, traffic);
criterion_main!(benches);
