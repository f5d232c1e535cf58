//! Each node's value of a topology key as a small integer, kept current from the snapshot's
//! change log.
//!
//! Why: PreScore and Score read `node.Labels[topologyKey]` for every candidate node of every
//! pod (upstream `initPreScoreState` and `Score`), and with a thousand nodes those label-map
//! lookups and the string compares that follow were a fifth of a whole simulation. The values
//! only change when a node changes, so each key's values are interned once and re-read only
//! for the nodes the change log names. Decisions do not change: an id stands for exactly one
//! value, and a missing label is told apart from an empty value.

use crate::collections::OrdMap;
use crate::sched::framework::Snapshot;
use std::rc::Rc;

/// A node without the key.
pub const MISSING: u32 = u32::MAX;

/// How many topology keys are kept (a pod's constraints name a handful).
const CAPACITY: usize = 8;

/// One key's values: shared (`Rc`) with the cycle states that read them, copied only when a
/// node changes while an older state still holds them.
#[derive(Clone, Debug, Default)]
pub struct DomainTable {
    /// Per node index: the id of its value, or `MISSING`.
    pub ids: Vec<u32>,
    /// Id → value (ids are never reused while the snapshot's layout holds).
    pub names: Vec<String>,
    by_name: OrdMap<String, u32>,
}

struct KeyDomains {
    key: String,
    table: Rc<DomainTable>,
    snapshot: u64,
    cursor: u64,
    last_used: u64,
}

impl DomainTable {
    fn intern(&mut self, value: &str) -> u32 {
        if let Some(&id) = self.by_name.get(value) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(value.to_string());
        self.by_name.insert(value.to_string(), id);
        id
    }

    fn read(&mut self, snap: &Snapshot, key: &str, idx: usize) -> u32 {
        match snap.nodes[idx].labels().get(key) {
            Some(v) => self.intern(v),
            None => MISSING,
        }
    }

    /// The id of `value`, if some node had it.
    pub fn id_of(&self, value: &str) -> Option<u32> {
        self.by_name.get(value).copied()
    }

    /// Slots for per-domain arrays: one per id, plus one for nodes without the key, which
    /// share the empty value's slot when some node has the key with an empty value (upstream
    /// reads a missing label as `""`).
    pub fn slots(&self) -> usize {
        self.names.len() + 1
    }

    /// The slot of node `idx` (see `slots`).
    pub fn slot(&self, idx: usize) -> usize {
        match self.ids[idx] {
            MISSING => self.id_of("").unwrap_or(self.names.len() as u32) as usize,
            id => id as usize,
        }
    }
}

#[derive(Default)]
pub struct NodeDomains {
    keys: Vec<KeyDomains>,
    clock: u64,
}

impl NodeDomains {
    /// `key`'s value ids for every node of `snap`, brought up to date.
    pub fn get(&mut self, snap: &Snapshot, key: &str) -> Rc<DomainTable> {
        self.clock += 1;
        let i = match self.keys.iter().position(|k| k.key == key) {
            Some(i) => i,
            None => {
                let fresh = KeyDomains {
                    key: key.to_string(),
                    table: Rc::default(),
                    snapshot: u64::MAX,
                    cursor: 0,
                    last_used: 0,
                };
                if self.keys.len() < CAPACITY {
                    self.keys.push(fresh);
                    self.keys.len() - 1
                } else {
                    let oldest = (0..self.keys.len())
                        .min_by_key(|&i| self.keys[i].last_used)
                        .expect("full");
                    self.keys[oldest] = fresh;
                    oldest
                }
            }
        };
        let k = &mut self.keys[i];
        k.last_used = self.clock;
        let n = snap.nodes.len();
        let same_layout = k.snapshot == snap.cache_identity().0 && k.table.ids.len() == n;
        let changed = if same_layout {
            snap.changed_since(k.cursor)
        } else {
            None
        };
        match changed {
            Some([]) => {}
            Some(list) => {
                let t = Rc::make_mut(&mut k.table);
                for &idx in list {
                    let id = t.read(snap, &k.key, idx);
                    t.ids[idx] = id;
                }
            }
            None => {
                let mut t = DomainTable {
                    ids: Vec::with_capacity(n),
                    ..DomainTable::default()
                };
                for idx in 0..n {
                    let id = t.read(snap, &k.key, idx);
                    t.ids.push(id);
                }
                k.table = Rc::new(t);
                k.snapshot = snap.cache_identity().0;
            }
        }
        k.cursor = snap.change_cursor();
        Rc::clone(&k.table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::Node;
    use crate::rng::SimRng;

    /// After every random node change the ids name exactly each node's label value (a failing
    /// case prints its seed).
    #[test]
    fn ids_follow_every_node_change() {
        for seed in 1..=20u64 {
            let mut rng = SimRng::new(seed);
            let mut snap = Snapshot::default();
            let mut nd = NodeDomains::default();
            for step in 0..200 {
                let mut n = Node::default();
                n.metadata.name = format!("n{}", rng.below(15));
                match rng.below(4) {
                    0 => {}
                    1 => {
                        n.metadata.labels.insert("zone".into(), String::new());
                    }
                    _ => {
                        let z = ["a", "b", "c"][rng.below(3) as usize];
                        n.metadata.labels.insert("zone".into(), z.into());
                    }
                }
                if rng.below(8) == 0 {
                    snap.remove_node(&n.metadata.name);
                } else {
                    snap.set_node(n);
                }
                let k = nd.get(&snap, "zone");
                let held = nd.get(&snap, "zone");
                assert!(Rc::ptr_eq(&k, &held), "no copy without a change");
                assert_eq!(k.ids.len(), snap.nodes.len(), "seed {seed} step {step}");
                for (idx, node) in snap.nodes.iter().enumerate() {
                    let want = node.labels().get("zone");
                    let got = (k.ids[idx] != MISSING).then(|| &k.names[k.ids[idx] as usize]);
                    assert_eq!(got, want, "seed {seed} step {step} node {}", node.name);
                }
            }
        }
    }
}
