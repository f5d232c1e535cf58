//! Queueing hints against upstream's tables (kubernetes/kubernetes, Apache-2.0): each row names
//! the upstream test and case it transcribes (pkg/scheduler/framework/plugins/...):
//! - nodeunschedulable/node_unschedulable_test.go TestIsSchedulableAfterNodeChange
//! - tainttoleration/taint_toleration_test.go TestIsSchedulableAfterNodeChange
//! - noderesources/fit_test.go TestFitSchedulingHints / Test_isSchedulableAfterNodeChange
//!   (shapes of the rows: deleted scheduled / unscheduled pod, node added fitting or not,
//!   node updated with more or the same allocatable)
//! - nodeports/node_ports_test.go Test_isSchedulableAfterPodDeleted
//! - podtopologyspread/plugin_test.go Test_isSchedulableAfterPodChange
//! - interpodaffinity/plugin_test.go Test_isSchedulableAfterPodChange
//! - nodeaffinity/node_affinity_test.go Test_isSchedulableAfterNodeChange

use cellsim_core::api::node::Node;
use cellsim_core::api::pod::Pod;
use cellsim_core::sched::events::{ClusterEvent, QueueingHint};
use cellsim_core::sched::framework::{Plugin, PodInfo, Snapshot};
use cellsim_core::sched::registry;
use serde_json::{json, Value};
use std::rc::Rc;

use QueueingHint::{Queue, QueueSkip};

fn node(v: Value) -> Node {
    let mut v = v;
    if v.get("metadata").is_none() {
        v["metadata"] = json!({"name": "node-a"});
    }
    serde_json::from_value(v).expect("node json")
}

fn pod(v: Value) -> Pod {
    let mut v = v;
    if v.get("metadata").is_none() {
        v["metadata"] = json!({"name": "p", "namespace": "ns-1"});
    }
    if v.get("spec").is_none() {
        v["spec"] = json!({});
    }
    serde_json::from_value(v).expect("pod json")
}

fn plugin(name: &str) -> Rc<dyn Plugin> {
    registry::build(name, None).expect("plugin builds")
}

fn check(plugin_name: &str, row: &str, target: Value, event: ClusterEvent, want: QueueingHint) {
    let pl = plugin(plugin_name);
    let got = pl.queueing_hint(&PodInfo::new(&pod(target)), &event, &Snapshot::default());
    assert_eq!(got, Some(want), "{plugin_name} {row}");
}

fn unsched(u: bool) -> Node {
    node(json!({"spec": {"unschedulable": u}}))
}

#[test]
fn node_unschedulable_hints() {
    let t = "NodeUnschedulable";
    check(
        t,
        "skip-queue-on-unschedulable-node-added",
        json!({}),
        ClusterEvent::NodeAdded(unsched(true)),
        QueueSkip,
    );
    check(
        t,
        "queue-on-schedulable-node-added",
        json!({}),
        ClusterEvent::NodeAdded(unsched(false)),
        Queue,
    );
    check(
        t,
        "skip-unrelated-change (stays schedulable)",
        json!({}),
        ClusterEvent::NodeUpdated {
            old: unsched(false),
            new: unsched(false),
        },
        QueueSkip,
    );
    check(
        t,
        "queue-on-unschedulable-field-change",
        json!({}),
        ClusterEvent::NodeUpdated {
            old: unsched(true),
            new: unsched(false),
        },
        Queue,
    );
}

fn tainted(values: &[&str]) -> Node {
    let taints: Vec<Value> = values
        .iter()
        .map(|v| json!({"key": "dedicated", "value": v, "effect": "NoSchedule"}))
        .collect();
    node(json!({"spec": {"taints": taints}}))
}

#[test]
fn taint_toleration_hints() {
    let t = "TaintToleration";
    let tolerates_user2 = json!({"spec": {"tolerations": [
        {"key": "dedicated", "operator": "Equal", "value": "user2", "effect": "NoSchedule"}]}});
    check(
        t,
        "skip-queue-on-untoleratedtaint-node-added",
        tolerates_user2.clone(),
        ClusterEvent::NodeAdded(tainted(&["user1"])),
        QueueSkip,
    );
    check(
        t,
        "queue-on-toleratedtaint-node-added",
        tolerates_user2.clone(),
        ClusterEvent::NodeAdded(tainted(&["user2"])),
        Queue,
    );
    check(
        t,
        "skip-unrelated-change",
        tolerates_user2.clone(),
        ClusterEvent::NodeUpdated {
            old: tainted(&["user1"]),
            new: tainted(&["user1", "user3"]),
        },
        QueueSkip,
    );
    check(
        t,
        "queue-on-taint-change",
        tolerates_user2,
        ClusterEvent::NodeUpdated {
            old: tainted(&["user1"]),
            new: tainted(&["user2"]),
        },
        Queue,
    );
}

