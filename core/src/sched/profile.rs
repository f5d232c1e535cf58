//! A scheduling profile: the plugins of each extension point, in order, with their weights
//! (built from a `config::ProfileSpec`), and the scheduling cycle that runs them.

use super::config::ProfileSpec;
use super::cycle_cache::CycleCache;
use super::framework::{
    Code, CycleState, NodeInfo, NodeScore, NodeToStatus, Nominating, Plugin, PodInfo, Point,
    PostFilterInput, Snapshot, Status,
};
use super::registry;
use crate::collections::OrdMap;
use std::cell::RefCell;
use std::rc::Rc;

/// Upstream `minFeasibleNodesToFind` and `minFeasibleNodesPercentageToFind`.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;

pub struct Profile {
    pub scheduler_name: String,
    pub percentage_of_nodes_to_score: Option<i32>,
    pub points: OrdMap<Point, Vec<Rc<dyn Plugin>>>,
    pub weights: OrdMap<&'static str, i64>,
    /// Node-local Filter verdicts and raw Scores across cycles (see `cycle_cache`).
    cache: RefCell<CycleCache>,
    /// False: evaluate every plugin on every node each cycle (the bench's `--full-eval`,
    /// and the tests that compare both).
    cache_enabled: bool,
}

/// Plugins of one extension point with their positions in the profile's list.
type Positioned<'a> = Vec<(usize, &'a dyn Plugin)>;

/// The cycle cache keys which plugins ran by bit masks over positions in a point's list.
const MAX_CACHED_PLUGINS: usize = 64;

