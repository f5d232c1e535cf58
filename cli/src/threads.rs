//! The planning commands' executor: a batch of independent simulations on threads, at most
//! one per available core (`std::thread::available_parallelism`). Core stays single-threaded;
//! each thread builds and runs its own `Sim`. Answers do not depend on the thread count (see
//! `cellsim_core::plan::executor`).

use cellsim_core::plan::Executor;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Threads {
    workers: usize,
}

impl Threads {
    /// One worker per available core, or `CELLSIM_THREADS` when set (1: no threads).
    pub fn from_env() -> Threads {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = std::env::var("CELLSIM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n >= 1)
            .unwrap_or(cores);
        Threads { workers }
    }
}

impl Executor for Threads {
    fn run(&self, n: usize, job: &(dyn Fn(usize) + Sync)) {
        let workers = self.workers.min(n);
        if workers <= 1 {
            (0..n).for_each(job);
            return;
        }
        // Each worker takes the next job index until none is left.
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    job(i);
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellsim_core::plan::executor::map;

    #[test]
    fn every_job_runs_once_and_results_keep_their_order() {
        for workers in [1, 2, 5] {
            let t = Threads { workers };
            let got = map(&t, 17, |i| i * i);
            assert_eq!(got, (0..17).map(|i| i * i).collect::<Vec<_>>(), "{workers}");
        }
    }
}
