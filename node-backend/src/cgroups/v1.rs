//! cgroup v1 interface files (also used in hybrid mode, where the controllers are v1).

use super::{read_u64, stat_field, Cgroup, Limits, Usage};
use crate::error::Result;
use crate::sys::write_existing;
use std::path::Path;

pub fn apply(cg: &Cgroup, l: &Limits) -> Result<()> {
    if let Some(cpu) = cg.controller_dir("cpu") {
        if let Some(s) = l.cpu_shares {
            write_existing(&cpu.join("cpu.shares"), &s.to_string())?;
        }
        if let Some(q) = l.cpu_quota_us {
            // The period first: a quota is checked against the current period.
            write_existing(&cpu.join("cpu.cfs_period_us"), &l.cpu_period_us.to_string())?;
            write_existing(&cpu.join("cpu.cfs_quota_us"), &q.to_string())?;
        }
    }
    if let Some(mem) = cg.controller_dir("memory") {
        if let Some(m) = l.memory_bytes {
            write_existing(&mem.join("memory.limit_in_bytes"), &m.to_string())?;
            // No swap for containers (the kubelet's default, swap off): memsw = memory.
            let memsw = mem.join("memory.memsw.limit_in_bytes");
            if memsw.exists() {
                write_existing(&memsw, &m.to_string())?;
            }
        }
    }
    if let Some(pids) = cg.controller_dir("pids") {
        if let Some(p) = l.pids {
            write_existing(&pids.join("pids.max"), &p.to_string())?;
        }
    }
    Ok(())
}

/// `oom_kill` of memory.oom_control (Linux ≥ 4.13).
pub fn oom_kills(mem: &Path) -> u64 {
    stat_field(&mem.join("memory.oom_control"), "oom_kill")
}

pub fn usage(cg: &Cgroup) -> Usage {
    let mut u = Usage::default();
    if let Some(acct) = cg.controller_dir("cpuacct") {
        u.cpu_ns = read_u64(&acct.join("cpuacct.usage"));
    }
    if let Some(mem) = cg.controller_dir("memory") {
        u.memory_usage = read_u64(&mem.join("memory.usage_in_bytes"));
        // cAdvisor: working set = usage - total_inactive_file (never below 0).
        let inactive = stat_field(&mem.join("memory.stat"), "total_inactive_file");
        u.memory_working_set = u.memory_usage.saturating_sub(inactive);
    }
    u
}
