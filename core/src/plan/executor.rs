//! Where planning's independent simulations run.
//!
//! Core is single-threaded (the playground's page has no threads, and a simulation's state is
//! `Rc`-based), but the sizes `plan` tries in one round, the seeds `compact` tries and the
//! configurations `compare` runs are independent simulations. An `Executor` runs a batch of
//! them; the CLI passes one that uses a thread each, the page runs them in turn. Which one is
//! used never changes an answer: what is simulated is fixed before the batch runs, and the
//! results are read in batch order.

use std::sync::Mutex;

pub trait Executor: Sync {
    /// Call `job(i)` once for every `i < n`, possibly at the same time; return when all did.
    fn run(&self, n: usize, job: &(dyn Fn(usize) + Sync));
}

/// One job after another, on the caller's thread.
pub struct InTurn;

impl Executor for InTurn {
    fn run(&self, n: usize, job: &(dyn Fn(usize) + Sync)) {
        for i in 0..n {
            job(i);
        }
    }
}

/// `f(0..n)` on `ex`, the results in index order.
pub fn map<T: Send>(ex: &dyn Executor, n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let slots: Mutex<Vec<Option<T>>> = Mutex::new((0..n).map(|_| None).collect());
    ex.run(n, &|i| {
        let v = f(i);
        // A poisoned lock means another job panicked; that panic is the one to report.
        if let Ok(mut s) = slots.lock() {
            s[i] = Some(v);
        }
    });
    slots
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|v| v.expect("the executor ran every job"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the jobs in reverse: results still come back in index order.
    struct Backwards;
    impl Executor for Backwards {
        fn run(&self, n: usize, job: &(dyn Fn(usize) + Sync)) {
            for i in (0..n).rev() {
                job(i);
            }
        }
    }

    #[test]
    fn results_are_in_index_order_whatever_the_order_of_running() {
        assert_eq!(map(&InTurn, 4, |i| i * 10), vec![0, 10, 20, 30]);
        assert_eq!(map(&Backwards, 4, |i| i * 10), vec![0, 10, 20, 30]);
        assert!(map(&InTurn, 0, |i| i).is_empty());
    }
}
