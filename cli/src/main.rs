//! `cellsim`: the one binary. Exit codes: 0 success, 1 an expectation failed, 2 bad input.

mod bench;
mod cpu_time;
mod fs_sources;
mod out;
mod run;
mod serve;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

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
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Serve the playground (the simulator in the browser) on a loopback address.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
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
