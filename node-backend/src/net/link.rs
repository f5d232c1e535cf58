//! Running iproute2's `ip` inside a network namespace: the child `setns`es into the namespace
//! between fork and exec (what `ip netns exec` does, without its mount-namespace step, which
//! only matters for `/sys` and `/etc/netns` lookups). Several commands go to one `ip -batch -`
//! process, which stops at the first failing line and names it.

use super::netns::NetNs;
use crate::error::{Error, Result};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// Run the `ip` commands `lines` (each without the leading `ip`) in `ns`.
pub fn batch(ns: &NetNs, lines: &[String]) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let fd = ns.open()?;
    let raw = fd.as_raw_fd();
    let mut cmd = Command::new("ip");
    cmd.args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setns is async-signal-safe; `raw` stays open until the child has exec'd (we
    // hold `fd` until `wait_with_output` returns).
    unsafe {
        cmd.pre_exec(move || {
            if libc::setns(raw, libc::CLONE_NEWNET) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| {
        Error::Net(format!(
            "run ip in {}: {e} (is iproute2 installed? scripts/setup.sh installs it)",
            ns.name
        ))
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(lines.join("\n").as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::Net(format!("wait for ip in {}: {e}", ns.name)))?;
    drop(fd);
    if out.status.success() {
        return Ok(());
    }
    Err(Error::Net(format!(
        "ip in network namespace {}: {} (commands: {})",
        ns.name,
        String::from_utf8_lossy(&out.stderr).trim(),
        lines.join("; ")
    )))
}

/// Run one `ip` command (`args` without the leading `ip`) in `ns`.
pub fn ip(ns: &NetNs, args: &str) -> Result<()> {
    batch(ns, &[args.to_string()])
}

/// `link set DEV up`.
pub fn up(dev: &str) -> String {
    format!("link set {dev} up")
}

/// `link del DEV`.
pub fn del(dev: &str) -> String {
    format!("link del {dev}")
}

/// The names of the links in `ns`, from `/proc/thread-self/net/dev` read on a thread inside
/// it (`/sys/class/net` shows the namespace sysfs was mounted from, not the caller's).
pub fn names(ns: &NetNs) -> Result<Vec<String>> {
    ns.run(|| {
        let dev = std::fs::read_to_string("/proc/thread-self/net/dev").unwrap_or_default();
        let mut v: Vec<String> = dev
            .lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .map(|n| n.trim().to_string())
            .collect();
        v.sort();
        v
    })
}
