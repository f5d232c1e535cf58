//! The scheduling queue: activeQ (PrioritySort order), backoffQ and unschedulable pods.
//!
//! Upstream: pkg/scheduler/backend/queue/scheduling_queue.go.
//! - activeQ pops the highest priority first, then the earliest enqueue time (PrioritySort).
//! - A pod that failed waits `podInitialBackoffDuration` (1s) doubled per attempt, capped at
//!   `podMaxBackoffDuration` (10s).
//! - Unschedulable pods move back on cluster events that may make them schedulable, and at
//!   the latest after `podMaxInUnschedulablePodsDuration` (5 min), checked by a flush that runs
//!   every 30s.

use crate::collections::{OrdMap, OrdSet};
use crate::sched::framework::PodInfo;
use crate::time::{Duration, SimTime};
use std::cmp::Reverse;
use std::rc::Rc;

pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
pub const MAX_IN_UNSCHEDULABLE: Duration = Duration::from_secs(300);
pub const UNSCHEDULABLE_FLUSH_PERIOD: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
struct Info {
    priority: i32,
    attempts: u32,
    /// When the last attempt failed.
    failed_at: SimTime,
    /// The plugins that rejected the pod in its last attempt (upstream
    /// `QueuedPodInfo.UnschedulablePlugins`), and the pod as it was then: what the queueing
    /// hints judge.
    rejectors: Vec<&'static str>,
    pod: Option<Rc<PodInfo>>,
}

pub struct SchedulingQueue {
    /// `podInitialBackoffSeconds` / `podMaxBackoffSeconds` (defaults 1s / 10s).
    initial_backoff: Duration,
    max_backoff: Duration,
    /// (priority desc, enqueue sequence) → pod key.
    active: OrdSet<(Reverse<i32>, u64, String)>,
    /// (backoff expiry, sequence) → pod key.
    backoff: OrdSet<(SimTime, u64, String)>,
    unschedulable: OrdMap<String, Info>,
    info: OrdMap<String, Info>,
    /// Pod key → where it is, to remove it from any sub-queue.
    location: OrdMap<String, Loc>,
    seq: u64,
}

#[derive(Clone, Debug)]
enum Loc {
    Active(Reverse<i32>, u64),
    Backoff(SimTime, u64),
    Unschedulable,
}

/// Upstream `calculateBackoffDuration`: the initial backoff doubled for every attempt after
/// the first, capped at the maximum.
pub fn backoff_duration(attempts: u32, initial: Duration, max: Duration) -> Duration {
    let mut d = initial.as_millis();
    for _ in 1..attempts {
        d = d.saturating_mul(2);
        if d > max.as_millis() {
            return max;
        }
    }
    Duration(d)
}

impl Default for SchedulingQueue {
    fn default() -> Self {
        SchedulingQueue::new(INITIAL_BACKOFF, MAX_BACKOFF)
    }
}

