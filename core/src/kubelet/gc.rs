//! Dead-container garbage collection (upstream pkg/kubelet/kuberuntime/kuberuntime_gc.go with
//! the kubelet's default `GCPolicy`).
//!
//! Every `ContainerGCPeriod` (one minute, from the kubelet's start) the kubelet removes, for
//! each container of each pod, all dead instances but the newest `MaxPerPodContainer` (1,
//! `--maximum-dead-containers-per-container`), with no minimum age
//! (`--minimum-container-ttl-duration` 0) and no global cap (`--maximum-dead-containers` -1);
//! the sandboxes (and with them the containers) of pods that were deleted go entirely.

use crate::time::{Duration, SimTime};

/// Upstream `ContainerGCPeriod` (pkg/kubelet/kubelet.go).
pub const PERIOD: Duration = Duration::from_secs(60);

/// Upstream default `MaxPerPodContainer`.
pub const MAX_PER_POD_CONTAINER: usize = 1;

/// The first GC run strictly after `now` for a kubelet started at `origin` (upstream
/// `wait.Until` runs at the start and then every period).
pub fn next_run(origin: SimTime, now: SimTime) -> SimTime {
    let p = PERIOD.as_millis();
    let k = now.since(origin).as_millis() / p + 1;
    SimTime(origin.millis() + k * p)
}

/// Of one container's dead attempts (oldest first), those to remove (`enforceMaxContainersPerEvictUnit`).
pub fn evictable(dead: &[u32]) -> &[u32] {
    &dead[..dead.len().saturating_sub(MAX_PER_POD_CONTAINER)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_dead_instance() {
        assert_eq!(evictable(&[0, 1, 2]), &[0, 1]);
        assert_eq!(evictable(&[3]), &[] as &[u32]);
        assert_eq!(evictable(&[]), &[] as &[u32]);
    }

    #[test]
    fn runs_every_minute_from_the_kubelet_start() {
        assert_eq!(next_run(SimTime(0), SimTime(0)), SimTime(60_000));
        assert_eq!(next_run(SimTime(0), SimTime(59_999)), SimTime(60_000));
        assert_eq!(next_run(SimTime(0), SimTime(60_000)), SimTime(120_000));
        assert_eq!(next_run(SimTime(5_000), SimTime(70_000)), SimTime(125_000));
    }
}
