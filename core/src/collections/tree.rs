//! [`Tree`]: the ordered index of every [`super::OrdMap`] and [`super::OrdSet`], compiled once
//! for all key types.
//!
//! It orders `u32` handles (slot numbers of the keys' slab), never keys: every search takes the
//! comparison as a `&dyn Probe` ("how does the key of this handle compare
//! to the probe?"), so none of this code is generic and the wasm holds one copy of it, where
//! std's `BTreeMap` compiles its search, insert, remove, node split/merge and iteration for
//! every key type (docs/benchmarks.md, "Session 10: one compiled tree").
//!
//! The structure is a list of sorted chunks, as in Python's `sortedcontainers`: the handles in
//! key order cut into `Vec<u32>` chunks of `LOAD` to `MAX` handles (fewer only when the whole
//! tree is small). A search is a binary search over the chunks' last keys and then one inside
//! a chunk: O(log n) comparisons. An insert or remove moves at most `MAX` handles inside one
//! chunk, plus the chunk list (n / `LOAD` pointers) when a chunk is split or dropped, which
//! happens at most once per `LOAD / 2` updates of that chunk.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::iter::FusedIterator;
use std::ops::{Bound, RangeBounds};

use super::slab;

/// Chunks are cut back to this size.
pub(super) const LOAD: usize = 64;
/// A chunk longer than this is split in two halves.
pub(super) const MAX: usize = 2 * LOAD;
/// A chunk shorter than this (in a tree of more than one chunk) is merged into a neighbour.
pub(super) const MIN: usize = LOAD / 2;
/// Up to this many handles are searched front to back, more by halving: labels and resource
/// lists hold a few keys, and their lookups are the scheduler's selector matching
/// (docs/benchmarks.md, "API maps on OrdMap").
const LINEAR: usize = 8;

/// The handles of a map or set in key order (see the module docs).
///
/// Invariants: no chunk is empty; every chunk holds at most `MAX` handles; when there are two
/// or more chunks, every chunk holds at least `MIN` handles after an insert or remove (after
/// `retain`, too); `len` is the number of handles.
///
/// The tree also hands out the handles (so the slabs' code is only putting and taking): a
/// new entry gets the most recently freed handle, or `next`; when the tree empties, handles
/// start again at 0, so a map that empties and refills stays compact.
///
/// The first chunk is a field of its own (`head`, empty exactly when the tree is), the others
/// are in `tail`: most maps are one chunk (labels, resource lists), and a lookup in one then
/// reads its handles through one pointer, not two (the load of the chunk list was a fifth of
/// `search`'s time in the churn benchmark: docs/benchmarks.md, "API maps on OrdMap"), and a
/// clone allocates one buffer fewer.
#[derive(Clone, Default)]
pub(super) struct Tree {
    head: Vec<u32>,
    tail: Vec<Vec<u32>>,
    len: usize,
    /// Handles of removed entries, reused last first.
    free: Vec<u32>,
    /// One past the highest handle handed out since the tree was last empty.
    next: u32,
}

/// A position in a [`Tree`]: handle `off` of chunk `chunk`, or the end (`chunk` = the number
/// of chunks, `off` = 0). Positions compare in key order. Valid until the tree changes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) struct Pos {
    chunk: usize,
    off: usize,
}

impl Tree {
    pub(super) const fn new() -> Tree {
        Tree {
            head: Vec::new(),
            tail: Vec::new(),
            len: 0,
            free: Vec::new(),
            next: 0,
        }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn clear(&mut self) {
        self.head.clear();
        self.tail.clear();
        self.len = 0;
        self.free.clear();
        self.next = 0;
    }

    /// A handle for a new entry.
    fn alloc(&mut self) -> u32 {
        if let Some(h) = self.free.pop() {
            return h;
        }
        let h = self.next;
        self.next = h
            .checked_add(1)
            .expect("collections: more than 2^32 entries");
        h
    }

    /// Takes back the handle of a removed entry (`len` already counts it out).
    fn release(&mut self, h: u32) {
        if self.len == 0 {
            self.free.clear();
            self.next = 0;
        } else {
            self.free.push(h);
        }
    }

    /// The chunks, first to last.
    #[inline]
    fn chunks(&self) -> Chunks<'_> {
        Chunks {
            head: &self.head,
            tail: &self.tail,
        }
    }

