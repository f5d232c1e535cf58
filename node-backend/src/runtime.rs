//! `LinuxRuntime`: the core's `ContainerRuntime` carried out with real processes.
//!
//! `submit` does the quick, synchronous part of a command (create a sandbox, start a
//! container: a few milliseconds) and pushes its answer with a zero delay; what happens later
//! (a container exits, a stop's grace period runs out, a probe finishes, a sandbox is torn
//! down) is reported on the event channel from a background thread. Every pod's and
//! container's state is also written under the state directory, so a new runtime on the same
//! directory re-adopts the running pods (or cleans them up, by policy).

use crate::cgroups::{self, Cgroup, Hierarchy};
use crate::container::{self, PodExtras};
use crate::error::{io, json, Error, Result};
use crate::images::ImageStore;
use crate::spec::{Bind, ContainerSpec, ExitStatus, SandboxSpec, MASKED_PATHS, READONLY_PATHS};
use crate::sys;
use cellsim_core::api::pod::{Container, Pod};
use cellsim_core::kubelet::plan::{ContainerRef, ContainerRuntime, RuntimeCommand, RuntimeEvent};
use cellsim_core::time::Duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

/// The only address a pod has without a node network (`Config::network`): its network
/// namespace holds loopback and nothing else.
pub const POD_IP: &str = "127.0.0.1";

#[derive(Clone, Debug)]
pub struct Config {
    /// Node name reported in events.
    pub node: String,
    /// Pods, their containers' upper dirs and logs live under `<state_dir>/pods/<uid>`.
    pub state_dir: PathBuf,
    pub image_root: PathBuf,
    /// The cgroup directory (in every hierarchy) holding the pod cgroups.
    pub cgroup_parent: String,
    /// The helper's argv prefix (`[cellsim-init]` or `[/path/cellsim, __init]`).
    pub init: Vec<String>,
    /// The kubelet's `podPidsLimit` (-1 / None: unlimited).
    pub pod_pids_limit: Option<i64>,
    pub log_max_bytes: u64,
    pub log_max_files: usize,
    /// The node's network (`net::NodeNet`): each sandbox gets a veth into the node's pod
    /// bridge and an address from the node's pod CIDR, reported in `SandboxReady`. `None`:
    /// loopback only, pod IP `127.0.0.1` (`cellsim node run-pod`).
    pub network: Option<std::sync::Arc<crate::net::NodeNet>>,
}

impl Config {
    pub fn new(node: &str, state_dir: &Path, init: Vec<String>) -> Config {
        Config {
            node: node.to_string(),
            state_dir: state_dir.to_path_buf(),
            image_root: state_dir.join("images"),
            cgroup_parent: "cellsim".into(),
            init,
            pod_pids_limit: None,
            log_max_bytes: crate::logs::MAX_SIZE,
            log_max_files: crate::logs::MAX_FILES,
            network: None,
        }
    }
}

/// What a new runtime does with the pods a previous one left running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnStart {
    Adopt,
    Cleanup,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum CState {
    Created,
    Running,
    Exited,
}

/// One container instance (persisted as `state.json` in its directory).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CtrRt {
    id: String,
    target: ContainerRef,
    image: String,
    container: Container,
    spec: Option<ContainerSpec>,
    create_error: Option<String>,
    shim_pid: i32,
    shim_start: u64,
    pid: i32,
    pid_start: u64,
    state: CState,
    exit: Option<ExitStatus>,
    oom_killed: bool,
    /// Found running by a new runtime and not yet claimed by a `CreateContainer`.
    #[serde(skip)]
    adopted: bool,
}

/// What the runtime holds of one container instance (`LinuxRuntime::container_records`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerRecord {
    pub id: String,
    pub name: String,
    pub attempt: u32,
    pub image: String,
    pub running: bool,
    pub exit_code: Option<i32>,
    pub oom_killed: bool,
}

/// How a shim's end is awaited: its `Child` when we executed it, else (forked by the
/// zygote) its pidfd.
struct Waiter {
    child: Option<std::process::Child>,
    pid: i32,
    start: u64,
}

impl Waiter {
    fn wait(mut self) {
        match &mut self.child {
            Some(c) => {
                let _ = c.wait();
            }
            None if self.start == 0 => {
                // Gone before its start time could be read: nothing to wait for.
            }
            None => crate::process::wait_gone(self.pid, self.start),
        }
    }
}

/// One pod sandbox (persisted as `pod.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodRt {
    uid: String,
    name: String,
    namespace: String,
    pod: Option<Pod>,
    extras: PodExtras,
    pause_pid: i32,
    pause_start: u64,
    stopped: bool,
    /// The pod's address (its node network's, or `POD_IP`).
    #[serde(default)]
    ip: Option<String>,
    #[serde(skip)]
    ctrs: BTreeMap<String, CtrRt>,
}

#[derive(Default)]
struct State {
    pods: BTreeMap<String, PodRt>,
    /// Pods announced by the agent before their sandbox exists.
    registered: BTreeMap<String, (Pod, PodExtras)>,
    /// Problems the plan has no event for (sandbox creation failed, ...), for the agent.
    errors: Vec<String>,
}

struct Shared {
    cfg: Config,
    hier: Hierarchy,
    images: ImageStore,
    state: Mutex<State>,
    memory_capacity: i64,
    /// The pre-started helper (`init` `zygote` mode), started on first use.
    zygote: Mutex<Option<Zygote>>,
}

/// How long an answer from a helper the zygote forked may take (its setup: namespaces,
/// cgroups, mounts, the exec) before the zygote is given up.
const ZYGOTE_ANSWER_MS: i32 = 30_000;

/// The runtime's zygote: `MODE SPEC` lines in, `ok <pid> <helper pid>` answers out.
struct Zygote {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Zygote {
    fn start(init: &[String]) -> Result<Zygote> {
        let mut child = std::process::Command::new(&init[0])
            .args(&init[1..])
            .arg("zygote")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .map_err(io("start helper", PathBuf::from(&init[0])))?;
        let stdin = child.stdin.take();
        let stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
        Ok(Zygote {
            child,
            stdin,
            stdout,
        })
    }

