//! The binding cycle (upstream schedule_one.go: the end of `schedulingCycle` and
//! `bindingCycle`): assume the pod on the chosen node, Reserve, Permit (possibly waiting),
//! PreBind, Bind, PostBind — with Unreserve in reverse order and the pod forgotten on any
//! failure, which then goes the way of a scheduling failure.
//!
//! cellsim runs the binding cycle inline (upstream runs it in a goroutine), so the next pod
//! sees the binding. A Permit `Wait` holds the pod assumed until its deadline; no in-tree
//! plugin allows a waiting pod, so the wait ends with upstream's timeout rejection.

use super::framework::{Code, CycleState, PodInfo, Point, Status};
use super::profile::Profile;
use super::Scheduler;
use crate::api::pod::Pod;
use crate::api::{Kind, Object};
use crate::sim::ctx::Ctx;
use crate::store::{ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};
use std::rc::Rc;

/// Upstream `maxTimeout` (framework/runtime/framework.go): the longest a Permit plugin may
/// hold a pod.
pub const MAX_PERMIT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// What the Permit plugins decided (upstream `RunPermitPlugins`).
#[derive(Debug, PartialEq)]
pub enum Permit {
    Allow,
    Reject(Status),
    /// Wait until `timeout`; then `plugin` rejects the pod (the shortest wait among the
    /// plugins that asked to wait, the first in profile order on a tie).
    Wait {
        timeout: Duration,
        plugin: &'static str,
    },
}

/// A pod held at Permit.
pub struct WaitingPod {
    profile: usize,
    pod: Pod,
    info: Rc<PodInfo>,
    node: String,
    state: CycleState,
    deadline: SimTime,
    waited: Duration,
    plugin: &'static str,
}

/// A failing status from an extension point: a rejection keeps its reasons and names the
/// plugin; anything else becomes an error `running <Point> plugin "<name>": <msg>` (upstream
/// wraps errors so).
fn failure(point: &str, plugin: &'static str, mut s: Status) -> Status {
    if s.is_rejected() {
        s.plugin = plugin;
        return s;
    }
    let mut e = Status::error(format!(
        "running {point} plugin {plugin:?}: {}",
        s.reasons.join(", ")
    ));
    e.plugin = plugin;
    e
}

impl Profile {
    /// Upstream `RunReservePluginsReserve`: the first failure stops.
    pub fn run_reserve(&self, state: &mut CycleState, pod: &PodInfo, node: &str) -> Status {
        for p in self.plugins(Point::Reserve) {
            let s = p.reserve(state, pod, node);
            if !s.is_success() {
                return failure("Reserve", p.name(), s);
            }
        }
        Status::success()
    }

    /// Upstream `RunReservePluginsUnreserve`: every Reserve plugin, in reverse order.
    pub fn run_unreserve(&self, state: &mut CycleState, pod: &PodInfo, node: &str) {
        for p in self.plugins(Point::Reserve).iter().rev() {
            p.unreserve(state, pod, node);
        }
    }

