//! `cellsim ... | head` must not panic when the reader closes the pipe: the process ends with
//! the SIGPIPE status (141) or, if everything fit in the pipe first, normally — never with a
//! Rust panic (exit 101).

use std::io::Read;
use std::process::{Command, Stdio};

fn run_with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cellsim"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cellsim");
    // Close the read end before the program writes anything.
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    (status.code(), err)
}

#[test]
fn closed_stdout_is_not_a_panic() {
    for args in [
        &["run", "scenarios/online-boutique.yaml", "--json"][..],
        &["run", "scenarios/quickstart.yaml"][..],
        &[
            "bench",
            "scheduler",
            "--nodes",
            "50",
            "--pods",
            "100",
            "--json",
        ][..],
    ] {
        let (code, err) = run_with_closed_stdout(args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            matches!(code, Some(141) | Some(0) | Some(1)),
            "{args:?}: exit {code:?}, stderr {err}"
        );
    }
}
