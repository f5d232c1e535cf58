//! Table tests transcribed from upstream podtopologyspread filtering_test.go
//! (TestSingleConstraint, TestMultipleConstraints, TestPreFilterState rows with minDomains /
//! node inclusion policies / matchLabelKeys / critical paths, TestPreFilterStateAddPod,
//! TestPreFilterStateRemovePod), scoring_test.go (TestPodTopologySpreadScore)
//! and validation_pluginargs_test.go (TestValidatePodTopologySpreadArgs), run through the
//! plugin's real entry points over a real `Snapshot`.

use super::*;
use crate::api::node::{Node, Taint};
use crate::api::pod::{Pod, TopologySpreadConstraint};
use crate::api::selector::{LabelSelector, LabelSelectorRequirement, Labels};
use crate::collections::OrdMap;
use crate::sched::framework::{Code, CycleState, NodeScore, Plugin, PodInfo, Snapshot};
use std::rc::Rc;

fn labels(kv: &[(&str, &str)]) -> Labels {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn node(name: &str, kv: &[(&str, &str)]) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n.metadata.labels = labels(kv);
    n
}

/// `MakeNode().Name(n).Label("zone", z).Label("node", n)`.
fn zn(name: &str, zone: &str) -> Node {
    node(name, &[("zone", zone), ("node", name)])
}

/// `MakeNode().Name(n).Label(v1.LabelHostname, n)`.
fn hn(name: &str) -> Node {
    node(name, &[(LABEL_HOSTNAME, name)])
}

struct P {
    pod: Pod,
}

fn pod(name: &str) -> P {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.namespace = "default".into();
    P { pod: p }
}

impl P {
    fn label(mut self, k: &str, v: &str) -> P {
        self.pod.metadata.labels.insert(k.into(), v.into());
        self
    }
    fn ns(mut self, ns: &str) -> P {
        self.pod.metadata.namespace = ns.into();
        self
    }
    fn on(mut self, n: &str) -> P {
        self.pod.spec.node_name = n.into();
        self
    }
    fn terminating(mut self) -> P {
        self.pod.metadata.deletion_at = Some(Default::default());
        self
    }
    fn node_selector(mut self, k: &str, v: &str) -> P {
        self.pod.spec.node_selector.insert(k.into(), v.into());
        self
    }
    fn toleration(mut self, key: &str, effect: &str) -> P {
        self.pod.spec.tolerations.push(crate::api::pod::Toleration {
            key: key.into(),
            operator: "Exists".into(),
            effect: effect.into(),
            ..Default::default()
        });
        self
    }
    fn owner(mut self, kind: &str, name: &str) -> P {
        self.pod
            .metadata
            .owner_references
            .push(crate::api::meta::OwnerReference {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                name: name.into(),
                controller: Some(true),
                ..Default::default()
            });
        self
    }
    fn spread(self, max_skew: i32, key: &str, action: &str, sel: Option<LabelSelector>) -> P {
        self.spread_with(max_skew, key, action, sel, |_| {})
    }
    fn spread_with(
        mut self,
        max_skew: i32,
        key: &str,
        action: &str,
        sel: Option<LabelSelector>,
        f: impl FnOnce(&mut TopologySpreadConstraint),
    ) -> P {
        let mut c = TopologySpreadConstraint {
            max_skew,
            topology_key: key.into(),
            when_unsatisfiable: action.into(),
            label_selector: sel,
            ..Default::default()
        };
        f(&mut c);
        self.pod.spec.topology_spread_constraints.push(c);
        self
    }
}

/// `MakeLabelSelector().Exists(key)`.
fn exists(key: &str) -> Option<LabelSelector> {
    Some(LabelSelector {
        match_expressions: vec![LabelSelectorRequirement {
            key: key.into(),
            operator: "Exists".into(),
            values: vec![],
        }],
        ..Default::default()
    })
}

fn foo() -> Option<LabelSelector> {
    exists("foo")
}

const DNS: &str = "DoNotSchedule";
const SA: &str = "ScheduleAnyway";

fn snapshot(nodes: &[Node], pods: &[P]) -> Snapshot {
    let mut s = Snapshot::default();
    for n in nodes {
        s.set_node(n.clone());
    }
    for p in pods {
        s.add_pod(&p.pod.spec.node_name, Rc::new(PodInfo::new(&p.pod)));
    }
    s
}

fn plugin() -> PodTopologySpread {
    PodTopologySpread::new(None).unwrap()
}

/// PreFilter then Filter on every node: node → status code.
fn run_filter(pl: &PodTopologySpread, p: &P, nodes: &[Node], pods: &[P]) -> Vec<(String, Code)> {
    let snap = snapshot(nodes, pods);
    let info = PodInfo::new(&p.pod);
    let mut state = CycleState::default();
    let pre = pl.pre_filter(&mut state, &info, &snap);
    assert!(pre.is_success(), "prefilter: {pre:?}");
    nodes
        .iter()
        .map(|n| {
            let ni = snap.get(&n.metadata.name).unwrap();
            (
                n.metadata.name.clone(),
                pl.filter(&state, &info, ni, &snap).code,
            )
        })
        .collect()
}

fn codes(want: &[(&str, Code)]) -> Vec<(String, Code)> {
    want.iter().map(|(n, c)| (n.to_string(), *c)).collect()
}

use Code::{Success as OK, Unschedulable as U, UnschedulableAndUnresolvable as UU};

/// PreScore over `nodes` (candidates; `failed` are in the snapshot but not candidates),
/// Score, NormalizeScore: node → normalized score.
fn run_score(
    pl: &PodTopologySpread,
    p: &P,
    nodes: &[Node],
    failed: &[Node],
    pods: &[P],
    snap_extra: impl FnOnce(&mut Snapshot),
) -> Vec<(String, i64)> {
    let all: Vec<Node> = nodes.iter().chain(failed).cloned().collect();
    let mut snap = snapshot(&all, pods);
    snap_extra(&mut snap);
    let info = PodInfo::new(&p.pod);
    let mut state = CycleState::default();
    let feasible: Vec<usize> = nodes.iter().map(|n| snap.index[&n.metadata.name]).collect();
    let st = pl.pre_score(&mut state, &info, &feasible, &snap);
    assert!(st.is_success(), "prescore: {st:?}");
    let mut scores: Vec<NodeScore> = feasible
        .iter()
        .map(|&i| NodeScore {
            node: i,
            score: pl.score(&state, &info, &snap.nodes[i], &snap).unwrap(),
        })
        .collect();
    assert!(pl.normalize(&state, &info, &mut scores).is_success());
    scores
        .iter()
        .map(|s| (snap.nodes[s.node].name.clone(), s.score))
        .collect()
}

fn scores(want: &[(&str, i64)]) -> Vec<(String, i64)> {
    want.iter().map(|(n, s)| (n.to_string(), *s)).collect()
}

fn four_zone_nodes() -> Vec<Node> {
    vec![
        zn("node-a", "zone1"),
        zn("node-b", "zone1"),
        zn("node-x", "zone2"),
        zn("node-y", "zone2"),
    ]
}

/// Matching pods spread as 2/1/0/3 over node-a/b/x/y.
fn pods_2_1_0_3() -> Vec<P> {
    vec![
        pod("p-a1").on("node-a").label("foo", ""),
        pod("p-a2").on("node-a").label("foo", ""),
        pod("p-b1").on("node-b").label("foo", ""),
        pod("p-y1").on("node-y").label("foo", ""),
        pod("p-y2").on("node-y").label("foo", ""),
        pod("p-y3").on("node-y").label("foo", ""),
    ]
}

