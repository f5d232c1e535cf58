//! Table tests transcribed from upstream interpodaffinity filtering_test.go
//! (`TestRequiredAffinitySingleNode`, `TestRequiredAffinityMultipleNodes`,
//! `TestPreFilterStateAddRemovePod`) and scoring_test.go
//! (`TestPreferredAffinity`, `TestPreferredAffinityWithHardPodAffinitySymmetricWeight`), driving
//! the real plugin over a `Snapshot`.

use super::*;
use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::sched::framework::Code;
use serde_json::{json, Value};
use std::rc::Rc;

fn e(key: &str, op: &str, values: &[&str]) -> Value {
    json!({"key": key, "operator": op, "values": values})
}

/// A required term: `matchExpressions`, topology key.
fn term(exprs: Vec<Value>, key: &str) -> Value {
    json!({"labelSelector": {"matchExpressions": exprs}, "topologyKey": key})
}

fn term_ns(exprs: Vec<Value>, key: &str, namespaces: &[&str]) -> Value {
    json!({"labelSelector": {"matchExpressions": exprs}, "topologyKey": key, "namespaces": namespaces})
}

/// A preferred term.
fn wterm(weight: i32, exprs: Vec<Value>, key: &str) -> Value {
    json!({"weight": weight, "podAffinityTerm": term(exprs, key)})
}

fn labels(pairs: &[(&str, &str)]) -> Value {
    let m: serde_json::Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    Value::Object(m)
}

/// Upstream `createPodWithAffinityTerms(namespace, nodeName, labels, affinity, antiAffinity)`.
fn pod_terms(ns: &str, node: &str, l: &[(&str, &str)], aff: Vec<Value>, anti: Vec<Value>) -> Pod {
    pod_full(
        ns,
        node,
        l,
        json!({
            "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": aff},
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": anti},
        }),
    )
}

fn pod_full(ns: &str, node: &str, l: &[(&str, &str)], affinity: Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "p", "namespace": ns, "labels": labels(l)},
        "spec": {"nodeName": node, "affinity": affinity, "containers": []},
    }))
    .expect("pod")
}

fn pod(ns: &str, node: &str, l: &[(&str, &str)]) -> Pod {
    pod_full(ns, node, l, Value::Null)
}

fn node(name: &str, l: &[(&str, &str)]) -> Node {
    serde_json::from_value(json!({"metadata": {"name": name, "labels": labels(l)}})).expect("node")
}

