//! Upstream kube-scheduler test tables (kubernetes/kubernetes, Apache-2.0), transcribed row by
//! row and run against cellsim's plugins and configuration code through the public API. Each
//! table has one `check` helper; each row names the upstream test case it comes from.
//!
//! Sources (pkg/scheduler/...):
//! - framework/plugins/noderesources/fit_test.go @007f7ae7: TestEnoughRequests,
//!   TestNotEnoughRequests, TestStorageRequests. The node is
//!   `makeResources(10, 20, 32, 5, 20, 5)`: cpu 10m, memory 20, pods 32, example.com/aaa 5,
//!   ephemeral-storage 20, hugepages-2Mi 5 (TestNotEnoughRequests: pods 1). Status codes follow
//!   v1.35 fit.go: `UnschedulableAndUnresolvable` when a request exceeds the node's allocatable
//!   outright (`InsufficientResource.Unresolvable`), else `Unschedulable`.
//! - framework/plugins/nodeaffinity/node_affinity_test.go @022462cc: TestNodeAffinity (Filter).
//! - framework/plugins/nodename, nodeunschedulable, nodeports *_test.go: Filter rows.
//! - framework/plugins/imagelocality/image_locality_test.go: TestImageLocalityPriority.
//! - framework/runtime/framework_test.go: TestNewFrameworkMultiPointExpansion (test plugins
//!   mapped onto in-tree ones with the same extension points: see `expansion_rows`).
//! - apis/config/validation/validation_test.go: TestValidateKubeSchedulerConfigurationV1.

use cellsim_core::api::node::Node;
use cellsim_core::api::pod::Pod;
use cellsim_core::sched::config::expand::{expand, Plugins};
use cellsim_core::sched::framework::{Code, CycleState, Plugin, PodInfo, Point, Snapshot, Status};
use cellsim_core::sched::registry;
use serde_json::{json, Value};
use std::rc::Rc;

// ---------------------------------------------------------------- builders

fn node(v: Value) -> Node {
    serde_json::from_value(v).expect("node json")
}

fn pod(v: Value) -> Pod {
    let mut v = v;
    if v.get("metadata").is_none() {
        v["metadata"] = json!({"name": "p", "namespace": "default"});
    }
    if v.get("spec").is_none() {
        v["spec"] = json!({});
    }
    serde_json::from_value(v).expect("pod json")
}

/// A container with these requests (`{}` = none set).
fn c(req: Value) -> Value {
    json!({"name": "c", "image": "pause", "resources": {"requests": req}})
}

/// `newResourcePod(...)`: one container per request list.
fn rpod(containers: &[Value]) -> Value {
    let cs: Vec<Value> = containers.iter().map(|r| c(r.clone())).collect();
    json!({"spec": {"containers": cs}})
}

/// `newResourceInitPod(pod, ...)`.
fn with_init(mut p: Value, inits: &[Value]) -> Value {
    let cs: Vec<Value> = inits.iter().map(|r| c(r.clone())).collect();
    p["spec"]["initContainers"] = json!(cs);
    p
}

fn snapshot(nodes: Vec<Node>, existing: &[(&str, Value)]) -> Snapshot {
    let mut s = Snapshot::default();
    for n in nodes {
        s.set_node(n);
    }
    for (i, (on, p)) in existing.iter().enumerate() {
        let mut p = p.clone();
        p["metadata"] = json!({"name": format!("existing-{i}"), "namespace": "default"});
        p["spec"]["nodeName"] = json!(on);
        s.add_pod(on, Rc::new(PodInfo::new(&pod(p))));
    }
    s
}

