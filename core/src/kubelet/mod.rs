//! The kubelet model (sans-IO): pod workers that turn pods bound to a node into a plan of
//! runtime commands, and runtime events into pod status.
//!
//! `SimRuntime` carries the plan out in simulation; the node backend's Linux runtime will carry
//! out the same commands for real (see `plan`).

pub mod backoff;
pub mod plan;
pub mod sim_runtime;
pub mod worker;

use crate::api::pod::PodPhase;
use crate::api::{Kind, Object};
use crate::sim::ctx::{Ctx, Wake};
use crate::store::{ObjectKey, ObjectStore};
use crate::time::Duration;
use plan::{RuntimeCommand, RuntimeEvent};
use std::collections::{BTreeMap, BTreeSet};
use worker::{PodWorker, Stage};

#[derive(Default)]
struct NodeState {
    alive: bool,
    images: BTreeSet<String>,
}

/// Every node's kubelet (one struct: they share nothing but the code).
#[derive(Default)]
pub struct Kubelets {
    pub cursor: u64,
    nodes: BTreeMap<String, NodeState>,
    /// pod uid → worker.
    workers: BTreeMap<String, PodWorker>,
}

fn pod_object(key: &str) -> String {
    format!("Pod/{key}")
}

/// Upstream image pull policy defaulting: `Always` for `:latest` or untagged images,
/// `IfNotPresent` otherwise.
pub fn pull_policy(image: &str, explicit: &str) -> &'static str {
    match explicit {
        "Always" => "Always",
        "Never" => "Never",
        "IfNotPresent" => "IfNotPresent",
        _ => {
            let name = image.rsplit('/').next().unwrap_or(image);
            let tagged = name.contains(':') || image.contains('@');
            if !tagged || image.ends_with(":latest") {
                "Always"
            } else {
                "IfNotPresent"
            }
        }
    }
}

impl Kubelets {
    pub fn add_node(&mut self, name: &str) {
        self.nodes.entry(name.to_string()).or_default().alive = true;
    }

    pub fn remove_node(&mut self, name: &str) {
        self.nodes.remove(name);
        self.workers.retain(|_, w| w.node != name);
    }

    /// The node's kubelet and containers stop (`failNode`).
    pub fn fail_node(&mut self, name: &str) {
        if let Some(n) = self.nodes.get_mut(name) {
            n.alive = false;
        }
        self.workers.retain(|_, w| w.node != name);
    }

    /// The node comes back: its kubelet starts over with the pods still bound to it.
    pub fn recover_node(&mut self, ctx: &mut Ctx, name: &str, cmds: &mut Vec<RuntimeCommand>) {
        if let Some(n) = self.nodes.get_mut(name) {
            n.alive = true;
        }
        let pods: Vec<_> = ctx
            .store
            .objects(Kind::Pod)
            .filter_map(|o| match o {
                Object::Pod(p) if p.spec.node_name == name => Some(p.clone()),
                _ => None,
            })
            .collect();
        for p in pods {
            if p.metadata.deletion_at.is_some() {
                // The pod was deleted while the node was down: finish the deletion.
                let _ =
                    ctx.store
                        .delete(&ObjectKey::new(Kind::Pod, p.namespace(), &p.metadata.name));
            } else if !p.is_terminal() {
                self.start_worker(&p, cmds);
            }
        }
    }

    fn alive(&self, node: &str) -> bool {
        self.nodes.get(node).is_some_and(|n| n.alive)
    }

    fn start_worker(&mut self, p: &crate::api::pod::Pod, cmds: &mut Vec<RuntimeCommand>) {
        let w = PodWorker::new(p);
        cmds.push(RuntimeCommand::RunPodSandbox {
            node: w.node.clone(),
            pod_uid: w.uid.clone(),
            namespace: p.namespace().to_string(),
            name: p.metadata.name.clone(),
            labels: p.metadata.labels.clone(),
        });
        self.workers.insert(w.uid.clone(), w);
    }

