//! Killing a container: the grace period, the preStop hook, sidecar ordering, SIGTERM then
//! SIGKILL (upstream pkg/kubelet/kuberuntime/kuberuntime_container.go `killContainer`,
//! `executePreStopHook`, `setTerminationGracePeriod`; kuberuntime_termination_order.go).
//!
//! `killContainer` records `Killing`, takes the grace period, runs the preStop hook if there
//! is one and the grace period is positive (waiting at most the grace period) and subtracts
//! the whole seconds it took, then — when the pod has sidecars and the whole pod is being
//! stopped — waits for the containers that must stop first and subtracts that wait too,
//! raises what is left to `minimumGracePeriodInSeconds` (2) and calls CRI `StopContainer` with
//! it: the runtime sends SIGTERM and, if the process is still there when the timeout expires,
//! SIGKILL.

use crate::api::pod::{Container, LifecycleHandler, PodSpec};
use crate::time::{Duration, SimTime};

/// Upstream `minimumGracePeriodInSeconds` (pkg/kubelet/kuberuntime/kuberuntime_manager.go):
/// "A minimal shutdown window for avoiding unnecessary SIGKILLs".
pub const MINIMUM_GRACE_SECONDS: i64 = 2;

/// The API default of `terminationGracePeriodSeconds` (pkg/apis/core/v1/defaults.go,
/// `DefaultTerminationGracePeriodSeconds`).
pub const DEFAULT_GRACE_SECONDS: i64 = 30;

/// Why a container is killed (upstream `containerKillReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillReason {
    /// The pod is being deleted or has finished (upstream `reasonUnknown` via `killPod`).
    PodTermination,
    LivenessProbe,
    StartupProbe,
}

/// Upstream `setTerminationGracePeriod`: the pod's deletion grace period while it is being
/// deleted (the API server copies `terminationGracePeriodSeconds` into it); otherwise a failed
/// probe's own `terminationGracePeriodSeconds` when set, else the pod's.
pub fn grace_seconds(spec: &PodSpec, deleting: bool, c: &Container, reason: KillReason) -> i64 {
    let pod = spec
        .termination_grace_period_seconds
        .unwrap_or(DEFAULT_GRACE_SECONDS);
    if deleting {
        return pod;
    }
    let probe = match reason {
        KillReason::LivenessProbe => c.liveness_probe.as_ref(),
        KillReason::StartupProbe => c.startup_probe.as_ref(),
        KillReason::PodTermination => None,
    };
    probe
        .and_then(|p| p.termination_grace_period_seconds)
        .unwrap_or(pod)
}

/// The `Killing` event's message (upstream `computePodActions` and `killContainer`).
pub fn killing_message(container: &str, reason: KillReason, restart: bool) -> String {
    let base = match reason {
        KillReason::PodTermination => return format!("Stopping container {container}"),
        KillReason::LivenessProbe => format!("Container {container} failed liveness probe"),
        KillReason::StartupProbe => format!("Container {container} failed startup probe"),
    };
    if restart {
        format!("{base}, will be restarted")
    } else {
        base
    }
}

/// How a preStop hook runs.
#[derive(Clone, Debug, PartialEq)]
pub enum PreStop {
    /// `sleep`: the kubelet itself waits (upstream `runSleepHandler`).
    Sleep(Duration),
    /// `exec`, `httpGet`, `tcpSocket`: carried out by the runtime (`RunLifecycleHook`).
    Runtime(LifecycleHandler),
}

pub fn pre_stop(c: &Container) -> Option<PreStop> {
    let h = c.lifecycle.as_ref()?.pre_stop.as_ref()?;
    Some(match &h.sleep {
        Some(s) => PreStop::Sleep(Duration::from_secs(s.seconds.max(0) as u64)),
        None => PreStop::Runtime(h.clone()),
    })
}

