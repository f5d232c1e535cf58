//! Process lifecycle through the core's kubelet logic: restart policies and CrashLoopBackOff
//! (with scaled time), SIGTERM then SIGKILL after the grace period, zombies reaped by the
//! pause process, CRI logs.

mod common;
use common::Harness;
use std::time::{Duration, Instant};

#[test]
fn restart_always_backs_off_exponentially() {
    // 20× time: the kubelet's 10 s / 20 s / 40 s backoff takes 0.5 / 1 / 2 s.
    let mut h = Harness::with("backoff", 20, |_| {});
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sh, -c, "echo attempt; exit 3"]
"#,
    );
    h.until(Duration::from_secs(30), |a| {
        a.events.iter().filter(|e| e.reason == "Started").count() >= 5
    });
    let starts: Vec<u64> = h
        .agent()
        .events
        .iter()
        .filter(|e| e.reason == "Started")
        .map(|e| e.at.0)
        .collect();
    // Exits are immediate, so the gaps between starts are the backoff: ~0, 10, 20, 40 s
    // (kubelet time; scheduling noise is scaled 20× too, hence the slack).
    let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[0] < 9_000, "first restart is immediate: {gaps:?}");
    assert!((10_000..16_000).contains(&gaps[1]), "{gaps:?}");
    assert!((20_000..26_000).contains(&gaps[2]), "{gaps:?}");
    assert!((40_000..46_000).contains(&gaps[3]), "{gaps:?}");
    assert!(h.agent().events.iter().any(|e| e.reason == "BackOff"));
    let st = h.agent().pod_status(&uid).unwrap().clone();
    assert!(st.container_statuses[0].restart_count >= 4, "{st:?}");
    let last = h.agent().worker(&uid).unwrap().ctrs[0]
        .previous_exit
        .clone();
    assert_eq!(last.map(|e| e.code), Some(3));
    h.finish();
}

#[test]
fn restart_policies_never_and_on_failure() {
    let mut h = Harness::new("policy");
    let never = h.run(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: never}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: app, image: cellsim/busybox, command: [sh, -c, 'exit 7']}\n",
    );
    let ok = h.run(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: onfail}\nspec:\n  restartPolicy: OnFailure\n  containers:\n  - {name: app, image: cellsim/busybox, command: [true]}\n",
    );
    let (a, b) = (never.clone(), ok.clone());
    h.until(Duration::from_secs(20), move |ag| {
        [&a, &b]
            .iter()
            .all(|u| ag.worker(u).is_some_and(|w| w.terminal))
    });
    let phase = |h: &mut Harness, u: &str| format!("{:?}", h.agent().pod_status(u).unwrap().phase);
    assert_eq!(phase(&mut h, &never), "Failed");
    assert_eq!(phase(&mut h, &ok), "Succeeded");
    assert_eq!(h.exit(&never, "app"), Some((7, "Error".into())));
    assert_eq!(h.exit(&ok, "app"), Some((0, "Completed".into())));
    assert_eq!(
        h.agent()
            .events
            .iter()
            .filter(|e| e.reason == "Started")
            .count(),
        2,
        "no restarts"
    );
    h.finish();
}

#[test]
fn sigterm_ignoring_process_is_killed_after_the_grace_period() {
    let mut h = Harness::new("grace");
    let stubborn = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sh, -c, "trap '' TERM; while :; do sleep 1; done"]
"#,
    );
    let polite = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: polite}
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sh, -c, "trap 'exit 143' TERM; while :; do sleep 0.1; done"]
"#,
    );
    h.wait_running(&stubborn, "app");
    h.wait_running(&polite, "app");
    let t0 = Instant::now();
    h.agent().delete_pod(&polite);
    let (code, _) = h.wait_exit(&polite, "app", Duration::from_secs(10));
    let polite_took = t0.elapsed();
    assert_eq!(code, 143);
    assert!(polite_took < Duration::from_secs(2), "{polite_took:?}");
    let t0 = Instant::now();
    h.agent().delete_pod(&stubborn);
    let (code, _) = h.wait_exit(&stubborn, "app", Duration::from_secs(10));
    let took = t0.elapsed();
    assert_eq!(code, 137, "SIGKILLed");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "killed at the 2 s grace period: {took:?}"
    );
    h.finish();
}

#[test]
fn the_pause_process_reaps_orphans_in_a_shared_pid_namespace() {
    let mut h = Harness::new("zombie");
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: orphans}
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: cellsim/busybox:latest
    # Each subshell exits at once, orphaning its `sleep`, which the pause process (pid 1)
    # inherits and must reap when it ends.
    command: [sh, -c]
    args:
    - |
      echo "pid1=$(cat /proc/1/stat | cut -d' ' -f2)"
      for i in 1 2 3 4 5; do (sleep 0.2 &); done
      while :; do sleep 1; done