// ---- filtering_test.go TestSingleConstraint ----

#[test]
fn single_constraint_no_existing_pods() {
    let p = pod("p").label("foo", "").spread(1, "zone", DNS, foo());
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &[]);
    assert_eq!(
        got,
        codes(&[
            ("node-a", OK),
            ("node-b", OK),
            ("node-x", OK),
            ("node-y", OK)
        ])
    );
    // "no existing pods, incoming pod doesn't match itself"
    let p = pod("p")
        .label("foo", "")
        .spread(1, "zone", DNS, exists("bar"));
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &[]);
    assert!(got.iter().all(|(_, c)| *c == OK));
}

#[test]
fn single_constraint_other_namespaces_do_not_count() {
    let p = pod("p").label("foo", "").spread(1, "zone", DNS, foo());
    let pods = [
        pod("p-a1").ns("ns1").on("node-a").label("foo", ""),
        pod("p-b1").ns("ns2").on("node-a").label("foo", ""),
        pod("p-x1").on("node-x").label("foo", ""),
        pod("p-y1").on("node-y").label("foo", ""),
    ];
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods);
    assert_eq!(
        got,
        codes(&[("node-a", OK), ("node-b", OK), ("node-x", U), ("node-y", U)])
    );
}

#[test]
fn single_constraint_zones_3_3_all_fit() {
    let p = pod("p").label("foo", "").spread(1, "zone", DNS, foo());
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods_2_1_0_3());
    assert!(got.iter().all(|(_, c)| *c == OK), "{got:?}");
}

#[test]
fn single_constraint_missing_zone_label() {
    // "pods spread across zones as 1/2 due to absence of label 'zone' on node-b"
    let p = pod("p").label("foo", "").spread(1, "zone", DNS, foo());
    let nodes = [
        zn("node-a", "zone1"),
        node("node-b", &[("zon", "zone1"), ("node", "node-b")]),
        zn("node-x", "zone2"),
        zn("node-y", "zone2"),
    ];
    let pods = [
        pod("p-a1").on("node-a").label("foo", ""),
        pod("p-b1").on("node-b").label("foo", ""),
        pod("p-x1").on("node-x").label("foo", ""),
        pod("p-y1").on("node-y").label("foo", ""),
    ];
    let got = run_filter(&plugin(), &p, &nodes, &pods);
    assert_eq!(
        got,
        codes(&[("node-a", OK), ("node-b", UU), ("node-x", U), ("node-y", U)])
    );
}

#[test]
fn single_constraint_no_node_has_rack() {
    let p = pod("p").label("foo", "").spread(1, "rack", DNS, foo());
    let nodes = [zn("node-a", "zone1"), zn("node-x", "zone2")];
    let snap = snapshot(&nodes, &[]);
    let info = PodInfo::new(&p.pod);
    let mut state = CycleState::default();
    assert!(plugin().pre_filter(&mut state, &info, &snap).is_success());
    for n in &snap.nodes {
        let s = plugin().filter(&state, &info, n, &snap);
        assert_eq!(s.code, UU);
        assert_eq!(s.reasons, [ERR_REASON_NODE_LABEL_NOT_MATCH]);
    }
}

#[test]
fn single_constraint_nodes_2_1_0_3() {
    let p = pod("p").label("foo", "").spread(1, "node", DNS, foo());
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", U), ("node-x", OK), ("node-y", U)])
    );
    // maxSkew 2: node-b and node-x fit.
    let p = pod("p").label("foo", "").spread(2, "node", DNS, foo());
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", OK), ("node-x", OK), ("node-y", U)])
    );
    // The pod doesn't match itself.
    let p = pod("p").label("bar", "").spread(1, "node", DNS, foo());
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", OK), ("node-x", OK), ("node-y", U)])
    );
}

#[test]
fn single_constraint_skew_reason_message() {
    let p = pod("p").label("foo", "").spread(1, "node", DNS, foo());
    let snap = snapshot(&four_zone_nodes(), &pods_2_1_0_3());
    let info = PodInfo::new(&p.pod);
    let mut state = CycleState::default();
    assert!(plugin().pre_filter(&mut state, &info, &snap).is_success());
    let s = plugin().filter(&state, &info, snap.get("node-a").unwrap(), &snap);
    assert_eq!(s.reasons, [ERR_REASON_CONSTRAINTS_NOT_MATCH]);
}

#[test]
fn single_constraint_node_affinity_restricts_domains() {
    // "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits"
    // (nodeAffinityIn node in [node-a, node-y]; a nodeSelector-free equivalent here is a
    // required node affinity term).
    let mut p = pod("p").label("foo", "").spread(1, "node", DNS, foo());
    p.pod.spec.affinity = Some(
        serde_json::from_value(serde_json::json!({"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "node", "operator": "In",
                                       "values": ["node-a", "node-y"]}]}]}}}))
        .unwrap(),
    );
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[
            ("node-a", OK),
            ("node-b", OK),
            ("node-x", OK),
            ("node-y", U)
        ])
    );
}

#[test]
fn single_constraint_terminating_pods_excluded() {
    let p = pod("p").label("foo", "").spread(1, "node", DNS, foo());
    let nodes = [
        node("node-a", &[("node", "node-a")]),
        node("node-b", &[("node", "node-b")]),
    ];
    let pods = [
        pod("p-a").on("node-a").label("foo", "").terminating(),
        pod("p-b").on("node-b").label("foo", ""),
    ];
    let got = run_filter(&plugin(), &p, &nodes, &pods);
    assert_eq!(got, codes(&[("node-a", OK), ("node-b", U)]));
}

// ---- filtering_test.go TestMultipleConstraints ----

#[test]
fn multiple_constraints_zone_and_node() {
    // "two Constraints on zone and node, spreads = [3/3, 2/1/0/3]": only node-x.
    let p = pod("p")
        .label("foo", "")
        .spread(1, "zone", DNS, foo())
        .spread(1, "node", DNS, foo());
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", U), ("node-x", OK), ("node-y", U)])
    );
}

#[test]
fn multiple_constraints_zone_and_node_4_2() {
    // "two Constraints on zone and node, spreads = [3/4, 2/1/0/4]": zone1 is the only
    // fitting zone, node-x the only fitting node -> none fits.
    let p = pod("p")
        .label("foo", "")
        .spread(1, "zone", DNS, foo())
        .spread(1, "node", DNS, foo());
    let mut pods = pods_2_1_0_3();
    pods.push(pod("p-y4").on("node-y").label("foo", ""));
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods);
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", U), ("node-x", U), ("node-y", U)])
    );
}

#[test]
fn multiple_constraints_different_selectors() {
    // "Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]": zone on foo,
    // node on bar; only node-x fits both.
    let p = pod("p")
        .label("foo", "")
        .label("bar", "")
        .spread(1, "zone", DNS, foo())
        .spread(1, "node", DNS, exists("bar"));
    let pods = [
        pod("p-a1").on("node-a").label("foo", ""),
        pod("p-b1").on("node-b").label("bar", ""),
        pod("p-y1").on("node-y").label("bar", ""),
    ];
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods);
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", U), ("node-x", OK), ("node-y", U)])
    );
}

// ---- minDomains / inclusion policies / matchLabelKeys (TestSingleConstraint rows) ----

