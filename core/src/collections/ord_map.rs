//! [`OrdMap`]: an ordered map = a [`Tree`] of handles + a slab of keys + a slab of values.

use std::borrow::Borrow;
use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::ops::{Index, RangeBounds};

use super::slab::{self, Slab};
use super::tree::{self, Cursor, Handles, IntoHandles, Pos, Tree};

/// An ordered map with `BTreeMap`'s semantics and iteration order (see the module docs for
/// why it exists). Handle `h` names the key in slot `h` of `keys` and its value in slot `h`
/// of `values`; the [`Tree`] orders the handles by key and hands them out. The keys have a
/// slab of their own so that searching (`tree::find`) is compiled per key type, not per map.
pub struct OrdMap<K, V> {
    tree: Tree,
    keys: Slab<K>,
    values: Slab<V>,
}

impl<K, V> OrdMap<K, V> {
    pub const fn new() -> Self {
        OrdMap {
            tree: Tree::new(),
            keys: Slab::new(),
            values: Slab::new(),
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
        self.values.clear();
    }

    pub fn iter(&self) -> Iter<'_, K, V> {
        Entries {
            handles: self.tree.iter(),
            keys: &self.keys.slots,
            values: &self.values.slots,
        }
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut::new(self.tree.iter(), &self.keys, &mut self.values)
    }

    pub fn keys(&self) -> Keys<'_, K> {
        Keys {
            handles: self.tree.iter(),
            keys: &self.keys.slots,
        }
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.iter_mut().map(|(_, v)| v)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.into_iter().map(|(_, v)| v)
    }

    pub fn into_keys(self) -> IntoKeys<K> {
        IntoKeys {
            handles: self.tree.into_handles(),
            keys: self.keys.slots,
        }
    }

    /// The tree's chunk lengths, for the tests of its invariants.
    #[cfg(test)]
    pub(super) fn chunk_lens(&self) -> Vec<usize> {
        self.tree.chunk_lens()
    }

    /// Takes the entry at `p` (a position from a search since the last change) out.
    #[inline]
    fn remove_at(&mut self, p: Pos) -> (K, V) {
        let h = self.tree.remove(p);
        (self.keys.take(h), self.values.take(h))
    }

    /// Stores a new entry at `p` (a position from a search since the last change); its handle.
    #[inline]
    fn insert_at(&mut self, p: Pos, key: K, value: V) -> u32 {
        let h = self.tree.insert(p);
        self.keys.put(h, key);
        self.values.put(h, value);
        h
    }
}

