//! Probe workers: one per container and probe type, as upstream's prober
//! (pkg/kubelet/prober/worker.go, prober_manager.go), driven by the pod worker's clock.
//!
//! Upstream creates the workers when the kubelet first syncs the pod (`probeManager.AddPod`
//! in `SyncPod`, before the sandbox exists); each runs `doProbe` at once and then on a ticker
//! of `periodSeconds`, so probes fall on a grid anchored at that moment, not at the
//! container's start. `doProbe` skips a container that is not running, is on hold, or started
//! less than `initialDelaySeconds` ago (whole seconds, truncated); liveness and readiness wait
//! until the container has started (its startup probe passed, or it has none), and the
//! startup worker stops probing once it has. A result only takes effect after
//! `failureThreshold` (or `successThreshold`) equal results in a row; a failed liveness or
//! startup result puts the worker on hold until the next container instance. Readiness is
//! also probed at once when a started container is not yet ready (the manual trigger of
//! `UpdatePodStatus`). Defaults (`SetDefaults_Probe`): periodSeconds 10, timeoutSeconds 1,
//! successThreshold 1, failureThreshold 3, initialDelaySeconds 0.
//!
//! Simplifications: ticks while the container is not running are not simulated (they change
//! nothing visible); the manual readiness trigger fires when the start (or the startup probe's
//! success) is observed, not on every status sync; probes take no time.

use super::plan::ProbeType;
use crate::api::pod::Probe;
use crate::time::{Duration, SimTime};

/// One probe worker.
#[derive(Clone, Debug)]
pub struct ProbeWorker {
    pub probe_type: ProbeType,
    pub spec: Probe,
    /// When the worker was created: ticks fall at `origin + k × period`.
    origin: SimTime,
    /// The container attempt the cached result belongs to.
    attempt: Option<u32>,
    /// The results manager's value for that attempt (`None`: Unknown).
    pub result: Option<bool>,
    last_result: Option<bool>,
    result_run: i32,
    on_hold: bool,
    /// A `RunProbe` is out.
    pub in_flight: bool,
    /// The next tick this worker wants to run at.
    pub due: Option<SimTime>,
    /// The last instant a probe ran (no second probe at the same instant).
    last_probe: Option<SimTime>,
}

/// What the worker's container looks like to `doProbe`.
#[derive(Clone, Copy, Debug)]
pub struct Seen {
    pub attempt: u32,
    /// `Some(start)` while the process runs.
    pub running_since: Option<SimTime>,
    /// The startup probe passed (or there is none).
    pub started: bool,
    /// The pod has a deletion timestamp.
    pub deleting: bool,
}

impl ProbeWorker {
    pub fn new(probe_type: ProbeType, spec: Probe, origin: SimTime) -> ProbeWorker {
        ProbeWorker {
            probe_type,
            spec,
            origin,
            attempt: None,
            result: None,
            last_result: None,
            result_run: 0,
            on_hold: false,
            in_flight: false,
            due: None,
            last_probe: None,
        }
    }

    /// Upstream `initialValue`: readiness starts failed, liveness passed, startup unknown.
    fn initial(probe_type: ProbeType) -> Option<bool> {
        match probe_type {
            ProbeType::Readiness => Some(false),
            ProbeType::Liveness => Some(true),
            ProbeType::Startup => None,
        }
    }