/// Where a kill stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// The preStop hook runs; it is abandoned at `deadline` (the grace period).
    PreStop {
        deadline: SimTime,
        /// When a `sleep` hook finishes by itself.
        sleep_done: Option<SimTime>,
    },
    /// Waiting for the containers that stop first (sidecar ordering), at most until
    /// `deadline`.
    WaitTurn { since: SimTime, deadline: SimTime },
    /// `StopContainer` was sent.
    Stopping { timeout_seconds: u64 },
}

/// One container's kill in progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Kill {
    pub attempt: u32,
    pub reason: KillReason,
    /// Seconds of grace left.
    pub grace: i64,
    pub stage: Stage,
    /// Whether this container must wait for others before `StopContainer`.
    pub ordered: bool,
}

impl Kill {
    /// Start a kill at `now`: the preStop stage when there is a hook and a positive grace
    /// period, else straight on.
    pub fn begin(
        now: SimTime,
        attempt: u32,
        reason: KillReason,
        grace: i64,
        hook: Option<&PreStop>,
        ordered: bool,
    ) -> Kill {
        let stage = match hook {
            Some(h) if grace > 0 => {
                let deadline = now.after(Duration::from_secs(grace as u64));
                let sleep_done = match h {
                    PreStop::Sleep(d) => Some(now.after(*d).min(deadline)),
                    PreStop::Runtime(_) => None,
                };
                Stage::PreStop {
                    deadline,
                    sleep_done,
                }
            }
            _ => Stage::WaitTurn {
                since: now,
                deadline: now,
            },
        };
        let mut k = Kill {
            attempt,
            reason,
            grace,
            stage,
            ordered,
        };
        if matches!(k.stage, Stage::WaitTurn { .. }) {
            k.enter_wait(now);
        }
        k
    }

    /// When this kill next needs the clock (a hook's deadline or end, a turn's deadline).
    pub fn timer(&self) -> Option<SimTime> {
        match &self.stage {
            Stage::PreStop {
                deadline,
                sleep_done,
            } => Some(sleep_done.unwrap_or(*deadline)),
            Stage::WaitTurn { deadline, .. } if self.ordered => Some(*deadline),
            _ => None,
        }
    }

    /// The preStop hook ended (returned, or was abandoned at the deadline) at `now`: subtract
    /// the whole seconds it took (upstream `executePreStopHook` returns
    /// `int64(time.Since(start).Seconds())`).
    pub fn hook_done(&mut self, now: SimTime) {
        if let Stage::PreStop { deadline, .. } = self.stage {
            let started = SimTime(deadline.millis() - self.grace as u64 * 1000);
            self.grace -= now.since(started).as_secs() as i64;
            self.enter_wait(now);
        }
    }

    fn enter_wait(&mut self, now: SimTime) {
        // Upstream `waitForTurn` does not wait without grace left.
        let wait = if self.ordered && self.grace > 0 {
            self.grace as u64
        } else {
            0
        };
        self.stage = Stage::WaitTurn {
            since: now,
            deadline: now.after(Duration::from_secs(wait)),
        };
    }

