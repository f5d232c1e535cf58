//! [`OrdMap`]: an ordered map = std `BTreeMap<K, u32>` (key → slot) + a slab of values.

use std::borrow::Borrow;
use std::collections::btree_map;
use std::collections::BTreeMap;
use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::ops::{Index, RangeBounds};

use super::slab::{self, Slab, Slot};

/// An ordered map with `BTreeMap`'s semantics and iteration order (see the module docs for
/// why it exists). Keys live in a std `BTreeMap<K, u32>`, whose code is shared by every
/// `OrdMap<K, _>` and [`super::OrdSet<K>`]; values live in a slab.
pub struct OrdMap<K, V> {
    index: BTreeMap<K, u32>,
    slab: Slab<V>,
}

impl<K, V> OrdMap<K, V> {
    pub const fn new() -> Self {
        OrdMap {
            index: BTreeMap::new(),
            slab: Slab::new(),
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
        self.slab.clear();
    }

    pub fn iter(&self) -> Iter<'_, K, V> {
        SlotIter {
            inner: self.index.iter(),
            slots: &self.slab.slots,
        }
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut::new(self.index.iter(), &mut self.slab)
    }

    pub fn keys(&self) -> btree_map::Keys<'_, K, u32> {
        self.index.keys()
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

    pub fn into_keys(self) -> btree_map::IntoKeys<K, u32> {
        self.index.into_keys()
    }
}

impl<K: Ord, V> OrdMap<K, V> {
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.index.get(key).map(|&s| self.slab.get(s))
    }

    #[inline]
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.index
            .get_key_value(key)
            .map(|(k, &s)| (k, self.slab.get(s)))
    }

    #[inline]
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.index.get(key) {
            Some(&s) => Some(self.slab.get_mut(s)),
            None => None,
        }
    }

    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.index.contains_key(key)
    }

    /// As `BTreeMap::insert`: a present key keeps its stored key and gets the new value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.index.entry(key) {
            btree_map::Entry::Occupied(e) => {
                Some(std::mem::replace(self.slab.get_mut(*e.get()), value))
            }
            btree_map::Entry::Vacant(e) => {
                e.insert(self.slab.insert(value));
                None
            }
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let s = self.index.remove(key)?;
        Some(self.take(s))
    }

    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let (k, s) = self.index.remove_entry(key)?;
        Some((k, self.take(s)))
    }

    /// The value of slot `s`, whose key has just left the index.
    #[inline]
    fn take(&mut self, s: u32) -> V {
        let v = self.slab.remove(s);
        if self.index.is_empty() {
            self.slab.clear();
        }
        v
    }

    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        match self.index.entry(key) {
            btree_map::Entry::Occupied(inner) => Entry::Occupied(OccupiedEntry {
                inner,
                slab: &mut self.slab,
            }),
            btree_map::Entry::Vacant(inner) => Entry::Vacant(VacantEntry {
                inner,
                slab: &mut self.slab,
            }),
        }
    }

    pub fn range<Q, R>(&self, range: R) -> Range<'_, K, V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        SlotIter {
            inner: self.index.range(range),
            slots: &self.slab.slots,
        }
    }

    pub fn range_mut<Q, R>(&mut self, range: R) -> IterMut<'_, K, V, btree_map::Range<'_, K, u32>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        IterMut::new(self.index.range(range), &mut self.slab)
    }

    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.index
            .first_key_value()
            .map(|(k, &s)| (k, self.slab.get(s)))
    }

    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        self.index
            .last_key_value()
            .map(|(k, &s)| (k, self.slab.get(s)))
    }

    pub fn pop_first(&mut self) -> Option<(K, V)> {
        let (k, s) = self.index.pop_first()?;
        Some((k, self.take(s)))
    }

    pub fn pop_last(&mut self) -> Option<(K, V)> {
        let (k, s) = self.index.pop_last()?;
        Some((k, self.take(s)))
    }

    /// As `BTreeMap::retain`: visits the entries in key order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let slab = &mut self.slab;
        self.index.retain(|k, &mut s| {
            if keep(k, slab.get_mut(s)) {
                true
            } else {
                slab.remove(s);
                false
            }
        });
        if self.index.is_empty() {
            self.slab.clear();
        }
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
            index: self.index.clone(),
            slab: self.slab.clone(),
        }
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for OrdMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<K: Eq, V: Eq> Eq for OrdMap<K, V> {}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for OrdMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
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
            inner: self.index.into_iter(),
            slots: self.slab.slots,
        }
    }
}

/// `(key, value)` in key order, over the whole map (`Iter`) or a key range (`Range`): the
/// index's `(key, slot)` iterator `I` with each slot read from the slab.
pub struct SlotIter<'a, I, V> {
    inner: I,
    slots: &'a [Slot<V>],
}

/// `(key, value)` in key order.
pub type Iter<'a, K, V> = SlotIter<'a, btree_map::Iter<'a, K, u32>, V>;

/// `(key, value)` of a key range, in key order.
pub type Range<'a, K, V> = SlotIter<'a, btree_map::Range<'a, K, u32>, V>;

impl<I: Clone, V> Clone for SlotIter<'_, I, V> {
    fn clone(&self) -> Self {
        SlotIter {
            inner: self.inner.clone(),
            slots: self.slots,
        }
    }
}

