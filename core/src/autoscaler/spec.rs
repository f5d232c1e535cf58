//! The autoscaler's part of the scenario format: `spec.autoscaler` and
//! `spec.cluster.nodePools[].autoscaling`, with cluster-autoscaler's defaults.

use crate::api::Quantity;
use crate::time::Duration;
use cellsim_derive::CompactDeserialize;
use serde::Deserialize;

/// `spec.cluster.nodePools[].autoscaling`: the node group's bounds (cluster-autoscaler's
/// `--nodes=MIN:MAX:NAME`) and its priority for the `priority` expander (higher wins; upstream
/// keeps these in the `cluster-autoscaler-priority-expander` ConfigMap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolAutoscaling {
    pub min: u32,
    pub max: u32,
    #[serde(default)]
    pub priority: i32,
}

/// How a scale-up chooses among the pools that would help (`--expander`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expander {
    /// Upstream's default (`--expander=random`).
    #[default]
    Random,
    /// The pool that leaves the least cpu and memory idle after the scale-up.
    LeastWaste,
    /// The pool with the highest `autoscaling.priority`.
    Priority,
}

/// `spec.autoscaler`. Defaults are cluster-autoscaler's flags (FAQ, "What are the parameters to
/// CA?"; cluster-autoscaler/config/flags).
#[derive(Debug, Clone, Default, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoscalerSpec {
    #[serde(default)]
    pub expander: Expander,
    /// `--scan-interval`, default 10s.
    #[serde(default)]
    pub scan_interval: Option<Duration>,
    /// `--scale-down-enabled`, default true.
    #[serde(default)]
    pub scale_down_enabled: Option<bool>,
    /// `--scale-down-utilization-threshold`, default 0.5: a node whose requested cpu and memory
    /// (the larger share) is below this is unneeded.
    #[serde(default)]
    pub scale_down_utilization_threshold: Option<Quantity>,
    /// `--scale-down-unneeded-time`, default 10m.
    #[serde(default)]
    pub scale_down_unneeded_time: Option<Duration>,
    /// `--scale-down-delay-after-add`, default 10m.
    #[serde(default)]
    pub scale_down_delay_after_add: Option<Duration>,
    /// From the scale-up decision until the new nodes register (cloud-specific; upstream only
    /// bounds it by `--max-node-provision-time`, 15m). Default 1m.
    #[serde(default)]
    pub provisioning_delay: Option<Duration>,
}

/// `AutoscalerSpec` with every default applied; the threshold in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub expander: Expander,
    pub scan_interval: Duration,
    pub scale_down_enabled: bool,
    pub threshold_milli: i64,
    pub unneeded_time: Duration,
    pub delay_after_add: Duration,
    pub provisioning_delay: Duration,
}

/// `--scan-interval` default.
pub const SCAN_INTERVAL: Duration = Duration(10_000);
/// `--scale-down-utilization-threshold` default (0.5), in thousandths.
pub const UTILIZATION_THRESHOLD_MILLI: i64 = 500;
/// `--scale-down-unneeded-time` default.
pub const UNNEEDED_TIME: Duration = Duration(600_000);
/// `--scale-down-delay-after-add` default.
pub const DELAY_AFTER_ADD: Duration = Duration(600_000);
/// Default provisioning delay (see `AutoscalerSpec::provisioning_delay`).
pub const PROVISIONING_DELAY: Duration = Duration(60_000);

impl AutoscalerSpec {
    pub fn config(&self) -> Config {
        Config {
            expander: self.expander,
            scan_interval: self.scan_interval.unwrap_or(SCAN_INTERVAL),
            scale_down_enabled: self.scale_down_enabled.unwrap_or(true),
            threshold_milli: self
                .scale_down_utilization_threshold
                .as_ref()
                .map_or(UTILIZATION_THRESHOLD_MILLI, |q| q.milli_value()),
            unneeded_time: self.scale_down_unneeded_time.unwrap_or(UNNEEDED_TIME),
            delay_after_add: self.scale_down_delay_after_add.unwrap_or(DELAY_AFTER_ADD),
            provisioning_delay: self.provisioning_delay.unwrap_or(PROVISIONING_DELAY),
        }
    }

    /// Check the values: `(field, message)` on error.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.scan_interval == Some(Duration::ZERO) {
            return Err(("scanInterval", "must be greater than 0".into()));
        }
        if let Some(q) = &self.scale_down_utilization_threshold {
            let m = q.milli_value();
            if !(0..=1000).contains(&m) {
                return Err((
                    "scaleDownUtilizationThreshold",
                    format!("must be between 0 and 1, found {q}"),
                ));
            }
        }
        Ok(())
    }
}