    #[inline]
    fn chunk_count(&self) -> usize {
        self.chunks().len()
    }

    #[inline]
    fn chunk_mut(&mut self, i: usize) -> &mut Vec<u32> {
        match i {
            0 => &mut self.head,
            _ => &mut self.tail[i - 1],
        }
    }

    /// Puts chunk `c` at index `i` (0 only into an empty tree).
    fn insert_chunk(&mut self, i: usize, c: Vec<u32>) {
        match i {
            0 => {
                debug_assert!(self.head.is_empty() && self.tail.is_empty());
                self.head = c;
            }
            _ => self.tail.insert(i - 1, c),
        }
    }

    /// Takes chunk `i` out; the next one (if any) moves up.
    fn remove_chunk(&mut self, i: usize) -> Vec<u32> {
        match i {
            0 => {
                let next = match self.tail.is_empty() {
                    true => Vec::new(),
                    false => self.tail.remove(0),
                };
                std::mem::replace(&mut self.head, next)
            }
            _ => self.tail.remove(i - 1),
        }
    }

    #[inline]
    fn end(&self) -> Pos {
        Pos {
            chunk: self.chunk_count(),
            off: 0,
        }
    }

    /// The handle at `p` (not the end).
    #[inline]
    pub(super) fn at(&self, p: Pos) -> u32 {
        self.chunks().get(p.chunk)[p.off]
    }

    /// The position after `p` (not the end).
    #[inline]
    fn after(&self, p: Pos) -> Pos {
        if p.off + 1 < self.chunks().get(p.chunk).len() {
            Pos {
                chunk: p.chunk,
                off: p.off + 1,
            }
        } else {
            Pos {
                chunk: p.chunk + 1,
                off: 0,
            }
        }
    }

    /// The position of the first key, if any.
    #[inline]
    pub(super) fn first_pos(&self) -> Option<Pos> {
        (self.len > 0).then_some(Pos { chunk: 0, off: 0 })
    }

    /// The position of the last key, if any.
    #[inline]
    pub(super) fn last_pos(&self) -> Option<Pos> {
        let chunk = self.chunk_count().checked_sub(1)?;
        Some(Pos {
            chunk,
            off: self.chunks().get(chunk).len() - 1,
        })
    }

    #[inline]
    pub(super) fn first(&self) -> Option<u32> {
        self.head.first().copied()
    }

    #[inline]
    pub(super) fn last(&self) -> Option<u32> {
        self.tail.last().unwrap_or(&self.head).last().copied()
    }

