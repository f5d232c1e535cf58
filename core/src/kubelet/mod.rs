//! The kubelet model (sans-IO): every node's kubelet admits the pods bound to it, runs a pod
//! worker per pod that turns the pod into a plan of runtime commands, consumes runtime events,
//! and writes the pod's status (phase, conditions, container statuses) back.
//!
//! Modules, one concept each: `plan` (the commands and events: the API boundary with a node
//! backend), `worker` (a pod's state machine), `prober` (liveness, readiness and startup
//! probes), `termination` (grace periods, preStop, SIGTERM then SIGKILL), `backoff`
//! (CrashLoopBackOff), `images` (pull policy), `admission` (OutOfcpu and friends), `phase`
//! (phase and conditions), `gc` (dead containers), `sim_runtime` (the simulated runtime). The
//! node backend's Linux runtime will carry out the same commands for real.

pub mod admission;
pub mod backoff;
pub mod gc;
pub mod images;
pub mod phase;
pub mod plan;
pub mod prober;
pub mod sim_runtime;
pub mod termination;
pub mod worker;

pub use images::pull_policy;

use crate::api::node::Node;
use crate::api::pod::{Pod, PodPhase};
use crate::api::resources::CpuMem;
use crate::api::{Kind, Object};
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::sim::budget::Budget;
use crate::sim::ctx::{Ctx, Wake};
use crate::store::{ObjectKey, ObjectStore, ProbeMap, ProbeSet};
use crate::time::SimTime;
use plan::{RuntimeCommand, RuntimeEvent};
use worker::{Out, PodWorker};

/// One node's kubelet state besides its pod workers.
#[derive(Default)]
struct NodeKubelet {
    alive: bool,
    /// Images on the node (default-tagged names), from pulls and `status.images`.
    images: OrdSet<String>,
    /// When the kubelet started (garbage collection runs every minute from here).
    started: SimTime,
    gc_due: Option<SimTime>,
    /// Pods deleted whose stopped sandbox awaits garbage collection.
    orphans: OrdSet<String>,
    /// Uids of this node's pod workers (an index into `Kubelets::workers`, in the same uid
    /// order, so admission and garbage collection never walk other nodes' workers).
    workers: OrdSet<String>,
    /// What this node's admitted, unfinished pods hold, kept as they are admitted and finish
    /// (admission compares against it), and each such pod's share of it by uid.
    admitted: admission::Admitted,
    shares: OrdMap<String, Share>,
}

/// An admitted pod's part of its node's `Admitted`: its requests and host ports.
struct Share {
    requests: crate::api::resources::Resources,
    ports: Vec<(String, String, i32)>,
}

/// Every node's kubelet (one struct: they share nothing but the code).
///
/// The three maps are hash maps because they are only probed, never iterated (what is walked
/// in order — a node's workers — is `NodeKubelet::workers`, ordered): probing them was a
/// large share of a run's time as ordered String maps.
#[derive(Default)]
pub struct Kubelets {
    pub cursor: u64,
    nodes: ProbeMap<String, NodeKubelet>,
    /// pod uid → worker. Boxed: a worker holds its pod, so growing the table moved about a
    /// kilobyte per worker (3.8 % of a 10,000-pod start-up in perf); now a pointer.
    workers: ProbeMap<String, Box<PodWorker>>,
    /// The pod's key → pod uid, for pods that vanish from the store.
    by_key: ProbeMap<ObjectKey, String>,
    /// Borg's policies (`spec.borg`): with resource reclamation, admission fits non-prod pods
    /// against reservations as the scheduler does.
    borg: Option<crate::sched::borg::BorgPolicy>,
    /// A budgeted sync that paused (`sync_budget`): the changed pods' keys still to handle,
    /// first occurrences in feed order. Empty when no sync is in progress.
    pending: std::collections::VecDeque<ObjectKey>,
    draining: bool,
    /// A budgeted sync paused while reading the change feed: where it got to.
    reading: Option<u64>,
    /// The pod keys a sync's feed read has queued in `pending` so far. Kept between syncs
    /// (emptied, not dropped): growing a fresh table for every large sync was a long unit.
    seen: ProbeSet<ObjectKey>,
}

/// Changes read per budget unit when a budgeted sync reads the feed: t=0 of 30,000 pods is
/// about 100,000 changes, and reading them in one unit was a 25–70 ms step of the page.
const FEED_CHUNK: usize = 512;