    pub fn period(&self) -> Duration {
        Duration::from_secs(self.spec.period_seconds().max(1) as u64)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.spec.timeout_seconds().max(1) as u64)
    }

    /// The first tick at or after `t`.
    pub fn tick_at_or_after(&self, t: SimTime) -> SimTime {
        let p = self.period().as_millis();
        let since = t.since(self.origin).as_millis();
        SimTime(self.origin.millis() + since.div_ceil(p) * p)
    }

    /// The result that counts for container `attempt` (a new attempt starts from the initial
    /// value, as when upstream's worker sees a new container ID).
    pub fn result_for(&self, attempt: u32) -> Option<bool> {
        if self.attempt == Some(attempt) {
            self.result
        } else {
            Self::initial(self.probe_type)
        }
    }

    /// Upstream `doProbe` up to the prober call: should a probe run now? `false` also when the
    /// worker has nothing to do for this container.
    pub fn should_probe(&mut self, now: SimTime, seen: Seen) -> bool {
        if self.attempt != Some(seen.attempt) {
            // A new container: reset the cached result and resume probing.
            self.attempt = Some(seen.attempt);
            self.result = Self::initial(self.probe_type);
            self.on_hold = false;
        }
        if self.on_hold || self.in_flight || self.last_probe == Some(now) {
            return false;
        }
        let Some(start) = seen.running_since else {
            self.result = Some(false);
            return false;
        };
        if seen.deleting && self.probe_type != ProbeType::Readiness {
            // Graceful shutdown: liveness and startup report success and stop.
            self.result = Some(true);
            return false;
        }
        if (now.since(start).as_secs() as i64) < self.spec.initial_delay_seconds as i64 {
            return false;
        }
        if seen.started == (self.probe_type == ProbeType::Startup) {
            // Startup stops once started; the others wait for it.
            return false;
        }
        self.in_flight = true;
        self.last_probe = Some(now);
        true
    }

    /// Record a probe's outcome (upstream: the threshold logic after `prober.probe`). Returns
    /// the new result when it changed.
    pub fn record(&mut self, attempt: u32, success: bool) -> Option<bool> {
        self.in_flight = false;
        if self.attempt != Some(attempt) {
            return None;
        }
        if self.last_result == Some(success) {
            self.result_run += 1;
        } else {
            self.last_result = Some(success);
            self.result_run = 1;
        }
        let threshold = if success {
            self.spec.success_threshold()
        } else {
            self.spec.failure_threshold()
        };
        if self.result_run < threshold {
            return None;
        }
        let changed = self.result != Some(success);
        self.result = Some(success);
        if !success && self.probe_type != ProbeType::Readiness {
            // Restart needed: hold until a new container instance.
            self.on_hold = true;
            self.result_run = 0;
        }
        changed.then_some(success)
    }

    /// Does this worker still want ticks for the container it sees?
    pub fn wants_ticks(&self, seen: Seen) -> bool {
        let held = self.on_hold && self.attempt == Some(seen.attempt);
        // Startup probes until started; the others only once started.
        seen.running_since.is_some()
            && !held
            && !(seen.deleting && self.probe_type != ProbeType::Readiness)
            && (self.probe_type == ProbeType::Startup) != seen.started
    }
}