impl<K: Ord, V> OrdMap<K, V> {
    /// Where `key` is or would go.
    #[inline]
    fn find<Q>(&self, key: &Q) -> (Pos, Option<u32>)
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        tree::find(&self.tree, &self.keys.slots, key)
    }

    /// The handle of `key`, if present.
    #[inline]
    fn handle<Q>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).1
    }

    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.handle(key).map(|h| self.values.get(h))
    }

    #[inline]
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.handle(key)
            .map(|h| (self.keys.get(h), self.values.get(h)))
    }

    #[inline]
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let h = self.handle(key)?;
        Some(self.values.get_mut(h))
    }

    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).1.is_some()
    }

    /// As `BTreeMap::insert`: a present key keeps its stored key and gets the new value. Out of
    /// line: `extend` and `collect` call it rather than compiling a second copy.
    #[inline(never)]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            (_, Some(h)) => Some(std::mem::replace(self.values.get_mut(h), value)),
            (p, None) => {
                self.insert_at(p, key, value);
                None
            }
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.find(key) {
            (p, Some(_)) => Some(self.remove_at(p)),
            (_, None) => None,
        }
    }

    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        match self.find(&key) {
            (pos, Some(handle)) => Entry::Occupied(OccupiedEntry {
                map: self,
                pos,
                handle,
            }),
            (pos, None) => Entry::Vacant(VacantEntry {
                map: self,
                pos,
                key,
            }),
        }
    }

    /// The positions of the keys in `range`.
    fn span<Q, R>(&self, range: &R) -> (Pos, Pos)
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        tree::key_range(&self.tree, &self.keys.slots, range)
    }

    /// As `BTreeMap::range`, with its panics for bounds out of order.
    pub fn range<Q, R>(&self, range: R) -> Range<'_, K, V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        let (lo, hi) = self.span(&range);
        Entries {
            handles: self.tree.between(lo, hi),
            keys: &self.keys.slots,
            values: &self.values.slots,
        }
    }

    /// The keys in `range` (for `OrdSet::range`).
    pub(super) fn range_keys<Q, R>(&self, range: R) -> Keys<'_, K, Cursor<'_>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        let (lo, hi) = self.span(&range);
        Keys {
            handles: self.tree.between(lo, hi),
            keys: &self.keys.slots,
        }
    }

    pub fn range_mut<Q, R>(&mut self, range: R) -> IterMut<'_, K, V, Cursor<'_>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        let (lo, hi) = self.span(&range);
        IterMut::new(self.tree.between(lo, hi), &self.keys, &mut self.values)
    }

    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        let h = self.tree.first()?;
        Some((self.keys.get(h), self.values.get(h)))
    }

    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        let h = self.tree.last()?;
        Some((self.keys.get(h), self.values.get(h)))
    }

    /// As `BTreeMap::first_entry`: the entry of the first key, to read, change or remove.
    pub fn first_entry(&mut self) -> Option<OccupiedEntry<'_, K, V>> {
        let pos = self.tree.first_pos()?;
        Some(self.occupied_at(pos))
    }

    /// As `BTreeMap::last_entry`.
    pub fn last_entry(&mut self) -> Option<OccupiedEntry<'_, K, V>> {
        let pos = self.tree.last_pos()?;
        Some(self.occupied_at(pos))
    }

    /// The entry at `pos`, a position the tree holds an entry at.
    fn occupied_at(&mut self, pos: Pos) -> OccupiedEntry<'_, K, V> {
        let handle = self.tree.at(pos);
        OccupiedEntry {
            map: self,
            pos,
            handle,
        }
    }

    pub fn pop_first(&mut self) -> Option<(K, V)> {
        let h = self.tree.pop_first()?;
        Some((self.keys.take(h), self.values.take(h)))
    }

    pub fn pop_last(&mut self) -> Option<(K, V)> {
        let h = self.tree.pop_last()?;
        Some((self.keys.take(h), self.values.take(h)))
    }

    /// As `BTreeMap::retain`: visits the entries in key order; an entry not kept is dropped
    /// before the next is visited.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let (keys, values) = (&mut self.keys, &mut self.values);
        self.tree.retain(&mut |h| {
            if keep(keys.get(h), values.get_mut(h)) {
                true
            } else {
                drop((keys.take(h), values.take(h)));
                false
            }
        });
    }
}

impl<K, V> Default for OrdMap<K, V> {
    fn default() -> Self {
        OrdMap::new()
    }
}

impl<K: Clone, V: Clone> Clone for OrdMap<K, V> {
    fn clone(&self) -> Self {
        OrdMap {
            tree: self.tree.clone(),
            keys: self.keys.clone(),
            values: self.values.clone(),
        }
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for OrdMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<K: Eq, V: Eq> Eq for OrdMap<K, V> {}

/// Lexicographic over the entries in key order, as std's `BTreeMap` compares.
impl<K: PartialOrd, V: PartialOrd> PartialOrd for OrdMap<K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.iter().partial_cmp(other.iter())
    }
}

impl<K: Ord, V: Ord> Ord for OrdMap<K, V> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.iter().cmp(other.iter())
    }
}

/// The length, then every entry in key order: what std's `BTreeMap` feeds the hasher.
impl<K: std::hash::Hash, V: std::hash::Hash> std::hash::Hash for OrdMap<K, V> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for entry in self {
            entry.hash(state);
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for OrdMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// As std's `BTreeMap` serializes: a map of the entries in key order (scheduling decisions'
/// per-node scores go into the `explain` output this way).
impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for OrdMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<K: Ord, V> Extend<(K, V)> for OrdMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

/// By insertion (for a repeated key the last value wins, as with `BTreeMap`'s `collect`).
impl<K: Ord, V> FromIterator<(K, V)> for OrdMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = OrdMap::new();
        m.extend(iter);
        m
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for OrdMap<K, V> {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<K, Q, V> Index<&Q> for OrdMap<K, V>
where
    K: Borrow<Q> + Ord,
    Q: Ord + ?Sized,
{
    type Output = V;

    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("OrdMap: no entry for the key")
    }
}

impl<'a, K, V> IntoIterator for &'a OrdMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut OrdMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<K, V> IntoIterator for OrdMap<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    fn into_iter(self) -> Self::IntoIter {
        IntoIter {
            handles: self.tree.into_handles(),
            keys: self.keys.slots,
            values: self.values.slots,
        }
    }
}