#[test]
fn min_domains_treats_global_min_as_zero() {
    // "pods spread across nodes as 2/1/0/3, minDomains 5 > 4 domains": global min = 0, so
    // with maxSkew 2 only nodes with < 2 matching pods fit.
    let p = pod("p")
        .label("foo", "")
        .spread_with(2, "node", DNS, foo(), |c| c.min_domains = Some(5));
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", OK), ("node-x", OK), ("node-y", U)])
    );
    // 2 zones with 3/3 and minDomains 3: min is 0, 3 + 1 - 0 > 1 everywhere.
    let p = pod("p")
        .label("foo", "")
        .spread_with(1, "zone", DNS, foo(), |c| c.min_domains = Some(3));
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods_2_1_0_3());
    assert!(got.iter().all(|(_, c)| *c == U), "{got:?}");
}

#[test]
fn node_affinity_policy_honor_and_ignore() {
    // "NodeAffinityPolicy honored with labelSelectors": nodeSelector foo= keeps node-x
    // (no foo label) out of the domains: 2/1/~0~/3 -> node-b fits.
    let mut nodes = four_zone_nodes();
    for n in nodes.iter_mut().filter(|n| n.metadata.name != "node-x") {
        n.metadata.labels.insert("foo".into(), "".into());
    }
    let p = pod("p")
        .label("foo", "")
        .node_selector("foo", "")
        .spread(1, "node", DNS, foo());
    let got = run_filter(&plugin(), &p, &nodes, &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", OK), ("node-x", OK), ("node-y", U)])
    );
    // "NodeAffinityPolicy ignored with labelSelectors": node-x counts again (min 0).
    let p = pod("p")
        .label("foo", "")
        .node_selector("foo", "")
        .spread_with(1, "node", DNS, foo(), |c| {
            c.node_affinity_policy = Some("Ignore".into())
        });
    let got = run_filter(&plugin(), &p, &nodes, &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", U), ("node-x", OK), ("node-y", U)])
    );
}

#[test]
fn node_taints_policy_honor_and_ignore() {
    let mut nodes = four_zone_nodes();
    nodes[2].spec.taints.push(Taint {
        key: "foo".into(),
        value: "".into(),
        effect: "NoSchedule".into(),
    });
    // "NodeTaintsPolicy honored": tainted node-x (0 pods) leaves the domains -> min 1.
    let p = pod("p")
        .label("foo", "")
        .spread_with(1, "node", DNS, foo(), |c| {
            c.node_taints_policy = Some("Honor".into())
        });
    let got = run_filter(&plugin(), &p, &nodes, &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", OK), ("node-x", OK), ("node-y", U)])
    );
    // "NodeTaintsPolicy honored with tolerated taints": node-x counts again.
    let p = pod("p")
        .label("foo", "")
        .toleration("foo", "NoSchedule")
        .spread_with(1, "node", DNS, foo(), |c| {
            c.node_taints_policy = Some("Honor".into())
        });
    let got = run_filter(&plugin(), &p, &nodes, &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", U), ("node-x", OK), ("node-y", U)])
    );
    // "NodeTaintsPolicy ignored" (default): same as no taint.
    let p = pod("p").label("foo", "").spread(1, "node", DNS, foo());
    let got = run_filter(&plugin(), &p, &nodes, &pods_2_1_0_3());
    assert_eq!(
        got,
        codes(&[("node-a", U), ("node-b", U), ("node-x", OK), ("node-y", U)])
    );
}

#[test]
fn match_label_keys_merge_into_selector() {
    // "matchLabelKeys ignored when the label is absent" vs merged: existing pods differ in
    // `bar`; only those with the incoming pod's bar value count.
    let pods = [
        pod("p-a1").on("node-a").label("foo", "").label("bar", "a"),
        pod("p-a2").on("node-a").label("foo", "").label("bar", "a"),
        pod("p-b1").on("node-b").label("foo", "").label("bar", "a"),
        pod("p-x1").on("node-x").label("foo", "").label("bar", "b"),
        pod("p-y1").on("node-y").label("foo", "").label("bar", "a"),
    ];
    let p = pod("p")
        .label("foo", "")
        .label("bar", "b")
        .spread_with(1, "node", DNS, foo(), |c| {
            c.match_label_keys = vec!["bar".into()]
        });
    // bar=b counts: 0/0/1/0 -> node-x (1+1-0 > 1) fails.
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods);
    assert_eq!(
        got,
        codes(&[
            ("node-a", OK),
            ("node-b", OK),
            ("node-x", U),
            ("node-y", OK)
        ])
    );
    // A key the pod lacks is ignored: foo counts 2/1/1/1.
    let p = pod("p")
        .label("foo", "")
        .spread_with(1, "node", DNS, foo(), |c| {
            c.match_label_keys = vec!["baz".into()]
        });
    let got = run_filter(&plugin(), &p, &four_zone_nodes(), &pods);
    assert_eq!(
        got,
        codes(&[
            ("node-a", U),
            ("node-b", OK),
            ("node-x", OK),
            ("node-y", OK)
        ])
    );
}

#[test]
fn prefilter_skips_without_hard_constraints() {
    // Only ScheduleAnyway constraints -> PreFilter Skip; no constraints and no default
    // selector (System defaults are ScheduleAnyway anyway) -> Skip.
    let snap = snapshot(&four_zone_nodes(), &[]);
    for p in [
        pod("p").label("foo", "").spread(1, "zone", SA, foo()),
        pod("p").label("foo", ""),
    ] {
        let mut state = CycleState::default();
        let s = plugin().pre_filter(&mut state, &PodInfo::new(&p.pod), &snap);
        assert!(s.is_skip(), "{s:?}");
    }
}

// ---- scoring_test.go TestPodTopologySpreadScore ----

#[test]
fn score_one_constraint_on_node() {
    let pl = plugin();
    let p = pod("p")
        .label("foo", "")
        .spread(1, LABEL_HOSTNAME, SA, foo());
    // "one constraint on node, no existing pods"
    let got = run_score(&pl, &p, &[hn("node-a"), hn("node-b")], &[], &[], |_| {});
    assert_eq!(got, scores(&[("node-a", 100), ("node-b", 100)]));
    // "one constraint on node, only one node is candidate"
    let pods = [
        pod("p-a1").on("node-a").label("foo", ""),
        pod("p-a2").on("node-a").label("foo", ""),
        pod("p-b1").on("node-b").label("foo", ""),
    ];
    let got = run_score(&pl, &p, &[hn("node-a")], &[hn("node-b")], &pods, |_| {});
    assert_eq!(got, scores(&[("node-a", 100)]));
    // "one constraint on node, all nodes have the same number of matching pods"
    let pods = [
        pod("p-a1").on("node-a").label("foo", ""),
        pod("p-b1").on("node-b").label("foo", ""),
    ];
    let got = run_score(&pl, &p, &[hn("node-a"), hn("node-b")], &[], &pods, |_| {});
    assert_eq!(got, scores(&[("node-a", 100), ("node-b", 100)]));
}

fn four_host_nodes() -> Vec<Node> {
    vec![hn("node-a"), hn("node-b"), hn("node-c"), hn("node-d")]
}

/// 2/1/0/3 over node-a/b/c/d.
fn host_pods_2_1_0_3() -> Vec<P> {
    vec![
        pod("p-a1").on("node-a").label("foo", ""),
        pod("p-a2").on("node-a").label("foo", ""),
        pod("p-b1").on("node-b").label("foo", ""),
        pod("p-d1").on("node-d").label("foo", ""),
        pod("p-d2").on("node-d").label("foo", ""),
        pod("p-d3").on("node-d").label("foo", ""),
    ]
}

