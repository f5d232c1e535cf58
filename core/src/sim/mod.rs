//! The simulation: one event loop in virtual time that drives the store, the controllers, the
//! scheduler and the kubelets, applies the timeline, and checks expectations.
//!
//! Loop invariant: events fire in (time, sequence) order; after the events of one instant, the
//! components run until the store is quiet ("settle"), then `always` expectations are checked.
//! Nothing here reads a clock or the OS: the same scenario and seed give the same trace.

pub mod budget;
pub mod ctx;
pub mod drain;
pub mod eviction;
pub mod external;
pub mod metrics;
pub mod objects;
mod release;
pub mod view;

use crate::api::node::NodeCondition;
use crate::api::{Kind, Object};
use crate::controllers::Controllers;
use crate::engine::{EventQueue, TraceWriter};
use crate::kubelet::plan::{RuntimeCommand, RuntimeEvent};
use crate::kubelet::sim_runtime::SimRuntime;
use crate::kubelet::Kubelets;
use crate::report::{ExpectationResult, Report};
use crate::rng::SimRng;
use crate::scenario::expect::{evaluate, Check, When, World};
use crate::scenario::load::pool_node;
use crate::scenario::timeline::{Action, ObjectRef};
use crate::scenario::Scenario;
use crate::sched::Scheduler;
use crate::store::{MemoryStore, ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};
use budget::{Budget, StepOutcome};
use ctx::{Ctx, Wake};

/// Settling more rounds than this in one instant means components keep undoing each other.
const MAX_SETTLE_ROUNDS: u32 = 10_000;

#[derive(Clone, Debug)]
enum Event {
    Timeline(usize),
    Expect(usize),
    Wake(Wake, u64),
    /// A pass of Borg resource reclamation (`spec.borg.reclamation`), every period.
    Reclaim,
    /// A loop of the cluster autoscaler (`spec.autoscaler`), every scan interval.
    Autoscale,
    End,
}

/// Where `Sim::step_budget` is inside an instant: the loops of `Sim::step`, unrolled so a call
/// can stop between two units of work and the next one go on with the rest.
#[derive(Debug, Default)]
enum Resume {
    /// Between instants: the next call starts the next one.
    #[default]
    Idle,
    /// The initial objects of `Sim::new_paused` settling at t=0 (then the traffic model looks,
    /// and no expectation is checked: as `Sim::new`).
    Start(Settle),
    /// Inside the instant `Sim::now`.
    Instant {
        due_checks: Vec<usize>,
        end: bool,
        phase: Phase,
    },
}

#[derive(Debug)]
enum Phase {
    /// Handling the events due now; `in_scheduler_wake`: a `Wake::Scheduler` event's sync
    /// paused in its scheduling loop.
    Events { in_scheduler_wake: bool },
    /// Settling after them.
    Settle(Settle),
}

/// A settle in progress: its round, the store's revision when the round began, and the
/// component whose turn it is.
#[derive(Debug)]
struct Settle {
    round: u32,
    before: u64,
    stage: Stage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Controllers,
    /// The scheduler's sync (pauses between scheduling cycles).
    Scheduler,
    Kubelets,
    /// The round's runtime commands and wake-ups handed over (`Sim::release_budget`).
    Release,
}

/// Options of one run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    /// Keep the trace bytes (for `--trace`).
    pub keep_trace: bool,
    /// Record scheduling decisions (for `--explain`).
    pub explain: bool,
    /// Stop early at this simulated time.
    pub until: Option<Duration>,
    /// Record every runtime command and accepted runtime event with its time (`Sim::plan`).
    pub keep_plan: bool,
}

/// One line of the recorded plan: a command the kubelets issued or an event a runtime
/// reported (and the kubelets received), at a simulated time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum PlanEntry {
    Command(RuntimeCommand),
    Event(RuntimeEvent),
}

pub struct Sim {
    pub scenario: Scenario,
    pub seed: u64,
    pub now: SimTime,
    end: SimTime,
    pub store: MemoryStore,
    rng: SimRng,
    queue: EventQueue<Event>,
    pub trace: TraceWriter,
    controllers: Controllers,
    pub scheduler: Scheduler,
    kubelets: Kubelets,
    runtime: SimRuntime,
    /// `kubectl drain` runs in progress.
    drains: drain::Drains,
    results: Vec<Option<ExpectationResult>>,
    /// Failures of `always` expectations: first failing time and observed value.
    always_failed: Vec<Option<(SimTime, crate::scenario::expect::Observed)>>,
    next_pool_index: crate::collections::OrdMap<String, u32>,
    finished: bool,
    /// The recorded plan, with `RunOptions::keep_plan`.
    plan: Option<Vec<(SimTime, PlanEntry)>>,
    /// The traffic model, when the scenario has `traffic` entries.
    pub traffic: Option<crate::net::traffic::Traffic>,
    /// The cluster autoscaler, with `spec.autoscaler`.
    autoscaler: Option<crate::autoscaler::Autoscaler>,
    /// Measured usage by pod uid from external agents (`run --real`,
    /// `external::set_external_usage`); `None` in simulated runs.
    external_usage: Option<crate::collections::OrdMap<String, crate::api::resources::CpuMem>>,
    /// Where a budgeted step paused (`step_budget`).
    resume: Resume,
    /// Wake-ups and runtime commands of a context split over paused calls (a settle round, a
    /// scheduler wake-up), handed over when it completes, as one `with_ctx` would.
    held_wakes: Vec<(SimTime, Wake)>,
    held_cmds: Vec<RuntimeCommand>,
    /// A hand-over of held commands and wake-ups that a budgeted step paused in
    /// (`release::Release`, the settle's `Stage::Release`).
    releasing: Option<release::Release>,
    /// A front end reading the store's change feed (the playground's `view::ViewCache`)
    /// holds the log's compaction at its cursor: the changes above it stay readable. Only
    /// memory depends on it, never the run.
    pub feed_hold: Option<u64>,
}