/// `(key, value)` in key order, over the whole map (`Iter`) or a key range (`Range`): the
/// tree's handles `I` with each key and value read from the slabs.
pub struct Entries<'a, I, K, V> {
    handles: I,
    keys: &'a [Option<K>],
    values: &'a [Option<V>],
}

/// `(key, value)` in key order.
pub type Iter<'a, K, V> = Entries<'a, Handles<'a>, K, V>;

/// `(key, value)` of a key range, in key order.
pub type Range<'a, K, V> = Entries<'a, Cursor<'a>, K, V>;

impl<I: Clone, K, V> Clone for Entries<'_, I, K, V> {
    fn clone(&self) -> Self {
        Entries {
            handles: self.handles.clone(),
            keys: self.keys,
            values: self.values,
        }
    }
}

impl<'a, I: Iterator<Item = u32>, K, V> Iterator for Entries<'a, I, K, V> {
    type Item = (&'a K, &'a V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let h = self.handles.next()?;
        Some((slab::get(self.keys, h), slab::get(self.values, h)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.handles.size_hint()
    }
}

impl<'a, I: DoubleEndedIterator<Item = u32>, K, V> DoubleEndedIterator for Entries<'a, I, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let h = self.handles.next_back()?;
        Some((slab::get(self.keys, h), slab::get(self.values, h)))
    }
}

impl<I: ExactSizeIterator<Item = u32>, K, V> ExactSizeIterator for Entries<'_, I, K, V> {}
impl<I: FusedIterator<Item = u32>, K, V> FusedIterator for Entries<'_, I, K, V> {}

/// Keys in key order, over the whole map or set (`I` = [`Handles`]) or a range of a set
/// (`I` = [`Cursor`]).
pub struct Keys<'a, K, I = Handles<'a>> {
    handles: I,
    keys: &'a [Option<K>],
}

impl<K, I: Clone> Clone for Keys<'_, K, I> {
    fn clone(&self) -> Self {
        Keys {
            handles: self.handles.clone(),
            keys: self.keys,
        }
    }
}

impl<'a, K, I: Iterator<Item = u32>> Iterator for Keys<'a, K, I> {
    type Item = &'a K;

    #[inline]
    fn next(&mut self) -> Option<&'a K> {
        Some(slab::get(self.keys, self.handles.next()?))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.handles.size_hint()
    }
}

impl<'a, K, I: DoubleEndedIterator<Item = u32>> DoubleEndedIterator for Keys<'a, K, I> {
    fn next_back(&mut self) -> Option<&'a K> {
        Some(slab::get(self.keys, self.handles.next_back()?))
    }
}

impl<K, I: ExactSizeIterator<Item = u32>> ExactSizeIterator for Keys<'_, K, I> {}
impl<K, I: FusedIterator<Item = u32>> FusedIterator for Keys<'_, K, I> {}

/// Keys by value, in key order (of a consumed map, whose values are dropped at once, or set).
pub struct IntoKeys<K> {
    handles: IntoHandles,
    keys: Vec<Option<K>>,
}

impl<K> Iterator for IntoKeys<K> {
    type Item = K;

    #[inline]
    fn next(&mut self) -> Option<K> {
        let h = self.handles.next()?;
        Some(slab::take(&mut self.keys, h))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.handles.size_hint()
    }
}

impl<K> DoubleEndedIterator for IntoKeys<K> {
    fn next_back(&mut self) -> Option<K> {
        let h = self.handles.next_back()?;
        Some(slab::take(&mut self.keys, h))
    }
}

impl<K> ExactSizeIterator for IntoKeys<K> {}
impl<K> FusedIterator for IntoKeys<K> {}

/// `(key, &mut value)` in key order (over the whole map, or a range: `I`).
///
/// Safety argument for the one `unsafe`: the tree holds each live handle once (it hands a
/// handle out only when free and frees it only when it leaves the tree), so the handles `I`
/// yields are distinct and each names a full slot; the value slab is borrowed mutably for
/// `'a`, so nothing else reads or moves its slots meanwhile. Each `&mut V` handed out
/// therefore aliases no other. `values` is a raw pointer (from the exclusive borrow, never
/// through a shared `&[Option<V>]`) so the references can outlive `next`'s borrow of the
/// iterator, as with `slice::IterMut`.
pub struct IterMut<'a, K, V, I = Handles<'a>> {
    handles: I,
    keys: &'a [Option<K>],
    values: *mut Option<V>,
    len: usize,
    _borrow: PhantomData<&'a mut V>,
}