    /// Consume the change feed: start workers for newly bound pods, terminate deleted ones.
    pub fn sync(&mut self, ctx: &mut Ctx, cmds: &mut Vec<RuntimeCommand>) {
        let changes: Vec<ObjectKey> = ctx
            .store
            .changes_since(self.cursor)
            .iter()
            .filter(|c| c.key.kind == Kind::Pod)
            .map(|c| c.key.clone())
            .collect();
        self.cursor = ctx.store.revision();
        let mut seen = BTreeSet::new();
        for key in changes {
            if !seen.insert(key.clone()) {
                continue;
            }
            let Some(Object::Pod(p)) = ctx.store.get(&key).map(|s| s.object.clone()) else {
                continue;
            };
            if p.spec.node_name.is_empty() || !self.alive(&p.spec.node_name) {
                continue;
            }
            let uid = p.metadata.uid.clone();
            match self.workers.get(&uid) {
                None if p.metadata.deletion_at.is_none() && !p.is_terminal() => {
                    self.start_worker(&p, cmds)
                }
                None if p.metadata.deletion_at.is_some() => {
                    // Nothing runs for it here: finish the deletion.
                    let _ = ctx.store.delete(&key);
                }
                Some(w)
                    if p.metadata.deletion_at.is_some()
                        && !matches!(w.stage, Stage::Terminating | Stage::Removing) =>
                {
                    self.terminate(ctx, &uid, cmds);
                }
                _ => {}
            }
        }
        self.cursor = ctx.store.revision();
    }

