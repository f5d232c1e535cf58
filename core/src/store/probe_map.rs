//! Hash maps and sets that can only be probed, never iterated.
//!
//! Hot indexes (the store's objects by key, the kubelets' workers, the controllers' reverse
//! indexes) answer a lookup per change read; a hash probe is cheaper than an ordered walk that
//! compares key strings. Determinism (invariant 1) forbids any hash order from reaching a
//! result, so these types expose no iteration at all: `get`, `insert`, `remove` and friends
//! only. The hash is `key_hash`'s (Fx with a MurmurHash3 finalizer), fixed, with no random seed.

use super::key_hash::FxBuild;
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// A `HashMap` with `key_hash`'s fixed hash and no iteration.
#[derive(Clone)]
pub struct ProbeMap<K, V>(HashMap<K, V, FxBuild>);

/// Only the size: a derived `Debug` would list the entries in hash order, which differs
/// between native and wasm32 (`usize` hashes by width), and a debug string can reach output.
impl<K, V> std::fmt::Debug for ProbeMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProbeMap({} entries)", self.0.len())
    }
}

impl<K, V> Default for ProbeMap<K, V> {
    fn default() -> Self {
        ProbeMap(HashMap::default())
    }
}

impl<K: Hash + Eq, V> ProbeMap<K, V> {
    #[cellsim_derive::hot]
    pub fn get<Q>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(k)
    }

    #[cellsim_derive::hot]
    pub fn get_mut<Q>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get_mut(k)
    }

    #[cellsim_derive::hot]
    pub fn contains_key<Q>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.contains_key(k)
    }

    #[cellsim_derive::hot]
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        self.0.insert(k, v)
    }

    #[cellsim_derive::hot]
    pub fn remove<Q>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.remove(k)
    }

    /// The value at `k`, inserted as `V::default()` when absent.
    pub fn get_or_default(&mut self, k: K) -> &mut V
    where
        V: Default,
    {
        self.0.entry(k).or_default()
    }
}

/// `map[k]`: the value at a key known to be present (panics otherwise, as `HashMap` does).
impl<K, Q, V> std::ops::Index<&Q> for ProbeMap<K, V>
where
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq + ?Sized,
{
    type Output = V;

    fn index(&self, k: &Q) -> &V {
        &self.0[k]
    }
}

/// A `HashSet` with `key_hash`'s fixed hash and no iteration.
#[derive(Clone)]
pub struct ProbeSet<T>(HashSet<T, FxBuild>);

/// Only the size, as `ProbeMap`'s.
impl<T> std::fmt::Debug for ProbeSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProbeSet({} entries)", self.0.len())
    }
}

impl<T> Default for ProbeSet<T> {
    fn default() -> Self {
        ProbeSet(HashSet::default())
    }
}

impl<T: Hash + Eq> ProbeSet<T> {
    /// True when `t` was not in the set.
    #[cellsim_derive::hot]
    pub fn insert(&mut self, t: T) -> bool {
        self.0.insert(t)
    }

    #[cellsim_derive::hot]
    pub fn contains<Q>(&self, t: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.contains(t)
    }

    /// Empty the set, keeping its table: a set refilled over and over does not grow (rehash
    /// into a fresh table) again each time. Costs nothing when already empty.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_insert_replace_and_remove() {
        let mut m: ProbeMap<String, u32> = ProbeMap::default();
        assert_eq!(m.insert("a".into(), 1), None);
        assert_eq!(m.insert("a".into(), 2), Some(1));
        assert_eq!(m.get("a"), Some(&2));
        *m.get_or_default("b".into()) += 5;
        assert_eq!(m.get("b"), Some(&5));
        assert!(m.contains_key("b"));
        assert_eq!(m.remove("a"), Some(2));
        assert!(m.get("a").is_none());
        let mut s = ProbeSet::default();
        assert!(s.insert("x"));
        assert!(!s.insert("x"));
        assert!(s.contains("x") && !s.contains("y"));
        s.clear();
        assert!(!s.contains("x"));
        assert!(s.insert("x"));
        assert_eq!(
            format!("{s:?}"),
            "ProbeSet(1 entries)",
            "no hash order in Debug"
        );
        assert_eq!(format!("{m:?}"), "ProbeMap(1 entries)");
    }
}