fn sized(cpu: &str, mem: &str, pods: &str) -> Node {
    node(json!({"status": {"allocatable": {"cpu": cpu, "memory": mem, "pods": pods}}}))
}

fn requesting(cpu: &str, mem: &str) -> Value {
    json!({"spec": {"containers": [{"name": "c", "image": "i",
        "resources": {"requests": {"cpu": cpu, "memory": mem}}}]}})
}

fn on_node(mut v: Value, node: &str) -> Pod {
    v["spec"]["nodeName"] = json!(node);
    v["metadata"] = json!({"name": "other", "namespace": "ns-1", "labels": {"app": "x"}});
    pod(v)
}

#[test]
fn node_resources_fit_hints() {
    let t = "NodeResourcesFit";
    let target = requesting("1", "1Gi");
    check(
        t,
        "backoff-when-scheduled-pod-deleted",
        target.clone(),
        ClusterEvent::PodDeleted(on_node(requesting("1", "1Gi"), "node-a")),
        Queue,
    );
    check(
        t,
        "skip-queue-when-unscheduled-pod-deleted",
        target.clone(),
        ClusterEvent::PodDeleted(pod(requesting("1", "1Gi"))),
        QueueSkip,
    );
    check(
        t,
        "queue-on-node-added-that-fits",
        target.clone(),
        ClusterEvent::NodeAdded(sized("2", "2Gi", "10")),
        Queue,
    );
    check(
        t,
        "skip-queue-on-node-added-too-small",
        target.clone(),
        ClusterEvent::NodeAdded(sized("500m", "2Gi", "10")),
        QueueSkip,
    );
    check(
        t,
        "queue-on-node-allocatable-increased",
        target.clone(),
        ClusterEvent::NodeUpdated {
            old: sized("1", "2Gi", "10"),
            new: sized("2", "2Gi", "10"),
        },
        Queue,
    );
    check(
        t,
        "skip-queue-on-node-changed-without-more-resources",
        target.clone(),
        ClusterEvent::NodeUpdated {
            old: sized("2", "2Gi", "10"),
            new: sized("2", "2Gi", "10"),
        },
        QueueSkip,
    );
    check(
        t,
        "queue-on-pod-scaled-down (requested resource)",
        target.clone(),
        ClusterEvent::AssignedPodUpdated {
            old: on_node(requesting("2", "1Gi"), "node-a"),
            new: on_node(requesting("1", "1Gi"), "node-a"),
        },
        Queue,
    );
    check(
        t,
        "skip-queue-on-pod-scaled-up",
        target,
        ClusterEvent::AssignedPodUpdated {
            old: on_node(requesting("1", "1Gi"), "node-a"),
            new: on_node(requesting("2", "1Gi"), "node-a"),
        },
        QueueSkip,
    );
}

fn with_port(port: i32) -> Value {
    json!({"spec": {"containers": [{"name": "c", "image": "i",
        "ports": [{"containerPort": port, "hostPort": port}]}]}})
}

#[test]
fn node_ports_hints() {
    let t = "NodePorts";
    check(
        t,
        "backoff-when-deleted-pod-has-conflicting-port",
        with_port(8080),
        ClusterEvent::PodDeleted(on_node(with_port(8080), "node-a")),
        Queue,
    );
    check(
        t,
        "skip-queue-when-deleted-pod-has-other-port",
        with_port(8080),
        ClusterEvent::PodDeleted(on_node(with_port(9090), "node-a")),
        QueueSkip,
    );
    check(
        t,
        "skip-queue-when-deleted-pod-was-unscheduled",
        with_port(8080),
        ClusterEvent::PodDeleted(pod(with_port(8080))),
        QueueSkip,
    );
}

