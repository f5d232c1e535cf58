//! Node lifecycle, taint-based eviction, the eviction subresource, LimitRange admission and
//! the pod GC end to end, with the exact times upstream's constants give:
//! lease renewals every 10 s, `--node-monitor-grace-period` 50 s judged at 5 s monitor passes,
//! the NoExecute taint one pass later plus the 100 ms tainting tick, one taint per zone per
//! 10 s, `tolerationSeconds` (300 s by default), the pod GC's 20 s passes and 40 s quarantine.

use cellsim_core::api::{Kind, Object};
use cellsim_core::engine::TraceWriter;
use cellsim_core::rng::SimRng;
use cellsim_core::scenario::{load, Sources};
use cellsim_core::sim::ctx::Ctx;
use cellsim_core::sim::{RunOptions, Sim};
use cellsim_core::store::{MemoryStore, ObjectKey, ObjectStore};
use cellsim_core::time::{Duration, SimTime};

struct Text(String);

impl Sources for Text {
    fn read(&self, path: &str) -> Result<String, String> {
        (path == "t.yaml")
            .then(|| self.0.clone())
            .ok_or_else(|| "not found".to_string())
    }
}

/// A scenario with `nodes` nodes `p-0`, `p-1`, ... (2 cpu each) and `spec` appended.
fn sim(nodes: u32, spec: &str, until: Option<&str>) -> Sim {
    let text = format!(
        "apiVersion: cellsim.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  cluster:\n    nodePools: [{{name: p, count: {nodes}, allocatable: {{cpu: \"2\", memory: 8Gi}}}}]\n{spec}"
    );
    let sc = load("t.yaml", &Text(text)).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Sim::new(
        sc,
        &RunOptions {
            keep_trace: true,
            until: until.map(|u| Duration::parse(u).unwrap()),
            ..Default::default()
        },
    );
    sim.run();
    sim
}

/// `(t, type, object, message)` of every trace event of these types.
fn events(sim: &Sim, types: &[&str]) -> Vec<(String, String, String, String)> {
    let trace = String::from_utf8(sim.trace.bytes().to_vec()).unwrap();
    trace
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| types.contains(&v["type"].as_str().unwrap()))
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            (s("t"), s("type"), s("object"), s("message"))
        })
        .collect()
}

/// `(t, object)` of the events of one type.
fn times(sim: &Sim, kind: &str) -> Vec<(String, String)> {
    events(sim, &[kind])
        .into_iter()
        .map(|e| (e.0, e.2))
        .collect()
}

/// A node's taints as `key:effect`.
fn taints(sim: &Sim, node: &str) -> Vec<String> {
    match sim
        .store
        .get(&ObjectKey::new(Kind::Node, "", node))
        .map(|s| &s.object)
    {
        Some(Object::Node(n)) => n
            .spec
            .taints
            .iter()
            .map(|t| format!("{}:{}", t.key, t.effect))
            .collect(),
        _ => vec!["<no node>".into()],
    }
}

fn tl(entries: &[(&str, &str)]) -> String {
    let mut s = String::from("  timeline:\n");
    for (at, action) in entries {
        s += &format!("  - {{at: {at}, {action}}}\n");
    }
    s
}

const UNREACHABLE_NS: &str = "node.kubernetes.io/unreachable:NoSchedule";
const UNREACHABLE_NE: &str = "node.kubernetes.io/unreachable:NoExecute";

#[test]
fn node_not_ready_at_the_first_monitor_pass_after_the_grace_period() {
    // (failNode at, NodeNotReady at): the last lease renewal is the latest 10 s tick at or
    // before the failure; the node is Unknown at the first 5 s pass strictly after it + 50 s.
    let cases = [
        ("2m", "2m55s"),
        ("2m3s", "2m55s"),
        ("2m9.999s", "2m55s"),
        ("2m10s", "3m5s"),
        ("2m13s", "3m5s"),
    ];
    for (fail, want) in cases {
        let s = sim(
            3,
            &format!("  duration: 4m\n{}", tl(&[(fail, "failNode: {node: p-1}")])),
            None,
        );
        assert_eq!(
            times(&s, "NodeNotReady"),
            vec![(want.to_string(), "Node/p-1".to_string())],
            "failNode at {fail}"
        );
    }
}

