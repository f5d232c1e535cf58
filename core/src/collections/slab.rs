//! The entries of an [`super::OrdMap`] (and so of an [`super::OrdSet`], a map to `()`): a
//! `Vec` of slots addressed by the `u32` handles the [`super::tree::Tree`] orders. The tree
//! hands out and takes back the handles (its free list is not generic), so all that is
//! compiled per entry type here is putting, reading and taking one slot.

pub(super) struct Slab<T> {
    pub(super) slots: Vec<Option<T>>,
}

impl<T> Slab<T> {
    pub(super) const fn new() -> Self {
        Slab { slots: Vec::new() }
    }

    /// Stores `v` in slot `h`, a handle the tree has just handed out: a free slot, or the next
    /// one past the end. Out of line: compiled once per key type and once per value type,
    /// rather than inlined into every map's `insert`.
    #[inline(never)]
    pub(super) fn put(&mut self, h: u32, v: T) {
        let h = h as usize;
        if h == self.slots.len() {
            self.slots.push(Some(v));
        } else {
            // A free slot holds `None`: there is nothing to drop (and no drop code to compile).
            let old = self.slots[h].replace(v);
            debug_assert!(old.is_none(), "slab: a handed-out handle names a full slot");
            std::mem::forget(old);
        }
    }

    #[inline]
    pub(super) fn get(&self, h: u32) -> &T {
        get(&self.slots, h)
    }

    #[inline]
    pub(super) fn get_mut(&mut self, h: u32) -> &mut T {
        match &mut self.slots[h as usize] {
            Some(v) => v,
            None => free_slot(),
        }
    }

    /// Takes the entry out of slot `h`, whose handle has just left the tree. Out of line, as
    /// `put`.
    #[inline(never)]
    pub(super) fn take(&mut self, h: u32) -> T {
        take(&mut self.slots, h)
    }

    /// Drops every entry.
    pub(super) fn clear(&mut self) {
        self.slots.clear();
    }
}

impl<T: Clone> Clone for Slab<T> {
    fn clone(&self) -> Self {
        Slab {
            slots: self.slots.clone(),
        }
    }
}

#[inline]
pub(super) fn get<T>(slots: &[Option<T>], h: u32) -> &T {
    match &slots[h as usize] {
        Some(v) => v,
        None => free_slot(),
    }
}

#[inline]
pub(super) fn take<T>(slots: &mut [Option<T>], h: u32) -> T {
    match slots[h as usize].take() {
        Some(v) => v,
        None => free_slot(),
    }
}

/// The tree named a free slot: a bug in `collections`. One copy for every entry type.
#[cold]
#[inline(never)]
pub(super) fn free_slot() -> ! {
    panic!("collections: a handle names a free slot")
}