    /// Upstream `RunPermitPlugins`: a rejection or error stops; waits are collected, each
    /// capped at `MAX_PERMIT_TIMEOUT`.
    pub fn run_permit(&self, state: &CycleState, pod: &PodInfo, node: &str) -> Permit {
        let mut wait: Option<(Duration, &'static str)> = None;
        for p in self.plugins(Point::Permit) {
            let (s, timeout) = p.permit(state, pod, node);
            match s.code {
                Code::Success => {}
                Code::Wait => {
                    let t = timeout.min(MAX_PERMIT_TIMEOUT);
                    if wait.is_none_or(|(w, _)| t < w) {
                        wait = Some((t, p.name()));
                    }
                }
                _ => return Permit::Reject(failure("Permit", p.name(), s)),
            }
        }
        match wait {
            None => Permit::Allow,
            Some((timeout, plugin)) => Permit::Wait { timeout, plugin },
        }
    }

    /// Upstream `RunPreBindPlugins`: the first failure stops.
    pub fn run_pre_bind(&self, state: &mut CycleState, pod: &PodInfo, node: &str) -> Status {
        for p in self.plugins(Point::PreBind) {
            let s = p.pre_bind(state, pod, node);
            if !s.is_success() {
                return failure("PreBind", p.name(), s);
            }
        }
        Status::success()
    }

    /// Upstream `RunBindPlugins`: the first plugin not returning Skip binds; all skipping is
    /// an error.
    pub fn run_bind(&self, state: &CycleState, pod: &PodInfo, node: &str) -> Status {
        for p in self.plugins(Point::Bind) {
            let s = p.bind(state, pod, node);
            if s.is_skip() {
                continue;
            }
            if !s.is_success() {
                return failure("Bind", p.name(), s);
            }
            return s;
        }
        Status::error("all bind plugins skipped the pod")
    }

    /// Upstream `RunPostBindPlugins`.
    pub fn run_post_bind(&self, state: &CycleState, pod: &PodInfo, node: &str) {
        for p in self.plugins(Point::PostBind) {
            p.post_bind(state, pod, node);
        }
    }
}

impl Scheduler {
    /// Assume, Reserve and Permit, then (unless Permit waits) the binding cycle. Returns the
    /// failure message when the pod was not bound now (`None`: bound, or waiting at Permit).
    pub(super) fn binding_cycle(
        &mut self,
        ctx: &mut Ctx,
        profile: usize,
        pod: Pod,
        node: &str,
        info: PodInfo,
        mut state: CycleState,
    ) -> Option<String> {
        let mut assumed = info;
        assumed.pod.spec.node_name = node.to_string();
        let info = Rc::new(assumed);
        self.snapshot.add_pod(node, info.clone());
        let prof = &self.profiles[profile];
        let s = prof.run_reserve(&mut state, &info, node);
        if !s.is_success() {
            return Some(self.unwind(ctx, profile, pod, &info, node, &mut state, s));
        }
        match self.profiles[profile].run_permit(&state, &info, node) {
            Permit::Allow => self.bind_now(ctx, profile, pod, &info, node, state),
            Permit::Reject(s) => Some(self.unwind(ctx, profile, pod, &info, node, &mut state, s)),
            Permit::Wait { timeout, plugin } => {
                self.waiting.insert(
                    info.key.clone(),
                    WaitingPod {
                        profile,
                        pod,
                        info,
                        node: node.to_string(),
                        state,
                        deadline: ctx.now.after(timeout),
                        waited: timeout,
                        plugin,
                    },
                );
                None
            }
        }
    }

    /// PreBind, Bind (the API write), PostBind.
    fn bind_now(
        &mut self,
        ctx: &mut Ctx,
        profile: usize,
        mut pod: Pod,
        info: &Rc<PodInfo>,
        node: &str,
        mut state: CycleState,
    ) -> Option<String> {
        let prof = &self.profiles[profile];
        let s = prof.run_pre_bind(&mut state, info, node);
        if !s.is_success() {
            return Some(self.unwind(ctx, profile, pod, info, node, &mut state, s));
        }
        let s = prof.run_bind(&state, info, node);
        if !s.is_success() {
            return Some(self.unwind(ctx, profile, pod, info, node, &mut state, s));
        }
        // DefaultBinder: `spec.nodeName` through the Binding subresource.
        let pk = info.key.clone();
        pod.spec.node_name = node.to_string();
        pod.status.unschedulable_message.clear();
        self.snapshot.clear_nominated(&pk);
        self.stats.scheduled += 1;
        let _ = ctx.store.update(Object::Pod(pod), None);
        ctx.event(
            "Scheduled",
            format!("Pod/{pk}"),
            Some(node),
            format!("Successfully assigned {pk} to {node}"),
        );
        self.profiles[profile].run_post_bind(&state, info, node);
        None
    }

    /// A failure after the pod was assumed: Unreserve, forget the pod, and handle it as a
    /// scheduling failure (the rejecting plugin, if any, is what may requeue it).
    #[allow(clippy::too_many_arguments)]
    fn unwind(
        &mut self,
        ctx: &mut Ctx,
        profile: usize,
        pod: Pod,
        info: &Rc<PodInfo>,
        node: &str,
        state: &mut CycleState,
        s: Status,
    ) -> String {
        self.profiles[profile].run_unreserve(state, info, node);
        self.snapshot.remove_pod(&info.key);
        let msg = s.reasons.join(", ");
        let rejectors = if s.is_rejected() {
            vec![s.plugin]
        } else {
            Vec::new()
        };
        let mut unassumed = (**info).clone();
        unassumed.pod.spec.node_name.clear();
        let pk = info.key.clone();
        self.record_failure(ctx, &pk, pod, &msg, None, rejectors, unassumed);
        msg
    }

