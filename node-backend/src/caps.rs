//! Capabilities: the container default set, applied as runc applies a spec's sets.

/// containerd pkg/oci/spec.go `defaultUnixCaps()` (the same 14 as moby's
/// `DefaultCapabilities`): what a Kubernetes container gets with containerd when its
/// securityContext adds or drops nothing.
pub const DEFAULT: &[(&str, u32)] = &[
    ("CAP_CHOWN", 0),
    ("CAP_DAC_OVERRIDE", 1),
    ("CAP_FSETID", 4),
    ("CAP_FOWNER", 3),
    ("CAP_MKNOD", 27),
    ("CAP_NET_RAW", 13),
    ("CAP_SETGID", 6),
    ("CAP_SETUID", 7),
    ("CAP_SETFCAP", 31),
    ("CAP_SETPCAP", 8),
    ("CAP_NET_BIND_SERVICE", 10),
    ("CAP_SYS_CHROOT", 18),
    ("CAP_KILL", 5),
    ("CAP_AUDIT_WRITE", 29),
];

/// A capability number by name (`CAP_NET_ADMIN` or `NET_ADMIN`, as securityContext spells it).
pub fn by_name(name: &str) -> Option<u32> {
    let n = name.trim_start_matches("CAP_").to_ascii_uppercase();
    const ALL: &[&str] = &[
        "CHOWN",
        "DAC_OVERRIDE",
        "DAC_READ_SEARCH",
        "FOWNER",
        "FSETID",
        "KILL",
        "SETGID",
        "SETUID",
        "SETPCAP",
        "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE",
        "NET_BROADCAST",
        "NET_ADMIN",
        "NET_RAW",
        "IPC_LOCK",
        "IPC_OWNER",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_CHROOT",
        "SYS_PTRACE",
        "SYS_PACCT",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_NICE",
        "SYS_RESOURCE",
        "SYS_TIME",
        "SYS_TTY_CONFIG",
        "MKNOD",
        "LEASE",
        "AUDIT_WRITE",
        "AUDIT_CONTROL",
        "SETFCAP",
        "MAC_OVERRIDE",
        "MAC_ADMIN",
        "SYSLOG",
        "WAKE_ALARM",
        "BLOCK_SUSPEND",
        "AUDIT_READ",
        "PERFMON",
        "BPF",
        "CHECKPOINT_RESTORE",
    ];
    ALL.iter().position(|c| *c == n).map(|i| i as u32)
}

/// The default set with securityContext's `add` and `drop` (`ALL` drops everything).
pub fn effective_set(add: &[String], drop: &[String]) -> Vec<u32> {
    let mut set: Vec<u32> = if drop.iter().any(|d| d.eq_ignore_ascii_case("ALL")) {
        Vec::new()
    } else {
        DEFAULT.iter().map(|(_, n)| *n).collect()
    };
    set.retain(|c| !drop.iter().any(|d| by_name(d) == Some(*c)));
    for a in add {
        if a.eq_ignore_ascii_case("ALL") {
            set = (0..=last_cap()).collect();
        } else if let Some(c) = by_name(a) {
            if !set.contains(&c) {
                set.push(c);
            }
        }
    }
    set.sort_unstable();
    set
}

pub fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Step 1 (before changing user): drop every capability not in `keep` from the bounding set
/// and keep the permitted set across `setuid`.
pub fn drop_bounding(keep: &[u32]) -> std::io::Result<()> {
    for c in 0..=last_cap() {
        if !keep.contains(&c) {
            // SAFETY: prctl with integer arguments.
            crate::sys::check(unsafe {
                libc::prctl(libc::PR_CAPBSET_DROP, c as libc::c_ulong, 0, 0, 0)
            })?;
        }
    }
    // SAFETY: as above.
    crate::sys::check(unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) })?;
    Ok(())
}

/// Step 2 (after changing user): effective = permitted = `keep`, inheritable and ambient
/// empty. At `execve` a root process keeps them; a non-root one loses them (no ambient set).
pub fn set(keep: &[u32]) -> std::io::Result<()> {
    let mut data = [CapData::default(); 2];
    for c in keep {
        let (i, bit) = ((*c / 32) as usize, 1u32 << (c % 32));
        data[i].effective |= bit;
        data[i].permitted |= bit;
    }
    let mut hdr = CapHeader {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
        pid: 0,
    };
    // SAFETY: capset reads the header and two data structs we own.
    crate::sys::check(unsafe {
        libc::syscall(libc::SYS_capset, &mut hdr as *mut CapHeader, data.as_ptr()) as libc::c_int
    })?;
    // SAFETY: prctl with integer arguments.
    crate::sys::check(unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0,
            0,
            0,
        )
    })?;
    Ok(())
}

/// The process's capability masks from /proc/PID/status (`CapBnd`, `CapEff`, ...).
pub fn mask_of(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:\t")))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

pub fn mask(set: &[u32]) -> u64 {
    set.iter().fold(0, |m, c| m | (1u64 << c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_set_is_containerds_fourteen() {
        let set = effective_set(&[], &[]);
        assert_eq!(set.len(), 14);
        assert_eq!(mask(&set), 0x00000000a80425fb, "docker's well-known CapBnd");
    }

    #[test]
    fn add_and_drop_follow_security_context() {
        let set = effective_set(&["NET_ADMIN".into()], &["KILL".into(), "CAP_CHOWN".into()]);
        assert!(set.contains(&12));
        assert!(!set.contains(&5) && !set.contains(&0));
        assert!(effective_set(&[], &["ALL".into()]).is_empty());
        assert_eq!(
            effective_set(&["NET_BIND_SERVICE".into()], &["ALL".into()]),
            vec![10]
        );
    }
}
