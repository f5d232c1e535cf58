//! Borg's priority bands (Verma et al., "Large-scale cluster management at Google with Borg",
//! EuroSys 2015, §2.5): non-overlapping bands — monitoring, production, batch, best effort —
//! and the rule that tasks in the production band never preempt one another.
//!
//! cellsim maps Kubernetes priorities (PriorityClass values) onto bands by lower bounds,
//! configurable in the scenario's `spec.borg.bands`. Without `spec.borg` the scheduler is plain
//! kube-scheduler. `spec.borg.reclamation` adds resource reclamation (§5.5, `sched::reclaim`).

use cellsim_derive::CompactDeserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    BestEffort,
    Batch,
    Production,
    Monitoring,
}

/// Lower bounds (inclusive) of each band on pod priority. Defaults: the system classes
/// (≥ 1,000,000,000) are monitoring, ≥ 10,000 production, ≥ 1 batch, ≤ 0 best effort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CompactDeserialize)]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct BorgPolicy {
    pub bands: Bands,
    /// Resource reclamation (§5.5) when present.
    pub reclamation: Option<crate::sched::reclaim::Reclamation>,
}

impl BorgPolicy {
    /// Bands must be strictly ordered: monitoring > production > batch; reclamation's values
    /// must be in range. An error names the offending field, relative to `spec.borg`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let b = &self.bands;
        if !(b.monitoring > b.production && b.production > b.batch) {
            return Err((
                "bands".into(),
                format!(
                    "must be ordered monitoring > production > batch, got {} / {} / {}",
                    b.monitoring, b.production, b.batch
                ),
            ));
        }
        if let Some(r) = &self.reclamation {
            r.validate()
                .map_err(|(field, why)| (format!("reclamation.{field}"), why))?;
        }
        Ok(())
    }

    /// Does the scheduler fit a pod of this priority against the reservations of the pods on
    /// a node rather than their requests? With reclamation on, for pods below the production
    /// band (§5.5: "for non-prod tasks, it uses the reservations of existing tasks so the new
    /// tasks can be scheduled into reclaimed resources").
    #[inline]
    pub fn fits_against_reservations(&self, priority: i32) -> bool {
        self.reclamation.is_some() && self.band(priority) < Band::Production
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
            reclamation: None,
        };
        assert_eq!(bad.validate().unwrap_err().0, "bands");
        let bad = BorgPolicy {
            reclamation: Some(crate::sched::reclaim::Reclamation {
                decay_percent: 0,
                ..Default::default()
            }),
            ..p
        };
        assert_eq!(bad.validate().unwrap_err().0, "reclamation.decayPercent");
    }

    #[test]
    fn only_non_prod_pods_fit_against_reservations() {
        let off = BorgPolicy::default();
        assert!(!off.fits_against_reservations(0), "reclamation is opt-in");
        let on = BorgPolicy {
            reclamation: Some(Default::default()),
            ..off
        };
        assert!(on.fits_against_reservations(0), "best effort");
        assert!(on.fits_against_reservations(9_999), "batch");
        assert!(!on.fits_against_reservations(10_000), "production");
        assert!(!on.fits_against_reservations(2_000_000_000), "monitoring");
    }
}
