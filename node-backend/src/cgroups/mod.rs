//! cgroups for pods and containers: `detect` (v1, hybrid, v2 as runc decides), `v1` and `v2`
//! (the interface files of each version), `convert` (the kubelet's and runc's resource
//! conversions).
//!
//! A pod gets `<root>/<cellsim-prefix>/pod<uid>` and each container a leaf below it (the
//! kubelet's pod cgroup with the runtime's container cgroups inside). In hybrid mode the
//! same path is also made in the controller-less cgroup2 tree, as runc does, which gives
//! `cgroup.kill` and a process list that covers every process of the container.

pub mod convert;
pub mod detect;
pub mod v1;
pub mod v2;

pub use detect::{Hierarchy, Mode};

use crate::error::{io, Result};
use std::path::{Path, PathBuf};

/// Limits for one cgroup (`None`: unlimited / unset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// v1 `cpu.shares` (v2 gets the converted `cpu.weight`).
    pub cpu_shares: Option<u64>,
    /// CFS quota in µs per `cpu_period_us`.
    pub cpu_quota_us: Option<i64>,
    pub cpu_period_us: u64,
    pub memory_bytes: Option<i64>,
    pub pids: Option<i64>,
}

/// Usage of a cgroup, as cAdvisor reports it to the kubelet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Cumulative CPU time.
    pub cpu_ns: u64,
    /// Memory usage minus inactive file cache (cAdvisor's working set).
    pub memory_working_set: u64,
    pub memory_usage: u64,
}

/// v1 controllers a pod or container cgroup is made in (each one costs a cgroup migration
/// per process started, so only those limits and stats use; no freezer: stops kill).
pub const V1_USED: &[&str] = &["cpu", "cpuacct", "memory", "pids"];

/// One cgroup, present in every hierarchy it lives in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cgroup {
    pub mode: Mode,
    /// Relative path below each hierarchy's root.
    pub rel: PathBuf,
    /// v1 directories, one per distinct mount (`cpu,cpuacct` once).
    pub v1: Vec<PathBuf>,
    /// The cgroup2 directory (with controllers in V2 mode, without in Hybrid).
    pub unified: Option<PathBuf>,
    /// The cgroup2 hierarchy root (to enable controllers down the path).
    pub unified_root: Option<PathBuf>,
    /// v1 controller → directory.
    pub by_controller: Vec<(String, PathBuf)>,
}

impl Hierarchy {
    /// The cgroup at `rel` (e.g. `cellsim/pod<uid>/app-0`).
    pub fn cgroup(&self, rel: impl AsRef<Path>) -> Cgroup {
        let rel = rel.as_ref().to_path_buf();
        let mut v1 = Vec::new();
        let mut by_controller = Vec::new();
        if self.mode != Mode::V2 {
            for c in V1_USED {
                if let Some(m) = self.v1.get(*c) {
                    let d = m.join(&rel);
                    if !v1.contains(&d) {
                        v1.push(d.clone());
                    }
                    by_controller.push((c.to_string(), d));
                }
            }
        }
        Cgroup {
            mode: self.mode,
            v1,
            unified: self.unified.as_ref().map(|u| u.join(&rel)),
            unified_root: self.unified.clone(),
            by_controller,
            rel,
        }
    }
}

impl Cgroup {
    pub fn controller_dir(&self, c: &str) -> Option<&Path> {
        self.by_controller
            .iter()
            .find(|(n, _)| n == c)
            .map(|(_, d)| d.as_path())
    }

    /// Make the directories (and, on v2, enable the controllers down the path).
    pub fn create(&self) -> Result<()> {
        for d in &self.v1 {
            std::fs::create_dir_all(d).map_err(io("mkdir", d))?;
        }
        if let Some(u) = &self.unified {
            if self.mode == Mode::V2 {
                if let Some(root) = &self.unified_root {
                    v2::enable_controllers(root, &self.rel)?;
                }
            }
            std::fs::create_dir_all(u).map_err(io("mkdir", u))?;
        }
        Ok(())
    }

