//! Per-node counts of the pods matching a constraint's selector, kept across scheduling
//! cycles and recomputed only for nodes whose generation changed.
//!
//! Why: upstream's PreFilter and PreScore count matching pods on *every* node each cycle
//! (`countPodsMatchSelector` over all of them, on 16 goroutines). With system default
//! constraints every Deployment pod pays that, so a 5,000-node, 100,000-pod simulation spent
//! most of its time comparing label strings. The pods of one workload share one selector, so
//! the counts of unchanged nodes are reused; the sums (and so every decision) are exactly
//! those of a full count. Valid only for the snapshot's own nodes: the preemption dry run's
//! node copies never reach this cache (they go through AddPod / RemovePod).

use super::common::count_pods_match_selector;
use crate::api::selector::Selector;
use crate::sched::framework::Snapshot;

/// How many distinct (namespace, selector) pairs are kept; the least recently used goes.
const CAPACITY: usize = 32;

struct Entry {
    namespace: String,
    selector: Selector,
    /// Per node index: (generation, count); generation 0 = not computed.
    per_node: Vec<(u64, i64)>,
    last_used: u64,
    /// The snapshot's change cursor when every node's count was last known current
    /// (`warm`): after it only the nodes in the snapshot's change log can be stale.
    current_at: Option<u64>,
}

#[derive(Default)]
pub struct MatchCounts {
    /// (snapshot id, epoch) the entries belong to.
    identity: (u64, u64),
    entries: Vec<Entry>,
    clock: u64,
}

impl MatchCounts {
    /// The entry for (`namespace`, `selector`), sized for `snap` (created or reset as needed).
    pub fn entry(&mut self, snap: &Snapshot, selector: &Selector, namespace: &str) -> usize {
        if self.identity != snap.cache_identity() {
            self.identity = snap.cache_identity();
            self.entries.clear();
        }
        self.clock += 1;
        let n = snap.nodes.len();
        if let Some(i) = self
            .entries
            .iter()
            .position(|e| e.namespace == namespace && e.selector == *selector)
        {
            let e = &mut self.entries[i];
            e.last_used = self.clock;
            if e.per_node.len() != n {
                e.per_node = vec![(0, 0); n];
                e.current_at = None;
            }
            return i;
        }
        let fresh = Entry {
            namespace: namespace.to_string(),
            selector: selector.clone(),
            per_node: vec![(0, 0); n],
            last_used: self.clock,
            current_at: None,
        };
        if self.entries.len() < CAPACITY {
            self.entries.push(fresh);
            return self.entries.len() - 1;
        }
        let oldest = (0..self.entries.len())
            .min_by_key(|&i| self.entries[i].last_used)
            .expect("full");
        self.entries[oldest] = fresh;
        oldest
    }

    /// Bring entry `e`'s counts up to date for the nodes `from..from + limit`: `Some(next)`
    /// while nodes are left. When every count was current at a cursor the snapshot's change
    /// log still reaches, only the nodes changed since are counted (at most `limit` of them
    /// in one call), so an entry kept current costs next to nothing.
    pub fn warm(&mut self, e: usize, snap: &Snapshot, from: usize, limit: usize) -> Option<usize> {
        let cursor = snap.change_cursor();
        let entry = &self.entries[e];
        if entry.current_at == Some(cursor) {
            return None;
        }
        if from == 0 {
            let changed = entry.current_at.and_then(|c| snap.changed_since(c));
            if let Some(list) = changed.filter(|l| l.len() <= limit) {
                for &idx in list {
                    self.count(e, snap, idx);
                }
                self.entries[e].current_at = Some(cursor);
                return None;
            }
        }
        let n = snap.nodes.len();
        let end = from.saturating_add(limit).min(n);
        for idx in from..end {
            self.count(e, snap, idx);
        }
        if end < n {
            return Some(end);
        }
        self.entries[e].current_at = Some(cursor);
        None
    }

