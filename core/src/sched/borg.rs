//! Borg's priority bands (Verma et al., "Large-scale cluster management at Google with Borg",
//! EuroSys 2015, §2.5): non-overlapping bands — monitoring, production, batch, best effort —
//! and the rule that tasks in the production band never preempt one another.
//!
//! cellsim maps Kubernetes priorities (PriorityClass values) onto bands by lower bounds,
//! configurable in the scenario's `spec.borg.bands`. Without `spec.borg` the scheduler is plain
//! kube-scheduler.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    BestEffort,
    Batch,
    Production,
    Monitoring,
}

/// Lower bounds (inclusive) of each band on pod priority. Defaults: the system classes
/// (≥ 1,000,000,000) are monitoring, ≥ 10,000 production, ≥ 1 batch, ≤ 0 best effort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Bands {
    pub monitoring: i32,
    pub production: i32,
    pub batch: i32,
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            monitoring: 1_000_000_000,
            production: 10_000,
            batch: 1,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct BorgPolicy {
    pub bands: Bands,
}

impl BorgPolicy {
    /// Bands must be strictly ordered: monitoring > production > batch.
    pub fn validate(&self) -> Result<(), String> {
        let b = &self.bands;
        if !(b.monitoring > b.production && b.production > b.batch) {
            return Err(format!(
                "bands must be ordered monitoring > production > batch, got {} / {} / {}",
                b.monitoring, b.production, b.batch
            ));
        }
        Ok(())
    }

    pub fn band(&self, priority: i32) -> Band {
        let b = &self.bands;
        if priority >= b.monitoring {
            Band::Monitoring
        } else if priority >= b.production {
            Band::Production
        } else if priority >= b.batch {
            Band::Batch
        } else {
            Band::BestEffort
        }
    }
}

/// May a pod of `preemptor` priority evict one of `victim` priority? Upstream: only lower
/// priorities (`isPreemptionAllowed`); Borg adds: never within the production band.
pub fn preemption_allowed(policy: Option<&BorgPolicy>, preemptor: i32, victim: i32) -> bool {
    victim < preemptor
        && policy.is_none_or(|p| {
            !(p.band(preemptor) == Band::Production && p.band(victim) == Band::Production)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_and_the_production_rule() {
        let p = BorgPolicy::default();
        assert_eq!(p.band(2_000_000_000), Band::Monitoring);
        assert_eq!(p.band(10_000), Band::Production);
        assert_eq!(p.band(9_999), Band::Batch);
        assert_eq!(p.band(0), Band::BestEffort);
        assert!(
            preemption_allowed(None, 20_000, 10_000),
            "plain kube-scheduler: lower priority"
        );
        assert!(
            !preemption_allowed(Some(&p), 20_000, 10_000),
            "production never preempts production"
        );
        assert!(
            preemption_allowed(Some(&p), 20_000, 100),
            "production preempts batch"
        );
        assert!(
            preemption_allowed(Some(&p), 1_000_000_000, 50_000),
            "monitoring preempts production"
        );
        assert!(
            !preemption_allowed(Some(&p), 100, 100),
            "never equal priority"
        );
        let bad = BorgPolicy {
            bands: Bands {
                monitoring: 5,
                production: 5,
                batch: 1,
            },
        };
        assert!(bad.validate().is_err());
    }
}
