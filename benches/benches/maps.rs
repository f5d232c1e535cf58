//! Small maps as the API structs hold them (labels, resource lists), on `OrdMap` against std's
//! `BTreeMap`: 30,000 pods' maps, each looked up, cloned and walked once per iteration, so the
//! maps are spread over memory as a cluster's pods are (docs/benchmarks.md, "API maps on
//! OrdMap"). The selector matching of PodTopologySpread, InterPodAffinity and the services
//! is lookups in labels; every store write clones a pod; `Resources::from_list` walks a
//! resource list.

use std::collections::BTreeMap;
use std::hint::black_box;

use cellsim_core::collections::OrdMap;
use criterion::{criterion_group, criterion_main, Criterion};

const PODS: usize = 30_000;

/// A pod's labels: a Deployment's `app`, the ReplicaSet's `pod-template-hash`, and a `tier`
/// on every other pod.
fn labels(i: usize) -> Vec<(String, String)> {
    let mut l = vec![
        ("app".to_string(), format!("web-{}", i % 6)),
        ("pod-template-hash".to_string(), format!("{:010x}", i % 12)),
    ];
    if i % 2 == 0 {
        l.push(("tier".to_string(), "frontend".to_string()));
    }
    l
}

fn resources() -> Vec<(String, String)> {
    vec![
        ("cpu".to_string(), "100m".to_string()),
        ("memory".to_string(), "128Mi".to_string()),
    ]
}

/// Runs the lookups, clones and walks over `maps` of type `M`.
macro_rules! bench_map_type {
    ($c:expr, $name:literal, $M:ty) => {{
        let maps: Vec<($M, $M)> = (0..PODS)
            .map(|i| {
                (
                    labels(i).into_iter().collect(),
                    resources().into_iter().collect(),
                )
            })
            .collect();
        $c.bench_function(concat!($name, "/get present and absent"), |b| {
            b.iter(|| {
                let mut hits = 0usize;
                for (l, _) in &maps {
                    hits += usize::from(l.get("app").is_some_and(|v| v == "web-3"));
                    hits += usize::from(l.contains_key("zone"));
                    hits += usize::from(l.get("tier").is_some());
                }
                black_box(hits)
            })
        });
        $c.bench_function(concat!($name, "/clone"), |b| {
            b.iter(|| {
                let copies: Vec<($M, $M)> = maps.iter().cloned().collect();
                black_box(copies)
            })
        });
        $c.bench_function(concat!($name, "/walk"), |b| {
            b.iter(|| {
                let mut bytes = 0usize;
                for (l, r) in &maps {
                    for (k, v) in l.iter().chain(r.iter()) {
                        bytes += k.len() + v.len();
                    }
                }
                black_box(bytes)
            })
        });
    }};
}

fn maps(c: &mut Criterion) {
    bench_map_type!(c, "OrdMap", OrdMap<String, String>);
    bench_map_type!(c, "BTreeMap", BTreeMap<String, String>);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = maps
}
criterion_main!(benches);
