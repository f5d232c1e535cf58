//! A playground session: one scenario text, its seed, and the core `Sim` running it in
//! budgeted slices (`Sim::step_budget`: a slice may end inside a simulated instant, so one
//! long instant spreads over several animation frames), plus what the page draws from it (samples for the charts, the trace for
//! the event log, the cluster view).
//!
//! Everything here is plain Rust over `cellsim-core` (no browser APIs), so it is tested
//! natively; the page only decides *how many* steps to take per frame. A session always runs
//! exactly what `cellsim run <its text> --seed <its seed>` runs: what-if actions are written
//! into the text's timeline and the run is replayed from t=0, never patched into the running
//! state, so the page's trace is byte-identical to the CLI's for the exported scenario.

use crate::timeline_edit::{append_timeline_entry, EditError, WhatIf};
use cellsim_core::api::{Kind, Object};
use cellsim_core::collections::OrdMap;
use cellsim_core::scenario::{Scenario, Sources};
use cellsim_core::sim::budget::{Budget, StepOutcome};
use cellsim_core::sim::view::{ClusterTotals, ClusterView, ViewCache};
use cellsim_core::sim::{RunOptions, Sim};
use cellsim_core::time::SimTime;
use cellsim_core::yaml::LoadError;

/// Record scheduling decisions (for the pod panel) by default only up to this many nodes:
/// each decision keeps every scored node's per-plugin scores, which at 1000 nodes and 30,000
/// pods would be hundreds of megabytes. The page has a switch to turn it on for any size.
pub const EXPLAIN_DEFAULT_MAX_NODES: usize = 200;

/// Units of core work (`sim::budget`: events, scheduling cycles, component syncs) between two
/// looks at the caller's `keep_going` in `run_until`: how far a frame's stepping may overshoot
/// its budget. Natively, through the hour of `sim-web/bench/churn-1000n-30000p.yaml`, slices of
/// 16 units took up to 5.7 ms at the 99th percentile and 23 ms at the 99.9th; of 4 units,
/// 2.1 and 8.2 ms, for the same total (a look costs nothing next to a unit).
pub const SLICE_UNITS: u64 = 4;

/// Units of t=0 that loading settles before it returns: all of a small scenario's (so a loaded
/// page shows its pods at once), a slice of a big one's (the page settles the rest in
/// frames).
pub const LOAD_UNITS: u64 = 256;

/// How many chart samples a run takes at most (one per `duration / SAMPLES`, at least 1 s).
pub const SAMPLES: u64 = 400;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("no built-in scenario named {0:?}")]
    NoBuiltin(String),
    #[error("what-if: {0}")]
    Edit(#[from] EditError),
}

/// Core's `Sources` for a scenario held as text: the text under its own path, and the
/// embedded library for every file it references (`file: manifests/...`).
pub struct TextSources<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

impl Sources for TextSources<'_> {
    fn read(&self, path: &str) -> Result<String, String> {
        if path == self.path {
            Ok(self.text.to_string())
        } else {
            cellsim_scenarios::Embedded.read(path)
        }
    }
}

/// Per-service series for the charts: request rate, success rate and p50 latency of the
/// traffic model's latest window (`Traffic::live`); empty for scenarios without traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServicePoint {
    /// Requests per second, in thousandths.
    pub milli_rps: u64,
    /// Successful requests, in thousandths of all.
    pub success_permille: u64,
    pub latency_ms: u64,
}

/// One chart sample: the cluster's totals at a simulated instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    pub t_ms: u64,
    pub totals: ClusterTotals,
    pub services: OrdMap<String, ServicePoint>,
}

pub use crate::trace_line::TraceLine;

/// A report as its JSON text (`cellsim run --json`'s contract, pretty-printed).
pub fn report_text(report: &cellsim_core::report::Report) -> String {
    serde_json::to_string_pretty(report).expect("reports serialize")
}

/// A scalable or image-settable workload, for the what-if menus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub replicas: Option<i32>,
    pub containers: Vec<String>,
}

pub struct Session {
    path: String,
    text: String,
    seed: Option<u64>,
    explain: bool,
    sim: Sim,
    samples: Vec<Sample>,
    sample_every: u64,
    next_sample: u64,
    whatifs: Vec<(SimTime, WhatIf)>,
    /// The pods' views of the last cluster view or sample, re-derived only where they changed
    /// (from the store's change feed, whose compaction the session holds at the cache's
    /// cursor).
    view_cache: std::cell::RefCell<ViewCache>,
}

