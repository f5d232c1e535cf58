//! `cellsim node`: run pods on this host with the node backend.
//!
//! - `run-pod POD.yaml`: one pod through the core's kubelet logic, logs streamed, exit with
//!   the last container's exit code. Ctrl-C deletes the pod gracefully; a second Ctrl-C
//!   kills it.
//! - `agent --manifests DIR`: the node agent over a static-pod directory, re-adopting the
//!   pods a previous agent left running (or cleaning them up).
//! - `cleanup`: remove what cellsim left on this host.

use anyhow::{bail, Context};
use cellsim_core::kubelet::plan::ContainerRef;
use cellsim_node::agent::Agent;
use cellsim_node::runtime::{Config, LinuxRuntime, OnStart};
use clap::{Args, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const DEFAULT_ROOT: &str = "/var/lib/cellsim";

#[derive(Subcommand)]
pub enum NodeCommand {
    /// Run one pod manifest as real containers on this host; stream its logs; exit with
    /// the (last) container's exit code.
    RunPod(RunPodArgs),
    /// Run the node agent over a directory of static pod manifests.
    Agent(AgentArgs),
    /// Remove every cgroup, process, mount and state cellsim left on this host.
    Cleanup(CleanupArgs),
    /// Pod start latency: sandbox + one container running /bin/true, to exit and cleanup,
    /// side by side with `runc run` of the same rootfs (docs/benchmarks.md).
    Bench(BenchArgs),
}

#[derive(Args)]
pub struct BenchArgs {
    #[arg(long, default_value_t = 50)]
    runs: usize,
    #[arg(long, default_value = DEFAULT_ROOT)]
    root: PathBuf,
}

#[derive(Args)]
pub struct RunPodArgs {
    /// The pod manifest (one `kind: Pod`).
    pod: String,
    /// State root (images under `images/`, the run under `run-pod/<uid>`).
    #[arg(long, default_value = DEFAULT_ROOT)]
    root: PathBuf,
    /// Delete the pod after this long (seconds).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// The kubelet's podPidsLimit.
    #[arg(long, value_name = "N")]
    pod_max_pids: Option<i64>,
    /// Do not print the kubelet's events on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// The cgroup (in every hierarchy) the pod cgroups go under.
    #[arg(long, default_value = "cellsim")]
    cgroup_parent: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OnRestart {
    Adopt,
    Cleanup,
}

#[derive(Args)]
pub struct AgentArgs {
    /// The static pod manifest directory.
    #[arg(long)]
    manifests: PathBuf,
    /// State root (pods under `agent/pods`, images under `images/`).
    #[arg(long, default_value = DEFAULT_ROOT)]
    root: PathBuf,
    /// What to do with pods a previous agent left running.
    #[arg(long, value_enum, default_value = "adopt")]
    on_restart: OnRestart,
    #[arg(long, value_name = "N")]
    pod_max_pids: Option<i64>,
    /// Node name (default: the host name).
    #[arg(long)]
    node: Option<String>,
    #[arg(long, default_value = "cellsim")]
    cgroup_parent: String,
    /// How often cgroup usage is sampled (cAdvisor's housekeeping interval as the kubelet
    /// sets it: 10 s). The measured usage is in `<root>/agent/status.json`.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    usage_period: u64,
    /// How often image GC runs (kubelet `ImageGCPeriod`: 5 minutes).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    image_gc_period: u64,
}

#[derive(Args)]
pub struct CleanupArgs {
    #[arg(long, default_value = DEFAULT_ROOT)]
    root: PathBuf,
    /// The cgroup parent whose pods to remove.
    #[arg(long, default_value = "cellsim")]
    cgroup_parent: String,
    /// Also the test suite's and the benchmark's cgroups (`cellsim-test-*`,
    /// `cellsim-bench`) and the test suite's network namespaces: only when no test or
    /// benchmark is running. (Network namespaces of runs, `/run/cellsim/netns/cellsim-*`,
    /// are always removed.)
    #[arg(long)]
    all: bool,
}

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::SeqCst);
}

