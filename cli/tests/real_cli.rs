//! (root) `cellsim run --real` through the binary: SIGINT in the middle of a run stops it
//! with exit code 130 and the host is clean afterwards (no namespace, mount, cgroup, process
//! or state directory of the run); after SIGKILL (a crash) `cellsim node cleanup` removes
//! what the run left.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        panic!("\n\n*** the cli's real-run test needs root.\n\n");
    }
}

/// Start `cellsim run --real` on real-web with `prefix` under `root`; return once an httpd of
/// the run serves (a process in one of the run's cgroups).
fn start(prefix: &str, root: &std::path::Path) -> std::process::Child {
    let _ = std::fs::remove_dir_all(root);
    let scenario = format!("{}/../scenarios/real-web.yaml", env!("CARGO_MANIFEST_DIR"));
    let child = Command::new(env!("CARGO_BIN_EXE_cellsim"))
        .args(["run", "--real", "--prefix", prefix, "--root"])
        .arg(root)
        .arg(&scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cellsim run --real");
    let t0 = Instant::now();
    loop {
        let busy = cellsim_node::real::leftovers(prefix, &root.join(prefix))
            .iter()
            .any(|l| l.starts_with("process") && l.contains("httpd"));
        if busy {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no container started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

#[test]
fn sigint_mid_run_stops_and_leaves_the_host_clean() {
    require_root();
    let prefix = format!("cellsim-test-cli-{}-sigint", std::process::id());
    let root = PathBuf::from(format!("/tmp/{prefix}"));
    let child = start(&prefix, &root);
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let t1 = Instant::now();
    let out = child.wait_with_output().expect("wait");
    assert!(
        t1.elapsed() < Duration::from_secs(30),
        "teardown took {:?}",
        t1.elapsed()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(130),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Interrupted"), "{stdout}");
    let left = cellsim_node::real::leftovers(&prefix, &root.join(&prefix));
    let _ = std::fs::remove_dir_all(&root);
    assert!(left.is_empty(), "left on the host: {left:#?}");
}

#[test]
fn node_cleanup_removes_what_a_killed_run_left() {
    require_root();
    // A run's prefix (`cellsim-run*`, which `node cleanup` handles without --all), with this
    // test's pid so it cannot collide with a person's run.
    let prefix = format!("cellsim-run-clitest-{}", std::process::id());
    let root = PathBuf::from(format!(
        "/tmp/cellsim-test-cli-{}-crash",
        std::process::id()
    ));
    let mut child = start(&prefix, &root);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let state = root.join(&prefix);
    assert!(
        !cellsim_node::real::leftovers(&prefix, &state).is_empty(),
        "a killed run leaves its namespaces, cgroups and processes"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_cellsim"))
        .args(["node", "cleanup", "--root"])
        .arg(&root)
        .args([
            "--cgroup-parent",
            &format!("cellsim-test-cli-{}-crash", std::process::id()),
        ])
        .output()
        .expect("node cleanup");
    assert_eq!(out.status.code(), Some(0));
    // Killed processes leave their cgroups asynchronously; give them a moment.
    let t0 = Instant::now();
    let left = loop {
        let left = cellsim_node::real::leftovers(&prefix, &state);
        if left.is_empty() || t0.elapsed() > Duration::from_secs(5) {
            break left;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = std::fs::remove_dir_all(&root);
    assert!(
        left.is_empty(),
        "left after node cleanup: {left:#?}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