impl<'a, K, V, I: Iterator<Item = u32>> IterMut<'a, K, V, I> {
    fn new(handles: I, keys: &'a Slab<K>, values: &'a mut Slab<V>) -> Self {
        IterMut {
            handles,
            keys: &keys.slots,
            len: values.slots.len(),
            values: values.slots.as_mut_ptr(),
            _borrow: PhantomData,
        }
    }

    #[inline]
    fn entry(&mut self, h: u32) -> (&'a K, &'a mut V) {
        let s = h as usize;
        assert!(s < self.len, "OrdMap: handle out of range");
        // SAFETY: see the type's docs: `s` is in bounds, yielded once, and names a full slot
        // of the exclusively borrowed value slab.
        let v = match unsafe { &mut *self.values.add(s) } {
            Some(v) => v,
            None => slab::free_slot(),
        };
        (slab::get(self.keys, h), v)
    }
}

impl<'a, K, V, I: Iterator<Item = u32>> Iterator for IterMut<'a, K, V, I> {
    type Item = (&'a K, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let h = self.handles.next()?;
        Some(self.entry(h))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.handles.size_hint()
    }
}

impl<'a, K, V, I: DoubleEndedIterator<Item = u32>> DoubleEndedIterator for IterMut<'a, K, V, I> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let h = self.handles.next_back()?;
        Some(self.entry(h))
    }
}

impl<K, V, I: ExactSizeIterator<Item = u32>> ExactSizeIterator for IterMut<'_, K, V, I> {}
impl<K, V, I: FusedIterator<Item = u32>> FusedIterator for IterMut<'_, K, V, I> {}

/// `(key, value)` by value, in key order.
pub struct IntoIter<K, V> {
    handles: IntoHandles,
    keys: Vec<Option<K>>,
    values: Vec<Option<V>>,
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let h = self.handles.next()?;
        Some((
            slab::take(&mut self.keys, h),
            slab::take(&mut self.values, h),
        ))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.handles.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for IntoIter<K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let h = self.handles.next_back()?;
        Some((
            slab::take(&mut self.keys, h),
            slab::take(&mut self.values, h),
        ))
    }
}

impl<K, V> ExactSizeIterator for IntoIter<K, V> {}
impl<K, V> FusedIterator for IntoIter<K, V> {}

/// As `btree_map::Entry`.
pub enum Entry<'a, K, V> {
    Vacant(VacantEntry<'a, K, V>),
    Occupied(OccupiedEntry<'a, K, V>),
}

/// A key not in the map, and where it would go.
pub struct VacantEntry<'a, K, V> {
    map: &'a mut OrdMap<K, V>,
    pos: Pos,
    key: K,
}

/// A key in the map: its position in the tree and its handle.
pub struct OccupiedEntry<'a, K, V> {
    map: &'a mut OrdMap<K, V>,
    pos: Pos,
    handle: u32,
}

impl<'a, K: Ord, V> Entry<'a, K, V> {
    pub fn or_insert(self, default: V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(default),
        }
    }

    pub fn or_insert_with(self, default: impl FnOnce() -> V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(default()),
        }
    }

    pub fn or_insert_with_key(self, default: impl FnOnce(&K) -> V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let v = default(e.key());
                e.insert(v)
            }
        }
    }

    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }

    pub fn and_modify(mut self, f: impl FnOnce(&mut V)) -> Self {
        if let Entry::Occupied(e) = &mut self {
            f(e.get_mut());
        }
        self
    }

    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(e) => e.key(),
            Entry::Vacant(e) => e.key(),
        }
    }
}

impl<'a, K: Ord, V> VacantEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.key
    }

    pub fn into_key(self) -> K {
        self.key
    }

    pub fn insert(self, value: V) -> &'a mut V {
        let h = self.map.insert_at(self.pos, self.key, value);
        self.map.values.get_mut(h)
    }
}

impl<'a, K: Ord, V> OccupiedEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        self.map.keys.get(self.handle)
    }

    pub fn get(&self) -> &V {
        self.map.values.get(self.handle)
    }

    pub fn get_mut(&mut self) -> &mut V {
        self.map.values.get_mut(self.handle)
    }

    pub fn into_mut(self) -> &'a mut V {
        self.map.values.get_mut(self.handle)
    }

    pub fn insert(&mut self, value: V) -> V {
        std::mem::replace(self.get_mut(), value)
    }

    pub fn remove(self) -> V {
        self.remove_entry().1
    }

    pub fn remove_entry(self) -> (K, V) {
        self.map.remove_at(self.pos)
    }
}