/// 4/3/2/1 over node-a/b/c/d.
fn host_pods_4_3_2_1() -> Vec<P> {
    let mut v = Vec::new();
    for (n, k) in [("a", 4), ("b", 3), ("c", 2), ("d", 1)] {
        for i in 1..=k {
            v.push(
                pod(&format!("p-{n}{i}"))
                    .on(&format!("node-{n}"))
                    .label("foo", ""),
            );
        }
    }
    v
}

#[test]
fn score_all_4_nodes_candidates_by_max_skew() {
    let pl = plugin();
    for (skew, want) in [(1, [20, 60, 100, 0]), (2, [33, 66, 100, 16])] {
        let p = pod("p")
            .label("foo", "")
            .spread(skew, LABEL_HOSTNAME, SA, foo());
        let got = run_score(
            &pl,
            &p,
            &four_host_nodes(),
            &[],
            &host_pods_2_1_0_3(),
            |_| {},
        );
        let names = ["node-a", "node-b", "node-c", "node-d"];
        let want: Vec<(&str, i64)> = names.iter().copied().zip(want).collect();
        assert_eq!(got, scores(&want), "maxSkew {skew}");
    }
    // maxSkew=3 with 4/3/2/1.
    let p = pod("p")
        .label("foo", "")
        .spread(3, LABEL_HOSTNAME, SA, foo());
    let got = run_score(
        &pl,
        &p,
        &four_host_nodes(),
        &[],
        &host_pods_4_3_2_1(),
        |_| {},
    );
    assert_eq!(
        got,
        scores(&[
            ("node-a", 44),
            ("node-b", 66),
            ("node-c", 77),
            ("node-d", 100)
        ])
    );
}

#[test]
fn score_null_selector() {
    let p = pod("p")
        .label("foo", "")
        .spread(1, LABEL_HOSTNAME, SA, None);
    let got = run_score(
        &plugin(),
        &p,
        &four_host_nodes(),
        &[],
        &host_pods_2_1_0_3(),
        |_| {},
    );
    assert!(got.iter().all(|(_, s)| *s == 100), "{got:?}");
}

#[test]
fn score_system_defaulting_pods_match_service() {
    // "system defaulting, nodes don't have zone, pods match service": same as one hostname
    // constraint with maxSkew 3.
    let p = pod("p").label("foo", "");
    let got = run_score(
        &plugin(),
        &p,
        &four_host_nodes(),
        &[],
        &host_pods_4_3_2_1(),
        |s| {
            s.services
                .insert(("default".into(), "svc".into()), labels(&[("foo", "")]));
        },
    );
    assert_eq!(
        got,
        scores(&[
            ("node-a", 44),
            ("node-b", 66),
            ("node-c", 77),
            ("node-d", 100)
        ])
    );
}

#[test]
fn score_system_defaulting_without_selector_skips() {
    let snap = snapshot(&four_host_nodes(), &host_pods_4_3_2_1());
    let p = pod("p").label("foo", "");
    let mut state = CycleState::default();
    let s = plugin().pre_score(&mut state, &PodInfo::new(&p.pod), &[0, 1, 2, 3], &snap);
    assert!(s.is_skip());
    // And with only DoNotSchedule constraints.
    let p = pod("p").label("foo", "").spread(1, "zone", DNS, foo());
    let s = plugin().pre_score(&mut state, &PodInfo::new(&p.pod), &[0, 1, 2, 3], &snap);
    assert!(s.is_skip());
}

fn pods_4_2_1_3() -> Vec<P> {
    let mut v = Vec::new();
    for (n, k) in [("a", 4), ("b", 2), ("x", 1), ("y", 3)] {
        for i in 1..=k {
            v.push(
                pod(&format!("p-{n}{i}"))
                    .on(&format!("node-{n}"))
                    .label("foo", ""),
            );
        }
    }
    v
}

#[test]
fn score_3_of_4_candidates() {
    let pl = plugin();
    let p = pod("p")
        .label("foo", "")
        .spread(1, LABEL_HOSTNAME, SA, foo());
    // "one constraint on node, 3 out of 4 nodes are candidates"
    let got = run_score(
        &pl,
        &p,
        &[hn("node-a"), hn("node-b"), hn("node-x")],
        &[hn("node-y")],
        &pods_4_2_1_3(),
        |_| {},
    );
    assert_eq!(
        got,
        scores(&[("node-a", 33), ("node-b", 83), ("node-x", 100)])
    );
    // "..., one node doesn't match topology key"
    let got = run_score(
        &pl,
        &p,
        &[
            hn("node-a"),
            node("node-b", &[("n", "node-b")]),
            hn("node-x"),
        ],
        &[hn("node-y")],
        &pods_4_2_1_3(),
        |_| {},
    );
    assert_eq!(
        got,
        scores(&[("node-a", 16), ("node-b", 0), ("node-x", 100)])
    );
}

fn zh(name: &str, zone: &str) -> Node {
    node(name, &[("zone", zone), (LABEL_HOSTNAME, name)])
}

#[test]
fn score_zone_3_of_4_candidates() {
    let p = pod("p").label("foo", "").spread(1, "zone", SA, foo());
    let got = run_score(
        &plugin(),
        &p,
        &[
            zh("node-a", "zone1"),
            zh("node-b", "zone1"),
            zh("node-x", "zone2"),
        ],
        &[zh("node-y", "zone2")],
        &pods_4_2_1_3(),
        |_| {},
    );
    assert_eq!(
        got,
        scores(&[("node-a", 75), ("node-b", 75), ("node-x", 100)])
    );
}

#[test]
fn score_other_namespaces_do_not_count() {
    let p = pod("p")
        .label("foo", "")
        .spread(1, LABEL_HOSTNAME, SA, foo());
    let pods = [
        pod("p-a1").ns("ns1").on("node-a").label("foo", ""),
        pod("p-a2").on("node-a").label("foo", ""),
        pod("p-b1").on("node-b").label("foo", ""),
        pod("p-b2").on("node-b").label("foo", ""),
    ];
    let got = run_score(
        &plugin(),
        &p,
        &[hn("node-a"), hn("node-b")],
        &[],
        &pods,
        |_| {},
    );
    assert_eq!(got, scores(&[("node-a", 100), ("node-b", 33)]));
}