"#,
    );
    h.wait_running(&uid, "app");
    std::thread::sleep(Duration::from_millis(1200));
    let pause = h.agent().rt.sandbox_pid(&uid).unwrap();
    let children = std::fs::read_to_string(format!("/proc/{pause}/task/{pause}/children")).unwrap();
    for c in children.split_whitespace() {
        let stat = std::fs::read_to_string(format!("/proc/{c}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim().chars().next();
        assert_ne!(
            state,
            Some('Z'),
            "zombie child {c} of the pause process: {stat}"
        );
    }
    let t = h.target(&uid, "app").unwrap();
    let logs = h.logs(&t);
    assert!(
        logs.iter().any(|l| l == "pid1=(cellsim-init)"),
        "the pause process is pid 1: {logs:?}"
    );
    h.finish();
}

#[test]
fn logs_are_written_in_the_cri_format() {
    let mut h = Harness::with("logs", 1, |cfg| {
        cfg.log_max_bytes = 30_000;
        cfg.log_max_files = 3;
    });
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sh, -c]
    args:
    - |
      i=0; while [ $i -lt 2000 ]; do echo "filler line $i"; i=$((i+1)); done
      echo out-line
      echo err-line >&2
      head -c 20000 /dev/zero | tr '\0' x; echo
      printf no-newline
"#,
    );
    h.wait_exit(&uid, "app", Duration::from_secs(20));
    let t = h.target(&uid, "app").unwrap();
    let path = h.agent().rt.log_path(&t);
    let rotated = cellsim_node::logs::rotated_files(&path);
    assert_eq!(rotated.len(), 2, "3 files at most: {rotated:?}");
    for f in rotated.iter().chain([&path]) {
        assert!(std::fs::metadata(f).unwrap().len() <= 30_000);
    }
    let text: String = rotated
        .iter()
        .chain([&path])
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    // <RFC3339Nano> <stream> <F|P> <content>
    let shape = |l: &str| {
        let parts: Vec<&str> = l.splitn(4, ' ').collect();
        parts.len() == 4
            && parts[0].len() >= 20
            && parts[0].ends_with('Z')
            && parts[0].as_bytes()[10] == b'T'
            && (parts[1] == "stdout" || parts[1] == "stderr")
            && (parts[2] == "F" || parts[2] == "P")
    };
    assert!(lines.iter().all(|l| shape(l)), "{:?}", &lines[..3]);
    assert!(
        !lines[0].ends_with(" filler line 0"),
        "the oldest file was rotated away"
    );
    assert!(lines
        .iter()
        .any(|l| l.ends_with(" stdout F filler line 1999")));
    assert!(lines.iter().any(|l| l.ends_with(" stdout F out-line")));
    assert!(lines.iter().any(|l| l.ends_with(" stderr F err-line")));
    let p = lines
        .iter()
        .position(|l| l.contains(" stdout P xxxx"))
        .expect("a long line is split");
    assert_eq!(
        lines[p].len() - lines[p].find(" P ").unwrap() - 3,
        16 * 1024
    );
    // The stderr line written before it may land between the pieces: the two pipes are read
    // independently (as containerd's copy loops do), so look at the next stdout line.
    let next_stdout = lines[p + 1..]
        .iter()
        .find(|l| l.contains(" stdout "))
        .expect("the long line's last piece");
    assert!(next_stdout.ends_with(&format!(" stdout F {}", "x".repeat(20_000 - 16 * 1024))));
    assert!(
        lines
            .iter()
            .rev()
            .find(|l| l.contains(" stdout "))
            .is_some_and(|l| l.ends_with(" stdout F no-newline")),
        "an open line ends as F"
    );
    h.finish();
}

#[test]
fn the_prestop_hook_runs_in_the_container_before_sigterm() {
    let mut h = Harness::new("prestop");
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: hooked}
spec:
  terminationGracePeriodSeconds: 10
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sh, -c, "trap 'echo got-term; exit 0' TERM; trap 'echo prestop-signalled' USR1; echo up; while :; do sleep 0.1; done"]
    lifecycle:
      preStop:
        # Runs inside the container's PID namespace: pid 1 is the container's shell.
        exec: {command: [sh, -c, "kill -USR1 1; sleep 0.5"]}
"#,
    );
    h.wait_running(&uid, "app");
    std::thread::sleep(Duration::from_millis(300));
    h.agent().delete_pod(&uid);
    let (code, _) = h.wait_exit(&uid, "app", Duration::from_secs(15));
    let t = h.target(&uid, "app").unwrap();
    let logs = h.logs(&t);
    assert_eq!(code, 0, "{logs:?}");
    let ev: Vec<String> = h
        .agent()
        .events
        .iter()
        .map(|e| format!("{} {}", e.reason, e.message))
        .collect();
    assert_eq!(
        logs,
        vec!["up", "prestop-signalled", "got-term"],
        "hook first, then SIGTERM: {ev:?}"
    );
    h.finish();
}