fn pod_object(key: &str) -> String {
    format!("Pod/{key}")
}

fn pod_key(key: &str) -> ObjectKey {
    let (ns, name) = key.split_once('/').expect("pod key");
    ObjectKey::new(Kind::Pod, ns, name)
}

impl Kubelets {
    pub fn set_borg(&mut self, policy: Option<crate::sched::borg::BorgPolicy>) {
        self.borg = policy;
    }

    /// A node's kubelet starts at `now`; images the node reports in `status.images` are
    /// present.
    pub fn add_node(&mut self, node: &Node, now: SimTime) {
        let n = self.nodes.get_or_default(node.metadata.name.clone());
        if !n.alive {
            n.started = now;
        }
        n.alive = true;
        for img in &node.status.images {
            for name in &img.names {
                n.images.insert(images::with_default_tag(name));
            }
        }
    }

    pub fn remove_node(&mut self, name: &str) {
        self.drop_workers_of(name);
        self.nodes.remove(name);
    }

    /// The node's kubelet and containers stop (`failNode`).
    pub fn fail_node(&mut self, name: &str) {
        if let Some(n) = self.nodes.get_mut(name) {
            n.alive = false;
            n.orphans.clear();
            n.gc_due = None;
        }
        self.drop_workers_of(name);
    }

    fn drop_workers_of(&mut self, node: &str) {
        let Some(n) = self.nodes.get_mut(node) else {
            return;
        };
        n.admitted = admission::Admitted::default();
        n.shares.clear();
        for uid in std::mem::take(&mut n.workers) {
            if let Some(w) = self.workers.remove(&uid) {
                let key = pod_key(&w.key);
                if self.by_key.get(&key).is_some_and(|u| *u == w.uid) {
                    self.by_key.remove(&key);
                }
            }
        }
    }

    /// The node's pod workers, in uid order.
    fn workers_on<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a PodWorker> + Clone {
        self.nodes
            .get(node)
            .into_iter()
            .flat_map(|n| n.workers.iter())
            .filter_map(|uid| self.workers.get(uid).map(|w| &**w))
    }

    /// The node comes back: its kubelet starts over with the pods still bound to it.
    pub fn recover_node(&mut self, ctx: &mut Ctx, name: &str, cmds: &mut Vec<RuntimeCommand>) {
        if let Some(n) = self.nodes.get_mut(name) {
            n.alive = true;
            n.started = ctx.now;
        }
        let mut pods: Vec<Pod> = ctx
            .store
            .objects(Kind::Pod)
            .filter_map(|o| match o {
                Object::Pod(p) if p.spec.node_name == name => Some(p.clone()),
                _ => None,
            })
            .collect();
        // HandlePodAdditions admits pods in creation order.
        crate::sort::sort_by_key(&mut pods, |p| p.metadata.created_at);
        for p in pods {
            if p.metadata.deletion_at.is_some() {
                // The pod was deleted while the node was down: finish the deletion.
                let _ =
                    ctx.store
                        .delete(&ObjectKey::new(Kind::Pod, p.namespace(), &p.metadata.name));
            } else if !p.is_terminal() {
                self.admit_and_start(ctx, &p, cmds);
            }
        }
    }

    fn alive(&self, node: &str) -> bool {
        self.nodes.get(node).is_some_and(|n| n.alive)
    }