fn snapshot(pods: &[Pod], nodes: &[Node], namespaces: &[(&str, &[(&str, &str)])]) -> Snapshot {
    let mut s = Snapshot::default();
    for n in nodes {
        s.set_node(n.clone());
    }
    for (i, p) in pods.iter().enumerate() {
        let mut p = p.clone();
        p.metadata.name = format!("p{i}");
        let on = p.spec.node_name.clone();
        s.add_pod(&on, Rc::new(PodInfo::new(&p)));
    }
    for (ns, l) in namespaces {
        s.namespaces.insert(
            ns.to_string(),
            l.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
    }
    s
}

/// `None`: success; `Some((code, reason))`.
type Want = Option<(Code, &'static str)>;

const AFF: Want = Some((
    Code::UnschedulableAndUnresolvable,
    ERR_REASON_AFFINITY_RULES_NOT_MATCH,
));
const ANTI: Want = Some((
    Code::Unschedulable,
    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
));
const EXISTING: Want = Some((
    Code::Unschedulable,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
));

fn run_filter(name: &str, incoming: &Pod, pods: &[Pod], nodes: &[Node], want: &[Want]) {
    run_filter_ns(name, incoming, pods, nodes, &[], want)
}

fn run_filter_ns(
    name: &str,
    incoming: &Pod,
    pods: &[Pod],
    nodes: &[Node],
    namespaces: &[(&str, &[(&str, &str)])],
    want: &[Want],
) {
    let snap = snapshot(pods, nodes, namespaces);
    let pl = InterPodAffinity::new(None).unwrap();
    let pi = PodInfo::new(incoming);
    let mut state = CycleState::default();
    let pre = pl.pre_filter(&mut state, &pi, &snap);
    for (i, n) in nodes.iter().enumerate() {
        let ni = snap.get(&n.metadata.name).unwrap();
        let got = if pre.is_skip() {
            Status::success()
        } else {
            assert!(pre.is_success(), "{name}: prefilter {pre:?}");
            pl.filter(&state, &pi, ni, &snap)
        };
        let got: Want = if got.is_success() {
            None
        } else {
            assert_eq!(got.reasons.len(), 1, "{name}");
            let r = got.reasons[0].clone();
            let r: &'static str = [
                ERR_REASON_AFFINITY_RULES_NOT_MATCH,
                ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
                ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
            ]
            .into_iter()
            .find(|x| *x == r)
            .unwrap_or_else(|| panic!("{name}: unexpected reason {r}"));
            Some((got.code, r))
        };
        assert_eq!(got, want[i], "{name}: node {}", n.metadata.name);
    }
}

#[test]
fn required_affinity_single_node() {
    // Upstream TestRequiredAffinitySingleNode (current expectations: b1/b2 fail on the pod's
    // own anti-affinity, which v1.35 checks before existing pods' anti-affinity).
    let pod_label = [("service", "securityscan")];
    let pod_label2 = [("security", "S1")];
    let node1 = [node("machine1", &[("region", "r1"), ("zone", "z11")])];
    let on1 = |l: &[(&str, &str)]| pod("", "machine1", l);
    let rows: Vec<(&str, Pod, Vec<Pod>, Want)> = vec![
        (
            "A pod that has no required pod affinity scheduling rules can schedule onto a node with no existing pods",
            pod("", "", &[]),
            vec![],
            None,
        ),
        (
            "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using In operator that matches the existing pod",
            pod_terms("", "", &pod_label2, vec![term(vec![e("service", "In", &["securityscan", "value2"])], "region")], vec![]),
            vec![on1(&pod_label)],
            None,
        ),
        (
            "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using not in operator in labelSelector that matches the existing pod",
            pod_terms("", "", &pod_label2, vec![term(vec![e("service", "NotIn", &["securityscan3", "value3"])], "region")], vec![]),
            vec![on1(&pod_label)],
            None,
        ),
        (
            "Does not satisfy the PodAffinity with labelSelector because of diff Namespace",
            pod_terms("", "", &pod_label2, vec![term_ns(vec![e("service", "In", &["securityscan", "value2"])], "region", &["DiffNameSpace"])], vec![]),
            vec![pod("ns", "machine1", &pod_label)],
            AFF,
        ),
        (
            "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the existing pod",
            pod_terms("", "", &pod_label, vec![term(vec![e("service", "In", &["antivirusscan", "value2"])], "region")], vec![]),
            vec![on1(&pod_label)],
            AFF,
        ),
        (
            "satisfies the PodAffinity with different label Operators in multiple RequiredDuringSchedulingIgnoredDuringExecution",
            pod_terms("", "", &pod_label2, vec![
                term(vec![e("service", "Exists", &[]), e("wrongkey", "DoesNotExist", &[])], "region"),
                term(vec![e("service", "In", &["securityscan"]), e("service", "NotIn", &["WrongValue"])], "region"),
            ], vec![]),
            vec![on1(&pod_label)],
            None,
        ),
        (
            "The labelSelector requirements(items of matchExpressions) are ANDed, the pod cannot schedule onto the node because one of the matchExpression item don't match.",
            pod_terms("", "", &pod_label2, vec![
                term(vec![e("service", "Exists", &[]), e("wrongkey", "DoesNotExist", &[])], "region"),
                term(vec![e("service", "In", &["securityscan2"]), e("service", "NotIn", &["WrongValue"])], "region"),
            ], vec![]),
            vec![on1(&pod_label)],
            AFF,
        ),
        (
            "satisfies the PodAffinity and PodAntiAffinity with the existing pod",
            pod_terms("", "", &pod_label2,
                vec![term(vec![e("service", "In", &["securityscan", "value2"])], "region")],
                vec![term(vec![e("service", "In", &["antivirusscan", "value2"])], "node")]),
            vec![on1(&pod_label)],
            None,
        ),
        (
            "satisfies the PodAffinity and PodAntiAffinity and PodAntiAffinity symmetry with the existing pod",
            pod_terms("", "", &pod_label2,
                vec![term(vec![e("service", "In", &["securityscan", "value2"])], "region")],
                vec![term(vec![e("service", "In", &["antivirusscan", "value2"])], "node")]),
            vec![pod_terms("", "machine1", &pod_label, vec![], vec![term(vec![e("service", "In", &["antivirusscan", "value2"])], "node")])],
            None,
        ),
        (
            "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing pod",
            pod_terms("", "", &pod_label2,
                vec![term(vec![e("service", "In", &["securityscan", "value2"])], "region")],
                vec![term(vec![e("service", "In", &["securityscan", "value2"])], "zone")]),
            vec![on1(&pod_label)],
            ANTI,
        ),
        (
            "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity symmetry with the existing pod",
            pod_terms("", "", &pod_label,
                vec![term(vec![e("service", "In", &["securityscan", "value2"])], "region")],
                vec![term(vec![e("service", "In", &["antivirusscan", "value2"])], "node")]),
            vec![pod_terms("", "machine1", &pod_label, vec![], vec![term(vec![e("service", "In", &["securityscan", "value2"])], "zone")])],
            EXISTING,
        ),
        (
            "pod matches its own Label in PodAffinity and that matches the existing pod Labels",
            pod_terms("", "", &pod_label, vec![term(vec![e("service", "NotIn", &["securityscan", "value2"])], "region")], vec![]),
            vec![pod("", "machine2", &pod_label)],
            AFF,
        ),
        (
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. doesn't satisfy PodAntiAffinity symmetry with the existing pod",
            pod("", "", &pod_label),
            vec![pod_terms("", "machine1", &pod_label, vec![], vec![term(vec![e("service", "In", &["securityscan", "value2"])], "zone")])],
            EXISTING,
        ),
        (
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. satisfy PodAntiAffinity symmetry with the existing pod",
            pod("", "", &pod_label),
            vec![pod_terms("", "machine1", &pod_label, vec![], vec![term(vec![e("service", "NotIn", &["securityscan", "value2"])], "zone")])],
            None,
        ),
        (
            "satisfies the PodAntiAffinity with existing pod but doesn't satisfy PodAntiAffinity symmetry with incoming pod",
            pod_terms("", "", &pod_label, vec![], vec![
                term(vec![e("service", "Exists", &[])], "region"),
                term(vec![e("security", "Exists", &[])], "region"),
            ]),
            vec![pod_terms("", "machine1", &pod_label2, vec![], vec![term(vec![e("security", "Exists", &[])], "zone")])],
            ANTI,
        ),
        (
            "PodAntiAffinity symmetry check a1: incoming pod and existing pod partially match each other on AffinityTerms",
            pod_terms("", "", &pod_label, vec![], vec![
                term(vec![e("service", "Exists", &[])], "zone"),
                term(vec![e("security", "Exists", &[])], "zone"),
            ]),
            vec![pod_terms("", "machine1", &pod_label2, vec![], vec![term(vec![e("security", "Exists", &[])], "zone")])],
            ANTI,
        ),
        (
            "PodAntiAffinity symmetry check a2: incoming pod and existing pod partially match each other on AffinityTerms",
            pod_terms("", "", &pod_label2, vec![], vec![term(vec![e("security", "Exists", &[])], "zone")]),
            vec![pod_terms("", "machine1", &pod_label, vec![], vec![
                term(vec![e("service", "Exists", &[])], "zone"),
                term(vec![e("security", "Exists", &[])], "zone"),
            ])],
            EXISTING,
        ),
        (
            "PodAntiAffinity symmetry check b1: incoming pod and existing pod partially match each other on AffinityTerms",
            pod_terms("", "", &[("abc", ""), ("xyz", "")], vec![], vec![
                term(vec![e("abc", "Exists", &[])], "zone"),
                term(vec![e("def", "Exists", &[])], "zone"),
            ]),
            vec![pod_terms("", "machine1", &[("def", ""), ("xyz", "")], vec![], vec![
                term(vec![e("abc", "Exists", &[])], "zone"),
                term(vec![e("def", "Exists", &[])], "zone"),
            ])],
            ANTI,
        ),
        (
            "PodAntiAffinity symmetry check b2: incoming pod and existing pod partially match each other on AffinityTerms",
            pod_terms("", "", &[("def", ""), ("xyz", "")], vec![], vec![
                term(vec![e("abc", "Exists", &[])], "zone"),
                term(vec![e("def", "Exists", &[])], "zone"),
            ]),
            vec![pod_terms("", "machine1", &[("abc", ""), ("xyz", "")], vec![], vec![
                term(vec![e("abc", "Exists", &[])], "zone"),
                term(vec![e("def", "Exists", &[])], "zone"),
            ])],
            ANTI,
        ),
    ];
    assert!(rows.len() >= 19);
    for (name, incoming, pods, want) in rows {
        run_filter(name, &incoming, &pods, &node1, &[want]);
    }
}

#[test]
fn required_affinity_multiple_nodes() {
    // Upstream TestRequiredAffinityMultipleNodes.
    let china = [("region", "China")];
    let china_az1 = [("region", "China"), ("az", "az1")];
    let india = [("region", "India")];
    let foo_in = |v: &str| vec![e("foo", "In", &[v])];

    run_filter(
        "A pod can be scheduled onto all the nodes that have the same topology key & label value with one of them has an existing pod that matches the affinity rules",
        &pod_terms("", "", &[], vec![term(foo_in("bar"), "region")], vec![]),
        &[pod("", "machine1", &[("foo", "bar")])],
        &[node("machine1", &china), node("machine2", &china_az1), node("machine3", &india)],
        &[None, None, AFF],
    );
    run_filter(
        "The affinity rule is to schedule all of the pods of this collection to the same zone. The first pod of the collection should not be blocked from being scheduled onto any node, even there's no existing pod that matches the rule anywhere.",
        &pod_terms("", "", &[("foo", "bar"), ("service", "securityscan")], vec![
            term(foo_in("bar"), "zone"),
            term(vec![e("service", "In", &["securityscan"])], "zone"),
        ], vec![]),
        &[pod("", "nodeA", &[("foo", "bar")])],
        &[node("nodeA", &[("zone", "az1"), ("hostname", "h1")]), node("nodeB", &[("zone", "az2"), ("hostname", "h2")])],
        &[None, None],
    );
    run_filter(
        "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB.",
        &pod_terms("", "", &[], vec![], vec![term(foo_in("abc"), "region")]),
        &[pod("", "nodeA", &[("foo", "abc")])],
        &[node("nodeA", &[("region", "r1"), ("hostname", "nodeA")]), node("nodeB", &[("region", "r1"), ("hostname", "nodeB")])],
        &[ANTI, ANTI],
    );
    run_filter(
        "This test ensures that anti-affinity matches a pod when any term of the anti-affinity rule matches a pod.",
        &pod_terms("", "", &[], vec![], vec![
            term(foo_in("abc"), "region"),
            term(vec![e("service", "In", &["securityscan"])], "zone"),
        ]),
        &[pod("", "nodeA", &[("foo", "abc"), ("service", "securityscan")])],
        &[node("nodeA", &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeA")]), node("nodeB", &[("region", "r1"), ("zone", "z2"), ("hostname", "nodeB")])],
        &[ANTI, ANTI],
    );
    run_filter(
        "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB but can be scheduled onto nodeC",
        &pod_terms("", "", &[], vec![], vec![term(foo_in("abc"), "region")]),
        &[pod("", "nodeA", &[("foo", "abc")])],
        &[node("nodeA", &china), node("nodeB", &china_az1), node("nodeC", &india)],
        &[ANTI, ANTI, None],
    );
    run_filter(
        "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA, nodeB, but can be scheduled onto nodeC (NodeC has an existing pod that match the inter pod affinity rule but in different namespace)",
        &pod_terms("NS1", "", &[("foo", "123")], vec![], vec![term(foo_in("bar"), "region")]),
        &[
            pod("NS1", "nodeA", &[("foo", "bar")]),
            pod_terms("NS2", "nodeC", &[], vec![], vec![term(foo_in("123"), "region")]),
        ],
        &[node("nodeA", &china), node("nodeB", &china_az1), node("nodeC", &india)],
        &[ANTI, ANTI, None],
    );
    // Nodes lacking the affinity topology key fail even when the group's first pod may
    // schedule (satisfyPodAffinity: "All topology labels must exist on the node").
    run_filter(
        "first pod of a self-affine group, node without the topology key",
        &pod_terms(
            "",
            "",
            &[("foo", "bar")],
            vec![term(foo_in("bar"), "zone")],
            vec![],
        ),
        &[],
        &[
            node("nodeA", &[("zone", "az1")]),
            node("nodeB", &[("region", "r1")]),
        ],
        &[None, AFF],
    );
    // An anti-affinity topology key missing from the node satisfies the term.
    run_filter(
        "anti-affinity key missing on node",
        &pod_terms("", "", &[], vec![], vec![term(foo_in("abc"), "zone")]),
        &[pod("", "nodeA", &[("foo", "abc")])],
        &[
            node("nodeA", &[("zone", "z1")]),
            node("nodeB", &[("region", "r1")]),
        ],
        &[ANTI, None],
    );
}

#[test]
fn namespace_selector_filtering() {
    // Modeled on upstream TestRequiredAffinityMultipleNodes' namespaceSelector rows:
    // the incoming pod's namespaceSelector is unrolled into namespaces (namespace objects);
    // existing pods' selectors see the incoming pod's namespace labels.
    let nodes = [
        node("nodeA", &[("region", "r1")]),
        node("nodeB", &[("region", "r2")]),
    ];
    let sel_term = json!({
        "labelSelector": {"matchExpressions": [e("foo", "In", &["bar"])]},
        "namespaceSelector": {"matchLabels": {"team": "team1"}},
        "topologyKey": "region",
    });
    let nss: &[(&str, &[(&str, &str)])] = &[("subteam", &[("team", "team1")]), ("other", &[])];
    run_filter_ns(
        "anti-affinity via namespaceSelector matches a pod in a selected namespace",
        &pod_terms("default", "", &[], vec![], vec![sel_term.clone()]),
        &[
            pod("subteam", "nodeA", &[("foo", "bar")]),
            pod("other", "nodeB", &[("foo", "bar")]),
        ],
        &nodes,
        nss,
        &[ANTI, None],
    );
    run_filter_ns(
        "existing pod's anti-affinity namespaceSelector sees the incoming pod's namespace labels",
        &pod("subteam", "", &[("foo", "bar")]),
        &[pod_terms(
            "default",
            "nodeA",
            &[],
            vec![],
            vec![sel_term.clone()],
        )],
        &nodes,
        nss,
        &[EXISTING, None],
    );
    run_filter_ns(
        "existing pod's anti-affinity namespaceSelector: other namespace not selected",
        &pod("other", "", &[("foo", "bar")]),
        &[pod_terms("default", "nodeA", &[], vec![], vec![sel_term])],
        &nodes,
        nss,
        &[None, None],
    );
    // An empty namespaceSelector selects every namespace, known or not.
    let all_ns = json!({
        "labelSelector": {"matchExpressions": [e("foo", "In", &["bar"])]},
        "namespaceSelector": {},
        "topologyKey": "region",
    });
    run_filter_ns(
        "empty namespaceSelector matches all namespaces",
        &pod("unknown-ns", "", &[("foo", "bar")]),
        &[pod_terms("default", "nodeB", &[], vec![], vec![all_ns])],
        &nodes,
        nss,
        &[None, EXISTING],
    );
}

#[test]
fn pre_filter_skips_without_required_terms() {
    let nodes = [node("n1", &[("zone", "z1")])];
    let snap = snapshot(&[pod("", "n1", &[("a", "b")])], &nodes, &[]);
    let pl = InterPodAffinity::new(None).unwrap();
    let mut st = CycleState::default();
    // Preferred terms alone do not make PreFilter run.
    let p = pod_full(
        "",
        "",
        &[],
        json!({"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [wterm(1, vec![e("a", "In", &["b"])], "zone")]}}),
    );
    assert!(pl.pre_filter(&mut st, &PodInfo::new(&p), &snap).is_skip());
}

/// Score every node (all feasible); `None` when PreScore skipped.
fn run_score(
    pl: &InterPodAffinity,
    incoming: &Pod,
    pods: &[Pod],
    nodes: &[Node],
) -> Option<Vec<i64>> {
    let snap = snapshot(pods, nodes, &[]);
    let pi = PodInfo::new(incoming);
    let mut st = CycleState::default();
    let feasible: Vec<usize> = (0..snap.nodes.len()).collect();
    if pl.pre_score(&mut st, &pi, &feasible, &snap).is_skip() {
        return None;
    }
    let mut scores: Vec<NodeScore> = nodes
        .iter()
        .map(|n| {
            let ni = snap.get(&n.metadata.name).unwrap();
            NodeScore {
                node: snap.index[&n.metadata.name],
                score: pl.score(&st, &pi, ni, &snap).unwrap(),
            }
        })
        .collect();
    assert!(pl.normalize(&st, &pi, &mut scores).is_success());
    Some(scores.iter().map(|s| s.score).collect())
}

fn pref(aff: Vec<Value>, anti: Vec<Value>) -> Value {
    json!({
        "podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": aff},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": anti},
    })
}

#[test]
fn preferred_affinity() {
    // Upstream TestPreferredAffinity.
    let pl = InterPodAffinity::new(None).unwrap();
    let s1 = [("security", "S1")];
    let s2 = [("security", "S2")];
    let sec = |v: &str| vec![e("security", "In", &[v])];
    let china = [("region", "China")];
    let india = [("region", "India")];
    let az1 = [("az", "az1")];
    let az2 = [("az", "az2")];
    let china_az1 = [("region", "China"), ("az", "az1")];
    let three = [
        node("node1", &china),
        node("node2", &india),
        node("node3", &az1),
    ];

    // "all nodes are same priority as Affinity is nil"
    assert_eq!(run_score(&pl, &pod("", "", &s1), &[], &three), None);
    // "Affinity: pod that matches topology key & pods in nodes will get high score comparing
    // to others which doesn't match either pods in nodes or in topology key"
    let aff_s1 = pod_full(
        "",
        "",
        &s1,
        pref(vec![wterm(5, sec("S1"), "region")], vec![]),
    );
    assert_eq!(
        run_score(
            &pl,
            &aff_s1,
            &[
                pod("", "node1", &s1),
                pod("", "node2", &s2),
                pod("", "node3", &s1)
            ],
            &three
        ),
        Some(vec![100, 0, 0])
    );
    // "All the nodes that have the same topology key & label value with one of them has an
    // existing pod that match the affinity rules, have the same score"
    assert_eq!(
        run_score(
            &pl,
            &aff_s1,
            &[pod("", "node1", &s1)],
            &[
                node("node1", &china),
                node("node2", &china_az1),
                node("node3", &india)
            ]
        ),
        Some(vec![100, 100, 0])
    );
    // "Affinity symmetry: considered only the preferredDuringSchedulingIgnoredDuringExecution
    // in pod affinity symmetry"
    assert_eq!(
        run_score(
            &pl,
            &pod("", "", &s2),
            &[
                pod_full(
                    "",
                    "node1",
                    &s1,
                    pref(vec![wterm(5, sec("S1"), "region")], vec![])
                ),
                pod_full(
                    "",
                    "node2",
                    &s2,
                    pref(vec![wterm(6, sec("S2"), "region")], vec![])
                ),
            ],
            &three
        ),
        Some(vec![0, 100, 0])
    );
    // "Anti Affinity: pod that does not match topology key & match the pods in nodes will get
    // higher score comparing to others"
    let anti_s1 = pod_full("", "", &s1, pref(vec![], vec![wterm(5, sec("S1"), "az")]));
    assert_eq!(
        run_score(
            &pl,
            &anti_s1,
            &[pod("", "node1", &s1), pod("", "node2", &s1)],
            &[node("node1", &az1), node("node2", &china)]
        ),
        Some(vec![0, 100])
    );
    // "Anti Affinity: pod that does not match existing pods in node will get high score"
    assert_eq!(
        run_score(
            &pl,
            &anti_s1,
            &[pod("", "node1", &s1), pod("", "node2", &s2)],
            &[node("node1", &az1), node("node2", &china)]
        ),
        Some(vec![0, 100])
    );
    // "Anti Affinity: one node has more matching pods comparing to other node, so the node
    // which has more unmatches will get high score"
    assert_eq!(
        run_score(
            &pl,
            &anti_s1,
            &[
                pod("", "node1", &s1),
                pod("", "node1", &s1),
                pod("", "node2", &s2)
            ],
            &[node("node1", &az1), node("node2", &india)]
        ),
        Some(vec![0, 100])
    );
    // "Anti Affinity symmetry: the existing pods in node which has anti affinity match will
    // get high score"
    assert_eq!(
        run_score(
            &pl,
            &pod("", "", &s2),
            &[
                pod_full(
                    "",
                    "node1",
                    &[],
                    pref(vec![], vec![wterm(5, sec("S2"), "az")])
                ),
                pod_full(
                    "",
                    "node2",
                    &[],
                    pref(vec![], vec![wterm(5, sec("S1"), "az")])
                ),
            ],
            &[node("node1", &az1), node("node2", &az2)]
        ),
        Some(vec![0, 100])
    );
    // "Affinity and Anti Affinity: considered only preferredDuringSchedulingIgnoredDuringExecution
    // in both pod affinity & anti affinity"
    let both = pod_full(
        "",
        "",
        &s1,
        pref(
            vec![wterm(5, sec("S1"), "region")],
            vec![wterm(5, sec("S1"), "az")],
        ),
    );
    assert_eq!(
        run_score(
            &pl,
            &both,
            &[pod("", "node1", &s1), pod("", "node2", &s1)],
            &[node("node1", &china), node("node2", &az1)]
        ),
        Some(vec![100, 0])
    );
    // "Affinity and Anti Affinity and symmetry: considered only preferredDuringSchedulingIgnoredDuringExecution
    // in both pod affinity & anti affinity & symmetry"
    let aa = pod_full(
        "",
        "",
        &s1,
        pref(
            vec![wterm(8, sec("S1"), "region")],
            vec![wterm(5, sec("S2"), "az")],
        ),
    );
    assert_eq!(
        run_score(
            &pl,
            &aa,
            &[
                pod("", "node1", &s1),
                pod("", "node2", &s2),
                pod_full(
                    "",
                    "node3",
                    &[],
                    pref(
                        vec![wterm(8, sec("S1"), "region")],
                        vec![wterm(5, sec("S2"), "az")]
                    )
                ),
                pod_full(
                    "",
                    "node4",
                    &[],
                    pref(vec![], vec![wterm(5, sec("S1"), "az")])
                ),
            ],
            &[
                node("node1", &china),
                node("node2", &az1),
                node("node3", &india),
                node("node4", &az2)
            ]
        ),
        Some(vec![100, 0, 100, 0])
    );
    // Modeled on "Avoid panic when partial nodes in a topology don't have pods with affinity"
    let req_aff_region = pod_full(
        "",
        "",
        &s1,
        json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term(vec![e("security", "In", &["S1"])], "region")]}}),
    );
    assert_eq!(
        run_score(
            &pl,
            &req_aff_region,
            &[
                pod("", "node1", &s1),
                pod_full(
                    "",
                    "node2",
                    &s2,
                    json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term(vec![e("security", "In", &["S1"])], "region")]}})
                )
            ],
            &[node("node1", &china), node("node2", &china)]
        ),
        Some(vec![0, 0])
    );
    // ignorePreferredTermsOfExistingPods: existing pods' terms are ignored (Skip) when the
    // incoming pod has no preferred terms.
    let ign = InterPodAffinity::new(Some(&crate::yaml::Node::from_json(
        &json!({"ignorePreferredTermsOfExistingPods": true}),
    )))
    .unwrap();
    assert_eq!(
        run_score(
            &ign,
            &pod("", "", &s2),
            &[
                pod_full(
                    "",
                    "node1",
                    &s1,
                    pref(vec![wterm(5, sec("S1"), "region")], vec![])
                ),
                pod_full(
                    "",
                    "node2",
                    &s2,
                    pref(vec![wterm(6, sec("S2"), "region")], vec![])
                ),
            ],
            &three
        ),
        None
    );
    // ... but the incoming pod's own preferred terms still count.
    assert_eq!(
        run_score(
            &ign,
            &aff_s1,
            &[
                pod("", "node1", &s1),
                pod("", "node2", &s2),
                pod("", "node3", &s1)
            ],
            &three
        ),
        Some(vec![100, 0, 0])
    );
}