#[test]
fn taints_follow_the_ready_condition_then_the_noexecute_tick() {
    let spec = format!(
        "  duration: 10m\n{}",
        tl(&[
            ("2m", "failNode: {node: p-1}"),
            ("6m", "recoverNode: {node: p-1}")
        ])
    );
    let at = |t: &str| taints(&sim(3, &spec, Some(t)), "p-1");
    assert!(at("2m54.999s").is_empty());
    assert_eq!(at("2m55s"), vec![UNREACHABLE_NS]);
    // Queued by the pass that observes Unknown (3m0s), tainted at the next 100 ms tick.
    assert_eq!(at("3m0.099s"), vec![UNREACHABLE_NS]);
    assert_eq!(at("3m0.1s"), vec![UNREACHABLE_NS, UNREACHABLE_NE]);
    // Recovery: the kubelet posts Ready; NoSchedule goes with the node update, NoExecute at
    // the pass of that instant (6m0s is on the 5 s grid).
    assert!(at("6m").is_empty());
}

const PINNED: &str = r#"
  objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: default-300s}, spec: {nodeName: p-1, containers: [{name: c, image: "busybox:1.36"}]}}
  - apiVersion: v1
    kind: Pod
    metadata: {name: tolerates-60s}
    spec:
      nodeName: p-1
      tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60}]
      containers: [{name: c, image: "busybox:1.36"}]
  - apiVersion: v1
    kind: Pod
    metadata: {name: tolerates-0s}
    spec:
      nodeName: p-1
      tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 0}]
      containers: [{name: c, image: "busybox:1.36"}]
  - apiVersion: v1
    kind: Pod
    metadata: {name: tolerates-forever}
    spec:
      nodeName: p-1
      tolerations: [{operator: Exists}]
      containers: [{name: c, image: "busybox:1.36"}]
"#;

#[test]
fn toleration_seconds_decide_when_pods_are_evicted() {
    // The NoExecute taint is on at 3m0.1s; each pod goes tolerationSeconds later (the default
    // toleration of DefaultTolerationSeconds: 300 s), or never.
    let spec = format!(
        "  duration: 12m\n{PINNED}{}",
        tl(&[("2m", "failNode: {node: p-1}")])
    );
    let s = sim(3, &spec, None);
    assert_eq!(
        events(&s, &["TaintManagerEviction"])
            .into_iter()
            .map(|e| (e.0, e.3))
            .collect::<Vec<_>>(),
        vec![
            (
                "3m0.1s".into(),
                "Marking for deletion Pod default/tolerates-0s".into()
            ),
            (
                "4m0.1s".into(),
                "Marking for deletion Pod default/tolerates-60s".into()
            ),
            (
                "8m0.1s".into(),
                "Marking for deletion Pod default/default-300s".into()
            ),
        ]
    );
    // The pods became not ready when the node did.
    let not_ready: Vec<_> = times(&s, "NodeNotReady");
    assert_eq!(
        not_ready.len(),
        5,
        "the node and its four pods: {not_ready:?}"
    );
    assert!(not_ready.iter().all(|(t, _)| t == "2m55s"));
}

#[test]
fn recovery_cancels_pending_evictions() {
    let spec = format!(
        "  duration: 12m\n{PINNED}{}",
        tl(&[
            ("2m", "failNode: {node: p-1}"),
            ("5m", "recoverNode: {node: p-1}")
        ])
    );
    let s = sim(3, &spec, None);
    assert_eq!(
        events(&s, &["TaintManagerEviction"])
            .into_iter()
            .map(|e| (e.0, e.3))
            .collect::<Vec<_>>(),
        vec![
            (
                "3m0.1s".into(),
                "Marking for deletion Pod default/tolerates-0s".into()
            ),
            (
                "4m0.1s".into(),
                "Marking for deletion Pod default/tolerates-60s".into()
            ),
            (
                "5m0s".into(),
                "Cancelling deletion of Pod default/default-300s".into()
            ),
        ]
    );
    assert!(taints(&s, "p-1").is_empty());
}

const DEPLOY: &str = r#"
  objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 5
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}]
          containers: [{name: c, image: "nginx:1.25", resources: {requests: {cpu: 100m}}}]
"#;

/// The eviction times of the web pods (one per node), sorted.
fn web_evictions(s: &Sim) -> Vec<String> {
    let mut v: Vec<String> = events(s, &["TaintManagerEviction"])
        .into_iter()
        .filter(|e| e.3.starts_with("Marking"))
        .map(|e| e.0)
        .collect();
    v.sort();
    v
}

