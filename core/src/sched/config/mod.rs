//! KubeSchedulerConfiguration (`kubescheduler.config.k8s.io/v1`): decoding, upstream's
//! defaulting and plugin-set merging, multiPoint expansion, and validation.
//!
//! The result is a list of `ProfileSpec`s: per extension point, the ordered plugin names the
//! framework will run, the score weights, and each plugin's args (validated by the plugin's own
//! constructor through `sched::registry`).

use super::framework::Point;

/// One scheduling profile after defaulting, merging and multiPoint expansion.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileSpec {
    pub scheduler_name: String,
    /// `None`: use the configuration's global value (or the adaptive default).
    pub percentage_of_nodes_to_score: Option<i32>,
    /// Plugin names per extension point, in run order.
    pub points: crate::collections::OrdMap<Point, Vec<String>>,
    /// Score plugin → weight (1..=100 after defaulting).
    pub score_weights: crate::collections::OrdMap<String, i64>,
    /// Plugin → args (`pluginConfig`), the YAML node as written minus its `apiVersion`/`kind`;
    /// absent: the plugin's defaults.
    pub plugin_args: crate::collections::OrdMap<String, crate::yaml::Node>,
}

/// The whole configuration after defaulting.
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerConfig {
    pub profiles: Vec<ProfileSpec>,
    /// Global `percentageOfNodesToScore` (`None`/0: adaptive).
    pub percentage_of_nodes_to_score: Option<i32>,
    /// `podInitialBackoffSeconds` (default 1) and `podMaxBackoffSeconds` (default 10).
    pub pod_initial_backoff_seconds: i64,
    pub pod_max_backoff_seconds: i64,
}

/// Upstream's default profile (pkg/scheduler/apis/config/v1/default_plugins.go): every plugin
/// enabled at `multiPoint`, with these score weights.
pub const DEFAULT_MULTIPOINT: &[(&str, Option<i64>)] = &[
    ("SchedulingGates", None),
    ("PrioritySort", None),
    ("NodeUnschedulable", None),
    ("NodeName", None),
    ("TaintToleration", Some(3)),
    ("NodeAffinity", Some(2)),
    ("NodePorts", None),
    ("NodeResourcesFit", Some(1)),
    ("VolumeRestrictions", None),
    ("EBSLimits", None),
    ("GCEPDLimits", None),
    ("NodeVolumeLimits", None),
    ("AzureDiskLimits", None),
    ("VolumeBinding", None),
    ("VolumeZone", None),
    ("PodTopologySpread", Some(2)),
    ("InterPodAffinity", Some(2)),
    ("DefaultPreemption", None),
    ("NodeResourcesBalancedAllocation", Some(1)),
    ("ImageLocality", Some(1)),
    ("DefaultBinder", None),
];

pub mod decode;
pub mod expand;
pub use decode::decode;
pub use expand::default_profile;

/// The default configuration: one profile, `default-scheduler`.
pub fn default_config() -> SchedulerConfig {
    SchedulerConfig {
        profiles: vec![default_profile("default-scheduler")],
        percentage_of_nodes_to_score: None,
        pod_initial_backoff_seconds: 1,
        pod_max_backoff_seconds: 10,
    }
}
