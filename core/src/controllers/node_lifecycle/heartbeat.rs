//! A node's heartbeat, modelled without writing objects: while its kubelet runs, it renews its
//! Lease (`kube-node-lease/<node>`) every 10 s from the instant it started; the node lifecycle
//! controller only needs the last renewal once the kubelet stops. This stands in for the
//! Lease objects and for the kubelet's NodeStatus posts (`nodeStatusUpdateFrequency` 10 s,
//! written when changed or every 5 min), both of which refresh the controller's probe
//! timestamp and would otherwise write every node every 10 s.
//!
//! Upstream: pkg/kubelet/apis/config/v1beta1/defaults.go `NodeLeaseDurationSeconds` = 40;
//! pkg/kubelet/kubelet.go renew interval = `nodeLeaseRenewIntervalFraction` (0.25) × the lease
//! duration = 10 s (the lease controller's 4% jitter is not modelled).

use crate::time::{Duration, SimTime};

/// Upstream `NodeLeaseDurationSeconds` default.
pub const LEASE_DURATION: Duration = Duration::from_secs(40);
/// 25% of the lease duration.
pub const RENEW_INTERVAL: Duration = Duration::from_millis(LEASE_DURATION.0 / 4);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heartbeat {
    /// The kubelet runs and renews at `since`, `since + 10s`, ...
    Renewing { since: SimTime },
    /// The kubelet stopped; its last renewal was at `last`.
    Stopped { last: SimTime },
}

impl Heartbeat {
    /// The kubelet stops at `at`: its last renewal is the latest `since + k * 10s <= at` (a
    /// renewal due at the very instant of the failure still happens).
    pub fn stop(self, at: SimTime) -> Heartbeat {
        match self {
            Heartbeat::Renewing { since } => {
                let every = RENEW_INTERVAL.as_millis();
                let k = at.millis().saturating_sub(since.millis()) / every;
                Heartbeat::Stopped {
                    last: SimTime(since.millis() + k * every),
                }
            }
            stopped => stopped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_renewal_before_a_failure() {
        assert_eq!(RENEW_INTERVAL, Duration::from_secs(10));
        let s = |secs: u64| SimTime(secs * 1000);
        let h = Heartbeat::Renewing { since: s(0) };
        assert_eq!(h.stop(s(120)), Heartbeat::Stopped { last: s(120) });
        assert_eq!(
            h.stop(SimTime(129_999)),
            Heartbeat::Stopped { last: s(120) }
        );
        let h = Heartbeat::Renewing { since: s(365) };
        assert_eq!(h.stop(s(400)), Heartbeat::Stopped { last: s(395) });
        assert_eq!(h.stop(s(365)), Heartbeat::Stopped { last: s(365) });
        let stopped = Heartbeat::Stopped { last: s(7) };
        assert_eq!(stopped.stop(s(99)), stopped);
    }
}
