//! The node-backend test harness: every test gets its own state directory and cgroup parent
//! (`cellsim-test-<pid>-<name>`), runs pods through the agent (the core's pod workers), and
//! ends with `finish`, which removes every pod and asserts that no process, cgroup or mount
//! of the test is left.
#![allow(dead_code)]

use cellsim_core::kubelet::plan::ContainerRef;
use cellsim_node::agent::Agent;
use cellsim_node::runtime::{Config, LinuxRuntime, OnStart};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        panic!(
            "\n\n*** cellsim-node tests need root (they create namespaces, cgroups and mounts).\n\
             *** Run the suite as root (CI does).\n\n"
        );
    }
}

pub struct Harness {
    pub name: String,
    pub state: PathBuf,
    pub cgroup_parent: String,
    pub agent: Option<Agent>,
    pub time_scale: u64,
}

pub fn images_root() -> PathBuf {
    // Shared by every test (the built-in busybox is made once, under a lock).
    PathBuf::from("/tmp/cellsim-test-images")
}

pub fn config(state: &std::path::Path, cgroup_parent: &str) -> Config {
    let mut cfg = Config::new(
        "test-node",
        state,
        vec![env!("CARGO_BIN_EXE_cellsim-init").to_string()],
    );
    cfg.cgroup_parent = cgroup_parent.to_string();
    cfg.image_root = images_root();
    cfg
}

impl Harness {
    pub fn new(name: &str) -> Harness {
        Harness::with(name, 1, |_| {})
    }

    pub fn with(name: &str, time_scale: u64, tweak: impl FnOnce(&mut Config)) -> Harness {
        require_root();
        let cgroup_parent = format!("cellsim-test-{}-{name}", std::process::id());
        let state = PathBuf::from(format!("/tmp/{cgroup_parent}"));
        let _ = std::fs::remove_dir_all(&state);
        let mut cfg = config(&state, &cgroup_parent);
        tweak(&mut cfg);
        let (rt, rx) = LinuxRuntime::new(cfg, OnStart::Cleanup).expect("runtime");
        Harness {
            name: name.into(),
            state,
            cgroup_parent,
            agent: Some(Agent::new(rt, rx, time_scale)),
            time_scale,
        }
    }

    pub fn agent(&mut self) -> &mut Agent {
        self.agent.as_mut().expect("agent")
    }

    /// Start a pod from manifest text; returns its uid.
    pub fn run(&mut self, yaml: &str) -> String {
        let n = self.agent().uids().len();
        let path = self.state.join(format!("pod-{n}.yaml"));
        std::fs::create_dir_all(&self.state).unwrap();
        std::fs::write(&path, yaml).unwrap();
        let uid = format!("{}-{n}", self.name);
        let (pod, extras) =
            cellsim_node::manifest::load_pod(path.to_str().unwrap(), "test-node", &uid)
                .expect("manifest");
        self.agent().add_pod(pod, extras);
        uid
    }

    /// Poll the agent until `done` holds (panics after `timeout` with the pod events).
    pub fn until(&mut self, timeout: Duration, mut done: impl FnMut(&mut Agent) -> bool) {
        let t0 = Instant::now();
        loop {
            let a = self.agent();
            if done(a) {
                return;
            }
            if t0.elapsed() > timeout {
                let events: Vec<String> = a
                    .events
                    .iter()
                    .map(|e| format!("{:>6}ms {} {}: {}", e.at.0, e.pod, e.reason, e.message))
                    .collect();
                panic!(
                    "timed out after {timeout:?}; events:\n{}",
                    events.join("\n")
                );
            }
            a.poll(Duration::from_millis(20));
        }
    }

    /// The container's current instance.
    pub fn target(&mut self, uid: &str, container: &str) -> Option<ContainerRef> {
        let w = self.agent().worker(uid)?;
        let i = w.ctrs.iter().position(|c| c.spec.name == container)?;
        let attempt = w.ctrs[i].current.as_ref()?.attempt;
        Some(w.target(i, attempt))
    }

    pub fn running(&mut self, uid: &str, container: &str) -> bool {
        self.agent()
            .worker(uid)
            .and_then(|w| w.ctrs.iter().find(|c| c.spec.name == container))
            .is_some_and(|c| c.running().is_some())
    }

    /// (exit code, reason) of the container's current instance once it exited.
    pub fn exit(&mut self, uid: &str, container: &str) -> Option<(i32, String)> {
        let w = self.agent().worker(uid)?;
        let c = w.ctrs.iter().find(|c| c.spec.name == container)?;
        c.exit().map(|e| (e.code, e.reason.to_string()))
    }

    pub fn wait_running(&mut self, uid: &str, container: &str) {
        let (u, c) = (uid.to_string(), container.to_string());
        self.until(Duration::from_secs(20), move |a| {
            a.worker(&u)
                .and_then(|w| w.ctrs.iter().find(|x| x.spec.name == c))
                .is_some_and(|x| x.running().is_some())
        });
    }

    pub fn wait_exit(&mut self, uid: &str, container: &str, timeout: Duration) -> (i32, String) {
        let (u, c) = (uid.to_string(), container.to_string());
        self.until(timeout, move |a| {
            a.worker(&u)
                .and_then(|w| w.ctrs.iter().find(|x| x.spec.name == c))
                .is_some_and(|x| x.exit().is_some())
        });
        self.exit(uid, container).expect("exited")
    }

    /// Complete log lines (content) of a container instance.
    pub fn logs(&mut self, target: &ContainerRef) -> Vec<String> {
        let p = self.agent().rt.log_path(target);
        let mut f = cellsim_node::logs::Follower::new(p);
        f.poll()
            .into_iter()
            .map(|(_, l)| String::from_utf8_lossy(&l).into_owned())
            .collect()
    }