#[test]
fn one_noexecute_taint_per_zone_every_ten_seconds() {
    // Two of five nodes fail together: the zone stays Normal (not more than two not ready),
    // and its limiter (0.1/s, burst 1) taints p-1 at 3m0.1s and p-2 at 3m10.1s.
    let spec = format!(
        "  duration: 10m\n{DEPLOY}{}",
        tl(&[
            ("2m", "failNode: {node: p-1}"),
            ("2m", "failNode: {node: p-2}")
        ])
    );
    let s = sim(5, &spec, None);
    assert_eq!(web_evictions(&s), vec!["8m0.1s", "8m10.1s"]);
    let s = sim(5, &spec, Some("3m10.099s"));
    assert!(taints(&s, "p-1").contains(&UNREACHABLE_NE.to_string()));
    assert!(!taints(&s, "p-2").contains(&UNREACHABLE_NE.to_string()));
}

#[test]
fn a_partially_disrupted_small_zone_is_not_tainted() {
    // Three of five (60% >= 55%, more than two): PartialDisruption, and a zone of at most 50
    // nodes stops tainting: nothing is evicted.
    let spec = format!(
        "  duration: 12m\n{DEPLOY}{}",
        tl(&[
            ("2m", "failNode: {node: p-1}"),
            ("2m", "failNode: {node: p-2}"),
            ("2m", "failNode: {node: p-3}"),
        ])
    );
    let s = sim(5, &spec, None);
    assert_eq!(times(&s, "NodeNotReady").len(), 3 + 3);
    assert_eq!(web_evictions(&s), Vec::<String>::new());
    assert_eq!(taints(&s, "p-1"), vec![UNREACHABLE_NS]);
}

#[test]
fn all_nodes_down_is_master_disruption_mode_until_one_comes_back() {
    // Every node of the only zone fails: no taint, no eviction (the control plane is the
    // likelier culprit). p-0 comes back at 5m: the pass at 5m0s leaves the mode; the new
    // limiter starts empty (the old one never had a token), so p-1 is tainted at 5m10s and p-2
    // at 5m20s, and their pods go 300 s later.
    let spec = format!(
        "  duration: 12m\n{}{}",
        DEPLOY.replace("replicas: 5", "replicas: 3"),
        tl(&[
            ("2m", "failNode: {node: p-0}"),
            ("2m", "failNode: {node: p-1}"),
            ("2m", "failNode: {node: p-2}"),
            ("5m", "recoverNode: {node: p-0}"),
        ])
    );
    let s = sim(3, &spec, Some("4m59.999s"));
    for n in ["p-0", "p-1", "p-2"] {
        assert_eq!(taints(&s, n), vec![UNREACHABLE_NS], "{n}");
    }
    let s = sim(3, &spec, None);
    assert_eq!(web_evictions(&s), vec!["10m10s", "10m20s"]);
}

#[test]
fn removed_nodes_are_forgotten_and_their_pods_collected() {
    // removeNodes at 1m10s: RemovingNode at the next monitor pass (1m10s, on the grid); the
    // pod GC sees the orphan at its 1m20s pass and deletes it after the 40 s quarantine, at
    // 2m0s; the ReplicaSet replaces it then.
    let spec = format!(
        "  duration: 3m\n{}{}",
        DEPLOY.replace("replicas: 5", "replicas: 3"),
        tl(&[("1m10s", "removeNodes: {names: [p-1]}")])
    );
    let s = sim(3, &spec, None);
    assert_eq!(
        times(&s, "RemovingNode"),
        vec![("1m10s".into(), "Node/p-1".into())]
    );
    let at = |t: &str| {
        let s = sim(3, &spec, Some(t));
        s.store
            .objects(Kind::Pod)
            .filter(|o| matches!(o, Object::Pod(p) if p.spec.node_name == "p-1"))
            .count()
    };
    assert_eq!(at("1m59.999s"), 1);
    assert_eq!(at("2m"), 0);
}