    /// One request; `None` when the zygote is gone (the caller falls back to an execve).
    fn run(&mut self, mode: &str, spec: &Path) -> Option<Result<(i32, i32)>> {
        use std::io::{BufRead, Write};
        let stdin = self.stdin.as_mut()?;
        writeln!(stdin, "{mode} {}", spec.display()).ok()?;
        stdin.flush().ok()?;
        // The forked child answers; if it died before answering, give up on the zygote
        // (the runtime falls back to executing the helper) instead of waiting forever.
        if self.stdout.buffer().is_empty() {
            use std::os::fd::AsRawFd;
            let mut p = libc::pollfd {
                fd: self.stdout.get_ref().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: poll over one pollfd of ours.
            if unsafe { libc::poll(&mut p, 1, ZYGOTE_ANSWER_MS) } <= 0 {
                return None;
            }
        }
        let mut line = String::new();
        if self.stdout.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("ok ") {
            let mut it = rest.split_whitespace().map(|x| x.parse::<i32>());
            if let (Some(Ok(pid)), Some(Ok(helper))) = (it.next(), it.next()) {
                return Some(Ok((helper, pid)));
            }
        }
        Some(Err(Error::Setup(
            line.strip_prefix("error ").unwrap_or(line).to_string(),
        )))
    }
}

impl Drop for Zygote {
    fn drop(&mut self) {
        // EOF ends it.
        self.stdin.take();
        let _ = self.child.wait();
    }
}

/// A started helper: its pid, the pid it answered (pause or container process) and, when
/// it was executed by us rather than forked by the zygote, its `Child`.
struct Launched {
    helper: i32,
    pid: i32,
    child: Option<std::process::Child>,
}

pub struct LinuxRuntime {
    sh: Arc<Shared>,
    tx: Sender<RuntimeEvent>,
}

impl Shared {
    /// Start the helper in `mode` on `spec`: forked by the zygote, or executed when the
    /// zygote cannot be used.
    fn launch(&self, mode: &str, spec: &Path) -> Result<Launched> {
        {
            let mut z = self.zygote.lock().expect("lock");
            if z.is_none() {
                *z = Zygote::start(&self.cfg.init).ok();
            }
            if let Some(zy) = z.as_mut() {
                match zy.run(mode, spec) {
                    Some(r) => {
                        return r.map(|(helper, pid)| Launched {
                            helper,
                            pid,
                            child: None,
                        })
                    }
                    None => *z = None,
                }
            }
        }
        let (child, pid) = crate::sandbox::run_helper(&self.cfg.init, mode, spec)?;
        Ok(Launched {
            helper: child.id() as i32,
            pid,
            child: Some(child),
        })
    }

    fn pod_dir(&self, uid: &str) -> PathBuf {
        self.cfg.state_dir.join("pods").join(uid)
    }

    fn pod_cgroup(&self, uid: &str) -> Cgroup {
        self.hier
            .cgroup(Path::new(&self.cfg.cgroup_parent).join(format!("pod{uid}")))
    }

    fn leaf(&self, uid: &str, leaf: &str) -> Cgroup {
        self.hier.cgroup(
            Path::new(&self.cfg.cgroup_parent)
                .join(format!("pod{uid}"))
                .join(leaf),
        )
    }