impl Sim {
    pub fn new(scenario: Scenario, opts: &RunOptions) -> Sim {
        let mut sim = Sim::new_paused(scenario, opts);
        while sim.step_budget(&mut Budget::unlimited()) == StepOutcome::Progress {}
        sim
    }

    /// `Sim::new` without settling t=0: the initial nodes and objects are in the store, and
    /// the first calls of `step_budget` (or `step`) settle them. For front ends that must not
    /// block while 30,000 pods are created and scheduled.
    pub fn new_paused(scenario: Scenario, opts: &RunOptions) -> Sim {
        let seed = opts.seed.unwrap_or(scenario.seed);
        let end = SimTime(
            opts.until
                .map_or(scenario.duration, |u| u.min(scenario.duration))
                .as_millis(),
        );
        let mut sim = Sim {
            seed,
            now: SimTime::ZERO,
            end,
            store: MemoryStore::new(),
            rng: SimRng::new(seed),
            queue: EventQueue::new(),
            trace: TraceWriter::new(opts.keep_trace, 200),
            controllers: Controllers::default(),
            // The configuration was validated (every profile built once) by scenario::load.
            scheduler: Scheduler::new(opts.explain, scenario.scheduler.clone())
                .expect("scheduler configuration validated at load"),
            kubelets: Kubelets::default(),
            runtime: SimRuntime::new(
                scenario.behavior.clone(),
                scenario.registry.as_ref(),
                scenario.nodes.iter().flat_map(|n| {
                    n.status.images.iter().flat_map(|i| {
                        i.names
                            .iter()
                            .map(move |name| (name.clone(), i.size_bytes.max(0) as u64))
                    })
                }),
            ),
            drains: drain::Drains::default(),
            results: vec![None; scenario.expect.len()],
            always_failed: vec![None; scenario.expect.len()],
            next_pool_index: scenario
                .pools
                .iter()
                .map(|p| (p.name.clone(), p.count))
                .collect(),
            finished: false,
            plan: opts.keep_plan.then(Vec::new),
            traffic: (!scenario.traffic.is_empty()).then(|| {
                crate::net::traffic::Traffic::new(
                    &scenario.traffic,
                    scenario.network.as_ref(),
                    &scenario.behavior,
                    seed,
                )
            }),
            autoscaler: scenario
                .autoscaler
                .as_ref()
                .map(|a| crate::autoscaler::Autoscaler::new(a, &scenario.pools)),
            external_usage: None,
            resume: Resume::Idle,
            held_wakes: Vec::new(),
            held_cmds: Vec::new(),
            releasing: None,
            feed_hold: None,
            scenario,
        };
        if sim.traffic.is_some() {
            sim.runtime.track_changes();
        }
        sim.scheduler.set_borg(sim.scenario.borg);
        sim.kubelets.set_borg(sim.scenario.borg);
        // `events` checks count from the first trace event on.
        for e in &sim.scenario.expect {
            if let Check::Events { filter, .. } = &e.check {
                sim.trace.watch(filter.clone());
            }
        }
        for i in 0..sim.scenario.timeline.len() {
            let at = SimTime(sim.scenario.timeline[i].at.as_millis());
            sim.queue.push(at, Event::Timeline(i));
        }
        for (i, e) in sim.scenario.expect.iter().enumerate() {
            if let When::At(t) = e.when {
                sim.queue.push(SimTime(t.as_millis()), Event::Expect(i));
            }
        }
        if let Some(r) = sim.scenario.borg.and_then(|b| b.reclamation) {
            let first = SimTime::ZERO.after(r.period);
            if first <= end {
                sim.queue.push(first, Event::Reclaim);
            }
        }
        if let Some(a) = &sim.autoscaler {
            let first = SimTime::ZERO.after(a.config.scan_interval);
            if first <= end {
                sim.queue.push(first, Event::Autoscale);
            }
        }
        sim.queue.push(end, Event::End);
        // t = 0: nodes, then objects.
        let nodes = sim.scenario.nodes.clone();
        let objects = sim.scenario.objects.clone();
        sim.with_ctx(|sim, ctx, _| {
            for n in nodes {
                sim.start_kubelet(ctx.now, &n);
                let _ = objects::create(ctx, Object::Node(n));
            }
            for o in objects {
                let who = o.display_key();
                objects::create_or_report(ctx, o, &who);
            }
        });
        sim.resume = Resume::Start(sim.new_settle());
        sim
    }