#[test]
fn pod_topology_spread_hints() {
    let t = "PodTopologySpread";
    let target = json!({"metadata": {"name": "p", "namespace": "ns-1", "labels": {"foo": "bar"}},
        "spec": {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone",
            "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"foo": "bar"}}}]}});
    let assigned = |ns: &str, labels: Value| {
        pod(
            json!({"metadata": {"name": "q", "namespace": ns, "labels": labels},
            "spec": {"nodeName": "node-a"}}),
        )
    };
    check(
        t,
        "add pod with matching label to assigned node",
        target.clone(),
        ClusterEvent::AssignedPodAdded(assigned("ns-1", json!({"foo": "bar"}))),
        Queue,
    );
    check(
        t,
        "add pod with mismatched label",
        target.clone(),
        ClusterEvent::AssignedPodAdded(assigned("ns-1", json!({"foo": "baz"}))),
        QueueSkip,
    );
    check(
        t,
        "pod in another namespace",
        target.clone(),
        ClusterEvent::PodDeleted(assigned("ns-2", json!({"foo": "bar"}))),
        QueueSkip,
    );
    check(
        t,
        "node added with the topology key",
        target.clone(),
        ClusterEvent::NodeAdded(node(
            json!({"metadata": {"name": "n", "labels": {"zone": "a"}}}),
        )),
        Queue,
    );
    check(
        t,
        "node added without the topology key",
        target,
        ClusterEvent::NodeAdded(node(
            json!({"metadata": {"name": "n", "labels": {"x": "a"}}}),
        )),
        QueueSkip,
    );
}

#[test]
fn inter_pod_affinity_hints() {
    let t = "InterPodAffinity";
    let term = json!([{"topologyKey": "kubernetes.io/hostname",
        "labelSelector": {"matchLabels": {"service": "securityscan"}}}]);
    let affine = json!({"metadata": {"name": "p", "namespace": "ns-1"},
        "spec": {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": term.clone()}}}});
    let anti = json!({"metadata": {"name": "p", "namespace": "ns-1"},
        "spec": {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": term}}}});
    let assigned = |labels: Value| {
        pod(
            json!({"metadata": {"name": "q", "namespace": "ns-1", "labels": labels},
            "spec": {"nodeName": "node-a"}}),
        )
    };
    check(
        t,
        "add a pod which matches the pod affinity",
        affine.clone(),
        ClusterEvent::AssignedPodAdded(assigned(json!({"service": "securityscan"}))),
        Queue,
    );
    check(
        t,
        "add an un-scheduled pod",
        affine.clone(),
        ClusterEvent::AssignedPodAdded(pod(
            json!({"metadata": {"name": "q", "namespace": "ns-1", "labels": {"service": "securityscan"}}}),
        )),
        QueueSkip,
    );
    check(
        t,
        "add a pod which doesn't match the pod affinity",
        affine,
        ClusterEvent::AssignedPodAdded(assigned(json!({"aaa": "a"}))),
        QueueSkip,
    );
    check(
        t,
        "delete a pod which matches the pod anti-affinity",
        anti.clone(),
        ClusterEvent::PodDeleted(assigned(json!({"service": "securityscan"}))),
        Queue,
    );
    check(
        t,
        "delete a pod which doesn't match the pod anti-affinity",
        anti,
        ClusterEvent::PodDeleted(assigned(json!({"aaa": "a"}))),
        QueueSkip,
    );
}

#[test]
fn node_affinity_hints() {
    let t = "NodeAffinity";
    let target = json!({"spec": {"nodeSelector": {"foo": "bar"}}});
    let labelled = |v: &str| node(json!({"metadata": {"name": "n", "labels": {"foo": v}}}));
    check(
        t,
        "queue-on-add-matched",
        target.clone(),
        ClusterEvent::NodeAdded(labelled("bar")),
        Queue,
    );
    check(
        t,
        "skip-queue-on-add-unmatched",
        target.clone(),
        ClusterEvent::NodeAdded(labelled("fuga")),
        QueueSkip,
    );
    check(
        t,
        "queue-on-update-unmatched-to-matched",
        target.clone(),
        ClusterEvent::NodeUpdated {
            old: labelled("fuga"),
            new: labelled("bar"),
        },
        Queue,
    );
    check(
        t,
        "skip-queue-on-update-matched-to-matched",
        target,
        ClusterEvent::NodeUpdated {
            old: labelled("bar"),
            new: labelled("bar"),
        },
        QueueSkip,
    );
}
