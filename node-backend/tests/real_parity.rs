//! (root) `cellsim run --real` in process (`cellsim_node::real::run`): the built-in real-friendly
//! scenarios run on real nodes (network namespaces, agents, containers, proxies) with the same
//! pod → node placements as the simulation of the same scenario and seed, their expectations
//! holding, and nothing left on the host afterwards. Scaled time keeps each run short.

mod common;

use cellsim_core::scenario::{Scenario, Sources};
use cellsim_node::real::{self, compare, RealOptions};
use std::path::PathBuf;

struct Fs;

impl Sources for Fs {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

fn scenario(name: &str) -> Scenario {
    let path = format!("{}/../scenarios/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    cellsim_core::scenario::load(&path, &Fs).expect("scenario loads")
}

/// Run `name` for real at `time_scale`, compare with the simulation, check the host is clean.
fn parity(name: &str, time_scale: u64) -> (compare::SideBySide, real::RealRun) {
    common::require_root();
    let prefix = common::net_prefix(name);
    let state = PathBuf::from(format!("/tmp/{prefix}"));
    let mut opts = RealOptions::new(
        &prefix,
        state.clone(),
        vec![env!("CARGO_BIN_EXE_cellsim-init").to_string()],
    );
    opts.image_root = common::images_root();
    opts.time_scale = time_scale;
    opts.keep_trace = true;
    let s = scenario(name);
    let r = real::run(s.clone(), &opts).expect("real run");
    let left = real::leftovers(&prefix, &state);
    assert!(left.is_empty(), "left on the host: {left:#?}");
    let sim = compare::simulate(s, None);
    let side = compare::side_by_side(&sim, &r);
    eprintln!("{}", side.summary());
    assert!(r.errors.is_empty(), "errors: {:?}", r.errors);
    assert!(!r.interrupted);
    assert!(
        side.placements_equal,
        "placements differ: {:?}",
        side.placement_diffs
    );
    for e in &r.report.expectations {
        assert!(e.passed, "{}: {}", e.description, e.detail);
    }
    (side, r)
}

#[test]
fn spread_and_scale_place_pods_as_the_simulation() {
    let (side, r) = parity("real-spread", 2);
    // Three nodes × two replicas, plus the pinned pod.
    assert_eq!(r.tracker.start_latencies().len(), 7);
    // The agents' kubelet events reach the trace: one Started per container.
    let trace = String::from_utf8_lossy(&r.trace);
    assert_eq!(trace.matches(r#""type":"Started""#).count(), 7, "{trace}");
    assert_eq!(side.placements.len(), 4);
}

#[test]
fn rolling_update_serves_every_request_through_cluster_ip_and_node_port() {
    let (side, r) = parity("real-web", 3);
    // Two ReplicaSets (before and after the rollout), each with a pod on each node.
    assert_eq!(side.placements.len(), 4, "{:?}", side.placements);
    assert!(r.tracker.rollouts().values().all(|d| d.is_some()));
    let web = r
        .services
        .iter()
        .find(|s| s.name == "web")
        .expect("web measured");
    assert!(web.requests >= 20, "{web:?}");
    assert_eq!(web.failed, 0, "{web:?}");
    // Answered by pods of both revisions (bodies are the pods' hostnames).
    assert!(web.pods.len() >= 3, "{:?}", web.pods);
    // Each pod answered while it was an endpoint: the new pod on a node reuses the address of
    // the old one it replaced, which must be reachable at once (the address-derived MAC).
    assert!(web.pods.values().all(|n| *n >= 3), "{:?}", web.pods);
    // Both entries sent: through the ClusterIP and through a node's address at the nodePort.
    let entries: Vec<(&str, u64, u64)> = r
        .report
        .traffic
        .iter()
        .map(|t| (t.name.as_str(), t.requests, t.failed))
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(
        entries.iter().all(|(_, n, failed)| *n >= 5 && *failed == 0),
        "{entries:?}"
    );
}

#[test]
fn node_failure_moves_the_lost_pod_to_the_spare_node() {
    let (side, _) = parity("real-node-failure", 10);
    assert!(
        side.placements.iter().any(|p| p.ends_with("→ spare-0 ×1")),
        "{:?}",
        side.placements
    );
}

#[test]
fn recovered_added_and_removed_nodes_run_their_pods_and_leave_nothing() {
    // failNode, recoverNode (a new agent on the recovered node), addNodes (a namespace and
    // agent made mid-run), removeNodes (taken down mid-run); `parity` checks the host is
    // clean afterwards and every expectation held (one Ready pod on front-0 after the
    // recovery, one on extra-0 while it exists, three at the end).
    let (side, r) = parity("real-node-recovery", 10);
    for p in [
        "→ spare-0 ×1",
        "→ front-0 ×2",
        "→ front-1 ×1",
        "→ extra-0 ×1",
    ] {
        assert!(
            side.placements.iter().any(|x| x.ends_with(p)),
            "{p}: {:?}",
            side.placements
        );
    }
    // The recovered and the added node's agents ran containers: their Started events.
    let trace = String::from_utf8_lossy(&r.trace);
    let started_on = |node: &str| {
        trace
            .lines()
            .filter(|l| l.contains(r#""type":"Started""#))
            .filter(|l| l.contains(&format!(r#""node":"{node}""#)))
            .count()
    };
    assert_eq!(started_on("front-0"), 2, "{trace}");
    assert_eq!(started_on("extra-0"), 1, "{trace}");
    assert_eq!(r.tracker.start_latencies().len(), 5);
}

#[test]
fn ingress_traffic_is_routed_by_host_path_and_canary_to_the_services() {
    // Through the ingress router in the client namespace: / and /products/42 to web or (by
    // weight 25%, or X-Canary: always) web-canary, /api/v1/cart to api.
    let (_, r) = parity("real-ingress", 2);
    let svc = |name: &str| {
        r.services
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", r.services))
    };
    for name in ["web", "web-canary", "api"] {
        let s = svc(name);
        assert!(s.requests >= 10, "{name}: {s:?}");
        assert_eq!(s.failed, 0, "{name}: {s:?}");
    }
    // Both web pods and only the api pod answered their Services.
    assert_eq!(svc("web").pods.len(), 2);
    assert!(svc("api").pods.keys().all(|p| p.starts_with("api-")));
    assert!(svc("web-canary")
        .pods
        .keys()
        .all(|p| p.starts_with("web-canary-")));
    // Every tester (X-Canary: always) went to the canary, so it got more than the testers.
    let testers = r
        .report
        .traffic
        .iter()
        .find(|t| t.name == "testers")
        .unwrap();
    assert!(testers.requests > 0 && testers.failed == 0);
    assert!(svc("web-canary").requests > testers.requests);
}