/// Upstream `isContainerStarted` (`UpdatePodStatus`): running, and the startup probe passed or
/// there is none.
pub fn started(startup: Option<&ProbeWorker>, attempt: u32, running: bool) -> bool {
    running && startup.is_none_or(|w| w.result_for(attempt) == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(initial_delay: i32, period: i32, failure: i32) -> Probe {
        Probe {
            initial_delay_seconds: initial_delay,
            period_seconds: Some(period),
            failure_threshold: Some(failure),
            ..Probe::default()
        }
    }

    /// Drive one worker against a container started at `start` whose probes pass while
    /// `healthy(t)`; returns (time, result) of every result change until `until` (seconds
    /// are milliseconds here). Mirrors how the pod worker arms ticks.
    fn run(
        w: &mut ProbeWorker,
        start: u64,
        started: bool,
        healthy: impl Fn(u64) -> bool,
        until: u64,
    ) -> Vec<(u64, bool)> {
        let seen = Seen {
            attempt: 0,
            running_since: Some(SimTime(start)),
            started,
            deleting: false,
        };
        let mut out = Vec::new();
        let mut t = w.tick_at_or_after(SimTime(start));
        while t.millis() <= until && w.wants_ticks(seen) {
            if w.should_probe(t, seen) {
                if let Some(r) = w.record(0, healthy(t.millis())) {
                    out.push((t.millis(), r));
                }
            }
            t = t.after(w.period());
        }
        out
    }

    #[test]
    fn defaults_are_upstreams() {
        let p = Probe::default();
        assert_eq!(
            (
                p.period_seconds(),
                p.timeout_seconds(),
                p.success_threshold(),
                p.failure_threshold(),
                p.initial_delay_seconds
            ),
            (10, 1, 1, 3, 0)
        );
    }

    #[test]
    fn ticks_are_anchored_at_the_worker_not_the_container() {
        let w = ProbeWorker::new(ProbeType::Liveness, probe(0, 10, 3), SimTime(0));
        assert_eq!(w.tick_at_or_after(SimTime(2_700)), SimTime(10_000));
        assert_eq!(w.tick_at_or_after(SimTime(10_000)), SimTime(10_000));
        let w = ProbeWorker::new(ProbeType::Liveness, probe(0, 10, 3), SimTime(1_500));
        assert_eq!(w.tick_at_or_after(SimTime(2_700)), SimTime(11_500));
    }

    #[test]
    fn liveness_fails_after_failure_threshold_consecutive_failures() {
        // Started at 2.7s, unhealthy from 32.7s: failures at 40s, 50s, 60s -> Failure at 60s.
        let mut w = ProbeWorker::new(ProbeType::Liveness, probe(0, 10, 3), SimTime(0));
        let changes = run(&mut w, 2_700, true, |t| t < 32_700, 200_000);
        assert_eq!(changes, [(60_000, false)]);
        // On hold afterwards: no more ticks for this container.
        assert!(!w.wants_ticks(Seen {
            attempt: 0,
            running_since: Some(SimTime(2_700)),
            started: true,
            deleting: false
        }));
    }

    #[test]
    fn a_success_between_failures_resets_the_run() {
        let mut w = ProbeWorker::new(ProbeType::Liveness, probe(0, 10, 3), SimTime(0));
        // Fails at 10, 20, passes at 30, fails at 40, 50, 60 -> Failure only at 60s.
        let changes = run(&mut w, 500, true, |t| t == 30_000, 100_000);
        assert_eq!(changes, [(60_000, false)]);
    }

    #[test]
    fn initial_delay_counts_whole_seconds_since_the_start() {
        // Started at 2.7s with initialDelaySeconds 10: at 10s only 7.3s passed (skipped), at
        // 20s 17.3s -> first probe at 20s; readiness becomes ready there.
        let mut w = ProbeWorker::new(ProbeType::Readiness, probe(10, 10, 3), SimTime(0));
        assert_eq!(run(&mut w, 2_700, true, |_| true, 60_000), [(20_000, true)]);
        let mut w = ProbeWorker::new(ProbeType::Readiness, probe(17, 10, 3), SimTime(0));
        // 20s - 2.7s = 17.3s -> truncated 17, not < 17: probes at 20s.
        assert_eq!(run(&mut w, 2_700, true, |_| true, 60_000), [(20_000, true)]);
        let mut w = ProbeWorker::new(ProbeType::Readiness, probe(18, 10, 3), SimTime(0));
        assert_eq!(run(&mut w, 2_700, true, |_| true, 60_000), [(30_000, true)]);
    }

    #[test]
    fn liveness_and_readiness_wait_for_startup() {
        let mut w = ProbeWorker::new(ProbeType::Liveness, probe(0, 10, 1), SimTime(0));
        assert!(run(&mut w, 0, false, |_| false, 100_000).is_empty());
        let mut s = ProbeWorker::new(ProbeType::Startup, probe(0, 5, 30), SimTime(0));
        // The startup probe passes once healthy (at 25s, on the 5s grid), then stops.
        assert_eq!(
            run(&mut s, 0, false, |t| t >= 23_000, 100_000),
            [(25_000, true)]
        );
        assert!(started(Some(&s), 0, true));
        assert!(!started(Some(&s), 1, true), "a new instance starts over");
        assert!(started(None, 0, true));
    }

    #[test]
    fn startup_failure_holds_until_a_new_container() {
        let mut s = ProbeWorker::new(ProbeType::Startup, probe(0, 10, 3), SimTime(0));
        assert_eq!(run(&mut s, 0, false, |_| false, 100_000), [(20_000, false)]);
        // 0s, 10s, 20s: three failures.
        let seen1 = Seen {
            attempt: 1,
            running_since: Some(SimTime(25_000)),
            started: false,
            deleting: false,
        };
        assert!(s.wants_ticks(seen1));
        assert!(s.should_probe(SimTime(30_000), seen1));
        assert_eq!(s.record(1, true), Some(true));
    }

    #[test]
    fn deletion_stops_liveness_but_not_readiness() {
        let seen = Seen {
            attempt: 0,
            running_since: Some(SimTime(0)),
            started: true,
            deleting: true,
        };
        let mut l = ProbeWorker::new(ProbeType::Liveness, probe(0, 10, 3), SimTime(0));
        assert!(!l.should_probe(SimTime(10_000), seen));
        assert!(!l.wants_ticks(seen));
        let mut r = ProbeWorker::new(ProbeType::Readiness, probe(0, 10, 3), SimTime(0));
        assert!(r.should_probe(SimTime(10_000), seen));
    }
}