    fn terminate(&mut self, ctx: &mut Ctx, uid: &str, cmds: &mut Vec<RuntimeCommand>) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        w.stage = Stage::Terminating;
        let mut any = false;
        for i in 0..w.containers.len() {
            w.containers[i].restart_at = None;
            w.containers[i].next_probe = None;
            if w.containers[i].running {
                any = true;
                ctx.event(
                    "Killing",
                    pod_object(&w.key),
                    Some(&w.node),
                    format!("Stopping container {}", w.containers[i].spec.name),
                );
                cmds.push(RuntimeCommand::StopContainer {
                    target: w.target(i),
                    grace_ms: w.grace.as_millis(),
                });
            }
        }
        if !any {
            w.stage = Stage::Removing;
            cmds.push(RuntimeCommand::RemovePodSandbox {
                node: w.node.clone(),
                pod_uid: w.uid.clone(),
            });
        }
    }

    /// Bring up container `i` (or finish starting when past the last one).
    fn start_container(
        &mut self,
        ctx: &mut Ctx,
        uid: &str,
        i: usize,
        cmds: &mut Vec<RuntimeCommand>,
    ) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if i >= w.containers.len() {
            w.stage = Stage::Running;
            return;
        }
        w.stage = Stage::Starting(i);
        let image = w.containers[i].spec.image.clone();
        let policy = pull_policy(&image, &w.containers[i].spec.image_pull_policy);
        let node = self.nodes.entry(w.node.clone()).or_default();
        let present = node.images.contains(&image);
        if policy == "Always" || (policy == "IfNotPresent" && !present) {
            ctx.event(
                "Pulling",
                pod_object(&w.key),
                Some(&w.node),
                format!("Pulling image {image:?}"),
            );
            cmds.push(RuntimeCommand::PullImage {
                node: w.node.clone(),
                pod_uid: w.uid.clone(),
                image,
            });
        } else {
            ctx.event(
                "Pulled",
                pod_object(&w.key),
                Some(&w.node),
                format!("Container image {image:?} already present on machine"),
            );
            cmds.push(w.create_command(i));
        }
    }

    /// A runtime event arrived.
    pub fn handle(&mut self, ctx: &mut Ctx, ev: RuntimeEvent, cmds: &mut Vec<RuntimeCommand>) {
        if !self.alive(ev.node()) {
            return;
        }
        let uid = ev.pod_uid().to_string();
        if !self.workers.contains_key(&uid) {
            return;
        }
        match ev {
            RuntimeEvent::SandboxReady { ip, .. } => {
                let w = self.workers.get_mut(&uid).expect("checked");
                if w.stage != Stage::Sandbox {
                    return;
                }
                w.ip = ip;
                self.start_container(ctx, &uid, 0, cmds);
            }
            RuntimeEvent::ImagePulled { image, took_ms, .. } => {
                let w = self.workers.get_mut(&uid).expect("checked");
                self.nodes
                    .entry(w.node.clone())
                    .or_default()
                    .images
                    .insert(image.clone());
                ctx.event(
                    "Pulled",
                    pod_object(&w.key),
                    Some(&w.node),
                    format!(
                        "Successfully pulled image {image:?} in {}",
                        Duration(took_ms)
                    ),
                );
                if let Stage::Starting(i) = w.stage {
                    cmds.push(w.create_command(i));
                }
            }
            RuntimeEvent::ContainerCreated { target } => {
                let w = self.workers.get_mut(&uid).expect("checked");
                if matches!(w.stage, Stage::Terminating | Stage::Removing) {
                    return;
                }
                ctx.event(
                    "Created",
                    pod_object(&w.key),
                    Some(&w.node),
                    format!("Created container: {}", target.container),
                );
                cmds.push(RuntimeCommand::StartContainer { target });
            }
            RuntimeEvent::ContainerStarted { target } => {
                let w = self.workers.get_mut(&uid).expect("checked");
                let Some(i) = w.index_of(&target.container) else {
                    return;
                };
                ctx.event(
                    "Started",
                    pod_object(&w.key),
                    Some(&w.node),
                    format!("Started container {}", target.container),
                );
                let c = &mut w.containers[i];
                c.running = true;
                c.started_at = Some(ctx.now);
                match &c.spec.readiness_probe {
                    Some(p) if !c.init => {
                        let first = ctx
                            .now
                            .after(Duration::from_secs(p.initial_delay_seconds.max(0) as u64));
                        c.next_probe = Some(first);
                        ctx.wake_at(
                            first,
                            Wake::PodWorker {
                                node: w.node.clone(),
                                pod_uid: uid.clone(),
                            },
                        );
                    }
                    // No readiness probe: ready as soon as it runs (upstream).
                    _ => c.ready = !c.init,
                }
                let init = c.init;
                if let Stage::Starting(cur) = w.stage {
                    if cur == i && !init {
                        self.start_container(ctx, &uid, i + 1, cmds);
                    }
                }
                self.write_status(ctx, &uid);
            }
            RuntimeEvent::ContainerExited {
                target,
                exit_code,
                oom_killed,
            } => {
                let w = self.workers.get_mut(&uid).expect("checked");
                let Some(i) = w.index_of(&target.container) else {
                    return;
                };
                if matches!(w.stage, Stage::Terminating) {
                    w.containers[i].running = false;
                    w.containers[i].ready = false;
                    if w.containers.iter().all(|c| !c.running) {
                        w.stage = Stage::Removing;
                        cmds.push(RuntimeCommand::RemovePodSandbox {
                            node: w.node.clone(),
                            pod_uid: uid.clone(),
                        });
                    }
                    return;
                }
                if oom_killed {
                    ctx.event(
                        "OOMKilled",
                        pod_object(&w.key),
                        Some(&w.node),
                        format!("Container {} was OOM-killed", target.container),
                    );
                }
                let init = w.containers[i].init;
                let delay = w.on_exit(i, ctx.now, exit_code);
                match delay {
                    Some(d) if d == Duration::ZERO => self.restart(ctx, &uid, i, cmds),
                    Some(d) => {
                        let w = self.workers.get_mut(&uid).expect("checked");
                        ctx.event(
                            "BackOff",
                            pod_object(&w.key),
                            Some(&w.node),
                            format!(
                                "Back-off restarting failed container {} in pod {}",
                                target.container, w.key
                            ),
                        );
                        ctx.wake_after(
                            d,
                            Wake::PodWorker {
                                node: w.node.clone(),
                                pod_uid: uid.clone(),
                            },
                        );
                    }
                    None => {
                        if init && exit_code == 0 {
                            self.start_container(ctx, &uid, i + 1, cmds);
                        }
                    }
                }
                self.write_status(ctx, &uid);
            }
            RuntimeEvent::ProbeResult { target, success } => {
                let w = self.workers.get_mut(&uid).expect("checked");
                let Some(i) = w.index_of(&target.container) else {
                    return;
                };
                let c = &mut w.containers[i];
                let Some(probe) = c.spec.readiness_probe.clone() else {
                    return;
                };
                if !c.running {
                    return;
                }
                if success {
                    c.probe_ok += 1;
                    c.probe_fail = 0;
                    if c.probe_ok >= probe.success_threshold() {
                        c.ready = true;
                    }
                } else {
                    c.probe_fail += 1;
                    c.probe_ok = 0;
                    if c.probe_fail >= probe.failure_threshold() {
                        if c.ready {
                            ctx.event(
                                "Unhealthy",
                                pod_object(&w.key),
                                Some(&w.node),
                                "Readiness probe failed".into(),
                            );
                        }
                        c.ready = false;
                    }
                }
                let next = ctx
                    .now
                    .after(Duration::from_secs(probe.period_seconds().max(1) as u64));
                c.next_probe = Some(next);
                ctx.wake_at(
                    next,
                    Wake::PodWorker {
                        node: w.node.clone(),
                        pod_uid: uid.clone(),
                    },
                );
                self.write_status(ctx, &uid);
            }
            RuntimeEvent::SandboxRemoved { .. } => {
                let w = self.workers.remove(&uid).expect("checked");
                let (ns, name) = w.key.split_once('/').expect("pod key");
                let _ = ctx.store.delete(&ObjectKey::new(Kind::Pod, ns, name));
            }
        }
    }

    fn restart(&mut self, ctx: &mut Ctx, uid: &str, i: usize, cmds: &mut Vec<RuntimeCommand>) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let c = &mut w.containers[i];
        c.restart_at = None;
        c.restarts += 1;
        let _ = ctx;
        cmds.push(w.create_command(i));
    }

    /// A pod worker's timer fired: restarts whose backoff expired, probes that are due.
    pub fn wake(&mut self, ctx: &mut Ctx, node: &str, uid: &str, cmds: &mut Vec<RuntimeCommand>) {
        if !self.alive(node) {
            return;
        }
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if matches!(w.stage, Stage::Terminating | Stage::Removing) {
            return;
        }
        let mut restarts = Vec::new();
        for i in 0..w.containers.len() {
            let c = &mut w.containers[i];
            if c.restart_at.is_some_and(|t| t <= ctx.now) {
                restarts.push(i);
            }
            if c.running && c.next_probe.is_some_and(|t| t <= ctx.now) {
                c.next_probe = None;
                let p = c.spec.readiness_probe.clone().unwrap_or_default();
                cmds.push(RuntimeCommand::RunProbe {
                    target: w.target(i),
                    timeout_ms: p.timeout_seconds().max(1) as u64 * 1000,
                    probe: serde_json::to_value(&p).unwrap_or_default(),
                });
            }
        }
        for i in restarts {
            self.restart(ctx, uid, i, cmds);
        }
    }

    /// Write the worker's view into the pod's status (phase, readiness, restarts).
    fn write_status(&mut self, ctx: &mut Ctx, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let phase = w.phase();
        let ready = w.ready() && phase == PodPhase::Running;
        if matches!(phase, PodPhase::Succeeded | PodPhase::Failed) {
            w.stage = Stage::Finished;
        }
        let restarts: i32 = w.containers.iter().map(|c| c.restarts as i32).sum();
        let (ns, name) = w.key.split_once('/').expect("pod key");
        let key = ObjectKey::new(Kind::Pod, ns, name);
        let Some(Object::Pod(p)) = ctx.store.get(&key).map(|s| &s.object) else {
            return;
        };
        let s = &p.status;
        if s.phase == phase && s.ready == ready && s.restart_count == restarts {
            return;
        }
        let mut p = p.clone();
        if p.status.started_at.is_none() && phase == PodPhase::Running {
            p.status.started_at = Some(ctx.now.millis());
        }
        if ready && !p.status.ready {
            p.status.ready_at = Some(ctx.now.millis());
        }
        p.status.phase = phase;
        p.status.ready = ready;
        p.status.restart_count = restarts;
        let _ = ctx.store.update(Object::Pod(p), None);
    }
}

#[cfg(test)]
mod tests {
    use super::pull_policy;

    #[test]
    fn pull_policy_defaults_like_upstream() {
        assert_eq!(pull_policy("nginx", ""), "Always");
        assert_eq!(pull_policy("nginx:latest", ""), "Always");
        assert_eq!(pull_policy("nginx:1.25", ""), "IfNotPresent");
        assert_eq!(pull_policy("registry:5000/nginx", ""), "Always");
        assert_eq!(pull_policy("registry:5000/nginx:1.25", ""), "IfNotPresent");
        assert_eq!(pull_policy("nginx@sha256:abc", ""), "IfNotPresent");
        assert_eq!(pull_policy("nginx:1.25", "Always"), "Always");
    }
}
