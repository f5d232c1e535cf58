//! Waiting for processes that may or may not be our children.

use std::time::Duration;

/// Block until the process `pid` (started at `start`, see `sys::start_time`) is gone or a
/// zombie: with a pidfd where the kernel has pidfd_open (5.3+), else by polling /proc.
pub fn wait_gone(pid: i32, start: u64) {
    // SAFETY: pidfd_open takes integers and returns a new fd.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int;
    if fd >= 0 && crate::sys::start_time(pid) == Some(start) {
        loop {
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: poll over one pollfd we own.
            let n = unsafe { libc::poll(&mut p, 1, 1000) };
            if n > 0 || !crate::sys::alive(pid, start) {
                break;
            }
        }
        // SAFETY: closing our fd.
        unsafe {
            libc::close(fd);
        }
        return;
    }
    if fd >= 0 {
        // SAFETY: closing our fd.
        unsafe {
            libc::close(fd);
        }
    }
    while crate::sys::alive(pid, start) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Wait at most `timeout` for `pid` (started at `start`) to exit, blocking on a pidfd (no
/// polling loop); returns whether it is gone (or a zombie).
pub fn wait_gone_for(pid: i32, start: u64, timeout: Duration) -> bool {
    // SAFETY: pidfd_open takes integers and returns a new fd.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int;
    if fd < 0 {
        let t0 = std::time::Instant::now();
        while crate::sys::alive(pid, start) && t0.elapsed() < timeout {
            std::thread::sleep(Duration::from_millis(2));
        }
        return !crate::sys::alive(pid, start);
    }
    if crate::sys::start_time(pid) == Some(start) {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll over one pollfd we own.
        unsafe {
            libc::poll(&mut p, 1, timeout.as_millis().min(i32::MAX as u128) as i32);
        }
    }
    // SAFETY: closing our fd.
    unsafe {
        libc::close(fd);
    }
    !crate::sys::alive(pid, start)
}

/// Reap `pid` if it is our (zombie) child; harmless otherwise.
pub fn reap(pid: i32) {
    let mut st = 0;
    // SAFETY: non-blocking waitpid on one pid.
    unsafe {
        libc::waitpid(pid, &mut st, libc::WNOHANG);
    }
}

/// Become a child subreaper: processes orphaned below us (the pause process after its
/// launcher exits) are re-parented to us, so we can reap them (the host's pid 1 may not).
pub fn become_subreaper() {
    // SAFETY: prctl with integer arguments.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}
