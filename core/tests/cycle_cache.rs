//! The cycle cache never changes a decision: random clusters and pod streams are scheduled
//! twice, by a profile with the cache and one without, on two snapshots changed identically
//! (pods placed and deleted, nodes tainted, cordoned, relabelled, added and removed,
//! nominations set), and every cycle's full result must be equal — chosen node, every
//! failed node with its status, every scored node with its per-plugin scores and total.
//! A failing case prints its seed.

use cellsim_core::api::node::Node;
use cellsim_core::api::pod::Pod;
use cellsim_core::rng::SimRng;
use cellsim_core::sched::config::default_config;
use cellsim_core::sched::framework::{PodInfo, Snapshot};
use cellsim_core::sched::profile::{CycleResult, Profile};
use serde_json::{json, Value};
use std::rc::Rc;

fn pick<'a, T>(rng: &mut SimRng, xs: &'a [T]) -> &'a T {
    &xs[rng.below(xs.len() as u64) as usize]
}

fn node(rng: &mut SimRng, i: usize) -> Node {
    let zone = *pick(rng, &["a", "b", "c"]);
    let mut taints = Vec::new();
    match rng.below(6) {
        0 => taints.push(json!({"key": "dedicated", "value": "batch", "effect": "NoSchedule"})),
        1 => taints.push(json!({"key": "spot", "effect": "PreferNoSchedule"})),
        _ => {}
    }
    let cpu = *pick(rng, &["2", "4", "8"]);
    let images = if rng.below(3) == 0 {
        json!([{"names": ["docker.io/library/nginx:1.25"], "sizeBytes": 200_000_000}])
    } else {
        json!([])
    };
    let v = json!({
        "metadata": {"name": format!("n{i}"), "labels": {
            "kubernetes.io/hostname": format!("n{i}"),
            "topology.kubernetes.io/zone": zone,
            "disk": pick(rng, &["ssd", "hdd"]),
        }},
        "spec": {"taints": taints, "unschedulable": rng.below(15) == 0},
        "status": {
            "allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "20"},
            "capacity": {"cpu": cpu, "memory": "8Gi", "pods": "20"},
            "images": images,
        }
    });
    serde_json::from_value(v).expect("node json")
}

/// A handful of templates, so consecutive pods often share a spec (the cache's case).
fn template(k: u64) -> Value {
    let c = |cpu: &str, mem: &str| {
        json!({"name": "c", "image": "nginx:1.25",
               "resources": {"requests": {"cpu": cpu, "memory": mem}}})
    };
    match k {
        0 => json!({"containers": [c("100m", "500Mi")]}),
        1 => json!({"containers": [c("1", "1Gi")],
                    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}]}),
        2 => json!({"containers": [c("250m", "256Mi")], "nodeSelector": {"disk": "ssd"}}),
        3 => json!({"containers": [c("500m", "1Gi")], "affinity": {"nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 10, "preference": {"matchExpressions": [
                            {"key": "disk", "operator": "In", "values": ["hdd"]}]}}]}}}),
        4 => json!({"containers": [{"name": "c", "image": "nginx:1.25",
                    "ports": [{"containerPort": 80, "hostPort": 8080}],
                    "resources": {"requests": {"cpu": "100m"}}}]}),
        5 => json!({"containers": [c("200m", "200Mi")], "topologySpreadConstraints": [
                    {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                     "whenUnsatisfiable": "DoNotSchedule",
                     "labelSelector": {"matchLabels": {"app": "web"}}}]}),
        6 => json!({"containers": [c("100m", "100Mi")], "affinity": {"podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {"topologyKey": "kubernetes.io/hostname",
                         "labelSelector": {"matchLabels": {"app": "db"}}}]}}}),
        _ => json!({"containers": [c("3", "6Gi")]}),
    }
}

fn pod(rng: &mut SimRng, i: usize) -> Pod {
    let k = rng.below(8);
    let app = match k {
        5 => "web",
        6 => "db",
        _ => *pick(rng, &["web", "db", "other"]),
    };
    let mut spec = template(k);
    if rng.below(4) == 0 {
        spec["priority"] = json!(1000);
    }
    serde_json::from_value(json!({
        "metadata": {"name": format!("p{i}"), "namespace": "default", "labels": {"app": app}},
        "spec": spec,
    }))
    .expect("pod json")
}

