//! Finding and removing what the node backend left on the host: processes in its cgroups or
//! running its helper on its state directory, its cgroup directories, mounts under its state
//! directory. Only things named by the project's cgroup prefix or under its state directory
//! are touched.

use crate::cgroups::Hierarchy;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub processes: Vec<(i32, String)>,
    pub cgroups: Vec<PathBuf>,
    pub mounts: Vec<PathBuf>,
    /// Exited processes whose parent has not reaped them (a pause process or shim orphaned
    /// by an agent that died is re-parented to pid 1, which must reap it). They hold no
    /// resources but a pid, and only their parent can remove them.
    pub zombies: Vec<(i32, i32)>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.processes.is_empty() && self.cgroups.is_empty() && self.mounts.is_empty()
    }
}

fn hierarchy_roots(h: &Hierarchy) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = h.v1.values().cloned().collect();
    roots.extend(h.unified.iter().cloned());
    roots.sort();
    roots.dedup();
    roots
}

/// The cgroup parents matching `is_ours` at the top of any hierarchy.
fn parents(h: &Hierarchy, is_ours: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for r in hierarchy_roots(h) {
        for e in std::fs::read_dir(&r).into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() && is_ours(&n) {
                v.push(e.path());
            }
        }
    }
    v
}

/// What is left: cgroups named by `is_ours`, processes in them or naming `state_dir` on
/// their command line, mounts below `state_dir`.
pub fn find(h: &Hierarchy, is_ours: &dyn Fn(&str) -> bool, state_dir: &Path) -> Leftovers {
    let mut l = Leftovers {
        cgroups: parents(h, is_ours),
        ..Leftovers::default()
    };
    let state = state_dir.to_string_lossy().into_owned();
    let me = std::process::id() as i32;
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let cg = std::fs::read_to_string(e.path().join("cgroup")).unwrap_or_default();
        let in_ours = cg.lines().any(|line| {
            let path = line.splitn(3, ':').nth(2).unwrap_or("");
            path.split('/').nth(1).is_some_and(is_ours)
        });
        let cmd = std::fs::read(e.path().join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        let names_state = !state.is_empty() && cmd.contains(&state);
        if in_ours || names_state {
            if crate::sys::proc_state(pid) == Some('Z') {
                let ppid = std::fs::read_to_string(e.path().join("stat"))
                    .ok()
                    .and_then(|s| {
                        s[s.rfind(')')? + 2..]
                            .split_whitespace()
                            .nth(1)?
                            .parse()
                            .ok()
                    })
                    .unwrap_or(0);
                l.zombies.push((pid, ppid));
            } else {
                l.processes.push((pid, cmd.trim().to_string()));
            }
        }
    }
    let mi = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for line in mi.lines() {
        if let Some(mp) = line.split_whitespace().nth(4) {
            if !state.is_empty() && mp.starts_with(&state) {
                l.mounts.push(PathBuf::from(mp));
            }
        }
    }
    l
}

/// Kill, unmount and remove everything `find` reports; returns what it found.
pub fn clean(h: &Hierarchy, is_ours: &dyn Fn(&str) -> bool, state_dir: &Path) -> Leftovers {
    let found = find(h, is_ours, state_dir);
    for (pid, _) in &found.processes {
        crate::sys::kill(*pid, libc::SIGKILL);
    }
    for (pid, _) in &found.processes {
        crate::process::reap(*pid);
    }
    for m in found.mounts.iter().rev() {
        let c = crate::sys::cpath(m);
        // SAFETY: umount2 on a valid path.
        unsafe {
            libc::umount2(c.as_ptr(), libc::MNT_DETACH);
        }
    }
    for c in &found.cgroups {
        // Wait for the killed processes to leave, then remove bottom-up.
        for _ in 0..200 {
            if procs_below(c) == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = crate::cgroups::remove_dir_retry(c);
    }
    found
}

fn procs_below(d: &Path) -> usize {
    let mut n = std::fs::read_to_string(d.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .count();
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            n += procs_below(&e.path());
        }
    }
    n
}

/// The project's cgroup names: `cellsim`, the test suite's `cellsim-test-*`, the
/// benchmark's `cellsim-bench` and the nodes of `cellsim run --real` (`cellsim-run-<node>`).
pub fn is_cellsim_cgroup(name: &str) -> bool {
    name == "cellsim"
        || name == "cellsim-bench"
        || name.starts_with("cellsim-test-")
        || name.starts_with("cellsim-run-")
}

/// Remove the named network namespaces under `net::netns::NETNS_DIR` whose name satisfies
/// `is_ours` (killing first any process still inside one); returns the files removed. Every
/// link, address and route in a namespace goes with it.
pub fn clean_netns(is_ours: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let dir = Path::new(crate::net::netns::NETNS_DIR);
    let found = crate::net::netns::list(dir, is_ours);
    let inodes: Vec<u64> = found.iter().filter_map(|(_, i)| *i).collect();
    let me = std::process::id() as i32;
    for (pid, _) in crate::net::netns::processes_in(&inodes) {
        if pid != me {
            crate::sys::kill(pid, libc::SIGKILL);
            crate::process::reap(pid);
        }
    }
    let mut removed = Vec::new();
    for (p, _) in found {
        if crate::net::netns::remove_file(&p).is_ok() {
            removed.push(p);
        }
    }
    removed
}

/// The project's network namespace names: `cellsim-*` of runs; with `all`, also the test
/// suite's `cellsim-test-*`.
pub fn is_cellsim_netns(name: &str, all: bool) -> bool {
    name.starts_with("cellsim-") && (all || !name.starts_with("cellsim-test-"))
}
