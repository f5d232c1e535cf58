//! The kubelet model end to end, with exact simulated times: probes, restarts and
//! CrashLoopBackOff, termination (grace period, preStop, SIGTERM then SIGKILL, sidecar
//! ordering), restart policies, admission, OOM kills, init containers, image pulls and
//! garbage collection. Each expected time is worked out from upstream's rules in the comment
//! beside it; the modelled runtime delays are docs/scenario-format.md's (sandbox 500ms, pull
//! 2s, create 100ms, start 100ms, SIGTERM honoured after 100ms, sandbox stop 100ms).

use cellsim_core::api::pod::{Pod, PodPhase};
use cellsim_core::api::{Kind, Object};
use cellsim_core::kubelet::plan::{RuntimeCommand, RuntimeEvent};
use cellsim_core::scenario::{load, Sources};
use cellsim_core::sim::{PlanEntry, RunOptions, Sim};
use cellsim_core::store::{ObjectKey, ObjectStore};
use cellsim_core::time::{Duration, SimTime};

struct Text(String);

impl Sources for Text {
    fn read(&self, path: &str) -> Result<String, String> {
        (path == "t.yaml")
            .then(|| self.0.clone())
            .ok_or_else(|| "not found".to_string())
    }
}

/// A scenario with one node `n-0` (4 cpu, 8Gi) and the given objects, behaviour, timeline and
/// expectations (YAML list bodies, indented by 2).
fn scenario(duration: &str, objects: &str, rest: &str) -> String {
    format!(
        "apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {{name: t}}
spec:
  duration: {duration}
  cluster:
    nodePools:
    - {{name: n, count: 1, allocatable: {{cpu: \"4\", memory: 8Gi}}}}
  objects:
{objects}
{rest}"
    )
}

/// A bare pod on `n-0` (so the kubelet sees it at t=0), one container `app`.
fn pod(name: &str, spec_extra: &str, container_extra: &str) -> String {
    format!(
        "  - apiVersion: v1
    kind: Pod
    metadata: {{name: {name}, labels: {{app: {name}}}}}
    spec:
      nodeName: n-0
{spec_extra}
      containers:
      - name: app
        image: app:1
{container_extra}"
    )
}

fn run(text: String) -> Sim {
    let scenario = load("t.yaml", &Text(text)).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Sim::new(
        scenario,
        &RunOptions {
            keep_trace: true,
            keep_plan: true,
            ..Default::default()
        },
    );
    sim.run();
    for e in sim.report().expectations {
        assert!(e.passed, "{}: {}", e.description, e.detail);
    }
    sim
}

/// Run to just after `t` (every event at or before it), for looking at the store then.
fn run_until(text: String, t: u64) -> Sim {
    let scenario = load("t.yaml", &Text(text)).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Sim::new(scenario, &RunOptions::default());
    while sim.next_time().is_some_and(|n| n <= SimTime(t)) {
        sim.step();
    }
    sim
}

fn ms(s: &str) -> u64 {
    Duration::parse(s).unwrap().as_millis()
}

/// (time in ms, message) of the trace events of this type.
fn events(sim: &Sim, kind: &str) -> Vec<(u64, String)> {
    String::from_utf8(sim.trace.bytes().to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == kind)
        .map(|v| {
            (
                ms(v["t"].as_str().unwrap()),
                v["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn times(sim: &Sim, kind: &str) -> Vec<u64> {
    events(sim, kind).into_iter().map(|(t, _)| t).collect()
}

/// Recorded commands matching `f`, with their times.
fn commands<T>(sim: &Sim, f: impl Fn(&RuntimeCommand) -> Option<T>) -> Vec<(u64, T)> {
    sim.plan()
        .iter()
        .filter_map(|(t, e)| match e {
            PlanEntry::Command(c) => f(c).map(|x| (t.millis(), x)),
            _ => None,
        })
        .collect()
}

/// Accepted `ContainerExited` events: (time, container, attempt, exit code, oom).
fn exits(sim: &Sim) -> Vec<(u64, String, u32, i32, bool)> {
    sim.plan()
        .iter()
        .filter_map(|(t, e)| match e {
            PlanEntry::Event(RuntimeEvent::ContainerExited {
                target,
                exit_code,
                oom_killed,
            }) => Some((
                t.millis(),
                target.container.clone(),
                target.attempt,
                *exit_code,
                *oom_killed,
            )),
            _ => None,
        })
        .collect()
}

fn stops(sim: &Sim) -> Vec<(u64, (String, u64))> {
    commands(sim, |c| match c {
        RuntimeCommand::StopContainer {
            target,
            timeout_seconds,
        } => Some((target.container.clone(), *timeout_seconds)),
        _ => None,
    })
}

fn get_pod(sim: &Sim, name: &str) -> Option<Pod> {
    match sim.store.get(&ObjectKey::new(Kind::Pod, "default", name)) {
        Some(s) => match &s.object {
            Object::Pod(p) => Some(p.clone()),
            _ => None,
        },
        None => None,
    }
}

// ------------------------------------------------------------------------------------------
// Probes
// ------------------------------------------------------------------------------------------

#[test]
fn liveness_failure_kills_and_restarts_on_the_probe_grid() {
    // Probe ticks fall every 5s from the pod worker's start (t=0); the container starts at
    // 2.7s (sandbox 0.5 + pull 2 + create 0.1 + start 0.1). initialDelaySeconds 15 skips the
    // ticks at 5s, 10s, 15s (2, 7, 12 whole seconds since the start); from 20s probes pass
    // until the app breaks at 2.7s + 30s; failures at 35s and 40s reach failureThreshold 2.
    let sim = run(scenario(
        "2m",
        &pod(
            "live",
            "",
            "        livenessProbe: {httpGet: {path: /healthz, port: 8080}, initialDelaySeconds: 15, periodSeconds: 5, failureThreshold: 2}",
        ),
        "  behavior:\n  - {selector: {matchLabels: {app: live}}, unhealthyAfter: 30s}",
    ));
    assert_eq!(
        events(&sim, "Unhealthy")[..2],
        [
            (
                35_000,
                "Liveness probe failed: HTTP probe failed with statuscode: 500".into()
            ),
            (
                40_000,
                "Liveness probe failed: HTTP probe failed with statuscode: 500".into()
            ),
        ]
    );
    // The first kill at 40s; SIGTERM honoured 100ms later; the first restart is immediate
    // (create 40.1s, start 40.3s). The new instance starts over: initial delay skips 45, 50,
    // 55 (4, 9, 14 s), passes at 60..70, breaks at 70.3s: failures at 75s, 80s.
    let killing = events(&sim, "Killing");
    assert_eq!(
        killing[..2],
        [
            (
                40_000,
                "Container app failed liveness probe, will be restarted".into()
            ),
            (
                80_000,
                "Container app failed liveness probe, will be restarted".into()
            ),
        ]
    );
    assert_eq!(stops(&sim)[0], (40_000, ("app".into(), 30)));
    // The second exit (80.1s) is within the backoff: restart 10s later, at 90.1s.
    assert_eq!(times(&sim, "BackOff")[0], 80_100);
    assert_eq!(times(&sim, "Started")[..3], [2_700, 40_300, 90_300]);
    assert_eq!(
        exits(&sim)[..2],
        [
            (40_100, "app".into(), 0, 143, false),
            (80_100, "app".into(), 1, 143, false)
        ]
    );
}

#[test]
fn readiness_probes_at_start_then_on_the_grid() {
    // The manual trigger probes readiness as soon as the container starts (2.7s): the app
    // needs 4s (startupDelay), so it fails; the next tick at 10s passes: ready at 10s.
    let sim = run(scenario(
        "1m",
        &pod(
            "ready",
            "",
            "        readinessProbe: {tcpSocket: {port: 80}}",
        ),
        "  behavior:\n  - {selector: {matchLabels: {app: ready}}, startupDelay: 4s}\n  expect:\n  - {at: 9999ms, pods: {selector: app=ready, ready: false, count: 1}}\n  - {at: 10s, pods: {selector: app=ready, ready: true, count: 1}}",
    ));
    assert_eq!(
        events(&sim, "Unhealthy"),
        [(
            2_700,
            "Readiness probe failed: dial tcp 10.244.0.1:80: connect: connection refused".into()
        )]
    );
    let p = get_pod(&sim, "ready").unwrap();
    assert_eq!(p.status.ready_at, Some(10_000));
    let cond = |k: &str| {
        p.status
            .conditions
            .iter()
            .find(|c| c.kind == k)
            .map(|c| (c.status.clone(), c.last_transition_time))
            .unwrap()
    };
    assert_eq!(cond("Ready"), ("True".into(), 10_000));
    assert_eq!(cond("ContainersReady"), ("True".into(), 10_000));
    assert_eq!(cond("PodReadyToStartContainers"), ("True".into(), 500));
    assert_eq!(cond("PodScheduled").0, "True");
}

#[test]
fn startup_probe_gates_liveness_and_its_failure_restarts() {
    // Startup ticks at 10s, 20s, 30s (period 10). With startupDelay 25s (from the 2.7s
    // start) the probes at 10s and 20s fail, 30s passes: started (and, without a readiness
    // probe, ready) at 30s. Liveness (failureThreshold 1) does not probe before that, or the
    // slow start would have been killed.
    let ok = run(scenario(
        "1m",
        &pod(
            "slow",
            "",
            "        startupProbe: {exec: {command: [cat, /ready]}, periodSeconds: 10, failureThreshold: 3}\n        livenessProbe: {exec: {command: [cat, /ready]}, periodSeconds: 10, failureThreshold: 1}",
        ),
        "  behavior:\n  - {selector: {matchLabels: {app: slow}}, startupDelay: 25s}\n  expect:\n  - {at: 29s, pods: {selector: app=slow, ready: false, count: 1}}\n  - {at: 30s, pods: {selector: app=slow, ready: true, restarts: 0, count: 1}}",
    ));
    assert_eq!(
        events(&ok, "Unhealthy"),
        [
            (10_000, "Startup probe failed: ".into()),
            (20_000, "Startup probe failed: ".into())
        ]
    );
    assert!(events(&ok, "Killing").is_empty());
    // 45s to start: failures at 10, 20, 30 -> killed at 30s.
    let killed = run(scenario(
        "35s",
        &pod(
            "slow",
            "",
            "        startupProbe: {exec: {command: [cat, /ready]}, periodSeconds: 10, failureThreshold: 3}",
        ),
        "  behavior:\n  - {selector: {matchLabels: {app: slow}}, startupDelay: 45s}",
    ));
    assert_eq!(
        events(&killed, "Killing"),
        [(
            30_000,
            "Container app failed startup probe, will be restarted".into()
        )]
    );
    assert_eq!(times(&killed, "Started"), [2_700, 30_300]);
}

// ------------------------------------------------------------------------------------------
// Termination
// ------------------------------------------------------------------------------------------

fn deleted_at_60s(spec_extra: &str, container_extra: &str, behavior: &str) -> Sim {
    run(scenario(
        "3m",
        &pod("gone", spec_extra, container_extra),
        &format!(
            "  behavior:\n  - {{selector: {{matchLabels: {{app: gone}}}}{behavior}}}\n  timeline:\n  - {{at: 60s, delete: {{kind: Pod, name: gone}}}}"
        ),
    ))
}

fn pod_removed_at(sim: &Sim) -> u64 {
    commands(sim, |c| match c {
        RuntimeCommand::StopPodSandbox { .. } => Some(()),
        _ => None,
    })[0]
        .0
}

#[test]
fn sigterm_then_sigkill_at_exactly_the_grace_period() {
    // A process that ignores SIGTERM (shutdownDelay 1h) is SIGKILLed when the grace period
    // (20s) runs out: exit 137 at 80s; then the sandbox stops.
    let sim = deleted_at_60s(
        "      terminationGracePeriodSeconds: 20",
        "",
        ", shutdownDelay: 1h",
    );
    assert_eq!(
        events(&sim, "Killing"),
        [(60_000, "Stopping container app".into())]
    );
    assert_eq!(stops(&sim), [(60_000, ("app".into(), 20))]);
    assert_eq!(exits(&sim), [(80_000, "app".into(), 0, 137, false)]);
    assert_eq!(pod_removed_at(&sim), 80_000);
    // The stopped sandbox of the deleted pod goes at the next garbage collection (2m).
    let removed = commands(&sim, |c| match c {
        RuntimeCommand::RemovePodSandbox { .. } => Some(()),
        _ => None,
    });
    assert_eq!(removed, [(120_000, ())]);
    // One millisecond before the grace period ends the container still runs.
    let text = scenario(
        "3m",
        &pod("gone", "      terminationGracePeriodSeconds: 20", ""),
        "  behavior:\n  - {selector: {matchLabels: {app: gone}}, shutdownDelay: 1h}\n  timeline:\n  - {at: 60s, delete: {kind: Pod, name: gone}}",
    );
    let before = run_until(text.clone(), 79_999);
    let p = get_pod(&before, "gone").unwrap();
    assert!(p.status.container_statuses[0].state.running.is_some());
    assert_eq!(p.display_status(), "Terminating");
    assert!(get_pod(&run_until(text, 80_100), "gone").is_none());
}

#[test]
fn sigterm_honoured_exits_143_and_the_default_grace_is_30s() {
    let sim = deleted_at_60s("", "", ", shutdownDelay: 5s");
    assert_eq!(stops(&sim), [(60_000, ("app".into(), 30))]);
    assert_eq!(exits(&sim), [(65_000, "app".into(), 0, 143, false)]);
}

#[test]
fn pre_stop_sleep_consumes_the_grace_period() {
    // Sleep 10s of a 30s grace period: SIGTERM at 70s with 20s left, SIGKILL at 90s.
    let sim = deleted_at_60s(
        "",
        "        lifecycle: {preStop: {sleep: {seconds: 10}}}",
        ", shutdownDelay: 1h",
    );
    assert_eq!(stops(&sim), [(70_000, ("app".into(), 20))]);
    assert_eq!(exits(&sim), [(90_000, "app".into(), 0, 137, false)]);
    // A sleep as long as the grace period leaves the 2s minimum (minimumGracePeriodInSeconds).
    let sim = deleted_at_60s(
        "      terminationGracePeriodSeconds: 10",
        "        lifecycle: {preStop: {sleep: {seconds: 10}}}",
        ", shutdownDelay: 1h",
    );
    assert_eq!(stops(&sim), [(70_000, ("app".into(), 2))]);
    assert_eq!(exits(&sim), [(72_000, "app".into(), 0, 137, false)]);
}

#[test]
fn exec_pre_stop_runs_in_the_runtime_and_counts_whole_seconds() {
    // The hook returns after 3.5s: 3 whole seconds are subtracted (30 - 3 = 27).
    let sim = deleted_at_60s(
        "",
        "        lifecycle: {preStop: {exec: {command: [nginx, -s, quit]}}}",
        ", preStopDuration: 3500ms",
    );
    let hooks = commands(&sim, |c| match c {
        RuntimeCommand::RunLifecycleHook { timeout_ms, .. } => Some(*timeout_ms),
        _ => None,
    });
    assert_eq!(hooks, [(60_000, 30_000)]);
    assert_eq!(stops(&sim), [(63_500, ("app".into(), 27))]);
    assert_eq!(exits(&sim), [(63_600, "app".into(), 0, 143, false)]);
}

#[test]
fn sidecars_stop_after_the_app_containers() {
    // The app exits 2s after SIGTERM (62s); only then is the sidecar stopped, with the 2
    // whole seconds it waited taken off its grace period.
    let text = scenario(
        "3m",
        "  - apiVersion: v1
    kind: Pod
    metadata: {name: gone, labels: {app: gone}}
    spec:
      nodeName: n-0
      initContainers:
      - {name: proxy, image: app:1, restartPolicy: Always}
      containers:
      - {name: app, image: app:1}",
        "  behavior:\n  - {selector: {matchLabels: {app: gone}}, shutdownDelay: 2s}\n  timeline:\n  - {at: 60s, delete: {kind: Pod, name: gone}}",
    );
    let sim = run(text);
    // The sidecar starts first (2.7s), then the app (image present: 2.9s).
    assert_eq!(times(&sim, "Started"), [2_700, 2_900]);
    assert_eq!(
        stops(&sim),
        [(60_000, ("app".into(), 30)), (62_000, ("proxy".into(), 28))]
    );
    assert_eq!(
        exits(&sim),
        [
            (62_000, "app".into(), 0, 143, false),
            (64_000, "proxy".into(), 0, 143, false)
        ]
    );
}

// ------------------------------------------------------------------------------------------
// Restart policies, phases, init containers
// ------------------------------------------------------------------------------------------

fn exits_after_5s(policy: &str, code: i32) -> Sim {
    run(scenario(
        "1m",
        &pod("job", &format!("      restartPolicy: {policy}"), ""),
        &format!("  behavior:\n  - {{selector: {{matchLabels: {{app: job}}}}, runFor: 5s, exitCode: {code}}}"),
    ))
}

#[test]
fn on_failure_restarts_failures_only_and_never_restarts_nothing() {
    // OnFailure + exit 1: restarted at once (7.7s), then after 10s (12.9 + 10 = 22.9s).
    let sim = exits_after_5s("OnFailure", 1);
    assert_eq!(times(&sim, "Started")[..3], [2_700, 7_900, 23_100]);
    assert_eq!(
        get_pod(&sim, "job").unwrap().status.phase,
        PodPhase::Running
    );
    // OnFailure + exit 0: done.
    let sim = exits_after_5s("OnFailure", 0);
    assert_eq!(times(&sim, "Started"), [2_700]);
    let p = get_pod(&sim, "job").unwrap();
    assert_eq!(p.status.phase, PodPhase::Succeeded);
    assert_eq!(p.display_status(), "Completed");
    // Never + exit 1: Failed, terminated with reason Error.
    let sim = exits_after_5s("Never", 1);
    assert_eq!(times(&sim, "Started"), [2_700]);
    let p = get_pod(&sim, "job").unwrap();
    assert_eq!(p.status.phase, PodPhase::Failed);
    assert_eq!(p.display_status(), "Error");
    let t = p.status.container_statuses[0]
        .state
        .terminated
        .clone()
        .unwrap();
    assert_eq!(
        (t.exit_code, t.reason.as_str(), t.started_at, t.finished_at),
        (1, "Error", 2_700, 7_700)
    );
    // The sandbox of a finished pod is stopped; the pod object stays.
    assert_eq!(pod_removed_at(&sim), 7_700);
    // Always + exit 0: restarted anyway.
    let sim = exits_after_5s("Always", 0);
    assert_eq!(times(&sim, "Started")[..2], [2_700, 7_900]);
}

#[test]
fn liveness_failure_under_never_is_not_restarted() {
    let sim = run(scenario(
        "1m",
        &pod(
            "once",
            "      restartPolicy: Never",
            "        livenessProbe: {httpGet: {path: /, port: 80}, failureThreshold: 1}",
        ),
        "  behavior:\n  - {selector: {matchLabels: {app: once}}, unhealthyAfter: 10s}",
    ));
    // Started 2.7s; broken from 12.7s; the tick at 20s fails.
    assert_eq!(
        events(&sim, "Killing"),
        [(20_000, "Container app failed liveness probe".into())]
    );
    assert_eq!(times(&sim, "Started"), [2_700]);
    assert_eq!(
        get_pod(&sim, "once").unwrap().status.phase,
        PodPhase::Failed
    );
}

#[test]
fn crash_loop_status_and_restart_counts() {
    // Exits 1 after 5s: restarts at 7.7s (immediate), 22.9s (+10s), 48.1s (+20s).
    let text = scenario(
        "50s",
        &pod("crash", "", ""),
        "  behavior:\n  - {selector: {matchLabels: {app: crash}}, runFor: 5s, exitCode: 1}",
    );
    let sim = run_until(text.clone(), 13_000);
    let p = get_pod(&sim, "crash").unwrap();
    assert_eq!(p.display_status(), "CrashLoopBackOff");
    let c = &p.status.container_statuses[0];
    assert_eq!(c.restart_count, 1);
    let w = c.state.waiting.as_ref().unwrap();
    assert_eq!(
        w.message,
        format!(
            "back-off 10s restarting failed container=app pod=crash_default({})",
            p.metadata.uid
        )
    );
    assert_eq!(
        c.last_termination_state
            .terminated
            .as_ref()
            .unwrap()
            .exit_code,
        1
    );
    assert_eq!(p.status.phase, PodPhase::Running);
    let sim = run(text);
    assert_eq!(times(&sim, "Started"), [2_700, 7_900, 23_100, 48_300]);
    assert_eq!(get_pod(&sim, "crash").unwrap().status.restart_count, 3);
}

#[test]
fn init_containers_run_to_completion_first() {
    let spec = |policy: &str, code: i32| {
        scenario(
            "2m",
            &format!(
                "  - apiVersion: v1
    kind: Pod
    metadata: {{name: p, labels: {{app: p}}}}
    spec:
      nodeName: n-0
      restartPolicy: {policy}
      initContainers:
      - {{name: setup, image: app:1}}
      containers:
      - {{name: app, image: app:1}}"
            ),
            &format!(
                "  behavior:\n  - {{selector: {{matchLabels: {{app: p}}}}, container: setup, runFor: 3s, exitCode: {code}}}"
            ),
        )
    };
    // setup runs 2.7s..5.7s; then app (image present): created 5.8s, started 5.9s.
    let sim = run(spec("Always", 0));
    assert_eq!(times(&sim, "Started"), [2_700, 5_900]);
    let during = run_until(spec("Always", 0), 3_000);
    let p = get_pod(&during, "p").unwrap();
    assert_eq!(p.status.phase, PodPhase::Pending);
    assert_eq!(p.display_status(), "Init:0/1");
    let init = p
        .status
        .conditions
        .iter()
        .find(|c| c.kind == "Initialized")
        .unwrap();
    assert_eq!(
        (
            init.status.as_str(),
            init.reason.as_str(),
            init.message.as_str()
        ),
        (
            "False",
            "ContainersNotInitialized",
            "containers with incomplete status: [setup]"
        )
    );
    // A failing init container under Never fails the pod; the app never starts.
    let sim = run(spec("Never", 1));
    assert_eq!(times(&sim, "Started"), [2_700]);
    let p = get_pod(&sim, "p").unwrap();
    assert_eq!(p.status.phase, PodPhase::Failed);
    assert_eq!(p.display_status(), "Init:Error");
    // Under Always it is retried with the backoff: at once after the exit at 5.7s (started
    // 5.9s), then 10s after the exit at 8.9s (started 19.1s).
    let sim = run(spec("Always", 1));
    assert_eq!(times(&sim, "Started")[..3], [2_700, 5_900, 19_100]);
}

// ------------------------------------------------------------------------------------------
// Admission, OOM, images, garbage collection, jitter
// ------------------------------------------------------------------------------------------

#[test]
fn admission_rejects_what_does_not_fit_with_upstreams_message() {
    let big = |name: &str, cpu: &str| {
        format!(
            "  - apiVersion: v1
    kind: Pod
    metadata: {{name: {name}}}
    spec:
      nodeName: n-0
      containers:
      - {{name: app, image: app:1, resources: {{requests: {{cpu: \"{cpu}\"}}}}}}"
        )
    };
    let sim = run(scenario(
        "1m",
        &format!("{}\n{}", big("first", "3"), big("second", "2")),
        "  expect:\n  - {at: 1s, events: {type: OutOfcpu, object: Pod/default/second, count: 1}}",
    ));
    assert_eq!(
        events(&sim, "OutOfcpu"),
        [(
            0,
            "Node didn't have enough resource: cpu, requested: 2000, used: 3000, capacity: 4000"
                .into()
        )]
    );
    let p = get_pod(&sim, "second").unwrap();
    assert_eq!(p.status.phase, PodPhase::Failed);
    assert_eq!(p.status.reason, "OutOfcpu");
    assert_eq!(
        p.status.message,
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 3000, capacity: 4000"
    );
    assert_eq!(p.display_status(), "OutOfcpu");
    assert_eq!(
        get_pod(&sim, "first").unwrap().status.phase,
        PodPhase::Running
    );
}

#[test]
fn memory_above_the_limit_is_an_oom_kill() {
    // 100Mi, then 300Mi from 30s after the start, against a 256Mi limit: OOM-killed at
    // 2.7s + 30s; restarted at once; killed again 30s after that start; then backoff.
    let sim = run(scenario(
        "2m",
        &pod(
            "hog",
            "",
            "        resources: {limits: {memory: 256Mi}}",
        ),
        "  behavior:\n  - selector: {matchLabels: {app: hog}}\n    usage: {memory: 100Mi}\n    usageSteps: [{after: 30s, usage: {memory: 300Mi}}]\n  expect:\n  - {at: 40s, pods: {selector: app=hog, terminationReason: OOMKilled, restarts: 1, status: Running, count: 1}}\n  - {at: 63s, pods: {selector: app=hog, status: CrashLoopBackOff, count: 1}}",
    ));
    assert_eq!(
        exits(&sim)[..2],
        [
            (32_700, "app".into(), 0, 137, true),
            (62_900, "app".into(), 1, 137, true)
        ]
    );
    // No pod event for an OOM kill (upstream records it as the termination reason).
    assert!(events(&sim, "OOMKilled").is_empty());
}

#[test]
fn image_pull_policy_and_size() {
    // nginx:1.25 (IfNotPresent by default) is 100Mi at 20Mi/s: 5s; the second pod finds it
    // present. busybox (untagged: Always, pulled as busybox:latest) pulls every time, 2s.
    let two = |name: &str, image: &str| {
        format!(
            "  - apiVersion: v1
    kind: Pod
    metadata: {{name: {name}}}
    spec:
      nodeName: n-0
      containers:
      - {{name: app, image: \"{image}\"}}"
        )
    };
    let sim = run(scenario(
        "1m",
        &[
            two("a", "nginx:1.25"),
            two("b", "busybox"),
        ]
        .join("\n"),
        "  registry:\n    pullBandwidth: 20Mi\n    images: [{name: \"nginx:1.25\", sizeBytes: 104857600}]\n  timeline:\n  - at: 30s\n    apply:\n    - {apiVersion: v1, kind: Pod, metadata: {name: c}, spec: {nodeName: n-0, containers: [{name: app, image: \"nginx:1.25\"}]}}\n    - {apiVersion: v1, kind: Pod, metadata: {name: d}, spec: {nodeName: n-0, containers: [{name: app, image: busybox}]}}",
    ));
    let pulled = events(&sim, "Pulled");
    assert_eq!(
        pulled,
        [
            (5_500, "Successfully pulled image \"nginx:1.25\" in 5s (5s including waiting). Image size: 104857600 bytes.".into()),
            // Queued behind nginx on the node's serialized puller.
            (7_500, "Successfully pulled image \"busybox:latest\" in 2s (7s including waiting). Image size: 0 bytes.".into()),
            (30_500, "Container image \"nginx:1.25\" already present on machine and can be accessed by the pod".into()),
            (32_500, "Successfully pulled image \"busybox:latest\" in 2s (2s including waiting). Image size: 0 bytes.".into()),
        ]
    );
    assert_eq!(
        events(&sim, "Pulling")
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>(),
        [
            "Pulling image \"nginx:1.25\"",
            "Pulling image \"busybox:latest\"",
            "Pulling image \"busybox:latest\""
        ]
    );
}

#[test]
fn never_pull_policy_without_the_image_fails_to_start() {
    let sim = run(scenario(
        "30s",
        &pod("p", "", "        imagePullPolicy: Never"),
        "  expect:\n  - {end: {pods: {selector: app=p, status: ErrImageNeverPull, phase: Pending, count: 1}}}",
    ));
    assert_eq!(
        events(&sim, "ErrImageNeverPull"),
        [(
            500,
            "Container image \"app:1\" is not present with pull policy of Never".into()
        )]
    );
    assert_eq!(
        events(&sim, "Failed"),
        [(500, "Error: ErrImageNeverPull".into())]
    );
}

#[test]
fn dead_containers_are_garbage_collected_every_minute() {
    // Crashes after 1s: instances pile up until the collection at 60s, 120s, ... removes all
    // but the newest dead one.
    let sim = run(scenario(
        "150s",
        &pod("crash", "", ""),
        "  behavior:\n  - {selector: {matchLabels: {app: crash}}, runFor: 1s, exitCode: 1}",
    ));
    let removed = commands(&sim, |c| match c {
        RuntimeCommand::RemoveContainer { target } => Some(target.attempt),
        _ => None,
    });
    assert!(!removed.is_empty());
    assert!(removed.iter().all(|(t, _)| t % 60_000 == 0), "{removed:?}");
    let uid = get_pod(&sim, "crash").unwrap().metadata.uid;
    let left = sim.runtime().containers_of(&uid);
    assert!(left.len() <= 2, "{left:?}");
    // The newest instance is always kept.
    let newest = left.iter().map(|c| c.attempt).max().unwrap();
    assert!(!removed.iter().any(|(_, a)| *a == newest));
}

#[test]
fn jitter_is_drawn_from_the_seed() {
    let text = |seed: u64| {
        scenario(
            "1m",
            &pod("j", "", ""),
            "  behavior:\n  - {selector: {matchLabels: {app: j}}, runFor: 10s, exitCode: 1, jitter: 3s}",
        )
        .replace("spec:\n  duration", &format!("spec:\n  seed: {seed}\n  duration"))
    };
    let first_exit = |sim: &Sim| exits(sim)[0].0;
    let a = run(text(1));
    let b = run(text(1));
    assert_eq!(a.trace.hash_hex(), b.trace.hash_hex());
    // Started at 2.7s, runs 10s plus 0..=3s.
    let t = first_exit(&a);
    assert!((12_700..=15_700).contains(&t), "{t}");
    let others: Vec<u64> = (2..8).map(|s| first_exit(&run(text(s)))).collect();
    assert!(others.iter().any(|o| *o != t), "the seed changes the draw");
}

#[test]
fn a_pod_object_that_vanishes_is_stopped_then_collected() {
    // The object is removed from the store behind the kubelet's back (a force delete) at
    // 10s; the kubelet notices at the next instant (the cordon at 20s), stops the
    // container (exit 20.1s), the sandbox (20.2s), and garbage collection removes it at 60s.
    let text = scenario(
        "2m",
        &pod("p", "", ""),
        "  timeline:\n  - {at: 20s, cordon: {node: n-0}}",
    );
    let scenario = load("t.yaml", &Text(text)).unwrap();
    let mut sim = Sim::new(
        scenario,
        &RunOptions {
            keep_trace: true,
            keep_plan: true,
            ..Default::default()
        },
    );
    while sim.next_time().is_some_and(|n| n <= SimTime(10_000)) {
        sim.step();
    }
    let uid = get_pod(&sim, "p").unwrap().metadata.uid;
    sim.store
        .delete(&ObjectKey::new(Kind::Pod, "default", "p"))
        .unwrap();
    sim.run();
    assert_eq!(
        events(&sim, "Killing"),
        [(20_000, "Stopping container app".into())]
    );
    assert_eq!(exits(&sim), [(20_100, "app".into(), 0, 143, false)]);
    let removed = commands(&sim, |c| match c {
        RuntimeCommand::RemovePodSandbox { pod_uid, .. } => Some(pod_uid.clone()),
        _ => None,
    });
    assert_eq!(removed, [(60_000, uid.clone())]);
    assert!(sim.kubelets().worker(&uid).is_none());
    assert!(sim.runtime().containers_of(&uid).is_empty());
}
