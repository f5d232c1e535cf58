//! The cycle cache: per-node Filter verdicts and raw Scores of the node-local plugins
//! (`Plugin::node_local`), reused across scheduling cycles of pods with the same spec while
//! the node has not changed.
//!
//! Why: in a capacity-planning run most pods come from a handful of templates, and between
//! two cycles only the node that received the last pod changes. Re-running every node-local
//! plugin on the same unchanged node for an identical spec gives the same answer; upstream
//! kube-scheduler once kept such an equivalence-class cache for the same reason
//! (pkg/scheduler/core/equivalence_cache.go, removed in v1.14 because invalidation across
//! goroutines was error-prone — here the scheduler is single-threaded and every node change
//! goes through `Snapshot`, which bumps the node's generation).
//!
//! Decisions are identical to a full evaluation by construction: an entry is used only when
//! the snapshot (identity and epoch), the pod's spec key, the set of plugins that ran and the
//! node's generation are all unchanged; non-node-local plugins (PodTopologySpread,
//! InterPodAffinity) always run live; nodes with nominated pods are always evaluated live
//! (their first pass filters copies of the node and of the cycle state, which AddPod
//! changed, and never touches the cache). Preemption's dry run filters without the cache.
//! The bench (`cellsim bench scheduler`) prints a placements hash to check this, and
//! `tests` below compare cached and uncached cycles on random clusters.

use super::framework::Status;
use std::rc::Rc;

const PASS: u32 = u32::MAX;

#[derive(Default)]
pub struct CycleCache {
    /// (snapshot id, epoch) the entries belong to.
    identity: (u64, u64),
    key: Option<Rc<str>>,
    /// Which node-local filters and scores ran (bit per position in the profile's lists):
    /// part of the key, since PreFilter / PreScore may skip plugins.
    filter_mask: u64,
    score_mask: u64,
    /// Per node index: the generation the verdict was computed at (0: none) and the
    /// position (in the profile's filter list) of the first node-local filter that failed,
    /// `PASS` when all passed — side by side, so the hot loop touches one cache line per
    /// node. The failure's status is beside them, read only for failing nodes.
    verdict: Vec<(u64, u32)>,
    fail_status: Vec<Option<Status>>,
    score_gen: Vec<u64>,
    /// `slots` raw scores per node, node-major.
    scores: Vec<i64>,
    slots: usize,
    /// Counters for benchmarks and tests.
    pub hits: u64,
    pub misses: u64,
    cycle_misses: u64,
}

impl CycleCache {
    /// Start a cycle: drop every entry unless the snapshot, epoch, pod spec and filter set
    /// match the previous cycle's, and size the tables for `nodes` nodes and `slots` score
    /// plugins.
    pub fn begin(
        &mut self,
        identity: (u64, u64),
        key: &Rc<str>,
        filter_mask: u64,
        nodes: usize,
        slots: usize,
    ) {
        let same = self.identity == identity
            && self.key.as_ref().is_some_and(|k| k == key)
            && self.filter_mask == filter_mask
            && self.slots == slots
            && self.verdict.len() == nodes;
        if !same {
            self.identity = identity;
            self.key = Some(key.clone());
            self.filter_mask = filter_mask;
            self.score_mask = 0;
            self.slots = slots;
            self.verdict = vec![(0, PASS); nodes];
            self.fail_status = vec![None; nodes];
            self.score_gen = vec![0; nodes];
            self.scores = vec![0; nodes * slots];
        }
    }

    /// Node `i`'s node-local verdict if cached at generation `gen`: `Some(None)` when every
    /// node-local filter passed, `Some(Some((position, status)))` for the first failure.
    #[inline]
    pub fn verdict(&self, i: usize, gen: u64) -> Option<Option<(usize, &Status)>> {
        let (g, pos) = self.verdict[i];
        if g != gen {
            return None;
        }
        Some(match pos {
            PASS => None,
            pos => self.fail_status[i].as_ref().map(|s| (pos as usize, s)),
        })
    }

    pub fn store_verdict(&mut self, i: usize, gen: u64, v: Option<(usize, Status)>) {
        self.cycle_misses += 1;
        match v {
            None => {
                self.verdict[i] = (gen, PASS);
                self.fail_status[i] = None;
            }
            Some((pos, s)) => {
                // Positions are below MAX_CACHED_PLUGINS (64).
                self.verdict[i] = (gen, pos as u32);
                self.fail_status[i] = Some(s);
            }
        }
    }

    /// Account one cycle's Filter pass over `processed` nodes.
    pub fn end_filter_pass(&mut self, processed: u64) {
        self.misses += self.cycle_misses;
        self.hits += processed - self.cycle_misses.min(processed);
        self.cycle_misses = 0;
    }

    /// Select the score plugins that run this cycle; a different set drops the scores.
    pub fn begin_scores(&mut self, score_mask: u64) {
        if self.score_mask != score_mask {
            self.score_mask = score_mask;
            self.score_gen.iter_mut().for_each(|g| *g = 0);
        }
    }

    #[inline]
    pub fn has_scores(&self, i: usize, gen: u64) -> bool {
        self.score_gen[i] == gen
    }

    /// Node `i`'s raw score in `slot` (after `has_scores` or `scores_mut`).
    #[inline]
    pub fn raw_score(&self, i: usize, slot: usize) -> i64 {
        self.scores[i * self.slots + slot]
    }

    /// Room for node `i`'s raw scores at `gen` (the caller fills every active slot).
    pub fn scores_mut(&mut self, i: usize, gen: u64) -> &mut [i64] {
        self.score_gen[i] = gen;
        &mut self.scores[i * self.slots..(i + 1) * self.slots]
    }
}