#[test]
fn score_node_affinity_policy_honored() {
    // "NodeAffinityPolicy honored with nodeAffinity": node-c (no foo label) is not counted
    // for the non-hostname key `node`... but is a candidate, so it scores 100.
    let mut p = pod("p").label("foo", "").spread(1, "node", SA, foo());
    p.pod.spec.affinity = Some(
        serde_json::from_value(serde_json::json!({"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "foo", "operator": "In", "values": [""]}]}]}}}))
        .unwrap(),
    );
    let nodes = [
        node("node-a", &[("node", "node-a"), ("foo", "")]),
        node("node-b", &[("node", "node-b"), ("foo", "")]),
        node("node-c", &[("node", "node-c")]),
    ];
    let pods = [
        pod("p-a1").on("node-a").label("foo", ""),
        pod("p-a2").on("node-a").label("foo", ""),
        pod("p-b1").on("node-b").label("foo", ""),
        pod("p-c1").on("node-c").label("foo", ""),
    ];
    let got = run_score(&plugin(), &p, &nodes, &[], &pods, |_| {});
    assert_eq!(
        got,
        scores(&[("node-a", 0), ("node-b", 33), ("node-c", 100)])
    );
}

#[test]
fn score_terminating_pods_excluded() {
    // "existing pods in a different namespace / terminating pods do not count"
    let p = pod("p")
        .label("foo", "")
        .spread(1, LABEL_HOSTNAME, SA, foo());
    let pods = [
        pod("p-a1").on("node-a").label("foo", "").terminating(),
        pod("p-b1").on("node-b").label("foo", ""),
    ];
    let got = run_score(
        &plugin(),
        &p,
        &[hn("node-a"), hn("node-b")],
        &[],
        &pods,
        |_| {},
    );
    assert_eq!(got, scores(&[("node-a", 100), ("node-b", 0)]));
}

#[test]
fn normalizing_weight_uses_log() {
    assert_eq!(scoring::topology_normalizing_weight(4), libm::log(6.0));
    assert_eq!(
        scoring::score_for_count(2, 3, libm::log(6.0)),
        2.0 * libm::log(6.0) + 2.0
    );
}

// ---- default selector (helper spread_test.go TestDefaultSelector-style) ----

#[test]
fn default_selector_from_services_and_owner() {
    let mut snap = Snapshot::default();
    snap.services
        .insert(("default".into(), "s1".into()), labels(&[("app", "web")]));
    snap.services
        .insert(("other".into(), "s2".into()), labels(&[("tier", "x")]));
    snap.replicasets.insert(
        ("default".into(), "rs".into()),
        Some(LabelSelector {
            match_labels: labels(&[("pod-template-hash", "h")]),
            ..Default::default()
        }),
    );
    let p = pod("p")
        .label("app", "web")
        .label("pod-template-hash", "h")
        .owner("ReplicaSet", "rs");
    let sel = common::default_selector(&PodInfo::new(&p.pod), &snap);
    assert_eq!(sel.to_string(), "app=web,pod-template-hash=h");
    // Unknown owner kind: services only. No service, no owner: empty -> no constraints.
    let p = pod("p").label("app", "web").owner("Job", "j");
    assert_eq!(
        common::default_selector(&PodInfo::new(&p.pod), &snap).to_string(),
        "app=web"
    );
    let p = pod("p").label("x", "y");
    assert!(common::default_selector(&PodInfo::new(&p.pod), &snap).is_empty());
}

// ---- validation_pluginargs_test.go TestValidatePodTopologySpreadArgs ----

fn build(v: serde_json::Value) -> Result<PodTopologySpread, String> {
    PodTopologySpread::new(Some(&crate::yaml::Node::from_json(&v)))
}

#[test]
fn args_valid() {
    // "valid config": List with two constraints.
    assert!(build(
        serde_json::json!({"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": "node", "whenUnsatisfiable": "DoNotSchedule"},
        {"maxSkew": 2, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}]})
    )
    .is_ok());
    // Empty args default to System.
    let pl = build(serde_json::json!({})).unwrap();
    assert!(pl.system_defaulted);
    assert_eq!(pl.default_constraints, system_default_constraints());
    // "list empty constraints"
    let pl =
        build(serde_json::json!({"defaultingType": "List", "defaultConstraints": []})).unwrap();
    assert!(pl.default_constraints.is_empty());
}

#[test]
fn args_invalid_rows() {
    let rows: &[(serde_json::Value, &str)] = &[
        // "maxSkew less than zero"
        (
            serde_json::json!({"defaultingType": "List", "defaultConstraints": [
                {"maxSkew": -1, "topologyKey": "node", "whenUnsatisfiable": "DoNotSchedule"}]}),
            "defaultConstraints[0].maxSkew: Invalid value: -1: not in valid range (0, inf)",
        ),
        // "empty topology key"
        (
            serde_json::json!({"defaultingType": "List", "defaultConstraints": [
                {"maxSkew": 1, "topologyKey": "", "whenUnsatisfiable": "DoNotSchedule"}]}),
            "defaultConstraints[0].topologyKey: Required value: can not be empty",
        ),
        // "WhenUnsatisfiable is empty"
        (
            serde_json::json!({"defaultingType": "List", "defaultConstraints": [
                {"maxSkew": 1, "topologyKey": "node", "whenUnsatisfiable": ""}]}),
            "defaultConstraints[0].whenUnsatisfiable: Required value: can not be empty",
        ),
        // "WhenUnsatisfiable contains unsupported action"
        (
            serde_json::json!({"defaultingType": "List", "defaultConstraints": [
                {"maxSkew": 1, "topologyKey": "node", "whenUnsatisfiable": "none"}]}),
            "defaultConstraints[0].whenUnsatisfiable: Unsupported value: \"none\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
        ),
        // "duplicated constraints"
        (
            serde_json::json!({"defaultingType": "List", "defaultConstraints": [
                {"maxSkew": 1, "topologyKey": "node", "whenUnsatisfiable": "DoNotSchedule"},
                {"maxSkew": 2, "topologyKey": "node", "whenUnsatisfiable": "DoNotSchedule"}]}),
            "defaultConstraints[1]: Duplicate value: \"{node, DoNotSchedule}\"",
        ),
        // "label selector present"
        (
            serde_json::json!({"defaultingType": "List", "defaultConstraints": [
                {"maxSkew": 1, "topologyKey": "key", "whenUnsatisfiable": "DoNotSchedule",
                 "labelSelector": {"matchLabels": {"a": "b"}}}]}),
            "defaultConstraints[0].labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod",
        ),
        // "system defaulting with constraints"
        (
            serde_json::json!({"defaultingType": "System", "defaultConstraints": [
                {"maxSkew": 1, "topologyKey": "key", "whenUnsatisfiable": "DoNotSchedule"}]}),
            "defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty",
        ),
        // defaultConstraints without defaultingType: v1 defaults it to System.
        (
            serde_json::json!({"defaultConstraints": [
                {"maxSkew": 1, "topologyKey": "key", "whenUnsatisfiable": "DoNotSchedule"}]}),
            "defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty",
        ),
        // "wrong defaulting type"
        (
            serde_json::json!({"defaultingType": "Unknown"}),
            "defaultingType: Unsupported value: \"Unknown\": supported values: \"System\", \"List\"",
        ),
        // "multiple errors" aggregate.
        (
            serde_json::json!({"defaultingType": "List", "defaultConstraints": [
                {"maxSkew": 0, "topologyKey": "", "whenUnsatisfiable": "DoNotSchedule"}]}),
            "[defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf), defaultConstraints[0].topologyKey: Required value: can not be empty]",
        ),
    ];
    for (args, want) in rows {
        match build(args.clone()) {
            Ok(_) => panic!("{args} should fail"),
            Err(e) => assert_eq!(&e, want, "{args}"),
        }
    }
    // Unknown fields are rejected.
    assert!(build(serde_json::json!({"defaultConstraint": []})).is_err());
}

#[test]
fn list_defaulting_applies_default_constraints_with_filter() {
    // List defaults with a DoNotSchedule constraint and a Service selecting the pod: the
    // default hard constraint filters like a pod constraint would.
    let pl = build(
        serde_json::json!({"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": "node", "whenUnsatisfiable": "DoNotSchedule"}]}),
    )
    .unwrap();
    let p = pod("p").label("foo", "");
    let mut snap = snapshot(&four_zone_nodes(), &pods_2_1_0_3());
    snap.services
        .insert(("default".into(), "svc".into()), labels(&[("foo", "")]));
    let info = PodInfo::new(&p.pod);
    let mut state = CycleState::default();
    assert!(pl.pre_filter(&mut state, &info, &snap).is_success());
    let got: OrdMap<String, Code> = snap
        .nodes
        .iter()
        .map(|n| (n.name.clone(), pl.filter(&state, &info, n, &snap).code))
        .collect();
    assert_eq!(got["node-x"], OK);
    assert_eq!(got["node-a"], U);
    // Without a selecting Service: no constraints -> Skip.
    let snap = snapshot(&four_zone_nodes(), &pods_2_1_0_3());
    let mut state = CycleState::default();
    assert!(pl.pre_filter(&mut state, &info, &snap).is_skip());
}

