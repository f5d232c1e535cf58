//! cgroup v2 interface files.

use super::{convert, read_u64, stat_field, Limits, Usage};
use crate::error::Result;
use crate::sys::write_existing;
use std::path::Path;

/// Controllers the pod and container cgroups need.
pub const WANTED: &[&str] = &["cpu", "memory", "pids"];

/// Enable the wanted controllers in `cgroup.subtree_control` of `root` and every directory
/// down to (not including) `rel` itself, as far as each parent offers them.
pub fn enable_controllers(root: &Path, rel: &Path) -> Result<()> {
    let mut dir = root.to_path_buf();
    let comps: Vec<_> = rel.components().collect();
    for (i, c) in comps.iter().enumerate() {
        let available = std::fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
        let enabled =
            std::fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
        let want: Vec<String> = WANTED
            .iter()
            .filter(|w| available.split_whitespace().any(|a| a == **w))
            .filter(|w| !enabled.split_whitespace().any(|a| a == **w))
            .map(|w| format!("+{w}"))
            .collect();
        if !want.is_empty() {
            write_existing(&dir.join("cgroup.subtree_control"), &want.join(" "))?;
        }
        dir = dir.join(c);
        if i + 1 < comps.len() {
            std::fs::create_dir_all(&dir).map_err(crate::error::io("mkdir", &dir))?;
        }
    }
    Ok(())
}

pub fn apply(dir: &Path, l: &Limits) -> Result<()> {
    if let Some(s) = l.cpu_shares {
        write_existing(
            &dir.join("cpu.weight"),
            &convert::shares_to_weight(s).to_string(),
        )?;
    }
    if let Some(q) = l.cpu_quota_us {
        let quota = if q > 0 { q.to_string() } else { "max".into() };
        write_existing(
            &dir.join("cpu.max"),
            &format!("{quota} {}", l.cpu_period_us),
        )?;
    }
    if let Some(m) = l.memory_bytes {
        write_existing(&dir.join("memory.max"), &m.to_string())?;
        // The kubelet without swap support sets memory.swap.max to 0 (runc: memory-swap =
        // memory limit → 0 swap).
        let swap = dir.join("memory.swap.max");
        if swap.exists() {
            write_existing(&swap, "0")?;
        }
    }
    if let Some(p) = l.pids {
        write_existing(&dir.join("pids.max"), &p.to_string())?;
    }
    Ok(())
}

/// `oom_kill` of memory.events.
pub fn oom_kills(dir: &Path) -> u64 {
    stat_field(&dir.join("memory.events"), "oom_kill")
}

pub fn usage(dir: &Path) -> Usage {
    let memory_usage = read_u64(&dir.join("memory.current"));
    let inactive = stat_field(&dir.join("memory.stat"), "inactive_file");
    Usage {
        cpu_ns: stat_field(&dir.join("cpu.stat"), "usage_usec").saturating_mul(1000),
        memory_usage,
        memory_working_set: memory_usage.saturating_sub(inactive),
    }
}

#[cfg(test)]
mod tests {
    //! The v2 code path against a fake cgroupfs: a directory tree holding the interface files
    //! the kernel would create (the writes go to plain files, which the test reads back).
    use super::super::{detect::Hierarchy, Limits, Mode};
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    fn fake_cgroup_dir(d: &Path, controllers: &str) {
        std::fs::create_dir_all(d).unwrap();
        for f in [
            "cgroup.procs",
            "cgroup.subtree_control",
            "cgroup.kill",
            "cpu.weight",
            "cpu.max",
            "memory.max",
            "memory.swap.max",
            "pids.max",
        ] {
            std::fs::write(d.join(f), "").unwrap();
        }
        std::fs::write(d.join("cgroup.controllers"), controllers).unwrap();
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cellsim-fakecg-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn v2_limits_enable_controllers_and_write_the_v2_files() {
        let root = tmp("limits");
        fake_cgroup_dir(&root, "cpuset cpu io memory pids");
        fake_cgroup_dir(&root.join("cellsim"), "cpu memory pids");
        fake_cgroup_dir(&root.join("cellsim/podu1"), "cpu memory pids");
        fake_cgroup_dir(&root.join("cellsim/podu1/app-0"), "");
        let h = Hierarchy {
            mode: Mode::V2,
            v1: BTreeMap::new(),
            unified: Some(root.clone()),
        };
        let cg = h.cgroup("cellsim/podu1/app-0");
        assert!(cg.v1.is_empty());
        cg.create().unwrap();
        let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
        assert_eq!(read("cgroup.subtree_control"), "+cpu +memory +pids");
        assert_eq!(read("cellsim/cgroup.subtree_control"), "+cpu +memory +pids");
        assert_eq!(
            read("cellsim/podu1/cgroup.subtree_control"),
            "+cpu +memory +pids"
        );
        cg.apply(&Limits {
            cpu_shares: Some(super::convert::milli_cpu_to_shares(500)),
            cpu_quota_us: Some(super::convert::milli_cpu_to_quota(250, 100_000)),
            cpu_period_us: 100_000,
            memory_bytes: Some(64 << 20),
            pids: Some(32),
        })
        .unwrap();
        assert_eq!(read("cellsim/podu1/app-0/cpu.weight"), "20");
        assert_eq!(read("cellsim/podu1/app-0/cpu.max"), "25000 100000");
        assert_eq!(read("cellsim/podu1/app-0/memory.max"), "67108864");
        assert_eq!(read("cellsim/podu1/app-0/memory.swap.max"), "0");
        assert_eq!(read("cellsim/podu1/app-0/pids.max"), "32");
        assert_eq!(
            cg.procs_files(),
            vec![root.join("cellsim/podu1/app-0/cgroup.procs")]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn v2_no_cpu_limit_is_max_and_stats_come_from_v2_files() {
        let root = tmp("stats");
        fake_cgroup_dir(&root.join("c"), "");
        super::apply(
            &root.join("c"),
            &Limits {
                cpu_quota_us: Some(0),
                cpu_period_us: 100_000,
                ..Limits::default()
            },
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("c/cpu.max")).unwrap(),
            "max 100000"
        );
        std::fs::write(root.join("c/memory.current"), "1000000\n").unwrap();
        std::fs::write(
            root.join("c/memory.stat"),
            "anon 500000\nfile 500000\ninactive_file 300000\n",
        )
        .unwrap();
        std::fs::write(root.join("c/cpu.stat"), "usage_usec 1500\nnr_throttled 7\n").unwrap();
        std::fs::write(
            root.join("c/memory.events"),
            "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
        )
        .unwrap();
        let u = super::usage(&root.join("c"));
        assert_eq!(u.cpu_ns, 1_500_000);
        assert_eq!(u.memory_working_set, 700_000);
        assert_eq!(super::oom_kills(&root.join("c")), 1);
        let h = Hierarchy {
            mode: Mode::V2,
            v1: BTreeMap::new(),
            unified: Some(root.clone()),
        };
        assert_eq!(h.cgroup("c").nr_throttled(), 7);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
