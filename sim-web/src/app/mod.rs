//! The Yew app: function components over one `use_reducer` state (`Model`, changed only by
//! `Msg`s). The run itself lives in a `Session` behind `Rc<RefCell<..>>` inside the model;
//! the page advances it from `requestAnimationFrame`, a time-sliced batch of work per frame
//! (`Session::run_until` with `STEP_BUDGET_MS`; a frame may stop inside a simulated instant,
//! so even an instant that schedules thousands of pods never freezes the page). A loaded or
//! replayed run settles its t=0 the same way (`Model::settle_start`).
//!
//! Components, by what the user sees: `scenario` (gallery, YAML editor, file, seed),
//! `controls` (play, pause, step, speed, jump, reset, status line with the trace hash),
//! `cluster` (nodes by pool and zone, pods, pending pods), `pod` (a pod's scheduling decisions
//! and events), `charts` (SVG series), `events` (the trace with a filter), `whatif`, `export`
//! (downloads, share link) and `report` (the JSON report and its summary numbers).

mod charts;
mod cluster;
mod controls;
mod dom;
mod events;
mod export;
mod frame_budget;
mod planning;
mod pod;
mod report;
mod scenario;
mod whatif;

use crate::planner::{Job, Planner};
use crate::session::{Opening, Session, SessionError};
use crate::share::{decode_text, parse_query};
use crate::timeline_edit::WhatIf;
use cellsim_core::collections::OrdSet;
use cellsim_core::sim::view::ClusterView;
use cellsim_core::time::{Duration, SimTime};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Milliseconds of work per animation frame (a due cluster view, then stepping): the rest of
/// the frame is for rendering. 28 ms for the frames that only step (two 60 Hz refresh periods
/// less the render) made no run faster and more frames long, at load average 5
/// (docs/benchmarks.md, "the page's start").
pub const STEP_BUDGET_MS: f64 = 24.0;

/// Of that budget, at most this much goes to reading the store's changes into the view cache
/// in frames inside a long instant (`Model::frame`).
pub const CATCH_UP_MS: f64 = 6.0;

/// Above this many pods the cluster view (and the summary) is rebuilt at most once per
/// `LARGE_VIEW_EVERY_MS` while the run plays: building it walks every pod.
pub const LARGE_PODS: usize = 3000;
pub const LARGE_VIEW_EVERY_MS: f64 = 1000.0;

/// Speeds: simulated seconds per wall second, `None` = as fast as possible.
pub const SPEEDS: [(&str, Option<f64>); 6] = [
    ("real time", Some(1.0)),
    ("10×", Some(10.0)),
    ("60×", Some(60.0)),
    ("600×", Some(600.0)),
    ("3600×", Some(3600.0)),
    ("max", None),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Paused,
    Playing,
    /// Running as fast as possible up to a time, then pausing (jump, and the replay after a
    /// what-if).
    Seeking(SimTime),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Cluster,
    Charts,
    Events,
    Report,
    Plan,
}

/// A load error to show in the editor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditorError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Frame timing, measured between animation frames while the simulation advances.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrameStats {
    pub frames: u64,
    pub last_ms: f64,
    pub max_ms: f64,
    pub total_ms: f64,
    /// Wall time from the first frame of a run to its end.
    pub run_wall_ms: Option<f64>,
    pub run_started: Option<f64>,
    /// Of the run's wall time: milliseconds inside `Session::run_until` (the core stepping)
    /// and building the cluster view; the rest is rendering and the browser's frame pacing.
    pub step_ms: f64,
    pub view_ms: f64,
    /// Frames longer than `LONG_FRAME_MS`.
    pub long_frames: u64,
    /// The `WORST_KEPT` longest frames, longest first, each with what the frame before it
    /// spent: the gap, its index and mode, then the previous frame's stepping, view, whole
    /// update and update + render (until the page's effect ran); the rest of the gap is the
    /// browser's (style, layout, paint, garbage collection) or idle.
    pub worst: Vec<(f64, String)>,
    /// The last frame's (step, view, update) milliseconds.
    prev: (f64, f64, f64),
}

/// A frame longer than this is counted as long (`FrameStats::long_frames`).
pub const LONG_FRAME_MS: f64 = 50.0;
/// How many of the longest frames `FrameStats::worst` describes.
pub const WORST_KEPT: usize = 5;

