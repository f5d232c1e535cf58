//! Zones of the node lifecycle controller: each zone's disruption state and its rate-limited
//! queue of nodes waiting for a NoExecute taint (upstream node_lifecycle_controller.go
//! `ComputeZoneState`, `handleDisruption`, `setLimiterInZone`, and
//! pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go `RateLimitedTimedQueue`).

use crate::collections::{OrdMap, OrdSet};
use crate::time::{Duration, SimTime};

/// `--node-eviction-rate` 0.1 nodes per second: one token every 10 s.
pub const EVICTION_INTERVAL: Duration = Duration::from_secs(10);
/// `--secondary-node-eviction-rate` 0.01: one token every 100 s.
pub const SECONDARY_EVICTION_INTERVAL: Duration = Duration::from_secs(100);
/// `--large-cluster-size-threshold` 50: smaller zones stop tainting in partial disruption.
pub const LARGE_CLUSTER_THRESHOLD: usize = 50;
/// `--unhealthy-zone-threshold` 0.55, as a percentage (the comparison is made exactly in
/// integers; upstream divides float32s).
pub const UNHEALTHY_ZONE_THRESHOLD_PERCENT: usize = 55;

/// Upstream `ZoneState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    Initial,
    Normal,
    FullDisruption,
    PartialDisruption,
}

/// Upstream `ComputeZoneState`: no Ready node at all is a full disruption; more than two
/// not-Ready nodes making at least 55% of the zone a partial one.
pub fn compute_zone_state(ready: usize, not_ready: usize) -> ZoneState {
    if ready == 0 && not_ready > 0 {
        ZoneState::FullDisruption
    } else if not_ready > 2
        && not_ready * 100 >= UNHEALTHY_ZONE_THRESHOLD_PERCENT * (ready + not_ready)
    {
        ZoneState::PartialDisruption
    } else {
        ZoneState::Normal
    }
}

/// The token interval for a zone entering `state` (`setLimiterInZone` with `HealthyQPSFunc` /
/// `ReducedQPSFunc`); `None` is a limiter that never accepts (qps 0).
pub fn interval_for(state: ZoneState, zone_size: usize) -> Option<Duration> {
    match state {
        ZoneState::PartialDisruption if zone_size > LARGE_CLUSTER_THRESHOLD => {
            Some(SECONDARY_EVICTION_INTERVAL)
        }
        ZoneState::PartialDisruption => None,
        _ => Some(EVICTION_INTERVAL),
    }
}

/// A token bucket of burst 1 (`flowcontrol.NewTokenBucketRateLimiter(qps, 1)`), or one that
/// never accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limiter {
    interval: Option<Duration>,
    /// When the next token is there.
    next: SimTime,
}

impl Limiter {
    pub fn new(interval: Option<Duration>) -> Limiter {
        Limiter {
            interval,
            next: SimTime::ZERO,
        }
    }

    /// `TryAccept`: take the token if it is there.
    pub fn try_accept(&mut self, now: SimTime) -> bool {
        match self.interval {
            Some(i) if now >= self.next => {
                self.next = now.after(i);
                true
            }
            _ => false,
        }
    }

    /// When a token will be there (`None`: never).
    pub fn next_token(&self) -> Option<SimTime> {
        self.interval.map(|_| self.next)
    }

    /// `SwapLimiter`: a limiter of another rate, empty if the old one had no token now.
    pub fn swap(&mut self, interval: Option<Duration>, now: SimTime) {
        if interval == self.interval {
            return;
        }
        let mut new = Limiter::new(interval);
        if interval.is_some() && !self.try_accept(now) {
            new.try_accept(now);
        }
        *self = new;
    }
}

/// A zone: its state and its queue of nodes to taint (`RateLimitedTimedQueue` over a
/// `UniqueQueue`: a node is queued once; after it is processed it stays in the set, so it is
/// not queued again until it is removed).
#[derive(Clone, Debug)]
pub struct Zone {
    pub state: ZoneState,
    pub limiter: Limiter,
    /// (time added, sequence, node): the heap of `UniqueQueue`, processed oldest first.
    queue: OrdSet<(SimTime, u64, String)>,
    /// Each queued node's entry in `queue`.
    waiting: OrdMap<String, (SimTime, u64)>,
    /// Every node queued or processed and not removed since.
    set: OrdSet<String>,
    seq: u64,
}

