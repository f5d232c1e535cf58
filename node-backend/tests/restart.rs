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
