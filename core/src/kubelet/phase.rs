//! Pod phase and the kubelet's pod conditions from container statuses (upstream
//! pkg/kubelet/kubelet_pods.go `getPhase` and pkg/kubelet/status/generate.go).
//!
//! `get_phase` is upstream's with the ContainerRestartRules gate's per-container rules left
//! out: with only the pod's `restartPolicy` (no container declares its own), both paths of
//! upstream's function give the same phase.

use crate::api::pod::{ContainerStatus, PodCondition, PodPhase, PodSpec};

fn find<'a>(statuses: &'a [ContainerStatus], name: &str) -> Option<&'a ContainerStatus> {
    statuses.iter().find(|s| s.name == name)
}

/// Upstream `getPhase(pod, info, podIsTerminal, podHasInitialized)`; `statuses` holds init
/// and app container statuses together.
#[cellsim_derive::hot]
pub fn get_phase(
    spec: &PodSpec,
    statuses: &[ContainerStatus],
    pod_is_terminal: bool,
    pod_has_initialized: bool,
) -> PodPhase {
    let policy = if spec.restart_policy.is_empty() {
        "Always"
    } else {
        spec.restart_policy.as_str()
    };
    let mut pending_restartable_init = 0;
    let mut pending_regular_init = 0;
    let mut failed_initialization = 0;
    for c in spec
        .init_containers
        .iter()
        .filter(|c| !c.is_restartable_init())
    {
        let Some(s) = find(statuses, &c.name) else {
            pending_regular_init += 1;
            continue;
        };
        if s.state.running.is_some() {
            pending_regular_init += 1;
        } else if let Some(t) = &s.state.terminated {
            if t.exit_code != 0 {
                failed_initialization += 1;
            }
        } else if s.state.waiting.is_some() {
            match &s.last_termination_state.terminated {
                Some(t) if t.exit_code != 0 => failed_initialization += 1,
                Some(_) => {}
                None => pending_regular_init += 1,
            }
        } else {
            pending_regular_init += 1;
        }
    }
    let (mut unknown, mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0, 0);
    for c in spec
        .init_containers
        .iter()
        .filter(|c| c.is_restartable_init())
    {
        let Some(s) = find(statuses, &c.name) else {
            unknown += 1;
            continue;
        };
        if s.state.running.is_some() {
            if s.started != Some(true) {
                pending_restartable_init += 1;
            }
            running += 1;
        } else if s.state.terminated.is_some() {
            // Terminated sidecars do not count for the phase.
        } else if s.state.waiting.is_some() {
            if s.last_termination_state.terminated.is_none() {
                pending_restartable_init += 1;
                waiting += 1;
            }
        } else {
            pending_restartable_init += 1;
            unknown += 1;
        }
    }
    for c in &spec.containers {
        let Some(s) = find(statuses, &c.name) else {
            unknown += 1;
            continue;
        };
        if s.state.running.is_some() {
            running += 1;
        } else if let Some(t) = &s.state.terminated {
            stopped += 1;
            if t.exit_code == 0 {
                succeeded += 1;
            }
        } else if s.state.waiting.is_some() {
            if s.last_termination_state.terminated.is_some() {
                stopped += 1;
            } else {
                waiting += 1;
            }
        } else {
            unknown += 1;
        }
    }
    if failed_initialization > 0 && policy == "Never" {
        return PodPhase::Failed;
    }
    if pending_regular_init > 0
        || (pending_restartable_init > 0 && !pod_has_initialized)
        || waiting > 0
    {
        return PodPhase::Pending;
    }
    if running > 0 && unknown == 0 {
        return PodPhase::Running;
    }
    if running == 0 && stopped > 0 && unknown == 0 {
        if pod_is_terminal {
            return if stopped == succeeded {
                PodPhase::Succeeded
            } else {
                PodPhase::Failed
            };
        }
        if policy == "Always" {
            return PodPhase::Running;
        }
        if stopped == succeeded {
            return PodPhase::Succeeded;
        }
        if policy == "Never" {
            return PodPhase::Failed;
        }
        return PodPhase::Running;
    }
    PodPhase::Pending
}

