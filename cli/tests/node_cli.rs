//! `cellsim node` and `cellsim image` through the real binary: bad pod manifests exit 2 with
//! one located error line and create nothing; a real pod streams its logs and exits with its
//! container's code; the agent (a separate process) is killed and restarted and re-adopts
//! its running pod; `node cleanup` leaves nothing of cellsim's. Needs root (CI runs as root).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn cellsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cellsim"))
}

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        panic!("\n\n*** cellsim node tests need root (CI runs them as root).\n\n");
    }
}

/// A scratch directory named like the suite's other state (`cellsim-test-cli-<pid>-<name>`,
/// which `node-backend/tests/suite.rs` checks for leftovers), removed when the test ends,
/// also when it fails.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let d = PathBuf::from(format!(
        "/tmp/cellsim-test-cli-{}-{name}-dir",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

#[test]
fn malformed_pod_manifests_exit_2_with_a_location() {
    let d = scratch("bad");
    for (name, text, want) in [
        (
            "syntax.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: a\n    image: [oops\n",
            ":8:1: invalid YAML",
        ),
        (
            "type.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: 7\n",
            ":5:15:",
        ),
        (
            "notpod.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {}\n",
            ":1:1: expected exactly one Pod",
        ),
    ] {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let out = cellsim()
            .args(["node", "run-pod"])
            .arg(&p)
            .args(["--root"])
            .arg(d.join("root"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        assert!(
            err.starts_with(&format!("error: {}", p.display())) && err.contains(want),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"));
        assert!(!d.join("root/run-pod").exists(), "nothing was created");
    }
}

#[test]
fn run_pod_streams_logs_and_exits_with_the_container_code() {
    require_root();
    let d = scratch("run");
    let p = d.join("pod.yaml");
    std::fs::write(
        &p,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: hello}\nspec:\n  restartPolicy: Never\n  containers:\n  - name: app\n    image: cellsim/busybox:latest\n    command: [sh, -c, 'echo hello from $(hostname); echo oops >&2; exit 3']\n",
    )
    .unwrap();
    let out = cellsim()
        .args(["node", "run-pod", "--quiet"])
        .arg(&p)
        .arg("--root")
        .arg(d.join("root"))
        .arg("--cgroup-parent")
        .arg(format!("cellsim-test-cli-{}-run", std::process::id()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello from hello\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "oops\n");
    // The run's state and cgroups are gone; only the image store stays.
    assert_eq!(
        std::fs::read_dir(d.join("root/run-pod")).unwrap().count(),
        0
    );
    let parent = format!("cellsim-test-cli-{}-run", std::process::id());
    let hier = cellsim_node::cgroups::detect::detect().unwrap();
    let left = cellsim_node::cleanup::find(&hier, &|n: &str| n == parent, &d.join("root"));
    assert!(left.is_empty() && left.cgroups.is_empty(), "{left:?}");
    let missing = d.join("missing.yaml");
    std::fs::write(
        &missing,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n  containers:\n  - {name: app, image: 'no/such:image'}\n",
    )
    .unwrap();
    let out = cellsim()
        .args(["node", "run-pod"])
        .arg(&missing)
        .arg("--root")
        .arg(d.join("root"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("\"no/such:image\" is not in the local image store"));
}

/// An agent process, killed if the test fails while it runs.
struct Agent(std::process::Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<String>) -> String {
    let t0 = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pid of the (single) container the agent runs, from its state files.
fn container_pid(root: &Path) -> Option<String> {
    let pods = std::fs::read_dir(root.join("agent/pods")).ok()?;
    for p in pods.flatten() {
        for c in std::fs::read_dir(p.path().join("containers"))
            .ok()?
            .flatten()
        {
            let s = std::fs::read_to_string(c.path().join("state.json")).ok()?;
            let v: serde_json::Value = serde_json::from_str(&s).ok()?;
            if v["state"] == "running" {
                return Some(v["pid"].to_string());
            }
        }
    }
    None
}

#[test]
fn the_agent_readopts_its_pods_after_a_crash_and_cleanup_leaves_nothing() {
    require_root();
    let d = scratch("agent");
    let root = d.join("root");
    let manifests = d.join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::write(
        manifests.join("ticker.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ticker}\nspec:\n  terminationGracePeriodSeconds: 2\n  containers:\n  - name: app\n    image: cellsim/busybox:latest\n    command: [sh, -c, 'while :; do sleep 0.2; done']\n",
    )
    .unwrap();
    let parent = format!("cellsim-test-cli-{}-agent", std::process::id());
    let start = |log: &str| {
        cellsim()
            .args(["node", "agent", "--manifests"])
            .arg(&manifests)
            .arg("--root")
            .arg(&root)
            .arg("--cgroup-parent")
            .arg(&parent)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join(log)).unwrap())
            .spawn()
            .unwrap()
    };
    let logs = || {
        ["agent-a.log", "agent-b.log"]
            .iter()
            .map(|l| std::fs::read_to_string(d.join(l)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    let mut a = Agent(start("agent-a.log"));
    let pid = wait_for("the container", Duration::from_secs(20), || {
        container_pid(&root)
    });
    // Crash: SIGKILL, no chance to clean up.
    a.0.kill().unwrap();
    a.0.wait().unwrap();
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the pod outlives the agent:\n{}",
        logs()
    );
    let mut b = Agent(start("agent-b.log"));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        container_pid(&root),
        Some(pid.clone()),
        "re-adopted, not restarted:\n{}",
        logs()
    );
    // Removing the manifest stops the pod.
    std::fs::remove_file(manifests.join("ticker.yaml")).unwrap();
    wait_for("the pod to stop", Duration::from_secs(20), || {
        (!Path::new(&format!("/proc/{pid}")).exists()).then(String::new)
    });
    unsafe {
        libc::kill(b.0.id() as i32, libc::SIGTERM);
    }
    b.0.wait().unwrap();
    let out = cellsim()
        .args(["node", "cleanup", "--root"])
        .arg(&root)
        .arg("--cgroup-parent")
        .arg(&parent)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("killed process"), "{text}\n{}", logs());
    assert!(!text.contains("unmounted"), "{text}");
    // The parent cgroup itself is all that was left (empty), and now it is gone too.
    let hier = cellsim_node::cgroups::detect::detect().unwrap();
    let left = cellsim_node::cleanup::find(&hier, &|n: &str| n == parent, &root);
    assert!(left.is_empty() && left.cgroups.is_empty(), "{left:?}");
}

#[test]
fn image_import_and_ls() {
    require_root();
    let d = scratch("image");
    let rootfs = d.join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::write(rootfs.join("etc/motd"), "hi\n").unwrap();
    let store = d.join("store");
    let out = cellsim()
        .args(["image", "import", "test/rootfs:v1"])
        .arg(&rootfs)
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("imported test/rootfs:v1 (1 layer(s), 3 bytes)"));
    let out = cellsim()
        .args(["image", "ls", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("cellsim/busybox ") && l.contains("latest")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("test/rootfs ") && l.contains("v1")),
        "{text}"
    );
    let out = cellsim()
        .args(["image", "import", "bad ref"])
        .arg(&rootfs)
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid image reference"));
}

#[test]
fn ctrl_c_deletes_the_pod_gracefully() {
    require_root();
    let d = scratch("sigint");
    let p = d.join("pod.yaml");
    std::fs::write(
        &p,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: long}\nspec:\n  terminationGracePeriodSeconds: 5\n  containers:\n  - name: app\n    image: cellsim/busybox:latest\n    command: [sh, -c, \"trap 'echo bye; exit 143' TERM; echo up; while :; do sleep 0.1; done\"]\n",
    )
    .unwrap();
    let parent = format!("cellsim-test-cli-{}-sigint", std::process::id());
    let child = cellsim()
        .args(["node", "run-pod", "--quiet"])
        .arg(&p)
        .arg("--root")
        .arg(d.join("root"))
        .arg("--cgroup-parent")
        .arg(&parent)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(143),
        "SIGTERM honoured, its exit code"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "up\nbye\n");
    let hier = cellsim_node::cgroups::detect::detect().unwrap();
    let left = cellsim_node::cleanup::find(&hier, &|n: &str| n == parent, &d.join("root"));
    assert!(left.is_empty() && left.cgroups.is_empty(), "{left:?}");
}

/// `node cleanup` removes the network namespaces a crashed run left under
/// `/run/cellsim/netns` (`cellsim-*`), killing a process still inside one first.
#[test]
fn cleanup_removes_leftover_network_namespaces() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    require_root();
    let d = scratch("netns");
    // Named like a run's namespace (the test suite's `cellsim-test-*` ones are left alone
    // without --all), with this test's pid so it cannot collide.
    let ns = cellsim_node::net::NetNs::create(&format!("cellsim-clitest-{}", std::process::id()))
        .unwrap();
    let fd = ns.open().unwrap();
    let raw = fd.as_raw_fd();
    let mut cmd = Command::new("sleep");
    cmd.arg("60");
    // SAFETY: setns is async-signal-safe; `fd` outlives the spawn.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setns(raw, libc::CLONE_NEWNET) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut sleeper = cmd.spawn().unwrap();
    drop(fd);
    let out = cellsim()
        .args(["node", "cleanup", "--root"])
        .arg(d.join("root"))
        .arg("--cgroup-parent")
        .arg(format!("cellsim-test-cli-{}-netns", std::process::id()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let status = sleeper.wait().unwrap();
    let left = ns.path.exists();
    let _ = ns.delete();
    assert!(
        !left,
        "namespace file left: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "the process inside was killed"
    );
}