    /// Is it this container's turn to get `StopContainer` at `now`? `others_done`: every
    /// container it waits for has exited. Returns the timeout to send.
    pub fn turn(&mut self, now: SimTime, others_done: bool) -> Option<u64> {
        let Stage::WaitTurn { since, deadline } = self.stage else {
            return None;
        };
        if self.ordered && !others_done && now < deadline {
            return None;
        }
        if self.ordered {
            // "the time we've waited gets truncated downward"
            self.grace -= now.since(since).as_secs() as i64;
        }
        let timeout = self.grace.max(MINIMUM_GRACE_SECONDS) as u64;
        self.stage = Stage::Stopping {
            timeout_seconds: timeout,
        };
        Some(timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{Lifecycle, Probe, SleepAction};

    fn sleep_hook(secs: i64) -> PreStop {
        pre_stop(&Container {
            lifecycle: Some(Lifecycle {
                pre_stop: Some(LifecycleHandler {
                    sleep: Some(SleepAction { seconds: secs }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap()
    }

    /// Drive a kill started at 0 with a preStop sleep: (when StopContainer is sent, its
    /// timeout).
    fn run(grace: i64, hook: Option<PreStop>) -> (u64, u64) {
        let mut k = Kill::begin(
            SimTime(0),
            0,
            KillReason::PodTermination,
            grace,
            hook.as_ref(),
            false,
        );
        let mut now = SimTime(0);
        if let Some(t) = k.timer() {
            now = t;
            k.hook_done(now);
        }
        let timeout = k.turn(now, true).unwrap();
        (now.millis(), timeout)
    }

    #[test]
    fn no_hook_stops_at_once_with_the_grace_period() {
        assert_eq!(run(30, None), (0, 30));
    }

    #[test]
    fn grace_below_two_seconds_is_raised() {
        assert_eq!(run(0, None), (0, 2));
        assert_eq!(run(1, None), (0, 2));
    }

    #[test]
    fn pre_stop_sleep_consumes_the_grace_period() {
        // 5s of a 30s grace period: SIGTERM at 5s with 25s left.
        assert_eq!(run(30, Some(sleep_hook(5))), (5_000, 25));
        // A sleep as long as the grace period leaves only the 2s minimum.
        assert_eq!(run(10, Some(sleep_hook(10))), (10_000, 2));
        // A longer sleep is cut off at the grace period.
        assert_eq!(run(10, Some(sleep_hook(60))), (10_000, 2));
        // No grace period: the hook does not run.
        assert_eq!(run(0, Some(sleep_hook(5))), (0, 2));
    }

    #[test]
    fn a_runtime_hook_counts_whole_seconds() {
        let hook = PreStop::Runtime(LifecycleHandler::default());
        let mut k = Kill::begin(
            SimTime(0),
            0,
            KillReason::PodTermination,
            30,
            Some(&hook),
            false,
        );
        assert_eq!(k.timer(), Some(SimTime(30_000)));
        k.hook_done(SimTime(4_900));
        assert_eq!(k.turn(SimTime(4_900), true), Some(26));
    }

    #[test]
    fn sidecars_wait_for_their_turn_and_lose_the_time_waited() {
        let mut k = Kill::begin(SimTime(0), 0, KillReason::PodTermination, 30, None, true);
        assert_eq!(k.timer(), Some(SimTime(30_000)));
        assert_eq!(k.turn(SimTime(5_000), false), None);
        // The main containers exited at 12.5s: 12 whole seconds waited.
        assert_eq!(k.turn(SimTime(12_500), true), Some(18));
        let mut k = Kill::begin(SimTime(0), 0, KillReason::PodTermination, 30, None, true);
        assert_eq!(k.turn(SimTime(30_000), false), Some(2));
    }

    #[test]
    fn grace_period_sources() {
        let spec = PodSpec {
            termination_grace_period_seconds: Some(45),
            ..Default::default()
        };
        let c = Container {
            liveness_probe: Some(Probe {
                termination_grace_period_seconds: Some(5),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            grace_seconds(&spec, false, &c, KillReason::LivenessProbe),
            5
        );
        assert_eq!(
            grace_seconds(&spec, false, &c, KillReason::StartupProbe),
            45
        );
        assert_eq!(
            grace_seconds(&spec, true, &c, KillReason::LivenessProbe),
            45
        );
        assert_eq!(
            grace_seconds(&PodSpec::default(), false, &c, KillReason::PodTermination),
            30
        );
    }

    #[test]
    fn killing_messages() {
        assert_eq!(
            killing_message("app", KillReason::LivenessProbe, true),
            "Container app failed liveness probe, will be restarted"
        );
        assert_eq!(
            killing_message("app", KillReason::StartupProbe, false),
            "Container app failed startup probe"
        );
        assert_eq!(
            killing_message("app", KillReason::PodTermination, false),
            "Stopping container app"
        );
    }
}