impl SchedulingQueue {
    pub fn new(initial_backoff: Duration, max_backoff: Duration) -> SchedulingQueue {
        SchedulingQueue {
            initial_backoff,
            max_backoff,
            active: OrdSet::new(),
            backoff: OrdSet::new(),
            unschedulable: OrdMap::new(),
            info: OrdMap::new(),
            location: OrdMap::new(),
            seq: 0,
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A new pending pod (or one whose spec changed): straight to activeQ.
    pub fn add(&mut self, key: &str, priority: i32) {
        self.remove(key);
        let info = self.info.entry(key.to_string()).or_insert(Info {
            priority,
            attempts: 0,
            failed_at: SimTime::ZERO,
            rejectors: Vec::new(),
            pod: None,
        });
        info.priority = priority;
        let seq = self.next_seq();
        self.active
            .insert((Reverse(priority), seq, key.to_string()));
        self.location
            .insert(key.to_string(), Loc::Active(Reverse(priority), seq));
    }

    pub fn remove(&mut self, key: &str) {
        match self.location.remove(key) {
            Some(Loc::Active(p, s)) => {
                self.active.remove(&(p, s, key.to_string()));
            }
            Some(Loc::Backoff(t, s)) => {
                self.backoff.remove(&(t, s, key.to_string()));
            }
            Some(Loc::Unschedulable) => {
                self.unschedulable.remove(key);
            }
            None => {}
        }
    }

    /// Forget a pod entirely (bound or deleted).
    pub fn forget(&mut self, key: &str) {
        self.remove(key);
        self.info.remove(key);
    }

    pub fn pop(&mut self) -> Option<String> {
        let first = self.active.pop_first()?;
        self.location.remove(&first.2);
        Some(first.2)
    }

    /// A scheduling attempt failed: park the pod among the unschedulable ones, with the
    /// plugins that rejected it (empty: any cluster event moves it).
    pub fn add_unschedulable(
        &mut self,
        key: &str,
        now: SimTime,
        rejectors: Vec<&'static str>,
        pod: Option<Rc<PodInfo>>,
    ) {
        self.remove(key);
        let info = self.info.entry(key.to_string()).or_insert(Info {
            priority: 0,
            attempts: 0,
            failed_at: now,
            rejectors: Vec::new(),
            pod: None,
        });
        info.attempts += 1;
        info.failed_at = now;
        info.rejectors = rejectors;
        info.pod = pod;
        let info = info.clone();
        self.unschedulable.insert(key.to_string(), info);
        self.location.insert(key.to_string(), Loc::Unschedulable);
    }

    /// A cluster event that may help: move every unschedulable pod to activeQ, or to backoffQ
    /// while its backoff has not expired (upstream `MoveAllToActiveOrBackoffQueue`).
    pub fn move_all_unschedulable(&mut self, now: SimTime) {
        let keys: Vec<String> = self.unschedulable.keys().cloned().collect();
        for k in keys {
            self.requeue(&k, now);
        }
    }

    /// A cluster event: move the unschedulable pods for which `worth(pod, rejectors)` says
    /// the event may help (upstream `MoveAllToActiveOrBackoffQueue` with
    /// `isPodWorthRequeuing`), in key order.
    pub fn move_if(
        &mut self,
        now: SimTime,
        mut worth: impl FnMut(Option<&PodInfo>, &[&'static str]) -> bool,
    ) {
        let keys: Vec<String> = self
            .unschedulable
            .iter()
            .filter(|(_, i)| worth(i.pod.as_deref(), &i.rejectors))
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            self.requeue(&k, now);
        }
    }

    /// How many pods wait among the unschedulable ones.
    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable.len()
    }

    fn requeue(&mut self, key: &str, now: SimTime) {
        let Some(info) = self.unschedulable.remove(key) else {
            return;
        };
        self.location.remove(key);
        let expiry = info.failed_at.after(backoff_duration(
            info.attempts,
            self.initial_backoff,
            self.max_backoff,
        ));
        let seq = self.next_seq();
        if expiry > now {
            self.backoff.insert((expiry, seq, key.to_string()));
            self.location
                .insert(key.to_string(), Loc::Backoff(expiry, seq));
        } else {
            self.active
                .insert((Reverse(info.priority), seq, key.to_string()));
            self.location
                .insert(key.to_string(), Loc::Active(Reverse(info.priority), seq));
        }
    }

    /// Move pods whose backoff expired to activeQ, and pods unschedulable for longer than
    /// 5 minutes back into circulation.
    pub fn flush(&mut self, now: SimTime) {
        while let Some((t, _, _)) = self.backoff.first() {
            if *t > now {
                break;
            }
            let (_, _, key) = self.backoff.pop_first().expect("peeked");
            self.location.remove(&key);
            let priority = self.info.get(&key).map_or(0, |i| i.priority);
            let seq = self.next_seq();
            self.active.insert((Reverse(priority), seq, key.clone()));
            self.location
                .insert(key, Loc::Active(Reverse(priority), seq));
        }
        let stale: Vec<String> = self
            .unschedulable
            .iter()
            .filter(|(_, i)| now.since(i.failed_at) >= MAX_IN_UNSCHEDULABLE)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            self.requeue(&k, now);
        }
    }

    /// When the queue next needs a flush: the earliest backoff expiry, or the first 30s flush
    /// tick at or after an unschedulable pod's 5 minutes are up.
    pub fn next_wake(&self) -> Option<SimTime> {
        let backoff = self.backoff.first().map(|(t, _, _)| *t);
        let period = UNSCHEDULABLE_FLUSH_PERIOD.as_millis();
        let stale = self
            .unschedulable
            .values()
            .map(|i| {
                let due = i.failed_at.after(MAX_IN_UNSCHEDULABLE).millis();
                SimTime(due.div_ceil(period) * period)
            })
            .min();
        match (backoff, stale) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Is the pod in any sub-queue?
    pub fn contains(&self, key: &str) -> bool {
        self.location.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_ten_seconds() {
        // Upstream TestBackOffFlow / calculateBackoffDuration: 1s, 2s, 4s, 8s, 10s, 10s.
        let got: Vec<u64> = (1..=6)
            .map(|a| backoff_duration(a, INITIAL_BACKOFF, MAX_BACKOFF).as_secs())
            .collect();
        assert_eq!(got, [1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn priority_then_fifo() {
        let mut q = SchedulingQueue::default();
        q.add("a", 0);
        q.add("b", 10);
        q.add("c", 0);
        q.add("d", 10);
        let order: Vec<String> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, ["b", "d", "a", "c"]);
    }

    #[test]
    fn unschedulable_waits_for_backoff_or_event() {
        let mut q = SchedulingQueue::default();
        q.add("p", 0);
        assert_eq!(q.pop().as_deref(), Some("p"));
        q.add_unschedulable("p", SimTime(0), Vec::new(), None);
        assert_eq!(q.pop(), None);
        // An event before the 1s backoff expires moves it to backoffQ, not activeQ.
        q.move_all_unschedulable(SimTime(500));
        assert_eq!(q.pop(), None);
        assert_eq!(q.next_wake(), Some(SimTime(1000)));
        q.flush(SimTime(1000));
        assert_eq!(q.pop().as_deref(), Some("p"));
        // Second failure: no event comes; the 5-minute flush brings it back at the next 30s tick.
        q.add_unschedulable("p", SimTime(1_000), Vec::new(), None);
        assert_eq!(q.next_wake(), Some(SimTime(330_000)));
        q.flush(SimTime(300_999));
        assert_eq!(q.pop(), None);
        q.flush(SimTime(330_000));
        assert_eq!(q.pop().as_deref(), Some("p"));
    }

    #[test]
    fn events_move_only_pods_their_rejectors_care_about() {
        let mut q = SchedulingQueue::default();
        q.add_unschedulable("a", SimTime(0), vec!["NodeResourcesFit"], None);
        q.add_unschedulable("b", SimTime(0), vec!["TaintToleration"], None);
        q.add_unschedulable("c", SimTime(0), Vec::new(), None);
        // An event only NodeResourcesFit says Queue to; a pod without rejectors always moves.
        q.move_if(SimTime(5_000), |_, r| {
            r.is_empty() || r.contains(&"NodeResourcesFit")
        });
        assert_eq!(q.unschedulable_len(), 1);
        let order: Vec<String> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, ["a", "c"]);
        assert!(q.contains("b"), "b stays unschedulable");
    }
}