#[test]
fn preferred_affinity_with_hard_pod_affinity_symmetric_weight() {
    // Upstream TestPreferredAffinityWithHardPodAffinitySymmetricWeight.
    let service_s1 = [("service", "S1")];
    let china = [("region", "China")];
    let india = [("region", "India")];
    let az1 = [("az", "az1")];
    let nodes = [
        node("node1", &china),
        node("node2", &india),
        node("node3", &az1),
    ];
    let stay_with_s1 = json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term(vec![e("service", "In", &["S1"])], "region")]}});
    let hard_affinity = json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        term(vec![e("service", "In", &["S1"])], "region"),
        term(vec![e("service", "In", &["S2"])], "region"),
    ]}});
    let existing = [
        pod_full("", "node1", &[], stay_with_s1.clone()),
        pod_full("", "node2", &[], stay_with_s1),
        pod_full("", "node3", &[], hard_affinity),
    ];
    let w1 = InterPodAffinity::new(Some(&crate::yaml::Node::from_json(
        &json!({"hardPodAffinityWeight": 1}),
    )))
    .unwrap();
    // "with default weight"
    assert_eq!(
        run_score(&w1, &pod("", "", &service_s1), &existing, &nodes),
        Some(vec![100, 100, 0])
    );
    // "with zero weight": no topology score at all → PreScore skips.
    let w0 = InterPodAffinity::new(Some(&crate::yaml::Node::from_json(
        &json!({"hardPodAffinityWeight": 0}),
    )))
    .unwrap();
    assert_eq!(
        run_score(&w0, &pod("", "", &service_s1), &existing, &nodes),
        None
    );
    // "with no matching pod": none of the existing required terms match.
    assert_eq!(
        run_score(&w1, &pod("", "", &[("service", "S3")]), &existing, &nodes),
        None
    );
}