    /// The traffic model reads what changed at this instant (after the cluster settled).
    fn observe_traffic(&mut self) {
        if let Some(t) = &mut self.traffic {
            t.observe(&self.store, &mut self.runtime, self.now);
        }
    }

    /// Run a closure with a context; then submit its runtime commands and queue its wakes.
    fn with_ctx<R>(
        &mut self,
        f: impl FnOnce(&mut Self, &mut Ctx, &mut Vec<RuntimeCommand>) -> R,
    ) -> R {
        let r = self.with_held_ctx(f);
        self.release_held();
        r
    }

    /// `with_ctx` whose wake-ups and runtime commands stay held (`held_wakes`, `held_cmds`)
    /// until `release_held`: one context split over several calls.
    fn with_held_ctx<R>(
        &mut self,
        f: impl FnOnce(&mut Self, &mut Ctx, &mut Vec<RuntimeCommand>) -> R,
    ) -> R {
        let mut wakes = std::mem::take(&mut self.held_wakes);
        let mut cmds = std::mem::take(&mut self.held_cmds);
        let mut store = std::mem::take(&mut self.store);
        let mut rng = std::mem::replace(&mut self.rng, SimRng::new(0));
        let mut trace = std::mem::replace(&mut self.trace, TraceWriter::new(false, 0));
        let r = {
            let mut ctx = Ctx {
                now: self.now,
                store: &mut store,
                rng: &mut rng,
                trace: &mut trace,
                wakes: &mut wakes,
            };
            f(self, &mut ctx, &mut cmds)
        };
        self.store = store;
        self.rng = rng;
        self.trace = trace;
        self.held_wakes = wakes;
        self.held_cmds = cmds;
        r
    }

    /// Settle to the end (`external`'s writes).
    fn settle(&mut self) {
        let mut st = self.new_settle();
        let done = self.settle_budget(&mut st, &mut Budget::unlimited());
        debug_assert!(done);
    }

    fn new_settle(&self) -> Settle {
        Settle {
            round: 0,
            before: self.store.revision(),
            stage: Stage::Controllers,
        }
    }

    /// Run every component until the store stops changing: rounds of controllers.sync →
    /// scheduler.sync → kubelets.sync in one context, until a round changes nothing. Returns
    /// false when the budget ran out first (`st` says where to go on).
    fn settle_budget(&mut self, st: &mut Settle, budget: &mut Budget) -> bool {
        loop {
            match st.stage {
                Stage::Controllers => {
                    // One unit per controller with changes to read, and per pod the ReplicaSet
                    // controller creates or deletes: the sync resumes where it paused.
                    if !self.with_held_ctx(|sim, ctx, _| sim.controllers.sync_budget(ctx, budget)) {
                        return false;
                    }
                    st.stage = Stage::Scheduler;
                    if budget.exhausted() {
                        return false;
                    }
                    continue;
                }
                Stage::Scheduler => {
                    if !self.with_held_ctx(|sim, ctx, _| sim.scheduler.sync_budget(ctx, budget)) {
                        return false;
                    }
                    st.stage = Stage::Kubelets;
                    // The scheduling cycles were the units of this turn.
                    if budget.exhausted() {
                        return false;
                    }
                    continue;
                }
                Stage::Kubelets => {
                    // One unit per changed pod: the kubelets' sync resumes where it paused.
                    if !self
                        .with_held_ctx(|sim, ctx, cmds| sim.kubelets.sync_budget(ctx, cmds, budget))
                    {
                        return false;
                    }
                    st.stage = Stage::Release;
                    if budget.exhausted() {
                        return false;
                    }
                    continue;
                }
                Stage::Release => {
                    // One unit per `release::CHUNK` commands submitted or answers queued.
                    if !self.release_budget(budget) {
                        return false;
                    }
                    if self.store.revision() == st.before {
                        let low = self
                            .controllers
                            .cursor()
                            .min(self.scheduler.cursor)
                            .min(self.kubelets.cursor)
                            .min(self.traffic.as_ref().map_or(u64::MAX, |t| t.cursor()))
                            .min(self.feed_hold.unwrap_or(u64::MAX));
                        self.store.compact(low);
                        return true;
                    }
                    st.round += 1;
                    if st.round >= MAX_SETTLE_ROUNDS {
                        panic!("the control plane did not settle at {} after {MAX_SETTLE_ROUNDS} rounds (a controller loop)", self.now);
                    }
                    st.before = self.store.revision();
                    st.stage = Stage::Controllers;
                }
            }
            budget.spend();
            if budget.exhausted() {
                return false;
            }
        }
    }

