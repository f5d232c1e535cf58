//! `v1.Node`: capacity, allocatable, labels, taints, unschedulable, conditions.

use super::meta::ObjectMeta;
use super::resources::ResourceList;
use cellsim_derive::CompactDeserialize;
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Node {
    pub metadata: ObjectMeta,
    pub spec: NodeSpec,
    pub status: NodeStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSpec {
    pub unschedulable: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod_cidr: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub provider_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeStatus {
    pub capacity: ResourceList,
    pub allocatable: ResourceList,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<NodeCondition>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ContainerImage>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeCondition {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerImage {
    pub names: Vec<String>,
    pub size_bytes: i64,
}

/// `v1.Taint`. Effects: NoSchedule, PreferNoSchedule, NoExecute.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Taint {
    pub key: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
    pub effect: String,
}

pub const TAINT_EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// Upstream `v1.TaintNodeNotReady`: the node's Ready condition is False.
pub const TAINT_NODE_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// Upstream `v1.TaintNodeUnreachable`: the node's Ready condition is Unknown (no heartbeat).
pub const TAINT_NODE_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// Upstream `v1.TaintNodeUnschedulable`: `spec.unschedulable` is set (cordon).
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

impl Node {
    /// The node's allocatable, falling back to capacity as upstream's node info does when
    /// allocatable is unset.
    pub fn allocatable(&self) -> &ResourceList {
        if self.status.allocatable.is_empty() {
            &self.status.capacity
        } else {
            &self.status.allocatable
        }
    }

    pub fn is_ready(&self) -> bool {
        self.ready_status() == "True"
    }

    /// The status of the Ready condition: `True`, `False` or `Unknown`. A node without one
    /// counts as `True`: cellsim's kubelets post Ready as soon as they register.
    pub fn ready_status(&self) -> &str {
        self.status
            .conditions
            .iter()
            .find(|c| c.kind == "Ready")
            .map_or("True", |c| c.status.as_str())
    }

    /// Is a taint with this key and effect on the node (upstream `taints.TaintExists`, which
    /// compares key and effect)?
    pub fn has_taint(&self, key: &str, effect: &str) -> bool {
        self.spec
            .taints
            .iter()
            .any(|t| t.key == key && t.effect == effect)
    }

    /// The zone key of the node lifecycle controller (upstream `nodetopology.GetZoneKey`):
    /// `region:\x00:zone` from the topology labels (the deprecated beta labels first, as
    /// upstream reads them); empty when neither is set.
    pub fn zone_key(&self) -> String {
        let l = &self.metadata.labels;
        let region = l
            .get("failure-domain.beta.kubernetes.io/region")
            .or_else(|| l.get("topology.kubernetes.io/region"))
            .map_or("", String::as_str);
        let zone = l
            .get("failure-domain.beta.kubernetes.io/zone")
            .or_else(|| l.get("topology.kubernetes.io/zone"))
            .map_or("", String::as_str);
        if region.is_empty() && zone.is_empty() {
            String::new()
        } else {
            format!("{region}:\x00:{zone}")
        }
    }
}

impl Taint {
    /// kubectl's / the scheduler's rendering: `{key: value}` (upstream `taint.ToString` is
    /// `key=value:effect`; the FailedScheduling message uses `{key: value}`).
    pub fn brace_form(&self) -> String {
        format!("{{{}: {}}}", self.key, self.value)
    }
}

impl super::pod::Toleration {
    /// Upstream `Toleration.ToleratesTaint` (k8s.io/api/core/v1/toleration.go):
    /// an empty effect matches all effects; an empty key with operator Exists matches all keys;
    /// operator Exists ignores the value; Equal (or empty operator) compares values.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if !self.effect.is_empty() && self.effect != taint.effect {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator.as_str() {
            "Exists" => true,
            "" | "Equal" => self.value == taint.value,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::pod::Toleration;
    use super::*;

    fn tol(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: None,
        }
    }

    #[test]
    fn toleration_matches_like_upstream() {
        // Rows from k8s.io/api/core/v1 TestTolerationToleratesTaint.
        let taint = Taint {
            key: "foo".into(),
            value: "bar".into(),
            effect: "NoSchedule".into(),
        };
        let rows = [
            (tol("", "", "", ""), false),
            (tol("foo", "", "bar", ""), true),
            (tol("foo", "Equal", "bar", "NoSchedule"), true),
            (tol("foo", "Equal", "baz", "NoSchedule"), false),
            (tol("foo", "Exists", "", "NoSchedule"), true),
            (tol("foo", "Exists", "", "NoExecute"), false),
            (tol("", "Exists", "", ""), true),
            (tol("", "Exists", "", "NoSchedule"), true),
            (tol("other", "Exists", "", ""), false),
            (tol("foo", "Lt", "bar", ""), false),
        ];
        for (t, want) in rows {
            assert_eq!(t.tolerates(&taint), want, "{t:?}");
        }
    }
}
