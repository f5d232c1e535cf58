//! autoscaling/v2 HorizontalPodAutoscaler: spec (scale target, replica bounds, metrics,
//! behavior) with upstream's defaults, and the status the controller maintains.
//!
//! Upstream: staging/src/k8s.io/api/autoscaling/v2/types.go and
//! pkg/apis/autoscaling/v2/defaults.go (`SetDefaults_HorizontalPodAutoscaler`,
//! `GenerateHPAScaleUpRules`, `GenerateHPAScaleDownRules`).

use super::meta::ObjectMeta;
use super::quantity::Quantity;
use cellsim_derive::CompactDeserialize;
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HorizontalPodAutoscaler {
    pub metadata: ObjectMeta,
    pub spec: HpaSpec,
    #[serde(skip_deserializing)]
    pub status: HpaStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaSpec {
    pub scale_target_ref: CrossVersionObjectReference,
    /// Defaults to 1 (`SetDefaults_HorizontalPodAutoscaler`).
    pub min_replicas: Option<i32>,
    pub max_replicas: i32,
    /// Empty: cpu at 80% utilization (`autoscaling.DefaultCPUUtilization`).
    pub metrics: Vec<MetricSpec>,
    /// Absent: the controller's legacy normalization (no rate policies, a 2x/+4 scale-up cap,
    /// the 300 s downscale stabilization window); present: its unset rules take the defaults of
    /// [`HpaBehavior::scale_up_rules`] / [`HpaBehavior::scale_down_rules`].
    pub behavior: Option<HpaBehavior>,
}

/// `autoscaling.DefaultCPUUtilization`.
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;

impl HpaSpec {
    pub fn min_replicas(&self) -> i32 {
        self.min_replicas.unwrap_or(1)
    }

    /// The metrics after defaulting: none given means cpu at 80% utilization.
    pub fn metrics(&self) -> Vec<MetricSpec> {
        if !self.metrics.is_empty() {
            return self.metrics.clone();
        }
        vec![MetricSpec {
            kind: "Resource".into(),
            resource: Some(ResourceMetricSource {
                name: "cpu".into(),
                target: MetricTarget {
                    kind: "Utilization".into(),
                    average_utilization: Some(DEFAULT_CPU_UTILIZATION),
                    ..Default::default()
                },
            }),
            ..Default::default()
        }]
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CrossVersionObjectReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricSpec {
    /// Resource, ContainerResource, Pods, Object or External.
    #[serde(rename = "type")]
    pub kind: String,
    pub resource: Option<ResourceMetricSource>,
    pub container_resource: Option<ContainerResourceMetricSource>,
    /// Custom and external metric sources: accepted (no metrics API serves them in a
    /// simulation, so the controller reports them as unavailable).
    pub pods: Option<serde_json::Value>,
    pub object: Option<serde_json::Value>,
    pub external: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceMetricSource {
    pub name: String,
    pub target: MetricTarget,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerResourceMetricSource {
    pub name: String,
    pub container: String,
    pub target: MetricTarget,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricTarget {
    /// Utilization, Value or AverageValue.
    #[serde(rename = "type")]
    pub kind: String,
    pub average_utilization: Option<i32>,
    pub average_value: Option<Quantity>,
    pub value: Option<Quantity>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaBehavior {
    pub scale_up: Option<HpaScalingRules>,
    pub scale_down: Option<HpaScalingRules>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaScalingRules {
    pub stabilization_window_seconds: Option<i32>,
    /// Max (default), Min or Disabled.
    pub select_policy: Option<String>,
    /// Absent: the direction's default policies; present but empty: a validation error.
    pub policies: Option<Vec<HpaScalingPolicy>>,
    /// The ratio tolerance for this direction (`HPAConfigurableTolerance`, beta and on in
    /// v1.35); absent: the controller's `--horizontal-pod-autoscaler-tolerance` (0.1).
    pub tolerance: Option<Quantity>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaScalingPolicy {
    /// Pods or Percent.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: i32,
    pub period_seconds: i32,
}

/// Rules after defaulting: every field set (the scale-down window may stay unset: the
/// controller fills it from `--horizontal-pod-autoscaler-downscale-stabilization`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRules {
    pub stabilization_window_seconds: Option<i32>,
    pub select_policy: String,
    pub policies: Vec<HpaScalingPolicy>,
    pub tolerance: Option<Quantity>,
}

impl HpaBehavior {
    /// `GenerateHPAScaleUpRules`: no stabilization, Max of +4 pods and +100% per 15 s.
    pub fn scale_up_rules(&self) -> ScalingRules {
        defaulted(
            self.scale_up.as_ref(),
            ScalingRules {
                stabilization_window_seconds: Some(0),
                select_policy: "Max".into(),
                policies: vec![policy("Pods", 4, 15), policy("Percent", 100, 15)],
                tolerance: None,
            },
        )
    }

    /// `GenerateHPAScaleDownRules`: the controller's window, Max of -100% per 15 s.
    pub fn scale_down_rules(&self) -> ScalingRules {
        defaulted(
            self.scale_down.as_ref(),
            ScalingRules {
                stabilization_window_seconds: None,
                select_policy: "Max".into(),
                policies: vec![policy("Percent", 100, 15)],
                tolerance: None,
            },
        )
    }
}

fn policy(kind: &str, value: i32, period_seconds: i32) -> HpaScalingPolicy {
    HpaScalingPolicy {
        kind: kind.into(),
        value,
        period_seconds,
    }
}

/// `copyHPAScalingRules`: each field given overrides the default.
fn defaulted(from: Option<&HpaScalingRules>, mut to: ScalingRules) -> ScalingRules {
    if let Some(f) = from {
        if let Some(p) = &f.select_policy {
            to.select_policy = p.clone();
        }
        if let Some(w) = f.stabilization_window_seconds {
            to.stabilization_window_seconds = Some(w);
        }
        if let Some(p) = &f.policies {
            to.policies = p.clone();
        }
        if let Some(t) = &f.tolerance {
            to.tolerance = Some(t.clone());
        }
    }
    to
}

/// The status the controller writes (model state; never read from a manifest).
#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaStatus {
    pub current_replicas: i32,
    pub desired_replicas: i32,
    /// Simulated milliseconds of the last rescale.
    pub last_scale_time: Option<u64>,
    pub current_metrics: Vec<MetricStatus>,
    pub conditions: Vec<HpaCondition>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricStatus {
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource's name (cpu, memory).
    pub name: String,
    pub average_utilization: Option<i32>,
    /// Milli-units (upstream `resource.NewMilliQuantity(raw, DecimalSI)`).
    pub average_value_milli: Option<i64>,
}

/// AbleToScale, ScalingActive or ScalingLimited.
#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaCondition {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub last_transition_time: u64,
}

impl HpaStatus {
    pub fn condition(&self, kind: &str) -> Option<&HpaCondition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }
}
