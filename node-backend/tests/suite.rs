//! Suite-level leak check: nothing made by a test process that has finished may remain —
//! no cgroup (`cellsim-test-<pid>-*`, `cellsim-test-cli-<pid>-*` in any hierarchy), no
//! runtime zygote orphaned to pid 1, no
//! process or mount referring to its state directory (`/tmp/cellsim-test-<pid>-*`), no state
//! directory, no network namespace file (`/run/cellsim/netns/cellsim-test-<pid>-*`). (Pod network, IPC and UTS namespaces live only as long as a process holds them, so
//! no process means no namespace.) Each test also checks its own leftovers when it ends; this
//! catches tests that were killed before they could. After an interrupted run,
//! `cellsim node cleanup --all` removes what is reported here.

mod common;

/// The test process's pid in a `cellsim-test-[cli-]<pid>-...` name.
fn owner(name: &str) -> Option<i32> {
    let rest = name.strip_prefix("cellsim-test-")?;
    let rest = rest.strip_prefix("cli-").unwrap_or(rest);
    rest.split('-').next()?.parse().ok()
}

fn finished(pid: i32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn nothing_of_finished_test_processes_is_left() {
    common::require_root();
    let hier = cellsim_node::cgroups::detect::detect().unwrap();
    let mut roots: Vec<std::path::PathBuf> = hier.v1.values().cloned().collect();
    roots.extend(hier.unified.iter().cloned());
    roots.sort();
    roots.dedup();
    let mut leaks = Vec::new();
    for r in &roots {
        for e in std::fs::read_dir(r).into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if owner(&n).is_some_and(finished) {
                leaks.push(format!("cgroup {}", e.path().display()));
            }
        }
    }
    for e in std::fs::read_dir("/tmp").into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if owner(&n).is_some_and(finished) {
            leaks.push(format!("state directory {}", e.path().display()));
        }
    }
    for e in std::fs::read_dir(cellsim_node::net::netns::NETNS_DIR)
        .into_iter()
        .flatten()
        .flatten()
    {
        let n = e.file_name().to_string_lossy().into_owned();
        if owner(&n).is_some_and(finished) {
            leaks.push(format!("network namespace {}", e.path().display()));
        }
    }
    let mi = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    for line in mi.lines() {
        if let Some(mp) = line.split_whitespace().nth(4) {
            if let Some(n) = mp.strip_prefix("/tmp/") {
                if owner(n.split('/').next().unwrap_or("")).is_some_and(finished) {
                    leaks.push(format!("mount {mp}"));
                }
            }
        }
    }
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmd = std::fs::read(e.path().join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        let cg = std::fs::read_to_string(e.path().join("cgroup")).unwrap_or_default();
        let names: Vec<&str> = cmd
            .split(['/', ' '])
            .chain(cg.lines().flat_map(|l| l.split('/')))
            .collect();
        // A runtime's zygote (`cellsim-init zygote`) ends when its runtime's process does
        // (EOF on its stdin): one orphaned to pid 1 outlived its runtime.
        let orphan_zygote = cmd.contains("cellsim-init zygote")
            && std::fs::read_to_string(e.path().join("stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit(')')
                        .next()?
                        .split_whitespace()
                        .nth(1)?
                        .parse::<i32>()
                        .ok()
                })
                == Some(1);
        if orphan_zygote || names.iter().any(|n| owner(n).is_some_and(finished)) {
            let state = cellsim_node::sys::proc_state(pid).unwrap_or('?');
            if state != 'Z' {
                leaks.push(format!("process {pid} ({state}): {cmd}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "left behind by finished test processes (`cellsim node cleanup --all` removes them):\n{}",
        leaks.join("\n")
    );
}

#[test]
fn owners_are_read_from_test_names() {
    assert_eq!(owner("cellsim-test-123-iso"), Some(123));
    assert_eq!(owner("cellsim-test-cli-77-agent"), Some(77));
    assert_eq!(owner("cellsim-test-images"), None);
    assert_eq!(owner("cellsim"), None);
}