/// A scored node: (node, per-plugin normalized scores, weighted total).
pub type ScoredNode = (usize, Vec<(&'static str, i64)>, i64);

/// What one cycle found, for the scheduler to act on and for `--explain`.
pub struct CycleResult {
    /// Index of the chosen node.
    pub chosen: Option<usize>,
    /// Per examined node that failed: the failing status.
    pub failed: Vec<(usize, Status)>,
    /// The scored (feasible) nodes, in the order they were found; empty when scoring was
    /// skipped (a single feasible node, or none).
    pub scored: Vec<usize>,
    /// The weighted total of each node of `scored`.
    pub totals: Vec<i64>,
    /// The Score plugins that scored this cycle, in run order.
    pub score_plugins: Vec<&'static str>,
    /// Normalized scores (before weights), plugin-major: plugin `k`'s score of `scored[j]` is
    /// `plugin_scores[k * scored.len() + j]`.
    pub plugin_scores: Vec<i64>,
    /// A status that failed the whole pod (PreFilter rejection), if any.
    pub pod_status: Option<Status>,
    /// Nodes examined (for the start-index rotation).
    pub processed: usize,
    /// When no node fit and PostFilter plugins ran: what to do with the pod's nomination, and
    /// the PostFilter status (its message is the FitError's postFilter part).
    pub post_filter: Option<(Nominating, Status)>,
    /// The cycle's state when a node was chosen: the binding cycle (Reserve … PostBind) reads
    /// it.
    pub state: Option<CycleState>,
}

impl CycleResult {
    /// Per scored node: (node, per-plugin normalized scores, weighted total) — for
    /// `--explain`.
    pub fn scores(&self) -> Vec<ScoredNode> {
        let n = self.scored.len();
        self.scored
            .iter()
            .enumerate()
            .map(|(j, &i)| {
                let per = self
                    .score_plugins
                    .iter()
                    .enumerate()
                    .map(|(k, &name)| (name, self.plugin_scores[k * n + j]))
                    .collect();
                (i, per, self.totals[j])
            })
            .collect()
    }
}

impl Profile {
    pub fn build(spec: &ProfileSpec) -> Result<Profile, String> {
        let mut instances: OrdMap<String, Rc<dyn Plugin>> = OrdMap::new();
        let mut points = OrdMap::new();
        for (point, names) in &spec.points {
            let mut list = Vec::new();
            for n in names {
                let p = match instances.get(n) {
                    Some(p) => p.clone(),
                    None => {
                        let p = registry::build(n, spec.plugin_args.get(n))
                            .map_err(|e| format!("plugin {n}: {e}"))?;
                        instances.insert(n.clone(), p.clone());
                        p
                    }
                };
                list.push(p);
            }
            points.insert(*point, list);
        }
        let mut weights = OrdMap::new();
        for p in points.get(&Point::Score).into_iter().flatten() {
            weights.insert(
                p.name(),
                spec.score_weights.get(p.name()).copied().unwrap_or(1),
            );
        }
        Ok(Profile {
            scheduler_name: spec.scheduler_name.clone(),
            percentage_of_nodes_to_score: spec.percentage_of_nodes_to_score,
            points,
            weights,
            cache: RefCell::new(CycleCache::default()),
            cache_enabled: true,
        })
    }

    /// A profile from ready-made plugin lists (tests, tools).
    pub fn from_parts(
        scheduler_name: &str,
        percentage_of_nodes_to_score: Option<i32>,
        points: OrdMap<Point, Vec<Rc<dyn Plugin>>>,
        weights: OrdMap<&'static str, i64>,
    ) -> Profile {
        Profile {
            scheduler_name: scheduler_name.to_string(),
            percentage_of_nodes_to_score,
            points,
            weights,
            cache: RefCell::new(CycleCache::default()),
            cache_enabled: true,
        }
    }

    /// Turn the cycle cache on or off (decisions are the same either way).
    pub fn set_cache_enabled(&mut self, on: bool) {
        self.cache_enabled = on;
        *self.cache.get_mut() = CycleCache::default();
    }

    /// (hits, misses) of the cycle cache's Filter lookups so far.
    pub fn cache_stats(&self) -> (u64, u64) {
        let c = self.cache.borrow();
        (c.hits, c.misses)
    }

    /// A plugin of this profile by name (the first extension point listing it).
    pub fn plugin(&self, name: &str) -> Option<&dyn Plugin> {
        self.points
            .values()
            .flat_map(|l| l.iter())
            .find(|p| p.name() == name)
            .map(|p| &**p)
    }

    pub fn plugins(&self, point: Point) -> &[Rc<dyn Plugin>] {
        self.points.get(&point).map_or(&[], |v| v.as_slice())
    }

    /// PreEnqueue: the first rejection keeps the pod out of activeQ.
    pub fn pre_enqueue(&self, pod: &PodInfo) -> Status {
        for p in self.plugins(Point::PreEnqueue) {
            let mut s = p.pre_enqueue(pod);
            if !s.is_success() {
                s.plugin = p.name();
                return s;
            }
        }
        Status::success()
    }

    /// Upstream `numFeasibleNodesToFind`.
    pub fn num_feasible_nodes_to_find(&self, global_pct: Option<i32>, num_all: usize) -> usize {
        if num_all < MIN_FEASIBLE_NODES_TO_FIND {
            return num_all;
        }
        let mut pct = self
            .percentage_of_nodes_to_score
            .or(global_pct)
            .unwrap_or(0) as i64;
        if pct == 0 {
            pct = (50 - num_all as i64 / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
        }
        if pct >= 100 {
            return num_all;
        }
        let n = num_all as i64 * pct / 100;
        (n.max(MIN_FEASIBLE_NODES_TO_FIND as i64)) as usize
    }

    /// Run the Filter plugins on one node (first failure wins), skipping plugins whose
    /// PreFilter returned Skip.
    pub fn run_filters(
        &self,
        state: &CycleState,
        skip: &[&'static str],
        pod: &PodInfo,
        node: usize,
        snap: &Snapshot,
    ) -> Status {
        self.run_filters_on(state, skip, pod, &snap.nodes[node], snap)
    }

    /// Run the Filter plugins against a given (possibly hypothetical) NodeInfo with a given
    /// state — preemption's dry run passes a copy of a node with victims removed and a copy
    /// of the cycle state that the PreFilter extensions updated to match.
    pub fn run_filters_on(
        &self,
        state: &CycleState,
        skip: &[&'static str],
        pod: &PodInfo,
        node: &NodeInfo,
        snap: &Snapshot,
    ) -> Status {
        for p in self.plugins(Point::Filter) {
            if !p.has_filter() || skip.contains(&p.name()) {
                continue;
            }
            let mut s = p.filter(state, pod, node, snap);
            if !s.is_success() {
                s.plugin = p.name();
                return s;
            }
        }
        Status::success()
    }

    /// Upstream `RunPreFilterExtensionAddPod` (framework/runtime/framework.go): every
    /// PreFilter plugin whose PreFilter did not return Skip this cycle updates its state in
    /// `state` for `to_add` placed on `node`; the first failure is returned as an Error.
    pub fn run_pre_filter_extension_add_pod(
        &self,
        state: &mut CycleState,
        skip: &[&'static str],
        pod: &PodInfo,
        to_add: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        for p in self.plugins(Point::PreFilter) {
            if skip.contains(&p.name()) {
                continue;
            }
            let s = p.add_pod(state, pod, to_add, node);
            if !s.is_success() {
                return extension_error("AddPod", p.name(), &s);
            }
        }
        Status::success()
    }

    /// Upstream `RunPreFilterExtensionRemovePod`: as `run_pre_filter_extension_add_pod`,
    /// for `to_remove` taken off `node`.
    pub fn run_pre_filter_extension_remove_pod(
        &self,
        state: &mut CycleState,
        skip: &[&'static str],
        pod: &PodInfo,
        to_remove: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        for p in self.plugins(Point::PreFilter) {
            if skip.contains(&p.name()) {
                continue;
            }
            let s = p.remove_pod(state, pod, to_remove, node);
            if !s.is_success() {
                return extension_error("RemovePod", p.name(), &s);
            }
        }
        Status::success()
    }

    /// Upstream `addGENominatedPods`: a copy of `node` with `nominated` (the node's nominated
    /// pods of higher or equal priority, `Snapshot::nominated_for`) added, and a copy of
    /// `state` that AddPod updated for each of them. Callers filter against the copies and
    /// drop them: nothing computed from them may enter the cycle cache.
    pub fn add_nominated_pods(
        &self,
        state: &CycleState,
        skip: &[&'static str],
        pod: &PodInfo,
        node: &NodeInfo,
        nominated: &[Rc<PodInfo>],
    ) -> Result<(CycleState, NodeInfo), Status> {
        let mut state_out = state.clone();
        let mut node_out = node.clone();
        for p in nominated {
            node_out.add_pod(p.clone());
            let s = self.run_pre_filter_extension_add_pod(&mut state_out, skip, pod, p, &node_out);
            if !s.is_success() {
                return Err(s);
            }
        }
        Ok((state_out, node_out))
    }

    /// Upstream `RunFilterPluginsWithNominatedPods` on a given NodeInfo: when the node has
    /// nominated pods of higher or equal priority, the filters must pass with them added
    /// (`add_nominated_pods`), then on the node as it is.
    pub fn run_filters_with_nominated_pods(
        &self,
        state: &CycleState,
        skip: &[&'static str],
        pod: &PodInfo,
        node: &NodeInfo,
        snap: &Snapshot,
    ) -> Status {
        if !snap.nominated.is_empty() {
            let extra = snap.nominated_for(&node.name, pod);
            if !extra.is_empty() {
                match self.add_nominated_pods(state, skip, pod, node, &extra) {
                    Ok((st, with)) => {
                        let s = self.run_filters_on(&st, skip, pod, &with, snap);
                        if !s.is_success() {
                            return s;
                        }
                    }
                    Err(s) => return s,
                }
            }
        }
        self.run_filters_on(state, skip, pod, node, snap)
    }

    /// Upstream `RunPostFilterPlugins`: the first Success or UnschedulableAndUnresolvable
    /// ends it; an Error is returned as is; otherwise the reasons of all plugins are joined
    /// into one Unschedulable status, keeping the last non-noop nomination. `None` when the
    /// profile has no PostFilter plugin.
    pub fn run_post_filter(
        &self,
        state: &CycleState,
        skip: &[&'static str],
        pod: &PodInfo,
        snap: &Snapshot,
        statuses: &NodeToStatus,
        pick: &mut dyn FnMut(u64) -> u64,
    ) -> Option<(Nominating, Status)> {
        let plugins = self.plugins(Point::PostFilter);
        if plugins.is_empty() {
            return None;
        }
        let input = PostFilterInput {
            state,
            skip,
            pod,
            snap,
            statuses,
            profile: self,
        };
        let mut result = Nominating::Noop;
        let mut reasons = Vec::new();
        let mut rejector: &'static str = "";
        for p in plugins {
            let (r, mut s) = p.post_filter(&input, pick);
            s.plugin = p.name();
            match s.code {
                Code::Success | Code::UnschedulableAndUnresolvable => return Some((r, s)),
                Code::Unschedulable => {}
                _ => {
                    return Some((
                        Nominating::Noop,
                        Status {
                            code: Code::Error,
                            ..s
                        },
                    ))
                }
            }
            if r != Nominating::Noop {
                result = r;
            }
            reasons.extend(s.reasons);
            if rejector.is_empty() {
                rejector = p.name();
            }
        }
        let mut s = Status::with_reasons(Code::Unschedulable, reasons);
        s.plugin = rejector;
        Some((result, s))
    }

    /// Every plugin's `Plugin::warm` for the snapshot nodes `from..from + limit`:
    /// `Some(next)` while any plugin has nodes left, `None` when all are done.
    pub fn warm(&self, pod: &PodInfo, snap: &Snapshot, from: usize, limit: usize) -> Option<usize> {
        let mut seen: Vec<&'static str> = Vec::new();
        let mut next = None;
        for p in self.points.values().flatten() {
            if seen.contains(&p.name()) {
                continue;
            }
            seen.push(p.name());
            if let Some(n) = p.warm(pod, snap, from, limit) {
                next = Some(next.map_or(n, |m: usize| m.min(n)));
            }
        }
        next
    }

    /// One scheduling cycle up to host selection (upstream `schedulePod`).
    #[cellsim_derive::hot]
    pub fn schedule(
        &self,
        pod: &PodInfo,
        snap: &Snapshot,
        global_pct: Option<i32>,
        start: usize,
        pick: &mut dyn FnMut(u64) -> u64,
    ) -> CycleResult {
        let mut state = CycleState::default();
        let mut result = CycleResult {
            chosen: None,
            failed: Vec::new(),
            scored: Vec::new(),
            totals: Vec::new(),
            score_plugins: Vec::new(),
            plugin_scores: Vec::new(),
            pod_status: None,
            processed: 0,
            post_filter: None,
            state: None,
        };
        let n = snap.nodes.len();
        if n == 0 {
            result.pod_status = Some(Status::unresolvable("no nodes available to schedule pods"));
            return result;
        }
        // PreFilter.
        let mut skip: Vec<&'static str> = Vec::new();
        let mut pre_unschedulable: Option<Status> = None;
        for p in self.plugins(Point::PreFilter) {
            let mut s = p.pre_filter(&mut state, pod, snap);
            s.plugin = p.name();
            match s.code {
                Code::Success => {}
                Code::Skip => skip.push(p.name()),
                Code::UnschedulableAndUnresolvable => {
                    result.pod_status = Some(s.clone());
                    // A PreFilter rejection is a FitError: every node gets its status.
                    let mut statuses = NodeToStatus::new(n);
                    statuses.absent = s;
                    result.post_filter =
                        self.run_post_filter(&state, &skip, pod, snap, &statuses, pick);
                    return result;
                }
                Code::Unschedulable => pre_unschedulable = Some(s),
                _ => {
                    result.pod_status = Some(s);
                    return result;
                }
            }
        }
        if let Some(s) = pre_unschedulable {
            result.pod_status = Some(s.clone());
            let mut statuses = NodeToStatus::new(n);
            statuses.absent = s;
            result.post_filter = self.run_post_filter(&state, &skip, pod, snap, &statuses, pick);
            return result;
        }
        // Filter, from the rotating start index, until enough feasible nodes are found. The
        // Filter plugins to run are resolved once per cycle (PreFilter Skip, and plugins whose
        // Filter always passes), not per node; each keeps its position in the profile's list.
        let all_filters = self.plugins(Point::Filter);
        let filters: Vec<(usize, &dyn Plugin)> = all_filters
            .iter()
            .enumerate()
            .filter(|(_, p)| p.has_filter() && !skip.contains(&p.name()))
            .map(|(i, p)| (i, &**p))
            .collect();
        let use_cache = self.cache_enabled
            && all_filters.len() <= MAX_CACHED_PLUGINS
            && self.plugins(Point::Score).len() <= MAX_CACHED_PLUGINS;
        let (local_filters, live_filters): (Positioned, Positioned) =
            filters.iter().partition(|(_, p)| p.node_local());
        let mut cache = use_cache.then(|| self.cache.borrow_mut());
        if let Some(c) = cache.as_deref_mut() {
            let mask = local_filters.iter().fold(0u64, |m, (i, _)| m | 1 << i);
            let slots = self
                .plugins(Point::Score)
                .iter()
                .filter(|p| p.node_local())
                .count();
            c.begin(snap.cache_identity(), pod.spec_key(), mask, n, slots);
        }
        let want = self.num_feasible_nodes_to_find(global_pct, n);
        let mut feasible: Vec<usize> = Vec::with_capacity(want.min(n));
        'nodes: for i in 0..n {
            if feasible.len() >= want {
                break;
            }
            let idx = if start + i < n {
                start + i
            } else {
                (start + i) % n
            };
            result.processed += 1;
            let node = &snap.nodes[idx];
            // RunFilterPluginsWithNominatedPods: with higher-or-equal-priority nominated pods
            // added first — to a copy of the node and, through AddPod, to a copy of the
            // cycle state — then (if any were added and that passed) on the node as it is.
            // The first pass always runs live: nothing from the copies is cached.
            if !snap.nominated.is_empty() {
                let extra = snap.nominated_for(&node.name, pod);
                if !extra.is_empty() {
                    let failure = match self.add_nominated_pods(&state, &skip, pod, node, &extra) {
                        Ok((st, with)) => {
                            first_failure(&filters, usize::MAX, &st, pod, &with, snap)
                                .map(|(_, s)| s)
                        }
                        Err(s) => Some(s),
                    };
                    if let Some(s) = failure {
                        result.failed.push((idx, s));
                        continue 'nodes;
                    }
                }
            }
            let failure = match cache.as_deref_mut() {
                None => first_failure(&filters, usize::MAX, &state, pod, node, snap),
                Some(c) => {
                    let gen = snap.generation(idx);
                    if c.verdict(idx, gen).is_none() {
                        let v = first_failure(&local_filters, usize::MAX, &state, pod, node, snap);
                        c.store_verdict(idx, gen, v);
                    }
                    match c.verdict(idx, gen).expect("cached above") {
                        // The common case: nothing to run live.
                        None if live_filters.is_empty() => None,
                        None => first_failure(&live_filters, usize::MAX, &state, pod, node, snap),
                        // A live (non-node-local) filter listed before the cached failure
                        // fails first, as in a full evaluation.
                        Some((pos, s)) => {
                            first_failure(&live_filters, pos, &state, pod, node, snap)
                                .or_else(|| Some((pos, s.clone())))
                        }
                    }
                }
            };
            match failure {
                Some((_, s)) => result.failed.push((idx, s)),
                None => feasible.push(idx),
            }
        }
        if let Some(c) = cache.as_deref_mut() {
            c.end_filter_pass(result.processed as u64);
        }
        if feasible.is_empty() {
            drop(cache);
            // Every node was examined and failed (filtering stops early only on success).
            let mut statuses = NodeToStatus::new(n);
            for (i, s) in &result.failed {
                statuses.set(*i, s.clone());
            }
            result.post_filter = self.run_post_filter(&state, &skip, pod, snap, &statuses, pick);
            return result;
        }
        if feasible.len() == 1 {
            // Upstream skips scoring when only one node is feasible.
            result.chosen = Some(feasible[0]);
            result.state = Some(state);
            return result;
        }
        // PreScore.
        let mut score_skip: Vec<&'static str> = Vec::new();
        for p in self.plugins(Point::PreScore) {
            let s = p.pre_score(&mut state, pod, &feasible, snap);
            if s.is_skip() {
                score_skip.push(p.name());
            }
        }
        // Score, NormalizeScore, weights.
        let nf = feasible.len();
        let mut totals: Vec<i64> = vec![0; nf];
        let mut buf: Vec<NodeScore> = Vec::with_capacity(nf);
        // Each Score plugin that runs this cycle, with its cache slot when node-local.
        let mut slot = 0usize;
        let mut scorers: Vec<(Option<usize>, &dyn Plugin)> = Vec::new();
        let mut score_mask = 0u64;
        for (pos, p) in self.plugins(Point::Score).iter().enumerate() {
            let s = p.node_local().then(|| {
                slot += 1;
                slot - 1
            });
            // A plugin whose PreScore returned Skip does not score this cycle (upstream).
            if score_skip.contains(&p.name()) {
                continue;
            }
            if s.is_some() {
                score_mask |= 1 << pos;
            }
            scorers.push((s, &**p));
        }
        // Node-local raw scores come from the cache (computed for nodes that changed),
        // copied node-major into `local` for this cycle.
        if let Some(c) = cache.as_deref_mut() {
            c.begin_scores(score_mask);
            for &idx in &feasible {
                let gen = snap.generation(idx);
                if !c.has_scores(idx, gen) {
                    let out = c.scores_mut(idx, gen);
                    for (s, p) in &scorers {
                        if let Some(s) = s {
                            out[*s] = p.score(&state, pod, &snap.nodes[idx], snap).unwrap_or(0);
                        }
                    }
                }
            }
        }
        result.plugin_scores.reserve(scorers.len() * nf);
        for (s, p) in &scorers {
            let name = p.name();
            // Looked up once per plugin and cycle, never per node.
            let w = self.weights.get(name).copied().unwrap_or(1);
            buf.clear();
            match (s, cache.as_deref()) {
                // Node-local raw scores straight from the cache (filled above).
                (Some(s), Some(c)) => buf.extend(feasible.iter().map(|&idx| NodeScore {
                    node: idx,
                    score: c.raw_score(idx, *s),
                })),
                _ => buf.extend(feasible.iter().map(|&idx| NodeScore {
                    node: idx,
                    score: p.score(&state, pod, &snap.nodes[idx], snap).unwrap_or(0),
                })),
            }
            p.normalize(&state, pod, &mut buf);
            for (t, s) in totals.iter_mut().zip(&buf) {
                *t += s.score * w;
            }
            result.score_plugins.push(name);
            result.plugin_scores.extend(buf.iter().map(|s| s.score));
        }
        drop(cache);
        // selectHost: the highest total, ties broken by reservoir sampling.
        let mut best = 0usize;
        let mut ties = 0u64;
        for j in 0..feasible.len() {
            if j == 0 || totals[j] > totals[best] {
                best = j;
                ties = 1;
            } else if totals[j] == totals[best] {
                ties += 1;
                if pick(ties) == 0 {
                    best = j;
                }
            }
        }
        result.chosen = Some(feasible[best]);
        result.state = Some(state);
        result.scored = feasible;
        result.totals = totals;
        result
    }
}

/// Upstream's wrapping of a failed PreFilter extension: an Error naming the plugin.
fn extension_error(op: &str, plugin: &'static str, s: &Status) -> Status {
    let mut e = Status::error(format!(
        "running {op} on PreFilter plugin {plugin:?}: {}",
        s.reasons.join(", ")
    ));
    e.plugin = plugin;
    e
}

/// The first of `filters` (position, plugin) listed before `limit` that fails on `node`, with
/// its position and status (the plugin name set).
fn first_failure(
    filters: &[(usize, &dyn Plugin)],
    limit: usize,
    state: &CycleState,
    pod: &PodInfo,
    node: &NodeInfo,
    snap: &Snapshot,
) -> Option<(usize, Status)> {
    for (pos, p) in filters {
        if *pos > limit {
            break;
        }
        let mut s = p.filter(state, pod, node, snap);
        if !s.is_success() {
            s.plugin = p.name();
            return Some((*pos, s));
        }
    }
    None
}
