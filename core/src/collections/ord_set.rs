//! [`OrdSet`]: an ordered set = the same [`Tree`] of handles as [`super::OrdMap`] + a slab of
//! elements.

use std::borrow::Borrow;
use std::fmt;
use std::ops::RangeBounds;

use super::ord_map::{IntoKeys, Keys};
use super::slab::{self, Slab};
use super::tree::{self, Cursor, Tree};

/// An ordered set with `BTreeSet`'s semantics and iteration order: the elements in a slab,
/// their handles ordered by the [`Tree`] every map and set shares; what is compiled per
/// element type is the slab and the thin wrappers, the same ones `OrdMap<K, _>` uses for its
/// keys.
pub struct OrdSet<K> {
    tree: Tree,
    keys: Slab<K>,
}

impl<K> OrdSet<K> {
    pub const fn new() -> Self {
        OrdSet {
            tree: Tree::new(),
            keys: Slab::new(),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.tree.len() == 0
    }

    pub fn clear(&mut self) {
        self.tree.clear();
        self.keys.clear();
    }

    pub fn iter(&self) -> Keys<'_, K> {
        Keys {
            handles: self.tree.iter(),
            keys: &self.keys.slots,
        }
    }

    /// The tree's chunk lengths, for the tests of its invariants.
    #[cfg(test)]
    pub(super) fn chunk_lens(&self) -> Vec<usize> {
        self.tree.chunk_lens()
    }

    /// The element of handle `h`, which has just left the tree.
    fn take_handle(&mut self, h: u32) -> K {
        let k = self.keys.remove(h);
        if self.tree.len() == 0 {
            self.keys.clear();
        }
        k
    }
}

impl<K: Ord> OrdSet<K> {
    #[inline]
    fn find<Q>(&self, key: &Q) -> (tree::Pos, bool)
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let keys = &self.keys.slots;
        tree::find(&self.tree, key, |h| slab::get(keys, h).borrow())
    }

    /// As `BTreeSet::insert`: false (and the stored element kept) if it was present.
    pub fn insert(&mut self, key: K) -> bool {
        match self.find(&key) {
            (_, true) => false,
            (p, false) => {
                let h = self.keys.insert(key);
                self.tree.insert(p, h);
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
        self.find(key).1
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&K>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.find(key) {
            (p, true) => Some(self.keys.get(self.tree.at(p))),
            (_, false) => None,
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.take(key).is_some()
    }

    pub fn take<Q>(&mut self, key: &Q) -> Option<K>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.find(key) {
            (p, true) => {
                let h = self.tree.remove(p);
                Some(self.take_handle(h))
            }
            (_, false) => None,
        }
    }

    /// As `BTreeSet::range`, with its panics for bounds out of order.
    pub fn range<Q, R>(&self, range: R) -> Keys<'_, K, Cursor<'_>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        let keys = &self.keys.slots;
        let (lo, hi) = tree::key_range(&self.tree, &range, |h| slab::get(keys, h).borrow());
        Keys {
            handles: self.tree.between(lo, hi),
            keys,
        }
    }

    pub fn first(&self) -> Option<&K> {
        self.tree.first().map(|h| self.keys.get(h))
    }

    pub fn last(&self) -> Option<&K> {
        self.tree.last().map(|h| self.keys.get(h))
    }

    pub fn pop_first(&mut self) -> Option<K> {
        let h = self.tree.pop_first()?;
        Some(self.take_handle(h))
    }

    pub fn pop_last(&mut self) -> Option<K> {
        let h = self.tree.pop_last()?;
        Some(self.take_handle(h))
    }

    /// As `BTreeSet::retain`: visits the elements in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        let keys = &mut self.keys;
        self.tree.retain(&mut |h| {
            if keep(keys.get(h)) {
                true
            } else {
                keys.remove(h);
                false
            }
        });
        if self.tree.len() == 0 {
            self.keys.clear();
        }
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
            tree: self.tree.clone(),
            keys: self.keys.clone(),
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
        IntoKeys {
            handles: self.tree.into_handles(),
            keys: self.keys.slots,
        }
    }
}