/// Everything a cycle decided, comparable.
fn digest(r: &CycleResult) -> String {
    format!(
        "chosen={:?} processed={} failed={:?} pod_status={:?} scores={:?} post={:?}",
        r.chosen,
        r.processed,
        r.failed,
        r.pod_status,
        r.scores(),
        r.post_filter
    )
}

fn run_case(seed: u64) {
    let mut rng = SimRng::new(seed);
    let spec = &default_config().profiles[0];
    let cached = Profile::build(spec).expect("default profile");
    let mut full = Profile::build(spec).expect("default profile");
    full.set_cache_enabled(false);
    let (mut a, mut b) = (Snapshot::default(), Snapshot::default());
    let n_nodes = 20 + rng.below(150) as usize;
    let mut next_node = n_nodes;
    for i in 0..n_nodes {
        let n = node(&mut rng, i);
        a.set_node(n.clone());
        b.set_node(n);
    }
    let (mut ra, mut rb) = (SimRng::new(seed ^ 1), SimRng::new(seed ^ 1));
    let (mut start_a, mut start_b) = (0usize, 0usize);
    let mut placed: Vec<(String, String)> = Vec::new();
    for i in 0..400 {
        let p = pod(&mut rng, i);
        let info = Rc::new(PodInfo::new(&p));
        let x = cached.schedule(&info, &a, Some(50), start_a, &mut |n| ra.below(n));
        let y = full.schedule(&info, &b, Some(50), start_b, &mut |n| rb.below(n));
        assert_eq!(
            digest(&x),
            digest(&y),
            "seed {seed}: cycle {i} differs with the cycle cache"
        );
        if !a.nodes.is_empty() {
            start_a = (start_a + x.processed) % a.nodes.len();
            start_b = (start_b + y.processed) % b.nodes.len();
        }
        if let Some(c) = x.chosen {
            let name = a.nodes[c].name.clone();
            a.add_pod(&name, info.clone());
            b.add_pod(&name, info.clone());
            placed.push((info.key.clone(), name));
        }
        // Change the cluster the way a running simulation does.
        match rng.below(12) {
            0 | 1 if !placed.is_empty() => {
                let j = rng.below(placed.len() as u64) as usize;
                let (key, _) = placed.swap_remove(j);
                a.remove_pod(&key);
                b.remove_pod(&key);
            }
            2 if !a.nodes.is_empty() => {
                // Re-create an existing node with new taints / labels / cordon state.
                let j = rng.below(a.nodes.len() as u64) as usize;
                let idx: usize = a.nodes[j].name[1..].parse().expect("n<i>");
                let n = node(&mut rng, idx);
                a.set_node(n.clone());
                b.set_node(n);
            }
            3 => {
                let n = node(&mut rng, next_node);
                next_node += 1;
                a.set_node(n.clone());
                b.set_node(n);
            }
            4 if a.nodes.len() > 5 => {
                let j = rng.below(a.nodes.len() as u64) as usize;
                let name = a.nodes[j].name.clone();
                a.remove_node(&name);
                b.remove_node(&name);
                placed.retain(|(_, n)| *n != name);
            }
            5 if !a.nodes.is_empty() => {
                // A pending pod nominated to a node (preemption's outcome).
                let mut q = pod(&mut rng, 100_000 + i);
                q.spec.priority = Some(2000);
                let j = rng.below(a.nodes.len() as u64) as usize;
                q.status.nominated_node_name = a.nodes[j].name.clone();
                a.set_nominated(&q);
                b.set_nominated(&q);
            }
            _ => {}
        }
    }
    let (hits, _) = cached.cache_stats();
    assert!(hits > 0, "seed {seed}: the cache was never used");
}

#[test]
fn cached_cycles_decide_exactly_like_full_evaluation() {
    for seed in 1..=12u64 {
        run_case(seed);
    }
}