// ---- filtering_test.go TestPreFilterState (critical paths), TestPreFilterStateAddPod,
// TestPreFilterStateRemovePod ----
//
// Upstream compares critical paths after `criticalPaths.sort()` (equal counts: topology
// values in alphabetical order); `paths` below does the same. Rows run with the
// NodeInclusionPolicy gate on, as in v1.35 (the gate-off rows are not modelled).

/// `{MatchNum: math.MaxInt32}`: an unused critical path.
const MAX: (&str, i64) = ("", i32::MAX as i64);

type Paths = Vec<[(String, i64); 2]>;
type Counts = Vec<crate::collections::OrdMap<String, i64>>;

/// The state's critical paths (normalized as upstream's test `sort`) and counts.
fn paths_and_counts(s: &filtering::PreFilterState) -> (Paths, Counts) {
    let paths = s
        .critical_paths
        .iter()
        .map(|p| {
            let mut a = [
                (p.0[0].topology_value.clone(), p.0[0].match_num),
                (p.0[1].topology_value.clone(), p.0[1].match_num),
            ];
            if a[0].1 == a[1].1 && a[0].0 > a[1].0 {
                let (x, y) = (a[0].0.clone(), a[1].0.clone());
                a[0].0 = y;
                a[1].0 = x;
            }
            a
        })
        .collect();
    (paths, s.tp_value_to_match_num.clone())
}

fn want_paths(p: &[[(&str, i64); 2]]) -> Paths {
    p.iter()
        .map(|[a, b]| [(a.0.to_string(), a.1), (b.0.to_string(), b.1)])
        .collect()
}

fn want_counts(c: &[&[(&str, i64)]]) -> Counts {
    c.iter()
        .map(|m| m.iter().map(|(k, v)| (k.to_string(), *v)).collect())
        .collect()
}

/// PreFilter over `existing`, then AddPod (`delta` 1) or RemovePod (-1) of `updated` on
/// `nodes[node_idx]` (the harness of TestPreFilterStateAddPod / RemovePod).
fn after_update(
    preemptor: &P,
    nodes: &[Node],
    existing: &[P],
    updated: &P,
    node_idx: usize,
    delta: i64,
) -> (Paths, Counts) {
    let pl = plugin();
    let snap = snapshot(nodes, existing);
    let info = PodInfo::new(&preemptor.pod);
    let mut state = CycleState::default();
    assert!(pl.pre_filter(&mut state, &info, &snap).is_success());
    let ni = snap.get(&nodes[node_idx].metadata.name).unwrap();
    let up = PodInfo::new(&updated.pod);
    let s = if delta > 0 {
        pl.add_pod(&mut state, &info, &up, ni)
    } else {
        pl.remove_pod(&mut state, &info, &up, ni)
    };
    assert!(s.is_success(), "{s:?}");
    let st = state
        .read::<filtering::PreFilterState>(filtering::PRE_FILTER_STATE_KEY)
        .unwrap();
    paths_and_counts(st)
}

fn foo_pod(name: &str, node: &str) -> P {
    pod(name).on(node).label("foo", "")
}

/// `NodeAffinityNotIn(key, values)`: a required node affinity term.
fn node_affinity_not_in(mut p: P, key: &str, values: &[&str]) -> P {
    p.pod.spec.affinity = Some(
        serde_json::from_value(serde_json::json!({"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": key, "operator": "NotIn", "values": values}]}
        ]}}}))
        .unwrap(),
    );
    p
}

#[test]
fn prefilter_state_critical_paths() {
    // TestPreFilterState "normal case with two spreadConstraints".
    let p = pod("p")
        .label("foo", "")
        .spread(1, "zone", DNS, foo())
        .spread(1, "node", DNS, foo());
    let pods = [
        foo_pod("p-a1", "node-a"),
        foo_pod("p-a2", "node-a"),
        foo_pod("p-b1", "node-b"),
        foo_pod("p-y1", "node-y"),
        foo_pod("p-y2", "node-y"),
        foo_pod("p-y3", "node-y"),
        foo_pod("p-y4", "node-y"),
    ];
    let snap = snapshot(&four_zone_nodes(), &pods);
    let mut state = CycleState::default();
    assert!(plugin()
        .pre_filter(&mut state, &PodInfo::new(&p.pod), &snap)
        .is_success());
    let st = state
        .read::<filtering::PreFilterState>(filtering::PRE_FILTER_STATE_KEY)
        .unwrap();
    assert_eq!(
        paths_and_counts(st),
        (
            want_paths(&[[("zone1", 3), ("zone2", 4)], [("node-x", 0), ("node-b", 1)]]),
            want_counts(&[
                &[("zone1", 3), ("zone2", 4)],
                &[("node-a", 2), ("node-b", 1), ("node-x", 0), ("node-y", 4)]
            ])
        )
    );
    // "clean cluster with one spreadConstraint": equal counts, both paths at 0.
    let p = pod("p").label("foo", "").spread(
        5,
        "zone",
        DNS,
        Some(LabelSelector {
            match_labels: labels(&[("foo", "bar")]),
            ..Default::default()
        }),
    );
    let snap = snapshot(&four_zone_nodes(), &[]);
    let mut state = CycleState::default();
    assert!(plugin()
        .pre_filter(&mut state, &PodInfo::new(&p.pod), &snap)
        .is_success());
    let st = state
        .read::<filtering::PreFilterState>(filtering::PRE_FILTER_STATE_KEY)
        .unwrap();
    assert_eq!(
        paths_and_counts(st).0,
        want_paths(&[[("zone1", 0), ("zone2", 0)]])
    );
}

#[test]
fn add_pod_node_constraint_rows() {
    let p = pod("p").label("foo", "").spread(1, "node", DNS, foo());
    let nodes = [zn("node-a", "zone1"), zn("node-b", "zone1")];
    // "node a and b both impact current min match"
    assert_eq!(
        after_update(&p, &nodes, &[], &foo_pod("p-a1", "node-a"), 0, 1),
        (
            want_paths(&[[("node-b", 0), ("node-a", 1)]]),
            want_counts(&[&[("node-a", 1), ("node-b", 0)]])
        )
    );
    // "only node a impacts current min match"
    let existing = [foo_pod("p-b1", "node-b")];
    assert_eq!(
        after_update(&p, &nodes, &existing, &foo_pod("p-a1", "node-a"), 0, 1),
        (
            want_paths(&[[("node-a", 1), ("node-b", 1)]]),
            want_counts(&[&[("node-a", 1), ("node-b", 1)]])
        )
    );
    // "add a pod in a different namespace doesn't change topologyKeyToMinPodsMap"
    assert_eq!(
        after_update(
            &p,
            &nodes,
            &existing,
            &foo_pod("p-a1", "node-a").ns("ns1"),
            0,
            1
        ),
        (
            want_paths(&[[("node-a", 0), ("node-b", 1)]]),
            want_counts(&[&[("node-a", 0), ("node-b", 1)]])
        )
    );
    // "add pod on non-critical node won't trigger re-calculation"
    assert_eq!(
        after_update(&p, &nodes, &existing, &foo_pod("p-b2", "node-b"), 1, 1),
        (
            want_paths(&[[("node-a", 0), ("node-b", 2)]]),
            want_counts(&[&[("node-a", 0), ("node-b", 2)]])
        )
    );
}

