//! `cellsim-node`: the Linux node backend. It carries out the core kubelet's plan
//! (`cellsim_core::kubelet::plan`) with real Linux containers, built the way runc, crun and
//! youki build them: a pause-pattern pod sandbox holding the pod's network, IPC and UTS
//! namespaces; containers in their own PID and mount namespaces on an overlayfs rootfs made
//! from image layers; cgroups v1, hybrid or v2 for limits, OOM detection and usage; a
//! conmon-like shim per container that writes CRI-format logs and keeps the exit status, so
//! an agent restart can re-adopt running pods.
//!
//! Modules, one concept each: `cgroups` (detect, v1, v2, conversions), `caps`, `rlimits`,
//! `mounts` (rootfs: overlay, /proc, /dev, /sys, masked and read-only paths, pivot_root),
//! `init` (the helper process: sandbox pause, container shim, exec), `sandbox` and
//! `container` (the runtime's side of each), `logs` (CRI log format and rotation), `probes`,
//! `images` (the local image store, whiteouts, GC), `runtime` (`LinuxRuntime`, the
//! `ContainerRuntime` implementation), `agent` (the core's pod workers driven in real time),
//! `manifest` (pod manifests with located errors), `cleanup`, `net` (pod networking: node
//! namespaces, switch, bridges, veths, pod CIDRs), `proxy` (the userspace service proxy), `real`
//! (`cellsim run --real`: the control plane with real nodes).
//!
//! Linux only; most operations need root.

pub mod agent;
pub mod caps;
pub mod cgroups;
pub mod cleanup;
pub mod container;
pub mod error;
pub mod images;
pub mod init;
pub mod logs;
pub mod manifest;
pub mod mounts;
pub mod net;
pub mod probes;
pub mod process;
pub mod proxy;
pub mod real;
pub mod rlimits;
pub mod runtime;
pub mod sandbox;
pub mod spec;
pub mod static_pods;
pub mod sys;

pub use error::{Error, Result};
pub use runtime::{Config, LinuxRuntime};