    /// Process every event of the next instant. Returns false when the run is over.
    pub fn step(&mut self) -> bool {
        loop {
            match self.step_budget(&mut Budget::unlimited()) {
                StepOutcome::Progress => {}
                StepOutcome::InstantDone => return true,
                StepOutcome::Finished => return false,
            }
        }
    }

    /// Whether a budgeted step paused inside an instant (or t=0 of `new_paused` is not
    /// settled yet): `now` is the instant being worked on, and the state is part-way.
    pub fn in_instant(&self) -> bool {
        !matches!(self.resume, Resume::Idle)
    }

    /// `step` in pieces: work on the current (or next) instant until it is complete or
    /// `budget` runs out. One unit is one event handled, one scheduling cycle, a piece of the
    /// controllers' sync (`Controllers::sync_budget`: a controller's sync, a reconcile, a pod
    /// created or deleted, 64 changes of a feed read), or one changed pod of the kubelets'
    /// sync.
    ///
    /// The trace and report are the same for every budget, because a call pauses only
    /// between two steps of `step`'s own loops, and the next call does exactly what the
    /// loop would have done next: after an event (the next `pop_due`), between the
    /// components of a settle round (the rest of the round), or between two scheduling
    /// cycles of the scheduler's loop (`Scheduler::sync_budget`: the next pop, not a new read
    /// of the change feed). The wake-ups and runtime commands of a round are held and handed
    /// to the event queue and the runtime when the round completes, in the order one
    /// uninterrupted context gives them. Nothing else may change the simulation between
    /// paused calls (front ends only read it).
    pub fn step_budget(&mut self, budget: &mut Budget) -> StepOutcome {
        loop {
            match std::mem::take(&mut self.resume) {
                Resume::Idle => {
                    if self.finished {
                        return StepOutcome::Finished;
                    }
                    let Some(t) = self.queue.peek_time() else {
                        self.finish();
                        return StepOutcome::Finished;
                    };
                    // Requests arriving before this instant meet the state as it was until now.
                    if let Some(tr) = &mut self.traffic {
                        tr.advance(t);
                    }
                    self.now = t;
                    self.resume = Resume::Instant {
                        due_checks: Vec::new(),
                        end: false,
                        phase: Phase::Events {
                            in_scheduler_wake: false,
                        },
                    };
                }
                Resume::Start(mut st) => {
                    if !self.settle_budget(&mut st, budget) {
                        self.resume = Resume::Start(st);
                        return StepOutcome::Progress;
                    }
                    self.observe_traffic();
                    return StepOutcome::InstantDone;
                }
                Resume::Instant {
                    mut due_checks,
                    mut end,
                    mut phase,
                } => {
                    let done = self.instant(&mut due_checks, &mut end, &mut phase, budget);
                    if !done {
                        self.resume = Resume::Instant {
                            due_checks,
                            end,
                            phase,
                        };
                        return StepOutcome::Progress;
                    }
                    self.observe_traffic();
                    self.check_always();
                    for i in due_checks {
                        self.check(i);
                    }
                    if end {
                        self.finish();
                        return StepOutcome::Finished;
                    }
                    return StepOutcome::InstantDone;
                }
            }
        }
    }

    /// The instant `now`: handle everything due, then let the control plane settle; repeat
    /// while settling scheduled more work for the same instant (zero-delay events). True when
    /// done, false when the budget ran out (`phase` says where to go on).
    fn instant(
        &mut self,
        due_checks: &mut Vec<usize>,
        end: &mut bool,
        phase: &mut Phase,
        budget: &mut Budget,
    ) -> bool {
        let t = self.now;
        loop {
            match phase {
                Phase::Events { in_scheduler_wake } => {
                    if *in_scheduler_wake {
                        if !self.with_held_ctx(|sim, ctx, _| sim.scheduler.sync_budget(ctx, budget))
                        {
                            return false;
                        }
                        self.release_held();
                        *in_scheduler_wake = false;
                    } else if let Some((_, ev)) = self.queue.pop_due(t) {
                        match ev {
                            Event::Timeline(i) => self.apply(i),
                            Event::Expect(i) => due_checks.push(i),
                            Event::Wake(Wake::Scheduler, _) => {
                                // The scheduler's loop may pause between its cycles.
                                let done = self.with_held_ctx(|sim, ctx, _| {
                                    sim.scheduler.sync_budget(ctx, budget)
                                });
                                if !done {
                                    *in_scheduler_wake = true;
                                    return false;
                                }
                                self.release_held();
                            }
                            Event::Wake(w, inc) => self.wake(w, inc),
                            Event::Reclaim => self.reclaim(),
                            Event::Autoscale => self.autoscale(),
                            Event::End => *end = true,
                        }
                    } else {
                        *phase = Phase::Settle(self.new_settle());
                        continue;
                    }
                }
                Phase::Settle(st) => {
                    if !self.settle_budget(st, budget) {
                        return false;
                    }
                    if self.queue.peek_time() != Some(t) {
                        return true;
                    }
                    *phase = Phase::Events {
                        in_scheduler_wake: false,
                    };
                    continue;
                }
            }
            budget.spend();
            if budget.exhausted() {
                return false;
            }
        }
    }

