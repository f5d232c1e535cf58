//! What a run did, read from the control plane's store after every step, the same way for the
//! simulated and the real run so they can be put side by side: every pod → node binding (by
//! the pod's controller, whose name is the same in both runs, since pod names carry random
//! suffixes), each pod's start latency (creation → Ready) and each rollout's duration (a
//! `setImage`/`rolloutUndo`/`apply` of a Deployment → every replica updated and available).

use cellsim_core::api::{Kind, Object};
use cellsim_core::scenario::timeline::Action;
use cellsim_core::sim::Sim;
use cellsim_core::store::ObjectStore;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// `Kind/name` of the pod's controller, or `Pod/name` for a bare pod.
    pub owner: String,
    pub node: String,
}

#[derive(Clone, Debug, Default)]
pub struct Tracker {
    bound: BTreeMap<String, Placement>,
    ready: BTreeMap<String, u64>,
    seen_ready: BTreeSet<String>,
    /// Deployment `namespace/name` → (started at, finished at).
    rollouts: BTreeMap<String, (u64, Option<u64>)>,
    rollout_starts: Vec<(u64, String)>,
}

impl Tracker {
    pub fn new(sim: &Sim) -> Tracker {
        let mut rollout_starts: Vec<(u64, String)> = Vec::new();
        for e in &sim.scenario.timeline {
            let target = match &e.action {
                Action::SetImage { target, .. } | Action::RolloutUndo { target, .. }
                    if target.kind == Kind::Deployment =>
                {
                    Some(format!("{}/{}", target.namespace, target.name))
                }
                _ => None,
            };
            if let Some(t) = target {
                rollout_starts.push((e.at.as_millis(), t));
            }
        }
        Tracker {
            rollout_starts,
            ..Tracker::default()
        }
    }

    /// Read the store as it is now.
    pub fn observe(&mut self, sim: &Sim) {
        let now = sim.now.0;
        for o in sim.store.objects(Kind::Pod) {
            let Object::Pod(p) = o else { continue };
            let uid = &p.metadata.uid;
            if !p.spec.node_name.is_empty() && !self.bound.contains_key(uid) {
                let owner = p
                    .metadata
                    .controller_of()
                    .map(|r| format!("{}/{}", r.kind, r.name))
                    .unwrap_or_else(|| format!("Pod/{}", p.metadata.name));
                self.bound.insert(
                    uid.clone(),
                    Placement {
                        owner,
                        node: p.spec.node_name.clone(),
                    },
                );
            }
            if p.status.ready && self.seen_ready.insert(uid.clone()) {
                let at = p.status.ready_at.unwrap_or(now);
                self.ready
                    .insert(uid.clone(), at.saturating_sub(p.metadata.created_at));
            }
        }
        for (at, key) in &self.rollout_starts {
            if *at > now {
                continue;
            }
            let entry = self.rollouts.entry(key.clone()).or_insert((*at, None));
            if entry.0 != *at && entry.1.is_some() {
                // A later rollout of the same Deployment starts over.
                *entry = (*at, None);
            }
            if entry.1.is_some() {
                continue;
            }
            let (ns, name) = key.split_once('/').expect("namespace/name");
            let dk = cellsim_core::store::ObjectKey::new(Kind::Deployment, ns, name);
            if let Some(Object::Deployment(d)) = sim.store.get(&dk).map(|s| &s.object) {
                let want = d.spec.replicas.unwrap_or(1);
                let s = &d.status;
                if s.observed_generation >= d.metadata.generation
                    && s.updated_replicas == want
                    && s.available_replicas == want
                    && s.replicas == want
                    && now > *at
                {
                    entry.1 = Some(now - at);
                }
            }
        }
    }

    /// Every binding of the run as (owner, node) with its count.
    pub fn placements(&self) -> BTreeMap<(String, String), u32> {
        let mut m = BTreeMap::new();
        for p in self.bound.values() {
            *m.entry((p.owner.clone(), p.node.clone())).or_insert(0) += 1;
        }
        m
    }

    /// Start latencies (creation → Ready) in ms, sorted.
    pub fn start_latencies(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.ready.values().copied().collect();
        v.sort_unstable();
        v
    }

    /// Rollout durations in ms by Deployment (`None`: not finished by the end).
    pub fn rollouts(&self) -> BTreeMap<String, Option<u64>> {
        self.rollouts
            .iter()
            .map(|(k, (_, d))| (k.clone(), *d))
            .collect()
    }
}

/// The p-th percentile (nearest rank, as `compact` reports its trials) of the values; `None`
/// when there are none.
pub fn percentile(values: &[u64], p: u64) -> Option<u64> {
    let p = u32::try_from(p).unwrap_or(u32::MAX);
    (!values.is_empty()).then(|| cellsim_core::plan::compaction::percentile(values, p))
}
