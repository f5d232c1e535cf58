//! The kinds cellsim models, their API groups, and the kinds it accepts but does not model.

use serde::{Deserialize, Serialize};

/// A modelled kind. The declaration order is the store's order of kinds (and so the order in
/// which objects of a multi-kind apply are reported): cluster-scoped first, pods last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Namespace,
    Node,
    PriorityClass,
    ResourceQuota,
    LimitRange,
    Service,
    Ingress,
    EndpointSlice,
    PodDisruptionBudget,
    HorizontalPodAutoscaler,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    CronJob,
    Job,
    Pod,
}

impl Kind {
    pub const ALL: [Kind; 17] = [
        Kind::Namespace,
        Kind::Node,
        Kind::PriorityClass,
        Kind::ResourceQuota,
        Kind::LimitRange,
        Kind::Service,
        Kind::Ingress,
        Kind::EndpointSlice,
        Kind::PodDisruptionBudget,
        Kind::HorizontalPodAutoscaler,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::CronJob,
        Kind::Job,
        Kind::Pod,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::PriorityClass => "PriorityClass",
            Kind::ResourceQuota => "ResourceQuota",
            Kind::LimitRange => "LimitRange",
            Kind::Service => "Service",
            Kind::Ingress => "Ingress",
            Kind::EndpointSlice => "EndpointSlice",
            Kind::PodDisruptionBudget => "PodDisruptionBudget",
            Kind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::CronJob => "CronJob",
            Kind::Job => "Job",
            Kind::Pod => "Pod",
        }
    }

    /// The served group/version this kind is read from.
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Namespace
            | Kind::Node
            | Kind::ResourceQuota
            | Kind::LimitRange
            | Kind::Service
            | Kind::Pod => "v1",
            Kind::PriorityClass => "scheduling.k8s.io/v1",
            Kind::Ingress => "networking.k8s.io/v1",
            Kind::EndpointSlice => "discovery.k8s.io/v1",
            Kind::PodDisruptionBudget => "policy/v1",
            Kind::HorizontalPodAutoscaler => "autoscaling/v2",
            Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::DaemonSet => "apps/v1",
            Kind::CronJob | Kind::Job => "batch/v1",
        }
    }

    pub fn namespaced(self) -> bool {
        !matches!(self, Kind::Namespace | Kind::Node | Kind::PriorityClass)
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// kubectl's short and plural names, for timeline actions and selectors (`deploy`, `rs`).
    pub fn from_cli_name(name: &str) -> Option<Kind> {
        let lower = name.to_ascii_lowercase();
        Kind::ALL.into_iter().find(|k| {
            let n = k.name().to_ascii_lowercase();
            lower == n || lower == format!("{n}s") || k.short_names().contains(&lower.as_str())
        })
    }

    fn short_names(self) -> &'static [&'static str] {
        match self {
            Kind::Namespace => &["ns"],
            Kind::Node => &["no"],
            Kind::PriorityClass => &["pc"],
            Kind::ResourceQuota => &["quota"],
            Kind::LimitRange => &["limits"],
            Kind::Service => &["svc"],
            Kind::Ingress => &["ing", "ingresses"],
            Kind::EndpointSlice => &[],
            Kind::PodDisruptionBudget => &["pdb"],
            Kind::HorizontalPodAutoscaler => &["hpa"],
            Kind::Deployment => &["deploy"],
            Kind::ReplicaSet => &["rs"],
            Kind::StatefulSet => &["sts"],
            Kind::DaemonSet => &["ds"],
            Kind::CronJob => &["cj"],
            Kind::Job => &[],
            Kind::Pod => &["po"],
        }
    }
}

/// Kinds that real manifests carry but the model has no use for: accepted, listed with
/// `--verbose`, not stored. Anything neither modelled nor listed here is an error, because a
/// typo in `kind:` must not silently drop a workload.
pub const ACCEPTED_UNMODELLED: &[&str] = &[
    "ServiceAccount",
    "ConfigMap",
    "Secret",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "NetworkPolicy",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "StorageClass",
    "Endpoints",
    "IngressClass",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "APIService",
    "PodTemplate",
    "CSIDriver",
    "RuntimeClass",
    "Lease",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()), Some(k));
            assert_eq!(Kind::from_cli_name(&k.name().to_ascii_lowercase()), Some(k));
        }
        assert_eq!(Kind::from_cli_name("deploy"), Some(Kind::Deployment));
        assert_eq!(Kind::from_cli_name("Deployments"), Some(Kind::Deployment));
        assert_eq!(Kind::from_cli_name("sts"), Some(Kind::StatefulSet));
        assert_eq!(Kind::from_cli_name("deployment.apps"), None);
        let mut sorted = Kind::ALL;
        sorted.sort();
        assert_eq!(sorted, Kind::ALL, "ALL is in declaration order");
    }
}