    /// Apply limits through the version's interface files.
    pub fn apply(&self, l: &Limits) -> Result<()> {
        match self.mode {
            Mode::V2 => v2::apply(self.unified.as_deref().expect("v2 dir"), l),
            Mode::V1 | Mode::Hybrid => v1::apply(self, l),
        }
    }

    /// The `cgroup.procs` files a process writes itself (`0`) into to join.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self.v1.iter().map(|d| d.join("cgroup.procs")).collect();
        if let Some(u) = &self.unified {
            v.push(u.join("cgroup.procs"));
        }
        v
    }

    /// The pids in the cgroup (from the hierarchy that sees them all).
    pub fn procs(&self) -> Vec<i32> {
        let dir = self
            .unified
            .clone()
            .filter(|u| u.join("cgroup.procs").exists())
            .or_else(|| self.controller_dir("pids").map(Path::to_path_buf))
            .or_else(|| self.v1.first().cloned());
        let Some(dir) = dir else {
            return Vec::new();
        };
        std::fs::read_to_string(dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    pub fn exists(&self) -> bool {
        self.v1.iter().any(|d| d.exists()) || self.unified.as_ref().is_some_and(|u| u.exists())
    }

    /// SIGKILL every process: `cgroup.kill` where the kernel has it (v2, or hybrid's unified
    /// tree), else each pid until the cgroup is empty. Waits up to `wait` for it to empty.
    pub fn kill_all(&self, wait: std::time::Duration) {
        let t0 = std::time::Instant::now();
        let kill_file = self
            .unified
            .as_ref()
            .map(|u| u.join("cgroup.kill"))
            .filter(|k| k.exists());
        loop {
            let pids = self.procs();
            if pids.is_empty() {
                return;
            }
            match &kill_file {
                Some(k) => {
                    let _ = crate::sys::write_existing(k, "1");
                }
                None => {
                    for p in &pids {
                        crate::sys::kill(*p, libc::SIGKILL);
                    }
                }
            }
            if t0.elapsed() > wait {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// The kernel's count of OOM kills in this cgroup.
    pub fn oom_kills(&self) -> u64 {
        match self.mode {
            Mode::V2 => v2::oom_kills(self.unified.as_deref().expect("v2 dir")),
            _ => self
                .controller_dir("memory")
                .map(v1::oom_kills)
                .unwrap_or(0),
        }
    }

    /// `nr_throttled` of cpu.stat (CFS periods in which the quota ran out).
    pub fn nr_throttled(&self) -> u64 {
        let dir = match self.mode {
            Mode::V2 => self.unified.clone(),
            _ => self.controller_dir("cpu").map(Path::to_path_buf),
        };
        dir.map(|d| stat_field(&d.join("cpu.stat"), "nr_throttled"))
            .unwrap_or(0)
    }

    pub fn usage(&self) -> Usage {
        match self.mode {
            Mode::V2 => v2::usage(self.unified.as_deref().expect("v2 dir")),
            _ => v1::usage(self),
        }
    }

    /// Remove the directories (the cgroup must be empty; retries while the kernel finishes
    /// tearing the last process down).
    pub fn remove(&self) -> Result<()> {
        let mut dirs: Vec<&PathBuf> = self.v1.iter().collect();
        if let Some(u) = &self.unified {
            dirs.push(u);
        }
        for d in dirs {
            remove_dir_retry(d)?;
        }
        Ok(())
    }
}

/// rmdir a cgroup directory and any child cgroups left below it.
pub fn remove_dir_retry(d: &Path) -> Result<()> {
    if !d.exists() {
        return Ok(());
    }
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_dir_retry(&e.path())?;
            }
        }
    }
    let mut last = None;
    for _ in 0..200 {
        match std::fs::remove_dir(d) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                last = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
    Err(io("rmdir", d)(last.expect("set")))
}

/// A `key value` line's value from a flat-keyed file (cpu.stat, memory.stat, memory.events).
pub fn stat_field(path: &Path, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == key).then(|| v.trim().parse().ok()).flatten()
        })
        .unwrap_or(0)
}

pub fn read_u64(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}