    /// The first position whose key is not less than the probe, and the handle there if its
    /// key equals the probe (so callers need not read it again). The tree's keys must be in
    /// ascending order by `probe` (they are, when it is the keys' `Ord` against a value).
    #[cellsim_derive::hot]
    pub(super) fn search(&self, probe: &dyn Probe) -> (Pos, Option<u32>) {
        // The chunk to search in, and how many of its handles to search: a tree of one chunk
        // (most maps) is searched whole; otherwise the first chunk whose last key is not less
        // than the probe, whose last key need not be compared again.
        let chunks = self.chunks();
        let (ci, n) = if self.tail.is_empty() {
            // One chunk, or none (then `head` is empty and the search ends at the end).
            (0, self.head.len())
        } else {
            let (mut lo, mut hi) = (0, chunks.len());
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let c = chunks.get(mid);
                let off = c.len() - 1;
                match probe.cmp(c[off]) {
                    Ordering::Less => lo = mid + 1,
                    Ordering::Equal => return (Pos { chunk: mid, off }, Some(c[off])),
                    Ordering::Greater => hi = mid,
                }
            }
            if lo == chunks.len() {
                return (self.end(), None);
            }
            (lo, chunks.get(lo).len() - 1)
        };
        let c = chunks.get(ci);
        let (mut a, mut b) = (0, n);
        if n <= LINEAR {
            // As std's B-tree searches a node: front to back, which compares fewer keys than
            // halving does when there are few (a key that sorts first: once, not twice).
            for &h in &c[..n] {
                match probe.cmp(h) {
                    Ordering::Less => a += 1,
                    Ordering::Equal => return (Pos { chunk: ci, off: a }, Some(h)),
                    Ordering::Greater => break,
                }
            }
            b = a;
        }
        while a < b {
            let mid = a + (b - a) / 2;
            match probe.cmp(c[mid]) {
                Ordering::Less => a = mid + 1,
                Ordering::Equal => {
                    return (
                        Pos {
                            chunk: ci,
                            off: mid,
                        },
                        Some(c[mid]),
                    )
                }
                Ordering::Greater => b = mid,
            }
        }
        if a == c.len() {
            // Past the last key of the only chunk.
            return (self.end(), None);
        }
        (Pos { chunk: ci, off: a }, None)
    }

    /// The positions `[start, end)` of the keys within the bounds, for `range` (the bounds
    /// already checked to be in order).
    #[cellsim_derive::hot]
    pub(super) fn range(&self, start: Bound<&dyn Probe>, end: Bound<&dyn Probe>) -> (Pos, Pos) {
        let lo = match start {
            Bound::Unbounded => Pos { chunk: 0, off: 0 },
            Bound::Included(p) => self.search(p).0,
            Bound::Excluded(p) => match self.search(p) {
                (p, Some(_)) => self.after(p),
                (p, None) => p,
            },
        };
        let hi = match end {
            Bound::Unbounded => self.end(),
            Bound::Included(p) => match self.search(p) {
                (p, Some(_)) => self.after(p),
                (p, None) => p,
            },
            Bound::Excluded(p) => self.search(p).0,
        };
        (lo, hi.max(lo))
    }

    /// Puts a new handle at `p` (a position from `search` since the last change): before the
    /// handle at `p`, or last at the end. Returns it: the caller stores its entry in that slot.
    #[cellsim_derive::hot]
    pub(super) fn insert(&mut self, p: Pos) -> u32 {
        let h = self.alloc();
        self.len += 1;
        if self.head.is_empty() {
            self.head.reserve_exact(4);
            self.head.push(h);
            return h;
        }
        let count = self.chunk_count();
        let (ci, off) = if p.chunk == count {
            (count - 1, self.chunks().get(count - 1).len())
        } else {
            (p.chunk, p.off)
        };
        let c = self.chunk_mut(ci);
        c.insert(off, h);
        if c.len() > MAX {
            self.split(ci);
        }
        h
    }

    /// Cuts chunk `ci` into two halves.
    fn split(&mut self, ci: usize) {
        let c = self.chunk_mut(ci);
        let second = c.split_off(c.len() / 2);
        c.shrink_to(MAX + 1);
        self.insert_chunk(ci + 1, second);
    }

    /// Takes the handle at `p` (not the end) out of the tree and frees it. Returns it: the
    /// caller takes its entry out of that slot before the next insert.
    #[cellsim_derive::hot]
    pub(super) fn remove(&mut self, p: Pos) -> u32 {
        let ci = p.chunk;
        let c = self.chunk_mut(ci);
        let h = c.remove(p.off);
        let n = c.len();
        self.len -= 1;
        if self.tail.is_empty() {
            // The only chunk: `head` stays, empty when the tree is (its buffer kept for reuse).
        } else if n < MIN {
            // Into the previous chunk (or the next one into the first), split again if that
            // made it too long: both halves then hold more than `MIN`.
            let into = if ci > 0 { ci - 1 } else { 0 };
            let moved = self.remove_chunk(into + 1);
            let c = self.chunk_mut(into);
            c.extend_from_slice(&moved);
            if c.len() > MAX {
                self.split(into);
            }
        }
        self.release(h);
        h
    }

    pub(super) fn pop_first(&mut self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        Some(self.remove(Pos { chunk: 0, off: 0 }))
    }

    pub(super) fn pop_last(&mut self) -> Option<u32> {
        let p = self.last_pos()?;
        Some(self.remove(p))
    }

    /// Keeps the handles for which `keep` is true, calling it once per handle in key order;
    /// frees the others (`keep` takes their entries out when it says no).
    pub(super) fn retain(&mut self, keep: &mut dyn FnMut(u32) -> bool) {
        let mut short = false;
        let free = &mut self.free;
        for c in std::iter::once(&mut self.head).chain(&mut self.tail) {
            c.retain(|&h| {
                let k = keep(h);
                if !k {
                    free.push(h);
                }
                k
            });
            short |= c.len() < MIN;
        }
        // (Not through `chunks()`: `head` may have emptied while `tail` has not.)
        self.len = self.head.len() + self.tail.iter().map(Vec::len).sum::<usize>();
        if self.len == 0 {
            self.free.clear();
            self.next = 0;
        }
        if short && !self.tail.is_empty() {
            // Cut again into chunks of `LOAD` (the last one may be shorter: then it joins the
            // one before, which stays within `MAX`).
            let mut all = std::mem::take(&mut self.head);
            for c in self.tail.drain(..) {
                all.extend_from_slice(&c);
            }
            let mut rest: &[u32] = &all;
            let mut count = 0;
            while !rest.is_empty() {
                let take = if rest.len() < LOAD + MIN {
                    rest.len()
                } else {
                    LOAD
                };
                self.insert_chunk(count, rest[..take].to_vec());
                count += 1;
                rest = &rest[take..];
            }
        } else {
            // Only a tree of one chunk can have emptied one (the others were not short).
            self.tail.retain(|c| !c.is_empty());
            if self.head.is_empty() && !self.tail.is_empty() {
                self.head = self.tail.remove(0);
            }
        }
    }

    /// Every handle in key order.
    pub(super) fn iter(&self) -> Handles<'_> {
        Handles {
            cursor: Cursor {
                chunks: self.chunks(),
                front: Pos { chunk: 0, off: 0 },
                back: self.end(),
            },
            left: self.len,
        }
    }

    /// The handles of `[lo, hi)` (positions from `range`) in key order.
    pub(super) fn between(&self, lo: Pos, hi: Pos) -> Cursor<'_> {
        Cursor {
            chunks: self.chunks(),
            front: lo,
            back: hi,
        }
    }

    /// The handles in key order, consuming the tree.
    pub(super) fn into_handles(self) -> IntoHandles {
        IntoHandles {
            front: Pos { chunk: 0, off: 0 },
            back: self.end(),
            left: self.len,
            head: self.head,
            tail: self.tail,
        }
    }

    /// The chunk lengths, for the tests of the invariants.
    #[cfg(test)]
    pub(super) fn chunk_lens(&self) -> Vec<usize> {
        let chunks = self.chunks();
        (0..chunks.len()).map(|i| chunks.get(i).len()).collect()
    }
}

