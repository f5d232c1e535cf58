//! `cellsim run --real`: the scenario's control plane in real time with every node a network
//! namespace on this host running real containers (`cellsim_node::real`), then the simulated
//! run of the same scenario and seed, side by side. Ctrl-C (SIGINT) or SIGTERM stops the run;
//! everything it made is removed either way (`cellsim node cleanup` after a crash).

use anyhow::bail;
use cellsim_core::scenario::Scenario;
use cellsim_node::real::{self, compare, RealOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What `run --real` takes besides the scenario.
pub struct RealArgs {
    pub seed: Option<u64>,
    pub json: bool,
    pub time_scale: u64,
    pub max_rps: f64,
    pub root: PathBuf,
    pub prefix: String,
    /// Write the run's trace here.
    pub trace: Option<String>,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

pub fn run(scenario: Scenario, a: RealArgs) -> anyhow::Result<u8> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        bail!("cellsim run --real needs root (it creates namespaces, cgroups and mounts)");
    }
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let exe = std::env::current_exe()?;
    if !a.prefix.starts_with("cellsim-") {
        bail!("--prefix must start with cellsim- (so cellsim node cleanup knows it)");
    }
    let mut opts = RealOptions::new(
        &a.prefix,
        a.root.join(&a.prefix),
        vec![exe.to_string_lossy().into_owned(), "__init".into()],
    );
    opts.image_root = a.root.join("images");
    opts.time_scale = a.time_scale.max(1);
    opts.max_rps = a.max_rps;
    opts.seed = a.seed;
    opts.keep_trace = a.trace.is_some();
    // The signal handler's flag, polled by the run's loop.
    let stop = Arc::new(AtomicBool::new(false));
    opts.stop = stop.clone();
    let watcher_done = Arc::new(AtomicBool::new(false));
    let wd = watcher_done.clone();
    let watcher = std::thread::spawn(move || {
        while !wd.load(Ordering::SeqCst) {
            if STOP.load(Ordering::SeqCst) {
                stop.store(true, Ordering::SeqCst);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
    eprintln!(
        "cellsim run --real: {} node(s) as network namespaces {}-node-*, time scale {}; Ctrl-C stops and cleans up",
        scenario.nodes.len(),
        opts.prefix,
        opts.time_scale
    );
    let sim_scenario = scenario.clone();
    let result = real::run(scenario, &opts);
    watcher_done.store(true, Ordering::SeqCst);
    let _ = watcher.join();
    let r = result?;
    if let Some(path) = &a.trace {
        std::fs::write(path, &r.trace)
            .map_err(|e| anyhow::anyhow!("writing the trace to {path}: {e}"))?;
    }
    let simulated = compare::simulate(sim_scenario, a.seed);
    let side = compare::side_by_side(&simulated, &r);
    if a.json {
        let v = serde_json::json!({
            "report": r.report,
            "real": side,
            "interrupted": r.interrupted,
            "errors": r.errors,
            "notes": r.notes,
        });
        crate::out::outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        let mut s = String::new();
        if r.interrupted {
            s.push_str("Interrupted: the run stopped early; everything it made was removed.\n\n");
        }
        s.push_str(&side.summary());
        for t in &r.report.traffic {
            s.push_str(&format!(
                "traffic {}: {} real requests, {} failed, p50 {}ms, p99 {}ms\n",
                t.name, t.requests, t.failed, t.p50_ms, t.p99_ms
            ));
        }
        s.push_str("\nExpectations (real run):\n");
        for e in &r.report.expectations {
            s.push_str(&format!(
                "  {} {} ({})\n",
                if e.passed { "PASS" } else { "FAIL" },
                e.description,
                e.detail
            ));
        }
        for n in &r.notes {
            s.push_str(&format!("note: {n}\n"));
        }
        for e in &r.errors {
            s.push_str(&format!("error: {e}\n"));
        }
        crate::out::write(&s)?;
    }
    Ok(if r.interrupted {
        130
    } else if r.report.all_passed() && side.placements_equal && r.errors.is_empty() {
        0
    } else {
        1
    })
}