    /// Reject the pods whose Permit wait is over (upstream: the waiting pod's timer fires
    /// `Reject(plugin, "rejected due to timeout after waiting <d> at plugin <p>")`).
    pub(super) fn expire_waiting(&mut self, ctx: &mut Ctx) {
        let due: Vec<String> = self
            .waiting
            .iter()
            .filter(|(_, w)| w.deadline <= ctx.now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in due {
            let Some(mut w) = self.waiting.remove(&k) else {
                continue;
            };
            let (ns, name) = k.split_once('/').expect("pod keys are namespace/name");
            let exists = matches!(
                ctx.store.get(&ObjectKey::new(Kind::Pod, ns, name)).map(|s| &s.object),
                Some(Object::Pod(p)) if p.metadata.deletion_at.is_none()
            );
            if !exists {
                self.profiles[w.profile].run_unreserve(&mut w.state, &w.info, &w.node);
                self.snapshot.remove_pod(&k);
                continue;
            }
            let mut s = Status::unschedulable(format!(
                "rejected due to timeout after waiting {} at plugin {}",
                w.waited, w.plugin
            ));
            s.plugin = w.plugin;
            let info = w.info.clone();
            self.unwind(ctx, w.profile, w.pod, &info, &w.node, &mut w.state, s);
        }
    }

    /// The earliest Permit deadline, for the scheduler's next wake-up.
    pub(super) fn next_waiting_deadline(&self) -> Option<SimTime> {
        self.waiting.values().map(|w| w.deadline).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::Node;
    use crate::collections::OrdMap;
    use crate::engine::TraceWriter;
    use crate::rng::SimRng;
    use crate::sched::config::default_config;
    use crate::sched::framework::Plugin;
    use crate::store::MemoryStore;
    use std::cell::RefCell;

    /// A plugin at Reserve, Permit, PreBind and PostBind that logs every call and acts on
    /// the pod's `test` label: `reserve-fail`, `permit-reject`, `permit-wait`.
    struct Recorder {
        name: &'static str,
        log: Rc<RefCell<Vec<String>>>,
    }

    impl Recorder {
        fn note(&self, what: &str, pod: &PodInfo) {
            self.log
                .borrow_mut()
                .push(format!("{} {what} {}", self.name, pod.pod.metadata.name));
        }
        fn wants(pod: &PodInfo, v: &str) -> bool {
            pod.labels.get("test").is_some_and(|x| x == v)
        }
    }

    impl Plugin for Recorder {
        fn name(&self) -> &'static str {
            self.name
        }
        fn points(&self) -> &'static [Point] {
            &[
                Point::Reserve,
                Point::Permit,
                Point::PreBind,
                Point::PostBind,
            ]
        }
        fn reserve(&self, _: &mut CycleState, pod: &PodInfo, _: &str) -> Status {
            self.note("reserve", pod);
            if Self::wants(pod, "reserve-fail") && self.name == "B" {
                return Status::unschedulable("no volume for you");
            }
            Status::success()
        }
        fn unreserve(&self, _: &mut CycleState, pod: &PodInfo, _: &str) {
            self.note("unreserve", pod);
        }
        fn permit(&self, _: &CycleState, pod: &PodInfo, _: &str) -> (Status, Duration) {
            self.note("permit", pod);
            if Self::wants(pod, "permit-reject") {
                return (Status::unschedulable("denied"), Duration::ZERO);
            }
            if Self::wants(pod, "permit-wait") {
                // A/B ask for different waits; the shorter one decides. B asks for more
                // than the cap.
                let d = if self.name == "A" { 30 } else { 3600 };
                return (
                    Status::with_reasons(Code::Wait, Vec::new()),
                    Duration::from_secs(d),
                );
            }
            (Status::success(), Duration::ZERO)
        }
        fn pre_bind(&self, _: &mut CycleState, pod: &PodInfo, _: &str) -> Status {
            self.note("prebind", pod);
            Status::success()
        }
        fn post_bind(&self, _: &CycleState, pod: &PodInfo, _: &str) {
            self.note("postbind", pod);
        }
    }

    fn pod(name: &str, test: &str) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        p.metadata.uid = format!("uid-{name}");
        p.metadata.labels.insert("test".into(), test.into());
        p
    }

    fn scheduler(log: &Rc<RefCell<Vec<String>>>) -> Scheduler {
        let mut s = Scheduler::new(false, default_config()).expect("default config");
        let mut points = s.profiles[0].points.clone();
        let a: Rc<dyn Plugin> = Rc::new(Recorder {
            name: "A",
            log: log.clone(),
        });
        let b: Rc<dyn Plugin> = Rc::new(Recorder {
            name: "B",
            log: log.clone(),
        });
        for point in [
            Point::Reserve,
            Point::Permit,
            Point::PreBind,
            Point::PostBind,
        ] {
            points.insert(point, vec![a.clone(), b.clone()]);
        }
        s.profiles[0] = Profile::from_parts(
            "default-scheduler",
            None,
            points,
            s.profiles[0].weights.clone(),
        );
        s
    }