    /// Kubelet admission, then a pod worker; a rejected pod is Failed.
    fn admit_and_start(&mut self, ctx: &mut Ctx, p: &Pod, cmds: &mut Vec<RuntimeCommand>) {
        let node_key = ObjectKey::new(Kind::Node, "", &p.spec.node_name);
        let Some(Object::Node(node)) = ctx.store.get(&node_key).map(|s| &s.object) else {
            return;
        };
        // Borg reclamation: the others' current reservations, from the store (the reclamation
        // tick writes them into pod status); their requests until it has.
        let reserved = self
            .borg
            .as_ref()
            .filter(|b| b.fits_against_reservations(p.spec.priority.unwrap_or(0)))
            .map(|_| {
                let mut sum = CpuMem::default();
                let others = self
                    .workers_on(&p.spec.node_name)
                    .filter(|w| !w.terminal)
                    .map(|w| &w.pod);
                for o in others {
                    let stored = match ctx.store.get(&pod_key(&o.key())).map(|s| &s.object) {
                        Some(Object::Pod(sp)) if sp.metadata.uid == o.metadata.uid => {
                            sp.status.reservation
                        }
                        _ => None,
                    };
                    let r = stored.unwrap_or_else(|| CpuMem::of(&o.requests()));
                    sum.milli_cpu = sum.milli_cpu.saturating_add(r.milli_cpu);
                    sum.memory = sum.memory.saturating_add(r.memory);
                }
                sum
            });
        let empty = admission::Admitted::default();
        let admitted = self
            .nodes
            .get(&p.spec.node_name)
            .map_or(&empty, |n| &n.admitted);
        let verdict = admission::admit_against(p, node, admitted, reserved);
        if let Err(r) = verdict {
            ctx.event(
                &r.reason,
                pod_object(&p.key()),
                Some(&p.spec.node_name),
                r.message.clone(),
            );
            let mut failed = p.clone();
            failed.status.phase = PodPhase::Failed;
            failed.status.reason = r.reason.clone();
            failed.status.message = r.status_message();
            failed.status.ready = false;
            let _ = ctx.store.update(Object::Pod(failed), None);
            return;
        }
        let w = Box::new(PodWorker::new(p, ctx.now));
        let uid = w.uid.clone();
        self.by_key.insert(pod_key(&w.key), uid.clone());
        let n = self.nodes.get_or_default(w.node.clone());
        n.workers.insert(uid.clone());
        let share = Share {
            requests: p.requests(),
            ports: crate::sched::framework::podinfo::host_ports(p),
        };
        n.admitted.add(&share.requests, share.ports.clone());
        n.shares.insert(uid.clone(), share);
        self.workers.insert(uid.clone(), w);
        self.step(ctx, &uid, cmds, |_, _, _| {});
    }

    /// Consume the change feed: admit and start newly bound pods, stop deleted ones.
    pub fn sync(&mut self, ctx: &mut Ctx, cmds: &mut Vec<RuntimeCommand>) {
        self.sync_budget(ctx, cmds, &mut Budget::unlimited());
    }

    /// `sync`, one changed pod per unit of `budget`; false when the budget ran out with pods
    /// left, which the next call handles first (it does not read the feed again). Handling
    /// them in one call or over several does the same, as long as nothing else writes to the
    /// store in between — `Sim::step_budget` resumes exactly here.
    pub fn sync_budget(
        &mut self,
        ctx: &mut Ctx,
        cmds: &mut Vec<RuntimeCommand>,
        budget: &mut Budget,
    ) -> bool {
        if !self.draining {
            // The feed in chunks (a paused call resumes where it stopped: the store cannot
            // change between paused calls), each changed pod once, at its first change.
            let mut read = self.reading.take().unwrap_or(self.cursor);
            loop {
                let changes = ctx.store.changes_since(read);
                let n = changes.len().min(FEED_CHUNK);
                for c in &changes[..n] {
                    if c.key.kind == Kind::Pod && !self.seen.contains(&c.key) {
                        self.seen.insert(c.key.clone());
                        self.pending.push_back(c.key.clone());
                    }
                }
                if let Some(last) = changes[..n].last() {
                    read = last.revision;
                }
                if n == changes.len() {
                    break;
                }
                budget.spend();
                if budget.exhausted() {
                    self.reading = Some(read);
                    return false;
                }
            }
            self.seen.clear();
            self.cursor = ctx.store.revision();
            self.draining = true;
        }
        while let Some(key) = self.pending.pop_front() {
            self.sync_pod(ctx, &key, cmds);
            budget.spend();
            if budget.exhausted() && !self.pending.is_empty() {
                return false;
            }
        }
        self.draining = false;
        // The kubelets' own writes during the sync are not read back.
        self.cursor = ctx.store.revision();
        true
    }