#[test]
fn normalize_like_upstream() {
    // NormalizeScore: min/max over the scored nodes; equal scores all become 0.
    let pl = InterPodAffinity::new(None).unwrap();
    let mut st = CycleState::default();
    st.write(
        PRE_SCORE_STATE,
        PreScoreState {
            topology_score: OrdMap::from([("k".to_string(), OrdMap::new())]),
        },
    );
    let pi = PodInfo::new(&pod("", "", &[]));
    let run = |st: &CycleState, raw: &[i64]| {
        let mut s: Vec<NodeScore> = raw
            .iter()
            .enumerate()
            .map(|(i, &v)| NodeScore { node: i, score: v })
            .collect();
        pl.normalize(st, &pi, &mut s);
        s.iter().map(|s| s.score).collect::<Vec<_>>()
    };
    assert_eq!(run(&st, &[7, 7, 7]), [0, 0, 0]);
    assert_eq!(run(&st, &[-5, 8, 8, -5]), [0, 100, 100, 0]);
    assert_eq!(run(&st, &[-3, 0, 4]), [0, 42, 100]);
    assert_eq!(run(&st, &[1, 2, 3]), [0, 50, 100]);
    assert_eq!(run(&st, &[0, 1, 3]), [0, 33, 100]);
}

#[test]
fn args_defaults_and_validation() {
    let d = InterPodAffinity::new(None).unwrap();
    assert_eq!(d.hard_pod_affinity_weight, DEFAULT_HARD_POD_AFFINITY_WEIGHT);
    assert!(!d.ignore_preferred_terms_of_existing_pods);
    let d = InterPodAffinity::new(Some(&crate::yaml::Node::from_json(&json!({})))).unwrap();
    assert_eq!(d.hard_pod_affinity_weight, 1);
    assert_eq!(
        InterPodAffinity::new(Some(&crate::yaml::Node::from_json(
            &json!({"hardPodAffinityWeight": 0})
        )))
        .unwrap()
        .hard_pod_affinity_weight,
        0
    );
    assert_eq!(
        InterPodAffinity::new(Some(&crate::yaml::Node::from_json(
            &json!({"hardPodAffinityWeight": 100})
        )))
        .unwrap()
        .hard_pod_affinity_weight,
        100
    );
    // Upstream TestValidateInterPodAffinityArgs.
    assert_eq!(
        InterPodAffinity::new(Some(&crate::yaml::Node::from_json(
            &json!({"hardPodAffinityWeight": -1})
        )))
        .unwrap_err(),
        "hardPodAffinityWeight: Invalid value: -1: not in valid range [0-100]"
    );
    assert_eq!(
        InterPodAffinity::new(Some(&crate::yaml::Node::from_json(
            &json!({"hardPodAffinityWeight": 101})
        )))
        .unwrap_err(),
        "hardPodAffinityWeight: Invalid value: 101: not in valid range [0-100]"
    );
    assert!(
        InterPodAffinity::new(Some(&crate::yaml::Node::from_json(&json!({"bogus": 1})))).is_err()
    );
}

