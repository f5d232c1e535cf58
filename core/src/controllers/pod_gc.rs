//! The pod garbage collector's orphan pass (kube-controller-manager v1.35,
//! pkg/controller/podgc/gc_controller.go `gcOrphaned`): pods bound to a node that no longer
//! exists are marked Failed and force-deleted once the node has been missing for the
//! quarantine time. Upstream runs every `gcCheckPeriod` (20 s from the start) and puts a
//! missing node in quarantine (`quarantineTime`, 40 s) at the first pass that sees it, so the
//! pods go at the pass 40 s later. The other passes (terminated-pod threshold, out-of-service
//! taint, unscheduled terminating pods) are not modelled; PodGC emits no events.

use super::node_pods::NodePods;
use super::ControllerId;
use crate::api::pod::PodPhase;
use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::sim::ctx::{Ctx, Wake};
use crate::store::{ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};

/// gc_controller.go `gcCheckPeriod`.
pub const GC_CHECK_PERIOD: Duration = Duration::from_secs(20);
/// gc_controller.go `quarantineTime`.
pub const QUARANTINE_TIME: Duration = Duration::from_secs(40);

fn pass_key() -> ObjectKey {
    ObjectKey::new(Kind::Node, "", ":podgc")
}

#[derive(Default)]
pub struct PodGcController {
    pub cursor: u64,
    pods: NodePods,
    nodes: OrdSet<String>,
    /// Missing nodes and when their quarantine ends.
    quarantine: OrdMap<String, SimTime>,
    passes: OrdSet<SimTime>,
    /// Whether a budgeted sync has read an orphan so far (`sync_budget`).
    reading_orphans: bool,
}

impl PodGcController {
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let done = self.sync_budget(ctx, &mut crate::sim::budget::Budget::unlimited());
        debug_assert!(done);
    }

    /// `sync` with the feed read `FEED_CHUNK` changes per unit: false when `budget` ran out
    /// while reading; the next call reads on from the cursor, so any split does what one read
    /// does, provided nothing else writes to the store between the calls
    /// (`Sim::step_budget`).
    pub fn sync_budget(&mut self, ctx: &mut Ctx, budget: &mut crate::sim::budget::Budget) -> bool {
        let mut orphans = self.reading_orphans;
        // The feed is read in place (no key is cloned per change): only the node names of
        // Node changes are copied.
        loop {
            let changes = ctx.store.changes_since(self.cursor);
            let n = changes.len().min(super::FEED_CHUNK);
            for c in &changes[..n] {
                match c.key.kind {
                    Kind::Node => {
                        if ctx.store.get(&c.key).is_some() {
                            if !self.nodes.contains(&c.key.name) {
                                self.nodes.insert(c.key.name.clone());
                            }
                        } else {
                            orphans |= self.pods.any_on(&c.key.name);
                            self.nodes.remove(&c.key.name);
                        }
                    }
                    Kind::Pod => {
                        if let Some(n) = self.pods.observe(ctx.store, &c.key) {
                            orphans |= !self.nodes.contains(n);
                        }
                    }
                    _ => {}
                }
            }
            if n == changes.len() {
                break;
            }
            self.cursor = changes[n - 1].revision;
            budget.spend();
            if budget.exhausted() {
                self.reading_orphans = orphans;
                return false;
            }
        }
        self.reading_orphans = false;
        self.cursor = ctx.store.revision();
        if orphans {
            let p = GC_CHECK_PERIOD.as_millis();
            self.schedule(ctx, SimTime(ctx.now.millis().div_ceil(p) * p));
        }
        true
    }

    fn schedule(&mut self, ctx: &mut Ctx, at: SimTime) {
        if self.passes.insert(at) {
            ctx.wake_at(
                at,
                Wake::Controller {
                    controller: ControllerId::PodGc,
                    key: pass_key(),
                },
            );
        }
    }

    pub fn wake(&mut self, ctx: &mut Ctx, _key: &ObjectKey) {
        self.sync(ctx);
        if self.passes.remove(&ctx.now) {
            self.gc_orphaned(ctx);
        }
    }

    /// `gcOrphaned` + `discoverDeletedNodes`.
    fn gc_orphaned(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        // Pods bound to missing nodes put those nodes in quarantine (the earliest stands).
        let missing: Vec<String> = self
            .pods
            .nodes()
            .filter(|n| !self.nodes.contains(*n))
            .cloned()
            .collect();
        for n in missing {
            self.quarantine
                .entry(n)
                .or_insert_with(|| now.after(QUARANTINE_TIME));
        }
        let due: Vec<String> = self
            .quarantine
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(n, _)| n.clone())
            .collect();
        for n in due {
            self.quarantine.remove(&n);
            if self.nodes.contains(&n) {
                continue;
            }
            for key in self.pods.on(&n) {
                let Some(Object::Pod(p)) = ctx.store.get(&key).map(|s| s.object.clone()) else {
                    continue;
                };
                // markFailedAndDeletePodWithCondition: Failed first, then a deletion with
                // grace period 0.
                if !p.is_terminal() {
                    let mut p = p;
                    p.status.phase = PodPhase::Failed;
                    p.status.ready = false;
                    let _ = ctx.store.update(Object::Pod(p), None);
                }
                let _ = ctx.store.delete(&key);
            }
        }
        if let Some(next) = self.quarantine.values().min().copied() {
            self.schedule(ctx, next);
        }
    }
}