    /// One changed pod of a sync.
    fn sync_pod(&mut self, ctx: &mut Ctx, key: &ObjectKey, cmds: &mut Vec<RuntimeCommand>) {
        // Most changes are status writes to a pod whose worker runs here and which is not
        // being deleted (the kubelet's own writes, read back): nothing below acts on those,
        // so they are answered without copying anything.
        if let Some(Object::Pod(p)) = ctx.store.get(key).map(|s| &s.object) {
            if p.metadata.deletion_at.is_none()
                && self.by_key.get(key).is_some_and(|u| *u == p.metadata.uid)
                && self.workers.contains_key(&p.metadata.uid)
            {
                return;
            }
        }
        let known = self.by_key.get(key).cloned();
        // The few fields decided on; the pod itself is copied only when it is admitted.
        let (uid, node_name, deleting, terminal) = match ctx.store.get(key).map(|s| &s.object) {
            Some(Object::Pod(p)) => (
                p.metadata.uid.clone(),
                p.spec.node_name.clone(),
                p.metadata.deletion_at.is_some(),
                p.is_terminal(),
            ),
            _ => {
                // Gone from the store: stop it if it still runs, then forget it.
                if let Some(uid) = known {
                    self.forget_or_stop(ctx, &uid, cmds);
                }
                return;
            }
        };
        let replaced = known.as_ref().filter(|u| **u != uid);
        // Copied only when it is admitted below: bound to a live node, not yet running here
        // (a pod's creation, before it is bound, costs no copy). Stopping a replaced pod's
        // worker touches neither the node's liveness nor this uid's worker, so the decision
        // taken here is the one taken below.
        let admits = !deleting
            && !terminal
            && !node_name.is_empty()
            && self.alive(&node_name)
            && !self.workers.contains_key(&uid);
        // As stored now (before a replaced pod's worker is stopped below).
        let pod = admits
            .then(|| match ctx.store.get(key).map(|s| &s.object) {
                Some(Object::Pod(p)) => Some(p.clone()),
                _ => None,
            })
            .flatten();
        if let Some(old) = replaced {
            // Replaced by a new pod of the same name.
            self.forget_or_stop(ctx, old, cmds);
        }
        if node_name.is_empty() || !self.alive(&node_name) {
            return;
        }
        match self.workers.get(&uid) {
            None if !deleting && !terminal => {
                if let Some(p) = pod {
                    self.admit_and_start(ctx, &p, cmds)
                }
            }
            None if deleting => {
                // Nothing runs for it here: finish the deletion.
                let _ = ctx.store.delete(key);
            }
            Some(w) if deleting && w.terminal => {
                let _ = ctx.store.delete(key);
            }
            Some(w) if deleting && !w.deleting => {
                self.step(ctx, &uid, cmds, |w, now, out| {
                    w.request_termination(now, false, out)
                });
            }
            _ => {}
        }
    }