// ---- filtering_test.go TestPreFilterStateAddRemovePod ----

/// The three counts of the PreFilter state (existing anti-affinity, affinity,
/// anti-affinity).
type AllCounts = (TopologyCounts, TopologyCounts, TopologyCounts);

fn counts_of(state: &CycleState) -> AllCounts {
    let s = state.read::<PreFilterState>(PRE_FILTER_STATE).unwrap();
    (
        s.existing_anti_affinity_counts.clone(),
        s.affinity_counts.clone(),
        s.anti_affinity_counts.clone(),
    )
}

fn pairs(p: &[(&str, &str, i64)]) -> TopologyCounts {
    p.iter()
        .map(|(k, v, n)| ((k.to_string(), v.to_string()), *n))
        .collect()
}

/// Upstream's harness: PreFilter with `existing` (state) and with `existing` + `added`
/// (allPodsState); AddPod of `added` must give allPodsState with the expected affinity /
/// anti-affinity counts, and RemovePod must give the original state back.
fn add_remove(
    name: &str,
    pending: &Pod,
    existing: &[Pod],
    added: &Pod,
    want_anti: TopologyCounts,
    want_aff: TopologyCounts,
) {
    let nodes = [
        node("nodeA", &[("region", "r1"), ("zone", "z11")]),
        node("nodeB", &[("region", "r1"), ("zone", "z12")]),
        node("nodeC", &[("region", "r2"), ("zone", "z21")]),
    ];
    let pl = InterPodAffinity::new(None).unwrap();
    let pi = PodInfo::new(pending);
    let prefilter = |pods: &[Pod]| {
        let snap = snapshot(pods, &nodes, &[]);
        let mut st = CycleState::default();
        assert!(pl.pre_filter(&mut st, &pi, &snap).is_success(), "{name}");
        (snap, st)
    };
    let mut all = existing.to_vec();
    all.push(added.clone());
    let (_, all_state) = prefilter(&all);
    let (snap, mut state) = prefilter(existing);
    let original = counts_of(&state);
    let ni = snap.get(&added.spec.node_name).unwrap();
    let add = PodInfo::new(added);
    assert!(pl.add_pod(&mut state, &pi, &add, ni).is_success(), "{name}");
    let got = counts_of(&state);
    assert_eq!(got.2, want_anti, "{name}: antiAffinityCounts");
    assert_eq!(got.1, want_aff, "{name}: affinityCounts");
    assert_eq!(got, counts_of(&all_state), "{name}: equals allPodsState");
    assert!(
        pl.remove_pod(&mut state, &pi, &add, ni).is_success(),
        "{name}"
    );
    assert_eq!(counts_of(&state), original, "{name}: back to the original");
}

