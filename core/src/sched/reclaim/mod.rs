//! Borg's resource reclamation (Verma et al., "Large-scale cluster management at Google with
//! Borg", EuroSys 2015, §5.5), opt-in with `spec.borg.reclamation`.
//!
//! Every pod bound to a node has a *reservation* of cpu and memory: Borg's estimate of what
//! the task will use. It starts at the pod's requests (cellsim's stand-in for Borg's limit),
//! stays there for a startup grace, then decays toward the observed usage plus a safety margin,
//! and jumps back up as soon as the usage exceeds it (`decay`). The scheduler fits production
//! and monitoring pods against the requests of the pods already on a node, and batch and
//! best-effort pods against their reservations, so non-prod work runs in reclaimed resources
//! (`NodeResourcesFit`). When the reservations on a node no longer fit its allocatable
//! (usage came back), non-prod pods are preempted until they do (`evict`). `tick` is the
//! periodic pass over the store that does both.
//!
//! Everything is integer arithmetic on millicores and bytes, in store (key) order.

pub mod decay;
pub mod evict;
pub mod tick;

use crate::time::Duration;
use cellsim_derive::CompactDeserialize;

/// `spec.borg.reclamation`: present = on (every field has a default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Reclamation {
    /// How long after a pod starts its reservation stays at its requests. §5.5: "after
    /// 300 s, to allow for startup transients, it decays slowly".
    pub startup_grace: Duration,
    /// How often reservations are recomputed and nodes checked. §5.5: the Borgmaster
    /// computes reservations "every few seconds"; cellsim's default is 10s, coarse enough to
    /// keep a run's event count low.
    pub period: Duration,
    /// Percent of the gap between the reservation and its target closed each period. §5.5
    /// says only that the decay is slow; cellsim's default 5 gives a half-life of about 13.5
    /// periods (2m15s at the default period).
    pub decay_percent: u32,
    /// The target is the usage plus this percent of it. §5.5 names a "safety margin" without
    /// a value (Fig. 12 compares settings with smaller and larger margins); cellsim's default
    /// is 10.
    pub safety_margin_percent: u32,
}

impl Default for Reclamation {
    fn default() -> Self {
        Reclamation {
            startup_grace: Duration::from_secs(300),
            period: Duration::from_secs(10),
            decay_percent: 5,
            safety_margin_percent: 10,
        }
    }
}

/// Bounds of `period`: at least a second (a finer tick only costs events), at most an hour.
pub const MIN_PERIOD: Duration = Duration::from_secs(1);
pub const MAX_PERIOD: Duration = Duration::from_secs(3600);

impl Reclamation {
    /// Check the values; an error names the offending field (relative to
    /// `spec.borg.reclamation`) and says why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.period < MIN_PERIOD || self.period > MAX_PERIOD {
            return Err((
                "period",
                format!(
                    "must be between {MIN_PERIOD} and {MAX_PERIOD}, got {}",
                    self.period
                ),
            ));
        }
        if !(1..=100).contains(&self.decay_percent) {
            return Err((
                "decayPercent",
                format!("must be between 1 and 100, got {}", self.decay_percent),
            ));
        }
        if self.safety_margin_percent > 100 {
            return Err((
                "safetyMarginPercent",
                format!(
                    "must be between 0 and 100, got {}",
                    self.safety_margin_percent
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_their_field() {
        assert_eq!(Reclamation::default().validate(), Ok(()));
        let bad = |r: Reclamation| r.validate().unwrap_err().0;
        let d = Reclamation::default();
        assert_eq!(
            bad(Reclamation {
                period: Duration::from_millis(999),
                ..d
            }),
            "period"
        );
        assert_eq!(
            bad(Reclamation {
                period: Duration::from_secs(3601),
                ..d
            }),
            "period"
        );
        assert_eq!(
            bad(Reclamation {
                decay_percent: 0,
                ..d
            }),
            "decayPercent"
        );
        assert_eq!(
            bad(Reclamation {
                decay_percent: 101,
                ..d
            }),
            "decayPercent"
        );
        assert_eq!(
            bad(Reclamation {
                safety_margin_percent: 101,
                ..d
            }),
            "safetyMarginPercent"
        );
        let edge = Reclamation {
            period: MIN_PERIOD,
            decay_percent: 100,
            safety_margin_percent: 0,
            startup_grace: Duration::ZERO,
        };
        assert_eq!(edge.validate(), Ok(()));
    }
}
