//! Container restart backoff (CrashLoopBackOff).
//!
//! Upstream: the kubelet keeps one `flowcontrol.Backoff` (client-go util/flowcontrol/backoff.go)
//! created with `backOffPeriod` = 10s and `MaxContainerBackOff` = 300s (pkg/kubelet/kubelet.go),
//! keyed per container; kuberuntime's `doBackOff` asks `IsInBackOffSince(key, finishedAt)` of
//! the container's last exit and, when not in backoff, calls `Next(key, finishedAt)` and
//! restarts. So the first restart after an exit is immediate, later ones wait 10s, 20s, 40s
//! ... capped at 300s, measured from the exit; an exit more than 2 × 300s after the backoff was
//! last advanced starts over (`hasExpired`), i.e. after ten minutes of clean running.
//! (The alpha gates of KEP-4603 that shorten the curve are off by default in v1.35.)

use crate::time::{Duration, SimTime};

/// Upstream `backOffPeriod` (pkg/kubelet/kubelet.go).
pub const INITIAL: Duration = Duration::from_secs(10);
/// Upstream `MaxContainerBackOff` (pkg/kubelet/kubelet.go).
pub const MAX: Duration = Duration::from_secs(300);

/// One container's backoff entry (upstream `backoffEntry`); `None` until the first restart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backoff {
    entry: Option<(Duration, SimTime)>,
}

impl Backoff {
    /// Upstream `hasExpired`: stable for twice the maximum since the entry was last updated.
    fn expired(event: SimTime, last_update: SimTime) -> bool {
        event.since(last_update) > Duration(MAX.as_millis() * 2)
    }

    /// Upstream `IsInBackOffSince(id, eventTime)`: must a restart after an exit at `exit`
    /// still wait at `now`? Returns when the wait ends.
    pub fn in_backoff_since(&self, exit: SimTime, now: SimTime) -> Option<SimTime> {
        let (backoff, last_update) = self.entry?;
        if Self::expired(exit, last_update) {
            return None;
        }
        (now.since(exit) < backoff).then(|| exit.after(backoff))
    }

    /// Upstream `Next(id, eventTime)`, called when a restart goes ahead at `now`.
    pub fn next(&mut self, exit: SimTime, now: SimTime) {
        let backoff = match self.entry {
            Some((b, last)) if !Self::expired(exit, last) => {
                Duration((b.as_millis() * 2).min(MAX.as_millis()))
            }
            _ => INITIAL,
        };
        self.entry = Some((backoff, now));
    }

    /// The current backoff (upstream `Get`), for the CrashLoopBackOff message.
    pub fn current(&self) -> Duration {
        self.entry.map_or(Duration::ZERO, |(b, _)| b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A container that crashes `run` after every start: the restart delays it sees.
    fn delays(run: u64, n: usize) -> Vec<u64> {
        let mut b = Backoff::default();
        let mut now = SimTime(0);
        let mut out = Vec::new();
        for _ in 0..n {
            let exit = now.after(Duration(run));
            let restart = b.in_backoff_since(exit, exit).unwrap_or(exit);
            out.push(restart.since(exit).as_secs());
            b.next(exit, restart);
            now = restart;
        }
        out
    }

    #[test]
    fn first_immediate_then_doubling_to_five_minutes() {
        assert_eq!(delays(5_000, 9), [0, 10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn ten_minutes_of_clean_running_starts_over() {
        // Ran 601s after its restart: more than 2 × 300s since the entry was last updated.
        assert_eq!(delays(601_000, 4), [0, 0, 0, 0]);
        // Exactly 600s is not "more than": the curve continues.
        assert_eq!(delays(600_000, 3), [0, 10, 20]);
    }

    #[test]
    fn waiting_ends_at_exit_plus_backoff() {
        let mut b = Backoff::default();
        b.next(SimTime(1_000), SimTime(1_000));
        assert_eq!(
            b.in_backoff_since(SimTime(6_000), SimTime(6_000)),
            Some(SimTime(16_000))
        );
        assert_eq!(b.in_backoff_since(SimTime(6_000), SimTime(16_000)), None);
        assert_eq!(b.current(), INITIAL);
    }
}