/// A tree's chunks, first to last: `head` then `tail` (see [`Tree`]).
#[derive(Clone, Copy)]
struct Chunks<'a> {
    head: &'a [u32],
    tail: &'a [Vec<u32>],
}

impl<'a> Chunks<'a> {
    #[inline]
    fn len(&self) -> usize {
        match self.head.is_empty() {
            true => 0,
            false => 1 + self.tail.len(),
        }
    }

    /// Chunk `i` (less than `len`).
    #[inline]
    fn get(&self, i: usize) -> &'a [u32] {
        match i {
            0 => self.head,
            _ => &self.tail[i - 1],
        }
    }
}

/// Steps `front` (inclusive) and `back` (exclusive) towards each other over `chunks`.
#[inline]
fn step_front(chunks: Chunks<'_>, front: &mut Pos, back: Pos) -> Option<u32> {
    if *front == back {
        return None;
    }
    let c = chunks.get(front.chunk);
    let h = c[front.off];
    if front.off + 1 < c.len() {
        front.off += 1;
    } else {
        *front = Pos {
            chunk: front.chunk + 1,
            off: 0,
        };
    }
    Some(h)
}

#[inline]
fn step_back(chunks: Chunks<'_>, front: Pos, back: &mut Pos) -> Option<u32> {
    if front == *back {
        return None;
    }
    if back.off == 0 {
        back.chunk -= 1;
        back.off = chunks.get(back.chunk).len();
    }
    back.off -= 1;
    Some(chunks.get(back.chunk)[back.off])
}