/// A plugin built with `args` as a pluginConfig would give them: JSON is YAML, so the args go
/// through the scenario parser as written.
fn plugin(name: &str, args: Option<Value>) -> Rc<dyn Plugin> {
    let args = args.map(|a| {
        cellsim_core::yaml::parse_documents("args", &a.to_string())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .remove(0)
    });
    registry::build(name, args.as_ref()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// PreFilter then Filter on one node, as the framework runs them (a PreFilter `Skip` skips
/// the Filter).
fn run_filter(pl: &dyn Plugin, p: &PodInfo, snap: &Snapshot, node: &str) -> Status {
    let mut state = CycleState::default();
    if pl.points().contains(&Point::PreFilter) {
        let s = pl.pre_filter(&mut state, p, snap);
        if s.is_skip() {
            return Status::success();
        }
        if !s.is_success() {
            return s;
        }
    }
    pl.filter(&state, p, snap.get(node).expect("node"), snap)
}

type Want<'a> = Option<(Code, Vec<&'a str>)>;

/// One Filter row: `want` None = fits; else the status code and reasons.
fn check_filter(
    table: &str,
    row: &str,
    pl: &dyn Plugin,
    p: Value,
    snap: &Snapshot,
    n: &str,
    want: Want,
) {
    let pi = PodInfo::new(&pod(p));
    let got = run_filter(pl, &pi, snap, n);
    match want {
        None => assert!(
            got.is_success(),
            "{table} / {row}: want success, got {got:?}"
        ),
        Some((code, reasons)) => {
            assert_eq!(got.code, code, "{table} / {row}: code ({got:?})");
            assert_eq!(got.reasons, reasons, "{table} / {row}: reasons");
        }
    }
}

// ---------------------------------------------------------------- NodeResourcesFit Filter

const EXT_A: &str = "example.com/aaa";
const EXT_B: &str = "example.com/bbb";
const K8S_A: &str = "kubernetes.io/something";
const K8S_B: &str = "subdomain.kubernetes.io/something";
const HUGE_A: &str = "hugepages-2Mi";

fn fit_node(pods: i64) -> Node {
    let alloc = json!({"cpu": "10m", "memory": "20", "pods": pods.to_string(), EXT_A: "5",
                       "ephemeral-storage": "20", HUGE_A: "5"});
    node(json!({"metadata": {"name": "node"}, "status": {"allocatable": alloc, "capacity": alloc}}))
}

fn r(cpu_m: i64, mem: i64) -> Value {
    json!({"cpu": format!("{cpu_m}m"), "memory": mem.to_string()})
}

fn rx(cpu_m: i64, mem: i64, name: &str, n: i64) -> Value {
    let mut v = r(cpu_m, mem);
    v[name] = json!(n.to_string());
    v
}

#[test]
fn noderesources_fit_test_enough_requests() {
    const T: &str = "fit_test.go TestEnoughRequests";
    let u = Code::Unschedulable;
    let uu = Code::UnschedulableAndUnresolvable;
    let ins = |n: &str| format!("Insufficient {n}");
    let (i_cpu, i_mem, i_a, i_b) = (ins("cpu"), ins("memory"), ins(EXT_A), ins(EXT_B));
    let (i_ka, i_kb, i_h) = (ins(K8S_A), ins(K8S_B), ins(HUGE_A));
    // (name, pod, existing pod on the node, ignoredResources, want)
    let rows: Vec<(&str, Value, Value, Option<Value>, Want)> = vec![
        ("no resources requested always fits", json!({"spec": {"containers": []}}), rpod(&[r(10, 20)]), None, None),
        ("too many resources fails", rpod(&[r(1, 1)]), rpod(&[r(10, 20)]), None,
            Some((u, vec![i_cpu.as_str(), i_mem.as_str()]))),
        ("too many resources fails due to init container cpu", with_init(rpod(&[r(1, 1)]), &[r(3, 1)]), rpod(&[r(8, 19)]), None,
            Some((u, vec![i_cpu.as_str()]))),
        ("too many resources fails due to highest init container cpu", with_init(rpod(&[r(1, 1)]), &[r(3, 1), r(2, 1)]), rpod(&[r(8, 19)]), None,
            Some((u, vec![i_cpu.as_str()]))),
        ("too many resources fails due to init container memory", with_init(rpod(&[r(1, 1)]), &[r(1, 3)]), rpod(&[r(9, 19)]), None,
            Some((u, vec![i_mem.as_str()]))),
        ("too many resources fails due to highest init container memory", with_init(rpod(&[r(1, 1)]), &[r(1, 3), r(1, 2)]), rpod(&[r(9, 19)]), None,
            Some((u, vec![i_mem.as_str()]))),
        ("init container fits because it's the max, not sum, of containers and init containers", with_init(rpod(&[r(1, 1)]), &[r(1, 1)]), rpod(&[r(9, 19)]), None, None),
        ("multiple init containers fit because it's the max, not sum, of containers and init containers", with_init(rpod(&[r(1, 1)]), &[r(1, 1), r(1, 1)]), rpod(&[r(9, 19)]), None, None),
        ("both resources fit", rpod(&[r(1, 1)]), rpod(&[r(5, 5)]), None, None),
        ("one resource memory fits", rpod(&[r(2, 1)]), rpod(&[r(9, 5)]), None, Some((u, vec![i_cpu.as_str()]))),
        ("one resource cpu fits", rpod(&[r(1, 2)]), rpod(&[r(5, 19)]), None, Some((u, vec![i_mem.as_str()]))),
        ("equal edge case", rpod(&[r(5, 1)]), rpod(&[r(5, 19)]), None, None),
        ("equal edge case for init container", with_init(rpod(&[r(4, 1)]), &[r(5, 1)]), rpod(&[r(5, 19)]), None, None),
        ("extended resource fits", rpod(&[json!({EXT_A: "1"})]), rpod(&[json!({})]), None, None),
        ("extended resource fits for init container", with_init(rpod(&[json!({})]), &[json!({EXT_A: "1"})]), rpod(&[json!({})]), None, None),
        ("extended resource capacity enforced", rpod(&[rx(1, 1, EXT_A, 10)]), rpod(&[rx(0, 0, EXT_A, 0)]), None,
            Some((uu, vec![i_a.as_str()]))),
        ("extended resource capacity enforced for init container", with_init(rpod(&[json!({})]), &[rx(1, 1, EXT_A, 10)]), rpod(&[rx(0, 0, EXT_A, 0)]), None,
            Some((uu, vec![i_a.as_str()]))),
        ("extended resource allocatable enforced", rpod(&[rx(1, 1, EXT_A, 1)]), rpod(&[rx(0, 0, EXT_A, 5)]), None,
            Some((u, vec![i_a.as_str()]))),
        ("extended resource allocatable enforced for init container", with_init(rpod(&[json!({})]), &[rx(1, 1, EXT_A, 1)]), rpod(&[rx(0, 0, EXT_A, 5)]), None,
            Some((u, vec![i_a.as_str()]))),
        ("extended resource allocatable enforced for multiple containers", rpod(&[rx(1, 1, EXT_A, 3), rx(1, 1, EXT_A, 3)]), rpod(&[rx(0, 0, EXT_A, 2)]), None,
            Some((uu, vec![i_a.as_str()]))),
        ("extended resource allocatable admits multiple init containers", with_init(rpod(&[json!({})]), &[rx(1, 1, EXT_A, 3), rx(1, 1, EXT_A, 3)]), rpod(&[rx(0, 0, EXT_A, 2)]), None, None),
        ("extended resource allocatable enforced for multiple init containers", with_init(rpod(&[json!({})]), &[rx(1, 1, EXT_A, 6), rx(1, 1, EXT_A, 3)]), rpod(&[rx(0, 0, EXT_A, 2)]), None,
            Some((uu, vec![i_a.as_str()]))),
        ("extended resource allocatable enforced for unknown resource", rpod(&[rx(1, 1, EXT_B, 1)]), rpod(&[r(0, 0)]), None,
            Some((uu, vec![i_b.as_str()]))),
        ("extended resource allocatable enforced for unknown resource for init container", with_init(rpod(&[json!({})]), &[rx(1, 1, EXT_B, 1)]), rpod(&[r(0, 0)]), None,
            Some((uu, vec![i_b.as_str()]))),
        ("kubernetes.io resource capacity enforced", rpod(&[rx(1, 1, K8S_A, 10)]), rpod(&[r(0, 0)]), None,
            Some((uu, vec![i_ka.as_str()]))),
        ("kubernetes.io resource capacity enforced for init container", with_init(rpod(&[json!({})]), &[rx(1, 1, K8S_B, 10)]), rpod(&[r(0, 0)]), None,
            Some((uu, vec![i_kb.as_str()]))),
        ("hugepages resource capacity enforced", rpod(&[rx(1, 1, HUGE_A, 10)]), rpod(&[rx(0, 0, HUGE_A, 0)]), None,
            Some((uu, vec![i_h.as_str()]))),
        ("hugepages resource capacity enforced for init container", with_init(rpod(&[json!({})]), &[rx(1, 1, HUGE_A, 10)]), rpod(&[rx(0, 0, HUGE_A, 0)]), None,
            Some((uu, vec![i_h.as_str()]))),
        ("hugepages resource allocatable enforced for multiple containers", rpod(&[rx(1, 1, HUGE_A, 3), rx(1, 1, HUGE_A, 3)]), rpod(&[rx(0, 0, HUGE_A, 2)]), None,
            Some((uu, vec![i_h.as_str()]))),
        ("skip checking ignored extended resource", rpod(&[rx(1, 1, EXT_B, 1)]), rpod(&[r(0, 0)]),
            Some(json!({"ignoredResources": [EXT_B]})), None),
        ("resources + pod overhead fits", {
            let mut p = rpod(&[r(1, 1)]);
            p["spec"]["overhead"] = json!({"cpu": "3m", "memory": "13"});
            p
        }, rpod(&[r(5, 5)]), None, None),
        ("requests + overhead does not fit for memory", {
            let mut p = rpod(&[r(1, 1)]);
            p["spec"]["overhead"] = json!({"cpu": "1m", "memory": "15"});
            p
        }, rpod(&[r(5, 5)]), None, Some((u, vec![i_mem.as_str()]))),
    ];
    for (name, p, existing, args, want) in rows {
        let pl = plugin("NodeResourcesFit", args);
        let snap = snapshot(vec![fit_node(32)], &[("node", existing)]);
        check_filter(T, name, pl.as_ref(), p, &snap, "node", want);
    }
}

#[test]
fn noderesources_fit_test_not_enough_requests_and_storage() {
    let u = Code::Unschedulable;
    let too_many: Want = Some((u, vec!["Too many pods"]));
    let rows: Vec<(&str, Value, Value, Want)> = vec![
        ("even without specified resources predicate fails when there's no space for additional pod", json!({"spec": {"containers": []}}), rpod(&[r(10, 20)]), too_many.clone()),
        ("even if both resources fit predicate fails when there's no space for additional pod", rpod(&[r(1, 1)]), rpod(&[r(5, 5)]), too_many.clone()),
        ("even for equal edge case predicate fails when there's no space for additional pod", rpod(&[r(5, 1)]), rpod(&[r(5, 19)]), too_many.clone()),
        ("even for equal edge case predicate fails when there's no space for additional pod due to init container", with_init(rpod(&[r(5, 1)]), &[r(5, 1)]), rpod(&[r(5, 19)]), too_many.clone()),
    ];
    let pl = plugin("NodeResourcesFit", None);
    for (name, p, existing, want) in rows {
        // makeAllocatableResources(10, 20, 1, 0, 0, 0): room for one pod, already taken.
        let alloc = json!({"cpu": "10m", "memory": "20", "pods": "1"});
        let n = node(json!({"metadata": {"name": "node"}, "status": {"allocatable": alloc}}));
        let snap = snapshot(vec![n], &[("node", existing)]);
        check_filter(
            "fit_test.go TestNotEnoughRequests",
            name,
            pl.as_ref(),
            p,
            &snap,
            "node",
            want,
        );
    }
    let storage = |n: i64| json!({"ephemeral-storage": n.to_string()});
    let rows: Vec<(&str, Value, Value, Want)> = vec![
        (
            "due to container scratch disk",
            rpod(&[r(1, 1)]),
            rpod(&[r(10, 10)]),
            Some((u, vec!["Insufficient cpu"])),
        ),
        ("pod fit", rpod(&[r(1, 1)]), rpod(&[r(2, 10)]), None),
        (
            "storage ephemeral local storage request exceeds allocatable",
            rpod(&[storage(25)]),
            rpod(&[r(2, 2)]),
            Some((
                Code::UnschedulableAndUnresolvable,
                vec!["Insufficient ephemeral-storage"],
            )),
        ),
        ("pod fits", rpod(&[storage(10)]), rpod(&[r(2, 2)]), None),
    ];
    for (name, p, existing, want) in rows {
        let snap = snapshot(vec![fit_node(32)], &[("node", existing)]);
        check_filter(
            "fit_test.go TestStorageRequests",
            name,
            pl.as_ref(),
            p,
            &snap,
            "node",
            want,
        );
    }
}

// ---------------------------------------------------------------- NodeAffinity Filter

fn labelled(name: &str, labels: Value) -> Node {
    node(json!({"metadata": {"name": name, "labels": labels}}))
}

fn required(terms: Value) -> Value {
    json!({"spec": {"containers": [], "affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}}})
}

fn expr(key: &str, op: &str, values: &[&str]) -> Value {
    if values.is_empty() {
        json!({"key": key, "operator": op})
    } else {
        json!({"key": key, "operator": op, "values": values})
    }
}

#[test]
fn nodeaffinity_test_node_affinity_filter() {
    const T: &str = "node_affinity_test.go TestNodeAffinity";
    let fail: Want = Some((
        Code::UnschedulableAndUnresolvable,
        vec!["node(s) didn't match Pod's node affinity/selector"],
    ));
    let sel = |m: Value| json!({"spec": {"containers": [], "nodeSelector": m}});
    let name_field = |v: &str| json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": [v]}]});
    // (row, pod, node name, node labels, want)
    let rows: Vec<(&str, Value, &str, Value, Want)> = vec![
        ("missing labels", sel(json!({"foo": "bar"})), "node1", json!({}), fail.clone()),
        ("same labels", sel(json!({"foo": "bar"})), "node1", json!({"foo": "bar"}), None),
        ("node labels are superset", sel(json!({"foo": "bar"})), "node1", json!({"foo": "bar", "baz": "blah"}), None),
        ("node labels are subset", sel(json!({"foo": "bar", "baz": "blah"})), "node1", json!({"foo": "bar"}), fail.clone()),
        ("Pod with matchExpressions using In operator that matches the existing node",
            required(json!([{"matchExpressions": [expr("foo", "In", &["bar", "value2"])]}])), "node1", json!({"foo": "bar"}), None),
        ("Pod with matchExpressions using Gt operator that matches the existing node",
            required(json!([{"matchExpressions": [expr("kernel-version", "Gt", &["0204"])]}])), "node1", json!({"kernel-version": "0206"}), None),
        ("Pod with matchExpressions using NotIn operator that matches the existing node",
            required(json!([{"matchExpressions": [expr("mem-type", "NotIn", &["DDR", "DDR2"])]}])), "node1", json!({"mem-type": "DDR3"}), None),
        ("Pod with matchExpressions using Exists operator that matches the existing node",
            required(json!([{"matchExpressions": [expr("GPU", "Exists", &[])]}])), "node1", json!({"GPU": "NVIDIA-GRID-K1"}), None),
        ("Pod with affinity that don't match node's labels won't schedule onto the node",
            required(json!([{"matchExpressions": [expr("foo", "In", &["value1", "value2"])]}])), "node1", json!({"foo": "bar"}), fail.clone()),
        ("Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node",
            required(json!([{"matchExpressions": []}])), "node1", json!({"foo": "bar"}), fail.clone()),
        ("Pod with no Affinity will schedule onto a node", json!({"spec": {"containers": []}}), "node1", json!({"foo": "bar"}), None),
        ("Pod with Affinity but nil NodeSelector will schedule onto a node",
            json!({"spec": {"containers": [], "affinity": {"nodeAffinity": {}}}}), "node1", json!({"foo": "bar"}), None),
        ("Pod with multiple matchExpressions ANDed that matches the existing node",
            required(json!([{"matchExpressions": [expr("GPU", "Exists", &[]), expr("GPU", "NotIn", &["AMD", "INTER"])]}])), "node1", json!({"GPU": "NVIDIA-GRID-K1"}), None),
        ("Pod with multiple matchExpressions ANDed that doesn't match the existing node",
            required(json!([{"matchExpressions": [expr("GPU", "Exists", &[]), expr("GPU", "In", &["AMD", "INTER"])]}])), "node1", json!({"GPU": "NVIDIA-GRID-K1"}), fail.clone()),
        ("Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node",
            required(json!([{"matchExpressions": [expr("foo", "In", &["bar", "value2"])]}, {"matchExpressions": [expr("diffkey", "In", &["wrong", "value2"])]}])),
            "node1", json!({"foo": "bar"}), None),
        ("Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are deprecating) both are satisfied, will schedule onto the node", {
            let mut p = required(json!([{"matchExpressions": [expr("foo", "Exists", &[])]}]));
            p["spec"]["nodeSelector"] = json!({"foo": "bar"});
            p
        }, "node1", json!({"foo": "bar"}), None),
        ("Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(the old thing that we are deprecating) is not satisfied, won't schedule onto the node", {
            let mut p = required(json!([{"matchExpressions": [expr("foo", "Exists", &[])]}]));
            p["spec"]["nodeSelector"] = json!({"foo": "bar"});
            p
        }, "node1", json!({"foo": "barrrrrr"}), fail.clone()),
        ("Pod with an invalid value in Affinity term won't be scheduled onto the node",
            required(json!([{"matchExpressions": [expr("foo", "NotIn", &["invalid value: ___@#$%^"])]}])), "node1", json!({"foo": "bar"}), fail.clone()),
        ("Pod with matchFields using In operator that matches the existing node",
            required(json!([name_field("node1")])), "node1", json!({}), None),
        ("Pod with matchFields using In operator that does not match the existing node",
            required(json!([name_field("node1")])), "node2", json!({}), fail.clone()),
        ("Pod with two terms: matchFields does not match, but matchExpressions matches",
            required(json!([{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": ["node1"]},
                {"key": "metadata.name", "operator": "In", "values": ["node2"]}]},
                {"matchExpressions": [expr("foo", "In", &["bar"])]}])), "node2", json!({"foo": "bar"}), None),
    ];
    let pl = plugin("NodeAffinity", None);
    for (name, p, n, labels, want) in rows {
        let snap = snapshot(vec![labelled(n, labels)], &[]);
        check_filter(T, name, pl.as_ref(), p, &snap, n, want);
    }
}

// ---------------------------------------------------------------- NodeName / NodeUnschedulable / NodePorts

#[test]
fn nodename_nodeunschedulable_nodeports_filters() {
    let uu = Code::UnschedulableAndUnresolvable;
    // node_name_test.go TestNodeName
    let pl = plugin("NodeName", None);
    let snap = snapshot(vec![labelled("foo", json!({}))], &[]);
    let on = |n: &str| json!({"spec": {"containers": [], "nodeName": n}});
    for (name, p, want) in [
        (
            "no host specified",
            json!({"spec": {"containers": []}}),
            None,
        ),
        ("host matches", on("foo"), None),
        (
            "host doesn't match",
            on("bar"),
            Some((uu, vec!["node(s) didn't match the requested node name"])),
        ),
    ] {
        check_filter(
            "node_name_test.go TestNodeName",
            name,
            pl.as_ref(),
            p,
            &snap,
            "foo",
            want,
        );
    }
    // node_unschedulable_test.go TestNodeUnschedulable
    let pl = plugin("NodeUnschedulable", None);
    let tol = json!({"spec": {"containers": [], "tolerations": [
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]}});
    let plain = json!({"spec": {"containers": []}});
    let unsched: Want = Some((uu, vec!["node(s) were unschedulable"]));
    for (name, p, unschedulable, want) in [
        (
            "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)",
            plain.clone(),
            true,
            unsched.clone(),
        ),
        ("Schedule pod to normal node", plain.clone(), false, None),
        (
            "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)",
            tol.clone(),
            true,
            None,
        ),
    ] {
        let n = node(json!({"metadata": {"name": "n"}, "spec": {"unschedulable": unschedulable}}));
        let snap = snapshot(vec![n], &[]);
        check_filter(
            "node_unschedulable_test.go TestNodeUnschedulable",
            name,
            pl.as_ref(),
            p,
            &snap,
            "n",
            want,
        );
    }
    // node_ports_test.go TestNodePorts: newPod(host, "proto/ip/port"...)
    let pl = plugin("NodePorts", None);
    let ports = |ps: &[&str]| {
        let ports: Vec<Value> = ps
            .iter()
            .map(|s| {
                let f: Vec<&str> = s.split('/').collect();
                json!({"containerPort": f[2].parse::<i32>().unwrap(), "hostPort": f[2].parse::<i32>().unwrap(),
                       "protocol": f[0], "hostIP": f[1]})
            })
            .collect();
        json!({"spec": {"containers": [{"name": "c", "image": "pause", "ports": ports}]}})
    };
    let busy: Want = Some((
        Code::Unschedulable,
        vec!["node(s) didn't have free ports for the requested pod ports"],
    ));
    let rows: Vec<(&str, Value, Vec<&str>, Want)> = vec![
        (
            "nothing running",
            json!({"spec": {"containers": []}}),
            vec![],
            None,
        ),
        (
            "other port",
            ports(&["UDP/127.0.0.1/8080"]),
            vec!["UDP/127.0.0.1/9090"],
            None,
        ),
        (
            "same udp port",
            ports(&["UDP/127.0.0.1/8080"]),
            vec!["UDP/127.0.0.1/8080"],
            busy.clone(),
        ),
        (
            "same tcp port",
            ports(&["TCP/127.0.0.1/8080"]),
            vec!["TCP/127.0.0.1/8080"],
            busy.clone(),
        ),
        (
            "different host ip",
            ports(&["TCP/127.0.0.1/8080"]),
            vec!["TCP/127.0.0.2/8080"],
            None,
        ),
        (
            "different protocol",
            ports(&["UDP/127.0.0.1/8080"]),
            vec!["TCP/127.0.0.1/8080"],
            None,
        ),
        (
            "second udp port conflict",
            ports(&["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"]),
            vec!["UDP/127.0.0.1/8080"],
            busy.clone(),
        ),
        (
            "first tcp port conflict",
            ports(&["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"]),
            vec!["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"],
            busy.clone(),
        ),
        (
            "first tcp port conflict due to 0.0.0.0 hostIP",
            ports(&["TCP/0.0.0.0/8001"]),
            vec!["TCP/127.0.0.1/8001"],
            busy.clone(),
        ),
        (
            "TCP hostPort conflict due to 0.0.0.0 hostIP",
            ports(&["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"]),
            vec!["TCP/127.0.0.1/8001"],
            busy.clone(),
        ),
        (
            "second tcp port conflict to 0.0.0.0 hostIP",
            ports(&["TCP/127.0.0.1/8001"]),
            vec!["TCP/0.0.0.0/8001"],
            busy.clone(),
        ),
        (
            "second different protocol",
            ports(&["UDP/127.0.0.1/8001"]),
            vec!["TCP/0.0.0.0/8001"],
            None,
        ),
        (
            "UDP hostPort conflict due to 0.0.0.0 hostIP",
            ports(&["UDP/127.0.0.1/8001"]),
            vec!["TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"],
            busy.clone(),
        ),
    ];
    for (name, p, used, want) in rows {
        let existing = if used.is_empty() {
            vec![]
        } else {
            vec![("n", ports(&used))]
        };
        let snap = snapshot(vec![labelled("n", json!({}))], &existing);
        check_filter(
            "node_ports_test.go TestNodePorts",
            name,
            pl.as_ref(),
            p,
            &snap,
            "n",
            want,
        );
    }
}

// ---------------------------------------------------------------- configuration

/// One KubeSchedulerConfiguration row: `want_err` None = valid; else a substring of the error.
fn check_config(table: &str, row: &str, yaml: &str, want_err: Option<&str>) {
    let docs = cellsim_core::yaml::parse_documents("cfg.yaml", yaml).expect("yaml");
    let got = cellsim_core::sched::config::decode("cfg.yaml", &docs[0]);
    match (want_err, got) {
        (None, Ok(_)) => {}
        (None, Err(e)) => panic!("{table} / {row}: unexpected error {e}"),
        (Some(w), Ok(_)) => panic!("{table} / {row}: want error containing {w:?}, got Ok"),
        (Some(w), Err(e)) => assert!(
            e.to_string().contains(w),
            "{table} / {row}: want error containing {w:?}, got {e}"
        ),
    }
}

#[test]
fn validation_test_kube_scheduler_configuration() {
    const T: &str = "validation_test.go TestValidateKubeSchedulerConfigurationV1";
    let head = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";
    let rows: &[(&str, &str, Option<&str>)] = &[
        ("valid config", "profiles:\n- schedulerName: me\n- schedulerName: other\n", None),
        ("bad-percentage-nodes-to-score", "percentageOfNodesToScore: 200\n",
            Some("percentageOfNodesToScore: Invalid value: 200")),
        ("bad-percentage-nodes-to-score (profile)", "profiles:\n- schedulerName: me\n  percentageOfNodesToScore: 101\n",
            Some("profiles[0].percentageOfNodesToScore: Invalid value: 101")),
        ("bad-pod-initial-backoff-seconds", "podInitialBackoffSeconds: 0\n",
            Some("podInitialBackoffSeconds: Invalid value: 0")),
        ("bad-pod-max-backoff-seconds (below initial)", "podInitialBackoffSeconds: 5\npodMaxBackoffSeconds: 3\n",
            Some("podMaxBackoffSeconds: Invalid value: 3")),
        ("scheduler-name-not-set", "profiles:\n- schedulerName: me\n- schedulerName: \"\"\n",
            Some("profiles[1].schedulerName: Required value")),
        ("repeated-scheduler-name", "profiles:\n- schedulerName: me\n- schedulerName: me\n",
            Some("profiles[1].schedulerName: Duplicate value")),
        ("different-queue-sort (cellsim has one in-tree QueueSort plugin, so a second profile naming another is rejected as nonexistent)",
            "profiles:\n- schedulerName: me\n- schedulerName: other\n  plugins:\n    queueSort:\n      enabled:\n      - name: CustomSort\n      disabled:\n      - name: \"*\"\n",
            Some("does not exist")),
        ("bad-plugin-weight (score weight out of range)",
            "profiles:\n- schedulerName: me\n  plugins:\n    score:\n      enabled:\n      - name: ImageLocality\n        weight: 101\n",
            Some("weight: Invalid value: 101")),
        ("repeated-plugin-config", "profiles:\n- schedulerName: me\n  pluginConfig:\n  - name: NodeResourcesFit\n  - name: NodeResourcesFit\n",
            Some("profiles[0].pluginConfig[1]: Duplicate value")),
        ("bad-resource-weight (NodeResourcesFitArgs)",
            "profiles:\n- schedulerName: me\n  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n        resources:\n        - name: cpu\n          weight: 0\n",
            Some("scoringStrategy.resources[0].weight: Invalid value: 0")),
    ];
    for (name, body, want) in rows {
        check_config(T, name, &format!("{head}{body}"), *want);
    }
}

/// One TestNewFrameworkMultiPointExpansion row through `expand` (no merge with the defaults,
/// as upstream's NewFramework test). Upstream's test plugins are mapped onto in-tree plugins
/// with the same extension points where one exists: `scorePlugin1` → ImageLocality (Score),
/// `scoreWithNormalizePlugin1` → TaintToleration, `queueSortPlugin` → PrioritySort,
/// `bindPlugin` → DefaultBinder; `testPlugin` (every point) → NodeAffinity with PrioritySort
/// and DefaultBinder beside it for the queueSort/bind points.
fn check_expand(
    row: &str,
    plugins: Value,
    want: Result<&[(Point, &[&str])], &str>,
    weights: &[(&str, i64)],
) {
    const T: &str = "framework_test.go TestNewFrameworkMultiPointExpansion";
    let plugins: Plugins = serde_json::from_value(plugins).expect("plugins json");
    match (expand("default-scheduler", &plugins), want) {
        (Err(e), Err(w)) => assert!(e.contains(w), "{T} / {row}: want {w:?}, got {e}"),
        (Err(e), Ok(_)) => panic!("{T} / {row}: unexpected error {e}"),
        (Ok(_), Err(w)) => panic!("{T} / {row}: want error {w:?}"),
        (Ok(spec), Ok(points)) => {
            for (p, names) in points {
                assert_eq!(&spec.points[p], names, "{T} / {row}: {p:?}");
            }
            let got: Vec<(&str, i64)> = spec
                .score_weights
                .iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect();
            let mut want: Vec<(&str, i64)> = weights.to_vec();
            want.sort();
            assert_eq!(got, want, "{T} / {row}: weights");
        }
    }
}

#[test]
fn framework_test_multipoint_expansion() {
    use Point::*;
    let mp = |names: &[(&str, i64)]| {
        let e: Vec<Value> = names
            .iter()
            .map(|(n, w)| {
                if *w == 0 {
                    json!({"name": n})
                } else {
                    json!({"name": n, "weight": w})
                }
            })
            .collect();
        e
    };
    let base = [("PrioritySort", 0), ("DefaultBinder", 0)];
    let with = |extra: &[(&str, i64)]| {
        let mut v = mp(&base);
        v.extend(mp(extra));
        v
    };
    check_expand(
        "plugin expansion",
        json!({"multiPoint": {"enabled": with(&[("NodeAffinity", 5)])}}),
        Ok(&[
            (QueueSort, &["PrioritySort"]),
            (PreFilter, &["NodeAffinity"]),
            (Filter, &["NodeAffinity"]),
            (PreScore, &["NodeAffinity"]),
            (Score, &["NodeAffinity"]),
            (Bind, &["DefaultBinder"]),
        ]),
        &[("NodeAffinity", 5)],
    );
    check_expand(
        "disable MultiPoint plugin at some extension points",
        json!({"multiPoint": {"enabled": with(&[("NodeAffinity", 0)])},
               "preScore": {"disabled": [{"name": "NodeAffinity"}]},
               "score": {"disabled": [{"name": "NodeAffinity"}]}}),
        Ok(&[
            (PreFilter, &["NodeAffinity"]),
            (Filter, &["NodeAffinity"]),
            (PreScore, &[]),
            (Score, &[]),
        ]),
        // getScoreWeights still lists the multiPoint score plugin (it is only not run).
        &[("NodeAffinity", 1)],
    );
    check_expand(
        "Multiple MultiPoint plugins",
        json!({"multiPoint": {"enabled": with(&[("NodeAffinity", 0), ("ImageLocality", 0)])}}),
        Ok(&[
            (PreScore, &["NodeAffinity"]),
            (Score, &["NodeAffinity", "ImageLocality"]),
        ]),
        &[("NodeAffinity", 1), ("ImageLocality", 1)],
    );
    check_expand(
        "disable MultiPoint extension",
        json!({"multiPoint": {"enabled": with(&[("NodeAffinity", 0), ("ImageLocality", 0)])},
               "preScore": {"disabled": [{"name": "*"}]}}),
        Ok(&[
            (PreScore, &[]),
            (Score, &["NodeAffinity", "ImageLocality"]),
            (Filter, &["NodeAffinity"]),
        ]),
        &[("NodeAffinity", 1), ("ImageLocality", 1)],
    );
    check_expand(
        "Reorder MultiPoint plugins (specified extension takes precedence)",
        json!({"multiPoint": {"enabled": with(&[("TaintToleration", 0), ("NodeAffinity", 0), ("ImageLocality", 0)])},
               "score": {"enabled": [{"name": "ImageLocality"}, {"name": "NodeAffinity"}]}}),
        Ok(&[(Score, &["ImageLocality", "NodeAffinity", "TaintToleration"])]),
        &[
            ("ImageLocality", 1),
            ("NodeAffinity", 1),
            ("TaintToleration", 1),
        ],
    );
    check_expand(
        "Reorder MultiPoint plugins (specified extension only takes precedence when it exists in MultiPoint)",
        json!({"multiPoint": {"enabled": with(&[("NodeAffinity", 0), ("ImageLocality", 0)])},
               "score": {"enabled": [{"name": "TaintToleration"}, {"name": "ImageLocality"}, {"name": "NodeAffinity"}]}}),
        Ok(&[(Score, &["ImageLocality", "NodeAffinity", "TaintToleration"])]),
        &[("ImageLocality", 1), ("NodeAffinity", 1), ("TaintToleration", 1)],
    );
    check_expand(
        "Override MultiPoint plugins weights",
        json!({"multiPoint": {"enabled": with(&[("NodeAffinity", 0), ("ImageLocality", 0)])},
               "score": {"enabled": [{"name": "ImageLocality", "weight": 5}, {"name": "NodeAffinity", "weight": 3}]}}),
        Ok(&[(Score, &["ImageLocality", "NodeAffinity"])]),
        &[("ImageLocality", 5), ("NodeAffinity", 3)],
    );
    check_expand(
        "disable and enable MultiPoint plugins with '*'",
        json!({"multiPoint": {"enabled": mp(&[("PrioritySort", 0), ("DefaultBinder", 0), ("ImageLocality", 0)]),
                              "disabled": [{"name": "*"}]}}),
        Ok(&[
            (QueueSort, &["PrioritySort"]),
            (Score, &["ImageLocality"]),
            (Bind, &["DefaultBinder"]),
        ]),
        &[("ImageLocality", 1)],
    );
    check_expand(
        "Expect 'already registered' error",
        json!({"multiPoint": {"enabled": with(&[("NodeAffinity", 0), ("NodeAffinity", 0)])}}),
        Err("already registered"),
        &[],
    );
    check_expand(
        "Override MultiPoint plugins weights and avoid a plugin being loaded multiple times",
        json!({"multiPoint": {"enabled": with(&[("NodeAffinity", 0), ("ImageLocality", 0)])},
               "score": {"enabled": [{"name": "ImageLocality", "weight": 5}, {"name": "TaintToleration", "weight": 5},
                                     {"name": "NodeAffinity", "weight": 3}]}}),
        Ok(&[(Score, &["ImageLocality", "NodeAffinity", "TaintToleration"])]),
        &[
            ("ImageLocality", 5),
            ("NodeAffinity", 3),
            ("TaintToleration", 5),
        ],
    );
}

/// pluginConfig args are read from the YAML as written: their TypeMeta (`apiVersion`, `kind`)
/// is checked and dropped, and an error in them is placed at the args' line and column.
#[test]
fn plugin_config_args_typemeta_and_located_errors() {
    let head =
        "profiles:\n- schedulerName: me\n  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n";
    let decode = |body: &str| {
        let text = format!("{head}{body}");
        let docs = cellsim_core::yaml::parse_documents("cfg.yaml", &text).expect("yaml");
        cellsim_core::sched::config::decode("cfg.yaml", &docs[0])
    };
    let cfg = decode(
        "      apiVersion: kubescheduler.config.k8s.io/v1\n      kind: NodeResourcesFitArgs\n      scoringStrategy:\n        type: MostAllocated\n",
    )
    .expect("args with their own TypeMeta");
    let args = &cfg.profiles[0].plugin_args["NodeResourcesFit"];
    assert!(
        args.get("kind").is_none() && args.get("apiVersion").is_none(),
        "{args:?}"
    );
    assert!(args.get("scoringStrategy").is_some(), "{args:?}");

    let e = decode("      kind: InterPodAffinityArgs\n").expect_err("kind of another plugin");
    assert_eq!(
        (e.line, e.column, e.message.as_str()),
        (6, 13, "profiles[0].pluginConfig[0].args: kind \"InterPodAffinityArgs\" does not match plugin \"NodeResourcesFit\" (expected \"NodeResourcesFitArgs\")")
    );
    let e = decode("      bogus: 1\n").expect_err("unknown field");
    assert_eq!((e.line, e.column), (6, 7), "{e}");
    assert!(
        e.message.starts_with(
            "profiles[0].pluginConfig[0].args: NodeResourcesFitArgs: unknown field `bogus`"
        ),
        "{e}"
    );
}