/// Upstream generate.go reasons.
pub const CONTAINERS_NOT_READY: &str = "ContainersNotReady";
pub const CONTAINERS_NOT_INITIALIZED: &str = "ContainersNotInitialized";
pub const POD_COMPLETED: &str = "PodCompleted";
pub const POD_FAILED: &str = "PodFailed";

/// Go's `%s` of a `[]string`: `[a b]`.
fn go_list(names: &[&str]) -> String {
    format!("[{}]", names.join(" "))
}

#[cellsim_derive::hot]
fn cond(kind: &str, ok: bool, reason: &str, message: String) -> PodCondition {
    PodCondition {
        kind: kind.into(),
        status: if ok { "True" } else { "False" }.into(),
        reason: reason.into(),
        message,
        last_transition_time: 0,
    }
}

/// Upstream `GenerateContainersReadyCondition`.
pub fn containers_ready(
    spec: &PodSpec,
    statuses: &[ContainerStatus],
    phase: PodPhase,
) -> PodCondition {
    const T: &str = "ContainersReady";
    let mut unknown = Vec::new();
    let mut unready = Vec::new();
    let sidecars = spec
        .init_containers
        .iter()
        .filter(|c| c.is_restartable_init());
    for c in sidecars.chain(&spec.containers) {
        match find(statuses, &c.name) {
            Some(s) if !s.ready => unready.push(c.name.as_str()),
            Some(_) => {}
            None => unknown.push(c.name.as_str()),
        }
    }
    if phase == PodPhase::Succeeded && unknown.is_empty() {
        return cond(T, false, POD_COMPLETED, String::new());
    }
    if phase == PodPhase::Failed {
        return cond(T, false, POD_FAILED, String::new());
    }
    let mut msgs = Vec::new();
    if !unknown.is_empty() {
        msgs.push(format!(
            "containers with unknown status: {}",
            go_list(&unknown)
        ));
    }
    if !unready.is_empty() {
        msgs.push(format!(
            "containers with unready status: {}",
            go_list(&unready)
        ));
    }
    if msgs.is_empty() {
        cond(T, true, "", String::new())
    } else {
        cond(T, false, CONTAINERS_NOT_READY, msgs.join(", "))
    }
}

/// Upstream `GeneratePodReadyCondition` (no readiness gates are modelled).
pub fn pod_ready(spec: &PodSpec, statuses: &[ContainerStatus], phase: PodPhase) -> PodCondition {
    let mut c = containers_ready(spec, statuses, phase);
    c.kind = "Ready".into();
    c
}

/// Upstream `GeneratePodInitializedCondition`.
pub fn initialized(spec: &PodSpec, statuses: &[ContainerStatus], phase: PodPhase) -> PodCondition {
    const T: &str = "Initialized";
    let mut unknown = Vec::new();
    let mut incomplete = Vec::new();
    for c in &spec.init_containers {
        let Some(s) = find(statuses, &c.name) else {
            unknown.push(c.name.as_str());
            continue;
        };
        let done = if c.is_restartable_init() {
            s.started == Some(true)
        } else {
            s.ready
        };
        if !done {
            incomplete.push(c.name.as_str());
        }
    }
    if phase == PodPhase::Succeeded && unknown.is_empty() {
        return cond(T, true, POD_COMPLETED, String::new());
    }
    // HasAnyRegularContainerStarted: initialized before, whatever the sidecars do now.
    let any_started = spec.containers.iter().any(|c| {
        find(statuses, &c.name)
            .is_some_and(|s| s.state.running.is_some() || s.state.terminated.is_some())
    });
    if any_started {
        return cond(T, true, "", String::new());
    }
    let mut msgs = Vec::new();
    if !unknown.is_empty() {
        msgs.push(format!(
            "containers with unknown status: {}",
            go_list(&unknown)
        ));
    }
    if !incomplete.is_empty() {
        msgs.push(format!(
            "containers with incomplete status: {}",
            go_list(&incomplete)
        ));
    }
    if msgs.is_empty() {
        cond(T, true, "", String::new())
    } else {
        cond(T, false, CONTAINERS_NOT_INITIALIZED, msgs.join(", "))
    }
}

