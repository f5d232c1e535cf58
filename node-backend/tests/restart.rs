//! The agent restarts while pods run: a new runtime on the same state directory re-adopts
//! the sandbox and the running container (same processes), keeps watching it (a kill from
//! outside is seen and the kubelet restarts it), or — by policy — cleans everything up.

mod common;
use cellsim_node::agent::Agent;
use cellsim_node::runtime::{LinuxRuntime, OnStart};
use common::Harness;
use std::time::Duration;

const POD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: survivor}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sh, -c, "while :; do echo tick; sleep 0.2; done"]
"#;

fn restart_agent(h: &mut Harness, on_start: OnStart) {
    // The old agent goes away without stopping anything (as if it crashed).
    let old = h.agent.take().unwrap();
    std::mem::forget(old);
    let cfg = common::config(&h.state, &h.cgroup_parent);
    let (rt, rx) = LinuxRuntime::new(cfg, on_start).expect("runtime");
    let mut agent = Agent::new(rt, rx, 1);
    for (pod, extras) in agent.rt.adopted_pods() {
        agent.add_pod(pod, extras);
    }
    h.agent = Some(agent);
}

#[test]
fn a_restarted_agent_readopts_running_pods() {
    let mut h = Harness::new("readopt");
    let uid = h.run(POD);
    h.wait_running(&uid, "app");
    let t = h.target(&uid, "app").unwrap();
    let pid = h.agent().rt.container_pid(&t).unwrap();
    let pause = h.agent().rt.sandbox_pid(&uid).unwrap();
    restart_agent(&mut h, OnStart::Adopt);
    h.wait_running(&uid, "app");
    let t2 = h.target(&uid, "app").unwrap();
    assert_eq!(
        h.agent().rt.container_pid(&t2),
        Some(pid),
        "the same process"
    );
    assert_eq!(
        h.agent().rt.sandbox_pid(&uid),
        Some(pause),
        "the same sandbox"
    );
    assert_eq!(
        h.agent()
            .events
            .iter()
            .filter(|e| e.reason == "Started")
            .count(),
        1,
        "nothing new was started"
    );
    // The adopted container is still watched: killed from outside, it is restarted.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    let u = uid.clone();
    h.until(Duration::from_secs(20), move |a| {
        a.worker(&u)
            .is_some_and(|w| w.ctrs[0].running().is_some_and(|(att, _)| att >= 1))
    });
    let t3 = h.target(&uid, "app").unwrap();
    assert_ne!(h.agent().rt.container_pid(&t3), Some(pid));
    // Its logs kept flowing into the CRI log through the shim while no agent ran.
    assert!(h.logs(&t3).iter().all(|l| l == "tick"));
    h.finish();
}

#[test]
fn a_restarted_agent_can_clean_up_instead() {
    let mut h = Harness::new("cleanup");
    let uid = h.run(POD);
    h.wait_running(&uid, "app");
    let t = h.target(&uid, "app").unwrap();
    let pid = h.agent().rt.container_pid(&t).unwrap();
    restart_agent(&mut h, OnStart::Cleanup);
    assert!(h.agent().rt.adopted_pods().is_empty());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists() || {
            let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            s.rsplit(')').next().unwrap_or("").trim().starts_with('Z')
        }
    );
    assert!(!h.agent().rt.pod_cgroup(&uid).exists());
    h.finish();
}

/// The pod of the restart-count test: runs until killed; at 20× time the backoff steps are
/// 0.5 s, 1 s, 2 s of real time.
const CRASHY: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: crashy}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sleep, "1000"]
"#;

fn kill_and_wait_restart(h: &mut Harness, uid: &str, attempt: u32) -> i32 {
    let t = h.target(uid, "app").unwrap();
    assert_eq!(t.attempt, attempt - 1);
    let pid = h.agent().rt.container_pid(&t).unwrap();
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    let u = uid.to_string();
    h.until(Duration::from_secs(20), move |a| {
        a.worker(&u)
            .is_some_and(|w| w.ctrs[0].running().is_some_and(|(att, _)| att == attempt))
    });
    pid
}

fn restart_count(h: &mut Harness, uid: &str) -> i32 {
    h.agent().pod_status(uid).unwrap().container_statuses[0].restart_count
}

#[test]
fn restart_counts_and_backoff_survive_an_agent_restart() {
    let mut h = Harness::with("restartcount", 20, |_| {});
    let uid = h.run(CRASHY);
    h.wait_running(&uid, "app");
    kill_and_wait_restart(&mut h, &uid, 1);
    kill_and_wait_restart(&mut h, &uid, 2);
    assert_eq!(restart_count(&mut h, &uid), 2);
    let backoff = h.agent().worker(&uid).unwrap().ctrs[0].backoff.current();
    assert_eq!(backoff.as_secs(), 20, "two restarts: 10 s, then 20 s");
    let t = h.target(&uid, "app").unwrap();
    let pid = h.agent().rt.container_pid(&t).unwrap();
    // Kept in the pod's state directory.
    let saved = std::fs::read_to_string(
        h.agent()
            .rt
            .pod_dir(&uid)
            .join(cellsim_node::agent::KUBELET_STATE),
    )
    .unwrap();
    assert!(saved.contains("\"restartCount\": 2"), "{saved}");

    let old = h.agent.take().unwrap();
    std::mem::forget(old);
    let cfg = common::config(&h.state, &h.cgroup_parent);
    let (rt, rx) = LinuxRuntime::new(cfg, OnStart::Adopt).expect("runtime");
    let mut agent = Agent::new(rt, rx, 20);
    for (pod, extras) in agent.rt.adopted_pods() {
        agent.add_pod(pod, extras);
    }
    h.agent = Some(agent);
    h.wait_running(&uid, "app");
    // The same process, claimed as attempt 2; the count and the backoff go on.
    let t2 = h.target(&uid, "app").unwrap();
    assert_eq!(t2.attempt, 2);
    assert_eq!(h.agent().rt.container_pid(&t2), Some(pid));
    assert_eq!(restart_count(&mut h, &uid), 2);
    assert_eq!(
        h.agent().worker(&uid).unwrap().ctrs[0]
            .backoff
            .current()
            .as_secs(),
        20
    );
    let status = &h.agent().pod_status(&uid).unwrap().container_statuses[0];
    assert!(
        format!("{:?}", status.last_termination_state).contains("137"),
        "lastState is the killed attempt 1: {:?}",
        status.last_termination_state
    );
    // The next crash waits the continued backoff (20 s of kubelet time), not 0 s as a
    // fresh backoff would.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    let u = uid.clone();
    h.until(Duration::from_secs(20), move |a| {
        a.worker(&u).is_some_and(|w| w.ctrs[0].restart_at.is_some())
    });
    let w = h.agent().worker(&uid).unwrap();
    let exit = w.ctrs[0].exit().unwrap().finished_at;
    assert_eq!(w.ctrs[0].restart_at.unwrap().since(exit).as_secs(), 20);
    kill_wait_attempt(&mut h, &uid, 3);
    assert_eq!(restart_count(&mut h, &uid), 3);
    h.finish();
}

fn kill_wait_attempt(h: &mut Harness, uid: &str, attempt: u32) {
    let u = uid.to_string();
    h.until(Duration::from_secs(20), move |a| {
        a.worker(&u)
            .is_some_and(|w| w.ctrs[0].running().is_some_and(|(att, _)| att == attempt))
    });
}
