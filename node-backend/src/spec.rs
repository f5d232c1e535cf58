//! What the runtime hands the helper process (`init`): one JSON file per sandbox, container
//! or exec, in the spirit of an OCI runtime bundle's config.json.

use crate::rlimits::Rlimit;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The pod sandbox (pause process).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SandboxSpec {
    pub hostname: String,
    /// `cgroup.procs` files the pause process joins.
    pub cgroup_procs: Vec<PathBuf>,
}

/// A bind mount into the container's rootfs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bind {
    pub source: PathBuf,
    /// Absolute path inside the container.
    pub destination: String,
    pub readonly: bool,
}

/// The process of a container or an exec.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProcessSpec {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub capabilities: Vec<u32>,
    pub no_new_privileges: bool,
    pub rlimits: Vec<Rlimit>,
    /// /proc/self/oom_score_adj (the kubelet's QoS policy).
    pub oom_score_adj: Option<i32>,
}

/// A container: namespaces, rootfs, process, logs, where the shim records the exit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContainerSpec {
    pub id: String,
    /// The pause process whose network, IPC and UTS namespaces the container joins.
    pub sandbox_pid: i32,
    /// Join the sandbox's PID namespace (`shareProcessNamespace`) instead of a new one.
    pub share_pid: bool,
    pub cgroup_procs: Vec<PathBuf>,
    /// Image layers, top first (overlayfs `lowerdir` order).
    pub lower: Vec<PathBuf>,
    pub upper: PathBuf,
    pub work: PathBuf,
    /// Where the overlay is mounted (inside the container's mount namespace only).
    pub rootfs: PathBuf,
    pub binds: Vec<Bind>,
    pub masked_paths: Vec<String>,
    pub readonly_paths: Vec<String>,
    pub readonly_rootfs: bool,
    pub process: ProcessSpec,
    pub log_path: PathBuf,
    pub log_max_bytes: u64,
    pub log_max_files: usize,
    /// The shim writes the exit status here (JSON `ExitStatus`).
    pub exit_file: PathBuf,
}

/// Running a command inside a running container (exec probes, hooks).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExecSpec {
    /// The container's pid 1 as the host sees it.
    pub target_pid: i32,
    pub cgroup_procs: Vec<PathBuf>,
    pub process: ProcessSpec,
    pub timeout_ms: u64,
}

/// How a container's process ended, as the shim saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitStatus {
    /// The exit code, or 128 + the signal that killed it.
    pub exit_code: i32,
    pub signal: Option<i32>,
    /// Unix nanoseconds.
    pub finished_at: i128,
    /// Set when the process never ran (exec failed, setup failed).
    pub error: Option<String>,
}

/// runc/containerd default masked paths (containerd pkg/oci/spec.go
/// `populateDefaultUnixSpec`, the same list as runc's specconv `Example()` and moby's
/// `DefaultLinuxSpec`).
pub const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    "/proc/scsi",
];

/// runc/containerd default read-only paths (same sources).
pub const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];