    /// `countPodsMatchSelector` on snapshot node `idx` for entry `e`.
    #[cellsim_derive::hot]
    pub fn count(&mut self, e: usize, snap: &Snapshot, idx: usize) -> i64 {
        let gen = snap.generation(idx);
        let entry = &mut self.entries[e];
        let (g, c) = entry.per_node[idx];
        if g == gen {
            return c;
        }
        let c = count_pods_match_selector(&snap.nodes[idx].pods, &entry.selector, &entry.namespace);
        entry.per_node[idx] = (gen, c);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::Node;
    use crate::api::pod::Pod;
    use crate::sched::framework::PodInfo;
    use std::rc::Rc;

    fn pod(name: &str, app: &str) -> Rc<PodInfo> {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        p.metadata.labels.insert("app".into(), app.into());
        Rc::new(PodInfo::new(&p))
    }

    #[test]
    fn counts_follow_every_change_of_the_node() {
        let mut snap = Snapshot::default();
        for n in ["a", "b"] {
            let mut node = Node::default();
            node.metadata.name = n.into();
            snap.set_node(node);
        }
        let web = Selector::parse("app=web").expect("selector");
        let mut mc = MatchCounts::default();
        let count = |mc: &mut MatchCounts, snap: &Snapshot, node: &str| {
            let e = mc.entry(snap, &web, "default");
            mc.count(e, snap, snap.index[node])
        };
        assert_eq!(count(&mut mc, &snap, "a"), 0);
        snap.add_pod("a", pod("w1", "web"));
        snap.add_pod("a", pod("d1", "db"));
        assert_eq!(count(&mut mc, &snap, "a"), 1, "recounted after add");
        assert_eq!(count(&mut mc, &snap, "b"), 0);
        snap.add_pod("a", pod("w2", "web"));
        assert_eq!(count(&mut mc, &snap, "a"), 2);
        snap.update_pod(pod("w2", "db"));
        assert_eq!(count(&mut mc, &snap, "a"), 1, "relabelled");
        snap.remove_pod("default/w1");
        assert_eq!(count(&mut mc, &snap, "a"), 0, "removed");
        // Another namespace is another entry.
        let e = mc.entry(&snap, &web, "other");
        assert_eq!(mc.count(e, &snap, snap.index["a"]), 0);
    }

    /// `warm` in pieces leaves every count current (equal to a fresh count), then follows
    /// only the nodes changed since, and reports done once nothing is left.
    #[test]
    fn warming_in_pieces_then_incrementally_keeps_counts_exact() {
        let mut snap = Snapshot::default();
        for i in 0..10 {
            let mut node = Node::default();
            node.metadata.name = format!("n{i}");
            snap.set_node(node);
        }
        for i in 0..30 {
            let app = if i % 3 == 0 { "db" } else { "web" };
            snap.add_pod(&format!("n{}", i % 10), pod(&format!("p{i}"), app));
        }
        let web = Selector::parse("app=web").expect("selector");
        let mut mc = MatchCounts::default();
        let e = mc.entry(&snap, &web, "default");
        let mut from = 0;
        let mut calls = 0;
        while let Some(next) = mc.warm(e, &snap, from, 4) {
            assert!(next > from && next <= 10, "{from} -> {next}");
            from = next;
            calls += 1;
        }
        assert_eq!(calls, 2, "10 nodes in pieces of 4: two calls return Some");
        let exact = |mc: &MatchCounts, snap: &Snapshot| {
            for (idx, node) in snap.nodes.iter().enumerate() {
                let want = count_pods_match_selector(&node.pods, &web, "default");
                assert_eq!(
                    mc.entries[e].per_node[idx],
                    (snap.generation(idx), want),
                    "{idx}"
                );
            }
        };
        exact(&mc, &snap);
        assert_eq!(mc.warm(e, &snap, 0, 4), None, "current: nothing to do");
        snap.add_pod("n3", pod("q1", "web"));
        snap.remove_pod("default/p4");
        assert_eq!(
            mc.warm(e, &snap, 0, 4),
            None,
            "two changed nodes in one piece"
        );
        exact(&mc, &snap);
    }
}
