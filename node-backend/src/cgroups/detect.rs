//! Which cgroup layout the host has, decided the way runc decides it.
//!
//! runc libcontainer/cgroups/utils.go: `IsCgroup2UnifiedMode` is `statfs("/sys/fs/cgroup")`
//! reporting `CGROUP2_SUPER_MAGIC`; `IsCgroup2HybridMode` is `/sys/fs/cgroup/unified` being a
//! cgroup2 mount while the root is not. v1 controllers are found from /proc/self/mountinfo
//! (runc's `FindCgroupMountpoint`: fstype `cgroup`, controllers in the super options).

use crate::error::{io, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// linux/magic.h
pub const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only v1 hierarchies.
    V1,
    /// v1 controllers plus an (almost) controller-less cgroup2 at `unified`.
    Hybrid,
    /// One cgroup2 hierarchy at the root.
    V2,
}

/// Where the host's hierarchies are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hierarchy {
    pub mode: Mode,
    /// v1: controller → mount point (a co-mounted `cpu,cpuacct` appears under both names).
    pub v1: BTreeMap<String, PathBuf>,
    /// The cgroup2 mount (the root in V2, `/sys/fs/cgroup/unified` in Hybrid).
    pub unified: Option<PathBuf>,
}

/// Decide the mode from the two statfs magics (`unified`: None when the path is absent).
pub fn classify(root_magic: i64, unified_magic: Option<i64>) -> Mode {
    if root_magic == CGROUP2_SUPER_MAGIC {
        Mode::V2
    } else if unified_magic == Some(CGROUP2_SUPER_MAGIC) {
        Mode::Hybrid
    } else {
        Mode::V1
    }
}

/// The v1 controllers the kernel knows (super options that are not controllers, like
/// `xattr` or `name=systemd`, are skipped).
const V1_CONTROLLERS: &[&str] = &[
    "blkio",
    "cpu",
    "cpuacct",
    "cpuset",
    "devices",
    "freezer",
    "hugetlb",
    "memory",
    "misc",
    "net_cls",
    "net_prio",
    "perf_event",
    "pids",
    "rdma",
];

/// v1 controller mount points and cgroup2 mount points from /proc/self/mountinfo text.
pub fn parse_mountinfo(text: &str) -> (BTreeMap<String, PathBuf>, Vec<PathBuf>) {
    let mut v1 = BTreeMap::new();
    let mut v2 = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mountpoint = match left.split_whitespace().nth(4) {
            Some(m) => unescape(m),
            None => continue,
        };
        let mut r = right.split_whitespace();
        let fstype = r.next().unwrap_or("");
        let _source = r.next();
        let opts = r.next().unwrap_or("");
        match fstype {
            "cgroup" => {
                for o in opts.split(',') {
                    if !V1_CONTROLLERS.contains(&o) {
                        continue;
                    }
                    v1.entry(o.to_string())
                        .or_insert_with(|| PathBuf::from(&mountpoint));
                }
            }
            "cgroup2" => v2.push(PathBuf::from(&mountpoint)),
            _ => {}
        }
    }
    (v1, v2)
}

/// mountinfo escapes space, tab, newline and backslash as octal.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..(i + 4).min(s.len())], 8) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn statfs_magic(path: &Path) -> Option<i64> {
    let c = crate::sys::cpath(path);
    // SAFETY: statfs writes into the zeroed struct we own.
    unsafe {
        let mut st: libc::statfs = std::mem::zeroed();
        if libc::statfs(c.as_ptr(), &mut st) == 0 {
            Some(st.f_type as i64)
        } else {
            None
        }
    }
}

/// Detect this host's layout under `/sys/fs/cgroup`.
pub fn detect() -> Result<Hierarchy> {
    let root = Path::new("/sys/fs/cgroup");
    let mode = classify(
        statfs_magic(root).unwrap_or(0),
        statfs_magic(&root.join("unified")),
    );
    let text = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(io("read", "/proc/self/mountinfo"))?;
    let (v1, v2) = parse_mountinfo(&text);
    Ok(match mode {
        Mode::V2 => Hierarchy {
            mode,
            v1: BTreeMap::new(),
            unified: Some(root.to_path_buf()),
        },
        Mode::Hybrid => Hierarchy {
            mode,
            v1,
            unified: v2
                .into_iter()
                .find(|p| p.starts_with(root))
                .or_else(|| Some(root.join("unified"))),
        },
        Mode::V1 => Hierarchy {
            mode,
            v1,
            unified: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 25 0:24 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
27 26 0:25 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate
28 26 0:26 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
31 26 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
32 26 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
33 26 0:31 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
";

    #[test]
    fn mountinfo_yields_v1_controllers_and_cgroup2_mounts() {
        let (v1, v2) = parse_mountinfo(HYBRID);
        assert_eq!(v1["cpu"], PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(v1["cpuacct"], PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(v1["memory"], PathBuf::from("/sys/fs/cgroup/memory"));
        assert_eq!(v1["pids"], PathBuf::from("/sys/fs/cgroup/pids"));
        assert!(!v1.contains_key("name=systemd") && !v1.contains_key("xattr"));
        assert_eq!(v1.len(), 4);
        assert_eq!(v2, vec![PathBuf::from("/sys/fs/cgroup/unified")]);
    }

    #[test]
    fn mode_is_decided_by_the_statfs_magics() {
        const TMPFS: i64 = 0x0102_1994;
        assert_eq!(classify(CGROUP2_SUPER_MAGIC, None), Mode::V2);
        assert_eq!(classify(TMPFS, Some(CGROUP2_SUPER_MAGIC)), Mode::Hybrid);
        assert_eq!(classify(TMPFS, None), Mode::V1);
        assert_eq!(classify(TMPFS, Some(TMPFS)), Mode::V1);
    }

    #[test]
    fn escaped_mount_points_are_decoded() {
        assert_eq!(unescape("/a\\040b"), "/a b");
    }

    #[test]
    fn this_host_is_detected() {
        let h = detect().expect("detect");
        match h.mode {
            Mode::V2 => assert!(h.unified.is_some()),
            Mode::Hybrid => {
                assert!(h.unified.is_some());
                assert!(h.v1.contains_key("memory"));
            }
            Mode::V1 => assert!(h.v1.contains_key("memory")),
        }
    }
}
