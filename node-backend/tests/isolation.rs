//! Isolation: pid 1 inside, own hostname, own mount view, host processes invisible, the
//! pod's /etc files, masked and read-only paths, the default capability set, no_new_privs.

mod common;
use common::Harness;
use std::time::Duration;

#[test]
fn a_container_sees_only_itself() {
    let mut h = Harness::new("iso");
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: iso-pod}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sh, -c]
    args:
    - |
      echo "pid=$$$$"
      echo "hostname=$(hostname)"
      echo "procs=$(ls -d /proc/[0-9]* | wc -l)"
      echo "hosts=$(grep -c iso-pod /etc/hosts)"
      echo "root=$(grep '^[^ ]* / ' /proc/mounts | cut -d' ' -f3)"
      echo "timer_list=$(wc -c < /proc/timer_list)"
      echo "acpi=$(ls /proc/acpi | wc -l) $(grep -c ' /proc/acpi tmpfs ro' /proc/mounts)"
      touch /proc/sys/kernel/hostname 2>/dev/null && echo sysrw=yes || echo sysrw=no
      (touch /etc/hosts 2>/dev/null && echo etc=rw) || echo etc=ro
      grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status | tr -s '\t' ' '
      echo "devs=$(ls /dev | tr '\n' ' ')"
      echo "ifaces=$(ls /sys/class/net | tr '\n' ' ')"
"#,
    );
    let (code, reason) = h.wait_exit(&uid, "app", Duration::from_secs(20));
    let t = h.target(&uid, "app").unwrap();
    let logs = h.logs(&t);
    assert_eq!((code, reason.as_str()), (0, "Completed"), "{logs:?}");
    let has = |s: &str| logs.iter().any(|l| l.trim() == s);
    assert!(has("pid=1"), "{logs:?}");
    assert!(has("hostname=iso-pod"), "{logs:?}");
    // Only the shell and its `ls` (and the subshell) — no host process is visible.
    let procs: usize = logs
        .iter()
        .find_map(|l| l.strip_prefix("procs="))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(procs <= 4, "{logs:?}");
    assert!(has("hosts=1"), "{logs:?}");
    assert!(has("root=overlay"), "{logs:?}");
    assert!(has("timer_list=0"), "masked by /dev/null: {logs:?}");
    assert!(has("acpi=0 1"), "masked by a read-only tmpfs: {logs:?}");
    assert!(has("sysrw=no"), "{logs:?}");
    assert!(has("etc=ro"), "{logs:?}");
    assert!(has("CapBnd: 00000000a80425fb"), "{logs:?}");
    assert!(has("CapEff: 00000000a80425fb"), "{logs:?}");
    assert!(has("NoNewPrivs: 1"), "{logs:?}");
    assert!(has("ifaces=lo"), "only loopback in the pod netns: {logs:?}");
    assert!(
        logs.iter().any(|l| l.starts_with("devs=")
            && l.contains("null")
            && l.contains("urandom")
            && !l.contains("sda")),
        "{logs:?}"
    );
    // The host's mount table has no trace of the container's mounts.
    let mi = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mi.contains(h.state.to_str().unwrap()));
    h.finish();
}

#[test]
fn security_context_sets_user_group_capabilities_and_a_read_only_root() {
    let mut h = Harness::new("secctx");
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: sec}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000, runAsGroup: 2000, supplementalGroups: [3000]}
  containers:
  - name: user
    image: cellsim/busybox:latest
    command: [sh, -c]
    args:
    - |
      echo "id=$(id -u):$(id -g) groups=$(id -G)"
      grep -E '^(CapEff|CapBnd)' /proc/self/status | tr -s '\t' ' '
      (touch /x 2>/dev/null && echo rootfs=rw) || echo rootfs=ro
    securityContext:
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
"#,
    );
    let (code, _) = h.wait_exit(&uid, "user", Duration::from_secs(20));
    let t = h.target(&uid, "user").unwrap();
    let logs = h.logs(&t);
    assert_eq!(code, 0, "{logs:?}");
    assert!(
        logs.iter().any(|l| l == "id=1000:2000 groups=2000 3000"),
        "{logs:?}"
    );
    // Non-root: no effective capabilities; the bounding set is what securityContext left.
    assert!(
        logs.iter().any(|l| l == "CapEff: 0000000000000000"),
        "{logs:?}"
    );
    assert!(
        logs.iter().any(|l| l == "CapBnd: 0000000000000400"),
        "{logs:?}"
    );
    assert!(logs.iter().any(|l| l == "rootfs=ro"), "{logs:?}");
    h.finish();
}