thread_local! {
    /// When the last animation frame's handler started, and how long after that its render
    /// was committed (the app's effect, `App`): how the page's time splits between the update
    /// and rendering (`FrameStats::worst`).
    static FRAME_T0: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
    static RENDERED_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Where a scenario being opened is (`Model::opening`): each stage is one animation frame's
/// work, so that at 1,000 nodes none of them makes a frame over 50 ms (docs/benchmarks.md,
/// "the page's start").
#[derive(Clone)]
pub enum Stage {
    /// The page's start: the app was mounted in the task that loaded the module, and the
    /// first animation frame is requested there, so it would run in the same frame as that
    /// task; it only moves on to `Gallery`, whose work then gets the next frame.
    Start,
    /// The scenario panel's gallery of built-in scenarios is read (33 files' metadata, 25 ms
    /// in the page when its code runs the first time) and rendered.
    Gallery,
    /// The editor's text is to be parsed and checked: the page's start, whose text came with
    /// the URL (a text the user applies is parsed at once, to show its errors).
    Parse,
    /// Parsed and checked; the run is to be built (`Opening::open`). Taken (`None` inside)
    /// by the frame that builds it.
    Build(Rc<RefCell<Option<Opening>>>),
    /// Built; the run is to be shown: the cluster view made and everything rendered with it
    /// the first time. Taken by the frame that shows it.
    Show(Rc<RefCell<Option<Session>>>),
}

#[derive(Clone)]
pub struct Model {
    pub session: Option<Rc<RefCell<Session>>>,
    /// A scenario being opened, one stage per animation frame (`Model::frame`): the task
    /// that loaded its text (the page's start, a click) renders without it, and parsing it,
    /// then building its run and the first render of 1,000 nodes, get frames of their own.
    pub opening: Option<Stage>,
    /// Play at the fastest speed once the opening run is built (`?autorun`).
    autorun: bool,
    pub editor_path: String,
    pub editor_text: String,
    pub editor_error: Option<EditorError>,
    pub seed_input: String,
    pub mode: Mode,
    pub speed: usize,
    /// The virtual clock in real-time speeds (ms), ahead of the last event.
    pub clock: f64,
    pub jump_input: String,
    pub selected_pod: Option<String>,
    pub event_filter: String,
    pub tab: Tab,
    pub expanded: OrdSet<(String, String)>,
    /// Bumped whenever the run changed: components re-derive their data from the session.
    pub version: u64,
    pub view: Rc<ClusterView>,
    /// The nodes' names (the what-if menu), a new list only when they change.
    pub node_names: Rc<Vec<String>>,
    view_at: f64,
    /// The view cache has not caught up with the store yet (`Model::frame`).
    view_behind: bool,
    /// How long playing frames may step (`frame_budget`), and whether the last frame
    /// rebuilt the view (whose render the next frame measures).
    frame_budget: frame_budget::FrameBudget,
    last_with_view: bool,
    pub report: Option<Rc<report::ShownReport>>,
    pub last_frame: Option<f64>,
    pub stats: FrameStats,
    pub notice: Option<String>,
    pub share_url: Option<String>,
    /// The capacity planning question running (or answered) in the Plan tab.
    pub planner: Option<Rc<RefCell<Planner>>>,
    pub plan_error: Option<String>,
    /// Bumped by every message (see `PartialEq`).
    rev: u64,
    /// Bumped by every message but an animation frame, and by the frames that rebuilt the
    /// cluster view or advanced the planner: what the panels (`Panel`) compare, so a big
    /// cluster's panels re-render when the view does (at most once per `LARGE_VIEW_EVERY_MS`
    /// while it plays), not at every frame.
    pub ui_rev: u64,
    /// Animation frames handled (each asks for the next while the page animates).
    pub ticks: u64,
}

/// Panels take the state handle as their props, and Yew compares handles by the state's
/// `PartialEq`: every reduction makes a new revision, so a changed state always re-renders.
impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        self.rev == other.rev
    }
}

pub enum Msg {
    SelectScenario(String),
    EditText(String),
    ApplyText,
    LoadFile {
        name: String,
        text: String,
    },
    SetSeed(String),
    Play,
    Pause,
    StepEvent,
    SetSpeed(usize),
    SetJump(String),
    Jump,
    Reset,
    Frame(f64),
    SelectPod(Option<String>),
    SetFilter(String),
    WhatIf(WhatIf),
    /// NodeResourcesFit's strategy and the two resource score weights, from t=0.
    SetScoring {
        strategy: String,
        fit: u32,
        balanced: u32,
    },
    ToggleGroup(String, String),
    SetTab(Tab),
    SetExplain(bool),
    StartPlan(Job),
    StopPlan,
    Share,
    Notice(Option<String>),
}

/// Wall-clock milliseconds (the page's `performance.now()`; only the shell reads clocks).
/// The stepping asks it between every few units of core work (`session::SLICE_UNITS`), over a
/// hundred thousand times in the 1,000-node hour, so the `Performance` object is looked up
/// once: `window()` and `performance()` each cross into JavaScript and make a new handle.
pub fn wall_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        thread_local! {
            static PERFORMANCE: Option<web_sys::Performance> =
                web_sys::window().and_then(|w| w.performance());
        }
        PERFORMANCE.with(|p| p.as_ref().map_or_else(js_sys::Date::now, |p| p.now()))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::time::{SystemTime, UNIX_EPOCH};
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