impl Default for Zone {
    fn default() -> Zone {
        Zone {
            state: ZoneState::Initial,
            limiter: Limiter::new(Some(EVICTION_INTERVAL)),
            queue: OrdSet::new(),
            waiting: OrdMap::new(),
            set: OrdSet::new(),
            seq: 0,
        }
    }
}

impl Zone {
    /// `Add`: false when the node is already in the set.
    pub fn add(&mut self, node: &str, now: SimTime) -> bool {
        if !self.set.insert(node.to_string()) {
            return false;
        }
        self.seq += 1;
        self.queue.insert((now, self.seq, node.to_string()));
        self.waiting.insert(node.to_string(), (now, self.seq));
        true
    }

    /// `Remove`: out of the queue and the set.
    pub fn remove(&mut self, node: &str) -> bool {
        if let Some((t, seq)) = self.waiting.remove(node) {
            self.queue.remove(&(t, seq, node.to_string()));
        }
        self.set.remove(node)
    }

    /// The oldest queued node.
    pub fn head(&self) -> Option<&str> {
        self.queue.first().map(|(_, _, n)| n.as_str())
    }

    /// `RemoveFromQueue`: processed; stays in the set.
    pub fn pop_head(&mut self) {
        if let Some((_, _, n)) = self.queue.pop_first() {
            self.waiting.remove(&n);
        }
    }

    /// Queued or processed, and not removed since.
    pub fn contains(&self, node: &str) -> bool {
        self.set.contains(node)
    }

    /// Queued and not yet processed.
    pub fn is_waiting(&self, node: &str) -> bool {
        self.waiting.contains_key(node)
    }

    pub fn is_queued(&self) -> bool {
        !self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_states_like_upstream() {
        // Rows after upstream TestMonitorNodeHealthEvictPodsWithDisruption's zone cases.
        assert_eq!(compute_zone_state(3, 0), ZoneState::Normal);
        assert_eq!(compute_zone_state(0, 1), ZoneState::FullDisruption);
        assert_eq!(compute_zone_state(0, 0), ZoneState::Normal);
        // Two not-ready nodes are never a partial disruption, however small the zone.
        assert_eq!(compute_zone_state(1, 2), ZoneState::Normal);
        // 3 of 5 = 60% >= 55%.
        assert_eq!(compute_zone_state(2, 3), ZoneState::PartialDisruption);
        // 11 of 20 = 55% exactly; 10 of 20 is not.
        assert_eq!(compute_zone_state(9, 11), ZoneState::PartialDisruption);
        assert_eq!(compute_zone_state(10, 10), ZoneState::Normal);
        assert_eq!(interval_for(ZoneState::PartialDisruption, 50), None);
        assert_eq!(
            interval_for(ZoneState::PartialDisruption, 51),
            Some(SECONDARY_EVICTION_INTERVAL)
        );
        assert_eq!(
            interval_for(ZoneState::FullDisruption, 3),
            Some(EVICTION_INTERVAL)
        );
    }

    #[test]
    fn token_bucket_of_burst_one() {
        let t = |s: u64| SimTime(s * 1000);
        let mut l = Limiter::new(Some(EVICTION_INTERVAL));
        assert!(l.try_accept(t(100)), "starts full");
        assert!(!l.try_accept(t(105)));
        assert_eq!(l.next_token(), Some(t(110)));
        assert!(l.try_accept(t(110)));
        // Swapping to a slower rate while empty starts the new bucket empty.
        l.swap(Some(SECONDARY_EVICTION_INTERVAL), t(111));
        assert_eq!(l.next_token(), Some(t(211)));
        l.swap(None, t(112));
        assert!(!l.try_accept(t(1000)));
        assert_eq!(l.next_token(), None);
    }

    #[test]
    fn unique_queue_keeps_processed_nodes_in_its_set() {
        let mut z = Zone::default();
        assert!(z.add("b", SimTime(5)));
        assert!(z.add("a", SimTime(5)));
        assert!(!z.add("b", SimTime(6)));
        assert_eq!(z.head(), Some("b"), "insertion order at the same time");
        z.pop_head();
        assert!(!z.add("b", SimTime(7)), "processed nodes stay in the set");
        assert!(z.remove("b"));
        assert!(z.add("b", SimTime(8)));
        assert_eq!(z.head(), Some("a"));
    }
}