fn install_signal_handlers() {
    // SAFETY: the handler only touches an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}

fn require_root() -> anyhow::Result<()> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        bail!("cellsim node needs root (it creates namespaces, cgroups and mounts)");
    }
    Ok(())
}

/// The helper command: this very binary, `cellsim __init`.
fn init_command() -> anyhow::Result<Vec<String>> {
    let exe = std::env::current_exe().context("locating the cellsim binary")?;
    Ok(vec![exe.to_string_lossy().into_owned(), "__init".into()])
}

fn hostname() -> String {
    nix_hostname().unwrap_or_else(|| "localhost".into())
}

fn nix_hostname() -> Option<String> {
    let s = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub fn run(c: NodeCommand) -> anyhow::Result<u8> {
    match c {
        NodeCommand::RunPod(a) => run_pod(a),
        NodeCommand::Agent(a) => agent(a),
        NodeCommand::Cleanup(a) => cleanup(a),
        NodeCommand::Bench(a) => crate::node_bench::run(a.runs, &a.root, init_command()?),
    }
}

fn print_events(agent: &Agent, from: &mut usize, quiet: bool) {
    if !quiet {
        let mut err = std::io::stderr().lock();
        for e in &agent.events[*from..] {
            let _ = writeln!(
                err,
                "[{:>7.3}s] {:<12} {} {}",
                e.at.0 as f64 / 1000.0,
                e.reason,
                e.pod,
                e.message
            );
        }
    }
    *from = agent.events.len();
}

fn run_pod(a: RunPodArgs) -> anyhow::Result<u8> {
    let node = hostname();
    let uid = cellsim_node::sys::kernel_uuid();
    // Bad input first (exit 2 with file:line:col), before anything is created.
    let (pod, extras) = match cellsim_node::manifest::load_pod(&a.pod, &node, &uid) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    require_root()?;
    let mut cfg = Config::new(&node, &a.root.join("run-pod").join(&uid), init_command()?);
    cfg.image_root = a.root.join("images");
    cfg.pod_pids_limit = a.pod_max_pids;
    cfg.cgroup_parent = a.cgroup_parent.clone();
    let store = cellsim_node::images::ImageStore::new(&cfg.image_root);
    for c in pod.spec.init_containers.iter().chain(&pod.spec.containers) {
        if let Err(e) = store.get(&c.image) {
            eprintln!("error: {}: container {:?}: {e}", a.pod, c.name);
            return Ok(2);
        }
    }
    let state_dir = cfg.state_dir.clone();
    let (rt, rx) = LinuxRuntime::new(cfg, OnStart::Cleanup)?;
    let mut agent = Agent::new(rt, rx, 1);
    install_signal_handlers();
    let multi = pod.spec.containers.len() + pod.spec.init_containers.len() > 1;
    agent.add_pod(pod, extras);
    let t0 = Instant::now();
    let mut followers: BTreeMap<ContainerRef, cellsim_node::logs::Follower> = BTreeMap::new();
    let mut printed = 0;
    let mut deleting = false;
    let mut peak_memory = 0u64;
    let mut cpu_ns = 0u64;
    loop {
        agent.poll(Duration::from_millis(50));
        let u = agent.rt.pod_usage(&uid);
        peak_memory = peak_memory.max(u.memory_working_set);
        cpu_ns = cpu_ns.max(u.cpu_ns);
        print_events(&agent, &mut printed, a.quiet);
        stream_logs(&agent, &uid, &mut followers, multi);
        let signals = SIGNALS.load(Ordering::SeqCst);
        let timed_out = a
            .timeout
            .is_some_and(|s| t0.elapsed() >= Duration::from_secs(s));
        if (signals >= 1 || timed_out) && !deleting {
            deleting = true;
            agent.delete_pod(&uid);
        }
        if signals >= 2 {
            eprintln!("cellsim: killing the pod");
            agent.rt.shutdown_all();
            agent.rt.remove_parent_if_empty();
            let _ = std::fs::remove_dir_all(&state_dir);
            return Ok(130);
        }
        let terminal = agent.worker(&uid).is_some_and(|w| w.terminal);
        if terminal {
            break;
        }
    }
    stream_logs(&agent, &uid, &mut followers, multi);
    let code = last_exit_code(&agent, &uid);
    agent.remove_finished();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !agent.removed(&uid) && Instant::now() < deadline {
        agent.poll(Duration::from_millis(20));
    }
    print_events(&agent, &mut printed, a.quiet);
    if !a.quiet {
        eprintln!(
            "cellsim: pod used {:.1} ms of CPU, memory working set up to {} KiB (sampled)",
            cpu_ns as f64 / 1e6,
            peak_memory / 1024
        );
    }
    agent.rt.remove_parent_if_empty();
    drop(agent);
    let _ = std::fs::remove_dir_all(&state_dir);
    Ok(code.clamp(0, 255) as u8)
}

/// The exit code of the app container that exited last.
fn last_exit_code(agent: &Agent, uid: &str) -> i32 {
    let Some(w) = agent.worker(uid) else {
        return 1;
    };
    w.ctrs
        .iter()
        .filter(|c| c.kind == cellsim_core::kubelet::worker::Kind::App)
        .filter_map(|c| c.exit().or(c.previous_exit.as_ref()))
        .max_by_key(|e| e.finished_at)
        .map(|e| e.code)
        .unwrap_or(1)
}

fn stream_logs(
    agent: &Agent,
    uid: &str,
    followers: &mut BTreeMap<ContainerRef, cellsim_node::logs::Follower>,
    multi: bool,
) {
    if let Some(w) = agent.worker(uid) {
        for (i, c) in w.ctrs.iter().enumerate() {
            if let Some(inst) = &c.current {
                let t = w.target(i, inst.attempt);
                followers
                    .entry(t.clone())
                    .or_insert_with(|| cellsim_node::logs::Follower::new(agent.rt.log_path(&t)));
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    for (t, f) in followers.iter_mut() {
        for (stream, line) in f.poll() {
            let mut buf = Vec::new();
            if multi {
                buf.extend_from_slice(format!("[{}] ", t.container).as_bytes());
            }
            buf.extend_from_slice(&line);
            buf.push(b'\n');
            let _ = if stream == "stderr" {
                err.write_all(&buf)
            } else {
                out.write_all(&buf)
            };
        }
    }
    let _ = out.flush();
}

fn agent(a: AgentArgs) -> anyhow::Result<u8> {
    require_root()?;
    let node = a.node.clone().unwrap_or_else(hostname);
    let mut cfg = Config::new(&node, &a.root.join("agent"), init_command()?);
    cfg.image_root = a.root.join("images");
    cfg.pod_pids_limit = a.pod_max_pids;
    cfg.cgroup_parent = a.cgroup_parent.clone();
    let on_start = match a.on_restart {
        OnRestart::Adopt => OnStart::Adopt,
        OnRestart::Cleanup => OnStart::Cleanup,
    };
    let (rt, rx) = LinuxRuntime::new(cfg, on_start)?;
    let mut agent = Agent::new(rt, rx, 1);
    agent.usage_period = cellsim_core::time::Duration::from_secs(a.usage_period.max(1));
    agent.set_image_gc(cellsim_node::agent::ImageGc {
        period: cellsim_core::time::Duration::from_secs(a.image_gc_period.max(1)),
        ..Default::default()
    });
    let status_path = a.root.join("agent").join("status.json");
    let mut next_status = Instant::now();
    let adopted = agent.rt.adopted_pods();
    if !adopted.is_empty() {
        eprintln!(
            "cellsim agent: re-adopting {} running pod(s)",
            adopted.len()
        );
    }
    for (pod, extras) in adopted {
        agent.add_pod(pod, extras);
    }
    install_signal_handlers();
    let mut pods = cellsim_node::static_pods::StaticPods::default();
    let mut printed = 0;
    let mut next_scan = Instant::now();
    eprintln!(
        "cellsim agent: node {node}, manifests {}, state {}",
        a.manifests.display(),
        a.root.join("agent").display()
    );
    while SIGNALS.load(Ordering::SeqCst) == 0 {
        if Instant::now() >= next_scan {
            for e in pods.sync(&mut agent, &a.manifests, &node) {
                eprintln!("error: {e}");
            }
            next_scan = Instant::now() + Duration::from_secs(1);
        }
        agent.poll(Duration::from_millis(100));
        print_events(&agent, &mut printed, false);
        if Instant::now() >= next_status {
            // Pods, restart counts and measured usage for people and scripts.
            if let Ok(text) = serde_json::to_vec_pretty(&agent.status_json(&node)) {
                let _ = cellsim_node::sys::write_atomic(&status_path, &text);
            }
            next_status = Instant::now() + Duration::from_secs(1);
        }
    }
    // Pods being deleted are finished first (their teardown runs on the runtime's threads,
    // which end with the process); running pods are left running, like the kubelet does:
    // the next agent re-adopts them (or `--on-restart cleanup` removes them).
    let deadline = Instant::now() + Duration::from_secs(30);
    let in_flight = |agent: &Agent| {
        agent
            .uids()
            .iter()
            .any(|u| agent.worker(u).is_some_and(|w| w.deleting) && !agent.removed(u))
    };
    while in_flight(&agent) && Instant::now() < deadline {
        agent.remove_finished();
        agent.poll(Duration::from_millis(50));
        print_events(&agent, &mut printed, false);
    }
    eprintln!("cellsim agent: stopping (running pods keep running)");
    Ok(0)
}

fn cleanup(a: CleanupArgs) -> anyhow::Result<u8> {
    require_root()?;
    let hier = cellsim_node::cgroups::detect::detect()?;
    let mut total = 0;
    let parent = a.cgroup_parent.clone();
    let all = a.all;
    let is_ours =
        move |n: &str| n == parent || (all && cellsim_node::cleanup::is_cellsim_cgroup(n));
    for sub in ["run-pod", "agent"] {
        let dir = a.root.join(sub);
        let found = cellsim_node::cleanup::clean(&hier, &is_ours, &dir);
        for (pid, cmd) in &found.processes {
            crate::out::outln!("killed process {pid} ({cmd})")?;
        }
        if !found.zombies.is_empty() {
            crate::out::outln!(
                "{} exited process(es) wait for their parent to reap them: {:?} (pid, parent)",
                found.zombies.len(),
                found.zombies
            )?;
        }
        for m in &found.mounts {
            crate::out::outln!("unmounted {}", m.display())?;
        }
        for c in &found.cgroups {
            crate::out::outln!("removed cgroup {}", c.display())?;
        }
        total += found.processes.len() + found.mounts.len() + found.cgroups.len();
        let pods = if sub == "agent" {
            dir.join("pods")
        } else {
            dir.clone()
        };
        if pods.exists() && remove_children(&pods)? > 0 {
            crate::out::outln!("removed state under {}", pods.display())?;
            total += 1;
        }
    }
    // What crashed `cellsim run --real` runs left (cgroups `cellsim-run-*`, `<root>/cellsim-run*`).
    let found = cellsim_node::real::clean_crashed(&hier, &a.root);
    for (pid, cmd) in &found.processes {
        crate::out::outln!("killed process {pid} ({cmd})")?;
    }
    for m in &found.mounts {
        crate::out::outln!("unmounted {}", m.display())?;
    }
    for c in &found.cgroups {
        crate::out::outln!("removed cgroup {}", c.display())?;
    }
    total += found.processes.len() + found.mounts.len() + found.cgroups.len();
    let removed = cellsim_node::cleanup::clean_netns(&move |n: &str| {
        cellsim_node::cleanup::is_cellsim_netns(n, all)
    });
    for ns in &removed {
        crate::out::outln!("removed network namespace {}", ns.display())?;
    }
    total += removed.len();
    crate::out::outln!(
        "{}",
        if total == 0 {
            "nothing to clean".to_string()
        } else {
            format!("cleaned {total} item(s)")
        }
    )?;
    Ok(0)
}

fn remove_children(dir: &Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for e in std::fs::read_dir(dir)?.flatten() {
        std::fs::remove_dir_all(e.path())
            .or_else(|_| std::fs::remove_file(e.path()))
            .with_context(|| format!("removing {}", e.path().display()))?;
        n += 1;
    }
    Ok(n)
}