    /// Run to the end.
    pub fn run(&mut self) {
        while self.step() {}
    }

    fn wake(&mut self, w: Wake, inc: u64) {
        self.with_ctx(|sim, ctx, cmds| match w {
            // Handled by `instant`, which may pause it.
            Wake::Scheduler => sim.scheduler.sync(ctx),
            Wake::Runtime(ev) => {
                sim.runtime.set_now(ctx.now);
                if sim.runtime.accept(inc, &ev) {
                    if let Some(plan) = &mut sim.plan {
                        plan.push((ctx.now, PlanEntry::Event(ev.clone())));
                    }
                    sim.kubelets.handle(ctx, ev, cmds);
                }
            }
            Wake::PodWorker { node, pod_uid } => sim.kubelets.wake(ctx, &node, &pod_uid, cmds),
            Wake::NodeGc { node } => sim.kubelets.collect_garbage(ctx, &node, cmds),
            Wake::Controller { controller, key } => {
                let (runtime, now, ext) = (&sim.runtime, sim.now, &sim.external_usage);
                sim.controllers.wake(ctx, controller, &key, &|| {
                    external::usage_with(metrics::pod_usage(runtime, now), ext.as_ref())
                })
            }
            Wake::Drain(node) => sim.drains.wake(ctx, &node),
        });
    }

    /// A node's kubelet starts: it runs pods and renews the node's lease from now.
    fn start_kubelet(&mut self, now: SimTime, node: &crate::api::node::Node) {
        self.kubelets.add_node(node, now);
        self.controllers
            .node_lifecycle
            .kubelet_started(&node.metadata.name, now);
    }

    /// One pass of resource reclamation with the runtime's observed usage; then the next.
    fn reclaim(&mut self) {
        let Some(policy) = self.scenario.borg else {
            return;
        };
        let Some(cfg) = policy.reclamation else {
            return;
        };
        let usage = external::usage_with(
            metrics::pod_usage(&self.runtime, self.now),
            self.external_usage.as_ref(),
        );
        self.with_ctx(|_, ctx, _| {
            crate::sched::reclaim::tick::tick(ctx, &policy, &cfg, &usage);
        });
        let next = self.now.after(cfg.period);
        if next <= self.end {
            self.queue.push(next, Event::Reclaim);
        }
    }

    /// One loop of the cluster autoscaler; its node additions and removals become timeline
    /// actions (`addNodes` after the provisioning delay, `removeNodes` now); then the next loop.
    fn autoscale(&mut self) {
        use crate::autoscaler::Order;
        let Some(mut a) = self.autoscaler.take() else {
            return;
        };
        let orders = self.with_ctx(|_, ctx, _| a.tick(ctx));
        for o in orders {
            let (at, action) = match o {
                Order::AddNodes { pool, count, at } => (at, Action::AddNodes { pool, count }),
                Order::RemoveNode(n) => (self.now, Action::RemoveNodes(vec![n])),
            };
            let i = self.scenario.timeline.len();
            let nowhere = crate::yaml::Mark { line: 0, column: 0 };
            self.scenario
                .timeline
                .push(crate::scenario::timeline::TimelineEntry {
                    at: Duration(at.millis()),
                    action,
                    mark: nowhere,
                    target: nowhere,
                });
            if at <= self.end {
                self.queue.push(at, Event::Timeline(i));
            }
        }
        let next = self.now.after(a.config.scan_interval);
        if next <= self.end {
            self.queue.push(next, Event::Autoscale);
        }
        self.autoscaler = Some(a);
    }