/// The handles between two positions, from either end (a key range).
#[derive(Clone)]
pub struct Cursor<'a> {
    chunks: Chunks<'a>,
    front: Pos,
    back: Pos,
}

impl Iterator for Cursor<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        step_front(self.chunks, &mut self.front, self.back)
    }
}

impl DoubleEndedIterator for Cursor<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<u32> {
        step_back(self.chunks, self.front, &mut self.back)
    }
}

impl FusedIterator for Cursor<'_> {}

/// Every handle of a tree, from either end, with the count left.
#[derive(Clone)]
pub struct Handles<'a> {
    cursor: Cursor<'a>,
    left: usize,
}

impl Iterator for Handles<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        let h = self.cursor.next()?;
        self.left -= 1;
        Some(h)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Handles<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<u32> {
        let h = self.cursor.next_back()?;
        self.left -= 1;
        Some(h)
    }
}

impl ExactSizeIterator for Handles<'_> {}
impl FusedIterator for Handles<'_> {}

/// Every handle of a consumed tree, from either end.
pub struct IntoHandles {
    head: Vec<u32>,
    tail: Vec<Vec<u32>>,
    front: Pos,
    back: Pos,
    left: usize,
}

impl Iterator for IntoHandles {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        let chunks = Chunks {
            head: &self.head,
            tail: &self.tail,
        };
        let h = step_front(chunks, &mut self.front, self.back)?;
        self.left -= 1;
        Some(h)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for IntoHandles {
    #[inline]
    fn next_back(&mut self) -> Option<u32> {
        let chunks = Chunks {
            head: &self.head,
            tail: &self.tail,
        };
        let h = step_back(chunks, self.front, &mut self.back)?;
        self.left -= 1;
        Some(h)
    }
}

impl ExactSizeIterator for IntoHandles {}
impl FusedIterator for IntoHandles {}

/// A search's probe: how the key of a handle compares to the value looked for. A one-method
/// trait object rather than a `dyn FnMut`, whose vtable would also hold a `call_once` shim
/// compiled per closure.
pub(super) trait Probe {
    fn cmp(&self, h: u32) -> Ordering;
}

/// The probe for a value `q` among the keys `slots` (a slab's): compiled per key and query
/// type, shared by every map and set with that key.
pub(super) struct KeyProbe<'a, K, Q: ?Sized> {
    pub(super) slots: &'a [Option<K>],
    pub(super) q: &'a Q,
}

impl<K: Borrow<Q>, Q: Ord + ?Sized> Probe for KeyProbe<'_, K, Q> {
    #[inline]
    #[cellsim_derive::hot]
    fn cmp(&self, h: u32) -> Ordering {
        slab::get(self.slots, h).borrow().cmp(self.q)
    }
}

/// Where the key `q` is or would go among the keys `slots` ordered by `tree`.
#[inline]
#[cellsim_derive::hot]
pub(super) fn find<K: Borrow<Q>, Q: Ord + ?Sized>(
    tree: &Tree,
    slots: &[Option<K>],
    q: &Q,
) -> (Pos, Option<u32>) {
    tree.search(&KeyProbe { slots, q })
}

/// The positions of the keys within `range`, with std `BTreeMap::range`'s checks (and panic
/// messages) on the bounds.
pub(super) fn key_range<K, Q, R>(tree: &Tree, slots: &[Option<K>], range: &R) -> (Pos, Pos)
where
    K: Borrow<Q>,
    Q: Ord + ?Sized,
    R: RangeBounds<Q>,
{
    let (start, end) = (range.start_bound(), range.end_bound());
    match (start, end) {
        (Bound::Excluded(s), Bound::Excluded(e)) if s == e => {
            panic!("range start and end are equal and excluded in BTreeMap")
        }
        (Bound::Included(s) | Bound::Excluded(s), Bound::Included(e) | Bound::Excluded(e))
            if s > e =>
        {
            panic!("range start is greater than range end in BTreeMap")
        }
        _ => {}
    }
    let lo = start.map(|q| KeyProbe { slots, q });
    let hi = end.map(|q| KeyProbe { slots, q });
    tree.range(
        lo.as_ref().map(|p| p as &dyn Probe),
        hi.as_ref().map(|p| p as &dyn Probe),
    )
}
