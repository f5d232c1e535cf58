//! cgroup limits: memory limit → OOMKilled (137), CPU quota throttles, the pod pids limit
//! stops a fork bomb, cpu shares/weight and quota land in the cgroup files.

mod common;
use common::Harness;
use std::time::Duration;

#[test]
fn memory_limit_oom_kills_with_137() {
    let mut h = Harness::new("oom");
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: cellsim/busybox:latest
    # Grows without bound: the kernel kills it at 32Mi.
    command: [sh, -c, "exec tail /dev/zero"]
    resources: {limits: {memory: 32Mi}}
"#,
    );
    let (code, reason) = h.wait_exit(&uid, "app", Duration::from_secs(30));
    assert_eq!((code, reason.as_str()), (137, "OOMKilled"));
    assert!(h
        .agent()
        .pod_status(&uid)
        .unwrap()
        .container_statuses
        .iter()
        .any(|s| format!("{s:?}").contains("OOMKilled")));
    h.finish();
}

#[test]
fn cpu_quota_throttles_and_limits_land_in_the_cgroup() {
    let mut h = Harness::new("cpu");
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: spin}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sh, -c, "while :; do :; done"]
    resources:
      requests: {cpu: 50m, memory: 16Mi}
      limits: {cpu: 100m, memory: 64Mi}
"#,
    );
    h.wait_running(&uid, "app");
    let t = h.target(&uid, "app").unwrap();
    let cg = h.agent().rt.container_cgroup(&t).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while cg.nr_throttled() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(cg.nr_throttled() > 0, "a 100m quota throttles a busy loop");
    match cg.mode {
        cellsim_node::cgroups::Mode::V2 => {
            let d = cg.unified.clone().unwrap();
            assert_eq!(
                std::fs::read_to_string(d.join("cpu.max")).unwrap().trim(),
                "10000 100000"
            );
            assert_eq!(
                std::fs::read_to_string(d.join("cpu.weight"))
                    .unwrap()
                    .trim(),
                "2"
            );
            assert_eq!(
                std::fs::read_to_string(d.join("memory.max"))
                    .unwrap()
                    .trim(),
                "67108864"
            );
        }
        _ => {
            let cpu = cg.controller_dir("cpu").unwrap().to_path_buf();
            let mem = cg.controller_dir("memory").unwrap().to_path_buf();
            let read =
                |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap().trim().to_string();
            assert_eq!(read(cpu.join("cpu.cfs_quota_us")), "10000");
            assert_eq!(read(cpu.join("cpu.cfs_period_us")), "100000");
            assert_eq!(read(cpu.join("cpu.shares")), "51");
            assert_eq!(read(mem.join("memory.limit_in_bytes")), "67108864");
        }
    }
    // Usage is measured: the loop has used CPU time, and memory is accounted.
    let u = h.agent().rt.pod_usage(&uid);
    assert!(u.cpu_ns > 0, "{u:?}");
    h.finish();
}

#[test]
fn pids_limit_stops_a_fork_bomb() {
    let mut h = Harness::with("pids", 1, |cfg| cfg.pod_pids_limit = Some(24));
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: bomb}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: cellsim/busybox:latest
    # The subshell forks until the kernel refuses; the shell (pid 1) then counts, using
    # builtins only (no pid is left to fork with).
    command: [sh, -c]
    args:
    - |
      ( while :; do sleep 100 & done ) 2>/dev/null
      set -- /proc/[0-9]*
      echo "alive=$#"
"#,
    );
    let (code, _) = h.wait_exit(&uid, "app", Duration::from_secs(30));
    let t = h.target(&uid, "app").unwrap();
    let logs = h.logs(&t);
    assert_eq!(code, 0, "{logs:?}");
    let alive: usize = logs
        .iter()
        .find_map(|l| l.strip_prefix("alive="))
        .unwrap_or_else(|| panic!("{logs:?}"))
        .trim()
        .parse()
        .unwrap();
    // 24 pids in the pod: the pause process and 23 in the container, no more.
    assert!((20..=23).contains(&alive), "{logs:?}");
    h.finish();
}

#[test]
fn the_cgroup2_tree_holds_the_container_and_cgroup_kill_ends_it() {
    // On v2 this is the only hierarchy; on hybrid hosts the controller-less cgroup2 tree at
    // /sys/fs/cgroup/unified (as runc uses it) — the real v2 operations: mkdir,
    // cgroup.procs, cgroup.kill.
    let mut h = Harness::new("v2");
    let uid = h.run(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: v2}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: app, image: cellsim/busybox, command: [sleep, '1000']}\n",
    );
    h.wait_running(&uid, "app");
    let t = h.target(&uid, "app").unwrap();
    let cg = h.agent().rt.container_cgroup(&t).unwrap();
    let Some(unified) = cg.unified.clone() else {
        eprintln!("pure cgroup v1 host: no cgroup2 tree to test");
        h.finish();
        return;
    };
    let pid = h.agent().rt.container_pid(&t).unwrap();
    let procs = std::fs::read_to_string(unified.join("cgroup.procs")).unwrap();
    assert!(procs.lines().any(|l| l == pid.to_string()), "{procs}");
    let own = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let rel = format!("0::/{}", cg.rel.display());
    assert!(own.lines().any(|l| l == rel), "{own}");
    assert!(unified.join("cgroup.kill").exists());
    cg.kill_all(Duration::from_secs(5));
    let (code, _) = h.wait_exit(&uid, "app", Duration::from_secs(10));
    assert_eq!(code, 137, "SIGKILLed through cgroup.kill");
    h.finish();
}
