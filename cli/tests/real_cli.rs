//! (root) `cellsim run --real` through the binary: SIGINT in the middle of a run stops it
//! with exit code 130 and the host is clean afterwards (no namespace, mount, cgroup, process
//! or state directory of the run).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        panic!("\n\n*** the cli's real-run test needs root.\n\n");
    }
}

#[test]
fn sigint_mid_run_stops_and_leaves_the_host_clean() {
    require_root();
    let prefix = format!("cellsim-test-cli-{}-sigint", std::process::id());
    let root = PathBuf::from(format!("/tmp/{prefix}"));
    let _ = std::fs::remove_dir_all(&root);
    let scenario = format!("{}/../scenarios/real-web.yaml", env!("CARGO_MANIFEST_DIR"));
    let child = Command::new(env!("CARGO_BIN_EXE_cellsim"))
        .args(["run", "--real", "--prefix", &prefix, "--root"])
        .arg(&root)
        .arg(&scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cellsim run --real");
    // Wait until an httpd of the run serves (a process in one of the run's cgroups).
    let t0 = Instant::now();
    loop {
        let busy = cellsim_node::real::leftovers(&prefix, &root.join(&prefix))
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
