//! `cellsim`: the one binary. Exit codes: 0 success, 1 an expectation failed, 2 bad input.

mod bench;
mod compact;
mod compare;
mod cpu_time;
mod fs_sources;
mod image;
mod import;
mod node;
mod node_bench;
mod out;
mod plan;
mod real;
mod run;
mod serve;
mod threads;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: a simulation creates and drops many small objects
/// (pod copies, strings, status clones), and glibc's free-list consolidation
/// (`malloc_consolidate`, `unlink_chunk`) was 7–20 % of a `plan` run's CPU in perf
/// (docs/benchmarks.md, "plan"). Allocation never affects results (the core's determinism
/// rules), only speed. The helper processes that fork (`node-backend/src/init.rs`) are
/// single-threaded, as mimalloc's fork safety needs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its index in mimalloc.h's `mi_option_e` (15 in mimalloc 2 and 3,
/// the versions libmimalloc-sys 0.1 builds; the Rust crate does not name it).
const MI_OPTION_PURGE_DELAY: libc::c_int = 15;

extern "C" {
    fn mi_option_set(option: libc::c_int, value: libc::c_long);
}

/// Keep freed pages instead of returning them to the OS 10 ms later (mimalloc's default): a
/// simulation frees and allocates the same sizes again all the time, and the purges and the
/// page faults after them cost system time (a `plan` run: 3.0 → 1.6 s under load; the
/// 30,000-pod churn run: 0.8–1.2 → 0.4–0.6 s). A `MIMALLOC_PURGE_DELAY` in the environment
/// (mimalloc reads it at start) wins. Figures: docs/benchmarks.md, "plan".
fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one option of the allocator linked above; no memory is involved.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

#[derive(Parser)]
#[command(
    name = "cellsim",
    version,
    about = "A deterministic Kubernetes/Borg cluster simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario and print a summary (or the JSON report).
    Run(run::RunArgs),
    /// Parse and check scenarios or Kubernetes manifests.
    Validate(validate::ValidateArgs),
    /// The fewest nodes of one pool for which every pod schedules and every expectation holds.
    Plan(plan::PlanArgs),
    /// Borg cell compaction: the fewest of the cluster's machines that still fit, over seeds.
    Compact(compact::CompactArgs),
    /// The same scenario under several scheduler configurations, side by side.
    Compare(compare::CompareArgs),
    /// Turn an external trace into a scenario.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Run pods as real Linux containers on this host (root).
    #[command(subcommand)]
    Node(node::NodeCommand),
    /// The node backend's local image store.
    #[command(subcommand)]
    Image(image::ImageCommand),
    /// Serve the playground (the simulator in the browser) on a loopback address.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    tune_allocator();
    // The node backend's container helper (runc's `init`): a re-exec of this binary.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__init") {
        cellsim_node::init::main(&args[2..]);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Run(a) => run::run(a),
        Command::Validate(a) => validate::validate(a),
        Command::Bench(c) => bench::run(c),
        Command::Node(c) => node::run(c),
        Command::Image(c) => image::run(c),
        Command::Plan(a) => plan::run(a),
        Command::Compact(a) => compact::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Import(c) => import::run(c),
        Command::Serve(a) => serve::serve(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
