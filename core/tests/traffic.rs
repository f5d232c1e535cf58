//! The traffic model end to end: routing modes, the propagation delay, the terminating
//! fallback, traffic policies, queueing and timeouts, retries, canary shares, and the rule
//! that traffic never changes the control plane's decisions. Randomized checks print their
//! seed.

use cellsim_core::api::{Kind, Object};
use cellsim_core::net::traffic::stats::ServiceReport;
use cellsim_core::report::Report;
use cellsim_core::scenario::{load, Sources};
use cellsim_core::sim::{RunOptions, Sim};

struct Text(String);

impl Sources for Text {
    fn read(&self, path: &str) -> Result<String, String> {
        (path == "t.yaml")
            .then(|| self.0.clone())
            .ok_or_else(|| "not found".to_string())
    }
}

/// `replicas` pods of app `web` behind Service `web` on `nodes` nodes, plus `extra` (spec
/// keys at indentation 2: behavior, traffic, timeline, network, ...), and `pod_extra` in the
/// container (indentation 10), `svc_extra` in the Service spec (indentation 6).
fn scenario(nodes: u32, replicas: u32, pod_extra: &str, svc_extra: &str, extra: &str) -> String {
    format!(
        "apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {{name: t}}
spec:
  seed: 1
  duration: 5m
  cluster:
    nodePools:
    - {{name: n, count: {nodes}, allocatable: {{cpu: \"8\", memory: 16Gi}}}}
  objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    spec:
      replicas: {replicas}
      selector: {{matchLabels: {{app: web}}}}
      template:
        metadata: {{labels: {{app: web}}}}
        spec:
          containers:
          - name: web
            image: example/web:1
            ports: [{{containerPort: 8080}}]
{pod_extra}
  - apiVersion: v1
    kind: Service
    metadata: {{name: web}}
    spec:
      selector: {{app: web}}
      ports: [{{port: 80, targetPort: 8080}}]
{svc_extra}
{extra}"
    )
}

fn run_seed(text: &str, seed: Option<u64>) -> (Report, Sim) {
    let sc = load("t.yaml", &Text(text.to_string())).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut sim = Sim::new(
        sc,
        &RunOptions {
            seed,
            keep_trace: true,
            ..Default::default()
        },
    );
    sim.run();
    (sim.report(), sim)
}

fn run(text: &str) -> Report {
    run_seed(text, None).0
}

fn svc<'a>(r: &'a Report, name: &str) -> &'a ServiceReport {
    r.services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no service {name} in {:?}", r.services))
}

#[test]
fn ipvs_round_robin_splits_evenly_and_iptables_randomly() {
    let traffic = "  traffic:\n  - {service: web, rps: 100, from: 1m}\n";
    let rr = run(&scenario(
        2,
        4,
        "",
        "",
        &format!("  network: {{proxyMode: ipvs, ipvsScheduler: rr}}\n{traffic}"),
    ));
    let counts: Vec<u64> = svc(&rr, "web").pods.values().copied().collect();
    assert_eq!(counts.len(), 4);
    let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(hi - lo <= 1, "round robin: {counts:?}");
    let ipt = run(&scenario(2, 4, "", "", traffic));
    let counts: Vec<u64> = svc(&ipt, "web").pods.values().copied().collect();
    let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(hi - lo > 1, "iptables picks at random: {counts:?}");
    // ~24,000 requests: each pod within 5 sigma of a quarter (sigma = 67).
    for c in &counts {
        assert!(
            c.abs_diff(svc(&ipt, "web").requests / 4) < 340,
            "{counts:?}"
        );
    }
}

#[test]
fn least_connection_prefers_the_idle_pod() {
    // One pod is four times slower (longer in flight): IPVS lc sends it fewer requests.
    let text = "apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  seed: 2
  duration: 3m
  cluster:
    nodePools:
    - {name: n, count: 1, allocatable: {cpu: \"8\", memory: 16Gi}}
  objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: fast, labels: {app: web, speed: fast}}, spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: slow, labels: {app: web, speed: slow}}, spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}
  network: {proxyMode: ipvs, ipvsScheduler: lc}
  behavior:
  - {selector: {matchLabels: {speed: fast}}, latency: 20ms}
  - {selector: {matchLabels: {speed: slow}}, latency: 80ms}
  traffic:
  - {service: web, rps: 200, from: 1m}
";
    let r = run(text);
    let pods = &svc(&r, "web").pods;
    let (fast, slow) = (pods["default/fast"], pods["default/slow"]);
    assert!(fast > 2 * slow, "lc: fast {fast}, slow {slow}");
}

/// A Deployment scaled to 0 at 2m, whose pods sleep 20s in preStop: how many requests fail
/// afterwards, for a given propagation delay.
fn scale_down_failures(delay: &str, pre_stop: bool) -> (u64, ServiceReport) {
    let hook = if pre_stop {
        "            lifecycle: {preStop: {sleep: {seconds: 20}}}\n"
    } else {
        ""
    };
    let r = run(&scenario(
        2,
        3,
        hook,
        "",
        &format!(
            "  network: {{propagationDelay: {delay}}}
  traffic:
  - {{service: web, rps: 200, from: 1m}}
  timeline:
  - {{at: 2m, scale: {{kind: Deployment, name: web, replicas: 0}}}}
"
        ),
    ));
    let s = svc(&r, "web").clone();
    (s.failed, s)
}

#[test]
fn requests_fail_until_the_endpoint_change_propagates() {
    // No preStop: SIGTERM at 2m closes the listeners; proxies keep routing to them for the
    // propagation delay, then there are no endpoints at all.
    let (_, quick) = scale_down_failures("100ms", false);
    let (_, slow) = scale_down_failures("3s", false);
    let not_serving = |s: &ServiceReport| s.failures.get("notServing").copied().unwrap_or(0);
    assert!(
        not_serving(&slow) > 10 * not_serving(&quick).max(1),
        "longer propagation, more requests to closed listeners: {:?} vs {:?}",
        slow.failures,
        quick.failures
    );
    // About delay x rate of them: 3s x 200/s = 600 (Poisson; loose bounds).
    assert!(
        (450..=750).contains(&not_serving(&slow)),
        "{:?}",
        slow.failures
    );
}

#[test]
fn terminating_endpoints_serve_when_no_endpoint_is_ready() {
    // With a 20s preStop sleep the pods are terminating but still serving: kube-proxy falls
    // back to serving-terminating endpoints (ProxyTerminatingEndpoints), so nothing fails
    // until the apps get SIGTERM at 2m20s; then there are no endpoints.
    let (_, s) = scale_down_failures("1s", true);
    let series_failed_before =
        |t: u64| -> u64 { s.series.iter().filter(|p| p.t < t).map(|p| p.failed).sum() };
    assert_eq!(series_failed_before(140), 0, "{:?}", s.series);
    assert!(
        s.failures.get("noEndpoints").copied().unwrap_or(0) > 0,
        "{:?}",
        s.failures
    );
}

#[test]
fn overload_queues_then_times_out_and_retries_recover_a_dead_node() {
    // One pod serving 100/s gets 150/s: its queue grows until requests exceed the 2s
    // timeout.
    let r = run(&scenario(
        1,
        1,
        "",
        "",
        "  behavior:
  - {selector: {matchLabels: {app: web}}, capacityRps: 100, latency: 10ms}
  traffic:
  - {service: web, rps: 150, from: 1m, timeout: 2s}
",
    ));
    let s = svc(&r, "web");
    assert!(
        s.failures.get("timeout").copied().unwrap_or(0) > 1000,
        "{:?}",
        s.failures
    );
    assert!(s.p99_ms > 1000.0, "queueing delay: p99 {}", s.p99_ms);
    // A dead node: without retries a third of the requests time out until the endpoints
    // change; with 2 retries almost all succeed (each retry is a new pick).
    let failing = |retries: u32| {
        let r = run(&scenario(
            3,
            3,
            "            readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 2}\n",
            "",
            &format!(
                "  traffic:
  - {{service: web, rps: 100, from: 1m, timeout: 200ms, retries: {retries}}}
  timeline:
  - {{at: 2m, failNode: {{node: n-0}}}}
"
            ),
        ));
        let s = svc(&r, "web");
        (s.failed, s.requests, s.retries)
    };
    let (f0, n0, _) = failing(0);
    let (f2, _, retried) = failing(2);
    // ~50s of a third of 100/s timing out.
    assert!((1400..=2200).contains(&f0), "without retries: {f0} of {n0}");
    // Each attempt fails with probability 1/3, so with two retries (1/3)^2 as many fail.
    assert!(f2 * 6 < f0 && f2 * 14 > f0, "retries: {f2} failed vs {f0}");
    assert!(retried > f0 / 2, "retries happened: {retried}");
}

#[test]
fn external_traffic_policy_local_keeps_traffic_on_nodes_with_endpoints() {
    // 3 nodes, 1 pod: with Local, the load balancer only sends to the pod's node (its health
    // check), and nothing fails; with Cluster, every node forwards to the one pod.
    for policy in ["Local", "Cluster"] {
        let r = run(&scenario(
            3,
            1,
            "",
            &format!("      type: LoadBalancer\n      externalTrafficPolicy: {policy}\n"),
            "  traffic:\n  - {service: web, via: loadBalancer, rps: 50, from: 1m}\n",
        ));
        let s = svc(&r, "web");
        assert_eq!(s.failed, 0, "{policy}: {:?}", s.failures);
        assert!(s.requests > 10_000, "{policy}");
    }
    // internalTrafficPolicy Local with clients on every node: two of three nodes have no
    // local endpoint, so their clients' traffic is dropped (times out).
    let r = run(&scenario(
        3,
        1,
        "",
        "      internalTrafficPolicy: Local\n",
        "  traffic:\n  - {service: web, rps: 60, from: 1m, timeout: 500ms}\n",
    ));
    let s = svc(&r, "web");
    let share = s.failed * 1000 / s.requests;
    assert!(
        (600..=730).contains(&share),
        "about 2/3 dropped: {share}/1000 {:?}",
        s.failures
    );
}

#[test]
fn canary_weight_share_within_statistical_bounds_over_seeds() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/canary-ingress.yaml"
    ))
    .unwrap();
    for seed in [1u64, 2, 3, 4, 5] {
        let (r, _) = run_seed(&text, Some(seed));
        let shoppers = r.traffic.iter().find(|t| t.name == "shoppers").unwrap();
        let testers = r.traffic.iter().find(|t| t.name == "testers").unwrap();
        let canary = svc(&r, "web-canary").requests;
        let weighted = canary - testers.requests;
        // Binomial(n, 0.1): within 4 standard deviations.
        let n = shoppers.requests as f64;
        let sd = (n * 0.1 * 0.9).sqrt();
        let diff = (weighted as f64 - n * 0.1).abs();
        assert!(diff < 4.0 * sd, "seed {seed}: {weighted} of {n} (sd {sd})");
    }
}

