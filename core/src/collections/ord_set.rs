//! [`OrdSet`]: an ordered set on the same std `BTreeMap<K, u32>` as [`super::OrdMap`].

use std::borrow::Borrow;
use std::collections::btree_map;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeBounds;

/// An ordered set with `BTreeSet`'s semantics and iteration order. It is a std
/// `BTreeMap<K, u32>` whose values are all 0, so its tree code is the one every
/// `OrdMap<K, _>` already compiles (a `BTreeSet<K>` would be another instantiation).
pub struct OrdSet<K> {
    index: BTreeMap<K, u32>,
}

impl<K> OrdSet<K> {
    pub const fn new() -> Self {
        OrdSet {
            index: BTreeMap::new(),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn clear(&mut self) {
        self.index.clear();
    }

    pub fn iter(&self) -> btree_map::Keys<'_, K, u32> {
        self.index.keys()
    }
}

impl<K: Ord> OrdSet<K> {
    /// As `BTreeSet::insert`: false (and the stored element kept) if it was present.
    pub fn insert(&mut self, key: K) -> bool {
        match self.index.entry(key) {
            btree_map::Entry::Occupied(_) => false,
            btree_map::Entry::Vacant(e) => {
                e.insert(0);
                true
            }
        }
    }

    #[inline]
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.index.contains_key(key)
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&K>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.index.get_key_value(key).map(|(k, _)| k)
    }

    pub fn remove<Q>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.index.remove(key).is_some()
    }

    pub fn take<Q>(&mut self, key: &Q) -> Option<K>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.index.remove_entry(key).map(|(k, _)| k)
    }

    pub fn range<Q, R>(&self, range: R) -> impl DoubleEndedIterator<Item = &K> + Clone
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        self.index.range(range).map(|(k, _)| k)
    }

    pub fn first(&self) -> Option<&K> {
        self.index.first_key_value().map(|(k, _)| k)
    }

    pub fn last(&self) -> Option<&K> {
        self.index.last_key_value().map(|(k, _)| k)
    }

    pub fn pop_first(&mut self) -> Option<K> {
        self.index.pop_first().map(|(k, _)| k)
    }

    pub fn pop_last(&mut self) -> Option<K> {
        self.index.pop_last().map(|(k, _)| k)
    }

    /// As `BTreeSet::retain`: visits the elements in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.index.retain(|k, _| keep(k));
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
            index: self.index.clone(),
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
    type IntoIter = btree_map::Keys<'a, K, u32>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K> IntoIterator for OrdSet<K> {
    type Item = K;
    type IntoIter = btree_map::IntoKeys<K, u32>;

    fn into_iter(self) -> Self::IntoIter {
        self.index.into_keys()
    }
}
