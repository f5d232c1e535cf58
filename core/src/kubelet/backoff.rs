//! Container restart backoff (CrashLoopBackOff).
//!
//! The kubelet's rule as the design states it (upstream: pkg/kubelet/kuberuntime, the
//! `backOff` with `MaxContainerBackOff` = 300s and initial 10s, and `backOffPeriod` resets):
//! the first restart after an exit is immediate, later ones wait 10s doubling to 300s, measured
//! from the last exit; a container that ran cleanly for 10 minutes starts over.

use crate::time::Duration;

pub const INITIAL: Duration = Duration::from_secs(10);
pub const MAX: Duration = Duration::from_secs(300);
/// Running this long before exiting resets the backoff.
pub const RESET_AFTER: Duration = Duration::from_secs(600);

/// Delay before restart number `restarts + 1`, given how many restarts already happened in the
/// current backoff window.
pub fn restart_delay(restarts_in_window: u32) -> Duration {
    if restarts_in_window == 0 {
        return Duration::ZERO;
    }
    let mut d = INITIAL.as_millis();
    for _ in 1..restarts_in_window {
        d = d.saturating_mul(2).min(MAX.as_millis());
    }
    Duration(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_immediate_then_doubling_to_five_minutes() {
        let secs: Vec<u64> = (0..8).map(|n| restart_delay(n).as_secs()).collect();
        assert_eq!(secs, [0, 10, 20, 40, 80, 160, 300, 300]);
    }
}
