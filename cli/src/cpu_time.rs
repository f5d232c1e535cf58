//! The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`): benchmarks report pods per
//! CPU-second beside wall-clock pods per second, because on a shared machine the wall clock
//! also counts the time other processes held the core.

/// Seconds of CPU this thread has used, or `None` where the clock is unavailable.
pub fn thread_cpu_seconds() -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid, exclusively borrowed `ts`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9)
}
