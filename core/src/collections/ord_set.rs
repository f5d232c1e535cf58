//! [`OrdSet`]: an ordered set = an [`OrdMap`] to `()`.

use std::borrow::Borrow;
use std::fmt;
use std::ops::RangeBounds;

use super::ord_map::{IntoKeys, Keys, OrdMap};
use super::tree::Cursor;

/// An ordered set with `BTreeSet`'s semantics and iteration order: an `OrdMap<K, ()>`, so a
/// set of `K` compiles nothing beyond that map's slab and wrappers (and the tree is the one
/// every map and set shares).
pub struct OrdSet<K> {
    map: OrdMap<K, ()>,
}

impl<K> OrdSet<K> {
    pub const fn new() -> Self {
        OrdSet { map: OrdMap::new() }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    pub fn iter(&self) -> Keys<'_, K> {
        self.map.keys()
    }

    /// The tree's chunk lengths, for the tests of its invariants.
    #[cfg(test)]
    pub(super) fn chunk_lens(&self) -> Vec<usize> {
        self.map.chunk_lens()
    }
}

impl<K: Ord> OrdSet<K> {
    /// As `BTreeSet::insert`: false (and the stored element kept) if it was present.
    pub fn insert(&mut self, key: K) -> bool {
        self.map.insert(key, ()).is_none()
    }

    #[inline]
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.contains_key(key)
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&K>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.get_key_value(key).map(|(k, _)| k)
    }

    pub fn remove<Q>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.remove_entry(key).is_some()
    }

    pub fn take<Q>(&mut self, key: &Q) -> Option<K>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.remove_entry(key).map(|(k, _)| k)
    }

    /// As `BTreeSet::range`, with its panics for bounds out of order.
    pub fn range<Q, R>(&self, range: R) -> Keys<'_, K, Cursor<'_>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        self.map.range_keys(range)
    }

    pub fn first(&self) -> Option<&K> {
        self.map.first_key_value().map(|(k, _)| k)
    }

    pub fn last(&self) -> Option<&K> {
        self.map.last_key_value().map(|(k, _)| k)
    }

    pub fn pop_first(&mut self) -> Option<K> {
        self.map.pop_first().map(|(k, _)| k)
    }

    pub fn pop_last(&mut self) -> Option<K> {
        self.map.pop_last().map(|(k, _)| k)
    }

    /// As `BTreeSet::retain`: visits the elements in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.map.retain(|k, _| keep(k));
    }

    pub fn is_subset(&self, other: &OrdSet<K>) -> bool {
        self.len() <= other.len() && self.iter().all(|k| other.contains(k))
    }
}

impl<K> Default for OrdSet<K> {
    fn default() -> Self {
        OrdSet::new()
    }
}

impl<K: Clone> Clone for OrdSet<K> {
    fn clone(&self) -> Self {
        OrdSet {
            map: self.map.clone(),
        }
    }
}

impl<K: PartialEq> PartialEq for OrdSet<K> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<K: Eq> Eq for OrdSet<K> {}

impl<K: fmt::Debug> fmt::Debug for OrdSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<K: Ord> Extend<K> for OrdSet<K> {
    fn extend<I: IntoIterator<Item = K>>(&mut self, iter: I) {
        for k in iter {
            self.insert(k);
        }
    }
}

/// By insertion (for a repeated element the first stays, as with `BTreeSet`'s `collect`).
impl<K: Ord> FromIterator<K> for OrdSet<K> {
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        let mut s = OrdSet::new();
        s.extend(iter);
        s
    }
}

impl<K: Ord, const N: usize> From<[K; N]> for OrdSet<K> {
    fn from(elements: [K; N]) -> Self {
        elements.into_iter().collect()
    }
}

impl<'a, K> IntoIterator for &'a OrdSet<K> {
    type Item = &'a K;
    type IntoIter = Keys<'a, K>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K> IntoIterator for OrdSet<K> {
    type Item = K;
    type IntoIter = IntoKeys<K>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.into_keys()
    }
}