    fn apply(&mut self, i: usize) {
        let action = self.scenario.timeline[i].action.clone();
        self.with_ctx(|sim, ctx, cmds| {
            let what = action.name();
            match action {
                Action::Apply(objs) => {
                    for o in objs {
                        let key = ObjectKey::of(&o);
                        let verb = if ctx.store.get(&key).is_some() {
                            "configured"
                        } else {
                            "created"
                        };
                        let display = o.display_key();
                        let o = match (ctx.store.get(&key).map(|s| &s.object), o) {
                            // Apply keeps identity and observed status (as the API server does).
                            (Some(old), mut new) => {
                                let meta = old.meta().clone();
                                new.meta_mut().uid = meta.uid;
                                keep_status(old, &mut new);
                                new
                            }
                            (None, new) => new,
                        };
                        if let Object::Node(n) = &o {
                            if ctx.store.get(&key).is_none() {
                                sim.start_kubelet(ctx.now, n);
                            } else {
                                sim.kubelets.add_node(n, ctx.now);
                            }
                        }
                        if objects::create_or_report(ctx, o, &display).is_some() {
                            ctx.event("Applied", display, None, format!("{what}: {verb}"));
                        }
                    }
                }
                Action::Delete {
                    target: r,
                    propagation,
                } => {
                    let key = ObjectKey::new(r.kind, &r.namespace, &r.name);
                    // The garbage collector takes care of the dependents.
                    objects::delete(ctx, &key, propagation);
                    ctx.event("Deleted", key.to_string(), None, "delete".into());
                }
                Action::Scale { target, replicas } => {
                    let key = ObjectKey::new(target.kind, &target.namespace, &target.name);
                    let Some(mut o) = ctx.store.get(&key).map(|s| s.object.clone()) else {
                        ctx.event("ScaleFailed", key.to_string(), None, "not found".into());
                        return;
                    };
                    match &mut o {
                        Object::Deployment(d) => d.spec.replicas = Some(replicas),
                        Object::ReplicaSet(r) => r.spec.replicas = Some(replicas),
                        Object::StatefulSet(s) => s.spec.replicas = Some(replicas),
                        _ => {}
                    }
                    let _ = ctx.store.update(o, None);
                    ctx.event(
                        "Scaled",
                        key.to_string(),
                        None,
                        format!("scaled to {replicas}"),
                    );
                }
                Action::SetImage {
                    target,
                    container,
                    image,
                } => set_image(ctx, &target, &container, &image),
                Action::RolloutUndo {
                    target,
                    to_revision,
                } => rollout_undo(ctx, &target, to_revision),
                Action::Cordon(n) | Action::Uncordon(n) => {
                    let cordon = what == "cordon";
                    modify_node(ctx, &n, |node| node.spec.unschedulable = cordon);
                    let reason = if cordon {
                        "NodeNotSchedulable"
                    } else {
                        "NodeSchedulable"
                    };
                    ctx.event(
                        reason,
                        format!("Node/{n}"),
                        Some(&n),
                        format!("Node {n} status is now: {reason}"),
                    );
                }
                Action::FailNode(n) => {
                    // The machine stops: no kubelet, no containers, no more lease renewals.
                    // The node lifecycle controller notices when the grace period runs out.
                    sim.kubelets.fail_node(&n);
                    sim.runtime.wipe_node(&n);
                    if let Some(t) = &mut sim.traffic {
                        t.set_node_down(&n, true);
                    }
                    sim.controllers.node_lifecycle.kubelet_stopped(ctx, &n);
                    ctx.event(
                        "NodeFailed",
                        format!("Node/{n}"),
                        Some(&n),
                        "failNode: the machine stopped".into(),
                    );
                }
                Action::RecoverNode(n) => {
                    // The kubelet starts again and posts Ready (its NodeReady event); the
                    // controllers take the taints off.
                    modify_node(ctx, &n, |node| set_ready(node, "True", "KubeletReady"));
                    ctx.event(
                        "NodeReady",
                        format!("Node/{n}"),
                        Some(&n),
                        format!("Node {n} status is now: NodeReady"),
                    );
                    sim.controllers.node_lifecycle.kubelet_started(&n, ctx.now);
                    sim.kubelets.recover_node(ctx, &n, cmds);
                    if let Some(t) = &mut sim.traffic {
                        t.set_node_down(&n, false);
                    }
                }
                Action::Drain(n) => {
                    modify_node(ctx, &n, |node| node.spec.unschedulable = true);
                    ctx.event(
                        "NodeNotSchedulable",
                        format!("Node/{n}"),
                        Some(&n),
                        format!("Node {n} status is now: NodeNotSchedulable"),
                    );
                    sim.drains.start(ctx, &n);
                }
                Action::RemoveNodes(names) => {
                    for n in names {
                        sim.kubelets.remove_node(&n);
                        sim.runtime.wipe_node(&n);
                        if let Some(t) = &mut sim.traffic {
                            t.set_node_down(&n, true);
                        }
                        sim.controllers.node_lifecycle.kubelet_removed(&n);
                        let _ = ctx.store.delete(&ObjectKey::new(Kind::Node, "", &n));
                        ctx.event(
                            "Deleted",
                            format!("Node/{n}"),
                            Some(&n),
                            "removeNodes".into(),
                        );
                    }
                }
                Action::SetTraffic { name, rps } => {
                    let found = sim
                        .traffic
                        .as_mut()
                        .is_some_and(|t| t.set_rate(&name, &rps, ctx.now));
                    let msg = if found {
                        format!("setTraffic: {name} at {rps} requests/s")
                    } else {
                        format!("setTraffic: no traffic entry named {name:?}")
                    };
                    ctx.event("TrafficChanged", format!("Traffic/{name}"), None, msg);
                }
                Action::AddNodes { pool, count } => {
                    let Some(p) = sim.scenario.pools.iter().find(|p| p.name == pool).cloned()
                    else {
                        return;
                    };
                    let next = *sim.next_pool_index.entry(pool.clone()).or_insert(p.count);
                    sim.next_pool_index.insert(pool.clone(), next + count);
                    for i in next..next + count {
                        let node = pool_node(&p, i);
                        let name = node.metadata.name.clone();
                        sim.start_kubelet(ctx.now, &node);
                        let _ = objects::create(ctx, Object::Node(node));
                        ctx.event(
                            "RegisteredNode",
                            format!("Node/{name}"),
                            Some(&name),
                            format!("Node {name} event: Registered Node {name} in Controller"),
                        );
                    }
                }
            }
        });
    }