#[test]
fn pre_filter_state_add_remove_pod() {
    let foo_bar = || term(vec![e("foo", "In", &["bar"])], "region");
    let complex = || {
        vec![
            term(vec![e("foo", "In", &["bar", "buzz"])], "region"),
            term(
                vec![e("service", "NotIn", &["bar", "security", "test"])],
                "zone",
            ),
        ]
    };
    let sel = [("foo", "bar")];
    let p1 = pod("", "nodeA", &sel);
    // "preFilterState anti-affinity terms are updated correctly after adding and removing
    // a pod" (antiAffinityFooBar)
    add_remove(
        "anti-affinity foo=bar",
        &pod_terms("", "", &sel, vec![], vec![foo_bar()]),
        &[
            p1.clone(),
            pod_terms("", "nodeC", &[], vec![], vec![foo_bar()]),
        ],
        &pod_terms("", "nodeB", &sel, vec![], vec![foo_bar()]),
        pairs(&[("region", "r1", 2)]),
        pairs(&[]),
    );
    // Same name, antiAffinityComplex.
    add_remove(
        "anti-affinity complex",
        &pod_terms("", "", &sel, vec![], complex()),
        &[
            p1.clone(),
            pod_terms("", "nodeC", &[], vec![], vec![foo_bar()]),
        ],
        &pod_terms("", "nodeA", &sel, vec![], complex()),
        pairs(&[("region", "r1", 2), ("zone", "z11", 2), ("zone", "z21", 1)]),
        pairs(&[]),
    );
    // "preFilterState matching pod affinity and anti-affinity are updated correctly after
    // adding and removing a pod"
    add_remove(
        "affinity complex",
        &pod_terms("", "", &sel, complex(), vec![]),
        &[p1, pod_terms("", "nodeC", &[], complex(), vec![foo_bar()])],
        &pod_terms("", "nodeA", &sel, vec![], complex()),
        pairs(&[]),
        pairs(&[("region", "r1", 2), ("zone", "z11", 2)]),
    );
}