impl Model {
    fn empty() -> Model {
        Model {
            session: None,
            opening: None,
            autorun: false,
            editor_path: "scenarios/untitled.yaml".into(),
            editor_text: String::new(),
            editor_error: None,
            seed_input: String::new(),
            mode: Mode::Paused,
            speed: 2,
            clock: 0.0,
            jump_input: String::new(),
            selected_pod: None,
            event_filter: String::new(),
            tab: Tab::Cluster,
            expanded: OrdSet::new(),
            version: 0,
            view: Rc::new(ClusterView::default()),
            node_names: Rc::new(Vec::new()),
            view_at: 0.0,
            view_behind: false,
            frame_budget: frame_budget::FrameBudget::default(),
            last_with_view: false,
            report: None,
            last_frame: None,
            stats: FrameStats::default(),
            notice: None,
            share_url: None,
            planner: None,
            plan_error: None,
            rev: 0,
            ui_rev: 0,
            ticks: 0,
        }
    }

    /// The initial state from the page's query string (`?scenario=`, `?s=`, `seed`,
    /// `autorun`).
    pub fn from_query(search: &str) -> Model {
        let q = parse_query(search);
        let mut m = Model::empty();
        if let Some(seed) = q.seed {
            m.seed_input = seed.to_string();
        }
        if let Some(s) = &q.text {
            match decode_text(s) {
                Ok(text) => {
                    let path = format!(
                        "scenarios/{}",
                        q.name
                            .as_deref()
                            .map(|n| n.rsplit('/').next().unwrap_or(n))
                            .unwrap_or("shared.yaml")
                    );
                    m.editor_path = path;
                    m.editor_text = text;
                    m.opening = Some(Stage::Start);
                }
                Err(e) => m.notice = Some(e.to_string()),
            }
        } else {
            let name = q.scenario.clone().unwrap_or_else(|| "quickstart".into());
            match crate::session::builtin_text(&name) {
                Some((path, text)) => {
                    m.editor_path = path.to_string();
                    m.editor_text = text.to_string();
                    m.opening = Some(Stage::Start);
                }
                None => m.notice = Some(SessionError::NoBuiltin(name).to_string()),
            }
        }
        m.autorun = q.autorun && m.opening.is_some();
        m
    }

    fn seed(&self) -> Option<u64> {
        self.seed_input.trim().parse().ok()
    }

    fn select_builtin(&mut self, name: &str) {
        match crate::session::builtin_text(name) {
            Some((path, text)) => self.load_text(path.to_string(), text.to_string()),
            None => self.notice = Some(SessionError::NoBuiltin(name.into()).to_string()),
        }
    }

    /// Load a text into the editor and, when it loads, into a new session.
    fn load_text(&mut self, path: String, text: String) {
        self.editor_path = path;
        self.editor_text = text;
        self.apply_text();
    }