/// A scenario text parsed and checked, its run not built yet: opening a session in two steps
/// (`Opening::parse`, then `Opening::open`) lets the page put them in different tasks. Parsing
/// is quick and says at once what is wrong with a text; building the run
/// (`Sim::new_paused`: every node and object into the store, a kubelet per node) takes tens of
/// milliseconds at 1,000 nodes in the page, and the first render of what it built takes as
/// long again, so the page does it in an animation frame of its own, after a first render
/// without it (docs/benchmarks.md, "the page's start").
pub struct Opening {
    path: String,
    text: String,
    seed: Option<u64>,
    explain: bool,
    scenario: Scenario,
}

impl Opening {
    /// Parse and check a scenario text (`path` names it, and is where its relative `file:`s
    /// resolve). `explain: None` records decisions when the cluster has at most
    /// `EXPLAIN_DEFAULT_MAX_NODES` nodes at t=0.
    pub fn parse(
        path: &str,
        text: &str,
        seed: Option<u64>,
        explain: Option<bool>,
    ) -> Result<Opening, SessionError> {
        let scenario = cellsim_core::scenario::load(path, &TextSources { path, text })?;
        Ok(Opening {
            path: path.to_string(),
            text: text.to_string(),
            seed,
            explain: explain.unwrap_or(scenario.nodes.len() <= EXPLAIN_DEFAULT_MAX_NODES),
            scenario,
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Nodes at t=0.
    pub fn nodes(&self) -> usize {
        self.scenario.nodes.len()
    }

    /// Build the run, paused before t=0 (the initial nodes and objects in the store, nothing
    /// settled yet: `Session::in_instant`), for the caller to settle in slices.
    pub fn open(self) -> Session {
        let sample_every = (self.scenario.duration.as_millis() / SAMPLES).max(1_000);
        let sim = Sim::new_paused(self.scenario, &Session::options(self.seed, self.explain));
        Session {
            path: self.path,
            text: self.text,
            seed: self.seed,
            explain: self.explain,
            sim,
            samples: Vec::new(),
            sample_every,
            next_sample: 0,
            whatifs: Vec::new(),
            view_cache: Default::default(),
        }
    }
}

impl Session {
    /// Load a scenario text (`Opening::parse`, then `Opening::open`) and settle its t=0 up to
    /// `LOAD_UNITS` (all of a small scenario's; the page settles the rest of a big one's in
    /// frames).
    pub fn load(
        path: &str,
        text: &str,
        seed: Option<u64>,
        explain: Option<bool>,
    ) -> Result<Session, SessionError> {
        let mut s = Opening::parse(path, text, seed, explain)?.open();
        s.sim.step_budget(&mut Budget::new(LOAD_UNITS));
        s.sample();
        Ok(s)
    }

    /// A built-in scenario by `metadata.name` (or file stem).
    pub fn builtin(name: &str, seed: Option<u64>) -> Result<Session, SessionError> {
        let (path, text) =
            builtin_text(name).ok_or_else(|| SessionError::NoBuiltin(name.into()))?;
        Session::load(path, text, seed, None)
    }

    fn options(seed: Option<u64>, explain: bool) -> RunOptions {
        RunOptions {
            seed,
            keep_trace: true,
            explain,
            until: None,
            keep_plan: false,
        }
    }

    /// Start over from t=0 with the same text and seed.
    pub fn reset(&mut self) {
        let scenario = cellsim_core::scenario::load(
            &self.path,
            &TextSources {
                path: &self.path,
                text: &self.text,
            },
        )
        .expect("the session's text loaded before");
        self.sim = Sim::new_paused(scenario, &Self::options(self.seed, self.explain));
        self.sim.step_budget(&mut Budget::new(LOAD_UNITS));
        self.samples.clear();
        self.view_cache = Default::default();
        self.next_sample = 0;
        self.sample();
    }

    /// Turn decision recording on or off; the run starts over (decisions are recorded as the
    /// scheduler makes them).
    pub fn set_explain(&mut self, on: bool) {
        self.explain = on;
        self.reset();
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }
    pub fn path(&self) -> &str {
        &self.path
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }
    /// The seed the run uses (the override, or the scenario's own).
    pub fn effective_seed(&self) -> u64 {
        self.sim.seed
    }
    pub fn explain(&self) -> bool {
        self.explain
    }
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }
    /// The instant being worked on (inside one: `in_instant`), or the last one completed.
    pub fn now(&self) -> SimTime {
        self.sim.now
    }
    /// The cluster view now (`Sim::cluster_view`, through the session's `ViewCache`).
    pub fn cluster_view(&mut self) -> ClusterView {
        let view = self.sim.cluster_view_cached(self.view_cache.get_mut());
        self.view_cache.get_mut().hold_feed(&mut self.sim);
        view
    }

    /// Read the store's changes into the view cache while `keep_going` says so (the page
    /// spreads a large backlog over frames); true when it is up to date, and
    /// `cluster_view` then costs only the changes since.
    pub fn refresh_view(&mut self, keep_going: &mut dyn FnMut() -> bool) -> bool {
        let done = self
            .view_cache
            .get_mut()
            .refresh_budget(&self.sim, keep_going);
        self.view_cache.get_mut().hold_feed(&mut self.sim);
        done
    }

    /// Whether the run stopped inside an instant (also t=0 before its first steps): the state
    /// is part-way through `now`.
    pub fn in_instant(&self) -> bool {
        self.sim.in_instant()
    }
    pub fn end(&self) -> SimTime {
        self.sim.end_time()
    }
    pub fn finished(&self) -> bool {
        self.sim.is_finished()
    }
    /// The what-if actions added in this session, with their times.
    pub fn whatifs(&self) -> &[(SimTime, WhatIf)] {
        &self.whatifs
    }

    /// A chart sample, taken only at instant boundaries (a part-way instant is not one).
    fn sample(&mut self) {
        if self.sim.in_instant() {
            return;
        }
        let now = self.sim.now.millis();
        if now < self.next_sample && !self.sim.is_finished() {
            return;
        }
        let services = self
            .sim
            .traffic
            .as_ref()
            .map(|t| {
                t.live(self.sim.now)
                    .into_iter()
                    .map(|p| {
                        (
                            p.service,
                            ServicePoint {
                                milli_rps: p.milli_rps,
                                success_permille: p.success_permille,
                                latency_ms: p.p50_us / 1000,
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let sample = Sample {
            t_ms: now,
            totals: self.sim.cluster_totals_cached(self.view_cache.get_mut()),
            services,
        };
        // The cache reads the store's change feed from here on (`ViewCache::hold_feed`).
        self.view_cache.get_mut().hold_feed(&mut self.sim);
        match self.samples.last_mut() {
            Some(last) if last.t_ms == now => *last = sample,
            _ => self.samples.push(sample),
        }
        self.next_sample = (now / self.sample_every + 1) * self.sample_every;
    }

    /// Process the next instant (every event due then), or the rest of the instant the run
    /// stopped in. False when the run is over.
    pub fn step(&mut self) -> bool {
        let more = self.sim.step();
        self.sample();
        more
    }

    /// Work through every instant up to and including `t` while `keep_going()` says so, asking
    /// it every `SLICE_UNITS` units of core work: it may stop the run inside an instant, and
    /// the next call goes on from there (the run is the same as stepping it whole). Returns
    /// true when nothing at or before `t` is left (or the run ended), false when `keep_going`
    /// stopped it first.
    pub fn run_until(&mut self, t: SimTime, keep_going: &mut dyn FnMut() -> bool) -> bool {
        loop {
            if self.sim.is_finished() {
                return true;
            }
            if !self.sim.in_instant() {
                match self.sim.next_time() {
                    Some(next) if next <= t => {}
                    Some(_) => return true,
                    None => {
                        self.step();
                        return true;
                    }
                }
            }
            if !keep_going() {
                return false;
            }
            match self.sim.step_budget(&mut Budget::new(SLICE_UNITS)) {
                StepOutcome::Progress => {}
                StepOutcome::InstantDone | StepOutcome::Finished => self.sample(),
            }
        }
    }

    /// Run to the end (tests, and the page's `autorun` when the budget is unlimited).
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// Add a what-if action at the current time: the text gets a timeline entry, the run
    /// starts over, and the caller replays it up to the returned time (where it was).
    pub fn apply_whatif(&mut self, w: WhatIf) -> Result<SimTime, SessionError> {
        let at = self.sim.now;
        let text = append_timeline_entry(&self.text, at, &w)?;
        let mut next = Session::load(&self.path, &text, self.seed, Some(self.explain))?;
        next.whatifs = std::mem::take(&mut self.whatifs);
        next.whatifs.push((at, w));
        *self = next;
        Ok(at)
    }

    /// Score with another NodeResourcesFit strategy and weights (`timeline_edit::set_scoring`):
    /// the configuration holds from t=0, so the run starts over.
    pub fn set_scoring(
        &mut self,
        strategy: &str,
        fit: u32,
        balanced: u32,
    ) -> Result<(), SessionError> {
        let text = crate::timeline_edit::set_scoring(&self.text, strategy, fit, balanced)?;
        let mut next = Session::load(&self.path, &text, self.seed, Some(self.explain))?;
        next.whatifs = std::mem::take(&mut self.whatifs);
        *self = next;
        Ok(())
    }

    /// The report of the run so far (complete once the run finished).
    pub fn report(&self) -> cellsim_core::report::Report {
        self.sim.report()
    }

    /// The JSON report of the run so far (`cellsim run --json`'s contract; complete once the
    /// run finished).
    pub fn report_json(&self) -> String {
        report_text(&self.sim.report())
    }

    pub fn trace_hash(&self) -> String {
        self.sim.trace.hash_hex()
    }

    /// The trace so far (JSON lines, exactly what `cellsim run --trace` writes).
    pub fn trace_bytes(&self) -> &[u8] {
        self.sim.trace.bytes()
    }

    /// The last `limit` trace events whose line contains every word of `filter`
    /// (case-insensitive), oldest first.
    pub fn events(&self, filter: &str, limit: usize) -> Vec<TraceLine> {
        let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
        self.last_lines(limit, |line| {
            let l = line.to_lowercase();
            words.iter().all(|w| l.contains(w.as_str()))
        })
    }

    /// Every trace event of one object (e.g. `Pod/default/web-abc`), oldest first (at most
    /// `limit`, the latest).
    pub fn object_events(&self, object: &str, limit: usize) -> Vec<TraceLine> {
        let needle = format!(
            "\"object\":{}",
            serde_json::to_string(object).unwrap_or_default()
        );
        self.last_lines(limit, |line| line.contains(&needle))
    }

    fn last_lines(&self, limit: usize, mut keep: impl FnMut(&str) -> bool) -> Vec<TraceLine> {
        let text = String::from_utf8_lossy(self.trace_bytes());
        let mut out: Vec<TraceLine> = text
            .lines()
            .rev()
            .filter(|l| keep(l))
            .take(limit)
            .filter_map(TraceLine::parse)
            .collect();
        out.reverse();
        out
    }

    /// Deployments, StatefulSets, ReplicaSets without a controller, and DaemonSets (set image
    /// only), for the what-if menus.
    pub fn workloads(&self) -> Vec<Workload> {
        let mut out = Vec::new();
        for kind in [
            Kind::Deployment,
            Kind::StatefulSet,
            Kind::ReplicaSet,
            Kind::DaemonSet,
        ] {
            for o in self.sim.store.objects(kind) {
                let (replicas, template) = match o {
                    Object::Deployment(d) => (d.spec.replicas, &d.spec.template),
                    Object::StatefulSet(s) => (s.spec.replicas, &s.spec.template),
                    Object::ReplicaSet(r) if r.metadata.controller_of().is_none() => {
                        (r.spec.replicas, &r.spec.template)
                    }
                    Object::DaemonSet(d) => (None, &d.spec.template),
                    _ => continue,
                };
                let m = o.meta();
                out.push(Workload {
                    kind: format!("{kind:?}"),
                    namespace: if m.namespace.is_empty() {
                        "default".into()
                    } else {
                        m.namespace.clone()
                    },
                    name: m.name.clone(),
                    replicas: if kind == Kind::DaemonSet {
                        None
                    } else {
                        Some(replicas.unwrap_or(1))
                    },
                    containers: template
                        .spec
                        .init_containers
                        .iter()
                        .chain(&template.spec.containers)
                        .map(|c| c.name.clone())
                        .collect(),
                });
            }
        }
        out
    }

    /// The scenario's node pools (what `addNodes` can grow).
    pub fn pools(&self) -> Vec<String> {
        self.sim
            .scenario
            .pools
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }
}

/// A built-in scenario's path and text, by `metadata.name` or file stem.
pub fn builtin_text(name: &str) -> Option<(&'static str, &'static str)> {
    let path = cellsim_scenarios::find(name)?;
    cellsim_scenarios::files()
        .iter()
        .find(|(p, _)| *p == path)
        .copied()
}

/// The built-in scenarios: (file stem, `metadata.name`, description), in path order. Only
/// each file's `metadata` is read, from the text before its top-level `spec:` when that holds
/// it (the whole file otherwise): parsing and checking all 33 files was 100–150 ms of the
/// page's first render, parsing them whole 45 ms of a frame (every built-in scenario loads:
/// the replay tests run them all).
pub fn gallery() -> Vec<(String, String, String)> {
    let head = |p: &str, text: &str| {
        cellsim_core::scenario::spec::ScenarioMeta::read_all(p, text)
            .ok()?
            .into_iter()
            .next()
    };
    cellsim_scenarios::scenario_paths()
        .into_iter()
        .filter_map(|p| {
            let text = cellsim_scenarios::Embedded.read(p).ok()?;
            let before_spec = text.find("\nspec:").map(|i| &text[..i]);
            let h = before_spec
                .and_then(|t| head(p, t))
                .or_else(|| head(p, &text))?;
            let stem = p.trim_start_matches("scenarios/").trim_end_matches(".yaml");
            Some((stem.to_string(), h.name, h.description.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stepping_a_built_in_scenario_gives_the_same_report_as_running_it_in_one_go() {
        let mut stopped_inside = 0;
        for name in ["quickstart", "node-failure", "crashloop"] {
            let cli = cellsim_scenarios::run_builtin_json(name, Some(3)).unwrap();
            let cli: serde_json::Value = serde_json::from_str(&cli).unwrap();
            let mut s = Session::builtin(name, Some(3)).unwrap();
            // Time-sliced as the page does it: a few instants at a time, up to moving targets.
            let end = s.end();
            let mut t = 0;
            while !s.finished() {
                t += 7_000;
                let mut budget = 5;
                s.run_until(SimTime(t.min(end.millis())), &mut || {
                    budget -= 1;
                    budget > 0
                });
                stopped_inside += u32::from(s.in_instant());
                if t >= end.millis() {
                    s.run_until(end, &mut || true);
                }
            }
            let page: serde_json::Value = serde_json::from_str(&s.report_json()).unwrap();
            assert_eq!(page["traceHash"], cli["traceHash"], "{name}");
            assert_eq!(page["pods"], cli["pods"], "{name}");
            assert_eq!(page["events"], cli["events"], "{name}");
            assert_eq!(page["scheduling"], cli["scheduling"], "{name}");
            assert_eq!(s.effective_seed(), 3);
            assert!(s.samples().windows(2).all(|w| w[0].t_ms < w[1].t_ms));
            // The kept trace is what the hash covers.
            use sha2::Digest;
            let digest = sha2::Sha256::digest(s.trace_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, s.trace_hash(), "{name}");
        }
        assert!(stopped_inside > 0, "never stopped inside an instant");
    }

    #[test]
    fn a_what_if_is_replayed_from_the_start_and_equals_the_cli_on_the_exported_text() {
        let mut s = Session::builtin("quickstart", None).unwrap();
        s.run_until(SimTime(60_000), &mut || true);
        let node = s.sim().cluster_view().nodes[1].name.clone();
        let at = s.apply_whatif(WhatIf::FailNode(node.clone())).unwrap();
        assert_eq!(at, SimTime(60_000));
        assert_eq!(s.now(), SimTime::ZERO, "the run starts over");
        assert!(s
            .text()
            .contains(&format!("- at: 1m0s\n    failNode: {{node: \"{node}\"}}")));
        s.run_until(at, &mut || true);
        assert_eq!(s.now(), at);
        assert_eq!(s.events("NodeFailed", 10).len(), 1);
        let w = s.workloads().into_iter().find(|w| w.name == "web").unwrap();
        assert_eq!(w.containers, ["nginx"]);
        s.apply_whatif(WhatIf::Scale {
            kind: w.kind,
            namespace: w.namespace,
            name: w.name,
            replicas: 2,
        })
        .unwrap();
        assert_eq!(s.whatifs().len(), 2);
        s.run_to_end();
        // The exported text replayed as the CLI does (a fresh load of the same text).
        let cli = cellsim_core::run_scenario(
            s.path(),
            &TextSources {
                path: s.path(),
                text: s.text(),
            },
            &RunOptions::default(),
        )
        .unwrap();
        assert_eq!(cli.trace.hash_hex(), s.trace_hash());
        assert_ne!(
            s.trace_hash(),
            Session::builtin("quickstart", None)
                .map(|mut q| {
                    q.run_to_end();
                    q.trace_hash()
                })
                .unwrap()
        );
        let pod_events = s.object_events(&format!("Node/{node}"), 50);
        assert!(
            pod_events.iter().any(|e| e.kind == "NodeFailed"),
            "{pod_events:?}"
        );
    }

    #[test]
    fn another_scoring_strategy_replays_the_run_with_other_placements() {
        // MostAllocated packs pods onto fewer nodes than the default LeastAllocated spreads
        // them over, in a scenario with room to choose.
        let used = |s: &Session| {
            s.sim()
                .cluster_view()
                .nodes
                .iter()
                .filter(|n| n.active_pods() > 0)
                .count()
        };
        let mut changed = Vec::new();
        for name in [
            "quickstart",
            "online-boutique",
            "sock-shop",
            "guestbook-capacity",
        ] {
            let mut least = Session::builtin(name, None).unwrap();
            least.run_to_end();
            let mut most = Session::builtin(name, None).unwrap();
            most.set_scoring("MostAllocated", 5, 1).unwrap();
            assert!(most.text().contains("type: MostAllocated"));
            most.run_to_end();
            if least.trace_hash() != most.trace_hash() {
                assert!(used(&most) <= used(&least), "{name}");
                changed.push(name);
            }
            assert!(matches!(
                most.set_scoring("LeastAllocated", 1, 1),
                Err(SessionError::Edit(_))
            ));
        }
        assert!(!changed.is_empty(), "no placement changed");
    }

    #[test]
    fn bad_text_reports_its_line_and_column() {
        let err = Session::load("scenarios/x.yaml", "apiVersion: cellsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  duration: 5 minutes\n", None, None)
            .err()
            .unwrap();
        match err {
            SessionError::Load(e) => {
                assert_eq!(
                    (e.file.as_str(), e.line, e.column),
                    ("scenarios/x.yaml", 5, 13)
                );
            }
            e => panic!("{e}"),
        }
        assert!(matches!(
            Session::builtin("nope", None),
            Err(SessionError::NoBuiltin(_))
        ));
    }

    #[test]
    fn samples_cover_the_run_and_the_gallery_lists_every_scenario() {
        let mut s = Session::builtin("quickstart", None).unwrap();
        s.run_to_end();
        let samples = s.samples();
        assert!(samples.len() > 100, "{}", samples.len());
        assert_eq!(samples[0].t_ms, 0);
        assert_eq!(samples.last().unwrap().t_ms, s.end().millis());
        assert!(samples.windows(2).all(|w| w[0].t_ms < w[1].t_ms));
        assert_eq!(samples.last().unwrap().totals.running, 3);
        assert!(samples.iter().any(|x| x.totals.running == 8));
        let g = gallery();
        assert_eq!(g.len(), cellsim_scenarios::scenario_paths().len());
        // Read from the files' metadata only: the same as loading each scenario.
        for ((stem, name, d), p) in g.iter().zip(cellsim_scenarios::scenario_paths()) {
            let full = cellsim_core::scenario::load(p, &cellsim_scenarios::Embedded).unwrap();
            assert_eq!(p, format!("scenarios/{stem}.yaml"));
            assert_eq!((name, d.as_str()), (&full.name, full.description.trim()));
        }
        assert!(g
            .iter()
            .any(|(stem, name, d)| stem == "quickstart" && name == "quickstart" && !d.is_empty()));
    }

    #[test]
    fn service_series_show_the_rollout_losing_requests() {
        // rolling-update-traffic: "naive" loses requests in the window of the rollout at 2m;
        // "safe" never does; both take about 200 requests/s.
        let mut s = Session::builtin("rolling-update-traffic", None).unwrap();
        s.run_to_end();
        let points = |svc: &str| -> Vec<(u64, ServicePoint)> {
            s.samples()
                .iter()
                .filter_map(|x| x.services.get(svc).map(|p| (x.t_ms, p.clone())))
                .collect()
        };
        let naive = points("naive");
        let safe = points("safe");
        assert!(!naive.is_empty() && !safe.is_empty());
        assert!(
            safe.iter().all(|(_, p)| p.success_permille == 1000),
            "{safe:?}"
        );
        assert!(
            naive
                .iter()
                .any(|(t, p)| (120_000..=130_000).contains(t) && p.success_permille < 990),
            "{naive:?}"
        );
        let late = &naive.last().unwrap().1;
        assert!((150_000..=250_000).contains(&late.milli_rps), "{late:?}");
        assert!((15..=25).contains(&late.latency_ms), "{late:?}");
    }
}