#[test]
fn add_pod_zone_and_node_constraint_rows() {
    let p = pod("p")
        .label("foo", "")
        .spread(1, "zone", DNS, foo())
        .spread(1, "node", DNS, foo());
    let nodes = [zn("node-a", "zone1"), zn("node-x", "zone2")];
    // "node a and x both impact topologyKeyToMinPodsMap on zone and node"
    assert_eq!(
        after_update(&p, &nodes, &[], &foo_pod("p-a1", "node-a"), 0, 1),
        (
            want_paths(&[[("zone2", 0), ("zone1", 1)], [("node-x", 0), ("node-a", 1)]]),
            want_counts(&[
                &[("zone1", 1), ("zone2", 0)],
                &[("node-a", 1), ("node-x", 0)]
            ])
        )
    );
    // "only node a impacts topologyKeyToMinPodsMap on zone and node"
    assert_eq!(
        after_update(
            &p,
            &nodes,
            &[foo_pod("p-x1", "node-x")],
            &foo_pod("p-a1", "node-a"),
            0,
            1
        ),
        (
            want_paths(&[[("zone1", 1), ("zone2", 1)], [("node-a", 1), ("node-x", 1)]]),
            want_counts(&[
                &[("zone1", 1), ("zone2", 1)],
                &[("node-a", 1), ("node-x", 1)]
            ])
        )
    );
    // "node a impacts topologyKeyToMinPodsMap on node, node x impacts
    // topologyKeyToMinPodsMap on zone"
    let nodes = [
        zn("node-a", "zone1"),
        zn("node-b", "zone1"),
        zn("node-x", "zone2"),
    ];
    let existing = [
        foo_pod("p-b1", "node-b"),
        foo_pod("p-b2", "node-b"),
        foo_pod("p-x1", "node-x"),
    ];
    assert_eq!(
        after_update(&p, &nodes, &existing, &foo_pod("p-a1", "node-a"), 0, 1),
        (
            want_paths(&[[("zone2", 1), ("zone1", 3)], [("node-a", 1), ("node-x", 1)]]),
            want_counts(&[
                &[("zone1", 3), ("zone2", 1)],
                &[("node-a", 1), ("node-b", 2), ("node-x", 1)]
            ])
        )
    );
}

#[test]
fn add_pod_different_selectors_rows() {
    let p = pod("p")
        .label("foo", "")
        .label("bar", "")
        .spread(1, "zone", DNS, foo())
        .spread(1, "node", DNS, exists("bar"));
    let nodes = [
        zn("node-a", "zone1"),
        zn("node-b", "zone1"),
        zn("node-x", "zone2"),
    ];
    // "Constraints hold different labelSelectors, node a impacts topologyKeyToMinPodsMap
    // on zone"
    let existing = [
        foo_pod("p-b1", "node-b").label("bar", ""),
        foo_pod("p-x1", "node-x").label("bar", ""),
        pod("p-x2").on("node-x").label("bar", ""),
    ];
    assert_eq!(
        after_update(&p, &nodes, &existing, &foo_pod("p-a1", "node-a"), 0, 1),
        (
            want_paths(&[[("zone2", 1), ("zone1", 2)], [("node-a", 0), ("node-b", 1)]]),
            want_counts(&[
                &[("zone1", 2), ("zone2", 1)],
                &[("node-a", 0), ("node-b", 1), ("node-x", 2)]
            ])
        )
    );
    // "Constraints hold different labelSelectors, node a impacts topologyKeyToMinPodsMap
    // on both zone and node"
    let existing = [
        pod("p-b1").on("node-b").label("bar", ""),
        foo_pod("p-x1", "node-x").label("bar", ""),
        pod("p-x2").on("node-x").label("bar", ""),
    ];
    assert_eq!(
        after_update(
            &p,
            &nodes,
            &existing,
            &foo_pod("p-a1", "node-a").label("bar", ""),
            0,
            1
        ),
        (
            want_paths(&[[("zone1", 1), ("zone2", 1)], [("node-a", 1), ("node-b", 1)]]),
            want_counts(&[
                &[("zone1", 1), ("zone2", 1)],
                &[("node-a", 1), ("node-b", 1), ("node-x", 2)]
            ])
        )
    );
}

/// node-a (zone1, foo=bar) and node-b (zone2, foo=""), as the inclusion-policy rows.
fn foo_bar_nodes() -> Vec<Node> {
    vec![
        node(
            "node-a",
            &[("zone", "zone1"), ("node", "node-a"), ("foo", "bar")],
        ),
        node(
            "node-b",
            &[("zone", "zone2"), ("node", "node-b"), ("foo", "")],
        ),
    ]
}

fn zone_pod(name: &str, node: &str, zone: &str) -> P {
    foo_pod(name, node).label("zone", zone)
}

#[test]
fn add_pod_node_inclusion_policy_rows() {
    let zone_p = || pod("p").label("foo", "").spread(1, "zone", DNS, foo());
    // "add a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy
    // enabled": node-a is outside the preemptor's node affinity, so it is no domain and the
    // added pod does not count.
    let p = node_affinity_not_in(zone_p(), "foo", &["bar"]);
    let existing = [
        zone_pod("p-a2", "node-a", "zone1"),
        zone_pod("p-b1", "node-b", "zone2"),
    ];
    assert_eq!(
        after_update(
            &p,
            &foo_bar_nodes(),
            &existing,
            &zone_pod("p-a1", "node-a", "zone1"),
            0,
            1
        ),
        (
            want_paths(&[[("zone2", 1), MAX]]),
            want_counts(&[&[("zone2", 1)]])
        )
    );
    // "add a pod when scheduling node affinity matched pod with NodeInclusionPolicy enabled"
    let existing = [
        zone_pod("p-a1", "node-a", "zone1"),
        zone_pod("p-b2", "node-b", "zone2"),
    ];
    assert_eq!(
        after_update(
            &zone_p(),
            &foo_bar_nodes(),
            &existing,
            &zone_pod("p-b1", "node-b", "zone2"),
            1,
            1
        ),
        (
            want_paths(&[[("zone1", 1), ("zone2", 2)]]),
            want_counts(&[&[("zone1", 1), ("zone2", 2)]])
        )
    );
    // "add a label selector not matched pod when with NodeInclusionPolicy enabled"
    assert_eq!(
        after_update(
            &zone_p(),
            &foo_bar_nodes(),
            &existing,
            &pod("p-b1").on("node-b").label("zone", "zone2"),
            1,
            1
        ),
        (
            want_paths(&[[("zone1", 1), ("zone2", 1)]]),
            want_counts(&[&[("zone1", 1), ("zone2", 1)]])
        )
    );
    // "add a pod when scheduling taint tolerated pod with NodeInclusionPolicy enabled", and
    // the untolerated row (nodeTaintsPolicy defaults to Ignore, so the tainted node-a
    // counts either way).
    let mut nodes = vec![zn("node-a", "zone1"), zn("node-b", "zone2")];
    nodes[0].spec.taints.push(Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        value: String::new(),
        effect: "NoSchedule".into(),
    });
    for p in [
        zone_p().toleration("node.kubernetes.io/unschedulable", ""),
        zone_p(),
    ] {
        assert_eq!(
            after_update(
                &p,
                &nodes,
                &existing,
                &zone_pod("p-b1", "node-b", "zone2"),
                1,
                1
            ),
            (
                want_paths(&[[("zone1", 1), ("zone2", 2)]]),
                want_counts(&[&[("zone1", 1), ("zone2", 2)]])
            )
        );
    }
}