    /// Delete a directory tree off the caller's path: rename it into `<state>/trash` (one
    /// rename) and unlink it on a background thread, as containerd's snapshotter leaves
    /// directory removal to its garbage collection (unlinking a container's files costs
    /// tens of milliseconds on a disk mounted with `discard`). A runtime started later
    /// empties whatever trash is left.
    fn discard(&self, dir: &Path) {
        if !dir.exists() {
            return;
        }
        let trash = self.cfg.state_dir.join("trash");
        let _ = std::fs::create_dir_all(&trash);
        let target = trash.join(format!(
            "{}-{:x}",
            dir.file_name().unwrap_or_default().to_string_lossy(),
            sys::now_unix_nanos()
        ));
        match std::fs::rename(dir, &target) {
            Ok(()) => {
                std::thread::spawn(move || {
                    let _ = std::fs::remove_dir_all(&target);
                });
            }
            Err(_) => {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    fn error(&self, e: String) {
        self.state.lock().expect("lock").errors.push(e);
    }

    fn save_pod(&self, p: &PodRt) {
        let dir = self.pod_dir(&p.uid);
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(text) = serde_json::to_vec_pretty(p) {
            let _ = sys::write_atomic(&dir.join("pod.json"), &text);
        }
    }

    fn ctr_dir(&self, uid: &str, id: &str) -> PathBuf {
        self.pod_dir(uid).join("containers").join(id)
    }

    fn save_ctr(&self, uid: &str, c: &CtrRt) {
        let dir = self.ctr_dir(uid, &c.id);
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(text) = serde_json::to_vec_pretty(c) {
            let _ = sys::write_atomic(&dir.join("state.json"), &text);
        }
    }
}

impl LinuxRuntime {
    /// A runtime over `cfg.state_dir`; pods a previous runtime left there are adopted or
    /// cleaned up. Returns the runtime and the channel its asynchronous events arrive on.
    pub fn new(cfg: Config, on_start: OnStart) -> Result<(LinuxRuntime, Receiver<RuntimeEvent>)> {
        if !sys::is_root() {
            return Err(Error::NotRoot(
                "the node backend creates namespaces, cgroups and mounts".into(),
            ));
        }
        if cfg.init.is_empty() {
            return Err(Error::Invalid("no helper command (Config.init)".into()));
        }
        crate::process::become_subreaper();
        let hier = cgroups::detect::detect()?;
        std::fs::create_dir_all(cfg.state_dir.join("pods"))
            .map_err(io("mkdir", cfg.state_dir.join("pods")))?;
        let (tx, rx) = channel();
        let sh = Arc::new(Shared {
            images: ImageStore::new(&cfg.image_root),
            cfg,
            hier,
            state: Mutex::new(State::default()),
            memory_capacity: container::memory_capacity(),
            zygote: Mutex::new(None),
        });
        let rt = LinuxRuntime { sh, tx };
        let trash = rt.sh.cfg.state_dir.join("trash");
        if trash.exists() {
            let _ = std::fs::remove_dir_all(&trash);
        }
        rt.recover(on_start)?;
        Ok((rt, rx))
    }

    pub fn config(&self) -> &Config {
        &self.sh.cfg
    }

    pub fn hierarchy(&self) -> &Hierarchy {
        &self.sh.hier
    }

    pub fn images(&self) -> &ImageStore {
        &self.sh.images
    }

    /// Announce a pod (its full spec and the extras the core model does not keep) before the
    /// kubelet asks for its sandbox.
    pub fn register_pod(&self, pod: &Pod, extras: PodExtras) {
        self.sh
            .state
            .lock()
            .expect("lock")
            .registered
            .insert(pod.metadata.uid.clone(), (pod.clone(), extras));
    }

    /// Errors the plan has no event for, since the last call.
    pub fn take_errors(&self) -> Vec<String> {
        std::mem::take(&mut self.sh.state.lock().expect("lock").errors)
    }

    /// Pods found running at start (to re-create their pod workers).
    pub fn adopted_pods(&self) -> Vec<(Pod, PodExtras)> {
        let st = self.sh.state.lock().expect("lock");
        st.pods
            .values()
            .filter(|p| !p.stopped)
            .filter_map(|p| p.pod.clone().map(|pod| (pod, p.extras.clone())))
            .collect()
    }

    /// The log file of a container instance.
    pub fn log_path(&self, target: &ContainerRef) -> PathBuf {
        self.sh
            .pod_dir(&target.pod_uid)
            .join("logs")
            .join(&target.container)
            .join(format!("{}.log", target.attempt))
    }

    /// The container's pid (as the host sees it) while it runs.
    pub fn container_pid(&self, target: &ContainerRef) -> Option<i32> {
        let st = self.sh.state.lock().expect("lock");
        let p = st.pods.get(&target.pod_uid)?;
        p.ctrs
            .values()
            .find(|c| c.target == *target && c.state == CState::Running)
            .map(|c| c.pid)
    }

    /// The container instance's cgroup.
    pub fn container_cgroup(&self, target: &ContainerRef) -> Option<Cgroup> {
        let st = self.sh.state.lock().expect("lock");
        let p = st.pods.get(&target.pod_uid)?;
        let c = p.ctrs.values().find(|c| c.target == *target)?;
        Some(self.sh.leaf(&target.pod_uid, &c.id))
    }

    pub fn pod_cgroup(&self, uid: &str) -> Cgroup {
        self.sh.pod_cgroup(uid)
    }

    /// The pause process of a pod.
    pub fn sandbox_pid(&self, uid: &str) -> Option<i32> {
        let st = self.sh.state.lock().expect("lock");
        st.pods.get(uid).filter(|p| !p.stopped).map(|p| p.pause_pid)
    }

    /// CPU and memory usage of a pod (its cgroup).
    pub fn pod_usage(&self, uid: &str) -> cgroups::Usage {
        self.sh.pod_cgroup(uid).usage()
    }

    /// The pod's state directory (`<state>/pods/<uid>`: pod.json, containers, logs, and what
    /// the agent keeps of its pod worker, `kubelet.json`).
    pub fn pod_dir(&self, uid: &str) -> PathBuf {
        self.sh.pod_dir(uid)
    }

    /// Every container instance the runtime knows of a pod (running, exited, adopted), for
    /// the agent to continue restart counts after a restart and to see images in use.
    pub fn container_records(&self, uid: &str) -> Vec<ContainerRecord> {
        let st = self.sh.state.lock().expect("lock");
        let Some(p) = st.pods.get(uid) else {
            return Vec::new();
        };
        p.ctrs
            .values()
            .map(|c| ContainerRecord {
                id: c.id.clone(),
                name: c.target.container.clone(),
                attempt: c.target.attempt,
                image: c.image.clone(),
                running: c.state == CState::Running,
                exit_code: c.exit.as_ref().map(|e| e.exit_code),
                oom_killed: c.oom_killed,
            })
            .collect()
    }

    /// The image references of every container instance the runtime holds (running or
    /// exited: the kubelet's image GC counts both as in use, `detectImages`).
    pub fn images_in_use(&self) -> std::collections::BTreeSet<String> {
        let st = self.sh.state.lock().expect("lock");
        st.pods
            .values()
            .flat_map(|p| p.ctrs.values().map(|c| c.image.clone()))
            .map(|i| cellsim_core::kubelet::images::with_default_tag(&i))
            .collect()
    }

    /// Usage of a running container instance (its leaf cgroup); `None` once it exited (the
    /// leaf is removed at exit).
    pub fn container_usage(&self, target: &ContainerRef) -> Option<cgroups::Usage> {
        let cg = {
            let st = self.sh.state.lock().expect("lock");
            let p = st.pods.get(&target.pod_uid)?;
            let c = p
                .ctrs
                .values()
                .find(|c| c.target == *target && c.state == CState::Running)?;
            self.sh.leaf(&target.pod_uid, &c.id)
        };
        cg.exists().then(|| cg.usage())
    }

    fn recover(&self, on_start: OnStart) -> Result<()> {
        let root = self.sh.cfg.state_dir.join("pods");
        let entries = std::fs::read_dir(&root).map_err(io("read", &root))?;
        for e in entries.flatten() {
            let dir = e.path();
            let Ok(text) = std::fs::read(dir.join("pod.json")) else {
                let _ = std::fs::remove_dir_all(&dir);
                continue;
            };
            let Ok(mut pod) = serde_json::from_slice::<PodRt>(&text) else {
                let _ = std::fs::remove_dir_all(&dir);
                continue;
            };
            let alive = !pod.stopped && sys::alive(pod.pause_pid, pod.pause_start);
            if let Ok(rd) = std::fs::read_dir(dir.join("containers")) {
                for c in rd.flatten() {
                    let Ok(t) = std::fs::read(c.path().join("state.json")) else {
                        continue;
                    };
                    let Ok(mut ctr) = serde_json::from_slice::<CtrRt>(&t) else {
                        continue;
                    };
                    if ctr.state == CState::Running && !sys::alive(ctr.shim_pid, ctr.shim_start) {
                        finish_exit(&self.sh, &pod.uid, &mut ctr);
                    }
                    ctr.adopted = ctr.state == CState::Running;
                    pod.ctrs.insert(ctr.id.clone(), ctr);
                }
            }
            let uid = pod.uid.clone();
            if alive && on_start == OnStart::Adopt {
                if let (Some(net), Some(ip)) = (&self.sh.cfg.network, &pod.ip) {
                    if let Ok(ip) = ip.parse() {
                        let _ = net.reserve(&uid, ip);
                    }
                }
                let watch: Vec<(String, i32, u64)> = pod
                    .ctrs
                    .values()
                    .filter(|c| c.state == CState::Running)
                    .map(|c| (c.id.clone(), c.shim_pid, c.shim_start))
                    .collect();
                self.sh
                    .state
                    .lock()
                    .expect("lock")
                    .pods
                    .insert(uid.clone(), pod);
                for (id, pid, start) in watch {
                    let sh = self.sh.clone();
                    let tx = self.tx.clone();
                    let uid = uid.clone();
                    std::thread::spawn(move || {
                        crate::process::wait_gone(pid, start);
                        crate::process::reap(pid);
                        on_exit(&sh, &tx, &uid, &id);
                    });
                }
            } else {
                teardown(&self.sh, &pod);
            }
        }
        Ok(())
    }

    /// Remove the cgroup parent directories if no pod is left in them (another runtime's
    /// pods under the same parent keep them).
    pub fn remove_parent_if_empty(&self) {
        let parent = self.sh.hier.cgroup(&self.sh.cfg.cgroup_parent);
        for d in parent.v1.iter().chain(parent.unified.iter()) {
            let _ = std::fs::remove_dir(d);
        }
    }

    /// Stop and remove everything this runtime knows (pods, containers, cgroups, state).
    pub fn shutdown_all(&self) {
        let pods: Vec<PodRt> = {
            let mut st = self.sh.state.lock().expect("lock");
            std::mem::take(&mut st.pods).into_values().collect()
        };
        for p in pods {
            teardown(&self.sh, &p);
        }
    }

    fn handle(&mut self, cmd: RuntimeCommand, out: &mut Vec<(Duration, RuntimeEvent)>) {
        if tracing() {
            let kind = format!("{cmd:?}");
            trace_line(&format!(
                "cmd {}",
                kind.split([' ', '{']).next().unwrap_or("")
            ));
        }
        let now = |ev| (Duration::ZERO, ev);
        match cmd {
            RuntimeCommand::RunPodSandbox {
                node,
                pod_uid,
                namespace,
                name,
                ..
            } => match self.run_sandbox(&pod_uid, &namespace, &name) {
                Ok(ip) => out.push(now(RuntimeEvent::SandboxReady { node, pod_uid, ip })),
                Err(e) => self
                    .sh
                    .error(format!("RunPodSandbox {namespace}/{name}: {e}")),
            },
            RuntimeCommand::StopPodSandbox { node, pod_uid } => {
                let sh = self.sh.clone();
                let tx = self.tx.clone();
                std::thread::spawn(move || {
                    stop_sandbox(&sh, &tx, &pod_uid);
                    let _ = tx.send(RuntimeEvent::SandboxStopped { node, pod_uid });
                });
            }
            RuntimeCommand::RemovePodSandbox { node, pod_uid } => {
                let sh = self.sh.clone();
                let tx = self.tx.clone();
                std::thread::spawn(move || {
                    let t0 = std::time::Instant::now();
                    stop_sandbox(&sh, &tx, &pod_uid);
                    trace("stop sandbox", t0);
                    let pod = sh.state.lock().expect("lock").pods.remove(&pod_uid);
                    if let Some(p) = pod {
                        teardown(&sh, &p);
                    }
                    trace("teardown", t0);
                    let _ = tx.send(RuntimeEvent::SandboxRemoved { node, pod_uid });
                });
            }
            RuntimeCommand::PullImage {
                node,
                pod_uid,
                image,
            } => {
                let t0 = std::time::Instant::now();
                let size = match self.sh.images.get(&image) {
                    Ok(r) => r.size_bytes,
                    Err(e) => {
                        self.sh.error(format!("PullImage {image}: {e}"));
                        0
                    }
                };
                let ms = t0.elapsed().as_millis() as u64;
                out.push(now(RuntimeEvent::ImagePulled {
                    node,
                    pod_uid,
                    image,
                    pull_ms: ms,
                    total_ms: ms,
                    size_bytes: size,
                }));
            }
            RuntimeCommand::CreateContainer {
                target,
                image,
                spec,
                ..
            } => {
                self.create(&target, &image, *spec);
                out.push(now(RuntimeEvent::ContainerCreated { target }));
            }
            RuntimeCommand::StartContainer { target } => self.start(&target, out),
            RuntimeCommand::StopContainer {
                target,
                timeout_seconds,
            } => {
                let sh = self.sh.clone();
                std::thread::spawn(move || {
                    stop_container(
                        &sh,
                        &target,
                        std::time::Duration::from_secs(timeout_seconds),
                    )
                });
            }
            RuntimeCommand::RemoveContainer { target } => {
                self.remove_container(&target);
                out.push(now(RuntimeEvent::ContainerRemoved { target }));
            }
            RuntimeCommand::RunProbe {
                target,
                probe_type,
                probe,
                timeout_ms,
            } => {
                // probes::run reads the v1 handler as JSON.
                let probe = serde_json::to_value(&probe).unwrap_or_default();
                let t = self.probe_target(&target);
                let sh = self.sh.clone();
                let tx = self.tx.clone();
                std::thread::spawn(move || {
                    let (success, output) = match t {
                        Some(t) => crate::probes::run(
                            &sh.cfg.init,
                            &sh.pod_dir(&target.pod_uid),
                            &probe,
                            &t,
                            std::time::Duration::from_millis(timeout_ms.max(1)),
                        ),
                        None => (false, "container is not running".into()),
                    };
                    let _ = tx.send(RuntimeEvent::ProbeResult {
                        target,
                        probe_type,
                        success,
                        output,
                    });
                });
            }
            RuntimeCommand::RunLifecycleHook {
                target,
                hook,
                handler,
                timeout_ms,
            } => {
                let handler = serde_json::to_value(&handler).unwrap_or_default();
                let t = self.probe_target(&target);
                let sh = self.sh.clone();
                let tx = self.tx.clone();
                std::thread::spawn(move || {
                    let (success, output) = match t {
                        Some(t) => crate::probes::run(
                            &sh.cfg.init,
                            &sh.pod_dir(&target.pod_uid),
                            &handler,
                            &t,
                            std::time::Duration::from_millis(timeout_ms.max(1)),
                        ),
                        None => (false, "container is not running".into()),
                    };
                    if !success {
                        // The plan's HookCompleted has no message: keep the handler's output.
                        sh.error(format!(
                            "{hook:?} hook of {} failed: {}",
                            target.container,
                            output.trim()
                        ));
                    }
                    let _ = tx.send(RuntimeEvent::HookCompleted {
                        target,
                        hook,
                        success,
                    });
                });
            }
        }
    }

    /// Start the pod's sandbox; returns the pod's IP.
    fn run_sandbox(&self, uid: &str, namespace: &str, name: &str) -> Result<String> {
        let (pod, extras) = {
            let st = self.sh.state.lock().expect("lock");
            if let Some(p) = st.pods.get(uid) {
                if !p.stopped && sys::alive(p.pause_pid, p.pause_start) {
                    // Adopted: already there.
                    return Ok(p.ip.clone().unwrap_or_else(|| POD_IP.into()));
                }
            }
            match st.registered.get(uid) {
                Some((p, e)) => (Some(p.clone()), e.clone()),
                None => (None, PodExtras::default()),
            }
        };
        let dir = self.sh.pod_dir(uid);
        std::fs::create_dir_all(&dir).map_err(io("mkdir", &dir))?;
        let hostname = pod
            .as_ref()
            .map(|p| p.spec.hostname.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| name.to_string());
        let t0 = std::time::Instant::now();
        let pod_cg = self.sh.pod_cgroup(uid);
        pod_cg.create()?;
        if let Some(p) = &pod {
            pod_cg.apply(&container::pod_limits(p, self.sh.cfg.pod_pids_limit))?;
        } else if let Some(pids) = self.sh.cfg.pod_pids_limit {
            pod_cg.apply(&cgroups::Limits {
                pids: Some(pids),
                ..cgroups::Limits::default()
            })?;
        }
        let pause_cg = self.sh.leaf(uid, "pause");
        pause_cg.create()?;
        trace("sandbox cgroups", t0);
        let spec_path = dir.join("sandbox-spec.json");
        let text = serde_json::to_vec(&SandboxSpec {
            hostname: hostname.clone(),
            cgroup_procs: pause_cg.procs_files(),
        })
        .map_err(json("sandbox spec"))?;
        std::fs::write(&spec_path, text).map_err(io("write", &spec_path))?;
        let launched = self.sh.launch("sandbox", &spec_path)?;
        if let Some(mut c) = launched.child {
            // The launcher exits once the pause process runs (re-parented to us).
            let _ = c.wait();
        }
        let pid = launched.pid;
        trace("sandbox helper", t0);
        let start = wait_start_time(pid);
        // The pod network (CNI ADD), then the hosts file naming the pod's address.
        let ip = match self.attach_network(uid, pid) {
            Ok(ip) => ip,
            Err(e) => {
                sys::kill(pid, libc::SIGKILL);
                crate::process::reap(pid);
                pause_cg.kill_all(std::time::Duration::from_secs(5));
                let _ = pause_cg.remove();
                let _ = pod_cg.remove();
                return Err(e);
            }
        };
        crate::sandbox::write_etc(&dir.join("etc"), &hostname, &ip)?;
        let p = PodRt {
            uid: uid.to_string(),
            name: name.to_string(),
            namespace: namespace.to_string(),
            pod,
            extras,
            pause_pid: pid,
            pause_start: start,
            stopped: false,
            ip: Some(ip.clone()),
            ctrs: BTreeMap::new(),
        };
        self.sh.save_pod(&p);
        self.sh
            .state
            .lock()
            .expect("lock")
            .pods
            .insert(uid.to_string(), p);
        trace("sandbox done", t0);
        Ok(ip)
    }

    /// Connect the sandbox (pause process `pid`) to the node network, if there is one.
    fn attach_network(&self, uid: &str, pid: i32) -> Result<String> {
        match &self.sh.cfg.network {
            None => Ok(POD_IP.into()),
            Some(net) => net
                .attach_pod(uid, &crate::net::NetNs::of_pid(pid))
                .map(|ip| ip.to_string()),
        }
    }

    fn create(&self, target: &ContainerRef, image: &str, container: Container) {
        let mut st = self.sh.state.lock().expect("lock");
        let Some(pod) = st.pods.get_mut(&target.pod_uid) else {
            drop(st);
            self.sh
                .error(format!("CreateContainer {}: no sandbox", target.container));
            return;
        };
        // Re-adoption: a container of this name still running from before the restart.
        if let Some(c) = pod
            .ctrs
            .values_mut()
            .find(|c| c.adopted && c.target.container == target.container)
        {
            c.adopted = false;
            c.target = target.clone();
            let c = c.clone();
            drop(st);
            self.sh.save_ctr(&target.pod_uid, &c);
            return;
        }
        let mut id = format!("{}-{}", target.container, target.attempt);
        if pod.ctrs.contains_key(&id) {
            id = format!("{id}-{:x}", sys::now_unix_nanos());
        }
        let mut c = CtrRt {
            id: id.clone(),
            target: target.clone(),
            image: image.to_string(),
            container,
            spec: None,
            create_error: None,
            shim_pid: 0,
            shim_start: 0,
            pid: 0,
            pid_start: 0,
            state: CState::Created,
            exit: None,
            oom_killed: false,
            adopted: false,
        };
        let pod_view = (
            pod.pod.clone(),
            pod.extras.clone(),
            pod.pause_pid,
            pod.name.clone(),
        );
        drop(st);
        match self.build_spec(target, &id, &c.container, image, pod_view) {
            Ok(s) => c.spec = Some(s),
            Err(e) => c.create_error = Some(e.to_string()),
        }
        self.sh.save_ctr(&target.pod_uid, &c);
        let mut st = self.sh.state.lock().expect("lock");
        if let Some(pod) = st.pods.get_mut(&target.pod_uid) {
            pod.ctrs.insert(id, c);
        }
    }

    fn build_spec(
        &self,
        target: &ContainerRef,
        id: &str,
        c: &Container,
        image: &str,
        (pod, extras, pause_pid, pod_name): (Option<Pod>, PodExtras, i32, String),
    ) -> Result<ContainerSpec> {
        let img = self.sh.images.get(image)?;
        self.sh.images.touch(&img);
        let dir = self.sh.ctr_dir(&target.pod_uid, id);
        for d in ["upper", "work", "rootfs"] {
            std::fs::create_dir_all(dir.join(d)).map_err(io("mkdir", dir.join(d)))?;
        }
        let log_path = self.log_path(target);
        if let Some(parent) = log_path.parent() {
            std::fs::create_dir_all(parent).map_err(io("mkdir", parent))?;
        }
        let pod = pod.unwrap_or_else(|| {
            let mut p = Pod::default();
            p.metadata.name = pod_name.clone();
            p.spec.containers.push(c.clone());
            p
        });
        let sec = extras.security.get(&c.name).cloned().unwrap_or_default();
        let lower = self.sh.images.lowerdirs(&img);
        let process =
            container::process(&pod, c, &img.config, &lower, &sec, self.sh.memory_capacity);
        let etc = self.sh.pod_dir(&target.pod_uid).join("etc");
        let privileged = sec.privileged;
        Ok(ContainerSpec {
            id: id.to_string(),
            sandbox_pid: pause_pid,
            share_pid: pod.spec.share_process_namespace == Some(true),
            cgroup_procs: self.sh.leaf(&target.pod_uid, id).procs_files(),
            lower,
            upper: dir.join("upper"),
            work: dir.join("work"),
            rootfs: dir.join("rootfs"),
            binds: ["hosts", "hostname", "resolv.conf"]
                .iter()
                .map(|f| Bind {
                    source: etc.join(f),
                    destination: format!("/etc/{f}"),
                    readonly: true,
                })
                .collect(),
            masked_paths: if privileged {
                Vec::new()
            } else {
                MASKED_PATHS.iter().map(|s| s.to_string()).collect()
            },
            readonly_paths: if privileged {
                Vec::new()
            } else {
                READONLY_PATHS.iter().map(|s| s.to_string()).collect()
            },
            readonly_rootfs: sec.read_only_root_filesystem,
            process,
            log_path,
            log_max_bytes: self.sh.cfg.log_max_bytes,
            log_max_files: self.sh.cfg.log_max_files,
            exit_file: dir.join("exit.json"),
        })
    }

    fn start(&self, target: &ContainerRef, out: &mut Vec<(Duration, RuntimeEvent)>) {
        let found = {
            let st = self.sh.state.lock().expect("lock");
            st.pods.get(&target.pod_uid).and_then(|p| {
                p.ctrs.values().find(|c| c.target == *target).map(|c| {
                    (
                        c.id.clone(),
                        c.state.clone(),
                        c.spec.clone(),
                        c.create_error.clone(),
                        c.container.clone(),
                    )
                })
            })
        };
        let Some((id, state, spec, create_error, container)) = found else {
            return;
        };
        if state == CState::Running {
            // Adopted: it runs already.
            out.push((
                Duration::ZERO,
                RuntimeEvent::ContainerStarted {
                    target: target.clone(),
                },
            ));
            return;
        }
        let result = match (spec, create_error) {
            (Some(spec), None) => self.spawn(target, &id, &spec, &container),
            (_, Some(e)) => Err(Error::Setup(e)),
            (None, None) => Err(Error::Setup("no spec".into())),
        };
        out.push((
            Duration::ZERO,
            RuntimeEvent::ContainerStarted {
                target: target.clone(),
            },
        ));
        match result {
            Ok(child) => {
                let sh = self.sh.clone();
                let tx = self.tx.clone();
                let uid = target.pod_uid.clone();
                std::thread::spawn(move || {
                    child.wait();
                    on_exit(&sh, &tx, &uid, &id);
                });
            }
            Err(e) => {
                // containerd's StartError: the process never ran; exit code 128.
                self.sh.error(format!(
                    "StartContainer {} of pod {}: {e}",
                    target.container, target.pod_uid
                ));
                let mut st = self.sh.state.lock().expect("lock");
                if let Some(c) = st
                    .pods
                    .get_mut(&target.pod_uid)
                    .and_then(|p| p.ctrs.get_mut(&id))
                {
                    c.state = CState::Exited;
                    c.exit = Some(ExitStatus {
                        exit_code: 128,
                        error: Some(e.to_string()),
                        finished_at: sys::now_unix_nanos(),
                        signal: None,
                    });
                    let c = c.clone();
                    drop(st);
                    self.sh.save_ctr(&target.pod_uid, &c);
                }
                let _ = self.sh.leaf(&target.pod_uid, &id).remove();
                let _ = self.tx.send(RuntimeEvent::ContainerExited {
                    target: target.clone(),
                    exit_code: 128,
                    oom_killed: false,
                });
            }
        }
    }

    fn spawn(
        &self,
        target: &ContainerRef,
        id: &str,
        spec: &ContainerSpec,
        c: &Container,
    ) -> Result<Waiter> {
        let t0 = std::time::Instant::now();
        let cg = self.sh.leaf(&target.pod_uid, id);
        cg.create()?;
        cg.apply(&container::container_limits(c))?;
        trace("container cgroup", t0);
        let dir = self.sh.ctr_dir(&target.pod_uid, id);
        let spec_path = dir.join("spec.json");
        std::fs::write(
            &spec_path,
            serde_json::to_vec(spec).map_err(json("container spec"))?,
        )
        .map_err(io("write", &spec_path))?;
        let _ = std::fs::remove_file(&spec.exit_file);
        let launched = match self.sh.launch("container", &spec_path) {
            Ok(x) => x,
            Err(e) => {
                let _ = cg.remove();
                return Err(e);
            }
        };
        let pid = launched.pid;
        trace("container helper", t0);
        let shim_pid = launched.helper;
        let shim_start = sys::start_time(shim_pid).unwrap_or(0);
        let mut st = self.sh.state.lock().expect("lock");
        if let Some(ctr) = st
            .pods
            .get_mut(&target.pod_uid)
            .and_then(|p| p.ctrs.get_mut(id))
        {
            ctr.pid = pid;
            ctr.pid_start = sys::start_time(pid).unwrap_or(0);
            ctr.shim_pid = shim_pid;
            ctr.shim_start = shim_start;
            ctr.state = CState::Running;
            let ctr = ctr.clone();
            drop(st);
            self.sh.save_ctr(&target.pod_uid, &ctr);
        }
        Ok(Waiter {
            child: launched.child,
            pid: shim_pid,
            start: shim_start,
        })
    }

    fn remove_container(&self, target: &ContainerRef) {
        let c = {
            let mut st = self.sh.state.lock().expect("lock");
            let Some(p) = st.pods.get_mut(&target.pod_uid) else {
                return;
            };
            let Some(id) = p
                .ctrs
                .values()
                .find(|c| c.target == *target)
                .map(|c| c.id.clone())
            else {
                return;
            };
            p.ctrs.remove(&id)
        };
        if let Some(c) = c {
            let cg = self.sh.leaf(&target.pod_uid, &c.id);
            cg.kill_all(std::time::Duration::from_secs(5));
            let _ = cg.remove();
            self.sh.discard(&self.sh.ctr_dir(&target.pod_uid, &c.id));
            let log = self.log_path(target);
            for r in crate::logs::rotated_files(&log) {
                let _ = std::fs::remove_file(r);
            }
            let _ = std::fs::remove_file(log);
        }
    }

    fn probe_target(&self, target: &ContainerRef) -> Option<crate::probes::Target> {
        let st = self.sh.state.lock().expect("lock");
        let p = st.pods.get(&target.pod_uid)?;
        let c = p
            .ctrs
            .values()
            .find(|c| c.target == *target && c.state == CState::Running)?;
        Some(crate::probes::Target {
            sandbox_pid: p.pause_pid,
            container_pid: c.pid,
            container: c.container.clone(),
            process: c.spec.as_ref()?.process.clone(),
            cgroup_procs: self.sh.leaf(&target.pod_uid, &c.id).procs_files(),
            pod_ip: p.ip.clone().unwrap_or_else(|| POD_IP.into()),
        })
    }
}

impl ContainerRuntime for LinuxRuntime {
    fn submit(&mut self, cmd: RuntimeCommand, out: &mut Vec<(Duration, RuntimeEvent)>) {
        self.handle(cmd, out);
    }
}

/// `CELLSIM_NODE_TRACE=FILE`: phase timings of the start path appended to FILE, each line
/// stamped with the wall clock's µs (profiling; the helper writes its own phases there too).
pub(crate) fn trace(what: &str, t0: std::time::Instant) {
    if !tracing() {
        return;
    }
    trace_line(&format!(
        "{what}: {:.2} ms",
        t0.elapsed().as_secs_f64() * 1000.0
    ));
}

static TRACE_FILE: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// Whether `CELLSIM_NODE_TRACE` is set (read once).
pub(crate) fn tracing() -> bool {
    TRACE_FILE
        .get_or_init(|| std::env::var_os("CELLSIM_NODE_TRACE").map(PathBuf::from))
        .is_some()
}

pub(crate) fn trace_line(line: &str) {
    use std::io::Write;
    if !tracing() {
        return;
    }
    let Some(path) = TRACE_FILE.get().and_then(|p| p.as_ref()) else {
        return;
    };
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
    {
        let _ = writeln!(
            f,
            "[{}] {line}",
            sys::now_unix_nanos() / 1000 % 1_000_000_000
        );
    }
}

/// A just-forked process's start time (it may take a moment to appear in /proc).
fn wait_start_time(pid: i32) -> u64 {
    for _ in 0..100 {
        if let Some(s) = sys::start_time(pid) {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    0
}

/// Read the exit status the shim left and the cgroup's OOM count; remove the leaf cgroup.
fn finish_exit(sh: &Shared, uid: &str, c: &mut CtrRt) {
    let t0 = std::time::Instant::now();
    let cg = sh.leaf(uid, &c.id);
    let oom = cg.oom_kills() > 0;
    cg.kill_all(std::time::Duration::from_secs(5));
    let _ = cg.remove();
    let status = std::fs::read(sh.ctr_dir(uid, &c.id).join("exit.json"))
        .ok()
        .and_then(|t| serde_json::from_slice::<ExitStatus>(&t).ok())
        .unwrap_or(ExitStatus {
            exit_code: 255,
            signal: None,
            finished_at: sys::now_unix_nanos(),
            error: Some("the container's shim ended without recording an exit status".into()),
        });
    c.state = CState::Exited;
    c.oom_killed = oom;
    c.exit = Some(status);
    trace("finish exit", t0);
}

/// A container's shim is gone: record and report the exit.
fn on_exit(sh: &Shared, tx: &Sender<RuntimeEvent>, uid: &str, id: &str) {
    let c = {
        let st = sh.state.lock().expect("lock");
        st.pods.get(uid).and_then(|p| p.ctrs.get(id)).cloned()
    };
    let Some(mut c) = c else {
        return;
    };
    if c.state != CState::Running {
        return;
    }
    finish_exit(sh, uid, &mut c);
    sh.save_ctr(uid, &c);
    let ev = RuntimeEvent::ContainerExited {
        target: c.target.clone(),
        exit_code: c.exit.as_ref().map(|e| e.exit_code).unwrap_or(255),
        oom_killed: c.oom_killed,
    };
    {
        let mut st = sh.state.lock().expect("lock");
        if let Some(slot) = st.pods.get_mut(uid).and_then(|p| p.ctrs.get_mut(id)) {
            *slot = c;
        }
    }
    let _ = tx.send(ev);
}

fn running(sh: &Shared, uid: &str, id: &str) -> bool {
    let st = sh.state.lock().expect("lock");
    st.pods
        .get(uid)
        .and_then(|p| p.ctrs.get(id))
        .is_some_and(|c| c.state == CState::Running)
}

/// SIGTERM the container's pid 1, then SIGKILL its whole cgroup after `grace` (CRI
/// StopContainer; runc `kill` + containerd's timeout).
fn stop_container(sh: &Shared, target: &ContainerRef, grace: std::time::Duration) {
    let found = {
        let st = sh.state.lock().expect("lock");
        st.pods.get(&target.pod_uid).and_then(|p| {
            p.ctrs
                .values()
                .find(|c| c.target == *target && c.state == CState::Running)
                .map(|c| (c.id.clone(), c.pid, c.pid_start))
        })
    };
    let Some((id, pid, start)) = found else {
        return;
    };
    if sys::alive(pid, start) {
        sys::kill(pid, libc::SIGTERM);
    }
    let t0 = std::time::Instant::now();
    while t0.elapsed() < grace {
        if !running(sh, &target.pod_uid, &id) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    sh.leaf(&target.pod_uid, &id)
        .kill_all(std::time::Duration::from_secs(5));
}

/// Kill every container of the pod, wait for their exits to be reported, stop the pause
/// process.
fn stop_sandbox(sh: &Shared, tx: &Sender<RuntimeEvent>, uid: &str) {
    let (ids, pause) = {
        let st = sh.state.lock().expect("lock");
        let Some(p) = st.pods.get(uid) else {
            return;
        };
        (
            p.ctrs
                .values()
                .filter(|c| c.state == CState::Running)
                .map(|c| c.id.clone())
                .collect::<Vec<_>>(),
            (p.pause_pid, p.pause_start, p.stopped),
        )
    };
    for id in &ids {
        sh.leaf(uid, id).kill_all(std::time::Duration::from_secs(5));
    }
    let t0 = std::time::Instant::now();
    while ids.iter().any(|id| running(sh, uid, id)) && t0.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = tx;
    let (pid, start, stopped) = pause;
    if !stopped {
        if sys::alive(pid, start) {
            sys::kill(pid, libc::SIGTERM);
            // Block on the pause process's pidfd (it exits at once on SIGTERM).
            crate::process::wait_gone_for(pid, start, std::time::Duration::from_secs(2));
            sh.leaf(uid, "pause")
                .kill_all(std::time::Duration::from_secs(5));
        }
        crate::process::reap(pid);
        // CNI DEL at StopPodSandbox, as containerd does it.
        if let Some(net) = &sh.cfg.network {
            net.detach_pod(uid);
        }
        let mut st = sh.state.lock().expect("lock");
        if let Some(p) = st.pods.get_mut(uid) {
            p.stopped = true;
            let p = p.clone();
            drop(st);
            sh.save_pod(&p);
        }
    }
}

/// Remove everything of a pod: processes, cgroups, directories.
fn teardown(sh: &Shared, p: &PodRt) {
    let pod_cg = sh.pod_cgroup(&p.uid);
    // Children first (containers and pause), then the pod cgroup itself.
    for c in p.ctrs.values() {
        let cg = sh.leaf(&p.uid, &c.id);
        cg.kill_all(std::time::Duration::from_secs(5));
    }
    let pause = sh.leaf(&p.uid, "pause");
    pause.kill_all(std::time::Duration::from_secs(5));
    pod_cg.kill_all(std::time::Duration::from_secs(5));
    if sys::alive(p.pause_pid, p.pause_start) {
        sys::kill(p.pause_pid, libc::SIGKILL);
    }
    for c in p.ctrs.values() {
        if sys::alive(c.shim_pid, c.shim_start) {
            crate::process::wait_gone(c.shim_pid, c.shim_start);
        }
        crate::process::reap(c.shim_pid);
    }
    crate::process::reap(p.pause_pid);
    if let Some(net) = &sh.cfg.network {
        net.detach_pod(&p.uid);
    }
    for d in pod_cg.v1.iter().chain(pod_cg.unified.iter()) {
        let _ = cgroups::remove_dir_retry(d);
    }
    sh.discard(&sh.pod_dir(&p.uid));
}