/// The kubelet's conditions in upstream's order (`generateAPIPodStatus`):
/// PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled. Transition
/// times are kept from `old` when the status did not change (the status manager's
/// `updateLastTransitionTime`).
pub fn conditions(
    spec: &PodSpec,
    statuses: &[ContainerStatus],
    phase: PodPhase,
    sandbox_ready: bool,
    now: u64,
    old: &[PodCondition],
) -> Vec<PodCondition> {
    let mut out = vec![
        cond(
            "PodReadyToStartContainers",
            sandbox_ready,
            "",
            String::new(),
        ),
        initialized(spec, statuses, phase),
        pod_ready(spec, statuses, phase),
        containers_ready(spec, statuses, phase),
        cond("PodScheduled", true, "", String::new()),
    ];
    for c in &mut out {
        c.last_transition_time = match old.iter().find(|o| o.kind == c.kind) {
            Some(o) if o.status == c.status => o.last_transition_time,
            _ => now,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    //! The tables of upstream's pkg/kubelet/kubelet_pods_test.go (`TestPodPhaseWith*`),
    //! case by case.
    use super::*;
    use crate::api::pod::{
        Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    };

    fn running(name: &str) -> ContainerStatus {
        ContainerStatus {
            name: name.into(),
            state: ContainerState {
                running: Some(ContainerStateRunning::default()),
                ..Default::default()
            },
            ..Default::default()
        }
    }
    fn started(name: &str) -> ContainerStatus {
        ContainerStatus {
            started: Some(true),
            ..running(name)
        }
    }
    fn terminated(name: &str, code: i32) -> ContainerStatus {
        ContainerStatus {
            name: name.into(),
            state: ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: code,
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        }
    }
    fn stopped(name: &str) -> ContainerStatus {
        terminated(name, 0)
    }
    fn succeeded(name: &str) -> ContainerStatus {
        terminated(name, 0)
    }
    fn failed(name: &str) -> ContainerStatus {
        terminated(name, -1)
    }
    fn waiting(name: &str) -> ContainerStatus {
        ContainerStatus {
            name: name.into(),
            state: ContainerState::waiting("", ""),
            ..Default::default()
        }
    }
    fn waiting_last(name: &str, code: i32) -> ContainerStatus {
        ContainerStatus {
            last_termination_state: terminated(name, code).state,
            ..waiting(name)
        }
    }

    fn spec(policy: &str, init: &[(&str, bool)]) -> PodSpec {
        let c = |n: &str| Container {
            name: n.into(),
            ..Default::default()
        };
        PodSpec {
            restart_policy: policy.into(),
            containers: vec![c("containerA"), c("containerB")],
            init_containers: init
                .iter()
                .map(|(n, sidecar)| Container {
                    restart_policy: sidecar.then(|| "Always".to_string()),
                    ..c(n)
                })
                .collect(),
            ..Default::default()
        }
    }

    type Case = (Vec<ContainerStatus>, bool, PodPhase, &'static str);

    /// Upstream's newer tables give `podHasInitialized` per case: true exactly when a regular
    /// container has run, which is how the kubelet computes it.
    fn check(spec: &PodSpec, cases: Vec<Case>) {
        for (statuses, terminal, want, name) in cases {
            let initialized = spec.containers.iter().any(|c| {
                find(&statuses, &c.name)
                    .is_some_and(|s| s.state.running.is_some() || s.state.terminated.is_some())
            });
            assert_eq!(
                get_phase(spec, &statuses, terminal, initialized),
                want,
                "{name}"
            );
        }
    }

    use PodPhase::*;

    #[test]
    fn restart_always() {
        check(
            &spec("Always", &[]),
            vec![
                (vec![], false, Pending, "waiting"),
                (
                    vec![running("containerA"), running("containerB")],
                    false,
                    Running,
                    "all running",
                ),
                (
                    vec![stopped("containerA"), stopped("containerB")],
                    false,
                    Running,
                    "all stopped with restart always",
                ),
                (
                    vec![succeeded("containerA"), succeeded("containerB")],
                    true,
                    Succeeded,
                    "all succeeded with restart always, but the pod is terminal",
                ),
                (
                    vec![succeeded("containerA"), failed("containerB")],
                    true,
                    Failed,
                    "all stopped with restart always, but the pod is terminal",
                ),
                (
                    vec![running("containerA"), stopped("containerB")],
                    false,
                    Running,
                    "mixed state #1 with restart always",
                ),
                (
                    vec![running("containerA")],
                    false,
                    Pending,
                    "mixed state #2 with restart always",
                ),
                (
                    vec![running("containerA"), waiting("containerB")],
                    false,
                    Pending,
                    "mixed state #3 with restart always",
                ),
                (
                    vec![running("containerA"), waiting_last("containerB", 0)],
                    false,
                    Running,
                    "backoff crashloop container with restart always",
                ),
            ],
        );
    }

    #[test]
    fn restart_always_init_containers() {
        let x = "containerX";
        check(
            &spec("Always", &[(x, false)]),
            vec![
                (vec![], false, Pending, "empty, waiting"),
                (vec![running(x)], false, Pending, "init container running"),
                (
                    vec![failed(x)],
                    false,
                    Pending,
                    "init container terminated non-zero",
                ),
                (
                    vec![waiting_last(x, 0)],
                    false,
                    Pending,
                    "init container waiting, terminated zero",
                ),
                (
                    vec![waiting_last(x, -1)],
                    false,
                    Pending,
                    "init container waiting, terminated non-zero",
                ),
                (
                    vec![waiting(x)],
                    false,
                    Pending,
                    "init container waiting, not terminated",
                ),
                (
                    vec![succeeded(x), running("containerA"), running("containerB")],
                    false,
                    Running,
                    "init container succeeded",
                ),
            ],
        );
    }

    #[test]
    fn restart_always_restartable_init_containers() {
        let x = "containerX";
        check(
            &spec("Always", &[(x, true)]),
            vec![
                (vec![], false, Pending, "empty, waiting"),
                (vec![running(x)], false, Pending, "restartable init container running"),
                (vec![stopped(x)], false, Pending, "restartable init container stopped"),
                (
                    vec![waiting_last(x, 0)],
                    false,
                    Pending,
                    "restartable init container waiting, terminated zero",
                ),
                (
                    vec![waiting_last(x, -1)],
                    false,
                    Pending,
                    "restartable init container waiting, terminated non-zero",
                ),
                (
                    vec![waiting(x)],
                    false,
                    Pending,
                    "restartable init container waiting, not terminated",
                ),
                (
                    vec![started(x), running("containerA")],
                    false,
                    Pending,
                    "restartable init container started, 1/2 regular container running",
                ),
                (
                    vec![started(x), running("containerA"), running("containerB")],
                    false,
                    Running,
                    "restartable init container started, all regular containers running",
                ),
                (
                    vec![running(x), running("containerA"), running("containerB")],
                    false,
                    Running,
                    "restartable init container running, all regular containers running",
                ),
                (
                    vec![stopped(x), running("containerA"), running("containerB")],
                    false,
                    Running,
                    "restartable init container stopped, all regular containers running",
                ),
                (
                    vec![
                        waiting_last(x, 0),
                        running("containerA"),
                        running("containerB"),
                    ],
                    false,
                    Running,
                    "backoff crashloop restartable init container, all regular containers running",
                ),
                (
                    vec![failed(x), succeeded("containerA"), succeeded("containerB")],
                    true,
                    Succeeded,
                    "all regular containers succeeded and restartable init container failed with restart always, but the pod is terminal",
                ),
                (
                    vec![succeeded(x), succeeded("containerA"), succeeded("containerB")],
                    true,
                    Succeeded,
                    "all regular containers succeeded and restartable init container succeeded with restart always, but the pod is terminal",
                ),
            ],
        );
    }

    #[test]
    fn restart_always_and_pod_has_run() {
        let mut s = spec("Always", &[("containerX", false), ("containerY", true)]);
        s.containers.truncate(1);
        check(
            &s,
            vec![
                (
                    vec![running("containerX"), running("containerY"), running("containerA")],
                    false,
                    Pending,
                    "regular init containers, restartable init container and regular container are all running",
                ),
                (
                    vec![running("containerX"), running("containerY"), stopped("containerA")],
                    false,
                    Pending,
                    "regular containers is stopped, restartable init container and regular int container are both running",
                ),
                (
                    vec![succeeded("containerX"), running("containerY"), stopped("containerA")],
                    false,
                    Running,
                    "regular init container is succeeded, restartable init container is running, regular containers is stopped",
                ),
                (
                    vec![succeeded("containerX"), running("containerY"), running("containerA")],
                    false,
                    Running,
                    "regular init container is succeeded, restartable init container and regular containers are both running",
                ),
            ],
        );
    }

    #[test]
    fn restart_never() {
        check(
            &spec("Never", &[]),
            vec![
                (vec![], false, Pending, "waiting"),
                (
                    vec![running("containerA"), running("containerB")],
                    false,
                    Running,
                    "all running with restart never",
                ),
                (
                    vec![succeeded("containerA"), succeeded("containerB")],
                    false,
                    Succeeded,
                    "all succeeded with restart never",
                ),
                (
                    vec![failed("containerA"), failed("containerB")],
                    false,
                    Failed,
                    "all failed with restart never",
                ),
                (
                    vec![running("containerA"), succeeded("containerB")],
                    false,
                    Running,
                    "mixed state #1 with restart never",
                ),
                (
                    vec![running("containerA")],
                    false,
                    Pending,
                    "mixed state #2 with restart never",
                ),
                (
                    vec![running("containerA"), waiting("containerB")],
                    false,
                    Pending,
                    "mixed state #3 with restart never",
                ),
            ],
        );
    }

    #[test]
    fn restart_never_init_containers() {
        let x = "containerX";
        check(
            &spec("Never", &[(x, false)]),
            vec![
                (vec![], false, Pending, "empty, waiting"),
                (vec![running(x)], false, Pending, "init container running"),
                (
                    vec![failed(x)],
                    false,
                    Failed,
                    "init container terminated non-zero",
                ),
                (
                    vec![waiting_last(x, 0)],
                    false,
                    Pending,
                    "init container waiting, terminated zero",
                ),
                (
                    vec![waiting_last(x, -1)],
                    false,
                    Failed,
                    "init container waiting, terminated non-zero",
                ),
                (
                    vec![waiting(x)],
                    false,
                    Pending,
                    "init container waiting, not terminated",
                ),
                (
                    vec![succeeded(x), running("containerA"), running("containerB")],
                    false,
                    Running,
                    "init container succeeded",
                ),
            ],
        );
    }

    #[test]
    fn restart_never_restartable_init_containers() {
        let x = "containerX";
        check(
            &spec("Never", &[(x, true)]),
            vec![
                (vec![], false, Pending, "empty, waiting"),
                (vec![running(x)], false, Pending, "restartable init container running"),
                (vec![stopped(x)], false, Pending, "restartable init container stopped"),
                (
                    vec![waiting_last(x, 0)],
                    false,
                    Pending,
                    "restartable init container waiting, terminated zero",
                ),
                (
                    vec![waiting_last(x, -1)],
                    false,
                    Pending,
                    "restartable init container waiting, terminated non-zero",
                ),
                (
                    vec![waiting(x)],
                    false,
                    Pending,
                    "restartable init container waiting, not terminated",
                ),
                (
                    vec![started(x), running("containerA")],
                    false,
                    Pending,
                    "restartable init container started, one main container running",
                ),
                (
                    vec![started(x), succeeded("containerA"), succeeded("containerB")],
                    false,
                    Running,
                    "restartable init container started, main containers succeeded",
                ),
                (
                    vec![running(x), succeeded("containerA"), succeeded("containerB")],
                    false,
                    Running,
                    "restartable init container running, main containers succeeded",
                ),
                (
                    vec![succeeded(x), succeeded("containerA"), succeeded("containerB")],
                    false,
                    Succeeded,
                    "all containers succeeded",
                ),
                (
                    vec![failed(x), succeeded("containerA"), succeeded("containerB")],
                    false,
                    Succeeded,
                    "restartable init container terminated non-zero, main containers succeeded",
                ),
                (
                    vec![
                        waiting_last(x, 0),
                        succeeded("containerA"),
                        succeeded("containerB"),
                    ],
                    false,
                    Succeeded,
                    "backoff crashloop restartable init container, main containers succeeded",
                ),
                (
                    vec![
                        waiting_last(x, -1),
                        succeeded("containerA"),
                        succeeded("containerB"),
                    ],
                    false,
                    Succeeded,
                    "backoff crashloop with non-zero restartable init container, main containers succeeded",
                ),
            ],
        );
    }

    #[test]
    fn restart_on_failure() {
        check(
            &spec("OnFailure", &[]),
            vec![
                (vec![], false, Pending, "waiting"),
                (
                    vec![running("containerA"), running("containerB")],
                    false,
                    Running,
                    "all running with restart onfailure",
                ),
                (
                    vec![succeeded("containerA"), succeeded("containerB")],
                    false,
                    Succeeded,
                    "all succeeded with restart onfailure",
                ),
                (
                    vec![failed("containerA"), failed("containerB")],
                    false,
                    Running,
                    "all failed with restart never",
                ),
                (
                    vec![running("containerA"), succeeded("containerB")],
                    false,
                    Running,
                    "mixed state #1 with restart onfailure",
                ),
                (
                    vec![running("containerA")],
                    false,
                    Pending,
                    "mixed state #2 with restart onfailure",
                ),
                (
                    vec![running("containerA"), waiting("containerB")],
                    false,
                    Pending,
                    "mixed state #3 with restart onfailure",
                ),
                (
                    vec![running("containerA"), waiting_last("containerB", 0)],
                    false,
                    Running,
                    "backoff crashloop container with restart onfailure",
                ),
            ],
        );
    }

    #[test]
    fn ready_and_initialized_conditions() {
        let s = spec("Always", &[("init", false)]);
        let mut a = running("containerA");
        a.ready = true;
        let statuses = vec![running("init"), a.clone(), waiting("containerB")];
        let init = initialized(&s, &statuses, Pending);
        assert_eq!(init.status, "True", "a regular container has started");
        let init = initialized(
            &s,
            &[
                running("init"),
                waiting("containerA"),
                waiting("containerB"),
            ],
            Pending,
        );
        assert_eq!(
            (
                init.status.as_str(),
                init.reason.as_str(),
                init.message.as_str()
            ),
            (
                "False",
                CONTAINERS_NOT_INITIALIZED,
                "containers with incomplete status: [init]"
            )
        );
        let r = pod_ready(&s, &statuses[1..], Pending);
        assert_eq!(
            (r.kind.as_str(), r.status.as_str(), r.message.as_str()),
            (
                "Ready",
                "False",
                "containers with unready status: [containerB]"
            )
        );
        let r = containers_ready(&s, &[], Pending);
        assert_eq!(
            r.message,
            "containers with unknown status: [containerA containerB]"
        );
        let mut b = running("containerB");
        b.ready = true;
        assert_eq!(pod_ready(&s, &[a, b], Running).status, "True");
        let done = containers_ready(
            &s,
            &[succeeded("containerA"), succeeded("containerB")],
            Succeeded,
        );
        assert_eq!(
            (done.status.as_str(), done.reason.as_str()),
            ("False", POD_COMPLETED)
        );
        let old = conditions(&s, &statuses, Pending, true, 5, &[]);
        let again = conditions(&s, &statuses, Pending, false, 9, &old);
        assert_eq!(again[0].last_transition_time, 9, "changed status, new time");
        assert_eq!(
            again[1].last_transition_time, 5,
            "same status keeps its time"
        );
        assert_eq!(
            again.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(),
            [
                "PodReadyToStartContainers",
                "Initialized",
                "Ready",
                "ContainersReady",
                "PodScheduled"
            ]
        );
    }
}