    /// The pod object is gone: a stopped pod's worker goes (its sandbox to garbage
    /// collection); a running one is stopped first.
    fn forget_or_stop(&mut self, ctx: &mut Ctx, uid: &str, cmds: &mut Vec<RuntimeCommand>) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        if w.terminal {
            let w = self.workers.remove(uid).expect("checked");
            let key = pod_key(&w.key);
            if self.by_key.get(&key).is_some_and(|u| *u == w.uid) {
                self.by_key.remove(&key);
            }
            if let Some(n) = self.nodes.get_mut(&w.node) {
                n.workers.remove(&w.uid);
            }
            if w.sandbox != worker::Sandbox::None {
                if let Some(n) = self.nodes.get_mut(&w.node) {
                    n.orphans.insert(w.uid.clone());
                }
                self.request_gc(ctx, &w.node);
            }
        } else {
            self.step(ctx, uid, cmds, |w, now, out| {
                w.request_termination(now, true, out)
            });
        }
    }

    /// A runtime event arrived.
    pub fn handle(&mut self, ctx: &mut Ctx, ev: RuntimeEvent, cmds: &mut Vec<RuntimeCommand>) {
        if !self.alive(ev.node()) {
            return;
        }
        if let RuntimeEvent::ImagePulled { node, image, .. } = &ev {
            if let Some(n) = self.nodes.get_mut(node) {
                n.images.insert(images::with_default_tag(image));
            }
        }
        let uid = ev.pod_uid().to_string();
        if !self.workers.contains_key(&uid) {
            return;
        }
        self.step(ctx, &uid, cmds, move |w, now, out| {
            w.on_runtime_event(ev, now, out)
        });
    }

    /// A pod worker's timer fired.
    pub fn wake(&mut self, ctx: &mut Ctx, node: &str, uid: &str, cmds: &mut Vec<RuntimeCommand>) {
        if !self.alive(node) || !self.workers.contains_key(uid) {
            return;
        }
        self.step(ctx, uid, cmds, |w, now, out| w.wake(now, out));
    }

    /// The node's garbage collection runs (upstream `containerGC.GarbageCollect`).
    pub fn collect_garbage(&mut self, ctx: &mut Ctx, node: &str, cmds: &mut Vec<RuntimeCommand>) {
        let Some(n) = self.nodes.get_mut(node).filter(|n| n.alive) else {
            return;
        };
        n.gc_due = None;
        for uid in std::mem::take(&mut n.orphans) {
            cmds.push(RuntimeCommand::RemovePodSandbox {
                node: node.to_string(),
                pod_uid: uid,
            });
        }
        for uid in &n.workers {
            if let Some(w) = self.workers.get_mut(uid) {
                for target in w.collect_garbage() {
                    cmds.push(RuntimeCommand::RemoveContainer { target });
                }
            }
        }
        let _ = ctx;
    }

    fn request_gc(&mut self, ctx: &mut Ctx, node: &str) {
        let Some(n) = self.nodes.get_mut(node) else {
            return;
        };
        if n.gc_due.is_none() {
            let due = gc::next_run(n.started, ctx.now);
            n.gc_due = Some(due);
            ctx.wake_at(
                due,
                Wake::NodeGc {
                    node: node.to_string(),
                },
            );
        }
    }

    /// Run `f` on a worker, let it sync, and carry out what it asks: events, commands,
    /// wake-ups, the pod's status, garbage collection, the deletion of a stopped pod.
    fn step(
        &mut self,
        ctx: &mut Ctx,
        uid: &str,
        cmds: &mut Vec<RuntimeCommand>,
        f: impl FnOnce(&mut PodWorker, SimTime, &mut Out),
    ) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if !self.nodes.contains_key(&w.node) {
            self.nodes.insert(w.node.clone(), NodeKubelet::default());
        }
        let node = self.nodes.get_mut(&w.node).expect("inserted above");
        let mut out = Out::default();
        f(w, ctx.now, &mut out);
        w.sync(ctx.now, &node.images, &mut out);
        if w.terminal {
            // Finished: it no longer holds anything against admission (upstream counts
            // only active, non-terminal pods).
            if let Some(share) = node.shares.remove(&w.uid) {
                node.admitted.remove(&share.requests, &share.ports);
            }
        }
        if !out.events.is_empty() {
            let object = pod_object(&w.key);
            for (reason, message) in out.events {
                ctx.event(reason, object.clone(), Some(&w.node), message);
            }
        }
        cmds.extend(out.cmds);
        for t in out.wakes {
            if w.scheduled.insert(t) {
                ctx.wake_at(
                    t,
                    Wake::PodWorker {
                        node: w.node.clone(),
                        pod_uid: w.uid.clone(),
                    },
                );
            }
        }
        write_status(ctx, w);
        let garbage = w.has_garbage();
        let node = garbage.then(|| w.node.clone());
        if w.terminal && w.deleting && !w.object_gone {
            // Stopped: the status manager deletes the pod (upstream `canBeDeleted`); the
            // change feed then brings it back here to be forgotten.
            let _ = ctx.store.delete(&pod_key(&w.key));
        }
        if w.terminal && w.object_gone {
            // Nothing will come from the store for it any more.
            self.forget_or_stop(ctx, uid, cmds);
        }
        if let Some(node) = node {
            self.request_gc(ctx, &node);
        }
    }

    /// Pod workers (for tests and diagnostics).
    pub fn worker(&self, uid: &str) -> Option<&PodWorker> {
        self.workers.get(uid).map(|w| &**w)
    }
}

/// Write the worker's view into the pod's status when it changed.
fn write_status(ctx: &mut Ctx, w: &PodWorker) {
    if w.object_gone {
        return;
    }
    let key = pod_key(&w.key);
    let now = ctx.now;
    // The same write as get + clone + update, without copying the pod, and nothing written
    // when the status is as stored (one lookup either way).
    ctx.store.modify_pod_status_if(&key, |meta, _, st| {
        if meta.uid != w.uid {
            return false;
        }
        let status = w.api_status(st, now);
        if status == *st {
            return false;
        }
        *st = status;
        true
    });
}