    fn run(
        s: &mut Scheduler,
        store: &mut MemoryStore,
        trace: &mut TraceWriter,
        at: u64,
    ) -> Vec<(SimTime, crate::sim::ctx::Wake)> {
        let mut rng = SimRng::new(1);
        let mut wakes = Vec::new();
        let mut ctx = Ctx {
            now: SimTime(at),
            store,
            rng: &mut rng,
            trace,
            wakes: &mut wakes,
        };
        s.sync(&mut ctx);
        wakes
    }

    fn bound(store: &MemoryStore, name: &str) -> String {
        match store
            .get(&ObjectKey::new(Kind::Pod, "default", name))
            .map(|s| &s.object)
        {
            Some(Object::Pod(p)) => p.spec.node_name.clone(),
            _ => panic!("pod {name} missing"),
        }
    }

    #[test]
    fn extension_points_run_in_order_and_unwind() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = scheduler(&log);
        let mut store = MemoryStore::new();
        let mut n = Node::default();
        n.metadata.name = "n1".into();
        n.status.allocatable = OrdMap::from([(
            "pods".to_string(),
            crate::api::Quantity::parse("10").expect("qty"),
        )]);
        store.create(Object::Node(n)).expect("node");
        for (name, test) in [
            ("ok", "none"),
            ("rf", "reserve-fail"),
            ("pr", "permit-reject"),
            ("pw", "permit-wait"),
        ] {
            store.create(Object::Pod(pod(name, test))).expect("pod");
        }
        let mut trace = TraceWriter::new(true, 100);
        let wakes = run(&mut s, &mut store, &mut trace, 0);
        let log_of = |name: &str| -> Vec<String> {
            log.borrow()
                .iter()
                .filter(|l| l.ends_with(&format!(" {name}")))
                .map(|l| l.rsplit_once(' ').expect("space").0.to_string())
                .collect()
        };
        // Upstream order: Reserve, Permit, PreBind, Bind, PostBind.
        assert_eq!(
            log_of("ok"),
            [
                "A reserve",
                "B reserve",
                "A permit",
                "B permit",
                "A prebind",
                "B prebind",
                "A postbind",
                "B postbind"
            ]
        );
        assert_eq!(bound(&store, "ok"), "n1");
        // B's Reserve fails: every Reserve plugin unreserves, in reverse order.
        assert_eq!(
            log_of("rf"),
            ["A reserve", "B reserve", "B unreserve", "A unreserve"]
        );
        assert_eq!(bound(&store, "rf"), "");
        // A rejects at Permit: B is not asked; the pod is unreserved.
        assert_eq!(
            log_of("pr"),
            [
                "A reserve",
                "B reserve",
                "A permit",
                "B unreserve",
                "A unreserve"
            ]
        );
        // Waiting: assumed on n1, not bound, and the scheduler wakes at the shorter wait.
        assert_eq!(bound(&store, "pw"), "");
        assert!(s.snapshot.is_placed("default/pw"), "assumed while waiting");
        assert!(wakes.iter().any(|(t, _)| *t == SimTime(30_000)));
        let messages: Vec<String> = trace
            .recent()
            .filter(|e| e.kind == "FailedScheduling")
            .map(|e| format!("{} {}", e.object, e.message))
            .collect();
        assert_eq!(
            messages,
            ["Pod/default/rf no volume for you", "Pod/default/pr denied"]
        );
        // At 30s the wait times out with upstream's message; the pod is forgotten.
        run(&mut s, &mut store, &mut trace, 30_000);
        assert!(!s.snapshot.is_placed("default/pw"));
        let last = trace.recent().last().expect("an event");
        assert_eq!(last.kind, "FailedScheduling");
        assert_eq!(
            last.message,
            "rejected due to timeout after waiting 30s at plugin A"
        );
    }

    #[test]
    fn permit_wait_is_capped_at_fifteen_minutes() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut points = OrdMap::new();
        points.insert(
            Point::Permit,
            vec![Rc::new(Recorder {
                name: "B",
                log: log.clone(),
            }) as Rc<dyn Plugin>],
        );
        let prof = Profile::from_parts("p", None, points, OrdMap::new());
        let info = PodInfo::new(&pod("w", "permit-wait"));
        assert_eq!(
            prof.run_permit(&CycleState::default(), &info, "n1"),
            Permit::Wait {
                timeout: MAX_PERMIT_TIMEOUT,
                plugin: "B"
            }
        );
    }
}