impl<'a, K: 'a, I: Iterator<Item = (&'a K, &'a u32)>, V> Iterator for SlotIter<'a, I, V> {
    type Item = (&'a K, &'a V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (k, &s) = self.inner.next()?;
        Some((k, slab::get(self.slots, s)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<'a, K: 'a, I: DoubleEndedIterator<Item = (&'a K, &'a u32)>, V> DoubleEndedIterator
    for SlotIter<'a, I, V>
{
    fn next_back(&mut self) -> Option<Self::Item> {
        let (k, &s) = self.inner.next_back()?;
        Some((k, slab::get(self.slots, s)))
    }
}

impl<'a, K: 'a, I: ExactSizeIterator<Item = (&'a K, &'a u32)>, V> ExactSizeIterator
    for SlotIter<'a, I, V>
{
}
impl<'a, K: 'a, I: FusedIterator<Item = (&'a K, &'a u32)>, V> FusedIterator for SlotIter<'a, I, V> {}

/// `(key, &mut value)` in key order (over the whole map, or a range: `I`).
///
/// Safety argument for the one `unsafe`: the index maps each live key to its own slot (a slot
/// is handed out by `Slab::insert` only when free and freed only when its key leaves the
/// index), so the slot numbers `I` yields are distinct and each names a `Slot::Full`; the slab
/// is borrowed mutably for `'a`, so nothing else reads or moves the slots meanwhile. Each
/// `&mut V` handed out therefore aliases no other. `slots` is a raw pointer (from the
/// exclusive borrow, never through a shared `&[Slot<V>]`) so the references can outlive
/// `next`'s borrow of the iterator, as with `slice::IterMut`.
pub struct IterMut<'a, K, V, I = btree_map::Iter<'a, K, u32>> {
    inner: I,
    slots: *mut Slot<V>,
    len: usize,
    _borrow: PhantomData<(&'a K, &'a mut V)>,
}

impl<'a, K: 'a, V, I: Iterator<Item = (&'a K, &'a u32)>> IterMut<'a, K, V, I> {
    fn new(inner: I, slab: &'a mut Slab<V>) -> Self {
        IterMut {
            inner,
            len: slab.slots.len(),
            slots: slab.slots.as_mut_ptr(),
            _borrow: PhantomData,
        }
    }

    #[inline]
    fn slot(&mut self, s: u32) -> &'a mut V {
        let s = s as usize;
        assert!(s < self.len, "OrdMap: slot out of range");
        // SAFETY: see the type's docs: `s` is in bounds, yielded once, and names a full slot
        // of the exclusively borrowed slab.
        match unsafe { &mut *self.slots.add(s) } {
            Slot::Full(v) => v,
            Slot::Free(_) => unreachable!("OrdMap: the index names a free slot"),
        }
    }
}

impl<'a, K: 'a, V: 'a, I: Iterator<Item = (&'a K, &'a u32)>> Iterator for IterMut<'a, K, V, I> {
    type Item = (&'a K, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (k, &s) = self.inner.next()?;
        Some((k, self.slot(s)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<'a, K: 'a, V: 'a, I> DoubleEndedIterator for IterMut<'a, K, V, I>
where
    I: DoubleEndedIterator<Item = (&'a K, &'a u32)>,
{
    fn next_back(&mut self) -> Option<Self::Item> {
        let (k, &s) = self.inner.next_back()?;
        Some((k, self.slot(s)))
    }
}

impl<'a, K: 'a, V: 'a, I> ExactSizeIterator for IterMut<'a, K, V, I> where
    I: ExactSizeIterator<Item = (&'a K, &'a u32)>
{
}

/// `(key, value)` by value, in key order.
pub struct IntoIter<K, V> {
    inner: btree_map::IntoIter<K, u32>,
    slots: Vec<Slot<V>>,
}

impl<K, V> IntoIter<K, V> {
    #[inline]
    fn take(&mut self, s: u32) -> V {
        match std::mem::replace(&mut self.slots[s as usize], Slot::Free(0)) {
            Slot::Full(v) => v,
            Slot::Free(_) => unreachable!("OrdMap: the index names a free slot"),
        }
    }
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (k, s) = self.inner.next()?;
        Some((k, self.take(s)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for IntoIter<K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let (k, s) = self.inner.next_back()?;
        Some((k, self.take(s)))
    }
}

impl<K, V> ExactSizeIterator for IntoIter<K, V> {}

/// As `btree_map::Entry`.
pub enum Entry<'a, K, V> {
    Vacant(VacantEntry<'a, K, V>),
    Occupied(OccupiedEntry<'a, K, V>),
}

pub struct VacantEntry<'a, K, V> {
    inner: btree_map::VacantEntry<'a, K, u32>,
    slab: &'a mut Slab<V>,
}

pub struct OccupiedEntry<'a, K, V> {
    inner: btree_map::OccupiedEntry<'a, K, u32>,
    slab: &'a mut Slab<V>,
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
        self.inner.key()
    }

    pub fn into_key(self) -> K {
        self.inner.into_key()
    }

    pub fn insert(self, value: V) -> &'a mut V {
        let s = self.slab.insert(value);
        self.inner.insert(s);
        self.slab.get_mut(s)
    }
}

impl<'a, K: Ord, V> OccupiedEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        self.inner.key()
    }

    pub fn get(&self) -> &V {
        self.slab.get(*self.inner.get())
    }

    pub fn get_mut(&mut self) -> &mut V {
        self.slab.get_mut(*self.inner.get())
    }

    pub fn into_mut(self) -> &'a mut V {
        self.slab.get_mut(*self.inner.get())
    }

    pub fn insert(&mut self, value: V) -> V {
        std::mem::replace(self.get_mut(), value)
    }

    /// Removes the entry. The slab is not compacted here even if the map is now empty (the
    /// entry cannot see the index); the next `clear` or emptying `remove` does it.
    pub fn remove(self) -> V {
        self.remove_entry().1
    }

    pub fn remove_entry(self) -> (K, V) {
        let (k, s) = self.inner.remove_entry();
        (k, self.slab.remove(s))
    }
}