    fn apply_text(&mut self) {
        match Opening::parse(&self.editor_path, &self.editor_text, self.seed(), None) {
            Ok(o) => {
                self.editor_error = None;
                self.opening = Some(Stage::Build(Rc::new(RefCell::new(Some(o)))));
            }
            Err(SessionError::Load(e)) => {
                self.editor_error = Some(EditorError {
                    line: e.line,
                    column: e.column,
                    message: e.message,
                })
            }
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    fn install(&mut self, s: Session) {
        self.session = Some(Rc::new(RefCell::new(s)));
        self.mode = Mode::Paused;
        self.clock = 0.0;
        self.selected_pod = None;
        self.stats = FrameStats::default();
        self.last_frame = None;
        self.share_url = None;
        self.changed(true);
        self.settle_start();
    }

    /// A paused run that stopped inside an instant (a new session's t=0, which creates and
    /// schedules the initial objects) finishes that instant in animation frames, then pauses
    /// again: loading 30,000 pods takes frames, not one long blocking call.
    fn settle_start(&mut self) {
        let Some(s) = &self.session else { return };
        let s = s.borrow();
        if self.mode == Mode::Paused && s.in_instant() && !s.finished() {
            self.mode = Mode::Seeking(s.now());
        }
    }

    /// The run changed: new version, and the cluster view and report re-derived.
    fn changed(&mut self, force_view: bool) {
        self.version += 1;
        let Some(session) = self.session.clone() else {
            return;
        };
        let mut s = session.borrow_mut();
        let now = wall_ms();
        // While the run advances, `frame` builds the view (when due); here only when the
        // run stopped or changed by itself (pause, step, what-if, reset).
        if force_view || self.mode == Mode::Paused {
            let view = s.cluster_view();
            self.set_view(view, now);
            let ms = wall_ms() - now;
            self.stats.prev.1 += ms;
            if self.stats.run_started.is_some() && self.stats.run_wall_ms.is_none() {
                self.stats.view_ms += ms;
            }
        }
        drop(s);
        self.refresh_report();
    }

    /// The JSON report, made only while the Report tab shows it (paused or finished): at
    /// 30,000 pods making it takes longer than a frame.
    fn refresh_report(&mut self) {
        let Some(s) = &self.session else { return };
        let s = s.borrow();
        self.report = (self.tab == Tab::Report && (self.mode == Mode::Paused || s.finished()))
            .then(|| Rc::new(report::ShownReport::of(&s)));
    }

    /// Show a new cluster view (built at `now`).
    fn set_view(&mut self, view: ClusterView, now: f64) {
        self.view = Rc::new(view);
        self.view_behind = false;
        if !self
            .view
            .nodes
            .iter()
            .map(|n| &n.name)
            .eq(self.node_names.iter())
        {
            self.node_names = Rc::new(self.view.nodes.iter().map(|n| n.name.clone()).collect());
        }
        self.view_at = now;
        self.ui_rev += 1;
    }

    /// How often the cluster view may be rebuilt while the run advances (ms): every frame,
    /// or at most once per `LARGE_VIEW_EVERY_MS` for a cluster of more than `LARGE_PODS`.
    fn view_every(&self) -> f64 {
        let pods =
            self.view.nodes.iter().map(|n| n.pods.len()).sum::<usize>() + self.view.pending.len();
        if pods > LARGE_PODS {
            LARGE_VIEW_EVERY_MS
        } else {
            0.0
        }
    }

    /// Whether the page needs animation frames.
    pub fn animating(&self) -> bool {
        self.opening.is_some()
            || (self.session.is_some() && self.mode != Mode::Paused)
            || self.planning()
    }

    /// The opening scenario's next stage (`Model::opening`, `Stage`); once it is shown, its
    /// t=0 settles in the frames after (`settle_start`).
    fn open(&mut self, ts: f64) {
        match self.opening.take() {
            None => {}
            Some(Stage::Start) => {
                dom::mark("cellsim-start");
                self.opening = Some(Stage::Gallery);
            }
            Some(Stage::Gallery) => {
                dom::mark("cellsim-gallery");
                // The panels render again (the scenario panel with its gallery).
                self.ui_rev += 1;
                self.opening = Some(Stage::Parse);
            }
            Some(Stage::Parse) => {
                dom::mark("cellsim-parse");
                self.apply_text();
                // A text that does not load shows its error, and does not play once fixed.
                self.autorun &= self.opening.is_some();
            }
            Some(Stage::Build(o)) => {
                let Some(o) = o.borrow_mut().take() else {
                    return;
                };
                dom::mark("cellsim-build");
                let s = o.open();
                dom::mark("cellsim-built");
                self.opening = Some(Stage::Show(Rc::new(RefCell::new(Some(s)))));
            }
            Some(Stage::Show(s)) => {
                let Some(s) = s.borrow_mut().take() else {
                    return;
                };
                dom::mark("cellsim-show");
                self.install(s);
                dom::mark("cellsim-opened");
                // The frame stats count this frame (the first render of the run) as the
                // first.
                self.last_frame = Some(ts);
                if std::mem::take(&mut self.autorun) {
                    self.speed = SPEEDS.len() - 1;
                    self.mode = Mode::Playing;
                }
            }
        }
    }

    /// Whether a planning question is being searched.
    pub fn planning(&self) -> bool {
        self.planner
            .as_ref()
            .is_some_and(|p| !p.borrow().finished())
    }

    fn frame(&mut self, ts: f64) {
        self.ticks += 1;
        if self.opening.is_some() {
            self.open(ts);
            return;
        }
        if self.planning() {
            self.plan_frame();
        }
        if self.session.is_some() && self.mode == Mode::Paused {
            return;
        }
        let Some(session) = self.session.clone() else {
            self.mode = Mode::Paused;
            return;
        };
        let t0 = wall_ms();
        FRAME_T0.with(|c| c.set(t0));
        let dt = self.last_frame.map_or(16.0, |l| (ts - l).clamp(0.0, 250.0));
        if let Some(l) = self.last_frame {
            // The last frame's render: from the end of its update to its committed render.
            let update = self.stats.prev.2;
            if update > 0.0 {
                let rendered = RENDERED_MS.with(|c| c.get());
                self.frame_budget
                    .observe(self.last_with_view, rendered - update);
            }
            let ms = ts - l;
            self.stats.frames += 1;
            self.stats.last_ms = ms;
            let w = &mut self.stats.worst;
            if w.len() < WORST_KEPT || w.last().is_some_and(|l| ms > l.0) {
                let (step, view, update) = self.stats.prev;
                let rendered = RENDERED_MS.with(|c| c.get());
                let mode = match self.mode {
                    Mode::Seeking(_) => "seeking",
                    _ => "playing",
                };
                let at = w.partition_point(|x| x.0 >= ms);
                w.insert(at, (ms, format!(
                    "{ms:.0} ms (frame {} {mode}) after step {step:.0} view {view:.0} update {update:.0} rendered {rendered:.0}",
                    self.stats.frames
                )));
                w.truncate(WORST_KEPT);
            }
            self.stats.max_ms = self.stats.max_ms.max(ms);
            self.stats.total_ms += ms;
            if ms > LONG_FRAME_MS {
                self.stats.long_frames += 1;
            }
        }
        self.stats.prev = (0.0, 0.0, 0.0);
        self.last_frame = Some(ts);
        self.stats.run_started.get_or_insert(t0);
        let mut s = session.borrow_mut();
        // A view is due: first bring the view cache up to date with the store's changes,
        // within the frame's budget (after a large instant, such as t=0 creating 30,000 pods,
        // that takes several frames), then build the view from it (only the nodes that
        // changed), before this frame's stepping, which gets what is left of the budget: the
        // cache always catches up, and no frame derives more than a budget's worth of pods.
        let with_view = self.view_behind || t0 - self.view_at >= self.view_every();
        let step_until = self.frame_budget.step_until(with_view);
        self.last_with_view = with_view;
        if with_view {
            let caught = s.refresh_view(&mut || wall_ms() - t0 < step_until);
            self.view_behind = !caught;
            if caught {
                self.set_view(s.cluster_view(), t0);
            }
            let ms = wall_ms() - t0;
            self.stats.view_ms += ms;
            self.stats.prev.1 += ms;
        } else if s.in_instant() {
            // Inside a long instant no chart sample reads the changes (samples are taken
            // between instants); without this the first sample after it would derive all of
            // them at once, in one frame. A small part of the budget keeps the cache close.
            s.refresh_view(&mut || wall_ms() - t0 < CATCH_UP_MS);
            let ms = wall_ms() - t0;
            self.stats.view_ms += ms;
            self.stats.prev.1 += ms;
        }
        let t1 = wall_ms();
        let target = match self.mode {
            Mode::Paused => return,
            Mode::Seeking(t) => t,
            Mode::Playing => match SPEEDS[self.speed].1 {
                None => s.end(),
                Some(factor) => {
                    self.clock = self.clock.max(s.now().millis() as f64) + dt * factor;
                    SimTime((self.clock as u64).min(s.end().millis()))
                }
            },
        };
        let reached = s.run_until(target, &mut || wall_ms() - t0 < step_until);
        let step = wall_ms() - t1;
        self.stats.step_ms += step;
        self.stats.prev.0 = step;
        if s.finished() {
            self.mode = Mode::Paused;
            self.clock = s.now().millis() as f64;
            if let Some(start) = self.stats.run_started {
                self.stats.run_wall_ms.get_or_insert(wall_ms() - start);
            }
        } else if let (Mode::Seeking(t), true) = (self.mode, reached) {
            self.mode = Mode::Paused;
            self.clock = t.millis() as f64;
        }
        drop(s);
        if self.mode == Mode::Paused {
            self.last_frame = None;
        }
        self.changed(false);
        self.stats.prev.2 = wall_ms() - t0;
    }

    /// Simulations of the planning question for one frame's step budget (at least one).
    fn plan_frame(&mut self) {
        let Some(p) = self.planner.clone() else {
            return;
        };
        let t0 = wall_ms();
        let mut p = p.borrow_mut();
        while p.step() && wall_ms() - t0 < STEP_BUDGET_MS {}
        self.ui_rev += 1;
    }

    fn with_session(&mut self, f: impl FnOnce(&mut Session)) {
        if let Some(s) = self.session.clone() {
            f(&mut s.borrow_mut());
            self.changed(true);
        }
    }

    fn update(&mut self, msg: Msg) {
        match msg {
            Msg::SelectScenario(name) => self.select_builtin(&name),
            Msg::EditText(t) => self.editor_text = t,
            Msg::ApplyText => self.apply_text(),
            Msg::LoadFile { name, text } => {
                let name = name.rsplit(['/', '\\']).next().unwrap_or(&name).to_string();
                self.load_text(format!("scenarios/{name}"), text)
            }
            Msg::SetSeed(s) => {
                self.seed_input = s;
                if self.editor_error.is_none() && self.session.is_some() {
                    self.apply_text();
                }
            }
            Msg::Play => {
                if self
                    .session
                    .as_ref()
                    .is_some_and(|s| !s.borrow().finished())
                {
                    self.mode = Mode::Playing;
                    self.stats.run_started = None;
                    self.stats.run_wall_ms = None;
                    self.stats.step_ms = 0.0;
                    self.stats.view_ms = 0.0;
                }
            }
            Msg::Pause => {
                self.mode = Mode::Paused;
                self.last_frame = None;
                self.changed(true);
            }
            Msg::StepEvent => {
                self.mode = Mode::Paused;
                self.with_session(|s| {
                    s.step();
                });
                if let Some(s) = &self.session {
                    self.clock = s.borrow().now().millis() as f64;
                }
            }
            Msg::SetSpeed(i) => self.speed = i.min(SPEEDS.len() - 1),
            Msg::SetJump(s) => self.jump_input = s,
            Msg::Jump => match Duration::parse(self.jump_input.trim()) {
                Ok(d) => {
                    let t = SimTime(d.as_millis());
                    if let Some(s) = self.session.clone() {
                        let mut s = s.borrow_mut();
                        let t = SimTime(t.millis().min(s.end().millis()));
                        if t < s.now() {
                            s.reset();
                        }
                        self.mode = Mode::Seeking(t);
                        self.notice = None;
                    }
                }
                Err(e) => self.notice = Some(format!("jump: {e}")),
            },
            Msg::Reset => {
                self.mode = Mode::Paused;
                self.clock = 0.0;
                self.stats = FrameStats::default();
                self.with_session(Session::reset);
                self.settle_start();
            }
            Msg::Frame(ts) => self.frame(ts),
            Msg::SelectPod(p) => self.selected_pod = p,
            Msg::SetFilter(f) => self.event_filter = f,
            Msg::WhatIf(w) => {
                let Some(s) = self.session.clone() else {
                    return;
                };
                let r = s.borrow_mut().apply_whatif(w);
                match r {
                    Ok(at) => {
                        self.editor_text = s.borrow().text().to_string();
                        self.notice = None;
                        self.changed(true);
                        self.mode = Mode::Seeking(at);
                        self.share_url = None;
                    }
                    Err(e) => self.notice = Some(e.to_string()),
                }
            }
            Msg::SetScoring {
                strategy,
                fit,
                balanced,
            } => {
                let Some(s) = self.session.clone() else {
                    return;
                };
                let r = s.borrow_mut().set_scoring(&strategy, fit, balanced);
                match r {
                    Ok(()) => {
                        self.editor_text = s.borrow().text().to_string();
                        self.notice = None;
                        self.mode = Mode::Paused;
                        self.clock = 0.0;
                        self.share_url = None;
                        self.changed(true);
                        self.settle_start();
                    }
                    Err(e) => self.notice = Some(e.to_string()),
                }
            }
            Msg::ToggleGroup(pool, zone) => {
                let k = (pool, zone);
                if !self.expanded.remove(&k) {
                    self.expanded.insert(k);
                }
            }
            Msg::SetTab(t) => {
                self.tab = t;
                self.refresh_report();
            }
            Msg::SetExplain(on) => {
                self.mode = Mode::Paused;
                self.with_session(|s| s.set_explain(on));
                self.settle_start();
            }
            Msg::Share => {
                if let Some(s) = &self.session {
                    let s = s.borrow();
                    let q = crate::share::share_query(s.path(), s.text(), s.effective_seed());
                    self.share_url = Some(dom::set_query(&q));
                }
            }
            Msg::Notice(n) => self.notice = n,
            Msg::StartPlan(job) => {
                let Some(s) = self.session.clone() else {
                    return;
                };
                let s = s.borrow();
                match Planner::start(s.path(), s.text(), job) {
                    Ok(p) => {
                        self.planner = Some(Rc::new(RefCell::new(p)));
                        self.plan_error = None;
                    }
                    Err(e) => {
                        self.planner = None;
                        self.plan_error = Some(e.to_string());
                    }
                }
            }
            Msg::StopPlan => self.planner = None,
        }
    }
}

impl Reducible for Model {
    type Action = Msg;

    fn reduce(self: Rc<Self>, action: Msg) -> Rc<Self> {
        let mut m = (*self).clone();
        if !matches!(action, Msg::Frame(_)) {
            m.ui_rev += 1;
        }
        m.update(action);
        m.rev += 1;
        Rc::new(m)
    }
}

/// Props of the panels: the app's state handle, equal while `Model::ui_rev` is (every message
/// but a frame changes it; a frame only when it rebuilt the view or advanced the planner).
#[derive(Properties, Clone)]
pub struct Panel {
    pub state: UseReducerHandle<Model>,
}

impl PartialEq for Panel {
    fn eq(&self, other: &Self) -> bool {
        self.state.ui_rev == other.state.ui_rev
    }
}

/// Props of the panels that follow every frame (the run controls and the clock): equal while
/// the state is the same value.
#[derive(Properties, PartialEq, Clone)]
pub struct Live {
    pub state: UseReducerHandle<Model>,
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| Model::from_query(&dom::location_search()));
    // After every render: how long since the frame's handler started (`FrameStats::worst`).
    use_effect(|| RENDERED_MS.with(|c| c.set(wall_ms() - FRAME_T0.with(|t| t.get()))));
    use_effect_with((), |_| dom::mark("cellsim-rendered"));
    {
        let dispatcher = state.dispatcher();
        use_effect_with(
            (state.ticks, state.animating(), state.version),
            move |deps| {
                if deps.1 {
                    dom::next_frame(move |ts| dispatcher.dispatch(Msg::Frame(ts)));
                }
            },
        );
    }
    let tab = |t: Tab, label: &str, id: &str| {
        let d = state.dispatcher();
        html! {
            <button id={id.to_string()} class={classes!("tab", (state.tab == t).then_some("active"))}
                onclick={move |_| d.dispatch(Msg::SetTab(t))}>{label.to_string()}</button>
        }
    };
    let notice = state.notice.clone().map(|n| {
        let d = state.dispatcher();
        html! { <div class="notice" id="notice">{n}<button onclick={move |_| d.dispatch(Msg::Notice(None))}>{"×"}</button></div> }
    });
    html! {
        <div class="app">
            <header>
                <h1>{"cellsim"}<span class="sub">{" playground"}</span></h1>
                <controls::Controls state={state.clone()} />
            </header>
            {notice.unwrap_or_default()}
            <div class="layout">
                <aside class="left">
                    <scenario::ScenarioPanel state={state.clone()} />
                    <whatif::WhatIfPanel state={state.clone()} />
                    <export::ExportPanel state={state.clone()} />
                </aside>
                <main>
                    <nav class="tabs">
                        {tab(Tab::Cluster, "Cluster", "tab-cluster")}
                        {tab(Tab::Charts, "Charts", "tab-charts")}
                        {tab(Tab::Events, "Events", "tab-events")}
                        {tab(Tab::Report, "Report", "tab-report")}
                        {tab(Tab::Plan, "Plan", "tab-plan")}
                    </nav>
                    {match state.tab {
                        Tab::Cluster => html!{ <cluster::ClusterPanel state={state.clone()} /> },
                        Tab::Charts => html!{ <charts::ChartsPanel state={state.clone()} /> },
                        Tab::Events => html!{ <events::EventsPanel state={state.clone()} /> },
                        Tab::Report => html!{ <report::ReportPanel state={state.clone()} /> },
                        Tab::Plan => html!{ <planning::PlanningPanel state={state.clone()} /> },
                    }}
                    <report::Summary state={state.clone()} />
                </main>
                <pod::PodPanel state={state.clone()} />
            </div>
        </div>
    }
}

/// Mount the app on `<body>`.
pub fn mount() {
    yew::Renderer::<App>::new().render();
}

/// A stable hue (0..360) for a workload name (FNV-1a).
pub fn hue(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % 360
}

/// `1500` milli-cpu → `1.5`, memory bytes → `512Mi`/`1.5Gi`, for labels.
pub fn cpu_label(milli: i64) -> String {
    if milli % 1000 == 0 {
        format!("{}", milli / 1000)
    } else {
        format!("{:.1}", milli as f64 / 1000.0)
    }
}

pub fn mem_label(bytes: i64) -> String {
    const GI: f64 = 1024.0 * 1024.0 * 1024.0;
    const MI: f64 = 1024.0 * 1024.0;
    let b = bytes as f64;
    if b >= GI {
        format!("{:.1}Gi", b / GI)
    } else {
        format!("{:.0}Mi", b / MI)
    }
}

/// Percentage `part / whole`, 0 when `whole` is 0 (display only).
pub fn pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model of a page opened at `search`, after its first animation frame (which builds
    /// the run).
    fn opened(search: &str) -> Model {
        let mut m = Model::from_query(search);
        while m.opening.is_some() {
            m.update(Msg::Frame(0.0));
        }
        m
    }

    #[test]
    fn the_page_renders_before_the_run_is_built_and_builds_it_in_a_frame_of_its_own() {
        let mut m = Model::from_query("?scenario=quickstart");
        assert!(m.session.is_none() && matches!(m.opening, Some(Stage::Start)));
        assert!(m.animating(), "frames open the scenario");
        m.update(Msg::Frame(0.0));
        assert!(m.session.is_none() && matches!(m.opening, Some(Stage::Gallery)));
        let ui = m.ui_rev;
        m.update(Msg::Frame(0.0));
        assert!(m.ui_rev > ui, "the gallery is rendered");
        assert!(m.session.is_none() && matches!(m.opening, Some(Stage::Parse)));
        m.update(Msg::Frame(0.0));
        assert!(m.session.is_none() && matches!(m.opening, Some(Stage::Build(_))));
        m.update(Msg::Frame(0.0));
        assert!(m.session.is_none() && matches!(m.opening, Some(Stage::Show(_))));
        let ui = m.ui_rev;
        m.update(Msg::Frame(0.0));
        assert!(m.opening.is_none());
        assert!(m.ui_rev > ui, "the built run is rendered");
        let s = m.session.as_ref().unwrap().borrow();
        // That frame only built the run: t=0 settles in the frames after.
        assert!(s.in_instant() && s.sim().trace.events() == 0);
        assert_eq!(m.mode, Mode::Seeking(SimTime::ZERO));
        drop(s);
        while m.animating() {
            m.update(Msg::Frame(0.0));
        }
        let s = m.session.as_ref().unwrap().borrow();
        assert!(!s.in_instant() && s.now() == SimTime::ZERO && s.sim().trace.events() > 0);
        assert_eq!(m.mode, Mode::Paused);
        assert_eq!(m.view.nodes.len(), 3);
    }

    #[test]
    fn the_query_selects_and_autoruns_a_built_in_scenario() {
        let m = opened("?scenario=node-failure&seed=5&autorun=1");
        let s = m.session.as_ref().unwrap().borrow();
        assert_eq!(s.path(), "scenarios/node-failure.yaml");
        assert_eq!(s.effective_seed(), 5);
        assert_eq!(m.mode, Mode::Playing);
        assert_eq!(SPEEDS[m.speed].1, None);
        let m = Model::from_query("?scenario=nope");
        assert!(m.session.is_none() && m.opening.is_none());
        assert!(m.notice.unwrap().contains("nope"));
        // A shared text that does not load: its error shows after the first frame, and
        // nothing plays.
        let bad = "apiVersion: cellsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  duration: soon\n";
        let mut m = Model::from_query(&format!(
            "{}&autorun=1",
            crate::share::share_query("x.yaml", bad, 1)
        ));
        for _ in 0..3 {
            m.update(Msg::Frame(0.0));
        }
        assert!(m.session.is_none() && m.opening.is_none() && !m.animating());
        assert_eq!(m.editor_error.as_ref().map(|e| e.line), Some(5));
        assert!(!m.autorun);
    }

    #[test]
    fn frames_advance_the_run_to_the_end_and_stop() {
        let mut m = opened("?scenario=quickstart&autorun=1");
        // The report is made for the Report tab.
        m.update(Msg::SetTab(Tab::Report));
        assert!(m.report.is_none(), "not while the run plays");
        let mut ts = 0.0;
        while m.animating() {
            ts += 16.0;
            m.update(Msg::Frame(ts));
        }
        let s = m.session.as_ref().unwrap().borrow();
        assert!(s.finished());
        let cli = cellsim_scenarios::run_builtin_json("quickstart", None).unwrap();
        let cli: serde_json::Value = serde_json::from_str(&cli).unwrap();
        assert_eq!(s.trace_hash(), cli["traceHash"].as_str().unwrap());
        let shown = m.report.as_deref().unwrap();
        let report: serde_json::Value = serde_json::from_str(&shown.json).unwrap();
        assert_eq!(report["traceHash"], cli["traceHash"]);
        assert_eq!(shown.expectations, s.report().expectations);
        assert!(
            !shown.expectations.is_empty(),
            "quickstart has expectations"
        );
        assert!(m.stats.run_wall_ms.is_some());
    }

    #[test]
    fn messages_edit_jump_step_and_what_if() {
        let mut m = opened("?scenario=quickstart");
        while m.animating() {
            m.update(Msg::Frame(0.0));
        }
        assert_eq!(m.mode, Mode::Paused);
        // A broken edit shows its line and column and keeps the old session.
        let good = m.editor_text.clone();
        m.update(Msg::EditText(
            good.replace("duration: 10m", "duration: ten"),
        ));
        m.update(Msg::ApplyText);
        let e = m.editor_error.clone().unwrap();
        assert_eq!((e.line, e.column), (10, 13), "{e:?}");
        assert!(m.session.is_some());
        m.update(Msg::EditText(good));
        m.update(Msg::ApplyText);
        assert!(m.editor_error.is_none());
        // The applied text is parsed at once; the next frames build the run and show it.
        while m.opening.is_some() {
            m.update(Msg::Frame(0.0));
        }
        m.update(Msg::StepEvent);
        assert!(m.version > 0);
        m.update(Msg::SetJump("2m30s".into()));
        m.update(Msg::Jump);
        assert_eq!(m.mode, Mode::Seeking(SimTime(150_000)));
        while m.animating() {
            m.update(Msg::Frame(0.0));
        }
        let now = m.session.as_ref().unwrap().borrow().now();
        assert!(now <= SimTime(150_000) && now > SimTime(140_000), "{now}");
        assert_eq!(m.view.nodes.len(), 3);
        let node = m.view.nodes[0].name.clone();
        m.update(Msg::WhatIf(WhatIf::Cordon(node.clone())));
        assert!(m
            .editor_text
            .contains(&format!("cordon: {{node: \"{node}\"}}")));
        while m.animating() {
            m.update(Msg::Frame(0.0));
        }
        assert_eq!(m.session.as_ref().unwrap().borrow().now(), now);
        assert!(m.view.nodes[0].unschedulable);
        m.update(Msg::Reset);
        assert_eq!(m.session.as_ref().unwrap().borrow().now(), SimTime::ZERO);
        m.update(Msg::SetJump("soon".into()));
        m.update(Msg::Jump);
        assert!(m.notice.as_deref().unwrap().starts_with("jump:"));
    }

    #[test]
    fn every_message_makes_a_state_that_panels_see_as_changed() {
        let a = Rc::new(opened("?scenario=quickstart"));
        let b = a.clone().reduce(Msg::SelectPod(Some("default/x".into())));
        assert!(*a != *b, "panels compare states with PartialEq");
        let c = b.clone().reduce(Msg::Notice(None));
        assert!(*b != *c);
        assert_eq!(c.selected_pod.as_deref(), Some("default/x"));
    }

    #[test]
    fn labels() {
        assert_eq!(cpu_label(1500), "1.5");
        assert_eq!(cpu_label(4000), "4");
        assert_eq!(mem_label(512 << 20), "512Mi");
        assert_eq!(mem_label(3 << 29), "1.5Gi");
        assert_eq!(pct(1, 0), 0.0);
        assert!(hue("Deployment/web") < 360);
        assert_ne!(hue("Deployment/web"), hue("Deployment/api"));
    }
}
