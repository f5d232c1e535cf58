//! Cluster policy objects: Namespace, ResourceQuota, LimitRange (v1), PriorityClass
//! (scheduling.k8s.io/v1), PodDisruptionBudget (policy/v1).

use super::meta::{IntOrString, ObjectMeta};
use super::resources::ResourceList;
use super::selector::LabelSelector;
use cellsim_derive::CompactDeserialize;
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Namespace {
    pub metadata: ObjectMeta,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceQuota {
    pub metadata: ObjectMeta,
    pub spec: ResourceQuotaSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceQuotaSpec {
    pub hard: ResourceList,
    pub scopes: Vec<String>,
    pub scope_selector: Option<ScopeSelector>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScopeSelector {
    pub match_expressions: Vec<ScopedResourceSelectorRequirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScopedResourceSelectorRequirement {
    pub scope_name: String,
    pub operator: String,
    pub values: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LimitRange {
    pub metadata: ObjectMeta,
    pub spec: LimitRangeSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LimitRangeSpec {
    pub limits: Vec<LimitRangeItem>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LimitRangeItem {
    /// Container, Pod or PersistentVolumeClaim.
    #[serde(rename = "type")]
    pub kind: String,
    pub max: ResourceList,
    pub min: ResourceList,
    pub default: ResourceList,
    pub default_request: ResourceList,
    pub max_limit_request_ratio: ResourceList,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PriorityClass {
    pub metadata: ObjectMeta,
    pub value: i32,
    pub global_default: bool,
    pub preemption_policy: Option<String>,
    pub description: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodDisruptionBudget {
    pub metadata: ObjectMeta,
    pub spec: PodDisruptionBudgetSpec,
    /// Written by the disruption controller and the eviction subresource; never read from a
    /// manifest.
    #[serde(skip_deserializing)]
    pub status: PodDisruptionBudgetStatus,
}

/// `policy/v1` `PodDisruptionBudgetStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodDisruptionBudgetStatus {
    /// Stands in for `observedGeneration == metadata.generation`: the disruption controller
    /// has computed this status for the current spec (a replaced PDB starts unobserved).
    pub observed: bool,
    pub disruptions_allowed: i32,
    pub current_healthy: i32,
    pub desired_healthy: i32,
    pub expected_pods: i32,
    /// Pods the eviction subresource approved but the controller has not yet seen deleted:
    /// pod name to the simulated milliseconds of the eviction.
    pub disrupted_pods: crate::collections::OrdMap<String, u64>,
    /// The reason of the `DisruptionAllowed` condition when it is False because the status
    /// could not be computed (`SyncFailed`); empty otherwise.
    pub sync_failed: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodDisruptionBudgetSpec {
    pub min_available: Option<IntOrString>,
    pub max_unavailable: Option<IntOrString>,
    pub selector: Option<LabelSelector>,
    pub unhealthy_pod_eviction_policy: Option<String>,
}
