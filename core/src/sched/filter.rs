//! Filter plugins of the thin pipeline: NodeUnschedulable, NodeName, TaintToleration,
//! NodeAffinity (nodeSelector and required terms) and NodeResourcesFit, in the default
//! profile's order. A node fails at the first plugin that rejects it, as upstream's framework
//! runs filters (without `RunAllFilters`).
//! Reason strings are upstream's (the `ErrReason*` constants of each plugin).

use super::cache::NodeInfo;
use crate::api::pod::Pod;

/// The first failing plugin's reasons for one node.
pub type Reasons = Vec<String>;

/// Run the filter chain. `Ok` when the pod fits; otherwise the reasons.
pub fn run_filters(
    pod: &Pod,
    req: &super::cache::PodRequests,
    info: &NodeInfo,
) -> Result<(), Reasons> {
    node_unschedulable(pod, info)?;
    node_name(pod, info)?;
    taint_toleration(pod, info)?;
    node_affinity(pod, info)?;
    node_resources_fit(req, info)
}

/// NodeUnschedulable: `spec.unschedulable` nodes accept only pods tolerating the
/// `node.kubernetes.io/unschedulable:NoSchedule` taint.
fn node_unschedulable(pod: &Pod, info: &NodeInfo) -> Result<(), Reasons> {
    if !info.node.spec.unschedulable {
        return Ok(());
    }
    let taint = crate::api::node::Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        value: String::new(),
        effect: "NoSchedule".into(),
    };
    if pod.spec.tolerations.iter().any(|t| t.tolerates(&taint)) {
        return Ok(());
    }
    Err(vec!["node(s) were unschedulable".into()])
}

fn node_name(pod: &Pod, info: &NodeInfo) -> Result<(), Reasons> {
    if pod.spec.node_name.is_empty() || pod.spec.node_name == info.node.metadata.name {
        return Ok(());
    }
    Err(vec!["node(s) didn't match the requested node name".into()])
}

/// TaintToleration filter: every NoSchedule / NoExecute taint must be tolerated. Upstream
/// reports the first untolerated taint as `node(s) had untolerated taint {key: value}`.
fn taint_toleration(pod: &Pod, info: &NodeInfo) -> Result<(), Reasons> {
    for taint in &info.node.spec.taints {
        if taint.effect != "NoSchedule" && taint.effect != "NoExecute" {
            continue;
        }
        if !pod.spec.tolerations.iter().any(|t| t.tolerates(taint)) {
            return Err(vec![format!(
                "node(s) had untolerated taint {}",
                taint.brace_form()
            )]);
        }
    }
    Ok(())
}

/// NodeAffinity filter: `nodeSelector` labels all present, and the required node affinity
/// terms (ORed) matched.
fn node_affinity(pod: &Pod, info: &NodeInfo) -> Result<(), Reasons> {
    let labels = &info.node.metadata.labels;
    let selector_ok = pod
        .spec
        .node_selector
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v));
    let required_ok = pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| {
            na.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .is_none_or(|ns| ns.matches(&info.node.metadata.name, labels));
    if selector_ok && required_ok {
        Ok(())
    } else {
        Err(vec![
            "node(s) didn't match Pod's node affinity/selector".into()
        ])
    }
}

/// NodeResourcesFit filter (upstream `fitsRequest`): pod count, then cpu, memory, ephemeral
/// storage and each requested scalar resource, against allocatable minus requested. Every
/// insufficient resource is a reason of its own.
fn node_resources_fit(req: &super::cache::PodRequests, info: &NodeInfo) -> Result<(), Reasons> {
    let mut reasons = Vec::new();
    if info.pods + 1 > info.allocatable.allowed_pods {
        reasons.push("Too many pods".to_string());
    }
    let r = &req.real;
    let (a, used) = (&info.allocatable, &info.requested);
    if r.milli_cpu > 0 && r.milli_cpu > a.milli_cpu - used.milli_cpu {
        reasons.push("Insufficient cpu".into());
    }
    if r.memory > 0 && r.memory > a.memory - used.memory {
        reasons.push("Insufficient memory".into());
    }
    if r.ephemeral_storage > 0 && r.ephemeral_storage > a.ephemeral_storage - used.ephemeral_storage
    {
        reasons.push("Insufficient ephemeral-storage".into());
    }
    for (name, v) in &r.scalar {
        if *v > 0 && *v > a.scalar(name) - used.scalar(name) {
            reasons.push(format!("Insufficient {name}"));
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons)
    }
}