#[test]
fn limit_range_defaults_and_rejections() {
    // defaultRequest cpu 1 fills the pods that state none: three of them do not fit on two
    // 2-cpu nodes... two per node fit, so with one node the third waits; a container above
    // max is rejected with upstream's message, as a FailedCreate of its ReplicaSet.
    let spec = r#"
  duration: 1m
  objects:
  - apiVersion: v1
    kind: LimitRange
    metadata: {name: limits}
    spec:
      limits:
      - {type: Container, max: {cpu: "1"}, defaultRequest: {cpu: "1"}}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: small}
    spec:
      replicas: 3
      selector: {matchLabels: {app: small}}
      template:
        metadata: {labels: {app: small}}
        spec:
          containers: [{name: c, image: "nginx:1.25"}]
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: big}
    spec:
      replicas: 1
      selector: {matchLabels: {app: big}}
      template:
        metadata: {labels: {app: big}}
        spec:
          containers: [{name: c, image: "nginx:1.25", resources: {limits: {cpu: "2"}}}]
"#;
    let s = sim(1, spec, None);
    let pods: Vec<_> = s
        .store
        .objects(Kind::Pod)
        .filter_map(|o| match o {
            Object::Pod(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(pods.len(), 3, "the big pod is never created");
    for p in &pods {
        let c = &p.spec.containers[0].resources;
        assert_eq!(c.requests["cpu"].to_string(), "1");
        // `max` defaults `default` (the limit) to 1 as well.
        assert_eq!(c.limits["cpu"].to_string(), "1");
        assert_eq!(
            p.metadata.annotations["kubernetes.io/limit-ranger"],
            "LimitRanger plugin set: cpu request for container c; cpu limit for container c"
        );
    }
    assert_eq!(
        pods.iter().filter(|p| p.spec.node_name.is_empty()).count(),
        1
    );
    let failed = events(&s, &["FailedCreate"]);
    assert!(!failed.is_empty());
    let (_, _, object, message) = &failed[0];
    assert!(object.starts_with("ReplicaSet/default/big-"), "{object}");
    assert!(
        message.starts_with("Error creating: pods \"big-")
            && message
                .ends_with("\" is forbidden: maximum cpu usage per Container is 1, but limit is 2"),
        "{message}"
    );
}

// ------------------------------------------------------------------------------------------
// The eviction subresource on a hand-built store (rows after upstream eviction_test.go)
// ------------------------------------------------------------------------------------------

use cellsim_core::api::meta::IntOrString;
use cellsim_core::api::pod::{Pod, PodPhase};
use cellsim_core::api::policy::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use cellsim_core::api::selector::LabelSelector;
use cellsim_core::sim::eviction::{evict, EvictionError};

fn budget(
    name: &str,
    selector: Option<LabelSelector>,
    status: PodDisruptionBudgetStatus,
) -> Object {
    let mut b = PodDisruptionBudget::default();
    b.metadata.name = name.into();
    b.metadata.namespace = "default".into();
    b.spec.selector = selector;
    b.spec.max_unavailable = Some(IntOrString::Int(1));
    b.status = status;
    Object::PodDisruptionBudget(b)
}

fn matching() -> Option<LabelSelector> {
    Some(LabelSelector {
        match_labels: [("a".to_string(), "true".to_string())].into(),
        match_expressions: vec![],
    })
}

fn observed(allowed: i32, current: i32, desired: i32) -> PodDisruptionBudgetStatus {
    PodDisruptionBudgetStatus {
        observed: true,
        disruptions_allowed: allowed,
        current_healthy: current,
        desired_healthy: desired,
        ..Default::default()
    }
}

/// Evict pod `t` (labels a=true, bound to a node) from a store holding `pdbs`; returns the
/// result, whether the pod is gone or being deleted, and the budgets after.
fn try_evict(
    phase: PodPhase,
    ready: bool,
    pdbs: Vec<Object>,
) -> (
    Result<(), EvictionError>,
    &'static str,
    Vec<PodDisruptionBudgetStatus>,
) {
    let mut store = MemoryStore::new();
    let mut p = Pod::default();
    p.metadata.name = "t".into();
    p.metadata.namespace = "default".into();
    p.metadata.labels = [("a".to_string(), "true".to_string())].into();
    p.spec.node_name = "n".into();
    p.status.phase = phase;
    p.status.ready = ready;
    store.create(Object::Pod(p)).unwrap();
    for b in pdbs {
        store.create(b).unwrap();
    }
    let mut rng = SimRng::new(1);
    let mut trace = TraceWriter::new(false, 0);
    let mut wakes = Vec::new();
    let mut ctx = Ctx {
        now: SimTime(42_000),
        store: &mut store,
        rng: &mut rng,
        trace: &mut trace,
        wakes: &mut wakes,
    };
    let r = evict(&mut ctx, "default", "t");
    let state = match store
        .get(&ObjectKey::new(Kind::Pod, "default", "t"))
        .map(|s| &s.object)
    {
        None => "gone",
        Some(Object::Pod(p)) if p.metadata.deletion_at.is_some() => "terminating",
        _ => "kept",
    };
    let budgets = store
        .objects(Kind::PodDisruptionBudget)
        .filter_map(|o| match o {
            Object::PodDisruptionBudget(b) => Some(b.status.clone()),
            _ => None,
        })
        .collect();
    (r, state, budgets)
}

#[test]
fn eviction_subresource_like_upstream() {
    use PodPhase::*;
    let blocked = |current, desired| EvictionError::TooManyRequests {
        cause: format!(
            "The disruption budget foo needs {desired} healthy pods and has {current} currently"
        ),
    };
    // matching pdbs with no disruptions allowed, pod running: 429, the pod stays.
    let (r, state, _) = try_evict(
        Running,
        true,
        vec![budget("foo", matching(), observed(0, 0, 0))],
    );
    assert_eq!((r, state), (Err(blocked(0, 0)), "kept"));
    // ... pod pending / succeeded / failed: deleted without a budget check (upstream's rows
    // delete with grace period 0; here a bound pending pod is deleted gracefully, a finished
    // one at once).
    for (phase, want) in [
        (Pending, "terminating"),
        (Succeeded, "gone"),
        (Failed, "gone"),
    ] {
        let (r, state, _) = try_evict(
            phase,
            false,
            vec![budget("foo", matching(), observed(0, 0, 0))],
        );
        assert_eq!((r, state), (Ok(()), want), "{phase:?}");
    }
    // matching pdbs with disruptions allowed: graceful deletion, the budget used up.
    let (r, state, after) = try_evict(
        Running,
        true,
        vec![budget("foo", matching(), observed(1, 3, 2))],
    );
    assert_eq!((r, state), (Ok(()), "terminating"));
    assert_eq!(after[0].disruptions_allowed, 0);
    assert_eq!(after[0].disrupted_pods.get("t"), Some(&42_000));
    // non-matching pdbs, and a budget without a selector: no budget applies.
    let other = Some(LabelSelector {
        match_labels: [("b".to_string(), "true".to_string())].into(),
        match_expressions: vec![],
    });
    for sel in [other, None] {
        let (r, state, _) = try_evict(Running, true, vec![budget("foo", sel, observed(0, 0, 0))]);
        assert_eq!((r, state), (Ok(()), "terminating"));
    }
    // An empty selector selects every pod (policy/v1).
    let (r, _, _) = try_evict(
        Running,
        true,
        vec![budget(
            "foo",
            Some(LabelSelector::default()),
            observed(0, 0, 0),
        )],
    );
    assert_eq!(r, Err(blocked(0, 0)));
    // An unready pod goes without using the budget while the budget is met ...
    let (r, state, after) = try_evict(
        Running,
        false,
        vec![budget("foo", matching(), observed(0, 2, 2))],
    );
    assert_eq!(
        (r, state, after[0].disruptions_allowed),
        (Ok(()), "terminating", 0)
    );
    // ... and is blocked when it is not, unless the policy is AlwaysAllow.
    let (r, _, _) = try_evict(
        Running,
        false,
        vec![budget("foo", matching(), observed(0, 1, 2))],
    );
    assert_eq!(r, Err(blocked(1, 2)));
    let mut always = budget("foo", matching(), observed(0, 1, 2));
    if let Object::PodDisruptionBudget(b) = &mut always {
        b.spec.unhealthy_pod_eviction_policy = Some("AlwaysAllow".into());
    }
    let (r, state, _) = try_evict(Running, false, vec![always]);
    assert_eq!((r, state), (Ok(()), "terminating"));
    // Two budgets: not supported (500).
    let (r, state, _) = try_evict(
        Running,
        true,
        vec![
            budget("foo", matching(), observed(1, 3, 2)),
            budget("bar", matching(), observed(1, 3, 2)),
        ],
    );
    assert_eq!((r, state), (Err(EvictionError::MultipleBudgets), "kept"));
    // A budget not yet computed: 429 "still being processed".
    let (r, _, _) = try_evict(
        Running,
        true,
        vec![budget(
            "foo",
            matching(),
            PodDisruptionBudgetStatus::default(),
        )],
    );
    assert_eq!(
        r,
        Err(EvictionError::TooManyRequests {
            cause: "The disruption budget foo is still being processed by the server.".into()
        })
    );
}
