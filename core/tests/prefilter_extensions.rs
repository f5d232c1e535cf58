//! The PreFilter extensions (AddPod) in the nominated-pods pass of Filter, through the
//! default profile: upstream `RunFilterPluginsWithNominatedPods` adds a node's nominated pods
//! of higher or equal priority to a copy of the node and, through `addGENominatedPods` →
//! `RunPreFilterExtensionAddPod`, to a copy of the cycle state — so PodTopologySpread and
//! InterPodAffinity, which filter from PreFilter state, see them too. Without AddPod the
//! copy of the node would change nothing for them.

use cellsim_core::api::pod::Pod;
use cellsim_core::sched::config::default_config;
use cellsim_core::sched::framework::{PodInfo, Snapshot};
use cellsim_core::sched::plugins::inter_pod_affinity::{
    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
};
use cellsim_core::sched::plugins::pod_topology_spread::ERR_REASON_CONSTRAINTS_NOT_MATCH;
use cellsim_core::sched::profile::Profile;
use serde_json::{json, Value};
use std::rc::Rc;

fn snapshot(nodes: &[(&str, &str)]) -> Snapshot {
    let mut s = Snapshot::default();
    for (name, zone) in nodes {
        s.set_node(
            serde_json::from_value(json!({
                "metadata": {"name": name, "labels": {
                    "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone}},
                "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "20"},
                           "capacity": {"cpu": "4", "memory": "8Gi", "pods": "20"}}
            }))
            .expect("node"),
        );
    }
    s
}

fn pod(name: &str, app: &str, priority: i32, extra: Value) -> Pod {
    let mut spec = json!({"priority": priority, "containers": [
        {"name": "c", "image": "nginx:1.25", "resources": {"requests": {"cpu": "100m"}}}]});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            spec[k] = v;
        }
    }
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
        "spec": spec,
    }))
    .expect("pod")
}

fn nominate(s: &mut Snapshot, mut p: Pod, node: &str) {
    p.status.nominated_node_name = node.into();
    s.set_nominated(&p);
}

/// The default profile's cycle, with and without the cycle cache: (chosen node, the failed
/// nodes with their first reason).
fn schedule(s: &Snapshot, p: &Pod) -> (Option<String>, Vec<(String, String)>) {
    let spec = &default_config().profiles[0];
    let mut out = Vec::new();
    for cache in [true, false] {
        let mut prof = Profile::build(spec).expect("default profile");
        prof.set_cache_enabled(cache);
        let r = prof.schedule(&Rc::new(PodInfo::new(p)), s, None, 0, &mut |_| 0);
        let failed: Vec<(String, String)> = r
            .failed
            .iter()
            .map(|(i, st)| (s.nodes[*i].name.clone(), st.reasons.join(", ")))
            .collect();
        out.push((r.chosen.map(|i| s.nodes[i].name.clone()), failed));
    }
    assert_eq!(out[0], out[1], "the cycle cache changed a decision");
    out.remove(0)
}

fn anti_affinity_against(app: &str) -> Value {
    json!({"affinity": {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname",
             "labelSelector": {"matchLabels": {"app": app}}}]}}})
}

#[test]
fn nominated_pod_is_seen_by_inter_pod_anti_affinity_through_add_pod() {
    // A higher-priority db pod is nominated to n1; the web pod has required anti-affinity
    // against app=db per host, so n1 fails once AddPod counts the nominated pod.
    let mut s = snapshot(&[("n1", "a"), ("n2", "b")]);
    nominate(&mut s, pod("db", "db", 100, json!({})), "n1");
    let web = pod("web", "web", 0, anti_affinity_against("db"));
    let (chosen, failed) = schedule(&s, &web);
    assert_eq!(chosen.as_deref(), Some("n2"));
    assert_eq!(
        failed,
        vec![(
            "n1".to_string(),
            ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH.to_string()
        )]
    );
    // The nominated pod's own anti-affinity against the web pod: existing pods'
    // anti-affinity, also through AddPod.
    let mut s = snapshot(&[("n1", "a"), ("n2", "b")]);
    nominate(
        &mut s,
        pod("db", "db", 100, anti_affinity_against("web")),
        "n1",
    );
    let web = pod("web", "web", 0, anti_affinity_against("cache"));
    let (_, failed) = schedule(&s, &web);
    assert_eq!(
        failed,
        vec![(
            "n1".to_string(),
            ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH.to_string()
        )]
    );
    // As upstream, the extensions only run for PreFilter plugins that did not Skip: a pod
    // without terms, in a cluster where no placed pod has required anti-affinity, skips
    // InterPodAffinity, and the nominated pod's anti-affinity is not checked.
    let web = pod("web", "web", 0, json!({}));
    let (_, failed) = schedule(&s, &web);
    assert!(failed.is_empty(), "{failed:?}");
    // A lower-priority nomination is not added (addGENominatedPods: >= priority only).
    let mut s = snapshot(&[("n1", "a"), ("n2", "b")]);
    nominate(&mut s, pod("db", "db", -1, json!({})), "n1");
    let (_, failed) = schedule(&s, &pod("web", "web", 0, anti_affinity_against("db")));
    assert!(failed.is_empty(), "{failed:?}");
}

#[test]
fn nominated_pod_counts_towards_topology_spread() {
    // Zones a (n1) and b (n2) with one web pod each; another web pod (higher priority) is
    // nominated to n1. Counted through AddPod, zone a holds 2: 2 + 1 - 1 > maxSkew 1 fails
    // n1, while n2 passes (1 + 1 - 1). Without AddPod both would pass.
    let spread = json!({"topologySpreadConstraints": [
        {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
         "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": {"app": "web"}}}]});
    let mut s = snapshot(&[("n1", "a"), ("n2", "b")]);
    s.add_pod(
        "n1",
        Rc::new(PodInfo::new(&pod("web-a", "web", 0, json!({})))),
    );
    s.add_pod(
        "n2",
        Rc::new(PodInfo::new(&pod("web-b", "web", 0, json!({})))),
    );
    nominate(&mut s, pod("web-1", "web", 10, json!({})), "n1");
    let p = pod("web-3", "web", 0, spread);
    let (chosen, failed) = schedule(&s, &p);
    assert_eq!(chosen.as_deref(), Some("n2"));
    assert_eq!(
        failed,
        vec![(
            "n1".to_string(),
            ERR_REASON_CONSTRAINTS_NOT_MATCH.to_string()
        )]
    );
}