#[test]
fn traffic_never_changes_the_control_plane() {
    // The same rollout with and without load: identical pods, placements and events, except
    // the traffic model's own summary lines.
    let base = scenario(
        3,
        4,
        "",
        "",
        "  timeline:\n  - {at: 2m, setImage: {kind: Deployment, name: web, container: web, image: example/web:2}}\n",
    );
    let with = base.replace(
        "  timeline:",
        "  traffic:\n  - {service: web, rps: 500, from: 30s}\n  timeline:",
    );
    let (_, a) = run_seed(&base, None);
    let (_, b) = run_seed(&with, None);
    let pods = |s: &Sim| -> Vec<(String, String)> {
        s.store
            .objects(Kind::Pod)
            .filter_map(|o| match o {
                Object::Pod(p) => Some((p.metadata.name.clone(), p.spec.node_name.clone())),
                _ => None,
            })
            .collect()
    };
    assert_eq!(pods(&a), pods(&b));
    let lines = |s: &Sim| -> Vec<String> {
        String::from_utf8(s.trace.bytes().to_vec())
            .unwrap()
            .lines()
            .filter(|l| !l.contains("TrafficSummary"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(lines(&a), lines(&b));
}

#[test]
fn endpoint_slices_carry_conditions_and_named_ports() {
    let (_, sim) = run_seed(
        &scenario(
            2,
            3,
            "",
            "",
            "  timeline:\n  - {at: 2m, scale: {kind: Deployment, name: web, replicas: 150}}\n",
        ),
        None,
    );
    let slices: Vec<_> = sim
        .store
        .objects(Kind::EndpointSlice)
        .filter_map(|o| match o {
            Object::EndpointSlice(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    let total: usize = slices.iter().map(|s| s.endpoints.len()).sum();
    assert_eq!(total, 150);
    assert_eq!(slices.len(), 2, "at most 100 per slice");
    for s in &slices {
        assert!(s.metadata.name.starts_with("web-"));
        assert_eq!(s.ports[0].port, 8080);
        assert!(s.endpoints.iter().all(|e| e.conditions.ready == Some(true)));
    }
}

#[test]
fn compare_reports_service_success_by_scheduler() {
    // node-failure-traffic under the default profile (spreads the six pods) and under a
    // MostAllocated best-fit profile (packs them onto one node): when pool-0 dies, the packed
    // placement loses far more requests. `compare` puts the success rate beside the packing
    // numbers.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let text =
        std::fs::read_to_string(format!("{root}/scenarios/node-failure-traffic.yaml")).unwrap();
    let sc = load("t.yaml", &Text(text)).unwrap();
    let cfg_text =
        std::fs::read_to_string(format!("{root}/docs/schedulers/best-fit.yaml")).unwrap();
    let docs = cellsim_core::yaml::parse_documents("best-fit.yaml", &cfg_text).unwrap();
    let best_fit = cellsim_core::sched::config::decode("best-fit.yaml", &docs[0]).unwrap();
    let r = cellsim_core::plan::compare(
        &sc,
        &[
            ("default".into(), sc.scheduler.clone()),
            ("best-fit".into(), best_fit),
        ],
        None,
    );
    let ppm: Vec<u64> = r
        .schedulers
        .iter()
        .map(|c| {
            c.packing
                .service_success_ppm
                .expect("the scenario has traffic")
        })
        .collect();
    assert!(ppm[0] > 900_000, "spread: {ppm:?}");
    assert!(ppm[1] < ppm[0] - 300_000, "packed loses more: {ppm:?}");
}

#[test]
fn headless_services_have_no_terminating_fallback_and_cluster_ips_no_node_ports() {
    // Scale to 0 at 2m with a 20s preStop: through a ClusterIP the terminating pods keep
    // serving (the proxies' fallback); a headless Service's clients resolve ready addresses
    // only, so they find none once the endpoints are terminating.
    let run_with = |svc_extra: &str| {
        let r = run(&scenario(
            2,
            3,
            "            lifecycle: {preStop: {sleep: {seconds: 20}}}\n",
            svc_extra,
            "  traffic:
  - {service: web, rps: 100, from: 1m}
  timeline:
  - {at: 2m, scale: {kind: Deployment, name: web, replicas: 0}}
",
        ));
        let s = svc(&r, "web").clone();
        let failed_before =
            |t: u64| -> u64 { s.series.iter().filter(|p| p.t < t).map(|p| p.failed).sum() };
        failed_before(140)
    };
    assert_eq!(run_with(""), 0);
    assert!(run_with("      clusterIP: None\n") > 1000);
    // A ClusterIP Service has no node port: every request through one is refused.
    let r = run(&scenario(
        2,
        2,
        "",
        "",
        "  traffic:\n  - {service: web, via: nodePort, rps: 20, from: 1m}\n",
    ));
    let s = svc(&r, "web");
    assert_eq!(s.failed, s.requests);
    assert!(s.requests > 0);
}
