//! Bad input, end to end: every fixture under `tests/bad/` goes through the real `cellsim`
//! binary, which must exit 2 with exactly one line `error: FILE:LINE:COL: message` on stderr,
//! nothing on stdout, and no panic. Good inputs (`tests/good/`, the scenario library and its
//! manifests) must exit 0.
//!
//! Fixtures:
//! - `tests/bad/scenario/*.yaml` run with `cellsim run`, `tests/bad/manifest/*.yaml` with
//!   `cellsim validate`;
//! - the first line of each is `# expect: LINE:COL: SUBSTRING` (the error names the fixture
//!   itself, at that position, and its message contains SUBSTRING); a second line
//!   `# error-file: PATH` (relative to the fixture's directory) says the error names that file
//!   instead, e.g. a malformed manifest the scenario refers to;
//! - a fixture that cannot hold a comment (an empty file, a directory) has its expect line in
//!   `NAME.expect` beside it;
//! - `tests/bad/include/` holds files the fixtures refer to; they are not run on their own.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What one bad fixture must produce.
struct Expect {
    /// The file the error names, as the loader prints it (relative to the `cli` directory).
    file: String,
    line: u32,
    column: u32,
    substring: String,
}

/// Lexically normalize `a/b/../c` to `a/c` (the loader prints resolved paths this way).
fn normalize(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c.as_os_str().to_str().expect("fixture paths are UTF-8") {
            "." => {}
            ".." if parts.last().is_some_and(|l| l != "..") => {
                parts.pop();
            }
            s => parts.push(s.to_string()),
        }
    }
    parts.join("/")
}

/// Parse the `# expect:` (and optional `# error-file:`) lines of a fixture.
fn expectation(fixture: &str) -> Expect {
    let sidecar = root().join(format!("{fixture}.expect"));
    let bytes = if sidecar.exists() {
        std::fs::read(&sidecar).unwrap()
    } else {
        std::fs::read(root().join(fixture)).unwrap_or_else(|e| panic!("{fixture}: {e}"))
    };
    // Only the leading comment lines need to be text (a fixture may be binary after them).
    let mut lines = bytes.split(|&b| b == b'\n').map(|l| {
        String::from_utf8_lossy(l)
            .trim_end_matches('\r')
            .to_string()
    });
    let first = lines.next().unwrap_or_default();
    let rest = first.strip_prefix("# expect: ").unwrap_or_else(|| {
        panic!("{fixture}: the first line must be `# expect: LINE:COL: SUBSTRING`, found {first:?}")
    });
    let mut it = rest.splitn(3, ':');
    let (Some(line), Some(column), Some(substring)) = (it.next(), it.next(), it.next()) else {
        panic!("{fixture}: malformed expect line {first:?}")
    };
    let file = match lines.next().and_then(|l| {
        l.strip_prefix("# error-file: ")
            .map(|s| s.trim().to_string())
    }) {
        Some(rel) => normalize(&Path::new(fixture).parent().unwrap().join(rel)),
        None => fixture.to_string(),
    };
    Expect {
        file,
        line: line.trim().parse().expect("LINE is a number"),
        column: column.trim().parse().expect("COL is a number"),
        substring: substring.trim().to_string(),
    }
}

/// The `cli` directory: the binary runs there, and fixtures are named relative to it.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fixtures (`*.yaml` files and directories) of `dir` (relative to `cli/`), sorted.
fn fixtures(dir: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".yaml"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
}

fn cellsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cellsim"))
        .args(args)
        .current_dir(root())
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run cellsim")
}

/// Check one bad fixture; `Err` describes every way it failed.
fn check_bad(command: &str, fixture: &str) -> Result<(), String> {
    let want = expectation(fixture);
    let out = cellsim(&[command, fixture]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(2) {
        problems.push(format!("exit code {:?}, expected 2", out.status.code()));
    }
    if !stdout.is_empty() {
        problems.push(format!("stdout is not empty: {stdout:?}"));
    }
    if stdout.contains("panicked") || stderr.contains("panicked") {
        problems.push("panicked".to_string());
    }
    let lines: Vec<&str> = stderr.lines().collect();
    if lines.len() != 1 || !stderr.ends_with('\n') {
        problems.push(format!(
            "stderr has {} lines, expected exactly one",
            lines.len()
        ));
    }
    let prefix = format!("error: {}:{}:{}: ", want.file, want.line, want.column);
    match lines.first() {
        Some(l) if l.starts_with(&prefix) => {
            if !l[prefix.len()..].contains(&want.substring) {
                problems.push(format!("message does not contain {:?}", want.substring));
            }
        }
        _ => problems.push(format!("stderr does not start with {prefix:?}")),
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "cellsim {command} {fixture}: {}\n  stderr: {stderr:?}",
            problems.join("; ")
        ))
    }
}

/// Every bad fixture fails cleanly, with its error where it says.
#[test]
fn bad_inputs_fail_with_one_located_error() {
    let mut cases = 0;
    let mut failures = Vec::new();
    for (command, sub) in [
        ("run", "tests/bad/scenario"),
        ("validate", "tests/bad/manifest"),
    ] {
        for fixture in fixtures(sub) {
            cases += 1;
            if let Err(e) = check_bad(command, &fixture) {
                failures.push(e);
            }
        }
    }
    assert!(cases >= 35, "only {cases} bad fixtures");
    assert!(
        failures.is_empty(),
        "{} of {cases} bad fixtures failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Good inputs exit 0: the good fixtures, every library scenario and manifest (validate), and
/// the good scenarios (run).
#[test]
fn good_inputs_pass() {
    let mut runs: Vec<(&str, String)> = Vec::new();
    for f in fixtures("tests/good/scenario") {
        runs.push(("run", f.clone()));
        runs.push(("validate", f));
    }
    for f in fixtures("tests/good/manifest") {
        runs.push(("validate", f));
    }
    for dir in ["../scenarios", "../scenarios/manifests"] {
        for f in fixtures(dir) {
            runs.push(("validate", f));
        }
    }
    runs.push(("run", "../scenarios/quickstart.yaml".to_string()));
    assert!(runs.len() >= 10);
    let mut failures = Vec::new();
    for (command, f) in &runs {
        let out = cellsim(&[command, f]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(0) || !stderr.is_empty() || out.stdout.is_empty() {
            failures.push(format!(
                "cellsim {command} {f}: exit {:?}, stderr {stderr:?}",
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