    fn check_always(&mut self) {
        for i in 0..self.scenario.expect.len() {
            let e = &self.scenario.expect[i];
            if e.when != When::Always
                || self.always_failed[i].is_some()
                || self.now < SimTime(e.from.as_millis())
            {
                continue;
            }
            let w = World {
                store: &self.store,
                trace: &self.trace,
                traffic: self.traffic.as_ref(),
            };
            let (ok, n) = evaluate(&self.scenario.expect[i].check, &w);
            if !ok {
                self.always_failed[i] = Some((self.now, n));
            }
        }
    }

    fn check(&mut self, i: usize) {
        let e = &self.scenario.expect[i];
        let w = World {
            store: &self.store,
            trace: &self.trace,
            traffic: self.traffic.as_ref(),
        };
        let (passed, n) = evaluate(&e.check, &w);
        self.results[i] = Some(ExpectationResult {
            description: e.description.clone(),
            passed,
            detail: format!("observed {n} at {}", self.now),
        });
    }

    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        if let Some(t) = &mut self.traffic {
            t.advance(self.now);
            // One summary line per Service in the trace, so the trace hash covers the
            // traffic model's results too.
            let (services, _) = t.report();
            for s in services {
                self.trace.emit(crate::engine::TraceEvent {
                    t: self.now,
                    kind: "TrafficSummary".into(),
                    object: format!("Service/{}/{}", s.namespace, s.name),
                    node: None,
                    message: format!(
                        "{} requests, {} failed, p50 {}ms, p99 {}ms",
                        s.requests, s.failed, s.p50_ms, s.p99_ms
                    ),
                });
            }
        }
        let complete = self.now >= SimTime(self.scenario.duration.as_millis());
        for i in 0..self.scenario.expect.len() {
            let e = &self.scenario.expect[i];
            match e.when {
                When::End => {
                    if complete {
                        self.check(i)
                    }
                }
                When::Always => {
                    self.results[i] = Some(match self.always_failed[i] {
                        None => ExpectationResult {
                            description: e.description.clone(),
                            passed: true,
                            detail: format!("held until {}", self.now),
                        },
                        Some((t, n)) => ExpectationResult {
                            description: e.description.clone(),
                            passed: false,
                            detail: format!("first violated at {t}: observed {n}"),
                        },
                    })
                }
                When::At(_) => {}
            }
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The report of the run so far (complete once `run` returned).
    pub fn report(&self) -> Report {
        let results = self
            .scenario
            .expect
            .iter()
            .zip(&self.results)
            .map(|(e, r)| {
                r.clone().unwrap_or_else(|| ExpectationResult {
                    description: e.description.clone(),
                    passed: false,
                    detail: "not evaluated: the run stopped before its time".into(),
                })
            })
            .collect();
        Report::build(self, results)
    }

    pub fn end_time(&self) -> SimTime {
        self.end
    }

    /// When the next event is due (`None`: nothing left).
    pub fn next_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Where a budgeted step is paused, for front ends that time their slices (the page's
    /// per-unit timing): "idle" between instants, else the phase and the settle stage (in
    /// the controllers' stage, the controller whose turn it is; in the scheduler's, whether
    /// it is still reading the change feed).
    pub fn pause_point(&self) -> &'static str {
        match &self.resume {
            Resume::Idle => "idle",
            Resume::Start(st)
            | Resume::Instant {
                phase: Phase::Settle(st),
                ..
            } => match st.stage {
                Stage::Controllers => self.controllers.turn_name(),
                Stage::Scheduler if self.scheduler.is_reading_feed() => "scheduler feed",
                Stage::Scheduler => "scheduler",
                Stage::Kubelets => "kubelets",
                Stage::Release => "runtime",
            },
            Resume::Instant {
                phase: Phase::Events { in_scheduler_wake },
                ..
            } => {
                if *in_scheduler_wake {
                    "scheduler wake"
                } else {
                    "events"
                }
            }
        }
    }

    /// The recorded plan (empty unless `RunOptions::keep_plan`).
    pub fn plan(&self) -> &[(SimTime, PlanEntry)] {
        self.plan.as_deref().unwrap_or(&[])
    }

    /// The simulated runtime (container instances, modelled usage).
    pub fn runtime(&self) -> &SimRuntime {
        &self.runtime
    }

    /// The kubelets (pod workers), for tests and diagnostics.
    pub fn kubelets(&self) -> &Kubelets {
        &self.kubelets
    }
}

fn keep_status(old: &Object, new: &mut Object) {
    match (old, new) {
        (Object::Pod(o), Object::Pod(n)) => {
            n.status = o.status.clone();
            n.spec.node_name = o.spec.node_name.clone();
        }
        (Object::Deployment(o), Object::Deployment(n)) => n.status = o.status.clone(),
        (Object::ReplicaSet(o), Object::ReplicaSet(n)) => n.status = o.status.clone(),
        (Object::StatefulSet(o), Object::StatefulSet(n)) => n.status = o.status.clone(),
        (Object::DaemonSet(o), Object::DaemonSet(n)) => n.status = o.status.clone(),
        (Object::Job(o), Object::Job(n)) => n.status = o.status.clone(),
        (Object::CronJob(o), Object::CronJob(n)) => n.status = o.status.clone(),
        _ => {}
    }
}

/// `kubectl set image KIND/NAME CONTAINER=IMAGE`: the image of the named container (app or
/// init; `*`: every one) of the workload's pod template. Trace: `ImageUpdated`, or
/// `SetImageFailed` when the object or the container does not exist.
fn set_image(ctx: &mut Ctx, target: &ObjectRef, container: &str, image: &str) {
    let key = ObjectKey::new(target.kind, &target.namespace, &target.name);
    let Some(mut o) = ctx.store.get(&key).map(|s| s.object.clone()) else {
        ctx.event("SetImageFailed", key.to_string(), None, "not found".into());
        return;
    };
    let template = match &mut o {
        Object::Deployment(d) => &mut d.spec.template,
        Object::ReplicaSet(r) => &mut r.spec.template,
        Object::StatefulSet(s) => &mut s.spec.template,
        Object::DaemonSet(d) => &mut d.spec.template,
        _ => return,
    };
    let spec = &mut template.spec;
    let mut found = false;
    for c in spec
        .init_containers
        .iter_mut()
        .chain(spec.containers.iter_mut())
    {
        if container == "*" || c.name == container {
            c.image = image.to_string();
            found = true;
        }
    }
    if !found {
        ctx.event(
            "SetImageFailed",
            key.to_string(),
            None,
            format!("unable to find container named {container:?}"),
        );
        return;
    }
    let changed = ctx.store.get(&key).map(|s| &s.object) != Some(&o);
    if changed {
        let _ = ctx.store.update(o, None);
    }
    ctx.event(
        "ImageUpdated",
        key.to_string(),
        None,
        format!("image updated: {container}={image}"),
    );
}

/// `kubectl rollout undo deployment/NAME [--to-revision=N]`: ask the Deployment controller to
/// roll back, as the rollback subresource did (the `deprecated.deployment.rollback.to`
/// annotation; the controller copies that revision's template back). kubectl refuses a paused
/// Deployment. Trace: `RolloutUndo`, or `RolloutUndoFailed`.
fn rollout_undo(ctx: &mut Ctx, target: &ObjectRef, to_revision: i64) {
    let key = ObjectKey::new(Kind::Deployment, &target.namespace, &target.name);
    let Some(Object::Deployment(mut d)) = ctx.store.get(&key).map(|s| s.object.clone()) else {
        ctx.event(
            "RolloutUndoFailed",
            key.to_string(),
            None,
            "not found".into(),
        );
        return;
    };
    if d.spec.paused {
        ctx.event(
            "RolloutUndoFailed",
            key.to_string(),
            None,
            format!(
                "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{}' and try again",
                target.name
            ),
        );
        return;
    }
    d.metadata.annotations.insert(
        crate::controllers::deployment::util::ROLLBACK_TO.into(),
        to_revision.to_string(),
    );
    let _ = ctx.store.update(Object::Deployment(d), None);
    let message = if to_revision == 0 {
        "rollback to the previous revision".to_string()
    } else {
        format!("rollback to revision {to_revision}")
    };
    ctx.event("RolloutUndo", key.to_string(), None, message);
}

fn modify_node(ctx: &mut Ctx, name: &str, f: impl FnOnce(&mut crate::api::node::Node)) {
    let key = ObjectKey::new(Kind::Node, "", name);
    if let Some(Object::Node(mut n)) = ctx.store.get(&key).map(|s| s.object.clone()) {
        f(&mut n);
        let _ = ctx.store.update(Object::Node(n), None);
    }
}

fn set_ready(node: &mut crate::api::node::Node, status: &str, reason: &str) {
    node.status.conditions.retain(|c| c.kind != "Ready");
    node.status.conditions.push(NodeCondition {
        kind: "Ready".into(),
        status: status.into(),
        reason: reason.into(),
    });
}