    /// Delete every pod, wait for the sandboxes to go, and assert nothing is left.
    pub fn finish(mut self) {
        let uids = self.agent().uids();
        for u in &uids {
            self.agent().delete_pod(u);
        }
        let us = uids.clone();
        self.until(Duration::from_secs(60), move |a| {
            a.remove_finished();
            us.iter().all(|u| a.removed(u))
        });
        let agent = self.agent.take().expect("agent");
        let hier = agent.rt.hierarchy().clone();
        drop(agent);
        let parent = self.cgroup_parent.clone();
        let is_ours = move |n: &str| n == parent;
        // Empty pod-less parents are ours to remove; anything below them is a leak.
        let left = cellsim_node::cleanup::find(&hier, &is_ours, &self.state);
        let leaked_cgroups: Vec<_> = left
            .cgroups
            .iter()
            .filter(|d| {
                std::fs::read_dir(d)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|e| e.path().is_dir())
            })
            .cloned()
            .collect();
        let pods_left: Vec<_> = std::fs::read_dir(self.state.join("pods"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        let clean = cellsim_node::cleanup::clean(&hier, &is_ours, &self.state);
        remove_dir(&self.state);
        assert!(
            left.processes.is_empty()
                && left.mounts.is_empty()
                && leaked_cgroups.is_empty()
                && pods_left.is_empty(),
            "leftovers: processes {:?}, mounts {:?}, cgroups {:?}, pod dirs {:?}",
            left.processes,
            left.mounts,
            leaked_cgroups,
            pods_left
        );
        assert!(clean.processes.is_empty());
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(agent) = self.agent.take() {
            // A failed test: remove what it made (best effort).
            agent.rt.shutdown_all();
            let hier = agent.rt.hierarchy().clone();
            drop(agent);
            let parent = self.cgroup_parent.clone();
            cellsim_node::cleanup::clean(&hier, &move |n: &str| n == parent, &self.state);
            remove_dir(&self.state);
        }
    }
}

/// Remove a test's state directory (the runtime's trash may still be emptying on a thread).
fn remove_dir(d: &std::path::Path) {
    for _ in 0..50 {
        if std::fs::remove_dir_all(d).is_ok() || !d.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Nothing of the network named `prefix` is left: no namespace file, no mount, no process in
/// the namespaces (by inode), and the root namespace has no link we could have made.
pub fn assert_net_clean(prefix: &str, inodes: &[u64]) {
    use cellsim_node::net::netns;
    let p = prefix.to_string();
    let files = netns::list(std::path::Path::new(netns::NETNS_DIR), &move |n: &str| {
        n.starts_with(&p)
    });
    assert!(files.is_empty(), "namespace files left: {files:?}");
    let mi = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mounts: Vec<&str> = mi.lines().filter(|l| l.contains(prefix)).collect();
    assert!(mounts.is_empty(), "mounts left: {mounts:?}");
    let procs = netns::processes_in(inodes);
    assert!(
        procs.is_empty(),
        "processes left in the namespaces: {procs:?}"
    );
    // The test process's /sys is the host's root network namespace.
    for l in std::fs::read_dir("/sys/class/net").unwrap().flatten() {
        let n = l.file_name().to_string_lossy().into_owned();
        assert!(
            !(n == "cbr0"
                || n == "sw0"
                || n == "cellsim-svc"
                || n.starts_with("veth") && n.len() == 12),
            "link {n} in the host's root namespace"
        );
    }
}

/// Two nodes `a` and `b` on a switch (`ClusterNet`), each with its own agent harness whose
/// runtime attaches pods to that node's network.
pub struct TwoNodes {
    prefix: String,
    cluster: cellsim_node::net::node::ClusterNet,
    inodes: Vec<u64>,
    pub na: std::sync::Arc<cellsim_node::net::node::NodeNet>,
    pub nb: std::sync::Arc<cellsim_node::net::node::NodeNet>,
    pub ha: Harness,
    pub hb: Harness,
}

impl TwoNodes {
    pub fn new(name: &str) -> TwoNodes {
        use cellsim_node::net::node::{ClusterNet, NetConfig};
        let prefix = net_prefix(name);
        let cluster =
            ClusterNet::create(NetConfig::new(&prefix), &["a".into(), "b".into()]).unwrap();
        let inodes = cluster
            .namespaces()
            .iter()
            .filter_map(|n| n.inode())
            .collect();
        let (na, nb) = (cluster.nodes[0].clone(), cluster.nodes[1].clone());
        let ha = Harness::with(&format!("{name}-a"), 1, |c| c.network = Some(na.clone()));
        let hb = Harness::with(&format!("{name}-b"), 1, |c| c.network = Some(nb.clone()));
        TwoNodes {
            prefix,
            cluster,
            inodes,
            na,
            nb,
            ha,
            hb,
        }
    }

    /// Remove every pod (each harness's own checks), then the network, and assert that the
    /// addresses were released and nothing of the network is left.
    pub fn finish(self) {
        self.ha.finish();
        self.hb.finish();
        assert_eq!(
            self.na.pods_attached() + self.nb.pods_attached(),
            0,
            "addresses released"
        );
        let mut cluster = self.cluster;
        assert!(cluster.teardown().is_empty());
        assert_net_clean(&self.prefix, &self.inodes);
    }
}

/// The prefix of a test's network namespaces (the suite's leak check reads the pid).
pub fn net_prefix(name: &str) -> String {
    format!("cellsim-test-{}-{name}", std::process::id())
}