#[test]
fn filter_after_remove_pod_clears_existing_anti_affinity() {
    // The dry-run use: an existing pod's required anti-affinity against the incoming pod
    // blocks its node until RemovePod takes it out of a cloned state.
    let nodes = [node("n1", &[("hostname", "n1")])];
    let anti = pod_terms(
        "",
        "n1",
        &[("foo", "")],
        vec![],
        vec![term(vec![e("foo", "Exists", &[])], "hostname")],
    );
    let snap = snapshot(std::slice::from_ref(&anti), &nodes, &[]);
    let pl = InterPodAffinity::new(None).unwrap();
    let pi = PodInfo::new(&pod("", "", &[("foo", "")]));
    let mut state = CycleState::default();
    assert!(pl.pre_filter(&mut state, &pi, &snap).is_success());
    let n1 = snap.get("n1").unwrap();
    assert_eq!(pl.filter(&state, &pi, n1, &snap).code, Code::Unschedulable);
    let mut copy = state.clone();
    let mut ni = n1.clone();
    let victim = ni.take_pod(&n1.pods[0].key).unwrap();
    assert!(pl.remove_pod(&mut copy, &pi, &victim, &ni).is_success());
    assert!(pl.filter(&copy, &pi, &ni, &snap).is_success());
    assert_eq!(pl.filter(&state, &pi, n1, &snap).code, Code::Unschedulable);
    // Without PreFilter state the extensions report an error, as upstream.
    let mut empty = CycleState::default();
    assert_eq!(pl.add_pod(&mut empty, &pi, &victim, &ni).code, Code::Error);
}
