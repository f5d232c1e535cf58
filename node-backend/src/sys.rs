//! Small wrappers over libc: C strings, errno results, file reads and writes, /proc.

use crate::error::{io, Result};
use std::ffi::CString;
use std::io::Write;
use std::path::Path;

pub fn cstr(s: impl AsRef<[u8]>) -> CString {
    CString::new(s.as_ref().to_vec()).unwrap_or_else(|_| CString::new("?").expect("static"))
}

pub fn cpath(p: &Path) -> CString {
    use std::os::unix::ffi::OsStrExt;
    cstr(p.as_os_str().as_bytes())
}

/// `ret` of a libc call as a Result carrying errno.
pub fn check(ret: libc::c_int) -> std::io::Result<libc::c_int> {
    if ret < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Write `data` to an existing file (cgroup interface files are never created by us).
pub fn write_existing(path: &Path, data: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io("open", path))?;
    f.write_all(data.as_bytes()).map_err(io("write", path))
}

pub fn read_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(io("read", path))
}

/// Write a file atomically (temp file + rename).
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, data).map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("rename", path))
}

/// The process's start time in clock ticks since boot (field 22 of /proc/PID/stat): with the
/// pid it names one process across pid reuse.
pub fn start_time(pid: i32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command may contain spaces and parentheses: fields start after the last ')'.
    let rest = &s[s.rfind(')')? + 2..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Process state letter (R, S, Z, ...), field 3 of /proc/PID/stat.
pub fn proc_state(pid: i32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s[s.rfind(')')? + 2..].chars().next()
}

/// The process `pid` started at `start` still exists and is not a zombie.
pub fn alive(pid: i32, start: u64) -> bool {
    pid > 0 && start_time(pid) == Some(start) && proc_state(pid) != Some('Z')
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Nanoseconds since the Unix epoch (wall clock).
pub fn now_unix_nanos() -> i128 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// Send `sig` to `pid`; a missing process is not an error.
pub fn kill(pid: i32, sig: libc::c_int) {
    if pid > 0 {
        // SAFETY: kill has no memory preconditions.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// A random-enough id from the kernel (for pod uids of `run-pod`).
pub fn kernel_uuid() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| format!("{:x}", now_unix_nanos()))
}