#[test]
fn remove_pod_zone_constraint_rows() {
    let p = pod("p").label("foo", "").spread(1, "zone", DNS, foo());
    let three = [
        zn("node-a", "zone1"),
        zn("node-b", "zone1"),
        zn("node-x", "zone2"),
    ];
    // "one spreadConstraint on zone, topologyKeyToMinPodsMap unchanged"
    let existing = [
        foo_pod("p-a1", "node-a"),
        foo_pod("p-b1", "node-b"),
        foo_pod("p-x1", "node-x"),
    ];
    assert_eq!(
        after_update(&p, &three, &existing, &existing[0], 0, -1),
        (
            want_paths(&[[("zone1", 1), ("zone2", 1)]]),
            want_counts(&[&[("zone1", 1), ("zone2", 1)]])
        )
    );
    // "one spreadConstraint on node, topologyKeyToMinPodsMap changed"
    let existing = [
        foo_pod("p-a1", "node-a"),
        foo_pod("p-b1", "node-b"),
        foo_pod("p-x1", "node-x"),
        foo_pod("p-y1", "node-y"),
    ];
    assert_eq!(
        after_update(&p, &four_zone_nodes(), &existing, &existing[0], 0, -1),
        (
            want_paths(&[[("zone1", 1), ("zone2", 2)]]),
            want_counts(&[&[("zone1", 1), ("zone2", 2)]])
        )
    );
    // "delete an irrelevant pod won't help"
    let with_bar = [
        pod("p-a0").on("node-a").label("bar", ""),
        foo_pod("p-a1", "node-a"),
        foo_pod("p-b1", "node-b"),
        foo_pod("p-x1", "node-x"),
        foo_pod("p-y1", "node-y"),
    ];
    let want = (
        want_paths(&[[("zone1", 2), ("zone2", 2)]]),
        want_counts(&[&[("zone1", 2), ("zone2", 2)]]),
    );
    assert_eq!(
        after_update(&p, &four_zone_nodes(), &with_bar, &with_bar[0], 0, -1),
        want
    );
    // "delete a non-existing pod won't help"
    assert_eq!(
        after_update(
            &p,
            &four_zone_nodes(),
            &existing,
            &pod("p-a0").on("node-a").label("bar", ""),
            0,
            -1
        ),
        want
    );
}

#[test]
fn remove_pod_two_constraints_and_inclusion_policy_rows() {
    // "two spreadConstraints"
    let p = pod("p")
        .label("foo", "")
        .spread(1, "zone", DNS, foo())
        .spread(1, "node", DNS, foo());
    let nodes = [
        zn("node-a", "zone1"),
        zn("node-b", "zone1"),
        zn("node-x", "zone2"),
    ];
    let existing = [
        foo_pod("p-a1", "node-a"),
        foo_pod("p-a2", "node-a"),
        foo_pod("p-b1", "node-b"),
        foo_pod("p-x1", "node-x"),
        foo_pod("p-x2", "node-x"),
    ];
    assert_eq!(
        after_update(&p, &nodes, &existing, &existing[3], 2, -1),
        (
            want_paths(&[[("zone2", 1), ("zone1", 3)], [("node-b", 1), ("node-x", 1)]]),
            want_counts(&[
                &[("zone1", 3), ("zone2", 1)],
                &[("node-a", 2), ("node-b", 1), ("node-x", 1)]
            ])
        )
    );
    let zone_p = || pod("p").label("foo", "").spread(1, "zone", DNS, foo());
    // "remove a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy
    // enabled"
    let p = node_affinity_not_in(zone_p(), "foo", &["bar"]);
    let existing = [
        zone_pod("p-a2", "node-a", "zone1"),
        zone_pod("p-b1", "node-b", "zone2"),
    ];
    assert_eq!(
        after_update(
            &p,
            &foo_bar_nodes(),
            &existing,
            &zone_pod("p-a1", "node-a", "zone1"),
            0,
            -1
        ),
        (
            want_paths(&[[("zone2", 1), MAX]]),
            want_counts(&[&[("zone2", 1)]])
        )
    );
    // "remove a pod when scheduling node affinity matched pod with NodeInclusionPolicy
    // enabled"
    let existing = [
        zone_pod("p-a1", "node-a", "zone1"),
        zone_pod("p-b2", "node-b", "zone2"),
    ];
    assert_eq!(
        after_update(
            &zone_p(),
            &foo_bar_nodes(),
            &existing,
            &zone_pod("p-b1", "node-b", "zone2"),
            1,
            -1
        ),
        (
            want_paths(&[[("zone2", 0), ("zone1", 1)]]),
            want_counts(&[&[("zone1", 1), ("zone2", 0)]])
        )
    );
}

#[test]
fn critical_paths_update_keeps_the_minimum() {
    // Upstream criticalPaths.update: a tracked value swaps into place; an untracked one
    // displaces the larger path.
    let mut p = filtering::CriticalPaths::default();
    for (v, n) in [("a", 3), ("b", 1), ("c", 2)] {
        p.update(v, n);
    }
    let get = |p: &filtering::CriticalPaths| {
        [
            (p.0[0].topology_value.clone(), p.0[0].match_num),
            (p.0[1].topology_value.clone(), p.0[1].match_num),
        ]
    };
    assert_eq!(get(&p), [("b".to_string(), 1), ("c".to_string(), 2)]);
    p.update("b", 4);
    assert_eq!(get(&p), [("c".to_string(), 2), ("b".to_string(), 4)]);
    p.update("a", 0);
    assert_eq!(get(&p), [("a".to_string(), 0), ("c".to_string(), 2)]);
}

#[test]
fn filter_after_remove_pod_sees_the_freed_domain() {
    // The dry-run use: 2/1/0/3 over node-a/b/x/y with a node constraint (maxSkew 1):
    // node-a fails (2 + 1 - 0 > 1). With both its pods removed through RemovePod on a
    // cloned state it fits (0 + 1 - 0); the cycle's own state is untouched.
    let pl = plugin();
    let p = pod("p").label("foo", "").spread(1, "node", DNS, foo());
    let pods = pods_2_1_0_3();
    let snap = snapshot(&four_zone_nodes(), &pods);
    let info = PodInfo::new(&p.pod);
    let mut state = CycleState::default();
    assert!(pl.pre_filter(&mut state, &info, &snap).is_success());
    let node_a = snap.get("node-a").unwrap();
    let mut copy = state.clone();
    let mut ni = node_a.clone();
    for v in ["default/p-a1", "default/p-a2"] {
        let victim = ni.take_pod(v).unwrap();
        assert!(pl.remove_pod(&mut copy, &info, &victim, &ni).is_success());
    }
    assert_eq!(pl.filter(&copy, &info, &ni, &snap).code, OK);
    assert_eq!(pl.filter(&state, &info, node_a, &snap).code, U);
}
